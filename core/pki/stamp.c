/*
 * The stamp (docs/internals/stamp.md): the writer of the incremental update
 * with its PAdES B-T signature, and the verifier.  API: core/pki/stamp.h.
 *
 * The PDF's structure (pages, the page object and its inherited /MediaBox,
 * /Annots, /AcroForm and its fields, the trailer's /Size /Root /Info /ID,
 * encryption) is read with libqpdf's C API: it parses object streams,
 * cross-reference streams and hybrid files, and refuses a damaged file
 * (recovery off) instead of guessing, which a hand-written reader would do
 * badly.  What qpdf does not say (the last cross-reference section's kind
 * and offset, the revisions' ends) is read from the bytes.  The update
 * itself is written here, byte by byte as the doc says: qpdf would rewrite
 * the file.
 *
 * The CMS is assembled in DER here too (OpenSSL's CMS_sign always adds a
 * signingTime, which PAdES forbids, and orders nothing we could promise the
 * browser writer); verification uses OpenSSL's CMS and TS APIs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/cms.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <qpdf/qpdf-c.h>
#include <zlib.h>

#include "base/base.h"
#include "pki/pki.h"

#define OID_SEAL_ATTR   "2.999.41.2"
#define TSA_PLACEHOLDER 8192          /* the timestamp's size when reserving /Contents */
#define SIG_PLACEHOLDER 72            /* the largest DER ECDSA P-256 signature */
#define PNG_MAX_PIXELS  (4096 * 4096) /* a seal's picture is some hundreds square */
#define FIELDS_MAX      20000         /* form fields walked at most */
#define CONTENTS_MAX    (1024 * 1024) /* /Contents hex digits read at most */
#define TSA_RESP_MAX    (256 * 1024)

/* ---- a growable buffer (bounded) --------------------------------------------- */

struct ob {
    unsigned char *p;
    size_t len, cap, max;
};

