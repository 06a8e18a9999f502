/*
 * admin: the CA staff's console (SPEC step 10 and "Admin and reports").
 *
 *   GET  /admin                    start page: what the staff's roles may do
 *   GET  /admin/login              staff login (own accounts, own cookie)
 *   POST /admin/login              the password: a half session, on to the
 *                                  code (or, without a factor, enrolment)
 *   GET  /admin/login/code         the second factor: a TOTP code or a
 *   POST /admin/login/code         recovery code makes the session full
 *   GET  /admin/login/enrol        a member without a factor: QR code and
 *   POST /admin/login/enrol        secret, confirmed with a code; the ten
 *                                  recovery codes are shown once
 *   POST /admin/logout
 *   GET  /admin/review             review queue: status review by SLA due date
 *   GET  /admin/finance            corporate transfers waiting for finance
 *   GET  /admin/order?id=          every field, the materials, what changed
 *                                  since the last rejection, the history
 *   GET  /admin/file?id=           one uploaded material, as an attachment
 *   POST /admin/order/approve      review -> accepted (成功受理) + SMS
 *   POST /admin/order/reject       review -> rejected (审核驳回) + SMS
 *   POST /admin/transfer/confirm   transfer_review -> review (SLA starts)
 *   POST /admin/transfer/refuse    transfer_review -> unpaid
 *   POST /admin/finauth/unlock     a financial authentication locked after too
 *                                  many wrong codes may be typed again (finance)
 *   GET  /admin/outbox             dead outbox jobs (finance)
 *   POST /admin/outbox/retry       a dead job is tried again (finance)
 *   GET  /admin/refunds            the refunds to decide (finance)
 *   POST /admin/refund/approve     approve one; above refund_four_eyes_fen
 *                                  a request a second finance member approves
 *   POST /admin/refund/refuse
 *   GET  /admin/approvals          four eyes: the pending requests (吊销, 大额
 *                                  退费, staff accounts), who asked, when, why
 *   POST /admin/approvals/approve  a second person approves a refund or
 *                                  staff request (revocations: modules/pki)
 *   POST /admin/approvals/refuse
 *   GET  /admin/partners           the partners' webhooks and API keys (admin)
 *   GET  /admin/partner?code=      one partner; the forms that ask for a change
 *   POST /admin/partner/hook       ask: the webhook's URL and events set or
 *                                  cleared (four eyes, like the three below)
 *   POST /admin/partner/hook/secret  ask: a new webhook secret
 *   POST /admin/partner/key        ask: a new API key
 *   POST /admin/partner/key/revoke ask: an API key revoked
 *   POST /admin/partner/approve    a second administrator approves: done,
 *   POST /admin/partner/refuse     a new secret shown in this answer only
 *
 * Staff routes are HALL_R_STAFF: the core loads the staff session (never
 * the applicant's), checks the staff CSRF token and the roles the route
 * names (403).  Every status change goes through hall_order_move (409 when
 * the order is no longer where the staff saw it), and the SMS of a decision
 * is queued in the outbox in the same transaction.  docs/modules/admin.md.
 *
 * This file declares the module: its statements, its routes with their
 * parameters, main, and the helpers every page uses.  The handlers are in
 * its parts, by what they serve (their shared names in admin.h):
 *   admin_login.c     login, the second factor and its enrolment, logout
 *   admin_queue.c     the start page, the review and finance queues, the
 *                     outbox's dead jobs
 *   admin_order.c     one order (every field, materials, history), a file
 *   admin_decision.c  approve, reject, confirm or refuse a transfer; a
 *                     locked 金融认证 opened again
 *   admin_refund.c    refunds
 *   admin_approval.c  four eyes
 *   admin_partner.c   the partners' webhooks and API keys
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

/* who may do what: the routes below name these */
#define R_REVIEW       HALL_R_ROLES(HALL_ROLE_REVIEWER)
#define R_FINANCE      HALL_R_ROLES(HALL_ROLE_FINANCE)
#define R_READ_REVIEW  HALL_R_ROLES(HALL_ROLE_REVIEWER | HALL_ROLE_OPERATOR)
#define R_READ_FINANCE HALL_R_ROLES(HALL_ROLE_FINANCE | HALL_ROLE_OPERATOR)
#define R_READ_ORDER   HALL_R_ROLES(HALL_ROLE_REVIEWER | HALL_ROLE_FINANCE | HALL_ROLE_OPERATOR)
#define R_ADMIN        HALL_R_ROLES(HALL_ROLE_ADMIN)

