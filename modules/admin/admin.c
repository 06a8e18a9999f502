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
 *
 * Staff routes are HALL_R_STAFF: the core loads the staff session (never
 * the applicant's), checks the staff CSRF token and the roles the route
 * names (403).  Every status change goes through hall_order_move (409 when
 * the order is no longer where the staff saw it), and the SMS of a decision
 * is queued in the outbox in the same transaction.  docs/modules/admin.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hall.h"

#define QUEUE_PAGE 50

/* who may do what: the routes below name these */
#define R_REVIEW       HALL_R_ROLES(HALL_ROLE_REVIEWER)
#define R_FINANCE      HALL_R_ROLES(HALL_ROLE_FINANCE)
#define R_READ_REVIEW  HALL_R_ROLES(HALL_ROLE_REVIEWER | HALL_ROLE_OPERATOR)
#define R_READ_FINANCE HALL_R_ROLES(HALL_ROLE_FINANCE | HALL_ROLE_OPERATOR)
#define R_READ_ORDER   HALL_R_ROLES(HALL_ROLE_REVIEWER | HALL_ROLE_FINANCE | HALL_ROLE_OPERATOR)

/* read by these names (order_val) */
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
    {"login_client_failed", "SELECT login_client_failed($1, $2)", 2},
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
     " coalesce(o.reject_reason, '') AS reject_reason, p.sms_business_name, o.cert_fen,"
     " o.shipping_fen, coalesce(o.project_id, '') AS project_id,"
     " to_char(o.created_at, 'YYYY-MM-DD HH24:MI') AS created_at,"
     " coalesce(p.sms_site, '') AS sms_site, coalesce(o.gift, '') AS gift,"
     " coalesce(to_char(o.ship_by, 'YYYY-MM-DD'), '') AS ship_by, o.no_publish"
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
     " holder_verified_idx, image_png IS NOT NULL AS has_image, image_confirmed FROM seal_items"
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
    /* attempts start again at 0: the job gets outbox_max_attempts more */
    {"outbox_retry",
     "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now(),"
     " last_error = NULL WHERE id = $1 AND status = 'dead' RETURNING kind, idem_key",
     1},
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
    {NULL, NULL, 0},
};

/* ---- helpers ------------------------------------------------------------- */

/* the console lives at /admin only, not below a partner's prefix */
static int
partner_path(struct hall_req *req)
{
    return hall_staff_elsewhere(req);
}

/* JSON only when asked for it by name: a bare fetch() still gets the page */
static int
json_asked(const struct hall_req *req)
{
    return req->accept != NULL && strstr(req->accept, "application/json") != NULL;
}

/* 业务类型 as lists show it, and as the SMS texts name it (seed 002:
 * 新申请业务): the catalogue's (core/flow/catalog.def) */
static const char *
business_label(const char *code, int sms)
{
    const struct hall_business *b = hall_business_get(code);

    return b == NULL ? code : sms ? b->sms : b->label;
}

/* uploaded materials (SPEC step 6, step 8's voucher): the catalogue's; a
 * per-person one names its person by the position the order lists them in
 * (电子签章: holder_id_2 is the second 机构个人章's holder) */
static const char *
material_label(struct hall_pool *pool, const char *kind)
{
    int n;
    const struct hall_material *m = hall_material_each(kind, &n);

    if (m != NULL && n > 0)
        return hall_psprintf(pool, "%s（第%d枚机构个人章）", m->label, n);
    return hall_material_label(kind);
}

/* form fields as the applicant saw them, in the catalogue's order and
 * groups (core/flow/catalog.def), with the staff's labels; members not listed
 * come last */
static const char *
form_label(const char *name)
{
    const struct hall_field *f = hall_field_get(name);

    return f != NULL ? f->staff_label : name;
}

static int
form_known(const char *name)
{
    return hall_field_get(name) != NULL;
}

/* a form member as text: coded choices in words, other scalars as JSON */
static const char *
form_text(struct hall_req *req, const struct hall_val *v)
{
    if (v == NULL || v->type == HALL_V_NULL)
        return "";
    if (v->type == HALL_V_STR) {
        if (v->key != NULL && strcmp(v->key, "shipping") == 0)
            return strcmp(v->str, "prepaid") == 0 ? "寄付" : "到付";
        if (v->key != NULL && strcmp(v->key, "invoice") == 0)
            return strcmp(v->str, "yes") == 0 ? "电子发票" : "不开票";
        if (v->key != NULL && strcmp(v->key, "invoice_title_type") == 0)
            return strcmp(v->str, "org") == 0 ? "单位" : (*v->str ? "个人" : "");
        return v->str;
    }
    if (v->type == HALL_V_INT)
        return hall_psprintf(req->pool, "%lld", (long long)v->i);
    if (v->type == HALL_V_BOOL)
        return v->i ? "是" : "否";
    return hall_val_json(req->pool, v, NULL);
}

static const char *
form_str(const struct hall_val *form, const char *name)
{
    const struct hall_val *v = form != NULL ? hall_val_get(form, name) : NULL;

    return v != NULL && v->type == HALL_V_STR ? v->str : "";
}

/* decrypts a form_enc column; an empty object for NULL, NULL when unreadable */
static struct hall_val *
form_of(struct hall_req *req, const struct hall_dbres *res, int col)
{
    return hall_dbres_pii_json(req->cx, res, 0, col);
}

static struct hall_val *
page_ctx(struct hall_req *req, const char *title)
{
    struct hall_val *ctx = hall_staff_page(req, title);
    unsigned roles = req->staff != NULL ? req->staff->roles : 0;

    hall_val_set_bool(req->pool, ctx, "can_review", (roles & HALL_ROLE_REVIEWER) != 0);
    hall_val_set_bool(req->pool, ctx, "can_finance", (roles & HALL_ROLE_FINANCE) != 0);
    hall_val_set_bool(req->pool, ctx, "nav_report", (roles & HALL_ROLE_REPORT) != 0);
    return ctx;
}

/* one order row of ORDER_COLS as a value */
static struct hall_val *
order_val(struct hall_req *req, struct hall_val *o, const struct hall_dbres *res, int i)
{
    const char *status = hall_dbres_str(res, i, "status");
    const char *label = hall_order_label(status);

    hall_dbres_set(req->pool, o, res, i,
                   "id:i order_no partner=partner_code partner_name business_type");
    hall_val_set_str(req->pool, o, "business_label",
                     business_label(hall_dbres_str(res, i, "business_type"), 0));
    hall_val_set_str(req->pool, o, "cert_type", hall_dbres_str(res, i, "cert_type"));
    hall_val_set_str(req->pool, o, "cert_type_label",
                     hall_cert_type_label(hall_dbres_str(res, i, "cert_type")));
    hall_dbres_set(req->pool, o, res, i, "years:i seal:b");
    hall_val_set_str(req->pool, o, "status", status);
    hall_val_set_str(req->pool, o, "status_label", label != NULL ? label : status);
    hall_dbres_set(req->pool, o, res, i, "subject amount_fen:i");
    hall_val_set_str(req->pool, o, "amount",
                     hall_yuan(req->pool, hall_dbres_int(res, i, "amount_fen")));
    hall_val_set_str(req->pool, o, "submitted_at",
                     (hall_dbres_str(res, i, "submitted_at") == NULL)
                         ? ""
                         : hall_dbres_str(res, i, "submitted_at"));
    hall_dbres_set(req->pool, o, res, i,
                   "review_due overdue:b due_today:b resubmitted:b updated_at");
    return o;
}

/* ---- login ------------------------------------------------------------------ */

/* where to go after login: a local path below /admin, else the start page */
static const char *
next_of(struct hall_req *req)
{
    const char *next = hall_req_param(req, "next");

    /* the console, or the reports (modules/report) */
    if (hall_local_path(next) && strncmp(next, "/report", 7) == 0 &&
        (next[7] == '/' || next[7] == '?' || next[7] == '\0') && strpbrk(next, "\r\n\\") == NULL &&
        strstr(next, "//") == NULL && strlen(next) < 512)
        return next;
    if (hall_local_path(next) && strncmp(next, "/admin", 6) == 0 &&
        (next[6] == '/' || next[6] == '?' || next[6] == '\0') && strpbrk(next, "\r\n\\") == NULL &&
        strstr(next, "//") == NULL && strlen(next) < 512)
        return next;
    return "/admin";
}

static int
login_page(struct hall_req *req)
{
    struct hall_val *ctx;

    if (partner_path(req))
        return HALL_OK;
    ctx = page_ctx(req, "管理后台登录");
    hall_val_set_str(req->pool, ctx, "next", next_of(req));
    return hall_resp_page(req, 200, "admin_login", ctx);
}

static const struct hall_pspec login_params[] = {
    {"login", HALL_P_TEXT, 0, 1, 32, "登录名", NULL},
    {"password", HALL_P_TEXT, 0, 1, 128, "密码", NULL},
    {"next", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 500, "跳转地址", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* ---- the second factor (RFC 6238, core/base/totp.c) ------------------------- */

#define SECRET_BYTES    20 /* 160 bits, RFC 4226's recommendation */
#define RECOVERY_CODES  10
#define CODE_CLIENT_MAX 10  /* members one client may type wrong codes for ... */
#define CODE_CLIENT_S   600 /* ... within this window (as the applicants' logins) */
#define PW_CLIENT_MAX   10  /* logins one client may type wrong passwords for ... */
#define PW_CLIENT_S     600 /* ... within this window */

/* a secret shown on the enrolment page until a code confirms it */
static int
totp_pending_new(struct hall_req *req, int64_t id)
{
    unsigned char raw[SECRET_BYTES];
    const char *b32;
    unsigned char *enc;
    size_t n;

    hall_rand_bytes(raw, sizeof(raw));
    b32 = hall_base32_encode(req->pool, raw, sizeof(raw));
    enc = hall_pii_encrypt(req->pool, b32, strlen(b32), &n);
    return hall_staff_totp_pending(req->cx, id, enc, n) != NULL ? HALL_OK : HALL_ERR;
}

/* the base32 secret of a bytea column, decrypted; NULL when absent */
static const char *
secret_of(struct hall_req *req, const struct hall_dbres *res, const char *col)
{
    unsigned char *enc;
    size_t n;

    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, col), &n);
    if (enc == NULL)
        return NULL;
    return hall_pii_decrypt(req->pool, enc, n);
}

/* obj[name] = a copy of the list from[name] (strings) */
static void
list_copy(struct hall_req *req, struct hall_val *obj, const struct hall_val *from, const char *name)
{
    struct hall_val *dst = hall_val_set_list(req->pool, obj, name);
    const struct hall_val *src = hall_val_get(from, name), *v;

    for (v = src != NULL ? src->first : NULL; v != NULL; v = v->next)
        hall_val_push_str(req->pool, dst, v->str);
}

