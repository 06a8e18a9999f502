/*
 * Status webhooks to partner platforms (issue 55, docs/partners.md "Status
 * webhooks").  The events are written by the database itself, in the
 * transaction of the change (sql/functions/partner_event_add.sql, called by
 * the triggers of orders, payments, certificates and seseals): a row of
 * partner_events and its outbox job of kind partner_hook.  hall-outbox's
 * lane "partner" calls hall_partner_hook_run_one, which delivers them:
 *
 *   - one partner at a time per worker (an advisory lock per partner): a
 *     partner whose receiver hangs holds up one worker and its own events,
 *     never the SMS, the bank or another partner's (with a second worker);
 *   - per order in the order they happened: an event waits while an earlier
 *     one of its order is still pending;
 *   - the body fixed at the first try (partner_events.body): every retry and
 *     a replay from the staff console send the same bytes and event id;
 *   - signed twice over ts "\n" nonce "\n" body: HMAC-SHA256 under the
 *     partner's hook_secret, and a detached CMS by the hall's key "hook",
 *     which its CA "ecc" certified (pki_dir/hook.crt);
 *   - retried on the published schedule (partner_hook_delays: 14 tries over
 *     about 10 h 39 min), then dead: the staff console's outbox page shows
 *     it and sends it again; a delivery ends the wait of the partner's other
 *     events (its receiver is back);
 *   - nothing personal beyond the contract: no ID number, no bank account,
 *     the agent's name and phone masked unless hook_clear_agent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "biz/biz.h"

const struct hall_stmt hall_partner_stmts[] = {
    /* an order's reasons, masked, in its events written before sql/154 */
    {"partner_events_reason",
     "UPDATE partner_events SET data = jsonb_set(data, '{reason}', to_jsonb($2::text))"
     " WHERE order_id = $1 AND data ? 'reason'",
     2},
    /* the partners with an event due now */
    {"ph_partners",
     "SELECT DISTINCT e.partner_code FROM outbox o JOIN partner_events e ON e.outbox_id = o.id"
     " WHERE o.status = 'pending' AND o.kind = 'partner_hook' AND o.next_attempt_at <= now()"
     " LIMIT 32",
     0},
    /* one worker per partner at a time, until the transaction ends */
    {"ph_lock", "SELECT pg_try_advisory_xact_lock(55055, hashtext($1)) AS got", 1},
    /* the partner's oldest due event whose order has no earlier one pending */
    {"ph_claim",
     "SELECT o.id, o.attempts, e.id AS event_id, e.event, e.body, e.data::text AS data,"
     " to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS occurred,"
     " p.hook_url, p.hook_secret_enc, p.hook_clear_agent, r.order_no, r.business_type,"
     " coalesce(r.project_id, '') AS project_id, r.cert_type, r.subject, r.form_enc"
     " FROM outbox o JOIN partner_events e ON e.outbox_id = o.id"
     " JOIN partners p ON p.code = e.partner_code JOIN orders r ON r.id = e.order_id"
     " WHERE e.partner_code = $1 AND o.status = 'pending' AND o.next_attempt_at <= now()"
     " AND NOT EXISTS (SELECT 1 FROM partner_events e2 JOIN outbox o2 ON o2.id = e2.outbox_id"
     " WHERE e2.partner_code = e.partner_code AND e2.order_id = e.order_id AND e2.id < e.id"
     " AND o2.status = 'pending')"
     " ORDER BY o.next_attempt_at, o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED",
     1},
    {"ph_body_keep", "UPDATE partner_events SET body = $2 WHERE id = $1 AND body IS NULL", 2},
    {"ph_delivered", "UPDATE partner_events SET delivered_at = now() WHERE outbox_id = $1", 1},
    /* a partner API request's nonce, refused when seen before (replay) */
    {"papi_nonce",
     "INSERT INTO partner_api_nonces (key_id, nonce) VALUES ($1, $2)"
     " ON CONFLICT DO NOTHING RETURNING 1 AS fresh",
     2},
    {"papi_nonce_prune",
     "DELETE FROM partner_api_nonces WHERE seen_at < now() - interval '15 minutes'", 0},
    /* a signed call counted in its partner's minute; no row: over the
     * partner's api_rate_per_min (sql/141_partner_api_rate.sql) */
    {"papi_rate",
     "INSERT INTO partner_api_rate AS r (partner_code, minute, calls)"
     " VALUES ($1, date_trunc('minute', now()), 1) ON CONFLICT (partner_code, minute)"
     " DO UPDATE SET calls = r.calls + 1 WHERE r.calls < (SELECT api_rate_per_min FROM partners"
     " WHERE code = $1) RETURNING calls",
     1},
    {"papi_rate_prune", "DELETE FROM partner_api_rate WHERE minute < now() - interval '1 hour'", 0},
    {NULL, NULL, 0},
};

