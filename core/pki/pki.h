/*
 * core/pki: the certificate authority.  The CA hierarchy's certificates and
 * keys, a certificate for a subject's public key, the production station's
 * media (medium.c), revocation, CRLs and OCSP answers; the GB/T 38540 electronic seal (SESeal)
 * and the seal pictures.  It signs and answers; what an order becomes when
 * its certificate is made is core/biz's (hall_produce_onto).  Uses core/base
 * and core/store.
 *
 * sealimg.c draws with cairo and pango and lives in its own library,
 * libhallseal (core/local.am), so that only the programs that draw seals link
 * them; its declarations are here with the rest of the CA's.
 */
#ifndef HALL_PKI_H
#define HALL_PKI_H

#include <stdio.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/types.h>
#include <openssl/x509.h>

#include "store/store.h"

/* ---- ca.c: the CA back office (docs/internals/pki.md); crl.c its CRLs,
 * ocsp_answer.c its OCSP answers ----------------------------------------- */

#define HALL_PKI_CA_KEYS    1u /* issuing CA keys: issue, revoke, CRLs */
#define HALL_PKI_OCSP_KEYS  2u /* the delegated OCSP signers' keys */
#define HALL_PKI_AUDIT_KEY  4u /* the audit key (hall_pki_key "audit"), and its certificate */
#define HALL_PKI_AUDIT_CERT 8u /* the audit certificate only (hall-audit verify) */

/* certificates of conf's pki_dir and the keys asked for, once per process:
 * the ECDSA CA keys from the PKCS#11 token when conf names one
 * (pkcs11_module), the SM2 ones from pki_dir (encrypted, pki_pass_file).
 * A wrong token PIN fails here, with err saying so. */
int hall_pki_load(const struct hall_conf *conf, unsigned what, char *err, size_t errlen);
/* a CA private key by its name in pki_dir (root, ecc, ecc-ocsp, audit, tsa, sm2-root,
 * sm2, sm2-ocsp, seal-maker): the token's for root, ecc, ecc-ocsp, audit and tsa
 * when a token is configured, the encrypted file NAME.key otherwise; NULL
 * with err.  hall_pki_load, hall_seseal_load or hall_pki_keys_conf first.
 * The caller frees it. */
EVP_PKEY *hall_pki_key(const char *name, char *err, size_t errlen);
/* the certificate DIR/NAME.crt (PEM), NULL when it cannot be read; *pem,
 * when pem is not NULL, the file's text (malloc'd, kept by the caller) */
X509 *hall_pki_cert_load(const char *dir, const char *name, char **pem);
/* where hall_pki_key finds the keys: conf's pki_dir, pki_pass_file and
 * token (hall_pki_load and hall_seseal_load call it; once per process) */
int hall_pki_keys_conf(const struct hall_conf *conf, char *err, size_t errlen);
/* hall-pkitool ceremony: the ECDSA hierarchy made in the token (root, ecc,
 * ecc-ocsp, audit, tsa) and its certificates written to pki_dir; the
 * certificates' SHA-256 fingerprints to out; audited as actor.  HALL_OK when
 * made, HALL_CONFLICT when a complete hierarchy was there already (nothing
 * changed), HALL_ERR with err when refused or failed (nothing overwritten) */
int hall_pki_ceremony(struct hall_ctx *cx, const struct hall_conf *conf, const char *actor,
                      FILE *out, char *err, size_t errlen);
int hall_pki_ca_count(void);
/* name (ecc, sm2), algorithm (ecdsa, sm2), PEM of issuing CA i */
int hall_pki_ca_info(int i, const char **name, const char **alg, const char **pem);
const char *hall_pki_root_pem(void);
/* the ECDSA root's certificate (hall_pki_load), NULL before */
X509 *hall_pki_root_cert(void);
/*
 * 下载证书's chain (modules/center): the certificate der (issued by the CA
 * ca_name, certificates.ca) with its CA's certificate and that CA's root,
 * as PEM (the three concatenated) or, p7b, as PKCS#7 certs-only (DER),
 * in pool.  HALL_ERR when der is not a certificate, the CA is not loaded
 * (hall_pki_load) or OpenSSL fails: a fault of the hall, not of the request.
 */
int hall_pki_chain(struct hall_pool *pool, const char *ca_name, const unsigned char *der,
                   size_t der_len, int p7b, unsigned char **out, size_t *out_len);
