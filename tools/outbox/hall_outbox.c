/*
 * hall-outbox: delivers what the modules queued in the outbox table.
 *
 * One lane per provider: the job's kind up to its first '_' names it
 * ("sms", "bank_transfer" -> bank, "pay_refund" -> pay; "partner_hook" ->
 * partner, the status webhooks core/biz/partner_hook.c claims and delivers,
 * one partner per worker); kinds of no known lane share the lane "other".
 * Each lane has outbox_lane_workers processes of its own, so a provider
 * that hangs holds up only its own jobs: SMS codes keep flowing while the
 * bank is slow, and the other way round.  The master forks the lanes'
 * workers and replaces one that dies.
 *
 * One job per transaction: the row is claimed with FOR UPDATE SKIP LOCKED
 * and stays locked while the provider is called, so any number of workers
 * can run, and a worker killed mid-job leaves the row to be claimed again.
 * Each call carries the job's idempotency key, so a provider that already
 * acted on a job (the worker died before COMMIT) does not act twice.
 *
 * A failed job waits 2^attempts seconds (at most 300) before its next try,
 * unless the provider named its own limit; a job delivered on a lane ends
 * the wait of that lane's other jobs (lane_release), so a provider that is
 * back gets every waiting job at once.  An SMS code whose row is no longer
 * valid (expired, used, replaced) is not sent at all.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "hall.h"

static volatile sig_atomic_t stop_flag;
static int pki_ready; /* the CA keys loaded: pki_tick does the CA work (lane "other") */

/* the lanes: one per provider, then the rest ("other" must stay last) */
static const char *const lanes[] = {"sms", "bank", "pay", "partner", "other"};
#define N_LANES    (sizeof(lanes) / sizeof(lanes[0]))
#define LANE_NAMES "{sms,bank,pay,partner}"

static const char *my_lane = "other";

static const struct hall_stmt outbox_stmts[] = {
    /* $1: the lane; "other" takes every kind whose lane is not in $2 */
    {"job_claim",
     "SELECT id, kind, idem_key, payload_enc, attempts FROM outbox"
     " WHERE status = 'pending' AND next_attempt_at <= now()"
     " AND CASE WHEN $1 = 'other' THEN split_part(kind, '_', 1) <> ALL ($2::text[])"
     " ELSE split_part(kind, '_', 1) = $1 END"
     " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
     2},
    /* an SMS code's row ($1: sms-code-ID): no longer valid, so not sent */
    {"sms_code_stale",
     "SELECT NOT EXISTS (SELECT 1 FROM sms_codes WHERE id = $1 AND used_at IS NULL"
     " AND expires_at > now()) AS stale",
     1},
    /* bank_transfer: the order and its attempt stay locked until the job's
     * transaction ends, so the bank's answer and the move commit together */
    {"ft_order",
     "SELECT status, form_enc, order_no, business_type FROM orders WHERE id = $1 FOR UPDATE", 1},
    {"ft_attempt", "SELECT result FROM finauth_attempts WHERE id = $1 AND order_id = $2 FOR UPDATE",
     2},
    /* invoice: the order stays locked until the job's transaction ends */
    {"inv_order",
     "SELECT o.order_no, o.form_enc, o.cert_fen, o.shipping_fen, o.business_type, o.status,"
     " EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id) AS has_invoice FROM orders o"
     " WHERE o.id = $1 FOR UPDATE",
     1},
    /* the red-letter invoice: the order and its invoice locked until the end */
    {"inv_red_lock",
     "SELECT o.order_no, o.status, i.invoice_no, i.amount_fen, i.red_invoice_no IS NOT NULL AS red"
     " FROM orders o JOIN invoices i ON i.order_id = o.id WHERE o.id = $1 FOR UPDATE",
     1},
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
    long retry_after_s; /* not ok: the next attempt not before this (0: backoff) */
    int skipped;        /* ok without calling the provider: it says nothing of the lane */
};

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

/*
 * The calls begun for an SMS job, this one included, counted on a
 * connection of its own that commits at once (sql/068: outbox_sms_tries):
 * a worker killed after the provider sent the SMS leaves the job pending
 * with attempts unchanged, but not this count.  -1 when it cannot tell.
 */
static struct hall_store tries_store;

static long
sms_tries(struct hall_req *req, int64_t job_id)
{
    struct hall_ctx cx = *req->cx;
    long n;

    if (tries_store.pg == NULL) {
        tries_store.conf = req->cx->store->conf;
        tries_store.tables = req->cx->store->tables;
        if (hall_store_connect(&tries_store) != HALL_OK)
            return -1;
    }
    cx.store = &tries_store;
    cx.in_tx = 0;
    cx.begin_pending = 0;
    n = hall_outbox_sms_try(&cx, job_id);
    if (n < 0)
        /* a lost connection: a new one next time */
        hall_store_connect(&tries_store);
    return n;
}

/*
 * SMS by template (core/biz/smsdrv.c): the partner's SMS account and its
 * driver send the job's template and parameters, the job's key as OutId.
 * A provider's limit on the number (isv.BUSINESS_LIMIT_CONTROL ...) is a
 * retry after the limit's period, its code and message in last_error.
 */
