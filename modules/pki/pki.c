/*
 * pki: the CA's public face and the operator's console (docs/modules/pki.md).
 *
 *   GET  /pki/                      {"root":...,"roots":[{name,algorithm,cert}],
 *                                   "cas":[{name,algorithm,cert,crl,root}]}
 *                                   "services":[{name,protocol,url,cert,root,policy}]}
 *   GET  /pki/root.crt, /pki/sm2-root.crt, /pki/NAME.crt, /pki/tsa.crt   PEM certificates
 *   GET  /pki/NAME.crl              the CA's current CRL (DER, RFC 5280)
 *   GET  /pki/lookup?serial=        public serial lookup (seed 004's OCSP list
 *                                   page): status, validity, organisation
 *   GET  /pki/lookup?org_name=&org_id=  the same by 机构名称 + 统一社会信用代码
 *                                   (both, exact): the unit's listed certificates
 *   GET  /pki/medium?id=            the owner's PKCS#12, once (applicant session;
 *                                   410 once handed over: docs/internals/pki.md)
 *   POST /pki/csr                   生成密钥并下载证书: the owner's request (id, csr:
 *                                   base64 DER PKCS#10 made in the browser) for
 *                                   an order of a browser-key product; the
 *                                   certificate and its CA's (no key in the hall)
 *   POST /pki/seal-holder           a 机构个人章 holder's request (es_id, code, csr)
 *                                   from /seal/holder: the 机构个人证书 and the seal
 *                                   (modules/pki/pki_holder.c, core/biz/sealhold.c)
 *   POST /pki/courier/{sf,jd,ems}/push  a carrier's signed route push (已签收)
 *   GET  /admin/pki/production      operator: accepted orders by due date
 *   POST /admin/pki/issue           制作证书 (medium: p12, or pkcs11 onto a USB key)
 *   GET  /admin/pki/shipping        operator: issued orders to mail
 *   POST /admin/pki/ship            邮寄: waybill at the courier, SMS
 *   GET  /admin/pki/certs?serial=   operator: one certificate
 *   POST /admin/pki/revoke          asks for a 吊销 with a reason (four eyes:
 *                                   a pending request, /admin/approvals)
 *   POST /admin/pki/revoke/approve  a second operator approves it: revoked
 *   POST /admin/pki/revoke/refuse   ... or refuses it
 *
 * The issuing CA keys are loaded before fork (init); the OCSP signers'
 * keys are not (modules/ocsp has them).  Staff routes are HALL_R_STAFF with
 * the operator role; the staff cookie (Path=/admin) reaches /admin/pki.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hall.h"
#include "pki_renew.h"

#define R_OPERATOR HALL_R_ROLES(HALL_ROLE_OPERATOR)

static const struct hall_stmt pki_stmts[] = {
    /* the certificate 制作证书 just made for an order, for the queue's notice */
    {"made_of",
     "SELECT c.serial, c.subject_cn, c.subject_org, o.order_no,"
     " coalesce(c.medium_serial, '') AS medium_serial FROM certificates c"
     " JOIN orders o ON o.id = c.order_id WHERE c.order_id = $1"
     " AND c.state IN ('issued', 'revoked') ORDER BY c.issued_at DESC LIMIT 1",
     1},
    {"lookup",
     "SELECT serial, state, subject_org, to_char(not_before AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI:SS') AS not_before, to_char(not_after AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI:SS') AS not_after, not_after < now() AS expired, ca,"
     " coalesce(to_char(revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS revoked_at, coalesce(revoke_reason, 0) AS revoke_reason,"
     /* clause 3's opt-out (sql/047): the status, not the holder's name */
     " EXISTS (SELECT 1 FROM orders o WHERE o.id = certificates.order_id AND o.no_publish)"
     " AS unlisted FROM certificates WHERE serial = $1 AND state <> 'intent'",
     1},
    /* by 机构名称 + 统一社会信用代码 (sql/051: the code the certificate
     * carries), both exact; clause 3's opt-outs are not listed by name */
    {"lookup_org",
     "SELECT c.serial, c.state, c.ca, to_char(c.not_before AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI:SS') AS not_before, to_char(c.not_after AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI:SS') AS not_after, c.not_after < now() AS expired,"
     " coalesce(to_char(c.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS revoked_at, coalesce(c.revoke_reason, 0) AS revoke_reason"
     " FROM certificates c WHERE c.subject_org = $1 AND c.subject_org_code = $2"
     " AND c.state IN ('issued', 'revoked')"
     " AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = c.order_id AND o.no_publish)"
     " ORDER BY c.not_before DESC, c.serial LIMIT 100",
     2},
    /* the order's certificate, locked: its medium is handed over once
     * (hall_medium_take) */
    {"medium",
     "SELECT c.p12_enc, c.serial, o.order_no, o.partner_code,"
     " coalesce(to_char(c.medium_destroyed_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI'), '') AS destroyed_at, coalesce(c.medium_destroyed_why, '')"
     " AS destroyed_why FROM certificates c JOIN orders o ON o.id = c.order_id"
     " WHERE o.id = $1 AND o.user_id = $2 AND c.state = 'issued' AND c.seal_item_id IS NULL"
     " AND c.key_origin = 'hall' FOR UPDATE OF c",
     2},
    /* nothing to hand over: a revoked certificate, as center's order_view
     * says it; or an issued one whose key the hall never held (born) */
    {"medium_revoked",
     "SELECT coalesce((SELECT to_char(c.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD "
     "HH24:MI') || '|' || c.revoke_reason || '|' || coalesce((SELECT n.serial FROM orders r JOIN "
     "certificates n ON n.order_id = r.id AND n.state = 'issued' AND n.seal_item_id IS NULL WHERE "
     "r.reissue_of = c.serial ORDER BY n.issued_at DESC LIMIT 1), '') FROM certificates c WHERE "
     "c.order_id = o.id AND c.seal_item_id IS NULL AND c.state = 'revoked' AND NOT EXISTS (SELECT "
     "1 FROM certificates k WHERE k.order_id = o.id AND k.seal_item_id IS NULL AND k.state = "
     "'issued') ORDER BY c.revoked_at DESC LIMIT 1), '') AS cert_revoked, coalesce((SELECT "
     "c.key_origin || '|' || coalesce(c.medium_serial, '') FROM certificates c WHERE c.order_id = "
     "o.id AND c.seal_item_id IS NULL AND c.state = 'issued' ORDER BY c.issued_at DESC LIMIT 1), "
     "'') AS born FROM orders o WHERE o.id = $1 AND o.user_id = $2",
     2},
    {"queue",
     "SELECT o.id, o.order_no, o.subject, o.cert_type, o.years,"
     " coalesce(to_char(o.review_due, 'YYYY-MM-DD'), '') AS review_due, o.status, pr.ca,"
     " coalesce(c.serial, '') AS serial,"
     " coalesce(c.medium_serial, '') AS medium_serial,"
     " coalesce(o.form_enc IS NOT NULL, false) AS has_form,"
     " coalesce((SELECT method FROM payments WHERE order_id = o.id AND status = 'paid'"
     "  ORDER BY paid_at DESC LIMIT 1), '') AS method, coalesce(o.waybill_no, '') AS waybill_no,"
     /* a partner's promise to mail by a day (sql/046), then its gift */
     " coalesce(to_char(o.ship_by, 'YYYY-MM-DD'), '') AS ship_by,"
     " coalesce(o.ship_by < beijing_day(now()), false) AS ship_late,"
     " coalesce(o.ship_by = beijing_day(now()), false) AS ship_today, coalesce(o.gift, '') AS gift,"
     /* the channel (渠道) whose outlet makes and mails it (seed 004) */
     " o.partner_code AS channel, pa.short_name AS channel_name,"
     /* the whole queue's length, the page being its first 200 */
     " count(*) OVER () AS total"
     " FROM orders o JOIN products pr ON pr.id = o.product_id"
     " JOIN partners pa ON pa.code = o.partner_code"
     " LEFT JOIN certificates c ON c.order_id = o.id AND c.state IN ('intent', 'issued')"
     " AND c.seal_item_id IS NULL"
     /* the statuses as literals too: a generic plan then reads the page
      * from orders_ship_queue_idx (sql/105) instead of sorting the queue */
     " WHERE o.status = $1 AND o.status IN ('accepted', 'issued')"
     /* a key born in the browser, and every flow of a certificate made
      * there: its holder makes it (POST /pki/csr; sql/160) */
     " AND order_key_origin(o.id) = 'hall'"
     " AND ($2 = '' OR o.partner_code = $2) AND ($3 = '' OR o.order_no = $3)"
     " ORDER BY o.ship_by NULLS LAST, o.review_due NULLS LAST, o.id LIMIT 200",
     3},
    /* the channels a queue can be narrowed to */
    {"queue_channels", "SELECT code, short_name AS name FROM partners ORDER BY code", 0},
    {"ship_order",
     "SELECT o.order_no, o.status, o.cert_type, o.form_enc, coalesce(o.waybill_no, '') AS "
     "waybill_no,"
     " coalesce(p.shipping_collect_carriers[1], 'SF') AS collect_carrier, o.partner_code"
     " FROM orders o JOIN partners p ON p.code = o.partner_code WHERE o.id = $1",
     1},
    {"delivered_by_waybill", "SELECT id, status FROM orders WHERE waybill_no = $1 FOR UPDATE", 1},
    {"cert_get",
     "SELECT c.serial, c.state, c.ca, c.subject_cn, c.subject_org,"
     " to_char(c.not_before, 'YYYY-MM-DD HH24:MI:SS') AS not_before,"
     " to_char(c.not_after, 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " coalesce(to_char(c.revoked_at, 'YYYY-MM-DD HH24:MI:SS'), '') AS revoked_at,"
     " coalesce(c.revoke_reason, 0) AS revoke_reason, coalesce(c.revoked_by, '') AS revoked_by,"
     " o.id AS order_id, o.order_no, c.p12_enc IS NOT NULL AS medium_held,"
     " coalesce(to_char(c.medium_destroyed_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI'), '') AS medium_destroyed_at,"
     " coalesce(c.medium_destroyed_why, '') AS medium_destroyed_why,"
     " coalesce(c.not_after < now(), false) AS expired"
     " FROM certificates c JOIN orders o ON o.id = c.order_id WHERE c.serial = $1",
     1},
    /* four eyes and the other revocations (the holder's, a 补办's, ...): the
     * certificate's row first, then the request's (hall_pki_revoke takes
     * them in this order too, and closes a pending request it revokes) */
    {"cert_lock", "SELECT state FROM certificates WHERE serial = $1 FOR UPDATE", 1},
    {"revoke_request_get",
     "SELECT subject, state, coalesce(decision_note, '') AS decision_note FROM staff_requests"
     " WHERE id = $1 AND kind = 'revoke'",
     1},
    {NULL, NULL, 0},
};

