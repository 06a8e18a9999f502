/*
 * 证书解锁 of a USB key, online, by the 证书助手 (hall-assist unlock;
 * docs/modules/assist.md; core/biz/medium_unlock.c, sql/152).  A certificate made
 * onto a medium keeps its key there: once its 证书解锁 order is 成功受理 (the
 * holder proven again by the SMS code, the identity check and the review),
 * the holder takes a one-time code here and the tool, with the medium
 * plugged in, receives the medium's SO PIN once and resets the user PIN on
 * the medium.  No new key, no new certificate, no courier.
 *
 *   POST /unlock/assist/ticket   {id}: the holder's one-time code for the
 *                                order's medium, and the exact command
 *   POST /unlock/assist/release  {medium, ticket}: the tool's; the SO PIN
 *                                in force and a new one, once (no session:
 *                                the code is the credential)
 *   POST /unlock/assist/rotated  {medium, ticket}: the tool set the new SO
 *                                PIN on the medium: only this spends the
 *                                code and makes the order 已签收; until
 *                                then release answers the same PINs again
 *   POST /unlock/assist/cancel   {id}: the holder cancels the order before
 *                                that (nothing paid)
 *
 * No PIN is logged, audited or put in a page; the code is shown to its
 * holder once and stored as its SHA-256 only.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "hall.h"
#include "unlock.h"

const struct hall_pspec unlock_assist_ticket_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

const struct hall_pspec unlock_assist_tool_params[] = {
    {"medium", HALL_P_TEXT, 0, 1, 64, "介质序列号", NULL},
    {"ticket", HALL_P_TEXT, 0, 1, 64, "解锁码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_assist_flow unlock_flow = {
    .verb = "unlock",
    .title = "证书解锁 · 用证书助手解锁USB Key",
    .tpl = "unlock_assist",
    .code_word = "解锁码",
    .order_stmt = "assist_order",
    .shown = "medium=medium_serial cert_serial released:b code_locked:b code_expired:b code_until",
    .live_col = "live",
    .issued_col = NULL,
    .not_medium = HALL_M_ASSIST_NOT_MEDIUM,
    .not_accepted = HALL_M_ASSIST_NOT_ACCEPTED,
    .cert_gone = HALL_M_ASSIST_CERT_GONE,
    .used = HALL_M_ASSIST_USED,
    .ticket_code = hall_assist_ticket_code,
};

/* GET /unlock/assist?id=: what the 证书助手 does for this order, the code
 * button once it is 成功受理 */
int
unlock_assist_page(struct hall_req *req)
{
    return hall_assist_page(req, &unlock_flow);
}

/* POST /unlock/assist/ticket */
int
unlock_assist_ticket(struct hall_req *req)
{
    return hall_assist_code(req, &unlock_flow);
}

static int
medium_ok(const char *m)
{
    size_t i;

    for (i = 0; m[i] != '\0'; i++)
        if (!((m[i] >= '0' && m[i] <= '9') || (m[i] >= 'A' && m[i] <= 'F')))
            return 0;
    return i == 16;
}

/* the core's refusals as the hall answers them */
static int
refusal(struct hall_req *req, enum hall_assist_result r, const char *medium,
        const struct hall_assist_pins *p)
{
    switch (r) {
    case HALL_ASSIST_NO_TICKET: return hall_msg(req, HALL_M_ASSIST_NO_TICKET, "medium", medium);
    case HALL_ASSIST_WRONG_CODE:
        return hall_msg(req, HALL_M_ASSIST_WRONG_CODE, "ticket", p != NULL ? p->tries_left : 0);
    case HALL_ASSIST_VOID: return hall_msg(req, HALL_M_ASSIST_CODE_LOCKED, "ticket");
    case HALL_ASSIST_EXPIRED: return hall_msg(req, HALL_M_ASSIST_EXPIRED, "ticket");
    case HALL_ASSIST_USED: return hall_msg(req, HALL_M_ASSIST_USED, "ticket");
    case HALL_ASSIST_CERT_GONE:
        return hall_msg(req, HALL_M_ASSIST_CERT_GONE, "medium", p != NULL ? p->cert_serial : "");
    case HALL_ASSIST_NOT_RELEASED: return hall_msg(req, HALL_M_ASSIST_NOT_RELEASED, "ticket");
    default: return HALL_ERR;
    }
}

