/* What the stamp's fuzz targets share: fuzz_stamp.h */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ts.h>

#include "fuzz_stamp.h"

static struct fuzz_pki pki;
static int loaded;

unsigned char *
fuzz_slurp(const char *rel, size_t *len)
{
    char path[4096];
    FILE *f;
    unsigned char *p;
    long n;

    snprintf(path, sizeof(path), "%s/%s", FUZZ_DIR, rel);
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        (p = malloc((size_t)n + 1)) == NULL) {
        fclose(f);
        return NULL;
    }
    if (fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static X509 *
cert(const char *name)
{
    char rel[256];
    size_t n;
    unsigned char *p;
    BIO *b;
    X509 *x;

    snprintf(rel, sizeof(rel), "pki/%s.crt", name);
    p = fuzz_slurp(rel, &n);
    if (p == NULL)
        abort();
    b = BIO_new_mem_buf(p, (int)n);
    x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    free(p);
    if (x == NULL)
        abort();
    return x;
}

static EVP_PKEY *
key(const char *name)
{
    char rel[256];
    size_t n;
    unsigned char *p;
    BIO *b;
    EVP_PKEY *k;

    snprintf(rel, sizeof(rel), "pki/%s.key", name);
    p = fuzz_slurp(rel, &n);
    if (p == NULL)
        abort();
    b = BIO_new_mem_buf(p, (int)n);
    k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    free(p);
    if (k == NULL)
        abort();
    return k;
}

const struct fuzz_pki *
fuzz_pki(int want_key)
{
    struct hall_conf conf;
    char dir[4096], err[512];

    if (loaded)
        return &pki;
    snprintf(dir, sizeof(dir), "%s/pki", FUZZ_DIR);
    memset(&conf, 0, sizeof(conf));
    conf.pki_dir = dir;
    conf.pki_pass_file = "";
    conf.pkcs11_module = "";
    if (hall_seseal_load(&conf, want_key, err, sizeof(err)) != HALL_OK) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    pki.root = cert("root");
    pki.ca = cert("ca");
    pki.signer = cert("signer");
    pki.tsa = cert("tsa");
    pki.sm2s = cert("sm2s");
    pki.signer_key = key("signer");
    pki.tsa_key = key("tsa");
    pki.sm2s_key = key("sm2s");
    pki.roots = sk_X509_new_null();
    pki.chain = sk_X509_new_null();
    sk_X509_push(pki.roots, pki.root);
    sk_X509_push(pki.chain, pki.ca);
    pki.trust.roots = pki.roots;
    pki.trust.cas = pki.chain;
    pki.trust.check_seal = 1;
    pki.trust.now = FUZZ_NOW;
    pki.seal = fuzz_slurp("pki/seal.der", &pki.seal_len);
    pki.sm2seal = fuzz_slurp("pki/sm2seal.der", &pki.sm2seal_len);
    loaded = 1;
    return &pki;
}

static int
tsa_time(TS_RESP_CTX *ctx, void *arg, long *sec, long *usec)
{
    (void)ctx;
    (void)arg;
    *sec = (long)(FUZZ_NOW - 3600);
    *usec = 0;
    return 1;
}

unsigned char *
fuzz_tsa(void *arg, struct hall_pool *pool, const unsigned char *req, size_t req_len,
         size_t *resp_len)
{
    TS_RESP_CTX *ctx = TS_RESP_CTX_new();
    BIO *b = BIO_new_mem_buf(req, (int)req_len);
    ASN1_OBJECT *policy = OBJ_txt2obj("2.999.41.1", 1);
    TS_RESP *r;
    unsigned char *der = NULL, *out = NULL;
    int n;

    (void)arg;
    if (ctx == NULL || b == NULL || policy == NULL)
        abort();
    TS_RESP_CTX_set_signer_cert(ctx, pki.tsa);
    TS_RESP_CTX_set_signer_key(ctx, pki.tsa_key);
    TS_RESP_CTX_set_def_policy(ctx, policy);
    TS_RESP_CTX_add_md(ctx, EVP_sha256());
    TS_RESP_CTX_add_md(ctx, EVP_sm3());
    TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256());
    TS_RESP_CTX_set_time_cb(ctx, tsa_time, NULL);
    r = TS_RESP_create_response(ctx, b);
    if (r != NULL && (n = i2d_TS_RESP(r, &der)) > 0) {
        out = hall_palloc(pool, (size_t)n);
        memcpy(out, der, (size_t)n);
        *resp_len = (size_t)n;
    }
    OPENSSL_free(der);
    TS_RESP_free(r);
    ASN1_OBJECT_free(policy);
    BIO_free(b);
    TS_RESP_CTX_free(ctx);
    return out;
}

