/*
 * account: the hall's home and partner entry pages, registration, login by
 * password or SMS code, logout, profile and password change, /healthz.
 * Partner entry links are data: a partner code from nginx, and for partners
 * that need one, a project ID checked against partner_projects.
 */
#include <stdio.h>
#include <string.h>

#include "hall.h"

/* password spraying: distinct phones one client may fail on in the window
 * before its password logins are refused (sql/048, docs/operations.md) */
#define LOGIN_CLIENT_MAX      10
#define LOGIN_CLIENT_WINDOW_S 600

static const struct hall_stmt account_stmts[] = {
    {"health", "SELECT 1", 0},
    {"partner_get",
     "SELECT code, name, requires_project_id FROM partners WHERE code = $1 AND active", 1},
    /* password spraying (sql/048): a client that failed on too many phones */
    {"login_client_blocked", "SELECT login_client_blocked($1, $2, $3) AS blocked", 3},
    /* 常见问题: what the answers depend on in this channel (the generic
     * hall's row is 'hall') */
    {"faq_partner",
     "SELECT sms_business_name, shipping_prepaid, legal_person_auth_allowed,"
     " coalesce(sms_site, '深圳CA申请页面') AS sms_site,"
     /* a product whose key is born in the browser (a browser-key one, or
      * any SM2: functions/order_key_origin.sql) sold new in this channel;
      * the browser twins of 补办 and 更新 every channel has are for a
      * certificate made in the browser elsewhere, not a product it sells */
     " EXISTS (SELECT 1 FROM products r WHERE r.partner_code = partners.code AND r.active"
     " AND r.business_type IN ('new', 'seal') AND (r.key_origin = 'browser' OR r.ca = 'sm2'))"
     " AS browser_sold FROM partners"
     " WHERE code = $1 AND active",
     1},
    /* 大客户专区: the partner platforms' channels */
    {"channels",
     "SELECT code, name, short_name, requires_project_id, review_sla_days FROM partners"
     " WHERE active AND code <> 'hall' ORDER BY review_sla_days, code",
     0},
    /* 业务办理 → 介质遗失补办 where the partner's products allow it; the
     * generic hall: where one of the projects it lists does (core/flow/flow.c) */
    {"partner_project",
     "SELECT name FROM partner_projects WHERE partner_code = $1 AND project_id = $2", 2},
    {"user_by_phone",
     "SELECT id, password_hash, coalesce(locked_until > now(), false) AS locked FROM users"
     " WHERE phone_idx = "
     "$1",
     1},
    /* the login locks the row before the slow hash: parallel wrong passwords
     * are counted one after another, and a right one never reads a stale lock */
    {"user_by_phone_lock",
     "SELECT id, password_hash, coalesce(locked_until > now(), false) AS locked FROM users"
     " WHERE phone_idx = "
     "$1 FOR UPDATE",
     1},
    /* the unclaimed ticket of a partner link the login page was sent with */
    {"link_prefill",
     "SELECT prefill_enc FROM partner_links WHERE ticket_hash = $1 AND partner_code = $2"
     " AND claimed_by IS NULL AND created_at > now() - interval '1 day'",
     2},
    {"user_get",
     "SELECT phone_enc, display_name, email, to_char(created_at, 'YYYY-MM-DD') AS created,"
     " password_hash IS NOT NULL AS has_password FROM users WHERE id = $1",
     1},
    {"user_password_get", "SELECT password_hash FROM users WHERE id = $1 FOR UPDATE", 1},
    {NULL, NULL, 0},
};

/* ---- helpers ----------------------------------------------------------- */

static const char *
actor_of(struct hall_req *req, int64_t uid)
{
    return hall_psprintf(req->pool, "user:%lld", (long long)uid);
}

static const char *
base_of(struct hall_req *req)
{
    return req->partner[0] != '\0' ? hall_psprintf(req->pool, "/%s", req->partner) : "";
}

/* Where to go after login: a local "next", else the partner's or hall's home. */
static const char *
next_of(struct hall_req *req)
{
    const char *next = hall_req_param(req, "next");

    if (hall_local_path(next) && strlen(next) < 512)
        return next;
    return hall_psprintf(req->pool, "%s/", base_of(req));
}

