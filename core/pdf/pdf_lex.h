/*
 * core/pdf/pdf_lex.h: the one lexer's token loop, inline, for core/pdf's
 * own files (docs/internals/stamp.md, "One reader: the choice"): the
 * functions pdf/pdf.h declares (pdf_lex_white ... pdf_lex_next) are
 * defined out of line in pdf_lex.c, for the stamp layer; within core/pdf,
 * whose reader calls pdf_lex_next once a token, the macros at the end
 * give the same names these inline bodies.  Included by pdf_int.h only
 * (tests/unit/layers.sh, 7).
 *
 * Follows ISO 32000-1 §7.2 (lexical conventions): white space is NUL, TAB,
 * LF, FF, CR and SP (§7.2.2, Table 1: NUL included, VT not); the
 * delimiters are ( ) < > [ ] { } / % (Table 2); every other byte is
 * regular.  A comment runs from % to the end of its line (CR or LF) and
 * counts as white space (§7.2.3).  Tokens (§7.3): names with #xx escapes
 * (§7.3.5), numbers (§7.3.3), literal strings with balanced parentheses
 * and backslash escapes and hex strings (§7.3.4), keywords (true, null,
 * obj, R, endobj, stream ...), and the delimiters << >> [ ] { }.
 */
#ifndef HALL_PDF_LEX_H
#define HALL_PDF_LEX_H

#ifndef HALL_PDF_INT_H
#error "core/pdf's own: include pdf_int.h, which includes pdf/pdf_lex.h"
#endif

/* a byte's class (pdf_lex_class) */
enum { PDF_CH_REGULAR = 0, PDF_CH_DELIM = 1, PDF_CH_WHITE = 2 };

extern const unsigned char pdf_lex_class[256];

/* NUL, TAB, LF, FF, CR, SP */
static inline int
pdf_lex_white_in(unsigned char c)
{
    return pdf_lex_class[c] == PDF_CH_WHITE;
}

/* ( ) < > [ ] { } / % */
static inline int
pdf_lex_delim_in(unsigned char c)
{
    return pdf_lex_class[c] == PDF_CH_DELIM;
}

/* neither: a byte of a number, a keyword or a name's body */
static inline int
pdf_lex_regular_in(unsigned char c)
{
    return pdf_lex_class[c] == PDF_CH_REGULAR;
}

/* past white space from at (comments not skipped): the first byte that is
 * not, or end */
static inline long long
pdf_lex_skip_white_in(const unsigned char *p, long long at, long long end)
{
    while (at < end && pdf_lex_class[p[at]] == PDF_CH_WHITE)
        at++;
    return at;
}

/* the comment at at ('%'): the CR or LF that ends it, or end */
static inline long long
pdf_lex_comment_end_in(const unsigned char *p, long long at, long long end)
{
    while (at < end && p[at] != '\r' && p[at] != '\n')
        at++;
    return at;
}

/* past white space and comments from at */
static inline long long
pdf_lex_skip_in(const unsigned char *p, long long at, long long end)
{
    for (;;) {
        at = pdf_lex_skip_white_in(p, at, end);
        if (at >= end || p[at] != '%')
            return at;
        at = pdf_lex_comment_end_in(p, at, end);
    }
}

/* the run of regular bytes from at: its end (at when p[at] is not one) */
static inline long long
pdf_lex_regular_end_in(const unsigned char *p, long long at, long long end)
{
    while (at < end && pdf_lex_class[p[at]] == PDF_CH_REGULAR)
        at++;
    return at;
}
/* the run of regular bytes from a: its end into t->b, its kind (a number
 * or a keyword) and an integer's value into t, in one pass */
static inline enum pdf_tok
pdf_lex_regular_run_in(const unsigned char *p, long long a, long long end, struct pdf_token *t)
{
    long long i = a, v = 0;
    int digits = 0, dots = 0, other = 0, vt = 0;

    if (i < end && (p[i] == '+' || p[i] == '-'))
        i++;
    for (; i < end && pdf_lex_class[p[i]] == PDF_CH_REGULAR; i++) {
        unsigned char c = p[i];

        if ((unsigned char)(c - '0') <= 9) {
            digits++;
            v = v < (1LL << 40) ? v * 10 + (c - '0') : v;
        } else {
            dots += c == '.';
            other |= c != '.';
            vt |= c == 0x0b;
        }
    }
    t->b = i;
    t->vt |= vt;
    t->ival = p[a] == '-' ? -v : v;
    if (other || digits == 0 || dots > 1)
        return PDF_TOK_KEYWORD;
    return dots == 0 ? PDF_TOK_INT : PDF_TOK_REAL;
}

static inline enum pdf_tok
pdf_lex_next_in(const unsigned char *p, long long *at, long long end, struct pdf_token *t)
{
    long long i = pdf_lex_skip_in(p, *at, end), e;

    t->a = t->b = i;
    t->ival = 0;
    t->vt = 0;
    if (i >= end) {
        *at = i;
        return t->kind = PDF_TOK_END;
    }
    switch (p[i]) {
    case '(':
        e = pdf_lex_string_end(p, i, end);
        t->kind = e < 0 ? PDF_TOK_UNTERMINATED : PDF_TOK_STRING;
        break;
    case '<':
        if (i + 1 < end && p[i + 1] == '<') {
            e = i + 2;
            t->kind = PDF_TOK_DICT_OPEN;
        } else {
            e = pdf_lex_hex_end(p, i, end);
            t->kind = e < 0 ? PDF_TOK_UNTERMINATED : PDF_TOK_HEX;
        }
        break;
    case '>':
        if (i + 1 < end && p[i + 1] == '>') {
            e = i + 2;
            t->kind = PDF_TOK_DICT_CLOSE;
        } else {
            e = i + 1;
            t->kind = PDF_TOK_BAD;
        }
        break;
    case ')':
        e = i + 1;
        t->kind = PDF_TOK_BAD;
        break;
    case '[':
    case ']':
    case '{':
    case '}':
        e = i + 1;
        t->kind = p[i] == '['   ? PDF_TOK_ARRAY_OPEN
                  : p[i] == ']' ? PDF_TOK_ARRAY_CLOSE
                  : p[i] == '{' ? PDF_TOK_BRACE_OPEN
                                : PDF_TOK_BRACE_CLOSE;
        break;
    case '/': {
        int vt = 0;

        for (e = i + 1; e < end && pdf_lex_class[p[e]] == PDF_CH_REGULAR; e++)
            vt |= p[e] == 0x0b;
        t->vt = vt;
        t->kind = PDF_TOK_NAME;
        break;
    }
    default:
        t->kind = pdf_lex_regular_run_in(p, i, end, t);
        e = t->b;
        break;
    }
    if (e < 0)
        e = end;
    t->b = *at = e;
    return t->kind;
}

/* within core/pdf, the public names are these bodies (pdf_lex.c defines
 * the functions themselves, each name in parentheses) */
#define pdf_lex_white(c)                pdf_lex_white_in(c)
#define pdf_lex_delim(c)                pdf_lex_delim_in(c)
#define pdf_lex_regular(c)              pdf_lex_regular_in(c)
#define pdf_lex_skip(p, at, end)        pdf_lex_skip_in(p, at, end)
#define pdf_lex_regular_end(p, at, end) pdf_lex_regular_end_in(p, at, end)
#define pdf_lex_next(p, at, end, t)     pdf_lex_next_in(p, at, end, t)

#endif
