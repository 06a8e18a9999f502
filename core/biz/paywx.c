/*
 * paywx.c: the payment driver of WeChat Pay API v3 (core/biz/payment.c is
 * the interface): JSON requests signed WECHATPAY2-SHA256-RSA2048 with the
 * merchant's key, every answer and notification verified with WeChat Pay's
 * public key, notifications' resource opened with AES-256-GCM under the
 * APIv3 key; amounts in fen.  Trades opened, queried, closed and refunded;
 * a notification verified and read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "biz/payment_int.h"

static int
int_of(const struct hall_val *obj, const char *key, int64_t *out)
{
    const struct hall_val *v = hall_val_get(obj, key);

    if (v == NULL || v->type != HALL_V_INT)
        return HALL_ERR;
    *out = v->i;
    return HALL_OK;
}

static char *
nonce(struct hall_pool *pool)
{
    unsigned char r[16];

    if (hall_rand_bytes(r, sizeof(r)) != HALL_OK)
        return NULL;
    return hall_hex(pool, r, sizeof(r));
}

static int
fresh(struct hall_ctx *cx, int64_t ts)
{
    int64_t now = (int64_t)time(NULL), w = cx->conf->pay_callback_max_age_s;

    return ts >= now - w && ts <= now + w;
}

static const char *
wx_base(struct hall_ctx *cx, const struct merchant *m)
{
    return m->gateway != NULL ? m->gateway : cx->conf->sandbox_url;
}

/*
 * A verified answer of WeChat Pay: the headers Wechatpay-Serial (the public
 * key we hold), -Timestamp (within the window), -Nonce and -Signature over
 * "timestamp\nnonce\nbody\n".  0 when any of it is missing or wrong.
 */
static int
wx_answer_ok(struct hall_ctx *cx, const struct merchant *m, const struct hall_http_resp *r)
{
    const char *serial = hall_http_header(cx->pool, r, "Wechatpay-Serial");
    const char *ts = hall_http_header(cx->pool, r, "Wechatpay-Timestamp");
    const char *no = hall_http_header(cx->pool, r, "Wechatpay-Nonce");
    const char *sig = hall_http_header(cx->pool, r, "Wechatpay-Signature");
    const char *msg;

    if (serial == NULL || ts == NULL || no == NULL || sig == NULL ||
        strcmp(serial, m->platform_key_id) != 0 || strspn(ts, "0123456789") != strlen(ts) ||
        strlen(ts) == 0 || strlen(ts) > 12 || !fresh(cx, strtoll(ts, NULL, 10)))
        return 0;
    msg = hall_psprintf(cx->pool, "%s\n%s\n%s\n", ts, no, r->body != NULL ? r->body : "");
    return hall_rsa_verify(cx->pool, m->peer, msg, strlen(msg), sig);
}

/*
 * One API v3 call: signed with the merchant's key, its answer verified.
 * HALL_OK with *ans (NULL for an empty body) and *status; HALL_ERR when the
 * gateway did not answer, or answered without a valid signature.
 */
static int
wx_call(struct hall_ctx *cx, const struct merchant *m, const char *method, const char *path,
        const struct hall_val *body, long *status, struct hall_val **ans)
{
    const char *json = "", *no = nonce(cx->pool), *msg, *sig, *hdrs[4];
    long ts = (long)time(NULL);
    struct hall_http_call call;
    struct hall_http_resp r;

    *ans = NULL;
    if (no == NULL || (body != NULL && (json = hall_val_json(cx->pool, body, NULL)) == NULL))
        return HALL_ERR;
    msg = hall_psprintf(cx->pool, "%s\n%s\n%ld\n%s\n%s\n", method, path, ts, no, json);
    sig = hall_rsa_sign(cx->pool, m->key, msg, strlen(msg));
    if (sig == NULL)
        return HALL_ERR;
    hdrs[0] =
        hall_psprintf(cx->pool,
                      "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"%s\","
                      "signature=\"%s\",timestamp=\"%ld\",serial_no=\"%s\"",
                      m->merchant_id, no, sig, ts, m->serial);
    hdrs[1] = "Accept: application/json";
    hdrs[2] = "User-Agent: hall/1 (libcurl)";
    hdrs[3] = NULL;
    memset(&call, 0, sizeof(call));
    call.method = method;
    call.url = hall_psprintf(cx->pool, "%s%s", wx_base(cx, m), path);
    call.content_type = body != NULL ? "application/json" : NULL;
    call.body = json;
    call.body_len = strlen(json);
    call.headers = hdrs;
    call.connect_ms = cx->conf->http_connect_ms;
    call.total_ms = cx->conf->http_total_ms;
    if (hall_http_call(cx->pool, &call, &r) != HALL_OK) {
        hall_warn(cx, "msg=\"wechatpay: no answer\" path=%s error=\"%s\"", path,
                  r.error != NULL ? r.error : "");
        return HALL_ERR;
    }
    if (!wx_answer_ok(cx, m, &r)) {
        /* forged, or an error page of something in between: not believed */
        hall_warn(cx, "msg=\"wechatpay: answer without a valid signature\" path=%s http=%ld", path,
                  r.status);
        return HALL_ERR;
    }
    *status = r.status;
    if (r.len > 0 && (*ans = hall_val_parse(cx->pool, r.body, r.len, NULL, 0)) == NULL)
        return HALL_ERR;
    return HALL_OK;
}

