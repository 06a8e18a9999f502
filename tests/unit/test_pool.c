/*
 * Unit tests for core/base/pool.c and core/base/buf.c.
 *
 * Under --enable-sanitizers the pool is built with HALL_POOL_DEBUG (one
 * malloc per allocation), so overlapping or leaked allocations show up as
 * ASan/LSan reports; the assertions here also hold in the bump-pointer build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hall.h"

/* ---- pool ------------------------------------------------------------------ */

static void
pool_palloc__many_sizes__aligned_and_not_overlapping(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    unsigned char *ptr[600];
    size_t size[600];
    size_t i, j;

    /* small, medium and "own block" sizes mixed, so every allocation path is taken */
    for (i = 0; i < 600; i++) {
        size[i] = i % 3 == 0 ? i * 7 % 5000 : i % 97 + 1;
        ptr[i] = hall_palloc(pool, size[i]);
        assert_non_null(ptr[i]);
        assert_int_equal((uintptr_t)ptr[i] % _Alignof(max_align_t), 0);
        memset(ptr[i], (int)(i & 0xff), size[i]);
    }
    /* a later allocation that overlapped an earlier one would have overwritten it */
    for (i = 0; i < 600; i++)
        for (j = 0; j < size[i]; j++)
            assert_int_equal(ptr[i][j], i & 0xff);
    hall_pool_destroy(pool);
}

static void
pool_palloc__zero_size__distinct_usable_pointers(void **state)
{
    struct hall_pool *pool = hall_pool_create(0);
    char *a = hall_palloc(pool, 0);
    char *b = hall_palloc(pool, 0);

    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    hall_pool_destroy(pool);
}

static void
pool_palloc__larger_than_block__usable_and_small_allocs_continue(void **state)
{
    struct hall_pool *pool = hall_pool_create(1024);
    char *small1 = hall_palloc(pool, 16);
    char *big = hall_palloc(pool, 100000);
    char *small2 = hall_palloc(pool, 16);
    size_t i;

    memset(small1, 'a', 16);
    memset(big, 'b', 100000);
    memset(small2, 'c', 16);
    for (i = 0; i < 16; i++) {
        assert_int_equal(small1[i], 'a');
        assert_int_equal(small2[i], 'c');
    }
    for (i = 0; i < 100000; i++)
        assert_int_equal(big[i], 'b');
    hall_pool_destroy(pool);
}

static void
pool_used__counts_aligned_bytes(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    size_t a =
        _Alignof(max_align_t) > sizeof(max_align_t) ? _Alignof(max_align_t) : sizeof(max_align_t);

    assert_int_equal(hall_pool_used(pool), 0);
    hall_palloc(pool, 1);
    assert_int_equal(hall_pool_used(pool), a);
    hall_palloc(pool, a + 1);
    assert_int_equal(hall_pool_used(pool), 3 * a);
    hall_palloc(pool, 50000);
    assert_true(hall_pool_used(pool) >= 3 * a + 50000);
    hall_pool_destroy(pool);
}

static void
pool_pcalloc__memory_zeroed(void **state)
{
    struct hall_pool *pool = hall_pool_create(1024);
    unsigned char *p;
    size_t i;

    /* dirty the block first so zeroing is not just fresh memory */
    memset(hall_palloc(pool, 200), 0xAA, 200);
    p = hall_pcalloc(pool, 300);
    for (i = 0; i < 300; i++)
        assert_int_equal(p[i], 0);
    hall_pool_destroy(pool);
}

static void
pool_strings__dup_ndup_sprintf__copies_terminated(void **state)
{
    struct hall_pool *pool = hall_pool_create(1024);
    const char *src = "证书服务大厅";
    char *s, *big;
    char fill[3000];

    s = hall_pstrdup(pool, src);
    assert_string_equal(s, src);
    assert_ptr_not_equal(s, src);
    assert_null(hall_pstrdup(pool, NULL));

    s = hall_pstrndup(pool, "abcdef", 3);
    assert_string_equal(s, "abc");
    /* bytes after n, even a NUL inside n, are copied as given */
    s = hall_pstrndup(pool, "a\0b", 3);
    assert_int_equal(memcmp(s, "a\0b\0", 4), 0);

    assert_string_equal(hall_psprintf(pool, "%s-%d-%05.1f", "x", -42, 3.14159), "x--42-003.1");
    /* longer than any internal scratch space */
    memset(fill, 'z', sizeof(fill) - 1);
    fill[sizeof(fill) - 1] = '\0';
    big = hall_psprintf(pool, "<%s>", fill);
    assert_int_equal(strlen(big), sizeof(fill) + 1);
    assert_int_equal(big[0], '<');
    assert_int_equal(big[sizeof(fill)], '>');
    hall_pool_destroy(pool);
}

