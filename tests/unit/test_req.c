/*
 * Unit tests for the request parsers of core/web/req.c: urlencoded bodies and
 * query strings, cookies, %-coding, and multipart/form-data read through an
 * in-memory callback, files kept in memory and encrypted (AES-256-GCM + SHA-256)
 * as they stream.
 */
#include <dirent.h>
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

static struct hall_pool *
pool_setup(void)
{
    return hall_pool_create(4096);
}

static size_t
param_count(const struct hall_param *p)
{
    size_t n = 0;

    for (; p != NULL; p = p->next)
        n++;
    return n;
}

static const struct hall_param *
param_nth(const struct hall_param *p, size_t i)
{
    while (p != NULL && i-- > 0)
        p = p->next;
    assert_non_null(p);
    return p;
}

/* ---- urlencoded ------------------------------------------------------------ */

static int
parse_ue(struct hall_pool *pool, const char *s, struct hall_param **out, size_t max)
{
    *out = NULL;
    return hall_parse_urlencoded(pool, s, strlen(s), out, max);
}

static void
parse_urlencoded__plus_and_percent__decoded(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *p;

    assert_int_equal(parse_ue(pool, "name=%E5%BC%A0+%e4%b8%89&q=a%2Bb%3Dc%26d&sp=+%20+", &p, 10),
                     HALL_OK);
    assert_int_equal(param_count(p), 3);
    assert_string_equal(param_nth(p, 0)->name, "name");
    assert_string_equal(param_nth(p, 0)->value, "张 三");
    assert_int_equal(param_nth(p, 0)->len, strlen("张 三"));
    assert_string_equal(param_nth(p, 1)->value, "a+b=c&d");
    assert_string_equal(param_nth(p, 2)->value, "   ");
    assert_int_equal(param_nth(p, 2)->len, 3);
    hall_pool_destroy(pool);
}

static void
parse_urlencoded__encoded_name__decoded(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *p;

    assert_int_equal(parse_ue(pool, "a%5Bb%5D+c=1", &p, 10), HALL_OK);
    assert_string_equal(p->name, "a[b] c");
    assert_string_equal(p->value, "1");
    hall_pool_destroy(pool);
}

static void
parse_urlencoded__malformed_percent__rejected(void **state)
{
    static const char *const bad[] = {
        "a=%",   "a=%4",   "a=%zz", "a=%4g",   "a=%g4", "a=1%",  "%=1",
        "a%2=1", "a=%%41", "a=%00", "a=x%00y", "%00=1", "a=%+1", "a=% 1",
    };
    struct hall_pool *pool = pool_setup();
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct hall_param *p = NULL;

        if (hall_parse_urlencoded(pool, bad[i], strlen(bad[i]), &p, 10) != HALL_ERR)
            fail_msg("accepted %s", bad[i]);
        /* a rejected body leaves the list as it was */
        assert_null(p);
    }
    hall_pool_destroy(pool);
}

static void
parse_urlencoded__raw_nul_byte__rejected(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *p = NULL;

    assert_int_equal(hall_parse_urlencoded(pool, "a=x\0y", 5, &p, 10), HALL_ERR);
    assert_null(p);
    hall_pool_destroy(pool);
}

static void
parse_urlencoded__empty_keys_values_and_segments(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *p;

    assert_int_equal(parse_ue(pool, "&&=v&flag&k=&&", &p, 10), HALL_OK);
    assert_int_equal(param_count(p), 3);
    assert_string_equal(param_nth(p, 0)->name, "");
    assert_string_equal(param_nth(p, 0)->value, "v");
    assert_string_equal(param_nth(p, 1)->name, "flag");
    assert_string_equal(param_nth(p, 1)->value, "");
    assert_string_equal(param_nth(p, 2)->name, "k");
    assert_string_equal(param_nth(p, 2)->value, "");
    assert_int_equal(param_nth(p, 2)->len, 0);

    assert_int_equal(parse_ue(pool, "", &p, 10), HALL_OK);
    assert_null(p);
    assert_int_equal(parse_ue(pool, "&&&", &p, 0), HALL_OK);
    assert_null(p);
    hall_pool_destroy(pool);
}

static void
parse_urlencoded__value_with_equals__split_at_first(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *p;

    assert_int_equal(parse_ue(pool, "t=a=b==", &p, 10), HALL_OK);
    assert_string_equal(p->name, "t");
    assert_string_equal(p->value, "a=b==");
    hall_pool_destroy(pool);
}

static void
parse_urlencoded__repeated_keys__all_kept_first_wins(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_req req;

    memset(&req, 0, sizeof(req));
    req.pool = pool;
    assert_int_equal(parse_ue(pool, "id=1&id=2&id=3", &req.bparams, 10), HALL_OK);
    assert_int_equal(param_count(req.bparams), 3);
    assert_string_equal(param_nth(req.bparams, 2)->value, "3");
    assert_string_equal(hall_req_param(&req, "id"), "1");

    /* body parameters shadow query parameters of the same name */
    assert_int_equal(parse_ue(pool, "id=9&only=q", &req.qparams, 10), HALL_OK);
    assert_string_equal(hall_req_param(&req, "id"), "1");
    assert_string_equal(hall_req_query(&req, "id"), "9");
    assert_string_equal(hall_req_param(&req, "only"), "q");
    assert_null(hall_req_param(&req, "absent"));
    hall_pool_destroy(pool);
}

/* a form of fifty fields is read through the index by name (req.c): the
 * same answers as the walk, the first of a repeated name, and a list that
 * grew at either end after the first lookup is looked up as it is now */
