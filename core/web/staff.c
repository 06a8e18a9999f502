/*
 * Staff sessions: the applicants' scheme (core/web/session.c) for a second,
 * separate population.  A 256-bit random token in its own HttpOnly cookie
 * (hall_staff, Path=/admin, SameSite=Strict), stored only as its SHA-256 in
 * staff_sessions; the CSRF token is a MAC of it under a purpose of its own.
 * The dispatcher calls hall_staff_authorize() for HALL_R_STAFF routes
 * INSTEAD of hall_session_load(), so a staff token never authenticates an
 * applicant route and an applicant token never a staff route.
 *
 * The password alone opens a half session (second_factor false, at most
 * HALF_S seconds): it reaches only the routes marked HALL_R_STAFF_HALF, the
 * second factor's pages (modules/admin); any other staff route treats it as
 * no session.  The code turns it into a full session under a new token.
 */
#include <stdio.h>
#include <string.h>

#include "web/web.h"

#define STAFF_COOKIE "hall_staff"
#define STAFF_PATH   "/admin"
#define STAFF_LOGIN  STAFF_PATH "/login"
#define STAFF_CODE   STAFF_PATH "/login/code"
#define TOKEN_CHARS  HALL_SESSION_TOKEN_CHARS
#define HALF_S       300 /* a half session's lifetime: time to type a code */

