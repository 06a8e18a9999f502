/*
 * The whitelist: what a revision written after a signature may change
 * (docs/internals/stamp.md §3, "What may follow a signature": the table
 * W1-W15 there is this one, row by row, each beside the pyHanko
 * diff_analysis rule it answers).  stamp_diff.c finds each object a later
 * revision writes, gives it its role in the signed document and judges it
 * by the rule of that role here; anything no rule allows is named.
 * Owns: the rules (which keys of which object may differ) and the checks
 * of the values a standard signer writes into the catalog: /Version raised,
 * /Extensions, the /DSS's shape.  Follows: ISO 32000-2 §7.2.2 and §7.7.2
 * (the catalog's /Version), §7.12 (developer extensions), §12.7 (forms),
 * §12.8.2.2 (a certification is the first signature: /Perms never
 * follows one), §12.8.4.3 (the DSS); ETSI EN 319 142-1 §5.4 (document
 * timestamps, the DSS).
 */
#include <string.h>

#include "stamp_int.h"

static const char *const catalog_keys[] = {"/AcroForm",   "/DSS",     "/Metadata",
                                           "/Extensions", "/Version", NULL};
static const char *const form_keys[] = {"/Fields", "/SigFlags", "/DR", "/DA", NULL};
/* with /NeedAppearances a reader draws the fields again from /DR and /DA,
 * and a text or choice field without appearance always: then they are the
 * page's fonts and may not change */
static const char *const form_redraw_keys[] = {"/Fields", "/SigFlags", NULL};
static const char *const page_keys[] = {"/Annots", NULL};
static const char *const filled_keys[] = {"/V", "/AP", "/AS",   "/MK", "/DA",
                                          "/F", "/Ff", "/Type", "/Q",  NULL};
static const char *const ext_keys[] = {"/Type", "/BaseVersion",       "/ExtensionLevel",
                                       "/URL",  "/ExtensionRevision", NULL};
static const char *const dss_keys[] = {"/Type", "/Certs", "/OCSPs", "/CRLs", "/VRI", NULL};

const struct stamp_allow stamp_allow[STAMP_ALLOW_N] = {
    [STAMP_ALLOW_CATALOG] = {"W1", "the catalog", catalog_keys, "CatalogModificationRule"},
    [STAMP_ALLOW_VERSION] = {"W2", "the catalog's /Version", NULL, "CatalogModificationRule"},
    [STAMP_ALLOW_EXTENSIONS] = {"W3", "the catalog's /Extensions", ext_keys,
                                "CatalogModificationRule"},
    [STAMP_ALLOW_PERMS] = {"W4", "the catalog's /Perms", NULL, "CatalogModificationRule"},
    [STAMP_ALLOW_FORM] = {"W5", "the form (/AcroForm)", form_keys, "FormUpdatingRule"},
    [STAMP_ALLOW_FORM_REDRAW] = {"W5", "the form with /NeedAppearances or variable text",
                                 form_redraw_keys, "FormUpdatingRule"},
    [STAMP_ALLOW_FIELDS] = {"W6", "/Fields, an indirect array", NULL, "FormUpdatingRule"},
    [STAMP_ALLOW_PAGE] = {"W7", "a page", page_keys, "SigFieldCreationRule"},
    [STAMP_ALLOW_NEW_FIELD] = {"W8", "a new signature field and widget", NULL,
                               "SigFieldCreationRule"},
    [STAMP_ALLOW_FILLED] = {"W9", "an empty signature field signed", filled_keys,
                            "SigFieldModificationRule"},
    [STAMP_ALLOW_INFO] = {"W10", "the trailer's /Info", NULL, "DocInfoRule"},
    [STAMP_ALLOW_METADATA] = {"W11", "the catalog's /Metadata", NULL, "MetadataUpdateRule"},
    [STAMP_ALLOW_DSS] = {"W12", "the /DSS and all under it", dss_keys, "DSSCompareRule"},
    [STAMP_ALLOW_XREF_STREAM] = {"W13", "a cross-reference stream", NULL, "XrefStreamRule"},
    [STAMP_ALLOW_OBJECT_STREAM] = {"W14", "an object stream", NULL, "ObjectStreamRule"},
    [STAMP_ALLOW_NEW_OBJECT] = {"W15", "a number the signed document did not use", NULL,
                                "is_ref_unassignable, _find_orphans"},
};

