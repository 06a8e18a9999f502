/*
 * libhall: the core every FastCGI module of the service hall links.
 *
 * One header for the whole public API; the implementation is split by
 * subsystem (pool.c, req.c, resp.c, db.c, ...), each file owning the
 * hall_<noun>_* functions of its name.  docs/internals/ has a page per API.
 */
#ifndef HALL_H
#define HALL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/types.h>

#define HALL_OK  0
#define HALL_ERR (-1)

#ifdef HALL_UNITTEST
#define HALL_TESTABLE
#else
#define HALL_TESTABLE static
#endif

#define HALL_PRINTF(a, b) __attribute__((format(printf, a, b)))

struct hall_app;
struct hall_req;

/* ---- pool.c: one memory pool per request ------------------------------ */

struct hall_pool;

struct hall_pool *hall_pool_create(size_t block_size);
void hall_pool_destroy(struct hall_pool *pool);
void *hall_palloc(struct hall_pool *pool, size_t size);
void *hall_pcalloc(struct hall_pool *pool, size_t size);
char *hall_pstrdup(struct hall_pool *pool, const char *s);
char *hall_pstrndup(struct hall_pool *pool, const char *s, size_t n);
char *hall_psprintf(struct hall_pool *pool, const char *fmt, ...) HALL_PRINTF(2, 3);
char *hall_pvsprintf(struct hall_pool *pool, const char *fmt, va_list ap);
/* cleanups run in reverse order of registration when the pool dies */
void hall_pool_cleanup(struct hall_pool *pool, void (*fn)(void *), void *data);
size_t hall_pool_used(const struct hall_pool *pool);

/* ---- buf.c: growable buffers with a hard maximum ---------------------- */

struct hall_buf {
    char *data; /* always NUL-terminated when len > 0 or after init */
    size_t len;
    size_t cap;
    size_t max;
    int overflow; /* an add was refused since init: the content is cut */
};

void hall_buf_init(struct hall_buf *b, size_t max);
void hall_buf_free(struct hall_buf *b);
void hall_buf_reset(struct hall_buf *b);
/* HALL_ERR when the result would exceed max; b is unchanged then */
int hall_buf_add(struct hall_buf *b, const void *p, size_t n);
int hall_buf_addstr(struct hall_buf *b, const char *s);
int hall_buf_printf(struct hall_buf *b, const char *fmt, ...) HALL_PRINTF(2, 3);
/* register b's memory with a pool so it dies with it; b itself must live
 * at least as long as the pool (a member of a pool-allocated struct) */
void hall_buf_pool(struct hall_buf *b, struct hall_pool *pool);
/* a buffer whose struct and memory both belong to the pool */
struct hall_buf *hall_buf_new(struct hall_pool *pool, size_t max);

/* ---- time: the hall's calendar is Beijing's --------------------------- */

/* Every date the hall shows, prints, counts or signs for people is Beijing
 * time (Asia/Shanghai: UTC+8, no daylight saving since 1991), whatever the
 * server's time zone.  The database sessions take HALL_TIME_ZONE (db.c);
 * C code adds HALL_BEIJING_OFFSET_S to a time_t and formats it with
 * gmtime_r (no localtime, no TZ, no tzdata).  docs/operations.md, "Time zone". */
#define HALL_TIME_ZONE        "Asia/Shanghai"
#define HALL_BEIJING_OFFSET_S (8 * 3600)

/* ---- log.c ------------------------------------------------------------- */

enum hall_log_level { HALL_LOG_ERR, HALL_LOG_WARN, HALL_LOG_INFO, HALL_LOG_DEBUG };

void hall_log_init(const char *module, enum hall_log_level level);
/* the level a log_level option names (info when unknown) */
enum hall_log_level hall_log_level_of(const char *name);
void hall_log(enum hall_log_level level, const char *reqid, const char *fmt, ...) HALL_PRINTF(3, 4);
#define hall_err(req, ...)  hall_log(HALL_LOG_ERR, hall_req_id(req), __VA_ARGS__)
#define hall_warn(req, ...) hall_log(HALL_LOG_WARN, hall_req_id(req), __VA_ARGS__)
#define hall_info(req, ...) hall_log(HALL_LOG_INFO, hall_req_id(req), __VA_ARGS__)

/* ---- conf.c: every option declared once ------------------------------- */

struct hall_conf {
    char *db_conninfo;
    char *db_replica_conninfo;
    char *key_file;
    char *template_dir;
    char *static_dir;
    char *upload_dir;
    char *tmp_dir;
    char *sandbox_url;
    char *public_url;
    char *log_level;
    char *pay_secret_file;
    long workers;
    long max_requests;
    long session_idle_s;
    long session_absolute_s;
    long cookie_secure;
    long upload_max_bytes;
    long body_max_bytes;
    long http_connect_ms;
    long http_total_ms;
    long provider_deadline_ms;
    long provider_max_calls;
    long login_max_failures;
    long login_lock_s;
    long sms_code_ttl_s;
    long sms_code_interval_s;
    long sms_code_daily_max;
    long sms_code_max_tries;
    long outbox_lane_workers;
    long outbox_max_attempts;
    long outbox_poll_ms;
    long pay_callback_max_age_s;
    long draft_daily_max;
    long upload_daily_max;
    long finauth_max_tries;
    long sms_ip_hourly_max;
    long sms_session_hourly_max;
    char *pki_dir;
};

struct hall_conf_opt {
    const char *name;
    int type; /* 's' string, 'i' integer */
    long min, max;
    const char *def;
    size_t off;
    const char *doc;
};

extern const struct hall_conf_opt hall_conf_opts[];

/* on error *errmsg names the option (static storage) */
int hall_conf_load(struct hall_conf *conf, const char *path, const char **errmsg);
void hall_conf_free(struct hall_conf *conf);

/* ---- val.c: a small value tree, rendered as JSON or through templates -- */

enum hall_val_type { HALL_V_NULL, HALL_V_STR, HALL_V_INT, HALL_V_BOOL, HALL_V_LIST, HALL_V_OBJ };

struct hall_val {
    enum hall_val_type type;
    const char *key; /* member name inside an object */
    const char *str;
    int64_t i;
    struct hall_val *first, *last; /* children of list/object */
    struct hall_val *next;
};

