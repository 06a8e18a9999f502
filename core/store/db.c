/*
 * PostgreSQL: one connection per worker, every statement prepared at
 * connect time.  A connection whose server refused a write as read-only
 * (SQLSTATE 25006: a primary demoted to standby, or made read-only) is
 * replaced: with a multi-host db_conninfo and target_session_attrs=read-write
 * the new connection reaches whichever server is the primary now.
 *
 * A lost connection is replaced too, and what was in flight on it is never
 * done twice.  A statement whose connection broke after it was sent may
 * have been carried out or not: the server can commit and the answer be
 * lost on its way (a network cut, a pooler restarted).  So:
 *   - before a request's first statement the connection is looked at (one
 *     non-blocking read): a server that went away while the worker was idle
 *     (a restart) is noticed before anything is sent, and a new connection
 *     takes the request from its start;
 *   - a transaction commits nothing before its COMMIT: its first statement
 *     (sent with BEGIN) goes again on a new connection, a later one answers
 *     503 with nothing written;
 *   - a self-committing statement goes again on a new connection only when
 *     a second run cannot write twice: when its caller sent it keyed
 *     (hall_db_exec_keyed: a key of the request's that the database checks),
 *     or, for any other, inside a READ ONLY transaction, where a read answers
 *     and a write is refused before it writes;
 *   - a write refused there, a COMMIT whose answer was lost, and a statement
 *     that could not be sent again (the server still away) leave the write's
 *     fate unknown: the request's SQLSTATE is 08007
 *     (transaction_resolution_unknown), and its answer says so
 *     (hall_resp_busy: 503 with the request's id).
 * docs/internals/store.md lists which writes are keyed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libpq-fe.h>

#include "store/store_int.h"

/* bumped by every new primary connection: the reference copy is of one */
static unsigned long conn_gen;

/* the primary connection's server refused a write as read-only: replaced
 * before the next request's first statement (db_ready) */
static int conn_readonly;

