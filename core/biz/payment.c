/*
 * Money in: the one owner of the table payments (docs/architecture.md, "Who
 * owns each table"), and the online trades at the payment gateways, shared
 * by modules/pay (a new trade closes the old ones; the gateways'
 * notifications, applied by hall_payment_paid), modules/admin (finance's
 * decision on a transfer; an approved refund), modules/center (a cancelled
 * order's trades) and the outbox worker (which delivers pay_close and
 * pay_refund).  Every function that writes works inside the caller's
 * transaction: the caller holds the order's lock and commits.
 *
 * One interface, one driver per gateway protocol (struct driver below):
 *   wechatpay_v3  WeChat Pay API v3: JSON, requests signed
 *                 WECHATPAY2-SHA256-RSA2048 with the merchant's key, every
 *                 answer and notification verified with WeChat Pay's public
 *                 key, notifications' resource opened with AES-256-GCM
 *                 under the APIv3 key; amounts in fen
 *   alipay        Alipay OpenAPI: form parameters signed RSA2 (SHA256withRSA
 *                 over the sorted "k=v&..."), answers' signatures over the
 *                 "*_response" JSON text as received, notifications' sign
 *                 over the sorted parameters; amounts in yuan "12.34"
 * The merchant accounts (sql/065 pay_merchants: which driver, whose
 * account, per partner) are read once per process with their keys from
 * pay_key_dir.  Nothing a gateway says is believed before its signature
 * checked out: a 2xx answer without one is an error like no answer.
 *
 * One live trade per order: whenever a trade stops being the order's
 * current one (another was opened, the order was paid another way) it is
 * marked 'closed' in our table and a "pay_close" job is queued in the same
 * transaction; the caller may also close it at once (hall_payment_close)
 * so that the cashier page the applicant still has open cannot pay.
 * Money that arrives anyway is a surplus, refunded through the job
 * "pay_refund" (docs/modules/pay.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "biz/biz.h"

#define MAX_MERCHANTS 32
#define MAX_PARAMS    48

struct merchant {
    int id;
    int active;
    char *partner; /* NULL: the hall's own account */
    char *channel, *driver, *merchant_id, *app_id, *platform_key_id, *gateway;
    char *seller_id;          /* Alipay: the seller (PID) its notifications name */
    struct evp_pkey_st *key;  /* ours */
    struct evp_pkey_st *peer; /* the gateway's public key */
    char *serial;             /* WeChat: our certificate's serial */
    unsigned char apiv3[32];  /* WeChat: the APIv3 key */
    int ready;                /* keys loaded */
};

static struct merchant merchants[MAX_MERCHANTS];
static int nmerchants;
static char *seen; /* the rows the list was built from, to see a change */

