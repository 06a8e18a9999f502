/*
 * 证书解锁 of a USB key by the 证书助手 (unlock_assist.c): its routes and
 * its statement, in the unlock module's tables.
 */
#ifndef UNLOCK_H
#define UNLOCK_H

#include "hall.h"

int unlock_assist_page(struct hall_req *req);
int unlock_assist_ticket(struct hall_req *req);
int unlock_assist_release(struct hall_req *req);
int unlock_assist_rotated(struct hall_req *req);
int unlock_assist_cancel(struct hall_req *req);
extern const struct hall_pspec unlock_assist_ticket_params[];
extern const struct hall_pspec unlock_assist_tool_params[];

/* clang-format off */
#define UNLOCK_ASSIST_ROUTES                                                                       \
    {"GET", "/unlock/assist", unlock_assist_page, HALL_R_AUTH, unlock_assist_ticket_params},      \
    {"POST", "/unlock/assist/ticket", unlock_assist_ticket, HALL_R_AUTH,                          \
     unlock_assist_ticket_params},                                                                 \
    {"POST", "/unlock/assist/release", unlock_assist_release, HALL_R_NOSESSION | HALL_R_NOCSRF,   \
     unlock_assist_tool_params},                                                                   \
    {"POST", "/unlock/assist/rotated", unlock_assist_rotated, HALL_R_NOSESSION | HALL_R_NOCSRF,   \
     unlock_assist_tool_params},                                                                   \
    {"POST", "/unlock/assist/cancel", unlock_assist_cancel, HALL_R_AUTH,                          \
     unlock_assist_ticket_params}

/* the holder's 证书解锁 order, its certificate and that one's medium; its
 * ticket's phase (core/biz/medium_unlock.c): the SO PIN released and not
 * yet confirmed, the code locked by wrong tries, the code past its 2 hours */
#define UNLOCK_ASSIST_STMTS                                                                        \
    {"assist_order",                                                                               \
     "SELECT o.status, c.serial AS cert_serial, o.amount_fen,"                                     \
     " coalesce(c.medium_serial, '') AS medium_serial, coalesce(m.state, '') AS medium_state,"     \
     " c.state = 'issued' AND c.not_after > now() AS live,"                                        \
     " coalesce(t.state, '') AS ticket_state,"                                                     \
     " coalesce(t.state = 'released' AND t.code_hash IS NOT NULL, false) AS released,"             \
     " coalesce(t.state = 'void', false) AS code_locked,"                                          \
     " coalesce(t.state IN ('open', 'released') AND t.code_at + interval '2 hours' < now(),"       \
     " false) AS code_expired,"                                                                    \
     " coalesce(to_char((t.code_at + interval '2 hours') AT TIME ZONE 'Asia/Shanghai',"            \
     " 'YYYY-MM-DD HH24:MI'), '') AS code_until"                                                   \
     " FROM orders o JOIN certificates c ON c.serial = o.reissue_of"                               \
     " LEFT JOIN media m ON m.serial = c.medium_serial"                                            \
     " LEFT JOIN unlock_tickets t ON t.order_id = o.id"                                            \
     " WHERE o.id = $1 AND o.user_id = $2 AND o.business_type = 'unlock'",                         \
     2}
/* clang-format on */

#endif
