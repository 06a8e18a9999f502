/*
 * Request parsing: query strings, cookies, urlencoded and JSON bodies, and
 * multipart/form-data (files kept in memory, encrypted as they stream).  Every parser works on
 * bounded input and reports malformed input instead of guessing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "web/web.h"

/* FCGX_GetParam's answer, the names compared here byte by byte: a request
 * asks for about a dozen names, most of them absent, and libfcgi's strlen
 * and strncmp of each against each parameter were a tenth of an OCSP
 * answer's instructions in the worker (bench/ocsp-instr) */
const char *
hall_req_env(struct hall_req *req, const char *name)
{
    FCGX_Request *fr = req->fcgi;
    char **p;

    if (fr == NULL || fr->envp == NULL || name == NULL)
        return NULL;
    for (p = fr->envp; *p != NULL; p++) {
        const char *e = *p, *s = name;

        while (*s != '\0' && *s == *e)
            s++, e++;
        if (*s == '\0' && *e == '=')
            return e + 1;
    }
    return NULL;
}

const char *
hall_req_id(const struct hall_req *req)
{
    return req != NULL ? req->request_id : NULL;
}

/* NULL for a bad %-escape or an encoded NUL: both are malformed input */
char *
hall_url_decode(struct hall_pool *pool, const char *s, size_t len, size_t *outlen)
{
    char *out = hall_palloc(pool, len + 1), *o = out;
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%') {
            int hi, lo;

            if (i + 2 >= len)
                return NULL;
            hi = hall_hexval((unsigned char)s[i + 1]);
            lo = hall_hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return NULL;
            *o++ = (char)(hi << 4 | lo);
            i += 2;
        } else if (s[i] == '\0') {
            return NULL;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    if (outlen != NULL)
        *outlen = (size_t)(o - out);
    return out;
}

int
hall_parse_urlencoded(struct hall_pool *pool, const char *s, size_t len, struct hall_param **out,
                      size_t max_params)
{
    struct hall_param *head = NULL, **tail = &head;
    size_t count = 0;
    const char *end = s + len;

    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *pe = amp != NULL ? amp : end;
        const char *eq = memchr(s, '=', (size_t)(pe - s));
        struct hall_param *p;

        if (pe == s) {
            s++;
            continue;
        }
        if (++count > max_params)
            return HALL_ERR;
        p = hall_pcalloc(pool, sizeof(*p));
        p->name = hall_url_decode(pool, s, (size_t)((eq != NULL ? eq : pe) - s), NULL);
        if (eq != NULL)
            p->value = hall_url_decode(pool, eq + 1, (size_t)(pe - eq - 1), &p->len);
        else
            p->value = hall_pstrdup(pool, "");
        if (p->name == NULL || p->value == NULL)
            return HALL_ERR;
        *tail = p;
        tail = &p->next;
        s = pe + (amp != NULL);
    }
    /* appended at the end of what is already there */
    while (*out != NULL)
        out = &(*out)->next;
    *out = head;
    return HALL_OK;
}

const char *
hall_params_not_utf8(const struct hall_param *p)
{
    for (; p != NULL; p = p->next) {
        if (hall_valid_utf8(p->name, strlen(p->name)) != HALL_OK)
            return "?";
        if (hall_valid_utf8(p->value, strlen(p->value)) != HALL_OK)
            return p->name;
    }
    return NULL;
}

int
hall_parse_cookies(struct hall_pool *pool, const char *s, struct hall_param **out)
{
    int count = 0;

    while (s != NULL && *s != '\0') {
        const char *semi, *eq, *ns, *ne, *vs, *ve;
        struct hall_param *p;

        while (*s == ' ' || *s == '\t' || *s == ';')
            s++;
        if (*s == '\0')
            break;
        semi = strchr(s, ';');
        ne = semi != NULL ? semi : s + strlen(s);
        eq = memchr(s, '=', (size_t)(ne - s));
        if (eq == NULL || ++count > 50) {
            s = semi;
            continue;
        }
        ns = s;
        ve = ne;
        ne = eq;
        while (ne > ns && (ne[-1] == ' ' || ne[-1] == '\t'))
            ne--;
        vs = eq + 1;
        while (vs < ve && *vs == ' ')
            vs++;
        while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"')
            vs++, ve--;
        p = hall_pcalloc(pool, sizeof(*p));
        p->name = hall_pstrndup(pool, ns, (size_t)(ne - ns));
        p->value = hall_pstrndup(pool, vs, (size_t)(ve - vs));
        p->len = (size_t)(ve - vs);
        p->next = *out;
        *out = p;
        s = semi;
    }
    return HALL_OK;
}

