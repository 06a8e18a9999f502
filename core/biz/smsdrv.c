/*
 * SMS by template: the outbox job "sms" ({phone, kind, params, partner})
 * sent through the driver of the partner's SMS account (provider_accounts,
 * sql/068_providers.sql).  One interface, struct sms_driver; the drivers:
 *
 *   aliyun   Alibaba Cloud SMS, dysmsapi 2017-05-25: SendSms, and
 *            QuerySendDetails to learn whether a job's earlier attempt went
 *            out (SendSms is not idempotent: OutId carries the job's key).
 *            Requests signed ACS3-HMAC-SHA256 as @alicloud/openapi-core
 *            signs them (docs/sandbox.md, "SMS").
 *   tencent  Tencent Cloud SMS, 2021-01-11: SendSms (the parameters by
 *            position, SessionContext the job's key) and
 *            PullSmsSendStatusByPhoneNumber for the same question; signed
 *            TC3-HMAC-SHA256 as tencentcloud-sdk-nodejs signs.
 *
 * The account's secret is a file under provider_key_dir, never in the
 * database or a log; no phone number and no text is ever logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "biz/biz.h"

const struct hall_stmt hall_provider_stmts[] = {
    /* the partner's account of a service, else the service's default one
     * (named as the service: "sms"; a carrier's code for couriers); one
     * statement per kind of service, so that each keeps one generic plan
     * (a CASE on the service made PostgreSQL plan it afresh at each call) */
    {"provider_account_sms",
     "SELECT a.name, a.driver, coalesce(a.endpoint, '') AS endpoint, a.account_id,"
     " a.secret_file, a.settings::text AS settings,"
     " coalesce(p.sms_sign, a.settings->>'sign', '深圳CA') AS sign FROM provider_accounts a"
     " LEFT JOIN partners p ON p.code = $1"
     " WHERE a.service = 'sms' AND a.name = coalesce(p.sms_account, $2)",
     2},
    {"provider_account",
     "SELECT a.name, a.driver, coalesce(a.endpoint, '') AS endpoint, a.account_id,"
     " a.secret_file, a.settings::text AS settings,"
     " coalesce(p.sms_sign, a.settings->>'sign', '深圳CA') AS sign FROM provider_accounts a"
     " LEFT JOIN partners p ON p.code = $1"
     " WHERE a.service = $2 AND a.name = coalesce((SELECT account FROM partner_couriers pc"
     " WHERE pc.partner_code = $1 AND pc.carrier = $3), $3)",
     3},
    {NULL, NULL, 0},
};

/* ---- accounts and their secrets ------------------------------------------ */

int
hall_provider_account(struct hall_ctx *cx, const char *service, const char *partner,
                      const char *name, struct hall_provider_acct *a)
{
    struct hall_dbres *res =
        strcmp(service, "sms") == 0
            ? hall_db_exec(cx, "provider_account_sms",
                           partner != NULL ? HALL_STR(partner) : HALL_NULLP, HALL_STR(name))
            : hall_db_exec(cx, "provider_account", partner != NULL ? HALL_STR(partner) : HALL_NULLP,
                           HALL_STR(service), HALL_STR(name));

    memset(a, 0, sizeof(*a));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_warn(cx, "msg=\"no provider account\" service=%s account=%s", service, name);
        return HALL_ERR;
    }
    a->name = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "name"));
    a->driver = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "driver"));
    a->endpoint = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "endpoint"));
    if (*a->endpoint == '\0')
        a->endpoint = cx->conf->sandbox_url;
    a->account_id = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "account_id"));
    a->secret_file = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "secret_file"));
    a->sign = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "sign"));
    {
        const char *s = hall_dbres_str(res, 0, "settings");

        a->settings = hall_val_parse(cx->pool, s, strlen(s), NULL, 0);
    }
    return HALL_OK;
}

/* the secrets this process has opened, each with the file it came from: a
 * key derivation costs some 0.3 s of CPU, so a file is opened again only
 * once it has changed (hall-pkitool rotate-pass writes each anew).  Held in
 * memory from then on: SMS keeps going while the token is away. */
#define SECRET_CACHE 16
static struct {
    char name[128];
    dev_t dev;
    ino_t ino;
    time_t mtime;
    off_t size;
    char secret[512];
} secret_cache[SECRET_CACHE];

