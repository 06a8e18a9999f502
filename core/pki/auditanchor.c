/*
 * The audit log's hash chain and its daily anchors (docs/internals/audit-chain.md).
 *
 * The database writes the chain (sql/077_audit_chain.sql: a BEFORE INSERT
 * trigger hashes each row with the previous row of its chain); this file
 * has the same encoding in C, for hall-audit verify, which must not take
 * the database's word for it, and the seals: each Beijing day's last row of
 * each chain signed by the audit key (hall_pki_audit_sign); and the marks:
 * each chain's last row signed every audit_mark_s seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "pki/pki.h"

#define ANCHOR_DAY_LEN 10 /* YYYY-MM-DD */

/* the owner of audit_seals and audit_marks (docs/architecture.md, "Who owns
 * each table"): the anchors' and the marks' statements */
const struct hall_stmt hall_auditanchor_stmts[] = {
    /* for each chain, the days after its last seal that are over: the
     * day's last row (seq) and its hash */
    {"audit_anchor_due",
     "WITH RECURSIVE h(chain) AS (SELECT min(chain) FROM audit_log UNION ALL"
     " SELECT (SELECT min(a.chain) FROM audit_log a WHERE a.chain > h.chain) FROM h"
     " WHERE h.chain IS NOT NULL)"
     " SELECT h.chain, to_char(d.day, 'YYYY-MM-DD') AS day, d.seq,"
     " (SELECT a.hash FROM audit_log a WHERE a.chain = h.chain AND a.seq = d.seq ORDER BY a.id"
     " LIMIT 1) AS hash"
     " FROM h CROSS JOIN LATERAL ("
     "  SELECT (a.at AT TIME ZONE 'Asia/Shanghai')::date AS day, max(a.seq) AS seq FROM audit_log a"
     "  WHERE a.chain = h.chain AND a.seq > coalesce((SELECT max(s.seq) FROM audit_seals s"
     "   WHERE s.chain = h.chain), 0) GROUP BY 1) d"
     " WHERE h.chain IS NOT NULL AND d.day < ((now() - make_interval(secs => $1::int)) AT TIME "
     "ZONE 'Asia/Shanghai')::date"
     " AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.chain = h.chain AND s.day = d.day)"
     " ORDER BY h.chain, d.day",
     1},
    /* one sealer at a time (the outbox's workers tick together) */
    {"audit_anchor_lock",
     "SELECT pg_try_advisory_xact_lock(hashtextextended('hall-audit-seal', 0)) AS got", 0},
    {"audit_anchor_insert",
     "INSERT INTO audit_seals (chain, day, seq, hash, signature, signer)"
     " VALUES ($1, $2::date, $3, $4, $5, $6) ON CONFLICT (chain, day) DO NOTHING",
     6},
    /* the marks: each chain's last row when it is not marked yet, and the
     * time signed with it (the transaction's, UTC to the microsecond) */
    {"audit_mark_due",
     "WITH RECURSIVE h(chain) AS (SELECT min(chain) FROM audit_log UNION ALL"
     " SELECT (SELECT min(a.chain) FROM audit_log a WHERE a.chain > h.chain) FROM h"
     " WHERE h.chain IS NOT NULL)"
     " SELECT h.chain, l.seq, l.hash,"
     " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at"
     " FROM h CROSS JOIN LATERAL (SELECT a.seq, a.hash FROM audit_log a WHERE a.chain = h.chain"
     "  ORDER BY a.seq DESC, a.id LIMIT 1) l"
     " WHERE h.chain IS NOT NULL AND l.seq > coalesce((SELECT max(m.seq) FROM audit_marks m"
     "  WHERE m.chain = h.chain), 0)"
     " ORDER BY h.chain",
     0},
    {"audit_mark_lock",
     "SELECT pg_try_advisory_xact_lock(hashtextextended('hall-audit-mark', 0)) AS got", 0},
    {"audit_mark_insert",
     "INSERT INTO audit_marks (chain, seq, hash, marked_at, signature, signer)"
     " VALUES ($1, $2, $3, $4::timestamptz, $5, $6) ON CONFLICT (chain, seq) DO NOTHING",
     6},
    {NULL, NULL, 0},
};

/* ---- the encoding ------------------------------------------------------------ */

static void
put_be64(unsigned char out[8], int64_t v)
{
    uint64_t u = (uint64_t)v;
    int i;

    for (i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(u & 0xff);
        u >>= 8;
    }
}

