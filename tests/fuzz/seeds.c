/*
 * The stamp's fuzz seeds (script/fuzz --seeds; not part of make check):
 * with the hierarchy of tests/fuzz/pki, the seals (pki/seal.der,
 * pki/sm2seal.der), the base files whose /Contents the cms, ses and tsp
 * targets replace (base/NAME.pdf), and into OUT/TARGET/ the seeds of every
 * stamp target: each PDF given as it is and stamped every way (a CMS, an
 * SM2 stamp over it, a 骑缝章, a /DSS and a document timestamp), the DER
 * of each kind, the seals, pictures, an OCSP response and a CRL.
 *
 *   seeds OUT PDF...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <zlib.h>

#include "fuzz_stamp.h"

static struct hall_pool *pool;
static const char *out;
static const struct fuzz_pki *k;
static unsigned char *seal, *sm2seal;
static size_t seal_len, sm2seal_len;

static void
put(const char *dir, const char *name, const void *p, size_t n)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "seeds: cannot write %s\n", path);
        exit(1);
    }
}

static void
seed(const char *target, const char *name, const void *p, size_t n)
{
    char dir[4096];

    snprintf(dir, sizeof(dir), "%s/%s", out, target);
    mkdir(dir, 0755);
    put(dir, name, p, n);
}

static void
chunk(struct stamp_buf *b, const char *type, const unsigned char *d, size_t n)
{
    unsigned char be[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                           (unsigned char)(n >> 8), (unsigned char)n};
    uLong crc = crc32(0, (const Bytef *)type, 4);

    if (n > 0)
        crc = crc32(crc, d, (uInt)n);
    stamp_buf_put(b, be, 4);
    stamp_buf_put(b, type, 4);
    if (n > 0)
        stamp_buf_put(b, d, n);
    be[0] = (unsigned char)(crc >> 24);
    be[1] = (unsigned char)(crc >> 16);
    be[2] = (unsigned char)(crc >> 8);
    be[3] = (unsigned char)crc;
    stamp_buf_put(b, be, 4);
}

/* a w × w picture of colour type ct (8 bits; 3: a palette with tRNS),
 * a ring, each row's filter y % 5 over bytes that decode to any pixels */
static unsigned char *
png(int w, int ct, size_t *len)
{
    static const int chans[7] = {1, 0, 3, 1, 2, 0, 4};
    int c = chans[ct], x, y;
    size_t stride = (size_t)w * c + 1, zl;
    unsigned char *raw = calloc(stride, (size_t)w), ihdr[13] = {0}, *z;
    struct stamp_buf b = {0};

    for (y = 0; y < w; y++) {
        raw[y * stride] = (unsigned char)(y % 5);
        for (x = 0; x < w * c; x++) {
            double dx = x / c - w / 2.0, dy = y - w / 2.0, d = dx * dx + dy * dy, r = w / 2.0;

            raw[y * stride + 1 + x] = d < r * r && d > (r - 4) * (r - 4) ? 0xd0 : 0;
        }
    }
    z = stamp_deflate(raw, stride * (size_t)w, &zl);
    stamp_buf_put(&b, "\x89PNG\r\n\x1a\n", 8);
    ihdr[2] = (unsigned char)(w >> 8);
    ihdr[3] = (unsigned char)w;
    ihdr[6] = (unsigned char)(w >> 8);
    ihdr[7] = (unsigned char)w;
    ihdr[8] = 8;
    ihdr[9] = (unsigned char)ct;
    chunk(&b, "IHDR", ihdr, 13);
    if (ct == 3) {
        unsigned char pal[768], trns[256];

        for (x = 0; x < 256; x++) {
            pal[3 * x] = (unsigned char)x;
            pal[3 * x + 1] = (unsigned char)(255 - x);
            pal[3 * x + 2] = 40;
            trns[x] = (unsigned char)x;
        }
        chunk(&b, "PLTE", pal, sizeof(pal));
        chunk(&b, "tRNS", trns, sizeof(trns));
    }
    chunk(&b, "IDAT", z, zl);
    chunk(&b, "IEND", NULL, 0);
    free(z);
    free(raw);
    *len = b.len;
    return b.p;
}

static unsigned char *
der_of(X509 *x, size_t *len)
{
    unsigned char *p = NULL;
    int n = i2d_X509(x, &p);

    if (n <= 0)
        abort();
    *len = (size_t)n;
    return p;
}

