/*
 * core/web/metrics.h: the Prometheus counters a module's workers share
 * (metrics.c).  Included by web.h, at its end.
 */
#ifndef HALL_WEB_METRICS_H
#define HALL_WEB_METRICS_H

/* ---- metrics.c: Prometheus counters shared by a module's workers ---------- */

/* the shared mapping; the master calls it before forking */
int hall_metrics_init(void);
void hall_metrics_request(const struct hall_req *req, double ms);
void hall_metrics_db_error(void);
void hall_metrics_db_reconnect(void);
void hall_metrics_worker_started(void);
/* one call to an outside service: provider is a short fixed name ("carrier",
 * "sms", ...), ms its duration, ok 0 for a transport error, timeout or
 * non-2xx answer (core/base/http.c) */
void hall_metrics_provider(const char *provider, double ms, int ok);
/* one more of a named count (a short fixed name, at most 8 per module):
 * hall_events_total{event=NAME} */
void hall_metrics_event(const char *name);
/* answers GET /metrics: what is "1" (the module) or "outbox" */
int hall_metrics_serve(struct hall_req *req, const char *what);
extern const struct hall_stmt hall_metrics_stmts[];

int hall_main(int argc, char **argv, const struct hall_module *mod);
/* a command-line tool's start (hall-staff, hall-pkitool), app->mod set:
 * "-c CONFIG COMMAND ARGS...", the configuration, the log and the keys;
 * *cmd is argv[optind].  0 to go on, else the exit status (said) */
int hall_tool_start(int argc, char **argv, struct hall_app *app, void (*usage)(void),
                    const char **cmd);
/* the tool's database connection and a request to run its statements
 * with; NULL when the database cannot be reached (said) */
struct hall_req *hall_tool_req(struct hall_app *app);
/* after a handler: rolls back a transaction left open, and answers a
 * request that has no answer: 503 when the store failed it, else 500 (the
 * answer contract, core/web/app.c) */
void hall_app_finish(struct hall_req *req, int rc);
/* a request of work no client sent (an outbox job, a tick), in pool: no
 * session, no parameters; its store context ready */
struct hall_req *hall_app_req(struct hall_app *app, struct hall_pool *pool, const char *request_id);
/* a master process's signals: term for SIGTERM and SIGINT, chld for
 * SIGCHLD, SIGPIPE ignored; the three blocked (the old mask in *old) until
 * the master's sigsuspend */
void hall_master_signals(void (*term)(int), void (*chld)(int), sigset_t *old);
/* the prefork master (core/web/app.c): n children, each run(app, slot,
 * arg), never returning; one that dies is replaced (reaped, if any, told
 * first; slot_name, if any, names its slot in the log); SIGTERM or SIGINT
 * ends them all and returns */
struct hall_prefork {
    int n;
    void (*run)(struct hall_app *app, int slot, void *arg);
    void (*reaped)(struct hall_app *app, pid_t pid);
    const char *(*slot_name)(int slot, void *arg);
    void *arg;
};
void hall_prefork(struct hall_app *app, const struct hall_prefork *pf);
/* asset.c: 12 hex digits of SHA-256 over static_dir's files (names, contents) */
int hall_asset_version(const char *dir, char *out, size_t outlen);
/* exit status of a program that refuses to start on its configuration
 * (EX_CONFIG): supervisors do not restart it */
#define HALL_EXIT_CONFIG 78
/* app->store ready to connect: its configuration, and the statement tables
 * it prepares on each connection: the core's layers' (the module's
 * core_stmts), then the module's own */
int hall_app_store_init(struct hall_app *app);
/* dispatch one parsed request; exposed for tests */
int hall_app_dispatch(struct hall_req *req);

#endif
