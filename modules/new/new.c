/*
 * new: 证书新办, the new-certificate flow (SPEC steps 2-5).
 *
 *   GET  /new               project choice (generic hall), then agreements
 *   POST /new/agree         records the acceptances (version, time, IP)
 *   GET  /new/apply         选择应用 + 录入信息: certificate type, years, the
 *                           field groups of the seeds
 *   POST /new/apply         validates every field, creates or updates the order
 *   GET  /new/print         the printable application form
 *   POST /new/printed       the applicant confirms it was printed
 *   GET  /new/divisions     children of a division (cascading selects)
 *   GET  /new/banks         开户行 keyword search
 *
 * The form is one JSON document, encrypted at rest (it holds ID numbers,
 * phones and a bank account); docs/modules/new.md lists the fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hall.h"
#include "validate.h"

/* an acceptance of the agreements is good for one application session */
#define AGREE_VALID_S 86400

static const struct hall_stmt new_stmts[] = {
    {"partner_get",
     "SELECT code, name, seal_offered, seal_default, shipping_prepaid,"
     " array_to_string(shipping_collect_carriers, ','), coalesce(promotion::text, '')"
     " FROM partners WHERE code = $1 AND active",
     1},
    {"projects_list",
     "SELECT p.code, p.name FROM partners p WHERE p.active AND NOT p.requires_project_id"
     " AND p.link_secret IS NULL AND EXISTS (SELECT 1 FROM products r WHERE"
     " r.partner_code = p.code AND r.business_type = 'new' AND r.active)"
     " ORDER BY p.code = 'hall' DESC, p.code",
     0},
    {"products_list",
     "SELECT id, cert_type, name, price_per_year_fen, fixed_fee_fen, seal_fee_per_year_fen,"
     /* largest part first, as the seeds print it: 证书费200，介质费100，签章费50 */
     " coalesce((SELECT json_object_agg(k, v ORDER BY v::numeric DESC, k)"
     " FROM jsonb_each(breakdown) AS e(k, v))::text, '{}'), min_years, max_years FROM products"
     " WHERE partner_code = $1 AND business_type = 'new' AND active ORDER BY sort_order, id",
     1},
    {"agreements_for", "SELECT code, version, title, checkbox_group FROM agreements_for($1, 'new')",
     1},
    /* a partner's own guide, read before the agreements (Hunan, seed 002) */
    {"partner_guide",
     "SELECT guide_title, guide_body FROM partners WHERE code = $1 AND guide_title IS NOT NULL", 1},
    {"agreement_accept",
     "INSERT INTO agreement_acceptances (user_id, agreement_code, agreement_version,"
     " partner_code, ip, context) VALUES ($1, $2, $3, $4, $5::inet, $6)",
     6},
    /* current versions the user has not accepted recently */
    {"agreements_missing",
     "SELECT count(*) FROM agreements_for($2, 'new') a WHERE NOT EXISTS ("
     " SELECT 1 FROM agreement_acceptances x WHERE x.user_id = $1"
     " AND x.agreement_code = a.code AND x.agreement_version = a.version"
     " AND x.accepted_at > now() - make_interval(secs => $3::int))",
     3},
    {"order_get",
     "SELECT id, order_no, partner_code, product_id, cert_type, years, seal, status, step,"
     " subject, cert_fen, shipping_fen, amount_fen, form_enc, form_rev,"
     " to_char(created_at, 'YYYY-MM-DD HH24:MI'), printed_at IS NOT NULL, coalesce(reject_reason, "
     "''),"
     " seal OR coalesce((SELECT breakdown ? '签章费' FROM products WHERE id = product_id), false)"
     " FROM orders WHERE id = $1 AND user_id = $2 AND business_type = 'new'",
     2},
    {"order_insert",
     "INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type,"
     " years, seal, status, step, subject, cert_fen, shipping_fen, form_enc, form_rev)"
     " VALUES ('N' || to_char(now(), 'YYYYMMDD') || lpad(nextval('order_no_seq')::text, 6, '0'),"
     " $1, $2, 'new', $3, $4, $5, $6, 'draft', 'info', $7, $8, $9, $10, 1) RETURNING id, order_no",
     10},
    /* a second submit of the same rendered form (double click, two tabs,
     * Back): the unique (user_id, submit_key) finds the first order */
    {"order_insert_keyed",
     "INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id, cert_type,"
     " years, seal, status, step, subject, cert_fen, shipping_fen, form_enc, form_rev, submit_key)"
     " VALUES ('N' || to_char(now(), 'YYYYMMDD') || lpad(nextval('order_no_seq')::text, 6, '0'),"
     " $1, $2, 'new', $3, $4, $5, $6, 'draft', 'info', $7, $8, $9, $10, 1, $11)"
     " ON CONFLICT (user_id, submit_key) WHERE submit_key IS NOT NULL DO NOTHING"
     " RETURNING id, order_no",
     11},
    {"order_by_key", "SELECT id, order_no FROM orders WHERE user_id = $1 AND submit_key = $2", 2},
    {"order_update",
     "UPDATE orders SET product_id = $3, cert_type = $4, years = $5, seal = $6, subject = $7,"
     " cert_fen = $8, shipping_fen = $9, form_enc = $10, form_rev = form_rev + 1,"
     " step = CASE WHEN step = 'choose' THEN 'info' ELSE step END, updated_at = now()"
     " WHERE id = $1 AND user_id = $2 AND status IN ('draft', 'rejected') RETURNING form_rev",
     10},
    {"revision_insert", "INSERT INTO order_revisions (order_id, rev, form_enc) VALUES ($1, $2, $3)",
     3},
    {"order_printed",
     "UPDATE orders SET printed_at = coalesce(printed_at, now()),"
     " step = CASE WHEN step = 'info' THEN 'print' ELSE step END, updated_at = now()"
     " WHERE id = $1 AND user_id = $2 AND status IN ('draft', 'rejected') RETURNING id",
     2},
    {"division_chain",
     "WITH RECURSIVE c AS (SELECT code, name, parent_code, level FROM divisions WHERE code = $1"
     " UNION ALL SELECT d.code, d.name, d.parent_code, d.level FROM divisions d"
     " JOIN c ON d.code = c.parent_code) SELECT code, name, level FROM c ORDER BY level",
     1},
    {"division_children",
     "SELECT code, name, level FROM divisions WHERE parent_code IS NOT DISTINCT FROM $1"
     " ORDER BY code",
     1},
    {"division_has_counties",
     "SELECT EXISTS (SELECT 1 FROM divisions WHERE parent_code = $1 AND level = 3)", 1},
    {"bank_search",
     "SELECT branch_id, branch_name, bank_name, city FROM bank_branch_search($1, 20)", 1},
    {"bank_branch_get",
     "SELECT br.name, b.name FROM bank_branches br JOIN banks b ON b.id = br.bank_id"
     " WHERE br.id = $1 AND br.active",
     1},
    {"files_list",
     "SELECT id, kind, mime, size, to_char(created_at, 'YYYY-MM-DD HH24:MI') FROM order_files"
     " WHERE order_id = $1 AND replaced_at IS NULL ORDER BY kind, id",
     1},
    {"file_replace_old",
     "UPDATE order_files SET replaced_at = now() WHERE order_id = $1 AND kind = $2"
     " AND replaced_at IS NULL RETURNING id, stored_name",
     2},
    {"file_removed", "UPDATE order_files SET removed_at = now() WHERE id = $1", 1},
    /* the caps: one applicant's uploads and new orders are counted under a
     * lock of that applicant, so parallel requests cannot pass it together */
    {"user_lock", "SELECT pg_advisory_xact_lock(hashtextextended('hall-user:' || $1::text, 0))", 1},
    {"uploads_today",
     "SELECT count(*) FROM order_files f JOIN orders o ON o.id = f.order_id"
     " WHERE o.user_id = $1 AND f.created_at > now() - interval '1 day'",
     1},
    {"orders_today",
     "SELECT count(*) FROM orders WHERE user_id = $1 AND created_at > now() - interval '1 day'", 1},
    {"file_insert",
     "INSERT INTO order_files (order_id, kind, stored_name, mime, size, sha256)"
     " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
     6},
    {"file_get",
     "SELECT f.stored_name, f.mime, f.kind, o.order_no FROM order_files f"
     " JOIN orders o ON o.id = f.order_id WHERE f.id = $1 AND o.user_id = $2",
     2},
    {"order_step",
     "UPDATE orders SET step = $3, updated_at = now() WHERE id = $1 AND status = 'draft'"
     " AND step = ANY (string_to_array($2, ',')) RETURNING id",
     3},
    {"order_lock", "SELECT status FROM orders WHERE id = $1 FOR UPDATE", 1},
    /* a new code voids the ones no phone has opened; a phone that is working
     * on its link keeps it until the link's own 10 minutes end */
    {"identity_expire",
     "UPDATE identity_checks SET status = 'failed', message = '二维码已失效', updated_at = now()"
     " WHERE order_id = $1 AND status IN ('pending', 'ocr_ok')"
     " AND (opened_at IS NULL OR expires_at <= now())",
     1},
    {"identity_opened",
     "UPDATE identity_checks SET opened_at = coalesce(opened_at, now()) WHERE id = $1", 1},
    {"identity_insert",
     "INSERT INTO identity_checks (order_id, token_hash, who, expires_at)"
     " VALUES ($1, $2, $3, now() + interval '10 minutes') RETURNING id",
     3},
    /* what the PC page shows: a pass, else the live check the phone used last */
    {"identity_latest",
     "SELECT status, coalesce(message, ''), expires_at > now() FROM identity_checks"
     " WHERE order_id = $1 ORDER BY status = 'passed' DESC,"
     " (status <> 'failed' AND expires_at > now()) DESC, updated_at DESC, id DESC LIMIT 1",
     1},
    {"identity_by_token",
     "SELECT c.id, c.order_id, c.who, c.status, c.attempts, c.expires_at > now(), o.form_enc,"
     " o.user_id, o.status FROM identity_checks c JOIN orders o ON o.id = c.order_id"
     " WHERE c.token_hash = $1",
     1},
    {"identity_lock", "SELECT status FROM identity_checks WHERE id = $1 FOR UPDATE", 1},
    {"identity_set",
     "UPDATE identity_checks SET status = $2, message = $3, attempts = attempts + $4,"
     " updated_at = now() WHERE id = $1",
     4},
    {"partner_secret", "SELECT link_secret FROM partners WHERE code = $1 AND active", 1},
    {"link_insert",
     "INSERT INTO partner_links (partner_code, nonce, ticket_hash, prefill_enc)"
     " VALUES ($1, $2, $3, $4) ON CONFLICT (partner_code, nonce) DO NOTHING RETURNING id",
     4},
    {"link_claim",
     "UPDATE partner_links SET claimed_by = coalesce(claimed_by, $2) WHERE ticket_hash = $1"
     " AND partner_code = $3 AND created_at > now() - interval '1 day'"
     " RETURNING claimed_by = $2, prefill_enc",
     3},
    {NULL, NULL, 0},
};

/* ---- helpers ------------------------------------------------------------- */

/*
 * The partner this request applies for: the one in the path, else the
 * project chosen in the generic hall ("project"), else the hall itself.
 * Fills ctx; HALL_ERR after answering 404.
 */
struct partner {
    const char *code, *name;
    int seal_offered, seal_default, prepaid;
    const char *carriers, *promotion;
};

