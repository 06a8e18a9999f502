/*
 * Which numbers the signed revisions could point to before they existed
 * (docs/internals/stamp.md §3, "What may follow a signature"), read from
 * the file's bytes once.
 *
 * A later revision may add objects; nothing a reader shows reaches one but
 * through an object that existed, which is judged, or through a reference
 * the signed revision already held to a number it did not use then (a
 * dangling reference, filled after signing).  Finding the referrers of a
 * new object exactly takes a walk of the whole document through core/pdf
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
 * passed, and the exact walk decides as before.  Its tokens are
 * pdf_lex.c's, the library's one lexer.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf.h"
#include "stamp_int.h"

#define REFS_ENTRIES_MAX 1000000      /* entries read from every section */
#define REFS_OBJ_MAX     (4LL << 20)  /* one object's text tokenized, at most */
#define REFS_TEXT_MAX    (64LL << 20) /* all objects' text tokenized, at most */
#define REFS_KEPT_MAX    100000       /* references kept */

/* a reference N G R (num) in the text of the object at pos */
struct stamp_dref {
    int num;
    long long pos;
};

/* the scan's result, stamp_refs.c's alone (stamp_refs_scan): the
 * references to numbers at or above refs_min in every object's text, by
 * number; refs_ok 0 when the scan could not be made (then the walk
 * decides); every section's entries, by number, newest first */
struct stamp_refs {
    int refs_ok;
    long long refs_min;
    struct stamp_dref *drefs;
    int ndrefs, caprefs;
    struct stamp_xent *xall;
    int nxall;
};

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
xent_order(const void *a, const void *b)
{
    const struct stamp_xent *x = a, *y = b;

    if (x->num != y->num)
        return (x->num > y->num) - (x->num < y->num);
    return (x->order > y->order) - (x->order < y->order);
}

/* an integer token (an optional sign, digits): HALL_OK with *v, -1 when it
 * does not fit an object number (pdf_lex.c reads it) */
static inline int
int_token(const unsigned char *p, long long a, long long b, long long *v)
{
    if (pdf_lex_int(p, a, b, v) != 0)
        return HALL_ERR;
    if (*v < 0 || *v >= (1LL << 31) || p[a] == '-')
        *v = -1;
    return HALL_OK;
}

/* a reference N G R to keep: N at or above min */
static int
keep(struct stamp_refs *r, long long num, long long off)
{
    if (r->ndrefs >= REFS_KEPT_MAX)
        return HALL_ERR;
    if (r->ndrefs == r->caprefs) {
        r->caprefs = r->caprefs ? r->caprefs * 2 : 256;
        r->drefs = realloc(r->drefs, sizeof(*r->drefs) * (size_t)r->caprefs);
        if (r->drefs == NULL)
            abort();
    }
    r->drefs[r->ndrefs].num = (int)num;
    r->drefs[r->ndrefs].pos = off;
    r->ndrefs++;
    return HALL_OK;
}

/*
 * The object whose text starts at off, tokenized as PDF syntax up to its
 * endobj, or the stream keyword after its top dictionary: each "N G R"
 * with N >= min kept.  HALL_ERR when the text does not end within the
 * bounds (*budget: the bytes still allowed) or too many are kept.
 */