static void
deliver_sms(struct hall_req *req, const struct job *job, struct outcome *out)
{
    struct hall_sms_outcome o;
    struct hall_val *r;

    long tries;
    long long code_id;
    char tail;

    /* a code that expired (or was used or replaced) while the job waited:
     * the phone's owner can no longer enter it, so it is not sent */
    if (sscanf(job->idem_key, "sms-code-%lld%c", &code_id, &tail) == 1) {
        struct hall_dbres *st = hall_db_exec(req->cx, "sms_code_stale", HALL_I64(code_id));

        if (st == NULL) {
            out->error = "database";
            return;
        }
        if (hall_dbres_bool(st, 0, "stale")) {
            /* its count of calls ends with it, as a sent job's does */
            if (hall_outbox_sms_tries_done(req->cx, job->id) != HALL_OK) {
                out->error = "database";
                return;
            }
            out->result = "{\"skipped\":\"the code was no longer valid\"}";
            out->ok = out->skipped = 1;
            hall_info(req, "msg=\"sms code no longer valid: not sent\" attempts=%ld",
                      job->attempts);
            return;
        }
    }
    tries = sms_tries(req, job->id);

    /* called before (or cannot tell): the driver asks the provider first */
    hall_sms_deliver(req->cx, job->payload, job->idem_key,
                     tries < 0                   ? 1
                     : job->attempts > tries - 1 ? job->attempts
                                                 : tries - 1,
                     &o);
    if (!o.sent) {
        out->error = o.error != NULL ? o.error : "sms: not sent";
        out->retry_after_s = o.retry_after_s;
        return;
    }
    r = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, r, "account", o.account);
    hall_val_set_str(req->pool, r, "template_code", o.template_code);
    if (o.provider_id != NULL)
        hall_val_set_str(req->pool, r, "provider_id", o.provider_id);
    if (o.found_before)
        hall_val_set_str(req->pool, r, "found", "sent by an earlier attempt");
    if (hall_outbox_sms_tries_done(req->cx, job->id) != HALL_OK) {
        out->error = "database";
        return;
    }
    out->result = hall_val_json(req->pool, r, NULL);
    out->ok = 1;
}

/* the job done, its result the one member key: value */
static void
done_with(struct hall_req *req, struct outcome *out, const char *key, const char *value)
{
    struct hall_val *r = hall_val_obj(req->pool);

    hall_val_set_str(req->pool, r, key, value);
    out->result = hall_val_json(req->pool, r, NULL);
    out->ok = 1;
}

static int64_t
int_of(const struct hall_val *obj, const char *key)
{
    const struct hall_val *v = hall_val_get(obj, key);

    return v != NULL && v->type == HALL_V_INT ? v->i : 0;
}

