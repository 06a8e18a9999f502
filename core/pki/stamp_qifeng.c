/*
 * The 骑缝章 (cross-page seal, docs/internals/stamp.md §1c): one signature
 * whose appearance is the seal cut into vertical slices, one slice on the
 * chosen edge of each chosen page, so that the printed pages fanned out
 * side by side show the whole seal.
 *
 * Owns: the 骑缝章's update (the field, its widgets and their appearances)
 * and reading a signed field back as one.  Follows: ISO 32000-1 §12.7.3.1
 * (a terminal field whose /Kids are its widget annotations, each with its
 * own /P and /Rect; each also names the signature as /V, its parent's,
 * because poppler before 23 reads a widget with a /Parent as a field of
 * its own and would call it unsigned), §8.10.1 (a form XObject's /BBox clips what it draws:
 * each slice's appearance draws the whole picture, shifted, and shows its
 * own part of it).
 */
#include <stdio.h>
#include <string.h>

#include "stamp_int.h"

/* the slice's widget and appearance on the page d holds: k-th of n */
static void
slice_write(struct stamp_update *up, const struct stamp_doc *d, const struct stamp_look *look,
            long long n_f, long long n_w, int idx, double x1, double y1, double sw)
{
    struct stamp_buf *u = &up->u;
    char content[160], head[256];
    int cl;

    stamp_obj_begin(up, n_w, 0);
    stamp_buf_printf(
        u,
        "<< /Type /Annot /Subtype /Widget /Parent %lld 0 R /V %lld 0 R /F 132 /P %d %d "
        "R /Rect [%.2f %.2f %.2f %.2f] /AP << /N %lld 0 R >> >>\nendobj\n",
        n_f, up->n_s, d->page_num, d->page_gen, x1, y1, x1 + sw, y1 + look->h_pt, n_w + 1);
    stamp_obj_begin(up, n_w + 1, 0);
    /* the whole picture, its slice idx at the origin: the /BBox cuts it */
    cl = snprintf(content, sizeof(content), "q %.2f 0 0 %.2f %.2f 0 cm /Im0 Do Q", look->w_pt,
                  look->h_pt, -idx * sw);
    snprintf(head, sizeof(head),
             "<< /Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f] /Resources << "
             "/XObject << /Im0 %lld 0 R >> >>",
             sw, look->h_pt, up->n_i);
    stamp_stream_obj(u, head, (unsigned char *)content, (size_t)cl);
}

/* the field (its /Kids the n widgets from n_f + 3, two numbers each), the
 * picture and its mask */
static void
field_write(struct stamp_update *up, const struct stamp_doc *d, const struct stamp_look *look,
            long long n_f, int n)
{
    struct stamp_buf *u = &up->u;
    char name[64], head[256];

    snprintf(name, sizeof(name), "印章%d", d->nsigs + 1);
    stamp_obj_begin(up, n_f, 0);
    stamp_buf_str(u, "<< /FT /Sig /T ");
    stamp_pdf_utf16(u, name);
    stamp_buf_printf(u, " /V %lld 0 R /Kids [", up->n_s);
    for (int k = 0; k < n; k++)
        stamp_buf_printf(u, "%s%lld 0 R", k ? " " : "", n_f + 3 + 2LL * k);
    stamp_buf_str(u, "] >>\nendobj\n");
    stamp_obj_begin(up, up->n_i, 0);
    snprintf(head, sizeof(head),
             "<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
             "/DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /SMask %lld 0 R",
             look->pw, look->ph, up->n_m);
    stamp_stream_obj(u, head, look->zrgb, look->zrgb_len);
    stamp_obj_begin(up, up->n_m, 0);
    snprintf(head, sizeof(head),
             "<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
             "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
             look->pw, look->ph);
    stamp_stream_obj(u, head, look->zalpha, look->zalpha_len);
}

