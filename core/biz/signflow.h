/*
 * core/biz/signflow.h: 签署 flows (issue 73; docs/modules/contract.md), the
 * owner of sign_flows, sign_flow_revisions, sign_flow_parties and
 * sign_flow_events (sql/225).  Every write inside the caller's transaction,
 * which holds the flow's row (contract_lock) where the flow exists.
 */
#ifndef HALL_BIZ_SIGNFLOW_H
#define HALL_BIZ_SIGNFLOW_H

#include <stddef.h>
#include <stdint.h>

struct hall_ctx;
struct hall_stmt;

/* every statement of the flows, reads (by name, in modules/contract) and
 * the writes of the functions below */
extern const struct hall_stmt hall_signflow_stmts[];

/* a new flow (state signing, revision 1 to be added); its id, 0 on failure */
int64_t hall_signflow_create(struct hall_ctx *cx, int64_t initiator, const char *title,
                             const char *message, const char *ordering, const char *deadline);
/* revision rev of flow: the object key, SHA-256 and size of its bytes,
 * party the signer (0: the initiator's upload) */
int hall_signflow_revision_add(struct hall_ctx *cx, int64_t flow, int rev, const char *key,
                               const unsigned char sha256[32], size_t size, int64_t party);
/* a party, its mobile and ID number (ric, "" none) encrypted, the mobile's
 * blind index (hall_pii_index "phone") kept for the lookups */
int hall_signflow_party_add(struct hall_ctx *cx, int64_t flow, int position, const char *kind,
                            const char *name, const char *uscc, const char *mobile, const char *ric,
                            long page, double x_mm, double y_mm);
/* an event of the flow (party 0: none) */
int hall_signflow_event(struct hall_ctx *cx, int64_t flow, int64_t party, const char *kind,
                        const char *detail);
/* the parties whose turn it is now get the SMS contract_sign with the
 * flow's link (public_url/contract/flow?id=): every waiting one in parallel
 * order, the first waiting one in sequential order when none is notified */
int hall_signflow_notify(struct hall_ctx *cx, int64_t flow, const char *public_url);
/* 催签: the SMS contract_sign again to each party asked and not signed
 * that was not reminded in the last 24 hours; *n how many */
int hall_signflow_remind(struct hall_ctx *cx, int64_t flow, const char *public_url, int *n);
/* the party's signature kept as revision rev (its bytes stored under key):
 * the party signed with the certificate serial, the flow at rev, completed
 * when no party is left, else the next party notified; *state the flow's */
int hall_signflow_signed(struct hall_ctx *cx, int64_t flow, int64_t party, int rev, const char *key,
                         const unsigned char sha256[32], size_t size, const char *serial,
                         const char *public_url, const char **state);
/* 拒签 by the party: the party and the flow refused, with the reason */
int hall_signflow_refused(struct hall_ctx *cx, int64_t flow, int64_t party, const char *reason,
                          const char *public_url);
/* 撤销 by the initiator */
int hall_signflow_withdrawn(struct hall_ctx *cx, int64_t flow, const char *reason,
                            const char *public_url);
/* (a flow that ends -- completed, refused, withdrawn -- tells its
 * initiator and every party asked so far by the SMS contract_ended) */
/* hall-outbox's tick: the flows past their deadline expired (the initiator
 * and the parties asked told), a batch in one transaction; how many, -1 */
int hall_signflow_expire_tick(struct hall_ctx *cx, const char *public_url);

#endif