static void
ob_put(struct ob *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;

        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (b->p == NULL)
            abort();
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void HALL_PRINTF(2, 3) ob_printf(struct ob *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    if ((size_t)n < sizeof(tmp)) {
        ob_put(b, tmp, (size_t)n);
        return;
    }
    {
        char *big = malloc((size_t)n + 1);

        if (big == NULL)
            abort();
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        ob_put(b, big, (size_t)n);
        free(big);
    }
}

static void
ob_str(struct ob *b, const char *s)
{
    ob_put(b, s, strlen(s));
}

static void
ob_free(struct ob *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ---- DER ------------------------------------------------------------------------ */

static void
der_len(struct ob *b, size_t n)
{
    unsigned char l[5];

    if (n < 0x80) {
        l[0] = (unsigned char)n;
        ob_put(b, l, 1);
    } else if (n < 0x100) {
        l[0] = 0x81;
        l[1] = (unsigned char)n;
        ob_put(b, l, 2);
    } else if (n < 0x10000) {
        l[0] = 0x82;
        l[1] = (unsigned char)(n >> 8);
        l[2] = (unsigned char)n;
        ob_put(b, l, 3);
    } else {
        l[0] = 0x83;
        l[1] = (unsigned char)(n >> 16);
        l[2] = (unsigned char)(n >> 8);
        l[3] = (unsigned char)n;
        ob_put(b, l, 4);
    }
}

static void
der_tlv(struct ob *b, unsigned char tag, const void *v, size_t n)
{
    ob_put(b, &tag, 1);
    der_len(b, n);
    ob_put(b, v, n);
}

/* wraps inner (consumed) in tag */
static void
der_wrap(struct ob *b, unsigned char tag, struct ob *inner)
{
    der_tlv(b, tag, inner->p, inner->len);
    ob_free(inner);
}

static void
der_oid(struct ob *b, const char *dotted)
{
    ASN1_OBJECT *o = OBJ_txt2obj(dotted, 1);
    unsigned char *der = NULL;
    int n;

    if (o == NULL)
        abort();
    n = i2d_ASN1_OBJECT(o, &der);
    if (n <= 0)
        abort();
    ob_put(b, der, (size_t)n);
    OPENSSL_free(der);
    ASN1_OBJECT_free(o);
}

/* AlgorithmIdentifier without parameters (RFC 5754, RFC 5758) */
static void
der_alg(struct ob *b, const char *dotted)
{
    struct ob in = {0};

    der_oid(&in, dotted);
    der_wrap(b, 0x30, &in);
}

static int
der_cmp(const void *a, const void *b)
{
    const struct ob *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);

    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* ---- PDF strings ---------------------------------------------------------------- */

/* UTF-8 -> <FEFF...> (UTF-16BE with its byte-order mark, in hex) */
static void
pdf_utf16(struct ob *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    ob_str(b, "<FEFF");
    while (*p != '\0') {
        uint32_t c;
        int extra;

        if (*p < 0x80) {
            c = *p;
            extra = 0;
        } else if ((*p & 0xe0) == 0xc0) {
            c = *p & 0x1f;
            extra = 1;
        } else if ((*p & 0xf0) == 0xe0) {
            c = *p & 0x0f;
            extra = 2;
        } else {
            c = *p & 0x07;
            extra = 3;
        }
        p++;
        while (extra-- > 0 && (*p & 0xc0) == 0x80)
            c = (c << 6) | (*p++ & 0x3f);
        if (c >= 0x10000) {
            c -= 0x10000;
            ob_printf(b, "%04X%04X", 0xd800 + (unsigned)(c >> 10), 0xdc00 + (unsigned)(c & 0x3ff));
        } else {
            ob_printf(b, "%04X", (unsigned)c);
        }
    }
    ob_str(b, ">");
}

static void
pdf_hex(struct ob *b, const unsigned char *p, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t i;

    ob_str(b, "<");
    for (i = 0; i < n; i++) {
        char two[2] = {hx[p[i] >> 4], hx[p[i] & 15]};

        ob_put(b, two, 2);
    }
    ob_str(b, ">");
}

/* ---- pieces --------------------------------------------------------------------- */

const char *
hall_stamp_state_text(enum hall_stamp_state s)
{
    switch (s) {
    case HALL_STAMP_MODIFIED: return "文档已被修改";
    case HALL_STAMP_FOREIGN: return "非本CA签发";
    case HALL_STAMP_DEMO: return "体验印章";
    case HALL_STAMP_REVOKED_BEFORE: return "签章人证书已吊销（签章前）";
    case HALL_STAMP_SEAL_REVOKED: return "印章已注销";
    case HALL_STAMP_VALID: return "有效";
    }
    return "";
}

void
hall_stamp_point(const double mediabox[4], double x_mm, double y_mm, double *x_pt, double *y_pt)
{
    double left = mediabox[0] < mediabox[2] ? mediabox[0] : mediabox[2];
    double top = mediabox[1] > mediabox[3] ? mediabox[1] : mediabox[3];

    *x_pt = left + x_mm * 72.0 / 25.4;
    *y_pt = top - y_mm * 72.0 / 25.4;
}

size_t
hall_stamp_reserve(size_t der_len)
{
    return (2 * der_len + 1023) / 1024 * 1024;
}

#ifdef HALL_UNITTEST
int png_decode(const unsigned char *png, size_t n, int *w, int *h, unsigned char **rgb,
               unsigned char **alpha);
int last_xref(const unsigned char *tail, size_t n, long long file_len, long long *off, int *table,
              const unsigned char *pdf);
#endif

/* ---- PNG -> RGB rows and alpha rows ---------------------------------------------- */

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* 8-bit, non-interlaced PNGs of any colour type: what the hall's seals are
 * (cairo's RGBA) and what a scan becomes; *rgb and *alpha are malloc'ed */
HALL_TESTABLE int
png_decode(const unsigned char *png, size_t n, int *w, int *h, unsigned char **rgb,
           unsigned char **alpha)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t off = 8, stride, rawlen;
    unsigned char *idat = NULL, *raw = NULL, *prev, *cur;
    size_t idat_len = 0;
    unsigned char pal[256][4];
    int type = -1, depth = 0, interlace = 0, bpp, npal = 0, y, x, rc = HALL_ERR;
    uLongf got;

    *rgb = *alpha = NULL;
    memset(pal, 255, sizeof(pal));
    if (n < 8 || memcmp(png, sig, 8) != 0)
        return HALL_ERR;
    while (off + 12 <= n) {
        uint32_t len = be32(png + off);
        const unsigned char *kind = png + off + 4, *d = png + off + 8;

        if (len > n - off - 12)
            goto out;
        if (memcmp(kind, "IHDR", 4) == 0 && len >= 13) {
            *w = (int)be32(d);
            *h = (int)be32(d + 4);
            depth = d[8];
            type = d[9];
            interlace = d[12];
        } else if (memcmp(kind, "PLTE", 4) == 0) {
            for (npal = 0; npal < 256 && (uint32_t)npal * 3 + 2 < len; npal++) {
                pal[npal][0] = d[npal * 3];
                pal[npal][1] = d[npal * 3 + 1];
                pal[npal][2] = d[npal * 3 + 2];
            }
        } else if (memcmp(kind, "tRNS", 4) == 0 && type == 3) {
            for (uint32_t i = 0; i < len && i < 256; i++)
                pal[i][3] = d[i];
        } else if (memcmp(kind, "IDAT", 4) == 0) {
            unsigned char *more = realloc(idat, idat_len + len + 1);

            if (more == NULL)
                abort();
            idat = more;
            memcpy(idat + idat_len, d, len);
            idat_len += len;
        } else if (memcmp(kind, "IEND", 4) == 0) {
            break;
        }
        off += 12 + len;
    }
    if (depth != 8 || interlace != 0 || *w <= 0 || *h <= 0 || (long long)*w * *h > PNG_MAX_PIXELS ||
        idat == NULL)
        goto out;
    switch (type) {
    case 0:
    case 3: bpp = 1; break;
    case 4: bpp = 2; break;
    case 2: bpp = 3; break;
    case 6: bpp = 4; break;
    default: goto out;
    }
    stride = (size_t)*w * bpp;
    rawlen = (stride + 1) * (size_t)*h;
    raw = malloc(rawlen);
    *rgb = malloc((size_t)*w * *h * 3);
    *alpha = malloc((size_t)*w * *h);
    prev = calloc(1, stride);
    cur = malloc(stride);
    if (raw == NULL || *rgb == NULL || *alpha == NULL || prev == NULL || cur == NULL)
        abort();
    got = rawlen;
    if (uncompress(raw, &got, idat, idat_len) != Z_OK || got != rawlen) {
        free(prev);
        free(cur);
        goto out;
    }
    for (y = 0; y < *h; y++) {
        const unsigned char *line = raw + (size_t)y * (stride + 1);
        int f = line[0];
        size_t i;

        for (i = 0; i < stride; i++) {
            int a = i >= (size_t)bpp ? cur[i - bpp] : 0, b = prev[i],
                c = i >= (size_t)bpp ? prev[i - bpp] : 0, v = line[1 + i];

            if (f == 1)
                v += a;
            else if (f == 2)
                v += b;
            else if (f == 3)
                v += (a + b) >> 1;
            else if (f == 4)
                v += paeth(a, b, c);
            cur[i] = (unsigned char)v;
        }
        for (x = 0; x < *w; x++) {
            unsigned char *o = *rgb + ((size_t)y * *w + x) * 3, *al = *alpha + (size_t)y * *w + x;
            const unsigned char *px = cur + (size_t)x * bpp;

            switch (type) {
            case 0:
                o[0] = o[1] = o[2] = px[0];
                *al = 255;
                break;
            case 4:
                o[0] = o[1] = o[2] = px[0];
                *al = px[1];
                break;
            case 3:
                o[0] = pal[px[0]][0];
                o[1] = pal[px[0]][1];
                o[2] = pal[px[0]][2];
                *al = pal[px[0]][3];
                break;
            case 2:
                memcpy(o, px, 3);
                *al = 255;
                break;
            default: memcpy(o, px, 3); *al = px[3];
            }
        }
        memcpy(prev, cur, stride);
    }
    free(prev);
    free(cur);
    rc = HALL_OK;
out:
    free(idat);
    free(raw);
    if (rc != HALL_OK) {
        free(*rgb);
        free(*alpha);
        *rgb = *alpha = NULL;
    }
    return rc;
}

static unsigned char *
deflate_all(const unsigned char *p, size_t n, size_t *out)
{
    uLongf cap = compressBound(n);
    unsigned char *z = malloc(cap);

    if (z == NULL)
        abort();
    if (compress2(z, &cap, p, n, 9) != Z_OK)
        abort();
    *out = cap;
    return z;
}

/* ---- the PDF through qpdf --------------------------------------------------------- */

/* a qpdf error's text, for the log of a caller that wants it: never shown as
 * the user's message, which is Chinese */
static int
qpdf_open(qpdf_data q, const unsigned char *pdf, size_t len, const char *path, char *err,
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

/* the name of a dictionary key as PDF syntax ("/Type"), escaped by qpdf */
static void
pdf_key(qpdf_data q, struct ob *b, const char *key)
{
    qpdf_oh n = qpdf_oh_new_name(q, key);

    ob_str(b, qpdf_oh_unparse(q, n));
    qpdf_oh_release(q, n);
}

/* a value as PDF syntax: indirect objects as "N G R" */
static void
pdf_val(qpdf_data q, struct ob *b, qpdf_oh v)
{
    ob_str(b, qpdf_oh_unparse(q, v));
}

/* an array's items then " extra" */
static void
pdf_array_plus(qpdf_data q, struct ob *b, qpdf_oh arr, const char *extra)
{
    int i, n = qpdf_oh_is_array(q, arr) ? qpdf_oh_get_array_n_items(q, arr) : 0;

    ob_str(b, "[");
    for (i = 0; i < n; i++) {
        qpdf_oh it = qpdf_oh_get_array_item(q, arr, i);

        pdf_val(q, b, it);
        ob_str(b, " ");
    }
    ob_str(b, extra);
    ob_str(b, "]");
}

static int
num_of(qpdf_data q, qpdf_oh v, double *d)
{
    if (!qpdf_oh_is_number(q, v))
        return HALL_ERR;
    *d = qpdf_oh_get_numeric_value(q, v);
    return HALL_OK;
}

/* the page's /MediaBox, inherited through /Parent */
static int
media_box(qpdf_data q, qpdf_oh page, double box[4])
{
    qpdf_oh node = page;
    int depth, i;

    for (depth = 0; depth < 64 && qpdf_oh_is_dictionary(q, node); depth++) {
        qpdf_oh mb = qpdf_oh_get_key(q, node, "/MediaBox");

        if (qpdf_oh_is_array(q, mb) && qpdf_oh_get_array_n_items(q, mb) == 4) {
            for (i = 0; i < 4; i++)
                if (num_of(q, qpdf_oh_get_array_item(q, mb, i), &box[i]) != HALL_OK)
                    return HALL_ERR;
            return HALL_OK;
        }
        node = qpdf_oh_get_key(q, node, "/Parent");
    }
    return HALL_ERR;
}

/* the signature fields under a field list, their /FT inherited */
static void
count_sig_fields(qpdf_data q, qpdf_oh fields, int inherited_sig, int depth, int *seen, int *sigs)
{
    int i, n;

    if (!qpdf_oh_is_array(q, fields) || depth > 16)
        return;
    n = qpdf_oh_get_array_n_items(q, fields);
    for (i = 0; i < n && *seen < FIELDS_MAX; i++) {
        qpdf_oh f = qpdf_oh_get_array_item(q, fields, i), ft, kids;
        int is_sig = inherited_sig;

        (*seen)++;
        if (!qpdf_oh_is_dictionary(q, f))
            continue;
        ft = qpdf_oh_get_key(q, f, "/FT");
        if (qpdf_oh_is_name(q, ft))
            is_sig = strcmp(qpdf_oh_get_name(q, ft), "/Sig") == 0;
        kids = qpdf_oh_get_key(q, f, "/Kids");
        if (qpdf_oh_is_array(q, kids) && qpdf_oh_has_key(q, f, "/T") &&
            !qpdf_oh_has_key(q, f, "/Subtype"))
            count_sig_fields(q, kids, is_sig, depth + 1, seen, sigs);
        else if (is_sig)
            (*sigs)++;
    }
}

/* the last cross-reference section: its offset (startxref) and whether it
 * is a table; from the file's last 1 KiB */
HALL_TESTABLE int
last_xref(const unsigned char *tail, size_t n, long long file_len, long long *off, int *table,
          const unsigned char *pdf)
{
    size_t i;
    const char *kw = "startxref";
    long long v = -1;

    for (i = n >= 9 ? n - 9 : 0;; i--) {
        if (i + 9 <= n && memcmp(tail + i, kw, 9) == 0) {
            size_t j = i + 9;

            while (j < n && (tail[j] == ' ' || tail[j] == '\r' || tail[j] == '\n'))
                j++;
            v = 0;
            while (j < n && tail[j] >= '0' && tail[j] <= '9' && v < file_len)
                v = v * 10 + (tail[j++] - '0');
            break;
        }
        if (i == 0)
            break;
    }
    if (v <= 0 || v >= file_len)
        return HALL_ERR;
    *off = v;
    *table = file_len - v >= 4 && memcmp(pdf + v, "xref", 4) == 0;
    return HALL_OK;
}

/* ---- the CMS ------------------------------------------------------------------------ */

static void
x509_der(struct ob *b, X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);

    if (n <= 0)
        abort();
    ob_put(b, der, (size_t)n);
    OPENSSL_free(der);
}

/* the signed attributes, each encoded, sorted: the DER SET's content */
static void
signed_attrs(struct ob *set, const unsigned char digest[32], X509 *cert, const unsigned char *seal,
             size_t seal_len)
{
    struct ob a[4] = {{0}}, in = {0}, v = {0}, x = {0};
    unsigned char h[32];
    int i;

    /* contentType = id-data */
    der_oid(&a[0], "1.2.840.113549.1.9.3");
    der_oid(&v, "1.2.840.113549.1.7.1");
    der_wrap(&a[0], 0x31, &v);
    der_wrap(&in, 0x30, &a[0]);
    a[0] = in;
    memset(&in, 0, sizeof(in));
    /* messageDigest */
    der_oid(&in, "1.2.840.113549.1.9.4");
    der_tlv(&v, 0x04, digest, 32);
    der_wrap(&in, 0x31, &v);
    der_wrap(&a[1], 0x30, &in);
    /* signingCertificateV2: SEQ { SEQ OF { ESSCertIDv2 { certHash } } } */
    x509_der(&x, cert);
    SHA256(x.p, x.len, h);
    ob_free(&x);
    der_oid(&in, "1.2.840.113549.1.9.16.2.47");
    der_tlv(&x, 0x04, h, 32);
    {
        struct ob id = {0}, ids = {0}, sc = {0};

        der_wrap(&id, 0x30, &x);
        der_wrap(&ids, 0x30, &id);
        der_wrap(&sc, 0x30, &ids);
        der_wrap(&v, 0x31, &sc);
    }
    ob_put(&in, v.p, v.len);
    ob_free(&v);
    der_wrap(&a[2], 0x30, &in);
    /* the seal */
    der_oid(&in, OID_SEAL_ATTR);
    der_tlv(&in, 0x31, seal, seal_len);
    der_wrap(&a[3], 0x30, &in);
    qsort(a, 4, sizeof(a[0]), der_cmp);
    for (i = 0; i < 4; i++) {
        ob_put(set, a[i].p, a[i].len);
        ob_free(&a[i]);
    }
}

/* ContentInfo { signedData, [0] SignedData } */
static void
cms_build(struct ob *out, X509 *cert, STACK_OF(X509) * chain, const struct ob *attrs,
          const unsigned char *sig, size_t sig_len, const unsigned char *tst, size_t tst_len)
{
    struct ob sd = {0}, t = {0}, si = {0}, ias = {0}, u = {0}, ci = {0};
    unsigned char *der = NULL;
    int i, n;

    /* SignedData */
    der_tlv(&sd, 0x02, "\x01", 1);
    der_alg(&t, "2.16.840.1.101.3.4.2.1");
    der_wrap(&sd, 0x31, &t);
    der_oid(&t, "1.2.840.113549.1.7.1");
    der_wrap(&sd, 0x30, &t);
    x509_der(&t, cert);
    for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
        x509_der(&t, sk_X509_value(chain, i));
    der_wrap(&sd, 0xa0, &t);
    /* SignerInfo */
    der_tlv(&si, 0x02, "\x01", 1);
    n = i2d_X509_NAME(X509_get_issuer_name(cert), &der);
    if (n <= 0)
        abort();
    ob_put(&ias, der, (size_t)n);
    OPENSSL_free(der);
    der = NULL;
    n = i2d_ASN1_INTEGER((ASN1_INTEGER *)X509_get0_serialNumber(cert), &der);
    if (n <= 0)
        abort();
    ob_put(&ias, der, (size_t)n);
    OPENSSL_free(der);
    der_wrap(&si, 0x30, &ias);
    der_alg(&si, "2.16.840.1.101.3.4.2.1");
    der_tlv(&si, 0xa0, attrs->p, attrs->len);
    der_alg(&si, "1.2.840.10045.4.3.2");
    der_tlv(&si, 0x04, sig, sig_len);
    /* unsigned: signatureTimeStampToken */
    der_oid(&u, "1.2.840.113549.1.9.16.2.14");
    der_tlv(&u, 0x31, tst, tst_len);
    der_wrap(&t, 0x30, &u);
    der_wrap(&si, 0xa1, &t);
    der_wrap(&t, 0x30, &si);
    der_wrap(&sd, 0x31, &t);
    der_wrap(&t, 0x30, &sd);
    /* ContentInfo */
    der_oid(&ci, "1.2.840.113549.1.7.2");
    der_wrap(&ci, 0xa0, &t);
    der_wrap(out, 0x30, &ci);
}

/* ---- the timestamp -------------------------------------------------------------------- */

static size_t
curl_sink(char *p, size_t sz, size_t n, void *arg)
{
    struct ob *b = arg;

    if (b->len + sz * n > TSA_RESP_MAX)
        return 0;
    ob_put(b, p, sz * n);
    return sz * n;
}

/* the DER TimeStampToken over sig, from the TSA: NULL with err */
static unsigned char *
timestamp(struct hall_pool *pool, const struct hall_stamp_sign_in *in, const unsigned char *sig,
          size_t sig_len, size_t *tst_len, char *err, size_t errlen)
{
    unsigned char h[32], *req_der = NULL, *resp_der = NULL, *tok = NULL, *out = NULL;
    const unsigned char *cp;
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_INTEGER *nonce = ASN1_INTEGER_new();
    TS_RESP *resp = NULL;
    struct ob body = {0};
    size_t resp_len = 0;
    uint64_t nv;
    int req_len, n;

    if (req == NULL || mi == NULL || alg == NULL || nonce == NULL)
        abort();
    SHA256(sig, sig_len, h);
    X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL);
    if (RAND_bytes((unsigned char *)&nv, sizeof(nv)) != 1)
        abort();
    nv >>= 1;
    if (TS_MSG_IMPRINT_set_algo(mi, alg) != 1 || TS_MSG_IMPRINT_set_msg(mi, h, 32) != 1 ||
        TS_REQ_set_version(req, 1) != 1 || TS_REQ_set_msg_imprint(req, mi) != 1 ||
        ASN1_INTEGER_set_uint64(nonce, nv) != 1 || TS_REQ_set_nonce(req, nonce) != 1 ||
        TS_REQ_set_cert_req(req, 1) != 1)
        abort();
    req_len = i2d_TS_REQ(req, &req_der);
    if (req_len <= 0)
        abort();
    if (in->tsa != NULL) {
        resp_der = in->tsa(in->tsa_arg, pool, req_der, (size_t)req_len, &resp_len);
        if (resp_der == NULL) {
            snprintf(err, errlen, "时间戳服务无应答，未盖章");
            goto out;
        }
    } else {
        CURL *c = curl_easy_init();
        struct curl_slist *hd = NULL;
        long status = 0;
        CURLcode cc;

        if (c == NULL)
            abort();
        hd = curl_slist_append(hd, "Content-Type: application/timestamp-query");
        curl_easy_setopt(c, CURLOPT_URL, in->tsa_url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req_der);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req_len);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_sink);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                         in->tsa_timeout_ms > 0 ? in->tsa_timeout_ms : 15000L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        cc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(hd);
        curl_easy_cleanup(c);
        if (cc != CURLE_OK || status != 200) {
            snprintf(err, errlen, "无法连接时间戳服务（%s）：没有时间戳不能盖章，请检查网络后重试",
                     cc != CURLE_OK ? curl_easy_strerror(cc) : "HTTP 状态异常");
            goto out;
        }
        resp_der = body.p;
        resp_len = body.len;
    }
    cp = resp_der;
    resp = d2i_TS_RESP(NULL, &cp, (long)resp_len);
    if (resp == NULL ||
        ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))) > 1 ||
        TS_RESP_get_token(resp) == NULL) {
        snprintf(err, errlen, "时间戳服务拒绝了请求，未盖章");
        goto out;
    }
    {
        TS_TST_INFO *ti = TS_RESP_get_tst_info(resp);
        TS_MSG_IMPRINT *got = ti != NULL ? TS_TST_INFO_get_msg_imprint(ti) : NULL;
        ASN1_OCTET_STRING *gm = got != NULL ? TS_MSG_IMPRINT_get_msg(got) : NULL;
        const ASN1_INTEGER *gn = ti != NULL ? TS_TST_INFO_get_nonce(ti) : NULL;

        if (gm == NULL || ASN1_STRING_length(gm) != 32 ||
            memcmp(ASN1_STRING_get0_data(gm), h, 32) != 0 || gn == NULL ||
            ASN1_INTEGER_cmp(gn, nonce) != 0) {
            snprintf(err, errlen, "时间戳服务的应答与请求不符，未盖章");
            goto out;
        }
    }
    n = i2d_PKCS7(TS_RESP_get_token(resp), &tok);
    if (n <= 0)
        abort();
    out = hall_palloc(pool, (size_t)n);
    memcpy(out, tok, (size_t)n);
    *tst_len = (size_t)n;
