/*
 * hall-demoseal: the 免费体验 demo seal (docs/modules/sign.md).
 *
 *   hall-demoseal -c hall.conf make
 *
 * Writes demo_dir/demo.seseal: a GB/T 38540 SESeal made by the hall's seal
 * maker (hall_seseal_make, as production makes every seal) whose one
 * signer is the demo CA's demo-signer.crt (script/lib/demo-ca.sh) and
 * whose picture, drawn by the seal renderer, says 体验专用 · 不具法律效力.
 * It runs at set-up (script/lib/common.sh, start_all), not in the module
 * sign, so that the internet-facing module never holds the seal maker's
 * key.  A demo.seseal that lists the current demo-signer.crt and is valid
 * for another 30 days is kept (exit 0, nothing written).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hall.h"

/* what the picture says: along the arc, and below the star */
#define DEMO_ARC  "体验专用·不具法律效力"
#define DEMO_NAME "免费体验"
#define DEMO_ESID "TRIAL0000000001"

static void
usage(void)
{
    fprintf(stderr,
            "usage: hall-demoseal -c hall.conf make\n"
            "  writes demo_dir/demo.seseal, the 免费体验 demo seal (体验专用 · 不具法律效力)\n");
}

/* the file's bytes in pool, NULL when it cannot be read */
static unsigned char *
slurp(struct hall_pool *pool, const char *path, size_t *len)
{
    unsigned char *m = hall_whole_file(path, 1024 * 1024, len), *p = NULL;

    if (m != NULL && *len > 0) {
        p = hall_palloc(pool, *len);
        memcpy(p, m, *len);
    }
    free(m);
    return p;
}

/* 1 when path holds a seal that lists serial and stays valid 30 more days */
static int
current(struct hall_pool *pool, const char *path, const char *serial)
{
    struct hall_seseal_info info;
    const char *err;
    unsigned char *der;
    size_t len;

    der = slurp(pool, path, &len);
    if (der == NULL || hall_seseal_verify(pool, der, len, NULL, 0, &info, &err) != HALL_OK)
        return 0;
    return info.signature_ok && info.chain_ok && info.nsigners == 1 &&
           strcmp(info.signers[0].serial, serial) == 0 && info.valid_end > time(NULL) + 30L * 86400;
}

static int
make(struct hall_pool *pool, const struct hall_conf *conf)
{
    const char *crt = hall_psprintf(pool, "%s/demo-signer.crt", conf->demo_dir);
    const char *out = hall_psprintf(pool, "%s/demo.seseal", conf->demo_dir);
    const char *tmp = hall_psprintf(pool, "%s/demo.seseal.new", conf->demo_dir);
    struct hall_seseal_in in;
    unsigned char *der, *seal, *png, *p;
    const unsigned char *certs[1];
    size_t cert_lens[1], seal_len, png_len;
    char *serial;
    X509 *x;
    FILE *f;
    int n;

    f = fopen(crt, "r");
    x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f != NULL)
        fclose(f);
    if (x == NULL) {
        fprintf(stderr, "hall-demoseal: cannot read %s (script/lib/demo-ca.sh makes it)\n", crt);
        return 1;
    }
    serial = hall_asn1_int_hex(pool, X509_get0_serialNumber(x));
    if (current(pool, out, serial)) {
        X509_free(x);
        return 0;
    }
    n = i2d_X509(x, NULL);
    der = hall_palloc(pool, (size_t)n);
    p = der;
    i2d_X509(x, &p);
    png = hall_sealimg_render(pool, HALL_SEAL_ORG, DEMO_ARC, DEMO_NAME, &png_len, NULL);
    if (png == NULL) {
        fprintf(stderr, "hall-demoseal: cannot draw the demo seal's picture\n");
        X509_free(x);
        return 1;
    }
    memset(&in, 0, sizeof(in));
    certs[0] = der;
    cert_lens[0] = (size_t)n;
    in.es_id = DEMO_ESID;
    in.type = 1;
    in.name = "免费体验印章（体验专用 不具法律效力）";
    in.certs = certs;
    in.cert_lens = cert_lens;
    in.ncerts = 1;
    in.created = time(NULL);
    in.valid_start = in.created;
    /* the seal's validity is the demo signer's */
    {
        struct tm tm;

        if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1) {
            X509_free(x);
            return 1;
        }
        in.valid_end = timegm(&tm);
    }
    in.png = png;
    in.png_len = png_len;
    in.width_mm = HALL_SEAL_MM;
    in.height_mm = HALL_SEAL_MM;
    X509_free(x);
    seal = hall_seseal_make(pool, &in, &seal_len);
    if (seal == NULL) {
        fprintf(stderr, "hall-demoseal: the seal maker could not sign the demo seal\n");
        return 1;
    }
    f = fopen(tmp, "wb");
    if (f == NULL || fwrite(seal, 1, seal_len, f) != seal_len || fclose(f) != 0 ||
        rename(tmp, out) != 0) {
        fprintf(stderr, "hall-demoseal: cannot write %s\n", out);
        return 1;
    }
    printf("hall-demoseal: %s written (%zu bytes, signer %s)\n", out, seal_len, serial);
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct hall_module mod = {"demoseal", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    static struct hall_app app;
    struct hall_pool *pool;
    const char *cmd;
    char err[512];
    int rc;

    app.mod = &mod;
    rc = hall_tool_start(argc, argv, &app, usage, &cmd);
    if (rc != 0)
        return rc;
    if (strcmp(cmd, "make") != 0) {
        usage();
        return 2;
    }
    if (hall_sealimg_check(err, sizeof(err)) != HALL_OK ||
        hall_seseal_load(&app.conf, 1, err, sizeof(err)) != HALL_OK) {
        fprintf(stderr, "hall-demoseal: %s\n", err);
        return 3;
    }
    pool = hall_pool_create(16384);
    rc = make(pool, &app.conf);
    hall_pool_destroy(pool);
    hall_conf_free(&app.conf);
    return rc;
}
