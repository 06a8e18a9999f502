/*
 * The orders that replace a certificate: 介质遗失补办 reissue, 证书更新
 * renew, 证书变更 change, 证书解锁 unlock (sql/058).  One column,
 * orders.reissue_of, names the certificate an order replaces; this file is
 * what the four flows share on the way in:
 *
 *   - ownership: a certificate belongs to the applicant account whose order
 *     produced it (a replaced certificate's successor is that account's
 *     replacing order's, so ownership follows the chain).  Anybody else
 *     sees what the public serial lookup shows (status, validity,
 *     organisation), answered 403, and can replace nothing; an unknown
 *     serial answers 404.
 *   - the claim: at most one live replacing order (not cancelled, not
 *     refunded, not a 解锁 done: HALL_CLAIM_LIVE_R) per certificate,
 *     whatever its type; the claim locks the certificate's row inside the
 *     save's transaction, so of two submits at once the second finds the
 *     first, and the same form sent twice finds its own order (submit_key);
 *     orders_replaces_one holds it in the store.
 *   - renew's window (hall_replace_window): from N days before the end to
 *     M days after it, the product's (products.renew_before_days,
 *     renew_after_days).
 *
 * What the new certificate is, and when the old one is revoked, is
 * production's (core/biz/produce.c).  docs/internals/replace.md.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flow/flow.h"

const struct hall_stmt hall_replace_stmts[] = {
    {"replace_cert",
     "SELECT c.serial, c.state, c.subject_org, c.subject_cn, o.cert_type, c.ca,"
     " coalesce(cert_org_code(c.der), '') AS uscc, coalesce(c.medium_serial, '') AS medium,"
     " to_char(c.not_before AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_before,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " extract(epoch FROM c.not_after)::bigint AS not_after_epoch,"
     " c.not_after < now() AS expired, o.user_id = $2 AS own, o.id AS order_id,"
     " c.not_after <= now() + interval '30 days' AS expiring,"
     /* the replacement's key is born where the old one's was: the browser's
      * for a browser-made certificate and for any SM2 one (sql/161) */
     " CASE WHEN c.key_origin = 'browser' OR c.ca = 'sm2' THEN 'browser' ELSE 'hall' END"
     " AS key_origin,"
     /* another live replacing order of any type; the same form again (sent
      * twice at once) is not another: the save answers its order */
     " (SELECT r.business_type FROM orders r WHERE r.reissue_of = c.serial"
     "  AND " HALL_CLAIM_LIVE_R " AND r.id <> coalesce($3, 0)"
     "  AND ($4::text IS NULL OR r.user_id <> $2 OR r.submit_key IS DISTINCT FROM $4)"
     "  ORDER BY r.id LIMIT 1) AS pending"
     " FROM certificates c JOIN orders o ON o.id = c.order_id"
     /* a seal's own certificate (sql/027) is re-made with the certificate
      * that signs its seal, never replaced by itself */
     " WHERE c.serial = $1 AND c.state <> 'intent' AND c.seal_item_id IS NULL",
     4},
    /* inside the save: the certificate's row is the lock two claims queue on */
    {"replace_cert_lock",
     "SELECT serial FROM certificates WHERE serial = $1 AND state = 'issued'"
     " AND (not_after > now() OR $2::boolean) FOR UPDATE",
     2},
    /* the certificate an order being edited replaces */
    {"replace_order_serial",
     "SELECT coalesce(reissue_of, '') AS reissue_of FROM orders WHERE id = $1 AND user_id = $2", 2},
    /* the certificate's own order: the applicant's data to start from */
    {"replace_old_form", "SELECT form_enc FROM orders WHERE id = $1 AND user_id = $2", 2},
    /* 证书选择's list (renew, unlock): the certificates the applicant's
     * orders produced (as 我的证书 lists them, a seal's own certificate
     * aside), each with whether the partner ($2) offers business $3 for its
     * type and that product's window */
    {"replace_own_certs_offered",
     "SELECT c.serial, c.subject_cn, c.subject_org, o.cert_type,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " c.state, c.not_after < now() AS expired, pr.id IS NOT NULL AS offered,"
     " c.not_after <= now() + interval '30 days' AS expiring,"
     " now() < c.not_after - make_interval(days => pr.renew_before_days) AS early,"
     " now() > c.not_after + make_interval(days => pr.renew_after_days) AS late,"
     " EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND " HALL_CLAIM_LIVE_R ") AS pending"
     " FROM certificates c JOIN orders o ON o.id = c.order_id"
     /* the product hall_replace_cert_product would price it with: of the
      * certificate's key origin first (a browser twin, sql/170) */
     " LEFT JOIN LATERAL (SELECT x.id, x.renew_before_days, x.renew_after_days FROM products x"
     "  WHERE x.partner_code = $2 AND x.business_type = $3 AND x.cert_type = o.cert_type"
     "  AND x.active ORDER BY x.key_origin = CASE WHEN c.key_origin = 'browser' OR c.ca = 'sm2'"
     "  THEN 'browser' ELSE 'hall' END DESC, x.sort_order, x.id LIMIT 1) pr ON true"
     " WHERE o.user_id = $1 AND c.state IN ('issued', 'revoked') AND c.seal_item_id IS NULL"
     " ORDER BY c.issued_at DESC, c.serial LIMIT 100",
     3},
    /* 证书选择's list (change, reissue): the same certificates */
    {"replace_own_certs",
     "SELECT c.serial, c.subject_cn, c.subject_org, o.cert_type,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " c.state, c.not_after < now() AS expired,"
     " c.not_after <= now() + interval '30 days' AS expiring,"
     " EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND " HALL_CLAIM_LIVE_R ") AS pending"
     " FROM certificates c JOIN orders o ON o.id = c.order_id"
     " WHERE o.user_id = $1 AND c.state IN ('issued', 'revoked') AND c.seal_item_id IS NULL"
     " ORDER BY c.issued_at DESC, c.serial LIMIT 100",
     1},
    /* the applicant's own order of business $3 replacing the certificate
     * that it may still edit: 证书选择 leads back to it */
    {"replace_own_open",
     "SELECT id FROM orders WHERE reissue_of = $1 AND user_id = $2 AND business_type = $3"
     " AND status IN ('draft', 'rejected') ORDER BY id DESC LIMIT 1",
     3},
    {NULL, NULL, 0},
};

