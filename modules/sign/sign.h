/*
 * sign's private header: what its parts share (docs/modules/sign.md).
 */
#ifndef HALL_MODULE_SIGN_H
#define HALL_MODULE_SIGN_H

#include "hall.h"
#include "pki/stamp.h"

/*
 * The 验签报告 of the upload in fd (sign_report.c): made from rep and the
 * verdicts v (one per signature, as the page shows them), timestamped by
 * the hall's /tsa (tsa_url) and answered as application/pdf.  The upload
 * is not kept: the report is made in the request.
 */
int sign_report(struct hall_req *req, int fd, const char *filename,
                const struct hall_stamp_report *rep, const struct hall_stamp_verdict *v,
                const char *tsa_url);

#endif
