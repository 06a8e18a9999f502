/*
 * hall-outbox: delivers what the modules queued in the outbox table.
 *
 * One job per transaction: the row is claimed with FOR UPDATE SKIP LOCKED
 * and stays locked while the provider is called, so any number of workers
 * can run, and a worker killed mid-job leaves the row to be claimed again.
 * Each call carries the job's idempotency key, so a provider that already
 * acted on a job (the worker died before COMMIT) does not act twice.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "hall.h"

static volatile sig_atomic_t stop_flag;

static const struct hall_stmt outbox_stmts[] = {
    {"job_claim",
     "SELECT id, kind, idem_key, payload_enc, attempts FROM outbox"
     " WHERE status = 'pending' AND next_attempt_at <= now()"
     " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
     0},
    {"job_done",
     "UPDATE outbox SET status = 'done', attempts = attempts + 1, done_at = now(),"
     " last_error = NULL, result = $2::jsonb WHERE id = $1",
     2},
    {"job_retry",
     "UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
     " status = CASE WHEN attempts + 1 >= $3 THEN 'dead' ELSE 'pending' END,"
     " next_attempt_at = now() + make_interval(secs => least(300, power(2, attempts))::int)"
     " WHERE id = $1 RETURNING status",
     3},
    /* bank_transfer: the order and its attempt stay locked until the job's
     * transaction ends, so the bank's answer and the move commit together */
    {"ft_order", "SELECT status, form_enc, order_no FROM orders WHERE id = $1 FOR UPDATE", 1},
    {"ft_attempt", "SELECT result FROM finauth_attempts WHERE id = $1 AND order_id = $2 FOR UPDATE",
     2},
    {"ft_result",
     "UPDATE finauth_attempts SET result = $2, bank_ref = $3, fail_reason = $4,"
     " transferred_at = CASE WHEN $2 = 'sent' THEN now() END WHERE id = $1",
     4},
    {NULL, NULL, 0},
};

struct job {
    int64_t id;
    const char *kind;
    const char *idem_key;
    struct hall_val *payload;
    long attempts;
};

/* what a delivery function reports */
struct outcome {
    int ok;
    const char *error;  /* short, no PII */
    const char *result; /* JSON kept with the job, no PII */
};

static const char *
str_of(const struct hall_val *obj, const char *key)
{
    const struct hall_val *v = hall_val_get(obj, key);

    return v != NULL && v->type == HALL_V_STR ? v->str : NULL;
}

static void
call_provider(struct hall_req *req, const char *path, const struct hall_val *body, const char *idem,
              struct outcome *out, struct hall_val **answer)
{
    const struct hall_conf *conf = &req->app->conf;
    struct hall_http_resp resp;
    const struct hall_val *okv;
    struct hall_val *ans;
    char *json = hall_val_json(req->pool, body, NULL);

    *answer = NULL;
    if (hall_http_post_json(req->pool, hall_psprintf(req->pool, "%s%s", conf->sandbox_url, path),
                            json, idem, conf->http_connect_ms, conf->http_total_ms,
                            &resp) != HALL_OK) {
        out->error = hall_psprintf(req->pool, "transport: %s", resp.error);
        return;
    }
    if (resp.status != 200) {
        out->error = hall_psprintf(req->pool, "http %ld", resp.status);
        return;
    }
    ans = hall_val_parse(req->pool, resp.body, resp.len, NULL, 0);
    okv = hall_val_get(ans, "ok");
    if (okv == NULL || okv->type != HALL_V_BOOL || !okv->i) {
        out->error = "provider refused";
        return;
    }
    *answer = ans;
    out->ok = 1;
}

static void
deliver_sms(struct hall_req *req, const struct job *job, struct outcome *out)
{
    struct hall_val *body = hall_val_obj(req->pool), *ans;
    const char *phone = str_of(job->payload, "phone"), *text = str_of(job->payload, "text");

    if (phone == NULL || text == NULL) {
        out->error = "bad payload";
        return;
    }
    hall_val_set_str(req->pool, body, "phone", phone);
    hall_val_set_str(req->pool, body, "text", text);
    hall_val_set_str(req->pool, body, "sign", "深圳CA");
    call_provider(req, "/sms/send", body, job->idem_key, out, &ans);
    if (out->ok) {
        struct hall_val *r = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, r, "provider_id", str_of(ans, "id"));
        out->result = hall_val_json(req->pool, r, NULL);
    }
}

