/*
 * Production: an accepted order's certificate made (docs/internals/pki.md,
 * "Issuance").  The CA (core/pki) signs and returns; this file is what the
 * order becomes with it.
 *
 * Write-intent: the serial, the order, the subject and the validity are
 * committed ('intent') before anything is signed; the signed certificate,
 * the medium and the order's move to 'issued' are one later transaction.
 * An issuer that dies in between leaves an intent that hall_pki_reconcile
 * turns 'void' (the serial is burnt and listed revoked: a certificate with
 * it may exist) and the order stays 'accepted' for a new serial.  The
 * partial unique index certificates_live_order makes a second live
 * certificate for one order impossible, whatever runs concurrently.  A seal
 * order's seals, and the seals a replaced certificate signed, are made in
 * the same three steps (core/biz/sealprod.c).
 *
 * Onto a medium (hall_produce_onto "pkcs11", an ECC certificate): the
 * intent also records the medium (media: its serial and SO PIN, encrypted)
 * before the medium is touched; then the medium is initialised and its key
 * born there, the hall checks the request the medium signed, signs the
 * certificate for that key and writes it back with its chain; the store
 * keeps no PKCS#12.  A medium that fails on the way is wiped (C_InitToken
 * again) and named, and its intent voided: nothing is issued
 * (docs/internals/pki.md, "Production onto a medium").
 *
 * No subscriber key is made here (issue 64 §4): a file (PKCS#12) is
 * refused for every order, one with seals too (a seal order's 机构业务章
 * keys are born on its medium, core/biz/sealprod.c); a key born with its
 * holder is core/biz/produce_csr.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "biz/biz.h"

const struct hall_stmt hall_produce_stmts[] = {
    {"pki_order_lock",
     "SELECT o.status, o.business_type, o.cert_type, o.years, o.form_enc, pr.ca, o.subject,"
     /* where its key is born: a browser-made certificate's flows stay in
      * the browser (sql/160) */
     " order_key_origin(o.id) AS key_origin, o.user_id, o.seal,"
     " (SELECT method FROM payments WHERE order_id = o.id AND status = 'paid'"
     "  ORDER BY paid_at DESC LIMIT 1) AS method,"
     /* the certificate a replacing order replaces (core/flow/replace.c,
      * sql/058): its subject, CA, end, state and owner */
     " old.subject_cn, old.subject_org, coalesce(o.reissue_of, '') AS replaces,"
     " coalesce(cert_org_code(old.der), '') AS old_uscc, old.ca AS old_ca,"
     " coalesce(extract(epoch FROM old.not_after)::bigint, 0) AS old_not_after_epoch,"
     " coalesce(old.state = 'issued' AND old.not_after > now(), false) AS old_valid,"
     " coalesce(co.user_id = o.user_id, false) AS old_own"
     " FROM orders o JOIN products pr ON pr.id = o.product_id"
     " LEFT JOIN certificates old ON old.serial = o.reissue_of"
     " LEFT JOIN orders co ON co.id = old.order_id WHERE o.id = $1 FOR UPDATE OF o",
     1},
    {"pki_live_cert",
     "SELECT serial, state FROM certificates WHERE order_id = $1 AND state IN ('intent', 'issued')"
     " AND seal_item_id IS NULL",
     1},
    /* queued: a 介质遗失补办's deposit of after the approval may go out after
     * the certificate is made (modules/admin); its memo carries this PIN */
    {"pki_memo_pin",
     "SELECT pin_enc FROM finauth_attempts WHERE order_id = $1 AND memo_kind = 'pin'"
     " AND pin_enc IS NOT NULL AND result IN ('verified', 'sent', 'queued')"
     " ORDER BY result = 'verified' DESC, id DESC LIMIT 1",
     1},
    /* the media (sql/145): recorded before one is touched, with its SO PIN */
    {"medium_intent",
     "INSERT INTO media (serial, order_id, so_pin_enc, made_by) VALUES ($1, $2, $3, $4)"
     " ON CONFLICT DO NOTHING RETURNING serial",
     4},
    {"medium_issued",
     "UPDATE media SET state = 'issued', cert_serial = $2, token_serial = $3, model = $4,"
     " csr_sha256 = $5, updated_at = now() WHERE serial = $1 AND state = 'initialising'"
     " RETURNING serial",
     5},
    /* $2: wiped (C_InitToken again), void (never touched), spoilt (could not be wiped) */
    {"medium_failed",
     "UPDATE media SET state = $2, why = $3, token_serial = $4, model = $5, updated_at = now()"
     " WHERE serial = $1 AND state = 'initialising'",
     5},
    /* media left half-made (medium_reconcile.c) */
    {"media_stale",
     "SELECT serial, order_id, so_pin_enc FROM media WHERE state = 'initialising'"
     " AND updated_at < now() - make_interval(secs => $1) ORDER BY created_at, serial"
     " LIMIT 1 FOR UPDATE SKIP LOCKED",
     1},
    /* the order's certificates (its own, its seals') signed or not: void */
    {"media_stale_intents",
     "SELECT serial, ca FROM certificates WHERE order_id = $1 AND state = 'intent'"
     " ORDER BY serial FOR UPDATE",
     1},
    {"media_stale_end",
     "UPDATE media SET state = $2, why = $3, updated_at = now()"
     " WHERE serial = $1 AND state = 'initialising'",
     3},
    /* 制作证书's page: the ones reconciled in the last 30 days */
    {"media_halfmade",
     "SELECT m.serial, o.order_no, m.state,"
     " to_char(m.updated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS at"
     " FROM media m JOIN orders o ON o.id = m.order_id WHERE m.why LIKE 'reconciled:%'"
     " AND m.updated_at > now() - interval '30 days' ORDER BY m.updated_at DESC LIMIT 50",
     0},
    {NULL, NULL, 0},
};

