/*
 * Request memory pools.  Allocation is bump-pointer inside blocks; large
 * requests get a block of their own.  With HALL_POOL_DEBUG every allocation
 * is its own malloc so AddressSanitizer and valgrind see each one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"

struct hall_pool_block {
    struct hall_pool_block *next;
    size_t size, used;
    max_align_t data[];
};

struct hall_pool_cleanup {
    void (*fn)(void *);
    void *data;
    struct hall_pool_cleanup *next;
};

struct hall_pool {
    struct hall_pool_block *blocks;
    struct hall_pool_cleanup *cleanups;
    size_t block_size;
    size_t used;
};

#define ALIGN (sizeof(max_align_t))

static void *
xmalloc(size_t n)
{
    void *p = malloc(n);

    /* Allocation failure aborts the worker; the master replaces it. */
    if (p == NULL) {
        fputs("level=err msg=\"out of memory\"\n", stderr);
        abort();
    }
    return p;
}

struct hall_pool *
hall_pool_create(size_t block_size)
{
    struct hall_pool *pool = xmalloc(sizeof(*pool));

    pool->blocks = NULL;
    pool->cleanups = NULL;
    pool->block_size = block_size < 1024 ? 1024 : block_size;
    pool->used = 0;
    return pool;
}

void
hall_pool_destroy(struct hall_pool *pool)
{
    struct hall_pool_cleanup *c, *cn;
    struct hall_pool_block *b, *bn;

    if (pool == NULL)
        return;
    /* cleanups may allocate nothing from the pool, but may run in any state */
    for (c = pool->cleanups; c != NULL; c = cn) {
        cn = c->next;
        c->fn(c->data);
    }
    for (b = pool->blocks; b != NULL; b = bn) {
        bn = b->next;
        free(b);
    }
    free(pool);
}

static struct hall_pool_block *
block_new(struct hall_pool *pool, size_t size)
{
    struct hall_pool_block *b = xmalloc(sizeof(*b) + size);

    b->size = size;
    b->used = 0;
    b->next = pool->blocks;
    pool->blocks = b;
    return b;
}

void *
hall_palloc(struct hall_pool *pool, size_t size)
{
    struct hall_pool_block *b;
    size_t need = (size + ALIGN - 1) & ~(ALIGN - 1);

    if (need == 0)
        need = ALIGN;
    pool->used += need;
#if HALL_POOL_DEBUG
    b = block_new(pool, need);
    b->used = need;
    return b->data;
#else
    void *p;

    b = pool->blocks;
    if (b == NULL || b->size - b->used < need) {
        if (need > pool->block_size / 4) {
            /* a big allocation gets its own block, kept behind the current one */
            struct hall_pool_block *cur = pool->blocks;

            b = block_new(pool, need);
            b->used = need;
            if (cur != NULL) {
                pool->blocks = cur;
                b->next = cur->next;
                cur->next = b;
            }
            return b->data;
        }
        b = block_new(pool, pool->block_size);
    }
    p = (char *)b->data + b->used;
    b->used += need;
    return p;
#endif
}

void *
hall_pcalloc(struct hall_pool *pool, size_t size)
{
    void *p = hall_palloc(pool, size);

    memset(p, 0, size);
    return p;
}

char *
hall_pstrndup(struct hall_pool *pool, const char *s, size_t n)
{
    char *p = hall_palloc(pool, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* the strings up to a NULL, joined: the URLs of a page's rows without
 * vfprintf's cost (the order list makes 60 of them) */
char *
hall_pstrcat(struct hall_pool *pool, ...)
{
    va_list ap;
    const char *s;
    size_t n = 0, l;
    char *out, *p;

    va_start(ap, pool);
    while ((s = va_arg(ap, const char *)) != NULL)
        n += strlen(s);
    va_end(ap);
    out = p = hall_palloc(pool, n + 1);
    va_start(ap, pool);
    while ((s = va_arg(ap, const char *)) != NULL) {
        l = strlen(s);
        memcpy(p, s, l);
        p += l;
    }
    va_end(ap);
    *p = '\0';
    return out;
}

char *
hall_pstrdup(struct hall_pool *pool, const char *s)
{
    if (s == NULL)
        return NULL;
    return hall_pstrndup(pool, s, strlen(s));
}

char *
hall_pvsprintf(struct hall_pool *pool, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    char *p;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return hall_pstrdup(pool, "");
    p = hall_palloc(pool, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *
hall_psprintf(struct hall_pool *pool, const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    p = hall_pvsprintf(pool, fmt, ap);
    va_end(ap);
    return p;
}

void
hall_pool_cleanup(struct hall_pool *pool, void (*fn)(void *), void *data)
{
    struct hall_pool_cleanup *c = hall_palloc(pool, sizeof(*c));

    c->fn = fn;
    c->data = data;
    c->next = pool->cleanups;
    pool->cleanups = c;
}

size_t
hall_pool_used(const struct hall_pool *pool)
{
    return pool->used;
}

const char *
hall_beijing_time(struct hall_pool *pool, time_t t)
{
    struct tm tm;
    char buf[32];

    if (t == 0)
        return "";
    t += HALL_BEIJING_OFFSET_S;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    return hall_pstrdup(pool, buf);
}
