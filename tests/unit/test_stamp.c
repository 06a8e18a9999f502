/*
 * Unit tests for the stamp library, core/stamp/stamp_*.c (docs/internals/stamp.md), offline: an
 * ECDSA root, issuing CA, signer and TSA made here with openssl(1), the
 * SM2 seal maker of script/lib/pki-init.sh, a .seseal listing the signer,
 * and a TSA answering in the process (OpenSSL's TS_RESP_CTX).  Pieces: the
 * PNG decoder (every filter type's rows, palette with tRNS), the point in
 * mm -> points, the /Contents reserve.  The writer and the verifier
 * together: a PDF with a table and one with a cross-reference stream
 * (qpdf --object-streams=generate) stamped, qpdf --check clean, 有效 with
 * every check passed; a second stamp: both 有效, the first one's "after"
 * names it; one byte changed in a signed range: 文档已被修改; bytes
 * appended after the last %%EOF: 文档已被修改 for the last stamp; an
 * encrypted PDF and a truncated one refused with a Chinese message; a
 * signer the seal does not list refused; the demo root: 体验印章.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include <qpdf/qpdf-c.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "hall.h"
#include "seal_in.h"

#include "stamp/stamp_int.h"

/* libqpdf, the tests' independent reader of what the stamper writes: opens
 * pdf (or the file path when not NULL) with recovery off; HALL_ERR with a
 * Chinese err when encrypted, damaged or without pages */
static int
qpdf_open_checked(qpdf_data q, const unsigned char *pdf, size_t len, const char *path, char *err,
                  size_t errlen)
{
    QPDF_ERROR_CODE e;

    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    qpdf_set_attempt_recovery(q, QPDF_FALSE);
    if (path != NULL)
        e = qpdf_read(q, path, NULL);
    else
        e = qpdf_read_memory(q, "input.pdf", (const char *)pdf, (unsigned long long)len, NULL);
    if (e & QPDF_ERRORS) {
        /* taken, so that qpdf_cleanup does not print it */
        while (qpdf_has_error(q))
            qpdf_get_error(q);
        if (qpdf_is_encrypted(q))
            snprintf(err, errlen, "PDF文件已加密：请先解除文件的密码保护再盖章或验章");
        else
            snprintf(err, errlen, "PDF文件已损坏或不是PDF文件，无法读取其结构");
        return HALL_ERR;
    }
    if (qpdf_is_encrypted(q)) {
        snprintf(err, errlen, "PDF文件已加密：请先解除文件的密码保护再盖章或验章");
        return HALL_ERR;
    }
    if (qpdf_get_num_pages(q) <= 0) {
        snprintf(err, errlen, "PDF文件已损坏：找不到任何页面");
        return HALL_ERR;
    }
    return HALL_OK;
}

/* a dictionary's integer: def when absent, -2 when not an integer */
static long long
qpdf_dict_int(qpdf_data q, qpdf_oh d, const char *key, long long def)
{
    qpdf_oh v = qpdf_oh_get_key(q, d, key);
    long long n;

    if (qpdf_oh_is_null(q, v))
        return def;
    if (!qpdf_oh_is_integer(q, v) || !qpdf_oh_get_value_as_longlong(q, v, &n))
        return -2;
    return n;
}

static char top[256], pki_dir[300];
static X509 *root, *ca, *signer, *tsa_cert, *other;
static EVP_PKEY *signer_key, *tsa_key, *other_key;
static unsigned char *seal_der;
static size_t seal_len;
static struct hall_pool *pool;
/* the SM2 signer (issued by pki-init's sm2 CA) and a seal that lists it */
static X509 *sm2_signer;
static EVP_PKEY *sm2_key;
static unsigned char *sm2_seal_der;
static size_t sm2_seal_len;

/* ---- fixtures ------------------------------------------------------------------- */

static void
sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
}

static X509 *
pem_cert(const char *name)
{
    char path[512];
    FILE *f;
    X509 *x;

    snprintf(path, sizeof(path), "%s/%s.crt", top, name);
    f = fopen(path, "r");
    assert_non_null(f);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *
pem_key(const char *name)
{
    char path[512];
    FILE *f;
    EVP_PKEY *k;

    snprintf(path, sizeof(path), "%s/%s.key", top, name);
    f = fopen(path, "r");
    assert_non_null(f);
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    return k;
}

static void
png_chunk(FILE *f, const char *type, const unsigned char *d, uint32_t n)
{
    unsigned char be[4] = {n >> 24, n >> 16, n >> 8, n};
    uLong crc = crc32(0, (const Bytef *)type, 4);

    if (n > 0) /* crc32 of a NULL buffer is its initial value, not crc */
        crc = crc32(crc, d, n);
    fwrite(be, 1, 4, f);
    fwrite(type, 1, 4, f);
    if (n > 0) /* IEND has no data: fwrite's pointer may not be NULL */
        fwrite(d, 1, n, f);
    be[0] = crc >> 24;
    be[1] = crc >> 16;
    be[2] = crc >> 8;
    be[3] = crc;
    fwrite(be, 1, 4, f);
}

/* w × h RGBA: a red ring on transparency, each row with filter y % 5 (the
 * raw bytes are the filter's input: filter 0 for all but the decoder's
 * own round trip is checked by pixels of filter 0; other filters are
 * written as "None" bytes after applying Sub/Up/Avg/Paeth inversely) */
static unsigned char *
png_make(int w, int h, size_t *len)
{
    unsigned char *raw = calloc(1, (size_t)(w * 4 + 1) * h), *z, ihdr[13] = {0}, *px;
    uLongf zl = compressBound((uLong)(w * 4 + 1) * h);
    char *buf = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&buf, &bl);
    int x, y, i;

    px = calloc(1, (size_t)w * h * 4);
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++) {
            double dx = x - w / 2.0, dy = y - h / 2.0, d2 = dx * dx + dy * dy, r = w / 2.0;
            unsigned char *p = px + ((size_t)y * w + x) * 4;

            if (d2 < r * r && d2 > (r - 6) * (r - 6)) {
                p[0] = 220;
                p[1] = 20;
                p[2] = 30;
                p[3] = 255;
            }
        }
    for (y = 0; y < h; y++) {
        unsigned char *line = raw + (size_t)y * (w * 4 + 1), *cur = px + (size_t)y * w * 4,
                      *up = y > 0 ? px + (size_t)(y - 1) * w * 4 : NULL;
        int filter = y % 5;

        line[0] = (unsigned char)filter;
        for (i = 0; i < w * 4; i++) {
            int a = i >= 4 ? cur[i - 4] : 0, b = up != NULL ? up[i] : 0,
                c = i >= 4 && up != NULL ? up[i - 4] : 0, pred = 0;

            if (filter == 1)
                pred = a;
            else if (filter == 2)
                pred = b;
            else if (filter == 3)
                pred = (a + b) >> 1;
            else if (filter == 4) {
                int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

                pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            }
            line[1 + i] = (unsigned char)(cur[i] - pred);
        }
    }
    z = malloc(zl);
    assert_int_equal(compress(z, &zl, raw, (uLong)(w * 4 + 1) * h), Z_OK);
    fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
    ihdr[0] = w >> 24;
    ihdr[1] = w >> 16;
    ihdr[2] = w >> 8;
    ihdr[3] = w;
    ihdr[4] = h >> 24;
    ihdr[5] = h >> 16;
    ihdr[6] = h >> 8;
    ihdr[7] = h;
    ihdr[8] = 8;
    ihdr[9] = 6;
    png_chunk(f, "IHDR", ihdr, 13);
    png_chunk(f, "IDAT", z, (uint32_t)zl);
    png_chunk(f, "IEND", NULL, 0);
    fclose(f);
    free(raw);
    free(z);
    free(px);
    *len = bl;
    return (unsigned char *)buf;
}

static unsigned char *
der_of(X509 *x, size_t *len)
{
    unsigned char *p = NULL;
    int n = i2d_X509(x, &p);

    assert_true(n > 0);
    *len = (size_t)n;
    return p;
}

/* a 42 mm 机构章 listing who, made by the seal maker */
static unsigned char *
seal_for(X509 *who, const unsigned char *png, size_t png_len, size_t *len)
{
    struct hall_seseal_in in;
    const unsigned char *certs[1];
    size_t lens[1];
    unsigned char *sd;

    certs[0] = der_of(who, &lens[0]);
    seal_in_org(&in, "44030000000042", "深圳市某某科技有限公司", certs, lens, 1767225600, png,
                png_len);
    sd = hall_seseal_make(pool, &in, len);
    OPENSSL_free((void *)certs[0]);
    return sd;
}

static int
setup(void **state)
{
    const char *hall_root = getenv("HALL_ROOT");
    char err[256], pass[400];
    struct hall_conf conf;
    size_t png_len;
    unsigned char *png;

    (void)state;
    snprintf(top, sizeof(top), "/tmp/hall-test-stamp-%ld", (long)getpid());
    snprintf(pki_dir, sizeof(pki_dir), "%s/pki", top);
    snprintf(pass, sizeof(pass), "%s/pki.pass", top);
    if (system("command -v openssl >/dev/null") != 0)
        return -1;
    {
        char cmd[4096];

        snprintf(cmd, sizeof(cmd), "%s/script/lib/pki-init.sh %s >/dev/null 2>&1",
                 hall_root != NULL ? hall_root : ".", pki_dir);
        if (system(cmd) != 0)
            return -1;
        /* the ECDSA hierarchy, a signer, a TSA, and a stranger */
        snprintf(
            cmd, sizeof(cmd),
            "cd %s && set -e; k() { openssl ecparam -name prime256v1 -genkey -noout -out $1.key; }"
            "; k root; k ca; k signer; k tsa; k other;"
            " openssl req -x509 -new -key root.key -subj '/CN=Stamp Test Root' -days 3650"
            " -addext basicConstraints=critical,CA:TRUE -addext "
            "keyUsage=critical,keyCertSign,cRLSign"
            " -out root.crt 2>/dev/null;"
            " printf "
            "'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign\\n' "
            ">ca.ext;"
            " printf 'keyUsage=critical,digitalSignature,nonRepudiation\\n' >ee.ext;"
            " printf "
            "'extendedKeyUsage=critical,timeStamping\\nkeyUsage=critical,digitalSignature\\n' "
            ">tsa.ext;"
            " s() { openssl req -new -key $1.key -subj \"/CN=$2\" 2>/dev/null | openssl x509 -req"
            " -CA $3.crt -CAkey $3.key -set_serial $5 -days 3650 -extfile $4 -out $1.crt "
            "2>/dev/null; };"
            " s ca 'Stamp Test CA' root ca.ext 2; s signer '深圳市某某科技有限公司' ca ee.ext 3;"
            " s tsa 'Stamp Test TSA' root tsa.ext 4;"
            " openssl req -x509 -new -key other.key -subj '/CN=Other Root' -days 3650 -out "
            "other.crt 2>/dev/null",
            top);
        if (system(cmd) != 0)
            return -1;
        /* an SM2 signer under pki-init's sm2 CA, as the 国密 product issues */
        snprintf(cmd, sizeof(cmd),
                 "cd %s && set -e; I=distid:1234567812345678;"
                 " openssl genpkey -algorithm SM2 -out sm2s.key;"
                 " openssl req -new -key sm2s.key -sm3 -sigopt $I -subj '/CN=SM2 Stamp Signer'"
                 " -out sm2s.csr;"
                 " openssl x509 -req -in sm2s.csr -vfyopt $I -CA pki/sm2.crt -CAkey pki/sm2.key"
                 " -passin file:pki.pass -sm3 -sigopt $I -days 3650 -set_serial 9"
                 " -extfile ee.ext -out sm2s.crt 2>/dev/null",
                 top);
        if (system(cmd) != 0)
            return -1;
    }
    memset(&conf, 0, sizeof(conf));
    conf.pki_dir = pki_dir;
    conf.pki_pass_file = pass;
    conf.pkcs11_module = "";
    if (hall_seseal_load(&conf, 1, err, sizeof(err)) != HALL_OK)
        return -1;
    root = pem_cert("root");
    ca = pem_cert("ca");
    signer = pem_cert("signer");
    tsa_cert = pem_cert("tsa");
    other = pem_cert("other");
    signer_key = pem_key("signer");
    tsa_key = pem_key("tsa");
    other_key = pem_key("other");
    sm2_signer = pem_cert("sm2s");
    sm2_key = pem_key("sm2s");
    if (sm2_signer == NULL || sm2_key == NULL)
        return -1;
    pool = hall_pool_create(65536);
    png = png_make(160, 160, &png_len);
    seal_der = seal_for(signer, png, png_len, &seal_len);
    sm2_seal_der = seal_for(sm2_signer, png, png_len, &sm2_seal_len);
    free(png);
    return seal_der != NULL && sm2_seal_der != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    X509_free(root);
    X509_free(ca);
    X509_free(signer);
    X509_free(tsa_cert);
    X509_free(other);
    EVP_PKEY_free(signer_key);
    EVP_PKEY_free(tsa_key);
    EVP_PKEY_free(other_key);
    X509_free(sm2_signer);
    EVP_PKEY_free(sm2_key);
    hall_pool_destroy(pool);
    if (getenv("HALL_TEST_KEEP") == NULL)
        sh("rm -rf %s", top);
    else
        fprintf(stderr, "kept %s\n", top);
    return 0;
}

/* the TSA, in the process */
static unsigned char *
tsa_answer(void *arg, struct hall_pool *p, const unsigned char *req, size_t req_len,
           size_t *resp_len)
{
    TS_RESP_CTX *ctx = TS_RESP_CTX_new();
    BIO *b = BIO_new_mem_buf(req, (int)req_len);
    ASN1_OBJECT *policy;
    TS_RESP *r;
    unsigned char *der = NULL, *out;
    int n;

    (void)arg;
    assert_int_equal(TS_RESP_CTX_set_signer_cert(ctx, tsa_cert), 1);
    assert_int_equal(TS_RESP_CTX_set_signer_key(ctx, tsa_key), 1);
    policy = OBJ_txt2obj("2.999.41.1", 1);
    assert_int_equal(TS_RESP_CTX_set_def_policy(ctx, policy), 1);
    ASN1_OBJECT_free(policy);
    TS_RESP_CTX_add_md(ctx, EVP_sha256());
    TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256());
    r = TS_RESP_create_response(ctx, b);
    assert_non_null(r);
    n = i2d_TS_RESP(r, &der);
    out = hall_palloc(p, (size_t)n);
    memcpy(out, der, (size_t)n);
    *resp_len = (size_t)n;
    OPENSSL_free(der);
    TS_RESP_free(r);
    BIO_free(b);
    TS_RESP_CTX_free(ctx);
    return out;
}

static const char simple_pdf_objs[] =
    "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    "2 0 obj\n<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 /MediaBox [0 0 595.28 841.89] "
    ">>\nendobj\n"
    "3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>\nendobj\n"
    "4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\n"
    "5 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Annots [] >>\nendobj\n";

/* a two-page A4 PDF with a cross-reference table, as a file; its path */
static const char *
simple_pdf(const char *name)
{
    static char path[512];
    long off[6];
    char *buf = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&buf, &bl);
    const char *p = simple_pdf_objs;
    int i;

    fputs("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", f);
    for (i = 1; i <= 5; i++) {
        const char *e = strstr(p, "endobj\n") + 7;

        fflush(f);
        off[i] = (long)bl;
        fwrite(p, 1, (size_t)(e - p), f);
        p = e;
    }
    fflush(f);
    off[0] = (long)bl;
    fprintf(f, "xref\n0 6\n0000000000 65535 f\r\n");
    for (i = 1; i <= 5; i++)
        fprintf(f, "%010ld 00000 n\r\n", off[i]);
    fprintf(f,
            "trailer\n<< /Size 6 /Root 1 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> "
            "<0123456789ABCDEF0123456789ABCDEF>] >>\nstartxref\n%ld\n%%%%EOF\n",
            off[0]);
    fclose(f);
    snprintf(path, sizeof(path), "%s/%s", top, name);
    f = fopen(path, "wb");
    fwrite(buf, 1, bl, f);
    fclose(f);
    free(buf);
    return path;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *p;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)n + 1);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* stamps in_path into out_path with the seal given; HALL_OK or the error */
static int
stamp_seal(const char *in_path, const char *out_path, X509 *cert, EVP_PKEY *key, int page,
           const unsigned char *seal, size_t seal_n, char *err)
{
    struct hall_stamp_sign_in in;
    STACK_OF(X509) *chain = sk_X509_new_null();
    size_t len = 0, ul = 0;
    unsigned char *pdf = slurp(in_path, &len), *u;
    FILE *f;

    sk_X509_push(chain, ca);
    memset(&in, 0, sizeof(in));
    in.pdf = pdf;
    in.pdf_len = len;
    in.seal = seal;
    in.seal_len = seal_n;
    in.cert = cert;
    in.chain = chain;
    in.key = key;
    in.page = page;
    in.x_mm = 105;
    in.y_mm = 200;
    in.tsa = tsa_answer;
    u = hall_stamp_sign(pool, &in, &ul, err, 512);
    sk_X509_free(chain);
    if (u == NULL) {
        free(pdf);
        return HALL_ERR;
    }
    f = fopen(out_path, "wb");
    fwrite(pdf, 1, len, f);
    fwrite(u, 1, ul, f);
    fclose(f);
    free(pdf);
    return HALL_OK;
}

/* ... with the P-256 signer's seal */
static int
stamp(const char *in_path, const char *out_path, X509 *cert, EVP_PKEY *key, int page, char *err)
{
    return stamp_seal(in_path, out_path, cert, key, page, seal_der, seal_len, err);
}

static void
verify(const char *path, struct hall_stamp_report *rep, X509 *demo)
{
    struct hall_stamp_trust t;
    STACK_OF(X509) *roots = sk_X509_new_null();
    char err[512];

    sk_X509_push(roots, root);
    memset(&t, 0, sizeof(t));
    t.roots = roots;
    t.demo_root = demo;
    t.check_seal = 1;
    assert_int_equal(hall_stamp_verify_file(pool, path, &t, rep, err, sizeof(err)), HALL_OK);
    sk_X509_free(roots);
}

/* "/Count 2" -> "/Count 1" in the pages object of path: one byte inside
 * the first signed range */
static void
count_flipped(const char *path)
{
    size_t len;
    unsigned char *p = slurp(path, &len), *c = memmem(p, len, "/Count 2", 8);
    FILE *f;

    assert_non_null(c);
    c[7] = '1';
    f = fopen(path, "wb");
    fwrite(p, 1, len, f);
    fclose(f);
    free(p);
}

static void
assert_valid(const struct hall_stamp_sig *s)
{
    assert_int_equal(s->range, HALL_STAMP_PASS);
    assert_int_equal(s->digest, HALL_STAMP_PASS);
    assert_int_equal(s->signature, HALL_STAMP_PASS);
    assert_int_equal(s->signing_cert, HALL_STAMP_PASS);
    assert_int_equal(s->timestamp, HALL_STAMP_PASS);
    assert_int_equal(s->seal, HALL_STAMP_PASS);
    assert_int_equal(s->chain, HALL_STAMP_PASS);
    assert_string_equal(s->problem, "");
    assert_int_equal(s->state, HALL_STAMP_VALID);
}

/* ---- the pieces ------------------------------------------------------------------- */

static void
png_decode__every_filter__pixels_back(void **state)
{
    size_t len;
    unsigned char *png = png_make(40, 40, &len), *rgb, *alpha;
    int w = 0, h = 0;

    (void)state;
    assert_int_equal(stamp_png_decode(png, len, &w, &h, &rgb, &alpha), HALL_OK);
    assert_int_equal(w, 40);
    assert_int_equal(h, 40);
    /* the ring: at (20, 1) red and opaque; the centre transparent */
    assert_int_equal(rgb[(1 * 40 + 20) * 3], 220);
    assert_int_equal(rgb[(1 * 40 + 20) * 3 + 1], 20);
    assert_int_equal(alpha[1 * 40 + 20], 255);
    assert_int_equal(alpha[20 * 40 + 20], 0);
    /* a row of each filter (y % 5) on the ring: y = 3 (Avg), 4 (Paeth), 36 (Sub), 37 (Up) */
    assert_int_equal(alpha[3 * 40 + 20], 255);
    assert_int_equal(alpha[36 * 40 + 20], 255);
    assert_int_equal(alpha[37 * 40 + 20], 255);
    free(rgb);
    free(alpha);
    /* not a PNG; truncated */
    assert_int_equal(stamp_png_decode((const unsigned char *)"GIF89a", 6, &w, &h, &rgb, &alpha),
                     HALL_ERR);
    assert_int_equal(stamp_png_decode(png, len / 2, &w, &h, &rgb, &alpha), HALL_ERR);
    free(png);
}

static void
point_and_reserve__as_the_doc_says(void **state)
{
    double a4[4] = {0, 0, 595.28, 841.89}, x, y;

    (void)state;
    hall_stamp_point(a4, 0, 105, 200, &x, &y);
    assert_true(x > 297.63 && x < 297.65);                   /* 105 mm */
    assert_true(y > 841.89 - 566.94 && y < 841.89 - 566.92); /* 200 mm down from the top */
    /* a turned page: mm on the page as shown (landscape for 90 and 270) */
    hall_stamp_point(a4, 90, 10, 20, &x, &y);
    assert_true(x > 56.68 && x < 56.70 && y > 28.34 && y < 28.36); /* from user bottom-left */
    hall_stamp_point(a4, 180, 10, 20, &x, &y);
    assert_true(x > 595.28 - 28.36 && x < 595.28 - 28.34 && y > 56.68 && y < 56.70);
    hall_stamp_point(a4, 270, 10, 20, &x, &y);
    assert_true(x > 595.28 - 56.70 && x < 595.28 - 56.68 && y > 841.89 - 28.36 &&
                y < 841.89 - 28.34);
    assert_int_equal(hall_stamp_reserve(5000), 10240);
    assert_int_equal(hall_stamp_reserve(5120), 10240);
    assert_int_equal(hall_stamp_reserve(5121), 11264);
}

