/*
 * seal_attachment.c: the 证书附页 of an order (GET /seal/attachment): its
 * seals as they will be made, with their pictures, and the 采集表 (GET
 * /seal/collect-form, an order's or the blank one); there each 机构个人章
 * holder's own phone is verified before submission, by an SMS code (POST
 * /seal/holder/code, /seal/holder/verify).
 */

#include <stdio.h>
#include <string.h>

#include "seal.h"

/* 4127**********0012: enough for the applicant to recognise, never the number */
static const char *
ric_masked(struct hall_pool *pool, const char *ric)
{
    size_t n = strlen(ric);

    if (n < 8)
        return "****";
    return hall_psprintf(pool, "%.4s%.*s%s", ric, (int)(n - 8), "**************", ric + n - 4);
}

/* 138****0000: the holder's phone as the agent sees it */
static const char *
mobile_masked(struct hall_pool *pool, const char *m)
{
    if (strlen(m) != 11)
        return "";
    return hall_psprintf(pool, "%.3s****%s", m, m + 7);
}

/* a 机构个人章 row's holder phone, verified while the phone a code proved
 * (holder_verified_idx) is the one on the row */
int
seal_holder_verified(struct hall_ctx *cx, struct hall_dbres *res, int i, const char *mobile)
{
    unsigned char idx[32];
    size_t len;
    const unsigned char *v =
        hall_dbres_bytea(cx, res, i, hall_dbres_col(res, "holder_verified_idx"), &len);

    if (v == NULL || len != 32 || strlen(mobile) != 11)
        return 0;
    hall_pii_index("phone", mobile, idx);
    return hall_ct_equal(v, idx, 32);
}

/* a seal's production: 待制作, valid (its files to download), 已注销, or
 * 无效 when its signer's certificate no longer is (a seal follows its signer) */
static void
made_ctx(struct hall_req *req, struct hall_val *it, struct hall_dbres *res, int i)
{
    const char *st = hall_dbres_str(res, i, "seseal_state");
    int signer_ok = strcmp(hall_dbres_str(res, i, "cert_state"), "issued") == 0;

    hall_dbres_set(req->pool, it, res, i, "es_id");
    hall_val_set_bool(req->pool, it, "valid", strcmp(st, "valid") == 0 && signer_ok);
    /* its signer's medium: offered once, then said to be delivered; a
     * 机构个人章's is its holder's, never offered to the agent */
    hall_val_set_bool(req->pool, it, "holder_medium",
                      strcmp(hall_dbres_str(res, i, "kind"), "org_person") == 0);
    /* its key born in its holder's browser (sql/159): nothing held, ever */
    hall_val_set_bool(req->pool, it, "holder_browser",
                      strcmp(hall_dbres_str(res, i, "key_origin"), "browser") == 0);
    /* its key born on the order's USB key: the medium goes in the envelope
     * (another order's, usb_order, after a 补办 or 变更 replaced its signer) */
    if (*hall_dbres_str(res, i, "usb_serial") != '\0')
        hall_dbres_set(req->pool, it, res, i, "usb=usb_serial usb_order");
    hall_dbres_set(req->pool, it, res, i, "medium_held:b");
    if (*hall_dbres_str(res, i, "medium_gone_at") != '\0') {
        struct hall_val *g = hall_val_set_obj(req->pool, it, "medium_gone");

        hall_dbres_set(req->pool, g, res, i, "at=medium_gone_at");
        hall_val_set_str(req->pool, g, "why",
                         hall_medium_why_label(hall_dbres_str(res, i, "medium_gone_why")));
        hall_medium_links(req, g, hall_dbres_str(res, i, "partner"),
                          hall_dbres_str(res, i, "cert_serial"));
    }
    if (strcmp(st, "valid") == 0 && signer_ok)
        hall_val_set_fmt(req->pool, it, "state_label", "有效（至%s）",
                         hall_dbres_str(res, i, "valid_end"));
    else if (strcmp(st, "valid") == 0)
        hall_val_set_str(req->pool, it, "state_label", "无效（签章人证书已吊销）");
    else if (strcmp(st, "revoked") == 0)
        hall_val_set_fmt(req->pool, it, "state_label", "已注销（%s）",
                         hall_dbres_str(res, i, "revoked_at"));
    else if (hall_dbres_bool(res, i, "biz_waiting")) {
        hall_val_set_str(req->pool, it, "state_label",
                         "待生成印章密钥（SM2印章的密钥由申请人在本浏览器中生成）");
        hall_dbres_set(req->pool, it, res, i, "biz_es");
        hall_val_set_bool(req->pool, it, "biz_waiting", 1);
    } else if (hall_dbres_bool(res, i, "cert_keygen"))
        hall_val_set_str(req->pool, it, "state_label",
                         "待制作（请先在业务单详情中生成密钥并下载证书，印章随证书制作）");
    else if (hall_dbres_bool(res, i, "key_waiting"))
        hall_val_set_str(
            req->pool, it, "state_label",
            "待持有人生成密钥（验证码已发送至持有人本人手机，由持有人在其浏览器中生成）");
    else
        hall_val_set_str(req->pool, it, "state_label", "待制作");
}

