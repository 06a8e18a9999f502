/*
 * finauth: 金融认证 (SPEC step 9 and the finauth flow of seeds 001/003/004).
 *
 *   GET  /finauth?id=N     金融认证成功: the code entry (待认证);
 *                          金融认证失败: the account form (金融认证);
 *                          otherwise where the order stands
 *   POST /finauth/code     the code from the transfer memo: right -> 待审核,
 *                          finauth_max_tries wrong ones lock the attempt
 *   POST /finauth/retry    corrected 基本户名称 / 开户行 / 账号 -> a new
 *                          micro-deposit (finauth_failed -> finauth_pending)
 *   GET  /finauth/legal    法人认证 (seed 003): after the partner's number of
 *                          failed micro-deposits, where the partner allows it,
 *                          the legal person verifies on a phone (core/flow/identity.c,
 *                          the phone pages of modules/new): finauth_failed -> review
 *   GET  /finauth/legal/status   polled by that page
 *
 * The micro-deposit itself is queued by hall_finauth_queue (core/flow/finauth_deposit.c)
 * and made by the outbox worker (tools/outbox, kind "bank_transfer").
 * Codes are compared as keyed MACs and never logged.  docs/modules/finauth.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hall.h"

static const struct hall_stmt finauth_stmts[] = {
    {"finauth_order_get",
     "SELECT o.id, o.order_no, o.status, o.cert_type, o.business_type, p.name AS partner_name,"
     " o.form_enc,"
     " o.amount_fen, p.legal_person_auth_allowed, p.legal_person_auth_after,"
     " (SELECT count(*) FROM finauth_attempts a WHERE a.order_id = o.id AND a.result = 'failed')"
     " AS failed_count,"
     " coalesce((SELECT pin_by_memo FROM products WHERE id = o.product_id), true) AS pin_by_memo"
     " FROM orders o JOIN partners p ON p.code = o.partner_code"
     " WHERE o.id = $1 AND o.user_id = $2",
     2},
    /* 金融认证 entered from the home page: the applicant's orders it concerns */
    {"orders_due",
     "SELECT id, order_no, subject, status, to_char(updated_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD') AS updated FROM orders WHERE user_id = $1"
     " AND status IN ('finauth_pending', 'finauth_ok', 'finauth_failed')"
     " ORDER BY updated_at DESC, id DESC LIMIT 50",
     1},
    {"attempt_latest",
     "SELECT id, result, tries, memo_kind, code_hash, coalesce(fail_reason, '') AS fail_reason"
     " FROM finauth_attempts WHERE order_id = $1 ORDER BY id DESC LIMIT 1",
     1},
    {"attempt_lock",
     "SELECT id, result, tries, memo_kind, code_hash FROM finauth_attempts"
     " WHERE order_id = $1 ORDER BY id DESC LIMIT 1 FOR UPDATE",
     1},
    {NULL, NULL, 0},
};

/* ---- helpers ------------------------------------------------------------- */

/* the order of this user, or NULL after answering (404 for others' orders),
 * or unanswered when the store failed (the core's finish answers 503) */
static struct hall_dbres *
order_load(struct hall_req *req, int64_t *id)
{
    return hall_order_own(req, "finauth_order_get", id);
}

static struct hall_val *
order_form(struct hall_req *req, struct hall_dbres *o)
{
    size_t len;
    unsigned char *enc = hall_dbres_bytea(req->cx, o, 0, hall_dbres_col(o, "form_enc"), &len);
    char *plain;

    if (enc == NULL)
        return NULL;
    plain = hall_pii_decrypt(req->pool, enc, len);
    if (plain == NULL)
        return NULL;
    return hall_val_parse(req->pool, plain, strlen(plain), NULL, 0);
}

/* 证书PIN码 or 随机验证码, by the order's product (order_get's pin_by_memo) */
static const char *
code_name(struct hall_dbres *o)
{
    return hall_finauth_code_name(hall_dbres_bool(o, 0, "pin_by_memo"));
}

static const char *
locked_msg(struct hall_req *req, const char *name)
{
    return hall_msg_text(req->pool, HALL_M_FINAUTH_LOCKED, name, req->app->conf.finauth_max_tries);
}

/*
 * 法人认证 instead of the micro-deposit: never for partners that forbid it
 * (内蒙古政采, 广州梅谷科技, 光大环境: partners.legal_person_auth_allowed), and
 * only after partners.legal_person_auth_after failed transfers (3 unless
 * the partner says otherwise).  HALL_OK when offered, else the refusal.
 */