int
fuzz_verify(struct hall_pool *pool, const unsigned char *pdf, size_t len,
            struct hall_stamp_report *rep, char *err, size_t errlen)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC), rc;
    size_t off = 0;

    if (fd < 0)
        abort();
    while (off < len) {
        ssize_t w = write(fd, pdf + off, len - off);

        if (w <= 0)
            abort();
        off += (size_t)w;
    }
    rc = hall_stamp_verify_fd(pool, fd, &fuzz_pki(0)->trust, rep, err, errlen);
    close(fd);
    return rc;
}

/* the gap [a, b) of the base's one /ByteRange [0 a b n]: -1 none */
static int
gap_of(const unsigned char *p, size_t len, size_t *a, size_t *b)
{
    const unsigned char *br = memmem(p, len, "/ByteRange", 10);
    long long v[4];

    if (br == NULL ||
        sscanf((const char *)br + 10, " [ %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3]) != 4 ||
        v[1] < 0 || v[2] <= v[1] + 2 || (size_t)v[2] > len || p[v[1]] != '<' || p[v[2] - 1] != '>')
        return -1;
    *a = (size_t)v[1] + 1;
    *b = (size_t)v[2] - 1;
    return 0;
}

unsigned char *
fuzz_in_gap(const char *rel, const unsigned char *der, size_t der_len, size_t *len)
{
    static const char hex[] = "0123456789ABCDEF";
    static unsigned char *base;
    static size_t base_len, a, b;
    unsigned char *p;
    size_t i;

    if (base == NULL) {
        base = fuzz_slurp(rel, &base_len);
        if (base == NULL || gap_of(base, base_len, &a, &b) != 0)
            abort();
    }
    if (der_len * 2 > b - a)
        return NULL;
    p = malloc(base_len);
    if (p == NULL)
        abort();
    memcpy(p, base, base_len);
    memset(p + a, '0', b - a);
    for (i = 0; i < der_len; i++) {
        p[a + 2 * i] = (unsigned char)hex[der[i] >> 4];
        p[a + 2 * i + 1] = (unsigned char)hex[der[i] & 15];
    }
    *len = base_len;
    return p;
}

static int
hexval(unsigned char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

unsigned char *
fuzz_gap_der(const unsigned char *pdf, size_t len, size_t *der_len)
{
    size_t a, b, i, n, want;
    unsigned char *d;

    if (gap_of(pdf, len, &a, &b) != 0)
        return NULL;
    n = (b - a) / 2;
    d = malloc(n + 1);
    if (d == NULL)
        abort();
    for (i = 0; i < n; i++) {
        int h = hexval(pdf[a + 2 * i]), l = hexval(pdf[a + 2 * i + 1]);

        if (h < 0 || l < 0)
            break;
        d[i] = (unsigned char)(h << 4 | l);
    }
    n = i;
    /* the outer TLV's length: the rest is the reserve's zeros */
    want = n;
    if (n >= 2 && d[1] < 0x80)
        want = 2 + d[1];
    else if (n >= 2 && d[1] > 0x80 && d[1] <= 0x84 && n >= 2 + (size_t)(d[1] & 0x7f)) {
        size_t l = 0;

        for (i = 0; i < (size_t)(d[1] & 0x7f); i++)
            l = l << 8 | d[2 + i];
        want = 2 + (d[1] & 0x7f) + l;
    }
    *der_len = want < n ? want : n;
    return d;
}
