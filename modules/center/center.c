/*
 * center: 个人中心 — 我的业务单 (the applicant's orders of every business
 * type) with filters, pagination and the actions each status allows, one
 * order's view, and 申请退费.
 *
 *   GET  /center/orders   list: 业务单号, 业务类型, 主题, 状态, 开始/结束时间, page
 *   GET  /center/order    one order (id)
 *   POST /center/refund   申请退费 (id, reason)
 *   POST /center/invoice/resend  电子发票 重新获取: the link again by SMS and e-mail
 *   GET  /center/finauth 我的业务单-在线认证: the 金融认证 records (micro-deposits)
 *                        of the applicant's orders, their results, 待认证 / 金融认证
 *   GET  /center/certs   我的证书: every certificate the applicant's orders
 *                        produced, its state, its actions, the seals it signs
 *   GET  /center/cert/download  the certificate and its chain (serial,
 *                        format pem | der | p7b): public parts only
 *   GET  /center/cert/revoke     撤销: the certificate, the reasons, what
 *                        stops with it (seals, orders under way)
 *   POST /center/cert/revoke/code  the SMS code to the account's phone
 *   POST /center/cert/revoke     撤销 confirmed (serial, reason, code)
 *
 * An applicant sees only their own orders and certificates: another's id
 * or serial answers 404, as one that does not exist.
 *
 * This file declares the module: its statements, its routes with their
 * parameters, main.  The handlers are in its parts (their shared names in
 * center.h):
 *   center_orders.c   我的业务单: the list, one order, 申请退费, the e-invoice
 *   center_certs.c    我的证书, the 金融认证 records, a certificate's download
 *   center_revoke.c   撤销: the holder's own revocation
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center.h"

/* The page's two days (created, updated) come as days since 2000-01-01,
 * "(created_at::date - date '2000-01-01')": Beijing's day (the session's
 * time zone, core/store/db.c) as an int4 that the worker writes as
 * YYYY-MM-DD (day_text).  to_char() of the two columns cost PostgreSQL
 * about a sixth of the first page's statement; int4out next to nothing. */
