/*
 * The accept loop the core owns.  hall_main() loads the configuration, the
 * keys and the templates, opens the FastCGI socket and runs a prefork
 * master: N workers each accept one connection at a time (libfcgi), and a
 * worker that dies is replaced.  A module only declares routes, parameters
 * and statements.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "web/kept.h"
#include "web/web.h"

#define MAX_WORKERS 256
/* a request's parameters: the largest form is a 电子签章 submit, about 60
 * fields + 4 for each of at most 50 机构个人章 rows (HALL_SEAL_PERSONS_MAX) */
#define MAX_PARAMS 400

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t in_request;
/* the prefork master of this process's workers (hall_prefork): a worker
 * whose parent is no longer it is an orphan of a killed master */
static pid_t master_pid;

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- parameter declarations ------------------------------------------- */

static void
param_replace(struct hall_req *req, struct hall_param *p, const char *v)
{
    p->value = hall_pstrdup(req->pool, v);
    p->len = strlen(v);
}

void
hall_req_check(struct hall_req *req, const struct hall_pspec *spec, struct hall_errors *e)
{
    for (; spec != NULL && spec->name != NULL; spec++) {
        struct hall_param *p = hall_req_param_node(req, spec->name);
        const char *out, *note, *msg;

        if (hall_param_check(req->pool, spec, p != NULL ? p->value : NULL, &out, &note, &msg) !=
            HALL_OK) {
            hall_errors_add(req->pool, e, 400, spec->name, msg);
            continue;
        }
        if (p != NULL)
            param_replace(req, p, out);
    }
}

/* returns HALL_OK or answers 400 with every field's error */
static int
check_params(struct hall_req *req, const struct hall_pspec *spec)
{
    struct hall_errors e = {NULL, NULL, 0, 0};

    hall_req_check(req, spec, &e);
    if (e.n == 0)
        return HALL_OK;
    hall_resp_errors(req, &e);
    return HALL_ANSWERED;
}

/* ---- body --------------------------------------------------------------- */

struct fcgi_reader {
    FCGX_Stream *in;
};

/*
 * libfcgi reads a request's body into a buffer of 8 KiB that FCGX_Accept_r
 * makes, and offers no way to ask for more: a 2 MiB upload was 256 read()s
 * from nginx's socket, each waking nginx to write the next 8 KiB (perf of
 * POST /new/upload: the reads a seventh of the worker's CPU).  A stream's
 * state behind FCGX_Stream.data is libfcgi's own, laid out in libfcgi 2.4
 * (Debian's 2.4.2) as below.  A large body gets a larger buffer the first
 * time libfcgi refills an empty one: its fill function is wrapped, checks
 * that the state looks as laid out here (else it leaves it alone), and puts
 * a buffer of FCGI_WIDE bytes where the 8 KiB were, malloc()ed as libfcgi
 * allocates it, since FCGX_Finish_r frees it.
 */
struct fcgi_stream_state {
    unsigned char *buf;  /* where a read goes: mem rounded up to 8 bytes */
    int len;             /* bytes buf holds */
    unsigned char *mem;  /* as malloc()ed */
    unsigned char *end;  /* the last byte read + 1 */
    int type;            /* FCGI_PARAMS or FCGI_STDIN of a reader */
    int ints[6];         /* the record's state, the writer's flags */
    FCGX_Request *owner; /* the request */
};

/* under glibc's threshold for mmap(): taken from the heap and given back
 * to it, so the pages stay mapped between requests */
#define FCGI_WIDE ((size_t)127 * 1024)

static void (*fcgi_fill)(FCGX_Stream *);

static void
fcgi_fill_wide(FCGX_Stream *in)
{
    struct fcgi_stream_state *st = in->data;
    unsigned char *wide;

    /* everything read has been handed out: nothing in the buffer to move */
    if (in->rdNext == st->end && in->stop == st->end && (wide = malloc(FCGI_WIDE)) != NULL) {
        free(st->mem);
        st->mem = st->buf = st->end = wide;
        st->len = (int)FCGI_WIDE;
        in->rdNext = in->wrNext = in->stop = in->stopUnget = wide;
        in->fillBuffProc = fcgi_fill;
    }
    fcgi_fill(in);
}

/* a larger read buffer for the rest of fr's body, if libfcgi is as expected */
static void
fcgi_widen(FCGX_Request *fr)
{
    FCGX_Stream *in = fr->in;
    struct fcgi_stream_state *st = in != NULL ? in->data : NULL;

    if (st == NULL || !in->isReader || in->isClosed || in->fillBuffProc == fcgi_fill_wide ||
        st->owner != fr || st->type != FCGI_STDIN || st->len <= 0 || st->len > 8192 ||
        st->buf < st->mem || st->buf > st->mem + 7 || st->end < st->buf ||
        st->end > st->buf + st->len || in->rdNext < st->buf || in->stop > st->end ||
        (fcgi_fill != NULL && in->fillBuffProc != fcgi_fill))
        return;
    fcgi_fill = in->fillBuffProc;
    in->fillBuffProc = fcgi_fill_wide;
}

