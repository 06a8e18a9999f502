/*
 * flow.c: the flow kit, the steps every business flow shares (SPEC steps
 * 2-7), lifted out of modules/new so that 证书新办, 介质遗失补办 and
 * 电子签章申请 run the same code:
 *
 *   GET  /F                 project choice (generic hall), then agreements
 *                           (their texts readable on the page)
 *   POST /F/agree           records the acceptances (version, time, IP)
 *   GET  /F/entry           a partner's signed link (docs/partners.md)
 *   POST /F/printed         the applicant confirms the form was printed
 *   GET  /F/upload, POST /F/upload, GET /F/file, POST /F/uploaded,
 *   POST /F/resubmit        materials (catalogue), content-checked
 *   GET  /F/identity[/status], GET /F/m/verify, POST /F/m/ocr,
 *   POST /F/m/liveness      the identity check on the phone, then 缴费
 *   GET  /F/divisions, /F/banks, /F/shipping   the form's lookups
 *
 * F is the flow's business type (core/flow/catalog.def).  The flow module adds
 * its own routes (选择应用 + 录入信息, the print page, its own steps) and
 * calls the kit's functions (core/flow/flow.h).  Results are read by column name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow/flow.h"

/* an acceptance of the agreements is good for one application session */
#define AGREE_VALID_S         86400
#define LINK_WINDOW_S         600
#define IDENTITY_MAX_ATTEMPTS 10
#define B64URL                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static const struct hall_flow *flow;

const struct hall_flow *
hall_flow_current(void)
{
    return flow;
}

/* an order as the flow's pages read it (flow_order_get, flow_session_order) */
#define FLOW_ORDER_COLS                                                                              \
    "id, order_no, partner_code, product_id, cert_type, years, seal, status, step,"                  \
    " subject, cert_fen, shipping_fen, amount_fen, form_enc, form_rev,"                              \
    " to_char(created_at, 'YYYY-MM-DD HH24:MI') AS created, printed_at IS NOT NULL AS printed,"      \
    " coalesce(reject_reason, '') AS reject_reason,"                                                 \
    " seal OR coalesce((SELECT breakdown ? '签章费' FROM products WHERE id = product_id), false)" \
    " AS needs_seal_material, business_type"

static const struct hall_stmt flow_stmts[] = {
    {"flow_partner_get",
     "SELECT code, name, seal_offered, seal_default, shipping_prepaid,"
     " array_to_string(shipping_collect_carriers, ',') AS carriers,"
     " coalesce(promotion::text, '') AS promotion,"
     " coalesce(print_title, '数字证书申请表') AS print_title,"
     " coalesce(new_agree_button, '下一步') AS new_agree_button"
     " FROM partners WHERE code = $1 AND active",
     1},
    {"flow_sold",
     "SELECT EXISTS (SELECT 1 FROM products r JOIN partners p ON p.code = r.partner_code"
     " WHERE r.partner_code = $1 AND r.business_type = $2 AND r.active AND p.active) AS sold",
     2},
    {"flow_projects_list",
     "SELECT p.code, p.name FROM partners p WHERE p.active AND NOT p.requires_project_id"
     " AND p.link_secret IS NULL AND EXISTS (SELECT 1 FROM products r WHERE"
     " r.partner_code = p.code AND r.business_type = $1 AND r.active)"
     " ORDER BY p.code = 'hall' DESC, p.code",
     1},
    {"flow_products_list",
     "SELECT id, cert_type, name, price_per_year_fen, fixed_fee_fen, seal_fee_per_year_fen,"
     /* largest part first, as the seeds print it: 证书费200，介质费100，签章费50 */
     " coalesce((SELECT json_object_agg(k, v ORDER BY v::numeric DESC, k)"
     " FROM jsonb_each(breakdown) AS e(k, v))::text, '{}') AS breakdown, min_years, max_years, ca"
     " FROM products WHERE partner_code = $1 AND business_type = $2 AND active"
     " ORDER BY sort_order, id",
     2},
    /* the texts too: the applicant reads them before accepting */
    {"flow_agreements_for",
     "SELECT f.code, f.version, f.title, f.checkbox_group, a.body"
     " FROM agreements_for($1, $2) f JOIN agreements a USING (code, version)"
     " ORDER BY f.checkbox_group, f.sort_order, f.code",
     2},
    /* a partner's own guide, read before the agreements (Hunan, seed 002) */
    {"flow_partner_guide",
     "SELECT guide_title, guide_body FROM partners WHERE code = $1 AND guide_title IS NOT NULL", 1},
    {"flow_agreement_accept",
     "INSERT INTO agreement_acceptances (user_id, agreement_code, agreement_version,"
     " partner_code, ip, context, no_publish) VALUES ($1, $2, $3, $4, $5::inet, $6, $7::boolean)",
     7},
    /* current versions the user has not accepted recently */
    {"flow_agreements_missing",
     "SELECT count(*) AS missing FROM agreements_for($2, $4) a WHERE NOT EXISTS ("
     " SELECT 1 FROM agreement_acceptances x WHERE x.user_id = $1"
     " AND x.agreement_code = a.code AND x.agreement_version = a.version"
     " AND x.accepted_at > now() - make_interval(secs => $3::int))",
     4},
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
    /* the apply transaction in one call (sql/109_apply_key_first.sql): outcome
     * (created, again, edited, capped, locked), order_id, order_no, rev */
    {"flow_order_apply",
     "SELECT outcome, order_id, order_no, rev FROM hall_order_apply($1, $2, $3, $4, $5, $6, $7,"
     " $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
     17},
    /* the same for a new order with the session, its idle deadline and the
     * kept carrier pass read in the call (sql/097_apply_session.sql):
     * outcome also nosession or carrier; user_id, partner_code, who, passed */
    {"flow_order_apply_session",
     "SELECT outcome, order_id, order_no, rev, user_id, partner_code, who, passed"
     " FROM hall_order_apply_session($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
     " $14, $15, $16, $17, $18, $19)",
     19},
    {"flow_order_printed",
     "UPDATE orders SET printed_at = coalesce(printed_at, now()),"
     " step = CASE WHEN step = 'info' THEN 'print' ELSE step END, updated_at = now()"
     " WHERE id = $1 AND user_id = $2 AND status IN ('draft', 'rejected') RETURNING id",
     2},
    {"flow_division_chain",
     "WITH RECURSIVE c AS (SELECT code, name, parent_code, level FROM divisions WHERE code = $1"
     " UNION ALL SELECT d.code, d.name, d.parent_code, d.level FROM divisions d"
     " JOIN c ON d.code = c.parent_code) SELECT code, name, level FROM c ORDER BY level",
     1},
    {"flow_division_children",
     "SELECT code, name, level FROM divisions WHERE parent_code IS NOT DISTINCT FROM $1"
     " ORDER BY code",
     1},
    {"flow_division_has_counties",
     "SELECT EXISTS (SELECT 1 FROM divisions WHERE parent_code = $1 AND level = 3) AS counties", 1},
    {"flow_bank_search",
     "SELECT branch_id, branch_name, bank_id, bank_name, city, cnaps"
     " FROM bank_branch_search($1, 20, $2::integer)",
     2},
    {"flow_files_list",
     "SELECT id, kind, mime, size, to_char(created_at, 'YYYY-MM-DD HH24:MI') AS at"
     " FROM order_files WHERE order_id = $1 AND replaced_at IS NULL ORDER BY kind, id",
     1},
    /* the locks, the order's state, the cap, the replaced rows, the new row
     * and the audit row in one round trip (sql/037_upload_order_check.sql) */
    {"flow_file_upload",
     "SELECT outcome, file_id, old_id, old_name"
     " FROM hall_file_upload($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
     13},
    {"flow_files_removed", "SELECT hall_files_removed($1::bigint[])", 1},
    /* the caps: one applicant's uploads and new orders are counted under a
     * lock of that applicant, so parallel requests cannot pass it together */
    {"flow_user_lock",
     "SELECT pg_advisory_xact_lock(hashtextextended('hall-user:' || $1::text, 0))", 1},
    /* the caps' counts of today (Beijing), kept by sql/031_daily_caps.sql */
    {"flow_orders_today", "SELECT user_today($1, 'orders') AS n", 1},
    /* the submit's one read before its provider calls: the cap's count
     * and a passed carrier check of this applicant for the same name, ID
     * number and phone within carrier_pass_keep_s (sql/087), when it was */
    {"flow_submit_pre",
     "SELECT user_today($1, 'orders') AS n,"
     " coalesce((SELECT to_char(passed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
     " FROM carrier_passes WHERE user_id = $1 AND key = $2"
     " AND passed_at > now() - make_interval(secs => $3::int)), '') AS passed",
     3},
    /* the same with the session (as core/store/db.c's session_get reads
     * it) at the information entry's submit: no session, no row */
    {"flow_session_pre",
     "SELECT s.user_id, s.partner_code, s.who, s.last_seen < now() - interval '60 seconds' AS "
     "stale,"
     " user_today(s.user_id, 'orders') AS n,"
     " coalesce((SELECT to_char(c.passed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
     " FROM carrier_passes c WHERE c.user_id = s.user_id AND c.key = $2"
     " AND c.passed_at > now() - make_interval(secs => $3::int)), '') AS passed"
     " FROM sessions s"
     " WHERE s.token_hash = $1 AND s.idle_expires > now() AND s.absolute_expires > now()",
     3},
    /* a passed check kept; the applicant's passes past the longest keep go */
    {"flow_carrier_pass_keep",
     "WITH old AS (DELETE FROM carrier_passes WHERE user_id = $1 AND key <> $2"
     " AND passed_at < now() - interval '30 days')"
     " INSERT INTO carrier_passes (user_id, key, request_id) VALUES ($1, $2, $3)"
     " ON CONFLICT (user_id, key) DO UPDATE SET passed_at = now(), request_id = "
     "excluded.request_id",
     3},
    {"flow_file_get",
     "SELECT f.stored_name, f.mime, f.kind, o.order_no FROM order_files f"
     " JOIN orders o ON o.id = f.order_id WHERE f.id = $1 AND o.user_id = $2",
     2},
    {"flow_order_step",
     "UPDATE orders SET step = $3, updated_at = now() WHERE id = $1 AND status = 'draft'"
     " AND step = ANY (string_to_array($2, ',')) RETURNING id",
     3},
    {"flow_identity_by_token",
     "SELECT c.id, c.order_id, c.who, c.status, c.attempts, c.expires_at > now() AS live,"
     " o.form_enc, o.user_id, o.status AS order_status FROM identity_checks c"
     " JOIN orders o ON o.id = c.order_id WHERE c.token_hash = $1",
     1},
    {"flow_identity_lock", "SELECT status FROM identity_checks WHERE id = $1 FOR UPDATE", 1},
    /* nothing to pay: the order skips the payment and goes where a payment
     * would send it (modules/pay): to review, or to its unit's 金融认证 */
    {"flow_order_free",
     "SELECT amount_fen = 0 AS free, cert_type = 'person' OR business_type IN"
     " ('reissue', 'renew', 'change', 'unlock') AS to_review FROM orders WHERE id = $1",
     1},
    {"flow_identity_set",
     "UPDATE identity_checks SET status = $2, message = $3, attempts = attempts + $4,"
     " updated_at = now() WHERE id = $1",
     4},
    {"flow_partner_secret", "SELECT link_secret FROM partners WHERE code = $1 AND active", 1},
    {"flow_link_insert",
     "INSERT INTO partner_links (partner_code, nonce, ticket_hash, prefill_enc)"
     " VALUES ($1, $2, $3, $4) ON CONFLICT (partner_code, nonce) DO NOTHING RETURNING id",
     4},
    {"flow_link_claim",
     "UPDATE partner_links SET claimed_by = coalesce(claimed_by, $2) WHERE ticket_hash = $1"
     " AND partner_code = $3 AND created_at > now() - interval '1 day'"
     " RETURNING claimed_by = $2 AS mine, prefill_enc",
     3},
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
        return HALL_ERR;
    }
    res = hall_db_ref(req->cx, "flow_partner_get", HALL_STR(code));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_PROJECT_NOT_FOUND, "project");
        return HALL_ERR;
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
    hall_val_set_str(req->pool, ctx, "site_name",
                     req->partner[0] != '\0' && p != NULL ? p->name : "深圳CA网上营业厅");
    if (p != NULL) {
        hall_val_set_str(req->pool, ctx, "project", p->code);
        hall_val_set_str(req->pool, ctx, "project_name", p->name);
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

const char *
hall_form_str(const struct hall_val *form, const char *name)
{
    const struct hall_val *v = hall_val_get(form, name);

    return v != NULL && v->type == HALL_V_STR ? v->str : "";
}

/* ---- the order ------------------------------------------------------------------ */

/* the order an upload's session read brought (flow_session_load) */
static struct {
    const struct hall_req *req;
    const char *request_id;
    int64_t id;
    struct hall_dbres *res;
} pre_order;

struct hall_dbres *
hall_flow_order(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *o;

    if (pre_order.req == req && pre_order.request_id == req->request_id &&
        hall_req_param_i64(req, "id", &id) == HALL_OK && id == pre_order.id) {
        pre_order.req = NULL;
        o = pre_order.res;
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
        hall_val_set_str(req->pool, f, fd->name, hall_form_str(form, fd->name));
}

/* ---- agreements ------------------------------------------------------------------ */

/* the ticket travels from page to page until the form */
const char *
hall_flow_link_param(struct hall_req *req)
{
    const char *t = hall_req_param(req, "link");

    if (t != NULL && strlen(t) == 43 && strspn(t, B64URL) == 43)
        return t;
    return NULL;
}

static const char *
link_suffix(struct hall_req *req)
{
    const char *link = hall_flow_link_param(req);
    const char *serial = hall_flow_serial_param(req);

    return hall_psprintf(
        req->pool, "%s%s",
        link != NULL ? hall_psprintf(req->pool, "&link=%s", hall_url_encode(req->pool, link)) : "",
        serial != NULL ? hall_psprintf(req->pool, "&serial=%s", serial) : "");
}

/* the certificate a replacing flow was entered for (我的证书's 变更, 更新 …:
 * notice -> agreements -> 证书选择 with it chosen): a serial of ours, 16
 * hex digits, or NULL */
const char *
hall_flow_serial_param(struct hall_req *req)
{
    const char *s = hall_req_param(req, "serial");

    if (!hall_pki_serial_ok(s))
        return NULL;
    return s;
}

/* GET /F: the generic hall's project list, then the agreements */
static int
start_page(struct hall_req *req)
{
    const char *project = hall_req_query(req, "project");
    struct hall_partner p;
    struct hall_val *ctx, *list, *g1, *g2;
    struct hall_dbres *res;
    int i, n;

    /* the generic hall first asks which project (揭阳公共资源项目 ...) */
    if (req->partner[0] == '\0' && project == NULL) {
        ctx = hall_flow_page(req, flow->title, NULL);
        res = hall_db_ref(req->cx, "flow_projects_list", HALL_STR(flow->business));
        if (res == NULL)
            return HALL_ERR;
        list = hall_val_set_list(req->pool, ctx, "projects");
        n = hall_dbres_rows(res);
        for (i = 0; i < n; i++) {
            struct hall_val *o = hall_val_push_obj(req->pool, list);

            hall_dbres_set(req->pool, o, res, i, "code name");
        }
        return hall_resp_page(req, 200, "flow_projects", ctx);
    }
    if (hall_flow_partner(req, project, &p) != HALL_OK)
        return HALL_OK;
    ctx = hall_flow_page(req, flow->title, &p);
    res = hall_db_exec(req->cx, "flow_agreements_for", HALL_STR(p.code), HALL_STR(flow->business));
    if (res == NULL)
        return HALL_ERR;
    g1 = hall_val_set_list(req->pool, ctx, "group1");
    g2 = hall_val_set_list(req->pool, ctx, "group2");
    list = hall_val_set_list(req->pool, ctx, "agreements");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        int second = strcmp(hall_dbres_str(res, i, "checkbox_group"), "2") == 0;
        struct hall_val *o = hall_val_push_obj(req->pool, second ? g2 : g1);
        struct hall_val *t = hall_val_push_obj(req->pool, list);

        hall_dbres_set(req->pool, o, res, i, "code version title");
        /* the texts, readable before the boxes are ticked (issue 7, item 18) */
        hall_dbres_set(req->pool, t, res, i, "code title version body");
    }
    res = hall_db_exec(req->cx, "flow_partner_guide", HALL_STR(p.code));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) > 0) {
        hall_dbres_set(req->pool, ctx, res, 0, "guide_title guide_body");
    }
    if (hall_flow_link_param(req) != NULL)
        hall_val_set_str(req->pool, ctx, "link", hall_flow_link_param(req));
    if (hall_flow_serial_param(req) != NULL)
        hall_val_set_str(req->pool, ctx, "serial", hall_flow_serial_param(req));
    /* seed 003: 建筑工务署's 证书新办 goes on with 进入新办 (sql/114) */
    hall_val_set_str(req->pool, ctx, "agree_button",
                     strcmp(flow->business, "new") == 0 ? p.new_agree_button : "下一步");
    hall_flow_steps(req, ctx, "agree");
    return hall_resp_page(req, 200, "flow_agree", ctx);
}

