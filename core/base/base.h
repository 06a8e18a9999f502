/*
 * core/base: what every other part of the core stands on, and nothing of the
 * hall's business: memory pools, buffers, the log, the configuration, the
 * value tree (JSON and templates' data), cryptographic primitives (personal
 * data at rest, tokens, MACs, passwords) and the HTTP client of the outside
 * services.  It uses libc, OpenSSL, libargon2, yajl and libcurl only; it includes no
 * other header of the core.  docs/architecture.md, "The core's layers".
 */
#ifndef HALL_BASE_H
#define HALL_BASE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/types.h>

/*
 * What a function returns (docs/style.md, "Errors and the answer
 * contract"): HALL_OK, done; HALL_ERR, failed and nothing answered (the
 * store, mostly: passed up to the handler, whose finish answers 503 once,
 * after rolling back); HALL_ANSWERED, the function answered the request
 * itself (a refusal naming the field, a 404, a 429, a redirect) and the
 * callers answer nothing more.  Both are negative: a caller that only asks
 * "not HALL_OK?" passes either up.
 */
#define HALL_OK       0
#define HALL_ERR      (-1)
#define HALL_ANSWERED (-2)

#ifdef HALL_UNITTEST
#define HALL_TESTABLE
#else
#define HALL_TESTABLE static __attribute__((unused))
#endif

#define HALL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define HALL_SENTINEL     __attribute__((sentinel))

/* ---- pool.c: one memory pool per request ------------------------------ */

struct hall_pool;

struct hall_pool *hall_pool_create(size_t block_size);
void hall_pool_destroy(struct hall_pool *pool);
void *hall_palloc(struct hall_pool *pool, size_t size);
void *hall_pcalloc(struct hall_pool *pool, size_t size);
char *hall_pstrdup(struct hall_pool *pool, const char *s);
char *hall_pstrndup(struct hall_pool *pool, const char *s, size_t n);
char *hall_pstrcat(struct hall_pool *pool, ...) HALL_SENTINEL;
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
/* b's memory dies with pool; b itself lives as long (a member of a pool-allocated struct) */
void hall_buf_pool(struct hall_buf *b, struct hall_pool *pool);
/* a buffer whose struct and memory both belong to the pool */
struct hall_buf *hall_buf_new(struct hall_pool *pool, size_t max);

/* ---- files: whole reads ------------------------------------------------ */

/* n bytes at off of fd, all of them (EINTR retried): HALL_OK, or HALL_ERR
 * on an error or the end of the file first */
int hall_pread_all(int fd, void *p, size_t n, long long off);
/* path's whole content, malloc'ed with a NUL after it (*len without it);
 * NULL when it cannot be read, is not a regular file (EINVAL) or holds more
 * than max bytes (EFBIG), errno saying which */
unsigned char *hall_whole_file(const char *path, size_t max, size_t *len);
/* path's first line (a passphrase file) into out, shorter than size, no line
 * end; HALL_ERR when path is NULL or "", unreadable, or the line empty */
int hall_file_line(const char *path, char *out, size_t size);

/* ---- time: the hall's calendar is Beijing's --------------------------- */

/* Every date the hall shows, prints, counts or signs for people is Beijing
 * time (Asia/Shanghai: UTC+8, no daylight saving since 1991), whatever the
 * server's time zone.  The database sessions take HALL_TIME_ZONE (db.c);
 * C code adds HALL_BEIJING_OFFSET_S to a time_t and formats it with
 * gmtime_r (no localtime, no TZ, no tzdata).  docs/operations.md, "Time zone". */
#define HALL_TIME_ZONE        "Asia/Shanghai"
#define HALL_BEIJING_OFFSET_S (8 * 3600)
/* t as Beijing time, "YYYY-MM-DD HH:MM:SS"; "" for 0 (no time) (pool.c) */
const char *hall_beijing_time(struct hall_pool *pool, time_t t);

/* ---- log.c ------------------------------------------------------------- */

enum hall_log_level { HALL_LOG_ERR, HALL_LOG_WARN, HALL_LOG_INFO, HALL_LOG_DEBUG };