/* a certificate's state in words, as 我的证书 says them (modules/center):
 * 即将到期 in its last 30 days */
static const char *
cert_status_label(int revoked, int expired, int expiring)
{
    return revoked ? "已吊销" : expired ? "已过期" : expiring ? "即将到期" : "有效";
}

/* c's result, its message and text: 补办 keeps seed 004's own wording */
static void
result_set(struct hall_req *req, struct hall_replace_cert *c, const char *business,
           enum hall_replace_result r, const char *pending)
{
    const char *label = hall_business_label(business);
    int reissue = strcmp(business, "reissue") == 0;

    c->result = r;
    switch (r) {
    case HALL_REPLACE_OK:
        c->code = HALL_M_SERIAL_FORMAT;
        c->why = NULL;
        return;
    case HALL_REPLACE_BAD_SERIAL: c->code = HALL_M_SERIAL_FORMAT; break;
    case HALL_REPLACE_NOT_FOUND: c->code = HALL_M_SERIAL_UNKNOWN; break;
    case HALL_REPLACE_FOREIGN:
        c->code = reissue ? HALL_M_SERIAL_FOREIGN : HALL_M_REPLACE_FOREIGN;
        break;
    case HALL_REPLACE_REVOKED:
        c->code = reissue ? HALL_M_SERIAL_REVOKED : HALL_M_REPLACE_REVOKED;
        break;
    case HALL_REPLACE_EXPIRED:
        c->code = reissue ? HALL_M_SERIAL_EXPIRED : HALL_M_REPLACE_EXPIRED;
        break;
    case HALL_REPLACE_PENDING:
        if (reissue && strcmp(pending, "reissue") == 0) {
            c->code = HALL_M_SERIAL_PENDING;
            break;
        }
        c->code = HALL_M_REPLACE_PENDING;
        c->why = hall_msg_text(req->pool, c->code, hall_business_label(pending), label);
        return;
    default: return; /* EARLY, LATE: hall_replace_window */
    }
    c->why = hall_msg_text(req->pool, c->code, label);
}

int
hall_replace_cert_get(struct hall_req *req, const char *business, const char *serial,
                      int64_t order_id, const char *submit_key, struct hall_replace_cert *c)
{
    struct hall_dbres *res;
    const char *pending;
    int revoked;

    memset(c, 0, sizeof(*c));
    if (!hall_pki_serial_ok(serial)) {
        result_set(req, c, business, HALL_REPLACE_BAD_SERIAL, NULL);
        return HALL_OK;
    }
    res = hall_db_exec(req->cx, "replace_cert", HALL_STR(serial), HALL_I64(req->user_id),
                       order_id > 0 ? HALL_I64(order_id) : HALL_NULLP,
                       submit_key != NULL ? HALL_STR(submit_key) : HALL_NULLP);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        result_set(req, c, business, HALL_REPLACE_NOT_FOUND, NULL);
        return HALL_OK;
    }
    c->expired = hall_dbres_bool(res, 0, "expired");
    revoked = strcmp(hall_dbres_str(res, 0, "state"), "issued") != 0;
    c->serial = hall_dbres_str(res, 0, "serial");
    c->status = revoked ? "revoked" : (c->expired ? "expired" : "good");
    c->status_label = cert_status_label(revoked, c->expired, hall_dbres_bool(res, 0, "expiring"));
    c->org = hall_dbres_str(res, 0, "subject_org");
    c->not_before = hall_dbres_str(res, 0, "not_before");
    c->not_after = hall_dbres_str(res, 0, "not_after");
    c->own = hall_dbres_bool(res, 0, "own");
    if (!c->own) {
        /* what /pki/lookup shows anyway, and not a word more */
        result_set(req, c, business, HALL_REPLACE_FOREIGN, NULL);
        return HALL_OK;
    }
    c->cn = hall_dbres_str(res, 0, "subject_cn");
    c->cert_type = hall_dbres_str(res, 0, "cert_type");
    c->cert_type_label = hall_cert_type_label(c->cert_type);
    c->order_id = hall_dbres_int(res, 0, "order_id");
    c->not_after_epoch = hall_dbres_int(res, 0, "not_after_epoch");
    c->ca = hall_dbres_str(res, 0, "ca");
    c->uscc = hall_dbres_str(res, 0, "uscc");
    c->medium = hall_dbres_str(res, 0, "medium");
    c->key_origin = hall_dbres_str(res, 0, "key_origin");
    pending = hall_dbres_str(res, 0, "pending");
    if (revoked)
        result_set(req, c, business, HALL_REPLACE_REVOKED, NULL);
    else if (c->expired && strcmp(business, "renew") != 0)
        result_set(req, c, business, HALL_REPLACE_EXPIRED, NULL);
    else if (pending != NULL)
        result_set(req, c, business, HALL_REPLACE_PENDING, pending);
    else
        result_set(req, c, business, HALL_REPLACE_OK, NULL);
    return HALL_OK;
}

