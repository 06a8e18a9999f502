/*
 * Robustness of the request parsers without libFuzzer: 10,000 inputs per
 * parser from a fixed seed, so a failure reproduces.  Half are mutations of
 * a valid input (bytes flipped, tokens that matter to the parser inserted,
 * ranges deleted, duplicated or cut), the rest random bytes over the
 * parser's interesting alphabet or over all 256 values.
 *
 * Each parser must return one of its documented results and leave a
 * consistent result behind; the real check is the sanitizer build, where any
 * out-of-bounds access, leak or undefined behaviour fails the run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hall.h"

#define ROUNDS    10000
#define INPUT_MAX 4096

static uint64_t rng;

static uint64_t
next(void)
{
    /* xorshift64*: fixed seed, same sequence on every machine */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static size_t
below(size_t n)
{
    return n > 0 ? (size_t)(next() % n) : 0;
}

struct gen {
    const char *const *seeds;
    const char *const *tokens;
    const char *alphabet;
};

/* builds one input into buf (NUL-terminated after len) and returns its length */
static size_t
make_input(const struct gen *g, char *buf)
{
    size_t len = 0, nseeds = 0, ntokens = 0, i, ops;

    while (g->seeds[nseeds] != NULL)
        nseeds++;
    while (g->tokens[ntokens] != NULL)
        ntokens++;
    switch (below(4)) {
    case 0: /* random bytes over everything */
        len = below(below(8) == 0 ? INPUT_MAX : 200);
        for (i = 0; i < len; i++)
            buf[i] = (char)next();
        break;
    case 1: /* random over the interesting alphabet */
        len = below(300);
        for (i = 0; i < len; i++)
            buf[i] = g->alphabet[below(strlen(g->alphabet))];
        break;
    default: /* a mutated seed */
    {
        const char *s = g->seeds[below(nseeds)];

        len = strlen(s);
        memcpy(buf, s, len);
    }
        /* mostly light damage, so that the parser gets deep before it fails */
        ops = below(2) == 0 ? 1 : 1 + below(6);
        while (ops-- > 0) {
            size_t at = below(len + 1), n;

            switch (below(5)) {
            case 0: /* flip a byte */
                if (len > 0)
                    buf[below(len)] ^= (char)(1 << below(8));
                break;
            case 1: { /* insert a token */
                const char *t = g->tokens[below(ntokens)];

                n = t[0] != '\0' ? strlen(t) : 1; /* "" stands for one NUL byte */
                if (len + n < INPUT_MAX) {
                    memmove(buf + at + n, buf + at, len - at);
                    memcpy(buf + at, t, n);
                    len += n;
                }
                break;
            }
            case 2: /* delete a range */
                n = below(len - at + 1);
                memmove(buf + at, buf + at + n, len - at - n);
                len -= n;
                break;
            case 3: /* duplicate a range */
                n = below(len - at + 1);
                if (len + n < INPUT_MAX) {
                    memmove(buf + at + n, buf + at, len - at);
                    len += n;
                }
                break;
            default: /* cut */ len = at; break;
            }
        }
        break;
    }
    buf[len] = '\0';
    return len;
}

/* ---- urlencoded ------------------------------------------------------------ */

static const char *const ue_seeds[] = {
    "a=1&b=%E4%B8%AD%E6%96%87&c=+x+&d&=e&&",
    "name=%E5%BC%A0%E4%B8%89&mobile=13800138000&code=123456&csrf=abc-_",
    "q=a%2Bb%3Dc%26d&empty=&x=%41%42%43",
    NULL,
};
static const char *const ue_tokens[] = {"%", "%0", "%00", "%zz", "%E4", "+", "&",
                                        "=", "&&", "==",  "%%",  "",    NULL};

static void
robust__urlencoded__no_crash_consistent_result(void **state)
{
    static const struct gen g = {ue_seeds, ue_tokens, "ab=&%+0123456789ABCDEFxyz \x01\xff"};
    char *buf = malloc(INPUT_MAX + 1);
    int i;

    rng = 0x5eed0001;
    for (i = 0; i < ROUNDS; i++) {
        struct hall_pool *pool = hall_pool_create(1024);
        struct hall_param *out = NULL, *p;
        size_t len = make_input(&g, buf), max = below(40), n = 0;
        int rc = hall_parse_urlencoded(pool, buf, len, &out, max);

        if (rc != HALL_OK && rc != HALL_ERR)
            fail_msg("round %d: rc %d", i, rc);
        if (rc == HALL_ERR && out != NULL)
            fail_msg("round %d: failed parse left a list", i);
        for (p = out; p != NULL; p = p->next, n++) {
            assert_non_null(p->name);
            assert_non_null(p->value);
            /* a decoded NUL is refused, so the C string is the whole value */
            if (strlen(p->value) != p->len)
                fail_msg("round %d: value length %zu, strlen %zu", i, p->len, strlen(p->value));
        }
        if (n > max)
            fail_msg("round %d: %zu parameters over a limit of %zu", i, n, max);
        hall_pool_destroy(pool);
    }
    free(buf);
}