void hall_log_init(const char *module, enum hall_log_level level);
/* the level a log_level option names (info when unknown) */
enum hall_log_level hall_log_level_of(const char *name);
void hall_log(enum hall_log_level level, const char *reqid, const char *fmt, ...) HALL_PRINTF(3, 4);
/* x: whatever carries the request_id of the work at hand (a request of
 * core/web, a context of core/store), NULL for none */
#define HALL_LOG_ID(x)    ((x) != NULL ? (x)->request_id : NULL)
#define hall_err(x, ...)  hall_log(HALL_LOG_ERR, HALL_LOG_ID(x), __VA_ARGS__)
#define hall_warn(x, ...) hall_log(HALL_LOG_WARN, HALL_LOG_ID(x), __VA_ARGS__)
#define hall_info(x, ...) hall_log(HALL_LOG_INFO, HALL_LOG_ID(x), __VA_ARGS__)

/* ---- conf.c: every option declared once ------------------------------- */

struct hall_conf {
    char *db_conninfo;
    char *db_replica_conninfo;
    char *key_file;
    char *template_dir;
    char *static_dir;
    char *upload_dir;
    char *tmp_dir;
    char *objstore; /* "local" or "s3" (core/store/objstore.c) */
    char *s3_endpoint;
    char *s3_bucket;
    char *s3_region;
    char *s3_access_key;
    char *s3_secret_key_file;
    char *s3_ca_file;
    char *sandbox_url;
    char *public_url;
    char *log_level;
    long workers;
    long max_requests;
    long session_idle_s;
    long session_absolute_s;
    long cookie_secure;
    long upload_max_bytes;
    long body_max_bytes;
    long http_connect_ms;
    long s3_connect_ms;
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
    long outbox_probe_s;
    long pay_callback_max_age_s;
    long draft_daily_max;
    long upload_daily_max;
    long carrier_pass_keep_s;
    long finauth_max_tries;
    long refund_four_eyes_fen;
    long sms_ip_hourly_max;
    long sms_session_hourly_max;
    long reminder_first_days;
    long reminder_last_days;
    char *pki_dir;
    char *pki_url; /* "": derived, hall_conf_pki_url */
    long medium_keep_days;
    long audit_mark_s;
    long objstore_sweep_s;
    long objstore_orphan_age_s;
    char *provider_key_dir;
    char *pay_key_dir;
    char *pki_pass_file, *kdf_cache_dir;
    char *pkcs11_module;
    char *pkcs11_token;
    char *pkcs11_pin_file;
    char *pkcs11_softhsm_conf;
    /* the production station's media (core/pki/medium.c) */
    char *production_medium; /* p12 or pkcs11 */
    char *medium_module;
    char *medium_softhsm_conf;
    long medium_timeout_ms;
    char *report_token, *report_pin_file; /* the 验签报告's key's token (modules/sign), its PIN */
    char *tsa_policy;                     /* the TSA policy OID (docs/modules/tsa.md) */
    long tsa_accuracy_ms;                 /* the accuracy its timestamps state */
    long ocsp_responder_s, ocsp_cache_s; /* a worker's OCSP responder's life; nginx's keeping */
    char *ocsp_cache_dir;                /* nginx's OCSP cache, emptied by each revocation */
    /* modules/sign (docs/modules/sign.md) */
    char *demo_dir;          /* the 免费体验 demo CA: demo-root.crt, demo-signer.crt/.key */
    char *tsa_url;           /* where the demo stamps' timestamps come from ("": public_url/tsa) */
    char *ocsp_url;          /* where /sign/evidence asks OCSP ("": the certificate's AIA) */
    long sign_try_daily_max; /* 免费体验 stamps per client address and Beijing day */
    char *partner_hook_allow_private; /* private addresses a hook_url may reach */
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
/* s3_endpoint's endpoints, at most HALL_S3_ENDPOINTS, separated by commas
 * or spaces: the next one after *p (its text at *at, n bytes, no trailing
 * slash), *p moved past it; 0 when there is none left */
#define HALL_S3_ENDPOINTS 8
int hall_s3_endpoint_next(const char **p, const char **at, size_t *n);
/* the plain-HTTP base of the URLs certificates carry (OCSP, CRLs, the CA's
 * certificate): pki_url, else public_url with an https one as http://host;
 * no trailing '/' */
const char *hall_conf_pki_url(struct hall_pool *pool, const struct hall_conf *conf);
void hall_conf_free(struct hall_conf *conf);

/* ---- value.c: a small value tree, rendered as JSON or through templates */

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
/* a member known to be new; key and string kept, not copied: they live as long as the tree */
struct hall_val *hall_val_add_str(struct hall_pool *p, struct hall_val *obj, const char *k,
                                  const char *v);
struct hall_val *hall_val_add_int(struct hall_pool *p, struct hall_val *obj, const char *k,
                                  int64_t v);
struct hall_val *hall_val_add_bool(struct hall_pool *p, struct hall_val *obj, const char *k, int v);
struct hall_val *hall_val_add_list(struct hall_pool *p, struct hall_val *obj, const char *k);
struct hall_val *hall_val_push_obj(struct hall_pool *p, struct hall_val *list);
struct hall_val *hall_val_push_str(struct hall_pool *p, struct hall_val *list, const char *v);
const struct hall_val *hall_val_get(const struct hall_val *obj, const char *key);
/* obj's member key when it is a string, else "" (obj may be NULL) */
const char *hall_val_str(const struct hall_val *obj, const char *key);
/* the same, NULL when absent or not a string: where absent and empty differ */
const char *hall_val_str_or_null(const struct hall_val *obj, const char *key);
/* serialise with yajl_gen; NULL on failure */
char *hall_val_json(struct hall_pool *pool, const struct hall_val *v, size_t *len);
/* JSON into a pool-owned tree; NULL when refused (value.c), err says why */
struct hall_val *hall_val_parse(struct hall_pool *pool, const char *text, size_t len, char *err,
                                size_t errlen);
enum { HALL_JSON_BAD = 1, HALL_JSON_NUL, HALL_JSON_DUP };
struct hall_json_why {
    int what;          /* HALL_JSON_BAD (malformed, too deep), _NUL, _DUP */
    const char *field; /* _NUL, _DUP: the member's path ("cert_type", "a.b"), or NULL */
    char msg[128];     /* for the log; never the text's content */
};
struct hall_val *hall_val_parse_why(struct hall_pool *pool, const char *text, size_t len,
                                    struct hall_json_why *why);

/* ---- crypto.c: PII at rest, tokens, passwords --------------------------- */

/* loads the PII key; the process makes no core file from then on (RLIMIT_CORE 0).
 * key_file holds it wrapped (keyenc.sh's line), opened with pass_file's
 * first line (pki_pass_file, outside var/; pass_file.next too while
 * hall-pkitool rotate-pass runs); in clear (128 hex characters) only when
 * pass_file is NULL or empty */
int hall_crypto_init(const char *key_file, const char *pass_file, char *err, size_t errlen);
/* the loaded PII key's fingerprint, 64 hex characters (never the key) */
int hall_crypto_fingerprint(char out[65]);
int hall_rand_bytes(void *buf, size_t n);
/* AES-256-GCM; output is version(1) | nonce(12) | ciphertext | tag(16) */
#define HALL_PII_OVERHEAD (1 + 12 + 16)
unsigned char *hall_pii_encrypt(struct hall_pool *pool, const char *plain, size_t len,
                                size_t *outlen);
char *hall_pii_decrypt(struct hall_pool *pool, const unsigned char *enc, size_t len);
/* hall_pii_encrypt piece by piece, with the SHA-256 of the plaintext: the
 * encrypted form is head, the pieces' output in order, tag */
#define HALL_ENC_HEAD 13
#define HALL_ENC_TAG  16
/* an encrypted file's buffer starts on a multiple of this, and the store writes
 * its whole units past the page cache (O_DIRECT): core/store/file.c */
#define HALL_ENC_ALIGN 4096
struct hall_enc;
struct hall_enc *hall_enc_begin(struct hall_pool *pool, unsigned char head[HALL_ENC_HEAD]);
/* encrypts n bytes of in to n bytes at out, and hashes them */
void hall_enc_add(struct hall_enc *s, const void *in, size_t n, unsigned char *out);
void hall_enc_end(struct hall_enc *s, unsigned char tag[HALL_ENC_TAG], unsigned char sha256[32]);
/* HMAC-SHA256 blind index over "kind:" value, 32 bytes */
void hall_pii_index(const char *kind, const char *value, unsigned char out[32]);
void hall_sha256(const void *p, size_t n, unsigned char out[32]);
void hall_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
                      unsigned char out[32]);
