/*
 * The re-make (docs/modules/seal.md, "When the signer's certificate is
 * replaced"; core/biz/sealprod.h): when a certificate that signs seals is
 * replaced (补办, 更新, 变更, 解锁), every valid seal listing it is made
 * again on the new one, in the three steps of the production that makes
 * it (core/biz/produce.c, core/biz/medium_renew.c); after a 变更 of the
 * unit's name, each 机构业务章 with a certificate of its own gets a new
 * certificate naming the new unit.  Its statements are sealprod.c's
 * (sp_remake_*, sp_rename_biz, sp_seseal_store: hall_sealprod_stmts), as
 * seal_items and seseals are that file's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "biz/biz.h"
#include "biz/sealprod_int.h"

#define SUPERSEDED 4 /* RFC 5280 CRLReason */

/* weak: only the programs that link libhallseal draw (core/biz/sealprod.h) */
extern unsigned char *hall_sealimg_render(struct hall_pool *pool, enum hall_seal_kind kind,
                                          const char *org, const char *name, size_t *len,
                                          struct hall_sealimg_fit *fit) __attribute__((weak));

struct sr_item {
    int64_t item_id, order_id;
    const char *old_es, *es_id;
    const char *kind, *style, *seal_name; /* its seal_items row */
    unsigned char *old_der, *seal;
    size_t old_len, seal_len;
    time_t old_end, valid_start, valid_end;
    int skip; /* nothing to make (the old seal's time is over) */
    /* a 业务章 renamed after a 变更: a new certificate of its own replaces
     * old_cert (revoked as superseded when the new one is stored), for a
     * key born on the medium the change is produced onto (pub, and the
     * request the medium signed with it), never in the hall */
    int own;
    const char *old_cert, *ca, *cn, *revoked_ca;
    char serial[17];
    time_t nb, na;
    X509 *x;
    EVP_PKEY *pub;
    const char *csr_sha256;
    unsigned char *cert;
    size_t cert_len;
};

struct hall_sealremake {
    const char *old_serial, *new_serial;
    const char *org;     /* after a 变更: the new organisation name, else NULL */
    const char *uscc;    /* and its 统一社会信用代码 (a renamed 业务章's subject) */
    int64_t order_id;    /* the replacing order (a renamed 业务章's certificate's) */
    const char *mserial; /* the medium the renamed 业务章' keys were born on */
    time_t pop_at;       /* when the hall checked their requests */
    int n;
    struct sr_item *items;
};

/* the seal's row of sp_remake_of / sp_rename_biz */
static int
remake_item(struct hall_ctx *cx, struct hall_dbres *res, int i, struct sr_item *it)
{
    const char *es = hall_dbres_str(res, i, "es_id");

    it->item_id = hall_dbres_int(res, i, "item_id");
    it->order_id = hall_dbres_int(res, i, "order_id");
    it->old_es = hall_pstrdup(cx->pool, es);
    it->kind = hall_pstrdup(cx->pool, hall_dbres_str(res, i, "kind"));
    it->style = hall_pstrdup(cx->pool, hall_dbres_str(res, i, "style"));
    it->seal_name = hall_pstrdup(cx->pool, hall_dbres_str(res, i, "seal_name"));
    it->old_end = (time_t)hall_dbres_int(res, i, "valid_end_epoch");
    it->old_der = hall_dbres_bytea(cx, res, i, hall_dbres_col(res, "der"), &it->old_len);
    if (it->old_der == NULL || strlen(es) < 19)
        return HALL_ERR;
    /* the seal's own code (SZCA + order + kind + position), then R and
     * how many seals this seal_items row has had: R01 the first re-make */
    it->es_id =
        hall_psprintf(cx->pool, "%.19sR%02lld", es, (long long)hall_dbres_int(res, i, "made"));
    return HALL_OK;
}

/*
 * A 业务章 of the renamed unit: the intent of its new certificate, the
 * subject as production makes it (hall_sealprod_intent: CN 机构名称 +
 * 印章名称, O the new name, the USCC), its old certificate's CA (the same
 * key type) and end.
 */
