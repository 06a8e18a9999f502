/*
 * Unit tests for core/pdf/pdf_write.c (docs/internals/stamp.md §4, "The
 * page again"): the stamper writes a page, the form and the catalog again
 * from core/pdf's objects, in the text libqpdf 11's unparse gave before,
 * so that a stamp's bytes stay what they were.  libqpdf's own unparse of
 * the same bytes is the oracle: names needing #xx, strings literal and
 * hex, reals as written, nested dictionaries with null values and
 * references to absent objects, a key there twice (a '#' in a name is the
 * one difference: written #23, as ISO 32000 says, where libqpdf wrote it
 * bare).  And what the stamper
 * refuses on: a reference to a stream cut off (no endstream) is gone, one
 * whose /Length misses but whose endstream is there is kept; a
 * cross-reference entry that points beside its object is counted.  And
 * the writer's maximum: a page whose text needs one byte more than the
 * writer holds is refused, never grown past it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <qpdf/qpdf-c.h>

#include "pdf/pdf.h"

struct mk {
    char b[16384];
    size_t n;
    long long off[16];
};

static void
put(struct mk *m, const char *s, size_t n)
{
    assert_true(m->n + n < sizeof(m->b));
    memcpy(m->b + m->n, s, n);
    m->n += n;
}

static void
obj(struct mk *m, int num, const char *text)
{
    size_t n = strlen(text);

    char h[32];

    m->off[num] = (long long)m->n;
    snprintf(h, sizeof(h), "%d 0 obj\n", num);
    put(m, h, strlen(h));
    put(m, text, n);
    put(m, "\nendobj\n", 8);
}

static void
table(struct mk *m, int count, long long shift)
{
    char l[256];
    long long at = (long long)m->n;

    snprintf(l, sizeof(l), "xref\n0 %d\n0000000000 65535 f \n", count);
    put(m, l, strlen(l));
    for (int i = 1; i < count; i++) {
        snprintf(l, sizeof(l), "%010lld 00000 n \n", m->off[i] + (i == 3 ? shift : 0));
        put(m, l, strlen(l));
    }
    snprintf(l, sizeof(l), "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%lld\n%%%%EOF\n", count,
             at);
    put(m, l, strlen(l));
}

/* object 4: every kind of value libqpdf and core/pdf must write alike */
static const char page[] =
    "<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Zz 1 /A#20b (x) /Empty << >> "
    "/Lit (a\\(b\\) c\\\\ \\n\\t\\101\\351 tail) /Bin <00ff10> /Latin (caf\\351s and more) "
    "/Hi <c3a9c3a9c3a9> /Reals [.5 1. -0.250 +3.0 7] /Arr [] /Nested << /B null /A 1 /C 99 0 R "
    "/D [1 2 << /X /y#23z >>] >> /Twice 1 /Twice 2 /Gone 99 0 R /Null null /Bool true "
    "/Name /Tab#09Name /Cut 6 0 R >>";

