/*
 * flow.c: the flow kit, the steps every business flow shares (SPEC steps
 * 2-7), lifted out of modules/new so that 证书新办, 介质遗失补办 and
 * 电子签章申请 run the same code.  This file holds the partner, the pages'
 * head and urls, the order as the pages read it, and the form's lookups;
 * the module (hall_flow_main: the kit's routes and statements joined with
 * the flow's own) is flow_main.c, and each step is a file of its own:
 *
 *   agree.c    GET /F (project choice, agreements), POST /F/agree
 *   plink.c    GET /F/entry, a partner's signed link (docs/partners.md)
 *   entry.c    选择应用 + 录入信息: products, choices, field checks, GET /F/shipping
 *   submit.c   the submit: the session read ahead, the caps, the carrier check, the save
 *   print.c    打印申请表, POST /F/printed
 *   upload.c   GET /F/upload, POST /F/upload, GET /F/file, POST /F/uploaded,
 *              POST /F/resubmit: materials (catalogue), content-checked
 *   phone.c    GET /F/identity[/status], GET /F/m/verify, POST /F/m/ocr,
 *              POST /F/m/liveness: the identity check on the phone, then 缴费
 *   flow.c     GET /F/divisions, /F/banks: the form's lookups
 *   flow_main.c  the module: every file above joined, the partner's gate
 *
 * F is the flow's business type (core/flow/catalog.def).  The flow module adds
 * its own routes (选择应用 + 录入信息, the print page, its own steps) and
 * calls the kit's functions (core/flow/flow.h; flow_int.h is what the kit's
 * files share).  Results are read by column name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_int.h"

static const struct hall_flow *flow;

const struct hall_flow *
hall_flow_current(void)
{
    return flow;
}

/* the flow this process runs, set once by hall_flow_main (flow_main.c) */
void
flow_set_current(const struct hall_flow *f)
{
    flow = f;
}

/* an order as the flow's pages read it (flow_order_get, flow_session_order) */
#define FLOW_ORDER_COLS                                                                              \
    "id, order_no, partner_code, product_id, cert_type, years, seal, status, step,"                  \
    " subject, cert_fen, shipping_fen, amount_fen, form_enc, form_rev,"                              \
    " to_char(created_at, 'YYYY-MM-DD HH24:MI') AS created, printed_at IS NOT NULL AS printed,"      \
    " coalesce(reject_reason, '') AS reject_reason, reject_reason_enc,"                              \
    " seal OR coalesce((SELECT breakdown ? '签章费' FROM products WHERE id = product_id), false)" \
    " AS needs_seal_material, business_type"

const struct hall_stmt flow_lookup_stmts[] = {
    {"flow_partner_get",
     "SELECT code, name, seal_offered, seal_default, shipping_prepaid,"
     " array_to_string(shipping_collect_carriers, ',') AS carriers,"
     " coalesce(promotion::text, '') AS promotion,"
     " coalesce(print_title, '数字证书申请表') AS print_title,"
     " coalesce(new_agree_button, '下一步') AS new_agree_button, review_sla_days,"
     " coalesce(seal_form_title, '电子签章采集表') AS seal_form_title"
     " FROM partners WHERE code = $1 AND active",
     1},
    {"flow_sold",
     "SELECT EXISTS (SELECT 1 FROM products r JOIN partners p ON p.code = r.partner_code"
     " WHERE r.partner_code = $1 AND r.business_type = $2 AND r.active AND p.active) AS sold",
     2},
    {"flow_order_get", "SELECT " FLOW_ORDER_COLS " FROM orders WHERE id = $1 AND user_id = $2", 2},
    /* the same with the session (as core/store/db.c's session_get reads
     * it) at an upload: no session, no row; no such order of its
     * applicant, a row with id NULL */
    {"flow_session_order",
     "SELECT s.user_id AS s_user_id, s.partner_code AS s_partner, s.who AS s_who,"
     " s.last_seen < now() - interval '60 seconds' AS s_stale, o.*"
     " FROM sessions s LEFT JOIN LATERAL (SELECT " FLOW_ORDER_COLS
     " FROM orders WHERE id = $2 AND user_id = s.user_id) o ON true"
     " WHERE s.token_hash = $1 AND s.idle_expires > now() AND s.absolute_expires > now()",
     2},
    {"flow_division_children",
     "SELECT code, name, level FROM divisions WHERE parent_code IS NOT DISTINCT FROM $1"
     " ORDER BY code",
     1},
    {"flow_bank_search",
     "SELECT branch_id, branch_name, bank_id, bank_name, city, cnaps"
     " FROM bank_branch_search($1, 20, $2::integer)",
     2},
    {NULL, NULL, 0},
};

/* ---- partner, pages, urls ----------------------------------------------------- */

