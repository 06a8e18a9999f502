/*
 * The partner API (issue 55, docs/partners.md "The partner API"): what a
 * partner platform's server asks the hall, signed with one of its keys
 * (partner_api_keys, sql/136_partner_api.sql).
 *
 *   POST /partner-api/v1/applications      a pre-filled application: the link
 *                                          to send the user to
 *   GET  /partner-api/v1/orders?id=|order_no=|serial=|uscc=
 *                                          the partner's own orders found so
 *   GET  /partner-api/v1/orders/changed?since=&cursor=&limit=
 *                                          the partner's orders changed since
 *                                          a time, paged
 *
 * Every request carries X-Hall-Key-Id, X-Hall-Timestamp (Unix seconds,
 * within 300 s of the hall's clock), X-Hall-Nonce (16-64 of [A-Za-z0-9_-],
 * never reused) and X-Hall-Signature: HMAC-SHA256 under the key's secret
 * of METHOD "\n" PATH?QUERY "\n" TIMESTAMP "\n" NONCE "\n" BODY, lower-case
 * hex.  A key that is unknown, expired or revoked, a wrong signature, a
 * stale timestamp and a replayed nonce are refused (401) before anything is
 * read, all but the replay with the same words (PAPI_REFUSED).  Every call
 * with a key the hall knows is a row of the hash-chained audit log (actor
 * partner:CODE), but its 401s: those are counted per key and minute and
 * only a minute's first is a row (known_refused); one with no key or an
 * unknown one is counted and sampled in the log (unknown_refused).  A
 * partner sees its own orders only: another partner's order is "not
 * found", as an order that does not exist.  nginx limits the rate per
 * client address (a flood guard); each key's rate (a bucket) and the
 * partner's over all its keys (partners.api_rate_per_min) are counted
 * after the signature (core/biz/partner_auth.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hall.h"

#define PAGE_MAX 100

static const struct hall_stmt partner_stmts[] = {
    /* the certificate type an application asks for ($2): one the partner
     * sells in 证书新办 (the products its form offers) */
    {"papi_sells",
     "SELECT 1 FROM products WHERE partner_code = $1 AND business_type = 'new'"
     " AND cert_type = $2 AND active LIMIT 1",
     2},
    /* the partner's own orders ($1) by one of id, order_no, serial, USCC */
    {"papi_find",
     "SELECT o.id FROM orders o WHERE o.partner_code = $1 AND ("
     " o.id = $2::bigint OR o.order_no = $3 OR o.id IN (SELECT order_id FROM certificates"
     " WHERE serial = $4 OR subject_org_code = $5))"
     " ORDER BY o.id DESC LIMIT 50",
     5},
    {"papi_changed",
     "SELECT o.id, to_char(o.updated_at AT TIME ZONE 'UTC',"
     " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at FROM orders o WHERE o.partner_code = $1"
     " AND (o.updated_at, o.id) > ($2::timestamptz, $3::bigint) AND o.status <> 'draft'"
     " ORDER BY o.updated_at, o.id LIMIT $4",
     4},
    {"papi_order",
     "SELECT o.id, o.order_no, o.business_type, o.status, coalesce(o.project_id, '') AS"
     " project_id, o.cert_type, o.subject, coalesce(o.reject_reason, '') AS reject_reason,"
     " coalesce(o.waybill_no, '') AS waybill_no, coalesce(o.carrier, '') AS carrier,"
     " to_char(o.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS"
     " submitted_at, to_char(o.updated_at AT TIME ZONE 'UTC',"
     " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS updated_at FROM orders o WHERE o.id = $1",
     1},
    {"papi_certs",
     "SELECT serial, state, to_char(not_before AT TIME ZONE 'UTC',"
     " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS not_before, to_char(not_after AT TIME ZONE 'UTC',"
     " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS not_after, coalesce(to_char(revoked_at AT TIME"
     " ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') AS revoked_at,"
     " coalesce(subject_org_code, '') AS uscc FROM certificates WHERE order_id = $1"
     " AND state IN ('issued', 'revoked') ORDER BY created_at",
     1},
    {NULL, NULL, 0},
};