static ssize_t
fcgi_read(void *ctx, char *buf, size_t n)
{
    struct fcgi_reader *r = ctx;
    int got = FCGX_GetStr(buf, (int)n, r->in);

    return got;
}

static struct hall_buf *
read_body(struct hall_req *req, size_t clen)
{
    FCGX_Request *fr = req->fcgi;
    struct hall_buf *b = hall_buf_new(req->pool, clen);
    char chunk[16384];

    while (b->len < clen) {
        size_t want = clen - b->len < sizeof(chunk) ? clen - b->len : sizeof(chunk);
        int got = FCGX_GetStr(chunk, (int)want, fr->in);

        if (got <= 0)
            return NULL;
        hall_buf_add(b, chunk, (size_t)got);
    }
    return b;
}

/* the module's look ahead at a multipart body's first file (hall_module.at_file) */
static void
at_file(void *arg)
{
    struct hall_req *req = arg;

    req->app->mod->at_file(req);
}

/* the files of multipart bodies: one arena per worker, see core/web/req.c */
static struct hall_mp_arena *mp_arena;

static int
parse_body(struct hall_req *req)
{
    const char *cl = hall_req_env(req, "CONTENT_LENGTH");
    const char *ct = req->content_type != NULL ? req->content_type : "";
    size_t clen = 0;
    struct hall_buf *b;

    if (cl != NULL && *cl != '\0') {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);

        if (*end != '\0')
            return hall_msg(req, HALL_M_REQ_FORMAT, NULL), HALL_ANSWERED;
        if (n > (unsigned long long)req->app->conf.body_max_bytes)
            return hall_msg(req, HALL_M_REQ_TOO_LARGE, NULL), HALL_ANSWERED;
        clen = (size_t)n;
    }
    if (clen == 0)
        return HALL_OK;
    if (strncasecmp(ct, "multipart/form-data", 19) == 0) {
        struct hall_mp_limits lim;
        struct fcgi_reader rd;
        const char *err, *errfield;
        int st;

        if (!(req->route->flags & HALL_R_MULTIPART))
            return hall_msg(req, HALL_M_REQ_TYPE, NULL), HALL_ANSWERED;
        lim.max_file = (size_t)req->app->conf.upload_max_bytes;
        lim.max_field = 64 * 1024;
        lim.max_parts = 32;
        hall_mp_limits_route(&lim, req->route->flags);
        /* once per worker, for its life: see core/web/req.c */
        if (mp_arena == NULL)
            mp_arena = hall_mp_arena_new((size_t)req->app->conf.body_max_bytes, lim.max_parts);
        lim.arena = mp_arena;
        lim.at_file = NULL;
        lim.at_file_arg = req;
        if (req->app->mod->at_file != NULL &&
            !(req->route->flags & (HALL_R_STAFF | HALL_R_NOSESSION)))
            lim.at_file = at_file;
        rd.in = ((FCGX_Request *)req->fcgi)->in;
        if (clen > 64 * 1024)
            fcgi_widen(req->fcgi);
        st = hall_parse_multipart(req->pool, ct, fcgi_read, &rd, clen, &lim, &req->bparams,
                                  &req->uploads, &err, &errfield);
        if (st != 0) {
            hall_resp_error(req, st, errfield, err);
            return HALL_ANSWERED;
        }
        return HALL_OK;
    }
    b = read_body(req, clen);
    if (b == NULL)
        return hall_msg(req, HALL_M_REQ_INCOMPLETE, NULL), HALL_ANSWERED;
    req->raw_body = b->data;
    req->raw_len = b->len;
    if (strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
        if (hall_parse_urlencoded(req->pool, b->data, b->len, &req->bparams, MAX_PARAMS) != HALL_OK)
            return hall_msg(req, HALL_M_REQ_FORMAT, NULL), HALL_ANSWERED;
        return HALL_OK;
    }
    if (strncasecmp(ct, "application/json", 16) == 0) {
        const struct hall_val *m;
        struct hall_json_why *why = hall_pcalloc(req->pool, sizeof(*why));
        size_t count = 0;

        req->json = hall_val_parse_why(req->pool, b->data, b->len, why);
        /* a route that takes the raw body judges it itself (the partner
         * API: its signature first, then the JSON, audited either way) */
        if ((req->json == NULL || req->json->type != HALL_V_OBJ) &&
            (req->route->flags & HALL_R_RAWBODY)) {
            req->json = NULL;
            req->json_why = why->what == HALL_JSON_NUL || why->what == HALL_JSON_DUP ? why : NULL;
            return HALL_OK;
        }
        /* a NUL in a string or a member twice: named, never cut or chosen */
        if (req->json == NULL && why->field != NULL)
            return hall_msg(req,
                            why->what == HALL_JSON_NUL ? HALL_M_REQ_JSON_NUL : HALL_M_REQ_JSON_DUP,
                            why->field, why->field),
                   HALL_ANSWERED;
        if (req->json == NULL || req->json->type != HALL_V_OBJ)
            return hall_msg(req, HALL_M_REQ_JSON, NULL), HALL_ANSWERED;
        /* scalar members double as parameters, so declarations apply to both */
        for (m = req->json->first; m != NULL; m = m->next) {
            struct hall_param *p;

            if (++count > MAX_PARAMS)
                return hall_msg(req, HALL_M_REQ_FORMAT, NULL), HALL_ANSWERED;
            if (m->type != HALL_V_STR && m->type != HALL_V_INT && m->type != HALL_V_BOOL)
                continue;
            p = hall_pcalloc(req->pool, sizeof(*p));
            p->name = m->key;
            if (m->type == HALL_V_STR)
                p->value = m->str;
            else if (m->type == HALL_V_INT)
                p->value = hall_psprintf(req->pool, "%lld", (long long)m->i);
            else
                p->value = m->i ? "true" : "false";
            p->len = strlen(p->value);
            p->next = req->bparams;
            req->bparams = p;
        }
        return HALL_OK;
    }
    /* raw_body alone, whatever the type (an OCSP request is DER) */
    if (req->route->flags & HALL_R_RAWBODY)
        return HALL_OK;
    return hall_msg(req, HALL_M_REQ_TYPE, NULL), HALL_ANSWERED;
}

