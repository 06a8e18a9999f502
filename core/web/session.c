/*
 * Sessions: a 256-bit random token in an HttpOnly cookie, stored only as its
 * SHA-256.  CSRF tokens are MACs of the visitor's cookie token, so they need
 * no storage: hall_sid when logged in, hall_pre for anonymous visitors.
 */
#include <string.h>

#include "web/web.h"

#define SID_COOKIE  "hall_sid"
#define PRE_COOKIE  "hall_pre"
#define TOKEN_CHARS HALL_SESSION_TOKEN_CHARS

static const char *
new_token(struct hall_req *req)
{
    unsigned char raw[32];

    hall_rand_bytes(raw, sizeof(raw));
    return hall_b64url(req->pool, raw, sizeof(raw));
}

const unsigned char *
hall_session_token(struct hall_req *req)
{
    const char *sid = hall_req_cookie(req, SID_COOKIE);
    unsigned char *hash;

    if (!hall_session_token_ok(sid))
        return NULL;
    hash = hall_palloc(req->pool, 32);
    hall_sha256(sid, strlen(sid), hash);
    return hash;
}

int
hall_session_accept(struct hall_req *req, const unsigned char *token_hash, int64_t user_id,
                    const char *partner, const char *who, int stale)
{
    struct hall_session *s;

    /* the idle deadline moves at most once a minute: one UPDATE (and its
     * WAL flush) per session and minute instead of one per request */
    if (stale && hall_db_exec(req->cx, "session_touch", HALL_BIN(token_hash, 32),
                              HALL_I64(req->app->conf.session_idle_s)) == NULL)
        return HALL_ERR;
    s = hall_pcalloc(req->pool, sizeof(*s));
    memcpy(s->token_hash, token_hash, 32);
    s->user_id = user_id;
    s->partner = hall_pstrdup(req->pool, partner);
    s->who = hall_pstrdup(req->pool, who != NULL ? who : "");
    req->session = s;
    req->user_id = s->user_id;
    return HALL_OK;
}

int
hall_session_load(struct hall_req *req)
{
    const unsigned char *hash = hall_session_token(req);
    struct hall_dbres *res;

    if (hash == NULL)
        return HALL_OK;
    res = hall_db_exec(req->cx, "session_get", HALL_BIN(hash, 32));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK;
    return hall_session_accept(req, hash, hall_dbres_int(res, 0, "user_id"),
                               hall_dbres_str(res, 0, "partner_code"),
                               hall_dbres_str(res, 0, "who"), hall_dbres_bool(res, 0, "stale"));
}

int
hall_session_create(struct hall_req *req, int64_t user_id, const char *phone)
{
    const char *who = "";
    const char *token = new_token(req);
    unsigned char hash[32];

    /* a new token at every login: a planted session id is worth nothing */
    if (req->session != NULL)
        hall_db_exec(req->cx, "session_delete", HALL_BIN(req->session->token_hash, 32));
    hall_sha256(token, strlen(token), hash);
    /* 欢迎您！138****1234 in the header: only the mask is kept */
    if (phone != NULL && strlen(phone) == 11 && strspn(phone, "0123456789") == 11)
        who = hall_psprintf(req->pool, "%.3s****%.4s", phone, phone + 7);
    if (hall_db_exec(req->cx, "session_insert", HALL_BIN(hash, 32), HALL_I64(user_id),
                     HALL_STR(req->partner), HALL_I64(req->app->conf.session_idle_s),
                     HALL_I64(req->app->conf.session_absolute_s), HALL_STR(who)) == NULL)
        return HALL_ERR;
    hall_resp_cookie(req, SID_COOKIE, token, -1);
    req->session = hall_pcalloc(req->pool, sizeof(*req->session));
    memcpy(req->session->token_hash, hash, 32);
    req->session->user_id = user_id;
    req->session->partner = req->partner;
    req->session->who = who;
    req->user_id = user_id;
    /* the form tokens of the new session derive from the new cookie */
    req->cookies = NULL;
    hall_parse_cookies(req->pool, hall_psprintf(req->pool, SID_COOKIE "=%s", token), &req->cookies);
    return HALL_OK;
}

int
hall_session_destroy(struct hall_req *req)
{
    if (req->session != NULL &&
        hall_db_exec(req->cx, "session_delete", HALL_BIN(req->session->token_hash, 32)) == NULL)
        return HALL_ERR;
    hall_resp_cookie(req, SID_COOKIE, "", 0);
    req->session = NULL;
    req->user_id = 0;
    return HALL_OK;
}

int
hall_session_drop_others(struct hall_req *req)
{
    if (req->session == NULL)
        return HALL_ERR;
    return hall_db_exec(req->cx, "session_drop_others", HALL_I64(req->user_id),
                        HALL_BIN(req->session->token_hash, 32)) != NULL
               ? HALL_OK
               : HALL_ERR;
}

/*
 * The form token of a cookie token.  The worker keeps the last pair: a
 * visitor's pages mostly come one after the other, and the MAC (two
 * HMAC-SHA256 through OpenSSL's EVP) was a twentieth of the order list's
 * worker CPU.  The value is the MAC either way, so it is as unforgeable as
 * before; the cookie token is compared in constant time, and the process
 * that keeps it holds the MAC key itself.
 */
static const char *
csrf_for(struct hall_req *req, const char *token)
{
    static char last_token[TOKEN_CHARS], last_csrf[TOKEN_CHARS + 1];
    static int last_ok;
    unsigned char mac[32];
    const char *csrf;

    if (last_ok && hall_ct_equal(last_token, token, TOKEN_CHARS))
        return hall_pstrdup(req->pool, last_csrf);
    hall_mac("csrf", token, strlen(token), mac);
    csrf = hall_b64url(req->pool, mac, sizeof(mac));
    if (strlen(csrf) == TOKEN_CHARS) {
        memcpy(last_token, token, TOKEN_CHARS);
        memcpy(last_csrf, csrf, TOKEN_CHARS + 1);
        last_ok = 1;
    }
    return csrf;
}

const char *
hall_csrf_token(struct hall_req *req)
{
    const char *sid = hall_req_cookie(req, SID_COOKIE);
    const char *pre;

    if (req->session != NULL && hall_session_token_ok(sid))
        return csrf_for(req, sid);
    pre = req->pre_token != NULL ? req->pre_token : hall_req_cookie(req, PRE_COOKIE);
    if (!hall_session_token_ok(pre)) {
        pre = new_token(req);
        hall_resp_cookie(req, PRE_COOKIE, pre, -1);
    }
    req->pre_token = pre;
    return csrf_for(req, pre);
}

int
hall_csrf_check(struct hall_req *req)
{
    const char *sent = hall_req_env(req, "HTTP_X_CSRF_TOKEN");
    const char *cands[2];
    int i;

    if (sent == NULL || *sent == '\0')
        sent = hall_req_body_param(req, "_csrf"); /* never from a URL */
    if (sent == NULL || strlen(sent) != TOKEN_CHARS)
        return HALL_ERR;
    cands[0] = hall_req_cookie(req, SID_COOKIE);
    /* a logged-in visitor's forms carry the session's token: a token made
     * for the anonymous visit before the login no longer counts */
    cands[1] = req->session != NULL ? NULL : hall_req_cookie(req, PRE_COOKIE);
    for (i = 0; i < 2; i++)
        if (hall_session_token_ok(cands[i]) &&
            hall_ct_equal(csrf_for(req, cands[i]), sent, TOKEN_CHARS))
            return HALL_OK;
    return HALL_ERR;
}
