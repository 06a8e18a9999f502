/*
 * 在线变更 of a USB key, by the 证书助手 (hall-assist change;
 * docs/modules/assist.md; core/biz/medium_renew.c, sql/157; issue 64 §3).
 * A 证书变更 of a certificate made onto a medium is made on that medium:
 * once the order is 成功受理 (paid and approved), the holder takes a
 * one-time code here and runs the command the page shows; the tool
 * generates the new key on the medium and asks the hall
 * (modules/pki/pki_renew.c: /pki/change/...) for the certificate with the
 * changed data, writes it beside the old one, and only when the hall is
 * told it is written is the old one revoked (superseded).  No courier, no
 * new medium.
 *
 *   GET  /change/assist?id=         what the 证书助手 does for this order,
 *                                   the command, the code button once accepted
 *   POST /change/assist/ticket {id} the holder's one-time code for the
 *                                   order's medium, and the exact command
 *
 * The code is shown to its holder once and stored as its SHA-256 only.
 */
#include "hall.h"
#include "change.h"

const struct hall_pspec change_assist_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_assist_flow change_flow = {
    .verb = "change",
    .title = "证书变更 · 用证书助手在线变更USB Key",
    .tpl = "change_assist",
    .code_word = "变更码",
    .order_stmt = "change_assist_order",
    .shown = "medium=medium_serial cert_serial new_serial new_subject",
    .live_col = "usable",
    .issued_col = "ticket_state",
    .not_medium = HALL_M_CHANGE_ASSIST_NOT_MEDIUM,
    .not_accepted = HALL_M_CHANGE_ASSIST_NOT_ACCEPTED,
    .cert_gone = HALL_M_CHANGE_ASSIST_CERT_GONE,
    .used = HALL_M_CHANGE_ASSIST_USED,
    .ticket_code = hall_renew_ticket_code,
};

/* GET /change/assist?id= */
int
change_assist_page(struct hall_req *req)
{
    return hall_assist_page(req, &change_flow);
}

/* POST /change/assist/ticket */
int
change_assist_ticket(struct hall_req *req)
{
    return hall_assist_code(req, &change_flow);
}