static int64_t
int_of(const struct hall_val *obj, const char *key)
{
    const struct hall_val *v = hall_val_get(obj, key);

    return v != NULL && v->type == HALL_V_INT ? v->i : 0;
}

/*
 * 金融认证: 0.01 CNY to the unit's basic account with the code in the memo,
 * then, in this job's transaction, finauth_pending -> finauth_ok or
 * finauth_failed.  The account comes from the order's encrypted form as it
 * is now (a retry has just corrected it); the memo from the payload.
 * Neither is ever logged.  A transport failure or a 5xx is retried with the
 * same idempotency key, so the bank pays once.
 */
static void
deliver_bank_transfer(struct hall_req *req, const struct job *job, struct outcome *out)
{
    int64_t order_id = int_of(job->payload, "order_id");
    int64_t attempt_id = int_of(job->payload, "attempt_id");
    const char *memo = str_of(job->payload, "memo");
    struct hall_val *body, *ans, *form, *r, *detail;
    const char *name, *account, *branch, *status, *transfer_no, *reason, *order_no;
    struct hall_dbres *res;
    unsigned char *enc;
    size_t elen;
    char *plain;
    int ok, rc;

    if (order_id <= 0 || attempt_id <= 0 || memo == NULL) {
        out->error = "bad payload";
        return;
    }
    res = hall_db_exec(req, "ft_order", HALL_I64(order_id));
    if (res == NULL) {
        out->error = "database";
        return;
    }
    r = hall_val_obj(req->pool);
    if (hall_dbres_rows(res) == 0 || strcmp(hall_dbres_get(res, 0, 0), "finauth_pending") != 0) {
        /* the order moved on (refund, staff): nothing to send any more */
        hall_val_set_str(req->pool, r, "skipped", "order not finauth_pending");
        out->result = hall_val_json(req->pool, r, NULL);
        out->ok = 1;
        return;
    }
    order_no = hall_pstrdup(req->pool, hall_dbres_get(res, 0, 2));
    enc = hall_dbres_bytea(req, res, 0, 1, &elen);
    plain = enc != NULL ? hall_pii_decrypt(req->pool, enc, elen) : NULL;
    form = plain != NULL ? hall_val_parse(req->pool, plain, strlen(plain), NULL, 0) : NULL;
    name = str_of(form, "bank_account_name");
    account = str_of(form, "bank_account");
    branch = str_of(form, "bank_branch_name");
    if (name == NULL || account == NULL || branch == NULL || *account == '\0') {
        out->error = "order form has no bank account";
        return;
    }
    res = hall_db_exec(req, "ft_attempt", HALL_I64(attempt_id), HALL_I64(order_id));
    if (res == NULL) {
        out->error = "database";
        return;
    }
    if (hall_dbres_rows(res) == 0 || strcmp(hall_dbres_get(res, 0, 0), "queued") != 0) {
        hall_val_set_str(req->pool, r, "skipped", "attempt not queued");
        out->result = hall_val_json(req->pool, r, NULL);
        out->ok = 1;
        return;
    }
    body = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, body, "account_name", name);
    hall_val_set_str(req->pool, body, "bank_name", branch);
    hall_val_set_str(req->pool, body, "account_no", account);
    hall_val_set_int(req->pool, body, "amount_fen", 1);
    hall_val_set_str(req->pool, body, "memo", memo);
    call_provider(req, "/bank/transfer", body, job->idem_key, out, &ans);
    if (!out->ok)
        return;
    out->ok = 0;
    status = str_of(ans, "status");
    transfer_no = str_of(ans, "transfer_no");
    reason = str_of(ans, "reason");
    if (status == NULL || (strcmp(status, "SUCCESS") != 0 && strcmp(status, "FAILED") != 0)) {
        out->error = "bank: unexpected status";
        return;
    }
    if (transfer_no != NULL && strlen(transfer_no) > 64)
        transfer_no = NULL;
    if (reason == NULL || *reason == '\0')
        reason = "转账失败";
    else if (strlen(reason) > 180)
        reason = "转账失败";
    ok = strcmp(status, "SUCCESS") == 0;
    if (hall_db_exec(req, "ft_result", HALL_I64(attempt_id), HALL_STR(ok ? "sent" : "failed"),
                     transfer_no != NULL ? HALL_STR(transfer_no) : HALL_NULLP,
                     ok ? HALL_NULLP : HALL_STR(reason)) == NULL) {
        out->error = "database";
        return;
    }
    detail = hall_val_obj(req->pool);
    hall_val_set_int(req->pool, detail, "attempt_id", attempt_id);
    if (transfer_no != NULL)
        hall_val_set_str(req->pool, detail, "transfer_no", transfer_no);
    rc = hall_order_move(req, order_id, "finauth_pending", ok ? "finauth_ok" : "finauth_failed",
                         "outbox:bank", detail);
    if (rc != HALL_OK) {
        out->error = rc == HALL_ERR ? "database" : "order moved meanwhile";
        return;
    }
    /* seed 003: the agent learns by SMS that the account data was wrong */
    if (!ok) {
        const char *phone = str_of(form, "agent_mobile");
        struct hall_val *sms = hall_val_obj(req->pool);

        if (phone != NULL && *phone != '\0') {
            hall_val_set_str(req->pool, sms, "phone", phone);
            hall_val_set_fmt(
                req->pool, sms, "text",
                "【深圳CA】您的业务单%s金融认证未通过（%s），请登录深圳CA网上营业厅，进入个人中心"
                "-我的业务单，点击“金融认证”重新填写正确的单位基本账户信息后提交。",
                order_no, reason);
            if (hall_outbox_push(
                    req, "sms",
                    hall_psprintf(req->pool, "finauth-failed-%lld", (long long)attempt_id),
                    sms) != HALL_OK) {
                out->error = "database";
                return;
            }
        }
    }
    hall_val_set_str(req->pool, r, "status", status);
    if (transfer_no != NULL)
        hall_val_set_str(req->pool, r, "transfer_no", transfer_no);
    out->result = hall_val_json(req->pool, r, NULL);
    out->ok = 1;
    hall_info(req, "msg=\"finauth transfer\" order=%lld attempt=%lld result=%s",
              (long long)order_id, (long long)attempt_id, ok ? "sent" : "failed");
}