static void
last_xref__table_or_stream__offset_and_kind(void **state)
{
    static const char table[] = "%PDF-1.7\nxref\n0 1\ntrailer\n<<>>\nstartxref\n9\n%%EOF\n";
    static const char stream[] = "%PDF-1.7\n7 0 obj\n<< /Type /XRef >>\nstartxref\r\n9\r\n%%EOF";
    static const char beyond[] = "%PDF-1.7\nstartxref\n999\n%%EOF\n";
    long long off = 0;
    int is_table = -1;

    (void)state;
    assert_int_equal(stamp_last_xref((const unsigned char *)table, sizeof(table) - 1,
                                     sizeof(table) - 1, &off, &is_table,
                                     (const unsigned char *)table),
                     HALL_OK);
    assert_int_equal(off, 9);
    assert_int_equal(is_table, 1);
    assert_int_equal(stamp_last_xref((const unsigned char *)stream, sizeof(stream) - 1,
                                     sizeof(stream) - 1, &off, &is_table,
                                     (const unsigned char *)stream),
                     HALL_OK);
    assert_int_equal(off, 9);
    assert_int_equal(is_table, 0);
    /* an offset past the end, or none at all: damaged */
    assert_int_equal(stamp_last_xref((const unsigned char *)beyond, sizeof(beyond) - 1,
                                     sizeof(beyond) - 1, &off, &is_table,
                                     (const unsigned char *)beyond),
                     HALL_ERR);
    assert_int_equal(stamp_last_xref((const unsigned char *)"%PDF-1.7\n", 9, 9, &off, &is_table,
                                     (const unsigned char *)"%PDF-1.7\n"),
                     HALL_ERR);
}

/* ---- writer + verifier -------------------------------------------------------------- */

static void
sign__table_pdf__valid_and_qpdf_clean__second_stamp_both_valid(void **state)
{
    char err[512], one[512], two[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain.pdf");

    (void)state;
    snprintf(one, sizeof(one), "%s/one.pdf", top);
    snprintf(two, sizeof(two), "%s/two.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 1, err), HALL_OK);
    sh("qpdf --check %s >/dev/null", one);
    verify(one, &rep, NULL);
    assert_int_equal(rep.nsigs, 1);
    assert_valid(&rep.sigs[0]);
    assert_string_equal(rep.sigs[0].field, "印章1");
    assert_int_equal(rep.sigs[0].page, 1);
    assert_int_equal(rep.sigs[0].covers_to_end, 1);
    assert_string_equal(rep.sigs[0].seal_es_id, "44030000000042");
    assert_string_equal(rep.sigs[0].seal_name, "深圳市某某科技有限公司");
    assert_true(rep.sigs[0].signing_time > 0);
    /* the widget: 42 mm square centred on (105 mm, 200 mm from the top) */
    assert_true(rep.sigs[0].rect[2] - rep.sigs[0].rect[0] > 119.0 &&
                rep.sigs[0].rect[2] - rep.sigs[0].rect[0] < 119.1);
    /* a second stamp on page 2 (whose /Annots is an empty array) */
    assert_int_equal(stamp(one, two, signer, signer_key, 2, err), HALL_OK);
    sh("qpdf --check %s >/dev/null", two);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_valid(&rep.sigs[0]);
    assert_valid(&rep.sigs[1]);
    assert_string_equal(rep.sigs[1].field, "印章2");
    assert_int_equal(rep.sigs[1].page, 2);
    assert_int_equal(rep.sigs[0].later_sigs, 1);
    assert_int_equal(rep.sigs[0].covers_to_end, 0);
    assert_string_equal(rep.sigs[0].after, "其后追加了1个签章");
    assert_int_equal(rep.revisions, 3);
}

/* the revisions' ends: each %%EOF and its end of line (CR LF, CR, LF or
 * none), a '%' that is no %%EOF's and a %%EOF cut short by the file's end
 * not counted; the stamp's own ends where its range does */
static void
verify__eof_marks__each_revision_end_counted(void **state)
{
    static const struct {
        const char *tail;
        int revisions;
    } cases[] = {
        {"", 2},
        {"%%EOF", 3},
        {"%%EOF\r\n", 3},
        {"%%EOF\r", 3},
        {"% 100%%EO\n%%EOF\n%%EOF", 4},
        {"%%EOF%%EOF%%EOF\n", 5},
        {"%%EO", 2},
        {"%", 2},
    };
    char err[512], in[512], out[512];
    struct hall_stamp_report rep;

    (void)state;
    snprintf(in, sizeof(in), "%s/eof-one.pdf", top);
    assert_int_equal(stamp(simple_pdf("eof.pdf"), in, signer, signer_key, 1, err), HALL_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        FILE *f;

        snprintf(out, sizeof(out), "%s/eof-%zu.pdf", top, i);
        sh("cp %s %s", in, out);
        f = fopen(out, "ab");
        assert_non_null(f);
        fputs(cases[i].tail, f);
        fclose(f);
        verify(out, &rep, NULL);
        assert_int_equal(rep.revisions, cases[i].revisions);
        assert_int_equal(rep.nsigs, 1);
        /* its range ends at the first revision's end, whatever follows */
        assert_int_equal(rep.sigs[0].range, HALL_STAMP_PASS);
    }
}

static void
sign__xref_stream_pdf__valid(void **state)
{
    char err[512], gen[512], out[512];
    struct hall_stamp_report rep;
    size_t len;
    unsigned char *p;
    const char *in = simple_pdf("plain2.pdf");

    (void)state;
    snprintf(gen, sizeof(gen), "%s/objstm.pdf", top);
    snprintf(out, sizeof(out), "%s/objstm-stamped.pdf", top);
    sh("qpdf --object-streams=generate %s %s", in, gen);
    assert_int_equal(stamp(gen, out, signer, signer_key, 1, err), HALL_OK);
    sh("qpdf --check %s >/dev/null", out);
    /* the update's cross-reference is a stream too */
    p = slurp(out, &len);
    assert_non_null(memmem(p + len - 2000, 2000, "/Type /XRef /W [1 4 2]", 22));
    free(p);
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 1);
    assert_valid(&rep.sigs[0]);
}

static void
verify__byte_changed_in_range__modified(void **state)
{
    char err[512], out[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain3.pdf");

    (void)state;
    snprintf(out, sizeof(out), "%s/tamper.pdf", top);
    assert_int_equal(stamp(in, out, signer, signer_key, 1, err), HALL_OK);
    count_flipped(out);
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 1);
    assert_int_equal(rep.sigs[0].digest, HALL_STAMP_FAIL);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_MODIFIED);
    assert_string_equal(hall_stamp_state_text(rep.sigs[0].state), "文档已被修改");
}

/* one bit of the last stamp's CMS flipped in the file, in place: its
 * signature value (token 0) or its timestamp token's signature (token 1) */
static void
last_stamp_flipped(const char *path, int token)
{
    size_t len, n = 0, i;
    unsigned char *p = slurp(path, &len), *c = NULL, *der, *at, *hx;
    const unsigned char *q;
    const ASN1_OCTET_STRING *sig;
    CMS_ContentInfo *cms;
    CMS_SignerInfo *si;
    PKCS7 *tok = NULL;
    FILE *f;
    char two[3];

    for (unsigned char *k = p; (k = memmem(k, len - (size_t)(k - p), "/Contents <", 11)) != NULL;
         k++)
        c = k + 11;
    assert_non_null(c);
    der = calloc(len, 1);
    for (hx = c; hx + 1 < p + len && *hx != '>'; hx += 2) {
        two[0] = (char)hx[0];
        two[1] = (char)hx[1];
        two[2] = '\0';
        der[n++] = (unsigned char)strtoul(two, NULL, 16);
    }
    q = der;
    cms = d2i_CMS_ContentInfo(NULL, &q, (long)n);
    assert_non_null(cms);
    si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
    sig = CMS_SignerInfo_get0_signature(si);
    if (token) {
        ASN1_STRING *t = CMS_unsigned_get0_data_by_OBJ(
            si, OBJ_nid2obj(NID_id_smime_aa_timeStampToken), -3, V_ASN1_SEQUENCE);

        assert_non_null(t);
        q = ASN1_STRING_get0_data(t);
        tok = d2i_PKCS7(NULL, &q, ASN1_STRING_length(t));
        assert_non_null(tok);
        sig = PKCS7_get_signer_info(tok) != NULL
                  ? sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(tok), 0)->enc_digest
                  : NULL;
    }
    assert_non_null(sig);
    at = memmem(der, n, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig));
    assert_non_null(at);
    i = (size_t)(at - der) + (size_t)ASN1_STRING_length(sig) - 1; /* s's last byte */
    snprintf(two, sizeof(two), "%02X", der[i] ^ 0x01);
    memcpy(c + 2 * i, two, 2);
    f = fopen(path, "wb");
    fwrite(p, 1, len, f);
    fclose(f);
    PKCS7_free(tok);
    CMS_ContentInfo_free(cms);
    free(der);
    free(p);
}

/* Two stamps of one signer: the second one's certificate, CA, TSA and seal
 * are those the first one proved (stamp_memo.c learns them once a file);
 * its own signature value, or its timestamp's, broken still fails it (and
 * the first is then "modified": an invalid stamp's revision is not one of
 * the changes a stamp may make after it) */
static void
verify__second_stamp_same_signer_broken__fails_despite_the_first(void **state)
{
    char err[512], one[512], two[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain_memo.pdf");

    (void)state;
    snprintf(one, sizeof(one), "%s/memo-one.pdf", top);
    snprintf(two, sizeof(two), "%s/memo-two.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 1, err), HALL_OK);
    assert_int_equal(stamp(one, two, signer, signer_key, 2, err), HALL_OK);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_valid(&rep.sigs[0]);
    assert_valid(&rep.sigs[1]);
    /* the CMS's signature value */
    last_stamp_flipped(two, 0);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.sigs[0].signature, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].digest, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].signature, HALL_STAMP_FAIL);
    assert_int_not_equal(rep.sigs[1].state, HALL_STAMP_VALID);
    /* the timestamp token's signature (the CMS's own unbroken again) */
    assert_int_equal(stamp(one, two, signer, signer_key, 2, err), HALL_OK);
    last_stamp_flipped(two, 1);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.sigs[0].timestamp, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].signature, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].chain, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].timestamp, HALL_STAMP_FAIL);
}

/* the last stamp's /Contents of path, as DER: the file (*p, *len), where
 * its hex digits begin (*c, *hex_len of them) and the CMS (*n bytes) */
static unsigned char *
last_cms(const char *path, unsigned char **p, size_t *len, unsigned char **c, size_t *hex_len,
         size_t *n)
{
    unsigned char *der, *hx;
    char two[3] = {0, 0, 0};
    size_t k = 0;

    *p = slurp(path, len);
    *c = NULL;
    for (unsigned char *q = *p; (q = memmem(q, *len - (size_t)(q - *p), "/Contents <", 11)) != NULL;
         q++)
        *c = q + 11;
    assert_non_null(*c);
    der = calloc(*len, 1);
    for (hx = *c; hx + 1 < *p + *len && *hx != '>'; hx += 2) {
        two[0] = (char)hx[0];
        two[1] = (char)hx[1];
        der[k++] = (unsigned char)strtoul(two, NULL, 16);
    }
    *hex_len = (size_t)(hx - *c);
    assert_true(k > 4 && der[0] == 0x30 && der[1] == 0x82);
    *n = 4 + ((size_t)der[2] << 8 | der[3]); /* the rest is the reserve's zeros */
    return der;
}

/* der (n bytes) back into the file as the last stamp's /Contents, the
 * reserve filled with zeros */
static void
last_cms_put(const char *path, unsigned char *p, size_t len, unsigned char *c, size_t hex_len,
             const unsigned char *der, size_t n)
{
    char two[3];
    FILE *f;

    assert_true(2 * n <= hex_len);
    memset(c, '0', hex_len);
    for (size_t i = 0; i < n; i++) {
        snprintf(two, sizeof(two), "%02X", der[i]);
        memcpy(c + 2 * i, two, 2);
    }
    f = fopen(path, "wb");
    fwrite(p, 1, len, f);
    fclose(f);
}

/* one DER header at der + at: its length's bytes written again for cl */
static size_t
der_len_at(unsigned char *der, size_t at, size_t *hl, long shrink)
{
    size_t cl;

    if (der[at + 1] < 0x80) {
        *hl = 2;
        cl = der[at + 1];
        if (shrink != 0) {
            assert_true((long)cl - shrink >= 0);
            der[at + 1] = (unsigned char)((long)cl - shrink);
        }
        return cl;
    }
    assert_int_equal(der[at + 1], 0x82);
    *hl = 4;
    cl = (size_t)der[at + 2] << 8 | der[at + 3];
    if (shrink != 0) {
        assert_true((long)cl - shrink >= 256); /* the same header's size */
        der[at + 2] = (unsigned char)(((long)cl - shrink) >> 8);
        der[at + 3] = (unsigned char)((long)cl - shrink);
    }
    return cl;
}

/* the element [a, b) of der (*n bytes) cut out, every element holding it
 * made shorter by as much */
static void
der_cut(unsigned char *der, size_t *n, size_t a, size_t b)
{
    size_t pos = 0, hl, cl;

    while (pos != a) {
        size_t at;

        cl = der_len_at(der, pos, &hl, 0);
        assert_true(pos < a && b <= pos + hl + cl);
        der_len_at(der, pos, &hl, (long)(b - a));
        for (at = pos + hl;; at += hl + cl) {
            cl = der_len_at(der, at, &hl, 0);
            if (a >= at && b <= at + hl + cl)
                break;
        }
        pos = at;
    }
    cl = der_len_at(der, a, &hl, 0);
    assert_int_equal(hl + cl, b - a);
    memmove(der + a, der + b, *n - b);
    *n -= b - a;
}

/* where x's DER is in der (n bytes), and its length */
static size_t
cert_at(const unsigned char *der, size_t n, X509 *x, size_t *xl)
{
    unsigned char *xd = der_of(x, xl);
    const unsigned char *at = memmem(der, n, xd, *xl);

    assert_non_null(at);
    OPENSSL_free(xd);
    return (size_t)(at - der);
}

/* the last byte of x's DER (its signature's) in the last stamp's CMS of
 * path flipped, in place */
static void
last_cert_flipped(const char *path, X509 *x)
{
    unsigned char *p, *c, *der;
    size_t len, hex_len, n, xl, at;

    der = last_cms(path, &p, &len, &c, &hex_len, &n);
    at = cert_at(der, n, x, &xl);
    der[at + xl - 1] ^= 0x01;
    last_cms_put(path, p, len, c, hex_len, der, n);
    free(der);
    free(p);
}

/* Two stamps of one signer (stamp_memo.c decodes each certificate once a
 * file, by its exact DER): the second's CMS carrying the signer's
 * certificate with one byte changed fails the second alone, as its own
 * bytes say (its signingCertificateV2 and its chain) */
static void
verify__second_stamp_signer_cert_byte_changed__second_fails_alone(void **state)
{
    char err[512], one[512], two[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain_memo_cert.pdf");

    (void)state;
    snprintf(one, sizeof(one), "%s/memo-cert-one.pdf", top);
    snprintf(two, sizeof(two), "%s/memo-cert-two.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 1, err), HALL_OK);
    assert_int_equal(stamp(one, two, signer, signer_key, 2, err), HALL_OK);
    last_cert_flipped(two, signer);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.sigs[0].signing_cert, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[0].chain, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].digest, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].signature, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].signing_cert, HALL_STAMP_FAIL);
    assert_int_equal(rep.sigs[1].chain, HALL_STAMP_FAIL);
    assert_int_not_equal(rep.sigs[1].state, HALL_STAMP_VALID);
    /* the CA's certificate in the second CMS changed instead: its chain */
    assert_int_equal(stamp(one, two, signer, signer_key, 2, err), HALL_OK);
    last_cert_flipped(two, ca);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.sigs[0].chain, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].signing_cert, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].chain, HALL_STAMP_FAIL);
}

/* ... the second's timestamp token carrying its TSA's certificate with one
 * byte changed: the second's timestamp fails, the first's holds */
static void
verify__second_token_tsa_cert_byte_changed__judged_on_its_own(void **state)
{
    char err[512], one[512], two[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain_memo_tsa.pdf");

    (void)state;
    snprintf(one, sizeof(one), "%s/memo-tsa-one.pdf", top);
    snprintf(two, sizeof(two), "%s/memo-tsa-two.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 1, err), HALL_OK);
    assert_int_equal(stamp(one, two, signer, signer_key, 2, err), HALL_OK);
    last_cert_flipped(two, tsa_cert);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.sigs[0].timestamp, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].signature, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].chain, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].timestamp, HALL_STAMP_FAIL);
    assert_int_not_equal(rep.sigs[1].state, HALL_STAMP_VALID);
}

/* ... the second's CMS, or its token, carrying no certificate at all: its
 * signer is not found, though the first carried the same certificates
 * (the signer is looked up in what each signature carries) */
static void
verify__second_stamp_without_certificates__signer_not_found(void **state)
{
    char err[512], one[512], two[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain_memo_none.pdf");
    unsigned char *p, *c, *der;
    size_t len, hex_len, n, sl, cl, s_at, c_at, a, b;

    (void)state;
    snprintf(one, sizeof(one), "%s/memo-none-one.pdf", top);
    snprintf(two, sizeof(two), "%s/memo-none-two.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 1, err), HALL_OK);
    assert_int_equal(stamp(one, two, signer, signer_key, 2, err), HALL_OK);
    /* the CMS's certificates field ([0], the signer's and the CA's) cut */
    der = last_cms(two, &p, &len, &c, &hex_len, &n);
    s_at = cert_at(der, n, signer, &sl);
    c_at = cert_at(der, n, ca, &cl);
    a = (s_at < c_at ? s_at : c_at) - 4;
    b = s_at < c_at ? c_at + cl : s_at + sl;
    assert_int_equal(der[a], 0xa0);
    der_cut(der, &n, a, b);
    last_cms_put(two, p, len, c, hex_len, der, n);
    free(der);
    free(p);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.sigs[0].signature, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].signature, HALL_STAMP_FAIL);
    assert_string_equal(rep.sigs[1].problem, "签名数据中没有签章人证书");
    /* the token's certificates field (its TSA's) cut */
    assert_int_equal(stamp(one, two, signer, signer_key, 2, err), HALL_OK);
    der = last_cms(two, &p, &len, &c, &hex_len, &n);
    a = cert_at(der, n, tsa_cert, &sl) - 4;
    assert_int_equal(der[a], 0xa0);
    der_cut(der, &n, a, a + 4 + sl);
    last_cms_put(two, p, len, c, hex_len, der, n);
    free(der);
    free(p);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.sigs[0].timestamp, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].signature, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].chain, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[1].timestamp, HALL_STAMP_FAIL);
}

static void
verify__revision_appended_after__modified_and_named(void **state)
{
    char err[512], out[512];
    struct hall_stamp_report rep;
    FILE *f;
    const char *in = simple_pdf("plain4.pdf");

    (void)state;
    snprintf(out, sizeof(out), "%s/appended.pdf", top);
    assert_int_equal(stamp(in, out, signer, signer_key, 1, err), HALL_OK);
    f = fopen(out, "ab");
    fputs("6 0 obj\n(changed)\nendobj\n%%EOF\n", f);
    fclose(f);
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 1);
    assert_int_equal(rep.sigs[0].digest, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[0].later_changes, 1);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_MODIFIED);
    assert_non_null(strstr(rep.sigs[0].after, "其后文档有其他修改："));
}

/* appends to path an update: the text objs (objects), then a table listing
 * entries (as "N 1\nOFFSET 00000 n\r\n" lines, OFFSET of each object in objs
 * in order), a trailer with /Prev the file's startxref (or prev when >= 0) */
static void
update(const char *path, const char *objs, const int *nums, int n, long long prev, int root_num)
{
    size_t len;
    unsigned char *p = slurp(path, &len);
    long long sx = stamp_startxref(p, (long long)len), at = (long long)len, xref;
    const char *o = objs;
    FILE *f = fopen(path, "ab");
    int i;

    fputs(objs, f);
    xref = at + (long long)strlen(objs);
    fputs("xref\n", f);
    for (i = 0; i < n; i++) {
        fprintf(f, "%d 1\n%010lld 00000 n\r\n", nums[i], at + (long long)(o - objs));
        o = strstr(o, "endobj\n") + 7;
    }
    fprintf(f, "trailer\n<< /Size 40 /Root %d 0 R /Prev %lld >>\nstartxref\n%lld\n%%%%EOF\n",
            root_num, prev >= 0 ? prev : sx, xref);
    fclose(f);
    free(p);
}

static void
verify__page_text_rewritten_later__modified_page_named(void **state)
{
    char err[512], out[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain7.pdf");
    static const int nums[] = {4};

    (void)state;
    snprintf(out, sizeof(out), "%s/rewritten.pdf", top);
    assert_int_equal(stamp(in, out, signer, signer_key, 1, err), HALL_OK);
    update(out, "4 0 obj\n<< /Length 24 >>\nstream\n0 0 1 rg 0 0 99 99 re f\nendstream\nendobj\n",
           nums, 1, -1, 1);
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 1);
    assert_int_equal(rep.sigs[0].digest, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_MODIFIED);
    assert_string_equal(rep.sigs[0].changes, "第1页的内容被修改");
    assert_string_equal(rep.sigs[0].problem, "签章后文档被修改：第1页的内容被修改");
}

/* six stamps (the pages in turn), then the first page's content rewritten:
 * every stamp sees it, named; the ranges are hashed in one pass of the
 * file and the signed revision opened once, rolled forward for the later
 * ones (docs/performance.md) */
