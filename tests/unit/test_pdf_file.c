/*
 * Unit tests for one file's revisions read once (core/pdf/pdf_file.c;
 * docs/internals/stamp.md §8): a view of each revision answers as
 * pdf_open of that revision answers — for every file of tests/data/pdf and
 * every %%EOF in it, opened in three orders (the whole file first, oldest
 * first, newest first), the same refusals, entries, places and objects —
 * and an object no later revision writes is read once for all views (the
 * same tree), one a later revision writes is the view's own.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pdf/pdf.h"
#include "pdf/pdf_int.h"

#define ENDS_MAX 512

static int files_read, views_compared;

/* the ends of the revisions: just after each %%EOF */
static int
eofs(const unsigned char *p, long long n, long long *ends)
{
    int k = 0;

    for (long long i = 0; i + 5 <= n && k < ENDS_MAX; i++)
        if (memcmp(p + i, "%%EOF", 5) == 0)
            ends[k++] = i + 5;
    return k;
}

/* a view and pdf_open's document of the same end: the same answers */
static void
same_view(const char *name, const unsigned char *p, long long n, struct pdf_file *f, long long end)
{
    struct hall_pool *pool = hall_pool_create(65536);
    char e1[256] = "", e2[256] = "";
    struct pdf_doc *a = pdf_open(pool, p, n, end, e1, sizeof(e1));
    struct pdf_doc *b = pdf_file_doc(f, end, e2, sizeof(e2));
    long long size;

    if ((a == NULL) != (b == NULL) || (a == NULL && strcmp(e1, e2) != 0))
        fail_msg("%s at %lld: pdf_open %s, the view %s", name, end, a ? "reads" : e1,
                 b ? "reads" : e2);
    if (a == NULL) {
        hall_pool_destroy(pool);
        return;
    }
    assert_int_equal(pdf_entries(a), pdf_entries(b));
    assert_true(pdf_same(a, pdf_trailer(a), b, pdf_trailer(b)));
    {
        const struct pdf_obj *s = pdf_dict_get(pdf_trailer(a), "/Size");

        size = s != NULL && s->type == PDF_INT && s->i > 0 && s->i < 20000 ? s->i : 200;
    }
    for (int num = 1; num <= size + 2; num++) {
        long long oa = -1, ob = -1;
        int wa = pdf_where(a, num, &oa), wb = pdf_where(b, num, &ob);
        const struct pdf_obj *x, *y;

        if (wa != wb || oa != ob)
            fail_msg("%s at %lld: object %d where %d@%lld, the view %d@%lld", name, end, num, wa,
                     oa, wb, ob);
        for (int gen = 0; gen < 2; gen++) {
            x = pdf_get(a, num, gen);
            y = pdf_get(b, num, gen);
            if ((x == NULL) != (y == NULL))
                fail_msg("%s at %lld: object %d %d reads %s, in the view %s", name, end, num, gen,
                         x ? "yes" : "no", y ? "yes" : "no");
            if (x != NULL &&
                (x->type != y->type || !pdf_same(a, x, b, y) ||
                 (x->type == PDF_STREAM && (x->data != y->data || x->dlen != y->dlen))))
                fail_msg("%s at %lld: object %d %d differs in the view", name, end, num, gen);
        }
    }
    assert_int_equal(pdf_page_count(a), pdf_page_count(b));
    views_compared++;
    hall_pool_destroy(pool);
}

static void
one_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    unsigned char *p;
    long long ends[ENDS_MAX];
    int k;

    assert_true(fd >= 0 && fstat(fd, &sb) == 0);
    if (sb.st_size == 0 || sb.st_size > (64 << 20)) {
        close(fd);
        return;
    }
    p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    assert_true(p != MAP_FAILED);
    k = eofs(p, sb.st_size, ends);
    for (int order = 0; order < 3; order++) {
        struct hall_pool *fp = hall_pool_create(65536);
        struct pdf_file *f = pdf_file_open(fp, p, sb.st_size);

        if (order == 0)
            same_view(path, p, sb.st_size, f, sb.st_size);
        for (int i = 0; i < k; i++)
            same_view(path, p, sb.st_size, f, ends[order == 2 ? k - 1 - i : i]);
        hall_pool_destroy(fp);
    }
    files_read++;
    munmap(p, (size_t)sb.st_size);
    close(fd);
}

static void
walk(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[2048];

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        struct stat sb;
        size_t l = strlen(e->d_name);

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode))
            walk(path);
        else if (l > 4 && strcmp(e->d_name + l - 4, ".pdf") == 0)
            one_file(path);
    }
    closedir(d);
}

