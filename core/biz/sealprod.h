/*
 * core/biz/sealprod.h: the seals made with an order's certificate
 * (sealprod.c).  Included by biz.h, at its end.
 */
#ifndef HALL_BIZ_SEALPROD_H
#define HALL_BIZ_SEALPROD_H

/* ---- sealprod.c: the seals made with the order's certificate -------------- */
/* (the re-make when a certificate that signs seals is replaced, below, is
 * sealrename.c's) */

/* the seals one order may hold */
#define HALL_SEAL_BIZ_MAX     8  /* 机构业务章 online (seed 001) */
#define HALL_SEAL_PERSONS_MAX 50 /* 机构个人章 rows in one order */
#define HALL_SEAL_ITEMS_MAX   (1 + HALL_SEAL_BIZ_MAX + HALL_SEAL_PERSONS_MAX)

struct hall_sealprod;

/* hall_produce_onto's step 1, inside its intent transaction: the seals of a
 * seal order that have no SESeal yet, with a certificate intent for each
 * 机构业务章 and 机构个人章; *out NULL for an order without seals.
 * HALL_CONFLICT with *msg when a seal has no picture yet */
int hall_sealprod_intent(struct hall_ctx *cx, int64_t order_id, const char *ca, const char *org,
                         const char *uscc, const char *actor, const char **msg,
                         struct hall_sealprod **out);
/* step 2: the seals' certificates, then every seal's SESeal (the 机构章's
 * lists the order's certificate) */
int hall_sealprod_sign(struct hall_ctx *cx, struct hall_sealprod *sp, const char *order_serial,
                       const unsigned char *order_cert, size_t order_cert_len, time_t order_na);
/* step 3, inside the transaction that moves the order to issued */
int hall_sealprod_store(struct hall_ctx *cx, struct hall_sealprod *sp, const char *actor);
void hall_sealprod_free(struct hall_sealprod *sp);
/*
 * Onto the order's medium (hall_produce_onto "pkcs11"): each seal with a
 * certificate of its own made now (a 机构业务章) gets a key pair of its own
 * on the same medium.  hall_sealprod_keys: their CNs and labels (the
 * seals' codes), at most max; how many, -1 when more.  _keys_born: after
 * the medium signed a request with each and the hall checked them, their
 * public keys (sp takes them) and requests' SHA-256, in that order; the
 * certificates are then certified for them (no key made here) and stored
 * with the medium's serial.  _certs: the certificates signed, in that
 * order, for hall_medium_write_keys.  _void: their intents voided (a
 * medium that failed), inside the caller's transaction.
 */
int hall_sealprod_keys(const struct hall_sealprod *sp, const char **cns, const char **labels,
                       int max);
int hall_sealprod_keys_born(struct hall_sealprod *sp, const char *mserial, time_t pop_at,
                            EVP_PKEY **pubs, const char **sha256s);
int hall_sealprod_certs(const struct hall_sealprod *sp, const unsigned char **ders, size_t *lens);
int hall_sealprod_void(struct hall_ctx *cx, const struct hall_sealprod *sp, const char *actor);
/* a seal's code (印章编码): SZCA, the order's id in 12 digits, O / B / P
 * (机构章, 业务章, 个人章), the position in 2 */
const char *hall_seal_es_id(struct hall_pool *pool, int64_t order_id, const char *kind,
                            int position);

/* ---- sealhold.c: a 机构个人章's key born in its holder's browser ----------- */

/* the MAC of a holder's code for /seal/holder, bound to the seal's code es_id
 * (the code as typed, in any case); HALL_ERR when code is not 10 long */
int hall_seal_key_code_mac(const char *es_id, const char *code, unsigned char out[32]);
/* production's step 3 (inside its transaction; sealprod.c): the holder's code for
 * /seal/holder, its MAC on the seal's row, the SMS to the holder's
 * verified phone (no PIN: the holder chooses it), audited */
int hall_sealhold_send(struct hall_ctx *cx, int64_t item_id, const char *es_id, const char *mobile,
                       const char *name, const char *org, const char *actor);
/* what the holder's page needs: the certificate for its PKCS#12, the CA's
 * PEM, and the seal made for it */
struct hall_sealhold_out {
    const char *serial, *es_id, *ca_pem, *alg, *cn;
    const unsigned char *der, *seal;
    size_t der_len, seal_len;
};
#define HALL_SEALHOLD_BAD    (-42) /* the code or the request refused: *field, *msg (400) */
#define HALL_SEALHOLD_USED   (-43) /* made already (410) */
#define HALL_SEALHOLD_LOCKED (-44) /* ten wrong codes (429) */
/* outside a transaction: the 机构个人章 es_id whose code is code issued its
 * 机构个人证书 for the key of csr (DER PKCS#10, its signature checked; the
 * order's CA's algorithm) with the holder's subject, key_origin 'browser',
 * and its SESeal made listing it; the code used.  HALL_CONFLICT (*msg) when
 * it cannot be made now (a parallel request: 409), HALL_ERR on failure */