/* the caller, once its signature is checked */
struct caller {
    const char *key_id;
    const char *partner;
    int links;
    const char *entry_path;
};

/*
 * A refusal of messages.def, as JSON whatever the caller's Accept (the
 * API speaks JSON only: json_only below makes the core's own answers, a
 * store failure's 503 among them, JSON too); HALL_ANSWERED.
 */
static int
api_refuse(struct hall_req *req, enum hall_msg_code c, const char *field, ...)
{
    struct hall_val *v = hall_val_obj(req->pool);
    va_list ap;

    va_start(ap, field);
    hall_val_set_bool(req->pool, v, "ok", 0);
    if (field != NULL)
        hall_val_set_str(req->pool, v, "field", field);
    hall_val_set_str(req->pool, v, "message", hall_msg_vtext(req->pool, c, ap));
    va_end(ap);
    hall_resp_json(req, hall_msgs[c].status, v);
    return HALL_ANSWERED;
}

/* every answer JSON, the core's too (hall_app_finish's 503) */
static void
json_only(struct hall_req *req)
{
    req->accept = "application/json";
}

/* the call on the audit trail: who (partner:CODE), which key, what, answer */
static void
audit(struct hall_req *req, const struct caller *c, const char *key_id, const char *action,
      int status, const char *why)
{
    struct hall_val *d = hall_val_obj(req->pool);

    hall_val_set_str(req->pool, d, "method", req->method);
    hall_val_set_str(req->pool, d, "path", req->path);
    hall_val_set_int(req->pool, d, "status", status);
    if (why != NULL)
        hall_val_set_str(req->pool, d, "refused", why);
    if (hall_audit(req->cx,
                   c != NULL ? hall_psprintf(req->pool, "partner:%s", c->partner) : "partner-api",
                   "partner_api", key_id != NULL && strlen(key_id) <= 64 ? key_id : "-", action,
                   NULL, NULL, d) != HALL_OK)
        hall_warn(req, "msg=\"partner api: audit row not written\"");
}

/*
 * A log line at most every SAMPLE_S seconds a worker (its first at once):
 * 1 when one is due, with *since the calls that had none since the last.
 */
#define SAMPLE_S 10

struct sampler {
    time_t at;
    unsigned long unlogged;
};

static int
sample_due(struct sampler *s, unsigned long *since)
{
    time_t now = time(NULL);

    if (s->at != 0 && now - s->at < SAMPLE_S) {
        s->unlogged++;
        return 0;
    }
    *since = s->unlogged;
    s->at = now;
    s->unlogged = 0;
    return 1;
}

/*
 * A call with no key or a key the hall does not know: anybody can send one,
 * as fast as nginx lets it, so it is no row of the hash-chained audit log
 * (which is append-only: a flood of strangers would fill it).  Counted
 * (hall_events_total{event="partner_api_unknown_key"}, /metrics/partner)
 * and sampled in the log with how many came since and the last one's key
 * id.
 */
static void
unknown_refused(struct hall_req *req, const char *key_id, const char *why)
{
    static struct sampler sampled;
    unsigned long since;

    hall_metrics_event("partner_api_unknown_key");
    if (sample_due(&sampled, &since))
        hall_warn(req,
                  "msg=\"partner api refused, not audited\" why=\"%s\" key=%s addr=%s"
                  " also_refused_since_last_line=%lu",
                  why, hall_partner_token_ok(key_id, 8, 64) ? key_id : "-",
                  req->remote_addr != NULL ? req->remote_addr : "-", since);
}

/*
 * A known key's refusal (a wrong signature, a stale timestamp, a revoked or
 * expired key, a replay): anybody who knows the key id can send those as
 * fast as nginx's guard per address lets them, so they are counted per key
 * and minute (sql/200) and only the minute's first is a row of the audit
 * log, with the count of the minute before it; every one is counted
 * (hall_events_total{event="partner_api_refused"}) and the rest sampled in
 * the log.  HALL_ERR when the store could not count it.
 */
