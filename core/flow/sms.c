/*
 * SMS one-time codes: 6 digits from a CSPRNG, stored as a keyed MAC, valid
 * sms_code_ttl_s, single use per purpose, at most one per phone per
 * sms_code_interval_s and sms_code_daily_max per rolling 24 hours, void after
 * sms_code_max_tries wrong tries.  A code that confirms an action on one
 * object (a certificate's serial: 撤销, 解锁) is kept with it and checked
 * only against it, and its SMS is the action's own template naming the
 * object.  The text goes out through the outbox.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

static void
code_mac(const unsigned char idx[32], const char *purpose, const char *object, const char *code,
         unsigned char out[32])
{
    char msg[160];
    int n;

    /* a code of the phone itself keeps the form it always had */
    n = object != NULL ? snprintf(msg, sizeof(msg), "%s:%s:%s:", purpose, object, code)
                       : snprintf(msg, sizeof(msg), "%s:%s:", purpose, code);
    if (n < 0 || (size_t)n + 32 > sizeof(msg))
        abort(); /* purpose <= 32, object <= 64, code 6: never */
    /* the phone's blind index binds the code to the phone */
    memcpy(msg + n, idx, 32);
    hall_mac("sms-code", msg, (size_t)n + 32, out);
}

/* counts one more code for key; HALL_OK while at most max this hour */
static enum hall_sms_result
client_count(struct hall_req *req, const char *key, long max, enum hall_sms_result over)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "sms_client_count", HALL_STR(key));

    if (res == NULL || hall_dbres_rows(res) != 1)
        return HALL_SMS_DB_ERROR;
    /* a refused send rolls back, so only codes that went out count */
    return hall_dbres_int(res, 0, "n") > max ? over : HALL_SMS_OK;
}

enum hall_sms_result
hall_sms_client_limit(struct hall_req *req)
{
    const struct hall_conf *conf = &req->app->conf;
    const char *tok = NULL;
    enum hall_sms_result r;
    unsigned char hash[32];

    if (hall_db_exec(req->cx, "sms_client_prune") == NULL)
        return HALL_SMS_DB_ERROR;
    /* the address nginx saw (fastcgi_params REMOTE_ADDR); always the IP
     * first, then the session, so two requests never wait on each other
     * in opposite orders */
    if (req->remote_addr != NULL && *req->remote_addr != '\0' && strlen(req->remote_addr) < 64) {
        r = client_count(req, hall_psprintf(req->pool, "ip:%s", req->remote_addr),
                         conf->sms_ip_hourly_max, HALL_SMS_IP_LIMIT);
        if (r != HALL_SMS_OK)
            return r;
    }
    if (req->session != NULL) {
        memcpy(hash, req->session->token_hash, 32);
    } else {
        tok = hall_req_cookie(req, "hall_pre");
        if (tok == NULL || *tok == '\0')
            return HALL_SMS_OK; /* no visitor cookie: no form token either */
        hall_sha256(tok, strlen(tok), hash);
    }
    return client_count(req, hall_psprintf(req->pool, "session:%s", hall_hex(req->pool, hash, 32)),
                        conf->sms_session_hourly_max, HALL_SMS_SESSION_LIMIT);
}

/*
 * A code for phone, purpose and object (NULL: the phone itself), under the
 * same limits whatever is sent.  notice 0: the SMS is the code, in the
 * template kind (code and minutes, and serial_tail, the object's last four
 * characters, when there is an object).  notice 1: the SMS is the template
 * kind without parameters (core/store/sms_tpl.def), and the code it
 * stands for is known to nobody: the caller answers as if a code was sent,
 * so that the answer does not tell what the phone's SMS says.
 */
static enum hall_sms_result
code_send(struct hall_req *req, const char *phone, const char *purpose, const char *object,
          enum hall_sms_kind kind, int notice)
{
    const struct hall_conf *conf = &req->app->conf;
    unsigned char idx[32], mac[32];
    struct hall_dbres *res;
    const char *idem, *minutes;
    char code[7];
    int64_t id;
    int rc;

    if (object != NULL && (*object == '\0' || strlen(object) > 64))
        return HALL_SMS_DB_ERROR;
    hall_pii_index("phone", phone, idx);
    if (hall_db_exec(req->cx, "sms_lock", HALL_BIN(idx, 32)) == NULL)
        return HALL_SMS_DB_ERROR;
    res =
        hall_db_exec(req->cx, "sms_counts", HALL_BIN(idx, 32), HALL_I64(conf->sms_code_interval_s));
    if (res == NULL)
        return HALL_SMS_DB_ERROR;
    if (hall_dbres_int(res, 0, "recent") > 0)
        return HALL_SMS_TOO_SOON;
    if (hall_dbres_int(res, 0, "today") >= conf->sms_code_daily_max)
        return HALL_SMS_DAILY_LIMIT;
    /* one live code per phone and purpose: asking for another object
     * voids the code of the first */
    if (hall_db_exec(req->cx, "sms_supersede", HALL_BIN(idx, 32), HALL_STR(purpose)) == NULL)
        return HALL_SMS_DB_ERROR;
    snprintf(code, sizeof(code), "%06u", hall_rand_below(1000000));
    code_mac(idx, purpose, object, code, mac);
    res = hall_db_exec(req->cx, "sms_insert", HALL_BIN(idx, 32), HALL_STR(purpose),
                       HALL_BIN(mac, 32), HALL_I64(conf->sms_code_ttl_s),
                       object != NULL ? HALL_STR(object) : HALL_NULLP);
    if (res == NULL)
        return HALL_SMS_DB_ERROR;
    id = hall_dbres_int(res, 0, "id");
    idem = hall_psprintf(req->pool, "sms-code-%lld", (long long)id);
    minutes = hall_psprintf(req->pool, "%ld", conf->sms_code_ttl_s / 60);
    if (notice)
        rc = hall_sms_queue(req->cx, idem, phone, req->partner, kind, NULL);
    else if (object == NULL)
        rc = hall_sms_queue(req->cx, idem, phone, req->partner, kind, "code", code, "minutes",
                            minutes, NULL);
    else
        rc = hall_sms_queue(req->cx, idem, phone, req->partner, kind, "code", code, "minutes",
                            minutes, "serial_tail",
                            object + (strlen(object) > 4 ? strlen(object) - 4 : 0), NULL);
    if (rc != HALL_OK)
        return HALL_SMS_DB_ERROR;
    return HALL_SMS_OK;
}

