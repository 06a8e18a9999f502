/*
 * The cross-reference sections written after a revision (docs/internals/
 * stamp.md §3, "What may follow a signature"): from the file's startxref
 * back through /Prev to the revision's own section, each section read by
 * core/pdf (pdf_section, the one reading of a table, a hybrid file's
 * /XRefStm and a cross-reference stream, which pdf_open reads too), kept
 * once a file.  libqpdf reads a file's merged cross-reference but does not
 * say which section wrote an object: stamp_diff.c needs exactly that.
 * Every length and count is bounded.
 *
 * Owns: the sections each revision wrote, as stamp_diff.c reads them
 * (struct stamp_xlist); a signature's /V read from its bytes for libqpdf;
 * a text parsed for libqpdf with its references marked.  Follows: ISO
 * 32000-1 §7.5.4-§7.5.8 through core/pdf; its own bytes are read through
 * pdf_lex.c, the library's one lexer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_lex.h"
#include "stamp_int.h"

#define XREF_SECTIONS_MAX 4096      /* cross-reference sections followed */
#define XREF_TEXT_MAX     4096      /* a section's dictionary text */
#define SIG_DICT_MAX      (1 << 20) /* a signature dictionary's text read by us, at most */

static void
xadd(struct stamp_xlist *l, int num, int gen, int used, long long off)
{
    if (num <= 0)
        return;
    if (l->n >= (l->max > 0 ? l->max : STAMP_XREF_IDS_MAX)) {
        l->over = 1;
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->e = realloc(l->e, sizeof(*l->e) * (size_t)l->cap);
        if (l->e == NULL)
            abort();
    }
    l->e[l->n].num = num;
    l->e[l->n].gen = gen;
    l->e[l->n].used = used;
    l->e[l->n].off = used ? off : -1;
    l->e[l->n].order = l->n;
    l->n++;
}

/* qpdf's errors taken (the C API keeps the last one until asked) */
int
stamp_qerr(qpdf_data q)
{
    int had = 0;

    while (qpdf_has_error(q)) {
        qpdf_get_error(q);
        had = 1;
    }
    return had;
}

/* white space: NUL, TAB, LF, FF, CR, SP (pdf_lex.c) */
int
stamp_is_ws(unsigned char c)
{
    return pdf_lex_white(c);
}

/* the offset "startxref" names in the last KiB before end (as qpdf reads
 * it); -1 when none */
long long
stamp_startxref(const unsigned char *p, long long end)
{
    long long from = end > 1024 ? end - 1024 : 0, i, v = -1;

    for (i = end - 9; i >= from; i--)
        if (memcmp(p + i, "startxref", 9) == 0) {
            long long j = i + 9;

            while (j < end && pdf_lex_white(p[j]))
                j++;
            if (j >= end || p[j] < '0' || p[j] > '9')
                return -1;
            v = 0;
            while (j < end && p[j] >= '0' && p[j] <= '9' && v < (1LL << 40))
                v = v * 10 + (p[j++] - '0');
            return v;
        }
    return -1;
}

/* white space or a delimiter: what ends a regular token (pdf_lex.c) */
int
stamp_is_delim(unsigned char c)
{
    return !pdf_lex_regular(c);
}

/* the length of "N G R" at p[i, n) (an indirect reference: two unsigned
 * integers and the keyword R, pdf_lex_next's tokens), *num and *gen its
 * numbers; 0 when not */
static long long
ref_at(const unsigned char *p, long long i, long long n, long long *num, long long *gen)
{
    struct pdf_token t;
    long long at = i, *v[2] = {num, gen};

    for (int part = 0; part < 2; part++)
        if (pdf_lex_next(p, &at, n, &t) != PDF_TOK_INT || (part == 0 && t.a != i) ||
            p[t.a] == '+' || p[t.a] == '-' || pdf_lex_int(p, t.a, t.b, v[part]) != 0)
            return 0;
    if (pdf_lex_next(p, &at, n, &t) != PDF_TOK_KEYWORD || t.b - t.a != 1 || p[t.a] != 'R')
        return 0;
    return t.b - i;
}

/* the text t (a dictionary's, to be given to libqpdf's C parser, which
 * reads a C string) with each NUL outside a string made a space: NUL is
 * white space (pdf_lex.c), as libqpdf reads it; HALL_ERR when a literal
 * string holds one (it cannot be given) */
