/*
 * Unit tests for core/base/value.c (value tree, JSON in and out) and core/web/tmpl.c
 * (HTML templates).  Template files are written to a mkdtemp directory per
 * test and loaded from there, as the modules load template_dir.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hall.h"

/* ---- JSON in --------------------------------------------------------------- */

static struct hall_val *
parse(struct hall_pool *pool, const char *text)
{
    char err[256];

    err[0] = '\0';
    return hall_val_parse(pool, text, strlen(text), err, sizeof(err));
}

static void
val_parse__object__types_mapped(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    const struct hall_val *v, *c;

    v = parse(pool, "{\"s\":\"张三\\u0041\\n\",\"i\":42,\"neg\":-9223372036854775807,"
                    "\"f\":1.5,\"t\":true,\"no\":false,\"n\":null,"
                    "\"l\":[1,\"a\",[]],\"o\":{\"k\":\"v\"}}");
    assert_non_null(v);
    assert_int_equal(v->type, HALL_V_OBJ);
    c = hall_val_get(v, "s");
    assert_int_equal(c->type, HALL_V_STR);
    assert_string_equal(c->str, "张三A\n");
    assert_int_equal(hall_val_get(v, "i")->type, HALL_V_INT);
    assert_int_equal(hall_val_get(v, "i")->i, 42);
    assert_true(hall_val_get(v, "neg")->i == INT64_MIN + 1);
    /* non-integers are kept as their text, never rounded */
    assert_int_equal(hall_val_get(v, "f")->type, HALL_V_STR);
    assert_string_equal(hall_val_get(v, "f")->str, "1.5");
    assert_int_equal(hall_val_get(v, "t")->type, HALL_V_BOOL);
    assert_int_equal(hall_val_get(v, "t")->i, 1);
    assert_int_equal(hall_val_get(v, "no")->i, 0);
    assert_int_equal(hall_val_get(v, "n")->type, HALL_V_NULL);
    c = hall_val_get(v, "l");
    assert_int_equal(c->type, HALL_V_LIST);
    assert_int_equal(c->first->i, 1);
    assert_string_equal(c->first->next->str, "a");
    assert_int_equal(c->first->next->next->type, HALL_V_LIST);
    assert_null(c->first->next->next->first);
    assert_null(c->first->next->next->next);
    assert_string_equal(hall_val_get(hall_val_get(v, "o"), "k")->str, "v");
    assert_null(hall_val_get(v, "missing"));
    /* members keep the order of the text */
    assert_string_equal(v->first->key, "s");
    assert_string_equal(v->last->key, "o");
    hall_pool_destroy(pool);
}

static void
val_parse__integer_outside_yajl_range__kept_as_text(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    const struct hall_val *v;

    v = parse(pool, "{\"id\":123456789012345678901234567890,\"max\":9223372036854775808,"
                    "\"min\":-9223372036854775808}");
    assert_non_null(v);
    /* never a clamped or wrapped number */
    assert_int_equal(hall_val_get(v, "id")->type, HALL_V_STR);
    assert_string_equal(hall_val_get(v, "id")->str, "123456789012345678901234567890");
    assert_int_equal(hall_val_get(v, "max")->type, HALL_V_STR);
    assert_string_equal(hall_val_get(v, "max")->str, "9223372036854775808");
    /* yajl 2.1 reports INT64_MIN itself as out of range: it too stays text */
    assert_int_equal(hall_val_get(v, "min")->type, HALL_V_STR);
    assert_string_equal(hall_val_get(v, "min")->str, "-9223372036854775808");
    hall_pool_destroy(pool);
}

static void
val_parse__malformed__null_with_message(void **state)
{
    static const char *const bad[] = {
        "",
        " ",
        "{",
        "}",
        "{\"a\":}",
        "{\"a\" 1}",
        "[1,]",
        "[1 2]",
        "{'a':1}",
        "{a:1}",
        "nul",
        "tru",
        "\"unterm",
        "[\"\\x\"]",
        "[1] x",
        "{}{}",
        "[01]",
        "[.5]",
        "[1.]",
        "[-]",
        "[\"\\ud800\"",
        "{\"a\":1,}",
        "\xff",
        "[\"\x01\"]",
        "[\"\xc3\x28\"]",
    };
    struct hall_pool *pool = hall_pool_create(4096);
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";

        if (hall_val_parse(pool, bad[i], strlen(bad[i]), err, sizeof(err)) != NULL)
            fail_msg("accepted %s", bad[i]);
        if (err[0] == '\0')
            fail_msg("no message for %s", bad[i]);
    }
    /* no error buffer at all */
    assert_null(hall_val_parse(pool, "{", 1, NULL, 0));
    hall_pool_destroy(pool);
}

static void
val_parse__embedded_nul__rejected(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char err[64] = "";

    /* the part before the NUL is valid JSON; the whole body is not */
    assert_null(hall_val_parse(pool, "{}\0{\"admin\":true}", 17, err, sizeof(err)));
    assert_true(err[0] != '\0');
    hall_pool_destroy(pool);
}

/* what a NUL inside a string or a member twice gives: NULL, the kind, the member */
static void
refused(struct hall_pool *pool, const char *text, int what, const char *field)
{
    struct hall_json_why why;

    if (hall_val_parse_why(pool, text, strlen(text), &why) != NULL)
        fail_msg("accepted %s", text);
    if (why.what != what)
        fail_msg("%s: refused as %d, not %d", text, why.what, what);
    if (field == NULL ? why.field != NULL : why.field == NULL || strcmp(why.field, field) != 0)
        fail_msg("%s: field %s, not %s", text, why.field ? why.field : "(none)",
                 field ? field : "(none)");
    assert_true(why.msg[0] != '\0');
}

