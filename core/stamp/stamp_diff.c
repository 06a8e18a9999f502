/*
 * What a signature's later revisions change (docs/internals/stamp.md §3,
 * "What may follow a signature").
 *
 * The file cut at the end of a signature's revision is a PDF of its own:
 * the document as it was signed.  It is opened with libqpdf beside the
 * whole file, the cross-reference sections written after it are read from
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
#define JREC_READS        256           /* objects one kept judgement read */
#define JREC_TEXTS        8             /* texts it told */

/* what a signature's comparison holds */
struct dctx {
    struct hall_pool *pool;
    const struct stamp_diff *d;
    qpdf_data p, f; /* the signed revision, the whole file */
    long long stream_bytes;
    /* the signed revision's roles */
    int p_root, p_info, p_meta, p_acro, p_fields, p_ext, f_ext;
    struct idset p_pages;  /* page objects, in page order (unsorted) */
    struct idset p_annots; /* pages' indirect /Annots arrays, in page order */
    struct idset p_dss;    /* objects under /DSS, sorted (the whole file's: d->f_dss) */
    /* the rolled revision's new streams p lacks: asking for one makes the
     * comparison run again on a fresh open of the revision */
    const struct idset *missing;
    int touched;
    /* what the later sections write (by number), and the text of the two
     * dictionaries dict_differs compares (offsets in the file, -1 none):
     * a value the same in the bytes needs no libqpdf unparse, which resolves
     * all the value names (a /PieceInfo of 50,000 items: 0.15 s) */
    const struct stamp_xlist *w;
    long long raw_a, raw_b;
    /* the changes found: the first few told (a page's first), and a count */
    const char *first;
    const char *told[3];
    int ntold, told_pages, nchanges, ndescribed;
    /* one object's judgement being made, to be replayed (stamp_judged.c):
     * the other objects of p it reads, the texts it tells; kept only when
     * it went the ways whose reads are all seen (keep) */
    struct {
        int on, keep, nreads, ntexts;
        int reads[JREC_READS];
        const char *texts[JREC_TEXTS];
    } rb;
};

/* object num of p read by the judgement being made */
static void
rread(struct dctx *c, int num)
{
    if (!c->rb.on || num <= 0)
        return;
    if (c->rb.nreads == JREC_READS)
        c->rb.keep = -1; /* too many: not kept */
    else
        c->rb.reads[c->rb.nreads++] = num;
}

static int
oid(qpdf_data q, qpdf_oh o)
{
    return qpdf_oh_is_indirect(q, o) ? qpdf_oh_get_object_id(q, o) : 0;
}

/* object num of the signed revision, as p holds it */
static qpdf_oh
pobj(struct dctx *c, int num, int gen)
{
    if (c->missing != NULL && stamp_ids_has(c->missing, num))
        c->touched = 1;
    rread(c, num);
    return qpdf_get_object_by_id(c->p, num, gen);
}

/* object (num, 0) of p null: asked once while p is not given it again */
static int
pnull(struct dctx *c, int num)
{
    struct stamp_diff *d = (struct stamp_diff *)c->d;
    int null;

    if (stamp_pnull_known(d, num)) {
        if (c->missing != NULL && stamp_ids_has(c->missing, num))
            c->touched = 1;
        rread(c, num);
        return 1;
    }
    null = qpdf_oh_is_null(c->p, pobj(c, num, 0));
    if (null && !qpdf_has_error(c->p))
        stamp_pnull_put(d, num);
    return null;
}

/* two objects the same: by their text (the object's own, the references
 * in it as N G R), streams by their dictionary and raw bytes */
static int
same(struct dctx *c, qpdf_oh a, qpdf_oh b)
{
    qpdf_data p = c->p, f = c->f;
    int sa = qpdf_oh_is_stream(p, a), sb = qpdf_oh_is_stream(f, b), eq;

    if (qpdf_oh_is_null(p, a) || qpdf_oh_is_null(f, b))
        return qpdf_oh_is_null(p, a) && qpdf_oh_is_null(f, b);
    if (sa != sb)
        return 0;
    if (sa)
        c->rb.keep = -1; /* the stream bytes counted: not replayed */
    if (!sa)
        return strcmp(qpdf_oh_unparse_resolved(p, a), qpdf_oh_unparse_resolved(f, b)) == 0;
    {
        qpdf_oh da = qpdf_oh_get_dict(p, a), db = qpdf_oh_get_dict(f, b);
        unsigned char *x = NULL, *y = NULL;
        size_t xl = 0, yl = 0;

        if (strcmp(qpdf_oh_unparse(p, da), qpdf_oh_unparse(f, db)) != 0)
            return 0;
        if (c->stream_bytes > DIFF_STREAM_BYTES)
            return 0;
        if ((qpdf_oh_get_stream_data(p, a, qpdf_dl_none, NULL, &x, &xl) & QPDF_ERRORS) ||
            (qpdf_oh_get_stream_data(f, b, qpdf_dl_none, NULL, &y, &yl) & QPDF_ERRORS)) {
            stamp_qerr(p);
            stamp_qerr(f);
            free(x);
            free(y);
            return 0;
        }
        c->stream_bytes += (long long)(xl + yl);
        eq = xl == yl && (xl == 0 || memcmp(x, y, xl) == 0);
        free(x);
        free(y);
        return eq;
    }
}

