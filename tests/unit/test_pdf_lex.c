/*
 * Unit tests for the stamp library's one lexical layer (core/pdf/pdf_lex.c)
 * and the readers that use it (docs/internals/stamp.md, "One reader: the
 * choice"): ISO 32000-1's character classes (NUL white space, VT regular),
 * each kind of token with its bounds, NUL between tokens, strings, names and
 * hex strings decoded; and hostile texts on which the hand-written readers
 * disagreed before they shared it: a dictionary whose tokens are separated
 * by NUL, and one whose comment holds a '(' (stamp_refs.c's scan read both
 * with their reference, and core/pdf reads them so; the libqpdf parse the
 * verifier once had could read neither).
 * Every buffer is exactly as long as its bytes (malloc'ed to size), so that
 * a read past the end shows under --enable-sanitizers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <qpdf/qpdf-c.h>

#include "hall.h"

#include "pdf/pdf.h"
#include "pdf/pdf_int.h"
#include "stamp/stamp_int.h"

/* n bytes of text as a buffer of exactly that length */
static unsigned char *
exact(const char *text, size_t n)
{
    unsigned char *m = malloc(n > 0 ? n : 1);

    assert_non_null(m);
    memcpy(m, text, n);
    return m;
}

static void
classes__iso_32000_tables_1_and_2__nul_white_vt_regular(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        int white = c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
        int delim = c != 0 && strchr("()<>[]{}/%", c) != NULL;

        if (pdf_lex_white((unsigned char)c) != white || pdf_lex_delim((unsigned char)c) != delim ||
            pdf_lex_regular((unsigned char)c) != (!white && !delim))
            fail_msg("byte 0x%02x: white %d delim %d regular %d", c,
                     pdf_lex_white((unsigned char)c), pdf_lex_delim((unsigned char)c),
                     pdf_lex_regular((unsigned char)c));
        /* the stamp layer's, out of line (pdf_lex.c), alike */
        if ((pdf_lex_white)((unsigned char)c) != white ||
            (pdf_lex_delim)((unsigned char)c) != delim ||
            (pdf_lex_regular)((unsigned char)c) != (!white && !delim))
            fail_msg("byte 0x%02x: the out-of-line class differs", c);
    }
    /* VT (0x0b) is not white space in ISO 32000 (libqpdf reads it as one) */
    assert_true(pdf_lex_regular(0x0b));
    assert_true(pdf_lex_white(0x00));
}

struct want {
    enum pdf_tok kind;
    const char *text; /* the token's bytes */
};

/* the tokens of text (n bytes) are want's, in order, then END */
static void
tokens_are(const char *text, size_t n, const struct want *want, size_t nwant)
{
    unsigned char *p = exact(text, n);
    long long at = 0;
    struct pdf_token t;

    long long at2 = 0;
    struct pdf_token t2;

    for (size_t i = 0; i <= nwant; i++) {
        enum pdf_tok k = pdf_lex_next(p, &at, (long long)n, &t);
        /* the stamp layer's, out of line (pdf_lex.c): the same token */
        enum pdf_tok k2 = (pdf_lex_next)(p, &at2, (long long)n, &t2);
        enum pdf_tok wk = i < nwant ? want[i].kind : PDF_TOK_END;

        if (k2 != k || t2.a != t.a || t2.b != t.b || t2.ival != t.ival || t2.vt != t.vt ||
            at2 != at)
            fail_msg("\"%s\" token %zu: out of line %d [%lld, %lld), inline %d [%lld, %lld)", text,
                     i, k2, t2.a, t2.b, k, t.a, t.b);

        if (k != wk)
            fail_msg("\"%s\" token %zu: kind %d, want %d", text, i, k, wk);
        if (i < nwant && ((size_t)(t.b - t.a) != strlen(want[i].text) ||
                          memcmp(p + t.a, want[i].text, (size_t)(t.b - t.a)) != 0))
            fail_msg("\"%s\" token %zu: \"%.*s\", want \"%s\"", text, i, (int)(t.b - t.a), p + t.a,
                     want[i].text);
        if (at != t.b)
            fail_msg("\"%s\" token %zu: the cursor not at its end", text, i);
    }
    free(p);
}