static void
verify__six_stamps__one_pass_one_open_every_change_seen(void **state)
{
    char err[512], a[512], b[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain_six.pdf");
    static const int nums[] = {4};
    int i;

    (void)state;
    snprintf(a, sizeof(a), "%s/six.pdf", top);
    snprintf(b, sizeof(b), "%s/six_next.pdf", top);
    assert_int_equal(stamp(in, a, signer, signer_key, 1, err), HALL_OK);
    for (i = 1; i < 6; i++) {
        assert_int_equal(stamp(a, b, signer, signer_key, 1 + i % 2, err), HALL_OK);
        assert_int_equal(rename(b, a), 0);
    }
    verify(a, &rep, NULL);
    assert_int_equal(rep.nsigs, 6);
    for (i = 0; i < 6; i++)
        assert_valid(&rep.sigs[i]);
    assert_true(rep.hashed > 0 && rep.hashed < 2 * rep.file_size);
    assert_int_equal(rep.revision_opens, 1);
    update(a, "4 0 obj\n<< /Length 24 >>\nstream\n0 0 1 rg 0 0 99 99 re f\nendstream\nendobj\n",
           nums, 1, -1, 1);
    verify(a, &rep, NULL);
    assert_int_equal(rep.nsigs, 6);
    for (i = 0; i < 6; i++) {
        assert_int_equal(rep.sigs[i].digest, HALL_STAMP_PASS);
        assert_int_equal(rep.sigs[i].state, HALL_STAMP_MODIFIED);
        assert_non_null(strstr(rep.sigs[i].changes, "第1页的内容被修改"));
    }
    assert_int_equal(rep.revision_opens, 1);
}

/* appends to path an update writing object 4 (the pages' content) again,
 * as the trailer's /Size stands (the stamps' numbers kept) */
static void
content_rewritten(const char *path, const char *content)
{
    size_t len;
    unsigned char *p = slurp(path, &len);
    long long sx = stamp_startxref(p, (long long)len), size = 0;
    const unsigned char *z = NULL, *at = p;
    char obj[256];
    FILE *f;

    while ((at = memmem(at, len - (size_t)(at - p), "/Size ", 6)) != NULL)
        z = at++;
    assert_non_null(z);
    size = atoll((const char *)z + 6);
    assert_true(size > 5);
    snprintf(obj, sizeof(obj), "4 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n",
             strlen(content), content);
    f = fopen(path, "ab");
    fputs(obj, f);
    fprintf(f,
            "xref\n4 1\n%010zu 00000 n\r\ntrailer\n<< /Size %lld /Root 1 0 R /Prev %lld >>\n"
            "startxref\n%zu\n%%%%EOF\n",
            len, size, sx, len + strlen(obj));
    fclose(f);
    free(p);
}

/* 64 stamps, the most a report holds, with the first page's content
 * rewritten before the 40th (signed by it and by the later ones): every
 * stamp is reported, in order; the 39 before the change see it, named;
 * the 25 after it are valid (the verifier's work per stamp does not skip
 * a revision however many there are) */
static void
verify__64_stamps__each_reported_change_before_the_40th_caught(void **state)
{
    char err[512], a[512], b[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain_64.pdf");
    int i;

    (void)state;
    snprintf(a, sizeof(a), "%s/many.pdf", top);
    snprintf(b, sizeof(b), "%s/many_next.pdf", top);
    assert_int_equal(stamp(in, a, signer, signer_key, 1, err), HALL_OK);
    for (i = 1; i < HALL_STAMP_SIGS_MAX; i++) {
        if (i == 39)
            content_rewritten(a, "0 0 1 rg 0 0 99 99 re f");
        assert_int_equal(stamp(a, b, signer, signer_key, 1 + i % 2, err), HALL_OK);
        assert_int_equal(rename(b, a), 0);
    }
    verify(a, &rep, NULL);
    assert_int_equal(rep.nsigs, HALL_STAMP_SIGS_MAX);
    assert_true(rep.hashed > 0 && rep.hashed < 2 * rep.file_size);
    for (i = 0; i < rep.nsigs; i++) {
        const struct hall_stamp_sig *s = &rep.sigs[i];
        char name[64];

        assert_int_equal(s->index, i + 1);
        snprintf(name, sizeof(name), "印章%d", i + 1);
        assert_string_equal(s->field, name);
        assert_int_equal(s->digest, HALL_STAMP_PASS);
        assert_int_equal(s->signature, HALL_STAMP_PASS);
        if (i < 39) {
            assert_int_equal(s->state, HALL_STAMP_MODIFIED);
            assert_non_null(strstr(s->changes, "第1页的内容被修改"));
            assert_non_null(strstr(s->problem, "签章后文档被修改"));
        } else {
            assert_valid(s);
            if (i + 1 < rep.nsigs) {
                snprintf(name, sizeof(name), "其后追加了%d个签章", rep.nsigs - i - 1);
                assert_string_equal(s->after, name);
            }
        }
    }
}

/* a one-page PDF whose form lists texts text fields, then sigs signature
 * fields (each /V a signature dictionary), verified: its HALL_OK or
 * HALL_ERR, err */
static int
fields_verified(int texts, int sigs, char *err, size_t errlen)
{
    char path[512];
    char *buf = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&buf, &bl);
    long off[5];
    struct hall_stamp_report rep;
    struct hall_stamp_trust t;
    STACK_OF(X509) *roots = sk_X509_new_null();
    int i, rc;

    fputs("%PDF-1.7\n", f);
    fflush(f);
    off[1] = (long)bl;
    fputs("1 0 obj\n<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [", f);
    for (i = 1; i <= texts; i++)
        fprintf(f, " << /FT /Tx /T (t%d) >>", i);
    for (i = 1; i <= sigs; i++)
        fprintf(f,
                " << /FT /Sig /T (s%d) /V << /Type /Sig /ByteRange [0 1 2 3] /Contents <00> >> >>",
                i);
    fputs(" ] >> >>\nendobj\n", f);
    fflush(f);
    off[2] = (long)bl;
    fputs("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n", f);
    fflush(f);
    off[3] = (long)bl;
    fputs("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\n"
          "endobj\n",
          f);
    fflush(f);
    off[4] = (long)bl;
    fputs("4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\n", f);
    fflush(f);
    off[0] = (long)bl;
    fputs("xref\n0 5\n0000000000 65535 f\r\n", f);
    for (i = 1; i <= 4; i++)
        fprintf(f, "%010ld 00000 n\r\n", off[i]);
    fprintf(f, "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", off[0]);
    fclose(f);
    snprintf(path, sizeof(path), "%s/sixty-five.pdf", top);
    f = fopen(path, "wb");
    fwrite(buf, 1, bl, f);
    fclose(f);
    free(buf);
    sk_X509_push(roots, root);
    memset(&t, 0, sizeof(t));
    t.roots = roots;
    rc = hall_stamp_verify_file(pool, path, &t, &rep, err, errlen);
    sk_X509_free(roots);
    return rc;
}

/* 65 signature fields, or a signature field past the 20,000 form fields
 * the verifier walks: more than it reads, and it says so instead of
 * leaving a signature out */
static void
verify__65_signature_fields__refused_by_name(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(fields_verified(0, 64, err, sizeof(err)), HALL_OK);
    assert_int_equal(fields_verified(0, 65, err, sizeof(err)), HALL_ERR);
    assert_non_null(strstr(err, "签名超过64个"));
    assert_int_equal(fields_verified(20000, 1, err, sizeof(err)), HALL_ERR);
    assert_non_null(strstr(err, "表单域超过20000个"));
}

/* the file of verify__ranges_crafted_to_overlap (K copies of a stamp's
 * /Contents early, 2 MiB of padding, K signature fields each covering the
 * whole file but a different copy) into buf; its length */
static size_t
overlapping_pdf(char **buf, const char *hex, int k, long long file_len)
{
    size_t bl = 0;
    FILE *f = open_memstream(buf, &bl);
    long off[5], gap[16];
    int i;

    fputs("%PDF-1.7\n", f);
    for (i = 0; i < k; i++) {
        fflush(f);
        gap[i] = (long)bl + 8;
        fprintf(f, "%% copy \n<%s>\n", hex);
    }
    fflush(f);
    off[1] = (long)bl;
    fputs("1 0 obj\n<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [", f);
    for (i = 0; i < k; i++) {
        long long b = gap[i] + (long long)strlen(hex) + 2;

        fprintf(f,
                " << /FT /Sig /T (s%d) /V << /Type /Sig /SubFilter /ETSI.CAdES.detached "
                "/ByteRange [0 %010ld %010lld %010lld] /Contents <%s> >> >>",
                i, gap[i], b, file_len - b, hex);
    }
    fputs(" ] >> >>\nendobj\n", f);
    fflush(f);
    off[2] = (long)bl;
    fputs("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n", f);
    fflush(f);
    off[3] = (long)bl;
    fputs("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\n"
          "endobj\n",
          f);
    fflush(f);
    off[4] = (long)bl;
    fputs("4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\n", f);
    for (i = 0; i < 2 * 1024; i++) /* 2 MiB the ranges cover after the copies */
        fprintf(f, "%%%01022d\n", 0);
    fflush(f);
    off[0] = (long)bl;
    fputs("xref\n0 5\n0000000000 65535 f\r\n", f);
    for (i = 1; i <= 4; i++)
        fprintf(f, "%010ld 00000 n\r\n", off[i]);
    fprintf(f, "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", off[0]);
    fclose(f);
    return bl;
}

/* ranges crafted to overlap (each signature's second range holds another's
 * gap): hashed within 4 passes of the file, the signatures beyond refused
 * by name instead of each hashing the whole file */
static void
verify__ranges_crafted_to_overlap__bounded_and_refused_by_name(void **state)
{
    char err[512], one[512], path[512], *hex, *buf = NULL;
    const char *in = simple_pdf("plain_overlap.pdf");
    struct hall_stamp_report rep;
    unsigned char *p;
    const unsigned char *a, *z;
    size_t len, bl;
    FILE *f;
    int i, over = 0;

    (void)state;
    snprintf(one, sizeof(one), "%s/overlap_one.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 1, err), HALL_OK);
    p = slurp(one, &len);
    a = memmem(p, len, "/Contents <", 11);
    assert_non_null(a);
    a += 11;
    z = memchr(a, '>', len - (size_t)(a - p));
    assert_non_null(z);
    hex = strndup((const char *)a, (size_t)(z - a));
    free(p);
    bl = overlapping_pdf(&buf, hex, 12, 0); /* measured, then written with its length */
    free(buf);
    assert_int_equal(overlapping_pdf(&buf, hex, 12, (long long)bl), bl);
    snprintf(path, sizeof(path), "%s/overlap.pdf", top);
    f = fopen(path, "wb");
    fwrite(buf, 1, bl, f);
    fclose(f);
    free(buf);
    free(hex);
    verify(path, &rep, NULL);
    assert_int_equal(rep.nsigs, 12);
    for (i = 0; i < rep.nsigs; i++) {
        assert_int_equal(rep.sigs[i].range, HALL_STAMP_PASS);
        assert_int_equal(rep.sigs[i].state, HALL_STAMP_MODIFIED);
        over += strstr(rep.sigs[i].problem, "超出可核验的计算量") != NULL;
    }
    assert_true(over >= 6);
    assert_true(rep.hashed <= 4 * rep.file_size + (1LL << 20));
}

static void
verify__info_rewritten_later__still_valid(void **state)
{
    char err[512], out[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain8.pdf");
    static const int nums[] = {30};

    (void)state;
    snprintf(out, sizeof(out), "%s/info.pdf", top);
    assert_int_equal(stamp(in, out, signer, signer_key, 1, err), HALL_OK);
    /* a new /Info (the trailer's): nothing a reader sees */
    update(out, "30 0 obj\n<< /Producer (someone) >>\nendobj\n", nums, 1, -1, 1);
    verify(out, &rep, NULL);
    assert_valid(&rep.sigs[0]);
    assert_int_equal(rep.sigs[0].later_changes, 0);
}

/* two stamps, then the first one's signature dictionary written again by a
 * later revision with one hex digit of its /Contents changed (the same
 * length): the verifier reads the newest (as libqpdf would; stamp_xref.c
 * reads a /V from the bytes), whose value is not the signed file's gap */
static void
verify__signature_dictionary_written_again__newest_read(void **state)
{
    char err[512], one[512], two[512], head[32];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain_vagain.pdf");
    unsigned char *p, *obj, *end, *z = NULL, *at, *c;
    size_t len, olen;
    long long sx, size;
    FILE *f;

    (void)state;
    snprintf(one, sizeof(one), "%s/vagain1.pdf", top);
    snprintf(two, sizeof(two), "%s/vagain2.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 1, err), HALL_OK);
    assert_int_equal(stamp(one, two, signer, signer_key, 1, err), HALL_OK);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_valid(&rep.sigs[0]);
    assert_true(rep.sigs[0].obj_v > 0);
    p = slurp(two, &len);
    sx = stamp_startxref(p, (long long)len);
    for (at = p; (at = memmem(at, len - (size_t)(at - p), "/Size ", 6)) != NULL; at++)
        z = at;
    assert_non_null(z);
    size = atoll((const char *)z + 6);
    assert_true(rep.sigs[0].obj_v < size);
    snprintf(head, sizeof(head), "\n%d 0 obj", rep.sigs[0].obj_v);
    obj = memmem(p, len, head, strlen(head));
    assert_non_null(obj);
    obj++;
    end = memmem(obj, len - (size_t)(obj - p), "endobj\n", 7);
    assert_non_null(end);
    olen = (size_t)(end + 7 - obj);
    c = memmem(obj, olen, "/Contents <", 11);
    assert_non_null(c);
    c = calloc(1, olen + 1);
    assert_non_null(c);
    memcpy(c, obj, olen);
    at = (unsigned char *)strstr((char *)c, "/Contents <") + 11 + 40; /* inside the CMS */
    *at = *at == '0' ? '1' : '0';
    f = fopen(two, "ab");
    fwrite(c, 1, olen, f);
    fprintf(f,
            "xref\n%d 1\n%010zu 00000 n\r\ntrailer\n<< /Size %lld /Root 1 0 R /Prev %lld >>\n"
            "startxref\n%zu\n%%%%EOF\n",
            rep.sigs[0].obj_v, len, size, sx, len + olen);
    fclose(f);
    free(c);
    free(p);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.sigs[0].range, HALL_STAMP_FAIL);
    assert_string_equal(rep.sigs[0].problem, "签名覆盖范围与签名值位置不符");
    assert_int_not_equal(rep.sigs[0].state, HALL_STAMP_VALID);
}

/* path's verdicts in one line, a signature after another */
static void
verdict_line(const char *path, char *out, size_t cap)
{
    struct hall_stamp_report rep;
    size_t n;

    verify(path, &rep, NULL);
    n = (size_t)snprintf(out, cap, "%d:", rep.nsigs);
    for (int i = 0; i < rep.nsigs && n < cap; i++) {
        const struct hall_stamp_sig *s = &rep.sigs[i];

        n += (size_t)snprintf(out + n, cap - n, " [%d %d %d %d %d %d %d %s|%s]", s->range,
                              s->digest, s->signature, s->state, s->later_sigs, s->later_changes,
                              s->obj_v > 0, s->problem, s->changes);
    }
}

/* the last stamp's signature dictionary of src, changed by how, into dst */
static void
last_sig_dict_changed(const char *src, const char *dst, int how)
{
    size_t len, hex;
    unsigned char *p = slurp(src, &len), *c = NULL, *d, *m, *e;
    FILE *f;

    for (unsigned char *k = p; (k = memmem(k, len - (size_t)(k - p), "/Contents <", 11)) != NULL;
         k++)
        c = k + 11;
    assert_non_null(c);
    e = memchr(c, '>', len - (size_t)(c - p));
    assert_non_null(e);
    hex = (size_t)(e - c);
    assert_true(hex > 400);
    for (d = c; d > p && memcmp(d, "<< /Type /Sig", 13) != 0; d--)
        ;
    m = memmem(e, len - (size_t)(e - p), "/M (D:", 6);
    assert_non_null(m);
    switch (how) {
    case 0: /* a '>' inside the hex digits */ c[100] = '>'; break;
    case 1: /* a ')' inside */ c[100] = ')'; break;
    case 2: /* a space: an odd number of digits */ c[100] = ' '; break;
    case 3: /* two spaces: an even number, not digits alone */
        c[100] = ' ';
        c[201] = '\n';
        break;
    case 4: /* a letter that is no hex digit */ c[100] = 'g'; break;
    case 5: /* a literal string of the same bytes instead of hex */
        c[-1] = '(';
        c[hex] = ')';
        break;
    case 6: /* no /Contents */ c[-3] = 'z'; break;
    case 7: /* a second /Contents before it */
        memcpy(memmem(d, (size_t)(c - d), "/SubFilter", 10), "/Contents ", 10);
        break;
    case 8: /* a second /Contents after it */ memcpy(m, "/Contents(", 10); break;
    case 9: /* the verifier's own marks in a string */ memcpy(m + 4, "/HallHex~0", 10); break;
    case 10: /* the hex digits' last byte a lone digit at the string's end */
        c[hex - 1] = ' ';
        break;
    default: fail();
    }
    f = fopen(dst, "wb");
    fwrite(p, 1, len, f);
    fclose(f);
    free(p);
}

/* A stamp's /Contents made hostile in place (one stamp, and the second of
 * two): each judged as it was before the verifier skipped the hex digits'
 * bytes where it needs no value (the lines are those of e01f112's code),
 * but a /V whose text is no PDF object (a '>', a ')' or a letter that is no
 * hex digit among the digits: cases 0, 1 and 4), which core/pdf does not
 * read (libqpdf made something of it): that stamp fails check 1 saying so */
static void
verify__hostile_contents__judged_as_before(void **state)
{
    static const char *const want[2][11] = {
        {
            "1: [2 0 0 1 0 0 1 签名字典（/V）不符合PDF语法，无法读取|]",
            "1: [2 0 0 1 0 0 1 签名字典（/V）不符合PDF语法，无法读取|]",
            "1: [2 0 0 1 0 0 1 签名覆盖范围与签名值位置不符|]",
            "1: [2 0 0 1 0 0 1 签名覆盖范围（/ByteRange）不正确|]",
            "1: [2 0 0 1 0 0 1 签名字典（/V）不符合PDF语法，无法读取|]",
            "1: [2 0 0 1 0 0 1 签名覆盖范围（/ByteRange）不正确|]",
            "1: [2 0 0 1 0 0 1 签名缺少/ByteRange或/Contents|]",
            "1: [1 2 0 1 0 0 1 签名后文档内容被改动（摘要不符）|]",
            "1: [2 0 0 1 0 0 1 签名覆盖范围（/ByteRange）不正确|]",
            "1: [1 2 0 1 0 0 1 签名后文档内容被改动（摘要不符）|]",
            "1: [2 0 0 1 0 0 1 签名覆盖范围与签名值位置不符|]",
        },
        {
            "2: [2 0 0 1 0 0 1 签名字典（/V）不符合PDF语法，无法读取|] [1 1 1 1 0 1 1 "
            "签章后文档被修改：其后追加的签章1无效（签名字典（/"
            "V）不符合PDF语法，无法读取），其修订中的改动不予认可|其后追加的签章1无效（签名字典（/"
            "V）不符合PDF语法，无法读取），其修订中的改动不予认可]",
            "2: [2 0 0 1 0 0 1 签名字典（/V）不符合PDF语法，无法读取|] [1 1 1 1 0 1 1 "
            "签章后文档被修改：其后追加的签章1无效（签名字典（/"
            "V）不符合PDF语法，无法读取），其修订中的改动不予认可|其后追加的签章1无效（签名字典（/"
            "V）不符合PDF语法，无法读取），其修订中的改动不予认可]",
            "2: [1 1 1 1 0 1 1 "
            "签章后文档被修改：其后追加的签章2无效（签名覆盖范围与签名值位置不符），其修订中的改动"
            "不予认可|其后追加的签章2无效（签名覆盖范围与签名值位置不符），其修订中的改动不予认可] "
            "[2 0 0 1 0 0 1 签名覆盖范围与签名值位置不符|]",
            "2: [1 1 1 1 0 1 1 "
            "签章后文档被修改：其后追加的签章2无效（签名覆盖范围（/"
            "ByteRange）不正确），其修订中的改动不予认可|其后追加的签章2无效（签名覆盖范围（/"
            "ByteRange）不正确），其修订中的改动不予认可] [2 0 0 1 0 0 1 "
            "签名覆盖范围（/ByteRange）不正确|]",
            "2: [2 0 0 1 0 0 1 签名字典（/V）不符合PDF语法，无法读取|] [1 1 1 1 0 1 1 "
            "签章后文档被修改：其后追加的签章1无效（签名字典（/"
            "V）不符合PDF语法，无法读取），其修订中的改动不予认可|其后追加的签章1无效（签名字典（/"
            "V）不符合PDF语法，无法读取），其修订中的改动不予认可]",
            "2: [1 1 1 1 0 1 1 "
            "签章后文档被修改：其后追加的签章2无效（签名覆盖范围（/"
            "ByteRange）不正确），其修订中的改动不予认可|其后追加的签章2无效（签名覆盖范围（/"
            "ByteRange）不正确），其修订中的改动不予认可] [2 0 0 1 0 0 1 "
            "签名覆盖范围（/ByteRange）不正确|]",
            "2: [2 0 0 1 0 0 1 签名缺少/ByteRange或/Contents|] [1 1 1 1 0 1 1 "
            "签章后文档被修改：其后追加的签章1无效（签名缺少/ByteRange或/"
            "Contents），其修订中的改动不予认可|其后追加的签章1无效（签名缺少/ByteRange或/"
            "Contents），其修订中的改动不予认可]",
            "2: [1 1 1 1 1 1 1 "
            "签章后文档被修改：其后追加的签章2无效（签名后文档内容被改动（摘要不符）），其修订中的"
            "改动不予认可|"
            "其后追加的签章2无效（签名后文档内容被改动（摘要不符）），其修订中的改动不予认可] [1 2 "
            "0 1 0 0 1 签名后文档内容被改动（摘要不符）|]",
            "2: [1 1 1 1 0 1 1 "
            "签章后文档被修改：其后追加的签章2无效（签名覆盖范围（/"
            "ByteRange）不正确），其修订中的改动不予认可|其后追加的签章2无效（签名覆盖范围（/"
            "ByteRange）不正确），其修订中的改动不予认可] [2 0 0 1 0 0 1 "
            "签名覆盖范围（/ByteRange）不正确|]",
            "2: [1 1 1 1 1 1 1 "
            "签章后文档被修改：其后追加的签章2无效（签名后文档内容被改动（摘要不符）），其修订中的"
            "改动不予认可|"
            "其后追加的签章2无效（签名后文档内容被改动（摘要不符）），其修订中的改动不予认可] [1 2 "
            "0 1 0 0 1 签名后文档内容被改动（摘要不符）|]",
            "2: [1 1 1 1 0 1 1 "
            "签章后文档被修改：其后追加的签章2无效（签名覆盖范围与签名值位置不符），其修订中的改动"
            "不予认可|其后追加的签章2无效（签名覆盖范围与签名值位置不符），其修订中的改动不予认可] "
            "[2 0 0 1 0 0 1 签名覆盖范围与签名值位置不符|]",
        },
    };
    char err[512], one[512], two[512], out[512], line[4096];
    const char *in = simple_pdf("plain_hostile.pdf");

    (void)state;
    snprintf(one, sizeof(one), "%s/hostile1.pdf", top);
    snprintf(two, sizeof(two), "%s/hostile2.pdf", top);
    snprintf(out, sizeof(out), "%s/hostile-out.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 1, err), HALL_OK);
    assert_int_equal(stamp(one, two, signer, signer_key, 1, err), HALL_OK);
    for (int k = 0; k < 2; k++)
        for (int how = 0; how < 11; how++) {
            last_sig_dict_changed(k == 0 ? one : two, out, how);
            verdict_line(out, line, sizeof(line));
            if (getenv("HALL_TEST_PRINT") != NULL)
                fprintf(stderr, "        \"%s\",\n", line);
            else
                assert_string_equal(line, want[k][how]);
        }
}

static void
verify__old_object_stream_rewritten__modified(void **state)
{
    char err[512], gen[512], out[512], objs[2048];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain10.pdf");
    static const int nums[] = {1};
    qpdf_data q = qpdf_init();
    unsigned char *data = NULL;
    size_t dl = 0;
    char *end;

    (void)state;
    snprintf(gen, sizeof(gen), "%s/objstm2.pdf", top);
    snprintf(out, sizeof(out), "%s/objstm2-stamped.pdf", top);
    sh("qpdf --object-streams=generate %s %s", in, gen);
    assert_int_equal(stamp(gen, out, signer, signer_key, 1, err), HALL_OK);
    verify(out, &rep, NULL);
    assert_valid(&rep.sigs[0]);
    /* object stream 1 keeps the page tree and page 2 (qpdf's numbering):
     * written again with page 2 turned upside down, and no entry of page
     * 2's own written */
    assert_int_equal(qpdf_open_checked(q, NULL, 0, out, err, sizeof(err)), HALL_OK);
    assert_false(qpdf_oh_get_stream_data(q, qpdf_get_object_by_id(q, 1, 0), qpdf_dl_generalized,
                                         NULL, &data, &dl) &
                 QPDF_ERRORS);
    qpdf_cleanup(&q);
    assert_true(dl > 0 && dl < 1000);
    data = realloc(data, dl + 1);
    data[dl] = '\0';
    end = strrchr((char *)data, '>');
    assert_non_null(end);
    end[-1] = '\0'; /* the last object's closing ">>" */
    snprintf(objs, sizeof(objs),
             "1 0 obj\n<< /Type /ObjStm /N 4 /First %zu /Length %zu >>\nstream\n%s /Rotate 180 "
             ">>\nendstream\nendobj\n",
             (size_t)(strchr((char *)data, '<') - (char *)data), strlen((char *)data) + 15,
             (char *)data);
    free(data);
    update(out, objs, nums, 1, -1, 2);
    verify(out, &rep, NULL);
    assert_int_equal(rep.sigs[0].digest, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_MODIFIED);
    assert_non_null(strstr(rep.sigs[0].changes, "对象流1"));
}

static void
verify__dangling_reference_filled_after_signing__modified(void **state)
{
    char err[512], out[512], prep[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain11.pdf");
    static const int page[] = {3}, box[] = {50};

    (void)state;
    /* prepared: page 1's contents name object 50, which does not exist
     * (readers skip it); the victim stamps what they see */
    snprintf(prep, sizeof(prep), "%s/dangling.pdf", top);
    snprintf(out, sizeof(out), "%s/dangling-stamped.pdf", top);
    sh("cp %s %s", in, prep);
    update(prep, "3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents [4 0 R 50 0 R] >>\nendobj\n",
           page, 1, -1, 1);
    assert_int_equal(stamp(prep, out, signer, signer_key, 1, err), HALL_OK);
    verify(out, &rep, NULL);
    assert_valid(&rep.sigs[0]);
    /* then object 50 appears: a red box over the page */
    sh("cp %s %s.signed", out, out);
    update(out,
           "50 0 obj\n<< /Length 26 >>\nstream\n1 0 0 rg 0 0 999 999 re f\nendstream\nendobj\n",
           box, 1, -1, 1);
    verify(out, &rep, NULL);
    assert_int_equal(rep.sigs[0].digest, HALL_STAMP_PASS);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_MODIFIED);
    assert_non_null(strstr(rep.sigs[0].changes, "第1页"));
    assert_non_null(strstr(rep.sigs[0].changes, "引用了签章后才加入的对象50"));
    /* the same with a wrong /Length: qpdf cannot read it, a reader that
     * repairs shows it */
    sh("cp %s.signed %s", out, out);
    update(out,
           "50 0 obj\n<< /Length 24 >>\nstream\n1 0 0 rg 0 0 999 999 re f\nendstream\nendobj\n",
           box, 1, -1, 1);
    verify(out, &rep, NULL);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_MODIFIED);
    assert_non_null(strstr(rep.sigs[0].changes, "对象50无法读取"));
}

/*
 * The same filled reference and unreadable object after two stamps: the
 * whole file's side of the comparison is asked of libqpdf once a file
 * (stamp_diff.c's fobj_*), and each signature still gets its own verdict.
 */
static void
verify__filled_after_two_stamps__both_modified(void **state)
{
    char err[512], out[512], prep[512], one[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain11.pdf");
    static const int page[] = {3}, box[] = {50};

    (void)state;
    snprintf(prep, sizeof(prep), "%s/dangling2.pdf", top);
    snprintf(one, sizeof(one), "%s/dangling2-one.pdf", top);
    snprintf(out, sizeof(out), "%s/dangling2-two.pdf", top);
    sh("cp %s %s", in, prep);
    update(prep, "3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents [4 0 R 50 0 R] >>\nendobj\n",
           page, 1, -1, 1);
    assert_int_equal(stamp(prep, one, signer, signer_key, 1, err), HALL_OK);
    assert_int_equal(stamp(one, out, signer, signer_key, 1, err), HALL_OK);
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_valid(&rep.sigs[0]);
    assert_valid(&rep.sigs[1]);
    sh("cp %s %s.signed", out, out);
    update(out,
           "50 0 obj\n<< /Length 26 >>\nstream\n1 0 0 rg 0 0 999 999 re f\nendstream\nendobj\n",
           box, 1, -1, 1);
    verify(out, &rep, NULL);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rep.sigs[i].digest, HALL_STAMP_PASS);
        assert_int_equal(rep.sigs[i].state, HALL_STAMP_MODIFIED);
        assert_non_null(strstr(rep.sigs[i].changes, "引用了签章后才加入的对象50"));
    }
    sh("cp %s.signed %s", out, out);
    update(out,
           "50 0 obj\n<< /Length 24 >>\nstream\n1 0 0 rg 0 0 999 999 re f\nendstream\nendobj\n",
           box, 1, -1, 1);
    verify(out, &rep, NULL);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rep.sigs[i].state, HALL_STAMP_MODIFIED);
        assert_non_null(strstr(rep.sigs[i].changes, "对象50无法读取"));
    }
}

