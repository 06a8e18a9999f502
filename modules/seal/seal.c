/*
 * seal: 电子签章申请 (seed 001), docs/modules/seal.md.
 *
 * What is the seal flow's own lives here; the shared steps of every flow
 * (agreements, information entry, print, uploads, identity, payment
 * hand-off) come from the core.  The seal-specific parts are in
 * core/libhallseal.a (core/pki/pki.h): the seal picture, the GB/T 38540
 * SESeal, the 签章信息 choices and the price.
 *
 *   GET  /seal/product          产品方案 · 电子签章: 立即购买, 使用指引
 *   GET  /seal/apply            录入信息: 签章信息 (机构章, 业务章, 个人章) + the groups
 *   POST /seal/apply            every error at once; the order and its seals, one
 *                               transaction (auto pictures drawn before it)
 *   GET  /seal/print            打印申请表, then 证书附页
 *   GET  /seal/guide            签章办理流程指引 (「已知悉」 leads on)
 *   GET  /seal/usage            使用指引 (签章已办理成功)
 *   GET  /seal/preview          a drawn seal for the 签章信息 form (PNG)
 *   GET  /seal/collect-form     the 电子签章采集表 template (PDF)
 *   GET  /seal/collect-form?id= the order's 采集表, one box per seal
 *   GET  /seal/attachment?id=   证书附页 of an order, with the seal pictures
 *   POST /seal/impression       抠图: an impression photo -> the seal's picture
 *   GET  /seal/image?id=        the owner's seal picture (PNG)
 *   GET  /seal/seseal?id=       the owner's SESeal file (DER), made with the
 *                               certificates (core/biz/sealprod.c)
 *   GET  /seal/medium?id=       the PKCS#12 of the certificate a seal signs with
 *                               (its own, or the order's for the 机构章), once;
 *                               a 机构个人章's is its holder's alone (403)
 *   POST /seal/holder/code      证书附页: an SMS code to a 机构个人章 holder's phone
 *   POST /seal/holder/verify    证书附页: that code typed in, the phone verified
 *   GET  /seal/holder           public: 机构个人章证书下载, for the holder
 *   POST /seal/holder           public: serial + the SMS's download code -> the
 *                               holder's PKCS#12, once
 *   GET  /seal/seals?id=        我的电子印章: an order's seals, state, downloads
 *   GET  /seal/verify           public: 电子印章验证, upload a file
 *   POST /seal/verify           public: the verdict (signature, chain,
 *                               revocation of the maker, of the signer's
 *                               certificate and of the seal)
 *   GET  /admin/seal?order=     operator: an order's seals
 *   GET  /admin/seal/image?id=  reviewer, operator: a seal's picture
 *   POST /admin/seal/revoke     operator: one seal revoked (with its own certificate)
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "hall.h"

static const struct hall_stmt seal_stmts[] = {
    {"seal_item_own",
     "SELECT i.image_png, i.kind, i.position, o.order_no FROM seal_items i"
     " JOIN orders o ON o.id = i.order_id WHERE i.id = $1 AND o.user_id = $2"
     " AND i.image_png IS NOT NULL",
     2},
    /* a seal's current SESeal is its newest (sql/041: a re-made seal
     * follows its replaced one); its state follows its signer's certificate */
    {"seal_item_order",
     "SELECT i.order_id, i.kind, coalesce(s.state, '') AS seseal_state,"
     " coalesce(c.state, '') AS cert_state,"
     /* revoked by an approved 介质遗失补办: the seal is re-made on the new one */
     " EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.status IN ('accepted', 'issued', 'shipped', 'delivered')) AS reissued"
     " FROM seal_items i JOIN orders o ON o.id = i.order_id"
     " LEFT JOIN LATERAL (SELECT state, cert_serial FROM seseals WHERE item_id = i.id"
     "  ORDER BY created_at DESC, es_id DESC LIMIT 1) s ON true"
     " LEFT JOIN certificates c ON c.serial = s.cert_serial"
     " WHERE i.id = $1 AND o.user_id = $2",
     2},
    {"seseal_own",
     "SELECT s.der, s.es_id FROM seseals s JOIN orders o ON o.id = s.order_id"
     " JOIN certificates c ON c.serial = s.cert_serial AND c.state = 'issued'"
     " WHERE s.item_id = $1 AND o.user_id = $2 AND s.state = 'valid'",
     2},
    {"seseal_lookup",
     "SELECT s.state, coalesce(to_char(s.revoked_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI:SS'), '') AS revoked_at, s.der = $2 AS same_der,"
     " coalesce(s.cert_serial, '') AS cert_serial,"
     " coalesce((SELECT c.state FROM certificates c WHERE c.serial = s.cert_serial), '')"
     " AS cert_state,"
     " coalesce(to_char(s.replaced_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
     " '') AS replaced_at, coalesce(s.replaced_by, '') AS replaced_by"
     " FROM seseals s WHERE s.es_id = $1",
     2},
    {"seal_cert_state", "SELECT state FROM certificates WHERE serial = $1", 1},
    /* the console (operator): an order's seals, one revoked */
    {"seal_admin_order",
     "SELECT id, order_no FROM orders WHERE order_no = $1 AND business_type = 'seal'", 1},
    {"seal_admin_list",
     "SELECT s.es_id, i.kind, coalesce(i.seal_name, '') AS seal_name, i.holder_enc,"
     " coalesce(s.cert_serial, '') AS cert_serial, c.seal_item_id IS NOT NULL AS own_cert,"
     " to_char(s.valid_end AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS valid_end, s.state,"
     " coalesce(to_char(s.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS revoked_at, coalesce(s.revoke_reason, '') AS revoke_reason,"
     " coalesce(c.state, '') AS cert_state,"
     " coalesce(to_char(s.replaced_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
     " '') AS replaced_at, coalesce(s.replaced_by, '') AS replaced_by"
     " FROM seseals s JOIN seal_items i ON i.id = s.item_id"
     " LEFT JOIN certificates c ON c.serial = s.cert_serial WHERE s.order_id = $1"
     " ORDER BY CASE i.kind WHEN 'org' THEN 0 WHEN 'org_business' THEN 1 ELSE 2 END, i.position,"
     " s.created_at DESC, s.es_id DESC",
     1},
    {"seal_admin_image", "SELECT image_png FROM seal_items WHERE id = $1 AND image_png IS NOT NULL",
     1},
    {"seal_admin_revoke",
     "UPDATE seseals SET state = 'revoked', revoked_at = now(), revoke_reason = $2,"
     " revoked_by = $3 WHERE es_id = $1 AND state = 'valid' RETURNING order_id,"
     " (SELECT order_no FROM orders WHERE id = seseals.order_id) AS order_no,"
     " coalesce(cert_serial, '') AS cert_serial, coalesce((SELECT c.serial FROM certificates c"
     " WHERE c.serial = seseals.cert_serial AND c.seal_item_id = seseals.item_id"
     " AND c.state = 'issued'), '') AS own_serial",
     3},
    {"seal_order_own",
     "SELECT o.order_no, o.subject, o.status, to_char(o.created_at AT TIME ZONE"
     " 'Asia/Shanghai', 'YYYY-MM-DD') AS created FROM orders o WHERE o.id = $1 AND o.user_id = $2"
     " AND o.business_type = 'seal'",
     2},
    {"seal_items_of",
     "SELECT i.id, i.kind, i.position, i.years, i.style, coalesce(i.seal_name, '') AS seal_name,"
     " i.holder_enc, i.holder_verified_idx, i.image_png IS NOT NULL AS has_image,"
     " i.image_confirmed, i.price_fen,"
     " coalesce(s.state, '') AS seseal_state, coalesce(s.es_id, '') AS es_id,"
     " coalesce(to_char(s.valid_end AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), '') AS valid_end,"
     " coalesce(to_char(s.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), '')"
     " AS revoked_at, coalesce(c.state, '') AS cert_state, coalesce(c.serial, '') AS cert_serial,"
     /* the signer's medium: held until handed over (core/biz/custody.c) */
     " coalesce(c.p12_enc IS NOT NULL, false) AS medium_held,"
     " coalesce(to_char(c.medium_destroyed_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI'), '') AS medium_gone_at, coalesce(c.medium_destroyed_why, '')"
     " AS medium_gone_why, (SELECT partner_code FROM orders WHERE id = i.order_id) AS partner"
     " FROM seal_items i"
     " LEFT JOIN LATERAL (SELECT * FROM seseals WHERE item_id = i.id"
     "  ORDER BY created_at DESC, es_id DESC LIMIT 1) s ON true"
     " LEFT JOIN certificates c ON c.serial = s.cert_serial"
     " WHERE i.order_id = $1"
     " ORDER BY CASE i.kind WHEN 'org' THEN 0 WHEN 'org_business' THEN 1 ELSE 2 END, i.position",
     1},
    /* the certificate a seal signs with, the one its valid SESeal lists:
     * its own (机构业务章, 机构个人章) or, for the 机构章, the order's 机构证书
     * (sql/027) or the certificate that replaced it (sql/041) */
    {"seal_medium_own",
     "SELECT c.p12_enc, c.serial, o.order_no, o.partner_code,"
     " coalesce(to_char(c.medium_destroyed_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI'), '') AS destroyed_at, coalesce(c.medium_destroyed_why, '')"
     " AS destroyed_why FROM seal_items i JOIN orders o ON o.id ="
     " i.order_id JOIN seseals s ON s.item_id = i.id AND s.state = 'valid'"
     " JOIN certificates c ON c.serial = s.cert_serial WHERE i.id = $1 AND o.user_id = $2"
     " AND c.state = 'issued' AND i.kind <> 'org_person' FOR UPDATE OF c",
     2},
    /* a 机构个人章's holder (sql/053): the phone check, locked with its order */
    {"seal_holder_lock",
     "SELECT i.kind, i.holder_enc, i.holder_code_hash, i.holder_code_tries, i.holder_code_idx,"
     " coalesce(i.holder_code_expires > now(), false) AS live,"
     " coalesce(i.holder_code_sent_at > now() - make_interval(secs => $3::int), false) AS recent,"
     " o.status, o.id AS order_id, o.subject FROM seal_items i JOIN orders o ON o.id = i.order_id"
     " WHERE i.id = $1 AND o.user_id = $2 FOR UPDATE OF i, o",
     3},
    {"seal_holder_code_store",
     "UPDATE seal_items SET holder_code_hash = $2, holder_code_tries = 0,"
     " holder_code_expires = now() + make_interval(secs => $3::int), holder_code_sent_at = now(),"
     " holder_code_idx = $4 WHERE id = $1",
     4},
    {"seal_holder_code_fail",
     "UPDATE seal_items SET holder_code_tries = holder_code_tries + 1 WHERE id = $1", 1},
    {"seal_holder_verified",
     "UPDATE seal_items SET holder_verified_idx = $2, holder_code_hash = NULL,"
     " holder_code_expires = NULL WHERE id = $1",
     2},
    {"seal_holders_verified",
     "SELECT position, holder_enc, holder_verified_idx FROM seal_items WHERE order_id = $1"
     " AND kind = 'org_person' ORDER BY position",
     1},
    /* the holder's own download: by serial, no session; locked as every
     * medium handed over (hall_medium_hand) */
    {"seal_holder_medium",
     "SELECT c.p12_enc, c.serial, o.order_no, o.partner_code, c.holder_code_hash,"
     " c.holder_code_tries, coalesce(to_char(c.medium_destroyed_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI'), '') AS destroyed_at, coalesce(c.medium_destroyed_why, '')"
     " AS destroyed_why FROM certificates c JOIN seal_items i ON i.id = c.seal_item_id"
     " JOIN orders o ON o.id = c.order_id WHERE c.serial = $1 AND i.kind = 'org_person'"
     " AND c.state = 'issued' FOR UPDATE OF c",
     1},
    {"seal_holder_medium_fail",
     "UPDATE certificates SET holder_code_tries = holder_code_tries + 1 WHERE serial = $1", 1},
    /* 我的电子印章: the seals re-made on a new certificate, as they were */
    {"seal_replaced_of",
     "SELECT i.kind, coalesce(i.seal_name, '') AS seal_name, i.holder_enc, s.es_id,"
     " s.replaced_by, to_char(s.replaced_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
     " AS replaced_at FROM seseals s JOIN seal_items i ON i.id = s.item_id"
     " WHERE s.order_id = $1 AND s.state = 'replaced'"
     " ORDER BY CASE i.kind WHEN 'org' THEN 0 WHEN 'org_business' THEN 1 ELSE 2 END, i.position,"
     " s.replaced_at",
     1},
    {"seal_item_lock",
     "SELECT i.style, o.status, o.id AS order_id FROM seal_items i"
     " JOIN orders o ON o.id = i.order_id"
     " WHERE i.id = $1 AND o.user_id = $2 FOR UPDATE OF i, o",
     2},
    /* a new cut-out waits for its applicant's 确认 (sql/040) */
    {"seal_item_image",
     "UPDATE seal_items SET image_png = $2, image_confirmed = false WHERE id = $1", 2},
    {"seal_item_confirm",
     "UPDATE seal_items SET image_confirmed = true WHERE id = $1 AND image_png IS NOT NULL"
     " RETURNING order_id",
     1},
    /* what keeps an order from review: a 抠图 seal without its confirmed picture */
    {"seal_items_unready",
     "SELECT kind, position, coalesce(seal_name, '') AS seal_name, holder_enc,"
     " image_png IS NULL AS missing FROM seal_items WHERE order_id = $1 AND style = 'cutout'"
     " AND (image_png IS NULL OR NOT image_confirmed)"
     " ORDER BY CASE kind WHEN 'org' THEN 0 WHEN 'org_business' THEN 1 ELSE 2 END, position",
     1},
    {"seal_item_upsert",
     "INSERT INTO seal_items (order_id, kind, position, product_id, years, style, seal_name,"
     " holder_enc, price_fen, image_png, holder_verified_idx) VALUES ($1, $2, $3, $4, $5, $6,"
     " NULLIF($7, ''), $8, $9, $10, $11) ON CONFLICT (order_id, kind, position) DO UPDATE SET"
     " product_id = EXCLUDED.product_id, years = EXCLUDED.years, style = EXCLUDED.style, seal_name "
     "="
     " EXCLUDED.seal_name, holder_enc = EXCLUDED.holder_enc, price_fen = EXCLUDED.price_fen,"
     " holder_verified_idx = EXCLUDED.holder_verified_idx,"
     " image_png = CASE WHEN EXCLUDED.style = 'cutout' AND seal_items.style = 'cutout'"
     " THEN seal_items.image_png ELSE EXCLUDED.image_png END,"
     " image_confirmed = CASE WHEN EXCLUDED.style = 'cutout' AND seal_items.style = 'cutout'"
     " THEN seal_items.image_confirmed ELSE true END",
     11},
    /* the holder phones this order has verified (sql/053): an edit keeps a
     * phone verified, whichever row it moves to */
    {"seal_holder_phones_verified",
     "SELECT holder_verified_idx FROM seal_items WHERE order_id = $1 AND kind = 'org_person'"
     " AND holder_verified_idx IS NOT NULL",
     1},
    /* an edit that moves a holder to another row carries that holder's ID
     * scan along; the scan of a holder no longer named is retired
     * (holders_follow) */
    {"seal_holder_files_move",
     "UPDATE order_files f SET kind = CASE WHEN m.nk = '' THEN f.kind ELSE m.nk END,"
     " replaced_at = CASE WHEN m.nk = '' THEN now() ELSE f.replaced_at END"
     " FROM unnest($2::text[], $3::text[]) AS m(ok, nk)"
     " WHERE f.order_id = $1 AND f.replaced_at IS NULL AND f.kind = m.ok AND m.ok <> m.nk"
     " RETURNING CASE WHEN m.nk = '' THEN f.id END AS old_id, f.stored_name AS old_name",
     3},
    /* 上传资料: the 机构个人章s, whose holders' ID scans the order asks for */
    {"seal_holders",
     "SELECT position, holder_enc FROM seal_items WHERE order_id = $1 AND kind = 'org_person'"
     " ORDER BY position",
     1},
    {"seal_items_prune",
     "DELETE FROM seal_items WHERE order_id = $1"
     " AND NOT ((kind || ':' || position) = ANY (string_to_array($2, ',')))",
     2},
    {NULL, NULL, 0},
};

