/*
 * ocsp: the OCSP responder (RFC 6960) of the issuing CAs (docs/modules/ocsp.md).
 *
 *   POST /ocsp            body: DER OCSPRequest (application/ocsp-request)
 *   GET  /ocsp/<base64>   the DER request, base64 then URL-encoded (RFC 6960 A.1)
 *
 * Answers are signed by the CA's delegated OCSP signer (loaded before
 * fork; for the ecc CA each worker's own short-lived responder key,
 * certified through the token, docs/modules/ocsp.md): good, revoked (reason and
 * time), or unknown; the request's nonce is echoed (signed per request);
 * an answer without a nonce about one certificate is signed once and
 * reused until shortly before its nextUpdate, with RFC 5019's HTTP caching
 * headers on GET; garbage gets malformedRequest, a database outage
 * tryLater.  The status of each certificate asked about: one prepared
 * SELECT by primary key, or what this worker read less than 500 ms ago
 * (docs/modules/ocsp.md, status cache).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hall.h"

#define OCSP_MAX 8192

static const struct hall_stmt ocsp_stmts[] = {
    {NULL, NULL, 0},
};

static int
ocsp_init(struct hall_app *app)
{
    char err[512];

    if (hall_pki_load(&app->conf, HALL_PKI_OCSP_KEYS, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    /* nginx keeps the connections to this module open (the /ocsp
     * locations in nginx/hall.conf.in) */
    app->keep_conn = 1;
    return HALL_OK;
}

/* an HTTP date (RFC 9110 5.6.7), whatever the locale, written by hand
 * (two of them through printf were a quarter of a GET answer's
 * instructions: bench/ocsp-instr): 29 bytes at out */
static char *
http_date(char *out, time_t t)
{
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char *p = out;
    struct tm tm;
    int y;

    gmtime_r(&t, &tm);
    y = tm.tm_year + 1900;
    memcpy(p, days + 3 * tm.tm_wday, 3);
    p += 3;
    *p++ = ',';
    *p++ = ' ';
    *p++ = (char)('0' + tm.tm_mday / 10);
    *p++ = (char)('0' + tm.tm_mday % 10);
    *p++ = ' ';
    memcpy(p, months + 3 * tm.tm_mon, 3);
    p += 3;
    *p++ = ' ';
    *p++ = (char)('0' + y / 1000 % 10);
    *p++ = (char)('0' + y / 100 % 10);
    *p++ = (char)('0' + y / 10 % 10);
    *p++ = (char)('0' + y % 10);
    *p++ = ' ';
    *p++ = (char)('0' + tm.tm_hour / 10);
    *p++ = (char)('0' + tm.tm_hour % 10);
    *p++ = ':';
    *p++ = (char)('0' + tm.tm_min / 10);
    *p++ = (char)('0' + tm.tm_min % 10);
    *p++ = ':';
    *p++ = (char)('0' + tm.tm_sec / 10);
    *p++ = (char)('0' + tm.tm_sec % 10);
    memcpy(p, " GMT", 4);
    return p + 4;
}

/*
 * RFC 5019 6.2's caching headers of a reused GET answer, in the order
 * Cache-Control, Last-Modified, Expires, ETag: the last three are the same
 * for every answer of the same bytes and Cache-Control's max-age for every
 * answer in the same second, so each worker keeps the lines it wrote last
 * and writes them again while they hold (half of a GET answer's own
 * instructions in the worker went to making them afresh, bench/ocsp-instr).
 */
static struct {
    long long secs; /* max-age of cc; -1: none yet */
    char cc[96];
    size_t cc_len;
    time_t this_update, next_update; /* of rest; 0: none yet */
    char etag[sizeof(((struct hall_ocsp_meta *)0)->etag)];
    char rest[160];
    size_t rest_len;
} cache_lines = {-1, "", 0, 0, 0, "", "", 0};

