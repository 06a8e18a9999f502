/*
 * Unit tests for the multipart parser of the spooled body (core/web/spool.c,
 * hall_spool_parts): the body is in a file, the file part is found by
 * offsets (its boundary searched 64 KiB at a time, also across a read's
 * edge), the plain parts become parameters, and every malformed body is a
 * 400 or 413, never a crash or a wrong file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hall.h"

#define CT "multipart/form-data; boundary=XyZ"

/* an unlinked file holding n bytes of body */
static int
body_file(const char *body, size_t n)
{
    FILE *f = tmpfile();
    int fd;

    assert_non_null(f);
    assert_int_equal(fwrite(body, 1, n, f), n);
    fflush(f);
    fd = dup(fileno(f));
    fclose(f);
    return fd;
}

static int
parse(struct hall_pool *pool, const char *ct, const char *body, size_t n, size_t max,
      struct hall_spool *out, struct hall_param **fields, const char **err)
{
    int fd = body_file(body, n), st;

    out->fd = -1;
    out->off = 0;
    out->len = 0;
    *fields = NULL;
    st = hall_spool_parts(pool, ct, fd, (off_t)n, "file", max, out, fields, err);
    if (out->fd < 0)
        close(fd);
    return st;
}

static const char *
field_of(const struct hall_param *p, const char *name)
{
    for (; p != NULL; p = p->next)
        if (strcmp(p->name, name) == 0)
            return p->value;
    return NULL;
}

/* the file part's bytes as read back from the file */
static char *
file_bytes(struct hall_pool *pool, const struct hall_spool *out)
{
    char *b = hall_palloc(pool, out->len + 1);

    assert_int_equal(pread(out->fd, b, out->len, out->off), (ssize_t)out->len);
    b[out->len] = '\0';
    return b;
}

static void
spool_parts__fields_and_file__file_found_by_offset(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    static const char body[] =
        "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
        "filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        "%PDF-1.7\r\n--XyZnot a boundary\r\n-- XyZ\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"page\"\r\n\r\n2\r\n"
        "--XyZ--\r\n";
    struct hall_param *fields;
    struct hall_spool out;
    const char *err = NULL;

    (void)state;
    assert_int_equal(parse(pool, CT, body, sizeof(body) - 1, 1000, &out, &fields, &err), 0);
    assert_null(err);
    assert_true(out.fd >= 0);
    assert_string_equal(file_bytes(pool, &out), "%PDF-1.7\r\n--XyZnot a boundary\r\n-- XyZ");
    assert_string_equal(out.filename, "a.pdf");
    assert_string_equal(field_of(fields, "_csrf"), "tok");
    assert_string_equal(field_of(fields, "page"), "2");
    close(out.fd);
    hall_pool_destroy(pool);
}

static void
spool_parts__boundary_across_a_read_edge__file_exact(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    const char *head = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                       "filename=\"x\"\r\n\r\n";
    const char *tail = "\r\n--XyZ--\r\n";
    size_t h = strlen(head), t = strlen(tail), sizes[] = {65536 - 3, 65536, 65536 * 2 - 7, 1};
    struct hall_param *fields;
    struct hall_spool out;
    const char *err;
    size_t i, k;

    (void)state;
    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        /* the file's data ends so that the closing delimiter straddles the
         * parser's 64 KiB reads, wherever the headers put it */
        size_t n = sizes[k] > h ? sizes[k] - h : sizes[k];
        char *body = malloc(h + n + t);

        assert_non_null(body);
        memcpy(body, head, h);
        for (i = 0; i < n; i++)
            body[h + i] = (char)('a' + i % 26);
        memcpy(body + h + n, tail, t);
        assert_int_equal(parse(pool, CT, body, h + n + t, 1 << 20, &out, &fields, &err), 0);
        assert_int_equal(out.len, n);
        assert_int_equal(out.off, (off_t)h);
        assert_memory_equal(file_bytes(pool, &out), body + h, n);
        close(out.fd);
        free(body);
    }
    hall_pool_destroy(pool);
}

static void
spool_parts__malformed__400_or_413_never_a_file(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_param *fields;
    struct hall_spool out;
    const char *err;
    char many[4096], big[6000];
    size_t n = 0;
    int i;

    (void)state;
    /* no boundary in the type */
    assert_int_equal(parse(pool, "multipart/form-data", "--XyZ--\r\n", 9, 10, &out, &fields, &err),
                     400);
    /* no closing boundary */
    {
        static const char b[] =
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc";
        assert_int_equal(parse(pool, CT, b, sizeof(b) - 1, 10, &out, &fields, &err), 400);
        assert_int_equal(out.fd, -1);
    }
    /* a part without Content-Disposition */
    {
        static const char b[] = "--XyZ\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XyZ--\r\n";
        assert_int_equal(parse(pool, CT, b, sizeof(b) - 1, 10, &out, &fields, &err), 400);
    }
    /* headers that never end within 4 KiB */
    n = (size_t)snprintf(big, sizeof(big),
                         "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n");
    memset(big + n, 'h', sizeof(big) - n - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(parse(pool, CT, big, strlen(big), 10, &out, &fields, &err), 400);
    /* more than 16 parts */
    n = 0;
    for (i = 0; i < 17; i++)
        n += (size_t)snprintf(many + n, sizeof(many) - n,
                              "--XyZ\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n",
                              i);
    n += (size_t)snprintf(many + n, sizeof(many) - n, "--XyZ--\r\n");
    assert_int_equal(parse(pool, CT, many, n, 10, &out, &fields, &err), 400);
    /* the file above max: 413, no file */
    {
        static const char b[] = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                                "filename=\"a\"\r\n\r\n0123456789A\r\n--XyZ--\r\n";
        assert_int_equal(parse(pool, CT, b, sizeof(b) - 1, 10, &out, &fields, &err), 413);
        assert_null(err);
        assert_int_equal(out.fd, -1);
    }
    /* not a body at all */
    assert_int_equal(parse(pool, CT, "", 0, 10, &out, &fields, &err), 400);
    assert_int_equal(parse(pool, CT, "%PDF-1.7 raw", 12, 10, &out, &fields, &err), 400);
    hall_pool_destroy(pool);
}

static void
spool_parts__no_file_part__ok_without_a_file(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    static const char b[] = "--XyZ\r\nContent-Disposition: form-data; name=\"other\"; "
                            "filename=\"a\"\r\n\r\nabc\r\n--XyZ--\r\n";
    struct hall_param *fields;
    struct hall_spool out;
    const char *err;

    (void)state;
    assert_int_equal(parse(pool, CT, b, sizeof(b) - 1, 10, &out, &fields, &err), 0);
    assert_int_equal(out.fd, -1);
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spool_parts__fields_and_file__file_found_by_offset),
        cmocka_unit_test(spool_parts__boundary_across_a_read_edge__file_exact),
        cmocka_unit_test(spool_parts__malformed__400_or_413_never_a_file),
        cmocka_unit_test(spool_parts__no_file_part__ok_without_a_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