/* the two parameters checked; HALL_ERR after answering */
static int
tool_args(struct hall_req *req, const char **medium, const char **code)
{
    char hex[65];

    *medium = hall_req_param(req, "medium");
    *code = hall_req_param(req, "ticket");
    if (!medium_ok(*medium))
        return hall_msg(req, HALL_M_ASSIST_MEDIUM_BAD, "medium"), HALL_ERR;
    if (hall_assist_code_hash(*code, hex) != HALL_OK)
        return hall_msg(req, HALL_M_ASSIST_CODE_BAD, "ticket"), HALL_ERR;
    return HALL_OK;
}

/* POST /unlock/assist/release */
int
unlock_assist_release(struct hall_req *req)
{
    const char *medium, *code;
    struct hall_assist_pins p;
    enum hall_assist_result r;
    struct hall_val *v;
    int rc;

    if (tool_args(req, &medium, &code) != HALL_OK)
        return HALL_OK;
    r = hall_assist_release(req->cx, medium, code, "assist", &p);
    if (r != HALL_ASSIST_OK) {
        hall_info(req, "msg=\"unlock: assist release refused\" medium=%s result=%d", medium,
                  (int)r);
        return refusal(req, r, medium, &p);
    }
    hall_info(req, "msg=\"unlock: assist released\" medium=%s order=%lld", medium,
              (long long)p.order_id);
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "medium", medium);
    hall_val_set_str(req->pool, v, "certificate", p.cert_serial);
    hall_val_set_str(req->pool, v, "so_pin", p.so_pin);
    hall_val_set_str(req->pool, v, "new_so_pin", p.new_so_pin);
    rc = hall_resp_ok(req, v);
    OPENSSL_cleanse(p.so_pin, strlen(p.so_pin));
    OPENSSL_cleanse(p.new_so_pin, sizeof(p.new_so_pin));
    return rc;
}

/* POST /unlock/assist/rotated */
int
unlock_assist_rotated(struct hall_req *req)
{
    const char *medium, *code;
    enum hall_assist_result r;
    struct hall_val *v;

    if (tool_args(req, &medium, &code) != HALL_OK)
        return HALL_OK;
    r = hall_assist_rotated(req->cx, medium, code, "assist");
    if (r != HALL_ASSIST_OK)
        return refusal(req, r, medium, NULL);
    hall_info(req, "msg=\"unlock: assist so pin rotated\" medium=%s", medium);
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "medium", medium);
    return hall_resp_ok(req, v);
}

/* POST /unlock/assist/cancel: the holder's 成功受理 order of a USB key's
 * 解锁 cancelled before the medium confirmed a new PIN; a paid one goes by
 * 申请退费 (its money) */
int
unlock_assist_cancel(struct hall_req *req)
{
    int64_t id = 0;
    struct hall_dbres *o;
    enum hall_assist_result r;

    (void)hall_req_param_i64(req, "id", &id);
    o = hall_db_exec(req->cx, "assist_order", HALL_I64(id), HALL_I64(req->user_id));
    if (o == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(o) == 0)
        return hall_msg(req, HALL_M_ORDER_NOT_FOUND, "id");
    if (*hall_dbres_str(o, 0, "medium_serial") == '\0')
        return hall_msg(req, HALL_M_ASSIST_NOT_MEDIUM, "id");
    if (strcmp(hall_dbres_str(o, 0, "status"), "accepted") != 0)
        return hall_msg(req, HALL_M_ASSIST_CANCEL_STATE, "id",
                        hall_order_label(hall_dbres_str(o, 0, "status")));
    if (hall_dbres_int(o, 0, "amount_fen") > 0)
        return hall_msg(req, HALL_M_ASSIST_CANCEL_PAID, "id",
                        hall_yuan(req->pool, hall_dbres_int(o, 0, "amount_fen")));
    r = hall_assist_cancel(req->cx, id, hall_req_actor(req));
    if (r == HALL_ASSIST_CERT_GONE)
        return hall_msg(req, HALL_M_ASSIST_CANCEL_STATE, "id", "非成功受理");
    if (r != HALL_ASSIST_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"unlock: assist order cancelled\" order=%lld", (long long)id);
    return hall_resp_go(req, hall_psprintf(req->pool, "/unlock/assist?id=%lld", (long long)id),
                        "证书解锁业务单已取消");
}
