/*
 * Unit tests for the scans over an object's bytes (core/stamp/stamp_plain.c,
 * which only stamp_trailer_at's parse still asks): a plain
 * parse tells where a /Contents string was decoded from, and only then,
 * and takes a hex string's known bytes for exactly that string.  Every buffer is
 * exactly as long as the bytes it holds (malloc'ed to size), so that a
 * read past the end shows under --enable-sanitizers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <qpdf/qpdf-c.h>

#include "hall.h"

#include "stamp/stamp_int.h"

/* where text's top /Contents hex string was found: a, b (-1 -1: none) and
 * whether the text was made plain */
static int
contents_of(qpdf_data q, const char *text, long long *a, long long *b)
{
    struct stamp_plain_io io = {.contents_a = 7, .contents_b = 7};
    qpdf_oh o;
    int rc = stamp_plain_text(q, (const unsigned char *)text, 0, (long long)strlen(text), &io, &o);

    *a = io.contents_a;
    *b = io.contents_b;
    return rc;
}

/* stamp_plain_text tells where the top dictionary's /Contents string was
 * decoded from (what lets check 1 skip reading the gap again), and only
 * then: never for a nested /Contents, another kind of value, or a text it
 * did not make */
static void
plain_io__top_contents_hex__its_exact_text_else_none(void **state)
{
    static const struct {
        const char *text;
        long long a, b; /* -1: none */
        int made;
    } cases[] = {
        {"<< /Type /Sig /Contents <00ff> /M (x) >>", 24, 30, 1},
        {"<</Contents<0a0B>>>", 11, 17, 1},
        {"<< /Contents   <> >>", 15, 17, 1},
        {"<< /Contents\n<3031>\n>>", 13, 19, 1},
        /* not the top dictionary's, or not a hex string */
        {"<< /A << /Contents <00ff> >> >>", -1, -1, 1},
        {"[<< /Contents <00ff> >>]", -1, -1, 1},
        {"<< /Contents (ab) >>", -1, -1, 1},
        {"<< /Contents 12 0 R >>", -1, -1, 1},
        {"<< /Contents [<00>] >>", -1, -1, 1},
        {"<< /Contents << /A 1 >> >>", -1, -1, 1},
        {"<< /ContentsX <00ff> >>", -1, -1, 1},
        /* a text that is not plain: libqpdf's parser, nothing told */
        {"<< /Contents <00ff> /A 1 /A 2 >>", -1, -1, 0},
        {"<< /Contents <00 ff> >>", -1, -1, 0},
        {"<< /Contents <00ff> % c\n>>", -1, -1, 0},
        {"<< /Contents <0g> >>", -1, -1, 0},
    };
    qpdf_data q = qpdf_init();
    long long a, b;

    (void)state;
    qpdf_silence_errors(q);
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        int rc = contents_of(q, cases[i].text, &a, &b);

        if ((rc == HALL_OK) != cases[i].made || a != cases[i].a || b != cases[i].b)
            fail_msg("case %zu \"%s\": made %d [%lld, %lld), want %d [%lld, %lld)", i,
                     cases[i].text, rc == HALL_OK, a, b, cases[i].made, cases[i].a, cases[i].b);
        if (a >= 0 && (cases[i].text[a] != '<' || cases[i].text[b - 1] != '>'))
            fail_msg("case %zu: not the brackets", i);
    }
    qpdf_cleanup(&q);
}

/* a long hex string's bytes given as known (io->known) are taken for
 * exactly its text at exactly that buffer, and decoded otherwise; the
 * bytes given here differ from the digits' to tell which was taken */
static void
plain_io__known_hex_bytes__taken_for_that_text_only(void **state)
{
    char text[600];
    unsigned char want[256], given[256];
    struct stamp_hexknown k[3];
    struct stamp_plain_io io;
    qpdf_data q = qpdf_init();
    qpdf_oh o;
    size_t len, blen;
    const char *got;
    long long a;

    (void)state;
    qpdf_silence_errors(q);
    strcpy(text, "<< /Type /Sig /Contents <");
    a = (long long)strlen(text) - 1;
    for (int i = 0; i < 256; i++) {
        want[i] = (unsigned char)i;
        given[i] = (unsigned char)(255 - i);
        sprintf(text + strlen(text), "%02x", i);
    }
    strcat(text, "> /M (x) >>");
    len = strlen(text);
    /* sorted by a: one before, the string's, one with its a but another b */
    k[0] = (struct stamp_hexknown){1, 5, want};
    k[1] = (struct stamp_hexknown){a, a + 514, given};
    k[2] = (struct stamp_hexknown){a, a + 513, want};
    for (int how = 0; how < 4; how++) {
        memset(&io, 0, sizeof(io));
        io.known_map = (const unsigned char *)text;
        io.known = k;
        io.nknown = 3;
        if (how == 1) /* another buffer's offsets */
            io.known_map = (const unsigned char *)text + 1;
        if (how == 2) /* not its b */
            k[1].b = a + 515;
        if (how == 3) /* none given */
            io.known = NULL;
        assert_int_equal(
            stamp_plain_text(q, (const unsigned char *)text, 0, (long long)len, &io, &o), HALL_OK);
        got = qpdf_oh_get_binary_string_value(q, qpdf_oh_get_key(q, o, "/Contents"), &blen);
        assert_int_equal(blen, 256);
        assert_memory_equal(got, how == 0 ? given : want, 256);
        assert_int_equal(io.contents_a, a);
        assert_int_equal(io.contents_b, a + 514);
        k[1].b = a + 514;
    }
    qpdf_cleanup(&q);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_io__top_contents_hex__its_exact_text_else_none),
        cmocka_unit_test(plain_io__known_hex_bytes__taken_for_that_text_only),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