/* keyed with the installation's secret (distinct from the PII keys) */
void hall_mac(const char *purpose, const void *p, size_t n, unsigned char out[32]);
int hall_ct_equal(const void *a, const void *b, size_t n);
char *hall_hex(struct hall_pool *pool, const unsigned char *p, size_t n);
/* RFC 3986 percent-encoding: unreserved characters kept, every other byte
 * %XX in upper case (core/base/buf.c) */
char *hall_url_encode(struct hall_pool *pool, const char *s);
/* name=value pairs joined "k=v&k=v" (the providers' signed strings and
 * forms): HALL_KV_SORT sorts p in place by name (strcmp: byte order),
 * HALL_KV_ENCODE percent-encodes names and values (hall_url_encode),
 * HALL_KV_SKIP_EMPTY leaves out a pair whose value is NULL or "", and a
 * name in skip (NULL-terminated, or NULL) is left out; NULL when the text
 * would pass 64 KiB */
struct hall_kv {
    const char *k, *v;
};
#define HALL_KV_SORT       1u
#define HALL_KV_ENCODE     2u
#define HALL_KV_SKIP_EMPTY 4u
char *hall_kv_join(struct hall_pool *pool, struct hall_kv *p, size_t n, unsigned flags,
                   const char *const *skip);
/* a hexadecimal digit's value, -1 for any other character */
int hall_hexval(int c);
/* exactly 2n hexadecimal digits (either case) of s into n bytes; HALL_ERR otherwise */
int hall_unhex(const char *s, unsigned char *out, size_t n);
char *hall_b64url(struct hall_pool *pool, const unsigned char *p, size_t n);
/* a session's or a staff session's token: hall_b64url of 32 random bytes,
 * 43 characters of the base64url alphabet */