static int
pki_init(struct hall_app *app)
{
    char err[512];

    if (hall_pki_load(&app->conf, HALL_PKI_CA_KEYS, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    /* the timestamp authority's certificate, published with the CAs' (its
     * key is modules/tsa's) */
    if (hall_tsa_load(&app->conf, 0, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    /* a seal re-made after a 变更 of the name is drawn anew (libhallseal) */
    return HALL_OK;
}

static int
json_asked(const struct hall_req *req)
{
    return hall_req_wants_json(req);
}

/* ---- public ---------------------------------------------------------------- */

static int
pki_index(struct hall_req *req)
{
    struct hall_val *v = hall_val_obj(req->pool), *list;
    const char *name, *alg, *pem;
    int i;

    struct hall_val *roots, *r;

    /* root: the ECDSA root (as before the SM2 root); roots: both */
    hall_val_set_str(req->pool, v, "root", "/pki/root.crt");
    roots = hall_val_set_list(req->pool, v, "roots");
    r = hall_val_push_obj(req->pool, roots);
    hall_val_set_str(req->pool, r, "name", "root");
    hall_val_set_str(req->pool, r, "algorithm", "ecdsa");
    hall_val_set_str(req->pool, r, "cert", "/pki/root.crt");
    hall_val_set_str(req->pool, r, "crl", "/pki/root.crl");
    r = hall_val_push_obj(req->pool, roots);
    hall_val_set_str(req->pool, r, "name", "sm2-root");
    hall_val_set_str(req->pool, r, "algorithm", "sm2");
    hall_val_set_str(req->pool, r, "cert", "/pki/sm2-root.crt");
    list = hall_val_set_list(req->pool, v, "cas");
    for (i = 0; hall_pki_ca_info(i, &name, &alg, &pem) == HALL_OK; i++) {
        struct hall_val *c = hall_val_push_obj(req->pool, list);

        hall_val_set_str(req->pool, c, "name", name);
        hall_val_set_str(req->pool, c, "algorithm", alg);
        hall_val_set_fmt(req->pool, c, "cert", "/pki/%s.crt", name);
        hall_val_set_fmt(req->pool, c, "crl", "/pki/%s.crl", name);
        /* each hierarchy ends in its own root: SM3withSM2 all the way for sm2 */
        hall_val_set_str(req->pool, c, "root",
                         strcmp(alg, "sm2") == 0 ? "/pki/sm2-root.crt" : "/pki/root.crt");
    }
    /* the services that sign with the hierarchy's keys */
    list = hall_val_set_list(req->pool, v, "services");
    r = hall_val_push_obj(req->pool, list);
    hall_val_set_str(req->pool, r, "name", "ocsp");
    hall_val_set_str(req->pool, r, "protocol", "RFC 6960");
    hall_val_set_str(req->pool, r, "url", "/ocsp");
    r = hall_val_push_obj(req->pool, list);
    hall_val_set_str(req->pool, r, "name", "tsa");
    hall_val_set_str(req->pool, r, "protocol", "RFC 3161");
    hall_val_set_str(req->pool, r, "url", "/tsa");
    hall_val_set_str(req->pool, r, "cert", "/pki/tsa.crt");
    hall_val_set_str(req->pool, r, "root", "/pki/root.crt");
    hall_val_set_str(req->pool, r, "policy", req->app->conf.tsa_policy);
    return hall_resp_json(req, 200, v);
}

/* a CRL (DER) as stored, after it was made again if stale, behind a
 * revocation or (after, the root's) older than after */
static int
crl_send(struct hall_req *req, const char *name, time_t after)
{
    size_t len;
    unsigned char *der;

    if (after != 0)
        hall_pki_crl_fresh(req->cx, name, after);
    else
        hall_pki_crl_refresh(req->cx, name, 0);
    der = hall_pki_crl_get(req->cx, name, &len);
    if (der == NULL)
        return HALL_ERR;
    hall_resp_header(req, "Cache-Control", after != 0 ? "no-store" : "max-age=60");
    return hall_resp_raw(req, 200, "application/pkix-crl", der, len);
}

/* /pki/root.crl?after=EPOCH (and NAME.crl?after=): the CRL made at or
 * after that second (a stamp's timestamp; docs/internals/stamp.md §1a), a
 * time to come or older than HALL_PKI_ARL_REFRESH_S asking for nothing new */
static int
crl_after(struct hall_req *req, const char *name)
{
    const char *a = hall_req_query(req, "after");
    char *end = NULL;
    long long after = 0;

    if (a != NULL && a[0] != '\0') {
        after = strtoll(a, &end, 10);
        if (end == NULL || *end != '\0' || after <= 0 || strlen(a) > 12)
            return hall_msg(req, HALL_M_PKI_CRL_AFTER_BAD, "after");
    }
    return crl_send(req, name, (time_t)after);
}

/* /pki/root.crt, /pki/root.crl, /pki/NAME.crt, /pki/NAME.crl */
static int
pki_file(struct hall_req *req)
{
    const char *f = req->path + strlen("/pki/");
    const char *name, *alg, *pem;
    int i;

    if (strcmp(f, "") == 0)
        return pki_index(req);
    if (strcmp(f, "root.crt") == 0)
        return hall_resp_raw(req, 200, "application/x-pem-file", hall_pki_root_pem(),
                             strlen(hall_pki_root_pem()));
    if (strcmp(f, "root.crl") == 0)
        return crl_after(req, HALL_PKI_ROOT_CRL);
    if (strcmp(f, "sm2-root.crt") == 0)
        return hall_resp_raw(req, 200, "application/x-pem-file", hall_pki_sm2_root_pem(),
                             strlen(hall_pki_sm2_root_pem()));
    if (strcmp(f, "tsa.crt") == 0)
        return hall_resp_raw(req, 200, "application/x-pem-file", hall_tsa_pem(),
                             strlen(hall_tsa_pem()));
    for (i = 0; hall_pki_ca_info(i, &name, &alg, &pem) == HALL_OK; i++) {
        size_t n = strlen(name);

        if (strncmp(f, name, n) != 0)
            continue;
        if (strcmp(f + n, ".crt") == 0)
            return hall_resp_raw(req, 200, "application/x-pem-file", pem, strlen(pem));
        /* regenerated here too when stale or behind a revocation */
        if (strcmp(f + n, ".crl") == 0)
            return crl_after(req, name);
    }
    return hall_msg(req, HALL_M_FILE_NOT_FOUND, NULL);
}

static const char *
state_label(const char *state, int expired)
{
    if (strcmp(state, "revoked") == 0 || strcmp(state, "void") == 0)
        return "已吊销";
    return expired ? "已过期" : "有效";
}

static const struct hall_pspec lookup_params[] = {
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL},
    {"org_name", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 100, "机构名称", NULL},
    {"org_id", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "统一社会信用代码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* a refusal of the lookup: JSON, or the page with the message by its form */
static int
lookup_refuse(struct hall_req *req, struct hall_val *ctx, enum hall_msg_code m, const char *field,
              const char *slot)
{
    if (json_asked(req))
        return hall_msg(req, m, field);
    hall_val_set_str(req->pool, ctx, slot, hall_msg_text(req->pool, m));
    hall_val_set_str(req->pool, ctx, hall_psprintf(req->pool, "%s_field", slot), field);
    return hall_resp_page(req, hall_msgs[m].status, "pki_lookup", ctx);
}

/*
 * By 机构名称 + 统一社会信用代码, both required and exact (the code's
 * letters taken upper case, as codes are written): each listed certificate
 * of the unit with what the serial lookup shows of it, and no holder's
 * name.  A certificate whose holder chose 不同意发布 (clause 3) is not
 * listed: its serial still answers /pki/lookup?serial= as before.
 */
static int
lookup_org(struct hall_req *req, struct hall_val *ctx, const char *org, const char *code)
{
    struct hall_dbres *res;
    struct hall_val *list;
    const struct hall_dbcols *serial, *dates, *revoked_at;
    char *up = hall_pstrdup(req->pool, code);
    int i, n, c_state, c_expired, c_reason;

    for (i = 0; up[i] != '\0'; i++)
        if (up[i] >= 'a' && up[i] <= 'z')
            up[i] = (char)(up[i] - 'a' + 'A');
    hall_val_set_str(req->pool, ctx, "org_name", org);
    hall_val_set_str(req->pool, ctx, "org_id", up);
    if (*org == '\0')
        return lookup_refuse(req, ctx, HALL_M_PKI_ORG_NAME_REQUIRED, "org_name", "org_error");
    if (*up == '\0')
        return lookup_refuse(req, ctx, HALL_M_PKI_ORG_ID_REQUIRED, "org_id", "org_error");
    res = hall_db_exec(req->cx, "lookup_org", HALL_STR(org), HALL_STR(up));
    if (res == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(res);
    if (n == 0)
        return lookup_refuse(req, ctx, HALL_M_PKI_ORG_UNKNOWN, "org_name", "org_error");
    hall_val_set_str(req->pool, ctx, "org_found", org);
    list = hall_val_set_list(req->pool, ctx, "certs");
    serial = hall_dbres_cols(req->pool, res, "serial");
    dates = hall_dbres_cols(req->pool, res, "not_before not_after ca");
    revoked_at = hall_dbres_cols(req->pool, res, "revoked_at");
    c_state = hall_dbres_col(res, "state");
    c_expired = hall_dbres_col(res, "expired");
    c_reason = hall_dbres_col(res, "revoke_reason");
    for (i = 0; i < n; i++) {
        struct hall_val *c = hall_val_push_obj(req->pool, list);
        const char *st = hall_dbres_get(res, i, c_state);
        const char *ex = hall_dbres_get(res, i, c_expired);
        int expired = ex != NULL && strcmp(ex, "t") == 0;
        int revoked = strcmp(st, "revoked") == 0;

        hall_dbres_put(req->pool, c, res, i, serial);
        hall_val_add_str(req->pool, c, "status",
                         revoked ? "revoked" : (expired ? "expired" : "good"));
        hall_val_add_str(req->pool, c, "status_label", state_label(st, expired));
        hall_dbres_put(req->pool, c, res, i, dates);
        if (revoked) {
            int reason = (int)hall_dbres_i64(res, i, c_reason);

            hall_dbres_put(req->pool, c, res, i, revoked_at);
            hall_val_add_str(req->pool, c, "revoke_reason", hall_pki_reason_name(reason));
            hall_val_add_str(req->pool, c, "revoke_reason_label", hall_pki_reason_label(reason));
        }
    }
    if (json_asked(req))
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "pki_lookup", ctx);
}

/* public: what the seed's OCSP list page shows, and no personal data */
static int
lookup(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial");
    struct hall_val *ctx = json_asked(req) ? hall_val_obj(req->pool) : hall_page_ctx(req), *c;
    struct hall_dbres *res;

    const char *org = hall_req_param(req, "org_name"), *code = hall_req_param(req, "org_id");

    if (!json_asked(req))
        hall_val_set_str(req->pool, ctx, "title", "证书状态查询");
    if ((serial == NULL || *serial == '\0') &&
        ((org != NULL && *org != '\0') || (code != NULL && *code != '\0') ||
         hall_req_query(req, "org_name") != NULL))
        return lookup_org(req, ctx, org != NULL ? org : "", code != NULL ? code : "");
    if (serial == NULL || *serial == '\0') {
        if (json_asked(req))
            return hall_msg(req, HALL_M_SERIAL_REQUIRED, "serial");
        return hall_resp_page(req, 200, "pki_lookup", ctx);
    }
    hall_val_set_str(req->pool, ctx, "serial", serial);
    /* case-sensitive, as the seed says: 712c... is not 712C... */
    if (!hall_pki_serial_ok(serial)) {
        if (json_asked(req))
            return hall_msg(req, HALL_M_PKI_SERIAL_FORMAT, "serial");
        hall_val_set_str(req->pool, ctx, "error",
                         hall_msg_text(req->pool, HALL_M_PKI_SERIAL_FORMAT));
        return hall_resp_page(req, 400, "pki_lookup", ctx);
    }
    res = hall_db_exec(req->cx, "lookup", HALL_STR(serial));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        if (json_asked(req))
            return hall_msg(req, HALL_M_PKI_SERIAL_UNKNOWN, "serial");
        hall_val_set_str(req->pool, ctx, "error",
                         hall_msg_text(req->pool, HALL_M_PKI_SERIAL_UNKNOWN));
        return hall_resp_page(req, 404, "pki_lookup", ctx);
    }
    c = hall_val_set_obj(req->pool, ctx, "cert");
    {
        const char *st = hall_dbres_str(res, 0, "state");
        int expired = hall_dbres_bool(res, 0, "expired");
        int revoked = strcmp(st, "revoked") == 0 || strcmp(st, "void") == 0;

        hall_dbres_set(req->pool, c, res, 0, "serial");
        hall_val_set_str(req->pool, c, "status",
                         revoked ? "revoked" : (expired ? "expired" : "good"));
        hall_val_set_str(req->pool, c, "status_label", state_label(st, expired));
        if (hall_dbres_bool(res, 0, "unlisted"))
            hall_val_set_bool(req->pool, c, "unlisted", 1);
        else
            hall_dbres_set(req->pool, c, res, 0, "organization=subject_org");
        hall_dbres_set(req->pool, c, res, 0, "not_before not_after ca");
        if (revoked) {
            hall_dbres_set(req->pool, c, res, 0, "revoked_at");
            hall_val_set_str(req->pool, c, "revoke_reason",
                             hall_pki_reason_name((int)hall_dbres_int(res, 0, "revoke_reason")));
            hall_val_set_str(req->pool, c, "revoke_reason_label",
                             hall_pki_reason_label((int)hall_dbres_int(res, 0, "revoke_reason")));
        }
    }
    if (json_asked(req))
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "pki_lookup", ctx);
}

static const struct hall_pspec id_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* 制作证书: the order, and the medium it goes onto (empty: production_medium):
 * a USB key only, no file (issue 64 §4: the hall makes no subscriber key);
 * "p12" is known, to be refused saying so (do_issue) */
static const char *const media[] = {"pkcs11", "p12", NULL};
static const struct hall_pspec issue_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {"medium", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "证书介质", media},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* the owner's medium, protected by the PIN inside: handed over once, the
 * hall's copy destroyed as it is (410 afterwards) */
static int
medium(struct hall_req *req)
{
    int64_t id;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK || id <= 0)
        return hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
    if (hall_medium_take(req, "medium", id) == HALL_CONFLICT)
        return pki_medium_none(req, id); /* pki_media.c says why */
    return HALL_OK;
}

static const struct hall_pspec csr_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {"csr", HALL_P_TEXT, 0, 1, 8000, "证书请求", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec holder_params[] = {
    {"es_id", HALL_P_TEXT, 0, 1, 40, "印章编码", NULL},
    {"code", HALL_P_TEXT, 0, 1, 64, "验证码", NULL},
    {"csr", HALL_P_TEXT, 0, 1, 8000, "证书请求", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* 生成密钥并下载证书 (core/biz/produce_csr.c): the key was born in the
 * owner's browser; the answer is what its page puts in the PKCS#12 */
static int
do_csr(struct hall_req *req)
{
    struct hall_csr_cert out;
    struct hall_val *v;
    const char *msg, *field;
    unsigned char *der;
    size_t len;
    int64_t id;
    int rc;

    hall_req_param_i64(req, "id", &id);
    der = hall_unb64(req->pool, hall_req_param(req, "csr"), &len);
    if (der == NULL)
        return hall_msg(req, HALL_M_CSR_BAD, "csr");
    rc = hall_produce_csr(req->cx, id, req->user_id, hall_req_actor(req), der, len, &out, &msg,
                          &field);
    if (rc == HALL_CSR_NOT_OWN)
        return hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
    if (rc == HALL_CSR_BAD)
        return hall_resp_error(req, 400, field, msg);
    if (rc == HALL_CONFLICT)
        return hall_resp_error(req, 409, NULL, msg);
    if (rc != HALL_OK)
        return hall_resp_error(req, 503, NULL, msg);
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "serial", out.serial);
    hall_val_set_str(req->pool, v, "algorithm", out.alg);
    hall_val_set_str(req->pool, v, "cert", hall_b64(req->pool, out.der, out.der_len));
    hall_val_set_str(req->pool, v, "ca", out.ca_pem);
    hall_val_set_str(req->pool, v, "name", out.cn);
    return hall_resp_ok(req, v);
}

/*
 * A carrier's route push (core/biz/courier.c): SF's form (partnerID,
 * requestID, serviceCode, timestamp, msgDigest, msgData), its msgDigest
 * checked with the account's checkWord; each route 80 (已签收) of a waybill
 * moves its order shipped -> delivered once, with the carrier's time and
 * ours.  The answer SF expects: {"return_code":"0000","return_msg":"成功"}.
 */
static int
courier_push(struct hall_req *req, const char *carrier)
{
    struct hall_courier_push_in in = {
        hall_req_body_param(req, "partnerID"),
        hall_req_body_param(req, "timestamp"),
        hall_req_body_param(req, "msgDigest"),
        hall_req_body_param(req, "msgData"),
    };
    struct hall_courier_event ev[16];
    struct hall_dbres *res;
    size_t n, i;
    int rc;

    rc = hall_courier_push(req->cx, carrier, &in, ev, sizeof(ev) / sizeof(ev[0]), &n);
    if (rc == HALL_PUSH_SIGNATURE) {
        hall_warn(req, "msg=\"courier push refused\" carrier=%s reason=signature", carrier);
        return hall_msg(req, HALL_M_COURIER_SIGNATURE, NULL);
    }
    if (rc == HALL_PUSH_INCOMPLETE)
        return hall_msg(req, HALL_M_COURIER_INCOMPLETE, NULL);
    if (rc != HALL_OK)
        return HALL_ERR;
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    for (i = 0; i < n; i++) {
        if (!ev[i].delivered)
            continue;
        res = hall_db_exec(req->cx, "delivered_by_waybill", HALL_STR(ev[i].waybill_no));
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) == 0)
            return hall_msg(req, HALL_M_WAYBILL_UNKNOWN, NULL);
        /* a repeated push (already 已签收) changes nothing */
        if (strcmp(hall_dbres_str(res, 0, "status"), "shipped") == 0) {
            int64_t id = hall_dbres_int(res, 0, "id");

            if (hall_order_move(req->cx, id, "shipped", "delivered", "courier:delivery", NULL) !=
                    HALL_OK ||
                hall_order_delivered(req->cx, id, ev[i].at) != HALL_OK)
                return HALL_ERR;
        }
    }
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    {
        static const char ok[] = "{\"return_code\":\"0000\",\"return_msg\":\"成功\"}";

        return hall_resp_raw(req, 200, "application/json; charset=utf-8", ok, sizeof(ok) - 1);
    }
}

static int
push_sf(struct hall_req *req)
{
    return courier_push(req, "SF");
}

static int
push_jd(struct hall_req *req)
{
    return courier_push(req, "JD");
}

static int
push_ems(struct hall_req *req)
{
    return courier_push(req, "EMS");
}

/* ---- the operator's console ----------------------------------------------- */

static struct hall_val *
staff_ctx(struct hall_req *req, const char *title)
{
    return hall_staff_page(req, title);
}

/* ?done=ORDER after 制作证书: what was made, above the queue */
static int
made_ctx(struct hall_req *req, struct hall_val *ctx)
{
    const char *done = hall_req_query(req, "done");
    struct hall_dbres *res;
    struct hall_val *m;
    char *end;
    long long id;

    if (done == NULL || *done == '\0')
        return HALL_OK;
    id = strtoll(done, &end, 10);
    if (*end != '\0' || id <= 0 || strlen(done) > 18)
        return HALL_OK;
    res = hall_db_exec(req->cx, "made_of", HALL_I64(id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK;
    m = hall_val_set_obj(req->pool, ctx, "made");
    hall_dbres_set(req->pool, m, res, 0, "serial order_no medium_serial");
    hall_val_set_str(req->pool, m, "subject",
                     hall_pki_subject_text(req->pool, hall_dbres_str(res, 0, "subject_cn"),
                                           hall_dbres_str(res, 0, "subject_org")));
    return HALL_OK;
}

static int
queue_page(struct hall_req *req, const char *status, const char *title, const char *tmpl)
{
    struct hall_dbres *res;
    struct hall_val *ctx, *list;
    const struct hall_dbcols *head, *mid, *tail;
    int i, n, c_type, c_method;
    const char *channel, *order_no;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    channel = hall_req_query(req, "channel");
    if (channel == NULL || strlen(channel) > 32)
        channel = "";
    /* 申请单号: the one envelope among hundreds */
    order_no = hall_req_query(req, "order");
    if (order_no == NULL || strlen(order_no) > 32)
        order_no = "";
    res = hall_db_exec(req->cx, "queue", HALL_STR(status), HALL_STR(channel), HALL_STR(order_no));
    if (res == NULL)
        return HALL_ERR;
    ctx = json_asked(req) ? hall_val_obj(req->pool) : staff_ctx(req, title);
    hall_val_set_str(req->pool, ctx, "channel", channel);
    hall_val_set_str(req->pool, ctx, "order", order_no);
    if (!json_asked(req)) {
        /* the channel filter: every partner, the chosen one selected */
        struct hall_dbres *chs = hall_db_exec(req->cx, "queue_channels");
        struct hall_val *cl = hall_val_set_list(req->pool, ctx, "channels");

        if (chs == NULL)
            return HALL_ERR;
        for (i = 0; i < hall_dbres_rows(chs); i++) {
            struct hall_val *c = hall_val_push_obj(req->pool, cl);

            hall_dbres_set(req->pool, c, chs, i, "code name");
            hall_val_set_bool(req->pool, c, "selected",
                              strcmp(hall_dbres_str(chs, i, "code"), channel) == 0);
        }
    }
    list = hall_val_set_list(req->pool, ctx, "orders");
    n = hall_dbres_rows(res);
    /* the columns resolved once for up to 200 rows; three lists keep the
     * members in the order the two computed ones sit between */
    head = hall_dbres_cols(req->pool, res, "id:i order_no subject");
    mid = hall_dbres_cols(req->pool, res, "years:i review_due ca serial medium_serial");
    tail = hall_dbres_cols(req->pool, res,
                           "waybill_no ship_by ship_late:b ship_today:b gift channel channel_name");
    c_type = hall_dbres_col(res, "cert_type");
    c_method = hall_dbres_col(res, "method");
    for (i = 0; i < n; i++) {
        struct hall_val *o = hall_val_push_obj(req->pool, list);
        const char *m = hall_dbres_get(res, i, c_method);

        hall_dbres_put(req->pool, o, res, i, head);
        hall_val_add_str(req->pool, o, "cert_type_label",
                         hall_cert_type_label(hall_dbres_get(res, i, c_type)));
        hall_dbres_put(req->pool, o, res, i, mid);
        hall_val_add_str(req->pool, o, "payment",
                         strcmp(m, "transfer") == 0 ? "对公转账"
                         : *m != '\0'               ? "在线支付"
                                                    : "");
        hall_dbres_put(req->pool, o, res, i, tail);
    }
    hall_val_set_int(req->pool, ctx, "total", n > 0 ? hall_dbres_int(res, 0, "total") : 0);
    hall_val_set_bool(req->pool, ctx, "more", n > 0 && hall_dbres_int(res, 0, "total") > n);
    if (strcmp(status, "accepted") == 0 &&
        (made_ctx(req, ctx) != HALL_OK || pki_media_halfmade(req, ctx) != HALL_OK))
        return hall_req_failed(req);
    /* a medium station (medium_module): 制作证书 offers the USB key */
    hall_val_set_bool(req->pool, ctx, "station", hall_medium_station(req->cx->conf));
    if (json_asked(req))
        return hall_resp_ok(req, ctx);
    hall_val_set_bool(req->pool, ctx, "empty", n == 0);
    return hall_resp_page(req, 200, tmpl, ctx);
}

static int
production_queue(struct hall_req *req)
{
    return queue_page(req, "accepted", "制作证书", "admin_pki_production");
}

static int
shipping_queue(struct hall_req *req)
{
    return queue_page(req, "issued", "邮寄", "admin_pki_shipping");
}

static int
do_issue(struct hall_req *req)
{
    int64_t id;
    const char *msg, *medium;
    int rc;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    medium = hall_req_param(req, "medium");
    if (medium != NULL && strcmp(medium, "p12") == 0)
        return hall_msg(req, HALL_M_PKI_FILE_MEDIUM_GONE, "medium");
    rc = hall_produce_onto(req->cx, id, hall_staff_actor(req), medium != NULL ? medium : "", &msg);
    if (rc == HALL_CONFLICT)
        return hall_resp_error(req, 409, NULL, msg);
    if (rc != HALL_OK)
        return hall_resp_error(req, 503, NULL, msg);
    /* the queue again, with what was made on top of it */
    return hall_resp_go(
        req, hall_psprintf(req->pool, "/admin/pki/production?done=%lld", (long long)id), msg);
}

/* 邮寄: the parcel is booked first with the carrier's driver (idempotent
 * per order: SF finds an orderId booked before), then the order moves with
 * its SMS in one transaction; an order that moved meanwhile gets its parcel
 * cancelled */
static int
do_ship(struct hall_req *req)
{
    struct hall_dbres *res;
    struct hall_courier_parcel parcel;
    struct hall_courier_booking booked;
    struct hall_val *form;
    const char *cert, *phone, *order_no, *waybill, *carrier, *partner;
    int64_t id;
    long slot;
    int rc, prepaid;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    res = hall_db_exec(req->cx, "ship_order", HALL_I64(id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
    if (strcmp(hall_dbres_str(res, 0, "status"), "issued") != 0) {
        const char *l = hall_order_label(hall_dbres_str(res, 0, "status"));

        return hall_msg(req, HALL_M_SHIP_STATE, NULL,
                        l != NULL ? l : hall_dbres_str(res, 0, "status"));
    }
    order_no = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "order_no"));
    cert = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "cert_type"));
    partner = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "partner_code"));
    form = hall_dbres_pii_json(req->cx, res, 0, hall_dbres_col(res, "form_enc"));
    if (form == NULL || form->type != HALL_V_OBJ) {
        /* the hall's own mistake (a key or a row gone wrong): 500, logged */
        hall_err(req, "msg=\"order form unreadable\" order=%lld", (long long)id);
        return HALL_ERR;
    }
    /* 寄付 (prepaid with the bill) or 到付 (the receiver pays), booked with
     * the carrier the order names: 寄付 the quote's (京东快递, seed 001),
     * 到付 the one of the partner's page the applicant chose */
    prepaid = strcmp(hall_val_str(form, "shipping"), "prepaid") == 0;
    carrier = hall_val_str(form, "carrier");
    if (*carrier == '\0')
        carrier = prepaid ? HALL_PREPAID_CARRIER
                          : hall_carrier_name(hall_dbres_str(res, 0, "collect_carrier"));
    parcel.order_no = order_no;
    parcel.carrier = hall_courier_code(carrier);
    parcel.prepaid = prepaid;
    parcel.receiver = hall_val_str(form, "mail_receiver");
    parcel.phone = hall_val_str(form, "mail_mobile");
    parcel.province = hall_val_str(form, "mail_province");
    parcel.city = hall_val_str(form, "mail_city");
    parcel.district = hall_val_str(form, "mail_district");
    parcel.town = hall_val_str(form, "mail_town");
    parcel.address = hall_val_str(form, "mail_address");
    if (parcel.carrier == NULL)
        return hall_msg(req, HALL_M_COURIER_DOWN, NULL);
    /* within the module's cap on workers waiting on providers */
    slot = hall_provider_slot_take(req);
    if (slot == -1)
        return hall_resp_provider(req, "快递");
    rc = hall_courier_book(req->cx, partner, &parcel, &booked);
    hall_provider_slot_give(req, slot);
    if (rc != HALL_OK)
        return hall_msg(req, HALL_M_COURIER_DOWN, NULL);
    waybill = booked.waybill_no;
    carrier = booked.carrier_name;
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    {
        struct hall_val *d = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, d, "waybill_no", waybill);
        hall_val_set_str(req->pool, d, "carrier", carrier);
        rc = hall_order_move(req->cx, id, "issued", "shipped", hall_staff_actor(req), d);
    }
    if (rc == HALL_CONFLICT) {
        /* the order moved meanwhile: the parcel is not needed any more,
         * unless a parallel 邮寄 of the same order shipped it (the carrier
         * gave both the same waybill) */
        hall_db_rollback(req->cx);
        res = hall_db_exec(req->cx, "ship_order", HALL_I64(id));
        if (res != NULL && hall_dbres_rows(res) == 1 &&
            strcmp(hall_dbres_str(res, 0, "waybill_no"), waybill) != 0)
            hall_courier_cancel(req->cx, partner, parcel.carrier, order_no, waybill);
        return hall_msg(req, HALL_M_ORDER_CHANGED, NULL);
    }
    if (rc != HALL_OK || hall_order_shipped(req->cx, id, waybill, carrier) != HALL_OK)
        return HALL_ERR;
    /* seed 001: the tracking number goes by SMS to the agent (the
     * applicant for a natural person's certificate) */
    phone = hall_val_str(form, strcmp(cert, "person") == 0 ? "app_mobile" : "agent_mobile");
    if (strlen(phone) == 11 &&
        hall_sms_queue(req->cx, hall_psprintf(req->pool, "sms-shipped-%lld", (long long)id), phone,
                       partner, prepaid ? HALL_SMST_shipped : HALL_SMST_shipped_collect, "carrier",
                       carrier, "waybill_no", waybill, NULL) != HALL_OK)
        return HALL_ERR;
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"order shipped\" order=%lld waybill=%s", (long long)id, waybill);
    return hall_resp_go(req, "/admin/pki/shipping",
                        hall_psprintf(req->pool, "已寄出，%s 运单号 %s", carrier, waybill));
}

