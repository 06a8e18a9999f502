/*
 * seal.h: what the files of hall-seal share, and no other program includes:
 * the handlers its routes name (seal.c), the flow's hooks and what the
 * parts share.  The files: seal.c (statements, routes and their parameters,
 * the flow's declaration, main, the plain pages), seal_picture.c,
 * seal_attachment.c, seal_download.c, seal_verify.c, seal_apply.c,
 * seal_console.c.
 */
#ifndef SEAL_H
#define SEAL_H

#include "hall.h"

/* seal_picture.c */
int seal_preview(struct hall_req *req);
int seal_picture_answer(struct hall_req *req, struct hall_dbres *res, int64_t px);
int seal_image(struct hall_req *req);
int seal_impression(struct hall_req *req);
int seal_back_to_attachment(struct hall_req *req, const char *order, int64_t item,
                            const char *message);
int seal_impression_confirm(struct hall_req *req);

/* seal_attachment.c */
int seal_holder_verified(struct hall_ctx *cx, struct hall_dbres *res, int i, const char *mobile);
struct hall_val *seal_order_page(struct hall_req *req, const char *title);
int seal_attachment(struct hall_req *req);
int seal_collect_form(struct hall_req *req);
int seal_collect_form_of(struct hall_req *req);
int seal_holder_code(struct hall_req *req);
int seal_holder_verify(struct hall_req *req);

/* seal_download.c */
int seal_holder_page(struct hall_req *req);
int seal_holder_download(struct hall_req *req);
int seal_seseal_download(struct hall_req *req);
int seal_medium(struct hall_req *req);
int seal_seals_page(struct hall_req *req);

/* seal_verify.c */
int seal_verify_page(struct hall_req *req);
int seal_verify(struct hall_req *req);

/* seal_apply.c */
int seal_do_apply(struct hall_req *req);
int seal_apply_page(struct hall_req *req);
int seal_print_more(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o,
                    const struct hall_val *form);
int seal_holder_materials(struct hall_req *req, struct hall_dbres *o, struct hall_val *list);
int seal_cutouts_ready(struct hall_req *req, int64_t order_id, struct hall_errors *e);

/* seal_console.c */
int seal_admin_seals(struct hall_req *req);
int seal_admin_image(struct hall_req *req);
int seal_admin_revoke(struct hall_req *req);
int seal_admin_bundle(struct hall_req *req);

#endif