const char *hall_pki_sm2_root_pem(void);
/* a certificate's subject in words: its CN, with O when that differs */
const char *hall_pki_subject_text(struct hall_pool *pool, const char *cn, const char *org);
/* inside the caller's transaction: issued -> revoked with an RFC 5280
 * reason code, audited; *ca names the CRL to refresh after COMMIT
 * (hall_pki_crl_refresh).  The transaction's hall_db_commit then waits
 * until the OCSP workers' cached answers about the serial have expired
 * (hall_db_commit_after; once for all its revocations).  HALL_CONFLICT
 * when not an issued serial.  Called through hall_revoke_cert (core/biz/
 * approval.c), which closes the four-eyes requests the revocation makes moot */
int hall_pki_revoke(struct hall_ctx *cx, const char *serial, int reason, const char *actor,
                    const char **ca);
/* outside a transaction: a new CRL when force, stale or missing a revocation;
 * ca an issuing CA's name or HALL_PKI_ROOT_CRL, the root's CRL (an ARL:
 * the root key, taken from the token at its first use in the process) */
int hall_pki_crl_refresh(struct hall_ctx *cx, const char *ca, int force);
#define HALL_PKI_ROOT_CRL "root"
/* the root's CRL is re-signed at most this often when asked for one made
 * at or after a time (hall_pki_crl_fresh), and by the tick when older */
#define HALL_PKI_ARL_REFRESH_S 600
/* as hall_pki_crl_refresh, and a new one also when the stored CRL's
 * thisUpdate is before after (a stamp's timestamp, epoch seconds, not in
 * the future nor older than HALL_PKI_ARL_REFRESH_S: else ignored): at most
 * one new CRL a second, whoever asks (docs/internals/stamp.md §1a) */
int hall_pki_crl_fresh(struct hall_ctx *cx, const char *ca, time_t after);
unsigned char *hall_pki_crl_get(struct hall_ctx *cx, const char *ca, size_t *len);
/* 1 when the issuing CA keys are loaded (hall_pki_load with HALL_PKI_CA_KEYS) */
int hall_pki_can_sign(void);
/* HALL_OK when the token's keys can sign now (or no token is configured);
 * else HALL_ERR, the cause logged as "pkcs11: what: why" (at most every
 * 30 s a process); a token that failed is asked again after a second */
int hall_pki_token_ready(const char *what);
/* the profile of a seal's own certificate (a 机构业务章's, a 机构个人章's):
 * fit for signing documents (docs/internals/pki.md, "Certificate profiles") */
#define HALL_PKI_PROFILE_SEAL "seal"
/* a certificate of the issuing CA ca_name for a key pair made outside the
 * hall (a medium's, core/pki/medium.c; a browser's, core/biz/produce_csr.c:
 * the hall makes no subscriber key, issue 64 §4): pub, its public key,
 * certified (not taken); NULL when that CA cannot sign or the profile is
 * none of ca.c's; nb, na its validity; profile the order's cert_type (org,
 * org_person, person, org_business) or HALL_PKI_PROFILE_SEAL; cn, org,
 * uscc, ric the subject's parts (org and uscc may be "", ric is hashed into
 * the subject, never written) */
X509 *hall_pki_cert_for(struct hall_ctx *cx, const char *ca_name, const char *serial, time_t nb,
                        time_t na, const char *profile, const char *cn, const char *org,
                        const char *uscc, const char *ric, EVP_PKEY *pub);
unsigned char *hall_pki_der(struct hall_pool *pool, X509 *x, size_t *len);
/* intents older than min_age_s -> void (listed revoked); how many, -1 on error */
int hall_pki_reconcile(struct hall_ctx *cx, long min_age_s);
/* hall-outbox's periodic work for the CA: reconcile, then the CRLs that
 * are stale (no production: none without an operator, sql/162; the audit log's
 * anchors and marks, core/pki/auditanchor.c, are the outbox's own calls) */
int hall_pki_tick(struct hall_ctx *cx);
/* whether this process loaded the audit key (HALL_PKI_AUDIT) */
int hall_pki_audit_ready(void);
/* what an OCSP answer is and how long it stands (RFC 5019 6.2) */
struct hall_ocsp_meta {
    const char *outcome; /* good, revoked, unknown, malformed, busy, internal */
    /* the answer's times (0 for an unsigned error status) */
    time_t this_update, next_update, produced;
    /* an answer without a nonce about one certificate of ours: the same
     * bytes are answered to the same request until reuse_until (0 for
     * every other answer), and etag names them */
    time_t reuse_until;
    char etag[33];
};
/* a DER OCSP request -> a DER OCSP response (always one, possibly an error status) */
unsigned char *hall_pki_ocsp_answer(struct hall_ctx *cx, const unsigned char *in, size_t inlen,
                                    size_t *outlen, struct hall_ocsp_meta *meta);
