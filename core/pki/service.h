/*
 * core/pki/service.h: the hall's own service certificates
 * (certificates.kind 'service', no order, sql/156): the 验签报告's signer
 * (tools/pkitool/pkitool_report.c).  Included by pki.h, at its end.
 */
#ifndef HALL_PKI_SERVICE_H
#define HALL_PKI_SERVICE_H

/*
 * service.c: the certificate of pub (CN cn, days long) signed by the ecc
 * CA's certificate ca with its key ikey (from the caller's token), through
 * the register as every certificate: the intent, the signature, the row
 * issued with its DER; revoked as any other (hall_revoke_cert), hence in
 * the CRL and the OCSP answers.  NULL with err.
 */
X509 *hall_pki_service_issue(struct hall_ctx *cx, X509 *ca, EVP_PKEY *ikey, EVP_PKEY *pub,
                             const char *cn, int days, char *err, size_t errlen);
/* ca.c, the table's owner: the intent of serial from nb to na; no row when
 * the serial is taken.  service_state: "issued" ..., "" when the register
 * holds no such service certificate, NULL on failure */
struct hall_dbres *hall_cert_service_intent(struct hall_ctx *cx, const char *serial, const char *ca,
                                            const char *cn, const char *org, time_t nb, time_t na);
const char *hall_cert_service_state(struct hall_ctx *cx, const char *serial);

#endif