char *
hall_partner_sig_string(struct hall_pool *pool, const char *ts, const char *nonce, const char *body,
                        size_t *len)
{
    char *s = hall_psprintf(pool, "%s\n%s\n%s", ts, nonce, body);

    *len = strlen(s);
    return s;
}

char *
hall_partner_hmac_hex(struct hall_pool *pool, const char *secret, const char *s, size_t n)
{
    unsigned char mac[32];

    hall_hmac_sha256(secret, strlen(secret), s, n, mac);
    return hall_hex(pool, mac, sizeof(mac));
}

/* the signer, loaded once per process (the worker's, after fork: the
 * token's session is the process's own) */
static struct {
    int tried;
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) * chain;
} signer;

static int
signer_load(const struct hall_conf *conf)
{
    char err[512];
    X509 *ca;

    if (signer.tried)
        return signer.key != NULL ? HALL_OK : HALL_ERR;
    signer.tried = 1;
    signer.cert = hall_pki_cert_load(conf->pki_dir, "hook", NULL);
    ca = hall_pki_cert_load(conf->pki_dir, "ecc", NULL);
    signer.chain = sk_X509_new_null();
    if (signer.cert == NULL || ca == NULL || signer.chain == NULL ||
        sk_X509_push(signer.chain, ca) <= 0) {
        X509_free(ca);
        hall_log(HALL_LOG_WARN, NULL,
                 "msg=\"partner hooks: pki_dir/hook.crt or ecc.crt missing: no CMS signature"
                 " (run hall-pkitool ceremony)\"");
        return HALL_ERR;
    }
    signer.key = hall_pki_key("hook", err, sizeof(err));
    if (signer.key == NULL) {
        hall_log(HALL_LOG_WARN, NULL, "msg=\"partner hooks: no CMS signature: %s\"", err);
        return HALL_ERR;
    }
    return HALL_OK;
}

char *
hall_partner_cms_b64(struct hall_pool *pool, const struct hall_conf *conf, const char *s, size_t n)
{
    const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
    CMS_ContentInfo *cms = NULL;
    BIO *in = NULL;
    unsigned char *der = NULL;
    char *out = NULL;
    int len;

    if (signer_load(conf) != HALL_OK)
        return NULL;
    in = BIO_new_mem_buf(s, (int)n);
    cms = in != NULL ? CMS_sign(NULL, NULL, signer.chain, NULL, flags) : NULL;
    if (cms == NULL || CMS_add1_signer(cms, signer.cert, signer.key, EVP_sha256(), flags) == NULL ||
        CMS_final(cms, in, NULL, flags) != 1)
        goto out;
    len = i2d_CMS_ContentInfo(cms, &der);
    if (len > 0)
        out = hall_b64(pool, der, (size_t)len);
out:
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    return out;
}

char *
hall_partner_mask_name(struct hall_pool *pool, const char *name)
{
    size_t n = strlen(name), first = 1, i;
    char *out, *p;

    if (n == 0)
        return hall_pstrdup(pool, "");
    while (first < n && ((unsigned char)name[first] & 0xC0) == 0x80)
        first++;
    out = p = hall_palloc(pool, n + 1);
    memcpy(p, name, first);
    p += first;
    for (i = first; i < n; i++)
        if (((unsigned char)name[i] & 0xC0) != 0x80)
            *p++ = '*';
    *p = '\0';
    return out;
}