const struct hall_stmt hall_staff_stmts[] = {
    /* a disabled account loses its sessions at once */
    {"staff_session_get",
     "WITH s AS (SELECT x.token_hash, x.staff_id, x.last_seen, t.login, t.display_name,"
     " array_to_string(t.roles, ',') AS roles, x.second_factor FROM staff_sessions x"
     " JOIN staff t ON t.id = x.staff_id"
     " WHERE x.token_hash = $1 AND x.idle_expires > now() AND x.absolute_expires > now()"
     " AND t.active),"
     " u AS (UPDATE staff_sessions SET last_seen = now(),"
     " idle_expires = least(absolute_expires, now() + make_interval(secs => $2::int))"
     " WHERE token_hash IN (SELECT token_hash FROM s WHERE last_seen < now() - interval '30 "
     "seconds'))"
     " SELECT staff_id, login, display_name, roles, second_factor FROM s",
     2},
    {"staff_session_insert",
     "INSERT INTO staff_sessions (token_hash, staff_id, idle_expires, absolute_expires,"
     " second_factor) VALUES ($1, $2, now() + make_interval(secs => $3::int),"
     " now() + make_interval(secs => $4::int), $5)",
     5},
    {"staff_session_delete", "DELETE FROM staff_sessions WHERE token_hash = $1", 1},
    /* run by the outbox (session_tick): the sessions a day past their end */
    {"staff_sessions_sweep",
     "WITH s AS (DELETE FROM staff_sessions WHERE token_hash IN (SELECT token_hash FROM"
     " staff_sessions WHERE absolute_expires < now() - interval '1 day'"
     " ORDER BY absolute_expires LIMIT 1000 FOR UPDATE SKIP LOCKED) RETURNING 1)"
     " SELECT count(*) AS n FROM s",
     0},
    {"staff_session_purge",
     "DELETE FROM staff_sessions WHERE staff_id = $1 AND absolute_expires < now()", 1},
    {"staff_get",
     "SELECT login, display_name, array_to_string(roles, ',') AS roles FROM staff"
     " WHERE id = $1 AND active",
     1},
    /* the second factor (sql/073), for the console's sign-in and hall-staff's
     * acting administrator alike: a step is used once, only a later one
     * moves it on */
    {"staff_totp_used",
     "UPDATE staff SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2 RETURNING id", 2},
    {"staff_recovery_use",
     "UPDATE staff_recovery_codes SET used_at = now() WHERE staff_id = $1 AND code_hash = $2"
     " AND used_at IS NULL RETURNING (SELECT count(*) - 1 FROM staff_recovery_codes"
     " WHERE staff_id = $1 AND used_at IS NULL) AS left_codes",
     2},
    /* a wrong password or code: login_max_failures of them lock the account */
    {"staff_login_failed",
     "UPDATE staff SET failed_logins = failed_logins + 1, locked_until = CASE WHEN"
     " failed_logins + 1 >= $2 THEN now() + make_interval(secs => $3::int) END,"
     " updated_at = now() WHERE id = $1 RETURNING failed_logins",
     3},
    /* ---- the tables staff and staff_recovery_codes, and a member's
     * sessions ended: the console's sign-in and second factor
     * (modules/admin) and hall-staff (tools/staff/hall_staff.c) ---- */
    {"staff_login_ok",
     "UPDATE staff SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1",
     1},
    {"staff_password_rehash", "UPDATE staff SET password_hash = $2 WHERE id = $1", 2},
    {"staff_totp_pending",
     "UPDATE staff SET totp_pending_enc = $2 WHERE id = $1 AND totp_secret_enc IS NULL"
     " AND totp_pending_enc IS NULL",
     2},
    {"staff_totp_enrol",
     "UPDATE staff SET totp_secret_enc = totp_pending_enc, totp_pending_enc = NULL,"
     " totp_last_step = $2, totp_enrolled_at = now(), updated_at = now() WHERE id = $1"
     " AND totp_secret_enc IS NULL AND totp_pending_enc IS NOT NULL AND totp_last_step < $2"
     " RETURNING id",
     2},
    {"staff_recovery_clear", "DELETE FROM staff_recovery_codes WHERE staff_id = $1", 1},
    {"staff_recovery_add", "INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES ($1, $2)",
     2},
    {"staff_failures_clear",
     "UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE id = $1", 1},
    {"staff_insert",
     "INSERT INTO staff (login, display_name, password_hash, roles)"
     " VALUES ($1, $1, $2, string_to_array($3, ',')) ON CONFLICT (login) DO NOTHING RETURNING id",
     3},
    {"staff_passwd",
     "UPDATE staff SET password_hash = $2, failed_logins = 0, locked_until = NULL,"
     " updated_at = now() WHERE login = $1 RETURNING id",
     2},
    {"staff_sessions_drop", "DELETE FROM staff_sessions WHERE staff_id = $1", 1},
    {"staff_totp_reset",
     "UPDATE staff SET totp_secret_enc = NULL, totp_pending_enc = NULL, totp_enrolled_at = NULL,"
     " totp_known = false, updated_at = now() WHERE login = $1"
     " RETURNING id, (SELECT s.totp_secret_enc IS NOT NULL FROM staff s WHERE s.login = $1)"
     " AS had",
     1},
    {"staff_totp_set",
     "UPDATE staff SET totp_secret_enc = $2, totp_pending_enc = NULL, totp_enrolled_at = now(),"
     " totp_known = true, updated_at = now() WHERE login = $1 AND totp_secret_enc IS NULL"
     " RETURNING id",
     2},
    {"approval_staff_add",
     "INSERT INTO staff (login, display_name, password_hash, roles)"
     " VALUES ($1, $1, $2, string_to_array($3, ',')) ON CONFLICT (login) DO NOTHING RETURNING id",
     3},
    {"approval_staff_roles",
     "UPDATE staff s SET roles = string_to_array($2, ','), updated_at = now()"
     " FROM (SELECT id, array_to_string(roles, ',') AS old FROM staff WHERE login = $1"
     " FOR UPDATE) o WHERE s.id = o.id RETURNING s.id, o.old",
     2},
    {NULL, NULL, 0},
};

struct hall_dbres *
hall_staff_login_ok(struct hall_ctx *cx, int64_t id)
{
    return hall_db_exec(cx, "staff_login_ok", HALL_I64(id));
}

struct hall_dbres *
hall_staff_failures_clear(struct hall_ctx *cx, int64_t id)
{
    return hall_db_exec(cx, "staff_failures_clear", HALL_I64(id));
}

struct hall_dbres *
hall_staff_rehash(struct hall_ctx *cx, int64_t id, const char *hash)
{
    return hall_db_exec(cx, "staff_password_rehash", HALL_I64(id), HALL_STR(hash));
}

