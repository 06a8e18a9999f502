/*
 * seal_console.c: the staff's pages of hall-seal: an order's seals (GET
 * /admin/seal, operator), a seal's picture (GET /admin/seal/image, reviewer
 * and operator), one seal revoked with its own certificate (POST
 * /admin/seal/revoke, operator).
 */

#include <string.h>

#include "seal.h"

/* a 证书新办 whose price includes the 电子签章 (core/biz/sealprod.c,
 * hall_sealprod_bundle): its 机构章's picture before production, and the
 * operator's choice once the order is accepted, before production */
static int
bundle_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o, int made)
{
    struct hall_dbres *res =
        hall_db_exec(req->cx, "seal_admin_bundle", HALL_I64(hall_dbres_int(o, 0, "id")));
    const char *status = hall_dbres_str(o, 0, "status"), *style;
    struct hall_val *b;
    int64_t item;

    if (res == NULL)
        return HALL_ERR;
    b = hall_val_set_obj(req->pool, ctx, "bundle");
    item = hall_dbres_int(res, 0, "item_id");
    style = hall_dbres_str(res, 0, "style");
    hall_val_set_bool(req->pool, b, "has_form", hall_dbres_bool(res, 0, "has_form"));
    if (made)
        hall_val_set_str(req->pool, b, "state", "已随证书制作，见上表");
    else if (item != 0) {
        hall_val_set_int(req->pool, b, "image_id", item);
        hall_val_set_str(req->pool, b, "state",
                         strcmp(style, "auto") == 0
                             ? "印章图片已由工具自动生成，制作证书时一并制作印章"
                             : "印章图片已根据电子签章采集表抠图，制作证书时一并制作印章");
    } else
        hall_val_set_str(
            req->pool, b, "state",
            "待制作：制作证书时根据电子签章采集表抠图（采集表为PDF或无红色印模时由工具自动生成）；"
            "也可先在下面选择并查看印章图片");
    hall_val_set_bool(req->pool, b, "choosable", !made && strcmp(status, "accepted") == 0);
    return HALL_OK;
}

/* the 机构个人章s produced without a certificate: their holders are to
 * make their keys in their browsers (core/biz/sealhold.c) */
static int
waiting_ctx(struct hall_req *req, struct hall_val *ctx, int64_t order_id)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "seal_admin_waiting", HALL_I64(order_id));
    struct hall_val *list;
    int i;

    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK;
    hall_val_set_bool(req->pool, ctx, "has_waiting", 1);
    list = hall_val_set_list(req->pool, ctx, "waiting");
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *w = hall_val_push_obj(req->pool, list);

        hall_val_set_str(req->pool, w, "es_id",
                         hall_seal_es_id(req->pool, hall_dbres_int(res, i, "order_id"),
                                         hall_dbres_str(res, i, "kind"),
                                         (int)hall_dbres_int(res, i, "position")));
        hall_val_set_str(req->pool, w, "name", hall_seal_shown_name(req->cx, res, i));
        hall_dbres_set(req->pool, w, res, i, "sent_at");
    }
    return HALL_OK;
}

/* GET /admin/seal?order=: the seals of a 电子签章申请 order, each valid one
 * with its 注销 form */
