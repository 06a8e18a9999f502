/*
 * Unit tests for the verifier's scans over an object's bytes
 * (core/stamp/stamp_xref.c, stamp_judged.c, stamp_plain.c): each faster
 * form finds exactly what the byte-by-byte loop it replaced found, at its
 * bounds and past them, on crafted texts and on many random ones; a plain
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

/* what roll_install (stamp_judged.c) looked for, one position at a time */
static long long
obj_word_loop(const unsigned char *m, long long b, long long end, long long max)
{
    long long e;

    for (e = b; e + 6 <= end && e < b + max; e++)
        if (memcmp(m + e, "endobj", 6) == 0 || memcmp(m + e, "stream", 6) == 0)
            break;
    if (e + 6 > end || e >= b + max)
        return -1;
    return e;
}

/* text as a buffer of exactly its length */
static unsigned char *
exact(const char *text, long long *len)
{
    unsigned char *m;

    *len = (long long)strlen(text);
    m = malloc((size_t)(*len > 0 ? *len : 1));
    assert_non_null(m);
    memcpy(m, text, (size_t)*len);
    return m;
}

struct edge {
    const char *text;
    long long b, end, max; /* end -1: the text's length */
    long long want;
};

static void
obj_word__edges__the_loops_answer(void **state)
{
    static const struct edge edges[] = {
        /* neither word */
        {"<< /A 1 >>", 0, -1, 100, -1},
        {"", 0, -1, 100, -1},
        {"endob", 0, -1, 100, -1},
        {"strea", 0, -1, 100, -1},
        /* the word ends exactly at end; one byte past it */
        {"xxendobj", 0, -1, 100, 2},
        {"xxendobj", 0, 7, 100, -1},
        {"xxstream", 0, -1, 100, 2},
        {"xxstream", 0, 7, 100, -1},
        /* the word starts at b + max - 1 (the last allowed); at b + max */
        {"abcendobj", 0, -1, 4, 3},
        {"abcendobj", 0, -1, 3, -1},
        {"abcstream", 0, -1, 4, 3},
        {"abcstream", 0, -1, 3, -1},
        {"..abcendobj", 2, -1, 4, 5},
        {"..abcendobj", 2, -1, 3, -1},
        /* a word before b is not seen */
        {"endobj endobj", 1, -1, 100, 7},
        {"stream x", 1, -1, 100, -1},
        /* both words: the first one */
        {"<< >> stream endobj", 0, -1, 100, 6},
        {"<< >> endobj stream", 0, -1, 100, 6},
        {"streamendobj", 0, -1, 100, 0},
        {"endobjstream", 0, -1, 100, 0},
        {"xstreamendobj", 0, -1, 1, -1},
        {"xstreamendobj", 0, -1, 2, 1},
        /* stream cut by end, endobj whole before it; and after it */
        {"endobj strea", 0, -1, 100, 0},
        {"x endobj stream", 0, 14, 100, 2},
        /* endobj past the bound, stream within: stream */
        {"stream....endobj", 0, -1, 1, 0},
        {"..stream..endobj", 0, -1, 3, 2},
        /* endobj within, stream past end */
        {"endobj", 0, -1, 1, 0},
        /* overlapping halves: "streamendobj" from 1 holds neither at 1 */
        {"xstreamendob", 0, -1, 100, 1},
        {"endostream", 0, -1, 100, 4},
        /* b at or past end */
        {"endobj", 6, -1, 100, -1},
        {"endobj", 1, -1, 100, -1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(edges) / sizeof(*edges); i++) {
        long long len, end, loop, fast;
        unsigned char *m = exact(edges[i].text, &len);

        end = edges[i].end < 0 ? len : edges[i].end;
        loop = obj_word_loop(m, edges[i].b, end, edges[i].max);
        fast = stamp_obj_word(m, edges[i].b, end, edges[i].max);
        if (loop != edges[i].want || fast != edges[i].want)
            fail_msg("case %zu \"%s\" b=%lld end=%lld max=%lld: loop %lld, fast %lld, want %lld", i,
                     edges[i].text, edges[i].b, end, edges[i].max, loop, fast, edges[i].want);
        free(m);
    }
}

/* random texts of the words' letters and a few others, random bounds:
 * the same answer every time */
static void
obj_word__random_texts__the_loops_answer(void **state)
{
    static const char letters[] = "endobjstream x<>";
    unsigned long long seed = 0x9e3779b97f4a7c15ULL;
    long long found = 0;

    (void)state;
    for (int round = 0; round < 200000; round++) {
        long long len, b, end, max, loop, fast;
        unsigned char *m;

        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        len = (long long)(seed >> 58); /* 0 .. 63 */
        m = malloc((size_t)(len > 0 ? len : 1));
        assert_non_null(m);
        for (long long k = 0; k < len; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            /* mostly whole words, so that both are often there */
            if ((seed >> 60) < 3 && k + 6 <= len) {
                memcpy(m + k, (seed >> 59) & 1 ? "endobj" : "stream", 6);
                k += 5;
            } else {
                m[k] = (unsigned char)letters[(seed >> 40) % (sizeof(letters) - 1)];
            }
        }
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        b = len > 0 ? (long long)((seed >> 33) % (unsigned long long)(len + 1)) : 0;
        end = b + (long long)((seed >> 13) % (unsigned long long)(len - b + 1));
        max = 1 + (long long)((seed >> 45) % 70);
        loop = obj_word_loop(m, b, end, max);
        fast = stamp_obj_word(m, b, end, max);
        if (loop != fast)
            fail_msg("round %d: len=%lld b=%lld end=%lld max=%lld: loop %lld, fast %lld", round,
                     len, b, end, max, loop, fast);
        found += loop >= 0;
        free(m);
    }
    assert_true(found > 50000); /* the words were there often */
}

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
        cmocka_unit_test(obj_word__edges__the_loops_answer),
        cmocka_unit_test(obj_word__random_texts__the_loops_answer),
        cmocka_unit_test(plain_io__top_contents_hex__its_exact_text_else_none),
        cmocka_unit_test(plain_io__known_hex_bytes__taken_for_that_text_only),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
