/*
 * submit.c: what the information entry's submit reads and writes: the
 * session read with the request's own data (an upload's order, a submit's
 * carrier pass and daily count: the module's session_load and at_file
 * hooks), the daily cap of new orders, 实名电信认证 with its kept pass, and
 * the save (hall_flow_order_save: the order, its revision and the audit in
 * one round trip).
 */
#include <stdio.h>
#include <string.h>

#include "flow/flow_int.h"

const struct hall_stmt flow_submit_stmts[] = {
    /* the apply transaction in one call (sql/functions/hall_order_apply.sql): outcome
     * (created, again, edited, capped, locked), order_id, order_no, rev */
    {"flow_order_apply",
     "SELECT outcome, order_id, order_no, rev FROM hall_order_apply($1, $2, $3, $4, $5, $6, $7,"
     " $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
     17},
    /* the same for a new order with the session, its idle deadline and the
     * kept carrier pass read in the call: outcome also nosession or
     * carrier; user_id, partner_code, who, passed */
    {"flow_order_apply_session",
     "SELECT outcome, order_id, order_no, rev, user_id, partner_code, who, passed"
     " FROM hall_order_apply(NULL, NULL, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
     " $17, $18, $19, $1, $2, $3, $4)",
     19},
    /* the caps: one applicant's uploads and new orders are counted under a
     * lock of that applicant, so parallel requests cannot pass it together */
    {"flow_user_lock",
     "SELECT pg_advisory_xact_lock(hashtextextended('hall-user:' || $1::text, 0))", 1},
    /* the caps' counts of today (Beijing), kept by sql/031_daily_caps.sql */
    {"flow_orders_today", "SELECT user_today($1, 'orders') AS n", 1},
    /* the submit's one read before its provider calls: the cap's count
     * and a passed carrier check of this applicant for the same name, ID
     * number and phone within carrier_pass_keep_s (sql/087), when it was */
    {"flow_submit_pre",
     "SELECT user_today($1, 'orders') AS n,"
     " coalesce((SELECT to_char(passed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
     " FROM carrier_passes WHERE user_id = $1 AND key = $2"
     " AND passed_at > now() - make_interval(secs => $3::int)), '') AS passed",
     3},
    /* the same with the session (as core/store/db.c's session_get reads
     * it) at the information entry's submit: no session, no row */
    {"flow_session_pre",
     "SELECT s.user_id, s.partner_code, s.who, s.last_seen < now() - interval '60 seconds' AS "
     "stale,"
     " user_today(s.user_id, 'orders') AS n,"
     " coalesce((SELECT to_char(c.passed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
     " FROM carrier_passes c WHERE c.user_id = s.user_id AND c.key = $2"
     " AND c.passed_at > now() - make_interval(secs => $3::int)), '') AS passed"
     " FROM sessions s"
     " WHERE s.token_hash = $1 AND s.idle_expires > now() AND s.absolute_expires > now()",
     3},
    /* a passed check kept; the applicant's passes past the longest keep go */
    {"flow_carrier_pass_keep",
     "WITH old AS (DELETE FROM carrier_passes WHERE user_id = $1 AND key <> $2"
     " AND passed_at < now() - interval '30 days')"
     " INSERT INTO carrier_passes (user_id, key, request_id) VALUES ($1, $2, $3)"
     " ON CONFLICT (user_id, key) DO UPDATE SET passed_at = now(), request_id = "
     "excluded.request_id",
     3},
    {NULL, NULL, 0},
};

/* the three values the carrier is asked about: the agent's, or the
 * applicant's for natural persons */
static void
carrier_triple(struct hall_req *req, const struct hall_val *form, unsigned bits, const char *v[3])
{
    const char *p = (bits & HALL_T_UNIT) ? "agent" : "app";

    v[0] = hall_val_str(form, hall_psprintf(req->pool, "%s_name", p));
    v[1] = hall_val_str(form, hall_psprintf(req->pool, "%s_ric", p));
    v[2] = hall_val_str(form, hall_psprintf(req->pool, "%s_mobile", p));
}

/* what a passed check is kept under (sql/087): the HMAC of the three,
 * each ended by a NUL, so that no two triples share a key */
static void
triple_key(struct hall_req *req, const char *const v[3], unsigned char key[32])
{
    size_t n[3];
    char *buf;

    n[0] = strlen(v[0]) + 1;
    n[1] = strlen(v[1]) + 1;
    n[2] = strlen(v[2]) + 1;
    buf = hall_palloc(req->pool, n[0] + n[1] + n[2]);
    memcpy(buf, v[0], n[0]);
    memcpy(buf + n[0], v[1], n[1]);
    memcpy(buf + n[0] + n[1], v[2], n[2]);
    hall_mac("carrier-pass", buf, n[0] + n[1] + n[2], key);
}

