/*
 * core/pki: the certificate authority.  The CA hierarchy's certificates and
 * keys, a certificate for a subject and a new key pair, the PKCS#12 medium,
 * revocation, CRLs and OCSP answers; the GB/T 38540 electronic seal (SESeal)
 * and the seal pictures.  It signs and answers; what an order becomes when
 * its certificate is made is core/biz's (hall_produce).  Uses core/base
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
/* outside a transaction: a new CRL when force, stale or missing a revocation */
int hall_pki_crl_refresh(struct hall_ctx *cx, const char *ca, int force);
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
/* a certificate of the issuing CA ca_name for a new key pair (in *key), NULL
 * when that CA cannot sign or the profile is none of ca.c's; nb, na its
 * validity; profile the order's cert_type (org, org_person, person,
 * org_business) or HALL_PKI_PROFILE_SEAL; cn, org, uscc, ric the subject's
 * parts (org and uscc may be "", ric is hashed into the subject, never
 * written) */
X509 *hall_pki_cert_make(struct hall_ctx *cx, const char *ca_name, const char *serial, time_t nb,
                         time_t na, const char *profile, const char *cn, const char *org,
                         const char *uscc, const char *ric, EVP_PKEY **key);
unsigned char *hall_pki_der(struct hall_pool *pool, X509 *x, size_t *len);
/* the PKCS#12 medium: key and certificate with the CA chain, under pin */
unsigned char *hall_pki_p12_make(struct hall_pool *pool, const char *pin, EVP_PKEY *key, X509 *x,
                                 const char *ca_name, const char *friendly, size_t *len);
/* intents older than min_age_s -> void (listed revoked); how many, -1 on error */
int hall_pki_reconcile(struct hall_ctx *cx, long min_age_s);
/* hall-outbox's periodic work for the CA: reconcile, then the CRLs that
 * are stale (the production's part is hall_produce_auto; the audit log's
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
 *   cert_void     a seal's new certificate never stored (revoked meanwhile)
 *   cert_medium_destroy  the medium's only copy gone (core/biz/custody.c):
 *                 why; no row when it was gone already
 *   medium_code_fail  a wrong code for a 机构个人章 holder's own download
 *                 (modules/seal), counted on the certificate
 * NULL / HALL_ERR on database failure.
 */
struct hall_dbres *hall_cert_intent(struct hall_ctx *cx, const char *serial, int64_t order_id,
                                    int64_t item_id, const char *ca, const char *cn,
                                    const char *org, int years, int64_t until, int64_t from);
struct hall_dbres *hall_cert_store(struct hall_ctx *cx, const char *serial,
                                   const unsigned char *der, size_t der_len,
                                   const unsigned char *p12_enc, size_t enc_len, int seal,
                                   const unsigned char *code_hash);
int hall_cert_void(struct hall_ctx *cx, const char *serial, const char *actor);
struct hall_dbres *hall_cert_medium_destroy(struct hall_ctx *cx, const char *serial,
                                            const char *why);
int hall_medium_code_fail(struct hall_ctx *cx, const char *serial);
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

/* ---- auditanchor.c: the audit log's chain and daily anchors -------------- */

#define HALL_AUDIT_HASH_LEN 32
/* one audit_log row as hashed (sql/077_audit_chain.sql); NULL text fields
 * are NULL, detail is the jsonb as PostgreSQL prints it */
struct hall_audit_row {
    int64_t id, chain, seq, at_us;
    const char *actor, *entity, *entity_id, *action, *from_state, *to_state, *detail, *ip,
        *request_id;
    const unsigned char *prev_hash; /* HALL_AUDIT_HASH_LEN bytes */
};
/* SHA-256 of the row's canonical encoding (format hall-audit/1) */
void hall_audit_row_hash(const struct hall_audit_row *r, unsigned char out[HALL_AUDIT_HASH_LEN]);
/* the bytes a daily anchor signs (format hall-audit-seal/1); day YYYY-MM-DD */
unsigned char *hall_audit_anchor_msg(struct hall_pool *pool, const char *day, int64_t chain,
                                     int64_t seq, const unsigned char *hash, size_t *len);