struct hall_val *hall_val_obj(struct hall_pool *pool);
struct hall_val *hall_val_set_str(struct hall_pool *p, struct hall_val *obj, const char *k,
                                  const char *v);
struct hall_val *hall_val_set_fmt(struct hall_pool *p, struct hall_val *obj, const char *k,
                                  const char *fmt, ...) HALL_PRINTF(4, 5);
struct hall_val *hall_val_set_int(struct hall_pool *p, struct hall_val *obj, const char *k,
                                  int64_t v);
struct hall_val *hall_val_set_bool(struct hall_pool *p, struct hall_val *obj, const char *k, int v);
struct hall_val *hall_val_set_obj(struct hall_pool *p, struct hall_val *obj, const char *k);
struct hall_val *hall_val_set_list(struct hall_pool *p, struct hall_val *obj, const char *k);
struct hall_val *hall_val_push_obj(struct hall_pool *p, struct hall_val *list);
struct hall_val *hall_val_push_str(struct hall_pool *p, struct hall_val *list, const char *v);
const struct hall_val *hall_val_get(const struct hall_val *obj, const char *key);
/* serialise with yajl_gen; NULL on failure */
char *hall_val_json(struct hall_pool *pool, const struct hall_val *v, size_t *len);
/* parse JSON text (yajl_tree) into a pool-owned tree; NULL on malformed input */
struct hall_val *hall_val_parse(struct hall_pool *pool, const char *text, size_t len, char *err,
                                size_t errlen);

/* ---- tmpl.c: mustache-like HTML templates ------------------------------
 * {{name}} escaped, {{{name}}} raw, {{a.b}} dotted, {{#x}}..{{/x}} for
 * lists / truthy values, {{^x}}..{{/x}} when falsy, {{>partial}} includes.
 * Templates are files under template_dir, compiled once at start-up. */

struct hall_tmpl_set;

struct hall_tmpl_set *hall_tmpl_load(const char *dir, char *err, size_t errlen);
void hall_tmpl_free(struct hall_tmpl_set *set);
int hall_tmpl_render(const struct hall_tmpl_set *set, const char *name, const struct hall_val *ctx,
                     struct hall_buf *out);
void hall_html_escape(struct hall_buf *out, const char *s);

/* ---- crypto.c: PII at rest, tokens, passwords --------------------------- */

int hall_crypto_init(const char *key_file, char *err, size_t errlen);
/* the loaded PII key's fingerprint, 64 hex characters (never the key) */
int hall_crypto_fingerprint(char out[65]);
int hall_rand_bytes(void *buf, size_t n);
/* AES-256-GCM; output is version(1) | nonce(12) | ciphertext | tag(16) */
#define HALL_PII_OVERHEAD (1 + 12 + 16)
unsigned char *hall_pii_encrypt(struct hall_pool *pool, const char *plain, size_t len,
                                size_t *outlen);
char *hall_pii_decrypt(struct hall_pool *pool, const unsigned char *enc, size_t len);
/* hall_pii_encrypt piece by piece, with the SHA-256 of the plaintext: the
 * sealed form is head, the pieces' output in order, tag */
#define HALL_SEAL_HEAD 13
#define HALL_SEAL_TAG  16
struct hall_seal;
struct hall_seal *hall_seal_begin(struct hall_pool *pool, unsigned char head[HALL_SEAL_HEAD]);
/* encrypts n bytes of in to n bytes at out, and hashes them */
void hall_seal_add(struct hall_seal *s, const void *in, size_t n, unsigned char *out);
void hall_seal_end(struct hall_seal *s, unsigned char tag[HALL_SEAL_TAG], unsigned char sha256[32]);
/* HMAC-SHA256 blind index over "kind:" value, 32 bytes */
void hall_pii_index(const char *kind, const char *value, unsigned char out[32]);
void hall_sha256(const void *p, size_t n, unsigned char out[32]);
void hall_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
                      unsigned char out[32]);
/* keyed with the installation's secret (distinct from the PII keys) */
void hall_mac(const char *purpose, const void *p, size_t n, unsigned char out[32]);
int hall_ct_equal(const void *a, const void *b, size_t n);
char *hall_hex(struct hall_pool *pool, const unsigned char *p, size_t n);
/* a hexadecimal digit's value, -1 for any other character */
int hall_hexval(int c);
/* exactly 2n hexadecimal digits (either case) of s into n bytes; HALL_ERR otherwise */
int hall_unhex(const char *s, unsigned char *out, size_t n);
char *hall_b64url(struct hall_pool *pool, const unsigned char *p, size_t n);
/* Argon2id (19 MiB, t=2, p=1), encoded "$argon2id$v=19$m=19456,t=2,p=1$salt$hash";
 * verify also accepts the older "pbkdf2-sha256$iter$salt$hash" */
char *hall_password_hash(struct hall_pool *pool, const char *password);
int hall_password_verify(const char *encoded, const char *password);
/* 1 when a verified hash should be replaced by hall_password_hash's (older
 * scheme or parameters), else 0 */
int hall_password_needs_rehash(const char *encoded);
/* uniform random integer in [0, bound) */
uint32_t hall_rand_below(uint32_t bound);

/* ---- db.c: one PostgreSQL connection per worker ------------------------ */

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

/*
 * A read that may be answered a moment late: on the streaming replica of
 * db_replica_conninfo when one is configured (reports), else on the primary.
 * Never inside a transaction; a replica that cannot be reached is logged and
 * the primary answers.  The statement is one of the module's prepared ones.
 */
#define hall_db_read(req, name, ...)                                                               \
    hall_db_readv((req), (name),                                                                   \
                  (const struct hall_dbparam[]){__VA_ARGS__ __VA_OPT__(, ){.type = HALL_DBP_END}})
struct hall_dbres *hall_db_readv(struct hall_req *req, const char *name,
                                 const struct hall_dbparam *params);
#define hall_db_exec(req, name, ...)                                                               \
    hall_db_execv((req), (name),                                                                   \
                  (const struct hall_dbparam[]){__VA_ARGS__ __VA_OPT__(, ){.type = HALL_DBP_END}})

struct hall_dbres *hall_db_execv(struct hall_req *req, const char *name,
                                 const struct hall_dbparam *params);