/* the seal rows of an order for a page: kind, name, years, style, picture */
static struct hall_val *
items_ctx(struct hall_req *req, struct hall_val *ctx, int64_t order_id)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "seal_items_of", HALL_I64(order_id));
    struct hall_val *list;
    int i;

    if (res == NULL)
        return NULL;
    list = hall_val_set_list(req->pool, ctx, "seals");
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *it = hall_val_push_obj(req->pool, list);
        const char *kind = hall_dbres_str(res, i, "kind");
        enum hall_seal_kind k = hall_seal_kind_of(kind);

        hall_val_set_int(req->pool, it, "no", i + 1);
        hall_dbres_set(req->pool, it, res, i, "id");
        hall_val_set_str(req->pool, it, "kind_label", hall_seal_kind_text(kind));
        /* the bundled 机构章, which has no seal_name, by its unit
         * (sql/functions/seal_shown_name.sql) */
        hall_dbres_set(req->pool, it, res, i, "name=shown_name years");
        /* a 个人证书's own seal: the person's name, the order's subject */
        if (strcmp(kind, "person") == 0 && hall_val_get(ctx, "org_name") != NULL)
            hall_val_set_str(req->pool, it, "name", hall_val_get(ctx, "org_name")->str);
        hall_val_set_str(
            req->pool, it, "style_label",
            hall_seal_style_label(strcmp(hall_dbres_str(res, i, "style"), "cutout") == 0
                                      ? HALL_SEAL_CUTOUT
                                      : HALL_SEAL_AUTO));
        hall_val_set_bool(req->pool, it, "cutout",
                          strcmp(hall_dbres_str(res, i, "style"), "cutout") == 0);
        hall_dbres_set(req->pool, it, res, i, "has_image:b confirmed=image_confirmed:b");
        made_ctx(req, it, res, i);
        /* a certificate medium the hall held for the agent, once (a file of
         * before): only then the page's words of its one download */
        if (k != HALL_SEAL_PERSON && (hall_dbres_bool(res, i, "medium_held") ||
                                      *hall_dbres_str(res, i, "medium_gone_at") != '\0'))
            hall_val_set_bool(req->pool, ctx, "medium_once", 1);
        if (k == HALL_SEAL_PERSON) {
            struct hall_val *h =
                hall_dbres_pii_json(req->cx, res, i, hall_dbres_col(res, "holder_enc"));
            const struct hall_val *n = h != NULL ? hall_val_get(h, "name") : NULL;
            const struct hall_val *r = h != NULL ? hall_val_get(h, "ric") : NULL;

            if (n == NULL || r == NULL || n->type != HALL_V_STR || r->type != HALL_V_STR)
                return NULL;
            hall_val_set_str(req->pool, it, "name", n->str);
            hall_val_set_str(req->pool, it, "holder_ric", ric_masked(req->pool, r->str));
            /* the holder's own phone (sql/053): the PIN and the medium go to it */
            hall_val_set_bool(req->pool, it, "person", 1);
            hall_val_set_str(req->pool, it, "holder_mobile",
                             mobile_masked(req->pool, hall_val_str(h, "mobile")));
            hall_val_set_bool(req->pool, it, "holder_verified",
                              seal_holder_verified(req->cx, res, i, hall_val_str(h, "mobile")));
        }
    }
    return list;
}