/* seals every (chain, Beijing day) whose day is over (by more than
 * grace_s seconds) and not yet sealed, in one transaction: the number
 * sealed (0 also when another process is sealing), -1 on error (nothing
 * sealed).  Outside a transaction; needs the audit key */
int hall_audit_anchor_days(struct hall_ctx *cx, long grace_s);
/* the bytes a mark signs (format hall-audit-mark/1); at the mark's time,
 * YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC) */
unsigned char *hall_audit_mark_msg(struct hall_pool *pool, const char *at, int64_t chain,
                                   int64_t seq, const unsigned char *hash, size_t *len);
/* signs each chain's last row not marked yet (audit_marks), in one
 * transaction, when this process last did it every_s seconds ago or more
 * (0: never): the number marked (0 also when another process is marking),
 * -1 on error.  Outside a transaction; needs the audit key */
int hall_audit_mark_heads(struct hall_ctx *cx, long every_s);

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

/* ---- stamp: the stamp (盖章), core/pki/stamp_*.c, docs/internals/stamp.md ------ */
/*
 * The stamp (盖章): one of the hall's electronic seals put on a PDF page as a
 * PAdES B-T signature in an incremental update, and the verifier of such
 * stamps.  The bytes are fixed by docs/internals/stamp.md; this is the one
 * implementation in C, used by hall-stamp (tools/stamp/hall_stamp.c) and by the
 * hall's module sign (POST /sign/verify, 免费体验).
 *
 * Linked as its own library, core/libhallstamp.a (HALL_STAMP_LIBS,
 * STAMP_CFLAGS in modules/list): it reads the PDF's structure with libqpdf,
 * which only its users link.  It uses libhall's pools and the seal verifier
 * (hall_seseal_verify, core/pki/seseal.c).
 *
 * Strings in the results are UTF-8 and belong to the pool given.  Every
 * error text is Chinese and says what the user can do; none holds a PIN,
 * a key or personal data beyond the certificate's subject.
 */
struct hall_pool;
struct hall_stamp_evidence;

/* the largest PDF the library stamps or verifies, bytes */
#define HALL_STAMP_PDF_MAX (200L * 1024 * 1024)
/* the signatures of one document a report lists at most (the rest are not listed) */
#define HALL_STAMP_SIGS_MAX 64

/* ---- signing -------------------------------------------------------------- */

/*
 * An RFC 3161 timestamp source instead of the URL: given the DER
 * TimeStampReq, returns the DER TimeStampResp (allocated in pool) and its
 * length, or NULL.  The hall's module can answer from its own TSA in the
 * process (hall_tsa_answer) without an HTTP round trip.
 */
typedef unsigned char *(*hall_stamp_tsa_fn)(void *arg, struct hall_pool *pool,
                                            const unsigned char *req, size_t req_len,
                                            size_t *resp_len);

struct hall_stamp_sign_in {
    const unsigned char *pdf; /* the input PDF, whole */
    size_t pdf_len;
    const unsigned char *seal; /* the .seseal, DER (SES_Seal) as the hall issued it */
    size_t seal_len;
    X509 *cert;             /* the signer's certificate: one the seal lists */
    STACK_OF(X509) * chain; /* its issuing CA(s), up to and not including the root; may be NULL */
    EVP_PKEY *key;          /* its private key: a PKCS#12's, or a token's (hall_token_key) */
    int page;               /* 1 = the first page */
    double x_mm;            /* the seal's centre: mm from the page's left edge */
    double y_mm;            /* ... and from its top edge (as a person measures on paper) */
    const char *tsa_url;    /* the hall's POST /tsa (application/timestamp-query), via libcurl */
    hall_stamp_tsa_fn tsa;  /* when not NULL, used instead of tsa_url */
    void *tsa_arg;
    long tsa_timeout_ms; /* 0: 15000 */
    time_t now;          /* the clock: /M (and an SM2 stamp's timeInfo); 0: time(NULL) */
    /* 骑缝章 (docs/internals/stamp.md §1c): HALL_STAMP_QIFENG_RIGHT or _LEFT
     * puts a slice of the seal on that edge of pages qf_first..qf_last
     * (0 0: every page) instead of the seal at page, x_mm; y_mm > 0 its
     * centre from the top edge, else each page's middle */
    int qifeng;
    int qf_first, qf_last;
};