/* read by these names (admin_order_val) */
#define ORDER_COLS                                                                                 \
    "o.id, o.order_no, o.partner_code, p.name AS partner_name, o.business_type, o.cert_type,"      \
    " o.years, o.seal, o.status, o.subject, o.amount_fen,"                                         \
    " to_char(o.submitted_at, 'YYYY-MM-DD HH24:MI') AS submitted_at,"                              \
    " coalesce(to_char(o.review_due, 'YYYY-MM-DD'), '') AS review_due,"                            \
    " coalesce(o.review_due < current_date, false) AS overdue,"                                    \
    " coalesce(o.review_due = current_date, false) AS due_today,"                                  \
    " o.rejected_rev IS NOT NULL AS resubmitted,"                                                  \
    " to_char(o.updated_at, 'YYYY-MM-DD HH24:MI') AS updated_at"

static const struct hall_stmt admin_stmts[] = {
    /* locked before the slow hash: parallel tries are counted one at a time */
    {"staff_by_login",
     "SELECT id, password_hash, coalesce(locked_until > now(), false) AS locked, active,"
     " totp_secret_enc IS NOT NULL AS enrolled, totp_pending_enc IS NOT NULL AS pending FROM staff"
     " WHERE login = $1 FOR UPDATE",
     1},
    /* the second factor (sql/073): the row locked, so that parallel codes of
     * one member are checked one after another */
    {"staff_factor_lock",
     "SELECT login, totp_secret_enc, totp_pending_enc, totp_last_step,"
     " coalesce(locked_until > now(), false) AS locked, active,"
     " extract(epoch FROM now())::bigint AS now_s FROM staff WHERE id = $1 FOR UPDATE",
     1},
    /* wrong codes on many members, wrong passwords on many logins, from one
     * client (sql/048's table, the member's or login's index in place of a
     * phone's) */
    {"login_client_blocked", "SELECT login_client_blocked($1, $2, $3) AS blocked", 3},
    {"queue_review",
     "SELECT " ORDER_COLS " FROM orders o JOIN partners p ON p.code = o.partner_code"
     " WHERE o.status = 'review' AND ($3 = '' OR o.order_no = $3 OR strpos(o.subject, $3) > 0)"
     " ORDER BY o.review_due NULLS LAST, o.submitted_at, o.id LIMIT $1 OFFSET $2",
     3},
    {"queue_review_count",
     "SELECT count(*) AS total, count(*) FILTER (WHERE review_due < current_date) AS overdue_total"
     " FROM orders"
     " WHERE status = 'review' AND ($1 = '' OR order_no = $1 OR strpos(subject, $1) > 0)",
     1},
    /* the search by an order number (order_no_shaped): its one row from
     * orders_order_no_key, not a scan of the whole queue for it */
    {"queue_review_no",
     "SELECT " ORDER_COLS " FROM orders o JOIN partners p ON p.code = o.partner_code"
     " WHERE o.order_no = $3 AND o.status = 'review' LIMIT $1 OFFSET $2",
     3},
    {"queue_review_no_count",
     "SELECT count(*) AS total, count(*) FILTER (WHERE review_due < current_date) AS overdue_total"
     " FROM orders WHERE order_no = $1 AND status = 'review'",
     1},
    {"queue_finance",
     "SELECT " ORDER_COLS " FROM orders o JOIN partners p ON p.code = o.partner_code"
     " WHERE o.status = 'transfer_review' AND ($3 = '' OR o.order_no = $3 OR strpos(o.subject, $3) "
     "> 0)"
     " ORDER BY o.updated_at, o.id LIMIT $1 OFFSET $2",
     3},
    {"queue_finance_count",
     "SELECT count(*) AS total, 0 AS overdue_total FROM orders WHERE status = 'transfer_review'"
     " AND ($1 = '' OR order_no = $1 OR strpos(subject, $1) > 0)",
     1},
    {"admin_order_get",
     "SELECT " ORDER_COLS ", o.form_enc, o.form_rev, o.rejected_rev,"
     " coalesce(o.reject_reason, '') AS reject_reason, o.reject_reason_enc,"
     " p.sms_business_name, o.cert_fen,"
     " o.shipping_fen, coalesce(o.project_id, '') AS project_id,"
     " to_char(o.created_at, 'YYYY-MM-DD HH24:MI') AS created_at,"
     " coalesce(p.sms_site, '') AS sms_site, coalesce(o.gift, '') AS gift,"
     " coalesce(to_char(o.ship_by, 'YYYY-MM-DD'), '') AS ship_by, o.no_publish,"
     /* the USB key its certificate was written onto (sql/145) */
     " coalesce((SELECT m.serial FROM media m WHERE m.order_id = o.id AND m.state = 'issued'"
     " ORDER BY m.created_at DESC LIMIT 1), '') AS medium_serial,"
     /* how its certificate's key's birth is known (sql/193): the station
      * saw it generated, or the holder's 证书助手 reported it (unattested) */
     " coalesce((SELECT c.medium_serial FROM certificates c WHERE c.order_id = o.id"
     " AND c.state = 'issued' AND c.seal_item_id IS NULL AND c.key_attested), '')"
     " AS key_station, coalesce((SELECT c.medium_serial FROM certificates c WHERE"
     " c.order_id = o.id AND c.state = 'issued' AND c.seal_item_id IS NULL"
     " AND NOT c.key_attested), '') AS key_holder"
     " FROM orders o JOIN partners p ON p.code = o.partner_code WHERE o.id = $1",
     1},
    /* 介质遗失补办 paid online by a unit: the PIN goes in the memo of the
     * micro-deposit made once approved (seed 004) */
    {"order_pin_deposit",
     "SELECT o.business_type = 'reissue' AND o.cert_type <> 'person' AND EXISTS ("
     " SELECT 1 FROM payments WHERE order_id = o.id AND status = 'paid' AND NOT surplus"
     " AND method <> 'transfer') AS due FROM orders o WHERE o.id = $1",
     1},
    {"order_files",
     "SELECT id, kind, mime, size, to_char(created_at, 'YYYY-MM-DD HH24:MI') AS uploaded_at,"
     " replaced_at IS NOT NULL AS replaced, removed_at IS NOT NULL AS removed FROM order_files"
     " WHERE order_id = $1"
     " ORDER BY replaced_at IS NOT NULL, kind, created_at, id",
     1},
    /* 证书变更: the data the replaced certificate was issued on (its order's form) */
    {"order_change_old",
     "SELECT c.serial, c.subject_cn, c.subject_org, co.form_enc FROM orders o"
     " JOIN certificates c ON c.serial = o.reissue_of JOIN orders co ON co.id = c.order_id"
     " WHERE o.id = $1 AND o.business_type = 'change'",
     1},
    /* 签章信息 of a 电子签章申请 order: each seal as it will be made */
    {"order_seals",
     "SELECT id, kind, position, years, style, coalesce(seal_name, '') AS seal_name, holder_enc,"
     " holder_verified_idx, image_png IS NOT NULL AS has_image, image_confirmed,"
     /* a 机构个人章's key, its holder's to make (sql/159) */
     " key_code_mac IS NOT NULL AS key_waiting, key_made_at IS NOT NULL AS key_made FROM seal_items"
     " WHERE order_id = $1"
     " ORDER BY CASE kind WHEN 'org' THEN 0 WHEN 'org_business' THEN 1 ELSE 2 END, position",
     1},
    {"file_get",
     "SELECT f.stored_name, f.mime, f.kind, o.order_no FROM order_files f"
     " JOIN orders o ON o.id = f.order_id WHERE f.id = $1",
     1},
    {"revision_get", "SELECT form_enc FROM order_revisions WHERE order_id = $1 AND rev = $2", 2},
    {"admin_order_history",
     "SELECT to_char(a.at, 'YYYY-MM-DD HH24:MI:SS') AS at, a.actor, coalesce(s.login, '') AS login,"
     " a.action, coalesce(a.from_state, '') AS from_state, coalesce(a.to_state, '') AS to_state,"
     " coalesce(a.detail->>'reason', '') AS reason,"
     " coalesce(a.detail->>'invoice_no', a.detail->>'trade_no', a.detail->>'transfer_no', '')"
     " AS ref, coalesce(a.detail->>'tries', '') AS tries"
     " FROM audit_log a LEFT JOIN staff s ON a.actor = 'staff:' || s.id"
     " WHERE a.entity = 'order' AND a.entity_id = $1 ORDER BY a.id",
     1},
    /* finance unlocks the newest micro-deposit of an order: its code may be
     * typed again (modules/finauth counts tries from 0) */
    {"finauth_latest",
     "SELECT a.id, a.result, a.tries, o.status, a.memo_kind FROM finauth_attempts a JOIN orders o"
     " ON o.id = a.order_id WHERE a.order_id = $1 ORDER BY a.id DESC LIMIT 1",
     1},
    /* 证书解锁 of a USB key (core/biz/medium_unlock.c): its ticket's phase */
    {"order_unlock_ticket",
     "SELECT t.state, t.wrong_tries, t.code_hash IS NOT NULL AS has_code,"
     " t.code_at + interval '2 hours' < now() AS code_expired,"
     " coalesce(to_char(t.code_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS code_at,"
     " coalesce(to_char(t.released_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS released_at,"
     " coalesce(to_char(t.rotated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS rotated_at, t.medium_serial"
     " FROM unlock_tickets t WHERE t.order_id = $1",
     1},
    {"finauth_lock",
     "SELECT a.id, a.result, a.tries, a.memo_kind FROM finauth_attempts a WHERE a.order_id = $1"
     " ORDER BY a.id DESC LIMIT 1 FOR UPDATE",
     1},
    {"outbox_dead",
     "SELECT id, kind, idem_key, attempts, coalesce(last_error, '') AS last_error,"
     " to_char(created_at, 'YYYY-MM-DD HH24:MI:SS') AS created_at,"
     " to_char(next_attempt_at, 'YYYY-MM-DD HH24:MI:SS') AS next_attempt_at"
     " FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT 200",
     0},
    {"outbox_exists", "SELECT 1 FROM outbox WHERE id = $1", 1},
    {"outbox_wake", "SELECT pg_notify('outbox', $1)", 1},
    /* refunds (issue 9): requests to decide, surplus and approved ones on
     * their way through the gateway, then the last finished ones */
    {"refunds_open",
     "SELECT r.id, r.kind, r.status, r.amount_fen, coalesce(r.reason, '') AS reason,"
     " to_char(r.created_at, 'YYYY-MM-DD HH24:MI') AS created_at, o.id AS order_id, o.order_no,"
     " o.subject, p.method, pt.name AS partner_name, coalesce(r.note, '') AS note,"
     " coalesce(to_char(r.done_at, 'YYYY-MM-DD HH24:MI'), '') AS done_at,"
     " coalesce((SELECT s.login FROM staff_requests q JOIN staff s ON s.id = q.requested_by"
     " WHERE q.kind = 'refund' AND q.subject = r.id::text AND q.state = 'pending'), '')"
     " AS awaiting_by"
     " FROM refunds r JOIN orders o ON o.id = r.order_id JOIN payments p ON p.id = r.payment_id"
     " JOIN partners pt ON pt.code = o.partner_code"
     " WHERE ($1 AND r.status IN ('requested', 'approved'))"
     " OR (NOT $1 AND r.status IN ('done', 'refused', 'manual'))"
     " ORDER BY r.status = 'requested' DESC, r.created_at DESC, r.id DESC LIMIT $2",
     2},
    /* four eyes: what waits for a second person, then the last decided */
    {"approvals_list",
     "SELECT r.id, r.kind, r.subject, r.reason, r.payload::text AS payload, r.requested_by,"
     " s.login AS requested_login, r.state, coalesce(d.login, '') AS decided_login,"
     " coalesce(r.decision_note, '') AS decision_note,"
     " to_char(r.created_at, 'YYYY-MM-DD HH24:MI') AS created_at,"
     " coalesce(to_char(r.decided_at, 'YYYY-MM-DD HH24:MI'), '') AS decided_at,"
     /* a refund's order, named beside it */
     " coalesce(o.order_no, '') AS order_no, coalesce(o.id, 0) AS order_id"
     " FROM staff_requests r JOIN staff s ON s.id = r.requested_by"
     " LEFT JOIN staff d ON d.id = r.decided_by"
     " LEFT JOIN refunds f ON r.kind = 'refund' AND f.id::text = r.subject"
     " LEFT JOIN orders o ON o.id = f.order_id"
     " WHERE ($1 AND r.state = 'pending') OR (NOT $1 AND r.state <> 'pending')"
     " ORDER BY CASE WHEN $1 THEN r.created_at END, r.decided_at DESC, r.id LIMIT $2",
     2},
    /* the partners' webhooks and API keys (admin_partner.c) */
    {"partners_list",
     "SELECT p.code, p.name, p.active, coalesce(p.hook_url, '') AS hook_url,"
     " array_to_string(p.hook_events, ',') AS hook_events, p.hook_secret_enc,"
     " p.hook_secret IS NOT NULL AS hook_secret_clear,"
     " (SELECT count(*) FROM partner_events e JOIN outbox o ON o.id = e.outbox_id"
     "  WHERE e.partner_code = p.code AND o.status = 'dead') AS dead,"
     " (SELECT count(*) FROM partner_events e JOIN outbox o ON o.id = e.outbox_id"
     "  WHERE e.partner_code = p.code AND o.status = 'pending' AND o.attempts > 0) AS failing"
     " FROM partners p WHERE $1 = '' OR p.code = $1 ORDER BY p.code = 'hall' DESC, p.code",
     1},
    {"partner_keys_list",
     "SELECT key_id, partner_code, secret_enc, to_char(not_after, 'YYYY-MM-DD HH24:MI') AS "
     "not_after,"
     " coalesce(to_char(revoked_at, 'YYYY-MM-DD HH24:MI'), '') AS revoked_at,"
     " to_char(created_at, 'YYYY-MM-DD HH24:MI') AS created_at,"
     " CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN not_after <= now() THEN 'expired'"
     " ELSE 'active' END AS state"
     " FROM partner_api_keys WHERE $1 = '' OR partner_code = $1"
     " ORDER BY partner_code, revoked_at IS NOT NULL, not_after DESC, key_id",
     1},
    {"partner_key_row",
     "SELECT key_id, partner_code, revoked_at IS NOT NULL AS revoked, not_after <= now() AS expired"
     " FROM partner_api_keys WHERE key_id = $1",
     1},
    {"partner_failed_events",
     "SELECT e.id AS event_id, e.event, o.status, o.attempts, coalesce(o.last_error, '') AS"
     " last_error, to_char(e.occurred_at, 'YYYY-MM-DD HH24:MI:SS') AS occurred_at, o.id AS job"
     " FROM partner_events e JOIN outbox o ON o.id = e.outbox_id"
     " WHERE e.partner_code = $1 AND o.last_error IS NOT NULL AND o.status <> 'done'"
     " ORDER BY e.id DESC LIMIT 20",
     1},
    {"partner_requests_pending",
     "SELECT r.id, r.kind, r.subject, r.reason, r.payload::text AS payload, r.requested_by,"
     " s.login AS requested_login, to_char(r.created_at, 'YYYY-MM-DD HH24:MI') AS created_at"
     " FROM staff_requests r JOIN staff s ON s.id = r.requested_by"
     " WHERE r.state = 'pending' AND r.kind LIKE 'partner\\_%' AND r.payload ->> 'partner' = $1"
     " ORDER BY r.id",
     1},
    {"partner_row_lock",
     "SELECT code, name, coalesce(hook_url, '') AS hook_url,"
     " array_to_string(hook_events, ',') AS hook_events,"
     " hook_secret_enc IS NOT NULL OR hook_secret IS NOT NULL AS has_secret"
     " FROM partners WHERE code = $1 FOR UPDATE",
     1},
    {NULL, NULL, 0},
};

