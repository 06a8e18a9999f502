/*
 * One file's revisions read once (pdf.h, "pdf_file.c"): a file with many
 * incremental updates (64 stamps: 128 revisions) is judged revision by
 * revision, and opening each with pdf_open reads its whole chain of
 * cross-reference sections again (50,000 entries in the first alone) and
 * parses again every object it is asked.  Here each section is read once
 * for every revision's view, and an object once for every view whose
 * entry puts it at the same place, so long as what it was read from is
 * the same for that view:
 *
 * - a section, or an object's text, whose reading looked at no byte past
 *   the view's end (ext); one whose reading met its bound (the lexer's
 *   end) holds for a view of that same end only;
 * - a stream whose /Length names an object: when that object reads as the
 *   same length in the view;
 * - an object of an object stream: when the view's object stream is the
 *   same object, its /Filter and /DecodeParms direct.
 *
 * Only arrays, dictionaries and streams are shared (an integer's reading
 * looks ahead for "G R" past its text).  A view answers as pdf_open's
 * document of the same end answers (the newest entry of a number in the
 * view's chain, the first of a section in pdf_open's order: a table's
 * entries in use, its /XRefStm's, its free ones), with one difference: a
 * section is read alone (pdf_section), so an older cross-reference
 * stream's indirect /Length, which ISO 32000-1 §7.5.8.2 forbids, is not
 * read through the newer sections' entries.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf.h"
#include "pdf_int.h"

/* one section read: its place, what its reading looked at, its entries
 * (into pdf_file's ents, [first, first + n)) */
struct fsec {
    long long off, bnd, ext, prev;
    const struct pdf_obj *trailer;
    int first, n;
};

/* an entry of a section, in pdf_open's order within it (pos) */
struct fent {
    int num, gen, type, idx, sec, pos;
    long long off;
};

/* an object read once: kind 1 in the file at k1; kind 2 item k2 of the
 * object stream object k1 (its address) */
struct fshare {
    int kind, num, gen;
    long long k1, k2;
    const struct pdf_obj *o;
    long long ext, bnd; /* kind 1: what its reading looked at, its bound */
    int lnum;           /* kind 1: its /Length's object (0 direct), as read */
    long long lval;
};

/* a view's chain: rank[section] its place in the chain, -1 not in it */
struct fchain {
    int *rank;
    int nrank, entries;
};

struct pdf_file {
    struct hall_pool *pool;
    const unsigned char *p;
    long long size;
    struct fsec *secs;
    int nsec, capsec;
    struct fent *ents;
    int nents, capents, sorted;
    struct fshare *sh; /* open addressing, capsh a power of 2 */
    int nsh, capsh;
    struct fchain *chains;
    int nchains, capchains;
};

static void
file_free(void *arg)
{
    struct pdf_file *f = arg;

    free(f->secs);
    free(f->ents);
    free(f->sh);
    for (int i = 0; i < f->nchains; i++)
        free(f->chains[i].rank);
    free(f->chains);
}

struct pdf_file *
pdf_file_open(struct hall_pool *pool, const unsigned char *p, long long size)
{
    struct pdf_file *f = hall_pcalloc(pool, sizeof(*f));

    f->pool = pool;
    f->p = p;
    f->size = size;
    hall_pool_cleanup(pool, file_free, f);
    return f;
}

static void *
grown(void *v, int *cap, size_t each, int min)
{
    *cap = *cap ? *cap * 2 : min;
    v = realloc(v, each * (size_t)*cap);
    if (v == NULL)
        abort();
    return v;
}

/* a reading that looked at bytes up to ext with bound bnd holds for end */
static int
holds(long long ext, long long bnd, long long end)
{
    return ext < bnd ? ext <= end : end == bnd;
}

/* the section at off as the view ending at end reads it: its index, -1
 * when it does not read */
