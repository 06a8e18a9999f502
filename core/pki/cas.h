/*
 * core/pki/cas.h: the issuing CAs as the CA loads them (cas.c), read by
 * crl.c and ocsp_answer.c.  Included by pki.h, at its end.
 */
#ifndef HALL_PKI_CAS_H
#define HALL_PKI_CAS_H

/* ---- inside core/pki: the issuing CAs (cas.c) as ca.c loads them, read
 * by crl.c and ocsp_answer.c (no other layer uses these) -------------- */

#define HALL_PKI_OCSP_VALID_S 3600
/*
 * OCSP status cache: a worker answers an 'issued' (or final 'revoked' or
 * 'void') certificate from what it read at most HALL_PKI_OCSP_STATUS_MS ago, without
 * asking the database.  A revocation stays visible at once, on every host:
 * hall_pki_revoke holds the serial's advisory lock (pki_ocsp_hold) from
 * before its UPDATE until its commit, and its transaction does not commit
 * (hall_db_commit_after) before HALL_PKI_OCSP_HOLD_MS after taking it, so that the
 * revocations of one transaction wait once together; a worker's read
 * (ocsp_cert_status, sql/030_ocsp_status.sql) takes that lock shared and
 * then reads.  A read that ended before the lock was taken expires before
 * the commit; one that started after waits for the commit and sees
 * 'revoked'.  The margin covers the clocks of two hosts running at slightly
 * different rates (both are CLOCK_MONOTONIC durations).
 */
#define HALL_PKI_OCSP_STATUS_MS 500
#define HALL_PKI_OCSP_HOLD_MS   (HALL_PKI_OCSP_STATUS_MS + 150)

struct hall_pki_ca {
    const char *name; /* ecc, sm2: certificates.ca, /pki/NAME.crt */
    const char *alg;  /* ecdsa, sm2: the JSON of /pki/ */
    int sm2;
    X509 *cert;
    EVP_PKEY *key; /* HALL_PKI_CA_KEYS only */
    X509 *ocsp_cert;
    EVP_PKEY *ocsp_key; /* HALL_PKI_OCSP_KEYS only */
    char *pem;          /* the certificate as published */
    /* made once at load, not per OCSP request (OpenSSL 3's fetches cost
     * more than the signature): the CA's CertIDs by SHA-1 and SHA-256, and
     * an initialised signing context of the OCSP signer to copy */
    OCSP_CERTID *id_sha1, *id_sha256;
    EVP_MD_CTX *ocsp_sign;
    /* the issuer name and key hashes of those CertIDs, compared with a
     * request's; ocsp_token: the signer's key is the token's (signed with
     * hall_token_ecdsa over a SHA-256 made here) */
    unsigned char name_sha1[20], key_sha1[20], name_sha256[32], key_sha256[32];
    int ocsp_token;
    /* the CA's own key (the token's), HALL_PKI_OCSP_KEYS when the OCSP
     * signer is in the token: it certifies each worker's short-lived
     * responder key (ocsp_answer.c, delegate_make); responder_s its life */
    EVP_PKEY *ocsp_issuer;
    long responder_s;
    /* the certificate this CA issued to the hall itself and not through an
     * order (sm2: seal-maker.crt, which signs every SESeal): its serial's
     * bytes, answered good by OCSP without the database */
    const char *own_name;
    unsigned char own_serial[20];
    size_t own_len;
};
/* ecc, sm2, then a NULL name */
extern struct hall_pki_ca hall_pki_cas[];
struct hall_pki_ca *hall_pki_ca_find(const char *name);
/* a digest-sign context for key: SHA-256, or SM3 with the GM/T signer ID */
EVP_MD_CTX *hall_pki_sign_ctx(EVP_PKEY *key, int sm2);
int64_t hall_pki_mono_ms(void);
/* is id the certificate ca issued to the hall itself (own_name)? */
int hall_pki_own_is(const struct hall_pki_ca *ca, const struct hall_ocsp_certid *id);
/* ocsp_answer.c: what ca.c's load makes once per CA for the OCSP answers */
int hall_pki_ocsp_parts_load(struct hall_pki_ca *ca);
int hall_pki_ocsp_hashes_load(struct hall_pki_ca *ca);

#endif
