/*
 * core/biz/signflow.c: 签署 flows (issue 73; docs/modules/contract.md), the
 * one writer of sign_flows, sign_flow_revisions, sign_flow_parties and
 * sign_flow_events (sql/225).  modules/contract checks the requests and the
 * signatures and calls these inside its transaction, which holds the
 * flow's row (contract_lock, SELECT ... FOR UPDATE): two writes of one flow
 * take turns.
 */
#include <stdio.h>
#include <string.h>

#include "biz/biz.h"

/* the user's blind phone index: the number it logged in with */
#define ME_IDX "(SELECT phone_idx FROM users WHERE id = $2)"

const struct hall_stmt hall_signflow_stmts[] = {
    /* the flows past their deadline (a Beijing date: signed by its end),
     * a batch, each locked; another worker's skipped */
    {"contract_due",
     "SELECT id FROM sign_flows WHERE state = 'signing'"
     " AND deadline < (now() AT TIME ZONE 'Asia/Shanghai')::date"
     " ORDER BY deadline, id LIMIT 50 FOR UPDATE SKIP LOCKED",
     0},
    /* 催签: the parties asked and not signed, not reminded in 24 hours */
    {"contract_remind",
     "UPDATE sign_flow_parties p SET reminded_at = now() FROM sign_flows f"
     " WHERE f.id = $1 AND p.flow_id = f.id AND p.state = 'notified'"
     " AND (p.reminded_at IS NULL OR p.reminded_at < now() - interval '24 hours')"
     " RETURNING p.id, p.mobile_enc, f.title, to_char(f.deadline, 'YYYY-MM-DD') AS deadline,"
     " floor(extract(epoch FROM p.reminded_at))::bigint AS at,"
     " (SELECT coalesce(nullif(display_name, ''), '网上营业厅用户') FROM users"
     " WHERE id = f.initiator_id) AS initiator",
     1},
    /* who is told that the flow ended: the initiator and every party
     * that was asked to sign (a party never notified knew nothing of it) */
    {"contract_told",
     "SELECT 0::bigint AS party, u.phone_enc AS mobile_enc, f.title FROM sign_flows f"
     " JOIN users u ON u.id = f.initiator_id WHERE f.id = $1"
     " UNION ALL SELECT p.id, p.mobile_enc, f.title FROM sign_flow_parties p JOIN sign_flows f"
     " ON f.id = p.flow_id WHERE p.flow_id = $1 AND p.notified_at IS NOT NULL",
     1},
    {"contract_flow_new",
     "INSERT INTO sign_flows (initiator_id, title, message, ordering, deadline)"
     " VALUES ($1, $2, $3, $4, $5::date) RETURNING id",
     5},
    {"contract_rev_new",
     "INSERT INTO sign_flow_revisions (flow_id, revision, object_key, sha256, size, party_id)"
     " VALUES ($1, $2, $3, $4, $5, $6)",
     6},
    {"contract_party_new",
     "INSERT INTO sign_flow_parties (flow_id, position, kind, name, uscc, mobile_enc, mobile_idx,"
     " ric_enc, page, x_mm, y_mm) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::numeric,"
     " $11::numeric) RETURNING id",
     11},
    {"contract_event",
     "INSERT INTO sign_flow_events (flow_id, party_id, kind, detail) VALUES ($1, $2, $3, $4)", 4},
    /* the parties to notify now: every waiting one in parallel order, the
     * first waiting one in sequential order, none while one is notified */
    {"contract_to_notify",
     "UPDATE sign_flow_parties p SET state = 'notified', notified_at = now()"
     " FROM sign_flows f WHERE f.id = $1 AND p.flow_id = f.id AND p.state = 'waiting'"
     " AND (f.ordering = 'parallel' OR (p.position = (SELECT min(position) FROM sign_flow_parties"
     " WHERE flow_id = $1 AND state = 'waiting') AND NOT EXISTS (SELECT 1 FROM sign_flow_parties"
     " WHERE flow_id = $1 AND state = 'notified')))"
     " RETURNING p.id, p.mobile_enc, f.title, to_char(f.deadline, 'YYYY-MM-DD') AS deadline,"
     " (SELECT coalesce(nullif(display_name, ''), '网上营业厅用户') FROM users"
     " WHERE id = f.initiator_id) AS initiator",
     1},
    {"contract_today_ok", "SELECT $1::date > (now() AT TIME ZONE 'Asia/Shanghai')::date AS ok", 1},
    /* the flow for a write: locked */
    {"contract_lock",
     "SELECT id, initiator_id, state, revision, ordering FROM sign_flows WHERE id = $1 FOR UPDATE",
     1},
    /* the flow if the user may see it: its initiator or one of its parties */
    {"contract_flow",
     "SELECT f.id, f.title, f.message, f.ordering, to_char(f.deadline, 'YYYY-MM-DD') AS deadline,"
     " f.state, f.revision, f.reason, f.initiator_id = $2 AS mine,"
     " to_char(f.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS created_at,"
     " coalesce(to_char(f.finished_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS finished_at, r.object_key, encode(r.sha256, 'hex') AS sha256, r.size"
     " FROM sign_flows f JOIN sign_flow_revisions r ON r.flow_id = f.id AND r.revision = f.revision"
     " WHERE f.id = $1 AND (f.initiator_id = $2 OR EXISTS (SELECT 1 FROM sign_flow_parties p"
     " WHERE p.flow_id = f.id AND p.mobile_idx = " ME_IDX "))",
     2},
    {"contract_parties",
     "SELECT id, position, kind, name, uscc, mobile_enc, page, x_mm::text AS x_mm,"
     " y_mm::text AS y_mm, state, coalesce(cert_serial, '') AS cert_serial, reason,"
     " coalesce(to_char(signed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS signed_at, mobile_idx = " ME_IDX " AS me"
     " FROM sign_flow_parties WHERE flow_id = $1 ORDER BY position",
     2},
    /* the party of the user asked to sign now, locked (inside contract_lock's) */
    {"contract_my_turn",
     "SELECT id, kind, name, uscc FROM sign_flow_parties WHERE flow_id = $1"
     " AND mobile_idx = " ME_IDX " AND state = 'notified' ORDER BY position LIMIT 1 FOR UPDATE",
     2},
    {"contract_revs",
     "SELECT revision, object_key, encode(sha256, 'hex') AS sha256, size"
     " FROM sign_flow_revisions WHERE flow_id = $1 ORDER BY revision",
     1},
    {"contract_signed",
     "UPDATE sign_flow_parties SET state = 'signed', signed_at = now(), cert_serial = $2"
     " WHERE id = $1 AND state = 'notified'",
     2},
    /* the flow at its new revision; completed when no party is left */
    {"contract_advance",
     "UPDATE sign_flows SET revision = $2, state = CASE WHEN EXISTS (SELECT 1 FROM"
     " sign_flow_parties WHERE flow_id = $1 AND state <> 'signed') THEN 'signing' ELSE"
     " 'completed' END, finished_at = CASE WHEN EXISTS (SELECT 1 FROM sign_flow_parties"
     " WHERE flow_id = $1 AND state <> 'signed') THEN NULL ELSE now() END"
     " WHERE id = $1 RETURNING state",
     2},
    {"contract_party_refuse",
     "UPDATE sign_flow_parties SET state = 'refused', reason = $2 WHERE id = $1", 2},
    {"contract_end",
     "UPDATE sign_flows SET state = $2, reason = $3, finished_at = now() WHERE id = $1", 3},
    {"contract_mine",
     "SELECT f.id, f.title, f.state, f.ordering, to_char(f.deadline, 'YYYY-MM-DD') AS deadline,"
     " (SELECT count(*) FROM sign_flow_parties p WHERE p.flow_id = f.id) AS parties,"
     " (SELECT count(*) FROM sign_flow_parties p WHERE p.flow_id = f.id AND p.state = 'signed')"
     " AS signed FROM sign_flows f WHERE f.initiator_id = $1 ORDER BY f.id DESC LIMIT 100",
     1},
    {"contract_waiting",
     "SELECT f.id, f.title, f.state, f.ordering, to_char(f.deadline, 'YYYY-MM-DD') AS deadline,"
     " p.position, p.state AS my_state FROM sign_flow_parties p JOIN sign_flows f"
     " ON f.id = p.flow_id WHERE p.mobile_idx = (SELECT phone_idx FROM users WHERE id = $1)"
     " ORDER BY (p.state = 'notified' AND f.state = 'signing') DESC, f.id DESC LIMIT 100",
     1},
    /* the new signature's certificate and seal in the register (contract_check.c) */
    {"contract_cert",
     "SELECT state, coalesce(floor(extract(epoch FROM revoked_at))::bigint, 0) AS revoked_s"
     " FROM certificates WHERE serial = $1",
     1},
    {"contract_seal",
     "SELECT state, coalesce(floor(extract(epoch FROM revoked_at))::bigint, 0) AS revoked_s"
     " FROM seseals WHERE es_id = $1",
     1},
    {NULL, NULL, 0},
};

