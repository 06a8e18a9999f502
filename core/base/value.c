/*
 * A small value tree living in a request pool.  Handlers build one answer
 * and the core renders it either as JSON (yajl_gen) or through a template.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

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
        if (v->key != NULL && v->key[0] == k[0] && strcmp(v->key, k) == 0) {
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

/*
 * Members appended without looking for one of the same name and without
 * copies: the caller knows the key is new, and key and string live as long
 * as the tree (literals, the pool's strings, a result's rows).  A page's
 * rows are built this way: set's search and copies were a fifth of the
 * order list's rendering.
 */
static struct hall_val *
added(struct hall_pool *p, struct hall_val *obj, const char *k, enum hall_val_type t)
{
    struct hall_val *v = val_new(p, t);

    v->key = k;
    val_append(obj, v);
    return v;
}

struct hall_val *
hall_val_add_str(struct hall_pool *p, struct hall_val *obj, const char *k, const char *s)
{
    struct hall_val *v = added(p, obj, k, s != NULL ? HALL_V_STR : HALL_V_NULL);

    v->str = s;
    return v;
}

struct hall_val *
hall_val_add_int(struct hall_pool *p, struct hall_val *obj, const char *k, int64_t i)
{
    struct hall_val *v = added(p, obj, k, HALL_V_INT);

    v->i = i;
    return v;
}

struct hall_val *
hall_val_add_bool(struct hall_pool *p, struct hall_val *obj, const char *k, int b)
{
    struct hall_val *v = added(p, obj, k, HALL_V_BOOL);

    v->i = b != 0;
    return v;
}

struct hall_val *
hall_val_add_list(struct hall_pool *p, struct hall_val *obj, const char *k)
{
    return added(p, obj, k, HALL_V_LIST);
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
    /* the first two bytes before strcmp: templates look names up by the
     * thousand, and most members differ there (status, subject, seq,
     * selected, step...: the first byte alone often matches) */
    if (key[0] == '\0') {
        for (v = obj->first; v != NULL; v = v->next)
            if (v->key != NULL && v->key[0] == '\0')
                return v;
        return NULL;
    }
    for (v = obj->first; v != NULL; v = v->next)
        if (v->key != NULL && v->key[0] == key[0] && v->key[1] == key[1] &&
            (key[1] == '\0' || strcmp(v->key + 2, key + 2) == 0))
            return v;
    return NULL;
}

const char *
hall_val_str(const struct hall_val *obj, const char *key)
{
    const struct hall_val *v = obj != NULL ? hall_val_get(obj, key) : NULL;

    return v != NULL && v->type == HALL_V_STR && v->str != NULL ? v->str : "";
}

const char *
hall_val_str_or_null(const struct hall_val *obj, const char *key)
{
    const struct hall_val *v = obj != NULL ? hall_val_get(obj, key) : NULL;

    return v != NULL && v->type == HALL_V_STR ? v->str : NULL;
}

/*
 * JSON out, written here rather than by yajl_gen: the same text as yajl_gen
 * with escape_solidus and validate_utf8 gave (no spaces; "\/" for "/", so
 * "</" never appears raw and JSON is safe inside HTML; \b \f \n \r \t and
 * \u00XX, upper-case, for the other control characters; every other byte
 * as it is; a string that is not UTF-8 refused) at a fraction of its cost:
 * runs of plain bytes are copied at once instead of byte by byte through
 * yajl's printer (the order list's 20 rows: a fifth of its worker's CPU).
 */
struct jout {
    char *p;
    size_t len, cap;
};

#define JSON_GEN_MAX_DEPTH 127 /* containers inside each other: yajl_gen's limit */

static void
jout_grow(struct jout *o, size_t n)
{
    while (o->len + n > o->cap)
        o->cap = o->cap != 0 ? o->cap * 2 : 16384;
    o->p = realloc(o->p, o->cap);
    if (o->p == NULL)
        abort();
}

