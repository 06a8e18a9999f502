/*
 * Seal pictures (seed 001, 签章样式): 工具自动生成 draws the seal with cairo
 * and pango (the Debian CJK font of fonts-noto-cjk), 根据印模样式抠图 keeps
 * the red ink of an uploaded impression (decoded by gdk-pixbuf) on a
 * transparent background.  Both answer a PNG.
 *
 * The round seal is laid out the way official seals are: a red ring, the
 * organisation's name clockwise along the upper arc with each character
 * upright towards the centre, a five-pointed star in the middle, the seal's
 * name (合同专用章 ...) on a straight line below.  The arc text's size is
 * not guessed: it starts large and shrinks until the ink of every glyph
 * stays inside the ring and no two neighbours touch, so a 20-character name
 * fits (tests/unit/test_seal.c measures it on the rendered picture too).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <pango/pangocairo.h>

#include "pki/pki.h"
#include "pki/sealimg_cairo.h"

#define FONT_FAMILY "Noto Serif CJK SC"
#define FONT_NAME   "Noto Sans CJK SC"
/* seal red (the ink of 印泥), premultiplied per pixel below */
#define RED_R 0.90
#define RED_G 0.0
#define RED_B 0.07

#define C        (HALL_SEAL_PX / 2.0)
#define RING_R   (HALL_SEAL_PX * 0.475) /* centre of the ring's stroke */
#define RING_W   (HALL_SEAL_PX * 0.028)
#define TEXT_GAP (HALL_SEAL_PX * 0.02) /* between the ring and the arc text */
#define ARC_SPAN (240.0 * M_PI / 180.0)
/* short names are not spread over the whole arc: at most 30 degrees a step */
#define ARC_STEP_MAX (30.0 * M_PI / 180.0)
#define STAR_R       (HALL_SEAL_PX * 0.14)
#define ARC_MAX_PX   60
#define ARC_MIN_PX   12
/* biggest impression we decode: 4000 x 4000 */
#define CUT_MAX_PIXELS (16L * 1000 * 1000)

/* ---- text helpers ------------------------------------------------------------ */

/* the UTF-8 characters of s (at most max), each a NUL-terminated string */
static int
utf8_chars(const char *s, char out[][8], int max)
{
    int n = 0;

    if (!g_utf8_validate(s, -1, NULL))
        return -1;
    while (*s != '\0') {
        const char *next = g_utf8_next_char(s);
        size_t l = (size_t)(next - s);

        if (n == max || l >= 8)
            return -1;
        memcpy(out[n], s, l);
        out[n][l] = '\0';
        n++;
        s = next;
    }
    return n;
}

static PangoLayout *
layout_new(cairo_t *cr, const char *family, double px, const char *text)
{
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_new();

    pango_font_description_set_family(fd, family);
    pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
    pango_font_description_set_absolute_size(fd, px * PANGO_SCALE);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(l, text, -1);
    return l;
}

static void
red(cairo_t *cr)
{
    cairo_set_source_rgb(cr, RED_R, RED_G, RED_B);
}

/* ---- the round seal ------------------------------------------------------------ */

struct glyph {
    char text[8];
    PangoRectangle ink, logical;
};

/*
 * The arc at font size px: glyph i's logical box is centred on the angle
 * theta_i (from 12 o'clock, clockwise), its top at radius top_r.  Fills the
 * outer radius and the smallest gap of the glyphs' ink (corners of the ink
 * rectangles, transformed).
 */
static double
arc_step(int n)
{
    double step = n > 1 ? ARC_SPAN / (n - 1) : 0;

    return step > ARC_STEP_MAX ? ARC_STEP_MAX : step;
}

static void
arc_measure(const struct glyph *g, int n, double top_r, double *outer, double *gap)
{
    double step = arc_step(n), prev_hi = 0;
    int i, k;

    *outer = 0;
    *gap = 1e9;
    for (i = 0; i < n; i++) {
        double th = -(n - 1) * step / 2 + i * step;
        double lo = 1e9, hi = -1e9;

        for (k = 0; k < 4; k++) {
            /* glyph-local: x right, y down, origin at the logical box's top centre */
            double x = g[i].ink.x - g[i].logical.x - g[i].logical.width / 2.0 +
                       (k & 1 ? g[i].ink.width : 0);
            double y = g[i].ink.y + (k & 2 ? g[i].ink.height : 0);
            /* radial distance and tangential offset, then the polar angle */
            double r = top_r - y, t = x, d = sqrt(r * r + t * t);
            double a = th + atan2(t, r);

            if (d > *outer)
                *outer = d;
            if (a < lo)
                lo = a;
            if (a > hi)
                hi = a;
        }
        if (i > 0) {
            /* the gap as an arc length at the text's inner edge */
            double gap_px = (lo - prev_hi) * (top_r - g[i].logical.height);

            if (gap_px < *gap)
                *gap = gap_px;
        }
        prev_hi = hi;
    }
    if (n < 2)
        *gap = 0;
}