/* the subject of an order's certificate, from its form */
struct subject {
    const char *cn, *org, *uscc, *ric;
};

static void
subject_of(const char *cert_type, const struct hall_val *form, const char *fallback,
           struct subject *s)
{
    memset(s, 0, sizeof(*s));
    s->org = "";
    s->uscc = "";
    s->ric = "";
    if (strcmp(cert_type, "org") == 0 || strcmp(cert_type, "org_business") == 0) {
        s->cn = hall_val_str(form, "org_name");
        s->org = s->cn;
        s->uscc = hall_val_str(form, "org_id");
    } else {
        s->cn = hall_val_str(form, "app_name");
        if (*s->cn == '\0')
            s->cn = hall_val_str(form, "agent_name");
        s->ric = hall_val_str(form, "app_ric");
        if (*s->ric == '\0')
            s->ric = hall_val_str(form, "agent_ric");
        if (strcmp(cert_type, "org_person") == 0) {
            s->org = hall_val_str(form, "org_name");
            s->uscc = hall_val_str(form, "org_id");
        }
    }
    if (*s->cn == '\0')
        s->cn = fallback;
}

/* the issuing CA called name, NULL when this process has none of that name */
static const char *
ca_known(const char *name)
{
    const char *n, *alg, *pem;
    int i;

    for (i = 0; name != NULL && i < hall_pki_ca_count(); i++)
        if (hall_pki_ca_info(i, &n, &alg, &pem) == HALL_OK && strcmp(n, name) == 0)
            return n;
    return NULL;
}

const char *
hall_pin_phone(const char *cert_type, const struct hall_val *form)
{
    const char *p;

    if (form == NULL)
        return "";
    /* seeds 000/002: 机构证书 -> the agent, 机构个人/个人证书 -> the applicant */
    if (strcmp(cert_type, "org") == 0 || strcmp(cert_type, "org_business") == 0)
        return hall_val_str(form, "agent_mobile");
    p = hall_val_str(form, "app_mobile");
    return *p != '\0' ? p : hall_val_str(form, "agent_mobile");
}

#define SUPERSEDED 4 /* RFC 5280 CRLReason */

/* a replacing order (sql/058, core/flow/replace.c): the new certificate's
 * subject and validity from the one it replaces (res: pki_order_lock's
 * row).  *from, *until: the start and end (0: now, the start + the years);
 * *supersede: the old one is to be revoked as superseded when the new one
 * is stored.  HALL_CONFLICT with *msg when it cannot be made. */
static int
replacing(struct hall_ctx *cx, struct hall_dbres *res, const char *business, struct subject *s,
          int64_t *from, int64_t *until, int *supersede, const char **msg)
{
    int64_t end = hall_dbres_int(res, 0, "old_not_after_epoch");
    int valid = hall_dbres_bool(res, 0, "old_valid");
    const char *uscc = hall_dbres_str(res, 0, "old_uscc");

    if (!hall_dbres_bool(res, 0, "old_own")) {
        *msg = "原证书不属于该申请人，不能制作";
        return HALL_CONFLICT;
    }
    if (strcmp(business, "change") != 0) {
        /* reissue, renew, unlock: the same subject */
        s->cn = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "subject_cn"));
        s->org = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "subject_org"));
        if (uscc != NULL && *uscc != '\0')
            s->uscc = hall_pstrdup(cx->pool, uscc);
    }
    /* change: the subject of the order's form (subject_of), the new data */
    if (strcmp(business, "reissue") == 0) {
        /* revoked when staff approved (core/flow/reissue_review.c) */
        *until = end;
        return HALL_OK;
    }
    if (!valid && (end > (int64_t)time(NULL) || strcmp(business, "renew") != 0)) {
        /* revoked since the order was made, or (change, unlock) ended */
        *msg = end > (int64_t)time(NULL) ? "原证书已吊销，不能制作新证书"
                                         : "原证书已过期，没有剩余有效期可承接，不能制作新证书";
        return HALL_CONFLICT;
    }
    if (strcmp(business, "renew") == 0) {
        /* no paid day lost: from the old end when renewed before it, else now;
         * the old one stays valid until it ends */
        *from = valid ? end : 0;
        *until = 0;
        return HALL_OK;
    }
    /* change, unlock: the old one's remaining validity; the old one revoked
     * as superseded in the transaction that stores the new one */
    *until = end;
    *supersede = 1;
    return HALL_OK;
}