static int
known_refused(struct hall_req *req, const struct caller *c, const char *action, const char *why)
{
    static struct sampler sampled;
    const char *prev_minute = "";
    unsigned long since;
    long prev = 0;
    int n = hall_partner_refused_count(req->cx, c->key_id, &prev, &prev_minute);
    struct hall_val *d;

    if (n < 0)
        return HALL_ERR;
    hall_metrics_event("partner_api_refused");
    if (n == 1) {
        d = hall_val_obj(req->pool);
        hall_val_set_str(req->pool, d, "method", req->method);
        hall_val_set_str(req->pool, d, "path", req->path);
        hall_val_set_int(req->pool, d, "status", 401);
        hall_val_set_str(req->pool, d, "refused", why);
        hall_val_set_str(req->pool, d, "addr", req->remote_addr != NULL ? req->remote_addr : "-");
        if (*prev_minute != '\0') {
            hall_val_set_str(req->pool, d, "refused_minute_before", prev_minute);
            hall_val_set_int(req->pool, d, "refused_in_it", prev);
        }
        if (hall_audit(req->cx, hall_psprintf(req->pool, "partner:%s", c->partner), "partner_api",
                       c->key_id, action, NULL, NULL, d) != HALL_OK)
            hall_warn(req, "msg=\"partner api: audit row not written\"");
    } else if (sample_due(&sampled, &since)) {
        hall_warn(req,
                  "msg=\"partner api refused, audited once a minute\" why=\"%s\" key=%s addr=%s"
                  " refused_this_minute=%d also_refused_since_last_line=%lu",
                  why, c->key_id, req->remote_addr != NULL ? req->remote_addr : "-", n, since);
    }
    return HALL_OK;
}

/*
 * The request's key, timestamp, nonce and signature; HALL_OK with c
 * filled, else HALL_ANSWERED (401 or 429, the refusal audited or counted)
 * or HALL_ERR (the store failed: hall_app_finish answers it).
 */
static int
authenticate(struct hall_req *req, const char *action, struct caller *c)
{
    const char *uri = hall_req_env(req, "REQUEST_URI"), *why = NULL;
    struct hall_partner_call in = {
        .key_id = hall_req_env(req, "HTTP_X_HALL_KEY_ID"),
        .ts = hall_req_env(req, "HTTP_X_HALL_TIMESTAMP"),
        .nonce = hall_req_env(req, "HTTP_X_HALL_NONCE"),
        .sig = hall_req_env(req, "HTTP_X_HALL_SIGNATURE"),
        .method = req->method,
        .target = uri != NULL ? uri : req->path,
        .body = req->raw_body,
        .body_len = req->raw_len,
    };
    struct hall_partner_caller pc;
    unsigned long macs;
    int rc;

    json_only(req);
    memset(c, 0, sizeof(*c));
    /* the rule is the core's (core/biz/partner_auth.c): this answers it;
     * the HMACs it computed counted (partner_api_hmac: one for every
     * call, whatever its key: an unknown one's refusal does that work too) */
    macs = hall_partner_macs();
    rc = hall_partner_authenticate(req->cx, &in, &pc, &why);
    for (; macs < hall_partner_macs(); macs++)
        hall_metrics_event("partner_api_hmac");
    if (pc.partner != NULL) {
        c->key_id = in.key_id;
        c->partner = pc.partner;
        c->links = pc.links;
        c->entry_path = pc.entry_path;
    }
    if (rc == HALL_OK)
        return HALL_OK;
    if (rc == HALL_PARTNER_RATE) {
        /* the key's bucket refills in a tenth of a second, the partner's
         * minute at the minute's end */
        hall_warn(req, "msg=\"partner api over its rate\" partner=%s why=\"%s\"", c->partner, why);
        audit(req, c, c->key_id, action, 429, why);
        hall_resp_header(req, "Retry-After",
                         strcmp(why, "rate") == 0
                             ? hall_psprintf(req->pool, "%d", 60 - (int)(time(NULL) % 60))
                             : "1");
        return api_refuse(req, HALL_M_PAPI_RATE, NULL);
    }
    if (rc != HALL_PARTNER_REFUSED)
        return HALL_ERR;
    if (c->partner == NULL)
        unknown_refused(req, in.key_id, why);
    else if (known_refused(req, c, action, why) != HALL_OK)
        return HALL_ERR;
    /* one answer for every refusal before the signature checks: a
     * stranger learns nothing of a key's state (unknown, revoked, expired)
     * from it; the reason is in the audit row (or the log).  A replay is
     * told apart: its signature checked, the caller holds the secret */
    return api_refuse(
        req, strcmp(why, "replayed nonce") == 0 ? HALL_M_PAPI_REPLAYED : HALL_M_PAPI_REFUSED,
        "X-Hall-Signature");
}

