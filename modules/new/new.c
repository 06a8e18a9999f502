/*
 * new: 证书新办, the new-certificate flow (SPEC steps 2-7), on the flow kit
 * (core/flow.h): the kit serves the agreements, partner links, uploads,
 * the identity check and the lookups under /new; this file keeps what is
 * the new flow's own:
 *
 *   GET  /new/apply         选择应用 + 录入信息: certificate type, years, the
 *                           field groups of the catalogue (core/catalog.def)
 *   POST /new/apply         checks every field (all errors at once), creates
 *                           or updates the order
 *   GET  /new/print         the printable application form
 *
 * The form is one JSON document, encrypted at rest (it holds ID numbers,
 * phones and a bank account); docs/catalog.md lists the fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

static const struct hall_flow_step new_steps[] = {
    {"agree", "选择应用"},  {"apply", "录入信息"},    {"print", "打印申请表"},
    {"upload", "上传资料"}, {"identity", "在线认证"}, {"pay", "缴费"},
    {NULL, NULL},
};

static const char *const new_groups[] = {"cert", "unit", "legal",   "agent", "applicant",
                                         "bank", "mail", "invoice", NULL};

static const char *const new_materials[] = {"application",  "license",   "agent_id",
                                            "applicant_id", "seal_form", NULL};

static int
apply_page(struct hall_req *req)
{
    const char *project = hall_req_query(req, "project");
    struct hall_dbres *o = NULL, *prods;
    struct hall_val *ctx, *form;
    struct hall_partner p;
    const char *cur_type = NULL;
    long years = 1;
    int seal;

    if (hall_req_query(req, "id") != NULL) {
        o = hall_flow_order(req);
        if (o == NULL)
            return HALL_OK;
        project = hall_dbres_str(o, 0, "partner_code");
        if (!hall_flow_editable(o))
            return hall_msg(req, HALL_M_ORDER_LOCKED, NULL);
    }
    if (hall_flow_partner(req, project, &p) != HALL_OK)
        return HALL_OK;
    /* the agreements come first (SPEC step 2) */
    if (o == NULL) {
        int due = hall_flow_agreements_due(req, &p);

        if (due != 0)
            return HALL_OK;
    }
    ctx = hall_flow_page(req, "录入信息", &p);
    form = o != NULL ? hall_flow_form(req, o) : hall_val_obj(req->pool);
    if (form == NULL)
        return hall_resp_busy(req);
    if (o != NULL) {
        cur_type = hall_dbres_str(o, 0, "cert_type");
        years = (long)hall_dbres_int(o, 0, "years");
        seal = hall_dbres_bool(o, 0, "seal");
        hall_val_set_str(req->pool, ctx, "order_id", hall_dbres_str(o, 0, "id"));
        hall_val_set_str(req->pool, ctx, "order_no", hall_dbres_str(o, 0, "order_no"));
        /* the reason belongs to the rejection: gone once resubmitted */
        if (strcmp(hall_dbres_str(o, 0, "status"), "rejected") == 0)
            hall_val_set_str(req->pool, ctx, "reject_reason",
                             hall_dbres_str(o, 0, "reject_reason"));
    } else {
        struct hall_val *pre = hall_flow_link_prefill(req, p.code);

        seal = p.seal_default;
        if (pre != NULL) {
            /* the partner's data: unit or person, as the link said */
            const char *t = hall_form_str(pre, "cert_type");

            cur_type = t;
            if (strcmp(t, "org") == 0) {
                hall_val_set_str(req->pool, form, "org_name", hall_form_str(pre, "org_name"));
                hall_val_set_str(req->pool, form, "org_id", hall_form_str(pre, "org_id"));
                hall_val_set_str(req->pool, form, "bank_account_name",
                                 hall_form_str(pre, "org_name"));
                hall_val_set_str(req->pool, form, "invoice_title", hall_form_str(pre, "org_name"));
            } else {
                hall_val_set_str(req->pool, form, "app_name", hall_form_str(pre, "name"));
                hall_val_set_str(req->pool, form, "app_ric", hall_form_str(pre, "ric"));
                hall_val_set_str(req->pool, form, "app_mobile", hall_form_str(pre, "mobile"));
                hall_val_set_str(req->pool, form, "app_email", hall_form_str(pre, "email"));
                hall_val_set_str(req->pool, form, "invoice_title", hall_form_str(pre, "name"));
            }
            hall_val_set_bool(req->pool, ctx, "prefilled", 1);
        }
    }
    prods = hall_flow_products(req, &p);
    if (prods == NULL)
        return HALL_OK;
    if (hall_dbres_rows(prods) == 0)
        return hall_msg(req, HALL_M_NO_PRODUCTS, NULL, "证书新办");
    hall_flow_choices_ctx(req, ctx, prods, &p, cur_type, years, seal, form);
    if (o == NULL) {
        /* one key per rendered form: submitting it twice makes one order */
        unsigned char rnd[24];

        if (hall_rand_bytes(rnd, sizeof(rnd)) != HALL_OK)
            return hall_resp_busy(req);
        hall_val_set_str(req->pool, ctx, "submit_key", hall_b64url(req->pool, rnd, sizeof(rnd)));
    }
    hall_flow_steps(req, ctx, "apply");
    return hall_resp_page(req, 200, "new_apply", ctx);
}