static void
req_param__long_list__index_answers_as_the_walk(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *extra, *late;
    struct hall_req req;
    char body[2048], name[16];
    size_t n = 0;
    int i;

    memset(&req, 0, sizeof(req));
    req.pool = pool;
    for (i = 0; i < 50; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "%sf%d=v%d", i ? "&" : "", i, i);
    n += (size_t)snprintf(body + n, sizeof(body) - n, "&f7=again&=empty");
    assert_int_equal(parse_ue(pool, body, &req.bparams, 100), HALL_OK);
    for (i = 0; i < 50; i++) {
        char want[16];

        snprintf(name, sizeof(name), "f%d", i);
        snprintf(want, sizeof(want), "v%d", i);
        assert_string_equal(hall_req_param(&req, name), want);
        assert_string_equal(hall_req_body_param(&req, name), want);
    }
    assert_string_equal(hall_req_param(&req, "f7"), "v7");
    assert_string_equal(hall_req_param(&req, ""), "empty");
    assert_null(hall_req_param(&req, "f50"));
    assert_null(hall_req_param(&req, "f"));
    assert_null(hall_req_query(&req, "f1"));

    /* a parameter put first shadows the rest; one added at the end is found */
    extra = hall_pcalloc(pool, sizeof(*extra));
    extra->name = "f3";
    extra->value = "first";
    extra->next = req.bparams;
    req.bparams = extra;
    assert_string_equal(hall_req_param(&req, "f3"), "first");
    late = hall_pcalloc(pool, sizeof(*late));
    late->name = "f99";
    late->value = "late";
    assert_null(hall_req_param(&req, "f99"));
    for (extra = req.bparams; extra->next != NULL; extra = extra->next)
        ;
    extra->next = late;
    assert_string_equal(hall_req_param(&req, "f99"), "late");
    /* the node is the one hall_req_check rewrites in place */
    hall_req_param_node(&req, "f10")->value = "checked";
    assert_string_equal(hall_req_param(&req, "f10"), "checked");

    /* the query's long list has its own index, read after the body's */
    assert_int_equal(parse_ue(pool, body, &req.qparams, 100), HALL_OK);
    assert_string_equal(hall_req_query(&req, "f10"), "v10");
    assert_string_equal(hall_req_param(&req, "f10"), "checked");
    hall_pool_destroy(pool);
}

static void
parse_urlencoded__max_params__limit_enforced(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *p;

    assert_int_equal(parse_ue(pool, "a=1&b=2&c=3", &p, 3), HALL_OK);
    assert_int_equal(param_count(p), 3);
    assert_int_equal(parse_ue(pool, "a=1&b=2&c=3&d=4", &p, 3), HALL_ERR);
    assert_null(p);
    /* empty segments do not count */
    assert_int_equal(parse_ue(pool, "a=1&&&&b=2&&c=3&", &p, 3), HALL_OK);
    assert_int_equal(parse_ue(pool, "a", &p, 0), HALL_ERR);
    hall_pool_destroy(pool);
}

static void
parse_urlencoded__existing_list__appended(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *p = NULL;

    assert_int_equal(hall_parse_urlencoded(pool, "a=1", 3, &p, 10), HALL_OK);
    assert_int_equal(hall_parse_urlencoded(pool, "b=2&c=3", 7, &p, 10), HALL_OK);
    assert_int_equal(param_count(p), 3);
    assert_string_equal(param_nth(p, 0)->name, "a");
    assert_string_equal(param_nth(p, 2)->name, "c");
    /* a failed parse does not touch what is there */
    assert_int_equal(hall_parse_urlencoded(pool, "d=%", 3, &p, 10), HALL_ERR);
    assert_int_equal(param_count(p), 3);
    hall_pool_destroy(pool);
}

static void
parse_urlencoded__length_bounds_input(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *p = NULL;

    /* only len bytes are read; what follows is not part of the body */
    assert_int_equal(hall_parse_urlencoded(pool, "a=12&b=3", 3, &p, 10), HALL_OK);
    assert_int_equal(param_count(p), 1);
    assert_string_equal(p->value, "1");
    hall_pool_destroy(pool);
}

/* ---- cookies --------------------------------------------------------------- */