static const struct hall_pspec serial_params[] = {
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* certificates.state in words, as 我的证书 says them */
static const char *
cert_state_label(const char *state, int expired)
{
    if (strcmp(state, "issued") == 0)
        return expired ? "已过期" : "有效";
    if (strcmp(state, "revoked") == 0)
        return "已吊销";
    if (strcmp(state, "void") == 0)
        return "已作废（未签发）";
    if (strcmp(state, "intent") == 0)
        return "制作中";
    return state;
}

/* certificates.ca: the issuing CA by its algorithm */
static const char *
ca_label(const char *ca)
{
    if (strcmp(ca, "ecc") == 0)
        return "ECC 签发CA（ECDSA P-256）";
    if (strcmp(ca, "sm2") == 0)
        return "国密 SM2 签发CA";
    return ca;
}

static int
cert_page(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial");
    struct hall_val *ctx = json_asked(req) ? hall_val_obj(req->pool) : staff_ctx(req, "证书管理");
    struct hall_val *c, *rl;
    struct hall_dbres *res;
    struct hall_approval a;
    const char *const *names;
    int pending;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    rl = hall_val_set_list(req->pool, ctx, "reasons");
    for (names = hall_pki_reason_names(); *names != NULL; names++) {
        struct hall_val *r = hall_val_push_obj(req->pool, rl);

        hall_val_set_str(req->pool, r, "name", *names);
        hall_val_set_str(req->pool, r, "label",
                         hall_pki_reason_label(hall_pki_reason_code(*names)));
    }
    if (serial == NULL || *serial == '\0')
        return json_asked(req) ? hall_resp_ok(req, ctx)
                               : hall_resp_page(req, 200, "admin_pki_certs", ctx);
    hall_val_set_str(req->pool, ctx, "serial", serial);
    if (!hall_pki_serial_ok(serial))
        return hall_msg(req, HALL_M_PKI_SERIAL_FORMAT, "serial");
    res = hall_db_exec(req->cx, "cert_get", HALL_STR(serial));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_PKI_SERIAL_UNKNOWN, "serial");
    c = hall_val_set_obj(req->pool, ctx, "cert");
    hall_dbres_set(req->pool, c, res, 0,
                   "serial state ca subject_cn subject_org not_before not_after revoked_at");
    hall_val_set_str(
        req->pool, c, "state_label",
        cert_state_label(hall_dbres_str(res, 0, "state"), hall_dbres_bool(res, 0, "expired")));
    hall_val_set_str(req->pool, c, "ca_label", ca_label(hall_dbres_str(res, 0, "ca")));
    if (*hall_dbres_str(res, 0, "revoked_at") != '\0') {
        hall_val_set_str(req->pool, c, "revoke_reason",
                         hall_pki_reason_name((int)hall_dbres_int(res, 0, "revoke_reason")));
        hall_val_set_str(req->pool, c, "revoke_reason_label",
                         hall_pki_reason_label((int)hall_dbres_int(res, 0, "revoke_reason")));
    }
    /* a revocation asked and not yet decided: no second request */
    pending = hall_approval_pending_of(req->cx, "revoke", serial, &a);
    if (pending < 0)
        return HALL_ERR;
    if (pending) {
        struct hall_val *p = hall_val_set_obj(req->pool, c, "revoke_pending");

        hall_val_set_int(req->pool, p, "id", a.id);
        hall_val_set_str(req->pool, p, "requested_by", a.requested_login);
    }
    hall_val_set_bool(req->pool, c, "revocable",
                      !pending && strcmp(hall_dbres_str(res, 0, "state"), "issued") == 0);
    hall_dbres_set(req->pool, c, res, 0, "order_id:i order_no");
    /* the medium: held until handed over, then destroyed (core/biz/custody.c) */
    if (hall_dbres_bool(res, 0, "medium_held"))
        hall_val_set_str(req->pool, c, "medium", "网上营业厅保存中，待首次下载（签收后到期销毁）");
    else if (*hall_dbres_str(res, 0, "medium_destroyed_at") != '\0')
        hall_val_set_fmt(req->pool, c, "medium", "已交付，私钥副本已销毁（%s，%s）",
                         hall_dbres_str(res, 0, "medium_destroyed_at"),
                         hall_medium_why_label(hall_dbres_str(res, 0, "medium_destroyed_why")));
    else
        hall_val_set_str(req->pool, c, "medium", "—");
    if (json_asked(req))
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "admin_pki_certs", ctx);
}