static void
cache_headers(struct hall_req *req, const struct hall_ocsp_meta *meta, time_t now)
{
    static const char tail[] = ", public, no-transform, must-revalidate\r\n";
    long long secs = (long long)(meta->reuse_until - now);

    if (secs != cache_lines.secs) {
        char digits[24], *p = cache_lines.cc;
        long long v = secs;
        size_t d = 0;

        do {
            digits[d++] = (char)('0' + v % 10);
            v /= 10;
        } while (v > 0 && d < sizeof(digits));
        memcpy(p, "Cache-Control: max-age=", 23);
        p += 23;
        while (d > 0)
            *p++ = digits[--d];
        memcpy(p, tail, sizeof(tail) - 1);
        cache_lines.cc_len = (size_t)(p - cache_lines.cc) + sizeof(tail) - 1;
        cache_lines.secs = secs;
    }
    if (meta->this_update != cache_lines.this_update ||
        meta->next_update != cache_lines.next_update || strcmp(meta->etag, cache_lines.etag) != 0) {
        char *p = cache_lines.rest;
        size_t n = strlen(meta->etag);

        memcpy(p, "Last-Modified: ", 15);
        p = http_date(p + 15, meta->this_update);
        memcpy(p, "\r\nExpires: ", 11);
        p = http_date(p + 11, meta->next_update);
        memcpy(p, "\r\n", 2);
        p += 2;
        /* an ETag of hex digits (ocsp_etag), never a quote or CR/LF */
        if (n > 0) {
            memcpy(p, "ETag: \"", 7);
            memcpy(p + 7, meta->etag, n);
            memcpy(p + 7 + n, "\"\r\n", 3);
            p += 10 + n;
        }
        cache_lines.rest_len = (size_t)(p - cache_lines.rest);
        cache_lines.this_update = meta->this_update;
        cache_lines.next_update = meta->next_update;
        memcpy(cache_lines.etag, meta->etag, sizeof(cache_lines.etag));
    }
    hall_buf_add(&req->headers, cache_lines.cc, cache_lines.cc_len);
    hall_buf_add(&req->headers, cache_lines.rest, cache_lines.rest_len);
}

/*
 * How long nginx may keep this answer to give it again to the same
 * question (its fastcgi_cache, nginx/hall.conf.in): an answer the worker
 * would give again (no nonce, one certificate of ours) for ocsp_cache_s at
 * most and never past the worker's own reuse; any other, not at all.
 * nginx reads X-Accel-Expires before Cache-Control and Expires and never
 * passes it on; a revocation's commit also empties the cache (hall_pki_revoke).
 */
static void
accel_expires(struct hall_req *req, const struct hall_ocsp_meta *meta, time_t now)
{
    static long long last = -1;
    static char line[48];
    static size_t line_len;
    long long secs = 0;

    if (meta->reuse_until > now && req->cx->conf->ocsp_cache_s > 0) {
        secs = (long long)(meta->reuse_until - now);
        if (secs > req->cx->conf->ocsp_cache_s)
            secs = req->cx->conf->ocsp_cache_s;
    }
    if (secs != last) {
        line_len = (size_t)snprintf(line, sizeof(line), "X-Accel-Expires: %lld\r\n", secs);
        last = secs;
    }
    hall_buf_add(&req->headers, line, line_len);
}

static int
answer(struct hall_req *req, const unsigned char *der, size_t len, int get)
{
    struct hall_ocsp_meta meta;
    size_t outlen;
    unsigned char *out = hall_pki_ocsp_answer(req->cx, der, len, &outlen, &meta);
    time_t now;

    if (out == NULL)
        return HALL_ERR;
    /* one line per answer, at debug only (as the core's request line on
     * this route, HALL_R_QUIETLOG): nginx's OCSP log has every request */
    hall_log(HALL_LOG_DEBUG, hall_req_id(req), "msg=ocsp outcome=%s", meta.outcome);
    now = time(NULL);
    accel_expires(req, &meta, now);
    /* RFC 5019 6.2: a GET answer that is the same for everyone until it is
     * renewed may be kept by HTTP caches until then; any other (a nonce,
     * several certificates, unknown, tryLater) is not kept */
    if (get) {
        if (meta.reuse_until > now)
            cache_headers(req, &meta, now);
        else
            hall_resp_header(req, "Cache-Control", "no-store");
    }
    /* a signed answer, whatever it says, is a 200 (RFC 6960 A.1) */
    return hall_resp_raw(req, 200, "application/ocsp-response", out, outlen);
}

static int
ocsp_post(struct hall_req *req)
{
    if (req->raw_body == NULL)
        return answer(req, (const unsigned char *)"", 0, 0);
    return answer(req, (const unsigned char *)req->raw_body, req->raw_len, 0);
}

/* a base64 digit's value, 64 for '=', 0xff for any other byte */
static unsigned char b64_value[256];