char *
hall_partner_mask_phone(struct hall_pool *pool, const char *phone)
{
    size_t n = strlen(phone);

    if (n < 8)
        return hall_pstrdup(pool, "****");
    return hall_psprintf(pool, "%.3s****%s", phone, phone + n - 4);
}

int
hall_partner_events_reason(struct hall_ctx *cx, int64_t order_id, const char *masked)
{
    return hall_db_exec(cx, "partner_events_reason", HALL_I64(order_id), HALL_STR(masked)) != NULL
               ? HALL_OK
               : HALL_ERR;
}

/* the body of the claimed event (row 0 of res), as the partner reads it */
static char *
body_build(struct hall_ctx *cx, const struct hall_dbres *res)
{
    struct hall_pool *pool = cx->pool;
    struct hall_val *b = hall_val_obj(pool), *o, *u, *a, *data;
    const struct hall_val *form;
    const char *cert_type = hall_dbres_str(res, 0, "cert_type");
    const char *data_text = hall_dbres_str(res, 0, "data"), *name, *phone;
    int clear = hall_dbres_bool(res, 0, "hook_clear_agent");

    form = hall_dbres_pii_json(cx, res, 0, hall_dbres_col(res, "form_enc"));
    data = hall_val_parse(pool, data_text, strlen(data_text), NULL, 0);
    if (form == NULL || data == NULL)
        return NULL;
    hall_val_set_fmt(pool, b, "event_id", "%lld", (long long)hall_dbres_int(res, 0, "event_id"));
    hall_val_set_str(pool, b, "event", hall_dbres_str(res, 0, "event"));
    hall_val_set_str(pool, b, "occurred_at", hall_dbres_str(res, 0, "occurred"));
    o = hall_val_set_obj(pool, b, "order");
    hall_val_set_str(pool, o, "order_no", hall_dbres_str(res, 0, "order_no"));
    hall_val_set_str(pool, o, "business", hall_dbres_str(res, 0, "business_type"));
    hall_val_set_str(pool, o, "project_id", hall_dbres_str(res, 0, "project_id"));
    hall_val_set_str(pool, o, "cert_type", cert_type);
    /* the unit: its name and USCC are no one's personal data; a natural
     * person's certificate names no unit */
    if (strcmp(cert_type, "person") != 0) {
        u = hall_val_set_obj(pool, o, "unit");
        hall_val_set_str(pool, u, "name", hall_dbres_str(res, 0, "subject"));
        hall_val_set_str(pool, u, "uscc", hall_val_str(form, "org_id"));
    }
    /* the agent (a person's certificate: the holder), masked unless the
     * partner's contract says otherwise; never the ID number */
    name = hall_val_str(form, "agent_name");
    phone = hall_val_str(form, "agent_mobile");
    if (*name == '\0')
        name = hall_val_str(form, "app_name");
    if (*phone == '\0')
        phone = hall_val_str(form, "app_mobile");
    a = hall_val_set_obj(pool, o, "agent");
    hall_val_set_str(pool, a, "name", clear ? name : hall_partner_mask_name(pool, name));
    hall_val_set_str(pool, a, "mobile", clear ? phone : hall_partner_mask_phone(pool, phone));
    /* what the event says: reason, certificate, waybill, seal; a
     * reviewer's reason may quote an ID number, an account or a phone */
    if (hall_val_str_or_null(data, "reason") != NULL)
        hall_val_set_str(pool, data, "reason",
                         hall_partner_mask_digits(pool, hall_val_str(data, "reason")));
    data->key = "data";
    if (b->last != NULL)
        b->last->next = data;
    b->last = data;
    return hall_val_json(pool, b, NULL);
}

/* 1 when an IPv4 address (host order) is loopback, link-local, private,
 * shared (CGNAT), this network, benchmark, multicast or reserved */
static int
v4_private(uint32_t a)
{
    return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 || (a >> 16) == 0xA9FE ||
           (a >> 20) == 0xAC1 || (a >> 16) == 0xC0A8 || (a >> 22) == (100u << 2 | 1u) ||
           (a >> 8) == 0xC00000 || (a >> 17) == (0xC612u >> 1) || a >= 0xE0000000u;
}