#define HALL_STAMP_QIFENG_RIGHT 1
#define HALL_STAMP_QIFENG_LEFT  2

/*
 * Stamps in->pdf.  Returns the incremental update: the bytes to append to
 * in->pdf, unchanged, to get the stamped PDF (docs/internals/stamp.md §1;
 * they begin with the "\n" the input may need).  *len is set.  A P-256
 * signer writes a PAdES CMS (§2), an SM2 signer a GB/T 38540
 * SES_Signature (§2a; in->chain unused).  NULL with a Chinese err naming
 * the cause: not a PDF, encrypted, damaged, no such page, the point off
 * the page, the seal unreadable or not listing the certificate, a key
 * neither P-256 nor SM2, the key not the certificate's, the TSA
 * unreachable or refusing (no stamp is written without a timestamp).
 */
unsigned char *hall_stamp_sign(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
                               size_t *len, char *err, size_t errlen);

/* ---- verifying ------------------------------------------------------------ */

/* what the certificates given make trusted */
struct hall_stamp_trust {
    STACK_OF(X509) * roots; /* the hall's roots: the signers' and the TSA's chains end here */
    STACK_OF(X509) * cas;   /* issuing CAs besides those the CMS carries; may be NULL */
    X509 *demo_root;        /* the 免费体验 demo root, NULL when none */
    /* 1: the seal attribute is checked with hall_seseal_verify, whose roots
     * hall_seseal_load (the hall) or hall_seseal_trust (hall-stamp) set */
    int check_seal;
    time_t now; /* 0: time(NULL) */
};

/* docs/internals/stamp.md §3, in the order a state applies */
enum hall_stamp_state {
    HALL_STAMP_MODIFIED = 1, /* 文档已被修改 */
    HALL_STAMP_FOREIGN = 2,  /* 非本CA签发 */
    HALL_STAMP_DEMO = 3,     /* 体验印章 */
    HALL_STAMP_REVOKED_BEFORE =
        4, /* 签章人证书已吊销（签章前）: set only from the hall's records */
    HALL_STAMP_SEAL_REVOKED = 5, /* 印章已注销: set only from the hall's records */
    HALL_STAMP_VALID = 6         /* 有效 */
};

/* the Chinese name of a state: "有效", "文档已被修改", ... */
const char *hall_stamp_state_text(enum hall_stamp_state s);

/* one check's outcome */
enum hall_stamp_check {
    HALL_STAMP_NOT_DONE = 0, /* not reached (an earlier check failed) or not asked */
    HALL_STAMP_PASS = 1,
    HALL_STAMP_FAIL = 2
};

struct hall_stamp_sig {
    int index;          /* 1 = the oldest signature of the document */
    const char *field;  /* the field's /T, UTF-8 ("印章1") */
    int page;           /* the widget's page, 1-based; 0 unknown */
    double rect[4];     /* the widget's /Rect, points */
    int is_stamp;       /* 1: carries the seal attribute (a hall stamp); 0: another signature */
    const char *filter; /* /SubFilter, e.g. "ETSI.CAdES.detached" */

    /* what the signature covers (§3.1) */
    long long byte_range[4];
    long long revision_end; /* offset just after the %%EOF of the revision it is in */
    int covers_to_end;      /* 1: no byte follows its revision */
    int later_sigs;         /* signatures added in later revisions */
    int later_changes;      /* 1: a later revision changes more than adding signatures */
    const char *after;    /* what follows, Chinese ("其后追加了1个签章"); "" when nothing */
    const char *changes;  /* the first change a later revision made that no signature may
                             ("第1页的内容被修改"), "" when none */
    const char *overlap;  /* a later (or earlier) stamp's widget over this one's, Chinese;
                             "" when none (the "sneaky signature") */
    const char *covered;  /* a later stamp's widget over the page's text, Chinese; "" none */
    int obj_field, obj_v; /* the field's and its /V's object numbers (0: direct) */

