/*
 * payrule.c: payment rules modules/pay answers (core/biz/rules.h): which
 * refund a refund notification may name, and 在线支付's one live trade
 * per order (which open trade a click reuses, which it closes, when a new
 * one is opened at the gateway).
 */
#include <stdlib.h>
#include <string.h>

#include "biz/biz.h"

int
hall_refund_notice_ours(struct hall_ctx *cx, const struct hall_pay_notice *nt, long long *refund_id,
                        const char **status)
{
    int64_t amount = 0;
    char *end;
    int rc;

    *refund_id = 0;
    *status = NULL;
    if (nt->out_refund_no == NULL || strncmp(nt->out_refund_no, "RF", 2) != 0 ||
        nt->out_trade_no == NULL)
        return 0;
    *refund_id = strtoll(nt->out_refund_no + 2, &end, 10);
    if (*end != '\0' || *refund_id <= 0)
        return 0;
    rc = hall_refund_of_trade(cx, (int64_t)*refund_id, nt->out_trade_no, &amount, status);
    if (rc == HALL_ERR)
        return HALL_ERR;
    return rc != 0 && amount == nt->amount_fen;
}

int
hall_payment_reusable(const struct hall_dbres *live, int row, const char *channel,
                      int64_t amount_fen, const char *mode, int merchant_ref)
{
    return strcmp(hall_dbres_str(live, row, "method"), channel) == 0 &&
           hall_dbres_int(live, row, "amount_fen") == amount_fen &&
           strcmp(hall_dbres_str(live, row, "pay_mode"), mode) == 0 &&
           hall_dbres_int(live, row, "merchant_ref") == merchant_ref;
}

const struct hall_stmt hall_payrule_stmts[] = {
    /* the order's open online trades, newest first */
    {"payrule_live",
     "SELECT id, attempt, method, amount_fen, out_trade_no, coalesce(pay_url, '') AS pay_url,"
     " coalesce(pay_mode, '') AS pay_mode, coalesce(merchant_ref, 0) AS merchant_ref"
     " FROM payments WHERE order_id = $1 AND status = 'created' AND method <> 'transfer'"
     " ORDER BY attempt DESC",
     1},
    {"payrule_status", "SELECT status FROM payments WHERE id = $1", 1},
    {NULL, NULL, 0},
};

static int
paid_state(const char *st)
{
    return st != NULL && (strcmp(st, "SUCCESS") == 0 || strcmp(st, "REFUND") == 0);
}

int
hall_payment_trade_paid(struct hall_ctx *cx, const char *out_trade_no)
{
    const char *st;

    if (hall_payment_query(cx, out_trade_no, &st) != HALL_OK)
        return -1;
    return paid_state(st);
}

int
hall_payment_close_now(struct hall_ctx *cx, const char *const *outs, int n)
{
    const char *st;
    int i, paid = 0;

    for (i = 0; i < n; i++)
        if (hall_payment_close(cx, outs[i], &st) == HALL_OK) {
            hall_info(cx, "msg=\"trade closed\" out_trade_no=%s status=%s", outs[i], st);
            paid |= paid_state(st);
        }
    return paid;
}

/* an address the gateway gave that the browser may be sent to */
static int
url_ok(const char *u)
{
    const char *c;

    if (u == NULL || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0 &&
                      strncmp(u, "weixin://", 9) != 0))
        return 0;
    if (strlen(u) > 8192)
        return 0;
    for (c = u; *c != '\0'; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '"' || *c == '<' || *c == '>' ||
            *c == '\\')
            return 0;
    return 1;
}

#define MAX_LIVE 16

/* one trade of the order, under its lock: reused (round 0 only) or new;
 * the others closed.  *reuse_url set when a trade opened before is reused */
struct start_round {
    int64_t pay_id, amount;
    const char *out_no, *order_no, *reuse_url;
};