/* one production (hall_produce_onto): what its three steps share */
struct production {
    struct hall_ctx *cx;
    int64_t order_id;
    const char *actor, **msg;
    const char *ca, *cert_type, *method, *replaces, *business;
    struct hall_val *form;
    struct subject s;
    int years, supersede;
    int64_t from, until;
    char serial[17];
    time_t nb, na;
    struct hall_sealprod *sp;
    struct hall_sealremake *rm;
    X509 *x;
    /* step 3's */
    const char *pin, *superseded_ca;
    char pinbuf[9];
    int new_pin, remade, renamed;
    /* onto a medium (core/pki/medium.c): a file is refused */
    int medium, touched;
    char mserial[17], so_pin[17];
    const char *csr_sha256;
    time_t pop_at; /* when the request's signature was checked */
    struct hall_medium_born born;
    EVP_PKEY *pub;
};

/* the algorithm of the issuing CA name: ecdsa, sm2; "" when unknown */
static const char *
ca_alg(const char *name)
{
    const char *n, *alg, *pem;
    int i;

    for (i = 0; name != NULL && i < hall_pki_ca_count(); i++)
        if (hall_pki_ca_info(i, &n, &alg, &pem) == HALL_OK && strcmp(n, name) == 0)
            return alg;
    return "";
}

/* whether the order's certificate can go onto a medium now: any business
 * staff produce (新办, and 补办 / 更新 / 变更 / 解锁 onto a new medium) of
 * an ECDSA CA, with a station configured.  SM2 cannot: SoftHSM2 2.6 (the
 * tests' and the sandbox's medium) generates a key on the SM2 curve but
 * signs with ECDSA only (no SM2 signature mechanism), so such a medium
 * could neither sign an SM2 request (the proof of possession) nor its
 * holder's SM2 signatures; no vendor's SM2 mechanism is wired yet
 * (docs/internals/pki.md, "Production onto a medium") */
static int
medium_fits(struct production *pd)
{
    if (!hall_medium_station(pd->cx->conf)) {
        *pd->msg = "制作台未配置USB Key介质（medium_module），暂不能制作证书";
        return HALL_CONFLICT;
    }
    if (strcmp(ca_alg(pd->ca), "ecdsa") != 0) {
        *pd->msg = "SM2证书暂不能写入USB Key：制作台的介质没有SM2签名机制，"
                   "不能以SM2签署证书请求，请选择文件介质（PKCS#12）";
        return HALL_CONFLICT;
    }
    return HALL_OK;
}

/* the order locked and read: what it is, for which CA and subject.
 * HALL_CONFLICT with *msg when it cannot be made */
static int
production_read(struct production *pd)
{
    struct hall_ctx *cx = pd->cx;
    struct hall_dbres *res = hall_db_exec(cx, "pki_order_lock", HALL_I64(pd->order_id));
    int rc;

    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        *pd->msg = "业务单不存在";
        return HALL_CONFLICT;
    }
    if (strcmp(hall_dbres_str(res, 0, "status"), "accepted") != 0) {
        const char *label = hall_order_label(hall_dbres_str(res, 0, "status"));

        *pd->msg = hall_psprintf(cx->pool, "该业务单当前状态为“%s”，不能制作证书",
                                 label != NULL ? label : hall_dbres_str(res, 0, "status"));
        return HALL_CONFLICT;
    }
    /* an SM2 certificate (not a seal order's): its key is born in the
     * holder's browser (sql/161), never here, whatever the medium asked */
    if (!hall_dbres_bool(res, 0, "seal") &&
        strcmp(ca_alg(hall_dbres_str(
                   res, 0,
                   hall_dbres_isnull(res, 0, hall_dbres_col(res, "old_ca")) ? "ca" : "old_ca")),
               "sm2") == 0) {
        *pd->msg = "SM2证书暂不能写入USB Key：制作台的介质没有SM2签名机制；"
                   "SM2证书的密钥由申请人在浏览器中生成（业务单详情：生成密钥并下载证书），"
                   "不由制作台制作";
        return HALL_CONFLICT;
    }
    if (strcmp(hall_dbres_str(res, 0, "key_origin"), "browser") == 0) {
        *pd->msg =
            "该产品的密钥由申请人在浏览器中生成（业务单详情：生成密钥并下载证书），不由制作台制作";
        return HALL_CONFLICT;
    }
    pd->cert_type = hall_dbres_str(res, 0, "cert_type");
    pd->years = (int)hall_dbres_int(res, 0, "years");
    pd->business = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "business_type"));
    pd->replaces = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "replaces"));
    /* a reissued, renewed, changed or unlocked certificate keeps its CA
     * (ECDSA / SM2): the product of a replacing order prices it, the
     * certificate it replaces says what it is */
    pd->ca = ca_known(hall_dbres_str(res, 0, *pd->replaces != '\0' ? "old_ca" : "ca"));
    pd->method = hall_dbres_str(res, 0, "method"); /* NULL: no paid payment */
    if (pd->method == NULL)
        pd->method = "";
    pd->form = hall_dbres_pii_json(cx, res, 0, hall_dbres_col(res, "form_enc"));
    if (pd->ca == NULL || pd->form == NULL || pd->form->type != HALL_V_OBJ) {
        hall_err(cx, "msg=\"pki: order unreadable\" order=%lld", (long long)pd->order_id);
        return HALL_ERR;
    }
    subject_of(pd->cert_type, pd->form, hall_dbres_str(res, 0, "subject"), &pd->s);
    if (*pd->replaces != '\0' && !hall_dbres_isnull(res, 0, hall_dbres_col(res, "subject_cn"))) {
        rc = replacing(cx, res, pd->business, &pd->s, &pd->from, &pd->until, &pd->supersede,
                       pd->msg);
        if (rc != HALL_OK)
            return rc;
    }
    if (*pd->s.cn == '\0') {
        *pd->msg = "业务单缺少证书主题（机构名称或姓名）";
        return HALL_CONFLICT;
    }
    return pd->medium ? medium_fits(pd) : HALL_OK;
}

