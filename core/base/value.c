/*
 * A small value tree living in a request pool.  Handlers build one answer
 * and the core renders it either as JSON (yajl_gen) or through a template.
 */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "base/base.h"

static struct hall_val *
val_new(struct hall_pool *p, enum hall_val_type t)
{
    struct hall_val *v = hall_pcalloc(p, sizeof(*v));

    v->type = t;
    return v;
}

static void
val_append(struct hall_val *parent, struct hall_val *child)
{
    if (parent->last != NULL)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
}

struct hall_val *
hall_val_obj(struct hall_pool *pool)
{
    return val_new(pool, HALL_V_OBJ);
}

static struct hall_val *
member(struct hall_pool *p, struct hall_val *obj, const char *k, enum hall_val_type t)
{
    struct hall_val *v;

    /* replace in place so the order of keys stays the order of first set */
    for (v = obj->first; v != NULL; v = v->next)
        if (v->key != NULL && strcmp(v->key, k) == 0) {
            v->type = t;
            v->first = v->last = NULL;
            v->str = NULL;
            v->i = 0;
            return v;
        }
    v = val_new(p, t);
    v->key = hall_pstrdup(p, k);
    val_append(obj, v);
    return v;
}

struct hall_val *
hall_val_set_str(struct hall_pool *p, struct hall_val *obj, const char *k, const char *s)
{
    struct hall_val *v = member(p, obj, k, s != NULL ? HALL_V_STR : HALL_V_NULL);

    v->str = s != NULL ? hall_pstrdup(p, s) : NULL;
    return v;
}

struct hall_val *
hall_val_set_fmt(struct hall_pool *p, struct hall_val *obj, const char *k, const char *fmt, ...)
{
    struct hall_val *v = member(p, obj, k, HALL_V_STR);
    va_list ap;

    va_start(ap, fmt);
    v->str = hall_pvsprintf(p, fmt, ap);
    va_end(ap);
    return v;
}

struct hall_val *
hall_val_set_int(struct hall_pool *p, struct hall_val *obj, const char *k, int64_t i)
{
    struct hall_val *v = member(p, obj, k, HALL_V_INT);

    v->i = i;
    return v;
}

struct hall_val *
hall_val_set_bool(struct hall_pool *p, struct hall_val *obj, const char *k, int b)
{
    struct hall_val *v = member(p, obj, k, HALL_V_BOOL);

    v->i = b != 0;
    return v;
}

struct hall_val *
hall_val_set_obj(struct hall_pool *p, struct hall_val *obj, const char *k)
{
    return member(p, obj, k, HALL_V_OBJ);
}

struct hall_val *
hall_val_set_list(struct hall_pool *p, struct hall_val *obj, const char *k)
{
    return member(p, obj, k, HALL_V_LIST);
}

struct hall_val *
hall_val_push_obj(struct hall_pool *p, struct hall_val *list)
{
    struct hall_val *v = val_new(p, HALL_V_OBJ);

    val_append(list, v);
    return v;
}

struct hall_val *
hall_val_push_str(struct hall_pool *p, struct hall_val *list, const char *s)
{
    struct hall_val *v = val_new(p, HALL_V_STR);

    v->str = hall_pstrdup(p, s);
    val_append(list, v);
    return v;
}

const struct hall_val *
hall_val_get(const struct hall_val *obj, const char *key)
{
    const struct hall_val *v;

    if (obj == NULL || obj->type != HALL_V_OBJ)
        return NULL;
    for (v = obj->first; v != NULL; v = v->next)
        if (v->key != NULL && strcmp(v->key, key) == 0)
            return v;
    return NULL;
}

/* HALL_ERR when yajl refuses a value (invalid UTF-8): it would emit nothing and go on */
static int
gen_val(yajl_gen g, const struct hall_val *v)
{
    const struct hall_val *c;
    yajl_gen_status st = yajl_gen_status_ok;

    switch (v->type) {
    case HALL_V_NULL: st = yajl_gen_null(g); break;
    case HALL_V_STR: st = yajl_gen_string(g, (const unsigned char *)v->str, strlen(v->str)); break;
    case HALL_V_INT: st = yajl_gen_integer(g, v->i); break;
    case HALL_V_BOOL: st = yajl_gen_bool(g, (int)v->i); break;
    case HALL_V_LIST:
        if (yajl_gen_array_open(g) != yajl_gen_status_ok)
            return HALL_ERR;
        for (c = v->first; c != NULL; c = c->next)
            if (gen_val(g, c) != HALL_OK)
                return HALL_ERR;
        st = yajl_gen_array_close(g);
        break;
    case HALL_V_OBJ:
        if (yajl_gen_map_open(g) != yajl_gen_status_ok)
            return HALL_ERR;
        for (c = v->first; c != NULL; c = c->next) {
            if (yajl_gen_string(g, (const unsigned char *)c->key, strlen(c->key)) !=
                    yajl_gen_status_ok ||
                gen_val(g, c) != HALL_OK)
                return HALL_ERR;
        }
        st = yajl_gen_map_close(g);
        break;
    }
    return st == yajl_gen_status_ok ? HALL_OK : HALL_ERR;
}

