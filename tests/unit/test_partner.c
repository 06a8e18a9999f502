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

/* ---- the disguises (issue 72 §1): a number written so that a plain
 * match of digits misses it, in every combination of how its digits are
 * written and what stands between them ---------------------------------- */

/* the digit d written as form f */
static const char *
digit_as(int f, int d)
{
    static const char *const forms[][10] = {
        {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
        {"０", "１", "２", "３", "４", "５", "６", "７", "８", "９"},
        {"٠", "١", "٢", "٣", "٤", "٥", "٦", "٧", "٨", "٩"},
        {"۰", "۱", "۲", "۳", "۴", "۵", "۶", "۷", "۸", "۹"},
        {"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"},
        {"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"},
        {"𝟎", "𝟏", "𝟐", "𝟑", "𝟒", "𝟓", "𝟔", "𝟕", "𝟖", "𝟗"},
    };

    return forms[f][d];
}
#define DIGIT_FORMS 8 /* the 7 above, and 7: each digit another form */

/* what may stand between the groups of a number, and between each digit */
static const char *const between[] = {
    " ",
    "  ",
    "   ",
    ".",
    "/",
    "_",
    ",",
    "-",
    "\xC2\xA0",
    "\xC2\xA0\xC2\xA0",
    "\xE2\x80\x8B",
    "\xE3\x80\x80",
    "．",
    "／",
    "＿",
    "，",
    "－",
    "\xE2\x80\x8C",
    "\xEF\xBB\xBF",
    "、",
    " - ",
    "\xE2\x80\x8B ",
    "·",
    "\xE2\x80\x94",
};
#define BETWEEN (sizeof(between) / sizeof(between[0]))

/* the ASCII digits of the numbers, their groups (a space where a group ends) */
static const char *const numbers[] = {
    "4403 0519 9001 0112 34",  /* an ID number (18 digits) */
    "11010519491231002X",      /* an ID number with its X */
    "6222 0202 0011 2233 445", /* a bank card */
    "6222020200112233",        /* a bank card, whole */
    "139 0000 1111",           /* a mobile */
    "0755 8345 6789",          /* a landline */
};

/* s written with form f, sep between the groups (each digit when every) */
static char *
disguise(struct hall_pool *pool, const char *s, int f, const char *sep, int every)
{
    char *out = hall_pstrdup(pool, "");
    int k = 0;

    for (; *s != '\0'; s++) {
        if (*s == ' ') {
            if (!every)
                out = hall_psprintf(pool, "%s%s", out, sep);
        } else if (*s == 'X') {
            out = hall_psprintf(pool, "%s%s", out, f == 1 ? "Ｘ" : "x");
        } else {
            if (every && k > 0)
                out = hall_psprintf(pool, "%s%s", out, sep);
            out =
                hall_psprintf(pool, "%s%s", out,
                              digit_as(f < DIGIT_FORMS - 1 ? f : k % (DIGIT_FORMS - 1), *s - '0'));
            k++;
        }
    }
    return out;
}

/* how many digits (and X) s has */
static size_t
digits_of(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += *s != ' ';
    return n;
}

static void
mask_digits__generated_disguises__every_digit_masked(void **state)
{
    struct hall_pool *pool = hall_pool_create(64 * 1024);
    size_t i, b, stars, tried = 0;
    int f, every;

    (void)state;
    for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
        for (f = 0; f < DIGIT_FORMS; f++)
            for (b = 0; b < BETWEEN; b++)
                for (every = 0; every < 2; every++) {
                    const char *d = disguise(pool, numbers[i], f, between[b], every);
                    const char *in = hall_psprintf(pool, "经办人号码%s有误", d);
                    const char *got = hall_partner_mask_digits(pool, in), *p;

                    for (stars = 0, p = got; *p != '\0'; p++)
                        stars += *p == '*';
                    /* every digit a star; nothing of the number left but
                     * its separators, the words around it kept */
                    if (stars != digits_of(numbers[i]) || strncmp(got, "经办人号码", 15) != 0 ||
                        strcmp(got + strlen(got) - 6, "有误") != 0 ||
                        strpbrk(got, "0123456789") != NULL)
                        fail_msg("form %d between %zu every %d: %s -> %s", f, b, every, in, got);
                    tried++;
                }
    assert_int_equal(tried, 6 * DIGIT_FORMS * BETWEEN * 2);
    hall_pool_destroy(pool);
}

static void
mask_digits__the_reported_reason__masked(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);

    (void)state;
    /* issue 72's: two spaces, dots, slashes */
    assert_string_equal(hall_partner_mask_digits(pool,
                                                 "经办人身份证号4403  0519  9001  011234，账号"
                                                 "6222.0202.0011.2233，电话139/0000/1111"),
                        "经办人身份证号****  ****  ****  ******，账号****.****.****.****，电话"
                        "***/****/****");
    /* docs/partners.md's example */
    assert_string_equal(
        hall_partner_mask_digits(pool, "经办人身份证号41272319901005001X有误，请致电139.0013.9000"),
        "经办人身份证号******************有误，请致电***.****.****");
    /* a zero-width space inside, dropped with the digits */
    assert_string_equal(hall_partner_mask_digits(pool, "电话139\xE2\x80\x8B"
                                                       "0000\xE2\x80\x8B"
                                                       "1111"),
                        "电话***********");
    /* a date in any of its separators stays; a money amount too */
    assert_string_equal(
        hall_partner_mask_digits(pool, "2026.11.27前补交，2026/1/5，金额1,500.00元"),
        "2026.11.27前补交，2026/1/5，金额1,500.00元");
    /* four separators between two numbers: two numbers */
    assert_string_equal(hall_partner_mask_digits(pool, "编号123    4567"), "编号123    4567");
    /* a bad byte is a character of its own, never read past */
    assert_string_equal(hall_partner_mask_digits(pool, "\xE4\xB8"), "\xE4\xB8");
    assert_string_equal(hall_partner_mask_digits(pool, "139\xC0"
                                                       "00001111"),
                        "139\xC0********");
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mask_digits__id_account_phone__no_digit_left),
        cmocka_unit_test(mask_digits__short_numbers_and_dates__kept),
        cmocka_unit_test(mask_digits__generated_disguises__every_digit_masked),
        cmocka_unit_test(mask_digits__the_reported_reason__masked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
