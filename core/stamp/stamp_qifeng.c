/*
 * The 骑缝章 (cross-page seal, docs/internals/stamp.md §1c): one signature
 * whose appearance is the seal cut into vertical slices, one slice on the
 * chosen edge of each chosen page, so that the printed pages fanned out
 * side by side show the whole seal.  The edge is the page's as shown: on a
 * page turned by /Rotate the slice goes where hall_stamp_point puts the
 * shown edge, its appearance turned back upright by a /Matrix, as a page
 * stamp's (ISO 32000-1 §12.5.5).
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

/* the appearance's /Matrix turning the picture back upright on a page
 * turned by /Rotate (as a page stamp's, stamp_pdf.c) */
static const char *const slice_matrix[4] = {"", " /Matrix [0 1 -1 0 0 0]",
                                            " /Matrix [-1 0 0 -1 0 0]", " /Matrix [0 -1 1 0 0 0]"};

/* the slice's widget and appearance on the page d holds: the idx-th slice,
 * sw points wide as shown, centred on (cx, cy) in user space; on a turned
 * page /Rect is the turned box and the /Matrix turns the slice back */
static void
slice_write(struct stamp_update *up, const struct stamp_doc *d, const struct stamp_look *look,
            long long n_f, long long n_w, int idx, double cx, double cy, double sw)
{
    struct stamp_buf *u = &up->u;
    char content[160], head[320];
    int turned = d->rotate == 90 || d->rotate == 270, cl;
    double rw = turned ? look->h_pt : sw, rh = turned ? sw : look->h_pt;

    stamp_obj_begin(up, n_w, 0);
    stamp_buf_printf(
        u,
        "<< /Type /Annot /Subtype /Widget /Parent %lld 0 R /V %lld 0 R /F 132 /P %d %d "
        "R /Rect [%.2f %.2f %.2f %.2f] /AP << /N %lld 0 R >> >>\nendobj\n",
        n_f, up->n_s, d->page_num, d->page_gen, cx - rw / 2, cy - rh / 2, cx + rw / 2, cy + rh / 2,
        n_w + 1);
    stamp_obj_begin(up, n_w + 1, 0);
    /* the whole picture, its slice idx at the origin: the /BBox cuts it */
    cl = snprintf(content, sizeof(content), "q %.2f 0 0 %.2f %.2f 0 cm /Im0 Do Q", look->w_pt,
                  look->h_pt, -idx * sw);
    snprintf(head, sizeof(head),
             "<< /Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f]%s /Resources << "
             "/XObject << /Im0 %lld 0 R >> >>",
             sw, look->h_pt, slice_matrix[(d->rotate / 90) & 3], up->n_i);
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
    int npages = pdf_page_count(d->pd);
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
        double *b, pw, ph, xs, ys, cx, cy;
        int pg = first + k, a;

        if (stamp_doc_page(d, pg, err, errlen) != HALL_OK)
            return HALL_ERR;
        /* two pages sharing one /Annots array would write it twice */
        a = d->annots_num;
        for (int j = 0; j < k && a > 0; j++)
            if (annots[j] == a) {
                snprintf(err, errlen, "第%d页与第%d页共用同一个注释列表（Annots），无法加盖骑缝章",
                         first + j, pg);
                return HALL_ERR;
            }
        annots[k] = a;
        b = d->box;
        pw = b[2] > b[0] ? b[2] - b[0] : b[0] - b[2];
        ph = b[3] > b[1] ? b[3] - b[1] : b[1] - b[3];
        if (d->rotate == 90 || d->rotate == 270) { /* the page as shown */
            double t = pw;

            pw = ph;
            ph = t;
        }
        /* the slice's centre on the page as shown, points from its top-left:
         * on the right edge page 1 holds the seal's left slice, as the pages
         * fan out to the right; on the left edge page 1 its right slice */
        ys = in->y_mm > 0 ? in->y_mm * 72.0 / 25.4 : ph / 2;
        if (ys - look->h_pt / 2 < 0 || ys + look->h_pt / 2 > ph) {
            snprintf(err, errlen, "骑缝章超出第%d页的上下边界（该页高%.0f毫米）", pg,
                     ph * 25.4 / 72);
            return HALL_ERR;
        }
        xs = in->qifeng == HALL_STAMP_QIFENG_LEFT ? sw / 2 : pw - sw / 2;
        hall_stamp_point(b, d->rotate, xs * 25.4 / 72, ys * 25.4 / 72, &cx, &cy);
        slice_write(up, d, look, n_f, n_f + 3 + 2LL * k,
                    in->qifeng == HALL_STAMP_QIFENG_LEFT ? n - 1 - k : k, cx, cy, sw);
        if (stamp_page_added(up, d, n_f + 3 + 2LL * k, err, errlen) != HALL_OK)
            return HALL_ERR;
    }
    return stamp_form_added(up, d, n_f, err, errlen);
}

