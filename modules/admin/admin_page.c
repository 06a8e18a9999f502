/*
 * admin_page.c: what every page of hall-admin uses: the console's own path,
 * the JSON asked by name, the labels, a form decrypted, the page's head
 * and an order's row as lists show it.  admin.c (the routes) and each part
 * use this file; it uses none of them (tests/unit/layers.sh).
 */

#include <string.h>

#include "admin.h"

/* the console lives at /admin only, not below a partner's prefix */
int
admin_partner_path(struct hall_req *req)
{
    return hall_staff_elsewhere(req);
}

/* JSON only when asked for it by name: a bare fetch() still gets the page */
int
admin_json_asked(const struct hall_req *req)
{
    return req->accept != NULL && strstr(req->accept, "application/json") != NULL;
}

/* 业务类型 as lists show it, and as the SMS texts name it (seed 002:
 * 新申请业务): the catalogue's (core/flow/catalog.def) */
const char *
admin_business_label(const char *code, int sms)
{
    const struct hall_business *b = hall_business_get(code);

    return b == NULL ? code : sms ? b->sms : b->label;
}

/* decrypts a form_enc column; an empty object for NULL, NULL when unreadable */
struct hall_val *
admin_form_of(struct hall_req *req, const struct hall_dbres *res, int col)
{
    return hall_dbres_pii_json(req->cx, res, 0, col);
}

struct hall_val *
admin_page_ctx(struct hall_req *req, const char *title)
{
    struct hall_val *ctx = hall_staff_page(req, title);
    unsigned roles = req->staff != NULL ? req->staff->roles : 0;

    hall_val_set_bool(req->pool, ctx, "can_review", (roles & HALL_ROLE_REVIEWER) != 0);
    hall_val_set_bool(req->pool, ctx, "can_finance", (roles & HALL_ROLE_FINANCE) != 0);
    hall_val_set_bool(req->pool, ctx, "nav_report", (roles & HALL_ROLE_REPORT) != 0);
    return ctx;
}

void
admin_order_cols(struct hall_req *req, const struct hall_dbres *res, struct admin_order_cols *c)
{
    c->head = hall_dbres_cols(req->pool, res,
                              "id:i order_no partner=partner_code partner_name business_type");
    c->type = hall_dbres_cols(req->pool, res, "cert_type");
    c->years = hall_dbres_cols(req->pool, res, "years:i seal:b");
    c->subject = hall_dbres_cols(req->pool, res, "subject amount_fen:i");
    c->tail = hall_dbres_cols(req->pool, res,
                              "review_due overdue:b due_today:b resubmitted:b updated_at");
    c->status = hall_dbres_col(res, "status");
    c->business = hall_dbres_col(res, "business_type");
    c->cert_type = hall_dbres_col(res, "cert_type");
    c->amount = hall_dbres_col(res, "amount_fen");
    c->submitted = hall_dbres_col(res, "submitted_at");
}

/* one order row of ORDER_COLS as a value: new members of o (a list's
 * rows by index, no column looked up by name) */
struct hall_val *
admin_order_val(struct hall_req *req, struct hall_val *o, const struct hall_dbres *res, int i,
                const struct admin_order_cols *c)
{
    struct admin_order_cols own;
    const char *status, *label, *submitted;

    if (c == NULL) {
        admin_order_cols(req, res, &own);
        c = &own;
    }
    status = hall_dbres_get(res, i, c->status);
    label = hall_order_label(status);
    submitted = hall_dbres_get(res, i, c->submitted);
    hall_dbres_put(req->pool, o, res, i, c->head);
    hall_val_add_str(req->pool, o, "business_label",
                     admin_business_label(hall_dbres_get(res, i, c->business), 0));
    hall_dbres_put(req->pool, o, res, i, c->type);
    hall_val_add_str(req->pool, o, "cert_type_label",
                     hall_cert_type_label(hall_dbres_get(res, i, c->cert_type)));
    hall_dbres_put(req->pool, o, res, i, c->years);
    hall_val_add_str(req->pool, o, "status", status);
    hall_val_add_str(req->pool, o, "status_label", label != NULL ? label : status);
    hall_dbres_put(req->pool, o, res, i, c->subject);
    hall_val_add_str(req->pool, o, "amount",
                     hall_yuan(req->pool, hall_dbres_i64(res, i, c->amount)));
    hall_val_add_str(req->pool, o, "submitted_at", submitted != NULL ? submitted : "");
    hall_dbres_put(req->pool, o, res, i, c->tail);
    return o;
}
