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
    {"pki_auto_next",
     "SELECT o.id FROM orders o JOIN products p ON p.id = o.product_id"
     " WHERE o.status = 'accepted' AND p.auto_issue AND NOT EXISTS (SELECT 1 FROM"
     " certificates c WHERE c.order_id = o.id AND c.state IN ('intent', 'issued')"
     " AND c.seal_item_id IS NULL)"
     /* a change or unlock whose certificate ended meanwhile has no validity
      * left to carry, and a revoked one none to renew: staff's (hall_produce
      * says why), not the tick's */
     " AND NOT EXISTS (SELECT 1 FROM certificates x WHERE x.serial = o.reissue_of"
     " AND o.business_type IN ('renew', 'change', 'unlock') AND (x.state <> 'issued'"
     " OR (o.business_type <> 'renew' AND x.not_after <= now())))"
     " ORDER BY o.review_due NULLS LAST, o.id LIMIT 1",
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

/* one production (hall_produce): what its three steps share */
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
    EVP_PKEY *key;
    /* step 3's */
    const char *pin, *superseded_ca;
    char pinbuf[9];
    int new_pin, remade, renamed;
};

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
    return HALL_OK;
}

/* 1. the intent, committed before anything is signed: the serial, the
 * seals' intents and the re-made seals' */
static int
production_intent(struct production *pd)
{
    struct hall_ctx *cx = pd->cx;
    struct hall_dbres *res;
    int i, rc;

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
    for (i = 0; i < 5; i++) {
        hall_pki_serial_draw(pd->serial);
        res = hall_cert_intent(cx, pd->serial, pd->order_id, 0, pd->ca, pd->s.cn, pd->s.org,
                               pd->years, pd->until, pd->from);
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) == 1)
            break;
    }
    if (i == 5)
        return HALL_ERR;
    pd->nb = (time_t)hall_dbres_int(res, 0, "not_before_epoch");
    pd->na = (time_t)hall_dbres_int(res, 0, "not_after_epoch");
    if (hall_audit(cx, pd->actor, "certificate", pd->serial, "intent", NULL, "intent", NULL) !=
        HALL_OK)
        return HALL_ERR;
    /* a seal order's seals: their certificates' intents (core/biz/sealprod.c) */
    rc = hall_sealprod_intent(cx, pd->order_id, pd->ca, pd->s.org, pd->s.uscc, pd->actor, pd->msg,
                              &pd->sp);
    if (rc != HALL_OK)
        return rc;
    /* the seals the replaced certificate signs, made again on this one */
    if (strcmp(pd->business, "change") == 0) {
        /* 变更: the seals carry the unit's name of the new certificate, and
         * the unit's 业务章 get certificates of their own with it */
        struct hall_sealrename rn = {pd->s.org, pd->s.uscc, pd->actor, pd->order_id};

        if (hall_sealprod_remake_intent(cx, pd->replaces, &rn, &pd->rm) != HALL_OK)
            return HALL_ERR;
    } else if (hall_sealprod_remake_intent(cx, pd->replaces, NULL, &pd->rm) != HALL_OK)
        return HALL_ERR;
    return hall_db_commit(cx);
}

/* 2. sign the certificate, then the seals that list it */
static int
production_sign(struct production *pd, unsigned char **der, size_t *der_len)
{
    struct hall_ctx *cx = pd->cx;
    const char *fault;

    pd->x = hall_pki_cert_make(cx, pd->ca, pd->serial, pd->nb, pd->na, pd->cert_type, pd->s.cn,
                               pd->s.org, pd->s.uscc, pd->s.ric, &pd->key);
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

/* 变更, 解锁: the old certificate ends as the new one is stored, in this
 * transaction (OCSP at once: hall_pki_revoke's hold) */
static int
production_supersede(struct production *pd)
{
    struct hall_ctx *cx = pd->cx;
    struct hall_val *detail = hall_val_obj(cx->pool);
    int rc = hall_revoke_cert(cx, pd->replaces, SUPERSEDED, pd->actor, &pd->superseded_ca);

    if (rc != HALL_OK) {
        if (rc == HALL_CONFLICT)
            *pd->msg = "原证书状态已变化，请刷新页面";
        return rc;
    }
    hall_val_set_str(cx->pool, detail, "serial", pd->replaces);
    hall_val_set_str(cx->pool, detail, "reason", hall_pki_reason_name(SUPERSEDED));
    hall_val_set_str(cx->pool, detail, "by", pd->serial);
    return hall_audit(cx, pd->actor, "order",
                      hall_psprintf(cx->pool, "%lld", (long long)pd->order_id), "supersede_revoke",
                      NULL, NULL, detail);
}

/* 3. store: the certificate, the medium, the order's move, the seals, the
 * PIN; one transaction */
static int
production_store(struct production *pd, const unsigned char *der, size_t der_len)
{
    struct hall_ctx *cx = pd->cx;
    struct hall_dbres *res;
    struct hall_val *detail;
    unsigned char *p12, *enc;
    size_t p12_len, enc_len;
    int rc;

    if (hall_db_begin(cx) != HALL_OK || production_pin(pd) != HALL_OK)
        return HALL_ERR;
    p12 = hall_pki_p12_make(cx->pool, pd->pin, pd->key, pd->x, pd->ca, pd->s.cn, &p12_len);
    if (p12 == NULL)
        return HALL_ERR;
    enc = hall_pii_encrypt(cx->pool, (const char *)p12, p12_len, &enc_len);
    res = hall_cert_store(cx, pd->serial, der, der_len, enc, enc_len, 0, NULL);
    if (res == NULL)
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
    if (hall_audit(cx, pd->actor, "certificate", pd->serial, "issue", "intent", "issued", NULL) !=
            HALL_OK ||
        hall_sealprod_store(cx, pd->sp, pd->pin, pd->actor) != HALL_OK ||
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
        pool, "证书已制作：序列号 %s，主题 %s%s%s%s", pd->serial,
        hall_pki_subject_text(pool, pd->s.cn, pd->s.org),
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

int
hall_produce(struct hall_ctx *cx, int64_t order_id, const char *actor, const char **msg)
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
    rc = production_intent(&pd);
    if (rc == HALL_OK)
        rc = production_sign(&pd, &der, &der_len);
    if (rc == HALL_OK)
        rc = production_store(&pd, der, der_len);
    if (rc == HALL_OK) {
        hall_info(cx,
                  "msg=\"certificate issued\" order=%lld serial=%s ca=%s pin=%s seals_remade=%d"
                  " seals_renamed=%d superseded=%s",
                  (long long)order_id, pd.serial, pd.ca, pd.new_pin ? "sms" : "memo", pd.remade,
                  pd.renamed, pd.superseded_ca != NULL ? pd.replaces : "-");
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
    hall_sealprod_free(pd.sp);
    hall_sealprod_remake_free(pd.rm);
    X509_free(pd.x);
    EVP_PKEY_free(pd.key);
    return rc;
}

int
hall_produce_auto(struct hall_ctx *cx)
{
    struct hall_dbres *res;
    const char *msg;

    res = hall_db_exec(cx, "pki_auto_next");
    if (res != NULL && hall_dbres_rows(res) > 0)
        return hall_produce(cx, hall_dbres_int(res, 0, "id"), "pki:auto", &msg) == HALL_OK;
    return 0;
}