out:
    OPENSSL_free(tok);
    OPENSSL_free(req_der);
    TS_RESP_free(resp);
    TS_REQ_free(req);
    TS_MSG_IMPRINT_free(mi);
    X509_ALGOR_free(alg);
    ASN1_INTEGER_free(nonce);
    ob_free(&body);
    return out;
}

/* ---- signing ------------------------------------------------------------------------ */

struct obj {
    long long num;
    int gen;
    long long off; /* in the whole file */
};

static int
obj_cmp(const void *a, const void *b)
{
    const struct obj *x = a, *y = b;

    return (x->num > y->num) - (x->num < y->num);
}

static void
beijing_date(time_t t, char out[64])
{
    time_t bj = t + 8 * 3600;
    struct tm tm;

    gmtime_r(&bj, &tm);
    snprintf(out, 64, "D:%04d%02d%02d%02d%02d%02d+08'00'", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* writes "num gen obj\n" and records the offset */
static void
obj_begin(struct ob *u, size_t base, struct obj *objs, int *nobjs, long long num, int gen)
{
    objs[*nobjs].num = num;
    objs[*nobjs].gen = gen;
    objs[*nobjs].off = (long long)(base + u->len);
    (*nobjs)++;
    ob_printf(u, "%lld %d obj\n", num, gen);
}

static void
stream_obj(struct ob *u, const char *dict_head, const unsigned char *data, size_t n)
{
    ob_printf(u, "%s /Length %zu >>\nstream\n", dict_head, n);
    ob_put(u, data, n);
    ob_str(u, "\nendstream\nendobj\n");
}

/* a dictionary written again: its keys in qpdf's order with skip's left out,
 * then extra (already PDF syntax) */
static void
dict_again(qpdf_data q, struct ob *u, qpdf_oh d, const char *const *skip, const char *extra)
{
    ob_str(u, "<<");
    qpdf_oh_begin_dict_key_iter(q, d);
    while (qpdf_oh_dict_more_keys(q)) {
        const char *k = qpdf_oh_dict_next_key(q);
        char key[256];
        int i, skipped = 0;

        snprintf(key, sizeof(key), "%s", k);
        for (i = 0; skip != NULL && skip[i] != NULL; i++)
            skipped |= strcmp(skip[i], key) == 0;
        if (skipped)
            continue;
        ob_str(u, " ");
        pdf_key(q, u, key);
        ob_str(u, " ");
        pdf_val(q, u, qpdf_oh_get_key(q, d, key));
    }
    ob_str(u, extra);
    ob_str(u, " >>");
}

unsigned char *
hall_stamp_sign(struct hall_pool *pool, const struct hall_stamp_sign_in *in, size_t *len, char *err,
                size_t errlen)
{
    qpdf_data q = NULL;
    struct hall_seseal_info seal;
    const char *why = NULL;
    unsigned char *rgb = NULL, *alpha = NULL, *zrgb = NULL, *zalpha = NULL, *result = NULL;
    size_t zrgb_len = 0, zalpha_len = 0, base, reserve, gap_at, gap_end;
    int pw = 0, ph = 0, npages, nobjs = 0, table = 0, nsigs = 0, seen = 0, i;
    double box[4], cx, cy, w_pt, h_pt;
    long long size, prev = 0, n_s, n_w, n_n, n_i, n_m, n_x = 0, max_num;
    qpdf_oh trailer, root, page, annots, acro, fields, info_ref, id;
    struct obj objs[16];
    struct ob u = {0}, attrs = {0}, t = {0}, cms = {0}, ids = {0};
    char when[64], ref[64], extra[256], fieldname[64], reason[256];
    unsigned char digest[32], idnew[16], *sig = NULL, *tst = NULL;
    size_t sig_len = 0, tst_len = 0;
    EVP_MD_CTX *md = NULL;
    time_t now = in->now != 0 ? in->now : time(NULL);
    int root_num, root_gen, page_num, page_gen;

    *len = 0;
    if (in->pdf == NULL || in->pdf_len < 16 || in->pdf_len > (size_t)HALL_STAMP_PDF_MAX ||
        memmem(in->pdf, in->pdf_len < 1024 ? in->pdf_len : 1024, "%PDF-", 5) == NULL) {
        snprintf(err, errlen, "文件不是PDF文件（或大于200MB）");
        return NULL;
    }
    if (in->cert == NULL || in->key == NULL) {
        snprintf(err, errlen, "缺少签章人证书或私钥");
        return NULL;
    }
    if (X509_get0_pubkey(in->cert) == NULL) {
        snprintf(err, errlen, "签章人证书无法读取其公钥");
        return NULL;
    }
    if (EVP_PKEY_is_a(X509_get0_pubkey(in->cert), "SM2")) {
        snprintf(
            err, errlen,
            "签章人证书为SM2（国密）证书：盖章工具暂只支持ECDSA P-256签章人，国密签章尚未提供");
        return NULL;
    }
    if (!EVP_PKEY_is_a(X509_get0_pubkey(in->cert), "EC")) {
        snprintf(err, errlen, "签章人证书的密钥不是ECDSA P-256：无法盖章");
        return NULL;
    }
    if (X509_check_private_key(in->cert, in->key) != 1) {
        snprintf(err, errlen, "私钥与签章人证书不匹配：请确认所用的证书介质或令牌");
        return NULL;
    }
    /* the seal: its picture, its name, and that it lists this certificate */
    if (hall_seseal_read(pool, in->seal, in->seal_len, &seal, &why) != HALL_OK) {
        snprintf(err, errlen, "印章文件无效：%s", why);
        return NULL;
    }
    if (!hall_seseal_lists(in->seal, in->seal_len, in->cert)) {
        snprintf(err, errlen, "印章文件（%s）未列出该签章人证书：请使用与该印章对应的证书",
                 seal.es_id);
        return NULL;
    }
    if (seal.width_mm <= 0 || seal.height_mm <= 0 || seal.width_mm > 300 || seal.height_mm > 300 ||
        png_decode(seal.png, seal.png_len, &pw, &ph, &rgb, &alpha) != HALL_OK) {
        snprintf(err, errlen, "印章文件中的印章图片无法读取");
        return NULL;
    }
    zrgb = deflate_all(rgb, (size_t)pw * ph * 3, &zrgb_len);
    zalpha = deflate_all(alpha, (size_t)pw * ph, &zalpha_len);

    /* the PDF */
    q = qpdf_init();
    if (qpdf_open(q, in->pdf, in->pdf_len, NULL, err, errlen) != HALL_OK)
        goto out;
    if (last_xref(in->pdf + (in->pdf_len > 1024 ? in->pdf_len - 1024 : 0),
                  in->pdf_len > 1024 ? 1024 : in->pdf_len, (long long)in->pdf_len, &prev, &table,
                  in->pdf) != HALL_OK) {
        snprintf(err, errlen, "PDF文件已损坏：文件末尾没有交叉引用表的位置（startxref）");
        goto out;
    }
    npages = qpdf_get_num_pages(q);
    if (in->page < 1 || in->page > npages) {
        snprintf(err, errlen, "页码超出范围：该文档共%d页", npages);
        goto out;
    }
    page = qpdf_get_page_n(q, (size_t)(in->page - 1));
    page_num = qpdf_oh_get_object_id(q, page);
    page_gen = qpdf_oh_get_generation(q, page);
    if (media_box(q, page, box) != HALL_OK || page_num <= 0) {
        snprintf(err, errlen, "PDF文件已损坏：第%d页没有页面尺寸（MediaBox）", in->page);
        goto out;
    }
    hall_stamp_point(box, in->x_mm, in->y_mm, &cx, &cy);
    if (in->x_mm < 0 || in->y_mm < 0 || cx > (box[0] > box[2] ? box[0] : box[2]) ||
        cy < (box[1] < box[3] ? box[1] : box[3])) {
        snprintf(err, errlen, "盖章位置超出第%d页的范围（该页宽%.0f毫米、高%.0f毫米）", in->page,
                 (box[2] > box[0] ? box[2] - box[0] : box[0] - box[2]) * 25.4 / 72,
                 (box[3] > box[1] ? box[3] - box[1] : box[1] - box[3]) * 25.4 / 72);
        goto out;
    }
    w_pt = seal.width_mm * 72.0 / 25.4;
    h_pt = seal.height_mm * 72.0 / 25.4;
    trailer = qpdf_get_trailer(q);
    root = qpdf_get_root(q);
    size = qpdf_oh_get_int_value(q, qpdf_oh_get_key(q, trailer, "/Size"));
    root_num = qpdf_oh_get_object_id(q, root);
    root_gen = qpdf_oh_get_generation(q, root);
    if (size <= 0 || root_num <= 0) {
        snprintf(err, errlen, "PDF文件已损坏：文件尾（trailer）缺少/Size或/Root");
        goto out;
    }
    info_ref = qpdf_oh_get_key(q, trailer, "/Info");
    id = qpdf_oh_get_key(q, trailer, "/ID");
    acro = qpdf_oh_get_key(q, root, "/AcroForm");
    fields =
        qpdf_oh_is_dictionary(q, acro) ? qpdf_oh_get_key(q, acro, "/Fields") : qpdf_oh_new_null(q);
    count_sig_fields(q, fields, 0, 0, &seen, &nsigs);
    annots = qpdf_oh_get_key(q, page, "/Annots");

    n_s = size;
    n_w = size + 1;
    n_n = size + 2;
    n_i = size + 3;
    n_m = size + 4;
    max_num = n_m;
    beijing_date(now, when);
    snprintf(fieldname, sizeof(fieldname), "印章%d", nsigs + 1);
    snprintf(reason, sizeof(reason), "电子印章 %s", seal.es_id);

    /* the reserve: the CMS with a placeholder signature and timestamp */
    {
        unsigned char zero[32] = {0}, *ps = calloc(1, SIG_PLACEHOLDER), *pt;
        struct ob tok = {0}, body0 = {0};

        if (ps == NULL)
            abort();
        pt = calloc(1, TSA_PLACEHOLDER);
        if (pt == NULL)
            abort();
        ob_put(&body0, pt, TSA_PLACEHOLDER - 4);
        der_wrap(&tok, 0x30, &body0);
        signed_attrs(&attrs, zero, in->cert, in->seal, in->seal_len);
        cms_build(&t, in->cert, in->chain, &attrs, ps, SIG_PLACEHOLDER, tok.p, tok.len);
        reserve = hall_stamp_reserve(t.len);
        ob_free(&t);
        ob_free(&tok);
        ob_free(&attrs);
        free(ps);
        free(pt);
    }

    /* the update */
    base = in->pdf_len;
    if (in->pdf[in->pdf_len - 1] != '\n' && in->pdf[in->pdf_len - 1] != '\r') {
        ob_str(&u, "\n");
    }
    /* S */
    obj_begin(&u, base, objs, &nobjs, n_s, 0);
    ob_str(&u,
           "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 ");
    {
        size_t br_at = u.len;

        ob_str(&u, "                                 ] /Contents ");
        gap_at = u.len;
        ob_str(&u, "<");
        for (size_t k = 0; k < reserve; k++)
            ob_put(&u, "0", 1);
        ob_str(&u, ">");
        gap_end = u.len;
        ob_printf(&u, " /M (%s) /Name ", when);
        pdf_utf16(&u, seal.name);
        ob_str(&u, " /Reason ");
        pdf_utf16(&u, reason);
        ob_str(&u, " >>\nendobj\n");
        /* W */
        obj_begin(&u, base, objs, &nobjs, n_w, 0);
        ob_str(&u, "<< /Type /Annot /Subtype /Widget /FT /Sig /T ");
        pdf_utf16(&u, fieldname);
        ob_printf(&u,
                  " /V %lld 0 R /F 132 /P %d %d R /Rect [%.2f %.2f %.2f %.2f] /AP << /N %lld 0 R "
                  ">> >>\nendobj\n",
                  n_s, page_num, page_gen, cx - w_pt / 2, cy - h_pt / 2, cx + w_pt / 2,
                  cy + h_pt / 2, n_n);
        /* N */
        obj_begin(&u, base, objs, &nobjs, n_n, 0);
        {
            char content[128], head[256];
            int cl =
                snprintf(content, sizeof(content), "q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", w_pt, h_pt);

            snprintf(head, sizeof(head),
                     "<< /Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f] /Resources << "
                     "/XObject << /Im0 %lld 0 R >> >>",
                     w_pt, h_pt, n_i);
            stream_obj(&u, head, (unsigned char *)content, (size_t)cl);
            /* I */
            obj_begin(&u, base, objs, &nobjs, n_i, 0);
            snprintf(head, sizeof(head),
                     "<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                     "/DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /SMask %lld 0 R",
                     pw, ph, n_m);
            stream_obj(&u, head, zrgb, zrgb_len);
            /* M */
            obj_begin(&u, base, objs, &nobjs, n_m, 0);
            snprintf(head, sizeof(head),
                     "<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                     "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                     pw, ph);
            stream_obj(&u, head, zalpha, zalpha_len);
        }
        /* the page, or its /Annots array, again */
        snprintf(ref, sizeof(ref), "%lld 0 R", n_w);
        if (qpdf_oh_is_array(q, annots) && qpdf_oh_is_indirect(q, annots) &&
            qpdf_oh_get_object_id(q, annots) > 0) {
            obj_begin(&u, base, objs, &nobjs, qpdf_oh_get_object_id(q, annots),
                      qpdf_oh_get_generation(q, annots));
            pdf_array_plus(q, &u, annots, ref);
            ob_str(&u, "\nendobj\n");
        } else {
            static const char *const skip[] = {"/Annots", NULL};
            struct ob a = {0};

            ob_str(&a, " /Annots ");
            pdf_array_plus(q, &a, annots, ref);
            ob_put(&a, "", 1);
            obj_begin(&u, base, objs, &nobjs, page_num, page_gen);
            dict_again(q, &u, page, skip, (const char *)a.p);
            ob_str(&u, "\nendobj\n");
            ob_free(&a);
        }
        /* the form, or the catalog, again */
        {
            static const char *const skip_form[] = {"/Fields", "/SigFlags", NULL};
            static const char *const skip_root[] = {"/AcroForm", NULL};
            struct ob f = {0};

            ob_str(&f, " /Fields ");
            pdf_array_plus(q, &f, fields, ref);
            ob_str(&f, " /SigFlags 3");
            ob_put(&f, "", 1);
            if (qpdf_oh_is_dictionary(q, acro) && qpdf_oh_is_indirect(q, acro) &&
                qpdf_oh_get_object_id(q, acro) > 0) {
                obj_begin(&u, base, objs, &nobjs, qpdf_oh_get_object_id(q, acro),
                          qpdf_oh_get_generation(q, acro));
                dict_again(q, &u, acro, skip_form, (const char *)f.p);
                ob_str(&u, "\nendobj\n");
            } else {
                struct ob form = {0};

                ob_str(&form, " /AcroForm ");
                if (qpdf_oh_is_dictionary(q, acro))
                    dict_again(q, &form, acro, skip_form, (const char *)f.p);
                else
                    ob_printf(&form, "<<%s >>", (const char *)f.p);
                ob_put(&form, "", 1);
                obj_begin(&u, base, objs, &nobjs, root_num, root_gen);
                dict_again(q, &u, root, skip_root, (const char *)form.p);
                ob_str(&u, "\nendobj\n");
                ob_free(&form);
            }
            ob_free(&f);
        }
        /* /ID: the input's first element, a new second */
        if (RAND_bytes(idnew, sizeof(idnew)) != 1)
            abort();
        ob_str(&ids, "[");
        if (qpdf_oh_is_array(q, id) && qpdf_oh_get_array_n_items(q, id) >= 1 &&
            qpdf_oh_is_string(q, qpdf_oh_get_array_item(q, id, 0))) {
            size_t l = 0;
            const char *v =
                qpdf_oh_get_binary_string_value(q, qpdf_oh_get_array_item(q, id, 0), &l);

            pdf_hex(&ids, (const unsigned char *)v, l);
        } else {
            pdf_hex(&ids, idnew, sizeof(idnew));
        }
        ob_str(&ids, " ");
        pdf_hex(&ids, idnew, sizeof(idnew));
        ob_str(&ids, "]");
        ob_put(&ids, "", 1);
        if (qpdf_oh_is_indirect(q, info_ref) && qpdf_oh_get_object_id(q, info_ref) > 0)
            snprintf(extra, sizeof(extra), " /Info %d %d R", qpdf_oh_get_object_id(q, info_ref),
                     qpdf_oh_get_generation(q, info_ref));
        else
            extra[0] = '\0';

        /* the cross-reference section */
        for (i = 0; i < nobjs; i++)
            if (objs[i].num > max_num)
                max_num = objs[i].num;
        if (table) {
            long long xoff = (long long)(base + u.len);

            qsort(objs, (size_t)nobjs, sizeof(objs[0]), obj_cmp);
            ob_str(&u, "xref\n");
            for (i = 0; i < nobjs;) {
                int j = i;

                while (j + 1 < nobjs && objs[j + 1].num == objs[j].num + 1)
                    j++;
                ob_printf(&u, "%lld %d\n", objs[i].num, j - i + 1);
                for (; i <= j; i++)
                    ob_printf(&u, "%010lld %05d n\r\n", objs[i].off, objs[i].gen);
            }
            ob_printf(&u, "trailer\n<< /Size %lld /Root %d %d R%s /ID %s /Prev %lld >>\n",
                      (max_num + 1 > size ? max_num + 1 : size), root_num, root_gen, extra,
                      (const char *)ids.p, prev);
            ob_printf(&u, "startxref\n%lld\n%%%%EOF\n", xoff);
        } else {
            struct ob data = {0}, idx = {0};
            char head[1024];
            long long xoff;

            n_x = max_num + 1;
            xoff = (long long)(base + u.len);
            objs[nobjs].num = n_x;
            objs[nobjs].gen = 0;
            objs[nobjs].off = xoff;
            nobjs++;
            qsort(objs, (size_t)nobjs, sizeof(objs[0]), obj_cmp);
            for (i = 0; i < nobjs;) {
                int j = i;

                while (j + 1 < nobjs && objs[j + 1].num == objs[j].num + 1)
                    j++;
                ob_printf(&idx, "%s%lld %d", idx.len ? " " : "", objs[i].num, j - i + 1);
                for (; i <= j; i++) {
                    unsigned char e[7] = {1,
                                          (unsigned char)(objs[i].off >> 24),
                                          (unsigned char)(objs[i].off >> 16),
                                          (unsigned char)(objs[i].off >> 8),
                                          (unsigned char)objs[i].off,
                                          (unsigned char)(objs[i].gen >> 8),
                                          (unsigned char)objs[i].gen};

                    ob_put(&data, e, 7);
                }
            }
            ob_put(&idx, "", 1);
            ob_printf(&u, "%lld 0 obj\n", n_x);
            snprintf(head, sizeof(head),
                     "<< /Type /XRef /W [1 4 2] /Index [%s] /Prev %lld /Root %d %d R%s /ID %s "
                     "/Size %lld",
                     (const char *)idx.p, prev, root_num, root_gen, extra, (const char *)ids.p,
                     (n_x + 1 > size ? n_x + 1 : size));
            stream_obj(&u, head, data.p, data.len);
            ob_printf(&u, "startxref\n%lld\n%%%%EOF\n", xoff);
            ob_free(&data);
            ob_free(&idx);
        }

        /* /ByteRange, then the digest of the two ranges */
        {
            long long a = (long long)(base + gap_at), b = (long long)(base + gap_end),
                      c = (long long)(base + u.len) - b;
            char br[64];

            snprintf(br, sizeof(br), "%-10lld %-10lld %-10lld", a, b, c);
            memcpy(u.p + br_at, br, 32);
        }
    }
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(md, in->pdf, in->pdf_len) != 1 || EVP_DigestUpdate(md, u.p, gap_at) != 1 ||
        EVP_DigestUpdate(md, u.p + gap_end, u.len - gap_end) != 1 ||
        EVP_DigestFinal_ex(md, digest, NULL) != 1)
        abort();
    EVP_MD_CTX_free(md);
    md = NULL;
    /* the signature over the signed attributes' DER SET */
    signed_attrs(&attrs, digest, in->cert, in->seal, in->seal_len);
    {
        struct ob set = {0};

        der_tlv(&set, 0x31, attrs.p, attrs.len);
        md = EVP_MD_CTX_new();
        if (md == NULL)
            abort();
        if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, in->key) != 1 ||
            EVP_DigestSign(md, NULL, &sig_len, set.p, set.len) != 1) {
            ob_free(&set);
            snprintf(err, errlen, "签名失败：私钥无法签名（令牌是否已拔出？）");
            goto out;
        }
        sig = hall_palloc(pool, sig_len);
        if (EVP_DigestSign(md, sig, &sig_len, set.p, set.len) != 1) {
            ob_free(&set);
            snprintf(err, errlen, "签名失败：私钥无法签名（令牌是否已拔出？）");
            goto out;
        }
        ob_free(&set);
    }
    tst = timestamp(pool, in, sig, sig_len, &tst_len, err, errlen);
    if (tst == NULL)
        goto out;
    cms_build(&cms, in->cert, in->chain, &attrs, sig, sig_len, tst, tst_len);
    if (cms.len * 2 > reserve) {
        snprintf(err, errlen, "签名数据超出预留空间（%zu字节），未盖章", cms.len);
        goto out;
    }
    {
        static const char hx[] = "0123456789ABCDEF";

        for (size_t k = 0; k < cms.len; k++) {
            u.p[gap_at + 1 + 2 * k] = (unsigned char)hx[cms.p[k] >> 4];
            u.p[gap_at + 2 + 2 * k] = (unsigned char)hx[cms.p[k] & 15];
        }
    }
    result = hall_palloc(pool, u.len);
    memcpy(result, u.p, u.len);
    *len = u.len;
