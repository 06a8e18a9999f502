/*
 * agree.c: the flow kit's first page (SPEC step 2): the generic hall's
 * project choice, the agreements with their texts, their acceptance
 * (version, time, IP) and whether a flow's page must send the applicant
 * back to them (hall_flow_agreements_due); the ticket of a partner's link
 * and the serial of a replacing flow, carried from page to page.
 *
 *   GET  /F         project choice (generic hall), then agreements
 *   POST /F/agree   records the acceptances
 */
#include <stdio.h>
#include <string.h>

#include "flow/flow_int.h"

/* an acceptance of the agreements is good for one application session */
#define AGREE_VALID_S 86400

const struct hall_stmt flow_agree_stmts[] = {
    {"flow_projects_list",
     "SELECT p.code, p.name FROM partners p WHERE p.active AND NOT p.requires_project_id"
     " AND p.link_secret_enc IS NULL AND EXISTS (SELECT 1 FROM products r WHERE"
     " r.partner_code = p.code AND r.business_type = $1 AND r.active)"
     " ORDER BY p.code = 'hall' DESC, p.code",
     1},
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
    {NULL, NULL, 0},
};

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
/* 证书介质与密钥 (issue 64 §5, templates/medium_notice.html) on a
 * certificate's flows (not the seals'): 介质遗失补办 and 证书解锁 named as the
 * way only where the channel sells them (揭阳 sells no 证书解锁) */
int
hall_flow_medium_notice(struct hall_req *req, struct hall_val *ctx, const char *partner)
{
    struct hall_dbres *sold = hall_db_ref(req->cx, "partner_flows", HALL_STR(partner));
    int reissue = 0, unlock = 0, i;

    if (sold == NULL)
        return HALL_ERR;
    for (i = 0; i < hall_dbres_rows(sold); i++) {
        reissue |= strcmp(hall_dbres_str(sold, i, "business_type"), "reissue") == 0;
        unlock |= strcmp(hall_dbres_str(sold, i, "business_type"), "unlock") == 0;
    }
    hall_val_set_bool(req->pool, ctx, "medium_notice", 1);
    hall_val_set_bool(req->pool, ctx, "no_reissue", !reissue);
    hall_val_set_bool(req->pool, ctx, "no_unlock", !unlock);
    return HALL_OK;
}

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
        ctx = hall_flow_page(req, hall_flow_current()->title, NULL);
        res = hall_db_ref(req->cx, "flow_projects_list", HALL_STR(hall_flow_current()->business));
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
    ctx = hall_flow_page(req, hall_flow_current()->title, &p);
    res = hall_db_exec(req->cx, "flow_agreements_for", HALL_STR(p.code),
                       HALL_STR(hall_flow_current()->business));
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
                     strcmp(hall_flow_current()->business, "new") == 0 ? p.new_agree_button
                                                                       : "下一步");
    if (strcmp(hall_flow_current()->business, "seal") != 0 &&
        hall_flow_medium_notice(req, ctx, p.code) != HALL_OK)
        return HALL_ERR;
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
    const char *next;
    struct hall_partner p;
    struct hall_dbres *ag;
    int i, n, has2 = 0;

    if (hall_flow_partner(req, hall_req_param(req, "project"), &p) != HALL_OK)
        return HALL_OK;
    ag = hall_db_exec(req->cx, "flow_agreements_for", HALL_STR(p.code),
                      HALL_STR(hall_flow_current()->business));
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
        if (hall_db_exec(
                req->cx, "flow_agreement_accept", HALL_I64(req->user_id),
                HALL_STR(hall_dbres_str(ag, i, "code")), HALL_STR(hall_dbres_str(ag, i, "version")),
                HALL_STR(p.code), HALL_STR(ip),
                HALL_STR(hall_psprintf(req->pool, "flow:%s", hall_flow_current()->business)),
                HALL_STR(no_publish ? "t" : "f")) == NULL)
            return HALL_ERR;
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    /* seed 003: 是否办理电子签章 comes next where the partner offers it */
    next = hall_flow_current()->first_step;
    if (p.seal_offered && hall_flow_current()->seal_step != NULL)
        next = hall_flow_current()->seal_step;
    return hall_resp_go(req, hall_flow_url(req, "/%s?project=%s%s", next, p.code, link_suffix(req)),
                        NULL);
}

int
hall_flow_agreements_due(struct hall_req *req, const struct hall_partner *p)
{
    struct hall_dbres *res;

    res =
        hall_db_exec(req->cx, "flow_agreements_missing", HALL_I64(req->user_id), HALL_STR(p->code),
                     HALL_I64(AGREE_VALID_S), HALL_STR(hall_flow_current()->business));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_int(res, 0, "missing") == 0)
        return 0;
    hall_resp_redirect(req, hall_flow_url(req, "?project=%s%s", p->code, link_suffix(req)));
    return 1;
}

/* below the flow's path (hall_flow_main) */
const struct hall_route flow_agree_routes[] = {
    {"GET", "", start_page, HALL_R_AUTH, NULL},
    {"POST", "/agree", do_agree, HALL_R_AUTH, agree_params},
    {NULL, NULL, NULL, 0, NULL},
};