static const struct {
    const char *kind;
    void (*fn)(struct hall_req *, const struct job *, struct outcome *);
} deliverers[] = {
    {"sms", deliver_sms},
    {"bank_transfer", deliver_bank_transfer},
    {NULL, NULL},
};

/* returns 1 when a job was handled, 0 when none was due, -1 on db trouble */
static int
run_one(struct hall_app *app)
{
    struct hall_pool *pool = hall_pool_create(8192);
    struct hall_req *req = hall_pcalloc(pool, sizeof(*req));
    struct outcome out = {0, NULL, NULL};
    struct hall_dbres *res;
    struct job job;
    const unsigned char *enc;
    size_t elen;
    char *plain;
    int i, rc = -1;

    req->pool = pool;
    req->app = app;
    req->partner = "";
    if (hall_db_begin(req) != HALL_OK)
        goto out;
    res = hall_db_exec(req, "job_claim");
    if (res == NULL)
        goto out;
    if (hall_dbres_rows(res) == 0) {
        rc = hall_db_commit(req) == HALL_OK ? 0 : -1;
        goto out;
    }
    job.id = hall_dbres_i64(res, 0, 0);
    job.kind = hall_dbres_get(res, 0, 1);
    job.idem_key = hall_dbres_get(res, 0, 2);
    job.attempts = (long)hall_dbres_i64(res, 0, 4);
    req->request_id = hall_psprintf(pool, "outbox-%lld", (long long)job.id);
    enc = hall_dbres_bytea(req, res, 0, 3, &elen);
    plain = hall_pii_decrypt(pool, enc, elen);
    job.payload = plain != NULL ? hall_val_parse(pool, plain, strlen(plain), NULL, 0) : NULL;
    if (job.payload == NULL) {
        out.error = "payload cannot be decrypted";
    } else {
        for (i = 0; deliverers[i].kind != NULL; i++)
            if (strcmp(deliverers[i].kind, job.kind) == 0)
                break;
        if (deliverers[i].kind == NULL)
            out.error = "unknown kind";
        else
            deliverers[i].fn(req, &job, &out);
    }
    if (out.ok) {
        if (hall_db_exec(req, "job_done", HALL_I64(job.id),
                         out.result ? HALL_STR(out.result) : HALL_NULLP) == NULL)
            goto out;
        hall_info(req, "msg=delivered kind=%s attempts=%ld", job.kind, job.attempts + 1);
    } else {
        res = hall_db_exec(req, "job_retry", HALL_I64(job.id), HALL_STR(out.error),
                           HALL_I64(app->conf.outbox_max_attempts));
        if (res == NULL)
            goto out;
        hall_warn(req, "msg=\"delivery failed\" kind=%s attempts=%ld error=\"%s\" status=%s",
                  job.kind, job.attempts + 1, out.error, hall_dbres_get(res, 0, 0));
    }
    rc = hall_db_commit(req) == HALL_OK ? 1 : -1;
out:
    if (req->in_tx)
        hall_db_rollback(req);
    hall_pool_destroy(pool);
    return rc;
}