#define LEGAL_OK        0
#define LEGAL_FORBIDDEN 1
#define LEGAL_NOT_YET   2
#define LEGAL_STATE     3

static int
legal_offer(const struct hall_dbres *o)
{
    if (!hall_dbres_bool(o, 0, "legal_person_auth_allowed"))
        return LEGAL_FORBIDDEN;
    if (strcmp(hall_dbres_str(o, 0, "status"), "finauth_failed") != 0 ||
        strcmp(hall_dbres_str(o, 0, "cert_type"), "person") == 0)
        return LEGAL_STATE;
    if (hall_dbres_int(o, 0, "failed_count") < hall_dbres_int(o, 0, "legal_person_auth_after"))
        return LEGAL_NOT_YET;
    return LEGAL_OK;
}

/* ---- GET /finauth -------------------------------------------------------- */

/*
 * GET /finauth without an order (home page: 金融认证): the applicant's
 * orders waiting for it, each with what to do (待认证: type the memo's code;
 * 金融认证: correct the account and send the deposit again).
 */
static int
finauth_list(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req), *list, *r;
    struct hall_dbres *res = hall_db_exec(req->cx, "orders_due", HALL_I64(req->user_id));
    const struct hall_dbcols *cols;
    int i, n;

    if (res == NULL)
        return HALL_ERR;
    hall_val_set_str(req->pool, ctx, "title", "金融认证");
    list = hall_val_set_list(req->pool, ctx, "orders");
    n = hall_dbres_rows(res);
    cols = hall_dbres_cols(req->pool, res, "id order_no subject updated");
    for (i = 0; i < n; i++) {
        const char *st = hall_dbres_str(res, i, "status");

        r = hall_val_push_obj(req->pool, list);
        hall_dbres_put(req->pool, r, res, i, cols);
        hall_val_set_str(req->pool, r, "status_label", hall_order_label(st));
        hall_val_set_str(req->pool, r, "action",
                         strcmp(st, "finauth_ok") == 0       ? "待认证"
                         : strcmp(st, "finauth_failed") == 0 ? "金融认证"
                                                             : "查看");
    }
    hall_val_set_bool(req->pool, ctx, "empty", n == 0);
    return hall_resp_page(req, 200, "finauth_list", ctx);
}