const struct hall_stmt hall_payment_stmts[] = {
    {"paym_all",
     "SELECT id, active, coalesce(partner_code, '') AS partner, channel, driver, merchant_id,"
     " coalesce(app_id, '') AS app_id, coalesce(platform_key_id, '') AS platform_key_id,"
     " coalesce(gateway_url, '') AS gateway_url, coalesce(seller_id, '') AS seller_id"
     " FROM pay_merchants ORDER BY id",
     0},
    /* the account a trade was opened with (the channel's default for
     * trades older than sql/065) */
    {"paym_of_trade",
     "SELECT coalesce(p.merchant_ref, (SELECT id FROM pay_merchants m WHERE m.channel = p.method"
     " AND m.partner_code IS NULL AND m.active)) AS ref, p.amount_fen FROM payments p"
     " WHERE p.out_trade_no = $1",
     1},
    /* ---- the table payments: one owner, this file ---- */
    {"pay_close_row",
     "UPDATE payments SET status = 'closed', updated_at = now() WHERE id = $1 AND status = "
     "'created'",
     1},
    {"pay_next_attempt",
     "SELECT coalesce(max(attempt), 0) + 1 AS attempt FROM payments WHERE order_id = $1", 1},
    {"pay_insert_online",
     "INSERT INTO payments (order_id, attempt, method, amount_fen, out_trade_no, merchant_ref,"
     " pay_mode) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
     7},
    {"pay_set_url",
     "UPDATE payments SET pay_url = $2, updated_at = now()"
     " WHERE id = $1 AND status = 'created' RETURNING id",
     2},
    /* the order is paid (or cancelled): its other open trades are abandoned */
    {"pay_close_others",
     "UPDATE payments SET status = 'closed', updated_at = now() WHERE order_id = $1"
     " AND id <> $2 AND status = 'created' AND method <> 'transfer' RETURNING id, out_trade_no",
     2},
    /* the corporate transfer's 汇款凭证 and its payment */
    {"pay_voucher_replace",
     "UPDATE order_files SET replaced_at = now() WHERE order_id = $1"
     " AND kind = 'transfer_voucher' AND replaced_at IS NULL",
     1},
    {"pay_voucher_insert",
     "INSERT INTO order_files (order_id, kind, stored_name, mime, size, sha256)"
     " VALUES ($1, 'transfer_voucher', $2, $3, $4, $5) RETURNING id",
     5},
    {"pay_insert_transfer",
     "INSERT INTO payments (order_id, attempt, method, amount_fen, status, voucher_file_id)"
     " VALUES ($1, (SELECT coalesce(max(attempt), 0) + 1 FROM payments WHERE order_id = $1),"
     " 'transfer', $2, 'pending', $3) RETURNING id",
     3},
    /* finance's decision on a corporate transfer, kept with the payment;
     * finance's reason for 退回 stays with the refused voucher (sql/044) */
    {"pay_transfer_decided",
     "UPDATE payments SET status = $2, paid_at = CASE WHEN $2 = 'paid' THEN now() END,"
     " refused_reason = CASE WHEN $2 = 'refused' THEN nullif($3, '') END"
     " WHERE order_id = $1 AND method = 'transfer' AND status = 'pending' RETURNING id",
     3},
    /* a paid notification: the order first, as every path that touches an
     * order's payments does (a new trade holds the order while it closes
     * the others) */
    {"pay_cb_order_lock",
     "SELECT o.id FROM orders o"
     " WHERE o.id = (SELECT order_id FROM payments WHERE out_trade_no = $1) FOR UPDATE",
     1},
    {"pay_cb_lock",
     "SELECT p.id, p.order_id, p.amount_fen, p.status, coalesce(p.trade_no, '') AS trade_no,"
     " p.method, coalesce(p.merchant_ref, 0) AS merchant_ref, o.status AS order_status,"
     " o.amount_fen AS order_amount_fen, o.cert_type, o.business_type"
     " FROM payments p JOIN orders o ON o.id = p.order_id"
     " WHERE p.out_trade_no = $1 FOR UPDATE OF p, o",
     1},
    {"pay_cb_paid",
     "UPDATE payments SET status = 'paid', trade_no = $2,"
     " paid_at = coalesce($3::timestamptz, now()), callback_raw = $4,"
     " callbacks = callbacks + 1, surplus = $5::boolean, updated_at = now() WHERE id = $1",
     5},
    {"pay_cb_again", "UPDATE payments SET callbacks = callbacks + 1 WHERE id = $1", 1},
    /* a verified notification of a trade that is not paid (Alipay's
     * WAIT_BUYER_PAY, TRADE_CLOSED): counted when it is a trade of ours,
     * of this account and amount */
    {"pay_cb_state",
     "UPDATE payments SET callbacks = callbacks + 1 WHERE out_trade_no = $1"
     " AND coalesce(merchant_ref, $2) = $2 AND amount_fen = $3"
     " AND coalesce(trade_no, $4) = $4 RETURNING id, status",
     4},
    {NULL, NULL, 0},
};

