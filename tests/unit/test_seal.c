/*
 * Unit tests for libhallseal (core/pki/pki.h): the seal picture (a 20-character
 * organisation name fits inside the ring, measured on the rendered PNG), the
 * cut-out of an impression's red ink, the GB/T 38540 SESeal (made, signed,
 * verified, tampering and a revoked maker noticed), the seal order's
 * choices (机构章 ×2 and 业务章 ×9 refused, every field error at once) and
 * its price.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

#include <cmocka.h>

#include <cairo.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hall.h"
#include "seal_in.h"

/* ---- helpers ------------------------------------------------------------------ */

struct rd {
    const unsigned char *p;
    size_t n, at;
};

static cairo_status_t
rd_fn(void *c, unsigned char *data, unsigned int n)
{
    struct rd *r = c;

    if (r->at + n > r->n)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p + r->at, n);
    r->at += n;
    return CAIRO_STATUS_SUCCESS;
}

static cairo_surface_t *
png_decode(const unsigned char *p, size_t n)
{
    struct rd r = {p, n, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(rd_fn, &r);

    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    cairo_surface_flush(s);
    return s;
}

static uint32_t
px(cairo_surface_t *s, int x, int y)
{
    unsigned char *d = cairo_image_surface_get_data(s);

    return *(uint32_t *)(d + (size_t)y * cairo_image_surface_get_stride(s) + (size_t)x * 4);
}

/* ink pixels (alpha >= 64) whose distance from the centre lies in [r0, r1) */
static long
ink_between(cairo_surface_t *s, double r0, double r1)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s), x, y;
    long n = 0;

    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++) {
            double d = hypot(x + 0.5 - w / 2.0, y + 0.5 - h / 2.0);

            if ((px(s, x, y) >> 24) >= 64 && d >= r0 && d < r1)
                n++;
        }
    return n;
}

/* ---- the drawn seal -------------------------------------------------------------- */

static void
sealimg_check__noto_cjk_installed__draws_chinese(void **state)
{
    char err[200];

    assert_int_equal(hall_sealimg_check(err, sizeof(err)), HALL_OK);
}

static void
render_and_measure(const char *org, const char *name)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_sealimg_fit fit;
    cairo_surface_t *s;
    size_t len = 0;
    unsigned char *png = hall_sealimg_render(pool, HALL_SEAL_BUSINESS, org, name, &len, &fit);
    int w, h;

    assert_non_null(png);
    assert_int_equal(hall_png_size(png, len, &w, &h), HALL_OK);
    assert_int_equal(w, HALL_SEAL_PX);
    assert_int_equal(h, HALL_SEAL_PX);
    assert_int_equal(fit.unknown_glyphs, 0);
    assert_int_equal(fit.glyphs, (int)g_utf8_strlen(org, -1));
    /* what the layout measured: inside the ring, neighbours apart, name in its chord */
    assert_true(fit.text_outer_r < fit.ring_inner_r);
    assert_true(fit.min_gap > 0);
    assert_true(fit.arc_font_px >= 18);
    assert_true(fit.name_half_w > 0 && fit.name_half_w <= fit.name_room);
    /* and what the picture shows: a clear band between the text and the
     * ring, nothing outside the ring, the ring itself drawn */
    s = png_decode(png, len);
    assert_int_equal(ink_between(s, fit.text_outer_r + 1.5, fit.ring_inner_r - 1.5), 0);
    assert_int_equal(ink_between(s, HALL_SEAL_PX * 0.475 + HALL_SEAL_PX * 0.014 + 2, 1e9), 0);
    assert_true(ink_between(s, fit.ring_inner_r + 2, fit.ring_inner_r + 6) > 500);
    /* some text really is on the arc */
    assert_true(ink_between(s, fit.text_outer_r - 20, fit.text_outer_r + 1.5) > 500);
    cairo_surface_destroy(s);
    hall_pool_destroy(pool);
}

static void
sealimg_render__20_character_org__fits_the_circle(void **state)
{
    /* 20 characters */
    render_and_measure("深圳市前海某某科技发展股份有限公司分公司", "合同专用章");
}

static void
sealimg_render__30_characters_and_12_character_name__still_fit(void **state)
{
    render_and_measure("深圳市电子商务安全证书管理有限公司前海深港合作区分公司研发部",
                       "电子合同管理专用章印章");
}