static void
b64_table(void)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int i;

    memset(b64_value, 0xff, sizeof(b64_value));
    for (i = 0; i < 64; i++)
        b64_value[(unsigned char)digits[i]] = (unsigned char)i;
    b64_value['='] = 64;
}

/* the byte at p[*i] with its %-escape decoded (*i then on the escape's
 * last byte), -1 for a bad escape or an encoded NUL */
static int
url_byte(const char *p, size_t n, size_t *i)
{
    int hi, lo;

    if (p[*i] != '%')
        return (unsigned char)p[*i];
    if (*i + 2 >= n)
        return -1;
    hi = hall_hexval((unsigned char)p[*i + 1]);
    lo = hall_hexval((unsigned char)p[*i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return -1;
    *i += 2;
    return hi << 4 | lo;
}

/*
 * The request of GET /ocsp/<base64> (RFC 6960 A.1), from the raw URI (nginx's
 * $uri has decoded it and merged the slashes base64 may contain), read in
 * one pass: a base64 digit as it comes, or the URL's %-escape of one, a
 * space for '+' (some clients), line breaks left out, '=' padding the last
 * quad only.  The DER into der (room for n / 4 * 3 bytes): its length, or
 * -1.  (The URL decoding, then base64 through OpenSSL, were a fifth of a GET
 * answer's instructions in the worker, bench/ocsp-instr.)
 */
static long
get_request(const char *p, size_t n, unsigned char *der)
{
    unsigned long acc = 0;
    size_t i, q = 0, pad = 0;
    long len = 0;
    unsigned v;
    int c;

    for (i = 0; i < n; i++) {
        v = b64_value[(unsigned char)p[i]];
        if (v >= 64) { /* an escape, a line break, a space, '=' or a stranger */
            c = url_byte(p, n, &i);
            if (c < 0)
                return -1;
            if (c == '\n' || c == '\r')
                continue;
            v = b64_value[c == ' ' ? '+' : c];
            if (v == 64) { /* '=' */
                pad = 1;
                i++;
                break;
            }
            if (v > 64)
                return -1;
        }
        acc = acc << 6 | v;
        if (++q == 4) {
            der[len] = (unsigned char)(acc >> 16);
            der[len + 1] = (unsigned char)(acc >> 8);
            der[len + 2] = (unsigned char)acc;
            len += 3;
            q = 0;
        }
    }
    if (pad == 0)
        return q == 0 && len > 0 ? len : -1;
    /* '=' in the last one or two places of the last quad, then line breaks */
    if (q < 2)
        return -1;
    for (; i < n; i++) {
        c = url_byte(p, n, &i);
        if (c == '\n' || c == '\r')
            continue;
        if (c != '=' || q + pad == 4)
            return -1;
        pad++;
    }
    if (q + pad != 4)
        return -1;
    acc <<= 6 * pad;
    der[len] = (unsigned char)(acc >> 16);
    der[len + 1] = (unsigned char)(acc >> 8);
    return len + (long)q - 1;
}

static int
ocsp_get(struct hall_req *req)
{
    const char *uri = hall_req_env(req, "REQUEST_URI");
    const char *p;
    unsigned char *der;
    size_t n;
    long len;

    if (uri == NULL || (p = strstr(uri, "/ocsp/")) == NULL)
        return answer(req, (const unsigned char *)"", 0, 1);
    p += 6;
    n = strcspn(p, "?#");
    if (n == 0 || n > OCSP_MAX)
        return answer(req, (const unsigned char *)"", 0, 1);
    if (b64_value[0] == 0) /* 0xff once made */
        b64_table();
    der = hall_palloc(req->pool, n / 4 * 3 + 3);
    len = get_request(p, n, der);
    if (len < 0)
        return answer(req, (const unsigned char *)"", 0, 1);
    return answer(req, der, (size_t)len, 1);
}

static const struct hall_route ocsp_routes[] = {
    {"POST", "/ocsp", ocsp_post,
     HALL_R_NOSESSION | HALL_R_NOCSRF | HALL_R_RAWBODY | HALL_R_QUIETLOG, NULL},
    {"POST", "/ocsp/", ocsp_post,
     HALL_R_NOSESSION | HALL_R_NOCSRF | HALL_R_RAWBODY | HALL_R_QUIETLOG, NULL},
    {"GET", "/ocsp/", ocsp_get, HALL_R_PREFIX | HALL_R_NOSESSION | HALL_R_QUIETLOG, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(ocsp, ocsp_routes, ocsp_stmts, ocsp_init)