/* the owner's seal order named by "id"; NULL after answering, or unanswered
 * when the store failed */
static struct hall_dbres *
seal_order(struct hall_req *req, int64_t *id)
{
    return hall_order_own(req, "seal_order_own", id);
}

/* a page of the owner's seal order "id" with its seals; NULL after
 * answering, or unanswered when the store failed (the core's finish
 * answers) */
struct hall_val *
seal_order_page(struct hall_req *req, const char *title)
{
    struct hall_val *ctx = hall_page_ctx(req);
    struct hall_dbres *o;
    int64_t id;

    o = seal_order(req, &id);
    if (o == NULL)
        return NULL;
    hall_val_set_str(req->pool, ctx, "title", title);
    hall_val_set_int(req->pool, ctx, "id", id);
    hall_dbres_set(req->pool, ctx, o, 0, "order_no org_name=subject created");
    /* 抠图 and 确认 while the applicant may still change the order */
    hall_val_set_bool(req->pool, ctx, "editable",
                      strcmp(hall_dbres_str(o, 0, "status"), "draft") == 0 ||
                          strcmp(hall_dbres_str(o, 0, "status"), "rejected") == 0);
    /* unanswered: the store failed, or a holder's row cannot be read */
    if (items_ctx(req, ctx, id) == NULL)
        return NULL;
    return ctx;
}

int
seal_attachment(struct hall_req *req)
{
    struct hall_val *ctx = seal_order_page(req, "证书附页");

    if (ctx == NULL)
        return HALL_OK;
    hall_val_set_str(req->pool, ctx, "page_js", "seal.js");
    return hall_resp_page(req, 200, "seal_attachment", ctx);
}

/* the order's 采集表: one box per seal of the order; a 证书新办 with its
 * 电子签章 (建筑工务署, 湖南) has no seal row before production: the box of
 * the seal it will get, a 机构证书's 机构章 or a 个人证书's 个人印章 */
