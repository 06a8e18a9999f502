/*
 * One object's text parsed into a tree (pdf.h, "pdf_obj.c"): ISO 32000-1
 * §7.3, through the one lexer (pdf_lex.h) and nothing else.  Recursive,
 * with the depth bounded (PDF_DEPTH_MAX); every node is at least one byte
 * of text, so a text of n bytes makes at most n nodes.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf.h"
#include "pdf_int.h"

const struct pdf_obj pdf_null = {.type = PDF_NULL};

struct parse {
    struct hall_pool *pool;
    const unsigned char *p;
    long long end;
};

static struct pdf_obj *value(struct parse *ps, long long *at, int depth);

static struct pdf_obj *
node(struct parse *ps, enum pdf_type t, long long a, long long b)
{
    struct pdf_obj *o = hall_pcalloc(ps->pool, sizeof(*o));

    o->type = t;
    o->a = a;
    o->b = b;
    o->data = -1;
    return o;
}

/* items (values, or keys and values) until close: into o->items */
static int
items(struct parse *ps, long long *at, int depth, enum pdf_tok close, struct pdf_obj *o)
{
    struct pdf_obj **v = NULL;
    int n = 0, cap = 0;

    for (;;) {
        struct pdf_token t;
        long long here = *at;
        struct pdf_obj *it;

        if (pdf_lex_next(ps->p, &here, ps->end, &t) == close) {
            *at = here;
            break;
        }
        if (t.kind == PDF_TOK_END || n >= 2 * PDF_ITEMS_MAX)
            goto bad;
        /* a dictionary's key: a name */
        if (close == PDF_TOK_DICT_CLOSE && n % 2 == 0 && t.kind != PDF_TOK_NAME)
            goto bad;
        it = value(ps, at, depth + 1);
        if (it == NULL)
            goto bad;
        if (n == cap) {
            struct pdf_obj **w;

            cap = cap ? cap * 2 : 8;
            w = hall_palloc(ps->pool, sizeof(*w) * (size_t)cap);
            if (n > 0)
                memcpy(w, v, sizeof(*w) * (size_t)n);
            v = w;
        }
        v[n++] = it;
    }
    if (close == PDF_TOK_DICT_CLOSE && n % 2 != 0)
        goto bad;
    o->items = v;
    o->n = close == PDF_TOK_DICT_CLOSE ? n / 2 : n;
    return HALL_OK;
bad:
    return HALL_ERR;
}

/* "G R" after an integer at *at: a reference (its generation into *gen) */
static int
is_ref(const struct parse *ps, long long at, long long *gen, long long *after)
{
    struct pdf_token g, r;

    if (pdf_lex_next(ps->p, &at, ps->end, &g) != PDF_TOK_INT || ps->p[g.a] == '+' ||
        ps->p[g.a] == '-' || g.ival > 65535)
        return 0;
    if (pdf_lex_next(ps->p, &at, ps->end, &r) != PDF_TOK_KEYWORD || r.b - r.a != 1 ||
        ps->p[r.a] != 'R')
        return 0;
    *gen = g.ival;
    *after = at;
    return 1;
}

static struct pdf_obj *
value(struct parse *ps, long long *at, int depth)
{
    const unsigned char *p = ps->p;
    struct pdf_token t;
    struct pdf_obj *o;
    long long gen, after;

    if (depth > PDF_DEPTH_MAX)
        return NULL;
    switch (pdf_lex_next(p, at, ps->end, &t)) {
    case PDF_TOK_INT:
        if (p[t.a] != '+' && p[t.a] != '-' && t.ival > 0 && t.ival < (1LL << 31) &&
            is_ref(ps, *at, &gen, &after)) {
            o = node(ps, PDF_REF, t.a, after);
            o->i = t.ival;
            o->gen = (int)gen;
            *at = after;
            return o;
        }
        o = node(ps, PDF_INT, t.a, t.b);
        o->i = t.ival;
        o->r = (double)t.ival;
        return o;
    case PDF_TOK_REAL: {
        char buf[64];
        size_t n = (size_t)(t.b - t.a);

        o = node(ps, PDF_REAL, t.a, t.b);
        if (n >= sizeof(buf)) /* a number that long is 0 or huge: read its first digits */
            n = sizeof(buf) - 1;
        memcpy(buf, p + t.a, n);
        buf[n] = '\0';
        o->r = strtod(buf, NULL);
        return o;
    }
    case PDF_TOK_KEYWORD:
        if (t.b - t.a == 4 && memcmp(p + t.a, "null", 4) == 0)
            return node(ps, PDF_NULL, t.a, t.b);
        if ((t.b - t.a == 4 && memcmp(p + t.a, "true", 4) == 0) ||
            (t.b - t.a == 5 && memcmp(p + t.a, "false", 5) == 0)) {
            o = node(ps, PDF_BOOL, t.a, t.b);
            o->i = p[t.a] == 't';
            return o;
        }
        return NULL;
    case PDF_TOK_NAME: {
        size_t cap = (size_t)(t.b - t.a) + 1;
        char *s = hall_palloc(ps->pool, cap);

        o = node(ps, PDF_NAME, t.a, t.b);
        o->len = (size_t)pdf_lex_name(p, t.a, t.b, s, cap);
        o->s = s;
        return o;
    }
    case PDF_TOK_STRING: {
        unsigned char *s = hall_palloc(ps->pool, (size_t)(t.b - t.a) + 1);

        o = node(ps, PDF_STRING, t.a, t.b);
        o->len = (size_t)pdf_lex_string(p, t.a, t.b, s);
        s[o->len] = '\0';
        o->s = (const char *)s;
        return o;
    }
    case PDF_TOK_HEX: {
        unsigned char *s = hall_palloc(ps->pool, (size_t)(t.b - t.a) / 2 + 2);
        long long n = pdf_lex_hex_decode(p, t.a, t.b, s);

        if (n < 0)
            return NULL;
        o = node(ps, PDF_STRING, t.a, t.b);
        s[n] = '\0';
        o->len = (size_t)n;
        o->s = (const char *)s;
        return o;
    }
    case PDF_TOK_ARRAY_OPEN:
        o = node(ps, PDF_ARRAY, t.a, t.b);
        if (items(ps, at, depth, PDF_TOK_ARRAY_CLOSE, o) != HALL_OK)
            return NULL;
        o->b = *at;
        return o;
    case PDF_TOK_DICT_OPEN:
        o = node(ps, PDF_DICT, t.a, t.b);
        if (items(ps, at, depth, PDF_TOK_DICT_CLOSE, o) != HALL_OK)
            return NULL;
        o->b = *at;
        return o;
    default: /* the end, ] >> } { without their pair, a lone ) or >, unterminated */ return NULL;
    }
}