#define I64_OR_NULL(v) ((v) != 0 ? HALL_I64(v) : HALL_NULLP)

int64_t
hall_signflow_create(struct hall_ctx *cx, int64_t initiator, const char *title, const char *message,
                     const char *ordering, const char *deadline)
{
    struct hall_dbres *r =
        hall_db_exec(cx, "contract_flow_new", HALL_I64(initiator), HALL_STR(title),
                     HALL_STR(message), HALL_STR(ordering), HALL_STR(deadline));

    return r != NULL && hall_dbres_rows(r) == 1 ? hall_dbres_int(r, 0, "id") : 0;
}

int
hall_signflow_revision_add(struct hall_ctx *cx, int64_t flow, int rev, const char *key,
                           const unsigned char sha256[32], size_t size, int64_t party)
{
    return hall_db_exec(cx, "contract_rev_new", HALL_I64(flow), HALL_I64(rev), HALL_STR(key),
                        HALL_BIN(sha256, 32), HALL_I64((int64_t)size), I64_OR_NULL(party)) != NULL
               ? HALL_OK
               : HALL_ERR;
}

int
hall_signflow_party_add(struct hall_ctx *cx, int64_t flow, int position, const char *kind,
                        const char *name, const char *uscc, const char *mobile, const char *ric,
                        long page, double x_mm, double y_mm)
{
    unsigned char idx[32];
    size_t mlen = 0, rlen = 0;
    unsigned char *menc = hall_pii_encrypt(cx->pool, mobile, strlen(mobile), &mlen);
    unsigned char *renc =
        ric != NULL && *ric != '\0' ? hall_pii_encrypt(cx->pool, ric, strlen(ric), &rlen) : NULL;

    if (menc == NULL || (ric != NULL && *ric != '\0' && renc == NULL))
        return HALL_ERR;
    hall_pii_index("phone", mobile, idx);
    return hall_db_exec(cx, "contract_party_new", HALL_I64(flow), HALL_I64(position),
                        HALL_STR(kind), HALL_STR(name), HALL_STR(uscc), HALL_BIN(menc, mlen),
                        HALL_BIN(idx, 32), renc != NULL ? HALL_BIN(renc, rlen) : HALL_NULLP,
                        HALL_I64(page), HALL_STR(hall_psprintf(cx->pool, "%.1f", x_mm)),
                        HALL_STR(hall_psprintf(cx->pool, "%.1f", y_mm))) != NULL
               ? HALL_OK
               : HALL_ERR;
}

