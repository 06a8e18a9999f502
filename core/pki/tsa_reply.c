/*
 * The timestamp authority (RFC 3161; docs/modules/tsa.md): a DER
 * TimeStampReq in, a DER TimeStampResp out, always one.
 *
 * The reply is OpenSSL's TS_RESP_CTX's (ESSCertIDv2 signing-certificate
 * attribute, nonce echoed, accuracy, policy, certReq honoured, the TSA's
 * name), signed by the token's key "tsa": hall_pki_key gives an EVP_PKEY
 * whose signature is the token's C_Sign (core/pki/token.c), which
 * PKCS7_dataFinal reaches through EVP_DigestSign as X509_sign_ctx does.
 * What OpenSSL's checks do not say the way RFC 3161 2.4.2 names it is
 * checked first, here: a body that is not one DER TimeStampReq (BER,
 * trailing bytes, too long) is badDataFormat, a version other than 1
 * badRequest; a reply that could not be signed is systemFailure, never
 * an HTTP error.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

static TS_RESP_CTX *tsa_ctx;
static X509 *tsa_cert;
static char *tsa_pem;

/* PKIFailureInfo (RFC 3161 2.4.2): the bit numbers */
#define FAIL_BAD_ALG           0
#define FAIL_BAD_REQUEST       2
#define FAIL_BAD_DATA_FORMAT   5
#define FAIL_UNACCEPTED_POLICY 15
#define FAIL_SYSTEM_FAILURE    25

/* 128 random bits after a byte 01 (a positive INTEGER of 17 bytes, always:
 * RFC 3161 asks clients to take up to 20): unique without a shared counter,
 * across workers and hosts (docs/modules/tsa.md) */
static ASN1_INTEGER *
serial_cb(TS_RESP_CTX *ctx, void *data)
{
    unsigned char rnd[17];
    BIGNUM *bn;
    ASN1_INTEGER *ai = NULL;

    (void)data;
    rnd[0] = 0x01;
    if (RAND_bytes(rnd + 1, sizeof(rnd) - 1) != 1)
        goto out;
    bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
    if (bn != NULL)
        ai = BN_to_ASN1_INTEGER(bn, NULL);
    BN_free(bn);
out:
    if (ai == NULL) {
        TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "no serial number");
        TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
    }
    return ai;
}

