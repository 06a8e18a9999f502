/*
 * Text under a widget (docs/internals/stamp.md §3, "Widgets over
 * widgets"): where a page's content streams show text, found by a small
 * interpreter of the text operators under the graphics state's matrix,
 * for a later stamp's /Rect (the "sneaky signature": a later signer's
 * appearance over what an earlier one signed).  Glyph widths are not
 * read from the fonts: a glyph is taken half as wide as its size.
 *
 * Owns: where text is shown on a page, for stamp_diff.c's check of a later
 * widget.  Follows: ISO 32000-1 §8.3.4 (transformation matrices, the CTM),
 * §8.4 (the graphics state: q, Q, cm), §9.4 (text objects: BT, ET, Tm, Td,
 * TD, T*, Tf and the showing operators Tj, TJ, ' and "); the content's
 * tokens are pdf_lex.c's (§7.2, §7.8.2: a content stream's syntax), the
 * page and its content the PDF layer's (core/pdf/pdf.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf.h"
#include "stamp_int.h"

#define TEXT_CONTENT_MAX (8 << 20) /* a page's decoded content read at most */
#define TEXT_OPS_MAX     2000000   /* operators interpreted at most */

/* what the content's text operators need: the graphics state's matrix,
 * the text matrices, the font size and leading */
struct tscan {
    double ctm[6], saved[64][6];
    int depth;
    double tm[6], tlm[6], fs, tl;
    double num[8];
    int nnum;
    double arr_w; /* a TJ array's advance, text space */
    int in_arr;
    double str_w; /* the last string's advance */
    const double *rect;
    int hit;
};

/* r = a × b, PDF matrices [a b c d e f] */
static void
mat_mul(double r[6], const double a[6], const double b[6])
{
    double t[6];

    t[0] = a[0] * b[0] + a[1] * b[2];
    t[1] = a[0] * b[1] + a[1] * b[3];
    t[2] = a[2] * b[0] + a[3] * b[2];
    t[3] = a[2] * b[1] + a[3] * b[3];
    t[4] = a[4] * b[0] + a[5] * b[2] + b[4];
    t[5] = a[4] * b[1] + a[5] * b[3] + b[5];
    memcpy(r, t, sizeof(t));
}

static void
mat_id(double m[6])
{
    static const double id[6] = {1, 0, 0, 1, 0, 0};

    memcpy(m, id, sizeof(id));
}

/* text of advance w (text space) shown at the text matrix: its box on the
 * page against the widget's rect; the text matrix moved past it */
static void
text_shown(struct tscan *t, double w)
{
    double m[6], xs[4], ys[4], lo_x, hi_x, lo_y, hi_y;
    double px[4] = {0, w, 0, w}, py[4] = {0, 0, t->fs, t->fs};
    int i;

    mat_mul(m, t->tm, t->ctm);
    for (i = 0; i < 4; i++) {
        xs[i] = px[i] * m[0] + py[i] * m[2] + m[4];
        ys[i] = px[i] * m[1] + py[i] * m[3] + m[5];
    }
    lo_x = hi_x = xs[0];
    lo_y = hi_y = ys[0];
    for (i = 1; i < 4; i++) {
        lo_x = xs[i] < lo_x ? xs[i] : lo_x;
        hi_x = xs[i] > hi_x ? xs[i] : hi_x;
        lo_y = ys[i] < lo_y ? ys[i] : lo_y;
        hi_y = ys[i] > hi_y ? ys[i] : hi_y;
    }
    if (w != 0 &&
        (hi_x < t->rect[2] ? hi_x : t->rect[2]) - (lo_x > t->rect[0] ? lo_x : t->rect[0]) > 1 &&
        (hi_y < t->rect[3] ? hi_y : t->rect[3]) - (lo_y > t->rect[1] ? lo_y : t->rect[1]) > 1)
        t->hit = 1;
    {
        double mv[6] = {1, 0, 0, 1, w, 0};

        mat_mul(t->tm, mv, t->tm);
    }
}

static void
text_line(struct tscan *t, double tx, double ty)
{
    double mv[6] = {1, 0, 0, 1, tx, ty};

    mat_mul(t->tlm, mv, t->tlm);
    memcpy(t->tm, t->tlm, sizeof(t->tm));
}

/* one operator with its operands */
static void
text_op(struct tscan *t, const char *op, size_t n)
{
    double *a = t->num;
    int k = t->nnum;

#define OP(s) (n == sizeof(s) - 1 && memcmp(op, s, n) == 0)
    if (OP("q") && t->depth < 64)
        memcpy(t->saved[t->depth++], t->ctm, sizeof(t->ctm));
    else if (OP("Q") && t->depth > 0)
        memcpy(t->ctm, t->saved[--t->depth], sizeof(t->ctm));
    else if (OP("cm") && k >= 6)
        mat_mul(t->ctm, a + k - 6, t->ctm);
    else if (OP("BT")) {
        mat_id(t->tm);
        mat_id(t->tlm);
    } else if (OP("Tf") && k >= 1)
        t->fs = a[k - 1];
    else if (OP("TL") && k >= 1)
        t->tl = a[k - 1];
    else if (OP("Td") && k >= 2)
        text_line(t, a[k - 2], a[k - 1]);
    else if (OP("TD") && k >= 2) {
        t->tl = -a[k - 1];
        text_line(t, a[k - 2], a[k - 1]);
    } else if (OP("Tm") && k >= 6) {
        memcpy(t->tlm, a + k - 6, sizeof(t->tlm));
        memcpy(t->tm, t->tlm, sizeof(t->tm));
    } else if (OP("T*"))
        text_line(t, 0, -t->tl);
    else if (OP("Tj"))
        text_shown(t, t->str_w);
    else if (OP("TJ"))
        text_shown(t, t->arr_w);
    else if (OP("'") || OP("\"")) {
        text_line(t, 0, -t->tl);
        text_shown(t, t->str_w);
    }
#undef OP
    t->nnum = 0;
    t->str_w = 0;
}

