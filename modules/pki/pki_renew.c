/*
 * 在线更新 of a USB key, by the 证书助手 (hall-assist renew;
 * docs/modules/assist.md; core/biz/medium_renew.c, sql/157).  The tool's
 * three calls, with the medium serial and the one-time code the holder took
 * on the 证书更新 order's page (modules/renew/renew_assist.c):
 *
 *   POST /pki/renew/issue    {medium, ticket, csr, proof}: csr the PKCS#10
 *                            request the NEW key signed on the medium, proof
 *                            the OLD key's ECDSA signature (DER) of
 *                            "hall-assist renew\n" MEDIUM "\n" CSR; both
 *                            Base64.  The new certificate and its chain (PEM)
 *   POST /pki/renew/written  {medium, ticket, serial}: it is on the medium
 *                            (the order 已签收); serial (optional) the
 *                            certificate the tool found there, refused when
 *                            not the new one; said twice, or by two posts at
 *                            once, the same answer and one confirmation;
 *                            the answer names the new serial and the one it
 *                            replaces (what the tool then removes)
 *   POST /pki/renew/failed   {medium, ticket}: it could not be written (the
 *                            new key deleted): the new certificate revoked
 *
 * 在线变更 (hall-assist change, a 证书变更 order's code; the proof's prefix
 * "hall-assist change\n"): the same three calls under /pki/change/ (issue,
 * written, failed); the new certificate carries the changed subject and the
 * old one's end, and the old one is revoked (superseded) only at written.
 * A code answers only under its order's verb.
 *
 * No session: the code is the credential, bound to the medium and to the
 * old certificate, whose key must sign the request.
 */
#include <string.h>

#include "hall.h"
#include "pki_renew.h"

/* a verb's words: the refusals that name its code */
struct verb_msgs {
    const char *verb;
    enum hall_msg_code code_bad, no_ticket, wrong_code, void_, used, cert_gone, proof_bad, same_key,
        not_issued, other_serial;
};

static const struct verb_msgs renew_msgs = {
    "renew",
    HALL_M_RENEW_ASSIST_CODE_BAD,
    HALL_M_RENEW_ASSIST_NO_TICKET,
    HALL_M_RENEW_ASSIST_WRONG_CODE,
    HALL_M_RENEW_ASSIST_VOID,
    HALL_M_RENEW_ASSIST_USED,
    HALL_M_RENEW_ASSIST_CERT_GONE,
    HALL_M_RENEW_ASSIST_PROOF_BAD,
    HALL_M_RENEW_ASSIST_SAME_KEY,
    HALL_M_RENEW_ASSIST_NOT_ISSUED,
    HALL_M_RENEW_ASSIST_OTHER_SERIAL,
};

static const struct verb_msgs change_msgs = {
    "change",
    HALL_M_CHANGE_ASSIST_CODE_BAD,
    HALL_M_CHANGE_ASSIST_NO_TICKET,
    HALL_M_CHANGE_ASSIST_WRONG_CODE,
    HALL_M_CHANGE_ASSIST_VOID,
    HALL_M_CHANGE_ASSIST_USED,
    HALL_M_CHANGE_ASSIST_CERT_GONE,
    HALL_M_CHANGE_ASSIST_PROOF_BAD,
    HALL_M_CHANGE_ASSIST_SAME_KEY,
    HALL_M_CHANGE_ASSIST_NOT_ISSUED,
    HALL_M_CHANGE_ASSIST_OTHER_SERIAL,
};

