/*
 * Unit tests for core/biz/price.c: the one price function of the label, the
 * form, the print page, the pay page and the gateway (issue 7, item 3).
 * Prices are the seeds': szjsgws 480/year + 100/year for the e-seal,
 * Hunan 350/year, a reissue's one-off medium fee.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hall.h"

static const struct hall_price szjsgws = {48000, 10000, 0};

static void
price_cert__szjsgws_seal_and_years__what_is_charged(void **state)
{
    assert_int_equal(hall_price_cert(&szjsgws, 1, 1), 58000);
    assert_int_equal(hall_price_cert(&szjsgws, 1, 0), 48000);
    assert_int_equal(hall_price_cert(&szjsgws, 3, 1), 174000);
    assert_int_equal(hall_price_cert(&szjsgws, 3, 0), 144000);
}

static void
price_cert__fixed_fee__counted_once_whatever_the_years(void **state)
{
    static const struct hall_price reissue = {0, 0, 10000};
    static const struct hall_price hunan = {35000, 0, 0};

    assert_int_equal(hall_price_cert(&reissue, 1, 0), 10000);
    assert_int_equal(hall_price_cert(&reissue, 5, 1), 10000);
    assert_int_equal(hall_price_cert(&hunan, 5, 1), 175000);
}

static void
price_table__every_years_and_seal__equals_price_cert(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_val *t = hall_price_table(pool, &szjsgws, 1, 5, 1);
    char *json = hall_val_json(pool, t, NULL);
    int y;

    assert_non_null(json);
    for (y = 1; y <= 5; y++) {
        char key[4];
        const struct hall_val *e;

        snprintf(key, sizeof(key), "%d", y);
        e = hall_val_get(t, key);
        assert_non_null(e);
        assert_int_equal(hall_val_get(e, "no")->i, hall_price_cert(&szjsgws, y, 0));
        assert_int_equal(hall_val_get(e, "yes")->i, hall_price_cert(&szjsgws, y, 1));
    }
    assert_null(hall_val_get(t, "6"));
    assert_non_null(strstr(json, "\"3\":{\"no\":144000,\"yes\":174000}"));
    hall_pool_destroy(pool);
}

static void
price_table__seal_not_offered__yes_costs_the_same_as_no(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_val *t = hall_price_table(pool, &szjsgws, 1, 2, 0);

    assert_int_equal(hall_val_get(hall_val_get(t, "2"), "yes")->i, 96000);
    assert_int_equal(hall_val_get(hall_val_get(t, "2"), "no")->i, 96000);
    hall_pool_destroy(pool);
}

static void
yuan__fen__two_decimals_and_sign(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);

    (void)state;
    assert_string_equal(hall_yuan(pool, 0), "0.00");
    assert_string_equal(hall_yuan(pool, 5), "0.05");
    assert_string_equal(hall_yuan(pool, 60000), "600.00");
    assert_string_equal(hall_yuan(pool, 123456789), "1234567.89");
    assert_string_equal(hall_yuan(pool, -1), "-0.01");
    assert_string_equal(hall_yuan(pool, -1234), "-12.34");
    assert_string_equal(hall_yuan(pool, INT64_MIN), "-92233720368547758.08");
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(price_cert__szjsgws_seal_and_years__what_is_charged),
        cmocka_unit_test(price_cert__fixed_fee__counted_once_whatever_the_years),
        cmocka_unit_test(price_table__every_years_and_seal__equals_price_cert),
        cmocka_unit_test(price_table__seal_not_offered__yes_costs_the_same_as_no),
        cmocka_unit_test(yuan__fen__two_decimals_and_sign),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