/* inline: a page's JSON is hundreds of short pieces */
static inline void
jout_add(struct jout *o, const void *s, size_t n)
{
    if (o->len + n > o->cap)
        jout_grow(o, n);
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

/* the bytes written as they are: printable ASCII (and DEL) but for '"'
 * (0x22), '/' (0x2f) and '\\' (0x5c); json_str skips a run of them with one
 * load and test a byte (five tests a byte before: most of the order list's
 * JSON writing) */
static const unsigned char json_plain[256] = {
    [0x20 ... 0x21] = 1,
    [0x23 ... 0x2e] = 1,
    [0x30 ... 0x5b] = 1,
    [0x5d ... 0x7f] = 1,
};

/*
 * A string in one pass: runs of bytes written as they are are copied at
 * once, UTF-8 checked as yajl_gen did (lead bytes and continuation bytes by
 * shape; the terminating NUL ends a cut sequence as a wrong continuation).
 * On HALL_ERR part of the string may be written: the caller drops it all.
 */
static int
json_str(struct jout *o, const char *str)
{
    const unsigned char *s = (const unsigned char *)str, *run = s;

    jout_add(o, "\"", 1);
    for (;;) {
        unsigned char c;
        size_t k;

        while (json_plain[*s])
            s++;
        c = *s;
        if (c >= 0x80) {
            if ((c >> 5) == 0x6)
                k = 1;
            else if ((c >> 4) == 0xe)
                k = 2;
            else if ((c >> 3) == 0x1e)
                k = 3;
            else
                return HALL_ERR;
            for (s++; k > 0; k--, s++)
                if ((*s >> 6) != 0x2)
                    return HALL_ERR;
            continue;
        }
        if (s > run)
            jout_add(o, run, (size_t)(s - run));
        if (c == '\0')
            break;
        switch (c) {
        case '\r': jout_add(o, "\\r", 2); break;
        case '\n': jout_add(o, "\\n", 2); break;
        case '\\': jout_add(o, "\\\\", 2); break;
        case '/': jout_add(o, "\\/", 2); break;
        case '"': jout_add(o, "\\\"", 2); break;
        case '\f': jout_add(o, "\\f", 2); break;
        case '\b': jout_add(o, "\\b", 2); break;
        case '\t': jout_add(o, "\\t", 2); break;
        default: {
            static const char hex[] = "0123456789ABCDEF";
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};

            jout_add(o, u, sizeof(u));
        }
        }
        run = ++s;
    }
    jout_add(o, "\"", 1);
    return HALL_OK;
}

/* an integer as %lld writes it, without printf */
static void
json_int(struct jout *o, int64_t i)
{
    char num[24], *p = num + sizeof(num);
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (i < 0)
        *--p = '-';
    jout_add(o, p, (size_t)(num + sizeof(num) - p));
}

/* HALL_ERR on a string that is not UTF-8 or a tree too deep */
static int
gen_val(struct jout *o, const struct hall_val *v, int depth)
{
    const struct hall_val *c;

    switch (v->type) {
    case HALL_V_NULL: jout_add(o, "null", 4); break;
    case HALL_V_STR: return json_str(o, v->str);
    case HALL_V_INT: json_int(o, v->i); break;
    case HALL_V_BOOL:
        if (v->i)
            jout_add(o, "true", 4);
        else
            jout_add(o, "false", 5);
        break;
    case HALL_V_LIST:
    case HALL_V_OBJ:
        if (depth >= JSON_GEN_MAX_DEPTH)
            return HALL_ERR;
        jout_add(o, v->type == HALL_V_LIST ? "[" : "{", 1);
        for (c = v->first; c != NULL; c = c->next) {
            if (c != v->first)
                jout_add(o, ",", 1);
            if (v->type == HALL_V_OBJ) {
                if (json_str(o, c->key) != HALL_OK)
                    return HALL_ERR;
                jout_add(o, ":", 1);
            }
            if (gen_val(o, c, depth + 1) != HALL_OK)
                return HALL_ERR;
        }
        jout_add(o, v->type == HALL_V_LIST ? "]" : "}", 1);
        break;
    }
    return HALL_OK;
}

char *
hall_val_json(struct hall_pool *pool, const struct hall_val *v, size_t *len)
{
    struct jout o = {NULL, 0, 0};
    char *s;

    if (gen_val(&o, v, 0) != HALL_OK) {
        free(o.p);
        return NULL;
    }
    s = hall_pstrndup(pool, o.p, o.len);
    free(o.p);
    if (len != NULL)
        *len = o.len;
    return s;
}

#define JSON_MAX_DEPTH 32