/* ---- module start ------------------------------------------------------------ */

static int
seal_init(struct hall_app *app)
{
    char err[512];

    if (hall_sealimg_check(err, sizeof(err)) != HALL_OK ||
        hall_seseal_load(&app->conf, 0, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* ---- pages ------------------------------------------------------------------------ */

static int
product_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", "产品方案 · 电子签章");
    return hall_resp_page(req, 200, "seal_product", ctx);
}

static int
usage_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", "电子签章使用指引");
    return hall_resp_page(req, 200, "seal_usage", ctx);
}

/* 在线盖章: the page and its scripts (static/stamp/) stamp a PDF in the
 * browser with the holder's own PKCS#12; the hall serves the page and
 * answers the timestamp request (POST /tsa), and never sees the PKCS#12,
 * the key or the PIN.  No login: a holder stamps on any computer with the
 * two files.  Logged in, ?id= (a seal item of one's own) preselects that
 * seal: the page fetches its .seseal from GET /seal/seseal, the public seal
 * file, not a secret. */
static int
stamp_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req);
    int64_t id = 0;

    if (hall_req_param(req, "id") != NULL && *hall_req_param(req, "id") != '\0' &&
        hall_req_param_i64(req, "id", &id) != HALL_OK)
        return hall_msg(req, HALL_M_SEAL_ID_FORMAT, "id");
    hall_val_set_str(req->pool, ctx, "title", "在线盖章");
    if (id > 0 && req->user_id != 0)
        hall_val_set_str(req->pool, ctx, "seal_item",
                         hall_psprintf(req->pool, "%lld", (long long)id));
    return hall_resp_page(req, 200, "seal_stamp", ctx);
}

