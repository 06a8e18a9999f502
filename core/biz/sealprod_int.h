/*
 * sealprod_int.h: what sealprod.c (the seals made with an order's
 * certificate) shares with sealrename.c (their re-make when that
 * certificate is replaced) and sealcsr.c (a seal's certificate for a key
 * born in a browser), and what sealcsr.c shares with sealhold.c and
 * sealbiz.c; nothing else uses it.  Not part of biz.h's API.
 */
#ifndef HALL_SEALPROD_INT_H
#define HALL_SEALPROD_INT_H

#include "biz/biz.h"

/* characters of a UTF-8 string */
size_t hall_sealprod_chars(const char *s);
/* the seal maker's key and certificate loaded (hall_seseal_load), before
 * seals are signed; HALL_ERR logged */
int hall_sealprod_signer_ready(struct hall_ctx *cx);
/* what a seal's SESeal says besides its type, name and picture: the one
 * signer's certificate (certs, lens), made now, valid from start to end */
void hall_sealprod_seal_in(struct hall_seseal_in *in, const char *es_id,
                           const unsigned char *const *certs, const size_t *lens, time_t now,
                           time_t start, time_t end);

/* ---- sealcsr.c: a seal's certificate for a key born in a browser ---- */

/* one request's state: the caller fills cx, es_id, actor, msg, field,
 * seal_type, what and made_stmt; its judge the rest of the seal's row */
struct hall_sealcsr {
    struct hall_ctx *cx;
    const char *es_id, *actor, **msg, **field;
    int seal_type;         /* the SESeal's: 1 单位印章, 2 个人印章 */
    const char *what;      /* the log's name of the request */
    const char *made_stmt; /* a statement on item_id stored with the seal, or NULL */
    int64_t order_id, item_id;
    int position, years;
    const char *ca, *alg, *ca_pem, *cn, *org, *uscc, *ric, *sha256;
    unsigned char *png;
    size_t png_len;
    char serial[17];
    time_t nb, na;
    EVP_PKEY *pub;
    X509 *x;
};
/* es_id as SZCA + 12 digits + kind + 2 digits: order_id and position set */
int hall_sealcsr_es_parse(struct hall_sealcsr *k, char kind);
/* alg and ca_pem of the CA named k->ca; HALL_ERR (alg NULL) unknown */
int hall_sealcsr_ca(struct hall_sealcsr *k);
/* outside a transaction: judge (inside one, begun: the seal's row locked,
 * read and judged, item_id, ca, alg, cn, org, uscc, years and png set)
 * then the request's proof of possession, the intent, the certificate and
 * the SESeal signed and stored, out filled; the intent voided when it is
 * not stored.  judge's refusal, HALL_SEALHOLD_BAD for a bad request,
 * HALL_CONFLICT (*msg) when it cannot be stored now, HALL_ERR on failure */
int hall_sealcsr_run(struct hall_sealcsr *k, int (*judge)(struct hall_sealcsr *k, void *arg),
                     void *arg, const unsigned char *csr, size_t csr_len,
                     struct hall_sealhold_out *out);

#endif