static int
listen_outbox(struct hall_app *app)
{
    PGresult *r = PQexec(app->pg, "LISTEN outbox");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;

    PQclear(r);
    return ok ? HALL_OK : HALL_ERR;
}

/* waits for a NOTIFY or the poll interval, whichever comes first */
static void
wait_for_work(struct hall_app *app)
{
    struct pollfd pfd;
    PGnotify *n;

    if (app->pg == NULL || PQstatus(app->pg) != CONNECTION_OK) {
        usleep((useconds_t)app->conf.outbox_poll_ms * 1000);
        return;
    }
    pfd.fd = PQsocket(app->pg);
    pfd.events = POLLIN;
    if (poll(&pfd, 1, (int)app->conf.outbox_poll_ms) > 0)
        PQconsumeInput(app->pg);
    while ((n = PQnotifies(app->pg)) != NULL)
        PQfreemem(n);
}

static void
on_term(int sig)
{
    (void)sig;
    stop_flag = 1;
}

int
main(int argc, char **argv)
{
    static const struct hall_module mod = {"outbox", NULL, outbox_stmts, NULL};
    static struct hall_app app;
    const char *conf_path = NULL, *errmsg;
    char err[512];
    struct sigaction sa;
    int opt, connected = 0;

    while ((opt = getopt(argc, argv, "c:")) != -1) {
        if (opt == 'c') {
            conf_path = optarg;
        } else {
            fprintf(stderr, "usage: %s -c CONFIG\n", argv[0]);
            return 2;
        }
    }
    app.mod = &mod;
    if (hall_conf_load(&app.conf, conf_path, &errmsg) != HALL_OK) {
        fprintf(stderr, "level=err mod=outbox msg=\"config: %s\"\n", errmsg);
        return 1;
    }
    hall_log_init("outbox", hall_log_level_of(app.conf.log_level));
    if (hall_crypto_init(app.conf.key_file, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    hall_log(HALL_LOG_INFO, NULL, "msg=started");
    while (!stop_flag) {
        int r;

        if (!connected) {
            if (hall_app_db_connect(&app) != HALL_OK || listen_outbox(&app) != HALL_OK) {
                sleep(1);
                continue;
            }
            connected = 1;
        }
        r = run_one(&app);
        if (r < 0) {
            if (PQstatus(app.pg) != CONNECTION_OK)
                connected = 0;
            sleep(1);
        } else if (r == 0) {
            wait_for_work(&app);
        }
    }
    hall_log(HALL_LOG_INFO, NULL, "msg=stopped");
    if (app.pg != NULL)
        PQfinish(app.pg);
    hall_conf_free(&app.conf);
    curl_global_cleanup();
    return 0;
}
