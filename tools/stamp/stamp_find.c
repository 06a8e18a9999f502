/*
 * Where a keyword is shown on a PDF's pages, for hall-stamp sign
 * --keyword (docs/modules/stamp.md, "Stamping by keyword").
 *
 * The text is poppler's (libpoppler-glib): the fonts' ToUnicode maps, CID
 * fonts and their subsets, glyph widths from the fonts, a page's /Rotate.
 * A small reader of our own (core/stamp/stamp_text.c takes every glyph half
 * as wide as high, which is enough to tell whether text lies under a
 * widget but not to centre a seal on a word) would have to grow all of
 * that; poppler is what pdftotext, pdfsig and Evince read text with, is
 * packaged by Debian, and is linked into the tool only (the FastCGI
 * workers never find text).
 *
 * The keyword is found by the rule 在线盖章's 按关键字定位 follows too
 * (static/stamp/keyword.js; docs/modules/stamp.md, "Finding a keyword:
 * the rule"): poppler's text of each line (poppler_page_get_text, a
 * rectangle per character from poppler_page_get_text_layout), each
 * character NFKC without white space, and the keyword alike; the seal's
 * centre on the centre of the matched characters' rectangles.  A turned
 * page is read from a copy whose pages are unturned (poppler reads the
 * text of a turned page in the order of the page as shown, its lines
 * backwards); its boxes are poppler's from the /CropBox's top-left corner,
 * taken back to user space and then to mm from the /MediaBox's corner as
 * the page is shown (core/stamp/stamp_der.c's hall_stamp_point, as --x
 * and --y are given), the /MediaBox and /Rotate read through core/pdf as
 * the signer reads them.  The unturned copy is the file with an
 * incremental update that writes each page again with /Rotate 0 (its other
 * keys as core/pdf's pdf_write_keys writes them): nothing of the file is
 * read or rewritten by another reader.
 *
 * Owns: the keyword's boxes in mm on the page as shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <poppler.h>

#include "pdf/pdf.h"
#include "stamp_find.h"

#define MM(pt) ((pt)*25.4 / 72.0)

/* page n's (0-based) /MediaBox (llx lly urx ury, ordered) and /Rotate (0,
 * 90, 180, 270), inherited, as the signer reads them: -1 when the box
 * cannot be read (the signer then refuses the page itself) */
static int
page_geom(struct pdf_doc *d, int n, double m[4], int *rotate)
{
    const struct pdf_obj *page = pdf_page(d, n + 1, NULL), *mb, *rot;
    double v[4];
    int i;

    *rotate = 0;
    if (page == NULL)
        return -1;
    mb = pdf_page_attr(d, page, "/MediaBox");
    rot = pdf_page_attr(d, page, "/Rotate");
    if (mb == NULL || mb->type != PDF_ARRAY || mb->n != 4)
        return -1;
    for (i = 0; i < 4; i++)
        if (pdf_num(pdf_resolve(d, mb->items[i]), &v[i]) != HALL_OK)
            return -1;
    m[0] = v[0] < v[2] ? v[0] : v[2];
    m[2] = v[0] < v[2] ? v[2] : v[0];
    m[1] = v[1] < v[3] ? v[1] : v[3];
    m[3] = v[1] < v[3] ? v[3] : v[1];
    if (rot != NULL && rot->type == PDF_INT)
        *rotate = (int)(((rot->i % 360) + 360) % 360) / 90 * 90;
    return 0;
}

/* a point of user space (px, py) as mm from the top-left corner of the
 * media box as shown (its /Rotate applied): --x and --y, static/stamp/
 * place.js's shownMm */
static void
shown_mm(const double m[4], int rotate, double px, double py, double *x, double *y)
{
    switch (rotate) {
    case 90:
        *x = py - m[1];
        *y = px - m[0];
        break;
    case 180:
        *x = m[2] - px;
        *y = py - m[1];
        break;
    case 270:
        *x = m[3] - py;
        *y = m[2] - px;
        break;
    default: *x = px - m[0]; *y = m[3] - py;
    }
    *x = MM(*x);
    *y = MM(*y);
}