static int
draw_arc(cairo_t *cr, const char *org, struct hall_sealimg_fit *fit)
{
    static char chars[HALL_SEAL_ORG_MAX][8];
    struct glyph g[HALL_SEAL_ORG_MAX];
    double top_r = RING_R - RING_W / 2 - TEXT_GAP, px, outer = 0, gap = 0, step;
    int n = utf8_chars(org, chars, HALL_SEAL_ORG_MAX), i, unknown = 0;

    if (n <= 0)
        return HALL_ERR;
    for (px = ARC_MAX_PX; px >= ARC_MIN_PX; px -= 1) {
        for (i = 0; i < n; i++) {
            PangoLayout *l = layout_new(cr, FONT_FAMILY, px, chars[i]);

            memcpy(g[i].text, chars[i], sizeof(g[i].text));
            pango_layout_get_pixel_extents(l, &g[i].ink, &g[i].logical);
            if (px == ARC_MAX_PX)
                unknown += pango_layout_get_unknown_glyphs_count(l);
            g_object_unref(l);
        }
        arc_measure(g, n, top_r, &outer, &gap);
        /* inside the ring, neighbours apart, and no wider than the arc allows */
        if (outer <= top_r + 0.5 && (n < 2 || gap >= px * 0.06))
            break;
    }
    if (px < ARC_MIN_PX)
        return HALL_ERR;
    step = arc_step(n);
    for (i = 0; i < n; i++) {
        double th = -(n - 1) * step / 2 + i * step;
        PangoLayout *l = layout_new(cr, FONT_FAMILY, px, chars[i]);

        cairo_save(cr);
        cairo_translate(cr, C, C);
        cairo_rotate(cr, th);
        cairo_move_to(cr, -g[i].logical.width / 2.0 - g[i].logical.x, -top_r);
        pango_cairo_show_layout(cr, l);
        cairo_restore(cr);
        g_object_unref(l);
    }
    if (fit != NULL) {
        fit->text_outer_r = outer;
        fit->min_gap = gap;
        fit->arc_font_px = px;
        fit->glyphs = n;
        fit->unknown_glyphs += unknown;
    }
    return HALL_OK;
}

static void
draw_star(cairo_t *cr, double cx, double cy, double r)
{
    int i;

    cairo_new_path(cr);
    for (i = 0; i < 10; i++) {
        double a = -M_PI / 2 + i * M_PI / 5, rr = i % 2 == 0 ? r : r * 0.382;

        cairo_line_to(cr, cx + rr * cos(a), cy + rr * sin(a));
    }
    cairo_close_path(cr);
    cairo_fill(cr);
}

/* text centred on the line y (its ink's vertical middle), shrunk to half_room */
static int
draw_line(cairo_t *cr, const char *text, double y, double px, double half_room, double *half_w,
          int *unknown)
{
    PangoRectangle ink, logical;
    PangoLayout *l;

    for (;; px -= 1) {
        l = layout_new(cr, FONT_FAMILY, px, text);
        pango_layout_get_pixel_extents(l, &ink, &logical);
        if (ink.width / 2.0 <= half_room || px <= ARC_MIN_PX)
            break;
        g_object_unref(l);
    }
    if (ink.width / 2.0 > half_room) {
        g_object_unref(l);
        return HALL_ERR;
    }
    *unknown += pango_layout_get_unknown_glyphs_count(l);
    cairo_move_to(cr, C - ink.x - ink.width / 2.0, y - ink.y - ink.height / 2.0);
    pango_cairo_show_layout(cr, l);
    *half_w = ink.width / 2.0;
    g_object_unref(l);
    return HALL_OK;
}