const char *
hall_provider_secret(struct hall_ctx *cx, const struct hall_provider_acct *a)
{
    char buf[512];
    const char *path, *why;
    struct stat st;
    int i, slot = -1;

    /* a file name, never a path (sql/068 checks it too) */
    if (a->secret_file == NULL || strchr(a->secret_file, '/') != NULL || a->secret_file[0] == '.' ||
        strlen(a->secret_file) >= sizeof(secret_cache[0].name))
        return NULL;
    path = hall_psprintf(cx->pool, "%s/%s", cx->conf->provider_key_dir, a->secret_file);
    if (stat(path, &st) != 0) {
        hall_warn(cx, "msg=\"provider secret unreadable\" account=%s file=%s", a->name,
                  a->secret_file);
        return NULL;
    }
    for (i = 0; i < SECRET_CACHE; i++) {
        if (strcmp(secret_cache[i].name, a->secret_file) == 0) {
            if (secret_cache[i].dev == st.st_dev && secret_cache[i].ino == st.st_ino &&
                secret_cache[i].mtime == st.st_mtime && secret_cache[i].size == st.st_size)
                return hall_pstrdup(cx->pool, secret_cache[i].secret);
            slot = i;
            break;
        }
        if (slot < 0 && secret_cache[i].name[0] == '\0')
            slot = i;
    }
    if (hall_secret_load_text(path, cx->conf->pki_pass_file, buf, sizeof(buf), &why) != HALL_OK) {
        hall_warn(cx, "msg=\"provider secret not opened: %s\" account=%s file=%s",
                  strcmp(why, "clear") == 0
                      ? "in clear, encrypt it with script/lib/keyenc.sh and pki_pass_file"
                  : strcmp(why, "pass") == 0 ? "no passphrase (pki_pass_file)"
                                             : "unreadable or not encrypted with pki_pass_file's"
                                               " passphrase",
                  a->name, a->secret_file);
        return NULL;
    }
    if (slot < 0)
        slot = (int)(st.st_ino % SECRET_CACHE);
    OPENSSL_cleanse(secret_cache[slot].secret, sizeof(secret_cache[slot].secret));
    snprintf(secret_cache[slot].name, sizeof(secret_cache[slot].name), "%s", a->secret_file);
    secret_cache[slot].dev = st.st_dev;
    secret_cache[slot].ino = st.st_ino;
    secret_cache[slot].mtime = st.st_mtime;
    secret_cache[slot].size = st.st_size;
    memcpy(secret_cache[slot].secret, buf, sizeof(buf));
    OPENSSL_cleanse(buf, sizeof(buf));
    return hall_pstrdup(cx->pool, secret_cache[slot].secret);
}

const char *
hall_provider_setting(const struct hall_provider_acct *a, const char *path1, const char *path2)
{
    const struct hall_val *v = hall_val_get(a->settings, path1);

    if (path2 != NULL)
        v = hall_val_get(v, path2);
    return v != NULL && v->type == HALL_V_STR ? v->str : NULL;
}

/* ---- Alibaba Cloud: ACS3-HMAC-SHA256 --------------------------------------- */

/* "host[:port]" of a URL, the port left out when it is the scheme's */
static const char *
url_host(struct hall_pool *pool, const char *url)
{
    const char *p = strstr(url, "://"), *end;
    char *h;
    size_t n;

    p = p != NULL ? p + 3 : url;
    end = p + strcspn(p, "/?#");
    h = hall_pstrndup(pool, p, (size_t)(end - p));
    n = strlen(h);
    if (strncmp(url, "http://", 7) == 0 && n > 3 && strcmp(h + n - 3, ":80") == 0)
        h[n - 3] = '\0';
    else if (strncmp(url, "https://", 8) == 0 && n > 4 && strcmp(h + n - 4, ":443") == 0)
        h[n - 4] = '\0';
    return h;
}

/*
 * One RPC call of dysmsapi: the parameters in the query, an empty body,
 * signed ACS3-HMAC-SHA256: CanonicalRequest = POST \n / \n sorted query
 * (RFC 3986 encoded) \n the signed headers "name:value\n" \n their names
 * joined by ';' \n hex SHA-256 of the body; the string to sign
 * "ACS3-HMAC-SHA256\n" + hex SHA-256 of it; the signature hex HMAC-SHA256
 * with the AccessKey secret.  The answer's JSON, NULL on transport failure
 * (*http the status, 0 then).
 */