#define HALL_SESSION_TOKEN_CHARS 43
int hall_session_token_ok(const char *t);
/* Argon2id (19 MiB, t=2, p=1), encoded "$argon2id$v=19$m=19456,t=2,p=1$salt$hash";
 * verify also accepts the older "pbkdf2-sha256$iter$salt$hash" */
char *hall_password_hash(struct hall_pool *pool, const char *password);
/* 1 when a verified hash should be replaced by hall_password_hash's (older
 * scheme or parameters), else 0 */
int hall_password_needs_rehash(const char *encoded);
int hall_password_verify(const char *encoded, const char *password);
/* what computes this process's Argon2id hashes: argon2.c's AVX2 compression
 * (the CPU has AVX2, a known answer equals libargon2's, and
 * HALL_ARGON2_REFERENCE is not set) or libargon2 */
const char *hall_password_engine(void);
/* uniform random integer in [0, bound) */
uint32_t hall_rand_below(uint32_t bound);

/* ---- argon2.c: Argon2id (RFC 9106) with an AVX2 compression ------------ */

/* 1 when this CPU runs hall_argon2id (AVX2) */
int hall_argon2id_cpu_ok(void);
/* the memory hall_argon2id needs for m KiB in p lanes (m rounded down to
 * a multiple of 4p, at least 8p blocks of 1 KiB); 0 for p = 0 */
