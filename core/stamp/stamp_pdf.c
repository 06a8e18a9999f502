/*
 * The stamp's PDF side (docs/internals/stamp.md §1).
 *
 * The input is read through core/pdf, the verifier's one reader
 * (docs/internals/stamp.md §8): the pages, the page object and its
 * inherited /MediaBox and /Rotate, /Annots, /AcroForm and its fields, the
 * trailer's /Size /Root /Info /ID, encryption.  It repairs nothing: a file
 * whose cross-reference misplaces an object is refused (each reader would
 * guess its own way), one that does not read is refused.  What the update
 * writes again (the page, its /Annots, the form, the catalog) is core/pdf's
 * objects written back (pdf_write.c) in the text libqpdf's unparse gave
 * before, keys sorted, so that the stamp's bytes are what they were
 * (§4); the guard that such an object keeps every key is stamp_raw.c's.
 * The update itself is written here, byte by byte as the doc says.
 *
 * Owns: reading the input (stamp_doc_read, stamp_pdf_open; the fields'
 * walks, the last cross-reference) and writing the update's objects
 * (stamp_write_objects).  Follows: ISO 32000-1 §7.5 (file structure: the
 * trailer §7.5.5, incremental updates §7.5.6), §12.5.6.19 (the widget
 * annotation), §12.7.2 (/AcroForm, /SigFlags), §12.7.4.5 (the signature field),
 * §12.8.1 (the signature dictionary, /ByteRange, /Contents); ETSI EN 319
 * 142-1 clause 6 (PAdES baseline: /SubFilter ETSI.CAdES.detached, /M).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "stamp_int.h"

#define STAMP_MSG_XREF                                                                                                         \
    "PDF文件的交叉引用表已损坏（对象的位置与文件内容不符），各阅读器会各自猜测其内容，" \
    "盖章后显示的可能与原文不同，因此不能盖章。请先用PDF阅读器“另存为”或qpdf修复后再盖章"
/* the largest object number ISO 32000 lets a reader expect (ISO 32000-1
 * Annex C: 8,388,607), and the objects one update writes at most (a
 * 骑缝章's three a page, a /DSS's STAMP_UPDATE_OBJS) */
#define STAMP_NUM_LIMIT 8388607LL
#define STAMP_NEW_MAX   (3 * STAMP_QIFENG_PAGES + STAMP_UPDATE_OBJS + 8)
#define STAMP_MSG_TWICE                                                                                                                    \
    "PDF文件的交叉引用表中同一对象出现了两次，各阅读器会各取其一，盖章后显示的可能与原文不同，" \
    "因此不能盖章。请先用PDF阅读器“另存为”后再盖章"
#define STAMP_MSG_SYNTAX                                                                                                          \
    "PDF文件的结构不符合PDF规范（ISO 32000），无法可靠读取，盖章后将无法核验，因此不能盖章。" \
    "请先用PDF阅读器“另存为”后再盖章"

/* ---- the PDF through core/pdf ------------------------------------------------------ */

struct pdf_doc *
stamp_pdf_open(struct hall_pool *pool, const unsigned char *pdf, size_t len, char *err,
               size_t errlen)
{
    char perr[128];
    struct pdf_doc *d = pdf_open(pool, pdf, (long long)len, (long long)len, perr, sizeof(perr));

    if (d == NULL) {
        snprintf(err, errlen, "%s",
                 strcmp(perr, "encrypted") == 0
                     ? "PDF文件已加密：请先解除文件的密码保护再盖章或验章"
                     : "PDF文件已损坏或不是PDF文件，无法读取其结构");
        return NULL;
    }
    if (pdf_page_count(d) <= 0) {
        snprintf(err, errlen, "PDF文件已损坏：找不到任何页面");
        return NULL;
    }
    return d;
}

/* a signature field counted; a field with children of its own (a /T, no
 * /Subtype: not a widget merged into it) is gone into instead */
static int
count_sig(struct pdf_doc *d, const struct stamp_field *f, int is_sig, void *arg)
{
    const struct pdf_obj *v = pdf_key(d, f->f, "/V");
    const struct pdf_obj *t = pdf_key(d, f->f, "/T"), *st = pdf_key(d, f->f, "/Subtype");

    /* a signed field whose kids are its widgets (a 骑缝章's slices): one */
    if (f->kids->type == PDF_ARRAY && t != NULL && t->type != PDF_NULL &&
        (st == NULL || st->type == PDF_NULL) && !(is_sig && v != NULL && v->type == PDF_DICT))
        return 1;
    if (is_sig)
        (*(int *)arg)++;
    return 0;
}

/* a field the verifier takes for a signature (stamp_verify.c's
 * found_sig): its /V a dictionary, or a reference that does not read */
static int
count_signed(struct pdf_doc *d, const struct stamp_field *f, int is_sig, void *arg)
{
    const struct pdf_obj *vref = pdf_dict_get(f->f, "/V"), *v = pdf_resolve(d, vref);

    if (!is_sig || (v == NULL && (vref == NULL || vref->type != PDF_REF)) ||
        (v != NULL && v->type != PDF_DICT))
        return f->kids->type == PDF_ARRAY;
    (*(int *)arg)++;
    return 0;
}

/* object num of pd, an uncompressed stream core/pdf reads by its /Length:
 * 1 when a reader that looks for the keyword instead finds other bytes —
 * "endstream" inside the data, or the one after it not followed by
 * "endobj" (a second, later "endstream" then ends the stream for it) */
