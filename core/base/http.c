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

#include "hall.h"

#define MAX_RESPONSE (1024 * 1024)
#define MAX_HANDLES  16
#define MAX_KEY      200
/* longest wait for a free provider slot */
#define SLOT_WAIT_MS 250

struct handle {
    char key[MAX_KEY];
    CURL *curl;
};

static struct handle handles[MAX_HANDLES];

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
    hall_metrics_provider(provider_name(pool, url),
                          (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                              (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
                          rc == CURLE_OK && out->status >= 200 && out->status < 300);
    hall_buf_free(&b);
    /* the handle keeps no pointer into this call's memory */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    if (own != NULL)
        curl_easy_cleanup(own);
    return rc == CURLE_OK ? HALL_OK : HALL_ERR;
}

/* ---- the cap on workers waiting on providers ------------------------------ */

int
hall_provider_slots_init(struct hall_app *app)
{
    long n = app->conf.provider_max_calls;
    void *m;

    if (n <= 0)
        n = app->conf.workers / 2 > 0 ? app->conf.workers / 2 : 1;
    if (n > app->conf.workers)
        n = app->conf.workers;
    m = mmap(NULL, sizeof(long) * (size_t)n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
             0);
    if (m == MAP_FAILED)
        return HALL_ERR;
    memset(m, 0, sizeof(long) * (size_t)n);
    app->provider_slots = m;
    app->provider_nslots = n;
    return HALL_OK;
}

void
hall_provider_slots_reap(struct hall_app *app, long pid)
{
    long i, dead;

    for (i = 0; i < app->provider_nslots; i++) {
        dead = pid;
        __atomic_compare_exchange_n(&app->provider_slots[i], &dead, 0L, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE);
    }
}

/* a free slot taken for this process; -1 when all are taken */
static long
slot_take(struct hall_app *app)
{
    long i, me = (long)getpid();

    for (i = 0; i < app->provider_nslots; i++) {
        long free_slot = 0;

        if (__atomic_compare_exchange_n(&app->provider_slots[i], &free_slot, me, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return i;
    }
    return -1;
}

static double
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

struct hall_val *
hall_provider_call(struct hall_req *req, const char *path, const struct hall_val *body,
                   const char *idem_key)
{
    const struct hall_conf *conf = &req->app->conf;
    struct hall_http_resp r;
    size_t n;
    char err[64];
    const char *json = hall_val_json(req->pool, body, &n);
    struct hall_val *v;
    long slot = -1, left, total, connect;
    int rc;

    req->provider_fault = HALL_PROV_DOWN;
    if (json == NULL)
        return NULL;
    /* what is left of the request's budget for outside services */
    if (req->t0_ms <= 0)
        req->t0_ms = mono_ms();
    left = conf->provider_deadline_ms - (long)(mono_ms() - req->t0_ms);
    if (left < 50) {
        hall_warn(req, "msg=\"provider deadline passed\" path=%s", path);
        req->provider_fault = HALL_PROV_TIMEOUT;
        return NULL;
    }
    total = conf->http_total_ms < left ? conf->http_total_ms : left;
    connect = conf->http_connect_ms < total ? conf->http_connect_ms : total;
    if (req->app->provider_slots != NULL) {
        /* a short wait for a slot: under load calls to a healthy provider
         * take a millisecond and slots free up at once; when the provider
         * hangs, a worker is given back to the pages after SLOT_WAIT_MS */
        double until = mono_ms() + (SLOT_WAIT_MS < left ? SLOT_WAIT_MS : left);

        while ((slot = slot_take(req->app)) < 0 && mono_ms() < until)
            usleep(1000);
        if (slot < 0) {
            hall_warn(req, "msg=\"provider calls at their cap\" path=%s cap=%ld", path,
                      req->app->provider_nslots);
            req->provider_fault = HALL_PROV_BUSY;
            return NULL;
        }
    }
    rc = hall_http_post_json(req->pool, hall_psprintf(req->pool, "%s%s", conf->sandbox_url, path),
                             json, idem_key, connect, total, &r);
    if (slot >= 0)
        __atomic_store_n(&req->app->provider_slots[slot], 0L, __ATOMIC_RELEASE);
    if (rc != HALL_OK) {
        hall_warn(req, "msg=\"provider unreachable\" path=%s error=\"%s\" timeout_ms=%ld", path,
                  r.error, total);
        if (r.timed_out)
            req->provider_fault = HALL_PROV_TIMEOUT;
        return NULL;
    }
    if (r.status != 200) {
        hall_warn(req, "msg=\"provider refused\" path=%s status=%ld", path, r.status);
        return NULL;
    }
    v = hall_val_parse(req->pool, r.body, r.len, err, sizeof(err));
    if (v == NULL || v->type != HALL_V_OBJ) {
        hall_warn(req, "msg=\"provider answer not JSON\" path=%s", path);
        return NULL;
    }
    req->provider_fault = HALL_PROV_OK;
    return v;
}

int
hall_resp_provider(struct hall_req *req, const char *service)
{
    switch (req->provider_fault) {
    case HALL_PROV_BUSY: return hall_msg(req, HALL_M_PROVIDER_BUSY, NULL, service);
    case HALL_PROV_TIMEOUT: return hall_msg(req, HALL_M_PROVIDER_TIMEOUT, NULL, service);
    default: return hall_msg(req, HALL_M_PROVIDER_DOWN, NULL, service);
    }
}