static const struct hall_pspec revoke_params[] = {
    {"serial", HALL_P_TEXT, 0, 16, 16, "证书序列号", NULL},
    {"reason", HALL_P_TEXT, 0, 1, 32, "吊销原因", NULL},
    {"note", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 200, "申请说明", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/*
 * 吊销 by staff is four eyes (core/biz/approval.c): an operator asks, with
 * the reason; nothing is revoked until a second operator approves it
 * (do_revoke_approve).  The holder's own revocation (我的证书) needs no staff.
 */
static int
do_revoke(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial");
    const char *reason = hall_req_param(req, "reason");
    const char *note = hall_req_param(req, "note");
    int code = hall_pki_reason_code(reason), rc;
    struct hall_dbres *res;
    struct hall_val *payload, *v;
    int64_t id = 0;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    if (!hall_pki_serial_ok(serial))
        return hall_msg(req, HALL_M_PKI_SERIAL_FORMAT, "serial");
    if (code < 0)
        return hall_msg(req, HALL_M_REVOKE_REASON, "reason");
    if (note == NULL || *note == '\0')
        note = hall_pki_reason_label(code);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    /* locked: a revocation by another path waits for this request, and
     * closes it, or this one sees the certificate revoked */
    res = hall_db_exec(req->cx, "cert_lock", HALL_STR(serial));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0 || strcmp(hall_dbres_str(res, 0, "state"), "issued") != 0)
        return hall_msg(req, HALL_M_REVOKE_STATE, "serial");
    payload = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, payload, "reason", hall_pki_reason_name(code));
    rc = hall_approval_request(req->cx, "revoke", serial, payload, req->staff->id, note, &id);
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_REVOKE_PENDING, "serial");
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"revocation requested\" serial=%s reason=%s staff=%lld request=%lld",
              serial, reason, (long long)req->staff->id, (long long)id);
    if (!json_asked(req))
        return hall_resp_redirect(req, "/admin/approvals");
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "redirect", "/admin/approvals");
    hall_val_set_str(req->pool, v, "message",
                     "吊销申请已提交，须由另一位运营人员在“待批准”中批准后生效");
    hall_val_set_int(req->pool, v, "request_id", id);
    return hall_resp_ok(req, v);
}