static const char *
cookie(const struct hall_param *c, const char *name)
{
    for (; c != NULL; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c->value;
    return NULL;
}

static void
parse_cookies__spaces_and_tabs__trimmed(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *c = NULL;

    assert_int_equal(hall_parse_cookies(pool, "  sid=abc;pre = x1 ;\tlang = zh-CN\t; e=", &c),
                     HALL_OK);
    assert_int_equal(param_count(c), 4);
    assert_string_equal(cookie(c, "sid"), "abc");
    assert_string_equal(cookie(c, "pre"), "x1");
    assert_string_equal(cookie(c, "lang"), "zh-CN");
    assert_string_equal(cookie(c, "e"), "");
    hall_pool_destroy(pool);
}

static void
parse_cookies__quoted_value__quotes_removed(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *c = NULL;

    assert_int_equal(hall_parse_cookies(pool, "q=\"a b\"; one=\"; empty=\"\"; half=\"x", &c),
                     HALL_OK);
    assert_string_equal(cookie(c, "q"), "a b");
    assert_int_equal(strlen(cookie(c, "q")), 3);
    /* a lone quote is not a quoted string */
    assert_string_equal(cookie(c, "one"), "\"");
    assert_string_equal(cookie(c, "empty"), "");
    assert_string_equal(cookie(c, "half"), "\"x");
    hall_pool_destroy(pool);
}

static void
parse_cookies__value_with_equals__kept_whole(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *c = NULL;

    assert_int_equal(hall_parse_cookies(pool, "t=YWJj==; u=a=b", &c), HALL_OK);
    assert_string_equal(cookie(c, "t"), "YWJj==");
    assert_string_equal(cookie(c, "u"), "a=b");
    hall_pool_destroy(pool);
}

static void
parse_cookies__garbage__skipped_without_crash(void **state)
{
    static const char *const junk[] = {
        "",     ";",     ";;;;", "   ", "novalue", "novalue; ; ;", "=",
        "==;=", "\t;\t", "\"",   "a",   "; a=1",   "a=1;",         "x\x01y=\x7f\xff",
    };
    struct hall_pool *pool = pool_setup();
    struct hall_param *c;
    size_t i;

    for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        c = NULL;
        assert_int_equal(hall_parse_cookies(pool, junk[i], &c), HALL_OK);
        for (; c != NULL; c = c->next) {
            assert_non_null(c->name);
            assert_non_null(c->value);
            assert_int_equal(strlen(c->value), c->len);
        }
    }
    c = NULL;
    assert_int_equal(hall_parse_cookies(pool, "junk; a=1; more junk ;b=2", &c), HALL_OK);
    assert_int_equal(param_count(c), 2);
    assert_string_equal(cookie(c, "a"), "1");
    assert_string_equal(cookie(c, "b"), "2");
    assert_null(cookie(c, "junk"));

    c = NULL;
    assert_int_equal(hall_parse_cookies(pool, NULL, &c), HALL_OK);
    assert_null(c);
    hall_pool_destroy(pool);
}

static void
parse_cookies__more_than_fifty__rest_ignored(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_param *c = NULL;
    struct hall_buf b;
    int i;

    hall_buf_init(&b, 8192);
    for (i = 0; i < 80; i++)
        hall_buf_printf(&b, "c%d=%d; ", i, i);
    assert_int_equal(hall_parse_cookies(pool, b.data, &c), HALL_OK);
    assert_int_equal(param_count(c), 50);
    assert_string_equal(cookie(c, "c49"), "49");
    assert_null(cookie(c, "c50"));
    hall_buf_free(&b);
    hall_pool_destroy(pool);
}

static void
req_cookie__lookup_by_name(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_req req;

    memset(&req, 0, sizeof(req));
    assert_int_equal(hall_parse_cookies(pool, "hall_sid=s1; hall_pre=p1", &req.cookies), HALL_OK);
    assert_string_equal(hall_req_cookie(&req, "hall_sid"), "s1");
    assert_string_equal(hall_req_cookie(&req, "hall_pre"), "p1");
    assert_null(hall_req_cookie(&req, "hall"));
    hall_pool_destroy(pool);
}

/* ---- url encode / decode --------------------------------------------------- */

static void
url_encode__unreserved_kept_rest_percent_encoded(void **state)
{
    struct hall_pool *pool = pool_setup();

    assert_string_equal(hall_url_encode(pool, "Az09-_.~"), "Az09-_.~");
    assert_string_equal(hall_url_encode(pool, "a b+c&d=e/f?"), "a%20b%2Bc%26d%3De%2Ff%3F");
    assert_string_equal(hall_url_encode(pool, "中"), "%E4%B8%AD");
    assert_string_equal(hall_url_encode(pool, ""), "");
    hall_pool_destroy(pool);
}

