/*
 * seal_apply.c: the flow's own steps: 录入信息 with 签章信息 (GET and POST
 * /seal/apply: the order and its seals in one transaction, their pictures
 * drawn before it), what the print page adds, and the kit's hooks: each
 * 机构个人章 holder's ID scan among the materials, and an order that waits
 * for its cut-outs and its holders' phones.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "seal.h"

/* the seals of an order being saved, with their pictures drawn */
struct seal_save {
    struct hall_seal_choice *c;
    struct hall_dbres *retired; /* holders' scans the save made nobody's */
    int64_t product[4];         /* by enum hall_seal_kind */
    int64_t price[HALL_SEAL_ITEMS_MAX];
    unsigned char *png[HALL_SEAL_ITEMS_MAX];
    size_t png_len[HALL_SEAL_ITEMS_MAX];
};

static const char *
req_get(void *ctx, const char *name)
{
    return hall_req_param(ctx, name);
}

/*
 * Before an edit's rows replace the 机构个人章s: each holder's ID scan
 * (holder_id_N, N the row) follows its holder to the row the edit puts them
 * in, and the scan of a holder the edit no longer names, or names in a row
 * of another person, is retired, so that 上传资料 asks again rather than
 * taking one person's ID scan for another's.  Inside the save's transaction.
 */