static char *
dupstr(const char *s)
{
    return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

static int
same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* our key file of a merchant: pay_key_dir/<channel>-<merchant_id>/<name> */
static char *
key_path(struct hall_ctx *cx, const struct merchant *m, const char *name)
{
    return hall_psprintf(cx->pool, "%s/%s-%s/%s", cx->conf->pay_key_dir, m->channel, m->merchant_id,
                         name);
}

/* our private key of a merchant, encrypted at rest with pki_pass_file's
 * passphrase as the SM2 keys are (script/lib/keyenc.sh) */
static struct evp_pkey_st *
our_key(struct hall_ctx *cx, const struct merchant *m, const char *name)
{
    const char *path = key_path(cx, m, name), *why;
    struct evp_pkey_st *k = hall_pkey_load_encrypted(path, cx->conf->pki_pass_file, &why);

    if (k == NULL && strcmp(why, "clear") == 0)
        hall_err(cx,
                 "msg=\"pay merchant: private key in clear, refused: encrypt it with"
                 " script/lib/keyenc.sh and pki_pass_file\" merchant=%s file=%s",
                 m->merchant_id, path);
    else if (k == NULL && strcmp(why, "pass") == 0)
        hall_err(cx,
                 "msg=\"pay merchant: no passphrase for its private key (pki_pass_file)\""
                 " merchant=%s",
                 m->merchant_id);
    return k;
}

static int
keys_load(struct hall_ctx *cx, struct merchant *m)
{
    if (strcmp(m->driver, "wechatpay_v3") == 0) {
        /* the APIv3 key (32 characters) is encrypted at rest as the
         * private keys are (keyenc.sh), opened here in memory only */
        const char *path = key_path(cx, m, "apiv3.key"), *why;

        if (hall_secret_load_encrypted(path, cx->conf->pki_pass_file, m->apiv3, sizeof(m->apiv3),
                                       &why) != HALL_OK) {
            if (strcmp(why, "clear") == 0)
                hall_err(cx,
                         "msg=\"pay merchant: apiv3.key in clear, refused: encrypt it with"
                         " script/lib/keyenc.sh and pki_pass_file\" merchant=%s file=%s",
                         m->merchant_id, path);
            else if (strcmp(why, "pass") == 0)
                hall_err(cx,
                         "msg=\"pay merchant: no passphrase for its apiv3.key (pki_pass_file)\""
                         " merchant=%s",
                         m->merchant_id);
            else
                hall_err(cx,
                         "msg=\"pay merchant: apiv3.key unreadable, or not 32 characters"
                         " encrypted with pki_pass_file's passphrase\" merchant=%s file=%s",
                         m->merchant_id, path);
            return HALL_ERR;
        }
        m->key = our_key(cx, m, "apiclient_key.pem");
        m->peer = hall_pkey_load(key_path(cx, m, "wechatpay_pub.pem"), 0);
        m->serial = dupstr(hall_cert_serial(cx->pool, key_path(cx, m, "apiclient_cert.pem")));
        if (m->serial == NULL) {
            hall_err(cx, "msg=\"pay merchant: no apiclient_cert.pem\" merchant=%s", m->merchant_id);
            return HALL_ERR;
        }
    } else {
        m->key = our_key(cx, m, "app_private_key.pem");
        m->peer = hall_pkey_load(key_path(cx, m, "alipay_public_key.pem"), 0);
    }
    if (m->key == NULL || m->peer == NULL) {
        hall_err(cx, "msg=\"pay merchant: keys missing or unreadable\" merchant=%s channel=%s",
                 m->merchant_id, m->channel);
        return HALL_ERR;
    }
    m->ready = 1;
    return HALL_OK;
}

static void
merchant_free(struct merchant *m)
{
    free(m->partner);
    free(m->channel);
    free(m->driver);
    free(m->merchant_id);
    free(m->app_id);
    free(m->platform_key_id);
    free(m->gateway);
    free(m->seller_id);
    free(m->serial);
    hall_pkey_free(m->key);
    hall_pkey_free(m->peer);
    /* memset may be optimised away only for an object about to die; this
     * one is reused */
    memset(m, 0, sizeof(*m));
}

/*
 * The accounts as the database has them now: the rows come from the
 * worker's copy of reference rows (hall_db_ref; sql/065's trigger drops it
 * on any change), and the list is rebuilt when they differ from what it was
 * built from.  An account whose driver and merchant id are unchanged keeps
 * its keys (a key file replaced is read after a restart); a new one's keys
 * are read now.  When the database does not answer, the list stays.
 */
static int
merchants_fresh(struct hall_ctx *cx)
{
    struct hall_dbres *res = hall_db_ref(cx, "paym_all");
    static const char *const cols[] = {"id",          "active",      "partner", "channel",
                                       "driver",      "merchant_id", "app_id",  "platform_key_id",
                                       "gateway_url", "seller_id",   NULL};
    struct merchant next[MAX_MERCHANTS];
    struct hall_buf *fp;
    int i, j, n = 0;

    if (res == NULL)
        return seen != NULL ? HALL_OK : HALL_ERR;
    fp = hall_buf_new(cx->pool, 64 * 1024);
    for (i = 0; i < hall_dbres_rows(res); i++)
        for (j = 0; cols[j] != NULL; j++)
            if (hall_buf_printf(fp, "%s\x1f", hall_dbres_str(res, i, cols[j])) != HALL_OK)
                return HALL_ERR;
    if (seen != NULL && strcmp(seen, fp->data != NULL ? fp->data : "") == 0)
        return HALL_OK;
    memset(next, 0, sizeof(next));
    for (i = 0; i < hall_dbres_rows(res) && n < MAX_MERCHANTS; i++) {
        struct merchant *m = &next[n++];

        m->id = (int)hall_dbres_int(res, i, "id");
        m->active = hall_dbres_bool(res, i, "active");
        m->partner = dupstr(hall_dbres_str(res, i, "partner"));
        m->channel = dupstr(hall_dbres_str(res, i, "channel"));
        m->driver = dupstr(hall_dbres_str(res, i, "driver"));
        m->merchant_id = dupstr(hall_dbres_str(res, i, "merchant_id"));
        m->app_id = dupstr(hall_dbres_str(res, i, "app_id"));
        m->platform_key_id = dupstr(hall_dbres_str(res, i, "platform_key_id"));
        m->gateway = dupstr(hall_dbres_str(res, i, "gateway_url"));
        m->seller_id = dupstr(hall_dbres_str(res, i, "seller_id"));
        if (m->channel == NULL || m->driver == NULL || m->merchant_id == NULL)
            continue;
        /* the keys of the same account, already read */
        for (j = 0; j < nmerchants; j++) {
            struct merchant *o = &merchants[j];

            if (o->id == m->id && o->ready && same(o->driver, m->driver) &&
                same(o->channel, m->channel) && same(o->merchant_id, m->merchant_id)) {
                m->key = o->key;
                m->peer = o->peer;
                m->serial = o->serial;
                memcpy(m->apiv3, o->apiv3, sizeof(m->apiv3));
                m->ready = 1;
                o->key = o->peer = NULL;
                o->serial = NULL;
                break;
            }
        }
        if (!m->ready)
            keys_load(cx, m);
        /* a trade whose notification could not be checked is not opened */
        if (m->ready && strcmp(m->driver, "alipay") == 0 && m->seller_id == NULL) {
            hall_err(cx,
                     "msg=\"pay merchant: an Alipay account needs its seller id"
                     " (pay_merchants.seller_id)\" merchant=%s",
                     m->merchant_id);
            m->ready = 0;
        }
    }
    for (j = 0; j < nmerchants; j++)
        merchant_free(&merchants[j]);
    memcpy(merchants, next, sizeof(merchants));
    nmerchants = n;
    free(seen);
    seen = strdup(fp->data != NULL ? fp->data : "");
    return HALL_OK;
}

static struct merchant *
merchant_by_id(struct hall_ctx *cx, int id)
{
    int i;

    if (merchants_fresh(cx) != HALL_OK)
        return NULL;
    for (i = 0; i < nmerchants; i++)
        if (merchants[i].id == id)
            return merchants[i].ready ? &merchants[i] : NULL;
    return NULL;
}

/* the partner's own active account of the channel, else the hall's */
static struct merchant *
merchant_for(struct hall_ctx *cx, const char *partner, const char *channel)
{
    struct merchant *own = NULL, *hall = NULL;
    int i;

    if (merchants_fresh(cx) != HALL_OK)
        return NULL;
    for (i = 0; i < nmerchants; i++) {
        struct merchant *m = &merchants[i];

        if (!m->active || strcmp(m->channel, channel) != 0)
            continue;
        if (m->partner == NULL)
            hall = m;
        else if (partner != NULL && strcmp(m->partner, partner) == 0)
            own = m;
    }
    if (own == NULL)
        own = hall;
    return own != NULL && own->ready ? own : NULL;
}

/* ---- helpers ---------------------------------------------------------------- */

static const char *
str_of(const struct hall_val *obj, const char *key)
{
    const struct hall_val *v = hall_val_get(obj, key);

    return v != NULL && v->type == HALL_V_STR ? v->str : NULL;
}

static int
int_of(const struct hall_val *obj, const char *key, int64_t *out)
{
    const struct hall_val *v = hall_val_get(obj, key);

    if (v == NULL || v->type != HALL_V_INT)
        return HALL_ERR;
    *out = v->i;
    return HALL_OK;
}

static int
alnum_ok(const char *s, size_t max)
{
    size_t n = s != NULL ? strlen(s) : 0;

    return n > 0 && n <= max &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n;
}

static char *
nonce(struct hall_pool *pool)
{
    unsigned char r[16];

    if (hall_rand_bytes(r, sizeof(r)) != HALL_OK)
        return NULL;
    return hall_hex(pool, r, sizeof(r));
}

int64_t
hall_fen_of_yuan(const char *s)
{
    int64_t v = 0;
    int dec = -1;

    if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 15)
        return -1;
    for (; *s != '\0'; s++) {
        if (*s == '.' && dec < 0) {
            dec = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || dec == 2)
            return -1;
        v = v * 10 + (*s - '0');
        if (dec >= 0)
            dec++;
    }
    if (dec == 0)
        return -1;
    while (dec < 2) {
        v *= 10;
        dec = dec < 0 ? 1 : dec + 1;
    }
    return v;
}

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

