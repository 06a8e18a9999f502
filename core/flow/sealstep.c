/*
 * sealstep.c: 是否办理电子签章, a step of its own for a partner that offers
 * the seal with its certificates (seed 003, 建筑工务署: "3. 选择"是否办理电子
 * 签章",点击"下一步"; (默认为"是")", after the agreements, before the
 * promotion's popup and 录入信息).  The choice is kept in seal_choices
 * (sql/138) for the applicant and partner (order 0: the application not
 * saved yet) or for the saved order the applicant went back from; 录入信息's
 * page and submit read it there (hall_flow_seal_chosen): the price, the
 * 电子签章采集表 and the seal's production follow the step, never a value the
 * form posts.
 *
 *   GET  /F/seal?project=P | ?id=N   the step, with the choice kept (是 by default)
 *   POST /F/seal                     the choice stored, on to 录入信息
 *
 * The flow module declares the two routes (modules/new).  Below them, a
 * seal's kind and name as every page shows them (hall_seal_kind_label,
 * _text, hall_seal_shown_name): in libhall, for the programs that link no
 * cairo (hall-center) as for hall-seal.
 */
#include <stdio.h>
#include <string.h>

#include "flow/flow_int.h"

/* a choice for an application not saved yet is good as long as the
 * agreements it followed (agree.c's AGREE_VALID_S) */
#define CHOICE_VALID_S 86400

const struct hall_stmt flow_sealstep_stmts[] = {
    {"flow_seal_choice_get",
     "SELECT seal FROM seal_choices WHERE user_id = $1 AND partner_code = $2 AND order_id = $3"
     " AND ($3 <> 0 OR chosen_at > now() - make_interval(secs => $4::int))",
     4},
    {"flow_seal_choice_put",
     "INSERT INTO seal_choices (user_id, partner_code, order_id, seal)"
     " VALUES ($1, $2, $3, $4::boolean) ON CONFLICT (user_id, partner_code, order_id)"
     " DO UPDATE SET seal = EXCLUDED.seal, chosen_at = now()",
     4},
    /* the seal's price per year as the partner's products of this flow sell
     * it (products.seal_fee_per_year_fen, never a figure in a template) */
    {"flow_seal_fees",
     "SELECT min(seal_fee_per_year_fen) AS lo, max(seal_fee_per_year_fen) AS hi FROM products"
     " WHERE partner_code = $1 AND business_type = $2 AND active AND seal_fee_per_year_fen > 0",
     2},
    {NULL, NULL, 0},
};

static const char *const seal_values[] = {"yes", "no", NULL};