static int
stream_end_disagrees(struct pdf_doc *pd, const unsigned char *pdf, size_t len, int num)
{
    const struct pdf_obj *o;
    const unsigned char *raw;
    struct pdf_token t;
    long long at;
    size_t n = 0;

    if (pdf_where(pd, num, NULL) != 1)
        return 0;
    o = pdf_get(pd, num, pdf_gen(pd, num));
    if (o == NULL || o->type != PDF_STREAM || (raw = pdf_stream_raw(pd, o, &n)) == NULL)
        return 0;
    if (n >= 9 && memmem(raw, n, "endstream", 9) != NULL)
        return 1;
    at = (long long)(raw - pdf) + (long long)n;
    if (pdf_lex_next(pdf, &at, (long long)len, &t) != PDF_TOK_KEYWORD || t.b - t.a != 9 ||
        memcmp(pdf + t.a, "endstream", 9) != 0)
        return 0; /* not read by /Length: the writer's own rule (pdf_write_gone) */
    return pdf_lex_next(pdf, &at, (long long)len, &t) != PDF_TOK_KEYWORD || t.b - t.a != 6 ||
           memcmp(pdf + t.a, "endobj", 6) != 0;
}

/* the first string of the trailer's /ID into d (id0_len -1: none, or
 * longer than STAMP_ID_MAX: the update then names a new one) */
static void
first_id(struct pdf_doc *pd, struct stamp_doc *d)
{
    const struct pdf_obj *id = pdf_key(pd, pdf_trailer(pd), "/ID"), *first;

    d->id0_len = -1;
    if (id == NULL || id->type != PDF_ARRAY || id->n < 1)
        return;
    first = pdf_resolve(pd, id->items[0]);
    if (first != NULL && first->type == PDF_STRING && first->len <= STAMP_ID_MAX) {
        memcpy(d->id0, first->s, first->len);
        d->id0_len = (int)first->len;
    }
}

/* the last cross-reference section (startxref's) misplaces an object */
static int
last_section_misplaced(struct hall_pool *pool, const unsigned char *pdf, size_t len)
{
    struct pdf_section s;
    long long off;
    int table, bad = 0;

    memset(&s, 0, sizeof(s));
    if (stamp_last_xref(pdf + (len > 1024 ? len - 1024 : 0), len > 1024 ? 1024 : len,
                        (long long)len, &off, &table, pdf) == HALL_OK &&
        pdf_section(pool, pdf, (long long)len, off, &s) == HALL_OK)
        bad = pdf_section_misplaced(pdf, (long long)len, &s) > 0;
    pdf_section_free(&s);
    return bad;
}

/* the input opened by core/pdf, the verifier's one reader (docs/internals/
 * stamp.md §8), into d (its pool and document): a file it cannot read, or
 * whose pages it cannot walk, is not stamped, since the stamp would not
 * verify; nor one whose cross-reference misplaces an object, since an
 * update over it would be resolved by each reader's own guess.  d's
 * signature fields counted (nsigs) and its first /ID kept */
static int
stamp_doc_core_reads(const unsigned char *pdf, size_t len, struct stamp_doc *d, char *err,
                     size_t errlen)
{
    char perr[256];
    struct pdf_doc *pd;
    int seen = 0, redef;
    const struct pdf_obj *acro;

    d->pool = hall_pool_create(65536);
    pd = d->pd = pdf_open(d->pool, pdf, (long long)len, (long long)len, perr, sizeof(perr));
    if (pd == NULL && strcmp(perr, "encrypted") == 0) {
        snprintf(err, errlen, "PDF文件已加密：请先解除文件的密码保护再盖章或验章");
        return HALL_ERR;
    }
    if (pd != NULL && pdf_misplaced(pd) > 0) {
        snprintf(err, errlen, STAMP_MSG_XREF);
        return HALL_ERR;
    }
    /* no PDF, or no cross-reference where startxref says (a file cut
     * short): damaged, as libqpdf's refusal said */
    if (pd == NULL && (memmem(pdf, len < 1024 ? len : 1024, "%PDF-", 5) == NULL ||
                       strncmp(perr, "no startxref", 12) == 0 || strstr(perr, "out of reach"))) {
        snprintf(err, errlen, "PDF文件已损坏或不是PDF文件，无法读取其结构");
        return HALL_ERR;
    }
    /* its last section misplaces the objects: readers would rebuild it */
    if (pd == NULL && last_section_misplaced(d->pool, pdf, len)) {
        snprintf(err, errlen, STAMP_MSG_XREF);
        return HALL_ERR;
    }
    if (pd == NULL || pdf_page_count(pd) <= 0) {
        snprintf(err, errlen, STAMP_MSG_SYNTAX);
        return HALL_ERR;
    }
    if (pdf_twice(pd) > 0) {
        snprintf(err, errlen, STAMP_MSG_TWICE);
        return HALL_ERR;
    }
    if ((redef = pdf_redefined(pd)) > 0) {
        snprintf(err, errlen,
                 "PDF文件中对象%d在交叉引用表所列位置之外又定义了一次，按文件顺序读取的阅读器会读到"
                 "另一份内容，盖章后显示的可能与原文不同，因此不能盖章。请先用PDF阅读器“另存为”后再"
                 "盖章",
                 redef);
        return HALL_ERR;
    }
    acro = pdf_key(pd, pdf_root(pd), "/AcroForm");
    d->nsigs = 0;
    if (acro != NULL && acro->type == PDF_DICT) {
        int signed_n = 0, seen2 = 0;

        stamp_fields_each(pd, pdf_key(pd, acro, "/Fields"), 0, 0, &seen, count_sig, &d->nsigs);
        /* the verifier reads HALL_STAMP_SIGS_MAX signatures, STAMP_FIELDS_MAX
         * fields: one more of either and the stamped file would not verify */
        stamp_fields_each(pd, pdf_key(pd, acro, "/Fields"), 0, 0, &seen2, count_signed, &signed_n);
        if (signed_n >= HALL_STAMP_SIGS_MAX || seen2 >= STAMP_FIELDS_MAX - 1) {
            snprintf(
                err, errlen,
                "PDF文件中已有%d个签名（表单域%d个），再盖章将超过可核验的%d个签名（%d个表单域），"
                "盖章后的文件将无法核验，因此不能盖章",
                signed_n, seen2, HALL_STAMP_SIGS_MAX, STAMP_FIELDS_MAX);
            return HALL_ERR;
        }
    }
    first_id(pd, d);
    return HALL_OK;
}