static int
partner_load(struct hall_req *req, const char *code, struct partner *p)
{
    struct hall_dbres *res;

    if (req->partner[0] != '\0')
        code = req->partner;
    if (code == NULL || *code == '\0')
        code = "hall";
    if (strlen(code) > 32) {
        hall_resp_error(req, 404, "project", "项目不存在");
        return HALL_ERR;
    }
    res = hall_db_exec(req, "partner_get", HALL_STR(code));
    if (res == NULL) {
        hall_resp_busy(req);
        return HALL_ERR;
    }
    if (hall_dbres_rows(res) == 0) {
        hall_resp_error(req, 404, "project", "项目不存在");
        return HALL_ERR;
    }
    p->code = hall_dbres_get(res, 0, 0);
    p->name = hall_dbres_get(res, 0, 1);
    p->seal_offered = strcmp(hall_dbres_get(res, 0, 2), "t") == 0;
    p->seal_default = strcmp(hall_dbres_get(res, 0, 3), "t") == 0;
    p->prepaid = strcmp(hall_dbres_get(res, 0, 4), "t") == 0;
    p->carriers = hall_dbres_get(res, 0, 5);
    p->promotion = hall_dbres_get(res, 0, 6);
    return HALL_OK;
}

static struct hall_val *
page_ctx(struct hall_req *req, const char *title, const struct partner *p)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", title);
    hall_val_set_str(req->pool, ctx, "page_js", "new.js");
    hall_val_set_str(req->pool, ctx, "site_name",
                     req->partner[0] != '\0' && p != NULL ? p->name : "深圳CA网上营业厅");
    if (p != NULL) {
        hall_val_set_str(req->pool, ctx, "project", p->code);
        hall_val_set_str(req->pool, ctx, "project_name", p->name);
    }
    return ctx;
}

/* the steps bar: which one is current */
static void
steps_ctx(struct hall_req *req, struct hall_val *ctx, int current)
{
    static const char *const names[] = {"选择应用", "录入信息", "打印申请表", "上传资料",
                                        "在线认证", "缴费",     NULL};
    struct hall_val *list = hall_val_set_list(req->pool, ctx, "steps");
    int i;

    for (i = 0; names[i] != NULL; i++) {
        struct hall_val *s = hall_val_push_obj(req->pool, list);

        hall_val_set_str(req->pool, s, "name", names[i]);
        hall_val_set_bool(req->pool, s, "current", i == current);
        hall_val_set_bool(req->pool, s, "done", i < current);
    }
}

/* ---- the form -------------------------------------------------------------- */

enum fkind {
    F_TEXT,   /* free text, max characters */
    F_PERSON, /* 姓名 */
    F_ORG,    /* 机构名称 */
    F_USCC,   /* 统一社会信用代码 */
    F_RIC,    /* 身份证号 */
    F_MOBILE,
    F_EMAIL,
    F_POSTCODE,
    F_ACCOUNT, /* 对公账号 */
    F_TAXID,
    F_CODE, /* an id or code checked against the database by the handler */
};

/* which certificate types need a field group */
#define T_ORG    1u
#define T_ORGP   2u
#define T_PERSON 4u
#define T_ALL    (T_ORG | T_ORGP | T_PERSON)
#define T_UNIT   (T_ORG | T_ORGP)

#define F_OPT 1u /* may be empty */
#define F_PII 2u /* personal data: never echoed in messages */

struct field {
    const char *name;
    const char *label;
    enum fkind kind;
    unsigned types;
    unsigned flags;
    int max;
};

static const struct field fields[] = {
    /* 单位信息 */
    {"org_name", "机构名称", F_ORG, T_UNIT, 0, 100},
    {"org_id", "机构证件号码", F_USCC, T_UNIT, 0, HALL_VALID_USCC_INPUT_MAX},
    {"unit_province", "单位所在省份", F_CODE, T_UNIT, 0, 9},
    {"unit_city", "单位所在城市", F_CODE, T_UNIT, 0, 9},
    {"unit_address", "单位地址", F_TEXT, T_UNIT, 0, 100},
    /* 法人信息 */
    {"legal_name", "法人姓名", F_PERSON, T_UNIT, 0, 30},
    {"legal_ric", "法人身份证号码", F_RIC, T_UNIT, F_PII, 18},
    {"legal_mobile", "法人移动电话", F_MOBILE, T_UNIT, F_PII, HALL_VALID_MOBILE_INPUT_MAX},
    /* 经办人信息 */
    {"agent_name", "经办人姓名", F_PERSON, T_UNIT, 0, 30},
    {"agent_ric", "经办人身份证号码", F_RIC, T_UNIT, F_PII, 18},
    {"agent_mobile", "经办人移动电话", F_MOBILE, T_UNIT, F_PII, HALL_VALID_MOBILE_INPUT_MAX},
    {"agent_email", "常用联系邮箱", F_EMAIL, T_UNIT, 0, 254},
    {"agent_title", "经办人职务", F_TEXT, T_UNIT, F_OPT, 30},
    /* 申请人信息 (personal certificates) */
    {"app_name", "申请人姓名", F_PERSON, T_ORGP | T_PERSON, 0, 30},
    {"app_ric", "申请人身份证号码", F_RIC, T_ORGP | T_PERSON, F_PII, 18},
    {"app_mobile", "申请人移动电话", F_MOBILE, T_ORGP | T_PERSON, F_PII,
     HALL_VALID_MOBILE_INPUT_MAX},
    {"app_email", "申请人邮箱", F_EMAIL, T_ORGP | T_PERSON, 0, 254},
    /* 金融认证信息 */
    {"bank_account_name", "基本户名称", F_ORG, T_UNIT, 0, 100},
    {"bank_branch_id", "基本户开户行", F_CODE, T_UNIT, 0, 9},
    {"bank_account", "基本户账号", F_ACCOUNT, T_UNIT, F_PII, 40},
    /* 邮寄信息 */
    {"mail_province", "收件省份", F_CODE, T_ALL, 0, 9},
    {"mail_city", "收件城市", F_CODE, T_ALL, 0, 9},
    {"mail_district", "收件区县", F_CODE, T_ALL, F_OPT, 9},
    {"mail_town", "收件镇街", F_CODE, T_ALL, F_OPT, 9},
    {"mail_address", "收件地址", F_TEXT, T_ALL, 0, 100},
    {"mail_postcode", "邮政编码", F_POSTCODE, T_ALL, F_OPT, 6},
    {"mail_receiver", "收件人", F_PERSON, T_ALL, 0, 30},
    {"mail_mobile", "收件人电话", F_MOBILE, T_ALL, F_PII, HALL_VALID_MOBILE_INPUT_MAX},
    /* 发票信息: invoice, invoice_title_type, and these */
    {"invoice_title", "发票抬头", F_TEXT, T_ALL, F_OPT, 100},
    {"invoice_taxid", "纳税人识别号", F_TAXID, T_ALL, F_OPT, HALL_VALID_USCC_INPUT_MAX},
    {NULL, NULL, 0, 0, 0, 0},
};

