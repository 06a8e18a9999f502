/*
 * entry.c: 选择应用 + 录入信息, the form every flow shares: the products
 * and their prices, the choices shown (algorithm, years, seal, carriers,
 * invoice, promotion), the field checks of the catalogue, the divisions'
 * chain, the cross-field rules, and the courier's quote.
 *
 *   GET  /F/shipping   the quote the form shows
 */
#include <stdio.h>
#include <string.h>

#include "flow/flow_int.h"

const struct hall_stmt flow_entry_stmts[] = {
    {"flow_products_list",
     "SELECT id, cert_type, name, price_per_year_fen, fixed_fee_fen, seal_fee_per_year_fen,"
     /* largest part first, as the seeds print it: 证书费200，介质费100，签章费50 */
     " coalesce((SELECT json_object_agg(k, v ORDER BY v::numeric DESC, k)"
     " FROM jsonb_each(breakdown) AS e(k, v))::text, '{}') AS breakdown, min_years, max_years, ca,"
     " key_origin"
     " FROM products WHERE partner_code = $1 AND business_type = $2 AND active"
     " ORDER BY sort_order, id",
     2},
    {"flow_division_chain",
     "WITH RECURSIVE c AS (SELECT code, name, parent_code, level FROM divisions WHERE code = $1"
     " UNION ALL SELECT d.code, d.name, d.parent_code, d.level FROM divisions d"
     " JOIN c ON d.code = c.parent_code) SELECT code, name, level FROM c ORDER BY level",
     1},
    {"flow_division_has_counties",
     "SELECT EXISTS (SELECT 1 FROM divisions WHERE parent_code = $1 AND level = 3) AS counties", 1},
    {NULL, NULL, 0},
};

struct hall_dbres *
hall_flow_products(struct hall_req *req, const struct hall_partner *p)
{
    return hall_db_ref(req->cx, "flow_products_list", HALL_STR(p->code),
                       HALL_STR(hall_flow_current()->business));
}

struct hall_price
hall_flow_product_price(struct hall_dbres *prods, int i)
{
    struct hall_price pr;

    pr.per_year_fen = hall_dbres_int(prods, i, "price_per_year_fen");
    pr.fixed_fen = hall_dbres_int(prods, i, "fixed_fee_fen");
    pr.seal_per_year_fen = hall_dbres_int(prods, i, "seal_fee_per_year_fen");
    return pr;
}

/* the product of a type whose key is born in the holder's browser
 * (products.key_origin, sql/151), -1 if the partner sells none */
int
hall_flow_browser_product(struct hall_dbres *prods, const char *type)
{
    int i;

    for (i = 0; i < hall_dbres_rows(prods); i++)
        if (strcmp(hall_dbres_str(prods, i, "key_origin"), "browser") == 0 &&
            strcmp(hall_dbres_str(prods, i, "cert_type"), type) == 0)
            return i;
    return -1;
}

/* "证书费380，介质费100": one year's breakdown as the seeds print it */
static const char *
breakdown_text(struct hall_req *req, struct hall_dbres *prods, int i)
{
    const char *b = hall_dbres_str(prods, i, "breakdown"), *txt = "";
    char err[64];
    struct hall_val *parts = hall_val_parse(req->pool, b, strlen(b), err, sizeof(err));
    const struct hall_val *m;

    for (m = parts != NULL ? parts->first : NULL; m != NULL; m = m->next)
        txt = hall_psprintf(req->pool, "%s%s%s%lld", txt, *txt ? "，" : "", m->key,
                            (long long)(m->i / 100));
    return txt;
}

static const char *
prices_json(struct hall_req *req, struct hall_dbres *prods, int i, int seal_offered)
{
    struct hall_price pr = hall_flow_product_price(prods, i);
    const char *table =
        hall_val_json(req->pool,
                      hall_price_table(req->pool, &pr, (int)hall_dbres_int(prods, i, "min_years"),
                                       (int)hall_dbres_int(prods, i, "max_years"), seal_offered),
                      NULL);

    return table != NULL ? table : "{}";
}

/* the products with their price tables (core/biz/price.c) and the selected
 * product's price for the choices on the page, for the label without JS;
 * browser: the form chose the key made in the browser (its twin's price) */