static const struct hall_stmt center_stmts[] = {
    /* the page alone reads 20 index entries; a window count over the page
     * would read every matching row (docs/performance.md) */
    {"orders_page",
     "SELECT id, order_no, business_type, subject, amount_fen,"
     " (created_at::date - date '2000-01-01') AS created,"
     " (updated_at::date - date '2000-01-01') AS updated, status, step"
     " FROM orders WHERE user_id = $1"
     " AND ($2 = '' OR order_no = $2) AND ($3 = '' OR business_type = $3)"
     " AND ($4 = '' OR strpos(subject, $4) > 0) AND ($5 = '' OR status = $5)"
     " AND ($6 = '' OR created_at >= $6::date) AND ($7 = '' OR created_at < $7::date + 1)"
     " AND ($10 = '' OR partner_code = $10)"
     " ORDER BY created_at DESC, id DESC LIMIT $8 OFFSET $9",
     10},
    /* 我的业务单 as most visitors see it (page 1, no filter) in one round
     * trip: the session (as core/store/db.c's session_get reads it), the
     * applicant's kept count (sql/029_order_counts.sql) and the page, from
     * one snapshot; no session, no row.  The count is a subquery of the
     * session's row (one primary-key probe), not a join: a LEFT JOIN was
     * planned as a hash join whose hash table was built, and its unmatched
     * rows scanned, for every page (about a tenth of the statement's CPU).
     * LIMIT and no OFFSET: a generic plan for an OFFSET parameter guesses a
     * tenth of the rows skipped and may walk orders_created_idx instead of
     * the applicant's index.
     * No ORDER BY outside: the session and its count are one row at most
     * (two primary keys), fenced in their own subquery (OFFSET 0), so the
     * one join left is the LATERAL one, a nested loop whose rows come in
     * the page's own order; a sort of the 20 rows on top cost about a fifth
     * of the statement (docs/performance.md) */
    {"orders_first",
     "SELECT s.user_id, s.partner_code, s.who, s.stale, s.total, o.id, o.order_no,"
     " o.business_type, o.subject, o.amount_fen,"
     " (o.created_at::date - date '2000-01-01') AS created,"
     " (o.updated_at::date - date '2000-01-01') AS updated, o.status, o.step"
     " FROM (SELECT s.user_id, s.partner_code, s.who,"
     " s.last_seen < now() - interval '60 seconds' AS stale,"
     " coalesce((SELECT c.n FROM order_counts c WHERE c.user_id = s.user_id), 0) AS total"
     " FROM sessions s"
     " WHERE s.token_hash = $1 AND s.idle_expires > now() AND s.absolute_expires > now()"
     " OFFSET 0) s"
     " LEFT JOIN LATERAL (SELECT id, order_no, business_type, subject, amount_fen, created_at,"
     " updated_at, status, step FROM orders WHERE user_id = s.user_id"
     " ORDER BY created_at DESC, id DESC LIMIT " PAGE_SIZE_S ") o ON true",
     1},
    /* the total without a filter */
    {"orders_total", "SELECT coalesce((SELECT n FROM order_counts WHERE user_id = $1), 0) AS total",
     1},
    {"orders_count",
     "SELECT count(*) AS total FROM orders WHERE user_id = $1"
     " AND ($2 = '' OR order_no = $2) AND ($3 = '' OR business_type = $3)"
     " AND ($4 = '' OR strpos(subject, $4) > 0) AND ($5 = '' OR status = $5)"
     " AND ($6 = '' OR created_at >= $6::date) AND ($7 = '' OR created_at < $7::date + 1)"
     " AND ($8 = '' OR partner_code = $8)",
     8},
    {"order_view",
     "SELECT o.id, o.order_no, o.business_type, o.subject, o.amount_fen, o.cert_fen,"
     " o.shipping_fen, o.status, o.step, o.cert_type, o.years, o.seal,"
     " to_char(o.created_at, 'YYYY-MM-DD HH24:MI') AS created,"
     " to_char(o.updated_at, 'YYYY-MM-DD HH24:MI') AS updated,"
     " coalesce(o.reject_reason, '') AS reject_reason, o.reject_reason_enc,"
     " p.name AS partner_name,"
     " coalesce(to_char(o.review_due, 'YYYY-MM-DD'), '') AS review_due,"
     " coalesce(o.waybill_no, '') AS waybill_no, coalesce(o.carrier, '') AS carrier,"
     " EXISTS (SELECT 1 FROM certificates c WHERE c.order_id = o.id AND c.state = 'issued'"
     " AND c.seal_item_id IS NULL AND c.p12_enc IS NOT NULL) AS has_medium,"
     /* the medium handed over (core/biz/custody.c): when and why */
     " coalesce((SELECT to_char(c.medium_destroyed_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI') FROM certificates c WHERE c.order_id = o.id AND c.state = 'issued'"
     " AND c.seal_item_id IS NULL AND c.p12_enc IS NULL), '') AS medium_gone_at,"
     " coalesce((SELECT c.medium_destroyed_why FROM certificates c WHERE c.order_id = o.id"
     " AND c.state = 'issued' AND c.seal_item_id IS NULL), '') AS medium_gone_why,"
     " o.partner_code,"
     /* the product's parts of the price (hall_price_parts) */
     " coalesce(pr.breakdown::text, '{}') AS breakdown,"
     " coalesce(pr.price_per_year_fen, 0) AS price_per_year_fen,"
     " coalesce(pr.fixed_fee_fen, 0) AS fixed_fee_fen,"
     " coalesce(pr.seal_fee_per_year_fen, 0) AS seal_fee_per_year_fen,"
     /* where the key is born (sql/151, sql/160): the order's origin and CA
      * (a replaced certificate's: its flows keep it), the issued
      * certificate's origin */
     " coalesce(order_key_origin(o.id) || '|' || coalesce((SELECT r.ca FROM certificates r"
     " WHERE r.serial = o.reissue_of), (SELECT x.ca FROM products x WHERE x.id = o.product_id)),"
     " '') AS key_how, coalesce((SELECT c.key_origin FROM certificates c WHERE c.order_id = o.id"
     " AND c.state = 'issued' AND c.seal_item_id IS NULL), '') AS cert_key_origin,"
     /* the USB key the certificate was written onto (sql/145) */
     " coalesce((SELECT c.medium_serial FROM certificates c WHERE c.order_id = o.id"
     " AND c.state = 'issued' AND c.seal_item_id IS NULL), '') AS medium_serial,"
     /* how its key's birth is known (sql/193): seen generated by the
      * station on the medium it produced, or reported by the holder's
      * 证书助手 (在线更新 / 在线变更), proven by the old key, unattested */
     " coalesce((SELECT c.medium_serial FROM certificates c WHERE c.order_id = o.id"
     " AND c.state = 'issued' AND c.seal_item_id IS NULL AND c.key_attested), '')"
     " AS key_station, coalesce((SELECT c.medium_serial FROM certificates c WHERE"
     " c.order_id = o.id AND c.state = 'issued' AND c.seal_item_id IS NULL"
     " AND NOT c.key_attested), '') AS key_holder,"
     /* the order's own certificate before a seal's (an SM2 seal order's
      * 机构业务证书 comes later, from the seal's key: issue 72 §4) */
     " coalesce((SELECT c.serial FROM certificates c WHERE c.order_id = o.id"
     " AND c.state IN ('issued', 'revoked')"
     " ORDER BY c.seal_item_id IS NULL DESC, c.issued_at DESC LIMIT 1), '') AS cert_serial,"
     /* a 更新, 变更 or 解锁 of a USB key's certificate: the 证书助手's
      * (modules/renew, modules/change, modules/unlock: /renew/assist,
      * /change/assist, /unlock/assist) */
     " coalesce((SELECT m.medium_serial FROM certificates m WHERE m.serial = o.reissue_of"
     " AND o.business_type IN ('renew', 'change', 'unlock')), '') AS assist_medium,"
     /* the order's certificate revoked (a 证书变更 supersedes it): when,
      * why, and the certificate that replaced it (hall_medium_revoked) */
     " coalesce((SELECT to_char(c.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') "
     "|| '|' || c.revoke_reason || '|' || coalesce((SELECT n.serial FROM orders r JOIN "
     "certificates n ON n.order_id = r.id AND n.state = 'issued' AND n.seal_item_id IS NULL WHERE "
     "r.reissue_of = c.serial ORDER BY n.issued_at DESC LIMIT 1), '') FROM certificates c WHERE "
     "c.order_id = o.id AND c.seal_item_id IS NULL AND c.state = 'revoked' AND NOT EXISTS (SELECT "
     "1 FROM certificates k WHERE k.order_id = o.id AND k.seal_item_id IS NULL AND k.state = "
     "'issued') ORDER BY c.revoked_at DESC LIMIT 1), '') AS cert_revoked,"
     " coalesce((SELECT y.refused_reason FROM payments y WHERE y.order_id = o.id"
     " ORDER BY y.attempt DESC LIMIT 1), '') AS transfer_refused, o.form_enc,"
     " coalesce(p.shipping_collect_carriers[1], 'SF') AS collect_carrier,"
     /* a 证书新办 whose price includes the 电子签章 (core/biz/sealprod.c:
      * sp_bundle), and its seal's state once made */
     " (o.business_type = 'new' AND o.cert_type IN ('org', 'person') AND (o.seal OR "
     "coalesce((SELECT"
     " x.breakdown ? '签章费' FROM products x WHERE x.id = o.product_id), false))) AS bundle_seal,"
     " coalesce((SELECT s.state || '|' || coalesce(c.state, '') || '|' ||"
     " to_char(s.valid_end AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') FROM seseals s"
     " LEFT JOIN certificates c ON c.serial = s.cert_serial WHERE s.order_id = o.id"
     " ORDER BY s.created_at DESC, s.es_id DESC LIMIT 1), '') AS bundle_seal_made"
     " FROM orders o JOIN partners p ON p.code = o.partner_code"
     " LEFT JOIN products pr ON pr.id = o.product_id"
     " WHERE o.id = $1 AND o.user_id = $2",
     2},
    {"refund_refused_note",
     "SELECT coalesce((SELECT note FROM refunds WHERE order_id = $1 AND kind = 'request'"
     " ORDER BY id DESC LIMIT 1) , '') AS note, coalesce((SELECT status FROM refunds"
     " WHERE order_id = $1 AND kind = 'request' ORDER BY id DESC LIMIT 1), '') AS status",
     1},
    {"center_order_history",
     "SELECT to_char(at, 'YYYY-MM-DD HH24:MI') AS at, coalesce(from_state, '') AS from_state,"
     " coalesce(to_state, '') AS to_state, action FROM audit_log WHERE entity = 'order' AND "
     "entity_id = $1 ORDER BY id",
     1},
    {"invoice_get",
     "SELECT invoice_no, url, to_char(issued_at, 'YYYY-MM-DD HH24:MI') AS issued,"
     " red_invoice_no, red_url, to_char(red_issued_at, 'YYYY-MM-DD HH24:MI') AS red_issued"
     " FROM invoices WHERE order_id = $1",
     1},
    /* 我的证书: the certificates of the applicant's orders (a burnt 'void'
     * serial is none), then the accepted orders whose certificate is not
     * begun yet (制作中, no serial); newest order first, an order's own
     * certificate before its seals' */
    /* 我的业务单-在线认证: the micro-deposits of the applicant's orders, newest
     * first, in Beijing time; latest: the order's last one (the one its
     * 待认证 or 金融认证 acts on) */
    {"finauth_list",
     "SELECT f.id, o.id AS order_id, o.order_no, o.subject, o.status, f.memo_kind, f.result,"
     " coalesce(f.fail_reason, '') AS fail_reason,"
     " to_char(f.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS created,"
     " coalesce(to_char(f.verified_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), '')"
     " AS verified,"
     " f.id = (SELECT max(l.id) FROM finauth_attempts l WHERE l.order_id = o.id) AS latest"
     " FROM finauth_attempts f JOIN orders o ON o.id = f.order_id WHERE o.user_id = $1"
     " ORDER BY f.id DESC LIMIT $2 OFFSET $3",
     3},
    {"certs_list",
     "SELECT c.serial, c.state, c.ca, c.subject_cn, c.subject_org,"
     " to_char(c.not_before AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_before,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " c.not_after <= now() AS expired, c.not_after <= now() + interval '30 days' AS expiring,"
     " coalesce(to_char(c.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS revoked_at, coalesce(c.revoke_reason, 0) AS revoke_reason, o.id AS order_id, o.order_no,"
     " o.partner_code, o.cert_type, coalesce(si.kind, '') AS seal_kind, coalesce(si.position, -1)"
     " AS seal_pos,"
     /* 补办 as core/flow/reissue_review.c allows it: not a seal's own certificate, none
      * pending, a reissue product of the order's partner for the type */
     " c.seal_item_id IS NULL AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND " HALL_CLAIM_LIVE_R ") AND EXISTS (SELECT 1 FROM products p"
     "  WHERE p.partner_code = o.partner_code AND p.business_type = 'reissue'"
     "  AND p.cert_type = o.cert_type AND p.active) AS reissuable,"
     /* 变更 the same way (modules/change) */
     " c.seal_item_id IS NULL AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND " HALL_CLAIM_LIVE_R ") AND EXISTS (SELECT 1 FROM products p"
     "  WHERE p.partner_code = o.partner_code AND p.business_type = 'change'"
     "  AND p.cert_type = o.cert_type AND p.active) AS changeable,"
     /* 更新 and 解锁 (modules/renew, modules/unlock) by the same rules, 更新
      * within its product's window (sql/059) */
     " c.seal_item_id IS NULL AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND " HALL_CLAIM_LIVE_R ") AND EXISTS (SELECT 1 FROM products p"
     "  WHERE p.partner_code = o.partner_code AND p.business_type = 'renew'"
     "  AND p.cert_type = o.cert_type AND p.active"
     "  AND now() >= c.not_after - make_interval(days => p.renew_before_days)"
     "  AND now() <= c.not_after + make_interval(days => p.renew_after_days)) AS renewable,"
     " c.seal_item_id IS NULL AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND " HALL_CLAIM_LIVE_R ") AND EXISTS (SELECT 1 FROM products p"
     "  WHERE p.partner_code = o.partner_code AND p.business_type = 'unlock'"
     "  AND p.cert_type = o.cert_type AND p.active) AS unlockable,"
     /* where its key was born (sql/153): the medium's line of 我的证书 */
     " c.key_origin, coalesce(c.medium_serial, '') AS medium_serial"
     " FROM certificates c JOIN orders o ON o.id = c.order_id"
     " LEFT JOIN seal_items si ON si.id = c.seal_item_id"
     " WHERE o.user_id = $1 AND c.state IN ('intent', 'issued', 'revoked')"
     " UNION ALL"
     " SELECT '', 'waiting', pr.ca, o.subject, '', '', '', false, false, '', 0, o.id, o.order_no,"
     " o.partner_code, o.cert_type, '', -1, false, false, false, false, '', ''"
     " FROM orders o JOIN products pr ON pr.id = o.product_id"
     " WHERE o.user_id = $1 AND o.status = 'accepted' AND NOT EXISTS (SELECT 1 FROM certificates c"
     " WHERE c.order_id = o.id AND c.state IN ('intent', 'issued') AND c.seal_item_id IS NULL)"
     " ORDER BY order_id DESC, seal_kind, seal_pos, serial LIMIT $2 OFFSET $3",
     3},
    /* the seals the applicant's certificates sign (seseals.cert_serial) */
    {"certs_seals",
     "SELECT s.cert_serial, s.es_id, s.state, i.kind,"
     " seal_shown_name(i.kind, i.seal_name, i.order_id) AS seal_name,"
     " i.holder_enc, s.order_id FROM seseals s JOIN seal_items i ON i.id = s.item_id"
     " JOIN orders o ON o.id = s.order_id"
     " WHERE o.user_id = $1 AND s.cert_serial IS NOT NULL ORDER BY i.kind, i.position, "
     "s.created_at",
     1},
    /* the owner's certificate as signed: public parts only (never p12_enc) */
    {"cert_own_der",
     "SELECT c.der, c.ca FROM certificates c JOIN orders o ON o.id = c.order_id"
     " WHERE c.serial = $1 AND o.user_id = $2 AND c.state IN ('issued', 'revoked')"
     " AND c.der IS NOT NULL",
     2},
    /* 撤销: the owner's signed certificate (FOR UPDATE in the confirming
     * transaction, so that two confirmations take turns) */
    {"revoke_cert",
     "SELECT c.serial, c.state, c.ca, c.subject_cn, c.subject_org, o.id AS order_id, o.order_no,"
     " o.cert_type, coalesce(si.kind, '') AS seal_kind,"
     " to_char(c.not_before AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_before,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " c.not_after <= now() AS expired, coalesce(c.revoke_reason, 0) AS revoke_reason,"
     " coalesce(to_char(c.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS revoked_at FROM certificates c JOIN orders o ON o.id = c.order_id"
     " LEFT JOIN seal_items si ON si.id = c.seal_item_id"
     " WHERE c.serial = $1 AND o.user_id = $2 AND c.state IN ('issued', 'revoked')",
     2},
    {"revoke_cert_lock",
     "SELECT c.state, c.not_after <= now() AS expired FROM certificates c"
     " JOIN orders o ON o.id = c.order_id"
     " WHERE c.serial = $1 AND o.user_id = $2 AND c.state IN ('issued', 'revoked') FOR UPDATE OF c",
     2},
    /* the valid seals the certificate signs: they stop being valid with it */
    {"revoke_seals",
     "SELECT i.kind, seal_shown_name(i.kind, i.seal_name, i.order_id) AS seal_name,"
     " i.holder_enc, s.es_id"
     " FROM seseals s JOIN seal_items i ON i.id = s.item_id"
     " WHERE s.cert_serial = $1 AND s.state = 'valid' ORDER BY i.kind, i.position, s.es_id",
     1},
    /* the orders under way that replace it (补办, and 更新, 变更, 解锁 alike:
     * orders.reissue_of) */
    {"revoke_orders",
     "SELECT id, order_no, business_type, status FROM orders WHERE reissue_of = $1"
     " AND status NOT IN ('cancelled', 'refunded', 'issued', 'shipped', 'delivered') ORDER BY id",
     1},
    {"revoke_orders_lock",
     "SELECT id, order_no, business_type, status FROM orders WHERE reissue_of = $1"
     " AND status NOT IN ('cancelled', 'refunded', 'issued', 'shipped', 'delivered') ORDER BY id"
     " FOR UPDATE",
     1},
    {"revoke_phone", "SELECT phone_enc FROM users WHERE id = $1", 1},
    {"revoke_done",
     "SELECT to_char(revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS at"
     " FROM certificates WHERE serial = $1",
     1},
    {NULL, NULL, 0},
};