/* the medium's row, before the medium is touched: its serial (the label it
 * gets) and its SO PIN, encrypted, so that no medium is ever initialised
 * with an SO PIN the hall has not kept */
static int
medium_intent(struct production *pd)
{
    struct hall_ctx *cx = pd->cx;
    struct hall_dbres *res;
    unsigned char *enc;
    size_t enc_len;
    int i;

    for (i = 0; i < 5; i++) {
        hall_pki_serial_draw(pd->mserial);
        snprintf(pd->so_pin, sizeof(pd->so_pin), "%08u%08u", hall_rand_below(100000000),
                 hall_rand_below(100000000));
        enc = hall_pii_encrypt(cx->pool, pd->so_pin, strlen(pd->so_pin), &enc_len);
        res = hall_db_exec(cx, "medium_intent", HALL_STR(pd->mserial), HALL_I64(pd->order_id),
                           HALL_BIN(enc, enc_len), HALL_STR(pd->actor));
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) == 1)
            return hall_audit(cx, pd->actor, "medium", pd->mserial, "intent", NULL, "initialising",
                              NULL);
    }
    return HALL_ERR;
}

/* 1. the intent, committed before anything is signed: the serial, the
 * seals' intents and the re-made seals' */
static int
production_intent(struct production *pd)
{
    struct hall_ctx *cx = pd->cx;
    struct hall_dbres *res;
    int rc;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    rc = production_read(pd);
    if (rc != HALL_OK)
        return rc;
    res = hall_db_exec(cx, "pki_live_cert", HALL_I64(pd->order_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) > 0) {
        *pd->msg = strcmp(hall_dbres_str(res, 0, "state"), "intent") == 0
                       ? "该业务单的证书正在制作中，请稍后刷新"
                       : "该业务单的证书已制作";
        return HALL_CONFLICT;
    }
    if (hall_cert_intent_drawn(cx, pd->serial, pd->order_id, 0, pd->ca, pd->s.cn, pd->s.org,
                               pd->years, pd->until, pd->from, pd->actor, &pd->nb,
                               &pd->na) != HALL_OK)
        return HALL_ERR;
    /* a seal order's seals: their certificates' intents (core/biz/sealprod.c) */
    rc = hall_sealprod_intent(cx, pd->order_id, pd->ca, pd->s.org, pd->s.uscc, pd->actor, pd->msg,
                              &pd->sp);
    if (rc != HALL_OK)
        return rc;
    if (!pd->medium) {
        /* issue 64 §4: no subscriber key made in the hall, an order with
         * seals' neither.  Nothing committed: the intent is rolled back,
         * no serial burnt */
        *pd->msg = "文件介质（PKCS#12）已停用：网上营业厅不再生成订户私钥，"
                   "证书只能写入USB Key：请在制作台插入一枚空白USB Key后制作证书"
                   "（或 hall-pkitool issue）";
        return HALL_CONFLICT;
    }
    /* the seals the replaced certificate signs, made again on this one */
    if (strcmp(pd->business, "change") == 0) {
        /* 变更: the seals carry the unit's name of the new certificate, and
         * the unit's 业务章 get certificates of their own with it, their
         * keys born on the medium beside the unit's (none without one) */
        struct hall_sealrename rn = {pd->s.org, pd->s.uscc, pd->actor, pd->order_id, !pd->medium};

        if (hall_sealprod_remake_intent(cx, pd->replaces, &rn, &pd->rm) != HALL_OK)
            return HALL_ERR;
    } else if (hall_sealprod_remake_intent(cx, pd->replaces, NULL, &pd->rm) != HALL_OK)
        return HALL_ERR;
    if (pd->medium && medium_intent(pd) != HALL_OK)
        return HALL_ERR;
    return hall_db_commit(cx);
}