/* a value as PDF syntax (pdf_write: libqpdf's text, references "N G R");
 * HALL_ERR, b unchanged, when its text would pass STAMP_VALUE_MAX */
int
stamp_pdf_value(const struct stamp_doc *d, struct stamp_buf *b, const struct pdf_obj *v, int from)
{
    struct pdf_out o = {.max = STAMP_VALUE_MAX};
    int rc = pdf_write(d->pd, &o, v, from);

    if (rc == HALL_OK)
        stamp_buf_put(b, o.p, o.len);
    free(o.p);
    return rc;
}

void
stamp_too_big(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "PDF文件的%s过大（超过%dMB）或嵌套过深，不能盖章", what,
             (int)(STAMP_VALUE_MAX >> 20));
}

/* an array's items (of object from's text) then " extra"; HALL_ERR as
 * stamp_pdf_value's */
static int
pdf_array_plus(const struct stamp_doc *d, struct stamp_buf *b, const struct pdf_obj *arr, int from,
               const char *extra)
{
    int i, n = arr != NULL && arr->type == PDF_ARRAY ? arr->n : 0;

    stamp_buf_str(b, "[");
    for (i = 0; i < n; i++) {
        if (stamp_pdf_value(d, b, arr->items[i], from) != HALL_OK)
            return HALL_ERR;
        stamp_buf_str(b, " ");
    }
    stamp_buf_str(b, extra);
    stamp_buf_str(b, "]");
    return HALL_OK;
}

/* the reference v's number and generation (0 when v is not one) */
static int
ref_of(const struct pdf_obj *v, int *gen)
{
    *gen = v != NULL && v->type == PDF_REF ? v->gen : 0;
    return v != NULL && v->type == PDF_REF && v->i > 0 && v->i < (1LL << 31) ? (int)v->i : 0;
}

/* key of dict resolved, &pdf_null when absent or unreadable; *num its
 * object when the value is a reference */
static const struct pdf_obj *
key_of(struct pdf_doc *pd, const struct pdf_obj *dict, const char *key, int *num, int *gen)
{
    const struct pdf_obj *raw = pdf_dict_get(dict, key), *v;

    *num = ref_of(raw, gen);
    v = raw != NULL ? pdf_resolve(pd, raw) : NULL;
    return v != NULL ? v : &pdf_null;
}

/* the page's /MediaBox, inherited through /Parent (a node whose
 * /MediaBox is not an array of four is passed, as libqpdf's reading was) */
static int
media_box(struct pdf_doc *pd, const struct pdf_obj *page, double box[4])
{
    const struct pdf_obj *node = page;
    int depth, i;

    for (depth = 0; depth < 64 && node != NULL && node->type == PDF_DICT; depth++) {
        const struct pdf_obj *mb = pdf_key(pd, node, "/MediaBox");

        if (mb != NULL && mb->type == PDF_ARRAY && mb->n == 4) {
            for (i = 0; i < 4; i++) {
                const struct pdf_obj *v = pdf_resolve(pd, mb->items[i]);

                if (v == NULL || pdf_num(v, &box[i]) != HALL_OK)
                    return HALL_ERR;
            }
            return HALL_OK;
        }
        node = pdf_key(pd, node, "/Parent");
    }
    return HALL_ERR;
}

/* the page's /Rotate, inherited through /Parent: 0, 90, 180 or 270; -1
 * when it is not an integer multiple of 90 (ISO 32000-1 Table 30), which
 * readers turn each their own way, the seal with it */
static int
page_rotate(struct pdf_doc *pd, const struct pdf_obj *page)
{
    const struct pdf_obj *node = page;
    int depth;

    for (depth = 0; depth < 64 && node != NULL && node->type == PDF_DICT; depth++) {
        const struct pdf_obj *r = pdf_key(pd, node, "/Rotate");

        if (r != NULL && r->type != PDF_NULL)
            return r->type == PDF_INT && r->i % 90 == 0 ? (int)(((r->i % 360) + 360) % 360) : -1;
        node = pdf_key(pd, node, "/Parent");
    }
    return 0;
}