struct hall_dbres *
hall_staff_totp_pending(struct hall_ctx *cx, int64_t id, const unsigned char *enc, size_t n)
{
    return hall_db_exec(cx, "staff_totp_pending", HALL_I64(id), HALL_BIN(enc, n));
}

struct hall_dbres *
hall_staff_totp_enrol(struct hall_ctx *cx, int64_t id, int64_t step)
{
    return hall_db_exec(cx, "staff_totp_enrol", HALL_I64(id), HALL_I64(step));
}

struct hall_dbres *
hall_staff_recovery_clear(struct hall_ctx *cx, int64_t id)
{
    return hall_db_exec(cx, "staff_recovery_clear", HALL_I64(id));
}

struct hall_dbres *
hall_staff_recovery_add(struct hall_ctx *cx, int64_t id, const unsigned char hash[32])
{
    return hall_db_exec(cx, "staff_recovery_add", HALL_I64(id), HALL_BIN(hash, 32));
}

struct hall_dbres *
hall_staff_insert(struct hall_ctx *cx, const char *login, const char *hash, const char *roles)
{
    return hall_db_exec(cx, "staff_insert", HALL_STR(login), HALL_STR(hash), HALL_STR(roles));
}

struct hall_dbres *
hall_staff_passwd(struct hall_ctx *cx, const char *login, const char *hash)
{
    return hall_db_exec(cx, "staff_passwd", HALL_STR(login), HALL_STR(hash));
}

struct hall_dbres *
hall_staff_sessions_drop(struct hall_ctx *cx, int64_t id)
{
    return hall_db_exec(cx, "staff_sessions_drop", HALL_I64(id));
}

struct hall_dbres *
hall_staff_totp_reset(struct hall_ctx *cx, const char *login)
{
    return hall_db_exec(cx, "staff_totp_reset", HALL_STR(login));
}

struct hall_dbres *
hall_staff_totp_set(struct hall_ctx *cx, const char *login, const unsigned char *enc, size_t n)
{
    return hall_db_exec(cx, "staff_totp_set", HALL_STR(login), HALL_BIN(enc, n));
}

static const struct {
    const char *name;
    unsigned bit;
    const char *label;
} roles[] = {
    {"reviewer", HALL_ROLE_REVIEWER, "审核员"}, {"finance", HALL_ROLE_FINANCE, "财务"},
    {"operator", HALL_ROLE_OPERATOR, "运营"},   {"report", HALL_ROLE_REPORT, "报表查看"},
    {"admin", HALL_ROLE_ADMIN, "账户管理员"},   {NULL, 0, NULL},
};

unsigned
hall_staff_role_bit(const char *name)
{
    int i;

    for (i = 0; roles[i].name != NULL; i++)
        if (strcmp(roles[i].name, name) == 0)
            return roles[i].bit;
    return 0;
}

const char *
hall_staff_role_label(unsigned bit)
{
    int i;

    for (i = 0; roles[i].name != NULL; i++)
        if (roles[i].bit == bit)
            return roles[i].label;
    return NULL;
}

unsigned
hall_staff_roles_parse(const char *list, int *unknown)
{
    char name[32];
    unsigned bits = 0;
    size_t n = 0;
    const char *p;

    if (unknown != NULL)
        *unknown = 0;
    for (p = list;; p++) {
        if (*p == '{' || *p == ' ')
            continue;
        if (*p == ',' || *p == '}' || *p == '\0') {
            if (n > 0) {
                unsigned b;

                name[n] = '\0';
                b = hall_staff_role_bit(name);
                if (b == 0 && unknown != NULL)
                    *unknown = 1;
                bits |= b;
            }
            n = 0;
            if (*p == '\0')
                break;
            continue;
        }
        if (n + 1 < sizeof(name))
            name[n++] = *p;
        else if (unknown != NULL)
            *unknown = 1;
    }
    return bits;
}

/* the same token for the console and the reports (modules/report): two
 * cookies, so that no applicant path ever carries the staff token */