int
hall_flow_partner(struct hall_req *req, const char *code, struct hall_partner *p)
{
    struct hall_dbres *res;

    if (req->partner[0] != '\0')
        code = req->partner;
    if (code == NULL || *code == '\0')
        code = "hall";
    if (strlen(code) > 32) {
        hall_msg(req, HALL_M_PROJECT_NOT_FOUND, "project");
        return HALL_ANSWERED;
    }
    res = hall_db_ref(req->cx, "flow_partner_get", HALL_STR(code));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_PROJECT_NOT_FOUND, "project");
        return HALL_ANSWERED;
    }
    p->code = hall_dbres_str(res, 0, "code");
    p->name = hall_dbres_str(res, 0, "name");
    p->seal_offered = hall_dbres_bool(res, 0, "seal_offered");
    p->seal_default = hall_dbres_bool(res, 0, "seal_default");
    p->prepaid = hall_dbres_bool(res, 0, "shipping_prepaid");
    p->carriers = hall_dbres_str(res, 0, "carriers");
    p->promotion = hall_dbres_str(res, 0, "promotion");
    p->print_title = hall_dbres_str(res, 0, "print_title");
    p->new_agree_button = hall_dbres_str(res, 0, "new_agree_button");
    p->review_sla_days = (int)hall_dbres_int(res, 0, "review_sla_days");
    p->seal_form_title = hall_dbres_str(res, 0, "seal_form_title");
    return HALL_OK;
}

const char *
hall_flow_collect_carrier(struct hall_req *req, const struct hall_partner *p, int i)
{
    const char *s = p->carriers, *comma;

    while (i-- > 0 && s != NULL) {
        comma = strchr(s, ',');
        s = comma != NULL ? comma + 1 : NULL;
    }
    if (s == NULL || *s == '\0')
        return NULL;
    comma = strchr(s, ',');
    return comma != NULL ? hall_pstrndup(req->pool, s, (size_t)(comma - s)) : s;
}

int
hall_flow_collect_offers(const struct hall_partner *p, const char *code)
{
    size_t n = strlen(code);
    const char *s = p->carriers;

    while (s != NULL && *s != '\0') {
        if (strncmp(s, code, n) == 0 && (s[n] == ',' || s[n] == '\0'))
            return 1;
        s = strchr(s, ',');
        if (s != NULL)
            s++;
    }
    return 0;
}

const char *
hall_flow_collect_words(struct hall_req *req, const struct hall_partner *p)
{
    const char *c, *out = "";
    int i;

    /* as the seeds word it: 顺丰/EMS到付 (seed 000), 顺丰到付 (seed 002) */
    for (i = 0; (c = hall_flow_collect_carrier(req, p, i)) != NULL; i++)
        out = hall_psprintf(req->pool, "%s%s%s", out, i > 0 ? "/" : "",
                            strcmp(c, "SF") == 0 ? "顺丰" : c);
    return hall_psprintf(req->pool, "%s到付", out);
}

struct hall_val *
hall_flow_page(struct hall_req *req, const char *title, const struct hall_partner *p)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", title);
    hall_val_set_str(req->pool, ctx, "page_js", "new.js");
    hall_val_set_str(req->pool, ctx, "flow", flow->business);
    hall_val_set_str(req->pool, ctx, "flow_title", flow->title);
    /* seed 001: a seal order's micro-deposit carries a random code, its PIN
     * goes by SMS (the seal products' pin_by_memo is false) */
    hall_val_set_bool(req->pool, ctx, "memo_code", strcmp(flow->business, "seal") == 0);
    /* seed 004's 补办 form: 电子发票将发送至您预留的手机上和邮箱中 (it goes
     * to both, core/biz/invoice.c); the other seeds word it for the phone */
    hall_val_set_bool(req->pool, ctx, "invoice_mail", strcmp(flow->business, "reissue") == 0);
    /* seed 001's 电子签章 form words the taxpayer ID by the rule
     * (hall_flow_cross_check: required for a unit's title); the others
     * (seeds 000, 002, 004) by the reimbursement */
    hall_val_set_bool(req->pool, ctx, "taxid_unit_hint", strcmp(flow->business, "seal") == 0);
    hall_val_set_str(req->pool, ctx, "site_name",
                     req->partner[0] != '\0' && p != NULL ? p->name : "深圳CA网上营业厅");
    if (p != NULL) {
        hall_val_set_str(req->pool, ctx, "project", p->code);
        hall_val_set_str(req->pool, ctx, "project_name", p->name);
        /* the partner's review time, as its pay page says it (modules/pay) */
        hall_val_set_str(req->pool, ctx, "review_days",
                         hall_workdays(req->pool, p->review_sla_days));
    }
    return ctx;
}

void
hall_flow_steps(struct hall_req *req, struct hall_val *ctx, const char *current)
{
    hall_steps_set(req, ctx, flow->steps, current);
}

