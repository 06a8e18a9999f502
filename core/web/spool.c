/*
 * A large request body on disk (HALL_R_SPOOL routes: the 签名验证 of a
 * 20 MiB PDF).  The dispatcher reads nothing of such a body; the handler
 * calls hall_req_spool, which copies it 64 KiB at a time from FastCGI into
 * an unlinked file of tmp_dir and finds the uploaded file in it, so a
 * worker's memory does not grow with the body.  A multipart body's file
 * part is then copied (copy_file_range, in the kernel) into a file of its
 * own, which the reader takes whole.  The files are closed (and so gone)
 * with the request's pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "web/web.h"

#define SPOOL_CHUNK      65536
#define SPOOL_FIELD_MAX  65536 /* one plain multipart field */
#define SPOOL_PARTS_MAX  16
#define SPOOL_HEADER_MAX 4096 /* one part's headers */
#define SPOOL_OVERHEAD   (SPOOL_FIELD_MAX + 8192)

static void
spool_close(void *p)
{
    int *fd = p;

    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* an unlinked file of dir, closed with pool; -1 when it cannot be made */
static int
spool_file(struct hall_pool *pool, const char *dir)
{
    int *fd = hall_palloc(pool, sizeof(*fd));
    char *path;

#ifdef O_TMPFILE
    *fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (*fd >= 0) {
        hall_pool_cleanup(pool, spool_close, fd);
        return *fd;
    }
#endif
    path = hall_psprintf(pool, "%s/spool-XXXXXX", dir);
    *fd = mkstemp(path);
    if (*fd < 0)
        return -1;
    (void)unlink(path);
    (void)fcntl(*fd, F_SETFD, FD_CLOEXEC);
    hall_pool_cleanup(pool, spool_close, fd);
    return *fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return HALL_ERR;
        p += w;
        n -= (size_t)w;
    }
    return HALL_OK;
}

/* the first pat in fd's [from, end), -1 when there is none (or a read fails) */
static off_t
fd_find(int fd, off_t from, off_t end, const char *pat, size_t plen)
{
    static char buf[SPOOL_CHUNK];
    off_t at = from;

    while (end - at >= (off_t)plen) {
        size_t n = end - at > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)(end - at);
        const char *hit;

        if (hall_pread_all(fd, buf, n, at) != HALL_OK)
            return -1;
        hit = memmem(buf, n, pat, plen);
        if (hit != NULL)
            return at + (hit - buf);
        if (n < sizeof(buf))
            return -1;
        at += (off_t)(n - plen + 1);
    }
    return -1;
}

/* the next delimiter of the body: "\r\n--boundary" followed by "\r\n" or
 * "--" (RFC 2046 5.1.1; the same bytes followed by anything else are
 * content), -1 when there is none */
static off_t
delim_find(int fd, off_t from, off_t end, const char *delim, size_t dlen)
{
    char after[2];

    for (;;) {
        off_t at = fd_find(fd, from, end, delim, dlen);

        if (at < 0 || at + (off_t)dlen + 2 > end)
            return -1;
        if (hall_pread_all(fd, after, 2, at + (off_t)dlen) != HALL_OK)
            return -1;
        if (memcmp(after, "\r\n", 2) == 0 || memcmp(after, "--", 2) == 0)
            return at;
        from = at + 1;
    }
}

/* a header's attribute (name="x"), NULL when absent */
static const char *
attr_of(struct hall_pool *pool, const char *h, const char *attr)
{
    size_t al = strlen(attr);
    const char *p = h;

    while ((p = strcasestr(p, attr)) != NULL) {
        if ((p == h || p[-1] == ' ' || p[-1] == ';' || p[-1] == '\t') && p[al] == '=') {
            const char *v = p + al + 1;

            if (*v == '"') {
                const char *e = strchr(v + 1, '"');

                return e == NULL ? NULL : hall_pstrndup(pool, v + 1, (size_t)(e - v - 1));
            }
            return hall_pstrndup(pool, v, strcspn(v, "; \t\r\n"));
        }
        p += al;
    }
    return NULL;
}