static int
nul_white(unsigned char *t, long long n)
{
    struct pdf_token k;
    long long at = 0, i;

    if (memchr(t, '\0', (size_t)n) == NULL)
        return HALL_OK;
    while (pdf_lex_next(t, &at, n, &k) != PDF_TOK_END)
        if (k.kind == PDF_TOK_STRING || k.kind == PDF_TOK_UNTERMINATED) {
            if (memchr(t + k.a, '\0', (size_t)(k.b - k.a)) != NULL)
                return HALL_ERR;
        } else if (k.kind == PDF_TOK_HEX) { /* white space inside, ignored */
            for (i = k.a; i < k.b; i++)
                t[i] = t[i] == '\0' ? ' ' : t[i];
        }
    for (i = 0; i < n; i++) /* the rest: white space, or within a comment */
        t[i] = t[i] == '\0' ? ' ' : t[i];
    return HALL_OK;
}

/* the span of a literal string or comment at p[i] (before b) to copy as it
 * is, its last byte's index; i when p[i] begins neither */
static long long
copied_as_is(const unsigned char *p, long long i, long long b)
{
    long long e;

    if (p[i] == '(') {
        e = pdf_lex_string_end(p, i, b);
        return e < 0 ? b - 1 : e - 1;
    }
    if (p[i] == '%')
        return pdf_lex_comment_end(p, i, b) - 1;
    return i;
}

long long
stamp_dict_int(qpdf_data q, qpdf_oh d, const char *key, long long def)
{
    qpdf_oh v = qpdf_oh_get_key(q, d, key);
    long long n;

    if (qpdf_oh_is_null(q, v))
        return def;
    if (!qpdf_oh_is_integer(q, v) || !qpdf_oh_get_value_as_longlong(q, v, &n))
        return -2;
    return n;
}

/* the section at off (a table, with its trailer's /XRefStm, or a stream)
 * into l, as core/pdf reads it (pdf_section, the one reading of a
 * section): its entries in the file's order, each stream's own object
 * after its entries; its /Prev */
static int
section_read(const struct stamp_diff *d, long long off, long long lo, struct stamp_xlist *l,
             long long *prev)
{
    struct hall_pool *pool = hall_pool_create(16384);
    struct pdf_section s;
    int rc = HALL_ERR;

    if (pdf_section(pool, d->map, d->size, off, &s) != HALL_OK)
        goto out;
    if (s.lowest < l->lowest)
        l->lowest = s.lowest;
    if (s.lowest < lo)
        goto out;
    *prev = s.prev;
    for (int i = 0; i < s.n && !l->over; i++) {
        const struct pdf_xent *x = &s.e[i];

        if (x->type == 0)
            xadd(l, x->num, x->gen, 0, -1);
        else if (x->type == 1 || x->type == PDF_XE_SELF)
            xadd(l, x->num, x->gen, 1, x->off);
        else /* in an object stream, or null */
            xadd(l, x->num, 0, 1, -1);
        if (l->over && x->part == 0) /* a table's entries past the bound: no /Prev read */
            *prev = -1;
    }
    rc = HALL_OK;
out:
    pdf_section_free(&s);
    hall_pool_destroy(pool);
    return rc;
}

/*
 * section_read with what each section lists kept, once per file: a
 * signature's later sections are the later ones' and more.  A section
 * read with lo = 0 remembers the lowest offset its data lies at (what lo
 * bounds); one that cannot be read, or is too large, is read as before.
 */
static int
section_cached(const struct stamp_diff *cd, long long off, long long lo, struct stamp_xlist *l,
               long long *prev)
{
    struct stamp_diff *d = (struct stamp_diff *)cd;
    struct stamp_xsec *c = NULL;
    struct stamp_xlist t;
    int i;

    for (i = 0; i < d->nxsecs && c == NULL; i++)
        if (d->xsecs[i].off == off)
            c = &d->xsecs[i];
    if (c == NULL && d->nxsecs < XREF_SECTIONS_MAX) {
        memset(&t, 0, sizeof(t));
        t.lowest = d->size;
        if (section_read(d, off, 0, &t, prev) != HALL_OK || t.over) {
            free(t.e);
            return section_read(d, off, lo, l, prev);
        }
        if (d->nxsecs == d->capxsecs) {
            d->capxsecs = d->capxsecs ? d->capxsecs * 2 : 64;
            d->xsecs = realloc(d->xsecs, sizeof(*d->xsecs) * (size_t)d->capxsecs);
            if (d->xsecs == NULL)
                abort();
        }
        c = &d->xsecs[d->nxsecs++];
        c->off = off;
        c->prev = *prev;
        c->lowest = t.lowest;
        c->e = t.e;
        c->n = t.n;
    }
    /* past the list's bound: as before, where it stops reading */
    if (c == NULL || l->n + c->n >= (l->max > 0 ? l->max : STAMP_XREF_IDS_MAX))
        return section_read(d, off, lo, l, prev);
    if (c->lowest < lo)
        return HALL_ERR;
    for (i = 0; i < c->n; i++)
        xadd(l, c->e[i].num, c->e[i].gen, c->e[i].used, c->e[i].off);
    *prev = c->prev;
    return HALL_OK;
}

