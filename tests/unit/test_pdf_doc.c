/*
 * Unit tests for the PDF layer (core/pdf/pdf.h; docs/internals/stamp.md §8,
 * "One reader"): one object's text parsed into its tree; a document read
 * through its cross-reference (a table, a stream with a PNG predictor and
 * an object stream, an incremental update seen as of each revision); the
 * page tree with inherited attributes and a page's content decoded; and
 * hostile texts that must be refused, never guessed at or looped on (a
 * /Prev chain that loops, a page tree that holds itself, nesting deeper
 * than PDF_DEPTH_MAX, a stream whose /Length is wrong or names itself, an
 * encrypted file).  Every file is built here with its offsets counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "pdf/pdf.h"
#include "pdf/pdf_int.h"

/* a PDF being built: its bytes and each object's offset */
struct mk {
    char b[65536];
    size_t n;
    long long off[32];
};

static void
put(struct mk *m, const void *s, size_t n)
{
    assert_true(m->n + n < sizeof(m->b));
    memcpy(m->b + m->n, s, n);
    m->n += n;
}

static void
puts_(struct mk *m, const char *s)
{
    put(m, s, strlen(s));
}

static void
obj(struct mk *m, int num, const char *text)
{
    char h[64];

    m->off[num] = (long long)m->n;
    snprintf(h, sizeof(h), "%d 0 obj\n", num);
    puts_(m, h);
    puts_(m, text);
    puts_(m, "\nendobj\n");
}

