/*
 * apply.c: the 录入信息 step every flow shares, around the flow's own
 * choices: the page's head (the order being edited or the agreements
 * accepted), the one key per rendered form, and the submit's head and tail
 * (the order and partner, the mailing and invoice choices, the daily cap
 * and the carrier check, the courier's fee, a paid order keeping its
 * amount, the save).  A flow's GET and POST <flow>/apply call these in
 * order and keep only what is their own (modules/new, reissue, seal).
 */
#include <stdio.h>
#include <string.h>

#include "flow/flow.h"
#include "biz/ordertext.h"

#define KEY_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

int
hall_flow_step_open(struct hall_req *req, const char *id, const char *project,
                    struct hall_partner *p, struct hall_dbres **o)
{
    *o = NULL;
    if (id != NULL) {
        *o = hall_flow_order(req);
        if (*o == NULL)
            return HALL_ERR;
        if (!hall_flow_editable(*o))
            return hall_msg(req, HALL_M_ORDER_LOCKED, NULL), HALL_ANSWERED;
        project = hall_dbres_str(*o, 0, "partner_code");
    }
    if (hall_flow_partner(req, project, p) != HALL_OK)
        return hall_req_failed(req);
    /* the agreements come first (SPEC step 2) */
    if (*o == NULL && hall_flow_agreements_due(req, p) != 0)
        return HALL_ERR;
    return HALL_OK;
}

int
hall_flow_apply_open(struct hall_req *req, struct hall_partner *p, struct hall_dbres **o)
{
    return hall_flow_step_open(req, hall_req_query(req, "id"), hall_req_query(req, "project"), p,
                               o);
}

int
hall_flow_apply_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o)
{
    unsigned char rnd[24];

    if (o != NULL) {
        hall_dbres_set(req->pool, ctx, o, 0, "order_id=id order_no");
        /* the reason belongs to the rejection: gone once resubmitted */
        if (strcmp(hall_dbres_str(o, 0, "status"), "rejected") == 0)
            hall_val_set_str(req->pool, ctx, "reject_reason",
                             hall_order_reject_reason(req->cx, o, 0));
        return HALL_OK;
    }
    /* one key per rendered form: submitting it twice makes one order */
    if (hall_rand_bytes(rnd, sizeof(rnd)) != HALL_OK)
        return HALL_ERR;
    hall_val_set_str(req->pool, ctx, "submit_key", hall_b64url(req->pool, rnd, sizeof(rnd)));
    return HALL_OK;
}

/* the request's id (nginx's $request_id: 32 hex digits), or 32 random
 * characters where it has another form */
static const char *
own_key(struct hall_req *req)
{
    const char *id = req->request_id;
    unsigned char rnd[24];

    if (id != NULL && strlen(id) >= 16 && strlen(id) <= 64 && strspn(id, KEY_CHARS) == strlen(id))
        return id;
    if (hall_rand_bytes(rnd, sizeof(rnd)) != HALL_OK)
        return NULL;
    return hall_b64url(req->pool, rnd, sizeof(rnd));
}

int
hall_flow_submit_open(struct hall_req *req, const struct hall_pspec *spec, struct hall_errors *e,
                      struct hall_partner *p, struct hall_flow_save *s)
{
    const char *key, *id, *project;

    memset(s, 0, sizeof(*s));
    hall_req_check(req, spec, e);
    key = hall_req_param(req, "submit_key");
    id = hall_req_param(req, "id");
    project = hall_req_param(req, "project");
    /* what says which order and form this is must be right before the rest */
    if (hall_errors_has(e, "id") || hall_errors_has(e, "project") ||
        hall_errors_has(e, "submit_key"))
        return hall_resp_errors(req, e), HALL_ANSWERED;
    if (key != NULL && *key != '\0') {
        if (strlen(key) < 16 || strspn(key, KEY_CHARS) != strlen(key))
            return hall_msg(req, HALL_M_SUBMIT_KEY, "submit_key"), HALL_ANSWERED;
        s->submit_key = key;
    }
    if (id != NULL && *id != '\0') {
        s->o = hall_flow_order(req);
        if (s->o == NULL)
            return HALL_ERR;
        if (!hall_flow_editable(s->o))
            return hall_msg(req, HALL_M_ORDER_LOCKED, NULL), HALL_ANSWERED;
        project = hall_dbres_str(s->o, 0, "partner_code");
    }
    if (hall_flow_partner(req, project, p) != HALL_OK)
        return hall_req_failed(req);
    s->partner = p->code;
    /* a new order is always written with a key (hall_db_exec_keyed): a
     * client that sent none gets the request's id, given back when the
     * write's fate is unknown (hall_resp_busy) */
    if (s->o == NULL && s->submit_key == NULL && (s->submit_key = own_key(req)) == NULL)
        return HALL_ERR;
    if (s->o == NULL)
        req->write_key = s->submit_key;
    return HALL_OK;
}