char *
hall_val_json(struct hall_pool *pool, const struct hall_val *v, size_t *len)
{
    const unsigned char *out;
    yajl_gen g;
    size_t n;
    char *s;

    g = yajl_gen_alloc(NULL);
    if (g == NULL)
        return NULL;
    /* "</" never appears raw, so JSON is safe inside HTML too */
    yajl_gen_config(g, yajl_gen_escape_solidus, 1);
    yajl_gen_config(g, yajl_gen_validate_utf8, 1);
    if (gen_val(g, v) != HALL_OK || yajl_gen_get_buf(g, &out, &n) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        return NULL;
    }
    s = hall_pstrndup(pool, (const char *)out, n);
    yajl_gen_free(g);
    if (len != NULL)
        *len = n;
    return s;
}

#define JSON_MAX_DEPTH 32

static struct hall_val *
from_tree(struct hall_pool *p, yajl_val y, int depth)
{
    struct hall_val *v;
    size_t i;

    /* a bounded depth keeps a hostile body from exhausting the stack */
    if (depth > JSON_MAX_DEPTH)
        return NULL;

    if (YAJL_IS_STRING(y)) {
        v = val_new(p, HALL_V_STR);
        v->str = hall_pstrdup(p, YAJL_GET_STRING(y));
    } else if (YAJL_IS_INTEGER(y)) {
        v = val_new(p, HALL_V_INT);
        v->i = YAJL_GET_INTEGER(y);
    } else if (YAJL_IS_NUMBER(y)) {
        /* non-integer numbers are kept as their text */
        v = val_new(p, HALL_V_STR);
        v->str = hall_pstrdup(p, YAJL_GET_NUMBER(y));
    } else if (YAJL_IS_TRUE(y) || YAJL_IS_FALSE(y)) {
        v = val_new(p, HALL_V_BOOL);
        v->i = YAJL_IS_TRUE(y);
    } else if (YAJL_IS_ARRAY(y)) {
        v = val_new(p, HALL_V_LIST);
        for (i = 0; i < y->u.array.len; i++) {
            struct hall_val *c = from_tree(p, y->u.array.values[i], depth + 1);

            if (c == NULL)
                return NULL;
            val_append(v, c);
        }
    } else if (YAJL_IS_OBJECT(y)) {
        v = val_new(p, HALL_V_OBJ);
        for (i = 0; i < y->u.object.len; i++) {
            struct hall_val *c = from_tree(p, y->u.object.values[i], depth + 1);

            if (c == NULL)
                return NULL;
            c->key = hall_pstrdup(p, y->u.object.keys[i]);
            val_append(v, c);
        }
    } else {
        v = val_new(p, HALL_V_NULL);
    }
    return v;
}

/*
 * yajl_tree_free recurses, so nesting is bounded before yajl sees the text:
 * a scan that counts brackets outside strings.
 */
static int
json_depth_ok(const char *s, size_t len)
{
    int depth = 0, in_str = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        char c = s[i];

        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > JSON_MAX_DEPTH)
                return 0;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 1;
}

struct hall_val *
hall_val_parse(struct hall_pool *pool, const char *text, size_t len, char *err, size_t errlen)
{
    struct hall_val *v;
    yajl_val y;
    char *copy;

    /* yajl_tree_parse wants a NUL-terminated string; an embedded NUL is malformed */
    if (memchr(text, '\0', len) != NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "NUL in JSON");
        return NULL;
    }
    if (!json_depth_ok(text, len)) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "JSON nested too deeply");
        return NULL;
    }
    copy = hall_pstrndup(pool, text, len);
    y = yajl_tree_parse(copy, err, errlen);
    if (y == NULL)
        return NULL;
    v = from_tree(pool, y, 0);
    yajl_tree_free(y);
    if (v == NULL && err != NULL && errlen > 0)
        snprintf(err, errlen, "JSON nested too deeply");
    return v;
}