size_t hall_argon2id_bytes(uint32_t m, uint32_t p);
/* Argon2id version 0x13 of pwd and salt (no secret, no associated data)
 * into out[outlen], t passes over m KiB in p lanes, in the caller's memory
 * of memlen >= hall_argon2id_bytes(m, p) bytes, wiped before it returns;
 * the same result as libargon2's argon2id_hash_raw.  HALL_ERR without
 * AVX2 or for parameters outside RFC 9106's bounds (salt >= 8 bytes,
 * outlen >= 4, t >= 1) */
int hall_argon2id(const void *pwd, size_t pwdlen, const void *salt, size_t saltlen, uint32_t t,
                  uint32_t m, uint32_t p, uint8_t *out, size_t outlen, void *memory, size_t memlen);

/* ---- totp.c: one-time passwords (RFC 6238 / RFC 4226) ------------------ */

#define HALL_TOTP_PERIOD 30 /* seconds per step */
#define HALL_TOTP_DIGITS 6
/* HOTP(key, counter) with HMAC-SHA1, 6 to 8 digits; -1 on error */
int hall_totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits);
/* the RFC 6238 step of a Unix time */
int64_t hall_totp_step(int64_t unix_time);
/* HALL_OK when code (HALL_TOTP_DIGITS digits) is the code of now_step or the
 * step before or after it, at a step after last_step (-1: none yet); the
 * step it matched in *matched */
int hall_totp_check(const unsigned char *key, size_t keylen, const char *code, int64_t now_step,
                    int64_t last_step, int64_t *matched);
/* RFC 4648 base32, upper case, no padding */
char *hall_base32_encode(struct hall_pool *pool, const unsigned char *p, size_t n);
/* base32 (either case; spaces and '=' skipped) into at most max bytes */
int hall_base32_decode(const char *s, unsigned char *out, size_t max, size_t *outlen);

/* ---- http.c: libcurl client for the outside services ------------------- */

struct hall_http_resp {
    long status; /* 0 when the request did not complete */
    char *body;  /* NUL-terminated, pool-owned */
    size_t len;
    const char *error; /* curl's message when status == 0 */
    int timed_out;     /* status == 0 because a timeout ran out */
    char *headers;     /* the final answer's header lines, pool-owned */
    int addr_refused;  /* status == 0 because call->addr_ok refused every address */
};

/* any request: method, URL, body with its type, extra "Name: value" lines */
struct sockaddr;
struct hall_http_call {
    const char *method; /* "GET", "POST" */
    const char *url;
    const char *content_type; /* NULL: no body */
    const char *body;
    size_t body_len;
    const char *const *headers; /* NULL-terminated, or NULL */
    long connect_ms, total_ms;
    /* the service for /metrics; NULL: the URL path's first segment */
    const char *provider;
    /* 1: no header of curl's own but Host and Content-Length: what a signature covered */
    int bare;
    size_t max_body; /* the largest answer taken (a larger one fails the call); 0: 1 MiB */
    int (*addr_ok)(const struct sockaddr *sa, void *arg); /* each address, after DNS: 0 refuses */
    void *addr_arg;
};

int hall_http_call(struct hall_pool *pool, const struct hall_http_call *call,
                   struct hall_http_resp *out);
/* the value of an answer's header (case-insensitive name), without
 * surrounding white space; NULL when absent */
const char *hall_http_header(struct hall_pool *pool, const struct hall_http_resp *r,
                             const char *name);

int hall_http_post_json(struct hall_pool *pool, const char *url, const char *body,
                        const char *idem_key, long connect_ms, long total_ms,
                        struct hall_http_resp *out);
/* a limit on a piece of work's calls (core/web's deadline and cap of a request's provider
 * calls): enter may shorten the timeouts, or refuse the call (HALL_ERR: it fails as
 * unreachable, with error set); leave is told it ended.  Set around each request. */
struct hall_http_guard {
    int (*enter)(void *ud, long *connect_ms, long *total_ms, const char **error);
    void (*leave)(void *ud);
    void *ud;
};
void hall_http_guard_set(const struct hall_http_guard *g);
/* the work's guard, for a client of its own (core/store/objstore.c): enter as hall_http_call
 * does (HALL_ERR: refused, *error says why), leave after it; nothing when no guard is set */
