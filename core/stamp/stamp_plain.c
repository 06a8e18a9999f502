/*
 * A plain object's text made an object of libqpdf directly, without its
 * parser (docs/internals/stamp.md §3): the signature dictionaries and the
 * dictionaries a later revision writes again, read from the file's bytes
 * (stamp_parse_refs, stamp_xref.c).  libqpdf's C parser tokenizes a
 * stamp's /Contents, some 40,000 hex digits, one by one, and a reference
 * cannot be given to it in a text (stamp_parse_refs marks each, made a
 * reference again one by one after the parse); for 64 stamps, each read
 * in the file and again in the signed revision rolled forward, that was
 * most of what a signature's dictionary cost.
 *
 * Only what is plain is made here: dictionaries whose keys differ, arrays,
 * references, integers, reals, names without escapes, literal strings
 * without escapes or CR and hex strings of whole bytes, the digits alone.
 * Anything else (a comment, a keyword, an escape, a key twice, white space
 * in a hex string...) is left to stamp_parse_refs as before, so what is
 * made is what its parse made.  What is white space, a delimiter or a
 * string's end is pdf_lex.c's, as for every reader of the library (NUL
 * white space, as libqpdf reads it too).
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_lex.h"
#include "stamp_int.h"

/* a hex digit's value times 16, and 0x200; 0: not a hex digit */
static const unsigned short hex_hi[256] = {
    ['0'] = 0x200, ['1'] = 0x210, ['2'] = 0x220, ['3'] = 0x230, ['4'] = 0x240, ['5'] = 0x250,
    ['6'] = 0x260, ['7'] = 0x270, ['8'] = 0x280, ['9'] = 0x290, ['a'] = 0x2a0, ['b'] = 0x2b0,
    ['c'] = 0x2c0, ['d'] = 0x2d0, ['e'] = 0x2e0, ['f'] = 0x2f0, ['A'] = 0x2a0, ['B'] = 0x2b0,
    ['C'] = 0x2c0, ['D'] = 0x2d0, ['E'] = 0x2e0, ['F'] = 0x2f0};
/* a hex digit's value, and 0x400; 0: not a hex digit */
static const unsigned short hex_lo[256] = {
    ['0'] = 0x400, ['1'] = 0x401, ['2'] = 0x402, ['3'] = 0x403, ['4'] = 0x404, ['5'] = 0x405,
    ['6'] = 0x406, ['7'] = 0x407, ['8'] = 0x408, ['9'] = 0x409, ['a'] = 0x40a, ['b'] = 0x40b,
    ['c'] = 0x40c, ['d'] = 0x40d, ['e'] = 0x40e, ['f'] = 0x40f, ['A'] = 0x40a, ['B'] = 0x40b,
    ['C'] = 0x40c, ['D'] = 0x40d, ['E'] = 0x40e, ['F'] = 0x40f};

/* the n digits at at (n even) decoded into a new buffer: NULL when one is
 * not a hex digit (one pass: each pair's two table values or-ed, the
 * digits' marks 0x200 and 0x400 kept through all pairs and looked at once
 * at the end) */
unsigned char *
stamp_hex_decoded(const unsigned char *at, size_t n)
{
    unsigned char *b = malloc(n / 2 + 1);
    unsigned all = 0x600;

    if (b == NULL)
        abort();
    for (size_t i = 0; i < n / 2; i++) {
        unsigned x = (unsigned)hex_hi[at[2 * i]] | hex_lo[at[2 * i + 1]];

        all &= x;
        b[i] = (unsigned char)x;
    }
    if (all != (all | 0x600)) {
        free(b);
        return NULL;
    }
    return b;
}

#define PLAIN_DEPTH    8   /* dictionaries and arrays nested, at most */
#define PLAIN_KEYS     32  /* keys of one dictionary, at most */
#define PLAIN_TOKEN    128 /* a name's or a real's bytes, at most */
#define PLAIN_HEX_LONG 256 /* hex digits from which a string's bytes are kept */
#define PLAIN_HEX_MAX  8   /* strings kept, at most (more: not plain) */

/* q's errors taken: 1 when it had one (as stamp_qerr, stamp_xref.c, which
 * uses this file) */