static size_t
utf8_len(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static unsigned
type_bit(const char *t)
{
    if (strcmp(t, "org") == 0)
        return T_ORG;
    if (strcmp(t, "org_person") == 0)
        return T_ORGP;
    if (strcmp(t, "person") == 0)
        return T_PERSON;
    return 0;
}

#define USCC_REVIEW_NOTE "福建早期试点代码，校验位不符，需人工核验"

/* a USCC as typed, without spaces and '-', upper case (a Fujian pilot code,
 * which hall_valid_uscc does not normalise since it returns HALL_ERR) */
static char *
uscc_compact(struct hall_req *req, const char *v)
{
    char *out = hall_palloc(req->pool, strlen(v) + 1), *o = out;

    for (; *v != '\0'; v++)
        if (*v != ' ' && *v != '-')
            *o++ = (*v >= 'a' && *v <= 'z') ? (char)(*v - 'a' + 'A') : *v;
    *o = '\0';
    return out;
}

/* 400 naming the field: the message is pre + the field's label + post */
static int
fail(struct hall_req *req, const char *field, const char *message)
{
    hall_resp_error(req, 400, field, message);
    return HALL_ERR;
}

static int
bad(struct hall_req *req, const struct field *f, const char *pre, const char *post)
{
    return fail(req, f->name, hall_psprintf(req->pool, "%s%s%s", pre, f->label, post));
}

/*
 * Checks one field; on success stores the normalised value in form.
 * Returns HALL_OK, or HALL_ERR after answering 400 naming the field.
 */
static int
check_field(struct hall_req *req, const struct field *f, struct hall_val *form)
{
    const char *raw = hall_req_param(req, f->name);
    size_t tl;
    const char *t = hall_valid_trim(raw, &tl);
    char norm[48];
    char *v;

    if (raw != NULL && hall_valid_utf8(raw, strlen(raw)) != HALL_OK)
        return bad(req, f, "", "含有不允许的字符");
    v = hall_pstrndup(req->pool, t, tl);
    if (*v == '\0') {
        if (f->flags & F_OPT) {
            hall_val_set_str(req->pool, form, f->name, "");
            return HALL_OK;
        }
        return bad(req, f, "请填写", "");
    }
    if (strpbrk(v, "\r\n\t<>") != NULL && f->kind == F_TEXT)
        return bad(req, f, "", "含有不允许的字符");
    if (utf8_len(v) > (size_t)f->max)
        return fail(req, f->name, hall_psprintf(req->pool, "%s不能超过%d个字", f->label, f->max));
    switch (f->kind) {
    case F_TEXT: break;
    case F_PERSON:
        if (hall_valid_person_name(v) != HALL_OK)
            return bad(req, f, "", "格式不正确，请填写身份证上的姓名");
        break;
    case F_ORG:
        if (hall_valid_org_name(v) != HALL_OK)
            return bad(req, f, "", "格式不正确");
        break;
    case F_USCC: {
        int manual = 0;

        if (hall_valid_uscc(v, norm, &manual) == HALL_OK) {
            v = hall_pstrdup(req->pool, norm);
        } else if (manual) {
            /* an early Fujian pilot code: legally issued although its check
             * character is wrong (docs/internals/validate.md); accepted,
             * flagged for the reviewer */
            v = uscc_compact(req, v);
            hall_val_set_str(req->pool, form, hall_psprintf(req->pool, "%s_review", f->name),
                             USCC_REVIEW_NOTE);
        } else {
            return bad(req, f, "", "不是有效的统一社会信用代码，请核对后重新填写");
        }
        break;
    }
    case F_RIC:
        if (hall_valid_ric(v, norm) != HALL_OK)
            return bad(req, f, "", "不正确，请填写18位居民身份证号码");
        v = hall_pstrdup(req->pool, norm);
        break;
    case F_MOBILE:
        if (hall_valid_mobile(v, norm) != HALL_OK)
            return bad(req, f, "", "不正确，请填写11位手机号码");
        v = hall_pstrdup(req->pool, norm);
        break;
    case F_EMAIL:
        if (hall_valid_email(v) != HALL_OK)
            return bad(req, f, "", "格式不正确");
        break;
    case F_POSTCODE:
        if (hall_valid_postcode(v) != HALL_OK)
            return bad(req, f, "", "应为6位数字");
        break;
    case F_ACCOUNT:
        if (hall_valid_bank_account(v, norm, sizeof(norm)) != HALL_OK)
            return bad(req, f, "", "应为8到32位数字");
        v = hall_pstrdup(req->pool, norm);
        break;
    case F_TAXID: {
        int manual = 0;

        if (hall_valid_taxid(v, norm, sizeof(norm)) == HALL_OK) {
            v = hall_pstrdup(req->pool, norm);
        } else if (hall_valid_uscc(v, NULL, &manual) != HALL_OK && manual) {
            v = uscc_compact(req, v); /* a Fujian pilot code, as for org_id */
            hall_val_set_str(req->pool, form, hall_psprintf(req->pool, "%s_review", f->name),
                             USCC_REVIEW_NOTE);
        } else {
            return bad(req, f, "", "不正确，请核对后重新填写");
        }
        break;
    }
    case F_CODE:
        if (strspn(v, "0123456789") != strlen(v))
            return bad(req, f, "请选择", "");
        break;
    }
    hall_val_set_str(req->pool, form, f->name, v);
    return HALL_OK;
}

static const char *
form_str(const struct hall_val *form, const char *name)
{
    const struct hall_val *v = hall_val_get(form, name);

    return v != NULL && v->type == HALL_V_STR ? v->str : "";
}

/*
 * The chosen divisions must form one chain: province > city [> district]
 * [> town].  A city with counties needs the district.  Stores the names
 * (for the printed form) in form.
 */
static int
check_divisions(struct hall_req *req, struct hall_val *form, const char *prefix, int need_district)
{
    static const char *const levels[] = {"province", "city", "district", "town"};
    const char *codes[4], *deepest = NULL, *names = "";
    const char *first_field = hall_psprintf(req->pool, "%s_province", prefix);
    struct hall_dbres *res;
    int i, n, deepest_i = -1;

    for (i = 0; i < 4; i++) {
        codes[i] = form_str(form, hall_psprintf(req->pool, "%s_%s", prefix, levels[i]));
        if (*codes[i] != '\0') {
            deepest = codes[i];
            deepest_i = i;
        }
    }
    if (deepest == NULL || deepest_i < 1)
        return fail(req, first_field, "请选择省份和城市");
    res = hall_db_exec(req, "division_chain", HALL_STR(deepest));
    if (res == NULL)
        return hall_resp_busy(req), HALL_ERR;
    n = hall_dbres_rows(res);
    if (n == 0)
        return fail(req, first_field, "所选地区不存在，请重新选择");
    /* rows are the chain from the province down; compare with what was sent */
    for (i = 0; i < n; i++) {
        int level = (int)hall_dbres_i64(res, i, 2);
        const char *code = hall_dbres_get(res, i, 0);

        if (level < 1 || level > 4 || strcmp(codes[level - 1], code) != 0)
            return fail(req,
                        hall_psprintf(req->pool, "%s_%s", prefix,
                                      levels[level < 1 || level > 4 ? 0 : level - 1]),
                        "所选地区不一致，请重新选择省市区");
        names = hall_psprintf(req->pool, "%s%s", names, hall_dbres_get(res, i, 1));
    }
    /* something sent that is not on the chain (a district under a county-less city) */
    for (i = 0; i < 4; i++) {
        int on_chain = 0, j;

        if (*codes[i] == '\0')
            continue;
        for (j = 0; j < n; j++)
            if (strcmp(hall_dbres_get(res, j, 0), codes[i]) == 0)
                on_chain = 1;
        if (!on_chain)
            return fail(req, hall_psprintf(req->pool, "%s_%s", prefix, levels[i]),
                        "所选地区不一致，请重新选择省市区");
    }
    if (need_district && *codes[2] == '\0') {
        res = hall_db_exec(req, "division_has_counties", HALL_STR(codes[1]));
        if (res == NULL)
            return hall_resp_busy(req), HALL_ERR;
        if (strcmp(hall_dbres_get(res, 0, 0), "t") == 0)
            return fail(req, hall_psprintf(req->pool, "%s_district", prefix), "请选择区县");
    }
    hall_val_set_str(req->pool, form, hall_psprintf(req->pool, "%s_region", prefix), names);
    return HALL_OK;
}

/*
 * 实名电信认证: the carrier must know the phone under this name and ID
 * number (the agent's, or the applicant's for natural persons).
 */
static int
carrier_check(struct hall_req *req, const struct hall_val *form, unsigned bit)
{
    const char *p = (bit & T_UNIT) ? "agent" : "app";
    const char *label = (bit & T_UNIT) ? "经办人" : "申请人";
    struct hall_val *body = hall_val_obj(req->pool), *r;
    const struct hall_val *match;

    hall_val_set_str(req->pool, body, "name",
                     form_str(form, hall_psprintf(req->pool, "%s_name", p)));
    hall_val_set_str(req->pool, body, "id_number",
                     form_str(form, hall_psprintf(req->pool, "%s_ric", p)));
    hall_val_set_str(req->pool, body, "phone",
                     form_str(form, hall_psprintf(req->pool, "%s_mobile", p)));
    r = hall_provider_call(req, "/carrier/verify", body, NULL);
    if (r == NULL) {
        hall_resp_provider(req, "实名电信认证");
        return HALL_ERR;
    }
    match = hall_val_get(r, "match");
    if (match == NULL || match->type != HALL_V_BOOL || match->i == 0)
        return fail(
            req, hall_psprintf(req->pool, "%s_mobile", p),
            hall_psprintf(req->pool,
                          "%s手机号码实名电信认证未通过。请登录手机号码对应的电信运营商APP，"
                          "在个人账户信息中查找实名认证结果，再与所填写的姓名、身份证号码进行对比；"
                          "如不符，应先联系电信运营商进行实名信息认证后，再办理数字证书。",
                          label));
    return HALL_OK;
}

/*
 * At most draft_daily_max new orders per applicant and day (a script making
 * thousands of drafts, each with a carrier check, stops here).  HALL_OK when
 * one more is allowed; else answered 429.  Inside the insert's transaction
 * (locked) it is exact; before it, a cheap early refusal that spares the
 * provider calls.
 */
static int
orders_cap(struct hall_req *req, int locked)
{
    struct hall_dbres *res;

    if (locked && hall_db_exec(req, "user_lock", HALL_I64(req->user_id)) == NULL)
        return hall_resp_busy(req), HALL_ERR;
    res = hall_db_exec(req, "orders_today", HALL_I64(req->user_id));
    if (res == NULL)
        return hall_resp_busy(req), HALL_ERR;
    if (hall_dbres_i64(res, 0, 0) >= req->app->conf.draft_daily_max) {
        hall_resp_error(req, 429, NULL,
                        hall_psprintf(req->pool,
                                      "您今天新建的业务单已达%ld个的上限，请在个人中心继续办理"
                                      "已有的业务单，或明天再新建",
                                      req->app->conf.draft_daily_max));
        return HALL_ERR;
    }
    return HALL_OK;
}

/* ---- signed entry links from partner platforms (Hunan) ----------------------- */

#define LINK_WINDOW_S 600

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

/* GET /<partner>/new/entry?...&sign=: check, keep the data, send to login */
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
        return hall_resp_error(req, 404, NULL, "您访问的页面不存在");
    res = hall_db_exec(req, "partner_secret", HALL_STR(req->partner));
    if (res == NULL)
        return hall_resp_busy(req);
    if (hall_dbres_rows(res) == 0 || hall_dbres_isnull(res, 0, 0))
        return hall_resp_error(req, 404, NULL, "该合作平台未开通跳转办理");
    if (link_verify(req, hall_dbres_get(res, 0, 0), &why) != HALL_OK) {
        hall_warn(req, "msg=\"partner link refused\" partner=%s why=\"%s\"", req->partner, why);
        return hall_resp_error(req, 403, "sign", why);
    }
    if (nonce == NULL || strlen(nonce) < 8 || strlen(nonce) > 64)
        return hall_resp_error(req, 400, "nonce", "链接缺少随机数，请从合作平台重新进入");
    if (type == NULL || (strcmp(type, "org") != 0 && strcmp(type, "person") != 0))
        return hall_resp_error(req, 400, "cert_type", "链接中的证书类型无效");
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
        return hall_resp_busy(req);
    ticket = hall_b64url(req->pool, tok, sizeof(tok));
    hall_sha256(ticket, strlen(ticket), hash);
    res = hall_db_exec(req, "link_insert", HALL_STR(req->partner), HALL_STR(nonce),
                       HALL_BIN(hash, 32), HALL_BIN(enc, elen));
    if (res == NULL)
        return hall_resp_busy(req);
    if (hall_dbres_rows(res) == 0)
        return hall_resp_error(req, 403, "nonce", "该链接已使用过，请返回合作平台重新进入");
    next = hall_psprintf(req->pool, "%s/new?project=%s&link=%s", hall_req_base(req), req->partner,
                         ticket);
    if (req->user_id != 0)
        return hall_resp_redirect(req, next);
    return hall_resp_redirect(req, hall_psprintf(req->pool, "%s/login?next=%s", hall_req_base(req),
                                                 hall_url_encode(req->pool, next)));
}

/* the pre-filled data of a ticket this user may use; NULL when none */
static struct hall_val *
link_prefill(struct hall_req *req, const char *partner)
{
    const char *ticket = hall_req_param(req, "link");
    unsigned char hash[32], *enc;
    struct hall_dbres *res;
    size_t len;
    char *plain, err[64];

    if (ticket == NULL || strlen(ticket) != 43)
        return NULL;
    hall_sha256(ticket, strlen(ticket), hash);
    res = hall_db_exec(req, "link_claim", HALL_BIN(hash, 32), HALL_I64(req->user_id),
                       HALL_STR(partner));
    if (res == NULL || hall_dbres_rows(res) == 0 || strcmp(hall_dbres_get(res, 0, 0), "t") != 0)
        return NULL;
    enc = hall_dbres_bytea(req, res, 0, 1, &len);
    plain = enc != NULL ? hall_pii_decrypt(req->pool, enc, len) : NULL;
    return plain != NULL ? hall_val_parse(req->pool, plain, strlen(plain), err, sizeof(err)) : NULL;
}

/*
 * The courier's quote for the mailing address (seeds 001/004: 京东寄付 13 元,
 * remote provinces only 顺丰到付).  HALL_OK with the carrier, whether it can
 * be prepaid and the fee; HALL_ERR after answering 503.
 */
struct quote {
    const char *carrier;
    int prepaid;
    int64_t fee_fen;
};

static int
shipping_quote(struct hall_req *req, const char *province, const char *city, const char *district,
               const char *town, struct quote *q)
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

/* GET /new/shipping?province=&city=&district=&town=: what the form shows */
static int
shipping_json(struct hall_req *req)
{
    static const char *const names[] = {"province", "city", "district", "town", NULL};
    const char *v[4];
    struct hall_val *out;
    struct quote q;
    int i;

    for (i = 0; names[i] != NULL; i++) {
        v[i] = hall_req_query(req, names[i]);
        if (v[i] == NULL)
            v[i] = "";
        if (strlen(v[i]) > 9 || strspn(v[i], "0123456789") != strlen(v[i]))
            return hall_resp_error(req, 400, names[i], "地区代码不正确");
    }
    if (*v[0] == '\0')
        return hall_resp_error(req, 400, "province", "请选择省份");
    if (shipping_quote(req, v[0], v[1], v[2], v[3], &q) != HALL_OK)
        return HALL_OK;
    out = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, out, "carrier", q.carrier);
    hall_val_set_bool(req->pool, out, "prepaid", q.prepaid);
    hall_val_set_int(req->pool, out, "fee_fen", q.fee_fen);
    hall_val_set_str(req->pool, out, "fee", hall_yuan(req->pool, q.fee_fen));
    return hall_resp_ok(req, out);
}

/* ---- pages --------------------------------------------------------------- */

/* a partner link's ticket (43 base64url characters), else NULL */
static const char *
link_param(struct hall_req *req)
{
    const char *t = hall_req_param(req, "link");

    if (t != NULL && strlen(t) == 43 &&
        strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43)
        return t;
    return NULL;
}