static const char *const on_values[] = {"on", "1", "true", "yes", NULL};

static const struct hall_pspec agree_params[] = {
    {"project", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "项目", NULL},
    {"agree1", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "协议", on_values},
    {"agree2", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "授权书", on_values},
    /* clause 3: the certificate is not to be published (sql/047) */
    {"no_publish", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "不同意发布证书", on_values},
    {"link", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 43, "合作平台链接", NULL},
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_agree(struct hall_req *req)
{
    const char *a1 = hall_req_param(req, "agree1");
    const char *a2 = hall_req_param(req, "agree2");
    const char *np = hall_req_param(req, "no_publish");
    int no_publish = np != NULL && *np != '\0';
    const char *ip = req->remote_addr != NULL ? req->remote_addr : "127.0.0.1";
    struct hall_partner p;
    struct hall_dbres *ag;
    int i, n, has2 = 0;

    if (hall_flow_partner(req, hall_req_param(req, "project"), &p) != HALL_OK)
        return HALL_OK;
    ag = hall_db_exec(req->cx, "flow_agreements_for", HALL_STR(p.code), HALL_STR(flow->business));
    if (ag == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(ag);
    for (i = 0; i < n; i++)
        if (strcmp(hall_dbres_str(ag, i, "checkbox_group"), "2") == 0)
            has2 = 1;
    {
        struct hall_errors e = {NULL, NULL, 0, 0};

        if (a1 == NULL || *a1 == '\0')
            hall_msg_add(req, &e, HALL_M_AGREE_MAIN, "agree1");
        if (has2 && (a2 == NULL || *a2 == '\0'))
            hall_msg_add(req, &e, HALL_M_AGREE_SENSITIVE, "agree2");
        if (e.n > 0)
            return hall_resp_errors(req, &e);
    }
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    for (i = 0; i < n; i++)
        if (hall_db_exec(req->cx, "flow_agreement_accept", HALL_I64(req->user_id),
                         HALL_STR(hall_dbres_str(ag, i, "code")),
                         HALL_STR(hall_dbres_str(ag, i, "version")), HALL_STR(p.code), HALL_STR(ip),
                         HALL_STR(hall_psprintf(req->pool, "flow:%s", flow->business)),
                         HALL_STR(no_publish ? "t" : "f")) == NULL)
            return HALL_ERR;
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    return hall_resp_go(
        req, hall_flow_url(req, "/%s?project=%s%s", flow->first_step, p.code, link_suffix(req)),
        NULL);
}

int
hall_flow_agreements_due(struct hall_req *req, const struct hall_partner *p)
{
    struct hall_dbres *res;

    res = hall_db_exec(req->cx, "flow_agreements_missing", HALL_I64(req->user_id),
                       HALL_STR(p->code), HALL_I64(AGREE_VALID_S), HALL_STR(flow->business));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_int(res, 0, "missing") == 0)
        return 0;
    hall_resp_redirect(req, hall_flow_url(req, "?project=%s%s", p->code, link_suffix(req)));
    return 1;
}

/* ---- signed entry links from partner platforms (Hunan) ----------------------- */

static int
param_cmp(const void *a, const void *b)
{
    return strcmp((*(const struct hall_param *const *)a)->name,
                  (*(const struct hall_param *const *)b)->name);
}

/*
 * The partner signs "k1=v1&k2=v2..." — every query parameter but sign,
 * sorted by name, names and values percent-encoded (UTF-8 bytes; only
 * A-Z a-z 0-9 - _ . ~ stay as they are, hex digits upper case) — with
 * HMAC-SHA256 under its link_secret, hex in "sign".  Encoding makes the
 * string unambiguous: a value can no longer hold "&name=" of another
 * parameter.  A parameter given twice is refused.  docs/partners.md.
 */
static int
link_verify(struct hall_req *req, const char *secret, const char **why)
{
    struct hall_param *p, *list[32];
    const char *sign = NULL, *ts = NULL;
    struct hall_buf *canon = hall_buf_new(req->pool, 16384);
    unsigned char mac[32];
    size_t n = 0, i;
    char *end;
    long long t;

    for (p = req->qparams; p != NULL; p = p->next) {
        if (strcmp(p->name, "sign") == 0) {
            if (sign != NULL) {
                *why = "链接参数重复";
                return HALL_ERR;
            }
            sign = p->value;
            continue;
        }
        if (n == sizeof(list) / sizeof(list[0])) {
            *why = "链接参数过多";
            return HALL_ERR;
        }
        list[n++] = p;
        if (strcmp(p->name, "ts") == 0)
            ts = p->value;
    }
    if (sign == NULL || ts == NULL) {
        *why = "链接缺少签名，请从合作平台重新进入";
        return HALL_ERR;
    }
    qsort(list, n, sizeof(list[0]), param_cmp);
    for (i = 0; i < n; i++) {
        if (i > 0 && strcmp(list[i]->name, list[i - 1]->name) == 0) {
            *why = "链接参数重复";
            return HALL_ERR;
        }
        if (hall_buf_printf(canon, "%s%s=%s", i > 0 ? "&" : "",
                            hall_url_encode(req->pool, list[i]->name),
                            hall_url_encode(req->pool, list[i]->value)) != HALL_OK) {
            *why = "链接过长";
            return HALL_ERR;
        }
    }
    hall_hmac_sha256(secret, strlen(secret), canon->data != NULL ? canon->data : "", canon->len,
                     mac);
    if (strlen(sign) != 64 || !hall_ct_equal(hall_hex(req->pool, mac, 32), sign, 64)) {
        *why = "链接签名无效，请从合作平台重新进入";
        return HALL_ERR;
    }
    t = strtoll(ts, &end, 10);
    if (*end != '\0' || llabs((long long)time(NULL) - t) > LINK_WINDOW_S) {
        *why = "链接已过期，请返回合作平台重新进入";
        return HALL_ERR;
    }
    return HALL_OK;
}

/* GET /<partner>/F/entry?...&sign=: check, keep the data, send to login */
static int
link_entry(struct hall_req *req)
{
    const char *why = NULL, *nonce = hall_req_query(req, "nonce");
    const char *type = hall_req_query(req, "cert_type");
    struct hall_dbres *res;
    struct hall_val *pre;
    unsigned char tok[32], hash[32], *enc;
    const char *ticket, *json, *next;
    size_t jlen, elen;
    static const char *const keep[] = {"org_name", "org_id", "name", "ric",
                                       "mobile",   "email",  NULL};
    int i;

    if (req->partner[0] == '\0')
        return hall_msg(req, HALL_M_PAGE_NOT_FOUND, NULL);
    res = hall_db_exec(req->cx, "flow_partner_secret", HALL_STR(req->partner));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0 || hall_dbres_str(res, 0, "link_secret") == NULL)
        return hall_msg(req, HALL_M_LINK_NOT_OPEN, NULL);
    if (link_verify(req, hall_dbres_str(res, 0, "link_secret"), &why) != HALL_OK) {
        hall_warn(req, "msg=\"partner link refused\" partner=%s why=\"%s\"", req->partner, why);
        return hall_msg(req, HALL_M_LINK_REFUSED, "sign", why);
    }
    if (nonce == NULL || strlen(nonce) < 8 || strlen(nonce) > 64)
        return hall_msg(req, HALL_M_LINK_NONCE, "nonce");
    if (type == NULL || (strcmp(type, "org") != 0 && strcmp(type, "person") != 0))
        return hall_msg(req, HALL_M_LINK_CERT_TYPE, "cert_type");
    pre = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, pre, "cert_type", type);
    for (i = 0; keep[i] != NULL; i++) {
        const char *v = hall_req_query(req, keep[i]);

        if (v != NULL && strlen(v) <= 200 && hall_valid_utf8(v, strlen(v)) == HALL_OK)
            hall_val_set_str(req->pool, pre, keep[i], v);
    }
    json = hall_val_json(req->pool, pre, &jlen);
    enc = json != NULL ? hall_pii_encrypt(req->pool, json, jlen, &elen) : NULL;
    if (enc == NULL || hall_rand_bytes(tok, sizeof(tok)) != HALL_OK)
        return HALL_ERR;
    ticket = hall_b64url(req->pool, tok, sizeof(tok));
    hall_sha256(ticket, strlen(ticket), hash);
    res = hall_db_exec(req->cx, "flow_link_insert", HALL_STR(req->partner), HALL_STR(nonce),
                       HALL_BIN(hash, 32), HALL_BIN(enc, elen));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_LINK_USED, "nonce");
    next = hall_flow_url(req, "?project=%s&link=%s", req->partner, ticket);
    if (req->user_id != 0)
        return hall_resp_redirect(req, next);
    return hall_resp_redirect(req, hall_psprintf(req->pool, "%s/login?next=%s", hall_req_base(req),
                                                 hall_url_encode(req->pool, next)));
}

