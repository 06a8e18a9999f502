/*
 * One revision's objects (pdf.h, "pdf_doc.c"): its cross-reference read
 * from the startxref before the revision's end back through /Prev (ISO
 * 32000-1 §7.5.4 tables, §7.5.8 streams, §7.5.8.4 hybrid files' /XRefStm),
 * each object's newest entry kept in a table by number (open addressing),
 * and each object parsed when first asked, from the file (§7.3.10 "N G obj
 * ... endobj", a stream's data ending where /Length says) or from an
 * object stream (§7.5.7).  Nothing is repaired.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf.h"
#include "pdf_int.h"

void
pdf_doc_free(void *arg)
{
    struct pdf_doc *d = arg;

    free(d->e);
    free(d->listed);
    for (int i = 0; i < d->nost; i++)
        free(d->ost[i].data);
    free(d->pages);
    free(d->page_nums);
}

struct xe *
pdf_slot(struct pdf_doc *d, int num)
{
    unsigned h = (unsigned)num * 2654435761u;

    for (unsigned i = h & (unsigned)(d->cap - 1);; i = (i + 1) & (unsigned)(d->cap - 1))
        if (!d->e[i].busy || d->e[i].num == num)
            return &d->e[i];
}

/* an entry, kept when its number has none yet (the newest section first) */
static int
xadd(struct pdf_doc *d, long long num, int gen, int type, long long off, int idx)
{
    struct xe *x;

    if (num < 0 || num >= (1LL << 31) - 1)
        return HALL_ERR;
    if (d->ne + 1 > d->cap / 2) {
        struct xe *old = d->e;
        int ocap = d->cap;

        if (d->ne >= PDF_XREF_MAX)
            return HALL_ERR;
        d->cap = d->cap ? d->cap * 2 : 1024;
        d->e = calloc((size_t)d->cap, sizeof(*d->e));
        if (d->e == NULL)
            abort();
        for (int i = 0; i < ocap; i++)
            if (old[i].busy)
                *pdf_slot(d, old[i].num) = old[i];
        free(old);
    }
    x = pdf_slot(d, (int)num);
    if (x->busy)
        return HALL_OK;
    x->busy = 1;
    x->num = (int)num;
    x->gen = gen;
    x->type = type;
    x->off = off;
    x->idx = idx;
    d->ne++;
    return HALL_OK;
}

long long
pdf_startxref(const unsigned char *p, long long end)
{
    long long from = end > 1024 ? end - 1024 : 0;

    for (long long i = end - 9; i >= from; i--)
        if (memcmp(p + i, "startxref", 9) == 0) {
            struct pdf_token t;
            long long at = i + 9;

            if (pdf_lex_next(p, &at, end, &t) != PDF_TOK_INT || p[t.a] == '-' || p[t.a] == '+')
                return -1;
            return t.ival;
        }
    return -1;
}

static long long
dict_int(const struct pdf_obj *dict, const char *key, long long def)
{
    const struct pdf_obj *v = pdf_dict_get(dict, key);

    if (v == NULL)
        return def;
    return v->type == PDF_INT ? v->i : -2;
}

/* "N G obj" at *at: its numbers, *at past "obj" */
int
pdf_obj_head(const struct pdf_doc *d, long long *at, long long *num, long long *gen)
{
    struct pdf_token t;

    if (pdf_lex_next(d->p, at, d->end, &t) != PDF_TOK_INT || d->p[t.a] == '-' || d->p[t.a] == '+')
        return HALL_ERR;
    *num = t.ival;
    if (pdf_lex_next(d->p, at, d->end, &t) != PDF_TOK_INT || d->p[t.a] == '-' || d->p[t.a] == '+')
        return HALL_ERR;
    *gen = t.ival;
    if (pdf_lex_next(d->p, at, d->end, &t) != PDF_TOK_KEYWORD || t.b - t.a != 3 ||
        memcmp(d->p + t.a, "obj", 3) != 0)
        return HALL_ERR;
    return HALL_OK;
}