/* YYYY-MM-DD of t in China time (UTC+8, no daylight saving) */
static const char *
beijing_date(struct hall_req *req, int64_t t)
{
    time_t bt = (time_t)(t + 8 * 3600);
    struct tm tm;
    char buf[16];

    if (gmtime_r(&bt, &tm) == NULL)
        return "";
    strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
    return hall_pstrdup(req->pool, buf);
}

void
hall_replace_window(struct hall_req *req, struct hall_replace_cert *c, int before_days,
                    int after_days)
{
    int64_t now = (int64_t)time(NULL), from, until;

    if (c->result != HALL_REPLACE_OK)
        return;
    from = c->not_after_epoch - (int64_t)before_days * 86400;
    until = c->not_after_epoch + (int64_t)after_days * 86400;
    if (now < from) {
        c->result = HALL_REPLACE_EARLY;
        c->code = HALL_M_RENEW_EARLY;
        c->why = hall_msg_text(req->pool, c->code, beijing_date(req, c->not_after_epoch),
                               before_days, beijing_date(req, from));
    } else if (now > until) {
        c->result = HALL_REPLACE_LATE;
        c->code = HALL_M_RENEW_LATE;
        c->why = hall_msg_text(req->pool, c->code, beijing_date(req, c->not_after_epoch),
                               after_days, beijing_date(req, until));
    }
}

int
hall_replace_refuse(struct hall_req *req, const struct hall_replace_cert *c, const char *field)
{
    return hall_resp_error(req, hall_msgs[c->code].status, field,
                           c->why != NULL ? c->why : hall_msgs[c->code].text);
}

int
hall_replace_claim(struct hall_req *req, int64_t order_id, void *arg)
{
    const char *serial = arg;
    const char *business = hall_flow_current()->business;
    const char *label = hall_business_label(business);
    int reissue = strcmp(business, "reissue") == 0, rc;
    struct hall_dbres *r;

    r = hall_db_exec(req->cx, "replace_cert_lock", HALL_STR(serial),
                     HALL_STR(strcmp(business, "renew") == 0 ? "t" : "f"));
    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) == 0)
        return reissue ? hall_msg(req, HALL_M_SERIAL_REVOKED, "serial")
                       : hall_msg(req, HALL_M_REPLACE_REVOKED, "serial", label),
               HALL_ANSWERED;
    rc = hall_order_claim(req->cx, order_id, serial);
    if (rc == HALL_ERR)
        return HALL_ERR;
    if (rc == HALL_CONFLICT)
        return reissue ? hall_msg(req, HALL_M_SERIAL_PENDING, "serial")
                       : hall_msg(req, HALL_M_REPLACE_PENDING, "serial", "补办、更新、变更或解锁",
                                  label),
               HALL_ANSWERED;
    return HALL_OK;
}

/* ---- the steps the replacing flows share -------------------------------------------- */

static const struct hall_replace_flow *
rf(void)
{
    return hall_flow_current()->replace;
}

int
hall_replace_notice_page(struct hall_req *req)
{
    const char *project = hall_req_query(req, "project");
    struct hall_partner p;
    struct hall_val *ctx;

    /* the generic hall chooses the project after the notice (the kit's list) */
    if (req->partner[0] != '\0' || (project != NULL && *project != '\0')) {
        if (hall_flow_partner(req, project, &p) != HALL_OK)
            return HALL_OK;
        const char *serial = hall_flow_serial_param(req);

        ctx = hall_flow_page(req, rf()->notice_title, &p);
        if (hall_flow_medium_notice(req, ctx, p.code) != HALL_OK)
            return HALL_ERR;
        /* entered for one certificate (我的证书): the agreements, then 证书选择 with it */
        hall_val_set_str(req->pool, ctx, "next",
                         serial != NULL
                             ? hall_flow_url(req, "?project=%s&serial=%s", p.code, serial)
                             : hall_flow_url(req, "?project=%s", p.code));
    } else {
        ctx = hall_flow_page(req, rf()->notice_title, NULL);
        hall_val_set_str(req->pool, ctx, "next", hall_flow_url(req, "%s", ""));
    }
    hall_flow_steps(req, ctx, "notice");
    return hall_resp_page(req, 200, rf()->notice_tmpl, ctx);
}