static void
pool_pstrcat__joins_up_to_null__terminated(void **state)
{
    struct hall_pool *pool = hall_pool_create(64);
    char fill[300];
    char *s;

    assert_string_equal(hall_pstrcat(pool, NULL), "");
    assert_string_equal(hall_pstrcat(pool, "/new", "/print?id=", "42", NULL), "/new/print?id=42");
    assert_string_equal(hall_pstrcat(pool, "", "证书", "", "新办", NULL), "证书新办");
    /* longer than the pool's block */
    memset(fill, 'q', sizeof(fill) - 1);
    fill[sizeof(fill) - 1] = '\0';
    s = hall_pstrcat(pool, "<", fill, ">", NULL);
    assert_int_equal(strlen(s), sizeof(fill) + 1);
    assert_int_equal(s[sizeof(fill)], '>');
    hall_pool_destroy(pool);
}

static char cleanup_log[32];
static size_t cleanup_n;

static void
log_cleanup(void *data)
{
    cleanup_log[cleanup_n++] = *(const char *)data;
}

static void
pool_cleanup__destroy__runs_each_once_in_reverse_order(void **state)
{
    struct hall_pool *pool = hall_pool_create(1024);
    static const char ids[] = "abcde";
    size_t i;

    cleanup_n = 0;
    for (i = 0; i < 5; i++) {
        hall_pool_cleanup(pool, log_cleanup, (void *)&ids[i]);
        /* allocations between registrations must not disturb the list */
        hall_palloc(pool, i * 700);
    }
    assert_int_equal(cleanup_n, 0);
    hall_pool_destroy(pool);
    assert_int_equal(cleanup_n, 5);
    assert_memory_equal(cleanup_log, "edcba", 5);
}

static void
pool_destroy__null_pool__ignored(void **state)
{
    hall_pool_destroy(NULL);
}

/* ---- buf ------------------------------------------------------------------- */

static void
buf_add__up_to_max__accepted_and_terminated(void **state)
{
    struct hall_buf b;

    hall_buf_init(&b, 10);
    assert_int_equal(hall_buf_add(&b, "hello", 5), HALL_OK);
    assert_int_equal(hall_buf_addstr(&b, "world"), HALL_OK);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "helloworld");
    assert_true(b.cap <= b.max + 1);
    hall_buf_free(&b);
}

static void
buf_add__beyond_max__err_and_buffer_unchanged(void **state)
{
    struct hall_buf b;
    size_t cap;

    hall_buf_init(&b, 10);
    assert_int_equal(hall_buf_addstr(&b, "1234567"), HALL_OK);
    cap = b.cap;
    assert_int_equal(hall_buf_add(&b, "abcd", 4), HALL_ERR);
    assert_int_equal(b.len, 7);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.data, "1234567");
    /* a huge n must not wrap the size check around */
    assert_int_equal(hall_buf_add(&b, "x", SIZE_MAX), HALL_ERR);
    assert_int_equal(hall_buf_add(&b, "x", SIZE_MAX - 3), HALL_ERR);
    assert_string_equal(b.data, "1234567");
    /* what still fits, fits */
    assert_int_equal(hall_buf_add(&b, "abc", 3), HALL_OK);
    assert_string_equal(b.data, "1234567abc");
    assert_int_equal(hall_buf_add(&b, "", 0), HALL_OK);
    assert_int_equal(hall_buf_add(&b, "d", 1), HALL_ERR);
    assert_string_equal(b.data, "1234567abc");
    hall_buf_free(&b);
}

static void
buf_add__max_zero__only_empty_adds(void **state)
{
    struct hall_buf b;

    hall_buf_init(&b, 0);
    assert_int_equal(hall_buf_add(&b, "a", 1), HALL_ERR);
    assert_null(b.data);
    assert_int_equal(hall_buf_add(&b, "", 0), HALL_OK);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    hall_buf_free(&b);
}