struct hall_val *
hall_flow_link_prefill(struct hall_req *req, const char *partner)
{
    const char *ticket = hall_req_param(req, "link");
    unsigned char hash[32], *enc;
    struct hall_dbres *res;
    size_t len;
    char *plain, err[64];

    if (ticket == NULL || strlen(ticket) != 43)
        return NULL;
    hall_sha256(ticket, strlen(ticket), hash);
    res = hall_db_exec(req->cx, "flow_link_claim", HALL_BIN(hash, 32), HALL_I64(req->user_id),
                       HALL_STR(partner));
    if (res == NULL || hall_dbres_rows(res) == 0 || !hall_dbres_bool(res, 0, "mine"))
        return NULL;
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "prefill_enc"), &len);
    plain = enc != NULL ? hall_pii_decrypt(req->pool, enc, len) : NULL;
    return plain != NULL ? hall_val_parse(req->pool, plain, strlen(plain), err, sizeof(err)) : NULL;
}

/* ---- 选择应用 + 录入信息 ------------------------------------------------------------- */

struct hall_dbres *
hall_flow_products(struct hall_req *req, const struct hall_partner *p)
{
    return hall_db_ref(req->cx, "flow_products_list", HALL_STR(p->code), HALL_STR(flow->business));
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

/* the products with their price tables (core/biz/price.c) and the selected
 * product's price for the choices on the page, for the label without JS */
static void
products_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *prods,
             const char *cur_type, int seal_offered, long years, int seal)
{
    struct hall_val *list = hall_val_set_list(req->pool, ctx, "products");
    int i, j, n = hall_dbres_rows(prods);

    for (i = 0; i < n; i++) {
        struct hall_val *o;
        const char *type = hall_dbres_str(prods, i, "cert_type");
        struct hall_val *parts;
        char err[64];
        const char *b = hall_dbres_str(prods, i, "breakdown");
        const struct hall_val *m;
        const char *txt = "";
        struct hall_price pr = hall_flow_product_price(prods, i);
        int sel = cur_type != NULL ? strcmp(cur_type, type) == 0 : i == 0;
        const char *table;

        /* a type sold on both hierarchies is one choice of type; its
         * algorithm is the form's 证书算法 (hall_flow_ca_ctx) */
        for (j = 0; j < i; j++)
            if (strcmp(hall_dbres_str(prods, j, "cert_type"), type) == 0)
                break;
        if (j < i)
            continue;
        o = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, o, "cert_type", type);
        hall_val_set_str(req->pool, o, "name", hall_dbres_str(prods, i, "name"));
        table = hall_val_json(
            req->pool,
            hall_price_table(req->pool, &pr, (int)hall_dbres_int(prods, i, "min_years"),
                             (int)hall_dbres_int(prods, i, "max_years"), seal_offered),
            NULL);
        hall_val_set_str(req->pool, o, "prices", table != NULL ? table : "{}");
        if (sel) {
            int64_t fen = hall_price_cert(&pr, (int)years, seal_offered && seal);

            hall_val_set_str(req->pool, ctx, "price_total", hall_yuan(req->pool, fen));
            hall_val_set_int(req->pool, ctx, "price_total_fen", fen);
        }
        hall_val_set_bool(req->pool, o, "selected", sel);
        parts = hall_val_parse(req->pool, b, strlen(b), err, sizeof(err));
        for (m = parts != NULL ? parts->first : NULL; m != NULL; m = m->next)
            txt = hall_psprintf(req->pool, "%s%s%s%lld", txt, *txt ? "，" : "", m->key,
                                (long long)(m->i / 100));
        hall_val_set_str(req->pool, o, "breakdown", txt);
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

    products_ctx(req, ctx, prods, cur_type, p->seal_offered, years, seal);
    {
        /* 证书算法 where the partner sells on both hierarchies (products.ca,
         * sql/114): ECDSA unless the form chose SM2 */
        const char *ca = hall_form_str(form, "ca");
        int i, ecc = 0, sm2 = 0;

        for (i = 0; i < hall_dbres_rows(prods); i++) {
            if (strcmp(hall_dbres_str(prods, i, "ca"), "sm2") == 0)
                sm2 = 1;
            else
                ecc = 1;
        }
        hall_val_set_bool(req->pool, ctx, "ca_choice", ecc && sm2);
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
        const char *c, *chosen = hall_form_str(form, "carrier");
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
                      strcmp(hall_form_str(form, "shipping"), "prepaid") == 0);
    hall_val_set_bool(req->pool, ctx, "invoice_no",
                      strcmp(hall_form_str(form, "invoice"), "no") == 0);
    hall_val_set_bool(req->pool, ctx, "title_person",
                      strcmp(hall_form_str(form, "invoice_title_type"), "person") == 0);
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

static int
in_groups(const char *group)
{
    const char *const *g;

    for (g = flow->groups; g != NULL && *g != NULL; g++)
        if (strcmp(*g, group) == 0)
            return 1;
    return 0;
}

void
hall_flow_fields_check(struct hall_req *req, unsigned bits, struct hall_val *form,
                       struct hall_errors *e)
{
    const struct hall_field *f;

    for (f = hall_fields; f->name != NULL; f++) {
        const char *out, *note, *msg;

        if ((f->flags & (HALL_FF_HALL | HALL_FF_PARAM)) || !in_groups(f->group) ||
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
        codes[i] = hall_form_str(form, name);
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
    const char *inv = hall_req_param(req, "invoice");

    if (in_groups("invoice") && inv != NULL && strcmp(inv, "yes") == 0) {
        const char *tt = hall_req_param(req, "invoice_title_type");

        if (tt == NULL || *tt == '\0')
            hall_msg_add(req, e, HALL_M_INVOICE_TITLE_TYPE, "invoice_title_type");
        else
            hall_val_set_str(req->pool, form, "invoice_title_type", tt);
        if (*hall_form_str(form, "invoice_title") == '\0' && !has_error(e, "invoice_title"))
            hall_msg_add(req, e, HALL_M_INVOICE_TITLE, "invoice_title");
        /* organisations need the taxpayer ID on an e-invoice to claim it */
        if (tt != NULL && strcmp(tt, "org") == 0 && *hall_form_str(form, "invoice_taxid") == '\0' &&
            !has_error(e, "invoice_taxid"))
            hall_msg_add(req, e, HALL_M_INVOICE_TAXID, "invoice_taxid");
    } else if (in_groups("invoice")) {
        hall_val_set_str(req->pool, form, "invoice_title", "");
        hall_val_set_str(req->pool, form, "invoice_taxid", "");
    }
    if ((bits & HALL_T_UNIT) && in_groups("bank")) {
        /* seeds 001/004: the basic account belongs to the unit itself */
        if (!has_error(e, "bank_account_name") && !has_error(e, "org_name") &&
            strcmp(hall_form_str(form, "bank_account_name"), hall_form_str(form, "org_name")) != 0)
            hall_msg_add(req, e, HALL_M_BANK_NAME_MISMATCH, "bank_account_name");
        if (in_groups("unit") && hall_flow_divisions_check(req, form, "unit", 0, e) != HALL_OK)
            return HALL_ERR;
        if (hall_finauth_bank_check(req, form, e) != HALL_OK)
            return HALL_ERR;
    } else if ((bits & HALL_T_UNIT) && in_groups("unit")) {
        if (hall_flow_divisions_check(req, form, "unit", 0, e) != HALL_OK)
            return HALL_ERR;
    }
    if (in_groups("mail") && hall_flow_divisions_check(req, form, "mail", 1, e) != HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}

/* the three values the carrier is asked about: the agent's, or the
 * applicant's for natural persons */
static void
carrier_triple(struct hall_req *req, const struct hall_val *form, unsigned bits, const char *v[3])
{
    const char *p = (bits & HALL_T_UNIT) ? "agent" : "app";

    v[0] = hall_form_str(form, hall_psprintf(req->pool, "%s_name", p));
    v[1] = hall_form_str(form, hall_psprintf(req->pool, "%s_ric", p));
    v[2] = hall_form_str(form, hall_psprintf(req->pool, "%s_mobile", p));
}

/* what a passed check is kept under (sql/087): the HMAC of the three,
 * each ended by a NUL, so that no two triples share a key */
static void
triple_key(struct hall_req *req, const char *const v[3], unsigned char key[32])
{
    size_t n[3];
    char *buf;

    n[0] = strlen(v[0]) + 1;
    n[1] = strlen(v[1]) + 1;
    n[2] = strlen(v[2]) + 1;
    buf = hall_palloc(req->pool, n[0] + n[1] + n[2]);
    memcpy(buf, v[0], n[0]);
    memcpy(buf + n[0], v[1], n[1]);
    memcpy(buf + n[0] + n[1], v[2], n[2]);
    hall_mac("carrier-pass", buf, n[0] + n[1] + n[2], key);
}

static void
carrier_key(struct hall_req *req, const struct hall_val *form, unsigned bits, unsigned char key[32])
{
    const char *v[3];

    carrier_triple(req, form, bits, v);
    triple_key(req, v, key);
}

/*
 * What flow_session_load read with the session for this request: the cap's
 * count and the pass of the key of the three values as sent (before the
 * field checks normalise them; hall_flow_submit_pre uses it only when the
 * checked values give the same key).  Or, late: the session left to the
 * save (.apply_one_trip), with the key of the checked values and the type's
 * bits kept by hall_flow_submit_pre.
 */
static struct {
    const struct hall_req *req;
    const char *request_id;
    unsigned char key[32];
    int64_t n;
    const char *passed;
    int late;
    unsigned char hash[32];
    unsigned bits;
} pre;

/* flow_session_order as sent while the upload's file streamed in
 * (flow_at_file): for which request and order id */
static struct {
    const struct hall_req *req;
    const char *request_id;
    int64_t id;
} sent_order;

static int
upload_route(const struct hall_req *req)
{
    const char *path = req->route->path;
    size_t len = strlen(path);

    return req->request_id != NULL && strcmp(req->method, "POST") == 0 && len >= 7 &&
           strcmp(path + len - 7, "/upload") == 0;
}

/*
 * An upload's first file begins: the session and the order of the id sent
 * before it (the upload page and bench/run send id and kind first) are
 * asked for now, and read once the body is in (session_order_load).  A
 * read only: whether the request may write anything is decided after, as
 * before.  Takes the server's part of that round trip off the upload's path.
 */
static void
flow_at_file(struct hall_req *req)
{
    const unsigned char *hash;
    int64_t id;

    sent_order.req = NULL;
    if (!upload_route(req) || hall_req_param_i64(req, "id", &id) != HALL_OK || id <= 0)
        return;
    hash = hall_session_token(req);
    if (hash == NULL ||
        hall_db_send(req->cx, "flow_session_order", HALL_BIN(hash, 32), HALL_I64(id)) != HALL_OK)
        return;
    sent_order.req = req;
    sent_order.request_id = req->request_id;
    sent_order.id = id;
}

/* the session and the order of the request's id in one round trip */
static int
session_order_load(struct hall_req *req)
{
    const unsigned char *hash = hall_session_token(req);
    struct hall_dbres *res = NULL;
    int64_t id;

    if (hash == NULL)
        return HALL_OK;
    if (hall_req_param_i64(req, "id", &id) != HALL_OK || id <= 0)
        return hall_session_load(req);
    /* sent while the file streamed in, for this id (the body's whole
     * parameters can only repeat it, never replace it: the first wins) */
    if (sent_order.req == req && sent_order.request_id == req->request_id && sent_order.id == id)
        res = hall_db_recv(req->cx);
    sent_order.req = NULL;
    if (res == NULL)
        res = hall_db_exec(req->cx, "flow_session_order", HALL_BIN(hash, 32), HALL_I64(id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK;
    if (hall_session_accept(req, hash, hall_dbres_int(res, 0, "s_user_id"),
                            hall_dbres_str(res, 0, "s_partner"), hall_dbres_str(res, 0, "s_who"),
                            hall_dbres_bool(res, 0, "s_stale")) != HALL_OK)
        return HALL_ERR;
    pre_order.req = req;
    pre_order.request_id = req->request_id;
    pre_order.id = id;
    pre_order.res = res;
    return HALL_OK;
}

static int
pre_late(const struct hall_req *req)
{
    return pre.late && pre.req == req && pre.request_id == req->request_id;
}

static int
flow_session_load(struct hall_req *req)
{
    long keep = req->app->conf.carrier_pass_keep_s;
    const unsigned char *hash;
    const char *v[3], *p, *path = req->route->path;
    size_t len = strlen(path);
    unsigned char key[32];
    struct hall_dbres *res;

    pre.req = NULL;
    pre.late = 0;
    pre_order.req = NULL;
    /* an upload (POST <flow>/upload): the order with the session */
    if (upload_route(req))
        return session_order_load(req);
    /* the information entry's submit (POST <flow>/apply) */
    if (keep == 0 || req->request_id == NULL || strcmp(req->method, "POST") != 0 || len < 6 ||
        strcmp(path + len - 6, "/apply") != 0)
        return hall_session_load(req);
    hash = hall_session_token(req);
    if (hash == NULL)
        return HALL_OK;
    p = hall_req_param(req, "id");
    if (flow->apply_one_trip && (p == NULL || *p == '\0') && hall_req_wants_json(req)) {
        /* read by the save; until then the cookie stands for the session
         * (the form token is checked against it, as for a session read) */
        pre.req = req;
        pre.request_id = req->request_id;
        pre.late = 1;
        memcpy(pre.hash, hash, 32);
        return hall_session_accept(req, hash, HALL_USER_LATE, "", "", 0);
    }
    p = (hall_cert_type_bit(hall_req_param(req, "cert_type")) & HALL_T_UNIT) ? "agent" : "app";
    v[0] = hall_req_param(req, hall_psprintf(req->pool, "%s_name", p));
    v[1] = hall_req_param(req, hall_psprintf(req->pool, "%s_ric", p));
    v[2] = hall_req_param(req, hall_psprintf(req->pool, "%s_mobile", p));
    if (v[0] == NULL || v[1] == NULL || v[2] == NULL)
        return hall_session_load(req);
    triple_key(req, v, key);
    res = hall_db_exec(req->cx, "flow_session_pre", HALL_BIN(hash, 32), HALL_BIN(key, 32),
                       HALL_I64(keep));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK;
    if (hall_session_accept(req, hash, hall_dbres_int(res, 0, "user_id"),
                            hall_dbres_str(res, 0, "partner_code"), hall_dbres_str(res, 0, "who"),
                            hall_dbres_bool(res, 0, "stale")) != HALL_OK)
        return HALL_ERR;
    pre.req = req;
    pre.request_id = req->request_id;
    memcpy(pre.key, key, 32);
    pre.n = hall_dbres_int(res, 0, "n");
    pre.passed = hall_dbres_str(res, 0, "passed");
    return HALL_OK;
}

int
hall_flow_submit_pre(struct hall_req *req, const struct hall_val *form, unsigned bits,
                     int new_order, int *passed)
{
    long keep = req->app->conf.carrier_pass_keep_s;
    unsigned char key[32];
    struct hall_dbres *res;
    const char *at;
    int64_t n;

    *passed = 0;
    if (keep == 0)
        return new_order ? hall_flow_orders_cap(req, 0) : HALL_OK;
    carrier_key(req, form, bits, key);
    if (pre_late(req)) {
        /* the save asks for the pass and the cap, and for the carrier
         * when there is no pass (hall_flow_order_save) */
        memcpy(pre.key, key, 32);
        pre.bits = bits;
        *passed = 1;
        return HALL_OK;
    }
    if (pre.req == req && pre.request_id == req->request_id && memcmp(pre.key, key, 32) == 0) {
        /* read with the session (flow_session_load) */
        n = pre.n;
        at = pre.passed;
    } else {
        res = hall_db_exec(req->cx, "flow_submit_pre", HALL_I64(req->user_id), HALL_BIN(key, 32),
                           HALL_I64(keep));
        if (res == NULL)
            return HALL_ERR;
        n = hall_dbres_int(res, 0, "n");
        at = hall_dbres_str(res, 0, "passed");
    }
    pre.req = NULL;
    if (new_order && n >= req->app->conf.draft_daily_max) {
        hall_msg(req, HALL_M_DRAFT_CAP, NULL, req->app->conf.draft_daily_max);
        return HALL_ERR;
    }
    if (*at != '\0') {
        *passed = 1;
        hall_info(req, "msg=\"carrier check passed earlier\" passed_at=\"%s\"", at);
    }
    return HALL_OK;
}

/*
 * 实名电信认证: the carrier must know the phone under this name and ID
 * number (the agent's, or the applicant's for natural persons).  A pass is
 * kept for the applicant (carrier_pass_keep_s, sql/087); a mismatch never.
 */
int
hall_flow_carrier_check(struct hall_req *req, const struct hall_val *form, unsigned bits)
{
    const char *p = (bits & HALL_T_UNIT) ? "agent" : "app";
    const char *label = (bits & HALL_T_UNIT) ? "经办人" : "申请人";
    struct hall_val *body = hall_val_obj(req->pool), *r;
    const struct hall_val *match;
    const char *v[3];

    carrier_triple(req, form, bits, v);
    hall_val_set_str(req->pool, body, "name", v[0]);
    hall_val_set_str(req->pool, body, "id_number", v[1]);
    hall_val_set_str(req->pool, body, "phone", v[2]);
    r = hall_provider_call(req, "/carrier/verify", body, NULL);
    if (r == NULL) {
        hall_resp_provider(req, "实名电信认证");
        return HALL_ERR;
    }
    match = hall_val_get(r, "match");
    if (match == NULL || match->type != HALL_V_BOOL || match->i == 0) {
        hall_msg(req, HALL_M_CARRIER_MISMATCH, hall_psprintf(req->pool, "%s_mobile", p), label);
        return HALL_ERR;
    }
    if (req->app->conf.carrier_pass_keep_s > 0) {
        unsigned char key[32];

        carrier_key(req, form, bits, key);
        if (hall_db_exec(req->cx, "flow_carrier_pass_keep", HALL_I64(req->user_id),
                         HALL_BIN(key, 32),
                         req->request_id != NULL ? HALL_STR(req->request_id) : HALL_NULLP) == NULL)
            return HALL_ERR;
    }
    return HALL_OK;
}

/*
 * At most draft_daily_max new orders per applicant and day (a script making
 * thousands of drafts, each with a carrier check, stops here).  Inside the
 * insert's transaction (locked) it is exact; before it, a cheap early
 * refusal that spares the provider calls.
 */
int
hall_flow_orders_cap(struct hall_req *req, int locked)
{
    struct hall_dbres *res;

    if (locked && hall_db_exec(req->cx, "flow_user_lock", HALL_I64(req->user_id)) == NULL)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "flow_orders_today", HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_int(res, 0, "n") >= req->app->conf.draft_daily_max) {
        hall_msg(req, HALL_M_DRAFT_CAP, NULL, req->app->conf.draft_daily_max);
        return HALL_ERR;
    }
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
        return HALL_ERR;
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

/* a new order's apply is keyed (its submit_key, hall_flow_submit_open):
 * sent again after a lost connection, it finds the order it stored */
#define APPLY_EXEC(keyed, ...)                                                                     \
    ((keyed) ? hall_db_exec_keyed(__VA_ARGS__) : hall_db_exec(__VA_ARGS__))

/* the apply transaction (the order row, its revision, the audit) */
int
hall_flow_order_save(struct hall_req *req, const struct hall_flow_save *s)
{
    const struct hall_business *b = hall_business_get(flow->business);
    struct hall_dbres *res;
    const char *json, *order_no, *at;
    unsigned char *enc;
    size_t elen, jlen;
    int64_t order_id, rev;
    const char *outcome;

    json = hall_val_json(req->pool, s->form, &jlen);
    if (json == NULL)
        return HALL_ERR;
    enc = hall_pii_encrypt(req->pool, json, jlen, &elen);
    if (enc == NULL)
        return HALL_ERR;

    res = NULL;
    if (pre_late(req)) {
        pre.late = 0;
        if (s->o != NULL || s->also != NULL) {
            hall_err(req, "msg=\"late session with an edit or rows of the flow's own\"");
            return HALL_ERR;
        }
        /* one round trip: the session and the carrier pass, then the apply
         * (sql/109_apply_key_first.sql) */
        res = APPLY_EXEC(
            s->submit_key != NULL, req->cx, "flow_order_apply_session", HALL_BIN(pre.hash, 32),
            HALL_BIN(pre.key, 32), HALL_I64(req->app->conf.carrier_pass_keep_s),
            HALL_I64(req->app->conf.session_idle_s), HALL_STR(s->partner), HALL_I64(s->product_id),
            HALL_STR(s->cert_type), HALL_I64(s->years), HALL_STR(s->seal ? "t" : "f"),
            HALL_STR(s->subject), HALL_I64(s->cert_fen), HALL_I64(s->ship_fen), HALL_BIN(enc, elen),
            s->submit_key != NULL ? HALL_STR(s->submit_key) : HALL_NULLP,
            HALL_I64(req->app->conf.draft_daily_max),
            req->remote_addr != NULL ? HALL_STR(req->remote_addr) : HALL_NULLP,
            req->request_id != NULL ? HALL_STR(req->request_id) : HALL_NULLP, HALL_STR(b->code),
            HALL_STR(b->prefix));
        if (res == NULL || hall_dbres_rows(res) != 1)
            return HALL_ERR;
        outcome = hall_dbres_str(res, 0, "outcome");
        if (strcmp(outcome, "nosession") == 0) {
            req->session = NULL;
            req->user_id = 0;
            return hall_resp_login(req);
        }
        /* its idle deadline moved in the call already */
        if (hall_session_accept(req, pre.hash, hall_dbres_int(res, 0, "user_id"),
                                hall_dbres_str(res, 0, "partner_code"),
                                hall_dbres_str(res, 0, "who"), 0) != HALL_OK)
            return HALL_ERR;
        at = hall_dbres_str(res, 0, "passed"); /* NULL: no pass */
        if (at != NULL)
            hall_info(req, "msg=\"carrier check passed earlier\" passed_at=\"%s\"", at);
        if (strcmp(outcome, "carrier") == 0) {
            if (hall_flow_carrier_check(req, s->form, pre.bits) != HALL_OK)
                return HALL_OK;
            res = NULL;
        }
    }
    /* one round trip (sql/109_apply_key_first.sql: the user's lock, the daily cap,
     * the keyed INSERT or the edit, the audit row, the revision); a flow
     * with rows of its own writes them in the same transaction */
    if (res == NULL && s->also != NULL && hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    if (res == NULL)
        res = APPLY_EXEC(s->o == NULL && s->submit_key != NULL, req->cx, "flow_order_apply",
                         s->o != NULL ? HALL_I64(hall_dbres_int(s->o, 0, "id")) : HALL_NULLP,
                         HALL_I64(req->user_id), HALL_STR(s->partner), HALL_I64(s->product_id),
                         HALL_STR(s->cert_type), HALL_I64(s->years), HALL_STR(s->seal ? "t" : "f"),
                         HALL_STR(s->subject), HALL_I64(s->cert_fen), HALL_I64(s->ship_fen),
                         HALL_BIN(enc, elen),
                         s->submit_key != NULL ? HALL_STR(s->submit_key) : HALL_NULLP,
                         HALL_I64(req->app->conf.draft_daily_max),
                         req->remote_addr != NULL ? HALL_STR(req->remote_addr) : HALL_NULLP,
                         req->request_id != NULL ? HALL_STR(req->request_id) : HALL_NULLP,
                         HALL_STR(b->code), HALL_STR(b->prefix));
    if (res == NULL || hall_dbres_rows(res) != 1)
        return HALL_ERR;
    outcome = hall_dbres_str(res, 0, "outcome");
    if (strcmp(outcome, "capped") == 0)
        return hall_msg(req, HALL_M_DRAFT_CAP, NULL, req->app->conf.draft_daily_max);
    if (strcmp(outcome, "locked") == 0)
        return hall_msg(req, HALL_M_ORDER_LOCKED, NULL);
    order_id = hall_dbres_int(res, 0, "order_id");
    order_no = hall_dbres_str(res, 0, "order_no");
    if (strcmp(outcome, "again") == 0) {
        /* this form was submitted before: the order it made, unchanged */
        if (s->also != NULL && hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        hall_info(req, "msg=\"form submitted again\" order=%s", order_no);
        return hall_resp_go(req, hall_flow_url(req, "/print?id=%lld", (long long)order_id), NULL);
    }
    rev = hall_dbres_int(res, 0, "rev");
    if (s->also != NULL) {
        if (s->also(req, order_id, s->arg) != HALL_OK)
            return req->responded ? HALL_OK : HALL_ERR;
        if (hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        if (s->committed != NULL)
            s->committed(req, order_id, s->arg);
    }
    hall_info(req, "msg=\"order saved\" order=%s rev=%lld", order_no, (long long)rev);
    return hall_resp_go(req, hall_flow_url(req, "/print?id=%lld", (long long)order_id), NULL);
}

/* ---- 打印申请表 ---------------------------------------------------------------- */

/* "sections": the flow's groups for the certificate type, each with the
 * rows of the catalogue's printed fields (label, value in words) */
static void
print_sections(struct hall_req *req, struct hall_val *ctx, const struct hall_val *form,
               unsigned bit)
{
    struct hall_val *list = hall_val_set_list(req->pool, ctx, "sections");
    const char *const *g;

    for (g = flow->groups; g != NULL && *g != NULL; g++) {
        const struct hall_group *grp = hall_group_get(*g);
        const struct hall_field *fd;
        struct hall_val *sec = NULL, *rows = NULL;

        for (fd = hall_fields; grp != NULL && fd->name != NULL; fd++) {
            struct hall_val *row;

            if (strcmp(fd->group, *g) != 0 || (fd->flags & HALL_FF_NOPRINT) ||
                (fd->types & bit) == 0)
                continue;
            if (sec == NULL) {
                sec = hall_val_push_obj(req->pool, list);
                hall_val_set_str(req->pool, sec, "code", grp->code);
                hall_val_set_str(req->pool, sec, "label", grp->label);
                rows = hall_val_set_list(req->pool, sec, "rows");
            }
            row = hall_val_push_obj(req->pool, rows);
            hall_val_set_str(req->pool, row, "name", fd->name);
            hall_val_set_str(req->pool, row, "label", fd->label);
            hall_val_set_str(req->pool, row, "value", hall_field_text(req->pool, fd, form));
        }
    }
}

int
hall_flow_print_page(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req);
    struct hall_val *form, *ctx;
    struct hall_partner p;

    if (o == NULL)
        return HALL_OK;
    if (hall_flow_partner(req, hall_dbres_str(o, 0, "partner_code"), &p) != HALL_OK)
        return HALL_OK;
    form = hall_flow_form(req, o);
    if (form == NULL)
        return HALL_ERR;
    ctx = hall_flow_print_ctx(req, o, &p, form);
    if (flow->print_more != NULL)
        flow->print_more(req, ctx);
    return hall_resp_page(req, 200, flow->tmpl_print, ctx);
}

struct hall_val *
hall_flow_print_ctx(struct hall_req *req, struct hall_dbres *o, const struct hall_partner *p,
                    const struct hall_val *form)
{
    const char *type = hall_dbres_str(o, 0, "cert_type");
    unsigned bit = hall_cert_type_bit(type);
    struct hall_val *ctx = hall_flow_page(req, "打印申请表", p), *f;

    hall_dbres_set(req->pool, ctx, o, 0, "order_id=id order_no");
    /* the partner's own form title (sql/114: seeds 002, 003) */
    hall_val_set_str(req->pool, ctx, "print_title", p->print_title);
    /* 证书算法 as the form chose it (new: products.ca) */
    hall_val_set_str(req->pool, ctx, "ca_label",
                     strcmp(hall_form_str(form, "ca"), "sm2") == 0 ? "SM2（国密算法）"
                                                                   : "ECDSA（国际算法）");
    hall_val_set_str(req->pool, ctx, "business_sms",
                     hall_business_get(flow->business) != NULL
                         ? hall_business_get(flow->business)->sms
                         : flow->title);
    hall_val_set_str(req->pool, ctx, "cert_type_label", hall_cert_type_label(type));
    hall_val_set_str(req->pool, ctx, "years", hall_dbres_str(o, 0, "years"));
    /* the seal chosen, or included in the product's price (Hunan's 签章费) */
    hall_val_set_bool(req->pool, ctx, "seal", hall_dbres_bool(o, 0, "needs_seal_material"));
    hall_val_set_bool(req->pool, ctx, "seal_included", !hall_dbres_bool(o, 0, "seal"));
    hall_val_set_str(req->pool, ctx, "cert_amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "cert_fen")));
    hall_val_set_str(req->pool, ctx, "shipping_amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "shipping_fen")));
    /* 邮寄费用 of a 到付 parcel: 到付, paid to the carrier, not 0.00元 */
    hall_val_set_bool(req->pool, ctx, "shipping_collect",
                      strcmp(hall_form_str(form, "shipping"), "collect") == 0);
    hall_val_set_str(req->pool, ctx, "amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "amount_fen")));
    hall_val_set_str(req->pool, ctx, "created", hall_dbres_str(o, 0, "created"));
    {
        /* the 委托期限's first day as seed 004 prints it: 自2023年4月28日起 */
        int y, m, d;

        if (sscanf(hall_dbres_str(o, 0, "created"), "%4d-%2d-%2d", &y, &m, &d) == 3)
            hall_val_set_fmt(req->pool, ctx, "created_day", "%d年%d月%d日", y, m, d);
        else
            hall_val_set_str(req->pool, ctx, "created_day", "申请日期");
    }
    hall_val_set_bool(req->pool, ctx, "printed", hall_dbres_bool(o, 0, "printed"));
    hall_val_set_bool(req->pool, ctx, "unit", (bit & HALL_T_UNIT) != 0);
    hall_val_set_bool(req->pool, ctx, "applicant", (bit & HALL_T_APPL) != 0);
    hall_val_set_bool(req->pool, ctx, "person", bit == HALL_T_PERSON);
    hall_flow_form_ctx(req, ctx, form);
    print_sections(req, ctx, form, bit);
    f = (struct hall_val *)hall_val_get(ctx, "f");
    /* the carrier with the way: 顺丰速运到付, 京东快递寄付 */
    hall_val_set_fmt(req->pool, f, "shipping", "%s%s", hall_form_str(form, "carrier"),
                     strcmp(hall_form_str(form, "shipping"), "prepaid") == 0 ? "寄付" : "到付");
    hall_val_set_str(req->pool, f, "invoice",
                     strcmp(hall_form_str(form, "invoice"), "yes") == 0 ? "电子发票" : "不开票");
    hall_flow_steps(req, ctx, "print");
    return ctx;
}

static const struct hall_pspec id_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_printed(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req);
    struct hall_dbres *res;

    if (o == NULL)
        return HALL_OK;
    res = hall_db_exec(req->cx, "flow_order_printed", HALL_I64(hall_dbres_int(o, 0, "id")),
                       HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_ORDER_LOCKED, NULL);
    return hall_resp_go(
        req, hall_flow_url(req, "/upload?id=%lld", (long long)hall_dbres_int(o, 0, "id")), NULL);
}

/* ---- 上传资料 (SPEC step 6) ---------------------------------------------------------- */

static int
material_needed(const struct hall_material *m, struct hall_dbres *o)
{
    const char *const *k;
    int listed = 0;

    for (k = flow->materials; k != NULL && *k != NULL; k++)
        if (strcmp(*k, m->kind) == 0)
            listed = 1;
    return listed && !(m->flags & (HALL_MF_OFFICE | HALL_MF_EACH)) &&
           (m->types & hall_cert_type_bit(hall_dbres_str(o, 0, "cert_type"))) != 0 &&
           (!(m->flags & HALL_MF_SEAL) || hall_dbres_bool(o, 0, "needs_seal_material"));
}

/* the flow's materials, in the flow's order */
static const struct hall_material *
flow_material(int i)
{
    int n;

    for (n = 0; flow->materials != NULL && flow->materials[n] != NULL; n++)
        if (n == i)
            return hall_material_get(flow->materials[n]);
    return NULL;
}

/* the materials order o asks for onto list, as {kind, label} objects in
 * the page's order: the flow's per-person ones first (seed 001: 请优先上传),
 * then its list; HALL_ERR, having answered, when the database fails */
static int
order_materials(struct hall_req *req, struct hall_dbres *o, struct hall_val *list)
{
    const struct hall_material *m;
    int k;

    if (flow->order_materials != NULL && flow->order_materials(req, o, list) != HALL_OK)
        return HALL_ERR;
    for (k = 0; (m = flow_material(k)) != NULL; k++) {
        struct hall_val *v;

        if (!material_needed(m, o))
            continue;
        v = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, v, "kind", m->kind);
        hall_val_set_str(req->pool, v, "label", m->label);
    }
    return HALL_OK;
}

/* the entry of kind in an order_materials list; NULL when not asked */
static struct hall_val *
material_find(struct hall_val *list, const char *kind)
{
    struct hall_val *v;

    for (v = list->first; kind != NULL && v != NULL; v = v->next)
        if (strcmp(hall_form_str(v, "kind"), kind) == 0)
            return v;
    return NULL;
}

/* 上传资料: what each material is, in the seeds' words (seeds 001, 004),
 * and the page that makes it where there is one (模板下载, 打印证书附页) */
static void
material_help(struct hall_req *req, struct hall_val *v, const char *order_id)
{
    static const char real[] = "上传的图片必须真实有效和清晰可见，不得做任何修改。";
    const char *kind = hall_form_str(v, "kind"), *note = NULL;

    if (strcmp(kind, "application") == 0)
        note = "请把打印出来的申请表加盖公章，通过扫描或拍照形成电子图片上传。";
    else if (strcmp(kind, "license") == 0)
        note = "如已更换三合一的新版营业执照，请上传新版营业执照。";
    else if (strcmp(kind, "agent_id") == 0)
        note = "请把经办人身份证复印件，通过扫描或拍照形成电子图片上传。";
    else if (strcmp(kind, "applicant_id") == 0)
        note = "请把申请人身份证复印件，通过扫描或拍照形成电子图片上传。";
    else if (strncmp(kind, "holder_id_", 10) == 0)
        note = "请优先上传：请把该机构个人章持有人的身份证复印件，通过扫描或拍照形成电子图片上传。";
    if (note != NULL) {
        hall_val_set_fmt(req->pool, v, "note", "%s%s", note, real);
        return;
    }
    if (strcmp(kind, "seal_form") == 0) {
        hall_val_set_str(req->pool, v, "note",
                         "点击右方下载电子签章采集表模板，上传电子签章采集表扫描件。"
                         "申请机构签章需要采集公章印模，申请个人签章需要采集个人手写签名。");
        hall_val_set_str(req->pool, v, "link_label", "模板下载");
        hall_val_set_str(
            req->pool, v, "link",
            hall_psprintf(req->pool, "%s/seal/collect-form?id=%s", hall_req_base(req), order_id));
    } else if (strcmp(kind, "cert_attachment") == 0) {
        hall_val_set_str(req->pool, v, "note", "请打印证书附页，加盖公章后扫描上传。");
        hall_val_set_str(req->pool, v, "link_label", "打印证书附页");
        hall_val_set_str(
            req->pool, v, "link",
            hall_psprintf(req->pool, "%s/seal/attachment?id=%s", hall_req_base(req), order_id));
    }
}

static int
upload_page(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req), *files;
    struct hall_val *ctx, *list, *v;
    struct hall_partner p;
    int i, n, all = 1;

    if (o == NULL)
        return HALL_OK;
    if (!hall_flow_editable(o))
        return hall_msg(req, HALL_M_ORDER_LOCKED, NULL);
    if (!hall_dbres_bool(o, 0, "printed"))
        return hall_resp_redirect(req,
                                  hall_flow_url(req, "/print?id=%s", hall_dbres_str(o, 0, "id")));
    if (hall_flow_partner(req, hall_dbres_str(o, 0, "partner_code"), &p) != HALL_OK)
        return HALL_OK;
    files = hall_db_exec(req->cx, "flow_files_list", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (files == NULL)
        return HALL_ERR;
    ctx = hall_flow_page(req, "上传资料", &p);
    hall_dbres_set(req->pool, ctx, o, 0, "order_id=id order_no");
    /* the form these materials were asked for: an upload from this page
     * after another tab saved the form again is refused (do_upload) */
    hall_val_set_str(req->pool, ctx, "form_rev", hall_dbres_str(o, 0, "form_rev"));
    hall_val_set_bool(req->pool, ctx, "unit",
                      (hall_cert_type_bit(hall_dbres_str(o, 0, "cert_type")) & HALL_T_UNIT) != 0);
    list = hall_val_set_list(req->pool, ctx, "materials");
    if (order_materials(req, o, list) != HALL_OK)
        return HALL_OK;
    n = hall_dbres_rows(files);
    for (v = list->first; v != NULL; v = v->next) {
        for (i = 0; i < n; i++)
            if (strcmp(hall_dbres_str(files, i, "kind"), hall_form_str(v, "kind")) == 0) {
                hall_val_set_str(req->pool, v, "file_id", hall_dbres_str(files, i, "id"));
                hall_val_set_str(
                    req->pool, v, "size",
                    hall_psprintf(req->pool, "%lldKB",
                                  (long long)(hall_dbres_int(files, i, "size") + 1023) / 1024));
                hall_val_set_str(req->pool, v, "at", hall_dbres_str(files, i, "at"));
            }
        if (hall_val_get(v, "file_id") == NULL)
            all = 0;
        material_help(req, v, hall_dbres_str(o, 0, "id"));
    }
    hall_val_set_bool(req->pool, ctx, "complete", all);
    hall_val_set_bool(req->pool, ctx, "rejected",
                      strcmp(hall_dbres_str(o, 0, "status"), "rejected") == 0);
    hall_flow_steps(req, ctx, "upload");
    return hall_resp_page(req, 200, "flow_upload", ctx);
}

static const struct hall_pspec upload_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {"kind", HALL_P_TEXT, 0, 1, 32, "资料类型", NULL},
    {"rev", HALL_P_INT, HALL_PF_OPTIONAL, 1, 2147483647L, "表单版本", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_upload(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req), *res;
    const char *kind = hall_req_param(req, "kind");
    struct hall_val *asked = hall_val_set_list(req->pool, hall_val_obj(req->pool), "m"), *m;
    struct hall_stored st;
    const char *err, *oid, *json, *label;
    struct hall_val *v;
    int64_t rev;
    int status, i;

    if (o == NULL)
        return HALL_OK;
    oid = hall_dbres_str(o, 0, "id");
    /* rev: the form_rev of the page the file was chosen on (the upload
     * page sends it); the kinds asked for follow the form, so a file chosen
     * against an older form is not taken.  Without it, the form as read now */
    if (hall_req_param_i64(req, "rev", &rev) != HALL_OK)
        rev = hall_dbres_int(o, 0, "form_rev");
    if (!hall_flow_editable(o))
        return hall_msg(req, HALL_M_ORDER_LOCKED, NULL);
    /* before the kind: a kind of the older form may be gone from this one */
    if (rev != hall_dbres_int(o, 0, "form_rev"))
        return hall_msg(req, HALL_M_UPLOAD_ORDER_EDITED, "file");
    if (order_materials(req, o, asked) != HALL_OK)
        return HALL_OK;
    m = material_find(asked, kind);
    if (m == NULL)
        return hall_msg(req, HALL_M_MATERIAL_NOT_NEEDED, "kind");
    kind = hall_form_str(m, "kind");
    label = hall_form_str(m, "label");
    status = hall_file_store(req->cx, hall_req_upload(req, "file"), hall_file_materials,
                             "jpg、jpeg、bmp、gif、pdf", &st, &err);
    if (status != 0)
        return hall_msg_as(req, status, HALL_M_UPLOAD_REFUSED, "file", label, err);
    /* one upload of this applicant at a time, under a lock of the
     * applicant: the count is exact, and of two uploads of one kind the
     * later one replaces the earlier.  Under the order's lock too, and only
     * if the order is as checked above: still open to change, its form
     * (which decides the kinds asked for) not saved again since */
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "kind", kind);
    hall_val_set_str(req->pool, v, "mime", st.mime);
    json = hall_val_json(req->pool, v, NULL);
    res = hall_db_exec(req->cx, "flow_file_upload", HALL_I64(hall_dbres_int(o, 0, "id")),
                       HALL_I64(req->user_id), HALL_STR(kind), HALL_STR(st.name), HALL_STR(st.mime),
                       HALL_I64((int64_t)st.size), HALL_BIN(st.sha256, 32),
                       HALL_I64(req->app->conf.upload_daily_max), HALL_STR(hall_req_actor(req)),
                       HALL_STR(json), req->remote_addr ? HALL_STR(req->remote_addr) : HALL_NULLP,
                       req->request_id ? HALL_STR(req->request_id) : HALL_NULLP, HALL_I64(rev));
    if (res == NULL || hall_dbres_rows(res) < 1)
        goto fail;
    if (strcmp(hall_dbres_str(res, 0, "outcome"), "stored") != 0) {
        const char *outcome = hall_dbres_str(res, 0, "outcome");

        hall_file_discard(req->cx, st.name);
        if (strcmp(outcome, "capped") == 0)
            return hall_msg(req, HALL_M_UPLOAD_CAP, "file", req->app->conf.upload_daily_max);
        if (strcmp(outcome, "edited") == 0)
            return hall_msg(req, HALL_M_UPLOAD_ORDER_EDITED, "file");
        return hall_msg(req, HALL_M_ORDER_LOCKED, NULL);
    }
    /* committed, the replaced rows marked removed with it: their files go,
     * without the answer waiting for the file system */
    for (i = 0; i < hall_dbres_rows(res); i++)
        hall_file_discard_later(req->cx, hall_dbres_str(res, i, "old_name"));
    hall_val_set_str(req->pool, v, "file_id", hall_dbres_str(res, 0, "file_id"));
    hall_val_set_str(req->pool, v, "message", hall_msg_text(req->pool, HALL_M_UPLOAD_DONE, label));
    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, hall_flow_url(req, "/upload?id=%s", oid));
    return hall_resp_ok(req, v);
fail:
    /* no row points at the file: remove it */
    hall_file_discard(req->cx, st.name);
    return HALL_ERR;
}

void
hall_flow_files_discard(struct hall_req *req, struct hall_dbres *res, const char *id_col,
                        const char *name_col)
{
    struct hall_buf *removed = hall_buf_new(req->pool, 4096);
    int i;

    for (i = 0; i < hall_dbres_rows(res); i++) {
        if (hall_dbres_str(res, i, id_col) == NULL)
            continue;
        hall_file_discard(req->cx, hall_dbres_str(res, i, name_col));
        hall_buf_printf(removed, "%s%s", removed->len == 0 ? "{" : ",",
                        hall_dbres_str(res, i, id_col));
    }
    if (removed->len > 0) {
        hall_buf_addstr(removed, "}");
        (void)hall_db_exec(req->cx, "flow_files_removed", HALL_STR(removed->data));
    }
}

static int
file_download(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *res;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK || id <= 0)
        return hall_msg(req, HALL_M_FILE_NOT_FOUND, NULL);
    res = hall_db_exec(req->cx, "flow_file_get", HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_FILE_NOT_FOUND, NULL);
    return hall_resp_stored(req, hall_dbres_str(res, 0, "stored_name"),
                            hall_dbres_str(res, 0, "mime"),
                            hall_psprintf(req->pool, "%s-%s.%s", hall_dbres_str(res, 0, "order_no"),
                                          hall_dbres_str(res, 0, "kind"),
                                          hall_file_ext(hall_dbres_str(res, 0, "mime"))));
}

static int
do_uploaded(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req), *files;
    struct hall_val *asked = hall_val_set_list(req->pool, hall_val_obj(req->pool), "m"), *m;
    struct hall_errors e = {NULL, NULL, 0, 0};
    const char *oid;
    int i, n;

    if (o == NULL)
        return HALL_OK;
    oid = hall_dbres_str(o, 0, "id");
    if (!hall_flow_editable(o))
        return hall_msg(req, HALL_M_ORDER_NO_SUBMIT, NULL);
    files = hall_db_exec(req->cx, "flow_files_list", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (files == NULL)
        return HALL_ERR;
    if (order_materials(req, o, asked) != HALL_OK)
        return HALL_OK;
    n = hall_dbres_rows(files);
    for (m = asked->first; m != NULL; m = m->next) {
        const char *kind = hall_form_str(m, "kind");
        int have = 0;

        for (i = 0; i < n; i++)
            if (strcmp(hall_dbres_str(files, i, "kind"), kind) == 0)
                have = 1;
        if (!have)
            hall_msg_add(req, &e, HALL_M_UPLOAD_MISSING, kind, hall_form_str(m, "label"));
    }
    if (flow->order_ready != NULL &&
        flow->order_ready(req, hall_dbres_int(o, 0, "id"), &e) != HALL_OK)
        return HALL_ERR;
    if (e.n > 0)
        return hall_resp_errors(req, &e);
    if (strcmp(hall_dbres_str(o, 0, "status"), "rejected") == 0) {
        /* a fixed rejected order goes back to the reviewers (重新提交) */
        struct hall_val *d = hall_val_obj(req->pool);
        int r;

        hall_val_set_int(req->pool, d, "form_rev", hall_dbres_int(o, 0, "form_rev"));
        if (hall_db_begin(req->cx) != HALL_OK)
            return HALL_ERR;
        r = hall_order_move(req->cx, hall_dbres_int(o, 0, "id"), "rejected", "review",
                            hall_req_actor(req), d);
        if (r == HALL_CONFLICT)
            return hall_msg(req, HALL_M_ORDER_NO_SUBMIT, NULL);
        /* again under the order's lock: an edit in another tab since */
        if (r == HALL_OK && flow->order_ready != NULL) {
            struct hall_errors late = {NULL, NULL, 0, 0};

            if (flow->order_ready(req, hall_dbres_int(o, 0, "id"), &late) != HALL_OK)
                return HALL_ERR;
            if (late.n > 0) {
                hall_db_rollback(req->cx);
                return hall_resp_errors(req, &late);
            }
        }
        if (r != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        return hall_resp_go(
            req, hall_psprintf(req->pool, "%s/center/order?id=%s", hall_req_base(req), oid), NULL);
    }
    if (hall_db_exec(req->cx, "flow_order_step", HALL_I64(hall_dbres_int(o, 0, "id")),
                     HALL_STR("print,upload"), HALL_STR("upload")) == NULL)
        return HALL_ERR;
    return hall_resp_go(req, hall_flow_url(req, "/identity?id=%s", oid), NULL);
}

/* 重新提交审核: only a rejected order; the same checks as the upload step */
static int
do_resubmit(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req);

    if (o == NULL)
        return HALL_OK;
    if (strcmp(hall_dbres_str(o, 0, "status"), "rejected") != 0)
        return hall_msg(req, HALL_M_RESUBMIT_REJECTED_ONLY, NULL);
    return do_uploaded(req);
}

/* ---- 经办人在线认证 (SPEC step 7) ------------------------------------------------- */

static const char *
identity_who(const char *cert_type)
{
    return strcmp(cert_type, "person") == 0 ? "applicant" : "agent";
}

static int
identity_page(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req);
    struct hall_val *ctx;
    struct hall_partner p;
    const char *url, *who, *step, *oid;

    if (o == NULL)
        return HALL_OK;
    oid = hall_dbres_str(o, 0, "id");
    step = hall_dbres_str(o, 0, "step");
    if (hall_flow_partner(req, hall_dbres_str(o, 0, "partner_code"), &p) != HALL_OK)
        return HALL_OK;
    ctx = hall_flow_page(req, "在线认证", &p);
    hall_val_set_str(req->pool, ctx, "order_id", oid);
    hall_val_set_str(req->pool, ctx, "order_no", hall_dbres_str(o, 0, "order_no"));
    who = identity_who(hall_dbres_str(o, 0, "cert_type"));
    hall_val_set_str(req->pool, ctx, "who_label", hall_identity_who_label(who));
    hall_flow_steps(req, ctx, "identity");
    if (strcmp(hall_dbres_str(o, 0, "status"), "draft") != 0) {
        /* already verified (or past it): nothing to scan */
        hall_val_set_bool(req->pool, ctx, "passed", 1);
        return hall_resp_page(req, 200, "flow_identity", ctx);
    }
    if (strcmp(step, "upload") != 0 && strcmp(step, "identity") != 0)
        return hall_resp_redirect(req, hall_flow_url(req, "/upload?id=%s", oid));
    /* core/flow/identity.c: a new one-time link, the one shown before stops working */
    url =
        hall_identity_start(req, hall_dbres_int(o, 0, "id"), who, hall_flow_url(req, "/m/verify"));
    if (url == NULL)
        return HALL_ERR;
    hall_val_set_str(req->pool, ctx, "qr_svg", hall_qr_svg(req->pool, url, 4));
    hall_val_set_str(req->pool, ctx, "mobile_url", url);
    return hall_resp_page(req, 200, "flow_identity", ctx);
}

/* polled by the PC page: has the phone finished? */
static int
identity_status(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req);
    struct hall_val *v;
    const char *status, *message;

    if (o == NULL)
        return HALL_OK;
    if (hall_identity_status(req, hall_dbres_int(o, 0, "id"),
                             identity_who(hall_dbres_str(o, 0, "cert_type")), &status,
                             &message) != HALL_OK)
        return HALL_ERR;
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "status", status);
    hall_val_set_str(req->pool, v, "message", message);
    if (strcmp(status, "passed") == 0)
        hall_val_set_str(req->pool, v, "next",
                         hall_psprintf(req->pool, "%s/pay?id=%s", hall_req_base(req),
                                       hall_dbres_str(o, 0, "id")));
    return hall_resp_ok(req, v);
}

/* the phone's check, by the token of its link */
struct check {
    int64_t id, order_id, owner;
    const char *who, *status, *name, *ric;
    long attempts;
};

static int
check_load(struct hall_req *req, struct check *c)
{
    const char *t = hall_req_param(req, "t");
    unsigned char hash[32];
    struct hall_dbres *res;
    struct hall_val *form;
    unsigned char *enc;
    size_t len;
    char *plain, err[64];
    int passed;

    if (t == NULL || strlen(t) != 43 || strspn(t, B64URL) != 43) {
        hall_msg(req, HALL_M_IDENTITY_LINK_BAD, NULL);
        return HALL_ERR;
    }
    hall_sha256(t, strlen(t), hash);
    res = hall_db_exec(req->cx, "flow_identity_by_token", HALL_BIN(hash, 32));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_IDENTITY_LINK_BAD, NULL);
        return HALL_ERR;
    }
    c->id = hall_dbres_int(res, 0, "id");
    c->order_id = hall_dbres_int(res, 0, "order_id");
    c->who = hall_dbres_str(res, 0, "who");
    c->status = hall_dbres_str(res, 0, "status");
    c->attempts = (long)hall_dbres_int(res, 0, "attempts");
    c->owner = hall_dbres_int(res, 0, "user_id");
    c->name = "";
    c->ric = "";
    /* a check that passed stays shown as passed, whatever the order became
     * since; the others: the agent / applicant before payment, the legal
     * person (法人认证, modules/finauth) of an order whose micro-deposits
     * failed */
    passed = strcmp(c->status, "passed") == 0;
    if (!passed && (!hall_dbres_bool(res, 0, "live") || strcmp(c->status, "failed") == 0 ||
                    strcmp(hall_dbres_str(res, 0, "order_status"),
                           strcmp(c->who, "legal") == 0 ? "finauth_failed" : "draft") != 0)) {
        hall_msg(req, HALL_M_IDENTITY_QR_GONE, NULL);
        return HALL_ERR;
    }
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "form_enc"), &len);
    plain = enc != NULL ? hall_pii_decrypt(req->pool, enc, len) : NULL;
    form = plain != NULL ? hall_val_parse(req->pool, plain, strlen(plain), err, sizeof(err)) : NULL;
    if (form == NULL) {
        if (passed)
            return HALL_OK; /* nothing more is asked of it */
        hall_resp_busy(req);
        return HALL_ERR;
    }
    if (strcmp(c->who, "legal") == 0) {
        c->name = hall_form_str(form, "legal_name");
        c->ric = hall_form_str(form, "legal_ric");
    } else {
        c->name = hall_form_str(form, strcmp(c->who, "agent") == 0 ? "agent_name" : "app_name");
        c->ric = hall_form_str(form, strcmp(c->who, "agent") == 0 ? "agent_ric" : "app_ric");
    }
    return HALL_OK;
}