static const struct hall_pspec decide_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "申请编号", NULL},
    {"note", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 200, "处理意见", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/*
 * The seal a 注销 request named (modules/seal's admin_revoke), revoked with
 * its certificate in the approval's transaction, with the reason the
 * requester gave, audited as the approver's: 1 revoked, 0 no longer valid
 * (replaced meanwhile: the certificate alone), -1 the store failed.
 */
static int
seal_revoke_with(struct hall_req *req, const struct hall_approval *a, const char *es_id)
{
    const char *actor = hall_staff_actor(req);
    struct hall_dbres *res;
    struct hall_val *d;

    res = hall_seseal_revoke(req->cx, es_id, a->reason, actor, a->subject);
    if (res == NULL)
        return -1;
    if (hall_dbres_rows(res) == 0)
        return 0;
    d = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, d, "reason", a->reason);
    hall_val_set_int(req->pool, d, "request_id", a->id);
    hall_val_set_str(req->pool, d, "requested_by",
                     hall_psprintf(req->pool, "staff:%lld", (long long)a->requested_by));
    hall_dbres_set(req->pool, d, res, 0, "cert_serial order_id");
    if (hall_audit(req->cx, actor, "seseal", es_id, "revoke", "valid", "revoked", d) != HALL_OK)
        return -1;
    return 1;
}

