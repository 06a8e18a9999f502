/*
 * hall-assist renew: 在线更新 of the certificate on a USB key with the
 * one-time code of its 证书更新 order (docs/modules/assist.md); hall-assist
 * change: 在线变更, the same steps with the code of a 证书变更 order (the
 * hall's /pki/change/ calls, the proof "hall-assist change\n" ...; the new
 * certificate carries the changed data, and the hall revokes the old one
 * when told the new one is written).  Logged in
 * with the user PIN: a NEW ECDSA P-256 key pair generated on the medium
 * (CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE true, CKA_EXTRACTABLE false, a new
 * CKA_ID), a PKCS#10 request the new key signs on the medium, the same
 * request signed again by the OLD key (what the hall checks against the old
 * certificate: the medium that holds it asks); the hall's new certificate
 * and its chain written onto the medium; the hall told; only then the old
 * certificate and the old key removed.  A failure before the new
 * certificate is written deletes the new key and tells the hall (which
 * revokes what it issued): the medium keeps the old certificate.
 * HALL_ASSIST_FAULT=before_write (before the write) and mid_write (the new
 * certificate written, its chain not) fail there on purpose (the tests').
 * The hall's confirmation (written) is tried again while the hall cannot
 * be reached or answers 5xx; when it never comes, both certificates stay
 * on the medium and the same command run later finds the new one there
 * and confirms it (pending()): no second key, no second certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "assist.h"

#define KEY_LABEL     "hall"
#define CONFIRM_TRIES 4 /* written, failed: then 1, 2, 4 seconds between */

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

struct renew {
    struct medium *m;
    const struct opts *o;
    const char *verb, *word; /* "renew" 更新, "change" 变更 */
    X509 *old;
    unsigned char old_id[64], new_id[8];
    size_t old_id_len;
    CK_OBJECT_HANDLE old_priv, new_priv, new_pub, made[8];
    int nmade;
    EVP_PKEY *pub;
    unsigned char *csr;
    int csr_len;
    char body[12000], url[512];
};

/* a ends after b, or (a 变更's: the same end) begins after it */
static int
later(X509 *a, X509 *b)
{
    int k = ASN1_TIME_compare(X509_get0_notAfter(a), X509_get0_notAfter(b));

    return k > 0 ||
           (k == 0 && ASN1_TIME_compare(X509_get0_notBefore(a), X509_get0_notBefore(b)) > 0);
}

/* a holder's certificate: not a CA's, with a private key of its CKA_ID
 * labelled KEY_LABEL (*h that key); a seal's own key on the same medium
 * (a 机构业务章's, labelled with the seal's code) is not the holder's */
static int
holder_cert(struct medium *m, const struct medium_cert *c, CK_OBJECT_HANDLE *h)
{
    char label[64];
    CK_ATTRIBUTE a = {CKA_LABEL, label, sizeof(label) - 1};

    if (X509_check_ca(c->x) != 0 || c->id_len == 0 ||
        assist_medium_find(m, CKO_PRIVATE_KEY, c->id, c->id_len, h, 1) != 1)
        return 0;
    if (m->f->C_GetAttributeValue(m->s, *h, &a, 1) != CKR_OK || a.ulValueLen >= sizeof(label))
        return 1; /* no label to tell: taken as the holder's */
    return a.ulValueLen == strlen(KEY_LABEL) && memcmp(label, KEY_LABEL, a.ulValueLen) == 0;
}

/* the holder's certificate: not a CA's, with a private key of its CKA_ID
 * (the latest ending when there are several) */
static int
old_find(struct renew *rn)
{
    struct medium_cert *c;
    size_t n, i;
    CK_OBJECT_HANDLE h;

    if (assist_medium_certs(rn->m, &c, &n) != 0)
        return -1;
    for (i = 0; i < n; i++) {
        if (!holder_cert(rn->m, &c[i], &h))
            continue;
        if (rn->old != NULL && !later(c[i].x, rn->old))
            continue;
        X509_free(rn->old);
        rn->old = X509_dup(c[i].x);
        memcpy(rn->old_id, c[i].id, c[i].id_len);
        rn->old_id_len = c[i].id_len;
        rn->old_priv = h;
    }
    assist_medium_certs_free(c, n);
    if (rn->old == NULL) {
        fprintf(stderr, "hall-assist: 介质 %s 中没有带私钥的证书，不能在线%s\n", rn->m->label,
                rn->word);
        return -1;
    }
    return 0;
}