/* "/1.7" -> 17, "/2.0" -> 20: the versions ISO 32000 names; -1 else */
static int
version_of(const char *s)
{
    if (s != NULL && s[0] == '/')
        s++;
    if (s == NULL || strlen(s) != 3 || s[1] != '.' || s[0] < '1' || s[0] > '2' || s[2] < '0' ||
        s[2] > '9')
        return -1;
    if ((s[0] == '1' && s[2] > '7') || (s[0] == '2' && s[2] != '0'))
        return -1;
    return (s[0] - '0') * 10 + (s[2] - '0');
}

/* the version a document declares: its header's (head), or its
 * catalog's /Version when later (ISO 32000-2 §7.7.2); *cat the catalog's
 * own (0 none, -1 not a version) */
static int
declared(const char *head, struct pdf_doc *q, const struct pdf_obj *root, int *cat)
{
    const struct pdf_obj *v = pdf_key(q, root, "/Version");
    int h = version_of(head);

    /* an object that cannot be read is null, as libqpdf reads it */
    *cat = v == NULL || v->type == PDF_NULL ? 0 : v->type == PDF_NAME ? version_of(v->s) : -1;
    return *cat > h ? *cat : h;
}

/* the catalog b (of the whole file f) against a (of the signed document
 * p), both with the header's version head: 1 when b's /Version reads as a
 * version of ISO 32000 no lower than the signed one */
static int
allow_version(const char *head, struct pdf_doc *p, const struct pdf_obj *a, struct pdf_doc *f,
              const struct pdf_obj *b)
{
    int had, has, was = declared(head, p, a, &had), now = declared(head, f, b, &has);

    /* a standard signer only raises it (a PDF 2.0 signer to /2.0): a
     * /Version a reader cannot read, or one lower than what was signed,
     * even below the header (where it says nothing), is not its writing */
    if (has < 0 || (has > 0 && has != had && has < was))
        return 0;
    return now >= was;
}

/* a key of the rule's list */
static int
listed(const char *k, const char *const *keys)
{
    for (const char *const *x = keys; *x != NULL; x++)
        if (strcmp(k, *x) == 0)
            return 1;
    return 0;
}

/* a developer extensions dictionary (ISO 32000-2 §7.12.3): direct, its
 * keys those the standard names, /BaseVersion a name and /ExtensionLevel
 * an integer */
static int
extension(struct pdf_doc *q, const struct pdf_obj *e)
{
    const struct pdf_obj *bv, *el;
    const char **k;
    int n;

    if (e == NULL || e->type != PDF_DICT)
        return 0;
    bv = pdf_key(q, e, "/BaseVersion");
    el = pdf_key(q, e, "/ExtensionLevel");
    if (bv == NULL || bv->type != PDF_NAME || el == NULL || el->type != PDF_INT)
        return 0;
    n = pdf_dict_keys(q, e, &k);
    for (int i = 0; i < n; i++)
        if (!listed(k[i], ext_keys))
            return 0;
    return 1;
}

int
stamp_allow_extensions(struct pdf_doc *q, const struct pdf_obj *ext)
{
    const char **k;
    int n;

    if (ext != NULL && ext->type == PDF_NULL)
        return 1; /* none, or taken away: a reader then reads the base version */
    if (ext == NULL || ext->type != PDF_DICT)
        return 0;
    n = pdf_dict_keys(q, ext, &k);
    if (n > 64)
        return 0;
    for (int i = 0; i < n; i++)
        if (strlen(k[i]) >= 128)
            return 0;
    for (int i = 0; i < n; i++) {
        const struct pdf_obj *v = pdf_dict_get(ext, k[i]);

        if (v->type == PDF_ARRAY) { /* direct */
            if (v->n <= 0 || v->n > 64)
                return 0;
            for (int j = 0; j < v->n; j++)
                if (!extension(q, v->items[j]))
                    return 0;
        } else if (!extension(q, v)) {
            return 0;
        }
    }
    return 1;
}