/* as update(), then the numbers in freed written free (generation 1) */
static void
update_freeing(const char *path, const char *objs, const int *nums, int n, const int *freed,
               int nfreed)
{
    size_t len;
    unsigned char *p = slurp(path, &len);
    long long sx = stamp_startxref(p, (long long)len), at = (long long)len, xref;
    const char *o = objs;
    FILE *f = fopen(path, "ab");
    int i;

    fputs(objs, f);
    xref = at + (long long)strlen(objs);
    fputs("xref\n", f);
    for (i = 0; i < n; i++) {
        fprintf(f, "%d 1\n%010lld 00000 n\r\n", nums[i], at + (long long)(o - objs));
        o = strstr(o, "endobj\n") + 7;
    }
    for (i = 0; i < nfreed; i++)
        fprintf(f, "%d 1\n0000000000 00001 f\r\n", freed[i]);
    fprintf(f, "trailer\n<< /Size 40 /Root 1 0 R /Prev %lld >>\nstartxref\n%lld\n%%%%EOF\n", sx,
            xref);
    fclose(f);
    free(p);
}

/*
 * Two stamps, then page 1's content painted over by one revision and
 * written back as it was by the next: each signature's later revisions
 * are judged as the signed object against the final one (docs/internals/
 * stamp.md §3), so both stamps stay valid (a union of each revision's own
 * changes would name the box twice).
 */
