/* Growable buffers that refuse to grow past their maximum (curl's dynbuf). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/base.h"

void
hall_buf_init(struct hall_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->overflow = 0;
}

void
hall_buf_free(struct hall_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
hall_buf_reset(struct hall_buf *b)
{
    b->len = 0;
    b->overflow = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

static void
buf_free_cb(void *p)
{
    hall_buf_free(p);
}

void
hall_buf_pool(struct hall_buf *b, struct hall_pool *pool)
{
    hall_pool_cleanup(pool, buf_free_cb, b);
}

struct hall_buf *
hall_buf_new(struct hall_pool *pool, size_t max)
{
    struct hall_buf *b = hall_pcalloc(pool, sizeof(*b));

    hall_buf_init(b, max);
    hall_buf_pool(b, pool);
    return b;
}

int
hall_buf_add(struct hall_buf *b, const void *p, size_t n)
{
    size_t need;

    if (n > b->max || b->len > b->max - n) {
        b->overflow = 1;
        return HALL_ERR;
    }
    need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *d;

        while (cap < need)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        d = realloc(b->data, cap);
        if (d == NULL)
            abort();
        b->data = d;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return HALL_OK;
}

int
hall_buf_addstr(struct hall_buf *b, const char *s)
{
    return hall_buf_add(b, s, strlen(s));
}

int
hall_buf_printf(struct hall_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return HALL_ERR;
    if ((size_t)n < sizeof(small))
        return hall_buf_add(b, small, (size_t)n);
    {
        char *big = malloc((size_t)n + 1);
        int rc;

        if (big == NULL)
            abort();
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        rc = hall_buf_add(b, big, (size_t)n);
        free(big);
        return rc;
    }
}

/* RFC 3986 percent-encoding: the unreserved characters kept, every other
 * byte %XX in upper case (a query's names and values, the providers'
 * signed strings) */
char *
hall_url_encode(struct hall_pool *pool, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = hall_palloc(pool, strlen(s) * 3 + 1), *o = out;

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

static int
kv_cmp(const void *a, const void *b)
{
    return strcmp(((const struct hall_kv *)a)->k, ((const struct hall_kv *)b)->k);
}

char *
hall_kv_join(struct hall_pool *pool, struct hall_kv *p, size_t n, unsigned flags,
             const char *const *skip)
{
    struct hall_buf *b = hall_buf_new(pool, 64 * 1024);
    const char *const *s;
    const char *sep = "";
    size_t i;

    if (flags & HALL_KV_SORT)
        qsort(p, n, sizeof(*p), kv_cmp);
    for (i = 0; i < n; i++) {
        const char *v = p[i].v != NULL ? p[i].v : "";

        if ((flags & HALL_KV_SKIP_EMPTY) && *v == '\0')
            continue;
        for (s = skip; s != NULL && *s != NULL && strcmp(*s, p[i].k) != 0; s++)
            ;
        if (s != NULL && *s != NULL)
            continue;
        if (hall_buf_printf(b, "%s%s=%s", sep,
                            (flags & HALL_KV_ENCODE) ? hall_url_encode(pool, p[i].k) : p[i].k,
                            (flags & HALL_KV_ENCODE) ? hall_url_encode(pool, v) : v) != HALL_OK)
            return NULL;
        sep = "&";
    }
    return hall_pstrndup(pool, b->data != NULL ? b->data : "", b->len);
}

/* ---- files: whole reads ------------------------------------------------ */

int
hall_pread_all(int fd, void *p, size_t n, long long off)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = pread(fd, (char *)p + got, n - got, (off_t)(off + (long long)got));

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return HALL_ERR;
        got += (size_t)r;
    }
    return HALL_OK;
}

unsigned char *
hall_whole_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    unsigned char *buf;

    if (f == NULL)
        return NULL;
    if (fstat(fileno(f), &st) != 0) {
        int e = errno;

        fclose(f);
        errno = e;
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > max) {
        fclose(f);
        errno = !S_ISREG(st.st_mode) ? EINVAL : EFBIG;
        return NULL;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        abort();
    *len = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f) || *len != (size_t)st.st_size) {
        fclose(f);
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

int
hall_file_line(const char *path, char *out, size_t size)
{
    FILE *f = path != NULL && *path != '\0' ? fopen(path, "r") : NULL;
    size_t n = 0;

    if (f != NULL) {
        n = fread(out, 1, size - 1, f);
        fclose(f);
    }
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return out[0] != '\0' ? HALL_OK : HALL_ERR;
}