/* ---- cookies --------------------------------------------------------------- */

static const char *const ck_seeds[] = {
    "hall_sid=Ab-_0123456789abcdefABCDEF; hall_pre=\"x y\"; lang=zh-CN",
    " a = 1 ;\tb=\"\";c=d=e; ;; novalue",
    NULL,
};
static const char *const ck_tokens[] = {";", "=", "\"", " ", "\t", "; ", "==", "\"\"", NULL};

static void
robust__cookies__no_crash_consistent_result(void **state)
{
    static const struct gen g = {ck_seeds, ck_tokens, "ab=; \t\"xyz\x01\xff"};
    char *buf = malloc(INPUT_MAX + 1);
    int i;

    rng = 0x5eed0002;
    for (i = 0; i < ROUNDS; i++) {
        struct hall_pool *pool = hall_pool_create(1024);
        struct hall_param *out = NULL, *p;
        size_t n = 0;

        make_input(&g, buf);
        if (hall_parse_cookies(pool, buf, &out) != HALL_OK)
            fail_msg("round %d: cookie parser failed", i);
        for (p = out; p != NULL; p = p->next, n++) {
            assert_non_null(p->name);
            assert_non_null(p->value);
            if (strlen(p->value) != p->len)
                fail_msg("round %d: value length %zu, strlen %zu", i, p->len, strlen(p->value));
            /* every cookie came from the header */
            if (strstr(buf, p->name) == NULL || strstr(buf, p->value) == NULL)
                fail_msg("round %d: cookie %s=%s not in the header", i, p->name, p->value);
        }
        if (n > 50)
            fail_msg("round %d: %zu cookies kept", i, n);
        hall_pool_destroy(pool);
    }
    free(buf);
}

/* ---- multipart ------------------------------------------------------------- */

static const char *const mp_seeds[] = {
    "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n营业执照\r\n"
    "--XyZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.png\"\r\n"
    "Content-Type: image/png\r\n\r\nPNG\r\n--X\r\n\x00\x01\r\n--XyZ--\r\n",
    "--XyZ\r\ncontent-disposition: form-data; name=a\r\n\r\n\r\n--XyZ\r\n"
    "Content-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--XyZ--",
    "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n"
    "\r\n--XyZ--\r\n",
    NULL,
};
static const char *const mp_tokens[] = {
    "--XyZ",
    "\r\n--XyZ",
    "\r\n--XyZ--",
    "\r\n",
    "\r\n\r\n",
    "--",
    "\"",
    ";",
    "name=",
    "filename=\"x\"",
    "Content-Disposition: form-data; name=\"z\"\r\n\r\n",
    "Content-Type: ",
    "",
    NULL,
};
static const char *const mp_ctypes[] = {
    "multipart/form-data; boundary=XyZ", "multipart/form-data; boundary=\"XyZ\"",
    "multipart/form-data; boundary=Xy",  "multipart/form-data",
    "multipart/form-data; boundary=",
};

struct mem_reader {
    const char *data;
    size_t len, pos, chunk;
};