static void
carrier_key(struct hall_req *req, const struct hall_val *form, unsigned bits, unsigned char key[32])
{
    const char *v[3];

    carrier_triple(req, form, bits, v);
    triple_key(req, v, key);
}

/*
 * What flow_session_load read with the session for this request: the cap's
 * count and the pass of the key of the three values as sent (before the
 * field checks normalise them; hall_flow_submit_pre uses it only when the
 * checked values give the same key).  Or, late: the session left to the
 * save (.apply_one_trip), with the key of the checked values and the type's
 * bits kept by hall_flow_submit_pre.
 */
static struct {
    const struct hall_req *req;
    const char *request_id;
    unsigned char key[32];
    int64_t n;
    const char *passed;
    int late;
    unsigned char hash[32];
    unsigned bits;
} pre;

/* flow_session_order as sent while the upload's file streamed in
 * (flow_at_file): for which request and order id */
static struct {
    const struct hall_req *req;
    const char *request_id;
    int64_t id;
} sent_order;

static int
upload_route(const struct hall_req *req)
{
    const char *path = req->route->path;
    size_t len = strlen(path);

    return req->request_id != NULL && strcmp(req->method, "POST") == 0 && len >= 7 &&
           strcmp(path + len - 7, "/upload") == 0;
}

/*
 * An upload's first file begins: the session and the order of the id sent
 * before it (the upload page and bench/run send id and kind first) are
 * asked for now, and read once the body is in (session_order_load).  A
 * read only: whether the request may write anything is decided after, as
 * before.  Takes the server's part of that round trip off the upload's path.
 */
void
flow_at_file(struct hall_req *req)
{
    const unsigned char *hash;
    int64_t id;

    sent_order.req = NULL;
    if (!upload_route(req) || hall_req_param_i64(req, "id", &id) != HALL_OK || id <= 0)
        return;
    hash = hall_session_token(req);
    if (hash == NULL ||
        hall_db_send(req->cx, "flow_session_order", HALL_BIN(hash, 32), HALL_I64(id)) != HALL_OK)
        return;
    sent_order.req = req;
    sent_order.request_id = req->request_id;
    sent_order.id = id;
}