int
stamp_fields_each(
    struct pdf_doc *d, const struct pdf_obj *fields, int inherited_sig, int depth, int *seen,
    int (*visit)(struct pdf_doc *d, const struct stamp_field *f, int is_sig, void *arg), void *arg)
{
    if (fields == NULL || fields->type != PDF_ARRAY || depth > 16)
        return 0;
    for (int i = 0; i < fields->n && *seen < STAMP_FIELDS_MAX; i++) {
        struct stamp_field f = {pdf_resolve(d, fields->items[i]), &pdf_null, 0, 0};
        const struct pdf_obj *ft;
        int is_sig = inherited_sig, go;

        (*seen)++;
        if (f.f == NULL || f.f->type != PDF_DICT)
            continue;
        if (fields->items[i]->type == PDF_REF) {
            f.num = (int)fields->items[i]->i;
            f.gen = fields->items[i]->gen;
        }
        ft = pdf_key(d, f.f, "/FT");
        if (ft != NULL && ft->type == PDF_NAME)
            is_sig = pdf_is_name(ft, "/Sig");
        f.kids = pdf_key(d, f.f, "/Kids");
        if (f.kids == NULL)
            f.kids = &pdf_null;
        go = visit(d, &f, is_sig, arg);
        if (go > 0)
            go = stamp_fields_each(d, f.kids, is_sig, depth + 1, seen, visit, arg);
        if (go < 0)
            return -1;
    }
    return 0;
}

int
stamp_last_xref(const unsigned char *tail, size_t n, long long file_len, long long *off, int *table,
                const unsigned char *pdf)
{
    size_t i;
    const char *kw = "startxref";
    long long v = -1;

    for (i = n >= 9 ? n - 9 : 0;; i--) {
        if (i + 9 <= n && memcmp(tail + i, kw, 9) == 0) {
            size_t j = i + 9;

            while (j < n && (tail[j] == ' ' || tail[j] == '\r' || tail[j] == '\n'))
                j++;
            v = 0;
            while (j < n && tail[j] >= '0' && tail[j] <= '9' && v < file_len)
                v = v * 10 + (tail[j++] - '0');
            break;
        }
        if (i == 0)
            break;
    }
    if (v <= 0 || v >= file_len)
        return HALL_ERR;
    *off = v;
    *table = file_len - v >= 4 && memcmp(pdf + v, "xref", 4) == 0;
    return HALL_OK;
}
/* ---- the incremental update ----------------------------------------------------------- */

static int
obj_cmp(const void *a, const void *b)
{
    const struct stamp_obj *x = a, *y = b;

    return (x->num > y->num) - (x->num < y->num);
}

