/*
 * stamp_check.c: the checks both kinds of signature share
 * (docs/internals/stamp.md §3): the CMS signature of ISO 32000-1 §12.8 and
 * ETSI EN 319 142-1 (PAdES, read by stamp_verify.c) and the SM2 stamp's
 * GB/T 38540 SES_Signature (read by stamp_ses.c).  Check 3, the RFC 3161
 * timestamp over the signature value; check 4, the SES_Seal (GB/T 38540
 * §5) and that it lists the signer; and the signer named in the report
 * (RFC 5280 names, serial, validity).  Both readers call down into this
 * file and it calls neither, so the two stay out of a circle
 * (tests/unit/layers.sh, the objects' symbols).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "stamp_int.h"

/* a name as RFC 2253 writes it, UTF-8 kept */
const char *
stamp_x_name(struct hall_pool *pool, const X509_NAME *nm)
{
    return hall_x509_name_text(pool, nm, XN_FLAG_RFC2253);
}

/* a certificate's serial, upper-case hex */
const char *
stamp_x_serial(struct hall_pool *pool, X509 *x)
{
    return hall_asn1_int_hex(pool, X509_get0_serialNumber(x));
}

/* an ASN.1 time as UTC seconds; 0 when absent or unreadable */
time_t
stamp_asn1_time(const ASN1_TIME *t)
{
    struct tm tm;

    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return timegm(&tm);
}

/* the signer's names, serial, validity and certificate, as the report shows them */
void
stamp_signer_named(struct hall_pool *pool, X509 *signer, struct hall_stamp_sig *s)
{
    s->signer_subject = stamp_x_name(pool, X509_get_subject_name(signer));
    s->signer_issuer = stamp_x_name(pool, X509_get_issuer_name(signer));
    s->signer_serial = stamp_x_serial(pool, signer);
    s->signer_not_before = stamp_asn1_time(X509_get0_notBefore(signer));
    s->signer_not_after = stamp_asn1_time(X509_get0_notAfter(signer));
    {
        unsigned char *der = NULL;
        int n = i2d_X509(signer, &der);

        if (n > 0) {
            s->signer_der = hall_palloc(pool, (size_t)n);
            memcpy((unsigned char *)s->signer_der, der, (size_t)n);
            s->signer_der_len = (size_t)n;
        }
        OPENSSL_free(der);
    }
}

/*
 * Check 2b's precondition: the signer's key is one the hall verifies a
 * CMS signature value with (RSA, RSA-PSS, ECDSA, SM2, DSA: what OpenSSL's
 * CMS_SignerInfo_verify takes; the SM2 stamp is stamp_ses.c's).  NULL
 * when it is; else the problem a 无法验证 signature shows, naming the
 * algorithm (RFC 8419's Ed25519 and Ed448, which a PDF 2.0 signer may use):
 * such a signature is neither valid nor proven false.
 */
const char *
stamp_check_alg(struct hall_pool *pool, X509 *signer)
{
    EVP_PKEY *k = X509_get0_pubkey(signer);
    int id = k != NULL ? EVP_PKEY_get_base_id(k) : NID_undef;
    const char *name;

    if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS || id == EVP_PKEY_EC || id == EVP_PKEY_SM2 ||
        id == EVP_PKEY_DSA)
        return NULL;
    name = id == EVP_PKEY_ED25519 ? "Ed25519"
           : id == EVP_PKEY_ED448 ? "Ed448"
           : id != NID_undef      ? OBJ_nid2sn(id)
                                  : NULL;
    return hall_psprintf(pool,
                         "不支持的签名算法 %s：签名值无法验证（不认定为有效，也不认定为伪造）",
                         name != NULL ? name : "（未知）");
}