static void
sealimg_render__short_org__large_letters_inside(void **state)
{
    render_and_measure("华为技术有限公司", "财务专用章");
}

static void
sealimg_render__too_long_or_empty__refused(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    size_t len;

    assert_null(hall_sealimg_render(
        pool, HALL_SEAL_ORG, "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一", "",
        &len, NULL));
    assert_null(hall_sealimg_render(pool, HALL_SEAL_ORG, "", "合同专用章", &len, NULL));
    assert_null(hall_sealimg_render(pool, HALL_SEAL_ORG, "某公司", "一二三四五六七八九十一二三",
                                    &len, NULL));
    assert_null(hall_sealimg_render(pool, HALL_SEAL_PERSON, NULL, "一二三四五六七", &len, NULL));
    hall_pool_destroy(pool);
}

/* the length rule a program without the drawing applies (modules/change):
 * exactly what the drawing refuses and draws */
/* the glyph check of a 变更's new name (modules/change) says what the
 * drawing of the round seal does: a name it counts no missing glyph in is
 * drawn, one with a character no font has (a private-use code point here)
 * is refused, and that character is named */
static void
sealimg_org_glyphs__agrees_with_the_drawing(void **state)
{
    static const struct {
        const char *org;
        int missing;
        const char *bad;
    } cases[] = {
        {"深圳市电子商务安全证书管理有限公司", 0, ""},
        {"深圳（前海）ABC科技有限公司", 0, ""},
        {"深圳\xee\x80\x80新科技有限公司", 1, "\xee\x80\x80"}, /* U+E000 */
        {"深圳\xee\x80\x80新\xee\x80\x81公司", 2, "\xee\x80\x80"},
    };
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_sealimg_fit fit;
    char bad[8];
    size_t i, len;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char *png;

        assert_int_equal(hall_sealimg_org_glyphs(cases[i].org, bad, sizeof(bad)), cases[i].missing);
        assert_string_equal(bad, cases[i].bad);
        png = hall_sealimg_render(pool, HALL_SEAL_ORG, cases[i].org, "合同专用章", &len, &fit);
        assert_int_equal(png != NULL, cases[i].missing == 0);
        assert_int_equal(fit.unknown_glyphs, cases[i].missing);
    }
    /* not drawable at all: too long, not UTF-8 */
    assert_int_equal(
        hall_sealimg_org_glyphs("深圳市电子商务安全证书管理有限公司前海深港合作区分公司研发部门",
                                bad, sizeof(bad)),
        -1);
    assert_int_equal(hall_sealimg_org_glyphs("某\xff公司", bad, sizeof(bad)), -1);
    /* any text the seal draws: a seal's name, a person's; the same font */
    assert_int_equal(hall_sealimg_glyphs("财务专用章", bad, sizeof(bad)), 0);
    assert_int_equal(hall_sealimg_glyphs("财务\xee\x80\x80章", bad, sizeof(bad)), 1);
    assert_string_equal(bad, "\xee\x80\x80");
    assert_null(hall_sealimg_render(pool, HALL_SEAL_PERSON, NULL, "张\xee\x80\x80", &len, &fit));
    assert_int_equal(fit.unknown_glyphs, 1);
    assert_int_equal(hall_sealimg_glyphs("", bad, sizeof(bad)), -1);
    hall_pool_destroy(pool);
}

static void
seal_org_drawable__same_rule_as_the_drawing(void **state)
{
    static const struct {
        const char *org;
        int ok;
    } cases[] = {
        {"深圳市电子商务安全证书管理有限公司前海深港合作区分公司研发部", 1},   /* 30 */
        {"深圳市电子商务安全证书管理有限公司前海深港合作区分公司研发部门", 0}, /* 31 */
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcd", 1},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcde", 0},
        {"", 0},
        {"某\xff公司", 0},         /* not UTF-8 */
        {"某\xc0\xaf公司", 0},     /* an overlong '/' */
        {"某\xed\xa0\x80公司", 0}, /* a surrogate */
        {"某\xe5\x85", 0},         /* cut short */
    };
    struct hall_pool *pool = hall_pool_create(4096);
    size_t i, len;

    assert_false(hall_seal_org_drawable(NULL));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(hall_seal_org_drawable(cases[i].org), cases[i].ok);
        assert_int_equal(hall_sealimg_render(pool, HALL_SEAL_ORG, cases[i].org, "", &len, NULL) !=
                             NULL,
                         cases[i].ok);
    }
    hall_pool_destroy(pool);
}