void
hall_replace_cert_json(struct hall_req *req, struct hall_val *v, const struct hall_replace_cert *c)
{
    hall_val_set_str(req->pool, v, "serial", c->serial);
    hall_val_set_str(req->pool, v, "status", c->status);
    hall_val_set_str(req->pool, v, "status_label", c->status_label);
    hall_val_set_str(req->pool, v, "organization", c->org);
    hall_val_set_str(req->pool, v, "not_before", c->not_before);
    hall_val_set_str(req->pool, v, "not_after", c->not_after);
    hall_val_set_bool(req->pool, v, "own", c->own);
    if (c->own) {
        hall_val_set_str(req->pool, v, "subject", c->cn);
        hall_val_set_str(req->pool, v, "cert_type", c->cert_type);
        hall_val_set_str(req->pool, v, "cert_type_label", c->cert_type_label);
    }
}

void
hall_replace_cert_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_replace_cert *c)
{
    struct hall_val *v = hall_val_set_obj(req->pool, ctx, "cert");

    hall_replace_cert_json(req, v, c);
    if (rf()->cert_good)
        hall_val_set_bool(req->pool, v, "good", strcmp(c->status, "good") == 0);
}

/* the flow's certificate of serial (its cert_get, else the rules of its business) */
static int
cert_get(struct hall_req *req, const struct hall_partner *p, int64_t order_id, const char *serial,
         const char *key, struct hall_replace_cert *c)
{
    if (rf()->cert_get != NULL)
        return rf()->cert_get(req, p, order_id, serial, key, c);
    return hall_replace_cert_get(req, hall_flow_current()->business, serial, order_id, key, c);
}

static int
refuse(struct hall_req *req, const struct hall_replace_cert *c)
{
    if (rf()->refuse != NULL)
        return rf()->refuse(req, c);
    return hall_replace_refuse(req, c, "serial");
}

/* a row of the applicant's certificates as 证书选择 shows it: its status
 * label, why it may not be chosen (NULL: nothing said), whether it may */
struct own_verdict {
    const char *label, *why;
    int may;
};

/* renew, unlock: the partner's product of its type, a replacing order
 * under way and renew's window decide, and why not is said */
static struct own_verdict
offered_verdict(struct hall_dbres *r, int i, int revoked, int expired)
{
    const struct hall_replace_flow *f = rf();
    int early = f->window && hall_dbres_bool(r, i, "early");
    int late = f->window && hall_dbres_bool(r, i, "late");
    struct own_verdict v;

    v.why = revoked                             ? "已吊销"
            : !f->window && expired             ? "已过期"
            : !hall_dbres_bool(r, i, "offered") ? f->not_offered_why
            : hall_dbres_bool(r, i, "pending")  ? "已有业务办理中"
            : early                             ? "未到更新期"
            : late                              ? "已过可更新期限"
                                                : NULL;
    v.label = cert_status_label(revoked, expired, hall_dbres_bool(r, i, "expiring"));
    v.may = v.why == NULL;
    return v;
}

/* change, reissue: any valid certificate without a replacing order under
 * way (its label says so) */
static struct own_verdict
choose_verdict(struct hall_dbres *r, int i, int revoked, int expired)
{
    int pending = hall_dbres_bool(r, i, "pending");
    struct own_verdict v;

    v.label = pending && !revoked && !expired
                  ? rf()->pending_label
                  : cert_status_label(revoked, expired, hall_dbres_bool(r, i, "expiring"));
    v.why = NULL;
    v.may = !revoked && !expired && !pending;
    return v;
}

/* 证书选择's list (ctx.own_certs, has_own_certs): each of the applicant's
 * certificates of r (NULL: the store failed) with its details, its state
 * as verdict says, 选择 where the flow may begin, and whether it is the
 * serial chosen; HALL_ERR on failure */
