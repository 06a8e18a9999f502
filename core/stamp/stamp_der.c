/*
 * The stamp's writing pieces (core/stamp/stamp_int.h): a growable buffer, DER
 * encodings, PDF strings; and the small public pieces of docs/internals/stamp.md.
 *
 * Owns: struct stamp_buf and the encoders every stamp file writes with.
 * Follows: ITU-T X.690 §8 and §10 (DER: definite lengths, the tags and OIDs
 * written here); ISO 32000-1 §7.3.4 (string objects: the hex strings of
 * /Contents and /ID) and §7.9.2.2 (text strings, UTF-16BE after its byte
 * order mark).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>

#include "stamp_int.h"

/* ---- a growable buffer (bounded) --------------------------------------------- */

void
stamp_buf_put(struct stamp_buf *b, const void *p, size_t n)
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
    if (n > 0) /* p may be NULL then (an empty string's bytes) */
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

void
stamp_buf_printf(struct stamp_buf *b, const char *fmt, ...)
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
        stamp_buf_put(b, tmp, (size_t)n);
        return;
    }
    {
        char *big = malloc((size_t)n + 1);

        if (big == NULL)
            abort();
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        stamp_buf_put(b, big, (size_t)n);
        free(big);
    }
}

void
stamp_buf_str(struct stamp_buf *b, const char *s)
{
    stamp_buf_put(b, s, strlen(s));
}

void
stamp_buf_free(struct stamp_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ---- DER ------------------------------------------------------------------------ */

static void
der_len(struct stamp_buf *b, size_t n)
{
    unsigned char l[5];

    if (n < 0x80) {
        l[0] = (unsigned char)n;
        stamp_buf_put(b, l, 1);
    } else if (n < 0x100) {
        l[0] = 0x81;
        l[1] = (unsigned char)n;
        stamp_buf_put(b, l, 2);
    } else if (n < 0x10000) {
        l[0] = 0x82;
        l[1] = (unsigned char)(n >> 8);
        l[2] = (unsigned char)n;
        stamp_buf_put(b, l, 3);
    } else {
        l[0] = 0x83;
        l[1] = (unsigned char)(n >> 16);
        l[2] = (unsigned char)(n >> 8);
        l[3] = (unsigned char)n;
        stamp_buf_put(b, l, 4);
    }
}

void
stamp_der_tlv(struct stamp_buf *b, unsigned char tag, const void *v, size_t n)
{
    stamp_buf_put(b, &tag, 1);
    der_len(b, n);
    stamp_buf_put(b, v, n);
}

void
stamp_der_wrap(struct stamp_buf *b, unsigned char tag, struct stamp_buf *inner)
{
    stamp_der_tlv(b, tag, inner->p, inner->len);
    stamp_buf_free(inner);
}

void
stamp_der_oid(struct stamp_buf *b, const char *dotted)
{
    ASN1_OBJECT *o = OBJ_txt2obj(dotted, 1);
    unsigned char *der = NULL;
    int n;

    if (o == NULL)
        abort();
    n = i2d_ASN1_OBJECT(o, &der);
    if (n <= 0)
        abort();
    stamp_buf_put(b, der, (size_t)n);
    OPENSSL_free(der);
    ASN1_OBJECT_free(o);
}

void
stamp_der_alg(struct stamp_buf *b, const char *dotted)
{
    struct stamp_buf in = {0};

    stamp_der_oid(&in, dotted);
    stamp_der_wrap(b, 0x30, &in);
}

int
stamp_der_cmp(const void *a, const void *b)
{
    const struct stamp_buf *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);

    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* ---- PDF strings ---------------------------------------------------------------- */

void
stamp_pdf_utf16(struct stamp_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    stamp_buf_str(b, "<FEFF");
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
            stamp_buf_printf(b, "%04X%04X", 0xd800 + (unsigned)(c >> 10),
                             0xdc00 + (unsigned)(c & 0x3ff));
        } else {
            stamp_buf_printf(b, "%04X", (unsigned)c);
        }
    }
    stamp_buf_str(b, ">");
}

void
stamp_pdf_hex(struct stamp_buf *b, const unsigned char *p, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t i;

    stamp_buf_str(b, "<");
    for (i = 0; i < n; i++) {
        char two[2] = {hx[p[i] >> 4], hx[p[i] & 15]};

        stamp_buf_put(b, two, 2);
    }
    stamp_buf_str(b, ">");
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
    case HALL_STAMP_CA_SIGNATURE: return "本CA证书的数字签名（非电子印章）";
    case HALL_STAMP_UNSUPPORTED: return "无法验证";
    }
    return "";
}

void
hall_stamp_point(const double mediabox[4], int rotate, double x_mm, double y_mm, double *x_pt,
                 double *y_pt)
{
    double l = mediabox[0] < mediabox[2] ? mediabox[0] : mediabox[2];
    double r = mediabox[0] < mediabox[2] ? mediabox[2] : mediabox[0];
    double b = mediabox[1] < mediabox[3] ? mediabox[1] : mediabox[3];
    double t = mediabox[1] < mediabox[3] ? mediabox[3] : mediabox[1];
    double dx = x_mm * 72.0 / 25.4, dy = y_mm * 72.0 / 25.4;

    /* the page as shown is user space turned clockwise by /Rotate: its
     * top-left corner is user space's bottom-left (90), bottom-right (180)
     * or top-right (270) */
    switch (((rotate % 360) + 360) % 360) {
    case 90:
        *x_pt = l + dy;
        *y_pt = b + dx;
        break;
    case 180:
        *x_pt = r - dx;
        *y_pt = b + dy;
        break;
    case 270:
        *x_pt = r - dy;
        *y_pt = t - dx;
        break;
    default: *x_pt = l + dx; *y_pt = t - dy;
    }
}

size_t
hall_stamp_reserve(size_t der_len)
{
    return (2 * der_len + 1023) / 1024 * 1024;
}
