/*
 * core/store: the store of record.  One PostgreSQL connection per worker
 * (and the streaming replica's for late-tolerant reads), the statements
 * prepared on it, transactions, the reference rows each worker keeps, the
 * uploaded files encrypted at rest, the audit trail and the outbox's
 * enqueue side (a job is a row written in the caller's transaction).
 *
 * A piece of work — a request of core/web, a command of a tool, a job of
 * hall-outbox — reaches the store through its struct hall_ctx.  The store
 * uses core/base only; what it tells the layers above (a failed statement, a
 * reconnect) goes through the hooks they register (hall_store_watch).
 */
#ifndef HALL_STORE_H
#define HALL_STORE_H

#include "base/base.h"

/* a row was no longer in the state the caller expected (an order moved,
 * a certificate revoked meanwhile): the caller answers 409 */
#define HALL_CONFLICT (-2)

/* the worker's connections, owned by its program (core/web's struct hall_app) */
struct hall_store {
    const struct hall_conf *conf; /* db_conninfo, db_replica_conninfo, upload_dir ... */
    /* the statement tables prepared on every connection, NULL-terminated */
    const struct hall_stmt *const *tables;
    void *pg;         /* PGconn */
    void *pg_replica; /* PGconn to db_replica_conninfo, NULL when none or lost */
    int key_mismatch; /* the database was written with another PII key */
};

/* one piece of work against the store: its memory, its connection, its
 * transaction, and who asked (for the log and the audit trail) */
struct hall_ctx {
    struct hall_pool *pool;
    struct hall_store *store;
    const struct hall_conf *conf;
    const char *request_id;  /* NULL outside a request */
    const char *remote_addr; /* the client's address, NULL outside a request */
    int in_tx;
    /* hall_db_begin's BEGIN not sent yet: it goes with the transaction's
     * first statement, in one round trip (meaningful only with in_tx) */
    int begin_pending;
    int db_used;      /* a statement of this work reached the server */
    int ref_checked;  /* hall_db_ref looked for changes during this work */
    int idle_checked; /* db_ready asked whether the server closed the idle
                       * connection (once per piece of work) */
    int idle_quiet;   /* ... and found nothing to read on it */
    /* a write of this work may have been stored or not: its connection
     * broke after it was sent (hall_db_fate_unknown) */
    int fate_unknown;
    /* a self-committing statement of this work was answered by its run
     * again inside BEGIN READ ONLY (db.c, self_commit_again): the answer
     * is right, but what its first send did is not known (a write that
     * answers like a read before it writes: the state it checks first
     * may have been changed by the first send, or by another meanwhile) */
    int resent_readonly;
    /* the store failed this work: no connection, or a statement refused
     * (not a unique violation, which is an answer); what the core's finish
     * reads when a handler returns without an answer (core/web/app.c) */
    int store_failed;
    char sqlstate[6];
    /* hall_db_commit waits until this CLOCK_MONOTONIC time, in ms (0: no
     * wait); set by hall_db_commit_after, cleared at BEGIN, COMMIT, ROLLBACK */
    int64_t commit_after_ms;
    /* called once this work's transaction has committed (hall_db_commit),
     * dropped at BEGIN and ROLLBACK: what a commit must be followed by
     * outside the database (a revocation empties nginx's OCSP cache) */
    void (*after_commit)(struct hall_ctx *cx);
    /* the statement hall_db_send sent and hall_db_recv has not read yet */
    const char *sent;
};

/* what the layers above learn of the store's health (core/web's metrics):
 * each hook may be NULL; set once, before the workers start */
struct hall_store_hooks {
    void (*statement_failed)(void);
    void (*reconnected)(void);
};
void hall_store_watch(const struct hall_store_hooks *hooks);

/* connect (or reconnect) and prepare every table of s->tables; refuses
 * (HALL_ERR, s->key_mismatch set) a database whose PII key fingerprint is
 * not the loaded key's, and records the fingerprint in a database that has
 * none yet */
int hall_store_connect(struct hall_store *s);
/* at start-up, before any worker: HALL_OK when the database is for this
 * key or cannot be reached yet; HALL_ERR (logged) when it is not */
int hall_store_key_check(struct hall_store *s);

struct hall_stmt {
    const char *name;
    const char *sql;
    int nparams;
};

enum hall_dbp_type { HALL_DBP_END, HALL_DBP_NULL, HALL_DBP_STR, HALL_DBP_I64, HALL_DBP_BIN };