static int
rename_intent(struct hall_ctx *cx, struct hall_sealremake *rm, struct hall_dbres *res, int row,
              struct sr_item *it, const char *actor)
{
    struct hall_dbres *r;
    const char *name = hall_psprintf(cx->pool, "%s%s", rm->org, it->seal_name);

    it->own = 1;
    it->old_cert = hall_pstrdup(cx->pool, hall_dbres_str(res, row, "own_serial"));
    it->ca = hall_pstrdup(cx->pool, hall_dbres_str(res, row, "own_ca"));
    it->cn = hall_sealprod_chars(name) <= 64 ? name : it->seal_name;
    hall_pki_serial_draw(it->serial);
    r = hall_cert_intent(cx, it->serial, rm->order_id, it->item_id, it->ca, it->cn, rm->org, 0,
                         hall_dbres_int(res, row, "own_not_after_epoch"), 0);
    if (r == NULL || hall_dbres_rows(r) != 1) {
        hall_err(cx, "msg=\"sealprod: renamed seal's certificate intent failed\" es_id=%s",
                 it->old_es);
        return HALL_ERR;
    }
    it->nb = (time_t)hall_dbres_int(r, 0, "not_before_epoch");
    it->na = (time_t)hall_dbres_int(r, 0, "not_after_epoch");
    return hall_audit(cx, actor, "certificate", it->serial, "intent", NULL, "intent", NULL);
}