/* 2. sign the certificate, then the seals that list it */
static int
production_sign(struct production *pd, unsigned char **der, size_t *der_len)
{
    struct hall_ctx *cx = pd->cx;
    const char *fault;

    /* the key the medium made (medium_born): certified, never made here */
    pd->x = hall_pki_cert_for(cx, pd->ca, pd->serial, pd->nb, pd->na, pd->cert_type, pd->s.cn,
                              pd->s.org, pd->s.uscc, pd->s.ric, pd->pub);
    if (pd->x == NULL) {
        hall_err(cx, "msg=\"pki: signing failed\" order=%lld serial=%s", (long long)pd->order_id,
                 pd->serial);
        return HALL_ERR;
    }
    /* the reconciliation test's switch: die between signing and storing */
    fault = getenv("HALL_PKI_FAULT");
    if (fault != NULL && strcmp(fault, "after_sign") == 0) {
        hall_warn(cx, "msg=\"pki: HALL_PKI_FAULT=after_sign, exiting\" serial=%s", pd->serial);
        _exit(70);
    }
    *der = hall_pki_der(cx->pool, pd->x, der_len);
    if (*der == NULL ||
        hall_sealprod_sign(cx, pd->sp, pd->serial, *der, *der_len, pd->na) != HALL_OK ||
        hall_sealprod_remake_sign(cx, pd->rm, pd->serial, *der, *der_len, pd->na) != HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}

/* the medium's PIN: the one a deposit's memo carried (not for a corporate
 * transfer), else a new one that goes by SMS (pd->new_pin) */
static int
production_pin(struct production *pd)
{
    struct hall_ctx *cx = pd->cx;

    if (strcmp(pd->method, "transfer") != 0) {
        struct hall_dbres *res = hall_db_exec(cx, "pki_memo_pin", HALL_I64(pd->order_id));

        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) > 0) {
            size_t l;
            unsigned char *e = hall_dbres_bytea(cx, res, 0, hall_dbres_col(res, "pin_enc"), &l);

            pd->pin = e != NULL ? hall_pii_decrypt(cx->pool, e, l) : NULL;
            if (pd->pin == NULL) {
                hall_err(cx, "msg=\"pki: memo pin unreadable\" order=%lld",
                         (long long)pd->order_id);
                return HALL_ERR;
            }
            return HALL_OK;
        }
    }
    snprintf(pd->pinbuf, sizeof(pd->pinbuf), "%08u", hall_rand_below(100000000));
    pd->pin = pd->pinbuf;
    pd->new_pin = 1;
    return HALL_OK;
}

/* the medium issued, and where the key was born (the audit row: the
 * medium, and the hash of the request it signed) */
static int
medium_stored(struct production *pd)
{
    struct hall_ctx *cx = pd->cx;
    struct hall_val *detail = hall_val_obj(cx->pool);
    struct hall_dbres *res = hall_db_exec(cx, "medium_issued", HALL_STR(pd->mserial),
                                          HALL_STR(pd->serial), HALL_STR(pd->born.token_serial),
                                          HALL_STR(pd->born.model), HALL_STR(pd->csr_sha256));

    if (res == NULL || hall_dbres_rows(res) != 1)
        return HALL_ERR;
    hall_val_set_str(cx->pool, detail, "born", "medium");
    hall_val_set_str(cx->pool, detail, "medium", pd->mserial);
    hall_val_set_str(cx->pool, detail, "token_serial", pd->born.token_serial);
    hall_val_set_str(cx->pool, detail, "csr_sha256", pd->csr_sha256);
    return hall_audit(cx, pd->actor, "certificate", pd->serial, "key_born", NULL, NULL, detail);
}

int
hall_produce_supersede(struct hall_ctx *cx, int64_t order_id, const char *replaces, const char *by,
                       const char *actor, const char **ca, const char **msg)
{
    struct hall_val *detail = hall_val_obj(cx->pool);
    int rc = hall_revoke_cert(cx, replaces, SUPERSEDED, actor, ca);

    if (rc != HALL_OK) {
        if (rc == HALL_CONFLICT)
            *msg = "原证书状态已变化，请刷新页面";
        return rc;
    }
    hall_val_set_str(cx->pool, detail, "serial", replaces);
    hall_val_set_str(cx->pool, detail, "reason", hall_pki_reason_name(SUPERSEDED));
    hall_val_set_str(cx->pool, detail, "by", by);
    return hall_audit(cx, actor, "order", hall_psprintf(cx->pool, "%lld", (long long)order_id),
                      "supersede_revoke", NULL, NULL, detail);
}

/* 变更, 解锁: the old certificate ends as the new one is stored, in this
 * transaction (OCSP at once: hall_pki_revoke's hold) */
static int
production_supersede(struct production *pd)
{
    return hall_produce_supersede(pd->cx, pd->order_id, pd->replaces, pd->serial, pd->actor,
                                  &pd->superseded_ca, pd->msg);
}

/* the audit detail: where the key was born (sql/153 key_origin),
 * the medium, and when the hall checked the request it signed (proof of
 * possession) */
