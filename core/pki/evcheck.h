/*
 * core/pki/evcheck.h: the checks of the revocation evidence a PAdES B-LT
 * stamp keeps (evcheck.c; modules/sign's /sign/evidence fetches it over
 * HTTP as any relying party, then asks these).  Included by pki.h, at its
 * end.
 */
#ifndef HALL_PKI_EVCHECK_H
#define HALL_PKI_EVCHECK_H

/*
 * An OCSP answer (der, the whole of it) about id, checked before it is
 * given out: a successful answer, signed for ca by its responder (trusting
 * ca's certificate and root, ca's root), an answer to oreq (its nonce),
 * about id, current, good or revoked.  HALL_OK with *status
 * (V_OCSP_CERTSTATUS_*), else HALL_ERR with *why (the first check failed).
 */
int hall_pki_ocsp_check(const unsigned char *der, size_t len, const struct hall_pki_ca *ca,
                        X509 *root, OCSP_REQUEST *oreq, OCSP_CERTID *id, int *status,
                        const char **why);
/*
 * The root's CRL (an ARL, core/pki/crl.c), checked before it is given
 * out: signed by root, thisUpdate not before after.  HALL_OK, else
 * HALL_ERR with *why.
 */
int hall_pki_arl_check(const unsigned char *der, size_t len, X509 *root, time_t after,
                       const char **why);

#endif