/* an entry appended to the section's list */
static int
sadd(struct pdf_section *s, long long num, int gen, int type, long long off, int idx)
{
    if (num < 0 || num >= (1LL << 31) - 1 || s->n >= PDF_XREF_MAX)
        return HALL_ERR;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->e = realloc(s->e, sizeof(*s->e) * (size_t)s->cap);
        if (s->e == NULL)
            abort();
    }
    s->e[s->n].num = (int)num;
    s->e[s->n].gen = gen;
    s->e[s->n].type = type;
    s->e[s->n].off = off;
    s->e[s->n].idx = idx;
    s->e[s->n].part = s->nstm;
    s->n++;
    return HALL_OK;
}

/* a cross-reference stream at off: its entries, its own object; *trailer
 * its dictionary */
static int
xref_stream(struct pdf_doc *d, long long off, struct pdf_section *sec,
            const struct pdf_obj **trailer)
{
    const struct pdf_obj *s, *w, *idx;
    struct pdf_rinfo ri;
    unsigned char *buf = NULL;
    size_t n = 0, pos = 0;
    long long at = off, num, gen;
    int wv[3], row = 0, nidx, rc = HALL_ERR;

    if (sec->nstm >= 2 || pdf_obj_head(d, &at, &num, &gen) != HALL_OK)
        return HALL_ERR;
    s = pdf_read_at(d, off, -1, -1, &ri);
    if (ri.ext > d->ext)
        d->ext = ri.ext;
    if (s == NULL || s->type != PDF_STREAM || !pdf_is_name(pdf_dict_get(s, "/Type"), "/XRef"))
        return HALL_ERR;
    w = pdf_dict_get(s, "/W");
    if (w == NULL || w->type != PDF_ARRAY || w->n != 3)
        return HALL_ERR;
    for (int k = 0; k < 3; k++) {
        if (w->items[k]->type != PDF_INT || w->items[k]->i < 0 || w->items[k]->i > 8)
            return HALL_ERR;
        wv[k] = (int)w->items[k]->i;
        row += wv[k];
    }
    if (row == 0 || pdf_stream_data(d, s, 0, &buf, &n) != HALL_OK)
        return HALL_ERR;
    sec->nstm++;
    if (s->data < sec->lowest)
        sec->lowest = s->data;
    idx = pdf_dict_get(s, "/Index");
    nidx = idx != NULL && idx->type == PDF_ARRAY ? idx->n : 0;
    if (idx != NULL && (idx->type != PDF_ARRAY || nidx % 2 != 0))
        goto out;
    for (int k = 0; k == 0 || k < nidx; k += 2) {
        long long first = 0, count = dict_int(s, "/Size", -1);

        if (nidx > 0) {
            if (idx->items[k]->type != PDF_INT || idx->items[k + 1]->type != PDF_INT)
                goto out;
            first = idx->items[k]->i;
            count = idx->items[k + 1]->i;
        }
        if (first < 0 || count < 0 || first + count >= (1LL << 31) - 1)
            goto out;
        for (long long i = 0; i < count; i++) {
            unsigned long long f[3] = {wv[0] == 0 ? 1 : 0, 0, 0};

            if (pos + (size_t)row > n)
                goto out;
            for (int fi = 0; fi < 3; fi++)
                if (wv[fi] > 0) {
                    f[fi] = 0;
                    for (int b = 0; b < wv[fi]; b++)
                        f[fi] = f[fi] << 8 | buf[pos++];
                }
            if (f[0] == 2 && (f[1] >= (1ULL << 31) || f[2] >= (1ULL << 31)))
                goto out;
            if (sadd(sec, first + i, f[0] == 2 ? 0 : (int)(f[2] & 0xffff),
                     f[0] > 2 ? PDF_XE_OTHER : (int)f[0], f[0] == 0 ? 0 : (long long)f[1],
                     f[0] == 2 ? (int)f[2] : 0) != HALL_OK)
                goto out;
        }
    }
    if (sadd(sec, num, (int)(gen & 0xffff), PDF_XE_SELF, off, 0) != HALL_OK)
        goto out;
    *trailer = s;
    rc = HALL_OK;
out:
    free(buf);
    return rc;
}