/*
 * Looks the partner up.  Returns HALL_ERR after answering 404 for an unknown
 * partner, HALL_ERR unanswered when the store failed; fills ctx with its
 * name.
 */
static int
partner_ctx(struct hall_req *req, struct hall_val *ctx)
{
    struct hall_dbres *res;

    if (req->partner[0] == '\0') {
        hall_val_set_str(req->pool, ctx, "site_name", "深圳CA网上营业厅");
        return HALL_OK;
    }
    res = hall_db_exec(req->cx, "partner_get", HALL_STR(req->partner));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_PAGE_NOT_FOUND, NULL);
        return HALL_ANSWERED;
    }
    hall_dbres_set(req->pool, ctx, res, 0,
                   "partner_name=name site_name=name requires_project=requires_project_id:b");
    return HALL_OK;
}

static struct hall_val *
page_ctx(struct hall_req *req, const char *title)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", title);
    hall_val_set_str(req->pool, ctx, "next", next_of(req));
    return ctx;
}

static const char *
mask_phone(struct hall_req *req, const char *phone)
{
    if (phone == NULL || strlen(phone) != 11)
        return "";
    return hall_psprintf(req->pool, "%.3s****%.4s", phone, phone + 7);
}

/* ---- pages ----------------------------------------------------------------- */

static int
healthz(struct hall_req *req)
{
    struct hall_val *v = hall_val_obj(req->pool);
    int ok = hall_db_exec(req->cx, "health") != NULL;

    hall_val_set_bool(req->pool, v, "ok", ok);
    hall_val_set_bool(req->pool, v, "database", ok);
    return hall_resp_json(req, ok ? 200 : 503, v);
}

static int
home(struct hall_req *req)
{
    struct hall_val *ctx = page_ctx(req, "首页");
    const struct hall_val *rp;

    if (partner_ctx(req, ctx) != HALL_OK)
        return hall_req_failed(req);
    /* a partner that sends users with a project ID has no bare landing page;
     * the generic hall (no partner) has no "requires_project" at all */
    rp = hall_val_get(ctx, "requires_project");
    if (rp != NULL && rp->i != 0 && req->user_id == 0)
        return hall_msg(req, HALL_M_PROJECT_ENTRY, NULL);
    /* exactly the flows this channel sells (its products) */
    if (req->user_id != 0) {
        struct hall_dbres *res = hall_db_ref(req->cx, "partner_flows", HALL_STR(req->partner));
        struct hall_val *fl = hall_val_set_obj(req->pool, ctx, "flows");
        int i, n;

        if (res == NULL)
            return HALL_ERR;
        n = hall_dbres_rows(res);
        for (i = 0; i < n; i++)
            hall_val_set_bool(req->pool, fl,
                              hall_pstrdup(req->pool, hall_dbres_str(res, i, "business_type")), 1);
    }
    return hall_resp_page(req, 200, "home", ctx);
}

/* 常见问题 (seeds' FAQ), as it reads in this channel */
static int
faq_page(struct hall_req *req)
{
    struct hall_val *ctx = page_ctx(req, "常见问题");
    struct hall_dbres *res;

    if (partner_ctx(req, ctx) != HALL_OK)
        return hall_req_failed(req);
    res = hall_db_exec(req->cx, "faq_partner",
                       HALL_STR(req->partner[0] != '\0' ? req->partner : "hall"));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 1) {
        hall_dbres_set(req->pool, ctx, res, 0, "sms_business_name prepaid=shipping_prepaid:b");
        hall_val_set_bool(req->pool, ctx, "collect_only",
                          !hall_dbres_bool(res, 0, "shipping_prepaid"));
        hall_dbres_set(req->pool, ctx, res, 0, "legal_person=legal_person_auth_allowed:b");
        /* the example SMS names the site the real one names (modules/admin,
         * decision_sms: szjsgws's www.szca.com) */
        hall_dbres_set(req->pool, ctx, res, 0, "sms_site");
        /* the browser's answers only where such a product is sold */
        hall_dbres_set(req->pool, ctx, res, 0, "browser_sold:b");
    }
    return hall_resp_page(req, 200, "faq", ctx);
}