out:
    EVP_MD_CTX_free(md);
    ob_free(&u);
    ob_free(&attrs);
    ob_free(&cms);
    ob_free(&ids);
    free(rgb);
    free(alpha);
    free(zrgb);
    free(zalpha);
    if (q != NULL) {
        qpdf_oh_release_all(q);
        qpdf_cleanup(&q);
    }
    return result;
}

/* ---- verifying ---------------------------------------------------------------------- */

static int
pread_all(int fd, void *p, size_t n, long long off)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = pread(fd, (char *)p + got, n - got, (off_t)(off + (long long)got));

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return HALL_ERR;
        got += (size_t)r;
    }
    return HALL_OK;
}

static int
digest_range(int fd, EVP_MD_CTX *md, long long off, long long n)
{
    unsigned char buf[65536];

    while (n > 0) {
        size_t k = n > (long long)sizeof(buf) ? sizeof(buf) : (size_t)n;

        if (pread_all(fd, buf, k, off) != HALL_OK || EVP_DigestUpdate(md, buf, k) != 1)
            return HALL_ERR;
        off += (long long)k;
        n -= (long long)k;
    }
    return HALL_OK;
}

/* the ends of the revisions: just after each %%EOF and its end of line */
static int
revisions(int fd, long long size, long long *ends, int max)
{
    unsigned char buf[65536 + 8];
    long long off = 0;
    size_t keep = 0;
    int n = 0;

    while (off < size && n < max) {
        size_t k = size - off > 65536 ? 65536 : (size_t)(size - off), i;

        if (pread_all(fd, buf + keep, k, off) != HALL_OK)
            return -1;
        for (i = 0; i + 5 <= keep + k && n < max; i++) {
            if (memcmp(buf + i, "%%EOF", 5) == 0) {
                long long end = off - (long long)keep + (long long)i + 5;
                unsigned char c[2] = {0, 0};

                if (end < size)
                    pread_all(fd, c, size - end >= 2 ? 2 : 1, end);
                if (c[0] == '\r' && c[1] == '\n')
                    end += 2;
                else if (end < size && (c[0] == '\r' || c[0] == '\n'))
                    end += 1;
                if (n == 0 || ends[n - 1] != end)
                    ends[n++] = end;
            }
        }
        /* the last 4 bytes again: a %%EOF across the boundary */
        if (keep + k >= 4) {
            memmove(buf, buf + keep + k - 4, 4);
            keep = 4;
        }
        off += (long long)k;
    }
    return n;
}