int
stamp_allow_dss(struct pdf_doc *q, const struct pdf_obj *dss)
{
    const char **k;
    int n;

    if (dss != NULL && dss->type == PDF_NULL)
        return 1;
    if (dss == NULL || dss->type != PDF_DICT)
        return 0;
    n = pdf_dict_keys(q, dss, &k);
    for (int i = 0; i < n; i++)
        if (!listed(k[i], dss_keys))
            return 0;
    if (pdf_has_key(q, dss, "/VRI")) {
        const struct pdf_obj *v = pdf_key(q, dss, "/VRI");

        return v != NULL && v->type == PDF_DICT;
    }
    return 1;
}

/* ---- the documents the catalog rules read (core/pdf) --------------------------------- */

const struct pdf_obj *
stamp_froot_key(const struct stamp_in *in, const char *key)
{
    const struct pdf_obj *r = in->pf != NULL ? pdf_root(in->pf) : NULL;

    return r != NULL ? pdf_key(in->pf, r, key) : NULL;
}

/* object num written by the later sections (or unknown) */
static int
later(const struct stamp_signed *sg, int num)
{
    return sg->w == NULL || stamp_xlist_has(sg->w, num);
}

/* object num of the revision as signed, a dictionary parsed from its
 * text "num 0 obj << ... >> endobj" where the scan of every object's text
 * (stamp_refs.c) puts it; NULL when it cannot be told so */
static const struct pdf_obj *
signed_text_dict(struct hall_pool *pool, const struct stamp_signed *sg, int num)
{
    const unsigned char *map = sg->in->map;
    long long at = stamp_refs_offset(sg->refs, num, sg->end), end = sg->end;
    struct pdf_token t[3];
    const struct pdf_obj *o;

    if (at < 0 || at >= end)
        return NULL;
    for (int i = 0; i < 3; i++)
        pdf_lex_next(map, &at, end, &t[i]);
    if (t[0].kind != PDF_TOK_INT || t[0].ival != num || t[1].kind != PDF_TOK_INT ||
        t[1].ival != 0 || t[2].kind != PDF_TOK_KEYWORD || t[2].b - t[2].a != 3 ||
        memcmp(map + t[2].a, "obj", 3) != 0)
        return NULL;
    o = pdf_parse(pool, map, &at, end);
    if (o == NULL || o->type != PDF_DICT || pdf_lex_next(map, &at, end, &t[0]) != PDF_TOK_KEYWORD ||
        t[0].b - t[0].a != 6 || memcmp(map + t[0].a, "endobj", 6) != 0)
        return NULL;
    return o;
}

/* the signed catalog and *doc, the document to resolve it in: the whole
 * file's catalog when not written, else its text (references then
 * resolved in the whole file: the caller takes the revision as signed for
 * one a later section writes), else the revision as signed; NULL when it
 * cannot be read */
static const struct pdf_obj *
signed_catalog(struct hall_pool *pool, const struct stamp_signed *sg, struct pdf_doc **doc)
{
    const struct pdf_obj *a = pdf_root(sg->in->pf);

    *doc = sg->in->pf;
    if (sg->written)
        a = signed_text_dict(pool, sg, sg->p_root);
    if (a == NULL) {
        *doc = sg->p;
        a = *doc != NULL ? pdf_root(*doc) : NULL;
    }
    return a;
}