int hall_sealhold_csr(struct hall_ctx *cx, const char *es_id, const char *code,
                      const unsigned char *csr, size_t csr_len, const char *actor,
                      struct hall_sealhold_out *out, const char **msg, const char **field);
/* ---- sealbiz.c: an SM2 seal order's 机构业务章, its key born in the
 * browser of the order's applicant ---------------------------------------- */

#define HALL_SEALBIZ_FORBIDDEN (-45) /* another applicant's seal (403) */
#define HALL_SEALBIZ_NOTFOUND  (-46) /* no such 机构业务章 (404) */
/* outside a transaction: the 机构业务章 es_id of an SM2 seal order of
 * user_id, produced, its certificate not made, issued for the key of csr
 * (DER PKCS#10, its signature checked) with production's subject,
 * key_origin 'browser', and its SESeal made listing it.  HALL_SEALHOLD_BAD
 * (*field, *msg) for a bad request, HALL_CONFLICT (*msg) when it cannot be
 * made now (made, being made, not produced, not SM2), HALL_ERR on failure */
int hall_sealbiz_csr(struct hall_ctx *cx, const char *es_id, int64_t user_id,
                     const unsigned char *csr, size_t csr_len, const char *actor,
                     struct hall_sealhold_out *out, const char **msg, const char **field);
/*
 * A 证书新办 whose price includes the 电子签章 (建筑工务署's 是否办理电子签章
 * 是: orders.seal; a product with 签章费 in its breakdown, 湖南's): its
 * seal as a seal_items row (the seal's part of the price): a 机构证书's
 * 机构章 (kind org), a 个人证书's 个人印章 (kind person, sql/125), which
 * hall_sealprod_intent then makes as a 电子签章申请's 机构章 is made,
 * listing the order's certificate.  want NULL (production:
 * hall_sealprod_intent): when the order has no such row yet, the red
 * impression cut out of the uploaded 电子签章采集表 (style cutout) or, when it
 * is a PDF or holds no red, the seal drawn from the order's subject (the
 * unit's name along the ring, the person's name in the square: style auto).  want "cutout" or
 * "auto" (the operator's choice on 电子印章管理): that picture, made or made anew while the seal is
 * not.  Audited (seal_item bundle).  HALL_OK also for an order without the 电子签章 when want is
 * NULL; HALL_CONFLICT with *msg; HALL_ERR the store (logged).  Draws only in a program that links
 * libhallseal (the weak references below).
 */
int hall_sealprod_bundle(struct hall_ctx *cx, int64_t order_id, const char *want, const char *actor,
                         const char **msg);

/*
 * The re-make (docs/modules/seal.md, "When the signer's certificate is
 * replaced"): when a certificate that signs seals is replaced by a new one
 * (补办, 更新, 变更, 解锁), every valid seal listing the old certificate is
 * made again on the new one, with the same name, kind and picture, free and
 * without review; the old seal becomes 'replaced'.  After a 变更 (rn, below),
 * the new certificate's organisation: a 机构章's or
 * 业务章's name is then made from it as at production (org + 印章名称), and
 * its picture, when the hall drew it (style 'auto'), is drawn again with
 * that name in step 2 (hall_sealimg_render); a cut-out of the applicant's
 * impression is kept.  The same three steps as the production that makes the new certificate
 * (hall_produce_onto), so that it happens exactly once, with it:
 *   1. in the intent transaction: the seals of old_serial (*out NULL: none);
 *   2. after signing the new certificate: the new SESeals, listing it;
 *   3. in the transaction that stores it: the old seals replaced, the new
 *      ones stored, both audited; *made says how many (a seal an operator
 *      revoked meanwhile is not made again).
 */
struct hall_sealremake;
/* What draws a seal's picture for the re-make after a 变更 of the name is
 * hall_sealimg_render, in libhallseal (cairo, pango: core/local.am), which
 * not every program links although every module links sealprod.o (through
 * flow.c's statements).  sealrename.c refers to it weakly: a program whose
 * modules/list "link ... SEAL" line gives it libhallseal has it (the
 * generated modules/local.am links those programs with HALL_SEAL_LINKFLAGS,
 * which asks the linker for it), any other has none, and there a re-make
 * that must draw fails (logged) rather than keep the old name's picture. */