/* ten new recovery codes replace the member's old ones; also as ctx's list */
static struct hall_val *
recovery_new(struct hall_req *req, int64_t id, struct hall_val *ctx)
{
    static const char alphabet[] = "23456789abcdefghjkmnpqrstuvwxyz"; /* no 0 1 i l o */
    struct hall_val *list = hall_val_set_list(req->pool, ctx, "recovery_codes");
    int i, j;

    if (hall_staff_recovery_clear(req->cx, id) == NULL)
        return NULL;
    for (i = 0; i < RECOVERY_CODES; i++) {
        char code[HALL_STAFF_RECOVERY_LEN + 2];
        unsigned char h[32];
        size_t o = 0;

        for (j = 0; j < HALL_STAFF_RECOVERY_LEN; j++) {
            if (j == HALL_STAFF_RECOVERY_LEN / 2)
                code[o++] = '-';
            code[o++] = alphabet[hall_rand_below(sizeof(alphabet) - 1)];
        }
        code[o] = '\0';
        if (hall_staff_recovery_hash(id, code, h) != HALL_OK ||
            hall_staff_recovery_add(req->cx, id, h) == NULL)
            return NULL;
        hall_val_push_str(req->pool, list, code);
    }
    return list;
}

/* the client's address as the applicants' login counts it, marked as the
 * staff's: wrong codes, wrong staff passwords and applicants' wrong
 * passwords are counted apart (sql/048's table, a 64-character client) */
static const char *
client_as(struct hall_req *req, const char *mark)
{
    const char *a = req->remote_addr;

    if (a == NULL || *a == '\0' || strlen(a) > 64 - strlen(mark))
        a = "unknown";
    return hall_psprintf(req->pool, "%s%s", mark, a);
}

static const char *
client_of(struct hall_req *req)
{
    return client_as(req, "staff:");
}

/*
 * A wrong code (inside the transaction that locked the member's row): it
 * counts toward the account's lock as a wrong password does, and toward the
 * client's limit on members; committed.  The message to answer in *msg.
 */
static int
code_failed(struct hall_req *req, int64_t id, enum hall_msg_code *msg)
{
    const char *sid = hall_psprintf(req->pool, "%lld", (long long)id);
    unsigned char idx[32];
    int64_t fails;
    int rc;

    hall_pii_index("staff-code", sid, idx);
    rc = hall_staff_failed(req->cx, id, hall_psprintf(req->pool, "staff:%s", sid), &fails);
    if (rc == HALL_ERR || hall_db_exec(req->cx, "login_client_failed", HALL_STR(client_of(req)),
                                       HALL_BIN(idx, 32)) == NULL)
        return HALL_ERR;
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_warn(req, "msg=\"staff code wrong\" staff=%s fails=%lld", sid, (long long)fails);
    *msg = rc == HALL_CONFLICT ? HALL_M_STAFF_CODE_LOCKED : HALL_M_STAFF_CODE_WRONG;
    return HALL_OK;
}

/* before a code is looked at: the client not over its limit, the row
 * locked; HALL_OK to go on, else the message to answer in *msg (HALL_M_BUSY
 * for a database error) */
static int
code_gate(struct hall_req *req, struct hall_dbres **row, enum hall_msg_code *msg)
{
    struct hall_dbres *res;

    *msg = HALL_M_BUSY;
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "login_client_blocked", HALL_STR(client_of(req)),
                       HALL_I64(CODE_CLIENT_S), HALL_I64(CODE_CLIENT_MAX));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_bool(res, 0, "blocked")) {
        hall_warn(req, "msg=\"staff codes refused\" reason=client_failures");
        *msg = HALL_M_STAFF_CODE_CLIENT_LIMIT;
        return HALL_ERR;
    }
    res = hall_db_exec(req->cx, "staff_factor_lock", HALL_I64(req->staff->id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0 || !hall_dbres_bool(res, 0, "active")) {
        *msg = HALL_M_STAFF_LOGIN_FIRST;
        return HALL_ERR;
    }
    if (hall_dbres_bool(res, 0, "locked")) {
        *msg = HALL_M_STAFF_LOGIN_LOCKED;
        return HALL_ERR;
    }
    *row = res;
    return HALL_OK;
}

/* the full session, in the transaction of the accepted code */
static int
factor_done(struct hall_req *req, const char *how)
{
    int64_t id = req->staff->id;
    const char *sid = hall_psprintf(req->pool, "%lld", (long long)id);
    struct hall_val *detail = hall_val_obj(req->pool);

    hall_val_set_str(req->pool, detail, "factor", how);
    if (hall_staff_login_ok(req->cx, id) == NULL ||
        hall_staff_session_create(req, id, 1) != HALL_OK ||
        hall_audit(req->cx, hall_staff_actor(req), "staff", sid, "login", NULL, NULL, detail) !=
            HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}

static const struct hall_pspec code_params[] = {
    {"code", HALL_P_TEXT, 0, 1, 32, "动态验证码", NULL},
    {"next", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 500, "跳转地址", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* "123 456" -> "123456"; anything else as typed */
static const char *
code_digits(struct hall_req *req, const char *typed)
{
    char *out = hall_pstrdup(req->pool, typed);
    size_t o = 0, i;

    for (i = 0; typed[i] != '\0'; i++)
        if (typed[i] != ' ')
            out[o++] = typed[i];
    out[o] = '\0';
    return out;
}

static int
code_page(struct hall_req *req)
{
    struct hall_val *ctx;

    if (partner_path(req))
        return HALL_OK;
    if (!req->staff->half)
        return hall_resp_redirect(req, next_of(req));
    ctx = page_ctx(req, "动态验证码");
    hall_val_set_str(req->pool, ctx, "next", next_of(req));
    return hall_resp_page(req, 200, "admin_code", ctx);
}

static int
do_code(struct hall_req *req)
{
    const char *code = code_digits(req, hall_req_param(req, "code")), *secret, *how;
    struct hall_dbres *res = NULL;
    enum hall_msg_code m;
    int64_t left;
    int rc;

    if (partner_path(req))
        return HALL_OK;
    if (!req->staff->half)
        return hall_resp_go(req, next_of(req), NULL);
    if (code_gate(req, &res, &m) != HALL_OK)
        return m == HALL_M_BUSY ? hall_resp_busy(req) : hall_msg(req, m, "code");
    secret = secret_of(req, res, "totp_secret_enc");
    if (secret == NULL) {
        hall_db_rollback(req->cx);
        return hall_resp_go(req,
                            hall_psprintf(req->pool, "/admin/login/enrol?next=%s",
                                          hall_url_encode(req->pool, next_of(req))),
                            NULL);
    }
    rc = hall_staff_factor_use(req->cx, req->staff->id, secret, hall_dbres_int(res, 0, "now_s"),
                               hall_dbres_int(res, 0, "totp_last_step"), code, &how, &left);
    if (rc == HALL_ERR)
        return hall_resp_busy(req);
    if (rc == HALL_OK) {
        if (factor_done(req, how) != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        if (strcmp(how, "totp") == 0) {
            hall_info(req, "msg=\"staff login\" staff=%lld factor=totp", (long long)req->staff->id);
            return hall_resp_go(req, next_of(req), NULL);
        }
        hall_info(req, "msg=\"staff login\" staff=%lld factor=recovery left=%lld",
                  (long long)req->staff->id, (long long)left);
        return hall_resp_go(req, next_of(req),
                            hall_msg_text(req->pool, HALL_M_STAFF_RECOVERY_USED, (long long)left));
    }
    if (code_failed(req, req->staff->id, &m) != HALL_OK)
        return hall_resp_busy(req);
    return hall_msg(req, m, "code");
}

/* the enrolment page, with the pending secret as QR code and text */
static int
enrol_render(struct hall_req *req, int status, const char *secret, const char *login,
             const char *error)
{
    struct hall_val *ctx = page_ctx(req, "绑定动态验证码");
    const char *uri, *label;
    struct hall_buf *grouped = hall_buf_new(req->pool, 128);
    size_t i;

    label = hall_psprintf(req->pool, "深圳CA管理后台:%s", login);
    uri = hall_psprintf(
        req->pool, "otpauth://totp/%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d",
        hall_url_encode(req->pool, label), secret, hall_url_encode(req->pool, "深圳CA管理后台"),
        HALL_TOTP_DIGITS, HALL_TOTP_PERIOD);
    for (i = 0; secret[i] != '\0'; i++) {
        if (i > 0 && i % 4 == 0)
            hall_buf_addstr(grouped, " ");
        hall_buf_printf(grouped, "%c", secret[i]);
    }
    hall_val_set_str(req->pool, ctx, "qr_svg", hall_qr_svg(req->pool, uri, 4));
    hall_val_set_str(req->pool, ctx, "secret", grouped->data);
    hall_val_set_str(req->pool, ctx, "otpauth", uri);
    hall_val_set_str(req->pool, ctx, "login", login);
    hall_val_set_str(req->pool, ctx, "next", next_of(req));
    if (error != NULL)
        hall_val_set_str(req->pool, ctx, "error", error);
    return hall_resp_page(req, status, "admin_enrol", ctx);
}

static int
enrol_page(struct hall_req *req)
{
    struct hall_dbres *res;
    const char *secret;

    if (partner_path(req))
        return HALL_OK;
    if (!req->staff->half)
        return hall_resp_redirect(req, next_of(req));
    /* a secret confirmed (another tab): the code page */
    res = hall_db_exec(req->cx, "staff_factor_lock", HALL_I64(req->staff->id));
    if (res == NULL || hall_dbres_rows(res) == 0)
        return HALL_ERR;
    if (!hall_dbres_isnull(res, 0, hall_dbres_col(res, "totp_secret_enc")))
        return hall_resp_redirect(req, hall_psprintf(req->pool, "/admin/login/code?next=%s",
                                                     hall_url_encode(req->pool, next_of(req))));
    secret = secret_of(req, res, "totp_pending_enc");
    if (secret == NULL)
        return HALL_ERR;
    return enrol_render(req, 200, secret, hall_dbres_str(res, 0, "login"), NULL);
}

static int
do_enrol(struct hall_req *req)
{
    const char *code = code_digits(req, hall_req_param(req, "code")), *secret, *login;
    struct hall_dbres *res = NULL, *r;
    struct hall_val *ctx, *hold;
    enum hall_msg_code m;
    unsigned char key[64];
    size_t keylen;
    int64_t step;

    if (partner_path(req))
        return HALL_OK;
    if (!req->staff->half)
        return hall_resp_go(req, next_of(req), NULL);
    if (code_gate(req, &res, &m) != HALL_OK)
        return m == HALL_M_BUSY ? hall_resp_busy(req) : hall_msg(req, m, "code");
    login = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "login"));
    secret = secret_of(req, res, "totp_pending_enc");
    /* enrolled meanwhile, or reset: the code page says which */
    if (secret == NULL) {
        hall_db_rollback(req->cx);
        return hall_resp_go(req,
                            hall_psprintf(req->pool, "/admin/login/code?next=%s",
                                          hall_url_encode(req->pool, next_of(req))),
                            NULL);
    }
    if (hall_base32_decode(secret, key, sizeof(key), &keylen) != HALL_OK)
        return hall_resp_busy(req);
    if (hall_totp_check(key, keylen, code, hall_totp_step(hall_dbres_int(res, 0, "now_s")),
                        hall_dbres_int(res, 0, "totp_last_step"), &step) != HALL_OK) {
        if (code_failed(req, req->staff->id, &m) != HALL_OK)
            return hall_resp_busy(req);
        if (hall_req_wants_json(req) || m != HALL_M_STAFF_CODE_WRONG)
            return hall_msg(req, m, "code");
        return enrol_render(req, 400, secret, login,
                            hall_msg_text(req->pool, HALL_M_STAFF_CODE_WRONG));
    }
    r = hall_staff_totp_enrol(req->cx, req->staff->id, step);
    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) == 0) {
        if (code_failed(req, req->staff->id, &m) != HALL_OK)
            return hall_resp_busy(req);
        return hall_msg(req, m, "code");
    }
    hold = hall_val_obj(req->pool);
    if (recovery_new(req, req->staff->id, hold) == NULL ||
        hall_audit(req->cx, hall_staff_actor(req), "staff",
                   hall_psprintf(req->pool, "%lld", (long long)req->staff->id), "totp_enrol", NULL,
                   "enrolled", NULL) != HALL_OK ||
        factor_done(req, "totp") != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return hall_resp_busy(req);
    hall_info(req, "msg=\"staff enrolled\" staff=%lld", (long long)req->staff->id);
    /* shown once, never stored in the clear: this answer is the only place */
    hall_resp_header(req, "Cache-Control", "no-store");
    if (hall_req_wants_json(req)) {
        ctx = hall_val_obj(req->pool);
        hall_val_set_str(req->pool, ctx, "redirect", next_of(req));
        list_copy(req, ctx, hold, "recovery_codes");
        return hall_resp_ok(req, ctx);
    }
    /* built after the session became full: its menu, its CSRF token */
    ctx = page_ctx(req, "恢复码");
    list_copy(req, ctx, hold, "recovery_codes");
    hall_val_set_str(req->pool, ctx, "next", next_of(req));
    return hall_resp_page(req, 200, "admin_recovery", ctx);
}

/* verified against a real hash for unknown logins too: equal time, no hint */
static const char dummy_hash[] = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                                 "qu7YaNBUVdA7W90s0oDV3Q/BGYy/YVhx+BlWYiF8kZ8";

static int
do_login(struct hall_req *req)
{
    const char *password = hall_req_param(req, "password");
    const char *login = hall_req_param(req, "login");
    struct hall_dbres *res;
    const char *hash, *sid, *client;
    unsigned char idx[32];
    int64_t id;
    int enrolled;

    if (partner_path(req))
        return HALL_OK;
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    /* password spraying: one client failing on many logins (an unknown one
     * too); the client's advisory lock counts parallel tries one by one */
    client = client_as(req, "staff-pw:");
    hall_pii_index("staff-login", login, idx);
    res = hall_db_exec(req->cx, "login_client_blocked", HALL_STR(client), HALL_I64(PW_CLIENT_S),
                       HALL_I64(PW_CLIENT_MAX));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_bool(res, 0, "blocked")) {
        hall_warn(req, "msg=\"staff passwords refused\" reason=client_failures");
        return hall_msg(req, HALL_M_STAFF_LOGIN_CLIENT_LIMIT, "password");
    }
    res = hall_db_exec(req->cx, "staff_by_login", HALL_STR(login));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0 || !hall_dbres_bool(res, 0, "active")) {
        hall_password_verify(dummy_hash, password);
        if (hall_db_exec(req->cx, "login_client_failed", HALL_STR(client), HALL_BIN(idx, 32)) ==
                NULL ||
            hall_db_commit(req->cx) != HALL_OK)
            return hall_resp_busy(req);
        return hall_msg(req, HALL_M_STAFF_LOGIN_FAILED, "password");
    }
    id = hall_dbres_int(res, 0, "id");
    hash = hall_dbres_str(res, 0, "password_hash");
    sid = hall_psprintf(req->pool, "%lld", (long long)id);
    if (hall_dbres_bool(res, 0, "locked"))
        return hall_msg(req, HALL_M_STAFF_LOGIN_LOCKED, "password");
    if (hall_password_verify(hash, password) != HALL_OK) {
        int64_t fails;
        int rc = hall_staff_failed(req->cx, id, hall_psprintf(req->pool, "staff:%s", sid), &fails);

        if (rc == HALL_ERR || hall_db_exec(req->cx, "login_client_failed", HALL_STR(client),
                                           HALL_BIN(idx, 32)) == NULL)
            return hall_resp_busy(req);
        if (hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        hall_warn(req, "msg=\"staff login failed\" staff=%s fails=%lld", sid, (long long)fails);
        if (rc == HALL_CONFLICT)
            return hall_msg(req, HALL_M_STAFF_LOGIN_LOCKED, "password");
        return hall_msg(req, HALL_M_STAFF_LOGIN_FAILED, "password");
    }
    if (hall_password_needs_rehash(hash) &&
        hall_staff_rehash(req->cx, id, hall_password_hash(req->pool, password)) == NULL)
        return hall_resp_busy(req);
    /* the password alone: a half session, and the failures counted so far
     * stay (only the second factor clears them: a known password does not
     * buy more guesses at the code) */
    enrolled = hall_dbres_bool(res, 0, "enrolled");
    if (!enrolled && !hall_dbres_bool(res, 0, "pending") && totp_pending_new(req, id) != HALL_OK)
        return hall_resp_busy(req);
    if (hall_staff_session_create(req, id, 0) != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"staff password ok\" staff=%s enrolled=%d", sid, enrolled);
    return hall_resp_go(req,
                        hall_psprintf(req->pool, "%s?next=%s",
                                      enrolled ? "/admin/login/code" : "/admin/login/enrol",
                                      hall_url_encode(req->pool, next_of(req))),
                        NULL);
}