/* what an application may pre-fill, checked by the form's own rules
 * (core/web/validate.c): a value the form would refuse is refused here,
 * naming the field, and kept as the form keeps it (normalised) */
static const struct hall_pspec application_fields[] = {
    {"org_name", HALL_P_ORG, HALL_PF_OPTIONAL, 0, 100, "机构名称", NULL},
    {"org_id", HALL_P_USCC, HALL_PF_OPTIONAL, 0, HALL_VALID_USCC_INPUT_MAX, "机构证件号码", NULL},
    {"name", HALL_P_PERSON, HALL_PF_OPTIONAL, 0, 30, "姓名", NULL},
    {"ric", HALL_P_RIC, HALL_PF_OPTIONAL, 0, 18, "身份证号", NULL},
    {"mobile", HALL_P_MOBILE, HALL_PF_OPTIONAL, 0, HALL_VALID_MOBILE_INPUT_MAX, "手机号码", NULL},
    {"email", HALL_P_EMAIL, HALL_PF_OPTIONAL, 0, 254, "邮箱", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* POST /partner-api/v1/applications: the signed link of today, made here */
static int
api_application(struct hall_req *req)
{
    const char *type, *project, *ticket, *next, *expires, *v, *note, *msg;
    struct hall_dbres *res;
    struct hall_val *pre, *out;
    struct caller c;
    int i, rc;

    rc = authenticate(req, "application", &c);
    if (rc != HALL_OK)
        return rc;
    /* a NUL inside a string, a member twice: refused naming it (the core's
     * reader, core/base/value.c), never read cut or first-wins */
    if (req->json == NULL && req->json_why != NULL && req->json_why->field != NULL) {
        const char *f = req->json_why->field;

        audit(req, &c, c.key_id, "application", 400, f);
        return api_refuse(
            req, req->json_why->what == HALL_JSON_NUL ? HALL_M_REQ_JSON_NUL : HALL_M_REQ_JSON_DUP,
            f, f);
    }
    if (req->json == NULL) {
        audit(req, &c, c.key_id, "application", 400, "body");
        return api_refuse(req, HALL_M_PAPI_BODY, NULL);
    }
    type = hall_val_str_or_null(req->json, "cert_type");
    project = hall_val_str_or_null(req->json, "project_id");
    if (type == NULL || (strcmp(type, "org") != 0 && strcmp(type, "person") != 0)) {
        audit(req, &c, c.key_id, "application", 400, "cert_type");
        return api_refuse(req, HALL_M_PAPI_CERT_TYPE, "cert_type");
    }
    res = hall_db_exec(req->cx, "papi_sells", HALL_STR(c.partner), HALL_STR(type));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        audit(req, &c, c.key_id, "application", 400, "cert_type");
        return api_refuse(req,
                          strcmp(type, "org") == 0 ? HALL_M_PAPI_NO_ORG : HALL_M_PAPI_NO_PERSON,
                          "cert_type");
    }
    if (project != NULL && *project != '\0' && !hall_partner_token_ok(project, 1, 64)) {
        audit(req, &c, c.key_id, "application", 400, "project_id");
        return api_refuse(req, HALL_M_PAPI_PROJECT, "project_id");
    }
    pre = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, pre, "cert_type", type);
    for (i = 0; application_fields[i].name != NULL; i++) {
        const struct hall_pspec *f = &application_fields[i];
        const char *raw = hall_val_str_or_null(req->json, f->name);

        if (raw == NULL)
            continue;
        if (hall_param_check(req->pool, f, raw, &v, &note, &msg) != HALL_OK) {
            audit(req, &c, c.key_id, "application", 400, f->name);
            return api_refuse(req, HALL_M_PAPI_FIELD, f->name, msg);
        }
        if (*v != '\0')
            hall_val_set_str(req->pool, pre, f->name, v);
    }
    if (strcmp(type, "org") == 0 && hall_val_str(pre, "org_name")[0] == '\0') {
        audit(req, &c, c.key_id, "application", 400, "org_name");
        return api_refuse(req, HALL_M_PAPI_ORG_NAME, "org_name");
    }
    if (hall_flow_link_make(req->cx, c.partner, c.key_id, project, pre, &ticket, &expires) !=
        HALL_OK)
        return HALL_ERR;
    /* where entry's link sends a user: the partner's 证书新办 with the
     * ticket, through the login */
    next = hall_psprintf(req->pool, "%snew?project=%s&link=%s", c.entry_path, c.partner, ticket);
    out = hall_val_obj(req->pool);
    hall_val_set_bool(req->pool, out, "ok", 1);
    hall_val_set_str(req->pool, out, "link",
                     hall_psprintf(req->pool, "%s%slogin?next=%s", req->app->conf.public_url,
                                   c.entry_path, hall_url_encode(req->pool, next)));
    hall_val_set_str(req->pool, out, "expires_at", expires);
    audit(req, &c, c.key_id, "application", 200, NULL);
    return hall_resp_json(req, 200, out);
}

