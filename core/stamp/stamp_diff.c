/*
 * What a signature's later revisions change (docs/internals/stamp.md §3,
 * "What may follow a signature").
 *
 * The document as a signature signed it is the file's view at the end of
 * its revision (core/pdf's pdf_file_doc: each section and each object
 * read once for all the signatures' views), the whole file the view at
 * its end; the cross-reference sections written after it are read from
 * the bytes (tables and streams, following /Prev back to the signed
 * revision's own section), and every object they write is compared with
 * the signed revision's: the same object is no change; anything else must
 * be one of the changes a later signature or a document's housekeeping
 * makes (the whitelist, one rule a role: stamp_allow.c's table, pyHanko's
 * diff analysis as the reference), or it is named: page number and kind
 * of object.
 *
 * Objects new to the file are not judged one by one: nothing the viewer
 * shows reaches them but through an object that existed (the catalog, a
 * page, the form), judged with what it now points to, or a reference the
 * signed revision held to a number unused then (filled: stamp_refs.c).
 * Owns: the judgement of what follows a signature (the whitelist) and the
 * names given to what is not allowed.  Follows: ISO 32000-1 §7.5.6
 * (incremental updates: a later revision writes objects again, never edits
 * bytes), §12.7 (interactive forms: the field and widget a later signature
 * adds, §12.7.4.5) and §12.8.2.2 (DocMDP: which changes a certification
 * allows); ETSI EN 319 142-1 clause 5 (the later additions of a PAdES file:
 * a document timestamp, the DSS dictionary).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stamp_int.h"

#define DIFF_STREAM_BYTES (256LL << 20) /* stream bytes compared for one signature */
#define DIFF_REACH_MAX    1000000       /* objects visited, references kept in the walk */

/* ---- object number sets ------------------------------------------------------ */

/* an object number set (a sorted array, malloc'ed) */
struct idset {
    int *v;
    int n, cap;
};

static void
ids_add(struct idset *s, int v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, sizeof(int) * (size_t)s->cap);
        if (s->v == NULL)
            abort();
    }
    s->v[s->n++] = v;
}

static int
int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

static void
ids_sort(struct idset *s)
{
    if (s->n > 1)
        qsort(s->v, (size_t)s->n, sizeof(int), int_cmp);
}

static int
ids_has(const struct idset *s, int v)
{
    return v > 0 && s->n > 0 && bsearch(&v, s->v, (size_t)s->n, sizeof(int), int_cmp) != NULL;
}

