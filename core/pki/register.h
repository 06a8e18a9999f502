/*
 * core/pki/register.h: the certificate register's rows (register.c), in
 * the caller's transaction.  Included by pki.h.
 */
#ifndef HALL_PKI_REGISTER_H
#define HALL_PKI_REGISTER_H

#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

struct hall_ctx;
struct hall_dbres;

/*
 * The certificates' rows (ca.c owns the table; docs/architecture.md, "Who
 * owns each table"), in the caller's transaction:
 *   cert_intent   a serial reserved for an order (production,
 *                 core/biz/produce.c): from `from` (0: now) for `years`,
 *                 or to `until` (0: none); with item_id > 0 a seal's own
 *                 certificate (core/biz/sealprod.c): now + years, or now
 *                 to until (a renamed seal's); ON CONFLICT no row;
 *                 RETURNING not_before_epoch, not_after_epoch
 *   cert_store    the intent issued: its DER and the encrypted medium
 *                 (seal: a seal's own, with the holder's code hash or
 *                 NULL); no row when it is no longer an intent
 *   cert_store_medium  the intent issued onto a medium (core/pki/medium.c):
 *                 its DER and the medium's serial, no PKCS#12, key_origin
 *                 'medium' and pop_at (epoch) when the hall checked the
 *                 request the medium signed; no row when it is no longer
 *                 an intent
 *   cert_void     an intent never stored: a seal's new certificate (revoked
 *                 meanwhile), a certificate whose medium failed
 *   cert_medium_destroy  the medium's only copy gone (core/biz/custody.c):
 *                 why; no row when it was gone already
 *   medium_code_fail  a wrong code for a 机构个人章 holder's own download
 *                 (modules/seal), counted on the certificate
 * NULL / HALL_ERR on database failure.
 */
struct hall_dbres *hall_cert_intent(struct hall_ctx *cx, const char *serial, int64_t order_id,
                                    int64_t item_id, const char *ca, const char *cn,
                                    const char *org, int years, int64_t until, int64_t from);
/* hall_cert_intent under a serial drawn (hall_pki_serial_draw, again when
 * taken, five times at most) and its audit row by actor, in the caller's
 * transaction: HALL_OK, serial, *nb and *na the intent's validity;
 * HALL_ERR on failure */
int hall_cert_intent_drawn(struct hall_ctx *cx, char serial[17], int64_t order_id, int64_t item_id,
                           const char *ca, const char *cn, const char *org, int years,
                           int64_t until, int64_t from, const char *actor, time_t *nb, time_t *na);
struct hall_dbres *hall_cert_store(struct hall_ctx *cx, const char *serial,
                                   const unsigned char *der, size_t der_len,
                                   const unsigned char *p12_enc, size_t enc_len, int seal,
                                   const unsigned char *code_hash);
struct hall_dbres *hall_cert_store_medium(struct hall_ctx *cx, const char *serial,
                                          const unsigned char *der, size_t der_len,
                                          const char *medium, int64_t pop_at);
struct hall_dbres *hall_cert_store_browser(struct hall_ctx *cx, const char *serial,
                                           const unsigned char *der, size_t der_len);
/* one certificate a public key (sql/192): the SHA-256 of pub's SPKI (DER);
 * the intent serial claims it before anything is signed: HALL_CONFLICT when
 * any certificate or intent has it (roll back), HALL_ERR on failure */
int hall_pki_spki_sha256(EVP_PKEY *pub, unsigned char out[32]);
int hall_cert_spki_claim(struct hall_ctx *cx, const char *serial, EVP_PKEY *pub);
/* a medium's key its holder's assistant reported: key_attested false (sql/193) */
int hall_cert_key_unattested(struct hall_ctx *cx, const char *serial);
int hall_cert_void(struct hall_ctx *cx, const char *serial, const char *actor);
struct hall_dbres *hall_cert_medium_destroy(struct hall_ctx *cx, const char *serial,
                                            const char *why);
int hall_medium_code_fail(struct hall_ctx *cx, const char *serial);

#endif