int
stamp_qifeng_write(struct stamp_update *up, struct stamp_doc *d, const struct stamp_look *look,
                   const struct hall_stamp_sign_in *in, const char *subfilter, size_t reserve,
                   time_t now, char *err, size_t errlen)
{
    int npages = qpdf_get_num_pages(d->q);
    int first = in->qf_first > 0 ? in->qf_first : 1;
    int last = in->qf_last > 0 ? in->qf_last : npages, n, k;
    int annots[STAMP_QIFENG_PAGES];
    long long n_f;
    double sw;

    if (first > last || last > npages) {
        snprintf(err, errlen, "骑缝章的页码范围%d-%d超出文档（该文档共%d页）", first, last, npages);
        return HALL_ERR;
    }
    n = last - first + 1;
    if (n < 2) {
        snprintf(err, errlen, "骑缝章至少要跨两页（所选页码只有第%d页）", first);
        return HALL_ERR;
    }
    if (n > STAMP_QIFENG_PAGES) {
        snprintf(err, errlen, "骑缝章最多跨%d页（所选%d页）：请分段加盖", STAMP_QIFENG_PAGES, n);
        return HALL_ERR;
    }
    sw = look->w_pt / n;
    up->n_s = d->size;
    n_f = up->n_w = d->size + 1;
    up->n_i = d->size + 2;
    up->n_m = d->size + 3;
    up->n_n = 0;
    stamp_write_sig(up, look, subfilter, reserve, now);
    field_write(up, d, look, n_f, n);
    for (k = 0; k < n; k++) {
        double cx, cy, x1, lo, hi, *b = d->box;
        int pg = first + k, a;

        if (stamp_doc_page(d, pg, err, errlen) != HALL_OK)
            return HALL_ERR;
        /* two pages sharing one /Annots array would write it twice */
        a = qpdf_oh_is_indirect(d->q, d->annots) ? qpdf_oh_get_object_id(d->q, d->annots) : 0;
        for (int j = 0; j < k && a > 0; j++)
            if (annots[j] == a) {
                snprintf(err, errlen, "第%d页与第%d页共用同一个注释列表（Annots），无法加盖骑缝章",
                         first + j, pg);
                return HALL_ERR;
            }
        annots[k] = a;
        lo = b[1] < b[3] ? b[1] : b[3];
        hi = b[1] < b[3] ? b[3] : b[1];
        if (in->y_mm > 0)
            hall_stamp_point(b, 0, 0, in->y_mm, &cx, &cy);
        else
            cy = (lo + hi) / 2;
        if (cy - look->h_pt / 2 < lo || cy + look->h_pt / 2 > hi) {
            snprintf(err, errlen, "骑缝章超出第%d页的上下边界（该页高%.0f毫米）", pg,
                     (hi - lo) * 25.4 / 72);
            return HALL_ERR;
        }
        /* the right edge: page 1 holds the seal's left slice, as the pages
         * fan out to the right; the left edge: page 1 its right slice */
        if (in->qifeng == HALL_STAMP_QIFENG_LEFT)
            x1 = b[0] < b[2] ? b[0] : b[2];
        else
            x1 = (b[0] < b[2] ? b[2] : b[0]) - sw;
        slice_write(up, d, look, n_f, n_f + 3 + 2LL * k,
                    in->qifeng == HALL_STAMP_QIFENG_LEFT ? n - 1 - k : k, x1, cy - look->h_pt / 2,
                    sw);
        if (stamp_page_added(up, d, n_f + 3 + 2LL * k, err, errlen) != HALL_OK)
            return HALL_ERR;
    }
    return stamp_form_added(up, d, n_f, err, errlen);
}

