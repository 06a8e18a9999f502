/*
 * Unit tests for what the fuzz targets found (tests/fuzz, docs/internals/
 * stamp.md §7), each the smallest form of a crash whose input is kept in
 * tests/fuzz/corpus/TARGET/crash-* (replayed whole by make check).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hall.h"

#include "pdf/pdf.h"

/*
 * "25<ESC>0 R" is no reference: ESC is a regular character (ISO 32000-1
 * Table 1), so "25<ESC>0" is one token and "R" a stray keyword.  The
 * libqpdf parse the verifier once used gave back an uninitialised handle
 * for such a text, which went into a dictionary and crashed the verifier
 * on a later revision writing the page again with such an /Annots
 * (tests/fuzz/corpus/verify/crash-23c62d89..., replayed whole by make
 * check).  core/pdf reads such a value as no value at all: NULL, never a
 * half-made object.
 */
static void
esc_in_a_reference__no_value_not_half_made(void **state)
{
    static const char *texts[] = {"[ 7 0 R 25\x1b"
                                  "0 R ]",
                                  "[ 7 0 R R ]",
                                  "<< /K 25\x1b"
                                  "0 R >>"};

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct hall_pool *pool = hall_pool_create(4096);
        size_t n = strlen(texts[i]);
        unsigned char *p = malloc(n);
        long long at = 0;

        assert_non_null(p);
        memcpy(p, texts[i], n);
        assert_null(pdf_parse(pool, p, &at, (long long)n));
        free(p);
        hall_pool_destroy(pool);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(esc_in_a_reference__no_value_not_half_made),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