static void
sealimg_render__person__square_with_the_name(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_sealimg_fit fit;
    size_t len;
    unsigned char *png = hall_sealimg_render(pool, HALL_SEAL_PERSON, NULL, "张三", &len, &fit);
    cairo_surface_t *s;

    assert_non_null(png);
    assert_int_equal(fit.unknown_glyphs, 0);
    s = png_decode(png, len);
    /* the square's corners are inked, unlike a round seal's */
    assert_true((px(s, (int)(HALL_SEAL_PX * 0.06), (int)(HALL_SEAL_PX * 0.06)) >> 24) > 128);
    cairo_surface_destroy(s);
    hall_pool_destroy(pool);
}

/* ---- 抠图 ---------------------------------------------------------------------- */

/* a scanned form: white paper, black print, a red seal (ring + star) at 300,200 */
static unsigned char *
impression(struct hall_pool *pool, const char *type, size_t *len, int with_seal)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 600, 400);
    cairo_t *cr = cairo_create(s);
    GdkPixbuf *pb;
    gchar *buf = NULL;
    gsize n = 0;
    unsigned char *out, *rgb = hall_palloc(pool, 600 * 400 * 3);
    int x, y;

    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
    cairo_rectangle(cr, 20, 20, 560, 12); /* a printed line across the page */
    cairo_fill(cr);
    cairo_rectangle(cr, 280, 190, 40, 20); /* print under the seal's centre */
    cairo_fill(cr);
    cairo_rectangle(cr, 230, 230, 40, 15); /* print inside the ring */
    cairo_fill(cr);
    if (with_seal) {
        cairo_set_source_rgb(cr, 0.85, 0.1, 0.12);
        cairo_set_line_width(cr, 8);
        cairo_arc(cr, 300, 200, 100, 0, 2 * M_PI);
        cairo_stroke(cr);
        cairo_arc(cr, 300, 200, 20, 0, 2 * M_PI);
        cairo_fill(cr);
    }
    cairo_destroy(cr);
    /* cairo's 0x00RRGGBB words to the pixbuf's R, G, B bytes */
    cairo_surface_flush(s);
    for (y = 0; y < 400; y++)
        for (x = 0; x < 600; x++) {
            uint32_t v = px(s, x, y);

            rgb[(y * 600 + x) * 3] = (unsigned char)(v >> 16);
            rgb[(y * 600 + x) * 3 + 1] = (unsigned char)(v >> 8);
            rgb[(y * 600 + x) * 3 + 2] = (unsigned char)v;
        }
    pb = gdk_pixbuf_new_from_data(rgb, GDK_COLORSPACE_RGB, FALSE, 8, 600, 400, 600 * 3, NULL, NULL);
    assert_non_null(pb);
    assert_true(gdk_pixbuf_save_to_buffer(pb, &buf, &n, type, NULL, NULL));
    out = hall_palloc(pool, n);
    memcpy(out, buf, n);
    *len = n;
    g_free(buf);
    g_object_unref(pb);
    cairo_surface_destroy(s);
    return out;
}

static void
cutout_of(const char *type)
{
    struct hall_pool *pool = hall_pool_create(4096);
    size_t n, len;
    unsigned char *img = impression(pool, type, &n, 1);
    const char *err = NULL;
    unsigned char *png = hall_sealimg_cutout(pool, img, n, &len, &err);
    cairo_surface_t *s;
    int w, h, cx, cy;

    assert_non_null(png);
    s = png_decode(png, len);
    w = cairo_image_surface_get_width(s);
    h = cairo_image_surface_get_height(s);
    /* cropped to the seal: 208 px across plus the margin */
    assert_in_range(w, 200, 224);
    assert_in_range(h, 200, 224);
    cx = w / 2;
    cy = h / 2;
    /* the ring and the centre are red ink */
    assert_true((px(s, cx, cy) >> 24) > 200);
    assert_true(((px(s, cx, cy) >> 16) & 0xff) > 150);
    assert_true((px(s, cx + 100, cy) >> 24) > 200);
    /* the paper, and the black print inside the ring, are transparent */
    assert_true((px(s, cx + 60, cy + 60) >> 24) < 16);
    assert_true((px(s, cx - 50, cy - 60) >> 24) < 16);
    assert_true((px(s, cx - 50, cy + 37) >> 24) < 16);
    assert_true((px(s, 2, 2) >> 24) < 16);
    cairo_surface_destroy(s);
    hall_pool_destroy(pool);
}