static int
draw_round(cairo_t *cr, const char *org, const char *name, struct hall_sealimg_fit *fit)
{
    double inner = RING_R - RING_W / 2, y = C + HALL_SEAL_PX * 0.24, half_w = 0, room;
    int unknown = 0;

    red(cr);
    cairo_set_line_width(cr, RING_W);
    cairo_arc(cr, C, C, RING_R, 0, 2 * M_PI);
    cairo_stroke(cr);
    if (draw_arc(cr, org, fit) != HALL_OK)
        return HALL_ERR;
    draw_star(cr, C, C, STAR_R);
    /* the name's room: the chord inside the ring at the lower edge of its
     * line, less a margin */
    room = sqrt(inner * inner - pow(y - C + HALL_SEAL_PX * 0.05, 2)) - TEXT_GAP * 2;
    if (name != NULL && *name != '\0' &&
        draw_line(cr, name, y, HALL_SEAL_PX * 0.085, room, &half_w, &unknown) != HALL_OK)
        return HALL_ERR;
    if (fit != NULL) {
        fit->ring_inner_r = inner;
        fit->name_half_w = half_w;
        fit->name_room = room;
        fit->unknown_glyphs += unknown;
    }
    return HALL_OK;
}

/* ---- the square personal seal ------------------------------------------------------ */

static int
draw_square(cairo_t *cr, const char *name, struct hall_sealimg_fit *fit)
{
    static char chars[HALL_SEAL_PERSON_MAX + 2][8];
    double m = HALL_SEAL_PX * 0.06, w = HALL_SEAL_PX - 2 * m, inner = w / 2 - RING_W;
    int n = utf8_chars(name, chars, HALL_SEAL_PERSON_MAX), i, unknown = 0;

    if (n <= 0)
        return HALL_ERR;
    red(cr);
    cairo_set_line_width(cr, RING_W);
    cairo_rectangle(cr, m, m, w, w);
    cairo_stroke(cr);
    /* two or three characters become four, read in columns from the right:
     * 张三之印, 李小明印 */
    if (n == 2) {
        snprintf(chars[2], 8, "之");
        snprintf(chars[3], 8, "印");
        n = 4;
    } else if (n == 3) {
        snprintf(chars[3], 8, "印");
        n = 4;
    }
    if (n == 4) {
        double cell = (w - 2 * RING_W) / 2, px = cell * 0.86;

        for (i = 0; i < 4; i++) {
            PangoRectangle ink, logical;
            PangoLayout *l = layout_new(cr, FONT_FAMILY, px, chars[i]);
            double cx = C + (i < 2 ? cell / 2 : -cell / 2),
                   cy = C + (i % 2 == 0 ? -1 : 1) * cell / 2;

            pango_layout_get_pixel_extents(l, &ink, &logical);
            unknown += pango_layout_get_unknown_glyphs_count(l);
            cairo_move_to(cr, cx - ink.x - ink.width / 2.0, cy - ink.y - ink.height / 2.0);
            pango_cairo_show_layout(cr, l);
            g_object_unref(l);
        }
        if (fit != NULL)
            fit->name_half_w = cell;
    } else {
        double half_w = 0;

        if (draw_line(cr, name, C, HALL_SEAL_PX * 0.3, inner - TEXT_GAP, &half_w, &unknown) !=
            HALL_OK)
            return HALL_ERR;
        if (fit != NULL)
            fit->name_half_w = half_w;
    }
    if (fit != NULL) {
        fit->ring_inner_r = inner;
        fit->name_room = inner;
        fit->unknown_glyphs += unknown;
    }
    return HALL_OK;
}

/* ---- PNG out ---------------------------------------------------------------- */

cairo_status_t
hall_sealimg_buf_write(void *closure, const unsigned char *data, unsigned int n)
{
    return hall_buf_add(closure, data, n) == HALL_OK ? CAIRO_STATUS_SUCCESS
                                                     : CAIRO_STATUS_WRITE_ERROR;
}

static unsigned char *
png_of(struct hall_pool *pool, cairo_surface_t *s, size_t *len)
{
    struct hall_buf *b = hall_buf_new(pool, 4 * 1024 * 1024);

    if (cairo_surface_write_to_png_stream(s, hall_sealimg_buf_write, b) != CAIRO_STATUS_SUCCESS ||
        b->len == 0)
        return NULL;
    *len = b->len;
    return (unsigned char *)b->data;
}

