/*
 * The cross-reference sections written after a revision (docs/internals/
 * stamp.md §3, "What may follow a signature"): from the file's startxref
 * back through /Prev to the revision's own section, each section read by
 * core/pdf (pdf_section, the one reading of a table, a hybrid file's
 * /XRefStm and a cross-reference stream, which pdf_open reads too), kept
 * once a file.  A document's view (pdf_file_doc) gives the merged
 * cross-reference but does not say which section wrote an object:
 * stamp_diff.c needs exactly that.
 * Every length and count is bounded.
 *
 * Owns: the sections each revision wrote, as stamp_diff.c reads them
 * (struct stamp_xlist).  Follows: ISO
 * 32000-1 §7.5.4-§7.5.8 through core/pdf; its own bytes are read through
 * pdf_lex.c, the library's one lexer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_lex.h"
#include "stamp_int.h"

#define XREF_SECTIONS_MAX 4096 /* cross-reference sections followed */

static void
xadd(struct stamp_xlist *l, int num, int gen, int used, long long off)
{
    if (num <= 0)
        return;
    if (l->n >= (l->max > 0 ? l->max : STAMP_XREF_IDS_MAX)) {
        l->over = 1;
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->e = realloc(l->e, sizeof(*l->e) * (size_t)l->cap);
        if (l->e == NULL)
            abort();
    }
    l->e[l->n].num = num;
    l->e[l->n].gen = gen;
    l->e[l->n].used = used;
    l->e[l->n].off = used ? off : -1;
    l->e[l->n].order = l->n;
    l->n++;
}

/* the offset "startxref" names in the last KiB before end (as qpdf reads
 * it); -1 when none */
long long
stamp_startxref(const unsigned char *p, long long end)
{
    long long from = end > 1024 ? end - 1024 : 0, i, v = -1;

    for (i = end - 9; i >= from; i--)
        if (memcmp(p + i, "startxref", 9) == 0) {
            long long j = i + 9;

            while (j < end && pdf_lex_white(p[j]))
                j++;
            if (j >= end || p[j] < '0' || p[j] > '9')
                return -1;
            v = 0;
            while (j < end && p[j] >= '0' && p[j] <= '9' && v < (1LL << 40))
                v = v * 10 + (p[j++] - '0');
            return v;
        }
    return -1;
}

/* the section at off (a table, with its trailer's /XRefStm, or a stream)
 * into l, as core/pdf reads it (pdf_section, the one reading of a
 * section): its entries in the file's order, each stream's own object
 * after its entries; its /Prev */
static int
section_read(const struct stamp_in *d, long long off, long long lo, struct stamp_xlist *l,
             long long *prev)
{
    struct hall_pool *pool = hall_pool_create(16384);
    struct pdf_section s;
    int rc = HALL_ERR;

    if (pdf_section(pool, d->map, d->size, off, &s) != HALL_OK)
        goto out;
    if (s.lowest < l->lowest)
        l->lowest = s.lowest;
    if (s.lowest < lo)
        goto out;
    *prev = s.prev;
    for (int i = 0; i < s.n && !l->over; i++) {
        const struct pdf_xent *x = &s.e[i];

        if (x->type == 0)
            xadd(l, x->num, x->gen, 0, -1);
        else if (x->type == 1 || x->type == PDF_XE_SELF)
            xadd(l, x->num, x->gen, 1, x->off);
        else /* in an object stream, or null */
            xadd(l, x->num, 0, 1, -1);
        if (l->over && x->part == 0) /* a table's entries past the bound: no /Prev read */
            *prev = -1;
    }
    rc = HALL_OK;
out:
    pdf_section_free(&s);
    hall_pool_destroy(pool);
    return rc;
}

/*
 * section_read with what each section lists kept, once per file: a
 * signature's later sections are the later ones' and more.  A section
 * read with lo = 0 remembers the lowest offset its data lies at (what lo
 * bounds); one that cannot be read, or is too large, is read as before.
 */