/* the store's own statements (sessions, SMS codes, outbox, audit) */
const struct hall_stmt hall_store_stmts[] = {
    /* a plain primary-key read; the refresh is a separate UPDATE, sent only
     * when the last one is more than a minute old (hall_session_load) */
    {"session_get",
     "SELECT user_id, partner_code, who, last_seen < now() - interval '60 seconds' AS stale"
     " FROM sessions"
     " WHERE token_hash = $1 AND idle_expires > now() AND absolute_expires > now()",
     1},
    {"session_touch",
     "UPDATE sessions SET last_seen = now(),"
     " idle_expires = least(absolute_expires, now() + make_interval(secs => $2::int))"
     " WHERE token_hash = $1",
     2},
    {"session_insert",
     "INSERT INTO sessions (token_hash, user_id, partner_code, idle_expires, absolute_expires, who)"
     " VALUES ($1, $2, $3, now() + make_interval(secs => $4::int), now() + make_interval(secs => "
     "$5::int), $6)",
     6},
    {"session_delete", "DELETE FROM sessions WHERE token_hash = $1", 1},
    /* a new password ends the user's other sessions (modules/account) */
    {"session_drop_others", "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", 2},
    /* the header's name of a partner's hall (core/web/resp.c, site_name) */
    {"partner_site_name",
     "SELECT name, coalesce(center_orders_label, '') AS center_orders_label FROM partners"
     " WHERE code = $1",
     1},
    /* the generic hall's 个人中心: every partner's own entry (seeds 001, 004:
     * 我的业务单-光大环境内部应用 in the hall's menu too) */
    {"partner_center_channels",
     "SELECT code, center_orders_label FROM partners WHERE active"
     " AND center_orders_label IS NOT NULL ORDER BY code",
     0},
    /* the flows a channel sells (its home page and menu): the partner's
     * products; the generic hall ('') its own and, for the flows that ask
     * the project first, those of the partners it lists */
    {"partner_flows",
     "SELECT r.business_type FROM products r JOIN partners p ON p.code = r.partner_code"
     " WHERE r.active AND p.active AND (p.code = $1 OR ($1 = '' AND (p.code = 'hall'"
     " OR (r.business_type IN ('new', 'reissue') AND NOT p.requires_project_id"
     " AND p.link_secret_enc IS NULL))))"
     " GROUP BY r.business_type",
     1},
    /* run by the outbox (tools/outbox/hall_outbox.c, session_tick): the
     * applicants' sessions a day past their end (the staff's: staff.c) */
    {"session_purge",
     "WITH d AS (DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions"
     " WHERE absolute_expires < now() - interval '1 day' ORDER BY absolute_expires LIMIT 1000"
     " FOR UPDATE SKIP LOCKED) RETURNING 1)"
     " SELECT count(*) AS n FROM d",
     0},
    /* core/store/file.c, hall_file_orphans: of the names $1 (a text[]), the
     * positions (1-based) of those no live row names (order_files: the only
     * table whose rows name objects of the object store).  A material a
     * later upload replaced, or one removed, is retired: its object is
     * deleted once the write that retired it commits, or by the sweep when
     * that write's answer was lost.  A replaced transfer voucher stays:
     * finance's record of a refused transfer (payments.voucher_file_id). */
    {"obj_unnamed",
     "SELECT u.i FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i)"
     " WHERE NOT EXISTS (SELECT 1 FROM order_files f WHERE f.stored_name = u.n"
     " AND f.removed_at IS NULL AND (f.replaced_at IS NULL OR f.kind = 'transfer_voucher'))"
     " ORDER BY u.i",
     1},
    /* hall-outbox's periodic work run once per period across hosts
     * (sql/116_hall_ticks.sql): a row back when this worker claimed the run
     * of $1, whose period is $2 seconds */
    {"tick_claim",
     "INSERT INTO hall_ticks AS t (name, last_at) VALUES ($1, now())"
     " ON CONFLICT (name) DO UPDATE SET last_at = now()"
     " WHERE t.last_at <= now() - make_interval(secs => $2::int) RETURNING 1 AS claimed",
     2},
    /* a row per client and clock hour: the upsert locks it until commit, so
     * parallel sends from one client are counted one after another */
    {"sms_client_count",
     "INSERT INTO sms_send_counts AS c (key, hour, n) VALUES ($1, date_trunc('hour', now()), 1)"
     " ON CONFLICT (key, hour) DO UPDATE SET n = c.n + 1 RETURNING n",
     1},
    {"sms_client_prune",
     "DELETE FROM sms_send_counts WHERE ctid IN (SELECT ctid FROM sms_send_counts"
     " WHERE hour < now() - interval '1 day' LIMIT 50 FOR UPDATE SKIP LOCKED)",
     0},
    /* 免费体验 (modules/sign): a row per address and Beijing day, locked
     * until commit (hall_sign_try_count) */
    {"sign_try_count",
     "INSERT INTO sign_try_counts AS c (addr, day, n)"
     " VALUES ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date, 1)"
     " ON CONFLICT (addr, day) DO UPDATE SET n = c.n + 1 RETURNING n",
     1},
    {"sign_try_prune",
     "DELETE FROM sign_try_counts WHERE ctid IN (SELECT ctid FROM sign_try_counts"
     " WHERE day < (now() AT TIME ZONE 'Asia/Shanghai')::date - 2 LIMIT 50"
     " FOR UPDATE SKIP LOCKED)",
     0},
    {"sms_lock", "SELECT pg_advisory_xact_lock(hashtextextended(encode($1::bytea, 'hex'), 7))", 1},
    {"sms_counts",
     "SELECT count(*) FILTER (WHERE created_at > now() - make_interval(secs => $2::int))"
     " AS recent, count(*) AS today FROM sms_codes WHERE phone_idx = $1"
     " AND created_at > now() - interval '1 day'",
     2},
    {"sms_supersede",
     "UPDATE sms_codes SET used_at = now() WHERE phone_idx = $1 AND purpose = $2 AND used_at IS "
     "NULL",
     2},
    {"sms_insert",
     "INSERT INTO sms_codes (phone_idx, purpose, code_hash, expires_at, object)"
     " VALUES ($1, $2, $3, now() + make_interval(secs => $4::int), $5) RETURNING id",
     5},
    /* the phone's last code of the purpose, whatever its object: a code
     * asked for another object is told as such (core/flow/sms.c) */
    {"sms_latest",
     "SELECT id, code_hash, tries, expires_at > now() AS live, object FROM sms_codes"
     " WHERE phone_idx = $1 AND purpose = $2 AND used_at IS NULL ORDER BY id DESC LIMIT 1 FOR "
     "UPDATE",
     2},
    {"sms_fail", "UPDATE sms_codes SET tries = tries + 1 WHERE id = $1", 1},
    {"sms_use", "UPDATE sms_codes SET used_at = now() WHERE id = $1", 1},
    /* the reports' daily roll-up (sql/024_report_rollup.sql): one transaction */
    {"report_rollup", "SELECT report_rollup_refresh() AS days", 0},
    {NULL, NULL, 0},
};

static int
prepare_all(PGconn *pg, const struct hall_stmt *list)
{

    for (; list != NULL && list->name != NULL; list++) {
        PGresult *r = PQprepare(pg, list->name, list->sql, list->nparams, NULL);

        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            hall_log(HALL_LOG_ERR, NULL, "msg=\"prepare failed\" stmt=%s sqlstate=%s error=\"%s\"",
                     list->name, PQresultErrorField(r, PG_DIAG_SQLSTATE) ?: "",
                     PQresultErrorMessage(r));
            PQclear(r);
            return HALL_ERR;
        }
        PQclear(r);
    }
    return HALL_OK;
}

/*
 * The database remembers the fingerprint of the PII key its data was
 * written with (the first program to connect records it).  A key file that
 * does not match — a restore without its key, a new key made by mistake —
 * would read nothing and write data no one can read later: refuse.
 */