/* a new certificate serial: 16 upper-case hex digits of a random 64-bit
 * positive INTEGER (non-zero first byte) */
void hall_pki_serial_draw(char out[17]);
/* a serial as the hall writes them: 16 upper-case hex digits, case-sensitive
 * as the seed says (712c1b5a584a1bbe is not 712C1B5A584A1BBE); NULL is not */
int hall_pki_serial_ok(const char *serial);
/* keyCompromise -> 1 ...; -1 when unknown */
int hall_pki_reason_code(const char *name);
const char *hall_pki_reason_name(int code);
const char *hall_pki_reason_label(int code);
const char *const *hall_pki_reason_names(void);
extern const struct hall_stmt hall_pki_stmts[];
/* the CRLs' (crl.c) and the audit log's anchors' and marks' (auditanchor.c) */
extern const struct hall_stmt hall_crl_stmts[];
extern const struct hall_stmt hall_auditanchor_stmts[];

/* The audit key (HALL_PKI_AUDIT_KEY): its only use.  An ECDSA P-256
 * signature with SHA-256 (DER, in pool) over msg; HALL_ERR when the key is
 * not loaded.  docs/internals/audit-chain.md */
int hall_pki_audit_sign(struct hall_pool *pool, const unsigned char *msg, size_t len,
                        unsigned char **sig, size_t *siglen);
/* 1 when sig is the audit certificate's signature of msg (HALL_PKI_AUDIT_CERT) */
int hall_pki_audit_verify(const unsigned char *msg, size_t len, const unsigned char *sig,
                          size_t siglen);
/* the SHA-256 of the audit certificate's DER: who signed a seal */
int hall_pki_audit_signer(unsigned char out[32]);

/* ---- tsa_reply.c: the timestamp authority (docs/modules/tsa.md) -------- */

#define HALL_TSA_MAX 4096 /* the largest TimeStampReq read (one is about 60-120 bytes) */
/* tsa.crt from conf's pki_dir (checked: signed by root.crt, critical
 * extendedKeyUsage timeStamping) and, with want_key, the token's key "tsa"
 * and the signing context (tsa_policy, tsa_accuracy_ms); once per
 * process, before fork */
int hall_tsa_load(const struct hall_conf *conf, int want_key, char *err, size_t errlen);
/* tsa.crt's PEM, NULL before hall_tsa_load */
const char *hall_tsa_pem(void);
struct hall_tsa_meta {
    const char *outcome; /* granted, rejected, malformed, internal */
    char serial[41];     /* a granted token's serial, hex */
    char imprint[33];    /* the first 16 bytes of its message imprint, hex */
};
/* a DER TimeStampReq -> a DER TimeStampResp in pool, always one: granted
 * with its token, or rejection with the PKIFailureInfo (badAlg, badRequest,
 * badDataFormat, unacceptedPolicy, unacceptedExtension, systemFailure) */
unsigned char *hall_tsa_answer(struct hall_pool *pool, const unsigned char *in, size_t inlen,
                               size_t *outlen, struct hall_tsa_meta *meta);

#include "pki/auditanchor.h"

/* ---- ocspreq.c: the OCSP request read in place (RFC 6960 4.1.1) ----------- */

#define HALL_OCSP_REQ_MAX 16
/* one CertID of a request: pointers into the request */
struct hall_ocsp_certid {
    const unsigned char *der; /* the whole CertID, as the answer repeats it */
    size_t der_len;
    size_t alg_len;           /* its AlgorithmIdentifier's size (parameters or not) */
    const unsigned char *oid; /* the hash algorithm's OID (content) */
    size_t oid_len;
    const unsigned char *name_hash, *key_hash, *serial; /* contents */
    size_t name_hash_len, key_hash_len, serial_len;
};
struct hall_ocsp_req {
    int n; /* 1..HALL_OCSP_REQ_MAX */
    struct hall_ocsp_certid ids[HALL_OCSP_REQ_MAX];
    /* the first nonce extension's extnValue (the OCTET STRING, whole), or NULL */
    const unsigned char *nonce;
    size_t nonce_len;
    int nonce_critical;
};
/* a DER OCSPRequest into r: HALL_ERR (r emptied) when it is not one (not DER, bytes
 * after it, no request, more than HALL_OCSP_REQ_MAX): malformedRequest */