/* ---- routes ----------------------------------------------------------------- */

/* each route's parameters, checked by the core before its handler runs */
static const struct hall_pspec login_params[] = {
    {"login", HALL_P_TEXT, 0, 1, 32, "登录名", NULL},
    {"password", HALL_P_TEXT, 0, 1, 128, "密码", NULL},
    {"next", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 500, "跳转地址", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec code_params[] = {
    {"code", HALL_P_TEXT, 0, 1, 32, "动态验证码", NULL},
    {"next", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 500, "跳转地址", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec queue_params[] = {
    {"page", HALL_P_INT, HALL_PF_OPTIONAL, 1, 100000, "页码", NULL},
    {"q", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 100, "搜索", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec id_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec reject_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {"reason", HALL_P_TEXT, 0, 1, 200, "驳回原因", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec refuse_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {"reason", HALL_P_TEXT, 0, 1, 200, "退回原因", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec refund_approve_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "退费编号", NULL},
    {"note", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 200, "退款说明", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec refund_refuse_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "退费编号", NULL},
    {"reason", HALL_P_TEXT, 0, 1, 200, "不予退费的原因", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec approval_decide_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "申请编号", NULL},
    {"note", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 200, "处理意见", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* a partner's webhook and API keys (admin_partner.c) */
static const char *const partner_yes_no[] = {"0", "1", NULL};

static const struct hall_pspec partner_code_params[] = {
    {"code", HALL_P_TEXT, 0, 2, 32, "合作方", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec partner_hook_params[] = {
    {"code", HALL_P_TEXT, 0, 2, 32, "合作方", NULL},
    {"url", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 500, "回调地址", NULL},
    {"events", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 200, "回调事件", NULL},
    {"new_secret", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "生成新的回调密钥", partner_yes_no},
    {"reason", HALL_P_TEXT, 0, 1, 200, "申请理由", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec partner_secret_params[] = {
    {"code", HALL_P_TEXT, 0, 2, 32, "合作方", NULL},
    {"reason", HALL_P_TEXT, 0, 1, 200, "申请理由", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec partner_key_params[] = {
    {"code", HALL_P_TEXT, 0, 2, 32, "合作方", NULL},
    {"key_id", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "密钥编号", NULL},
    {"days", HALL_P_INT, HALL_PF_OPTIONAL, 1, 1095, "有效期（天）", NULL},
    {"reason", HALL_P_TEXT, 0, 1, 200, "申请理由", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec partner_revoke_params[] = {
    {"code", HALL_P_TEXT, 0, 2, 32, "合作方", NULL},
    {"key_id", HALL_P_TEXT, 0, 1, 64, "密钥编号", NULL},
    {"reason", HALL_P_TEXT, 0, 1, 200, "申请理由", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_route admin_routes[] = {
    {"GET", "/admin", admin_home_page, HALL_R_STAFF, NULL},
    {"GET", "/admin/login", admin_login_page, 0, NULL},
    {"POST", "/admin/login", admin_do_login, 0, login_params},
    {"GET", "/admin/login/code", admin_code_page, HALL_R_STAFF | HALL_R_STAFF_HALF, NULL},
    {"POST", "/admin/login/code", admin_do_code, HALL_R_STAFF | HALL_R_STAFF_HALF, code_params},
    {"GET", "/admin/login/enrol", admin_enrol_page, HALL_R_STAFF | HALL_R_STAFF_HALF, NULL},
    {"POST", "/admin/login/enrol", admin_do_enrol, HALL_R_STAFF | HALL_R_STAFF_HALF, code_params},
    {"POST", "/admin/logout", admin_do_logout, HALL_R_STAFF | HALL_R_STAFF_HALF, NULL},
    {"GET", "/admin/review", admin_review_queue, HALL_R_STAFF | R_READ_REVIEW, queue_params},
    {"GET", "/admin/finance", admin_finance_queue, HALL_R_STAFF | R_READ_FINANCE, queue_params},
    {"GET", "/admin/order", admin_order_page, HALL_R_STAFF | R_READ_ORDER, id_params},
    {"GET", "/admin/file", admin_file_download, HALL_R_STAFF | R_READ_ORDER, id_params},
    {"POST", "/admin/order/approve", admin_do_approve, HALL_R_STAFF | R_REVIEW, id_params},
    {"POST", "/admin/order/reject", admin_do_reject, HALL_R_STAFF | R_REVIEW, reject_params},
    {"POST", "/admin/transfer/confirm", admin_do_confirm, HALL_R_STAFF | R_FINANCE, id_params},
    {"POST", "/admin/transfer/refuse", admin_do_refuse, HALL_R_STAFF | R_FINANCE, refuse_params},
    {"POST", "/admin/finauth/unlock", admin_do_finauth_unlock, HALL_R_STAFF | R_FINANCE, id_params},
    {"POST", "/admin/unlock/code-reset", admin_do_unlock_code_reset, HALL_R_STAFF | R_REVIEW,
     id_params},
    {"GET", "/admin/outbox", admin_outbox_page, HALL_R_STAFF | R_FINANCE, NULL},
    {"POST", "/admin/outbox/retry", admin_do_outbox_retry, HALL_R_STAFF | R_FINANCE, id_params},
    {"GET", "/admin/refunds", admin_refunds_page, HALL_R_STAFF | R_READ_FINANCE, NULL},
    {"POST", "/admin/refund/approve", admin_do_refund_approve, HALL_R_STAFF | R_FINANCE,
     refund_approve_params},
    {"POST", "/admin/refund/refuse", admin_do_refund_refuse, HALL_R_STAFF | R_FINANCE,
     refund_refuse_params},
    {"GET", "/admin/approvals", admin_approvals_page, HALL_R_STAFF, NULL},
    {"POST", "/admin/approvals/approve", admin_do_approvals_approve, HALL_R_STAFF,
     approval_decide_params},
    {"POST", "/admin/approvals/refuse", admin_do_approvals_refuse, HALL_R_STAFF,
     approval_decide_params},
    {"GET", "/admin/partners", admin_partners_page, HALL_R_STAFF | R_ADMIN, NULL},
    {"GET", "/admin/partner", admin_partner_page, HALL_R_STAFF | R_ADMIN, partner_code_params},
    {"POST", "/admin/partner/hook", admin_do_partner_hook, HALL_R_STAFF | R_ADMIN,
     partner_hook_params},
    {"POST", "/admin/partner/hook/secret", admin_do_partner_secret, HALL_R_STAFF | R_ADMIN,
     partner_secret_params},
    {"POST", "/admin/partner/key", admin_do_partner_key, HALL_R_STAFF | R_ADMIN,
     partner_key_params},
    {"POST", "/admin/partner/key/revoke", admin_do_partner_key_revoke, HALL_R_STAFF | R_ADMIN,
     partner_revoke_params},
    {"POST", "/admin/partner/approve", admin_do_partner_approve, HALL_R_STAFF | R_ADMIN,
     approval_decide_params},
    {"POST", "/admin/partner/refuse", admin_do_partner_refuse, HALL_R_STAFF | R_ADMIN,
     approval_decide_params},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(admin, admin_routes, admin_stmts, NULL)