/* the table at off ("xref"), then its trailer's /XRefStm */
static int
xref_table(struct pdf_doc *d, long long off, struct pdf_section *sec,
           const struct pdf_obj **trailer)
{
    const unsigned char *p = d->p;
    long long at = off + 4;
    struct pdf_token t;
    const struct pdf_obj *tr, *xs;

    for (;;) {
        long long first, count, here = at;

        if (pdf_lex_next(p, &here, d->end, &t) == PDF_TOK_KEYWORD && t.b - t.a == 7 &&
            memcmp(p + t.a, "trailer", 7) == 0) {
            at = here;
            break;
        }
        if (t.kind != PDF_TOK_INT)
            return HALL_ERR;
        first = t.ival;
        if (pdf_lex_next(p, &here, d->end, &t) != PDF_TOK_INT)
            return HALL_ERR;
        count = t.ival;
        at = here;
        if (first < 0 || count < 0 || first + count >= (1LL << 31) - 1)
            return HALL_ERR;
        for (long long i = 0; i < count; i++) {
            struct pdf_token o, g, k;

            if (pdf_lex_next(p, &at, d->end, &o) != PDF_TOK_INT ||
                pdf_lex_next(p, &at, d->end, &g) != PDF_TOK_INT ||
                pdf_lex_next(p, &at, d->end, &k) != PDF_TOK_KEYWORD || k.b - k.a != 1 ||
                (p[k.a] != 'n' && p[k.a] != 'f') || o.ival < 0 || g.ival < 0)
                return HALL_ERR;
            if (sadd(sec, first + i, (int)(g.ival & 0xffff), p[k.a] == 'n',
                     p[k.a] == 'n' ? o.ival : 0, 0) != HALL_OK)
                return HALL_ERR;
        }
    }
    tr = pdf_parse(d->pool, p, &at, d->end);
    if (tr == NULL || tr->type != PDF_DICT)
        return HALL_ERR;
    if (at > d->ext)
        d->ext = at;
    xs = pdf_dict_get(tr, "/XRefStm");
    if (xs != NULL) {
        const struct pdf_obj *ignored;

        if (xs->type != PDF_INT || xs->i < 0 || xs->i >= d->end)
            return HALL_ERR;
        if (xs->i < sec->lowest)
            sec->lowest = xs->i;
        if (xref_stream(d, xs->i, sec, &ignored) != HALL_OK)
            return HALL_ERR;
    }
    *trailer = tr;
    return HALL_OK;
}

/* the section at off, its trailer's /Prev (-1 none) */
int
pdf_section_at(struct pdf_doc *d, long long off, struct pdf_section *s)
{
    long long at = pdf_lex_skip(d->p, off, d->end);
    int rc;

    memset(s, 0, sizeof(*s));
    s->lowest = d->end;
    s->prev = -1;
    if (at + 4 <= d->end && memcmp(d->p + at, "xref", 4) == 0)
        rc = xref_table(d, at, s, &s->trailer);
    else
        rc = xref_stream(d, off, s, &s->trailer);
    if (rc == HALL_OK) {
        s->prev = dict_int(s->trailer, "/Prev", -1);
        if (s->prev == -2)
            rc = HALL_ERR;
    }
    return rc;
}

int
pdf_section(struct hall_pool *pool, const unsigned char *p, long long end, long long off,
            struct pdf_section *s)
{
    struct pdf_doc d;

    memset(&d, 0, sizeof(d));
    d.pool = pool;
    d.p = p;
    d.end = end;
    d.npages = -2;
    if (off < 0 || off >= end) {
        memset(s, 0, sizeof(*s));
        return HALL_ERR;
    }
    return pdf_section_at(&d, off, s);
}

void
pdf_section_free(struct pdf_section *s)
{
    free(s->e);
    s->e = NULL;
    s->n = s->cap = 0;
}

static int
xent_cmp(const void *a, const void *b)
{
    const struct pdf_xent *x = a, *y = b;

    if (x->part != y->part)
        return x->part - y->part;
    return (x->num > y->num) - (x->num < y->num);
}

