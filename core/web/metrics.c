/*
 * Metrics in the Prometheus text format (docs/operations.md, "Metrics").
 *
 * The counters live in one shared anonymous mapping that the master creates
 * before it forks: every worker adds to the same cells with atomic
 * operations, so a scrape answered by any worker sees the whole module, and
 * a worker that dies or is replaced loses nothing.  Everything is a fixed
 * array: routes by their index in the module's table, statuses from a short
 * list, providers in a few named slots; nothing grows with traffic.
 *
 * nginx reaches it on a loopback-only location that sets the FastCGI
 * parameter HALL_METRICS (a client cannot set a parameter, only HTTP_*
 * ones): "1" for the module's own counters, "outbox" for the outbox queue,
 * read from the database at scrape time.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "web/web.h"

#define M_ROUTES    63 /* a module's routes; one more for requests no route took */
#define M_NOROUTE   M_ROUTES
#define M_PROVIDERS 16
#define M_EVENTS    8
#define M_NAME      32

/* upper bounds of the latency buckets, in milliseconds (the last is +Inf) */
static const double bucket_ms[] = {1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000};
#define M_BUCKETS ((int)(sizeof(bucket_ms) / sizeof(bucket_ms[0])) + 1)

static const int statuses[] = {200, 201, 204, 301, 302, 303, 304, 400, 401, 403, 404,
                               405, 409, 410, 413, 415, 422, 429, 500, 502, 503, 504};
#define M_STATUSES ((int)(sizeof(statuses) / sizeof(statuses[0])) + 1) /* + "other" */

struct hist {
    uint64_t bucket[M_BUCKETS]; /* not cumulative: the scrape adds them up */
    uint64_t sum_us;
};

struct provider {
    uint32_t state; /* 0 free, 1 being named, 2 named */
    char name[M_NAME];
    uint64_t failures;
    struct hist h;
};

/* a named count (hall_metrics_event): claimed as a provider's slot is */
struct event {
    uint32_t state;
    char name[M_NAME];
    uint64_t n;
};

struct shared {
    struct hist req[M_ROUTES + 1][M_STATUSES];
    uint64_t db_errors, db_reconnects, workers_started;
    struct provider prov[M_PROVIDERS];
    struct event ev[M_EVENTS];
};

static struct shared *shm;

int
hall_metrics_init(void)
{
    void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);

    if (p == MAP_FAILED)
        return HALL_ERR;
    shm = p; /* zeroed by the kernel */
    return HALL_OK;
}

static void
add(uint64_t *cell, uint64_t n)
{
    __atomic_fetch_add(cell, n, __ATOMIC_RELAXED);
}

static void
observe(struct hist *h, double ms)
{
    int i;

    for (i = 0; i < M_BUCKETS - 1 && ms > bucket_ms[i]; i++)
        ;
    add(&h->bucket[i], 1);
    add(&h->sum_us, ms > 0 ? (uint64_t)(ms * 1000.0) : 0);
}

static int
status_slot(int status)
{
    int i;

    for (i = 0; i < M_STATUSES - 1; i++)
        if (statuses[i] == status)
            return i;
    return M_STATUSES - 1;
}

void
hall_metrics_request(const struct hall_req *req, double ms)
{
    long r = M_NOROUTE;

    if (shm == NULL)
        return;
    if (req->route != NULL) {
        r = req->route - req->app->mod->routes;
        if (r < 0 || r >= M_ROUTES)
            r = M_NOROUTE;
    }
    observe(&shm->req[r][status_slot(req->status)], ms);
}

void
hall_metrics_db_error(void)
{
    if (shm != NULL)
        add(&shm->db_errors, 1);
}

void
hall_metrics_db_reconnect(void)
{
    if (shm != NULL)
        add(&shm->db_reconnects, 1);
}

void
hall_metrics_worker_started(void)
{
    if (shm != NULL)
        add(&shm->workers_started, 1);
}

