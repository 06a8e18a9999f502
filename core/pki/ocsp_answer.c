/*
 * OCSP answers (RFC 6960, RFC 5019; docs/modules/ocsp.md): the request
 * parsed by ocspreq.c, the certificate's status from the database (or a
 * worker's short cache of it), the answer signed by the CA's delegated
 * OCSP signer: for the ECDSA CA a short-lived key of the worker's that the
 * CA's key in the token certified (delegate_make; the token's ecc-ocsp
 * when there is none), SM2 with the signer ID for the sm2 CA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

static unsigned char *
ocsp_der(struct hall_pool *pool, OCSP_RESPONSE *r, size_t *len)
{
    int n = i2d_OCSP_RESPONSE(r, NULL);
    unsigned char *out, *q;

    if (n <= 0)
        return NULL;
    out = q = hall_palloc(pool, (size_t)n);
    i2d_OCSP_RESPONSE(r, &q);
    *len = (size_t)n;
    return out;
}

static unsigned char *
ocsp_error(struct hall_pool *pool, int status, size_t *len)
{
    OCSP_RESPONSE *r = OCSP_response_create(status, NULL);
    unsigned char *out;

    if (r == NULL)
        return NULL;
    out = ocsp_der(pool, r, len);
    OCSP_RESPONSE_free(r);
    return out;
}

/* the CA a CertID names (by its issuer name and key hashes), or NULL */
static struct hall_pki_ca *
ocsp_ca_of(OCSP_CERTID *cid)
{
    ASN1_OBJECT *md_oid = NULL;
    const EVP_MD *md;
    struct hall_pki_ca *ca;

    if (OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, cid) != 1)
        return NULL;
    /* the usual hashes: the CertIDs made at load */
    if (OBJ_obj2nid(md_oid) == NID_sha1 || OBJ_obj2nid(md_oid) == NID_sha256) {
        for (ca = hall_pki_cas; ca->name != NULL; ca++) {
            OCSP_CERTID *mine = OBJ_obj2nid(md_oid) == NID_sha1 ? ca->id_sha1 : ca->id_sha256;

            if (mine != NULL && OCSP_id_issuer_cmp(mine, cid) == 0)
                return ca;
        }
        return NULL;
    }
    md = EVP_get_digestbyobj(md_oid);
    if (md == NULL)
        return NULL;
    for (ca = hall_pki_cas; ca->name != NULL; ca++) {
        OCSP_CERTID *mine = OCSP_cert_to_id(md, NULL, ca->cert);
        int same = mine != NULL && OCSP_id_issuer_cmp(mine, cid) == 0;

        OCSP_CERTID_free(mine);
        if (same)
            return ca;
    }
    return NULL;
}

/*
 * Answers to requests without a nonce about one certificate (RFC 5019
 * clients: browsers, most TLS stacks) are signed once per worker and
 * reused, the same bytes, until OCSP_RENEW_S before their nextUpdate: the
 * key holds what the database said this time (state, revocation time and
 * reason), so a revocation changes the key and is answered at once; a
 * reused answer keeps the thisUpdate and producedAt it was signed with
 * (RFC 5019 2.2.4: pre-produced answers).  Requests with a nonce are
 * signed every time.
 */
#define OCSP_CACHE_N 512
#define OCSP_RENEW_S 300

static struct {
    char key[128];
    time_t this_update, produced;
    unsigned char *der;
    size_t len;
    char etag[33];
    time_t signer_until; /* its responder certificate's notAfter (0: the long-lived signer's) */
} ocsp_cache[OCSP_CACHE_N];

/* what the database said about a serial, kept HALL_PKI_OCSP_STATUS_MS (see there) */
#define OCSP_STATUS_N 1024

static struct {
    char serial[17];
    const struct hall_pki_ca *ca;
    int status, reason;
    long long rev_at;
    int64_t asked; /* CLOCK_MONOTONIC ms, taken before the query was sent */
    time_t read;   /* the wall clock then: the answer's thisUpdate */
} ocsp_status[OCSP_STATUS_N];

