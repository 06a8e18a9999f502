/*
 * core/biz/produce_csr.h: a certificate whose key pair is born in the
 * holder's browser (core/biz/produce_csr.c, products.key_origin 'browser',
 * sql/151; docs/internals/pki.md, "Made in the browser").  Included by
 * biz/biz.h.
 */
#ifndef HALL_BIZ_PRODUCE_CSR_H
#define HALL_BIZ_PRODUCE_CSR_H

/* the subject of an order's certificate from its form (cert_type's profile; fallback: the
 * order's subject when the form names no one), as hall_produce_onto makes it; strings of form */
void hall_produce_subject(const char *cert_type, const struct hall_val *form, const char *fallback,
                          const char **cn, const char **org, const char **uscc, const char **ric);

/* a replacing order's certificate (pki_order_lock's row res, business its business_type) as
 * hall_produce_onto makes it: *cn, *org, *uscc the old one's but for a change (theirs in: the
 * form's), *from / *until its start and end (0: now, the start + the years), *supersede: the
 * old one is revoked as superseded as the new one is stored.  HALL_CONFLICT with *msg */
int hall_produce_replacing(struct hall_ctx *cx, struct hall_dbres *res, const char *business,
                           const char **cn, const char **org, const char **uscc, int64_t *from,
                           int64_t *until, int *supersede, const char **msg);
/* inside the transaction storing by: the certificate replaces revoked as superseded, audited
 * on order_id; *ca its CA (for the CRL after the commit).  HALL_CONFLICT with *msg */
int hall_produce_supersede(struct hall_ctx *cx, int64_t order_id, const char *replaces,
                           const char *by, const char *actor, const char **ca, const char **msg);

/* what the holder's page needs to assemble its PKCS#12 */
struct hall_csr_cert {
    const char *serial, *ca_pem, *alg, *cn; /* alg: ecdsa, sm2 */
    const unsigned char *der;
    size_t der_len;
};
#define HALL_CSR_BAD     (-40) /* the request refused: *field, *msg (400) */
#define HALL_CSR_NOT_OWN (-41) /* no such order of user_id (404) */
/* outside a transaction: user_id's accepted order of a products.key_origin 'browser' product
 * issued for the key of csr (DER PKCS#10, its signature checked: proof of possession; the
 * key of the product's algorithm) with the order's subject, never the request's; no private
 * key, no PKCS#12; accepted -> issued -> delivered.  HALL_CONFLICT (*msg) when it cannot be
 * made now (a second request: 409), HALL_ERR on failure */
int hall_produce_csr(struct hall_ctx *cx, int64_t order_id, int64_t user_id, const char *actor,
                     const unsigned char *csr, size_t csr_len, struct hall_csr_cert *out,
                     const char **msg, const char **field);

/* the answer to a request whose public key is certified already (sql/192) */
#define HALL_PKI_SPKI_TAKEN                                                                                                          \
    "证书请求（csr）的公钥已经签发过证书（无论证书有效还是已吊销），同一公钥不能再次签发：" \
    "请重新生成密钥后提交"
/* the proof of possession alone (a 机构个人章 holder's request, core/biz/sealhold.c): der one
 * PKCS#10 request whose own key (of alg: ecdsa P-256, sm2) verifies its signature; *pub
 * (the caller frees it) and *sha256 of the request; HALL_CONFLICT with *msg, *field "csr" */
int hall_csr_pop(struct hall_ctx *cx, const unsigned char *der, size_t len, const char *alg,
                 EVP_PKEY **pub, const char **sha256, const char **msg, const char **field);

/* core/biz/produce_csr_seal.c: the seals made with a certificate made in the browser (an SM2
 * 电子签章申请's, a 新办's bundled 电子签章, the seals a replaced one signs), in
 * hall_produce_csr's three steps.  _intent in its intent transaction (*out: what the others
 * take; HALL_CONFLICT with *msg: a seal with no picture, or one whose key production makes on
 * a USB key); _sign after the certificate; _store in the transaction storing it (*remade: the
 * seals re-made on it); _done after it all (stored: the re-make's CRLs but superseded_ca's) */
struct hall_csrseal;
int hall_csrseal_intent(struct hall_ctx *cx, int64_t order_id, const char *ca, const char *org,
                        const char *uscc, const char *business, const char *replaces,
                        const char *actor, const char **msg, struct hall_csrseal **out);
int hall_csrseal_sign(struct hall_ctx *cx, struct hall_csrseal *cs, const char *serial,
                      const unsigned char *der, size_t der_len, time_t na);
int hall_csrseal_store(struct hall_ctx *cx, struct hall_csrseal *cs, const char *actor,
                       int *remade);
void hall_csrseal_done(struct hall_ctx *cx, struct hall_csrseal *cs, const char *superseded_ca,
                       int stored);

#endif