/* ---- dispatch ------------------------------------------------------------ */

static int
path_match(const struct hall_route *r, const char *path)
{
    if (r->flags & HALL_R_PREFIX)
        return strncmp(path, r->path, strlen(r->path)) == 0;
    return strcmp(path, r->path) == 0;
}

static int
is_safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

int
hall_resp_login(struct hall_req *req)
{
    if (!hall_req_wants_json(req) && is_safe_method(req->method)) {
        const char *base = req->partner[0] ? hall_psprintf(req->pool, "/%s", req->partner) : "";

        return hall_resp_redirect(
            req, hall_psprintf(req->pool, "%s/login?next=%s", base,
                               hall_url_encode(req->pool,
                                               hall_psprintf(req->pool, "%s%s", base, req->path))));
    }
    return hall_msg(req, HALL_M_LOGIN_FIRST, NULL);
}

int
hall_app_dispatch(struct hall_req *req)
{
    const struct hall_route *r, *found = NULL;
    const char *bad;
    int path_seen = 0, rc;
    const char *m = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;

    /* only nginx's loopback-only metrics location sets HALL_METRICS */
    if (hall_req_env(req, "HALL_METRICS") != NULL && strcmp(req->path, "/metrics") == 0 &&
        strcmp(m, "GET") == 0)
        return hall_metrics_serve(req, hall_req_env(req, "HALL_METRICS"));
    for (r = req->app->mod->routes; r->path != NULL; r++) {
        if (!path_match(r, req->path))
            continue;
        path_seen = 1;
        if (strcmp(r->method, m) == 0) {
            found = r;
            break;
        }
    }
    /* cookies first: an error page for a bad query string must find the
     * visitor's hall_pre, or it mints a new one and every other form the
     * visitor has open fails once with 页面已过期 */
    hall_parse_cookies(req->pool, hall_req_env(req, "HTTP_COOKIE"), &req->cookies);
    if (req->query != NULL && *req->query != '\0' &&
        hall_parse_urlencoded(req->pool, req->query, strlen(req->query), &req->qparams,
                              MAX_PARAMS) != HALL_OK)
        return hall_msg(req, HALL_M_REQ_PATH, NULL);
    bad = hall_params_not_utf8(req->qparams);
    if (bad != NULL)
        return hall_msg(req, HALL_M_REQ_UTF8, bad, bad);
    if (found == NULL) {
        if (path_seen)
            return hall_msg(req, HALL_M_REQ_METHOD, NULL);
        /* the 404 page's menu: a logged-in applicant is not offered 登录/注册
         * (a failed lookup just leaves the visitor anonymous) */
        if (strncmp(req->path, "/admin", 6) != 0)
            (void)hall_session_load(req);
        return hall_msg(req, HALL_M_PAGE_NOT_FOUND, NULL);
    }
    req->route = found;
    if (!is_safe_method(req->method) && !(found->flags & HALL_R_SPOOL) &&
        parse_body(req) != HALL_OK)
        return HALL_OK;
    bad = hall_params_not_utf8(req->bparams);
    if (bad != NULL)
        return hall_msg(req, HALL_M_REQ_UTF8, bad, bad);
    /* one kind of session per route: staff routes never read the
     * applicant's cookie, applicant routes never the staff's */
    if (found->flags & HALL_R_STAFF) {
        if (hall_staff_authorize(req) != HALL_OK)
            return HALL_OK;
    } else if (!(found->flags & HALL_R_NOSESSION) &&
               (req->app->mod->session_load != NULL ? req->app->mod->session_load(req)
                                                    : hall_session_load(req)) != HALL_OK) {
        return hall_msg(req, HALL_M_BUSY, NULL);
    }
    if (!(found->flags & (HALL_R_STAFF | HALL_R_OWNED)) && req->app->mod->gate != NULL &&
        req->app->mod->gate(req) != HALL_OK)
        return HALL_OK;
    if ((found->flags & HALL_R_AUTH) && req->user_id == 0)
        return hall_resp_login(req);
    if (!is_safe_method(req->method) && !(found->flags & HALL_R_NOCSRF) &&
        ((found->flags & HALL_R_STAFF) ? hall_staff_csrf_check(req) : hall_csrf_check(req)) !=
            HALL_OK)
        return hall_msg(req, HALL_M_CSRF, NULL);
    if (check_params(req, found->params) != HALL_OK)
        return HALL_OK;
    /* the handler's outside calls, even those below the web, obey the
     * request's provider deadline and the module's cap (provider.c) */
    hall_provider_guard(req);
    rc = found->handler(req);
    hall_provider_guard(NULL);
    return rc;
}