static int
own_certs_put(struct hall_req *req, struct hall_val *ctx, const struct hall_partner *p,
              const char *chosen, struct hall_dbres *r,
              struct own_verdict (*verdict)(struct hall_dbres *r, int i, int revoked, int expired))
{
    struct hall_val *list;
    int i;

    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) == 0)
        return HALL_OK;
    hall_val_set_bool(req->pool, ctx, "has_own_certs", 1);
    list = hall_val_set_list(req->pool, ctx, "own_certs");
    for (i = 0; i < hall_dbres_rows(r); i++) {
        struct hall_val *c = hall_val_push_obj(req->pool, list);
        const char *serial = hall_dbres_str(r, i, "serial");
        struct own_verdict v = verdict(r, i, strcmp(hall_dbres_str(r, i, "state"), "issued") != 0,
                                       hall_dbres_bool(r, i, "expired"));

        hall_val_set_str(req->pool, c, "serial", serial);
        hall_val_set_str(req->pool, c, "subject",
                         hall_pki_subject_text(req->pool, hall_dbres_str(r, i, "subject_cn"),
                                               hall_dbres_str(r, i, "subject_org")));
        hall_val_set_str(req->pool, c, "cert_type_label",
                         hall_cert_type_label(hall_dbres_str(r, i, "cert_type")));
        hall_val_set_str(req->pool, c, "not_after", hall_dbres_str(r, i, "not_after"));
        hall_val_set_str(req->pool, c, "status_label", v.label);
        if (v.why != NULL)
            hall_val_set_str(req->pool, c, "why_not", v.why);
        if (v.may)
            hall_val_set_str(req->pool, c, "choose",
                             hall_flow_url(req, "/serial?project=%s&serial=%s", p->code, serial));
        if (chosen != NULL && strcmp(chosen, serial) == 0)
            hall_val_set_bool(req->pool, c, "chosen", 1);
    }
    return HALL_OK;
}

/* renew, unlock: the list with the partner's product of each type */
static int
own_certs_offered_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_partner *p,
                      const char *chosen)
{
    return own_certs_put(req, ctx, p, chosen,
                         hall_db_exec(req->cx, "replace_own_certs_offered", HALL_I64(req->user_id),
                                      HALL_STR(p->code), HALL_STR(hall_flow_current()->business)),
                         offered_verdict);
}

/* 证书选择's page, its start: the parameters (project, serial), the
 * partner and its agreements accepted; HALL_OK to go on, else answered
 * (or the store's failure, for the finish) */
static int
serial_open(struct hall_req *req, struct hall_partner *p)
{
    static const struct hall_pspec params[] = {
        {"project", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "项目", NULL},
        {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL},
        {NULL, 0, 0, 0, 0, NULL, NULL},
    };
    struct hall_errors e = {NULL, NULL, 0, 0};

    hall_req_check(req, params, &e);
    if (e.n > 0)
        return hall_resp_errors(req, &e), HALL_ANSWERED;
    if (hall_flow_partner(req, hall_req_param(req, "project"), p) != HALL_OK)
        return hall_req_failed(req);
    if (hall_flow_agreements_due(req, p) != 0)
        return HALL_ERR;
    return HALL_OK;
}

int
hall_replace_serial_page(struct hall_req *req)
{
    const struct hall_replace_flow *f = rf();
    const char *serial;
    struct hall_replace_cert c;
    struct hall_partner p;
    struct hall_val *ctx;
    int status = 200;

    if (serial_open(req, &p) != HALL_OK)
        return HALL_OK;
    serial = hall_req_param(req, "serial");
    if (hall_req_wants_json(req)) {
        struct hall_val *v;

        if (cert_get(req, &p, 0, serial != NULL ? serial : "", NULL, &c) != HALL_OK)
            return hall_req_failed(req);
        if (c.result == HALL_REPLACE_BAD_SERIAL || c.result == HALL_REPLACE_NOT_FOUND ||
            c.result == HALL_REPLACE_FOREIGN)
            return hall_replace_refuse(req, &c, "serial");
        v = hall_val_obj(req->pool);
        hall_replace_cert_json(req, hall_val_set_obj(req->pool, v, "cert"), &c);
        hall_val_set_bool(req->pool, v, f->json_key, c.result == HALL_REPLACE_OK);
        if (c.result != HALL_REPLACE_OK)
            hall_val_set_str(req->pool, v, "message", c.why);
        return hall_resp_ok(req, v);
    }
    ctx = hall_flow_page(req, "证书选择", &p);
    hall_val_set_str(req->pool, ctx, "choose_caption", f->choose_caption);
    if (own_certs_offered_ctx(req, ctx, &p, serial) != HALL_OK)
        return hall_req_failed(req);
    if (serial != NULL && *serial != '\0') {
        hall_val_set_str(req->pool, ctx, "serial", serial);
        if (cert_get(req, &p, 0, serial, NULL, &c) != HALL_OK)
            return hall_req_failed(req);
        if (c.own)
            hall_replace_cert_ctx(req, ctx, &c);
        if (c.result == HALL_REPLACE_OK) {
            hall_val_set_str(req->pool, ctx, "next",
                             hall_flow_url(req, "/apply?project=%s&serial=%s", p.code, c.serial));
            hall_val_set_str(req->pool, ctx, "next_note",
                             c.medium != NULL && *c.medium != '\0' && f->next_note_medium != NULL
                                 ? f->next_note_medium
                             : c.expired && f->next_note_expired != NULL ? f->next_note_expired
                                                                         : f->next_note);
        } else {
            status = hall_msgs[c.code].status;
            hall_val_set_str(req->pool, ctx, "serial_error", c.why);
            if (c.result == HALL_REPLACE_PENDING) {
                struct hall_dbres *r =
                    hall_db_exec(req->cx, "replace_own_open", HALL_STR(c.serial),
                                 HALL_I64(req->user_id), HALL_STR(hall_flow_current()->business));

                if (r == NULL)
                    return HALL_ERR;
                if (hall_dbres_rows(r) > 0)
                    hall_val_set_str(
                        req->pool, ctx, "continue",
                        hall_flow_url(req, "/apply?id=%s", hall_dbres_str(r, 0, "id")));
            }
        }
    }
    hall_flow_steps(req, ctx, "serial");
    return hall_resp_page(req, status, f->serial_tmpl, ctx);
}