static void
set_cookie(struct hall_req *req, const char *value, int clear)
{
    static const char *const paths[] = {STAFF_PATH, "/report", NULL};
    int i;

    for (i = 0; paths[i] != NULL; i++)
        hall_resp_header(
            req, "Set-Cookie",
            hall_psprintf(req->pool, STAFF_COOKIE "=%s; Path=%s; HttpOnly; SameSite=Strict%s%s",
                          value, paths[i], req->app->conf.cookie_secure ? "; Secure" : "",
                          clear ? "; Max-Age=0" : ""));
}

static int
staff_load(struct hall_req *req)
{
    const char *tok = hall_req_cookie(req, STAFF_COOKIE);
    struct hall_staff *s;
    struct hall_dbres *res;

    if (!hall_session_token_ok(tok))
        return HALL_OK;
    s = hall_pcalloc(req->pool, sizeof(*s));
    hall_sha256(tok, strlen(tok), s->token_hash);
    res = hall_db_exec(req->cx, "staff_session_get", HALL_BIN(s->token_hash, 32),
                       HALL_I64(req->app->conf.session_idle_s));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK;
    s->id = hall_dbres_int(res, 0, "staff_id");
    s->login = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "login"));
    s->name = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "display_name"));
    s->roles = hall_staff_roles_parse(hall_dbres_str(res, 0, "roles"), NULL);
    s->half = !hall_dbres_bool(res, 0, "second_factor");
    req->staff = s;
    return HALL_OK;
}

int
hall_staff_authorize(struct hall_req *req)
{
    unsigned need = req->route != NULL ? req->route->flags >> 16 : 0;

    int half_ok = req->route != NULL && (req->route->flags & HALL_R_STAFF_HALF) != 0;
    const char *login = STAFF_LOGIN;

    if (staff_load(req) != HALL_OK) {
        hall_resp_busy(req);
        return HALL_ANSWERED;
    }
    /* the password alone: the code page, and nothing else */
    if (req->staff != NULL && req->staff->half && !half_ok) {
        req->staff = NULL;
        login = STAFF_CODE;
    }
    if (req->staff == NULL) {
        if (!hall_req_wants_json(req) &&
            (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)) {
            const char *next = req->path;

            if (req->query != NULL && *req->query != '\0')
                next = hall_psprintf(req->pool, "%s?%s", req->path, req->query);
            hall_resp_redirect(req, hall_psprintf(req->pool, "%s?next=%s", login,
                                                  hall_url_encode(req->pool, next)));
        } else {
            hall_msg(req, HALL_M_STAFF_LOGIN_FIRST, NULL);
        }
        return HALL_ANSWERED;
    }
    if (need != 0 && (req->staff->roles & need) == 0) {
        hall_warn(req, "msg=\"staff role refused\" staff=%lld path=%s", (long long)req->staff->id,
                  req->path);
        hall_msg(req, HALL_M_STAFF_FORBIDDEN, NULL);
        return HALL_ANSWERED;
    }
    return HALL_OK;
}

int
hall_staff_session_create(struct hall_req *req, int64_t staff_id, int full)
{
    unsigned char raw[32], hash[32];
    struct hall_dbres *res;
    const char *token;
    const char *old = hall_req_cookie(req, STAFF_COOKIE);

    /* a new token at every login: a planted token is worth nothing */
    if (hall_session_token_ok(old)) {
        hall_sha256(old, strlen(old), hash);
        if (hall_db_exec(req->cx, "staff_session_delete", HALL_BIN(hash, 32)) == NULL)
            return HALL_ERR;
    }
    hall_rand_bytes(raw, sizeof(raw));
    token = hall_b64url(req->pool, raw, sizeof(raw));
    hall_sha256(token, strlen(token), hash);
    if (hall_db_exec(req->cx, "staff_session_purge", HALL_I64(staff_id)) == NULL ||
        hall_db_exec(req->cx, "staff_session_insert", HALL_BIN(hash, 32), HALL_I64(staff_id),
                     HALL_I64(full ? req->app->conf.session_idle_s : HALF_S),
                     HALL_I64(full ? req->app->conf.session_absolute_s : HALF_S),
                     HALL_STR(full ? "true" : "false")) == NULL)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "staff_get", HALL_I64(staff_id));
    if (res == NULL || hall_dbres_rows(res) == 0)
        return HALL_ERR;
    set_cookie(req, token, 0);
    req->staff = hall_pcalloc(req->pool, sizeof(*req->staff));
    req->staff->id = staff_id;
    req->staff->login = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "login"));
    req->staff->name = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "display_name"));
    req->staff->roles = hall_staff_roles_parse(hall_dbres_str(res, 0, "roles"), NULL);
    req->staff->half = !full;
    memcpy(req->staff->token_hash, hash, 32);
    /* the form tokens of the new session derive from the new cookie */
    req->cookies = NULL;
    hall_parse_cookies(req->pool, hall_psprintf(req->pool, STAFF_COOKIE "=%s", token),
                       &req->cookies);
    return HALL_OK;
}