static const char *const seal_values[] = {"yes", "no", NULL};

/* the submit's own parameters, checked with the catalogue's fields by the
 * same registry, so that every error is answered at once */
static const struct hall_pspec apply_params[] = {
    HALL_FLOW_PARAMS_ORDER,
    {"cert_type", HALL_P_CHOICE, 0, 0, 0, "证书类型", hall_choices_cert_type},
    {"years", HALL_P_INT, 0, 1, 5, "证书年限", NULL},
    {"seal", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "是否办理电子签章", seal_values},
    HALL_FLOW_PARAMS_DELIVERY,
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
has_field(const struct hall_errors *e, const char *name)
{
    const struct hall_ferr *f;

    for (f = e->first; f != NULL; f = f->next)
        if (f->field != NULL && strcmp(f->field, name) == 0)
            return 1;
    return 0;
}

/*
 * Issue 7, item 2: an order that was paid (a rejected one: only a paid
 * order reaches review) keeps its amount.  Raising the years (or the
 * seal, the type, prepaid shipping) after payment is refused, naming
 * the choice, rather than asking for the difference: the payment was
 * matched, micro-deposit-checked and invoiced for that amount, and a
 * second trade for the same order would break "one live trade per
 * order"; the seeds' 编辑 after 审核驳回 fixes what the reviewer named.
 * The applicant who wants another term applies for a refund and
 * applies again (docs/modules/new.md).
 */
static int
paid_amount_kept(struct hall_req *req, struct hall_dbres *o, const char *type, int64_t years,
                 int seal, int64_t total)
{
    const char *what = "years";

    if (o == NULL || strcmp(hall_dbres_str(o, 0, "status"), "draft") == 0 ||
        total == hall_dbres_int(o, 0, "amount_fen"))
        return HALL_OK;
    if (strcmp(type, hall_dbres_str(o, 0, "cert_type")) != 0)
        what = "cert_type";
    else if (seal != hall_dbres_bool(o, 0, "seal"))
        what = "seal";
    else if (years == hall_dbres_int(o, 0, "years"))
        what = "shipping";
    hall_msg(req, HALL_M_PAID_AMOUNT_FIXED, what,
             hall_yuan(req->pool, hall_dbres_int(o, 0, "amount_fen")), hall_yuan(req->pool, total));
    return HALL_ERR;
}

static int
do_apply(struct hall_req *req)
{
    struct hall_errors e = {NULL, NULL, 0, 0};
    struct hall_val *form = hall_val_obj(req->pool);
    struct hall_dbres *o = NULL, *prods;
    struct hall_partner p;
    struct hall_price price = {0, 0, 0};
    struct hall_flow_save s;
    const char *type, *seal_s, *key, *project;
    unsigned bit;
    int64_t years = 0, product_id = 0, cert_fen, ship_fen = 0;
    int seal, i, n, found = 0;

    hall_req_check(req, apply_params, &e);
    /* what says which order and form this is must be right before the rest */
    if (has_field(&e, "id") || has_field(&e, "project") || has_field(&e, "submit_key"))
        return hall_resp_errors(req, &e);
    type = hall_req_param(req, "cert_type");
    seal_s = hall_req_param(req, "seal");
    key = hall_req_param(req, "submit_key");
    project = hall_req_param(req, "project");
    bit = has_field(&e, "cert_type") ? HALL_T_ALL : hall_cert_type_bit(type);
    hall_req_param_i64(req, "years", &years);
    if (key != NULL && *key == '\0')
        key = NULL;
    if (key != NULL &&
        (strlen(key) < 16 || strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
                                         "tuvwxyz0123456789_-") != strlen(key)))
        return hall_msg(req, HALL_M_SUBMIT_KEY, "submit_key");
    if (hall_req_param(req, "id") != NULL && *hall_req_param(req, "id") != '\0') {
        o = hall_flow_order(req);
        if (o == NULL)
            return HALL_OK;
        project = hall_dbres_str(o, 0, "partner_code");
    }
    if (hall_flow_partner(req, project, &p) != HALL_OK)
        return HALL_OK;
    prods = hall_flow_products(req, &p);
    if (prods == NULL)
        return HALL_OK;
    n = hall_dbres_rows(prods);
    for (i = 0; i < n && !has_field(&e, "cert_type"); i++)
        if (strcmp(hall_dbres_str(prods, i, "cert_type"), type) == 0) {
            found = 1;
            product_id = hall_dbres_int(prods, i, "id");
            price = hall_flow_product_price(prods, i);
            if (!has_field(&e, "years") && (years < hall_dbres_int(prods, i, "min_years") ||
                                            years > hall_dbres_int(prods, i, "max_years")))
                hall_msg_add(req, &e, HALL_M_YEARS_NOT_OFFERED, "years");
        }
    if (!found)
        hall_msg_add(req, &e, HALL_M_TYPE_NOT_OFFERED, "cert_type");
    seal = p.seal_offered && seal_s != NULL && strcmp(seal_s, "yes") == 0;
    if (p.seal_offered && (seal_s == NULL || *seal_s == '\0'))
        hall_msg_add(req, &e, HALL_M_SEAL_CHOOSE, "seal");

    hall_flow_fields_check(req, bit, form, &e);
    /* the choices of the mailing and invoice groups */
    if (!has_field(&e, "shipping")) {
        hall_val_set_str(req->pool, form, "shipping", hall_req_param(req, "shipping"));
        if (strcmp(hall_req_param(req, "shipping"), "prepaid") == 0 && !p.prepaid)
            hall_msg_add(req, &e, HALL_M_PREPAID_NOT_OFFERED, "shipping");
    }
    if (!has_field(&e, "invoice"))
        hall_val_set_str(req->pool, form, "invoice", hall_req_param(req, "invoice"));
    /* an unknown type: only the fields every type has are judged */
    if (hall_flow_cross_check(req, has_field(&e, "cert_type") ? 0 : bit, form, &e) != HALL_OK)
        return HALL_OK;
    if (e.n > 0)
        return hall_resp_errors(req, &e);

    if (o == NULL && hall_flow_orders_cap(req, 0) != HALL_OK)
        return HALL_OK;
    if (hall_flow_carrier_check(req, form, bit) != HALL_OK)
        return HALL_OK;
    cert_fen = hall_price_cert(&price, (int)years, seal);
    if (strcmp(hall_form_str(form, "shipping"), "prepaid") == 0) {
        struct hall_quote q;

        /* the fee is the courier's for this address, added to the bill */
        if (hall_flow_shipping_quote(req, hall_form_str(form, "mail_province"),
                                     hall_form_str(form, "mail_city"),
                                     hall_form_str(form, "mail_district"),
                                     hall_form_str(form, "mail_town"), &q) != HALL_OK)
            return HALL_OK;
        if (!q.prepaid)
            return hall_msg(req, HALL_M_NO_PREPAID_HERE, "shipping", q.carrier);
        ship_fen = q.fee_fen;
        hall_val_set_str(req->pool, form, "carrier", q.carrier);
    }
    if (paid_amount_kept(req, o, type, years, seal, cert_fen + ship_fen) != HALL_OK)
        return HALL_OK;
    /* the choices and the price travel with the form's revisions, so the
     * reviewer's comparison with a rejected revision shows them too */
    hall_val_set_str(req->pool, form, "choice_cert_type", hall_cert_type_label(type));
    hall_val_set_fmt(req->pool, form, "choice_years", "%lld年", (long long)years);
    if (p.seal_offered)
        hall_val_set_str(req->pool, form, "choice_seal", seal ? "办理" : "不办理");
    hall_val_set_fmt(req->pool, form, "price_total", "%s元",
                     hall_yuan(req->pool, cert_fen + ship_fen));
    s.o = o;
    s.partner = p.code;
    s.cert_type = type;
    s.subject = hall_form_str(form, (bit & HALL_T_UNIT) ? "org_name" : "app_name");
    s.submit_key = key;
    s.product_id = product_id;
    s.years = years;
    s.cert_fen = cert_fen;
    s.ship_fen = ship_fen;
    s.seal = seal;
    s.form = form;
    s.also = NULL;
    s.arg = NULL;
    return hall_flow_order_save(req, &s);
}

static const struct hall_route new_routes[] = {
    {"GET", "/new/apply", apply_page, HALL_R_AUTH, NULL},
    /* parameters checked in the handler, with the fields: every error at once */
    {"POST", "/new/apply", do_apply, HALL_R_AUTH, NULL},
    {"GET", "/new/print", hall_flow_print_page, HALL_R_AUTH, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct hall_flow new_flow = {
    .business = "new",
    .title = "证书新办",
    .steps = new_steps,
    .groups = new_groups,
    .materials = new_materials,
    .first_step = "apply",
    .tmpl_print = "new_print",
    .routes = new_routes,
    .stmts = NULL,
    .init = NULL,
};

int
main(int argc, char **argv)
{
    return hall_flow_main(argc, argv, &new_flow);
}