int
hall_sealprod_remake_intent(struct hall_ctx *cx, const char *old_serial,
                            const struct hall_sealrename *rn, struct hall_sealremake **out)
{
    struct hall_dbres *res, *biz = NULL;
    struct hall_sealremake *rm;
    int i, n, nb = 0;

    *out = NULL;
    if (old_serial == NULL || *old_serial == '\0')
        return HALL_OK;
    res = hall_db_exec(cx, "sp_remake_of", HALL_STR(old_serial));
    if (res == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(res);
    if (rn != NULL && !rn->no_own && rn->org != NULL && *rn->org != '\0') {
        biz = hall_db_exec(cx, "sp_rename_biz", HALL_STR(old_serial), HALL_STR(rn->org));
        if (biz == NULL)
            return HALL_ERR;
        nb = hall_dbres_rows(biz);
    }
    if (n + nb == 0)
        return HALL_OK;
    rm = hall_pcalloc(cx->pool, sizeof(*rm));
    rm->old_serial = hall_pstrdup(cx->pool, old_serial);
    if (rn != NULL && rn->org != NULL && *rn->org != '\0') {
        rm->org = hall_pstrdup(cx->pool, rn->org);
        rm->uscc = hall_pstrdup(cx->pool, rn->uscc != NULL ? rn->uscc : "");
        rm->order_id = rn->order_id;
    }
    rm->items = hall_pcalloc(cx->pool, sizeof(*rm->items) * (size_t)(n + nb));
    *out = rm; /* from here, hall_sealprod_remake_free frees what it holds */
    for (i = 0; i < n; i++) {
        if (remake_item(cx, res, i, &rm->items[i]) != HALL_OK)
            return HALL_ERR;
        rm->n++;
    }
    for (i = 0; i < nb; i++) {
        struct sr_item *it = &rm->items[n + i];

        if (remake_item(cx, biz, i, it) != HALL_OK ||
            rename_intent(cx, rm, biz, i, it, rn->actor) != HALL_OK)
            return HALL_ERR;
        rm->n++;
    }
    return HALL_OK;
}

/*
 * After a 变更 of the organisation: a 机构章's or 业务章's name as production
 * makes it (hall_sealprod_intent), from the new name.  A 个人章 is its
 * holder's name: unchanged.  A picture the hall drew (style 'auto', 工具自动
 * 生成: the name along the arc) is drawn again as at the application
 * (modules/seal: the kind, the new name, the 印章名称 below the star), so
 * that the stamp shows the unit's new name; a cut-out of the applicant's
 * own impression (style 'cutout') is the applicant's: kept as it is.
 * HALL_ERR when the new name cannot be drawn (a program without the
 * drawing, a name too long, no CJK font): no seal rather than one whose
 * picture shows the old name.
 */
static int
remake_renamed(struct hall_ctx *cx, const char *org, const struct sr_item *it,
               struct hall_seseal_in *in)
{
    struct hall_sealimg_fit fit;
    int org_kind = strcmp(it->kind, "org") == 0;

    if (!org_kind && strcmp(it->kind, "org_business") != 0)
        return HALL_OK;
    in->name = *it->seal_name != '\0' ? hall_psprintf(cx->pool, "%s%s", org, it->seal_name)
                                      : hall_pstrdup(cx->pool, org);
    if (strcmp(it->style, "auto") != 0)
        return HALL_OK;
    if (hall_sealimg_render == NULL) {
        hall_err(cx, "msg=\"sealprod: this program does not draw seals\" es_id=%s", it->old_es);
        return HALL_ERR;
    }
    memset(&fit, 0, sizeof(fit));
    in->png = hall_sealimg_render(cx->pool, org_kind ? HALL_SEAL_ORG : HALL_SEAL_BUSINESS, org,
                                  it->seal_name, &in->png_len, &fit);
    if (in->png == NULL || fit.unknown_glyphs > 0) {
        hall_err(cx, "msg=\"sealprod: the new name cannot be drawn\" es_id=%s unknown_glyphs=%d",
                 it->old_es, fit.unknown_glyphs);
        return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_sealprod_remake_sign(struct hall_ctx *cx, struct hall_sealremake *rm, const char *new_serial,
                          const unsigned char *cert, size_t cert_len, time_t cert_na)
{
    time_t now = time(NULL);
    int i;

    if (rm == NULL)
        return HALL_OK;
    if (hall_sealprod_signer_ready(cx) != HALL_OK)
        return HALL_ERR;
    rm->new_serial = hall_pstrdup(cx->pool, new_serial);
    for (i = 0; i < rm->n; i++) {
        struct sr_item *it = &rm->items[i];
        struct hall_seseal_info info;
        struct hall_seseal_in in;
        const unsigned char *certs[1] = {cert};
        size_t lens[1] = {cert_len};
        time_t na = cert_na;
        const char *why;

        /* the same name, kind and picture as the seal it replaces: read
         * from that seal itself */
        if (hall_seseal_verify(cx->pool, it->old_der, it->old_len, NULL, 0, &info, &why) !=
            HALL_OK) {
            hall_err(cx, "msg=\"sealprod: stored seal unreadable\" es_id=%s", it->old_es);
            return HALL_ERR;
        }
        if (it->own) {
            /* a renamed 业务章: its new certificate first, signing its seal,
             * for the key the medium made (no key is made here) */
            if (it->pub == NULL) {
                hall_err(cx, "msg=\"sealprod: renamed seal's key not born\" es_id=%s", it->old_es);
                return HALL_ERR;
            }
            it->x = hall_pki_cert_for(cx, it->ca, it->serial, it->nb, it->na, HALL_PKI_PROFILE_SEAL,
                                      it->cn, rm->org, rm->uscc, "", it->pub);
            it->cert = it->x != NULL ? hall_pki_der(cx->pool, it->x, &it->cert_len) : NULL;
            if (it->cert == NULL)
                return HALL_ERR;
            certs[0] = it->cert;
            lens[0] = it->cert_len;
            na = it->na;
        }
        it->valid_start = now;
        it->valid_end = it->old_end < na ? it->old_end : na;
        if (it->valid_end <= now) {
            it->skip = 1;
            continue;
        }
        hall_sealprod_seal_in(&in, it->es_id, certs, lens, now, it->valid_start, it->valid_end);
        in.type = info.type;
        in.name = info.name;
        in.png = info.png;
        in.png_len = info.png_len;
        if (rm->org != NULL && remake_renamed(cx, rm->org, it, &in) != HALL_OK)
            return HALL_ERR;
        in.width_mm = info.width_mm;
        in.height_mm = info.height_mm;
        it->seal = hall_seseal_make(cx->pool, &in, &it->seal_len);
        if (it->seal == NULL) {
            hall_err(cx, "msg=\"sealprod: re-make signing failed\" es_id=%s", it->old_es);
            return HALL_ERR;
        }
    }
    return HALL_OK;
}

/* a renamed 业务章's new certificate stored with the medium its key was
 * born on (no PKCS#12: the key never left it), where and the proof of
 * possession audited as production's (core/biz/sealprod.c's
 * own_medium_store), the old one revoked as superseded (OCSP at once:
 * hall_pki_revoke's hold).  The old certificate revoked meanwhile (its
 * holder, staff): HALL_ERR, nothing of this production stays, and the next
 * one leaves the seal out */
static int
rename_store(struct hall_ctx *cx, const struct hall_sealremake *rm, struct sr_item *it,
             const char *actor)
{
    struct hall_dbres *r;
    struct hall_val *born, *d;
    char at[32];
    struct tm tm;

    if (hall_revoke_cert(cx, it->old_cert, SUPERSEDED, actor, &it->revoked_ca) != HALL_OK) {
        hall_err(cx, "msg=\"sealprod: renamed seal's old certificate not revocable\" serial=%s",
                 it->old_cert);
        return HALL_ERR;
    }
    r = hall_cert_store_medium(cx, it->serial, it->cert, it->cert_len, rm->mserial,
                               (int64_t)rm->pop_at);
    if (r == NULL || hall_dbres_rows(r) != 1)
        return HALL_ERR;
    born = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, born, "born", "medium");
    hall_val_set_str(cx->pool, born, "medium", rm->mserial);
    hall_val_set_str(cx->pool, born, "seal", it->es_id);
    hall_val_set_str(cx->pool, born, "csr_sha256", it->csr_sha256);
    if (hall_audit(cx, actor, "certificate", it->serial, "key_born", NULL, NULL, born) != HALL_OK)
        return HALL_ERR;
    gmtime_r(&rm->pop_at, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "supersedes", it->old_cert);
    hall_val_set_str(cx->pool, d, "seal", it->old_es);
    hall_val_set_str(cx->pool, d, "key_origin", "medium");
    hall_val_set_str(cx->pool, d, "medium", rm->mserial);
    hall_val_set_str(cx->pool, d, "pop", "checked");
    hall_val_set_str(cx->pool, d, "pop_checked_at", hall_pstrdup(cx->pool, at));
    hall_val_set_str(cx->pool, d, "csr_sha256", it->csr_sha256);
    return hall_audit(cx, actor, "certificate", it->serial, "issue", "intent", "issued", d);
}

int
hall_sealprod_remake_store(struct hall_ctx *cx, struct hall_sealremake *rm, const char *pin,
                           const char *actor, int *made, int *renamed)
{
    int i;

    (void)pin; /* no medium made here carries the order's PIN */
    *made = 0;
    *renamed = 0;
    if (rm == NULL)
        return HALL_OK;
    for (i = 0; i < rm->n; i++) {
        struct sr_item *it = &rm->items[i];
        const char *signer = it->own ? it->serial : rm->new_serial;
        struct hall_val *d;
        struct hall_dbres *r;

        if (!it->skip) {
            r = hall_db_exec(cx, "sp_remake_retire", HALL_STR(it->old_es), HALL_STR(it->es_id),
                             HALL_STR(it->own ? it->old_cert : rm->old_serial));
            if (r == NULL)
                return HALL_ERR;
            if (hall_dbres_rows(r) == 0)
                it->skip = 1; /* revoked by an operator meanwhile: it stays so */
        }
        if (it->skip) {
            if (it->own && hall_cert_void(cx, it->serial, actor) != HALL_OK)
                return HALL_ERR;
            continue;
        }
        if (it->own && rename_store(cx, rm, it, actor) != HALL_OK)
            return HALL_ERR;
        if (hall_db_exec(cx, "sp_seseal_store", HALL_STR(it->es_id), HALL_I64(it->item_id),
                         HALL_I64(it->order_id), HALL_STR(signer), HALL_BIN(it->seal, it->seal_len),
                         HALL_I64(it->valid_start), HALL_I64(it->valid_end)) == NULL)
            return HALL_ERR;
        d = hall_val_obj(cx->pool);
        hall_val_set_str(cx->pool, d, "replaced_by", it->es_id);
        hall_val_set_str(cx->pool, d, "cert_serial", it->own ? it->old_cert : rm->old_serial);
        hall_val_set_str(cx->pool, d, "new_cert_serial", signer);
        if (hall_audit(cx, actor, "seseal", it->old_es, "replace", "valid", "replaced", d) !=
            HALL_OK)
            return HALL_ERR;
        d = hall_val_obj(cx->pool);
        hall_val_set_str(cx->pool, d, "cert_serial", signer);
        hall_val_set_fmt(cx->pool, d, "order_id", "%lld", (long long)it->order_id);
        hall_val_set_str(cx->pool, d, "replaces", it->old_es);
        if (hall_audit(cx, actor, "seseal", it->es_id, "make", NULL, "valid", d) != HALL_OK)
            return HALL_ERR;
        if (it->own)
            (*renamed)++;
        else
            (*made)++;
    }
    return HALL_OK;
}

void
hall_sealprod_remake_crls(struct hall_ctx *cx, struct hall_sealremake *rm, const char *done)
{
    int i, j;

    for (i = 0; rm != NULL && i < rm->n; i++) {
        const char *ca = rm->items[i].revoked_ca;

        if (ca == NULL || (done != NULL && strcmp(ca, done) == 0))
            continue;
        for (j = 0; j < i; j++)
            if (rm->items[j].revoked_ca != NULL && strcmp(rm->items[j].revoked_ca, ca) == 0)
                break;
        if (j < i)
            continue;
        /* as after any revocation; the outbox's pki tick retries */
        if (hall_pki_crl_refresh(cx, ca, 1) != HALL_OK)
            hall_warn(cx, "msg=\"crl refresh after a renamed seal failed\" ca=%s", ca);
    }
}

void
hall_sealprod_remake_free(struct hall_sealremake *rm)
{
    int i;

    for (i = 0; rm != NULL && i < rm->n; i++) {
        X509_free(rm->items[i].x);
        EVP_PKEY_free(rm->items[i].pub);
        rm->items[i].x = NULL;
        rm->items[i].pub = NULL;
    }
}

/* ---- the renamed 业务章' keys, born on the production's medium ----------- */

int
hall_sealprod_remake_keys(const struct hall_sealremake *rm, const char **cns, const char **labels,
                          int max)
{
    int i, n = 0;

    for (i = 0; rm != NULL && i < rm->n; i++)
        if (rm->items[i].own) {
            if (n == max)
                return -1;
            cns[n] = rm->items[i].cn;
            labels[n++] = rm->items[i].es_id;
        }
    return n;
}

int
hall_sealprod_remake_keys_born(struct hall_sealremake *rm, const char *mserial, time_t pop_at,
                               EVP_PKEY **pubs, const char **sha256s)
{
    int i, n = 0;

    if (rm == NULL)
        return 0;
    rm->mserial = mserial;
    rm->pop_at = pop_at;
    for (i = 0; i < rm->n; i++)
        if (rm->items[i].own) {
            rm->items[i].pub = pubs[n]; /* hall_sealprod_remake_free frees it */
            rm->items[i].csr_sha256 = sha256s[n++];
        }
    return n;
}

int
hall_sealprod_remake_certs(const struct hall_sealremake *rm, const unsigned char **ders,
                           size_t *lens)
{
    int i, n = 0;

    for (i = 0; rm != NULL && i < rm->n; i++)
        if (rm->items[i].own) {
            ders[n] = rm->items[i].cert;
            lens[n++] = rm->items[i].cert_len;
        }
    return n;
}

int
hall_sealprod_remake_void(struct hall_ctx *cx, const struct hall_sealremake *rm, const char *actor)
{
    int i;

    for (i = 0; rm != NULL && i < rm->n; i++)
        if (rm->items[i].own && hall_cert_void(cx, rm->items[i].serial, actor) != HALL_OK)
            return HALL_ERR;
    return HALL_OK;
}