static const char *
x_name(struct hall_pool *pool, const X509_NAME *nm)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p;
    long n;
    const char *s;

    if (b == NULL)
        abort();
    X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    n = BIO_get_mem_data(b, &p);
    s = hall_pstrndup(pool, p, (size_t)n);
    BIO_free(b);
    return s;
}

static const char *
x_serial(struct hall_pool *pool, X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
    const char *s = hall_pstrdup(pool, hex != NULL ? hex : "");

    OPENSSL_free(hex);
    BN_free(bn);
    return s;
}

static time_t
asn1_time_t(const ASN1_TIME *t)
{
    struct tm tm;

    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return timegm(&tm);
}

/* a PDF date (D:YYYYMMDDHHmmSS+HH'mm') as UTC; 0 when unreadable */
static time_t
pdf_date(const char *s)
{
    struct tm tm;
    int off = 0, sign = 0, hh = 0, mm = 0;

    memset(&tm, 0, sizeof(tm));
    if (strncmp(s, "D:", 2) == 0)
        s += 2;
    if (sscanf(s, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) < 3)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    if (strlen(s) > 14 && (s[14] == '+' || s[14] == '-')) {
        sign = s[14] == '+' ? 1 : -1;
        sscanf(s + 15, "%2d'%2d", &hh, &mm);
        off = sign * (hh * 3600 + mm * 60);
    }
    return timegm(&tm) - off;
}