static void
tokens__each_kind__its_bytes(void **state)
{
    static const char text[] = " %a comment (not a string\r\n/Na#20me 12 -3.5 +7 .5 4. true"
                               " (a(b)c\\)) <0A 1b> << >> [ ] { } R ) > x1.2.3 --5";
    static const struct want w[] = {
        {PDF_TOK_NAME, "/Na#20me"},  {PDF_TOK_INT, "12"},
        {PDF_TOK_REAL, "-3.5"},      {PDF_TOK_INT, "+7"},
        {PDF_TOK_REAL, ".5"},        {PDF_TOK_REAL, "4."},
        {PDF_TOK_KEYWORD, "true"},   {PDF_TOK_STRING, "(a(b)c\\))"},
        {PDF_TOK_HEX, "<0A 1b>"},    {PDF_TOK_DICT_OPEN, "<<"},
        {PDF_TOK_DICT_CLOSE, ">>"},  {PDF_TOK_ARRAY_OPEN, "["},
        {PDF_TOK_ARRAY_CLOSE, "]"},  {PDF_TOK_BRACE_OPEN, "{"},
        {PDF_TOK_BRACE_CLOSE, "}"},  {PDF_TOK_KEYWORD, "R"},
        {PDF_TOK_BAD, ")"},          {PDF_TOK_BAD, ">"},
        {PDF_TOK_KEYWORD, "x1.2.3"}, {PDF_TOK_KEYWORD, "--5"},
    };

    (void)state;
    tokens_are(text, sizeof(text) - 1, w, sizeof(w) / sizeof(*w));
}

static void
tokens__nul_between_them__white_space(void **state)
{
    /* "5 0 R" and two names written with NUL where a space would be, and a
     * keyword ended by NUL: the tokens a space would give */
    static const char text[] = "5\0"
                               "0\0R\0/A\0/B\0endobj\0";
    static const struct want w[] = {
        {PDF_TOK_INT, "5"},   {PDF_TOK_INT, "0"},   {PDF_TOK_KEYWORD, "R"},
        {PDF_TOK_NAME, "/A"}, {PDF_TOK_NAME, "/B"}, {PDF_TOK_KEYWORD, "endobj"},
    };
    unsigned char *p = exact(text, sizeof(text) - 1);

    (void)state;
    tokens_are(text, sizeof(text) - 1, w, sizeof(w) / sizeof(*w));
    assert_int_equal(pdf_lex_skip(p, 1, (long long)sizeof(text) - 1), 2);
    assert_int_equal(pdf_lex_regular_end(p, 0, (long long)sizeof(text) - 1), 1);
    free(p);
}

static void
tokens__unterminated_at_the_end__told(void **state)
{
    static const struct want s1[] = {{PDF_TOK_UNTERMINATED, "(a(b)"}};
    static const struct want s2[] = {{PDF_TOK_UNTERMINATED, "(a\\)"}};
    static const struct want s3[] = {{PDF_TOK_UNTERMINATED, "<0a"}};
    static const struct want s4[] = {{PDF_TOK_UNTERMINATED, "<"}};
    static const struct want s5[] = {{PDF_TOK_INT, "1"}}; /* a comment to the end */

    (void)state;
    tokens_are("(a(b)", 5, s1, 1);
    tokens_are("(a\\)", 4, s2, 1);
    tokens_are("<0a", 3, s3, 1);
    tokens_are("<", 1, s4, 1);
    tokens_are("1 % ( [", 7, s5, 1);
}