struct png_in {
    const unsigned char *p;
    size_t n, at;
};

static cairo_status_t
png_read(void *closure, unsigned char *data, unsigned int n)
{
    struct png_in *in = closure;

    if (in->n - in->at < n)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, in->p + in->at, n);
    in->at += n;
    return CAIRO_STATUS_SUCCESS;
}

cairo_surface_t *
hall_sealimg_png_surface(const unsigned char *p, size_t n)
{
    struct png_in in = {p, n, 0};

    return cairo_image_surface_create_from_png_stream(png_read, &in);
}

unsigned char *
hall_sealimg_scaled(struct hall_pool *pool, const unsigned char *png, size_t n, int px, size_t *len)
{
    cairo_surface_t *src, *dst = NULL;
    cairo_pattern_t *pat;
    cairo_t *cr;
    unsigned char *out = NULL;
    int w, h, dw, dh;
    double k;

    if (px < 16 || px > HALL_SEAL_PX || hall_png_size(png, n, &w, &h) != HALL_OK || w < 1 || h < 1)
        return NULL;
    if (w <= px && h <= px) {
        *len = n; /* small enough as it is */
        return (unsigned char *)png;
    }
    src = hall_sealimg_png_surface(png, n);
    if (cairo_surface_status(src) != CAIRO_STATUS_SUCCESS)
        goto out;
    k = (double)px / (w > h ? w : h);
    dw = (int)lround(w * k);
    dh = (int)lround(h * k);
    dst = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, dw > 0 ? dw : 1, dh > 0 ? dh : 1);
    cr = cairo_create(dst);
    cairo_scale(cr, k, k);
    cairo_set_source_surface(cr, src, 0, 0);
    pat = cairo_get_source(cr);
    cairo_pattern_set_filter(pat, CAIRO_FILTER_GOOD); /* averages when it shrinks */
    cairo_paint(cr);
    cairo_destroy(cr);
    cairo_surface_flush(dst);
    out = png_of(pool, dst, len);
out:
    if (dst != NULL)
        cairo_surface_destroy(dst);
    cairo_surface_destroy(src);
    return out;
}

int
hall_png_size(const unsigned char *p, size_t n, int *w, int *h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    if (n < 24 || memcmp(p, sig, 8) != 0 || memcmp(p + 12, "IHDR", 4) != 0)
        return HALL_ERR;
    *w = (int)((unsigned)p[16] << 24 | (unsigned)p[17] << 16 | (unsigned)p[18] << 8 | p[19]);
    *h = (int)((unsigned)p[20] << 24 | (unsigned)p[21] << 16 | (unsigned)p[22] << 8 | p[23]);
    return *w > 0 && *h > 0 ? HALL_OK : HALL_ERR;
}

int
hall_sealimg_check(char *err, size_t errlen)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 64, 64);
    cairo_t *cr = cairo_create(s);
    PangoLayout *l = layout_new(cr, FONT_FAMILY, 32, "电子签章印");
    int unknown = pango_layout_get_unknown_glyphs_count(l);

    g_object_unref(l);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    if (unknown > 0) {
        snprintf(err, errlen,
                 "no font draws Chinese (%d glyphs missing): apt-get install fonts-noto-cjk",
                 unknown);
        return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_sealimg_glyphs(const char *text, char *bad, size_t badlen)
{
    static char chars[HALL_SEAL_TEXT_MAX][8];
    cairo_surface_t *s;
    cairo_t *cr;
    int n, i, missing = 0;

    if (badlen > 0)
        *bad = '\0';
    n = utf8_chars(text, chars, HALL_SEAL_TEXT_MAX);
    if (n <= 0)
        return -1;
    s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 8, 8);
    cr = cairo_create(s);
    /* each character as the drawing lays it out: the same family, weight and size */
    for (i = 0; i < n; i++) {
        PangoLayout *l = layout_new(cr, FONT_FAMILY, ARC_MAX_PX, chars[i]);
        int u = pango_layout_get_unknown_glyphs_count(l);

        g_object_unref(l);
        if (u > 0 && missing == 0 && badlen > strlen(chars[i]))
            memcpy(bad, chars[i], strlen(chars[i]) + 1);
        missing += u;
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return missing;
}

int
hall_sealimg_org_glyphs(const char *org, char *bad, size_t badlen)
{
    if (badlen > 0)
        *bad = '\0';
    if (!hall_seal_org_drawable(org))
        return -1;
    return hall_sealimg_glyphs(org, bad, badlen);
}

unsigned char *
hall_sealimg_render(struct hall_pool *pool, enum hall_seal_kind kind, const char *org,
                    const char *name, size_t *len, struct hall_sealimg_fit *fit)
{
    cairo_surface_t *s;
    cairo_t *cr;
    unsigned char *png = NULL;
    int rc;

    if (fit != NULL)
        memset(fit, 0, sizeof(*fit));
    if (name == NULL || (kind != HALL_SEAL_PERSON && !hall_seal_org_drawable(org)) ||
        (kind != HALL_SEAL_PERSON && g_utf8_strlen(name, -1) > HALL_SEAL_NAME_MAX))
        return NULL;
    s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, HALL_SEAL_PX, HALL_SEAL_PX);
    cr = cairo_create(s);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GRAY);
    rc = kind == HALL_SEAL_PERSON ? draw_square(cr, name, fit) : draw_round(cr, org, name, fit);
    cairo_destroy(cr);
    if (rc == HALL_OK && (fit == NULL || fit->unknown_glyphs == 0))
        png = png_of(pool, s, len);
    cairo_surface_destroy(s);
    return png;
}

