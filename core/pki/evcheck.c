/*
 * evcheck.c: the CA's rules for the revocation evidence a stamp keeps
 * (core/pki/evcheck.h): which OCSP answer and which ARL may be given out,
 * checked in this order, with these reasons.
 */

#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "pki/pki.h"

int
hall_pki_ocsp_check(const unsigned char *der, size_t len, const struct hall_pki_ca *ca, X509 *root,
                    OCSP_REQUEST *oreq, OCSP_CERTID *id, int *status, const char **why)
{
    const unsigned char *p = der;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    OCSP_BASICRESP *basic = NULL;
    X509_STORE *store = NULL;
    STACK_OF(X509) *untrusted = NULL;
    ASN1_GENERALIZEDTIME *this_upd = NULL, *next_upd = NULL;
    int reason = -1, rc = HALL_ERR;

    *why = "not a successful OCSP answer";
    if (resp == NULL || p != der + len ||
        OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
        (basic = OCSP_response_get1_basic(resp)) == NULL)
        goto out;
    store = X509_STORE_new();
    untrusted = sk_X509_new_null();
    if (store == NULL || untrusted == NULL || X509_STORE_add_cert(store, ca->cert) != 1 ||
        X509_STORE_add_cert(store, root) != 1 || sk_X509_push(untrusted, ca->cert) <= 0)
        abort();
    *why = "its signature does not verify";
    if (OCSP_basic_verify(basic, untrusted, store, 0) != 1)
        goto out;
    *why = "not an answer to this request (nonce)";
    if (OCSP_check_nonce(oreq, basic) != 1)
        goto out;
    *why = "not about this certificate, or not current";
    if (OCSP_resp_find_status(basic, id, status, &reason, NULL, &this_upd, &next_upd) != 1 ||
        OCSP_check_validity(this_upd, next_upd, 300, -1) != 1)
        goto out;
    *why = "neither good nor revoked";
    if (*status != V_OCSP_CERTSTATUS_GOOD && *status != V_OCSP_CERTSTATUS_REVOKED)
        goto out;
    rc = HALL_OK;
out:
    ERR_clear_error();
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(resp);
    return rc;
}

int
hall_pki_arl_check(const unsigned char *der, size_t len, X509 *root, time_t after, const char **why)
{
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    int rc = HALL_ERR;

    *why = "not a CRL signed by the root";
    if (crl == NULL || p != der + len ||
        X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(root)) != 0 ||
        X509_CRL_verify(crl, X509_get0_pubkey(root)) != 1)
        goto out;
    *why = "made before the time asked";
    if (ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl), after) < 0)
        goto out;
    rc = HALL_OK;
out:
    ERR_clear_error();
    X509_CRL_free(crl);
    return rc;
}