/* change, reissue: the list of any channel's (own_certs_put) */
static int
own_certs_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_partner *p,
              const char *chosen)
{
    return own_certs_put(req, ctx, p, chosen,
                         hall_db_exec(req->cx, "replace_own_certs", HALL_I64(req->user_id)),
                         choose_verdict);
}

/* GET serial?serial= asked for JSON: may this certificate be replaced by the flow */
static int
choose_json(struct hall_req *req)
{
    static const struct hall_pspec params[] = {
        {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
        {NULL, 0, 0, 0, 0, NULL, NULL},
    };
    struct hall_errors e = {NULL, NULL, 0, 0};
    struct hall_replace_cert c;
    struct hall_val *v;

    hall_req_check(req, params, &e);
    if (e.n > 0)
        return hall_resp_errors(req, &e);
    if (cert_get(req, NULL, 0, hall_req_param(req, "serial"), NULL, &c) != HALL_OK)
        return hall_req_failed(req);
    if (c.result == HALL_REPLACE_BAD_SERIAL || c.result == HALL_REPLACE_NOT_FOUND)
        return refuse(req, &c);
    v = hall_val_obj(req->pool);
    hall_replace_cert_json(req, hall_val_set_obj(req->pool, v, "cert"), &c);
    hall_val_set_bool(req->pool, v, rf()->json_key, c.result == HALL_REPLACE_OK);
    if (c.result != HALL_REPLACE_OK)
        hall_val_set_str(req->pool, v, "message", c.why);
    return hall_resp_ok(req, v);
}

int
hall_replace_choose_page(struct hall_req *req)
{
    const char *serial;
    struct hall_replace_cert c;
    struct hall_partner p;
    struct hall_val *ctx;
    int status = 200;

    if (hall_req_wants_json(req))
        return choose_json(req);
    if (serial_open(req, &p) != HALL_OK)
        return HALL_OK;
    ctx = hall_flow_page(req, "证书选择", &p);
    serial = hall_req_param(req, "serial");
    if (own_certs_ctx(req, ctx, &p, serial) != HALL_OK)
        return hall_req_failed(req);
    if (serial != NULL && *serial != '\0') {
        hall_val_set_str(req->pool, ctx, "serial", serial);
        if (cert_get(req, &p, 0, serial, NULL, &c) != HALL_OK)
            return hall_req_failed(req);
        if (c.result != HALL_REPLACE_BAD_SERIAL && c.result != HALL_REPLACE_NOT_FOUND)
            hall_replace_cert_ctx(req, ctx, &c);
        if (c.result == HALL_REPLACE_OK) {
            hall_val_set_str(req->pool, ctx, "next",
                             hall_flow_url(req, "/apply?project=%s&serial=%s", p.code, c.serial));
        } else {
            status = hall_msgs[c.code].status;
            hall_val_set_str(req->pool, ctx, "serial_error", c.why);
        }
    }
    hall_flow_steps(req, ctx, "serial");
    return hall_resp_page(req, status, rf()->serial_tmpl, ctx);
}

static int
serial_check(struct hall_req *req, const struct hall_partner *p, struct hall_dbres *o,
             const char *serial, const char *key, struct hall_replace_cert *c)
{
    int64_t oid = o != NULL ? hall_dbres_int(o, 0, "id") : 0;

    if (o != NULL) {
        struct hall_dbres *r =
            hall_db_exec(req->cx, "replace_order_serial", HALL_I64(oid), HALL_I64(req->user_id));

        if (r == NULL || hall_dbres_rows(r) == 0)
            return HALL_ERR;
        /* the certificate of an order stays the one it was made for */
        if (serial != NULL && *serial != '\0' &&
            strcmp(serial, hall_dbres_str(r, 0, "reissue_of")) != 0)
            return hall_msg(req, HALL_M_SERIAL_CHANGED, "serial"), HALL_ANSWERED;
        serial = hall_dbres_str(r, 0, "reissue_of");
    }
    if (cert_get(req, p, oid, serial != NULL ? serial : "", key, c) != HALL_OK)
        return hall_req_failed(req);
    if (c->result != HALL_REPLACE_OK)
        return refuse(req, c), HALL_ERR;
    return HALL_OK;
}

int
hall_replace_cert_product(struct hall_req *req, struct hall_dbres *o, const char *serial,
                          const char *key, const struct hall_partner *p,
                          struct hall_replace_cert *c, struct hall_dbres **prods)
{
    int i;

    if (serial_check(req, p, o, serial, key, c) != HALL_OK)
        return -1;
    *prods = hall_flow_products(req, p);
    if (*prods == NULL)
        return -1;
    /* the type's product whose key is born where the replacement's is (a
     * browser-made certificate's: its browser twin, no 介质费, sql/170),
     * else the type's first */
    for (i = 0; i < hall_dbres_rows(*prods); i++)
        if (strcmp(hall_dbres_str(*prods, i, "cert_type"), c->cert_type) == 0 &&
            strcmp(hall_dbres_str(*prods, i, "key_origin"), c->key_origin) == 0)
            return i;
    for (i = 0; i < hall_dbres_rows(*prods); i++)
        if (strcmp(hall_dbres_str(*prods, i, "cert_type"), c->cert_type) == 0)
            return i;
    hall_msg(req, rf()->not_offered, "serial", hall_business_label(hall_flow_current()->business));
    return -1;
}

const struct hall_pspec hall_replace_params[] = {
    HALL_REPLACE_PARAMS_CERT,
    HALL_REPLACE_PARAMS_DELIVERY,
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

int
hall_replace_submit_open(struct hall_req *req, const struct hall_pspec *params,
                         struct hall_replace_submit *a)
{
    memset(a, 0, sizeof(*a));
    a->form = hall_val_obj(req->pool);
    if (hall_flow_submit_open(req, params, &a->e, &a->p, &a->s) != HALL_OK)
        return hall_req_failed(req);
    if (hall_errors_has(&a->e, "serial"))
        return hall_resp_errors(req, &a->e), HALL_ANSWERED;
    /* the certificate decides the type, the product and the groups asked */
    a->row = hall_replace_cert_product(req, a->s.o, hall_req_param(req, "serial"), a->s.submit_key,
                                       &a->p, &a->c, &a->prods);
    if (a->row < 0)
        return hall_req_failed(req);
    a->bit = hall_cert_type_bit(a->c.cert_type);
    return HALL_OK;
}

const char *
hall_replace_no_mail(const struct hall_replace_cert *c)
{
    if (strcmp(c->key_origin, "browser") == 0)
        return "新的密钥在您的浏览器中生成，证书文件由您自行保存，不制作、不邮寄介质";
    /* a USB key's 更新, 变更 and 解锁: the 证书助手's on the same medium
     * (hall-assist renew, change, unlock); only 补办 makes a new one */
    if (*c->medium != '\0' && strcmp(hall_flow_current()->business, "reissue") != 0)
        return "由证书助手在原USB Key上办理，不制作、不邮寄新介质";
    return NULL;
}

/* 邮寄方式, required where a medium is mailed (hall_replace_fields_check) */
static const struct hall_pspec shipping_param[] = {
    {"shipping", HALL_P_CHOICE, 0, 0, 0, "邮寄方式", hall_choices_shipping},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

void
hall_replace_fields_check(struct hall_req *req, struct hall_replace_submit *a)
{
    const char *none = hall_replace_no_mail(&a->c), *out, *note, *msg;

    if (none != NULL) {
        /* nothing is mailed: no address, no 邮寄方式, no 寄付 fee kept */
        hall_flow_fields_check_but(req, a->bit, a->form, &a->e, "mail");
        hall_val_set_str(req->pool, a->form, "mail_none", none);
        if (!hall_errors_has(&a->e, "invoice"))
            hall_val_set_str(req->pool, a->form, "invoice", hall_req_param(req, "invoice"));
        return;
    }
    hall_flow_fields_check(req, a->bit, a->form, &a->e);
    /* a medium is mailed: 邮寄方式 is required */
    if (!hall_errors_has(&a->e, "shipping") &&
        hall_param_check(req->pool, shipping_param, hall_req_param(req, "shipping"), &out, &note,
                         &msg) != HALL_OK)
        hall_errors_add(req->pool, &a->e, 400, "shipping", msg);
    hall_flow_delivery_check(req, &a->p, a->form, &a->e);
}

int
hall_replace_submit_checked(struct hall_req *req, struct hall_replace_submit *a)
{
    if (hall_flow_cross_check_but(req, a->bit, a->form, &a->e,
                                  hall_replace_no_mail(&a->c) != NULL ? "mail" : NULL) != HALL_OK)
        return hall_req_failed(req);
    return hall_flow_submit_checked(req, &a->e, a->form, a->bit, &a->s);
}

struct hall_val *
hall_replace_old_form(struct hall_req *req, const struct hall_replace_cert *c)
{
    struct hall_dbres *r =
        hall_db_exec(req->cx, "replace_old_form", HALL_I64(c->order_id), HALL_I64(req->user_id));
    struct hall_val *form;

    if (r == NULL || hall_dbres_rows(r) == 0)
        return NULL;
    form = hall_dbres_pii_json(req->cx, r, 0, hall_dbres_col(r, "form_enc"));
    return form != NULL && form->type == HALL_V_OBJ ? form : NULL;
}

struct hall_val *
hall_replace_start_form(struct hall_req *req, const struct hall_replace_cert *c)
{
    struct hall_val *form = hall_replace_old_form(req, c);

    return form != NULL ? form : hall_val_obj(req->pool);
}

int
hall_replace_apply_open(struct hall_req *req, const char *title, int want_old,
                        struct hall_replace_page *a)
{
    const char *none;

    memset(a, 0, sizeof(*a));
    if (hall_flow_apply_open(req, &a->p, &a->o) != HALL_OK)
        return hall_req_failed(req);
    a->row = hall_replace_cert_product(req, a->o, hall_req_query(req, "serial"), NULL, &a->p, &a->c,
                                       &a->prods);
    if (a->row < 0)
        return hall_req_failed(req);
    if (a->o == NULL || want_old)
        a->old = hall_replace_old_form(req, &a->c);
    if (a->o != NULL)
        a->form = hall_flow_form(req, a->o);
    else
        a->form = a->old != NULL ? a->old : hall_val_obj(req->pool);
    if (a->form == NULL)
        return HALL_ERR;
    a->ctx = hall_flow_page(req, title, &a->p);
    if (hall_flow_apply_ctx(req, a->ctx, a->o) != HALL_OK)
        return hall_req_failed(req);
    hall_flow_choices_ctx(req, a->ctx, a->prods, &a->p, a->c.cert_type, 1, 0, a->form);
    hall_replace_cert_ctx(req, a->ctx, &a->c);
    /* nothing mailed: 无需寄送 and why, no 邮寄信息 asked (flow_groups) */
    none = hall_replace_no_mail(&a->c);
    if (none != NULL)
        hall_val_set_str(req->pool, a->ctx, "no_mail", none);
    /* and no PIN sent (no memo, no SMS): the holder's own, or the key's */
    if (strcmp(a->c.key_origin, "browser") == 0)
        hall_val_set_str(req->pool, a->ctx, "pin_own",
                         "证书的密钥在您的浏览器中生成，证书PIN码由您生成密钥时自行设定，"
                         "不以转账交易附言或短信发送。");
    else if (none != NULL)
        hall_val_set_str(
            req->pool, a->ctx, "pin_own",
            strcmp(hall_flow_current()->business, "unlock") == 0
                ? "由证书助手在原USB Key上重设PIN码：新的PIN码由您在证书助手中自行设定，"
                  "不以转账交易附言或短信发送。"
                : "由证书助手在原USB Key上办理：USB Key的PIN码不变，"
                  "不以转账交易附言或短信发送PIN码。");
    return HALL_OK;
}

void
hall_replace_subject_check(struct hall_req *req, unsigned bit, const struct hall_val *form,
                           const struct hall_val *old, const struct hall_replace_cert *c,
                           struct hall_errors *e)
{
    const char *ric = hall_val_str(old, "app_ric");

    if ((bit & HALL_T_APPL) && *ric != '\0' && !hall_errors_has(e, "app_ric") &&
        strcmp(hall_val_str(form, "app_ric"), ric) != 0)
        hall_msg_add(req, e, HALL_M_REPLACE_SUBJECT_PII, "app_ric", "申请人身份证号码");
    if ((bit & HALL_T_UNIT) && !hall_errors_has(e, "org_name") &&
        strcmp(hall_val_str(form, "org_name"), c->org) != 0)
        hall_msg_add(req, e, HALL_M_REPLACE_SUBJECT, "org_name", "机构名称", c->org);
    if ((bit & HALL_T_UNIT) && *c->uscc != '\0' && !hall_errors_has(e, "org_id") &&
        strcmp(hall_val_str(form, "org_id"), c->uscc) != 0)
        hall_msg_add(req, e, HALL_M_REPLACE_SUBJECT, "org_id", "机构证件号码", c->uscc);
    if ((bit & HALL_T_APPL) && !hall_errors_has(e, "app_name") &&
        strcmp(hall_val_str(form, "app_name"), c->cn) != 0)
        hall_msg_add(req, e, HALL_M_REPLACE_SUBJECT, "app_name", "申请人姓名", c->cn);
}

int
hall_replace_submit_save(struct hall_req *req, struct hall_replace_submit *a,
                         const struct hall_replace_save *n)
{
    const struct hall_replace_cert *c = &a->c;
    struct hall_flow_save *s = &a->s;

    /* the certificate replaced travels with the revisions and the print */
    hall_val_set_str(req->pool, a->form, "choice_cert_type", c->cert_type_label);
    hall_val_set_str(req->pool, a->form, "reissue_serial", c->serial);
    hall_val_set_str(req->pool, a->form, "reissue_subject", c->cn);
    hall_val_set_fmt(req->pool, a->form, "reissue_valid", "%s 至 %s", c->not_before, c->not_after);
    s->cert_type = c->cert_type;
    s->product_id = hall_dbres_int(a->prods, a->row, "id");
    s->also = hall_replace_claim;
    s->arg = (void *)c->serial;
    s->subject = n->subject != NULL ? n->subject : c->cn;
    s->years = n->years;
    s->cert_fen = n->cert_fen;
    return hall_flow_submit_save(req, a->form, s, n->paid_field);
}