int
seal_collect_form_of(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *o = hall_order_own(req, "seal_collect_order", &id), *res;
    const char **labels;
    unsigned char *pdf;
    size_t len;
    int i, n;

    if (o == NULL)
        return HALL_OK;
    res = hall_db_exec(req->cx, "seal_items_of", HALL_I64(id));
    if (res == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(res);
    labels = hall_palloc(req->pool, sizeof(*labels) * (size_t)(n + 2));
    for (i = 0; i < n; i++) {
        const char *kind = hall_dbres_str(res, i, "kind");

        labels[i] = hall_psprintf(req->pool, "%d. %s%s%s", i + 1, hall_seal_kind_text(kind),
                                  *hall_dbres_str(res, i, "seal_name") ? " · " : "",
                                  hall_dbres_str(res, i, "seal_name"));
        if (strcmp(kind, "org_person") == 0)
            labels[i] = hall_psprintf(req->pool, "%s（手写签名）", labels[i]);
    }
    if (n == 0)
        labels[n++] = hall_psprintf(req->pool, "1. %s",
                                    hall_seal_kind_text(hall_dbres_str(o, 0, "cert_type")));
    pdf = hall_sealimg_collect_pdf(req->pool, hall_dbres_str(o, 0, "subject"),
                                   hall_dbres_str(o, 0, "order_no"), labels, n, &len);
    if (pdf == NULL)
        return HALL_ERR;
    return hall_resp_bytes(
        req, pdf, len, "application/pdf",
        hall_psprintf(req->pool, "电子签章采集表-%s.pdf", hall_dbres_str(o, 0, "order_no")));
}

/* the 电子签章采集表 (GET /seal/collect-form): an order's, or without one the
 * blank template */
int
seal_collect_form(struct hall_req *req)
{
    size_t len;
    unsigned char *pdf;

    if (hall_req_param(req, "id") != NULL) {
        if (req->user_id == 0)
            return hall_msg(req, HALL_M_LOGIN_FIRST, NULL);
        return seal_collect_form_of(req);
    }
    pdf = hall_sealimg_collect_pdf(req->pool, NULL, NULL, NULL, 0, &len);
    if (pdf == NULL)
        return HALL_ERR;
    return hall_resp_bytes(req, pdf, len, "application/pdf", "电子签章采集表.pdf");
}

/* ---- 机构个人章: the holder's own phone, verified before submission ---------------- */

/* the code's MAC, bound to the seal row and the phone's blind index */
static void
holder_code_mac(int64_t item, const unsigned char idx[32], const char *code, unsigned char out[32])
{
    char msg[128];
    int n = snprintf(msg, sizeof(msg), "%lld:%s:", (long long)item, code);

    memcpy(msg + n, idx, 32);
    hall_mac("seal-holder-phone", msg, (size_t)n + 32, out);
}

/* the locked 机构个人章 row "id" of the applicant's order being edited, and
 * its holder's phone; NULL after answering, or unanswered when the store
 * failed or the row cannot be read (the core's finish answers 503 / 500) */
static struct hall_dbres *
holder_row(struct hall_req *req, int64_t *id, const char **mobile, const char **name)
{
    struct hall_dbres *res;
    struct hall_val *h;
    const char *st;

    if (hall_req_param_i64(req, "id", id) != HALL_OK || *id <= 0) {
        hall_msg(req, HALL_M_SEAL_ITEM_ID, "id");
        return NULL;
    }
    if (hall_db_begin(req->cx) != HALL_OK)
        return NULL;
    res = hall_db_exec(req->cx, "seal_holder_lock", HALL_I64(*id), HALL_I64(req->user_id),
                       HALL_I64(req->app->conf.sms_code_interval_s));
    if (res == NULL)
        return NULL;
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_SEAL_NOT_FOUND, NULL);
        return NULL;
    }
    if (strcmp(hall_dbres_str(res, 0, "kind"), "org_person") != 0) {
        hall_msg(req, HALL_M_SEAL_HOLDER_NOT_PERSON, NULL);
        return NULL;
    }
    st = hall_dbres_str(res, 0, "status");
    if (strcmp(st, "draft") != 0 && strcmp(st, "rejected") != 0) {
        hall_msg(req, HALL_M_SEAL_ORDER_SUBMITTED, NULL);
        return NULL;
    }
    h = hall_dbres_pii_json(req->cx, res, 0, hall_dbres_col(res, "holder_enc"));
    if (h == NULL)
        return NULL; /* a stored row we cannot read: the hall's mistake (500) */
    *name = hall_val_str(h, "name");
    *mobile = hall_val_str(h, "mobile");
    if (strlen(*mobile) != 11) {
        hall_msg(req, HALL_M_SEAL_HOLDER_NO_MOBILE, NULL, *name);
        return NULL;
    }
    return res;
}

/* 获取验证码: a code to the holder's own phone (not the agent's), at most one
 * a minute and 5 an hour per seal row, 100 an hour per applicant */