static void
url_decode_encode__every_byte__round_trip(void **state)
{
    static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789-_.~%";
    struct hall_pool *pool = pool_setup();
    char all[256], *enc, *dec;
    size_t i, n;

    for (i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    enc = hall_url_encode(pool, all);
    for (i = 0; enc[i] != '\0'; i++)
        assert_non_null(strchr(safe, enc[i]));
    dec = hall_url_decode(pool, enc, strlen(enc), &n);
    assert_non_null(dec);
    assert_int_equal(n, 255);
    assert_memory_equal(dec, all, 256);

    enc = hall_url_encode(pool, "身份证 110101199003074514 & <张三>");
    dec = hall_url_decode(pool, enc, strlen(enc), NULL);
    assert_string_equal(dec, "身份证 110101199003074514 & <张三>");
    hall_pool_destroy(pool);
}

static void
url_decode__bad_escapes_and_nul__null(void **state)
{
    struct hall_pool *pool = pool_setup();
    size_t n = 99;

    assert_null(hall_url_decode(pool, "%", 1, &n));
    assert_null(hall_url_decode(pool, "ab%4", 4, &n));
    assert_null(hall_url_decode(pool, "%GG", 3, &n));
    assert_null(hall_url_decode(pool, "%00", 3, &n));
    assert_null(hall_url_decode(pool, "a\0b", 3, &n));
    /* "%41" is complete only when all three bytes are inside len */
    assert_null(hall_url_decode(pool, "%41", 2, &n));
    assert_string_equal(hall_url_decode(pool, "%41", 3, &n), "A");
    assert_int_equal(n, 1);
    assert_string_equal(hall_url_decode(pool, "", 0, &n), "");
    assert_int_equal(n, 0);
    hall_pool_destroy(pool);
}

/* ---- multipart ------------------------------------------------------------- */

struct mem_reader {
    const char *data;
    size_t len, pos;
    size_t chunk; /* most bytes per call; 0: as many as asked */
    int fail_at;  /* return -1 once pos reaches this (when > 0) */
};

static ssize_t
mem_read(void *ctx, char *buf, size_t n)
{
    struct mem_reader *r = ctx;

    if (r->fail_at > 0 && r->pos >= (size_t)r->fail_at)
        return -1;
    if (r->chunk > 0 && n > r->chunk)
        n = r->chunk;
    if (n > r->len - r->pos)
        n = r->len - r->pos;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

static char tmpdir[256];
/* as a worker's: large enough for every body of these tests */
static struct hall_mp_arena *arena;

/* the PII key for encrypted uploads, from a file that lives only during setup */
static int
mp_group_setup(void **state)
{
    const char *t = getenv("TMPDIR");
    char path[300], err[256];
    FILE *f;
    int i, rc;

    snprintf(tmpdir, sizeof(tmpdir), "%s/hall-test-req-XXXXXX", t != NULL ? t : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/key", tmpdir);
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    for (i = 0; i < 64; i++)
        fprintf(f, "%02x", (unsigned)(i * 37 + 11) & 0xff);
    fclose(f);
    rc = hall_crypto_init(path, NULL, err, sizeof(err)) == HALL_OK ? 0 : -1;
    unlink(path);
    arena = hall_mp_arena_new(4 << 20, 64);
    return rc;
}

static int
mp_group_teardown(void **state)
{
    hall_mp_arena_free(arena);
    return rmdir(tmpdir);
}

struct mp_result {
    int status;
    struct hall_param *fields;
    struct hall_upload *files;
    const char *err, *errfield;
};

static const struct hall_mp_limits default_limits = {
    .max_file = 1 << 20, .max_field = 1024, .max_parts = 8, .enc = 0};

static void
mp_run(struct hall_pool *pool, const char *ctype, const char *body, size_t len, size_t clen,
       size_t chunk, const struct hall_mp_limits *lim, struct mp_result *res)
{
    struct mem_reader r = {.data = body, .len = len, .chunk = chunk};
    struct hall_mp_limits l = lim != NULL ? *lim : default_limits;

    if (l.arena == NULL)
        l.arena = arena;

    memset(res, 0, sizeof(*res));
    res->status = hall_parse_multipart(pool, ctype, mem_read, &r, clen, &l, &res->fields,
                                       &res->files, &res->err, &res->errfield);
    /* whatever the outcome: a status from the documented set, and a message with errors */
    if (res->status != 0) {
        assert_true(res->status == 400 || res->status == 413 || res->status == 503);
        assert_non_null(res->err);
        assert_true(strlen(res->err) > 0);
    }
}

#define CT "multipart/form-data; boundary=----hallB0undary7"
#define B  "----hallB0undary7"

/* a file body that contains near-misses of the delimiter */
static const char tricky_file[] = "PNG\r\n\x00\x01\xff\r\n--\r\n"
                                  "\r\n-----hallB0undary7 one dash short"
                                  "\n------hallB0undary7 no CR"
                                  "\r\n------hallB0undar\r\n\r\nend";

static void
mp_build_normal(struct hall_buf *b)
{
    hall_buf_init(b, 1 << 20);
    hall_buf_addstr(b, "--" B "\r\n"
                       "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
                       "营业执照副本\r\n"
                       "--" B "\r\n"
                       "content-disposition: form-data; name=\"doc\"; filename=\"执照.png\"\r\n"
                       "Content-Type: image/png\r\n\r\n");
    hall_buf_add(b, tricky_file, sizeof(tricky_file) - 1);
    hall_buf_addstr(b, "\r\n--" B "\r\n"
                       "Content-Disposition: form-data; name=empty\r\n\r\n"
                       "\r\n--" B "--\r\nepilogue is ignored");
}

static void
parse_multipart__fields_and_file__parsed_and_file_written(void **state)
{
    static const size_t chunks[] = {0, 1, 2, 7, 64, 1000};
    struct hall_buf body;
    size_t i;

    mp_build_normal(&body);
    for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        struct hall_pool *pool = pool_setup();
        struct mp_result res;

        mp_run(pool, CT, body.data, body.len, body.len, chunks[i], NULL, &res);
        assert_int_equal(res.status, 0);
        assert_int_equal(param_count(res.fields), 2);
        assert_string_equal(param_nth(res.fields, 0)->name, "title");
        assert_string_equal(param_nth(res.fields, 0)->value, "营业执照副本");
        assert_int_equal(param_nth(res.fields, 0)->len, strlen("营业执照副本"));
        assert_string_equal(param_nth(res.fields, 1)->name, "empty");
        assert_string_equal(param_nth(res.fields, 1)->value, "");

        assert_non_null(res.files);
        assert_null(res.files->next);
        assert_string_equal(res.files->field, "doc");
        assert_string_equal(res.files->filename, "执照.png");
        assert_string_equal(res.files->ctype, "image/png");
        assert_int_equal(res.files->size, sizeof(tricky_file) - 1);
        assert_memory_equal(res.files->data, tricky_file, sizeof(tricky_file) - 1);
        assert_int_equal(res.files->data[res.files->size], 0);
        /* not encrypted unless asked */
        assert_null(res.files->enc);

        hall_pool_destroy(pool);
    }
    hall_buf_free(&body);
}

static void
parse_multipart__quoted_boundary__accepted(void **state)
{
    struct hall_pool *pool = pool_setup();
    static const char body[] = "--a'b(c)\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
                               "1\r\n--a'b(c)--";
    struct mp_result res;

    mp_run(pool, "Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a'b(c)\"", body, sizeof(body) - 1,
           sizeof(body) - 1, 0, NULL, &res);
    assert_int_equal(res.status, 0);
    assert_string_equal(res.fields->value, "1");
    hall_pool_destroy(pool);
}

static void
parse_multipart__large_file_across_windows__written_exactly(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_mp_limits lim = default_limits;
    struct hall_buf body;
    struct mp_result res;
    size_t flen = 300 * 1024 + 17, i;
    char *file;
    unsigned x = 12345;

    file = malloc(flen);
    assert_non_null(file);
    for (i = 0; i < flen; i++) {
        x = x * 1103515245u + 12345u;
        file[i] = (char)(x >> 16);
    }
    hall_buf_init(&body, 1 << 20);
    hall_buf_addstr(&body, "--" B "\r\nContent-Disposition: form-data; name=\"f\"; "
                           "filename=\"big.bin\"\r\n\r\n");
    hall_buf_add(&body, file, flen);
    hall_buf_addstr(&body, "\r\n--" B "--\r\n");

    lim.max_file = flen; /* exactly at the limit is allowed */
    mp_run(pool, CT, body.data, body.len, body.len, 4093, &lim, &res);
    assert_int_equal(res.status, 0);
    assert_non_null(res.files);
    assert_int_equal(res.files->size, flen);
    assert_memory_equal(res.files->data, file, flen);
    free(file);
    hall_buf_free(&body);
    hall_pool_destroy(pool);
}

static void
parse_multipart__file_over_max_file__413_chinese_message(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_mp_limits lim = default_limits;
    struct hall_buf body;
    struct mp_result res;
    char chunk[1000];

    memset(chunk, 'x', sizeof(chunk));
    hall_buf_init(&body, 1 << 20);
    hall_buf_addstr(&body, "--" B "\r\nContent-Disposition: form-data; name=\"license\"; "
                           "filename=\"a.pdf\"\r\n\r\n");
    hall_buf_add(&body, chunk, sizeof(chunk));
    hall_buf_add(&body, chunk, 1);
    hall_buf_addstr(&body, "\r\n--" B "--\r\n");

    lim.max_file = 1000;
    mp_run(pool, CT, body.data, body.len, body.len, 0, &lim, &res);
    assert_int_equal(res.status, 413);
    assert_string_equal(res.err, "文件大小超过限制");
    assert_non_null(res.errfield);
    assert_string_equal(res.errfield, "license");
    assert_null(res.files);
    hall_buf_free(&body);
    hall_pool_destroy(pool);
}

static void
parse_multipart__field_over_max_field__413(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_mp_limits lim = default_limits;
    struct hall_buf body;
    struct mp_result res;
    int i;

    hall_buf_init(&body, 1 << 20);
    hall_buf_addstr(&body, "--" B "\r\nContent-Disposition: form-data; name=\"memo\"\r\n\r\n");
    for (i = 0; i < 101; i++)
        hall_buf_addstr(&body, "0123456789");
    hall_buf_addstr(&body, "\r\n--" B "--\r\n");

    lim.max_field = 1000;
    mp_run(pool, CT, body.data, body.len, body.len, 0, &lim, &res);
    assert_int_equal(res.status, 413);
    assert_string_equal(res.err, "填写的内容过长");
    assert_string_equal(res.errfield, "memo");
    hall_buf_free(&body);
    hall_pool_destroy(pool);
}

static void
parse_multipart__too_many_parts__413(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_mp_limits lim = default_limits;
    struct hall_buf body;
    struct mp_result res;
    int i;

    hall_buf_init(&body, 1 << 20);
    for (i = 0; i < 5; i++)
        hall_buf_printf(&body,
                        "--" B "\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\n"
                        "v\r\n",
                        i);
    hall_buf_addstr(&body, "--" B "--\r\n");

    lim.max_parts = 5;
    mp_run(pool, CT, body.data, body.len, body.len, 0, &lim, &res);
    assert_int_equal(res.status, 0);
    assert_int_equal(param_count(res.fields), 5);

    lim.max_parts = 4;
    mp_run(pool, CT, body.data, body.len, body.len, 0, &lim, &res);
    assert_int_equal(res.status, 413);
    assert_string_equal(res.err, "上传的内容过多");
    hall_buf_free(&body);
    hall_pool_destroy(pool);
}

static void
parse_multipart__bad_content_type__400(void **state)
{
    static const char *const ctypes[] = {
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"unterminated",
        "multipart/form-data; xboundary=abc",
        /* RFC 2046: at most 70 characters */
        "multipart/form-data; boundary="
        "12345678901234567890123456789012345678901234567890123456789012345678901",
        "",
    };
    static const char body[] = "--abc\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
                               "1\r\n--abc--";
    struct hall_pool *pool = pool_setup();
    struct mp_result res;
    size_t i;

    for (i = 0; i < sizeof(ctypes) / sizeof(ctypes[0]); i++) {
        mp_run(pool, ctypes[i], body, sizeof(body) - 1, sizeof(body) - 1, 0, NULL, &res);
        if (res.status != 400)
            fail_msg("content type '%s': status %d", ctypes[i], res.status);
        assert_string_equal(res.err, "上传的内容格式不正确");
    }
    hall_pool_destroy(pool);
}

static void
parse_multipart__truncated_body__400_and_no_file_left(void **state)
{
    struct hall_buf body;
    size_t cut;

    mp_build_normal(&body);
    /* every proper prefix of a valid body is malformed: it lacks the closing delimiter */
    for (cut = 0; cut < body.len; cut++) {
        const char *closing = memmem(body.data, body.len, "--" B "--", strlen("--" B "--"));
        struct hall_pool *pool;
        struct mp_result res;

        if (cut >= (size_t)(closing - body.data) + strlen("--" B "--"))
            break;
        pool = pool_setup();
        mp_run(pool, CT, body.data, cut, cut, cut % 5, NULL, &res);
        if (res.status != 400)
            fail_msg("prefix of %zu bytes: status %d", cut, res.status);
        hall_pool_destroy(pool);
    }
    hall_buf_free(&body);
}

static void
parse_multipart__content_length_short_or_long__400(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct mp_result res;
    struct hall_buf body;

    mp_build_normal(&body);
    /* CONTENT_LENGTH says less than was sent: the parser reads no further */
    mp_run(pool, CT, body.data, body.len, body.len - 40, 0, NULL, &res);
    assert_int_equal(res.status, 400);
    /* CONTENT_LENGTH says more than arrives: end of input before the closing delimiter */
    mp_run(pool, CT, body.data, body.len - 40, body.len, 0, NULL, &res);
    assert_int_equal(res.status, 400);
    hall_buf_free(&body);
    hall_pool_destroy(pool);
}

static void
parse_multipart__read_error__400(void **state)
{
    struct hall_pool *pool = pool_setup();
    struct hall_mp_limits lim = default_limits;
    struct hall_param *fields = NULL;
    struct hall_upload *files = NULL;
    struct mem_reader r;
    const char *err, *errfield;
    struct hall_buf body;
    int st;

    mp_build_normal(&body);
    memset(&r, 0, sizeof(r));
    r.data = body.data;
    r.len = body.len;
    r.chunk = 16;
    r.fail_at = 200;
    lim.arena = arena;
    st = hall_parse_multipart(pool, CT, mem_read, &r, body.len, &lim, &fields, &files, &err,
                              &errfield);
    assert_int_equal(st, 400);
    hall_buf_free(&body);
    hall_pool_destroy(pool);
}

static void
parse_multipart__bad_part_headers__400(void **state)
{
    static const char *const bodies[] = {
        /* does not start with the delimiter */
        "preamble\r\n--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" B "--",
        /* delimiter followed by neither CRLF nor "--" */
        "--" B "XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" B "--",
        /* no Content-Disposition */
        "--" B "\r\nContent-Type: text/plain\r\n\r\n1\r\n--" B "--",
        /* no name */
        "--" B "\r\nContent-Disposition: form-data\r\n\r\n1\r\n--" B "--",
        "--" B "\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\n1\r\n--" B "--",
        /* empty name */
        "--" B "\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n1\r\n--" B "--",
        /* no blank line after the headers */
        "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n1\r\n--" B "--",
        /* no headers at all */
        "--" B "\r\n\r\n1\r\n--" B "--",
        /* a field may not carry a NUL */
        "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\0y\r\n--" B "--",
        /* an empty body */
        "",
    };
    static const size_t lens[] = {0,
                                  0,
                                  0,
                                  0,
                                  0,
                                  0,
                                  0,
                                  0,
                                  sizeof("--" B "\r\nContent-Disposition: form-data; "
                                         "name=\"a\"\r\n\r\nx\0y\r\n--" B "--") -
                                      1,
                                  0};
    struct hall_pool *pool = pool_setup();
    struct mp_result res;
    size_t i;

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        size_t len = lens[i] != 0 ? lens[i] : strlen(bodies[i]);

        mp_run(pool, CT, bodies[i], len, len, 0, NULL, &res);
        if (res.status != 400)
            fail_msg("body %zu: status %d", i, res.status);
    }
    hall_pool_destroy(pool);
}

static void
mp_build_padded_headers(struct hall_buf *body, int pad_lines)
{
    int i;

    hall_buf_init(body, 1 << 20);
    hall_buf_addstr(body, "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n");
    for (i = 0; i < pad_lines; i++)
        hall_buf_addstr(body, "X-Pad: 0123456789\r\n"); /* 19 bytes */
    hall_buf_addstr(body, "\r\n1\r\n--" B "--\r\n");
}

static void
parse_multipart__part_headers_over_8k__400_however_read(void **state)
{
    static const size_t chunks[] = {0, 1, 512, 4096};
    struct hall_pool *pool = pool_setup();
    struct hall_buf body;
    struct mp_result res;
    size_t i;

    /* 430 lines: about 8.2 KB of headers, just over the limit */
    mp_build_padded_headers(&body, 430);
    for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        mp_run(pool, CT, body.data, body.len, body.len, chunks[i], NULL, &res);
        if (res.status != 400)
            fail_msg("read chunk %zu: status %d", chunks[i], res.status);
    }
    hall_buf_free(&body);
    /* 400 lines: about 7.6 KB, accepted */
    mp_build_padded_headers(&body, 400);
    for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        mp_run(pool, CT, body.data, body.len, body.len, chunks[i], NULL, &res);
        if (res.status != 0)
            fail_msg("read chunk %zu: status %d", chunks[i], res.status);
        assert_string_equal(res.fields->value, "1");
    }
    hall_buf_free(&body);
    hall_pool_destroy(pool);
}