static void
beijing_date(time_t t, char out[64])
{
    time_t bj = t + 8 * 3600;
    struct tm tm;

    gmtime_r(&bj, &tm);
    snprintf(out, 64, "D:%04d%02d%02d%02d%02d%02d+08'00'", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* writes "num gen obj\n" and records the offset */
static void
obj_begin(struct stamp_buf *u, size_t base, struct stamp_obj *objs, int *nobjs, long long num,
          int gen)
{
    objs[*nobjs].num = num;
    objs[*nobjs].gen = gen;
    objs[*nobjs].off = (long long)(base + u->len);
    (*nobjs)++;
    stamp_buf_printf(u, "%lld %d obj\n", num, gen);
}

static void
stream_obj(struct stamp_buf *u, const char *dict_head, const unsigned char *data, size_t n)
{
    stamp_buf_printf(u, "%s /Length %zu >>\nstream\n", dict_head, n);
    stamp_buf_put(u, data, n);
    stamp_buf_str(u, "\nendstream\nendobj\n");
}

/* a dictionary (of object from's text) written again: its keys sorted
 * (libqpdf's order, kept on purpose: §4) with skip's left out, then extra
 * (already PDF syntax); HALL_ERR, u unchanged, when its keys' text would
 * pass STAMP_VALUE_MAX */
static int
dict_again(const struct stamp_doc *d, struct stamp_buf *u, const struct pdf_obj *dict, int from,
           const char *const *skip, const char *extra)
{
    struct pdf_out o = {.max = STAMP_VALUE_MAX};

    if (dict != NULL && dict->type == PDF_DICT &&
        pdf_write_keys(d->pd, &o, dict, skip, from) != HALL_OK) {
        free(o.p);
        return HALL_ERR;
    }
    stamp_buf_str(u, "<<");
    stamp_buf_put(u, o.p, o.len);
    free(o.p);
    stamp_buf_str(u, extra);
    stamp_buf_str(u, " >>");
    return HALL_OK;
}

/* the page (1-based) d's update puts a widget on: its object, /MediaBox
 * and /Annots */
int
stamp_doc_page(struct stamp_doc *d, int page, char *err, size_t errlen)
{
    int npages = pdf_page_count(d->pd), num = 0;

    if (page < 1 || page > npages) {
        snprintf(err, errlen, "页码超出范围：该文档共%d页", npages);
        return HALL_ERR;
    }
    d->page = pdf_page(d->pd, page, &num);
    d->page_num = num;
    d->page_gen = pdf_gen(d->pd, num);
    if (d->page == NULL || media_box(d->pd, d->page, d->box) != HALL_OK || d->page_num <= 0) {
        snprintf(err, errlen, "PDF文件已损坏：第%d页没有页面尺寸（MediaBox）", page);
        return HALL_ERR;
    }
    d->rotate = page_rotate(d->pd, d->page);
    if (d->rotate < 0) {
        snprintf(err, errlen,
                 "第%d页的旋转角度（/Rotate）不是90的整数倍，各阅读器会把页面和印章转到不同的位置，"
                 "因此不能盖章",
                 page);
        return HALL_ERR;
    }
    d->annots = key_of(d->pd, d->page, "/Annots", &d->annots_num, &d->annots_gen);
    return HALL_OK;
}

/* reads what the update needs; the page in range */
int
stamp_doc_read(struct stamp_doc *d, const unsigned char *pdf, size_t len, int page, char *err,
               size_t errlen)
{
    const struct pdf_obj *trailer, *size;

    d->pdf = pdf;
    d->len = len;
    if (stamp_doc_core_reads(pdf, len, d, err, errlen) != HALL_OK)
        return HALL_ERR;
    if (stamp_last_xref(pdf + (len > 1024 ? len - 1024 : 0), len > 1024 ? 1024 : len,
                        (long long)len, &d->prev, &d->table, pdf) != HALL_OK) {
        snprintf(err, errlen, "PDF文件已损坏：文件末尾没有交叉引用表的位置（startxref）");
        return HALL_ERR;
    }
    if (stamp_doc_page(d, page, err, errlen) != HALL_OK)
        return HALL_ERR;
    trailer = pdf_trailer(d->pd);
    d->root = pdf_root(d->pd);
    size = pdf_key(d->pd, trailer, "/Size");
    d->size = size != NULL && size->type == PDF_INT ? size->i : 0;
    d->root_num = ref_of(pdf_dict_get(trailer, "/Root"), &d->root_gen);
    if (d->size <= 0 || d->root_num <= 0 || d->root == NULL) {
        snprintf(err, errlen, "PDF文件已损坏：文件尾（trailer）缺少/Size或/Root");
        return HALL_ERR;
    }
    if (pdf_top(d->pd) >= d->size) {
        /* the update's new objects are numbered from /Size: they would
         * take the numbers of objects the file already has */
        snprintf(err, errlen,
                 "PDF文件已损坏：文件尾（trailer）的/Size为%lld，不大于文件中已使用的对象编号%d，"
                 "盖章写入的新对象会与原有对象重号，因此不能盖章。请先用PDF阅读器“另存为”或qpdf修复"
                 "后再盖章",
                 d->size, pdf_top(d->pd));
        return HALL_ERR;
    }
    if (d->size > STAMP_NUM_LIMIT + 1 - STAMP_NEW_MAX) {
        /* the update's new objects are numbered from /Size */
        snprintf(err, errlen,
                 "PDF文件尾（trailer）的/Size为%lld，盖章写入的新对象编号将超过PDF规范（ISO 32000）"
                 "允许的最大对象编号%lld，部分阅读器将打不开盖章后的文件或不显示印章，因此不能盖章",
                 d->size, STAMP_NUM_LIMIT);
        return HALL_ERR;
    }
    for (int num = 1; num < d->size; num++)
        if (stream_end_disagrees(d->pd, pdf, len, num)) {
            snprintf(err, errlen,
                     "PDF文件中对象%d的数据流长度（/Length）与其结束标记（endstream）不符，各阅读器"
                     "会读出不同的内容，盖章后显示的可能与原文不同，因此不能盖章。请先用PDF阅读器"
                     "“另存为”后再盖章",
                     num);
            return HALL_ERR;
        }
    d->info_num = ref_of(pdf_dict_get(trailer, "/Info"), &d->info_gen);
    d->acro = key_of(d->pd, d->root, "/AcroForm", &d->acro_num, &d->acro_gen);
    d->fields = &pdf_null;
    d->fields_num = 0;
    if (d->acro->type == PDF_DICT) {
        int g;

        d->fields = key_of(d->pd, d->acro, "/Fields", &d->fields_num, &g);
    }
    return HALL_OK;
}

void
stamp_doc_free(struct stamp_doc *d)
{
    if (d->pool != NULL)
        hall_pool_destroy(d->pool);
    d->pool = NULL;
    d->pd = NULL;
}

/* S: the signature dictionary, /ByteRange blank, /Contents reserve zeros */
static void
write_sig(struct stamp_update *up, const struct stamp_look *look, const char *subfilter,
          size_t reserve, time_t now)
{
    struct stamp_buf *u = &up->u;
    char when[64], reason[256];

    beijing_date(now, when);
    snprintf(reason, sizeof(reason), "电子印章 %s", look->es_id);
    obj_begin(u, up->base, up->objs, &up->nobjs, up->n_s, 0);
    stamp_buf_printf(u, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /%s /ByteRange [0 ",
                     subfilter);
    up->br_at = u->len;
    stamp_buf_str(u, "                                 ] /Contents ");
    up->gap_at = u->len;
    stamp_buf_str(u, "<");
    for (size_t k = 0; k < reserve; k++)
        stamp_buf_put(u, "0", 1);
    stamp_buf_str(u, ">");
    up->gap_end = u->len;
    stamp_buf_printf(u, " /M (%s) /Name ", when);
    stamp_pdf_utf16(u, look->name);
    stamp_buf_str(u, " /Reason ");
    stamp_pdf_utf16(u, reason);
    stamp_buf_str(u, " >>\nendobj\n");
}

/* W, the widget; N, its appearance; I and M, the picture and its mask */
static void
write_widget(struct stamp_update *up, const struct stamp_doc *d, const struct stamp_look *look)
{
    struct stamp_buf *u = &up->u;
    char fieldname[64], content[128], head[256];
    double w = look->w_pt, h = look->h_pt;
    /* on a turned page the picture is turned back (ISO 32000-1 §12.5.5:
     * /Matrix maps the /BBox, whose box then fills /Rect), so it stands
     * upright as the page is shown; /Rect is the turned box */
    double rw = look->rotate == 90 || look->rotate == 270 ? h : w;
    double rh = look->rotate == 90 || look->rotate == 270 ? w : h;
    static const char *const matrix[4] = {"", " /Matrix [0 1 -1 0 0 0]", " /Matrix [-1 0 0 -1 0 0]",
                                          " /Matrix [0 -1 1 0 0 0]"};
    int cl;

    snprintf(fieldname, sizeof(fieldname), "印章%d", d->nsigs + 1);
    obj_begin(u, up->base, up->objs, &up->nobjs, up->n_w, 0);
    stamp_buf_str(u, "<< /Type /Annot /Subtype /Widget /FT /Sig /T ");
    stamp_pdf_utf16(u, fieldname);
    stamp_buf_printf(u,
                     " /V %lld 0 R /F 132 /P %d %d R /Rect [%.2f %.2f %.2f %.2f] /AP << /N %lld "
                     "0 R >> >>\nendobj\n",
                     up->n_s, d->page_num, d->page_gen, look->cx - rw / 2, look->cy - rh / 2,
                     look->cx + rw / 2, look->cy + rh / 2, up->n_n);
    obj_begin(u, up->base, up->objs, &up->nobjs, up->n_n, 0);
    cl = snprintf(content, sizeof(content), "q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", w, h);
    snprintf(head, sizeof(head),
             "<< /Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f]%s /Resources << "
             "/XObject << /Im0 %lld 0 R >> >>",
             w, h, matrix[(look->rotate / 90) & 3], up->n_i);
    stream_obj(u, head, (unsigned char *)content, (size_t)cl);
    obj_begin(u, up->base, up->objs, &up->nobjs, up->n_i, 0);
    snprintf(head, sizeof(head),
             "<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
             "/DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /SMask %lld 0 R",
             look->pw, look->ph, up->n_m);
    stream_obj(u, head, look->zrgb, look->zrgb_len);
    obj_begin(u, up->base, up->objs, &up->nobjs, up->n_m, 0);
    snprintf(head, sizeof(head),
             "<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
             "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
             look->pw, look->ph);
    stream_obj(u, head, look->zalpha, look->zalpha_len);
}

/* the page, or its /Annots array, again with the widget (ref) added; then
 * compared with the input's text */
static int
write_page_again(struct stamp_update *up, const struct stamp_doc *d, const char *ref,
                 long long added, char *err, size_t errlen)
{
    static const char *const skip[] = {"/Annots", NULL};
    struct stamp_buf *u = &up->u;
    size_t at;
    int rc;

    if (d->annots->type == PDF_ARRAY && d->annots_num > 0) {
        obj_begin(u, up->base, up->objs, &up->nobjs, d->annots_num, d->annots_gen);
        at = u->len;
        if (pdf_array_plus(d, u, d->annots, d->annots_num, ref) != HALL_OK) {
            stamp_too_big(err, errlen, "页面的注释列表（Annots）");
            return HALL_ERR;
        }
        rc = stamp_raw_kept(d, d->annots_num, d->annots_gen, u->p + at, u->len - at, NULL, NULL,
                            added, "页面的注释列表（Annots）", err, errlen);
        stamp_buf_str(u, "\nendobj\n");
    } else {
        struct stamp_buf a = {0};

        stamp_buf_str(&a, " /Annots ");
        rc = pdf_array_plus(d, &a, d->annots, d->page_num, ref);
        stamp_buf_put(&a, "", 1);
        obj_begin(u, up->base, up->objs, &up->nobjs, d->page_num, d->page_gen);
        at = u->len;
        if (rc != HALL_OK ||
            dict_again(d, u, d->page, d->page_num, skip, (const char *)a.p) != HALL_OK) {
            stamp_too_big(err, errlen, "页面对象");
            stamp_buf_free(&a);
            return HALL_ERR;
        }
        rc = stamp_raw_kept(d, d->page_num, d->page_gen, u->p + at, u->len - at, NULL, "/Annots",
                            added, "页面对象", err, errlen);
        stamp_buf_str(u, "\nendobj\n");
        stamp_buf_free(&a);
    }
    return rc;
}

/* the form, or the catalog, again with the field (ref) and /SigFlags 3;
 * then compared with the input's text */
static int
write_form_again(struct stamp_update *up, const struct stamp_doc *d, const char *ref,
                 long long added, char *err, size_t errlen)
{
    static const char *const skip_form[] = {"/Fields", "/SigFlags", NULL};
    static const char *const skip_root[] = {"/AcroForm", NULL};
    static const char *const guard_form[] = {"/SigFlags", NULL};
    struct stamp_buf *u = &up->u, f = {0};
    int form_from = d->acro_num > 0 ? d->acro_num : d->root_num;
    size_t at;
    int rc;

    stamp_buf_str(&f, " /Fields ");
    if (pdf_array_plus(d, &f, d->fields, d->fields_num > 0 ? d->fields_num : form_from, ref) !=
        HALL_OK) {
        stamp_too_big(err, errlen, "表单的域列表（Fields）");
        stamp_buf_free(&f);
        return HALL_ERR;
    }
    stamp_buf_str(&f, " /SigFlags 3");
    stamp_buf_put(&f, "", 1);
    if (d->acro->type == PDF_DICT && d->acro_num > 0) {
        obj_begin(u, up->base, up->objs, &up->nobjs, d->acro_num, d->acro_gen);
        at = u->len;
        if (dict_again(d, u, d->acro, d->acro_num, skip_form, (const char *)f.p) != HALL_OK) {
            stamp_too_big(err, errlen, "文档的表单（AcroForm）");
            stamp_buf_free(&f);
            return HALL_ERR;
        }
        rc = stamp_raw_kept(d, d->acro_num, d->acro_gen, u->p + at, u->len - at, guard_form,
                            "/Fields", added, "文档的表单（AcroForm）", err, errlen);
        stamp_buf_str(u, "\nendobj\n");
    } else {
        struct stamp_buf form = {0};

        stamp_buf_str(&form, " /AcroForm ");
        rc = HALL_OK;
        if (d->acro->type == PDF_DICT)
            rc = dict_again(d, &form, d->acro, form_from, skip_form, (const char *)f.p);
        else
            stamp_buf_printf(&form, "<<%s >>", (const char *)f.p);
        stamp_buf_put(&form, "", 1);
        obj_begin(u, up->base, up->objs, &up->nobjs, d->root_num, d->root_gen);
        at = u->len;
        if (rc != HALL_OK ||
            dict_again(d, u, d->root, d->root_num, skip_root, (const char *)form.p) != HALL_OK) {
            stamp_too_big(err, errlen, "文档目录（Catalog）");
            stamp_buf_free(&form);
            stamp_buf_free(&f);
            return HALL_ERR;
        }
        rc = stamp_raw_kept(d, d->root_num, d->root_gen, u->p + at, u->len - at, skip_root, NULL, 0,
                            "文档目录（Catalog）", err, errlen);
        /* a direct /AcroForm: its keys too */
        if (rc == HALL_OK && d->acro->type == PDF_DICT)
            rc = stamp_raw_inner_kept(d, d->root_num, d->root_gen, "/AcroForm", u->p + at,
                                      u->len - at, guard_form, "/Fields", added,
                                      "文档的表单（AcroForm）", err, errlen);
        stamp_buf_str(u, "\nendobj\n");
        stamp_buf_free(&form);
    }
    stamp_buf_free(&f);
    return rc;
}

int
stamp_write_objects(struct stamp_update *up, const struct stamp_doc *d,
                    const struct stamp_look *look, const char *subfilter, size_t reserve,
                    time_t now, char *err, size_t errlen)
{
    char ref[64];

    up->n_s = d->size;
    up->n_w = d->size + 1;
    up->n_n = d->size + 2;
    up->n_i = d->size + 3;
    up->n_m = d->size + 4;
    write_sig(up, look, subfilter, reserve, now);
    write_widget(up, d, look);
    snprintf(ref, sizeof(ref), "%lld 0 R", up->n_w);
    if (write_page_again(up, d, ref, up->n_w << 16, err, errlen) != HALL_OK ||
        write_form_again(up, d, ref, up->n_w << 16, err, errlen) != HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}

/* the trailer's /ID (the input's first element, a new second), NUL-ended */
static void
trailer_id(const struct stamp_doc *d, struct stamp_buf *ids)
{
    unsigned char idnew[16];

    if (RAND_bytes(idnew, sizeof(idnew)) != 1)
        abort();
    stamp_buf_str(ids, "[");
    if (d->id0_len >= 0) {
        stamp_pdf_hex(ids, d->id0, (size_t)d->id0_len);
    } else {
        stamp_pdf_hex(ids, idnew, sizeof(idnew));
    }
    stamp_buf_str(ids, " ");
    stamp_pdf_hex(ids, idnew, sizeof(idnew));
    stamp_buf_str(ids, "]");
    stamp_buf_put(ids, "", 1);
}

static void
xref_table(struct stamp_update *up, const struct stamp_doc *d, long long max_num, const char *extra,
           const char *ids)
{
    struct stamp_buf *u = &up->u;
    long long xoff = (long long)(up->base + u->len);
    int i;

    qsort(up->objs, (size_t)up->nobjs, sizeof(up->objs[0]), obj_cmp);
    stamp_buf_str(u, "xref\n");
    for (i = 0; i < up->nobjs;) {
        int j = i;

        while (j + 1 < up->nobjs && up->objs[j + 1].num == up->objs[j].num + 1)
            j++;
        stamp_buf_printf(u, "%lld %d\n", up->objs[i].num, j - i + 1);
        for (; i <= j; i++)
            stamp_buf_printf(u, "%010lld %05d n\r\n", up->objs[i].off, up->objs[i].gen);
    }
    stamp_buf_printf(u, "trailer\n<< /Size %lld /Root %d %d R%s /ID %s /Prev %lld >>\n",
                     (max_num + 1 > d->size ? max_num + 1 : d->size), d->root_num, d->root_gen,
                     extra, ids, d->prev);
    stamp_buf_printf(u, "startxref\n%lld\n%%%%EOF\n", xoff);
}

static void
xref_stream(struct stamp_update *up, const struct stamp_doc *d, long long max_num,
            const char *extra, const char *ids)
{
    struct stamp_buf *u = &up->u, data = {0}, idx = {0};
    char head[1024];
    long long n_x = max_num + 1, xoff = (long long)(up->base + u->len);
    int i;

    up->objs[up->nobjs].num = n_x;
    up->objs[up->nobjs].gen = 0;
    up->objs[up->nobjs].off = xoff;
    up->nobjs++;
    qsort(up->objs, (size_t)up->nobjs, sizeof(up->objs[0]), obj_cmp);
    for (i = 0; i < up->nobjs;) {
        int j = i;

        while (j + 1 < up->nobjs && up->objs[j + 1].num == up->objs[j].num + 1)
            j++;
        stamp_buf_printf(&idx, "%s%lld %d", idx.len ? " " : "", up->objs[i].num, j - i + 1);
        for (; i <= j; i++) {
            const struct stamp_obj *o = &up->objs[i];
            unsigned char e[7] = {1,
                                  (unsigned char)(o->off >> 24),
                                  (unsigned char)(o->off >> 16),
                                  (unsigned char)(o->off >> 8),
                                  (unsigned char)o->off,
                                  (unsigned char)(o->gen >> 8),
                                  (unsigned char)o->gen};

            stamp_buf_put(&data, e, 7);
        }
    }
    stamp_buf_put(&idx, "", 1);
    stamp_buf_printf(u, "%lld 0 obj\n", n_x);
    snprintf(head, sizeof(head),
             "<< /Type /XRef /W [1 4 2] /Index [%s] /Prev %lld /Root %d %d R%s /ID %s "
             "/Size %lld",
             (const char *)idx.p, d->prev, d->root_num, d->root_gen, extra, ids,
             (n_x + 1 > d->size ? n_x + 1 : d->size));
    stream_obj(u, head, data.p, data.len);
    stamp_buf_printf(u, "startxref\n%lld\n%%%%EOF\n", xoff);
    stamp_buf_free(&data);
    stamp_buf_free(&idx);
}

void
stamp_write_xref(struct stamp_update *up, const struct stamp_doc *d)
{
    struct stamp_buf ids = {0};
    char extra[256], br[64];
    long long max_num = up->n_m, a, b, c;
    int i;

    trailer_id(d, &ids);
    if (d->info_num > 0)
        snprintf(extra, sizeof(extra), " /Info %d %d R", d->info_num, d->info_gen);
    else
        extra[0] = '\0';
    for (i = 0; i < up->nobjs; i++)
        if (up->objs[i].num > max_num)
            max_num = up->objs[i].num;
    if (d->table)
        xref_table(up, d, max_num, extra, (const char *)ids.p);
    else
        xref_stream(up, d, max_num, extra, (const char *)ids.p);
    stamp_buf_free(&ids);
    if (up->gap_end == 0) /* a /DSS update (stamp_dss.c): no signature */
        return;
    /* /ByteRange: before the gap, after it to the end */
    a = (long long)(up->base + up->gap_at);
    b = (long long)(up->base + up->gap_end);
    c = (long long)(up->base + up->u.len) - b;
    snprintf(br, sizeof(br), "%-10lld %-10lld %-10lld", a, b, c);
    memcpy(up->u.p + up->br_at, br, 32);
}

/* ---- what stamp_dss.c's updates write with the same hands -------------------------- */

void
stamp_obj_begin(struct stamp_update *up, long long num, int gen)
{
    obj_begin(&up->u, up->base, up->objs, &up->nobjs, num, gen);
}

int
stamp_dict_again(const struct stamp_doc *d, struct stamp_buf *u, const struct pdf_obj *dict,
                 int from, const char *const *skip, const char *extra)
{
    return dict_again(d, u, dict, from, skip, extra);
}

int
stamp_widget_added(struct stamp_update *up, const struct stamp_doc *d, long long w, char *err,
                   size_t errlen)
{
    char ref[64];

    snprintf(ref, sizeof(ref), "%lld 0 R", w);
    if (write_page_again(up, d, ref, w << 16, err, errlen) != HALL_OK ||
        write_form_again(up, d, ref, w << 16, err, errlen) != HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}

/* ---- what stamp_qifeng.c's update writes with the same hands ----------------------- */

void
stamp_write_sig(struct stamp_update *up, const struct stamp_look *look, const char *subfilter,
                size_t reserve, time_t now)
{
    write_sig(up, look, subfilter, reserve, now);
}

void
stamp_stream_obj(struct stamp_buf *u, const char *dict_head, const unsigned char *data, size_t n)
{
    stream_obj(u, dict_head, data, n);
}

int
stamp_page_added(struct stamp_update *up, const struct stamp_doc *d, long long w, char *err,
                 size_t errlen)
{
    char ref[64];

    snprintf(ref, sizeof(ref), "%lld 0 R", w);
    return write_page_again(up, d, ref, w << 16, err, errlen);
}

int
stamp_form_added(struct stamp_update *up, const struct stamp_doc *d, long long f, char *err,
                 size_t errlen)
{
    char ref[64];

    snprintf(ref, sizeof(ref), "%lld 0 R", f);
    return write_form_again(up, d, ref, f << 16, err, errlen);
}