int
seal_admin_seals(struct hall_req *req)
{
    const char *order = hall_req_param(req, "order");
    int json = hall_req_wants_json(req);
    struct hall_val *ctx = json ? hall_val_obj(req->pool) : hall_staff_page(req, "电子印章管理");
    struct hall_val *list;
    struct hall_dbres *o, *res;
    const struct hall_dbcols *head, *own;
    int i;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    if (order == NULL || *order == '\0')
        return json ? hall_resp_ok(req, ctx) : hall_resp_page(req, 200, "admin_seal", ctx);
    hall_val_set_str(req->pool, ctx, "order", order);
    o = hall_db_exec(req->cx, "seal_admin_order", HALL_STR(order));
    if (o == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(o) == 0)
        return hall_msg(req, HALL_M_SEAL_ADMIN_ORDER_NOT_FOUND, "order");
    res = hall_db_exec(req->cx, "seal_admin_list", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (res == NULL)
        return HALL_ERR;
    hall_val_set_bool(req->pool, ctx, "searched", 1);
    hall_val_set_bool(req->pool, ctx, "has_seals", hall_dbres_rows(res) > 0);
    list = hall_val_set_list(req->pool, ctx, "seals");
    head = hall_dbres_cols(
        req->pool, res,
        "es_id kind cert_serial valid_end state revoked_at revoke_reason cert_state");
    own = hall_dbres_cols(req->pool, res, "own_cert:b");
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *s = hall_val_push_obj(req->pool, list);
        const char *st = hall_dbres_str(res, i, "state");
        int valid = strcmp(st, "valid") == 0;

        hall_dbres_put(req->pool, s, res, i, head);
        /* the holder's name only: operators never see the ID number here */
        hall_val_set_str(req->pool, s, "name", hall_seal_shown_name(req->cx, res, i));
        hall_val_set_str(req->pool, s, "kind_label",
                         hall_seal_kind_text(hall_dbres_str(res, i, "kind")));
        hall_dbres_put(req->pool, s, res, i, own);
        hall_val_set_bool(req->pool, s, "valid", valid);
        if (valid && *hall_dbres_str(res, i, "pending_by") != '\0')
            hall_val_set_str(req->pool, s, "pending_by", hall_dbres_str(res, i, "pending_by"));
        /* as the owner sees it: a valid seal whose signer is revoked is not 有效 */
        if (valid && strcmp(hall_dbres_str(res, i, "cert_state"), "issued") == 0)
            hall_val_set_str(req->pool, s, "state_label", "有效");
        else if (valid)
            hall_val_set_str(req->pool, s, "state_label", "无效（签章人证书已吊销）");
        else if (strcmp(st, "replaced") == 0)
            hall_val_set_fmt(req->pool, s, "state_label", "已替换 %s（新印章 %s）",
                             hall_dbres_str(res, i, "replaced_at"),
                             hall_dbres_str(res, i, "replaced_by"));
        else
            hall_val_set_fmt(req->pool, s, "state_label", "已注销 %s：%s",
                             hall_dbres_str(res, i, "revoked_at"),
                             hall_dbres_str(res, i, "revoke_reason"));
    }
    if (waiting_ctx(req, ctx, hall_dbres_int(o, 0, "id")) != HALL_OK)
        return HALL_ERR;
    if (hall_dbres_bool(o, 0, "bundle") &&
        bundle_ctx(req, ctx, o, hall_dbres_rows(res) > 0) != HALL_OK)
        return hall_req_failed(req);
    return json ? hall_resp_ok(req, ctx) : hall_resp_page(req, 200, "admin_seal", ctx);
}

/* GET /admin/seal/image?id=: a seal's picture for the reviewer's 签章信息
 * and the operator (modules/admin's order page links it) */
int
seal_admin_image(struct hall_req *req)
{
    int64_t id;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    if (hall_req_param_i64(req, "id", &id) != HALL_OK)
        return hall_msg(req, HALL_M_SEAL_ID_FORMAT, "id");
    return seal_picture_answer(req, hall_db_exec(req->cx, "seal_admin_image", HALL_I64(id)), 0);
}

/*
 * A seal with an issued certificate of its own (机构业务章, 机构个人章): its
 * 注销 revokes the certificate, which is four eyes as every staff 吊销 is
 * (core/biz/approval.c, docs/operations.md "Four eyes"): a pending request
 * for the certificate (kind revoke, cessationOfOperation) naming the seal,
 * that a second operator approves on 待批准 (modules/pki's revoke_decide
 * revokes both then).  Nothing changes before: OCSP still says good.
 * The certificate's row is locked first, as modules/pki does, so of two
 * requests at once one is made and the other finds it (409).
 */
static int
revoke_request(struct hall_req *req, const char *es_id, const char *reason, const char *serial,
               const char *order_no)
{
    struct hall_val *payload, *v;
    int64_t id = 0;
    int rc;

    payload = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, payload, "reason", "cessationOfOperation");
    hall_val_set_str(req->pool, payload, "es_id", es_id);
    rc = hall_approval_request(req->cx, "revoke", serial, payload, req->staff->id, reason, &id);
    if (rc == HALL_CONFLICT) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_SEAL_REVOKE_PENDING, "es_id");
    }
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"seseal revocation requested\" es_id=%s cert=%s staff=%lld request=%lld",
              es_id, serial, (long long)req->staff->id, (long long)id);
    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, hall_psprintf(req->pool, "/admin/seal?order=%s", order_no));
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "redirect",
                     hall_psprintf(req->pool, "/admin/seal?order=%s", order_no));
    hall_val_set_str(
        req->pool, v, "message",
        "注销申请已提交：印章及其专用证书须由另一位运营人员在“待批准”中批准后注销、吊销");
    hall_val_set_int(req->pool, v, "request_id", id);
    return hall_resp_ok(req, v);
}