/* approved, then made, mailed, delivered */
static int
approved_state(const char *status)
{
    return strcmp(status, "accepted") == 0 || strcmp(status, "issued") == 0 ||
           strcmp(status, "shipped") == 0 || strcmp(status, "delivered") == 0;
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
    const char *memo = hall_val_str_or_null(job->payload, "memo");
    struct hall_val *body, *ans, *form, *r, *detail;
    const char *name, *account, *branch, *bank, *cnaps, *status, *transfer_no, *reason, *order_no;
    struct hall_dbres *res;
    unsigned char *enc;
    size_t elen;
    char *plain;
    int ok, rc, after_approval;

    if (order_id <= 0 || attempt_id <= 0 || memo == NULL) {
        out->error = "bad payload";
        return;
    }
    res = hall_db_exec(req->cx, "ft_order", HALL_I64(order_id));
    if (res == NULL) {
        out->error = "database";
        return;
    }
    r = hall_val_obj(req->pool);
    /* an approved 介质遗失补办: the PIN's deposit moves no order (seed 004) */
    after_approval = hall_dbres_rows(res) > 0 &&
                     strcmp(hall_dbres_str(res, 0, "business_type"), "reissue") == 0 &&
                     approved_state(hall_dbres_str(res, 0, "status"));
    if (hall_dbres_rows(res) == 0 ||
        (strcmp(hall_dbres_str(res, 0, "status"), "finauth_pending") != 0 && !after_approval)) {
        /* the order moved on (refund, staff): nothing to send any more */
        done_with(req, out, "skipped", "order not finauth_pending");
        return;
    }
    order_no = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "order_no"));
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "form_enc"), &elen);
    plain = enc != NULL ? hall_pii_decrypt(req->pool, enc, elen) : NULL;
    form = plain != NULL ? hall_val_parse(req->pool, plain, strlen(plain), NULL, 0) : NULL;
    name = hall_val_str_or_null(form, "bank_account_name");
    account = hall_val_str_or_null(form, "bank_account");
    branch = hall_val_str_or_null(form, "bank_branch_name");
    if (name == NULL || account == NULL || branch == NULL || *account == '\0') {
        out->error = "order form has no bank account";
        return;
    }
    res = hall_db_exec(req->cx, "ft_attempt", HALL_I64(attempt_id), HALL_I64(order_id));
    if (res == NULL) {
        out->error = "database";
        return;
    }
    if (hall_dbres_rows(res) == 0 || strcmp(hall_dbres_str(res, 0, "result"), "queued") != 0) {
        done_with(req, out, "skipped", "attempt not queued");
        return;
    }
    body = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, body, "account_name", name);
    /* the bank and branch as the form names them (a form of before the
     * complete list of banks has only the branch, whose name starts with its
     * bank's); the 联行号 routes it when the branch list knows it */
    bank = hall_val_str_or_null(form, "bank_name");
    hall_val_set_str(req->pool, body, "bank_name", bank != NULL && *bank != '\0' ? bank : branch);
    hall_val_set_str(req->pool, body, "branch_name", branch);
    cnaps = hall_val_str_or_null(form, "bank_cnaps");
    if (cnaps != NULL && *cnaps != '\0')
        hall_val_set_str(req->pool, body, "cnaps", cnaps);
    hall_val_set_str(req->pool, body, "account_no", account);
    hall_val_set_int(req->pool, body, "amount_fen", 1);
    hall_val_set_str(req->pool, body, "memo", memo);
    call_provider(req, "/bank/transfer", body, job->idem_key, out, &ans);
    if (!out->ok)
        return;
    out->ok = 0;
    status = hall_val_str_or_null(ans, "status");
    transfer_no = hall_val_str_or_null(ans, "transfer_no");
    reason = hall_val_str_or_null(ans, "reason");
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
    if (hall_finauth_result(req->cx, attempt_id, ok, transfer_no, ok ? NULL : reason) != HALL_OK) {
        out->error = "database";
        return;
    }
    detail = hall_val_obj(req->pool);
    hall_val_set_int(req->pool, detail, "attempt_id", attempt_id);
    if (transfer_no != NULL)
        hall_val_set_str(req->pool, detail, "transfer_no", transfer_no);
    if (after_approval)
        rc = hall_audit(req->cx, "outbox:bank", "order",
                        hall_psprintf(req->pool, "%lld", (long long)order_id),
                        ok ? "pin_deposit_sent" : "pin_deposit_failed", NULL, NULL, detail);
    else
        rc = hall_order_move(req->cx, order_id, "finauth_pending",
                             ok ? "finauth_ok" : "finauth_failed", "outbox:bank", detail);
    if (rc != HALL_OK) {
        out->error = rc == HALL_ERR ? "database" : "order moved meanwhile";
        return;
    }
    /* the PIN's deposit failed: the agent calls the CA, who sends it again
     * once the account is right (the order itself is approved) */
    if (!ok && after_approval) {
        const char *phone = hall_val_str_or_null(form, "agent_mobile");

        if (phone != NULL && *phone != '\0' &&
            hall_sms_queue(req->cx,
                           hall_psprintf(req->pool, "finauth-failed-%lld", (long long)attempt_id),
                           phone, NULL, HALL_SMST_pin_deposit_failed, "order_no", order_no,
                           "reason", reason, NULL) != HALL_OK) {
            out->error = "database";
            return;
        }
    }
    /* seed 003: the agent learns by SMS that the account data was wrong */
    if (!ok && !after_approval) {
        const char *phone = hall_val_str_or_null(form, "agent_mobile");

        if (phone != NULL && *phone != '\0' &&
            hall_sms_queue(req->cx,
                           hall_psprintf(req->pool, "finauth-failed-%lld", (long long)attempt_id),
                           phone, NULL, HALL_SMST_finauth_failed, "order_no", order_no, "reason",
                           reason, NULL) != HALL_OK) {
            out->error = "database";
            return;
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

/*
 * pay_close: an abandoned trade is closed at the gateway, so that its
 * cashier page cannot pay any more.  Closing is idempotent; a trade the
 * gateway does not know (never opened) or that was paid meanwhile (the
 * callback records the surplus and refunds it) needs nothing more.
 */
static void
deliver_pay_close(struct hall_req *req, const struct job *job, struct outcome *out)
{
    const char *out_no = hall_val_str_or_null(job->payload, "out_trade_no"), *st;

    if (out_no == NULL) {
        out->error = "bad payload";
        return;
    }
    if (hall_payment_close(req->cx, out_no, &st) != HALL_OK) {
        out->error = "gateway: no answer";
        return;
    }
    done_with(req, out, "status", st);
}

/*
 * pay_refund: an approved refund through the gateway's refund API, with
 * the job's key (a worker that dies after the gateway acted gets the same
 * refund back, never a second one); then, in this transaction, the refund
 * is done, a requested refund moves the order to 已退费, a surplus leaves
 * the order where it is, and the applicant gets the SMS
 * (core/biz/refund.c: hall_refund_applied).  The refund and its order stay
 * locked until the job's transaction ends, so the gateway's answer and the
 * order's move commit together.
 */
static void
deliver_pay_refund(struct hall_req *req, const struct job *job, struct outcome *out)
{
    int64_t refund_id = int_of(job->payload, "refund_id");
    struct hall_pay_refund rq;
    struct hall_refund rf;
    const char *refund_no = NULL, *state = NULL;
    int rc;

    if (refund_id <= 0) {
        out->error = "bad payload";
        return;
    }
    rc = hall_refund_lock(req->cx, refund_id, &rf);
    if (rc == HALL_ERR) {
        out->error = "database";
        return;
    }
    if (rc == 0 || strcmp(rf.status, "approved") != 0) {
        done_with(req, out, "skipped", "refund not approved");
        return;
    }
    /* our refund number is the refund row's: the gateway makes one refund
     * of it however often the job asks (WeChat's out_refund_no, Alipay's
     * out_request_no) */
    rq.out_trade_no = hall_pstrdup(req->pool, rf.out_trade_no);
    rq.out_refund_no = hall_psprintf(req->pool, "RF%lld", (long long)refund_id);
    rq.reason = strcmp(rf.kind, "surplus") == 0 ? "重复支付退款" : "申请退费";
    rq.amount_fen = rf.amount_fen;
    rq.total_fen = 0;
    if (hall_payment_refund(req->cx, &rq, &refund_no, &state) != HALL_OK) {
        out->error = "gateway: no verified answer";
        return;
    }
    if (strcmp(state, "SUCCESS") != 0) {
        /* PROCESSING: asked again on the job's next try, same out_refund_no */
        out->error = "gateway: refund processing";
        return;
    }
    if (refund_no == NULL || strlen(refund_no) > 64 ||
        strspn(refund_no, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
            strlen(refund_no)) {
        out->error = "gateway: unexpected refund_no";
        return;
    }
    rc = hall_refund_applied(req->cx, &rf, refund_no, "outbox:pay");
    if (rc != HALL_OK) {
        out->error = rc == HALL_CONFLICT ? "order moved meanwhile" : "database";
        return;
    }
    done_with(req, out, "refund_no", refund_no);
    hall_info(req, "msg=refunded refund=%lld order=%lld kind=%s", (long long)refund_id,
              (long long)rf.order_id, rf.kind);
}

/* e-mail (the invoice link): to, subject, text; never logged */
static void
deliver_mail(struct hall_req *req, const struct job *job, struct outcome *out)
{
    struct hall_val *body = hall_val_obj(req->pool), *ans;
    const char *to = hall_val_str_or_null(job->payload, "to"),
               *subject = hall_val_str_or_null(job->payload, "subject");
    const char *text = hall_val_str_or_null(job->payload, "text");

    if (to == NULL || subject == NULL || text == NULL) {
        out->error = "bad payload";
        return;
    }
    hall_val_set_str(req->pool, body, "to", to);
    hall_val_set_str(req->pool, body, "from", "深圳CA <noreply@szca.example>");
    hall_val_set_str(req->pool, body, "subject", subject);
    hall_val_set_str(req->pool, body, "text", text);
    call_provider(req, "/mail/send", body, job->idem_key, out, &ans);
    if (out->ok)
        done_with(req, out, "provider_id", hall_val_str_or_null(ans, "id"));
}

/* the job's order (order_id) and stmt's row of it; NULL when out says
 * why not: a bad payload, the database, or skipped as none when there is
 * no row */
static struct hall_dbres *
order_row(struct hall_req *req, const struct job *job, struct outcome *out, const char *stmt,
          const char *none, int64_t *order_id)
{
    struct hall_dbres *res;

    *order_id = int_of(job->payload, "order_id");
    if (*order_id <= 0) {
        out->error = "bad payload";
        return NULL;
    }
    res = hall_db_exec(req->cx, stmt, HALL_I64(*order_id));
    if (res == NULL) {
        out->error = "database";
        return NULL;
    }
    if (hall_dbres_rows(res) == 0) {
        done_with(req, out, "skipped", none);
        return NULL;
    }
    return res;
}

/* an e-invoice service's answer as the invoices row holds it */
static int
invoice_answer_ok(const char *no, const char *url)
{
    return no != NULL && url != NULL && strlen(no) <= 32 && strlen(url) <= 1024 &&
           strncmp(url, "http", 4) == 0;
}

/*
 * 电子发票 of a paid order: the title and taxpayer ID from the order's form
 * as it is now, the certificate fee and the prepaid shipping (寄付) as
 * separate lines.  The job's idempotency key goes to the e-invoice service,
 * so a worker that dies after it answered gets the same invoice on retry;
 * the invoices row, the audit row and the SMS and e-mail jobs with the link
 * commit together with the job.
 */
static void
deliver_invoice(struct hall_req *req, const struct job *job, struct outcome *out)
{
    int64_t order_id;
    struct hall_val *body, *lines, *line, *form, *ans;
    const char *title, *taxid, *email, *phone, *no, *url;
    int64_t cert_fen, ship_fen;
    struct hall_dbres *res = order_row(req, job, out, "inv_order", "no such order", &order_id);

    if (res == NULL)
        return;
    if (hall_dbres_bool(res, 0, "has_invoice")) {
        done_with(req, out, "skipped", "already issued");
        return;
    }
    /* refunded before its invoice issued: none, and so no red one */
    if (strcmp(hall_dbres_str(res, 0, "status"), "refunded") == 0) {
        done_with(req, out, "skipped", "order refunded");
        return;
    }
    form = hall_dbres_pii_json(req->cx, res, 0, hall_dbres_col(res, "form_enc"));
    if (form == NULL) {
        out->error = "order form unreadable";
        return;
    }
    if (hall_val_str_or_null(form, "invoice") == NULL ||
        strcmp(hall_val_str_or_null(form, "invoice"), "yes") != 0) {
        done_with(req, out, "skipped", "no invoice asked for");
        return;
    }
    cert_fen = hall_dbres_int(res, 0, "cert_fen");
    ship_fen = hall_dbres_int(res, 0, "shipping_fen");
    if (cert_fen + ship_fen <= 0) {
        done_with(req, out, "skipped", "nothing paid");
        return;
    }
    title = hall_val_str_or_null(form, "invoice_title");
    taxid = hall_val_str_or_null(form, "invoice_taxid");
    email = hall_val_str_or_null(form, "agent_email");
    if (email == NULL || *email == '\0')
        email = hall_val_str_or_null(form, "app_email");
    phone = hall_val_str_or_null(form, "agent_mobile");
    if (phone == NULL || *phone == '\0')
        phone = hall_val_str_or_null(form, "app_mobile");
    if (title == NULL || *title == '\0') {
        out->error = "order form has no invoice title";
        return;
    }
    body = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, body, "order_no", hall_dbres_str(res, 0, "order_no"));
    hall_val_set_str(req->pool, body, "title", title);
    if (taxid != NULL && *taxid != '\0')
        hall_val_set_str(req->pool, body, "taxpayer_id", taxid);
    hall_val_set_int(req->pool, body, "amount_fen", cert_fen + ship_fen);
    if (email != NULL && *email != '\0')
        hall_val_set_str(req->pool, body, "email", email);
    if (phone != NULL && *phone != '\0')
        hall_val_set_str(req->pool, body, "phone", phone);
    lines = hall_val_set_list(req->pool, body, "lines");
    if (cert_fen > 0) {
        line = hall_val_push_obj(req->pool, lines);
        /* seed 004: 发票用途 介质服务费 for a reissue */
        hall_val_set_str(req->pool, line, "name",
                         strcmp(hall_dbres_str(res, 0, "business_type"), "reissue") == 0
                             ? "介质服务费"
                             : "数字证书服务费");
        hall_val_set_int(req->pool, line, "amount_fen", cert_fen);
    }
    if (ship_fen > 0) {
        line = hall_val_push_obj(req->pool, lines);
        hall_val_set_str(req->pool, line, "name", "快递费（寄付）");
        hall_val_set_int(req->pool, line, "amount_fen", ship_fen);
    }
    call_provider(req, "/invoice/issue", body, job->idem_key, out, &ans);
    if (!out->ok)
        return;
    out->ok = 0;
    no = hall_val_str_or_null(ans, "invoice_no");
    url = hall_val_str_or_null(ans, "url");
    if (!invoice_answer_ok(no, url)) {
        out->error = "invoice: unexpected answer";
        return;
    }
    /* the invoices row, its audit row, the link's SMS and e-mail
     * (core/biz/invoice.c) */
    if (hall_invoice_issued(req->cx, order_id, no, url, cert_fen + ship_fen, "outbox:invoice") !=
        HALL_OK) {
        out->error = "database";
        return;
    }
    done_with(req, out, "invoice_no", no);
    hall_info(req, "msg=\"invoice issued\" order=%lld", (long long)order_id);
}

/*
 * The red-letter invoice (红字发票) of a refunded order's invoice, for the
 * whole amount: the provider sees the job's key on every retry and makes
 * one; the invoices row, the audit row and the SMS and e-mail jobs with its
 * link commit together.
 */
static void
deliver_invoice_red(struct hall_req *req, const struct job *job, struct outcome *out)
{
    int64_t order_id;
    struct hall_val *body, *ans;
    const char *no, *url, *blue;
    struct hall_dbres *res = order_row(req, job, out, "inv_red_lock", "no invoice", &order_id);

    if (res == NULL)
        return;
    if (hall_dbres_bool(res, 0, "red")) {
        done_with(req, out, "skipped", "already red-lettered");
        return;
    }
    if (strcmp(hall_dbres_str(res, 0, "status"), "refunded") != 0) {
        done_with(req, out, "skipped", "order not refunded");
        return;
    }
    blue = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "invoice_no"));
    body = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, body, "invoice_no", blue);
    hall_dbres_set(req->pool, body, res, 0, "order_no amount_fen:i");
    hall_val_set_str(req->pool, body, "reason", "退费");
    call_provider(req, "/invoice/red", body, job->idem_key, out, &ans);
    if (!out->ok)
        return;
    out->ok = 0;
    no = hall_val_str_or_null(ans, "red_invoice_no");
    url = hall_val_str_or_null(ans, "url");
    if (!invoice_answer_ok(no, url)) {
        out->error = "invoice_red: unexpected answer";
        return;
    }
    if (hall_invoice_red_issued(req->cx, order_id, blue, no, url, "outbox:invoice") != HALL_OK) {
        out->error = "database";
        return;
    }
    done_with(req, out, "red_invoice_no", no);
    hall_info(req, "msg=\"invoice red-lettered\" order=%lld", (long long)order_id);
}

