/*
 * The seals of a 电子签章申请 produced with the order's certificate
 * (docs/modules/seal.md, "Production").  hall_produce_onto calls these in its
 * own three steps, so a seal order is produced in one flow:
 *
 *   1. intent (the order's transaction): each 机构业务章 and 机构个人章 gets
 *      a certificate intent of its own (seed 001: 机构业务证书, 机构个人证书;
 *      the 机构章 uses the order's 机构证书);
 *   2. sign: those certificates, then every seal's SESeal (GB/T 38540),
 *      signed by the seal maker and listing the seal's certificate;
 *   3. store (the transaction that moves the order to issued): the
 *      certificates with their media (the order's PIN) and the SESeals.
 *
 * Nothing is stored in between: a producer that dies after step 1 leaves
 * intents that hall_pki_reconcile voids with the order's, the order stays
 * accepted, and the next production makes everything anew.  Never two: one
 * issued and one intent certificate per seal at most (sql/100) and one SESeal per
 * seal (seseals_live_item; a seal that has one, valid or revoked, is not
 * made again).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "biz/biz.h"
#include "biz/sealprod_int.h"

const struct hall_stmt hall_sealprod_stmts[] = {
    {"sp_items",
     "SELECT i.id, i.kind, i.position, i.years, coalesce(i.seal_name, '') AS seal_name,"
     " i.image_png, i.holder_enc, o.subject FROM seal_items i JOIN orders o ON o.id = i.order_id"
     " WHERE i.order_id = $1 AND o.business_type IN ('seal', 'new') AND NOT EXISTS"
     " (SELECT 1 FROM seseals s WHERE s.item_id = i.id)"
     " ORDER BY CASE i.kind WHEN 'org' THEN 0 WHEN 'org_business' THEN 1 ELSE 2 END, i.position",
     1},
    /* a 证书新办 whose price includes the 电子签章 (建筑工务署's 是否办理电子签章
     * 是: orders.seal; 湖南's 签章费 in the product's price) and whose seal is
     * not there yet: its part of the price, its 电子签章采集表 (the current file) */
    {"sp_bundle",
     "SELECT o.product_id, o.years, CASE WHEN o.seal THEN p.seal_fee_per_year_fen"
     " ELSE coalesce((p.breakdown->>'签章费')::int, 0) END * o.years AS price_fen,"
     " (SELECT f.stored_name FROM order_files f WHERE f.order_id = o.id AND f.kind = 'seal_form'"
     " AND f.replaced_at IS NULL AND f.removed_at IS NULL ORDER BY f.id DESC LIMIT 1) AS seal_form,"
     " (SELECT i.id FROM seal_items i WHERE i.order_id = o.id AND i.kind = o.cert_type) AS item_id,"
     " o.cert_type AS kind, o.subject,"
     " EXISTS (SELECT 1 FROM seseals s WHERE s.order_id = o.id) AS made"
     " FROM orders o JOIN products p ON p.id = o.product_id"
     " WHERE o.id = $1 AND o.business_type = 'new' AND o.cert_type IN ('org', 'person')"
     " AND (o.seal OR p.breakdown ? '签章费')",
     1},
    {"sp_bundle_item",
     "INSERT INTO seal_items (order_id, kind, position, product_id, years, style, price_fen,"
     " image_png) VALUES ($1, $7, 0, $2, $3, $4, $5, $6) RETURNING id",
     7},
    /* the operator's other choice, while the seal is not made */
    {"sp_bundle_redo",
     "UPDATE seal_items SET style = $2, image_png = $3 WHERE id = $1 AND NOT EXISTS"
     " (SELECT 1 FROM seseals s WHERE s.item_id = seal_items.id) RETURNING id",
     3},
    {"sp_seseal_store",
     "INSERT INTO seseals (es_id, item_id, order_id, cert_serial, der, valid_start, valid_end)"
     " VALUES ($1, $2, $3, $4, $5, to_timestamp($6), to_timestamp($7))",
     7},
    /* the re-make: the valid seals that list a replaced certificate */
    {"sp_remake_of",
     "SELECT s.es_id, s.item_id, s.order_id, s.der, i.kind, i.style,"
     " coalesce(i.seal_name, '') AS seal_name,"
     " extract(epoch FROM s.valid_end)::bigint AS valid_end_epoch,"
     " (SELECT count(*) FROM seseals x WHERE x.item_id = s.item_id) AS made"
     " FROM seseals s JOIN seal_items i ON i.id = s.item_id"
     " WHERE s.cert_serial = $1 AND s.state = 'valid' ORDER BY s.es_id",
     1},
    {"sp_remake_retire",
     "UPDATE seseals SET state = 'replaced', replaced_at = now(), replaced_by = $2"
     " WHERE es_id = $1 AND state = 'valid' AND cert_serial = $3 RETURNING es_id",
     3},
    /* after a 变更 of the unit's name: the valid 业务章 of the seal orders
     * whose 机构证书 the replaced certificate is or replaced (sql/100), each
     * with its own certificate, which still names another unit */
    {"sp_rename_biz",
     "SELECT s.es_id, s.item_id, s.order_id, s.der, i.kind, i.style,"
     " coalesce(i.seal_name, '') AS seal_name,"
     " extract(epoch FROM s.valid_end)::bigint AS valid_end_epoch,"
     " (SELECT count(*) FROM seseals x WHERE x.item_id = s.item_id) AS made,"
     " c.serial AS own_serial, c.ca AS own_ca,"
     " extract(epoch FROM c.not_after)::bigint AS own_not_after_epoch"
     " FROM seseals s JOIN seal_items i ON i.id = s.item_id"
     " JOIN certificates c ON c.serial = s.cert_serial AND c.seal_item_id = i.id"
     " WHERE i.order_id IN (SELECT cert_seal_orders($1)) AND i.kind = 'org_business'"
     " AND s.state = 'valid' AND c.state = 'issued' AND c.not_after > now()"
     " AND c.subject_org IS DISTINCT FROM $2 ORDER BY s.es_id",
     2},
    /* the seal alone: only while it has no issued certificate of its own */
    {"seal_admin_revoke",
     "UPDATE seseals SET state = 'revoked', revoked_at = now(), revoke_reason = $2,"
     " revoked_by = $3 WHERE es_id = $1 AND state = 'valid' AND NOT EXISTS (SELECT 1"
     " FROM certificates c WHERE c.serial = seseals.cert_serial"
     " AND c.seal_item_id = seseals.item_id AND c.state = 'issued') RETURNING order_id,"
     " (SELECT order_no FROM orders WHERE id = seseals.order_id) AS order_no,"
     " coalesce(cert_serial, '') AS cert_serial",
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
    /* a new cut-out waits for its applicant's 确认 (sql/040) */
    {"seal_item_image",
     "UPDATE seal_items SET image_png = $2, image_confirmed = false WHERE id = $1", 2},
    {"seal_item_confirm",
     "UPDATE seal_items SET image_confirmed = true WHERE id = $1 AND image_png IS NOT NULL"
     " RETURNING order_id",
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
    {"seal_items_prune",
     "DELETE FROM seal_items WHERE order_id = $1"
     " AND NOT ((kind || ':' || position) = ANY (string_to_array($2, ',')))",
     2},
    /* a seal's 注销 asked with its own certificate (modules/seal): the seal
     * goes with the certificate's approved revocation */
    {"revoke_seal_of",
     "UPDATE seseals SET state = 'revoked', revoked_at = now(), revoke_reason = $2,"
     " revoked_by = $3 WHERE es_id = $1 AND cert_serial = $4 AND state = 'valid'"
     " RETURNING order_id, cert_serial",
     4},
    /* a 机构个人章's key born in its holder's browser (sealhold.c, sql/159) */
    {"sh_code_store",
     "UPDATE seal_items SET key_code_mac = $2, key_code_tries = 0, key_code_sent_at = now()"
     " WHERE id = $1 AND kind = 'org_person' AND key_made_at IS NULL RETURNING id",
     2},
    /* the seal by its code's order, position and kind, locked: one request at a
     * time; then read in a statement of its own, whose snapshot sees what
     * the request before it committed (an intent, a seal) */
    {"sh_lock",
     "SELECT i.id FROM seal_items i WHERE i.order_id = $1 AND i.position = $2"
     " AND i.kind = $3 FOR UPDATE",
     3},
    {"sh_read",
     "SELECT i.id, i.years, i.image_png, i.holder_enc, i.key_code_mac, i.key_code_tries,"
     " i.key_made_at IS NOT NULL OR EXISTS (SELECT 1 FROM seseals s WHERE s.item_id = i.id)"
     " AS made, EXISTS (SELECT 1 FROM certificates x WHERE x.seal_item_id = i.id"
     " AND x.state = 'intent') AS pending, o.form_enc, o.subject, pr.ca, o.user_id,"
     " coalesce(i.seal_name, '') AS seal_name, EXISTS (SELECT 1 FROM certificates x"
     " WHERE x.order_id = o.id AND x.seal_item_id IS NULL AND x.state = 'issued') AS produced"
     " FROM seal_items i JOIN orders o ON o.id = i.order_id JOIN products pr ON pr.id = "
     "o.product_id"
     " WHERE i.id = $1",
     1},
    {"sh_code_fail", "UPDATE seal_items SET key_code_tries = key_code_tries + 1 WHERE id = $1", 1},
    {"sh_made",
     "UPDATE seal_items SET key_code_mac = NULL, key_made_at = now() WHERE id = $1"
     " AND key_code_mac IS NOT NULL RETURNING id",
     1},
    {NULL, NULL, 0},
};

struct sp_item {
    int64_t id;
    const char *kind;
    int position, years;
    int own;       /* a certificate of its own made now (业务章) */
    int holder;    /* its key born later in a browser: 1 a 个人章's holder's (sealhold.c),
                    * 2 an SM2 业务章's applicant's (sealbiz.c) */
    EVP_PKEY *pub; /* an own certificate's key born on the order's medium */
    const char *csr_sha256; /* and the request the medium signed with it */
    const char *name, *cn, *org, *uscc, *ric;
    const char *mobile; /* a 个人章's holder: its PIN and medium go to this phone */
    char serial[17];
    time_t nb, na;
    X509 *x;
    unsigned char *cert, *png, *seal;
    size_t cert_len, png_len, seal_len;
    const char *es_id;
    time_t valid_start, valid_end;
};

struct hall_sealprod {
    int64_t order_id;
    const char *ca, *order_serial;
    const char *mserial; /* the medium the own certificates' keys were born on */
    time_t pop_at;       /* when the hall checked their requests */
    int n;
    struct sp_item items[HALL_SEAL_ITEMS_MAX];
};

size_t
hall_sealprod_chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* the holder of a 个人章: {"name","ric"} of holder_enc */
static int
sp_holder(struct hall_ctx *cx, const struct hall_dbres *res, int row, struct sp_item *it)
{
    size_t len;
    unsigned char *enc = hall_dbres_bytea(cx, res, row, hall_dbres_col(res, "holder_enc"), &len);
    char *json = enc != NULL ? hall_pii_decrypt(cx->pool, enc, len) : NULL;
    struct hall_val *h =
        json != NULL ? hall_val_parse(cx->pool, json, strlen(json), NULL, 0) : NULL;
    const struct hall_val *n = h != NULL ? hall_val_get(h, "name") : NULL;
    const struct hall_val *r = h != NULL ? hall_val_get(h, "ric") : NULL;
    const struct hall_val *m = h != NULL ? hall_val_get(h, "mobile") : NULL;

    if (n == NULL || n->type != HALL_V_STR || r == NULL || r->type != HALL_V_STR)
        return HALL_ERR;
    it->name = n->str;
    it->cn = n->str;
    it->ric = r->str;
    it->mobile = m != NULL && m->type == HALL_V_STR && strlen(m->str) == 11 ? m->str : NULL;
    return HALL_OK;
}

/* weak: only the programs that link libhallseal draw (core/biz/biz.h) */
extern unsigned char *hall_sealimg_render(struct hall_pool *pool, enum hall_seal_kind kind,
                                          const char *org, const char *name, size_t *len,
                                          struct hall_sealimg_fit *fit) __attribute__((weak));
extern unsigned char *hall_sealimg_cutout(struct hall_pool *pool, const unsigned char *img,
                                          size_t n, size_t *len, const char **err)
    __attribute__((weak));

/* the 采集表's red impression cut out (HALL_OK, *png NULL when there is
 * none to cut: no file, a PDF, no red; *why says which); HALL_ERR when
 * the file store cannot be read */
static int
bundle_cutout(struct hall_ctx *cx, int64_t order_id, const char *stored, unsigned char **png,
              size_t *len, const char **why)
{
    size_t n;
    int status;
    unsigned char *data;
    const char *mime;

    *png = NULL;
    *why = "电子签章采集表尚未上传";
    if (stored == NULL || hall_sealimg_cutout == NULL)
        return HALL_OK;
    data = hall_file_read(cx, stored, &n, &status);
    if (data == NULL && (status == 503 || status == 504)) {
        hall_err(cx, "msg=\"sealprod: seal form unreadable\" order=%lld status=%d",
                 (long long)order_id, status);
        return HALL_ERR;
    }
    mime = data != NULL ? hall_file_sniff(data, n) : NULL;
    if (data == NULL)
        *why = "电子签章采集表文件无法读取";
    else if (mime == NULL || strcmp(mime, "application/pdf") == 0)
        *why = "电子签章采集表是PDF文件，无法抠图";
    else
        *png = hall_sealimg_cutout(cx->pool, data, n, len, why);
    return HALL_OK;
}

int
hall_sealprod_bundle(struct hall_ctx *cx, int64_t order_id, const char *want, const char *actor,
                     const char **msg)
{
    struct hall_dbres *res = hall_db_exec(cx, "sp_bundle", HALL_I64(order_id)), *r;
    const char *stored, *style = "cutout", *why = "";
    unsigned char *png = NULL;
    size_t len = 0;
    int64_t item;
    struct hall_val *d;

    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        if (want == NULL)
            return HALL_OK;
        *msg = "该业务单不含电子签章";
        return HALL_CONFLICT;
    }
    item = hall_dbres_isnull(res, 0, hall_dbres_col(res, "item_id"))
               ? 0
               : hall_dbres_int(res, 0, "item_id");
    if (want == NULL && item != 0)
        return HALL_OK; /* the operator's picture, or made before */
    if (hall_dbres_bool(res, 0, "made")) {
        *msg = "该业务单的电子印章已制作，不能再更换印章图片";
        return HALL_CONFLICT;
    }
    stored = hall_dbres_isnull(res, 0, hall_dbres_col(res, "seal_form"))
                 ? NULL
                 : hall_dbres_str(res, 0, "seal_form");
    if (want == NULL || strcmp(want, "cutout") == 0) {
        if (bundle_cutout(cx, order_id, stored, &png, &len, &why) != HALL_OK)
            return HALL_ERR;
        if (png == NULL && want != NULL) {
            *msg =
                hall_psprintf(cx->pool, "无法根据电子签章采集表抠图：%s。可选择工具自动生成", why);
            return HALL_CONFLICT;
        }
    }
    if (png == NULL) {
        struct hall_sealimg_fit fit;
        /* a 机构章: the unit's name along the ring; a 个人印章: the person's
         * name in the square */
        const char *subject = hall_dbres_str(res, 0, "subject");
        int person = strcmp(hall_dbres_str(res, 0, "kind"), "person") == 0;

        if (hall_sealimg_render == NULL) {
            hall_err(cx, "msg=\"sealprod: this program does not draw seals\" order=%lld",
                     (long long)order_id);
            return HALL_ERR;
        }
        memset(&fit, 0, sizeof(fit));
        style = "auto";
        png = hall_sealimg_render(cx->pool, person ? HALL_SEAL_PERSON : HALL_SEAL_ORG,
                                  person ? "" : subject, person ? subject : "", &len, &fit);
        if (png == NULL || fit.unknown_glyphs > 0) {
            *msg = hall_psprintf(cx->pool,
                                 "不能制作证书所含的电子签章：电子签章采集表无法抠图（%s），"
                                 "%s也无法绘制成印章（超过印章可容纳的字数或含印章字库没有的字）",
                                 *why != '\0' ? why : "未选择抠图", person ? "姓名" : "机构名称");
            return HALL_CONFLICT;
        }
        if (want == NULL)
            hall_info(cx, "msg=\"sealprod: bundled seal drawn\" order=%lld why=\"%s\"",
                      (long long)order_id, why);
    }
    if (item != 0)
        r = hall_db_exec(cx, "sp_bundle_redo", HALL_I64(item), HALL_STR(style), HALL_BIN(png, len));
    else
        r = hall_db_exec(cx, "sp_bundle_item", HALL_I64(order_id),
                         HALL_I64(hall_dbres_int(res, 0, "product_id")),
                         HALL_I64(hall_dbres_int(res, 0, "years")), HALL_STR(style),
                         HALL_I64(hall_dbres_int(res, 0, "price_fen")), HALL_BIN(png, len),
                         HALL_STR(hall_dbres_str(res, 0, "kind")));
    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) != 1) {
        *msg = "该业务单的电子印章已制作，不能再更换印章图片";
        return HALL_CONFLICT;
    }
    d = hall_val_obj(cx->pool);
    hall_val_set_fmt(cx->pool, d, "order_id", "%lld", (long long)order_id);
    hall_val_set_str(cx->pool, d, "style", style);
    return hall_audit(cx, actor, "seal_item", hall_dbres_str(r, 0, "id"), "bundle", NULL, style, d);
}