/* ---- 抠图: the red ink of an impression ------------------------------------------- */

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The dimensions from the file's header, read before anything is decoded so
 * that a small file claiming a huge picture is refused without allocating it.
 */
static int
img_dims(const unsigned char *p, size_t n, long *w, long *h)
{
    size_t i;

    if (n >= 24 && memcmp(p, "\x89PNG", 4) == 0) {
        *w = be32(p + 16);
        *h = be32(p + 20);
        return HALL_OK;
    }
    if (n >= 10 && memcmp(p, "GIF8", 4) == 0) {
        *w = p[6] | p[7] << 8;
        *h = p[8] | p[9] << 8;
        return HALL_OK;
    }
    if (n >= 26 && p[0] == 'B' && p[1] == 'M') {
        int32_t bw = (int32_t)(p[18] | p[19] << 8 | p[20] << 16 | (uint32_t)p[21] << 24);
        int32_t bh = (int32_t)(p[22] | p[23] << 8 | p[24] << 16 | (uint32_t)p[25] << 24);

        *w = bw;
        *h = bh < 0 ? -(long)bh : bh;
        return HALL_OK;
    }
    if (n >= 4 && p[0] == 0xFF && p[1] == 0xD8) {
        /* JPEG: walk the markers to a start-of-frame */
        for (i = 2; i + 9 < n;) {
            unsigned m;
            size_t seg;

            if (p[i] != 0xFF)
                return HALL_ERR;
            m = p[i + 1];
            if (m == 0xFF) {
                i++;
                continue;
            }
            seg = (size_t)p[i + 2] << 8 | p[i + 3];
            if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
                *h = p[i + 5] << 8 | p[i + 6];
                *w = p[i + 7] << 8 | p[i + 8];
                return HALL_OK;
            }
            if (seg < 2)
                return HALL_ERR;
            i += 2 + seg;
        }
    }
    return HALL_ERR;
}

/* the CRC-32 of PNG chunks (ISO 3309, reflected 0xEDB88320) */
static uint32_t
crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;

    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

/*
 * Whether the file is whole, by its own structure: a decoder fills what a
 * cut-off file lacks with blank rows and says nothing, so a truncated
 * upload would become a seal with a piece missing.  PNG: every chunk with
 * its CRC, up to IEND; JPEG: an end-of-image marker after the last
 * start-of-scan (an EXIF thumbnail's own does not count); GIF: the trailer;
 * BMP: as long as its header says.
 */
