/*
 * The courier: a parcel booked with the carrier the order names, cancelled
 * when the order could not take it, and the carrier's route push applied.
 * One interface, struct courier_driver, one driver per protocol, chosen by
 * the carrier's account (provider_accounts, service 'courier'; the default
 * account of a carrier is named as its code: sf, jd, ems):
 *
 *   sf        SF Express open platform (丰桥): POST {endpoint}/std/service,
 *             a form of partnerID, requestID, serviceCode, timestamp (ms),
 *             msgData (JSON) and msgDigest = Base64(MD5(URLEncoder.encode(
 *             msgData + timestamp + checkWord, "UTF-8"))); services
 *             EXP_RECE_CREATE_ORDER (payMethod 1 寄方付 with the monthly
 *             card for 寄付, 2 收方付 for 到付), EXP_RECE_SEARCH_ORDER_RESP (a
 *             repeated orderId, 8016: the waybill booked before) and
 *             EXP_RECE_UPDATE_ORDER (dealType 2: cancel).
 *   sandbox   京东快递 and EMS: the sandbox's own JSON (POST /courier/waybill,
 *             /courier/cancel with an Idempotency-Key); no real protocol yet.
 *
 * Every carrier's route push comes as SF's does (the same form, signed
 * with the account's secret as msgDigest); opCode 80 is 已签收.
 * docs/sandbox.md, "Courier".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "biz/biz.h"

const struct hall_stmt hall_courier_stmts[] = {
    /* the account a push names by its partnerID, among the carrier's */
    {"courier_account_by_id",
     "SELECT a.name FROM provider_accounts a WHERE a.service = 'courier' AND a.account_id = $2"
     " AND (a.name = $1 OR a.name IN (SELECT account FROM partner_couriers"
     " WHERE carrier = upper($1))) ORDER BY a.name = $1 DESC LIMIT 1",
     2},
    {NULL, NULL, 0},
};

static const struct {
    const char *code, *account, *name;
} carriers[] = {
    {"SF", "sf", "顺丰速运"},
    {"JD", "jd", "京东快递"},
    {"EMS", "ems", "EMS"},
    {NULL, NULL, NULL},
};

const char *
hall_courier_code(const char *name)
{
    int i;

    for (i = 0; carriers[i].code != NULL; i++)
        if (strcmp(carriers[i].name, name) == 0 || strcmp(carriers[i].code, name) == 0)
            return carriers[i].code;
    return NULL;
}

static int
carrier_index(const char *code)
{
    int i;

    for (i = 0; carriers[i].code != NULL; i++)
        if (strcmp(carriers[i].code, code) == 0)
            return i;
    return -1;
}

/* ---- SF's msgDigest ------------------------------------------------------------ */

/* java.net.URLEncoder.encode(s, "UTF-8"): A-Z a-z 0-9 . - * _ kept, ' ' -> '+',
 * every other byte %XX (upper case) */
