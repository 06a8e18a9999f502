/*
 * libcurl client for the outside services, with connect and total timeouts.
 *
 * Each process keeps one curl handle per provider (scheme, host, port and
 * the first path segment: "/carrier", "/sms", "/bank" ...), reset and
 * reused for every call, so its connection to that provider stays open
 * between requests instead of a new TCP connection per call.  Handles are
 * made on first use, in the worker (never in a master before fork).
 */
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/base.h"

#define MAX_RESPONSE (1024 * 1024)
#define MAX_HANDLES  16
#define MAX_KEY      200
#define MAX_HEADERS  (64 * 1024)

struct handle {
    char key[MAX_KEY];
    CURL *curl;
};

static struct handle handles[MAX_HANDLES];

/* who limits the calls of the work at hand (core/web), NULL for no one */
static const struct hall_http_guard *guard;

void
hall_http_guard_set(const struct hall_http_guard *g)
{
    guard = g;
}

int
hall_http_guard_enter(long *connect_ms, long *total_ms, const char **error)
{
    const struct hall_http_guard *g = guard;

    return g != NULL ? g->enter(g->ud, connect_ms, total_ms, error) : HALL_OK;
}

void
hall_http_guard_leave(void)
{
    const struct hall_http_guard *g = guard;

    if (g != NULL)
        g->leave(g->ud);
}

/* who counts each call (core/web's metrics), NULL for no one */
static void (*observer)(const char *provider, double ms, int ok);

void
hall_http_observed(const char *provider, double ms, int ok)
{
    if (observer != NULL)
        observer(provider, ms, ok);
}

void
hall_http_observe(void (*fn)(const char *provider, double ms, int ok))
{
    observer = fn;
}

static size_t
on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    struct hall_buf *b = ud;

    if (hall_buf_add(b, p, size * nmemb) != HALL_OK)
        return 0; /* too large: curl aborts the transfer */
    return size * nmemb;
}

/* "http://host:port/first" of url: which provider a call goes to */
static void
provider_key(const char *url, char *key, size_t n)
{
    const char *p = strstr(url, "://"), *slash;
    size_t len;

    p = p != NULL ? p + 3 : url;
    slash = strchr(p, '/');
    if (slash != NULL) {
        const char *next = strpbrk(slash + 1, "/?");

        len = (size_t)((next != NULL ? next : slash + strlen(slash)) - url);
    } else {
        len = strlen(url);
    }
    if (len >= n)
        len = n - 1;
    memcpy(key, url, len);
    key[len] = '\0';
}

/* the process's handle for url's provider, reset; NULL when none is left */
static CURL *
handle_get(const char *url)
{
    char key[MAX_KEY];
    int i;

    provider_key(url, key, sizeof(key));
    for (i = 0; i < MAX_HANDLES && handles[i].curl != NULL; i++)
        if (strcmp(handles[i].key, key) == 0) {
            /* options back to defaults; the connection cache stays */
            curl_easy_reset(handles[i].curl);
            return handles[i].curl;
        }
    if (i == MAX_HANDLES)
        return NULL;
    handles[i].curl = curl_easy_init();
    if (handles[i].curl == NULL)
        return NULL;
    memcpy(handles[i].key, key, sizeof(key));
    return handles[i].curl;
}

/* "sms" of http://host:port/sms/send: the provider a call goes to */
static const char *
provider_name(struct hall_pool *pool, const char *url)
{
    const char *p = strstr(url, "://"), *end;

    if (p == NULL)
        return NULL;
    p = strchr(p + 3, '/');
    if (p == NULL)
        return NULL;
    p++;
    end = p + strcspn(p, "/?#");
    if (end == p || end - p > 24)
        return NULL;
    return hall_pstrndup(pool, p, (size_t)(end - p));
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    struct hall_buf *b = ud;
    size_t n = size * nmemb;

    /* a new status line (after a 100 Continue or a redirect): only the
     * final answer's headers are kept */
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
        hall_buf_reset(b);
    if (hall_buf_add(b, p, n) != HALL_OK)
        return 0;
    return n;
}

/* the caller's addr_ok before each socket of a call that has one */
struct addr_check {
    const struct hall_http_call *call;
    struct hall_http_resp *out;
};

