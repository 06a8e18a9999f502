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
/* a body of any Content-Type, kept only as raw_body (OCSP requests) */
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
#define HALL_R_SPOOL       2048u
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
    /* before an applicant route's login and parameters: HALL_OK to go on,
     * else it answered (a flow the partner does not sell) */
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

/* ---- validate.c: the fields applicants type in ----------------------------
 *
 * Every function takes raw user input: it may be NULL and may carry
 * surrounding white space (ASCII white space and the ideographic space
 * U+3000 that Chinese input methods produce).  Each returns HALL_OK or
 * HALL_ERR and, where it has an output buffer, writes the normalised value
 * there (only on HALL_OK; on HALL_ERR the buffer holds "").  Functions
 * without an output buffer validate the trimmed text; the caller stores
 * the trimmed text (hall_valid_trim gives it).  No function logs anything:
 * the inputs are personal data.  Policies and their reasons:
 * docs/internals/validate.md.
 */

/* Pointer to the first non-space byte of in, and in *len the length up to
 * the last non-space byte.  NULL input gives "" with *len 0. */
const char *hall_valid_trim(const char *in, size_t *len);

/* 居民身份证号 (GB 11643), 18 characters, normalised with upper-case X.
 * Also 港澳台居民居住证 (81/82/83) and the 9-prefixed
 * 外国人永久居留身份证 (2023).  15-digit numbers are rejected. */
int hall_valid_ric(const char *in, char out[19]);

/* 统一社会信用代码 (GB 32100), normalised to upper case without spaces
 * and '-'.  *manual_review (may be NULL) is 1 only for the legally issued
 * early Fujian codes that fail the check character; the function still
 * returns HALL_ERR for them. */
int hall_valid_uscc(const char *in, char out[19], int *manual_review);

/* Longest input the forms take for a mobile number and a USCC (or a tax
 * ID): the validators remove prefixes and separators, so what a user types
 * ("0086-13812345678", "9 1 110000 600037341L") is longer than the value. */
#define HALL_VALID_MOBILE_INPUT_MAX 20
#define HALL_VALID_USCC_INPUT_MAX   30

/* mainland mobile number, optional +86 / 0086 / 86 prefix, to 11 digits */
int hall_valid_mobile(const char *in, char out[12]);

/* pragmatic e-mail address check, ASCII only (IDN domains as punycode) */
int hall_valid_email(const char *in);

/* 纳税人识别号: a USCC, an 18-char RIC, or a legacy 15/17/20-character
 * number; normalised to upper case.  cap >= 21 always suffices. */
int hall_valid_taxid(const char *in, char *out, size_t cap);

/* 对公账号: 8-32 digits once spaces and '-' are removed; no Luhn */
int hall_valid_bank_account(const char *in, char *out, size_t cap);

/* 邮政编码: 6 digits, the first 0-8 */
int hall_valid_postcode(const char *in);

/* 姓名: 2-30 characters of CJK ideographs, Latin letters, inner '·' (U+00B7)
 * and inner spaces */
int hall_valid_person_name(const char *in);

/* 机构名称 as registered names are written (营业执照, 登记证书): 2-100
 * characters of CJK ideographs, Latin letters and digits (half- and
 * full-width), brackets ()（）《》 and the punctuation space . , & - · ・ 、
 * ＆ ， － ．; it begins with an ideograph, a letter, a digit or an opening
 * bracket.  No quote, apostrophe, brace, angle bracket, backslash, slash,
 * symbol, control or invisible character (the name goes into a
 * certificate's subject).  hall_valid_org_name_at gives in *bad (may be
 * NULL) the first character refused, *badlen its bytes; *bad is NULL when
 * the fault is the length, the first character's kind or bad UTF-8 (the
 * hall calls the _at form; hall_valid_org_name, its yes or no, is a test's) */
#ifdef HALL_UNITTEST
int hall_valid_org_name(const char *in);
#endif
int hall_valid_org_name_at(const char *in, const char **bad, size_t *badlen);

/* 开户网点 as the account papers name it (汕头分行营业部, 中国工商银行股份有限
 * 公司揭阳榕城支行): 4-60 characters, at least two CJK ideographs; CJK,
 * Latin letters, digits, brackets （）() and 、·-; it begins with an
 * ideograph, a letter or a digit (never =, +, -, @: a spreadsheet formula) */
int hall_valid_branch_name(const char *in);

/* well-formed UTF-8: no overlongs, no surrogates, nothing above U+10FFFF */
int hall_valid_utf8(const char *s, size_t len);

#ifdef HALL_UNITTEST
/* the RIC check against a given "today" (yyyymmdd, China time) */
int hall_valid_ric_at(const char *in, char out[19], long today);
#endif

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

