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
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/base.h"

#define MAX_RESPONSE (1024 * 1024)
#define MAX_HANDLES  16
#define MAX_KEY      200

struct handle {
    char key[MAX_KEY];
    CURL *curl;
};

static struct handle handles[MAX_HANDLES];

/* who counts each call (core/web's metrics), NULL for no one */
static void (*observer)(const char *provider, double ms, int ok);

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

int
hall_http_post_json(struct hall_pool *pool, const char *url, const char *body, const char *idem_key,
                    long connect_ms, long total_ms, struct hall_http_resp *out)
{
    struct curl_slist *hdrs = NULL;
    struct timespec t0, t1;
    struct hall_buf b;
    CURLcode rc;
    CURL *c, *own = NULL;

    memset(out, 0, sizeof(*out));
    c = handle_get(url);
    if (c == NULL) {
        /* more providers than handles: a handle for this call only */
        c = own = curl_easy_init();
        if (c == NULL)
            return HALL_ERR;
    }
    hall_buf_init(&b, MAX_RESPONSE);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    if (idem_key != NULL)
        hdrs = curl_slist_append(hdrs, hall_psprintf(pool, "Idempotency-Key: %s", idem_key));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = curl_easy_perform(c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        out->body = hall_pstrndup(pool, b.data != NULL ? b.data : "", b.len);
        out->len = b.len;
    } else {
        out->error = hall_pstrdup(pool, curl_easy_strerror(rc));
        out->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    }
    /* /metrics: latency and failures per provider (the path's first segment) */
    if (observer != NULL)
        observer(provider_name(pool, url),
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
                 rc == CURLE_OK && out->status >= 200 && out->status < 300);
    hall_buf_free(&b);
    /* the handle keeps no pointer into this call's memory */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    if (own != NULL)
        curl_easy_cleanup(own);
    return rc == CURLE_OK ? HALL_OK : HALL_ERR;
}

int
hall_http_call(struct hall_pool *pool, const char *provider, const char *url,
               const char *const *headers, const char *body, size_t len, long connect_ms,
               long total_ms, struct hall_http_resp *out)
{
    struct curl_slist *hdrs = NULL;
    struct timespec t0, t1;
    struct hall_buf b;
    CURLcode rc;
    CURL *c, *own = NULL;
    size_t i;

    memset(out, 0, sizeof(*out));
    c = handle_get(url);
    if (c == NULL) {
        c = own = curl_easy_init();
        if (c == NULL)
            return HALL_ERR;
    }
    hall_buf_init(&b, MAX_RESPONSE);
    /* no header of curl's own that the caller did not name (a signature
     * covers what is sent) */
    hdrs = curl_slist_append(hdrs, "Content-Type:");
    hdrs = curl_slist_append(hdrs, "Expect:");
    hdrs = curl_slist_append(hdrs, "Accept:");
    for (i = 0; headers != NULL && headers[i] != NULL; i++)
        hdrs = curl_slist_append(hdrs, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body != NULL ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body != NULL ? len : 0));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = curl_easy_perform(c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        out->body = hall_pstrndup(pool, b.data != NULL ? b.data : "", b.len);
        out->len = b.len;
    } else {
        out->error = hall_pstrdup(pool, curl_easy_strerror(rc));
        out->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    }
    if (observer != NULL)
        observer(provider,
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
                 rc == CURLE_OK && out->status >= 200 && out->status < 300);
    hall_buf_free(&b);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    if (own != NULL)
        curl_easy_cleanup(own);
    return rc == CURLE_OK ? HALL_OK : HALL_ERR;
}