static struct hall_val *
key_birth(struct production *pd)
{
    struct hall_pool *pool = pd->cx->pool;
    struct hall_val *d = hall_val_obj(pool);
    char at[32];
    struct tm tm;

    hall_val_set_str(pool, d, "key_origin", "medium");
    gmtime_r(&pd->pop_at, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    hall_val_set_str(pool, d, "medium", pd->mserial);
    hall_val_set_str(pool, d, "pop", "checked");
    hall_val_set_str(pool, d, "pop_checked_at", hall_pstrdup(pool, at));
    hall_val_set_str(pool, d, "csr_sha256", pd->csr_sha256);
    return d;
}

/* 3. store: the certificate, the medium, the order's move, the seals, the
 * PIN; one transaction */
static int
production_store(struct production *pd, const unsigned char *der, size_t der_len)
{
    struct hall_ctx *cx = pd->cx;
    struct hall_dbres *res;
    struct hall_val *detail;
    int rc;

    if (hall_db_begin(cx) != HALL_OK || (pd->pin == NULL && production_pin(pd) != HALL_OK))
        return HALL_ERR;
    /* the key is in the medium: the register keeps the certificate and the
     * medium's serial, nothing to hand over */
    res = hall_cert_store_medium(cx, pd->serial, der, der_len, pd->mserial, (int64_t)pd->pop_at);
    if (res == NULL || medium_stored(pd) != HALL_OK)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        /* reconciled as dead meanwhile: the order gets a new serial */
        *pd->msg = "证书制作超时，请重新制作";
        return HALL_CONFLICT;
    }
    detail = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, detail, "serial", pd->serial);
    hall_val_set_str(cx->pool, detail, "ca", pd->ca);
    rc = hall_order_move(cx, pd->order_id, "accepted", "issued", pd->actor, detail);
    if (rc != HALL_OK) {
        if (rc == HALL_CONFLICT)
            *pd->msg = "该业务单状态已变化，请刷新页面";
        return rc;
    }
    if (hall_audit(cx, pd->actor, "certificate", pd->serial, "issue", "intent", "issued",
                   key_birth(pd)) != HALL_OK ||
        hall_sealprod_store(cx, pd->sp, pd->actor) != HALL_OK ||
        hall_sealprod_remake_store(cx, pd->rm, pd->pin, pd->actor, &pd->remade, &pd->renamed) !=
            HALL_OK ||
        hall_finauth_pin_destroy(cx, pd->order_id) != HALL_OK)
        return HALL_ERR;
    if (pd->supersede && (rc = production_supersede(pd)) != HALL_OK)
        return rc;
    if (pd->new_pin) {
        const char *phone = hall_pin_phone(pd->cert_type, pd->form);

        if (strlen(phone) == 11 &&
            hall_sms_queue(cx, hall_psprintf(cx->pool, "sms-pin-%s", pd->serial), phone, NULL,
                           HALL_SMST_pin, "serial", pd->serial, "pin", pd->pin, NULL) != HALL_OK)
            return HALL_ERR;
    }
    return hall_db_commit(cx);
}

/* what the operator reads after a production */
static const char *
production_said(const struct production *pd)
{
    struct hall_pool *pool = pd->cx->pool;

    return hall_psprintf(
        pool, "证书已制作：序列号 %s，主题 %s%s%s%s%s", pd->serial,
        hall_pki_subject_text(pool, pd->s.cn, pd->s.org),
        pd->medium
            ? hall_psprintf(pool, "；已写入介质 %s，请将该介质装入本业务单的信封", pd->mserial)
            : "",
        pd->superseded_ca != NULL
            ? hall_psprintf(pool, "；原证书 %s 已吊销（已被替代）", pd->replaces)
            : "",
        pd->remade > 0
            ? hall_psprintf(pool, "；原证书的电子印章已随新证书重新制作 %d 枚", pd->remade)
            : "",
        pd->renamed > 0 ? hall_psprintf(pool,
                                        "；机构业务章 %d 枚已以新机构名称换发印章证书并重新制作，"
                                        "原印章证书已吊销（已被替代）",
                                        pd->renamed)
                        : "");
}

static int medium_failed(struct production *pd, const char *why);

/* the seals' keys on the medium after the order's (cns[0], labels[0]): a
 * seal order's 业务章 (*nsp of them), then the 业务章 renamed by a 变更
 * (core/biz/sealrename.c); how many, -1 when more than a medium takes */
static int
seal_keys(struct production *pd, const char **cns, const char **labels, int *nsp)
{
    int m;

    *nsp = hall_sealprod_keys(pd->sp, cns + 1, labels + 1, HALL_MEDIUM_KEYS - 1);
    if (*nsp < 0)
        return -1;
    m = hall_sealprod_remake_keys(pd->rm, cns + 1 + *nsp, labels + 1 + *nsp,
                                  HALL_MEDIUM_KEYS - 1 - *nsp);
    return m < 0 ? -1 : *nsp + m;
}

/* 2m. onto a medium, between the intent and the signature: the PIN known,
 * the medium initialised and its key born — the order's certificate's and
 * one for each seal certificate made now (core/biz/sealprod.c: a 机构业务章's
 * each, on the same medium; core/biz/sealrename.c: each 机构业务章 a 变更
 * renames) — each request it signed checked (proof of possession) */