/* one order as the partner reads it */
static int
order_put(struct hall_req *req, struct hall_val *list, int64_t id)
{
    struct hall_dbres *o = hall_db_exec(req->cx, "papi_order", HALL_I64(id));
    struct hall_dbres *cs = hall_db_exec(req->cx, "papi_certs", HALL_I64(id));
    struct hall_val *v, *certs, *cv;
    const char *status;
    int i;

    if (o == NULL || cs == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(o) == 0)
        return HALL_OK;
    v = hall_val_push_obj(req->pool, list);
    status = hall_dbres_str(o, 0, "status");
    hall_val_set_int(req->pool, v, "id", id);
    hall_val_set_str(req->pool, v, "order_no", hall_dbres_str(o, 0, "order_no"));
    hall_val_set_str(req->pool, v, "business", hall_dbres_str(o, 0, "business_type"));
    hall_val_set_str(req->pool, v, "status", status);
    hall_val_set_str(req->pool, v, "status_label",
                     hall_order_label(status) != NULL ? hall_order_label(status) : status);
    hall_val_set_str(req->pool, v, "project_id", hall_dbres_str(o, 0, "project_id"));
    hall_val_set_str(req->pool, v, "cert_type", hall_dbres_str(o, 0, "cert_type"));
    if (strcmp(hall_dbres_str(o, 0, "cert_type"), "person") != 0)
        hall_val_set_str(req->pool, v, "unit_name", hall_dbres_str(o, 0, "subject"));
    /* the reviewer's words, with what could be personal data masked */
    hall_val_set_str(req->pool, v, "reject_reason",
                     hall_partner_mask_digits(req->pool, hall_dbres_str(o, 0, "reject_reason")));
    hall_val_set_str(req->pool, v, "waybill_no", hall_dbres_str(o, 0, "waybill_no"));
    hall_val_set_str(req->pool, v, "carrier", hall_dbres_str(o, 0, "carrier"));
    hall_val_set_str(
        req->pool, v, "submitted_at",
        hall_dbres_str(o, 0, "submitted_at") != NULL ? hall_dbres_str(o, 0, "submitted_at") : "");
    hall_val_set_str(req->pool, v, "updated_at", hall_dbres_str(o, 0, "updated_at"));
    certs = hall_val_set_list(req->pool, v, "certificates");
    for (i = 0; i < hall_dbres_rows(cs); i++) {
        cv = hall_val_push_obj(req->pool, certs);
        hall_val_set_str(req->pool, cv, "serial", hall_dbres_str(cs, i, "serial"));
        hall_val_set_str(req->pool, cv, "state", hall_dbres_str(cs, i, "state"));
        hall_val_set_str(req->pool, cv, "not_before", hall_dbres_str(cs, i, "not_before"));
        hall_val_set_str(req->pool, cv, "not_after", hall_dbres_str(cs, i, "not_after"));
        hall_val_set_str(req->pool, cv, "revoked_at", hall_dbres_str(cs, i, "revoked_at"));
        hall_val_set_str(req->pool, cv, "uscc", hall_dbres_str(cs, i, "uscc"));
    }
    return HALL_OK;
}