/* one FastCGI record header (fastcgi.h's layout, built by hand: the
 * library keeps its own maker private) */
static void
record_header(FCGI_Header *h, int type, int id, size_t len)
{
    h->version = FCGI_VERSION_1;
    h->type = (unsigned char)type;
    h->requestIdB1 = (unsigned char)((id >> 8) & 0xff);
    h->requestIdB0 = (unsigned char)(id & 0xff);
    h->contentLengthB1 = (unsigned char)((len >> 8) & 0xff);
    h->contentLengthB0 = (unsigned char)(len & 0xff);
    h->paddingLength = 0;
    h->reserved = 0;
}

#define REC_MAX   65528 /* a record's content: under 64 KiB, a multiple of 8 */
#define RECS_MAX  16    /* answers up to ~1 MiB in one writev; larger ones by libfcgi */
#define PARTS_MAX 4

/*
 * The whole answer in one writev: its FCGI_STDOUT records, the empty one
 * that ends the stream and FCGI_END_REQUEST.  Through libfcgi's 8 KiB
 * stream a 16 KiB page went out as three writes, each one more wake-up of
 * nginx (docs/performance.md).  The request's input is read to its end
 * first: nginx sends the next request on a kept connection as soon as it
 * has the end of this one, and libfcgi's reader would swallow it.  Returns
 * 0 when it wrote (or failed: the connection is then closed), -1 when the
 * answer is too large for it.
 */
static int
write_whole(FCGX_Request *fr, const struct iovec *parts, int nparts)
{
    FCGI_Header heads[RECS_MAX + 1];
    FCGI_EndRequestRecord end;
    struct iovec iov[RECS_MAX * (PARTS_MAX + 1) + 2];
    size_t total = 0, left, off = 0;
    int i, n = 0, nh = 0, p = 0;
    char sink[4096];

    for (i = 0; i < nparts; i++)
        total += parts[i].iov_len;
    if ((total + REC_MAX - 1) / REC_MAX > RECS_MAX)
        return -1;
    while (FCGX_GetStr(sink, (int)sizeof(sink), fr->in) > 0)
        ;
    for (left = total; left > 0;) {
        size_t rec = left < REC_MAX ? left : REC_MAX;

        record_header(&heads[nh], FCGI_STDOUT, fr->requestId, rec);
        iov[n].iov_base = &heads[nh++];
        iov[n++].iov_len = sizeof(FCGI_Header);
        left -= rec;
        while (rec > 0) { /* the parts' bytes that fill this record */
            size_t take = parts[p].iov_len - off;

            if (take > rec)
                take = rec;
            if (take > 0) {
                iov[n].iov_base = (char *)parts[p].iov_base + off;
                iov[n++].iov_len = take;
            }
            off += take;
            rec -= take;
            if (off == parts[p].iov_len)
                p++, off = 0;
        }
    }
    record_header(&heads[nh], FCGI_STDOUT, fr->requestId, 0);
    iov[n].iov_base = &heads[nh];
    iov[n++].iov_len = sizeof(FCGI_Header);
    memset(&end, 0, sizeof(end));
    record_header(&end.header, FCGI_END_REQUEST, fr->requestId, sizeof(end.body));
    end.body.protocolStatus = FCGI_REQUEST_COMPLETE;
    iov[n].iov_base = &end;
    iov[n++].iov_len = sizeof(end);
    for (i = 0; i < n;) {
        ssize_t w = writev(fr->ipcFd, iov + i, n - i);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            fr->out->FCGI_errno = errno; /* FCGX_Finish_r closes it then */
            break;
        }
        while (i < n && (size_t)w >= iov[i].iov_len)
            w -= (ssize_t)iov[i++].iov_len;
        if (i < n) {
            iov[i].iov_base = (char *)iov[i].iov_base + w;
            iov[i].iov_len -= (size_t)w;
        }
    }
    /* written: libfcgi's close must not end the stream a second time */
    fr->out->wasFCloseCalled = 1;
    fr->out->isClosed = 1;
    return 0;
}

/*
 * The reason phrase of a status (RFC 9110 15).  The Status header is a code
 * and its phrase (RFC 3875 6.3.3), and nginx copies it into the status line
 * as it comes: "Status: 200" would make "HTTP/1.1 200", a line without the
 * space after the code that RFC 9112 4 requires, which NSS's own HTTP
 * client refuses (pkix_pl_httpdefaultclient.c), so that pdfsig would never
 * read an OCSP answer of the hall (docs/modules/ocsp.md, "Clients").
 */