/* the new key pair, born in the medium */
static int
keygen(struct renew *rn)
{
    static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    /* sign (and verify) only, as the medium's first key (core/pki/medium.c):
     * a module's defaults allow more (SoftHSM2: decrypt, unwrap) */
    CK_ATTRIBUTE pub[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &no, sizeof(no)},
        {CKA_VERIFY, &yes, sizeof(yes)},
        {CKA_ENCRYPT, &no, sizeof(no)},
        {CKA_WRAP, &no, sizeof(no)},
        {CKA_VERIFY_RECOVER, &no, sizeof(no)},
        {CKA_DERIVE, &no, sizeof(no)},
        {CKA_EC_PARAMS, (void *)p256, sizeof(p256)},
        {CKA_LABEL, (void *)KEY_LABEL, sizeof(KEY_LABEL) - 1},
        {CKA_ID, rn->new_id, sizeof(rn->new_id)},
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)},
        {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_SIGN, &yes, sizeof(yes)},
        {CKA_DECRYPT, &no, sizeof(no)},
        {CKA_UNWRAP, &no, sizeof(no)},
        {CKA_SIGN_RECOVER, &no, sizeof(no)},
        {CKA_DERIVE, &no, sizeof(no)},
        {CKA_LABEL, (void *)KEY_LABEL, sizeof(KEY_LABEL) - 1},
        {CKA_ID, rn->new_id, sizeof(rn->new_id)},
    };
    CK_RV rv;

    if (RAND_bytes(rn->new_id, sizeof(rn->new_id)) != 1)
        return -1;
    rv = rn->m->f->C_GenerateKeyPair(rn->m->s, &mech, pub, sizeof(pub) / sizeof(pub[0]), priv,
                                     sizeof(priv) / sizeof(priv[0]), &rn->new_pub, &rn->new_priv);
    if (rv != CKR_OK) {
        fprintf(stderr, "hall-assist: 介质不能生成新密钥：%s\n", assist_p11_error(rv));
        return -1;
    }
    return 0;
}

/* the new public key as OpenSSL's (CKA_EC_POINT: a DER OCTET STRING, or bare) */
static int
pub_read(struct renew *rn)
{
    unsigned char buf[200];
    CK_ATTRIBUTE a = {CKA_EC_POINT, buf, sizeof(buf)};
    const unsigned char *p = buf, *pt = buf;
    ASN1_OCTET_STRING *os = NULL;
    OSSL_PARAM_BLD *b = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    size_t n;

    if (rn->m->f->C_GetAttributeValue(rn->m->s, rn->new_pub, &a, 1) != CKR_OK)
        return -1;
    n = a.ulValueLen;
    os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)a.ulValueLen);
    if (os != NULL && os->length == 65 && p == buf + a.ulValueLen) {
        pt = os->data;
        n = 65;
    }
    b = OSSL_PARAM_BLD_new();
    if (n == 65 && b != NULL &&
        OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, n) == 1 &&
        (params = OSSL_PARAM_BLD_to_param(b)) != NULL &&
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) != NULL &&
        EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &rn->pub, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    ASN1_OCTET_STRING_free(os);
    return rn->pub != NULL ? 0 : -1;
}