const char *
hall_flow_url(struct hall_req *req, const char *fmt, ...)
{
    va_list ap;
    char *rest;

    va_start(ap, fmt);
    rest = hall_pvsprintf(req->pool, fmt, ap);
    va_end(ap);
    return hall_psprintf(req->pool, "%s/%s%s", hall_req_base(req), flow->business, rest);
}

/* ---- the order ------------------------------------------------------------------ */

/* the order an upload's session read brought (flow_session_load) */
struct flow_pre_order flow_pre_order;

struct hall_dbres *
hall_flow_order(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *o;

    if (flow_pre_order.req == req && flow_pre_order.request_id == req->request_id &&
        hall_req_param_i64(req, "id", &id) == HALL_OK && id == flow_pre_order.id) {
        flow_pre_order.req = NULL;
        o = flow_pre_order.res;
        /* someone else's order is as absent as one that never was */
        if (hall_dbres_str(o, 0, "id") == NULL) {
            hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
            return NULL;
        }
    } else {
        o = hall_order_own(req, "flow_order_get", &id);
    }

    /* another flow's order is not this flow's to show */
    if (o != NULL && strcmp(hall_dbres_str(o, 0, "business_type"), flow->business) != 0) {
        hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
        return NULL;
    }
    return o;
}

struct hall_val *
hall_flow_form(struct hall_req *req, struct hall_dbres *o)
{
    return hall_dbres_pii_json(req->cx, o, 0, hall_dbres_col(o, "form_enc"));
}

int
hall_flow_editable(struct hall_dbres *o)
{
    const char *st = hall_dbres_str(o, 0, "status");

    return strcmp(st, "draft") == 0 || strcmp(st, "rejected") == 0;
}

void
hall_flow_form_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_val *form)
{
    struct hall_val *f = hall_val_set_obj(req->pool, ctx, "f");
    const struct hall_field *fd;

    for (fd = hall_fields; fd->name != NULL; fd++)
        hall_val_set_str(req->pool, f, fd->name, hall_val_str(form, fd->name));
}

/* a form's order id, the only parameter of several steps */
const struct hall_pspec flow_id_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* ---- lookups for the form ------------------------------------------------------ */

static int
divisions_json(struct hall_req *req)
{
    const char *parent = hall_req_query(req, "parent");
    struct hall_val *v = hall_val_obj(req->pool), *list;
    struct hall_dbres *res;
    int i, n;

    if (parent != NULL && *parent == '\0')
        parent = NULL;
    if (parent != NULL && (strlen(parent) > 9 || strspn(parent, "0123456789") != strlen(parent)))
        return hall_msg(req, HALL_M_REGION_CODE, "parent");
    res = hall_db_ref(req->cx, "flow_division_children",
                      parent != NULL ? HALL_STR(parent) : HALL_NULLP);
    if (res == NULL)
        return HALL_ERR;
    list = hall_val_set_list(req->pool, v, "items");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *o = hall_val_push_obj(req->pool, list);

        hall_dbres_set(req->pool, o, res, i, "code name level:i");
    }
    hall_resp_header(req, "Cache-Control", "private, max-age=3600");
    return hall_resp_ok(req, v);
}

static const struct hall_pspec banks_params[] = {
    {"q", HALL_P_TEXT, 0, 1, 30, "开户行关键字", NULL},
    {"bank", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 60, "开户行", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
banks_json(struct hall_req *req)
{
    struct hall_val *v = hall_val_obj(req->pool), *list;
    const char *bank = hall_req_param(req, "bank");
    struct hall_dbres *res, *b = NULL;
    int i, n;

    /* within the bank the form names, when it is one of the list */
    if (bank != NULL && *bank != '\0') {
        b = hall_db_ref(req->cx, "finauth_bank_named", HALL_STR(bank));
        if (b == NULL)
            return HALL_ERR;
    }
    res = hall_db_exec(req->cx, "flow_bank_search", HALL_STR(hall_req_param(req, "q")),
                       b != NULL && hall_dbres_rows(b) > 0 ? HALL_STR(hall_dbres_str(b, 0, "id"))
                                                           : HALL_NULLP);
    if (res == NULL)
        return HALL_ERR;
    list = hall_val_set_list(req->pool, v, "items");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *o = hall_val_push_obj(req->pool, list);

        hall_dbres_set(req->pool, o, res, i,
                       "id=branch_id name=branch_name bank_id bank=bank_name city cnaps");
    }
    return hall_resp_ok(req, v);
}

/* the lookups' routes, below the flow's path, which hall_flow_main
 * (flow_main.c) joins with each step's */
const struct hall_route flow_lookup_routes[] = {
    {"GET", "/divisions", divisions_json, HALL_R_AUTH, NULL},
    {"GET", "/banks", banks_json, HALL_R_AUTH, banks_params},
    {NULL, NULL, NULL, 0, NULL},
};
