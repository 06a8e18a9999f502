/*
 * Unit tests for core/base/totp.c: the staff's second factor.  The known
 * answers are RFC 6238 Appendix B's (SHA-1, the 20-byte ASCII key
 * "12345678901234567890", 30-second steps, 8 digits; the 6-digit codes are
 * their last six digits) and RFC 4226 Appendix D's HOTP values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hall.h"

static const unsigned char rfc_key[] = "12345678901234567890";

static const struct {
    int64_t time;
    int code8;
} appendix_b[] = {
    {59, 94287082},         {1111111109, 7081804},  {1111111111, 14050471},
    {1234567890, 89005924}, {2000000000, 69279037}, {20000000000LL, 65353130},
};

static void
totp__rfc6238_appendix_b_sha1__eight_and_six_digits(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(appendix_b) / sizeof(appendix_b[0]); i++) {
        uint64_t step = (uint64_t)hall_totp_step(appendix_b[i].time);

        assert_int_equal(hall_totp_hotp(rfc_key, 20, step, 8), appendix_b[i].code8);
        assert_int_equal(hall_totp_hotp(rfc_key, 20, step, 6), appendix_b[i].code8 % 1000000);
    }
}

static void
hotp__rfc4226_appendix_d__first_ten_counters(void **state)
{
    static const int want[] = {755224, 287082, 359152, 969429, 338314,
                               254676, 287922, 162583, 399871, 520489};
    int i;

    (void)state;
    for (i = 0; i < 10; i++)
        assert_int_equal(hall_totp_hotp(rfc_key, 20, (uint64_t)i, 6), want[i]);
}

static void
totp_check__one_step_either_side__accepted_with_its_step(void **state)
{
    int64_t step = hall_totp_step(1111111109), got = -1;
    char code[8];

    (void)state;
    snprintf(code, sizeof(code), "%06d", hall_totp_hotp(rfc_key, 20, (uint64_t)step - 1, 6));
    assert_int_equal(hall_totp_check(rfc_key, 20, code, step, -1, &got), HALL_OK);
    assert_int_equal(got, step - 1);
    snprintf(code, sizeof(code), "%06d", hall_totp_hotp(rfc_key, 20, (uint64_t)step + 1, 6));
    assert_int_equal(hall_totp_check(rfc_key, 20, code, step, -1, &got), HALL_OK);
    assert_int_equal(got, step + 1);
    snprintf(code, sizeof(code), "%06d", hall_totp_hotp(rfc_key, 20, (uint64_t)step + 2, 6));
    assert_int_equal(hall_totp_check(rfc_key, 20, code, step, -1, &got), HALL_ERR);
    snprintf(code, sizeof(code), "%06d", hall_totp_hotp(rfc_key, 20, (uint64_t)step - 2, 6));
    assert_int_equal(hall_totp_check(rfc_key, 20, code, step, -1, &got), HALL_ERR);
}

static void
totp_check__step_already_used__refused(void **state)
{
    int64_t step = hall_totp_step(1234567890), got = -1;
    char code[8];

    (void)state;
    snprintf(code, sizeof(code), "%06d", hall_totp_hotp(rfc_key, 20, (uint64_t)step, 6));
    assert_int_equal(hall_totp_check(rfc_key, 20, code, step, step - 1, &got), HALL_OK);
    assert_int_equal(hall_totp_check(rfc_key, 20, code, step, step, &got), HALL_ERR);
    /* an older step after a newer one was used: refused as well */
    snprintf(code, sizeof(code), "%06d", hall_totp_hotp(rfc_key, 20, (uint64_t)step - 1, 6));
    assert_int_equal(hall_totp_check(rfc_key, 20, code, step, step, &got), HALL_ERR);
}

static void
totp_check__not_six_digits__refused(void **state)
{
    int64_t got;

    (void)state;
    assert_int_equal(hall_totp_check(rfc_key, 20, "94287", 1, -1, &got), HALL_ERR);
    assert_int_equal(hall_totp_check(rfc_key, 20, "2870821", 1, -1, &got), HALL_ERR);
    assert_int_equal(hall_totp_check(rfc_key, 20, "28708a", 1, -1, &got), HALL_ERR);
    assert_int_equal(hall_totp_check(rfc_key, 20, "", 1, -1, &got), HALL_ERR);
    assert_int_equal(hall_totp_check(rfc_key, 20, NULL, 1, -1, &got), HALL_ERR);
}

static void
base32__rfc4648_vectors_and_round_trip(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    unsigned char out[32];
    size_t n;

    (void)state;
    assert_string_equal(hall_base32_encode(pool, (const unsigned char *)"foobar", 6), "MZXW6YTBOI");
    assert_string_equal(hall_base32_encode(pool, (const unsigned char *)"f", 1), "MY");
    assert_string_equal(hall_base32_encode(pool, rfc_key, 20), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_int_equal(
        hall_base32_decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", out, sizeof(out), &n),
        HALL_OK);
    assert_int_equal(n, 20);
    assert_memory_equal(out, rfc_key, 20);
    assert_int_equal(hall_base32_decode("MZXW6YTBOI======", out, sizeof(out), &n), HALL_OK);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "foobar", 6);
    assert_int_equal(hall_base32_decode("MZXW1", out, sizeof(out), &n), HALL_ERR);
    assert_int_equal(hall_base32_decode("MZXW6YTBOI", out, 3, &n), HALL_ERR);
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(totp__rfc6238_appendix_b_sha1__eight_and_six_digits),
        cmocka_unit_test(hotp__rfc4226_appendix_d__first_ten_counters),
        cmocka_unit_test(totp_check__one_step_either_side__accepted_with_its_step),
        cmocka_unit_test(totp_check__step_already_used__refused),
        cmocka_unit_test(totp_check__not_six_digits__refused),
        cmocka_unit_test(base32__rfc4648_vectors_and_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