int
hall_sealprod_intent(struct hall_ctx *cx, int64_t order_id, const char *ca, const char *org,
                     const char *uscc, const char *actor, const char **msg,
                     struct hall_sealprod **out)
{
    struct hall_dbres *res;
    struct hall_sealprod *sp;
    int i, n;

    *out = NULL;
    /* a 证书新办's 电子签章: its 机构章, unless the operator made its picture */
    n = hall_sealprod_bundle(cx, order_id, NULL, actor, msg);
    if (n != HALL_OK)
        return n;
    res = hall_db_exec(cx, "sp_items", HALL_I64(order_id));
    if (res == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(res);
    if (n == 0)
        return HALL_OK;
    if (n > HALL_SEAL_ITEMS_MAX)
        return HALL_ERR;
    sp = hall_pcalloc(cx->pool, sizeof(*sp));
    sp->order_id = order_id;
    sp->ca = hall_pstrdup(cx->pool, ca);
    for (i = 0; i < n; i++) {
        struct sp_item *it = &sp->items[i];
        const char *seal_name = hall_dbres_str(res, i, "seal_name");

        it->id = hall_dbres_int(res, i, "id");
        it->kind = hall_pstrdup(cx->pool, hall_dbres_str(res, i, "kind"));
        it->position = (int)hall_dbres_int(res, i, "position");
        it->years = (int)hall_dbres_int(res, i, "years");
        it->png = hall_dbres_bytea(cx, res, i, hall_dbres_col(res, "image_png"), &it->png_len);
        it->org = org;
        it->uscc = uscc;
        it->ric = "";
        it->es_id = hall_seal_es_id(cx->pool, order_id, it->kind, it->position);
        if (it->png == NULL) {
            /* 抠图 without its impression: nothing to put in the SESeal */
            *msg = "印章图片尚未制作（抠图的印模照片未上传），不能制作证书";
            return HALL_CONFLICT;
        }
        if (strcmp(it->kind, "org_person") == 0) {
            if (sp_holder(cx, res, i, it) != HALL_OK) {
                hall_err(cx, "msg=\"sealprod: holder unreadable\" order=%lld item=%lld",
                         (long long)order_id, (long long)it->id);
                return HALL_ERR;
            }
            if (it->mobile == NULL) {
                /* an order saved before 053: nowhere to send the holder's code */
                *msg = hall_psprintf(cx->pool,
                                     "机构个人章（%s）未登记持有人本人的手机号，不能制作证书："
                                     "请申请人在录入信息中补充并验证后重新提交",
                                     it->name);
                return HALL_CONFLICT;
            }
            /* its key is its holder's, born in the holder's browser: no
             * certificate now, a code to the holder's phone (step 3) */
            it->holder = 1;
        } else if (strcmp(it->kind, "org_business") == 0) {
            it->name = hall_psprintf(cx->pool, "%s%s", org, seal_name);
            /* CN at most 64 characters (certificates.subject_cn) */
            it->cn =
                hall_sealprod_chars(it->name) <= 64 ? it->name : hall_pstrdup(cx->pool, seal_name);
            /* SM2 (the CA sm2, as sql/161): its key born in the applicant's
             * browser later (sealbiz.c) */
            it->own = strcmp(ca, "sm2") != 0;
            it->holder = it->own ? 0 : 2;
        } else if (strcmp(it->kind, "person") == 0) {
            /* a 个人证书's own seal (sql/125): the person's name */
            it->name = hall_pstrdup(cx->pool, hall_dbres_str(res, i, "subject"));
        } else {
            it->name = *seal_name != '\0' ? hall_psprintf(cx->pool, "%s%s", org, seal_name) : org;
        }
        if (it->own) {
            struct hall_dbres *r;

            hall_pki_serial_draw(it->serial);
            r = hall_cert_intent(cx, it->serial, order_id, it->id, ca, it->cn, org, it->years, 0,
                                 0);
            if (r == NULL || hall_dbres_rows(r) != 1)
                return HALL_ERR;
            it->nb = (time_t)hall_dbres_int(r, 0, "not_before_epoch");
            it->na = (time_t)hall_dbres_int(r, 0, "not_after_epoch");
            if (hall_audit(cx, actor, "certificate", it->serial, "intent", NULL, "intent", NULL) !=
                HALL_OK)
                return HALL_ERR;
        }
    }
    sp->n = n;
    *out = sp;
    return HALL_OK;
}

const char *
hall_seal_es_id(struct hall_pool *pool, int64_t order_id, const char *kind, int position)
{
    return hall_psprintf(pool, "SZCA%012lld%c%02d", (long long)order_id,
                         strcmp(kind, "org") == 0            ? 'O'
                         : strcmp(kind, "org_business") == 0 ? 'B'
                                                             : 'P', /* P00: person */
                         position);
}

int
hall_sealprod_signer_ready(struct hall_ctx *cx)
{
    char err[512];

    if (hall_seseal_load(cx->conf, 1, err, sizeof(err)) != HALL_OK) {
        hall_err(cx, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* a seal's own certificate x (NULL: it was not made) as DER, the signer
 * its seal names instead of the order's; HALL_ERR when there is none */
static int
own_signer(struct hall_ctx *cx, X509 *x, unsigned char **der, size_t *len)
{
    if (x == NULL)
        return HALL_ERR;
    *der = hall_pki_der(cx->pool, x, len);
    return *der != NULL ? HALL_OK : HALL_ERR;
}

void
hall_sealprod_seal_in(struct hall_seseal_in *in, const char *es_id,
                      const unsigned char *const *certs, const size_t *lens, time_t now,
                      time_t start, time_t end)
{
    memset(in, 0, sizeof(*in));
    in->es_id = es_id;
    in->certs = certs;
    in->cert_lens = lens;
    in->ncerts = 1;
    in->created = now;
    in->valid_start = start;
    in->valid_end = end;
}

int
hall_sealprod_sign(struct hall_ctx *cx, struct hall_sealprod *sp, const char *order_serial,
                   const unsigned char *order_cert, size_t order_cert_len, time_t order_na)
{
    time_t now = time(NULL);
    int i;

    if (sp == NULL)
        return HALL_OK;
    if (hall_sealprod_signer_ready(cx) != HALL_OK)
        return HALL_ERR;
    sp->order_serial = hall_pstrdup(cx->pool, order_serial);
    for (i = 0; i < sp->n; i++) {
        struct sp_item *it = &sp->items[i];
        struct hall_seseal_in in;
        const unsigned char *certs[1];
        size_t lens[1];
        time_t na = order_na;

        if (it->holder)
            continue; /* made when its holder's request comes (sealhold.c) */
        if (it->own && it->pub != NULL)
            /* its key born on the order's medium: certified, never made
             * here (issue 64 §4: without a medium, none; own_signer fails) */
            it->x = hall_pki_cert_for(cx, sp->ca, it->serial, it->nb, it->na, HALL_PKI_PROFILE_SEAL,
                                      it->cn, it->org, it->uscc, it->ric, it->pub);
        if (it->own) {
            if (own_signer(cx, it->x, &it->cert, &it->cert_len) != HALL_OK)
                return HALL_ERR;
            certs[0] = it->cert;
            lens[0] = it->cert_len;
            na = it->na;
        } else {
            certs[0] = order_cert;
            lens[0] = order_cert_len;
        }
        it->valid_start = now;
        it->valid_end = now + (time_t)it->years * 365 * 86400;
        if (it->valid_end > na)
            it->valid_end = na;
        hall_sealprod_seal_in(&in, it->es_id, certs, lens, now, it->valid_start, it->valid_end);
        in.type = strcmp(it->kind, "org_person") == 0 || strcmp(it->kind, "person") == 0 ? 2 : 1;
        in.name = it->name;
        in.png = it->png;
        in.png_len = it->png_len;
        in.width_mm = HALL_SEAL_MM;
        in.height_mm = HALL_SEAL_MM;
        it->seal = hall_seseal_make(cx->pool, &in, &it->seal_len);
        if (it->seal == NULL) {
            hall_err(cx, "msg=\"sealprod: seseal signing failed\" order=%lld item=%lld",
                     (long long)sp->order_id, (long long)it->id);
            return HALL_ERR;
        }
    }
    return HALL_OK;
}

/* a 业务章's certificate whose key was born on the order's medium: no
 * PKCS#12, the medium named, where its key was born and the proof of
 * possession audited as for the order's certificate (core/biz/produce.c) */
static int
own_medium_store(struct hall_ctx *cx, struct hall_sealprod *sp, struct sp_item *it,
                 const char *actor)
{
    struct hall_dbres *r = hall_cert_store_medium(cx, it->serial, it->cert, it->cert_len,
                                                  sp->mserial, (int64_t)sp->pop_at);
    struct hall_val *born, *d;
    char at[32];
    struct tm tm;

    if (r == NULL || hall_dbres_rows(r) != 1)
        return HALL_ERR;
    born = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, born, "born", "medium");
    hall_val_set_str(cx->pool, born, "medium", sp->mserial);
    hall_val_set_str(cx->pool, born, "seal", it->es_id);
    hall_val_set_str(cx->pool, born, "csr_sha256", it->csr_sha256);
    if (hall_audit(cx, actor, "certificate", it->serial, "key_born", NULL, NULL, born) != HALL_OK)
        return HALL_ERR;
    gmtime_r(&sp->pop_at, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "key_origin", "medium");
    hall_val_set_str(cx->pool, d, "medium", sp->mserial);
    hall_val_set_str(cx->pool, d, "pop", "checked");
    hall_val_set_str(cx->pool, d, "pop_checked_at", hall_pstrdup(cx->pool, at));
    hall_val_set_str(cx->pool, d, "csr_sha256", it->csr_sha256);
    return hall_audit(cx, actor, "certificate", it->serial, "issue", "intent", "issued", d);
}

int
hall_sealprod_keys(const struct hall_sealprod *sp, const char **cns, const char **labels, int max)
{
    int i, n = 0;

    for (i = 0; sp != NULL && i < sp->n; i++)
        if (sp->items[i].own) {
            if (n == max)
                return -1;
            cns[n] = sp->items[i].cn;
            labels[n++] = sp->items[i].es_id;
        }
    return n;
}

int
hall_sealprod_keys_born(struct hall_sealprod *sp, const char *mserial, time_t pop_at,
                        EVP_PKEY **pubs, const char **sha256s)
{
    int i, n = 0;

    sp->mserial = mserial;
    sp->pop_at = pop_at;
    for (i = 0; i < sp->n; i++)
        if (sp->items[i].own) {
            sp->items[i].pub = pubs[n]; /* hall_sealprod_free frees it */
            sp->items[i].csr_sha256 = sha256s[n++];
        }
    return n;
}

int
hall_sealprod_certs(const struct hall_sealprod *sp, const unsigned char **ders, size_t *lens)
{
    int i, n = 0;

    for (i = 0; sp != NULL && i < sp->n; i++)
        if (sp->items[i].own) {
            ders[n] = sp->items[i].cert;
            lens[n++] = sp->items[i].cert_len;
        }
    return n;
}

int
hall_sealprod_void(struct hall_ctx *cx, const struct hall_sealprod *sp, const char *actor)
{
    int i;

    for (i = 0; sp != NULL && i < sp->n; i++)
        if (sp->items[i].own && hall_cert_void(cx, sp->items[i].serial, actor) != HALL_OK)
            return HALL_ERR;
    return HALL_OK;
}

int
hall_sealprod_store(struct hall_ctx *cx, struct hall_sealprod *sp, const char *actor)
{
    int i;

    if (sp == NULL)
        return HALL_OK;
    for (i = 0; i < sp->n; i++) {
        struct sp_item *it = &sp->items[i];
        const char *serial = it->own ? it->serial : sp->order_serial;
        struct hall_val *d = hall_val_obj(cx->pool);

        if (it->holder) {
            /* no certificate, no seal yet: the holder's code (sealhold.c) */
            if (it->holder == 1 && hall_sealhold_send(cx, it->id, it->es_id, it->mobile, it->name,
                                                      it->org, actor) != HALL_OK)
                return HALL_ERR;
            continue;
        }
        if (it->own && it->pub != NULL && own_medium_store(cx, sp, it, actor) != HALL_OK)
            return HALL_ERR;
        if (hall_db_exec(cx, "sp_seseal_store", HALL_STR(it->es_id), HALL_I64(it->id),
                         HALL_I64(sp->order_id), HALL_STR(serial), HALL_BIN(it->seal, it->seal_len),
                         HALL_I64(it->valid_start), HALL_I64(it->valid_end)) == NULL)
            return HALL_ERR;
        hall_val_set_str(cx->pool, d, "cert_serial", serial);
        hall_val_set_fmt(cx->pool, d, "order_id", "%lld", (long long)sp->order_id);
        if (hall_audit(cx, actor, "seseal", it->es_id, "make", NULL, "valid", d) != HALL_OK)
            return HALL_ERR;
    }
    return HALL_OK;
}

void
hall_sealprod_free(struct hall_sealprod *sp)
{
    int i;

    if (sp == NULL)
        return;
    for (i = 0; i < sp->n; i++) {
        X509_free(sp->items[i].x);
        EVP_PKEY_free(sp->items[i].pub);
        sp->items[i].x = NULL;
        sp->items[i].pub = NULL;
    }
}

/* ---- a 机构个人章's key: the holder's code (core/biz/sealhold.c) ---------- */

int
hall_seal_key_code_mac(const char *es_id, const char *code, unsigned char out[32])
{
    char msg[64];
    size_t i, n = code != NULL ? strlen(code) : 0, e = strlen(es_id);

    if (n != HALL_HOLDER_CODE_LEN || e > 32)
        return HALL_ERR;
    memcpy(msg, es_id, e);
    msg[e] = ':';
    for (i = 0; i < n; i++)
        msg[e + 1 + i] = (char)toupper((unsigned char)code[i]);
    hall_mac("seal-holder-key", msg, e + 1 + n, out);
    return HALL_OK;
}

int
hall_sealhold_send(struct hall_ctx *cx, int64_t item_id, const char *es_id, const char *mobile,
                   const char *name, const char *org, const char *actor)
{
    char code[HALL_HOLDER_CODE_LEN + 1];
    unsigned char mac[32];
    struct hall_dbres *r;
    struct hall_val *d;
    int q;

    hall_holder_code_make(code);
    if (hall_seal_key_code_mac(es_id, code, mac) != HALL_OK)
        return HALL_ERR;
    r = hall_db_exec(cx, "sh_code_store", HALL_I64(item_id), HALL_BIN(mac, 32));
    if (r == NULL || hall_dbres_rows(r) != 1)
        return HALL_ERR;
    q = hall_sms_queue(cx, hall_psprintf(cx->pool, "sms-seal-key-%s", es_id), mobile, NULL,
                       HALL_SMST_holder_key, "name", name, "org", org, "es_id", es_id, "code", code,
                       "url", hall_psprintf(cx->pool, "%s/seal/holder", cx->conf->public_url),
                       NULL);
    OPENSSL_cleanse(code, sizeof(code));
    if (q != HALL_OK)
        return HALL_ERR;
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "es_id", es_id);
    return hall_audit(cx, actor, "seal_item", hall_psprintf(cx->pool, "%lld", (long long)item_id),
                      "key_code", NULL, "waiting", d);
}

/* ---- the register's other writes (modules/seal, modules/pki) ---------------- */

int
hall_seal_item_put(struct hall_ctx *cx, int64_t order_id, const char *kind, int position,
                   int64_t product_id, int years, const char *style, const char *name,
                   struct hall_dbparam holder_enc, int64_t price_fen, struct hall_dbparam png,
                   struct hall_dbparam phone_idx)
{
    return hall_db_exec(cx, "seal_item_upsert", HALL_I64(order_id), HALL_STR(kind),
                        HALL_I64(position), HALL_I64(product_id), HALL_I64(years), HALL_STR(style),
                        HALL_STR(name), holder_enc, HALL_I64(price_fen), png, phone_idx) != NULL
               ? HALL_OK
               : HALL_ERR;
}

int
hall_seal_items_prune(struct hall_ctx *cx, int64_t order_id, const char *keep)
{
    return hall_db_exec(cx, "seal_items_prune", HALL_I64(order_id), HALL_STR(keep)) != NULL
               ? HALL_OK
               : HALL_ERR;
}

int
hall_seal_item_image(struct hall_ctx *cx, int64_t id, const unsigned char *png, size_t len)
{
    return hall_db_exec(cx, "seal_item_image", HALL_I64(id), HALL_BIN(png, len)) != NULL ? HALL_OK
                                                                                         : HALL_ERR;
}

int
hall_seal_item_confirm(struct hall_ctx *cx, int64_t id)
{
    struct hall_dbres *res = hall_db_exec(cx, "seal_item_confirm", HALL_I64(id));

    if (res == NULL)
        return HALL_ERR;
    return hall_dbres_rows(res) == 0 ? HALL_CONFLICT : HALL_OK;
}

struct hall_dbres *
hall_seseal_revoke(struct hall_ctx *cx, const char *es_id, const char *reason, const char *actor,
                   const char *cert_serial)
{
    if (cert_serial != NULL)
        return hall_db_exec(cx, "revoke_seal_of", HALL_STR(es_id), HALL_STR(reason),
                            HALL_STR(actor), HALL_STR(cert_serial));
    return hall_db_exec(cx, "seal_admin_revoke", HALL_STR(es_id), HALL_STR(reason),
                        HALL_STR(actor));
}