static void
corpus__every_revision_seen_in_a_view__as_pdf_open_sees_it(void **state)
{
    const char *root = getenv("HALL_ROOT");
    char dir[1024];

    (void)state;
    snprintf(dir, sizeof(dir), "%s/tests/data/pdf", root != NULL ? root : ".");
    walk(dir);
    assert_true(files_read >= 20);
    assert_true(views_compared >= 40);
}

/* a PDF of three revisions built here: objects 1-4, then 4 written again,
 * then 5 added */
static size_t
three_revisions(char *b, size_t cap, long long *ends)
{
    size_t n = 0;
    long long off[8], x1, x2, x3;

#define PUT(...) n += (size_t)snprintf(b + n, cap - n, __VA_ARGS__)
    PUT("%%PDF-1.7\n");
    off[1] = (long long)n;
    PUT("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = (long long)n;
    PUT("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    off[3] = (long long)n;
    PUT("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>\n"
        "endobj\n");
    off[4] = (long long)n;
    PUT("4 0 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj\n");
    x1 = (long long)n;
    PUT("xref\n0 5\n0000000000 65535 f \n");
    for (int i = 1; i <= 4; i++)
        PUT("%010lld 00000 n \n", off[i]);
    PUT("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%lld\n%%%%EOF\n", x1);
    ends[0] = (long long)n - 1;
    off[4] = (long long)n;
    PUT("4 0 obj\n<< /Length 3 >>\nstream\nxyz\nendstream\nendobj\n");
    x2 = (long long)n;
    PUT("xref\n0 1\n0000000000 65535 f \n4 1\n%010lld 00000 n \n", off[4]);
    PUT("trailer\n<< /Size 5 /Root 1 0 R /Prev %lld >>\nstartxref\n%lld\n%%%%EOF\n", x1, x2);
    ends[1] = (long long)n - 1;
    off[5] = (long long)n;
    PUT("5 0 obj\n[1 2 3]\nendobj\n");
    x3 = (long long)n;
    PUT("xref\n0 1\n0000000000 65535 f \n5 1\n%010lld 00000 n \n", off[5]);
    PUT("trailer\n<< /Size 6 /Root 1 0 R /Prev %lld >>\nstartxref\n%lld\n%%%%EOF\n", x2, x3);
    ends[2] = (long long)n - 1;
#undef PUT
    return n;
}

static void
views__an_object_not_written_again__read_once_for_all(void **state)
{
    static char b[8192];
    long long ends[3];
    size_t n = three_revisions(b, sizeof(b), ends);
    struct hall_pool *pool = hall_pool_create(65536);
    struct pdf_file *f = pdf_file_open(pool, (const unsigned char *)b, (long long)n);
    struct pdf_doc *v[3];
    char err[256];
    size_t len;

    (void)state;
    for (int i = 0; i < 3; i++) {
        v[i] = pdf_file_doc(f, ends[i], err, sizeof(err));
        assert_non_null(v[i]);
    }
    /* the page, never written again: one tree for the three views */
    assert_ptr_equal(pdf_get(v[0], 3, 0), pdf_get(v[1], 3, 0));
    assert_ptr_equal(pdf_get(v[1], 3, 0), pdf_get(v[2], 3, 0));
    /* the content, written again by the second revision: its own there */
    assert_ptr_not_equal(pdf_get(v[0], 4, 0), pdf_get(v[1], 4, 0));
    assert_memory_equal(pdf_stream_raw(v[0], pdf_get(v[0], 4, 0), &len), "abc", 3);
    assert_memory_equal(pdf_stream_raw(v[1], pdf_get(v[1], 4, 0), &len), "xyz", 3);
    assert_ptr_equal(pdf_get(v[1], 4, 0), pdf_get(v[2], 4, 0));
    /* the array the third adds: null before it */
    assert_int_equal(pdf_get(v[1], 5, 0)->type, PDF_NULL);
    assert_int_equal(pdf_get(v[2], 5, 0)->type, PDF_ARRAY);
    assert_int_equal(pdf_entries(v[0]), 5);
    assert_int_equal(pdf_entries(v[2]), 6);
    /* a view past the end or before the first revision: as pdf_open */
    assert_null(pdf_file_doc(f, 30, err, sizeof(err)));
    assert_string_equal(err, "no startxref before offset 30");
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus__every_revision_seen_in_a_view__as_pdf_open_sees_it),
        cmocka_unit_test(views__an_object_not_written_again__read_once_for_all),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