/*
 * JSON in: yajl's event parser building the tree in the pool as it reads.
 * Three things a tree of yajl_tree would hide are refused here, for every
 * reader at once (the request bodies of core/web/app.c, the providers'
 * answers, the database's JSON):
 *   - a NUL inside a string ("\u0000"): the value would end there when read
 *     as a C string, after it was checked whole;
 *   - a member twice in one object: which one a reader takes is the
 *     reader's choice (first-wins here, last-wins elsewhere);
 *   - nesting deeper than JSON_MAX_DEPTH (no recursion anywhere: the tree
 *     is built with an explicit stack, and freed with the pool).
 * The refusal names the member (its path, "a.b") where it can.
 */
struct jread {
    struct hall_pool *pool;
    struct hall_val *stack[JSON_MAX_DEPTH + 1]; /* the open containers */
    size_t members[JSON_MAX_DEPTH + 1];         /* members of each so far */
    int depth;
    struct hall_val *root;
    const char *key; /* the member whose value comes next */
    struct hall_json_why *why;
};

/* the path of the member key inside the open containers ("a.b.key") */
static const char *
jread_path(struct jread *j, const char *key)
{
    const char *path = NULL;
    int i;

    for (i = 1; i < j->depth; i++)
        if (j->stack[i]->key != NULL)
            path = path != NULL ? hall_psprintf(j->pool, "%s.%s", path, j->stack[i]->key)
                                : j->stack[i]->key;
    if (key == NULL)
        return path;
    return path != NULL ? hall_psprintf(j->pool, "%s.%s", path, key) : key;
}

static int
jread_refuse(struct jread *j, int what, const char *key, const char *msg)
{
    j->why->what = what;
    j->why->field = jread_path(j, key);
    snprintf(j->why->msg, sizeof(j->why->msg), "%s", msg);
    return 0;
}

static int
jread_add(struct jread *j, struct hall_val *v)
{
    struct hall_val *parent;

    if (j->depth == 0) {
        j->root = v;
        return 1;
    }
    parent = j->stack[j->depth - 1];
    if (parent->type == HALL_V_OBJ) {
        v->key = j->key;
        j->key = NULL;
    }
    val_append(parent, v);
    j->members[j->depth - 1]++;
    return 1;
}

static int
jread_null(void *ctx)
{
    struct jread *j = ctx;

    return jread_add(j, val_new(j->pool, HALL_V_NULL));
}

static int
jread_bool(void *ctx, int b)
{
    struct jread *j = ctx;
    struct hall_val *v = val_new(j->pool, HALL_V_BOOL);

    v->i = b != 0;
    return jread_add(j, v);
}

static int
jread_number(void *ctx, const char *s, size_t n)
{
    struct jread *j = ctx;
    struct hall_val *v;
    char *text = hall_pstrndup(j->pool, s, n), *end;
    long long i;

    errno = 0;
    i = strpbrk(text, ".eE") == NULL ? strtoll(text, &end, 10) : 0;
    /* an integer int64_t holds is one; any other number is kept as its
     * text, never rounded, clamped or wrapped (INT64_MIN too, as yajl 2.1
     * did: it called it out of range) */
    if (strpbrk(text, ".eE") == NULL && errno == 0 && *end == '\0' && i != LLONG_MIN) {
        v = val_new(j->pool, HALL_V_INT);
        v->i = i;
    } else {
        v = val_new(j->pool, HALL_V_STR);
        v->str = text;
    }
    return jread_add(j, v);
}

static int
jread_string(void *ctx, const unsigned char *s, size_t n)
{
    struct jread *j = ctx;
    struct hall_val *v;

    if (memchr(s, '\0', n) != NULL)
        return jread_refuse(j, HALL_JSON_NUL, j->key, "NUL (\\u0000) in a JSON string");
    v = val_new(j->pool, HALL_V_STR);
    v->str = hall_pstrndup(j->pool, (const char *)s, n);
    return jread_add(j, v);
}

static int
jread_key(void *ctx, const unsigned char *s, size_t n)
{
    struct jread *j = ctx;

    j->key = hall_pstrndup(j->pool, (const char *)s, n);
    if (memchr(s, '\0', n) != NULL)
        return jread_refuse(j, HALL_JSON_NUL, j->key, "NUL (\\u0000) in a JSON member name");
    return 1;
}