/* the page box (inherited /MediaBox) of q's page object */
static int
page_box(qpdf_data q, qpdf_oh page, double box[4])
{
    for (int depth = 0; depth < 64 && qpdf_oh_is_dictionary(q, page); depth++) {
        qpdf_oh mb = qpdf_oh_get_key(q, page, "/MediaBox");

        if (qpdf_oh_is_array(q, mb) && qpdf_oh_get_array_n_items(q, mb) == 4) {
            for (int i = 0; i < 4; i++)
                if (stamp_pdf_num(q, qpdf_oh_get_array_item(q, mb, i), &box[i]) != HALL_OK)
                    return HALL_ERR;
            return HALL_OK;
        }
        page = qpdf_oh_get_key(q, page, "/Parent");
    }
    return HALL_ERR;
}

/* "1-5", "1-3,7": the pages (1-based, ascending) as ranges */
static const char *
pages_text(struct hall_pool *pool, const int *pg, int n)
{
    char buf[512];
    size_t at = 0;

    buf[0] = '\0';
    for (int i = 0; i < n && at + 32 < sizeof(buf);) {
        int j = i;

        while (j + 1 < n && pg[j + 1] == pg[j] + 1)
            j++;
        at += (size_t)(j > i ? snprintf(buf + at, sizeof(buf) - at, "%s%d-%d", at ? "," : "", pg[i],
                                        pg[j])
                             : snprintf(buf + at, sizeof(buf) - at, "%s%d", at ? "," : "", pg[i]));
        i = j + 1;
    }
    return hall_pstrdup(pool, buf);
}

void
stamp_qifeng_read(struct hall_pool *pool, qpdf_data q, qpdf_oh f, const int *page_ids, int npages,
                  struct hall_stamp_sig *s)
{
    qpdf_oh kids = qpdf_oh_get_key(q, f, "/Kids");
    int n = qpdf_oh_is_array(q, kids) ? qpdf_oh_get_array_n_items(q, kids) : 0;
    int right = 0, left = 0, missing = 0, npg = 0, *pg;

    if (n < 2 || n > STAMP_QIFENG_PAGES)
        return;
    pg = hall_palloc(pool, sizeof(int) * (size_t)n);
    for (int k = 0; k < n; k++) {
        qpdf_oh w = qpdf_oh_get_array_item(q, kids, k), p = qpdf_oh_get_key(q, w, "/P");
        qpdf_oh r = qpdf_oh_get_key(q, w, "/Rect");
        double rect[4], box[4];
        int at = 0;

        if (!qpdf_oh_is_array(q, r) || qpdf_oh_get_array_n_items(q, r) != 4)
            return;
        for (int i = 0; i < 4; i++)
            if (stamp_pdf_num(q, qpdf_oh_get_array_item(q, r, i), &rect[i]) != HALL_OK)
                return;
        for (int j = 0; j < npages && at == 0; j++)
            if (page_ids[j] > 0 && page_ids[j] == qpdf_oh_get_object_id(q, p))
                at = j + 1;
        if (at == 0) { /* its page is gone from the document */
            missing++;
            continue;
        }
        for (int i = 0; i < npg; i++)
            if (pg[i] == at)
                return; /* two widgets on one page: not a 骑缝章 */
        pg[npg++] = at;
        if (page_box(q, p, box) != HALL_OK)
            return;
        /* an edge touched within a point */
        right += (rect[0] > rect[2] ? rect[0] : rect[2]) >= (box[0] > box[2] ? box[0] : box[2]) - 1;
        left += (rect[0] < rect[2] ? rect[0] : rect[2]) <= (box[0] < box[2] ? box[0] : box[2]) + 1;
    }
    if (npg + missing < 2 || (right < npg && left < npg))
        return;
    for (int i = 1; i < npg; i++) /* ascending: insertion sort of at most 300 */
        for (int j = i; j > 0 && pg[j - 1] > pg[j]; j--) {
            int t = pg[j];

            pg[j] = pg[j - 1];
            pg[j - 1] = t;
        }
    s->qifeng_edge = right == npg ? "right" : "left";
    s->qifeng_pages = pages_text(pool, pg, npg);
    s->qifeng_slices = n;
    s->qifeng_missing = missing;
}