int
stamp_allow_catalog_version(struct hall_pool *pool, const struct stamp_signed *sg)
{
    struct pdf_doc *f = sg->in->pf, *p;
    const struct pdf_obj *b = f != NULL ? pdf_root(f) : NULL, *a, *v;

    if (b == NULL)
        return 0;
    a = signed_catalog(pool, sg, &p);
    v = pdf_dict_get(a, "/Version");
    if (a != NULL && p == f && v != NULL && v->type == PDF_REF) {
        p = sg->p;
        a = p != NULL ? pdf_root(p) : NULL;
    }
    if (a == NULL)
        return 0;
    return allow_version(sg->head, p, a, f, b);
}

int
stamp_allow_catalog_touched(struct hall_pool *pool, const struct stamp_signed *sg, const char *key)
{
    struct pdf_doc *f = sg->in->pf, *p;
    const struct pdf_obj *b = f != NULL ? pdf_root(f) : NULL, *a, *x, *y;

    if (b == NULL || (a = signed_catalog(pool, sg, &p)) == NULL)
        return 1;
    x = pdf_dict_get(a, key);
    y = pdf_dict_get(b, key);
    if (pdf_value_null(f, y)) {
        /* taken away: touched when the signed one was there */
        if (p == f && x != NULL && x->type == PDF_REF && later(sg, (int)x->i)) {
            p = sg->p;
            if (p == NULL || pdf_root(p) == NULL)
                return 1;
            x = pdf_dict_get(pdf_root(p), key);
        }
        return !pdf_value_null(p, x);
    }
    return (y->type == PDF_REF && later(sg, (int)y->i)) ||
           !pdf_same(p, x != NULL ? x : &pdf_null, f, y);
}

/* a reference of the signed catalog to object num, which a later section
 * writes: the object there, not null, both in the whole file and as the
 * signed revision's text "num 0 obj" has it */
static int
there_both(const struct stamp_signed *sg, const struct pdf_obj *r)
{
    const unsigned char *map = sg->in->map;
    long long at, end = sg->end;
    struct pdf_token t[4];

    if (r->gen != 0 || pdf_value_null(sg->in->pf, r))
        return 0;
    at = stamp_refs_offset(sg->refs, (int)r->i, end);
    if (at < 0 || at >= end)
        return 0;
    for (int i = 0; i < 4; i++)
        pdf_lex_next(map, &at, end, &t[i]);
    return t[0].kind == PDF_TOK_INT && t[0].ival == r->i && t[1].kind == PDF_TOK_INT &&
           t[1].ival == 0 && t[2].kind == PDF_TOK_KEYWORD && t[2].b - t[2].a == 3 &&
           memcmp(map + t[2].a, "obj", 3) == 0 && t[3].kind != PDF_TOK_END &&
           t[3].kind != PDF_TOK_BAD &&
           !(t[3].kind == PDF_TOK_KEYWORD && t[3].b - t[3].a == 4 &&
             memcmp(map + t[3].a, "null", 4) == 0);
}

/* every reference in o (the signed catalog read from its text) to an
 * object a later section writes reads alike in the whole file: one of
 * the catalog's own values there in both (there_both), none deeper */
static int
refs_alike(const struct stamp_signed *sg, const struct pdf_obj *o, int depth)
{
    if (o->type == PDF_REF)
        return !later(sg, (int)o->i) || (depth == 1 && there_both(sg, o));
    if (depth > PDF_DEPTH_MAX)
        return 0;
    if (o->type == PDF_ARRAY || o->type == PDF_DICT)
        for (int i = o->type == PDF_DICT; i < (o->type == PDF_DICT ? 2 * o->n : o->n);
             i += 1 + (o->type == PDF_DICT))
            if (!refs_alike(sg, o->items[i], depth + 1))
                return 0;
    return 1;
}