/*
 * POST /admin/seal/revoke: one seal revoked (state, reason, who; audited).
 * A seal whose own certificate is issued is revoked with it, by a second
 * operator's approval (revoke_request above).  A seal without one (the
 * 机构章, which lists the order's certificate, or a seal whose certificate
 * is already revoked) is cancelled by one operator at once: no certificate
 * changes, OCSP and the CRL say what they said, the certificate's own
 * signatures stay valid; only the hall's record of the seal (its state at
 * /seal/verify, its download) goes.
 */
int
seal_admin_revoke(struct hall_req *req)
{
    const char *es_id = hall_req_param(req, "es_id"), *reason = hall_req_param(req, "reason");
    const char *actor = hall_staff_actor(req), *own, *order_no;
    struct hall_dbres *res, *lk;
    struct hall_val *d;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "seal_admin_target", HALL_STR(es_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_SEAL_REVOKE_GONE, "es_id");
    }
    own = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "own_serial"));
    order_no = hall_pstrdup(req->pool, hall_dbres_str(res, 0, "order_no"));
    if (*own != '\0') {
        lk = hall_db_exec(req->cx, "seal_cert_lock", HALL_STR(own));
        if (lk == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(lk) == 1 && strcmp(hall_dbres_str(lk, 0, "state"), "issued") == 0)
            return revoke_request(req, es_id, reason, own, order_no);
        /* revoked meanwhile by its holder: the seal alone, below */
    }
    res = hall_seseal_revoke(req->cx, es_id, reason, actor, NULL);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_SEAL_REVOKE_GONE, "es_id");
    }
    d = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, d, "reason", reason);
    hall_dbres_set(req->pool, d, res, 0, "cert_serial order_id");
    if (hall_audit(req->cx, actor, "seseal", es_id, "revoke", "valid", "revoked", d) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"seseal revoked\" es_id=%s staff=%lld", es_id, (long long)req->staff->id);
    return hall_resp_go(req, hall_psprintf(req->pool, "/admin/seal?order=%s", order_no),
                        "印章已注销");
}

/*
 * POST /admin/seal/bundle: the operator's step for a 证书新办's 电子签章
 * before production: the 机构章's picture cut out of the order's 电子签章采集表
 * (style cutout) or drawn from the unit's name (auto), again as often as
 * needed until the seal is made with the certificate.  The order is locked
 * as production locks it, so the picture and production never cross.
 */
int
seal_admin_bundle(struct hall_req *req)
{
    const char *order = hall_req_param(req, "order"), *style = hall_req_param(req, "style");
    const char *msg = NULL, *status, *order_no;
    struct hall_dbres *o;
    int rc;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    o = hall_db_exec(req->cx, "seal_admin_bundle_lock", HALL_STR(order));
    if (o == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(o) == 0) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_SEAL_ADMIN_ORDER_NOT_FOUND, "order");
    }
    status = hall_dbres_str(o, 0, "status");
    /* accepted: the 采集表 can no longer change (an edit after a rejection
     * could replace it) and the certificate is not made yet */
    if (strcmp(status, "accepted") != 0) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_SEAL_BUNDLE_STATE, "order");
    }
    order_no = hall_pstrdup(req->pool, order);
    rc = hall_sealprod_bundle(req->cx, hall_dbres_int(o, 0, "id"), style, hall_staff_actor(req),
                              &msg);
    if (rc == HALL_CONFLICT) {
        hall_db_rollback(req->cx);
        return hall_resp_error(req, 409, "style", msg);
    }
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"bundled seal picture made\" order=%s style=%s staff=%lld", order_no,
              style, (long long)req->staff->id);
    return hall_resp_go(req, hall_psprintf(req->pool, "/admin/seal?order=%s", order_no),
                        strcmp(style, "auto") == 0 ? "印章图片已由工具自动生成"
                                                   : "印章图片已根据电子签章采集表抠图");
}