static void
ids_free(struct idset *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* a reference from object (from, from_gen) to object to */
struct stamp_edge {
    int from, from_gen, to;
};

/*
 * What one verification's comparisons learn once, for all its signatures:
 * stamp_diff.c's alone (issue 62 §2), opaque to the other files.  The
 * file (in) is stamp_verify.c's, read here and never written.
 */
struct stamp_diff {
    const struct stamp_in *in;
    /* the file read once for every signature's view: in->file, else one
     * opened here (in own_pool) when first asked; opens: 1 once it is */
    struct hall_pool *own_pool;
    struct pdf_file *file;
    int opens;
    /* the whole file: in->fv, else its view made here when first asked */
    struct pdf_doc *fv;
    const char *head; /* the header's version (W2), read once */
    /* the scan of every object's text, once, when a new object is judged
     * (stamp_refs_scan: its result stamp_refs.c's) */
    struct stamp_refs *refs;
    /* the objects the viewer may use (from the catalog, but through
     * /DSS and /Metadata): found once, when needed */
    int reach_done, reach_ok;
    struct idset reach;
    struct stamp_edge *edges; /* the references met on that walk, by target */
    int nedges;
    struct stamp_nsf { /* a field or widget added, judged once */
        int num, page;
        const char *bad; /* in the pool stamp_diff_after was given */
    } * nsf;
    int nnsf, capnsf;
    /* the revision being compared (the view at its end), its trailer's /Size */
    long long p_end, p_size;
    /* the whole file's roles, the same for every signature: read once */
    int f_roles_done;
    int f_root, f_info, f_meta;
    struct idset f_dss; /* objects under the whole file's /DSS, sorted */
};

/* what a signature's comparison holds */
struct dctx {
    struct hall_pool *pool;
    struct stamp_diff *d;
    struct pdf_doc *p, *f; /* the signed revision, the whole file */
    long long stream_bytes;
    /* the signed revision's roles */
    int p_root, p_info, p_meta, p_acro, p_fields, p_ext, f_ext;
    struct idset p_pages;        /* page objects, in page order (unsorted) */
    struct idset p_annots;       /* pages' indirect /Annots arrays, in page order */
    struct idset p_dss;          /* objects under /DSS, sorted (the whole file's: d->f_dss) */
    const struct stamp_xlist *w; /* what the later sections write (by number) */
    /* the changes found: the first few told (a page's first), and a count */
    const char *first;
    const char *told[3];
    int ntold, told_pages, nchanges, ndescribed;
};

/* o resolved in q; an object that does not read is null here (its entry
 * is judged where it is written: judge_all) */
static const struct pdf_obj *
rv(struct pdf_doc *q, const struct pdf_obj *o)
{
    o = o != NULL ? pdf_resolve(q, o) : NULL;
    return o != NULL ? o : &pdf_null;
}

/* key of dictionary o (not a stream's), resolved */
static const struct pdf_obj *
key(struct pdf_doc *q, const struct pdf_obj *o, const char *k)
{
    return o->type == PDF_DICT ? rv(q, pdf_dict_get(o, k)) : &pdf_null;
}

/* the object number key's value names (0 direct or none) */
static int
key_num(const struct pdf_obj *o, const char *k)
{
    return o->type == PDF_DICT ? pdf_ref_num(pdf_dict_get(o, k)) : 0;
}

/* o's /Type, of a stream's dictionary too */
static const struct pdf_obj *
type_of(struct pdf_doc *q, const struct pdf_obj *o)
{
    return o->type == PDF_DICT || o->type == PDF_STREAM ? rv(q, pdf_dict_get(o, "/Type"))
                                                        : &pdf_null;
}

static int
is_null(const struct pdf_obj *o)
{
    return o == NULL || o->type == PDF_NULL;
}

static int
is_dict(const struct pdf_obj *o)
{
    return o != NULL && o->type == PDF_DICT;
}

static int
is_name(const struct pdf_obj *o, const char *name)
{
    return o != NULL && pdf_is_name(o, name);
}

/* a key there whose value is not null, of a dictionary (not a stream) */
static int
has_key(struct pdf_doc *q, const struct pdf_obj *o, const char *k)
{
    return is_dict(o) && pdf_has_key(q, o, k);
}

/* a dictionary's integer: def when absent, -2 when not an integer */
static long long
dict_int(struct pdf_doc *q, const struct pdf_obj *o, const char *k, long long def)
{
    const struct pdf_obj *v;

    if (!is_dict(o) || !pdf_has_key(q, o, k))
        return def;
    v = rv(q, pdf_dict_get(o, k));
    return v->type == PDF_INT ? v->i : -2;
}

/* the keys of a dictionary not null, in byte order (at most 4096) */
static int
dict_keys(struct pdf_doc *q, const struct pdf_obj *o, const char ***out)
{
    int n = is_dict(o) ? pdf_dict_keys(q, o, out) : 0;

    return n < 4096 ? n : 4096;
}

/* q's trailer as a dictionary (a cross-reference stream's: its own) */
static const struct pdf_obj *
trailer_of(struct dctx *c, struct pdf_doc *q)
{
    const struct pdf_obj *t = pdf_trailer(q);
    struct pdf_obj *x;

    if (t == NULL || t->type != PDF_STREAM)
        return t != NULL ? t : &pdf_null;
    x = hall_palloc(c->pool, sizeof(*x));
    *x = *t;
    x->type = PDF_DICT;
    return x;
}

/* object num of the signed revision */
static const struct pdf_obj *
pobj(struct dctx *c, int num, int gen)
{
    return rv(c->p, &(struct pdf_obj){.type = PDF_REF, .i = num, .gen = gen});
}

/* two objects the same: their values (references by number), streams by
 * their dictionary and raw bytes */
static int
same(struct dctx *c, const struct pdf_obj *a, const struct pdf_obj *b)
{
    const unsigned char *x, *y;
    size_t xl = 0, yl = 0;

    if (is_null(a) || is_null(b))
        return is_null(a) && is_null(b);
    if ((a->type == PDF_STREAM) != (b->type == PDF_STREAM))
        return 0;
    if (!pdf_same(c->p, a, c->f, b))
        return 0;
    if (a->type != PDF_STREAM)
        return 1;
    if (c->stream_bytes > DIFF_STREAM_BYTES)
        return 0;
    x = pdf_stream_raw(c->p, a, &xl);
    y = pdf_stream_raw(c->f, b, &yl);
    c->stream_bytes += (long long)(xl + yl);
    return xl == yl && (xl == 0 || memcmp(x, y, xl) == 0);
}

static int
in_list(const char *k, const char *const *list)
{
    for (; list != NULL && *list != NULL; list++)
        if (strcmp(k, *list) == 0)
            return 1;
    return 0;
}

/* object num written by the later sections (or unknown) */
static int
written_later(void *arg, int num)
{
    const struct dctx *c = arg;

    return c->w == NULL || stamp_xlist_has(c->w, num);
}

/* the first key (of either) whose value differs, but for those in skip;
 * NULL when none */
static const char *
dict_differs(struct dctx *c, const struct pdf_obj *a, const struct pdf_obj *b,
             const char *const *skip)
{
    const char **ka, **kb;
    int na = dict_keys(c->p, a, &ka), nb = dict_keys(c->f, b, &kb), i;

    for (i = 0; i < na; i++)
        if (!in_list(ka[i], skip)) {
            const struct pdf_obj *y = is_dict(b) ? pdf_dict_get(b, ka[i]) : NULL;

            if (!pdf_same(c->p, pdf_dict_get(a, ka[i]), c->f, y != NULL ? y : &pdf_null))
                return ka[i];
        }
    for (i = 0; i < nb; i++)
        if (!in_list(kb[i], skip) && !has_key(c->p, a, kb[i]))
            return kb[i];
    return NULL;
}

/* a change found: the first three different ones are told, those of a page
 * (what a reader sees) before the others */
static void
change(struct dctx *c, const char *what)
{
    int page = strncmp(what, "第", strlen("第")) == 0, i;

    c->nchanges++;
    for (i = 0; i < c->ntold; i++)
        if (strcmp(c->told[i], what) == 0)
            return;
    if (c->ntold == 3 && (!page || c->told_pages == 3))
        return;
    if (c->ntold == 3)
        c->ntold--; /* the last one that is not a page's goes */
    for (i = c->ntold; i > (page ? c->told_pages : c->ntold); i--)
        c->told[i] = c->told[i - 1];
    c->told[page ? c->told_pages : c->ntold] = what;
    c->ntold++;
    c->told_pages += page;
}

/* num among the items of array a (resolved), at most 1000 looked at */
static int
item_is(const struct pdf_obj *a, int num)
{
    for (int j = 0; a->type == PDF_ARRAY && j < a->n && j < 1000; j++)
        if (pdf_ref_num(a->items[j]) == num)
            return 1;
    return 0;
}

/* the page (1-based) of the signed revision that object num is, or whose
 * contents, resources or annotations it is; *kind says which */
static int
page_of(struct dctx *c, int num, const char **kind)
{
    struct pdf_doc *p = c->p;

    for (int i = 0; i < c->p_pages.n; i++) {
        const struct pdf_obj *pg = pobj(c, c->p_pages.v[i], 0), *r;

        if (c->p_pages.v[i] == num) {
            *kind = "页面";
            return i + 1;
        }
        if (key_num(pg, "/Contents") == num || item_is(key(p, pg, "/Contents"), num)) {
            *kind = "内容";
            return i + 1;
        }
        r = key(p, pg, "/Resources");
        if (key_num(pg, "/Resources") == num) {
            *kind = "资源";
            return i + 1;
        }
        for (int j = 0; j < 2; j++) {
            const char *sk = j == 0 ? "/XObject" : "/Font";
            const struct pdf_obj *sub = key(p, r, sk);
            const char **ks;
            int nk = dict_keys(p, sub, &ks);

            if (key_num(r, sk) == num) {
                *kind = "资源";
                return i + 1;
            }
            for (int k = 0; k < nk && k < 1000; k++)
                if (pdf_ref_num(pdf_dict_get(sub, ks[k])) == num) {
                    *kind = j == 0 ? "图像或表单对象" : "字体";
                    return i + 1;
                }
        }
        if (key_num(pg, "/Annots") == num || item_is(key(p, pg, "/Annots"), num)) {
            *kind = "注释";
            return i + 1;
        }
    }
    return 0;
}

/* what object num was, in words, for the change found in it (the first
 * few: each looks through the pages) */
static const char *
described(struct dctx *c, int num, const struct pdf_obj *old, int removed)
{
    const char *kind = NULL, *verb = removed ? "被删除" : "被修改";
    const struct pdf_obj *t;
    int pg;

    if (++c->ndescribed > 16)
        return hall_psprintf(c->pool, "对象%d%s", num, verb);
    pg = page_of(c, num, &kind);

    if (pg > 0) {
        if (strcmp(kind, "页面") == 0)
            return hall_psprintf(c->pool, "第%d页%s", pg, removed ? "被删除" : "的页面字典被修改");
        /* a widget is what the reader sees as a form field */
        if (strcmp(kind, "注释") == 0 && is_dict(old) &&
            is_name(key(c->p, old, "/Subtype"), "/Widget"))
            kind = "表单域";
        return hall_psprintf(c->pool, "第%d页的%s%s", pg, kind, verb);
    }
    t = type_of(c->p, old);
    if (is_name(t, "/Pages")) {
        int fp = pdf_page_count(c->f);

        return fp != c->p_pages.n
                   ? hall_psprintf(c->pool, "页数被改变（%d页变为%d页）", c->p_pages.n, fp)
                   : "页面树被修改（页面被替换或重排）";
    }
    if (is_name(t, "/Annot"))
        return hall_psprintf(c->pool, "注释%s", verb);
    if (t->type == PDF_NAME)
        return hall_psprintf(c->pool, "对象%d（%s）%s", num, t->s, verb);
    return hall_psprintf(c->pool, "对象%d%s", num, verb);
}

/* the report's signature whose field (or /V) is this one: its index, 0
 * none; fid the field's number (0 direct) */
static int
sig_of(struct dctx *c, const struct pdf_obj *field, int fid)
{
    int vid = key_num(field, "/V");

    for (int i = 0; i < c->d->in->rep->nsigs; i++) {
        const struct hall_stamp_sig *s = &c->d->in->rep->sigs[i];

        if ((fid > 0 && s->obj_field == fid) || (vid > 0 && s->obj_v == vid))
            return i + 1;
    }
    return 0;
}

/* num a signature's /V, found and checked: one that does not read fails
 * its check 1 and is told so there (其后追加的签章N无效) */
static int
sig_v(struct dctx *c, int num)
{
    for (int i = 0; num > 0 && i < c->d->in->rep->nsigs; i++)
        if (c->d->in->rep->sigs[i].obj_v == num)
            return 1;
    return 0;
}

/*
 * A signature field (or its widget) the update adds, in the whole file
 * (object num, 0 direct): NULL when it may be added (a field of /FT /Sig
 * whose signature is intact, or an unsigned one nobody sees), else what is
 * wrong.
 */
static const char *
new_sig_field(struct dctx *c, const struct pdf_obj *w, int num, int page)
{
    struct pdf_doc *f = c->f;
    const struct pdf_obj *field = w, *sub = key(f, w, "/Subtype");
    int k, fid = num;

    if (page > 0 && !is_name(sub, "/Widget"))
        return hall_psprintf(c->pool, "第%d页新增了注释（%s）", page,
                             sub->type == PDF_NAME ? sub->s : "未知类型");
    if (!has_key(f, field, "/FT") && is_dict(key(f, w, "/Parent"))) {
        fid = key_num(w, "/Parent");
        field = key(f, w, "/Parent");
    }
    if (!is_name(key(f, field, "/FT"), "/Sig"))
        return page > 0 ? hall_psprintf(c->pool, "第%d页新增了表单域", page) : "新增了表单域";
    /* an action runs when the page opens or the widget is seen: a script
     * may change what the page shows */
    if (has_key(f, w, "/A") || has_key(f, w, "/AA") || has_key(f, field, "/AA"))
        return page > 0 ? hall_psprintf(c->pool, "第%d页新增的签名域带有动作（/A、/AA）", page)
                        : "新增的签名域带有动作（/A、/AA）";
    if (!is_dict(key(f, field, "/V")) && !sig_v(c, key_num(field, "/V")))
        return stamp_allow_visible(f, w)
                   ? (page > 0 ? hall_psprintf(c->pool, "第%d页新增了可见的未签名签名域", page)
                               : "新增了可见的未签名签名域")
                   : NULL;
    k = sig_of(c, field, fid);
    if (k == 0)
        return "新增了无法核验的签名";
    {
        const struct hall_stamp_sig *s = &c->d->in->rep->sigs[k - 1];

        if (s->range != HALL_STAMP_PASS || s->digest != HALL_STAMP_PASS ||
            (s->signature != HALL_STAMP_PASS && s->signature != HALL_STAMP_CANNOT))
            return hall_psprintf(c->pool, "其后追加的签章%d无效（%s），其修订中的改动不予认可",
                                 s->index,
                                 s->problem != NULL && s->problem[0] ? s->problem : "签名无法验证");
    }
    return NULL;
}

/* new_sig_field of the whole file's object: the same for every signature
 * that sees it added (each of 64 stamps sees the later ones' widgets),
 * judged once per file */
static const char *
new_sig_field_once(struct dctx *c, int num, const struct pdf_obj *item, int page)
{
    struct stamp_diff *d = c->d;
    const char *bad;
    int i;

    for (i = 0; i < d->nnsf; i++)
        if (d->nsf[i].num == num && d->nsf[i].page == page)
            return d->nsf[i].bad;
    bad = new_sig_field(c, rv(c->f, item), num, page);
    if (num > 0 && d->nnsf < 4096) {
        if (d->nnsf == d->capnsf) {
            d->capnsf = d->capnsf ? d->capnsf * 2 : 64;
            d->nsf = realloc(d->nsf, sizeof(*d->nsf) * (size_t)d->capnsf);
            if (d->nsf == NULL)
                abort();
        }
        d->nsf[d->nnsf].num = num;
        d->nsf[d->nnsf].page = page;
        d->nsf[d->nnsf].bad = bad;
        d->nnsf++;
    }
    return bad;
}

/* old items of an array (/Annots, /Fields) all kept in their order, each
 * added one judged by new_sig_field (page for /Annots, 0 for /Fields); a
 * of the signed revision, b of the whole file, both resolved */
static void
array_grown(struct dctx *c, const struct pdf_obj *a, const struct pdf_obj *b, int page,
            const char *what)
{
    int na = a->type == PDF_ARRAY ? a->n : 0, nb = b->type == PDF_ARRAY ? b->n : 0, i = 0, j;

    if (is_null(b) && !is_null(a)) {
        change(c, hall_psprintf(c->pool, "%s被删除", what));
        return;
    }
    if ((!is_null(a) && a->type != PDF_ARRAY) || b->type != PDF_ARRAY) {
        change(c, hall_psprintf(c->pool, "%s被修改", what));
        return;
    }
    for (j = 0; j < nb && j < 20000; j++) {
        const char *bad;
        int id = pdf_ref_num(b->items[j]);

        if (i < na && pdf_same(c->p, a->items[i], c->f, b->items[j])) {
            i++;
            continue;
        }
        /* an item the signed revision did not have: a new object */
        if (id == 0 || !is_null(pdf_get(c->p, id, 0))) {
            change(c, hall_psprintf(c->pool, "%s被修改", what));
            return;
        }
        bad = new_sig_field_once(c, id, b->items[j], page);
        if (bad != NULL) {
            change(c, bad);
            return;
        }
    }
    if (i < na)
        change(c, hall_psprintf(c->pool, "%s中的项被删除", what));
}

/* the page's dictionary: only /Annots may change, grown by signatures */
static void
page_judged(struct dctx *c, int pg, const struct pdf_obj *a, const struct pdf_obj *b)
{
    const char *k = dict_differs(c, a, b, stamp_allow[STAMP_ALLOW_PAGE].keys);
    int x;

    if (k != NULL) {
        change(c, strcmp(k, "/Contents") == 0 ? hall_psprintf(c->pool, "第%d页的内容被修改", pg)
                  : strcmp(k, "/Resources") == 0
                      ? hall_psprintf(c->pool, "第%d页的资源被修改", pg)
                      : hall_psprintf(c->pool, "第%d页的页面字典被修改（%s）", pg, k));
        return;
    }
    /* the same indirect array: judged as its own object, if written */
    x = key_num(a, "/Annots");
    if (x > 0 && x == key_num(b, "/Annots"))
        return;
    array_grown(c, key(c->p, a, "/Annots"), key(c->f, b, "/Annots"), pg,
                hall_psprintf(c->pool, "第%d页的注释", pg));
}

/* the form: a of the signed revision, b of the whole file (resolved) */
static void
acroform_judged(struct dctx *c, const struct pdf_obj *a, const struct pdf_obj *b)
{
    const struct pdf_obj *na = key(c->p, a, "/NeedAppearances"),
                         *nb = key(c->f, b, "/NeedAppearances");
    int redraw = (na->type == PDF_BOOL && na->i) || (nb->type == PDF_BOOL && nb->i), x, seen = 0;
    const char *k;

    /* /DA and /DR draw a text or choice field of the signed form too */
    redraw |= is_dict(a) && stamp_allow_variable_text(c->p, pdf_dict_get(a, "/Fields"), 0, &seen);

    if (is_null(a) && is_null(b))
        return;
    if (!is_dict(b)) {
        change(c, "表单（AcroForm）被删除");
        return;
    }
    k = dict_differs(c, a, b,
                     stamp_allow[redraw ? STAMP_ALLOW_FORM_REDRAW : STAMP_ALLOW_FORM].keys);
    if (k != NULL) {
        change(c, hall_psprintf(c->pool, "表单（AcroForm）被修改（%s）", k));
        return;
    }
    x = key_num(a, "/Fields");
    if (x > 0 && x == key_num(b, "/Fields"))
        return;
    array_grown(c, key(c->p, a, "/Fields"), key(c->f, b, "/Fields"), 0, "表单域列表");
}

static void
catalog_judged(struct dctx *c)
{
    struct stamp_diff *d = c->d;
    const struct stamp_in *in = d->in;
    const struct pdf_obj *a = rv(c->p, pdf_dict_get(trailer_of(c, c->p), "/Root")),
                         *b = rv(c->f, pdf_dict_get(trailer_of(c, c->f), "/Root")), *x, *y;
    const char *k;
    struct stamp_signed sg = {in, c->p, d->p_end, NULL, d->refs, c->p_root, 0, c->w, -1, -1};

    sg.written = c->p_root != d->f_root || written_later(c, d->f_root);
    sg.raw_a = stamp_refs_offset(d->refs, c->p_root, d->p_end);
    sg.raw_b = stamp_refs_offset(d->refs, d->f_root, -1);
    k = stamp_allow_catalog_differs(c->pool, &sg);
    /* what the catalog may hold new is checked for its shape: a version
     * raised, developer extensions, a /DSS of evidence (W2, W3, W12) */
    if (k == NULL && in->pf != NULL && pdf_root(in->pf) != NULL && d->head == NULL)
        d->head = pdf_header_version(c->pool, in->map, in->size);
    sg.head = d->head;
    if (k == NULL && !stamp_allow_catalog_version(c->pool, &sg))
        k = "/Version";
    if (k == NULL && stamp_allow_catalog_touched(c->pool, &sg, "/Extensions") &&
        !stamp_allow_extensions(in->pf, stamp_froot_key(in, "/Extensions")))
        k = "/Extensions";
    if (k == NULL && stamp_allow_catalog_touched(c->pool, &sg, "/DSS") &&
        !stamp_allow_dss(in->pf, stamp_froot_key(in, "/DSS")))
        k = "/DSS";
    if (k != NULL) {
        change(c, hall_psprintf(c->pool, "文档目录（Catalog）被修改（%s）", k));
        return;
    }
    x = is_dict(a) ? pdf_dict_get(a, "/AcroForm") : NULL;
    y = is_dict(b) ? pdf_dict_get(b, "/AcroForm") : NULL;
    if (pdf_ref_num(x) > 0 && pdf_ref_num(x) == pdf_ref_num(y))
        return; /* judged as its own object, if written */
    if (!pdf_same(c->p, x != NULL ? x : &pdf_null, c->f, y != NULL ? y : &pdf_null) ||
        pdf_ref_num(y) > 0)
        acroform_judged(c, rv(c->p, x), rv(c->f, y));
}

static int
edge_cmp(const void *a, const void *b)
{
    const struct stamp_edge *x = a, *y = b;

    return (x->to > y->to) - (x->to < y->to);
}

/* one step of the walk: a value and the object holding it */
struct wstep {
    const struct pdf_obj *o;
    int by, by_gen;
};

/* a dictionary's (or a stream's) keys not null, in byte order (at most 4096) */
static int
any_keys(struct pdf_doc *q, const struct pdf_obj *o, const char ***ks)
{
    const struct pdf_obj x = {.type = PDF_DICT, .n = o->n, .items = o->items};

    return dict_keys(q, &x, ks);
}

/*
 * One walk of the whole file from the catalog, but through /DSS,
 * /Metadata and /Extensions: the ids a reader may use (into d->reach) and every reference
 * between objects on the way (d->edges, by target); HALL_ERR past
 * DIFF_REACH_MAX visits or references.
 */
static int
reach(struct dctx *c, struct stamp_diff *d)
{
    struct pdf_doc *f = c->f;
    struct wstep *stack;
    int n = 0, cap = 1024, seen = 0, rc = HALL_OK, ecap = 0;
    long long size = dict_int(f, trailer_of(c, f), "/Size", -1);
    char *mark;

    if (size <= 0 || size > 8000000)
        return HALL_ERR;
    mark = calloc((size_t)size + 1, 1);
    stack = malloc(sizeof(*stack) * (size_t)cap);
    if (stack == NULL || mark == NULL)
        abort();
    stack[n++] = (struct wstep){pdf_dict_get(trailer_of(c, f), "/Root"), 0, 0};
    while (n > 0) {
        struct wstep st = stack[--n];
        const struct pdf_obj *o = st.o;
        int id = pdf_ref_num(o), isroot = id == d->f_root, by = st.by, by_gen = st.by_gen;

        if (o == NULL)
            continue;
        if (id > 0) {
            if (++seen > DIFF_REACH_MAX) {
                rc = HALL_ERR;
                break;
            }
            if (id > size || mark[id])
                continue;
            mark[id] = 1;
            ids_add(&d->reach, id);
            by = id;
            by_gen = o->gen;
            o = rv(f, o);
        }
        if (o->type == PDF_ARRAY || o->type == PDF_DICT || o->type == PDF_STREAM) {
            const char **ks = NULL;
            int arr = o->type == PDF_ARRAY;
            int m = arr ? o->n : any_keys(f, o, &ks);

            for (int i = 0; i < m; i++) {
                const struct pdf_obj *it;
                int to;

                if (!arr && isroot &&
                    (strcmp(ks[i], "/DSS") == 0 || strcmp(ks[i], "/Metadata") == 0 ||
                     strcmp(ks[i], "/Extensions") == 0))
                    continue;
                if (arr) {
                    it = o->items[i];
                } else {
                    const struct pdf_obj x = {.type = PDF_DICT, .n = o->n, .items = o->items};

                    it = pdf_dict_get(&x, ks[i]);
                }
                to = pdf_ref_num(it);
                if (to > 0 && by > 0) {
                    if (d->nedges == ecap) {
                        if (ecap >= DIFF_REACH_MAX) {
                            rc = HALL_ERR;
                            goto out;
                        }
                        ecap = ecap ? ecap * 2 : 4096;
                        d->edges = realloc(d->edges, sizeof(*d->edges) * (size_t)ecap);
                        if (d->edges == NULL)
                            abort();
                    }
                    d->edges[d->nedges].from = by;
                    d->edges[d->nedges].from_gen = by_gen;
                    d->edges[d->nedges].to = to;
                    d->nedges++;
                }
                if (to == 0 && it->type != PDF_ARRAY && it->type != PDF_DICT)
                    continue;
                if (n == cap) {
                    if (cap >= DIFF_REACH_MAX) {
                        rc = HALL_ERR;
                        goto out;
                    }
                    cap *= 2;
                    stack = realloc(stack, sizeof(*stack) * (size_t)cap);
                    if (stack == NULL)
                        abort();
                }
                stack[n++] = (struct wstep){it, by, by_gen};
            }
        }
    }
out:
    free(stack);
    free(mark);
    ids_sort(&d->reach);
    if (d->nedges > 1)
        qsort(d->edges, (size_t)d->nedges, sizeof(*d->edges), edge_cmp);
    return rc;
}

/* the walk, once per file */
static int
walked(struct dctx *c)
{
    struct stamp_diff *d = c->d;

    if (!d->reach_done) {
        d->reach_done = 1;
        d->reach_ok = reach(c, d) == HALL_OK;
    }
    return d->reach_ok;
}

/* a reference num gen R in o, its direct values gone into */
static int
names(const struct pdf_obj *o, int num, int gen, int depth)
{
    if (o == NULL || depth > PDF_DEPTH_MAX)
        return 0;
    if (o->type == PDF_REF)
        return o->i == num && o->gen == gen;
    if (o->type == PDF_ARRAY || o->type == PDF_DICT || o->type == PDF_STREAM)
        for (int i = 0; i < (o->type == PDF_ARRAY ? o->n : 2 * o->n); i++)
            if (names(o->items[i], num, gen, depth + 1))
                return 1;
    return 0;
}

/*
 * A new object (num, gen) that an object of the signed revision already
 * pointed to, when it did not exist: a reference left dangling on purpose
 * (a page's /Contents [5 0 R 99 0 R]), filled after signing.  Its
 * referrers in the whole file are looked at as they were signed.
 */
static void
filled(struct dctx *c, int num, int gen)
{
    const struct stamp_diff *d = c->d;
    struct stamp_edge k = {0, 0, num};
    const struct stamp_edge *e;

    /* no object of the signed revision names num: nothing to look for */
    if (stamp_refs_none(d->refs, num, d->p_end, d->p_size))
        return;
    if (!walked(c)) {
        change(c, "文档结构过大，未能核验签章后加入的对象");
        return;
    }
    e = d->nedges > 0 ? bsearch(&k, d->edges, (size_t)d->nedges, sizeof(*e), edge_cmp) : NULL;
    if (e == NULL)
        return;
    while (e > d->edges && e[-1].to == num)
        e--;
    for (; e < d->edges + d->nedges && e->to == num; e++) {
        const struct pdf_obj *old = pobj(c, e->from, e->from_gen);
        const char *kind = NULL;
        int pg;

        if (is_null(old) || !names(old, num, gen, 0))
            continue;
        pg = page_of(c, e->from, &kind);
        change(c,
               pg > 0
                   ? hall_psprintf(c->pool, "第%d页的%s引用了签章后才加入的对象%d", pg, kind, num)
                   : hall_psprintf(c->pool, "对象%d引用了签章后才加入的对象%d", e->from, num));
        return;
    }
}

/* the indirect objects under o (the /DSS), a few levels down */
static void
collect(struct pdf_doc *q, const struct pdf_obj *o, int depth, struct idset *out)
{
    int id = pdf_ref_num(o);

    if (id > 0) {
        for (int i = 0; i < out->n; i++)
            if (out->v[i] == id)
                return;
        ids_add(out, id);
    }
    if (depth > 4 || out->n > 20000)
        return;
    o = rv(q, o);
    if (o->type == PDF_ARRAY) {
        for (int i = 0; i < o->n && i < 20000; i++)
            collect(q, o->items[i], depth + 1, out);
    } else if (o->type == PDF_DICT) {
        const char **ks;
        int n = dict_keys(q, o, &ks);

        for (int i = 0; i < n; i++)
            collect(q, pdf_dict_get(o, ks[i]), depth + 1, out);
    }
}

static void
roles_read(struct dctx *c)
{
    struct stamp_diff *d = c->d;
    struct pdf_doc *p = c->p, *f = c->f;
    const struct pdf_obj *ptr = trailer_of(c, p), *ftr = trailer_of(c, f);
    const struct pdf_obj *rootref = pdf_dict_get(ptr, "/Root");
    const struct pdf_obj *root = rv(p, rootref), *acro = key(p, root, "/AcroForm");
    int n = pdf_page_count(p);

    c->p_root = pdf_ref_num(rootref);
    c->p_info = key_num(ptr, "/Info");
    c->p_meta = key_num(root, "/Metadata");
    c->p_ext = key_num(root, "/Extensions");
    c->f_ext = key_num(rv(f, pdf_dict_get(ftr, "/Root")), "/Extensions");
    c->p_acro = key_num(root, "/AcroForm");
    c->p_fields = key_num(acro, "/Fields");
    for (int i = 0; i < n; i++) {
        int num = 0;
        const struct pdf_obj *pg = pdf_page(p, i + 1, &num);

        ids_add(&c->p_pages, num);
        ids_add(&c->p_annots, pg != NULL ? key_num(pg, "/Annots") : 0);
    }
    collect(p, is_dict(root) ? pdf_dict_get(root, "/DSS") : NULL, 0, &c->p_dss);
    ids_sort(&c->p_dss);
    if (!d->f_roles_done++) { /* the whole file's: the same for every signature */
        rootref = pdf_dict_get(ftr, "/Root");
        root = rv(f, rootref);
        d->f_root = pdf_ref_num(rootref);
        d->f_info = key_num(ftr, "/Info");
        d->f_meta = key_num(root, "/Metadata");
        collect(f, is_dict(root) ? pdf_dict_get(root, "/DSS") : NULL, 0, &d->f_dss);
        ids_sort(&d->f_dss);
    }
}

/* an object only the /Info, /Metadata, /DSS or /Extensions use: nothing
 * shows it */
static int
unseen(struct dctx *c, int num)
{
    return walked(c) && !ids_has(&c->d->reach, num);
}

/* the index in the signed revision's pages of num, or its /Annots; 0 none */
static int
page_index(const struct idset *s, int num)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == num && num > 0)
            return i + 1;
    return 0;
}