int hall_ocsp_req_parse(const unsigned char *in, size_t inlen, struct hall_ocsp_req *r);
/* the serial of id as 16 upper-case hex digits (a positive INTEGER of 8
 * bytes, the first not zero); HALL_ERR (out "") for any other */
int hall_ocsp_serial_hex(const struct hall_ocsp_certid *id, char out[17]);

/* ---- token.c: the CA keys in a PKCS#11 token ------------------------------- */

/* the module, token label and PIN (read from pin_file now); SOFTHSM2_CONF set
 * from softhsm_conf when not empty.  An empty module: no token. */
int hall_token_configure(const char *module, const char *label, const char *pin_file,
                         const char *softhsm_conf, char *err, size_t errlen);
/* the same with the PIN itself (hall-stamp: asked on the terminal or read
 * from a file descriptor, never written to a file) */
int hall_token_configure_pin(const char *module, const char *label, const char *pin,
                             const char *softhsm_conf, char *err, size_t errlen);
int hall_token_configured(void);
const char *hall_token_label(void);
/* opens this process's session and logs in: HALL_ERR with err (a wrong PIN says so) */
int hall_token_check(char *err, size_t errlen);
/* the key pair labelled label as an EVP_PKEY whose signatures the token makes */
EVP_PKEY *hall_token_key(const char *label, char *err, size_t errlen);
/* the labels of the token's private keys (at most max, logged in): the
 * holder's USB key, whose key pair for a seal is found by its certificate
 * whatever its label (hall-stamp sign --token); -1 with err */
int hall_token_key_labels(char labels[][64], int max, char *err, size_t errlen);
/* the same without asking the token: the public key of cert (the key pair's
 * certificate), signing through the token labelled label once it answers
 * (hall_pki_load while the token is away) */
EVP_PKEY *hall_token_key_cert(const char *label, X509 *cert, char *err, size_t errlen);
/* 1 when this process's last opening of the token was refused for its PIN
 * (not tried again by this process) */
int hall_token_refused(void);
/* why the token cannot be opened, logged as "pkcs11: what: why" at err
 * level, again after 30 s or when the cause changes; nothing when it opens */
void hall_token_log_away(const char *what);
/* the DER ECDSA-Sig-Value of the digest dgst by key when key is one of
 * hall_token_key's (C_Sign, no EVP machinery): 1 signed (*siglen set; sig
 * has at least ECDSA_size bytes, *siglen says how many), 0 when key is not
 * the token's, -1 when the token fails */
int hall_token_ecdsa(EVP_PKEY *key, const unsigned char *dgst, size_t dlen, unsigned char *sig,
                     size_t *siglen);
#ifdef HALL_UNITTEST
/* 1 when this process signs with label through a session copy of its private
 * key (made at its first use, inside the module), 0 when through the token
 * object (the module refused the copy), -1 when there is no such key */
int hall_token_session_copy(const char *label);
#endif
/* token objects (private and public keys) labelled label; -1 when the token cannot be opened */
int hall_token_has(const char *label);
/* a new ECDSA P-256 key pair labelled label, made in the token, not
 * extractable, allowed to sign (and verify) only */
EVP_PKEY *hall_token_keygen(const char *label, char *err, size_t errlen);
/* the key pair labelled label restricted to signing: every other use
 * (decrypt, unwrap, sign-recover, derive; encrypt, wrap on the public key)
 * set false.  1 when something was set, 0 when it was sign-only already,
 * -1 when the token refuses (err says which) */
int hall_token_sign_only(const char *label, char *err, size_t errlen);
/* finalizes this process's session (before fork: each process opens its own) */
void hall_token_release(void);

/* ---- sealimg.c: seal pictures -------------------------------------------- */

/* the kinds of seal of seed 001; the numbers are SES_ESPropertyInfo.type's
 * 1 (机构印章) and 2 (个人印章) for the ends of the range */
enum hall_seal_kind {
    HALL_SEAL_ORG = 1,      /* 机构章: the unit's official seal */
    HALL_SEAL_BUSINESS = 2, /* 机构业务章: 合同专用章, 财务专用章 ... */
    HALL_SEAL_PERSON = 3,   /* 机构个人章: a person's square seal */
};

/* longest organisation name along the arc, seal name below the star, and
 * person's name in a square seal, in characters */