struct hall_dbparam {
    enum hall_dbp_type type;
    int64_t i;
    const char *s;
    size_t len;
};

#define HALL_STR(x) ((struct hall_dbparam){.type = HALL_DBP_STR, .s = (x)})
#define HALL_I64(x) ((struct hall_dbparam){.type = HALL_DBP_I64, .i = (x)})
#define HALL_BIN(p, n)                                                                             \
    ((struct hall_dbparam){.type = HALL_DBP_BIN, .s = (const char *)(p), .len = (n)})
#define HALL_NULLP ((struct hall_dbparam){.type = HALL_DBP_NULL})

struct hall_dbres;

/* the store's own statements (sessions, SMS codes, outbox, audit ...) */
extern const struct hall_stmt hall_store_stmts[];
/* the outbox's and the audit log's (outbox_audit.c, their owner) */
extern const struct hall_stmt hall_outbox_audit_stmts[];

/*
 * A read that may be answered a moment late: on the streaming replica of
 * db_replica_conninfo when one is configured (reports), else on the primary.
 * Never inside a transaction; a replica that cannot be reached is logged and
 * the primary answers.  The statement is one of the module's prepared ones.
 */
#define hall_db_read(cx, name, ...)                                                                \
    hall_db_readv((cx), (name),                                                                    \
                  (const struct hall_dbparam[]){__VA_ARGS__ __VA_OPT__(, ){.type = HALL_DBP_END}})
struct hall_dbres *hall_db_readv(struct hall_ctx *cx, const char *name,
                                 const struct hall_dbparam *params);
#define hall_db_exec(cx, name, ...)                                                                \
    hall_db_execv((cx), (name),                                                                    \
                  (const struct hall_dbparam[]){__VA_ARGS__ __VA_OPT__(, ){.type = HALL_DBP_END}})

struct hall_dbres *hall_db_execv(struct hall_ctx *cx, const char *name,
                                 const struct hall_dbparam *params);
/*
 * As hall_db_exec, for a self-committing write that is idempotent by
 * construction: it carries a key of the request's that the database checks
 * (a second run with the same key finds what the first stored and writes
 * nothing).  Only such a write is sent again, on a new connection, when
 * its connection broke after it was sent (db.c's top comment); any other
 * write answers NULL then, its fate unknown (hall_db_fate_unknown).
 */
#define hall_db_exec_keyed(cx, name, ...)                                                          \
    hall_db_execv_keyed(                                                                           \
        (cx), (name),                                                                              \
        (const struct hall_dbparam[]){__VA_ARGS__ __VA_OPT__(, ){.type = HALL_DBP_END}})
struct hall_dbres *hall_db_execv_keyed(struct hall_ctx *cx, const char *name,
                                       const struct hall_dbparam *params);
/*
 * A statement sent now and its answer read later (hall_db_recv), the work
 * doing something else meanwhile (reading the rest of a request's body):
 * the server's part of the round trip leaves the caller's path.  Outside a
 * transaction, one at a time; HALL_ERR when it could not be sent (then
 * hall_db_exec it).  Any other statement of the work reads and drops an
 * answer still unread first (logged: a caller's mistake), and so does the
 * end of the work (its pool), before the connection serves anything else.
 */
#define hall_db_send(cx, name, ...)                                                                \
    hall_db_sendv((cx), (name),                                                                    \
                  (const struct hall_dbparam[]){__VA_ARGS__ __VA_OPT__(, ){.type = HALL_DBP_END}})
int hall_db_sendv(struct hall_ctx *cx, const char *name, const struct hall_dbparam *params);
/* the answer of the statement hall_db_send sent, as hall_db_exec gives it
 * (NULL on failure, SQLSTATE noted); NULL too when none was sent */
struct hall_dbres *hall_db_recv(struct hall_ctx *cx);
/*
 * A read of reference rows (partners, products, divisions, banks) that the
 * worker keeps: answered from its copy when it has one, and the copy
 * dropped whenever sql/032_ref_notify.sql notifies "hall_ref" (any change
 * of those tables, by anyone), on a new connection, and when it holds too
 * much.  A request sees one version throughout.  Inside a transaction, or
 * in a module that LISTENs for something else, use hall_db_exec.
 */