/*
 * Where a webhook may go (hall_http_call's addr_ok, asked for each address
 * curl connects to, after DNS): anywhere public; loopback, link-local and
 * private networks only when the operator names the address in
 * partner_hook_allow_private (a hook_url, set as data, must not reach the
 * hall's own services or its network's).
 */
static int
hook_addr_ok(const struct sockaddr *sa, void *arg)
{
    const char *allow = arg, *p;
    char text[INET6_ADDRSTRLEN];
    size_t n;
    int priv;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

        priv = v4_private(ntohl(in->sin_addr.s_addr));
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

        if (IN6_IS_ADDR_V4MAPPED(a))
            priv = v4_private((uint32_t)a->s6_addr[12] << 24 | (uint32_t)a->s6_addr[13] << 16 |
                              (uint32_t)a->s6_addr[14] << 8 | a->s6_addr[15]);
        else
            priv = IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
                   IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_SITELOCAL(a) ||
                   IN6_IS_ADDR_MULTICAST(a) || (a->s6_addr[0] & 0xFE) == 0xFC;
        inet_ntop(AF_INET6, a, text, sizeof(text));
    } else {
        return 0;
    }
    if (!priv)
        return 1;
    n = strlen(text);
    for (p = allow != NULL ? allow : ""; (p = strstr(p, text)) != NULL; p += n)
        if ((p == allow || p[-1] == ' ' || p[-1] == ',') &&
            (p[n] == '\0' || p[n] == ' ' || p[n] == ','))
            return 1;
    return 0;
}

/* POSTs body to url, signed; NULL when the partner acknowledged (2xx), else
 * the error as kept in last_error (no personal data) */
static const char *
post_signed(struct hall_ctx *cx, const struct hall_dbres *res, const char *body)
{
    struct hall_pool *pool = cx->pool;
    const struct hall_conf *conf = cx->conf;
    unsigned char rnd[16];
    const char *headers[8];
    struct hall_http_call call;
    struct hall_http_resp resp;
    char *ts, *nonce, *s, *cms, *secret;
    size_t n;
    int h = 0;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return "random";
    /* kept encrypted under the PII key (sql/140_partner_secrets_enc.sql) */
    secret = hall_dbres_secret(cx, res, 0, "hook_secret_enc");
    if (secret == NULL)
        return "hook_secret not readable";
    ts = hall_psprintf(pool, "%lld", (long long)time(NULL));
    nonce = hall_hex(pool, rnd, sizeof(rnd));
    s = hall_partner_sig_string(pool, ts, nonce, body, &n);
    headers[h++] =
        hall_psprintf(pool, "X-Hall-Event-Id: %lld", (long long)hall_dbres_int(res, 0, "event_id"));
    headers[h++] = hall_psprintf(pool, "X-Hall-Event: %s", hall_dbres_str(res, 0, "event"));
    headers[h++] = hall_psprintf(pool, "X-Hall-Timestamp: %s", ts);
    headers[h++] = hall_psprintf(pool, "X-Hall-Nonce: %s", nonce);
    headers[h++] =
        hall_psprintf(pool, "X-Hall-Signature: %s", hall_partner_hmac_hex(pool, secret, s, n));
    cms = hall_partner_cms_b64(pool, conf, s, n);
    if (cms != NULL)
        headers[h++] = hall_psprintf(pool, "X-Hall-Signature-CMS: %s", cms);
    headers[h] = NULL;
    memset(&call, 0, sizeof(call));
    call.method = "POST";
    call.url = hall_dbres_str(res, 0, "hook_url");
    call.content_type = "application/json; charset=utf-8";
    call.body = body;
    call.body_len = strlen(body);
    call.headers = headers;
    call.connect_ms = conf->http_connect_ms;
    call.total_ms = conf->http_total_ms;
    call.provider = "partner";
    call.addr_ok = hook_addr_ok;
    call.addr_arg = conf->partner_hook_allow_private;
    if (hall_http_call(pool, &call, &resp) != HALL_OK || resp.status == 0)
        return resp.addr_refused ? "hook_url reaches a private address (partner_hook_allow_private)"
               : resp.timed_out  ? "transport: timeout"
                                 : "transport: no answer";
    if (resp.status < 200 || resp.status > 299)
        return hall_psprintf(pool, "http %ld", resp.status);
    return NULL;
}