#define HALL_SEAL_ORG_MAX    30
#define HALL_SEAL_NAME_MAX   12
#define HALL_SEAL_PERSON_MAX 6
/* the picture: square, px, and the printed size it stands for, mm */
#define HALL_SEAL_PX 400
#define HALL_SEAL_MM 42

/* what the drawing measured, so that a test can see the text fits */
struct hall_sealimg_fit {
    double ring_inner_r; /* inner edge of the red ring, px from the centre */
    double text_outer_r; /* farthest ink of the arc text from the centre */
    double min_gap;      /* smallest gap between neighbouring arc glyphs' ink, px (< 0: overlap) */
    double arc_font_px;  /* the size the arc text was drawn at */
    double name_half_w;  /* half the width of the seal name's ink */
    double name_room;    /* half the chord inside the ring at the name's line */
    int glyphs;          /* characters on the arc */
    int unknown_glyphs;  /* characters the font could not draw (0 with a CJK font) */
};

/*
 * Whether org is an organisation name a round seal can carry along its arc
 * as far as its length goes: valid UTF-8 of 1..HALL_SEAL_ORG_MAX
 * characters.  hall_sealimg_render refuses any other (its font's glyphs it
 * checks as it draws); here, in libhall, so that a program without the
 * drawing (modules/change) refuses by the same rule.
 */
int hall_seal_org_drawable(const char *org);
/*
 * The characters of org the round seal's arc cannot draw: no installed font
 * has their glyph (pango's unknown glyphs, laid out as hall_sealimg_render
 * lays them, which refuses such a name).  0 when every one can be drawn,
 * else their number and the first of them in bad (UTF-8, when it fits);
 * -1 when org is not drawable at all (hall_seal_org_drawable).  In
 * libhallseal: a program that checks a name this way links the drawing.
 */
int hall_sealimg_org_glyphs(const char *org, char *bad, size_t badlen);
/* the longest text hall_sealimg_glyphs asks about, in characters */
#define HALL_SEAL_TEXT_MAX 64
/*
 * The same for any text a seal draws (a seal's name, a person's name): the
 * characters the seal font lacks, as every part of the drawing uses the
 * one font; -1 when text is not UTF-8 of 1..HALL_SEAL_TEXT_MAX characters.
 */
int hall_sealimg_glyphs(const char *text, char *bad, size_t badlen);
/* HALL_OK when pango finds a font that draws Chinese; err says which is missing */
int hall_sealimg_check(char *err, size_t errlen);
/*
 * Draws a seal as a PNG of HALL_SEAL_PX square on a transparent background:
 * round (ORG, BUSINESS): the red ring, org along the upper arc, the star,
 * name below it; square (PERSON): the person's name (+ 之印 / 印).  NULL
 * when a text is empty, too long or cannot be drawn.  fit may be NULL.
 */
unsigned char *hall_sealimg_render(struct hall_pool *pool, enum hall_seal_kind kind,
                                   const char *org, const char *name, size_t *len,
                                   struct hall_sealimg_fit *fit);
/*
 * The red ink of a photographed or scanned impression (JPEG, PNG, BMP or
 * GIF) as a PNG: red kept, everything else transparent, cropped to the
 * seal, at most HALL_SEAL_PX on its longer side.  NULL with *err (Chinese,
 * for the applicant) when the image cannot be read, is not whole
 * (hall_sealimg_whole) or holds no red seal.
 */
unsigned char *hall_sealimg_cutout(struct hall_pool *pool, const unsigned char *img, size_t n,
                                   size_t *len, const char **err);
/* 1 when the image file (JPEG, PNG, BMP, GIF) is whole by its own
 * structure, 0 when it is cut off, damaged or none of them */
int hall_sealimg_whole(const unsigned char *p, size_t n);
/* the 电子签章采集表 template as an A4 PDF: one box per label (the order's
 * seals), or the three kinds when labels is NULL */
unsigned char *hall_sealimg_collect_pdf(struct hall_pool *pool, const char *org,
                                        const char *order_no, const char *const *labels,
                                        int nlabels, size_t *len);
/* the PNG at most px (16..HALL_SEAL_PX) on its longer side, for a page's
 * smaller box: the same bytes when it already fits; NULL when not a PNG */
unsigned char *hall_sealimg_scaled(struct hall_pool *pool, const unsigned char *png, size_t n,
                                   int px, size_t *len);
/* width and height of a PNG (the IHDR), HALL_ERR when it is not one */
int hall_png_size(const unsigned char *p, size_t n, int *w, int *h);

/* ---- seseal.c: GB/T 38540 SESeal -------------------------------------------- */