#define hall_db_ref(cx, name, ...)                                                                 \
    hall_db_refv((cx), (name),                                                                     \
                 (const struct hall_dbparam[]){__VA_ARGS__ __VA_OPT__(, ){.type = HALL_DBP_END}})
struct hall_dbres *hall_db_refv(struct hall_ctx *cx, const char *name,
                                const struct hall_dbparam *params);
int hall_db_begin(struct hall_ctx *cx);
/* the transaction's COMMIT (hall_db_commit) waits until at_ms
 * (CLOCK_MONOTONIC, ms) at the earliest: the latest of all such times asked
 * in it.  Several waits a transaction needs (each revocation's OCSP hold)
 * then overlap instead of adding up */
void hall_db_commit_after(struct hall_ctx *cx, int64_t at_ms);
int hall_db_commit(struct hall_ctx *cx);
void hall_db_rollback(struct hall_ctx *cx);
int hall_dbres_rows(const struct hall_dbres *res);
const char *hall_dbres_get(const struct hall_dbres *res, int row, int col);
int hall_dbres_isnull(const struct hall_dbres *res, int row, int col);
int64_t hall_dbres_i64(const struct hall_dbres *res, int row, int col);
/* by column name (the SELECT's names or aliases): the column's index, -1
 * when there is none (logged: a statement and its reader disagree) */
int hall_dbres_col(const struct hall_dbres *res, const char *name);
/* NULL for SQL NULL or an unknown column */
const char *hall_dbres_str(const struct hall_dbres *res, int row, const char *name);
int64_t hall_dbres_int(const struct hall_dbres *res, int row, const char *name);
/* a boolean column: 1 for 't' */
int hall_dbres_bool(const struct hall_dbres *res, int row, const char *name);
/*
 * Row to JSON: sets on obj one member per name of cols, a space-separated
 * list of "key[=column][:type]" — the column (the key when none) of row,
 * as a string (SQL NULL: null), ":i" an integer (NULL: 0), ":b" a boolean
 * ('t'), ":n" a string left out when NULL.  E.g.
 * "order_no partner=partner_name has_medium:b amount_fen:i".  Instead of a
 * hall_val_set_* (…, hall_dbres_* (res, i, "k")) line per member.
 */
void hall_dbres_set(struct hall_pool *pool, struct hall_val *obj, const struct hall_dbres *res,
                    int row, const char *cols);
/*
 * The same list compiled once for a result of many rows: the spec parsed
 * and each column looked up by name here, so that hall_dbres_put sets a
 * row's members by index (O(columns), no name lookup or parsing per row).
 * An unknown column is logged once and reads as SQL NULL, as for
 * hall_dbres_str; a malformed spec aborts (the caller's literal).
 */
struct hall_dbcols;
struct hall_dbcols *hall_dbres_cols(struct hall_pool *pool, const struct hall_dbres *res,
                                    const char *cols);
/* appends row's members to obj (hall_val_add_*: each key must be new in
 * obj); a string is the result's own bytes when pool is the result's, a
 * copy otherwise.  c comes from this pool (its keys are kept, not copied) */
void hall_dbres_put(struct hall_pool *pool, struct hall_val *obj, const struct hall_dbres *res,
                    int row, const struct hall_dbcols *c);
/* decodes a bytea column; NULL for SQL NULL */
unsigned char *hall_dbres_bytea(struct hall_ctx *cx, const struct hall_dbres *res, int row, int col,
                                size_t *len);
/* SQLSTATE of the last failed statement of this request, "" when none */
const char *hall_db_sqlstate(const struct hall_ctx *cx);
/* 1 when the connection broke with a write of this request's in flight
 * (a self-committing statement that could not be sent again, or COMMIT):
 * it may have been stored or not (SQLSTATE 08007) */
int hall_db_fate_unknown(const struct hall_ctx *cx);
/* 1 when the hall knows of every write of this work whether it was
 * committed: none was in flight when its connection broke
 * (hall_db_fate_unknown), and no statement was answered by its read-only
 * retry (resent_readonly) */
int hall_db_outcome_known(const struct hall_ctx *cx);

/* ---- outbox_audit.c ----------------------------------------------------- */