int
hall_staff_session_destroy(struct hall_req *req)
{
    if (req->staff != NULL &&
        hall_db_exec(req->cx, "staff_session_delete", HALL_BIN(req->staff->token_hash, 32)) == NULL)
        return HALL_ERR;
    set_cookie(req, "", 1);
    req->staff = NULL;
    return HALL_OK;
}

static const char *
csrf_for(struct hall_req *req, const char *token)
{
    unsigned char mac[32];

    hall_mac("staff-csrf", token, strlen(token), mac);
    return hall_b64url(req->pool, mac, sizeof(mac));
}

const char *
hall_staff_csrf_token(struct hall_req *req)
{
    const char *tok = hall_req_cookie(req, STAFF_COOKIE);

    if (req->staff == NULL || !hall_session_token_ok(tok))
        return "";
    return csrf_for(req, tok);
}

int
hall_staff_csrf_check(struct hall_req *req)
{
    const char *sent = hall_req_env(req, "HTTP_X_CSRF_TOKEN");
    const char *tok = hall_req_cookie(req, STAFF_COOKIE);

    if (sent == NULL || *sent == '\0')
        sent = hall_req_body_param(req, "_csrf"); /* never from a URL */
    if (req->staff == NULL || !hall_session_token_ok(tok) || sent == NULL ||
        strlen(sent) != TOKEN_CHARS)
        return HALL_ERR;
    return hall_ct_equal(csrf_for(req, tok), sent, TOKEN_CHARS) ? HALL_OK : HALL_ERR;
}

struct hall_val *
hall_staff_page(struct hall_req *req, const char *title)
{
    struct hall_val *ctx = hall_page_ctx(req);
    unsigned bits = req->staff != NULL && !req->staff->half ? req->staff->roles : 0;

    hall_val_set_str(req->pool, ctx, "title", title);
    hall_val_set_str(req->pool, ctx, "site_name", "深圳CA管理后台");
    hall_val_set_str(req->pool, ctx, "page_js", "admin.js");
    /* an applicant's cookie in the same browser changes nothing here */
    hall_val_set_bool(req->pool, ctx, "logged_in", 0);
    hall_val_set_bool(req->pool, ctx, "admin_page", 1);
    hall_val_set_bool(req->pool, ctx, "nav_review",
                      (bits & (HALL_ROLE_REVIEWER | HALL_ROLE_OPERATOR)) != 0);
    hall_val_set_bool(req->pool, ctx, "nav_finance",
                      (bits & (HALL_ROLE_FINANCE | HALL_ROLE_OPERATOR)) != 0);
    hall_val_set_bool(req->pool, ctx, "nav_pki", (bits & HALL_ROLE_OPERATOR) != 0);
    /* the dead outbox jobs: finance sends them again (modules/admin) */
    hall_val_set_bool(req->pool, ctx, "nav_outbox", (bits & HALL_ROLE_FINANCE) != 0);
    /* a partner's webhook and API keys: the administrators (modules/admin) */
    hall_val_set_bool(req->pool, ctx, "nav_partners", (bits & HALL_ROLE_ADMIN) != 0);
    /* four eyes: every member sees what waits for a second person */
    hall_val_set_bool(req->pool, ctx, "nav_approvals", bits != 0);
    return ctx;
}

