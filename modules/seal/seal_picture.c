/*
 * seal_picture.c: the pictures of seals: the drawn seal of the 签章信息
 * form's preview (GET /seal/preview), the owner's seal picture (GET
 * /seal/image), and 抠图, a picture cut out of an impression photo for a
 * seal in the style 根据印模样式抠图 (POST /seal/impression,
 * /seal/impression/confirm).  It uses nothing of seal_attachment.c (that
 * file uses this one's seal_back_to_attachment): the 采集表, blank
 * or an order's, is there.
 */

#include <string.h>

#include "seal.h"

/*
 * The drawn seal for the form's preview; X-Seal-Fit carries what the
 * drawing measured (docs/modules/seal.md), so a client can tell the text
 * fits without decoding the picture.
 */
int
seal_preview(struct hall_req *req)
{
    enum hall_seal_kind kind = hall_seal_kind_of(hall_req_param(req, "kind"));
    const char *org = hall_req_param(req, "org"), *name = hall_req_param(req, "name");
    struct hall_sealimg_fit fit;
    unsigned char *png;
    size_t len;

    if (kind != HALL_SEAL_PERSON && (org == NULL || *org == '\0'))
        return hall_msg(req, HALL_M_SEAL_ORG_REQUIRED, "org");
    if (kind == HALL_SEAL_PERSON && (name == NULL || *name == '\0'))
        return hall_msg(req, HALL_M_SEAL_NAME_REQUIRED, "name");
    if (org != NULL && strlen(org) > 0 && (long)strlen(org) > HALL_SEAL_ORG_MAX * 4)
        return hall_msg(req, HALL_M_SEAL_ORG_TOO_LONG, "org");
    png = hall_sealimg_render(req->pool, kind, org, name != NULL ? name : "", &len, &fit);
    if (png == NULL && fit.unknown_glyphs > 0) {
        char bad[8];

        if (kind != HALL_SEAL_PERSON && hall_sealimg_glyphs(org, bad, sizeof(bad)) > 0)
            return hall_msg(req, HALL_M_SEAL_GLYPH, "org", "机构名称", bad);
        if (name != NULL && hall_sealimg_glyphs(name, bad, sizeof(bad)) > 0)
            return hall_msg(req, HALL_M_SEAL_GLYPH, "name",
                            kind == HALL_SEAL_PERSON ? "姓名" : "印章名称", bad);
    }
    if (png == NULL)
        return kind == HALL_SEAL_PERSON ? hall_msg(req, HALL_M_SEAL_PERSON_UNDRAWABLE, "name")
                                        : hall_msg(req, HALL_M_SEAL_ORG_UNDRAWABLE, "org");
    hall_resp_header(req, "X-Seal-Fit",
                     hall_psprintf(req->pool,
                                   "glyphs=%d; text_outer_r=%.1f; ring_inner_r=%.1f; "
                                   "min_gap=%.1f; font_px=%.0f; name_half_w=%.1f; name_room=%.1f",
                                   fit.glyphs, fit.text_outer_r, fit.ring_inner_r, fit.min_gap,
                                   fit.arc_font_px, fit.name_half_w, fit.name_room));
    hall_resp_header(req, "Cache-Control", "no-store");
    return hall_resp_raw(req, 200, "image/png", png, len);
}

/* a stored picture (res's image_png, no row: not found) as the answer,
 * scaled to px when px > 0; a size it cannot be scaled to (outside 16 to
 * HALL_SEAL_PX) gives the picture as stored */
int
seal_picture_answer(struct hall_req *req, struct hall_dbres *res, int64_t px)
{
    unsigned char *png, *small;
    size_t len, slen;

    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_SEAL_IMAGE_NOT_FOUND, NULL);
    png = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "image_png"), &len);
    if (png == NULL)
        return HALL_ERR;
    if (px > 0 && px <= HALL_SEAL_PX) {
        small = hall_sealimg_scaled(req->pool, png, len, (int)px, &slen);
        if (small != NULL) {
            png = small;
            len = slen;
        }
    }
    hall_resp_header(req, "Cache-Control", "private, no-store");
    return hall_resp_raw(req, 200, "image/png", png, len);
}