/*
 * A read of reference rows (partners, products, divisions, banks) that the
 * worker keeps: answered from its copy when it has one, and the copy
 * dropped whenever sql/032_ref_notify.sql notifies "hall_ref" (any change
 * of those tables, by anyone), on a new connection, and when it holds too
 * much.  A request sees one version throughout.  Inside a transaction, or
 * in a module that LISTENs for something else, use hall_db_exec.
 */
#define hall_db_ref(req, name, ...)                                                                \
    hall_db_refv((req), (name),                                                                    \
                 (const struct hall_dbparam[]){__VA_ARGS__ __VA_OPT__(, ){.type = HALL_DBP_END}})
struct hall_dbres *hall_db_refv(struct hall_req *req, const char *name,
                                const struct hall_dbparam *params);
int hall_db_begin(struct hall_req *req);
int hall_db_commit(struct hall_req *req);
void hall_db_rollback(struct hall_req *req);
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
/* decodes a bytea column; NULL for SQL NULL */
unsigned char *hall_dbres_bytea(struct hall_req *req, const struct hall_dbres *res, int row,
                                int col, size_t *len);
/* SQLSTATE of the last failed statement of this request, "" when none */
const char *hall_db_sqlstate(const struct hall_req *req);

/* ---- req.c: FastCGI request parsing ---------------------------------- */

struct hall_param {
    const char *name;
    const char *value;
    size_t len;
    struct hall_param *next;
};

struct hall_upload {
    const char *field;
    const char *filename; /* as the client sent it; never used as a path */
    const char *ctype;    /* as the client sent it; never trusted */
    unsigned char *data;  /* the content, in the worker's arena until the next request */
    size_t size;
    /* with hall_mp_limits.seal: the content as hall_pii_encrypt would seal it,
     * and its SHA-256, both computed while it streamed in */
    unsigned char *sealed;
    size_t sealed_len;
    unsigned char sha256[32];
    struct hall_upload *next;
};

/* a route's declared parameter, checked before the handler runs */
enum hall_ptype {
    HALL_P_TEXT,     /* trimmed, 1..max characters, no control characters */
    HALL_P_INT,      /* decimal, within min..max */
    HALL_P_MOBILE,   /* mainland mobile, normalised to 11 digits */
    HALL_P_SMSCODE,  /* 6 digits */
    HALL_P_PASSWORD, /* 8..64 bytes, letters and digits */
    HALL_P_CHOICE,   /* one of choices[] */
    /* the form fields' kinds (core/catalog.def), same registry */
    HALL_P_PERSON, /* 姓名 */
    HALL_P_ORG,    /* 机构名称 */
    HALL_P_USCC,   /* 统一社会信用代码 (early Fujian codes: accepted with a note) */
    HALL_P_RIC,    /* 居民身份证号, normalised */
    HALL_P_EMAIL,
    HALL_P_POSTCODE,
    HALL_P_ACCOUNT, /* 对公账号, digits only */
    HALL_P_BRANCH,  /* 开户网点: Chinese, 4..60 characters */
    HALL_P_TAXID,   /* 纳税人识别号 (early Fujian codes: accepted with a note) */
    HALL_P_CODE,    /* an id or code the handler checks against the database */
};

#define HALL_PF_OPTIONAL 1u
#define HALL_PF_PLAIN    2u /* text without markup, tabs or line breaks */

struct hall_pspec {
    const char *name;
    enum hall_ptype type;
    unsigned flags;
    long min, max;     /* length for text, value for int */
    const char *label; /* Chinese field name used in messages */
    const char *const *choices;
};

/*
 * The ONE validator registry (core/validate.c) of route parameters and
 * form fields alike: checks raw against spec.  HALL_OK with *out the
 * trimmed, normalised value ("" for an empty optional one) and *note a
 * reviewer's note or NULL; HALL_ERR with *msg naming the field.
 */
int hall_param_check(struct hall_pool *pool, const struct hall_pspec *spec, const char *raw,
                     const char **out, const char **note, const char **msg);

/* every field error of one submit, answered together (hall_resp_errors) */
struct hall_ferr {
    const char *field, *message;
    struct hall_ferr *next;
};
struct hall_errors {
    struct hall_ferr *first, *last;
    int n;
    int status; /* of the first error */
};
/* adds field's error, unless field already has one */
void hall_errors_add(struct hall_pool *pool, struct hall_errors *e, int status, const char *field,
                     const char *message);
/* whether field has an error in e */
int hall_errors_has(const struct hall_errors *e, const char *field);
/* forgets field's error (a value the hall replaced after the check) */
void hall_errors_drop(struct hall_errors *e, const char *field);
/* checks a route's declared parameters, replacing each value by its
 * normalised one; adds every error to e (the dispatcher answers them) */
void hall_req_check(struct hall_req *req, const struct hall_pspec *spec, struct hall_errors *e);

#define HALL_R_AUTH      1u /* logged-in applicant required */
#define HALL_R_NOCSRF    2u /* state-changing route without CSRF (signed callbacks) */
#define HALL_R_PREFIX    4u /* path matches as a prefix */
#define HALL_R_MULTIPART 8u /* accepts multipart/form-data uploads */
/* a staff route (core/staff.c): the staff session is loaded instead of the
 * applicant's, 401 (or the staff login page) without one, and the staff CSRF
 * token is checked; HALL_R_ROLES(HALL_ROLE_...) adds "one of these roles"
 * (403 otherwise) */
#define HALL_R_STAFF 16u
/* no session is read at all (probes such as /healthz answer for themselves;
 * a GET route that reads the session in its own statement, with
 * hall_session_token, hall_session_accept and hall_resp_login) */
#define HALL_R_NOSESSION 32u
/* a body of any Content-Type, kept only as raw_body (OCSP requests) */
#define HALL_R_RAWBODY     64u
#define HALL_R_ROLES(bits) ((unsigned)(bits) << 8)

struct hall_route {
    const char *method;
    const char *path;
    int (*handler)(struct hall_req *req);
    unsigned flags;
    const struct hall_pspec *params;
};