static int
finauth_page(struct hall_req *req)
{
    struct hall_dbres *o, *a;
    struct hall_val *ctx, *form;
    const char *status;
    int64_t id;

    if (hall_req_query(req, "id") == NULL)
        return finauth_list(req);
    o = order_load(req, &id);
    if (o == NULL)
        return HALL_OK;
    status = hall_dbres_str(o, 0, "status");
    ctx = hall_page_ctx(req);
    hall_val_set_str(req->pool, ctx, "title", "金融认证");
    hall_val_set_str(req->pool, ctx, "site_name",
                     req->partner[0] != '\0' ? hall_dbres_str(o, 0, "partner_name")
                                             : "深圳CA网上营业厅");
    hall_dbres_set(req->pool, ctx, o, 0, "order_id=id order_no");
    hall_val_set_str(req->pool, ctx, "status", status);
    hall_val_set_str(req->pool, ctx, "status_label", hall_order_label(status));
    hall_val_set_str(req->pool, ctx, "code_name", code_name(o));
    /* the memo names the code in its own words: the page says which they are */
    hall_val_set_str(req->pool, ctx, "memo_label",
                     hall_finauth_memo_label(hall_dbres_bool(o, 0, "pin_by_memo")));
    a = hall_db_exec(req->cx, "attempt_latest", HALL_I64(id));
    if (a == NULL)
        return HALL_ERR;
    if (strcmp(status, "finauth_ok") == 0 && hall_dbres_rows(a) > 0) {
        long left = req->app->conf.finauth_max_tries - (long)hall_dbres_int(a, 0, "tries");

        hall_val_set_bool(req->pool, ctx, "pin",
                          strcmp(hall_dbres_str(a, 0, "memo_kind"), "pin") == 0);
        hall_val_set_bool(req->pool, ctx, "locked",
                          strcmp(hall_dbres_str(a, 0, "result"), "locked") == 0);
        hall_val_set_str(req->pool, ctx, "locked_msg", locked_msg(req, code_name(o)));
        hall_val_set_int(req->pool, ctx, "tries_left", left > 0 ? left : 0);
        return hall_resp_page(req, 200, "finauth_code", ctx);
    }
    if (strcmp(status, "finauth_failed") == 0) {
        struct hall_val *f;

        form = order_form(req, o);
        if (form == NULL)
            return HALL_ERR;
        f = hall_val_set_obj(req->pool, ctx, "f");
        hall_val_set_str(req->pool, f, "org_name", hall_val_str(form, "org_name"));
        hall_val_set_str(req->pool, f, "bank_account_name",
                         hall_val_str(form, "bank_account_name"));
        hall_val_set_str(req->pool, f, "bank_id", hall_val_str(form, "bank_id"));
        hall_val_set_str(req->pool, f, "bank_name", hall_val_str(form, "bank_name"));
        hall_val_set_str(req->pool, f, "bank_branch_id", hall_val_str(form, "bank_branch_id"));
        hall_val_set_str(req->pool, f, "bank_branch_name", hall_val_str(form, "bank_branch_name"));
        hall_val_set_str(req->pool, f, "bank_account", hall_val_str(form, "bank_account"));
        hall_val_set_str(req->pool, ctx, "reason",
                         hall_dbres_rows(a) > 0 ? hall_dbres_str(a, 0, "fail_reason") : "");
        hall_val_set_str(req->pool, ctx, "page_js", "new.js");
        if (hall_finauth_banks_ctx(req, ctx) != HALL_OK)
            return hall_req_failed(req);
        hall_val_set_bool(req->pool, ctx, "legal", legal_offer(o) == LEGAL_OK);
        return hall_resp_page(req, 200, "finauth_retry", ctx);
    }
    if (strcmp(status, "finauth_pending") == 0)
        hall_val_set_str(req->pool, ctx, "hint",
                         hall_psprintf(req->pool,
                                       "系统正在向贵司对公账户打款0.01元（并在交易附言里备注%s）"
                                       "进行金融认证，请稍后刷新本页面查看结果。",
                                       code_name(o)));
    else if (strcmp(status, "review") == 0)
        hall_val_set_str(req->pool, ctx, "hint",
                         "申请单状态显示“待审核”则意味着金融认证已通过，将由深圳CA审核申请资料。");
    else
        hall_val_set_str(req->pool, ctx, "hint", "该业务单当前无需进行金融认证。");
    return hall_resp_page(req, 200, "finauth_status", ctx);
}

/* ---- POST /finauth/code ---------------------------------------------------- */

static const struct hall_pspec code_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    /* checked in do_code, which names it as the order's product does */
    {"code", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "验证码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_code(struct hall_req *req)
{
    const char *code = hall_req_param(req, "code");
    const long max = req->app->conf.finauth_max_tries;
    struct hall_dbres *o, *lock, *a;
    unsigned char mac[32];
    const unsigned char *stored;
    size_t slen = 0;
    int64_t id, attempt;
    long tries;
    int rc;
    const char *name;

    o = order_load(req, &id);
    if (o == NULL)
        return HALL_OK;
    name = code_name(o);
    if (code == NULL || strlen(code) != 6 || strspn(code, "0123456789") != 6)
        return hall_msg(req, HALL_M_FIELD_SMSCODE, "code", name);
    lock = hall_order_lock_own(req, "order_lock_own", id);
    if (lock == NULL)
        return HALL_OK;
    if (strcmp(hall_dbres_str(lock, 0, "status"), "finauth_ok") != 0)
        return hall_msg(req, HALL_M_FINAUTH_CODE_STATE, NULL, name);
    a = hall_db_exec(req->cx, "attempt_lock", HALL_I64(id));
    if (a == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(a) == 0)
        return hall_msg(req, HALL_M_FINAUTH_CODE_STATE, NULL, name);
    attempt = hall_dbres_int(a, 0, "id");
    tries = (long)hall_dbres_int(a, 0, "tries");
    if (strcmp(hall_dbres_str(a, 0, "result"), "locked") == 0 || tries >= max)
        return hall_msg(req, HALL_M_FINAUTH_LOCKED, "code", name, max);
    if (strcmp(hall_dbres_str(a, 0, "result"), "sent") != 0)
        return hall_msg(req, HALL_M_FINAUTH_CODE_STATE, NULL, name);
    stored = hall_dbres_bytea(req->cx, a, 0, hall_dbres_col(a, "code_hash"), &slen);
    hall_finauth_code_mac(id, code, mac);
    if (stored == NULL || slen != sizeof(mac) || !hall_ct_equal(stored, mac, sizeof(mac))) {
        struct hall_val *detail = hall_val_obj(req->pool);

        if (hall_finauth_wrong(req->cx, attempt, max, &tries) != HALL_OK)
            return HALL_ERR;
        hall_val_set_int(req->pool, detail, "tries", tries);
        if (hall_audit(req->cx, hall_req_actor(req), "order",
                       hall_psprintf(req->pool, "%lld", (long long)id),
                       strcmp(hall_dbres_str(a, 0, "memo_kind"), "pin") == 0 ? "finauth_wrong_pin"
                                                                             : "finauth_wrong_code",
                       NULL, NULL, detail) != HALL_OK)
            return HALL_ERR;
        /* the wrong try counts even though the answer is an error */
        if (hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        hall_info(req, "msg=\"finauth wrong code\" order=%lld tries=%ld", (long long)id, tries);
        if (tries >= max)
            return hall_msg_as(req, 400, HALL_M_FINAUTH_LOCKED, "code", name, max);
        return hall_msg(req, HALL_M_FINAUTH_CODE_WRONG, "code", name, max - tries);
    }
    if (hall_finauth_verified(req->cx, attempt) != HALL_OK)
        return HALL_ERR;
    rc = hall_order_move(req->cx, id, "finauth_ok", "review", hall_req_actor(req), NULL);
    if (rc == HALL_ERR)
        return HALL_ERR;
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_FINAUTH_CODE_STATE, NULL, name);
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"finauth verified\" order=%lld", (long long)id);
    return hall_resp_go(
        req, hall_psprintf(req->pool, "%s/finauth?id=%lld", hall_req_base(req), (long long)id),
        NULL);
}