static void
val_parse__nul_inside_a_string__refused_naming_the_member(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    const struct hall_val *v;

    /* yajl_tree kept "p6", the text before the NUL, after it was checked whole */
    refused(pool, "{\"name\":\"p6\\u0000零字节\"}", HALL_JSON_NUL, "name");
    refused(pool, "{\"a\":{\"b\":[\"x\",\"\\u0000\"]}}", HALL_JSON_NUL, "a.b");
    refused(pool, "{\"a\\u0000b\":1}", HALL_JSON_NUL, "a");
    refused(pool, "[\"\\u0000\"]", HALL_JSON_NUL, NULL);
    /* NULL, as hall_val_parse answers every refusal */
    assert_null(hall_val_parse(pool, "{\"s\":\"\\u0000\"}", 13, NULL, 0));
    /* a backslash before u0000 is six characters, no NUL */
    v = parse(pool, "{\"s\":\"\\\\u0000\"}");
    assert_non_null(v);
    assert_string_equal(hall_val_str(v, "s"), "\\u0000");
    /* other control characters escaped are values like any */
    v = parse(pool, "{\"s\":\"a\\u0001b\"}");
    assert_non_null(v);
    assert_int_equal(strlen(hall_val_str(v, "s")), 3);
    hall_pool_destroy(pool);
}

static void
val_parse__member_twice__refused_naming_it(void **state)
{
    struct hall_pool *pool = hall_pool_create(1 << 16);
    struct hall_buf b;
    const struct hall_val *v;
    int i;

    /* read first-wins by yajl_tree: person was checked, org taken elsewhere */
    refused(pool, "{\"cert_type\":\"person\",\"cert_type\":\"org\"}", HALL_JSON_DUP, "cert_type");
    refused(pool, "{\"o\":{\"k\":1,\"j\":2,\"k\":1}}", HALL_JSON_DUP, "o.k");
    refused(pool, "[{\"a\":[{\"k\":null,\"k\":null}]}]", HALL_JSON_DUP, "a.k");
    /* the same name in two objects is no repeat */
    v = parse(pool, "{\"a\":{\"k\":1},\"b\":{\"k\":2},\"l\":[{\"k\":3},{\"k\":4}],\"k\":5}");
    assert_non_null(v);
    assert_int_equal(hall_val_get(hall_val_get(v, "b"), "k")->i, 2);
    /* many members: the repeat is found at the far end, and 100,000
     * distinct ones read without quadratic work */
    hall_buf_init(&b, 8 << 20);
    hall_buf_addstr(&b, "{");
    for (i = 0; i < 100000; i++)
        hall_buf_printf(&b, "%s\"m%d\":%d", i ? "," : "", i, i);
    hall_buf_addstr(&b, "}");
    v = hall_val_parse(pool, b.data, b.len, NULL, 0);
    assert_non_null(v);
    assert_int_equal(v->last->i, 99999);
    b.len--;
    hall_buf_addstr(&b, ",\"m4242\":0}");
    refused(pool, hall_pstrndup(pool, b.data, b.len), HALL_JSON_DUP, "m4242");
    hall_buf_free(&b);
    hall_pool_destroy(pool);
}

static void
val_parse__length_bounds_input(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    const struct hall_val *v = hall_val_parse(pool, "[1]]]]", 3, NULL, 0);

    assert_non_null(v);
    assert_int_equal(v->first->i, 1);
    hall_pool_destroy(pool);
}

static char *
nested(const char *open, const char *inner, const char *close, int depth)
{
    size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
    char *s = malloc(depth * (lo + lc) + li + 1), *p = s;
    int i;

    assert_non_null(s);
    for (i = 0; i < depth; i++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, inner, li);
    p += li;
    for (i = 0; i < depth; i++, p += lc)
        memcpy(p, close, lc);
    *p = '\0';
    return s;
}

static void
val_parse__depth_32_accepted_33_rejected(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char *s;

    s = nested("[", "1", "]", 32);
    assert_non_null(parse(pool, s));
    free(s);
    s = nested("{\"a\":", "1", "}", 32);
    assert_non_null(parse(pool, s));
    free(s);
    s = nested("[", "1", "]", 33);
    assert_null(parse(pool, s));
    free(s);
    s = nested("{\"a\":[", "", "]}", 17); /* 34 levels, mixed */
    assert_null(parse(pool, s));
    free(s);
    hall_pool_destroy(pool);
}

static void
val_parse__very_deep__rejected_without_crash(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char *s;

    /* deep enough to exhaust the stack of a recursive parser or free */
    s = nested("[", "", "]", 200000);
    assert_null(parse(pool, s));
    free(s);
    s = nested("{\"k\":", "0", "}", 100000);
    assert_null(parse(pool, s));
    free(s);
    /* unbalanced: only openers */
    s = nested("[", "", "", 100000);
    assert_null(parse(pool, s));
    free(s);
    hall_pool_destroy(pool);
}

static void
val_parse__brackets_inside_strings__not_depth(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char *inner = nested("[{", "", "", 100);
    char *text = malloc(strlen(inner) + 32);
    const struct hall_val *v;

    sprintf(text, "{\"s\":\"\\\"%s\"}", inner);
    v = parse(pool, text);
    assert_non_null(v);
    assert_int_equal(strlen(hall_val_get(v, "s")->str), 201);
    free(text);
    free(inner);
    hall_pool_destroy(pool);
}