static int
guide_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", "签章办理流程指引");
    hall_val_set_str(req->pool, ctx, "project",
                     hall_req_query(req, "project") != NULL ? hall_req_query(req, "project") : "");
    return hall_resp_page(req, 200, "seal_guide", ctx);
}

/* ---- pictures ----------------------------------------------------------------------- */

static const char *const kind_choices[] = {"org", "org_business", "org_person", NULL};

static const struct hall_pspec preview_params[] = {
    {"kind", HALL_P_CHOICE, 0, 0, 0, "印章类型", kind_choices},
    {"org", HALL_P_TEXT, HALL_PF_OPTIONAL, 1, 100, "机构名称", NULL},
    {"name", HALL_P_TEXT, HALL_PF_OPTIONAL, 1, 60, "印章名称", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static enum hall_seal_kind
kind_of(const char *code)
{
    if (strcmp(code, "org_business") == 0)
        return HALL_SEAL_BUSINESS;
    if (strcmp(code, "org_person") == 0)
        return HALL_SEAL_PERSON;
    return HALL_SEAL_ORG;
}

/*
 * The drawn seal for the form's preview; X-Seal-Fit carries what the
 * drawing measured (docs/modules/seal.md), so a client can tell the text
 * fits without decoding the picture.
 */
static int
preview(struct hall_req *req)
{
    enum hall_seal_kind kind = kind_of(hall_req_param(req, "kind"));
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

static const struct hall_pspec id_params[] = {
    {"id", HALL_P_INT, 0, 1, 9007199254740991L, "编号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* 在线盖章: the seal to preselect, optional */
static const struct hall_pspec stamp_params[] = {
    {"id", HALL_P_INT, HALL_PF_OPTIONAL, 1, 9007199254740991L, "编号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* the picture's size for the page's box: px CSS pixels, 2 and 3 times that
 * for denser screens (srcset); the drawing itself is HALL_SEAL_PX */
static const struct hall_pspec image_params[] = {
    {"id", HALL_P_INT, 0, 1, 9007199254740991L, "编号", NULL},
    {"px", HALL_P_INT, HALL_PF_OPTIONAL, 16, HALL_SEAL_PX, "图片尺寸", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
image(struct hall_req *req)
{
    struct hall_dbres *res;
    unsigned char *png;
    size_t len;
    int64_t id, px = 0;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK)
        return hall_msg(req, HALL_M_SEAL_ID_FORMAT, "id");
    res = hall_db_exec(req->cx, "seal_item_own", HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_SEAL_IMAGE_NOT_FOUND, NULL);
    png = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "image_png"), &len);
    if (png == NULL)
        return HALL_ERR;
    if (hall_req_param(req, "px") != NULL && hall_req_param_i64(req, "px", &px) == HALL_OK) {
        png = hall_sealimg_scaled(req->pool, png, len, (int)px, &len);
        if (png == NULL)
            return HALL_ERR;
    }
    hall_resp_header(req, "Cache-Control", "private, no-store");
    return hall_resp_raw(req, 200, "image/png", png, len);
}

static int collect_form_of(struct hall_req *req);

static int
collect_form(struct hall_req *req)
{
    size_t len;
    unsigned char *pdf;

    /* an order's: its seals; without one, the blank template */
    if (hall_req_param(req, "id") != NULL) {
        if (req->user_id == 0)
            return hall_msg(req, HALL_M_LOGIN_FIRST, NULL);
        return collect_form_of(req);
    }
    pdf = hall_sealimg_collect_pdf(req->pool, NULL, NULL, NULL, 0, &len);
    if (pdf == NULL)
        return HALL_ERR;
    return hall_resp_bytes(req, pdf, len, "application/pdf", "电子签章采集表.pdf");
}

/* ---- 证书附页 -------------------------------------------------------------------------- */

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
static int
holder_verified(struct hall_ctx *cx, struct hall_dbres *res, int i, const char *mobile)
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

    hall_val_set_str(req->pool, it, "es_id", hall_dbres_str(res, i, "es_id"));
    hall_val_set_bool(req->pool, it, "valid", strcmp(st, "valid") == 0 && signer_ok);
    /* its signer's medium: offered once, then said to be delivered; a
     * 机构个人章's is its holder's, never offered to the agent */
    hall_val_set_bool(req->pool, it, "holder_medium",
                      strcmp(hall_dbres_str(res, i, "kind"), "org_person") == 0);
    hall_val_set_bool(req->pool, it, "medium_held", hall_dbres_bool(res, i, "medium_held"));
    if (*hall_dbres_str(res, i, "medium_gone_at") != '\0') {
        struct hall_val *g = hall_val_set_obj(req->pool, it, "medium_gone");

        hall_val_set_str(req->pool, g, "at", hall_dbres_str(res, i, "medium_gone_at"));
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
        enum hall_seal_kind k = kind_of(kind);

        hall_val_set_int(req->pool, it, "no", i + 1);
        hall_val_set_str(req->pool, it, "id", hall_dbres_str(res, i, "id"));
        hall_val_set_str(req->pool, it, "kind_label", hall_seal_kind_label(k));
        hall_dbres_set(req->pool, it, res, i, "name=seal_name years");
        hall_val_set_str(
            req->pool, it, "style_label",
            hall_seal_style_label(strcmp(hall_dbres_str(res, i, "style"), "cutout") == 0
                                      ? HALL_SEAL_CUTOUT
                                      : HALL_SEAL_AUTO));
        hall_val_set_bool(req->pool, it, "cutout",
                          strcmp(hall_dbres_str(res, i, "style"), "cutout") == 0);
        hall_dbres_set(req->pool, it, res, i, "has_image:b confirmed=image_confirmed:b");
        made_ctx(req, it, res, i);
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
                             mobile_masked(req->pool, hall_form_str(h, "mobile")));
            hall_val_set_bool(req->pool, it, "holder_verified",
                              holder_verified(req->cx, res, i, hall_form_str(h, "mobile")));
        }
    }
    return list;
}

/* the owner's seal order named by "id"; NULL after answering */
static struct hall_dbres *
seal_order(struct hall_req *req, int64_t *id)
{
    return hall_order_own(req, "seal_order_own", id);
}

/* a page of the owner's seal order "id" with its seals; NULL after answering */
static struct hall_val *
order_page(struct hall_req *req, const char *title)
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
    if (items_ctx(req, ctx, id) == NULL) {
        hall_resp_busy(req);
        return NULL;
    }
    return ctx;
}

static int
attachment(struct hall_req *req)
{
    struct hall_val *ctx = order_page(req, "证书附页");

    if (ctx == NULL)
        return HALL_OK;
    hall_val_set_str(req->pool, ctx, "page_js", "seal.js");
    return hall_resp_page(req, 200, "seal_attachment", ctx);
}

/* the order's 采集表: one box per seal of the order */
static int
collect_form_of(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *o = seal_order(req, &id), *res;
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
    labels = hall_palloc(req->pool, sizeof(*labels) * (size_t)(n + 1));
    for (i = 0; i < n; i++) {
        enum hall_seal_kind k = kind_of(hall_dbres_str(res, i, "kind"));

        labels[i] = hall_psprintf(req->pool, "%d. %s%s%s", i + 1, hall_seal_kind_label(k),
                                  *hall_dbres_str(res, i, "seal_name") ? " · " : "",
                                  hall_dbres_str(res, i, "seal_name"));
        if (k == HALL_SEAL_PERSON)
            labels[i] = hall_psprintf(req->pool, "%s（手写签名）", labels[i]);
    }
    pdf = hall_sealimg_collect_pdf(req->pool, hall_dbres_str(o, 0, "subject"),
                                   hall_dbres_str(o, 0, "order_no"), labels, n, &len);
    if (pdf == NULL)
        return HALL_ERR;
    return hall_resp_bytes(
        req, pdf, len, "application/pdf",
        hall_psprintf(req->pool, "电子签章采集表-%s.pdf", hall_dbres_str(o, 0, "order_no")));
}

/* ---- 抠图: the impression of a seal in the style 根据印模样式抠图 ------------------------ */

static int back_to_attachment(struct hall_req *req, const char *order, int64_t item,
                              const char *message);

static int
impression(struct hall_req *req)
{
    const struct hall_upload *up = hall_req_upload(req, "impression");
    struct hall_dbres *res;
    unsigned char *png;
    const char *err, *mime, *order;
    size_t len;
    int64_t id;

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
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "seal_item_lock", HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_SEAL_NOT_FOUND, NULL);
    if (strcmp(hall_dbres_str(res, 0, "style"), "cutout") != 0)
        return hall_msg(req, HALL_M_SEAL_IMPRESSION_AUTO, "impression");
    if (strcmp(hall_dbres_str(res, 0, "status"), "draft") != 0 &&
        strcmp(hall_dbres_str(res, 0, "status"), "rejected") != 0)
        return hall_msg(req, HALL_M_SEAL_ORDER_SUBMITTED, NULL);
    order = hall_dbres_str(res, 0, "order_id");
    if (hall_db_exec(req->cx, "seal_item_image", HALL_I64(id), HALL_BIN(png, len)) == NULL ||
        hall_db_commit(req->cx) != HALL_OK)
        return hall_resp_busy(req);
    hall_info(req, "msg=\"impression cut out\" item=%lld bytes=%zu", (long long)id, len);
    return back_to_attachment(req, order, id, "印模已抠图，请核对后确认");
}

/* after 抠图 or 确认: the 证书附页 again, showing the picture (JSON: where to
 * go, and the picture).  No #fragment: a browser on that page would only
 * scroll to it instead of loading the page anew */
static int
back_to_attachment(struct hall_req *req, const char *order, int64_t item, const char *message)
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
static int
impression_confirm(struct hall_req *req)
{
    struct hall_dbres *res, *done;
    const char *order;
    int64_t id;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK || id <= 0)
        return hall_msg(req, HALL_M_SEAL_ITEM_ID, "id");
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "seal_item_lock", HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_SEAL_NOT_FOUND, NULL);
    if (strcmp(hall_dbres_str(res, 0, "style"), "cutout") != 0)
        return hall_msg(req, HALL_M_SEAL_IMPRESSION_AUTO, NULL);
    if (strcmp(hall_dbres_str(res, 0, "status"), "draft") != 0 &&
        strcmp(hall_dbres_str(res, 0, "status"), "rejected") != 0)
        return hall_msg(req, HALL_M_SEAL_ORDER_SUBMITTED, NULL);
    order = hall_dbres_str(res, 0, "order_id");
    done = hall_db_exec(req->cx, "seal_item_confirm", HALL_I64(id));
    if (done == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(done) == 0)
        return hall_msg(req, HALL_M_SEAL_CUTOUT_NONE, NULL);
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"cut-out confirmed\" item=%lld", (long long)id);
    return back_to_attachment(req, order, id, "已确认抠图");
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
 * its holder's phone; NULL after answering */
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
    if (hall_db_begin(req->cx) != HALL_OK) {
        hall_resp_busy(req);
        return NULL;
    }
    res = hall_db_exec(req->cx, "seal_holder_lock", HALL_I64(*id), HALL_I64(req->user_id),
                       HALL_I64(req->app->conf.sms_code_interval_s));
    if (res == NULL) {
        hall_resp_busy(req);
        return NULL;
    }
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
    if (h == NULL) {
        hall_resp_busy(req);
        return NULL;
    }
    *name = hall_form_str(h, "name");
    *mobile = hall_form_str(h, "mobile");
    if (strlen(*mobile) != 11) {
        hall_msg(req, HALL_M_SEAL_HOLDER_NO_MOBILE, NULL, *name);
        return NULL;
    }
    return res;
}