static void
decode__names_strings_hex__as_iso_32000_reads_them(void **state)
{
    static const char str[] = "(a\\nb\\053\\\r\nc\r\nd\\(\\)\\\\\\q\\0011)";
    unsigned char *p, out[64];
    char name[8];
    long long n;

    (void)state;
    p = exact(str, sizeof(str) - 1);
    n = pdf_lex_string(p, 0, (long long)sizeof(str) - 1, out);
    assert_int_equal(n, 13);
    assert_memory_equal(out, "a\nb+c\nd()\\q\0011", 13);
    free(p);

    p = exact("/A#42C#4/#", 10);
    n = pdf_lex_name(p, 0, 10, name, sizeof(name));
    assert_int_equal(n, 8);
    assert_string_equal(name, "/ABC#4/"); /* cut to 7 bytes and its NUL */
    free(p);

    p = exact("<4 1\0004>", 7);
    n = pdf_lex_hex_decode(p, 0, 7, out);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "A@", 2);
    free(p);
    p = exact("<4g>", 4);
    assert_int_equal(pdf_lex_hex_decode(p, 0, 4, out), -1);
    free(p);

    p = exact("-12 99999999999999", 18);
    assert_int_equal(pdf_lex_int(p, 0, 3, &n), 0);
    assert_int_equal(n, -12);
    assert_int_equal(pdf_lex_int(p, 4, 18, &n), 0);
    assert_true(n >= (1LL << 40));
    assert_int_equal(pdf_lex_int(p, 0, 1, &n), -1);
    free(p);
}

/* text parsed by core/pdf (pdf_parse): /P's reference's object number, 0
 * when /P is not one, -1 when the text did not parse */
static int
parsed_p(const char *text, size_t n)
{
    struct hall_pool *pool = hall_pool_create(4096);
    unsigned char *p = exact(text, n);
    long long at = 0;
    const struct pdf_obj *o = pdf_parse(pool, p, &at, (long long)n), *v;
    int num = -1;

    if (o != NULL && o->type == PDF_DICT) {
        v = pdf_dict_get(o, "/P");
        num = v != NULL && v->type == PDF_REF ? pdf_ref_num(v) : 0;
    }
    free(p);
    hall_pool_destroy(pool);
    return num;
}

static void
hostile__nul_and_a_comment_holding_a_paren__read_as_the_scan_reads_them(void **state)
{
    /* each of these, stamp_refs.c's scan (NUL white space, comments
     * skipped) and core/pdf read with its reference to 1 0 (the lexer is
     * theirs both); the libqpdf parse the verifier once had refused the
     * first (any NUL) and took the comment's '(' for a string that hid the
     * reference in the second and third */
    static const char nul[] = "<< /Type /Annot\0/P 1\0"
                              "0\0R /Rect [0 0 1 1] >>";
    static const char comment[] = "<< /A (x) % a comment ( not a string\n/P 1 0 R >>";
    static const char comment_ref[] = "<< /P 1 0 % the generation\nR /Q (%) >>";
    /* a NUL inside a literal string is a byte of the string */
    static const char nul_string[] = "<< /P 1 0 R /S (a\0b) % c\n>>";
    static const char nul_plain[] = "<<\0/P\0"
                                    "1 0 R\0/S (a\0b)\0>>";
    /* a stray keyword is no value */
    static const char stray[] = "<< /P 1 0 R bogus >>";

    (void)state;
    assert_int_equal(parsed_p(nul, sizeof(nul) - 1), 1);
    assert_int_equal(parsed_p(comment, sizeof(comment) - 1), 1);
    assert_int_equal(parsed_p(comment_ref, sizeof(comment_ref) - 1), 1);
    assert_int_equal(parsed_p(nul_string, sizeof(nul_string) - 1), 1);
    assert_int_equal(parsed_p(nul_plain, sizeof(nul_plain) - 1), 1);
    assert_int_equal(parsed_p(stray, sizeof(stray) - 1), -1);
}

/* a document of two revisions: the first (its catalog 1 0), and an update
 * writing object 2 whose trailer's tokens are separated by sep (or holds a
 * comment with a '(' when sep is NULL); *end1 the first's end */