static void
sealimg_cutout__png_scan__red_kept_rest_transparent(void **state)
{
    cutout_of("png");
}

static void
sealimg_cutout__jpeg_scan__red_kept_rest_transparent(void **state)
{
    cutout_of("jpeg");
}

/* a cut-off file is refused by its structure, never cut out with blank rows */
static void
sealimg_whole__png_jpeg_bmp_cut_off_or_damaged__refused(void **state)
{
    static const char *const types[] = {"png", "jpeg", "bmp"};
    struct hall_pool *pool = hall_pool_create(4096);
    const char *err = NULL;
    size_t n, len;
    unsigned char *img, *more;
    int t;

    for (t = 0; t < 3; t++) {
        img = impression(pool, types[t], &n, 1);
        assert_int_equal(hall_sealimg_whole(img, n), 1);
        assert_int_equal(hall_sealimg_whole(img, n * 3 / 5), 0);
        assert_int_equal(hall_sealimg_whole(img, n - 1), 0);
        err = NULL;
        assert_null(hall_sealimg_cutout(pool, img, n * 3 / 5, &len, &err));
        assert_non_null(strstr(err, "不完整"));
    }
    /* PNG: one byte of the image data changed fails its chunk's CRC */
    img = impression(pool, "png", &n, 1);
    img[n / 2] ^= 0x40;
    assert_int_equal(hall_sealimg_whole(img, n), 0);
    /* JPEG: bytes after the end-of-image marker do not matter */
    img = impression(pool, "jpeg", &n, 1);
    more = hall_palloc(pool, n + 16);
    memcpy(more, img, n);
    memset(more + n, 0, 16);
    assert_int_equal(hall_sealimg_whole(more, n + 16), 1);
    assert_int_equal(hall_sealimg_whole((const unsigned char *)"GIF89a;", 7), 1);
    assert_int_equal(hall_sealimg_whole((const unsigned char *)"GIF89a", 6), 0);
    hall_pool_destroy(pool);
}

static void
sealimg_cutout__no_red_or_not_an_image__refused_in_chinese(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    size_t n, len;
    unsigned char *img = impression(pool, "png", &n, 0);
    const char *err = NULL;
    /* a PNG header claiming 60000 x 60000: refused before decoding */
    unsigned char bomb[64] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0,    13,
                              'I',  'H', 'D', 'R', 0,    0,    0xea, 0x60, 0, 0, 0xea, 0x60};

    assert_null(hall_sealimg_cutout(pool, img, n, &len, &err));
    assert_non_null(strstr(err, "红色印章"));
    err = NULL;
    assert_null(hall_sealimg_cutout(pool, (const unsigned char *)"hello", 5, &len, &err));
    assert_non_null(strstr(err, "无法读取"));
    err = NULL;
    assert_null(hall_sealimg_cutout(pool, bomb, sizeof(bomb), &len, &err));
    assert_non_null(err);
    /* a truncated real file */
    img = impression(pool, "jpeg", &n, 1);
    assert_null(hall_sealimg_cutout(pool, img, n / 3, &len, &err));
    hall_pool_destroy(pool);
}

/* ---- SESeal ------------------------------------------------------------------------ */

static char pki_top[256], pki_dir[300];

static int
pki_setup(void **state)
{
    const char *root = getenv("HALL_ROOT");
    char cmd[1024], err[256], pass[400];
    struct hall_conf conf;

    /* pki-init.sh DIR keeps the SM2 keys' passphrase and the token beside DIR */
    snprintf(pki_top, sizeof(pki_top), "/tmp/hall-test-seal-%ld", (long)getpid());
    snprintf(pki_dir, sizeof(pki_dir), "%s/pki", pki_top);
    snprintf(pass, sizeof(pass), "%s/pki.pass", pki_top);
    snprintf(cmd, sizeof(cmd), "%s/script/lib/pki-init.sh %s >/dev/null 2>&1",
             root != NULL ? root : ".", pki_dir);
    if (system(cmd) != 0)
        return -1;
    memset(&conf, 0, sizeof(conf));
    conf.pki_dir = pki_dir;
    conf.pki_pass_file = pass;
    conf.pkcs11_module = "";
    return hall_seseal_load(&conf, 1, err, sizeof(err)) == HALL_OK ? 0 : -1;
}