    /* a 骑缝章 (stamp_qifeng.c): the edge ("right", "left"; NULL: not one),
     * the pages its slices are on ("1-5"), the slices, and those whose
     * page is no longer in the document */
    const char *qifeng_edge, *qifeng_pages;
    int qifeng_slices, qifeng_missing;

    /* the signer (from the CMS) */
    const char *signer_subject; /* RFC 2253 with UTF-8 */
    const char *signer_serial;  /* upper-case hex */
    const char *signer_issuer;
    time_t signer_not_before, signer_not_after;
    const unsigned char *signer_der; /* the certificate, DER (hall-stamp asks its status) */
    size_t signer_der_len;

    /* the seal (from the seal attribute) */
    const char *seal_es_id, *seal_name;
    int seal_type; /* 1 机构印章, 2 个人印章 */
    int seal_width_mm, seal_height_mm;
    time_t seal_valid_start, seal_valid_end;
    const unsigned char *seal_png; /* the picture's bytes */
    size_t seal_png_len;

    /* the time */
    time_t claimed_time; /* /M: the signer's clock, untrusted; 0 none */
    time_t signing_time; /* the timestamp's genTime; 0 when there is no valid timestamp */
    const char *tsa_subject;

    /* each check of §3 */
    enum hall_stamp_check range;        /* 1: /ByteRange well formed, gap = /Contents */
    enum hall_stamp_check digest;       /* 2: messageDigest = SHA-256 (SES: SM3) of the ranges */
    enum hall_stamp_check signature;    /* 2: the signature verifies with the certificate's key */
    enum hall_stamp_check signing_cert; /* 2: signingCertificateV2 names that certificate
                                           (SES: version 4, propertyInfo = /ByteRange) */
    enum hall_stamp_check timestamp;    /* 3: the token's signature, its chain, its imprint */
    enum hall_stamp_check seal;         /* 4: the .seseal verifies and lists the signer */
    enum hall_stamp_check chain;        /* 5: signer -> CA -> a root (or the demo root) */
    int demo;                           /* 1: the chain ends at the demo root */
    int ses;           /* 1: an SM2 stamp, GB/T 38540 SES_Signature (§2a); 0: CMS */
    int doc_timestamp; /* 1: a document timestamp (/ETSI.RFC3161): no seal, the token alone */

    /* long-term validation (stamp_level.c; docs/internals/stamp.md §3,
     * "Levels"): what the file's /DSS says for the signing time */
    const char *level;            /* "B-B", "B-T", "B-LT", "B-LTA"; "GB/T 38540" an SM2 stamp (no
                                     place for evidence); "DTS" a document timestamp; "" not reached */
    const unsigned char *tsa_der; /* the signature timestamp's TSA certificate, DER */
    size_t tsa_der_len;
    int ltv_state;          /* enum hall_stamp_rev: the signer's status from /DSS, at or
                               after signing_time; 0 (UNCHECKED) when none speaks for it */
    const char *ltv_source; /* "OCSP", "CRL" */
    time_t ltv_at;          /* that answer's thisUpdate (the CRL's lastUpdate) */
    time_t ltv_revoked_at;  /* REVOKED: when */
    int ltv_reason;
    int ltv_tsa_state;  /* the TSA certificate's, the same way */
    int ltv_tsa_needed; /* 1: the TSA certificate names an OCSP or CRL source */
    int ltv_issuer;     /* 1: the signer's issuer is in /DSS /Certs or the CAs given */
    int doc_ts_after;   /* valid document timestamps in later revisions */
    time_t doc_ts_time; /* the first of them */

    /* the state from the document alone: the hall then consults its records
     * (revocation against signing_time, the seal's state) and may lower it
     * to HALL_STAMP_REVOKED_BEFORE or HALL_STAMP_SEAL_REVOKED */
    enum hall_stamp_state state;
    const char *problem; /* Chinese: the first check that failed; "" when none */
};