/*
 * A second operator approves a revocation request: in one transaction the
 * request is decided (once, never by its requester) and the certificate
 * revoked with the requested reason, both audited; then the CRL is made
 * anew.  Refusing leaves the certificate as it is.
 */
static int
revoke_decide(struct hall_req *req, int approve)
{
    const char *note = hall_req_param(req, "note"), *ca = NULL, *serial;
    const char *done = "证书已吊销，CRL已更新";
    const struct hall_val *r, *es = NULL;
    struct hall_dbres *res;
    struct hall_approval a;
    int64_t id;
    int rc, code;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    /* the certificate's row before the request's (cert_lock above) */
    res = hall_db_exec(req->cx, "revoke_request_get", HALL_I64(id));
    if (res == NULL ||
        (hall_dbres_rows(res) == 1 &&
         hall_db_exec(req->cx, "cert_lock", HALL_STR(hall_dbres_str(res, 0, "subject"))) == NULL))
        return HALL_ERR;
    rc = hall_approval_decide(req->cx, id, "revoke", req->staff->id, approve, note, &a);
    if (rc == HALL_CONFLICT) {
        /* closed by the certificate's revocation on another path: say so */
        res = hall_db_exec(req->cx, "revoke_request_get", HALL_I64(id));
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) == 1 && strcmp(hall_dbres_str(res, 0, "state"), "moot") == 0)
            return hall_msg(req, HALL_M_REVOKE_MOOT, NULL, hall_dbres_str(res, 0, "decision_note"));
    }
    if (rc != HALL_OK)
        return hall_foureyes_refused(req, rc);
    serial = a.subject;
    if (!approve) {
        if (hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        hall_info(req, "msg=\"revocation refused\" serial=%s staff=%lld request=%lld", serial,
                  (long long)req->staff->id, (long long)id);
        return hall_resp_go(req, "/admin/approvals", "已拒绝该吊销申请，证书保持有效");
    }
    r = hall_val_get(a.payload, "reason");
    code = r != NULL && r->type == HALL_V_STR ? hall_pki_reason_code(r->str) : -1;
    if (code < 0) {
        /* a request the hall stored with no reason it knows: its mistake */
        hall_err(req, "msg=\"revoke request without a reason\" request=%lld", (long long)id);
        return HALL_ERR;
    }
    rc = hall_revoke_cert(req->cx, serial, code, hall_staff_actor(req), &ca);
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_REVOKE_STATE, NULL);
    if (rc != HALL_OK)
        return HALL_ERR;
    es = hall_val_get(a.payload, "es_id");
    if (es != NULL && es->type == HALL_V_STR) {
        rc = seal_revoke_with(req, &a, es->str);
        if (rc < 0)
            return HALL_ERR;
        done = rc == 1 ? "印章已注销，其证书已吊销，CRL已更新" : done;
    }
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req,
              "msg=\"certificate revoked\" serial=%s reason=%s staff=%lld requested_by=%lld"
              " request=%lld seseal=%s",
              serial, hall_pki_reason_name(code), (long long)req->staff->id,
              (long long)a.requested_by, (long long)id,
              es != NULL && es->type == HALL_V_STR ? es->str : "-");
    /* the CRL now; the outbox's pki tick retries if this fails */
    if (hall_pki_crl_refresh(req->cx, ca, 1) != HALL_OK)
        hall_warn(req, "msg=\"crl refresh after revoke failed\" ca=%s", ca);
    return hall_resp_go(req, hall_psprintf(req->pool, "/admin/pki/certs?serial=%s", serial), done);
}