static void
products_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *prods,
             const char *cur_type, int seal_offered, long years, int seal, int browser)
{
    struct hall_val *list = hall_val_set_list(req->pool, ctx, "products");
    int i, j, n = hall_dbres_rows(prods), first = 1;

    for (i = 0; i < n; i++) {
        struct hall_val *o;
        const char *type = hall_dbres_str(prods, i, "cert_type");
        const char *txt;
        int sel, twin, k;
        struct hall_price pr;

        /* a type sold on both hierarchies is one choice of type; its
         * algorithm is the form's 证书算法 (hall_flow_choices_ctx); a key made in
         * the browser is the form's 密钥生成 (the type's twin below) */
        if (strcmp(hall_dbres_str(prods, i, "key_origin"), "hall") != 0)
            continue;
        for (j = 0; j < i; j++)
            if (strcmp(hall_dbres_str(prods, j, "cert_type"), type) == 0)
                break;
        if (j < i)
            continue;
        sel = cur_type != NULL ? strcmp(cur_type, type) == 0 : first;
        first = 0;
        twin = hall_flow_browser_product(prods, type);
        k = browser && twin >= 0 ? twin : i;
        pr = hall_flow_product_price(prods, k);
        o = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, o, "cert_type", type);
        hall_dbres_set(req->pool, o, prods, i, "name");
        hall_val_set_str(req->pool, o, "prices", prices_json(req, prods, i, seal_offered));
        if (twin >= 0) {
            hall_val_set_str(req->pool, o, "browser_prices",
                             prices_json(req, prods, twin, seal_offered));
            hall_val_set_str(req->pool, o, "browser_breakdown", breakdown_text(req, prods, twin));
            hall_val_set_str(req->pool, o, "browser_name", hall_dbres_str(prods, twin, "name"));
            if (sel)
                hall_val_set_str(req->pool, ctx, "browser_name",
                                 hall_dbres_str(prods, twin, "name"));
        }
        if (sel) {
            int64_t fen = hall_price_cert(&pr, (int)years, seal_offered && seal);

            hall_val_set_str(req->pool, ctx, "price_total", hall_yuan(req->pool, fen));
            hall_val_set_int(req->pool, ctx, "price_total_fen", fen);
        }
        hall_val_set_bool(req->pool, o, "selected", sel);
        txt = breakdown_text(req, prods, i);
        hall_val_set_str(req->pool, o, "breakdown", txt);
        if (k != i)
            txt = breakdown_text(req, prods, k);
        /* the breakdown is one year of the certificate; the 电子签章 chosen
         * adds its own part (the page's script adds it as the choice changes) */
        if (*txt != '\0' && seal_offered && pr.seal_per_year_fen > 0) {
            const char *part =
                hall_psprintf(req->pool, "电子签章%lld", (long long)(pr.seal_per_year_fen / 100));

            hall_val_set_str(req->pool, o, "seal_part", part);
            if (seal)
                txt = hall_psprintf(req->pool, "%s，%s", txt, part);
        }
        hall_val_set_str(req->pool, o, "breakdown_shown", txt);
    }
}