/* the keys of a dictionary, copied (qpdf iterates one dictionary at a time) */
static int
dict_keys(struct hall_pool *pool, qpdf_data q, qpdf_oh dict, const char ***out)
{
    int n = 0, cap = 16;
    const char **k = hall_palloc(pool, sizeof(*k) * (size_t)cap);

    if (!qpdf_oh_is_dictionary(q, dict)) {
        *out = k;
        return 0;
    }
    qpdf_oh_begin_dict_key_iter(q, dict);
    while (qpdf_oh_dict_more_keys(q) && n < 4096) {
        if (n == cap) {
            const char **m = hall_palloc(pool, sizeof(*k) * (size_t)cap * 2);

            memcpy(m, k, sizeof(*k) * (size_t)cap);
            k = m;
            cap *= 2;
        }
        k[n++] = hall_pstrdup(pool, qpdf_oh_dict_next_key(q));
    }
    *out = k;
    return n;
}

static int
in_list(const char *key, const char *const *list)
{
    for (; list != NULL && *list != NULL; list++)
        if (strcmp(key, *list) == 0)
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

/* key's value the same in the bytes of the two dictionaries compared */
static int
raw_same(void *arg, const char *key)
{
    struct dctx *c = arg;

    return stamp_raw_value_same(c->d, c->raw_a, c->raw_b, key, written_later, c);
}

/* the first key (of either) whose value differs, but for those in skip;
 * NULL when none */
static const char *
dict_differs(struct dctx *c, qpdf_oh a, qpdf_oh b, const char *const *skip)
{
    const char **ka, **kb;
    int na = dict_keys(c->pool, c->p, a, &ka), nb = dict_keys(c->pool, c->f, b, &kb), i;

    for (i = 0; i < na; i++)
        if (!in_list(ka[i], skip) &&
            !stamp_raw_value_same(c->d, c->raw_a, c->raw_b, ka[i], written_later, c) &&
            strcmp(qpdf_oh_unparse(c->p, qpdf_oh_get_key(c->p, a, ka[i])),
                   qpdf_oh_unparse(c->f, qpdf_oh_get_key(c->f, b, ka[i]))) != 0)
            return ka[i];
    for (i = 0; i < nb; i++)
        if (!in_list(kb[i], skip) && !qpdf_oh_has_key(c->p, a, kb[i]))
            return kb[i];
    return NULL;
}

/* a change found: the first three different ones are told, those of a page
 * (what a reader sees) before the others */
static void
change(struct dctx *c, const char *what)
{
    int page = strncmp(what, "第", strlen("第")) == 0, i;

    if (c->rb.on) {
        if (c->rb.ntexts == JREC_TEXTS)
            c->rb.keep = -1;
        else
            c->rb.texts[c->rb.ntexts++] = what;
    }
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

/* the page (1-based) of the signed revision that object num is, or whose
 * contents, resources or annotations it is; *kind says which */
static int
page_of(struct dctx *c, int num, const char **kind)
{
    qpdf_data p = c->p;
    int i, j, n;

    for (i = 0; i < c->p_pages.n; i++) {
        qpdf_oh pg = pobj(c, c->p_pages.v[i], 0), v, r;

        if (c->p_pages.v[i] == num) {
            *kind = "页面";
            return i + 1;
        }
        v = qpdf_oh_get_key(p, pg, "/Contents");
        n = qpdf_oh_is_array(p, v) ? qpdf_oh_get_array_n_items(p, v) : 0;
        if (oid(p, v) == num) {
            *kind = "内容";
            return i + 1;
        }
        for (j = 0; j < n && j < 1000; j++)
            if (oid(p, qpdf_oh_get_array_item(p, v, j)) == num) {
                *kind = "内容";
                return i + 1;
            }
        r = qpdf_oh_get_key(p, pg, "/Resources");
        if (oid(p, r) == num) {
            *kind = "资源";
            return i + 1;
        }
        for (j = 0; j < 2; j++) {
            qpdf_oh sub = qpdf_oh_get_key(p, r, j == 0 ? "/XObject" : "/Font");
            const char **ks;
            int nk = dict_keys(c->pool, p, sub, &ks);

            if (oid(p, sub) == num) {
                *kind = "资源";
                return i + 1;
            }
            for (int k = 0; k < nk && k < 1000; k++)
                if (oid(p, qpdf_oh_get_key(p, sub, ks[k])) == num) {
                    *kind = j == 0 ? "图像或表单对象" : "字体";
                    return i + 1;
                }
        }
        v = qpdf_oh_get_key(p, pg, "/Annots");
        if (oid(p, v) == num) {
            *kind = "注释";
            return i + 1;
        }
        n = qpdf_oh_is_array(p, v) ? qpdf_oh_get_array_n_items(p, v) : 0;
        for (j = 0; j < n && j < 1000; j++)
            if (oid(p, qpdf_oh_get_array_item(p, v, j)) == num) {
                *kind = "注释";
                return i + 1;
            }
    }
    return 0;
}

/* what object num was, in words, for the change found in it (the first
 * few: each looks through the pages) */
static const char *
described(struct dctx *c, int num, qpdf_oh old, int removed)
{
    const char *kind = NULL, *verb = removed ? "被删除" : "被修改";
    int pg;
    qpdf_oh t;

    if (++c->ndescribed > 16)
        return hall_psprintf(c->pool, "对象%d%s", num, verb);
    pg = page_of(c, num, &kind);

    if (pg > 0) {
        if (strcmp(kind, "页面") == 0)
            return hall_psprintf(c->pool, "第%d页%s", pg, removed ? "被删除" : "的页面字典被修改");
        /* a widget is what the reader sees as a form field */
        if (strcmp(kind, "注释") == 0 &&
            qpdf_oh_is_name_and_equals(c->p, qpdf_oh_get_key(c->p, old, "/Subtype"), "/Widget"))
            kind = "表单域";
        return hall_psprintf(c->pool, "第%d页的%s%s", pg, kind, verb);
    }
    t = qpdf_oh_get_key(c->p, qpdf_oh_is_stream(c->p, old) ? qpdf_oh_get_dict(c->p, old) : old,
                        "/Type");
    if (qpdf_oh_is_name_and_equals(c->p, t, "/Pages")) {
        int fp = qpdf_get_num_pages(c->f);

        stamp_qerr(c->f);
        return fp != c->p_pages.n
                   ? hall_psprintf(c->pool, "页数被改变（%d页变为%d页）", c->p_pages.n, fp)
                   : "页面树被修改（页面被替换或重排）";
    }
    if (qpdf_oh_is_name_and_equals(c->p, t, "/Annot"))
        return hall_psprintf(c->pool, "注释%s", verb);
    if (qpdf_oh_is_name(c->p, t))
        return hall_psprintf(c->pool, "对象%d（%s）%s", num, qpdf_oh_get_name(c->p, t), verb);
    return hall_psprintf(c->pool, "对象%d%s", num, verb);
}

/* the report's signature whose field (or /V) is this one: its index, 0 none */
static int
sig_of(struct dctx *c, qpdf_oh field)
{
    qpdf_data f = c->f;
    int fid = oid(f, field), vid = oid(f, qpdf_oh_get_key(f, field, "/V"));

    for (int i = 0; i < c->d->rep->nsigs; i++) {
        const struct hall_stamp_sig *s = &c->d->rep->sigs[i];

        if ((fid > 0 && s->obj_field == fid) || (vid > 0 && s->obj_v == vid))
            return i + 1;
    }
    return 0;
}

static int
visible(qpdf_data q, qpdf_oh w)
{
    qpdf_oh r = qpdf_oh_get_key(q, w, "/Rect");
    double v[4] = {0, 0, 0, 0};
    long long fl = stamp_dict_int(q, w, "/F", 0);

    if (fl > 0 && (fl & (2 | 32)))
        return 0;
    if (qpdf_oh_is_array(q, r) && qpdf_oh_get_array_n_items(q, r) == 4)
        for (int i = 0; i < 4; i++)
            stamp_pdf_num(q, qpdf_oh_get_array_item(q, r, i), &v[i]);
    return v[2] != v[0] && v[3] != v[1];
}

/*
 * A signature field (or its widget) the update adds, in the whole file:
 * NULL when it may be added (a field of /FT /Sig whose signature is
 * intact, or an unsigned one nobody sees), else what is wrong.
 */
static const char *
new_sig_field(struct dctx *c, qpdf_oh w, int page)
{
    qpdf_data f = c->f;
    qpdf_oh field = w, sub = qpdf_oh_get_key(f, w, "/Subtype");
    int k;

    if (page > 0 && !qpdf_oh_is_name_and_equals(f, sub, "/Widget"))
        return hall_psprintf(c->pool, "第%d页新增了注释（%s）", page,
                             qpdf_oh_is_name(f, sub) ? qpdf_oh_get_name(f, sub) : "未知类型");
    if (!qpdf_oh_has_key(f, field, "/FT") &&
        qpdf_oh_is_dictionary(f, qpdf_oh_get_key(f, w, "/Parent")))
        field = qpdf_oh_get_key(f, w, "/Parent");
    if (!qpdf_oh_is_name_and_equals(f, qpdf_oh_get_key(f, field, "/FT"), "/Sig"))
        return page > 0 ? hall_psprintf(c->pool, "第%d页新增了表单域", page) : "新增了表单域";
    /* an action runs when the page opens or the widget is seen: a script
     * may change what the page shows */
    if (qpdf_oh_has_key(f, w, "/A") || qpdf_oh_has_key(f, w, "/AA") ||
        qpdf_oh_has_key(f, field, "/AA"))
        return page > 0 ? hall_psprintf(c->pool, "第%d页新增的签名域带有动作（/A、/AA）", page)
                        : "新增的签名域带有动作（/A、/AA）";
    if (!qpdf_oh_is_dictionary(f, qpdf_oh_get_key(f, field, "/V")))
        return visible(f, w)
                   ? (page > 0 ? hall_psprintf(c->pool, "第%d页新增了可见的未签名签名域", page)
                               : "新增了可见的未签名签名域")
                   : NULL;
    k = sig_of(c, field);
    if (k == 0)
        return "新增了无法核验的签名";
    {
        const struct hall_stamp_sig *s = &c->d->rep->sigs[k - 1];

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
new_sig_field_once(struct dctx *c, int num, qpdf_oh b, int j, int page)
{
    struct stamp_diff *d = (struct stamp_diff *)c->d;
    const char *bad;
    int i;

    for (i = 0; i < d->nnsf; i++)
        if (d->nsf[i].num == num && d->nsf[i].page == page)
            return d->nsf[i].bad;
    bad = new_sig_field(c, qpdf_oh_get_array_item(c->f, b, j), page);
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
 * added one judged by judge (page for /Annots, 0 for /Fields); b is the
 * whole file's array at path under object bnum (its items read once) */
static void
array_grown(struct dctx *c, qpdf_oh a, qpdf_oh b, int page, const char *what, int bnum,
            const char *path)
{
    qpdf_data p = c->p, f = c->f;
    const struct stamp_farr *fa;
    int na, nb, i = 0, j;

    rread(c, oid(p, a)); /* an indirect array of p: read by the judgement */
    na = qpdf_oh_is_array(p, a) ? qpdf_oh_get_array_n_items(p, a) : 0;
    nb = qpdf_oh_is_array(f, b) ? qpdf_oh_get_array_n_items(f, b) : 0;

    if (qpdf_oh_is_null(f, b) && !qpdf_oh_is_null(p, a)) {
        change(c, hall_psprintf(c->pool, "%s被删除", what));
        return;
    }
    if ((!qpdf_oh_is_null(p, a) && !qpdf_oh_is_array(p, a)) || !qpdf_oh_is_array(f, b)) {
        change(c, hall_psprintf(c->pool, "%s被修改", what));
        return;
    }
    if (oid(f, b) > 0) { /* an indirect array is its own object */
        bnum = oid(f, b);
        path = "";
    }
    fa = stamp_farr((struct stamp_diff *)c->d, b, bnum, path);
    if (fa != NULL && fa->n != nb)
        fa = NULL;
    for (j = 0; j < nb && j < 20000; j++) {
        qpdf_oh it = fa == NULL ? qpdf_oh_get_array_item(f, b, j) : 0;
        const char *bad;
        int id = fa != NULL ? fa->ids[j] : oid(f, it);

        if (i < na && strcmp(qpdf_oh_unparse(p, qpdf_oh_get_array_item(p, a, i)),
                             fa != NULL ? fa->texts[j] : qpdf_oh_unparse(f, it)) == 0) {
            i++;
            continue;
        }
        /* an item the signed revision did not have: a new object */
        if (id == 0 || !pnull(c, id)) {
            change(c, hall_psprintf(c->pool, "%s被修改", what));
            return;
        }
        bad = new_sig_field_once(c, id, b, j, page);
        if (bad != NULL) {
            change(c, bad);
            return;
        }
    }
    if (i < na)
        change(c, hall_psprintf(c->pool, "%s中的项被删除", what));
}

/* the page's dictionary (object num): only /Annots may change, grown by
 * signatures */
static void
page_judged(struct dctx *c, int pg, int num, qpdf_oh a, qpdf_oh b)
{
    const char *k = dict_differs(c, a, b, stamp_allow[STAMP_ALLOW_PAGE].keys);

    if (k != NULL) {
        change(c, strcmp(k, "/Contents") == 0 ? hall_psprintf(c->pool, "第%d页的内容被修改", pg)
                  : strcmp(k, "/Resources") == 0
                      ? hall_psprintf(c->pool, "第%d页的资源被修改", pg)
                      : hall_psprintf(c->pool, "第%d页的页面字典被修改（%s）", pg, k));
        return;
    }
    {
        qpdf_oh x = qpdf_oh_get_key(c->p, a, "/Annots"), y = qpdf_oh_get_key(c->f, b, "/Annots");

        /* the same indirect array: judged as its own object, if written */
        if (oid(c->p, x) > 0 && oid(c->p, x) == oid(c->f, y))
            return;
        array_grown(c, x, y, pg, hall_psprintf(c->pool, "第%d页的注释", pg), num, "/Annots");
    }
}

/* the form: b the whole file's, at path under object bnum */
static void
acroform_judged(struct dctx *c, qpdf_oh a, qpdf_oh b, int bnum, const char *path)
{
    const char *k;
    int redraw = qpdf_oh_get_bool_value(c->p, qpdf_oh_get_key(c->p, a, "/NeedAppearances")) ||
                 qpdf_oh_get_bool_value(c->f, qpdf_oh_get_key(c->f, b, "/NeedAppearances"));

    if (qpdf_oh_is_null(c->p, a) && qpdf_oh_is_null(c->f, b))
        return;
    if (!qpdf_oh_is_dictionary(c->f, b)) {
        change(c, "表单（AcroForm）被删除");
        return;
    }
    k = dict_differs(c, a, b,
                     stamp_allow[redraw ? STAMP_ALLOW_FORM_REDRAW : STAMP_ALLOW_FORM].keys);
    if (k != NULL) {
        change(c, hall_psprintf(c->pool, "表单（AcroForm）被修改（%s）", k));
        return;
    }
    {
        qpdf_oh x = qpdf_oh_get_key(c->p, a, "/Fields"), y = qpdf_oh_get_key(c->f, b, "/Fields");

        if (oid(c->p, x) > 0 && oid(c->p, x) == oid(c->f, y))
            return;
        if (oid(c->f, b) > 0) {
            bnum = oid(c->f, b);
            path = "/Fields";
        }
        array_grown(c, x, y, 0, "表单域列表", bnum, path);
    }
}

static void
catalog_judged(struct dctx *c)
{
    qpdf_oh a = qpdf_get_root(c->p), b = qpdf_get_root(c->f), x, y;
    struct stamp_diff *d = (struct stamp_diff *)c->d;
    const char *k;
    int written;

    written = c->p_root != d->f_root || written_later(c, d->f_root);
    c->raw_a = stamp_refs_offset(d, c->p_root, d->p_end);
    c->raw_b = stamp_refs_offset(d, d->f_root, -1);
    k = stamp_allow_catalog_differs(c->pool, d, c->p_root, written, written_later, raw_same, c);
    c->raw_a = c->raw_b = -1;
    /* what the catalog may hold new is checked for its shape: a version
     * raised, developer extensions, a /DSS of evidence (W2, W3, W12) */
    if (k == NULL && !stamp_allow_catalog_version(c->pool, d, c->p_root, written))
        k = "/Version";
    if (k == NULL &&
        stamp_allow_catalog_touched(c->pool, d, c->p_root, written, "/Extensions", written_later,
                                    c) &&
        !stamp_allow_extensions(d->pf, stamp_froot_key(d, "/Extensions")))
        k = "/Extensions";
    if (k == NULL &&
        stamp_allow_catalog_touched(c->pool, d, c->p_root, written, "/DSS", written_later, c) &&
        !stamp_allow_dss(d->pf, stamp_froot_key(d, "/DSS")))
        k = "/DSS";
    stamp_qerr(c->p);
    stamp_qerr(c->f);

    if (k != NULL) {
        change(c, hall_psprintf(c->pool, "文档目录（Catalog）被修改（%s）", k));
        return;
    }
    x = qpdf_oh_get_key(c->p, a, "/AcroForm");
    y = qpdf_oh_get_key(c->f, b, "/AcroForm");
    if (oid(c->p, x) > 0 && oid(c->p, x) == oid(c->f, y))
        return; /* judged as its own object, if written */
    if (strcmp(qpdf_oh_unparse(c->p, x), qpdf_oh_unparse(c->f, y)) != 0 || oid(c->f, y) > 0)
        acroform_judged(c, x, y, d->f_root, "/AcroForm/Fields");
}

static int
edge_cmp(const void *a, const void *b)
{
    const struct stamp_edge *x = a, *y = b;

    return (x->to > y->to) - (x->to < y->to);
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
    qpdf_data f = c->f;
    qpdf_oh *stack;
    int *owner, *owner_gen;
    int n = 0, cap = 1024, seen = 0, rc = HALL_OK, ecap = 0;
    long long size = stamp_dict_int(f, qpdf_get_trailer(f), "/Size", -1);
    char *mark;

    if (size <= 0 || size > 8000000)
        return HALL_ERR;
    mark = calloc((size_t)size + 1, 1);
    stack = malloc(sizeof(*stack) * (size_t)cap);
    owner = malloc(sizeof(int) * (size_t)cap);
    owner_gen = malloc(sizeof(int) * (size_t)cap);
    if (stack == NULL || mark == NULL || owner == NULL || owner_gen == NULL)
        abort();
    owner[n] = owner_gen[n] = 0;
    stack[n++] = qpdf_get_root(f);
    while (n > 0) {
        qpdf_oh o = stack[--n];
        int id = oid(f, o), isroot = id == d->f_root, by = owner[n], by_gen = owner_gen[n];

        if (id > 0) {
            if (++seen > DIFF_REACH_MAX) {
                rc = HALL_ERR;
                break;
            }
            if (id > size || mark[id])
                continue;
            mark[id] = 1;
            stamp_ids_add(&d->reach, id);
            by = id;
            by_gen = qpdf_oh_get_generation(f, o);
        }
        if (qpdf_oh_is_stream(f, o))
            o = qpdf_oh_get_dict(f, o);
        if (qpdf_oh_is_array(f, o) || qpdf_oh_is_dictionary(f, o)) {
            const char **ks = NULL;
            int arr = qpdf_oh_is_array(f, o);
            int m = arr ? qpdf_oh_get_array_n_items(f, o) : dict_keys(c->pool, f, o, &ks);

            for (int i = 0; i < m; i++) {
                qpdf_oh it;
                int to;

                if (!arr && isroot &&
                    (strcmp(ks[i], "/DSS") == 0 || strcmp(ks[i], "/Metadata") == 0 ||
                     strcmp(ks[i], "/Extensions") == 0))
                    continue;
                it = arr ? qpdf_oh_get_array_item(f, o, i) : qpdf_oh_get_key(f, o, ks[i]);
                to = oid(f, it);
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
                if (to == 0 && !qpdf_oh_is_array(f, it) && !qpdf_oh_is_dictionary(f, it))
                    continue;
                if (n == cap) {
                    if (cap >= DIFF_REACH_MAX) {
                        rc = HALL_ERR;
                        goto out;
                    }
                    cap *= 2;
                    stack = realloc(stack, sizeof(*stack) * (size_t)cap);
                    owner = realloc(owner, sizeof(int) * (size_t)cap);
                    owner_gen = realloc(owner_gen, sizeof(int) * (size_t)cap);
                    if (stack == NULL || owner == NULL || owner_gen == NULL)
                        abort();
                }
                owner[n] = by;
                owner_gen[n] = by_gen;
                stack[n++] = it;
            }
        }
    }
out:
    stamp_qerr(f);
    free(stack);
    free(owner);
    free(owner_gen);
    free(mark);
    stamp_ids_sort(&d->reach);
    if (d->nedges > 1)
        qsort(d->edges, (size_t)d->nedges, sizeof(*d->edges), edge_cmp);
    return rc;
}

/* the walk, once per file */
static int
walked(struct dctx *c)
{
    struct stamp_diff *d = (struct stamp_diff *)c->d;

    if (!d->reach_done) {
        d->reach_done = 1;
        d->reach_ok = reach(c, d) == HALL_OK;
    }
    return d->reach_ok;
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
    struct stamp_edge key = {0, 0, num};
    const struct stamp_edge *e;
    char ref[48];
    int rl;

    /* no object of the signed revision names num: nothing to look for */
    if (stamp_refs_none((struct stamp_diff *)d, num, d->p_end, d->p_size))
        return;
    rl = snprintf(ref, sizeof(ref), "%d %d R", num, gen);
    if (!walked(c)) {
        change(c, "文档结构过大，未能核验签章后加入的对象");
        return;
    }
    e = d->nedges > 0 ? bsearch(&key, d->edges, (size_t)d->nedges, sizeof(*e), edge_cmp) : NULL;
    if (e == NULL)
        return;
    while (e > d->edges && e[-1].to == num)
        e--;
    for (; e < d->edges + d->nedges && e->to == num; e++) {
        qpdf_oh old = pobj(c, e->from, e->from_gen);
        const char *t, *at;

        if (qpdf_oh_is_null(c->p, old))
            continue;
        t = qpdf_oh_unparse_resolved(
            c->p, qpdf_oh_is_stream(c->p, old) ? qpdf_oh_get_dict(c->p, old) : old);
        for (at = strstr(t, ref); at != NULL; at = strstr(at + 1, ref))
            if ((at == t || !(at[-1] >= '0' && at[-1] <= '9')) &&
                !(at[rl] >= '0' && at[rl] <= '9')) {
                const char *kind = NULL;
                int pg = page_of(c, e->from, &kind);

                change(c, pg > 0 ? hall_psprintf(c->pool, "第%d页的%s引用了签章后才加入的对象%d",
                                                 pg, kind, num)
                                 : hall_psprintf(c->pool, "对象%d引用了签章后才加入的对象%d",
                                                 e->from, num));
                return;
            }
    }
}

/* the indirect objects under o (the /DSS), a few levels down */
static void
collect(qpdf_data q, qpdf_oh o, int depth, struct idset *out, struct hall_pool *pool)
{
    int id = oid(q, o);

    if (id > 0) {
        for (int i = 0; i < out->n; i++)
            if (out->v[i] == id)
                return;
        stamp_ids_add(out, id);
    }
    if (depth > 4 || out->n > 20000)
        return;
    if (qpdf_oh_is_array(q, o)) {
        int n = qpdf_oh_get_array_n_items(q, o);

        for (int i = 0; i < n && i < 20000; i++)
            collect(q, qpdf_oh_get_array_item(q, o, i), depth + 1, out, pool);
    } else if (qpdf_oh_is_dictionary(q, o)) {
        const char **ks;
        int n = dict_keys(pool, q, o, &ks);

        for (int i = 0; i < n; i++)
            collect(q, qpdf_oh_get_key(q, o, ks[i]), depth + 1, out, pool);
    }
}

static void
roles_read(struct dctx *c)
{
    struct stamp_diff *d = (struct stamp_diff *)c->d;
    qpdf_data p = c->p, f = c->f;
    qpdf_oh root = qpdf_get_root(p), acro = qpdf_oh_get_key(p, root, "/AcroForm");
    int n = qpdf_get_num_pages(p);

    c->p_root = oid(p, root);
    c->p_info = oid(p, qpdf_oh_get_key(p, qpdf_get_trailer(p), "/Info"));
    c->p_meta = oid(p, qpdf_oh_get_key(p, root, "/Metadata"));
    c->p_ext = oid(p, qpdf_oh_get_key(p, root, "/Extensions"));
    c->f_ext = oid(f, qpdf_oh_get_key(f, qpdf_get_root(f), "/Extensions"));
    c->p_acro = oid(p, acro);
    c->p_fields = oid(p, qpdf_oh_get_key(p, acro, "/Fields"));
    for (int i = 0; i < n; i++) {
        qpdf_oh pg = qpdf_get_page_n(p, (size_t)i);

        stamp_ids_add(&c->p_pages, oid(p, pg));
        stamp_ids_add(&c->p_annots, oid(p, qpdf_oh_get_key(p, pg, "/Annots")));
    }
    stamp_qerr(p);
    collect(p, qpdf_oh_get_key(p, root, "/DSS"), 0, &c->p_dss, c->pool);
    stamp_ids_sort(&c->p_dss);
    if (!d->f_roles_done++) { /* the whole file's: the same for every signature */
        root = qpdf_get_root(f);
        d->f_root = oid(f, root);
        d->f_info = oid(f, qpdf_oh_get_key(f, qpdf_get_trailer(f), "/Info"));
        d->f_meta = oid(f, qpdf_oh_get_key(f, root, "/Metadata"));
        collect(f, qpdf_oh_get_key(f, root, "/DSS"), 0, &d->f_dss, c->pool);
        stamp_ids_sort(&d->f_dss);
    }
    stamp_qerr(f);
}

/* an object only the /Info, /Metadata, /DSS or /Extensions use: nothing
 * shows it */
static int
unseen(struct dctx *c, int num)
{
    return walked(c) && !stamp_ids_has(&c->d->reach, num);
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
is_type(qpdf_data q, qpdf_oh o, const char *t)
{
    if (qpdf_oh_is_stream(q, o))
        o = qpdf_oh_get_dict(q, o);
    return qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, o, "/Type"), t);
}

/* an unsigned signature field of the signed revision (or its widget) */
static int
empty_sig_field(qpdf_data q, qpdf_oh o)
{
    qpdf_oh fld = qpdf_oh_has_key(q, o, "/FT") ? o : qpdf_oh_get_key(q, o, "/Parent");

    return qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, fld, "/FT"), "/Sig") &&
           !qpdf_oh_has_key(q, fld, "/V");
}

/* one object the later revisions wrote that is not what was signed */
static void
changed(struct dctx *c, int num, qpdf_oh old, qpdf_oh new, int removed)
{
    qpdf_data p = c->p, f = c->f;
    int pg;

    /* the ways a judgement may be replayed: what they read of p is seen */
    if ((pg = page_index(&c->p_pages, num)) > 0) {
        c->rb.keep += c->rb.keep == 0;
        if (removed)
            change(c, hall_psprintf(c->pool, "第%d页被删除", pg));
        else
            page_judged(c, pg, num, old, new);
        return;
    }
    if ((pg = page_index(&c->p_annots, num)) > 0) {
        c->rb.keep += c->rb.keep == 0;
        array_grown(c, old, new, pg, hall_psprintf(c->pool, "第%d页的注释", pg), num, "");
        return;
    }
    if (num == c->p_acro) {
        acroform_judged(c, old, new, num, "/Fields");
        return;
    }
    if (num == c->p_fields) {
        c->rb.keep += c->rb.keep == 0;
        array_grown(c, old, new, 0, "表单域列表", num, "");
        return;
    }
    /* an old cross-reference stream that nothing reaches (W13: one a page
     * names is what that page shows, judged as any object).  An old
     * object stream is another matter: the objects the signed revision
     * keeps in it would be read from the new one without any entry of
     * theirs being written */
    if (is_type(p, old, "/XRef") &&
        (is_type(f, new, "/ObjStm") || is_type(f, new, "/XRef") || qpdf_oh_is_null(f, new)) &&
        unseen(c, num))
        return;
    if (is_type(p, old, "/ObjStm")) {
        change(c, hall_psprintf(c->pool, "对象流%d（其中的对象）被修改", num));
        return;
    }
    if ((num == c->p_info || num == c->d->f_info || num == c->p_meta || num == c->d->f_meta ||
         stamp_ids_has(&c->p_dss, num) || stamp_ids_has(&c->d->f_dss, num)) &&
        unseen(c, num))
        return;
    /* an indirect /Extensions written again: only its shape is judged
     * (W3), when nothing but the catalog's /Extensions reaches it */
    if ((num == c->p_ext || num == c->f_ext) && unseen(c, num) &&
        stamp_allow_extensions(c->d->pf, stamp_froot_key(c->d, "/Extensions")))
        return;
    if (empty_sig_field(p, old) && qpdf_oh_is_dictionary(f, new)) {
        const char *k = dict_differs(c, old, new, stamp_allow[STAMP_ALLOW_FILLED].keys), *bad;

        if (k != NULL) {
            change(c, hall_psprintf(c->pool, "签名域被修改（%s）", k));
            return;
        }
        bad = new_sig_field(c, new, 0);
        if (bad != NULL)
            change(c, bad);
        return;
    }
    change(c, described(c, num, old, removed));
}

/* a judgement kept for object num told again: its texts, in order, when p
 * holds none of what it read among the streams it lacks; 0 not replayed */
static int
replayed(struct dctx *c, int num, int gen)
{
    struct stamp_diff *d = (struct stamp_diff *)c->d;
    int role[4] = {page_index(&c->p_pages, num), page_index(&c->p_annots, num), num == c->p_acro,
                   num == c->p_fields};
    const struct stamp_jrec *r = stamp_jrec_find(d, num, gen, role);

    if (r == NULL)
        return 0;
    for (int i = -1; c->missing != NULL && i < r->nreads; i++)
        if (stamp_ids_has(c->missing, i < 0 ? num : r->reads[i]))
            return 0;
    for (int i = 0; i < r->ntexts; i++)
        change(c, r->texts[i]);
    return r->changed ? 2 : 1;
}

/* the judgement of object num just made kept, when it went a way whose
 * reads were all seen (or found it the same) and asked for nothing p lacks */
static void
kept(struct dctx *c, int num, int gen, int was_changed)
{
    int role[4] = {page_index(&c->p_pages, num), page_index(&c->p_annots, num), num == c->p_acro,
                   num == c->p_fields};

    if (c->rb.on && !c->touched && (c->rb.keep == 1 || (c->rb.keep == 0 && !was_changed)))
        stamp_jrec_put((struct stamp_diff *)c->d, num, gen, role, c->rb.reads, c->rb.nreads,
                       c->rb.texts, c->rb.ntexts, was_changed);
    memset(&c->rb, 0, sizeof(c->rb));
}

/* every object the later sections write, judged against the signed revision */
static void
judge_all(struct dctx *c, struct stamp_xlist *l, long long psize)
{
    struct stamp_diff *d = (struct stamp_diff *)c->d;
    int i, old_null, new_null, rp;

    c->w = l;
    c->raw_a = c->raw_b = -1;
    stamp_refs_scan((struct stamp_diff *)c->d, psize);
    roles_read(c);
    catalog_judged(c);
    for (i = 0; i < l->n; i++) {
        const struct stamp_xent *e = &l->e[i];
        qpdf_oh old = 0, new;
        int known = e->used && e->gen == 0 && stamp_pnull_known(d, e->num);

        if (i > 0 && e->num == l->e[i - 1].num)
            continue; /* the newest section's entry is first in l: the same object */
        if (e->num == c->p_root || e->num == c->d->f_root)
            continue; /* catalog_judged */
        if (known) {  /* each later stamp's new objects, for every earlier signature */
            old_null = pnull(c, e->num);
        } else {
            old = pobj(c, e->num, e->used ? e->gen : (e->gen > 0 ? e->gen - 1 : 0));
            if (!e->used && qpdf_oh_is_null(c->p, old))
                old = pobj(c, e->num, 0);
            old_null = qpdf_oh_is_null(c->p, old);
            if (old_null && e->used && e->gen == 0 && !qpdf_has_error(c->p))
                stamp_pnull_put(d, e->num);
        }
        new_null = 0; /* the whole file's: asked of libqpdf once a file */
        new = e->used ? stamp_fobj((struct stamp_diff *)c->d, e->num, e->gen, &new_null)
                      : qpdf_oh_new_null(c->f);
        stamp_qerr(c->p);
        if (!e->used)
            stamp_qerr(c->f);
        /* an entry whose object qpdf cannot read: a reader that repairs
         * (a wrong /Length) may show it */
        if (e->used && new_null) {
            if (old_null)
                change(c, hall_psprintf(c->pool, "签章后写入的对象%d无法读取", e->num));
            else
                changed(c, e->num, old, new, 0);
            continue;
        }
        /* a new object (new is not null here, or freed as it was: the
         * same): only what a judged object points to is seen, unless its
         * number was one the signed revision could already point to */
        if (old_null) {
            if (e->num < psize && e->used)
                change(c, described(c, e->num, known ? qpdf_oh_new_null(c->p) : old, 0));
            else if (e->used)
                filled(c, e->num, e->gen);
            continue;
        }
        /* a page each later stamp wrote, judged for every earlier signature:
         * made once for each version of it (stamp_judged.c) */
        rp = e->used ? replayed(c, e->num, e->gen) : 0;
        if (rp == 1)
            continue;
        if (rp == 2) {
            if (c->nchanges > 100)
                break;
            continue;
        }
        c->rb.on = e->used;
        if (same(c, old, new)) {
            kept(c, e->num, e->gen, 0);
            continue;
        }
        /* in use but unreadable (null) is a change, not a removal */
        changed(c, e->num, old, new, !e->used);
        kept(c, e->num, e->gen, 1);
        if (c->nchanges > 100)
            break;
    }
}

static void
dctx_reset(struct dctx *c)
{
    stamp_ids_free(&c->p_pages);
    stamp_ids_free(&c->p_annots);
    stamp_ids_free(&c->p_dss);
}

const char *
stamp_diff_after(struct hall_pool *pool, struct stamp_diff *d, long long end, int *nchanges)
{
    struct dctx c;
    struct stamp_xlist l;

    memset(&c, 0, sizeof(c));
    memset(&l, 0, sizeof(l));
    c.pool = pool;
    c.d = d;
    c.f = d->f;
    *nchanges = 0;
    if (stamp_written_after(d, end, &l) != HALL_OK) {
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
    for (int fresh = 0; fresh < 2; fresh++) {
        if (stamp_roll_to(d, end, fresh) != HALL_OK) {
            c.first = "签章时的文档版本无法单独读取";
            c.nchanges = 1;
            goto out;
        }
        c.p = d->p;
        c.missing = d->p_missing.n > 0 ? &d->p_missing : NULL;
        judge_all(&c, &l, d->p_size);
        if (!c.touched)
            break; /* the comparison asked for an object the rolled revision lacks:
                    * again, on the revision opened as it was signed */
        dctx_reset(&c);
        memset(&c, 0, sizeof(c));
        c.pool = pool;
        c.d = d;
        c.f = d->f;
    }
out:
    if (c.first == NULL && c.ntold > 0)
        c.first = c.ntold == 1 ? c.told[0]
                  : c.ntold == 2
                      ? hall_psprintf(pool, "%s；%s", c.told[0], c.told[1])
                      : hall_psprintf(pool, "%s；%s；%s", c.told[0], c.told[1], c.told[2]);
    if (d->p != NULL)
        stamp_qerr(d->p);
    dctx_reset(&c);
    free(l.e);
    *nchanges = c.nchanges;
    return c.first;
}

void
stamp_diff_free(struct stamp_diff *d)
{
    stamp_judged_free(d);
    stamp_signed_pdf_drop(d);
    stamp_ids_free(&d->reach);
    free(d->edges);
    d->edges = NULL;
    free(d->drefs);
    d->drefs = NULL;
    free(d->xall);
    d->xall = NULL;
    free(d->nsf);
    d->nsf = NULL;
    stamp_ids_free(&d->f_dss);
    free(d->fobjs);
    d->fobjs = NULL;
    d->nfobjs = d->fcap = 0;
    d->f_roles_done = 0;
    for (int i = 0; i < d->nxsecs; i++)
        free(d->xsecs[i].e);
    free(d->xsecs);
    d->xsecs = NULL;
    d->nxsecs = 0;
}
