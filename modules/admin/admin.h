/*
 * admin.h: what the files of hall-admin share, and no other program includes:
 * the handlers its routes name (admin.c) and the helpers several parts call.
 * The files: admin.c (statements, routes and their parameters, main),
 * admin_page.c (the helpers every page uses), admin_login.c, admin_queue.c,
 * admin_order.c, admin_decision.c, admin_refund.c, admin_approval.c,
 * admin_partner.c.
 */
#ifndef ADMIN_H
#define ADMIN_H

#include "hall.h"

/* admin_page.c */
int admin_partner_path(struct hall_req *req);
int admin_json_asked(const struct hall_req *req);
const char *admin_business_label(const char *code, int sms);
struct hall_val *admin_form_of(struct hall_req *req, const struct hall_dbres *res, int col);
struct hall_val *admin_page_ctx(struct hall_req *req, const char *title);
/* ORDER_COLS of a result resolved once, for admin_order_val on each of its rows */
struct admin_order_cols {
    const struct hall_dbcols *head, *type, *years, *subject, *tail;
    int status, business, cert_type, amount, submitted;
};
void admin_order_cols(struct hall_req *req, const struct hall_dbres *res,
                      struct admin_order_cols *c);
/* c NULL: resolved here (one row) */
struct hall_val *admin_order_val(struct hall_req *req, struct hall_val *o,
                                 const struct hall_dbres *res, int i,
                                 const struct admin_order_cols *c);

/* admin_login.c */
int admin_login_page(struct hall_req *req);
int admin_code_page(struct hall_req *req);
int admin_do_code(struct hall_req *req);
int admin_enrol_page(struct hall_req *req);
int admin_do_enrol(struct hall_req *req);
int admin_do_login(struct hall_req *req);
int admin_do_logout(struct hall_req *req);

/* admin_queue.c */
int admin_home_page(struct hall_req *req);
int admin_review_queue(struct hall_req *req);
int admin_finance_queue(struct hall_req *req);
int admin_outbox_page(struct hall_req *req);
int admin_do_outbox_retry(struct hall_req *req);

/* admin_order.c */
struct hall_dbres *admin_order_load(struct hall_req *req);
int admin_order_page(struct hall_req *req);
int admin_file_download(struct hall_req *req);

/* admin_decision.c */
int admin_do_approve(struct hall_req *req);
int admin_do_reject(struct hall_req *req);
int admin_do_confirm(struct hall_req *req);
int admin_do_refuse(struct hall_req *req);
int admin_do_finauth_unlock(struct hall_req *req);
int admin_do_unlock_code_reset(struct hall_req *req);

/* admin_refund.c */
const char *admin_refund_status_label(const char *status);
int admin_refunds_page(struct hall_req *req);
int admin_refund_apply(struct hall_req *req, const struct hall_refund *rf, char kind,
                       const char *note, const char *first, const char **done);
int admin_do_refund_approve(struct hall_req *req);
int admin_do_refund_refuse(struct hall_req *req);

/* admin_partner.c */
const char *admin_partner_what(struct hall_req *req, const char *kind, const char *subject,
                               const struct hall_val *payload);
int admin_partners_page(struct hall_req *req);
int admin_partner_page(struct hall_req *req);
int admin_do_partner_hook(struct hall_req *req);
int admin_do_partner_secret(struct hall_req *req);
int admin_do_partner_key(struct hall_req *req);
int admin_do_partner_key_revoke(struct hall_req *req);
int admin_do_partner_approve(struct hall_req *req);
int admin_do_partner_refuse(struct hall_req *req);

/* admin_approval.c */
int admin_approvals_page(struct hall_req *req);
int admin_do_approvals_approve(struct hall_req *req);
int admin_do_approvals_refuse(struct hall_req *req);

#endif