static int
pki_teardown(void **state)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", pki_top);
    return system(cmd) == 0 ? 0 : -1;
}

static unsigned char *
file_der(struct hall_pool *pool, const char *name, size_t *len, X509 **keep)
{
    char path[512];
    FILE *f;
    X509 *x;
    unsigned char *p = NULL, *out;
    int n;

    snprintf(path, sizeof(path), "%s/%s.crt", pki_dir, name);
    f = fopen(path, "r");
    assert_non_null(f);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    n = i2d_X509(x, &p);
    out = hall_palloc(pool, (size_t)n);
    memcpy(out, p, (size_t)n);
    OPENSSL_free(p);
    *len = (size_t)n;
    if (keep != NULL)
        *keep = x;
    else
        X509_free(x);
    return out;
}

static unsigned char *
make_seal(struct hall_pool *pool, size_t *len)
{
    struct hall_seseal_in in;
    size_t png_len, cert_len;
    const unsigned char *certs[1];
    size_t lens[1];
    unsigned char *png =
        hall_sealimg_render(pool, HALL_SEAL_ORG, "深圳市某某科技有限公司", "", &png_len, NULL);

    assert_non_null(png);
    /* a signer's certificate: any of the hall's serves the structure */
    certs[0] = file_der(pool, "sm2-ocsp", &cert_len, NULL);
    lens[0] = cert_len;
    /* made 2026-01-01 */
    seal_in_org(&in, "44030000000001", "深圳市某某科技有限公司", certs, lens, 1767225600, png,
                png_len);
    return hall_seseal_make(pool, &in, len);
}

static void
seseal_make__verify__fields_signature_and_chain(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_seseal_info info;
    const char *err;
    size_t len;
    unsigned char *der = make_seal(pool, &len);

    assert_non_null(der);
    assert_int_equal(hall_seseal_verify(pool, der, len, NULL, 0, &info, &err), HALL_OK);
    assert_int_equal(info.version, 4);
    assert_string_equal(info.es_id, "44030000000001");
    assert_string_equal(info.name, "深圳市某某科技有限公司");
    assert_int_equal(info.type, 1);
    assert_string_equal(info.picture_type, "PNG");
    assert_int_equal(info.width_mm, 42);
    assert_int_equal((long)info.created, 1767225600L);
    assert_int_equal(info.nsigners, 1);
    assert_non_null(strstr(info.signers[0].subject, "OCSP"));
    assert_non_null(strstr(info.maker_subject, "Seal Maker"));
    assert_true(info.png_len > 1000 && memcmp(info.png, "\x89PNG", 4) == 0);
    assert_true(info.signature_ok);
    assert_true(info.chain_ok);
    assert_false(info.crl_ok); /* no CRL given */
    hall_pool_destroy(pool);
}

static void
seseal_verify__one_byte_of_the_name_changed__signature_fails(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_seseal_info info;
    const char *err;
    size_t len, i;
    unsigned char *der = make_seal(pool, &len);
    /* "某某" in UTF-8: change the second character to another of the same length */
    static const unsigned char mou[] = {0xe6, 0x9f, 0x90};

    for (i = 0; i + 3 <= len; i++)
        if (memcmp(der + i, mou, 3) == 0)
            break;
    assert_true(i + 3 <= len);
    der[i + 2] = 0x91;
    assert_int_equal(hall_seseal_verify(pool, der, len, NULL, 0, &info, &err), HALL_OK);
    assert_false(info.signature_ok);
    assert_true(info.chain_ok);
    hall_pool_destroy(pool);
}

static void
seseal_verify__not_a_seal__refused(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_seseal_info info;
    const char *err = NULL;
    size_t len;
    unsigned char *der = make_seal(pool, &len);

    assert_int_equal(hall_seseal_verify(pool, (const unsigned char *)"\x30\x03\x02\x01\x01", 5,
                                        NULL, 0, &info, &err),
                     HALL_ERR);
    assert_non_null(strstr(err, "SESeal"));
    /* cut short, or with bytes after the end */
    assert_int_equal(hall_seseal_verify(pool, der, len - 1, NULL, 0, &info, &err), HALL_ERR);
    assert_int_equal(hall_seseal_verify(pool, der, len + 1, NULL, 0, &info, &err), HALL_ERR);
    hall_pool_destroy(pool);
}

