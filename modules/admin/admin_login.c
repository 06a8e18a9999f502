/*
 * admin_login.c: a staff member signs in to the console (GET and POST
 * /admin/login, /admin/logout): the password, then the second factor (RFC
 * 6238 TOTP, core/base/totp.c, or a recovery code) at /admin/login/code, or,
 * for a member without one, its enrolment at /admin/login/enrol; the limits
 * on wrong passwords and codes per member and per client.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

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

int
admin_login_page(struct hall_req *req)
{
    struct hall_val *ctx;

    if (admin_partner_path(req))
        return HALL_OK;
    ctx = admin_page_ctx(req, "管理后台登录");
    hall_val_set_str(req->pool, ctx, "next", next_of(req));
    return hall_resp_page(req, 200, "admin_login", ctx);
}

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
    if (rc == HALL_ERR || hall_login_client_failed(req->cx, client_of(req), idx) != HALL_OK)
        return HALL_ERR;
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_warn(req, "msg=\"staff code wrong\" staff=%s fails=%lld", sid, (long long)fails);
    *msg = rc == HALL_CONFLICT ? HALL_M_STAFF_CODE_LOCKED : HALL_M_STAFF_CODE_WRONG;
    return HALL_OK;
}

/* before a code is looked at (admin_do_code, admin_do_enrol): the console's own path
 * (else 404), a member half signed in (else on to next: nothing to check),
 * the client not over its limit, the row locked; HALL_OK to go on,
 * HALL_ERR after answering (a refusal names "code"), or: the store */
static int
code_gate(struct hall_req *req, struct hall_dbres **row)
{
    struct hall_dbres *res;

    if (admin_partner_path(req))
        return HALL_ERR;
    if (!req->staff->half) {
        hall_resp_go(req, next_of(req), NULL);
        return HALL_ANSWERED;
    }
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "login_client_blocked", HALL_STR(client_of(req)),
                       HALL_I64(CODE_CLIENT_S), HALL_I64(CODE_CLIENT_MAX));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_bool(res, 0, "blocked")) {
        hall_warn(req, "msg=\"staff codes refused\" reason=client_failures");
        hall_msg(req, HALL_M_STAFF_CODE_CLIENT_LIMIT, "code");
        return HALL_ANSWERED;
    }
    res = hall_db_exec(req->cx, "staff_factor_lock", HALL_I64(req->staff->id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0 || !hall_dbres_bool(res, 0, "active")) {
        hall_msg(req, HALL_M_STAFF_LOGIN_FIRST, "code");
        return HALL_ANSWERED;
    }
    if (hall_dbres_bool(res, 0, "locked")) {
        hall_msg(req, HALL_M_STAFF_LOGIN_LOCKED, "code");
        return HALL_ANSWERED;
    }
    *row = res;
    return HALL_OK;
}

/* the other page of the second factor (STEP: "code", "enrol"), next
 * carried, the transaction given up: the member's state changed meanwhile */
