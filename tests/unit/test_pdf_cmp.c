/*
 * Unit tests for core/pdf/pdf_cmp.c (docs/internals/stamp.md §8, "One
 * reader"): what the judge of a later revision (stamp_diff.c) asks of an
 * object — the header's version, a dictionary's keys (a null value, or a
 * reference to an object that is free or absent, is no key), two objects
 * compared as values across two revisions — and a trailer's /Encrypt
 * null, which is no encryption (ISO 32000-1 §7.3.7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pdf/pdf.h"

/* a PDF being built: its bytes and each object's offset */
struct mk {
    char b[16384];
    size_t n;
    long long off[16];
};

static void
puts_(struct mk *m, const char *s)
{
    size_t n = strlen(s);

    assert_true(m->n + n < sizeof(m->b));
    memcpy(m->b + m->n, s, n);
    m->n += n;
}

static void
obj(struct mk *m, int num, const char *text)
{
    char h[32];

    m->off[num] = (long long)m->n;
    snprintf(h, sizeof(h), "%d 0 obj\n", num);
    puts_(m, h);
    puts_(m, text);
    puts_(m, "\nendobj\n");
}

/* a table for objects from..to (0 free), its trailer and %%EOF */
static void
table(struct mk *m, int from, int to, const char *trailer)
{
    char l[256];
    long long at = (long long)m->n;

    snprintf(l, sizeof(l), "xref\n%d %d\n", from, to - from + 1);
    puts_(m, l);
    for (int i = from; i <= to; i++) {
        if (i == 0)
            snprintf(l, sizeof(l), "0000000000 65535 f \n");
        else
            snprintf(l, sizeof(l), "%010lld 00000 n \n", m->off[i]);
        puts_(m, l);
    }
    snprintf(l, sizeof(l), "trailer\n%s\nstartxref\n%lld\n%%%%EOF\n", trailer, at);
    puts_(m, l);
}

static struct pdf_doc *
open_at(struct hall_pool *pool, struct mk *m, long long end)
{
    char err[256];
    struct pdf_doc *d =
        pdf_open(pool, (const unsigned char *)m->b, (long long)m->n, end, err, sizeof(err));

    if (d == NULL)
        fprintf(stderr, "pdf_open: %s\n", err);
    return d;
}

/* the signed revision: objects 1-4; the update writes 1 and 3 again */
static void
two_revisions(struct mk *m, long long *end1)
{
    char tr[128];
    long long sx;

    memset(m, 0, sizeof(*m));
    puts_(m, "junk\n%PDF-x.1\n%PDF-1.6 header\n");
    obj(m, 1, "<< /Type /Catalog /Pages 2 0 R /Zed (a) /Info null /Gone 9 0 R /AcroForm 3 0 R >>");
    obj(m, 2, "<< /Type /Pages /Kids [] /Count 0 >>");
    obj(m, 3, "<< /Fields [4 0 R] /DA (x) /Num 1.5 >>");
    obj(m, 4, "<< /FT /Sig >>");
    table(m, 0, 4, "<< /Size 5 /Root 1 0 R /Encrypt null >>");
    *end1 = (long long)m->n;
    sx = *end1 - 1;
    while (memcmp(m->b + sx, "startxref", 9) != 0)
        sx--;
    sx = strtoll(m->b + sx + 10, NULL, 10);
    obj(m, 1, "<< /AcroForm 3 0 R /Pages 2 0 R /Type /Catalog /Zed <61> /Version /2.0 >>");
    obj(m, 3, "<< /DA (x) /Num 1.50 /Fields [4 0 R 5 0 R] >>");
    snprintf(tr, sizeof(tr), "<< /Size 6 /Root 1 0 R /Prev %lld >>", sx);
    table(m, 1, 3, tr);
}

static void
cmp__keys_nulls_and_values__as_the_judge_reads_them(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct mk *m = malloc(sizeof(*m));
    struct pdf_doc *p, *f;
    const struct pdf_obj *a, *b;
    const char **k;
    long long end1;
    int n;

    (void)state;
    two_revisions(m, &end1);
    /* the first "%PDF-" followed by a version, in the first KiB */
    assert_string_equal(pdf_header_version(pool, (const unsigned char *)m->b, (long long)m->n),
                        "1.6");
    assert_string_equal(pdf_header_version(pool, (const unsigned char *)"%PDF-x", 6), "1.2");
    /* /Encrypt null is no encryption */
    p = open_at(pool, m, end1);
    f = open_at(pool, m, (long long)m->n);
    assert_non_null(p);
    assert_non_null(f);
    a = pdf_root(p);
    b = pdf_root(f);
    /* null, and a reference to an object there is none of, are no keys;
     * the rest in byte order */
    n = pdf_dict_keys(p, a, &k);
    assert_int_equal(n, 4);
    assert_string_equal(k[0], "/AcroForm");
    assert_string_equal(k[1], "/Pages");
    assert_string_equal(k[2], "/Type");
    assert_string_equal(k[3], "/Zed");
    assert_false(pdf_has_key(p, a, "/Gone"));
    assert_false(pdf_has_key(p, a, "/Info"));
    assert_true(pdf_has_key(f, b, "/Version"));
    /* (a) and <61> are one string; the keys' order in the text is nothing */
    assert_true(pdf_same(p, pdf_dict_get(a, "/Zed"), f, pdf_dict_get(b, "/Zed")));
    assert_false(pdf_same(p, a, f, b)); /* /Version added */
    /* references compared, not followed: 3 0 R is 3 0 R in both */
    assert_true(pdf_same(p, pdf_dict_get(a, "/AcroForm"), f, pdf_dict_get(b, "/AcroForm")));
    /* the form: a field added to /Fields */
    assert_false(pdf_same(p, pdf_get(p, 3, 0), f, pdf_get(f, 3, 0)));
    assert_false(pdf_same(p, pdf_dict_get(pdf_get(p, 3, 0), "/Fields"), f,
                          pdf_dict_get(pdf_get(f, 3, 0), "/Fields")));
    assert_true(pdf_same(p, pdf_dict_get(pdf_get(p, 3, 0), "/Num"), f,
                         pdf_dict_get(pdf_get(f, 3, 0), "/Num")));
    assert_true(pdf_same(p, pdf_get(p, 2, 0), f, pdf_get(f, 2, 0)));
    free(m);
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cmp__keys_nulls_and_values__as_the_judge_reads_them),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