static unsigned char *
seal_for(X509 *who, const unsigned char *pic, size_t pic_len, size_t *len)
{
    struct hall_seseal_in in;
    const unsigned char *certs[1];
    size_t lens[1];
    unsigned char *sd;

    certs[0] = der_of(who, &lens[0]);
    memset(&in, 0, sizeof(in));
    in.es_id = "44030000000099";
    in.type = 1;
    in.name = "深圳市模糊测试有限公司";
    in.certs = certs;
    in.cert_lens = lens;
    in.ncerts = 1;
    in.created = FUZZ_NOW - 86400;
    in.valid_start = FUZZ_NOW - 86400;
    in.valid_end = FUZZ_NOW + 3 * 365 * 86400;
    in.png = pic;
    in.png_len = pic_len;
    in.width_mm = 42;
    in.height_mm = 42;
    sd = hall_seseal_make(pool, &in, len);
    OPENSSL_free((void *)certs[0]);
    if (sd == NULL)
        abort();
    return sd;
}

/* kind 0 CMS, 1 SM2, 2 骑缝章: pdf with the stamp appended (malloc'ed), NULL refused */
/* pdf and its incremental update u, in one malloc'ed buffer of *olen */
static unsigned char *
appended(const unsigned char *pdf, size_t len, const unsigned char *u, size_t ul, size_t *olen)
{
    unsigned char *o = malloc(len + ul);

    if (o == NULL)
        abort();
    memcpy(o, pdf, len);
    memcpy(o + len, u, ul);
    *olen = len + ul;
    return o;
}

static unsigned char *
stamped(const unsigned char *pdf, size_t len, int kind, size_t *olen)
{
    struct hall_stamp_sign_in in;
    char err[512];
    size_t ul = 0;
    unsigned char *u;

    memset(&in, 0, sizeof(in));
    in.pdf = pdf;
    in.pdf_len = len;
    in.seal = kind == 1 ? sm2seal : seal;
    in.seal_len = kind == 1 ? sm2seal_len : seal_len;
    in.cert = kind == 1 ? k->sm2s : k->signer;
    in.key = kind == 1 ? k->sm2s_key : k->signer_key;
    in.chain = kind == 1 ? NULL : k->chain;
    in.page = 1;
    in.x_mm = kind == 1 ? 75 : 25;
    in.y_mm = 25;
    in.tsa = fuzz_tsa;
    in.now = FUZZ_NOW - 3600;
    in.qifeng = kind == 2 ? HALL_STAMP_QIFENG_RIGHT : 0;
    u = hall_stamp_sign(pool, &in, &ul, err, sizeof(err));
    if (u == NULL) {
        fprintf(stderr, "seeds: refused (%d): %s\n", kind, err);
        return NULL;
    }
    return appended(pdf, len, u, ul, olen);
}

static unsigned char *
doc_ts(const unsigned char *pdf, size_t len, size_t *olen)
{
    struct hall_stamp_sign_in in;
    char err[512];
    size_t ul = 0;
    unsigned char *u;

    memset(&in, 0, sizeof(in));
    in.pdf = pdf;
    in.pdf_len = len;
    in.tsa = fuzz_tsa;
    in.now = FUZZ_NOW - 3000;
    u = hall_stamp_doc_timestamp(pool, &in, &ul, err, sizeof(err));
    if (u == NULL) {
        fprintf(stderr, "seeds: document timestamp refused: %s\n", err);
        return NULL;
    }
    return appended(pdf, len, u, ul, olen);
}

static unsigned char *ocsp_der, *crl_der;
static size_t ocsp_len, crl_len;