/*
 * The objects written after the revision ending at end: the sections from
 * the file's startxref back through /Prev to that revision's own, each of
 * them after end, and every later %%EOF closing one of them.  A chain that
 * does not lead back there, or a later revision without a section, is
 * HALL_ERR (what follows cannot be read as updates of the signed revision).
 */
static int
written(const struct stamp_diff *d, long long end, long long hi, struct stamp_xlist *l)
{
    long long target = stamp_startxref(d->map, end), sx = stamp_startxref(d->map, hi);
    long long offs[XREF_SECTIONS_MAX];
    int n = 0, k, j;

    if (target < 0 || sx < 0)
        return HALL_ERR;
    while (sx != target) {
        long long prev = -1;

        if (sx < end || sx >= hi || n >= XREF_SECTIONS_MAX)
            return HALL_ERR;
        offs[n++] = sx;
        /* each update's /Prev is an earlier section: no loops */
        if (section_cached(d, sx, end, l, &prev) != HALL_OK || prev < 0 || prev >= sx)
            return HALL_ERR;
        if (l->over)
            return HALL_OK;
        sx = prev;
    }
    for (k = 0; k < d->nrev; k++) {
        long long lo = k > 0 ? d->ends[k - 1] : 0;
        int has = 0;

        if (d->ends[k] <= end || d->ends[k] > hi)
            continue;
        for (j = 0; j < n; j++)
            has |= offs[j] >= lo && offs[j] < d->ends[k];
        if (!has)
            return HALL_ERR;
    }
    return HALL_OK;
}

int
stamp_xref_all(const struct stamp_diff *d, struct stamp_xlist *l)
{
    long long sx = stamp_startxref(d->map, d->size);
    int n = 0;

    while (sx >= 0) {
        long long prev = -1;
        int from = l->n;

        /* each /Prev an earlier section: no loops */
        if (sx >= d->size || n++ >= XREF_SECTIONS_MAX ||
            section_read(d, sx, 0, l, &prev) != HALL_OK || prev >= sx || l->over)
            return HALL_ERR;
        for (; from < l->n; from++)
            l->e[from].sec = sx;
        sx = prev;
    }
    return n > 0 ? HALL_OK : HALL_ERR;
}

int
stamp_written_after(const struct stamp_diff *d, long long end, struct stamp_xlist *l)
{
    return written(d, end, d->size, l);
}

#define REF_MARK "/HallRef~" /* a reference, while libqpdf's C parser reads the text */
#define HEX_MARK "/HallHex~" /* a long hex string (a stamp's /Contents), read by us */
#define HEX_LONG 256         /* hex digits from which a string is read by us */
#define HEX_MAX  8           /* long hex strings of one text read by us */

/* the long hex strings of a text, each marked HEX_MARK and its index:
 * its bytes, decoded from its digits (an even number of them, nothing
 * else) */
struct hexes {
    unsigned char *bin[HEX_MAX];
    size_t len[HEX_MAX];
    int n;
};

static void
hexes_free(struct hexes *h)
{
    for (int k = 0; k < h->n; k++)
        free(h->bin[k]);
    h->n = 0;
}

/* the string of hex string k of h, made an object of q (what libqpdf's
 * parser makes of the same digits, without its character-by-character
 * tokens: a stamp's /Contents is some 16,000 of them); null when none */
static qpdf_oh
hex_string(qpdf_data q, const struct hexes *h, int k)
{
    if (h == NULL || k < 0 || k >= h->n)
        return qpdf_oh_new_null(q);
    return qpdf_oh_new_binary_string(q, (const char *)h->bin[k], h->len[k]);
}

/* the references marked in o (parsed, direct) made references of q again,
 * and the long hex strings marked made strings */