int
hall_sealimg_whole(const unsigned char *p, size_t n)
{
    size_t i, sos = 0, eoi = 0;

    if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
        for (i = 8; i + 12 <= n;) {
            uint32_t len = be32(p + i);

            if (len > n - i - 12 || crc32_of(p + i + 4, (size_t)len + 4) != be32(p + i + 8 + len))
                return 0;
            if (memcmp(p + i + 4, "IEND", 4) == 0)
                return 1;
            i += 12 + (size_t)len;
        }
        return 0;
    }
    if (n >= 4 && p[0] == 0xFF && p[1] == 0xD8) {
        for (i = 2; i + 1 < n; i++)
            if (p[i] == 0xFF && p[i + 1] == 0xDA)
                sos = i;
            else if (p[i] == 0xFF && p[i + 1] == 0xD9)
                eoi = i;
        return sos > 0 && eoi > sos;
    }
    if (n >= 6 && memcmp(p, "GIF8", 4) == 0)
        return p[n - 1] == 0x3B;
    if (n >= 26 && p[0] == 'B' && p[1] == 'M') {
        uint32_t size = p[2] | p[3] << 8 | p[4] << 16 | (uint32_t)p[5] << 24;

        return size >= 26 && size <= n;
    }
    return 0;
}

unsigned char *
hall_sealimg_cutout(struct hall_pool *pool, const unsigned char *img, size_t n, size_t *len,
                    const char **err)
{
    GdkPixbufLoader *loader = NULL;
    GdkPixbuf *pb;
    GError *gerr = NULL;
    cairo_surface_t *ink = NULL, *out = NULL;
    cairo_t *cr;
    unsigned char *png = NULL, *dst;
    const unsigned char *src;
    long w, h;
    int x, y, ch, stride, dstride, x0, y0, x1, y1, kept = 0, ow, oh;
    double scale;

    *err = "无法读取印模图片，请上传清晰的 JPG、PNG、BMP 或 GIF 图片";
    if (img_dims(img, n, &w, &h) != HALL_OK || w <= 0 || h <= 0 || w > 8000 || h > 8000 ||
        w * h > CUT_MAX_PIXELS)
        return NULL;
    if (!hall_sealimg_whole(img, n)) {
        *err = "印模图片不完整（文件已损坏或未完整上传），请重新上传";
        return NULL;
    }
    loader = gdk_pixbuf_loader_new();
    if (!gdk_pixbuf_loader_write(loader, img, n, &gerr) || !gdk_pixbuf_loader_close(loader, &gerr))
        goto out;
    pb = gdk_pixbuf_loader_get_pixbuf(loader);
    if (pb == NULL || gdk_pixbuf_get_colorspace(pb) != GDK_COLORSPACE_RGB ||
        gdk_pixbuf_get_bits_per_sample(pb) != 8 || gdk_pixbuf_get_width(pb) != w ||
        gdk_pixbuf_get_height(pb) != h)
        goto out;
    ch = gdk_pixbuf_get_n_channels(pb);
    stride = gdk_pixbuf_get_rowstride(pb);
    src = gdk_pixbuf_read_pixels(pb);
    ink = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)w, (int)h);
    if (cairo_surface_status(ink) != CAIRO_STATUS_SUCCESS)
        goto out;
    cairo_surface_flush(ink);
    dst = cairo_image_surface_get_data(ink);
    dstride = cairo_image_surface_get_stride(ink);
    x0 = (int)w;
    y0 = (int)h;
    x1 = y1 = -1;
    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            const unsigned char *s = src + (size_t)y * stride + (size_t)x * ch;
            int r = s[0], g = s[1], b = s[2], a = ch == 4 ? s[3] : 255;
            int redness = r - (g > b ? g : b), alpha;
            uint32_t *d = (uint32_t *)(dst + (size_t)y * dstride) + x;

            /* red ink: red well above green and blue; black print, blue pen,
             * grey shadows and white paper all have redness near 0 */
            alpha = r < 90 ? 0 : (redness - 40) * 255 / 60;
            alpha = alpha < 0 ? 0 : alpha > 255 ? 255 : alpha;
            alpha = alpha * a / 255;
            *d = (uint32_t)alpha << 24 | (uint32_t)(alpha * RED_R) << 16 |
                 (uint32_t)(alpha * RED_G) << 8 | (uint32_t)(alpha * RED_B);
            if (alpha >= 128) {
                kept++;
                if (x < x0)
                    x0 = x;
                if (x > x1)
                    x1 = x;
                if (y < y0)
                    y0 = y;
                if (y > y1)
                    y1 = y;
            }
        }
    }
    cairo_surface_mark_dirty(ink);
    if (kept < 200 || x1 - x0 < 32 || y1 - y0 < 32) {
        *err = "未能在印模图片中找到红色印章，请上传清晰的印章印模";
        goto out;
    }
    /* crop to the seal with a small margin, and scale to fit the picture */
    x0 = x0 > 4 ? x0 - 4 : 0;
    y0 = y0 > 4 ? y0 - 4 : 0;
    x1 = x1 + 4 < w ? x1 + 4 : (int)w - 1;
    y1 = y1 + 4 < h ? y1 + 4 : (int)h - 1;
    scale = (double)HALL_SEAL_PX / (x1 - x0 + 1 > y1 - y0 + 1 ? x1 - x0 + 1 : y1 - y0 + 1);
    if (scale > 1)
        scale = 1;
    ow = (int)lround((x1 - x0 + 1) * scale);
    oh = (int)lround((y1 - y0 + 1) * scale);
    out = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, ow < 1 ? 1 : ow, oh < 1 ? 1 : oh);
    cr = cairo_create(out);
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, ink, -x0, -y0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_paint(cr);
    cairo_destroy(cr);
    png = png_of(pool, out, len);
    if (png == NULL)
        *err = "印模图片处理失败，请稍后再试";