static struct hall_val *
aliyun_call(struct hall_ctx *cx, const struct hall_provider_acct *a, const char *secret,
            const char *action, struct hall_kv *q, size_t nq, long *http, const char **err)
{
    struct hall_pool *pool = cx->pool;
    struct hall_buf *creq = hall_buf_new(pool, 32768);
    unsigned char h[32], nonce[16], mac[32];
    char date[32];
    const char *host = url_host(pool, a->endpoint), *empty_hash, *sig, *hdrs[8];
    const char *base = a->endpoint, *cq;
    struct hall_http_resp r;
    struct hall_http_call call;
    time_t now = time(NULL);
    struct tm tm;

    /* the canonical query: sorted, every name and value encoded */
    cq = hall_kv_join(pool, q, nq, HALL_KV_SORT | HALL_KV_ENCODE, NULL);
    hall_sha256("", 0, h);
    empty_hash = hall_hex(pool, h, 32);
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
    hall_rand_bytes(nonce, sizeof(nonce));
    hall_buf_printf(creq,
                    "POST\n/\n%s\nhost:%s\nx-acs-action:%s\nx-acs-content-sha256:%s\n"
                    "x-acs-date:%s\nx-acs-signature-nonce:%s\nx-acs-version:2017-05-25\n\n"
                    "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
                    "x-acs-version\n%s",
                    cq != NULL ? cq : "", host, action, empty_hash, date,
                    hall_hex(pool, nonce, sizeof(nonce)), empty_hash);
    if (cq == NULL || creq->overflow) {
        *err = "request too large";
        return NULL;
    }
    hall_sha256(creq->data, creq->len, h);
    {
        const char *sts = hall_psprintf(pool, "ACS3-HMAC-SHA256\n%s", hall_hex(pool, h, 32));

        hall_hmac_sha256(secret, strlen(secret), sts, strlen(sts), mac);
    }
    sig = hall_hex(pool, mac, 32);
    hdrs[0] = hall_psprintf(pool, "Host: %s", host);
    hdrs[1] = hall_psprintf(pool, "x-acs-action: %s", action);
    hdrs[2] = "x-acs-version: 2017-05-25";
    hdrs[3] = hall_psprintf(pool, "x-acs-date: %s", date);
    hdrs[4] =
        hall_psprintf(pool, "x-acs-signature-nonce: %s", hall_hex(pool, nonce, sizeof(nonce)));
    hdrs[5] = hall_psprintf(pool, "x-acs-content-sha256: %s", empty_hash);
    hdrs[6] = hall_psprintf(pool,
                            "Authorization: ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=host;"
                            "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
                            "x-acs-version,Signature=%s",
                            a->account_id, sig);
    hdrs[7] = NULL;
    while (*base != '\0' && base[strlen(base) - 1] == '/')
        base = hall_pstrndup(pool, base, strlen(base) - 1);
    *http = 0;
    memset(&call, 0, sizeof(call));
    call.method = "POST";
    call.url = hall_psprintf(pool, "%s/?%s", base, cq);
    call.body = "";
    call.headers = hdrs;
    call.connect_ms = cx->conf->http_connect_ms;
    call.total_ms = cx->conf->http_total_ms;
    call.provider = "sms";
    call.bare = 1;
    if (hall_http_call(pool, &call, &r) != HALL_OK) {
        *err = hall_psprintf(pool, "transport: %s", r.error);
        return NULL;
    }
    *http = r.status;
    return hall_val_parse(pool, r.body, r.len, NULL, 0);
}

/* the provider's per-number and per-account limits: the job waits and
 * tries again (how long: the limit's period as the message names it) */
static long
aliyun_limit(const char *code, const char *message)
{
    if (strcmp(code, "isv.BUSINESS_LIMIT_CONTROL") == 0 ||
        strcmp(code, "isv.DAY_LIMIT_CONTROL") == 0 || strcmp(code, "Throttling.User") == 0 ||
        strcmp(code, "isv.AMOUNT_NOT_ENOUGH") == 0) {
        if (message != NULL && strstr(message, "天级") != NULL)
            return 6 * 3600;
        if (message != NULL && strstr(message, "小时级") != NULL)
            return 3600;
        return strcmp(code, "isv.DAY_LIMIT_CONTROL") == 0 ? 6 * 3600 : 60;
    }
    return 0;
}

