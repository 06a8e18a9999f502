/*
 * The seal's picture (docs/internals/stamp.md §1, objects I and M): a PNG
 * decoded to RGB rows and alpha rows, which the update stores deflated as
 * an image and its soft mask.
 *
 * Owns: the seal's PNG decoded (stamp_png_decode) and deflated again for
 * the PDF (stamp_deflate).  Follows: ISO/IEC 15948 (PNG: IHDR, IDAT, the
 * five row filters, 8-bit RGB, RGBA, grey and palette); RFC 1950 and 1951
 * (zlib, deflate); ISO 32000-1 §8.9.5 (image dictionaries) and §11.6.5.3
 * (the soft-mask image that carries the alpha).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "stamp_int.h"

/* what the chunks say */
struct png {
    int w, h, type, depth, interlace, bpp;
    unsigned char pal[256][4];
    unsigned char *idat; /* the IDAT chunks joined, malloc'ed */
    size_t idat_len;
};

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

/* IHDR, PLTE, tRNS and the IDATs, up to IEND */
static int
png_chunks(const unsigned char *png, size_t n, struct png *g)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t off = 8;
    int npal;

    if (n < 8 || memcmp(png, sig, 8) != 0)
        return HALL_ERR;
    while (off + 12 <= n) {
        uint32_t len = be32(png + off);
        const unsigned char *kind = png + off + 4, *d = png + off + 8;

        if (len > n - off - 12)
            return HALL_ERR;
        if (memcmp(kind, "IHDR", 4) == 0 && len >= 13) {
            g->w = (int)be32(d);
            g->h = (int)be32(d + 4);
            g->depth = d[8];
            g->type = d[9];
            g->interlace = d[12];
        } else if (memcmp(kind, "PLTE", 4) == 0) {
            for (npal = 0; npal < 256 && (uint32_t)npal * 3 + 2 < len; npal++) {
                g->pal[npal][0] = d[npal * 3];
                g->pal[npal][1] = d[npal * 3 + 1];
                g->pal[npal][2] = d[npal * 3 + 2];
            }
        } else if (memcmp(kind, "tRNS", 4) == 0 && g->type == 3) {
            for (uint32_t i = 0; i < len && i < 256; i++)
                g->pal[i][3] = d[i];
        } else if (memcmp(kind, "IDAT", 4) == 0) {
            unsigned char *more = realloc(g->idat, g->idat_len + len + 1);

            if (more == NULL)
                abort();
            g->idat = more;
            memcpy(g->idat + g->idat_len, d, len);
            g->idat_len += len;
        } else if (memcmp(kind, "IEND", 4) == 0) {
            break;
        }
        off += 12 + len;
    }
    if (g->depth != 8 || g->interlace != 0 || g->w <= 0 || g->h <= 0 ||
        (long long)g->w * g->h > STAMP_PNG_MAX_PIXELS || g->idat == NULL)
        return HALL_ERR;
    switch (g->type) {
    case 0:
    case 3: g->bpp = 1; break;
    case 4: g->bpp = 2; break;
    case 2: g->bpp = 3; break;
    case 6: g->bpp = 4; break;
    default: return HALL_ERR;
    }
    return HALL_OK;
}

/* one row's filter undone: line (its filter byte first) -> cur */
static void
png_unfilter(const unsigned char *line, const unsigned char *prev, unsigned char *cur,
             size_t stride, int bpp)
{
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
}

/* one row's pixels, of the PNG's colour type, as RGB and alpha */
static void
png_pixels(const struct png *g, const unsigned char *cur, unsigned char *rgb, unsigned char *alpha)
{
    int x;

    for (x = 0; x < g->w; x++) {
        unsigned char *o = rgb + (size_t)x * 3, *al = alpha + x;
        const unsigned char *px = cur + (size_t)x * g->bpp;

        switch (g->type) {
        case 0:
            o[0] = o[1] = o[2] = px[0];
            *al = 255;
            break;
        case 4:
            o[0] = o[1] = o[2] = px[0];
            *al = px[1];
            break;
        case 3:
            o[0] = g->pal[px[0]][0];
            o[1] = g->pal[px[0]][1];
            o[2] = g->pal[px[0]][2];
            *al = g->pal[px[0]][3];
            break;
        case 2:
            memcpy(o, px, 3);
            *al = 255;
            break;
        default: memcpy(o, px, 3); *al = px[3];
        }
    }
}

int
stamp_png_decode(const unsigned char *png, size_t n, int *w, int *h, unsigned char **rgb,
                 unsigned char **alpha)
{
    struct png g;
    size_t stride, rawlen;
    unsigned char *raw = NULL, *prev = NULL, *cur = NULL;
    int y, rc = HALL_ERR;
    uLongf got;

    *rgb = *alpha = NULL;
    memset(&g, 0, sizeof(g));
    g.type = -1;
    memset(g.pal, 255, sizeof(g.pal));
    if (png_chunks(png, n, &g) != HALL_OK)
        goto out;
    *w = g.w;
    *h = g.h;
    stride = (size_t)g.w * g.bpp;
    rawlen = (stride + 1) * (size_t)g.h;
    raw = malloc(rawlen);
    *rgb = malloc((size_t)g.w * g.h * 3);
    *alpha = malloc((size_t)g.w * g.h);
    prev = calloc(1, stride);
    cur = malloc(stride);
    if (raw == NULL || *rgb == NULL || *alpha == NULL || prev == NULL || cur == NULL)
        abort();
    got = rawlen;
    if (uncompress(raw, &got, g.idat, g.idat_len) != Z_OK || got != rawlen)
        goto out;
    for (y = 0; y < g.h; y++) {
        png_unfilter(raw + (size_t)y * (stride + 1), prev, cur, stride, g.bpp);
        png_pixels(&g, cur, *rgb + (size_t)y * g.w * 3, *alpha + (size_t)y * g.w);
        memcpy(prev, cur, stride);
    }
    rc = HALL_OK;
out:
    free(prev);
    free(cur);
    free(g.idat);
    free(raw);
    if (rc != HALL_OK) {
        free(*rgb);
        free(*alpha);
        *rgb = *alpha = NULL;
    }
    return rc;
}

unsigned char *
stamp_deflate(const unsigned char *p, size_t n, size_t *out)
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