static void
val_parse__huge_documents__parsed(void **state)
{
    struct hall_pool *pool = hall_pool_create(1 << 16);
    struct hall_buf b;
    const struct hall_val *v, *c;
    char *big;
    size_t n = 0;
    int i;

    hall_buf_init(&b, 8 << 20);
    /* yajl_tree grows arrays one element at a time: quadratic under ASan's realloc */
    hall_buf_addstr(&b, "[");
    for (i = 0; i < 5000; i++)
        hall_buf_printf(&b, "%s%d", i ? "," : "", i);
    hall_buf_addstr(&b, "]");
    v = hall_val_parse(pool, b.data, b.len, NULL, 0);
    assert_non_null(v);
    for (c = v->first; c != NULL; c = c->next)
        assert_int_equal(c->i, n++);
    assert_int_equal(n, 5000);

    /* one 4 MB string */
    big = malloc(4 << 20);
    memset(big, 'x', 4 << 20);
    memcpy(big, "{\"k\":\"", 6);
    memcpy(big + (4 << 20) - 2, "\"}", 2);
    v = hall_val_parse(pool, big, 4 << 20, NULL, 0);
    assert_non_null(v);
    assert_int_equal(strlen(hall_val_get(v, "k")->str), (4 << 20) - 8);
    free(big);
    hall_buf_free(&b);
    hall_pool_destroy(pool);
}

/* ---- value tree and JSON out ---------------------------------------------- */

static void
val_set__same_key__replaced_in_place(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_val *o = hall_val_obj(pool);
    char *json;

    hall_val_set_str(pool, o, "a", "1");
    hall_val_set_int(pool, o, "b", 2);
    hall_val_set_bool(pool, o, "a", 7);
    hall_val_set_str(pool, o, "c", NULL);
    hall_val_set_fmt(pool, o, "d", "%s-%03d", "x", 5);
    json = hall_val_json(pool, o, NULL);
    assert_string_equal(json, "{\"a\":true,\"b\":2,\"c\":null,\"d\":\"x-005\"}");
    /* a list replaced by a scalar loses its items */
    hall_val_push_str(pool, hall_val_set_list(pool, o, "b"), "gone");
    hall_val_set_int(pool, o, "b", 3);
    assert_string_equal(hall_val_json(pool, o, NULL),
                        "{\"a\":true,\"b\":3,\"c\":null,\"d\":\"x-005\"}");
    hall_pool_destroy(pool);
}

static void
val_add__appended_uncopied__json_as_set_gives(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_val *o = hall_val_obj(pool), *l;
    char text[] = "kept";

    (void)state;
    hall_val_set_str(pool, o, "a", "1");
    hall_val_add_int(pool, o, "n", -9223372036854775807LL - 1);
    hall_val_add_int(pool, o, "z", 0);
    hall_val_add_bool(pool, o, "t", 5);
    hall_val_add_str(pool, o, "s", text);
    hall_val_add_str(pool, o, "null", NULL);
    l = hall_val_add_list(pool, o, "l");
    hall_val_add_str(pool, hall_val_push_obj(pool, l), "u", "/x?\"y\"");
    /* the string is the caller's, not a copy */
    assert_ptr_equal(hall_val_get(o, "s")->str, text);
    assert_string_equal(hall_val_json(pool, o, NULL),
                        "{\"a\":\"1\",\"n\":-9223372036854775808,\"z\":0,\"t\":true,"
                        "\"s\":\"kept\",\"null\":null,\"l\":[{\"u\":\"\\/x?\\\"y\\\"\"}]}");
    hall_pool_destroy(pool);
}

static void
val_json__escaping__exact_output(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_val *o = hall_val_obj(pool);
    size_t len;
    char *json;

    hall_val_set_str(pool, o, "q", "say \"hi\"\\ \t\n\r\b\f\x01\x1f");
    hall_val_set_str(pool, o, "html", "</script><!--&'");
    hall_val_set_str(pool, o, "名称", "北京市海淀区");
    json = hall_val_json(pool, o, &len);
    assert_string_equal(json, "{\"q\":\"say \\\"hi\\\"\\\\ \\t\\n\\r\\b\\f\\u0001\\u001F\","
                              "\"html\":\"<\\/script><!--&'\","
                              "\"名称\":\"北京市海淀区\"}");
    assert_int_equal(len, strlen(json));
    hall_pool_destroy(pool);
}

/* every ASCII byte alone, inside plain text and after a character of three
 * bytes: as itself, or escaped as yajl_gen did (\" \\ \/ \b \f \n \r \t,
 * \u00XX for the other controls) */
static void
val_json__every_ascii_byte__written_as_before(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    int c;

    for (c = 1; c < 0x80; c++) {
        static const char hex[] = "0123456789ABCDEF";
        char in[16], want[64], esc[8];
        struct hall_val *o = hall_val_obj(pool);
        size_t len;
        char *json;

        switch (c) {
        case '"': strcpy(esc, "\\\""); break;
        case '\\': strcpy(esc, "\\\\"); break;
        case '/': strcpy(esc, "\\/"); break;
        case '\b': strcpy(esc, "\\b"); break;
        case '\f': strcpy(esc, "\\f"); break;
        case '\n': strcpy(esc, "\\n"); break;
        case '\r': strcpy(esc, "\\r"); break;
        case '\t': strcpy(esc, "\\t"); break;
        default:
            if (c < 0x20)
                snprintf(esc, sizeof(esc), "\\u00%c%c", hex[c >> 4], hex[c & 0xf]);
            else
                snprintf(esc, sizeof(esc), "%c", c);
        }
        snprintf(in, sizeof(in), "%c", c);
        hall_val_set_str(pool, o, "a", in);
        snprintf(in, sizeof(in), "ab%ccd", c);
        hall_val_set_str(pool, o, "b", in);
        snprintf(in, sizeof(in), "\xe5\x8c\x97%c", c);
        hall_val_set_str(pool, o, "c", in);
        snprintf(want, sizeof(want), "{\"a\":\"%s\",\"b\":\"ab%scd\",\"c\":\"\xe5\x8c\x97%s\"}",
                 esc, esc, esc);
        json = hall_val_json(pool, o, &len);
        assert_non_null(json);
        assert_string_equal(json, want);
    }
    hall_pool_destroy(pool);
}