static int
holders_follow(struct hall_req *req, int64_t order_id, struct seal_save *ss)
{
    const struct hall_seal_choice *c = ss->c;
    struct hall_dbres *old = hall_db_exec(req->cx, "seal_holders", HALL_I64(order_id));
    struct hall_buf *from = hall_buf_new(req->pool, 1024), *to = hall_buf_new(req->pool, 1024);
    int i, k, n;

    if (old == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(old);
    if (n == 0)
        return HALL_OK;
    for (i = 0; i < n; i++) {
        struct hall_val *h =
            hall_dbres_pii_json(req->cx, old, i, hall_dbres_col(old, "holder_enc"));
        const char *name = h != NULL ? hall_val_str(h, "name") : "";
        const char *ric = h != NULL ? hall_val_str(h, "ric") : "";
        int to_row = 0;

        for (k = 0; k < c->n && to_row == 0; k++) {
            const struct hall_seal_item *it = &c->items[k];

            if (it->kind == HALL_SEAL_PERSON && strcmp(it->holder_name, name) == 0 &&
                strcasecmp(it->holder_ric, ric) == 0)
                to_row = it->index;
        }
        hall_buf_printf(from, "%sholder_id_%s", i > 0 ? "," : "{",
                        hall_dbres_str(old, i, "position"));
        if (to_row > 0)
            hall_buf_printf(to, "%sholder_id_%d", i > 0 ? "," : "{", to_row);
        else
            hall_buf_printf(to, "%s\"\"", i > 0 ? "," : "{");
    }
    hall_buf_addstr(from, "}");
    hall_buf_addstr(to, "}");
    ss->retired = hall_order_files_move(req->cx, order_id, from->data, to->data);
    return ss->retired != NULL ? HALL_OK : HALL_ERR;
}

/* hall_flow_save.committed: the retired scans are deleted, as a replaced
 * upload is */
static void
holders_committed(struct hall_req *req, int64_t order_id, void *arg)
{
    struct seal_save *ss = arg;

    (void)order_id;
    if (ss->retired != NULL)
        hall_flow_files_discard(req, ss->retired, "old_id", "old_name");
}

/* hall_flow_save.also: inside the save's transaction */
static int
items_store(struct hall_req *req, int64_t order_id, void *arg)
{
    struct seal_save *ss = arg;
    struct hall_buf *keep = hall_buf_new(req->pool, 4096);
    int i;

    struct hall_dbres *verified;

    if (holders_follow(req, order_id, ss) != HALL_OK)
        return hall_req_failed(req);
    verified = hall_db_exec(req->cx, "seal_holder_phones_verified", HALL_I64(order_id));
    if (verified == NULL)
        return HALL_ERR;

    for (i = 0; i < ss->c->n; i++) {
        const struct hall_seal_item *it = &ss->c->items[i];
        struct hall_dbparam holder = HALL_NULLP, png = HALL_NULLP, phone_ok = HALL_NULLP;
        const char *kind = hall_seal_kind_code(it->kind);

        if (it->kind == HALL_SEAL_PERSON) {
            struct hall_val *h = hall_val_obj(req->pool);
            const char *json;
            unsigned char *enc;
            size_t jl, el;

            hall_val_set_str(req->pool, h, "name", it->holder_name);
            hall_val_set_str(req->pool, h, "ric", it->holder_ric);
            hall_val_set_str(req->pool, h, "mobile", it->holder_mobile);
            json = hall_val_json(req->pool, h, &jl);
            enc = json != NULL ? hall_pii_encrypt(req->pool, json, jl, &el) : NULL;
            if (enc == NULL)
                return HALL_ERR;
            holder = HALL_BIN(enc, el);
            {
                unsigned char *idx = hall_palloc(req->pool, 32);
                int r;

                hall_pii_index("phone", it->holder_mobile, idx);
                for (r = 0; r < hall_dbres_rows(verified); r++) {
                    size_t vl;
                    const unsigned char *v = hall_dbres_bytea(
                        req->cx, verified, r, hall_dbres_col(verified, "holder_verified_idx"), &vl);

                    if (v != NULL && vl == 32 && hall_ct_equal(v, idx, 32))
                        phone_ok = HALL_BIN(idx, 32);
                }
            }
        }
        if (ss->png[i] != NULL)
            png = HALL_BIN(ss->png[i], ss->png_len[i]);
        if (hall_seal_item_put(req->cx, order_id, kind, it->index, ss->product[it->kind], it->years,
                               it->style == HALL_SEAL_CUTOUT ? "cutout" : "auto",
                               it->kind == HALL_SEAL_PERSON || it->name == NULL ? "" : it->name,
                               holder, ss->price[i], png, phone_ok) != HALL_OK)
            return HALL_ERR;
        hall_buf_printf(keep, "%s%s:%d", i > 0 ? "," : "", kind, it->index);
    }
    return hall_seal_items_prune(req->cx, order_id, keep->data);
}

/*
 * A drawn seal (工具自动生成) whose 机构名称, 印章名称 or 姓名 has a character
 * the seal font lacks: refused with the form, naming the field and the
 * character, rather than a picture drawn with empty boxes that production
 * refuses after payment.  A cutout (根据印模样式抠图) draws no text.
 */
static void
glyphs_check(struct hall_req *req, const struct hall_seal_choice *c, const struct hall_val *form,
             struct hall_errors *e)
{
    const char *org = hall_val_str(form, "org_name");
    int i, org_asked = hall_errors_has(e, "org_name");
    char bad[8];

    for (i = 0; i < c->n; i++) {
        const struct hall_seal_item *it = &c->items[i];
        const char *field;

        if (it->style != HALL_SEAL_AUTO)
            continue;
        if (it->kind != HALL_SEAL_PERSON && !org_asked) {
            org_asked = 1;
            if (hall_sealimg_glyphs(org, bad, sizeof(bad)) > 0)
                hall_msg_add(req, e, HALL_M_SEAL_GLYPH, "org_name", "机构名称", bad);
        }
        if (it->name == NULL || *it->name == '\0')
            continue;
        field = it->kind == HALL_SEAL_PERSON ? hall_psprintf(req->pool, "person_%d_name", it->index)
                : it->kind == HALL_SEAL_BUSINESS
                    ? hall_psprintf(req->pool, "biz_%d_name", it->index)
                    : "org_seal_name";
        if (!hall_errors_has(e, field) && hall_sealimg_glyphs(it->name, bad, sizeof(bad)) > 0)
            hall_msg_add(req, e, HALL_M_SEAL_GLYPH, field,
                         it->kind == HALL_SEAL_PERSON ? "姓名" : "印章名称", bad);
    }
}

/*
 * 证书算法 (products.ca, sql/147): the seals' products of one algorithm, one
 * of each kind; ca NULL: the algorithm of the partner's first 机构章 product
 * (the hall's ECDSA one: an API client need not send it).  The algorithm
 * taken, or NULL when no 机构章 is sold on it.
 */
static const char *
seal_products(struct hall_dbres *prods, const char *ca, int64_t product[4],
              struct hall_price prices[4])
{
    int i, k;

    memset(prices, 0, 4 * sizeof(prices[0]));
    memset(product, 0, 4 * sizeof(product[0]));
    for (i = 0; ca == NULL && i < hall_dbres_rows(prods); i++)
        if (strcmp(hall_dbres_str(prods, i, "cert_type"), "org") == 0)
            ca = hall_dbres_str(prods, i, "ca");
    for (i = 0; ca != NULL && i < hall_dbres_rows(prods); i++)
        for (k = HALL_SEAL_ORG; k <= HALL_SEAL_PERSON; k++)
            if (product[k] == 0 && strcmp(hall_dbres_str(prods, i, "ca"), ca) == 0 &&
                strcmp(hall_dbres_str(prods, i, "cert_type"), hall_seal_kind_code(k)) == 0) {
                product[k] = hall_dbres_int(prods, i, "id");
                prices[k] = hall_flow_product_price(prods, i);
            }
    return product[HALL_SEAL_ORG] != 0 ? ca : NULL;
}

static const char *const ca_values[] = {"ecc", "sm2", NULL};

/* 邮寄方式: asked unless the order is SM2 (its keys born in the
 * applicant's browser: nothing is mailed); checked once the algorithm is
 * known, as modules/new/new.c does for a browser key */
static const struct hall_pspec shipping_param[] = {
    {"shipping", HALL_P_CHOICE, 0, 0, 0, "邮寄方式", hall_choices_shipping},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec apply_params[] = {
    HALL_FLOW_PARAMS_ORDER,
    {"ca", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "证书算法", ca_values},
    {"shipping", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "邮寄方式", hall_choices_shipping},
    {"carrier", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "到付快递", hall_choices_carrier},
    {"invoice", HALL_P_CHOICE, 0, 0, 0, "是否开票", hall_choices_yes_no},
    {"invoice_title_type", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "发票抬头类型",
     hall_choices_title_type},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

int
seal_do_apply(struct hall_req *req)
{
    struct hall_errors e = {NULL, NULL, 0, 0};
    struct hall_val *form = hall_val_obj(req->pool);
    struct hall_seal_choice *c = hall_pcalloc(req->pool, sizeof(*c));
    struct seal_save *ss = hall_pcalloc(req->pool, sizeof(*ss));
    struct hall_seal_part part;
    struct hall_dbres *prods;
    struct hall_partner p;
    struct hall_price prices[4];
    struct hall_flow_save s;
    const char *ca, *asked, *nomail;
    int64_t total = 0, years = 1;
    int i;

    if (hall_flow_submit_open(req, apply_params, &e, &p, &s) != HALL_OK)
        return HALL_OK;
    prods = hall_flow_products(req, &p);
    if (prods == NULL)
        return HALL_OK;
    /* 证书算法: the seals' products of the one asked for (sql/147) */
    asked = hall_req_param(req, "ca");
    if (asked != NULL && (*asked == '\0' || hall_errors_has(&e, "ca")))
        asked = NULL;
    ca = seal_products(prods, asked, ss->product, prices);
    if (ca == NULL && asked != NULL) {
        /* named with the form's other errors, the rest judged as ECDSA */
        ca = seal_products(prods, NULL, ss->product, prices);
        if (ca != NULL)
            hall_msg_add(req, &e, HALL_M_CA_NOT_OFFERED, "ca");
    }
    if (ca == NULL)
        return hall_msg(req, HALL_M_NO_PRODUCTS, NULL, "电子签章申请");
    /* 签章信息, then the catalogue's groups: every error at once */
    if (hall_seal_choice_parse(req->pool, req_get, req, c) != HALL_OK)
        for (i = 0; i < c->nerrors; i++)
            hall_errors_add(req->pool, &e, 400, c->errors[i].field, c->errors[i].message);
    for (i = 0; i < c->n; i++)
        if (ss->product[c->items[i].kind] == 0)
            hall_msg_add(req, &e, HALL_M_SEAL_KIND_NOT_OFFERED,
                         c->items[i].kind == HALL_SEAL_BUSINESS ? "biz_count" : "person_count");
    /* an SM2 order's keys are born in its applicant's browser
     * (order_key_origin): nothing is mailed, so no address and no 邮寄方式
     * are asked for or kept (the mail group is skipped, as a 证书新办's
     * browser key: modules/new/new.c) */
    nomail = strcmp(ca, "sm2") == 0 ? "mail" : NULL;
    hall_flow_fields_check_but(req, HALL_T_ORG, form, &e, nomail);
    /* 申请人信息 (seed 001), whose fields the catalogue gives the personal
     * types: checked and kept in the order's form (form_enc) with the rest;
     * the unit's fields, theirs too, are only read again */
    hall_flow_fields_check_but(req, HALL_T_ORGP, form, &e, nomail);
    if (nomail == NULL) {
        const char *out, *note, *msg;

        if (!hall_errors_has(&e, "shipping") &&
            hall_param_check(req->pool, shipping_param, hall_req_param(req, "shipping"), &out,
                             &note, &msg) != HALL_OK)
            hall_errors_add(req->pool, &e, 400, "shipping", msg);
        hall_flow_delivery_check(req, &p, form, &e);
    } else if (!hall_errors_has(&e, "invoice"))
        hall_val_set_str(req->pool, form, "invoice", hall_req_param(req, "invoice"));
    glyphs_check(req, c, form, &e);
    if (hall_flow_cross_check_but(req, HALL_T_ORG, form, &e, nomail) != HALL_OK)
        return HALL_OK;
    if (hall_flow_submit_checked(req, &e, form, HALL_T_ORG, &s) != HALL_OK)
        return HALL_OK;
    /* each seal's price and picture, before any transaction */
    for (i = 0; i < c->n; i++) {
        const struct hall_seal_item *it = &c->items[i];

        part.kind = it->kind;
        part.years = it->years;
        part.price = prices[it->kind];
        ss->price[i] = hall_seal_price(&part, 1);
        total += ss->price[i];
        if (it->years > years)
            years = it->years;
        if (it->style == HALL_SEAL_AUTO) {
            ss->png[i] =
                hall_sealimg_render(req->pool, it->kind, hall_val_str(form, "org_name"),
                                    it->name != NULL ? it->name : "", &ss->png_len[i], NULL);
            if (ss->png[i] == NULL)
                return hall_msg(req, HALL_M_SEAL_APPLY_UNDRAWABLE,
                                it->kind == HALL_SEAL_PERSON ? "person_count" : "org_name");
        }
    }
    ss->c = c;
    hall_val_set_str(req->pool, form, "choice_cert_type", "电子签章");
    hall_val_set_fmt(req->pool, form, "choice_seal", "%d枚", c->n);
    /* the algorithm, kept with the form for its page, the print and review */
    hall_val_set_str(req->pool, form, "ca", ca);
    if (nomail != NULL)
        hall_val_set_str(req->pool, form, "key_origin", "browser"); /* the print: 不邮寄 */
    s.cert_type = "org";
    s.subject = hall_val_str(form, "org_name");
    s.product_id = ss->product[HALL_SEAL_ORG];
    s.years = years;
    s.cert_fen = total;
    s.seal = 1;
    s.also = items_store;
    s.committed = holders_committed;
    s.arg = ss;
    return hall_flow_submit_save(req, form, &s, "org_count");
}

static void
styles_of(struct hall_req *req, struct hall_val *obj, const char *key, int cur)
{
    struct hall_val *l = hall_val_set_list(req->pool, obj, key);
    int st;

    for (st = HALL_SEAL_AUTO; st <= HALL_SEAL_CUTOUT; st++) {
        struct hall_val *o = hall_val_push_obj(req->pool, l);

        hall_val_set_str(req->pool, o, "v", st == HALL_SEAL_CUTOUT ? "cutout" : "auto");
        hall_val_set_str(req->pool, o, "label", hall_seal_style_label(st));
        hall_val_set_bool(req->pool, o, "selected", st == cur);
    }
}

static void
years_of(struct hall_req *req, struct hall_val *obj, const char *key, const char *n, int cur)
{
    struct hall_val *l = hall_val_set_list(req->pool, obj, key);
    int y;

    for (y = 1; y <= 5; y++) {
        struct hall_val *o = hall_val_push_obj(req->pool, l);

        hall_val_set_int(req->pool, o, n, y);
        hall_val_set_bool(req->pool, o, "selected", y == cur);
    }
}

int
seal_apply_page(struct hall_req *req)
{
    struct hall_dbres *o, *prods, *items = NULL;
    struct hall_val *ctx, *form, *l;
    struct hall_partner p;
    int i, biz = 0, persons = 0, org, org_years = 1, biz_years = 1, org_style = 0;

    if (hall_flow_apply_open(req, &p, &o) != HALL_OK)
        return HALL_OK;
    ctx = hall_flow_page(req, "录入信息", &p);
    form = o != NULL ? hall_flow_form(req, o) : hall_val_obj(req->pool);
    prods = hall_flow_products(req, &p);
    /* an unreadable form is the hall's mistake (500), the rest the store's */
    if (form == NULL || prods == NULL || hall_flow_apply_ctx(req, ctx, o) != HALL_OK)
        return hall_req_failed(req);
    org = o == NULL; /* a new order starts with its 机构章 */
    /* 证书算法 where the partner sells its seals on both (ca_choice, cas) */
    hall_flow_choices_ctx(req, ctx, prods, &p, "org", 1, 1, form);
    {
        const char *ca = hall_val_str(form, "ca");
        int64_t product[4];
        struct hall_price prices[4];
        int k;

        const char *now = seal_products(prods, *ca != '\0' ? ca : NULL, product, prices);

        if (now == NULL)
            now = seal_products(prods, NULL, product, prices);
        /* the algorithm the page opens on: SM2 mails nothing (static/seal.js) */
        if (now != NULL)
            hall_val_set_str(req->pool, ctx, "seal_ca", now);
        for (k = HALL_SEAL_ORG; k <= HALL_SEAL_PERSON; k++) {
            const char *n = k == HALL_SEAL_ORG ? "org" : k == HALL_SEAL_BUSINESS ? "biz" : "person";

            if (product[k] == 0)
                continue;
            hall_val_set_str(req->pool, ctx, hall_psprintf(req->pool, "price_%s", n),
                             hall_yuan(req->pool, hall_price_cert(&prices[k], 1, 0)));
            /* the running total's terms (static/seal.js): a seal costs
             * per_year x years + fixed, as hall_seal_price counts it */
            hall_val_set_fmt(req->pool, ctx, hall_psprintf(req->pool, "fen_%s", n), "%lld %lld",
                             (long long)prices[k].per_year_fen, (long long)prices[k].fixed_fen);
        }
        /* each algorithm's terms, for the page to follow the choice: an SM2
         * seal has no medium, so no 介质费 (sql/180) */
        for (i = 0; ca_values[i] != NULL; i++) {
            if (seal_products(prods, ca_values[i], product, prices) == NULL)
                continue;
            for (k = HALL_SEAL_ORG; k <= HALL_SEAL_PERSON; k++) {
                const char *n = k == HALL_SEAL_ORG        ? "org"
                                : k == HALL_SEAL_BUSINESS ? "biz"
                                                          : "person";

                if (product[k] != 0)
                    hall_val_set_fmt(req->pool, ctx,
                                     hall_psprintf(req->pool, "fen_%s_%s", n, ca_values[i]),
                                     "%lld %lld", (long long)prices[k].per_year_fen,
                                     (long long)prices[k].fixed_fen);
            }
        }
    }
    l = hall_val_set_list(req->pool, ctx, "biz_rows");
    if (o != NULL) {
        items = hall_db_exec(req->cx, "seal_items_of", HALL_I64(hall_dbres_int(o, 0, "id")));
        if (items == NULL)
            return HALL_ERR;
        for (i = 0; i < hall_dbres_rows(items); i++) {
            const char *k = hall_dbres_str(items, i, "kind");

            if (strcmp(k, "org") == 0) {
                org = 1;
                org_years = (int)hall_dbres_int(items, i, "years");
                org_style = strcmp(hall_dbres_str(items, i, "style"), "cutout") == 0;
                hall_dbres_set(req->pool, ctx, items, i, "org_seal_name=seal_name");
            } else if (strcmp(k, "org_business") == 0) {
                biz++;
                biz_years = (int)hall_dbres_int(items, i, "years");
            } else {
                persons++;
            }
        }
    }
    hall_val_set_bool(req->pool, ctx, "org_on", org);
    years_of(req, ctx, "years_org", "n", org_years);
    years_of(req, ctx, "years_biz", "n", biz_years);
    styles_of(req, ctx, "styles_org", org_style);
    {
        struct hall_val *counts = hall_val_set_list(req->pool, ctx, "biz_counts");

        for (i = 0; i <= HALL_SEAL_BIZ_MAX; i++) {
            struct hall_val *n = hall_val_push_obj(req->pool, counts);

            hall_val_set_int(req->pool, n, "n", i);
            hall_val_set_bool(req->pool, n, "selected", i == biz);
        }
    }
    for (i = 1; i <= HALL_SEAL_BIZ_MAX; i++) {
        struct hall_val *r = hall_val_push_obj(req->pool, l);
        int st = 0, row;

        hall_val_set_int(req->pool, r, "n", i);
        for (row = 0; items != NULL && row < hall_dbres_rows(items); row++)
            if (strcmp(hall_dbres_str(items, row, "kind"), "org_business") == 0 &&
                hall_dbres_int(items, row, "position") == i) {
                hall_dbres_set(req->pool, r, items, row, "name=seal_name");
                st = strcmp(hall_dbres_str(items, row, "style"), "cutout") == 0;
            }
        styles_of(req, r, "styles", st);
    }
    hall_val_set_int(req->pool, ctx, "person_count", persons);
    l = hall_val_set_list(req->pool, ctx, "person_rows");
    /* the saved rows; the page's 添加 button adds more (static/seal.js) */
    hall_val_set_int(req->pool, ctx, "person_max", HALL_SEAL_PERSONS_MAX);
    styles_of(req, ctx, "person_tpl_styles", 0);
    years_of(req, ctx, "person_tpl_years", "y", 1);
    for (i = 1; i <= persons; i++) {
        struct hall_val *r = hall_val_push_obj(req->pool, l);
        int st = 0, y = 1, row;

        hall_val_set_int(req->pool, r, "n", i);
        for (row = 0; items != NULL && row < hall_dbres_rows(items); row++)
            if (strcmp(hall_dbres_str(items, row, "kind"), "org_person") == 0 &&
                hall_dbres_int(items, row, "position") == i) {
                struct hall_val *h =
                    hall_dbres_pii_json(req->cx, items, row, hall_dbres_col(items, "holder_enc"));

                if (h != NULL) {
                    hall_val_set_str(req->pool, r, "name", hall_val_str(h, "name"));
                    hall_val_set_str(req->pool, r, "ric", hall_val_str(h, "ric"));
                    hall_val_set_str(req->pool, r, "mobile", hall_val_str(h, "mobile"));
                }
                st = strcmp(hall_dbres_str(items, row, "style"), "cutout") == 0;
                y = (int)hall_dbres_int(items, row, "years");
            }
        styles_of(req, r, "styles", st);
        years_of(req, r, "years", "y", y);
    }
    hall_val_set_str(req->pool, ctx, "page_js", "new.js");
    hall_flow_steps(req, ctx, "apply");
    return hall_resp_page(req, 200, "seal_apply", ctx);
}

/* 打印申请表 (the kit's form) with the link to the 证书附页 */
int
seal_print_more(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o,
                const struct hall_val *form)
{
    (void)o;
    (void)form;
    hall_val_set_bool(req->pool, ctx, "seal_flow", 1);
    hall_val_set_str(req->pool, ctx, "page_js", "seal.js");
    return HALL_OK;
}

/* ---- the kit's hooks ------------------------------------------------------------ */

/*
 * 上传资料: each 机构个人章 makes its holder a 机构个人证书, so the order asks
 * for that person's ID scan, kind holder_id_N after the seal's position,
 * listed first (seed 001: 若需申请机构个人证书请优先点击“添加机构个人身份证
 * 扫描件”。若无需申请机构个人证书则可不上传)
 */
int
seal_holder_materials(struct hall_req *req, struct hall_dbres *o, struct hall_val *list)
{
    struct hall_dbres *res =
        hall_db_exec(req->cx, "seal_holders", HALL_I64(hall_dbres_int(o, 0, "id")));
    int i;

    if (res == NULL)
        return HALL_ERR;
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *h =
            hall_dbres_pii_json(req->cx, res, i, hall_dbres_col(res, "holder_enc"));
        const char *name = h != NULL ? hall_val_str(h, "name") : "";
        struct hall_val *v = hall_val_push_obj(req->pool, list);

        hall_val_set_fmt(req->pool, v, "kind", "holder_id_%s", hall_dbres_str(res, i, "position"));
        if (*name != '\0')
            hall_val_set_fmt(req->pool, v, "label", "%s（%s）", hall_material_label("holder_id"),
                             name);
        else
            hall_val_set_fmt(req->pool, v, "label", "%s（第%s枚机构个人章）",
                             hall_material_label("holder_id"), hall_dbres_str(res, i, "position"));
    }
    return HALL_OK;
}

/*
 * The kit's order_ready: a seal in the style 根据印模样式抠图 has no picture
 * until its impression is uploaded on the 证书附页 and its cut-out
 * confirmed there; until then the order does not go on to review (nor
 * could production make it: 印章图片尚未制作).  Each such seal named.
 */
int
seal_cutouts_ready(struct hall_req *req, int64_t order_id, struct hall_errors *e)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "seal_items_unready", HALL_I64(order_id));
    int i;

    if (res == NULL)
        return HALL_ERR;
    for (i = 0; i < hall_dbres_rows(res); i++) {
        enum hall_seal_kind k = hall_seal_kind_of(hall_dbres_str(res, i, "kind"));
        const char *name = hall_dbres_str(res, i, "seal_name"), *what;

        if (k == HALL_SEAL_PERSON) {
            struct hall_val *h =
                hall_dbres_pii_json(req->cx, res, i, hall_dbres_col(res, "holder_enc"));

            name = h != NULL ? hall_val_str(h, "name") : "";
        }
        what = *name == '\0' ? hall_seal_kind_label(k)
               : k == HALL_SEAL_PERSON
                   ? hall_psprintf(req->pool, "%s（%s）", hall_seal_kind_label(k), name)
                   : hall_psprintf(req->pool, "%s“%s”", hall_seal_kind_label(k), name);
        hall_msg_add(req, e,
                     hall_dbres_bool(res, i, "missing") ? HALL_M_SEAL_CUTOUT_MISSING
                                                        : HALL_M_SEAL_CUTOUT_UNCONFIRMED,
                     NULL, what);
    }
    /* each 机构个人章 holder's own phone verified (sql/053): the PIN goes there */
    res = hall_db_exec(req->cx, "seal_holders_verified", HALL_I64(order_id));
    if (res == NULL)
        return HALL_ERR;
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *h =
            hall_dbres_pii_json(req->cx, res, i, hall_dbres_col(res, "holder_enc"));

        if (h == NULL)
            return HALL_ERR;
        if (!seal_holder_verified(req->cx, res, i, hall_val_str(h, "mobile")))
            hall_msg_add(req, e, HALL_M_SEAL_HOLDER_UNVERIFIED, NULL, hall_val_str(h, "name"));
    }
    return HALL_OK;
}