/* GET /partner-api/v1/orders?id=|order_no=|serial=|uscc= */
static int
api_orders(struct hall_req *req)
{
    const char *id = hall_req_query(req, "id"), *no = hall_req_query(req, "order_no");
    const char *serial = hall_req_query(req, "serial"), *uscc = hall_req_query(req, "uscc");
    struct hall_dbres *res;
    struct hall_val *out, *list;
    struct caller c;
    char *end;
    long long n = -1;
    int i, rc;

    rc = authenticate(req, "orders", &c);
    if (rc != HALL_OK)
        return rc;
    if (id != NULL) {
        n = strtoll(id, &end, 10);
        if (*id == '\0' || *end != '\0' || n <= 0) {
            audit(req, &c, c.key_id, "orders", 400, "id");
            return api_refuse(req, HALL_M_PAPI_ORDER_ID, "id");
        }
    }
    if (id == NULL && no == NULL && serial == NULL && uscc == NULL) {
        audit(req, &c, c.key_id, "orders", 400, "query");
        return api_refuse(req, HALL_M_PAPI_QUERY, "id");
    }
    res = hall_db_exec(req->cx, "papi_find", HALL_STR(c.partner), HALL_I64(n),
                       HALL_STR(no != NULL ? no : ""), HALL_STR(serial != NULL ? serial : ""),
                       HALL_STR(uscc != NULL && *uscc != '\0' ? uscc : "-"));
    if (res == NULL)
        return HALL_ERR;
    out = hall_val_obj(req->pool);
    hall_val_set_bool(req->pool, out, "ok", 1);
    list = hall_val_set_list(req->pool, out, "orders");
    for (i = 0; i < hall_dbres_rows(res); i++)
        if (order_put(req, list, hall_dbres_int(res, i, "id")) != HALL_OK)
            return HALL_ERR;
    audit(req, &c, c.key_id, "orders", hall_dbres_rows(res) > 0 ? 200 : 404, NULL);
    if (hall_dbres_rows(res) == 0)
        return api_refuse(req, HALL_M_ORDER_NOT_FOUND, NULL);
    return hall_resp_json(req, 200, out);
}