static const struct {
    const char *kind;
    void (*fn)(struct hall_req *, const struct job *, struct outcome *);
} deliverers[] = {
    {"sms", deliver_sms},
    {"bank_transfer", deliver_bank_transfer},
    {"pay_close", deliver_pay_close},
    {"pay_refund", deliver_pay_refund},
    {"mail", deliver_mail},
    {"invoice", deliver_invoice},
    {"invoice_red", deliver_invoice_red},
    {NULL, NULL},
};

/* returns 1 when a job was handled, 0 when none was due, -1 on db trouble */
static int
run_one(struct hall_app *app)
{
    struct hall_pool *pool = hall_pool_create(8192);
    struct hall_req *req = hall_app_req(app, pool, NULL);
    struct outcome out = {0, NULL, NULL, 0, 0};
    struct hall_dbres *res;
    struct job job;
    const unsigned char *enc;
    size_t elen;
    char *plain;
    int i, rc = -1, probe = 0;

    if (strcmp(my_lane, "partner") == 0) { /* the status webhooks: core/biz/partner_hook.c */
        rc = hall_partner_hook_run_one(req->cx);
        goto out;
    }
    if (hall_db_begin(req->cx) != HALL_OK)
        goto out;
    res = hall_db_exec(req->cx, "job_claim", HALL_STR(my_lane), HALL_STR(LANE_NAMES));
    if (res == NULL)
        goto out;
    /* nothing due: is the lane's provider back?  One waiting job tried */
    if (hall_dbres_rows(res) == 0 && app->conf.outbox_probe_s > 0) {
        res = hall_outbox_probe_claim(req->cx, my_lane, LANE_NAMES, app->conf.outbox_probe_s);
        if (res == NULL)
            goto out;
        probe = 1;
    }
    if (hall_dbres_rows(res) == 0) {
        rc = hall_db_commit(req->cx) == HALL_OK ? 0 : -1;
        goto out;
    }
    job.id = hall_dbres_int(res, 0, "id");
    job.kind = hall_dbres_str(res, 0, "kind");
    job.idem_key = hall_dbres_str(res, 0, "idem_key");
    job.attempts = (long)hall_dbres_int(res, 0, "attempts");
    req->request_id = hall_psprintf(pool, "outbox-%lld", (long long)job.id);
    req->cx->request_id = req->request_id;
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "payload_enc"), &elen);
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
        if (hall_outbox_done(req->cx, job.id, out.result) != HALL_OK)
            goto out;
        /* the provider answers again: the lane's jobs stop waiting */
        if (!out.skipped && hall_outbox_lane_release(req->cx, my_lane, LANE_NAMES) != HALL_OK)
            goto out;
        hall_info(req, "msg=delivered lane=%s kind=%s attempts=%ld%s", my_lane, job.kind,
                  job.attempts + 1, probe ? " probe=1" : "");
    } else if (probe && out.retry_after_s == 0) {
        /* the provider still away: the job keeps its attempts and its wait */
        if (hall_outbox_probe_failed(req->cx, job.id, out.error) != HALL_OK)
            goto out;
        hall_info(req, "msg=\"probe failed\" lane=%s kind=%s error=\"%s\"", my_lane, job.kind,
                  out.error);
    } else {
        res = hall_outbox_failed(req->cx, job.id, out.error, app->conf.outbox_max_attempts,
                                 out.retry_after_s);
        if (res == NULL)
            goto out;
        hall_warn(req,
                  "msg=\"delivery failed\" lane=%s kind=%s attempts=%ld error=\"%s\" status=%s",
                  my_lane, job.kind, job.attempts + 1, out.error, hall_dbres_str(res, 0, "status"));
    }
    rc = hall_db_commit(req->cx) == HALL_OK ? 1 : -1;