/* 大客户专区: the partner platforms and where their users come in */
static int
channels_page(struct hall_req *req)
{
    struct hall_val *ctx = page_ctx(req, "大客户专区");
    struct hall_val *list;
    struct hall_dbres *res;
    const struct hall_dbcols *cols;
    int i;

    if (partner_ctx(req, ctx) != HALL_OK)
        return hall_req_failed(req);
    res = hall_db_exec(req->cx, "channels");
    if (res == NULL)
        return HALL_ERR;
    list = hall_val_set_list(req->pool, ctx, "channels");
    cols = hall_dbres_cols(req->pool, res,
                           "code name short_name project=requires_project_id:b "
                           "sla=review_sla_days:i");
    for (i = 0; i < hall_dbres_rows(res); i++)
        hall_dbres_put(req->pool, hall_val_push_obj(req->pool, list), res, i, cols);
    return hall_resp_page(req, 200, "partners", ctx);
}

/* /szjsgws/getLogin?projectId=...: the partner's entry link */
static int
partner_entry(struct hall_req *req)
{
    struct hall_val *ctx = page_ctx(req, "登录");
    const char *project = hall_req_query(req, "projectId");
    struct hall_dbres *res;

    if (req->partner[0] == '\0')
        return hall_msg(req, HALL_M_PAGE_NOT_FOUND, NULL);
    if (partner_ctx(req, ctx) != HALL_OK)
        return hall_req_failed(req);
    if (project == NULL || strlen(project) > 64)
        return hall_msg(req, HALL_M_PROJECT_ENTRY, NULL);
    res = hall_db_exec(req->cx, "partner_project", HALL_STR(req->partner), HALL_STR(project));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_PROJECT_ENTRY, NULL);
    hall_val_set_str(req->pool, ctx, "project_id", project);
    hall_dbres_set(req->pool, ctx, res, 0, "project_name=name");
    hall_val_set_bool(req->pool, ctx, "sms_only", 1);
    /* the partner sends its users to apply (seed 003): straight to the flow */
    hall_val_set_str(req->pool, ctx, "next", hall_psprintf(req->pool, "%s/new", base_of(req)));
    return hall_resp_page(req, 200, "login", ctx);
}

/*
 * A partner's signed link (modules/new, link_entry) sends the visitor here
 * with next=.../new?...&link=TICKET: the phone the partner sent is filled
 * in, so the user only asks for the code.  Nothing when the ticket is
 * unknown, used or holds no valid mobile number.
 */
static void
link_phone(struct hall_req *req, struct hall_val *ctx)
{
    const struct hall_val *next = hall_val_get(ctx, "next");
    const struct hall_val *pre, *m;
    const unsigned char *enc;
    struct hall_dbres *res;
    unsigned char hash[32];
    const char *t;
    char ticket[44], err[64], phone[12], *plain;
    size_t len;

    if (next == NULL || next->str == NULL || req->partner[0] == '\0')
        return;
    t = strstr(next->str, "link=");
    if (t == NULL || strlen(t + 5) < 43)
        return;
    memcpy(ticket, t + 5, 43);
    ticket[43] = '\0';
    hall_sha256(ticket, 43, hash);
    res = hall_db_exec(req->cx, "link_prefill", HALL_BIN(hash, 32), HALL_STR(req->partner));
    if (res == NULL || hall_dbres_rows(res) != 1)
        return;
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "prefill_enc"), &len);
    plain = enc != NULL ? hall_pii_decrypt(req->pool, enc, len) : NULL;
    pre = plain != NULL ? hall_val_parse(req->pool, plain, strlen(plain), err, sizeof(err)) : NULL;
    m = pre != NULL ? hall_val_get(pre, "mobile") : NULL;
    if (m != NULL && m->type == HALL_V_STR && hall_valid_mobile(m->str, phone) == HALL_OK)
        hall_val_set_str(req->pool, ctx, "phone", phone);
}

