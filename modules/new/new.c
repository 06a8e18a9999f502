/*
 * new: 证书新办, the new-certificate flow (SPEC steps 2-7), on the flow kit
 * (core/flow/flow.h): the kit serves the agreements, partner links, uploads,
 * the identity check and the lookups under /new; this file keeps what is
 * the new flow's own:
 *
 *   GET  /new/seal          是否办理电子签章, where the partner offers the seal
 *   POST /new/seal          (seed 003: its own step before 录入信息,
 *                           core/flow/sealstep.c)
 *   GET  /new/apply         选择应用 + 录入信息: certificate type, years, the
 *                           field groups of the catalogue (core/flow/catalog.def);
 *                           the seal as the step chose it
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

#include "hall.h"

static const char *const new_groups[] = {"cert", "unit", "legal",   "agent", "applicant",
                                         "bank", "mail", "invoice", NULL};

static const char *const new_materials[] = {"application",  "license",   "agent_id",
                                            "applicant_id", "seal_form", NULL};

static int
apply_page(struct hall_req *req)
{
    struct hall_dbres *o, *prods;
    struct hall_val *ctx, *form;
    struct hall_partner p;
    const char *cur_type = NULL;
    long years = 1;
    int seal;

    if (hall_flow_apply_open(req, &p, &o) != HALL_OK)
        return HALL_OK;
    ctx = hall_flow_page(req, "录入信息", &p);
    form = o != NULL ? hall_flow_form(req, o) : hall_val_obj(req->pool);
    if (form == NULL || hall_flow_apply_ctx(req, ctx, o) != HALL_OK)
        return req->responded ? HALL_OK : hall_resp_busy(req);
    if (o != NULL) {
        cur_type = hall_dbres_str(o, 0, "cert_type");
        years = (long)hall_dbres_int(o, 0, "years");
        seal = hall_dbres_bool(o, 0, "seal");
        /* changed on the step the applicant went back to */
        if (p.seal_offered &&
            hall_flow_seal_chosen(req, &p, hall_dbres_int(o, 0, "id"), &seal) == HALL_ERR)
            return HALL_ERR;
    } else {
        struct hall_val *pre = hall_flow_link_prefill(req, p.code);
        const char *link = hall_flow_link_param(req);
        int r = 0;

        /* seed 003: 是否办理电子签章 is the step before this one */
        seal = 0;
        if (p.seal_offered && (r = hall_flow_seal_chosen(req, &p, 0, &seal)) == HALL_ERR)
            return HALL_ERR;
        if (p.seal_offered && r == 0)
            return hall_resp_redirect(
                req, hall_flow_url(req, "/seal?project=%s%s", p.code,
                                   link != NULL ? hall_psprintf(req->pool, "&link=%s",
                                                                hall_url_encode(req->pool, link))
                                                : ""));
        if (pre != NULL) {
            /* the partner's data: unit or person, as the link said */
            const char *t = hall_val_str(pre, "cert_type");

            cur_type = t;
            if (strcmp(t, "org") == 0) {
                hall_val_set_str(req->pool, form, "org_name", hall_val_str(pre, "org_name"));
                hall_val_set_str(req->pool, form, "org_id", hall_val_str(pre, "org_id"));
                hall_val_set_str(req->pool, form, "bank_account_name",
                                 hall_val_str(pre, "org_name"));
                hall_val_set_str(req->pool, form, "invoice_title", hall_val_str(pre, "org_name"));
            } else {
                hall_val_set_str(req->pool, form, "app_name", hall_val_str(pre, "name"));
                hall_val_set_str(req->pool, form, "app_ric", hall_val_str(pre, "ric"));
                hall_val_set_str(req->pool, form, "app_mobile", hall_val_str(pre, "mobile"));
                hall_val_set_str(req->pool, form, "app_email", hall_val_str(pre, "email"));
                hall_val_set_str(req->pool, form, "invoice_title", hall_val_str(pre, "name"));
            }
            hall_val_set_bool(req->pool, ctx, "prefilled", 1);
            /* the ticket travels with the form (hall_flow_link_order) */
            if (link != NULL)
                hall_val_set_str(req->pool, ctx, "link", link);
        }
    }
    prods = hall_flow_products(req, &p);
    if (prods == NULL)
        return HALL_OK;
    if (hall_dbres_rows(prods) == 0)
        return hall_msg(req, HALL_M_NO_PRODUCTS, NULL, "证书新办");
    hall_flow_choices_ctx(req, ctx, prods, &p, cur_type, years, seal, form);
    if (p.seal_offered)
        hall_val_set_str(
            req->pool, ctx, "seal_step",
            o != NULL ? hall_flow_url(req, "/seal?id=%lld", (long long)hall_dbres_int(o, 0, "id"))
                      : hall_flow_url(req, "/seal?project=%s", p.code));
    hall_flow_steps(req, ctx, "apply");
    return hall_resp_page(req, 200, "new_apply", ctx);
}

static const char *const ca_values[] = {"ecc", "sm2", NULL};
static const char *const key_values[] = {"hall", "browser", NULL};