static void
val_json__round_trip__values_equal(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_val *o = hall_val_obj(pool), *l, *item;
    const struct hall_val *back, *bl;
    char *json;

    hall_val_set_str(pool, o, "name", "张三·阿卜杜拉 \"引号\" \\ </b>");
    hall_val_set_int(pool, o, "max", INT64_MAX);
    hall_val_set_int(pool, o, "min", INT64_MIN + 1);
    hall_val_set_bool(pool, o, "ok", 0);
    hall_val_set_str(pool, o, "nil", NULL);
    hall_val_set_str(pool, o, "", "empty key");
    l = hall_val_set_list(pool, o, "items");
    item = hall_val_push_obj(pool, l);
    hall_val_set_str(pool, item, "k", "𠀀 (4-byte UTF-8)");
    hall_val_push_str(pool, l, "");
    hall_val_set_obj(pool, o, "empty");

    json = hall_val_json(pool, o, NULL);
    assert_non_null(json);
    back = hall_val_parse(pool, json, strlen(json), NULL, 0);
    assert_non_null(back);
    assert_string_equal(hall_val_get(back, "name")->str, "张三·阿卜杜拉 \"引号\" \\ </b>");
    assert_true(hall_val_get(back, "max")->i == INT64_MAX);
    assert_true(hall_val_get(back, "min")->i == INT64_MIN + 1);
    assert_int_equal(hall_val_get(back, "ok")->type, HALL_V_BOOL);
    assert_int_equal(hall_val_get(back, "ok")->i, 0);
    assert_int_equal(hall_val_get(back, "nil")->type, HALL_V_NULL);
    assert_string_equal(hall_val_get(back, "")->str, "empty key");
    bl = hall_val_get(back, "items");
    assert_string_equal(hall_val_get(bl->first, "k")->str, "𠀀 (4-byte UTF-8)");
    assert_string_equal(bl->first->next->str, "");
    assert_int_equal(hall_val_get(back, "empty")->type, HALL_V_OBJ);
    assert_null(hall_val_get(back, "empty")->first);
    /* and serialising the parsed tree gives the same text */
    assert_string_equal(hall_val_json(pool, back, NULL), json);
    hall_pool_destroy(pool);
}

/* a key that is not UTF-8, containers more than 127 deep (yajl_gen's
 * limit): no document at all */
static void
val_json__bad_key_or_too_deep__null(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_val *o = hall_val_obj(pool), *v;
    int i;

    hall_val_set_str(pool, o, "k\xc3", "v");
    assert_null(hall_val_json(pool, o, NULL));
    o = hall_val_obj(pool);
    for (i = 1, v = o; i < 127; i++)
        v = hall_val_set_obj(pool, v, "d");
    assert_non_null(hall_val_json(pool, o, NULL));
    hall_val_set_obj(pool, v, "d");
    assert_null(hall_val_json(pool, o, NULL));
    hall_pool_destroy(pool);
}

static void
val_json__invalid_utf8__null(void **state)
{
    static const char *const bad[] = {"\xff", "ab\xc3", "\x80", "x\xe4\xb8", "\xf0\x9f\x98"};
    size_t i;

    /* never a malformed or partial document: the caller must see the failure */
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct hall_pool *pool = hall_pool_create(4096);
        struct hall_val *o = hall_val_obj(pool);
        char *json;

        hall_val_set_str(pool, o, "a", "ok");
        hall_val_set_str(pool, o, "b", bad[i]);
        hall_val_set_int(pool, o, "c", 1);
        json = hall_val_json(pool, o, NULL);
        if (json != NULL)
            fail_msg("string %zu gave %s", i, json);
        hall_pool_destroy(pool);
    }
}

static void
resp_json__unserialisable_value__500_exact_json_body(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_val *o = hall_val_obj(pool);
    const struct hall_val *back;
    struct hall_req req;

    memset(&req, 0, sizeof(req));
    req.pool = pool;
    hall_buf_init(&req.headers, 4096);
    hall_buf_init(&req.body, 4096);
    hall_val_set_str(pool, o, "name", "\xff");
    hall_resp_json(&req, 200, o);
    assert_int_equal(req.status, 500);
    /* the fallback body is exactly the JSON text: no trailing NUL byte */
    assert_int_equal(req.body.len, strlen("{\"ok\":false,\"message\":\"系统错误\"}"));
    assert_string_equal(req.body.data, "{\"ok\":false,\"message\":\"系统错误\"}");
    back = hall_val_parse(pool, req.body.data, req.body.len, NULL, 0);
    assert_non_null(back);
    hall_buf_free(&req.headers);
    hall_buf_free(&req.body);
    hall_pool_destroy(pool);
}

/* ---- templates ------------------------------------------------------------- */

struct tdir {
    char path[256];
    struct hall_tmpl_set *set;
    struct hall_pool *pool;
    struct hall_buf out;
};