/* 获取验证码: a code to the holder's own phone (not the agent's), at most one
 * a minute and 5 an hour per seal row, 100 an hour per applicant */
static int
holder_code(struct hall_req *req)
{
    struct hall_dbres *res, *n;
    const char *mobile, *name, *order;
    unsigned char idx[32], mac[32];
    char code[7];
    int64_t id;

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
    n = hall_db_exec(req->cx, "sms_client_count",
                     HALL_STR(hall_psprintf(req->pool, "seal-holder:%lld", (long long)id)));
    if (n == NULL)
        return HALL_ERR;
    if (hall_dbres_int(n, 0, "n") > 5)
        return hall_msg(req, HALL_M_SEAL_HOLDER_TOO_MANY, NULL);
    n = hall_db_exec(
        req->cx, "sms_client_count",
        HALL_STR(hall_psprintf(req->pool, "seal-holders:%lld", (long long)req->user_id)));
    if (n == NULL)
        return HALL_ERR;
    if (hall_dbres_int(n, 0, "n") > 100)
        return hall_msg(req, HALL_M_SEAL_HOLDER_TOO_MANY, NULL);
    snprintf(code, sizeof(code), "%06u", hall_rand_below(1000000));
    holder_code_mac(id, idx, code, mac);
    if (hall_db_exec(req->cx, "seal_holder_code_store", HALL_I64(id), HALL_BIN(mac, 32),
                     HALL_I64(req->app->conf.sms_code_ttl_s), HALL_BIN(idx, 32)) == NULL)
        return hall_resp_busy(req);
    if (hall_sms_queue(req->cx,
                       hall_psprintf(req->pool, "sms-holder-%lld-%08x%08x", (long long)id,
                                     hall_rand_below(0xffffffffu), hall_rand_below(0xffffffffu)),
                       mobile, req->partner, HALL_SMST_holder_code, "name", name, "org",
                       hall_dbres_str(res, 0, "subject"), "code", code, "minutes",
                       hall_psprintf(req->pool, "%ld", req->app->conf.sms_code_ttl_s / 60),
                       NULL) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return hall_resp_busy(req);
    hall_info(req, "msg=\"holder code sent\" item=%lld", (long long)id);
    return back_to_attachment(
        req, order, id,
        hall_psprintf(req->pool, "验证码已发送至持有人手机 %s", mobile_masked(req->pool, mobile)));
}

/* 验证: the code the holder passed on; the row's phone is verified */
static int
holder_verify(struct hall_req *req)
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
        if (hall_db_exec(req->cx, "seal_holder_code_fail", HALL_I64(id)) == NULL ||
            hall_db_commit(req->cx) != HALL_OK)
            return hall_resp_busy(req);
        return hall_msg(req, HALL_M_SEAL_HOLDER_CODE_BAD, "code");
    }
    if (hall_db_exec(req->cx, "seal_holder_verified", HALL_I64(id), HALL_BIN(idx, 32)) == NULL ||
        hall_audit(req->cx, hall_req_actor(req), "seal_item",
                   hall_psprintf(req->pool, "%lld", (long long)id), "holder phone verified", NULL,
                   NULL, NULL) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return hall_resp_busy(req);
    hall_info(req, "msg=\"holder phone verified\" item=%lld", (long long)id);
    return back_to_attachment(req, order, id, "持有人手机号已验证");
}