/* what hall_file_store writes: the content encrypted as hall_pii_encrypt
 * would, and its SHA-256, whatever the size of the reads */
static void
parse_multipart__encrypted_file__decrypts_to_content_and_hash_matches(void **state)
{
    static const size_t chunks[] = {0, 1, 4093, 70000};
    struct hall_mp_limits lim = default_limits;
    size_t flen = 700 * 1024 + 5, i, k;
    unsigned char sha[32];
    struct hall_buf body;
    char *file, *plain;
    unsigned x = 777;

    file = malloc(flen);
    assert_non_null(file);
    for (i = 0; i < flen; i++) {
        x = x * 1103515245u + 12345u;
        file[i] = (char)(x >> 16);
    }
    hall_sha256(file, flen, sha);
    hall_buf_init(&body, 1 << 21);
    hall_buf_addstr(&body, "--" B "\r\nContent-Disposition: form-data; name=\"f\"; "
                           "filename=\"a.jpg\"\r\n\r\n");
    hall_buf_add(&body, file, flen);
    hall_buf_addstr(&body, "\r\n--" B "\r\nContent-Disposition: form-data; name=\"g\"; "
                           "filename=\"empty.jpg\"\r\n\r\n\r\n--" B "--\r\n");
    lim.enc = 1;
    /* the second half: a HALL_R_ENCRYPTED route, the clear content kept only
     * as far as its type needs */
    for (k = 0; k < 2 * (sizeof(chunks) / sizeof(chunks[0])); k++) {
        struct hall_pool *pool = pool_setup();
        struct mp_result res;

        lim.head_only = k >= sizeof(chunks) / sizeof(chunks[0]);
        mp_run(pool, CT, body.data, body.len, body.len,
               chunks[k % (sizeof(chunks) / sizeof(chunks[0]))], &lim, &res);
        assert_int_equal(res.status, 0);
        assert_non_null(res.files);
        assert_int_equal(res.files->size, flen);
        assert_int_equal(res.files->plain_len, lim.head_only ? HALL_UPLOAD_HEAD : flen);
        assert_memory_equal(res.files->data, file, res.files->plain_len);
        assert_int_equal(res.files->data[res.files->plain_len], 0);
        assert_int_equal(res.files->enc_len, flen + HALL_ENC_HEAD + HALL_ENC_TAG);
        assert_memory_equal(res.files->sha256, sha, 32);
        plain = hall_pii_decrypt(pool, res.files->enc, res.files->enc_len);
        assert_non_null(plain);
        assert_memory_equal(plain, file, flen);
        /* a tampered byte fails the tag */
        res.files->enc[HALL_ENC_HEAD + flen / 2] ^= 1;
        assert_null(hall_pii_decrypt(pool, res.files->enc, res.files->enc_len));
        /* an empty file is encrypted too: the hash of nothing */
        assert_non_null(res.files->next);
        assert_int_equal(res.files->next->size, 0);
        assert_int_equal(res.files->next->plain_len, 0);
        /* each file's encrypted form starts on a unit the store writes with O_DIRECT */
        assert_int_equal((uintptr_t)res.files->enc % HALL_ENC_ALIGN, 0);
        assert_int_equal((uintptr_t)res.files->next->enc % HALL_ENC_ALIGN, 0);
        hall_sha256("", 0, sha);
        assert_memory_equal(res.files->next->sha256, sha, 32);
        hall_sha256(file, flen, sha);
        hall_pool_destroy(pool);
    }
    free(file);
    hall_buf_free(&body);
}

