/*
 * Stream data decoded (pdf.h, "pdf_filter.c"): ISO 32000-1 §7.4.
 * /FlateDecode (zlib, with the PNG predictors 10-15 of §7.4.4.4, by row,
 * /Colors /BitsPerComponent /Columns), /ASCIIHexDecode, /ASCII85Decode;
 * at most four chained, every output bounded by the caller's max.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pdf/pdf.h"
#include "pdf_int.h"

static unsigned char *
grow(unsigned char *b, size_t *cap, size_t need)
{
    if (need <= *cap)
        return b;
    while (*cap < need)
        *cap = *cap ? *cap * 2 : 4096;
    b = realloc(b, *cap + 1);
    if (b == NULL)
        abort();
    return b;
}

/* inflate, bounded; a stream that stops early keeps what it gave */
static int
inflate_max(const unsigned char *in, size_t n, size_t max, unsigned char **out, size_t *on)
{
    z_stream z;
    unsigned char *o = NULL;
    size_t cap = 0;
    int r;

    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK)
        return HALL_ERR;
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    do {
        o = grow(o, &cap, z.total_out + 65536 > max + 1 ? max + 1 : z.total_out + 65536);
        z.next_out = o + z.total_out;
        z.avail_out = (uInt)(cap - z.total_out);
        if (z.avail_out == 0)
            break;
        r = inflate(&z, Z_NO_FLUSH);
    } while (r == Z_OK && z.total_out <= max);
    *on = z.total_out;
    inflateEnd(&z);
    if ((r != Z_STREAM_END && r != Z_BUF_ERROR && r != Z_OK) || *on > max) {
        free(o);
        return HALL_ERR;
    }
    *out = o;
    return HALL_OK;
}

/* the PNG predictors over rows of cols pixels, colors samples of bpc bits */
static int
png_unpredict(unsigned char *buf, size_t *n, long long colors, long long bpc, long long cols)
{
    size_t bpp, rowlen, stride, rows;

    if (colors < 1 || colors > 32 || (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16) ||
        cols < 1 || cols > (1 << 24))
        return HALL_ERR;
    bpp = (size_t)((colors * bpc + 7) / 8);
    rowlen = (size_t)((colors * bpc * cols + 7) / 8);
    stride = rowlen + 1;
    rows = *n / stride; /* a last partial row is dropped */
    for (size_t r = 0; r < rows; r++) {
        unsigned char tag = buf[r * stride], *in = buf + r * stride + 1;
        unsigned char *o = buf + r * rowlen, *up = r > 0 ? o - rowlen : NULL;

        /* in place: row r's output lies before its input */
        for (size_t c = 0; c < rowlen; c++) {
            unsigned a = c >= bpp ? o[c - bpp] : 0, b = up ? up[c] : 0,
                     cc = up && c >= bpp ? up[c - bpp] : 0;
            unsigned char v = in[c];
            int pa, pb, pc, pp;

            switch (tag) {
            case 0: o[c] = v; break;
            case 1: o[c] = (unsigned char)(v + a); break;
            case 2: o[c] = (unsigned char)(v + b); break;
            case 3: o[c] = (unsigned char)(v + ((a + b) >> 1)); break;
            case 4:
                pp = (int)(a + b) - (int)cc;
                pa = abs(pp - (int)a);
                pb = abs(pp - (int)b);
                pc = abs(pp - (int)cc);
                o[c] = (unsigned char)(v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : cc));
                break;
            default: return HALL_ERR;
            }
        }
    }
    *n = rows * rowlen;
    return HALL_OK;
}