static int
q_errors(qpdf_data q)
{
    int had = 0;

    while (qpdf_has_error(q)) {
        qpdf_get_error(q);
        had = 1;
    }
    return had;
}

/* white space (pdf_lex.c: NUL among it, as libqpdf reads it) */
static void
sp_skip(const unsigned char *p, long long *at, long long b)
{
    *at = pdf_lex_skip_white(p, *at, b);
}

/* after a token: the end, white space or a delimiter libqpdf's parser ends
 * a number or a name at (not '(' or '%': left to it) */
static int
ends_token(const unsigned char *p, long long at, long long b)
{
    return at >= b || pdf_lex_white(p[at]) || p[at] == '/' || p[at] == '[' || p[at] == ']' ||
           p[at] == '<' || p[at] == '>';
}

/* digits at *at (no leading zero but a lone 0, at most 8): the value, -1
 * when none */
static long long
plain_int(const unsigned char *p, long long *at, long long b)
{
    long long i = *at, v = 0;

    while (i < b && p[i] >= '0' && p[i] <= '9' && i - *at < 9)
        v = v * 10 + (p[i++] - '0');
    if (i == *at || i - *at > 8 || (p[*at] == '0' && i - *at > 1) ||
        (i < b && p[i] >= '0' && p[i] <= '9'))
        return -1;
    *at = i;
    return v;
}

/* what stamp_plain_text reads with: the long hex strings decoded once,
 * while looked at, given again while made */
struct plain {
    qpdf_data q;
    const unsigned char *bin[PLAIN_HEX_MAX];
    size_t len[PLAIN_HEX_MAX];
    unsigned char own[PLAIN_HEX_MAX]; /* bin decoded here (freed), not io's known bytes */
    int n, k;                         /* kept; the next one to give */
    struct stamp_plain_io *io;        /* NULL: nothing asked */
};

static int plain_value(struct plain *c, const unsigned char *p, long long *at, long long b,
                       int depth, int make, qpdf_oh *v);

/* a name of printable ASCII but '#' (escapes) and '~' (the marks) */
static int
plain_name(qpdf_data q, const unsigned char *p, long long *at, long long b, int make, qpdf_oh *v)
{
    long long a = *at;
    char name[PLAIN_TOKEN];

    for ((*at)++; *at < b && pdf_lex_regular(p[*at]) && p[*at] > ' ' && p[*at] < 0x7f &&
                  p[*at] != '#' && p[*at] != '~';
         (*at)++)
        ;
    if (*at - a < 2 || *at - a >= (long long)sizeof(name) || !ends_token(p, *at, b))
        return HALL_ERR;
    if (make) {
        memcpy(name, p + a, (size_t)(*at - a));
        name[*at - a] = '\0';
        *v = qpdf_oh_new_name(q, name);
    }
    return HALL_OK;
}

/* a reference N G R, an integer of digits with an optional '-', or a real
 * of digits and one '.' (kept as written, as libqpdf keeps it) */