struct found {
    qpdf_oh field, v, widget;
    const char *name;
};

static void
find_sigs(qpdf_data q, struct hall_pool *pool, qpdf_oh fields, int inherited_sig, int depth,
          int *seen, struct found *out, int *n, int max)
{
    int i, k;

    if (!qpdf_oh_is_array(q, fields) || depth > 16)
        return;
    k = qpdf_oh_get_array_n_items(q, fields);
    for (i = 0; i < k && *seen < FIELDS_MAX && *n < max; i++) {
        qpdf_oh f = qpdf_oh_get_array_item(q, fields, i), ft, kids, v;
        int is_sig = inherited_sig;

        (*seen)++;
        if (!qpdf_oh_is_dictionary(q, f))
            continue;
        ft = qpdf_oh_get_key(q, f, "/FT");
        if (qpdf_oh_is_name(q, ft))
            is_sig = strcmp(qpdf_oh_get_name(q, ft), "/Sig") == 0;
        kids = qpdf_oh_get_key(q, f, "/Kids");
        v = qpdf_oh_get_key(q, f, "/V");
        if (is_sig && qpdf_oh_is_dictionary(q, v)) {
            qpdf_oh t = qpdf_oh_get_key(q, f, "/T");

            out[*n].field = f;
            out[*n].v = v;
            out[*n].widget = qpdf_oh_has_key(q, f, "/Rect") || !qpdf_oh_is_array(q, kids)
                                 ? f
                                 : qpdf_oh_get_array_item(q, kids, 0);
            out[*n].name =
                qpdf_oh_is_string(q, t) ? hall_pstrdup(pool, qpdf_oh_get_utf8_value(q, t)) : "";
            (*n)++;
        } else if (qpdf_oh_is_array(q, kids)) {
            find_sigs(q, pool, kids, is_sig, depth + 1, seen, out, n, max);
        }
    }
}