struct hall_stamp_report {
    int nsigs; /* 0: the document holds no signature */
    struct hall_stamp_sig *sigs;
    long long file_size;
    int revisions; /* the %%EOF-closed revisions the file has */
    /* the cost (docs/performance.md): bytes hashed for all the signatures'
     * digests together (one pass: about file_size per algorithm), and the
     * revisions libqpdf opened besides the whole file */
    long long hashed;
    int revision_opens;
    /* the file's /DSS (PAdES B-LT): its items, and the document timestamps */
    int dss_certs, dss_ocsps, dss_crls;
    int doc_timestamps;
    const struct hall_stamp_evidence *evidence; /* in pool */
};

/*
 * Verifies every signature of the PDF read from fd (a regular file; read by
 * offsets, never whole into memory: a 20 MB file verifies in flat memory).
 * HALL_OK with the report (sigs in pool); HALL_ERR with a Chinese err when
 * the file is not a PDF, is encrypted or damaged beyond reading.
 */
int hall_stamp_verify_fd(struct hall_pool *pool, int fd, const struct hall_stamp_trust *trust,
                         struct hall_stamp_report *rep, char *err, size_t errlen);
/* the same for a file by name */
int hall_stamp_verify_file(struct hall_pool *pool, const char *path,
                           const struct hall_stamp_trust *trust, struct hall_stamp_report *rep,
                           char *err, size_t errlen);

/*
 * What the hall's records say of one stamp's signer and seal: looked up by
 * the caller (POST /sign/verify: the certificates and seals tables) when
 * hall_stamp_wants_records says so; hall-stamp verify has none.
 */
struct hall_stamp_records {
    int looked_up;    /* 0: no records consulted (hall-stamp verify) */
    int cert_known;   /* the signer's certificate is in the records */
    int cert_revoked; /* revoked (or void) */
    time_t cert_revoked_at;
    int seal_known;         /* the seal (its esID) is in the register */
    int seal_revoked;       /* 注销 */
    time_t seal_revoked_at; /* when (0 unknown: taken as before the stamp) */
    /* hall-stamp verify, asking the hall online (hall_stamp_records_online):
     * why the signer's status could not be learnt (looked_up 0), or the
     * seal's; NULL when it was */
    const char *unchecked;
    const char *seal_unchecked;
};

/* 1 when the stamp is under the hall's own CA: its records are worth asking */
int hall_stamp_wants_records(const struct hall_stamp_sig *s);

#define HALL_STAMP_NOTES_MAX 6

/* one stamp's verdict: the state and the reason both programs show */
struct hall_stamp_verdict {
    enum hall_stamp_state state;
    const char *problem;                     /* Chinese: why it is not 有效; "" when it is */
    const char *notes[HALL_STAMP_NOTES_MAX]; /* Chinese, shown beside the state */
    int nnotes;
    int revoked_after;             /* 签章后吊销: revoked after the signing time */
    int seal_revoked_after;        /* 签章后注销: the seal cancelled after it */
    const char *signer_at_signing; /* "有效", "已吊销", "" unknown */
};

/*
 * The one rule (docs/internals/stamp.md §3, "States"): the document's state
 * (s->state, from hall_stamp_verify_*), lowered by the records when given
 * (rec NULL or not looked_up: the document alone), with the notes: 签章后吊销,
 * unregistered certificate or seal, the demo seal, a widget over another.
 * POST /sign/verify and hall-stamp verify both call it.  Strings in pool.
 */
void hall_stamp_verdict(struct hall_pool *pool, const struct hall_stamp_sig *s,
                        const struct hall_stamp_records *rec, struct hall_stamp_verdict *v);
/* the verdict's short word for what happened after the signing (签章后吊销,
 * 签章后注销, both); NULL when nothing did */
const char *hall_stamp_after_note(const struct hall_stamp_verdict *v);

/* ---- revocation online (stamp_status.c, docs/internals/stamp.md §3) -------- */

#define HALL_STAMP_EVIDENCE_MAX 32

/* the evidence a file keeps (its /DSS, PAdES B-LT): the OCSP answers
 * (der, len, n), the CRLs and the certificates, each DER */