static void
verify__content_written_back_later__still_valid(void **state)
{
    char err[512], one[512], out[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain_back.pdf");
    static const int nums[] = {4};

    (void)state;
    snprintf(one, sizeof(one), "%s/back-one.pdf", top);
    snprintf(out, sizeof(out), "%s/back.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 1, err), HALL_OK);
    assert_int_equal(stamp(one, out, signer, signer_key, 2, err), HALL_OK);
    update(out, "4 0 obj\n<< /Length 24 >>\nstream\n1 0 0 rg 0 0 99 99 re f\nendstream\nendobj\n",
           nums, 1, -1, 1);
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    for (int i = 0; i < 2; i++)
        assert_string_equal(rep.sigs[i].changes, "第1页的内容被修改");
    update(out, "4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\n", nums, 1, -1, 1);
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    for (int i = 0; i < 2; i++) {
        assert_valid(&rep.sigs[i]);
        assert_int_equal(rep.sigs[i].later_changes, 0);
    }
}

/*
 * Two stamps, then two revisions: the first paints over page 1's content
 * and rotates the page tree, the second frees the content and writes the
 * tree again.  Each object is one change, told as the final file has it
 * against the signed one: the three texts and their order pinned (pages
 * first), the same for both signatures.
 */
static void
verify__object_changed_in_two_revisions__told_once_as_final(void **state)
{
    char err[512], one[512], out[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain_twice.pdf");
    static const int a[] = {2, 4}, b[] = {2, 3}, freed[] = {4};

    (void)state;
    snprintf(one, sizeof(one), "%s/twice-one.pdf", top);
    snprintf(out, sizeof(out), "%s/twice.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 2, err), HALL_OK);
    assert_int_equal(stamp(one, out, signer, signer_key, 2, err), HALL_OK);
    update(out,
           "2 0 obj\n<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 /MediaBox [0 0 595.28 841.89] "
           "/Rotate 90 >>\nendobj\n"
           "4 0 obj\n<< /Length 24 >>\nstream\n1 0 0 rg 0 0 99 99 re f\nendstream\nendobj\n",
           a, 2, -1, 1);
    update_freeing(out,
                   "2 0 obj\n<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 /MediaBox [0 0 595.28 "
                   "841.89] /Rotate 180 >>\nendobj\n"
                   "3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R /UserUnit 2 >>\nendobj\n",
                   b, 2, freed, 1);
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_string_equal(rep.sigs[1].changes,
                        "第1页的页面字典被修改（/UserUnit）；第1页的内容被删除；"
                        "页面树被修改（页面被替换或重排）");
    assert_string_equal(rep.sigs[0].changes, rep.sigs[1].changes);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_MODIFIED);
}

/*
 * The page tree reordered between two stamps, then page object 3 written
 * by a later revision: the same signed object and the same final one for
 * both signatures, but page 1 of the first signed revision and page 2 of
 * the second: each names its own page.
 */
static void
verify__page_tree_reordered_between_stamps__each_names_its_page(void **state)
{
    char err[512], one[512], out[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain_order.pdf");
    static const int tree[] = {2}, page[] = {3};

    (void)state;
    snprintf(one, sizeof(one), "%s/order-one.pdf", top);
    snprintf(out, sizeof(out), "%s/order.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 2, err), HALL_OK);
    update(one,
           "2 0 obj\n<< /Type /Pages /Kids [5 0 R 3 0 R] /Count 2 /MediaBox [0 0 595.28 841.89] "
           ">>\nendobj\n",
           tree, 1, -1, 1);
    assert_int_equal(stamp(one, out, signer, signer_key, 1, err), HALL_OK);
    update(out, "3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Rotate 90 >>\nendobj\n",
           page, 1, -1, 1);
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    /* both on object 5, the final file's page 1 */
    assert_int_equal(rep.sigs[0].page, 1);
    assert_int_equal(rep.sigs[1].page, 1);
    assert_string_equal(rep.sigs[1].changes, "第2页的页面字典被修改（/Rotate）");
    assert_string_equal(rep.sigs[0].changes,
                        "第1页的页面字典被修改（/Rotate）；页面树被修改（页面被替换或重排）");
}

static void
verify__hostile_later_sections__modified_never_crash(void **state)
{
    char err[512], out[512];
    struct hall_stamp_report rep;
    struct hall_stamp_trust t;
    size_t len;
    unsigned char *p;
    const char *in = simple_pdf("plain9.pdf");
    static const int nums[] = {4};
    FILE *f;
    int k;

    (void)state;
    memset(&t, 0, sizeof(t));
    for (k = 0; k < 4; k++) {
        snprintf(out, sizeof(out), "%s/hostile%d.pdf", top, k);
        assert_int_equal(stamp(in, out, signer, signer_key, 1, err), HALL_OK);
        p = slurp(out, &len);
        f = fopen(out, "ab");
        if (k == 0) {
            /* a section whose /Prev is itself */
            fprintf(f,
                    "xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 9 /Root 1 0 R /Prev %zu "
                    ">>\nstartxref\n%zu\n%%%%EOF\n",
                    len, len);
        } else if (k == 1) {
            /* a cross-reference stream of absurd /W and /Index */
            fprintf(f,
                    "40 0 obj\n<< /Type /XRef /W [9 9 9] /Index [0 2147483647] /Size 9 /Root 1 0 R "
                    "/Length 3 /Prev %lld "
                    ">>\nstream\nabc\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n",
                    stamp_startxref(p, (long long)len), len);
        } else if (k == 2) {
            /* a table claiming two thousand million entries */
            fprintf(f,
                    "xref\n1 2000000000\n0000000009 00000 n\r\ntrailer\n<< /Size 9 /Root 1 0 R "
                    "/Prev %lld >>\nstartxref\n%zu\n%%%%EOF\n",
                    stamp_startxref(p, (long long)len), len);
        }
        fclose(f);
        if (k == 3) /* /Prev pointing before the stamp's revision */
            update(out, "4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\n", nums, 1, 9, 1);
        free(p);
        t.roots = NULL;
        if (hall_stamp_verify_file(pool, out, &t, &rep, err, sizeof(err)) == HALL_OK) {
            assert_int_equal(rep.nsigs, 1);
            assert_int_equal(rep.sigs[0].state, HALL_STAMP_MODIFIED);
        }
    }
}

static void
verdict__records_lower_the_state__one_rule_for_both_verifiers(void **state)
{
    struct hall_stamp_sig s;
    struct hall_stamp_records rec;
    struct hall_stamp_verdict v;

    (void)state;
    memset(&s, 0, sizeof(s));
    s.state = HALL_STAMP_VALID;
    s.chain = HALL_STAMP_PASS;
    s.signer_serial = "0A";
    s.seal_es_id = "44030000000042";
    s.signing_time = 1800000000;
    s.problem = "";
    s.overlap = "";
    s.covered = "";
    /* no records (hall-stamp verify): the document's state */
    hall_stamp_verdict(pool, &s, NULL, &v);
    assert_int_equal(v.state, HALL_STAMP_VALID);
    assert_int_equal(v.nnotes, 0);
    /* revoked after the signing time: still valid, told */
    memset(&rec, 0, sizeof(rec));
    rec.looked_up = rec.cert_known = rec.seal_known = 1;
    rec.cert_revoked = 1;
    rec.cert_revoked_at = s.signing_time + 60;
    hall_stamp_verdict(pool, &s, &rec, &v);
    assert_int_equal(v.state, HALL_STAMP_VALID);
    assert_int_equal(v.revoked_after, 1);
    assert_string_equal(v.signer_at_signing, "有效");
    assert_non_null(strstr(v.notes[0], "签章后吊销"));
    /* at or before it: 签章人证书已吊销（签章前）, with the reason */
    rec.cert_revoked_at = s.signing_time;
    hall_stamp_verdict(pool, &s, &rec, &v);
    assert_int_equal(v.state, HALL_STAMP_REVOKED_BEFORE);
    assert_non_null(strstr(v.problem, "早于签章时间"));
    /* the seal cancelled */
    rec.cert_revoked = 0;
    rec.seal_revoked = 1;
    hall_stamp_verdict(pool, &s, &rec, &v);
    assert_int_equal(v.state, HALL_STAMP_SEAL_REVOKED);
    /* ... after the signing time: the certificate's rule, valid and told */
    rec.seal_revoked_at = s.signing_time + 60;
    hall_stamp_verdict(pool, &s, &rec, &v);
    assert_int_equal(v.state, HALL_STAMP_VALID);
    assert_int_equal(v.seal_revoked_after, 1);
    assert_non_null(strstr(v.notes[0], "签章后注销"));
    /* ... at or before it: 印章已注销, when */
    rec.seal_revoked_at = s.signing_time;
    hall_stamp_verdict(pool, &s, &rec, &v);
    assert_int_equal(v.state, HALL_STAMP_SEAL_REVOKED);
    assert_non_null(strstr(v.problem, "早于签章时间"));
    /* ... no timestamp: nothing says the stamp came first */
    s.signing_time = 0;
    rec.seal_revoked_at = 1800000060;
    hall_stamp_verdict(pool, &s, &rec, &v);
    assert_int_equal(v.state, HALL_STAMP_SEAL_REVOKED);
    s.signing_time = 1800000000;
    /* the tool without an answer: the document's state, said so */
    {
        struct hall_stamp_records none;

        memset(&none, 0, sizeof(none));
        none.unchecked = "无法连接";
        hall_stamp_verdict(pool, &s, &none, &v);
        assert_int_equal(v.state, HALL_STAMP_VALID);
        assert_int_equal(v.nnotes, 1);
        assert_non_null(strstr(v.notes[0], "需要联网查询吊销状态"));
    }
    /* records never raise a modified document, and a demo stamp is told */
    s.state = HALL_STAMP_MODIFIED;
    s.problem = "签章后文档被修改：第1页的内容被修改";
    hall_stamp_verdict(pool, &s, &rec, &v);
    assert_int_equal(v.state, HALL_STAMP_MODIFIED);
    assert_string_equal(v.problem, "签章后文档被修改：第1页的内容被修改");
    s.demo = 1;
    s.overlap = "其后的签章2的外观与本签章在第1页重叠，可能遮盖本签章";
    hall_stamp_verdict(pool, &s, &rec, &v);
    assert_int_equal(v.nnotes, 2);
    assert_non_null(strstr(v.notes[0], "免费体验印章"));
    assert_non_null(strstr(v.notes[1], "重叠"));
}

static void
sign__encrypted_or_damaged_or_unlisted__refused(void **state)
{
    char err[512], enc[512], bad[512], out[512];
    const char *in = simple_pdf("plain5.pdf");
    size_t len;
    unsigned char *p;
    FILE *f;

    (void)state;
    snprintf(enc, sizeof(enc), "%s/enc.pdf", top);
    snprintf(bad, sizeof(bad), "%s/bad.pdf", top);
    snprintf(out, sizeof(out), "%s/never.pdf", top);
    sh("qpdf --encrypt user owner 256 -- %s %s", in, enc);
    assert_int_equal(stamp(enc, out, signer, signer_key, 1, err), HALL_ERR);
    assert_non_null(strstr(err, "已加密"));
    /* truncated before its cross-reference table */
    p = slurp(in, &len);
    f = fopen(bad, "wb");
    fwrite(p, 1, len - 120, f);
    fclose(f);
    free(p);
    assert_int_equal(stamp(bad, out, signer, signer_key, 1, err), HALL_ERR);
    assert_non_null(strstr(err, "损坏"));
    /* a page that does not exist */
    assert_int_equal(stamp(in, out, signer, signer_key, 3, err), HALL_ERR);
    assert_non_null(strstr(err, "共2页"));
    /* a certificate the seal does not list */
    assert_int_equal(stamp(in, out, other, other_key, 1, err), HALL_ERR);
    assert_non_null(strstr(err, "未列出"));
    /* the verifier refuses them too */
    {
        struct hall_stamp_trust t;
        struct hall_stamp_report rep;

        memset(&t, 0, sizeof(t));
        assert_int_equal(hall_stamp_verify_file(pool, enc, &t, &rep, err, 512), HALL_ERR);
        assert_non_null(strstr(err, "已加密"));
        assert_int_equal(hall_stamp_verify_file(pool, bad, &t, &rep, err, 512), HALL_ERR);
    }
}

static void
verify__chain_to_the_demo_root__demo(void **state)
{
    char err[512], out[512];
    struct hall_stamp_report rep;
    struct hall_stamp_trust t;
    STACK_OF(X509) *roots = sk_X509_new_null();
    const char *in = simple_pdf("plain6.pdf");

    (void)state;
    snprintf(out, sizeof(out), "%s/demo.pdf", top);
    assert_int_equal(stamp(in, out, signer, signer_key, 1, err), HALL_OK);
    /* the hall's root is "other" here; the signers' root is the demo root */
    sk_X509_push(roots, other);
    memset(&t, 0, sizeof(t));
    t.roots = roots;
    t.demo_root = root;
    t.check_seal = 1;
    assert_int_equal(hall_stamp_verify_file(pool, out, &t, &rep, err, sizeof(err)), HALL_OK);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_DEMO);
    assert_int_equal(rep.sigs[0].demo, 1);
    /* neither: 非本CA签发 */
    t.demo_root = NULL;
    assert_int_equal(hall_stamp_verify_file(pool, out, &t, &rep, err, sizeof(err)), HALL_OK);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_FOREIGN);
    sk_X509_free(roots);
}

/* ---- the SM2 stamp (§2a) ----------------------------------------------------------- */

static void
sign_sm2__round_trip__ses_signature_valid_qpdf_clean(void **state)
{
    char err[512], out[512];
    struct hall_stamp_report rep;
    const struct hall_stamp_sig *s;
    size_t len;
    unsigned char *p;
    const char *in = simple_pdf("plain-sm2.pdf");

    (void)state;
    snprintf(out, sizeof(out), "%s/sm2.pdf", top);
    assert_int_equal(stamp_seal(in, out, sm2_signer, sm2_key, 1, sm2_seal_der, sm2_seal_len, err),
                     HALL_OK);
    sh("qpdf --check %s >/dev/null", out);
    p = slurp(out, &len);
    {
        static const char sf[] = "/SubFilter /GBT38540.SES_Signature /ByteRange";

        assert_non_null(memmem(p, len, sf, sizeof(sf) - 1));
    }
    free(p);
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 1);
    s = &rep.sigs[0];
    assert_int_equal(s->ses, 1);
    assert_string_equal(s->filter, "GBT38540.SES_Signature");
    assert_valid(s);
    assert_string_equal(s->seal_es_id, "44030000000042");
    assert_string_equal(s->signer_subject, "CN=SM2 Stamp Signer");
    assert_string_equal(s->signer_serial, "09");
    assert_true(s->signing_time > 0);
    assert_non_null(s->tsa_subject);
    /* a P-256 stamp after it: both valid, each of its kind */
    {
        char two[512];

        snprintf(two, sizeof(two), "%s/sm2-then-p256.pdf", top);
        assert_int_equal(stamp(out, two, signer, signer_key, 2, err), HALL_OK);
        verify(two, &rep, NULL);
        assert_int_equal(rep.nsigs, 2);
        assert_valid(&rep.sigs[0]);
        assert_valid(&rep.sigs[1]);
        assert_int_equal(rep.sigs[0].ses, 1);
        assert_int_equal(rep.sigs[1].ses, 0);
        assert_string_equal(rep.sigs[0].after, "其后追加了1个签章");
    }
}

static void
sign_sm2__after_a_p256_stamp__both_valid_nothing_else_changed(void **state)
{
    char err[512], one[512], two[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain-p256-sm2.pdf");

    (void)state;
    snprintf(one, sizeof(one), "%s/p256-first.pdf", top);
    snprintf(two, sizeof(two), "%s/p256-then-sm2.pdf", top);
    assert_int_equal(stamp(in, one, signer, signer_key, 1, err), HALL_OK);
    /* the SES_Signature's revision: a later signature like a CMS one */
    assert_int_equal(stamp_seal(one, two, sm2_signer, sm2_key, 1, sm2_seal_der, sm2_seal_len, err),
                     HALL_OK);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_valid(&rep.sigs[0]);
    assert_valid(&rep.sigs[1]);
    assert_int_equal(rep.sigs[1].ses, 1);
    assert_int_equal(rep.sigs[0].later_changes, 0);
    assert_string_equal(rep.sigs[0].after, "其后追加了1个签章");
    /* both on page 1 at the same point: each is told of the other */
    assert_non_null(strstr(rep.sigs[0].overlap, "签章2"));
    assert_non_null(strstr(rep.sigs[1].overlap, "签章1"));
}

static void
sign_sm2__one_byte_flipped__modified(void **state)
{
    char err[512], out[512];
    struct hall_stamp_report rep;
    const char *in = simple_pdf("plain-sm2b.pdf");

    (void)state;
    snprintf(out, sizeof(out), "%s/sm2-tamper.pdf", top);
    assert_int_equal(stamp_seal(in, out, sm2_signer, sm2_key, 1, sm2_seal_der, sm2_seal_len, err),
                     HALL_OK);
    count_flipped(out);
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 1);
    assert_int_equal(rep.sigs[0].ses, 1);
    assert_int_equal(rep.sigs[0].digest, HALL_STAMP_FAIL);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_MODIFIED);
    assert_string_equal(rep.sigs[0].problem, "签名后文档内容被改动（SM3摘要不符）");
}

static void
sign_sm2__seal_not_listing_the_signer_or_wrong_key__refused(void **state)
{
    char err[512], out[512];
    const char *in = simple_pdf("plain-sm2c.pdf");

    (void)state;
    snprintf(out, sizeof(out), "%s/sm2-refused.pdf", top);
    /* the P-256 signer's seal does not list the SM2 certificate */
    assert_int_equal(stamp_seal(in, out, sm2_signer, sm2_key, 1, seal_der, seal_len, err),
                     HALL_ERR);
    assert_non_null(strstr(err, "未列出该签章人证书"));
    /* the SM2 certificate with a key that is not its own */
    assert_int_equal(
        stamp_seal(in, out, sm2_signer, signer_key, 1, sm2_seal_der, sm2_seal_len, err), HALL_ERR);
    assert_non_null(strstr(err, "私钥与签章人证书不匹配"));
}

/* the keys of page n (from 1) of path as qpdf reads it with recovery, "/A /B " */
static void
page_keys(const char *path, int n, char *out, size_t outlen)
{
    qpdf_data q = qpdf_init();
    qpdf_oh page;

    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    out[0] = '\0';
    if (!(qpdf_read(q, path, NULL) & QPDF_ERRORS)) {
        page = qpdf_get_page_n(q, (size_t)(n - 1));
        qpdf_oh_begin_dict_key_iter(q, page);
        while (qpdf_oh_dict_more_keys(q)) {
            size_t l = strlen(out);

            snprintf(out + l, outlen - l, "%s ", qpdf_oh_dict_next_key(q));
        }
    }
    while (qpdf_has_error(q))
        qpdf_get_error(q);
    qpdf_cleanup(&q);
}

/*
 * tests/data/pdf/corpus (its README says how each was made): every file
 * is stamped on its first and last page with every key of the page kept
 * (qpdf's view, which repairs wrong stream lengths as viewers do), /Annots
 * added, or refused with a message that says why; never stamped without
 * the page's /Contents.
 */
/* The update's trailer keeps the input's first /ID (read through core/pdf)
 * and names a new second one (ISO 32000-1 §14.4): a guard on that read's
 * move from libqpdf, which wrote the same */
static void
sign__trailer_id__first_kept_second_new(void **state)
{
    static const char first[] = "/ID [<0123456789ABCDEF0123456789ABCDEF> <";
    char out[512], err[512];
    const char *in = simple_pdf("id.pdf");
    size_t len;
    unsigned char *p, *id = NULL;

    (void)state;
    snprintf(out, sizeof(out), "%s/id-stamped.pdf", top);
    assert_int_equal(stamp(in, out, signer, signer_key, 1, err), HALL_OK);
    p = slurp(out, &len);
    for (unsigned char *k = p; (k = memmem(k, len - (size_t)(k - p), "/ID [", 5)) != NULL; k++)
        id = k;
    assert_non_null(id);
    assert_memory_equal(id, first, sizeof(first) - 1);
    assert_memory_not_equal(id + sizeof(first) - 1, "0123456789ABCDEF0123456789ABCDEF", 32);
    free(p);
}

/* A file libqpdf reads but core/pdf, the verifier's one reader, does not
 * (the trailer's /ID holds a hex string with a 'Z'): the stamper refuses it,
 * saying so, and writes nothing, since its stamp would not verify */
static void
sign__file_the_verifier_cannot_read__refused_nothing_written(void **state)
{
    const char *data = getenv("HALL_TEST_DATA");
    char in[512], bad[512], out[512], err[512];
    size_t len;
    unsigned char *p, *tr;
    FILE *f;

    (void)state;
    snprintf(in, sizeof(in), "%s/pdf/corpus/plain.pdf", data != NULL ? data : "tests/data");
    snprintf(bad, sizeof(bad), "%s/id-not-hex.pdf", top);
    snprintf(out, sizeof(out), "%s/id-not-hex-stamped.pdf", top);
    p = slurp(in, &len);
    tr = memmem(p, len, "/Root 1 0 R >>", 14);
    assert_non_null(tr);
    f = fopen(bad, "wb");
    fwrite(p, 1, (size_t)(tr - p) + 12, f);
    fputs("/ID [<0Z> <00>] ", f); /* libqpdf: a warning, the /ID null */
    fwrite(tr + 12, 1, len - (size_t)(tr - p) - 12, f);
    fclose(f);
    free(p);
    unlink(out);
    err[0] = '\0';
    assert_int_equal(stamp(bad, out, signer, signer_key, 1, err), HALL_ERR);
    assert_non_null(strstr(err, "PDF文件的结构不符合PDF规范"));
    assert_int_equal(access(out, F_OK), -1);
}

/* A trailer whose /Size is not above the numbers the file uses (a /Size 8
 * made /Size 6, as the fuzzer's sign target found it): the update's new
 * objects, numbered from /Size, would take the numbers of the file's page
 * and contents, and the stamp written would not be found by the verifier.
 * Refused, saying so, nothing written */
static void
sign__size_below_objects_in_use__refused_nothing_written(void **state)
{
    const char *data = getenv("HALL_TEST_DATA");
    char in[512], bad[512], out[512], err[512];
    size_t len;
    unsigned char *p, *sz;
    FILE *f;

    (void)state;
    snprintf(in, sizeof(in), "%s/pdf/corpus/plain.pdf", data != NULL ? data : "tests/data");
    snprintf(bad, sizeof(bad), "%s/size-too-small.pdf", top);
    snprintf(out, sizeof(out), "%s/size-too-small-stamped.pdf", top);
    p = slurp(in, &len);
    sz = memmem(p, len, "/Size 8 ", 8);
    assert_non_null(sz);
    sz[6] = '6';
    f = fopen(bad, "wb");
    fwrite(p, 1, len, f);
    fclose(f);
    free(p);
    unlink(out);
    err[0] = '\0';
    assert_int_equal(stamp(bad, out, signer, signer_key, 1, err), HALL_ERR);
    assert_non_null(strstr(err, "/Size为6，不大于文件中已使用的对象编号7"));
    assert_int_equal(access(out, F_OK), -1);
}

/*
 * tests/data/pdf/refused (its README says how each was made): files some
 * reader reads otherwise than the hall, before or after a stamp, each
 * refused by name before anything is signed, nothing written (issue 71 §2)
 */
static void
sign__refused__each_named_before_signing_nothing_written(void **state)
{
    static const struct {
        const char *name, *refused;
    } files[] = {
        {"sigs-64.pdf", "已有64个签名"},
        {"size-2000000000.pdf", "/Size为2000000000，盖章写入的新对象编号将超过"},
        {"size-8388607.pdf", "允许的最大对象编号8388607"},
        {"rotate-45.pdf", "第1页的旋转角度（/Rotate）不是90的整数倍"},
        {"rotate-2147483640.pdf", "第1页的旋转角度（/Rotate）不是90的整数倍"},
        {"length-fake-endstream.pdf", "对象4的数据流长度（/Length）与其结束标记（endstream）不符"},
        {"length-covers-endstream.pdf",
         "对象4的数据流长度（/Length）与其结束标记（endstream）不符"},
        {"xref-twice.pdf", "交叉引用表中同一对象出现了两次"},
        {"redefined-outside.pdf", "对象3在交叉引用表所列位置之外又定义了一次"},
    };
    const char *data = getenv("HALL_TEST_DATA");
    char in[512], out[512], err[512];
    int bad = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(in, sizeof(in), "%s/pdf/refused/%s", data != NULL ? data : "tests/data",
                 files[i].name);
        snprintf(out, sizeof(out), "%s/refused-%s", top, files[i].name);
        unlink(out);
        err[0] = '\0';
        if (stamp(in, out, signer, signer_key, 1, err) != HALL_ERR ||
            strstr(err, files[i].refused) == NULL || access(out, F_OK) == 0) {
            print_error("%s: refused for \"%s\" expected, got: %s\n", files[i].name,
                        files[i].refused, err);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static void
sign__corpus__page_keeps_every_key_or_refused_with_reason(void **state)
{
    static const struct {
        const char *name, *refused; /* NULL: stamped */
    } corpus[] = {
        {"plain.pdf", NULL},
        {"wrong-length.pdf", NULL},
        {"pdf20.pdf", NULL},
        {"hybrid.pdf", NULL},
        {"hybrid-wrong-length.pdf", NULL},
        {"annots-form.pdf", NULL},
        {"missing-object.pdf", NULL},
        {"incremental-wrong-length.pdf", NULL},
        {"objstm.pdf", NULL},
        {"objstm-wrong-length.pdf", NULL},
        {"linearized.pdf", NULL},
        {"linearized-wrong-length.pdf", NULL},
        {"libreoffice-qdf-wrong-length.pdf", NULL},
        {"libreoffice-linearized-objstm.pdf", NULL},
        {"cairo-contract.pdf", NULL},
        {"unreadable-object.pdf", "无法完整读取的对象"},
        {"broken-xref.pdf", "交叉引用表已损坏"},
        {"broken-xref-contents.pdf", "交叉引用表已损坏"},
        {"size-too-small.pdf", "/Size为6，不大于文件中已使用的对象编号7"},
        {"encrypted.pdf", "PDF文件已加密"},
        {"encrypted-password.pdf", "PDF文件已加密"},
    };
    const char *data = getenv("HALL_TEST_DATA");
    char in[512], out[512], err[512], before[1024], after[1024], want[1100];
    size_t i;
    int pg;

    (void)state;
    for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
        snprintf(in, sizeof(in), "%s/pdf/corpus/%s", data != NULL ? data : "tests/data",
                 corpus[i].name);
        snprintf(out, sizeof(out), "%s/corpus-%s", top, corpus[i].name);
        for (pg = 1; pg <= 2; pg++) {
            int rc;

            err[0] = '\0';
            rc = stamp(in, out, signer, signer_key, pg, err);
            if (corpus[i].refused != NULL) {
                if (rc != HALL_ERR || strstr(err, corpus[i].refused) == NULL) {
                    print_error("%s: refused for \"%s\" expected, got rc %d: %s\n", corpus[i].name,
                                corpus[i].refused, rc, err);
                    fail();
                }
                break;
            }
            if (rc != HALL_OK) {
                print_error("%s page %d: %s\n", corpus[i].name, pg, err);
                fail();
            }
            page_keys(in, pg, before, sizeof(before));
            page_keys(out, pg, after, sizeof(after));
            snprintf(want, sizeof(want), "%s", before);
            if (strstr(before, "/Annots ") == NULL) {
                /* qpdf's keys are sorted: /Annots after /A..., before the rest */
                size_t at = 0;
                const char *end;

                while (before[at] != '\0' && strncmp(before + at, "/Annots", 7) < 0 &&
                       (end = strchr(before + at, ' ')) != NULL)
                    at = (size_t)(end - before) + 1;
                snprintf(want, sizeof(want), "%.*s/Annots %s", (int)at, before, before + at);
            }
            if (strstr(before, "/Contents ") == NULL || strcmp(want, after) != 0) {
                print_error("%s page %d: keys before \"%s\", after \"%s\"\n", corpus[i].name, pg,
                            before, after);
                fail();
            }
        }
    }
}

/*
 * The guard reads object streams (the page may be in one): an object
 * stream nobody references that inflates to 256 MiB, appended to a file in
 * an incremental update, costs the stamp no more than its header (the
 * process's peak resident size grows by less than 64 MiB), and the file is
 * stamped.
 */
static void
sign__object_stream_bomb__read_no_further_than_needed(void **state)
{
    const char *data = getenv("HALL_TEST_DATA");
    char in[512], bomb[512], out[512], err[512];
    unsigned char *pdf, *zbuf, zero[65536];
    size_t len, zcap = 4 * 1024 * 1024, i;
    const char *head = "30 0 ";
    long prev;
    struct rusage before, after;
    z_stream zs;
    FILE *f;

    (void)state;
    snprintf(in, sizeof(in), "%s/pdf/corpus/plain.pdf", data != NULL ? data : "tests/data");
    pdf = slurp(in, &len);
    prev = strtol(strstr((char *)pdf + len - 40, "startxref") + 10, NULL, 10);
    /* the stream: the header "30 0 " (/First 5), then zeros */
    zbuf = malloc(zcap);
    memset(zero, 0, sizeof(zero));
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit(&zs, 9), Z_OK);
    zs.next_out = zbuf;
    zs.avail_out = (uInt)zcap;
    zs.next_in = (unsigned char *)head;
    zs.avail_in = 5;
    assert_int_equal(deflate(&zs, Z_NO_FLUSH), Z_OK);
    for (i = 0; i < 256 * 1024 * 1024 / sizeof(zero); i++) {
        zs.next_in = zero;
        zs.avail_in = sizeof(zero);
        assert_int_equal(deflate(&zs, Z_NO_FLUSH), Z_OK);
    }
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    snprintf(bomb, sizeof(bomb), "%s/bomb.pdf", top);
    f = fopen(bomb, "wb");
    fwrite(pdf, 1, len, f);
    {
        long at = (long)len, x;

        fprintf(f,
                "20 0 obj\n<< /Type /ObjStm /N 1 /First 5 /Filter /FlateDecode /Length %lu >>\n"
                "stream\n",
                zs.total_out);
        fwrite(zbuf, 1, zs.total_out, f);
        fprintf(f, "\nendstream\nendobj\n");
        x = ftell(f);
        fprintf(f,
                "xref\n0 1\n0000000000 65535 f\r\n20 1\n%010ld 00000 n\r\ntrailer\n<< /Size 21 "
                "/Root 1 0 R /Prev %ld >>\nstartxref\n%ld\n%%%%EOF\n",
                at, prev, x);
    }
    fclose(f);
    deflateEnd(&zs);
    free(zbuf);
    free(pdf);
    snprintf(out, sizeof(out), "%s/bomb-stamped.pdf", top);
    getrusage(RUSAGE_SELF, &before);
    if (stamp(bomb, out, signer, signer_key, 1, err) != HALL_OK) {
        print_error("bomb.pdf: %s\n", err);
        fail();
    }
    getrusage(RUSAGE_SELF, &after);
    if (after.ru_maxrss - before.ru_maxrss >= 64 * 1024) {
        print_error("peak resident size grew by %ld KiB\n", after.ru_maxrss - before.ru_maxrss);
        fail();
    }
}

/* a CRL of issuer (its key pki_dir's NAME.key) made at, listing nothing
 * (or serial, revoked at revoked, when not NULL): DER, OPENSSL_malloc'ed */
static unsigned char *
crl_of(X509 *issuer, const char *key, time_t at, const ASN1_INTEGER *serial, time_t revoked,
       size_t *len)
{
    X509_CRL *crl = X509_CRL_new();
    EVP_PKEY *k = pem_key(key);
    ASN1_TIME *now = ASN1_TIME_set(NULL, at), *next = ASN1_TIME_set(NULL, at + 86400),
              *rt = ASN1_TIME_set(NULL, revoked);
    unsigned char *der = NULL;
    int n;

    assert_non_null(crl);
    assert_int_equal(X509_CRL_set_version(crl, 1), 1);
    assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)), 1);
    assert_int_equal(X509_CRL_set1_lastUpdate(crl, now), 1);
    assert_int_equal(X509_CRL_set1_nextUpdate(crl, next), 1);
    if (serial != NULL) {
        X509_REVOKED *r = X509_REVOKED_new();

        X509_REVOKED_set_serialNumber(r, (ASN1_INTEGER *)serial);
        X509_REVOKED_set_revocationDate(r, rt);
        X509_CRL_add0_revoked(crl, r);
    }
    assert_true(X509_CRL_sign(crl, k, EVP_sha256()) > 0);
    n = i2d_X509_CRL(crl, &der);
    assert_true(n > 0);
    *len = (size_t)n;
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
    ASN1_TIME_free(rt);
    EVP_PKEY_free(k);
    X509_CRL_free(crl);
    return der;
}

/* the test CA's CRL (the signer's evidence) */
static unsigned char *
ca_crl(time_t at, const ASN1_INTEGER *serial, time_t revoked, size_t *len)
{
    return crl_of(ca, "ca", at, serial, revoked, len);
}

/* the root's CRL, an ARL (the TSA's evidence: its certificate names no
 * OCSP nor CRL, as the hall's TSA's does not) */
static unsigned char *
root_crl(time_t at, const ASN1_INTEGER *serial, time_t revoked, size_t *len)
{
    return crl_of(root, "root", at, serial, revoked, len);
}

/* pdf || upd written to path */
static void
write_two(const char *path, const unsigned char *a, size_t al, const unsigned char *b, size_t bl)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    fwrite(a, 1, al, f);
    fwrite(b, 1, bl, f);
    fclose(f);
}