struct hall_module {
    const char *name;
    const struct hall_route *routes;
    const struct hall_stmt *stmts;
    int (*init)(struct hall_app *app); /* after config, before fork */
    /* before an applicant route's login and parameters: HALL_OK to go on,
     * else it answered (a flow the partner does not sell) */
    int (*gate)(struct hall_req *req);
};

struct hall_session {
    int64_t user_id;
    const char *partner; /* partner code the user entered through, "" for the hall */
    const char *who;     /* the masked phone (138****1234) the header greets, or "" */
    unsigned char token_hash[32];
};

struct hall_staff;

struct hall_req {
    struct hall_pool *pool;
    struct hall_app *app;
    void *fcgi; /* FCGX_Request */
    const char *method;
    const char *path;
    const char *query;
    const char *partner; /* HALL_PARTNER from nginx, "" for the generic hall */
    const char *request_id;
    const char *remote_addr;
    const char *content_type;
    const char *accept;
    struct hall_param *qparams, *bparams, *cookies;
    struct hall_val *json; /* body when it was JSON */
    /* the body exactly as received (urlencoded or JSON, not multipart):
     * signatures are computed over these bytes, never over a re-encoding */
    const char *raw_body;
    size_t raw_len;
    struct hall_upload *uploads;
    const struct hall_route *route;
    struct hall_session *session; /* NULL when anonymous */
    int64_t user_id;              /* 0 when anonymous */
    struct hall_staff *staff;     /* HALL_R_STAFF routes only; never with session */
    const char *pre_token;        /* anonymous visitor's cookie, for CSRF */
    int in_tx;
    int db_used;     /* a statement of this request reached the server */
    int ref_checked; /* hall_db_ref looked for changes during this request */
    char sqlstate[6];
    double t0_ms;       /* CLOCK_MONOTONIC at accept: the provider deadline counts from it */
    int provider_fault; /* why the last hall_provider_call failed (HALL_PROV_*) */
    /* response */
    int status;
    struct hall_buf headers;
    struct hall_buf body;
    int responded;
};

const char *hall_req_id(const struct hall_req *req);
const char *hall_req_env(struct hall_req *req, const char *name);
/* body parameter, then query parameter; NULL when absent */
const char *hall_req_param(struct hall_req *req, const char *name);
const char *hall_req_query(struct hall_req *req, const char *name);
/* a parameter of the body only (form or JSON), never of the query string */
const char *hall_req_body_param(struct hall_req *req, const char *name);
const char *hall_req_cookie(struct hall_req *req, const char *name);
int hall_req_param_i64(struct hall_req *req, const char *name, int64_t *out);
const struct hall_upload *hall_req_upload(struct hall_req *req, const char *field);
int hall_req_wants_json(const struct hall_req *req);
/* "/<partner>" for partner paths, "" for the generic hall: links stay inside */
const char *hall_req_base(struct hall_req *req);
/* "user:<id>" for the audit log */
const char *hall_req_actor(struct hall_req *req);

/* parsers, exposed for unit tests and fuzzing */
int hall_parse_urlencoded(struct hall_pool *pool, const char *s, size_t len,
                          struct hall_param **out, size_t max_params);
int hall_parse_cookies(struct hall_pool *pool, const char *s, struct hall_param **out);
char *hall_url_decode(struct hall_pool *pool, const char *s, size_t len, size_t *outlen);
char *hall_url_encode(struct hall_pool *pool, const char *s);

/* multipart: pull parser fed by read callback; files are kept in an arena
 * of the worker's, reused by the next request (never on disk in clear) */
struct hall_mp_arena;
struct hall_mp_arena *hall_mp_arena_new(size_t max_body, size_t max_parts);
void hall_mp_arena_free(struct hall_mp_arena *a);
struct hall_mp_limits {
    size_t max_file;  /* one file */
    size_t max_field; /* one plain field */
    size_t max_parts;
    int seal; /* also encrypt and hash each file as it streams (needs the keys) */
    struct hall_mp_arena *arena; /* from hall_mp_arena_new(body length, max_parts) */
};
typedef ssize_t (*hall_read_fn)(void *ctx, char *buf, size_t n);
/* returns 0, or an HTTP status (400/413) with *err set to a Chinese message */
int hall_parse_multipart(struct hall_pool *pool, const char *content_type, hall_read_fn rd,
                         void *rdctx, size_t content_length, const struct hall_mp_limits *lim,
                         struct hall_param **fields, struct hall_upload **files, const char **err,
                         const char **errfield);

/* ---- msg.c: the ONE table of messages (core/messages.def) ------------- */

enum hall_msg_code {
#define HALL_MSG(code, status, text) HALL_M_##code,
#include "messages.def"
#undef HALL_MSG
    HALL_M__COUNT
};

struct hall_msg {
    const char *code; /* "ORDER_NOT_FOUND" */
    int status;
    const char *text; /* a printf format */
};

/* the whole table, HALL_M__COUNT rows (docs/catalog.md lists it) */
extern const struct hall_msg hall_msgs[];
/* the text with its arguments */
char *hall_msg_text(struct hall_pool *pool, enum hall_msg_code c, ...);
/* answers with the message's status (hall_resp_error), naming field */
int hall_msg(struct hall_req *req, enum hall_msg_code c, const char *field, ...);
/* the same with another status (an upload refused as 413 ...) */
int hall_msg_as(struct hall_req *req, int status, enum hall_msg_code c, const char *field, ...);
/* adds the message to a list of field errors */
void hall_msg_add(struct hall_req *req, struct hall_errors *e, enum hall_msg_code c,
                  const char *field, ...);

/* ---- resp.c ----------------------------------------------------------- */

void hall_resp_header(struct hall_req *req, const char *name, const char *value);
void hall_resp_cookie(struct hall_req *req, const char *name, const char *value, long max_age);
/* JSON {"ok":false,"field":...,"message":...} or an HTML error page */
int hall_resp_error(struct hall_req *req, int status, const char *field, const char *message);
/* every error at once: the first as field/message, all in "errors":
 * [{"field":...,"message":...}], the page lists them */
