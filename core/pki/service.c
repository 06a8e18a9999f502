/*
 * service.c: the hall's own service certificates (certificates.kind
 * 'service', sql/156), issued through the register as every certificate
 * the CA signs: the 验签报告's signer (tools/pkitool/pkitool_report.c holds
 * the tokens and the files, this the certificate).
 *
 * Its profile: C=CN, O=Hall Demo CA, CN as asked; keyUsage
 * digitalSignature and nonRepudiation, extendedKeyUsage documentSigning
 * and emailProtection (what PDF validators want of a document signer; no
 * clientAuth: it logs in nowhere), the issuing CA's CRL and issuer URLs
 * and no OCSP URL (the CRL is the evidence of a B-LT report).
 */

#include <stdio.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

#define SVC_ORG            "Hall Demo CA"
#define SVC_EKU_DOCSIGNING "1.3.6.1.5.5.7.3.36" /* RFC 9336 id-kp-documentSigning */

/* the certificate of pub with serial hex, from nb to na, signed by ca's key ikey */
static X509 *
svc_make(struct hall_ctx *cx, EVP_PKEY *pub, X509 *ca, EVP_PKEY *ikey, const char *cn,
         const char *hex, time_t nb, time_t na)
{
    const char *base = hall_conf_pki_url(cx->pool, cx->conf);
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    X509V3_CTX v3;
    int ok = 0;

    if (x == NULL || nm == NULL || md == NULL || BN_hex2bn(&bn, hex) == 0)
        goto out;
    serial = BN_to_ASN1_INTEGER(bn, NULL);
    if (serial == NULL || X509_set_version(x, 2) != 1 || X509_set_serialNumber(x, serial) != 1 ||
        X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_UTF8, (const unsigned char *)"CN", -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8, (const unsigned char *)SVC_ORG, -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) !=
            1 ||
        X509_set_subject_name(x, nm) != 1 ||
        X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1 ||
        X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &na) == NULL || X509_set_pubkey(x, pub) != 1)
        goto out;
    X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
    ok =
        hall_x509_ext_add(x, &v3, "basicConstraints", "critical,CA:FALSE") == HALL_OK &&
        hall_x509_ext_add(x, &v3, "keyUsage", "critical,digitalSignature,nonRepudiation") ==
            HALL_OK &&
        hall_x509_ext_add(x, &v3, "extendedKeyUsage", SVC_EKU_DOCSIGNING ",emailProtection") ==
            HALL_OK &&
        hall_x509_ext_add(x, &v3, "subjectKeyIdentifier", "hash") == HALL_OK &&
        hall_x509_ext_add(x, &v3, "authorityKeyIdentifier", "keyid") == HALL_OK &&
        hall_x509_ext_add(x, &v3, "crlDistributionPoints",
                          hall_psprintf(cx->pool, "URI:%s/pki/ecc.crl", base)) == HALL_OK &&
        hall_x509_ext_add(x, &v3, "authorityInfoAccess",
                          hall_psprintf(cx->pool, "caIssuers;URI:%s/pki/ecc.crt", base)) == HALL_OK;
    ok = ok && EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, ikey, NULL) == 1 &&
         X509_sign_ctx(x, md) > 0 && X509_verify(x, X509_get0_pubkey(ca)) == 1;
out:
    EVP_MD_CTX_free(md);
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    X509_NAME_free(nm);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

X509 *
hall_pki_service_issue(struct hall_ctx *cx, X509 *ca, EVP_PKEY *ikey, EVP_PKEY *pub, const char *cn,
                       int days, char *err, size_t errlen)
{
    struct hall_dbres *res;
    char serial[17];
    time_t nb = time(NULL) - 300, na = time(NULL) + days * 86400L;
    unsigned char *der;
    size_t der_len;
    X509 *x;

    hall_pki_serial_draw(serial);
    /* the intent first, committed (as production's): a signature the
     * register does not know of is never made */
    res = hall_cert_service_intent(cx, serial, "ecc", cn, SVC_ORG, nb, na);
    if (res == NULL || hall_dbres_rows(res) != 1) {
        snprintf(err, errlen, "the register refused the intent of %s", serial);
        return NULL;
    }
    x = svc_make(cx, pub, ca, ikey, cn, serial, nb, na);
    der = x != NULL ? hall_pki_der(cx->pool, x, &der_len) : NULL;
    res = der != NULL ? hall_cert_store(cx, serial, der, der_len, NULL, 0, 0, NULL) : NULL;
    if (res == NULL || hall_dbres_rows(res) != 1) {
        X509_free(x);
        snprintf(err, errlen, "the certificate %s could not be signed or registered", serial);
        return NULL;
    }
    return x;
}