/*
 * Two stamps of one signer, a second apart, and a /DSS whose CA CRL was
 * made between them: it speaks for the first stamp's time, not for the
 * second's.  The CRL is judged once a file for the (signer, CA) pair
 * (stamp_status_kept), its time compared with each signature's: the
 * second does not inherit the first one's B-LT.
 */
static void
ltv__one_crl_between_two_stamps_of_one_signer__only_the_first_b_lt(void **state)
{
    struct hall_stamp_report rep;
    struct hall_stamp_dss_in dss;
    char one[512], two[512], lt[512], err[512];
    unsigned char *pdf, *upd, *der;
    size_t len, ul = 0, dl = 0;
    time_t t1;

    (void)state;
    snprintf(one, sizeof(one), "%s/kept-one.pdf", top);
    snprintf(two, sizeof(two), "%s/kept-two.pdf", top);
    snprintf(lt, sizeof(lt), "%s/kept-lt.pdf", top);
    assert_int_equal(stamp(simple_pdf("kept.pdf"), one, signer, signer_key, 1, err), HALL_OK);
    sleep(2);
    assert_int_equal(stamp(one, two, signer, signer_key, 2, err), HALL_OK);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    t1 = rep.sigs[0].signing_time;
    assert_true(rep.sigs[1].signing_time >= t1 + 2);

    pdf = slurp(two, &len);
    memset(&dss, 0, sizeof(dss));
    der = der_of(signer, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CERT, der, dl);
    OPENSSL_free(der);
    der = der_of(ca, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CERT, der, dl);
    OPENSSL_free(der);
    der = ca_crl(t1 + 1, NULL, 0, &dl); /* after the first stamp, before the second */
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CRL, der, dl);
    OPENSSL_free(der);
    der = root_crl(time(NULL), NULL, 0, &dl); /* the TSA's: after both */
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CRL, der, dl);
    OPENSSL_free(der);
    upd = hall_stamp_dss_update(pool, pdf, len, &dss, &ul, err, sizeof(err));
    assert_non_null(upd);
    write_two(lt, pdf, len, upd, ul);
    free(pdf);
    verify(lt, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.sigs[0].ltv_state, HALL_STAMP_REV_GOOD);
    assert_string_equal(rep.sigs[0].level, "B-LT");
    assert_int_equal(rep.sigs[1].ltv_state, HALL_STAMP_REV_UNCHECKED);
    assert_string_equal(rep.sigs[1].level, "B-T");
    assert_int_equal(rep.sigs[1].ltv_tsa_state, HALL_STAMP_REV_GOOD);
}

/* an OCSP answer about the signer (by the CA's delegated responder resp,
 * its certificate carried), made at this_upd: good, or revoked at
 * revoked; with the carried certificate's last byte changed when broken */
static unsigned char *
ocsp_about_signer(X509 *resp, EVP_PKEY *resp_key, time_t this_upd, time_t revoked, int broken,
                  size_t *len)
{
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), signer, ca);
    ASN1_TIME *tu = ASN1_TIME_set(NULL, this_upd), *rt = ASN1_TIME_set(NULL, revoked);
    OCSP_RESPONSE *r;
    unsigned char *der = NULL, *rd, *at, *copy;
    size_t rl;
    int n;

    assert_non_null(bs);
    assert_non_null(id);
    assert_non_null(OCSP_basic_add1_status(
        bs, id, revoked != 0 ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
        revoked != 0 ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : -1, revoked != 0 ? rt : NULL, tu, NULL));
    assert_int_equal(OCSP_basic_sign(bs, resp, resp_key, EVP_sha256(), NULL, 0), 1);
    r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    n = i2d_OCSP_RESPONSE(r, &der);
    assert_true(n > 0);
    copy = malloc((size_t)n);
    memcpy(copy, der, (size_t)n);
    if (broken) { /* outside what the answer's signature covers */
        rd = der_of(resp, &rl);
        at = memmem(copy, (size_t)n, rd, rl);
        assert_non_null(at);
        at[rl - 1] ^= 0x01;
        OPENSSL_free(rd);
    }
    *len = (size_t)n;
    OPENSSL_free(der);
    OCSP_RESPONSE_free(r);
    OCSP_BASICRESP_free(bs);
    OCSP_CERTID_free(id);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(rt);
    return copy;
}

/* two stamps of one signer, then a /DSS of answers (ocsp_about_signer's)
 * into lt: good made now, then (fresher) revoked, broken or not */
static void
ocsp_pair_dss(const char *two, const char *lt, X509 *resp, EVP_PKEY *resp_key, time_t t1,
              int broken)
{
    struct hall_stamp_dss_in dss;
    unsigned char *pdf, *upd, *der;
    size_t len, ul = 0, dl = 0;
    char err[512];
    time_t now = time(NULL);

    pdf = slurp(two, &len);
    memset(&dss, 0, sizeof(dss));
    der = der_of(signer, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CERT, der, dl);
    OPENSSL_free(der);
    der = der_of(ca, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CERT, der, dl);
    OPENSSL_free(der);
    der = ocsp_about_signer(resp, resp_key, now + 5, 0, 0, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_OCSP, der, dl);
    free(der);
    der = ocsp_about_signer(resp, resp_key, now + 10, t1 - 3600, broken, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_OCSP, der, dl);
    free(der);
    upd = hall_stamp_dss_update(pool, pdf, len, &dss, &ul, err, sizeof(err));
    assert_non_null(upd);
    write_two(lt, pdf, len, upd, ul);
    free(pdf);
}

/* The /DSS answers' responder certificates (decoded once a file by their
 * exact DER): two answers by one delegated responder, the fresher one
 * (revoked) carrying the responder's certificate with one byte changed,
 * is not the responder's: both stamps are judged by the good answer; with
 * that answer intact, both by the revoked one */
static void
ltv__ocsp_responder_cert_byte_changed__that_answer_judged_on_its_own(void **state)
{
    struct hall_stamp_report rep;
    char one[512], two[512], lt[512], err[512];
    X509 *resp;
    EVP_PKEY *resp_key;
    time_t t1;

    (void)state;
    sh("cd %s && set -e; openssl ecparam -name prime256v1 -genkey -noout -out resp.key;"
       " printf 'extendedKeyUsage=critical,OCSPSigning\\nkeyUsage=critical,digitalSignature\\n'"
       " >resp.ext; openssl req -new -key resp.key -subj '/CN=Stamp Test OCSP' 2>/dev/null |"
       " openssl x509 -req -CA ca.crt -CAkey ca.key -set_serial 5 -days 3650 -extfile resp.ext"
       " -out resp.crt 2>/dev/null",
       top);
    resp = pem_cert("resp");
    resp_key = pem_key("resp");
    assert_non_null(resp);
    assert_non_null(resp_key);
    snprintf(one, sizeof(one), "%s/ocsp-one.pdf", top);
    snprintf(two, sizeof(two), "%s/ocsp-two.pdf", top);
    snprintf(lt, sizeof(lt), "%s/ocsp-lt.pdf", top);
    assert_int_equal(stamp(simple_pdf("ocsp.pdf"), one, signer, signer_key, 1, err), HALL_OK);
    assert_int_equal(stamp(one, two, signer, signer_key, 2, err), HALL_OK);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    t1 = rep.sigs[0].signing_time;

    ocsp_pair_dss(two, lt, resp, resp_key, t1, 1);
    verify(lt, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.dss_ocsps, 2);
    assert_int_equal(rep.sigs[0].ltv_state, HALL_STAMP_REV_GOOD);
    assert_int_equal(rep.sigs[1].ltv_state, HALL_STAMP_REV_GOOD);
    assert_string_equal(rep.sigs[0].ltv_source, "OCSP");

    ocsp_pair_dss(two, lt, resp, resp_key, t1, 0);
    verify(lt, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.sigs[0].ltv_state, HALL_STAMP_REV_REVOKED);
    assert_int_equal(rep.sigs[1].ltv_state, HALL_STAMP_REV_REVOKED);
    X509_free(resp);
    EVP_PKEY_free(resp_key);
}

static void
ltv__dss_then_doc_timestamp__B_T_B_LT_B_LTA__allowed_revisions(void **state)
{
    struct hall_stamp_report rep;
    struct hall_stamp_dss_in dss;
    struct hall_stamp_sign_in in;
    struct hall_stamp_verdict v;
    char stamped[512], lt[512], lta[512], err[512];
    unsigned char *pdf, *upd, *crl, *der;
    size_t len, ul = 0, cl = 0, dl = 0;

    (void)state;
    snprintf(stamped, sizeof(stamped), "%s/ltv-bt.pdf", top);
    snprintf(lt, sizeof(lt), "%s/ltv-lt.pdf", top);
    snprintf(lta, sizeof(lta), "%s/ltv-lta.pdf", top);
    assert_int_equal(stamp(simple_pdf("ltv.pdf"), stamped, signer, signer_key, 1, err), HALL_OK);
    verify(stamped, &rep, NULL);
    assert_string_equal(rep.sigs[0].level, "B-T");
    assert_int_equal(rep.dss_certs + rep.dss_ocsps + rep.dss_crls, 0);

    /* the chain and a CRL made after the timestamp: B-LT, judged offline */
    pdf = slurp(stamped, &len);
    memset(&dss, 0, sizeof(dss));
    der = der_of(signer, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CERT, der, dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CERT, der, dl); /* once */
    OPENSSL_free(der);
    der = der_of(ca, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CERT, der, dl);
    OPENSSL_free(der);
    crl = ca_crl(time(NULL), NULL, 0, &cl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CRL, crl, cl);
    OPENSSL_free(crl);
    assert_int_equal(dss.n, 3);
    /* without the TSA's evidence it is no B-LT */
    upd = hall_stamp_dss_update(pool, pdf, len, &dss, &ul, err, sizeof(err));
    assert_non_null(upd);
    write_two(lt, pdf, len, upd, ul);
    verify(lt, &rep, NULL);
    assert_valid(&rep.sigs[0]);
    assert_string_equal(rep.sigs[0].level, "B-T");
    assert_int_equal(rep.sigs[0].ltv_tsa_needed, 1);
    assert_int_equal(rep.sigs[0].ltv_tsa_state, HALL_STAMP_REV_UNCHECKED);
    crl = root_crl(time(NULL), NULL, 0, &cl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CRL, crl, cl);
    OPENSSL_free(crl);
    upd = hall_stamp_dss_update(pool, pdf, len, &dss, &ul, err, sizeof(err));
    assert_non_null(upd);
    assert_true(ul > 0);
    write_two(lt, pdf, len, upd, ul);
    free(pdf);
    verify(lt, &rep, NULL);
    assert_int_equal(rep.nsigs, 1);
    assert_int_equal(rep.dss_certs, 2);
    assert_int_equal(rep.dss_crls, 2);
    assert_valid(&rep.sigs[0]);
    assert_int_equal(rep.sigs[0].later_changes, 0);
    assert_int_equal(rep.sigs[0].ltv_tsa_state, HALL_STAMP_REV_GOOD);
    assert_string_equal(rep.sigs[0].level, "B-LT");
    assert_string_equal(rep.sigs[0].ltv_source, "CRL");
    assert_int_equal(rep.sigs[0].ltv_state, HALL_STAMP_REV_GOOD);
    hall_stamp_verdict(pool, &rep.sigs[0], NULL, &v);
    assert_int_equal(v.state, HALL_STAMP_VALID);
    assert_non_null(strstr(v.notes[0], "依据文件内嵌的吊销信息（CRL，"));
    /* the same items again: nothing new, nothing written */
    pdf = slurp(lt, &len);
    upd = hall_stamp_dss_update(pool, pdf, len, &dss, &ul, err, sizeof(err));
    assert_non_null(upd);
    assert_int_equal(ul, 0);

    /* a document timestamp over it all: B-LTA, and the timestamp itself */
    memset(&in, 0, sizeof(in));
    in.pdf = pdf;
    in.pdf_len = len;
    in.tsa = tsa_answer;
    upd = hall_stamp_doc_timestamp(pool, &in, &ul, err, sizeof(err));
    assert_non_null(upd);
    write_two(lta, pdf, len, upd, ul);
    free(pdf);
    verify(lta, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_int_equal(rep.doc_timestamps, 1);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_VALID);
    assert_string_equal(rep.sigs[0].level, "B-LTA");
    assert_int_equal(rep.sigs[0].doc_ts_after, 1);
    assert_int_equal(rep.sigs[1].doc_timestamp, 1);
    assert_string_equal(rep.sigs[1].level, "DTS");
    assert_string_equal(rep.sigs[1].filter, "ETSI.RFC3161");
    assert_int_equal(rep.sigs[1].state, HALL_STAMP_VALID);
    assert_int_equal(rep.sigs[1].covers_to_end, 1);

    /* a fresher CRL dating the signer's revocation back before the stamp:
     * the freshest evidence decides, 签章人证书已吊销（签章前） */
    {
        time_t signed_at = rep.sigs[0].signing_time;

        pdf = slurp(lt, &len);
        memset(&dss, 0, sizeof(dss));
        crl = ca_crl(time(NULL) + 5, X509_get0_serialNumber(signer), signed_at - 10, &cl);
        hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CRL, crl, cl);
        OPENSSL_free(crl);
        upd = hall_stamp_dss_update(pool, pdf, len, &dss, &ul, err, sizeof(err));
        assert_non_null(upd);
        write_two(lta, pdf, len, upd, ul);
        free(pdf);
        verify(lta, &rep, NULL);
        assert_int_equal(rep.dss_crls, 3);
        assert_int_equal(rep.sigs[0].ltv_state, HALL_STAMP_REV_REVOKED);
        hall_stamp_verdict(pool, &rep.sigs[0], NULL, &v);
        assert_int_equal(v.state, HALL_STAMP_REVOKED_BEFORE);
        assert_non_null(strstr(v.problem, "依据文件内嵌的CRL"));
    }
}

static void w8_doc_timestamp(const char *path);

/* path's bytes with a /DSS of the signer's chain and CRLs made at crl_at
 * appended, then a document timestamp over it all (hall-stamp lta) */
static void
lta_once(const char *path, time_t crl_at)
{
    struct hall_stamp_dss_in dss;
    unsigned char *pdf, *upd, *der;
    size_t len, ul = 0, dl = 0;
    char err[512];

    pdf = slurp(path, &len);
    memset(&dss, 0, sizeof(dss));
    der = der_of(signer, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CERT, der, dl);
    OPENSSL_free(der);
    der = der_of(ca, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CERT, der, dl);
    OPENSSL_free(der);
    der = ca_crl(crl_at, NULL, 0, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CRL, der, dl);
    OPENSSL_free(der);
    der = root_crl(crl_at, NULL, 0, &dl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CRL, der, dl);
    OPENSSL_free(der);
    upd = hall_stamp_dss_update(pool, pdf, len, &dss, &ul, err, sizeof(err));
    assert_non_null(upd);
    assert_true(ul > 0); /* the CRLs are new: a /DSS revision each time */
    write_two(path, pdf, len, upd, ul);
    free(pdf);
    w8_doc_timestamp(path);
}

/*
 * What `hall-stamp lta` run twice writes (integ/stamp_lt's lta_twice), on
 * the corpus's object-stream file: a stamp, a /DSS and a document
 * timestamp, then a /DSS with fresher CRLs (made after the first document
 * timestamp) and a second document timestamp over them.  The freshest
 * evidence is covered by the second timestamp: B-LTA, both timestamps
 * counted, every revision read through cross-reference streams.
 */
static void
ltv__lta_twice_on_object_streams__B_LTA_two_doc_timestamps(void **state)
{
    const char *data = getenv("HALL_TEST_DATA");
    struct hall_stamp_report rep;
    char in[512], out[512], err[512];
    time_t first;

    (void)state;
    snprintf(in, sizeof(in), "%s/pdf/corpus/objstm.pdf", data != NULL ? data : "tests/data");
    snprintf(out, sizeof(out), "%s/objstm-lta-twice.pdf", top);
    assert_int_equal(stamp(in, out, signer, signer_key, 1, err), HALL_OK);
    lta_once(out, time(NULL));
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_string_equal(rep.sigs[0].level, "B-LTA");
    first = rep.sigs[1].signing_time;
    while (time(NULL) <= first) /* the second evidence after the first timestamp */
        usleep(100 * 1000);
    lta_once(out, time(NULL));
    verify(out, &rep, NULL);
    assert_int_equal(rep.nsigs, 3);
    assert_int_equal(rep.doc_timestamps, 2);
    assert_int_equal(rep.dss_crls, 4);
    assert_valid(&rep.sigs[0]);
    assert_true(rep.sigs[0].ltv_at > first);
    assert_int_equal(rep.sigs[0].doc_ts_after, 2);
    assert_string_equal(rep.sigs[0].level, "B-LTA");
    for (int i = 1; i <= 2; i++) {
        assert_int_equal(rep.sigs[i].doc_timestamp, 1);
        assert_string_equal(rep.sigs[i].level, "DTS");
        assert_int_equal(rep.sigs[i].state, HALL_STAMP_VALID);
    }
    assert_int_equal(rep.sigs[1].later_changes, 0);
}

/* a certificate of the signer's key from the test CA, valid until until */
static X509 *
signer_until(time_t until)
{
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    EVP_PKEY *k = pem_key("ca");

    assert_non_null(x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 77);
    X509_set_version(x, 2);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)"短期证书", -1, -1,
                               0);
    X509_set_subject_name(x, nm);
    X509_set_issuer_name(x, X509_get_subject_name(ca));
    ASN1_TIME_set(X509_getm_notBefore(x), time(NULL) - 60);
    ASN1_TIME_set(X509_getm_notAfter(x), until);
    X509_set_pubkey(x, signer_key);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    X509_NAME_free(nm);
    EVP_PKEY_free(k);
    return x;
}

static void
ltv__signer_expired_after_the_stamp__valid_by_the_kept_evidence_said_so(void **state)
{
    struct hall_stamp_report rep;
    struct hall_stamp_dss_in dss;
    struct hall_stamp_verdict v;
    /* the stamp and its CRL must be made before the signer expires (a
     * CRL made after the expiry speaks for nothing, RFC 5280 §3.3): 20 s
     * of room, and on a machine so loaded that they took longer, again
     * with twice the room */
    time_t until = 0, margin;
    X509 *shortlived = NULL;
    size_t png_len = 0, sl = 0, len, cl = 0, ul = 0;
    unsigned char *png, *seal, *pdf = NULL, *crl = NULL, *upd;
    char out[512], lt[512], err[512];

    (void)state;
    snprintf(out, sizeof(out), "%s/expiring.pdf", top);
    snprintf(lt, sizeof(lt), "%s/expiring-lt.pdf", top);
    for (margin = 20; margin <= 160; margin *= 2) {
        X509_free(shortlived);
        free(pdf);
        OPENSSL_free(crl);
        crl = NULL;
        until = time(NULL) + margin;
        shortlived = signer_until(until);
        png = png_make(160, 160, &png_len);
        seal = seal_for(shortlived, png, png_len, &sl);
        free(png);
        assert_int_equal(stamp_seal(simple_pdf("expiring-in.pdf"), out, shortlived, signer_key, 1,
                                    seal, sl, err),
                         HALL_OK);
        pdf = slurp(out, &len);
        crl = ca_crl(time(NULL), NULL, 0, &cl);
        if (time(NULL) < until - 1)
            break;
    }
    assert_true(margin <= 160);
    memset(&dss, 0, sizeof(dss));
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CRL, crl, cl);
    OPENSSL_free(crl);
    crl = der_of(ca, &cl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CERT, crl, cl);
    OPENSSL_free(crl);
    crl = root_crl(time(NULL), NULL, 0, &cl);
    hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CRL, crl, cl);
    OPENSSL_free(crl);
    upd = hall_stamp_dss_update(pool, pdf, len, &dss, &ul, err, sizeof(err));
    assert_non_null(upd);
    write_two(lt, pdf, len, upd, ul);
    free(pdf);
    while (time(NULL) <= until) /* the certificate has expired since */
        sleep(1);
    verify(lt, &rep, NULL);
    assert_true(rep.sigs[0].signer_not_after < time(NULL));
    assert_int_equal(rep.sigs[0].chain, HALL_STAMP_PASS); /* at the signing time */
    assert_string_equal(rep.sigs[0].level, "B-LT");
    hall_stamp_verdict(pool, &rep.sigs[0], NULL, &v);
    assert_int_equal(v.state, HALL_STAMP_VALID);
    assert_int_equal(v.nnotes, 2);
    assert_non_null(strstr(v.notes[0], "依据文件内嵌的吊销信息（CRL，"));
    assert_non_null(strstr(v.notes[1], "签章人证书已于"));
    assert_non_null(strstr(v.notes[1], "到期"));
    X509_free(shortlived);
}

/* the root's CRL in the file lists the TSA's certificate revoked before
 * the stamp's timestamp: the timestamp proves no time, the stamp is not
 * 有效 (offline, from the file alone); revoked after it: 有效, B-LT */