int hall_resp_errors(struct hall_req *req, const struct hall_errors *e);
int hall_resp_json(struct hall_req *req, int status, const struct hall_val *v);
int hall_resp_ok(struct hall_req *req, const struct hall_val *extra); /* {"ok":true,...} */
/* renders template "name" with ctx inside the page layout; ctx gains common keys */
int hall_resp_page(struct hall_req *req, int status, const char *name, struct hall_val *ctx);
int hall_resp_redirect(struct hall_req *req, const char *location);
/* 1 when s is a path on this site ("/x"): no scheme, no "//" or "/\\" start,
 * no backslash and no control character anywhere (browsers drop tabs and
 * newlines, so "/\t/evil.example" would become "//evil.example") */
int hall_local_path(const char *s);
/* a redirect for browsers, {"ok":true,"redirect":...,"message":...} for fetch() */
int hall_resp_go(struct hall_req *req, const char *location, const char *message);
/* 503 系统繁忙，请稍后再试 */
int hall_resp_busy(struct hall_req *req);
/* what a HALL_R_AUTH route answers an anonymous visitor: the login page with
 * next= for a browser's GET, else 401 请先登录 */
int hall_resp_login(struct hall_req *req);
int hall_resp_raw(struct hall_req *req, int status, const char *ctype, const void *p, size_t n);
int hall_resp_file(struct hall_req *req, const char *path, const char *ctype,
                   const char *download_name);
/* common template context: csrf token, user, partner */
struct hall_val *hall_page_ctx(struct hall_req *req);

/* ---- session.c / csrf -------------------------------------------------- */

int hall_session_load(struct hall_req *req);
/* the cookie's session token as stored (SHA-256, 32 bytes in req->pool), NULL
 * when the visitor has none: for a route that reads the session row in its
 * own statement (sessions.token_hash = it, idle_expires and absolute_expires
 * > now(), and last_seen < now() - 60 s as "stale"), which then calls */
const unsigned char *hall_session_token(struct hall_req *req);
/* the visitor is that row's user from now on; a stale row is touched */
int hall_session_accept(struct hall_req *req, const unsigned char *token_hash, int64_t user_id,
                        const char *partner, const char *who, int stale);
/* inside a transaction; phone: the 11 digits logged in with (only its mask,
 * 138****1234, is kept, for the header) or NULL */
int hall_session_create(struct hall_req *req, int64_t user_id, const char *phone);
int hall_session_destroy(struct hall_req *req);
const char *hall_csrf_token(struct hall_req *req);
int hall_csrf_check(struct hall_req *req);

/* ---- staff.c: CA staff sessions (the admin console) -------------------
 * A staff session is its own token in its own cookie (hall_staff, Path
 * /admin) and table (staff_sessions): applicant routes never read it and
 * staff routes never read the applicant's hall_sid. */

#define HALL_ROLE_REVIEWER 1u /* reviews orders: approve, reject */
#define HALL_ROLE_FINANCE  2u /* confirms corporate transfers */
#define HALL_ROLE_OPERATOR 4u /* production and shipping; reads orders */
#define HALL_ROLE_REPORT   8u /* reports only */

struct hall_staff {
    int64_t id;
    const char *login;
    const char *name;
    unsigned roles; /* HALL_ROLE_* bits */
    unsigned char token_hash[32];
};

/* "reviewer" -> HALL_ROLE_REVIEWER, 0 for an unknown name */
unsigned hall_staff_role_bit(const char *name);
/* 审核员, 财务 ...; NULL for anything but one known bit */
const char *hall_staff_role_label(unsigned bit);
/* "reviewer,finance" (or PostgreSQL's "{reviewer,finance}") -> bits;
 * *unknown is set when a name is not a role */
unsigned hall_staff_roles_parse(const char *list, int *unknown);
/* the dispatcher's check of a HALL_R_STAFF route; HALL_ERR after answering */
int hall_staff_authorize(struct hall_req *req);
int hall_staff_session_create(struct hall_req *req, int64_t staff_id); /* inside a transaction */
int hall_staff_session_destroy(struct hall_req *req);
const char *hall_staff_csrf_token(struct hall_req *req);
int hall_staff_csrf_check(struct hall_req *req);
/* "staff:<id>", the audit log's actor */
const char *hall_staff_actor(struct hall_req *req);
/* a console page's context: title, the console's name and script, the menu
 * of the staff member's roles */
struct hall_val *hall_staff_page(struct hall_req *req, const char *title);
/* the staff consoles live at /admin, /admin/pki and /report only, not below a
 * partner's prefix: 1 after answering 404 there, else 0 */
int hall_staff_elsewhere(struct hall_req *req);
extern const struct hall_stmt hall_staff_stmts[];

/* ---- sms.c: one-time codes -------------------------------------------- */

enum hall_sms_result {
    HALL_SMS_OK = 0,
    HALL_SMS_TOO_SOON,
    HALL_SMS_DAILY_LIMIT,
    HALL_SMS_BAD_CODE,
    HALL_SMS_EXPIRED, /* no live code for this phone and purpose */
    HALL_SMS_LOCKED,  /* too many wrong tries */
    HALL_SMS_DB_ERROR,
    HALL_SMS_IP_LIMIT,      /* sms_ip_hourly_max from this client address */
    HALL_SMS_SESSION_LIMIT, /* sms_session_hourly_max from this browser */
};

/* inside a transaction: creates a code and queues its SMS in the outbox */
/* the per-client limits of SMS sending (client IP, visitor's session), counted
 * in PostgreSQL; inside the caller's transaction, before hall_sms_code_send */
enum hall_sms_result hall_sms_client_limit(struct hall_req *req);
enum hall_sms_result hall_sms_code_send(struct hall_req *req, const char *phone,
                                        const char *purpose);
/* as hall_sms_code_send, counted the same, but the SMS says notice instead
 * of the code, which nobody learns: the caller answers as for a code sent */
enum hall_sms_result hall_sms_notice_send(struct hall_req *req, const char *phone,
                                          const char *purpose, const char *notice);
/* inside a transaction: consumes the code on success */
enum hall_sms_result hall_sms_code_check(struct hall_req *req, const char *phone,
                                         const char *purpose, const char *code);
const char *hall_sms_result_msg(enum hall_sms_result r);

/* ---- outbox.c / audit.c ------------------------------------------------ */

/* inside the caller's transaction; payload is encrypted at rest */
int hall_outbox_push(struct hall_req *req, const char *kind, const char *idem_key,
                     const struct hall_val *payload);