/* ---- 机构个人章证书下载: the holder alone, by the SMS's download code --------------- */

static int
holder_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", "机构个人章证书下载");
    return hall_resp_page(req, 200, "seal_holder", ctx);
}

static const struct hall_pspec holder_params[] = {
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {"code", HALL_P_TEXT, 0, 1, 64, "下载码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* the serial and the download code the holder's SMS carried: the medium,
 * once (hall_medium_hand destroys the hall's copy as it hands it over);
 * ten wrong codes stop it */
static int
holder_download(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial"), *code = hall_req_param(req, "code");
    const unsigned char *stored;
    struct hall_dbres *res;
    unsigned char mac[32];
    size_t len;

    if (!hall_pki_serial_ok(serial))
        return hall_msg(req, HALL_M_PKI_SERIAL_FORMAT, "serial");
    if (hall_holder_code_mac(serial, code, mac) != HALL_OK)
        return hall_msg(req, HALL_M_HOLDER_CODE_FORMAT, "code");
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "seal_holder_medium", HALL_STR(serial));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_HOLDER_NO_MATCH, "code");
    /* handed over already: said so, with why and where to go */
    if (hall_dbres_isnull(res, 0, hall_dbres_col(res, "p12_enc")))
        return hall_medium_hand(req, res, NULL);
    if (hall_dbres_int(res, 0, "holder_code_tries") >= 10)
        return hall_msg(req, HALL_M_HOLDER_LOCKED, "code");
    stored = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "holder_code_hash"), &len);
    if (stored == NULL || len != 32 || !hall_ct_equal(stored, mac, 32)) {
        if (hall_db_exec(req->cx, "seal_holder_medium_fail", HALL_STR(serial)) == NULL ||
            hall_db_commit(req->cx) != HALL_OK)
            return hall_resp_busy(req);
        hall_warn(req, "msg=\"holder download: wrong code\" serial=%s", serial);
        return hall_msg(req, HALL_M_HOLDER_NO_MATCH, "code");
    }
    return hall_medium_hand(req, res, hall_psprintf(req->pool, "holder:%s", serial));
}

/* ---- SESeal: the owner's download ---------------------------------------------------- */

/* a seal with nothing to download: another's (404), revoked or its signer's
 * certificate revoked (410), or not yet made (409) */
static int
not_made(struct hall_req *req, int64_t id, int holder_only)
{
    struct hall_dbres *o =
        hall_db_exec(req->cx, "seal_item_order", HALL_I64(id), HALL_I64(req->user_id));

    if (o == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(o) == 0)
        return hall_msg(req, HALL_M_SEAL_NOT_FOUND, NULL);
    if (strcmp(hall_dbres_str(o, 0, "seseal_state"), "revoked") == 0)
        return hall_msg(req, HALL_M_SEAL_REVOKED, NULL);
    /* 补办 refuses a revoked certificate: it is offered only while one is under way */
    if (strcmp(hall_dbres_str(o, 0, "seseal_state"), "valid") == 0 &&
        strcmp(hall_dbres_str(o, 0, "cert_state"), "issued") != 0)
        return hall_msg(req,
                        hall_dbres_bool(o, 0, "reissued") ? HALL_M_SEAL_SIGNER_REISSUED
                                                          : HALL_M_SEAL_SIGNER_REVOKED,
                        NULL);
    /* a medium, if asked for: a 机构个人章's is its holder's alone */
    if (holder_only && strcmp(hall_dbres_str(o, 0, "seseal_state"), "valid") == 0 &&
        strcmp(hall_dbres_str(o, 0, "kind"), "org_person") == 0)
        return hall_msg(req, HALL_M_SEAL_MEDIUM_HOLDER_ONLY, NULL);
    return hall_msg(req, HALL_M_SEAL_NOT_MADE, NULL);
}

/* made and stored by the production step with the certificates
 * (core/biz/sealprod.c, called by hall_produce): served as stored */
static int
seseal_download(struct hall_req *req)
{
    struct hall_dbres *res;
    unsigned char *der;
    size_t len;
    int64_t id;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK)
        return hall_msg(req, HALL_M_SEAL_ID_FORMAT, "id");
    res = hall_db_exec(req->cx, "seseal_own", HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return not_made(req, id, 0);
    der = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "der"), &len);
    if (der == NULL)
        return HALL_ERR;
    return hall_resp_bytes(req, der, len, "application/octet-stream",
                           hall_psprintf(req->pool, "%s.seseal", hall_dbres_str(res, 0, "es_id")));
}

/* the medium of the certificate a seal signs with (the order's PIN opens
 * it), handed over once like every medium (hall_medium_take) */
static int
seal_medium(struct hall_req *req)
{
    int64_t id;

    if (hall_req_param_i64(req, "id", &id) != HALL_OK)
        return hall_msg(req, HALL_M_SEAL_ID_FORMAT, "id");
    if (hall_medium_take(req, "seal_medium_own", id) == HALL_CONFLICT)
        return not_made(req, id, 1);
    return HALL_OK;
}

/* 我的电子印章: an order's seals, each with its state and, once made, its
 * SESeal file and its certificate's medium; then the seals re-made on a new
 * certificate as they were (已替换, with the date) */
static int
seals_page(struct hall_req *req)
{
    struct hall_val *ctx = order_page(req, "我的电子印章"), *list;
    struct hall_dbres *res;
    int i;

    if (ctx == NULL)
        return HALL_OK;
    res = hall_db_exec(req->cx, "seal_replaced_of", HALL_I64(hall_val_get(ctx, "id")->i));
    if (res == NULL)
        return HALL_ERR;
    list = hall_val_set_list(req->pool, ctx, "replaced");
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *it = hall_val_push_obj(req->pool, list);
        const char *kind = hall_dbres_str(res, i, "kind");
        const char *name = hall_dbres_str(res, i, "seal_name");

        if (strcmp(kind, "org_person") == 0) {
            struct hall_val *h =
                hall_dbres_pii_json(req->cx, res, i, hall_dbres_col(res, "holder_enc"));

            name = h != NULL ? hall_form_str(h, "name") : "";
        }
        hall_val_set_str(req->pool, it, "kind_label", hall_seal_kind_label(kind_of(kind)));
        hall_val_set_str(req->pool, it, "name", name);
        hall_dbres_set(req->pool, it, res, i, "es_id replaced_at");
    }
    return hall_resp_page(req, 200, "seal_list", ctx);
}