/* the numbers one part of a section (a table, or a stream) lists twice,
 * not both free: readers take the first or the last (pyHanko the last) */
static int
section_twice(const struct pdf_section *s)
{
    struct pdf_xent *c;
    int n = 0, m = 0;

    if (s->n < 2)
        return 0;
    c = malloc(sizeof(*c) * (size_t)s->n);
    if (c == NULL)
        abort();
    for (int i = 0; i < s->n; i++) /* a stream's own entry is not one it lists */
        if (s->e[i].type <= 2)
            c[m++] = s->e[i];
    qsort(c, (size_t)m, sizeof(*c), xent_cmp);
    for (int i = 1; i < m; i++)
        n += c[i].num == c[i - 1].num && c[i].part == c[i - 1].part &&
             (c[i].type != 0 || c[i - 1].type != 0);
    free(c);
    return n;
}

int
pdf_twice(const struct pdf_doc *d)
{
    return d->twice;
}

struct span {
    long long a, b;
};

static int
span_cmp(const void *x, const void *y)
{
    const struct span *s = x, *t = y;

    return (s->a > t->a) - (s->a < t->a);
}

/* "obj" at q of p[0, end) the keyword of an object's head "N G obj": N,
 * its start in *at; -1 not one */
static long long
head_before(const unsigned char *p, long long end, long long q, long long *at)
{
    long long i = q - 1, num = 0, from = 0;

    if (q + 3 < end && !pdf_lex_white(p[q + 3]) && !pdf_lex_delim(p[q + 3]))
        return -1;
    for (int k = 0; k < 2; k++) { /* G, then N: white space before each */
        long long white = 0, digits = 0;

        while (i >= 0 && pdf_lex_white(p[i]))
            i--, white++;
        while (i >= 0 && p[i] >= '0' && p[i] <= '9')
            i--, digits++;
        if (white == 0 || digits == 0 || digits > 10)
            return -1;
        from = i + 1;
    }
    if (i >= 0 && !pdf_lex_white(p[i]) && !pdf_lex_delim(p[i]))
        return -1;
    for (long long j = from; p[j] >= '0' && p[j] <= '9'; j++)
        num = num * 10 + (p[j] - '0');
    *at = from;
    return num;
}

int
pdf_redefined(struct pdf_doc *d)
{
    struct span *sp;
    long long *reach, q = 0;
    int n = 0, found = 0;

    if (d->file != NULL || d->nlisted == 0)
        return 0;
    sp = malloc(sizeof(*sp) * (size_t)d->nlisted);
    if (sp == NULL)
        abort();
    /* what each listed object's text covers, its stream's data included */
    for (int i = 0; i < d->nlisted; i++) {
        const struct pdf_listed *l = &d->listed[i];
        const struct xe *x = pdf_slot(d, l->num);
        struct pdf_rinfo ri;
        const struct pdf_obj *o;

        memset(&ri, 0, sizeof(ri));
        /* the entry the document reads: its object as read (once) */
        if (x->busy && x->type == 1 && x->off == l->off && x->gen == l->gen) {
            o = pdf_get(d, l->num, l->gen);
            ri.ext = o != NULL && o->type != PDF_NULL ? o->b : -1;
        } else {
            o = pdf_read_at(d, l->off, l->num, l->gen, &ri);
        }
        if (o != NULL && o->type == PDF_NULL)
            o = NULL;
        sp[n].a = l->off;
        sp[n].b = o != NULL ? ri.ext : -1; /* -1: up to the next listed one */
        if (o != NULL && o->type == PDF_STREAM && o->data >= 0 && o->data + o->dlen > sp[n].b)
            sp[n].b = o->data + o->dlen;
        n++;
    }
    qsort(sp, (size_t)n, sizeof(*sp), span_cmp);
    for (int i = 0; i < n; i++)
        if (sp[i].b < 0)
            for (int j = i + 1; sp[i].b < 0; j++)
                sp[i].b = j == n ? d->end : sp[j].a > sp[i].a ? sp[j].a : -1;
    reach = malloc(sizeof(*reach) * (size_t)(n > 0 ? n : 1));
    if (reach == NULL)
        abort();
    for (int i = 0; i < n; i++) /* the furthest end of the spans up to i */
        reach[i] = i > 0 && reach[i - 1] > sp[i].b ? reach[i - 1] : sp[i].b;
    while (!found && q < d->end) {
        const unsigned char *h = memmem(d->p + q, (size_t)(d->end - q), "obj", 3);
        long long at, num, lo = 0, hi = n;

        if (h == NULL)
            break;
        q = h - d->p;
        num = head_before(d->p, d->end, q, &at);
        q += 3;
        if (num <= 0 || num >= (1LL << 31) - 1)
            continue;
        while (lo < hi) { /* the spans starting at or before at */
            long long mid = lo + (hi - lo) / 2;

            if (sp[mid].a <= at)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0 && reach[lo - 1] > at)
            continue; /* inside a listed object */
        if (pdf_where(d, (int)num, NULL) != 0)
            found = (int)num;
    }
    free(reach);
    free(sp);
    return found;
}