static void
ltv__tsa_revoked_in_the_embedded_arl_before_the_timestamp__not_valid(void **state)
{
    struct hall_stamp_report rep;
    struct hall_stamp_dss_in dss;
    struct hall_stamp_verdict v;
    char out[512], lt[512], err[512];
    unsigned char *pdf, *upd, *crl;
    size_t len, ul = 0, cl = 0;
    time_t signed_at;

    (void)state;
    snprintf(out, sizeof(out), "%s/tsa-revoked.pdf", top);
    snprintf(lt, sizeof(lt), "%s/tsa-revoked-lt.pdf", top);
    assert_int_equal(stamp(simple_pdf("tsa-revoked-in.pdf"), out, signer, signer_key, 1, err),
                     HALL_OK);
    verify(out, &rep, NULL);
    assert_valid(&rep.sigs[0]);
    signed_at = rep.sigs[0].signing_time;
    for (int before = 1; before >= 0; before--) {
        pdf = slurp(out, &len);
        memset(&dss, 0, sizeof(dss));
        crl = ca_crl(time(NULL), NULL, 0, &cl);
        hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CRL, crl, cl);
        OPENSSL_free(crl);
        crl = der_of(ca, &cl);
        hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CERT, crl, cl);
        OPENSSL_free(crl);
        crl = root_crl(time(NULL), X509_get0_serialNumber(tsa_cert),
                       before ? signed_at - 60 : signed_at + 60, &cl);
        hall_stamp_dss_add(pool, &dss, HALL_STAMP_DSS_CRL, crl, cl);
        OPENSSL_free(crl);
        upd = hall_stamp_dss_update(pool, pdf, len, &dss, &ul, err, sizeof(err));
        assert_non_null(upd);
        write_two(lt, pdf, len, upd, ul);
        free(pdf);
        verify(lt, &rep, NULL);
        assert_int_equal(rep.sigs[0].ltv_tsa_state, HALL_STAMP_REV_REVOKED);
        hall_stamp_verdict(pool, &rep.sigs[0], NULL, &v);
        if (before) {
            assert_int_not_equal(rep.sigs[0].state, HALL_STAMP_VALID);
            assert_int_equal(rep.sigs[0].timestamp, HALL_STAMP_FAIL);
            assert_int_not_equal(v.state, HALL_STAMP_VALID);
            assert_non_null(strstr(v.problem, "时间戳服务证书于"));
            assert_string_not_equal(rep.sigs[0].level, "B-LT");
        } else {
            assert_int_equal(v.state, HALL_STAMP_VALID);
            assert_string_equal(rep.sigs[0].level, "B-LT");
        }
    }
}

/* ---- the whitelist, rule by rule (docs/internals/stamp.md §3, W1-W15) ------------- */

/* object num of path as libqpdf unparses it (references N G R), the
 * first from replaced by to (from NULL: to added before its last ">>"),
 * written "num 0 obj\n...\nendobj\n" (malloc'ed) */
static char *
obj_edited(const char *path, int num, const char *from, const char *to)
{
    qpdf_data q = qpdf_init();
    char err[256], *o;
    const char *t, *at;
    size_t n;

    assert_int_equal(qpdf_open_checked(q, NULL, 0, path, err, sizeof(err)), HALL_OK);
    t = qpdf_oh_unparse_resolved(q, qpdf_get_object_by_id(q, num, 0));
    n = strlen(t) + strlen(to) + 64;
    o = malloc(n);
    if (from == NULL) {
        at = strrchr(t, '>');
        assert_true(at != NULL && at > t && at[-1] == '>');
        snprintf(o, n, "%d 0 obj\n%.*s%s >>\nendobj\n", num, (int)(at - 1 - t), t, to);
    } else {
        at = strstr(t, from);
        assert_non_null(at);
        snprintf(o, n, "%d 0 obj\n%.*s%s%s\nendobj\n", num, (int)(at - t), t, to,
                 at + strlen(from));
    }
    qpdf_cleanup(&q);
    return o;
}

/* the trailer's /Root of path, its number */
static int
root_of(const char *path)
{
    qpdf_data q = qpdf_init();
    char err[256];
    int n;

    assert_int_equal(qpdf_open_checked(q, NULL, 0, path, err, sizeof(err)), HALL_OK);
    n = qpdf_oh_get_object_id(q, qpdf_get_root(q));
    qpdf_cleanup(&q);
    return n;
}

/* the newest trailer's /Size of path */
static int
size_of(const char *path)
{
    qpdf_data q = qpdf_init();
    char err[256];
    int n;

    assert_int_equal(qpdf_open_checked(q, NULL, 0, path, err, sizeof(err)), HALL_OK);
    n = (int)qpdf_dict_int(q, qpdf_get_trailer(q), "/Size", 0);
    qpdf_cleanup(&q);
    return n;
}

/* appends to path a revision with a table: the objects of objs (each
 * "N 0 obj ... endobj\n"), the trailer's /Root 1 0 R and extra */
static void
revise(const char *path, const char *objs, const char *extra)
{
    size_t len;
    unsigned char *p = slurp(path, &len);
    long long sx = stamp_startxref(p, (long long)len), at = (long long)len;
    int rootn = root_of(path), size = size_of(path);
    FILE *f = fopen(path, "ab");

    fputs(objs, f);
    fputs("xref\n", f);
    for (const char *o = objs; o != NULL && *o; o = strstr(o, "endobj\n") + 7) {
        fprintf(f, "%d 1\n%010lld 00000 n\r\n", atoi(o), at + (long long)(o - objs));
        size = atoi(o) >= size ? atoi(o) + 1 : size;
    }
    fprintf(f, "trailer\n<< /Size %d /Root %d 0 R /Prev %lld %s >>\nstartxref\n%lld\n%%%%EOF\n",
            size, rootn, sx, extra != NULL ? extra : "", at + (long long)strlen(objs));
    fclose(f);
    free(p);
}

/* ... the same with its cross-reference a stream, object xnum, and the
 * objects texts (of numbers nums) in object stream stm when ns > 0 */
static void
revise_xs(const char *path, const char *objs, int stm, const int *nums, const char *const *texts,
          int ns, int xnum)
{
    size_t len, bl = 0;
    unsigned char *p = slurp(path, &len), rows[64 * 7];
    long long sx = stamp_startxref(p, (long long)len), at = (long long)len, xoff;
    struct {
        int num, type;
        long long a;
        int b;
    } e[64], t;
    char *buf = NULL, hdr[512], body[4096];
    FILE *m = open_memstream(&buf, &bl), *f;
    int n = 0, size = size_of(path);
    size_t hl = 0, bdl = 0;

    for (const char *o = objs; o != NULL && *o; o = strstr(o, "endobj\n") + 7) {
        e[n].num = atoi(o);
        e[n].type = 1;
        e[n].a = at + (long long)(o - objs);
        e[n++].b = 0;
    }
    fputs(objs, m);
    if (ns > 0) {
        for (int i = 0; i < ns; i++) {
            hl += (size_t)snprintf(hdr + hl, sizeof(hdr) - hl, "%d %zu ", nums[i], bdl);
            bdl += (size_t)snprintf(body + bdl, sizeof(body) - bdl, "%s\n", texts[i]);
            e[n].num = nums[i];
            e[n].type = 2;
            e[n].a = stm;
            e[n++].b = i;
        }
        fflush(m);
        e[n].num = stm;
        e[n].type = 1;
        e[n].a = at + (long long)bl;
        e[n++].b = 0;
        fprintf(m,
                "%d 0 obj\n<< /Type /ObjStm /N %d /First %zu /Length %zu >>\nstream\n%s%s\n"
                "endstream\nendobj\n",
                stm, ns, hl, hl + bdl, hdr, body);
    }
    fflush(m);
    xoff = at + (long long)bl;
    e[n].num = xnum;
    e[n].type = 1;
    e[n].a = xoff;
    e[n++].b = 0;
    for (int i = 1; i < n; i++) /* by number */
        for (int j = i; j > 0 && e[j - 1].num > e[j].num; j--) {
            t = e[j];
            e[j] = e[j - 1];
            e[j - 1] = t;
        }
    fprintf(m, "%d 0 obj\n<< /Type /XRef /W [1 4 2] /Index [", xnum);
    for (int i = 0; i < n; i++) {
        unsigned char *r = rows + 7 * i;

        fprintf(m, "%d 1 ", e[i].num);
        r[0] = (unsigned char)e[i].type;
        for (int k = 0; k < 4; k++)
            r[1 + k] = (unsigned char)(e[i].a >> (8 * (3 - k)));
        r[5] = (unsigned char)(e[i].b >> 8);
        r[6] = (unsigned char)e[i].b;
        if (e[i].num + 1 > size)
            size = e[i].num + 1;
    }
    fprintf(m, "] /Size %d /Root %d 0 R /Prev %lld /Length %d >>\nstream\n", size, root_of(path),
            sx, 7 * n);
    fwrite(rows, 1, (size_t)(7 * n), m);
    fprintf(m, "\nendstream\nendobj\nstartxref\n%lld\n%%%%EOF\n", xoff);
    fclose(m);
    f = fopen(path, "ab");
    fwrite(buf, 1, bl, f);
    fclose(f);
    free(buf);
    free(p);
}

/* the catalog of path written again with extra keys */
static void
catalog_plus(const char *path, const char *extra, const char *more_objs)
{
    char *c = obj_edited(path, root_of(path), NULL, extra), *all;
    size_t n = strlen(c) + (more_objs != NULL ? strlen(more_objs) : 0) + 1;

    all = malloc(n);
    snprintf(all, n, "%s%s", c, more_objs != NULL ? more_objs : "");
    revise(path, all, NULL);
    free(all);
    free(c);
}

/* the catalog's own /Fields items ("7 0 R"), malloc'ed */
static char *
fields_items(const char *path)
{
    char *c = obj_edited(path, root_of(path), NULL, ""), *a = strstr(c, "/Fields [ "), *e, *r;

    assert_non_null(a);
    a += 10;
    e = strchr(a, ']');
    r = strndup(a, (size_t)(e - a));
    free(c);
    return r;
}

#define XMP                                                                                        \
    "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">" \
    "</x:xmpmeta><?xpacket end=\"w\"?>"
#define ESIC "/ESIC << /BaseVersion /1.7 /ExtensionLevel 2 >>"
#define ISO_ "/ISO_ [ << /BaseVersion /2.0 /ExtensionLevel 32001 /URL (https://www.iso.org) >> ]"

static void
w1_catalog_again(const char *path)
{
    catalog_plus(path, "", NULL);
}

static void
w1_open_action(const char *path)
{
    catalog_plus(path, " /OpenAction [ 3 0 R /Fit ]", NULL);
}

static void
w2_version_raised(const char *path)
{
    catalog_plus(path, " /Version /2.0", NULL);
}

static void
w2_version_lowered(const char *path)
{
    catalog_plus(path, " /Version /1.4", NULL);
}

static void
w2_version_not_a_name(const char *path)
{
    catalog_plus(path, " /Version (2.0)", NULL);
}

static void
w3_extensions(const char *path)
{
    catalog_plus(path, " /Version /2.0 /Extensions << " ESIC " " ISO_ " >>", NULL);
}

static void
w3_extensions_indirect_raised(const char *path)
{
    catalog_plus(path, " /Extensions 31 0 R",
                 "31 0 obj\n<< /ESIC << /BaseVersion /1.7 /ExtensionLevel 1 >> >>\nendobj\n");
    revise(path, "31 0 obj\n<< " ESIC " " ISO_ " >>\nendobj\n", NULL);
}

/* base 1's indirect /Extensions (33) written again, raised or with an
 * action in it */
static void
w3_signed_extensions_raised(const char *path)
{
    revise(path, "33 0 obj\n<< " ESIC " " ISO_ " >>\nendobj\n", NULL);
}

static void
w3_signed_extensions_with_an_action(const char *path)
{
    revise(path,
           "33 0 obj\n<< /ESIC << /BaseVersion /1.7 /ExtensionLevel 2 /OpenAction [ 3 0 R /Fit ] "
           ">> >>\nendobj\n",
           NULL);
}

static void
w3_extensions_with_an_action(const char *path)
{
    catalog_plus(path,
                 " /Extensions << /ESIC << /BaseVersion /1.7 /ExtensionLevel 2 "
                 "/OpenAction [ 3 0 R /Fit ] >> >>",
                 NULL);
}

static void
w4_perms_added(const char *path)
{
    catalog_plus(path, " /Perms << /DocMDP 6 0 R >>", NULL);
}

/* base 1 has /Perms: a hall stamp after it keeps it as it was */
static void
w4_stamped_again(const char *path)
{
    char err[512], tmp[600];

    snprintf(tmp, sizeof(tmp), "%s.2", path);
    assert_int_equal(stamp(path, tmp, signer, signer_key, 2, err), HALL_OK);
    assert_int_equal(rename(tmp, path), 0);
}

static void
w5_form_da_dr(const char *path)
{
    char *c = obj_edited(path, root_of(path), "/SigFlags 3",
                         "/SigFlags 3 /DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv 31 0 R >> >>"),
         all[4096];

    snprintf(all, sizeof(all),
             "%s31 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n", c);
    revise(path, all, NULL);
    free(c);
}

/* base 4's form (a text field whose value has no appearance): its
 * default appearance made white, its font another */
static void
w5_text_form_da(const char *path)
{
    char *c = obj_edited(path, root_of(path), "/DA (/Helv 12 Tf 0 g)", "/DA (/Helv 12 Tf 1 g)");

    revise(path, c, NULL);
    free(c);
}

static void
w5_text_form_dr(const char *path)
{
    char *c = obj_edited(path, root_of(path), "/Helv 32 0 R", "/Helv 60 0 R"), all[4096];

    snprintf(all, sizeof(all),
             "%s60 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>\nendobj\n", c);
    revise(path, all, NULL);
    free(c);
}

static void
w5_form_redrawn(const char *path)
{
    char *c = obj_edited(path, root_of(path), "/SigFlags 3",
                         "/SigFlags 3 /NeedAppearances true /DA (/Helv 0 Tf 0 g)");

    revise(path, c, NULL);
    free(c);
}

/* base 1's /Fields [ 31 0 R W 0 R ] made indirect (60), all kept or the
 * first item (the empty field) dropped */
static void
w6_fields(const char *path, int keep)
{
    char *items = fields_items(path), *from = malloc(strlen(items) + 16), *c, all[4096];

    sprintf(from, "/Fields [ %s]", items);
    c = obj_edited(path, root_of(path), from, "/Fields 60 0 R");
    assert_int_equal(strncmp(items, "31 0 R ", 7), 0);
    snprintf(all, sizeof(all), "%s60 0 obj\n[ %s]\nendobj\n", c, keep ? items : items + 7);
    revise(path, all, NULL);
    free(c);
    free(from);
    free(items);
}

static void
w6_fields_indirect(const char *path)
{
    w6_fields(path, 1);
}

static void
w6_fields_item_dropped(const char *path)
{
    w6_fields(path, 0);
}

static void
w7_rotated(const char *path)
{
    char *c = obj_edited(path, 3, NULL, " /Rotate 90");

    revise(path, c, NULL);
    free(c);
}

static void
w8_doc_timestamp(const char *path)
{
    struct hall_stamp_sign_in in;
    char err[512];
    size_t len, ul = 0;
    unsigned char *pdf = slurp(path, &len), *upd;

    memset(&in, 0, sizeof(in));
    in.pdf = pdf;
    in.pdf_len = len;
    in.tsa = tsa_answer;
    upd = hall_stamp_doc_timestamp(pool, &in, &ul, err, sizeof(err));
    assert_non_null(upd);
    write_two(path, pdf, len, upd, ul);
    free(pdf);
}

static void
w8_doc_timestamp_broken(const char *path)
{
    w8_doc_timestamp(path);
    last_stamp_flipped(path, 0);
}

/* a widget on page 2 (object 5, /Annots [ ]): rest its other keys */
static void
w8_widget(const char *path, const char *rest)
{
    char *c = obj_edited(path, 5, "/Annots [ ]", "/Annots [ 31 0 R ]"), all[4096];

    snprintf(all, sizeof(all),
             "%s31 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T (x) /P 5 0 R %s >>\n"
             "endobj\n",
             c, rest);
    revise(path, all, NULL);
    free(c);
}

static void
w8_widget_with_action(const char *path)
{
    w8_widget(path, "/Rect [ 0 0 0 0 ] /AA << /PO << /S /JavaScript /JS (app.alert(1)) >> >>");
}

static void
w8_widget_visible_unsigned(const char *path)
{
    w8_widget(path, "/Rect [ 10 10 200 100 ]");
}

static void
w9_empty_field_hidden(const char *path)
{
    char *c = obj_edited(path, 31, "/F 4", "/F 6");

    revise(path, c, NULL);
    free(c);
}

static void
w9_empty_field_moved(const char *path)
{
    char *c = obj_edited(path, 31, "/Rect [ 0 0 0 0 ]", "/Rect [ 10 10 200 100 ]");

    revise(path, c, NULL);
    free(c);
}

/* base 1's empty field (31) given a key by a revision no signature
 * fills it in: each alters what a reader shows, or how it draws the field
 * once filled (W9) */
static void
w9_empty_field_keyed(const char *path, const char *key, const char *objs)
{
    char *c = obj_edited(path, 31, NULL, key), all[4096];

    snprintf(all, sizeof(all), "%s%s", c, objs);
    revise(path, all, NULL);
    free(c);
}

/* an appearance: "Amount: 1000 yuan" painted where the field lies */
static void
w9_empty_field_painted(const char *path)
{
    w9_empty_field_keyed(path, " /AP << /N 61 0 R >>",
                         "61 0 obj\n<< /Type /XObject /Subtype /Form /BBox [ 0 0 200 20 ] "
                         "/Length 38 >>\nstream\nBT /F1 12 Tf (Amount: 1000 yuan) Tj ET\n"
                         "endstream\nendobj\n");
}

static void
w9_empty_field_state(const char *path)
{
    w9_empty_field_keyed(path, " /AS /On", "");
}

static void
w9_empty_field_caption(const char *path)
{
    w9_empty_field_keyed(path, " /MK << /BG [ 1 1 1 ] /CA (1000) >>", "");
}

static void
w9_empty_field_da(const char *path)
{
    w9_empty_field_keyed(path, " /DA (/Helv 12 Tf 1 1 1 rg)", "");
}

static void
w9_empty_field_ff(const char *path)
{
    w9_empty_field_keyed(path, " /Ff 1", "");
}

static void
w9_empty_field_q(const char *path)
{
    w9_empty_field_keyed(path, " /Q 2", "");
}

static void
w9_empty_field_untyped(const char *path)
{
    char *c = obj_edited(path, 31, "/Type /Annot ", "");

    revise(path, c, NULL);
    free(c);
}

/* appends to path a revision that signs base 1's empty field (31) as a
 * standard signer does: the field again with keys (its /V 62 0 R among
 * them), 62 a signature of signer over the whole file but its /Contents */
static void
w9_field_signed(const char *path, const char *keys)
{
    enum { HEX = 8192 };
    char *fld = obj_edited(path, 31, NULL, keys), *u = NULL, br[72], *at;
    size_t len, ul = 0;
    unsigned char *p = slurp(path, &len), *der = NULL;
    long long sx = stamp_startxref(p, (long long)len), o62, xo, c0, c1, total;
    int rootn = root_of(path), size = size_of(path), dl;
    FILE *f = open_memstream(&u, &ul);
    BIO *b = BIO_new(BIO_s_mem());
    CMS_ContentInfo *cms;

    fputs(fld, f);
    fflush(f);
    o62 = (long long)(len + ul);
    fputs("62 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
          "/ByteRange [0 0000000000 0000000000 0000000000] /Contents <",
          f);
    fflush(f);
    c0 = (long long)(len + ul) - 1;
    for (int i = 0; i < HEX; i++)
        fputc('0', f);
    fputs(">", f);
    fflush(f);
    c1 = (long long)(len + ul);
    fputs(" >>\nendobj\n", f);
    fflush(f);
    xo = (long long)(len + ul);
    fprintf(f,
            "xref\n31 1\n%010lld 00000 n\r\n62 1\n%010lld 00000 n\r\ntrailer\n<< /Size %d "
            "/Root %d 0 R /Prev %lld >>\nstartxref\n%lld\n%%%%EOF\n",
            (long long)len, o62, size > 63 ? size : 63, rootn, sx, xo);
    fclose(f);
    total = (long long)(len + ul);
    snprintf(br, sizeof(br), "%010lld %010lld %010lld", c0, c1, total - c1);
    at = strstr(u, "/ByteRange [0 ") + 14;
    memcpy(at, br, strlen(br));
    BIO_write(b, p, (int)len);
    BIO_write(b, u, (int)(c0 - (long long)len));
    BIO_write(b, u + (c1 - (long long)len), (int)(total - c1));
    cms = CMS_sign(signer, signer_key, NULL, b, CMS_DETACHED | CMS_BINARY);
    assert_non_null(cms);
    dl = i2d_CMS_ContentInfo(cms, &der);
    assert_true(dl > 0 && 2 * dl <= HEX);
    for (int i = 0; i < dl; i++) {
        char two[3];

        snprintf(two, sizeof(two), "%02X", der[i]);
        memcpy(u + (c0 - (long long)len) + 1 + 2 * i, two, 2);
    }
    write_two(path, p, len, (unsigned char *)u, ul);
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(b);
    free(u);
    free(p);
    free(fld);
}

/* signed, and in the same revision hidden, its caption and look set */
static void
w9_empty_field_signed(const char *path)
{
    w9_field_signed(path, " /V 62 0 R /MK << /BG [ 1 1 1 ] >> /AS /On");
}

/* hidden by a revision no signature covers, then signed: the signature's
 * revision did not hide it */
static void
w9_empty_field_hidden_then_signed(const char *path)
{
    w9_empty_field_hidden(path);
    w9_field_signed(path, " /V 62 0 R");
}

static void
w10_info(const char *path)
{
    revise(path, "31 0 obj\n<< /Producer (a standard signer) /ModDate (D:20261128) >>\nendobj\n",
           "/Info 31 0 R");
}

#define PAINTED "4 0 obj\n<< /Length 24 >>\nstream\n0 0 1 rg 0 0 99 99 re f\nendstream\nendobj\n"

static void
w10_info_is_the_page_content(const char *path)
{
    revise(path, PAINTED, "/Info 4 0 R");
}

static void
w11_metadata(const char *path)
{
    char obj[512];

    snprintf(obj, sizeof(obj),
             "31 0 obj\n<< /Type /Metadata /Subtype /XML /Length %zu >>\nstream\n%s\nendstream\n"
             "endobj\n",
             strlen(XMP), XMP);
    catalog_plus(path, " /Metadata 31 0 R", obj);
}

