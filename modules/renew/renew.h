/*
 * modules/renew's parts: 在线更新 of a USB key by the 证书助手
 * (renew_assist.c): its routes and statement.
 */
#ifndef HALL_MODULE_RENEW_H
#define HALL_MODULE_RENEW_H

int renew_assist_page(struct hall_req *req);
int renew_assist_ticket(struct hall_req *req);
extern const struct hall_pspec renew_assist_params[];

/* clang-format off */
#define RENEW_ASSIST_ROUTES                                                                        \
    {"GET", "/renew/assist", renew_assist_page, HALL_R_AUTH, renew_assist_params},                \
    {"POST", "/renew/assist/ticket", renew_assist_ticket, HALL_R_AUTH, renew_assist_params}

/* the holder's 证书更新 order of a certificate: its medium, the ticket's state */
#define RENEW_ASSIST_STMTS                                                                         \
    {"renew_assist_order",                                                                         \
     "SELECT o.status, c.serial AS cert_serial,"                                                   \
     " coalesce(c.medium_serial, '') AS medium_serial, coalesce(m.state, '') AS medium_state,"     \
     " c.state = 'issued' AS usable, coalesce(t.state, '') AS ticket_state,"                       \
     " coalesce(t.new_serial, '') AS new_serial"                                                   \
     " FROM orders o JOIN certificates c ON c.serial = o.reissue_of"                               \
     " LEFT JOIN media m ON m.serial = c.medium_serial"                                            \
     " LEFT JOIN renew_tickets t ON t.order_id = o.id"                                             \
     " WHERE o.id = $1 AND o.user_id = $2 AND o.business_type = 'renew'",                          \
     2}
/* clang-format on */

#endif