void
hall_flow_delivery_check(struct hall_req *req, const struct hall_partner *p, struct hall_val *form,
                         struct hall_errors *e)
{
    if (!hall_errors_has(e, "shipping")) {
        hall_val_set_str(req->pool, form, "shipping", hall_req_param(req, "shipping"));
        if (strcmp(hall_req_param(req, "shipping"), "prepaid") == 0 && !p->prepaid)
            hall_msg_add(req, e, HALL_M_PREPAID_NOT_OFFERED, "shipping");
        /* 到付 goes with a carrier the partner's page promises (the first
         * when the form names none); 寄付 gets the quote's at the save */
        if (strcmp(hall_req_param(req, "shipping"), "collect") == 0 &&
            !hall_errors_has(e, "carrier")) {
            const char *c = hall_req_param(req, "carrier");

            if (c == NULL || *c == '\0')
                c = hall_flow_collect_carrier(req, p, 0);
            if (c == NULL || !hall_flow_collect_offers(p, c))
                hall_msg_add(req, e, HALL_M_CARRIER_NOT_OFFERED, "carrier",
                             hall_flow_collect_words(req, p));
            else
                hall_val_set_str(req->pool, form, "carrier", hall_carrier_name(c));
        }
    }
    if (!hall_errors_has(e, "invoice"))
        hall_val_set_str(req->pool, form, "invoice", hall_req_param(req, "invoice"));
}

int
hall_flow_submit_checked(struct hall_req *req, const struct hall_errors *e,
                         const struct hall_val *form, unsigned bits, const struct hall_flow_save *s)
{
    int passed;

    if (e->n > 0)
        return hall_resp_errors(req, e), HALL_ANSWERED;
    if (hall_flow_submit_pre(req, form, bits, s->o == NULL, &passed) != HALL_OK)
        return hall_req_failed(req);
    if (passed)
        return HALL_OK;
    return hall_flow_carrier_check(req, form, bits) == HALL_OK ? HALL_OK : HALL_ERR;
}

int
hall_flow_submit_save(struct hall_req *req, struct hall_val *form, struct hall_flow_save *s,
                      const char *paid_field)
{
    int64_t total;

    s->ship_fen = 0;
    if (strcmp(hall_val_str(form, "shipping"), "prepaid") == 0) {
        struct hall_quote q;

        /* the fee is the courier's for this address, added to the bill */
        if (hall_flow_shipping_quote(req, hall_val_str(form, "mail_province"),
                                     hall_val_str(form, "mail_city"),
                                     hall_val_str(form, "mail_district"),
                                     hall_val_str(form, "mail_town"), &q) != HALL_OK)
            return HALL_OK;
        if (!q.prepaid)
            return hall_msg(req, HALL_M_NO_PREPAID_HERE, "shipping", q.carrier);
        s->ship_fen = q.fee_fen;
        hall_val_set_str(req->pool, form, "carrier", q.carrier);
    }
    total = s->cert_fen + s->ship_fen;
    /*
     * Issue 7, item 2: an order that was paid (a rejected one: only a paid
     * order reaches review) keeps its amount.  A change of it is refused,
     * naming the choice, rather than asking for the difference: the
     * payment was matched, micro-deposit-checked and invoiced for that
     * amount, and a second trade would break "one live trade per order".
     * The applicant who wants another term applies for a refund and
     * applies again (docs/modules/new.md).
     */
    if (s->o != NULL && strcmp(hall_dbres_str(s->o, 0, "status"), "draft") != 0 &&
        total != hall_dbres_int(s->o, 0, "amount_fen"))
        return hall_msg(req, HALL_M_PAID_AMOUNT_FIXED, paid_field,
                        hall_yuan(req->pool, hall_dbres_int(s->o, 0, "amount_fen")),
                        hall_yuan(req->pool, total));
    /* the price travels with the form's revisions, so the reviewer's
     * comparison with a rejected revision shows it too */
    hall_val_set_fmt(req->pool, form, "price_total", "%s元", hall_yuan(req->pool, total));
    s->form = form;
    return hall_flow_order_save(req, s);
}