/* ---- 电子印章验证 (public) -------------------------------------------------------------- */

static const char *
beijing(struct hall_pool *pool, time_t t)
{
    struct tm tm;
    char buf[32];

    t += HALL_BEIJING_OFFSET_S;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    return hall_pstrdup(pool, buf);
}

/* standard base64 (a data: URI), not the URL alphabet of hall_b64url */
static char *
b64(struct hall_pool *pool, const unsigned char *p, size_t n)
{
    char *out = hall_palloc(pool, 4 * ((n + 2) / 3) + 1);

    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

static void
problem(struct hall_req *req, struct hall_val *list, const char *text)
{
    hall_val_push_str(req->pool, list, text);
}

static int
verify_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", "电子印章验证");
    return hall_resp_page(req, 200, "seal_verify", ctx);
}

static int
verify(struct hall_req *req)
{
    const struct hall_upload *up = hall_req_upload(req, "seseal");
    struct hall_val *ctx = hall_req_wants_json(req) ? hall_val_obj(req->pool) : hall_page_ctx(req);
    struct hall_val *r, *problems, *signers;
    struct hall_seseal_info info;
    struct hall_dbres *res;
    unsigned char *crl;
    size_t crl_len = 0;
    const char *err;
    time_t now = time(NULL);
    int i, valid;

    if (up == NULL || up->size == 0)
        return hall_msg(req, HALL_M_SEAL_VERIFY_FILE, "seseal");
    crl = hall_pki_crl_get(req->cx, "sm2", &crl_len);
    if (hall_seseal_verify(req->pool, up->data, up->size, crl, crl_len, &info, &err) != HALL_OK)
        return hall_resp_error(req, 400, "seseal", err);
    r = hall_val_set_obj(req->pool, ctx, "result");
    problems = hall_val_set_list(req->pool, r, "problems");
    hall_val_set_str(req->pool, r, "es_id", info.es_id);
    hall_val_set_str(req->pool, r, "name", info.name);
    hall_val_set_int(req->pool, r, "version", info.version);
    hall_val_set_str(req->pool, r, "type_label", info.type == 2 ? "个人印章" : "机构印章");
    hall_val_set_str(req->pool, r, "valid_start", beijing(req->pool, info.valid_start));
    hall_val_set_str(req->pool, r, "valid_end", beijing(req->pool, info.valid_end));
    hall_val_set_str(req->pool, r, "maker", info.maker_subject);
    hall_val_set_bool(req->pool, r, "signature_ok", info.signature_ok);
    hall_val_set_bool(req->pool, r, "chain_ok", info.chain_ok);
    hall_val_set_bool(req->pool, r, "crl_ok", info.crl_ok);
    hall_val_set_bool(req->pool, r, "maker_revoked", info.maker_revoked);
    if (strcmp(info.picture_type, "PNG") == 0 && info.png_len > 8 &&
        memcmp(info.png, "\x89PNG", 4) == 0)
        hall_val_set_fmt(req->pool, r, "picture", "data:image/png;base64,%s",
                         b64(req->pool, info.png, info.png_len));
    if (!info.signature_ok)
        problem(req, problems, "制章者签名无效：印章内容已被改动或不是由本系统制作");
    if (!info.chain_ok)
        problem(req, problems, "制章者证书不能验证到本系统的根证书");
    if (!info.crl_ok)
        problem(req, problems, "无法取得有效的证书吊销列表，吊销状态无法确认");
    if (info.maker_revoked)
        problem(req, problems, "制章者证书已吊销");
    if (now < info.valid_start || now > info.valid_end)
        problem(req, problems, "印章不在有效期内");
    /* what only the register knows: the seal itself, the signers' certificates */
    res =
        hall_db_exec(req->cx, "seseal_lookup", HALL_STR(info.es_id), HALL_BIN(up->data, up->size));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_val_set_str(req->pool, r, "seal_state", "unknown");
        problem(req, problems, "本系统未登记该印章");
    } else if (strcmp(hall_dbres_str(res, 0, "state"), "valid") == 0 &&
               strcmp(hall_dbres_str(res, 0, "cert_state"), "issued") != 0) {
        /* a seal follows its signer: valid in the register, void with it */
        hall_val_set_str(req->pool, r, "seal_state", "signer_revoked");
        if (!hall_dbres_bool(res, 0, "same_der"))
            problem(req, problems, "文件与本系统登记的印章不一致");
    } else {
        hall_val_set_str(req->pool, r, "seal_state", hall_dbres_str(res, 0, "state"));
        if (strcmp(hall_dbres_str(res, 0, "state"), "revoked") == 0)
            problem(
                req, problems,
                hall_psprintf(req->pool, "印章已于 %s 注销", hall_dbres_str(res, 0, "revoked_at")));
        if (strcmp(hall_dbres_str(res, 0, "state"), "replaced") == 0)
            problem(req, problems,
                    hall_psprintf(req->pool, "印章已于 %s 被替换：签章人证书已更换，新印章为 %s",
                                  hall_dbres_str(res, 0, "replaced_at"),
                                  hall_dbres_str(res, 0, "replaced_by")));
        if (!hall_dbres_bool(res, 0, "same_der"))
            problem(req, problems, "文件与本系统登记的印章不一致");
    }
    signers = hall_val_set_list(req->pool, r, "signers");
    for (i = 0; i < info.nsigners; i++) {
        struct hall_val *s = hall_val_push_obj(req->pool, signers);
        struct hall_dbres *c =
            hall_db_exec(req->cx, "seal_cert_state", HALL_STR(info.signers[i].serial));
        const char *st;

        if (c == NULL)
            return HALL_ERR;
        st = hall_dbres_rows(c) > 0 ? hall_dbres_str(c, 0, "state") : "unknown";
        hall_val_set_str(req->pool, s, "serial", info.signers[i].serial);
        hall_val_set_str(req->pool, s, "subject", info.signers[i].subject);
        hall_val_set_str(req->pool, s, "state", st);
        hall_val_set_str(req->pool, s, "state_label",
                         strcmp(st, "issued") == 0                               ? "有效"
                         : strcmp(st, "revoked") == 0 || strcmp(st, "void") == 0 ? "已吊销"
                                                                                 : "未登记");
        if (strcmp(st, "issued") != 0)
            problem(req, problems,
                    hall_psprintf(req->pool, "签章人证书 %s %s", info.signers[i].serial,
                                  strcmp(st, "unknown") == 0 ? "未在本系统登记" : "已吊销"));
    }
    if (info.nsigners == 0)
        problem(req, problems, "印章未列出签章人证书");
    valid = problems->first == NULL;
    hall_val_set_bool(req->pool, r, "valid", valid);
    hall_val_set_str(req->pool, r, "verdict", valid ? "印章有效" : "印章无效");
    hall_info(req, "msg=\"seseal verified\" es_id=%s valid=%d", info.es_id, valid);
    if (hall_req_wants_json(req))
        return hall_resp_ok(req, ctx);
    hall_val_set_str(req->pool, ctx, "title", "电子印章验证");
    return hall_resp_page(req, 200, "seal_verify", ctx);
}

/* ---- the flow: 录入信息 with 签章信息, print ------------------------------------------ */

/* seed 001: 申请单位、经办人、申请人、法人、公司账号、邮寄地址和发票 */
static const char *const seal_groups[] = {"unit", "legal", "agent",   "applicant",
                                          "bank", "mail",  "invoice", NULL};