/*
 * The outbox's other writes (outbox_audit.c owns the table), each a
 * statement in the caller's transaction:
 *   retry         a dead job pending again, its attempts from 0 (the
 *                 console); RETURNING kind, idem_key, no row when not dead
 *   done          a job delivered (hall-outbox), the provider's result as
 *                 JSON (NULL none)
 *   failed        a failed attempt, the job dead at max_attempts, retried
 *                 after a backoff or after after_s (> 0: the provider's
 *                 limit); RETURNING status
 *   lane_release  the lane's jobs waiting out a backoff go now (lanes: the
 *                 providers' lanes, "{sms,bank,pay}", for "other")
 *   sms_try       one more call begun for an SMS job (outbox_sms_tries, on
 *                 a connection that commits at once): the count, -1
 *   probe_claim   a lane whose jobs all wait out a backoff, not probed for
 *                 probe_s: the soonest of them (job_claim's columns; no row:
 *                 no probe now), the lane's probe clock set (sql/142)
 *   probe_failed  a probe's failure: last_error only, no attempt counted
 *   partner_release  a partner's webhooks waiting out a backoff go now
 *   hook_failed   a webhook's next try on the published schedule
 *                 (partner_hook_delays), dead after the last: its status
 *   sms_tries_done  the job's count dropped once it is done
 *   pins_scrub    the payloads that carried a medium's PIN emptied once
 *                 sent (serial: that medium's PIN SMS and memo deposits;
 *                 NULL: every PIN SMS sent, a batch)
 */
struct hall_dbres *hall_outbox_retry(struct hall_ctx *cx, int64_t id);
int hall_outbox_done(struct hall_ctx *cx, int64_t id, const char *result);
struct hall_dbres *hall_outbox_failed(struct hall_ctx *cx, int64_t id, const char *error,
                                      long max_attempts, long after_s);
int hall_outbox_lane_release(struct hall_ctx *cx, const char *lane, const char *lanes);
struct hall_dbres *hall_outbox_probe_claim(struct hall_ctx *cx, const char *lane, const char *lanes,
                                           long probe_s);
int hall_outbox_probe_failed(struct hall_ctx *cx, int64_t id, const char *error);
int hall_outbox_partner_release(struct hall_ctx *cx, const char *partner);
struct hall_dbres *hall_outbox_hook_failed(struct hall_ctx *cx, int64_t id, const char *error);
long hall_outbox_sms_try(struct hall_ctx *cx, int64_t id);
int hall_outbox_sms_tries_done(struct hall_ctx *cx, int64_t id);
int hall_outbox_pins_scrub(struct hall_ctx *cx, const char *serial);
/* inside the caller's transaction; payload is encrypted at rest */
int hall_outbox_push(struct hall_ctx *cx, const char *kind, const char *idem_key,
                     const struct hall_val *payload);
/* ---- sms_tpl.c: the SMS the hall sends, each a template (sms_tpl.def) ---- */

enum hall_sms_kind {
#define HALL_SMS(kind, code, text) HALL_SMST_##kind,
#include "store/sms_tpl.def"
#undef HALL_SMS
    HALL_SMST__COUNT
};

struct hall_sms_tpl {
    const char *kind; /* "shipped": the outbox payload's "kind" */
    const char *code; /* the sandbox's TemplateCode */
    const char *text; /* the template, without the signature */
};

/* the table, in the order of enum hall_sms_kind, then {NULL} */
extern const struct hall_sms_tpl hall_sms_tpls[];
/* the template of a kind's name, NULL when there is none */
const struct hall_sms_tpl *hall_sms_tpl_get(const char *kind);
/* the template's parameter names in order of appearance, NULL-terminated */
const char **hall_sms_tpl_params(struct hall_pool *pool, const struct hall_sms_tpl *t);
#ifdef HALL_UNITTEST
/* the text the phone shows: 【sign】 and the template with params put in;
 * NULL when a parameter is missing (the provider renders it: tests compare) */
char *hall_sms_render(struct hall_pool *pool, const struct hall_sms_tpl *t,
                      const struct hall_val *params, const char *sign);
#endif
/*
 * Queues the SMS of kind to phone in the caller's transaction (outbox job
 * "sms", key idem_key), with the template's parameters as name, value pairs
 * ended by NULL: exactly the template's names, each non-empty, or HALL_ERR
 * (logged) and nothing is queued.  partner (NULL: none) chooses the SMS
 * account and signature at delivery (partners.sms_account, sms_sign).
 */
int hall_sms_queue(struct hall_ctx *cx, const char *idem_key, const char *phone,
                   const char *partner, enum hall_sms_kind kind, ...);