/* a section's entries into the document, the first of a number kept: a
 * table's entries in use, then its /XRefStm's, then its free ones (a
 * hybrid file's objects in object streams are free in its table) */
static int
section_add(struct pdf_doc *d, const struct pdf_section *s)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < s->n; i++) {
            const struct pdf_xent *x = &s->e[i];
            int late = x->part == 0 && x->type == 0;

            if (x->type == PDF_XE_SELF || x->type == PDF_XE_OTHER || late != pass)
                continue;
            if (xadd(d, x->num, x->gen, x->type, x->off, x->idx) != HALL_OK)
                return HALL_ERR;
        }
    return HALL_OK;
}

int
pdf_prev_walk(const unsigned char *p, long long end,
              int (*visit)(void *arg, long long off, long long *prev), void *arg, char *err,
              size_t errlen)
{
    long long sx = pdf_startxref(p, end), offs[PDF_SECTIONS_MAX];
    int nsec = 0;

    if (sx < 0) {
        snprintf(err, errlen, "no startxref before offset %lld", end);
        return HALL_ERR;
    }
    while (sx >= 0) {
        long long prev = -1;

        for (int i = 0; i < nsec; i++)
            if (offs[i] == sx) {
                snprintf(err, errlen, "the /Prev chain loops at %lld", sx);
                return HALL_ERR;
            }
        if (sx >= end || nsec >= PDF_SECTIONS_MAX) {
            snprintf(err, errlen, "cross-reference section at %lld out of reach", sx);
            return HALL_ERR;
        }
        offs[nsec++] = sx;
        if (visit(arg, sx, &prev) != HALL_OK) {
            snprintf(err, errlen, "cross-reference section at %lld unreadable", sx);
            return HALL_ERR;
        }
        sx = prev;
    }
    return HALL_OK;
}

/* pdf_open's step of the walk: the section at off read into d */
static int
open_section(void *arg, long long off, long long *prev)
{
    struct pdf_doc *d = arg;
    struct pdf_section sec;
    int rc = pdf_section_at(d, off, &sec);

    if (rc == HALL_OK)
        rc = section_add(d, &sec);
    d->twice += rc == HALL_OK ? section_twice(&sec) : 0;
    for (int i = 0; rc == HALL_OK && i < sec.n; i++)
        if (sec.e[i].type == 1) {
            if (d->nlisted == d->caplisted) {
                d->caplisted = d->caplisted ? 2 * d->caplisted : 64;
                d->listed = realloc(d->listed, sizeof(*d->listed) * (size_t)d->caplisted);
                if (d->listed == NULL)
                    abort();
            }
            d->listed[d->nlisted++] = (struct pdf_listed){sec.e[i].off, sec.e[i].num, sec.e[i].gen};
        }
    if (rc == HALL_OK && d->trailer == NULL)
        d->trailer = sec.trailer;
    *prev = sec.prev;
    pdf_section_free(&sec);
    return rc;
}