static int
refs_back(qpdf_data q, qpdf_oh o, int depth, const struct hexes *h)
{
    int arr = qpdf_oh_is_array(q, o), n, i, rc = HALL_OK;
    const char **keys = NULL;

    if (depth > 32)
        return HALL_ERR;
    if (!arr && !qpdf_oh_is_dictionary(q, o))
        return HALL_OK;
    if (arr) {
        n = qpdf_oh_get_array_n_items(q, o);
    } else {
        int cap = 16;

        n = 0;
        keys = malloc(sizeof(*keys) * (size_t)cap);
        if (keys == NULL)
            abort();
        qpdf_oh_begin_dict_key_iter(q, o);
        while (qpdf_oh_dict_more_keys(q)) {
            if (n == cap) {
                cap *= 2;
                keys = realloc(keys, sizeof(*keys) * (size_t)cap);
                if (keys == NULL)
                    abort();
            }
            keys[n] = strdup(qpdf_oh_dict_next_key(q));
            if (keys[n++] == NULL)
                abort();
        }
    }
    for (i = 0; i < n && rc == HALL_OK; i++) {
        qpdf_oh it = arr ? qpdf_oh_get_array_item(q, o, i) : qpdf_oh_get_key(q, o, keys[i]);
        int num, gen;

        if (qpdf_oh_is_name(q, it) &&
            strncmp(qpdf_oh_get_name(q, it), REF_MARK, strlen(REF_MARK)) == 0) {
            if (sscanf(qpdf_oh_get_name(q, it) + strlen(REF_MARK), "%d~%d", &num, &gen) != 2)
                rc = HALL_ERR;
            else if (arr)
                qpdf_oh_set_array_item(q, o, i, qpdf_get_object_by_id(q, num, gen));
            else
                qpdf_oh_replace_key(q, o, keys[i], qpdf_get_object_by_id(q, num, gen));
        } else if (qpdf_oh_is_name(q, it) &&
                   strncmp(qpdf_oh_get_name(q, it), HEX_MARK, strlen(HEX_MARK)) == 0) {
            qpdf_oh str = qpdf_oh_new_null(q);

            if (sscanf(qpdf_oh_get_name(q, it) + strlen(HEX_MARK), "%d", &num) != 1 ||
                qpdf_oh_is_null(q, str = hex_string(q, h, num)))
                rc = HALL_ERR;
            else if (arr)
                qpdf_oh_set_array_item(q, o, i, str);
            else
                qpdf_oh_replace_key(q, o, keys[i], str);
        } else {
            rc = refs_back(q, it, depth + 1, h);
        }
    }
    for (i = 0; keys != NULL && i < n; i++)
        free((void *)keys[i]);
    free(keys);
    return rc;
}

qpdf_oh
stamp_parse_refs(qpdf_data q, const unsigned char *p, long long a, long long b, size_t max)
{
    return stamp_parse_io(q, p, a, b, max, NULL);
}

qpdf_oh
stamp_parse_io(qpdf_data q, const unsigned char *p, long long a, long long b, size_t max,
               struct stamp_plain_io *io)
{
    struct stamp_buf t;
    struct hexes hx;
    long long i, run;
    qpdf_oh o;