/* a route's flags decide the parser's work on its files: encrypted and hashed
 * (every multipart route but those that only read their files), only the
 * head in clear (HALL_R_ENCRYPTED, which wins), or kept in clear only and
 * neither encrypted nor hashed (HALL_R_CLEAR) */
static void
parse_multipart__route_flags__clear_route_keeps_file_in_clear_only_unencrypted(void **state)
{
    static const struct {
        unsigned flags;
        int enc, head_only;
    } routes[] = {
        {HALL_R_MULTIPART, 1, 0},
        {HALL_R_MULTIPART | HALL_R_ENCRYPTED, 1, 1},
        {HALL_R_MULTIPART | HALL_R_CLEAR, 0, 0},
        {HALL_R_MULTIPART | HALL_R_CLEAR | HALL_R_ENCRYPTED, 1, 1},
    };
    size_t flen = 300 * 1024 + 3, i, k;
    static const unsigned char zero[32];
    struct hall_buf body;
    char *file;
    unsigned x = 4242;

    file = malloc(flen);
    assert_non_null(file);
    for (i = 0; i < flen; i++) {
        x = x * 1103515245u + 12345u;
        file[i] = (char)(x >> 16);
    }
    hall_buf_init(&body, 1 << 20);
    hall_buf_addstr(&body, "--" B "\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n"
                           "abc\r\n--" B "\r\nContent-Disposition: form-data; name=\"image\"; "
                           "filename=\"id.jpg\"\r\n\r\n");
    hall_buf_add(&body, file, flen);
    hall_buf_addstr(&body, "\r\n--" B "--\r\n");
    for (k = 0; k < sizeof(routes) / sizeof(routes[0]); k++) {
        struct hall_mp_limits lim = default_limits;
        struct hall_pool *pool = pool_setup();
        struct mp_result res;

        hall_mp_limits_route(&lim, routes[k].flags);
        assert_int_equal(lim.enc, routes[k].enc);
        assert_int_equal(lim.head_only, routes[k].head_only);
        mp_run(pool, CT, body.data, body.len, body.len, 4093, &lim, &res);
        assert_int_equal(res.status, 0);
        assert_string_equal(res.fields->value, "abc");
        assert_non_null(res.files);
        assert_int_equal(res.files->size, flen);
        assert_int_equal(res.files->plain_len, lim.head_only ? HALL_UPLOAD_HEAD : flen);
        assert_memory_equal(res.files->data, file, res.files->plain_len);
        if (lim.enc) {
            assert_non_null(res.files->enc);
            assert_int_equal(res.files->enc_len, flen + HALL_ENC_HEAD + HALL_ENC_TAG);
        } else {
            /* nothing encrypted, nothing hashed: what the store would refuse */
            assert_null(res.files->enc);
            assert_int_equal(res.files->enc_len, 0);
            assert_memory_equal(res.files->sha256, zero, 32);
        }
        hall_pool_destroy(pool);
    }
    free(file);
    hall_buf_free(&body);
}