struct pdf_doc *
pdf_open(struct hall_pool *pool, const unsigned char *p, long long size, long long end, char *err,
         size_t errlen)
{
    struct pdf_doc *d = hall_pcalloc(pool, sizeof(*d));

    d->pool = pool;
    d->p = p;
    d->end = end > 0 && end <= size ? end : size;
    d->npages = -2;
    hall_pool_cleanup(pool, pdf_doc_free, d);
    if (pdf_prev_walk(p, d->end, open_section, d, err, errlen) != HALL_OK)
        return NULL;
    return pdf_doc_readable(d, err, errlen) == HALL_OK ? d : NULL;
}

/* /Encrypt null is none, as libqpdf reads it; anything else but a
 * dictionary cannot be read; no catalog, no document */
int
pdf_doc_readable(struct pdf_doc *d, char *err, size_t errlen)
{
    if (pdf_dict_get(d->trailer, "/Encrypt") != NULL) {
        const struct pdf_obj *enc = pdf_key(d, d->trailer, "/Encrypt");

        if (enc == NULL || enc->type != PDF_NULL) {
            snprintf(err, errlen, "%s",
                     enc != NULL && enc->type == PDF_DICT ? "encrypted" : "/Encrypt unreadable");
            return HALL_ERR;
        }
    }
    if (pdf_root(d) == NULL) {
        snprintf(err, errlen, "no catalog (/Root)");
        return HALL_ERR;
    }
    return HALL_OK;
}

const struct pdf_obj *
pdf_trailer(const struct pdf_doc *d)
{
    return d->trailer;
}

int
pdf_entries(const struct pdf_doc *d)
{
    if (d->file != NULL)
        return d->ventries(d);
    return d->ne;
}

int
pdf_top(const struct pdf_doc *d)
{
    int top = 0;

    if (d->file != NULL)
        return d->vtop(d);
    for (int i = 0; i < d->cap; i++)
        if (d->e[i].busy && d->e[i].type != 0 && d->e[i].num > top)
            top = d->e[i].num;
    return top;
}

const struct pdf_obj *
pdf_root(struct pdf_doc *d)
{
    const struct pdf_obj *r = pdf_key(d, d->trailer, "/Root");

    return r != NULL && r->type == PDF_DICT ? r : NULL;
}

/* the object at off ("N G obj"; num -1: any), a stream's data bounded;
 * ri (when given): the last byte looked at, the /Length it resolved */
const struct pdf_obj *
pdf_read_at(struct pdf_doc *d, long long off, int num, int gen, struct pdf_rinfo *ri)
{
    long long at = off, n, g, data;
    struct pdf_obj *o;
    struct pdf_token t;

    if (ri != NULL)
        memset(ri, 0, sizeof(*ri));
    if (off < 0 || off >= d->end || ++d->reads > PDF_READS_MAX)
        return NULL;
    if (pdf_obj_head(d, &at, &n, &g) != HALL_OK || (num >= 0 && (n != num || g != gen)))
        return NULL;
    o = pdf_parse(d->pool, d->p, &at, d->end);
    if (ri != NULL)
        ri->ext = at;
    if (o == NULL || o->type != PDF_DICT)
        return o;
    data = at;
    if (pdf_lex_next(d->p, &data, d->end, &t) != PDF_TOK_KEYWORD || t.b - t.a != 6 ||
        memcmp(d->p + t.a, "stream", 6) != 0) {
        if (ri != NULL)
            ri->ext = data;
        return o;
    }
    /* the data after the keyword's end of line (CR LF or LF; a lone CR read too) */
    if (data < d->end && d->p[data] == '\r')
        data++;
    if (data < d->end && d->p[data] == '\n')
        data++;
    {
        const struct pdf_obj *len = pdf_dict_get(o, "/Length");

        if (len != NULL && len->type == PDF_REF) {
            if (len->i == num) /* its own length: a loop */
                return NULL;
            if (ri != NULL) {
                ri->lnum = (int)len->i;
                ri->lgen = len->gen;
            }
            if (d->file != NULL && ri != NULL) { /* the view's file resolves it */
                ri->open = o;
                ri->data = data;
                return o;
            }
            len = pdf_resolve(d, len);
        }
        return pdf_stream_end(d, o, data, len, ri);
    }
}