/* a CRL of the sm2 CA, signed SM3withSM2 with the GM/T ID, listing serial (or none) */
static unsigned char *
sm2_crl(struct hall_pool *pool, X509 *revoked, size_t *len)
{
    char path[512];
    FILE *f;
    EVP_PKEY *key;
    X509 *ca;
    X509_CRL *crl = X509_CRL_new();
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    ASN1_TIME *t = X509_gmtime_adj(NULL, 0), *nt = X509_gmtime_adj(NULL, 86400);
    unsigned char *p = NULL, *out;
    int n;

    key = hall_pki_key("sm2", (char *)path, sizeof(path));
    assert_non_null(key);
    snprintf(path, sizeof(path), "%s/sm2.crt", pki_dir);
    f = fopen(path, "r");
    ca = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    X509_CRL_set_version(crl, X509_CRL_VERSION_2);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
    X509_CRL_set1_lastUpdate(crl, t);
    X509_CRL_set1_nextUpdate(crl, nt);
    if (revoked != NULL) {
        X509_REVOKED *r = X509_REVOKED_new();

        X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked));
        X509_REVOKED_set_revocationDate(r, t);
        X509_CRL_add0_revoked(crl, r);
    }
    assert_int_equal(EVP_DigestSignInit_ex(m, &pc, "SM3", NULL, NULL, key, NULL), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_id(pc, "1234567812345678", 16), 1);
    assert_true(X509_CRL_sign_ctx(crl, m) > 0);
    n = i2d_X509_CRL(crl, &p);
    out = hall_palloc(pool, (size_t)n);
    memcpy(out, p, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(p);
    EVP_MD_CTX_free(m);
    ASN1_TIME_free(t);
    ASN1_TIME_free(nt);
    X509_CRL_free(crl);
    X509_free(ca);
    EVP_PKEY_free(key);
    return out;
}

static void
seseal_verify__maker_on_the_crl__revoked(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_seseal_info info;
    const char *err;
    size_t len, crl_len, mlen;
    unsigned char *der = make_seal(pool, &len), *crl;
    X509 *maker = NULL;

    file_der(pool, "seal-maker", &mlen, &maker);
    crl = sm2_crl(pool, NULL, &crl_len);
    assert_int_equal(hall_seseal_verify(pool, der, len, crl, crl_len, &info, &err), HALL_OK);
    assert_true(info.crl_ok);
    assert_false(info.maker_revoked);
    crl = sm2_crl(pool, maker, &crl_len);
    assert_int_equal(hall_seseal_verify(pool, der, len, crl, crl_len, &info, &err), HALL_OK);
    assert_true(info.crl_ok);
    assert_true(info.maker_revoked);
    /* a CRL with a broken signature is not believed */
    crl[crl_len - 5] ^= 0x01;
    assert_int_equal(hall_seseal_verify(pool, der, len, crl, crl_len, &info, &err), HALL_OK);
    assert_false(info.crl_ok);
    X509_free(maker);
    hall_pool_destroy(pool);
}

/* ---- the order's choices ------------------------------------------------------------- */

struct kv {
    const char *const *pairs; /* name, value, ..., NULL */
};

static const char *
kv_get(void *ctx, const char *name)
{
    const struct kv *k = ctx;
    int i;

    for (i = 0; k->pairs[i] != NULL; i += 2)
        if (strcmp(k->pairs[i], name) == 0)
            return k->pairs[i + 1];
    return NULL;
}

static const char *
error_of(const struct hall_seal_choice *c, const char *field)
{
    int i;

    for (i = 0; i < c->nerrors; i++)
        if (strcmp(c->errors[i].field, field) == 0)
            return c->errors[i].message;
    return NULL;
}

