/*
 * The seals of an order whose certificate is made in the browser
 * (core/biz/produce_csr.c; docs/internals/pki.md, "Made in the browser";
 * issue 64 §4): an SM2 电子签章申请 (its 机构证书 the one its 机构章
 * lists), a 证书新办 with its bundled 电子签章 (orders.seal), and the seals a
 * replaced browser-made certificate signs.  The same seal production as
 * 制作证书's (core/biz/sealprod.c), in the three steps of the holder's
 * request, so the seals are made exactly once, with the certificate:
 *
 *   1. intent (csr_intent's transaction): the seals without a SESeal;
 *      the seals the replaced certificate signs (补办, 更新, 变更, 解锁);
 *   2. sign (after the certificate): their SESeals, the 机构章's (and a
 *      个人证书's 个人印章) listing the certificate just signed;
 *   3. store (csr_store's transaction): the SESeals, the old ones replaced.
 *
 * No key is made here: a seal whose certificate is its own waits for its
 * holder's browser — an SM2 机构业务章 for the order's applicant (POST
 * /pki/seal-key, core/biz/sealbiz.c), a 机构个人章 for its holder (the
 * code production sends, POST /pki/seal-holder, core/biz/sealhold.c).  A
 * seal whose own key production would make on the order's USB key (an
 * ECDSA 机构业务章) cannot come from a browser's request: 409.  After a
 * 变更 the 业务章 certificates naming the old unit are not re-made here
 * (as the 证书助手's 变更, core/biz/medium_renew.c: no 业务章 key in the
 * hall); the seals the certificate itself signs are, with the new name.
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "biz/biz.h"

struct hall_csrseal {
    struct hall_sealprod *sp;
    struct hall_sealremake *rm;
    int remade, renamed;
};

int
hall_csrseal_intent(struct hall_ctx *cx, int64_t order_id, const char *ca, const char *org,
                    const char *uscc, const char *business, const char *replaces, const char *actor,
                    const char **msg, struct hall_csrseal **out)
{
    const char *cns[HALL_SEAL_ITEMS_MAX], *labels[HALL_SEAL_ITEMS_MAX];
    struct hall_csrseal *cs = hall_pcalloc(cx->pool, sizeof(*cs));
    int rc;

    *out = cs;
    rc = hall_sealprod_intent(cx, order_id, ca, org, uscc, actor, msg, &cs->sp);
    if (rc != HALL_OK)
        return rc;
    /* a certificate of its own whose key production makes on a USB key */
    if (hall_sealprod_keys(cs->sp, cns, labels, HALL_SEAL_ITEMS_MAX) != 0) {
        *msg = "该业务单的机构业务章的密钥在USB Key中生成，不能在浏览器中生成：请由制作台制作证书";
        return HALL_CONFLICT;
    }
    if (replaces == NULL || *replaces == '\0')
        return HALL_OK;
    if (strcmp(business, "change") == 0) {
        /* the seals it signs carry the new name; no 业务章 key made here */
        struct hall_sealrename rn = {org, uscc, actor, order_id, 1};

        return hall_sealprod_remake_intent(cx, replaces, &rn, &cs->rm);
    }
    return hall_sealprod_remake_intent(cx, replaces, NULL, &cs->rm);
}

int
hall_csrseal_sign(struct hall_ctx *cx, struct hall_csrseal *cs, const char *serial,
                  const unsigned char *der, size_t der_len, time_t na)
{
    if (cs == NULL)
        return HALL_OK;
    if (hall_sealprod_sign(cx, cs->sp, serial, der, der_len, na) != HALL_OK ||
        hall_sealprod_remake_sign(cx, cs->rm, serial, der, der_len, na) != HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}

int
hall_csrseal_store(struct hall_ctx *cx, struct hall_csrseal *cs, const char *actor, int *remade)
{
    *remade = 0;
    if (cs == NULL)
        return HALL_OK;
    if (hall_sealprod_store(cx, cs->sp, actor) != HALL_OK ||
        hall_sealprod_remake_store(cx, cs->rm, NULL, actor, &cs->remade, &cs->renamed) != HALL_OK)
        return HALL_ERR;
    *remade = cs->remade;
    return HALL_OK;
}

void
hall_csrseal_done(struct hall_ctx *cx, struct hall_csrseal *cs, const char *superseded_ca,
                  int stored)
{
    if (cs == NULL)
        return;
    if (stored)
        hall_sealprod_remake_crls(cx, cs->rm, superseded_ca);
    hall_sealprod_free(cs->sp);
    hall_sealprod_remake_free(cs->rm);
}