out:
    if (req->cx->in_tx)
        hall_db_rollback(req->cx);
    hall_pool_destroy(pool);
    return rc;
}

/* the CA's periodic work between jobs (core/pki/crl.c: hall_pki_tick): the media kept
 * past their time destroyed (core/biz/custody.c, no CA key needed), dead
 * intents, CRLs before their nextUpdate, products made without an operator */
static void
pki_work(struct hall_app *app, struct hall_req *req)
{
    hall_custody_sweep(req->cx, app->conf.medium_keep_days);
    /* the CA's work (dead intents, stale CRLs); with the token away it
     * waits (the cause logged).  No production: the hall makes no
     * subscriber key without an operator (sql/162) */
    if (pki_ready && hall_pki_token_ready("no CA work") == HALL_OK) {
        hall_pki_tick(req->cx);
        /* the audit log's days that are over (by 5 minutes: the last
         * transactions of the day have committed), signed, and its chains'
         * heads marked every audit_mark_s */
        if (hall_pki_audit_ready()) {
            hall_audit_anchor_days(req->cx, 300);
            hall_audit_mark_heads(req->cx, app->conf.audit_mark_s);
        }
    }
}

/* the expiry reminders (core/biz/reminder.c); both workers of the lane may
 * run it at once, each reminder still goes once */