/* ECDSA with SHA-256 of msg by the medium's key h, DER (malloc'ed) */
static unsigned char *
medium_sign(struct renew *rn, CK_OBJECT_HANDLE h, const unsigned char *msg, size_t len,
            int *der_len)
{
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    unsigned char dgst[32], raw[132], *der = NULL;
    CK_ULONG rawlen = sizeof(raw);
    ECDSA_SIG *sig;
    BIGNUM *r, *s;
    CK_RV rv;

    EVP_Digest(msg, len, dgst, NULL, EVP_sha256(), NULL);
    rv = rn->m->f->C_SignInit(rn->m->s, &mech, h);
    if (rv == CKR_OK)
        rv = rn->m->f->C_Sign(rn->m->s, dgst, sizeof(dgst), raw, &rawlen);
    if (rv != CKR_OK || rawlen != 64) {
        fprintf(stderr, "hall-assist: 介质签名失败：%s\n", assist_p11_error(rv));
        return NULL;
    }
    sig = ECDSA_SIG_new();
    r = BN_bin2bn(raw, 32, NULL);
    s = BN_bin2bn(raw + 32, 32, NULL);
    if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
    } else {
        *der_len = i2d_ECDSA_SIG(sig, &der);
    }
    ECDSA_SIG_free(sig);
    return der;
}

/* the request: the old certificate's subject (the hall uses the order's),
 * the new key, signed by the new key in the medium */
static int
csr_make(struct renew *rn)
{
    X509_REQ *req = X509_REQ_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    unsigned char *tbs = NULL, *sig = NULL;
    ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
    int tbslen = 0, siglen = 0, ok = 0;

    if (req != NULL && alg != NULL && bits != NULL &&
        X509_REQ_set_version(req, X509_REQ_VERSION_1) == 1 &&
        X509_REQ_set_subject_name(req, X509_get_subject_name(rn->old)) == 1 &&
        X509_REQ_set_pubkey(req, rn->pub) == 1 &&
        X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL) == 1 &&
        X509_REQ_set1_signature_algo(req, alg) == 1 &&
        (tbslen = i2d_re_X509_REQ_tbs(req, &tbs)) > 0 &&
        (sig = medium_sign(rn, rn->new_priv, tbs, (size_t)tbslen, &siglen)) != NULL && siglen > 0) {
        ASN1_BIT_STRING_set(bits, sig, siglen);
        bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
        bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
        X509_REQ_set0_signature(req, bits);
        bits = NULL;
        rn->csr_len = i2d_X509_REQ(req, &rn->csr);
        ok = rn->csr_len > 0;
    }
    ASN1_BIT_STRING_free(bits);
    OPENSSL_free(tbs);
    OPENSSL_free(sig);
    X509_ALGOR_free(alg);
    X509_REQ_free(req);
    return ok ? 0 : -1;
}

/* s as application/x-www-form-urlencoded's value: Base64 of p */
static int
add_b64(char *out, size_t outlen, const char *name, const unsigned char *p, size_t n)
{
    size_t o = strlen(out), i;
    unsigned char *b = malloc(4 * ((n + 2) / 3) + 1);
    int bl;

    if (b == NULL)
        return -1;
    bl = EVP_EncodeBlock(b, p, (int)n);
    o += (size_t)snprintf(out + o, outlen - o, "&%s=", name);
    for (i = 0; i < (size_t)bl && o + 4 < outlen; i++)
        o += (size_t)(b[i] == '+'   ? snprintf(out + o, outlen - o, "%%2B")
                      : b[i] == '/' ? snprintf(out + o, outlen - o, "%%2F")
                      : b[i] == '=' ? snprintf(out + o, outlen - o, "%%3D")
                                    : snprintf(out + o, outlen - o, "%c", b[i]));
    free(b);
    return i == (size_t)bl ? 0 : -1;
}

static int
post(struct renew *rn, const char *what, const char *body, const char *fail_msg,
     struct http_reply *r)
{
    char *msg;

    snprintf(rn->url, sizeof(rn->url), "%s/pki/%s/%s", rn->o->hall, rn->verb, what);
    if (assist_http_post(rn->url, "application/x-www-form-urlencoded", body, strlen(body), r) != 0)
        return -1;
    if (r->status == 200)
        return 0;
    msg = assist_json_str(r->body, "message");
    fprintf(stderr, "hall-assist: %s：%s（HTTP %ld）\n", fail_msg,
            msg != NULL ? msg : "网上营业厅拒绝", r->status);
    free(msg);
    assist_http_reply_free(r);
    return -1;
}

