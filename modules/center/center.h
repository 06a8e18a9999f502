/*
 * center.h: what the files of hall-center share, and no other program
 * includes: the handlers its routes name (center.c) and what the parts
 * share.  The files: center.c (statements, routes and their parameters,
 * main), center_orders.c, center_certs.c, center_revoke.c.
 */
#ifndef CENTER_H
#define CENTER_H

#include "hall.h"

#define PAGE_SIZE   20   /* 我的业务单's rows a page */
#define PAGE_SIZE_S "20" /* the same, in SQL text */

/* center_orders.c */
const char *center_business_label(const char *code);
int center_query_page(struct hall_req *req, long *page);
int center_orders_page(struct hall_req *req);
int center_order_page(struct hall_req *req);
int center_do_refund(struct hall_req *req);
int center_do_invoice_resend(struct hall_req *req);

/* center_certs.c */
const char *center_cert_state(const char *state, int expired, int expiring, const char **label);
const char *center_ca_label(const char *ca);
int center_finauth_page(struct hall_req *req);
int center_certs_page(struct hall_req *req);
int center_cert_download(struct hall_req *req);

/* center_revoke.c */
extern const char *const center_revoke_reasons[];
int center_revoke_page(struct hall_req *req);
int center_revoke_code(struct hall_req *req);
int center_revoke_confirm(struct hall_req *req);

#endif