static int
mobile_page(struct hall_req *req)
{
    struct check c;
    struct hall_val *ctx;
    size_t n;

    if (check_load(req, &c) != HALL_OK)
        return HALL_OK;
    if (hall_db_exec(req->cx, "identity_opened", HALL_I64(c.id)) == NULL)
        return HALL_ERR;
    ctx = hall_flow_page(req, "身份认证", NULL);
    hall_val_set_str(req->pool, ctx, "t", hall_req_param(req, "t"));
    hall_val_set_str(req->pool, ctx, "who_label", hall_identity_who_label(c.who));
    /* enough for the person to see it is them, not enough to leak the name */
    n = strlen(c.name);
    hall_val_set_str(req->pool, ctx, "name_masked",
                     hall_psprintf(req->pool, "%.3s%s", c.name, n > 3 ? "**" : ""));
    hall_val_set_bool(req->pool, ctx, "passed", strcmp(c.status, "passed") == 0);
    hall_val_set_bool(req->pool, ctx, "ocr_ok", strcmp(c.status, "ocr_ok") == 0);
    return hall_resp_page(req, 200, "flow_mobile", ctx);
}

/* the upload of a photo as base64 for a provider; NULL after answering */
static const char *
photo_b64(struct hall_req *req, const char *field, const char *label)
{
    const struct hall_upload *up = hall_req_upload(req, field);

    if (up == NULL || up->size == 0) {
        hall_msg(req, HALL_M_PHOTO_MISSING, field, label);
        return NULL;
    }
    return hall_b64url(req->pool, up->data, up->size);
}