/* one certificate object on the medium */
static int
cert_write(struct renew *rn, X509 *x, const unsigned char *id, size_t id_len, const char *label)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    unsigned char *der = NULL, *subj = NULL, *iss = NULL, *sn = NULL;
    int len = i2d_X509(x, &der), sl = i2d_X509_NAME(X509_get_subject_name(x), &subj),
        il = i2d_X509_NAME(X509_get_issuer_name(x), &iss),
        nl = i2d_ASN1_INTEGER(X509_get_serialNumber(x), &sn);
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &no, sizeof(no)},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_ID, (void *)id, id_len},
        {CKA_SUBJECT, subj, (CK_ULONG)sl},
        {CKA_ISSUER, iss, (CK_ULONG)il},
        {CKA_SERIAL_NUMBER, sn, (CK_ULONG)nl},
        {CKA_VALUE, der, (CK_ULONG)len},
    };
    CK_RV rv = CKR_GENERAL_ERROR;

    if (len > 0 && sl > 0 && il > 0 && nl > 0 && rn->nmade < 8)
        rv = rn->m->f->C_CreateObject(rn->m->s, t, sizeof(t) / sizeof(t[0]), &rn->made[rn->nmade]);
    if (rv == CKR_OK)
        rn->nmade++;
    else
        fprintf(stderr, "hall-assist: 不能把证书写入介质：%s\n", assist_p11_error(rv));
    OPENSSL_free(der);
    OPENSSL_free(subj);
    OPENSSL_free(iss);
    OPENSSL_free(sn);
    return rv == CKR_OK ? 0 : -1;
}

/* x's serial in hex (upper case, as the hall writes it) */
static void
serial_hex(X509 *x, char *out, size_t len)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

    snprintf(out, len, "%s", hex != NULL ? hex : "");
    OPENSSL_free(hex);
    BN_free(bn);
}

/* the same serial in hex, leading zeros and case aside */
static int
same_serial(const char *a, const char *b)
{
    while (*a == '0')
        a++;
    while (*b == '0')
        b++;
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if ((*a | 0x20) != (*b | 0x20))
            return 0;
    return *a == *b;
}

/* the new certificate (the chain's first) with the new key's CKA_ID; the
 * CA certificates the medium does not hold yet */
static int
chain_write(struct renew *rn, const char *pem, char *serial, size_t slen)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    struct medium_cert *c;
    size_t n = 0, i;
    X509 *x;
    int k = 0, rc = 0;

    if (b == NULL || assist_medium_certs(rn->m, &c, &n) != 0) {
        BIO_free(b);
        return -1;
    }
    while (rc == 0 && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        int have = 0;

        if (k == 0) {
            const char *fault = getenv("HALL_ASSIST_FAULT");

            serial_hex(x, serial, slen);
            if (EVP_PKEY_eq(X509_get0_pubkey(x), rn->pub) != 1) {
                fprintf(stderr, "hall-assist: 网上营业厅签发的证书不是介质中新密钥的证书\n");
                rc = -1;
            } else {
                rc = cert_write(rn, x, rn->new_id, sizeof(rn->new_id), KEY_LABEL);
            }
            if (rc == 0 && fault != NULL && strcmp(fault, "mid_write") == 0) {
                fprintf(stderr, "hall-assist: HALL_ASSIST_FAULT=mid_write\n");
                rc = -1;
            }
        } else {
            for (i = 0; i < n; i++)
                have |= X509_cmp(c[i].x, x) == 0;
            if (!have) {
                unsigned char id[2] = {0xca, (unsigned char)(0x40 + k)};

                rc = cert_write(rn, x, id, sizeof(id), "CA");
            }
        }
        X509_free(x);
        k++;
    }
    assist_medium_certs_free(c, n);
    BIO_free(b);
    return rc == 0 && k > 0 ? 0 : -1;
}