/* check 2-5 of one signature's CMS (der) */
static void
check_cms(struct hall_pool *pool, int fd, const unsigned char *der, size_t der_len,
          const struct hall_stamp_trust *trust, struct hall_stamp_sig *s, time_t now)
{
    const unsigned char *cp = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &cp, (long)der_len);
    STACK_OF(CMS_SignerInfo) * sis;
    CMS_SignerInfo *si;
    STACK_OF(X509) *certs = NULL, *one = NULL, *untrusted = NULL;
    X509 *signer = NULL;
    X509_ALGOR *dig_alg = NULL, *sig_alg = NULL;
    const EVP_MD *mdt;
    EVP_MD_CTX *md = NULL;
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    ASN1_OCTET_STRING *mdv;
    ASN1_OBJECT *seal_obj = OBJ_txt2obj(OID_SEAL_ATTR, 1);
    ASN1_STRING *seal_der;
    ASN1_STRING *tst_der;
    int i;

    if (cms == NULL || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
        (sis = CMS_get0_SignerInfos(cms)) == NULL || sk_CMS_SignerInfo_num(sis) != 1) {
        s->digest = HALL_STAMP_FAIL;
        s->problem = "签名数据（CMS）无法解析";
        goto out;
    }
    si = sk_CMS_SignerInfo_value(sis, 0);
    certs = CMS_get1_certs(cms);
    for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) {
            signer = sk_X509_value(certs, i);
            break;
        }
    if (signer == NULL) {
        s->signature = HALL_STAMP_FAIL;
        s->problem = "签名数据中没有签章人证书";
        goto out;
    }
    s->signer_subject = x_name(pool, X509_get_subject_name(signer));
    s->signer_issuer = x_name(pool, X509_get_issuer_name(signer));
    s->signer_serial = x_serial(pool, signer);
    s->signer_not_before = asn1_time_t(X509_get0_notBefore(signer));
    s->signer_not_after = asn1_time_t(X509_get0_notAfter(signer));
    /* messageDigest against the ranges, streamed */
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig_alg, &sig_alg);
    mdt = dig_alg != NULL ? EVP_get_digestbyobj(dig_alg->algorithm) : NULL;
    mdv = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
                                      V_ASN1_OCTET_STRING);
    if (mdt == NULL || mdv == NULL) {
        s->digest = HALL_STAMP_FAIL;
        s->problem = "签名数据缺少文档摘要（messageDigest）";
        goto out;
    }
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, mdt, NULL) != 1 ||
        digest_range(fd, md, s->byte_range[0], s->byte_range[1]) != HALL_OK ||
        digest_range(fd, md, s->byte_range[2], s->byte_range[3]) != HALL_OK ||
        EVP_DigestFinal_ex(md, h, &hl) != 1) {
        s->digest = HALL_STAMP_FAIL;
        s->problem = "无法读取签名覆盖的文档内容";
        goto out;
    }
    if ((int)hl != ASN1_STRING_length(mdv) || memcmp(h, ASN1_STRING_get0_data(mdv), hl) != 0) {
        s->digest = HALL_STAMP_FAIL;
        s->problem = "签名后文档内容被改动（摘要不符）";
        goto out;
    }
    s->digest = HALL_STAMP_PASS;
    CMS_SignerInfo_set1_signer_cert(si, signer);
    if (CMS_SignerInfo_verify(si) != 1) {
        s->signature = HALL_STAMP_FAIL;
        s->problem = "签名值验证失败";
        goto out;
    }
    s->signature = HALL_STAMP_PASS;
    /* signingCertificateV2 names the signer */
    {
        ASN1_STRING *scv2 = CMS_signed_get0_data_by_OBJ(
            si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3, V_ASN1_SEQUENCE);
        const unsigned char *p2;
        ESS_SIGNING_CERT_V2 *ss = NULL;

        if (scv2 != NULL) {
            p2 = ASN1_STRING_get0_data(scv2);
            ss = d2i_ESS_SIGNING_CERT_V2(NULL, &p2, ASN1_STRING_length(scv2));
        }
        one = sk_X509_new_null();
        if (one == NULL || sk_X509_push(one, signer) <= 0)
            abort();
        s->signing_cert = ss != NULL && OSSL_ESS_check_signing_certs(NULL, ss, one, 1) > 0
                              ? HALL_STAMP_PASS
                              : HALL_STAMP_FAIL;
        ESS_SIGNING_CERT_V2_free(ss);
    }
    /* the seal attribute */
    seal_der = CMS_signed_get0_data_by_OBJ(si, seal_obj, -3, V_ASN1_SEQUENCE);
    if (seal_der != NULL) {
        struct hall_seseal_info info;
        const char *why = NULL;
        const unsigned char *sp = ASN1_STRING_get0_data(seal_der);
        size_t sl = (size_t)ASN1_STRING_length(seal_der);
        int ok;

        s->is_stamp = 1;
        if (trust->check_seal)
            ok = hall_seseal_verify(pool, sp, sl, NULL, 0, &info, &why) == HALL_OK &&
                 info.signature_ok && info.chain_ok;
        else
            ok = hall_seseal_read(pool, sp, sl, &info, &why) == HALL_OK;
        if (info.es_id != NULL) {
            s->seal_es_id = info.es_id;
            s->seal_name = info.name;
            s->seal_type = info.type;
            s->seal_width_mm = info.width_mm;
            s->seal_height_mm = info.height_mm;
            s->seal_valid_start = info.valid_start;
            s->seal_valid_end = info.valid_end;
            s->seal_png = info.png;
            s->seal_png_len = info.png_len;
        }
        s->seal = ok && hall_seseal_lists(sp, sl, signer) ? HALL_STAMP_PASS : HALL_STAMP_FAIL;
    }
    /* the timestamp over the signature value */
    tst_der = CMS_unsigned_get0_data_by_OBJ(si, OBJ_nid2obj(NID_id_smime_aa_timeStampToken), -3,
                                            V_ASN1_SEQUENCE);
    if (tst_der != NULL) {
        const unsigned char *tp = ASN1_STRING_get0_data(tst_der);
        PKCS7 *tok = d2i_PKCS7(NULL, &tp, ASN1_STRING_length(tst_der));
        TS_VERIFY_CTX *vc = TS_VERIFY_CTX_new();
        X509_STORE *st = X509_STORE_new();
        ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
        BIO *data = BIO_new_mem_buf(ASN1_STRING_get0_data(sv), ASN1_STRING_length(sv));

        if (vc == NULL || st == NULL || data == NULL)
            abort();
        for (i = 0; trust->roots != NULL && i < sk_X509_num(trust->roots); i++)
            X509_STORE_add_cert(st, sk_X509_value(trust->roots, i));
        TS_VERIFY_CTX_set_flags(vc,
                                TS_VFY_SIGNATURE | TS_VFY_DATA | TS_VFY_VERSION | TS_VFY_SIGNER);
        TS_VERIFY_CTX_set_data(vc, data);
        TS_VERIFY_CTX_set_store(vc, st);
        if (tok != NULL && TS_RESP_verify_token(vc, tok) == 1) {
            TS_TST_INFO *ti = PKCS7_to_TS_TST_INFO(tok);
            STACK_OF(X509) *tcerts = tok->d.sign != NULL ? tok->d.sign->cert : NULL;

            s->timestamp = HALL_STAMP_PASS;
            s->signing_time = ti != NULL ? asn1_time_t(TS_TST_INFO_get_time(ti)) : 0;
            if (tcerts != NULL && sk_X509_num(tcerts) > 0)
                s->tsa_subject = x_name(pool, X509_get_subject_name(sk_X509_value(tcerts, 0)));
            TS_TST_INFO_free(ti);
        } else {
            s->timestamp = HALL_STAMP_FAIL;
        }
        TS_VERIFY_CTX_free(vc); /* frees data and the store */
        PKCS7_free(tok);
    } else {
        s->timestamp = HALL_STAMP_FAIL;
    }
    /* the chain, at the signing time when a timestamp proves it */
    untrusted = sk_X509_new_null();
    if (untrusted == NULL)
        abort();
    for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
        sk_X509_push(untrusted, sk_X509_value(certs, i));
    for (i = 0; trust->cas != NULL && i < sk_X509_num(trust->cas); i++)
        sk_X509_push(untrusted, sk_X509_value(trust->cas, i));
    for (int pass = 0; pass < 2 && s->chain != HALL_STAMP_PASS; pass++) {
        X509_STORE *st = X509_STORE_new();
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        int added = 0;

        if (st == NULL || ctx == NULL)
            abort();
        if (pass == 0)
            for (i = 0; trust->roots != NULL && i < sk_X509_num(trust->roots); i++)
                added += X509_STORE_add_cert(st, sk_X509_value(trust->roots, i)) == 1;
        else if (trust->demo_root != NULL)
            added += X509_STORE_add_cert(st, trust->demo_root) == 1;
        if (added > 0 && X509_STORE_CTX_init(ctx, st, signer, untrusted) == 1) {
            X509_STORE_CTX_set_time(ctx, 0, s->signing_time != 0 ? s->signing_time : now);
            if (X509_verify_cert(ctx) == 1) {
                s->chain = HALL_STAMP_PASS;
                s->demo = pass == 1;
            }
        }
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(st);
    }
    if (s->chain != HALL_STAMP_PASS)
        s->chain = HALL_STAMP_FAIL;
out:
    EVP_MD_CTX_free(md);
    sk_X509_free(one);
    sk_X509_free(untrusted);
    sk_X509_pop_free(certs, X509_free);
    ASN1_OBJECT_free(seal_obj);
    CMS_ContentInfo_free(cms);
}

static int
sig_order(const void *a, const void *b)
{
    const struct hall_stamp_sig *x = a, *y = b;
    long long ex = x->byte_range[2] + x->byte_range[3], ey = y->byte_range[2] + y->byte_range[3];

    return (ex > ey) - (ex < ey);
}

/* the state from the document alone (docs/internals/stamp.md §3) */
static void
judge(struct hall_stamp_sig *s)
{
    if (s->range != HALL_STAMP_PASS || s->digest != HALL_STAMP_PASS ||
        s->signature != HALL_STAMP_PASS || s->later_changes) {
        s->state = HALL_STAMP_MODIFIED;
        if (s->problem == NULL || s->problem[0] == '\0')
            s->problem = s->later_changes ? "签章后文档被修改" : "签名覆盖范围不正确";
        return;
    }
    if (s->chain == HALL_STAMP_PASS && s->demo) {
        s->state = HALL_STAMP_DEMO;
        s->problem = "体验印章，不具法律效力";
        return;
    }
    if (!s->is_stamp) {
        s->state = HALL_STAMP_FOREIGN;
        s->problem = "不是本CA的电子印章签章";
    } else if (s->chain != HALL_STAMP_PASS) {
        s->state = HALL_STAMP_FOREIGN;
        s->problem = "签章人证书不是本CA签发";
    } else if (s->signing_cert != HALL_STAMP_PASS) {
        s->state = HALL_STAMP_FOREIGN;
        s->problem = "签名未标明签章人证书（signingCertificateV2）";
    } else if (s->timestamp != HALL_STAMP_PASS) {
        s->state = HALL_STAMP_FOREIGN;
        s->problem = "缺少本CA时间戳服务签发的有效时间戳";
    } else if (s->seal != HALL_STAMP_PASS) {
        s->state = HALL_STAMP_FOREIGN;
        s->problem = "印章无效或未列出签章人证书";
    } else {
        s->state = HALL_STAMP_VALID;
        s->problem = "";
    }
}