/* a field: 4-byte big-endian length and the bytes; NULL: ffffffff */
static void
put_field(EVP_MD_CTX *m, const char *s)
{
    unsigned char len[4] = {0xff, 0xff, 0xff, 0xff};
    size_t n = s != NULL ? strlen(s) : 0;

    if (s != NULL) {
        len[0] = (unsigned char)(n >> 24);
        len[1] = (unsigned char)(n >> 16);
        len[2] = (unsigned char)(n >> 8);
        len[3] = (unsigned char)n;
    }
    EVP_DigestUpdate(m, len, 4);
    if (n > 0)
        EVP_DigestUpdate(m, s, n);
}

static void
put_int(EVP_MD_CTX *m, int64_t v)
{
    unsigned char b[8];

    put_be64(b, v);
    EVP_DigestUpdate(m, b, 8);
}

void
hall_audit_row_hash(const struct hall_audit_row *r, unsigned char out[HALL_AUDIT_HASH_LEN])
{
    static EVP_MD_CTX *m;
    unsigned int n = HALL_AUDIT_HASH_LEN;

    if (m == NULL && (m = EVP_MD_CTX_new()) == NULL)
        abort();
    EVP_DigestInit_ex(m, EVP_sha256(), NULL);
    put_field(m, "hall-audit/1");
    EVP_DigestUpdate(m, r->prev_hash, HALL_AUDIT_HASH_LEN);
    put_int(m, r->chain);
    put_int(m, r->seq);
    put_int(m, r->id);
    put_int(m, r->at_us);
    put_field(m, r->actor);
    put_field(m, r->entity);
    put_field(m, r->entity_id);
    put_field(m, r->action);
    put_field(m, r->from_state);
    put_field(m, r->to_state);
    put_field(m, r->detail);
    put_field(m, r->ip);
    put_field(m, r->request_id);
    EVP_DigestFinal_ex(m, out, &n);
}

/* tag, then text (a day, a time), chain and seq big-endian, the hash */
static unsigned char *
signed_msg(struct hall_pool *pool, const char *tag, const char *text, int64_t chain, int64_t seq,
           const unsigned char *hash, size_t *len)
{
    size_t tn = strlen(tag), dn = strlen(text);
    size_t n = 4 + tn + 4 + dn + 8 + 8 + HALL_AUDIT_HASH_LEN;
    unsigned char *b = hall_palloc(pool, n), *p = b;

    p[0] = p[1] = p[2] = 0;
    p[3] = (unsigned char)tn;
    memcpy(p + 4, tag, tn);
    p += 4 + tn;
    p[0] = p[1] = p[2] = 0;
    p[3] = (unsigned char)dn;
    memcpy(p + 4, text, dn);
    p += 4 + dn;
    put_be64(p, chain);
    put_be64(p + 8, seq);
    memcpy(p + 16, hash, HALL_AUDIT_HASH_LEN);
    *len = n;
    return b;
}

unsigned char *
hall_audit_anchor_msg(struct hall_pool *pool, const char *day, int64_t chain, int64_t seq,
                      const unsigned char *hash, size_t *len)
{
    return signed_msg(pool, "hall-audit-seal/1", day, chain, seq, hash, len);
}

unsigned char *
hall_audit_mark_msg(struct hall_pool *pool, const char *at, int64_t chain, int64_t seq,
                    const unsigned char *hash, size_t *len)
{
    return signed_msg(pool, "hall-audit-mark/1", at, chain, seq, hash, len);
}

/* ---- the daily anchors --------------------------------------------------------- */