static int
is_type(struct pdf_doc *q, const struct pdf_obj *o, const char *t)
{
    return is_name(type_of(q, o), t);
}

/* an unsigned signature field of the signed revision (or its widget) */
static int
empty_sig_field(struct pdf_doc *q, const struct pdf_obj *o)
{
    const struct pdf_obj *fld = has_key(q, o, "/FT") ? o : key(q, o, "/Parent");

    return is_name(key(q, fld, "/FT"), "/Sig") && !has_key(q, fld, "/V");
}

/* the file read once for every signature's view: the verifier's, else
 * opened here */
static struct pdf_file *
file_of(struct stamp_diff *d)
{
    if (d->file == NULL)
        d->file = d->in->file;
    if (d->file == NULL) {
        d->own_pool = hall_pool_create(65536);
        d->file = pdf_file_open(d->own_pool, d->in->map, d->in->size);
    }
    if (d->opens == 0)
        d->opens = 1;
    return d->file;
}

/* W9: the signature (1-based) whose own revision alone wrote old as new */
static int
filled_by(struct dctx *c, int num, int gen, const struct pdf_obj *old, const struct pdf_obj *new)
{
    const struct pdf_obj *field = new;
    int fid = num, k;

    if (!has_key(c->f, field, "/FT") && is_dict(key(c->f, new, "/Parent"))) {
        fid = key_num(new, "/Parent");
        field = key(c->f, new, "/Parent");
    }
    if (!has_key(c->f, field, "/V") || (k = sig_of(c, field, fid)) == 0)
        return 0;
    return stamp_allow_filled_in(file_of(c->d), c->d->in, c->d->p_end,
                                 c->d->in->rep->sigs[k - 1].revision_end, num, gen, c->p, old, c->f,
                                 new)
               ? k
               : 0;
}

