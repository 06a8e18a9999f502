/*
 * Which numbers the signed revisions could point to before they existed
 * (docs/internals/stamp.md §3, "What may follow a signature"), read from
 * the file's bytes once.
 *
 * A later revision may add objects; nothing a reader shows reaches one but
 * through an object that existed, which is judged, or through a reference
 * the signed revision already held to a number it did not use then (a
 * dangling reference, filled after signing).  Finding the referrers of a
 * new object exactly takes a walk of the whole document through libqpdf
 * (stamp_diff.c), about as costly as the rest of a verification for a long
 * document.  This scan proves, in one pass over the objects' own text,
 * that no object of a signed revision can hold such a reference, and the
 * walk is then not needed: every entry of every cross-reference section
 * (each version of each object) is tokenized from its offset to its
 * endobj (or to the stream keyword after its dictionary), and every
 * "N G R" with N at or above the oldest signed revision's /Size is kept
 * with the offset of the object that holds it.  An object of the revision
 * ending at e lies before e, so a number no kept reference before e names
 * is pointed to by no object of that revision.
 *
 * It only ever says "none": a reference found, an object in an object
 * stream (its text compressed), a section that cannot be read, a bound
 * passed, and the exact walk decides as before.
 */
#include <stdlib.h>
#include <string.h>

#include "stamp_int.h"

#define REFS_ENTRIES_MAX 1000000      /* entries read from every section */
#define REFS_OBJ_MAX     (4LL << 20)  /* one object's text tokenized, at most */
#define REFS_TEXT_MAX    (64LL << 20) /* all objects' text tokenized, at most */
#define REFS_KEPT_MAX    100000       /* references kept */

static int
dref_cmp(const void *a, const void *b)
{
    const struct stamp_dref *x = a, *y = b;

    if (x->num != y->num)
        return (x->num > y->num) - (x->num < y->num);
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static int
off_cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;

    return (x > y) - (x < y);
}

static int
regular(unsigned char c)
{
    return !stamp_is_ws(c) && !stamp_is_delim(c);
}

/* an integer token (an optional sign, digits): HALL_OK with *v, -1 when it
 * does not fit an object number */
static int
int_token(const unsigned char *p, long long a, long long b, long long *v)
{
    int neg = 0;

    if (a < b && (p[a] == '+' || p[a] == '-'))
        neg = p[a++] == '-';
    if (a == b)
        return HALL_ERR;
    *v = 0;
    for (; a < b; a++) {
        if (p[a] < '0' || p[a] > '9')
            return HALL_ERR;
        if (*v < (1LL << 40))
            *v = *v * 10 + (p[a] - '0');
    }
    if (neg || *v >= (1LL << 31))
        *v = -1;
    return HALL_OK;
}

/* a reference N G R to keep: N at or above min */
static int
keep(struct stamp_diff *d, long long num, long long off)
{
    if (d->ndrefs >= REFS_KEPT_MAX)
        return HALL_ERR;
    if (d->ndrefs == d->caprefs) {
        d->caprefs = d->caprefs ? d->caprefs * 2 : 256;
        d->drefs = realloc(d->drefs, sizeof(*d->drefs) * (size_t)d->caprefs);
        if (d->drefs == NULL)
            abort();
    }
    d->drefs[d->ndrefs].num = (int)num;
    d->drefs[d->ndrefs].pos = off;
    d->ndrefs++;
    return HALL_OK;
}

/* a literal string from its '(' (balanced parentheses, backslash escapes):
 * just after its ')', lim when it does not end */
static long long
skip_string(const unsigned char *p, long long at, long long lim)
{
    int nest = 0;

    for (at++; at < lim; at++) {
        if (p[at] == '\\')
            at++;
        else if (p[at] == '(')
            nest++;
        else if (p[at] == ')' && nest-- == 0)
            return at + 1;
    }
    return lim;
}

/*
 * The object whose text starts at off, tokenized as PDF syntax up to its
 * endobj, or the stream keyword after its top dictionary: each "N G R"
 * with N >= min kept.  HALL_ERR when the text does not end within the
 * bounds (*budget: the bytes still allowed) or too many are kept.
 */
