/*
 * The one lexical layer of the PDF layer (core/pdf, pdf.h) and of the stamp
 * library's readers (see
 * pdf_lex.h): character classes, white space and comments, tokens.
 *
 * Owns: what a byte is and where a token ends, for stamp_xref.c,
 * stamp_refs.c, stamp_raw.c, stamp_plain.c and stamp_text.c.  Follows:
 * ISO 32000-1 §7.2 (lexical conventions: Table 1, white space, NUL among
 * it; Table 2, delimiters; §7.2.3 comments) and §7.3 (the objects' tokens:
 * §7.3.3 numbers, §7.3.4 strings, §7.3.5 names).
 */
#include <string.h>

#include "pdf/pdf.h"
#include "pdf_int.h"

const unsigned char pdf_lex_class[256] = {
    [0x00] = PDF_CH_WHITE, ['\t'] = PDF_CH_WHITE, ['\n'] = PDF_CH_WHITE, ['\f'] = PDF_CH_WHITE,
    ['\r'] = PDF_CH_WHITE, [' '] = PDF_CH_WHITE,  ['('] = PDF_CH_DELIM,  [')'] = PDF_CH_DELIM,
    ['<'] = PDF_CH_DELIM,  ['>'] = PDF_CH_DELIM,  ['['] = PDF_CH_DELIM,  [']'] = PDF_CH_DELIM,
    ['{'] = PDF_CH_DELIM,  ['}'] = PDF_CH_DELIM,  ['/'] = PDF_CH_DELIM,  ['%'] = PDF_CH_DELIM,
};

/* the token loop out of line, for the stamp layer (pdf/pdf.h): the same
 * bodies core/pdf's own files have inline (pdf_lex.h); each name in
 * parentheses, past the macro */
int(pdf_lex_white)(unsigned char c)
{
    return pdf_lex_white_in(c);
}

int(pdf_lex_delim)(unsigned char c)
{
    return pdf_lex_delim_in(c);
}

int(pdf_lex_regular)(unsigned char c)
{
    return pdf_lex_regular_in(c);
}

long long(pdf_lex_skip)(const unsigned char *p, long long at, long long end)
{
    return pdf_lex_skip_in(p, at, end);
}

long long(pdf_lex_regular_end)(const unsigned char *p, long long at, long long end)
{
    return pdf_lex_regular_end_in(p, at, end);
}

enum pdf_tok(pdf_lex_next)(const unsigned char *p, long long *at, long long end,
                           struct pdf_token *t)
{
    return pdf_lex_next_in(p, at, end, t);
}

long long
pdf_lex_string_end(const unsigned char *p, long long at, long long end)
{
    int nest = 0;

    for (at++; at < end; at++) {
        if (p[at] == '\\')
            at++;
        else if (p[at] == '(')
            nest++;
        else if (p[at] == ')' && nest-- == 0)
            return at + 1;
    }
    return -1;
}

long long
pdf_lex_hex_end(const unsigned char *p, long long at, long long end)
{
    const unsigned char *gt;

    if (at + 1 >= end)
        return -1;
    gt = memchr(p + at + 1, '>', (size_t)(end - at - 1));
    return gt != NULL ? gt - p + 1 : -1;
}

int
pdf_lex_int(const unsigned char *p, long long a, long long b, long long *v)
{
    int neg = 0;

    if (a < b && (p[a] == '+' || p[a] == '-'))
        neg = p[a++] == '-';
    if (a >= b)
        return -1;
    *v = 0;
    for (; a < b; a++) {
        if (p[a] < '0' || p[a] > '9')
            return -1;
        if (*v < (1LL << 40))
            *v = *v * 10 + (p[a] - '0');
    }
    if (neg)
        *v = -*v;
    return 0;
}

static int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long long
pdf_lex_name(const unsigned char *p, long long a, long long b, char *out, size_t outlen)
{
    size_t o = 0;

    for (; a < b; a++) {
        int c = p[a];

        if (c == '#' && a + 2 < b && hexval(p[a + 1]) >= 0 && hexval(p[a + 2]) >= 0) {
            c = hexval(p[a + 1]) << 4 | hexval(p[a + 2]);
            a += 2;
        }
        if (o + 1 < outlen)
            out[o] = (char)c;
        o++;
    }
    if (outlen > 0)
        out[o < outlen ? o : outlen - 1] = '\0';
    return (long long)o;
}

long long
pdf_lex_string(const unsigned char *p, long long a, long long b, unsigned char *out)
{
    long long o = 0, i;

    for (i = a + 1; i < b - 1; i++) {
        unsigned char c = p[i];

        if (c == '\r') { /* an end of line is LF, whichever it was */
            if (i + 1 < b - 1 && p[i + 1] == '\n')
                i++;
            out[o++] = '\n';
            continue;
        }
        if (c != '\\') {
            out[o++] = c;
            continue;
        }
        if (++i >= b - 1)
            break;
        c = p[i];
        switch (c) {
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case '\r': /* a line continued */
            if (i + 1 < b - 1 && p[i + 1] == '\n')
                i++;
            break;
        case '\n': break;
        default:
            if (c >= '0' && c <= '7') {
                int v = c - '0', k;

                for (k = 1; k < 3 && i + 1 < b - 1 && p[i + 1] >= '0' && p[i + 1] <= '7'; k++)
                    v = v * 8 + (p[++i] - '0');
                out[o++] = (unsigned char)v;
            } else {
                out[o++] = c; /* \( \) \\ and any other: the byte itself */
            }
        }
    }
    return o;
}

long long
pdf_lex_hex_decode(const unsigned char *p, long long a, long long b, unsigned char *out)
{
    long long o = 0, i;
    int hi = -1;

    for (i = a + 1; i < b - 1; i++) {
        int v;

        if (pdf_lex_white(p[i]))
            continue;
        v = hexval(p[i]);
        if (v < 0)
            return -1;
        if (hi < 0) {
            hi = v;
        } else {
            out[o++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        out[o++] = (unsigned char)(hi << 4);
    return o;
}