const char *
stamp_allow_catalog_differs(struct hall_pool *pool, const struct stamp_signed *sg)
{
    const char *const *skip = stamp_allow[STAMP_ALLOW_CATALOG].keys;
    struct pdf_doc *f = sg->in->pf, *p;
    const struct pdf_obj *b = f != NULL ? pdf_root(f) : NULL, *a;
    const char **ka, **kb;
    int na, nb;

    if (b == NULL || (a = signed_catalog(pool, sg, &p)) == NULL)
        return "/Root";
    if (p == f && a != b && !refs_alike(sg, a, 0)) {
        p = sg->p;
        if (p == NULL || (a = pdf_root(p)) == NULL)
            return "/Root";
    }
    na = pdf_dict_keys(p, a, &ka);
    nb = pdf_dict_keys(f, b, &kb);
    for (int i = 0; i < na; i++) {
        const struct pdf_obj *y = pdf_dict_get(b, ka[i]);

        if (!listed(ka[i], skip) &&
            !stamp_raw_value_same(sg->in, sg->raw_a, sg->raw_b, ka[i], sg->w) &&
            !pdf_same(p, pdf_dict_get(a, ka[i]), f, y != NULL ? y : &pdf_null))
            return ka[i];
    }
    for (int i = 0; i < nb; i++)
        if (!listed(kb[i], skip) && !pdf_has_key(p, a, kb[i]))
            return kb[i];
    return NULL;
}

/* ---- the form's fields (W5, W8, W9) ------------------------------------------------------ */

int
stamp_allow_variable_text(struct pdf_doc *q, const struct pdf_obj *fields, int depth, int *seen)
{
    fields = fields != NULL ? pdf_resolve(q, fields) : NULL;
    if (fields == NULL || fields->type != PDF_ARRAY || depth > 16)
        return 0;
    for (int i = 0; i < fields->n; i++) {
        const struct pdf_obj *fl = pdf_resolve(q, fields->items[i]), *ft;

        if (++*seen > 10000)
            return 1;
        if (fl == NULL || fl->type != PDF_DICT)
            continue;
        ft = pdf_key(q, fl, "/FT");
        if ((ft != NULL && (pdf_is_name(ft, "/Tx") || pdf_is_name(ft, "/Ch"))) ||
            stamp_allow_variable_text(q, pdf_dict_get(fl, "/Kids"), depth + 1, seen))
            return 1;
    }
    return 0;
}

int
stamp_allow_visible(struct pdf_doc *q, const struct pdf_obj *w)
{
    const struct pdf_obj *r = w->type == PDF_DICT ? pdf_key(q, w, "/Rect") : NULL,
                         *fl = w->type == PDF_DICT ? pdf_key(q, w, "/F") : NULL;
    double v[4] = {0, 0, 0, 0};

    if (fl != NULL && fl->type == PDF_INT && fl->i > 0 && (fl->i & (2 | 32)))
        return 0;
    if (r != NULL && r->type == PDF_ARRAY && r->n == 4)
        for (int i = 0; i < 4; i++) {
            const struct pdf_obj *x = pdf_resolve(q, r->items[i]);

            if (x != NULL)
                pdf_num(x, &v[i]);
        }
    return v[2] != v[0] && v[3] != v[1];
}

int
stamp_allow_filled_in(struct pdf_file *file, const struct stamp_in *in, long long p_end,
                      long long end, int num, int gen, struct pdf_doc *p, const struct pdf_obj *old,
                      struct pdf_doc *f, const struct pdf_obj *new)
{
    const struct pdf_obj *ref = &(struct pdf_obj){.type = PDF_REF, .i = num, .gen = gen}, *x, *y;
    struct pdf_doc *a, *b;
    long long start = p_end;
    char err[128];

    if (file == NULL || end <= p_end)
        return 0;
    for (int i = 0; i < in->nrev; i++) /* the revision before the signature's */
        if (in->ends[i] > start && in->ends[i] < end)
            start = in->ends[i];
    a = pdf_file_doc(file, start, err, sizeof(err));
    b = pdf_file_doc(file, end, err, sizeof(err));
    x = a != NULL ? pdf_resolve(a, ref) : NULL;
    y = b != NULL ? pdf_resolve(b, ref) : NULL;
    return x != NULL && y != NULL && pdf_same(a, x, p, old) && pdf_same(b, y, f, new);
}