/* ---- staff.c: CA staff sessions (the admin console) -------------------
 * A staff session is its own token in its own cookie (hall_staff, Path
 * /admin) and table (staff_sessions): applicant routes never read it and
 * staff routes never read the applicant's hall_sid. */

#define HALL_ROLE_REVIEWER 1u  /* reviews orders: approve, reject */
#define HALL_ROLE_FINANCE  2u  /* confirms corporate transfers */
#define HALL_ROLE_OPERATOR 4u  /* production and shipping; reads orders */
#define HALL_ROLE_REPORT   8u  /* reports only */
#define HALL_ROLE_ADMIN    16u /* staff accounts: asks and approves their changes */

struct hall_staff {
    int64_t id;
    const char *login;
    const char *name;
    unsigned roles; /* HALL_ROLE_* bits */
    int half;       /* the password alone so far: no second factor yet */
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
/* inside a transaction; full: after the second factor, else a short
 * session that reaches only the HALL_R_STAFF_HALF routes */
int hall_staff_session_create(struct hall_req *req, int64_t staff_id, int full);
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

/* ---- users.c: the applicants' accounts (users' owner) --------------------- */

/*
 * Inside the caller's transaction:
 *   user_insert        a new account: the phone encrypted and its blind
 *                      index, the password's hash (NULL: an account made by
 *                      an SMS code's sign-in); RETURNING id, no row when the
 *                      phone has one already
 *   user_login_failed  a wrong password: the count (locked for lock_s at
 *                      max_failures); -1 on database failure
 *   user_login_ok      a sign-in: the count and the lock cleared
 *   user_password_set  the password's hash: changed by its owner (changed:
 *                      the lock cleared too), or an older scheme's rehashed
 *   user_profile_set   the name and e-mail shown
 *   login_client_failed  a failed sign-in of a client (its address) on a
 *                      phone's or a staff login's blind index (sql/048,
 *                      login_client_failures)
 * HALL_ERR / NULL on database failure.
 */
struct hall_dbres *hall_user_insert(struct hall_ctx *cx, const unsigned char *phone_enc,
                                    size_t enc_len, const unsigned char idx[32],
                                    const char *password_hash);
int64_t hall_user_login_failed(struct hall_ctx *cx, int64_t uid, long max_failures, long lock_s);
int hall_user_login_ok(struct hall_ctx *cx, int64_t uid);
int hall_user_password_set(struct hall_ctx *cx, int64_t uid, const char *password_hash,
                           int changed);
int hall_user_profile_set(struct hall_ctx *cx, int64_t uid, const char *name, const char *email);
int hall_login_client_failed(struct hall_ctx *cx, const char *client, const unsigned char idx[32]);
extern const struct hall_stmt hall_users_stmts[];
/*
 * The tables staff and staff_recovery_codes are written here only, inside
 * the caller's transaction, each answering its statement's result
 * (RETURNING; NULL on failure): a sign-in at the console ended well
 * (failures cleared, last_login_at) and hall-staff's acting administrator's
 * (failures cleared); a password hash of an older scheme replaced; a TOTP
 * secret pending its first code, then enrolled at step (RETURNING id, none
 * when another request did it); the recovery codes cleared and added (their
 * hashes); hall-staff's accounts (insert: RETURNING id, none when the login
 * exists), passwords and second factors by login (RETURNING id; totp_reset
 * also "had"), and a member's sessions ended.
 */
struct hall_dbres *hall_staff_login_ok(struct hall_ctx *cx, int64_t id);
struct hall_dbres *hall_staff_failures_clear(struct hall_ctx *cx, int64_t id);
struct hall_dbres *hall_staff_rehash(struct hall_ctx *cx, int64_t id, const char *hash);
struct hall_dbres *hall_staff_totp_pending(struct hall_ctx *cx, int64_t id,
                                           const unsigned char *enc, size_t n);
struct hall_dbres *hall_staff_totp_enrol(struct hall_ctx *cx, int64_t id, int64_t step);
struct hall_dbres *hall_staff_recovery_clear(struct hall_ctx *cx, int64_t id);
struct hall_dbres *hall_staff_recovery_add(struct hall_ctx *cx, int64_t id,
                                           const unsigned char hash[32]);
struct hall_dbres *hall_staff_insert(struct hall_ctx *cx, const char *login, const char *hash,
                                     const char *roles);
struct hall_dbres *hall_staff_passwd(struct hall_ctx *cx, const char *login, const char *hash);
struct hall_dbres *hall_staff_sessions_drop(struct hall_ctx *cx, int64_t id);
struct hall_dbres *hall_staff_totp_reset(struct hall_ctx *cx, const char *login);
struct hall_dbres *hall_staff_totp_set(struct hall_ctx *cx, const char *login,
                                       const unsigned char *enc, size_t n);

/* The second factor of a staff member (sql/073), one rule for the console's
 * sign-in (modules/admin) and hall-staff's acting administrator: a TOTP
 * code of a step after the last one accepted (each step once), or an
 * unused recovery code (each once). */
#define HALL_STAFF_RECOVERY_LEN 10 /* characters, shown as xxxxx-xxxxx */
/* a recovery code as typed (case, spaces and dashes aside) -> its keyed
 * hash; HALL_ERR when it cannot be one */
int hall_staff_recovery_hash(int64_t id, const char *typed, unsigned char out[32]);
/* inside the caller's transaction, the member's row locked: code (digits
 * only, or a recovery code) against secret (base32, decrypted), now_s the
 * database's clock, last_step the row's totp_last_step.  HALL_OK: accepted
 * and spent (the step recorded, or the recovery code used), *how "totp" or
 * "recovery" (*left: recovery codes left); HALL_CONFLICT: wrong or used
 * already; HALL_ERR: no readable secret, or the database */
int hall_staff_factor_use(struct hall_ctx *cx, int64_t id, const char *secret, int64_t now_s,
                          int64_t last_step, const char *code, const char **how, int64_t *left);
/* a wrong password or code of the member, inside the caller's transaction:
 * failed_logins + 1, and at login_max_failures the account locked for
 * login_lock_s (audited "locked" by actor).  *fails: the count; HALL_OK,
 * HALL_CONFLICT when it is locked now, HALL_ERR */
int hall_staff_failed(struct hall_ctx *cx, int64_t id, const char *actor, int64_t *fails);
/* an approved account (core/flow/foureyes.c): login with its password hash
 * and roles ("a,b"), RETURNING id, no row when the login is taken; an
 * approved change of roles, RETURNING id, old (the roles before), no row
 * when the login is gone */
struct hall_dbres *hall_staff_add(struct hall_ctx *cx, const char *login, const char *password_hash,
                                  const char *roles);
/* the staff's sessions a day past their end, a batch (hall-outbox): how
 * many went, -1 on database failure */
int64_t hall_staff_sessions_sweep(struct hall_ctx *cx);
struct hall_dbres *hall_staff_roles_set(struct hall_ctx *cx, const char *login, const char *roles);

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

/* ---- metrics.c: Prometheus counters shared by a module's workers ---------- */

/* the shared mapping; the master calls it before forking */
int hall_metrics_init(void);
void hall_metrics_request(const struct hall_req *req, double ms);
void hall_metrics_db_error(void);
void hall_metrics_db_reconnect(void);
void hall_metrics_worker_started(void);
/* one call to an outside service: provider is a short fixed name ("carrier",
 * "sms", ...), ms its duration, ok 0 for a transport error, timeout or
 * non-2xx answer (core/base/http.c) */
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
/* after a handler: rolls back a transaction left open, and answers a
 * request that has no answer: 503 when the store failed it, else 500 (the
 * answer contract, core/web/app.c) */
void hall_app_finish(struct hall_req *req, int rc);
/* a request of work no client sent (an outbox job, a tick), in pool: no
 * session, no parameters; its store context ready */
struct hall_req *hall_app_req(struct hall_app *app, struct hall_pool *pool, const char *request_id);
/* a master process's signals: term for SIGTERM and SIGINT, chld for
 * SIGCHLD, SIGPIPE ignored; the three blocked (the old mask in *old) until
 * the master's sigsuspend */
void hall_master_signals(void (*term)(int), void (*chld)(int), sigset_t *old);
/* the prefork master (core/web/app.c): n children, each run(app, slot,
 * arg), never returning; one that dies is replaced (reaped, if any, told
 * first; slot_name, if any, names its slot in the log); SIGTERM or SIGINT
 * ends them all and returns */
struct hall_prefork {
    int n;
    void (*run)(struct hall_app *app, int slot, void *arg);
    void (*reaped)(struct hall_app *app, pid_t pid);
    const char *(*slot_name)(int slot, void *arg);
    void *arg;
};
void hall_prefork(struct hall_app *app, const struct hall_prefork *pf);
/* asset.c: 12 hex digits of SHA-256 over static_dir's files (names, contents) */
int hall_asset_version(const char *dir, char *out, size_t outlen);
/* exit status of a program that refuses to start on its configuration
 * (EX_CONFIG): supervisors do not restart it */
#define HALL_EXIT_CONFIG 78
/* app->store ready to connect: its configuration, and the statement tables
 * it prepares on each connection: the core's layers' (the module's
 * core_stmts), then the module's own */
int hall_app_store_init(struct hall_app *app);
/* dispatch one parsed request; exposed for tests */
int hall_app_dispatch(struct hall_req *req);

#endif