int
seal_image(struct hall_req *req)
{
    int64_t id, px = 0;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK)
        return hall_msg(req, HALL_M_SEAL_ID_FORMAT, "id");
    if (hall_req_param(req, "px") != NULL && hall_req_param_i64(req, "px", &px) != HALL_OK)
        px = 0;
    return seal_picture_answer(
        req, hall_db_exec(req->cx, "seal_item_own", HALL_I64(id), HALL_I64(req->user_id)), px);
}

/* ---- 抠图: the impression of a seal in the style 根据印模样式抠图 ------------------------ */

/*
 * In a new transaction: the applicant's seal of style 抠图 locked while its
 * order can still change.  1 (*order set); 0 refused, answered (field: the
 * parameter the refusal of another style names, or NULL); HALL_ERR the
 * store's failure.
 */
static int
cutout_locked(struct hall_req *req, int64_t id, const char *field, const char **order)
{
    struct hall_dbres *res;
    const char *status;
    int rc;

    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "seal_item_lock", HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        rc = hall_msg(req, HALL_M_SEAL_NOT_FOUND, NULL);
        return rc == HALL_OK ? 0 : HALL_ERR;
    }
    status = hall_dbres_str(res, 0, "status");
    if (strcmp(hall_dbres_str(res, 0, "style"), "cutout") != 0)
        rc = hall_msg(req, HALL_M_SEAL_IMPRESSION_AUTO, field);
    else if (strcmp(status, "draft") != 0 && strcmp(status, "rejected") != 0)
        rc = hall_msg(req, HALL_M_SEAL_ORDER_SUBMITTED, NULL);
    else {
        *order = hall_dbres_str(res, 0, "order_id");
        return 1;
    }
    return rc == HALL_OK ? 0 : HALL_ERR;
}

int
seal_impression(struct hall_req *req)
{
    const struct hall_upload *up = hall_req_upload(req, "impression");
    unsigned char *png;
    const char *err, *mime, *order;
    size_t len;
    int64_t id;
    int rc;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK || id <= 0)
        return hall_msg(req, HALL_M_SEAL_ITEM_ID, "id");
    if (up == NULL || up->size == 0)
        return hall_msg(req, HALL_M_SEAL_IMPRESSION_REQUIRED, "impression");
    mime = hall_file_sniff(up->data, up->size);
    if (mime == NULL || strcmp(mime, "application/pdf") == 0)
        return hall_msg(req, HALL_M_SEAL_IMPRESSION_FORMAT, "impression");
    /* the cut-out is computed before the transaction: no row waits on it */
    png = hall_sealimg_cutout(req->pool, up->data, up->size, &len, &err);
    if (png == NULL)
        return hall_resp_error(req, 400, "impression", err);
    rc = cutout_locked(req, id, "impression", &order);
    if (rc <= 0)
        return rc;
    if (hall_seal_item_image(req->cx, id, png, len) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"impression cut out\" item=%lld bytes=%zu", (long long)id, len);
    return seal_back_to_attachment(req, order, id, "印模已抠图，请核对后确认");
}

/* after 抠图 or 确认: the 证书附页 again, showing the picture (JSON: where to
 * go, and the picture).  No #fragment: a browser on that page would only
 * scroll to it instead of loading the page anew */
int
seal_back_to_attachment(struct hall_req *req, const char *order, int64_t item, const char *message)
{
    const char *to =
        hall_psprintf(req->pool, "%s/seal/attachment?id=%s", hall_req_base(req), order);
    struct hall_val *v;

    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, to);
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "redirect", to);
    hall_val_set_str(req->pool, v, "message", message);
    hall_val_set_fmt(req->pool, v, "image", "%s/seal/image?id=%lld", hall_req_base(req),
                     (long long)item);
    return hall_resp_ok(req, v);
}

/* 确认: the applicant accepts the cut-out shown on the 证书附页 */
int
seal_impression_confirm(struct hall_req *req)
{
    int done;
    const char *order;
    int64_t id;
    int rc;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK || id <= 0)
        return hall_msg(req, HALL_M_SEAL_ITEM_ID, "id");
    rc = cutout_locked(req, id, NULL, &order);
    if (rc <= 0)
        return rc;
    done = hall_seal_item_confirm(req->cx, id);
    if (done == HALL_ERR)
        return HALL_ERR;
    if (done == HALL_CONFLICT)
        return hall_msg(req, HALL_M_SEAL_CUTOUT_NONE, NULL);
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"cut-out confirmed\" item=%lld", (long long)id);
    return seal_back_to_attachment(req, order, id, "已确认抠图");
}