enum hall_sms_result
hall_sms_code_send(struct hall_req *req, const char *phone, const char *purpose)
{
    return code_send(req, phone, purpose, NULL, HALL_SMST_code, 0);
}

enum hall_sms_result
hall_sms_notice_send(struct hall_req *req, const char *phone, const char *purpose,
                     enum hall_sms_kind notice)
{
    return code_send(req, phone, purpose, NULL, notice, 1);
}

enum hall_sms_result
hall_sms_object_code_send(struct hall_req *req, const char *phone, const char *purpose,
                          const char *object, enum hall_sms_kind kind)
{
    return code_send(req, phone, purpose, object, kind, 0);
}

static enum hall_sms_result
code_check(struct hall_req *req, const char *phone, const char *purpose, const char *object,
           const char *code)
{
    unsigned char idx[32], mac[32];
    const unsigned char *stored;
    const char *for_obj;
    struct hall_dbres *res;
    size_t len;
    int64_t id;

    hall_pii_index("phone", phone, idx);
    res = hall_db_exec(req->cx, "sms_latest", HALL_BIN(idx, 32), HALL_STR(purpose));
    if (res == NULL)
        return HALL_SMS_DB_ERROR;
    if (hall_dbres_rows(res) == 0)
        return HALL_SMS_EXPIRED;
    id = hall_dbres_int(res, 0, "id");
    if (hall_dbres_int(res, 0, "tries") >= req->app->conf.sms_code_max_tries)
        return HALL_SMS_LOCKED;
    if (!hall_dbres_bool(res, 0, "live"))
        return HALL_SMS_EXPIRED;
    for_obj = hall_dbres_isnull(res, 0, hall_dbres_col(res, "object"))
                  ? NULL
                  : hall_dbres_str(res, 0, "object");
    if ((for_obj == NULL) != (object == NULL) || (object != NULL && strcmp(for_obj, object) != 0)) {
        /* asked for another object: refused as a wrong try, and the code
         * stays for the object it was asked for */
        if (hall_db_exec(req->cx, "sms_fail", HALL_I64(id)) == NULL)
            return HALL_SMS_DB_ERROR;
        return HALL_SMS_OTHER_OBJECT;
    }
    stored = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "code_hash"), &len);
    code_mac(idx, purpose, object, code, mac);
    if (stored == NULL || len != 32 || !hall_ct_equal(stored, mac, 32)) {
        /* the caller commits, so the wrong try counts */
        if (hall_db_exec(req->cx, "sms_fail", HALL_I64(id)) == NULL)
            return HALL_SMS_DB_ERROR;
        return HALL_SMS_BAD_CODE;
    }
    if (hall_db_exec(req->cx, "sms_use", HALL_I64(id)) == NULL)
        return HALL_SMS_DB_ERROR;
    return HALL_SMS_OK;
}

enum hall_sms_result
hall_sms_code_check(struct hall_req *req, const char *phone, const char *purpose, const char *code)
{
    return code_check(req, phone, purpose, NULL, code);
}

enum hall_sms_result
hall_sms_object_code_check(struct hall_req *req, const char *phone, const char *purpose,
                           const char *object, const char *code)
{
    return code_check(req, phone, purpose, object, code);
}

const char *
hall_sms_result_msg(enum hall_sms_result r)
{
    switch (r) {
    case HALL_SMS_OK: return "验证码已发送";
    case HALL_SMS_TOO_SOON: return "验证码发送过于频繁，请稍后再试";
    case HALL_SMS_DAILY_LIMIT: return "该手机号今日获取验证码次数已达上限，请明天再试";
    case HALL_SMS_BAD_CODE: return "短信验证码不正确";
    case HALL_SMS_EXPIRED: return "短信验证码已失效，请重新获取";
    case HALL_SMS_LOCKED: return "短信验证码错误次数过多，请重新获取";
    case HALL_SMS_OTHER_OBJECT:
        return "该短信验证码不是为这张证书获取的，请为这张证书重新获取验证码";
    case HALL_SMS_DB_ERROR: return "系统繁忙，请稍后再试";
    case HALL_SMS_IP_LIMIT: return "您所在网络获取验证码的次数过多，请1小时后再试";
    case HALL_SMS_SESSION_LIMIT: return "获取验证码的次数过多，请1小时后再试";
    }
    return "系统繁忙，请稍后再试";
}