out:
    if (gerr != NULL)
        g_error_free(gerr);
    if (loader != NULL) {
        /* a loader that failed mid-write must still be closed before unref */
        gdk_pixbuf_loader_close(loader, NULL);
        g_object_unref(loader);
    }
    if (ink != NULL)
        cairo_surface_destroy(ink);
    if (out != NULL)
        cairo_surface_destroy(out);
    return png;
}

/* ---- 电子签章采集表: the template to print, stamp and upload ------------------------- */

static void
pdf_text(cairo_t *cr, const char *text, double x, double y, double pt, int bold)
{
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_new();

    pango_font_description_set_family(fd, FONT_FAMILY);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_absolute_size(fd, pt * PANGO_SCALE);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(l, text, -1);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
}

/*
 * An A4 PDF (points): the title, the order's unit and number when given,
 * and one box per seal to stamp the impression (机构章, 机构业务章) or to sign
 * (机构个人章), each labelled; at least the three kinds when the order has no
 * seals yet.  The applicant prints it, stamps and signs, and uploads the
 * scan as 电子签章采集表.
 */
unsigned char *
hall_sealimg_collect_pdf(struct hall_pool *pool, const char *org, const char *order_no,
                         const char *const *labels, int nlabels, size_t *len)
{
    static const char *const dflt[] = {"机构章印模", "机构业务章印模", "机构个人章手写签名"};
    struct hall_buf *b = hall_buf_new(pool, 4 * 1024 * 1024);
    cairo_surface_t *s =
        cairo_pdf_surface_create_for_stream(hall_sealimg_buf_write, b, HALL_A4_W_PT, HALL_A4_H_PT);
    cairo_t *cr = cairo_create(s);
    double x, y;
    int i, page_i = 0;

    if (labels == NULL || nlabels == 0) {
        labels = dflt;
        nlabels = 3;
    }
    for (i = 0; i < nlabels; i++, page_i++) {
        if (i == 0 || page_i == 6) {
            if (i > 0)
                cairo_show_page(cr);
            page_i = 0;
            cairo_set_source_rgb(cr, 0, 0, 0);
            pdf_text(cr, "电子签章采集表", 200, 40, 22, 1);
            pdf_text(cr, hall_psprintf(pool, "申请单位：%s", org != NULL && *org ? org : ""), 50,
                     90, 11, 0);
            pdf_text(cr, hall_psprintf(pool, "业务单号：%s", order_no != NULL ? order_no : ""), 50,
                     110, 11, 0);
            pdf_text(
                cr,
                "请在下框内加盖与备案一致的印章（机构章、机构业务章），或由本人手写签名（机构个"
                "人章），扫描或拍照后上传。",
                50, 130, 9, 0);
        }
        x = 50 + (page_i % 2) * 255;
        y = 170 + (page_i / 2) * 215;
        cairo_set_line_width(cr, 0.8);
        cairo_rectangle(cr, x, y, 240, 200);
        cairo_stroke(cr);
        pdf_text(cr, labels[i], x + 8, y + 6, 10, 1);
    }
    pdf_text(cr, "经办人签名：                    单位盖章：                    日期：", 50, 800,
             10, 0);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
    if (b->len == 0 || b->overflow)
        return NULL;
    *len = b->len;
    return (unsigned char *)b->data;
}