static int
scan_obj(const struct stamp_in *d, struct stamp_refs *r, long long off, long long min,
         long long *budget)
{
    const unsigned char *p = d->map;
    long long lim = off + REFS_OBJ_MAX < d->size ? off + REFS_OBJ_MAX : d->size, at = off;
    long long n1 = -1, n2 = -1; /* the integers of the last two tokens */
    int ints = 0;               /* how many of the last tokens were integers, at most 2 */
    int depth = 0, closed = 0;  /* closed: the last token ended the top dictionary */
    struct pdf_token t;

    if (lim - off > *budget)
        lim = off + *budget;
    while (at < lim) {
        int was_closed = closed;

        closed = 0;
        switch (pdf_lex_next(p, &at, lim, &t)) {
        case PDF_TOK_END:
        case PDF_TOK_UNTERMINATED: return HALL_ERR;
        case PDF_TOK_DICT_OPEN: depth++; break;
        case PDF_TOK_DICT_CLOSE:
            depth--;
            closed = depth == 0;
            break;
        case PDF_TOK_NAME:
        case PDF_TOK_KEYWORD:
            /* VT: regular for ISO 32000 and this scan, white space for
             * libqpdf ("3\v0\vR" a reference): what libqpdf may read as
             * one is not proven absent here, the walk decides */
            if (t.vt)
                return HALL_ERR;
            if (t.kind == PDF_TOK_NAME)
                break;
            if ((t.b - t.a == 6 && memcmp(p + t.a, "endobj", 6) == 0) ||
                (t.b - t.a == 6 && memcmp(p + t.a, "stream", 6) == 0 && was_closed)) {
                *budget -= t.b - off;
                return HALL_OK;
            }
            if (t.b - t.a == 1 && p[t.a] == 'R' && ints == 2 && n1 >= min &&
                keep(r, n1, off) != HALL_OK)
                return HALL_ERR;
            break;
        case PDF_TOK_INT: /* an object number, or -1 when it cannot be one */
            n1 = n2;
            n2 = t.ival < 0 || t.ival >= (1LL << 31) || p[t.a] == '-' ? -1 : t.ival;
            ints = ints < 2 ? ints + 1 : 2;
            continue;
        default: break;
        }
        ints = 0;
    }
    return HALL_ERR;
}

/* the offsets (each below size) in order, each once: marked in a bitmap
 * of the file (an eighth of its size) and read back, instead of a qsort
 * of 50,000 of them; their new count */
static int
offs_order(long long *offs, int n, long long size)
{
    unsigned long long *bits;
    long long w, nw = size / 64 + 1;
    int k = 0;

    if (size > (1LL << 34)) {
        qsort(offs, (size_t)n, sizeof(*offs), off_cmp);
        return n;
    }
    bits = calloc((size_t)nw, sizeof(*bits));
    if (bits == NULL)
        abort();
    for (int i = 0; i < n; i++)
        bits[offs[i] / 64] |= 1ULL << (offs[i] % 64);
    for (w = 0; w < nw; w++)
        for (unsigned long long b = bits[w]; b != 0; b &= b - 1)
            offs[k++] = w * 64 + __builtin_ctzll(b);
    free(bits);
    return k;
}

/* the entries by number, each number's in their order (xent_order): the
 * order is their index in l (stamp_xref.c), so a counting sort by number
 * keeps it; qsort when it is not, or the numbers spread far */
static void
xent_sort(struct stamp_xent *e, int n)
{
    struct stamp_xent *out;
    int *at, max = 0, i;

    for (i = 0; i < n; i++) {
        if (e[i].num < 0 || (i > 0 && e[i].order <= e[i - 1].order))
            break;
        if (e[i].num > max)
            max = e[i].num;
    }
    if (i < n || max > 4 * n + 65536) {
        qsort(e, (size_t)n, sizeof(*e), xent_order);
        return;
    }
    at = calloc((size_t)max + 2, sizeof(int));
    out = malloc(sizeof(*out) * (size_t)(n > 0 ? n : 1));
    if (at == NULL || out == NULL)
        abort();
    for (i = 0; i < n; i++)
        at[e[i].num + 1]++;
    for (i = 1; i <= max + 1; i++)
        at[i] += at[i - 1];
    for (i = 0; i < n; i++)
        out[at[e[i].num]++] = e[i];
    memcpy(e, out, sizeof(*out) * (size_t)n);
    free(out);
    free(at);
}

/* the scan, once: every entry of every section, each object's text */
static int
refs_scan(const struct stamp_in *d, struct stamp_refs *r, long long min)
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
    for (i = 1; i < n && offs[i - 1] <= offs[i]; i++)
        ;
    if (i < n) /* a file's objects are mostly in the order of their numbers */
        n = offs_order(offs, n, d->size);
    for (i = 0; i < n; i++)
        if ((i == 0 || offs[i] != offs[i - 1]) && scan_obj(d, r, offs[i], min, &budget) != HALL_OK)
            goto out;
    if (r->ndrefs > 1)
        qsort(r->drefs, (size_t)r->ndrefs, sizeof(*r->drefs), dref_cmp);
    /* kept, by number, newest first: what a revision's object is */
    xent_sort(l.e, l.n);
    r->xall = l.e;
    r->nxall = l.n;
    l.e = NULL;
    rc = HALL_OK;