static const char *
reason_phrase(int status)
{
    static const struct {
        int code;
        const char *text;
    } phrases[] = {
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {406, "Not Acceptable"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {410, "Gone"},
        {411, "Length Required"},
        {412, "Precondition Failed"},
        {413, "Content Too Large"},
        {415, "Unsupported Media Type"},
        {416, "Range Not Satisfiable"},
        {422, "Unprocessable Content"},
        {423, "Locked"},
        {428, "Precondition Required"},
        {429, "Too Many Requests"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    size_t i;

    for (i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
        if (phrases[i].code == status)
            return phrases[i].text;
    /* a code of no table: its class (RFC 9110 15) */
    return status < 200   ? "Informational"
           : status < 300 ? "Successful"
           : status < 400 ? "Redirection"
           : status < 500 ? "Client Error"
                          : "Server Error";
}

/* "PREFIX<n>SUFFIX" into out (64 bytes), without printf: its length */
static size_t
put_num(char *out, const char *prefix, unsigned long long n, const char *suffix)
{
    char digits[24];
    size_t len = 0, d = 0, pl = strlen(prefix), sl = strlen(suffix);

    do {
        digits[d++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    if (pl + d + sl >= 64)
        return 0;
    memcpy(out, prefix, pl);
    len = pl;
    while (d > 0)
        out[len++] = digits[--d];
    memcpy(out + len, suffix, sl);
    return len + sl;
}

static void
write_response(struct hall_req *req)
{
    FCGX_Request *fr = req->fcgi;
    int head = strcmp(req->method, "HEAD") == 0;
    struct iovec parts[PARTS_MAX];
    char status[64], length[64];
    const char *phrase;
    size_t n;
    int np = 0;

    /* by hand: two snprintf were a tenth of an OCSP answer's instructions
     * (bench/ocsp-instr); the longest phrase is 25 bytes.  A 200 goes
     * without: nginx makes an answer without a Status header "200 OK"
     * (RFC 3875 6.3.3), one header less for it to parse */
    n = 0;
    if (req->status != 200) {
        phrase = reason_phrase(req->status);
        n = put_num(status, "Status: ", (unsigned)req->status, " ");
        if (n + strlen(phrase) + 2 < sizeof(status)) {
            memcpy(status + n, phrase, strlen(phrase));
            n += strlen(phrase);
        }
        memcpy(status + n, "\r\n", 2);
        n += 2;
    }
    parts[np].iov_base = status;
    parts[np++].iov_len = n;
    parts[np].iov_base = req->headers.data;
    parts[np++].iov_len = req->headers.data != NULL ? req->headers.len : 0;
    parts[np].iov_base = length;
    parts[np++].iov_len = put_num(length, "Content-Length: ", req->body.len, "\r\n\r\n");
    parts[np].iov_base = req->body.data;
    parts[np++].iov_len = !head && req->body.data != NULL ? req->body.len : 0;
    if (write_whole(fr, parts, np) == 0)
        return;
    for (np = 0; np < PARTS_MAX; np++)
        if (parts[np].iov_len > 0)
            FCGX_PutStr(parts[np].iov_base, (int)parts[np].iov_len, fr->out);
}

/*
 * Left alone, FCGX_Finish_r shuts the connection down and then waits (up
 * to 2 s) until nginx closes its end, so that unread input cannot make the
 * kernel reset the connection under the answer; meanwhile this worker
 * accepts nothing.  Once the request has been read to its end nothing is
 * unread, so the worker reads what a handler left (the empty record that
 * ends FCGI_STDIN, or a body an early answer did not need; nginx buffers
 * whole bodies, so this never waits on a client) and closes at once.
 */
static void
finish(FCGX_Request *fr)
{
    char sink[4096];

    while (FCGX_GetStr(sink, (int)sizeof(sink), fr->in) > 0)
        ;
    FCGX_Detach(fr);
    FCGX_Finish_r(fr);
}

/* a page's form token: the staff session's on a staff route that has one,
 * else the applicant's (or the anonymous visitor's) */
static const char *
csrf_token_of(struct hall_req *req)
{
    return req->staff != NULL ? hall_staff_csrf_token(req) : hall_csrf_token(req);
}

/* the store's context of one piece of work of this program */
static struct hall_ctx *
work_ctx(struct hall_app *app, struct hall_pool *pool, const char *request_id,
         const char *remote_addr)
{
    struct hall_ctx *cx = hall_pcalloc(pool, sizeof(*cx));

    cx->pool = pool;
    cx->store = &app->store;
    cx->conf = &app->conf;
    cx->request_id = request_id;
    cx->remote_addr = remote_addr;
    return cx;
}

int
hall_app_store_init(struct hall_app *app)
{
    static const struct hall_stmt *tables[64];
    const struct hall_stmt *const *t;
    size_t n = 0;

    for (t = app->mod->core_stmts; t != NULL && *t != NULL; t++) {
        if (n + 2 >= sizeof(tables) / sizeof(tables[0]))
            return HALL_ERR;
        tables[n++] = *t;
    }
    if (app->mod->stmts != NULL)
        tables[n++] = app->mod->stmts;
    tables[n] = NULL;
    app->store.conf = &app->conf;
    app->store.tables = tables;
    return HALL_OK;
}

/*
 * The answer contract.  A handler, and every helper below it, answers what
 * it decided (a page, a refusal, a redirect) and returns HALL_OK, or
 * HALL_ANSWERED where the answer is a refusal its caller must stop at; a
 * failure of the store is not answered where it happens: the function
 * returns HALL_ERR, and so does each caller up to the handler.  Here, once: a
 * transaction still open is rolled back (an error answered inside one
 * leaves it to this; a success that left one open is a handler's mistake,
 * logged); a request without an answer gets 503 when the store failed it
 * (hall_resp_busy: the write's fate, when unknown, and its keys) and 500
 * otherwise (a mistake of the hall, logged).
 */
void
hall_app_finish(struct hall_req *req, int rc)
{
    if (req->cx->in_tx) {
        if (req->responded && req->status < 400)
            hall_err(req, "msg=\"transaction left open\" path=%s", req->path);
        hall_db_rollback(req->cx);
    }
    if (req->responded)
        return;
    if (rc == HALL_ANSWERED)
        hall_err(req, "msg=\"HALL_ANSWERED without an answer\" path=%s", req->path);
    hall_buf_reset(&req->headers);
    /* a unique violation left unanswered is the store's refusal too */
    if (req->cx->store_failed || hall_db_fate_unknown(req->cx) || req->cx->sqlstate[0] != '\0') {
        hall_resp_busy(req);
        return;
    }
    hall_err(req, "msg=\"handler gave no answer\" path=%s rc=%d", req->path, rc);
    hall_msg(req, HALL_M_INTERNAL, NULL);
}

static void
serve_one(struct hall_app *app, FCGX_Request *fr)
{
    struct hall_pool *pool = hall_pool_create(16 * 1024);
    struct hall_req *req = hall_pcalloc(pool, sizeof(*req));
    const char *hp;
    double t0 = now_ms();
    int rc;

    req->pool = pool;
    req->app = app;
    req->fcgi = fr;
    req->t0_ms = t0;
    /* copies: FCGX_Finish_r frees the parameters, and the access line is
     * written after it */
    req->method = hall_pstrdup(pool, hall_req_env(req, "REQUEST_METHOD") ?: "GET");
    hp = hall_req_env(req, "HALL_PATH");
    req->path = hp != NULL ? (*hp != '\0' ? hp : "/") : hall_req_env(req, "DOCUMENT_URI");
    req->path = hall_pstrdup(pool, req->path != NULL ? req->path : "/");
    req->query = hall_req_env(req, "QUERY_STRING");
    req->partner = hall_req_env(req, "HALL_PARTNER");
    if (req->partner == NULL)
        req->partner = "";
    req->request_id = hall_req_env(req, "REQUEST_ID");
    if (req->request_id != NULL)
        req->request_id = hall_pstrdup(pool, req->request_id);
    req->remote_addr = hall_req_env(req, "REMOTE_ADDR");
    req->cx = work_ctx(app, pool, req->request_id, req->remote_addr);
    req->csrf = csrf_token_of;
    req->content_type = hall_req_env(req, "CONTENT_TYPE");
    req->accept = hall_req_env(req, "HTTP_ACCEPT");
    req->status = 200;
    hall_buf_init(&req->headers, 16 * 1024);
    hall_buf_pool(&req->headers, pool);
    hall_buf_init(&req->body, 8 * 1024 * 1024);
    hall_buf_pool(&req->body, pool);

    rc = hall_app_dispatch(req);
    hall_app_finish(req, rc);
    write_response(req);
    if (!app->keep_conn)
        finish(fr);
    hall_metrics_request(req, now_ms() - t0);
    /* the path is logged without the query string: it may carry codes */
    hall_log(req->route != NULL && (req->route->flags & HALL_R_QUIETLOG) && req->status < 500
                 ? HALL_LOG_DEBUG
                 : HALL_LOG_INFO,
             req->request_id, "method=%s path=%.200s status=%d dur_ms=%.2f mem=%zu", req->method,
             req->path, req->status, now_ms() - t0, hall_pool_used(pool));
    hall_pool_destroy(pool);
}

/* ---- processes ------------------------------------------------------------ */

/* A worker ends by _exit, which skips LeakSanitizer's check at exit: under
 * --enable-sanitizers it runs here, so that what its requests lost is
 * reported in its log (script/test counts that as a failure).  SIGTERM is
 * blocked first: its handler ends here too, and a check entered again
 * from it waits forever on the lock the first one holds. */
static void
worker_exit(void)
{
#if defined(__SANITIZE_ADDRESS__)
    sigset_t term;

    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigaddset(&term, SIGINT);
    sigprocmask(SIG_BLOCK, &term, NULL);
    __lsan_do_recoverable_leak_check();
#endif
    _exit(0);
}

static void
on_term_worker(int sig)
{
    (void)sig;
    stop_flag = 1;
    if (!in_request) {
        hall_file_discard_drain();
        worker_exit();
    }
}

static void
on_term_master(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void
on_chld(int sig)
{
    (void)sig;
}

static void
worker_run(struct hall_app *app, int sock)
{
    struct sigaction sa;
    FCGX_Request fr;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term_worker;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    /* a master killed between the fork and the line above sent nothing:
     * such a worker never serves (it would hold the keys and the token's
     * session of a hall that was meant to stop, issue 63 §7) */
    if (getppid() != master_pid)
        _exit(0);
    {
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
    }
    /* each request's pool is freed whole after the answer: glibc then gave
     * the top of the heap back to the kernel (brk) and faulted it in again
     * for the next request, 13 % of the order list's worker time (perf,
     * docs/performance.md).  The worker keeps its high-water mark instead,
     * which stays flat (bench/run's memory phase). */
    mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    hall_metrics_worker_started();
    if (hall_store_connect(&app->store) != HALL_OK)
        hall_log(HALL_LOG_WARN, NULL, "msg=\"no database yet; will retry per request\"");
    if (app->keep_conn) {
        hall_kept_serve(app, sock, serve_one, &stop_flag, &in_request);
        hall_file_discard_flush();
        worker_exit();
    }
    FCGX_InitRequest(&fr, sock, 0);
    while (!stop_flag) {
        if (FCGX_Accept_r(&fr) < 0)
            break;
        if (hall_worker_orphaned(&fr))
            break;
        in_request = 1;
        serve_one(app, &fr);
        in_request = 0;
        app->served++;
        if (app->conf.max_requests > 0 && app->served >= (unsigned long)app->conf.max_requests)
            break;
    }
    hall_file_discard_flush();
    worker_exit();
}

static pid_t
prefork_spawn(struct hall_app *app, const struct hall_prefork *pf, int slot)
{
    pid_t pid = fork();

    if (pid == 0) {
        pf->run(app, slot, pf->arg);
        _exit(0);
    }
    return pid;
}

static void
usage(const char *argv0)
{
    fprintf(stderr, "usage: %s -c CONFIG -s SOCKET [-w WORKERS]\n", argv0);
}

int
hall_tool_start(int argc, char **argv, struct hall_app *app, void (*say_usage)(void),
                const char **cmd)
{
    const char *conf_path = NULL, *errmsg, *name = app->mod->name;
    char err[512];
    int opt;

    while ((opt = getopt(argc, argv, "c:h")) != -1) {
        if (opt != 'c') {
            say_usage();
            return 2;
        }
        conf_path = optarg;
    }
    if (conf_path == NULL || optind >= argc) {
        say_usage();
        return 2;
    }
    *cmd = argv[optind];
    if (hall_conf_load(&app->conf, conf_path, &errmsg) != HALL_OK) {
        fprintf(stderr, "hall-%s: config: %s\n", name, errmsg);
        return 1;
    }
    hall_log_init(name, HALL_LOG_WARN);
    /* a wrong key file shows here, not later in a module */
    if (hall_crypto_init(app->conf.key_file, app->conf.pki_pass_file, err, sizeof(err)) !=
        HALL_OK) {
        fprintf(stderr, "hall-%s: %s\n", name, err);
        return 1;
    }
    if (hall_app_store_init(app) != HALL_OK) {
        fprintf(stderr, "hall-%s: too many statement tables\n", name);
        return 1;
    }
    return 0;
}

struct hall_req *
hall_app_req(struct hall_app *app, struct hall_pool *pool, const char *request_id)
{
    struct hall_req *req = hall_pcalloc(pool, sizeof(*req));

    req->pool = pool;
    req->app = app;
    req->partner = "";
    req->path = "";
    req->request_id = request_id;
    req->cx = work_ctx(app, pool, request_id, NULL);
    req->csrf = csrf_token_of;
    return req;
}

struct hall_req *
hall_tool_req(struct hall_app *app)
{
    struct hall_pool *pool;
    struct hall_req *req;

    if (hall_store_connect(&app->store) != HALL_OK) {
        fprintf(stderr, "hall-%s: cannot connect to the database (have the migrations run?)\n",
                app->mod->name);
        return NULL;
    }
    pool = hall_pool_create(8192);
    req = hall_app_req(app, pool, app->mod->name);
    req->method = "CLI";
    return req;
}

void
hall_master_signals(void (*term)(int), void (*chld)(int), sigset_t *old)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = chld;
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, old);
}

/*
 * The prefork master every program of the hall runs (the FastCGI modules'
 * workers, hall-outbox's lanes): forks pf->n children, each pf->run(app,
 * slot, arg) (which never returns), replaces one that dies (waiting a
 * second when they keep dying at once, so that a broken one does not spin
 * the machine), and on SIGTERM or SIGINT sends each SIGTERM and waits for
 * it.  The master's signals are set here (hall_master_signals).
 */
void
hall_prefork(struct hall_app *app, const struct hall_prefork *pf)
{
    pid_t pids[MAX_WORKERS];
    time_t last_spawn = 0;
    int quick_spawns = 0, i, n = pf->n > MAX_WORKERS ? MAX_WORKERS : pf->n;
    sigset_t old;

    hall_master_signals(on_term_master, on_chld, &old);
    master_pid = getpid();
    hall_worker_master_set(master_pid);
    for (i = 0; i < n; i++)
        pids[i] = prefork_spawn(app, pf, i);
    while (!stop_flag) {
        pid_t dead;
        int status;

        sigsuspend(&old);
        while ((dead = waitpid(-1, &status, WNOHANG)) > 0) {
            for (i = 0; i < n; i++) {
                if (pids[i] != dead)
                    continue;
                if (WIFSIGNALED(status))
                    hall_log(HALL_LOG_WARN, NULL, "msg=\"worker died\"%s%s pid=%d signal=%d",
                             pf->slot_name != NULL ? " lane=" : "",
                             pf->slot_name != NULL ? pf->slot_name(i, pf->arg) : "", (int)dead,
                             WTERMSIG(status));
                if (pf->reaped != NULL)
                    pf->reaped(app, dead);
                if (stop_flag)
                    break;
                if (time(NULL) - last_spawn < 1 && ++quick_spawns > 10)
                    sleep(1);
                else if (time(NULL) - last_spawn >= 1)
                    quick_spawns = 0;
                last_spawn = time(NULL);
                pids[i] = prefork_spawn(app, pf, i);
            }
        }
    }
    for (i = 0; i < n; i++)
        kill(pids[i], SIGTERM);
    for (i = 0; i < n; i++)
        waitpid(pids[i], NULL, 0);
}

/* a FastCGI module's worker: serves requests on the socket (arg) */
static void
fcgi_worker(struct hall_app *app, int slot, void *arg)
{
    (void)slot;
    worker_run(app, *(int *)arg);
}

/* a provider slot a dead worker held is free again */
static void
fcgi_reaped(struct hall_app *app, pid_t pid)
{
    hall_provider_slots_reap(app, (long)pid);
}

int
hall_main(int argc, char **argv, const struct hall_module *mod)
{
    static struct hall_app app;
    struct hall_prefork pf;
    const char *conf_path = NULL, *errmsg = NULL;
    char err[512];
    long workers = -1;
    int opt, sock;
    enum hall_log_level lvl = HALL_LOG_INFO;

    app.mod = mod;
    while ((opt = getopt(argc, argv, "c:s:w:h")) != -1) {
        switch (opt) {
        case 'c': conf_path = optarg; break;
        case 's': app.socket_path = optarg; break;
        case 'w': workers = strtol(optarg, NULL, 10); break;
        default: usage(argv[0]); return 2;
        }
    }
    if (app.socket_path == NULL) {
        usage(argv[0]);
        return 2;
    }
    if (hall_conf_load(&app.conf, conf_path, &errmsg) != HALL_OK) {
        fprintf(stderr, "level=err mod=%s msg=\"config: %s\"\n", mod->name, errmsg);
        return 1;
    }
    if (workers > 0)
        app.conf.workers = workers > MAX_WORKERS ? MAX_WORKERS : workers;
    lvl = hall_log_level_of(app.conf.log_level);
    hall_log_init(mod->name, lvl);
    if (hall_crypto_init(app.conf.key_file, app.conf.pki_pass_file, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return 1;
    }
    app.tmpl = hall_tmpl_load(app.conf.template_dir, err, sizeof(err));
    if (app.tmpl == NULL) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return 1;
    }
    if (hall_app_store_init(&app) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"too many statement tables\"");
        return 1;
    }
    if (hall_store_key_check(&app.store) != HALL_OK)
        return HALL_EXIT_CONFIG;
    if (hall_asset_version(app.conf.static_dir, app.asset_v, sizeof(app.asset_v)) != HALL_OK) {
        /* the pages still work; their static URLs then change at each start */
        snprintf(app.asset_v, sizeof(app.asset_v), "t%lx", (unsigned long)time(NULL));
        hall_log(HALL_LOG_WARN, NULL, "msg=\"cannot read static_dir\" dir=%s", app.conf.static_dir);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (mod->init != NULL && mod->init(&app) != HALL_OK)
        return 1;
    if (FCGX_Init() != 0)
        return 1;
    unlink(app.socket_path);
    {
        mode_t um = umask(0);

        /* nginx's workers may run as another user: the socket is loopback-only */
        sock = FCGX_OpenSocket(app.socket_path, 256);
        umask(um);
    }
    if (sock < 0) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"cannot listen\" socket=%s", app.socket_path);
        return 1;
    }
    chmod(app.socket_path, 0666);

    if (hall_provider_slots_init(&app) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"cannot map the provider slots\"");
        return 1;
    }
    if (hall_metrics_init() != HALL_OK)
        hall_log(HALL_LOG_WARN, NULL, "msg=\"no shared memory for metrics; /metrics is empty\"");
    {
        /* the store and the HTTP client tell the metrics what they see */
        static const struct hall_store_hooks hooks = {hall_metrics_db_error,
                                                      hall_metrics_db_reconnect};

        hall_store_watch(&hooks);
        hall_http_observe(hall_metrics_provider);
    }
    hall_log(HALL_LOG_INFO, NULL, "msg=started socket=%s workers=%ld", app.socket_path,
             app.conf.workers);
    memset(&pf, 0, sizeof(pf));
    pf.n = (int)app.conf.workers;
    pf.run = fcgi_worker;
    pf.reaped = fcgi_reaped;
    pf.arg = &sock;
    hall_prefork(&app, &pf);
    unlink(app.socket_path);
    hall_log(HALL_LOG_INFO, NULL, "msg=stopped");
    hall_tmpl_free(app.tmpl);
    hall_conf_free(&app.conf);
    curl_global_cleanup();
    return 0;
}