/* the slot named name among n slots of size sz (state first, then the
 * name), claimed when new; NULL when all are taken */
static void *
slot_claim(void *slots, size_t sz, int n, const char *name)
{
    int i;

    for (i = 0; i < n; i++) {
        uint32_t *state = (uint32_t *)((char *)slots + (size_t)i * sz);
        char *sname = (char *)(state + 1);
        uint32_t st = __atomic_load_n(state, __ATOMIC_ACQUIRE);

        if (st == 0) {
            uint32_t expect = 0;

            if (__atomic_compare_exchange_n(state, &expect, 1, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
                snprintf(sname, M_NAME, "%s", name);
                __atomic_store_n(state, 2, __ATOMIC_RELEASE);
                return state;
            }
            st = expect;
        }
        /* another worker is writing this slot's name: a few instructions */
        while (st == 1)
            st = __atomic_load_n(state, __ATOMIC_ACQUIRE);
        if (strncmp(sname, name, M_NAME - 1) == 0)
            return state;
    }
    return NULL;
}

static struct provider *
provider_slot(const char *name)
{
    return slot_claim(shm->prov, sizeof(shm->prov[0]), M_PROVIDERS, name);
}

void
hall_metrics_event(const char *name)
{
    struct event *e;

    if (shm == NULL || name == NULL || *name == '\0')
        return;
    e = slot_claim(shm->ev, sizeof(shm->ev[0]), M_EVENTS, name);
    if (e != NULL)
        add(&e->n, 1);
}

void
hall_metrics_provider(const char *name, double ms, int ok)
{
    struct provider *p;

    if (shm == NULL || name == NULL || *name == '\0')
        return;
    p = provider_slot(name);
    if (p == NULL)
        return;
    observe(&p->h, ms);
    if (!ok)
        add(&p->failures, 1);
}

/* ---- the scrape ------------------------------------------------------------ */

static uint64_t
get(const uint64_t *cell)
{
    return __atomic_load_n(cell, __ATOMIC_RELAXED);
}

/* a label value: route paths and provider names are ours, but escape anyway */
static const char *
label(struct hall_req *req, const char *s)
{
    /* the buffer lives in the pool: its cleanup runs after this returns */
    struct hall_buf *b = hall_buf_new(req->pool, 256);

    for (; *s != '\0'; s++) {
        if (*s == '\\' || *s == '"')
            hall_buf_add(b, "\\", 1);
        if (*s == '\n')
            hall_buf_addstr(b, "\\n");
        else
            hall_buf_add(b, s, 1);
    }
    hall_buf_add(b, "", 1);
    return b->data;
}

static void
hist_lines(struct hall_buf *out, const char *name, const char *labels, const struct hist *h)
{
    uint64_t cum = 0;
    char line[512];
    int i;

    for (i = 0; i < M_BUCKETS; i++) {
        cum += get(&h->bucket[i]);
        if (i < M_BUCKETS - 1)
            snprintf(line, sizeof(line), "%s_bucket{%s,le=\"%g\"} %llu\n", name, labels,
                     bucket_ms[i] / 1000.0, (unsigned long long)cum);
        else
            snprintf(line, sizeof(line), "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels,
                     (unsigned long long)cum);
        hall_buf_addstr(out, line);
    }
    snprintf(line, sizeof(line), "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, labels,
             (double)get(&h->sum_us) / 1e6, name, labels, (unsigned long long)cum);
    hall_buf_addstr(out, line);
}

static uint64_t
hist_count(const struct hist *h)
{
    uint64_t n = 0;
    int i;

    for (i = 0; i < M_BUCKETS; i++)
        n += get(&h->bucket[i]);
    return n;
}

static void
module_metrics(struct hall_req *req, struct hall_buf *out)
{
    const struct hall_route *routes = req->app->mod->routes;
    const char *mod = label(req, req->app->mod->name);
    int nroutes = 0, r, s, i;

    while (nroutes < M_ROUTES && routes[nroutes].path != NULL)
        nroutes++;
    hall_buf_addstr(out, "# HELP hall_http_request_duration_seconds Requests answered by the "
                         "module, by route and status, from accept to the answer's end.\n"
                         "# TYPE hall_http_request_duration_seconds histogram\n");
    for (r = 0; r <= M_ROUTES; r++) {
        const char *route;

        if (r < nroutes)
            route = label(req, hall_psprintf(req->pool, "%s %s%s", routes[r].method, routes[r].path,
                                             (routes[r].flags & HALL_R_PREFIX) ? "*" : ""));
        else if (r == M_NOROUTE)
            route = "none";
        else
            continue;
        for (s = 0; s < M_STATUSES; s++) {
            const struct hist *h = &shm->req[r][s];
            char st[16];

            if (hist_count(h) == 0)
                continue;
            if (s < M_STATUSES - 1)
                snprintf(st, sizeof(st), "%d", statuses[s]);
            else
                snprintf(st, sizeof(st), "other");
            hist_lines(out, "hall_http_request_duration_seconds",
                       hall_psprintf(req->pool, "module=\"%s\",route=\"%s\",status=\"%s\"", mod,
                                     route, st),
                       h);
        }
    }
    hall_buf_addstr(out, hall_psprintf(req->pool,
                                       "# HELP hall_db_errors_total Statements that failed "
                                       "(unique violations, an expected answer, excluded).\n"
                                       "# TYPE hall_db_errors_total counter\n"
                                       "hall_db_errors_total{module=\"%s\"} %llu\n"
                                       "# HELP hall_db_reconnects_total Connections to PostgreSQL "
                                       "re-established after one was lost.\n"
                                       "# TYPE hall_db_reconnects_total counter\n"
                                       "hall_db_reconnects_total{module=\"%s\"} %llu\n"
                                       "# HELP hall_workers_started_total Worker processes "
                                       "started (more than the configured number: replaced).\n"
                                       "# TYPE hall_workers_started_total counter\n"
                                       "hall_workers_started_total{module=\"%s\"} %llu\n",
                                       mod, (unsigned long long)get(&shm->db_errors), mod,
                                       (unsigned long long)get(&shm->db_reconnects), mod,
                                       (unsigned long long)get(&shm->workers_started)));
    hall_buf_addstr(out, "# HELP hall_provider_call_duration_seconds Calls to outside services "
                         "(the sandbox in development), by provider.\n"
                         "# TYPE hall_provider_call_duration_seconds histogram\n");
    for (i = 0; i < M_PROVIDERS; i++) {
        const struct provider *p = &shm->prov[i];

        if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != 2)
            continue;
        hist_lines(
            out, "hall_provider_call_duration_seconds",
            hall_psprintf(req->pool, "module=\"%s\",provider=\"%s\"", mod, label(req, p->name)),
            &p->h);
    }
    hall_buf_addstr(out, "# HELP hall_provider_call_failures_total Calls that failed (transport "
                         "error, timeout or an answer other than 2xx).\n"
                         "# TYPE hall_provider_call_failures_total counter\n");
    for (i = 0; i < M_PROVIDERS; i++) {
        const struct provider *p = &shm->prov[i];

        if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != 2)
            continue;
        hall_buf_addstr(
            out, hall_psprintf(req->pool,
                               "hall_provider_call_failures_total{module=\"%s\",provider="
                               "\"%s\"} %llu\n",
                               mod, label(req, p->name), (unsigned long long)get(&p->failures)));
    }
    hall_buf_addstr(out, "# HELP hall_events_total Things counted rather than written down "
                         "(a partner API call with an unknown key: not audited, counted).\n"
                         "# TYPE hall_events_total counter\n");
    for (i = 0; i < M_EVENTS; i++) {
        const struct event *e = &shm->ev[i];

        if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != 2)
            continue;
        hall_buf_addstr(
            out, hall_psprintf(req->pool, "hall_events_total{module=\"%s\",event=\"%s\"} %llu\n",
                               mod, label(req, e->name), (unsigned long long)get(&e->n)));
    }
}