void
hall_flow_choices_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *prods,
                      const struct hall_partner *p, const char *cur_type, long years, int seal,
                      const struct hall_val *form)
{
    struct hall_val *list;
    int y;

    int browser = strcmp(hall_val_str(form, "key_origin"), "browser") == 0;

    products_ctx(req, ctx, prods, cur_type, p->seal_offered, years, seal, browser);
    {
        /* 证书算法 where the partner sells on both hierarchies (products.ca,
         * sql/114): ECDSA unless the form chose SM2 */
        const char *ca = hall_val_str(form, "ca");
        int i, ecc = 0, sm2 = 0;

        for (i = 0; i < hall_dbres_rows(prods); i++) {
            if (strcmp(hall_dbres_str(prods, i, "ca"), "sm2") == 0)
                sm2 = 1;
            else
                ecc = 1;
        }
        hall_val_set_bool(req->pool, ctx, "ca_choice", ecc && sm2);
        /* 密钥生成 where the partner sells a key made in the browser too */
        for (i = 0; i < hall_dbres_rows(prods); i++)
            if (strcmp(hall_dbres_str(prods, i, "key_origin"), "browser") == 0)
                break;
        hall_val_set_bool(req->pool, ctx, "key_choice", i < hall_dbres_rows(prods));
        hall_val_set_bool(req->pool, ctx, "key_browser", browser);
        if (ecc && sm2) {
            struct hall_val *cl = hall_val_set_list(req->pool, ctx, "cas"), *o;

            o = hall_val_push_obj(req->pool, cl);
            hall_val_set_str(req->pool, o, "code", "ecc");
            hall_val_set_str(req->pool, o, "label", "ECDSA（国际算法）");
            hall_val_set_bool(req->pool, o, "selected", strcmp(ca, "sm2") != 0);
            o = hall_val_push_obj(req->pool, cl);
            hall_val_set_str(req->pool, o, "code", "sm2");
            hall_val_set_str(req->pool, o, "label", "SM2（国密算法）");
            hall_val_set_bool(req->pool, o, "selected", strcmp(ca, "sm2") == 0);
        }
    }
    list = hall_val_set_list(req->pool, ctx, "years");
    for (y = 1; y <= 5; y++) {
        struct hall_val *o = hall_val_push_obj(req->pool, list);

        hall_val_set_int(req->pool, o, "n", y);
        hall_val_set_bool(req->pool, o, "selected", y == years);
    }
    hall_val_set_int(req->pool, ctx, "years_chosen", years);
    hall_val_set_bool(req->pool, ctx, "multi_year", years > 1);
    hall_val_set_bool(req->pool, ctx, "seal_offered", p->seal_offered);
    hall_val_set_bool(req->pool, ctx, "seal", seal);
    hall_val_set_bool(req->pool, ctx, "prepaid_offered", p->prepaid);
    /* without the list the form still renders; its submit names the bank */
    if (hall_finauth_banks_ctx(req, ctx) != HALL_OK)
        hall_warn(req, "msg=\"banks list unavailable\"");
    hall_val_set_str(req->pool, ctx, "carriers", hall_flow_collect_words(req, p));
    {
        /* more than one 到付 carrier: the applicant picks one (the first
         * unless the form named another) */
        const char *c, *chosen = hall_val_str(form, "carrier");
        struct hall_val *cl = NULL;
        int i, any = 0;

        for (i = 0; (c = hall_flow_collect_carrier(req, p, i)) != NULL; i++)
            if (strcmp(hall_carrier_name(c), chosen) == 0)
                any = 1;
        for (i = 0; (c = hall_flow_collect_carrier(req, p, i)) != NULL; i++) {
            struct hall_val *o;

            if (cl == NULL)
                cl = hall_val_set_list(req->pool, ctx, "collect_carriers");
            o = hall_val_push_obj(req->pool, cl);
            hall_val_set_str(req->pool, o, "code", c);
            hall_val_set_str(req->pool, o, "name", hall_carrier_name(c));
            hall_val_set_bool(req->pool, o, "checked",
                              any ? strcmp(hall_carrier_name(c), chosen) == 0 : i == 0);
        }
        hall_val_set_bool(req->pool, ctx, "carrier_choice", i > 1);
    }
    hall_val_set_bool(req->pool, ctx, "ship_prepaid",
                      strcmp(hall_val_str(form, "shipping"), "prepaid") == 0);
    hall_val_set_bool(req->pool, ctx, "invoice_no",
                      strcmp(hall_val_str(form, "invoice"), "no") == 0);
    hall_val_set_bool(req->pool, ctx, "title_person",
                      strcmp(hall_val_str(form, "invoice_title_type"), "person") == 0);
    if (p->promotion[0] != '\0') {
        char err[64];
        struct hall_val *promo =
            hall_val_parse(req->pool, p->promotion, strlen(p->promotion), err, sizeof(err));

        /* partner data: attach the parsed object as ctx.promotion */
        if (promo != NULL && promo->type == HALL_V_OBJ) {
            promo->key = "promotion";
            promo->next = NULL;
            if (ctx->last != NULL)
                ctx->last->next = promo;
            else
                ctx->first = promo;
            ctx->last = promo;
        }
    }
    hall_flow_form_ctx(req, ctx, form);
}

/* skip: a group the order has no use for (NULL: none), e.g. the mail of
 * a certificate made in the holder's browser */
static int
in_groups(const char *group, const char *skip)
{
    const char *const *g;

    if (skip != NULL && strcmp(group, skip) == 0)
        return 0;
    for (g = hall_flow_current()->groups; g != NULL && *g != NULL; g++)
        if (strcmp(*g, group) == 0)
            return 1;
    return 0;
}

void
hall_flow_fields_check(struct hall_req *req, unsigned bits, struct hall_val *form,
                       struct hall_errors *e)
{
    hall_flow_fields_check_but(req, bits, form, e, NULL);
}

void
hall_flow_fields_check_but(struct hall_req *req, unsigned bits, struct hall_val *form,
                           struct hall_errors *e, const char *skip)
{
    const struct hall_field *f;

    for (f = hall_fields; f->name != NULL; f++) {
        const char *out, *note, *msg;

        if ((f->flags & (HALL_FF_HALL | HALL_FF_PARAM)) || !in_groups(f->group, skip) ||
            (f->types & bits) != bits)
            continue;
        if (hall_param_check(req->pool, &f->spec, hall_req_param(req, f->name), &out, &note,
                             &msg) != HALL_OK) {
            hall_errors_add(req->pool, e, 400, f->name, msg);
            continue;
        }
        hall_val_set_str(req->pool, form, f->name, out);
        if (note != NULL)
            hall_val_set_str(req->pool, form, hall_psprintf(req->pool, "%s_review", f->name), note);
    }
}