static int
tdir_setup(void **state)
{
    struct tdir *t = calloc(1, sizeof(*t));
    const char *tmp = getenv("TMPDIR");

    if (t == NULL)
        return -1;
    snprintf(t->path, sizeof(t->path), "%s/hall-test-tmpl-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(t->path) == NULL)
        return -1;
    t->pool = hall_pool_create(4096);
    hall_buf_init(&t->out, 1 << 16);
    *state = t;
    return 0;
}

static int
tdir_teardown(void **state)
{
    struct tdir *t = *state;
    struct dirent *de;
    DIR *d = opendir(t->path);

    while (d != NULL && (de = readdir(d)) != NULL) {
        char p[512];

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", t->path, de->d_name);
        unlink(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(t->path);
    hall_tmpl_free(t->set);
    hall_buf_free(&t->out);
    hall_pool_destroy(t->pool);
    free(t);
    return 0;
}

static void
twrite(struct tdir *t, const char *name, const char *text)
{
    char p[512];
    FILE *f;

    snprintf(p, sizeof(p), "%s/%s", t->path, name);
    f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

static void
tload(struct tdir *t)
{
    char err[512] = "";

    hall_tmpl_free(t->set);
    t->set = hall_tmpl_load(t->path, err, sizeof(err));
    if (t->set == NULL)
        fail_msg("load: %s", err);
}

/* renders template "name" and returns the output; NULL when render failed */
static const char *
trender(struct tdir *t, const char *name, const struct hall_val *ctx)
{
    hall_buf_reset(&t->out);
    if (hall_tmpl_render(t->set, name, ctx, &t->out) != HALL_OK)
        return NULL;
    return t->out.data != NULL ? t->out.data : "";
}

static void
tmpl_render__output_over_buffer_max__error_not_cut_page(void **state)
{
    struct tdir *t = *state;
    struct hall_val *ctx = hall_val_obj(t->pool);
    struct hall_buf small;

    twrite(t, "p.html", "<p>{{x}}</p>");
    tload(t);
    hall_val_set_str(t->pool, ctx, "x", "0123456789");
    hall_buf_init(&small, 12);
    assert_int_equal(hall_tmpl_render(t->set, "p", ctx, &small), HALL_ERR);
    /* the same buffer, reset, takes a page that fits */
    hall_buf_reset(&small);
    hall_val_set_str(t->pool, ctx, "x", "01");
    assert_int_equal(hall_tmpl_render(t->set, "p", ctx, &small), HALL_OK);
    assert_string_equal(small.data, "<p>01</p>");
    hall_buf_free(&small);
}

static void
tmpl_var__html_special_characters__escaped(void **state)
{
    struct tdir *t = *state;
    struct hall_val *ctx = hall_val_obj(t->pool);

    twrite(t, "p.html", "<p title=\"{{x}}\">{{x}}</p>|{{ x }}");
    tload(t);
    hall_val_set_str(t->pool, ctx, "x", "<script>alert('x')&\"</script>张");
    assert_string_equal(trender(t, "p", ctx),
                        "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;"
                        "张\">"
                        "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;张</p>|"
                        "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;张");
}

static void
tmpl_raw__triple_braces__not_escaped(void **state)
{
    struct tdir *t = *state;
    struct hall_val *ctx = hall_val_obj(t->pool);

    twrite(t, "p.html", "[{{{html}}}][{{{ html }}}][{{html}}]");
    tload(t);
    hall_val_set_str(t->pool, ctx, "html", "<b>&amp;</b>");
    assert_string_equal(trender(t, "p", ctx),
                        "[<b>&amp;</b>][<b>&amp;</b>][&lt;b&gt;&amp;amp;&lt;/b&gt;]");
}

static void
tmpl_var__ints_bools_null_missing__rendered(void **state)
{
    struct tdir *t = *state;
    struct hall_val *ctx = hall_val_obj(t->pool);

    twrite(t, "p.html", "{{i}}|{{neg}}|{{t}}|{{f}}|{{n}}|{{missing}}|{{obj}}|{{! a comment }}end");
    tload(t);
    hall_val_set_int(t->pool, ctx, "i", 1234567890123LL);
    hall_val_set_int(t->pool, ctx, "neg", -5);
    hall_val_set_bool(t->pool, ctx, "t", 1);
    hall_val_set_bool(t->pool, ctx, "f", 0);
    hall_val_set_str(t->pool, ctx, "n", NULL);
    hall_val_set_str(t->pool, hall_val_set_obj(t->pool, ctx, "obj"), "k", "v");
    /* unknown names and non-scalars render as nothing */
    assert_string_equal(trender(t, "p", ctx), "1234567890123|-5|true|false||||end");
    assert_string_equal(trender(t, "p", NULL), "|||||||end");
}

/* names that share their first bytes, one-byte names and the integers'
 * extremes: the lookup compares two bytes before strcmp, integers are
 * written by hand */
static void
tmpl_var__names_sharing_a_prefix_and_int_extremes__each_its_own(void **state)
{
    struct tdir *t = *state;
    struct hall_val *ctx = hall_val_obj(t->pool), *row;

    twrite(t, "p.html",
           "{{status_code}}|{{status}}|{{s}}|{{st}}|{{stat}}|{{step}}|{{#rows}}{{s}}{{status}}"
           "{{/rows}}|{{min}}|{{max}}|{{zero}}|{{ten}}");
    tload(t);
    hall_val_set_str(t->pool, ctx, "step", "P");
    hall_val_set_str(t->pool, ctx, "st", "T");
    hall_val_set_str(t->pool, ctx, "status_code", "C");
    hall_val_set_str(t->pool, ctx, "s", "S");
    hall_val_set_str(t->pool, ctx, "status", "U");
    hall_val_set_int(t->pool, ctx, "min", INT64_MIN);
    hall_val_set_int(t->pool, ctx, "max", INT64_MAX);
    hall_val_set_int(t->pool, ctx, "zero", 0);
    hall_val_set_int(t->pool, ctx, "ten", -10);
    row = hall_val_push_obj(t->pool, hall_val_set_list(t->pool, ctx, "rows"));
    hall_val_add_str(t->pool, row, "status_code", "c");
    hall_val_add_str(t->pool, row, "status", "u");
    assert_null(hall_val_get(ctx, "sta"));
    assert_null(hall_val_get(ctx, ""));
    assert_string_equal(trender(t, "p", ctx), "C|U|S|T||P|Su|-9223372036854775808|"
                                              "9223372036854775807|0|-10");
}

static void
tmpl_section__list_of_objects__repeated(void **state)
{
    struct tdir *t = *state;
    struct hall_val *ctx = hall_val_obj(t->pool), *l, *it;

    twrite(t, "p.html",
           "<ul>{{#items}}<li>{{name}}:{{title}}</li>{{/items}}</ul>"
           "{{^items}}none{{/items}}");
    tload(t);
    hall_val_set_str(t->pool, ctx, "title", "T");
    l = hall_val_set_list(t->pool, ctx, "items");
    assert_string_equal(trender(t, "p", ctx), "<ul></ul>none");
    it = hall_val_push_obj(t->pool, l);
    hall_val_set_str(t->pool, it, "name", "a<");
    it = hall_val_push_obj(t->pool, l);
    hall_val_set_str(t->pool, it, "name", "b");
    /* an item's own key shadows the outer one; others come from outside */
    hall_val_set_str(t->pool, it, "title", "own");
    assert_string_equal(trender(t, "p", ctx), "<ul><li>a&lt;:T</li><li>b:own</li></ul>");
}

static void
tmpl_section__list_of_strings__dot_is_item(void **state)
{
    struct tdir *t = *state;
    struct hall_val *ctx = hall_val_obj(t->pool), *l;

    twrite(t, "p.html", "{{#l}}({{.}}){{/l}}");
    tload(t);
    l = hall_val_set_list(t->pool, ctx, "l");
    hall_val_push_str(t->pool, l, "x");
    hall_val_push_str(t->pool, l, "&");
    hall_val_push_str(t->pool, l, "");
    assert_string_equal(trender(t, "p", ctx), "(x)(&amp;)()");
}

static void
tmpl_section__truthy_and_falsy__chosen(void **state)
{
    struct tdir *t = *state;
    struct hall_val *ctx = hall_val_obj(t->pool);
    static const char *const names[] = {"s", "es", "i", "zero", "t", "f", "n", "o", "missing"};
    static const char *const want[] = {"Y", "N", "Y", "N", "Y", "N", "N", "Y", "N"};
    size_t k;

    twrite(t, "p.html", "{{#v}}Y{{/v}}{{^v}}N{{/v}}");
    tload(t);
    hall_val_set_str(t->pool, ctx, "s", "x");
    hall_val_set_str(t->pool, ctx, "es", "");
    hall_val_set_int(t->pool, ctx, "i", -1);
    hall_val_set_int(t->pool, ctx, "zero", 0);
    hall_val_set_bool(t->pool, ctx, "t", 1);
    hall_val_set_bool(t->pool, ctx, "f", 0);
    hall_val_set_str(t->pool, ctx, "n", NULL);
    hall_val_set_obj(t->pool, ctx, "o");
    for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        struct hall_val *c = hall_val_obj(t->pool);
        const struct hall_val *src = hall_val_get(ctx, names[k]);

        /* copy the member under the name the template uses */
        if (src != NULL) {
            struct hall_val *dst = hall_val_set_str(t->pool, c, "v", "");

            dst->type = src->type;
            dst->str = src->str;
            dst->i = src->i;
        }
        if (strcmp(trender(t, "p", c), want[k]) != 0)
            fail_msg("%s rendered %s", names[k], t->out.data);
    }
}

static void
tmpl_section__object__becomes_context(void **state)
{
    struct tdir *t = *state;
    struct hall_val *ctx = hall_val_obj(t->pool), *u;

    twrite(t, "p.html", "{{#user}}{{name}}/{{partner}}{{/user}}");
    tload(t);
    hall_val_set_str(t->pool, ctx, "partner", "bank");
    u = hall_val_set_obj(t->pool, ctx, "user");
    hall_val_set_str(t->pool, u, "name", "李四");
    assert_string_equal(trender(t, "p", ctx), "李四/bank");
}

static void
tmpl_dotted__nested_objects__resolved(void **state)
{
    struct tdir *t = *state;
    struct hall_val *ctx = hall_val_obj(t->pool), *a, *b;

    twrite(t, "p.html", "{{a.b.c}}|{{a.x.c}}|{{a.b}}|{{#a.b}}[{{c}}]{{/a.b}}|{{a.b.c.d}}|{{a.}}");
    tload(t);
    a = hall_val_set_obj(t->pool, ctx, "a");
    b = hall_val_set_obj(t->pool, a, "b");
    hall_val_set_str(t->pool, b, "c", "<deep>");
    assert_string_equal(trender(t, "p", ctx), "&lt;deep&gt;|||[&lt;deep&gt;]||");
}

static void
tmpl_partial__included_with_same_context(void **state)
{
    struct tdir *t = *state;
    struct hall_val *ctx = hall_val_obj(t->pool), *l;

    twrite(t, "page.html", "<h1>{{>header}}</h1>{{#l}}{{> item }}{{/l}}");
    twrite(t, "header.html", "{{title}}");
    twrite(t, "item.html", "<i>{{.}}</i>");
    tload(t);
    hall_val_set_str(t->pool, ctx, "title", "\"标题\"");
    l = hall_val_set_list(t->pool, ctx, "l");
    hall_val_push_str(t->pool, l, "1");
    hall_val_push_str(t->pool, l, "2");
    assert_string_equal(trender(t, "page", ctx), "<h1>&quot;标题&quot;</h1><i>1</i><i>2</i>");
}

static void
tmpl_partial__missing_or_recursive__render_error(void **state)
{
    struct tdir *t = *state;

    twrite(t, "a.html", "x{{>nope}}");
    twrite(t, "loop.html", "y{{>loop}}");
    twrite(t, "ping.html", "{{>pong}}");
    twrite(t, "pong.html", "{{>ping}}");
    tload(t);
    assert_null(trender(t, "a", NULL));
    assert_null(trender(t, "loop", NULL));
    assert_null(trender(t, "ping", NULL));
}

static void
tmpl_render__unknown_template__error(void **state)
{
    struct tdir *t = *state;

    twrite(t, "a.html", "a");
    twrite(t, "notes.txt", "not a template");
    twrite(t, ".html", "a file named only .html");
    tload(t);
    assert_string_equal(trender(t, "a", NULL), "a");
    assert_null(trender(t, "b", NULL));
    assert_null(trender(t, "notes", NULL));
    assert_null(trender(t, "", NULL));
}

static void
tmpl_text__stray_braces_and_empty_file__verbatim(void **state)
{
    struct tdir *t = *state;

    twrite(t, "a.html", "a } b }} c { d");
    twrite(t, "e.html", "");
    tload(t);
    assert_string_equal(trender(t, "a", NULL), "a } b }} c { d");
    assert_string_equal(trender(t, "e", NULL), "");
}

static void
tmpl_load__malformed__error_names_file(void **state)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"{{#a}}open", "missing {{/a}}"},    {"{{#a}}{{#b}}{{/a}}{{/b}}", "unexpected {{/a}}"},
        {"text{{/a}}", "unexpected {{/a}}"}, {"{{name", "unclosed tag"},
        {"{{{raw}}", "unclosed tag"},        {"{{^inv}}", "missing {{/inv}}"},
    };
    struct tdir *t = *state;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[512] = "";
        struct hall_tmpl_set *set;

        twrite(t, "good.html", "fine");
        twrite(t, "bad.html", bad[i].text);
        set = hall_tmpl_load(t->path, err, sizeof(err));
        if (set != NULL) {
            hall_tmpl_free(set);
            fail_msg("loaded %s", bad[i].text);
        }
        assert_non_null(strstr(err, "bad.html"));
        if (strstr(err, bad[i].msg) == NULL)
            fail_msg("%s: message %s", bad[i].text, err);
    }
}