const struct hall_stmt hall_metrics_stmts[] = {
    /* pending rows only: the partial index outbox_due holds exactly those */
    {"metrics_outbox",
     "SELECT kind, count(*) AS pending,"
     " coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_age_s,"
     " coalesce(max(attempts), 0) AS max_attempts FROM outbox WHERE status = 'pending'"
     " GROUP BY kind ORDER BY kind",
     0},
    {"metrics_outbox_dead",
     "SELECT kind, count(*) AS dead FROM outbox WHERE status = 'dead' GROUP BY kind", 0},
    {NULL, NULL, 0},
};

static int
outbox_metrics(struct hall_req *req, struct hall_buf *out)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "metrics_outbox");
    struct hall_dbres *dead;
    int i, n;

    if (res == NULL)
        return HALL_ERR;
    dead = hall_db_exec(req->cx, "metrics_outbox_dead");
    if (dead == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(res);
    hall_buf_addstr(out, "# HELP hall_outbox_pending Outbox jobs not yet delivered, by kind "
                         "(provider).\n# TYPE hall_outbox_pending gauge\n");
    for (i = 0; i < n; i++)
        hall_buf_addstr(out, hall_psprintf(req->pool, "hall_outbox_pending{kind=\"%s\"} %s\n",
                                           label(req, hall_dbres_str(res, i, "kind")),
                                           hall_dbres_str(res, i, "pending")));
    hall_buf_addstr(out, "# HELP hall_outbox_oldest_age_seconds Age of the oldest undelivered "
                         "job, by kind.\n# TYPE hall_outbox_oldest_age_seconds gauge\n");
    for (i = 0; i < n; i++)
        hall_buf_addstr(out,
                        hall_psprintf(req->pool, "hall_outbox_oldest_age_seconds{kind=\"%s\"} %s\n",
                                      label(req, hall_dbres_str(res, i, "kind")),
                                      hall_dbres_str(res, i, "oldest_age_s")));
    hall_buf_addstr(out, "# HELP hall_outbox_max_attempts Most attempts among the undelivered "
                         "jobs, by kind.\n# TYPE hall_outbox_max_attempts gauge\n");
    for (i = 0; i < n; i++)
        hall_buf_addstr(out, hall_psprintf(req->pool, "hall_outbox_max_attempts{kind=\"%s\"} %s\n",
                                           label(req, hall_dbres_str(res, i, "kind")),
                                           hall_dbres_str(res, i, "max_attempts")));
    hall_buf_addstr(out, "# HELP hall_outbox_dead Jobs given up after their last attempt, by "
                         "kind.\n# TYPE hall_outbox_dead gauge\n");
    for (i = 0; i < hall_dbres_rows(dead); i++)
        hall_buf_addstr(out, hall_psprintf(req->pool, "hall_outbox_dead{kind=\"%s\"} %s\n",
                                           label(req, hall_dbres_str(dead, i, "kind")),
                                           hall_dbres_str(dead, i, "dead")));
    return HALL_OK;
}

int
hall_metrics_serve(struct hall_req *req, const char *what)
{
    /* in the pool, not on the stack: the pool frees it after this returns */
    struct hall_buf *out = hall_buf_new(req->pool, 4 * 1024 * 1024);

    if (strcmp(what, "outbox") == 0) {
        if (outbox_metrics(req, out) != HALL_OK)
            return hall_req_failed(req);
    } else if (shm != NULL) {
        module_metrics(req, out);
    }
    hall_resp_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8",
                  (const unsigned char *)(out->data != NULL ? out->data : ""), out->len);
    hall_resp_header(req, "Cache-Control", "no-store");
    return HALL_OK;
}