static void
aliyun_outcome(struct hall_ctx *cx, long http, struct hall_val *ans, const char *err,
               struct hall_sms_outcome *out)
{
    const char *code = hall_val_str_or_null(ans, "Code"),
               *msg = hall_val_str_or_null(ans, "Message");

    if (http == 0) {
        out->error = hall_psprintf(cx->pool, "sms: %s", err);
        return;
    }
    if (code == NULL) {
        out->error = hall_psprintf(cx->pool, "sms: http %ld", http);
        return;
    }
    if (msg == NULL || strlen(msg) > 120)
        msg = "";
    if (strcmp(code, "OK") == 0 && http == 200)
        return; /* the caller reads what it needs */
    if (http != 200) {
        out->error = hall_psprintf(cx->pool, "sms: http %ld %.64s (%s)", http, code, msg);
        return;
    }
    out->retry_after_s = aliyun_limit(code, msg);
    if (out->retry_after_s > 0)
        out->error = hall_psprintf(cx->pool, "sms: provider limit %.64s (%s), retried in %ld s",
                                   code, msg, out->retry_after_s);
    else
        out->error = hall_psprintf(cx->pool, "sms: refused %.64s (%s)", code, msg);
}

/* Beijing's date of now, yyyyMMdd: SendDate of QuerySendDetails */
static const char *
beijing_ymd(struct hall_pool *pool)
{
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    char d[16];

    gmtime_r(&t, &tm);
    strftime(d, sizeof(d), "%Y%m%d", &tm);
    return hall_pstrdup(pool, d);
}

/* did an earlier attempt of this job go out?  1 yes, 0 no, -1 cannot tell */
static int
aliyun_sent_before(struct hall_ctx *cx, const struct hall_provider_acct *a, const char *secret,
                   const struct hall_sms_msg *m, struct hall_sms_outcome *out)
{
    struct hall_kv q[4] = {{"PhoneNumber", m->phone},
                           {"SendDate", beijing_ymd(cx->pool)},
                           {"PageSize", "50"},
                           {"CurrentPage", "1"}};
    const struct hall_val *list, *d;
    const char *err = NULL;
    struct hall_val *ans;
    long http;

    ans = aliyun_call(cx, a, secret, "QuerySendDetails", q, 4, &http, &err);
    aliyun_outcome(cx, http, ans, err, out);
    if (out->error != NULL)
        return -1;
    list = hall_val_get(hall_val_get(ans, "SmsSendDetailDTOs"), "SmsSendDetailDTO");
    for (d = list != NULL ? list->first : NULL; d != NULL; d = d->next) {
        const char *id = hall_val_str_or_null(d, "OutId");

        if (id != NULL && strcmp(id, m->out_id) == 0)
            return 1;
    }
    return 0;
}

static void
aliyun_send(struct hall_ctx *cx, const struct hall_provider_acct *a, const struct hall_sms_msg *m,
            struct hall_sms_outcome *out)
{
    const char *secret = hall_provider_secret(cx, a), *err = NULL, *biz;
    struct hall_kv q[5];
    struct hall_val *ans;
    long http;
    int before;

    if (secret == NULL) {
        out->error = "sms: account secret unreadable";
        return;
    }
    /* a job tried before may have gone out (the worker died after the
     * provider acted): the provider's own record says, by OutId */
    if (m->attempts > 0) {
        before = aliyun_sent_before(cx, a, secret, m, out);
        if (before < 0)
            return;
        if (before > 0) {
            out->sent = 1;
            out->found_before = 1;
            return;
        }
    }
    q[0] = (struct hall_kv){"PhoneNumbers", m->phone};
    q[1] = (struct hall_kv){"SignName", m->sign};
    q[2] = (struct hall_kv){"TemplateCode", m->template_code};
    q[3] = (struct hall_kv){"TemplateParam", m->template_param};
    q[4] = (struct hall_kv){"OutId", m->out_id};
    ans = aliyun_call(cx, a, secret, "SendSms", q, 5, &http, &err);
    aliyun_outcome(cx, http, ans, err, out);
    if (out->error != NULL)
        return;
    biz = hall_val_str_or_null(ans, "BizId");
    out->provider_id = biz != NULL && strlen(biz) <= 64 ? biz : NULL;
    out->sent = 1;
}

