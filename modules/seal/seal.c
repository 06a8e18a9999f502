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
 *   GET  /seal/holder           public: 机构个人章密钥生成 (the key made in the
 *                               holder's browser, posted to POST /pki/seal-holder:
 *                               core/biz/sealhold.c), and the older download
 *   POST /seal/holder           public: serial + the SMS's download code -> the
 *                               holder's PKCS#12 made before sql/159, once
 *   GET  /seal/seals?id=        我的电子印章: an order's seals, state, downloads
 *   GET  /seal/verify           public: 电子印章验证, upload a file
 *   POST /seal/verify           public: the verdict (signature, chain,
 *                               revocation of the maker, of the signer's
 *                               certificate and of the seal)
 *   GET  /admin/seal?order=     operator: an order's seals
 *   GET  /admin/seal/image?id=  reviewer, operator: a seal's picture
 *   POST /admin/seal/revoke     operator: one seal revoked; with its own certificate,
 *                               a request a second operator approves (four eyes)
 *   POST /admin/seal/bundle     operator: the picture of a 证书新办's 电子签章 (机构章),
 *                               cut out of its 电子签章采集表 or drawn, before production
 *
 * This file declares the module: its statements, its routes with their
 * parameters, the flow (seal_flow) and main, and serves the plain pages.
 * The handlers are in its parts, by what they serve (their shared names in
 * seal.h):
 *   seal_apply.c       录入信息 with 签章信息, the kit's hooks
 *   seal_picture.c     the preview, the owner's picture, the 采集表, 抠图
 *   seal_attachment.c  证书附页, the 机构个人章 holders' phones verified
 *   seal_download.c    the holder's and the owner's downloads, 我的电子印章
 *   seal_verify.c      电子印章验证
 *   seal_console.c     the staff's: an order's seals, a picture, 注销
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "seal.h"

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
     " coalesce(c.state, '') AS cert_state, coalesce(c.key_origin, '') AS key_origin,"
     " coalesce(c.medium_serial, '') AS usb_serial,"
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
    /* the console (operator): an order's seals, one revoked */
    {"seal_admin_order",
     "SELECT id, order_no, status, subject, business_type = 'new' AS bundle FROM orders o"
     " WHERE order_no = $1 AND (business_type = 'seal'"
     /* a 证书新办 with its 电子签章 (core/biz/sealprod.c: sp_bundle) */
     " OR (business_type = 'new' AND cert_type IN ('org', 'person') AND (seal OR coalesce((SELECT"
     " p.breakdown ? '签章费' FROM products p WHERE p.id = o.product_id), false))))",
     1},
    /* its 机构章 before production: the picture the operator made (or none) */
    {"seal_admin_bundle",
     "SELECT coalesce((SELECT i.id FROM seal_items i WHERE i.order_id = $1"
     " AND i.kind IN ('org', 'person') AND i.image_png IS NOT NULL), 0) AS item_id,"
     " coalesce((SELECT i.style FROM seal_items i WHERE i.order_id = $1"
     " AND i.kind IN ('org', 'person')), '') AS style,"
     " EXISTS (SELECT 1 FROM order_files f WHERE f.order_id = $1 AND f.kind = 'seal_form'"
     " AND f.replaced_at IS NULL AND f.removed_at IS NULL) AS has_form",
     1},
    {"seal_admin_bundle_lock",
     "SELECT id, status, subject FROM orders WHERE order_no = $1 FOR UPDATE", 1},
    {"seal_admin_list",
     "SELECT s.es_id, i.kind, seal_shown_name(i.kind, i.seal_name, i.order_id) AS seal_name,"
     " i.holder_enc,"
     " coalesce(s.cert_serial, '') AS cert_serial, c.seal_item_id IS NOT NULL AS own_cert,"
     " to_char(s.valid_end AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS valid_end, s.state,"
     " coalesce(to_char(s.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS revoked_at, coalesce(s.revoke_reason, '') AS revoke_reason,"
     " coalesce(c.state, '') AS cert_state,"
     " coalesce(to_char(s.replaced_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
     " '') AS replaced_at, coalesce(s.replaced_by, '') AS replaced_by,"
     /* four eyes: a 注销 asked for a seal with its own certificate */
     " coalesce((SELECT st.login FROM staff_requests r JOIN staff st ON st.id = r.requested_by"
     " WHERE r.kind = 'revoke' AND r.subject = s.cert_serial AND r.state = 'pending'"
     " AND c.seal_item_id IS NOT NULL LIMIT 1), '') AS pending_by"
     " FROM seseals s JOIN seal_items i ON i.id = s.item_id"
     " LEFT JOIN certificates c ON c.serial = s.cert_serial WHERE s.order_id = $1"
     " ORDER BY CASE i.kind WHEN 'org' THEN 0 WHEN 'org_business' THEN 1 ELSE 2 END, i.position,"
     " s.created_at DESC, s.es_id DESC",
     1},
    /* the 机构个人章s whose holders are to make their keys (sql/159) */
    {"seal_admin_waiting",
     "SELECT i.kind, i.position, i.order_id, i.holder_enc, seal_shown_name(i.kind, i.seal_name,"
     " i.order_id) AS seal_name, to_char(i.key_code_sent_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI') AS sent_at FROM seal_items i WHERE i.order_id = $1"
     " AND i.key_code_mac IS NOT NULL ORDER BY i.position",
     1},
    {"seal_admin_image", "SELECT image_png FROM seal_items WHERE id = $1 AND image_png IS NOT NULL",
     1},
    /* a valid seal and its own certificate while it is issued (机构业务章,
     * 机构个人章; the 机构章 lists the order's) */
    {"seal_admin_target",
     "SELECT s.order_id, (SELECT order_no FROM orders WHERE id = s.order_id) AS order_no,"
     " coalesce(s.cert_serial, '') AS cert_serial, coalesce((SELECT c.serial FROM certificates c"
     " WHERE c.serial = s.cert_serial AND c.seal_item_id = s.item_id AND c.state = 'issued'), '')"
     " AS own_serial FROM seseals s WHERE s.es_id = $1 AND s.state = 'valid'",
     1},
    /* the certificate's row before the request's, as modules/pki does */
    {"seal_cert_lock", "SELECT state FROM certificates WHERE serial = $1 FOR UPDATE", 1},
    {"seal_order_own",
     "SELECT o.order_no, o.subject, o.status, to_char(o.created_at AT TIME ZONE"
     " 'Asia/Shanghai', 'YYYY-MM-DD') AS created FROM orders o WHERE o.id = $1 AND o.user_id = $2"
     /* or a 证书新办 with its 电子签章, once the seal is there (sp_bundle) */
     " AND (o.business_type = 'seal' OR EXISTS (SELECT 1 FROM seal_items i"
     " WHERE i.order_id = o.id))",
     2},
    /* the 采集表 of an order: a seal order's, or a 证书新办's with its 电子签章
     * (sp_bundle's rule) before production made its seal row */
    {"seal_collect_order",
     "SELECT o.order_no, o.subject, o.cert_type FROM orders o WHERE o.id = $1 AND o.user_id = $2"
     " AND (o.business_type = 'seal' OR EXISTS (SELECT 1 FROM seal_items i"
     " WHERE i.order_id = o.id) OR (o.business_type = 'new' AND o.cert_type IN ('org', 'person')"
     " AND (o.seal OR coalesce((SELECT p.breakdown ? '签章费' FROM products p"
     " WHERE p.id = o.product_id), false))))",
     2},
    {"seal_items_of",
     "SELECT i.id, i.kind, i.position, i.years, i.style, coalesce(i.seal_name, '') AS seal_name,"
     " seal_shown_name(i.kind, i.seal_name, i.order_id) AS shown_name,"
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
     " AS medium_gone_why, (SELECT partner_code FROM orders WHERE id = i.order_id) AS partner,"
     /* a 机构个人章 whose key its holder's browser is to make (sql/159) */
     " i.key_code_mac IS NOT NULL AS key_waiting, coalesce(c.key_origin, '') AS key_origin,"
     /* an SM2 order's 业务章 produced without a certificate: its key is the
      * applicant's browser's to make (POST /pki/seal-key, core/biz/sealbiz.c) */
     " (i.kind = 'org_business' AND s.es_id IS NULL AND (SELECT p.ca FROM orders o JOIN products"
     " p ON p.id = o.product_id WHERE o.id = i.order_id) = 'sm2' AND EXISTS (SELECT 1 FROM"
     " certificates x WHERE x.order_id = i.order_id AND x.seal_item_id IS NULL"
     " AND x.state = 'issued')) AS biz_waiting, 'SZCA' || lpad(i.order_id::text, 12, '0')"
     " || 'B' || lpad(i.position::text, 2, '0') AS biz_es,"
     /* an accepted order whose certificate its applicant's browser makes
      * (order_key_origin: an SM2 one), not made yet: the seals wait for it */
     " (s.es_id IS NULL AND EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id"
     " AND o.status = 'accepted' AND order_key_origin(o.id) = 'browser')) AS cert_keygen,"
     /* its key born on the order's USB key (core/pki/medium.c), or on the
      * USB key of the order that replaced its signer (补办, 变更: the
      * renamed 业务章's, core/biz/sealrename.c): that order's number */
     " coalesce(c.medium_serial, '') AS usb_serial, CASE WHEN c.order_id <> i.order_id THEN"
     " (SELECT order_no FROM orders WHERE id = c.order_id) ELSE '' END AS usb_order"
     " FROM seal_items i"
     " LEFT JOIN LATERAL (SELECT * FROM seseals WHERE item_id = i.id"
     "  ORDER BY created_at DESC, es_id DESC LIMIT 1) s ON true"
     " LEFT JOIN certificates c ON c.serial = s.cert_serial"
     " WHERE i.order_id = $1"
     " ORDER BY CASE i.kind WHEN 'org' THEN 0 WHEN 'org_business' THEN 1 ELSE 2 END, i.position",
     1},
    /* the certificate a seal signs with, the one its valid SESeal lists:
     * its own (机构业务章, 机构个人章) or, for the 机构章, the order's 机构证书
     * (sql/027) or the certificate that replaced it (sql/041); only one
     * whose key the hall made (before issue 64) has a file */
    {"seal_medium_own",
     "SELECT c.p12_enc, c.serial, o.order_no, o.partner_code,"
     " coalesce(to_char(c.medium_destroyed_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI'), '') AS destroyed_at, coalesce(c.medium_destroyed_why, '')"
     " AS destroyed_why FROM seal_items i JOIN orders o ON o.id ="
     " i.order_id JOIN seseals s ON s.item_id = i.id AND s.state = 'valid'"
     " JOIN certificates c ON c.serial = s.cert_serial WHERE i.id = $1 AND o.user_id = $2"
     " AND c.state = 'issued' AND i.kind <> 'org_person' AND c.key_origin = 'hall'"
     " FOR UPDATE OF c",
     2},
    /* a 机构个人章's holder (sql/053): the phone check, locked with its order */
    {"seal_holder_lock",
     "SELECT i.kind, i.holder_enc, i.holder_code_hash, i.holder_code_tries, i.holder_code_idx,"
     " coalesce(i.holder_code_expires > now(), false) AS live,"
     " coalesce(i.holder_code_sent_at > now() - make_interval(secs => $3::int), false) AS recent,"
     " o.status, o.id AS order_id, o.subject FROM seal_items i JOIN orders o ON o.id = i.order_id"
     " WHERE i.id = $1 AND o.user_id = $2 FOR UPDATE OF i, o",
     3},
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
    /* 我的电子印章: the seals re-made on a new certificate, as they were */
    {"seal_replaced_of",
     "SELECT i.kind, seal_shown_name(i.kind, i.seal_name, i.order_id) AS seal_name,"
     " i.holder_enc, s.es_id,"
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
    /* what keeps an order from review: a 抠图 seal without its confirmed picture */
    {"seal_items_unready",
     "SELECT kind, position, coalesce(seal_name, '') AS seal_name, holder_enc,"
     " image_png IS NULL AS missing FROM seal_items WHERE order_id = $1 AND style = 'cutout'"
     " AND (image_png IS NULL OR NOT image_confirmed)"
     " ORDER BY CASE kind WHEN 'org' THEN 0 WHEN 'org_business' THEN 1 ELSE 2 END, position",
     1},
    /* the holder phones this order has verified (sql/053): an edit keeps a
     * phone verified, whichever row it moves to */
    {"seal_holder_phones_verified",
     "SELECT holder_verified_idx FROM seal_items WHERE order_id = $1 AND kind = 'org_person'"
     " AND holder_verified_idx IS NOT NULL",
     1},
    /* 上传资料: the 机构个人章s, whose holders' ID scans the order asks for */
    {"seal_holders",
     "SELECT position, holder_enc FROM seal_items WHERE order_id = $1 AND kind = 'org_person'"
     " ORDER BY position",
     1},
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

/* 产品方案: the seals on sale with their yearly prices (the hall's own
 * products, as 录入信息 shows them), the ways to buy, try and use them */
static int
product_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req), *list;
    struct hall_partner p;
    struct hall_dbres *prods;
    int i;

    if (hall_flow_partner(req, NULL, &p) != HALL_OK)
        return HALL_OK;
    prods = hall_flow_products(req, &p);
    if (prods == NULL)
        return hall_req_failed(req);
    list = hall_val_set_list(req->pool, ctx, "prices");
    for (i = 0; i < hall_dbres_rows(prods); i++) {
        const char *t = hall_dbres_str(prods, i, "cert_type");
        struct hall_price pr = hall_flow_product_price(prods, i);
        struct hall_val *e;

        /* the 国密 twins (sql/147) at the same price: said once below */
        if (strcmp(hall_dbres_str(prods, i, "ca"), "sm2") == 0) {
            hall_val_set_bool(req->pool, ctx, "sm2_offered", 1);
            continue;
        }
        e = hall_val_push_obj(req->pool, list);

        hall_val_set_str(req->pool, e, "kind", t);
        hall_val_set_str(req->pool, e, "label",
                         strcmp(t, "org") == 0            ? "机构章"
                         : strcmp(t, "org_business") == 0 ? "机构业务章"
                                                          : "机构个人章");
        hall_val_set_str(req->pool, e, "yuan", hall_yuan(req->pool, hall_price_cert(&pr, 1, 0)));
    }
    hall_val_set_bool(req->pool, ctx, "has_prices", hall_dbres_rows(prods) > 0);
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
 * browser with the holder's own PKCS#12, or with the key on the holder's
 * USB key through the 证书助手 (static/assist/bridge.js); the hall serves the page and
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
    if (id > 0 && req->user_id != 0) {
        struct hall_dbres *o =
            hall_db_exec(req->cx, "seal_item_order", HALL_I64(id), HALL_I64(req->user_id));

        hall_val_set_str(req->pool, ctx, "seal_item",
                         hall_psprintf(req->pool, "%lld", (long long)id));
        /* its key on a USB key (issue 70 §2): the page signs through the
         * 证书助手 and says which medium to plug in */
        if (o != NULL && hall_dbres_rows(o) == 1 &&
            strcmp(hall_dbres_str(o, 0, "key_origin"), "medium") == 0 &&
            *hall_dbres_str(o, 0, "usb_serial") != '\0')
            hall_val_set_str(req->pool, ctx, "seal_medium", hall_dbres_str(o, 0, "usb_serial"));
    }
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

