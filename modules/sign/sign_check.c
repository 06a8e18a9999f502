/*
 * sign_check.c: may this seal stamp now?  GET /sign/stamp-check, what
 * 在线盖章 asks once the seal file is chosen and again at 盖章, before the
 * PIN is used (docs/modules/sign.md): the signer's certificate in the
 * hall's records (certificates) and the seal in the register (seseals),
 * judged by the rule hall-stamp sign judges by (hall_stamp_may,
 * core/stamp/stamp_may.c), its verdict and its one Chinese text.  Public
 * as /sign/seal-status is: a state, a time and a reason, nothing else.
 */
#include <string.h>

#include "sign.h"

/*
 * The time a certificate or seal of the register was revoked, in words:
 * revoked_s of the row (SIGN_REVOKED_S, whole seconds truncated) printed by
 * hall_beijing_time, as every note of the verdict prints it; "" when none.
 * Here, below sign.c, which uses it as this file's route does.
 */
time_t
sign_revoked_s(struct hall_dbres *r)
{
    return r != NULL && hall_dbres_rows(r) > 0 ? (time_t)hall_dbres_int(r, 0, "revoked_s") : 0;
}

const char *
sign_revoked_when(struct hall_pool *pool, struct hall_dbres *r)
{
    return hall_beijing_time(pool, sign_revoked_s(r));
}

/* a serial as the hall writes it: 1-40 hex digits, upper-cased into hex */
static int
serial_norm(const char *s, char *hex, size_t cap)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];

        if (i >= 40 || i + 1 >= cap)
            return 0;
        if (c >= 'a' && c <= 'f')
            c = (char)(c - 'a' + 'A');
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
            return 0;
        hex[i] = c;
    }
    hex[i] = '\0';
    return i > 0;
}

/* 1 when s is an esID as /sign/seal-status takes it */
static int
es_id_ok(const char *s)
{
    const char *c;

    for (c = s; *c != '\0'; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')))
            return 0;
    return c > s && c - s <= 64;
}

int
sign_may_rows(struct hall_req *req, const char *serial, const char *es_id,
              struct hall_stamp_may *may)
{
    struct hall_dbres *c, *s = NULL;
    const char *cstate = NULL, *sstate = NULL, *stext = "", *scur = "";

    c = hall_db_exec(req->cx, "sign_check_cert", HALL_STR(serial));
    if (c == NULL)
        return HALL_ERR;
    if (es_id != NULL) {
        s = hall_db_exec(req->cx, "sign_seal", HALL_STR(es_id));
        if (s == NULL)
            return HALL_ERR;
    }
    if (hall_dbres_rows(c) == 1)
        cstate = hall_pstrdup(req->pool, hall_dbres_str(c, 0, "state"));
    if (s != NULL && hall_dbres_rows(s) == 1) {
        sstate = hall_pstrdup(req->pool, hall_dbres_str(s, 0, "state"));
        stext = sign_revoked_when(req->pool, s);
        scur = hall_pstrdup(req->pool, hall_dbres_str(s, 0, "current_seal"));
    }
    /* the hall's own 验签专用章: no row, the hall's own (as /sign/seal-status) */
    if (es_id != NULL && sstate == NULL && sign_report_es_id() != NULL &&
        strcmp(es_id, sign_report_es_id()) == 0)
        sstate = "valid";
    hall_stamp_may_rows(req->pool, serial, cstate, sign_revoked_s(c),
                        cstate != NULL ? (int)hall_dbres_int(c, 0, "reason") : -1, es_id, sstate,
                        stext, scur, may);
    return HALL_OK;
}

const char *
sign_may_verdict(const struct hall_stamp_may *may)
{
    return may->verdict == HALL_STAMP_MAY_YES       ? "yes"
           : may->verdict == HALL_STAMP_MAY_REFUSED ? "refused"
                                                    : "unchecked";
}

/*
 * GET /sign/stamp-check?es_id=&serial=: the seal's esID and its signer
 * certificate's serial (both in the .seseal).  200 with the verdict
 * (yes, refused, unchecked), the rule's code and message; 400 naming the
 * field; 503 when the records cannot be read (the page then refuses with
 * the rule's words for a status that cannot be learnt).
 */
int
sign_stamp_check(struct hall_req *req)
{
    const char *es_id = hall_req_param(req, "es_id"), *serial = hall_req_param(req, "serial");
    struct hall_stamp_may may;
    struct hall_val *out, *o;
    char hex[48];

    if (es_id == NULL || *es_id == '\0')
        return hall_msg(req, HALL_M_SIGN_SEAL_ID_REQUIRED, "es_id");
    if (!es_id_ok(es_id))
        return hall_msg(req, HALL_M_SIGN_SEAL_ID_BAD, "es_id");
    if (serial == NULL || *serial == '\0')
        return hall_msg(req, HALL_M_SIGN_EVIDENCE_SERIAL_REQUIRED, "serial");
    if (!serial_norm(serial, hex, sizeof(hex)))
        return hall_msg(req, HALL_M_SIGN_CHECK_SERIAL_BAD, "serial");
    if (sign_may_rows(req, hex, es_id, &may) != HALL_OK)
        return HALL_ERR; /* the store failed: hall_app_finish answers 503 */
    out = hall_val_obj(req->pool);
    o = hall_val_set_obj(req->pool, out, "check");
    hall_val_set_str(req->pool, o, "es_id", es_id);
    hall_val_set_str(req->pool, o, "serial", hex);
    hall_val_set_str(req->pool, o, "verdict", sign_may_verdict(&may));
    hall_val_set_str(req->pool, o, "code", may.code);
    hall_val_set_str(req->pool, o, "message", may.text);
    hall_resp_header(req, "Cache-Control", "no-store");
    return hall_resp_ok(req, out);
}