static const char *const seal_materials[] = {"application", "license",         "agent_id",
                                             "seal_form",   "cert_attachment", NULL};

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
        const char *name = h != NULL ? hall_form_str(h, "name") : "";
        const char *ric = h != NULL ? hall_form_str(h, "ric") : "";
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
    ss->retired = hall_db_exec(req->cx, "seal_holder_files_move", HALL_I64(order_id),
                               HALL_STR(from->data), HALL_STR(to->data));
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
        return HALL_ERR;
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
        if (hall_db_exec(req->cx, "seal_item_upsert", HALL_I64(order_id), HALL_STR(kind),
                         HALL_I64(it->index), HALL_I64(ss->product[it->kind]), HALL_I64(it->years),
                         HALL_STR(it->style == HALL_SEAL_CUTOUT ? "cutout" : "auto"),
                         HALL_STR(it->kind == HALL_SEAL_PERSON || it->name == NULL ? "" : it->name),
                         holder, HALL_I64(ss->price[i]), png, phone_ok) == NULL)
            return HALL_ERR;
        hall_buf_printf(keep, "%s%s:%d", i > 0 ? "," : "", kind, it->index);
    }
    return hall_db_exec(req->cx, "seal_items_prune", HALL_I64(order_id), HALL_STR(keep->data)) !=
                   NULL
               ? HALL_OK
               : HALL_ERR;
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
    const char *org = hall_form_str(form, "org_name");
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

static const struct hall_pspec apply_params[] = {
    HALL_FLOW_PARAMS_ORDER,
    HALL_FLOW_PARAMS_DELIVERY,
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_apply(struct hall_req *req)
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
    int64_t total = 0, years = 1;
    int i, k;

    if (hall_flow_submit_open(req, apply_params, &e, &p, &s) != HALL_OK)
        return HALL_OK;
    prods = hall_flow_products(req, &p);
    if (prods == NULL)
        return HALL_OK;
    memset(prices, 0, sizeof(prices));
    for (i = 0; i < hall_dbres_rows(prods); i++)
        for (k = HALL_SEAL_ORG; k <= HALL_SEAL_PERSON; k++)
            if (strcmp(hall_dbres_str(prods, i, "cert_type"), hall_seal_kind_code(k)) == 0) {
                ss->product[k] = hall_dbres_int(prods, i, "id");
                prices[k] = hall_flow_product_price(prods, i);
            }
    if (ss->product[HALL_SEAL_ORG] == 0)
        return hall_msg(req, HALL_M_NO_PRODUCTS, NULL, "电子签章申请");
    /* 签章信息, then the catalogue's groups: every error at once */
    if (hall_seal_choice_parse(req->pool, req_get, req, c) != HALL_OK)
        for (i = 0; i < c->nerrors; i++)
            hall_errors_add(req->pool, &e, 400, c->errors[i].field, c->errors[i].message);
    for (i = 0; i < c->n; i++)
        if (ss->product[c->items[i].kind] == 0)
            hall_msg_add(req, &e, HALL_M_SEAL_KIND_NOT_OFFERED,
                         c->items[i].kind == HALL_SEAL_BUSINESS ? "biz_count" : "person_count");
    hall_flow_fields_check(req, HALL_T_ORG, form, &e);
    /* 申请人信息 (seed 001), whose fields the catalogue gives the personal
     * types: checked and kept in the order's form (form_enc) with the rest;
     * the unit's fields, theirs too, are only read again */
    hall_flow_fields_check(req, HALL_T_ORGP, form, &e);
    hall_flow_delivery_check(req, &p, form, &e);
    glyphs_check(req, c, form, &e);
    if (hall_flow_cross_check(req, HALL_T_ORG, form, &e) != HALL_OK)
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
                hall_sealimg_render(req->pool, it->kind, hall_form_str(form, "org_name"),
                                    it->name != NULL ? it->name : "", &ss->png_len[i], NULL);
            if (ss->png[i] == NULL)
                return hall_msg(req, HALL_M_SEAL_APPLY_UNDRAWABLE,
                                it->kind == HALL_SEAL_PERSON ? "person_count" : "org_name");
        }
    }
    ss->c = c;
    hall_val_set_str(req->pool, form, "choice_cert_type", "电子签章");
    hall_val_set_fmt(req->pool, form, "choice_seal", "%d枚", c->n);
    s.cert_type = "org";
    s.subject = hall_form_str(form, "org_name");
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

static int
apply_page(struct hall_req *req)
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
    if (form == NULL || prods == NULL || hall_flow_apply_ctx(req, ctx, o) != HALL_OK)
        return req->responded ? HALL_OK : hall_resp_busy(req);
    org = o == NULL; /* a new order starts with its 机构章 */
    hall_flow_choices_ctx(req, ctx, prods, &p, "org", 1, 1, form);
    for (i = 0; i < hall_dbres_rows(prods); i++) {
        const char *t = hall_dbres_str(prods, i, "cert_type");
        struct hall_price pr = hall_flow_product_price(prods, i);
        const char *yuan = hall_yuan(req->pool, hall_price_cert(&pr, 1, 0));

        hall_val_set_str(req->pool, ctx,
                         strcmp(t, "org") == 0            ? "price_org"
                         : strcmp(t, "org_business") == 0 ? "price_biz"
                                                          : "price_person",
                         yuan);
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
                hall_val_set_str(req->pool, ctx, "org_seal_name",
                                 hall_dbres_str(items, i, "seal_name"));
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
                hall_val_set_str(req->pool, r, "name", hall_dbres_str(items, row, "seal_name"));
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
                    hall_val_set_str(req->pool, r, "name", hall_form_str(h, "name"));
                    hall_val_set_str(req->pool, r, "ric", hall_form_str(h, "ric"));
                    hall_val_set_str(req->pool, r, "mobile", hall_form_str(h, "mobile"));
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
static void
print_more(struct hall_req *req, struct hall_val *ctx)
{
    hall_val_set_bool(req->pool, ctx, "seal_flow", 1);
    hall_val_set_str(req->pool, ctx, "page_js", "seal.js");
}

/* ---- the module ------------------------------------------------------------------------ */

/* ---- the console: revoking one seal (operator) ---------------------------------------- */

#define R_OPERATOR HALL_R_ROLES(HALL_ROLE_OPERATOR)

static const struct hall_pspec admin_seal_params[] = {
    {"order", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* GET /admin/seal?order=: the seals of a 电子签章申请 order, each valid one
 * with its 注销 form */
static int
admin_seals(struct hall_req *req)
{
    const char *order = hall_req_param(req, "order");
    int json = hall_req_wants_json(req);
    struct hall_val *ctx = json ? hall_val_obj(req->pool) : hall_staff_page(req, "电子印章管理");
    struct hall_val *list;
    struct hall_dbres *o, *res;
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
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *s = hall_val_push_obj(req->pool, list);
        const char *kind = hall_dbres_str(res, i, "kind");
        const char *name = hall_dbres_str(res, i, "seal_name");
        const char *st = hall_dbres_str(res, i, "state");
        int valid = strcmp(st, "valid") == 0;
        static const char *const cols[] = {"es_id",         "kind",       "cert_serial",
                                           "valid_end",     "state",      "revoked_at",
                                           "revoke_reason", "cert_state", NULL};
        int k;

        for (k = 0; cols[k] != NULL; k++)
            hall_val_set_str(req->pool, s, cols[k], hall_dbres_str(res, i, cols[k]));
        if (strcmp(kind, "org_person") == 0) {
            struct hall_val *h =
                hall_dbres_pii_json(req->cx, res, i, hall_dbres_col(res, "holder_enc"));

            /* the holder's name only: operators never see the ID number here */
            name = h != NULL ? hall_form_str(h, "name") : "";
        }
        hall_val_set_str(req->pool, s, "name", name);
        hall_val_set_str(req->pool, s, "kind_label",
                         strcmp(kind, "org") == 0            ? "机构章"
                         : strcmp(kind, "org_business") == 0 ? "机构业务章"
                                                             : "机构个人章");
        hall_val_set_bool(req->pool, s, "own_cert", hall_dbres_bool(res, i, "own_cert"));
        hall_val_set_bool(req->pool, s, "valid", valid);
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
    return json ? hall_resp_ok(req, ctx) : hall_resp_page(req, 200, "admin_seal", ctx);
}

#define R_SEAL_READ HALL_R_ROLES(HALL_ROLE_REVIEWER | HALL_ROLE_OPERATOR)

/* GET /admin/seal/image?id=: a seal's picture for the reviewer's 签章信息
 * and the operator (modules/admin's order page links it) */
static int
admin_image(struct hall_req *req)
{
    struct hall_dbres *res;
    unsigned char *png;
    size_t len;
    int64_t id;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    if (hall_req_param_i64(req, "id", &id) != HALL_OK)
        return hall_msg(req, HALL_M_SEAL_ID_FORMAT, "id");
    res = hall_db_exec(req->cx, "seal_admin_image", HALL_I64(id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_SEAL_IMAGE_NOT_FOUND, NULL);
    png = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "image_png"), &len);
    if (png == NULL)
        return HALL_ERR;
    hall_resp_header(req, "Cache-Control", "private, no-store");
    return hall_resp_raw(req, 200, "image/png", png, len);
}

static const struct hall_pspec admin_revoke_params[] = {
    {"es_id", HALL_P_TEXT, 0, 14, 40, "印章编码", NULL},
    {"reason", HALL_P_TEXT, HALL_PF_PLAIN, 2, 200, "注销原因", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/*
 * POST /admin/seal/revoke: one seal revoked (state, reason, who; audited);
 * a seal's own certificate (机构业务章, 机构个人章) is revoked with it
 * (cessationOfOperation) in the same transaction, so /seal/verify and OCSP
 * say so at once; the 机构章 lists the order's certificate, which stays.
 * The CRL follows at the outbox's next pki tick (this module holds no CA key).
 */
static int
admin_revoke(struct hall_req *req)
{
    const char *es_id = hall_req_param(req, "es_id"), *reason = hall_req_param(req, "reason");
    const char *actor = hall_staff_actor(req), *ca = NULL, *own;
    struct hall_dbres *res;
    struct hall_val *d;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "seal_admin_revoke", HALL_STR(es_id), HALL_STR(reason),
                       HALL_STR(actor));
    if (res == NULL)
        goto busy;
    if (hall_dbres_rows(res) == 0) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_SEAL_REVOKE_GONE, "es_id");
    }
    own = hall_dbres_str(res, 0, "own_serial");
    d = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, d, "reason", reason);
    hall_dbres_set(req->pool, d, res, 0, "cert_serial order_id");
    if (hall_audit(req->cx, actor, "seseal", es_id, "revoke", "valid", "revoked", d) != HALL_OK)
        goto busy;
    if (*own != '\0' && hall_pki_revoke(req->cx, own, 5, actor, &ca) != HALL_OK)
        goto busy;
    if (hall_db_commit(req->cx) != HALL_OK)
        goto busy;
    hall_info(req, "msg=\"seseal revoked\" es_id=%s cert=%s staff=%lld", es_id,
              *own != '\0' ? own : "-", (long long)req->staff->id);
    return hall_resp_go(
        req, hall_psprintf(req->pool, "/admin/seal?order=%s", hall_dbres_str(res, 0, "order_no")),
        *own != '\0' ? "印章已注销，其证书已吊销" : "印章已注销");
busy:
    if (req->cx->in_tx)
        hall_db_rollback(req->cx);
    return hall_resp_busy(req);
}