/* the offset the last "startxref" names (in the file's last KiB), -1 none */
static long long
last_startxref(const unsigned char *pdf, size_t len)
{
    size_t from = len > 1024 ? len - 1024 : 0;
    const unsigned char *p = NULL, *q = pdf + from;
    long long v = -1;

    while ((q = memmem(q, len - (size_t)(q - pdf), "startxref", 9)) != NULL)
        p = q++;
    if (p == NULL)
        return -1;
    for (p += 9; p < pdf + len && (*p == ' ' || *p == '\r' || *p == '\n'); p++)
        ;
    for (v = 0; p < pdf + len && *p >= '0' && *p <= '9' && v < (long long)len; p++)
        v = v * 10 + (*p - '0');
    return v > 0 && v < (long long)len ? v : -1;
}

/* the file with every page's /Rotate 0 (poppler reads the text of a turned
 * page in the turned page's reading order, lines backwards): the file and
 * an incremental update writing each page again, in *copy (g_free); NULL
 * when no page is turned or a page cannot be written again */
static unsigned char *
unturned(struct pdf_doc *d, const unsigned char *pdf, size_t len, int npages, size_t *copy_len)
{
    static const char *const skip[] = {"/Rotate", NULL};
    const struct pdf_obj *tr = pdf_trailer(d), *root = pdf_dict_get(tr, "/Root"), *size;
    /* the file, then each page's keys again: some times the file at most */
    struct pdf_out o = {.max = 4 * len + 65536};
    long long prev = last_startxref(pdf, len), *offs, xoff;
    int i, rotate, turned = 0, *nums, ok = 1;
    double m[4];
    unsigned char *copy = NULL;

    for (i = 0; i < npages; i++)
        if (page_geom(d, i, m, &rotate) == 0 && rotate != 0)
            turned = 1;
    size = pdf_key(d, tr, "/Size");
    if (!turned || prev < 0 || root == NULL || root->type != PDF_REF || size == NULL ||
        size->type != PDF_INT)
        return NULL;
    offs = g_new0(long long, npages);
    nums = g_new0(int, npages);
    pdf_out_put(&o, pdf, len);
    pdf_out_put(&o, "\n", 1);
    for (i = 0; i < npages && ok; i++) {
        const struct pdf_obj *page = pdf_page(d, i + 1, &nums[i]);
        char head[64];

        ok = page != NULL && nums[i] > 0;
        if (!ok)
            break;
        offs[i] = (long long)o.len;
        snprintf(head, sizeof(head), "%d %d obj\n<<", nums[i], pdf_gen(d, nums[i]));
        pdf_out_put(&o, head, strlen(head));
        ok = pdf_write_keys(d, &o, page, skip, nums[i]) == HALL_OK;
        pdf_out_put(&o, " /Rotate 0 >>\nendobj\n", 22);
    }
    if (ok) {
        char line[160];

        xoff = (long long)o.len;
        pdf_out_put(&o, "xref\n", 5);
        for (i = 0; i < npages; i++) {
            snprintf(line, sizeof(line), "%d 1\n%010lld %05d n\r\n", nums[i], offs[i],
                     pdf_gen(d, nums[i]));
            pdf_out_put(&o, line, strlen(line));
        }
        snprintf(line, sizeof(line),
                 "trailer\n<< /Size %lld /Root %lld %d R /Prev %lld >>\nstartxref\n%lld\n%%%%EOF\n",
                 size->i, root->i, root->gen, prev, xoff);
        if (pdf_out_put(&o, line, strlen(line)) == HALL_OK) { /* o.full is kept */
            *copy_len = o.len;
            copy = g_memdup2(o.p, o.len);
        }
    }
    free(o.p);
    g_free(offs);
    g_free(nums);
    return copy;
}

/* s (UTF-8) as the rule compares it, appended to buf at *len (cap
 * bytes): NFKC, white space dropped; each byte's owner set to who */
static void
norm_append(const char *s, gssize n, char *buf, int *owner, size_t *len, size_t cap, int who)
{
    gchar *t = g_utf8_normalize(s, n, G_NORMALIZE_NFKC);
    const gchar *p, *q;

    if (t == NULL)
        return;
    for (p = t; *p != '\0'; p = q) {
        q = g_utf8_next_char(p);
        if (g_unichar_isspace(g_utf8_get_char(p)) || *len + (size_t)(q - p) >= cap)
            continue;
        for (; p < q; p++) {
            owner[*len] = who;
            buf[(*len)++] = *p;
        }
    }
    g_free(t);
}