static const char *
param_find(const struct hall_param *p, const char *name)
{
    for (; p != NULL; p = p->next)
        if (strcmp(p->name, name) == 0)
            return p->value;
    return NULL;
}

/*
 * A form of 证书新办 has some fifty fields, each read several times by the
 * checks: the name of each lookup was compared with the list's names one by
 * one (perf of POST /new/apply: strcmp a sixteenth of the worker's CPU).  A
 * list of PARAM_INDEX_MIN or more gets an open-addressing table by name at
 * its first lookup, holding the first parameter of each name as the walk
 * would find it; a shorter one is walked.  Either way the list's head and
 * tail are remembered, so that its length is counted once: a parameter put
 * before the head or after the tail makes the table anew.
 */
#define PARAM_INDEX_MIN 8

struct hall_param_index {
    const struct hall_param *head, *tail;
    size_t mask;
    struct hall_param *slot[];
};

static size_t
name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static struct hall_param_index *
param_index(struct hall_pool *pool, struct hall_param *head)
{
    struct hall_param_index *ix;
    struct hall_param *p, *tail = NULL;
    size_t n = 0, size = 16;

    for (p = head; p != NULL; p = p->next, n++)
        tail = p;
    if (n < PARAM_INDEX_MIN)
        size = 0; /* a short list is walked: no table, mask 0 */
    while (size > 0 && size < 2 * n)
        size *= 2;
    ix = hall_pcalloc(pool, sizeof(*ix) + size * sizeof(ix->slot[0]));
    ix->head = head;
    ix->tail = tail;
    if (size == 0)
        return ix;
    ix->mask = size - 1;
    for (p = head; p != NULL; p = p->next) {
        size_t i = name_hash(p->name) & ix->mask;

        while (ix->slot[i] != NULL && strcmp(ix->slot[i]->name, p->name) != 0)
            i = (i + 1) & ix->mask;
        if (ix->slot[i] == NULL)
            ix->slot[i] = p;
    }
    return ix;
}

static struct hall_param *
param_node(struct hall_req *req, int which, struct hall_param *head, const char *name)
{
    struct hall_param_index **ix = &req->pindex[which];
    struct hall_param *p;

    if (head == NULL)
        return NULL;
    if (req->pool != NULL && (*ix == NULL || (*ix)->head != head || (*ix)->tail->next != NULL))
        *ix = param_index(req->pool, head);
    if (*ix != NULL && (*ix)->head == head && (*ix)->mask != 0) {
        size_t i = name_hash(name) & (*ix)->mask;

        for (; (p = (*ix)->slot[i]) != NULL; i = (i + 1) & (*ix)->mask)
            if (strcmp(p->name, name) == 0)
                return p;
        return NULL;
    }
    for (p = head; p != NULL; p = p->next)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

struct hall_param *
hall_req_param_node(struct hall_req *req, const char *name)
{
    struct hall_param *p = param_node(req, 0, req->bparams, name);

    return p != NULL ? p : param_node(req, 1, req->qparams, name);
}

const char *
hall_req_param(struct hall_req *req, const char *name)
{
    const struct hall_param *p = hall_req_param_node(req, name);

    return p != NULL ? p->value : NULL;
}

const char *
hall_req_query(struct hall_req *req, const char *name)
{
    const struct hall_param *p = param_node(req, 1, req->qparams, name);

    return p != NULL ? p->value : NULL;
}

const char *
hall_req_body_param(struct hall_req *req, const char *name)
{
    const struct hall_param *p = param_node(req, 0, req->bparams, name);

    return p != NULL ? p->value : NULL;
}

const char *
hall_req_cookie(struct hall_req *req, const char *name)
{
    return param_find(req->cookies, name);
}

int
hall_req_param_i64(struct hall_req *req, const char *name, int64_t *out)
{
    const char *v = hall_req_param(req, name);
    char *end;
    long long n;

    if (v == NULL || *v == '\0' || strlen(v) > 18)
        return HALL_ERR;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno != 0 || *end != '\0' || n < 0)
        return HALL_ERR;
    *out = n;
    return HALL_OK;
}