int
hall_partner_hook_run_one(struct hall_ctx *cx)
{
    struct hall_dbres *parts, *res = NULL, *r;
    const char *code = NULL, *body, *error;
    int64_t job;
    int i, rc = -1;

    if (hall_db_begin(cx) != HALL_OK)
        return -1;
    parts = hall_db_exec(cx, "ph_partners");
    if (parts == NULL)
        goto out;
    /* a partner another worker is delivering to is left to it */
    for (i = 0; i < hall_dbres_rows(parts); i++) {
        code = hall_dbres_str(parts, i, "partner_code");
        r = hall_db_exec(cx, "ph_lock", HALL_STR(code));
        if (r == NULL)
            goto out;
        if (!hall_dbres_bool(r, 0, "got"))
            continue;
        res = hall_db_exec(cx, "ph_claim", HALL_STR(code));
        if (res == NULL)
            goto out;
        if (hall_dbres_rows(res) > 0)
            break;
        res = NULL;
    }
    if (res == NULL) {
        rc = hall_db_commit(cx) == HALL_OK ? 0 : -1;
        goto out;
    }
    job = hall_dbres_int(res, 0, "id");
    if (!hall_dbres_isnull(res, 0, hall_dbres_col(res, "body"))) {
        body = hall_dbres_str(res, 0, "body");
    } else {
        body = body_build(cx, res);
        if (body != NULL &&
            hall_db_exec(cx, "ph_body_keep", HALL_I64(hall_dbres_int(res, 0, "event_id")),
                         HALL_STR(body)) == NULL)
            goto out;
    }
    /* webhooks switched off (hook_url NULL) while the event waited: a
     * failed try on the schedule, kept for the console, never a POST to
     * nowhere signed with no secret */
    if (hall_dbres_str(res, 0, "hook_url") == NULL ||
        hall_dbres_str(res, 0, "hook_secret_enc") == NULL)
        error = "partner: no hook_url";
    else
        error = body != NULL ? post_signed(cx, res, body) : "the order's data cannot be read";
    if (error == NULL) {
        if (hall_outbox_done(cx, job, "{\"acknowledged\":true}") != HALL_OK ||
            hall_db_exec(cx, "ph_delivered", HALL_I64(job)) == NULL ||
            hall_outbox_partner_release(cx, code) != HALL_OK)
            goto out;
        hall_info(cx, "msg=delivered lane=partner partner=%s event=%s event_id=%lld attempts=%lld",
                  code, hall_dbres_str(res, 0, "event"),
                  (long long)hall_dbres_int(res, 0, "event_id"),
                  (long long)hall_dbres_int(res, 0, "attempts") + 1);
    } else {
        r = hall_outbox_hook_failed(cx, job, error);
        if (r == NULL)
            goto out;
        hall_warn(cx,
                  "msg=\"delivery failed\" lane=partner partner=%s event_id=%lld attempts=%lld"
                  " error=\"%s\" status=%s",
                  code, (long long)hall_dbres_int(res, 0, "event_id"),
                  (long long)hall_dbres_int(res, 0, "attempts") + 1, error,
                  hall_dbres_str(r, 0, "status"));
    }
    rc = hall_db_commit(cx) == HALL_OK ? 1 : -1;
out:
    if (cx->in_tx)
        hall_db_rollback(cx);
    return rc;
}

struct hall_dbres *
hall_partner_nonce(struct hall_ctx *cx, const char *key_id, const char *nonce)
{
    return hall_db_exec(cx, "papi_nonce", HALL_STR(key_id), HALL_STR(nonce));
}

int
hall_partner_nonce_prune(struct hall_ctx *cx)
{
    return hall_db_exec(cx, "papi_nonce_prune") != NULL &&
                   hall_db_exec(cx, "papi_rate_prune") != NULL
               ? HALL_OK
               : HALL_ERR;
}

int
hall_partner_rate(struct hall_ctx *cx, const char *partner)
{
    struct hall_dbres *res = hall_db_exec(cx, "papi_rate", HALL_STR(partner));

    if (res == NULL)
        return -1;
    return hall_dbres_rows(res) == 1 ? 1 : 0;
}