static int
fresh(struct hall_ctx *cx, int64_t ts)
{
    int64_t now = (int64_t)time(NULL), w = cx->conf->pay_callback_max_age_s;

    return ts >= now - w && ts <= now + w;
}

/* ---- WeChat Pay API v3 ------------------------------------------------------ */

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
    if (st != 200 || (*state = wx_state(str_of(ans, "trade_state"))) == NULL)
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
                  in->out_trade_no, st, str_of(ans, "code") != NULL ? str_of(ans, "code") : "");
        return HALL_ERR;
    }
    url = str_of(ans, in->mobile ? "h5_url" : "code_url");
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
    s = str_of(ans, "status");
    if (st != 200 || s == NULL || !alnum_ok(str_of(ans, "refund_id"), 64) ||
        (strcmp(s, "SUCCESS") != 0 && strcmp(s, "PROCESSING") != 0)) {
        hall_warn(cx, "msg=\"wechatpay: refund refused\" out_refund_no=%s http=%ld code=%s",
                  in->out_refund_no, st, str_of(ans, "code") != NULL ? str_of(ans, "code") : "");
        return HALL_ERR;
    }
    *refund_no = str_of(ans, "refund_id");
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

    if (merchants_fresh(cx) != HALL_OK)
        return HALL_ERR;
    out->why = "signature";
    if (serial == NULL || ts == NULL || no == NULL || sig == NULL || in->body == NULL ||
        strlen(ts) == 0 || strlen(ts) > 12 || strspn(ts, "0123456789") != strlen(ts))
        return HALL_ERR;
    msg = hall_psprintf(cx->pool, "%s\n%s\n%.*s\n", ts, no, (int)in->len, in->body);
    /* the accounts that know this public key: one of them is the signer */
    for (i = 0; i < nmerchants; i++)
        if (merchants[i].ready && strcmp(merchants[i].driver, "wechatpay_v3") == 0 &&
            strcmp(merchants[i].platform_key_id, serial) == 0 &&
            hall_rsa_verify(cx->pool, merchants[i].peer, msg, strlen(msg), sig))
            break;
    if (i == nmerchants)
        return HALL_ERR;
    if (!fresh(cx, strtoll(ts, NULL, 10))) {
        out->why = "stale";
        return HALL_ERR;
    }
    out->why = "format";
    j = hall_val_parse(cx->pool, in->body, in->len, NULL, 0);
    res = hall_val_get(j, "resource");
    ev = str_of(j, "event_type");
    if (res == NULL || ev == NULL || str_of(res, "algorithm") == NULL ||
        strcmp(str_of(res, "algorithm"), "AEAD_AES_256_GCM") != 0)
        return HALL_ERR;
    /* the account is the one whose APIv3 key opens the resource (several
     * accounts may share one public key) */
    out->why = "decrypt";
    text = NULL;
    for (i = 0; text == NULL && i < nmerchants; i++) {
        m = &merchants[i];
        if (m->ready && strcmp(m->driver, "wechatpay_v3") == 0 &&
            strcmp(m->platform_key_id, serial) == 0 &&
            hall_rsa_verify(cx->pool, m->peer, msg, strlen(msg), sig))
            text = hall_gcm_open(cx->pool, m->apiv3, str_of(res, "nonce"),
                                 str_of(res, "associated_data"), str_of(res, "ciphertext"), &n);
    }
    if (text == NULL)
        return HALL_ERR;
    out->why = "format";
    plain = hall_val_parse(cx->pool, text, n, NULL, 0);
    if (plain == NULL)
        return HALL_ERR;
    mch = str_of(plain, "mchid");
    if (mch == NULL || strcmp(mch, m->merchant_id) != 0) {
        out->why = "merchant";
        return HALL_ERR;
    }
    out->merchant_ref = m->id;
    out->out_trade_no = str_of(plain, "out_trade_no");
    /* one WeChat account may have several rows (its row deactivated and the
     * account entered again): the notification is of the row its trade was
     * opened with, when that row is this account with this APIv3 key */
    if (out->out_trade_no != NULL) {
        struct hall_dbres *tr = hall_db_exec(cx, "paym_of_trade", HALL_STR(out->out_trade_no));
        const struct merchant *t = NULL;

        /* not merchant_by_id: the list stays as it is while m points in it */
        if (tr != NULL && hall_dbres_rows(tr) == 1 &&
            !hall_dbres_isnull(tr, 0, hall_dbres_col(tr, "ref")))
            for (i = 0; t == NULL && i < nmerchants; i++)
                if (merchants[i].ready && merchants[i].id == (int)hall_dbres_int(tr, 0, "ref"))
                    t = &merchants[i];
        if (t != NULL && t != m && strcmp(t->driver, "wechatpay_v3") == 0 &&
            same(t->merchant_id, m->merchant_id) && same(t->app_id, m->app_id) &&
            CRYPTO_memcmp(t->apiv3, m->apiv3, sizeof(m->apiv3)) == 0)
            out->merchant_ref = t->id;
    }
    out->trade_no = str_of(plain, "transaction_id");
    amt = hall_val_get(plain, "amount");
    if (strncmp(ev, "REFUND.", 7) == 0) {
        out->kind = "refund";
        out->out_refund_no = str_of(plain, "out_refund_no");
        out->refund_no = str_of(plain, "refund_id");
        out->status = str_of(plain, "refund_status");
        if (out->out_refund_no == NULL || out->status == NULL ||
            int_of(amt, "refund", &out->amount_fen) != HALL_OK)
            return HALL_ERR;
        return HALL_OK;
    }
    if (strcmp(ev, "TRANSACTION.SUCCESS") != 0)
        return HALL_ERR;
    if (str_of(plain, "appid") == NULL || strcmp(str_of(plain, "appid"), m->app_id) != 0) {
        out->why = "merchant";
        return HALL_ERR;
    }
    out->kind = "paid";
    out->status = str_of(plain, "trade_state");
    out->paid_at = str_of(plain, "success_time");
    if (int_of(amt, "total", &out->amount_fen) != HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}