const struct pdf_obj *
pdf_stream_end(struct pdf_doc *d, struct pdf_obj *o, long long data, const struct pdf_obj *len,
               struct pdf_rinfo *ri)
{
    long long l, e;
    struct pdf_token t;

    if (ri != NULL)
        ri->open = NULL;
    if (len == NULL || len->type != PDF_INT || len->i < 0 || len->i > d->end - data)
        return NULL;
    l = len->i;
    e = data + l;
    if (pdf_lex_next(d->p, &e, d->end, &t) != PDF_TOK_KEYWORD || t.b - t.a != 9 ||
        memcmp(d->p + t.a, "endstream", 9) != 0)
        return NULL;
    if (ri != NULL) {
        ri->ext = t.b;
        ri->lval = l;
    }
    o->type = PDF_STREAM;
    o->data = data;
    o->dlen = l;
    return o;
}

/* object stream num (s; NULL: pdf_open's document reads it) decoded
 * (kept, at most PDF_OBJSTM_MAX) */
static struct ostm *
objstm(struct pdf_doc *d, int num, const struct pdf_obj *s)
{
    struct ostm *os;
    long long first, count;

    for (int i = 0; i < d->nost; i++)
        if (d->ost[i].num == num)
            return &d->ost[i];
    if (s == NULL && d->file == NULL) /* pdf_open's own: read here (a view's: given) */
        s = pdf_get(d, num, 0);
    if (s == NULL || s->type != PDF_STREAM || !pdf_is_name(pdf_dict_get(s, "/Type"), "/ObjStm"))
        return NULL;
    first = dict_int(s, "/First", -1);
    count = dict_int(s, "/N", -1);
    if (first < 0 || count < 0 || count > PDF_XREF_MAX)
        return NULL;
    if (d->nost == PDF_OBJSTM_MAX) { /* the oldest let go */
        free(d->ost[0].data);
        memmove(d->ost, d->ost + 1, sizeof(d->ost[0]) * (PDF_OBJSTM_MAX - 1));
        d->nost--;
    }
    os = &d->ost[d->nost];
    memset(os, 0, sizeof(*os));
    if (pdf_stream_data(d, s, 0, &os->data, &os->n) != HALL_OK)
        return NULL;
    if ((size_t)first > os->n) {
        free(os->data);
        return NULL;
    }
    os->num = num;
    os->first = first;
    os->count = (int)count;
    d->nost++;
    return os;
}

const struct pdf_obj *
pdf_read_in_stream(struct pdf_doc *d, int num, int stm, const struct pdf_obj *s, int idx)
{
    struct ostm *os = objstm(d, stm, s);
    const unsigned char *q;
    long long at = 0, off = -1, n;
    struct pdf_token a, b;

    if (os == NULL || idx < 0 || idx >= os->count || ++d->reads > PDF_READS_MAX)
        return NULL;
    q = os->data;
    n = os->first;
    for (int i = 0; i <= idx; i++)
        if (pdf_lex_next(q, &at, n, &a) != PDF_TOK_INT ||
            pdf_lex_next(q, &at, n, &b) != PDF_TOK_INT)
            return NULL;
    if (a.ival != num || b.ival < 0)
        return NULL;
    off = os->first + b.ival;
    if (off >= (long long)os->n)
        return NULL;
    /* the object's text: into the pool, since the decoded data may be let go */
    {
        size_t len = os->n - (size_t)off;
        unsigned char *t = hall_palloc(d->pool, len + 1);
        long long pos = 0;
        struct pdf_obj *o;

        memcpy(t, q + off, len);
        o = pdf_parse(d->pool, t, &pos, (long long)len);
        return o != NULL && o->type != PDF_STREAM ? o : NULL;
    }
}

