/*
 * modules/change's parts: 在线变更 of a USB key by the 证书助手
 * (change_assist.c): its routes and statement.
 */
#ifndef HALL_MODULE_CHANGE_H
#define HALL_MODULE_CHANGE_H

int change_assist_page(struct hall_req *req);
int change_assist_ticket(struct hall_req *req);
extern const struct hall_pspec change_assist_params[];

/* clang-format off */
#define CHANGE_ASSIST_ROUTES                                                                       \
    {"GET", "/change/assist", change_assist_page, HALL_R_AUTH, change_assist_params},             \
    {"POST", "/change/assist/ticket", change_assist_ticket, HALL_R_AUTH, change_assist_params}

/* the holder's 证书变更 order of a certificate: its medium, the ticket's
 * state; usable: the old certificate valid and not ended (变更 carries its
 * remaining validity) */
#define CHANGE_ASSIST_STMTS                                                                        \
    {"change_assist_order",                                                                        \
     "SELECT o.status, c.serial AS cert_serial,"                                                   \
     " coalesce(c.medium_serial, '') AS medium_serial, coalesce(m.state, '') AS medium_state,"     \
     " (c.state = 'issued' AND c.not_after > now()) AS usable,"                                    \
     " coalesce(t.state, '') AS ticket_state, coalesce(t.new_serial, '') AS new_serial,"           \
     " o.subject AS new_subject"                                                                   \
     " FROM orders o JOIN certificates c ON c.serial = o.reissue_of"                               \
     " LEFT JOIN media m ON m.serial = c.medium_serial"                                            \
     " LEFT JOIN renew_tickets t ON t.order_id = o.id"                                             \
     " WHERE o.id = $1 AND o.user_id = $2 AND o.business_type = 'change'",                         \
     2}
/* clang-format on */

#endif