/* ---- Alipay OpenAPI --------------------------------------------------------- */

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
    sig = str_of(all, "sign");
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
    return str_of(r, "code") != NULL && strcmp(str_of(r, "code"), "10000") == 0;
}

static int
ali_sub(const struct hall_val *r, const char *sub)
{
    return str_of(r, "sub_code") != NULL && strcmp(str_of(r, "sub_code"), sub) == 0;
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
    s = str_of(r, "trade_status");
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
        hall_warn(cx, "msg=\"alipay: refund refused\" out_request_no=%s sub_code=%s",
                  in->out_refund_no, str_of(r, "sub_code") != NULL ? str_of(r, "sub_code") : "");
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

    if (merchants_fresh(cx) != HALL_OK)
        return HALL_ERR;
    out->why = "format";
    n = in->body != NULL ? form_parse(cx->pool, in->body, in->len, p, MAX_PARAMS) : -1;
    if (n <= 0)
        return HALL_ERR;
    out->why = "signature";
    app = kv_get(p, n, "app_id");
    sig = kv_get(p, n, "sign");
    for (i = 0; app != NULL && m == NULL && i < nmerchants; i++)
        if (merchants[i].ready && strcmp(merchants[i].driver, "alipay") == 0 &&
            strcmp(merchants[i].merchant_id, app) == 0)
            m = &merchants[i];
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

/* ---- the interface ---------------------------------------------------------- */

struct driver {
    const char *name;
    int (*open)(struct hall_ctx *, const struct merchant *, const struct hall_pay_open *,
                struct hall_pay_opened *);
    int (*query)(struct hall_ctx *, const struct merchant *, const char *, const char **);
    int (*close)(struct hall_ctx *, const struct merchant *, const char *, const char **);
    int (*refund)(struct hall_ctx *, const struct merchant *, const struct hall_pay_refund *,
                  const char **, const char **);
    int (*notice)(struct hall_ctx *, const struct hall_pay_inbound *, struct hall_pay_notice *);
};

static const struct driver drivers[] = {
    {"wechatpay_v3", wx_open, wx_query, wx_close, wx_refund, wx_notice},
    {"alipay", ali_open, ali_query, ali_close, ali_refund, ali_notice},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const struct driver *
driver_of(const char *name)
{
    const struct driver *d;

    for (d = drivers; d->name != NULL; d++)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

/* the account and driver of a trade we opened */
static int
trade_merchant(struct hall_ctx *cx, const char *out_no, const struct merchant **m,
               const struct driver **d, int64_t *amount)
{
    struct hall_dbres *res = hall_db_exec(cx, "paym_of_trade", HALL_STR(out_no));

    if (res == NULL || hall_dbres_rows(res) == 0 ||
        hall_dbres_isnull(res, 0, hall_dbres_col(res, "ref")))
        return HALL_ERR;
    if (amount != NULL)
        *amount = hall_dbres_int(res, 0, "amount_fen");
    *m = merchant_by_id(cx, (int)hall_dbres_int(res, 0, "ref"));
    if (*m == NULL) {
        hall_err(cx, "msg=\"pay: the trade's merchant account is not usable\" out_trade_no=%s",
                 out_no);
        return HALL_ERR;
    }
    *d = driver_of((*m)->driver);
    return *d != NULL ? HALL_OK : HALL_ERR;
}

int
hall_payment_open(struct hall_ctx *cx, const struct hall_pay_open *in, struct hall_pay_opened *out)
{
    const struct merchant *m = merchant_for(cx, in->partner, in->channel);
    const struct driver *d = m != NULL ? driver_of(m->driver) : NULL;

    memset(out, 0, sizeof(*out));
    if (d == NULL) {
        hall_err(cx, "msg=\"pay: no usable merchant account\" channel=%s partner=%s", in->channel,
                 in->partner != NULL ? in->partner : "");
        return HALL_ERR;
    }
    out->merchant_ref = m->id;
    return d->open(cx, m, in, out);
}

int
hall_payment_merchant(struct hall_ctx *cx, const char *partner, const char *channel)
{
    const struct merchant *m = merchant_for(cx, partner, channel);

    return m != NULL ? m->id : 0;
}

int
hall_payment_query(struct hall_ctx *cx, const char *out_trade_no, const char **state)
{
    const struct merchant *m;
    const struct driver *d;

    *state = NULL;
    if (trade_merchant(cx, out_trade_no, &m, &d, NULL) != HALL_OK)
        return HALL_ERR;
    return d->query(cx, m, out_trade_no, state);
}

int
hall_payment_close_queue(struct hall_ctx *cx, int64_t pay_id, const char *out_trade_no)
{
    struct hall_val *p = hall_val_obj(cx->pool);

    hall_val_set_int(cx->pool, p, "payment_id", pay_id);
    hall_val_set_str(cx->pool, p, "out_trade_no", out_trade_no);
    return hall_outbox_push(cx, "pay_close",
                            hall_psprintf(cx->pool, "pay-close-%lld", (long long)pay_id), p);
}

int
hall_payment_close(struct hall_ctx *cx, const char *out_trade_no, const char **status)
{
    const struct merchant *m;
    const struct driver *d;

    *status = NULL;
    if (trade_merchant(cx, out_trade_no, &m, &d, NULL) != HALL_OK)
        return HALL_ERR;
    /* CLOSED, NOT_FOUND, or SUCCESS / REFUND: paid before we closed it
     * (the notification records it as a surplus and refunds it) */
    if (d->close(cx, m, out_trade_no, status) != HALL_OK) {
        hall_warn(cx, "msg=\"pay close: no verified answer\" out_trade_no=%s", out_trade_no);
        return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_payment_refund(struct hall_ctx *cx, struct hall_pay_refund *in, const char **refund_no,
                    const char **state)
{
    const struct merchant *m;
    const struct driver *d;

    if (trade_merchant(cx, in->out_trade_no, &m, &d, &in->total_fen) != HALL_OK)
        return HALL_ERR;
    return d->refund(cx, m, in, refund_no, state);
}

int
hall_payment_notice(struct hall_ctx *cx, const char *driver, const struct hall_pay_inbound *in,
                    struct hall_pay_notice *out)
{
    const struct driver *d = driver_of(driver);

    memset(out, 0, sizeof(*out));
    out->why = "driver";
    if (d == NULL)
        return HALL_ERR;
    return d->notice(cx, in, out);
}

/* ---- money in our tables: the one writer of payments ------------------------ */

int
hall_payment_close_row(struct hall_ctx *cx, int64_t pay_id)
{
    return hall_db_exec(cx, "pay_close_row", HALL_I64(pay_id)) != NULL ? HALL_OK : HALL_ERR;
}

int
hall_payment_create(struct hall_ctx *cx, const struct hall_pay_new *in, int64_t *pay_id,
                    long *attempt, const char **out_trade_no)
{
    struct hall_dbres *res = hall_db_exec(cx, "pay_next_attempt", HALL_I64(in->order_id));

    if (res == NULL)
        return HALL_ERR;
    *attempt = (long)hall_dbres_int(res, 0, "attempt");
    /* ours, sent to the gateway: the same again (a retry) opens the same trade */
    *out_trade_no = hall_psprintf(cx->pool, "%s-%ld", in->order_no, *attempt);
    res = hall_db_exec(cx, "pay_insert_online", HALL_I64(in->order_id), HALL_I64(*attempt),
                       HALL_STR(in->channel), HALL_I64(in->amount_fen), HALL_STR(*out_trade_no),
                       HALL_I64(in->merchant_ref), HALL_STR(in->mode));
    if (res == NULL)
        return HALL_ERR;
    *pay_id = hall_dbres_int(res, 0, "id");
    return HALL_OK;
}

int
hall_payment_url_set(struct hall_ctx *cx, int64_t pay_id, const char *pay_url)
{
    struct hall_dbres *res = hall_db_exec(cx, "pay_set_url", HALL_I64(pay_id), HALL_STR(pay_url));

    if (res == NULL)
        return HALL_ERR;
    return hall_dbres_rows(res) > 0 ? HALL_OK : HALL_CONFLICT;
}

struct hall_dbres *
hall_payment_close_others(struct hall_ctx *cx, int64_t order_id, int64_t keep)
{
    struct hall_dbres *res =
        hall_db_exec(cx, "pay_close_others", HALL_I64(order_id), HALL_I64(keep));
    int i;

    if (res == NULL)
        return NULL;
    for (i = 0; i < hall_dbres_rows(res); i++)
        if (hall_payment_close_queue(cx, hall_dbres_int(res, i, "id"),
                                     hall_dbres_str(res, i, "out_trade_no")) != HALL_OK)
            return NULL;
    return res;
}

int
hall_payment_transfer(struct hall_ctx *cx, int64_t order_id, int64_t amount_fen,
                      const struct hall_stored *voucher)
{
    struct hall_dbres *res;

    if (hall_db_exec(cx, "pay_voucher_replace", HALL_I64(order_id)) == NULL)
        return HALL_ERR;
    res = hall_db_exec(cx, "pay_voucher_insert", HALL_I64(order_id), HALL_STR(voucher->name),
                       HALL_STR(voucher->mime), HALL_I64((int64_t)voucher->size),
                       HALL_BIN(voucher->sha256, sizeof(voucher->sha256)));
    if (res == NULL)
        return HALL_ERR;
    if (hall_db_exec(cx, "pay_insert_transfer", HALL_I64(order_id), HALL_I64(amount_fen),
                     HALL_I64(hall_dbres_int(res, 0, "id"))) == NULL)
        return HALL_ERR;
    return HALL_OK;
}

int
hall_payment_transfer_decided(struct hall_ctx *cx, int64_t order_id, int paid, const char *reason)
{
    struct hall_dbres *res =
        hall_db_exec(cx, "pay_transfer_decided", HALL_I64(order_id),
                     HALL_STR(paid ? "paid" : "refused"), HALL_STR(reason != NULL ? reason : ""));

    if (res == NULL)
        return HALL_ERR;
    return hall_dbres_rows(res);
}

/* an ISO 8601 time as the gateway wrote it, or NULL (then now() is used) */
static const char *
paid_at_ok(const char *s)
{
    if (s == NULL || strlen(s) < 10 || strlen(s) > 40 || strspn(s, "0123456789-T:.Z+") != strlen(s))
        return NULL;
    return s;
}

static int
refused(struct hall_paid *out, const char *why)
{
    out->why = why;
    return HALL_PAY_REFUSED;
}

int
hall_payment_paid(struct hall_ctx *cx, const char *driver, const struct hall_pay_notice *nt,
                  struct hall_paid *out)
{
    const char *out_no = nt->out_trade_no, *trade_no = nt->trade_no, *method, *actor, *status;
    struct hall_dbres *res;
    struct hall_val *detail, *kept;
    const char *paid_at;
    int64_t amount = nt->amount_fen, mref;
    int rc;

    memset(out, 0, sizeof(*out));
    if (out_no == NULL || strlen(out_no) > 64)
        return refused(out, "out_trade_no");
    if (!alnum_ok(trade_no, 64))
        return refused(out, "trade_no");
    if (amount <= 0)
        return refused(out, "amount");
    if (nt->status == NULL || strcmp(nt->status, "SUCCESS") != 0)
        return refused(out, "status");

    if (hall_db_exec(cx, "pay_cb_order_lock", HALL_STR(out_no)) == NULL)
        return HALL_ERR;
    res = hall_db_exec(cx, "pay_cb_lock", HALL_STR(out_no));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return refused(out, "unknown_order");
    out->payment_id = hall_dbres_int(res, 0, "id");
    mref = hall_dbres_int(res, 0, "merchant_ref");
    /* the account that was paid must be the one the trade was opened with */
    if (mref != 0 && mref != nt->merchant_ref)
        return refused(out, "merchant");
    out->order_id = hall_dbres_int(res, 0, "order_id");
    method = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "method"));
    if (amount != hall_dbres_int(res, 0, "amount_fen") ||
        amount != hall_dbres_int(res, 0, "order_amount_fen")) {
        hall_err(cx, "msg=\"notified amount differs from ours\" out_trade_no=%s", out_no);
        return refused(out, "amount_mismatch");
    }
    if (*hall_dbres_str(res, 0, "trade_no") != '\0' &&
        strcmp(hall_dbres_str(res, 0, "trade_no"), trade_no) != 0)
        return refused(out, "trade_mismatch");
    status = hall_dbres_str(res, 0, "status");
    if (strcmp(status, "paid") == 0) {
        /* a copy of a notification already applied: counted, nothing else */
        out->again = 1;
        return hall_db_exec(cx, "pay_cb_again", HALL_I64(out->payment_id)) != NULL ? HALL_OK
                                                                                   : HALL_ERR;
    }
    if (strcmp(status, "created") != 0 && strcmp(status, "closed") != 0)
        return refused(out, "payment_state");
    /* natural persons have no unit account to check; a 介质遗失补办's
     * micro-deposit carries the new PIN and goes once it is approved (seed
     * 004: 审核成功后…打款0.01元，并下发证书PIN码, modules/admin); the other
     * orders replacing a certificate (更新, 变更, 解锁: core/flow/replace.c)
     * were proven by its first order and go to review */
    out->to = strcmp(hall_dbres_str(res, 0, "cert_type"), "person") == 0 ||
                      hall_replace_business(hall_dbres_str(res, 0, "business_type"))
                  ? "review"
                  : "finauth_pending";
    detail = hall_val_obj(cx->pool);
    hall_val_set_int(cx->pool, detail, "payment_id", out->payment_id);
    hall_val_set_str(cx->pool, detail, "trade_no", trade_no);
    actor = hall_psprintf(cx->pool, "gateway:%s", method);
    /* only from unpaid: an order waiting for its transfer to be confirmed
     * (or further on) is not moved by money that came another way */
    rc = hall_order_move(cx, out->order_id, "unpaid", out->to, actor, detail);
    if (rc == HALL_ERR)
        return HALL_ERR;
    if (rc == HALL_CONFLICT) {
        /* the money came, but the order was paid another way (or moved on):
         * kept, flagged, and refunded without anyone asking */
        out->surplus = 1;
        if (hall_audit(cx, actor, "order",
                       hall_psprintf(cx->pool, "%lld", (long long)out->order_id), "payment_surplus",
                       NULL, NULL, detail) != HALL_OK)
            return HALL_ERR;
        hall_warn(cx, "msg=\"payment for an order not unpaid\" out_trade_no=%s", out_no);
    }
    /* what the verified notification said of the trade, not the whole of
     * it: the payer's ids there (WeChat's openid, Alipay's buyer_id and
     * masked logon) are not kept */
    paid_at = paid_at_ok(nt->paid_at);
    kept = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, kept, "driver", driver);
    hall_val_set_int(cx->pool, kept, "merchant_ref", nt->merchant_ref);
    hall_val_set_str(cx->pool, kept, "out_trade_no", out_no);
    hall_val_set_str(cx->pool, kept, "trade_no", trade_no);
    hall_val_set_str(cx->pool, kept, "status", nt->status);
    hall_val_set_int(cx->pool, kept, "amount_fen", amount);
    if (paid_at != NULL)
        hall_val_set_str(cx->pool, kept, "paid_at", paid_at);
    if (hall_db_exec(cx, "pay_cb_paid", HALL_I64(out->payment_id), HALL_STR(trade_no),
                     paid_at != NULL ? HALL_STR(paid_at) : HALL_NULLP,
                     HALL_STR(hall_val_json(cx->pool, kept, NULL)),
                     HALL_STR(out->surplus ? "t" : "f")) == NULL)
        return HALL_ERR;
    if (out->surplus)
        return hall_refund_surplus(cx, out->order_id, out->payment_id, amount);
    return hall_payment_close_others(cx, out->order_id, out->payment_id) != NULL ? HALL_OK
                                                                                 : HALL_ERR;
}

int
hall_payment_state(struct hall_ctx *cx, const struct hall_pay_notice *nt, struct hall_paid *out)
{
    struct hall_dbres *res;

    memset(out, 0, sizeof(*out));
    if (nt->out_trade_no == NULL || strlen(nt->out_trade_no) > 64)
        return refused(out, "out_trade_no");
    if (!alnum_ok(nt->trade_no, 64))
        return refused(out, "trade_no");
    res = hall_db_exec(cx, "pay_cb_state", HALL_STR(nt->out_trade_no), HALL_I64(nt->merchant_ref),
                       HALL_I64(nt->amount_fen), HALL_STR(nt->trade_no));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return refused(out, "unknown_trade");
    out->payment_id = hall_dbres_int(res, 0, "id");
    out->payment_status = hall_dbres_str(res, 0, "status");
    return HALL_OK;
}
