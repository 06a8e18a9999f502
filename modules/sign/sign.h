/*
 * sign's private header: what its parts share (docs/modules/sign.md).
 */
#ifndef HALL_MODULE_SIGN_H
#define HALL_MODULE_SIGN_H

#include "hall.h"
#include "stamp/stamp.h"

/*
 * The 验签报告 of the upload in fd (sign_report.c): made from rep and the
 * verdicts v (one per signature, as the page shows them), signed with the
 * hall's 验签专用章 (timestamped by the hall's /tsa, tsa_url; PAdES B-LT)
 * and answered as application/pdf.  The upload is not kept: the report is
 * made in the request.
 */
int sign_report(struct hall_req *req, int fd, const char *filename,
                const struct hall_stamp_report *rep, const struct hall_stamp_verdict *v,
                const char *tsa_url);

/* hall_pki_keys_conf without the CA's token (its PIN never read here) */
int sign_report_keys_conf(const struct hall_conf *conf, char *err, size_t errlen);
/* loads the report's signer before fork: report.crt, report.seseal, the
 * key "report" of report_token; without them the report is answered 503
 * (logged why) and the rest of the module works */
int sign_report_init(const struct hall_conf *conf);
/* 1 when s is signed by the hall's report certificate with its seal: the
 * hall's own signer, known without a row of its records */
int sign_report_signer(const struct hall_stamp_sig *s);
/* the report seal's esID (GET /sign/seal-status), NULL when none */
const char *sign_report_es_id(void);

/* a revocation's second in the register, truncated: the column revoked_s
 * (0 when none) of the statements that read certificates or seseals */
#define SIGN_REVOKED_S "coalesce(floor(extract(epoch FROM revoked_at))::bigint, 0) AS revoked_s"

/* revoked_s of r's first row (0 none or no row), and in words (sign.c) */
time_t sign_revoked_s(struct hall_dbres *r);
const char *sign_revoked_when(struct hall_pool *pool, struct hall_dbres *r);

/* GET /sign/stamp-check (sign_check.c): may the seal stamp now, before the PIN */
int sign_stamp_check(struct hall_req *req);
/* hall_stamp_may from the hall's rows: the certificate serial (upper-case
 * hex) and the seal es_id (NULL: the certificate only); HALL_ERR when the
 * records cannot be read */
int sign_may_rows(struct hall_req *req, const char *serial, const char *es_id,
                  struct hall_stamp_may *may);
/* "yes", "refused" or "unchecked" */
const char *sign_may_verdict(const struct hall_stamp_may *may);

/* GET /sign/tools (sign_tools.c): 驱动和盖章工具下载, the page or JSON */
int sign_tools_page(struct hall_req *req);

#endif