/* the number of the two digits at s */
static int
two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* 1 for YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), as the answers write
 * times, a day of its month and a time of a day (PostgreSQL reads every
 * one: a failure of the statement below is the store's) */
static int
iso_time(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t i, n = s != NULL ? strlen(s) : 0;
    int y, m, d, leap;

    if (n < sizeof(shape) || n > 40)
        return 0;
    for (i = 0; i + 1 < sizeof(shape); i++)
        if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
            return 0;
    y = two(s) * 100 + two(s + 2);
    m = two(s + 5);
    d = two(s + 8);
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap) ||
        two(s + 11) > 23 || two(s + 14) > 59 || two(s + 17) > 59)
        return 0;
    s += i;
    if (*s == '.') {
        for (s++, n = 0; *s >= '0' && *s <= '9'; s++)
            n++;
        if (n == 0 || n > 6)
            return 0;
    }
    if (strcmp(s, "Z") == 0)
        return 1;
    return (s[0] == '+' || s[0] == '-') && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
           s[2] <= '9' && s[3] == ':' && s[4] >= '0' && s[4] <= '9' && s[5] >= '0' && s[5] <= '9' &&
           s[6] == '\0' && two(s + 1) <= 15 && two(s + 4) <= 59;
}

/* GET /partner-api/v1/orders/changed?since=&cursor=&limit= */
static int
api_changed(struct hall_req *req)
{
    const char *since = hall_req_query(req, "since"), *cursor = hall_req_query(req, "cursor");
    const char *lim = hall_req_query(req, "limit"), *at;
    struct hall_dbres *res;
    struct hall_val *out, *list;
    struct caller c;
    long long after_id = 0, limit = 50;
    char *end, *bar;
    int i, rc;

    rc = authenticate(req, "changed", &c);
    if (rc != HALL_OK)
        return rc;
    if (lim != NULL) {
        limit = strtoll(lim, &end, 10);
        if (*lim == '\0' || *end != '\0' || limit < 1 || limit > PAGE_MAX) {
            audit(req, &c, c.key_id, "changed", 400, "limit");
            return api_refuse(req, HALL_M_PAPI_LIMIT, "limit");
        }
    }
    /* the cursor is the last row's "updated_at|id" of the page before */
    if (cursor != NULL && *cursor != '\0') {
        bar = strchr(cursor, '|');
        after_id = bar != NULL ? strtoll(bar + 1, &end, 10) : -1;
        if (bar == NULL || *end != '\0' || after_id <= 0 || bar - cursor > 40) {
            audit(req, &c, c.key_id, "changed", 400, "cursor");
            return api_refuse(req, HALL_M_PAPI_CURSOR, "cursor");
        }
        since = hall_psprintf(req->pool, "%.*s", (int)(bar - cursor), cursor);
    }
    if (!iso_time(since)) {
        audit(req, &c, c.key_id, "changed", 400, "since");
        return api_refuse(req, HALL_M_PAPI_SINCE, "since");
    }
    res = hall_db_exec(req->cx, "papi_changed", HALL_STR(c.partner), HALL_STR(since),
                       HALL_I64(after_id), HALL_I64(limit));
    if (res == NULL)
        return HALL_ERR;
    out = hall_val_obj(req->pool);
    hall_val_set_bool(req->pool, out, "ok", 1);
    list = hall_val_set_list(req->pool, out, "orders");
    at = NULL;
    for (i = 0; i < hall_dbres_rows(res); i++) {
        if (order_put(req, list, hall_dbres_int(res, i, "id")) != HALL_OK)
            return HALL_ERR;
        at = hall_psprintf(req->pool, "%s|%lld", hall_dbres_str(res, i, "at"),
                           (long long)hall_dbres_int(res, i, "id"));
    }
    if (at != NULL && hall_dbres_rows(res) == limit)
        hall_val_set_str(req->pool, out, "next_cursor", at);
    audit(req, &c, c.key_id, "changed", 200, NULL);
    return hall_resp_json(req, 200, out);
}

static const struct hall_route partner_routes[] = {
    /* the raw body: a request that is not JSON is refused after its
     * signature (401 first) and audited */
    {"POST", "/partner-api/v1/applications", api_application,
     HALL_R_NOSESSION | HALL_R_NOCSRF | HALL_R_RAWBODY, NULL},
    {"GET", "/partner-api/v1/orders/changed", api_changed, HALL_R_NOSESSION, NULL},
    {"GET", "/partner-api/v1/orders", api_orders, HALL_R_NOSESSION, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(partner, partner_routes, partner_stmts, NULL)