/* an arena smaller than the body (a caller's mistake) refuses, never overflows */
static void
parse_multipart__files_beyond_arena__413_not_overflow(void **state)
{
    struct hall_mp_limits lim = default_limits;
    struct hall_pool *pool = pool_setup();
    struct hall_buf body;
    struct mp_result res;
    char chunk[1500];
    int enc;

    memset(chunk, 'y', sizeof(chunk));
    hall_buf_init(&body, 1 << 20);
    hall_buf_addstr(&body, "--" B "\r\nContent-Disposition: form-data; name=\"a\"; "
                           "filename=\"a.jpg\"\r\n\r\n");
    hall_buf_add(&body, chunk, sizeof(chunk));
    hall_buf_addstr(&body, "\r\n--" B "--\r\n");
    for (enc = 0; enc <= 1; enc++) {
        lim.arena = hall_mp_arena_new(enc ? 1400 : 1000, 1);
        lim.enc = enc;
        mp_run(pool, CT, body.data, body.len, body.len, 100, &lim, &res);
        assert_int_equal(res.status, 413);
        hall_mp_arena_free(lim.arena);
    }
    hall_buf_free(&body);
    hall_pool_destroy(pool);
}

/* ---- local redirect targets ------------------------------------------------ */

static void
local_path__tricks_of_open_redirects__refused(void **state)
{
    static const char *const bad[] = {
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example/",
        "/\n/evil.example",
        "/\r//evil.example",
        "/a\\b",
        "/x\x7f",
        "/\x01/",
        "https://evil.example/",
        "evil.example",
        "",
        " /center",
        "\t/center",
        NULL,
    };
    static const char *const good[] = {
        "/",     "/center", "/login?next=%2Fcenter", "/hunan/new?x=1#top", "/a/b//c", "/%2F%2Fx",
        "/中文", NULL,
    };
    size_t i;

    (void)state;
    assert_int_equal(hall_local_path(NULL), 0);
    for (i = 0; bad[i] != NULL; i++)
        if (hall_local_path(bad[i]))
            fail_msg("accepted as local: case %zu", i);
    for (i = 0; good[i] != NULL; i++)
        if (!hall_local_path(good[i]))
            fail_msg("refused as not local: %s", good[i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_urlencoded__plus_and_percent__decoded),
        cmocka_unit_test(parse_urlencoded__encoded_name__decoded),
        cmocka_unit_test(parse_urlencoded__malformed_percent__rejected),
        cmocka_unit_test(parse_urlencoded__raw_nul_byte__rejected),
        cmocka_unit_test(parse_urlencoded__empty_keys_values_and_segments),
        cmocka_unit_test(parse_urlencoded__value_with_equals__split_at_first),
        cmocka_unit_test(parse_urlencoded__repeated_keys__all_kept_first_wins),
        cmocka_unit_test(req_param__long_list__index_answers_as_the_walk),
        cmocka_unit_test(parse_urlencoded__max_params__limit_enforced),
        cmocka_unit_test(parse_urlencoded__existing_list__appended),
        cmocka_unit_test(parse_urlencoded__length_bounds_input),
        cmocka_unit_test(parse_cookies__spaces_and_tabs__trimmed),
        cmocka_unit_test(parse_cookies__quoted_value__quotes_removed),
        cmocka_unit_test(parse_cookies__value_with_equals__kept_whole),
        cmocka_unit_test(parse_cookies__garbage__skipped_without_crash),
        cmocka_unit_test(parse_cookies__more_than_fifty__rest_ignored),
        cmocka_unit_test(req_cookie__lookup_by_name),
        cmocka_unit_test(url_encode__unreserved_kept_rest_percent_encoded),
        cmocka_unit_test(url_decode_encode__every_byte__round_trip),
        cmocka_unit_test(url_decode__bad_escapes_and_nul__null),
        cmocka_unit_test(parse_multipart__fields_and_file__parsed_and_file_written),
        cmocka_unit_test(parse_multipart__quoted_boundary__accepted),
        cmocka_unit_test(parse_multipart__large_file_across_windows__written_exactly),
        cmocka_unit_test(parse_multipart__file_over_max_file__413_chinese_message),
        cmocka_unit_test(parse_multipart__field_over_max_field__413),
        cmocka_unit_test(parse_multipart__too_many_parts__413),
        cmocka_unit_test(parse_multipart__bad_content_type__400),
        cmocka_unit_test(parse_multipart__truncated_body__400_and_no_file_left),
        cmocka_unit_test(parse_multipart__content_length_short_or_long__400),
        cmocka_unit_test(parse_multipart__read_error__400),
        cmocka_unit_test(parse_multipart__bad_part_headers__400),
        cmocka_unit_test(parse_multipart__part_headers_over_8k__400_however_read),
        cmocka_unit_test(local_path__tricks_of_open_redirects__refused),
        cmocka_unit_test(parse_multipart__encrypted_file__decrypts_to_content_and_hash_matches),
        cmocka_unit_test(
            parse_multipart__route_flags__clear_route_keeps_file_in_clear_only_unencrypted),
        cmocka_unit_test(parse_multipart__files_beyond_arena__413_not_overflow),
    };

    return cmocka_run_group_tests_name("req", tests, mp_group_setup, mp_group_teardown);
}