/* the CA's OCSP answer about the signer (status) and its CRL */
static void
evidence(void)
{
    FILE *f;
    char path[4096];
    EVP_PKEY *ca_key;
    X509_CRL *crl = X509_CRL_new();
    X509_REVOKED *r = X509_REVOKED_new();
    ASN1_TIME *t0 = ASN1_TIME_set(NULL, FUZZ_NOW - 1800),
              *t1 = ASN1_TIME_set(NULL, FUZZ_NOW + 7 * 86400);
    ASN1_INTEGER *sn = ASN1_INTEGER_new();
    unsigned char *p;
    size_t n;
    int st;

    snprintf(path, sizeof(path), "%s/pki/ca.key", FUZZ_DIR);
    f = fopen(path, "r");
    ca_key = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f != NULL)
        fclose(f);
    if (ca_key == NULL)
        abort();
    for (st = 0; st < 2; st++) {
        OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
        OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), k->signer, k->ca);
        OCSP_RESPONSE *resp;
        char name[64];

        OCSP_basic_add1_status(bs, id, st == 0 ? V_OCSP_CERTSTATUS_GOOD : V_OCSP_CERTSTATUS_REVOKED,
                               st == 0 ? -1 : OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                               st == 0 ? NULL : t0, t0, t1);
        OCSP_basic_sign(bs, k->ca, ca_key, EVP_sha256(), NULL, 0);
        resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
        p = NULL;
        n = (size_t)i2d_OCSP_RESPONSE(resp, &p);
        snprintf(name, sizeof(name), "seed-ocsp-%s", st == 0 ? "good" : "revoked");
        seed("evidence", name, p, n);
        if (st == 0) {
            ocsp_der = p;
            ocsp_len = n;
        } else {
            OPENSSL_free(p);
        }
        OCSP_RESPONSE_free(resp);
        OCSP_CERTID_free(id);
        OCSP_BASICRESP_free(bs);
    }
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(k->ca));
    X509_CRL_set1_lastUpdate(crl, t0);
    X509_CRL_set1_nextUpdate(crl, t1);
    ASN1_INTEGER_set(sn, 99);
    X509_REVOKED_set_serialNumber(r, sn);
    X509_REVOKED_set_revocationDate(r, t0);
    X509_CRL_add0_revoked(crl, r);
    X509_CRL_sort(crl);
    X509_CRL_sign(crl, ca_key, EVP_sha256());
    p = NULL;
    crl_len = (size_t)i2d_X509_CRL(crl, &p);
    crl_der = p;
    seed("evidence", "seed-crl", p, crl_len);
    X509_CRL_free(crl);
    ASN1_INTEGER_free(sn);
    ASN1_TIME_free(t0);
    ASN1_TIME_free(t1);
    EVP_PKEY_free(ca_key);
}

/* pdf with a /DSS of the CA, the TSA, the OCSP answer and the CRL */
static unsigned char *
with_dss(const unsigned char *pdf, size_t len, size_t *olen)
{
    struct hall_stamp_dss_in in;
    char err[512];
    size_t ul = 0, n;
    unsigned char *u, *d;

    memset(&in, 0, sizeof(in));
    d = der_of(k->ca, &n);
    hall_stamp_dss_add(pool, &in, HALL_STAMP_DSS_CERT, d, n);
    OPENSSL_free(d);
    d = der_of(k->tsa, &n);
    hall_stamp_dss_add(pool, &in, HALL_STAMP_DSS_CERT, d, n);
    OPENSSL_free(d);
    hall_stamp_dss_add(pool, &in, HALL_STAMP_DSS_OCSP, ocsp_der, ocsp_len);
    hall_stamp_dss_add(pool, &in, HALL_STAMP_DSS_CRL, crl_der, crl_len);
    u = hall_stamp_dss_update(pool, pdf, len, &in, &ul, err, sizeof(err));
    if (u == NULL) {
        fprintf(stderr, "seeds: /DSS refused: %s\n", err);
        return NULL;
    }
    return appended(pdf, len, u, ul, olen);
}

static const char *
base_name(const char *path)
{
    const char *s = strrchr(path, '/');

    return s != NULL ? s + 1 : path;
}

/* a PDF's seeds: as it is (verify, reader, sign) and stamped (verify, reader) */
static void
pdf_seeds(const char *name, const unsigned char *pdf, size_t len, int every)
{
    char nm[512];
    size_t l1 = 0, l2 = 0, l3 = 0;
    unsigned char *s1, *s2, *s3;

    snprintf(nm, sizeof(nm), "seed-%s", name);
    seed("verify", nm, pdf, len);
    seed("reader", nm, pdf, len);
    seed("sign", nm, pdf, len);
    s1 = stamped(pdf, len, 0, &l1);
    if (s1 == NULL)
        return;
    snprintf(nm, sizeof(nm), "seed-%s-cms", name);
    seed("verify", nm, s1, l1);
    if (every)
        seed("reader", nm, s1, l1);
    if (every) {
        s2 = stamped(s1, l1, 1, &l2);
        if (s2 != NULL) {
            snprintf(nm, sizeof(nm), "seed-%s-cms-sm2", name);
            seed("verify", nm, s2, l2);
            s3 = with_dss(s2, l2, &l3);
            if (s3 != NULL) {
                size_t l4 = 0;
                unsigned char *s4 = doc_ts(s3, l3, &l4);

                if (s4 != NULL) {
                    snprintf(nm, sizeof(nm), "seed-%s-cms-sm2-lta", name);
                    seed("verify", nm, s4, l4);
                    seed("reader", nm, s4, l4);
                    free(s4);
                }
                free(s3);
            }
            free(s2);
        }
        s3 = stamped(pdf, len, 2, &l3);
        if (s3 != NULL) {
            snprintf(nm, sizeof(nm), "seed-%s-qifeng", name);
            seed("verify", nm, s3, l3);
            free(s3);
        }
    }
    free(s1);
}