int hall_audit(struct hall_req *req, const char *actor, const char *entity, const char *entity_id,
               const char *action, const char *from_state, const char *to_state,
               const struct hall_val *detail);

/* ---- order.c: the order state machine ---------------------------------- */

struct hall_order_state {
    const char *code;  /* orders.status */
    const char *label; /* what users see: 待审核, 成功受理 ... */
};

#define HALL_ORDER_CONFLICT (-2)

/* every state, ending with {NULL, NULL} */
const struct hall_order_state *hall_order_states(void);
/* NULL for an unknown status */
const char *hall_order_label(const char *status);
/* the Chinese label of an audit_log action of an order (办理记录), never the code */
const char *hall_order_action_label(const char *action);
int hall_order_can(const char *from, const char *to);
/* inside a transaction: from -> to if allowed and the row is still in from;
 * HALL_ORDER_CONFLICT when not (answer 409), HALL_ERR on database failure */
int hall_order_move(struct hall_req *req, int64_t id, const char *from, const char *to,
                    const char *actor, const struct hall_val *detail);
extern const struct hall_stmt hall_order_stmts[];
/* the logged-in applicant's order named by the "id" parameter, read with
 * stmt (parameters: id, user id); NULL after answering 404 (also for
 * another's order) or 503 */
struct hall_dbres *hall_order_own(struct hall_req *req, const char *stmt, int64_t *id);
/* begins the transaction and locks the order id of this user with stmt (a
 * module's SELECT ... FOR UPDATE, $1 id, $2 user): the row, or NULL after
 * answering (503, or 404 for an order that is not this user's) */
struct hall_dbres *hall_order_lock_own(struct hall_req *req, const char *stmt, int64_t id);
/* an encrypted JSON column (orders.form_enc ...): an empty object for SQL
 * NULL, NULL when it cannot be decrypted or parsed */
struct hall_val *hall_dbres_pii_json(struct hall_req *req, const struct hall_dbres *res, int row,
                                     int col);
/* 12345 fen -> "123.45" */
const char *hall_yuan(struct hall_pool *pool, int64_t fen);
/* org -> 机构证书, org_person -> 机构个人证书, person -> 自然人证书 */
const char *hall_cert_type_label(const char *type);

/* ---- file.c: uploaded materials, encrypted at rest ------------------------ */