static const struct hall_route seal_routes[] = {
    {"GET", "/seal/product", product_page, 0, NULL},
    {"GET", "/seal/apply", apply_page, HALL_R_AUTH, NULL},
    /* parameters checked in the handler, with the fields: every error at once */
    {"POST", "/seal/apply", do_apply, HALL_R_AUTH, NULL},
    {"GET", "/seal/print", hall_flow_print_page, HALL_R_AUTH, NULL},
    {"GET", "/seal/guide", guide_page, 0, NULL},
    {"GET", "/seal/usage", usage_page, 0, NULL},
    {"GET", "/seal/stamp", stamp_page, 0, stamp_params},
    {"GET", "/seal/preview", preview, HALL_R_AUTH, preview_params},
    {"GET", "/seal/collect-form", collect_form, 0, NULL},
    {"GET", "/seal/image", image, HALL_R_AUTH, image_params},
    {"GET", "/seal/attachment", attachment, HALL_R_AUTH, id_params},
    {"POST", "/seal/impression", impression, HALL_R_AUTH | HALL_R_MULTIPART | HALL_R_CLEAR, NULL},
    {"POST", "/seal/impression/confirm", impression_confirm, HALL_R_AUTH, id_params},
    {"GET", "/seal/seseal", seseal_download, HALL_R_AUTH, id_params},
    {"GET", "/seal/medium", seal_medium, HALL_R_AUTH, id_params},
    {"POST", "/seal/holder/code", holder_code, HALL_R_AUTH, id_params},
    {"POST", "/seal/holder/verify", holder_verify, HALL_R_AUTH, NULL},
    {"GET", "/seal/holder", holder_page, 0, NULL},
    {"POST", "/seal/holder", holder_download, 0, holder_params},
    {"GET", "/seal/seals", seals_page, HALL_R_AUTH, id_params},
    {"GET", "/seal/verify", verify_page, 0, NULL},
    {"POST", "/seal/verify", verify, HALL_R_MULTIPART | HALL_R_CLEAR, NULL},
    {"GET", "/admin/seal", admin_seals, HALL_R_STAFF | R_OPERATOR, admin_seal_params},
    {"GET", "/admin/seal/image", admin_image, HALL_R_STAFF | R_SEAL_READ, id_params},
    {"POST", "/admin/seal/revoke", admin_revoke, HALL_R_STAFF | R_OPERATOR, admin_revoke_params},
    {NULL, NULL, NULL, 0, NULL},
};

/*
 * 上传资料: each 机构个人章 makes its holder a 机构个人证书, so the order asks
 * for that person's ID scan, kind holder_id_N after the seal's position,
 * listed first (seed 001: 若需申请机构个人证书请优先点击“添加机构个人身份证
 * 扫描件”。若无需申请机构个人证书则可不上传)
 */
static int
holder_materials(struct hall_req *req, struct hall_dbres *o, struct hall_val *list)
{
    struct hall_dbres *res =
        hall_db_exec(req->cx, "seal_holders", HALL_I64(hall_dbres_int(o, 0, "id")));
    int i;

    if (res == NULL)
        return hall_resp_busy(req), HALL_ERR;
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *h =
            hall_dbres_pii_json(req->cx, res, i, hall_dbres_col(res, "holder_enc"));
        const char *name = h != NULL ? hall_form_str(h, "name") : "";
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
static int
cutouts_ready(struct hall_req *req, int64_t order_id, struct hall_errors *e)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "seal_items_unready", HALL_I64(order_id));
    int i;

    if (res == NULL)
        return HALL_ERR;
    for (i = 0; i < hall_dbres_rows(res); i++) {
        enum hall_seal_kind k = kind_of(hall_dbres_str(res, i, "kind"));
        const char *name = hall_dbres_str(res, i, "seal_name"), *what;

        if (k == HALL_SEAL_PERSON) {
            struct hall_val *h =
                hall_dbres_pii_json(req->cx, res, i, hall_dbres_col(res, "holder_enc"));

            name = h != NULL ? hall_form_str(h, "name") : "";
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
        if (!holder_verified(req->cx, res, i, hall_form_str(h, "mobile")))
            hall_msg_add(req, e, HALL_M_SEAL_HOLDER_UNVERIFIED, NULL, hall_form_str(h, "name"));
    }
    return HALL_OK;
}

static const struct hall_flow seal_flow = {
    .business = "seal",
    .title = "电子签章申请",
    .steps = hall_steps_seal,
    .groups = seal_groups,
    .materials = seal_materials,
    .first_step = "guide",
    .tmpl_print = "new_print",
    .print_more = print_more,
    .order_materials = holder_materials,
    .order_ready = cutouts_ready,
    .routes = seal_routes,
    .stmts = seal_stmts,
    .init = seal_init,
};

HALL_FLOW_MAIN(seal_flow)