/* ---- POST /finauth/retry --------------------------------------------------- */

/* the account's fields are the catalogue's (core/flow/catalog.def), checked in
 * the handler by the same registry, every error at once */
static const struct hall_pspec retry_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const char *const retry_fields[] = {
    "bank_account_name", "bank_id",      "bank_name", "bank_branch_id",
    "bank_branch_name",  "bank_account", NULL};

static int
do_retry(struct hall_req *req)
{
    struct hall_errors e = {NULL, NULL, 0, 0};
    struct hall_dbres *o;
    struct hall_val *form, *in;
    const char *json;
    unsigned char *enc;
    size_t jlen, elen;
    int64_t id, rev;
    int rc, i;

    o = order_load(req, &id);
    if (o == NULL)
        return HALL_OK;
    if (strcmp(hall_dbres_str(o, 0, "status"), "finauth_failed") != 0)
        return hall_msg(req, HALL_M_FINAUTH_RETRY_STATE, NULL);
    form = order_form(req, o);
    if (form == NULL)
        return HALL_ERR;
    in = hall_val_obj(req->pool);
    for (i = 0; retry_fields[i] != NULL; i++) {
        const struct hall_field *f = hall_field_get(retry_fields[i]);
        const char *v, *note, *msg;

        if (hall_param_check(req->pool, &f->spec, hall_req_param(req, f->name), &v, &note, &msg) !=
            HALL_OK)
            hall_errors_add(req->pool, &e, 400, f->name, msg);
        else
            hall_val_set_str(req->pool, in, f->name, v);
    }
    /* seeds 001/004: the basic account belongs to the unit itself */
    if (!hall_errors_has(&e, "bank_account_name") &&
        strcmp(hall_val_str(in, "bank_account_name"), hall_val_str(form, "org_name")) != 0)
        hall_msg_add(req, &e, HALL_M_BANK_NAME_MISMATCH, "bank_account_name");
    if (hall_finauth_bank_check(req, in, &e) != HALL_OK)
        return HALL_OK;
    if (e.n > 0)
        return hall_resp_errors(req, &e);
    /* the setters replace members in place: the rest of the form stays */
    for (i = 0; retry_fields[i] != NULL; i++)
        hall_val_set_str(req->pool, form, retry_fields[i], hall_val_str(in, retry_fields[i]));
    hall_val_set_str(req->pool, form, "bank_cnaps", hall_val_str(in, "bank_cnaps"));
    json = hall_val_json(req->pool, form, &jlen);
    if (json == NULL)
        return HALL_ERR;
    enc = hall_pii_encrypt(req->pool, json, jlen, &elen);
    if (enc == NULL)
        return HALL_ERR;

    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    /* the form's new revision (core/biz/order.c) */
    rc = hall_order_finauth_form(req->cx, id, req->user_id, enc, elen, &rev);
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_FINAUTH_RETRY_STATE, NULL);
    if (rc != HALL_OK)
        return HALL_ERR;
    rc = hall_order_move(req->cx, id, "finauth_failed", "finauth_pending", hall_req_actor(req),
                         NULL);
    if (rc == HALL_ERR)
        return HALL_ERR;
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_FINAUTH_RETRY_STATE, NULL);
    if (hall_finauth_queue(req, id) != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"finauth retry queued\" order=%lld rev=%lld", (long long)id,
              (long long)rev);
    return hall_resp_go(
        req, hall_psprintf(req->pool, "%s/finauth?id=%lld", hall_req_base(req), (long long)id),
        NULL);
}

