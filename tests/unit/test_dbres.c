/*
 * Unit tests for hall_dbres_set and its compiled form hall_dbres_cols /
 * hall_dbres_put (core/store/dbres.c): a row becomes JSON members by a list
 * of "key[=column][:type]", on a result built in memory with libpq (no
 * server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "hall.h"
#include "store/store_int.h"

static PGresult *
result(void)
{
    PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc a[5];
    static const char *const names[] = {"order_no", "partner_name", "paid", "amount_fen", "note"};
    int i;

    memset(a, 0, sizeof(a));
    for (i = 0; i < 5; i++) {
        a[i].name = (char *)names[i];
        a[i].typid = 25;
        a[i].typlen = -1;
        a[i].atttypmod = -1;
    }
    assert_int_equal(PQsetResultAttrs(r, 5, a), 1);
    assert_int_equal(PQsetvalue(r, 0, 0, "SZ2026112600000001", 18), 1);
    assert_int_equal(PQsetvalue(r, 0, 1, "揭阳", (int)strlen("揭阳")), 1);
    assert_int_equal(PQsetvalue(r, 0, 2, "t", 1), 1);
    assert_int_equal(PQsetvalue(r, 0, 3, "48000", 5), 1);
    assert_int_equal(PQsetvalue(r, 0, 4, NULL, -1), 1); /* SQL NULL */
    /* a second row: NULL where the first has values, a value in note */
    assert_int_equal(PQsetvalue(r, 1, 0, "SZ2026112600000002", 18), 1);
    assert_int_equal(PQsetvalue(r, 1, 1, NULL, -1), 1);
    assert_int_equal(PQsetvalue(r, 1, 2, NULL, -1), 1);
    assert_int_equal(PQsetvalue(r, 1, 3, NULL, -1), 1);
    assert_int_equal(PQsetvalue(r, 1, 4, "加急", (int)strlen("加急")), 1);
    return r;
}

static void
row_to_members(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_dbres res = {result(), NULL};
    struct hall_val *o = hall_val_obj(pool);
    const char *json;

    (void)state;
    hall_dbres_set(
        pool, o, &res, 0,
        "order_no partner=partner_name paid:b amount_fen:i note  missing:n note2=note:n");
    json = hall_val_json(pool, o, NULL);
    assert_string_equal(json, "{\"order_no\":\"SZ2026112600000001\",\"partner\":\"揭阳\","
                              "\"paid\":true,\"amount_fen\":48000,\"note\":null}");
    /* the same members as the lines it replaces */
    {
        struct hall_val *o2 = hall_val_obj(pool);

        hall_val_set_str(pool, o2, "order_no", hall_dbres_str(&res, 0, "order_no"));
        hall_val_set_str(pool, o2, "partner", hall_dbres_str(&res, 0, "partner_name"));
        hall_val_set_bool(pool, o2, "paid", hall_dbres_bool(&res, 0, "paid"));
        hall_val_set_int(pool, o2, "amount_fen", hall_dbres_int(&res, 0, "amount_fen"));
        hall_val_set_str(pool, o2, "note", hall_dbres_str(&res, 0, "note"));
        assert_string_equal(hall_val_json(pool, o2, NULL), json);
    }
    PQclear(res.res);
    hall_pool_destroy(pool);
}

/* the spec of row_to_members, compiled once and put for each row: the same
 * JSON as hall_dbres_set gives row by row, NULLs included */
static void
compiled__each_row__same_as_set(void **state)
{
    static const char spec[] =
        "order_no partner=partner_name paid:b amount_fen:i note  missing:n note2=note:n";
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_dbres res = {result(), NULL};
    struct hall_dbcols *c;
    int row;

    (void)state;
    res.pool = pool;
    c = hall_dbres_cols(pool, &res, spec);
    for (row = 0; row < 2; row++) {
        struct hall_val *put = hall_val_obj(pool), *set = hall_val_obj(pool);

        hall_dbres_put(pool, put, &res, row, c);
        hall_dbres_set(pool, set, &res, row, spec);
        assert_string_equal(hall_val_json(pool, put, NULL), hall_val_json(pool, set, NULL));
    }
    {
        struct hall_val *o = hall_val_obj(pool);

        hall_dbres_put(pool, o, &res, 1, c);
        /* SQL NULL: a string null, an integer 0, a boolean false; :n left out */
        assert_string_equal(hall_val_json(pool, o, NULL),
                            "{\"order_no\":\"SZ2026112600000002\",\"partner\":null,"
                            "\"paid\":false,\"amount_fen\":0,\"note\":\"加急\","
                            "\"note2\":\"加急\"}");
    }
    PQclear(res.res);
    hall_pool_destroy(pool);
}

/* a tree in another pool than the result's gets copies: it outlives the
 * result */
static void
compiled__other_pool__copies_strings(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096), *rpool = hall_pool_create(4096);
    struct hall_dbres res = {result(), NULL};
    struct hall_val *o = hall_val_obj(pool);

    (void)state;
    res.pool = rpool;
    hall_dbres_put(pool, o, &res, 0, hall_dbres_cols(pool, &res, "no=order_no  p=partner_name"));
    PQclear(res.res);
    hall_pool_destroy(rpool);
    assert_string_equal(hall_val_json(pool, o, NULL),
                        "{\"no\":\"SZ2026112600000001\",\"p\":\"揭阳\"}");
    hall_pool_destroy(pool);
}

/* a column the statement does not have reads as SQL NULL, as
 * hall_dbres_str does (and is logged), and a row past the end likewise */
static void
compiled__unknown_column__null(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_dbres res = {result(), NULL};
    struct hall_dbcols *c;
    struct hall_val *o = hall_val_obj(pool), *past = hall_val_obj(pool);

    (void)state;
    res.pool = pool;
    c = hall_dbres_cols(pool, &res, "nope n=nope:i b=nope:b gone=nope:n");
    hall_dbres_put(pool, o, &res, 0, c);
    assert_string_equal(hall_val_json(pool, o, NULL), "{\"nope\":null,\"n\":0,\"b\":false}");
    hall_dbres_put(pool, past, &res, 5, hall_dbres_cols(pool, &res, "order_no amount_fen:i"));
    assert_string_equal(hall_val_json(pool, past, NULL), "{\"order_no\":null,\"amount_fen\":0}");
    PQclear(res.res);
    hall_pool_destroy(pool);
}

/* 1 when compiling spec kills the process with SIGABRT */
static int
aborts(const char *spec)
{
    pid_t pid = fork();
    int st;

    assert_true(pid >= 0);
    if (pid == 0) {
        struct hall_pool *pool = hall_pool_create(4096);
        struct hall_dbres res = {result(), pool};

        hall_dbres_cols(pool, &res, spec);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

/* a malformed literal is the caller's mistake: the worker stops at once */
static void
compiled__malformed_spec__aborts(void **state)
{
    (void)state;
    assert_false(aborts("order_no paid:b amount_fen:i partner=partner_name:n"));
    assert_true(aborts("=order_no"));
    assert_true(aborts("no="));
    assert_true(aborts("paid:"));
    assert_true(aborts("paid:x"));
    assert_true(aborts("paid:bb"));
    assert_true(
        aborts("k=this_column_name_is_far_longer_than_the_sixty_three_bytes_a_name_may_be"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(row_to_members),
        cmocka_unit_test(compiled__each_row__same_as_set),
        cmocka_unit_test(compiled__other_pool__copies_strings),
        cmocka_unit_test(compiled__unknown_column__null),
        cmocka_unit_test(compiled__malformed_spec__aborts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