int
hall_stamp_verify_fd(struct hall_pool *pool, int fd, const struct hall_stamp_trust *trust,
                     struct hall_stamp_report *rep, char *err, size_t errlen)
{
    char path[64];

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    return hall_stamp_verify_file(pool, path, trust, rep, err, errlen);
}

int
hall_stamp_verify_file(struct hall_pool *pool, const char *path,
                       const struct hall_stamp_trust *trust, struct hall_stamp_report *rep,
                       char *err, size_t errlen)
{
    qpdf_data q = NULL;
    struct found *found = NULL;
    struct stat sb;
    long long *ends = NULL;
    int fd = -1, nrev, nfound = 0, seen = 0, i, j, npages, rc = HALL_ERR;
    unsigned char head[1024];
    time_t now = trust->now != 0 ? trust->now : time(NULL);
    qpdf_oh root, acro;
    int *page_ids = NULL;

    memset(rep, 0, sizeof(*rep));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "无法读取文件");
        goto out;
    }
    rep->file_size = (long long)sb.st_size;
    if (sb.st_size < 16 || sb.st_size > HALL_STAMP_PDF_MAX ||
        pread_all(fd, head, sb.st_size < 1024 ? (size_t)sb.st_size : 1024, 0) != HALL_OK ||
        memmem(head, sb.st_size < 1024 ? (size_t)sb.st_size : 1024, "%PDF-", 5) == NULL) {
        snprintf(err, errlen, "文件不是PDF文件（或大于200MB）");
        goto out;
    }
    q = qpdf_init();
    if (qpdf_open(q, NULL, 0, path, err, errlen) != HALL_OK)
        goto out;
    ends = malloc(sizeof(*ends) * 4096);
    found = malloc(sizeof(*found) * HALL_STAMP_SIGS_MAX);
    if (ends == NULL || found == NULL)
        abort();
    nrev = revisions(fd, rep->file_size, ends, 4096);
    if (nrev <= 0) {
        snprintf(err, errlen, "PDF文件已损坏：没有文件结束标记（%%%%EOF）");
        goto out;
    }
    rep->revisions = nrev;
    root = qpdf_get_root(q);
    acro = qpdf_oh_get_key(q, root, "/AcroForm");
    if (qpdf_oh_is_dictionary(q, acro))
        find_sigs(q, pool, qpdf_oh_get_key(q, acro, "/Fields"), 0, 0, &seen, found, &nfound,
                  HALL_STAMP_SIGS_MAX);
    npages = qpdf_get_num_pages(q);
    page_ids = calloc((size_t)(npages > 0 ? npages : 1), sizeof(int));
    if (page_ids == NULL)
        abort();
    for (i = 0; i < npages; i++)
        page_ids[i] = qpdf_oh_get_object_id(q, qpdf_get_page_n(q, (size_t)i));
    rep->sigs = hall_pcalloc(pool, sizeof(*rep->sigs) * (size_t)(nfound > 0 ? nfound : 1));
    for (i = 0; i < nfound; i++) {
        struct hall_stamp_sig *s = &rep->sigs[i];
        qpdf_oh v = found[i].v, br = qpdf_oh_get_key(q, v, "/ByteRange"),
                contents = qpdf_oh_get_key(q, v, "/Contents"), p, rect, sf, m;
        size_t clen = 0;
        const char *cval = NULL;
        long long end;

        s->field = found[i].name;
        s->problem = "";
        s->after = "";
        sf = qpdf_oh_get_key(q, v, "/SubFilter");
        s->filter = qpdf_oh_is_name(q, sf) ? hall_pstrdup(pool, qpdf_oh_get_name(q, sf) + 1) : "";
        m = qpdf_oh_get_key(q, v, "/M");
        s->claimed_time = qpdf_oh_is_string(q, m) ? pdf_date(qpdf_oh_get_utf8_value(q, m)) : 0;
        p = qpdf_oh_get_key(q, found[i].widget, "/P");
        for (j = 0; j < npages; j++)
            if (page_ids[j] == qpdf_oh_get_object_id(q, p) && page_ids[j] > 0)
                s->page = j + 1;
        rect = qpdf_oh_get_key(q, found[i].widget, "/Rect");
        if (qpdf_oh_is_array(q, rect) && qpdf_oh_get_array_n_items(q, rect) == 4)
            for (j = 0; j < 4; j++)
                num_of(q, qpdf_oh_get_array_item(q, rect, j), &s->rect[j]);
        /* 1. the byte range */
        s->range = HALL_STAMP_FAIL;
        if (!qpdf_oh_is_array(q, br) || qpdf_oh_get_array_n_items(q, br) != 4 ||
            !qpdf_oh_is_string(q, contents)) {
            s->problem = "签名缺少/ByteRange或/Contents";
            continue;
        }
        for (j = 0; j < 4; j++)
            if (!qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_array_item(q, br, j),
                                               &s->byte_range[j]))
                s->byte_range[j] = -1;
        cval = qpdf_oh_get_binary_string_value(q, contents, &clen);
        end = s->byte_range[2] + s->byte_range[3];
        if (s->byte_range[0] != 0 || s->byte_range[1] <= 0 ||
            s->byte_range[2] <= s->byte_range[1] || s->byte_range[3] < 0 || end > rep->file_size ||
            s->byte_range[2] - s->byte_range[1] != 2 * (long long)clen + 2 || clen == 0 ||
            2 * clen > CONTENTS_MAX) {
            s->problem = "签名覆盖范围（/ByteRange）不正确";
            continue;
        }
        {
            /* the gap is exactly /Contents' hex string */
            size_t gl = (size_t)(s->byte_range[2] - s->byte_range[1]), k;
            unsigned char *gap = malloc(gl), *bin = malloc(clen);
            int ok = gap != NULL && bin != NULL &&
                     pread_all(fd, gap, gl, s->byte_range[1]) == HALL_OK && gap[0] == '<' &&
                     gap[gl - 1] == '>';

            if (gap == NULL || bin == NULL)
                abort();
            for (k = 0; ok && k < clen; k++) {
                int hi, lo;
                char c1 = (char)gap[1 + 2 * k], c2 = (char)gap[2 + 2 * k];

                hi = c1 >= '0' && c1 <= '9'                 ? c1 - '0'
                     : (c1 | 32) >= 'a' && (c1 | 32) <= 'f' ? (c1 | 32) - 'a' + 10
                                                            : -1;
                lo = c2 >= '0' && c2 <= '9'                 ? c2 - '0'
                     : (c2 | 32) >= 'a' && (c2 | 32) <= 'f' ? (c2 | 32) - 'a' + 10
                                                            : -1;
                ok = hi >= 0 && lo >= 0;
                if (ok)
                    bin[k] = (unsigned char)(hi << 4 | lo);
            }
            ok = ok && memcmp(bin, cval, clen) == 0;
            free(gap);
            if (!ok) {
                free(bin);
                s->problem = "签名覆盖范围与签名值位置不符";
                continue;
            }
            /* the revision it closes */
            s->revision_end = -1;
            /* its second range ends just after a %%EOF, with or without
             * that line's end */
            for (j = 0; j < nrev; j++)
                if (end >= ends[j] - 2 && end <= ends[j] && end >= 5)
                    s->revision_end = ends[j];
            if (s->revision_end < 0) {
                free(bin);
                s->problem = "签名覆盖范围未止于文件的一个修订版本末尾";
                continue;
            }
            s->range = HALL_STAMP_PASS;
            check_cms(pool, fd, bin, clen, trust, s, now);
            free(bin);
        }
    }
    qsort(rep->sigs, (size_t)nfound, sizeof(rep->sigs[0]), sig_order);
    rep->nsigs = nfound;
    /* what follows each: later signatures' revisions, or other changes */
    for (i = 0; i < nfound; i++) {
        struct hall_stamp_sig *s = &rep->sigs[i];
        int later_revs = 0, sig_revs = 0;

        s->index = i + 1;
        if (s->range == HALL_STAMP_PASS) {
            for (j = 0; j < nrev; j++)
                if (ends[j] > s->revision_end) {
                    int k, has = 0;

                    later_revs++;
                    for (k = 0; k < nfound; k++)
                        has |= rep->sigs[k].range == HALL_STAMP_PASS &&
                               rep->sigs[k].revision_end == ends[j];
                    sig_revs += has;
                }
            for (j = i + 1; j < nfound; j++)
                s->later_sigs += rep->sigs[j].range == HALL_STAMP_PASS;
            s->covers_to_end = later_revs == 0 && s->revision_end >= rep->file_size - 2;
            s->later_changes =
                later_revs > sig_revs || (later_revs == 0 && s->revision_end < rep->file_size - 2);
            if (s->later_changes)
                s->after =
                    s->later_sigs > 0
                        ? hall_psprintf(pool, "其后追加了%d个签章，并有其他修改", s->later_sigs)
                        : "其后文档有其他修改";
            else if (s->later_sigs > 0)
                s->after = hall_psprintf(pool, "其后追加了%d个签章", s->later_sigs);
        }
        judge(s);
    }
    rc = HALL_OK;
out:
    free(ends);
    free(found);
    free(page_ids);
    if (fd >= 0)
        close(fd);
    if (q != NULL) {
        qpdf_oh_release_all(q);
        qpdf_cleanup(&q);
    }
    return rc;
}