int
hall_staff_elsewhere(struct hall_req *req)
{
    if (req->partner == NULL || req->partner[0] == '\0')
        return 0;
    hall_msg(req, HALL_M_PAGE_NOT_FOUND, NULL);
    return 1;
}

const char *
hall_staff_actor(struct hall_req *req)
{
    if (req->staff == NULL)
        return "staff:0";
    return hall_psprintf(req->pool, "staff:%lld", (long long)req->staff->id);
}

int
hall_staff_recovery_hash(int64_t id, const char *typed, unsigned char out[32])
{
    char buf[64];
    size_t n;
    int k;

    k = snprintf(buf, sizeof(buf), "%lld:", (long long)id);
    if (k < 0 || (size_t)k >= sizeof(buf))
        return HALL_ERR;
    n = (size_t)k;
    for (; *typed != '\0'; typed++) {
        char c = *typed;

        if (c == '-' || c == ' ')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (n + 1 >= sizeof(buf))
            return HALL_ERR;
        buf[n++] = c;
    }
    if (n - (size_t)k != HALL_STAFF_RECOVERY_LEN)
        return HALL_ERR;
    hall_mac("staff-recovery", buf, n, out);
    return HALL_OK;
}

int
hall_staff_factor_use(struct hall_ctx *cx, int64_t id, const char *secret, int64_t now_s,
                      int64_t last_step, const char *code, const char **how, int64_t *left)
{
    struct hall_dbres *r;
    unsigned char key[64], h[32];
    size_t keylen;
    int64_t step;

    *how = NULL;
    *left = -1;
    if (secret == NULL || hall_base32_decode(secret, key, sizeof(key), &keylen) != HALL_OK)
        return HALL_ERR;
    if (hall_totp_check(key, keylen, code, hall_totp_step(now_s), last_step, &step) == HALL_OK) {
        /* the caller holds the row; the condition holds even without it */
        r = hall_db_exec(cx, "staff_totp_used", HALL_I64(id), HALL_I64(step));
        if (r == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(r) == 1) {
            *how = "totp";
            return HALL_OK;
        }
    } else if (hall_staff_recovery_hash(id, code, h) == HALL_OK) {
        r = hall_db_exec(cx, "staff_recovery_use", HALL_I64(id), HALL_BIN(h, 32));
        if (r == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(r) == 1) {
            *how = "recovery";
            *left = hall_dbres_int(r, 0, "left_codes");
            return HALL_OK;
        }
    }
    return HALL_CONFLICT;
}

int
hall_staff_failed(struct hall_ctx *cx, int64_t id, const char *actor, int64_t *fails)
{
    const struct hall_conf *conf = cx->conf;
    const char *sid = hall_psprintf(cx->pool, "%lld", (long long)id);
    struct hall_dbres *res;

    res = hall_db_exec(cx, "staff_login_failed", HALL_I64(id), HALL_I64(conf->login_max_failures),
                       HALL_I64(conf->login_lock_s));
    if (res == NULL)
        return HALL_ERR;
    *fails = hall_dbres_int(res, 0, "failed_logins");
    if (*fails >= conf->login_max_failures &&
        hall_audit(cx, actor, "staff", sid, "locked", "active", "locked", NULL) != HALL_OK)
        return HALL_ERR;
    return *fails >= conf->login_max_failures ? HALL_CONFLICT : HALL_OK;
}

struct hall_dbres *
hall_staff_add(struct hall_ctx *cx, const char *login, const char *password_hash,
               const char *role_list)
{
    return hall_db_exec(cx, "approval_staff_add", HALL_STR(login), HALL_STR(password_hash),
                        HALL_STR(role_list));
}

struct hall_dbres *
hall_staff_roles_set(struct hall_ctx *cx, const char *login, const char *role_list)
{
    return hall_db_exec(cx, "approval_staff_roles", HALL_STR(login), HALL_STR(role_list));
}

int64_t
hall_staff_sessions_sweep(struct hall_ctx *cx)
{
    struct hall_dbres *res = hall_db_exec(cx, "staff_sessions_sweep");

    return res != NULL ? hall_dbres_int(res, 0, "n") : -1;
}