struct hall_stamp_evidence {
    const unsigned char *der[HALL_STAMP_EVIDENCE_MAX];
    size_t len[HALL_STAMP_EVIDENCE_MAX];
    int n;
    const unsigned char *crl[HALL_STAMP_EVIDENCE_MAX];
    size_t crl_len[HALL_STAMP_EVIDENCE_MAX];
    int ncrl;
    const unsigned char *cert[HALL_STAMP_EVIDENCE_MAX];
    size_t cert_len[HALL_STAMP_EVIDENCE_MAX];
    int ncert;
};
/* reads them (in pool); HALL_ERR when the file cannot be read (ev empty) */
int hall_stamp_evidence_read(struct hall_pool *pool, const char *path,
                             struct hall_stamp_evidence *ev);

/* how the hall is asked */
struct hall_stamp_online {
    const char *hall; /* the hall's address instead of the certificate's (hall-stamp --hall);
                         NULL: the certificate's own URLs */
    long timeout_ms;  /* each request; 0: 10 s */
    time_t now;       /* 0: time(NULL) */
    int offline;      /* 1: ask nothing; the evidence only */
    /* the file's evidence, believed first: an answer made at or after
     * signing_time about the certificate; NULL none */
    const struct hall_stamp_evidence *evidence;
    time_t signing_time;
};

enum hall_stamp_rev {
    HALL_STAMP_REV_UNCHECKED = 0, /* no answer that could be checked: why says */
    HALL_STAMP_REV_GOOD = 1,
    HALL_STAMP_REV_REVOKED = 2,
    HALL_STAMP_REV_UNKNOWN = 3 /* the responder does not know the certificate */
};

struct hall_stamp_status {
    enum hall_stamp_rev state;
    time_t revoked_at;
    int reason;         /* CRLReason, -1 none */
    const char *source; /* "OCSP" or "CRL" */
    const char *url;    /* where it was asked ("/DSS": the file's own evidence) */
    const char *why;    /* UNCHECKED: why, Chinese */
    time_t checked_at;  /* the answer's thisUpdate (the CRL's lastUpdate) */
    int embedded;       /* 1: from the file's evidence, nothing asked online */
};

/*
 * The signer's status: from o->evidence when an answer there speaks for
 * the signing time, else (unless o->offline) asked of the OCSP responder the certificate's
 * authorityInfoAccess names, else of its CRL distribution point; the
 * issuer is the one of cas that signed cert, else fetched from the AIA's
 * caIssuers.  Answers are believed only when signed by the issuer (or its
 * OCSP responder) and current.  Never fails: st says what was learnt.
 */
void hall_stamp_status_check(struct hall_pool *pool, X509 *cert, STACK_OF(X509) * cas,
                             const struct hall_stamp_online *o, struct hall_stamp_status *st);
/* a CRLReason in Chinese (密钥泄露, ...) */
const char *hall_stamp_reason_text(int reason);
/* the hall a certificate names: its OCSP URL without "/ocsp"; NULL none */
const char *hall_stamp_hall_of(struct hall_pool *pool, X509 *cert);

/* a seal's state in the hall's register (GET /sign/seal-status) */
struct hall_stamp_seal_status {
    int checked;              /* 0: not learnt, why says */
    const char *state;        /* valid, revoked, replaced, unknown */
    time_t revoked_at;        /* revoked: when */
    const char *revoked_text; /* ... in Beijing time, "" none */
    const char *why;
};
/* asked of o->hall, else of the hall cert names (hall_stamp_hall_of) */
void hall_stamp_seal_check(struct hall_pool *pool, X509 *cert, const char *es_id,
                           const struct hall_stamp_online *o, struct hall_stamp_seal_status *ss);
/* the records hall_stamp_verdict reads, from what the hall answered (ss may be NULL) */
void hall_stamp_records_online(struct hall_pool *pool, const struct hall_stamp_status *st,
                               const struct hall_stamp_seal_status *ss,
                               struct hall_stamp_records *rec);