static int
scan_obj(struct stamp_diff *d, long long off, long long min, long long *budget)
{
    const unsigned char *p = d->map;
    long long lim = off + REFS_OBJ_MAX < d->size ? off + REFS_OBJ_MAX : d->size, at = off;
    long long n1 = -1, n2 = -1; /* the integers of the last two tokens */
    int ints = 0;               /* how many of the last tokens were integers, at most 2 */
    int depth = 0, closed = 0;  /* closed: the last token ended the top dictionary */

    if (lim - off > *budget)
        lim = off + *budget;
    while (at < lim) {
        unsigned char c = p[at];
        long long e, v;
        int was_closed = closed;

        if (stamp_is_ws(c)) {
            at++;
            continue;
        }
        if (c == '%') { /* a comment, to the end of its line */
            while (at < lim && p[at] != '\r' && p[at] != '\n')
                at++;
            continue;
        }
        closed = 0;
        if (c == '(') {
            at = skip_string(p, at, lim);
        } else if (c == '<' && at + 1 < lim && p[at + 1] == '<') {
            depth++;
            at += 2;
        } else if (c == '<') { /* a hex string */
            const unsigned char *gt = memchr(p + at, '>', (size_t)(lim - at));

            at = gt != NULL ? gt - p + 1 : lim;
        } else if (c == '>' && at + 1 < lim && p[at + 1] == '>') {
            depth--;
            closed = depth == 0;
            at += 2;
        } else if (c == '/') {
            for (at++; at < lim && regular(p[at]); at++)
                ;
        } else if (!regular(c)) { /* [ ] { } and a lone > */
            at++;
        } else {
            for (e = at; e < lim && regular(p[e]); e++)
                ;
            if ((e - at == 6 && memcmp(p + at, "endobj", 6) == 0) ||
                (e - at == 6 && memcmp(p + at, "stream", 6) == 0 && was_closed)) {
                *budget -= e - off;
                return HALL_OK;
            }
            if (e - at == 1 && p[at] == 'R' && ints == 2 && n1 >= min &&
                keep(d, n1, off) != HALL_OK)
                return HALL_ERR;
            if (int_token(p, at, e, &v) == HALL_OK) {
                n1 = n2;
                n2 = v;
                ints = ints < 2 ? ints + 1 : 2;
                at = e;
                continue;
            }
            at = e;
        }
        ints = 0;
    }
    return HALL_ERR;
}

/* the scan, once: every entry of every section, each object's text */
static int
refs_scan(struct stamp_diff *d, long long min)
{
    struct stamp_xlist l;
    long long *offs, budget = REFS_TEXT_MAX;
    int i, n = 0, rc = HALL_ERR;

    memset(&l, 0, sizeof(l));
    l.max = REFS_ENTRIES_MAX;
    if (stamp_xref_all(d, &l) != HALL_OK || l.over) {
        free(l.e);
        return HALL_ERR;
    }
    offs = malloc(sizeof(*offs) * (size_t)(l.n > 0 ? l.n : 1));
    if (offs == NULL)
        abort();
    for (i = 0; i < l.n; i++) {
        if (!l.e[i].used)
            continue;
        if (l.e[i].off < 0) /* in an object stream: its text is compressed */
            goto out;
        if (l.e[i].off >= d->size)
            goto out;
        offs[n++] = l.e[i].off;
    }
    qsort(offs, (size_t)n, sizeof(*offs), off_cmp);
    for (i = 0; i < n; i++)
        if ((i == 0 || offs[i] != offs[i - 1]) && scan_obj(d, offs[i], min, &budget) != HALL_OK)
            goto out;
    if (d->ndrefs > 1)
        qsort(d->drefs, (size_t)d->ndrefs, sizeof(*d->drefs), dref_cmp);
    rc = HALL_OK;
out:
    free(offs);
    free(l.e);
    return rc;
}

int
stamp_refs_none(struct stamp_diff *d, int num, long long end, long long psize)
{
    struct stamp_dref key = {num, -1};
    const struct stamp_dref *r;
    size_t lo = 0, hi;

    if (!d->refs_done) {
        d->refs_done = 1;
        d->refs_min = psize;
        d->refs_ok = refs_scan(d, psize) == HALL_OK;
    }
    if (!d->refs_ok || psize < d->refs_min || num < d->refs_min)
        return 0;
    /* the first kept reference to num: none before end */
    hi = (size_t)d->ndrefs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (dref_cmp(&d->drefs[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    r = lo < (size_t)d->ndrefs ? &d->drefs[lo] : NULL;
    return r == NULL || r->num != num || r->pos >= end;
}