static int
plain_number(qpdf_data q, const unsigned char *p, long long *at, long long b, int make, qpdf_oh *v)
{
    long long a = *at, n, g, t, i = *at, digits = 0, dots = 0;
    char real[PLAIN_TOKEN];

    if (p[i] == '-')
        i++;
    for (; i < b && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.') && i - a < PLAIN_TOKEN - 1; i++)
        p[i] == '.' ? dots++ : digits++;
    if (digits == 0 || dots > 1 || !ends_token(p, i, b))
        return HALL_ERR;
    if (dots == 1) {
        *at = i;
        if (make) {
            memcpy(real, p + a, (size_t)(i - a));
            real[i - a] = '\0';
            *v = qpdf_oh_new_real_from_string(q, real);
        }
        return HALL_OK;
    }
    *at = p[a] == '-' ? a + 1 : a;
    if ((n = plain_int(p, at, b)) < 0 || *at != i)
        return HALL_ERR;
    if (p[a] != '-') { /* N G R? */
        t = *at;
        sp_skip(p, &t, b);
        if (t > *at && t < b && p[t] >= '0' && p[t] <= '9' && (g = plain_int(p, &t, b)) >= 0 &&
            g < 65536 && t < b && pdf_lex_white(p[t])) {
            sp_skip(p, &t, b);
            if (t < b && p[t] == 'R' && ends_token(p, t + 1, b)) {
                if (n <= 0)
                    return HALL_ERR;
                *at = t + 1;
                if (make)
                    *v = qpdf_get_object_by_id(q, (int)n, (int)g);
                return HALL_OK;
            }
        }
    }
    if (make)
        *v = qpdf_oh_new_integer(q, p[a] == '-' ? -n : n);
    return HALL_OK;
}

/* the bytes of the hex string whose text is [a, b) of p when io knows them
 * (a signature's /Contents whose gap check 1 passed: its digits decoded
 * are those bytes); NULL when not */
static const unsigned char *
known_bytes(const struct stamp_plain_io *io, const unsigned char *p, long long a, long long b)
{
    int lo = 0, hi;

    if (io == NULL || io->known == NULL || io->known_map != p)
        return NULL;
    hi = io->nknown;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (io->known[mid].a < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < io->nknown && io->known[lo].a == a; lo++)
        if (io->known[lo].b == b)
            return io->known[lo].bin;
    return NULL;
}

/* a literal string without '\' or CR (its bytes as written) or a hex
 * string of digits alone, whole bytes */
static int
plain_string(struct plain *c, const unsigned char *p, long long *at, long long b, int make,
             qpdf_oh *v)
{
    qpdf_data q = c->q;
    long long a = *at + 1, i;

    if (p[*at] == '(') {
        long long e = pdf_lex_string_end(p, *at, b);

        if (e < 0)
            return HALL_ERR;
        /* its bytes as written: no escape, no CR (read as LF) */
        for (i = a; i < e - 1; i++)
            if (p[i] == '\\' || p[i] == '\r')
                return HALL_ERR;
        *at = i = e;
        if (make)
            *v = qpdf_oh_new_binary_string(q, (const char *)p + a, (size_t)(i - 1 - a));
        return HALL_OK;
    } else {
        long long he = pdf_lex_hex_end(p, *at, b);
        const unsigned char *gt = he < 0 ? NULL : p + he - 1, *bin = NULL;
        unsigned char *dec = NULL;
        size_t n = gt == NULL ? 1 : (size_t)(gt - (p + a));
        int kept = n >= PLAIN_HEX_LONG;

        if (n % 2 != 0 || (kept && !make && c->n == PLAIN_HEX_MAX))
            return HALL_ERR;
        if (kept && make) /* decoded while looked at */
            bin = c->k < c->n && c->len[c->k] == n / 2 ? c->bin[c->k++] : NULL;
        else if (!kept || (bin = known_bytes(c->io, p, *at, gt - p + 1)) == NULL)
            bin = dec = stamp_hex_decoded(p + a, n);
        if (bin == NULL)
            return HALL_ERR;
        *at = gt - p + 1;
        if (make)
            *v = qpdf_oh_new_binary_string(q, (const char *)bin, n / 2);
        if (kept && !make) {
            c->bin[c->n] = bin;
            c->own[c->n] = dec != NULL;
            c->len[c->n++] = n / 2;
        } else if (!kept) {
            free(dec);
        }
        return HALL_OK;
    }
}

/* the top dictionary's /Contents, its value's text [va, vb) just made:
 * where its hex string lies when it is one (plain_string made it from
 * exactly those digits) */
static void
contents_span(struct stamp_plain_io *io, const unsigned char *p, long long va, long long vb)
{
    sp_skip(p, &va, vb);
    if (va + 1 < vb && p[va] == '<' && p[va + 1] != '<' && p[vb - 1] == '>') {
        io->contents_a = va;
        io->contents_b = vb;
    }
}

/*
 * The value at *at (before b) made directly in q when it is plain: a
 * dictionary (keys apart, each once), an array, a reference, an integer,
 * a real, a name, a string (plain_name, plain_number, plain_string),
 * nested at most PLAIN_DEPTH deep; no comment, keyword or stream.  That is
 * what stamp_parse_refs made of the same text through libqpdf's parser
 * (its marks made references and strings again one by one), without
 * either; HALL_ERR for anything else; make 0: only looked at.
 */
static int
plain_value(struct plain *c, const unsigned char *p, long long *at, long long b, int depth,
            int make, qpdf_oh *v)
{
    qpdf_data q = c->q;
    qpdf_oh it;

    sp_skip(p, at, b);
    if (*at >= b || depth > PLAIN_DEPTH)
        return HALL_ERR;
    if (p[*at] == '/')
        return plain_name(q, p, at, b, make, v);
    if ((p[*at] >= '0' && p[*at] <= '9') || p[*at] == '-' || p[*at] == '.')
        return plain_number(q, p, at, b, make, v);
    if (p[*at] == '(' || (p[*at] == '<' && (*at + 1 >= b || p[*at + 1] != '<')))
        return plain_string(c, p, at, b, make, v);
    if (p[*at] == '[') {
        if (make)
            *v = qpdf_oh_new_array(q);
        for ((*at)++;;) {
            sp_skip(p, at, b);
            if (*at < b && p[*at] == ']') {
                (*at)++;
                return HALL_OK;
            }
            if (plain_value(c, p, at, b, depth + 1, make, &it) != HALL_OK)
                return HALL_ERR;
            if (make)
                qpdf_oh_append_item(q, *v, it);
        }
    }
    if (p[*at] == '<') { /* a dictionary */
        long long ka[PLAIN_KEYS], kb[PLAIN_KEYS], va;
        int nk = 0;
        char key[PLAIN_TOKEN];

        if (make)
            *v = qpdf_oh_new_dictionary(q);
        for (*at += 2;;) {
            sp_skip(p, at, b);
            if (*at + 1 < b && p[*at] == '>' && p[*at + 1] == '>') {
                *at += 2;
                return HALL_OK;
            }
            if (*at >= b || p[*at] != '/' || nk == PLAIN_KEYS)
                return HALL_ERR;
            ka[nk] = *at;
            if (plain_name(q, p, at, b, 0, &it) != HALL_OK)
                return HALL_ERR;
            kb[nk] = *at;
            for (int k = 0; k < nk; k++)
                if (kb[k] - ka[k] == kb[nk] - ka[nk] &&
                    memcmp(p + ka[k], p + ka[nk], (size_t)(kb[nk] - ka[nk])) == 0)
                    return HALL_ERR; /* a key twice */
            va = *at;
            if (plain_value(c, p, at, b, depth + 1, make, &it) != HALL_OK)
                return HALL_ERR;
            if (make) {
                memcpy(key, p + ka[nk], (size_t)(kb[nk] - ka[nk]));
                key[kb[nk] - ka[nk]] = '\0';
                qpdf_oh_replace_key(q, *v, key, it);
                if (depth == 0 && c->io != NULL && strcmp(key, "/Contents") == 0)
                    contents_span(c->io, p, va, *at);
            }
            nk++;
        }
    }
    return HALL_ERR;
}

/* the text [a, b), one plain value (not a lone reference) and white
 * space, made by plain_value (looked at whole first: nothing is made of a
 * text that is not) */
int
stamp_plain_text(qpdf_data q, const unsigned char *p, long long a, long long b,
                 struct stamp_plain_io *io, qpdf_oh *v)
{
    struct plain c = {.q = q, .io = io};
    long long at = a;
    int rc = HALL_ERR;

    if (io != NULL)
        io->contents_a = io->contents_b = -1;

    /* a lone reference: as before (libqpdf's parse of its mark) */
    if (plain_value(&c, p, &at, b, 0, 0, v) != HALL_OK || p[at - 1] == 'R' ||
        (sp_skip(p, &at, b), at != b))
        goto out;
    at = a;
    q_errors(q);
    rc = plain_value(&c, p, &at, b, 0, 1, v) != HALL_OK || q_errors(q) ? HALL_ERR : HALL_OK;
    if (rc != HALL_OK && io != NULL)
        io->contents_a = io->contents_b = -1;
out:
    for (int k = 0; k < c.n; k++)
        if (c.own[k])
            free((void *)c.bin[k]);
    return rc;
}