/* the ticket travels from page to page until the form */
static void
link_ctx(struct hall_req *req, struct hall_val *ctx)
{
    const char *t = link_param(req);

    if (t != NULL)
        hall_val_set_str(req->pool, ctx, "link", t);
}

static int
start_page(struct hall_req *req)
{
    const char *project = hall_req_query(req, "project");
    struct partner p;
    struct hall_val *ctx, *list;
    struct hall_dbres *res;
    int i, n;

    /* the generic hall first asks which project (揭阳公共资源项目 ...) */
    if (req->partner[0] == '\0' && project == NULL) {
        ctx = page_ctx(req, "证书新办", NULL);
        res = hall_db_exec(req, "projects_list");
        if (res == NULL)
            return hall_resp_busy(req);
        list = hall_val_set_list(req->pool, ctx, "projects");
        n = hall_dbres_rows(res);
        for (i = 0; i < n; i++) {
            struct hall_val *o = hall_val_push_obj(req->pool, list);

            hall_val_set_str(req->pool, o, "code", hall_dbres_get(res, i, 0));
            hall_val_set_str(req->pool, o, "name", hall_dbres_get(res, i, 1));
        }
        return hall_resp_page(req, 200, "new_projects", ctx);
    }
    if (partner_load(req, project, &p) != HALL_OK)
        return HALL_OK;
    ctx = page_ctx(req, "证书新办", &p);
    res = hall_db_exec(req, "agreements_for", HALL_STR(p.code));
    if (res == NULL)
        return hall_resp_busy(req);
    {
        struct hall_val *g1 = hall_val_set_list(req->pool, ctx, "group1");
        struct hall_val *g2 = hall_val_set_list(req->pool, ctx, "group2");

        n = hall_dbres_rows(res);
        for (i = 0; i < n; i++) {
            struct hall_val *o =
                hall_val_push_obj(req->pool, strcmp(hall_dbres_get(res, i, 3), "2") == 0 ? g2 : g1);

            hall_val_set_str(req->pool, o, "code", hall_dbres_get(res, i, 0));
            hall_val_set_str(req->pool, o, "version", hall_dbres_get(res, i, 1));
            hall_val_set_str(req->pool, o, "title", hall_dbres_get(res, i, 2));
        }
    }
    res = hall_db_exec(req, "partner_guide", HALL_STR(p.code));
    if (res == NULL)
        return hall_resp_busy(req);
    if (hall_dbres_rows(res) > 0) {
        hall_val_set_str(req->pool, ctx, "guide_title", hall_dbres_get(res, 0, 0));
        hall_val_set_str(req->pool, ctx, "guide_body", hall_dbres_get(res, 0, 1));
    }
    link_ctx(req, ctx);
    steps_ctx(req, ctx, 0);
    return hall_resp_page(req, 200, "new_agree", ctx);
}

static const char *const on_values[] = {"on", "1", "true", "yes", NULL};