/* a table for objects from..to, a trailer and %%EOF */
static void
table(struct mk *m, int from, int to, const char *trailer)
{
    char l[128];
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

/* three pages under two nodes; the media box and rotation inherited */
static void
base_doc(struct mk *m, const char *content)
{
    char s[512];

    memset(m, 0, sizeof(*m));
    puts_(m, "%PDF-1.7\n");
    obj(m, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    obj(m, 2, "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 3 /MediaBox [0 0 612 792] >>");
    obj(m, 3, "<< /Type /Page /Parent 2 0 R /Contents 6 0 R /Rotate 90 >>");
    obj(m, 4, "<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 7 0 R] /Count 2 /Rotate 180 >>");
    obj(m, 5, "<< /Type /Page /Parent 4 0 R /MediaBox [0 0 100 200.5] >>");
    snprintf(s, sizeof(s), "<< /Length %zu >>\nstream\n%s\nendstream", strlen(content), content);
    obj(m, 6, s);
    obj(m, 7, "<< /Type /Page /Parent 4 0 R /Annots [8 0 R] >>");
    obj(m, 8, "<< /Type /Annot /Subtype /Widget /Rect [10 20 110.5 70] /P 7 0 R >>");
    table(m, 0, 8, "<< /Size 9 /Root 1 0 R >>");
}

static const char *err_last;

static struct pdf_doc *
open_at(struct hall_pool *pool, struct mk *m, long long end)
{
    static char err[256];
    struct pdf_doc *d;

    err[0] = '\0';
    d = pdf_open(pool, (const unsigned char *)m->b, (long long)m->n, end, err, sizeof(err));
    err_last = err;
    return d;
}

static void
parse__each_kind__its_tree(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    const char *t = "<< /A 1 /B -2.5 /C (a\\)b) /D <414 2> /E [true false null 3 0 R] "
                    "/F#20x 1 /G << /H /I >> /A 7 >>";
    long long at = 0;
    struct pdf_obj *o = pdf_parse(pool, (const unsigned char *)t, &at, (long long)strlen(t));
    const struct pdf_obj *v;
    double r;

    (void)state;
    assert_non_null(o);
    assert_int_equal(o->type, PDF_DICT);
    assert_int_equal(o->n, 8);
    assert_int_equal(at, (long long)strlen(t));
    v = pdf_dict_get(o, "/A"); /* twice: the last, as libqpdf reads it */
    assert_int_equal(v->type, PDF_INT);
    assert_int_equal(v->i, 7);
    assert_int_equal(pdf_num(pdf_dict_get(o, "/B"), &r), HALL_OK);
    assert_true(r == -2.5);
    v = pdf_dict_get(o, "/C");
    assert_int_equal(v->type, PDF_STRING);
    assert_int_equal(v->len, 3);
    assert_memory_equal(v->s, "a)b", 3);
    v = pdf_dict_get(o, "/D");
    assert_int_equal(v->len, 2);
    assert_memory_equal(v->s, "AB", 2);
    v = pdf_dict_get(o, "/E");
    assert_int_equal(v->type, PDF_ARRAY);
    assert_int_equal(v->n, 4);
    assert_int_equal(v->items[0]->type, PDF_BOOL);
    assert_int_equal(v->items[0]->i, 1);
    assert_int_equal(v->items[2]->type, PDF_NULL);
    assert_int_equal(v->items[3]->type, PDF_REF);
    assert_int_equal(pdf_ref_num(v->items[3]), 3);
    assert_non_null(pdf_dict_get(o, "/F x")); /* #20 decoded */
    assert_true(pdf_is_name(pdf_dict_get(pdf_dict_get(o, "/G"), "/H"), "/I"));
    assert_null(pdf_dict_get(o, "/Z"));
    hall_pool_destroy(pool);
}

static void
parse__hostile_texts__refused(void **state)
{
    static const char *bad[] = {
        "<< /A 1 /B >>", "<< 1 2 >>", "[1 2", "(abc", "<< /A bogus >>", "]", "<4G>", "<< /A [ >> ]",
    };
    struct hall_pool *pool = hall_pool_create(4096);
    char deep[PDF_DEPTH_MAX * 2 + 8];
    long long at;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        at = 0;
        if (pdf_parse(pool, (const unsigned char *)bad[i], &at, (long long)strlen(bad[i])) != NULL)
            fail_msg("read: %s", bad[i]);
    }
    /* nesting past the bound: refused, not a stack overflow */
    memset(deep, '[', PDF_DEPTH_MAX + 2);
    memset(deep + PDF_DEPTH_MAX + 2, ']', PDF_DEPTH_MAX + 2);
    at = 0;
    assert_null(pdf_parse(pool, (const unsigned char *)deep, &at, 2 * PDF_DEPTH_MAX + 4));
    hall_pool_destroy(pool);
}

static void
doc__pages_inherited_attributes_and_content(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct mk *m = malloc(sizeof(*m));
    struct pdf_doc *d;
    const struct pdf_obj *pg, *mb, *ann;
    unsigned char *c;
    size_t n;
    int num;
    double v;

    (void)state;
    base_doc(m, "BT /F1 12 Tf (hi) Tj ET");
    d = open_at(pool, m, (long long)m->n);
    assert_non_null(d);
    assert_int_equal(pdf_page_count(d), 3);
    pg = pdf_page(d, 1, &num);
    assert_int_equal(num, 3);
    mb = pdf_page_attr(d, pg, "/MediaBox");
    assert_int_equal(mb->type, PDF_ARRAY);
    assert_int_equal(pdf_num(mb->items[2], &v), HALL_OK);
    assert_true(v == 612);
    assert_int_equal(pdf_page_attr(d, pg, "/Rotate")->i, 90);
    pg = pdf_page(d, 2, &num);
    assert_int_equal(num, 5);
    assert_int_equal(pdf_num(pdf_page_attr(d, pg, "/MediaBox")->items[3], &v), HALL_OK);
    assert_true(v == 200.5);
    assert_int_equal(pdf_page_attr(d, pg, "/Rotate")->i, 180);
    pg = pdf_page(d, 3, &num);
    assert_int_equal(num, 7);
    ann = pdf_resolve(d, pdf_key(d, pg, "/Annots")->items[0]);
    assert_int_equal(pdf_ref_num(pdf_dict_get(ann, "/P")), 7);
    assert_null(pdf_page(d, 4, NULL));
    assert_int_equal(pdf_page_content(d, pdf_page(d, 1, NULL), 0, &c, &n), HALL_OK);
    assert_int_equal(n, strlen("BT /F1 12 Tf (hi) Tj ET") + 1);
    assert_memory_equal(c, "BT /F1 12 Tf (hi) Tj ET\n", n);
    free(c);
    assert_int_equal(pdf_page_content(d, pdf_page(d, 2, NULL), 0, &c, &n), HALL_OK);
    assert_int_equal(n, 0); /* no /Contents: nothing drawn */
    free(c);
    /* the bound on the content: over it, refused */
    assert_int_equal(pdf_page_content(d, pdf_page(d, 1, NULL), 5, &c, &n), HALL_ERR);
    free(m);
    hall_pool_destroy(pool);
}

static void
doc__an_update__each_revision_as_it_was(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct mk *m = malloc(sizeof(*m));
    struct pdf_doc *d1, *d2;
    long long end1, prev;
    char tr[128];

    (void)state;
    base_doc(m, "q Q");
    end1 = (long long)m->n;
    prev = end1 - 1;
    while (memcmp(m->b + prev, "startxref", 9) != 0)
        prev--;
    prev = strtoll(m->b + prev + 10, NULL, 10);
    obj(m, 5, "<< /Type /Page /Parent 4 0 R /MediaBox [0 0 300 300] >>");
    snprintf(tr, sizeof(tr), "<< /Size 9 /Root 1 0 R /Prev %lld >>", prev);
    table(m, 5, 5, tr);
    d1 = open_at(pool, m, end1);
    d2 = open_at(pool, m, (long long)m->n);
    assert_non_null(d1);
    assert_non_null(d2);
    assert_int_equal(pdf_page_attr(d1, pdf_page(d1, 2, NULL), "/MediaBox")->items[2]->i, 100);
    assert_int_equal(pdf_page_attr(d2, pdf_page(d2, 2, NULL), "/MediaBox")->items[2]->i, 300);
    free(m);
    hall_pool_destroy(pool);
}

static void
doc__xref_stream_predictor_and_object_stream(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct mk *m = malloc(sizeof(*m));
    const char *ostxt = "2 0 3 43 "
                        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>  "
                        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 5 5] >>";
    unsigned char raw[256], z[512], row[5];
    uLongf zl = sizeof(z);
    size_t rn = 0;
    long long xoff;
    char s[1024];
    struct pdf_doc *d;

    (void)state;
    memset(m, 0, sizeof(*m));
    puts_(m, "%PDF-1.7\n");
    obj(m, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    snprintf(s, sizeof(s), "<< /Type /ObjStm /N 2 /First 9 /Length %zu >>\nstream\n%s\nendstream",
             strlen(ostxt), ostxt);
    obj(m, 4, s);
    xoff = (long long)m->n;
    /* rows: type (1), field 2 (2), field 3 (1), PNG "Up" predicted */
    {
        unsigned char rows[6][4] = {{0, 0, 0, 255},
                                    {1, 0, (unsigned char)m->off[1], 0},
                                    {2, 0, 4, 0},
                                    {2, 0, 4, 1},
                                    {1, 0, (unsigned char)m->off[4], 0},
                                    {1, (unsigned char)(xoff >> 8), (unsigned char)xoff, 0}};

        memset(row, 0, sizeof(row));
        for (int r = 0; r < 6; r++) {
            raw[rn++] = 2;
            for (int c = 0; c < 4; c++)
                raw[rn++] = (unsigned char)(rows[r][c] - (r > 0 ? rows[r - 1][c] : 0));
        }
    }
    assert_int_equal(compress(z, &zl, raw, rn), Z_OK);
    snprintf(s, sizeof(s),
             "5 0 obj\n<< /Type /XRef /Size 6 /W [1 2 1] /Root 1 0 R /Filter /FlateDecode "
             "/DecodeParms << /Predictor 12 /Columns 4 >> /Length %lu >>\nstream\n",
             (unsigned long)zl);
    puts_(m, s);
    put(m, z, zl);
    snprintf(s, sizeof(s), "\nendstream\nendobj\nstartxref\n%lld\n%%%%EOF\n", xoff);
    puts_(m, s);
    d = open_at(pool, m, (long long)m->n);
    assert_non_null(d);
    assert_int_equal(pdf_entries(d), 6);
    assert_int_equal(pdf_page_count(d), 1);
    assert_int_equal(pdf_page_attr(d, pdf_page(d, 1, NULL), "/MediaBox")->items[3]->i, 5);
    free(m);
    hall_pool_destroy(pool);
}

static void
hostile__loops_wrong_lengths_encryption__refused(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct mk *m = malloc(sizeof(*m));
    struct pdf_doc *d;
    unsigned char *c;
    size_t n;
    char tr[128];
    long long sx;

    (void)state;
    /* a page tree that holds itself */
    memset(m, 0, sizeof(*m));
    puts_(m, "%PDF-1.7\n");
    obj(m, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    obj(m, 2, "<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>");
    obj(m, 3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>");
    obj(m, 4, "<< /Length 4 0 R >>\nstream\nq Q\nendstream");
    table(m, 0, 4, "<< /Size 5 /Root 1 0 R >>");
    d = open_at(pool, m, (long long)m->n);
    assert_non_null(d);
    assert_int_equal(pdf_page_count(d), -1);
    assert_null(pdf_page(d, 1, NULL));
    /* a stream whose /Length names itself */
    assert_null(pdf_get(d, 4, 0));
    /* a /Length that misses endstream: not guessed */
    memset(m, 0, sizeof(*m));
    base_doc(m, "BT (x) Tj ET");
    {
        char *l = strstr(m->b, "/Length 12");

        assert_non_null(l);
        l[9] = '0'; /* /Length 10 */
    }
    d = open_at(pool, m, (long long)m->n);
    assert_non_null(d);
    assert_int_equal(pdf_page_content(d, pdf_page(d, 1, NULL), 0, &c, &n), HALL_ERR);
    /* a /Prev chain that loops back to its own section */
    base_doc(m, "q Q");
    sx = (long long)m->n;
    snprintf(tr, sizeof(tr), "<< /Size 9 /Root 1 0 R /Prev %lld >>", sx);
    table(m, 5, 5, tr);
    assert_null(open_at(pool, m, (long long)m->n));
    assert_non_null(strstr(err_last, "loops"));
    /* encrypted: refused */
    base_doc(m, "q Q");
    {
        char *t = strstr(m->b, "trailer");

        sx = strtoll(strstr(t, "startxref") + 10, NULL, 10);
        m->n = (size_t)(t - m->b);
    }
    snprintf(tr, sizeof(tr),
             "trailer\n<< /Size 9 /Root 1 0 R /Encrypt 1 0 R >>\nstartxref\n%lld\n%%%%EOF\n", sx);
    puts_(m, tr);
    assert_null(open_at(pool, m, (long long)m->n));
    assert_string_equal(err_last, "encrypted");
    /* no startxref at all */
    assert_null(open_at(pool, m, 20));
    free(m);
    hall_pool_destroy(pool);
}

static void
decode__ascii85_zeros_and_hex__bounded_by_max(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    const char *a85 = "/ASCII85Decode", *ahx = "/ASCIIHexDecode";
    const char *zs = "zzzzzzzzzz~>"; /* each 'z' four NUL bytes: 40 from 12 */
    long long at = 0;
    const struct pdf_obj *f;
    unsigned char *out = NULL;
    size_t n = 0;

    (void)state;
    f = pdf_parse(pool, (const unsigned char *)a85, &at, (long long)strlen(a85));
    assert_int_equal(pdf_decode((const unsigned char *)zs, strlen(zs), &f, NULL, 1, 0, &out, &n),
                     HALL_OK);
    assert_int_equal(n, 40);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(out[i], 0);
    free(out);
    /* over the caller's bound: refused, nothing written past it */
    assert_int_equal(pdf_decode((const unsigned char *)zs, strlen(zs), &f, NULL, 1, 16, &out, &n),
                     HALL_ERR);
    assert_int_equal(
        pdf_decode((const unsigned char *)"87cURD_*#4DfTZ)~>", 17, &f, NULL, 1, 0, &out, &n),
        HALL_OK);
    assert_int_equal(n, 12);
    assert_memory_equal(out, "Hello, World", 12);
    free(out);
    at = 0;
    f = pdf_parse(pool, (const unsigned char *)ahx, &at, (long long)strlen(ahx));
    assert_int_equal(pdf_decode((const unsigned char *)"48 69>", 6, &f, NULL, 1, 0, &out, &n),
                     HALL_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "Hi", 2);
    free(out);
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse__each_kind__its_tree),
        cmocka_unit_test(parse__hostile_texts__refused),
        cmocka_unit_test(doc__pages_inherited_attributes_and_content),
        cmocka_unit_test(doc__an_update__each_revision_as_it_was),
        cmocka_unit_test(doc__xref_stream_predictor_and_object_stream),
        cmocka_unit_test(hostile__loops_wrong_lengths_encryption__refused),
        cmocka_unit_test(decode__ascii85_zeros_and_hex__bounded_by_max),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