static int
step_go(struct hall_req *req, const char *step)
{
    hall_db_rollback(req->cx);
    return hall_resp_go(req,
                        hall_psprintf(req->pool, "/admin/login/%s?next=%s", step,
                                      hall_url_encode(req->pool, next_of(req))),
                        NULL);
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

int
admin_code_page(struct hall_req *req)
{
    struct hall_val *ctx;

    if (admin_partner_path(req))
        return HALL_OK;
    if (!req->staff->half)
        return hall_resp_redirect(req, next_of(req));
    ctx = admin_page_ctx(req, "动态验证码");
    hall_val_set_str(req->pool, ctx, "next", next_of(req));
    return hall_resp_page(req, 200, "admin_code", ctx);
}

int
admin_do_code(struct hall_req *req)
{
    const char *code = code_digits(req, hall_req_param(req, "code")), *secret, *how;
    struct hall_dbres *res = NULL;
    enum hall_msg_code m;
    int64_t left;
    int rc;

    if (code_gate(req, &res) != HALL_OK)
        return hall_req_failed(req);
    secret = secret_of(req, res, "totp_secret_enc");
    if (secret == NULL)
        return step_go(req, "enrol");
    rc = hall_staff_factor_use(req->cx, req->staff->id, secret, hall_dbres_int(res, 0, "now_s"),
                               hall_dbres_int(res, 0, "totp_last_step"), code, &how, &left);
    if (rc == HALL_ERR)
        return HALL_ERR;
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
        return hall_req_failed(req);
    return hall_msg(req, m, "code");
}

/* the enrolment page, with the pending secret as QR code and text */
static int
enrol_render(struct hall_req *req, int status, const char *secret, const char *login,
             const char *error)
{
    struct hall_val *ctx = admin_page_ctx(req, "绑定动态验证码");
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

int
admin_enrol_page(struct hall_req *req)
{
    struct hall_dbres *res;
    const char *secret;

    if (admin_partner_path(req))
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

int
admin_do_enrol(struct hall_req *req)
{
    const char *code = code_digits(req, hall_req_param(req, "code")), *secret, *login;
    struct hall_dbres *res = NULL, *r;
    struct hall_val *ctx, *hold;
    enum hall_msg_code m;
    unsigned char key[64];
    size_t keylen;
    int64_t step;

    if (code_gate(req, &res) != HALL_OK)
        return hall_req_failed(req);
    login = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "login"));
    secret = secret_of(req, res, "totp_pending_enc");
    /* enrolled meanwhile, or reset: the code page says which */
    if (secret == NULL)
        return step_go(req, "code");
    if (hall_base32_decode(secret, key, sizeof(key), &keylen) != HALL_OK) {
        hall_err(req, "msg=\"staff pending secret unreadable\" staff=%lld",
                 (long long)req->staff->id);
        return HALL_ERR;
    }
    if (hall_totp_check(key, keylen, code, hall_totp_step(hall_dbres_int(res, 0, "now_s")),
                        hall_dbres_int(res, 0, "totp_last_step"), &step) != HALL_OK) {
        if (code_failed(req, req->staff->id, &m) != HALL_OK)
            return hall_req_failed(req);
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
            return hall_req_failed(req);
        return hall_msg(req, m, "code");
    }
    hold = hall_val_obj(req->pool);
    if (recovery_new(req, req->staff->id, hold) == NULL ||
        hall_audit(req->cx, hall_staff_actor(req), "staff",
                   hall_psprintf(req->pool, "%lld", (long long)req->staff->id), "totp_enrol", NULL,
                   "enrolled", NULL) != HALL_OK ||
        factor_done(req, "totp") != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
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
    ctx = admin_page_ctx(req, "恢复码");
    list_copy(req, ctx, hold, "recovery_codes");
    hall_val_set_str(req->pool, ctx, "next", next_of(req));
    return hall_resp_page(req, 200, "admin_recovery", ctx);
}

/* verified against a real hash for unknown logins too: equal time, no hint */
static const char dummy_hash[] = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                                 "qu7YaNBUVdA7W90s0oDV3Q/BGYy/YVhx+BlWYiF8kZ8";

int
admin_do_login(struct hall_req *req)
{
    const char *password = hall_req_param(req, "password");
    const char *login = hall_req_param(req, "login");
    struct hall_dbres *res;
    const char *hash, *sid, *client;
    unsigned char idx[32];
    int64_t id;
    int enrolled;

    if (admin_partner_path(req))
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
        if (hall_login_client_failed(req->cx, client, idx) != HALL_OK ||
            hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
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

        if (rc == HALL_ERR || hall_login_client_failed(req->cx, client, idx) != HALL_OK)
            return HALL_ERR;
        if (hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        hall_warn(req, "msg=\"staff login failed\" staff=%s fails=%lld", sid, (long long)fails);
        if (rc == HALL_CONFLICT)
            return hall_msg(req, HALL_M_STAFF_LOGIN_LOCKED, "password");
        return hall_msg(req, HALL_M_STAFF_LOGIN_FAILED, "password");
    }
    if (hall_password_needs_rehash(hash) &&
        hall_staff_rehash(req->cx, id, hall_password_hash(req->pool, password)) == NULL)
        return HALL_ERR;
    /* the password alone: a half session, and the failures counted so far
     * stay (only the second factor clears them: a known password does not
     * buy more guesses at the code) */
    enrolled = hall_dbres_bool(res, 0, "enrolled");
    if (!enrolled && !hall_dbres_bool(res, 0, "pending") && totp_pending_new(req, id) != HALL_OK)
        return hall_req_failed(req);
    if (hall_staff_session_create(req, id, 0) != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"staff password ok\" staff=%s enrolled=%d", sid, enrolled);
    return hall_resp_go(req,
                        hall_psprintf(req->pool, "%s?next=%s",
                                      enrolled ? "/admin/login/code" : "/admin/login/enrol",
                                      hall_url_encode(req->pool, next_of(req))),
                        NULL);
}

int
admin_do_logout(struct hall_req *req)
{
    if (hall_staff_session_destroy(req) != HALL_OK)
        return hall_req_failed(req);
    return hall_resp_go(req, "/admin/login", NULL);
}