/* the bytes a string token shows: a literal string's decoded (pdf_lex.c),
 * a hex string's digits halved */
static long long
shown_len(const unsigned char *p, const struct pdf_token *k)
{
    long long digits = 0, len;
    unsigned char *out;

    if (p[k->a] == '<') {
        for (long long i = k->a + 1; i < k->b - 1; i++)
            digits += !pdf_lex_white(p[i]);
        return digits / 2;
    }
    out = malloc((size_t)(k->b - k->a) + 1);
    if (out == NULL)
        abort();
    /* an unterminated string: read to the end as if it closed there */
    len = pdf_lex_string(p, k->a, k->kind == PDF_TOK_STRING ? k->b : k->b + 1, out);
    free(out);
    return len;
}

/* a number: an operand, or a TJ array's adjustment */
static void
operand(struct tscan *t, const unsigned char *p, const struct pdf_token *k)
{
    char num[32];
    size_t n = (size_t)(k->b - k->a) < sizeof(num) - 1 ? (size_t)(k->b - k->a) : sizeof(num) - 1;
    double v;

    memcpy(num, p + k->a, n);
    num[n] = '\0';
    v = strtod(num, NULL);
    if (t->in_arr)
        t->arr_w -= v / 1000.0 * t->fs;
    else if (t->nnum < 8)
        t->num[t->nnum++] = v;
    else {
        memmove(t->num, t->num + 1, sizeof(double) * 7);
        t->num[7] = v;
    }
}

/* 1 when the page's text (drawn by its content streams, not its form
 * XObjects) lies under rect; glyphs are taken half as wide as high.  The
 * page and its content are read by the PDF layer (core/pdf: the page tree,
 * each content stream decoded and joined), not by libqpdf */
int
stamp_text_under(struct pdf_doc *d, int page, const double rect[4])
{
    const struct pdf_obj *pg;
    unsigned char *p = NULL;
    size_t n = 0;
    long long i = 0;
    long ops = 0;
    struct tscan t;

    if (d == NULL || page <= 0 || (pg = pdf_page(d, page, NULL)) == NULL ||
        pdf_page_content(d, pg, TEXT_CONTENT_MAX, &p, &n) != HALL_OK)
        return 0;
    memset(&t, 0, sizeof(t));
    mat_id(t.ctm);
    mat_id(t.tm);
    mat_id(t.tlm);
    t.rect = rect;
    while (i < (long long)n && !t.hit && ops < TEXT_OPS_MAX) {
        struct pdf_token k;

        switch (pdf_lex_next(p, &i, (long long)n, &k)) {
        case PDF_TOK_STRING:
        case PDF_TOK_UNTERMINATED:
        case PDF_TOK_HEX:
            t.str_w = (double)shown_len(p, &k) * t.fs * 0.5;
            if (t.in_arr)
                t.arr_w += t.str_w;
            break;
        case PDF_TOK_DICT_OPEN: /* a dictionary (marked content's properties): skipped whole */
            for (int depth = 1; depth > 0 && pdf_lex_next(p, &i, (long long)n, &k) != PDF_TOK_END;)
                depth += k.kind == PDF_TOK_DICT_OPEN ? 1 : k.kind == PDF_TOK_DICT_CLOSE ? -1 : 0;
            break;
        case PDF_TOK_ARRAY_OPEN:
            t.in_arr = 1;
            t.arr_w = 0;
            break;
        case PDF_TOK_ARRAY_CLOSE: t.in_arr = 0; break;
        case PDF_TOK_INT:
        case PDF_TOK_REAL: operand(&t, p, &k); break;
        case PDF_TOK_KEYWORD:
            ops++;
            if (k.b - k.a == 2 && memcmp(p + k.a, "ID", 2) == 0) {
                /* an inline image's data: up to " EI" followed by a delimiter */
                for (i++; i + 3 <= (long long)n; i++)
                    if (pdf_lex_white(p[i]) && p[i + 1] == 'E' && p[i + 2] == 'I' &&
                        (i + 3 == (long long)n || !pdf_lex_regular(p[i + 3])))
                        break;
                i += 3;
                t.nnum = 0;
                break;
            }
            text_op(&t, (const char *)p + k.a, (size_t)(k.b - k.a));
            break;
        default: break; /* names, { }, a lone ) or > */
        }
    }
    free(p);
    return t.hit;
}