static int
section_get(struct pdf_file *f, long long off, long long end)
{
    struct pdf_doc td;
    struct pdf_section s;
    struct fsec *fs;

    for (int i = 0; i < f->nsec; i++)
        if (f->secs[i].off == off && holds(f->secs[i].ext, f->secs[i].bnd, end))
            return i;
    memset(&td, 0, sizeof(td));
    td.pool = f->pool;
    td.p = f->p;
    td.end = end;
    td.npages = -2;
    if (off < 0 || off >= end || pdf_section_at(&td, off, &s) != HALL_OK) {
        pdf_section_free(&s);
        return -1;
    }
    if (f->nsec == f->capsec)
        f->secs = grown(f->secs, &f->capsec, sizeof(*f->secs), 16);
    fs = &f->secs[f->nsec];
    fs->off = off;
    fs->bnd = end;
    fs->ext = td.ext;
    fs->prev = s.prev;
    fs->trailer = s.trailer;
    fs->first = f->nents;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < s.n; i++) {
            const struct pdf_xent *x = &s.e[i];
            struct fent *e;

            if (x->type == PDF_XE_SELF || x->type == PDF_XE_OTHER ||
                (x->part == 0 && x->type == 0) != pass)
                continue;
            if (f->nents == f->capents)
                f->ents = grown(f->ents, &f->capents, sizeof(*f->ents), 1024);
            e = &f->ents[f->nents];
            e->num = x->num;
            e->gen = x->gen;
            e->type = x->type;
            e->idx = x->idx;
            e->off = x->off;
            e->sec = f->nsec;
            e->pos = f->nents++;
        }
    fs->n = f->nents - fs->first;
    f->sorted = 0;
    pdf_section_free(&s);
    return f->nsec++;
}

/* the entries ordered by number, each number's in the order they were
 * read (stable: an LSD radix sort, a byte a pass, the passes whose byte
 * is the same in every entry skipped; 50,000 entries in about 2 M
 * instructions, a tenth of qsort's) */
static void
ents_sort(struct pdf_file *f)
{
    struct fent *tmp = malloc(sizeof(*tmp) * (size_t)(f->nents > 0 ? f->nents : 1)), *a = f->ents,
                *b = tmp;

    if (tmp == NULL)
        abort();
    for (int shift = 0; shift < 32; shift += 8) {
        size_t count[257] = {0};

        for (int i = 0; i < f->nents; i++)
            count[((unsigned)a[i].num >> shift & 0xff) + 1]++;
        if (f->nents == 0 || count[((unsigned)a[0].num >> shift & 0xff) + 1] == (size_t)f->nents)
            continue; /* one value of this byte: already in order by it */
        for (int k = 0; k < 256; k++)
            count[k + 1] += count[k];
        for (int i = 0; i < f->nents; i++)
            b[count[(unsigned)a[i].num >> shift & 0xff]++] = a[i];
        a = b;
        b = a == tmp ? f->ents : tmp;
    }
    if (a != f->ents)
        memcpy(f->ents, a, sizeof(*a) * (size_t)f->nents);
    free(tmp);
    f->sorted = 1;
}

/* the view's entry for num: the newest section of its chain that lists
 * it, the first there; NULL none */
static const struct fent *
lookup(const struct pdf_doc *d, int num)
{
    struct pdf_file *f = d->file;
    const struct fchain *ch = &f->chains[d->chain];
    const struct fent *best = NULL;
    int lo = 0, hi;

    if (!f->sorted)
        ents_sort(f);
    hi = f->nents;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (f->ents[mid].num < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < f->nents && f->ents[lo].num == num; lo++) {
        const struct fent *e = &f->ents[lo];
        int r = e->sec < ch->nrank ? ch->rank[e->sec] : -1;

        if (r >= 0 && (best == NULL || r < ch->rank[best->sec]))
            best = e; /* within a section the first (by pos) stays */
    }
    return best;
}

static struct fshare *
share_slot(struct pdf_file *f, int kind, long long k1, long long k2)
{
    unsigned long long h =
        ((unsigned long long)k1 * 1000003u + (unsigned long long)k2) * 2654435761u;

    if (f->capsh == 0)
        return NULL;
    for (unsigned i = (unsigned)(h >> 7) & (unsigned)(f->capsh - 1);;
         i = (i + 1) & (unsigned)(f->capsh - 1)) {
        struct fshare *s = &f->sh[i];

        if (s->kind == 0 || (s->kind == kind && s->k1 == k1 && s->k2 == k2))
            return s;
    }
}

