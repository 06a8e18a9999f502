/*
 * Unit tests for what core/biz/partner_hook.c lets out to a partner: a
 * reviewer's reason with every run of digits an ID number, a bank account
 * or a phone could be masked (issue 63 §5; docs/partners.md), the same
 * function for the webhook order.rejected and the API's reject_reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hall.h"

static void
mask_digits__id_account_phone__no_digit_left(void **state)
{
    static const char *const cases[][2] = {
        /* an ID number, its final X, lower case, 15 digits */
        {"身份证号412723199010050012有误", "身份证号******************有误"},
        {"ID 11010519491231002X", "ID ******************"},
        {"11010519491231002x。", "******************。"},
        {"旧证号110105491231002", "旧证号***************"},
        /* a bank account, whole or in groups of four */
        {"账号6222020012345678901", "账号*******************"},
        {"账号6222 0200 1234 5678 901", "账号**** **** **** **** ***"},
        /* a mobile, with dashes; a landline with its area code; alone */
        {"请致电139-0013-9000", "请致电***-****-****"},
        {"电话0755-83456789", "电话****-********"},
        {"电话8345678", "电话*******"},
        /* full-width digits and Ｘ */
        {"１３９００１３９０００", "***********"},
        {"４１２７２３１９９０１００５００１Ｘ", "******************"},
        /* a digit run inside a code is masked too */
        {"tel13900139000", "tel***********"},
    };
    struct hall_pool *pool = hall_pool_create(4096);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = hall_partner_mask_digits(pool, cases[i][0]);

        if (strcmp(got, cases[i][1]) != 0)
            fail_msg("%s: got %s, want %s", cases[i][0], got, cases[i][1]);
    }
    hall_pool_destroy(pool);
}

static void
mask_digits__short_numbers_and_dates__kept(void **state)
{
    static const char *const kept[] = {
        "",
        "营业执照扫描件不清晰",
        "第3页缺少公章，共12页",
        "金额580.00元，差额100元",
        "有效期至2026-11-27",
        "2026年11月27日到期",
        "123456 是六位",
        "X 不是身份证号",
    };
    struct hall_pool *pool = hall_pool_create(4096);
    size_t i;

    for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        assert_string_equal(hall_partner_mask_digits(pool, kept[i]), kept[i]);
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mask_digits__id_account_phone__no_digit_left),
        cmocka_unit_test(mask_digits__short_numbers_and_dates__kept),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