/* ---- Tencent Cloud: TC3-HMAC-SHA256 -------------------------------------------- */

static void
hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    hall_hmac_sha256(key, klen, msg, strlen(msg), out);
}

/*
 * One call of the SMS API 2021-01-11: the JSON payload, signed
 * TC3-HMAC-SHA256: CanonicalRequest = POST \n / \n (no query) \n
 * "content-type:application/json; charset=utf-8\nhost:<host name>\n" \n
 * "content-type;host" \n hex(SHA-256(payload)); StringToSign =
 * "TC3-HMAC-SHA256\n" timestamp "\n" date "/sms/tc3_request\n"
 * hex(SHA-256(CanonicalRequest)); the key HMAC-chained from "TC3" + SecretKey
 * over the date, "sms" and "tc3_request".  The answer's "Response".
 */
static const struct hall_val *
tencent_call(struct hall_ctx *cx, const struct hall_provider_acct *a, const char *secret,
             const char *action, const struct hall_val *payload, long *http, const char **err)
{
    static const char ct[] = "application/json; charset=utf-8";
    struct hall_pool *pool = cx->pool;
    const char *host = url_host(pool, a->endpoint), *name, *body, *hdrs[8], *base = a->endpoint;
    const char *region = hall_provider_setting(a, "region", NULL);
    unsigned char h[32], k1[32], k2[32], k3[32], sig[32];
    char date[16], *canon, *sts;
    time_t now = time(NULL);
    struct hall_http_resp r;
    struct hall_http_call call;
    struct tm tm;
    size_t n;

    body = hall_val_json(pool, payload, &n);
    /* the host name without a port, as the SDK signs it */
    name = hall_pstrndup(pool, host, strcspn(host, ":"));
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d", &tm);
    hall_sha256(body, n, h);
    canon = hall_psprintf(pool, "POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s", ct,
                          name, hall_hex(pool, h, 32));
    hall_sha256(canon, strlen(canon), h);
    sts = hall_psprintf(pool, "TC3-HMAC-SHA256\n%lld\n%s/sms/tc3_request\n%s", (long long)now, date,
                        hall_hex(pool, h, 32));
    {
        const char *k0 = hall_psprintf(pool, "TC3%s", secret);

        hmac(k0, strlen(k0), date, k1);
    }
    hmac(k1, 32, "sms", k2);
    hmac(k2, 32, "tc3_request", k3);
    hmac(k3, 32, sts, sig);
    hdrs[0] = hall_psprintf(pool, "Content-Type: %s", ct);
    hdrs[1] = hall_psprintf(pool, "Host: %s", host);
    hdrs[2] = hall_psprintf(pool, "X-TC-Action: %s", action);
    hdrs[3] = hall_psprintf(pool, "X-TC-Timestamp: %lld", (long long)now);
    hdrs[4] = "X-TC-Version: 2021-01-11";
    hdrs[5] = hall_psprintf(pool, "X-TC-Region: %s", region != NULL ? region : "ap-guangzhou");
    hdrs[6] = hall_psprintf(pool,
                            "Authorization: TC3-HMAC-SHA256 Credential=%s/%s/sms/tc3_request, "
                            "SignedHeaders=content-type;host, Signature=%s",
                            a->account_id, date, hall_hex(pool, sig, 32));
    hdrs[7] = NULL;
    while (*base != '\0' && base[strlen(base) - 1] == '/')
        base = hall_pstrndup(pool, base, strlen(base) - 1);
    *http = 0;
    memset(&call, 0, sizeof(call));
    call.method = "POST";
    call.url = hall_psprintf(pool, "%s/", base);
    call.body = body;
    call.body_len = n;
    call.headers = hdrs;
    call.connect_ms = cx->conf->http_connect_ms;
    call.total_ms = cx->conf->http_total_ms;
    call.provider = "sms";
    call.bare = 1;
    if (hall_http_call(pool, &call, &r) != HALL_OK) {
        *err = hall_psprintf(pool, "transport: %s", r.error);
        return NULL;
    }
    *http = r.status;
    return hall_val_get(hall_val_parse(pool, r.body, r.len, NULL, 0), "Response");
}

