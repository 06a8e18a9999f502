/*
 * payali.c: the payment driver of Alipay OpenAPI (core/biz/payment.c is the
 * interface): form parameters signed RSA2 (SHA256withRSA over the sorted
 * "k=v&..."), answers' signatures over the "*_response" JSON text as
 * received, notifications' sign over the sorted parameters; amounts in
 * yuan "12.34".  Trades opened, queried, closed and refunded; a
 * notification verified and read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "biz/payment_int.h"

#define MAX_PARAMS 48

/* Beijing time as Alipay writes it: "2026-11-25 17:30:00" */
static const char *
beijing_now(struct hall_pool *pool)
{
    time_t t = time(NULL) + HALL_BEIJING_OFFSET_S;
    struct tm tm;
    char buf[32];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    return hall_pstrdup(pool, buf);
}

/* "2026-11-25 17:30:00" (Beijing) -> Unix time; -1 if malformed */
static int64_t
beijing_parse(const char *s)
{
    struct tm tm;
    int y, mo, d, h, mi, se;

    if (s == NULL || strlen(s) != 19 ||
        sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    return (int64_t)timegm(&tm) - HALL_BEIJING_OFFSET_S;
}

/* "k=v&k=v" of the sorted, non-empty parameters but sign (and sign_type
 * for a notification): the text RSA2 signs, values as they are */
static char *
ali_sign_text(struct hall_pool *pool, struct hall_kv *p, int n, int skip_sign_type)
{
    static const char *const sign[] = {"sign", NULL}, *const both[] = {"sign", "sign_type", NULL};

    return hall_kv_join(pool, p, (size_t)n, HALL_KV_SORT | HALL_KV_SKIP_EMPTY,
                        skip_sign_type ? both : sign);
}

/* the common parameters of a method, signed: the encoded "k=v&..." */
static char *
ali_request(struct hall_ctx *cx, const struct merchant *m, const char *method,
            const struct hall_val *biz, const char *return_url)
{
    struct hall_kv p[12];
    const char *bizj = hall_val_json(cx->pool, biz, NULL), *text, *sig;
    int n = 0;

    if (bizj == NULL)
        return NULL;
    p[n++] = (struct hall_kv){"app_id", m->merchant_id};
    p[n++] = (struct hall_kv){"method", method};
    p[n++] = (struct hall_kv){"format", "JSON"};
    p[n++] = (struct hall_kv){"charset", "utf-8"};
    p[n++] = (struct hall_kv){"sign_type", "RSA2"};
    p[n++] = (struct hall_kv){"timestamp", beijing_now(cx->pool)};
    p[n++] = (struct hall_kv){"version", "1.0"};
    p[n++] = (struct hall_kv){"biz_content", bizj};
    if (strcmp(method, "alipay.trade.page.pay") == 0 ||
        strcmp(method, "alipay.trade.wap.pay") == 0 || strcmp(method, "alipay.trade.refund") == 0)
        p[n++] = (struct hall_kv){
            "notify_url", hall_psprintf(cx->pool, "%s/pay/notify/alipay", cx->conf->public_url)};
    if (return_url != NULL)
        p[n++] = (struct hall_kv){"return_url", return_url};
    text = ali_sign_text(cx->pool, p, n, 0);
    sig = text != NULL ? hall_rsa_sign(cx->pool, m->key, text, strlen(text)) : NULL;
    if (sig == NULL)
        return NULL;
    p[n++] = (struct hall_kv){"sign", sig};
    return hall_kv_join(cx->pool, p, (size_t)n, HALL_KV_ENCODE, NULL);
}

static const char *
ali_gateway(struct hall_ctx *cx, const struct merchant *m)
{
    return m->gateway != NULL ? m->gateway
                              : hall_psprintf(cx->pool, "%s/gateway.do", cx->conf->sandbox_url);
}

/*
 * One OpenAPI call (form POST to the gateway): HALL_OK with the verified
 * "<method>_response" object; HALL_ERR when no answer or a signature that
 * does not check out.
 */
static int
ali_call(struct hall_ctx *cx, const struct merchant *m, const char *method,
         const struct hall_val *biz, struct hall_val **resp)
{
    const char *form = ali_request(cx, m, method, biz, NULL), *name, *text, *sig;
    struct hall_http_call call;
    struct hall_http_resp r;
    struct hall_val *all;
    char *c;

    *resp = NULL;
    if (form == NULL)
        return HALL_ERR;
    memset(&call, 0, sizeof(call));
    call.method = "POST";
    call.url = ali_gateway(cx, m);
    call.content_type = "application/x-www-form-urlencoded;charset=utf-8";
    call.body = form;
    call.body_len = strlen(form);
    call.connect_ms = cx->conf->http_connect_ms;
    call.total_ms = cx->conf->http_total_ms;
    if (hall_http_call(cx->pool, &call, &r) != HALL_OK || r.status != 200) {
        hall_warn(cx, "msg=\"alipay: no answer\" method=%s http=%ld", method, r.status);
        return HALL_ERR;
    }
    name = hall_psprintf(cx->pool, "%s_response", method);
    for (c = (char *)name; *c != '\0'; c++)
        if (*c == '.')
            *c = '_';
    all = hall_val_parse(cx->pool, r.body, r.len, NULL, 0);
    text = hall_json_member_text(cx->pool, r.body, name);
    sig = hall_val_str_or_null(all, "sign");
    if (all == NULL || text == NULL || sig == NULL ||
        !hall_rsa_verify(cx->pool, m->peer, text, strlen(text), sig)) {
        hall_warn(cx, "msg=\"alipay: answer without a valid signature\" method=%s", method);
        return HALL_ERR;
    }
    *resp = (struct hall_val *)hall_val_get(all, name);
    return *resp != NULL ? HALL_OK : HALL_ERR;
}

static int
ali_ok(const struct hall_val *r)
{
    return hall_val_str_or_null(r, "code") != NULL &&
           strcmp(hall_val_str_or_null(r, "code"), "10000") == 0;
}

static int
ali_sub(const struct hall_val *r, const char *sub)
{
    return hall_val_str_or_null(r, "sub_code") != NULL &&
           strcmp(hall_val_str_or_null(r, "sub_code"), sub) == 0;
}

static int
ali_query(struct hall_ctx *cx, const struct merchant *m, const char *out_no, const char **state)
{
    struct hall_val *biz = hall_val_obj(cx->pool), *r;
    const char *s;

    hall_val_set_str(cx->pool, biz, "out_trade_no", out_no);
    if (ali_call(cx, m, "alipay.trade.query", biz, &r) != HALL_OK)
        return HALL_ERR;
    if (!ali_ok(r)) {
        if (ali_sub(r, "ACQ.TRADE_NOT_EXIST")) {
            /* page.pay: the trade exists once the buyer opened the page */
            *state = "NOT_FOUND";
            return HALL_OK;
        }
        return HALL_ERR;
    }
    s = hall_val_str_or_null(r, "trade_status");
    if (s == NULL)
        return HALL_ERR;
    if (strcmp(s, "WAIT_BUYER_PAY") == 0)
        *state = "NOTPAY";
    else if (strcmp(s, "TRADE_SUCCESS") == 0 || strcmp(s, "TRADE_FINISHED") == 0)
        *state = "SUCCESS";
    else if (strcmp(s, "TRADE_CLOSED") == 0)
        *state = "CLOSED";
    else
        return HALL_ERR;
    return HALL_OK;
}

static int
ali_open(struct hall_ctx *cx, const struct merchant *m, const struct hall_pay_open *in,
         struct hall_pay_opened *out)
{
    struct hall_val *biz = hall_val_obj(cx->pool);
    const char *q;

    hall_val_set_str(cx->pool, biz, "out_trade_no", in->out_trade_no);
    hall_val_set_str(cx->pool, biz, "total_amount", hall_yuan(cx->pool, in->amount_fen));
    hall_val_set_str(cx->pool, biz, "subject", in->subject);
    hall_val_set_str(cx->pool, biz, "product_code",
                     in->mobile ? "QUICK_WAP_WAY" : "FAST_INSTANT_TRADE_PAY");
    /* an abandoned page cannot pay after half an hour */
    hall_val_set_str(cx->pool, biz, "timeout_express", "30m");
    if (in->mobile)
        hall_val_set_str(cx->pool, biz, "quit_url", in->return_url);
    q = ali_request(cx, m, in->mobile ? "alipay.trade.wap.pay" : "alipay.trade.page.pay", biz,
                    in->return_url);
    if (q == NULL)
        return HALL_ERR;
    /* the browser is sent there: no call from here, the trade exists at
     * Alipay once the buyer opened it */
    out->pay_url = hall_psprintf(cx->pool, "%s?%s", ali_gateway(cx, m), q);
    out->mode = in->mobile ? "wap" : "page";
    return HALL_OK;
}

static int
ali_close(struct hall_ctx *cx, const struct merchant *m, const char *out_no, const char **state)
{
    struct hall_val *biz = hall_val_obj(cx->pool), *r;

    hall_val_set_str(cx->pool, biz, "out_trade_no", out_no);
    if (ali_call(cx, m, "alipay.trade.close", biz, &r) != HALL_OK)
        return HALL_ERR;
    if (ali_ok(r)) {
        *state = "CLOSED";
        return HALL_OK;
    }
    return ali_query(cx, m, out_no, state);
}

static int
ali_refund(struct hall_ctx *cx, const struct merchant *m, const struct hall_pay_refund *in,
           const char **refund_no, const char **state)
{
    struct hall_val *biz = hall_val_obj(cx->pool), *r;

    hall_val_set_str(cx->pool, biz, "out_trade_no", in->out_trade_no);
    hall_val_set_str(cx->pool, biz, "refund_amount", hall_yuan(cx->pool, in->amount_fen));
    hall_val_set_str(cx->pool, biz, "out_request_no", in->out_refund_no);
    hall_val_set_str(cx->pool, biz, "refund_reason", in->reason);
    if (ali_call(cx, m, "alipay.trade.refund", biz, &r) != HALL_OK)
        return HALL_ERR;
    if (!ali_ok(r)) {
        hall_warn(
            cx, "msg=\"alipay: refund refused\" out_request_no=%s sub_code=%s", in->out_refund_no,
            hall_val_str_or_null(r, "sub_code") != NULL ? hall_val_str_or_null(r, "sub_code") : "");
        return HALL_ERR;
    }
    /* answered synchronously: the out_request_no is the refund's name */
    *refund_no = in->out_refund_no;
    *state = "SUCCESS";
    return HALL_OK;
}

static int
unhex1(int c)
{
    return hall_hexval(c);
}

/* application/x-www-form-urlencoded into at most max pairs; -1 if malformed */
static int
form_parse(struct hall_pool *pool, const char *s, size_t len, struct hall_kv *p, int max)
{
    int n = 0;
    const char *end = s + len;

    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s)), *eq;
        const char *stop = amp != NULL ? amp : end;
        char *dec[2];
        int part;

        eq = memchr(s, '=', (size_t)(stop - s));
        if (eq == NULL || n == max)
            return -1;
        for (part = 0; part < 2; part++) {
            const char *a = part == 0 ? s : eq + 1, *b = part == 0 ? eq : stop;
            char *o = hall_palloc(pool, (size_t)(b - a) + 1);

            dec[part] = o;
            for (; a < b; a++) {
                if (*a == '+') {
                    *o++ = ' ';
                } else if (*a == '%') {
                    int h, l;

                    if (b - a < 3 || (h = unhex1(a[1])) < 0 || (l = unhex1(a[2])) < 0)
                        return -1;
                    *o++ = (char)(h * 16 + l);
                    a += 2;
                } else {
                    *o++ = *a;
                }
            }
            *o = '\0';
        }
        p[n].k = dec[0];
        p[n].v = dec[1];
        n++;
        s = stop + 1;
    }
    return n;
}