static int
start_round(struct hall_ctx *cx, const struct hall_pay_start_in *in, int round,
            struct start_round *r)
{
    const char *closing[MAX_LIVE];
    struct hall_dbres *lock, *p;
    long attempt = 0;
    int i, n, nclose = 0, reuse;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    lock = hall_db_exec(cx, "order_lock_own", HALL_I64(in->order_id), HALL_I64(in->user_id));
    if (lock == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(lock) == 0)
        return HALL_PAY_NOT_OWN;
    if (strcmp(hall_dbres_str(lock, 0, "status"), "unpaid") != 0)
        return HALL_PAY_NOT_UNPAID;
    r->amount = hall_dbres_int(lock, 0, "amount_fen");
    r->order_no = hall_pstrdup(cx->pool, hall_dbres_str(lock, 0, "order_no"));
    if (r->amount <= 0)
        return HALL_PAY_ZERO;
    p = hall_db_exec(cx, "payrule_live", HALL_I64(in->order_id));
    if (p == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(p);
    /* the first round may reuse the newest open trade; the second comes
     * only when that trade turned out closed at the gateway */
    reuse = round == 0 && n > 0 &&
            hall_payment_reusable(p, 0, in->channel, r->amount, in->mode, in->merchant_ref);
    for (i = reuse ? 1 : 0; i < n; i++) {
        const char *old = hall_pstrdup(cx->pool, hall_dbres_str(p, i, "out_trade_no"));

        if (hall_payment_close_row(cx, hall_dbres_int(p, i, "id")) != HALL_OK ||
            hall_payment_close_queue(cx, hall_dbres_int(p, i, "id"), old) != HALL_OK)
            return HALL_ERR;
        if (nclose < MAX_LIVE)
            closing[nclose++] = old;
    }
    r->reuse_url = NULL;
    if (reuse) {
        r->pay_id = hall_dbres_int(p, 0, "id");
        r->out_no = hall_pstrdup(cx->pool, hall_dbres_str(p, 0, "out_trade_no"));
        if (*hall_dbres_str(p, 0, "pay_url") != '\0')
            r->reuse_url = hall_pstrdup(cx->pool, hall_dbres_str(p, 0, "pay_url"));
    } else {
        struct hall_pay_new nw = {in->order_id, r->order_no,      in->channel,
                                  r->amount,    in->merchant_ref, in->mode};

        if (hall_payment_create(cx, &nw, &r->pay_id, &attempt, &r->out_no) != HALL_OK)
            return HALL_ERR;
        if (hall_audit(cx, in->actor, "order",
                       hall_psprintf(cx->pool, "%lld", (long long)in->order_id), "pay_online", NULL,
                       NULL, NULL) != HALL_OK)
            return HALL_ERR;
    }
    if (hall_db_commit(cx) != HALL_OK)
        return HALL_ERR;
    if (hall_payment_close_now(cx, closing, nclose)) {
        /* an older trade had been paid: its notification is on its way */
        if (!reuse)
            hall_payment_close_row(cx, r->pay_id);
        return HALL_PAY_PENDING;
    }
    return HALL_OK;
}

int
hall_payment_start(struct hall_ctx *cx, const struct hall_pay_start_in *in,
                   struct hall_pay_started *out)
{
    struct hall_pay_open po;
    struct hall_pay_opened opened;
    struct hall_dbres *res;
    struct start_round r;
    const char *st;
    int round, rc;

    memset(&r, 0, sizeof(r));
    for (round = 0; round < 2; round++) {
        rc = start_round(cx, in, round, &r);
        if (cx->in_tx)
            hall_db_rollback(cx);
        if (rc != HALL_OK)
            return rc;
        if (r.reuse_url == NULL)
            break;
        /* a trade we opened before: still payable, or cancelled at the cashier? */
        if (hall_payment_query(cx, r.out_no, &st) != HALL_OK)
            st = NULL;
        if (paid_state(st))
            return HALL_PAY_PENDING;
        /* NOT_FOUND: an Alipay page nobody opened yet */
        if (st != NULL && (strcmp(st, "NOTPAY") == 0 || strcmp(st, "NOT_FOUND") == 0)) {
            out->mode = in->mode;
            out->pay_url = r.reuse_url;
            return HALL_PAY_GO;
        }
        if (st == NULL)
            return HALL_PAY_DOWN;
        /* round 1 closes it (in our table too) and opens a new one */
    }

    /* the gateway is called outside any transaction: no lock waits on it;
     * the same out_trade_no again (a retry) opens the same trade */
    memset(&po, 0, sizeof(po));
    po.channel = in->channel;
    po.partner = in->partner;
    po.out_trade_no = r.out_no;
    po.amount_fen = r.amount;
    /* no applicant's name: the subject is shown by the wallet app */
    po.subject = hall_psprintf(cx->pool, "深圳CA数字证书 业务单%s", r.order_no);
    po.return_url = in->return_url;
    po.mobile = in->mobile;
    po.client_ip = in->client_ip;
    if (hall_payment_open(cx, &po, &opened) != HALL_OK) {
        /* the gateway refuses a trade another request closed meanwhile
         * (WeChat: ORDER_CLOSED): that is this click being superseded */
        res = hall_db_exec(cx, "payrule_status", HALL_I64(r.pay_id));
        if (res != NULL && hall_dbres_rows(res) > 0 &&
            strcmp(hall_dbres_str(res, 0, "status"), "created") != 0) {
            hall_warn(cx, "msg=\"trade superseded while opened\" out_trade_no=%s", r.out_no);
            return HALL_PAY_SUPERSEDED;
        }
        hall_warn(cx, "msg=\"pay open failed\" out_trade_no=%s", r.out_no);
        return HALL_PAY_DOWN;
    }
    if (opened.merchant_ref != in->merchant_ref || !url_ok(opened.pay_url)) {
        hall_err(cx, "msg=\"pay open: unexpected answer\" out_trade_no=%s", r.out_no);
        return HALL_PAY_DOWN;
    }
    rc = hall_payment_url_set(cx, r.pay_id, opened.pay_url);
    if (rc == HALL_ERR)
        return HALL_ERR;
    if (rc == HALL_CONFLICT) {
        /* another request replaced this attempt while the gateway opened
         * it (the other tab chose the other channel): it must not stay
         * payable, and this browser is not sent to it */
        hall_warn(cx, "msg=\"trade superseded while opened\" out_trade_no=%s", r.out_no);
        hall_payment_close_now(cx, &r.out_no, 1);
        return HALL_PAY_SUPERSEDED;
    }
    hall_info(cx, "msg=\"trade opened\" out_trade_no=%s channel=%s mode=%s", r.out_no, in->channel,
              opened.mode);
    out->mode = opened.mode;
    out->pay_url = opened.pay_url;
    return HALL_PAY_GO;
}