/* the per-number limits of Tencent Cloud SMS: wait out the period */
static long
tencent_limit(const char *code)
{
    if (strcmp(code, "LimitExceeded.PhoneNumberThirtySecondLimit") == 0)
        return 30;
    if (strcmp(code, "LimitExceeded.PhoneNumberOneHourLimit") == 0)
        return 3600;
    if (strncmp(code, "LimitExceeded.PhoneNumber", 25) == 0 ||
        strcmp(code, "LimitExceeded.DeliveryFrequencyLimit") == 0)
        return 6 * 3600;
    return 0;
}

/* the answer's error (Response.Error), or NULL; out->error set */
static int
tencent_failed(struct hall_ctx *cx, long http, const struct hall_val *resp, const char *err,
               struct hall_sms_outcome *out)
{
    const struct hall_val *e = hall_val_get(resp, "Error");
    const char *code = hall_val_str_or_null(e, "Code"), *msg = hall_val_str_or_null(e, "Message");

    if (http == 0) {
        out->error = hall_psprintf(cx->pool, "sms: %s", err);
        return 1;
    }
    if (http != 200 || resp == NULL) {
        out->error = hall_psprintf(cx->pool, "sms: http %ld", http);
        return 1;
    }
    if (e != NULL) {
        out->error = hall_psprintf(cx->pool, "sms: refused %.64s (%.120s)",
                                   code != NULL ? code : "?", msg != NULL ? msg : "");
        return 1;
    }
    return 0;
}

static void
tencent_send(struct hall_ctx *cx, const struct hall_provider_acct *a, const struct hall_sms_msg *m,
             struct hall_sms_outcome *out)
{
    const char *secret = hall_provider_secret(cx, a), *err = NULL, *app;
    const char *phone;
    struct hall_val *p, *set;
    const struct hall_val *v, *st, *resp;
    long http;

    if (secret == NULL) {
        out->error = "sms: account secret unreadable";
        return;
    }
    app = hall_provider_setting(a, "sdk_app_id", NULL);
    if (app == NULL) {
        out->error = "sms: account has no sdk_app_id";
        return;
    }
    phone = hall_psprintf(cx->pool, "+86%s", m->phone);
    if (m->attempts > 0) {
        const struct hall_val *list;

        p = hall_val_obj(cx->pool);
        hall_val_set_int(cx->pool, p, "BeginTime", (int64_t)time(NULL) - 2 * 86400);
        hall_val_set_int(cx->pool, p, "Offset", 0);
        hall_val_set_int(cx->pool, p, "Limit", 100);
        hall_val_set_str(cx->pool, p, "PhoneNumber", phone);
        hall_val_set_str(cx->pool, p, "SmsSdkAppId", app);
        resp = tencent_call(cx, a, secret, "PullSmsSendStatusByPhoneNumber", p, &http, &err);
        if (tencent_failed(cx, http, resp, err, out))
            return;
        list = hall_val_get(resp, "PullSmsSendStatusSet");
        for (v = list != NULL ? list->first : NULL; v != NULL; v = v->next) {
            const char *ctx = hall_val_str_or_null(v, "SessionContext");

            if (ctx != NULL && strcmp(ctx, m->out_id) == 0) {
                out->sent = 1;
                out->found_before = 1;
                return;
            }
        }
    }
    p = hall_val_obj(cx->pool);
    set = hall_val_set_list(cx->pool, p, "PhoneNumberSet");
    hall_val_push_str(cx->pool, set, phone);
    hall_val_set_str(cx->pool, p, "SmsSdkAppId", app);
    hall_val_set_str(cx->pool, p, "SignName", m->sign);
    hall_val_set_str(cx->pool, p, "TemplateId", m->template_code);
    set = hall_val_set_list(cx->pool, p, "TemplateParamSet");
    for (v = m->param_values != NULL ? m->param_values->first : NULL; v != NULL; v = v->next)
        hall_val_push_str(cx->pool, set, v->str);
    hall_val_set_str(cx->pool, p, "SessionContext", m->out_id);
    resp = tencent_call(cx, a, secret, "SendSms", p, &http, &err);
    if (tencent_failed(cx, http, resp, err, out))
        return;
    st = hall_val_get(resp, "SendStatusSet");
    st = st != NULL ? st->first : NULL;
    if (hall_val_str_or_null(st, "Code") == NULL) {
        out->error = "sms: no SendStatusSet";
        return;
    }
    if (strcmp(hall_val_str_or_null(st, "Code"), "Ok") != 0) {
        const char *code = hall_val_str_or_null(st, "Code"),
                   *msg = hall_val_str_or_null(st, "Message");

        out->retry_after_s = tencent_limit(code);
        out->error =
            out->retry_after_s > 0
                ? hall_psprintf(cx->pool, "sms: provider limit %.64s (%.120s), retried in %ld s",
                                code, msg != NULL ? msg : "", out->retry_after_s)
                : hall_psprintf(cx->pool, "sms: refused %.64s (%.120s)", code,
                                msg != NULL ? msg : "");
        return;
    }
    out->provider_id = hall_val_str_or_null(st, "SerialNo") != NULL &&
                               strlen(hall_val_str_or_null(st, "SerialNo")) <= 64
                           ? hall_val_str_or_null(st, "SerialNo")
                           : NULL;
    out->sent = 1;
}