/* the same with the parameters as an object of strings */
int hall_sms_queue_params(struct hall_ctx *cx, const char *idem_key, const char *phone,
                          const char *partner, enum hall_sms_kind kind,
                          const struct hall_val *params);

int hall_audit(struct hall_ctx *cx, const char *actor, const char *entity, const char *entity_id,
               const char *action, const char *from_state, const char *to_state,
               const struct hall_val *detail);

/* an encrypted JSON column (orders.form_enc ...): an empty object for SQL
 * NULL, NULL when it cannot be decrypted or parsed */
/*
 * The per-client counters, inside the caller's transaction (the row stays
 * locked until it ends, so parallel requests of one client count one after
 * another; a rollback uncounts):
 *   send_count      one more send for key this clock hour (sms_send_counts:
 *                   the SMS codes' limits, a seal holder's codes)
 *   sign_try_count  one more 免费体验 stamp for addr this Beijing day
 *                   (sign_try_counts), days before yesterday pruned first
 * The count with this one; -1 on database failure.
 */
int64_t hall_send_count(struct hall_ctx *cx, const char *key);
/*
 * The store's other writes asked by programs:
 *   session_purge  the applicants' sessions long expired, a batch
 *                  (hall-outbox): how many went, -1 on failure
 *   tick_claim     hall-outbox's periodic work `name`, once per period_s
 *                  across hosts (hall_ticks): 1 claimed, 0 not due, -1
 */
int64_t hall_session_purge(struct hall_ctx *cx);
int hall_tick_claim(struct hall_ctx *cx, const char *name, long period_s);
/* the reports' daily roll-up (report_rollup_refresh, sql/024: the report
 * tables' only writer), one transaction: the days rolled up, -1 */
int64_t hall_report_rollup(struct hall_ctx *cx);
int64_t hall_sign_try_count(struct hall_ctx *cx, const char *addr);
struct hall_val *hall_dbres_pii_json(struct hall_ctx *cx, const struct hall_dbres *res, int row,
                                     int col);
/* a partner's secret kept encrypted under the PII key (column col), in
 * clear in the pool; NULL when NULL or unreadable */
char *hall_dbres_secret(struct hall_ctx *cx, const struct hall_dbres *res, int row,
                        const char *col);

/* ---- file.c: uploaded materials, encrypted at rest ------------------------ */

/* a file as it arrived: core/web's multipart parser fills it, encrypting the
 * content while it streams in; the store keeps it */
#define HALL_UPLOAD_HEAD 64
struct hall_upload {
    const char *field;
    const char *filename; /* as the client sent it; never used as a path */
    const char *ctype;    /* as the client sent it; never trusted */
    unsigned char *data;  /* the content, in the worker's arena until the next request */
    size_t size;
    /* bytes of the content in data (NUL after them): size, or at most
     * HALL_UPLOAD_HEAD with hall_mp_limits.head_only (HALL_R_ENCRYPTED routes) */
    size_t plain_len;
    /* with hall_mp_limits.enc: the content as hall_pii_encrypt would encrypt it,
     * and its SHA-256, both computed while it streamed in */
    unsigned char *enc;
    size_t enc_len;
    unsigned char sha256[32];
    struct hall_upload *next;
};

struct hall_stored {
    const char *name; /* random name of its object (objstore.c) */
    const char *mime; /* decided by content */
    size_t size;
    unsigned char sha256[32];
};

/* "image/jpeg", "image/gif", "image/bmp", "image/png", "application/pdf", or NULL */
const char *hall_file_sniff(const unsigned char *p, size_t n);
const char *hall_file_ext(const char *mime);
/* jpg, bmp, gif, pdf: what the application materials may be */
extern const char *const hall_file_materials[];
/* checks (size, type by content among allow, named to the user as
 * allow_text) and stores an upload; 0, or an HTTP status with *err */
int hall_file_store(struct hall_ctx *cx, const struct hall_upload *up, const char *const *allow,
                    const char *allow_text, struct hall_stored *out, const char **err);
/* removes a stored file whose database row the hall knows was not
 * committed (the failure came before COMMIT, or the server refused or
 * rolled it back); keeps it, logged, when the commit's outcome is unknown
 * (hall_db_outcome_known): the orphan sweep (hall_file_orphans) removes it
 * later only if no row names it.  Every path that writes a file and its
 * row calls this, and only this, when the row did not commit */