static void
share_put(struct pdf_file *f, const struct fshare *v)
{
    struct fshare *s;

    if (f->nsh + 1 > f->capsh / 2) {
        struct fshare *old = f->sh;
        int ocap = f->capsh;

        if (f->nsh >= PDF_READS_MAX)
            return;
        f->capsh = f->capsh ? f->capsh * 2 : 1024;
        f->sh = calloc((size_t)f->capsh, sizeof(*f->sh));
        if (f->sh == NULL)
            abort();
        for (int i = 0; i < ocap; i++)
            if (old[i].kind != 0)
                *share_slot(f, old[i].kind, old[i].k1, old[i].k2) = old[i];
        free(old);
    }
    s = share_slot(f, v->kind, v->k1, v->k2);
    if (s->kind == 0)
        f->nsh++;
    *s = *v;
}

/* no reference in o, a few levels down */
static int
direct(const struct pdf_obj *o, int depth)
{
    if (o == NULL)
        return 1;
    if (o->type == PDF_REF || depth > 4)
        return 0;
    if (o->type == PDF_ARRAY || o->type == PDF_DICT || o->type == PDF_STREAM)
        for (int i = 0; i < (o->type == PDF_ARRAY ? o->n : 2 * o->n); i++)
            if (!direct(o->items[i], depth + 1))
                return 0;
    return 1;
}

static const struct pdf_obj *view_get(struct pdf_doc *d, int num, int gen);

/* o resolved in the view, as pdf_resolve does, without leaving this file:
 * an object read never calls back up from pdf_doc.c (issue 62 §2) */
static const struct pdf_obj *
resolved(struct pdf_doc *d, const struct pdf_obj *o)
{
    for (int hop = 0; o != NULL && o->type == PDF_REF; hop++) {
        if (hop >= 8)
            return NULL;
        o = view_get(d, (int)o->i, o->gen);
    }
    return o;
}

/* pdf_read_at on a view, its indirect /Length resolved here */
static const struct pdf_obj *
read_at(struct pdf_doc *d, long long off, int num, int gen, struct pdf_rinfo *ri)
{
    const struct pdf_obj *o = pdf_read_at(d, off, num, gen, ri);
    struct pdf_obj *open = ri->open;
    long long data = ri->data;

    if (o == NULL || open == NULL)
        return o;
    return pdf_stream_end(d, open, data, resolved(d, pdf_dict_get(open, "/Length")), ri);
}

/* object num at off, read once for the views it holds for */
static const struct pdf_obj *
in_file(struct pdf_doc *d, int num, int gen, long long off)
{
    struct pdf_file *f = d->file;
    struct fshare *s = share_slot(f, 1, off, 0), v;
    struct pdf_rinfo ri;
    const struct pdf_obj *o;

    if (s != NULL && s->kind == 1 && s->num == num && s->gen == gen &&
        holds(s->ext, s->bnd, d->end) && off < d->end) {
        if (++d->reads > PDF_READS_MAX)
            return NULL;
        if (s->lnum == 0)
            return s->o;
        o = resolved(d, pdf_dict_get(s->o, "/Length"));
        if (o != NULL && o->type == PDF_INT && o->i == s->lval)
            return s->o;
        d->reads--; /* read again below, counted there */
    }
    o = read_at(d, off, num, gen, &ri);
    if (o != NULL && (o->type == PDF_DICT || o->type == PDF_ARRAY || o->type == PDF_STREAM)) {
        memset(&v, 0, sizeof(v));
        v.kind = 1;
        v.num = num;
        v.gen = gen;
        v.k1 = off;
        v.o = o;
        v.ext = ri.ext;
        v.bnd = d->end;
        v.lnum = ri.lnum;
        v.lval = ri.lval;
        share_put(f, &v);
    }
    return o;
}

/* a /Filter or /DecodeParms resolved here as pdf_stream_data resolves it
 * (copied into the view's pool): the value; an array's items, each
 * parameters' dictionary's values one level */
static const struct pdf_obj *
items_resolved(struct pdf_doc *d, const struct pdf_obj *p, int in_array)
{
    struct pdf_obj *c;
    int n;

    p = resolved(d, p);
    if (p == NULL || !(p->type == PDF_DICT || (p->type == PDF_ARRAY && !in_array)))
        return p;
    n = p->type == PDF_DICT ? 2 * p->n : p->n;
    c = hall_palloc(d->pool, sizeof(*c));
    *c = *p;
    c->items = hall_palloc(d->pool, sizeof(*c->items) * (size_t)(n + 1));
    for (int k = 0; k < n; k++) {
        const struct pdf_obj *v = p->items[k];

        if (p->type == PDF_ARRAY)
            v = items_resolved(d, v, 1);
        else if (k % 2 == 1)
            v = resolved(d, v);
        c->items[k] = (struct pdf_obj *)(v != NULL ? v : &pdf_null);
    }
    return c;
}