int
hall_tsa_load(const struct hall_conf *conf, int want_key, char *err, size_t errlen)
{
    const char *dir = conf->pki_dir;
    ASN1_OBJECT *policy = NULL;
    EVP_PKEY *key = NULL;
    int rc = HALL_ERR;

    if (tsa_cert != NULL && (!want_key || tsa_ctx != NULL))
        return HALL_OK;
    if (tsa_cert == NULL) {
        X509 *root = hall_pki_cert_load(dir, "root", NULL);

        tsa_cert = hall_pki_cert_load(dir, "tsa", &tsa_pem);
        if (tsa_cert == NULL || tsa_pem == NULL || root == NULL ||
            X509_verify(tsa_cert, X509_get0_pubkey(root)) != 1 ||
            X509_check_purpose(tsa_cert, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1) {
            X509_free(root);
            snprintf(err, errlen,
                     "pki_dir %s: tsa.crt missing, not signed by root.crt or not a timestamping"
                     " certificate (hall-pkitool ceremony)",
                     dir);
            return HALL_ERR;
        }
        X509_free(root);
    }
    if (!want_key)
        return HALL_OK;
    if (hall_pki_keys_conf(conf, err, errlen) != HALL_OK)
        return HALL_ERR;
    /* a wrong PIN shows here, before any worker is forked; a token that is
     * away (its files, its device, its slot) is no reason not to start: the
     * key is taken from its certificate and signs once the token answers,
     * each stamp meanwhile refused with systemFailure */
    if (hall_token_configured() && hall_token_check(err, errlen) != HALL_OK) {
        if (hall_token_refused())
            return HALL_ERR;
        hall_log(HALL_LOG_ERR, NULL,
                 "msg=\"pkcs11: %s; starting without the token: the tsa key signs once it"
                 " answers\"",
                 err);
        key = hall_token_key_cert("tsa", tsa_cert, err, errlen);
    } else {
        key = hall_pki_key("tsa", err, errlen);
    }
    if (key == NULL)
        return HALL_ERR;
    if (X509_check_private_key(tsa_cert, key) != 1) {
        snprintf(err, errlen, "pki_dir %s: the key tsa is not the key of tsa.crt", dir);
        goto out;
    }
    policy = OBJ_txt2obj(conf->tsa_policy, 1);
    if (policy == NULL) {
        snprintf(err, errlen, "tsa_policy \"%s\" is not an OID in dotted form", conf->tsa_policy);
        goto out;
    }
    tsa_ctx = TS_RESP_CTX_new();
    /* SHA-1 is refused (badAlg): a collision lets one stamp serve two
     * documents; the SHA-2 family is what clients send */
    if (tsa_ctx == NULL || TS_RESP_CTX_set_signer_cert(tsa_ctx, tsa_cert) != 1 ||
        TS_RESP_CTX_set_signer_key(tsa_ctx, key) != 1 ||
        TS_RESP_CTX_set_signer_digest(tsa_ctx, EVP_sha256()) != 1 ||
        TS_RESP_CTX_set_ess_cert_id_digest(tsa_ctx, EVP_sha256()) != 1 ||
        TS_RESP_CTX_set_def_policy(tsa_ctx, policy) != 1 ||
        TS_RESP_CTX_add_md(tsa_ctx, EVP_sha256()) != 1 ||
        TS_RESP_CTX_add_md(tsa_ctx, EVP_sha384()) != 1 ||
        TS_RESP_CTX_add_md(tsa_ctx, EVP_sha512()) != 1 ||
        TS_RESP_CTX_set_accuracy(tsa_ctx, (int)conf->tsa_accuracy_ms / 1000,
                                 (int)conf->tsa_accuracy_ms % 1000, 0) != 1 ||
        TS_RESP_CTX_set_clock_precision_digits(tsa_ctx, 3) != 1) {
        snprintf(err, errlen, "tsa: cannot set up OpenSSL's TS_RESP_CTX");
        TS_RESP_CTX_free(tsa_ctx);
        tsa_ctx = NULL;
        goto out;
    }
    TS_RESP_CTX_add_flags(tsa_ctx, TS_TSA_NAME);
    TS_RESP_CTX_set_serial_cb(tsa_ctx, serial_cb, NULL);
    rc = HALL_OK;
out:
    ASN1_OBJECT_free(policy);
    EVP_PKEY_free(key); /* the context holds its own reference */
    return rc;
}

const char *
hall_tsa_pem(void)
{
    return tsa_pem;
}

/* a TimeStampResp without a token: status rejection, a statusString and
 * the one PKIFailureInfo bit (a DER named-bit list: no trailing zero bit) */
static unsigned char *
reject(struct hall_pool *pool, int status, int bit, const char *text, size_t *outlen)
{
    size_t tl = strlen(text), nb = (size_t)bit / 8 + 1;
    /* status INTEGER, statusString SEQUENCE { UTF8String }, failInfo */
    size_t info = 3 + (2 + 2 + tl) + (2 + 1 + nb);
    unsigned char *out = hall_palloc(pool, info + 4), *p = out;

    /* every part is short: one-byte lengths (text is ours, under 80) */
    *p++ = 0x30;
    *p++ = (unsigned char)(info + 2);
    *p++ = 0x30;
    *p++ = (unsigned char)info;
    *p++ = 0x02;
    *p++ = 0x01;
    *p++ = (unsigned char)status;
    *p++ = 0x30;
    *p++ = (unsigned char)(tl + 2);
    *p++ = 0x0c;
    *p++ = (unsigned char)tl;
    memcpy(p, text, tl);
    p += tl;
    *p++ = 0x03;
    *p++ = (unsigned char)(nb + 1);
    *p++ = (unsigned char)(7 - bit % 8);
    memset(p, 0, nb);
    p[nb - 1] = (unsigned char)(0x80 >> (bit % 8));
    p += nb;
    *outlen = (size_t)(p - out);
    return out;
}

unsigned char *
hall_tsa_answer(struct hall_pool *pool, const unsigned char *in, size_t inlen, size_t *outlen,
                struct hall_tsa_meta *meta)
{
    const unsigned char *p = in;
    unsigned char *der = NULL, *out = NULL, *q;
    TS_REQ *tq = NULL;
    TS_RESP *rs = NULL;
    BIO *bio = NULL;
    int n, len;

    memset(meta, 0, sizeof(*meta));
    meta->outcome = "malformed";
    if (tsa_ctx == NULL) {
        meta->outcome = "internal";
        return reject(pool, TS_STATUS_REJECTION, FAIL_SYSTEM_FAILURE, "TSA not loaded", outlen);
    }
    /* one DER TimeStampReq and nothing after it: what OpenSSL re-encodes
     * is what came */
    if (inlen == 0 || inlen > HALL_TSA_MAX)
        return reject(pool, TS_STATUS_REJECTION, FAIL_BAD_DATA_FORMAT, "not a DER TimeStampReq",
                      outlen);
    tq = d2i_TS_REQ(NULL, &p, (long)inlen);
    if (tq == NULL || p != in + inlen || (n = i2d_TS_REQ(tq, &der)) < 0 || (size_t)n != inlen ||
        memcmp(der, in, inlen) != 0) {
        out = reject(pool, TS_STATUS_REJECTION, FAIL_BAD_DATA_FORMAT, "not a DER TimeStampReq",
                     outlen);
        goto out;
    }
    if (TS_REQ_get_version(tq) != 1) {
        out = reject(pool, TS_STATUS_REJECTION, FAIL_BAD_REQUEST, "TimeStampReq version 1 only",
                     outlen);
        goto out;
    }
    bio = BIO_new_mem_buf(in, (int)inlen);
    if (bio == NULL)
        goto fail;
    /* the imprint's algorithm and length, the policy, extensions (none
     * accepted), the nonce: OpenSSL's checks, each with its failure info */
    rs = TS_RESP_create_response(tsa_ctx, bio);
    if (rs == NULL)
        goto fail;
    {
        TS_STATUS_INFO *si = TS_RESP_get_status_info(rs);
        const ASN1_INTEGER *st = TS_STATUS_INFO_get0_status(si);
        long status = ASN1_INTEGER_get(st);

        if (status != TS_STATUS_GRANTED && status != TS_STATUS_GRANTED_WITH_MODS) {
            /* OpenSSL names the failure of each check; none named is
             * its own failure (the signature): ours, not the client's */
            if (TS_STATUS_INFO_get0_failure_info(si) == NULL)
                goto fail;
            meta->outcome = "rejected";
        } else if (TS_RESP_get_token(rs) == NULL) {
            goto fail;
        } else {
            TS_TST_INFO *ti = TS_RESP_get_tst_info(rs);

            meta->outcome = "granted";
            if (ti != NULL) {
                const ASN1_OCTET_STRING *md =
                    TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(ti));
                int i, m = ASN1_STRING_length(md);

                snprintf(meta->serial, sizeof(meta->serial), "%s",
                         hall_asn1_int_hex(pool, TS_TST_INFO_get_serial(ti)));
                /* the imprint is a hash already: its first 16 bytes say
                 * which document was stamped, nothing about who asked */
                for (i = 0; i < m && i < 16; i++)
                    snprintf(meta->imprint + 2 * i, 3, "%02x", ASN1_STRING_get0_data(md)[i]);
            }
        }
    }
    len = i2d_TS_RESP(rs, NULL);
    if (len <= 0)
        goto fail;
    out = q = hall_palloc(pool, (size_t)len);
    i2d_TS_RESP(rs, &q);
    *outlen = (size_t)len;
    goto out;
fail:
    ERR_clear_error();
    meta->outcome = "internal";
    meta->serial[0] = '\0';
    out = reject(pool, TS_STATUS_REJECTION, FAIL_SYSTEM_FAILURE, "the TSA cannot sign now", outlen);
out:
    ERR_clear_error();
    TS_RESP_free(rs);
    BIO_free(bio);
    OPENSSL_free(der);
    TS_REQ_free(tq);
    return out;
}