static int
login_page(struct hall_req *req)
{
    struct hall_val *ctx = page_ctx(req, "登录");

    if (partner_ctx(req, ctx) != HALL_OK)
        return hall_req_failed(req);
    link_phone(req, ctx);
    /* partners log users in by SMS code (seeds 002, 003) */
    hall_val_set_bool(req->pool, ctx, "sms_only", req->partner[0] != '\0');
    return hall_resp_page(req, 200, "login", ctx);
}

static int
register_page(struct hall_req *req)
{
    struct hall_val *ctx = page_ctx(req, "注册");

    if (partner_ctx(req, ctx) != HALL_OK)
        return hall_req_failed(req);
    return hall_resp_page(req, 200, "register", ctx);
}

/* ---- actions ------------------------------------------------------------- */

static const char *const sms_purposes[] = {"register", "login", NULL};

static const struct hall_pspec sms_send_params[] = {
    {"phone", HALL_P_MOBILE, 0, 0, 0, "手机号码", NULL},
    {"purpose", HALL_P_CHOICE, 0, 0, 0, "验证码用途", sms_purposes},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
sms_send(struct hall_req *req)
{
    const char *phone = hall_req_param(req, "phone");
    const char *purpose = hall_req_param(req, "purpose");
    enum hall_sms_result r;
    unsigned char idx[32];
    struct hall_dbres *res;
    int registered = 0;

    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    if (strcmp(purpose, "register") == 0) {
        hall_pii_index("phone", phone, idx);
        res = hall_db_exec(req->cx, "user_by_phone", HALL_BIN(idx, 32));
        if (res == NULL)
            return HALL_ERR;
        registered = hall_dbres_rows(res) > 0;
    }
    /* a phone that has an account gets an SMS saying so, not a code, and
     * the answer is the same as for any other phone: whether a number has
     * an account here is told to that phone only, not to whoever types it */
    r = hall_sms_client_limit(req);
    if (r == HALL_SMS_OK)
        r = registered ? hall_sms_notice_send(req, phone, purpose, HALL_SMST_registered)
                       : hall_sms_code_send(req, phone, purpose);
    if (r == HALL_SMS_DB_ERROR)
        return HALL_ERR;
    if (r == HALL_SMS_TOO_SOON)
        return hall_msg(req, HALL_M_SMS_TOO_SOON, "phone", req->app->conf.sms_code_interval_s);
    if (r != HALL_SMS_OK)
        return hall_resp_error(req, 429, "phone", hall_sms_result_msg(r));
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    {
        struct hall_val *v = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, v, "message", "验证码已发送，5分钟内有效");
        hall_val_set_int(req->pool, v, "resend_after", req->app->conf.sms_code_interval_s);
        return hall_resp_ok(req, v);
    }
}

static int
answer_logged_in(struct hall_req *req)
{
    struct hall_val *v = hall_val_obj(req->pool);

    hall_val_set_str(req->pool, v, "redirect", next_of(req));
    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, next_of(req));
    return hall_resp_ok(req, v);
}

/* answers for an SMS check that did not pass; the wrong try is committed */
static int
sms_refused(struct hall_req *req, enum hall_sms_result r)
{
    if (r == HALL_SMS_DB_ERROR)
        return HALL_ERR;
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    return hall_resp_error(req, 400, "code", hall_sms_result_msg(r));
}