const struct hall_upload *
hall_req_upload(struct hall_req *req, const char *field)
{
    const struct hall_upload *u;

    for (u = req->uploads; u != NULL; u = u->next)
        if (strcmp(u->field, field) == 0)
            return u;
    return NULL;
}

int
hall_req_wants_json(const struct hall_req *req)
{
    if (req->accept != NULL && strstr(req->accept, "application/json") != NULL)
        return 1;
    if (req->accept != NULL && strstr(req->accept, "text/html") != NULL)
        return 0;
    return 1;
}

/* ---- multipart/form-data ------------------------------------------------ */

#define MP_WINDOW      (64 * 1024)
#define MP_MAX_HEADERS 8192

struct mp {
    struct hall_pool *pool;
    hall_read_fn rd;
    void *rdctx;
    size_t remaining; /* body bytes not yet read */
    char *buf;
    size_t start, end, cap;
    int eof;
};

static int
mp_fill(struct mp *m)
{
    ssize_t n;
    size_t want;

    if (m->start > 0) {
        memmove(m->buf, m->buf + m->start, m->end - m->start);
        m->end -= m->start;
        m->start = 0;
    }
    if (m->eof || m->end == m->cap)
        return m->end == m->cap ? HALL_OK : HALL_ERR;
    want = m->cap - m->end;
    if (want > m->remaining)
        want = m->remaining;
    if (want == 0) {
        m->eof = 1;
        return HALL_ERR;
    }
    n = m->rd(m->rdctx, m->buf + m->end, want);
    if (n <= 0) {
        m->eof = 1;
        return HALL_ERR;
    }
    m->end += (size_t)n;
    m->remaining -= (size_t)n;
    return HALL_OK;
}

/* makes at least n bytes available; HALL_ERR at end of input */
static int
mp_need(struct mp *m, size_t n)
{
    while (m->end - m->start < n)
        if (mp_fill(m) != HALL_OK && m->end - m->start < n)
            return HALL_ERR;
    return HALL_OK;
}

static const char *
header_attr(struct hall_pool *pool, const char *h, const char *attr)
{
    size_t al = strlen(attr);
    const char *p = h;

    while ((p = strcasestr(p, attr)) != NULL) {
        const char *v;

        if ((p == h || p[-1] == ' ' || p[-1] == ';' || p[-1] == '\t') && p[al] == '=') {
            v = p + al + 1;
            if (*v == '"') {
                const char *e = strchr(v + 1, '"');

                if (e == NULL)
                    return NULL;
                return hall_pstrndup(pool, v + 1, (size_t)(e - v - 1));
            } else {
                size_t n = strcspn(v, "; \t\r\n");

                return hall_pstrndup(pool, v, n);
            }
        }
        p += al;
    }
    return NULL;
}

/*
 * Files are kept in memory the worker owns for its whole life and reuses
 * for every request: a 2 MiB upload then touches pages that are already
 * mapped (fresh pages cost a fault each, 512 per 2 MiB) and its part never
 * moves while it grows, since parts come one after the other.  A body holds
 * at most its own length in files, so arenas as large as the largest body
 * never run out.
 */
struct hall_mp_arena {
    unsigned char *data, *enc;
    size_t cap, scap;
    char *window;
};

/* each encrypted file starts on a page: the store writes it past the page
 * cache (O_DIRECT, core/store/file.c), which wants aligned memory */
#define MP_ENC_ALIGN ((size_t)HALL_ENC_ALIGN)
/* the encrypted arena is asked for in huge pages (transparent huge pages,
 * MADV_HUGEPAGE): a 2 MiB upload is encrypted into it and written from it
 * with O_DIRECT, which pins its pages for the write, one huge page instead
 * of 512 small ones, and one TLB entry while it is written */
#define MP_HUGE ((size_t)2 * 1024 * 1024)