static void
build(struct mk *m, long long shift)
{
    memset(m, 0, sizeof(*m));
    put(m, "%PDF-1.7\n", 9);
    obj(m, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    obj(m, 2, "<< /Type /Pages /Kids [4 0 R] /Count 1 /MediaBox [0 0 595 842] >>");
    obj(m, 3, "<< /Unused 1 >>");
    obj(m, 4, page);
    /* a stream whose /Length is 9 too long: its endstream is there */
    obj(m, 5, "<< /Length 20 >>\nstream\nBT ET\nendstream");
    /* cut off: no endstream before the next object */
    obj(m, 6, "<< /Length 6 0 R >>\nstream\n\001garbage");
    obj(m, 7, "<< /Length 3 >>\nstream\nabc\nendstream");
    table(m, 8, shift);
}

static void
write__page_of_every_kind__libqpdf_unparse_text(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct mk m;
    struct pdf_doc *d;
    struct pdf_out o = {.max = 1 << 20};
    char err[256];
    qpdf_data q = qpdf_init();
    qpdf_oh h;
    const char *want;

    (void)state;
    build(&m, 0);
    d = pdf_open(pool, (const unsigned char *)m.b, (long long)m.n, (long long)m.n, err,
                 sizeof(err));
    assert_non_null(d);
    assert_int_equal(pdf_write(d, &o, pdf_get(d, 4, 0), 4), HALL_OK);
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    assert_int_equal(qpdf_read_memory(q, "t.pdf", m.b, m.n, NULL) & QPDF_ERRORS, 0);
    h = qpdf_get_object_by_id(q, 4, 0);
    want = qpdf_oh_unparse_resolved(q, h);
    /* but a '#' in a name: written #23 (ISO 32000-1 §7.3.5), where
     * libqpdf 11.3 wrote it bare ("/y#z", which reads back as another name) */
    {
        char *at = strstr((char *)o.p, "/y#23z");

        assert_non_null(at);
        memmove(at + 3, at + 5, strlen(at + 5) + 1);
        o.len -= 2;
    }
    if (strcmp((const char *)o.p, want) != 0)
        fprintf(stderr, "core/pdf: %s\nlibqpdf:  %s\n", (const char *)o.p, want);
    assert_string_equal((const char *)o.p, want);
    /* the keys alone, /Contents and /Type left out: the same text cut */
    free(o.p);
    o = (struct pdf_out){.max = 1 << 20};
    {
        static const char *const skip[] = {"/Contents", "/Type", NULL};

        assert_int_equal(pdf_write_keys(d, &o, pdf_get(d, 4, 0), skip, 4), HALL_OK);
        assert_null(strstr((const char *)o.p, "/Contents"));
        assert_null(strstr((const char *)o.p, "/Type"));
        assert_non_null(strstr((const char *)o.p, " /A#20b (x) /Arr [ ] /Bin <00ff10>"));
        assert_non_null(strstr((const char *)o.p, "/Twice 2"));
        assert_null(strstr((const char *)o.p, "/Gone"));
        assert_null(strstr((const char *)o.p, "/Cut"));
    }
    free(o.p);
    qpdf_cleanup(&q);
    hall_pool_destroy(pool);
}

static void
gone__cut_stream_gone_wrong_length_kept__misplaced_counted(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct mk m;
    struct pdf_doc *d;
    char err[256];
    struct pdf_obj r = {.type = PDF_REF};

    (void)state;
    build(&m, 0);
    d = pdf_open(pool, (const unsigned char *)m.b, (long long)m.n, (long long)m.n, err,
                 sizeof(err));
    assert_non_null(d);
    r.i = 5; /* wrong /Length, endstream there: viewers read it */
    assert_false(pdf_write_gone(d, &r));
    r.i = 6; /* cut off */
    assert_true(pdf_write_gone(d, &r));
    r.i = 7;
    assert_false(pdf_write_gone(d, &r));
    r.i = 99; /* not listed */
    assert_true(pdf_write_gone(d, &r));
    assert_int_equal(pdf_misplaced(d), 0);
    assert_int_equal(pdf_gen(d, 4), 0);
    /* object 3's entry 3 bytes off */
    build(&m, 3);
    d = pdf_open(pool, (const unsigned char *)m.b, (long long)m.n, (long long)m.n, err,
                 sizeof(err));
    assert_non_null(d);
    assert_int_equal(pdf_misplaced(d), 1);
    hall_pool_destroy(pool);
}

/*
 * A hostile page naming one object that does not read 20,000 times, the
 * object followed by 2 MiB before the next one: each answer is found
 * once (the keys left out), not 20,000 scans of 2 MiB (40 GB read) on an
 * anonymous /sign/try.
 */
static void
gone__one_unreadable_object_named_20000_times__read_once(void **state)
{
    size_t cap = 4u << 20, n = 0;
    char *b = malloc(cap), l[128];
    long long off[5], xref;
    struct hall_pool *pool = hall_pool_create(65536);
    struct pdf_doc *d;
    struct pdf_out o = {.max = 1 << 20};
    clock_t t0;
    int i;

    (void)state;
    assert_non_null(b);
#define ADD(str)                                                                                   \
    do {                                                                                           \
        size_t k_ = strlen(str);                                                                   \
        assert_true(n + k_ < cap);                                                                 \
        memcpy(b + n, str, k_);                                                                    \
        n += k_;                                                                                   \
    } while (0)
    ADD("%PDF-1.7\n");
    off[1] = (long long)n;
    ADD("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = (long long)n;
    ADD("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 9 9] >>\nendobj\n");
    off[3] = (long long)n;
    ADD("3 0 obj\n<< /Type /Page /Parent 2 0 R");
    for (i = 0; i < 20000; i++) {
        snprintf(l, sizeof(l), " /K%d 4 0 R", i);
        ADD(l);
    }
    ADD(" >>\nendobj\n");
    off[4] = (long long)n;
    ADD("4 0 obj\n<< /Length 4 0 R >>\nstream\n");
    memset(b + n, 'x', 2u << 20);
    n += 2u << 20;
    xref = (long long)n;
    ADD("\nxref\n0 5\n0000000000 65535 f \n");
    for (i = 1; i <= 4; i++) {
        snprintf(l, sizeof(l), "%010lld 00000 n \n", off[i]);
        ADD(l);
    }
    snprintf(l, sizeof(l), "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%lld\n%%%%EOF\n",
             xref + 1);
    ADD(l);
#undef ADD
    d = pdf_open(pool, (const unsigned char *)b, (long long)n, (long long)n, l, sizeof(l));
    assert_non_null(d);
    t0 = clock();
    assert_int_equal(pdf_write_keys(d, &o, pdf_get(d, 3, 0), NULL, 3), HALL_OK);
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
    assert_null(strstr((const char *)o.p, "/K1 "));
    assert_non_null(strstr((const char *)o.p, "/Type /Page"));
    free(o.p);
    free(b);
    hall_pool_destroy(pool);
}

/* a writer holds at most its maximum: the page's text with room for just
 * it is written; one byte less is refused, and so is every put after */
static void
max__page_one_byte_over__refused_and_stays_refused(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct mk m;
    struct pdf_doc *d;
    struct pdf_out all = {.max = 1 << 20}, o, none = {0};
    char err[256];

    (void)state;
    build(&m, 0);
    d = pdf_open(pool, (const unsigned char *)m.b, (long long)m.n, (long long)m.n, err,
                 sizeof(err));
    assert_non_null(d);
    assert_int_equal(pdf_write(d, &all, pdf_get(d, 4, 0), 4), HALL_OK);
    assert_true(all.len > 100);

    o = (struct pdf_out){.max = all.len};
    assert_int_equal(pdf_write(d, &o, pdf_get(d, 4, 0), 4), HALL_OK);
    assert_int_equal(o.len, all.len);
    assert_memory_equal(o.p, all.p, all.len);
    assert_true(o.cap <= all.len + 1);
    assert_int_equal(pdf_out_put(&o, "x", 1), HALL_ERR);
    assert_int_equal(o.len, all.len);
    free(o.p);

    o = (struct pdf_out){.max = all.len - 1};
    assert_int_equal(pdf_write(d, &o, pdf_get(d, 4, 0), 4), HALL_ERR);
    assert_true(o.full);
    assert_true(o.len < all.len);
    assert_true(o.cap <= all.len);
    assert_int_equal(pdf_out_put(&o, "", 0), HALL_ERR);
    assert_int_equal(pdf_write_keys(d, &o, pdf_get(d, 4, 0), NULL, 4), HALL_ERR);
    free(o.p);

    /* a writer made without a maximum holds nothing */
    assert_int_equal(pdf_out_put(&none, "x", 1), HALL_ERR);
    assert_int_equal(none.len, 0);
    assert_null(none.p);
    free(all.p);
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write__page_of_every_kind__libqpdf_unparse_text),
        cmocka_unit_test(gone__cut_stream_gone_wrong_length_kept__misplaced_counted),
        cmocka_unit_test(gone__one_unreadable_object_named_20000_times__read_once),
        cmocka_unit_test(max__page_one_byte_over__refused_and_stays_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