static void
w11_metadata_is_the_page_content(const char *path)
{
    catalog_plus(path, " /Metadata 4 0 R", PAINTED);
}

#define CERT31 "31 0 obj\n<< /Length 4 >>\nstream\n0\x82\x01\x10\nendstream\nendobj\n"

static void
w12_dss_vri(const char *path)
{
    catalog_plus(path,
                 " /DSS << /Type /DSS /Certs [ 31 0 R ] /VRI << "
                 "/0123456789ABCDEF0123456789ABCDEF01234567 << /Cert [ 31 0 R ] >> >> >>",
                 CERT31);
}

static void
w12_dss_is_the_page_content(const char *path)
{
    catalog_plus(path, " /DSS << /Certs [ 4 0 R ] >>", PAINTED);
}

static void
w12_dss_unknown_key(const char *path)
{
    catalog_plus(path, " /DSS << /Certs [ 31 0 R ] /Names << /JavaScript 3 0 R >> >>", CERT31);
}

/* the number of the last cross-reference stream of path */
static int
xref_stream_num(const char *path)
{
    size_t len;
    unsigned char *p = slurp(path, &len);
    int n = atoi((const char *)p + stamp_startxref(p, (long long)len));

    free(p);
    return n;
}

/* the number page 1 of path names as its /Thumb */
static int
thumb_of(const char *path)
{
    qpdf_data q = qpdf_init();
    char err[256];
    int n;

    assert_int_equal(qpdf_open_checked(q, NULL, 0, path, err, sizeof(err)), HALL_OK);
    n = qpdf_oh_get_object_id(q, qpdf_oh_get_key(q, qpdf_get_page_n(q, 0), "/Thumb"));
    qpdf_cleanup(&q);
    assert_true(n > 0);
    return n;
}

static void
w13_xref_stream_again(const char *path)
{
    revise_xs(path, "30 0 obj\n<< /Producer (x) >>\nendobj\n", 0, NULL, NULL, 0,
              xref_stream_num(path));
}

/* base 3's first cross-reference stream, which its page 1 names as its
 * /Thumb, written again as a "cross-reference stream" that is a picture */
static void
w13_xref_stream_again_shown(const char *path)
{
    char obj[512];

    snprintf(obj, sizeof(obj),
             "%d 0 obj\n<< /Type /XRef /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
             "/BitsPerComponent 8 /Length 1 >>\nstream\nA\nendstream\nendobj\n",
             thumb_of(path));
    revise(path, obj, NULL);
}

static void
w13_xref_stream_made_a_dictionary(const char *path)
{
    char obj[128];

    snprintf(obj, sizeof(obj), "%d 0 obj\n<< /Type /Annot >>\nendobj\n", xref_stream_num(path));
    revise(path, obj, NULL);
}

static void
w14_object_stream(const char *path)
{
    static const int nums[] = {30, 31};
    static const char *const texts[] = {"<< /Producer (a standard signer) >>",
                                        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};

    revise_xs(path, "", 32, nums, texts, 2, 33);
}

/* page 1 (its number in a file qpdf wrote) turned, in a new object stream */
static void
w14_page_in_object_stream(const char *path)
{
    qpdf_data q = qpdf_init();
    char err[256], *c;
    const char *text;
    int num;

    assert_int_equal(qpdf_open_checked(q, NULL, 0, path, err, sizeof(err)), HALL_OK);
    num = qpdf_oh_get_object_id(q, qpdf_get_page_n(q, 0));
    qpdf_cleanup(&q);
    c = obj_edited(path, num, NULL, " /Rotate 90");
    text = strstr(c, "obj\n") + 4;
    *strstr(c, "\nendobj") = '\0';
    revise_xs(path, "", 32, &num, &text, 1, 33);
    free(c);
}

struct wcase {
    const char *rule;
    int base; /* 0 a plain two-page PDF stamped; 1 the same with an empty
               * signature field (31), /Perms and /Extensions 33 0 R; 2 with
               * object streams; 3
               * the same, its page 1 naming its cross-reference stream; 4
               * a text field (31) on page 2, its value without appearance,
               * the form's /DA and /DR (font 32) drawing it */
    void (*make)(const char *path);
    int valid;
    const char *change; /* what the stamp's changes say (NULL: nothing) */
};

static const struct wcase wcases[] = {
    {"W1", 0, w1_catalog_again, 1, NULL},
    {"W1", 0, w1_open_action, 0, "文档目录（Catalog）被修改（/OpenAction）"},
    {"W2", 0, w2_version_raised, 1, NULL},
    {"W2", 0, w2_version_lowered, 0, "文档目录（Catalog）被修改（/Version）"},
    {"W2", 0, w2_version_not_a_name, 0, "文档目录（Catalog）被修改（/Version）"},
    {"W3", 0, w3_extensions, 1, NULL},
    {"W3", 0, w3_extensions_indirect_raised, 1, NULL},
    {"W3", 0, w3_extensions_with_an_action, 0, "文档目录（Catalog）被修改（/Extensions）"},
    {"W3", 1, w3_signed_extensions_raised, 1, NULL},
    {"W3", 1, w3_signed_extensions_with_an_action, 0, "对象33被修改"},
    {"W4", 1, w4_stamped_again, 1, NULL},
    {"W4", 0, w4_perms_added, 0, "文档目录（Catalog）被修改（/Perms）"},
    {"W5", 0, w5_form_da_dr, 1, NULL},
    {"W5", 0, w5_form_redrawn, 0, "表单（AcroForm）被修改（/DA）"},
    {"W5", 4, w5_text_form_da, 0, "表单（AcroForm）被修改（/DA）"},
    {"W5", 4, w5_text_form_dr, 0, "表单（AcroForm）被修改（/DR）"},
    {"W6", 1, w6_fields_indirect, 1, NULL},
    {"W6", 1, w6_fields_item_dropped, 0, "表单域列表被修改"},
    {"W7", 0, w4_stamped_again, 1, NULL},
    {"W7", 0, w7_rotated, 0, "第1页的页面字典被修改（/Rotate）"},
    {"W8", 0, w8_doc_timestamp, 1, NULL},
    {"W8", 0, w8_doc_timestamp_broken, 0, "其后追加的签章2无效"},
    {"W8", 0, w8_widget_with_action, 0, "第2页新增的签名域带有动作（/A、/AA）"},
    {"W8", 0, w8_widget_visible_unsigned, 0, "第2页新增了可见的未签名签名域"},
    {"W9", 1, w9_empty_field_signed, 1, NULL},
    {"W9", 1, w9_empty_field_hidden, 0, "签名域被修改（/F）"},
    {"W9", 1, w9_empty_field_hidden_then_signed, 0, "签名域被修改（/F）"},
    {"W9", 1, w9_empty_field_moved, 0, "签名域被修改（/Rect）"},
    {"W9", 1, w9_empty_field_painted, 0, "签名域被修改（/AP）"},
    {"W9", 1, w9_empty_field_state, 0, "签名域被修改（/AS）"},
    {"W9", 1, w9_empty_field_caption, 0, "签名域被修改（/MK）"},
    {"W9", 1, w9_empty_field_da, 0, "签名域被修改（/DA）"},
    {"W9", 1, w9_empty_field_ff, 0, "签名域被修改（/Ff）"},
    {"W9", 1, w9_empty_field_q, 0, "签名域被修改（/Q）"},
    {"W9", 1, w9_empty_field_untyped, 0, "签名域被修改（/Type）"},
    {"W10", 0, w10_info, 1, NULL},
    {"W10", 0, w10_info_is_the_page_content, 0, "第1页的内容被修改"},
    {"W11", 0, w11_metadata, 1, NULL},
    {"W11", 0, w11_metadata_is_the_page_content, 0, "第1页的内容被修改"},
    {"W12", 0, w12_dss_vri, 1, NULL},
    {"W12", 0, w12_dss_is_the_page_content, 0, "第1页的内容被修改"},
    {"W12", 0, w12_dss_unknown_key, 0, "文档目录（Catalog）被修改（/DSS）"},
    {"W13", 2, w13_xref_stream_again, 1, NULL},
    {"W13", 2, w13_xref_stream_made_a_dictionary, 0, "（/XRef）被修改"},
    {"W13", 3, w13_xref_stream_again_shown, 0, "（/XRef）被修改"},
    {"W14", 2, w14_object_stream, 1, NULL},
    {"W14", 2, w14_page_in_object_stream, 0, "第1页的页面字典被修改（/Rotate）"},
    {"W15", 0, w10_info, 1, NULL},
};

/* the three documents the cases start from, each stamped on page 1 */
static void
wbase(int base, const char *out)
{
    char err[512], in[512], gen[512];

    snprintf(in, sizeof(in), "%s", simple_pdf("wbase.pdf"));
    if (base == 1) {
        char *page = obj_edited(in, 5, "/Annots [ ]", "/Annots [ 31 0 R ]"), all[4096];

        snprintf(all, sizeof(all),
                 "1 0 obj\n<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [ 31 0 R ] >> "
                 "/Perms << /UR3 32 0 R >> /Extensions 33 0 R >>\nendobj\n%s"
                 "31 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T (Empty) /F 4 "
                 "/Rect [ 0 0 0 0 ] /P 5 0 R >>\nendobj\n"
                 "32 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /Reference [ ] >>\nendobj\n"
                 "33 0 obj\n<< /ESIC << /BaseVersion /1.7 /ExtensionLevel 1 >> >>\nendobj\n",
                 page);
        free(page);
        revise(in, all, NULL);
    }
    if (base == 4) {
        char *page = obj_edited(in, 5, "/Annots [ ]", "/Annots [ 31 0 R ]"), all[4096];

        snprintf(all, sizeof(all),
                 "1 0 obj\n<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [ 31 0 R ] "
                 "/DA (/Helv 12 Tf 0 g) /DR << /Font << /Helv 32 0 R >> >> >> >>\nendobj\n%s"
                 "31 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Tx /T (Amount) /V (1000) /F 4 "
                 "/Rect [ 100 700 300 720 ] /P 5 0 R >>\nendobj\n"
                 "32 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n",
                 page);
        free(page);
        revise(in, all, NULL);
    }
    if (base >= 2 && base <= 3) {
        snprintf(gen, sizeof(gen), "%s/wbase-objstm.pdf", top);
        sh("qpdf --object-streams=generate %s %s", in, gen);
        snprintf(in, sizeof(in), "%s", gen);
    }
    if (base == 3) {
        qpdf_data q = qpdf_init();
        char thumb[64], *page;
        int pn;

        assert_int_equal(qpdf_open_checked(q, NULL, 0, in, err, sizeof(err)), HALL_OK);
        pn = qpdf_oh_get_object_id(q, qpdf_get_page_n(q, 0));
        qpdf_cleanup(&q);
        snprintf(thumb, sizeof(thumb), " /Thumb %d 0 R", xref_stream_num(in));
        page = obj_edited(in, pn, NULL, thumb);
        revise(in, page, NULL);
        free(page);
    }
    assert_int_equal(stamp(in, out, signer, signer_key, 1, err), HALL_OK);
}

/*
 * Each rule of the whitelist, with a revision a standard signer writes
 * (the first stamp stays 有效, nothing told) and one that breaks the rule
 * (文档已被修改, the change named).  The files stay in the test's folder
 * (HALL_TEST_KEEP=1): bench/stamp-verdicts reads them.
 */
static void
whitelist__each_rule__a_standard_update_valid_one_breaking_it_modified(void **state)
{
    char base[5][512], out[512];
    const char *ch, *pr;
    struct hall_stamp_report rep;

    (void)state;
    for (int b = 0; b < 5; b++) {
        snprintf(base[b], sizeof(base[b]), "%s/wbase%d-stamped.pdf", top, b);
        wbase(b, base[b]);
    }
    for (size_t i = 0; i < sizeof(wcases) / sizeof(wcases[0]); i++) {
        const struct wcase *w = &wcases[i];

        snprintf(out, sizeof(out), "%s/whitelist-%s-%zu-%s.pdf", top, w->rule, i,
                 w->valid ? "pass" : "break");
        sh("cp %s %s", base[w->base], out);
        w->make(out);
        verify(out, &rep, NULL);
        ch = rep.sigs[0].changes != NULL ? rep.sigs[0].changes : "";
        pr = rep.sigs[0].problem != NULL ? rep.sigs[0].problem : "";
        if (w->valid != (rep.sigs[0].state == HALL_STAMP_VALID) ||
            (w->change != NULL) != (ch[0] != '\0') ||
            (w->change != NULL && strstr(pr, w->change) == NULL))
            fail_msg("%s case %zu (%s): state %d, problem \"%s\", changes \"%s\"", w->rule, i, out,
                     rep.sigs[0].state, pr, ch);
        if (w->valid)
            assert_valid(&rep.sigs[0]);
    }
}

/*
 * A co-signature by a standard PDF 2.0 signer, with the hall's own
 * certificate and TSA: its revision raises the catalog's /Version to 2.0
 * and declares its extensions (ISO 32000-2 §7.12) before it signs.  The
 * earlier stamp stays 有效, with only the later signature told (before,
 * 文档目录（Catalog）被修改（/Version）: a tampering that did not happen).
 */
static void
verify__pdf20_cosignature_version_and_extensions__earlier_stamp_valid(void **state)
{
    char err[512], one[512], two[512];
    struct hall_stamp_report rep;

    (void)state;
    snprintf(one, sizeof(one), "%s/pdf20-cosign-1.pdf", top);
    snprintf(two, sizeof(two), "%s/pdf20-cosign-2.pdf", top);
    assert_int_equal(stamp(simple_pdf("pdf20-cosign.pdf"), one, signer, signer_key, 1, err),
                     HALL_OK);
    catalog_plus(one, " /Version /2.0 /Extensions << " ESIC " " ISO_ " >>", NULL);
    assert_int_equal(stamp(one, two, signer, signer_key, 2, err), HALL_OK);
    verify(two, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    assert_valid(&rep.sigs[0]);
    assert_valid(&rep.sigs[1]);
    assert_int_equal(rep.sigs[0].later_sigs, 1);
    assert_int_equal(rep.sigs[0].later_changes, 0);
    assert_string_equal(rep.sigs[0].changes, "");
}

/*
 * W9 on another signer's file: pyHanko's minimal-two-fields-signed-twice
 * (Adobe Reader fills two prepared fields, one revision each).  The
 * field the second signature fills gets its appearance and /V in that
 * signature's own revision: the first sees nothing changed.  A revision
 * no signature covers then hides that field (/F 132 to /F 134): a change
 * for the first, though the field is filled by an intact signature, and
 * for the second, whose own field it is.
 */
static void
verify__signed_field_hidden_by_an_unsigned_revision__modified(void **state)
{
    const char *hall_root = getenv("HALL_ROOT");
    char src[512], path[512], *c;
    struct hall_stamp_report rep;
    int fid;

    (void)state;
    snprintf(src, sizeof(src), "%s/tests/data/pdf/attacks/pyhanko-adobe-signed-twice.pdf",
             hall_root != NULL ? hall_root : ".");
    snprintf(path, sizeof(path), "%s/w9-signed-then-hidden.pdf", top);
    sh("cp %s %s", src, path);
    verify(path, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    fid = rep.sigs[1].obj_field;
    assert_true(fid > 0);
    assert_string_equal(rep.sigs[0].changes, "");
    assert_string_equal(rep.sigs[1].changes, "");
    c = obj_edited(path, fid, "/F 132", "/F 134");
    revise(path, c, NULL);
    free(c);
    verify(path, &rep, NULL);
    assert_int_equal(rep.nsigs, 2);
    for (int i = 0; i < 2; i++)
        if (rep.sigs[i].state == HALL_STAMP_VALID || rep.sigs[i].changes == NULL ||
            rep.sigs[i].changes[0] == '\0')
            fail_msg("signature %d: state %d, changes \"%s\"", i + 1, rep.sigs[i].state,
                     rep.sigs[i].changes != NULL ? rep.sigs[i].changes : "");
    assert_non_null(strstr(rep.sigs[0].changes, "签名域被修改（/F）"));
}

/* the whitelist is one table: each rule of stamp_allow.c is a row of
 * docs/internals/stamp.md's, naming the same keys and pyHanko rule */
static void
whitelist__the_code_table__is_the_docs_table(void **state)
{
    const char *hall_root = getenv("HALL_ROOT");
    char path[512], *doc;
    size_t len;

    (void)state;
    snprintf(path, sizeof(path), "%s/docs/internals/stamp.md", hall_root != NULL ? hall_root : ".");
    doc = (char *)slurp(path, &len);
    doc[len - 1] = '\0';
    for (int r = 0; r < STAMP_ALLOW_N; r++) {
        char row[16], *at, *end;

        snprintf(row, sizeof(row), "\n| %s |", stamp_allow[r].id);
        at = strstr(doc, row);
        if (at == NULL)
            fail_msg("docs/internals/stamp.md has no row %s", stamp_allow[r].id);
        end = strchr(at + 1, '\n');
        *end = '\0';
        if (strstr(at, stamp_allow[r].pyhanko) == NULL)
            fail_msg("row %s does not name %s", stamp_allow[r].id, stamp_allow[r].pyhanko);
        for (const char *const *k = stamp_allow[r].keys; k != NULL && *k != NULL; k++) {
            char key[64];

            snprintf(key, sizeof(key), "`%s`", *k);
            if (strstr(at, key) == NULL)
                fail_msg("row %s does not name %s", stamp_allow[r].id, key);
        }
        *end = '\n';
    }
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(png_decode__every_filter__pixels_back),
        cmocka_unit_test(point_and_reserve__as_the_doc_says),
        cmocka_unit_test(last_xref__table_or_stream__offset_and_kind),
        cmocka_unit_test(sign__table_pdf__valid_and_qpdf_clean__second_stamp_both_valid),
        cmocka_unit_test(verify__eof_marks__each_revision_end_counted),
        cmocka_unit_test(sign__xref_stream_pdf__valid),
        cmocka_unit_test(verify__byte_changed_in_range__modified),
        cmocka_unit_test(verify__revision_appended_after__modified_and_named),
        cmocka_unit_test(verify__page_text_rewritten_later__modified_page_named),
        cmocka_unit_test(verify__info_rewritten_later__still_valid),
        cmocka_unit_test(verify__signature_dictionary_written_again__newest_read),
        cmocka_unit_test(verify__hostile_contents__judged_as_before),
        cmocka_unit_test(sign__file_the_verifier_cannot_read__refused_nothing_written),
        cmocka_unit_test(sign__size_below_objects_in_use__refused_nothing_written),
        cmocka_unit_test(sign__trailer_id__first_kept_second_new),
        cmocka_unit_test(verify__six_stamps__one_pass_one_open_every_change_seen),
        cmocka_unit_test(verify__64_stamps__each_reported_change_before_the_40th_caught),
        cmocka_unit_test(verify__65_signature_fields__refused_by_name),
        cmocka_unit_test(verify__ranges_crafted_to_overlap__bounded_and_refused_by_name),
        cmocka_unit_test(verify__old_object_stream_rewritten__modified),
        cmocka_unit_test(verify__dangling_reference_filled_after_signing__modified),
        cmocka_unit_test(verify__filled_after_two_stamps__both_modified),
        cmocka_unit_test(verify__content_written_back_later__still_valid),
        cmocka_unit_test(verify__object_changed_in_two_revisions__told_once_as_final),
        cmocka_unit_test(verify__page_tree_reordered_between_stamps__each_names_its_page),
        cmocka_unit_test(verify__hostile_later_sections__modified_never_crash),
        cmocka_unit_test(verdict__records_lower_the_state__one_rule_for_both_verifiers),
        cmocka_unit_test(sign__encrypted_or_damaged_or_unlisted__refused),
        cmocka_unit_test(sign__corpus__page_keeps_every_key_or_refused_with_reason),
        cmocka_unit_test(sign__refused__each_named_before_signing_nothing_written),
        cmocka_unit_test(sign__object_stream_bomb__read_no_further_than_needed),
        cmocka_unit_test(verify__chain_to_the_demo_root__demo),
        cmocka_unit_test(ltv__dss_then_doc_timestamp__B_T_B_LT_B_LTA__allowed_revisions),
        cmocka_unit_test(ltv__lta_twice_on_object_streams__B_LTA_two_doc_timestamps),
        cmocka_unit_test(ltv__signer_expired_after_the_stamp__valid_by_the_kept_evidence_said_so),
        cmocka_unit_test(ltv__tsa_revoked_in_the_embedded_arl_before_the_timestamp__not_valid),
        cmocka_unit_test(verify__second_stamp_same_signer_broken__fails_despite_the_first),
        cmocka_unit_test(verify__second_stamp_signer_cert_byte_changed__second_fails_alone),
        cmocka_unit_test(verify__second_token_tsa_cert_byte_changed__judged_on_its_own),
        cmocka_unit_test(verify__second_stamp_without_certificates__signer_not_found),
        cmocka_unit_test(ltv__one_crl_between_two_stamps_of_one_signer__only_the_first_b_lt),
        cmocka_unit_test(ltv__ocsp_responder_cert_byte_changed__that_answer_judged_on_its_own),
        cmocka_unit_test(sign_sm2__round_trip__ses_signature_valid_qpdf_clean),
        cmocka_unit_test(sign_sm2__after_a_p256_stamp__both_valid_nothing_else_changed),
        cmocka_unit_test(sign_sm2__one_byte_flipped__modified),
        cmocka_unit_test(sign_sm2__seal_not_listing_the_signer_or_wrong_key__refused),
        cmocka_unit_test(verify__pdf20_cosignature_version_and_extensions__earlier_stamp_valid),
        cmocka_unit_test(whitelist__each_rule__a_standard_update_valid_one_breaking_it_modified),
        cmocka_unit_test(verify__signed_field_hidden_by_an_unsigned_revision__modified),
        cmocka_unit_test(whitelist__the_code_table__is_the_docs_table),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