static const char *
wx_state(const char *s)
{
    if (s == NULL)
        return NULL;
    if (strcmp(s, "SUCCESS") == 0 || strcmp(s, "REFUND") == 0)
        return s;
    if (strcmp(s, "NOTPAY") == 0 || strcmp(s, "USERPAYING") == 0)
        return "NOTPAY";
    if (strcmp(s, "CLOSED") == 0 || strcmp(s, "REVOKED") == 0 || strcmp(s, "PAYERROR") == 0)
        return "CLOSED";
    return NULL;
}

static int
wx_query(struct hall_ctx *cx, const struct merchant *m, const char *out_no, const char **state)
{
    struct hall_val *ans;
    long st;

    if (wx_call(cx, m, "GET",
                hall_psprintf(cx->pool, "/v3/pay/transactions/out-trade-no/%s?mchid=%s",
                              hall_url_encode(cx->pool, out_no), m->merchant_id),
                NULL, &st, &ans) != HALL_OK)
        return HALL_ERR;
    if (st == 404) {
        *state = "NOT_FOUND";
        return HALL_OK;
    }
    if (st != 200 || (*state = wx_state(hall_val_str_or_null(ans, "trade_state"))) == NULL)
        return HALL_ERR;
    return HALL_OK;
}

static int
wx_open(struct hall_ctx *cx, const struct merchant *m, const struct hall_pay_open *in,
        struct hall_pay_opened *out)
{
    struct hall_val *b = hall_val_obj(cx->pool), *amt, *scene, *h5, *ans;
    const char *url;
    long st;

    hall_val_set_str(cx->pool, b, "appid", m->app_id);
    hall_val_set_str(cx->pool, b, "mchid", m->merchant_id);
    hall_val_set_str(cx->pool, b, "description", in->subject);
    hall_val_set_str(cx->pool, b, "out_trade_no", in->out_trade_no);
    hall_val_set_fmt(cx->pool, b, "notify_url", "%s/pay/notify/wechat", cx->conf->public_url);
    amt = hall_val_set_obj(cx->pool, b, "amount");
    hall_val_set_int(cx->pool, amt, "total", in->amount_fen);
    hall_val_set_str(cx->pool, amt, "currency", "CNY");
    if (in->mobile) {
        scene = hall_val_set_obj(cx->pool, b, "scene_info");
        hall_val_set_str(cx->pool, scene, "payer_client_ip",
                         in->client_ip != NULL ? in->client_ip : "127.0.0.1");
        h5 = hall_val_set_obj(cx->pool, scene, "h5_info");
        hall_val_set_str(cx->pool, h5, "type", "Wap");
    }
    if (wx_call(cx, m, "POST",
                in->mobile ? "/v3/pay/transactions/h5" : "/v3/pay/transactions/native", b, &st,
                &ans) != HALL_OK)
        return HALL_ERR;
    if (st != 200) {
        hall_warn(cx, "msg=\"wechatpay: order refused\" out_trade_no=%s http=%ld code=%s",
                  in->out_trade_no, st,
                  hall_val_str_or_null(ans, "code") != NULL ? hall_val_str_or_null(ans, "code")
                                                            : "");
        return HALL_ERR;
    }
    url = hall_val_str_or_null(ans, in->mobile ? "h5_url" : "code_url");
    if (url == NULL || strlen(url) > 2048)
        return HALL_ERR;
    /* H5: back to the hall's page after the payment (redirect_url, encoded) */
    out->pay_url = in->mobile ? hall_psprintf(cx->pool, "%s&redirect_url=%s", url,
                                              hall_url_encode(cx->pool, in->return_url))
                              : url;
    out->mode = in->mobile ? "h5" : "native";
    return HALL_OK;
}