/* a base file: seeds of its /Contents' kind, and the file */
static void
base(const char *kind, const unsigned char *pdf, size_t len)
{
    char dir[4096], nm[64];
    size_t dl = 0;
    unsigned char *der = fuzz_gap_der(pdf, len, &dl);

    if (der == NULL)
        abort();
    snprintf(dir, sizeof(dir), "%s/base", FUZZ_DIR);
    mkdir(dir, 0755);
    snprintf(nm, sizeof(nm), "%s.pdf", kind);
    put(dir, nm, pdf, len);
    snprintf(nm, sizeof(nm), "seed-%s", kind);
    seed(kind, nm, der, dl);
    free(der);
}

static const char one_page[] =
    "%PDF-1.7\n"
    "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>\nendobj\n"
    "3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>\nendobj\n"
    "4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\n"
    "xref\n0 5\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    "0000000139 00000 n \n0000000202 00000 n \ntrailer\n<< /Size 5 /Root 1 0 R >>\n"
    "startxref\n251\n%%EOF\n";

int
main(int argc, char **argv)
{
    char dir[4096];
    size_t pl, n, l;
    unsigned char *pic, *p;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: seeds OUT PDF...\n");
        return 2;
    }
    out = argv[1];
    pool = hall_pool_create(65536);
    k = fuzz_pki(1);
    /* the seals, and the pictures */
    pic = png(64, 6, &pl);
    seal = seal_for(k->signer, pic, pl, &seal_len);
    sm2seal = seal_for(k->sm2s, pic, pl, &sm2seal_len);
    snprintf(dir, sizeof(dir), "%s/pki", FUZZ_DIR);
    put(dir, "seal.der", seal, seal_len);
    put(dir, "sm2seal.der", sm2seal, sm2seal_len);
    seed("seseal", "seed-p256.seseal", seal, seal_len);
    seed("seseal", "seed-sm2.seseal", sm2seal, sm2seal_len);
    seed("png", "seed-rgba.png", pic, pl);
    for (i = 0; i <= 4; i++) {
        static const int cts[5] = {0, 2, 3, 4, 6};
        char nm[32];

        p = png(17, cts[i], &n);
        snprintf(nm, sizeof(nm), "seed-type%d.png", cts[i]);
        seed("png", nm, p, n);
        free(p);
    }
    evidence();
    /* the base files */
    p = stamped((const unsigned char *)one_page, sizeof(one_page) - 1, 0, &l);
    base("cms", p, l);
    free(p);
    p = stamped((const unsigned char *)one_page, sizeof(one_page) - 1, 1, &l);
    base("ses", p, l);
    free(p);
    p = doc_ts((const unsigned char *)one_page, sizeof(one_page) - 1, &l);
    base("tsp", p, l);
    free(p);
    pdf_seeds("one-page.pdf", (const unsigned char *)one_page, sizeof(one_page) - 1, 1);
    for (i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        long fl;

        if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (fl = ftell(f)) < 0) {
            fprintf(stderr, "seeds: cannot read %s\n", argv[i]);
            return 1;
        }
        p = malloc((size_t)fl + 1);
        fseek(f, 0, SEEK_SET);
        if (fread(p, 1, (size_t)fl, f) != (size_t)fl)
            return 1;
        fclose(f);
        /* every way on the small ones: a large file's seeds are its own */
        pdf_seeds(base_name(argv[i]), p, (size_t)fl, fl < 16 * 1024);
        free(p);
    }
    free(pic);
    hall_pool_destroy(pool);
    return 0;
}
