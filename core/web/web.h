/*
 * core/web: the FastCGI side.  The prefork master and its workers' accept
 * loop, request parsing and the declared parameters' checks, responses and
 * the page layout, templates, the one table of messages, applicants'
 * sessions and CSRF, staff sessions and their roles, metrics, static
 * assets, QR drawings and the provider calls a request makes.  Uses
 * core/base and core/store; knows nothing of orders or certificates: a
 * module's routes and the statement tables of the layers it uses reach it
 * through struct hall_module.
 */
#ifndef HALL_WEB_H
#define HALL_WEB_H

#include <sys/types.h>

#include "store/store.h"

struct hall_app;
struct hall_req;

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

/* ---- req.c: FastCGI request parsing ---------------------------------- */

struct hall_param {
    const char *name;
    const char *value;
    size_t len;
    struct hall_param *next;
};

/* a route's declared parameter, checked before the handler runs */
enum hall_ptype {
    HALL_P_TEXT,     /* trimmed, 1..max characters, no control characters */
    HALL_P_INT,      /* decimal, within min..max */
    HALL_P_MOBILE,   /* mainland mobile, normalised to 11 digits */
    HALL_P_SMSCODE,  /* 6 digits */
    HALL_P_PASSWORD, /* 8..64 bytes, letters and digits */
    HALL_P_CHOICE,   /* one of choices[] */
    /* the form fields' kinds (core/flow/catalog.def), same registry */
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
 * The ONE validator registry (core/web/validate.c) of route parameters and
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
/* a staff route (core/web/staff.c): the staff session is loaded instead of the
 * applicant's, 401 (or the staff login page) without one, and the staff CSRF
 * token is checked; HALL_R_ROLES(HALL_ROLE_...) adds "one of these roles"
 * (403 otherwise) */
#define HALL_R_STAFF 16u
/* no session is read at all (probes such as /healthz answer for themselves;
 * a GET route that reads the session in its own statement, with
 * hall_session_token, hall_session_accept and hall_resp_login) */
#define HALL_R_NOSESSION 32u
/* a body of any Content-Type, kept only as raw_body (OCSP requests); a
 * JSON body that is not an object leaves req->json NULL, for the handler
 * to answer (the partner API: after the signature; req->json_why says
 * when it was a NUL or a member twice) */
#define HALL_R_RAWBODY 64u
/* with HALL_R_STAFF: also open to the session the password alone opened
 * (the second factor's pages); every other staff route needs a full one */
#define HALL_R_STAFF_HALF 128u
/* the worker's request line at debug, not info, unless the answer is a 5xx:
 * for a busy route whose every request nginx's access log already records
 * (OCSP: its write was 5 % of the responder's CPU) */
#define HALL_R_QUIETLOG 256u
/* a multipart route whose files are only stored (hall_file_store): each is
 * kept encrypted, and in clear only its first HALL_UPLOAD_HEAD bytes, enough to
 * tell its type (hall_upload.plain_len says how many data holds) */
#define HALL_R_ENCRYPTED 512u
/* a multipart route whose files are only read in memory by its handler and
 * never stored (/seal/verify, /m/ocr, /m/liveness, /seal/impression): each
 * is kept in clear in the worker's arena only, neither encrypted nor hashed
 * (hall_file_store refuses such an upload); HALL_R_ENCRYPTED wins over it */
#define HALL_R_CLEAR 1024u
/* the dispatcher reads no body at all (nor checks body_max_bytes): the
 * handler spools it to disk with hall_req_spool (POST /sign/verify: a PDF
 * of up to 20 MiB with the worker's memory flat) */
#define HALL_R_SPOOL 2048u
/* a page about what the applicant already has (我的电子印章, its downloads,
 * 在线盖章, 电子印章验证): answered under every channel's path whatever the
 * channel sells, the module's gate not asked (a 证书新办 of 建筑工务署 or
 * 湖南 carries a seal, their paths sell no 电子签章申请) */
#define HALL_R_OWNED       4096u
#define HALL_R_ROLES(bits) ((unsigned)(bits) << 16)

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
    const struct hall_stmt *stmts;     /* the module's own statements */
    int (*init)(struct hall_app *app); /* after config, before fork */
    /* before an applicant route's login and parameters (not a
     * HALL_R_OWNED one's): HALL_OK to go on, else it answered (a flow the
     * partner does not sell) */
    int (*gate)(struct hall_req *req);
    /* the statement tables of the core's layers the module uses, prepared
     * before its own (hall_core_stmts: every layer's) */
    const struct hall_stmt *const *core_stmts;
    /* instead of hall_session_load on an applicant route: the same session
     * (hall_session_accept), read with what the route needs next in one
     * round trip (the flow kit's information entry); NULL: the plain read */
    int (*session_load)(struct hall_req *req);
    /* NULL, or on an applicant route's multipart body, when its first file
     * begins (the fields before it readable with hall_req_param, the file
     * not read yet, the session not read): may send, with hall_db_send,
     * the statement session_load will read, so that the server answers
     * while the file streams in.  Nothing may be written here: the
     * request is not authenticated yet */
    void (*at_file)(struct hall_req *req);
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
    /* the store's view of this request: the same pool, request_id and
     * remote_addr, its transaction (what core/store, core/pki and core/biz
     * take) */
    struct hall_ctx *cx;
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
    /* bparams' and qparams' index by name, made by the first lookup in a
     * long list and made again when the list has changed (req.c) */
    struct hall_param_index *pindex[2];
    struct hall_val *json; /* body when it was JSON */
    /* a JSON body refused for a NUL in a string or a member twice, on a
     * HALL_R_RAWBODY route (json NULL): why, for the handler to answer */
    const struct hall_json_why *json_why;
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
    /* the form token of the session this request answers for: the loop
     * sets it (applicants' sessions, or the staff's), pages read it */
    const char *(*csrf)(struct hall_req *req);
    double t0_ms;       /* CLOCK_MONOTONIC at accept: the provider deadline counts from it */
    int provider_fault; /* why the last hall_provider_call failed (HALL_PROV_*) */
    /* the key this request's write carries (hall_db_exec_keyed): given back
     * with a 503 whose outcome is unknown, so that the request sent again
     * with it finds what was stored instead of storing it twice */
    const char *write_key;
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
/* the parameter hall_req_param reads (the body's first, else the query's),
 * NULL when neither has it */
struct hall_param *hall_req_param_node(struct hall_req *req, const char *name);
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
/* the name of the first parameter whose value (or name: then "?") is not
 * well-formed UTF-8, else NULL: every query and form parameter is checked
 * where the request is read (app.c, spool.c), a bad one refused 400 naming
 * it (REQ_UTF8), before PostgreSQL or a page could see it */
const char *hall_params_not_utf8(const struct hall_param *p);

/* multipart: pull parser fed by read callback; files are kept in an arena
 * of the worker's, reused by the next request (never on disk in clear) */
struct hall_mp_arena;
struct hall_mp_arena *hall_mp_arena_new(size_t max_body, size_t max_parts);
#ifdef HALL_UNITTEST
/* a worker keeps its arena to its end; a test frees it (for ASan) */
void hall_mp_arena_free(struct hall_mp_arena *a);
#endif
struct hall_mp_limits {
    size_t max_file;  /* one file */
    size_t max_field; /* one plain field */
    size_t max_parts;
    int enc; /* also encrypt and hash each file as it streams (needs the keys) */
    /* with enc: keep in clear only the first HALL_UPLOAD_HEAD bytes of each
     * file (the copy of the rest is the parser's largest after the read) */
    int head_only;
    struct hall_mp_arena *arena; /* from hall_mp_arena_new(body length, max_parts) */
    /* NULL, or called once when the first file's part begins: the fields
     * before it are in *fields, none of the file is read yet */
    void (*at_file)(void *arg);
    void *at_file_arg;
};
/* enc and head_only as a route's flags ask (HALL_R_ENCRYPTED, HALL_R_CLEAR):
 * every file encrypted unless the route only reads its files in memory */
void hall_mp_limits_route(struct hall_mp_limits *lim, unsigned route_flags);
typedef ssize_t (*hall_read_fn)(void *ctx, char *buf, size_t n);
/* returns 0, or an HTTP status (400/413) with *err set to a Chinese message */
int hall_parse_multipart(struct hall_pool *pool, const char *content_type, hall_read_fn rd,
                         void *rdctx, size_t content_length, const struct hall_mp_limits *lim,
                         struct hall_param **fields, struct hall_upload **files, const char **err,
                         const char **errfield);

/* ---- spool.c: a large body on disk (HALL_R_SPOOL routes) ----------------- */

struct hall_spool {
    int fd;               /* an unlinked file of tmp_dir holding the upload alone, closed
                             with the request's pool */
    off_t off;            /* 0 (where the upload starts in fd) */
    size_t len;           /* its length */
    const char *filename; /* a multipart file's name as sent (never a path), or NULL */
};
/*
 * Copies a HALL_R_SPOOL route's body, 64 KiB at a time, to an unlinked
 * file of tmp_dir.  An application/pdf or application/octet-stream body is
 * the file itself; of a multipart/form-data body the part named field is
 * (its other parts, at most 64 KiB each, become body parameters:
 * hall_req_param, hall_csrf_check).  0 with *out; else an HTTP status: 400
 * (no file: *err NULL, the caller names the field; a malformed body: *err),
 * 413 (the file above max: *err NULL), 415 (another type: *err), 503.
 */
int hall_req_spool(struct hall_req *req, const char *field, size_t max, struct hall_spool *out,
                   const char **err);
/* the parser of hall_req_spool, exposed for unit tests and fuzzing: the
 * multipart/form-data body in fd's [0, len) of content type ctype; the
 * first file part named field into out (fd, its offset, its length; out->fd
 * -1 when there is none), the plain parts prepended to *fields.  0, or 400
 * with *err (malformed: no boundary, no closing boundary, a part without
 * Content-Disposition or its headers over 4 KiB, more than 16 parts), 413
 * (the file above max: *err NULL; a plain part over 64 KiB: *err set) */
int hall_spool_parts(struct hall_pool *pool, const char *ctype, int fd, off_t len,
                     const char *field, size_t max, struct hall_spool *out,
                     struct hall_param **fields, const char **err);

/* ---- msg.c: the ONE table of messages (core/web/messages.def) ------------- */

enum hall_msg_code {
#define HALL_MSG(code, status, text) HALL_M_##code,
#include "web/messages.def"
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
/* the text with its arguments (the format of the table's row) */
char *hall_msg_vtext(struct hall_pool *pool, enum hall_msg_code c, va_list ap);
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
/* what a caller passes up when a callee that may answer did not return
 * HALL_OK: HALL_ANSWERED when the request has its answer, else HALL_ERR
 * (core/base/base.h) */
static inline int
hall_req_failed(const struct hall_req *req)
{
    return req->responded ? HALL_ANSWERED : HALL_ERR;
}
/* what a HALL_R_AUTH route answers an anonymous visitor: the login page with
 * next= for a browser's GET, else 401 请先登录 */
int hall_resp_login(struct hall_req *req);
int hall_resp_raw(struct hall_req *req, int status, const char *ctype, const void *p, size_t n);
/* common template context: csrf token, user, partner */
struct hall_val *hall_page_ctx(struct hall_req *req);

/* answers with bytes as a download (attachment, nosniff, no-store) */
int hall_resp_bytes(struct hall_req *req, const unsigned char *p, size_t n, const char *mime,
                    const char *download_name);
/* a stored file (hall_file_read) as that download, or a clear error naming
 * it (missing, tampered: 404) or the store's (503, 504) */
int hall_resp_stored(struct hall_req *req, const char *stored, const char *mime,
                     const char *download_name);

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
/* inside a transaction: every other session of the logged-in user ends
 * (a new password) */
int hall_session_drop_others(struct hall_req *req);
const char *hall_csrf_token(struct hall_req *req);
int hall_csrf_check(struct hall_req *req);

/* ---- qr.c --------------------------------------------------------------- */

/* an SVG drawing of a QR code for text, scale pixels per module */
char *hall_qr_svg(struct hall_pool *pool, const char *text, int scale);

/* ---- provider.c: calls to the outside services within a request -------- */

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

/* a slot of the provider cap for a call made another way (a driver of
 * core/biz): its number, HALL_PROVIDER_NO_CAP when the module has no cap,
 * -1 when none was free within a short wait (req->provider_fault BUSY);
 * give back what was taken */
#define HALL_PROVIDER_NO_CAP (-2)
long hall_provider_slot_take(struct hall_req *req);
void hall_provider_slot_give(struct hall_req *req, long slot);
/* while req runs (NULL: after), every call of core/base's HTTP client in
 * this worker obeys the request's deadline, and a GET's the module's cap,
 * as hall_provider_call does: app.c sets it around each handler */
void hall_provider_guard(struct hall_req *req);
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
    struct hall_store store; /* the worker's database connections */
    const char *socket_path;
    unsigned long served;
    long *provider_slots; /* shared by a module's workers: pid per slot, 0 free */
    long provider_nslots;
    char asset_v[16]; /* version of static_dir's files, for ?v= in the layout */
    /* set by a module's init: nginx keeps its FastCGI connections open
     * (fastcgi_keep_conn on, an upstream with keepalive: the OCSP
     * responder), so each worker waits on all it holds (core/web/app.c) */
    int keep_conn;
};

#include "web/validate.h"
#include "web/staff.h"
#include "web/metrics.h"

#endif