static unsigned char *
two_revisions(const char *sep, size_t seplen, long long *len, long long *end1)
{
    char a[512], b[512], t[256];
    unsigned char *m;
    int n1, x1, n2, x2, tl;

    x1 = (int)strlen("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n");
    n1 = snprintf(a, sizeof(a),
                  "%%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 2\n"
                  "0000000000 65535 f\r\n0000000009 00000 n\r\n"
                  "trailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n",
                  x1);
    x2 = n1 + (int)strlen("2 0 obj\n<< /Note (after) >>\nendobj\n");
    if (sep != NULL) {
        /* "<<" sep "/Size" sep "3" ... sep ">>", sep possibly NUL */
        static const char *const tok[] = {"<<", "/Size", "3", "/Root", "1", "0", "R", "/Prev"};
        tl = 0;
        for (size_t i = 0; i < sizeof(tok) / sizeof(*tok); i++) {
            memcpy(t + tl, tok[i], strlen(tok[i]));
            tl += (int)strlen(tok[i]);
            memcpy(t + tl, sep, seplen);
            tl += (int)seplen;
        }
        tl += snprintf(t + tl, sizeof(t) - (size_t)tl, "%d", x1);
        memcpy(t + tl, sep, seplen);
        tl += (int)seplen;
        memcpy(t + tl, ">>", 2);
        tl += 2;
    } else {
        tl = snprintf(t, sizeof(t),
                      "<< /Size 3 %% a comment ( with a paren\n/Root 1 0 R /Prev %d >>", x1);
    }
    n2 =
        snprintf(b, sizeof(b),
                 "2 0 obj\n<< /Note (after) >>\nendobj\nxref\n2 1\n%010d 00000 n\r\ntrailer\n", n1);
    *len = n1 + n2 + tl + (long long)strlen("\nstartxref\n") + 32;
    m = malloc((size_t)*len);
    assert_non_null(m);
    memcpy(m, a, (size_t)n1);
    memcpy(m + n1, b, (size_t)n2);
    memcpy(m + n1 + n2, t, (size_t)tl);
    *len = n1 + n2 + tl;
    *len += sprintf((char *)m + *len, "\nstartxref\n%d\n%%%%EOF\n", x2);
    *end1 = n1;
    return m;
}

/* the update's section read from the bytes (stamp_xref.c) as libqpdf reads
 * the file: its trailer with NUL for white space, or holding a comment
 * with a '(', was refused before the one lexer (the later revision "could
 * not be read as an update": 文档已被修改), while libqpdf read it */
static void
hostile__later_trailer_nul_or_comment__section_read_as_libqpdf_reads_it(void **state)
{
    static const struct {
        const char *sep;
        size_t seplen;
    } cases[] = {{" ", 1}, {"\0", 1}, {"\0\n\0", 3}, {NULL, 0}};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        long long len, end1, ends[2];
        unsigned char *m = two_revisions(cases[i].sep, cases[i].seplen, &len, &end1);
        struct stamp_in d;
        struct stamp_xsecs xs;
        struct stamp_xlist l;
        qpdf_data q = qpdf_init();
        int rc;

        qpdf_silence_errors(q);
        /* libqpdf: the file reads, its trailer's /Size is the update's */
        assert_int_equal(qpdf_read_memory(q, "t", (const char *)m, (unsigned long long)len, NULL) &
                             QPDF_ERRORS,
                         0);
        assert_int_equal(qpdf_oh_get_int_value(q, qpdf_oh_get_key(q, qpdf_get_trailer(q), "/Size")),
                         3);
        memset(&d, 0, sizeof(d));
        memset(&xs, 0, sizeof(xs));
        memset(&l, 0, sizeof(l));
        ends[0] = end1;
        ends[1] = len;
        d.map = m;
        d.size = len;
        d.ends = ends;
        d.nrev = 2;
        d.xs = &xs;
        rc = stamp_written_after(&d, end1, &l);
        if (rc != HALL_OK || l.n != 1 || l.e[0].num != 2)
            fail_msg("case %zu: the update's section %s (%d entries)", i,
                     rc == HALL_OK ? "read" : "refused", l.n);
        stamp_xsecs_free(&xs);
        free(l.e);
        qpdf_cleanup(&q);
        free(m);
    }
}