int hall_http_guard_enter(long *connect_ms, long *total_ms, const char **error);
void hall_http_guard_leave(void);
/* counts a call made by such a client as hall_http_call counts its own */
void hall_http_observed(const char *provider, double ms, int ok);
/* fn is told every call: the provider (the URL path's first segment: "sms", "carrier" ...),
 * its duration, ok 0 for a transport error, timeout or non-2xx; set before the workers start */
void hall_http_observe(void (*fn)(const char *provider, double ms, int ok));

/* ---- paysign.c: RSA signatures, AES-GCM and base64 of the gateways ----- */

struct evp_pkey_st;
/* a PEM private key, or a public key (SubjectPublicKeyInfo or a certificate) */
struct evp_pkey_st *hall_pkey_load(const char *path, int private_key);
/* a private key that is kept encrypted at rest (PKCS#8, "ENCRYPTED PRIVATE
 * KEY") opened with the first line of pass_file; NULL with *why set: "clear"
 * (the file holds a key in clear: refused), "pass" (pass_file unreadable),
 * "read" (missing, or not opened with that passphrase) */
struct evp_pkey_st *hall_pkey_load_encrypted(const char *path, const char *pass_file,
                                             const char **why);
/* a secret of exactly len bytes kept encrypted at rest by keyenc.sh (one
 * line "aes-256-cbc:pbkdf2-sha256:ITERATIONS:BASE64"), opened with the
 * first line of pass_file into out; HALL_ERR with *why set as above
 * ("read": also damaged, another passphrase or another length) */
int hall_secret_load_encrypted(const char *path, const char *pass_file, unsigned char *out,
                               size_t len, const char **why);
/* a text secret kept encrypted at rest by keyenc.sh (the SMS and courier
 * accounts' secrets): its first line, trailing white space left out, into
 * out (NUL-terminated, shorter than size); HALL_ERR with *why as above */
int hall_secret_load_text(const char *path, const char *pass_file, char *out, size_t size,
                          const char **why);
/* hall-pkitool rotate-pass: a file keyenc.sh encrypted (a PKCS#8 private
 * key or a secret) opened with oldpass and written anew under newpass, the
 * same key (PBKDF2-HMAC-SHA256, 600,000 iterations), path.rot renamed over
 * it; 1 when so, 2 when it opens with newpass already (a rotation resumed),
 * 0 when it is no encrypted key (a certificate, a public key), -1 with *why
 * ("read": opens with neither; "write") */
int hall_keyfile_reencrypt(const char *path, const char *oldpass, const char *newpass,
                           const char **why);
void hall_pkey_free(struct evp_pkey_st *k);
/* the serial number of a PEM certificate in upper-case hexadecimal */
char *hall_cert_serial(struct hall_pool *pool, const char *path);
char *hall_b64(struct hall_pool *pool, const unsigned char *p, size_t n);
/* strict standard base64; NULL when malformed */
unsigned char *hall_unb64(struct hall_pool *pool, const char *s, size_t *n);
/* SHA256withRSA (PKCS#1 v1.5), base64; NULL on failure */
char *hall_rsa_sign(struct hall_pool *pool, struct evp_pkey_st *key, const void *data, size_t len);
/* 1 when sig_b64 is key's signature of data, else 0 */
int hall_rsa_verify(struct hall_pool *pool, struct evp_pkey_st *key, const void *data, size_t len,
                    const char *sig_b64);
/* AES-256-GCM: ct_b64 = base64(ciphertext | 16-byte tag), the nonce's text
 * as IV; the plaintext (NUL-terminated) or NULL when it does not open */
char *hall_gcm_open(struct hall_pool *pool, const unsigned char key[32], const char *nonce,
                    const char *aad, const char *ct_b64, size_t *outlen);
/* the text of the object that is member key of the JSON object text s,
 * exactly as written there (what Alipay signs of its answers); NULL when
 * absent or not an object */
const char *hall_json_member_text(struct hall_pool *pool, const char *s, const char *key);

#include "base/x509.h"

#endif