static char *
java_urlencode(struct hall_pool *pool, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = hall_palloc(pool, n * 3 + 1);
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '*' || c == '_') {
            out[o++] = (char)c;
        } else if (c == ' ') {
            out[o++] = '+';
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

char *
hall_sf_digest(struct hall_pool *pool, const char *msg_data, const char *timestamp,
               const char *check_word)
{
    const char *joined = hall_psprintf(pool, "%s%s%s", msg_data, timestamp, check_word);
    const char *enc = java_urlencode(pool, joined, strlen(joined));
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *b64 = hall_palloc(pool, 32);

    if (EVP_Digest(enc, strlen(enc), md, &mdlen, EVP_md5(), NULL) != 1)
        return NULL;
    EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
    return b64;
}

/* ---- the SF driver ---------------------------------------------------------------- */

/* one call of the open platform: apiResultData parsed, NULL with *err set */
static struct hall_val *
sf_call(struct hall_ctx *cx, const struct hall_provider_acct *a, const char *service,
        const struct hall_val *msg, const char **err)
{
    struct hall_pool *pool = cx->pool;
    const char *check = hall_provider_secret(cx, a), *data, *code, *res_data;
    const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded;charset=UTF-8", NULL};
    unsigned char rid[16];
    struct hall_http_resp r;
    struct hall_http_call call;
    struct hall_val *ans;
    char ts[32];
    const char *body, *base = a->endpoint;
    struct timespec now;

    if (check == NULL) {
        *err = "courier: account secret unreadable";
        return NULL;
    }
    data = hall_val_json(pool, msg, NULL);
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(ts, sizeof(ts), "%lld", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    hall_rand_bytes(rid, sizeof(rid));
    body = hall_psprintf(pool,
                         "partnerID=%s&requestID=%s&serviceCode=%s&timestamp=%s&msgDigest=%s"
                         "&msgData=%s",
                         hall_url_encode(pool, a->account_id), hall_hex(pool, rid, sizeof(rid)),
                         service, ts, hall_url_encode(pool, hall_sf_digest(pool, data, ts, check)),
                         hall_url_encode(pool, data));
    while (*base != '\0' && base[strlen(base) - 1] == '/')
        base = hall_pstrndup(pool, base, strlen(base) - 1);
    memset(&call, 0, sizeof(call));
    call.method = "POST";
    call.url = hall_psprintf(pool, "%s/std/service", base);
    call.body = body;
    call.body_len = strlen(body);
    call.headers = hdrs;
    call.connect_ms = cx->conf->http_connect_ms;
    call.total_ms = cx->conf->http_total_ms;
    call.provider = "courier";
    call.bare = 1;
    if (hall_http_call(pool, &call, &r) != HALL_OK) {
        *err = hall_psprintf(pool, "courier: transport: %s", r.error);
        return NULL;
    }
    ans = hall_val_parse(pool, r.body, r.len, NULL, 0);
    code = hall_val_str_or_null(ans, "apiResultCode");
    if (r.status != 200 || code == NULL) {
        *err = hall_psprintf(pool, "courier: http %ld", r.status);
        return NULL;
    }
    if (strcmp(code, "A1000") != 0) {
        *err = hall_psprintf(pool, "courier: %.16s %.100s", code,
                             hall_val_str_or_null(ans, "apiErrorMsg") != NULL
                                 ? hall_val_str_or_null(ans, "apiErrorMsg")
                                 : "");
        return NULL;
    }
    res_data = hall_val_str_or_null(ans, "apiResultData");
    ans = res_data != NULL ? hall_val_parse(pool, res_data, strlen(res_data), NULL, 0) : NULL;
    if (ans == NULL) {
        *err = "courier: no apiResultData";
        return NULL;
    }
    return ans;
}

static const char *
sf_waybill_of(const struct hall_val *res)
{
    const struct hall_val *l = hall_val_get(hall_val_get(res, "msgData"), "waybillNoInfoList"), *w;

    for (w = l != NULL ? l->first : NULL; w != NULL; w = w->next) {
        const char *no = hall_val_str_or_null(w, "waybillNo");

        if (no != NULL && strlen(no) >= 4 && strlen(no) <= 32 &&
            strspn(no, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
                strlen(no))
            return no;
    }
    return NULL;
}

static int
sf_ok(const struct hall_val *res)
{
    const struct hall_val *v = hall_val_get(res, "success");

    return v != NULL && v->type == HALL_V_BOOL && v->i;
}

static void
contact(struct hall_pool *pool, struct hall_val *list, int type, const char *company,
        const char *name, const char *tel, const char *province, const char *city,
        const char *county, const char *address)
{
    struct hall_val *c = hall_val_push_obj(pool, list);

    hall_val_set_int(pool, c, "contactType", type);
    if (company != NULL && *company != '\0')
        hall_val_set_str(pool, c, "company", company);
    hall_val_set_str(pool, c, "contact", name);
    hall_val_set_str(pool, c, type == 1 ? "tel" : "mobile", tel);
    hall_val_set_str(pool, c, "country", "CN");
    hall_val_set_str(pool, c, "province", province);
    hall_val_set_str(pool, c, "city", city);
    hall_val_set_str(pool, c, "county", county);
    hall_val_set_str(pool, c, "address", address);
}

static void
sf_book(struct hall_ctx *cx, const struct hall_provider_acct *a,
        const struct hall_courier_parcel *p, struct hall_courier_booking *b)
{
    struct hall_pool *pool = cx->pool;
    struct hall_val *msg = hall_val_obj(pool), *list, *cargo, *res;
    const char *card = hall_provider_setting(a, "monthly_card", NULL);
    const char *type = hall_provider_setting(a, "express_type_id", NULL);

#define S(k)                                                                                       \
    (hall_provider_setting(a, "sender", k) != NULL ? hall_provider_setting(a, "sender", k) : "")
    hall_val_set_str(pool, msg, "language", "zh-CN");
    hall_val_set_str(pool, msg, "orderId", p->order_no);
    cargo = hall_val_push_obj(pool, hall_val_set_list(pool, msg, "cargoDetails"));
    hall_val_set_str(pool, cargo, "name", "数字证书介质");
    hall_val_set_int(pool, cargo, "count", 1);
    list = hall_val_set_list(pool, msg, "contactInfoList");
    contact(pool, list, 1, S("company"), S("contact"), S("tel"), S("province"), S("city"),
            S("county"), S("address"));
#undef S
    contact(pool, list, 2, NULL, p->receiver, p->phone, p->province, p->city, p->district,
            hall_psprintf(pool, "%s%s", p->town != NULL ? p->town : "", p->address));
    /* 寄付: the CA pays on its monthly account; 到付: the receiver pays */
    hall_val_set_int(pool, msg, "payMethod", p->prepaid ? 1 : 2);
    if (p->prepaid && card != NULL)
        hall_val_set_str(pool, msg, "monthlyCard", card);
    hall_val_set_int(pool, msg, "expressTypeId", type != NULL ? atoi(type) : 2);
    hall_val_set_int(pool, msg, "isReturnRoutelabel", 0);
    res = sf_call(cx, a, "EXP_RECE_CREATE_ORDER", msg, &b->error);
    if (res == NULL)
        return;
    if (!sf_ok(res) && hall_val_str_or_null(res, "errorCode") != NULL &&
        strcmp(hall_val_str_or_null(res, "errorCode"), "8016") == 0) {
        /* booked before (the hall failed after SF answered): its waybill */
        msg = hall_val_obj(pool);
        hall_val_set_str(pool, msg, "language", "zh-CN");
        hall_val_set_str(pool, msg, "orderId", p->order_no);
        hall_val_set_str(pool, msg, "searchType", "1");
        res = sf_call(cx, a, "EXP_RECE_SEARCH_ORDER_RESP", msg, &b->error);
        if (res == NULL)
            return;
    }
    if (!sf_ok(res) || sf_waybill_of(res) == NULL) {
        b->error = hall_psprintf(
            pool, "courier: SF %.16s %.100s",
            hall_val_str_or_null(res, "errorCode") != NULL ? hall_val_str_or_null(res, "errorCode")
                                                           : "",
            hall_val_str_or_null(res, "errorMsg") != NULL ? hall_val_str_or_null(res, "errorMsg")
                                                          : "");
        return;
    }
    b->waybill_no = hall_pstrdup(pool, sf_waybill_of(res));
}

static int
sf_cancel(struct hall_ctx *cx, const struct hall_provider_acct *a, const char *order_no,
          const char *waybill)
{
    struct hall_val *msg = hall_val_obj(cx->pool), *res;
    const char *err = NULL;

    (void)waybill;
    hall_val_set_str(cx->pool, msg, "language", "zh-CN");
    hall_val_set_str(cx->pool, msg, "orderId", order_no);
    hall_val_set_int(cx->pool, msg, "dealType", 2);
    res = sf_call(cx, a, "EXP_RECE_UPDATE_ORDER", msg, &err);
    if (res == NULL || !sf_ok(res)) {
        hall_warn(cx, "msg=\"courier cancel failed\" order=%s error=\"%s\"", order_no,
                  err != NULL ? err : "refused");
        return HALL_ERR;
    }
    return HALL_OK;
}

/* ---- the sandbox's JSON (京东快递, EMS) ------------------------------------------ */

static struct hall_val *
sandbox_post(struct hall_ctx *cx, const struct hall_provider_acct *a, const char *path,
             const struct hall_val *body, const char *idem)
{
    struct hall_http_resp r;
    const char *json = hall_val_json(cx->pool, body, NULL);
    struct hall_val *ans;
    const struct hall_val *ok;

    if (hall_http_post_json(cx->pool, hall_psprintf(cx->pool, "%s%s", a->endpoint, path), json,
                            idem, cx->conf->http_connect_ms, cx->conf->http_total_ms,
                            &r) != HALL_OK ||
        r.status != 200)
        return NULL;
    ans = hall_val_parse(cx->pool, r.body, r.len, NULL, 0);
    ok = hall_val_get(ans, "ok");
    return ok != NULL && ok->type == HALL_V_BOOL && ok->i ? ans : NULL;
}

static void
sandbox_book(struct hall_ctx *cx, const struct hall_provider_acct *a,
             const struct hall_courier_parcel *p, struct hall_courier_booking *b)
{
    struct hall_val *body = hall_val_obj(cx->pool), *ans;
    const char *no;

    hall_val_set_str(cx->pool, body, "order_no", p->order_no);
    hall_val_set_str(cx->pool, body, "carrier", b->carrier_name);
    hall_val_set_str(cx->pool, body, "account", a->account_id);
    hall_val_set_str(cx->pool, body, "payment", p->prepaid ? "寄付" : "到付");
    hall_val_set_str(cx->pool, body, "province", p->province);
    hall_val_set_str(cx->pool, body, "city", p->city);
    hall_val_set_str(cx->pool, body, "district", p->district);
    hall_val_set_str(cx->pool, body, "town", p->town != NULL ? p->town : "");
    hall_val_set_str(cx->pool, body, "address", p->address);
    hall_val_set_str(cx->pool, body, "receiver", p->receiver);
    hall_val_set_str(cx->pool, body, "phone", p->phone);
    ans = sandbox_post(cx, a, "/courier/waybill", body,
                       hall_psprintf(cx->pool, "waybill-%s", p->order_no));
    no = hall_val_str_or_null(ans, "waybill_no");
    if (no == NULL || strlen(no) > 32) {
        b->error = "courier: sandbox refused";
        return;
    }
    b->waybill_no = hall_pstrdup(cx->pool, no);
}

static int
sandbox_cancel(struct hall_ctx *cx, const struct hall_provider_acct *a, const char *order_no,
               const char *waybill)
{
    struct hall_val *body = hall_val_obj(cx->pool);

    (void)order_no;
    hall_val_set_str(cx->pool, body, "waybill_no", waybill);
    return sandbox_post(cx, a, "/courier/cancel", body,
                        hall_psprintf(cx->pool, "cancel-%s", waybill)) != NULL
               ? HALL_OK
               : HALL_ERR;
}

/* ---- the interface ---------------------------------------------------------------- */

static const struct courier_driver {
    const char *name; /* provider_accounts.driver */
    void (*book)(struct hall_ctx *, const struct hall_provider_acct *,
                 const struct hall_courier_parcel *, struct hall_courier_booking *);
    int (*cancel)(struct hall_ctx *, const struct hall_provider_acct *, const char *order_no,
                  const char *waybill);
} courier_drivers[] = {
    {"sf", sf_book, sf_cancel},
    {"sandbox", sandbox_book, sandbox_cancel},
    {NULL, NULL, NULL},
};

static const struct courier_driver *
driver_of(struct hall_ctx *cx, const char *partner, const char *code, struct hall_provider_acct *a)
{
    const struct courier_driver *d;
    int i = carrier_index(code);

    if (i < 0 || hall_provider_account(cx, "courier", partner, carriers[i].account, a) != HALL_OK)
        return NULL;
    for (d = courier_drivers; d->name != NULL && strcmp(d->name, a->driver) != 0; d++)
        ;
    return d->name != NULL ? d : NULL;
}

int
hall_courier_book(struct hall_ctx *cx, const char *partner, const struct hall_courier_parcel *p,
                  struct hall_courier_booking *b)
{
    const struct courier_driver *d;
    struct hall_provider_acct a;
    int i = carrier_index(p->carrier);

    memset(b, 0, sizeof(*b));
    if (i < 0) {
        b->error = "courier: unknown carrier";
        return HALL_ERR;
    }
    b->carrier_name = carriers[i].name;
    d = driver_of(cx, partner, p->carrier, &a);
    if (d == NULL) {
        b->error = "courier: no account or driver";
        return HALL_ERR;
    }
    d->book(cx, &a, p, b);
    if (b->waybill_no == NULL) {
        hall_warn(cx, "msg=\"courier booking failed\" order=%s carrier=%s error=\"%s\"",
                  p->order_no, p->carrier, b->error != NULL ? b->error : "");
        return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_courier_cancel(struct hall_ctx *cx, const char *partner, const char *carrier,
                    const char *order_no, const char *waybill)
{
    struct hall_provider_acct a;
    const struct courier_driver *d = driver_of(cx, partner, carrier, &a);

    return d != NULL ? d->cancel(cx, &a, order_no, waybill) : HALL_ERR;
}

/* "2026-11-25 17:00:00", Beijing time: seconds since the epoch, -1 when malformed */
static int64_t
beijing_epoch(const char *s)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (s == NULL || sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) - 8 * 3600;
}

int
hall_courier_push(struct hall_ctx *cx, const char *carrier, const struct hall_courier_push_in *in,
                  struct hall_courier_event *ev, size_t max, size_t *n)
{
    struct hall_provider_acct a;
    struct hall_dbres *res;
    const char *check, *digest;
    const struct hall_val *routes, *r;
    struct hall_val *msg;
    int i = carrier_index(carrier);

    *n = 0;
    if (i < 0 || in->partner_id == NULL || in->timestamp == NULL || in->msg_digest == NULL ||
        in->msg_data == NULL)
        return HALL_PUSH_INCOMPLETE;
    res = hall_db_exec(cx, "courier_account_by_id", HALL_STR(carriers[i].account),
                       HALL_STR(in->partner_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0 ||
        hall_provider_account(cx, "courier", NULL, hall_dbres_str(res, 0, "name"), &a) != HALL_OK)
        return HALL_PUSH_SIGNATURE;
    check = hall_provider_secret(cx, &a);
    if (check == NULL)
        return HALL_ERR;
    digest = hall_sf_digest(cx->pool, in->msg_data, in->timestamp, check);
    if (digest == NULL || strlen(digest) != strlen(in->msg_digest) ||
        !hall_ct_equal(digest, in->msg_digest, strlen(digest)))
        return HALL_PUSH_SIGNATURE;
    /* no window on timestamp: SF sets none for its pushes and sends a push
     * that was not acknowledged again; a copy changes nothing, as each
     * route moves its order once (docs/operations.md, "The providers'
     * rules") */
    msg = hall_val_parse(cx->pool, in->msg_data, strlen(in->msg_data), NULL, 0);
    routes = hall_val_get(hall_val_get(msg, "Body"), "WaybillRoute");
    if (routes == NULL || routes->type != HALL_V_LIST)
        return HALL_PUSH_INCOMPLETE;
    for (r = routes->first; r != NULL && *n < max; r = r->next) {
        const char *no = hall_val_str_or_null(r, "mailno"), *op = hall_val_str_or_null(r, "opCode");

        if (no == NULL || op == NULL)
            return HALL_PUSH_INCOMPLETE;
        ev[*n].waybill_no = no;
        ev[*n].delivered = strcmp(op, "80") == 0;
        ev[*n].at = beijing_epoch(hall_val_str_or_null(r, "acceptTime"));
        if (ev[*n].at < 0)
            return HALL_PUSH_INCOMPLETE;
        (*n)++;
    }
    return HALL_OK;
}