const struct pdf_obj *
pdf_get(struct pdf_doc *d, int num, int gen)
{
    struct xe *x;
    const struct pdf_obj *o;

    if (d->file != NULL)
        return d->vget(d, num, gen);
    if (num <= 0 || d->cap == 0)
        return &pdf_null;
    x = pdf_slot(d, num);
    if (!x->busy || x->type == 0 || (x->type == 1 && x->gen != gen) || (x->type == 2 && gen != 0))
        return &pdf_null;
    if (x->o != NULL)
        return x->o;
    if (x->busy == 2) /* asked while being read: a loop (a /Length naming its stream) */
        return NULL;
    x->busy = 2;
    o = x->type == 1 ? pdf_read_at(d, x->off, num, gen, NULL)
                     : pdf_read_in_stream(d, num, (int)x->off, NULL, x->idx);
    x = pdf_slot(d, num); /* the table may have moved: it does not (entries are read at open) */
    x->busy = 1;
    x->o = o;
    return o;
}

const struct pdf_obj *
pdf_resolve(struct pdf_doc *d, const struct pdf_obj *o)
{
    for (int hop = 0; o != NULL && o->type == PDF_REF; hop++) {
        if (hop >= 8)
            return NULL;
        o = pdf_get(d, (int)o->i, o->gen);
    }
    return o;
}

const struct pdf_obj *
pdf_key(struct pdf_doc *d, const struct pdf_obj *dict, const char *key)
{
    const struct pdf_obj *v = pdf_dict_get(dict, key);

    return v == NULL ? &pdf_null : pdf_resolve(d, v);
}

/* a filter's parameters with their values resolved (one level) */
static const struct pdf_obj *
parms_resolved(struct pdf_doc *d, const struct pdf_obj *p)
{
    struct pdf_obj *c;

    p = pdf_resolve(d, p);
    if (p == NULL || p->type != PDF_DICT)
        return p;
    c = hall_palloc(d->pool, sizeof(*c));
    *c = *p;
    c->items = hall_palloc(d->pool, sizeof(*c->items) * (size_t)(2 * p->n + 1));
    for (int k = 0; k < p->n; k++) {
        const struct pdf_obj *v = pdf_resolve(d, p->items[2 * k + 1]);

        c->items[2 * k] = p->items[2 * k];
        c->items[2 * k + 1] = (struct pdf_obj *)(v != NULL ? v : &pdf_null);
    }
    return c;
}

int
pdf_stream_data(struct pdf_doc *d, const struct pdf_obj *s, size_t max, unsigned char **out,
                size_t *n)
{
    const struct pdf_obj *filter, *parms, *fs[PDF_FILTERS_MAX], *ps[PDF_FILTERS_MAX];
    int nf = 0;

    if (s == NULL || s->type != PDF_STREAM || s->data < 0)
        return HALL_ERR;
    filter = pdf_key(d, s, "/Filter");
    parms = pdf_key(d, s, "/DecodeParms");
    if (filter == NULL || parms == NULL)
        return HALL_ERR;
    if (filter->type == PDF_ARRAY) {
        if (filter->n > PDF_FILTERS_MAX)
            return HALL_ERR;
        for (int i = 0; i < filter->n; i++) {
            fs[nf] = pdf_resolve(d, filter->items[i]);
            ps[nf++] = parms->type == PDF_ARRAY && i < parms->n ? parms_resolved(d, parms->items[i])
                                                                : NULL;
        }
    } else if (filter->type != PDF_NULL) {
        fs[nf] = filter;
        ps[nf++] = parms_resolved(d, parms);
    }
    return pdf_decode(d->p + s->data, (size_t)s->dlen, fs, ps, nf, max, out, n);
}

const unsigned char *
pdf_stream_raw(const struct pdf_doc *d, const struct pdf_obj *s, size_t *n)
{
    if (s == NULL || s->type != PDF_STREAM || s->data < 0)
        return NULL;
    *n = (size_t)s->dlen;
    return d->p + s->data;
}

int
pdf_where(const struct pdf_doc *d, int num, long long *off)
{
    const struct xe *x;

    if (d->file != NULL)
        return d->vwhere(d, num, off);
    if (num <= 0 || d->cap == 0)
        return 0;
    x = pdf_slot((struct pdf_doc *)d, num);
    if (!x->busy || x->type == 0)
        return 0;
    if (x->type == 1 && off != NULL)
        *off = x->off;
    return x->type;
}