static int
identity_fail(struct hall_req *req, struct check *c, const char *field, const char *msg)
{
    /* the failed try is counted and its reason shown on the PC page */
    if (hall_db_begin(req->cx) != HALL_OK ||
        hall_db_exec(req->cx, "flow_identity_set", HALL_I64(c->id), HALL_STR(c->status),
                     HALL_STR(msg), HALL_I64(1)) == NULL ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    return hall_resp_error(req, 400, field, msg);
}

static int
back_to_phone(struct hall_req *req)
{
    return hall_resp_go(req, hall_flow_url(req, "/m/verify?t=%s", hall_req_param(req, "t")), NULL);
}

static int
do_ocr(struct hall_req *req)
{
    struct check c;
    struct hall_val *body, *front, *back;
    const char *fb, *bb, *label;
    const struct hall_val *name, *idno;

    if (check_load(req, &c) != HALL_OK)
        return HALL_OK;
    if (strcmp(c.status, "passed") == 0)
        return back_to_phone(req);
    if (c.attempts >= IDENTITY_MAX_ATTEMPTS)
        return hall_msg(req, HALL_M_IDENTITY_TOO_MANY, NULL);
    fb = photo_b64(req, "front", "身份证人像面照片");
    if (fb == NULL)
        return HALL_OK;
    bb = photo_b64(req, "back", "身份证国徽面照片");
    if (bb == NULL)
        return HALL_OK;
    body = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, body, "side", "front");
    hall_val_set_str(req->pool, body, "image_b64", fb);
    front = hall_provider_call(req, "/ocr/idcard", body, NULL);
    body = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, body, "side", "back");
    hall_val_set_str(req->pool, body, "image_b64", bb);
    back = front != NULL ? hall_provider_call(req, "/ocr/idcard", body, NULL) : NULL;
    if (front == NULL || back == NULL)
        return hall_resp_provider(req, "身份证识别");
    if (hall_val_get(front, "ok") == NULL || hall_val_get(front, "ok")->i == 0)
        return identity_fail(req, &c, "front", hall_msgs[HALL_M_OCR_FRONT].text);
    if (hall_val_get(back, "ok") == NULL || hall_val_get(back, "ok")->i == 0)
        return identity_fail(req, &c, "back", hall_msgs[HALL_M_OCR_BACK].text);
    name = hall_val_get(front, "name");
    idno = hall_val_get(front, "id_number");
    label = hall_identity_who_label(c.who);
    if (name == NULL || name->type != HALL_V_STR || strcmp(name->str, c.name) != 0)
        return identity_fail(req, &c, "front",
                             hall_msg_text(req->pool, HALL_M_OCR_NAME, label, label));
    if (idno == NULL || idno->type != HALL_V_STR || strcasecmp(idno->str, c.ric) != 0)
        return identity_fail(req, &c, "front",
                             hall_msg_text(req->pool, HALL_M_OCR_RIC, label, label));
    if (hall_db_begin(req->cx) != HALL_OK ||
        hall_db_exec(req->cx, "flow_identity_set", HALL_I64(c.id), HALL_STR("ocr_ok"), HALL_NULLP,
                     HALL_I64(0)) == NULL ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    return back_to_phone(req);
}