/* one object the later revisions wrote that is not what was signed */
static void
changed(struct dctx *c, int num, int gen, const struct pdf_obj *old, const struct pdf_obj *new,
        int removed)
{
    struct pdf_doc *p = c->p, *f = c->f;
    int pg;

    if ((pg = page_index(&c->p_pages, num)) > 0) {
        if (removed)
            change(c, hall_psprintf(c->pool, "第%d页被删除", pg));
        else
            page_judged(c, pg, old, new);
        return;
    }
    if ((pg = page_index(&c->p_annots, num)) > 0) {
        array_grown(c, old, new, pg, hall_psprintf(c->pool, "第%d页的注释", pg));
        return;
    }
    if (num == c->p_acro) {
        acroform_judged(c, old, new);
        return;
    }
    if (num == c->p_fields) {
        array_grown(c, old, new, 0, "表单域列表");
        return;
    }
    /* an old cross-reference stream that nothing reaches (W13: one a page
     * names is what that page shows, judged as any object).  An old
     * object stream is another matter: the objects the signed revision
     * keeps in it would be read from the new one without any entry of
     * theirs being written */
    if (is_type(p, old, "/XRef") &&
        (is_type(f, new, "/ObjStm") || is_type(f, new, "/XRef") || is_null(new)) && unseen(c, num))
        return;
    if (is_type(p, old, "/ObjStm")) {
        change(c, hall_psprintf(c->pool, "对象流%d（其中的对象）被修改", num));
        return;
    }
    if ((num == c->p_info || num == c->d->f_info || num == c->p_meta || num == c->d->f_meta ||
         ids_has(&c->p_dss, num) || ids_has(&c->d->f_dss, num)) &&
        unseen(c, num))
        return;
    /* an indirect /Extensions written again: only its shape is judged
     * (W3), when nothing but the catalog's /Extensions reaches it */
    if ((num == c->p_ext || num == c->f_ext) && unseen(c, num) &&
        stamp_allow_extensions(c->d->in->pf, stamp_froot_key(c->d->in, "/Extensions")))
        return;
    /* W9: an empty field changes only in the revision of the signature filling it */
    if (empty_sig_field(p, old) && is_dict(new)) {
        static const char *const none[] = {NULL};
        const char *k = dict_differs(c, old, new,
                                     filled_by(c, num, gen, old, new) > 0
                                         ? stamp_allow[STAMP_ALLOW_FILLED].keys
                                         : none),
                   *bad;

        if (k != NULL) {
            change(c, hall_psprintf(c->pool, "签名域被修改（%s）", k));
            return;
        }
        bad = new_sig_field(c, new, num, 0);
        if (bad != NULL)
            change(c, bad);
        return;
    }
    change(c, described(c, num, old, removed));
}