const struct hall_pspec pki_renew_issue_params[] = {
    {"medium", HALL_P_TEXT, 0, 1, 64, "介质序列号", NULL},
    {"ticket", HALL_P_TEXT, 0, 1, 64, "更新码", NULL},
    {"csr", HALL_P_TEXT, 0, 1, 8000, "证书请求", NULL},
    {"proof", HALL_P_TEXT, 0, 1, 400, "原证书密钥的签名", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

const struct hall_pspec pki_renew_tool_params[] = {
    {"medium", HALL_P_TEXT, 0, 1, 64, "介质序列号", NULL},
    {"ticket", HALL_P_TEXT, 0, 1, 64, "更新码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

const struct hall_pspec pki_renew_written_params[] = {
    {"medium", HALL_P_TEXT, 0, 1, 64, "介质序列号", NULL},
    {"ticket", HALL_P_TEXT, 0, 1, 64, "更新码", NULL},
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL | HALL_PF_PLAIN, 0, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

const struct hall_pspec pki_change_issue_params[] = {
    {"medium", HALL_P_TEXT, 0, 1, 64, "介质序列号", NULL},
    {"ticket", HALL_P_TEXT, 0, 1, 64, "变更码", NULL},
    {"csr", HALL_P_TEXT, 0, 1, 8000, "证书请求", NULL},
    {"proof", HALL_P_TEXT, 0, 1, 400, "原证书密钥的签名", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

const struct hall_pspec pki_change_tool_params[] = {
    {"medium", HALL_P_TEXT, 0, 1, 64, "介质序列号", NULL},
    {"ticket", HALL_P_TEXT, 0, 1, 64, "变更码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

const struct hall_pspec pki_change_written_params[] = {
    {"medium", HALL_P_TEXT, 0, 1, 64, "介质序列号", NULL},
    {"ticket", HALL_P_TEXT, 0, 1, 64, "变更码", NULL},
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL | HALL_PF_PLAIN, 0, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
medium_ok(const char *m)
{
    size_t i;

    for (i = 0; m[i] != '\0'; i++)
        if (!((m[i] >= '0' && m[i] <= '9') || (m[i] >= 'A' && m[i] <= 'F')))
            return 0;
    return i == 16;
}

/* the two parameters checked; HALL_ERR after answering */
static int
tool_args(struct hall_req *req, const struct verb_msgs *vm, const char **medium, const char **code)
{
    char hex[65];

    *medium = hall_req_param(req, "medium");
    *code = hall_req_param(req, "ticket");
    if (!medium_ok(*medium))
        return hall_msg(req, HALL_M_ASSIST_MEDIUM_BAD, "medium"), HALL_ERR;
    if (hall_assist_code_hash(*code, hex) != HALL_OK)
        return hall_msg(req, vm->code_bad, "ticket"), HALL_ERR;
    return HALL_OK;
}

/* the core's refusals as the hall answers them */
static int
refusal(struct hall_req *req, const struct verb_msgs *vm, enum hall_renew_result r,
        const char *medium, const struct hall_renew_out *o)
{
    switch (r) {
    case HALL_RENEW_NO_TICKET: return hall_msg(req, vm->no_ticket, "medium", medium);
    case HALL_RENEW_WRONG_CODE: return hall_msg(req, vm->wrong_code, "ticket", o->tries_left);
    case HALL_RENEW_VOID: return hall_msg(req, vm->void_, "ticket");
    case HALL_RENEW_USED: return hall_msg(req, vm->used, "ticket");
    case HALL_RENEW_CERT_GONE: return hall_msg(req, vm->cert_gone, "medium", o->cert_serial);
    case HALL_RENEW_BUSY: return hall_msg(req, HALL_M_RENEW_ASSIST_BUSY, "ticket");
    case HALL_RENEW_BAD_CSR:
        return hall_msg(req, HALL_M_RENEW_ASSIST_CSR_BAD, "csr", o->why != NULL ? o->why : "");
    case HALL_RENEW_BAD_PROOF: return hall_msg(req, vm->proof_bad, "proof");
    case HALL_RENEW_SAME_KEY: return hall_msg(req, vm->same_key, "csr");
    case HALL_RENEW_KEY_TAKEN: return hall_msg(req, HALL_M_SPKI_TAKEN, "csr");
    case HALL_RENEW_NOT_ISSUED: return hall_msg(req, vm->not_issued, "ticket");
    case HALL_RENEW_OTHER_SERIAL:
        return hall_msg(req, vm->other_serial, "serial", hall_req_param(req, "serial"));
    default: return HALL_ERR;
    }
}

/* POST /pki/{renew,change}/issue */
static int
tool_issue(struct hall_req *req, const struct verb_msgs *vm)
{
    const char *medium, *code;
    unsigned char *csr, *proof;
    size_t csr_len, proof_len;
    struct hall_renew_out o;
    enum hall_renew_result r;
    struct hall_val *v;

    if (tool_args(req, vm, &medium, &code) != HALL_OK)
        return HALL_OK;
    csr = hall_unb64(req->pool, hall_req_param(req, "csr"), &csr_len);
    if (csr == NULL)
        return hall_msg(req, HALL_M_CSR_BAD, "csr");
    proof = hall_unb64(req->pool, hall_req_param(req, "proof"), &proof_len);
    if (proof == NULL)
        return hall_msg(req, vm->proof_bad, "proof");
    r = hall_renew_issue(req->cx, vm->verb, medium, code, csr, csr_len, proof, proof_len, "assist",
                         &o);
    if (r != HALL_RENEW_OK) {
        hall_info(req, "msg=\"%s: assist issue refused\" medium=%s result=%d", vm->verb, medium,
                  (int)r);
        return refusal(req, vm, r, medium, &o);
    }
    hall_info(req, "msg=\"%s: assist issued\" medium=%s order=%lld serial=%s", vm->verb, medium,
              (long long)o.order_id, o.new_serial);
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "medium", medium);
    hall_val_set_str(req->pool, v, "serial", o.new_serial);
    hall_val_set_str(req->pool, v, "replaces", o.cert_serial);
    hall_val_set_str(req->pool, v, "chain", o.chain != NULL ? o.chain : "");
    hall_val_set_int(req->pool, v, "seals_remade", o.seals_remade);
    return hall_resp_ok(req, v);
}

static int
tool_call(struct hall_req *req, const struct verb_msgs *vm, int written)
{
    const char *medium, *code;
    struct hall_renew_out o;
    enum hall_renew_result r;
    struct hall_val *v;

    if (tool_args(req, vm, &medium, &code) != HALL_OK)
        return HALL_OK;
    r = written ? hall_renew_written(req->cx, vm->verb, medium, code, hall_req_param(req, "serial"),
                                     "assist", &o)
                : hall_renew_failed(req->cx, vm->verb, medium, code, "assist", &o);
    if (r != HALL_RENEW_OK)
        return refusal(req, vm, r, medium, &o);
    hall_info(req, "msg=\"%s: assist %s\" medium=%s serial=%s", vm->verb,
              written ? "written" : "failed", medium, o.new_serial);
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "medium", medium);
    hall_val_set_str(req->pool, v, "serial", o.new_serial);
    hall_val_set_str(req->pool, v, "replaces", o.cert_serial);
    return hall_resp_ok(req, v);
}

/* POST /pki/renew/issue */
int
pki_renew_issue(struct hall_req *req)
{
    return tool_issue(req, &renew_msgs);
}

/* POST /pki/renew/written */
int
pki_renew_written(struct hall_req *req)
{
    return tool_call(req, &renew_msgs, 1);
}

/* POST /pki/renew/failed */
int
pki_renew_failed(struct hall_req *req)
{
    return tool_call(req, &renew_msgs, 0);
}

/* POST /pki/change/issue */
int
pki_change_issue(struct hall_req *req)
{
    return tool_issue(req, &change_msgs);
}

/* POST /pki/change/written */
int
pki_change_written(struct hall_req *req)
{
    return tool_call(req, &change_msgs, 1);
}

/* POST /pki/change/failed */
int
pki_change_failed(struct hall_req *req)
{
    return tool_call(req, &change_msgs, 0);
}