/* ---- routes ----------------------------------------------------------------- */

/* who may do what on the console's routes */
#define R_OPERATOR  HALL_R_ROLES(HALL_ROLE_OPERATOR)
#define R_SEAL_READ HALL_R_ROLES(HALL_ROLE_REVIEWER | HALL_ROLE_OPERATOR)

/* each route's parameters, checked by the core before its handler runs */
static const char *const kind_choices[] = {"org", "org_business", "org_person", NULL};

static const struct hall_pspec preview_params[] = {
    {"kind", HALL_P_CHOICE, 0, 0, 0, "印章类型", kind_choices},
    {"org", HALL_P_TEXT, HALL_PF_OPTIONAL, 1, 100, "机构名称", NULL},
    {"name", HALL_P_TEXT, HALL_PF_OPTIONAL, 1, 60, "印章名称", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

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

static const struct hall_pspec holder_params[] = {
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {"code", HALL_P_TEXT, 0, 1, 64, "下载码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec admin_seal_params[] = {
    {"order", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec admin_revoke_params[] = {
    {"es_id", HALL_P_TEXT, 0, 14, 40, "印章编码", NULL},
    {"reason", HALL_P_TEXT, HALL_PF_PLAIN, 2, 200, "注销原因", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const char *const bundle_styles[] = {"cutout", "auto", NULL};

static const struct hall_pspec admin_bundle_params[] = {
    {"order", HALL_P_TEXT, 0, 1, 32, "业务单号", NULL},
    {"style", HALL_P_CHOICE, 0, 0, 0, "签章样式", bundle_styles},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* HALL_R_OWNED: the pages of seals one has, under every channel's path
 * whatever it sells (a 证书新办 of 建筑工务署 or 湖南 carries its seal; their
 * paths sell no 电子签章申请, whose pages — 产品方案, 录入信息, 证书附页 ... —
 * still answer 该项目暂不办理电子签章申请业务 there) */
static const struct hall_route seal_routes[] = {
    {"GET", "/seal/product", product_page, 0, NULL},
    {"GET", "/seal/apply", seal_apply_page, HALL_R_AUTH, NULL},
    /* parameters checked in the handler, with the fields: every error at once */
    {"POST", "/seal/apply", seal_do_apply, HALL_R_AUTH, NULL},
    {"GET", "/seal/print", hall_flow_print_page, HALL_R_AUTH, NULL},
    {"GET", "/seal/guide", guide_page, 0, NULL},
    {"GET", "/seal/usage", usage_page, HALL_R_OWNED, NULL},
    {"GET", "/seal/stamp", stamp_page, HALL_R_OWNED, stamp_params},
    {"GET", "/seal/preview", seal_preview, HALL_R_AUTH, preview_params},
    /* the 采集表 of one's 证书新办 too: its upload page links it */
    {"GET", "/seal/collect-form", seal_collect_form, HALL_R_OWNED, NULL},
    {"GET", "/seal/image", seal_image, HALL_R_AUTH | HALL_R_OWNED, image_params},
    {"GET", "/seal/attachment", seal_attachment, HALL_R_AUTH, id_params},
    {"POST", "/seal/impression", seal_impression, HALL_R_AUTH | HALL_R_MULTIPART | HALL_R_CLEAR,
     NULL},
    {"POST", "/seal/impression/confirm", seal_impression_confirm, HALL_R_AUTH, id_params},
    {"GET", "/seal/seseal", seal_seseal_download, HALL_R_AUTH | HALL_R_OWNED, id_params},
    {"GET", "/seal/medium", seal_medium, HALL_R_AUTH | HALL_R_OWNED, id_params},
    {"POST", "/seal/holder/code", seal_holder_code, HALL_R_AUTH, id_params},
    {"POST", "/seal/holder/verify", seal_holder_verify, HALL_R_AUTH, NULL},
    {"GET", "/seal/holder", seal_holder_page, HALL_R_OWNED, NULL},
    {"POST", "/seal/holder", seal_holder_download, HALL_R_OWNED, holder_params},
    {"GET", "/seal/seals", seal_seals_page, HALL_R_AUTH | HALL_R_OWNED, id_params},
    {"GET", "/seal/verify", seal_verify_page, HALL_R_OWNED, NULL},
    {"POST", "/seal/verify", seal_verify, HALL_R_MULTIPART | HALL_R_CLEAR | HALL_R_OWNED, NULL},
    {"GET", "/admin/seal", seal_admin_seals, HALL_R_STAFF | R_OPERATOR, admin_seal_params},
    {"GET", "/admin/seal/image", seal_admin_image, HALL_R_STAFF | R_SEAL_READ, id_params},
    {"POST", "/admin/seal/revoke", seal_admin_revoke, HALL_R_STAFF | R_OPERATOR,
     admin_revoke_params},
    {"POST", "/admin/seal/bundle", seal_admin_bundle, HALL_R_STAFF | R_OPERATOR,
     admin_bundle_params},
    {NULL, NULL, NULL, 0, NULL},
};

/* ---- the flow ----------------------------------------------------------------- */

/* seed 001: 申请单位、经办人、申请人、法人、公司账号、邮寄地址和发票 */
static const char *const seal_groups[] = {"unit", "legal", "agent",   "applicant",
                                          "bank", "mail",  "invoice", NULL};

static const char *const seal_materials[] = {"application", "license",         "agent_id",
                                             "seal_form",   "cert_attachment", NULL};

static const struct hall_flow seal_flow = {
    .business = "seal",
    .title = "电子签章申请",
    .steps = hall_steps_seal,
    .groups = seal_groups,
    .materials = seal_materials,
    .first_step = "guide",
    .tmpl_print = "new_print",
    .print_more = seal_print_more,
    .order_materials = seal_holder_materials,
    .order_ready = seal_cutouts_ready,
    .routes = seal_routes,
    .stmts = seal_stmts,
    .init = seal_init,
};

HALL_FLOW_MAIN(seal_flow)