static int
do_liveness(struct hall_req *req)
{
    struct check c;
    struct hall_val *body, *r;
    const struct hall_val *passed;
    const char *media;
    struct hall_dbres *res;
    int mv;

    if (check_load(req, &c) != HALL_OK)
        return HALL_OK;
    if (strcmp(c.status, "passed") == 0)
        return back_to_phone(req);
    if (strcmp(c.status, "ocr_ok") != 0)
        return hall_msg(req, HALL_M_OCR_FIRST, NULL);
    if (c.attempts >= IDENTITY_MAX_ATTEMPTS)
        return hall_msg(req, HALL_M_IDENTITY_TOO_MANY, NULL);
    media = photo_b64(req, "media", "活体认证视频或照片");
    if (media == NULL)
        return HALL_OK;
    body = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, body, "name", c.name);
    hall_val_set_str(req->pool, body, "id_number", c.ric);
    hall_val_set_str(req->pool, body, "video_b64", media);
    r = hall_provider_call(req, "/liveness/check", body, NULL);
    if (r == NULL)
        return hall_resp_provider(req, "活体认证");
    passed = hall_val_get(r, "passed");
    if (passed == NULL || passed->type != HALL_V_BOOL || passed->i == 0)
        return identity_fail(req, &c, "media", hall_msgs[HALL_M_LIVENESS_FAILED].text);
    /* one transaction: the check passes and the order moves on, or neither */
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "flow_identity_lock", HALL_I64(c.id));
    if (res == NULL)
        return HALL_ERR;
    if (strcmp(hall_dbres_str(res, 0, "status"), "ocr_ok") != 0)
        return hall_msg(req, HALL_M_OCR_FIRST, NULL);
    if (hall_db_exec(req->cx, "flow_identity_set", HALL_I64(c.id), HALL_STR("passed"), HALL_NULLP,
                     HALL_I64(0)) == NULL ||
        hall_db_exec(req->cx, "flow_order_step", HALL_I64(c.order_id), HALL_STR("upload,identity"),
                     HALL_STR("identity")) == NULL)
        return HALL_ERR;
    if (strcmp(c.who, "legal") == 0) {
        /* 法人认证 instead of the micro-deposit: on to the reviewers */
        struct hall_val *d = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, d, "via", "legal_person");
        mv = hall_order_move(req->cx, c.order_id, "finauth_failed", "review",
                             hall_psprintf(req->pool, "user:%lld", (long long)c.owner), d);
    } else {
        /* a zero fee (a partner's free 新办, 解锁's medium waived, ...): the
         * order goes on where a payment would take it (modules/pay): a
         * natural person's order or one replacing a certificate to review,
         * any other its unit's 金融认证 (the micro-deposit proves the
         * account that no payment came from) */
        struct hall_dbres *f = hall_db_exec(req->cx, "flow_order_free", HALL_I64(c.order_id));
        const char *actor = hall_psprintf(req->pool, "user:%lld", (long long)c.owner);

        if (f == NULL || hall_dbres_rows(f) != 1)
            return HALL_ERR;
        if (hall_dbres_bool(f, 0, "free")) {
            int to_review = hall_dbres_bool(f, 0, "to_review");
            struct hall_val *d = hall_val_obj(req->pool);

            hall_val_set_str(req->pool, d, "via", "no_fee");
            mv = hall_order_move(req->cx, c.order_id, "draft",
                                 to_review ? "review" : "finauth_pending", actor, d);
            if (mv == HALL_OK && !to_review && hall_finauth_queue(req, c.order_id) != HALL_OK)
                return HALL_ERR;
        } else
            mv = hall_order_move(req->cx, c.order_id, "draft", "unpaid", actor, NULL);
    }
    if (mv == HALL_CONFLICT)
        return hall_msg(req, HALL_M_IDENTITY_CONFLICT, NULL);
    if (mv == HALL_OK && flow->order_ready != NULL) {
        struct hall_errors e = {NULL, NULL, 0, 0};

        if (flow->order_ready(req, c.order_id, &e) != HALL_OK)
            return HALL_ERR;
        if (e.n > 0) {
            hall_db_rollback(req->cx);
            return hall_resp_errors(req, &e);
        }
    }
    if (mv != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    return back_to_phone(req);
}