/*
 * A 变更 (rn non-NULL, rn->org the new certificate's organisation): besides
 * the seals the old certificate signs, each valid 机构业务章 of the seal
 * orders whose 机构证书 it is or replaced (sql/100: cert_seal_orders) and
 * whose own certificate names another unit is made again too: in step 1 an
 * intent for a new certificate of its own (CN 机构名称 + 印章名称, O rn->org,
 * rn->uscc; its old one's CA and end; order_id rn->order_id, the replacing
 * order), between steps 1 and 2 its key born on the medium the change is
 * produced onto (hall_sealprod_remake_keys, below: no key is ever made in
 * the hall), in step 2 that certificate, certified for that key, and the
 * seal listing it, in step 3 the certificate stored with the medium's
 * serial (key_origin 'medium', no PKCS#12), the old seal replaced and the
 * old certificate revoked as superseded.  *made counts the seals re-made on
 * the new certificate, *renamed the 业务章 made on new certificates of their
 * own.  no_own: the seals the old certificate signs only (a change made
 * without a medium to bear the 业务章' keys; the 证书助手's 变更,
 * core/biz/medium_renew.c): those 业务章 stay on their own certificates.
 */
struct hall_sealrename {
    const char *org, *uscc, *actor;
    int64_t order_id;
    int no_own;
};
/*
 * The seal register's writes of the applicant's pages and the consoles
 * (modules/seal, modules/pki): this file owns seal_items and seseals
 * (docs/architecture.md, "Who owns each table").  In the caller's
 * transaction; HALL_ERR on database failure.
 *   item_put       a seal row of an order's 签章信息 (order_id, kind, position),
 *                  new or edited: a 抠图 picture kept while the style stays
 *                  cutout; holder_enc, png, phone_idx may be HALL_NULLP
 *   items_prune    the order's rows not in keep ("kind:position,...")
 *   item_image     a new cut-out, waiting for its applicant's 确认
 *   item_confirm   the cut-out confirmed; HALL_CONFLICT when it has none
 *   holder_code_*  a 机构个人章 holder's phone check: the code's MAC, its
 *                  life and the phone's blind index stored; a wrong try
 *                  counted; the phone verified
 * seseal_revoke: a valid seal 注销 (reason, actor), with cert_serial its
 * certificate's approved revocation (the seal that lists it), without it
 * the seal alone while it has no issued certificate of its own; RETURNING
 * order_id, cert_serial (and order_no alone); no row when it is not so.
 */
int hall_seal_item_put(struct hall_ctx *cx, int64_t order_id, const char *kind, int position,
                       int64_t product_id, int years, const char *style, const char *name,
                       struct hall_dbparam holder_enc, int64_t price_fen, struct hall_dbparam png,
                       struct hall_dbparam phone_idx);
int hall_seal_items_prune(struct hall_ctx *cx, int64_t order_id, const char *keep);
int hall_seal_item_image(struct hall_ctx *cx, int64_t id, const unsigned char *png, size_t len);
int hall_seal_item_confirm(struct hall_ctx *cx, int64_t id);
int hall_seal_holder_code_store(struct hall_ctx *cx, int64_t id, const unsigned char mac[32],
                                long ttl_s, const unsigned char idx[32]);
int hall_seal_holder_code_fail(struct hall_ctx *cx, int64_t id);
int hall_seal_holder_verified(struct hall_ctx *cx, int64_t id, const unsigned char idx[32]);
struct hall_dbres *hall_seseal_revoke(struct hall_ctx *cx, const char *es_id, const char *reason,
                                      const char *actor, const char *cert_serial);
int hall_sealprod_remake_intent(struct hall_ctx *cx, const char *old_serial,
                                const struct hall_sealrename *rn, struct hall_sealremake **out);
int hall_sealprod_remake_sign(struct hall_ctx *cx, struct hall_sealremake *rm,
                              const char *new_serial, const unsigned char *cert, size_t cert_len,
                              time_t cert_na);
int hall_sealprod_remake_store(struct hall_ctx *cx, struct hall_sealremake *rm, const char *pin,
                               const char *actor, int *made, int *renamed);
/* after the commit: the CRL of each CA whose certificate step 3 revoked,
 * but done's (refreshed by the caller already) */
void hall_sealprod_remake_crls(struct hall_ctx *cx, struct hall_sealremake *rm, const char *done);
void hall_sealprod_remake_free(struct hall_sealremake *rm);
/* onto a medium (core/biz/produce.c's medium_born), as hall_sealprod_keys:
 * the renamed 业务章' CNs and labels (their new seals' codes), at most max
 * (-1 when more); _keys_born: the public keys the medium made for them
 * (rm takes them) and their requests' SHA-256, in that order, the proof of
 * possession checked at pop_at; _certs: their certificates signed in step
 * 2, for hall_medium_write_keys; _void: their intents voided (a medium that
 * failed), inside the caller's transaction */
int hall_sealprod_remake_keys(const struct hall_sealremake *rm, const char **cns,
                              const char **labels, int max);
int hall_sealprod_remake_keys_born(struct hall_sealremake *rm, const char *mserial, time_t pop_at,
                                   EVP_PKEY **pubs, const char **sha256s);
int hall_sealprod_remake_certs(const struct hall_sealremake *rm, const unsigned char **ders,
                               size_t *lens);
int hall_sealprod_remake_void(struct hall_ctx *cx, const struct hall_sealremake *rm,
                              const char *actor);

extern const struct hall_stmt hall_sealprod_stmts[];

#endif