static const struct hall_pspec register_params[] = {
    {"phone", HALL_P_MOBILE, 0, 0, 0, "手机号码", NULL},
    {"code", HALL_P_SMSCODE, 0, 0, 0, "短信验证码", NULL},
    {"password", HALL_P_PASSWORD, 0, 0, 0, "密码", NULL},
    {"password2", HALL_P_TEXT, 0, 0, 64, "确认密码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_register(struct hall_req *req)
{
    const char *phone = hall_req_param(req, "phone");
    const char *password = hall_req_param(req, "password");
    unsigned char idx[32];
    unsigned char *enc;
    struct hall_dbres *res;
    enum hall_sms_result r;
    const char *hash;
    size_t elen;
    int64_t uid;

    if (strcmp(password, hall_req_param(req, "password2")) != 0)
        return hall_msg(req, HALL_M_PASSWORD_MISMATCH, "password2");
    /* hashing is slow on purpose: do it before the transaction holds locks */
    hash = hall_password_hash(req->pool, password);
    hall_pii_index("phone", phone, idx);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    r = hall_sms_code_check(req, phone, "register", hall_req_param(req, "code"));
    if (r != HALL_SMS_OK)
        return sms_refused(req, r);
    enc = hall_pii_encrypt(req->pool, phone, strlen(phone), &elen);
    res = hall_user_insert(req->cx, enc, elen, idx, hash);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_PHONE_REGISTERED, "phone");
    uid = hall_dbres_int(res, 0, "id");
    if (hall_audit(req->cx, actor_of(req, uid), "user",
                   hall_psprintf(req->pool, "%lld", (long long)uid), "register", NULL, "active",
                   NULL) != HALL_OK ||
        hall_session_create(req, uid, phone) != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=registered user=%lld", (long long)uid);
    return answer_logged_in(req);
}

static const struct hall_pspec login_params[] = {
    {"phone", HALL_P_MOBILE, 0, 0, 0, "手机号码", NULL},
    {"password", HALL_P_TEXT, 0, 0, 64, "密码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* verified against a real hash even for unknown phones: equal time, no hint */
static const char dummy_hash[] = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                                 "qu7YaNBUVdA7W90s0oDV3Q/BGYy/YVhx+BlWYiF8kZ8";

static int
do_login(struct hall_req *req)
{
    const char *phone = hall_req_param(req, "phone");
    const char *client =
        req->remote_addr != NULL && *req->remote_addr != '\0' && strlen(req->remote_addr) <= 64
            ? req->remote_addr
            : "unknown";
    unsigned char idx[32];
    struct hall_dbres *res;
    const char *hash;
    int64_t uid;
    int locked;

    hall_pii_index("phone", phone, idx);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    /* one client failing on many phones is spraying passwords: its password
     * logins wait for the window to move on (an SMS code still works) */
    res = hall_db_exec(req->cx, "login_client_blocked", HALL_STR(client),
                       HALL_I64(LOGIN_CLIENT_WINDOW_S), HALL_I64(LOGIN_CLIENT_MAX));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_bool(res, 0, "blocked")) {
        hall_warn(req, "msg=\"password logins refused\" reason=client_failures");
        return hall_msg(req, HALL_M_LOGIN_CLIENT_LIMIT, "password");
    }
    res = hall_db_exec(req->cx, "user_by_phone_lock", HALL_BIN(idx, 32));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_password_verify(dummy_hash, hall_req_param(req, "password"));
        if (hall_login_client_failed(req->cx, client, idx) != HALL_OK ||
            hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        return hall_msg(req, HALL_M_LOGIN_FAILED, "password");
    }
    uid = hall_dbres_int(res, 0, "id");
    hash = hall_dbres_str(res, 0, "password_hash");
    locked = hall_dbres_bool(res, 0, "locked");
    if (locked)
        return hall_msg(req, HALL_M_LOGIN_LOCKED, "password");
    if (hash == NULL || hall_password_verify(hash, hall_req_param(req, "password")) != HALL_OK) {
        int64_t fails;

        fails = hall_user_login_failed(req->cx, uid, req->app->conf.login_max_failures,
                                       req->app->conf.login_lock_s);
        if (fails < 0)
            return HALL_ERR;
        if (hall_login_client_failed(req->cx, client, idx) != HALL_OK)
            return HALL_ERR;
        if (fails >= req->app->conf.login_max_failures)
            hall_audit(req->cx, actor_of(req, uid), "user",
                       hall_psprintf(req->pool, "%lld", (long long)uid), "locked", "active",
                       "locked", NULL);
        if (hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        if (fails >= req->app->conf.login_max_failures)
            return hall_msg(req, HALL_M_LOGIN_LOCKED, "password");
        return hall_msg(req, HALL_M_LOGIN_FAILED_LEFT, "password",
                        (long long)(req->app->conf.login_max_failures - fails));
    }
    if (hall_password_needs_rehash(hash) &&
        hall_user_password_set(req->cx, uid,
                               hall_password_hash(req->pool, hall_req_param(req, "password")),
                               0) != HALL_OK)
        return HALL_ERR;
    if (hall_user_login_ok(req->cx, uid) != HALL_OK ||
        hall_session_create(req, uid, phone) != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    return answer_logged_in(req);
}

static const struct hall_pspec login_sms_params[] = {
    {"phone", HALL_P_MOBILE, 0, 0, 0, "手机号码", NULL},
    {"code", HALL_P_SMSCODE, 0, 0, 0, "短信验证码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* SMS login; a phone seen for the first time gets an account (no password) */
static int
do_login_sms(struct hall_req *req)
{
    const char *phone = hall_req_param(req, "phone");
    unsigned char idx[32];
    struct hall_dbres *res;
    enum hall_sms_result r;
    int64_t uid;

    hall_pii_index("phone", phone, idx);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    r = hall_sms_code_check(req, phone, "login", hall_req_param(req, "code"));
    if (r != HALL_SMS_OK)
        return sms_refused(req, r);
    res = hall_db_exec(req->cx, "user_by_phone", HALL_BIN(idx, 32));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        size_t elen;
        unsigned char *enc = hall_pii_encrypt(req->pool, phone, strlen(phone), &elen);

        res = hall_user_insert(req->cx, enc, elen, idx, NULL);
        if (res == NULL || hall_dbres_rows(res) == 0)
            return HALL_ERR;
        uid = hall_dbres_int(res, 0, "id");
        if (hall_audit(req->cx, actor_of(req, uid), "user",
                       hall_psprintf(req->pool, "%lld", (long long)uid), "register_by_sms", NULL,
                       "active", NULL) != HALL_OK)
            return HALL_ERR;
    } else {
        uid = hall_dbres_int(res, 0, "id");
        /* a code proves the phone: it also lifts a password lock */
        if (hall_user_login_ok(req->cx, uid) != HALL_OK)
            return HALL_ERR;
    }
    if (hall_session_create(req, uid, phone) != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    return answer_logged_in(req);
}

static int
do_logout(struct hall_req *req)
{
    struct hall_val *v = hall_val_obj(req->pool);

    if (hall_session_destroy(req) != HALL_OK)
        return hall_req_failed(req);
    hall_val_set_str(req->pool, v, "redirect", hall_psprintf(req->pool, "%s/", base_of(req)));
    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, hall_psprintf(req->pool, "%s/", base_of(req)));
    return hall_resp_ok(req, v);
}

static int
profile_page(struct hall_req *req)
{
    struct hall_val *ctx = page_ctx(req, "个人资料");
    struct hall_dbres *res;
    const unsigned char *enc;
    size_t elen;

    if (partner_ctx(req, ctx) != HALL_OK)
        return hall_req_failed(req);
    res = hall_db_exec(req->cx, "user_get", HALL_I64(req->user_id));
    if (res == NULL || hall_dbres_rows(res) == 0)
        return HALL_ERR;
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "phone_enc"), &elen);
    hall_val_set_str(req->pool, ctx, "phone_masked",
                     mask_phone(req, hall_pii_decrypt(req->pool, enc, elen)));
    hall_dbres_set(req->pool, ctx, res, 0, "display_name email created has_password:b");
    if (hall_req_wants_json(req) && req->accept != NULL &&
        strstr(req->accept, "application/json") != NULL) {
        struct hall_val *v = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, v, "phone", hall_val_get(ctx, "phone_masked")->str);
        hall_dbres_set(req->pool, v, res, 0, "display_name email");
        return hall_resp_ok(req, v);
    }
    return hall_resp_page(req, 200, "profile", ctx);
}

static const struct hall_pspec profile_params[] = {
    {"display_name", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 30, "姓名", NULL},
    {"email", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 254, "常用联系邮箱", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
profile_save(struct hall_req *req)
{
    const char *name = hall_req_param(req, "display_name");
    const char *email = hall_req_param(req, "email");

    if (name == NULL)
        name = "";
    if (email == NULL)
        email = "";
    if (*name != '\0' && hall_valid_person_name(name) != HALL_OK)
        return hall_msg(req, HALL_M_PROFILE_NAME, "display_name");
    if (*email != '\0' && hall_valid_email(email) != HALL_OK)
        return hall_msg(req, HALL_M_PROFILE_EMAIL, "email");
    if (hall_db_begin(req->cx) != HALL_OK ||
        hall_user_profile_set(req->cx, req->user_id, name, email) != HALL_OK ||
        hall_audit(req->cx, actor_of(req, req->user_id), "user",
                   hall_psprintf(req->pool, "%lld", (long long)req->user_id), "profile_update",
                   NULL, NULL, NULL) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    {
        struct hall_val *v = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, v, "message", "个人资料已保存");
        return hall_resp_ok(req, v);
    }
}

static int
password_page(struct hall_req *req)
{
    struct hall_val *ctx = page_ctx(req, "修改密码");

    if (partner_ctx(req, ctx) != HALL_OK)
        return hall_req_failed(req);
    return hall_resp_page(req, 200, "password", ctx);
}

static const struct hall_pspec password_params[] = {
    {"old_password", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "原密码", NULL},
    {"password", HALL_P_PASSWORD, 0, 0, 0, "新密码", NULL},
    {"password2", HALL_P_TEXT, 0, 0, 64, "确认新密码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
password_save(struct hall_req *req)
{
    const char *old = hall_req_param(req, "old_password");
    const char *pw = hall_req_param(req, "password");
    struct hall_dbres *res;
    const char *cur, *hash;

    if (strcmp(pw, hall_req_param(req, "password2")) != 0)
        return hall_msg(req, HALL_M_PASSWORD_MISMATCH, "password2");
    hash = hall_password_hash(req->pool, pw);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "user_password_get", HALL_I64(req->user_id));
    if (res == NULL || hall_dbres_rows(res) == 0)
        return HALL_ERR;
    cur = hall_dbres_str(res, 0, "password_hash");
    /* an account made by SMS login has no password yet: it may set one */
    if (cur != NULL && (old == NULL || hall_password_verify(cur, old) != HALL_OK))
        return hall_msg(req, HALL_M_OLD_PASSWORD, "old_password");
    if (hall_user_password_set(req->cx, req->user_id, hash, 1) != HALL_OK ||
        hall_session_drop_others(req) != HALL_OK ||
        hall_audit(req->cx, actor_of(req, req->user_id), "user",
                   hall_psprintf(req->pool, "%lld", (long long)req->user_id), "password_change",
                   NULL, NULL, NULL) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    {
        struct hall_val *v = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, v, "message", "密码已修改，其他设备上的登录已退出");
        return hall_resp_ok(req, v);
    }
}

static const struct hall_route account_routes[] = {
    {"GET", "/healthz", healthz, HALL_R_NOSESSION, NULL},
    {"GET", "/", home, 0, NULL},
    /* the addresses people type or bookmark for a site's home page */
    {"GET", "/index", home, 0, NULL},
    {"GET", "/index.html", home, 0, NULL},
    {"GET", "/getLogin", partner_entry, 0, NULL},
    {"GET", "/faq", faq_page, 0, NULL},
    {"GET", "/partners", channels_page, 0, NULL},
    {"GET", "/login", login_page, 0, NULL},
    {"POST", "/login", do_login, 0, login_params},
    {"POST", "/login/sms", do_login_sms, 0, login_sms_params},
    {"GET", "/register", register_page, 0, NULL},
    {"POST", "/register", do_register, 0, register_params},
    {"POST", "/sms/send", sms_send, 0, sms_send_params},
    {"POST", "/logout", do_logout, 0, NULL},
    {"GET", "/account/profile", profile_page, HALL_R_AUTH, NULL},
    {"POST", "/account/profile", profile_save, HALL_R_AUTH, profile_params},
    {"GET", "/account/password", password_page, HALL_R_AUTH, NULL},
    {"POST", "/account/password", password_save, HALL_R_AUTH, password_params},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(account, account_routes, account_stmts, NULL)