/* object stream s with its /Filter and /DecodeParms resolved (a copy);
 * NULL when one does not resolve */
static const struct pdf_obj *
stream_resolved(struct pdf_doc *d, const struct pdf_obj *s)
{
    struct pdf_obj *c = hall_palloc(d->pool, sizeof(*c));

    *c = *s;
    c->items = hall_palloc(d->pool, sizeof(*c->items) * (size_t)(2 * s->n + 1));
    for (int k = 0; k < s->n; k++) {
        const struct pdf_obj *v = s->items[2 * k + 1];

        if (pdf_is_name(s->items[2 * k], "/Filter") ||
            pdf_is_name(s->items[2 * k], "/DecodeParms")) {
            v = items_resolved(d, v, 0);
            /* the value read does not resolve: no data (pdf_stream_data) */
            if (v == NULL && s->items[2 * k + 1] == pdf_dict_get(s, s->items[2 * k]->s))
                return NULL;
        }
        c->items[2 * k] = s->items[2 * k];
        c->items[2 * k + 1] = (struct pdf_obj *)(v != NULL ? v : &pdf_null);
    }
    return c;
}

/* object num, item idx of object stream stm, read once for the views
 * whose object stream is the same object */
static const struct pdf_obj *
in_stream(struct pdf_doc *d, int num, int stm, int idx)
{
    struct pdf_file *f = d->file;
    const struct pdf_obj *s = view_get(d, stm, 0), *o;
    struct fshare *sh, v;
    int shareable = s != NULL && s->type == PDF_STREAM && direct(pdf_dict_get(s, "/Filter"), 0) &&
                    direct(pdf_dict_get(s, "/DecodeParms"), 0);

    if (shareable) {
        sh = share_slot(f, 2, (long long)(uintptr_t)s, idx);
        if (sh != NULL && sh->kind == 2 && sh->num == num) {
            if (++d->reads > PDF_READS_MAX)
                return NULL;
            return sh->o;
        }
    }
    o = pdf_read_in_stream(
        d, num, stm, shareable || s == NULL || s->type != PDF_STREAM ? s : stream_resolved(d, s),
        idx);
    if (shareable && o != NULL) {
        memset(&v, 0, sizeof(v));
        v.kind = 2;
        v.num = num;
        v.k1 = (long long)(uintptr_t)s;
        v.k2 = idx;
        v.o = o;
        share_put(f, &v);
    }
    return o;
}

/* the view's memo slot of num, made when absent */
static struct xe *
memo(struct pdf_doc *d, int num)
{
    struct xe *x;

    if (d->ne + 1 > d->cap / 2) {
        struct xe *old = d->e;
        int ocap = d->cap;

        d->cap = d->cap ? d->cap * 2 : 256;
        d->e = calloc((size_t)d->cap, sizeof(*d->e));
        if (d->e == NULL)
            abort();
        for (int i = 0; i < ocap; i++)
            if (old[i].busy)
                *pdf_slot(d, old[i].num) = old[i];
        free(old);
    }
    x = pdf_slot(d, num);
    if (!x->busy) {
        x->busy = 1;
        x->num = num;
        d->ne++;
    }
    return x;
}

static const struct pdf_obj *
view_get(struct pdf_doc *d, int num, int gen)
{
    const struct fent *e;
    const struct pdf_obj *o;
    struct xe *x;

    if (num <= 0)
        return &pdf_null;
    e = lookup(d, num);
    if (e == NULL || e->type == 0 || (e->type == 1 && e->gen != gen) || (e->type == 2 && gen != 0))
        return &pdf_null;
    x = memo(d, num);
    if (x->o != NULL)
        return x->o;
    if (x->busy == 2) /* asked while being read: a loop */
        return NULL;
    x->busy = 2;
    o = e->type == 1 ? in_file(d, num, gen, e->off) : in_stream(d, num, (int)e->off, e->idx);
    x = pdf_slot(d, num); /* the memo may have grown meanwhile */
    x->busy = 1;
    x->o = o;
    return o;
}