/* the page box (inherited /MediaBox) and /Rotate (inherited: 0, 90, 180
 * or 270) of a page object of d (core/pdf) */
static int
page_box(struct pdf_doc *d, const struct pdf_obj *page, double box[4], int *rotate)
{
    int have_box = 0, have_rot = 0;

    *rotate = 0;
    for (int depth = 0; depth < 64 && page != NULL && page->type == PDF_DICT; depth++) {
        const struct pdf_obj *mb = pdf_key(d, page, "/MediaBox"), *r = pdf_key(d, page, "/Rotate");

        if (!have_box && mb != NULL && mb->type == PDF_ARRAY && mb->n == 4) {
            for (int i = 0; i < 4; i++)
                if (pdf_num(pdf_resolve(d, mb->items[i]), &box[i]) != HALL_OK)
                    return HALL_ERR;
            have_box = 1;
        }
        if (!have_rot && r != NULL && r->type == PDF_INT) {
            *rotate = (int)(((r->i % 360) + 360) % 360) / 90 * 90;
            have_rot = 1;
        }
        page = pdf_key(d, page, "/Parent");
    }
    return have_box ? HALL_OK : HALL_ERR;
}

/* a widget's /Rect across the page as shown (/Rotate applied): its left
 * and right, from the shown page's left, and the shown page's width */
static void
shown_across(const double box[4], int rotate, const double rect[4], double *x0, double *x1,
             double *width)
{
    double l = box[0] < box[2] ? box[0] : box[2], r = box[0] < box[2] ? box[2] : box[0];
    double b = box[1] < box[3] ? box[1] : box[3], t = box[1] < box[3] ? box[3] : box[1];
    double lo, hi;

    /* the shown x of user space: x - l (0), y - b (90), r - x (180), t - y (270) */
    if (rotate == 90 || rotate == 270) {
        lo = rect[1] < rect[3] ? rect[1] : rect[3];
        hi = rect[1] < rect[3] ? rect[3] : rect[1];
        *width = t - b;
        *x0 = rotate == 90 ? lo - b : t - hi;
        *x1 = rotate == 90 ? hi - b : t - lo;
    } else {
        lo = rect[0] < rect[2] ? rect[0] : rect[2];
        hi = rect[0] < rect[2] ? rect[2] : rect[0];
        *width = r - l;
        *x0 = rotate == 180 ? r - hi : lo - l;
        *x1 = rotate == 180 ? r - lo : hi - l;
    }
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
stamp_qifeng_read(struct hall_pool *pool, struct pdf_doc *d, int num, int gen, const int *page_ids,
                  int npages, struct hall_stamp_sig *s)
{
    const struct pdf_obj *f = d != NULL && num > 0 ? pdf_get(d, num, gen) : NULL;
    const struct pdf_obj *kids = f != NULL ? pdf_key(d, f, "/Kids") : NULL;
    int n = kids != NULL && kids->type == PDF_ARRAY ? kids->n : 0;
    int right = 0, left = 0, missing = 0, npg = 0, *pg;

    if (n < 2 || n > STAMP_QIFENG_PAGES)
        return;
    pg = hall_palloc(pool, sizeof(int) * (size_t)n);
    for (int k = 0; k < n; k++) {
        const struct pdf_obj *w = pdf_resolve(d, kids->items[k]);
        const struct pdf_obj *p = pdf_dict_get(w, "/P"), *r = pdf_key(d, w, "/Rect");
        double rect[4], box[4], x0, x1, width;
        int at = 0, rotate;

        if (r == NULL || r->type != PDF_ARRAY || r->n != 4)
            return;
        for (int i = 0; i < 4; i++)
            if (pdf_num(pdf_resolve(d, r->items[i]), &rect[i]) != HALL_OK)
                return;
        for (int j = 0; j < npages && at == 0; j++)
            if (page_ids[j] > 0 && page_ids[j] == pdf_ref_num(p))
                at = j + 1;
        if (at == 0) { /* its page is gone from the document */
            missing++;
            continue;
        }
        for (int i = 0; i < npg; i++)
            if (pg[i] == at)
                return; /* two widgets on one page: not a 骑缝章 */
        pg[npg++] = at;
        if (page_box(d, pdf_resolve(d, p), box, &rotate) != HALL_OK)
            return;
        /* an edge of the page as shown touched within a point */
        shown_across(box, rotate, rect, &x0, &x1, &width);
        right += x1 >= width - 1;
        left += x0 <= 1;
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