static int
wx_close(struct hall_ctx *cx, const struct merchant *m, const char *out_no, const char **state)
{
    struct hall_val *b = hall_val_obj(cx->pool), *ans;
    long st;

    hall_val_set_str(cx->pool, b, "mchid", m->merchant_id);
    if (wx_call(cx, m, "POST",
                hall_psprintf(cx->pool, "/v3/pay/transactions/out-trade-no/%s/close",
                              hall_url_encode(cx->pool, out_no)),
                b, &st, &ans) != HALL_OK)
        return HALL_ERR;
    if (st == 204 || st == 200) {
        *state = "CLOSED";
        return HALL_OK;
    }
    /* ORDERPAID, ORDER_NOT_EXIST ...: what the trade is */
    return wx_query(cx, m, out_no, state);
}

static int
wx_refund(struct hall_ctx *cx, const struct merchant *m, const struct hall_pay_refund *in,
          const char **refund_no, const char **state)
{
    struct hall_val *b = hall_val_obj(cx->pool), *amt, *ans;
    const char *s;
    long st;

    hall_val_set_str(cx->pool, b, "out_trade_no", in->out_trade_no);
    hall_val_set_str(cx->pool, b, "out_refund_no", in->out_refund_no);
    hall_val_set_str(cx->pool, b, "reason", in->reason);
    hall_val_set_fmt(cx->pool, b, "notify_url", "%s/pay/notify/wechat", cx->conf->public_url);
    amt = hall_val_set_obj(cx->pool, b, "amount");
    hall_val_set_int(cx->pool, amt, "refund", in->amount_fen);
    hall_val_set_int(cx->pool, amt, "total", in->total_fen);
    hall_val_set_str(cx->pool, amt, "currency", "CNY");
    if (wx_call(cx, m, "POST", "/v3/refund/domestic/refunds", b, &st, &ans) != HALL_OK)
        return HALL_ERR;
    s = hall_val_str_or_null(ans, "status");
    if (st != 200 || s == NULL || !pay_alnum_ok(hall_val_str_or_null(ans, "refund_id"), 64) ||
        (strcmp(s, "SUCCESS") != 0 && strcmp(s, "PROCESSING") != 0)) {
        hall_warn(cx, "msg=\"wechatpay: refund refused\" out_refund_no=%s http=%ld code=%s",
                  in->out_refund_no, st,
                  hall_val_str_or_null(ans, "code") != NULL ? hall_val_str_or_null(ans, "code")
                                                            : "");
        return HALL_ERR;
    }
    *refund_no = hall_val_str_or_null(ans, "refund_id");
    *state = s;
    return HALL_OK;
}