int
hall_signflow_event(struct hall_ctx *cx, int64_t flow, int64_t party, const char *kind,
                    const char *detail)
{
    return hall_db_exec(cx, "contract_event", HALL_I64(flow), I64_OR_NULL(party), HALL_STR(kind),
                        HALL_STR(detail)) != NULL
               ? HALL_OK
               : HALL_ERR;
}

/* the SMS contract_sign to each party of r (contract_to_notify's or
 * contract_remind's rows), each with its event */
static int
ask_to_sign(struct hall_ctx *cx, int64_t flow, struct hall_dbres *r, const char *kind,
            const char *public_url)
{
    int i;

    if (r == NULL)
        return HALL_ERR;
    for (i = 0; i < hall_dbres_rows(r); i++) {
        int64_t party = hall_dbres_int(r, i, "id");
        size_t elen = 0;
        unsigned char *enc = hall_dbres_bytea(cx, r, i, hall_dbres_col(r, "mobile_enc"), &elen);
        char *mobile = enc != NULL ? hall_pii_decrypt(cx->pool, enc, elen) : NULL;
        const char *url =
            hall_psprintf(cx->pool, "%s/contract/flow?id=%lld", public_url, (long long)flow);

        if (mobile == NULL)
            return HALL_ERR;
        if (hall_sms_queue(
                cx,
                strcmp(kind, "reminded") == 0
                    ? hall_psprintf(cx->pool, "contract-remind-%lld-%lld", (long long)party,
                                    (long long)hall_dbres_int(r, i, "at"))
                    : hall_psprintf(cx->pool, "contract-%lld", (long long)party),
                mobile, NULL, HALL_SMST_contract_sign, "initiator",
                hall_dbres_str(r, i, "initiator"), "title", hall_dbres_str(r, i, "title"),
                "deadline", hall_dbres_str(r, i, "deadline"), "url", url, NULL) != HALL_OK ||
            hall_signflow_event(cx, flow, party, kind, "") != HALL_OK)
            return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_signflow_notify(struct hall_ctx *cx, int64_t flow, const char *public_url)
{
    struct hall_dbres *r = hall_db_exec(cx, "contract_to_notify", HALL_I64(flow));

    return r != NULL ? ask_to_sign(cx, flow, r, "notified", public_url) : HALL_ERR;
}

int
hall_signflow_remind(struct hall_ctx *cx, int64_t flow, const char *public_url, int *n)
{
    struct hall_dbres *r = hall_db_exec(cx, "contract_remind", HALL_I64(flow));

    if (r == NULL)
        return HALL_ERR;
    *n = hall_dbres_rows(r);
    return ask_to_sign(cx, flow, r, "reminded", public_url);
}

/* the flow ended (what: 已全部签署完成, 已被签署方拒签…, 已被发起方撤销…):
 * the SMS contract_ended to its initiator and every party asked to sign */
static int
tell_ended(struct hall_ctx *cx, int64_t flow, const char *kind, const char *what,
           const char *public_url)
{
    struct hall_dbres *r = hall_db_exec(cx, "contract_told", HALL_I64(flow));
    const char *url =
        hall_psprintf(cx->pool, "%s/contract/flow?id=%lld", public_url, (long long)flow);
    int i;

    if (r == NULL)
        return HALL_ERR;
    for (i = 0; i < hall_dbres_rows(r); i++) {
        size_t elen = 0;
        unsigned char *enc = hall_dbres_bytea(cx, r, i, hall_dbres_col(r, "mobile_enc"), &elen);
        char *mobile = enc != NULL ? hall_pii_decrypt(cx->pool, enc, elen) : NULL;

        if (mobile == NULL ||
            hall_sms_queue(cx,
                           hall_psprintf(cx->pool, "contract-%s-%lld-%lld", kind, (long long)flow,
                                         (long long)hall_dbres_int(r, i, "party")),
                           mobile, NULL, HALL_SMST_contract_ended, "title",
                           hall_dbres_str(r, i, "title"), "what", what, "url", url,
                           NULL) != HALL_OK)
            return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_signflow_signed(struct hall_ctx *cx, int64_t flow, int64_t party, int rev, const char *key,
                     const unsigned char sha256[32], size_t size, const char *serial,
                     const char *public_url, const char **state)
{
    struct hall_dbres *r;

    if (hall_signflow_revision_add(cx, flow, rev, key, sha256, size, party) != HALL_OK ||
        hall_db_exec(cx, "contract_signed", HALL_I64(party), HALL_STR(serial)) == NULL ||
        hall_signflow_event(cx, flow, party, "signed", serial) != HALL_OK)
        return HALL_ERR;
    r = hall_db_exec(cx, "contract_advance", HALL_I64(flow), HALL_I64(rev));
    if (r == NULL || hall_dbres_rows(r) != 1)
        return HALL_ERR;
    *state = hall_dbres_str(r, 0, "state");
    if (strcmp(*state, "completed") == 0)
        return hall_signflow_event(cx, flow, 0, "completed", "") == HALL_OK
                   ? tell_ended(cx, flow, "completed", "已全部签署完成", public_url)
                   : HALL_ERR;
    return hall_signflow_notify(cx, flow, public_url);
}

int
hall_signflow_refused(struct hall_ctx *cx, int64_t flow, int64_t party, const char *reason,
                      const char *public_url)
{
    return hall_db_exec(cx, "contract_party_refuse", HALL_I64(party), HALL_STR(reason)) != NULL &&
                   hall_db_exec(cx, "contract_end", HALL_I64(flow), HALL_STR("refused"),
                                HALL_STR(reason)) != NULL &&
                   hall_signflow_event(cx, flow, party, "refused", reason) == HALL_OK
               ? tell_ended(cx, flow, "refused",
                            hall_psprintf(cx->pool, "已被签署方拒签，拒签原因：%s", reason),
                            public_url)
               : HALL_ERR;
}

int
hall_signflow_withdrawn(struct hall_ctx *cx, int64_t flow, const char *reason,
                        const char *public_url)
{
    return hall_db_exec(cx, "contract_end", HALL_I64(flow), HALL_STR("withdrawn"),
                        HALL_STR(reason)) != NULL &&
                   hall_signflow_event(cx, flow, 0, "withdrawn", reason) == HALL_OK
               ? tell_ended(cx, flow, "withdrawn",
                            hall_psprintf(cx->pool, "已被发起方撤销，撤销原因：%s", reason),
                            public_url)
               : HALL_ERR;
}

int
hall_signflow_expire_tick(struct hall_ctx *cx, const char *public_url)
{
    struct hall_dbres *r;
    int i, n;

    if (hall_db_begin(cx) != HALL_OK)
        return -1;
    r = hall_db_exec(cx, "contract_due");
    if (r == NULL)
        goto fail;
    n = hall_dbres_rows(r);
    for (i = 0; i < n; i++) {
        int64_t flow = hall_dbres_int(r, i, "id");

        if (hall_db_exec(cx, "contract_end", HALL_I64(flow), HALL_STR("expired"),
                         HALL_STR("已过截止日期")) == NULL ||
            hall_signflow_event(cx, flow, 0, "expired", "") != HALL_OK ||
            tell_ended(cx, flow, "expired", "已过截止日期，未签署完成，已自动失效", public_url) !=
                HALL_OK)
            goto fail;
    }
    if (hall_db_commit(cx) != HALL_OK)
        goto fail;
    return n;
fail:
    hall_db_rollback(cx);
    return -1;
}