static void
reminder_work(struct hall_app *app, struct hall_req *req)
{
    hall_reminder_tick(req->cx);
}

/* 签署 flows past their deadline expired (core/biz/signflow.c) */
static void
contract_work(struct hall_app *app, struct hall_req *req)
{
    if (hall_signflow_expire_tick(req->cx, app->conf.public_url) < 0)
        hall_warn(req, "msg=\"contract expiry tick failed\"");
}

/* the reports' roll-up: the days whose rows changed, and the days that
 * became older than yesterday (the first run after an install rolls up the
 * whole history at once).  The reports are exact without it (what is not
 * rolled up is read live), only slower. */
static void
report_work(struct hall_app *app, struct hall_req *req)
{
    int64_t days = hall_report_rollup(req->cx);

    if (days > 0)
        hall_info(req, "msg=\"report roll-up\" days=%lld", (long long)days);
}

/* the applicants' and the staff's sessions a day past their absolute end
 * (login + session_absolute_s) deleted, at most 1000 rows of each a time
 * (core/store/db.c, session_purge); an ended session is refused at once,
 * the row is only kept that day longer */
static void
session_work(struct hall_app *app, struct hall_req *req)
{
    int64_t n = hall_session_purge(req->cx);
    int64_t staff = n >= 0 ? hall_staff_sessions_sweep(req->cx) : -1;

    if (n >= 0 && staff >= 0 && n + staff > 0)
        hall_info(req, "msg=\"sessions purged\" rows=%lld staff_rows=%lld", (long long)n,
                  (long long)staff);
}

