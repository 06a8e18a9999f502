/*
 * core/pki/auditanchor.h: the audit log's chain encoding, its daily
 * anchors and marks (auditanchor.c, docs/internals/audit-chain.md).
 * Included by pki.h, where the section was.
 */
#ifndef HALL_PKI_AUDITANCHOR_H
#define HALL_PKI_AUDITANCHOR_H

/* ---- auditanchor.c: the audit log's chain and daily anchors -------------- */

#define HALL_AUDIT_HASH_LEN 32
/* one audit_log row as hashed (sql/077_audit_chain.sql); NULL text fields
 * are NULL, detail is the jsonb as PostgreSQL prints it */
struct hall_audit_row {
    int64_t id, chain, seq, at_us;
    const char *actor, *entity, *entity_id, *action, *from_state, *to_state, *detail, *ip,
        *request_id;
    const unsigned char *prev_hash; /* HALL_AUDIT_HASH_LEN bytes */
};
/* SHA-256 of the row's canonical encoding (format hall-audit/1) */
void hall_audit_row_hash(const struct hall_audit_row *r, unsigned char out[HALL_AUDIT_HASH_LEN]);
/* the bytes a daily anchor signs (format hall-audit-seal/1); day YYYY-MM-DD */
unsigned char *hall_audit_anchor_msg(struct hall_pool *pool, const char *day, int64_t chain,
                                     int64_t seq, const unsigned char *hash, size_t *len);
/* seals every (chain, Beijing day) whose day is over (by more than
 * grace_s seconds) and not yet sealed, in one transaction: the number
 * sealed (0 also when another process is sealing), -1 on error (nothing
 * sealed).  Outside a transaction; needs the audit key */
int hall_audit_anchor_days(struct hall_ctx *cx, long grace_s);
/* the bytes a mark signs (format hall-audit-mark/1); at the mark's time,
 * YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC) */
unsigned char *hall_audit_mark_msg(struct hall_pool *pool, const char *at, int64_t chain,
                                   int64_t seq, const unsigned char *hash, size_t *len);
/* signs each chain's last row not marked yet (audit_marks), in one
 * transaction, when this process last did it every_s seconds ago or more
 * (0: never): the number marked (0 also when another process is marking),
 * -1 on error.  Outside a transaction; needs the audit key */
int hall_audit_mark_heads(struct hall_ctx *cx, long every_s);

#endif
