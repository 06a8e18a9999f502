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
 * Poppler measures a page from its /CropBox (what a viewer shows), the
 * signer from its /MediaBox (core/stamp/stamp_der.c's hall_stamp_point, as
 * --x and --y are given): on a page cropped to less than its media (Word
 * files a PDF editor cut down, scans, imposed prints) the two differ, and
 * the keyword's place is moved from the one to the other here, the page's
 * /MediaBox and /Rotate read with libqpdf as the signer reads them.
 *
 * Owns: the keyword's boxes in mm on the page as shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <poppler.h>
#include <qpdf/qpdf-c.h>

#include "stamp_find.h"

#define MM(pt) ((pt)*25.4 / 72.0)

/* an inherited page attribute (/MediaBox, /Rotate) of page n (0-based) */
static qpdf_oh
page_key(qpdf_data q, int n, const char *key)
{
    qpdf_oh node = qpdf_get_page_n(q, (size_t)n);
    int depth;

    for (depth = 0; depth < 64 && qpdf_oh_is_dictionary(q, node); depth++) {
        qpdf_oh v = qpdf_oh_get_key(q, node, key);

        if (!qpdf_oh_is_null(q, v))
            return v;
        node = qpdf_oh_get_key(q, node, "/Parent");
    }
    return qpdf_oh_new_null(q);
}

/* where the top-left corner of page n's /CropBox (poppler's text, its
 * corners crop[]: llx lly urx ury) lies on the page as the signer measures
 * it, from the /MediaBox's top-left corner as shown (its /Rotate applied):
 * *sx right and *sy down, points; 0 0 when the boxes cannot be read (the
 * signer then refuses the page itself) */
static void
crop_shift(qpdf_data q, int n, const double crop[4], double *sx, double *sy)
{
    qpdf_oh mb = page_key(q, n, "/MediaBox"), rot = page_key(q, n, "/Rotate");
    double m[4], l, r, b, t;
    int i, rotate = 0;

    *sx = *sy = 0;
    if (!qpdf_oh_is_array(q, mb) || qpdf_oh_get_array_n_items(q, mb) != 4)
        return;
    for (i = 0; i < 4; i++) {
        qpdf_oh v = qpdf_oh_get_array_item(q, mb, i);

        if (!qpdf_oh_is_number(q, v))
            return;
        m[i] = qpdf_oh_get_numeric_value(q, v);
    }
    l = m[0] < m[2] ? m[0] : m[2];
    r = m[0] < m[2] ? m[2] : m[0];
    b = m[1] < m[3] ? m[1] : m[3];
    t = m[1] < m[3] ? m[3] : m[1];
    if (qpdf_oh_is_integer(q, rot))
        rotate = (int)(((qpdf_oh_get_int_value(q, rot) % 360) + 360) % 360) / 90 * 90;
    /* the corner shown top-left: user space's top-left (0), bottom-left
     * (90), bottom-right (180) or top-right (270) of each box */
    switch (rotate) {
    case 90:
        *sx = crop[1] - b;
        *sy = crop[0] - l;
        break;
    case 180:
        *sx = r - crop[2];
        *sy = crop[1] - b;
        break;
    case 270:
        *sx = t - crop[3];
        *sy = r - crop[2];
        break;
    default: *sx = crop[0] - l; *sy = t - crop[3];
    }
}

int
stamp_find_text(const unsigned char *pdf, size_t len, const char *text,
                struct stamp_find_match *out, int max, int *npages, char *err, size_t errlen)
{
    GBytes *bytes = g_bytes_new_static(pdf, len);
    GError *gerr = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
    qpdf_data q;
    int i, n = 0, boxes;

    *npages = 0;
    if (doc == NULL) {
        snprintf(err, errlen, "无法读取PDF文件中的文字：%s",
                 gerr != NULL ? gerr->message : "未知错误");
        g_clear_error(&gerr);
        g_bytes_unref(bytes);
        return -1;
    }
    *npages = poppler_document_get_n_pages(doc);
    q = qpdf_init();
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    boxes = (qpdf_read_memory(q, "input.pdf", (const char *)pdf, (unsigned long long)len, NULL) &
             QPDF_ERRORS) == 0 &&
            qpdf_get_num_pages(q) == *npages;
    while (qpdf_has_error(q))
        qpdf_get_error(q);
    for (i = 0; i < *npages && n < max; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        PopplerRectangle crop;
        GList *found, *l;
        double height = 0, sx = 0, sy = 0, c[4];

        if (page == NULL)
            continue;
        /* boxes on the page as shown (turned by /Rotate), from its
         * bottom-left corner, the page's height that of the page as shown;
         * then moved from the crop box's corner to the media box's */
        poppler_page_get_size(page, NULL, &height);
        poppler_page_get_crop_box(page, &crop);
        c[0] = crop.x1;
        c[1] = crop.y1;
        c[2] = crop.x2;
        c[3] = crop.y2;
        if (boxes)
            crop_shift(q, i, c, &sx, &sy);
        found = poppler_page_find_text_with_options(page, text, POPPLER_FIND_DEFAULT);
        for (l = found; l != NULL; l = l->next) {
            PopplerRectangle *r = l->data;

            if (n < max) {
                out[n].page = i + 1;
                out[n].x_mm = MM(sx + (r->x1 + r->x2) / 2);
                out[n].y_mm = MM(sy + height - (r->y1 + r->y2) / 2);
                out[n].w_mm = MM(r->x2 > r->x1 ? r->x2 - r->x1 : r->x1 - r->x2);
                out[n].h_mm = MM(r->y2 > r->y1 ? r->y2 - r->y1 : r->y1 - r->y2);
                n++;
            }
            poppler_rectangle_free(r);
        }
        g_list_free(found);
        g_object_unref(page);
    }
    qpdf_cleanup(&q);
    g_object_unref(doc);
    g_bytes_unref(bytes);
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