static int
jread_open(struct jread *j, enum hall_val_type t)
{
    struct hall_val *v;

    if (j->depth >= JSON_MAX_DEPTH)
        return jread_refuse(j, HALL_JSON_BAD, NULL, "JSON nested too deeply");
    v = val_new(j->pool, t);
    jread_add(j, v);
    j->stack[j->depth] = v;
    j->members[j->depth] = 0;
    j->depth++;
    return 1;
}

static int
jread_start_map(void *ctx)
{
    return jread_open(ctx, HALL_V_OBJ);
}

static int
jread_start_array(void *ctx)
{
    return jread_open(ctx, HALL_V_LIST);
}

static int
key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
jread_end_map(void *ctx)
{
    struct jread *j = ctx;
    struct hall_val *obj = j->stack[j->depth - 1], *m, *k;
    size_t n = j->members[j->depth - 1], i;
    const char **keys;

    /* a member twice: pairwise for a few, sorted for many (a body of a
     * million members costs n log n, not n squared) */
    if (n <= 16) {
        for (m = obj->first; m != NULL; m = m->next)
            for (k = m->next; k != NULL; k = k->next)
                if (strcmp(m->key, k->key) == 0)
                    return jread_refuse(j, HALL_JSON_DUP, m->key, "a JSON member given twice");
    } else {
        keys = hall_palloc(j->pool, n * sizeof(*keys));
        for (i = 0, m = obj->first; m != NULL; m = m->next)
            keys[i++] = m->key;
        qsort(keys, n, sizeof(*keys), key_cmp);
        for (i = 1; i < n; i++)
            if (strcmp(keys[i - 1], keys[i]) == 0)
                return jread_refuse(j, HALL_JSON_DUP, keys[i], "a JSON member given twice");
    }
    j->depth--;
    return 1;
}

static int
jread_end_array(void *ctx)
{
    struct jread *j = ctx;

    j->depth--;
    return 1;
}

static const yajl_callbacks jread_callbacks = {
    jread_null,      jread_bool,      NULL,      NULL,          jread_number,
    jread_string,    jread_start_map, jread_key, jread_end_map, jread_start_array,
    jread_end_array,
};

struct hall_val *
hall_val_parse_why(struct hall_pool *pool, const char *text, size_t len, struct hall_json_why *why)
{
    struct hall_json_why spare;
    struct jread j;
    yajl_handle h;
    yajl_status st;

    if (why == NULL)
        why = &spare;
    memset(why, 0, sizeof(*why));
    /* a NUL byte in the text itself is malformed (a string's is \u0000) */
    if (memchr(text, '\0', len) != NULL) {
        snprintf(why->msg, sizeof(why->msg), "NUL in JSON");
        return NULL;
    }
    memset(&j, 0, sizeof(j));
    j.pool = pool;
    j.why = why;
    h = yajl_alloc(&jread_callbacks, NULL, &j);
    if (h == NULL)
        abort(); /* out of memory, as a pool allocation */
    /* as yajl_tree_parse read them before */
    yajl_config(h, yajl_allow_comments, 1);
    st = yajl_parse(h, (const unsigned char *)text, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st != yajl_status_ok && st != yajl_status_client_canceled) {
        /* yajl's words without the text around the error (it may be
         * anybody's personal data) */
        unsigned char *e = yajl_get_error(h, 0, NULL, 0);
        size_t n;

        snprintf(why->msg, sizeof(why->msg), "%s", e != NULL ? (const char *)e : "malformed JSON");
        n = strlen(why->msg);
        while (n > 0 && (why->msg[n - 1] == '\n' || why->msg[n - 1] == ' '))
            why->msg[--n] = '\0';
        if (e != NULL)
            yajl_free_error(h, e);
        why->what = HALL_JSON_BAD;
    }
    yajl_free(h);
    if (st != yajl_status_ok)
        return NULL;
    return j.root;
}

struct hall_val *
hall_val_parse(struct hall_pool *pool, const char *text, size_t len, char *err, size_t errlen)
{
    struct hall_json_why why;
    struct hall_val *v = hall_val_parse_why(pool, text, len, &why);

    if (v == NULL && err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", why.msg);
    return v;
}