/* the matches' order: by page, then rows 1 mm apart top to bottom, then
 * left to right (static/stamp/keyword.js's byPlace) */
static int
before(const struct stamp_find_match *p, const struct stamp_find_match *q)
{
    if (p->page != q->page)
        return p->page < q->page;
    if (p->y_mm - q->y_mm > 1 || q->y_mm - p->y_mm > 1)
        return p->y_mm < q->y_mm;
    return p->x_mm < q->x_mm;
}

/* where a page's boxes are: poppler's (points from the top-left corner
 * of the unturned crop box) to the signer's mm */
struct page_frame {
    int page, rotate;
    double crop_l, crop_t; /* the crop box's top-left corner, user space */
    double media[4];
};

/* the matches of kw (normalized, klen bytes) on one page's text (poppler's
 * reading order, a rectangle per character: r, nr), in the page's lines;
 * appended to out from *n, at most max */
static void
page_matches(const char *text, const PopplerRectangle *r, guint nr, const char *kw, size_t klen,
             const struct page_frame *pf, struct stamp_find_match *out, int *n, int max)
{
    size_t cap = strlen(text) * 4 + 16, len = 0;
    char *buf = g_malloc(cap);
    int *owner = g_malloc(cap * sizeof(int));
    const char *p = text;
    guint i = 0;

    for (;; p = g_utf8_next_char(p), i++) {
        int end = *p == '\0' || *p == '\n' || i >= nr;
        size_t at;

        if (!end) {
            norm_append(p, g_utf8_next_char(p) - p, buf, owner, &len, cap, (int)i);
            continue;
        }
        /* a line ends: its matches */
        for (at = 0; klen > 0 && at + klen <= len && *n < max;) {
            double x1 = 1e9, y1 = 1e9, x2 = -1e9, y2 = -1e9;
            int k;

            if (memcmp(buf + at, kw, klen) != 0) {
                at++;
                continue;
            }
            for (k = owner[at]; k <= owner[at + klen - 1]; k++) {
                x1 = r[k].x1 < x1 ? r[k].x1 : x1;
                x2 = r[k].x2 > x2 ? r[k].x2 : x2;
                y1 = r[k].y1 < y1 ? r[k].y1 : y1;
                y2 = r[k].y2 > y2 ? r[k].y2 : y2;
            }
            out[*n].page = pf->page;
            shown_mm(pf->media, pf->rotate, pf->crop_l + (x1 + x2) / 2, pf->crop_t - (y1 + y2) / 2,
                     &out[*n].x_mm, &out[*n].y_mm);
            out[*n].w_mm = MM(pf->rotate % 180 ? y2 - y1 : x2 - x1);
            out[*n].h_mm = MM(pf->rotate % 180 ? x2 - x1 : y2 - y1);
            (*n)++;
            at += klen;
        }
        len = 0;
        if (*p == '\0' || i >= nr)
            break;
    }
    g_free(owner);
    g_free(buf);
}

int
stamp_find_text(const unsigned char *pdf, size_t len, const char *text,
                struct stamp_find_match *out, int max, int *npages, char *err, size_t errlen)
{
    struct hall_pool *pool = hall_pool_create(65536);
    struct pdf_doc *d;
    char perr[128];
    int i, j, n = 0, nq = -1;
    struct page_frame *frames = NULL;
    unsigned char *copy = NULL;
    size_t copy_len = 0;
    GBytes *bytes;
    GError *gerr = NULL;
    PopplerDocument *doc;
    char kw[1024];
    int kwo[1024];
    size_t klen = 0;