static const struct hall_pspec agree_params[] = {
    {"project", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "项目", NULL},
    {"agree1", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "协议", on_values},
    {"agree2", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "授权书", on_values},
    {"link", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 43, "合作平台链接", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_agree(struct hall_req *req)
{
    const char *a1 = hall_req_param(req, "agree1");
    const char *a2 = hall_req_param(req, "agree2");
    const char *ip = req->remote_addr != NULL ? req->remote_addr : "127.0.0.1";
    struct partner p;
    struct hall_dbres *res, *ag;
    int i, n, has2 = 0;

    if (partner_load(req, hall_req_param(req, "project"), &p) != HALL_OK)
        return HALL_OK;
    ag = hall_db_exec(req, "agreements_for", HALL_STR(p.code));
    if (ag == NULL)
        return hall_resp_busy(req);
    n = hall_dbres_rows(ag);
    for (i = 0; i < n; i++)
        if (strcmp(hall_dbres_get(ag, i, 3), "2") == 0)
            has2 = 1;
    if (a1 == NULL || *a1 == '\0')
        return hall_resp_error(req, 400, "agree1", "请阅读并勾选同意《电子认证服务协议》等协议");
    if (has2 && (a2 == NULL || *a2 == '\0'))
        return hall_resp_error(req, 400, "agree2", "请阅读并勾选同意《敏感个人信息授权书》");
    if (hall_db_begin(req) != HALL_OK)
        return hall_resp_busy(req);
    for (i = 0; i < n; i++) {
        res = hall_db_exec(req, "agreement_accept", HALL_I64(req->user_id),
                           HALL_STR(hall_dbres_get(ag, i, 0)), HALL_STR(hall_dbres_get(ag, i, 1)),
                           HALL_STR(p.code), HALL_STR(ip), HALL_STR("flow:new"));
        if (res == NULL)
            return hall_resp_busy(req);
    }
    if (hall_db_commit(req) != HALL_OK)
        return hall_resp_busy(req);
    {
        const char *link = link_param(req);

        return hall_resp_go(req,
                            hall_psprintf(req->pool, "%s/new/apply?project=%s%s%s",
                                          hall_req_base(req), p.code,
                                          link != NULL && *link != '\0' ? "&link=" : "",
                                          link != NULL ? hall_url_encode(req->pool, link) : ""),
                            NULL);
    }
}

/* the order of this user, or NULL after answering (404 for others' orders) */
static struct hall_dbres *
order_load(struct hall_req *req)
{
    int64_t id;

    return hall_order_own(req, "order_get", &id);
}

static struct hall_val *
order_form(struct hall_req *req, struct hall_dbres *o)
{
    return hall_dbres_pii_json(req, o, 0, 13);
}

static struct hall_price
product_price(struct hall_dbres *prods, int i)
{
    struct hall_price pr;

    pr.per_year_fen = hall_dbres_i64(prods, i, 3);
    pr.fixed_fen = hall_dbres_i64(prods, i, 4);
    pr.seal_per_year_fen = hall_dbres_i64(prods, i, 5);
    return pr;
}

/* the products with their price tables (core/price.c) and the selected
 * product's price for the choices on the page, for the label without JS */
static void
products_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *prods,
             const char *cur_type, int seal_offered, long years, int seal)
{
    struct hall_val *list = hall_val_set_list(req->pool, ctx, "products");
    int i, n = hall_dbres_rows(prods);

    for (i = 0; i < n; i++) {
        struct hall_val *o = hall_val_push_obj(req->pool, list);
        const char *type = hall_dbres_get(prods, i, 1);
        struct hall_val *bd, *parts;
        char err[64];
        const char *b = hall_dbres_get(prods, i, 6);
        const struct hall_val *m;
        const char *txt = "";

        struct hall_price pr = product_price(prods, i);
        int sel = cur_type != NULL ? strcmp(cur_type, type) == 0 : i == 0;
        const char *table;

        hall_val_set_str(req->pool, o, "cert_type", type);
        hall_val_set_str(req->pool, o, "name", hall_dbres_get(prods, i, 2));
        table = hall_val_json(req->pool,
                              hall_price_table(req->pool, &pr, (int)hall_dbres_i64(prods, i, 7),
                                               (int)hall_dbres_i64(prods, i, 8), seal_offered),
                              NULL);
        hall_val_set_str(req->pool, o, "prices", table != NULL ? table : "{}");
        if (sel) {
            int64_t fen = hall_price_cert(&pr, (int)years, seal_offered && seal);

            hall_val_set_str(req->pool, ctx, "price_total", hall_yuan(req->pool, fen));
            hall_val_set_int(req->pool, ctx, "price_total_fen", fen);
        }
        hall_val_set_bool(req->pool, o, "selected", sel);
        bd = hall_val_parse(req->pool, b, strlen(b), err, sizeof(err));
        parts = bd;
        for (m = parts != NULL ? parts->first : NULL; m != NULL; m = m->next)
            txt = hall_psprintf(req->pool, "%s%s%s%lld", txt, *txt ? "，" : "", m->key,
                                (long long)(m->i / 100));
        hall_val_set_str(req->pool, o, "breakdown", txt);
    }
}

static void
years_ctx(struct hall_req *req, struct hall_val *ctx, long cur)
{
    struct hall_val *list = hall_val_set_list(req->pool, ctx, "years");
    int y;

    for (y = 1; y <= 5; y++) {
        struct hall_val *o = hall_val_push_obj(req->pool, list);

        hall_val_set_int(req->pool, o, "n", y);
        hall_val_set_bool(req->pool, o, "selected", y == cur);
    }
}

static int
apply_page(struct hall_req *req)
{
    const char *project = hall_req_query(req, "project");
    struct hall_dbres *o = NULL, *res;
    struct hall_val *ctx, *form;
    struct partner p;
    const char *cur_type = NULL;
    long years = 1;
    int seal;

    if (hall_req_query(req, "id") != NULL) {
        o = order_load(req);
        if (o == NULL)
            return HALL_OK;
        project = hall_dbres_get(o, 0, 2);
        if (strcmp(hall_dbres_get(o, 0, 7), "draft") != 0 &&
            strcmp(hall_dbres_get(o, 0, 7), "rejected") != 0)
            return hall_resp_error(req, 409, NULL, "该业务单当前状态不能修改");
    }
    if (partner_load(req, project, &p) != HALL_OK)
        return HALL_OK;
    if (o == NULL) {
        /* the agreements come first (SPEC step 2) */
        res = hall_db_exec(req, "agreements_missing", HALL_I64(req->user_id), HALL_STR(p.code),
                           HALL_I64(AGREE_VALID_S));
        if (res == NULL)
            return hall_resp_busy(req);
        if (hall_dbres_i64(res, 0, 0) > 0) {
            const char *link = link_param(req);

            return hall_resp_redirect(
                req, hall_psprintf(req->pool, "%s/new?project=%s%s%s", hall_req_base(req), p.code,
                                   link != NULL ? "&link=" : "",
                                   link != NULL ? hall_url_encode(req->pool, link) : ""));
        }
    }
    ctx = page_ctx(req, "录入信息", &p);
    form = o != NULL ? order_form(req, o) : hall_val_obj(req->pool);
    if (form == NULL)
        return hall_resp_busy(req);
    if (o != NULL) {
        cur_type = hall_dbres_get(o, 0, 4);
        years = (long)hall_dbres_i64(o, 0, 5);
        seal = strcmp(hall_dbres_get(o, 0, 6), "t") == 0;
        hall_val_set_str(req->pool, ctx, "order_id", hall_dbres_get(o, 0, 0));
        hall_val_set_str(req->pool, ctx, "order_no", hall_dbres_get(o, 0, 1));
        /* the reason belongs to the rejection: gone once resubmitted */
        if (strcmp(hall_dbres_get(o, 0, 7), "rejected") == 0)
            hall_val_set_str(req->pool, ctx, "reject_reason", hall_dbres_get(o, 0, 17));
    } else {
        struct hall_val *pre = link_prefill(req, p.code);

        seal = p.seal_default;
        if (pre != NULL) {
            /* the partner's data: unit or person, as the link said */
            const char *t = form_str(pre, "cert_type");

            cur_type = t;
            if (strcmp(t, "org") == 0) {
                hall_val_set_str(req->pool, form, "org_name", form_str(pre, "org_name"));
                hall_val_set_str(req->pool, form, "org_id", form_str(pre, "org_id"));
                hall_val_set_str(req->pool, form, "bank_account_name", form_str(pre, "org_name"));
                hall_val_set_str(req->pool, form, "invoice_title", form_str(pre, "org_name"));
            } else {
                hall_val_set_str(req->pool, form, "app_name", form_str(pre, "name"));
                hall_val_set_str(req->pool, form, "app_ric", form_str(pre, "ric"));
                hall_val_set_str(req->pool, form, "app_mobile", form_str(pre, "mobile"));
                hall_val_set_str(req->pool, form, "app_email", form_str(pre, "email"));
                hall_val_set_str(req->pool, form, "invoice_title", form_str(pre, "name"));
            }
            hall_val_set_bool(req->pool, ctx, "prefilled", 1);
        }
    }
    res = hall_db_exec(req, "products_list", HALL_STR(p.code));
    if (res == NULL)
        return hall_resp_busy(req);
    if (hall_dbres_rows(res) == 0)
        return hall_resp_error(req, 404, NULL, "该项目暂不办理证书新办业务");
    products_ctx(req, ctx, res, cur_type, p.seal_offered, years, seal);
    years_ctx(req, ctx, years);
    hall_val_set_int(req->pool, ctx, "years_chosen", years);
    hall_val_set_bool(req->pool, ctx, "multi_year", years > 1);
    hall_val_set_bool(req->pool, ctx, "seal_offered", p.seal_offered);
    hall_val_set_bool(req->pool, ctx, "seal", seal);
    hall_val_set_bool(req->pool, ctx, "prepaid_offered", p.prepaid);
    hall_val_set_str(req->pool, ctx, "carriers",
                     strstr(p.carriers, "EMS") != NULL ? "顺丰/EMS到付" : "顺丰到付");
    hall_val_set_bool(req->pool, ctx, "ship_prepaid",
                      strcmp(form_str(form, "shipping"), "prepaid") == 0);
    hall_val_set_bool(req->pool, ctx, "invoice_no", strcmp(form_str(form, "invoice"), "no") == 0);
    hall_val_set_bool(req->pool, ctx, "title_person",
                      strcmp(form_str(form, "invoice_title_type"), "person") == 0);
    if (p.promotion[0] != '\0') {
        char err[64];
        struct hall_val *promo =
            hall_val_parse(req->pool, p.promotion, strlen(p.promotion), err, sizeof(err));

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
    /* the form's values go back into the inputs (escaped by the template) */
    {
        struct hall_val *f = hall_val_set_obj(req->pool, ctx, "f");
        const struct field *fd;

        for (fd = fields; fd->name != NULL; fd++)
            hall_val_set_str(req->pool, f, fd->name, form_str(form, fd->name));
    }
    if (o == NULL) {
        /* one key per rendered form: submitting it twice makes one order */
        unsigned char rnd[24];

        if (hall_rand_bytes(rnd, sizeof(rnd)) != HALL_OK)
            return hall_resp_busy(req);
        hall_val_set_str(req->pool, ctx, "submit_key", hall_b64url(req->pool, rnd, sizeof(rnd)));
    }
    steps_ctx(req, ctx, 1);
    return hall_resp_page(req, 200, "new_apply", ctx);
}

static const char *const cert_types[] = {"org", "org_person", "person", NULL};
static const char *const ship_values[] = {"collect", "prepaid", NULL};
static const char *const yes_no[] = {"yes", "no", NULL};
static const char *const title_types[] = {"org", "person", NULL};

static const struct hall_pspec apply_params[] = {
    {"id", HALL_P_INT, HALL_PF_OPTIONAL, 1, 9000000000000000000L, "业务单号", NULL},
    {"project", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "项目", NULL},
    {"submit_key", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "表单标识", NULL},
    {"cert_type", HALL_P_CHOICE, 0, 0, 0, "证书类型", cert_types},
    {"years", HALL_P_INT, 0, 1, 5, "证书年限", NULL},
    {"seal", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "是否办理电子签章", yes_no},
    {"shipping", HALL_P_CHOICE, 0, 0, 0, "邮寄方式", ship_values},
    {"invoice", HALL_P_CHOICE, 0, 0, 0, "是否开票", yes_no},
    {"invoice_title_type", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "发票抬头类型", title_types},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_apply(struct hall_req *req)
{
    const char *type = hall_req_param(req, "cert_type");
    unsigned bit = type_bit(type);
    const char *id_s = hall_req_param(req, "id");
    const char *seal_s = hall_req_param(req, "seal");
    const char *key = hall_req_param(req, "submit_key");
    struct hall_val *form = hall_val_obj(req->pool);
    const struct field *f;
    struct hall_dbres *o = NULL, *res;
    struct partner p;
    const char *project = hall_req_param(req, "project");
    int64_t years, product_id = 0, cert_fen, ship_fen;
    struct hall_price price = {0, 0, 0};
    int seal, i, n, found = 0;
    const char *subject, *json, *order_no;
    unsigned char *enc;
    size_t elen, jlen;
    int64_t order_id, rev;

    hall_req_param_i64(req, "years", &years);
    if (key != NULL && *key == '\0')
        key = NULL;
    if (key != NULL &&
        (strlen(key) < 16 ||
         strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
             strlen(key)))
        return hall_resp_error(req, 400, "submit_key", "表单标识不正确，请刷新页面后重新提交");
    if (id_s != NULL && *id_s != '\0') {
        o = order_load(req);
        if (o == NULL)
            return HALL_OK;
        project = hall_dbres_get(o, 0, 2);
    }
    if (partner_load(req, project, &p) != HALL_OK)
        return HALL_OK;
    res = hall_db_exec(req, "products_list", HALL_STR(p.code));
    if (res == NULL)
        return hall_resp_busy(req);
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++)
        if (strcmp(hall_dbres_get(res, i, 1), type) == 0) {
            found = 1;
            product_id = hall_dbres_i64(res, i, 0);
            price = product_price(res, i);
            if (years < hall_dbres_i64(res, i, 7) || years > hall_dbres_i64(res, i, 8))
                return hall_resp_error(req, 400, "years", "该证书类型不提供所选年限");
        }
    if (!found)
        return hall_resp_error(req, 400, "cert_type", "该项目不办理所选证书类型");
    seal = p.seal_offered && seal_s != NULL && strcmp(seal_s, "yes") == 0;
    if (p.seal_offered && (seal_s == NULL || *seal_s == '\0'))
        return hall_resp_error(req, 400, "seal", "请选择是否办理电子签章");

    for (f = fields; f->name != NULL; f++) {
        if (!(f->types & bit))
            continue;
        if (check_field(req, f, form) != HALL_OK)
            return HALL_OK;
    }
    /* cross-field rules */
    hall_val_set_str(req->pool, form, "shipping", hall_req_param(req, "shipping"));
    if (strcmp(hall_req_param(req, "shipping"), "prepaid") == 0 && !p.prepaid)
        return hall_resp_error(req, 400, "shipping", "该项目证书仅支持快递到付");
    hall_val_set_str(req->pool, form, "invoice", hall_req_param(req, "invoice"));
    if (strcmp(hall_req_param(req, "invoice"), "yes") == 0) {
        const char *tt = hall_req_param(req, "invoice_title_type");

        if (tt == NULL || *tt == '\0')
            return hall_resp_error(req, 400, "invoice_title_type", "请选择发票抬头类型");
        hall_val_set_str(req->pool, form, "invoice_title_type", tt);
        if (*form_str(form, "invoice_title") == '\0')
            return hall_resp_error(req, 400, "invoice_title", "请填写发票抬头，发票名称请完整填写");
        /* organisations need the taxpayer ID on an e-invoice to claim it */
        if (strcmp(tt, "org") == 0 && *form_str(form, "invoice_taxid") == '\0')
            return hall_resp_error(req, 400, "invoice_taxid",
                                   "发票抬头为单位时请填写纳税人识别号，否则无法作为报销凭证");
    } else {
        hall_val_set_str(req->pool, form, "invoice_title", "");
        hall_val_set_str(req->pool, form, "invoice_taxid", "");
    }
    if (bit & T_UNIT) {
        if (strcmp(form_str(form, "bank_account_name"), form_str(form, "org_name")) != 0)
            return hall_resp_error(req, 400, "bank_account_name", "基本户名称须与机构名称一致");
        if (check_divisions(req, form, "unit", 0) != HALL_OK)
            return HALL_OK;
        res = hall_db_exec(req, "bank_branch_get",
                           HALL_I64(strtoll(form_str(form, "bank_branch_id"), NULL, 10)));
        if (res == NULL)
            return hall_resp_busy(req);
        if (hall_dbres_rows(res) == 0)
            return hall_resp_error(req, 400, "bank_branch_id", "请从搜索下拉框中选择基本户开户行");
        hall_val_set_str(req->pool, form, "bank_branch_name", hall_dbres_get(res, 0, 0));
    }
    if (check_divisions(req, form, "mail", 1) != HALL_OK)
        return HALL_OK;

    if (o == NULL && orders_cap(req, 0) != HALL_OK)
        return HALL_OK;
    if (carrier_check(req, form, bit) != HALL_OK)
        return HALL_OK;

    subject = form_str(form, (bit & T_UNIT) ? "org_name" : "app_name");
    cert_fen = hall_price_cert(&price, (int)years, seal);
    ship_fen = 0;
    if (strcmp(form_str(form, "shipping"), "prepaid") == 0) {
        struct quote q;

        /* the fee is the courier's for this address, added to the bill */
        if (shipping_quote(req, form_str(form, "mail_province"), form_str(form, "mail_city"),
                           form_str(form, "mail_district"), form_str(form, "mail_town"),
                           &q) != HALL_OK)
            return HALL_OK;
        if (!q.prepaid)
            return hall_resp_error(
                req, 400, "shipping",
                hall_psprintf(req->pool, "该收件地址不支持寄付，仅支持%s到付", q.carrier));
        ship_fen = q.fee_fen;
        hall_val_set_str(req->pool, form, "carrier", q.carrier);
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
    if (o != NULL && strcmp(hall_dbres_get(o, 0, 7), "draft") != 0 &&
        cert_fen + ship_fen != hall_dbres_i64(o, 0, 12)) {
        const char *what = "years";

        if (strcmp(type, hall_dbres_get(o, 0, 4)) != 0)
            what = "cert_type";
        else if (seal != (strcmp(hall_dbres_get(o, 0, 6), "t") == 0))
            what = "seal";
        else if (years == hall_dbres_i64(o, 0, 5))
            what = "shipping";
        return hall_resp_error(
            req, 409, what,
            hall_psprintf(req->pool,
                          "该业务单已缴费%s元，修改后应缴%s元。已缴费的业务单不能变更金额"
                          "（证书类型、证书年限、电子签章、邮寄方式），请改回原选择后提交；"
                          "如需变更，请申请退费后重新办理。",
                          hall_yuan(req->pool, hall_dbres_i64(o, 0, 12)),
                          hall_yuan(req->pool, cert_fen + ship_fen)));
    }
    /* the choices and the price travel with the form's revisions, so the
     * reviewer's comparison with a rejected revision shows them too */
    hall_val_set_str(req->pool, form, "choice_cert_type", hall_cert_type_label(type));
    hall_val_set_fmt(req->pool, form, "choice_years", "%lld年", (long long)years);
    if (p.seal_offered)
        hall_val_set_str(req->pool, form, "choice_seal", seal ? "办理" : "不办理");
    hall_val_set_fmt(req->pool, form, "price_total", "%s元",
                     hall_yuan(req->pool, cert_fen + ship_fen));
    json = hall_val_json(req->pool, form, &jlen);
    if (json == NULL)
        return hall_resp_busy(req);
    enc = hall_pii_encrypt(req->pool, json, jlen, &elen);
    if (enc == NULL)
        return hall_resp_busy(req);

    if (hall_db_begin(req) != HALL_OK)
        return hall_resp_busy(req);
    if (o == NULL) {
        if (orders_cap(req, 1) != HALL_OK)
            return HALL_OK;
        if (key != NULL)
            res = hall_db_exec(req, "order_insert_keyed", HALL_I64(req->user_id), HALL_STR(p.code),
                               HALL_I64(product_id), HALL_STR(type), HALL_I64(years),
                               HALL_STR(seal ? "t" : "f"), HALL_STR(subject), HALL_I64(cert_fen),
                               HALL_I64(ship_fen), HALL_BIN(enc, elen), HALL_STR(key));
        else
            res = hall_db_exec(req, "order_insert", HALL_I64(req->user_id), HALL_STR(p.code),
                               HALL_I64(product_id), HALL_STR(type), HALL_I64(years),
                               HALL_STR(seal ? "t" : "f"), HALL_STR(subject), HALL_I64(cert_fen),
                               HALL_I64(ship_fen), HALL_BIN(enc, elen));
        if (res == NULL)
            return hall_resp_busy(req);
        if (hall_dbres_rows(res) == 0) {
            /* this form was submitted before: the order it made, unchanged */
            res = hall_db_exec(req, "order_by_key", HALL_I64(req->user_id), HALL_STR(key));
            if (res == NULL || hall_dbres_rows(res) == 0 || hall_db_commit(req) != HALL_OK)
                return hall_resp_busy(req);
            hall_info(req, "msg=\"form submitted again\" order=%s", hall_dbres_get(res, 0, 1));
            return hall_resp_go(req,
                                hall_psprintf(req->pool, "%s/new/print?id=%s", hall_req_base(req),
                                              hall_dbres_get(res, 0, 0)),
                                NULL);
        }
        order_id = hall_dbres_i64(res, 0, 0);
        order_no = hall_dbres_get(res, 0, 1);
        rev = 1;
        if (hall_audit(req, hall_req_actor(req), "order",
                       hall_psprintf(req->pool, "%lld", (long long)order_id), "create", NULL,
                       "draft", NULL) != HALL_OK)
            return hall_resp_busy(req);
    } else {
        order_id = hall_dbres_i64(o, 0, 0);
        order_no = hall_dbres_get(o, 0, 1);
        res = hall_db_exec(req, "order_update", HALL_I64(order_id), HALL_I64(req->user_id),
                           HALL_I64(product_id), HALL_STR(type), HALL_I64(years),
                           HALL_STR(seal ? "t" : "f"), HALL_STR(subject), HALL_I64(cert_fen),
                           HALL_I64(ship_fen), HALL_BIN(enc, elen));
        if (res == NULL)
            return hall_resp_busy(req);
        if (hall_dbres_rows(res) == 0)
            return hall_resp_error(req, 409, NULL, "该业务单当前状态不能修改");
        rev = hall_dbres_i64(res, 0, 0);
        if (hall_audit(req, hall_req_actor(req), "order",
                       hall_psprintf(req->pool, "%lld", (long long)order_id), "edit", NULL, NULL,
                       NULL) != HALL_OK)
            return hall_resp_busy(req);
    }
    if (hall_db_exec(req, "revision_insert", HALL_I64(order_id), HALL_I64(rev),
                     HALL_BIN(enc, elen)) == NULL ||
        hall_db_commit(req) != HALL_OK)
        return hall_resp_busy(req);
    hall_info(req, "msg=\"order saved\" order=%s rev=%lld", order_no, (long long)rev);
    return hall_resp_go(
        req,
        hall_psprintf(req->pool, "%s/new/print?id=%lld", hall_req_base(req), (long long)order_id),
        NULL);
}

/* the application form, every field (SPEC step 5) */
static int
print_page(struct hall_req *req)
{
    struct hall_dbres *o = order_load(req);
    struct hall_val *ctx, *form, *f;
    const struct field *fd;
    const char *type;
    unsigned bit;
    struct partner p;

    if (o == NULL)
        return HALL_OK;
    if (partner_load(req, hall_dbres_get(o, 0, 2), &p) != HALL_OK)
        return HALL_OK;
    form = order_form(req, o);
    if (form == NULL)
        return hall_resp_busy(req);
    type = hall_dbres_get(o, 0, 4);
    bit = type_bit(type);
    ctx = page_ctx(req, "打印申请表", &p);
    hall_val_set_str(req->pool, ctx, "order_id", hall_dbres_get(o, 0, 0));
    hall_val_set_str(req->pool, ctx, "order_no", hall_dbres_get(o, 0, 1));
    hall_val_set_str(req->pool, ctx, "cert_type_label", hall_cert_type_label(type));
    hall_val_set_str(req->pool, ctx, "years", hall_dbres_get(o, 0, 5));
    /* the seal chosen, or included in the product's price (Hunan's 签章费) */
    hall_val_set_bool(req->pool, ctx, "seal", strcmp(hall_dbres_get(o, 0, 18), "t") == 0);
    hall_val_set_bool(req->pool, ctx, "seal_included", strcmp(hall_dbres_get(o, 0, 6), "t") != 0);
    hall_val_set_str(req->pool, ctx, "cert_amount", hall_yuan(req->pool, hall_dbres_i64(o, 0, 10)));
    hall_val_set_str(req->pool, ctx, "shipping_amount",
                     hall_yuan(req->pool, hall_dbres_i64(o, 0, 11)));
    hall_val_set_str(req->pool, ctx, "amount", hall_yuan(req->pool, hall_dbres_i64(o, 0, 12)));
    hall_val_set_str(req->pool, ctx, "created", hall_dbres_get(o, 0, 15));
    hall_val_set_bool(req->pool, ctx, "printed", strcmp(hall_dbres_get(o, 0, 16), "t") == 0);
    hall_val_set_bool(req->pool, ctx, "unit", (bit & T_UNIT) != 0);
    hall_val_set_bool(req->pool, ctx, "applicant", (bit & (T_ORGP | T_PERSON)) != 0);
    hall_val_set_bool(req->pool, ctx, "person", bit == T_PERSON);
    f = hall_val_set_obj(req->pool, ctx, "f");
    for (fd = fields; fd->name != NULL; fd++)
        hall_val_set_str(req->pool, f, fd->name, form_str(form, fd->name));
    hall_val_set_str(req->pool, f, "unit_region", form_str(form, "unit_region"));
    hall_val_set_str(req->pool, f, "mail_region", form_str(form, "mail_region"));
    hall_val_set_str(req->pool, f, "bank_branch_name", form_str(form, "bank_branch_name"));
    hall_val_set_str(req->pool, f, "shipping",
                     strcmp(form_str(form, "shipping"), "prepaid") == 0 ? "寄付" : "到付");
    hall_val_set_str(req->pool, f, "invoice",
                     strcmp(form_str(form, "invoice"), "yes") == 0 ? "电子发票" : "不开票");
    steps_ctx(req, ctx, 2);
    return hall_resp_page(req, 200, "new_print", ctx);
}

static const struct hall_pspec printed_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_printed(struct hall_req *req)
{
    struct hall_dbres *o = order_load(req);
    struct hall_dbres *res;

    if (o == NULL)
        return HALL_OK;
    res = hall_db_exec(req, "order_printed", HALL_I64(hall_dbres_i64(o, 0, 0)),
                       HALL_I64(req->user_id));
    if (res == NULL)
        return hall_resp_busy(req);
    if (hall_dbres_rows(res) == 0)
        return hall_resp_error(req, 409, NULL, "该业务单当前状态不能修改");
    return hall_resp_go(req,
                        hall_psprintf(req->pool, "%s/new/upload?id=%lld", hall_req_base(req),
                                      (long long)hall_dbres_i64(o, 0, 0)),
                        NULL);
}

/* ---- 上传资料 (SPEC step 6) ------------------------------------------------- */

struct material {
    const char *kind;
    const char *label;
    unsigned types;
    int seal_only; /* needed when the order carries an e-seal */
};

static const struct material materials[] = {
    {"application", "申请表扫描件", T_ALL, 0},
    {"license", "营业执照扫描件", T_UNIT, 0},
    {"agent_id", "经办人身份证扫描件", T_UNIT, 0},
    {"applicant_id", "申请人身份证扫描件", T_ORGP | T_PERSON, 0},
    {"seal_form", "数字证书印章采集表", T_ALL, 1},
    {NULL, NULL, 0, 0},
};

static int
material_needed(const struct material *m, struct hall_dbres *o)
{
    return (m->types & type_bit(hall_dbres_get(o, 0, 4))) != 0 &&
           (!m->seal_only || strcmp(hall_dbres_get(o, 0, 18), "t") == 0);
}

static int
editable(struct hall_dbres *o)
{
    const char *st = hall_dbres_get(o, 0, 7);

    return strcmp(st, "draft") == 0 || strcmp(st, "rejected") == 0;
}

static int
upload_page(struct hall_req *req)
{
    struct hall_dbres *o = order_load(req), *files;
    struct hall_val *ctx, *list;
    const struct material *m;
    struct partner p;
    int i, n, all = 1;

    if (o == NULL)
        return HALL_OK;
    if (!editable(o))
        return hall_resp_error(req, 409, NULL, "该业务单当前状态不能修改");
    if (strcmp(hall_dbres_get(o, 0, 16), "t") != 0)
        return hall_resp_redirect(req, hall_psprintf(req->pool, "%s/new/print?id=%s",
                                                     hall_req_base(req), hall_dbres_get(o, 0, 0)));
    if (partner_load(req, hall_dbres_get(o, 0, 2), &p) != HALL_OK)
        return HALL_OK;
    files = hall_db_exec(req, "files_list", HALL_I64(hall_dbres_i64(o, 0, 0)));
    if (files == NULL)
        return hall_resp_busy(req);
    ctx = page_ctx(req, "上传资料", &p);
    hall_val_set_str(req->pool, ctx, "order_id", hall_dbres_get(o, 0, 0));
    hall_val_set_str(req->pool, ctx, "order_no", hall_dbres_get(o, 0, 1));
    hall_val_set_bool(req->pool, ctx, "unit", (type_bit(hall_dbres_get(o, 0, 4)) & T_UNIT) != 0);
    list = hall_val_set_list(req->pool, ctx, "materials");
    n = hall_dbres_rows(files);
    for (m = materials; m->kind != NULL; m++) {
        struct hall_val *v;

        if (!material_needed(m, o))
            continue;
        v = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, v, "kind", m->kind);
        hall_val_set_str(req->pool, v, "label", m->label);
        for (i = 0; i < n; i++)
            if (strcmp(hall_dbres_get(files, i, 1), m->kind) == 0) {
                hall_val_set_str(req->pool, v, "file_id", hall_dbres_get(files, i, 0));
                hall_val_set_str(
                    req->pool, v, "size",
                    hall_psprintf(req->pool, "%lldKB",
                                  (long long)(hall_dbres_i64(files, i, 3) + 1023) / 1024));
                hall_val_set_str(req->pool, v, "at", hall_dbres_get(files, i, 4));
            }
        if (hall_val_get(v, "file_id") == NULL)
            all = 0;
    }
    hall_val_set_bool(req->pool, ctx, "complete", all);
    hall_val_set_bool(req->pool, ctx, "rejected", strcmp(hall_dbres_get(o, 0, 7), "rejected") == 0);
    steps_ctx(req, ctx, 3);
    return hall_resp_page(req, 200, "new_upload", ctx);
}

static const struct hall_pspec upload_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {"kind", HALL_P_TEXT, 0, 1, 32, "资料类型", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_upload(struct hall_req *req)
{
    struct hall_dbres *o = order_load(req), *res, *old;
    const char *kind = hall_req_param(req, "kind");
    const struct material *m;
    struct hall_stored st;
    const char *err;
    struct hall_val *v;
    int status, i;

    if (o == NULL)
        return HALL_OK;
    for (m = materials; m->kind != NULL; m++)
        if (strcmp(m->kind, kind) == 0 && material_needed(m, o))
            break;
    if (m->kind == NULL)
        return hall_resp_error(req, 400, "kind", "该业务单不需要此类资料");
    if (!editable(o))
        return hall_resp_error(req, 409, NULL, "该业务单当前状态不能修改");
    status = hall_file_store(req, hall_req_upload(req, "file"), hall_file_materials,
                             "jpg、jpeg、bmp、gif、pdf", &st, &err);
    if (status != 0)
        return hall_resp_error(req, status, "file",
                               hall_psprintf(req->pool, "%s：%s", m->label, err));
    if (hall_db_begin(req) != HALL_OK)
        goto fail;
    /* one upload of this applicant at a time: the count below is exact, and
     * of two uploads of one kind the later one replaces the earlier */
    if (hall_db_exec(req, "user_lock", HALL_I64(req->user_id)) == NULL)
        goto fail;
    res = hall_db_exec(req, "uploads_today", HALL_I64(req->user_id));
    if (res == NULL)
        goto fail;
    if (hall_dbres_i64(res, 0, 0) >= req->app->conf.upload_daily_max) {
        hall_db_rollback(req);
        hall_file_discard(req, st.name);
        return hall_resp_error(req, 429, "file",
                               hall_psprintf(req->pool,
                                             "您今天上传的资料已达%ld份的上限，请明天再上传",
                                             req->app->conf.upload_daily_max));
    }
    old =
        hall_db_exec(req, "file_replace_old", HALL_I64(hall_dbres_i64(o, 0, 0)), HALL_STR(m->kind));
    if (old == NULL)
        goto fail;
    res = hall_db_exec(req, "file_insert", HALL_I64(hall_dbres_i64(o, 0, 0)), HALL_STR(m->kind),
                       HALL_STR(st.name), HALL_STR(st.mime), HALL_I64((int64_t)st.size),
                       HALL_BIN(st.sha256, 32));
    if (res == NULL)
        goto fail;
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "kind", m->kind);
    hall_val_set_str(req->pool, v, "mime", st.mime);
    if (hall_audit(req, hall_req_actor(req), "order", hall_dbres_get(o, 0, 0), "upload", NULL, NULL,
                   v) != HALL_OK ||
        hall_db_commit(req) != HALL_OK)
        goto fail;
    /* committed: the replaced files are nobody's any more.  A failure here
     * leaves a file whose row says replaced and not removed (see
     * docs/operations.md for the sweep) */
    for (i = 0; i < hall_dbres_rows(old); i++) {
        hall_file_discard(req, hall_dbres_get(old, i, 1));
        if (hall_db_exec(req, "file_removed", HALL_I64(hall_dbres_i64(old, i, 0))) == NULL)
            break;
    }
    hall_val_set_str(req->pool, v, "file_id", hall_dbres_get(res, 0, 0));
    hall_val_set_str(req->pool, v, "message", hall_psprintf(req->pool, "%s上传成功", m->label));
    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, hall_psprintf(req->pool, "%s/new/upload?id=%s",
                                                     hall_req_base(req), hall_dbres_get(o, 0, 0)));
    return hall_resp_ok(req, v);
fail:
    /* no row points at the file: remove it */
    hall_file_discard(req, st.name);
    return hall_resp_busy(req);
}

static int
file_download(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *res;
    unsigned char *data;
    size_t len;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK || id <= 0)
        return hall_resp_error(req, 404, NULL, "文件不存在");
    res = hall_db_exec(req, "file_get", HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL)
        return hall_resp_busy(req);
    if (hall_dbres_rows(res) == 0)
        return hall_resp_error(req, 404, NULL, "文件不存在");
    data = hall_file_load(req, hall_dbres_get(res, 0, 0), &len);
    if (data == NULL) {
        hall_err(req, "msg=\"stored file unreadable\" file=%lld", (long long)id);
        return hall_resp_error(req, 404, NULL, "文件不存在");
    }
    return hall_resp_bytes(req, data, len, hall_dbres_get(res, 0, 1),
                           hall_psprintf(req->pool, "%s-%s.%s", hall_dbres_get(res, 0, 3),
                                         hall_dbres_get(res, 0, 2),
                                         hall_file_ext(hall_dbres_get(res, 0, 1))));
}