/* every object the later sections write, judged against the signed revision */
static void
judge_all(struct dctx *c, struct stamp_xlist *l, long long psize)
{
    c->w = l;
    if (c->d->refs == NULL)
        c->d->refs = stamp_refs_scan(c->d->in, psize);
    roles_read(c);
    catalog_judged(c);
    for (int i = 0; i < l->n; i++) {
        const struct stamp_xent *e = &l->e[i];
        const struct pdf_obj *old, *new;
        int old_null, new_null;

        if (i > 0 && e->num == l->e[i - 1].num)
            continue; /* the newest section's entry is first in l: the same object */
        if (e->num == c->p_root || e->num == c->d->f_root)
            continue; /* catalog_judged */
        old = pobj(c, e->num, e->used ? e->gen : (e->gen > 0 ? e->gen - 1 : 0));
        if (!e->used && is_null(old))
            old = pobj(c, e->num, 0);
        old_null = is_null(old);
        new = e->used ? pdf_get(c->f, e->num, e->gen) : &pdf_null;
        /* a cross-reference stream's own object: no entry lists it, yet
         * it is there (libqpdf knows it from reading the section) */
        if (e->used && new != NULL &&new->type == PDF_NULL && e->off > 0 &&
            pdf_where(c->f, e->num, NULL) == 0)
            new = pdf_obj_at(c->f, e->off, e->num, e->gen);
        /* a signature's /V that does not read: told by its check 1 */
        new_null = e->used && is_null(new) && !(new == NULL &&sig_v(c, e->num));
        if (new == NULL)
            new = &pdf_null;
        /* an entry whose object does not read: a reader that repairs
         * (a wrong /Length) may show it */
        if (e->used && new_null) {
            if (old_null)
                change(c, hall_psprintf(c->pool, "签章后写入的对象%d无法读取", e->num));
            else
                changed(c, e->num, e->gen, old, new, 0);
            continue;
        }
        /* a new object (new is not null here, or freed as it was: the
         * same): only what a judged object points to is seen, unless its
         * number was one the signed revision could already point to */
        if (old_null) {
            if (e->num < psize && e->used)
                change(c, described(c, e->num, old, 0));
            else if (e->used)
                filled(c, e->num, e->gen);
            continue;
        }
        if (same(c, old, new))
            continue;
        /* in use but unreadable (null) is a change, not a removal */
        changed(c, e->num, e->gen, old, new, !e->used);
        if (c->nchanges > 100)
            break;
    }
}