struct pdf_obj *
pdf_parse(struct hall_pool *pool, const unsigned char *p, long long *at, long long end)
{
    struct parse ps = {pool, p, end};

    if (*at < 0 || *at > end)
        return NULL;
    return value(&ps, at, 0);
}

const struct pdf_obj *
pdf_dict_get(const struct pdf_obj *d, const char *key)
{
    const struct pdf_obj *v = NULL;
    size_t kl = strlen(key);

    if (d == NULL || (d->type != PDF_DICT && d->type != PDF_STREAM))
        return NULL;
    for (int k = 0; k < d->n; k++) {
        const struct pdf_obj *name = d->items[2 * k];

        if (name->len == kl && memcmp(name->s, key, kl) == 0)
            v = d->items[2 * k + 1];
    }
    return v;
}

int
pdf_is_name(const struct pdf_obj *o, const char *name)
{
    return o != NULL && o->type == PDF_NAME && o->len == strlen(name) &&
           memcmp(o->s, name, o->len) == 0;
}

int
pdf_num(const struct pdf_obj *o, double *v)
{
    if (o == NULL || (o->type != PDF_INT && o->type != PDF_REAL))
        return HALL_ERR;
    *v = o->r;
    return HALL_OK;
}

int
pdf_ref_num(const struct pdf_obj *o)
{
    return o != NULL && o->type == PDF_REF ? (int)o->i : 0;
}

/* PDFDocEncoding's bytes that are not Latin-1 (ISO 32000-1 Annex D.2):
 * 0x18..0x1f, and 0x7f..0xa0 (0xfffd where none is defined; 0xad too) */
static const unsigned short doc_low[8] = {0x02d8, 0x02c7, 0x02c6, 0x02d9,
                                          0x02dd, 0x02db, 0x02da, 0x02dc};
static const unsigned short doc_high[34] = {
    0xfffd, 0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203a, 0x2212,
    0x2030, 0x201e, 0x201c, 0x201d, 0x2018, 0x2019, 0x201a, 0x2122, 0xfb01, 0xfb02, 0x0141, 0x0152,
    0x0160, 0x0178, 0x017d, 0x0131, 0x0142, 0x0153, 0x0161, 0x017e, 0xfffd, 0x20ac};

/* code point c as UTF-8 at o: its length */
static size_t
utf8_put(unsigned char *o, unsigned long c)
{
    if (c < 0x80) {
        o[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (unsigned char)(0xc0 | (c >> 6));
        o[1] = (unsigned char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (c >> 12));
        o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (c >> 18));
    o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (c & 0x3f));
    return 4;
}

const char *
pdf_text_utf8(struct hall_pool *pool, const struct pdf_obj *s)
{
    const unsigned char *b;
    unsigned char *out, *o;
    size_t n;

    if (s == NULL || s->type != PDF_STRING)
        return "";
    b = (const unsigned char *)s->s;
    n = s->len;
    out = o = hall_palloc(pool, 3 * n + 4); /* a byte or a 16-bit unit: at most 3 */
    if (n >= 2 && ((b[0] == 0xfe && b[1] == 0xff) || (b[0] == 0xff && b[1] == 0xfe))) {
        int be = b[0] == 0xfe;
        unsigned long cp = 0;

        for (size_t i = 2; i + 1 < n; i += 2) {
            unsigned bits =
                be ? (unsigned)(b[i] << 8 | b[i + 1]) : (unsigned)(b[i + 1] << 8 | b[i]);

            if ((bits & 0xfc00) == 0xd800) { /* the high half: the low one completes it */
                cp = 0x10000UL + ((unsigned long)(bits & 0x3ff) << 10);
                continue;
            }
            if ((bits & 0xfc00) == 0xdc00)
                cp += bits & 0x3ff;
            else
                cp = bits;
            o += utf8_put(o, cp);
            cp = 0;
        }
    } else if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
        memcpy(o, b + 3, n - 3);
        o += n - 3;
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned long c = b[i];

            if (c >= 0x18 && c <= 0x1f)
                c = doc_low[c - 0x18];
            else if (c >= 0x7f && c <= 0xa0)
                c = doc_high[c - 0x7f];
            else if (c == 0xad)
                c = 0xfffd;
            o += utf8_put(o, c);
        }
    }
    *o = '\0';
    return (const char *)out;
}