struct hall_mp_arena *
hall_mp_arena_new(size_t max_body, size_t max_parts)
{
    struct hall_mp_arena *a = calloc(1, sizeof(*a));

    if (a == NULL)
        abort();
    a->cap = max_body + max_parts;
    a->scap = max_body + max_parts * (HALL_ENC_HEAD + HALL_ENC_TAG + MP_ENC_ALIGN);
    a->data = malloc(a->cap);
    a->scap = (a->scap + MP_HUGE - 1) & ~(MP_HUGE - 1);
    if (posix_memalign((void **)&a->enc, MP_HUGE, a->scap) != 0)
        a->enc = NULL;
    else
        (void)madvise(a->enc, a->scap, MADV_HUGEPAGE);
    a->window = malloc(MP_WINDOW + MP_MAX_HEADERS);
    if (a->data == NULL || a->enc == NULL || a->window == NULL)
        abort(); /* the supervisor replaces the worker */
    return a;
}

HALL_TESTABLE void
hall_mp_arena_free(struct hall_mp_arena *a)
{
    if (a == NULL)
        return;
    free(a->data);
    free(a->enc);
    free(a->window);
    free(a);
}

static int
boundary_of(struct hall_pool *pool, const char *ctype, const char **b)
{
    const char *v = header_attr(pool, ctype, "boundary");
    size_t n;

    if (v == NULL)
        return HALL_ERR;
    n = strlen(v);
    if (n == 0 || n > 70)
        return HALL_ERR;
    *b = v;
    return HALL_OK;
}

void
hall_mp_limits_route(struct hall_mp_limits *lim, unsigned route_flags)
{
    lim->head_only = (route_flags & HALL_R_ENCRYPTED) != 0;
    lim->enc = lim->head_only || !(route_flags & HALL_R_CLEAR);
}

/* what one parse keeps across its parts: the delimiter, the arena's use,
 * the answer's message and field */
struct mp_parse {
    struct mp m;
    const struct hall_mp_limits *lim;
    const char *delim;
    size_t dlen;
    size_t keep;        /* the bytes of each file kept in clear */
    size_t used, sused; /* of the arena's clear and encrypted parts */
    const char **err, **errfield;
};

/* a part's headers, after its delimiter's CRLF: the name, the file name
 * (NULL for a field) and the type (NULL when not given); 400 when they
 * are malformed or too long */
static int
mp_headers(struct mp_parse *ps, const char **name, const char **filename, const char **ctype)
{
    struct mp *m = &ps->m;
    const char *hend;
    char *headers, *cd, *ct, *eol;

    for (;;) {
        hend = memmem(m->buf + m->start, m->end - m->start, "\r\n\r\n", 4);
        if (hend != NULL)
            break;
        if (m->end - m->start > MP_MAX_HEADERS)
            return 400;
        if (mp_fill(m) != HALL_OK &&
            memmem(m->buf + m->start, m->end - m->start, "\r\n\r\n", 4) == NULL)
            return 400;
    }
    /* the loop above checks the limit only between reads; one big read can bring more */
    if ((size_t)(hend - (m->buf + m->start)) > MP_MAX_HEADERS)
        return 400;
    headers = hall_pstrndup(m->pool, m->buf + m->start, (size_t)(hend - (m->buf + m->start)));
    m->start = (size_t)(hend - m->buf) + 4;
    cd = strcasestr(headers, "content-disposition:");
    ct = strcasestr(headers, "content-type:");
    *ctype = NULL;
    if (cd == NULL)
        return 400;
    eol = strstr(cd, "\r\n");
    if (eol != NULL)
        *eol = '\0';
    *name = header_attr(m->pool, cd, "name");
    *filename = header_attr(m->pool, cd, "filename");
    if (eol != NULL)
        *eol = '\r';
    if (ct != NULL) {
        ct += 13;
        while (*ct == ' ')
            ct++;
        *ctype = hall_pstrndup(m->pool, ct, strcspn(ct, "\r\n"));
    }
    if (*name == NULL || **name == '\0')
        return 400;
    return 0;
}

/* a file part's upload, its clear bytes after the files before it in the
 * arena and, when encrypting, its encrypted bytes too (*enc begun); 413 when
 * the arena has no room for another */
static int
mp_file_new(struct mp_parse *ps, const char *name, const char *filename, const char *ctype,
            struct hall_upload **upp, struct hall_enc **enc)
{
    const struct hall_mp_limits *lim = ps->lim;
    struct hall_upload *up = hall_pcalloc(ps->m.pool, sizeof(*up));