static void
buf_add__binary_growth__content_kept(void **state)
{
    struct hall_buf b;
    unsigned char chunk[33];
    size_t i;

    hall_buf_init(&b, 1 << 20);
    for (i = 0; i < sizeof(chunk); i++)
        chunk[i] = (unsigned char)(i * 37);
    chunk[5] = '\0';
    /* many reallocations; the bytes must survive each one */
    for (i = 0; i < 1000; i++)
        assert_int_equal(hall_buf_add(&b, chunk, sizeof(chunk)), HALL_OK);
    assert_int_equal(b.len, 1000 * sizeof(chunk));
    for (i = 0; i < 1000; i++)
        assert_memory_equal(b.data + i * sizeof(chunk), chunk, sizeof(chunk));
    assert_int_equal(b.data[b.len], '\0');
    hall_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void
buf_reset__empties_and_keeps_limit(void **state)
{
    struct hall_buf b;

    hall_buf_init(&b, 8);
    hall_buf_addstr(&b, "12345678");
    hall_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(hall_buf_addstr(&b, "abcdefgh"), HALL_OK);
    assert_int_equal(hall_buf_addstr(&b, "i"), HALL_ERR);
    assert_string_equal(b.data, "abcdefgh");
    hall_buf_free(&b);
}

static void
buf_printf__formats_short_and_long(void **state)
{
    struct hall_buf b;
    char fill[2000];
    size_t i;

    hall_buf_init(&b, 4096);
    assert_int_equal(hall_buf_printf(&b, "%s=%d;", "n", 7), HALL_OK);
    assert_int_equal(hall_buf_printf(&b, "%s", "中文"), HALL_OK);
    assert_string_equal(b.data, "n=7;中文");
    /* longer than the function's stack buffer */
    memset(fill, 'q', sizeof(fill) - 1);
    fill[sizeof(fill) - 1] = '\0';
    assert_int_equal(hall_buf_printf(&b, "[%s]", fill), HALL_OK);
    assert_int_equal(b.len, strlen("n=7;中文") + sizeof(fill) + 1);
    assert_int_equal(b.data[strlen("n=7;中文")], '[');
    for (i = 0; i < sizeof(fill) - 1; i++)
        assert_int_equal(b.data[strlen("n=7;中文") + 1 + i], 'q');
    assert_int_equal(b.data[b.len - 1], ']');
    hall_buf_free(&b);
}

static void
buf_printf__beyond_max__err_and_buffer_unchanged(void **state)
{
    struct hall_buf b;
    char fill[1000];

    hall_buf_init(&b, 600);
    assert_int_equal(hall_buf_printf(&b, "%d", 12345), HALL_OK);
    assert_int_equal(hall_buf_printf(&b, "%0600d", 1), HALL_ERR);
    assert_string_equal(b.data, "12345");
    memset(fill, 'q', sizeof(fill) - 1);
    fill[sizeof(fill) - 1] = '\0';
    assert_int_equal(hall_buf_printf(&b, "%s", fill), HALL_ERR);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    hall_buf_free(&b);
}

static void
buf_pool__pool_destroy__frees_buffer(void **state)
{
    struct hall_pool *pool = hall_pool_create(1024);
    struct hall_buf *b = hall_palloc(pool, sizeof(*b));

    /* LeakSanitizer reports the data if the pool does not free it */
    hall_buf_init(b, 1 << 16);
    hall_buf_pool(b, pool);
    assert_int_equal(hall_buf_printf(b, "%05000d", 0), HALL_OK);
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool_palloc__many_sizes__aligned_and_not_overlapping),
        cmocka_unit_test(pool_palloc__zero_size__distinct_usable_pointers),
        cmocka_unit_test(pool_palloc__larger_than_block__usable_and_small_allocs_continue),
        cmocka_unit_test(pool_used__counts_aligned_bytes),
        cmocka_unit_test(pool_pcalloc__memory_zeroed),
        cmocka_unit_test(pool_strings__dup_ndup_sprintf__copies_terminated),
        cmocka_unit_test(pool_pstrcat__joins_up_to_null__terminated),
        cmocka_unit_test(pool_cleanup__destroy__runs_each_once_in_reverse_order),
        cmocka_unit_test(pool_destroy__null_pool__ignored),
        cmocka_unit_test(buf_add__up_to_max__accepted_and_terminated),
        cmocka_unit_test(buf_add__beyond_max__err_and_buffer_unchanged),
        cmocka_unit_test(buf_add__max_zero__only_empty_adds),
        cmocka_unit_test(buf_add__binary_growth__content_kept),
        cmocka_unit_test(buf_reset__empties_and_keeps_limit),
        cmocka_unit_test(buf_printf__formats_short_and_long),
        cmocka_unit_test(buf_printf__beyond_max__err_and_buffer_unchanged),
        cmocka_unit_test(buf_pool__pool_destroy__frees_buffer),
    };

    return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