static int
do_logout(struct hall_req *req)
{
    if (hall_staff_session_destroy(req) != HALL_OK)
        return hall_resp_busy(req);
    return hall_resp_go(req, "/admin/login", NULL);
}

/* ---- pages ------------------------------------------------------------------ */

static int
home_page(struct hall_req *req)
{
    struct hall_val *ctx, *roles;
    unsigned bit;

    if (partner_path(req))
        return HALL_OK;
    ctx = page_ctx(req, "管理后台");
    roles = hall_val_set_list(req->pool, ctx, "roles");
    for (bit = 1; bit <= HALL_ROLE_ADMIN; bit <<= 1)
        if (req->staff->roles & bit)
            hall_val_push_str(req->pool, roles, hall_staff_role_label(bit));
    return hall_resp_page(req, 200, "admin_home", ctx);
}

static const struct hall_pspec queue_params[] = {
    {"page", HALL_P_INT, HALL_PF_OPTIONAL, 1, 100000, "页码", NULL},
    {"q", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 100, "搜索", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* the review queue and the finance queue: same shape, other statements */
static int
queue(struct hall_req *req, const char *stmt, const char *count_stmt, const char *title,
      const char *tmpl)
{
    struct hall_dbres *res, *cnt;
    struct hall_val *ctx, *list;
    const char *q;
    int64_t page = 1, total, pages;
    int i, n;

    if (partner_path(req))
        return HALL_OK;
    if (hall_req_param(req, "page") != NULL && *hall_req_param(req, "page") != '\0')
        hall_req_param_i64(req, "page", &page);
    /* 申请单号, or part of the 主题 */
    q = hall_req_param(req, "q");
    if (q == NULL)
        q = "";
    cnt = hall_db_exec(req->cx, count_stmt, HALL_STR(q));
    res = hall_db_exec(req->cx, stmt, HALL_I64(QUEUE_PAGE), HALL_I64((page - 1) * QUEUE_PAGE),
                       HALL_STR(q));
    if (cnt == NULL || res == NULL)
        return HALL_ERR;
    total = hall_dbres_int(cnt, 0, "total");
    pages = total == 0 ? 1 : (total + QUEUE_PAGE - 1) / QUEUE_PAGE;
    ctx = json_asked(req) ? hall_val_obj(req->pool) : page_ctx(req, title);
    list = hall_val_set_list(req->pool, ctx, "orders");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++)
        order_val(req, hall_val_push_obj(req->pool, list), res, i);
    hall_val_set_int(req->pool, ctx, "total", total);
    hall_val_set_int(req->pool, ctx, "overdue_total", hall_dbres_int(cnt, 0, "overdue_total"));
    hall_val_set_int(req->pool, ctx, "page", page);
    hall_val_set_int(req->pool, ctx, "pages", pages);
    hall_val_set_str(req->pool, ctx, "q", q);
    if (json_asked(req))
        return hall_resp_ok(req, ctx);
    hall_val_set_bool(req->pool, ctx, "empty", n == 0);
    if (page > 1)
        hall_val_set_int(req->pool, ctx, "prev_page", page - 1);
    if (page < pages)
        hall_val_set_int(req->pool, ctx, "next_page", page + 1);
    return hall_resp_page(req, 200, tmpl, ctx);
}

/* an order number as hall_order_apply makes them: the business's letter,
 * the day (8 digits) and a serial of 6 digits or more (sql/104) */
static int
order_no_shaped(const char *q)
{
    size_t n = q != NULL ? strlen(q) : 0;

    return n >= 15 && n <= 32 && q[0] >= 'A' && q[0] <= 'Z' && strspn(q + 1, "0123456789") == n - 1;
}

static int
review_queue(struct hall_req *req)
{
    /* a queue holds days of a CA's orders (thousands): searched for a 主题
     * it is read whole, an order number is found by its index instead (no
     * 主题 looks like one) */
    if (order_no_shaped(hall_req_param(req, "q")))
        return queue(req, "queue_review_no", "queue_review_no_count", "审核队列", "admin_review");
    return queue(req, "queue_review", "queue_review_count", "审核队列", "admin_review");
}

static int
finance_queue(struct hall_req *req)
{
    return queue(req, "queue_finance", "queue_finance_count", "对公转账到账确认", "admin_finance");
}

static const struct hall_pspec id_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* the order, or NULL after answering (404) */
static struct hall_dbres *
order_load(struct hall_req *req)
{
    struct hall_dbres *res;
    int64_t id;

    hall_req_param_i64(req, "id", &id);
    res = hall_db_exec(req->cx, "admin_order_get", HALL_I64(id));
    if (res == NULL) {
        hall_resp_busy(req);
        return NULL;
    }
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
        return NULL;
    }
    return res;
}