    up->field = name;
    up->filename = filename;
    up->ctype = ctype;
    up->data = lim->arena->data + ps->used;
    if (lim->enc) {
        ps->sused = (ps->sused + MP_ENC_ALIGN - 1) & ~(MP_ENC_ALIGN - 1);
        up->enc = lim->arena->enc + ps->sused;
        if (ps->sused + HALL_ENC_HEAD + HALL_ENC_TAG > lim->arena->scap) {
            *ps->err = hall_msg_text(ps->m.pool, HALL_M_UPLOAD_TOO_MANY);
            return hall_msgs[HALL_M_UPLOAD_TOO_MANY].status;
        }
    }
    if (lim->enc)
        *enc = hall_enc_begin(ps->m.pool, up->enc);
    *upp = up;
    return 0;
}

/* avail bytes of a file part's body at the window's start, kept (its head
 * in clear, all of it encrypted); 413 past the file's or the arena's limit */
static int
mp_file_add(struct mp_parse *ps, const char *name, struct hall_upload *up, struct hall_enc *enc,
            size_t *size, size_t avail)
{
    const struct hall_mp_limits *lim = ps->lim;
    const char *at = ps->m.buf + ps->m.start;

    if (*size + avail > lim->max_file) {
        *ps->err = hall_msg_text(ps->m.pool, HALL_M_UPLOAD_FILE_TOO_LARGE);
        *ps->errfield = name;
        return hall_msgs[HALL_M_UPLOAD_FILE_TOO_LARGE].status;
    }
    /* more than the body can hold: only when the arena is
     * smaller than the body (a caller's mistake) */
    if (ps->used + *size + avail + 1 > lim->arena->cap ||
        (lim->enc && ps->sused + HALL_ENC_HEAD + *size + avail + HALL_ENC_TAG > lim->arena->scap)) {
        *ps->err = hall_msg_text(ps->m.pool, HALL_M_UPLOAD_TOO_MANY);
        return hall_msgs[HALL_M_UPLOAD_TOO_MANY].status;
    }
    if (*size < ps->keep)
        memcpy(up->data + *size, at, avail < ps->keep - *size ? avail : ps->keep - *size);
    if (enc != NULL)
        hall_enc_add(enc, at, avail, up->enc + HALL_ENC_HEAD + *size);
    *size += avail;
    return 0;
}

/* a part's body, up to the next delimiter, into the file (up) or the
 * field; 400 when the body ends first, 413 past a limit */
static int
mp_body(struct mp_parse *ps, const char *name, struct hall_upload *up, struct hall_enc *enc,
        struct hall_buf *field, size_t *size)
{
    struct mp *m = &ps->m;
    int rc;

    for (;;) {
        char *hit = memmem(m->buf + m->start, m->end - m->start, ps->delim, ps->dlen);
        size_t avail = hit != NULL
                           ? (size_t)(hit - (m->buf + m->start))
                           : (m->end - m->start > ps->dlen ? m->end - m->start - ps->dlen : 0);

        if (avail > 0) {
            if (up != NULL) {
                rc = mp_file_add(ps, name, up, enc, size, avail);
                if (rc != 0)
                    return rc;
            } else if (hall_buf_add(field, m->buf + m->start, avail) != HALL_OK) {
                *ps->err = hall_msg_text(ps->m.pool, HALL_M_UPLOAD_FIELD_TOO_LONG);
                *ps->errfield = name;
                return hall_msgs[HALL_M_UPLOAD_FIELD_TOO_LONG].status;
            }
            m->start += avail;
        }
        if (hit != NULL) {
            m->start += ps->dlen;
            return 0;
        }
        if (mp_fill(m) != HALL_OK &&
            memmem(m->buf + m->start, m->end - m->start, ps->delim, ps->dlen) == NULL)
            return 400;
    }
}