void hall_file_discard(struct hall_ctx *cx, const char *name);
/* removes a stored file whose row a committed transaction marked removed,
 * in a thread of the worker: the caller goes on at once (file.c) */
void hall_file_discard_later(struct hall_ctx *cx, const char *name);
/* unlinks at once what hall_file_discard_later queued and no thread removed
 * yet: a worker's last act before it exits; async-signal-safe */
void hall_file_discard_drain(void);
/* waits, after the worker's last request, for what hall_file_discard_later
 * queued (at most a few seconds: the object store's deletes); not for a
 * signal handler (hall_file_discard_drain is) */
void hall_file_discard_flush(void);
/* the decrypted content; NULL when missing, tampered or unreachable, with
 * why not in *status: 0 read, 404 no such object, 422 the
 * object fails its GCM tag (or is longer than any the hall writes), 503
 * the store unreachable or refusing, 504 the store too slow */
unsigned char *hall_file_read(struct hall_ctx *cx, const char *name, size_t *len, int *status);
/*
 * Objects no row names (order_files.stored_name: the materials and the
 * transfer vouchers, replaced and removed rows included) that are older
 * than older_s seconds: each is handed to each() with rc -1 (listed), or,
 * with remove, after its DELETE with rc 0 (removed) or the HTTP status
 * that refused it.  An object younger than older_s is never touched: an
 * upload in flight has its object before its row commits.  HALL_OK, or
 * HALL_ERR when the store could not be listed or the database read
 * (logged): what was handed to each() before stands.
 */
struct hall_obj_info; /* objstore.c, below */
int hall_file_orphans(struct hall_ctx *cx, long older_s, int remove,
                      void (*each)(void *ud, const struct hall_obj_info *o, int rc), void *ud);

/* ---- objstore.c: where the files kept outside PostgreSQL live ------------- */

/* objstore = s3 (a bucket behind the S3 API), else local (upload_dir) */
int hall_obj_s3(const struct hall_conf *conf);
/* a name the hall may store under: 1-128 of [A-Za-z0-9_-], no leading dot */
int hall_obj_name_ok(const char *name);
/* the driver can work (the S3 secret key read); before the first use */
int hall_obj_ready(const struct hall_conf *conf);
/* each returns 0 or an HTTP status for the caller to answer with: 404 no
 * such object, 422 an object longer than max, 503 the store unreachable or
 * refusing, 504 the store did not answer in time (the work's provider
 * deadline, core/web/provider.c, bounds every call made during a request).
 * put: durable in the store on 0 (fsync()ed, or a PUT answered 200) */
int hall_obj_put(struct hall_ctx *cx, const char *name, const unsigned char *p, size_t n);
/* the object's bytes, in cx's pool, at most max of them */
int hall_obj_get(struct hall_ctx *cx, const char *name, size_t max, unsigned char **data,
                 size_t *len);
int hall_obj_head(struct hall_ctx *cx, const char *name, size_t *len);
/* 0 also when there was no such object */
int hall_obj_delete(struct hall_ctx *cx, const char *name);
/* an S3 DELETE on a handle of the caller's own (*handle: NULL at first),
 * outside any work's guard: file.c's discard thread; HALL_OK or HALL_ERR */
int hall_obj_delete_detached(const struct hall_conf *conf, void **handle, const char *name);
/* s3: creates the bucket (HALL_OK also when it is ours already) */
int hall_obj_bucket_create(struct hall_ctx *cx);
/* s3: up to 1000 object names after `after` (NULL: from the first), in
 * cx's pool, NULL-terminated; *more when the bucket holds further ones */
int hall_obj_list(struct hall_ctx *cx, const char *after, const char ***names, int *n, int *more);
/* an object as the store lists it: age_s since it was written (the
 * file's mtime; S3's LastModified, by this host's clock) */
struct hall_obj_info {
    const char *name;
    int64_t size;
    int64_t age_s;
};
/* the store's objects of the hall's names, a page at a time, in cx's
 * pool: token NULL for the first page, then the *next of the one before;
 * *next NULL after the last (local: one page, the whole upload_dir; s3:
 * ListObjectsV2, up to 1000 a page).  HALL_OK or HALL_ERR (logged) */
int hall_obj_scan(struct hall_ctx *cx, const char *token, const char **next,
                  struct hall_obj_info **objs, int *n);

#endif