static int
view_where(const struct pdf_doc *d, int num, long long *off)
{
    const struct fent *e = num > 0 ? lookup(d, num) : NULL;

    if (e == NULL || e->type == 0)
        return 0;
    if (e->type == 1 && off != NULL)
        *off = e->off;
    return e->type;
}

static int
view_entries(const struct pdf_doc *d)
{
    struct fchain *ch = &d->file->chains[d->chain];

    if (ch->entries < 0) {
        ch->entries = 0;
        for (int i = 0; i < d->file->nents; i++)
            if ((i == 0 || d->file->ents[i].num != d->file->ents[i - 1].num) &&
                lookup(d, d->file->ents[i].num) != NULL)
                ch->entries++;
    }
    return ch->entries;
}

static int
view_top(const struct pdf_doc *d)
{
    const struct pdf_file *f = d->file;

    if (!f->sorted)
        ents_sort(d->file);
    for (int i = f->nents - 1; i >= 0; i--) {
        const struct fent *e = lookup(d, f->ents[i].num);

        if (e != NULL && e->type != 0)
            return e->num;
    }
    return 0;
}

/* a view's walk: the sections met, their ids */
struct walk {
    struct pdf_doc *d;
    int ids[PDF_SECTIONS_MAX], nsec, *nentries;
};

/* chain_read's step of the walk: the section at off, read once a file */
static int
view_section(void *arg, long long off, long long *prev)
{
    struct walk *w = arg;
    struct pdf_file *f = w->d->file;
    int id = section_get(f, off, w->d->end);

    if (id < 0 || w->nsec >= PDF_SECTIONS_MAX)
        return HALL_ERR;
    w->ids[w->nsec++] = id;
    if (w->d->trailer == NULL)
        w->d->trailer = f->secs[id].trailer;
    *w->nentries += f->secs[id].n;
    *prev = f->secs[id].prev;
    return HALL_OK;
}

/* the view's chain from the startxref before its end (pdf_prev_walk):
 * HALL_OK, its sections' ranks kept; err filled as pdf_open fills it */
static int
chain_read(struct pdf_doc *d, int *nentries, char *err, size_t errlen)
{
    struct pdf_file *f = d->file;
    struct walk w = {.d = d, .nsec = 0, .nentries = nentries};
    struct fchain *ch;

    *nentries = 0;
    if (pdf_prev_walk(f->p, d->end, view_section, &w, err, errlen) != HALL_OK)
        return HALL_ERR;
    if (f->nchains == f->capchains)
        f->chains = grown(f->chains, &f->capchains, sizeof(*f->chains), 8);
    ch = &f->chains[f->nchains];
    ch->nrank = f->nsec;
    ch->entries = -1;
    ch->rank = malloc(sizeof(int) * (size_t)(f->nsec > 0 ? f->nsec : 1));
    if (ch->rank == NULL)
        abort();
    for (int i = 0; i < f->nsec; i++)
        ch->rank[i] = -1;
    for (int i = w.nsec - 1; i >= 0; i--)
        ch->rank[w.ids[i]] = i;
    d->chain = f->nchains++;
    return HALL_OK;
}

struct pdf_doc *
pdf_file_doc(struct pdf_file *f, long long end, char *err, size_t errlen)
{
    struct pdf_doc *d = hall_pcalloc(f->pool, sizeof(*d));
    int nentries;

    d->pool = f->pool;
    d->p = f->p;
    d->end = end > 0 && end <= f->size ? end : f->size;
    d->npages = -2;
    d->file = f;
    d->vget = view_get;
    d->vwhere = view_where;
    d->ventries = view_entries;
    d->vtop = view_top;
    hall_pool_cleanup(f->pool, pdf_doc_free, d);
    if (chain_read(d, &nentries, err, errlen) != HALL_OK)
        return NULL;
    if (nentries > PDF_XREF_MAX) /* it may be over: counted as pdf_open counts */
        return pdf_open(f->pool, f->p, f->size, d->end, err, errlen);
    /* as pdf_open: /Encrypt null is none; no catalog, no document */
    return pdf_doc_readable(d, err, errlen) == HALL_OK ? d : NULL;
}

const struct pdf_obj *
pdf_obj_at(struct pdf_doc *d, long long off, int num, int gen)
{
    struct pdf_rinfo ri;

    return read_at(d, off, num, gen, &ri);
}
