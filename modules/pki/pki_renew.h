/*
 * modules/pki's part pki_renew.c: 在线更新 and 在线变更 of a USB key by the
 * 证书助手 (their routes),
 * here because this module holds the issuing CAs' keys.
 */
#ifndef HALL_MODULE_PKI_RENEW_H
#define HALL_MODULE_PKI_RENEW_H

int pki_renew_issue(struct hall_req *req);
int pki_renew_written(struct hall_req *req);
int pki_renew_failed(struct hall_req *req);
int pki_change_issue(struct hall_req *req);
int pki_change_written(struct hall_req *req);
int pki_change_failed(struct hall_req *req);
extern const struct hall_pspec pki_renew_issue_params[];
/* pki_media.c: the half-made media reconciled lately, for 制作证书's page */
int pki_media_halfmade(struct hall_req *req, struct hall_val *ctx);
int pki_medium_none(struct hall_req *req, int64_t id);
/* a 机构个人章's holder's request, an SM2 业务章's applicant's (pki_holder.c) */
int pki_seal_holder(struct hall_req *req);
int pki_seal_key(struct hall_req *req);
extern const struct hall_pspec pki_seal_key_params[];
extern const struct hall_pspec pki_renew_tool_params[];
extern const struct hall_pspec pki_renew_written_params[];
extern const struct hall_pspec pki_change_issue_params[];
extern const struct hall_pspec pki_change_tool_params[];
extern const struct hall_pspec pki_change_written_params[];

/* clang-format off */
#define PKI_RENEW_ROUTES                                                                           \
    {"POST", "/pki/renew/issue", pki_renew_issue, HALL_R_NOSESSION | HALL_R_NOCSRF,               \
     pki_renew_issue_params},                                                                      \
    {"POST", "/pki/renew/written", pki_renew_written, HALL_R_NOSESSION | HALL_R_NOCSRF,           \
     pki_renew_written_params},                                                                     \
    {"POST", "/pki/renew/failed", pki_renew_failed, HALL_R_NOSESSION | HALL_R_NOCSRF,             \
     pki_renew_tool_params},                                                                       \
    {"POST", "/pki/change/issue", pki_change_issue, HALL_R_NOSESSION | HALL_R_NOCSRF,             \
     pki_change_issue_params},                                                                     \
    {"POST", "/pki/change/written", pki_change_written, HALL_R_NOSESSION | HALL_R_NOCSRF,         \
     pki_change_written_params},                                                                   \
    {"POST", "/pki/change/failed", pki_change_failed, HALL_R_NOSESSION | HALL_R_NOCSRF,           \
     pki_change_tool_params}
/* clang-format on */

#endif