/* the business types of the filter, the catalogue's (core/flow/catalog.def) */
/* ---- routes ----------------------------------------------------------------- */

/* each route's parameters, checked by the core before its handler runs */
static const struct hall_pspec refund_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {"reason", HALL_P_TEXT, 0, 2, 200, "退费原因", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec id_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec download_params[] = {
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {"format", HALL_P_TEXT, 0, 1, 8, "证书格式", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec revoke_view_params[] = {
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec revoke_params[] = {
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {"reason", HALL_P_CHOICE, 0, 0, 0, "撤销原因", center_revoke_reasons},
    {"code", HALL_P_SMSCODE, 0, 0, 0, "短信验证码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* the issuing CAs' and the root's certificates (no key), for the chain */
static int
center_init(struct hall_app *app)
{
    char err[512];

    if (hall_pki_load(&app->conf, 0, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    return HALL_OK;
}

static const struct hall_route center_routes[] = {
    {"GET", "/center/orders", center_orders_page, HALL_R_NOSESSION, NULL}, /* reads its own */
    {"GET", "/center/order", center_order_page, HALL_R_AUTH, NULL},
    {"POST", "/center/refund", center_do_refund, HALL_R_AUTH, refund_params},
    {"POST", "/center/invoice/resend", center_do_invoice_resend, HALL_R_AUTH, id_params},
    {"GET", "/center/finauth", center_finauth_page, HALL_R_AUTH, NULL},
    {"GET", "/center/certs", center_certs_page, HALL_R_AUTH, NULL},
    {"GET", "/center/cert/download", center_cert_download, HALL_R_AUTH, download_params},
    {"GET", "/center/cert/revoke", center_revoke_page, HALL_R_AUTH, revoke_view_params},
    {"POST", "/center/cert/revoke/code", center_revoke_code, HALL_R_AUTH, revoke_view_params},
    {"POST", "/center/cert/revoke", center_revoke_confirm, HALL_R_AUTH, revoke_params},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(center, center_routes, center_stmts, center_init)