static int
wx_notice(struct hall_ctx *cx, const struct hall_pay_inbound *in, struct hall_pay_notice *out)
{
    const char *serial = in->header(in->ud, "HTTP_WECHATPAY_SERIAL");
    const char *ts = in->header(in->ud, "HTTP_WECHATPAY_TIMESTAMP");
    const char *no = in->header(in->ud, "HTTP_WECHATPAY_NONCE");
    const char *sig = in->header(in->ud, "HTTP_WECHATPAY_SIGNATURE");
    const struct hall_val *res, *amt;
    struct hall_val *j, *plain;
    struct merchant *m = NULL;
    const char *msg, *ev, *text, *mch;
    size_t n;
    int i;

    if (pay_merchants_fresh(cx) != HALL_OK)
        return HALL_ERR;
    out->why = "signature";
    if (serial == NULL || ts == NULL || no == NULL || sig == NULL || in->body == NULL ||
        strlen(ts) == 0 || strlen(ts) > 12 || strspn(ts, "0123456789") != strlen(ts))
        return HALL_ERR;
    msg = hall_psprintf(cx->pool, "%s\n%s\n%.*s\n", ts, no, (int)in->len, in->body);
    /* the accounts that know this public key: one of them is the signer */
    for (i = 0; i < pay_nmerchants; i++)
        if (pay_merchants[i].ready && strcmp(pay_merchants[i].driver, "wechatpay_v3") == 0 &&
            strcmp(pay_merchants[i].platform_key_id, serial) == 0 &&
            hall_rsa_verify(cx->pool, pay_merchants[i].peer, msg, strlen(msg), sig))
            break;
    if (i == pay_nmerchants)
        return HALL_ERR;
    if (!fresh(cx, strtoll(ts, NULL, 10))) {
        out->why = "stale";
        return HALL_ERR;
    }
    out->why = "format";
    j = hall_val_parse(cx->pool, in->body, in->len, NULL, 0);
    res = hall_val_get(j, "resource");
    ev = hall_val_str_or_null(j, "event_type");
    if (res == NULL || ev == NULL || hall_val_str_or_null(res, "algorithm") == NULL ||
        strcmp(hall_val_str_or_null(res, "algorithm"), "AEAD_AES_256_GCM") != 0)
        return HALL_ERR;
    /* the account is the one whose APIv3 key opens the resource (several
     * accounts may share one public key) */
    out->why = "decrypt";
    text = NULL;
    for (i = 0; text == NULL && i < pay_nmerchants; i++) {
        m = &pay_merchants[i];
        if (m->ready && strcmp(m->driver, "wechatpay_v3") == 0 &&
            strcmp(m->platform_key_id, serial) == 0 &&
            hall_rsa_verify(cx->pool, m->peer, msg, strlen(msg), sig))
            text = hall_gcm_open(cx->pool, m->apiv3, hall_val_str_or_null(res, "nonce"),
                                 hall_val_str_or_null(res, "associated_data"),
                                 hall_val_str_or_null(res, "ciphertext"), &n);
    }
    if (text == NULL)
        return HALL_ERR;
    out->why = "format";
    plain = hall_val_parse(cx->pool, text, n, NULL, 0);
    if (plain == NULL)
        return HALL_ERR;
    mch = hall_val_str_or_null(plain, "mchid");
    if (mch == NULL || strcmp(mch, m->merchant_id) != 0) {
        out->why = "merchant";
        return HALL_ERR;
    }
    out->merchant_ref = m->id;
    out->out_trade_no = hall_val_str_or_null(plain, "out_trade_no");
    /* one WeChat account may have several rows (its row deactivated and the
     * account entered again): the notification is of the row its trade was
     * opened with, when that row is this account with this APIv3 key */
    if (out->out_trade_no != NULL) {
        struct hall_dbres *tr = hall_db_exec(cx, "paym_of_trade", HALL_STR(out->out_trade_no));
        const struct merchant *t = NULL;

        /* not merchant_by_id: the list stays as it is while m points in it */
        if (tr != NULL && hall_dbres_rows(tr) == 1 &&
            !hall_dbres_isnull(tr, 0, hall_dbres_col(tr, "ref")))
            for (i = 0; t == NULL && i < pay_nmerchants; i++)
                if (pay_merchants[i].ready &&
                    pay_merchants[i].id == (int)hall_dbres_int(tr, 0, "ref"))
                    t = &pay_merchants[i];
        if (t != NULL && t != m && strcmp(t->driver, "wechatpay_v3") == 0 &&
            pay_same(t->merchant_id, m->merchant_id) && pay_same(t->app_id, m->app_id) &&
            CRYPTO_memcmp(t->apiv3, m->apiv3, sizeof(m->apiv3)) == 0)
            out->merchant_ref = t->id;
    }
    out->trade_no = hall_val_str_or_null(plain, "transaction_id");
    amt = hall_val_get(plain, "amount");
    if (strncmp(ev, "REFUND.", 7) == 0) {
        out->kind = "refund";
        out->out_refund_no = hall_val_str_or_null(plain, "out_refund_no");
        out->refund_no = hall_val_str_or_null(plain, "refund_id");
        out->status = hall_val_str_or_null(plain, "refund_status");
        if (out->out_refund_no == NULL || out->status == NULL ||
            int_of(amt, "refund", &out->amount_fen) != HALL_OK)
            return HALL_ERR;
        return HALL_OK;
    }
    if (strcmp(ev, "TRANSACTION.SUCCESS") != 0)
        return HALL_ERR;
    if (hall_val_str_or_null(plain, "appid") == NULL ||
        strcmp(hall_val_str_or_null(plain, "appid"), m->app_id) != 0) {
        out->why = "merchant";
        return HALL_ERR;
    }
    out->kind = "paid";
    out->status = hall_val_str_or_null(plain, "trade_state");
    out->paid_at = hall_val_str_or_null(plain, "success_time");
    if (int_of(amt, "total", &out->amount_fen) != HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}

const struct pay_driver pay_wechatpay_v3 = {
    "wechatpay_v3", wx_open, wx_query, wx_close, wx_refund, wx_notice,
};