static const struct hall_pspec token_params[] = {
    {"t", HALL_P_TEXT, 0, 43, 43, "认证链接", NULL},
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

/* ---- the module ------------------------------------------------------------------ */

/* the kit's routes, below the flow's path */
static const struct hall_route kit_routes[] = {
    {"GET", "", start_page, HALL_R_AUTH, NULL},
    /* a partner's signed redirect: checked before any login */
    {"GET", "/entry", link_entry, 0, NULL},
    {"POST", "/agree", do_agree, HALL_R_AUTH, agree_params},
    {"POST", "/printed", do_printed, HALL_R_AUTH, id_params},
    {"GET", "/upload", upload_page, HALL_R_AUTH, NULL},
    {"POST", "/upload", do_upload, HALL_R_AUTH | HALL_R_MULTIPART | HALL_R_ENCRYPTED,
     upload_params},
    {"GET", "/file", file_download, HALL_R_AUTH, NULL},
    {"POST", "/uploaded", do_uploaded, HALL_R_AUTH, id_params},
    {"POST", "/resubmit", do_resubmit, HALL_R_AUTH, id_params},
    {"GET", "/identity", identity_page, HALL_R_AUTH, NULL},
    {"GET", "/identity/status", identity_status, HALL_R_AUTH, NULL},
    /* the phone is not logged in: the link's token is the credential */
    {"GET", "/m/verify", mobile_page, 0, token_params},
    {"POST", "/m/ocr", do_ocr, HALL_R_MULTIPART | HALL_R_CLEAR, token_params},
    {"POST", "/m/liveness", do_liveness, HALL_R_MULTIPART | HALL_R_CLEAR, token_params},
    {"GET", "/divisions", divisions_json, HALL_R_AUTH, NULL},
    {"GET", "/shipping", shipping_json, HALL_R_AUTH, NULL},
    {"GET", "/banks", banks_json, HALL_R_AUTH, banks_params},
    {NULL, NULL, NULL, 0, NULL},
};

/* a partner's path to a flow it does not sell answers the refusal before
 * any login or form (the generic hall asks the project: checked there) */
static int
flow_gate(struct hall_req *req)
{
    struct hall_dbres *res;

    if (req->partner[0] == '\0')
        return HALL_OK;
    res = hall_db_ref(req->cx, "flow_sold", HALL_STR(req->partner), HALL_STR(flow->business));
    if (res == NULL)
        return HALL_ERR;
    if (!hall_dbres_bool(res, 0, "sold"))
        return hall_msg(req, HALL_M_NO_PRODUCTS, NULL, hall_business_label(flow->business)),
               HALL_ERR;
    return HALL_OK;
}

const struct hall_stmt *const hall_core_stmts[] = {
    hall_store_stmts,    hall_staff_stmts,    hall_metrics_stmts,  hall_pki_stmts,
    hall_order_stmts,    hall_invoice_stmts,  hall_produce_stmts,  hall_sealprod_stmts,
    hall_finauth_stmts,  hall_identity_stmts, hall_reissue_stmts,  hall_replace_stmts,
    hall_reminder_stmts, hall_custody_stmts,  hall_provider_stmts, hall_courier_stmts,
    hall_payment_stmts,  hall_refund_stmts,   hall_approval_stmts, NULL,
};

int
hall_flow_main(int argc, char **argv, const struct hall_flow *f)
{
    static struct hall_module mod;
    struct hall_route *routes;
    struct hall_stmt *stmts;
    size_t nk = 0, nf = 0, ks = 0, fs = 0, i;

    flow = f;
    if (hall_business_get(f->business) == NULL) {
        fprintf(stderr, "hall-%s: business type not in core/flow/catalog.def\n", f->business);
        return HALL_EXIT_CONFIG;
    }
    while (kit_routes[nk].path != NULL)
        nk++;
    while (f->routes != NULL && f->routes[nf].path != NULL)
        nf++;
    while (flow_stmts[ks].name != NULL)
        ks++;
    while (f->stmts != NULL && f->stmts[fs].name != NULL)
        fs++;
    /* process lifetime, like the module's own tables */
    routes = calloc(nk + nf + 1, sizeof(*routes));
    stmts = calloc(ks + fs + 1, sizeof(*stmts));
    if (routes == NULL || stmts == NULL)
        return 1;
    /* the flow's own first: it may answer a path the kit also knows */
    for (i = 0; i < nf; i++)
        routes[i] = f->routes[i];
    for (i = 0; i < nk; i++) {
        char *path;

        routes[nf + i] = kit_routes[i];
        if (asprintf(&path, "/%s%s", f->business, kit_routes[i].path) < 0)
            return 1;
        routes[nf + i].path = path;
    }
    for (i = 0; i < ks; i++)
        stmts[i] = flow_stmts[i];
    for (i = 0; i < fs; i++)
        stmts[ks + i] = f->stmts[i];
    mod.name = f->business;
    mod.routes = routes;
    mod.stmts = stmts;
    mod.init = f->init;
    mod.gate = flow_gate;
    mod.session_load = flow_session_load;
    mod.at_file = flow_at_file;
    mod.core_stmts = hall_core_stmts;
    return hall_main(argc, argv, &mod);
}