/* ---- the interface ----------------------------------------------------------- */

static const struct sms_driver {
    const char *name; /* provider_accounts.driver */
    void (*send)(struct hall_ctx *, const struct hall_provider_acct *, const struct hall_sms_msg *,
                 struct hall_sms_outcome *);
} sms_drivers[] = {
    {"aliyun", aliyun_send},
    {"tencent", tencent_send},
    {NULL, NULL},
};

void
hall_sms_deliver(struct hall_ctx *cx, const struct hall_val *payload, const char *idem_key,
                 long attempts, struct hall_sms_outcome *out)
{
    const char *phone = hall_val_str_or_null(payload, "phone"),
               *kind = hall_val_str_or_null(payload, "kind");
    const struct hall_val *params = hall_val_get(payload, "params");
    const struct hall_sms_tpl *t = hall_sms_tpl_get(kind);
    const struct sms_driver *d;
    struct hall_provider_acct a;
    struct hall_sms_msg m;
    const char *code;

    memset(out, 0, sizeof(*out));
    if (phone == NULL || t == NULL || params == NULL || params->type != HALL_V_OBJ) {
        out->error = "bad payload: no template";
        return;
    }
    if (hall_provider_account(cx, "sms", hall_val_str_or_null(payload, "partner"), "sms", &a) !=
        HALL_OK) {
        out->error = "sms: no account";
        return;
    }
    for (d = sms_drivers; d->name != NULL && strcmp(d->name, a.driver) != 0; d++)
        ;
    if (d->name == NULL) {
        out->error = hall_psprintf(cx->pool, "sms: no driver %.32s", a.driver);
        return;
    }
    /* the code the provider approved for this text, else the sandbox's
     * (Tencent's TemplateId: its digits) */
    code = hall_provider_setting(&a, "templates", t->kind);
    if (code == NULL)
        code = strcmp(a.driver, "tencent") == 0 && strncmp(t->code, "SMS_", 4) == 0 ? t->code + 4
                                                                                    : t->code;
    memset(&m, 0, sizeof(m));
    m.phone = phone;
    m.sign = a.sign;
    m.template_code = code;
    m.template_param = hall_val_json(cx->pool, params, NULL);
    {
        struct hall_val *list = hall_val_obj(cx->pool);
        struct hall_val *values = hall_val_set_list(cx->pool, list, "v");
        const char **names = hall_sms_tpl_params(cx->pool, t);
        size_t i, j;

        for (i = 0; names[i] != NULL; i++) {
            const struct hall_val *v = hall_val_get(params, names[i]);

            for (j = 0; j < i && strcmp(names[j], names[i]) != 0; j++)
                ;
            if (j < i)
                continue; /* a name twice: one position */
            if (v == NULL || v->type != HALL_V_STR) {
                out->error = "bad payload: a parameter missing";
                return;
            }
            hall_val_push_str(cx->pool, values, v->str);
        }
        m.param_values = values;
    }
    m.out_id = idem_key;
    m.attempts = attempts;
    out->account = a.name;
    out->template_code = m.template_code;
    d->send(cx, &a, &m, out);
}