    *npages = 0;
    /* the pages' boxes and turns as the signer reads them; poppler reads
     * the text of the pages unturned */
    d = pdf_open(pool, pdf, (long long)len, (long long)len, perr, sizeof(perr));
    if (d != NULL)
        nq = pdf_page_count(d);
    if (nq > 0) {
        frames = g_new0(struct page_frame, nq);
        for (i = 0; i < nq; i++)
            if (page_geom(d, i, frames[i].media, &frames[i].rotate) != 0)
                frames[i].rotate = -1;
        copy = unturned(d, pdf, len, nq, &copy_len);
    }
    hall_pool_destroy(pool);
    bytes = copy != NULL ? g_bytes_new_take(copy, copy_len) : g_bytes_new_static(pdf, len);
    doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
    if (doc == NULL) {
        snprintf(err, errlen, "无法读取PDF文件中的文字：%s",
                 gerr != NULL ? gerr->message : "未知错误");
        g_clear_error(&gerr);
        g_bytes_unref(bytes);
        g_free(frames);
        return -1;
    }
    /* the keyword as the rule compares it */
    if (g_utf8_validate(text, -1, NULL))
        norm_append(text, -1, kw, kwo, &klen, sizeof(kw), 0);
    *npages = poppler_document_get_n_pages(doc);
    for (i = 0; i < *npages && n < max && klen > 0; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        PopplerRectangle crop, *rects = NULL;
        struct page_frame pf = {i + 1, 0, 0, 0, {0, 0, 0, 0}};
        guint nrects = 0;
        char *t;
        int first = n;

        if (page == NULL)
            continue;
        poppler_page_get_crop_box(page, &crop);
        pf.crop_l = crop.x1 < crop.x2 ? crop.x1 : crop.x2;
        pf.crop_t = crop.y1 < crop.y2 ? crop.y2 : crop.y1;
        if (nq == *npages && frames[i].rotate >= 0) {
            pf.rotate = frames[i].rotate;
            memcpy(pf.media, frames[i].media, sizeof(pf.media));
        } else {
            /* the boxes unread: the crop box's corner (the signer refuses) */
            pf.media[0] = pf.crop_l;
            pf.media[3] = pf.crop_t;
        }
        t = poppler_page_get_text(page);
        if (t != NULL && poppler_page_get_text_layout(page, &rects, &nrects))
            page_matches(t, rects, nrects, kw, klen, &pf, out, &n, max);
        g_free(rects);
        g_free(t);
        /* this page's matches in the order of the page as shown */
        for (j = first + 1; j < n; j++) {
            struct stamp_find_match m = out[j];
            int k = j;

            for (; k > first && before(&m, &out[k - 1]); k--)
                out[k] = out[k - 1];
            out[k] = m;
        }
        g_object_unref(page);
    }
    g_object_unref(doc);
    g_bytes_unref(bytes);
    g_free(frames);
    return n;
}

int
stamp_find_which(const char *word)
{
    if (strcmp(word, "all") == 0)
        return STAMP_FIND_ALL;
    if (strcmp(word, "first") == 0)
        return STAMP_FIND_FIRST;
    if (strcmp(word, "last") == 0)
        return STAMP_FIND_LAST;
    return -1;
}

int
stamp_find_offset(const char *arg, double *dx, double *dy)
{
    char *end;

    *dx = strtod(arg, &end);
    if (end == arg || *end != ',')
        return -1;
    arg = end + 1;
    *dy = strtod(arg, &end);
    if (end == arg || *end != '\0' || *dx != *dx || *dy != *dy || *dx < -1000 || *dx > 1000 ||
        *dy < -1000 || *dy > 1000)
        return -1;
    return 0;
}

int
stamp_find_places(const unsigned char *pdf, size_t len, const char *keyword, int which, double dx,
                  double dy, struct stamp_find_match *out, int zh, char *err, size_t errlen)
{
    int n, npages, i;
    char why[256];

    n = stamp_find_text(pdf, len, keyword, out, STAMP_FIND_MAX, &npages, why, sizeof(why));
    if (n < 0) {
        snprintf(err, errlen, "%s", why);
        return 0;
    }
    if (n == 0) {
        if (npages == 1)
            snprintf(err, errlen,
                     zh ? "文档中没有关键字“%s”（已查找第1页，共1页）；未盖章"
                        : "the keyword \"%s\" is not in the document (page 1 of 1 searched); "
                          "nothing written",
                     keyword);
        else
            snprintf(err, errlen,
                     zh ? "文档中没有关键字“%s”（已查找第1至%d页，共%d页）；未盖章"
                        : "the keyword \"%s\" is not in the document (pages 1 to %d of %d "
                          "searched); nothing written",
                     keyword, npages, npages);
        return 0;
    }
    if (which == STAMP_FIND_LAST)
        out[0] = out[n - 1];
    if (which != STAMP_FIND_ALL)
        n = 1;
    for (i = 0; i < n; i++) {
        out[i].x_mm += dx;
        out[i].y_mm += dy;
    }
    return n;
}