/* a signed revision whose catalog names object 3, which it does not have,
 * its tokens separated by sep; an update writing object 3 */
static unsigned char *
dangling(const char *sep, long long *len, long long *end1)
{
    char a[512], b[512];
    int o1 = 9, o2, x1, n1, n2, x2;
    unsigned char *m;

    n1 = snprintf(a, sizeof(a), "%%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Foo 3%s0%sR >>\nendobj\n",
                  sep, sep);
    o2 = n1;
    n1 += snprintf(a + n1, sizeof(a) - (size_t)n1, "2 0 obj\n<< >>\nendobj\n");
    x1 = n1;
    n1 += snprintf(a + n1, sizeof(a) - (size_t)n1,
                   "xref\n0 3\n0000000000 65535 f\r\n%010d 00000 n\r\n%010d 00000 n\r\n"
                   "trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n",
                   o1, o2, x1);
    x2 = n1 + (int)strlen("3 0 obj\n(later)\nendobj\n");
    n2 = snprintf(b, sizeof(b),
                  "3 0 obj\n(later)\nendobj\nxref\n3 1\n%010d 00000 n\r\n"
                  "trailer\n<< /Size 4 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n",
                  n1, x1, x2);
    m = malloc((size_t)(n1 + n2));
    assert_non_null(m);
    memcpy(m, a, (size_t)n1);
    memcpy(m + n1, b, (size_t)n2);
    *len = n1 + n2;
    *end1 = n1;
    return m;
}

/* "3\v0\vR": libqpdf reads VT as white space (a reference to 3), ISO 32000
 * and the lexer do not (one keyword); the scan that proves a signed
 * revision held no reference to a later object (stamp_refs.c) must not
 * prove it then: it said "none" before, and the walk was skipped */
static void
hostile__vt_between_a_references_tokens__not_proven_absent(void **state)
{
    static const char *const seps[] = {" ", "\v", "\n\v"};

    (void)state;
    for (size_t i = 0; i < sizeof(seps) / sizeof(*seps); i++) {
        long long len, end1, ends[2];
        unsigned char *m = dangling(seps[i], &len, &end1);
        struct stamp_in d;
        struct stamp_refs *r;
        qpdf_data q = qpdf_init();
        qpdf_oh foo;

        qpdf_silence_errors(q);
        assert_int_equal(qpdf_read_memory(q, "t", (const char *)m, (unsigned long long)len, NULL) &
                             QPDF_ERRORS,
                         0);
        foo = qpdf_oh_get_key(q, qpdf_get_root(q), "/Foo");
        assert_true(qpdf_oh_is_indirect(q, foo)); /* libqpdf: a reference */
        assert_int_equal(qpdf_oh_get_object_id(q, foo), 3);
        memset(&d, 0, sizeof(d));
        ends[0] = end1;
        ends[1] = len;
        d.map = m;
        d.size = len;
        d.ends = ends;
        d.nrev = 2;
        r = stamp_refs_scan(&d, 3);
        if (stamp_refs_none(r, 3, end1, 3))
            fail_msg("sep %zu: no reference to 3 \"proven\" in the signed revision", i);
        stamp_refs_free(r);
        qpdf_cleanup(&q);
        free(m);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classes__iso_32000_tables_1_and_2__nul_white_vt_regular),
        cmocka_unit_test(tokens__each_kind__its_bytes),
        cmocka_unit_test(tokens__nul_between_them__white_space),
        cmocka_unit_test(tokens__unterminated_at_the_end__told),
        cmocka_unit_test(decode__names_strings_hex__as_iso_32000_reads_them),
        cmocka_unit_test(hostile__nul_and_a_comment_holding_a_paren__read_as_the_scan_reads_them),
        cmocka_unit_test(hostile__later_trailer_nul_or_comment__section_read_as_libqpdf_reads_it),
        cmocka_unit_test(hostile__vt_between_a_references_tokens__not_proven_absent),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