struct hall_stored {
    const char *name; /* random file name in upload_dir */
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
int hall_file_store(struct hall_req *req, const struct hall_upload *up, const char *const *allow,
                    const char *allow_text, struct hall_stored *out, const char **err);
/* removes a stored file whose database row was not committed */
void hall_file_discard(struct hall_req *req, const char *name);
/* the decrypted content; NULL when missing or tampered */
unsigned char *hall_file_load(struct hall_req *req, const char *name, size_t *len);
/* answers with bytes as a download (attachment, nosniff, no-store) */
int hall_resp_bytes(struct hall_req *req, const unsigned char *p, size_t n, const char *mime,
                    const char *download_name);

/* ---- qr.c --------------------------------------------------------------- */

/* an SVG drawing of a QR code for text, scale pixels per module */
char *hall_qr_svg(struct hall_pool *pool, const char *text, int scale);

/* ---- finauth.c: the micro-deposit of financial authentication --------- */

/* inside a transaction: a new finauth_attempts row for the order (a random
 * 6-digit code, or a new certificate PIN when the product has pin_by_memo,
 * kept as a MAC; a PIN also encrypted until the medium is made) and its "bank_transfer" outbox job
 * carrying the clear value in the encrypted payload.  HALL_ERR on database failure. */
int hall_finauth_queue(struct hall_req *req, int64_t order_id);
/* the MAC stored for a code of an order */
void hall_finauth_code_mac(int64_t order_id, const char *code, unsigned char out[32]);
/* the seeds' one name for the memo's six digits, on every page, message
 * and log label: 证书PIN码 when the memo carries the certificate PIN
 * (products.pin_by_memo, memo_kind 'pin'), 随机验证码 otherwise (seed 001) */
const char *hall_finauth_code_name(int pin);
/* 基本户开户行: a listed branch (bank_branch_id) or a listed bank (bank_id,
 * or bank_name: its name or short name) and the branch as typed
 * (bank_branch_name); sets form's bank_id, bank_name, bank_branch_name and
 * bank_cnaps, or adds e's errors.  HALL_ERR: answered (busy). */
int hall_finauth_bank_check(struct hall_req *req, struct hall_val *form, struct hall_errors *e);
/* ctx.banks: the complete list of banks (name, short).  HALL_ERR: the
 * database did not answer (nothing sent). */
int hall_finauth_banks_ctx(struct hall_req *req, struct hall_val *ctx);
extern const struct hall_stmt hall_finauth_stmts[];

/* ---- identity.c: the PC side of an online identity check --------------- */

/* who: "agent", "applicant" or "legal" (法人认证); its label */
const char *hall_identity_who_label(const char *who);
/* outside a transaction: a new one-time link for the phone (the previous
 * one of the order stops working), in its own transaction; the URL of the
 * phone page verify_path (a flow's /FLOW/m/verify, core/flow.c) with the
 * token, NULL on failure */
const char *hall_identity_start(struct hall_req *req, int64_t order_id, const char *who,
                                const char *verify_path);
/* the newest check of that kind: *status pending / ocr_ok / passed /
 * failed / expired, *message why the last try failed (no personal data) */
int hall_identity_status(struct hall_req *req, int64_t order_id, const char *who,
                         const char **status, const char **message);
extern const struct hall_stmt hall_identity_stmts[];

/* ---- reissue.c: the back office of 介质遗失补办 (docs/modules/reissue.md) -- */

enum hall_reissue_result {
    HALL_REISSUE_OK,         /* the caller's valid, unrevoked certificate */
    HALL_REISSUE_BAD_SERIAL, /* not 16 upper-case hex digits: 400 */
    HALL_REISSUE_NOT_FOUND,  /* 404 */
    HALL_REISSUE_FOREIGN,    /* someone else's: only the public lookup's fields are set */
    HALL_REISSUE_REVOKED,    /* own, revoked (or voided): 409 */
    HALL_REISSUE_EXPIRED,    /* own, expired: 409 */
    HALL_REISSUE_PENDING,    /* own, another reissue order under way: 409 */
};

struct hall_reissue_cert {
    enum hall_reissue_result result;
    const char *why; /* the applicant's message when result is not OK */
    /* public: what /pki/lookup shows */
    const char *serial, *status, *status_label, *org, *not_before, *not_after;
    /* the owner's only */
    int own;
    const char *cn, *cert_type, *cert_type_label;
    int64_t order_id; /* the order that produced it */
};

/* 16 upper-case hexadecimal digits (case-sensitive, seed 004) */
int hall_reissue_serial_ok(const char *serial);
/* the certificate of serial as the logged-in applicant may see it;
 * order_id: the reissue order asking (its own claim is not "under way"),
 * 0 for none; submit_key: the form being submitted (an order it made
 * already is that form's, not another under way), NULL for none.
 * HALL_ERR on database failure only */
int hall_reissue_cert_get(struct hall_req *req, const char *serial, int64_t order_id,
                          const char *submit_key, struct hall_reissue_cert *c);
/* inside the transaction approving order_id (review -> accepted): for a
 * reissue order, revokes the old certificate (keyCompromise, audited on the
 * certificate and the order); the CRL follows (hall-outbox's pki tick) and
 * the new certificate is issued by the tick (auto_issue).  HALL_OK also for
 * other orders; HALL_ORDER_CONFLICT with *msg when the old certificate can
 * no longer be reissued */
int hall_reissue_approved(struct hall_req *req, int64_t order_id, const char *actor,
                          const char **msg);
extern const struct hall_stmt hall_reissue_stmts[];

/* ---- price.c: the one price function ------------------------------------ */

/* a product's price rule (products: price_per_year_fen, seal_fee_per_year_fen, fixed_fee_fen) */
struct hall_price {
    int64_t per_year_fen;
    int64_t seal_per_year_fen;
    int64_t fixed_fen;
};

/* the certificate fee in fen for years and the seal option */
int64_t hall_price_cert(const struct hall_price *p, int years, int seal);
/* {"1":{"no":fen,"yes":fen},...} for every years choice: the table the
 * 录入信息 page carries, so that the page picks and never computes */
struct hall_val *hall_price_table(struct hall_pool *pool, const struct hall_price *p, int min_years,
                                  int max_years, int seal_offered);

/* ---- payment.c: trades at the gateway (one live trade per order) ------- */

/* queues the "pay_close" job of an abandoned trade (caller's transaction) */
int hall_payment_close_queue(struct hall_req *req, int64_t pay_id, const char *out_trade_no);
/* closes a trade at the gateway now; *status: "CLOSED", "NOT_FOUND", or
 * "SUCCESS" / "REFUND" when it had been paid.  HALL_ERR: no answer */
int hall_payment_close(struct hall_req *req, const char *out_trade_no, const char **status);
/* queues the "pay_refund" job of an approved refunds row (caller's transaction) */
int hall_refund_queue(struct hall_req *req, int64_t refund_id);
/* ---- invoice.c: the e-invoice (电子发票) of a paid order ------------------ */

/* inside the approving transaction: the outbox job "invoice-<id>" (queued
 * once per order, whoever calls); the job issues nothing when 是否开票 is 否
 * or the order was refunded by then */
int hall_invoice_queue(struct hall_req *req, int64_t order_id);
/* inside the transaction that makes the order 已退费: the red-letter job
 * "invoice-red-<id>" when a blue invoice issued (once per order) */
int hall_invoice_refunded(struct hall_req *req, int64_t order_id);
/* inside a transaction: SMS and e-mail jobs carrying the invoice link of an
 * order that has one (red: the red-letter invoice's); tag makes their
 * idempotency keys ("0" at issue, the resend count for 重新获取).  HALL_ERR
 * when there is no such invoice. */
int hall_invoice_notify(struct hall_req *req, int64_t order_id, const char *tag, int red);
extern const struct hall_stmt hall_invoice_stmts[];
/* ---- pki.c: the CA back office (docs/internals/pki.md) ----------------- */

#define HALL_PKI_CA_KEYS   1u /* issuing CA keys: issue, revoke, CRLs */
#define HALL_PKI_OCSP_KEYS 2u /* the delegated OCSP signers' keys */

/* certificates of pki_dir and the keys asked for; once per process */
int hall_pki_load(const char *dir, unsigned what, char *err, size_t errlen);
int hall_pki_ca_count(void);
/* name (ecc, sm2), algorithm (ecdsa, sm2), PEM of issuing CA i */
int hall_pki_ca_info(int i, const char **name, const char **alg, const char **pem);
const char *hall_pki_root_pem(void);
/* outside a transaction: write-intent, sign, store the medium, accepted ->
 * issued, PIN SMS; HALL_ORDER_CONFLICT (with *msg) when the order cannot
 * be issued now, HALL_ERR on failure */
int hall_pki_issue(struct hall_req *req, int64_t order_id, const char *actor, const char **msg);
/* a certificate's subject in words: its CN, with O when that differs */
const char *hall_pki_subject_text(struct hall_pool *pool, const char *cn, const char *org);
/* inside the caller's transaction: issued -> revoked with an RFC 5280
 * reason code, audited; *ca names the CRL to refresh after COMMIT
 * (hall_pki_crl_refresh).  HALL_ORDER_CONFLICT when not an issued serial */
int hall_pki_revoke(struct hall_req *req, const char *serial, int reason, const char *actor,
                    const char **ca);
/* answers a PKCS#12 medium: row 0 of res has p12_enc (PII-encrypted at
 * rest, PIN-protected inside) and serial; the file is <name>-<serial>.p12 */
int hall_pki_medium_resp(struct hall_req *req, struct hall_dbres *res, const char *name);
/* outside a transaction: a new CRL when force, stale or missing a revocation */
int hall_pki_crl_refresh(struct hall_req *req, const char *ca, int force);
unsigned char *hall_pki_crl_get(struct hall_req *req, const char *ca, size_t *len);
/* intents older than min_age_s -> void (listed revoked); how many, -1 on error */
int hall_pki_reconcile(struct hall_req *req, long min_age_s);
/* hall-outbox's periodic work: reconcile, CRLs, one automatic production */
int hall_pki_tick(struct hall_req *req);
/* a DER OCSP request -> a DER OCSP response (always one, possibly an error status) */
unsigned char *hall_pki_ocsp_answer(struct hall_req *req, const unsigned char *in, size_t inlen,
                                    size_t *outlen, const char **outcome);
/* a new certificate serial: 16 upper-case hex digits of a random 64-bit
 * positive INTEGER (non-zero first byte) */
void hall_pki_serial_draw(char out[17]);
/* keyCompromise -> 1 ...; -1 when unknown */
int hall_pki_reason_code(const char *name);
const char *hall_pki_reason_name(int code);
const char *hall_pki_reason_label(int code);
const char *const *hall_pki_reason_names(void);
extern const struct hall_stmt hall_pki_stmts[];
/* core/sealprod.c (core/seal.h): the seals produced with a seal order */
extern const struct hall_stmt hall_sealprod_stmts[];

/* ---- http.c: libcurl client for the outside services ------------------- */

struct hall_http_resp {
    long status; /* 0 when the request did not complete */
    char *body;  /* NUL-terminated, pool-owned */
    size_t len;
    const char *error; /* curl's message when status == 0 */
    int timed_out;     /* status == 0 because a timeout ran out */
};

int hall_http_post_json(struct hall_pool *pool, const char *url, const char *body,
                        const char *idem_key, long connect_ms, long total_ms,
                        struct hall_http_resp *out);

/* POST body as JSON to sandbox_url + path with the configured timeouts;
 * the parsed answer of a 200, else NULL (logged without the body) and
 * req->provider_fault says why.  All the calls of one request share one
 * deadline (provider_deadline_ms from the request's start), and at most
 * provider_max_calls workers of a module wait on providers at once: a
 * call beyond that waits at most 250 ms for a slot, then is refused
 * (HALL_PROV_BUSY), so pages that
 * call no provider always find a free worker. */
struct hall_val *hall_provider_call(struct hall_req *req, const char *path,
                                    const struct hall_val *body, const char *idem_key);

enum { HALL_PROV_OK, HALL_PROV_DOWN, HALL_PROV_TIMEOUT, HALL_PROV_BUSY };

/* the answer to a failed hall_provider_call, naming the service
 * ("实名电信认证"): 503 busy / unavailable, 504 out of time */
int hall_resp_provider(struct hall_req *req, const char *service);

/* the module master's part of the provider cap: slots shared with its
 * workers (before fork), and the slot of a dead worker given back */
int hall_provider_slots_init(struct hall_app *app);
void hall_provider_slots_reap(struct hall_app *app, long pid);

/* ---- app.c: the accept loop the core owns ------------------------------ */

struct hall_app {
    const struct hall_module *mod;
    struct hall_conf conf;
    struct hall_tmpl_set *tmpl;
    void *pg;         /* PGconn */
    void *pg_replica; /* PGconn to db_replica_conninfo, NULL when none or lost */
    const char *socket_path;
    unsigned long served;
    long *provider_slots; /* shared by a module's workers: pid per slot, 0 free */
    long provider_nslots;
    int key_mismatch; /* the database was written with another PII key */
    char asset_v[16]; /* version of static_dir's files, for ?v= in the layout */
};

/* ---- metrics.c: Prometheus counters shared by a module's workers ---------- */

/* the shared mapping; the master calls it before forking */
int hall_metrics_init(void);
void hall_metrics_request(const struct hall_req *req, double ms);
void hall_metrics_db_error(void);
void hall_metrics_db_reconnect(void);
void hall_metrics_worker_started(void);
/* one call to an outside service: provider is a short fixed name ("carrier",
 * "sms", ...), ms its duration, ok 0 for a transport error, timeout or
 * non-2xx answer (core/http.c) */
void hall_metrics_provider(const char *provider, double ms, int ok);
/* answers GET /metrics: what is "1" (the module) or "outbox" */
int hall_metrics_serve(struct hall_req *req, const char *what);
extern const struct hall_stmt hall_metrics_stmts[];

int hall_main(int argc, char **argv, const struct hall_module *mod);
/* a command-line tool's start (hall-staff, hall-pkitool), app->mod set:
 * "-c CONFIG COMMAND ARGS...", the configuration, the log and the keys;
 * *cmd is argv[optind].  0 to go on, else the exit status (said) */
int hall_tool_start(int argc, char **argv, struct hall_app *app, void (*usage)(void),
                    const char **cmd);
/* the tool's database connection and a request to run its statements
 * with; NULL when the database cannot be reached (said) */
struct hall_req *hall_tool_req(struct hall_app *app);
/* a master process's signals: term for SIGTERM and SIGINT, chld for
 * SIGCHLD, SIGPIPE ignored; the three blocked (the old mask in *old) until
 * the master's sigsuspend */
void hall_master_signals(void (*term)(int), void (*chld)(int), sigset_t *old);
/* a module's whole main(): its struct hall_module <name>_module and
 * hall_main, e.g. HALL_MODULE_MAIN(pay, pay_routes, pay_stmts, pay_init) */
#define HALL_MODULE_MAIN(name, routes, stmts, init)                                                \
    static const struct hall_module name##_module = {#name, routes, stmts, init, NULL};            \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        return hall_main(argc, argv, &name##_module);                                              \
    }
/* asset.c: 12 hex digits of SHA-256 over static_dir's files (names, contents) */
int hall_asset_version(const char *dir, char *out, size_t outlen);
/* connect (or reconnect) and prepare core + module statements; refuses
 * (HALL_ERR, app->key_mismatch set) a database whose PII key fingerprint
 * is not the loaded key's, and records the fingerprint in a database that
 * has none yet */
int hall_app_db_connect(struct hall_app *app);
/* exit status of a program that refuses to start on its configuration
 * (EX_CONFIG): supervisors do not restart it */
#define HALL_EXIT_CONFIG 78
/* at start-up, before any worker: HALL_OK when the database is for this
 * key or cannot be reached yet; HALL_ERR (logged) when it is not */
int hall_app_key_check(struct hall_app *app);
/* dispatch one parsed request; exposed for tests */
int hall_app_dispatch(struct hall_req *req);

#endif