static int
do_uploaded(struct hall_req *req)
{
    struct hall_dbres *o = order_load(req), *files;
    const struct material *m;
    int i, n;

    if (o == NULL)
        return HALL_OK;
    if (!editable(o))
        return hall_resp_error(req, 409, NULL, "该业务单当前状态不能提交");
    files = hall_db_exec(req, "files_list", HALL_I64(hall_dbres_i64(o, 0, 0)));
    if (files == NULL)
        return hall_resp_busy(req);
    n = hall_dbres_rows(files);
    for (m = materials; m->kind != NULL; m++) {
        int have = 0;

        if (!material_needed(m, o))
            continue;
        for (i = 0; i < n; i++)
            if (strcmp(hall_dbres_get(files, i, 1), m->kind) == 0)
                have = 1;
        if (!have)
            return hall_resp_error(req, 400, m->kind,
                                   hall_psprintf(req->pool, "请上传%s", m->label));
    }
    if (strcmp(hall_dbres_get(o, 0, 7), "rejected") == 0) {
        /* a fixed rejected order goes back to the reviewers (重新提交) */
        struct hall_val *d = hall_val_obj(req->pool);
        int r;

        hall_val_set_int(req->pool, d, "form_rev", hall_dbres_i64(o, 0, 14));
        if (hall_db_begin(req) != HALL_OK)
            return hall_resp_busy(req);
        r = hall_order_move(req, hall_dbres_i64(o, 0, 0), "rejected", "review", hall_req_actor(req),
                            d);
        if (r == HALL_ORDER_CONFLICT)
            return hall_resp_error(req, 409, NULL, "该业务单当前状态不能提交");
        if (r != HALL_OK || hall_db_commit(req) != HALL_OK)
            return hall_resp_busy(req);
        return hall_resp_go(req,
                            hall_psprintf(req->pool, "%s/center/order?id=%s", hall_req_base(req),
                                          hall_dbres_get(o, 0, 0)),
                            NULL);
    }
    if (hall_db_exec(req, "order_step", HALL_I64(hall_dbres_i64(o, 0, 0)), HALL_STR("print,upload"),
                     HALL_STR("upload")) == NULL)
        return hall_resp_busy(req);
    return hall_resp_go(req,
                        hall_psprintf(req->pool, "%s/new/identity?id=%s", hall_req_base(req),
                                      hall_dbres_get(o, 0, 0)),
                        NULL);
}

