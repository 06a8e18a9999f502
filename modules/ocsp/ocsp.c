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
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

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
 * instructions: bench/ocsp-instr) */
static char *
http_date(struct hall_pool *pool, time_t t)
{
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char *out = hall_palloc(pool, 30), *p = out;
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
    memcpy(p, " GMT", 5);
    return out;
}

/* RFC 5019 6.2's Cache-Control of an answer reused for secs more seconds */
static char *
cache_control(struct hall_pool *pool, long long secs)
{
    static const char tail[] = ", public, no-transform, must-revalidate";
    char digits[24], *out, *p;
    size_t d = 0;

    do {
        digits[d++] = (char)('0' + secs % 10);
        secs /= 10;
    } while (secs > 0 && d < sizeof(digits));
    out = p = hall_palloc(pool, 8 + d + sizeof(tail));
    memcpy(p, "max-age=", 8);
    p += 8;
    while (d > 0)
        *p++ = digits[--d];
    memcpy(p, tail, sizeof(tail));
    return out;
}

static int
answer(struct hall_req *req, const unsigned char *der, size_t len, int get)
{
    struct hall_ocsp_meta meta;
    size_t outlen;
    unsigned char *out = hall_pki_ocsp_answer(req->cx, der, len, &outlen, &meta);
    time_t now = time(NULL);

    if (out == NULL)
        return HALL_ERR;
    /* one line per answer, at debug only (as the core's request line on
     * this route, HALL_R_QUIETLOG): nginx's OCSP log has every request */
    hall_log(HALL_LOG_DEBUG, hall_req_id(req), "msg=ocsp outcome=%s", meta.outcome);
    /* RFC 5019 6.2: a GET answer that is the same for everyone until it is
     * renewed may be kept by HTTP caches until then; any other (a nonce,
     * several certificates, unknown, tryLater) is not kept */
    if (get && meta.reuse_until > now) {
        hall_resp_header(req, "Cache-Control",
                         cache_control(req->pool, (long long)(meta.reuse_until - now)));
        hall_resp_header(req, "Last-Modified", http_date(req->pool, meta.this_update));
        hall_resp_header(req, "Expires", http_date(req->pool, meta.next_update));
        if (meta.etag[0] != '\0') {
            char etag[sizeof(meta.etag) + 2];
            size_t n = strlen(meta.etag);

            etag[0] = '"';
            memcpy(etag + 1, meta.etag, n);
            etag[n + 1] = '"';
            etag[n + 2] = '\0';
            hall_resp_header(req, "ETag", etag);
        }
    } else if (get) {
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

/* the base64 of the request from the raw URI: nginx's $uri has decoded it
 * and merged the slashes base64 may contain */
static int
ocsp_get(struct hall_req *req)
{
    const char *uri = hall_req_env(req, "REQUEST_URI");
    const char *p;
    char *b64;
    size_t n, i, j;
    unsigned char *der;
    int len;

    if (uri == NULL || (p = strstr(uri, "/ocsp/")) == NULL)
        return answer(req, (const unsigned char *)"", 0, 1);
    p += 6;
    n = strcspn(p, "?#");
    if (n == 0 || n > OCSP_MAX)
        return answer(req, (const unsigned char *)"", 0, 1);
    b64 = hall_url_decode(req->pool, p, n, &n);
    if (b64 == NULL)
        return answer(req, (const unsigned char *)"", 0, 1);
    /* some clients send '+' and '/' raw, some a space for '+' */
    for (i = j = 0; i < n; i++)
        if (b64[i] != '\n' && b64[i] != '\r')
            b64[j++] = b64[i] == ' ' ? '+' : b64[i];
    n = j;
    if (n % 4 != 0)
        return answer(req, (const unsigned char *)"", 0, 1);
    der = hall_palloc(req->pool, n / 4 * 3 + 1);
    len = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
    if (len < 0)
        return answer(req, (const unsigned char *)"", 0, 1);
    /* EVP_DecodeBlock counts the padding as zero bytes */
    if (n >= 1 && b64[n - 1] == '=')
        len--;
    if (n >= 2 && b64[n - 2] == '=')
        len--;
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