struct sweep {
    struct hall_ctx *cx;
    long removed, not_removed;
};

static void
orphan_count(void *ud, const struct hall_obj_info *o, int rc)
{
    struct sweep *k = ud;

    if (rc == 0) {
        k->removed++;
        /* a retired material's row (its answer lost) now says 已删除 */
        if (hall_order_file_swept(k->cx, o->name) != HALL_OK)
            hall_warn(k->cx, "msg=\"swept object's row not marked removed\" name=%s", o->name);
    } else if (rc > 0) {
        k->not_removed++;
    }
}

/* the object store's objects that no live row names (core/store/file.c,
 * hall_file_orphans: a PUT that landed after its upload failed, a delete
 * the store refused, a replaced material whose answer was lost), removed
 * once objstore_orphan_age_s old, every objstore_sweep_s: one worker of one
 * host a period, the one whose claim of the row in hall_ticks moved it
 * (tick_claim); the others try again every 30 s and find the period not
 * over */
static void
objstore_work(struct hall_app *app, struct hall_req *req)
{
    struct sweep k = {NULL, 0, 0};
    int rc;

    if (app->conf.objstore_sweep_s == 0 ||
        hall_tick_claim(req->cx, "objstore_sweep", app->conf.objstore_sweep_s) != 1)
        return;
    k.cx = req->cx;
    rc = hall_file_orphans(req->cx, app->conf.objstore_orphan_age_s, 1, orphan_count, &k);
    if (rc != HALL_OK || k.removed + k.not_removed > 0)
        hall_info(req, "msg=\"objstore sweep\" removed=%ld not_removed=%ld older_s=%ld%s",
                  k.removed, k.not_removed, app->conf.objstore_orphan_age_s,
                  rc != HALL_OK ? " error=\"the store or the database failed\"" : "");
}

/* the periodic work between jobs, each at most every period_s, in a
 * request of its own (its name the log's), rolled back if left open */
static struct {
    const char *name;
    long period_s;
    size_t pool;
    void (*work)(struct hall_app *app, struct hall_req *req);
    time_t last;
} ticks[] = {
    {"outbox-pki", 5, 8192, pki_work, 0},
    {"outbox-reminder", 5, 8192, reminder_work, 0},
    {"outbox-contract", 5, 16384, contract_work, 0},
    {"outbox-report", 10, 4096, report_work, 0},
    {"outbox-session", 10, 4096, session_work, 0},
    {"outbox-objstore", 30, 65536, objstore_work, 0},
};

static void
ticks_run(struct hall_app *app)
{
    time_t now = time(NULL);
    size_t i;

    for (i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++) {
        struct hall_pool *pool;
        struct hall_req *req;

        if (now - ticks[i].last < ticks[i].period_s)
            continue;
        ticks[i].last = now;
        pool = hall_pool_create(ticks[i].pool);
        req = hall_app_req(app, pool, ticks[i].name);
        ticks[i].work(app, req);
        if (req->cx->in_tx)
            hall_db_rollback(req->cx);
        hall_pool_destroy(pool);
    }
}

static int
listen_outbox(struct hall_app *app)
{
    PGresult *r = PQexec(app->store.pg, "LISTEN outbox");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;

    PQclear(r);
    return ok ? HALL_OK : HALL_ERR;
}