static void
seal_choice__one_org_two_business_one_person__four_items(void **state)
{
    static const char *const pairs[] = {"org_count",
                                        "1",
                                        "org_years",
                                        "2",
                                        "org_style",
                                        "auto",
                                        "biz_count",
                                        "2",
                                        "biz_years",
                                        "3",
                                        "biz_1_name",
                                        "合同专用章",
                                        "biz_1_style",
                                        "auto",
                                        "biz_2_name",
                                        "财务专用章",
                                        "biz_2_style",
                                        "cutout",
                                        "person_count",
                                        "1",
                                        "person_1_name",
                                        "李四",
                                        "person_1_ric",
                                        "412723199010050012",
                                        "person_1_years",
                                        "1",
                                        "person_1_mobile",
                                        "+86 13912345678",
                                        NULL};
    struct kv k = {pairs};
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_seal_choice c;

    assert_int_equal(hall_seal_choice_parse(pool, kv_get, &k, &c), HALL_OK);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.items[0].kind, HALL_SEAL_ORG);
    assert_int_equal(c.items[0].years, 2);
    assert_int_equal(c.items[1].kind, HALL_SEAL_BUSINESS);
    assert_string_equal(c.items[1].name, "合同专用章");
    assert_int_equal(c.items[2].style, HALL_SEAL_CUTOUT);
    assert_int_equal(c.items[2].years, 3);
    assert_int_equal(c.items[3].kind, HALL_SEAL_PERSON);
    assert_string_equal(c.items[3].holder_ric, "412723199010050012");
    /* the holder's own phone, normalised: the PIN goes there */
    assert_string_equal(c.items[3].holder_mobile, "13912345678");
    hall_pool_destroy(pool);
}

static void
seal_choice__two_org_seals__refused_naming_org_count(void **state)
{
    static const char *const pairs[] = {"org_count", "2", "org_years", "1", NULL};
    struct kv k = {pairs};
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_seal_choice c;

    assert_int_equal(hall_seal_choice_parse(pool, kv_get, &k, &c), HALL_ERR);
    assert_non_null(error_of(&c, "org_count"));
    assert_non_null(strstr(error_of(&c, "org_count"), "最多可办理 1 张"));
    assert_int_equal(c.n, 0);
    hall_pool_destroy(pool);
}

static void
seal_choice__nine_business_seals__refused_naming_biz_count(void **state)
{
    static const char *const pairs[] = {"biz_count", "9", "biz_years", "1", NULL};
    struct kv k = {pairs};
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_seal_choice c;

    assert_int_equal(hall_seal_choice_parse(pool, kv_get, &k, &c), HALL_ERR);
    assert_non_null(strstr(error_of(&c, "biz_count"), "最多可办理 8 张"));
    hall_pool_destroy(pool);
}

static void
seal_choice__several_bad_fields__every_error_at_once(void **state)
{
    static const char *const pairs[] = {"org_count",
                                        "1",
                                        "org_years",
                                        "9",
                                        "org_style",
                                        "paint",
                                        "biz_count",
                                        "2",
                                        "biz_years",
                                        "1",
                                        "biz_1_name",
                                        "合同专用章",
                                        "biz_2_name",
                                        "",
                                        "person_count",
                                        "2",
                                        "person_1_name",
                                        "李四",
                                        "person_1_ric",
                                        "412723199010050013",
                                        "person_1_years",
                                        "1",
                                        "person_2_name",
                                        "<b>",
                                        "person_2_ric",
                                        "412723199010050012",
                                        "person_2_mobile",
                                        "12345",
                                        NULL};
    struct kv k = {pairs};
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_seal_choice c;

    assert_int_equal(hall_seal_choice_parse(pool, kv_get, &k, &c), HALL_ERR);
    assert_non_null(error_of(&c, "org_years"));
    assert_non_null(error_of(&c, "org_style"));
    assert_non_null(error_of(&c, "biz_2_name"));
    assert_non_null(error_of(&c, "person_1_ric"));
    assert_non_null(error_of(&c, "person_2_name"));
    assert_non_null(error_of(&c, "person_2_years"));
    /* a 机构个人章 without its holder's phone, or with a wrong one */
    assert_string_equal(error_of(&c, "person_1_mobile"), "请填写机构个人章持有人本人的手机号");
    assert_string_equal(error_of(&c, "person_2_mobile"), "手机号码格式不正确");
    assert_null(error_of(&c, "biz_1_name"));
    assert_int_equal(c.nerrors, 8);
    hall_pool_destroy(pool);
}