static void
tmpl_load__sections_nested_too_deep__error(void **state)
{
    struct tdir *t = *state;
    struct hall_buf b;
    char err[512] = "";
    int i;

    hall_buf_init(&b, 4096);
    for (i = 0; i < 40; i++)
        hall_buf_printf(&b, "{{#s%d}}", i);
    for (i = 39; i >= 0; i--)
        hall_buf_printf(&b, "{{/s%d}}", i);
    twrite(t, "deep.html", b.data);
    hall_buf_free(&b);
    assert_null(hall_tmpl_load(t->path, err, sizeof(err)));
    assert_non_null(strstr(err, "deep.html"));
}

static void
tmpl_load__missing_dir__error(void **state)
{
    char err[512] = "";

    assert_null(hall_tmpl_load("/nonexistent/hall/templates", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/hall/templates"));
}

/* overwrites the stack below the caller, where dead callee frames were */
static void __attribute__((noinline)) stack_scribble(void)
{
    volatile unsigned char junk[64 * 1024];
    size_t i;

    for (i = 0; i < sizeof(junk); i++)
        junk[i] = 0xA5;
}

static void
resp_page__rendered_in_layout__buffers_die_with_pool(void **state)
{
    struct tdir *t = *state;
    struct hall_app app;
    struct hall_req *req = hall_pcalloc(t->pool, sizeof(*req));
    struct hall_val *ctx = hall_val_obj(t->pool);

    twrite(t, "layout.html", "<html>{{{body}}}</html>");
    twrite(t, "p.html", "<p>{{x}}</p>");
    tload(t);
    memset(&app, 0, sizeof(app));
    app.tmpl = t->set;
    req->pool = t->pool;
    req->app = &app;
    req->partner = "";
    hall_buf_init(&req->headers, 4096);
    hall_buf_pool(&req->headers, t->pool);
    hall_buf_init(&req->body, 1 << 16);
    hall_buf_pool(&req->body, t->pool);
    hall_val_set_str(t->pool, ctx, "csrf", "token");
    hall_val_set_bool(t->pool, ctx, "logged_in", 0);
    hall_val_set_str(t->pool, ctx, "x", "<&>");

    assert_int_equal(hall_resp_page(req, 200, "p", ctx), HALL_OK);
    assert_int_equal(req->status, 200);
    assert_string_equal(req->body.data, "<html><p>&lt;&amp;&gt;</p></html>");
    assert_non_null(strstr(req->headers.data, "Content-Type: text/html; charset=utf-8\r\n"));
    /* what the pool frees at the end of the request must not live in a dead stack frame */
    stack_scribble();
    hall_pool_destroy(t->pool);
    t->pool = hall_pool_create(4096);
}

static void
html_escape__all_five_characters(void **state)
{
    struct hall_buf b;

    hall_buf_init(&b, 1024);
    hall_html_escape(&b, "a<b>c&d\"e'f");
    assert_string_equal(b.data, "a&lt;b&gt;c&amp;d&quot;e&#39;f");
    hall_buf_reset(&b);
    hall_html_escape(&b, "");
    assert_int_equal(b.len, 0);
    hall_html_escape(&b, "&&");
    assert_string_equal(b.data, "&amp;&amp;");
    hall_buf_free(&b);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tdir_setup, tdir_teardown)

/* ---- the SMS templates (core/store/sms_tpl.def) ----------------------------- */

static void
sms_tpl__every_template__codes_unique_params_named_rendered_whole(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    const struct hall_sms_tpl *t, *u;
    const char **names;
    struct hall_val *params;
    size_t i, n = 0;
    char *text;

    (void)state;
    for (t = hall_sms_tpls; t->kind != NULL; t++, n++) {
        assert_ptr_equal(hall_sms_tpl_get(t->kind), t);
        for (u = hall_sms_tpls; u < t; u++)
            assert_string_not_equal(u->code, t->code);
        /* the signature is the provider's: never in the text */
        assert_null(strstr(t->text, "【"));
        names = hall_sms_tpl_params(pool, t);
        params = hall_val_obj(pool);
        for (i = 0; names[i] != NULL; i++) {
            assert_true(strlen(names[i]) > 0 &&
                        strspn(names[i], "abcdefghijklmnopqrstuvwxyz_") == strlen(names[i]));
            hall_val_set_str(pool, params, names[i], "X");
        }
        text = hall_sms_render(pool, t, params, "深圳CA");
        assert_non_null(text);
        assert_int_equal(strncmp(text, "【深圳CA】", strlen("【深圳CA】")), 0);
        assert_null(strstr(text, "${"));
        /* one parameter missing: no text */
        if (names[0] != NULL)
            assert_null(hall_sms_render(pool, t, hall_val_obj(pool), "深圳CA"));
    }
    assert_int_equal(n, HALL_SMST__COUNT);
    assert_null(hall_sms_tpl_get("no-such-kind"));
    t = &hall_sms_tpls[HALL_SMST_shipped];
    params = hall_val_obj(pool);
    hall_val_set_str(pool, params, "carrier", "顺丰速运");
    hall_val_set_str(pool, params, "waybill_no", "SF1234567890123");
    assert_string_equal(hall_sms_render(pool, t, params, "深圳CA"),
                        "【深圳CA】您好，您申请的数字证书已制作完成并通过顺丰速运寄出，"
                        "快递单号：SF1234567890123，请留意快递通知。");
    hall_pool_destroy(pool);
}

/* SF's msgDigest: Base64(MD5(URLEncoder.encode(msgData + timestamp +
 * checkWord, "UTF-8"))), the vector computed apart with Java's URLEncoder
 * rules (space '+', '*' kept, '~' '!' '(' ')' '\'' encoded, UTF-8 %XX) */
static void
sf_digest__java_urlencoder_md5_base64__vector(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);

    (void)state;
    assert_string_equal(hall_sf_digest(pool,
                                       "{\"orderId\":\"N2026 1\",\"remark\":\"顺丰*~!('x')\"}",
                                       "1700000000000", "fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci"),
                        "BpCVQPTx55WAIf/11kcbKg==");
    /* the worked example of SF's 数字签名认证说明 (open.sf-express.com,
     * developSupport/976720), docs/operations.md "The providers' rules" */
    assert_string_equal(hall_sf_digest(pool,
                                       "{\"language\":\"zh-CN\",\"orderId\":\"QIAO-20200618-004\"}",
                                       "12312334453453", "fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci"),
                        "IIKJtuLVzoFTu4kHI8M8vA==");
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(val_parse__object__types_mapped),
        cmocka_unit_test(val_parse__integer_outside_yajl_range__kept_as_text),
        cmocka_unit_test(val_parse__malformed__null_with_message),
        cmocka_unit_test(val_parse__embedded_nul__rejected),
        cmocka_unit_test(val_parse__nul_inside_a_string__refused_naming_the_member),
        cmocka_unit_test(val_parse__member_twice__refused_naming_it),
        cmocka_unit_test(val_parse__length_bounds_input),
        cmocka_unit_test(val_parse__depth_32_accepted_33_rejected),
        cmocka_unit_test(val_parse__very_deep__rejected_without_crash),
        cmocka_unit_test(val_parse__brackets_inside_strings__not_depth),
        cmocka_unit_test(val_parse__huge_documents__parsed),
        cmocka_unit_test(val_set__same_key__replaced_in_place),
        cmocka_unit_test(val_add__appended_uncopied__json_as_set_gives),
        cmocka_unit_test(val_json__escaping__exact_output),
        cmocka_unit_test(val_json__every_ascii_byte__written_as_before),
        cmocka_unit_test(val_json__round_trip__values_equal),
        cmocka_unit_test(val_json__invalid_utf8__null),
        cmocka_unit_test(val_json__bad_key_or_too_deep__null),
        cmocka_unit_test(resp_json__unserialisable_value__500_exact_json_body),
        T(tmpl_var__html_special_characters__escaped),
        T(tmpl_render__output_over_buffer_max__error_not_cut_page),
        T(tmpl_raw__triple_braces__not_escaped),
        T(tmpl_var__ints_bools_null_missing__rendered),
        T(tmpl_var__names_sharing_a_prefix_and_int_extremes__each_its_own),
        T(tmpl_section__list_of_objects__repeated),
        T(tmpl_section__list_of_strings__dot_is_item),
        T(tmpl_section__truthy_and_falsy__chosen),
        T(tmpl_section__object__becomes_context),
        T(tmpl_dotted__nested_objects__resolved),
        T(tmpl_partial__included_with_same_context),
        T(tmpl_partial__missing_or_recursive__render_error),
        T(tmpl_render__unknown_template__error),
        T(tmpl_text__stray_braces_and_empty_file__verbatim),
        T(tmpl_load__malformed__error_names_file),
        T(tmpl_load__sections_nested_too_deep__error),
        T(resp_page__rendered_in_layout__buffers_die_with_pool),
        cmocka_unit_test(tmpl_load__missing_dir__error),
        cmocka_unit_test(html_escape__all_five_characters),
        cmocka_unit_test(sms_tpl__every_template__codes_unique_params_named_rendered_whole),
        cmocka_unit_test(sf_digest__java_urlencoder_md5_base64__vector),
    };

    return cmocka_run_group_tests_name("val_tmpl", tests, NULL, NULL);
}