static ssize_t
mem_read(void *ctx, char *buf, size_t n)
{
    struct mem_reader *r = ctx;

    if (n > r->chunk)
        n = r->chunk;
    if (n > r->len - r->pos)
        n = r->len - r->pos;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

static void
robust__multipart__no_crash_consistent_result(void **state)
{
    static const struct gen g = {mp_seeds, mp_tokens, "-XyZ\r\n\":;= abcname"};
    char *buf = malloc(INPUT_MAX + 1);
    struct hall_mp_arena *arena = hall_mp_arena_new(INPUT_MAX + 64, 8);
    int i;

    rng = 0x5eed0003;
    for (i = 0; i < ROUNDS; i++) {
        struct hall_pool *pool = hall_pool_create(1024);
        struct hall_mp_limits lim = {0};
        struct hall_param *fields = NULL, *p;
        struct hall_upload *files = NULL, *u;
        const char *err = NULL, *errfield = NULL;
        struct mem_reader r;
        size_t len = make_input(&g, buf);
        int st;

        r.data = buf;
        r.len = len;
        r.pos = 0;
        r.chunk = 1 + below(below(2) ? 16 : 5000);
        lim.max_file = below(4) == 0 ? below(8) : 1000;
        lim.max_field = below(4) == 0 ? below(8) : 1000;
        lim.max_parts = below(4) == 0 ? below(3) : 8;
        lim.enc = 0;
        lim.arena = arena;
        /* CONTENT_LENGTH mostly right, sometimes more or less than what comes */
        st = hall_parse_multipart(pool, mp_ctypes[below(3) != 0 ? 0 : below(5)], mem_read, &r,
                                  below(4) == 0 ? below(len + 50) : len, &lim, &fields, &files,
                                  &err, &errfield);
        if (st != 0 && st != 400 && st != 413)
            fail_msg("round %d: status %d", i, st);
        if (st != 0 && (err == NULL || *err == '\0'))
            fail_msg("round %d: status %d without a message", i, st);
        if (st == 0) {
            size_t nparts = 0;

            for (p = fields; p != NULL; p = p->next, nparts++) {
                assert_true(p->name[0] != '\0');
                assert_true(p->len <= lim.max_field);
                assert_int_equal(strlen(p->value), p->len);
            }
            for (u = files; u != NULL; u = u->next, nparts++) {
                assert_true(u->size <= lim.max_file);
                assert_int_equal(u->data[u->size], 0);
            }
            assert_true(nparts <= lim.max_parts);
        }
        hall_pool_destroy(pool);
    }
    hall_mp_arena_free(arena);
    free(buf);
}

/* ---- JSON ------------------------------------------------------------------ */

static const char *const js_seeds[] = {
    "{\"a\":[1,2.5,\"x\\u00e9\\n\",true,false,null,{\"b\":\"c\"}],\"d\":-1e10,\"中\":\"文\"}",
    "[[[[{\"k\":[[[\"v\"]]]}]]]]",
    "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\ud83d\\ude00\",\"n\":-0,\"big\":123456789012345678901}",
    NULL,
};
static const char *const js_tokens[] = {
    "{",    "}",       "[",    "]",    "\"",    ":", ",",  "\\",
    "\\u",  "\\ud800", "null", "true", "1e999", "-", "0.", "[[[[[[[[[[[[[[[[[[[[",
    "\xc3", "\xff",    "",     NULL,
};

static void
robust__json__no_crash_round_trip_stable(void **state)
{
    static const struct gen g = {js_seeds, js_tokens, "{}[]\":,\\0123456789.eE-+ntrufals\x80"};
    char *buf = malloc(INPUT_MAX + 1);
    int i, parsed = 0;

    rng = 0x5eed0004;
    for (i = 0; i < ROUNDS; i++) {
        struct hall_pool *pool = hall_pool_create(1024);
        size_t len = make_input(&g, buf);
        char err[128];
        struct hall_val *v = hall_val_parse(pool, buf, len, err, sizeof(err));

        if (v != NULL) {
            const struct hall_val *back;
            char *j1, *j2;

            parsed++;
            /* whatever was accepted serialises, and re-parsing it changes nothing */
            j1 = hall_val_json(pool, v, NULL);
            if (j1 == NULL)
                fail_msg("round %d: accepted input does not serialise", i);
            back = hall_val_parse(pool, j1, strlen(j1), err, sizeof(err));
            if (back == NULL)
                fail_msg("round %d: own output %s rejected: %s", i, j1, err);
            j2 = hall_val_json(pool, back, NULL);
            if (j2 == NULL || strcmp(j1, j2) != 0)
                fail_msg("round %d: %s became %s", i, j1, j2 != NULL ? j2 : "(null)");
        }
        hall_pool_destroy(pool);
    }
    /* the generator must reach the parser's inside, not only its first byte */
    if (parsed < ROUNDS / 50)
        fail_msg("only %d of %d inputs were valid JSON", parsed, ROUNDS);
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(robust__urlencoded__no_crash_consistent_result),
        cmocka_unit_test(robust__cookies__no_crash_consistent_result),
        cmocka_unit_test(robust__multipart__no_crash_consistent_result),
        cmocka_unit_test(robust__json__no_crash_round_trip_stable),
    };

    return cmocka_run_group_tests_name("robust", tests, NULL, NULL);
}
