/*
 * Unit tests for hall_dbres_set (core/store/db.c): a row becomes JSON
 * members by a list of "key[=column][:type]", on a result built in memory
 * with libpq (no server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "hall.h"

/* the store's wrapper of a PGresult, as core/store/db.c lays it out */
struct hall_dbres {
    PGresult *res;
};

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
    return r;
}

static void
row_to_members(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_dbres res = {result()};
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(row_to_members),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