/* check 4: the seal (sp, DER SES_Seal) verifies and lists the signer */
void
stamp_check_seal(struct hall_pool *pool, const unsigned char *sp, size_t sl, X509 *signer,
                 const struct hall_stamp_trust *trust, struct hall_stamp_sig *s)
{
    struct hall_seseal_info info;
    const char *why = NULL;
    int ok;

    s->is_stamp = 1;
    memset(&info, 0, sizeof(info));
    /* the same seal as a signature before (its bytes, the same checks):
     * what it was found then; whether it lists this signer asked below */
    if (!stamp_memo_seal_get(trust->memo, sp, sl, trust->check_seal, &info, &ok)) {
        if (trust->check_seal)
            ok = hall_seseal_verify(pool, sp, sl, NULL, 0, &info, &why) == HALL_OK &&
                 info.signature_ok && info.chain_ok;
        else
            ok = hall_seseal_read(pool, sp, sl, &info, &why) == HALL_OK;
        stamp_memo_seal_put(trust->memo, sp, sl, trust->check_seal, &info, ok);
    }
    if (info.es_id != NULL) {
        s->seal_es_id = info.es_id;
        s->seal_name = info.name;
        s->seal_type = info.type;
        s->seal_width_mm = info.width_mm;
        s->seal_height_mm = info.height_mm;
        s->seal_valid_start = info.valid_start;
        s->seal_valid_end = info.valid_end;
        s->seal_png = info.png;
        s->seal_png_len = info.png_len;
    }
    s->seal = ok && hall_seseal_lists(sp, sl, signer) ? HALL_STAMP_PASS : HALL_STAMP_FAIL;
}

/* the timestamp's TSA: its name, and its certificate for the levels */
void
stamp_tsa_named(struct hall_pool *pool, X509 *tsa, struct hall_stamp_sig *s)
{
    unsigned char *der = NULL;
    int n = i2d_X509(tsa, &der);

    s->tsa_subject = stamp_x_name(pool, X509_get_subject_name(tsa));
    if (n > 0) {
        s->tsa_der = hall_palloc(pool, (size_t)n);
        memcpy((unsigned char *)s->tsa_der, der, (size_t)n);
        s->tsa_der_len = (size_t)n;
    }
    OPENSSL_free(der);
}

/* check 3: the token (DER) over the signature value, by a TSA under a root */
void
stamp_check_timestamp(struct hall_pool *pool, const unsigned char *tp, long tl,
                      const unsigned char *sv, int sv_len, const struct hall_stamp_trust *trust,
                      struct hall_stamp_sig *s)
{
    TS_VERIFY_CTX *vc = TS_VERIFY_CTX_new();
    X509_STORE *st = X509_STORE_new();
    BIO *data = BIO_new_mem_buf(sv, sv_len);
    unsigned char *bare = NULL;
    size_t bare_len = 0;
    STACK_OF(X509) *certs = NULL;
    PKCS7 *tok;
    int i;

    if (vc == NULL || st == NULL || data == NULL)
        abort();
    /* the certificates it carries decoded once a file, given back as the
     * verification's (TS_RESP_verify_signature looks the signer up in
     * them and takes them as untrusted, as it does the token's own) */
    if (tl > 0 && stamp_memo_signed_data(trust->memo, tp, (size_t)tl, &bare, &bare_len, &certs)) {
        const unsigned char *bp = bare;

        tok = d2i_PKCS7(NULL, &bp, (long)bare_len);
        TS_VERIFY_CTX_set_certs(vc, certs); /* vc owns them */
    } else {
        tok = d2i_PKCS7(NULL, &tp, tl);
    }
    free(bare);
    for (i = 0; trust->roots != NULL && i < sk_X509_num(trust->roots); i++)
        X509_STORE_add_cert(st, sk_X509_value(trust->roots, i));
    stamp_memo_store(trust->memo, st);
    TS_VERIFY_CTX_set_flags(vc, TS_VFY_SIGNATURE | TS_VFY_DATA | TS_VFY_VERSION | TS_VFY_SIGNER);
    TS_VERIFY_CTX_set_data(vc, data);
    TS_VERIFY_CTX_set_store(vc, st);
    if (tok != NULL && TS_RESP_verify_token(vc, tok) == 1) {
        TS_TST_INFO *ti = PKCS7_to_TS_TST_INFO(tok);
        STACK_OF(X509) *tcerts = certs != NULL         ? certs
                                 : tok->d.sign != NULL ? tok->d.sign->cert
                                                       : NULL;

        s->timestamp = HALL_STAMP_PASS;
        s->signing_time = ti != NULL ? stamp_asn1_time(TS_TST_INFO_get_time(ti)) : 0;
        if (tcerts != NULL && sk_X509_num(tcerts) > 0)
            stamp_tsa_named(pool, sk_X509_value(tcerts, 0), s);
        TS_TST_INFO_free(ti);
    } else {
        s->timestamp = HALL_STAMP_FAIL;
    }
    TS_VERIFY_CTX_free(vc); /* frees data, the store and certs */
    PKCS7_free(tok);
}