static curl_socket_t
open_checked(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct addr_check *ck = ud;

    (void)purpose;
    if (!ck->call->addr_ok(&a->addr, ck->call->addr_arg)) {
        ck->out->addr_refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

int
hall_http_call(struct hall_pool *pool, const struct hall_http_call *call,
               struct hall_http_resp *out)
{
    struct addr_check ck = {call, out};
    struct curl_slist *hdrs = NULL;
    struct timespec t0, t1;
    struct hall_buf b, h;
    const char *const *x;
    const struct hall_http_guard *g = guard;
    long connect_ms, total_ms;
    CURLcode rc;
    CURL *c, *own = NULL;

    memset(out, 0, sizeof(*out));
    connect_ms = call->connect_ms;
    total_ms = call->total_ms;
    if (g != NULL && g->enter(g->ud, &connect_ms, &total_ms, &out->error) != HALL_OK) {
        out->timed_out = 1;
        return HALL_ERR;
    }
    c = handle_get(call->url);
    if (c == NULL) {
        /* more providers than handles: a handle for this call only */
        c = own = curl_easy_init();
        if (c == NULL) {
            if (g != NULL)
                g->leave(g->ud);
            return HALL_ERR;
        }
    }
    hall_buf_init(&b, MAX_RESPONSE);
    hall_buf_init(&h, MAX_HEADERS);
    if (call->content_type != NULL)
        hdrs = curl_slist_append(hdrs, hall_psprintf(pool, "Content-Type: %s", call->content_type));
    else if (call->bare)
        hdrs = curl_slist_append(hdrs, "Content-Type:");
    if (call->bare)
        hdrs = curl_slist_append(hdrs, "Accept:");
    /* no "Expect: 100-continue" round trip before a larger body */
    hdrs = curl_slist_append(hdrs, "Expect:");
    for (x = call->headers; x != NULL && *x != NULL; x++)
        hdrs = curl_slist_append(hdrs, *x);
    curl_easy_setopt(c, CURLOPT_URL, call->url);
    if (strcmp(call->method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->body != NULL ? call->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(call->body != NULL ? call->body_len : 0));
        if (strcmp(call->method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call->method);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    if (call->addr_ok != NULL) {
        curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_checked);
        curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &ck);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = curl_easy_perform(c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        out->body = hall_pstrndup(pool, b.data != NULL ? b.data : "", b.len);
        out->len = b.len;
        out->headers = hall_pstrndup(pool, h.data != NULL ? h.data : "", h.len);
    } else {
        out->error = hall_pstrdup(pool, curl_easy_strerror(rc));
        out->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    }
    /* /metrics: latency and failures per provider (the path's first segment) */
    if (observer != NULL)
        observer(call->provider != NULL ? call->provider : provider_name(pool, call->url),
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
                 rc == CURLE_OK && out->status >= 200 && out->status < 300);
    hall_buf_free(&b);
    hall_buf_free(&h);
    /* the handle keeps no pointer into this call's memory */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, NULL);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, NULL);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, NULL);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, NULL);
    curl_slist_free_all(hdrs);
    if (own != NULL)
        curl_easy_cleanup(own);
    if (g != NULL)
        g->leave(g->ud);
    return rc == CURLE_OK ? HALL_OK : HALL_ERR;
}

const char *
hall_http_header(struct hall_pool *pool, const struct hall_http_resp *r, const char *name)
{
    size_t n = strlen(name);
    const char *p = r->headers, *v, *end;

    while (p != NULL && *p != '\0') {
        end = strchr(p, '\n');
        if (end == NULL)
            end = p + strlen(p);
        if ((size_t)(end - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            v = p + n + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
            return hall_pstrndup(pool, v, (size_t)(end - v));
        }
        p = *end != '\0' ? end + 1 : end;
    }
    return NULL;
}

int
hall_http_post_json(struct hall_pool *pool, const char *url, const char *body, const char *idem_key,
                    long connect_ms, long total_ms, struct hall_http_resp *out)
{
    const char *hdrs[2] = {NULL, NULL};
    struct hall_http_call call;

    if (idem_key != NULL)
        hdrs[0] = hall_psprintf(pool, "Idempotency-Key: %s", idem_key);
    memset(&call, 0, sizeof(call));
    call.method = "POST";
    call.url = url;
    call.content_type = "application/json";
    call.body = body;
    call.body_len = body != NULL ? strlen(body) : 0;
    call.headers = hdrs;
    call.connect_ms = connect_ms;
    call.total_ms = total_ms;
    return hall_http_call(pool, &call, out);
}