int
seal_holder_code(struct hall_req *req)
{
    struct hall_dbres *res;
    const char *mobile, *name, *order;
    unsigned char idx[32], mac[32];
    char code[7];
    int64_t id, n;

    const unsigned char *last;
    size_t last_len;

    res = holder_row(req, &id, &mobile, &name);
    if (res == NULL)
        return HALL_OK;
    hall_pii_index("phone", mobile, idx);
    /* one code a minute to one phone (a row's new phone may have its own) */
    last = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "holder_code_idx"), &last_len);
    if (hall_dbres_bool(res, 0, "recent") && last != NULL && last_len == 32 &&
        hall_ct_equal(last, idx, 32))
        return hall_msg(req, HALL_M_SEAL_HOLDER_TOO_SOON, NULL);
    order = hall_dbres_str(res, 0, "order_id");
    n = hall_send_count(req->cx, hall_psprintf(req->pool, "seal-holder:%lld", (long long)id));
    if (n < 0)
        return HALL_ERR;
    if (n > 5)
        return hall_msg(req, HALL_M_SEAL_HOLDER_TOO_MANY, NULL);
    n = hall_send_count(req->cx,
                        hall_psprintf(req->pool, "seal-holders:%lld", (long long)req->user_id));
    if (n < 0)
        return HALL_ERR;
    if (n > 100)
        return hall_msg(req, HALL_M_SEAL_HOLDER_TOO_MANY, NULL);
    snprintf(code, sizeof(code), "%06u", hall_rand_below(1000000));
    holder_code_mac(id, idx, code, mac);
    if (hall_seal_holder_code_store(req->cx, id, mac, req->app->conf.sms_code_ttl_s, idx) !=
        HALL_OK)
        return HALL_ERR;
    if (hall_sms_queue(req->cx,
                       hall_psprintf(req->pool, "sms-holder-%lld-%08x%08x", (long long)id,
                                     hall_rand_below(0xffffffffu), hall_rand_below(0xffffffffu)),
                       mobile, req->partner, HALL_SMST_holder_code, "name", name, "org",
                       hall_dbres_str(res, 0, "subject"), "code", code, "minutes",
                       hall_psprintf(req->pool, "%ld", req->app->conf.sms_code_ttl_s / 60),
                       NULL) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"holder code sent\" item=%lld", (long long)id);
    return seal_back_to_attachment(
        req, order, id,
        hall_psprintf(req->pool, "验证码已发送至持有人手机 %s", mobile_masked(req->pool, mobile)));
}

/* 验证: the code the holder passed on; the row's phone is verified */
int
seal_holder_verify(struct hall_req *req)
{
    struct hall_dbres *res;
    const char *mobile, *name, *order, *code = hall_req_param(req, "code");
    const unsigned char *stored;
    unsigned char idx[32], mac[32];
    size_t len;
    int64_t id;

    if (code == NULL || *code == '\0')
        return hall_msg(req, HALL_M_SEAL_HOLDER_CODE_REQUIRED, "code");
    res = holder_row(req, &id, &mobile, &name);
    if (res == NULL)
        return HALL_OK;
    order = hall_dbres_str(res, 0, "order_id");
    stored = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "holder_code_hash"), &len);
    if (stored == NULL || len != 32 || !hall_dbres_bool(res, 0, "live"))
        return hall_msg(req, HALL_M_SEAL_HOLDER_CODE_EXPIRED, "code");
    if (hall_dbres_int(res, 0, "holder_code_tries") >= req->app->conf.sms_code_max_tries)
        return hall_msg(req, HALL_M_SEAL_HOLDER_CODE_LOCKED, "code");
    hall_pii_index("phone", mobile, idx);
    holder_code_mac(id, idx, strlen(code) == 6 ? code : "", mac);
    if (!hall_ct_equal(stored, mac, 32)) {
        /* the wrong try counts */
        if (hall_seal_holder_code_fail(req->cx, id) != HALL_OK ||
            hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        return hall_msg(req, HALL_M_SEAL_HOLDER_CODE_BAD, "code");
    }
    if (hall_seal_holder_verified(req->cx, id, idx) != HALL_OK ||
        hall_audit(req->cx, hall_req_actor(req), "seal_item",
                   hall_psprintf(req->pool, "%lld", (long long)id), "holder phone verified", NULL,
                   NULL, NULL) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"holder phone verified\" item=%lld", (long long)id);
    return seal_back_to_attachment(req, order, id, "持有人手机号已验证");
}