static int
key_matches(struct hall_store *st)
{
    static const char sql[] =
        "WITH ins AS (INSERT INTO hall_keys (id, pii_fingerprint) VALUES (1, $1)"
        " ON CONFLICT (id) DO NOTHING RETURNING pii_fingerprint)"
        " SELECT pii_fingerprint FROM ins UNION ALL SELECT pii_fingerprint FROM hall_keys"
        " WHERE id = 1";
    char fp[65];
    const char *param[1] = {fp};
    const char *state, *have;
    PGresult *r;
    int rc = HALL_OK;

    if (hall_crypto_fingerprint(fp) != HALL_OK)
        return HALL_OK; /* no key loaded (tools without PII): nothing to compare */
    r = PQexecParams(st->pg, sql, 1, NULL, param, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state != NULL && strcmp(state, "42P01") == 0) {
            /* a database from before the hall_keys migration */
            hall_log(HALL_LOG_WARN, NULL, "msg=\"no hall_keys table: PII key not checked\"");
        } else {
            hall_log(HALL_LOG_ERR, NULL, "msg=\"key check failed\" sqlstate=%s",
                     state != NULL ? state : "");
            rc = HALL_ERR;
        }
        PQclear(r);
        return rc;
    }
    /* no row: another program's first insert is not visible yet; next time */
    have = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : fp;
    if (strcmp(have, fp) != 0) {
        st->key_mismatch = 1;
        hall_log(HALL_LOG_ERR, NULL,
                 "msg=\"key_file does not belong to this database: its data was written with"
                 " another PII key; restore that key (script/restore) or this key's database\""
                 " key_fp=%.12s db_fp=%.12s",
                 fp, have);
        rc = HALL_ERR;
    } else {
        st->key_mismatch = 0;
    }
    PQclear(r);
    return rc;
}

int
hall_store_key_check(struct hall_store *st)
{
    if (hall_store_connect(st) == HALL_OK) {
        PQfinish(st->pg);
        st->pg = NULL;
        return HALL_OK;
    }
    return st->key_mismatch ? HALL_ERR : HALL_OK;
}

static int
prepare_every(struct hall_store *st, PGconn *pg)
{
    const struct hall_stmt *const *t;

    for (t = st->tables; t != NULL && *t != NULL; t++)
        if (prepare_all(pg, *t) != HALL_OK)
            return HALL_ERR;
    return HALL_OK;
}

/* what the layers above asked to be told (hall_store_watch) */
static struct hall_store_hooks hooks;

void
hall_store_watch(const struct hall_store_hooks *h)
{
    hooks = *h;
}

static void
tell_failed(void)
{
    if (hooks.statement_failed != NULL)
        hooks.statement_failed();
}

static void
tell_reconnected(void)
{
    if (hooks.reconnected != NULL)
        hooks.reconnected();
}

/*
 * Every session the hall opens keeps Beijing time before its first
 * statement: to_char() of a timestamptz, current_date, a timestamptz's
 * ::date and a date's ::timestamptz are then Beijing's whatever the
 * server's timezone setting (postgresql.conf, the role's, PGTZ).  A SET,
 * not a startup option: the conninfo keeps its own options, and a SET
 * given by the session outranks the server's configuration on reload.
 */
static int
session_setup(PGconn *pg, const char *which)
{
    PGresult *r = PQexec(pg, "SET TIME ZONE '" HALL_TIME_ZONE "'");
    const char *state;
    int rc = HALL_OK;

    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        hall_log(HALL_LOG_ERR, NULL, "msg=\"cannot set the time zone\" conn=%s sqlstate=%s", which,
                 state != NULL ? state : "");
        rc = HALL_ERR;
    }
    PQclear(r);
    return rc;
}

/*
 * A connection names its program (hall-new, hall-outbox...) as
 * application_name unless the conninfo sets one: pg_stat_activity then
 * says which module a backend serves, and bench/journey's JOURNEY_PROFILE
 * charges each backend's CPU to its module.
 */
static PGconn *
connect_named(const char *conninfo)
{
    const char *const keys[] = {"dbname", "fallback_application_name", NULL};
    const char *const vals[] = {conninfo, program_invocation_short_name, NULL};

    return PQconnectdbParams(keys, vals, 1);
}

int
hall_store_connect(struct hall_store *st)
{
    PGconn *pg;

    if (st->pg != NULL) {
        PQfinish(st->pg);
        st->pg = NULL;
    }
    pg = connect_named(st->conf->db_conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        /* the message can carry the host name but never credentials' values */
        hall_log(HALL_LOG_ERR, NULL, "msg=\"db connect failed\"");
        PQfinish(pg);
        return HALL_ERR;
    }
    st->pg = pg;
    conn_gen++;
    conn_readonly = 0;
    if (session_setup(pg, "primary") != HALL_OK || key_matches(st) != HALL_OK ||
        prepare_every(st, pg) != HALL_OK) {
        PQfinish(pg);
        st->pg = NULL;
        return HALL_ERR;
    }
    return HALL_OK;
}

/*
 * The replica for hall_db_read: connected on first use, every statement
 * prepared there as well (preparing a write is allowed on a hot standby;
 * only running one fails).  After a failed connect the primary answers for
 * REPLICA_RETRY_S before the next try, so a replica that is down costs one
 * connect timeout per worker and interval, not one per request.
 */
#define REPLICA_RETRY_S 5

static int
replica_ready(struct hall_store *st)
{
    static time_t failed_at;
    const char *ci = st->conf->db_replica_conninfo;
    PGconn *pg = st->pg_replica;

    if (ci == NULL || *ci == '\0')
        return 0;
    if (pg != NULL && PQstatus(pg) == CONNECTION_OK)
        return 1;
    if (pg != NULL) {
        PQfinish(pg);
        st->pg_replica = NULL;
        tell_reconnected();
    }
    if (failed_at != 0 && time(NULL) - failed_at < REPLICA_RETRY_S)
        return 0;
    pg = connect_named(ci);
    if (PQstatus(pg) != CONNECTION_OK || session_setup(pg, "replica") != HALL_OK ||
        prepare_every(st, pg) != HALL_OK) {
        hall_log(HALL_LOG_WARN, NULL, "msg=\"replica connect failed; the primary answers reads\"");
        PQfinish(pg);
        failed_at = time(NULL);
        return 0;
    }
    failed_at = 0;
    st->pg_replica = pg;
    return 1;
}