    if (io != NULL)
        io->contents_a = io->contents_b = -1;
    /* a text naming either mark is refused (both hold '~' and begin
     * "/Hall": each looked for only when the text has both) */
    if (b <= a || (size_t)(b - a) > max ||
        (memchr(p + a, '~', (size_t)(b - a)) != NULL &&
         memmem(p + a, (size_t)(b - a), "Hall", 4) != NULL &&
         (memmem(p + a, (size_t)(b - a), REF_MARK + 1, strlen(REF_MARK) - 1) != NULL ||
          memmem(p + a, (size_t)(b - a), HEX_MARK + 1, strlen(HEX_MARK) - 1) != NULL)))
        return qpdf_oh_new_null(q);
    if (stamp_plain_text(q, p, a, b, io, &o) == HALL_OK) /* stamp_plain.c */
        return o;
    hx.n = 0;
    memset(&t, 0, sizeof(t));
    t.max = 2 * max + 64;
    /* the text copied in runs, each reference replaced by its mark */
    for (i = run = a; i < b; i++) {
        long long r, e = copied_as_is(p, i, b), num, gen;

        if (e > i || p[i] == '(') { /* a literal string or a comment, as it is */
            i = e;
            continue;
        }
        if (p[i] == '<' && i + 1 < b && p[i + 1] == '<') { /* a dictionary */
            i++;
            continue;
        }
        if (p[i] == '<' && i + 1 < b) { /* a hex string (a stamp's /Contents) names nothing */
            long long he = pdf_lex_hex_end(p, i, b);
            const unsigned char *gt = he < 0 ? NULL : p + he - 1;
            unsigned char *bin = NULL;
            size_t n;

            if (gt == NULL)
                break;
            /* a long one of digits alone (no space, whole bytes): read by
             * us (hex_string), marked in the text */
            n = (size_t)(gt - (p + i + 1));
            if (n >= HEX_LONG && n % 2 == 0 && hx.n < HEX_MAX &&
                (bin = stamp_hex_decoded(p + i + 1, n)) != NULL) {
                stamp_buf_put(&t, p + run, (size_t)(i - run));
                stamp_buf_printf(&t, " %s%d ", HEX_MARK, hx.n);
                hx.bin[hx.n] = bin;
                hx.len[hx.n++] = n / 2;
                run = gt - p + 1;
            }
            i = gt - p;
            continue;
        }
        if (p[i] >= '0' && p[i] <= '9' && (i == a || stamp_is_delim(p[i - 1])) &&
            (r = ref_at(p, i, b, &num, &gen)) > 0) {
            if (num >= (1LL << 31))
                num = 1LL << 31;
            if (gen >= 65536)
                gen = 65536;
            stamp_buf_put(&t, p + run, (size_t)(i - run));
            stamp_buf_printf(&t, " %s%lld~%lld ", REF_MARK, num, gen);
            i += r - 1;
            run = i + 1;
        }
    }
    stamp_buf_put(&t, p + run, (size_t)(b - run));
    if (nul_white(t.p, (long long)t.len) != HALL_OK) { /* a NUL in a literal string */
        stamp_buf_free(&t);
        hexes_free(&hx);
        return qpdf_oh_new_null(q);
    }
    stamp_buf_put(&t, "", 1);
    stamp_qerr(q);
    o = qpdf_oh_parse(q, (const char *)t.p);
    stamp_buf_free(&t);
    /* the parser's error taken once: a refused text's handle is
     * uninitialised, not null (tests/unit/test_stamp_crashes.c) */
    if (stamp_qerr(q) || !qpdf_oh_is_initialized(q, o)) {
        hexes_free(&hx);
        return qpdf_oh_new_null(q);
    }
    if (hx.n > 0 && qpdf_oh_is_name(q, o) &&
        strncmp(qpdf_oh_get_name(q, o), HEX_MARK, strlen(HEX_MARK)) == 0) /* a value alone */
        o = qpdf_oh_is_name_and_equals(q, o, HEX_MARK "0") ? hex_string(q, &hx, 0)
                                                           : qpdf_oh_new_null(q);
    if (refs_back(q, o, 0, &hx) != HALL_OK || stamp_qerr(q) || qpdf_oh_is_null(q, o)) {
        hexes_free(&hx);
        return qpdf_oh_new_null(q);
    }
    hexes_free(&hx);
    return o;
}

qpdf_oh
stamp_trailer_at(const struct stamp_diff *d, qpdf_data q, long long end)
{
    const unsigned char *p = d->map;
    long long sx = stamp_startxref(p, end), at = sx, i;

    if (sx < 0 || sx >= end)
        return qpdf_oh_new_null(q);
    while (at < end && pdf_lex_white(p[at]))
        at++;
    if (at + 4 <= end && memcmp(p + at, "xref", 4) == 0) {
        /* the table's trailer: within 4 MiB of it (200,000 entries) */
        for (i = at; i + 7 <= end && i < at + (4LL << 20); i++)
            if (memcmp(p + i, "trailer", 7) == 0) {
                long long t = i + 7, x;

                for (x = t; x + 9 <= end && x < t + XREF_TEXT_MAX; x++)
                    if (memcmp(p + x, "startxref", 9) == 0) {
                        qpdf_oh o = stamp_parse_refs(q, p, t, x, XREF_TEXT_MAX);

                        return qpdf_oh_is_dictionary(q, o) ? o : qpdf_oh_new_null(q);
                    }
                break;
            }
        return qpdf_oh_new_null(q);
    }
    /* a cross-reference stream: its dictionary */
    for (i = at; i + 3 <= end && i < at + 64; i++)
        if (memcmp(p + i, "obj", 3) == 0) {
            long long a = i + 3;

            for (long long x = a; x + 6 <= end && x < a + XREF_TEXT_MAX; x++)
                if (memcmp(p + x, "stream", 6) == 0) {
                    qpdf_oh o = stamp_parse_refs(q, p, a, x, XREF_TEXT_MAX);

                    return qpdf_oh_is_dictionary(q, o) ? o : qpdf_oh_new_null(q);
                }
            break;
        }
    return qpdf_oh_new_null(q);
}