static const char *
kv_get(const struct hall_kv *p, int n, const char *k)
{
    int i;

    for (i = 0; i < n; i++)
        if (strcmp(p[i].k, k) == 0)
            return p[i].v;
    return NULL;
}

static int
ali_notice(struct hall_ctx *cx, const struct hall_pay_inbound *in, struct hall_pay_notice *out)
{
    struct hall_kv p[MAX_PARAMS];
    int n, i;
    struct merchant *m = NULL;
    const char *app, *text, *sig, *st, *gmt;

    if (pay_merchants_fresh(cx) != HALL_OK)
        return HALL_ERR;
    out->why = "format";
    n = in->body != NULL ? form_parse(cx->pool, in->body, in->len, p, MAX_PARAMS) : -1;
    if (n <= 0)
        return HALL_ERR;
    out->why = "signature";
    app = kv_get(p, n, "app_id");
    sig = kv_get(p, n, "sign");
    for (i = 0; app != NULL && m == NULL && i < pay_nmerchants; i++)
        if (pay_merchants[i].ready && strcmp(pay_merchants[i].driver, "alipay") == 0 &&
            strcmp(pay_merchants[i].merchant_id, app) == 0)
            m = &pay_merchants[i];
    if (m == NULL || sig == NULL || kv_get(p, n, "sign_type") == NULL ||
        strcmp(kv_get(p, n, "sign_type"), "RSA2") != 0)
        return HALL_ERR;
    sig = hall_pstrdup(cx->pool, sig);
    text = ali_sign_text(cx->pool, p, n, 1);
    if (text == NULL || !hall_rsa_verify(cx->pool, m->peer, text, strlen(text), sig))
        return HALL_ERR;
    /* Alipay's checks (异步通知, 验签后): app_id is the account, seller_id
     * its seller; out_trade_no and total_amount are the caller's.  It sets
     * no window on notify_time, and sends a notification again for about
     * 25 hours: a copy changes nothing, as the trade's state only moves
     * forward (docs/operations.md, "The providers' rules") */
    if (kv_get(p, n, "seller_id") == NULL || strcmp(kv_get(p, n, "seller_id"), m->seller_id) != 0) {
        out->why = "merchant";
        return HALL_ERR;
    }
    out->why = "format";
    out->merchant_ref = m->id;
    out->out_trade_no = kv_get(p, n, "out_trade_no");
    out->trade_no = kv_get(p, n, "trade_no");
    st = kv_get(p, n, "trade_status");
    if (kv_get(p, n, "refund_fee") != NULL || kv_get(p, n, "out_biz_no") != NULL) {
        /* a refund's notification: the refund was answered already */
        out->kind = "refund";
        out->out_refund_no = kv_get(p, n, "out_biz_no");
        out->status = "SUCCESS";
        out->amount_fen = hall_fen_of_yuan(kv_get(p, n, "refund_fee"));
        return out->amount_fen > 0 && out->out_refund_no != NULL ? HALL_OK : HALL_ERR;
    }
    if (st == NULL)
        return HALL_ERR;
    if (strcmp(st, "TRADE_SUCCESS") == 0 || strcmp(st, "TRADE_FINISHED") == 0) {
        out->kind = "paid";
        out->status = "SUCCESS";
    } else if (strcmp(st, "WAIT_BUYER_PAY") == 0 || strcmp(st, "TRADE_CLOSED") == 0) {
        /* verified, but no money: acknowledged and counted, nothing moves */
        out->kind = "state";
        out->status = st;
    } else {
        return HALL_ERR;
    }
    out->amount_fen = hall_fen_of_yuan(kv_get(p, n, "total_amount"));
    if (out->amount_fen <= 0)
        return HALL_ERR;
    gmt = kv_get(p, n, "gmt_payment");
    if (gmt != NULL && beijing_parse(gmt) >= 0)
        out->paid_at = hall_psprintf(cx->pool, "%.10sT%s+08:00", gmt, gmt + 11);
    return HALL_OK;
}

const struct pay_driver pay_alipay = {
    "alipay", ali_open, ali_query, ali_close, ali_refund, ali_notice,
};