/* 重新提交审核: only a rejected order; the same checks as the upload step */
static int
do_resubmit(struct hall_req *req)
{
    struct hall_dbres *o = order_load(req);

    if (o == NULL)
        return HALL_OK;
    if (strcmp(hall_dbres_get(o, 0, 7), "rejected") != 0)
        return hall_resp_error(req, 409, NULL, "只有审核驳回的业务单可以重新提交");
    return do_uploaded(req);
}

/* ---- 经办人在线认证 (SPEC step 7) ------------------------------------------ */

static const char *
identity_who(const char *cert_type)
{
    return strcmp(cert_type, "person") == 0 ? "applicant" : "agent";
}

static int
identity_page(struct hall_req *req)
{
    struct hall_dbres *o = order_load(req), *res;
    struct hall_val *ctx;
    struct partner p;
    unsigned char tok[32], hash[32];
    const char *token, *url, *who, *step;

    if (o == NULL)
        return HALL_OK;
    step = hall_dbres_get(o, 0, 8);
    if (partner_load(req, hall_dbres_get(o, 0, 2), &p) != HALL_OK)
        return HALL_OK;
    ctx = page_ctx(req, "在线认证", &p);
    hall_val_set_str(req->pool, ctx, "order_id", hall_dbres_get(o, 0, 0));
    hall_val_set_str(req->pool, ctx, "order_no", hall_dbres_get(o, 0, 1));
    who = identity_who(hall_dbres_get(o, 0, 4));
    hall_val_set_str(req->pool, ctx, "who_label", strcmp(who, "agent") == 0 ? "经办人" : "申请人");
    steps_ctx(req, ctx, 4);
    if (strcmp(hall_dbres_get(o, 0, 7), "draft") != 0) {
        /* already verified (or past it): nothing to scan */
        hall_val_set_bool(req->pool, ctx, "passed", 1);
        return hall_resp_page(req, 200, "new_identity", ctx);
    }
    if (strcmp(step, "upload") != 0 && strcmp(step, "identity") != 0)
        return hall_resp_redirect(req, hall_psprintf(req->pool, "%s/new/upload?id=%s",
                                                     hall_req_base(req), hall_dbres_get(o, 0, 0)));
    if (hall_rand_bytes(tok, sizeof(tok)) != HALL_OK)
        return hall_resp_busy(req);
    token = hall_b64url(req->pool, tok, sizeof(tok));
    hall_sha256(token, strlen(token), hash);
    /* a new code: the ones shown before stop working unless a phone opened them */
    if (hall_db_begin(req) != HALL_OK ||
        hall_db_exec(req, "identity_expire", HALL_I64(hall_dbres_i64(o, 0, 0))) == NULL)
        return hall_resp_busy(req);
    res = hall_db_exec(req, "identity_insert", HALL_I64(hall_dbres_i64(o, 0, 0)),
                       HALL_BIN(hash, 32), HALL_STR(who));
    if (res == NULL || hall_db_commit(req) != HALL_OK)
        return hall_resp_busy(req);
    url = hall_psprintf(req->pool, "%s%s/new/m/verify?t=%s", req->app->conf.public_url,
                        hall_req_base(req), token);
    hall_val_set_str(req->pool, ctx, "qr_svg", hall_qr_svg(req->pool, url, 4));
    hall_val_set_str(req->pool, ctx, "mobile_url", url);
    return hall_resp_page(req, 200, "new_identity", ctx);
}

/* polled by the PC page: has the phone finished? */
static int
identity_status(struct hall_req *req)
{
    struct hall_dbres *o = order_load(req), *res;
    struct hall_val *v;
    const char *status = "pending", *message = "";

    if (o == NULL)
        return HALL_OK;
    res = hall_db_exec(req, "identity_latest", HALL_I64(hall_dbres_i64(o, 0, 0)));
    if (res == NULL)
        return hall_resp_busy(req);
    if (hall_dbres_rows(res) > 0) {
        status = hall_dbres_get(res, 0, 0);
        message = hall_dbres_get(res, 0, 1);
        if (strcmp(hall_dbres_get(res, 0, 2), "t") != 0 && strcmp(status, "passed") != 0) {
            status = "expired";
            message = "二维码已失效，请刷新页面获取新的二维码";
        }
    }
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "status", status);
    hall_val_set_str(req->pool, v, "message", message);
    if (strcmp(status, "passed") == 0)
        hall_val_set_str(
            req->pool, v, "next",
            hall_psprintf(req->pool, "%s/pay?id=%s", hall_req_base(req), hall_dbres_get(o, 0, 0)));
    return hall_resp_ok(req, v);
}