static void
seal_choice__nothing_chosen__refused(void **state)
{
    static const char *const pairs[] = {"org_count", "0", NULL};
    struct kv k = {pairs};
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_seal_choice c;

    assert_int_equal(hall_seal_choice_parse(pool, kv_get, &k, &c), HALL_ERR);
    assert_non_null(error_of(&c, "org_count"));
    hall_pool_destroy(pool);
}

static void
seal_price__sum_of_parts(void **state)
{
    /* the hall's seal products (sql/003_seed.sql): 机构章 500, 业务章 400, 个人章 200 a year */
    struct hall_seal_part parts[] = {
        {HALL_SEAL_ORG, 2, {50000, 0, 0}},
        {HALL_SEAL_BUSINESS, 3, {40000, 0, 0}},
        {HALL_SEAL_BUSINESS, 3, {40000, 0, 0}},
        {HALL_SEAL_PERSON, 1, {20000, 0, 0}},
    };

    assert_int_equal(hall_seal_price(parts, 4), 100000 + 120000 + 120000 + 20000);
    assert_int_equal(hall_seal_price(parts, 0), 0);
}

/* 上传资料: each 机构个人章 holder's ID scan is holder_id_N, N 1 … 50, one
 * spelling per holder (core/flow/catalog.c; sql/036_holder_id.sql) */
static void
catalog_material_each__holder_id_1_to_50__one_spelling_per_holder(void **state)
{
    static const char *const bad[] = {
        "holder_id_0",  "holder_id_01", "holder_id_51", "holder_id_100", "holder_id_",
        "holder_id_1x", "holder_idx1",  "holder_id_-1", "application_1", NULL};
    const struct hall_material *m;
    int n = -1;

    (void)state;
    m = hall_material_each("holder_id_1", &n);
    assert_non_null(m);
    assert_string_equal(m->kind, "holder_id");
    assert_int_equal(n, 1);
    m = hall_material_each("holder_id_50", &n);
    assert_non_null(m);
    assert_int_equal(n, 50);
    m = hall_material_each("holder_id_17", &n);
    assert_int_equal(n, 17);
    /* every other kind: itself, N 0 */
    m = hall_material_each("license", &n);
    assert_non_null(m);
    assert_string_equal(m->label, "营业执照扫描件");
    assert_int_equal(n, 0);
    for (int i = 0; bad[i] != NULL; i++)
        assert_null(hall_material_each(bad[i], NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sealimg_check__noto_cjk_installed__draws_chinese),
        cmocka_unit_test(sealimg_render__20_character_org__fits_the_circle),
        cmocka_unit_test(sealimg_render__30_characters_and_12_character_name__still_fit),
        cmocka_unit_test(sealimg_render__short_org__large_letters_inside),
        cmocka_unit_test(sealimg_render__too_long_or_empty__refused),
        cmocka_unit_test(seal_org_drawable__same_rule_as_the_drawing),
        cmocka_unit_test(sealimg_org_glyphs__agrees_with_the_drawing),
        cmocka_unit_test(sealimg_render__person__square_with_the_name),
        cmocka_unit_test(sealimg_cutout__png_scan__red_kept_rest_transparent),
        cmocka_unit_test(sealimg_cutout__jpeg_scan__red_kept_rest_transparent),
        cmocka_unit_test(sealimg_cutout__no_red_or_not_an_image__refused_in_chinese),
        cmocka_unit_test(sealimg_whole__png_jpeg_bmp_cut_off_or_damaged__refused),
        cmocka_unit_test(seseal_make__verify__fields_signature_and_chain),
        cmocka_unit_test(seseal_verify__one_byte_of_the_name_changed__signature_fails),
        cmocka_unit_test(seseal_verify__not_a_seal__refused),
        cmocka_unit_test(seseal_verify__maker_on_the_crl__revoked),
        cmocka_unit_test(seal_choice__one_org_two_business_one_person__four_items),
        cmocka_unit_test(seal_choice__two_org_seals__refused_naming_org_count),
        cmocka_unit_test(seal_choice__nine_business_seals__refused_naming_biz_count),
        cmocka_unit_test(seal_choice__several_bad_fields__every_error_at_once),
        cmocka_unit_test(seal_choice__nothing_chosen__refused),
        cmocka_unit_test(seal_price__sum_of_parts),
        cmocka_unit_test(catalog_material_each__holder_id_1_to_50__one_spelling_per_holder),
    };

    return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