/* ---- GET /finauth/legal: 法人认证 on the legal person's phone ------------------- */

static int
legal_page(struct hall_req *req)
{
    struct hall_dbres *o;
    struct hall_val *ctx, *form;
    const char *url;
    int64_t id;

    o = order_load(req, &id);
    if (o == NULL)
        return HALL_OK;
    switch (legal_offer(o)) {
    case LEGAL_FORBIDDEN: return hall_msg(req, HALL_M_LEGAL_FORBIDDEN, NULL);
    case LEGAL_NOT_YET:
        return hall_msg(req, HALL_M_LEGAL_NOT_YET, NULL,
                        (long long)hall_dbres_int(o, 0, "legal_person_auth_after"));
    case LEGAL_STATE: return hall_msg(req, HALL_M_LEGAL_STATE, NULL);
    default: break;
    }
    form = order_form(req, o);
    if (form == NULL)
        return HALL_ERR;
    if (*hall_val_str(form, "legal_name") == '\0' || *hall_val_str(form, "legal_ric") == '\0')
        return hall_msg(req, HALL_M_LEGAL_NO_PERSON, NULL);
    /* the phone pages of the new flow (core/flow/flow.c) serve every kind of check */
    url = hall_identity_start(req, id, "legal",
                              hall_psprintf(req->pool, "%s/new/m/verify", hall_req_base(req)));
    if (url == NULL)
        return HALL_ERR;
    ctx = hall_page_ctx(req);
    hall_val_set_str(req->pool, ctx, "title", "法人认证");
    hall_val_set_str(req->pool, ctx, "site_name",
                     req->partner[0] != '\0' ? hall_dbres_str(o, 0, "partner_name")
                                             : "深圳CA网上营业厅");
    hall_dbres_set(req->pool, ctx, o, 0, "order_id=id order_no");
    hall_val_set_str(req->pool, ctx, "qr_svg", hall_qr_svg(req->pool, url, 4));
    hall_val_set_str(req->pool, ctx, "mobile_url", url);
    hall_val_set_str(req->pool, ctx, "page_js", "new.js");
    hall_info(req, "msg=\"legal person check started\" order=%lld", (long long)id);
    return hall_resp_page(req, 200, "finauth_legal", ctx);
}

static int
legal_status(struct hall_req *req)
{
    struct hall_dbres *o;
    struct hall_val *v;
    const char *status, *message;
    int64_t id;

    o = order_load(req, &id);
    if (o == NULL)
        return HALL_OK;
    if (hall_identity_status(req, id, "legal", &status, &message) != HALL_OK)
        return hall_req_failed(req);
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "status", status);
    hall_val_set_str(req->pool, v, "message", message);
    if (strcmp(status, "passed") == 0)
        hall_val_set_str(
            req->pool, v, "next",
            hall_psprintf(req->pool, "%s/finauth?id=%lld", hall_req_base(req), (long long)id));
    return hall_resp_ok(req, v);
}

static const struct hall_route finauth_routes[] = {
    {"GET", "/finauth/legal", legal_page, HALL_R_AUTH, NULL},
    {"GET", "/finauth/legal/status", legal_status, HALL_R_AUTH, NULL},
    {"GET", "/finauth", finauth_page, HALL_R_AUTH, NULL},
    {"POST", "/finauth/code", do_code, HALL_R_AUTH, code_params},
    {"POST", "/finauth/retry", do_retry, HALL_R_AUTH, retry_params},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(finauth, finauth_routes, finauth_stmts, NULL)
