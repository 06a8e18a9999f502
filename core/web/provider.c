/*
 * The provider calls a request makes (core/base/http.c does the HTTP): all
 * the calls of one request share one deadline, and at most
 * provider_max_calls workers of a module wait on providers at once (slots
 * shared by the module's workers, given back when a worker dies).
 */
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "web/web.h"

/* longest wait for a free provider slot */
#define SLOT_WAIT_MS 250

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

long
hall_provider_slot_take(struct hall_req *req)
{
    double until = mono_ms() + SLOT_WAIT_MS;
    long slot;

    if (req->app->provider_slots == NULL)
        return HALL_PROVIDER_NO_CAP;
    while ((slot = slot_take(req->app)) < 0 && mono_ms() < until)
        usleep(1000);
    if (slot < 0) {
        hall_warn(req, "msg=\"provider calls at their cap\" cap=%ld", req->app->provider_nslots);
        req->provider_fault = HALL_PROV_BUSY;
    }
    return slot;
}

void
hall_provider_slot_give(struct hall_req *req, long slot)
{
    if (slot >= 0 && req->app->provider_slots != NULL)
        __atomic_store_n(&req->app->provider_slots[slot], 0L, __ATOMIC_RELEASE);
}

/*
 * Calls made below the web (core/biz's payment drivers call the gateways
 * with core/base's client) obey the same rules: while a request runs, its
 * worker's HTTP client asks here first (hall_http_guard_set): the
 * request's deadline shortens the timeouts or refuses the call, and a
 * page's call takes one of the module's provider slots.
 */
static long guard_slot = -1;

static int
guard_enter(void *ud, long *connect, long *total, const char **error)
{
    struct hall_req *req = ud;
    const struct hall_conf *conf = &req->app->conf;
    long left;

    if (req->t0_ms <= 0)
        req->t0_ms = mono_ms();
    left = conf->provider_deadline_ms - (long)(mono_ms() - req->t0_ms);
    if (left < 50) {
        hall_warn(req, "msg=\"provider deadline passed\"");
        req->provider_fault = HALL_PROV_TIMEOUT;
        *error = "provider deadline passed";
        return HALL_ERR;
    }
    if (*total > left)
        *total = left;
    if (*connect > *total)
        *connect = *total;
    guard_slot = -1;
    /* pages (the pay page, the state its browsers poll) take a slot; an
     * action the applicant clicked (opening a trade) waits only on its
     * deadline, as before, so that parallel clicks are not refused */
    if (req->app->provider_slots != NULL &&
        (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)) {
        double until = mono_ms() + (SLOT_WAIT_MS < left ? SLOT_WAIT_MS : left);

        while ((guard_slot = slot_take(req->app)) < 0 && mono_ms() < until)
            usleep(1000);
        if (guard_slot < 0) {
            hall_warn(req, "msg=\"provider calls at their cap\" cap=%ld",
                      req->app->provider_nslots);
            req->provider_fault = HALL_PROV_BUSY;
            *error = "provider calls at their cap";
            return HALL_ERR;
        }
    }
    return HALL_OK;
}

static void
guard_leave(void *ud)
{
    struct hall_req *req = ud;

    if (guard_slot >= 0)
        __atomic_store_n(&req->app->provider_slots[guard_slot], 0L, __ATOMIC_RELEASE);
    guard_slot = -1;
}

static struct hall_http_guard req_guard = {guard_enter, guard_leave, NULL};

void
hall_provider_guard(struct hall_req *req)
{
    req_guard.ud = req;
    hall_http_guard_set(req != NULL ? &req_guard : NULL);
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
    /* this call counts itself (above): not a second time through the guard */
    hall_http_guard_set(NULL);
    rc = hall_http_post_json(req->pool, hall_psprintf(req->pool, "%s%s", conf->sandbox_url, path),
                             json, idem_key, connect, total, &r);
    hall_provider_guard(req);
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