struct stamp_diff *
stamp_diff_new(const struct stamp_in *in)
{
    struct stamp_diff *d = calloc(1, sizeof(*d));

    if (d == NULL)
        abort();
    d->in = in;
    d->fv = in->fv;
    return d;
}

int
stamp_diff_opens(const struct stamp_diff *d)
{
    return d != NULL ? d->opens : 0;
}

const char *
stamp_diff_after(struct hall_pool *pool, struct stamp_diff *d, long long end, int *nchanges)
{
    struct dctx c;
    struct stamp_xlist l;
    char err[128];

    memset(&c, 0, sizeof(c));
    memset(&l, 0, sizeof(l));
    c.pool = pool;
    c.d = d;
    *nchanges = 0;
    if (stamp_written_after(d->in, end, &l) != HALL_OK) {
        c.first = "其后的内容无法作为对签章时文档的增量更新读取";
        c.nchanges = 1;
        goto out;
    }
    if (l.over) {
        c.first = "其后修改的对象过多，未能逐一核验";
        c.nchanges = 1;
        goto out;
    }
    if (l.n == 0)
        goto out;
    qsort(l.e, (size_t)l.n, sizeof(*l.e), stamp_xent_cmp);
    if (d->fv == NULL)
        d->fv = pdf_file_doc(file_of(d), d->in->size, err, sizeof(err));
    c.f = d->fv != NULL ? d->fv : d->in->pf;
    c.p = pdf_file_doc(file_of(d), end, err, sizeof(err));
    if (c.p == NULL || c.f == NULL) {
        c.first = "签章时的文档版本无法单独读取";
        c.nchanges = 1;
        goto out;
    }
    d->p_end = end;
    d->p_size = dict_int(c.p, trailer_of(&c, c.p), "/Size", 0);
    judge_all(&c, &l, d->p_size);
out:
    if (c.first == NULL && c.ntold > 0)
        c.first = c.ntold == 1 ? c.told[0]
                  : c.ntold == 2
                      ? hall_psprintf(pool, "%s；%s", c.told[0], c.told[1])
                      : hall_psprintf(pool, "%s；%s；%s", c.told[0], c.told[1], c.told[2]);
    ids_free(&c.p_pages);
    ids_free(&c.p_annots);
    ids_free(&c.p_dss);
    free(l.e);
    *nchanges = c.nchanges;
    return c.first;
}

void
stamp_diff_free(struct stamp_diff *d)
{
    if (d == NULL)
        return;
    if (d->own_pool != NULL)
        hall_pool_destroy(d->own_pool);
    ids_free(&d->reach);
    free(d->edges);
    stamp_refs_free(d->refs);
    free(d->nsf);
    ids_free(&d->f_dss);
    free(d);
}