static int
medium_born(struct production *pd)
{
    struct hall_ctx *cx = pd->cx;
    const char *cns[HALL_MEDIUM_KEYS], *labels[HALL_MEDIUM_KEYS], *sums[HALL_MEDIUM_KEYS];
    struct hall_medium_born born[HALL_MEDIUM_KEYS];
    EVP_PKEY *pubs[HALL_MEDIUM_KEYS];
    char err[400];
    int k, n, nsp;

    if (production_pin(pd) != HALL_OK)
        return HALL_ERR;
    cns[0] = pd->s.cn;
    labels[0] = "hall";
    n = seal_keys(pd, cns, labels, &nsp);
    if (n < 0)
        return medium_failed(pd, "more seals' certificates than one medium takes");
    memset(born, 0, sizeof(born));
    if (hall_medium_prepare_keys(cx->pool, cx->conf, pd->mserial, pd->so_pin, pd->pin, cns, labels,
                                 n + 1, born, &pd->touched, err, sizeof(err)) != HALL_OK)
        return medium_failed(pd, err);
    pd->born = born[0];
    pd->pub = hall_medium_csr_check(cx->pool, pd->born.csr, pd->born.csr_len, &pd->csr_sha256, err,
                                    sizeof(err));
    if (pd->pub == NULL)
        return medium_failed(pd, err);
    for (k = 0; k < n; k++) {
        pubs[k] = hall_medium_csr_check(cx->pool, born[k + 1].csr, born[k + 1].csr_len, &sums[k],
                                        err, sizeof(err));
        if (pubs[k] == NULL) {
            while (k-- > 0)
                EVP_PKEY_free(pubs[k]);
            return medium_failed(pd, err);
        }
    }
    pd->pop_at = time(NULL);
    if (nsp > 0)
        hall_sealprod_keys_born(pd->sp, pd->mserial, pd->pop_at, pubs, sums);
    hall_sealprod_remake_keys_born(pd->rm, pd->mserial, pd->pop_at, pubs + nsp, sums + nsp);
    return HALL_OK;
}

/* 2m'. the certificates (the order's, its seals') and their chain onto the
 * medium */
static int
medium_written(struct production *pd, const unsigned char *der, size_t der_len)
{
    const unsigned char *ders[HALL_MEDIUM_KEYS];
    const char *cns[HALL_MEDIUM_KEYS], *labels[HALL_MEDIUM_KEYS];
    size_t lens[HALL_MEDIUM_KEYS];
    char err[400];
    int n, nsp;

    ders[0] = der;
    lens[0] = der_len;
    labels[0] = "hall";
    n = seal_keys(pd, cns, labels, &nsp);
    if (n < 0 || hall_sealprod_certs(pd->sp, ders + 1, lens + 1) != nsp ||
        hall_sealprod_remake_certs(pd->rm, ders + 1 + nsp, lens + 1 + nsp) != n - nsp)
        return medium_failed(pd, "the seals' certificates do not match their keys");
    if (hall_medium_write_keys(pd->cx->pool, pd->cx->conf, pd->mserial, pd->pin, pd->ca, ders, lens,
                               labels, n + 1, err, sizeof(err)) != HALL_OK)
        return medium_failed(pd, err);
    return HALL_OK;
}

/* a medium that failed on the way: wiped when it was touched, its row says
 * so, the certificate's intent voided (nothing issued; a certificate signed
 * for it is listed revoked), audited; *msg names the medium.  HALL_ERR, or
 * HALL_CONFLICT when the station has no blank medium */
static int
medium_failed(struct production *pd, const char *why)
{
    struct hall_ctx *cx = pd->cx;
    struct hall_val *detail = hall_val_obj(cx->pool);
    const char *state = "void";
    char err[400];
    int blank = strcmp(why, "no blank medium in the station") == 0;

    if (pd->touched) {
        state = hall_medium_wipe(cx->conf, pd->mserial, pd->so_pin, err, sizeof(err)) == HALL_OK
                    ? "wiped"
                    : "spoilt";
        if (strcmp(state, "spoilt") == 0)
            why = hall_psprintf(cx->pool, "%s; not wiped: %s", why, err);
    }
    hall_err(cx, "msg=\"medium failed\" order=%lld medium=%s serial=%s state=%s why=\"%s\"",
             (long long)pd->order_id, pd->mserial, pd->serial, state, why);
    if (cx->in_tx)
        hall_db_rollback(cx);
    hall_val_set_str(cx->pool, detail, "why", why);
    hall_val_set_str(cx->pool, detail, "serial", pd->serial);
    if (hall_db_begin(cx) != HALL_OK ||
        hall_db_exec(cx, "medium_failed", HALL_STR(pd->mserial), HALL_STR(state), HALL_STR(why),
                     HALL_STR(pd->born.token_serial), HALL_STR(pd->born.model)) == NULL ||
        hall_cert_void(cx, pd->serial, pd->actor) != HALL_OK ||
        hall_sealprod_void(cx, pd->sp, pd->actor) != HALL_OK ||
        hall_sealprod_remake_void(cx, pd->rm, pd->actor) != HALL_OK ||
        hall_audit(cx, pd->actor, "medium", pd->mserial, "fail", "initialising", state, detail) !=
            HALL_OK ||
        hall_db_commit(cx) != HALL_OK)
        hall_err(cx, "msg=\"medium failure not recorded\" medium=%s", pd->mserial);
    if (blank) {
        *pd->msg = "制作台没有空白介质：请插入一枚空白USB Key后重新制作";
        return HALL_CONFLICT;
    }
    *pd->msg = strcmp(state, "wiped") == 0
                   ? hall_psprintf(cx->pool,
                                   "介质 %s 制作失败，已擦除，未签发证书：请取出该介质，"
                                   "插入一枚空白USB Key后重新制作（原因：%s）",
                                   pd->mserial, why)
               : strcmp(state, "spoilt") == 0
                   ? hall_psprintf(cx->pool,
                                   "介质 %s 制作失败且未能擦除，未签发证书：请取出该介质作废，"
                                   "插入一枚空白USB Key后重新制作（原因：%s）",
                                   pd->mserial, why)
                   : hall_psprintf(cx->pool, "介质 %s 未能初始化，未签发证书（原因：%s）",
                                   pd->mserial, why);
    return HALL_ERR;
}