int
hall_audit_anchor_days(struct hall_ctx *cx, long grace_s)
{
    /* the Beijing day (at now - grace) this process last sealed up to: the
     * query runs once a day, not on every tick */
    static char done[ANCHOR_DAY_LEN + 1];
    char today[ANCHOR_DAY_LEN + 1];
    unsigned char signer[32], *msg, *sig, *hash;
    size_t mlen, slen, hlen;
    struct hall_dbres *r;
    time_t t = time(NULL) - grace_s + 8 * 3600;
    struct tm tm;
    int i, n = 0;

    gmtime_r(&t, &tm);
    strftime(today, sizeof(today), "%Y-%m-%d", &tm);
    if (strcmp(done, today) == 0)
        return 0;
    if (hall_pki_audit_signer(signer) != HALL_OK) {
        hall_log(HALL_LOG_ERR, cx->request_id, "msg=\"audit anchor: the audit key is not loaded\"");
        return -1;
    }
    /* one transaction under a lock: another process sealing now is left
     * to it (this one looks again at its next tick) */
    if (hall_db_begin(cx) != HALL_OK)
        return -1;
    r = hall_db_exec(cx, "audit_anchor_lock");
    if (r == NULL || !hall_dbres_bool(r, 0, "got")) {
        hall_db_rollback(cx);
        return r == NULL ? -1 : 0;
    }
    r = hall_db_exec(cx, "audit_anchor_due", HALL_I64(grace_s));
    for (i = 0; r != NULL && i < hall_dbres_rows(r); i++) {
        const char *day = hall_dbres_str(r, i, "day");
        int64_t chain = hall_dbres_int(r, i, "chain"), seq = hall_dbres_int(r, i, "seq");

        hash = hall_dbres_bytea(cx, r, i, hall_dbres_col(r, "hash"), &hlen);
        if (day == NULL || hash == NULL || hlen != HALL_AUDIT_HASH_LEN)
            break;
        msg = hall_audit_anchor_msg(cx->pool, day, chain, seq, hash, &mlen);
        if (hall_pki_audit_sign(cx->pool, msg, mlen, &sig, &slen) != HALL_OK) {
            hall_log(HALL_LOG_ERR, cx->request_id, "msg=\"audit anchor: signing failed\"");
            break;
        }
        if (hall_db_exec(cx, "audit_anchor_insert", HALL_I64(chain), HALL_STR(day), HALL_I64(seq),
                         HALL_BIN(hash, hlen), HALL_BIN(sig, slen), HALL_BIN(signer, 32)) == NULL)
            break;
        hall_log(HALL_LOG_INFO, cx->request_id, "msg=\"audit anchor\" day=%s chain=%lld seq=%lld",
                 day, (long long)chain, (long long)seq);
        n++;
    }
    if (r == NULL || i < hall_dbres_rows(r) || hall_db_commit(cx) != HALL_OK) {
        if (cx->in_tx)
            hall_db_rollback(cx);
        return -1;
    }
    memcpy(done, today, sizeof(done));
    return n;
}

/* ---- the marks --------------------------------------------------------------------- */

int
hall_audit_mark_heads(struct hall_ctx *cx, long every_s)
{
    /* when this process last looked: the others' marks are in the table */
    static time_t last;
    time_t now = time(NULL);
    unsigned char signer[32], *msg, *sig, *hash;
    size_t mlen, slen, hlen;
    struct hall_dbres *r;
    int i, n = 0;

    if (every_s <= 0 || (last != 0 && now - last < every_s && now >= last))
        return 0;
    if (hall_pki_audit_signer(signer) != HALL_OK) {
        hall_log(HALL_LOG_ERR, cx->request_id, "msg=\"audit mark: the audit key is not loaded\"");
        return -1;
    }
    if (hall_db_begin(cx) != HALL_OK)
        return -1;
    r = hall_db_exec(cx, "audit_mark_lock");
    if (r == NULL || !hall_dbres_bool(r, 0, "got")) {
        hall_db_rollback(cx);
        return r == NULL ? -1 : 0;
    }
    r = hall_db_exec(cx, "audit_mark_due");
    for (i = 0; r != NULL && i < hall_dbres_rows(r); i++) {
        const char *at = hall_dbres_str(r, i, "at");
        int64_t chain = hall_dbres_int(r, i, "chain"), seq = hall_dbres_int(r, i, "seq");

        hash = hall_dbres_bytea(cx, r, i, hall_dbres_col(r, "hash"), &hlen);
        if (at == NULL || hash == NULL || hlen != HALL_AUDIT_HASH_LEN)
            break;
        msg = hall_audit_mark_msg(cx->pool, at, chain, seq, hash, &mlen);
        if (hall_pki_audit_sign(cx->pool, msg, mlen, &sig, &slen) != HALL_OK) {
            hall_log(HALL_LOG_ERR, cx->request_id, "msg=\"audit mark: signing failed\"");
            break;
        }
        if (hall_db_exec(cx, "audit_mark_insert", HALL_I64(chain), HALL_I64(seq),
                         HALL_BIN(hash, hlen), HALL_STR(at), HALL_BIN(sig, slen),
                         HALL_BIN(signer, 32)) == NULL)
            break;
        /* a copy outside the database: whoever removes a mark with the
         * rows it pins still leaves this line */
        hall_log(HALL_LOG_INFO, cx->request_id,
                 "msg=\"audit mark\" chain=%lld seq=%lld hash=%s at=%s", (long long)chain,
                 (long long)seq, hall_hex(cx->pool, hash, HALL_AUDIT_HASH_LEN), at);
        n++;
    }
    if (r == NULL || i < hall_dbres_rows(r) || hall_db_commit(cx) != HALL_OK) {
        if (cx->in_tx)
            hall_db_rollback(cx);
        return -1;
    }
    last = now;
    return n;
}