static int
hexval(unsigned char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static int
ahx(const unsigned char *in, size_t n, size_t max, unsigned char **out, size_t *on)
{
    unsigned char *o = malloc(n / 2 + 2);
    size_t k = 0;
    int hi = -1;

    if (o == NULL)
        abort();
    for (size_t i = 0; i < n && in[i] != '>'; i++) {
        int v = hexval(in[i]);

        if (v < 0) {
            if (pdf_lex_white(in[i]))
                continue;
            free(o);
            return HALL_ERR;
        }
        if (hi < 0)
            hi = v;
        else {
            o[k++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        o[k++] = (unsigned char)(hi << 4);
    if (k > max) {
        free(o);
        return HALL_ERR;
    }
    *out = o;
    *on = k;
    return HALL_OK;
}

static int
a85(const unsigned char *in, size_t n, size_t max, unsigned char **out, size_t *on)
{
    /* a 'z' is one byte for four: the output bounded by max, not by n */
    size_t cap = max >= 4 && n <= (max - 4) / 4 ? 4 * n + 8 : max + 8;
    unsigned char *o = malloc(cap);
    size_t k = 0;
    unsigned long long v = 0;
    int m = 0;

    if (o == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = in[i];

        if (pdf_lex_white(c))
            continue;
        if (c == '~')
            break;
        if (k + 4 > max)
            goto bad;
        if (c == 'z' && m == 0) {
            memset(o + k, 0, 4);
            k += 4;
            continue;
        }
        if (c < '!' || c > 'u')
            goto bad;
        v = v * 85 + (unsigned)(c - '!');
        if (++m == 5) {
            if (v > 0xffffffffULL)
                goto bad;
            for (int b = 3; b >= 0; b--)
                o[k++] = (unsigned char)(v >> (8 * b));
            v = 0;
            m = 0;
        }
    }
    if (m == 1)
        goto bad;
    if (m > 1) { /* a last group of m characters: m - 1 bytes */
        for (int j = m; j < 5; j++)
            v = v * 85 + 84;
        for (int b = 3; b > 4 - m; b--)
            o[k++] = (unsigned char)(v >> (8 * b));
    }
    if (k > max)
        goto bad;
    *out = o;
    *on = k;
    return HALL_OK;
bad:
    free(o);
    return HALL_ERR;
}

static long long
parm_int(const struct pdf_obj *parms, const char *key, long long def)
{
    const struct pdf_obj *v = pdf_dict_get(parms, key);

    return v == NULL || v->type == PDF_NULL ? def : v->type == PDF_INT ? v->i : -1;
}

int
pdf_decode(const unsigned char *raw, size_t rawlen, const struct pdf_obj *const *fs,
           const struct pdf_obj *const *ps, int nf, size_t max, unsigned char **out, size_t *n)
{
    unsigned char *cur = NULL;
    size_t curlen = rawlen;

    if (max == 0 || max > PDF_DECODE_MAX)
        max = PDF_DECODE_MAX;
    if (nf < 0 || nf > PDF_FILTERS_MAX)
        return HALL_ERR;
    if (nf == 0 && rawlen > max)
        return HALL_ERR;
    for (int i = 0; i < nf; i++) {
        const unsigned char *in = cur != NULL ? cur : raw;
        unsigned char *o = NULL;
        size_t on = 0;
        int rc;

        if (pdf_is_name(fs[i], "/FlateDecode") || pdf_is_name(fs[i], "/Fl")) {
            rc = inflate_max(in, curlen, max, &o, &on);
            if (rc == HALL_OK && ps[i] != NULL && ps[i]->type == PDF_DICT) {
                long long pred = parm_int(ps[i], "/Predictor", 1);

                if (pred >= 10 && pred <= 15)
                    rc = png_unpredict(o, &on, parm_int(ps[i], "/Colors", 1),
                                       parm_int(ps[i], "/BitsPerComponent", 8),
                                       parm_int(ps[i], "/Columns", 1));
                else if (pred != 1)
                    rc = HALL_ERR;
            }
        } else if (pdf_is_name(fs[i], "/ASCIIHexDecode") || pdf_is_name(fs[i], "/AHx")) {
            rc = ahx(in, curlen, max, &o, &on);
        } else if (pdf_is_name(fs[i], "/ASCII85Decode") || pdf_is_name(fs[i], "/A85")) {
            rc = a85(in, curlen, max, &o, &on);
        } else {
            rc = HALL_ERR;
        }
        free(cur);
        cur = NULL;
        if (rc != HALL_OK) {
            free(o);
            return HALL_ERR;
        }
        cur = o;
        curlen = on;
    }
    if (cur == NULL) {
        cur = malloc(rawlen + 1);
        if (cur == NULL)
            abort();
        memcpy(cur, raw, rawlen);
    } else {
        unsigned char *t = realloc(cur, curlen + 1);

        if (t == NULL)
            abort();
        cur = t;
    }
    cur[curlen] = '\0';
    *out = cur;
    *n = curlen;
    return HALL_OK;
}