/* a member the reviewer reads elsewhere: a code whose name the form also
 * holds (unit_region, mail_region, bank_name, bank_branch_name), the
 * carrier (in 邮寄方式) */
static int
form_hidden(const char *name)
{
    const struct hall_field *f = hall_field_get(name);

    return f != NULL ? f->spec.type == HALL_P_CODE : strcmp(name, "carrier") == 0;
}

/* a member in words; 邮寄方式 with its carrier (顺丰速运到付), as on the print */
static const char *
member_text(struct hall_req *req, const struct hall_val *form, const char *name)
{
    const struct hall_val *v = form != NULL ? hall_val_get(form, name) : NULL;

    if (strcmp(name, "shipping") == 0 && v != NULL && v->type == HALL_V_STR)
        return hall_psprintf(req->pool, "%s%s", form_str(form, "carrier"), form_text(req, v));
    return form_text(req, v);
}

/* one row of the field table; a value that differs from before is also a change */
static void
form_row(struct hall_req *req, struct hall_val *rows, struct hall_val *changes,
         const struct hall_val *form, const struct hall_val *m, const struct hall_val *before,
         const char *group, int *nchanges)
{
    struct hall_val *r = hall_val_push_obj(req->pool, rows);
    const char *now = member_text(req, form, m->key);

    hall_val_set_str(req->pool, r, "group", group);
    hall_val_set_str(req->pool, r, "name", m->key);
    hall_val_set_str(req->pool, r, "label", form_label(m->key));
    hall_val_set_str(req->pool, r, "value", now);
    hall_val_set_bool(req->pool, r, "changed", 0);
    if (before != NULL) {
        const char *was = member_text(req, before, m->key);

        if (strcmp(was, now) != 0) {
            struct hall_val *c = hall_val_push_obj(req->pool, changes);

            hall_val_set_bool(req->pool, r, "changed", 1);
            hall_val_set_str(req->pool, r, "before", was);
            hall_val_set_str(req->pool, c, "name", m->key);
            hall_val_set_str(req->pool, c, "label", form_label(m->key));
            hall_val_set_str(req->pool, c, "before", was);
            hall_val_set_str(req->pool, c, "after", now);
            (*nchanges)++;
        }
    }
}

/*
 * Every member of the current form, grouped as on the printed form, with
 * what it said in the revision the last rejection was about (when the
 * applicant has edited since), and the list of changes alone.
 */
static void
form_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_val *form,
         const struct hall_val *before)
{
    struct hall_val *rows = hall_val_set_list(req->pool, ctx, "fields");
    struct hall_val *changes = hall_val_set_list(req->pool, ctx, "changes");
    const struct hall_val *m;
    const char *group = "";
    int nchanges = 0, i;

    for (i = 0; hall_fields[i].name != NULL; i++) {
        const char *glabel = hall_group_get(hall_fields[i].group)->label;

        m = hall_val_get(form, hall_fields[i].name);
        if (m == NULL || form_hidden(m->key))
            continue;
        form_row(req, rows, changes, form, m, before, strcmp(group, glabel) != 0 ? glabel : "",
                 &nchanges);
        group = glabel;
    }
    group = "其他";
    for (m = form->first; m != NULL; m = m->next) {
        if (m->key == NULL || form_known(m->key) || form_hidden(m->key))
            continue;
        form_row(req, rows, changes, form, m, before, group, &nchanges);
        group = "";
    }
    /* what the earlier revision had and the current one dropped */
    for (m = before != NULL ? before->first : NULL; m != NULL; m = m->next) {
        struct hall_val *c;

        if (m->key == NULL || hall_val_get(form, m->key) != NULL || form_hidden(m->key) ||
            *form_text(req, m) == '\0')
            continue;
        c = hall_val_push_obj(req->pool, changes);
        hall_val_set_str(req->pool, c, "name", m->key);
        hall_val_set_str(req->pool, c, "label", form_label(m->key));
        hall_val_set_str(req->pool, c, "before", form_text(req, m));
        hall_val_set_str(req->pool, c, "after", "");
        nchanges++;
    }
    hall_val_set_int(req->pool, ctx, "changes_count", nchanges);
}

static const char *
actor_label(struct hall_req *req, const char *actor, const char *login)
{
    if (strncmp(actor, "staff:", 6) == 0)
        return hall_psprintf(req->pool, "工作人员 %s", *login ? login : actor + 6);
    if (strncmp(actor, "user:", 5) == 0)
        return "申请人";
    if (strcmp(actor, "gateway:wechat") == 0)
        return "微信支付";
    if (strcmp(actor, "gateway:alipay") == 0)
        return "支付宝";
    if (strcmp(actor, "outbox:bank") == 0)
        return "系统（银行打款）";
    if (strcmp(actor, "outbox:invoice") == 0)
        return "系统（电子发票）";
    if (strncmp(actor, "outbox:", 7) == 0 || strncmp(actor, "cli:", 4) == 0)
        return "系统";
    return actor;
}

/*
 * 签章信息 for the reviewer (电子签章申请): each seal's kind, the text its
 * face will bear (the unit's name around a round seal with the seal's name
 * under the star; a 机构个人章 the holder's name), style, years, the
 * holder's name and ID number (to hold against the ID scan), and its
 * picture (GET /admin/seal/image, modules/seal); beside them the current
 * 证书附页 scan, which the applicant stamped to confirm those seals.
 * HALL_ERR when the database fails or a holder cannot be read.
 */
static int
seals_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o,
          struct hall_dbres *files)
{
    struct hall_dbres *res;
    struct hall_val *list;
    const char *org = hall_dbres_str(o, 0, "subject");
    int i;

    if (strcmp(hall_dbres_str(o, 0, "business_type"), "seal") != 0)
        return HALL_OK;
    res = hall_db_exec(req->cx, "order_seals", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (res == NULL)
        return HALL_ERR;
    hall_val_set_bool(req->pool, ctx, "seal_order", 1);
    hall_val_set_int(req->pool, ctx, "seal_count", hall_dbres_rows(res));
    for (i = 0; i < hall_dbres_rows(files); i++)
        if (strcmp(hall_dbres_str(files, i, "kind"), "cert_attachment") == 0 &&
            !hall_dbres_bool(files, i, "replaced") && !hall_dbres_bool(files, i, "removed"))
            hall_val_set_fmt(req->pool, ctx, "attachment_scan", "/admin/file?id=%s",
                             hall_dbres_str(files, i, "id"));
    list = hall_val_set_list(req->pool, ctx, "seals");
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *s = hall_val_push_obj(req->pool, list);
        const char *kind = hall_dbres_str(res, i, "kind"),
                   *name = hall_dbres_str(res, i, "seal_name");
        int cutout = strcmp(hall_dbres_str(res, i, "style"), "cutout") == 0;

        hall_val_set_int(req->pool, s, "no", i + 1);
        hall_val_set_str(req->pool, s, "id", hall_dbres_str(res, i, "id"));
        hall_val_set_str(req->pool, s, "kind", kind);
        hall_val_set_str(req->pool, s, "years", hall_dbres_str(res, i, "years"));
        hall_val_set_str(req->pool, s, "style_label", cutout ? "根据印模样式抠图" : "工具自动生成");
        if (strcmp(kind, "org_person") == 0) {
            struct hall_val *h =
                hall_dbres_pii_json(req->cx, res, i, hall_dbres_col(res, "holder_enc"));

            if (h == NULL || h->type != HALL_V_OBJ)
                return HALL_ERR;
            hall_val_set_str(req->pool, s, "kind_label", "机构个人章");
            hall_val_set_str(req->pool, s, "face", form_str(h, "name"));
            hall_val_set_str(req->pool, s, "holder_name", form_str(h, "name"));
            hall_val_set_str(req->pool, s, "holder_ric", form_str(h, "ric"));
            /* the holder's own phone, where the PIN goes, and whether a code proved it */
            {
                const char *m = form_str(h, "mobile");
                unsigned char idx[32];
                size_t vl;
                const unsigned char *v = hall_dbres_bytea(
                    req->cx, res, i, hall_dbres_col(res, "holder_verified_idx"), &vl);

                hall_pii_index("phone", m, idx);
                hall_val_set_str(req->pool, s, "holder_mobile", m);
                hall_val_set_bool(req->pool, s, "holder_verified",
                                  *m != '\0' && v != NULL && vl == 32 && hall_ct_equal(v, idx, 32));
            }
        } else {
            hall_val_set_str(req->pool, s, "kind_label",
                             strcmp(kind, "org") == 0 ? "机构章" : "机构业务章");
            hall_val_set_str(
                req->pool, s, "face",
                *name != '\0' ? hall_psprintf(req->pool, "%s（五角星下方：%s）", org, name) : org);
        }
        if (hall_dbres_bool(res, i, "has_image")) {
            hall_val_set_fmt(req->pool, s, "image", "/admin/seal/image?id=%s",
                             hall_dbres_str(res, i, "id"));
            hall_val_set_bool(req->pool, s, "unconfirmed",
                              cutout && !hall_dbres_bool(res, i, "image_confirmed"));
        }
    }
    return HALL_OK;
}

/*
 * 变更对照 for the reviewer (证书变更): the data the replaced certificate
 * was issued on beside the order's, field by field (core/flow/change_rules.c),
 * those that differ marked.  HALL_ERR when the database fails or the old
 * form cannot be read.
 */