out:
    free(offs);
    free(l.e);
    return rc;
}

struct stamp_refs *
stamp_refs_scan(const struct stamp_in *in, long long psize)
{
    struct stamp_refs *r = calloc(1, sizeof(*r));

    if (r == NULL)
        abort();
    r->refs_min = psize;
    r->refs_ok = refs_scan(in, r, psize) == HALL_OK;
    return r;
}

int
stamp_refs_none(const struct stamp_refs *r, int num, long long end, long long psize)
{
    struct stamp_dref key = {num, -1};
    const struct stamp_dref *k;
    size_t lo = 0, hi;

    if (r == NULL || !r->refs_ok || psize < r->refs_min || num < r->refs_min)
        return 0;
    /* the first kept reference to num: none before end */
    hi = (size_t)r->ndrefs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (dref_cmp(&r->drefs[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    k = lo < (size_t)r->ndrefs ? &r->drefs[lo] : NULL;
    return k == NULL || k->num != num || k->pos >= end;
}

/* ---- a dictionary's value compared in the bytes ----------------------------------- */

#define VAL_TEXT_MAX (256 << 10) /* a value's tokens compared, at most */

enum { TK_END, TK_OPEN, TK_CLOSE, TK_NAME, TK_REG, TK_OTHER };

/* the next token from *at (pdf_lex_next): its kind here and text [*a, *b);
 * TK_END at the end, an unterminated string or a token holding a VT */
static int
next_tok(const unsigned char *p, long long *at, long long lim, long long *a, long long *b)
{
    struct pdf_token t;
    int k;

    switch (pdf_lex_next(p, at, lim, &t)) {
    case PDF_TOK_END:
    case PDF_TOK_UNTERMINATED: k = TK_END; break;
    case PDF_TOK_DICT_OPEN:
    case PDF_TOK_ARRAY_OPEN: k = TK_OPEN; break;
    case PDF_TOK_DICT_CLOSE:
    case PDF_TOK_ARRAY_CLOSE: k = TK_CLOSE; break;
    case PDF_TOK_NAME: k = TK_NAME; break;
    case PDF_TOK_INT:
    case PDF_TOK_REAL:
    case PDF_TOK_KEYWORD: k = TK_REG; break;
    default: k = TK_OTHER; break; /* strings, { }, a lone ) or > */
    }
    /* a VT in a name or keyword: libqpdf reads it as white space (scan_obj),
     * so these texts cannot be told the same as it would: not read */
    if (t.vt)
        k = TK_END;
    *a = t.a;
    *b = t.b;
    return k;
}

struct val_out {
    struct stamp_buf *text;      /* the value's tokens, one space after each */
    const struct stamp_xlist *w; /* the numbers written later (NULL: unknown, all) */
    int touched;                 /* it refers to a number written (or cannot be told) */
};

/* one object (a dictionary's value) from *at into o: HALL_ERR when not
 * syntax or too long */
static int
value_read(const unsigned char *p, long long *at, long long lim, struct val_out *o)
{
    long long a, b, n1 = -1, n2 = -1, v;
    int depth = 0, ints = 0, k;

    do {
        k = next_tok(p, at, lim, &a, &b);
        if (k == TK_END || (k == TK_CLOSE && depth == 0))
            return HALL_ERR;
        depth += k == TK_OPEN ? 1 : k == TK_CLOSE ? -1 : 0;
        if (o->text->len + (size_t)(b - a) + 1 > VAL_TEXT_MAX)
            return HALL_ERR;
        stamp_buf_put(o->text, p + a, (size_t)(b - a));
        stamp_buf_put(o->text, " ", 1);
        if (k == TK_REG && b - a == 1 && p[a] == 'R' && ints == 2) {
            if (n1 < 0 || o->w == NULL || stamp_xlist_has(o->w, (int)n1))
                o->touched = 1;
            ints = 0;
        } else if (k == TK_REG && int_token(p, a, b, &v) == HALL_OK) {
            n1 = n2;
            n2 = v;
            ints = ints < 2 ? ints + 1 : 2;
            if (depth == 0 && ints == 1) { /* a number, or N G R: look ahead */
                long long s = *at, a2, b2, a3, b3;

                if (next_tok(p, &s, lim, &a2, &b2) == TK_REG &&
                    int_token(p, a2, b2, &v) == HALL_OK &&
                    next_tok(p, &s, lim, &a3, &b3) == TK_REG && b3 - a3 == 1 && p[a3] == 'R') {
                    stamp_buf_put(o->text, p + a2, (size_t)(b2 - a2));
                    stamp_buf_put(o->text, " R ", 3);
                    if (n2 < 0 || o->w == NULL || stamp_xlist_has(o->w, (int)n2))
                        o->touched = 1;
                    *at = s;
                }
            }
        } else {
            ints = 0;
        }
    } while (depth > 0);
    return HALL_OK;
}

/* key's value in the top dictionary of the object at off, as tokens, into
 * o: HALL_ERR when the object is not "N G obj << ... >>", the key is not
 * there once, or a name holds a #xx */
static int
dict_value(const struct stamp_in *d, long long off, const char *key, struct val_out *o)
{
    const unsigned char *p = d->map;
    long long lim = off + REFS_OBJ_MAX < d->size ? off + REFS_OBJ_MAX : d->size, at = off, a, b;
    size_t kl = strlen(key);
    int found = 0, i;
    struct stamp_buf junk;

    for (i = 0; i < 3; i++)
        if (next_tok(p, &at, lim, &a, &b) != TK_REG)
            return HALL_ERR;
    if (b - a != 3 || memcmp(p + a, "obj", 3) != 0 || next_tok(p, &at, lim, &a, &b) != TK_OPEN ||
        b - a != 2)
        return HALL_ERR;
    memset(&junk, 0, sizeof(junk));
    for (;;) {
        int k = next_tok(p, &at, lim, &a, &b), mine;
        struct val_out other = {&junk, o->w, 0};

        if (k == TK_CLOSE && b - a == 2)
            break;
        if (k != TK_NAME || memchr(p + a, '#', (size_t)(b - a)) != NULL)
            goto bad;
        mine = (size_t)(b - a) == kl && memcmp(p + a, key, kl) == 0;
        if (mine && found++)
            goto bad;
        junk.len = 0;
        if (value_read(p, &at, lim, mine ? o : &other) != HALL_OK)
            goto bad;
    }
    stamp_buf_free(&junk);
    return found == 1 ? HALL_OK : HALL_ERR;
bad:
    stamp_buf_free(&junk);
    return HALL_ERR;
}

int
stamp_raw_value_same(const struct stamp_in *d, long long a, long long b, const char *key,
                     const struct stamp_xlist *w)
{
    struct stamp_buf x, y;
    struct val_out ox = {&x, w, 0}, oy = {&y, w, 0};
    int same;

    if (a < 0 || b < 0 || d->map == NULL)
        return 0;
    memset(&x, 0, sizeof(x));
    memset(&y, 0, sizeof(y));
    same = dict_value(d, a, key, &ox) == HALL_OK && dict_value(d, b, key, &oy) == HALL_OK &&
           !ox.touched && !oy.touched && x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
    stamp_buf_free(&x);
    stamp_buf_free(&y);
    return same;
}

long long
stamp_refs_offset(const struct stamp_refs *r, int num, long long end)
{
    int lo = 0, hi;

    if (r == NULL || !r->refs_ok)
        return -1;
    hi = r->nxall;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (r->xall[mid].num < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < r->nxall && r->xall[lo].num == num; lo++)
        if (end < 0 || r->xall[lo].sec < end)
            return r->xall[lo].used && r->xall[lo].gen == 0 ? r->xall[lo].off : -1;
    return -1;
}

void
stamp_refs_free(struct stamp_refs *r)
{
    if (r != NULL) {
        free(r->drefs);
        free(r->xall);
        free(r);
    }
}
