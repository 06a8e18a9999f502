/*
 * core/pki/medium.c: the production station's media, USB keys reached
 * through PKCS#11 (docs/internals/pki.md, "Production onto a medium").  The
 * key pair of a certificate made onto a medium is born in the medium and
 * never leaves it; the hall sees its public key, in a certificate request
 * the medium signed.  Included by pki/pki.h.
 */
#ifndef HALL_PKI_MEDIUM_H
#define HALL_PKI_MEDIUM_H

#include <stddef.h>

#include <openssl/types.h>

struct hall_conf;
struct hall_pool;

/* a medium serial: 16 upper-case hex digits, the token label it gets */
#define HALL_MEDIUM_SERIAL_LEN 16
/* key pairs one medium gets at one production: the order's certificate's
 * and its seals' (a 机构业务章's each: at most 8 an order) */
#define HALL_MEDIUM_KEYS 10

/* what a medium says of itself after its key was born */
struct hall_medium_born {
    unsigned char *csr; /* the certificate request it signed (DER, in pool) */
    size_t csr_len;
    char token_serial[17]; /* CK_TOKEN_INFO.serialNumber, trimmed */
    char model[66];        /* manufacturerID and model, trimmed */
};

/* 1 when conf names a medium station (medium_module) */
int hall_medium_station(const struct hall_conf *conf);
/*
 * A blank medium (a token present and not initialised) of the station
 * initialised: label serial, SO PIN so_pin, user PIN pin; an ECDSA P-256
 * key pair generated in it (CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE true,
 * CKA_EXTRACTABLE false, read back with CKA_LOCAL, CKA_ALWAYS_SENSITIVE and
 * CKA_NEVER_EXTRACTABLE), and a certificate request for cn signed by that
 * key in the medium (C_Sign).  HALL_ERR with err: *touched says whether the
 * medium was initialised (to be wiped), 0 when none was found.
 */
int hall_medium_prepare(struct hall_pool *pool, const struct hall_conf *conf, const char *serial,
                        const char *so_pin, const char *pin, const char *cn,
                        struct hall_medium_born *born, int *touched, char *err, size_t errlen);
/* the same with nkeys key pairs on the one medium, each with CKA_ID k + 1
 * and CKA_LABEL labels[k], each signing a request for cns[k]: born[k] (the
 * first is the order's certificate's, label "hall") */
int hall_medium_prepare_keys(struct hall_pool *pool, const struct hall_conf *conf,
                             const char *serial, const char *so_pin, const char *pin,
                             const char *const *cns, const char *const *labels, int nkeys,
                             struct hall_medium_born *born, int *touched, char *err, size_t errlen);
/*
 * The proof of possession: csr is a DER certificate request whose signature
 * its own public key verifies, and that key is an EC P-256 one.  Its public
 * key (the caller frees it), *sha256 the request's SHA-256 in hex (pool);
 * NULL with err.
 */
EVP_PKEY *hall_medium_csr_check(struct hall_pool *pool, const unsigned char *csr, size_t len,
                                const char **sha256, char *err, size_t errlen);
/*
 * The certificate der (issued by the CA ca_name) and its chain (that CA's
 * certificate, its root) written onto the medium labelled serial, logged in
 * with pin; the holder's certificate with the CKA_ID of the key pair.
 * HALL_ERR with err.
 */
int hall_medium_write(struct hall_pool *pool, const struct hall_conf *conf, const char *serial,
                      const char *pin, const char *ca_name, const unsigned char *der,
                      size_t der_len, char *err, size_t errlen);
/* the same for the nkeys certificates of hall_medium_prepare_keys' key
 * pairs (ders[k] beside key pair k, labelled labels[k]), then their CA's
 * chain once (all of ca_name) */
int hall_medium_write_keys(struct hall_pool *pool, const struct hall_conf *conf, const char *serial,
                           const char *pin, const char *ca_name, const unsigned char *const *ders,
                           const size_t *lens, const char *const *labels, int nkeys, char *err,
                           size_t errlen);
/* the medium labelled serial wiped: C_InitToken again with its SO PIN (every
 * object gone, no user PIN), its label kept.  HALL_ERR with err when it
 * cannot be (removed, the SO PIN refused) */
int hall_medium_wipe(const struct hall_conf *conf, const char *serial, const char *so_pin,
                     char *err, size_t errlen);

#endif