/*
 * Did the server close this idle connection?  libpq learns of an EOF only
 * by reading it, and PQconsumeInput stops after the data it got (a
 * terminating server's FATAL message comes before its EOF): read until the
 * socket has nothing more to give, without waiting.  A socket with nothing
 * to read (the usual case: one poll(2)) is open, and has brought no
 * notice either: *quiet is set.
 */
static int
idle_conn_lost(PGconn *pg, int *quiet)
{
    struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
    char c;

    if (pfd.fd >= 0 && PQstatus(pg) == CONNECTION_OK && poll(&pfd, 1, 0) == 0) {
        *quiet = 1;
        return 0;
    }
    for (int i = 0; i < 8 && PQstatus(pg) == CONNECTION_OK; i++) {
        ssize_t n;

        if (PQconsumeInput(pg) == 0)
            break;
        n = recv(PQsocket(pg), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return 0; /* nothing more: open */
        /* more data, or 0 (the EOF) or an error: libpq reads it next round */
    }
    return PQstatus(pg) != CONNECTION_OK;
}

/* Called at the start of every request: reconnect when the server went
 * away, or refused a write as read-only (not in the middle of a request:
 * what it did so far stays on one connection) */
static int
db_ready(struct hall_ctx *cx)
{
    struct hall_store *st = cx->store;
    int first = !cx->db_used && !cx->in_tx;

    /* a server that closed the connection while this worker was idle has
     * sent its goodbye (or an EOF) already: read now, before anything is
     * sent, a new connection is free to take the whole request.  Asked
     * once: the reference reads from the worker's copy that may come
     * before the first statement would each ask again (two recv(2) each) */
    if (first && !cx->idle_checked && st->pg != NULL && cx->sent == NULL) {
        cx->idle_checked = 1;
        if (idle_conn_lost(st->pg, &cx->idle_quiet))
            hall_warn(cx, "msg=\"database connection lost while idle; reconnecting\"");
    }
    if (st->pg != NULL && PQstatus(st->pg) == CONNECTION_OK && (!conn_readonly || !first))
        return HALL_OK;
    if (st->pg != NULL) {
        if (conn_readonly && PQstatus(st->pg) == CONNECTION_OK)
            hall_warn(cx, "msg=\"database read-only; reconnecting to the primary\"");
        tell_reconnected();
    }
    if (hall_store_connect(st) != HALL_OK) {
        cx->store_failed = 1;
        return HALL_ERR;
    }
    return HALL_OK;
}

static int
is_readonly(const PGresult *r)
{
    const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

    return state != NULL && strcmp(state, "25006") == 0;
}

static void
res_free(void *p)
{
    PQclear(((struct hall_dbres *)p)->res);
}

static void
note_failure(struct hall_ctx *cx, const char *name, PGresult *r)
{
    const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

    snprintf(cx->sqlstate, sizeof(cx->sqlstate), "%s", state != NULL ? state : "08000");
    if (is_readonly(r))
        conn_readonly = 1;
    /* unique violations are expected answers (e.g. phone taken): not errors */
    if (strcmp(cx->sqlstate, "23505") != 0) {
        cx->store_failed = 1;
        hall_err(cx, "msg=db_exec stmt=%s sqlstate=%s", name, cx->sqlstate);
        tell_failed();
    }
}

static int
failed(const PGresult *r)
{
    return r == NULL ||
           (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK);
}

/*
 * A new connection for a statement that may go again: the old one broke
 * (CONNECTION_BAD), or its server refused the request's first statement as
 * read-only (R: nothing was written).  Never inside a transaction whose
 * statements reached the server: what it did is gone with the connection.
 */
static int
reconnect_for_again(struct hall_ctx *cx, const PGresult *r)
{
    if (cx->store->pg == NULL || (cx->in_tx && !cx->begin_pending))
        return 0;
    if (is_readonly(r) && PQstatus(cx->store->pg) != CONNECTION_BAD) {
        if (cx->db_used)
            return 0;
        hall_warn(cx, "msg=\"database read-only; reconnecting to the primary\"");
    } else if (PQstatus(cx->store->pg) == CONNECTION_BAD) {
        hall_warn(cx, "msg=\"database connection lost; reconnecting\"");
    } else {
        return 0;
    }
    tell_reconnected();
    return hall_store_connect(cx->store) == HALL_OK;
}

/* the fate of a write this request sent is unknown (see the top) */
static void
fate_unknown(struct hall_ctx *cx, const char *name)
{
    snprintf(cx->sqlstate, sizeof(cx->sqlstate), "08007");
    cx->fate_unknown = 1;
    cx->store_failed = 1;
    hall_err(cx, "msg=\"connection lost with a write in flight: its outcome is unknown\" stmt=%s",
             name);
    tell_failed();
}

static int
params_of(struct hall_ctx *cx, const struct hall_dbparam *params, const char **values, int *lengths,
          int *formats)
{
    int n = 0;

    for (; params[n].type != HALL_DBP_END; n++) {
        if (n == 32)
            abort(); /* a programming error, not input */
        lengths[n] = 0;
        formats[n] = 0;
        switch (params[n].type) {
        case HALL_DBP_NULL: values[n] = NULL; break;
        case HALL_DBP_STR: values[n] = params[n].s; break;
        case HALL_DBP_I64:
            values[n] = hall_psprintf(cx->pool, "%lld", (long long)params[n].i);
            break;
        case HALL_DBP_BIN:
            values[n] = params[n].s;
            lengths[n] = (int)params[n].len;
            formats[n] = 1;
            break;
        case HALL_DBP_END: break;
        }
    }
    return n;
}

static struct hall_dbres *
wrap(struct hall_ctx *cx, PGresult *r)
{
    struct hall_dbres *res = hall_palloc(cx->pool, sizeof(*res));

    res->res = r;
    res->pool = cx->pool;
    hall_pool_cleanup(cx->pool, res_free, res);
    return res;
}

/* the answer of what hall_db_send sent, read whole (PQgetResult to its
 * NULL); the last result, NULL when the connection failed */
static PGresult *
sent_read(struct hall_ctx *cx)
{
    PGresult *r, *last = NULL;

    cx->sent = NULL;
    if (cx->store->pg == NULL)
        return NULL;
    while ((r = PQgetResult(cx->store->pg)) != NULL) {
        PQclear(last);
        last = r;
    }
    return last;
}

/* a statement sent and never read: its answer would be taken for the
 * next statement's */
static void
sent_drop(struct hall_ctx *cx, const char *why)
{
    if (cx->sent == NULL)
        return;
    if (why != NULL)
        hall_err(cx, "msg=\"answer never read\" stmt=%s before=%s", cx->sent, why);
    PQclear(sent_read(cx));
}

static void
sent_cleanup(void *p)
{
    sent_drop(p, NULL);
}

int
hall_db_sendv(struct hall_ctx *cx, const char *name, const struct hall_dbparam *params)
{
    const char *values[32];
    int lengths[32], formats[32];
    int n;

    if (cx->in_tx || cx->sent != NULL || db_ready(cx) != HALL_OK || cx->store->pg == NULL)
        return HALL_ERR;
    n = params_of(cx, params, values, lengths, formats);
    if (PQsendQueryPrepared(cx->store->pg, name, n, values, lengths, formats, 0) != 1)
        return HALL_ERR;
    cx->sent = name;
    hall_pool_cleanup(cx->pool, sent_cleanup, cx);
    return HALL_OK;
}

/* r as the caller's result: a failure noted (and NULL), else wrapped */
static struct hall_dbres *
answer(struct hall_ctx *cx, const char *name, PGresult *r)
{
    if (failed(r)) {
        note_failure(cx, name, r);
        PQclear(r);
        return NULL;
    }
    cx->db_used = 1;
    return wrap(cx, r);
}

struct hall_dbres *
hall_db_recv(struct hall_ctx *cx)
{
    const char *name = cx->sent;

    if (name == NULL)
        return NULL;
    return answer(cx, name, sent_read(cx));
}

/*
 * BEGIN (or BEGIN READ ONLY) and the transaction's first statement sent
 * together (libpq's pipeline mode, one Sync: one round trip where there
 * were two); the statement's result, or BEGIN's when BEGIN failed, NULL
 * when the connection did.  The Sync ends no transaction: BEGIN opened a
 * block.
 */
static PGresult *
begin_with(PGconn *pg, const char *begin_sql, const char *name, int n, const char *const *values,
           const int *lengths, const int *formats)
{
    PGresult *r, *begin = NULL, *stmt = NULL;
    int query = 0, nulls = 0;

    if (PQenterPipelineMode(pg) != 1)
        return NULL;
    if (PQsendQueryParams(pg, begin_sql, 0, NULL, NULL, NULL, NULL, 0) != 1 ||
        PQsendQueryPrepared(pg, name, n, values, lengths, formats, 0) != 1 ||
        PQpipelineSync(pg) != 1) {
        PQexitPipelineMode(pg);
        return NULL;
    }
    /* BEGIN's results, NULL, the statement's, NULL, then the Sync's */
    for (;;) {
        r = PQgetResult(pg);
        if (r == NULL) {
            /* two in a row: nothing more will come (a lost connection) */
            if (++nulls > 1 || PQstatus(pg) == CONNECTION_BAD)
                break;
            query++;
            continue;
        }
        nulls = 0;
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if (query == 0) {
            PQclear(begin);
            begin = r;
        } else {
            PQclear(stmt);
            stmt = r;
        }
    }
    PQexitPipelineMode(pg);
    if (failed(begin)) {
        PQclear(stmt);
        return begin;
    }
    PQclear(begin);
    return stmt;
}

/*
 * A self-committing statement whose connection broke (or whose server
 * refused it as read-only), on a new connection: as it is when a second
 * run cannot write twice (refused as read-only: nothing was written; or
 * keyed), else inside a READ ONLY transaction, which answers a read and
 * refuses a write before it writes.  NULL with the fate noted unknown when
 * it is a write, or could not be sent again.
 */
static PGresult *
self_commit_again(struct hall_ctx *cx, const char *name, PGresult *r, int keyed, int n,
                  const char *const *values, const int *lengths, const int *formats)
{
    int refused = is_readonly(r) && PQstatus(cx->store->pg) != CONNECTION_BAD;
    PGresult *ro, *end;
    const char *state;

    if (!reconnect_for_again(cx, r)) {
        if (!refused && PQstatus(cx->store->pg) == CONNECTION_BAD) {
            PQclear(r);
            fate_unknown(cx, name);
            return NULL;
        }
        return r; /* the server's own answer: the statement failed */
    }
    PQclear(r);
    if (refused || keyed) {
        r = PQexecPrepared(cx->store->pg, name, n, values, lengths, formats, 0);
        if (failed(r) && PQstatus(cx->store->pg) == CONNECTION_BAD) {
            PQclear(r);
            fate_unknown(cx, name);
            return NULL;
        }
        return r;
    }
    cx->resent_readonly = 1;
    ro = begin_with(cx->store->pg, "BEGIN READ ONLY", name, n, values, lengths, formats);
    end = PQexec(cx->store->pg, "ROLLBACK");
    PQclear(end);
    if (!failed(ro))
        return ro;
    state = ro != NULL ? PQresultErrorField(ro, PG_DIAG_SQLSTATE) : NULL;
    if (state != NULL && strcmp(state, "25006") != 0 && PQstatus(cx->store->pg) == CONNECTION_OK)
        return ro; /* a read that failed by itself */
    PQclear(ro);
    fate_unknown(cx, name);
    return NULL;
}

static struct hall_dbres *
exec(struct hall_ctx *cx, const char *name, const struct hall_dbparam *params, int keyed)
{
    const char *values[32];
    int lengths[32], formats[32];
    PGresult *r;
    int n;

    sent_drop(cx, name);
    if ((!cx->in_tx || cx->begin_pending) && db_ready(cx) != HALL_OK) {
        snprintf(cx->sqlstate, sizeof(cx->sqlstate), "08006");
        return NULL;
    }
    if (cx->store->pg == NULL)
        return NULL;
    n = params_of(cx, params, values, lengths, formats);
    if (cx->in_tx && cx->begin_pending) {
        r = begin_with(cx->store->pg, "BEGIN", name, n, values, lengths, formats);
        /* nothing of this transaction was committed: all of it again, on
         * a new connection */
        if (failed(r) && reconnect_for_again(cx, r)) {
            PQclear(r);
            r = begin_with(cx->store->pg, "BEGIN", name, n, values, lengths, formats);
        }
        cx->begin_pending = 0;
        cx->db_used = 1;
        return answer(cx, name, r);
    }
    r = PQexecPrepared(cx->store->pg, name, n, values, lengths, formats, 0);
    if (failed(r) && !cx->in_tx) {
        r = self_commit_again(cx, name, r, keyed, n, values, lengths, formats);
        if (r == NULL)
            return NULL;
    }
    return answer(cx, name, r);
}

struct hall_dbres *
hall_db_execv(struct hall_ctx *cx, const char *name, const struct hall_dbparam *params)
{
    return exec(cx, name, params, 0);
}

struct hall_dbres *
hall_db_execv_keyed(struct hall_ctx *cx, const char *name, const struct hall_dbparam *params)
{
    return exec(cx, name, params, 1);
}

/*
 * The reference copy (hall_db_ref).  Partners, products, divisions and bank
 * branches are read by nearly every flow request and change a few times a
 * year; a worker keeps the results it has read, by statement and
 * parameters.  Staying right without state of its own: the connection
 * LISTENs on "hall_ref", which sql/032_ref_notify.sql sends from the
 * transaction of any change to those tables, so the notice reaches every
 * worker of every host when that change commits.  The first reference read
 * of each request takes in what the server sent (one non-blocking recv, no
 * round trip) and drops the copy on a notice; a request already past that
 * point finishes with the rows it started with, as if it had read them a
 * moment earlier.  The notifying backend signals the listening ones at its
 * commit, and each forwards the notice when it next runs, at the latest
 * before it answers its next statement: a request whose first reference
 * read follows a round trip (the session read) always sees a change
 * committed before it came; one that reads references before any round
 * trip (the one-trip submit of a new order, core/flow/submit.c) may, for that moment
 * after the commit, still check a form against the copy from before it.
 * A new connection may have missed notices: it starts empty.
 */
#define REF_BUCKETS 256
#define REF_MAX     2048 /* results kept; beyond, the copy starts again */

struct ref_entry {
    struct ref_entry *next;
    PGresult *res;
    size_t klen;
    char key[];
};

static struct ref_entry *ref_tab[REF_BUCKETS];
static unsigned ref_count;
static unsigned long ref_gen; /* the connection that LISTENs, 0: none */

static void
ref_flush(void)
{
    for (int b = 0; b < REF_BUCKETS; b++)
        while (ref_tab[b] != NULL) {
            struct ref_entry *e = ref_tab[b];

            ref_tab[b] = e->next;
            PQclear(e->res);
            free(e);
        }
    ref_count = 0;
}

/* once per request: is the copy still of the tables as they are? */
static int
ref_usable(struct hall_ctx *cx)
{
    PGconn *pg = cx->store->pg;
    PGnotify *n;
    int changed = 0;

    if (cx->ref_checked)
        return ref_gen == conn_gen;
    cx->ref_checked = 1;
    if (ref_gen != conn_gen) {
        PGresult *r = PQexec(pg, "LISTEN hall_ref");
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;

        PQclear(r);
        ref_flush();
        ref_gen = ok ? conn_gen : 0;
        return ok;
    }
    /* the idle check found the socket empty a moment ago: no notice
     * came since that this request must see (it may read the copy as of
     * then) */
    if (!cx->idle_quiet && PQconsumeInput(pg) == 0) {
        ref_flush();
        ref_gen = 0;
        return 0;
    }
    /* this module LISTENs for nothing else (see hall.h) */
    while ((n = PQnotifies(pg)) != NULL) {
        changed = 1;
        PQfreemem(n);
    }
    if (changed || ref_count >= REF_MAX)
        ref_flush();
    return 1;
}

/* the statement and its parameters, each length-prefixed, as the key;
 * NULL when longer than a reference lookup's key can be */
static char *
ref_key(struct hall_ctx *cx, const char *name, const struct hall_dbparam *params, size_t *klen)
{
    struct hall_buf *b = hall_buf_new(cx->pool, 1024);

    hall_buf_add(b, name, strlen(name) + 1);
    for (int i = 0; params[i].type != HALL_DBP_END; i++) {
        const struct hall_dbparam *p = &params[i];
        size_t n = p->type == HALL_DBP_STR ? strlen(p->s) : p->type == HALL_DBP_BIN ? p->len : 0;
        char head[48];

        if (p->type == HALL_DBP_I64)
            snprintf(head, sizeof(head), "i%lld;", (long long)p->i);
        else
            snprintf(head, sizeof(head), "%c%zu:", p->type == HALL_DBP_NULL ? 'n' : 's', n);
        hall_buf_add(b, head, strlen(head));
        if (n > 0)
            hall_buf_add(b, p->s, n);
    }
    *klen = b->len;
    return b->overflow ? NULL : b->data;
}

static unsigned
ref_hash(const char *k, size_t n)
{
    unsigned h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h % REF_BUCKETS;
}

struct hall_dbres *
hall_db_refv(struct hall_ctx *cx, const char *name, const struct hall_dbparam *params)
{
    struct hall_dbres *res;
    struct ref_entry *e;
    size_t klen;
    char *key;
    unsigned b;

    sent_drop(cx, name);
    if (cx->in_tx || db_ready(cx) != HALL_OK || cx->store->pg == NULL || !ref_usable(cx))
        return hall_db_execv(cx, name, params);
    key = ref_key(cx, name, params, &klen);
    if (key == NULL)
        return hall_db_execv(cx, name, params);
    b = ref_hash(key, klen);
    for (e = ref_tab[b]; e != NULL; e = e->next)
        if (e->klen == klen && memcmp(e->key, key, klen) == 0) {
            /* the copy's own result: nothing to clear with the request */
            res = hall_palloc(cx->pool, sizeof(*res));
            res->res = e->res;
            return res;
        }
    res = hall_db_execv(cx, name, params);
    if (res != NULL && ref_gen == conn_gen) {
        e = malloc(sizeof(*e) + klen);
        if (e != NULL) {
            e->res = PQcopyResult(res->res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
            if (e->res == NULL) {
                free(e);
            } else {
                e->klen = klen;
                memcpy(e->key, key, klen);
                e->next = ref_tab[b];
                ref_tab[b] = e;
                ref_count++;
            }
        }
    }
    return res;
}

struct hall_dbres *
hall_db_readv(struct hall_ctx *cx, const char *name, const struct hall_dbparam *params)
{
    const char *values[32];
    int lengths[32], formats[32];
    PGresult *r;
    int n;

    if (cx->in_tx || !replica_ready(cx->store))
        return hall_db_execv(cx, name, params);
    n = params_of(cx, params, values, lengths, formats);
    r = PQexecPrepared(cx->store->pg_replica, name, n, values, lengths, formats, 0);
    if (!failed(r))
        return wrap(cx, r);
    /* a replica that went away or lags into a conflict: the primary answers */
    hall_warn(cx, "msg=\"replica read failed; the primary answers\" stmt=%s sqlstate=%s", name,
              PQresultErrorField(r, PG_DIAG_SQLSTATE) ?: "08000");
    tell_failed();
    PQclear(r);
    return hall_db_execv(cx, name, params);
}

static int
simple(struct hall_ctx *cx, const char *sql)
{
    PGresult *r;
    int ok;

    sent_drop(cx, sql);
    if (cx->store->pg == NULL)
        return HALL_ERR;
    r = PQexec(cx->store->pg, sql);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        note_failure(cx, sql, r);
    PQclear(r);
    return ok ? HALL_OK : HALL_ERR;
}

/* BEGIN itself goes with the transaction's first statement (begin_with):
 * a transaction costs one round trip less, and one that sends nothing
 * costs none */
int
hall_db_begin(struct hall_ctx *cx)
{
    sent_drop(cx, "BEGIN");
    if (db_ready(cx) != HALL_OK || cx->store->pg == NULL)
        return HALL_ERR;
    cx->in_tx = 1;
    cx->begin_pending = 1;
    cx->commit_after_ms = 0;
    cx->after_commit = NULL;
    return HALL_OK;
}

void
hall_db_commit_after(struct hall_ctx *cx, int64_t at_ms)
{
    if (at_ms > cx->commit_after_ms)
        cx->commit_after_ms = at_ms;
}

static void
wait_until_ms(int64_t at)
{
    for (;;) {
        struct timespec now, ts;
        int64_t left;

        clock_gettime(CLOCK_MONOTONIC, &now);
        left = at - ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
        if (left <= 0)
            return;
        ts.tv_sec = (time_t)(left / 1000);
        ts.tv_nsec = (long)(left % 1000) * 1000000;
        nanosleep(&ts, NULL);
    }
}

int
hall_db_commit(struct hall_ctx *cx)
{
    void (*after)(struct hall_ctx *) = cx->after_commit;
    int rc;

    if (!cx->in_tx)
        return HALL_ERR;
    if (cx->commit_after_ms > 0)
        wait_until_ms(cx->commit_after_ms);
    cx->commit_after_ms = 0;
    cx->after_commit = NULL;
    cx->in_tx = 0;
    if (cx->begin_pending) {
        /* no statement: the server never saw the transaction */
        cx->begin_pending = 0;
        return HALL_OK;
    }
    rc = simple(cx, "COMMIT");
    if (rc != HALL_OK && PQstatus(cx->store->pg) == CONNECTION_BAD)
        fate_unknown(cx, "COMMIT");
    if (rc == HALL_OK && after != NULL)
        after(cx);
    return rc;
}

void
hall_db_rollback(struct hall_ctx *cx)
{
    cx->commit_after_ms = 0;
    cx->after_commit = NULL;
    if (!cx->in_tx)
        return;
    cx->in_tx = 0;
    if (cx->begin_pending) {
        cx->begin_pending = 0;
        return;
    }
    simple(cx, "ROLLBACK");
}

unsigned char *
hall_dbres_bytea(struct hall_ctx *cx, const struct hall_dbres *res, int row, int col, size_t *len)
{
    const char *v = hall_dbres_get(res, row, col);
    unsigned char *raw, *copy;
    size_t n;

    if (v == NULL)
        return NULL;
    raw = PQunescapeBytea((const unsigned char *)v, &n);
    if (raw == NULL)
        return NULL;
    copy = hall_palloc(cx->pool, n + 1);
    memcpy(copy, raw, n);
    copy[n] = 0;
    PQfreemem(raw);
    *len = n;
    return copy;
}

const char *
hall_db_sqlstate(const struct hall_ctx *cx)
{
    return cx->sqlstate;
}

int
hall_db_fate_unknown(const struct hall_ctx *cx)
{
    return cx->fate_unknown;
}

int
hall_db_outcome_known(const struct hall_ctx *cx)
{
    return !cx->fate_unknown && !cx->resent_readonly;
}

struct hall_val *
hall_dbres_pii_json(struct hall_ctx *cx, const struct hall_dbres *res, int row, int col)
{
    size_t len;
    unsigned char *enc = hall_dbres_bytea(cx, res, row, col, &len);
    char *plain, err[64];

    if (enc == NULL)
        return hall_val_obj(cx->pool);
    plain = hall_pii_decrypt(cx->pool, enc, len);
    if (plain == NULL)
        return NULL;
    return hall_val_parse(cx->pool, plain, strlen(plain), err, sizeof(err));
}

/* a partner's shared secret (link_secret_enc, hook_secret_enc,
 * partner_api_keys.secret_enc: sql/140_partner_secrets_enc.sql), decrypted
 * into the pool; NULL when the column is NULL or does not open */
char *
hall_dbres_secret(struct hall_ctx *cx, const struct hall_dbres *res, int row, const char *col)
{
    size_t len;
    int c = hall_dbres_col(res, col);
    unsigned char *enc = c >= 0 ? hall_dbres_bytea(cx, res, row, c, &len) : NULL;

    return enc != NULL ? hall_pii_decrypt(cx->pool, enc, len) : NULL;
}

/* the counters' writes (sms_send_counts, sign_try_counts): their owner is
 * this file (docs/architecture.md, "Who owns each table") */
int64_t
hall_send_count(struct hall_ctx *cx, const char *key)
{
    struct hall_dbres *res = hall_db_exec(cx, "sms_client_count", HALL_STR(key));

    if (res == NULL || hall_dbres_rows(res) != 1)
        return -1;
    return hall_dbres_int(res, 0, "n");
}

int64_t
hall_sign_try_count(struct hall_ctx *cx, const char *addr)
{
    struct hall_dbres *res;

    if (hall_db_exec(cx, "sign_try_prune") == NULL)
        return -1;
    res = hall_db_exec(cx, "sign_try_count", HALL_STR(addr));
    if (res == NULL || hall_dbres_rows(res) != 1)
        return -1;
    return hall_dbres_int(res, 0, "n");
}

int64_t
hall_session_purge(struct hall_ctx *cx)
{
    struct hall_dbres *res = hall_db_exec(cx, "session_purge");

    return res != NULL ? hall_dbres_int(res, 0, "n") : -1;
}

int
hall_tick_claim(struct hall_ctx *cx, const char *name, long period_s)
{
    struct hall_dbres *res = hall_db_exec(cx, "tick_claim", HALL_STR(name), HALL_I64(period_s));

    if (res == NULL)
        return -1;
    return hall_dbres_rows(res) > 0;
}

int64_t
hall_report_rollup(struct hall_ctx *cx)
{
    struct hall_dbres *res = hall_db_exec(cx, "report_rollup");

    return res != NULL ? hall_dbres_int(res, 0, "days") : -1;
}
