/*
 * 在线更新 of a USB key, by the 证书助手 (hall-assist renew;
 * docs/modules/assist.md; core/biz/medium_renew.c, sql/157).  A certificate
 * made onto a medium is renewed on that medium: once its 证书更新 order is
 * 成功受理, the holder takes a one-time code here and runs the command the
 * page shows; the tool generates the new key on the medium and asks the
 * hall (modules/pki/pki_renew.c, which holds the CA keys) for the new
 * certificate.  No courier, no new medium.
 *
 *   GET  /renew/assist?id=         what the 证书助手 does for this order, the
 *                                  command, the code button once accepted
 *   POST /renew/assist/ticket {id} the holder's one-time code for the
 *                                  order's medium, and the exact command
 *
 * The code is shown to its holder once and stored as its SHA-256 only.
 */
#include "hall.h"
#include "renew.h"

const struct hall_pspec renew_assist_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_assist_flow renew_flow = {
    .verb = "renew",
    .title = "证书更新 · 用证书助手在线更新USB Key",
    .tpl = "renew_assist",
    .code_word = "更新码",
    .order_stmt = "renew_assist_order",
    .shown = "medium=medium_serial cert_serial new_serial",
    .live_col = "usable",
    .issued_col = "ticket_state",
    .not_medium = HALL_M_RENEW_ASSIST_NOT_MEDIUM,
    .not_accepted = HALL_M_RENEW_ASSIST_NOT_ACCEPTED,
    .cert_gone = HALL_M_RENEW_ASSIST_CERT_GONE,
    .used = HALL_M_RENEW_ASSIST_USED,
    .ticket_code = hall_renew_ticket_code,
};

/* GET /renew/assist?id= */
int
renew_assist_page(struct hall_req *req)
{
    return hall_assist_page(req, &renew_flow);
}

/* POST /renew/assist/ticket */
int
renew_assist_ticket(struct hall_req *req)
{
    return hall_assist_code(req, &renew_flow);
}