/* the new key and what was written of the new chain, gone */
static void
undo(struct renew *rn)
{
    int i;

    for (i = 0; i < rn->nmade; i++)
        rn->m->f->C_DestroyObject(rn->m->s, rn->made[i]);
    if (rn->new_priv != 0)
        rn->m->f->C_DestroyObject(rn->m->s, rn->new_priv);
    if (rn->new_pub != 0)
        rn->m->f->C_DestroyObject(rn->m->s, rn->new_pub);
}

/* the old certificate and its key pair, gone: the new ones are written */
static void
old_remove(struct renew *rn)
{
    static const CK_OBJECT_CLASS cls[] = {CKO_CERTIFICATE, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY};
    CK_OBJECT_HANDLE h[8];
    CK_ULONG n, i;
    size_t k;

    for (k = 0; k < 3; k++) {
        n = assist_medium_find(rn->m, cls[k], rn->old_id, rn->old_id_len, h, 8);
        for (i = 0; i < n; i++)
            rn->m->f->C_DestroyObject(rn->m->s, h[i]);
    }
}

static void
hex_of(const unsigned char *p, size_t n, char *out)
{
    size_t i;

    for (i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* POST URL/pki/VERB/WHAT (written, failed), tried again while the hall
 * cannot be reached or answers 5xx (down, the connection cut): 0 with *r
 * its answer; 1 refused (*r freed, its status kept; why printed, after
 * fail_msg, unless quiet_409 and a 409); -1 never reached */
static int
tell(struct renew *rn, const char *what, const char *body, const char *fail_msg, int quiet_409,
     struct http_reply *r)
{
    char *msg;
    unsigned wait = 1;
    int i;

    snprintf(rn->url, sizeof(rn->url), "%s/pki/%s/%s", rn->o->hall, rn->verb, what);
    for (i = 0; i < CONFIRM_TRIES; i++) {
        if (i > 0) {
            fprintf(stderr, "hall-assist: %u 秒后再次向网上营业厅发送 %s（第 %d 次）\n", wait, what,
                    i + 1);
            sleep(wait);
            wait *= 2;
        }
        if (assist_http_post(rn->url, "application/x-www-form-urlencoded", body, strlen(body), r) !=
            0)
            continue;
        if (r->status == 200)
            return 0;
        if (r->status >= 500) {
            fprintf(stderr, "hall-assist: 网上营业厅暂时不能处理（HTTP %ld）\n", r->status);
            assist_http_reply_free(r);
            continue;
        }
        if (!(quiet_409 && r->status == 409)) {
            msg = assist_json_str(r->body, "message");
            fprintf(stderr, "hall-assist: %s：%s（HTTP %ld）\n", fail_msg,
                    msg != NULL ? msg : "网上营业厅拒绝", r->status);
            free(msg);
        }
        assist_http_reply_free(r);
        return 1;
    }
    return -1;
}

/* the hall told the certificate serial is on the medium (tell()'s answer) */
static int
confirm(struct renew *rn, const char *base, const char *serial, int quiet_409, struct http_reply *r)
{
    char body[300];

    snprintf(body, sizeof(body), "%s&serial=%.79s", base, serial);
    return tell(rn, "written", body, "网上营业厅未确认新证书已写入", quiet_409, r);
}

/* the old certificate (serial) and its key pair, gone, once the hall has
 * confirmed the new one */
static void
replaced_remove(struct renew *rn, const char *serial)
{
    struct medium_cert *c;
    size_t n, i;
    char hex[80];

    if (assist_medium_certs(rn->m, &c, &n) != 0)
        return;
    for (i = 0; i < n; i++) {
        serial_hex(c[i].x, hex, sizeof(hex));
        if (c[i].id_len > 0 && same_serial(hex, serial)) {
            memcpy(rn->old_id, c[i].id, c[i].id_len);
            rn->old_id_len = c[i].id_len;
            old_remove(rn);
            break;
        }
    }
    assist_medium_certs_free(c, n);
}

/* a run before wrote the new certificate and lost the hall's confirmation:
 * the medium holds two holder's certificates, each with its key.  Each is
 * offered to the hall as written, the newest first (the hall confirms only
 * the one it issued for this code and answers 409 to any other: a 变更's
 * certificate ends when the old one does, and two issued in the same
 * second cannot be told apart by their dates); confirmed, the one it
 * replaces is removed.  1 done; 0 nothing pending here (every one 409: a
 * renewal follows); -1 failed (said why) */
static int
pending(struct renew *rn, const char *base)
{
    struct medium_cert *c;
    struct http_reply r = {0};
    CK_OBJECT_HANDLE h;
    size_t n, i, k, holders = 0;
    X509 *order[8];
    char serials[8][80], *serial = NULL, *replaces;
    int rc = 1;

    if (assist_medium_certs(rn->m, &c, &n) != 0)
        return -1;
    /* the holder's certificates, newest first (insertion by later()) */
    for (i = 0; i < n; i++) {
        if (!holder_cert(rn->m, &c[i], &h) || holders == sizeof(order) / sizeof(order[0]))
            continue;
        for (k = holders; k > 0 && later(c[i].x, order[k - 1]); k--)
            order[k] = order[k - 1];
        order[k] = c[i].x;
        holders++;
    }
    for (k = 0; k < holders; k++)
        serial_hex(order[k], serials[k], sizeof(serials[k]));
    assist_medium_certs_free(c, n);
    if (holders < 2)
        return 0;
    for (k = 0; k < holders; k++) {
        serial = serials[k];
        rc = confirm(rn, base, serial, 1, &r);
        if (!(rc == 1 && r.status == 409))
            break;
    }
    if (rc == 1 && r.status == 409)
        return 0;
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr,
                    "hall-assist: 介质 %s 中的新证书 %s 尚未经网上营业厅确认，原证书保留；"
                    "请稍后重新运行同一命令\n",
                    rn->m->label, serial);
        return -1;
    }
    replaces = assist_json_str(r.body, "replaces");
    assist_http_reply_free(&r);
    if (replaces != NULL && !same_serial(replaces, serial))
        replaced_remove(rn, replaces);
    printf("介质 %s 已%s：新证书 %s 已写入（网上营业厅已确认），原证书和原密钥已删除\n",
           rn->m->label, rn->word, serial);
    free(replaces);
    return 1;
}