static int
has_error(const struct hall_errors *e, const char *field)
{
    const struct hall_ferr *f;

    for (f = e->first; f != NULL; f = f->next)
        if (f->field != NULL && strcmp(f->field, field) == 0)
            return 1;
    return 0;
}

int
hall_flow_divisions_check(struct hall_req *req, struct hall_val *form, const char *prefix,
                          int need_district, struct hall_errors *e)
{
    static const char *const levels[] = {"province", "city", "district", "town"};
    const char *codes[4], *deepest = NULL, *names = "";
    const char *first_field = hall_psprintf(req->pool, "%s_province", prefix);
    struct hall_dbres *res;
    int i, n, deepest_i = -1;

    for (i = 0; i < 4; i++) {
        const char *name = hall_psprintf(req->pool, "%s_%s", prefix, levels[i]);

        /* a level already named by the field check is not judged twice */
        if (has_error(e, name))
            return HALL_OK;
        codes[i] = hall_val_str(form, name);
        if (*codes[i] != '\0') {
            deepest = codes[i];
            deepest_i = i;
        }
    }
    if (deepest == NULL || deepest_i < 1) {
        hall_msg_add(req, e, HALL_M_REGION_PICK, first_field);
        return HALL_OK;
    }
    res = hall_db_ref(req->cx, "flow_division_chain", HALL_STR(deepest));
    if (res == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(res);
    if (n == 0) {
        hall_msg_add(req, e, HALL_M_REGION_UNKNOWN, first_field);
        return HALL_OK;
    }
    /* rows are the chain from the province down; compare with what was sent */
    for (i = 0; i < n; i++) {
        int level = (int)hall_dbres_int(res, i, "level");
        const char *code = hall_dbres_str(res, i, "code");

        if (level < 1 || level > 4 || strcmp(codes[level - 1], code) != 0) {
            hall_msg_add(req, e, HALL_M_REGION_MISMATCH,
                         hall_psprintf(req->pool, "%s_%s", prefix,
                                       levels[level < 1 || level > 4 ? 0 : level - 1]));
            return HALL_OK;
        }
        names = hall_psprintf(req->pool, "%s%s", names, hall_dbres_str(res, i, "name"));
    }
    /* something sent that is not on the chain (a district under a county-less city) */
    for (i = 0; i < 4; i++) {
        int on_chain = 0, j;

        if (*codes[i] == '\0')
            continue;
        for (j = 0; j < n; j++)
            if (strcmp(hall_dbres_str(res, j, "code"), codes[i]) == 0)
                on_chain = 1;
        if (!on_chain) {
            hall_msg_add(req, e, HALL_M_REGION_MISMATCH,
                         hall_psprintf(req->pool, "%s_%s", prefix, levels[i]));
            return HALL_OK;
        }
    }
    if (need_district && *codes[2] == '\0') {
        res = hall_db_ref(req->cx, "flow_division_has_counties", HALL_STR(codes[1]));
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_bool(res, 0, "counties")) {
            hall_msg_add(req, e, HALL_M_DISTRICT_PICK,
                         hall_psprintf(req->pool, "%s_district", prefix));
            return HALL_OK;
        }
    }
    hall_val_set_str(req->pool, form, hall_psprintf(req->pool, "%s_region", prefix), names);
    return HALL_OK;
}

int
hall_flow_cross_check(struct hall_req *req, unsigned bits, struct hall_val *form,
                      struct hall_errors *e)
{
    return hall_flow_cross_check_but(req, bits, form, e, NULL);
}

int
hall_flow_cross_check_but(struct hall_req *req, unsigned bits, struct hall_val *form,
                          struct hall_errors *e, const char *skip)
{
    const char *inv = hall_req_param(req, "invoice");