/* the records from the hall's own rows (POST /sign/verify): the signer's
 * certificates.state and revoked_at, the seal's seseals.state and
 * revoked_at (epoch s); a state NULL when there is no row */
void hall_stamp_records_rows(const char *cert_state, time_t cert_revoked_at, const char *seal_state,
                             time_t seal_revoked_at, struct hall_stamp_records *rec);

/* ---- long-term validation: PAdES B-LT and B-LTA (stamp_dss.c) -------------- */

#define HALL_STAMP_DSS_MAX 32 /* items one /DSS update adds at most */

enum hall_stamp_dss_kind {
    HALL_STAMP_DSS_CERT = 1,
    HALL_STAMP_DSS_OCSP = 2,
    HALL_STAMP_DSS_CRL = 3
};

/* what a /DSS update adds: DER items, each once */
struct hall_stamp_dss_in {
    const unsigned char *der[HALL_STAMP_DSS_MAX];
    size_t len[HALL_STAMP_DSS_MAX];
    int kind[HALL_STAMP_DSS_MAX];
    int n;
    const char *hall; /* hall_stamp_ltv_gather: the hall a signer's certificate names
                         (hall_stamp_hall_of), NULL none */
};
/* adds one item (copied into pool) unless it is there already or the list is full */
void hall_stamp_dss_add(struct hall_pool *pool, struct hall_stamp_dss_in *in, int kind,
                        const unsigned char *der, size_t len);

/*
 * The evidence a validator needs for the signatures of pdf (ISO 32000-2
 * §12.8.4.3): every certificate each CMS and each timestamp token carries,
 * the issuers their AIA names when missing, and for each end-entity
 * certificate (signer, TSA) an OCSP answer from the responder its AIA
 * names, else its CRL, asked now with o (a signer's answer asked only
 * after its stamp's timestamp second, so that it speaks for it).  Into in;
 * *missing: how many end entities got no revocation answer (named in why,
 * Chinese, NULL when none).  HALL_ERR when pdf cannot be read.
 */
int hall_stamp_ltv_gather(struct hall_pool *pool, const unsigned char *pdf, size_t len,
                          STACK_OF(X509) * cas, const struct hall_stamp_online *o,
                          struct hall_stamp_dss_in *in, int *missing, const char **why);

/*
 * The incremental update that adds in's items to pdf's /DSS (a new /DSS
 * holding the old one's items and keys, the catalog written again with
 * it, each new item a stream of its DER): the bytes to append, *len set;
 * NULL with a Chinese err when pdf cannot be read or its catalog cannot
 * be written again whole.  An in with nothing new gives *len 0.
 */
unsigned char *hall_stamp_dss_update(struct hall_pool *pool, const unsigned char *pdf,
                                     size_t pdf_len, const struct hall_stamp_dss_in *in,
                                     size_t *len, char *err, size_t errlen);

/*
 * A document timestamp (PAdES B-LTA, ETSI EN 319 142-1 5.4): an
 * incremental update of in->pdf adding an invisible signature field whose
 * /V is /Type /DocTimeStamp /SubFilter /ETSI.RFC3161 and whose /Contents
 * is the RFC 3161 token over the SHA-256 of its /ByteRange, from in's TSA
 * (tsa_url or tsa; the other members unused but pdf, pdf_len, now).  NULL
 * with a Chinese err, as hall_stamp_sign.
 */
unsigned char *hall_stamp_doc_timestamp(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
                                        size_t *len, char *err, size_t errlen);

/* a level's words: "B-LT（长期验证：文件内含验证所需的证书和吊销信息）", ... */
const char *hall_stamp_level_text(const char *level);

/* ---- pieces (unit tests, the tool) ----------------------------------------- */

/* mm from the page's top-left -> PDF user space of a /MediaBox [llx lly urx ury] */
void hall_stamp_point(const double mediabox[4], double x_mm, double y_mm, double *x_pt,
                      double *y_pt);
/* the reserved /Contents size in hex digits for a CMS of der_len bytes:
 * 2 × der_len rounded up to 1 KiB */
size_t hall_stamp_reserve(size_t der_len);

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