static int produce(struct hall_ctx *cx, int64_t order_id, const char *actor, const char *medium,
                   const char **msg);

/* staff's 制作证书 and hall-pkitool's: medium "" is production_medium's
 * (pkcs11, a USB key); a file ("p12") is refused for every order (issue 64
 * §4: the hall makes no subscriber key) */
int
hall_produce_onto(struct hall_ctx *cx, int64_t order_id, const char *actor, const char *medium,
                  const char **msg)
{
    return produce(cx, order_id, actor, medium, msg);
}

static int
produce(struct hall_ctx *cx, int64_t order_id, const char *actor, const char *medium,
        const char **msg)
{
    struct production pd;
    unsigned char *der;
    size_t der_len;
    int rc;

    *msg = "系统繁忙，请稍后再试";
    if (!hall_pki_can_sign())
        return HALL_ERR;
    /* the token away: no intent (no serial burnt) for a certificate that
     * cannot be signed now */
    if (hall_pki_token_ready("no certificate can be made") != HALL_OK) {
        *msg = "CA签名设备暂时不可用，请稍后再试";
        return HALL_ERR;
    }
    memset(&pd, 0, sizeof(pd));
    pd.cx = cx;
    pd.order_id = order_id;
    pd.actor = actor;
    pd.msg = msg;
    if (medium == NULL || *medium == '\0')
        medium = cx->conf->production_medium;
    pd.medium = strcmp(medium, "pkcs11") == 0;
    /* the station's media a production left half-made: wiped before a new
     * one is made (medium_reconcile.c) */
    if (pd.medium && hall_media_reconcile(cx, HALL_MEDIUM_STALE_S, "pki:reconcile") < 0)
        hall_warn(cx, "msg=\"media reconcile failed\" order=%lld", (long long)order_id);
    rc = production_intent(&pd);
    if (rc == HALL_OK && pd.medium)
        rc = medium_born(&pd);
    if (rc == HALL_OK)
        rc = production_sign(&pd, &der, &der_len);
    if (rc == HALL_OK && pd.medium)
        rc = medium_written(&pd, der, der_len);
    if (rc == HALL_OK)
        rc = production_store(&pd, der, der_len);
    if (rc != HALL_OK && pd.medium && pd.pub != NULL && pd.touched && cx->in_tx) {
        /* signed and written, not stored: the medium holds a certificate
         * the register does not issue */
        hall_db_rollback(cx);
        medium_failed(&pd, "the certificate could not be stored");
    }
    if (rc == HALL_OK) {
        hall_info(cx,
                  "msg=\"certificate issued\" order=%lld serial=%s ca=%s pin=%s seals_remade=%d"
                  " seals_renamed=%d superseded=%s medium=%s",
                  (long long)order_id, pd.serial, pd.ca, pd.new_pin ? "sms" : "memo", pd.remade,
                  pd.renamed, pd.superseded_ca != NULL ? pd.replaces : "-",
                  pd.medium ? pd.mserial : "p12");
        /* the CRL now, as staff's revocation does; the outbox's pki tick
         * retries if this fails */
        if (pd.superseded_ca != NULL && hall_pki_crl_refresh(cx, pd.superseded_ca, 1) != HALL_OK)
            hall_warn(cx, "msg=\"crl refresh after supersede failed\" ca=%s", pd.superseded_ca);
        hall_sealprod_remake_crls(cx, pd.rm, pd.superseded_ca);
        *msg = production_said(&pd);
    }
    if (cx->in_tx)
        hall_db_rollback(cx);
    OPENSSL_cleanse(pd.pinbuf, sizeof(pd.pinbuf));
    OPENSSL_cleanse(pd.so_pin, sizeof(pd.so_pin));
    hall_sealprod_free(pd.sp);
    hall_sealprod_remake_free(pd.rm);
    X509_free(pd.x);
    EVP_PKEY_free(pd.pub);
    return rc;
}

void
hall_produce_subject(const char *cert_type, const struct hall_val *form, const char *fallback,
                     const char **cn, const char **org, const char **uscc, const char **ric)
{
    struct subject s;

    subject_of(cert_type, form, fallback, &s);
    *cn = s.cn, *org = s.org, *uscc = s.uscc, *ric = s.ric;
}

int
hall_produce_replacing(struct hall_ctx *cx, struct hall_dbres *res, const char *business,
                       const char **cn, const char **org, const char **uscc, int64_t *from,
                       int64_t *until, int *supersede, const char **msg)
{
    struct subject s = {*cn, *org, *uscc, ""};
    int rc = replacing(cx, res, business, &s, from, until, supersede, msg);

    *cn = s.cn, *org = s.org, *uscc = s.uscc;
    return rc;
}