    if (in_groups("invoice", skip) && inv != NULL && strcmp(inv, "yes") == 0) {
        const char *tt = hall_req_param(req, "invoice_title_type");

        if (tt == NULL || *tt == '\0')
            hall_msg_add(req, e, HALL_M_INVOICE_TITLE_TYPE, "invoice_title_type");
        else
            hall_val_set_str(req->pool, form, "invoice_title_type", tt);
        if (*hall_val_str(form, "invoice_title") == '\0' && !has_error(e, "invoice_title"))
            hall_msg_add(req, e, HALL_M_INVOICE_TITLE, "invoice_title");
        /* organisations need the taxpayer ID on an e-invoice to claim it */
        if (tt != NULL && strcmp(tt, "org") == 0 && *hall_val_str(form, "invoice_taxid") == '\0' &&
            !has_error(e, "invoice_taxid"))
            hall_msg_add(req, e, HALL_M_INVOICE_TAXID, "invoice_taxid");
    } else if (in_groups("invoice", skip)) {
        hall_val_set_str(req->pool, form, "invoice_title", "");
        hall_val_set_str(req->pool, form, "invoice_taxid", "");
    }
    if ((bits & HALL_T_UNIT) && in_groups("bank", skip)) {
        /* seeds 001/004: the basic account belongs to the unit itself */
        if (!has_error(e, "bank_account_name") && !has_error(e, "org_name") &&
            strcmp(hall_val_str(form, "bank_account_name"), hall_val_str(form, "org_name")) != 0)
            hall_msg_add(req, e, HALL_M_BANK_NAME_MISMATCH, "bank_account_name");
        if (in_groups("unit", skip) &&
            hall_flow_divisions_check(req, form, "unit", 0, e) != HALL_OK)
            return hall_req_failed(req);
        if (hall_finauth_bank_check(req, form, e) != HALL_OK)
            return hall_req_failed(req);
    } else if ((bits & HALL_T_UNIT) && in_groups("unit", skip)) {
        if (hall_flow_divisions_check(req, form, "unit", 0, e) != HALL_OK)
            return hall_req_failed(req);
    }
    if (in_groups("mail", skip) && hall_flow_divisions_check(req, form, "mail", 1, e) != HALL_OK)
        return hall_req_failed(req);
    return HALL_OK;
}

/*
 * The courier's quote for the mailing address (seeds 001/004: 京东寄付 13 元,
 * remote provinces only 顺丰到付).  HALL_ERR after answering 503.
 */
int
hall_flow_shipping_quote(struct hall_req *req, const char *province, const char *city,
                         const char *district, const char *town, struct hall_quote *q)
{
    struct hall_val *body = hall_val_obj(req->pool), *r;
    const struct hall_val *carrier, *payment, *fee;

    hall_val_set_str(req->pool, body, "province", province);
    hall_val_set_str(req->pool, body, "city", city);
    hall_val_set_str(req->pool, body, "district", district);
    hall_val_set_str(req->pool, body, "town", town);
    r = hall_provider_call(req, "/courier/quote", body, NULL);
    carrier = r != NULL ? hall_val_get(r, "carrier") : NULL;
    payment = r != NULL ? hall_val_get(r, "payment") : NULL;
    fee = r != NULL ? hall_val_get(r, "fee_fen") : NULL;
    if (carrier == NULL || carrier->type != HALL_V_STR || payment == NULL ||
        payment->type != HALL_V_STR || fee == NULL || fee->type != HALL_V_INT || fee->i < 0 ||
        fee->i > 100000) {
        hall_resp_provider(req, "快递运费查询");
        return HALL_ANSWERED;
    }
    q->carrier = carrier->str;
    q->prepaid = strcmp(payment->str, "寄付") == 0;
    q->fee_fen = q->prepaid ? fee->i : 0;
    return HALL_OK;
}

/* GET /F/shipping?province=&city=&district=&town=: what the form shows */
static int
shipping_json(struct hall_req *req)
{
    static const char *const names[] = {"province", "city", "district", "town", NULL};
    const char *v[4];
    struct hall_val *out;
    struct hall_quote q;
    int i;

    for (i = 0; names[i] != NULL; i++) {
        v[i] = hall_req_query(req, names[i]);
        if (v[i] == NULL)
            v[i] = "";
        if (strlen(v[i]) > 9 || strspn(v[i], "0123456789") != strlen(v[i]))
            return hall_msg(req, HALL_M_REGION_CODE, names[i]);
    }
    if (*v[0] == '\0')
        return hall_msg(req, HALL_M_PROVINCE_PICK, "province");
    if (hall_flow_shipping_quote(req, v[0], v[1], v[2], v[3], &q) != HALL_OK)
        return HALL_OK;
    out = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, out, "carrier", q.carrier);
    hall_val_set_bool(req->pool, out, "prepaid", q.prepaid);
    hall_val_set_int(req->pool, out, "fee_fen", q.fee_fen);
    hall_val_set_str(req->pool, out, "fee", hall_yuan(req->pool, q.fee_fen));
    return hall_resp_ok(req, out);
}

/* below the flow's path (hall_flow_main) */
const struct hall_route flow_entry_routes[] = {
    {"GET", "/shipping", shipping_json, HALL_R_AUTH, NULL},
    {NULL, NULL, NULL, 0, NULL},
};