/* the phone's check, by the token of its link; NULL after answering */
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

    if (t == NULL || strlen(t) != 43 ||
        strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != 43) {
        hall_resp_error(req, 404, NULL, "认证链接无效，请重新扫描电脑上的二维码");
        return HALL_ERR;
    }
    hall_sha256(t, strlen(t), hash);
    res = hall_db_exec(req, "identity_by_token", HALL_BIN(hash, 32));
    if (res == NULL) {
        hall_resp_busy(req);
        return HALL_ERR;
    }
    if (hall_dbres_rows(res) == 0) {
        hall_resp_error(req, 404, NULL, "认证链接无效，请重新扫描电脑上的二维码");
        return HALL_ERR;
    }
    c->id = hall_dbres_i64(res, 0, 0);
    c->order_id = hall_dbres_i64(res, 0, 1);
    c->who = hall_dbres_get(res, 0, 2);
    c->status = hall_dbres_get(res, 0, 3);
    c->attempts = (long)hall_dbres_i64(res, 0, 4);
    c->owner = hall_dbres_i64(res, 0, 7);
    if (strcmp(c->status, "passed") == 0)
        return HALL_OK;
    if (strcmp(hall_dbres_get(res, 0, 5), "t") != 0 || strcmp(c->status, "failed") == 0 ||
        strcmp(hall_dbres_get(res, 0, 8), "draft") != 0) {
        hall_resp_error(req, 410, NULL, "二维码已失效，请在电脑上刷新页面后重新扫描");
        return HALL_ERR;
    }
    enc = hall_dbres_bytea(req, res, 0, 6, &len);
    plain = enc != NULL ? hall_pii_decrypt(req->pool, enc, len) : NULL;
    form = plain != NULL ? hall_val_parse(req->pool, plain, strlen(plain), err, sizeof(err)) : NULL;
    if (form == NULL) {
        hall_resp_busy(req);
        return HALL_ERR;
    }
    c->name = form_str(form, strcmp(c->who, "agent") == 0 ? "agent_name" : "app_name");
    c->ric = form_str(form, strcmp(c->who, "agent") == 0 ? "agent_ric" : "app_ric");
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
    if (hall_db_exec(req, "identity_opened", HALL_I64(c.id)) == NULL)
        return hall_resp_busy(req);
    ctx = page_ctx(req, "身份认证", NULL);
    hall_val_set_str(req->pool, ctx, "t", hall_req_param(req, "t"));
    hall_val_set_str(req->pool, ctx, "who_label",
                     strcmp(c.who, "agent") == 0 ? "经办人" : "申请人");
    /* enough for the person to see it is them, not enough to leak the name */
    n = strlen(c.name);
    hall_val_set_str(req->pool, ctx, "name_masked",
                     hall_psprintf(req->pool, "%.3s%s", c.name, n > 3 ? "**" : ""));
    hall_val_set_bool(req->pool, ctx, "passed", strcmp(c.status, "passed") == 0);
    hall_val_set_bool(req->pool, ctx, "ocr_ok", strcmp(c.status, "ocr_ok") == 0);
    return hall_resp_page(req, 200, "new_mobile", ctx);
}

/* the upload of a photo as base64 for a provider; NULL after answering */
static const char *
photo_b64(struct hall_req *req, const char *field, const char *label)
{
    const struct hall_upload *up = hall_req_upload(req, field);

    if (up == NULL || up->size == 0) {
        hall_resp_error(req, 400, field, hall_psprintf(req->pool, "请拍摄或上传%s", label));
        return NULL;
    }
    return hall_b64url(req->pool, up->data, up->size);
}

static int
identity_fail(struct hall_req *req, struct check *c, const char *field, const char *msg)
{
    /* the failed try is counted and its reason shown on the PC page */
    if (hall_db_begin(req) != HALL_OK ||
        hall_db_exec(req, "identity_set", HALL_I64(c->id), HALL_STR(c->status), HALL_STR(msg),
                     HALL_I64(1)) == NULL ||
        hall_db_commit(req) != HALL_OK)
        return hall_resp_busy(req);
    return hall_resp_error(req, 400, field, msg);
}

#define IDENTITY_MAX_ATTEMPTS 10

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
        return hall_resp_go(req,
                            hall_psprintf(req->pool, "%s/new/m/verify?t=%s", hall_req_base(req),
                                          hall_req_param(req, "t")),
                            NULL);
    if (c.attempts >= IDENTITY_MAX_ATTEMPTS)
        return hall_resp_error(req, 429, NULL, "认证失败次数过多，请在电脑上刷新二维码后重试");
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
        return identity_fail(req, &c, "front", "无法识别身份证人像面，请重新拍摄清晰完整的照片");
    if (hall_val_get(back, "ok") == NULL || hall_val_get(back, "ok")->i == 0)
        return identity_fail(req, &c, "back", "无法识别身份证国徽面，请重新拍摄清晰完整的照片");
    name = hall_val_get(front, "name");
    idno = hall_val_get(front, "id_number");
    label = strcmp(c.who, "agent") == 0 ? "经办人" : "申请人";
    if (name == NULL || name->type != HALL_V_STR || strcmp(name->str, c.name) != 0)
        return identity_fail(req, &c, "front",
                             hall_psprintf(req->pool,
                                           "身份证姓名与%s姓名不一致，请使用%s本人的身份证", label,
                                           label));
    if (idno == NULL || idno->type != HALL_V_STR || strcasecmp(idno->str, c.ric) != 0)
        return identity_fail(req, &c, "front",
                             hall_psprintf(req->pool,
                                           "身份证号码与%s身份证号码不一致，请使用%s本人的身份证",
                                           label, label));
    if (hall_db_begin(req) != HALL_OK ||
        hall_db_exec(req, "identity_set", HALL_I64(c.id), HALL_STR("ocr_ok"), HALL_NULLP,
                     HALL_I64(0)) == NULL ||
        hall_db_commit(req) != HALL_OK)
        return hall_resp_busy(req);
    return hall_resp_go(req,
                        hall_psprintf(req->pool, "%s/new/m/verify?t=%s", hall_req_base(req),
                                      hall_req_param(req, "t")),
                        NULL);
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
        return hall_resp_go(req,
                            hall_psprintf(req->pool, "%s/new/m/verify?t=%s", hall_req_base(req),
                                          hall_req_param(req, "t")),
                            NULL);
    if (strcmp(c.status, "ocr_ok") != 0)
        return hall_resp_error(req, 409, NULL, "请先完成身份证识别");
    if (c.attempts >= IDENTITY_MAX_ATTEMPTS)
        return hall_resp_error(req, 429, NULL, "认证失败次数过多，请在电脑上刷新二维码后重试");
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
        return identity_fail(req, &c, "media", "活体认证未通过，请正对镜头、光线充足后重试");
    /* one transaction: the check passes and the order moves on, or neither */
    if (hall_db_begin(req) != HALL_OK)
        return hall_resp_busy(req);
    res = hall_db_exec(req, "identity_lock", HALL_I64(c.id));
    if (res == NULL)
        return hall_resp_busy(req);
    if (strcmp(hall_dbres_get(res, 0, 0), "ocr_ok") != 0)
        return hall_resp_error(req, 409, NULL, "请先完成身份证识别");
    if (hall_db_exec(req, "identity_set", HALL_I64(c.id), HALL_STR("passed"), HALL_NULLP,
                     HALL_I64(0)) == NULL ||
        hall_db_exec(req, "order_step", HALL_I64(c.order_id), HALL_STR("upload,identity"),
                     HALL_STR("identity")) == NULL)
        return hall_resp_busy(req);
    mv = hall_order_move(req, c.order_id, "draft", "unpaid",
                         hall_psprintf(req->pool, "user:%lld", (long long)c.owner), NULL);
    if (mv == HALL_ORDER_CONFLICT)
        return hall_resp_error(req, 409, NULL, "该业务单当前状态不能认证");
    if (mv != HALL_OK || hall_db_commit(req) != HALL_OK)
        return hall_resp_busy(req);
    return hall_resp_go(req,
                        hall_psprintf(req->pool, "%s/new/m/verify?t=%s", hall_req_base(req),
                                      hall_req_param(req, "t")),
                        NULL);
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
        return hall_resp_error(req, 400, "parent", "地区代码不正确");
    res = hall_db_exec(req, "division_children", parent != NULL ? HALL_STR(parent) : HALL_NULLP);
    if (res == NULL)
        return hall_resp_busy(req);
    list = hall_val_set_list(req->pool, v, "items");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *o = hall_val_push_obj(req->pool, list);

        hall_val_set_str(req->pool, o, "code", hall_dbres_get(res, i, 0));
        hall_val_set_str(req->pool, o, "name", hall_dbres_get(res, i, 1));
        hall_val_set_int(req->pool, o, "level", hall_dbres_i64(res, i, 2));
    }
    hall_resp_header(req, "Cache-Control", "private, max-age=3600");
    return hall_resp_ok(req, v);
}

static const struct hall_pspec banks_params[] = {
    {"q", HALL_P_TEXT, 0, 1, 30, "开户行关键字", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
banks_json(struct hall_req *req)
{
    struct hall_val *v = hall_val_obj(req->pool), *list;
    struct hall_dbres *res = hall_db_exec(req, "bank_search", HALL_STR(hall_req_param(req, "q")));
    int i, n;

    if (res == NULL)
        return hall_resp_busy(req);
    list = hall_val_set_list(req->pool, v, "items");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *o = hall_val_push_obj(req->pool, list);

        hall_val_set_str(req->pool, o, "id", hall_dbres_get(res, i, 0));
        hall_val_set_str(req->pool, o, "name", hall_dbres_get(res, i, 1));
        hall_val_set_str(req->pool, o, "bank", hall_dbres_get(res, i, 2));
        hall_val_set_str(req->pool, o, "city", hall_dbres_get(res, i, 3));
    }
    return hall_resp_ok(req, v);
}

static const struct hall_route new_routes[] = {
    {"GET", "/new", start_page, HALL_R_AUTH, NULL},
    /* a partner's signed redirect: checked before any login */
    {"GET", "/new/entry", link_entry, 0, NULL},
    {"POST", "/new/agree", do_agree, HALL_R_AUTH, agree_params},
    {"GET", "/new/apply", apply_page, HALL_R_AUTH, NULL},
    {"POST", "/new/apply", do_apply, HALL_R_AUTH, apply_params},
    {"GET", "/new/print", print_page, HALL_R_AUTH, NULL},
    {"POST", "/new/printed", do_printed, HALL_R_AUTH, printed_params},
    {"GET", "/new/upload", upload_page, HALL_R_AUTH, NULL},
    {"POST", "/new/upload", do_upload, HALL_R_AUTH | HALL_R_MULTIPART, upload_params},
    {"GET", "/new/file", file_download, HALL_R_AUTH, NULL},
    {"POST", "/new/uploaded", do_uploaded, HALL_R_AUTH, printed_params},
    {"POST", "/new/resubmit", do_resubmit, HALL_R_AUTH, printed_params},
    {"GET", "/new/identity", identity_page, HALL_R_AUTH, NULL},
    {"GET", "/new/identity/status", identity_status, HALL_R_AUTH, NULL},
    /* the phone is not logged in: the link's token is the credential */
    {"GET", "/new/m/verify", mobile_page, 0, token_params},
    {"POST", "/new/m/ocr", do_ocr, HALL_R_MULTIPART, token_params},
    {"POST", "/new/m/liveness", do_liveness, HALL_R_MULTIPART, token_params},
    {"GET", "/new/divisions", divisions_json, HALL_R_AUTH, NULL},
    {"GET", "/new/shipping", shipping_json, HALL_R_AUTH, NULL},
    {"GET", "/new/banks", banks_json, HALL_R_AUTH, banks_params},
    {NULL, NULL, NULL, 0, NULL},
};

static const struct hall_module new_module = {
    "new",
    new_routes,
    new_stmts,
    NULL,
};

int
main(int argc, char **argv)
{
    return hall_main(argc, argv, &new_module);
}