const struct hall_pspec hall_flow_seal_params[] = {
    {"id", HALL_P_INT, HALL_PF_OPTIONAL, 1, 9000000000000000000L, "业务单号", NULL},
    {"project", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "项目", NULL},
    {"seal", HALL_P_CHOICE, 0, 0, 0, "电子签章办理", seal_values},
    {"link", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 43, "合作平台链接", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

int
hall_flow_seal_chosen(struct hall_req *req, const struct hall_partner *p, int64_t order_id,
                      int *seal)
{
    struct hall_dbres *res;

    res = hall_db_exec(req->cx, "flow_seal_choice_get", HALL_I64(req->user_id), HALL_STR(p->code),
                       HALL_I64(order_id), HALL_I64(CHOICE_VALID_S));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return 0;
    *seal = hall_dbres_bool(res, 0, "seal");
    return 1;
}

static const char *
link_suffix(struct hall_req *req)
{
    const char *link = hall_flow_link_param(req);

    return link != NULL ? hall_psprintf(req->pool, "&link=%s", hall_url_encode(req->pool, link))
                        : "";
}

/* the order of ?id= (editable, the applicant's) or the partner of
 * ?project= with its agreements accepted; *order_id 0 for the latter.
 * HALL_ERR: answered, or the store */
static int
step_open(struct hall_req *req, const char *project, struct hall_partner *p, struct hall_dbres **o,
          int64_t *order_id)
{
    const char *id = hall_req_param(req, "id");
    int rc = hall_flow_step_open(req, id != NULL && *id != '\0' ? id : NULL, project, p, o);

    *order_id = *o != NULL ? hall_dbres_int(*o, 0, "id") : 0;
    return rc;
}

/* GET /F/seal: 办理电子签章, 电子签章办理 是/否 (是 unless chosen otherwise), 下一步 */
int
hall_flow_seal_page(struct hall_req *req)
{
    struct hall_partner p;
    struct hall_dbres *o, *fees;
    struct hall_val *ctx;
    int64_t order_id;
    int seal, r;

    if (step_open(req, hall_req_query(req, "project"), &p, &o, &order_id) != HALL_OK)
        return req->responded ? HALL_OK : HALL_ERR;
    if (!p.seal_offered)
        return hall_resp_redirect(
            req, o != NULL ? hall_flow_url(req, "/apply?id=%lld", (long long)order_id)
                           : hall_flow_url(req, "/apply?project=%s%s", p.code, link_suffix(req)));
    seal = o != NULL ? hall_dbres_bool(o, 0, "seal") : p.seal_default;
    r = hall_flow_seal_chosen(req, &p, order_id, &seal);
    if (r == HALL_ERR)
        return HALL_ERR;
    fees = hall_db_exec(req->cx, "flow_seal_fees", HALL_STR(p.code),
                        HALL_STR(hall_flow_current()->business));
    if (fees == NULL)
        return HALL_ERR;
    ctx = hall_flow_page(req, "申请选择", &p);
    hall_val_set_bool(req->pool, ctx, "seal", seal);
    /* 100元/年, or 50至100元/年 where the products differ */
    if (!hall_dbres_isnull(fees, 0, hall_dbres_col(fees, "lo"))) {
        int64_t lo = hall_dbres_int(fees, 0, "lo"), hi = hall_dbres_int(fees, 0, "hi");

        hall_val_set_str(req->pool, ctx, "seal_fee",
                         lo == hi ? hall_yuan(req->pool, lo)
                                  : hall_psprintf(req->pool, "%s至%s", hall_yuan(req->pool, lo),
                                                  hall_yuan(req->pool, hi)));
    }
    if (o != NULL)
        hall_dbres_set(req->pool, ctx, o, 0, "order_id=id order_no");
    if (hall_flow_link_param(req) != NULL)
        hall_val_set_str(req->pool, ctx, "link", hall_flow_link_param(req));
    hall_flow_steps(req, ctx, "agree");
    return hall_resp_page(req, 200, "flow_seal", ctx);
}

/* POST /F/seal: the choice kept, on to 录入信息 */
int
hall_flow_seal_save(struct hall_req *req)
{
    struct hall_partner p;
    struct hall_dbres *o;
    int64_t order_id;
    int seal = strcmp(hall_req_param(req, "seal"), "yes") == 0;

    if (step_open(req, hall_req_param(req, "project"), &p, &o, &order_id) != HALL_OK)
        return req->responded ? HALL_OK : HALL_ERR;
    if (!p.seal_offered)
        return hall_msg(req, HALL_M_SEAL_NOT_OFFERED, "seal");
    if (hall_db_exec(req->cx, "flow_seal_choice_put", HALL_I64(req->user_id), HALL_STR(p.code),
                     HALL_I64(order_id), HALL_STR(seal ? "t" : "f")) == NULL)
        return HALL_ERR;
    hall_info(req, "msg=\"seal chosen\" partner=%s order=%lld seal=%s", p.code, (long long)order_id,
              seal ? "yes" : "no");
    return hall_resp_go(req,
                        o != NULL
                            ? hall_flow_url(req, "/apply?id=%lld", (long long)order_id)
                            : hall_flow_url(req, "/apply?project=%s%s", p.code, link_suffix(req)),
                        NULL);
}

/* ---- the seals' kinds and names as the pages show them: here, in libhall,
 * for the programs that draw no seal (hall-center) ------------------------ */

const char *
hall_seal_kind_label(enum hall_seal_kind kind)
{
    switch (kind) {
    case HALL_SEAL_ORG: return "机构章";
    case HALL_SEAL_BUSINESS: return "机构业务章";
    case HALL_SEAL_PERSON: return "机构个人章";
    }
    return "";
}

enum hall_seal_kind
hall_seal_kind_of(const char *code)
{
    if (strcmp(code, "org_business") == 0)
        return HALL_SEAL_BUSINESS;
    if (strcmp(code, "org_person") == 0)
        return HALL_SEAL_PERSON;
    return HALL_SEAL_ORG;
}

const char *
hall_seal_kind_text(const char *code)
{
    /* a 个人证书's own seal (kind person, sql/125) */
    if (strcmp(code, "person") == 0)
        return "个人印章";
    return hall_seal_kind_label(hall_seal_kind_of(code));
}

const char *
hall_seal_shown_name(struct hall_ctx *cx, const struct hall_dbres *res, int row)
{
    const struct hall_val *h;

    if (strcmp(hall_dbres_str(res, row, "kind"), "org_person") != 0)
        return hall_dbres_str(res, row, "seal_name");
    h = hall_dbres_pii_json(cx, res, row, hall_dbres_col(res, "holder_enc"));
    return h != NULL ? hall_val_str(h, "name") : "";
}

const char *
hall_seal_kind_code(enum hall_seal_kind kind)
{
    switch (kind) {
    case HALL_SEAL_ORG: return "org";
    case HALL_SEAL_BUSINESS: return "org_business";
    case HALL_SEAL_PERSON: return "org_person";
    }
    return "";
}