static int
section_cached(const struct stamp_in *d, long long off, long long lo, struct stamp_xlist *l,
               long long *prev)
{
    struct stamp_xsecs *x = d->xs;
    struct stamp_xsec *c = NULL;
    struct stamp_xlist t;
    int i;

    if (x == NULL)
        return section_read(d, off, lo, l, prev);
    for (i = 0; i < x->n && c == NULL; i++)
        if (x->v[i].off == off)
            c = &x->v[i];
    if (c == NULL && x->n < XREF_SECTIONS_MAX) {
        memset(&t, 0, sizeof(t));
        t.lowest = d->size;
        if (section_read(d, off, 0, &t, prev) != HALL_OK || t.over) {
            free(t.e);
            return section_read(d, off, lo, l, prev);
        }
        if (x->n == x->cap) {
            x->cap = x->cap ? x->cap * 2 : 64;
            x->v = realloc(x->v, sizeof(*x->v) * (size_t)x->cap);
            if (x->v == NULL)
                abort();
        }
        c = &x->v[x->n++];
        c->off = off;
        c->prev = *prev;
        c->lowest = t.lowest;
        c->e = t.e;
        c->n = t.n;
    }
    /* past the list's bound: as before, where it stops reading */
    if (c == NULL || l->n + c->n >= (l->max > 0 ? l->max : STAMP_XREF_IDS_MAX))
        return section_read(d, off, lo, l, prev);
    if (c->lowest < lo)
        return HALL_ERR;
    for (i = 0; i < c->n; i++)
        xadd(l, c->e[i].num, c->e[i].gen, c->e[i].used, c->e[i].off);
    *prev = c->prev;
    return HALL_OK;
}

/*
 * The objects written after the revision ending at end: the sections from
 * the file's startxref back through /Prev to that revision's own, each of
 * them after end, and every later %%EOF closing one of them.  A chain that
 * does not lead back there, or a later revision without a section, is
 * HALL_ERR (what follows cannot be read as updates of the signed revision).
 */
static int
written(const struct stamp_in *d, long long end, long long hi, struct stamp_xlist *l)
{
    long long target = stamp_startxref(d->map, end), sx = stamp_startxref(d->map, hi);
    long long offs[XREF_SECTIONS_MAX];
    int n = 0, k, j;

    if (target < 0 || sx < 0)
        return HALL_ERR;
    while (sx != target) {
        long long prev = -1;

        if (sx < end || sx >= hi || n >= XREF_SECTIONS_MAX)
            return HALL_ERR;
        offs[n++] = sx;
        /* each update's /Prev is an earlier section: no loops */
        if (section_cached(d, sx, end, l, &prev) != HALL_OK || prev < 0 || prev >= sx)
            return HALL_ERR;
        if (l->over)
            return HALL_OK;
        sx = prev;
    }
    for (k = 0; k < d->nrev; k++) {
        long long lo = k > 0 ? d->ends[k - 1] : 0;
        int has = 0;

        if (d->ends[k] <= end || d->ends[k] > hi)
            continue;
        for (j = 0; j < n; j++)
            has |= offs[j] >= lo && offs[j] < d->ends[k];
        if (!has)
            return HALL_ERR;
    }
    return HALL_OK;
}

int
stamp_xref_all(const struct stamp_in *d, struct stamp_xlist *l)
{
    long long sx = stamp_startxref(d->map, d->size);
    int n = 0;

    while (sx >= 0) {
        long long prev = -1;
        int from = l->n;

        /* each /Prev an earlier section: no loops */
        if (sx >= d->size || n++ >= XREF_SECTIONS_MAX ||
            section_read(d, sx, 0, l, &prev) != HALL_OK || prev >= sx || l->over)
            return HALL_ERR;
        for (; from < l->n; from++)
            l->e[from].sec = sx;
        sx = prev;
    }
    return n > 0 ? HALL_OK : HALL_ERR;
}

int
stamp_written_after(const struct stamp_in *d, long long end, struct stamp_xlist *l)
{
    return written(d, end, d->size, l);
}

int
stamp_xlist_has(const struct stamp_xlist *l, int num)
{
    int lo = 0, hi = l->n;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (l->e[mid].num < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->n && l->e[lo].num == num;
}

int
stamp_xent_cmp(const void *a, const void *b)
{
    const struct stamp_xent *x = a, *y = b;

    if (x->num != y->num)
        return (x->num > y->num) - (x->num < y->num);
    return (x->order > y->order) - (x->order < y->order);
}

void
stamp_xsecs_free(struct stamp_xsecs *x)
{
    for (int i = 0; i < x->n; i++)
        free(x->v[i].e);
    free(x->v);
    memset(x, 0, sizeof(*x));
}