/* the session and the order of the request's id in one round trip */
static int
session_order_load(struct hall_req *req)
{
    const unsigned char *hash = hall_session_token(req);
    struct hall_dbres *res = NULL;
    int64_t id;

    if (hash == NULL)
        return HALL_OK;
    if (hall_req_param_i64(req, "id", &id) != HALL_OK || id <= 0)
        return hall_session_load(req);
    /* sent while the file streamed in, for this id (the body's whole
     * parameters can only repeat it, never replace it: the first wins) */
    if (sent_order.req == req && sent_order.request_id == req->request_id && sent_order.id == id)
        res = hall_db_recv(req->cx);
    sent_order.req = NULL;
    if (res == NULL)
        res = hall_db_exec(req->cx, "flow_session_order", HALL_BIN(hash, 32), HALL_I64(id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK;
    if (hall_session_accept(req, hash, hall_dbres_int(res, 0, "s_user_id"),
                            hall_dbres_str(res, 0, "s_partner"), hall_dbres_str(res, 0, "s_who"),
                            hall_dbres_bool(res, 0, "s_stale")) != HALL_OK)
        return hall_req_failed(req);
    flow_pre_order.req = req;
    flow_pre_order.request_id = req->request_id;
    flow_pre_order.id = id;
    flow_pre_order.res = res;
    return HALL_OK;
}

static int
pre_late(const struct hall_req *req)
{
    return pre.late && pre.req == req && pre.request_id == req->request_id;
}

int
hall_flow_session_now(struct hall_req *req)
{
    if (!pre_late(req))
        return HALL_OK;
    pre.late = 0;
    pre.req = NULL; /* no carrier pass read with it: the submit asks */
    req->session = NULL;
    req->user_id = 0;
    if (hall_session_load(req) != HALL_OK)
        return hall_req_failed(req);
    if (req->session == NULL) {
        hall_resp_login(req);
        return HALL_ANSWERED;
    }
    return HALL_OK;
}

int
flow_session_load(struct hall_req *req)
{
    long keep = req->app->conf.carrier_pass_keep_s;
    const unsigned char *hash;
    const char *v[3], *p, *path = req->route->path;
    size_t len = strlen(path);
    unsigned char key[32];
    struct hall_dbres *res;

    pre.req = NULL;
    pre.late = 0;
    flow_pre_order.req = NULL;
    /* an upload (POST <flow>/upload): the order with the session */
    if (upload_route(req))
        return session_order_load(req);
    /* the information entry's submit (POST <flow>/apply) */
    if (keep == 0 || req->request_id == NULL || strcmp(req->method, "POST") != 0 || len < 6 ||
        strcmp(path + len - 6, "/apply") != 0)
        return hall_session_load(req);
    hash = hall_session_token(req);
    if (hash == NULL)
        return HALL_OK;
    p = hall_req_param(req, "id");
    if (hall_flow_current()->apply_one_trip && (p == NULL || *p == '\0') &&
        hall_req_wants_json(req)) {
        /* read by the save; until then the cookie stands for the session
         * (the form token is checked against it, as for a session read) */
        pre.req = req;
        pre.request_id = req->request_id;
        pre.late = 1;
        memcpy(pre.hash, hash, 32);
        return hall_session_accept(req, hash, HALL_USER_LATE, "", "", 0);
    }
    p = (hall_cert_type_bit(hall_req_param(req, "cert_type")) & HALL_T_UNIT) ? "agent" : "app";
    v[0] = hall_req_param(req, hall_psprintf(req->pool, "%s_name", p));
    v[1] = hall_req_param(req, hall_psprintf(req->pool, "%s_ric", p));
    v[2] = hall_req_param(req, hall_psprintf(req->pool, "%s_mobile", p));
    if (v[0] == NULL || v[1] == NULL || v[2] == NULL)
        return hall_session_load(req);
    triple_key(req, v, key);
    res = hall_db_exec(req->cx, "flow_session_pre", HALL_BIN(hash, 32), HALL_BIN(key, 32),
                       HALL_I64(keep));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK;
    if (hall_session_accept(req, hash, hall_dbres_int(res, 0, "user_id"),
                            hall_dbres_str(res, 0, "partner_code"), hall_dbres_str(res, 0, "who"),
                            hall_dbres_bool(res, 0, "stale")) != HALL_OK)
        return hall_req_failed(req);
    pre.req = req;
    pre.request_id = req->request_id;
    memcpy(pre.key, key, 32);
    pre.n = hall_dbres_int(res, 0, "n");
    pre.passed = hall_dbres_str(res, 0, "passed");
    return HALL_OK;
}

int
hall_flow_submit_pre(struct hall_req *req, const struct hall_val *form, unsigned bits,
                     int new_order, int *passed)
{
    long keep = req->app->conf.carrier_pass_keep_s;
    unsigned char key[32];
    struct hall_dbres *res;
    const char *at;
    int64_t n;

    *passed = 0;
    if (keep == 0)
        return new_order ? hall_flow_orders_cap(req, 0) : HALL_OK;
    carrier_key(req, form, bits, key);
    if (pre_late(req)) {
        /* the save asks for the pass and the cap, and for the carrier
         * when there is no pass (hall_flow_order_save) */
        memcpy(pre.key, key, 32);
        pre.bits = bits;
        *passed = 1;
        return HALL_OK;
    }
    if (pre.req == req && pre.request_id == req->request_id && memcmp(pre.key, key, 32) == 0) {
        /* read with the session (flow_session_load) */
        n = pre.n;
        at = pre.passed;
    } else {
        res = hall_db_exec(req->cx, "flow_submit_pre", HALL_I64(req->user_id), HALL_BIN(key, 32),
                           HALL_I64(keep));
        if (res == NULL)
            return HALL_ERR;
        n = hall_dbres_int(res, 0, "n");
        at = hall_dbres_str(res, 0, "passed");
    }
    pre.req = NULL;
    if (new_order && n >= req->app->conf.draft_daily_max) {
        hall_msg(req, HALL_M_DRAFT_CAP, NULL, req->app->conf.draft_daily_max);
        return HALL_ANSWERED;
    }
    if (*at != '\0') {
        *passed = 1;
        hall_info(req, "msg=\"carrier check passed earlier\" passed_at=\"%s\"", at);
    }
    return HALL_OK;
}

/*
 * 实名电信认证: the carrier must know the phone under this name and ID
 * number (the agent's, or the applicant's for natural persons).  A pass is
 * kept for the applicant (carrier_pass_keep_s, sql/087); a mismatch never.
 */
int
hall_flow_carrier_check(struct hall_req *req, const struct hall_val *form, unsigned bits)
{
    const char *p = (bits & HALL_T_UNIT) ? "agent" : "app";
    const char *label = (bits & HALL_T_UNIT) ? "经办人" : "申请人";
    struct hall_val *body = hall_val_obj(req->pool), *r;
    const struct hall_val *match;
    const char *v[3];

    carrier_triple(req, form, bits, v);
    hall_val_set_str(req->pool, body, "name", v[0]);
    hall_val_set_str(req->pool, body, "id_number", v[1]);
    hall_val_set_str(req->pool, body, "phone", v[2]);
    r = hall_provider_call(req, "/carrier/verify", body, NULL);
    if (r == NULL) {
        hall_resp_provider(req, "实名电信认证");
        return HALL_ANSWERED;
    }
    match = hall_val_get(r, "match");
    if (match == NULL || match->type != HALL_V_BOOL || match->i == 0) {
        hall_msg(req, HALL_M_CARRIER_MISMATCH, hall_psprintf(req->pool, "%s_mobile", p), label);
        return HALL_ANSWERED;
    }
    if (req->app->conf.carrier_pass_keep_s > 0) {
        unsigned char key[32];

        carrier_key(req, form, bits, key);
        if (hall_db_exec(req->cx, "flow_carrier_pass_keep", HALL_I64(req->user_id),
                         HALL_BIN(key, 32),
                         req->request_id != NULL ? HALL_STR(req->request_id) : HALL_NULLP) == NULL)
            return HALL_ERR;
    }
    return HALL_OK;
}

/*
 * At most draft_daily_max new orders per applicant and day (a script making
 * thousands of drafts, each with a carrier check, stops here).  Inside the
 * insert's transaction (locked) it is exact; before it, a cheap early
 * refusal that spares the provider calls.
 */
int
hall_flow_orders_cap(struct hall_req *req, int locked)
{
    struct hall_dbres *res;

    if (locked && hall_db_exec(req->cx, "flow_user_lock", HALL_I64(req->user_id)) == NULL)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "flow_orders_today", HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_int(res, 0, "n") >= req->app->conf.draft_daily_max) {
        hall_msg(req, HALL_M_DRAFT_CAP, NULL, req->app->conf.draft_daily_max);
        return HALL_ANSWERED;
    }
    return HALL_OK;
}
/* a new order's apply is keyed (its submit_key, hall_flow_submit_open):
 * sent again after a lost connection, it finds the order it stored */
#define APPLY_EXEC(keyed, ...)                                                                     \
    ((keyed) ? hall_db_exec_keyed(__VA_ARGS__) : hall_db_exec(__VA_ARGS__))

/* what the apply's one row says: refused by the cap or the order's state,
 * the same form stored before, or saved (with the flow's own rows in the
 * same transaction); on to the print page */
static int
order_saved(struct hall_req *req, const struct hall_flow_save *s, struct hall_dbres *res)
{
    const char *outcome = hall_dbres_str(res, 0, "outcome"), *order_no;
    int64_t order_id, rev;

    if (strcmp(outcome, "capped") == 0)
        return hall_msg(req, HALL_M_DRAFT_CAP, NULL, req->app->conf.draft_daily_max);
    if (strcmp(outcome, "locked") == 0)
        return hall_msg(req, HALL_M_ORDER_LOCKED, NULL);
    order_id = hall_dbres_int(res, 0, "order_id");
    order_no = hall_dbres_str(res, 0, "order_no");
    if (strcmp(outcome, "again") == 0) {
        /* this form was submitted before: the order it made, unchanged */
        if (s->also != NULL && hall_db_commit(req->cx) != HALL_OK)
            return hall_req_failed(req);
        hall_info(req, "msg=\"form submitted again\" order=%s", order_no);
        return hall_resp_go(req, hall_flow_url(req, "/print?id=%lld", (long long)order_id), NULL);
    }
    rev = hall_dbres_int(res, 0, "rev");
    if (s->also != NULL) {
        if (s->also(req, order_id, s->arg) != HALL_OK)
            return req->responded ? HALL_OK : HALL_ERR;
        if (hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        if (s->committed != NULL)
            s->committed(req, order_id, s->arg);
    }
    hall_info(req, "msg=\"order saved\" order=%s rev=%lld", order_no, (long long)rev);
    return hall_resp_go(req, hall_flow_url(req, "/print?id=%lld", (long long)order_id), NULL);
}

/* the apply transaction (the order row, its revision, the audit) */
int
hall_flow_order_save(struct hall_req *req, const struct hall_flow_save *s)
{
    const struct hall_business *b = hall_business_get(hall_flow_current()->business);
    struct hall_dbres *res;
    const char *json, *at;
    unsigned char *enc;
    size_t elen, jlen;
    const char *outcome;

    json = hall_val_json(req->pool, s->form, &jlen);
    if (json == NULL)
        return HALL_ERR;
    enc = hall_pii_encrypt(req->pool, json, jlen, &elen);
    if (enc == NULL)
        return HALL_ERR;

    res = NULL;
    if (pre_late(req)) {
        pre.late = 0;
        if (s->o != NULL || s->also != NULL) {
            hall_err(req, "msg=\"late session with an edit or rows of the flow's own\"");
            return HALL_ERR;
        }
        /* one round trip: the session and the carrier pass, then the apply
         * (sql/functions/hall_order_apply.sql) */
        res = APPLY_EXEC(
            s->submit_key != NULL, req->cx, "flow_order_apply_session", HALL_BIN(pre.hash, 32),
            HALL_BIN(pre.key, 32), HALL_I64(req->app->conf.carrier_pass_keep_s),
            HALL_I64(req->app->conf.session_idle_s), HALL_STR(s->partner), HALL_I64(s->product_id),
            HALL_STR(s->cert_type), HALL_I64(s->years), HALL_STR(s->seal ? "t" : "f"),
            HALL_STR(s->subject), HALL_I64(s->cert_fen), HALL_I64(s->ship_fen), HALL_BIN(enc, elen),
            s->submit_key != NULL ? HALL_STR(s->submit_key) : HALL_NULLP,
            HALL_I64(req->app->conf.draft_daily_max),
            req->remote_addr != NULL ? HALL_STR(req->remote_addr) : HALL_NULLP,
            req->request_id != NULL ? HALL_STR(req->request_id) : HALL_NULLP, HALL_STR(b->code),
            HALL_STR(b->prefix));
        if (res == NULL || hall_dbres_rows(res) != 1)
            return HALL_ERR;
        outcome = hall_dbres_str(res, 0, "outcome");
        if (strcmp(outcome, "nosession") == 0) {
            req->session = NULL;
            req->user_id = 0;
            return hall_resp_login(req);
        }
        /* its idle deadline moved in the call already */
        if (hall_session_accept(req, pre.hash, hall_dbres_int(res, 0, "user_id"),
                                hall_dbres_str(res, 0, "partner_code"),
                                hall_dbres_str(res, 0, "who"), 0) != HALL_OK)
            return hall_req_failed(req);
        at = hall_dbres_str(res, 0, "passed"); /* NULL: no pass */
        if (at != NULL)
            hall_info(req, "msg=\"carrier check passed earlier\" passed_at=\"%s\"", at);
        if (strcmp(outcome, "carrier") == 0) {
            if (hall_flow_carrier_check(req, s->form, pre.bits) != HALL_OK)
                return HALL_OK;
            res = NULL;
        }
    }
    /* one round trip (sql/functions/hall_order_apply.sql: the user's lock, the daily cap,
     * the keyed INSERT or the edit, the audit row, the revision); a flow
     * with rows of its own writes them in the same transaction */
    if (res == NULL && s->also != NULL && hall_db_begin(req->cx) != HALL_OK)
        return hall_req_failed(req);
    if (res == NULL)
        res = APPLY_EXEC(s->o == NULL && s->submit_key != NULL, req->cx, "flow_order_apply",
                         s->o != NULL ? HALL_I64(hall_dbres_int(s->o, 0, "id")) : HALL_NULLP,
                         HALL_I64(req->user_id), HALL_STR(s->partner), HALL_I64(s->product_id),
                         HALL_STR(s->cert_type), HALL_I64(s->years), HALL_STR(s->seal ? "t" : "f"),
                         HALL_STR(s->subject), HALL_I64(s->cert_fen), HALL_I64(s->ship_fen),
                         HALL_BIN(enc, elen),
                         s->submit_key != NULL ? HALL_STR(s->submit_key) : HALL_NULLP,
                         HALL_I64(req->app->conf.draft_daily_max),
                         req->remote_addr != NULL ? HALL_STR(req->remote_addr) : HALL_NULLP,
                         req->request_id != NULL ? HALL_STR(req->request_id) : HALL_NULLP,
                         HALL_STR(b->code), HALL_STR(b->prefix));
    if (res == NULL || hall_dbres_rows(res) != 1)
        return HALL_ERR;
    return order_saved(req, s, res);
}