int
hall_spool_parts(struct hall_pool *pool, const char *ctype, int fd, off_t len, const char *field,
                 size_t max, struct hall_spool *out, struct hall_param **fields, const char **err)
{
    const char *b = attr_of(pool, ctype, "boundary");
    char *delim, hdr[SPOOL_HEADER_MAX + 1];
    size_t dlen;
    off_t pos;
    int parts = 0;

    *err = hall_msg_text(pool, HALL_M_UPLOAD_FORMAT);
    if (b == NULL || *b == '\0' || strlen(b) > 70)
        return 400;
    delim = hall_psprintf(pool, "\r\n--%s", b);
    dlen = strlen(delim);
    /* the first boundary opens the body, or follows a preamble's CRLF */
    if (len >= (off_t)dlen - 2 && hall_pread_all(fd, hdr, dlen - 2, 0) == HALL_OK &&
        memcmp(hdr, delim + 2, dlen - 2) == 0)
        pos = 0;
    else if ((pos = fd_find(fd, 0, len, delim, dlen)) >= 0)
        pos += 2;
    else
        return 400;
    for (;;) {
        off_t h = pos + (off_t)dlen - 2, hend, next;
        const char *disp, *name, *filename;
        size_t hn;
        char *eol;

        if (h + 2 > len || hall_pread_all(fd, hdr, 2, h) != HALL_OK)
            return 400;
        if (memcmp(hdr, "--", 2) == 0)
            break; /* the closing boundary */
        if (memcmp(hdr, "\r\n", 2) != 0 || ++parts > SPOOL_PARTS_MAX)
            return 400;
        h += 2;
        hend = fd_find(fd, h, h + SPOOL_HEADER_MAX + 4 < len ? h + SPOOL_HEADER_MAX + 4 : len,
                       "\r\n\r\n", 4);
        if (hend < 0)
            return 400;
        hn = (size_t)(hend - h);
        if (hall_pread_all(fd, hdr, hn, h) != HALL_OK)
            return 400;
        hdr[hn] = '\0';
        disp = NULL;
        for (eol = hdr; eol != NULL && *eol != '\0';) {
            char *nl = strstr(eol, "\r\n");

            if (nl != NULL)
                *nl = '\0';
            if (strncasecmp(eol, "Content-Disposition:", 20) == 0)
                disp = eol + 20;
            eol = nl != NULL ? nl + 2 : NULL;
        }
        if (disp == NULL)
            return 400;
        name = attr_of(pool, disp, "name");
        filename = attr_of(pool, disp, "filename");
        if (name == NULL)
            return 400;
        next = delim_find(fd, hend + 4, len, delim, dlen);
        if (next < 0)
            return 400;
        if (filename != NULL) {
            if (strcmp(name, field) == 0 && out->fd < 0) {
                if ((size_t)(next - hend - 4) > max) {
                    *err = NULL;
                    return 413;
                }
                out->fd = fd;
                out->off = hend + 4;
                out->len = (size_t)(next - hend - 4);
                out->filename = filename;
            }
        } else {
            struct hall_param *p;
            size_t vn = (size_t)(next - hend - 4);
            char *v;

            if (vn > SPOOL_FIELD_MAX)
                return 413;
            v = hall_palloc(pool, vn + 1);
            if (vn > 0 && hall_pread_all(fd, v, vn, hend + 4) != HALL_OK)
                return 400;
            v[vn] = '\0';
            p = hall_pcalloc(pool, sizeof(*p));
            p->name = name;
            p->value = v;
            p->len = vn;
            p->next = *fields;
            *fields = p;
        }
        pos = next + 2;
    }
    *err = NULL;
    return 0;
}

/* the upload alone in a file of its own (readers such as the stamp
 * verifier take a whole file): copied in the kernel, the body's file closed */
static int
spool_alone(struct hall_req *req, struct hall_spool *out)
{
    int fd = spool_file(req->pool, req->app->conf.tmp_dir);
    loff_t from = out->off;
    size_t left = out->len;

    if (fd < 0)
        return 503;
    while (left > 0) {
        ssize_t n = copy_file_range(out->fd, &from, fd, NULL, left, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            hall_log(HALL_LOG_ERR, hall_req_id(req), "msg=\"spool: copy failed\" errno=%d", errno);
            return 503;
        }
        left -= (size_t)n;
    }
    out->fd = fd; /* both files are closed with the pool */
    out->off = 0;
    return 0;
}

int
hall_req_spool(struct hall_req *req, const char *field, size_t max, struct hall_spool *out,
               const char **err)
{
    const char *cl = hall_req_env(req, "CONTENT_LENGTH");
    const char *ct = req->content_type != NULL ? req->content_type : "";
    FCGX_Request *fr = req->fcgi;
    const char *bad;
    int multipart = strncasecmp(ct, "multipart/form-data", 19) == 0;
    unsigned long long clen = 0;
    static char chunk[SPOOL_CHUNK];
    size_t got = 0;
    int fd, st;

    out->fd = -1;
    out->off = 0;
    out->len = 0;
    out->filename = NULL;
    *err = NULL;
    if (cl != NULL && *cl != '\0') {
        char *end;

        errno = 0;
        clen = strtoull(cl, &end, 10);
        if (errno != 0 || *end != '\0' || *cl == '-')
            return *err = hall_msg_text(req->pool, HALL_M_REQ_FORMAT), 400;
    }
    if (!multipart && strncasecmp(ct, "application/pdf", 15) != 0 &&
        strncasecmp(ct, "application/octet-stream", 24) != 0 && clen > 0)
        return *err = hall_msg_text(req->pool, HALL_M_REQ_TYPE), 415;
    if (clen == 0)
        return 400; /* no file: the caller names it */
    if (clen > (unsigned long long)max + (multipart ? SPOOL_OVERHEAD : 0))
        return 413;
    fd = spool_file(req->pool, req->app->conf.tmp_dir);
    if (fd < 0) {
        hall_log(HALL_LOG_ERR, hall_req_id(req), "msg=\"spool: cannot make a file in tmp_dir\"");
        return 503;
    }
    while (got < clen) {
        size_t want = clen - got < sizeof(chunk) ? (size_t)(clen - got) : sizeof(chunk);
        int n = FCGX_GetStr(chunk, (int)want, fr->in);

        if (n <= 0)
            return *err = hall_msg_text(req->pool, HALL_M_REQ_INCOMPLETE), 400;
        if (write_all(fd, chunk, (size_t)n) != HALL_OK) {
            hall_log(HALL_LOG_ERR, hall_req_id(req), "msg=\"spool: write failed\" errno=%d", errno);
            return 503;
        }
        got += (size_t)n;
    }
    if (!multipart) {
        out->fd = fd;
        out->len = got;
        return 0;
    }
    st = hall_spool_parts(req->pool, ct, fd, (off_t)got, field, max, out, &req->bparams, err);
    if (st != 0)
        return st;
    /* the form's other fields are UTF-8, as every parameter (app.c) */
    bad = hall_params_not_utf8(req->bparams);
    if (bad != NULL)
        return *err = hall_msg_text(req->pool, HALL_M_REQ_UTF8, bad), 400;
    if (out->fd < 0)
        return 400; /* no file: the caller names it */
    return spool_alone(req, out);
}