/* 邮寄方式: asked unless the key is born in the holder's browser (nothing
 * is mailed); checked in the handler once the product is known */
static const struct hall_pspec shipping_param[] = {
    {"shipping", HALL_P_CHOICE, 0, 0, 0, "邮寄方式", hall_choices_shipping},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* the submit's own parameters, checked with the catalogue's fields by the
 * same registry, so that every error is answered at once; no seal: the
 * step before decided it (a "seal" posted here changes nothing) */
static const struct hall_pspec apply_params[] = {
    HALL_FLOW_PARAMS_ORDER,
    {"cert_type", HALL_P_CHOICE, 0, 0, 0, "证书类型", hall_choices_cert_type},
    {"years", HALL_P_INT, 0, 1, 5, "证书年限", NULL},
    {"ca", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "证书算法", ca_values},
    {"key_origin", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "密钥生成", key_values},
    {"shipping", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "邮寄方式", hall_choices_shipping},
    {"carrier", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "到付快递", hall_choices_carrier},
    {"invoice", HALL_P_CHOICE, 0, 0, 0, "是否开票", hall_choices_yes_no},
    {"invoice_title_type", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "发票抬头类型",
     hall_choices_title_type},
    {"link", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 43, "合作平台链接", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/*
 * Issue 7, item 2: a paid (rejected) order keeps its amount
 * (hall_flow_submit_save); the refusal names the choice that changed it
 * (prepaid shipping when no choice did).
 */
static const char *
paid_field(struct hall_dbres *o, const char *type, int64_t years, int seal)
{
    if (o == NULL || strcmp(type, hall_dbres_str(o, 0, "cert_type")) != 0)
        return "cert_type";
    if (seal != hall_dbres_bool(o, 0, "seal"))
        return "seal";
    return years != hall_dbres_int(o, 0, "years") ? "years" : "shipping";
}

static int
do_apply(struct hall_req *req)
{
    struct hall_errors e = {NULL, NULL, 0, 0};
    struct hall_val *form = hall_val_obj(req->pool);
    struct hall_dbres *prods;
    struct hall_partner p;
    struct hall_price price = {0, 0, 0};
    struct hall_flow_save s;
    const char *type, *ca, *link, *key, *origin;
    int64_t years = 0;
    unsigned bit;
    int i, n, typed = 0, chosen = 0, any = 0, browser, other = 0;

    if (hall_flow_submit_open(req, apply_params, &e, &p, &s) != HALL_OK)
        return HALL_OK;
    type = hall_req_param(req, "cert_type");
    if (p.seal_offered) {
        /* the step's choice (core/flow/sealstep.c): a new order's, or the
         * edited order's when changed there, else the order's own */
        int64_t oid = s.o != NULL ? hall_dbres_int(s.o, 0, "id") : 0;
        int r;

        if (s.o == NULL && hall_flow_session_now(req) != HALL_OK)
            return req->responded ? HALL_OK : HALL_ERR;
        r = hall_flow_seal_chosen(req, &p, oid, &s.seal);
        if (r == HALL_ERR)
            return HALL_ERR;
        if (r == 0 && s.o == NULL)
            return hall_msg(req, HALL_M_SEAL_STEP_FIRST, "seal");
        if (r == 0)
            s.seal = hall_dbres_bool(s.o, 0, "seal");
    }
    /* 证书算法 (products.ca): the one asked for; without it, the type's first
     * product as before (the hall's ECDSA one: API clients need not send it) */
    ca = hall_req_param(req, "ca");
    if (ca != NULL && (*ca == '\0' || hall_errors_has(&e, "ca")))
        ca = NULL;
    /* 密钥生成 (products.key_origin, sql/151): made in the holder's browser
     * or by the hall (the default: API clients need not send it) */
    key = hall_req_param(req, "key_origin");
    browser = key != NULL && !hall_errors_has(&e, "key_origin") && strcmp(key, "browser") == 0;
    origin = browser ? "browser" : "hall";
    bit = hall_errors_has(&e, "cert_type") ? HALL_T_ALL : hall_cert_type_bit(type);
    hall_req_param_i64(req, "years", &years);
    prods = hall_flow_products(req, &p);
    if (prods == NULL)
        return HALL_OK;
    n = hall_dbres_rows(prods);
    /* an algorithm sold with a key made in the browser only (SM2, sql/161):
     * without 密钥生成 (API clients), the browser's; the USB key asked for
     * is refused naming 密钥生成 */
    for (i = 0; i < n && ca != NULL && key == NULL && !hall_errors_has(&e, "cert_type"); i++)
        if (strcmp(hall_dbres_str(prods, i, "cert_type"), type) == 0 &&
            strcmp(hall_dbres_str(prods, i, "ca"), ca) == 0) {
            browser = strcmp(hall_dbres_str(prods, i, "key_origin"), "browser") == 0;
            if (!browser)
                break;
        }
    origin = browser ? "browser" : "hall";
    for (i = 0; i < n && !hall_errors_has(&e, "cert_type"); i++) {
        if (strcmp(hall_dbres_str(prods, i, "cert_type"), type) != 0)
            continue;
        any = 1;
        if (strcmp(hall_dbres_str(prods, i, "key_origin"), origin) != 0) {
            other |= ca != NULL && strcmp(hall_dbres_str(prods, i, "ca"), ca) == 0;
            continue;
        }
        typed = 1;
        if (ca != NULL && strcmp(hall_dbres_str(prods, i, "ca"), ca) != 0)
            continue;
        if (s.product_id != 0)
            continue; /* the first of the type */
        s.product_id = hall_dbres_int(prods, i, "id");
        chosen = i;
        price = hall_flow_product_price(prods, i);
        if (!hall_errors_has(&e, "years") && (years < hall_dbres_int(prods, i, "min_years") ||
                                              years > hall_dbres_int(prods, i, "max_years")))
            hall_msg_add(req, &e, HALL_M_YEARS_NOT_OFFERED, "years");
    }
    if (s.product_id == 0 && other && !browser)
        hall_msg_add(req, &e, HALL_M_KEY_BROWSER_ONLY, "key_origin");
    else if (s.product_id == 0 && typed)
        hall_msg_add(req, &e, HALL_M_CA_NOT_OFFERED, "ca");
    else if (s.product_id == 0 && any)
        hall_msg_add(req, &e, HALL_M_KEY_NOT_OFFERED, "key_origin");
    else if (s.product_id == 0)
        hall_msg_add(req, &e, HALL_M_TYPE_NOT_OFFERED, "cert_type");

    /* a key made in the browser: nothing is mailed, so no address and no
     * 邮寄方式 are asked for or kept (the mail group is skipped) */
    hall_flow_fields_check_but(req, bit, form, &e, browser ? "mail" : NULL);
    if (!browser) {
        const char *out, *note, *msg;

        if (!hall_errors_has(&e, "shipping") &&
            hall_param_check(req->pool, shipping_param, hall_req_param(req, "shipping"), &out,
                             &note, &msg) != HALL_OK)
            hall_errors_add(req->pool, &e, 400, "shipping", msg);
        hall_flow_delivery_check(req, &p, form, &e);
    } else if (!hall_errors_has(&e, "invoice")) {
        hall_val_set_str(req->pool, form, "invoice", hall_req_param(req, "invoice"));
    }
    /* an unknown type: only the fields every type has are judged */
    if (hall_flow_cross_check_but(req, hall_errors_has(&e, "cert_type") ? 0 : bit, form, &e,
                                  browser ? "mail" : NULL) != HALL_OK)
        return HALL_OK;
    if (hall_flow_submit_checked(req, &e, form, bit, &s) != HALL_OK)
        return HALL_OK;
    /* the choices travel with the form's revisions, so the reviewer's
     * comparison with a rejected revision shows them too */
    hall_val_set_str(req->pool, form, "choice_cert_type", hall_cert_type_label(type));
    hall_val_set_fmt(req->pool, form, "choice_years", "%lld年", (long long)years);
    if (p.seal_offered)
        hall_val_set_str(req->pool, form, "choice_seal", s.seal ? "办理" : "不办理");
    /* the algorithm chosen, kept with the form for its page and the print */
    hall_val_set_str(req->pool, form, "ca", ca != NULL ? ca : hall_dbres_str(prods, chosen, "ca"));
    hall_val_set_str(req->pool, form, "key_origin", origin);
    s.cert_type = type;
    s.subject = hall_val_str(form, (bit & HALL_T_UNIT) ? "org_name" : "app_name");
    s.years = years;
    s.cert_fen = hall_price_cert(&price, (int)years, s.seal);
    /* a form a partner API application filled: its project ID on the order */
    link = hall_flow_link_param(req);
    if (s.o == NULL && link != NULL) {
        if (hall_flow_session_now(req) != HALL_OK)
            return req->responded ? HALL_OK : HALL_ERR;
        s.also = hall_flow_link_order;
        s.arg = (void *)link;
    }
    return hall_flow_submit_save(req, form, &s, paid_field(s.o, type, years, s.seal));
}

static const struct hall_route new_routes[] = {
    {"GET", "/new/seal", hall_flow_seal_page, HALL_R_AUTH, NULL},
    {"POST", "/new/seal", hall_flow_seal_save, HALL_R_AUTH, hall_flow_seal_params},
    {"GET", "/new/apply", apply_page, HALL_R_AUTH, NULL},
    /* parameters checked in the handler, with the fields: every error at once */
    {"POST", "/new/apply", do_apply, HALL_R_AUTH, NULL},
    {"GET", "/new/print", hall_flow_print_page, HALL_R_AUTH, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct hall_flow new_flow = {
    .business = "new",
    .title = "证书新办",
    .steps = hall_steps_new,
    .groups = new_groups,
    .materials = new_materials,
    .first_step = "apply",
    .seal_step = "seal",
    .apply_one_trip = 1,
    .tmpl_print = "new_print",
    .routes = new_routes,
};

HALL_FLOW_MAIN(new_flow)