int
assist_cmd_renew(struct medium *m, const struct opts *o)
{
    static const char *const prompts[] = {"请输入USB Key的PIN码："};
    struct renew rn;
    struct http_reply r = {0};
    char pin[1][64], *chain = NULL, serial[80] = "", idhex[20], base[200];
    unsigned char *msg = NULL, *proof = NULL;
    size_t mlen;
    int plen = 0, rc = 1, issued = 0, told;
    const char *p, *fault = getenv("HALL_ASSIST_FAULT");
    CK_RV rv;

    memset(&rn, 0, sizeof(rn));
    rn.m = m;
    rn.o = o;
    rn.verb = strcmp(o->cmd, "change") == 0 ? "change" : "renew";
    rn.word = strcmp(rn.verb, "change") == 0 ? "变更" : "更新";
    if (o->hall == NULL || *o->hall == '\0') {
        fprintf(stderr,
                "hall-assist: 请用 --hall 指明网上营业厅的网址（业务单详情页的命令里有）\n");
        return 1;
    }
    for (p = o->ticket; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              *p == '-')) {
            fprintf(stderr, "hall-assist: %s码格式不正确\n", rn.word);
            return 1;
        }
    snprintf(base, sizeof(base), "medium=%s&ticket=%s", m->label, o->ticket);
    if (assist_read_pins(o->pin_file, prompts, pin, 1) != 0)
        return 1;
    rv = assist_medium_login(m, CKU_USER, pin[0]);
    OPENSSL_cleanse(pin, sizeof(pin));
    if (rv != CKR_OK) {
        fprintf(stderr, "hall-assist: PIN码不能登录介质 %s：%s%s\n", m->label, assist_p11_error(rv),
                rv == CKR_PIN_LOCKED ? "；请办理证书解锁后运行 hall-assist unlock" : "");
        return 1;
    }
    switch (pending(&rn, base)) {
    case 1: rc = 0; goto out;
    case -1: goto out;
    default: break;
    }
    if (old_find(&rn) != 0)
        goto out;
    if (keygen(&rn) != 0)
        goto out;
    if (pub_read(&rn) != 0 || csr_make(&rn) != 0) {
        fprintf(stderr, "hall-assist: 不能生成证书请求\n");
        goto undo;
    }
    /* the old key's word: this medium asks for this request
     * (core/biz/medium_renew.h: "hall-assist VERB\n" MEDIUM "\n" CSR) */
    mlen = strlen("hall-assist \n") + strlen(rn.verb) + strlen(m->label) + 1 + (size_t)rn.csr_len;
    msg = malloc(mlen);
    if (msg == NULL)
        goto undo;
    snprintf((char *)msg, mlen, "hall-assist %s\n%s\n", rn.verb, m->label);
    memcpy(msg + mlen - (size_t)rn.csr_len, rn.csr, (size_t)rn.csr_len);
    proof = medium_sign(&rn, rn.old_priv, msg, mlen, &plen);
    if (proof == NULL)
        goto undo;
    hex_of(rn.new_id, sizeof(rn.new_id), idhex);
    printf("介质 %s 已生成新密钥：CKA_ID %s\n", m->label, idhex);
    snprintf(rn.body, sizeof(rn.body), "%s", base);
    if (add_b64(rn.body, sizeof(rn.body), "csr", rn.csr, (size_t)rn.csr_len) != 0 ||
        add_b64(rn.body, sizeof(rn.body), "proof", proof, (size_t)plen) != 0 ||
        post(&rn, "issue", rn.body, "网上营业厅未签发新证书", &r) != 0)
        goto undo;
    issued = 1;
    chain = assist_json_str(r.body, "chain");
    assist_http_reply_free(&r);
    if (fault != NULL && strcmp(fault, "before_write") == 0) {
        fprintf(stderr, "hall-assist: HALL_ASSIST_FAULT=before_write\n");
        goto undo;
    }
    if (chain == NULL || chain_write(&rn, chain, serial, sizeof(serial)) != 0)
        goto undo;
    switch (confirm(&rn, base, serial, 0, &r)) {
    case 0: break;
    case 1:
        fprintf(stderr,
                "hall-assist: 新证书 %s 已写入介质，原证书保留；网上营业厅未确认，请联系深圳CA\n",
                serial);
        goto out;
    default:
        fprintf(stderr,
                "hall-assist: 新证书 %s 已写入介质，原证书保留；网上营业厅暂时无法确认："
                "请稍后重新运行同一命令（--ticket %s），确认后原证书才删除\n",
                serial, o->ticket);
        goto out;
    }
    assist_http_reply_free(&r);
    old_remove(&rn);
    printf("介质 %s 已%s：新证书 %s 已写入，原证书和原密钥已删除\n", m->label, rn.word, serial);
    rc = 0;
    goto out;
undo:
    undo(&rn);
    told = issued && tell(&rn, "failed", base, "网上营业厅未记录本次失败", 0, &r) == 0;
    assist_http_reply_free(&r);
    if (told)
        fprintf(stderr,
                "hall-assist: 在线%s未完成：新密钥已删除，介质 %s 中的原证书不变；"
                "新签发的证书已作废，请在业务单详情页重新获取%s码\n",
                rn.word, m->label, rn.word);
    else
        fprintf(stderr, "hall-assist: 在线%s未完成：新密钥已删除，介质 %s 中的原证书不变%s\n",
                rn.word, m->label,
                issued ? "；网上营业厅未收到本次失败的记录：请联系深圳CA作废新签发的证书" : "");
out:
    m->f->C_Logout(m->s);
    assist_http_reply_free(&r);
    free(chain);
    free(msg);
    OPENSSL_free(proof);
    OPENSSL_free(rn.csr);
    EVP_PKEY_free(rn.pub);
    X509_free(rn.old);
    return rc;
}