/* 1 when a job of this kind is this worker's lane's (an empty kind: anyone's) */
static int
kind_is_mine(const char *kind)
{
    size_t n = strcspn(kind, "_"), l;

    if (*kind == '\0')
        return 1;
    for (l = 0; l + 1 < N_LANES; l++)
        if (strlen(lanes[l]) == n && strncmp(kind, lanes[l], n) == 0)
            return strcmp(my_lane, lanes[l]) == 0;
    return strcmp(my_lane, "other") == 0;
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits for a NOTIFY of a job of this lane (its payload is the job's kind)
 * or the poll interval, whichever comes first.  Every worker of every lane
 * listens on the one channel; a notification of another lane's job is
 * consumed and the wait goes on, so a job wakes its own lane's workers to
 * claim it, not all of them (each claim that finds nothing is a
 * transaction: three round trips and a commit in PostgreSQL).
 */
static void
wait_for_work(struct hall_app *app)
{
    struct pollfd pfd;
    PGnotify *n;
    long long deadline = now_ms() + app->conf.outbox_poll_ms;

    if (app->store.pg == NULL || PQstatus(app->store.pg) != CONNECTION_OK) {
        usleep((useconds_t)app->conf.outbox_poll_ms * 1000);
        return;
    }
    pfd.fd = PQsocket(app->store.pg);
    pfd.events = POLLIN;
    while (!stop_flag) {
        long long left = deadline - now_ms();
        int mine = 0;

        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            return;
        if (!PQconsumeInput(app->store.pg))
            return; /* the connection's trouble: the next claim finds it */
        while ((n = PQnotifies(app->store.pg)) != NULL) {
            if (kind_is_mine(n->extra))
                mine = 1;
            PQfreemem(n);
        }
        if (mine)
            return;
    }
}

static void
on_term(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* one worker of one lane: claims and delivers that lane's jobs until TERM */
static void
lane_run(struct hall_app *app, const char *lane)
{
    struct sigaction sa;
    sigset_t none;
    int connected = 0;

    my_lane = lane;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGCHLD, SIG_DFL);
    /* a master killed with SIGKILL takes its workers with it at once: their
     * jobs go back to pending (nothing committed), as for any killed worker */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (getppid() == 1)
        _exit(0);
    while (!stop_flag) {
        int r;

        if (!connected) {
            if (hall_store_connect(&app->store) != HALL_OK || listen_outbox(app) != HALL_OK) {
                sleep(1);
                continue;
            }
            connected = 1;
        }
        r = run_one(app);
        /* the periodic work (the CA's at most every 5 s), in one lane only */
        if (r >= 0 && strcmp(lane, "other") == 0)
            ticks_run(app);
        if (r < 0) {
            /* database trouble: a lost connection, or a server that refused
             * the claim as read-only (a primary demoted): a new connection,
             * LISTEN again; with target_session_attrs=read-write it reaches
             * the primary of the moment */
            connected = 0;
            sleep(1);
        } else if (r == 0) {
            wait_for_work(app);
        }
    }
    if (app->store.pg != NULL)
        PQfinish(app->store.pg);
#if defined(__SANITIZE_ADDRESS__)
    /* _exit skips LeakSanitizer's check at exit: what the jobs lost is
     * reported here (docs/operations.md, "Under the sanitizers") */
    __lsan_do_recoverable_leak_check();
#endif
    _exit(0);
}

/* the prefork master's slots: outbox_lane_workers of each lane, in turn */
static const char *
slot_lane(int slot, void *arg)
{
    const struct hall_app *app = arg;

    return lanes[(size_t)slot / (size_t)app->conf.outbox_lane_workers];
}

static void
lane_slot_run(struct hall_app *app, int slot, void *arg)
{
    lane_run(app, slot_lane(slot, arg));
}

int
main(int argc, char **argv)
{
    /* every layer's statements and the 签署 flows' (core/biz/signflow.c,
     * whose expiry the tick runs; the module contract prepares them as its own) */
    static const struct hall_stmt *core_stmts[64];
    static struct hall_module mod = {"outbox", NULL,       outbox_stmts, NULL,
                                     NULL,     core_stmts, NULL,         NULL};
    size_t k = 0;
    static struct hall_app app;
    struct hall_prefork pf;
    const char *conf_path = NULL, *errmsg;
    char err[512];
    int opt;

    while (hall_core_stmts[k] != NULL && k + 2 < sizeof(core_stmts) / sizeof(core_stmts[0])) {
        core_stmts[k] = hall_core_stmts[k];
        k++;
    }
    core_stmts[k] = hall_signflow_stmts;
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
    if (hall_crypto_init(app.conf.key_file, app.conf.pki_pass_file, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return 1;
    }
    if (hall_app_store_init(&app) != HALL_OK || hall_store_key_check(&app.store) != HALL_OK)
        return HALL_EXIT_CONFIG;
    /* the CA's keys for the CA tick: a token that is away is no reason to
     * stop the other lanes (hall_pki_load starts without it, and the tick
     * waits for it); one that refuses the PIN leaves the CA work undone
     * until the outbox is started again with the right one */
    if (hall_pki_load(&app.conf, HALL_PKI_CA_KEYS | HALL_PKI_AUDIT_KEY, err, sizeof(err)) ==
        HALL_OK)
        pki_ready = 1;
    else
        hall_log(app.conf.pkcs11_module[0] != '\0' ? HALL_LOG_ERR : HALL_LOG_WARN, NULL,
                 "msg=\"no CA work: %s\"", err);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    hall_log(HALL_LOG_INFO, NULL, "msg=started lanes=%zu workers_per_lane=%ld", N_LANES,
             app.conf.outbox_lane_workers);
    /* each worker ends the job it is in (its transaction commits) when the
     * master, told to stop, sends it SIGTERM */
    memset(&pf, 0, sizeof(pf));
    pf.n = (int)(N_LANES * (size_t)app.conf.outbox_lane_workers);
    pf.run = lane_slot_run;
    pf.slot_name = slot_lane;
    pf.arg = &app;
    hall_prefork(&app, &pf);
    hall_log(HALL_LOG_INFO, NULL, "msg=stopped");
    hall_conf_free(&app.conf);
    curl_global_cleanup();
    return 0;
}
