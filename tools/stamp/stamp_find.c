/*
 * Where a keyword is shown on a PDF's pages, for hall-stamp sign
 * --keyword (docs/modules/stamp.md, "Stamping by keyword").
 *
 * The text is poppler's (libpoppler-glib): the fonts' ToUnicode maps, CID
 * fonts and their subsets, glyph widths from the fonts, a page's /Rotate.
 * A small reader of our own (core/pki/stamp_text.c takes every glyph half
 * as wide as high, which is enough to tell whether text lies under a
 * widget but not to centre a seal on a word) would have to grow all of
 * that; poppler is what pdftotext, pdfsig and Evince read text with, is
 * packaged by Debian, and is linked into the tool only (the FastCGI
 * workers never find text).
 *
 * Owns: the keyword's boxes in mm on the page as shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <poppler.h>

#include "stamp_find.h"

#define MM(pt) ((pt)*25.4 / 72.0)

int
stamp_find_text(const unsigned char *pdf, size_t len, const char *text,
                struct stamp_find_match *out, int max, int *npages, char *err, size_t errlen)
{
    GBytes *bytes = g_bytes_new_static(pdf, len);
    GError *gerr = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
    int i, n = 0;

    *npages = 0;
    if (doc == NULL) {
        snprintf(err, errlen, "无法读取PDF文件中的文字：%s",
                 gerr != NULL ? gerr->message : "未知错误");
        g_clear_error(&gerr);
        g_bytes_unref(bytes);
        return -1;
    }
    *npages = poppler_document_get_n_pages(doc);
    for (i = 0; i < *npages && n < max; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        GList *found, *l;
        double height = 0;

        if (page == NULL)
            continue;
        /* boxes on the page as shown (turned by /Rotate), from its
         * bottom-left corner, the page's height that of the page as shown */
        poppler_page_get_size(page, NULL, &height);
        found = poppler_page_find_text_with_options(page, text, POPPLER_FIND_DEFAULT);
        for (l = found; l != NULL; l = l->next) {
            PopplerRectangle *r = l->data;

            if (n < max) {
                out[n].page = i + 1;
                out[n].x_mm = MM((r->x1 + r->x2) / 2);
                out[n].y_mm = MM(height - (r->y1 + r->y2) / 2);
                out[n].w_mm = MM(r->x2 > r->x1 ? r->x2 - r->x1 : r->x1 - r->x2);
                out[n].h_mm = MM(r->y2 > r->y1 ? r->y2 - r->y1 : r->y1 - r->y2);
                n++;
            }
            poppler_rectangle_free(r);
        }
        g_list_free(found);
        g_object_unref(page);
    }
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