/* a file part read to its end: its sizes, its encryption's tag and hash */
static void
mp_file_end(struct mp_parse *ps, struct hall_upload *up, struct hall_enc *enc, size_t size)
{
    up->plain_len = size < ps->keep ? size : ps->keep;
    up->data[up->plain_len] = 0;
    up->size = size;
    ps->used += up->plain_len + 1;
    if (enc != NULL) {
        hall_enc_end(enc, up->enc + HALL_ENC_HEAD + size, up->sha256);
        up->enc_len = HALL_ENC_HEAD + size + HALL_ENC_TAG;
        ps->sused += up->enc_len;
    }
}

int
hall_parse_multipart(struct hall_pool *pool, const char *content_type, hall_read_fn rd, void *rdctx,
                     size_t content_length, const struct hall_mp_limits *lim,
                     struct hall_param **fields, struct hall_upload **files, const char **err,
                     const char **errfield)
{
    struct hall_param **ftail = fields;
    struct hall_upload **utail = files;
    const char *boundary;
    size_t parts = 0;
    int file_seen = 0, rc;
    struct mp_parse ps;
    struct mp *m = &ps.m;

    /* the answer unless a limit below says another */
    *err = hall_msg_text(pool, HALL_M_UPLOAD_FORMAT);
    *errfield = NULL;
    if (boundary_of(pool, content_type, &boundary) != HALL_OK)
        return 400;
    memset(&ps, 0, sizeof(ps));
    ps.lim = lim;
    ps.delim = hall_psprintf(pool, "\r\n--%s", boundary);
    ps.dlen = strlen(ps.delim);
    ps.keep = lim->enc && lim->head_only ? HALL_UPLOAD_HEAD : (size_t)-1;
    ps.err = err;
    ps.errfield = errfield;
    m->pool = pool;
    m->rd = rd;
    m->rdctx = rdctx;
    m->remaining = content_length;
    m->cap = MP_WINDOW + MP_MAX_HEADERS;
    m->buf = lim->arena->window;
    /* the stream starts with "--boundary": pretend a CRLF came before it */
    m->buf[0] = '\r';
    m->buf[1] = '\n';
    m->end = 2;
    if (mp_need(m, ps.dlen) != HALL_OK || memcmp(m->buf, ps.delim, ps.dlen) != 0)
        return 400;
    m->start += ps.dlen;

    for (;;) {
        const char *name, *filename, *ctype;
        struct hall_buf *field;
        struct hall_upload *up = NULL;
        struct hall_enc *enc = NULL;
        size_t size = 0;

        if (mp_need(m, 2) != HALL_OK)
            return 400;
        if (m->buf[m->start] == '-' && m->buf[m->start + 1] == '-')
            break; /* closing delimiter; the epilogue is ignored */
        if (m->buf[m->start] != '\r' || m->buf[m->start + 1] != '\n')
            return 400;
        m->start += 2;
        if (++parts > lim->max_parts) {
            *err = hall_msg_text(pool, HALL_M_UPLOAD_TOO_MANY);
            return hall_msgs[HALL_M_UPLOAD_TOO_MANY].status;
        }
        rc = mp_headers(&ps, &name, &filename, &ctype);
        if (rc != 0)
            return rc;
        field = hall_buf_new(pool, lim->max_field);
        if (filename != NULL && !file_seen) {
            file_seen = 1;
            if (lim->at_file != NULL)
                lim->at_file(lim->at_file_arg);
        }
        if (filename != NULL) {
            rc = mp_file_new(&ps, name, filename, ctype, &up, &enc);
            if (rc != 0)
                return rc;
        }
        rc = mp_body(&ps, name, up, enc, field, &size);
        if (rc != 0)
            return rc;
        if (up != NULL) {
            mp_file_end(&ps, up, enc, size);
            *utail = up;
            utail = &up->next;
        } else {
            struct hall_param *p = hall_pcalloc(pool, sizeof(*p));

            p->name = name;
            p->value = hall_pstrndup(pool, field->data != NULL ? field->data : "", field->len);
            p->len = field->len;
            if (memchr(p->value, '\0', p->len) != NULL)
                return 400;
            *ftail = p;
            ftail = &p->next;
        }
    }
    return 0;
}

const char *
hall_req_base(struct hall_req *req)
{
    return req->partner[0] != '\0' ? hall_psprintf(req->pool, "/%s", req->partner) : "";
}

const char *
hall_req_actor(struct hall_req *req)
{
    return hall_psprintf(req->pool, "user:%lld", (long long)req->user_id);
}
