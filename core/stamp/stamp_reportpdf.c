/*
 * stamp_reportpdf.c: the 验签报告 drawn as an A4 PDF, the way the
 * 电子签章采集表 is (sealimg.c): cairo's PDF surface, pango with the CJK
 * font of fonts-noto-cjk (cairo embeds a subset of it, so the text is
 * searchable: pdftotext reads it back), each seal's picture as an image at
 * 30 mm; the streams to memory are sealimg.c's (sealimg_cairo.h).  In
 * libhallseal: only the programs that draw link cairo.
 */
#include <stdio.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "pki/pki.h"
#include "pki/sealimg_cairo.h"
#include "stamp_int.h"

#define REPORT_FONT "Noto Sans CJK SC"
#define PAGE_W      HALL_A4_W_PT
#define PAGE_H      HALL_A4_H_PT
#define MARGIN      50.0
#define REPORT_MAX  ((size_t)8 * 1024 * 1024)
#define SEAL_PT     (30.0 * 72.0 / 25.4) /* the picture at 30 mm */

/* a paragraph wrapped to the page's width at x: the caller unrefs it */
static PangoLayout *
report_layout(cairo_t *cr, const char *text, double x, double pt, int bold)
{
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_new();

    pango_font_description_set_family(fd, REPORT_FONT);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_absolute_size(fd, pt * PANGO_SCALE);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, (int)((PAGE_W - x - MARGIN) * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(l, text, -1);
    return l;
}

/* the words above the report's own seal */
#define SPOT_TEXT                                                                                                                         \
    "本报告由本CA的签名验证服务以验签专用章签署并加盖时间戳：报告的任何改动都会使该签章失效，" \
    "可在本系统“签名验证”或任何PDF签名验证工具中核验。"
#define PT_PER_MM (72.0 / 25.4)

/* the pictures drawn so far: a seal that stamps many times is one image of
 * the PDF (cairo writes a surface painted twice once), not one a stamp */
#define PICS_MAX 16

struct pics {
    const unsigned char *png[PICS_MAX];
    size_t len[PICS_MAX];
    cairo_surface_t *img[PICS_MAX];
    int n;
};

/* the surface of png: one already drawn with the same bytes, or a new one
 * (kept when there is room); the caller destroys it */
static cairo_surface_t *
pic_surface(struct pics *p, const unsigned char *png, size_t len)
{
    cairo_surface_t *img;
    int i;

    for (i = 0; i < p->n; i++)
        if (p->len[i] == len && (p->png[i] == png || memcmp(p->png[i], png, len) == 0))
            return cairo_surface_reference(p->img[i]);
    img = hall_sealimg_png_surface(png, len);
    if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS && p->n < PICS_MAX) {
        p->png[p->n] = png;
        p->len[p->n] = len;
        p->img[p->n++] = cairo_surface_reference(img);
    }
    return img;
}

unsigned char *
hall_stamp_report_pdf(struct hall_pool *pool, const struct hall_stamp_report_doc *d,
                      struct hall_stamp_report_spot *spot, size_t *len)
{
    struct pics pics = {.n = 0};
    struct hall_buf *b = hall_buf_new(pool, REPORT_MAX);
    cairo_surface_t *s =
        cairo_pdf_surface_create_for_stream(hall_sealimg_buf_write, b, PAGE_W, PAGE_H);
    cairo_t *cr = cairo_create(s);
    double y = MARGIN, pt, x, band;
    int i, bold, lw, lh, page = 1;

    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, "验签报告");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "网上营业厅 签名验证");
    for (i = 0; i < d->n; i++) {
        const struct hall_stamp_line *l = &d->lines[i];
        PangoLayout *lay;

        if (l->kind == HALL_STAMP_LINE_SEAL) {
            cairo_surface_t *img = pic_surface(&pics, l->png, l->png_len);
            int ok = cairo_surface_status(img) == CAIRO_STATUS_SUCCESS;
            int iw = ok ? cairo_image_surface_get_width(img) : 0;
            int ih = ok ? cairo_image_surface_get_height(img) : 0;

            if (iw > 0 && ih > 0) {
                double sc = SEAL_PT / (iw > ih ? iw : ih);

                if (y + ih * sc > PAGE_H - MARGIN) {
                    cairo_show_page(cr);
                    y = MARGIN;
                    page++;
                }
                cairo_save(cr);
                cairo_translate(cr, MARGIN + 12, y);
                cairo_scale(cr, sc, sc);
                cairo_set_source_surface(cr, img, 0, 0);
                cairo_paint(cr);
                cairo_restore(cr);
                y += ih * sc + 6;
            }
            cairo_surface_destroy(img);
            continue;
        }
        pt = l->kind == HALL_STAMP_LINE_TITLE ? 20 : l->kind == HALL_STAMP_LINE_HEAD ? 13 : 10;
        bold = l->kind != HALL_STAMP_LINE_TEXT;
        x = l->kind == HALL_STAMP_LINE_TEXT ? MARGIN + 12 : MARGIN;
        lay = report_layout(cr, l->text, x, pt, bold);
        pango_layout_get_pixel_size(lay, &lw, &lh);
        if (l->kind == HALL_STAMP_LINE_HEAD)
            y += 8;
        if (y + lh > PAGE_H - MARGIN) {
            cairo_show_page(cr);
            y = MARGIN;
            page++;
        }
        if (l->bad)
            cairo_set_source_rgb(cr, 0.75, 0, 0);
        else
            cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, x, y);
        pango_cairo_show_layout(cr, lay);
        g_object_unref(lay);
        y += lh + (l->kind == HALL_STAMP_LINE_TITLE ? 12 : 4);
        if (l->kind == HALL_STAMP_LINE_HEAD) {
            cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
            cairo_set_line_width(cr, 0.5);
            cairo_move_to(cr, MARGIN, y);
            cairo_line_to(cr, PAGE_W - MARGIN, y);
            cairo_stroke(cr);
            y += 4;
        }
    }
    if (spot != NULL) {
        /* the words, then the seal's square below them, at the right:
         * nothing drawn under its widget */
        PangoLayout *lay = report_layout(cr, SPOT_TEXT, MARGIN, 9, 0);

        pango_layout_get_pixel_size(lay, &lw, &lh);
        band = 12 + lh + 6 + (HALL_SEAL_MM + 4) * PT_PER_MM;
        if (y + band > PAGE_H - MARGIN) {
            cairo_show_page(cr);
            y = MARGIN;
            page++;
        }
        y += 12;
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        cairo_move_to(cr, MARGIN, y);
        pango_cairo_show_layout(cr, lay);
        g_object_unref(lay);
        y += lh + 6;
        spot->page = page;
        spot->x_mm = (PAGE_W - MARGIN) / PT_PER_MM - HALL_SEAL_MM / 2.0 - 2;
        spot->y_mm = y / PT_PER_MM + 2 + HALL_SEAL_MM / 2.0;
    }
    cairo_destroy(cr);
    cairo_surface_finish(s);
    for (i = 0; i < pics.n; i++)
        cairo_surface_destroy(pics.img[i]);
    cairo_surface_destroy(s);
    if (b->len == 0 || b->overflow)
        return NULL;
    *len = b->len;
    return (unsigned char *)b->data;
}