/* the seal-maker's key and certificate (seal-maker.key/.crt), the root and the
 * sm2 issuing CA from pki_dir; once per process.  Without want_key only
 * what verification needs. */
int hall_seseal_load(const struct hall_conf *conf, int want_key, char *err, size_t errlen);
/* what verification needs without a configuration (hall-stamp verify): the
 * SM2 root and the SM2 issuing CA that issued the seal maker's certificate
 * (up-referenced; replaces what was set) */
int hall_seseal_trust(X509 *sm2_root, X509 *sm2_ca);

struct hall_seseal_in {
    const char *es_id;                 /* 电子印章标识, IA5 (printable ASCII) */
    int type;                          /* 1 机构印章, 2 个人印章 */
    const char *name;                  /* 印章名称, UTF-8 */
    const unsigned char *const *certs; /* the signers' certificates (DER) */
    const size_t *cert_lens;
    int ncerts;
    time_t created, valid_start, valid_end;
    const unsigned char *png; /* the picture */
    size_t png_len;
    int width_mm, height_mm;
};

/* the DER of an SESeal signed by the seal maker (SM3withSM2), NULL on failure */
unsigned char *hall_seseal_make(struct hall_pool *pool, const struct hall_seseal_in *in,
                                size_t *len);

struct hall_seseal_cert {
    const char *serial; /* upper-case hex */
    const char *subject;
    const char *issuer;
};

struct hall_seseal_info {
    /* what the file says */
    const char *es_id, *vid, *name, *picture_type;
    int version, type, width_mm, height_mm;
    time_t created, valid_start, valid_end;
    const unsigned char *png;
    size_t png_len;
    struct hall_seseal_cert signers[8];
    int nsigners;
    const char *maker_subject, *maker_serial;
    /* what was checked */
    int signature_ok;        /* the maker's SM3withSM2 signature over eSealInfo as in the file */
    int chain_ok;            /* the maker's certificate chains to the hall's root */
    int maker_revoked;       /* the maker's serial is on the sm2 CA's CRL */
    int crl_ok;              /* a CRL of the sm2 CA was given, is signed by it and current */
    const char *chain_error; /* OpenSSL's reason when chain_ok is 0 */
};

/*
 * Parses and checks an SESeal file; crl (DER, may be NULL) is the current CRL
 * of the CA that issued the maker's certificate.  HALL_ERR with *err when the
 * file is not an SESeal at all; otherwise HALL_OK and info says what holds.
 * The caller adds what only the database knows (the seal's own state, the
 * signers' certificates' states).
 */
int hall_seseal_verify(struct hall_pool *pool, const unsigned char *der, size_t len,
                       const unsigned char *crl, size_t crl_len, struct hall_seseal_info *info,
                       const char **err);
/* what the file says, without checking it (the stamp's writer reads the
 * picture, the name and the signers): HALL_ERR with *err when not an SESeal */
int hall_seseal_read(struct hall_pool *pool, const unsigned char *der, size_t len,
                     struct hall_seseal_info *info, const char **err);
/* 1 when the seal's certificate list holds cert (its DER, byte for byte) */
int hall_seseal_lists(const unsigned char *der, size_t len, X509 *cert);
/* the certificate the seal lists whose public key is key's (a token's key:
 * hall-stamp finds its certificate so), NULL when none */
X509 *hall_seseal_signer_for(const unsigned char *der, size_t len, EVP_PKEY *key);
/* SM3withSM2 with the GM/T 0009 default signer ID 1234567812345678 (the
 * seals', the SM2 stamps'): the DER signature, OPENSSL_malloc'ed, or NULL */
unsigned char *hall_seseal_sm2_sign(EVP_PKEY *key, const unsigned char *p, size_t n,
                                    size_t *siglen);
/* 1 when sig is signer's SM3withSM2 signature of p with that ID */
int hall_seseal_sm2_verify(X509 *signer, const unsigned char *p, size_t n, const unsigned char *sig,
                           size_t siglen);
/* 1 when cert (issued by the sm2 CA) chains to the SM2 root set by
 * hall_seseal_load or hall_seseal_trust, at time at (0: now); else 0 with
 * OpenSSL's reason in *why.  Sets cert's distinguishing ID. */
int hall_seseal_sm2_chain(X509 *cert, time_t at, const char **why);

#include "pki/cas.h"
#include "pki/evcheck.h"
#include "pki/medium.h"
#include "pki/register.h"
#include "pki/service.h"

#endif
