/*
 * multipart/form-data: the first line of the input is the Content-Type
 * header (so the boundary is fuzzed too), the rest the body, fed to the
 * parser in chunks whose sizes come from the input as well.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "hall.h"

struct feed {
    const uint8_t *p;
    size_t len, off;
    size_t chunk;
};

static ssize_t
rd(void *ctx, char *buf, size_t n)
{
    struct feed *f = ctx;
    size_t left = f->len - f->off;

    if (n > f->chunk)
        n = f->chunk;
    if (n > left)
        n = left;
    memcpy(buf, f->p + f->off, n);
    f->off += n;
    return (ssize_t)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hall_pool *pool;
    const uint8_t *nl = memchr(data, '\n', size);
    static struct hall_mp_arena *arena;
    struct hall_mp_limits lim = {.max_file = 4096, .max_field = 1024, .max_parts = 16};
    struct hall_param *fields = NULL;
    struct hall_upload *files = NULL;
    const char *err, *errfield;
    struct feed f;
    char *ct;

    if (nl == NULL || size < 2)
        return 0;
    if (arena == NULL)
        arena = hall_mp_arena_new(1 << 20, 16); /* inputs are smaller than this */
    lim.arena = arena;
    pool = hall_pool_create(4096);
    ct = hall_pstrndup(pool, (const char *)data, (size_t)(nl - data));
    f.p = nl + 1;
    f.len = size - (size_t)(nl - data) - 1;
    f.off = 0;
    f.chunk = 1 + (size % 97);
    hall_parse_multipart(pool, ct, rd, &f, f.len, &lim, &fields, &files, &err, &errfield);
    /* the pool's cleanups free the files' buffers */
    hall_pool_destroy(pool);
    return 0;
}
