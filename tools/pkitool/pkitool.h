/*
 * hall-pkitool's parts besides hall_pkitool.c.
 */
#ifndef HALL_TOOL_PKITOOL_H
#define HALL_TOOL_PKITOOL_H

#include "hall.h"

/* hall-pkitool report (pkitool_report.c): the 验签报告's key in its own
 * token, its certificate from the ecc CA and its seal; the exit status */
int pkitool_report(struct hall_ctx *cx, const struct hall_conf *conf);

/* hall-pkitool partner-secret, partner-key, partner-secrets
 * (pkitool_psecret.c): the partners' shared secrets, encrypted under the PII
 * key; the exit status (2: usage) */
int pkitool_psecret(struct hall_ctx *cx, const char *cmd, int argc, char **argv);

#endif
