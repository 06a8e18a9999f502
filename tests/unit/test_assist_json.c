/*
 * hall-assist reads the hall's JSON answers (the unlock's SO PINs, the
 * renewal's chain, the refusals' message) with yajl (issue 70 §4: "a JSON
 * reader that finds "key" — and so_pin — with strstr").  Before, a value
 * spelling a key's name hid the key ({"message":"so_pin","so_pin":"…"}
 * gave none), an escape other than \n and \uXXXX lost its meaning (\t
 * read as t) and a surrogate pair became two broken sequences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assist.h"

static void
check(const char *json, const char *key, const char *want)
{
    char *got = assist_json_str(json, key);

    if (want == NULL) {
        assert_null(got);
    } else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
    free(got);
}

static void
test_key_named_in_a_value(void **state)
{
    (void)state;
    check("{\"message\":\"so_pin\",\"so_pin\":\"12345678\"}", "so_pin", "12345678");
    check("{\"message\":\"\\\"so_pin\\\":\\\"x\\\"\",\"ok\":true}", "so_pin", NULL);
}

static void
test_escapes(void **state)
{
    (void)state;
    check("{\"message\":\"a\\tb\\\\c\\/d\"}", "message", "a\tb\\c/d");
    /* U+1F600 as a surrogate pair: its four UTF-8 bytes */
    check("{\"message\":\"\\ud83d\\ude00\"}", "message", "\xf0\x9f\x98\x80");
    check("{\"message\":\"\\u4e2d\"}", "message", "\xe4\xb8\xad");
}

static void
test_nested_first_and_not_json(void **state)
{
    (void)state;
    check("{\"ok\":true,\"renew\":{\"chain\":\"PEM\"}}", "chain", "PEM");
    check("{\"ok\":false,\"message\":3}", "message", NULL);
    check("{\"message\":\"cut", "message", NULL);
    check("<html>so_pin</html>", "so_pin", NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_named_in_a_value),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_nested_first_and_not_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
