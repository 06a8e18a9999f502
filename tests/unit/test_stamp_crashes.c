/*
 * Unit tests for what the fuzz targets found (tests/fuzz, docs/internals/
 * stamp.md §7), each the smallest form of a crash whose input is kept in
 * tests/fuzz/corpus/TARGET/crash-* (replayed whole by make check).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <qpdf/qpdf-c.h>

#include "hall.h"

#include "stamp/stamp_int.h"

/*
 * A value libqpdf's parser refuses ("25<ESC>0 R": ESC is no white space
 * to libqpdf, so no reference) is refused by stamp_parse_io: a null, never
 * the parser's uninitialised handle, which stamp_roll_dict put into a
 * dictionary and libqpdf's destructor then read through a NULL pointer
 * (the verifier crashed on a later revision writing the page again with
 * such an /Annots: tests/fuzz/corpus/verify/crash-23c62d89...).
 */
static void
parse_io__text_qpdf_refuses__null_not_uninitialised(void **state)
{
    static const char *texts[] = {"[ 7 0 R 25\x1b"
                                  "0 R ]",
                                  "[ 7 0 R R ]",
                                  "<< /K 25\x1b"
                                  "0 R >>"};
    qpdf_data q = qpdf_init();

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        const unsigned char *p = (const unsigned char *)texts[i];
        struct stamp_plain_io io = {.contents_a = -1, .contents_b = -1};
        qpdf_oh o = stamp_parse_io(q, p, 0, (long long)strlen(texts[i]), 1 << 20, &io);

        assert_true(qpdf_oh_is_initialized(q, o));
        assert_true(qpdf_oh_is_null(q, o));
    }
    qpdf_cleanup(&q);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_io__text_qpdf_refuses__null_not_uninitialised),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