static int
do_revoke_approve(struct hall_req *req)
{
    return revoke_decide(req, 1);
}

static int
do_revoke_refuse(struct hall_req *req)
{
    return revoke_decide(req, 0);
}

static const struct hall_route pki_routes[] = {
    {"GET", "/pki", pki_index, HALL_R_NOSESSION, NULL},
    {"GET", "/pki/lookup", lookup, 0, lookup_params},
    {"GET", "/pki/medium", medium, HALL_R_AUTH, id_params},
    {"POST", "/pki/csr", do_csr, HALL_R_AUTH, csr_params},
    PKI_RENEW_ROUTES,
    {"POST", "/pki/seal-holder", pki_seal_holder, 0, holder_params},
    {"POST", "/pki/seal-key", pki_seal_key, HALL_R_AUTH, pki_seal_key_params},
    {"POST", "/pki/courier/sf/push", push_sf, HALL_R_NOCSRF | HALL_R_NOSESSION, NULL},
    {"POST", "/pki/courier/jd/push", push_jd, HALL_R_NOCSRF | HALL_R_NOSESSION, NULL},
    {"POST", "/pki/courier/ems/push", push_ems, HALL_R_NOCSRF | HALL_R_NOSESSION, NULL},
    {"GET", "/pki/", pki_file, HALL_R_PREFIX | HALL_R_NOSESSION, NULL},
    {"GET", "/admin/pki/production", production_queue, HALL_R_STAFF | R_OPERATOR, NULL},
    {"GET", "/admin/pki/shipping", shipping_queue, HALL_R_STAFF | R_OPERATOR, NULL},
    {"GET", "/admin/pki/certs", cert_page, HALL_R_STAFF | R_OPERATOR, serial_params},
    {"POST", "/admin/pki/issue", do_issue, HALL_R_STAFF | R_OPERATOR, issue_params},
    {"POST", "/admin/pki/ship", do_ship, HALL_R_STAFF | R_OPERATOR, id_params},
    {"POST", "/admin/pki/revoke", do_revoke, HALL_R_STAFF | R_OPERATOR, revoke_params},
    {"POST", "/admin/pki/revoke/approve", do_revoke_approve, HALL_R_STAFF | R_OPERATOR,
     decide_params},
    {"POST", "/admin/pki/revoke/refuse", do_revoke_refuse, HALL_R_STAFF | R_OPERATOR,
     decide_params},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(pki, pki_routes, pki_stmts, pki_init)