static int
change_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o,
           const struct hall_val *form)
{
    struct hall_dbres *res;
    struct hall_val *old, *v;

    if (strcmp(hall_dbres_str(o, 0, "business_type"), "change") != 0)
        return HALL_OK;
    res = hall_db_exec(req->cx, "order_change_old", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK;
    old = form_of(req, res, hall_dbres_col(res, "form_enc"));
    if (old == NULL || old->type != HALL_V_OBJ)
        return HALL_ERR;
    v = hall_val_set_obj(req->pool, ctx, "change");
    hall_val_set_str(req->pool, v, "serial", hall_dbres_str(res, 0, "serial"));
    hall_val_set_str(req->pool, v, "subject",
                     hall_pki_subject_text(req->pool, hall_dbres_str(res, 0, "subject_cn"),
                                           hall_dbres_str(res, 0, "subject_org")));
    hall_val_set_int(req->pool, v, "count",
                     hall_change_rows(req, hall_val_set_list(req->pool, v, "rows"),
                                      hall_cert_type_bit(hall_dbres_str(o, 0, "cert_type")), old,
                                      form));
    return HALL_OK;
}

static int
order_page(struct hall_req *req)
{
    struct hall_dbres *o, *res;
    struct hall_val *ctx, *form, *before = NULL, *ov, *list;
    const char *sid;
    int64_t form_rev, rejected_rev = 0;
    int i, n, json = json_asked(req);

    if (partner_path(req))
        return HALL_OK;
    o = order_load(req);
    if (o == NULL)
        return HALL_OK;
    sid = hall_dbres_str(o, 0, "id");
    form = form_of(req, o, hall_dbres_col(o, "form_enc"));
    if (form == NULL || form->type != HALL_V_OBJ) {
        hall_err(req, "msg=\"order form unreadable\" order=%s", sid);
        return hall_resp_busy(req);
    }
    form_rev = hall_dbres_int(o, 0, "form_rev");
    if (!(hall_dbres_str(o, 0, "rejected_rev") == NULL))
        rejected_rev = hall_dbres_int(o, 0, "rejected_rev");
    /* edited since the last rejection: compare with what was rejected */
    if (rejected_rev > 0 && form_rev > rejected_rev) {
        res = hall_db_exec(req->cx, "revision_get", HALL_I64(hall_dbres_int(o, 0, "id")),
                           HALL_I64(rejected_rev));
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) > 0) {
            before = form_of(req, res, hall_dbres_col(res, "form_enc"));
            if (before == NULL || before->type != HALL_V_OBJ) {
                hall_err(req, "msg=\"revision unreadable\" order=%s rev=%lld", sid,
                         (long long)rejected_rev);
                return hall_resp_busy(req);
            }
        }
    }

    ctx = json ? hall_val_obj(req->pool) : page_ctx(req, "业务单详情");
    ov = order_val(req, hall_val_set_obj(req->pool, ctx, "order"), o, 0);
    hall_val_set_int(req->pool, ov, "form_rev", form_rev);
    hall_val_set_int(req->pool, ov, "rejected_rev", rejected_rev);
    hall_val_set_str(req->pool, ov, "reject_reason", hall_dbres_str(o, 0, "reject_reason"));
    hall_val_set_str(req->pool, ov, "cert_amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "cert_fen")));
    hall_val_set_str(req->pool, ov, "shipping_amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "shipping_fen")));
    /* 到付: the receiver pays the carrier, nothing of it on the bill (邮费
     * 到付, not 邮费 0.00) */
    hall_val_set_bool(req->pool, ov, "shipping_collect",
                      strcmp(hall_form_str(form, "shipping"), "collect") == 0);
    hall_dbres_set(req->pool, ov, o, 0, "project_id created_at gift ship_by no_publish:b");
    hall_val_set_bool(req->pool, ov, "in_review",
                      strcmp(hall_dbres_str(o, 0, "status"), "review") == 0);
    hall_val_set_bool(req->pool, ov, "in_transfer_review",
                      strcmp(hall_dbres_str(o, 0, "status"), "transfer_review") == 0);
    form_ctx(req, ctx, form, before);
    if (change_ctx(req, ctx, o, form) != HALL_OK) {
        hall_err(req, "msg=\"change: old data unreadable\" order=%s", sid);
        return hall_resp_busy(req);
    }
    /* new.c accepts the early Fujian pilot USCCs flagged for a person to check */
    hall_val_set_bool(req->pool, ctx, "manual_review",
                      *form_str(form, "org_id_review") != '\0' ||
                          *form_str(form, "invoice_taxid_review") != '\0');
    hall_val_set_bool(req->pool, ctx, "has_diff", before != NULL);
    hall_val_set_bool(req->pool, ctx, "unchanged_since_reject",
                      rejected_rev > 0 && form_rev == rejected_rev);

    res = hall_db_exec(req->cx, "order_files", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (res == NULL)
        return HALL_ERR;
    list = hall_val_set_list(req->pool, ctx, "files");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *f = hall_val_push_obj(req->pool, list);

        hall_dbres_set(req->pool, f, res, i, "id:i kind");
        hall_val_set_str(req->pool, f, "label",
                         material_label(req->pool, hall_dbres_str(res, i, "kind")));
        hall_val_set_str(req->pool, f, "mime", hall_dbres_str(res, i, "mime"));
        hall_val_set_str(
            req->pool, f, "size",
            hall_psprintf(req->pool, "%.1f KB", hall_dbres_int(res, i, "size") / 1024.0));
        hall_dbres_set(req->pool, f, res, i, "uploaded_at replaced:b");
        /* a replaced file is deleted after the replacing upload commits */
        hall_val_set_bool(req->pool, f, "removed", hall_dbres_bool(res, i, "removed"));
        hall_val_set_fmt(req->pool, f, "url", "/admin/file?id=%s", hall_dbres_str(res, i, "id"));
    }
    hall_val_set_bool(req->pool, ctx, "no_files", n == 0);
    if (seals_ctx(req, ctx, o, res) != HALL_OK) {
        hall_err(req, "msg=\"order seals unreadable\" order=%s", sid);
        return hall_resp_busy(req);
    }

    res = hall_db_exec(req->cx, "admin_order_history", HALL_STR(sid));
    if (res == NULL)
        return HALL_ERR;
    list = hall_val_set_list(req->pool, ctx, "history");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *h = hall_val_push_obj(req->pool, list);
        const char *from = hall_dbres_str(res, i, "from_state"),
                   *to = hall_dbres_str(res, i, "to_state");

        hall_dbres_set(req->pool, h, res, i, "at actor");
        hall_val_set_str(
            req->pool, h, "who",
            actor_label(req, hall_dbres_str(res, i, "actor"), hall_dbres_str(res, i, "login")));
        hall_val_set_str(req->pool, h, "action", hall_dbres_str(res, i, "action"));
        hall_val_set_str(req->pool, h, "action_label",
                         hall_order_action_label(hall_dbres_str(res, i, "action")));
        hall_val_set_str(req->pool, h, "from", from);
        hall_val_set_str(req->pool, h, "to", to);
        hall_val_set_str(req->pool, h, "from_label",
                         *from ? hall_order_label(from) ?: "其他状态" : "");
        hall_val_set_str(req->pool, h, "to_label", *to ? hall_order_label(to) ?: "其他状态" : "");
        hall_dbres_set(req->pool, h, res, i, "reason ref");
        if (*hall_dbres_str(res, i, "tries") != '\0')
            hall_val_set_fmt(req->pool, h, "note", "第%s次", hall_dbres_str(res, i, "tries"));
    }
    res = hall_db_exec(req->cx, "finauth_latest", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (res == NULL)
        return HALL_ERR;
    hall_val_set_bool(req->pool, ov, "finauth_locked",
                      hall_dbres_rows(res) > 0 &&
                          strcmp(hall_dbres_str(res, 0, "result"), "locked") == 0);
    if (hall_dbres_rows(res) > 0)
        hall_val_set_str(
            req->pool, ov, "code_name",
            hall_finauth_code_name(strcmp(hall_dbres_str(res, 0, "memo_kind"), "pin") == 0));
    if (json)
        return hall_resp_ok(req, ctx);
    hall_val_set_bool(req->pool, ctx, "person",
                      strcmp(hall_dbres_str(o, 0, "cert_type"), "person") == 0);
    return hall_resp_page(req, 200, "admin_order", ctx);
}

/* uploaded materials: never rendered inline, whatever the content */
static int
file_download(struct hall_req *req)
{
    static const struct {
        const char *mime, *ext;
    } types[] = {
        {"image/jpeg", "jpg"}, {"image/png", "png"},       {"image/bmp", "bmp"},
        {"image/gif", "gif"},  {"application/pdf", "pdf"}, {NULL, NULL},
    };
    struct hall_dbres *res;
    const char *stored, *mime, *ext = "bin", *ctype = "application/octet-stream";
    int64_t id;
    int i;

    if (partner_path(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    res = hall_db_exec(req->cx, "file_get", HALL_I64(id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_FILE_NOT_FOUND, NULL);
    stored = hall_dbres_str(res, 0, "stored_name");
    mime = hall_dbres_str(res, 0, "mime");
    /* the table's CHECK says so too: a stored name is never a path */
    if (strspn(stored, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
            strlen(stored) ||
        *stored == '\0')
        return hall_msg(req, HALL_M_FILE_NOT_FOUND, NULL);
    for (i = 0; types[i].mime != NULL; i++)
        if (strcmp(types[i].mime, mime) == 0) {
            ctype = types[i].mime;
            ext = types[i].ext;
        }
    hall_info(req, "msg=\"material download\" staff=%lld file=%lld", (long long)req->staff->id,
              (long long)id);
    /* stored encrypted (core/store/file.c): decrypted for the reviewer */
    return hall_resp_stored(req, stored, ctype,
                            hall_psprintf(req->pool, "%s-%s.%s", hall_dbres_str(res, 0, "order_no"),
                                          hall_dbres_str(res, 0, "kind"), ext));
}

/* ---- decisions --------------------------------------------------------------- */

/*
 * The SMS of a decision (seed 002), to the agent for organisation
 * certificates and to the applicant for natural persons; queued in the
 * caller's transaction.  kind: 'A' approved, 'R' rejected (reason), 'F' the
 * transfer voucher refused by finance (reason).  The text is personal data:
 * never logged.
 */
static int
decision_sms(struct hall_req *req, int64_t id, const struct hall_dbres *o,
             const struct hall_val *form, char kind, const char *reason)
{
    const char *cert = hall_dbres_str(o, 0, "cert_type");
    const char *phone = form_str(form, strcmp(cert, "person") == 0 ? "app_mobile" : "agent_mobile");
    const char *biz = hall_psprintf(req->pool, "%s%s", hall_dbres_str(o, 0, "sms_business_name"),
                                    business_label(hall_dbres_str(o, 0, "business_type"), 1));
    /* a partner's own site in the texts (seed 003, szjsgws: www.szca.com) */
    const char *site = hall_dbres_str(o, 0, "sms_site");
    const char *partner = hall_dbres_str(o, 0, "partner_code"), *key;
    unsigned char nonce[8];

    if (strlen(phone) != 11 || strspn(phone, "0123456789") != 11) {
        hall_warn(req, "msg=\"decision sms: no recipient\" order=%lld", (long long)id);
        return HALL_OK;
    }
    if (reason != NULL) {
        size_t n = strlen(reason);

        /* the text supplies the full stop after the reason */
        if (n >= 3 && strcmp(reason + n - 3, "。") == 0)
            reason = hall_pstrndup(req->pool, reason, n - 3);
        else if (n >= 1 && reason[n - 1] == '.')
            reason = hall_pstrndup(req->pool, reason, n - 1);
    }
    /* one message per decision, however often the outbox retries it */
    hall_rand_bytes(nonce, sizeof(nonce));
    key = hall_psprintf(req->pool, "sms-review-%lld-%s-%s", (long long)id,
                        kind == 'A'   ? "accepted"
                        : kind == 'R' ? "rejected"
                                      : "refused",
                        hall_hex(req->pool, nonce, sizeof(nonce)));
    if (*site == '\0')
        site = "深圳CA申请页面";
    if (kind == 'F')
        return hall_sms_queue(req->cx, key, phone, partner, HALL_SMST_transfer_refused, "business",
                              biz, "reason", reason, "site", site, NULL);
    if (reason == NULL)
        return hall_sms_queue(req->cx, key, phone, partner, HALL_SMST_approved, "business", biz,
                              "site", site, NULL);
    if (*hall_dbres_str(o, 0, "sms_site") != '\0')
        return hall_sms_queue(req->cx, key, phone, partner, HALL_SMST_rejected_site, "business",
                              biz, "reason", reason, "site", site, NULL);
    return hall_sms_queue(req->cx, key, phone, partner, HALL_SMST_rejected, "business", biz,
                          "reason", reason, NULL);
}

/*
 * One status change by staff: the order must exist (404), the move must be
 * allowed from where it is now (409), then the extra update and the SMS in
 * the same transaction.  kind: 'A' approve, 'R' reject, 'C' confirm
 * transfer, 'F' refuse transfer.
 */
static int
decide(struct hall_req *req, char kind)
{
    /* declared (and so checked) for reject and refuse only */
    const char *reason = kind == 'R' || kind == 'F' ? hall_req_param(req, "reason") : NULL;
    const char *from = "review", *to, *done;
    struct hall_val *detail = NULL, *form;
    struct hall_dbres *o, *res = NULL, *accepted = NULL;
    int64_t id;
    int rc;

    if (partner_path(req))
        return HALL_OK;
    o = order_load(req);
    if (o == NULL)
        return HALL_OK;
    id = hall_dbres_int(o, 0, "id");
    switch (kind) {
    case 'A':
        to = "accepted";
        done = "已审核通过（成功受理），短信已发送";
        break;
    case 'R':
        to = "rejected";
        done = "已审核驳回，短信已发送";
        break;
    case 'C':
        from = "transfer_review";
        to = "review";
        done = "已确认到账，业务单进入审核";
        break;
    default:
        from = "transfer_review";
        to = "unpaid";
        done = "已退回，业务单回到待支付";
        break;
    }
    if (reason != NULL && *reason != '\0') {
        detail = hall_val_obj(req->pool);
        hall_val_set_str(req->pool, detail, "reason", reason);
    }
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    rc = hall_order_move(req->cx, id, from, to, hall_staff_actor(req), detail);
    if (rc == HALL_CONFLICT) {
        const char *label = hall_order_label(hall_dbres_str(o, 0, "status"));

        return hall_msg(req, HALL_M_DECIDE_STATE, NULL,
                        label != NULL ? label : hall_dbres_str(o, 0, "status"));
    }
    if (rc != HALL_OK)
        return hall_resp_busy(req);
    if (kind == 'A') {
        /* 介质遗失补办: the old certificate is revoked with the approval
         * (core/flow/reissue_review.c) */
        const char *why;

        rc = hall_replace_approved(req, id, hall_staff_actor(req), &why);
        if (rc == HALL_CONFLICT)
            return hall_resp_error(req, 409, NULL, why);
        if (rc != HALL_OK)
            return hall_resp_busy(req);
        accepted = hall_order_accepted(req->cx, id);
        if (accepted == NULL)
            return HALL_ERR;
        /* seeds 001/002: the e-invoice once the application is approved
         * (审核通过后…开具电子发票), once per order (core/biz/invoice.c) */
        if (hall_invoice_queue(req->cx, id) != HALL_OK)
            return hall_resp_busy(req);
        /* seed 004: 审核成功后 the 0.01 deposit with the new certificate's PIN */
        res = hall_db_exec(req->cx, "order_pin_deposit", HALL_I64(id));
        if (res == NULL || hall_dbres_rows(res) == 0)
            return HALL_ERR;
        if (hall_dbres_bool(res, 0, "due") && hall_finauth_queue(req, id) != HALL_OK)
            return hall_resp_busy(req);
    }
    if (kind == 'C' || kind == 'F') {
        rc = hall_payment_transfer_decided(req->cx, id, kind == 'C', kind == 'F' ? reason : "");
        if (rc == HALL_ERR)
            return hall_resp_busy(req);
        if (rc == 0)
            hall_warn(req, "msg=\"transfer decided without a pending payment\" order=%lld",
                      (long long)id);
    }
    if (kind == 'F') {
        /* the applicant learns why, once: the move above let one click through */
        form = form_of(req, o, hall_dbres_col(o, "form_enc"));
        if (form == NULL || form->type != HALL_V_OBJ) {
            hall_err(req, "msg=\"order form unreadable\" order=%lld", (long long)id);
            return hall_resp_busy(req);
        }
        if (decision_sms(req, id, o, form, 'F', reason) != HALL_OK)
            return hall_resp_busy(req);
        done = "已退回，业务单回到待支付，退回原因已短信通知申请人";
    }
    if (kind == 'R')
        res = hall_order_rejected(req->cx, id, reason);
    else if (kind == 'A')
        res = accepted;
    if (kind == 'A' || kind == 'R') {
        if (res == NULL || hall_dbres_rows(res) == 0)
            return HALL_ERR;
        form = form_of(req, res, hall_dbres_col(res, "form_enc"));
        if (form == NULL || form->type != HALL_V_OBJ) {
            hall_err(req, "msg=\"order form unreadable\" order=%lld", (long long)id);
            return hall_resp_busy(req);
        }
        if (decision_sms(req, id, o, form, kind, kind == 'R' ? reason : NULL) != HALL_OK)
            return hall_resp_busy(req);
    }
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"staff decision\" staff=%lld order=%lld from=%s to=%s",
              (long long)req->staff->id, (long long)id, from, to);
    return hall_resp_go(req, hall_psprintf(req->pool, "/admin/order?id=%lld", (long long)id), done);
}

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

static int
do_approve(struct hall_req *req)
{
    return decide(req, 'A');
}

static int
do_reject(struct hall_req *req)
{
    return decide(req, 'R');
}

static int
do_confirm(struct hall_req *req)
{
    return decide(req, 'C');
}

static int
do_refuse(struct hall_req *req)
{
    return decide(req, 'F');
}

/* ---- refunds (退费, issue 9) --------------------------------------------------- */

static const char *
refund_kind_label(const char *kind)
{
    return strcmp(kind, "surplus") == 0 ? "重复支付（自动退还）" : "申请退费";
}

static const char *
refund_status_label(const char *status)
{
    static const struct {
        const char *code, *label;
    } labels[] = {
        {"requested", "待财务审核"}, {"approved", "退款中"},   {"done", "已退款"},
        {"refused", "未通过"},       {"manual", "已人工退回"}, {NULL, NULL},
    };
    int i;

    for (i = 0; labels[i].code != NULL; i++)
        if (strcmp(labels[i].code, status) == 0)
            return labels[i].label;
    return status;
}

static const char *
method_label(const char *m)
{
    if (strcmp(m, "wechat") == 0)
        return "微信支付";
    if (strcmp(m, "alipay") == 0)
        return "支付宝";
    return "对公转账";
}

static void
refund_rows(struct hall_req *req, struct hall_val *ctx, const char *key, struct hall_dbres *res)
{
    struct hall_val *list = hall_val_set_list(req->pool, ctx, key);
    int i, n = hall_dbres_rows(res);

    for (i = 0; i < n; i++) {
        struct hall_val *r = hall_val_push_obj(req->pool, list);
        const char *status = hall_dbres_str(res, i, "status");

        hall_dbres_set(req->pool, r, res, i, "id:i kind");
        hall_val_set_str(req->pool, r, "kind_label",
                         refund_kind_label(hall_dbres_str(res, i, "kind")));
        hall_val_set_str(req->pool, r, "status", status);
        hall_val_set_str(req->pool, r, "status_label", refund_status_label(status));
        /* four eyes: approved once, waiting for a second finance member */
        hall_val_set_str(req->pool, r, "awaiting_by", hall_dbres_str(res, i, "awaiting_by"));
        if (*hall_dbres_str(res, i, "awaiting_by") != '\0')
            hall_val_set_fmt(req->pool, r, "status_label", "待复核（%s已批准）",
                             hall_dbres_str(res, i, "awaiting_by"));
        hall_val_set_bool(req->pool, r, "to_decide",
                          strcmp(status, "requested") == 0 &&
                              *hall_dbres_str(res, i, "awaiting_by") == '\0');
        hall_val_set_str(req->pool, r, "amount",
                         hall_yuan(req->pool, hall_dbres_int(res, i, "amount_fen")));
        hall_dbres_set(req->pool, r, res, i,
                       "amount_fen:i reason created_at order_id:i order_no subject method");
        hall_val_set_str(req->pool, r, "method_label",
                         method_label(hall_dbres_str(res, i, "method")));
        hall_val_set_bool(req->pool, r, "transfer",
                          strcmp(hall_dbres_str(res, i, "method"), "transfer") == 0);
        hall_dbres_set(req->pool, r, res, i, "partner_name note done_at");
    }
    hall_val_set_bool(req->pool, ctx, hall_psprintf(req->pool, "%s_empty", key), n == 0);
}

/* GET /admin/refunds: the finance queue of refunds */
static int
refunds_page(struct hall_req *req)
{
    struct hall_dbres *open, *closed;
    struct hall_val *ctx;
    int json = json_asked(req);

    if (partner_path(req))
        return HALL_OK;
    open = hall_db_exec(req->cx, "refunds_open", HALL_STR("t"), HALL_I64(200));
    closed =
        open != NULL ? hall_db_exec(req->cx, "refunds_open", HALL_STR("f"), HALL_I64(30)) : NULL;
    if (closed == NULL)
        return HALL_ERR;
    ctx = json ? hall_val_obj(req->pool) : page_ctx(req, "退费处理");
    refund_rows(req, ctx, "refunds", open);
    refund_rows(req, ctx, "finished", closed);
    hall_val_set_str(req->pool, ctx, "refund_four_eyes",
                     hall_yuan(req->pool, req->app->conf.refund_four_eyes_fen));
    if (json)
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "admin_refunds", ctx);
}

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

/*
 * What a finance decision on a refund does, inside the caller's transaction
 * (rf locked, still 'requested'): core/biz/refund.c's hall_refund_decide.
 * 'A' approve: an online payment goes back through the gateway (refund
 * approved, the outbox job pay_refund does the rest: 已退费 + SMS); a
 * corporate transfer cannot, finance pays it back by hand and records how
 * (note required): 已退费 + SMS at once.  'R' refuse with a reason: the
 * order goes back where it was and the applicant reads the reason in the
 * personal center and by SMS.  first: the actor of the first of two
 * approvals (four eyes), or NULL.  *done: what the page says.
 */
static int
refund_apply(struct hall_req *req, const struct hall_refund *rf, char kind, const char *note,
             const char *first, const char **done)
{
    const char *status;
    int rc;

    rc = hall_refund_decide(req->cx, rf, kind == 'A', note, hall_staff_actor(req), first, &status);
    if (kind == 'R')
        *done = "已拒绝退费，业务单已恢复原状态，短信已发送";
    else if (strcmp(status, "manual") == 0)
        *done = "已记录人工退款，业务单已退费，短信已发送";
    else
        *done = "已同意退费，款项将通过支付渠道原路退回";
    if (rc == HALL_OK)
        hall_info(req, "msg=\"refund decided\" staff=%lld refund=%lld order=%lld status=%s",
                  (long long)req->staff->id, (long long)rf->id, (long long)rf->order_id, status);
    return rc;
}

/* a JSON answer with the new request's id, or the page it waits on */
static int
resp_requested(struct hall_req *req, const char *message, int64_t request_id)
{
    struct hall_val *v;

    if (!json_asked(req))
        return hall_resp_redirect(req, "/admin/approvals");
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "redirect", "/admin/approvals");
    hall_val_set_str(req->pool, v, "message", message);
    hall_val_set_int(req->pool, v, "request_id", request_id);
    return hall_resp_ok(req, v);
}

/*
 * Finance decides a refund request, in one transaction, audited.  A refund
 * above refund_four_eyes_fen is four eyes: this approval becomes a request
 * (staff_requests) that a second finance member approves on
 * /admin/approvals; nothing is paid back before.  While it waits, the
 * refund is neither approved nor refused here again.
 */
static int
refund_decide(struct hall_req *req, char kind)
{
    const char *note = hall_req_param(req, kind == 'A' ? "note" : "reason");
    const char *done = NULL, *sid;
    struct hall_approval a;
    struct hall_refund rf;
    int64_t id, amount;
    int rc;

    if (partner_path(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    sid = hall_psprintf(req->pool, "%lld", (long long)id);
    if (note == NULL)
        note = "";
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    rc = hall_refund_lock(req->cx, id, &rf);
    if (rc == HALL_ERR)
        return hall_resp_busy(req);
    if (rc == 0)
        return hall_msg(req, HALL_M_REFUND_NOT_FOUND, NULL);
    if (strcmp(rf.status, "requested") != 0)
        return hall_msg(req, HALL_M_REFUND_DECIDE_STATE, NULL, refund_status_label(rf.status));
    rc = hall_approval_pending_of(req->cx, "refund", sid, &a);
    if (rc < 0)
        return hall_resp_busy(req);
    if (rc > 0)
        return hall_msg(req, HALL_M_REFUND_AWAITING, NULL, a.requested_login);
    amount = rf.amount_fen;
    if (kind == 'A' && strcmp(rf.method, "transfer") == 0 && *note == '\0')
        return hall_msg(req, HALL_M_REFUND_NOTE_NEEDED, "note");
    if (kind == 'A' && amount > req->app->conf.refund_four_eyes_fen) {
        struct hall_val *payload = hall_val_obj(req->pool);
        int64_t rid = 0;

        hall_val_set_str(req->pool, payload, "note", note);
        hall_val_set_int(req->pool, payload, "amount_fen", amount);
        rc = hall_approval_request(req->cx, "refund", sid, payload, req->staff->id,
                                   hall_psprintf(req->pool, "同意退费 %s 元（%s）",
                                                 hall_yuan(req->pool, amount), rf.order_no),
                                   &rid);
        if (rc == HALL_CONFLICT)
            return hall_msg(req, HALL_M_APPROVAL_DECIDED, NULL);
        if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        hall_info(req, "msg=\"refund approval requested\" staff=%lld refund=%lld request=%lld",
                  (long long)req->staff->id, (long long)id, (long long)rid);
        return resp_requested(
            req,
            hall_psprintf(req->pool,
                          "退费金额超过 %s 元，已提交，须由另一位财务人员在“待批准”中复核",
                          hall_yuan(req->pool, req->app->conf.refund_four_eyes_fen)),
            rid);
    }
    rc = refund_apply(req, &rf, kind, note, NULL, &done);
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_ORDER_CHANGED, NULL);
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    return hall_resp_go(req, "/admin/refunds", done);
}

static int
do_refund_approve(struct hall_req *req)
{
    return refund_decide(req, 'A');
}

static int
do_refund_refuse(struct hall_req *req)
{
    return refund_decide(req, 'R');
}

/* ---- four eyes: /admin/approvals (core/biz/approval.c) ----------------------- */

/* "reviewer,finance" -> "审核员、财务" */
static const char *
roles_label(struct hall_req *req, const char *list)
{
    const char *out = "";
    unsigned bits = hall_staff_roles_parse(list, NULL), bit;

    for (bit = 1; bit <= HALL_ROLE_ADMIN; bit <<= 1)
        if (bits & bit)
            out = hall_psprintf(req->pool, "%s%s%s", out, *out != '\0' ? "、" : "",
                                hall_staff_role_label(bit));
    return out;
}

static const char *
payload_str(const struct hall_val *payload, const char *key)
{
    const struct hall_val *v = payload != NULL ? hall_val_get(payload, key) : NULL;

    return v != NULL && v->type == HALL_V_STR ? v->str : "";
}

/* what a request asks, in words (never a password's hash) */
static const char *
approval_what(struct hall_req *req, const char *kind, const char *subject,
              const struct hall_val *payload)
{
    const struct hall_val *amount = payload != NULL ? hall_val_get(payload, "amount_fen") : NULL;

    if (strcmp(kind, "revoke") == 0)
        return hall_psprintf(
            req->pool, "吊销证书 %s，原因：%s", subject,
            hall_pki_reason_label(hall_pki_reason_code(payload_str(payload, "reason"))));
    if (strcmp(kind, "refund") == 0)
        return hall_psprintf(req->pool, "退费编号 %s，金额 %s 元", subject,
                             hall_yuan(req->pool, amount != NULL ? amount->i : 0));
    if (strcmp(kind, "staff_add") == 0)
        return hall_psprintf(req->pool, "新建账号 %s，角色：%s", subject,
                             roles_label(req, payload_str(payload, "roles")));
    return hall_psprintf(req->pool, "账号 %s 的角色改为：%s", subject,
                         roles_label(req, payload_str(payload, "roles")));
}

static void
approval_rows(struct hall_req *req, struct hall_val *ctx, const char *key, struct hall_dbres *res)
{
    struct hall_val *list = hall_val_set_list(req->pool, ctx, key);
    int i, n = hall_dbres_rows(res);

    for (i = 0; i < n; i++) {
        struct hall_val *r = hall_val_push_obj(req->pool, list);
        const char *kind = hall_dbres_str(res, i, "kind"),
                   *payload = hall_dbres_str(res, i, "payload");
        const char *state = hall_dbres_str(res, i, "state");
        struct hall_val *pv = hall_val_parse(req->pool, payload, strlen(payload), NULL, 0);
        int own = hall_dbres_int(res, i, "requested_by") == req->staff->id;
        int may = (req->staff->roles & hall_staff_role_bit(hall_approval_role(kind))) != 0;
        int revoke = strcmp(kind, "revoke") == 0;

        hall_val_set_int(req->pool, r, "id", hall_dbres_int(res, i, "id"));
        hall_val_set_str(req->pool, r, "kind", kind);
        hall_val_set_str(req->pool, r, "kind_label", hall_approval_kind_label(kind));
        hall_val_set_str(req->pool, r, "subject", hall_dbres_str(res, i, "subject"));
        hall_val_set_str(req->pool, r, "what",
                         approval_what(req, kind, hall_dbres_str(res, i, "subject"), pv));
        if (*hall_dbres_str(res, i, "order_no") != '\0') {
            struct hall_val *o = hall_val_set_obj(req->pool, r, "order");

            hall_dbres_set(req->pool, o, res, i, "order_no id=order_id:i");
            hall_val_set_fmt(req->pool, r, "what", "业务单 %s：%s",
                             hall_dbres_str(res, i, "order_no"),
                             approval_what(req, kind, hall_dbres_str(res, i, "subject"), pv));
        }
        hall_dbres_set(req->pool, r, res, i, "reason requested_by=requested_login created_at");
        hall_val_set_str(req->pool, r, "state", state);
        hall_val_set_str(req->pool, r, "state_label",
                         strcmp(state, "approved") == 0  ? "已批准"
                         : strcmp(state, "refused") == 0 ? "已拒绝"
                         : strcmp(state, "moot") == 0    ? "已自动关闭"
                                                         : "待批准");
        /* moot (sql/089): nobody decided it, its note says what happened */
        hall_val_set_str(req->pool, r, "decided_by",
                         strcmp(state, "moot") == 0 ? "—"
                                                    : hall_dbres_str(res, i, "decided_login"));
        hall_dbres_set(req->pool, r, res, i, "decided_at decision_note");
        hall_val_set_str(req->pool, r, "role_label",
                         hall_staff_role_label(hall_staff_role_bit(hall_approval_role(kind))));
        hall_val_set_bool(req->pool, r, "own", own);
        hall_val_set_bool(req->pool, r, "can_decide", !own && may);
        /* a revocation is made where the CA keys are (modules/pki) */
        hall_val_set_str(req->pool, r, "approve_url",
                         revoke ? "/admin/pki/revoke/approve" : "/admin/approvals/approve");
        hall_val_set_str(req->pool, r, "refuse_url",
                         revoke ? "/admin/pki/revoke/refuse" : "/admin/approvals/refuse");
    }
    hall_val_set_bool(req->pool, ctx, hall_psprintf(req->pool, "%s_empty", key), n == 0);
}

/* GET /admin/approvals: every pending request, who asked, when and why */
static int
approvals_page(struct hall_req *req)
{
    struct hall_dbres *open, *closed;
    struct hall_val *ctx;
    int json = json_asked(req);

    if (partner_path(req))
        return HALL_OK;
    open = hall_db_exec(req->cx, "approvals_list", HALL_STR("t"), HALL_I64(200));
    closed =
        open != NULL ? hall_db_exec(req->cx, "approvals_list", HALL_STR("f"), HALL_I64(30)) : NULL;
    if (closed == NULL)
        return HALL_ERR;
    ctx = json ? hall_val_obj(req->pool) : page_ctx(req, "待批准");
    approval_rows(req, ctx, "pending", open);
    approval_rows(req, ctx, "decided", closed);
    hall_val_set_str(req->pool, ctx, "refund_four_eyes",
                     hall_yuan(req->pool, req->app->conf.refund_four_eyes_fen));
    if (json)
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "admin_approvals", ctx);
}

static const struct hall_pspec approval_decide_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "申请编号", NULL},
    {"note", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 200, "处理意见", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/*
 * A second person decides a refund or a staff account's request: in one
 * transaction the request is decided (once, never by its requester, by a
 * member with the kind's role) and, approved, what it asked is done, all
 * audited.  Revocations are decided in modules/pki (/admin/pki/revoke/...).
 */
static int
approvals_decide(struct hall_req *req, int approve)
{
    const char *note = hall_req_param(req, "note"), *done = "已批准";
    struct hall_approval a;
    int64_t id;
    int rc;

    if (partner_path(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    rc = hall_approval_decide(req->cx, id, "refund,staff_add,staff_roles", req->staff->id, approve,
                              note, &a);
    if (rc == HALL_APPROVAL_UNKNOWN)
        return hall_msg(req, HALL_M_APPROVAL_NOT_FOUND, NULL);
    if (rc == HALL_APPROVAL_SELF)
        return hall_msg(req, HALL_M_APPROVAL_SELF, NULL);
    if (rc == HALL_APPROVAL_ROLE)
        return hall_msg(req, HALL_M_APPROVAL_ROLE, NULL);
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_APPROVAL_DECIDED, NULL);
    if (rc != HALL_OK)
        return hall_resp_busy(req);
    if (!approve) {
        done = strcmp(a.kind, "refund") == 0 ? "已拒绝，该退费回到待财务审核" : "已拒绝该申请";
    } else if (strcmp(a.kind, "refund") == 0) {
        struct hall_refund rf;

        rc = hall_refund_lock(req->cx, strtoll(a.subject, NULL, 10), &rf);
        if (rc == HALL_ERR)
            return hall_resp_busy(req);
        if (rc == 0)
            return hall_msg(req, HALL_M_REFUND_NOT_FOUND, NULL);
        if (strcmp(rf.status, "requested") != 0)
            return hall_msg(req, HALL_M_APPROVAL_STALE, NULL, refund_status_label(rf.status));
        rc = refund_apply(req, &rf, 'A', payload_str(a.payload, "note"),
                          hall_psprintf(req->pool, "staff:%lld", (long long)a.requested_by), &done);
        if (rc == HALL_CONFLICT)
            return hall_msg(req, HALL_M_ORDER_CHANGED, NULL);
    } else {
        rc = hall_approval_staff_apply(req->cx, &a, req->staff->id);
        if (rc == HALL_CONFLICT)
            return hall_msg(req, HALL_M_APPROVAL_STALE, NULL,
                            strcmp(a.kind, "staff_add") == 0 ? "登录名已存在" : "账号不存在");
        done = strcmp(a.kind, "staff_add") == 0 ? "已批准，账号已创建" : "已批准，角色已变更";
    }
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"staff request decided\" staff=%lld request=%lld kind=%s approved=%d",
              (long long)req->staff->id, (long long)id, a.kind, approve);
    return hall_resp_go(req, "/admin/approvals", done);
}

static int
do_approvals_approve(struct hall_req *req)
{
    return approvals_decide(req, 1);
}

static int
do_approvals_refuse(struct hall_req *req)
{
    return approvals_decide(req, 0);
}

/* ---- finance: a locked financial authentication, dead outbox jobs ---------- */

/*
 * The agent typed finauth_max_tries wrong codes: the newest attempt is
 * 'locked' (modules/finauth).  Finance, having checked who is asking, opens
 * it again with its count at 0; the memo code stays the one the bank sent.
 */
static int
do_finauth_unlock(struct hall_req *req)
{
    struct hall_dbres *o, *a;
    struct hall_val *detail;
    int64_t id;

    if (partner_path(req))
        return HALL_OK;
    o = order_load(req);
    if (o == NULL)
        return HALL_OK;
    id = hall_dbres_int(o, 0, "id");
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    a = hall_db_exec(req->cx, "finauth_lock", HALL_I64(id));
    if (a == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(a) == 0 || strcmp(hall_dbres_str(a, 0, "result"), "locked") != 0)
        return hall_msg(req, HALL_M_FINAUTH_NOT_LOCKED, NULL);
    if (hall_finauth_unlock(req->cx, hall_dbres_int(a, 0, "id")) != HALL_OK)
        return hall_resp_busy(req);
    detail = hall_val_obj(req->pool);
    hall_dbres_set(req->pool, detail, a, 0, "attempt_id=id:i tries:i");
    if (hall_audit(req->cx, hall_staff_actor(req), "order", hall_dbres_str(o, 0, "id"),
                   "finauth_unlock", NULL, NULL, detail) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return hall_resp_busy(req);
    hall_info(req, "msg=\"finauth unlocked\" staff=%lld order=%lld", (long long)req->staff->id,
              (long long)id);
    return hall_resp_go(req, hall_psprintf(req->pool, "/admin/order?id=%lld", (long long)id),
                        hall_psprintf(req->pool, "金融认证已解锁，经办人可重新输入%s",
                                      hall_finauth_code_name(
                                          strcmp(hall_dbres_str(a, 0, "memo_kind"), "pin") == 0)));
}

/* dead jobs: what they are and why they died; never their payload */
static int
outbox_page(struct hall_req *req)
{
    struct hall_dbres *res;
    struct hall_val *ctx, *list;
    int i, n;

    if (partner_path(req))
        return HALL_OK;
    res = hall_db_exec(req->cx, "outbox_dead");
    if (res == NULL)
        return HALL_ERR;
    ctx = json_asked(req) ? hall_val_obj(req->pool) : page_ctx(req, "失败的外部调用");
    list = hall_val_set_list(req->pool, ctx, "jobs");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *j = hall_val_push_obj(req->pool, list);

        hall_dbres_set(req->pool, j, res, i, "id:i kind idem_key attempts:i last_error created_at");
        hall_val_set_str(req->pool, j, "last_attempt_at",
                         hall_dbres_str(res, i, "next_attempt_at"));
    }
    hall_val_set_bool(req->pool, ctx, "empty", n == 0);
    if (json_asked(req))
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "admin_outbox", ctx);
}

/* a dead job gets outbox_max_attempts more; its idempotency key is kept, so
 * a provider that did act before answers with its first result */
static int
do_outbox_retry(struct hall_req *req)
{
    struct hall_dbres *res;
    struct hall_val *detail;
    const char *sid;
    int64_t id;

    if (partner_path(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    sid = hall_psprintf(req->pool, "%lld", (long long)id);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "outbox_retry", HALL_I64(id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        /* no such job (404) is not a job that is not dead (409) */
        res = hall_db_exec(req->cx, "outbox_exists", HALL_I64(id));
        if (res == NULL)
            return HALL_ERR;
        return hall_msg(
            req, hall_dbres_rows(res) == 0 ? HALL_M_OUTBOX_NOT_FOUND : HALL_M_OUTBOX_NOT_DEAD,
            NULL);
    }
    detail = hall_val_obj(req->pool);
    hall_dbres_set(req->pool, detail, res, 0, "kind idem_key");
    if (hall_audit(req->cx, hall_staff_actor(req), "outbox", sid, "retry", "dead", "pending",
                   detail) != HALL_OK ||
        hall_db_exec(req->cx, "outbox_wake", HALL_STR(hall_dbres_str(res, 0, "kind"))) == NULL ||
        hall_db_commit(req->cx) != HALL_OK)
        return hall_resp_busy(req);
    hall_info(req, "msg=\"outbox retry\" staff=%lld job=%lld", (long long)req->staff->id,
              (long long)id);
    return hall_resp_go(req, "/admin/outbox", "已重新加入发送队列");
}

static const struct hall_route admin_routes[] = {
    {"GET", "/admin", home_page, HALL_R_STAFF, NULL},
    {"GET", "/admin/login", login_page, 0, NULL},
    {"POST", "/admin/login", do_login, 0, login_params},
    {"GET", "/admin/login/code", code_page, HALL_R_STAFF | HALL_R_STAFF_HALF, NULL},
    {"POST", "/admin/login/code", do_code, HALL_R_STAFF | HALL_R_STAFF_HALF, code_params},
    {"GET", "/admin/login/enrol", enrol_page, HALL_R_STAFF | HALL_R_STAFF_HALF, NULL},
    {"POST", "/admin/login/enrol", do_enrol, HALL_R_STAFF | HALL_R_STAFF_HALF, code_params},
    {"POST", "/admin/logout", do_logout, HALL_R_STAFF | HALL_R_STAFF_HALF, NULL},
    {"GET", "/admin/review", review_queue, HALL_R_STAFF | R_READ_REVIEW, queue_params},
    {"GET", "/admin/finance", finance_queue, HALL_R_STAFF | R_READ_FINANCE, queue_params},
    {"GET", "/admin/order", order_page, HALL_R_STAFF | R_READ_ORDER, id_params},
    {"GET", "/admin/file", file_download, HALL_R_STAFF | R_READ_ORDER, id_params},
    {"POST", "/admin/order/approve", do_approve, HALL_R_STAFF | R_REVIEW, id_params},
    {"POST", "/admin/order/reject", do_reject, HALL_R_STAFF | R_REVIEW, reject_params},
    {"POST", "/admin/transfer/confirm", do_confirm, HALL_R_STAFF | R_FINANCE, id_params},
    {"POST", "/admin/transfer/refuse", do_refuse, HALL_R_STAFF | R_FINANCE, refuse_params},
    {"POST", "/admin/finauth/unlock", do_finauth_unlock, HALL_R_STAFF | R_FINANCE, id_params},
    {"GET", "/admin/outbox", outbox_page, HALL_R_STAFF | R_FINANCE, NULL},
    {"POST", "/admin/outbox/retry", do_outbox_retry, HALL_R_STAFF | R_FINANCE, id_params},
    {"GET", "/admin/refunds", refunds_page, HALL_R_STAFF | R_READ_FINANCE, NULL},
    {"POST", "/admin/refund/approve", do_refund_approve, HALL_R_STAFF | R_FINANCE,
     refund_approve_params},
    {"POST", "/admin/refund/refuse", do_refund_refuse, HALL_R_STAFF | R_FINANCE,
     refund_refuse_params},
    {"GET", "/admin/approvals", approvals_page, HALL_R_STAFF, NULL},
    {"POST", "/admin/approvals/approve", do_approvals_approve, HALL_R_STAFF,
     approval_decide_params},
    {"POST", "/admin/approvals/refuse", do_approvals_refuse, HALL_R_STAFF, approval_decide_params},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(admin, admin_routes, admin_stmts, NULL)