static unsigned
cache_slot(const char *key)
{
    unsigned h = 2166136261u;

    for (; *key != '\0'; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h % OCSP_CACHE_N;
}

/* the status of serial hex (16 hex digits) of ca: from the cache, or the
 * database; HALL_ERR when the database does not answer */
static int
ocsp_status_get(struct hall_ctx *cx, const struct hall_pki_ca *ca, const char *hex, int *status,
                long long *rev_at, int *reason, time_t *read)
{
    unsigned slot = (cache_slot(hex) + (unsigned)(ca - hall_pki_cas)) % OCSP_STATUS_N;
    int64_t asked = hall_pki_mono_ms();
    struct hall_dbres *res;
    const char *dbst;

    if (ocsp_status[slot].ca == ca && strcmp(ocsp_status[slot].serial, hex) == 0 &&
        asked - ocsp_status[slot].asked < HALL_PKI_OCSP_STATUS_MS &&
        asked >= ocsp_status[slot].asked) {
        *status = ocsp_status[slot].status;
        *rev_at = ocsp_status[slot].rev_at;
        *reason = ocsp_status[slot].reason;
        *read = ocsp_status[slot].read;
        return HALL_OK;
    }
    *read = time(NULL);
    res = hall_db_exec(cx, "pki_ocsp_status", HALL_STR(hex), HALL_STR(ca->name));
    if (res == NULL)
        return HALL_ERR;
    *status = V_OCSP_CERTSTATUS_UNKNOWN;
    *reason = -1;
    *rev_at = 0;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK; /* never issued: not kept, it may be issued in a moment */
    dbst = hall_dbres_str(res, 0, "o_state");
    if (strcmp(dbst, "issued") == 0) {
        *status = V_OCSP_CERTSTATUS_GOOD;
    } else if (strcmp(dbst, "revoked") == 0 || strcmp(dbst, "void") == 0) {
        *status = V_OCSP_CERTSTATUS_REVOKED;
        *reason = (int)hall_dbres_int(res, 0, "o_reason");
        *rev_at = hall_dbres_int(res, 0, "o_revoked");
    } else {
        return HALL_OK; /* an intent: unknown, not kept */
    }
    ocsp_status[slot].ca = ca;
    memcpy(ocsp_status[slot].serial, hex, 17);
    ocsp_status[slot].status = *status;
    ocsp_status[slot].rev_at = *rev_at;
    ocsp_status[slot].reason = *reason;
    ocsp_status[slot].asked = asked;
    ocsp_status[slot].read = *read;
    return HALL_OK;
}

/*
 * The signed answer is written as DER here, not built as OpenSSL objects
 * (OCSP_BASICRESP, OCSP_basic_add1_status, OCSP_basic_sign_ctx): per
 * answer that machinery cost about twice the signature itself.  What does
 * not change between answers of a CA -- the responder ID (by key hash), the
 * signature algorithm and the signer's certificate -- is cut at load out of
 * an answer OpenSSL signed (ocsp_parts_make), so it is OpenSSL's encoding;
 * the rest is RFC 6960 4.2.1:
 *
 *   OCSPResponse      SEQ { ENUM 0, [0] SEQ { OID id-pkix-ocsp-basic, OCTET STRING
 * BasicOCSPResponse } } BasicOCSPResponse SEQ { tbs, AlgorithmIdentifier, BIT STRING signature, [0]
 * certs } tbs               SEQ { responderID, producedAt, SEQ OF SingleResponse, [1] { SEQ { nonce
 * } } } SingleResponse    SEQ { CertID (as the request had it), status, thisUpdate, [0] nextUpdate
 * }
 *
 * The signature is one EVP_DigestSign over the tbs with a copy of the
 * context made at load (ECDSA P-256 with SHA-256, or SM2 with SM3).
 */
struct ocsp_parts {
    unsigned char *rid, *alg, *certs;
    size_t rid_len, alg_len, certs_len;
};

static struct ocsp_parts ocsp_parts[2];

/* the header of the DER element at p (tag, definite length): its size, 0 when bad */
static size_t
der_hdr(const unsigned char *p, size_t avail, size_t *len)
{
    size_t i, n;

    if (avail < 2)
        return 0;
    if ((p[1] & 0x80) == 0) {
        *len = p[1];
        return *len <= avail - 2 ? 2 : 0;
    }
    n = p[1] & 0x7f;
    if (n == 0 || n > 3 || avail < 2 + n)
        return 0;
    for (*len = 0, i = 0; i < n; i++)
        *len = *len << 8 | p[2 + i];
    return *len <= avail - 2 - n ? 2 + n : 0;
}

/* GeneralizedTime t: 18 0F YYYYMMDDHHMMSSZ */
static void
der_gtime(unsigned char out[17], time_t t)
{
    struct tm tm;
    char buf[16];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y%m%d%H%M%SZ", &tm);
    out[0] = 0x18;
    out[1] = 15;
    memcpy(out + 2, buf, 15);
}

static unsigned char *
dup_bytes(const unsigned char *p, size_t n)
{
    unsigned char *d = malloc(n);

    if (d == NULL)
        abort();
    memcpy(d, p, n);
    return d;
}

/* an empty answer signed by OpenSSL with sign (a context of cert's key),
 * and its constant parts cut out */
static int
ocsp_parts_make(X509 *cert, const EVP_MD_CTX *sign, struct ocsp_parts *op)
{
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    const unsigned char *p, *end, *t;
    size_t len, h, tlen, th;
    int n, rc = HALL_ERR;

    if (bs == NULL || m == NULL || EVP_MD_CTX_copy_ex(m, sign) != 1 ||
        OCSP_basic_sign_ctx(bs, cert, m, NULL, OCSP_RESPID_KEY) != 1 ||
        (n = i2d_OCSP_BASICRESP(bs, &der)) <= 0)
        goto out;
    p = der;
    end = der + n;
    /* BasicOCSPResponse SEQ { tbs, alg, sig, [0] certs } */
    if ((h = der_hdr(p, (size_t)(end - p), &len)) == 0 || p[0] != 0x30)
        goto out;
    p += h;
    if ((h = der_hdr(p, (size_t)(end - p), &len)) == 0 || p[0] != 0x30)
        goto out;
    /* tbs SEQ { responderID [2] (no version: v1), ... } */
    t = p + h;
    if ((th = der_hdr(t, len, &tlen)) == 0 || t[0] != 0xa2)
        goto out;
    op->rid = dup_bytes(t, th + tlen);
    op->rid_len = th + tlen;
    p += h + len;
    if ((h = der_hdr(p, (size_t)(end - p), &len)) == 0 || p[0] != 0x30)
        goto out;
    op->alg = dup_bytes(p, h + len);
    op->alg_len = h + len;
    p += h + len;
    if ((h = der_hdr(p, (size_t)(end - p), &len)) == 0 || p[0] != 0x03)
        goto out;
    p += h + len;
    if ((h = der_hdr(p, (size_t)(end - p), &len)) == 0 || p[0] != 0xa0 || p + h + len != end)
        goto out;
    op->certs = dup_bytes(p, h + len);
    op->certs_len = h + len;
    rc = HALL_OK;
out:
    OPENSSL_free(der);
    EVP_MD_CTX_free(m);
    OCSP_BASICRESP_free(bs);
    return rc;
}

int
hall_pki_ocsp_parts_load(struct hall_pki_ca *ca)
{
    return ocsp_parts_make(ca->ocsp_cert, ca->ocsp_sign, &ocsp_parts[ca - hall_pki_cas]);
}

static void
ocsp_parts_free(struct ocsp_parts *op)
{
    free(op->rid);
    free(op->alg);
    free(op->certs);
    memset(op, 0, sizeof(*op));
}

/* the DER CertStatus: good [0] NULL, unknown [2] NULL, revoked [1] { time, [0] reason } */
static size_t
cert_status(unsigned char out[24], int status, time_t rev_at, int reason)
{
    size_t n;

    if (status == V_OCSP_CERTSTATUS_GOOD || status == V_OCSP_CERTSTATUS_UNKNOWN) {
        out[0] = status == V_OCSP_CERTSTATUS_GOOD ? 0x80 : 0x82;
        out[1] = 0;
        return 2;
    }
    out[0] = 0xa1;
    der_gtime(out + 2, rev_at);
    n = 17;
    if (reason >= 0) {
        memcpy(out + 2 + n, "\xa0\x03\x0a\x01", 4);
        out[2 + n + 4] = (unsigned char)reason;
        n += 5;
    }
    out[1] = (unsigned char)n;
    return 2 + n;
}

/* the ETag of an answer: the first 16 bytes of its SHA-256, in hex */
static void
ocsp_etag(const unsigned char *der, size_t len, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int i;

    out[0] = '\0';
    if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16)
        return;
    for (i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* the issuer hashes of the CA's SHA-1 and SHA-256 CertIDs */
int
hall_pki_ocsp_hashes_load(struct hall_pki_ca *ca)
{
    ASN1_OCTET_STRING *nh = NULL, *kh = NULL;

    if (OCSP_id_get0_info(&nh, NULL, &kh, NULL, ca->id_sha1) != 1 || nh->length != 20 ||
        kh->length != 20)
        return HALL_ERR;
    memcpy(ca->name_sha1, nh->data, 20);
    memcpy(ca->key_sha1, kh->data, 20);
    if (OCSP_id_get0_info(&nh, NULL, &kh, NULL, ca->id_sha256) != 1 || nh->length != 32 ||
        kh->length != 32)
        return HALL_ERR;
    memcpy(ca->name_sha256, nh->data, 32);
    memcpy(ca->key_sha256, kh->data, 32);
    return HALL_OK;
}

/* the CA a request's CertID names (OCSP_id_issuer_cmp's rule: the hash
 * algorithm's OID, then both hashes), or NULL; *nid: the hash algorithm */
static struct hall_pki_ca *
ocsp_ca_of_id(const struct hall_ocsp_certid *id, int *nid)
{
    static const unsigned char sha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
    static const unsigned char sha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
    int is1 = id->oid_len == sizeof(sha1) && memcmp(id->oid, sha1, sizeof(sha1)) == 0;
    int is256 = id->oid_len == sizeof(sha256) && memcmp(id->oid, sha256, sizeof(sha256)) == 0;
    const unsigned char *p = id->der;
    ASN1_OBJECT *md_oid = NULL;
    OCSP_CERTID *cid;
    struct hall_pki_ca *ca;

    if (is1 || is256) {
        size_t hl = is1 ? 20 : 32;

        *nid = is1 ? NID_sha1 : NID_sha256;
        if (id->name_hash_len != hl || id->key_hash_len != hl)
            return NULL;
        for (ca = hall_pki_cas; ca->name != NULL; ca++)
            if (ca->id_sha1 != NULL &&
                memcmp(id->name_hash, is1 ? ca->name_sha1 : ca->name_sha256, hl) == 0 &&
                memcmp(id->key_hash, is1 ? ca->key_sha1 : ca->key_sha256, hl) == 0)
                return ca;
        return NULL;
    }
    /* another hash (rare): OpenSSL's CertID, the CA's made with that digest */
    *nid = 0;
    cid = d2i_OCSP_CERTID(NULL, &p, (long)id->der_len);
    if (cid == NULL)
        return NULL;
    if (OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, cid) == 1)
        *nid = OBJ_obj2nid(md_oid);
    ca = ocsp_ca_of(cid);
    OCSP_CERTID_free(cid);
    return ca;
}

/* the size of a DER header for content of n bytes */
static size_t
hdr_len(size_t n)
{
    return n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4 : 5;
}

/* a DER header at p: the byte after it */
static unsigned char *
put_hdr(unsigned char *p, unsigned char tag, size_t n)
{
    size_t h = hdr_len(n), i;

    *p++ = tag;
    if (h == 2) {
        *p++ = (unsigned char)n;
        return p;
    }
    *p++ = (unsigned char)(0x80 | (h - 2));
    for (i = h - 2; i > 0; i--)
        *p++ = (unsigned char)(n >> (8 * (i - 1)));
    return p;
}

/* a DER header ending at p: where it starts */
static unsigned char *
put_hdr_back(unsigned char *p, unsigned char tag, size_t n)
{
    p -= hdr_len(n);
    put_hdr(p, tag, n);
    return p;
}

/* a SingleResponse's content: CertID, status, thisUpdate, [0] nextUpdate */
#define SINGLE_LEN(id_len, st_len) ((id_len) + (st_len) + 17 + 2 + 17)

/* room before the tbs for the headers around it (OCSPResponse, [0],
 * ResponseBytes, the OID, the OCTET STRING, BasicOCSPResponse: 34 bytes) */
#define OCSP_HEAD_ROOM 48

/* the digest sha256 made by hand for the token's signature, fetched once */
static EVP_MD *ocsp_md;
static EVP_MD_CTX *ocsp_hash, *ocsp_sig;

/* the SHA-256 of tbs into md (32 bytes) */
static int
ocsp_sha256(const unsigned char *tbs, size_t len, unsigned char md[32])
{
    unsigned int mdlen = 0;

    if (ocsp_md == NULL && (ocsp_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
        return HALL_ERR;
    if (ocsp_hash == NULL && (ocsp_hash = EVP_MD_CTX_new()) == NULL)
        return HALL_ERR;
    if (EVP_DigestInit_ex2(ocsp_hash, ocsp_md, NULL) != 1 ||
        EVP_DigestUpdate(ocsp_hash, tbs, len) != 1 ||
        EVP_DigestFinal_ex(ocsp_hash, md, &mdlen) != 1 || mdlen != 32)
        return HALL_ERR;
    return HALL_OK;
}

/* the DER signature of tbs by signer's OCSP key into sig (160 bytes) */
static int
ocsp_sign(struct hall_pki_ca *signer, const unsigned char *tbs, size_t len, unsigned char *sig,
          size_t *siglen)
{
    unsigned char md[32];
    size_t cap = *siglen;

    if (signer->ocsp_token) {
        /* ECDSA P-256 with SHA-256 by the token: C_Sign of the digest */
        if (ocsp_sha256(tbs, len, md) != HALL_OK)
            return HALL_ERR;
        return hall_token_ecdsa(signer->ocsp_key, md, sizeof(md), sig, siglen) == 1 ? HALL_OK
                                                                                    : HALL_ERR;
    }
    /* a key in memory (sm2-ocsp: SM3withSM2 and its signer ID): a copy of
     * the context made at load */
    if (ocsp_sig == NULL && (ocsp_sig = EVP_MD_CTX_new()) == NULL)
        return HALL_ERR;
    if (EVP_MD_CTX_copy_ex(ocsp_sig, signer->ocsp_sign) != 1 ||
        EVP_DigestSign(ocsp_sig, NULL, siglen, tbs, len) != 1 || *siglen > cap ||
        EVP_DigestSign(ocsp_sig, sig, siglen, tbs, len) != 1)
        return HALL_ERR;
    return HALL_OK;
}

/*
 * The delegated responder (RFC 6960 4.2.2.2), for a CA whose OCSP signer
 * is in the token: each worker makes a P-256 key in its own memory and has
 * the CA's key in the token certify it (id-kp-OCSPSigning,
 * id-pkix-ocsp-nocheck, valid ocsp_responder_s from now), then signs its
 * answers with it, one ECDSA in this process instead of a C_Sign through
 * the token per answer.  The certificate is in every answer it signs, so
 * a client that trusts the root verifies responder -> CA -> root.  At half
 * of its life the worker makes the next one (the old stays valid for the
 * answers it signed); when the token cannot certify one then, the current
 * one signs until its notAfter, and a try is made again every
 * DELEGATE_RETRY_S.  Without one (the token away since the worker
 * started) the answers are the long-lived signer's, through the token, as
 * before: tryLater or a kept answer while the token is away.
 */
#define DELEGATE_RETRY_S    5
#define DELEGATE_BACKDATE_S 300 /* notBefore: clients' clocks a little behind */

static struct delegate {
    EVP_PKEY *key;
    X509 *cert;
    EVP_PKEY_CTX *sign; /* EVP_PKEY_sign of a SHA-256, initialised once */
    struct ocsp_parts parts;
    time_t not_after, renew_at, retry_at;
} delegates[2];

/* a new responder key and its certificate from ca's key, into d */
static int
delegate_make(struct hall_pki_ca *ca, struct delegate *d, time_t now)
{
    struct delegate n = {0};
    EVP_MD_CTX *md = EVP_MD_CTX_new(), *sign = NULL;
    unsigned char rnd[16];
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    X509V3_CTX v3;
    char *hex = NULL;
    int rc = HALL_ERR;

    n.key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    n.cert = X509_new();
    if (md == NULL || n.key == NULL || n.cert == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1)
        goto out;
    rnd[0] = (unsigned char)((rnd[0] & 0x7f) | 0x40); /* positive, 16 bytes */
    bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
    serial = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    /* the long-lived signer's subject: the same responder, a new key */
    if (serial == NULL || X509_set_version(n.cert, 2) != 1 ||
        X509_set_serialNumber(n.cert, serial) != 1 ||
        X509_set_subject_name(n.cert, X509_get_subject_name(ca->ocsp_cert)) != 1 ||
        X509_set_issuer_name(n.cert, X509_get_subject_name(ca->cert)) != 1 ||
        X509_time_adj_ex(X509_getm_notBefore(n.cert), 0, -DELEGATE_BACKDATE_S, &now) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(n.cert), 0, ca->responder_s, &now) == NULL ||
        X509_set_pubkey(n.cert, n.key) != 1)
        goto out;
    X509V3_set_ctx(&v3, ca->cert, n.cert, NULL, NULL, 0);
    if (hall_x509_ext_add(n.cert, &v3, "basicConstraints", "critical,CA:FALSE") != HALL_OK ||
        hall_x509_ext_add(n.cert, &v3, "keyUsage", "critical,digitalSignature") != HALL_OK ||
        hall_x509_ext_add(n.cert, &v3, "extendedKeyUsage", "critical,OCSPSigning") != HALL_OK ||
        hall_x509_ext_add(n.cert, &v3, "noCheck", "ignored") != HALL_OK ||
        hall_x509_ext_add(n.cert, &v3, "subjectKeyIdentifier", "hash") != HALL_OK ||
        hall_x509_ext_add(n.cert, &v3, "authorityKeyIdentifier", "keyid") != HALL_OK)
        goto out;
    /* the one signature the token makes for this key */
    if (EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, ca->ocsp_issuer, NULL) != 1 ||
        X509_sign_ctx(n.cert, md) <= 0 || X509_verify(n.cert, X509_get0_pubkey(ca->cert)) != 1)
        goto out;
    n.sign = EVP_PKEY_CTX_new_from_pkey(NULL, n.key, NULL);
    sign = hall_pki_sign_ctx(n.key, 0);
    if (n.sign == NULL || EVP_PKEY_sign_init(n.sign) != 1 || sign == NULL ||
        ocsp_parts_make(n.cert, sign, &n.parts) != HALL_OK)
        goto out;
    n.not_after = now + ca->responder_s;
    n.renew_at = now + ca->responder_s / 2;
    hex = BN_bn2hex(bn);
    hall_log(HALL_LOG_INFO, NULL,
             "msg=\"ocsp: responder certificate made\" ca=%s serial=%s not_after=%lld", ca->name,
             hex != NULL ? hex : "?", (long long)n.not_after);
    /* the old one's answers are copies (ocsp_cache): nothing points into it */
    EVP_PKEY_free(d->key);
    X509_free(d->cert);
    EVP_PKEY_CTX_free(d->sign);
    ocsp_parts_free(&d->parts);
    *d = n;
    memset(&n, 0, sizeof(n));
    rc = HALL_OK;
out:
    EVP_PKEY_free(n.key);
    X509_free(n.cert);
    EVP_PKEY_CTX_free(n.sign);
    ocsp_parts_free(&n.parts);
    EVP_MD_CTX_free(sign);
    EVP_MD_CTX_free(md);
    OPENSSL_free(hex);
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    return rc;
}

/* the responder of ca to sign with now: a delegated one (made or renewed
 * when due), or NULL for the long-lived signer */
static struct delegate *
delegate_get(struct hall_pki_ca *ca, time_t now)
{
    struct delegate *d = &delegates[ca - hall_pki_cas];

    if (ca->ocsp_issuer == NULL)
        return NULL;
    if (d->cert != NULL && now < d->renew_at && now >= d->renew_at - ca->responder_s)
        return d;
    if (now >= d->retry_at || now < d->retry_at - DELEGATE_RETRY_S) {
        if (delegate_make(ca, d, now) != HALL_OK) {
            ERR_clear_error();
            d->retry_at = now + DELEGATE_RETRY_S;
            hall_log(HALL_LOG_WARN, NULL,
                     "msg=\"ocsp: the token did not certify a new responder key;"
                     " %s\" ca=%s",
                     d->cert != NULL ? "the current one signs until its notAfter"
                                     : "the token's signer answers",
                     ca->name);
        }
    }
    return d->cert != NULL && now < d->not_after ? d : NULL;
}

/* the DER signature of tbs by the delegated responder d into sig */
static int
delegate_sign(struct delegate *d, const unsigned char *tbs, size_t len, unsigned char *sig,
              size_t *siglen)
{
    unsigned char md[32];

    if (ocsp_sha256(tbs, len, md) != HALL_OK ||
        EVP_PKEY_sign(d->sign, sig, siglen, md, sizeof(md)) != 1)
        return HALL_ERR;
    return HALL_OK;
}

/* one SingleResponse { CertID as asked, its status, thisUpdate [0]
 * nextUpdate }: thisUpdate when the database said so (read), RFC 6960
 * 4.2.2.1 */
static unsigned char *
put_single(unsigned char *p, const struct hall_ocsp_certid *id, const unsigned char *st,
           size_t st_len, time_t read)
{
    unsigned char this_t[17], until_t[17];

    p = put_hdr(p, 0x30, SINGLE_LEN(id->der_len, st_len));
    memcpy(p, id->der, id->der_len);
    p += id->der_len;
    memcpy(p, st, st_len);
    p += st_len;
    der_gtime(this_t, read);
    der_gtime(until_t, read + HALL_PKI_OCSP_VALID_S);
    memcpy(p, this_t, 17);
    p[17] = 0xa0;
    p[18] = 0x11;
    memcpy(p + 19, until_t, 17);
    return p + 36;
}

/* "NAME|NID|ALG_LEN|SERIAL|STATUS|REV_AT|REASON" into key (128 bytes, the longest
 * possible 110), by
 * hand: its snprintf was an eighth of a reused answer's instructions */
static char *
key_num(char *p, long long v)
{
    char d[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;

    if (v < 0)
        *p++ = '-';
    do {
        d[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    while (n > 0)
        *p++ = d[--n];
    *p++ = '|';
    return p;
}

static void
cache_key(char key[128], const char *name, int nid, size_t alg_len, const char hex[17], int status,
          long long rev_at, int reason)
{
    size_t nl = strlen(name);
    char *p = key;

    if (nl > 16)
        nl = 16;
    memcpy(p, name, nl);
    p += nl;
    *p++ = '|';
    p = key_num(p, nid);
    p = key_num(p, (long long)alg_len);
    memcpy(p, hex, 16);
    p += 16;
    *p++ = '|';
    p = key_num(p, status);
    p = key_num(p, rev_at);
    p = key_num(p, reason);
    p[-1] = '\0'; /* no '|' after the last */
}

/* an answer made less than OCSP_RENEW_S ago for the same question and
 * status (key), copied into pool; NULL when there is none */
static unsigned char *
cache_get(struct hall_pool *pool, const char *key, time_t now, size_t *outlen,
          struct hall_ocsp_meta *meta)
{
    unsigned slot = cache_slot(key);
    unsigned char *buf;

    if (ocsp_cache[slot].der == NULL || strcmp(ocsp_cache[slot].key, key) != 0 ||
        now < ocsp_cache[slot].produced ||
        now >= ocsp_cache[slot].this_update + HALL_PKI_OCSP_VALID_S - OCSP_RENEW_S ||
        (ocsp_cache[slot].signer_until != 0 && now >= ocsp_cache[slot].signer_until))
        return NULL;
    buf = hall_palloc(pool, ocsp_cache[slot].len);
    memcpy(buf, ocsp_cache[slot].der, ocsp_cache[slot].len);
    *outlen = ocsp_cache[slot].len;
    meta->this_update = ocsp_cache[slot].this_update;
    meta->next_update = ocsp_cache[slot].this_update + HALL_PKI_OCSP_VALID_S;
    meta->produced = ocsp_cache[slot].produced;
    meta->reuse_until = meta->next_update - OCSP_RENEW_S;
    memcpy(meta->etag, ocsp_cache[slot].etag, sizeof(meta->etag));
    return buf;
}

/* the answer just made (der, len; meta's times) kept for key, while its
 * signer's certificate is valid (signer_until, 0: no end of its own); meta
 * gets its reuse time and ETag */
static void
cache_put(const char *key, const unsigned char *der, size_t len, struct hall_ocsp_meta *meta,
          time_t signer_until)
{
    unsigned slot = cache_slot(key);
    unsigned char *copy = malloc(len);

    meta->reuse_until = meta->next_update - OCSP_RENEW_S;
    ocsp_etag(der, len, meta->etag);
    if (copy == NULL)
        return;
    free(ocsp_cache[slot].der);
    memcpy(copy, der, len);
    ocsp_cache[slot].der = copy;
    ocsp_cache[slot].len = len;
    ocsp_cache[slot].this_update = meta->this_update;
    ocsp_cache[slot].produced = meta->produced;
    ocsp_cache[slot].signer_until = signer_until;
    memcpy(ocsp_cache[slot].etag, meta->etag, sizeof(meta->etag));
    snprintf(ocsp_cache[slot].key, sizeof(ocsp_cache[slot].key), "%s", key);
}

/*
 * The answers signed for reuse are also kept in the database (ocsp_kept,
 * sql/123), so that a worker started while the token cannot sign (a
 * restart during an HSM outage) still answers good or revoked with an
 * answer signed before, until its nextUpdate, instead of tryLater.  Best
 * effort both ways: a failed write or read only leaves the answer to the
 * token.
 */
static void
kept_put(struct hall_ctx *cx, const char *key, const unsigned char *der, size_t len,
         const struct hall_ocsp_meta *meta)
{
    if (hall_db_exec(cx, "pki_ocsp_keep", HALL_STR(key), HALL_BIN(der, len),
                     HALL_I64((long long)meta->this_update),
                     HALL_I64((long long)meta->produced)) == NULL)
        hall_warn(cx, "msg=\"ocsp: answer not kept\"");
}

/* a kept answer for key that is still valid, copied into pool, or NULL */
static unsigned char *
kept_get(struct hall_ctx *cx, const char *key, size_t *outlen, struct hall_ocsp_meta *meta)
{
    struct hall_dbres *res =
        hall_db_exec(cx, "pki_ocsp_kept", HALL_STR(key), HALL_I64(HALL_PKI_OCSP_VALID_S));
    const unsigned char *der;
    unsigned char *buf;
    size_t len;

    if (res == NULL || hall_dbres_rows(res) != 1)
        return NULL;
    der = hall_dbres_bytea(cx, res, 0, hall_dbres_col(res, "der"), &len);
    if (der == NULL || len == 0)
        return NULL;
    buf = hall_palloc(cx->pool, len);
    memcpy(buf, der, len);
    *outlen = len;
    meta->this_update = (time_t)hall_dbres_int(res, 0, "this_update");
    meta->next_update = meta->this_update + HALL_PKI_OCSP_VALID_S;
    meta->produced = (time_t)hall_dbres_int(res, 0, "produced");
    cache_put(key, buf, len, meta, 0);
    return buf;
}

static const unsigned char nonce_oid[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05,
                                          0x05, 0x07, 0x30, 0x01, 0x02};
/* the nonce extension's innermost content: OID, critical, the value */
#define NONCE_EXT_LEN(rq) (sizeof(nonce_oid) + ((rq)->nonce_critical ? 3 : 0) + (rq)->nonce_len)

/* the request's nonce echoed: [1] { SEQ { SEQ { OID, critical, value } } } */
static unsigned char *
put_nonce(unsigned char *p, const struct hall_ocsp_req *rq)
{
    size_t e = NONCE_EXT_LEN(rq);

    p = put_hdr(p, 0xa1, hdr_len(hdr_len(e) + e) + hdr_len(e) + e);
    p = put_hdr(p, 0x30, hdr_len(e) + e);
    p = put_hdr(p, 0x30, e);
    memcpy(p, nonce_oid, sizeof(nonce_oid));
    p += sizeof(nonce_oid);
    if (rq->nonce_critical) {
        memcpy(p, "\x01\x01\xff", 3);
        p += 3;
    }
    memcpy(p, rq->nonce, rq->nonce_len);
    return p + rq->nonce_len;
}

/* the OCSPResponse around the BasicOCSPResponse's basic_c bytes at basic,
 * its headers written backwards before them: where it starts */
static unsigned char *
response_around(unsigned char *basic, size_t basic_c)
{
    static const unsigned char basic_oid[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05,
                                              0x05, 0x07, 0x30, 0x01, 0x01};
    size_t oct_len = hdr_len(basic_c) + basic_c, rb_c;
    unsigned char *p = put_hdr_back(basic, 0x30, basic_c);

    p = put_hdr_back(p, 0x04, oct_len);
    p -= sizeof(basic_oid);
    memcpy(p, basic_oid, sizeof(basic_oid));
    rb_c = sizeof(basic_oid) + hdr_len(oct_len) + oct_len;
    p = put_hdr_back(p, 0x30, rb_c);
    p = put_hdr_back(p, 0xa0, hdr_len(rb_c) + rb_c);
    p -= 3;
    memcpy(p, "\x0a\x01\x00", 3); /* responseStatus successful */
    return put_hdr_back(p, 0x30, (size_t)(basic + basic_c - p));
}

unsigned char *
hall_pki_ocsp_answer(struct hall_ctx *cx, const unsigned char *in, size_t inlen, size_t *outlen,
                     struct hall_ocsp_meta *meta)
{
    struct hall_ocsp_req rq;
    struct {
        unsigned char st[24];
        size_t st_len;
        time_t read;
    } one[HALL_OCSP_REQ_MAX];
    struct hall_pki_ca *signer = NULL;
    struct delegate *d = NULL;
    struct ocsp_parts *op;
    unsigned char *buf, *tbs, *p, sig[160];
    unsigned char now_t[17];
    char key[128] = "";
    long long rev_at = 0;
    time_t now = time(NULL), this_update = now;
    size_t siglen = sizeof(sig), singles = 0, ext = 0, tbs_c, tbs_len, basic_c, bit_c;
    int i, cacheable;
    const char **outcome = &meta->outcome, *said = NULL;

    memset(meta, 0, sizeof(*meta));
    *outcome = "malformed";
    if (inlen > 64 * 1024 || hall_ocsp_req_parse(in, inlen, &rq) != HALL_OK)
        return ocsp_error(cx->pool, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, outlen);
    cacheable = rq.n == 1 && rq.nonce == NULL;
    for (i = 0; i < rq.n; i++) {
        const struct hall_ocsp_certid *id = &rq.ids[i];
        int nid = 0, status = V_OCSP_CERTSTATUS_UNKNOWN, reason = -1;
        struct hall_pki_ca *ca = ocsp_ca_of_id(id, &nid);
        char hex[17] = "";

        one[i].read = now;
        if (ca != NULL && signer == NULL)
            signer = ca;
        if (ca != NULL && ca == signer)
            hall_ocsp_serial_hex(id, hex);
        if (ca != NULL && ca == signer && hall_pki_own_is(ca, id)) {
            status = V_OCSP_CERTSTATUS_GOOD; /* the seal maker: never in certificates */
        } else if (hex[0] != '\0' && ocsp_status_get(cx, ca, hex, &status, &rev_at, &reason,
                                                     &one[i].read) != HALL_OK) {
            *outcome = "busy";
            goto internal;
        }
        /* the answer repeats the request's CertID: cache only ours, by
         * CA, hash (and whether its parameters are there), serial and what
         * the database said */
        if (cacheable && hex[0] != '\0')
            cache_key(key, ca->name, nid, id->alg_len, hex, status, rev_at, reason);
        one[i].st_len = cert_status(one[i].st, status, (time_t)rev_at, reason);
        /* thisUpdate: when the database said so (RFC 6960 4.2.2.1) */
        if (i == 0)
            this_update = one[i].read;
        singles += hdr_len(SINGLE_LEN(id->der_len, one[i].st_len)) +
                   SINGLE_LEN(id->der_len, one[i].st_len);
        *outcome = status == V_OCSP_CERTSTATUS_GOOD      ? "good"
                   : status == V_OCSP_CERTSTATUS_REVOKED ? "revoked"
                                                         : "unknown";
    }
    if (key[0] != '\0' && (buf = cache_get(cx->pool, key, now, outlen, meta)) != NULL)
        return buf;
    said = *outcome; /* good, revoked or unknown: the status asked about */
    if (signer == NULL)
        signer = &hall_pki_cas[0];
    d = delegate_get(signer, now);
    op = d != NULL ? &d->parts : &ocsp_parts[signer - hall_pki_cas];
    if (op->rid == NULL && (!signer->ocsp_token || hall_pki_ocsp_parts_load(signer) != HALL_OK)) {
        /* the token was away at the start and still is */
        ERR_clear_error();
        if (signer->ocsp_token)
            *outcome = "busy";
        goto internal;
    }
    /* the nonce extension echoed */
    if (rq.nonce != NULL) {
        ext = NONCE_EXT_LEN(&rq);
        ext += hdr_len(ext);
        ext += hdr_len(ext);
        ext += hdr_len(ext);
    }
    /* tbs: responderID, producedAt, the responses, the nonce */
    tbs_c = op->rid_len + sizeof(now_t) + hdr_len(singles) + singles + ext;
    tbs_len = hdr_len(tbs_c) + tbs_c;
    buf = hall_palloc(cx->pool,
                      OCSP_HEAD_ROOM + tbs_len + op->alg_len + 5 + sizeof(sig) + op->certs_len);
    der_gtime(now_t, now);
    tbs = p = buf + OCSP_HEAD_ROOM;
    p = put_hdr(p, 0x30, tbs_c);
    memcpy(p, op->rid, op->rid_len);
    p += op->rid_len;
    memcpy(p, now_t, sizeof(now_t));
    p += sizeof(now_t);
    p = put_hdr(p, 0x30, singles);
    for (i = 0; i < rq.n; i++)
        p = put_single(p, &rq.ids[i], one[i].st, one[i].st_len, one[i].read);
    if (rq.nonce != NULL)
        p = put_nonce(p, &rq);
    if ((size_t)(p - tbs) != tbs_len)
        goto internal;
    if ((d != NULL ? delegate_sign(d, tbs, tbs_len, sig, &siglen)
                   : ocsp_sign(signer, tbs, tbs_len, sig, &siglen)) != HALL_OK) {
        /* the signer's key cannot sign now (the token away): the client
         * may ask again later (RFC 6960 2.3) */
        ERR_clear_error();
        *outcome = "busy";
        goto internal;
    }
    /* BasicOCSPResponse { tbs, alg, BIT STRING signature, certs } */
    memcpy(p, op->alg, op->alg_len);
    p += op->alg_len;
    bit_c = siglen + 1;
    p = put_hdr(p, 0x03, bit_c);
    *p++ = 0; /* the BIT STRING's unused bits */
    memcpy(p, sig, siglen);
    p += siglen;
    memcpy(p, op->certs, op->certs_len);
    p += op->certs_len;
    basic_c = (size_t)(p - tbs);
    p = response_around(tbs, basic_c);
    if (p < buf)
        abort(); /* OCSP_HEAD_ROOM too small: a bug */
    *outlen = (size_t)(tbs + basic_c - p);
    meta->this_update = this_update;
    meta->next_update = this_update + HALL_PKI_OCSP_VALID_S;
    meta->produced = now;
    if (key[0] != '\0') {
        cache_put(key, p, *outlen, meta, d != NULL ? d->not_after : 0);
        /* not an unknown serial's: anybody may ask about any number */
        if (strcmp(said, "unknown") != 0)
            kept_put(cx, key, p, *outlen, meta);
    }
    return p;
internal:
    /* the token cannot sign: an answer to the same question signed before
     * (by any worker, before a restart) while it is valid */
    if (strcmp(*outcome, "busy") == 0 && key[0] != '\0' &&
        (buf = kept_get(cx, key, outlen, meta)) != NULL) {
        *outcome = said;
        return buf;
    }
    meta->this_update = meta->next_update = meta->produced = meta->reuse_until = 0;
    meta->etag[0] = '\0';
    if (strcmp(*outcome, "busy") != 0)
        *outcome = "internal";
    return ocsp_error(cx->pool,
                      strcmp(*outcome, "busy") == 0 ? OCSP_RESPONSE_STATUS_TRYLATER
                                                    : OCSP_RESPONSE_STATUS_INTERNALERROR,
                      outlen);
}
