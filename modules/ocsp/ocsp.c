/*
 * ocsp: the OCSP responder (RFC 6960) of the issuing CAs (docs/modules/ocsp.md).
 *
 *   POST /ocsp            body: DER OCSPRequest (application/ocsp-request)
 *   GET  /ocsp/<base64>   the DER request, base64 then URL-encoded (RFC 6960 A.1)
 *
 * Answers are signed per request by the CA's delegated OCSP signer (loaded
 * before fork; no issuing CA key in this process): good, revoked (reason
 * and time), or unknown; the request's nonce is echoed; garbage gets
 * malformedRequest, a database outage tryLater.  The status of each
 * certificate asked about: one prepared SELECT by primary key, or what this
 * worker read less than 500 ms ago (docs/modules/ocsp.md, status cache).
 */
#include <string.h>

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
    return HALL_OK;
}

static int
answer(struct hall_req *req, const unsigned char *der, size_t len)
{
    const char *outcome;
    size_t outlen;
    unsigned char *out = hall_pki_ocsp_answer(req->cx, der, len, &outlen, &outcome);

    if (out == NULL)
        return hall_resp_busy(req);
    /* one line per answer besides the core's request line, at debug: the
     * responder is the busiest route */
    hall_log(HALL_LOG_DEBUG, hall_req_id(req), "msg=ocsp outcome=%s", outcome);
    /* a signed answer, whatever it says, is a 200 (RFC 6960 A.1) */
    return hall_resp_raw(req, 200, "application/ocsp-response", out, outlen);
}

static int
ocsp_post(struct hall_req *req)
{
    if (req->raw_body == NULL)
        return answer(req, (const unsigned char *)"", 0);
    return answer(req, (const unsigned char *)req->raw_body, req->raw_len);
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
        return answer(req, (const unsigned char *)"", 0);
    p += 6;
    n = strcspn(p, "?#");
    if (n == 0 || n > OCSP_MAX)
        return answer(req, (const unsigned char *)"", 0);
    b64 = hall_url_decode(req->pool, p, n, &n);
    if (b64 == NULL)
        return answer(req, (const unsigned char *)"", 0);
    /* some clients send '+' and '/' raw, some a space for '+' */
    for (i = j = 0; i < n; i++)
        if (b64[i] != '\n' && b64[i] != '\r')
            b64[j++] = b64[i] == ' ' ? '+' : b64[i];
    n = j;
    if (n % 4 != 0)
        return answer(req, (const unsigned char *)"", 0);
    der = hall_palloc(req->pool, n / 4 * 3 + 1);
    len = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
    if (len < 0)
        return answer(req, (const unsigned char *)"", 0);
    /* EVP_DecodeBlock counts the padding as zero bytes */
    if (n >= 1 && b64[n - 1] == '=')
        len--;
    if (n >= 2 && b64[n - 2] == '=')
        len--;
    return answer(req, der, (size_t)len);
}

static const struct hall_route ocsp_routes[] = {
    {"POST", "/ocsp", ocsp_post, HALL_R_NOSESSION | HALL_R_NOCSRF | HALL_R_RAWBODY, NULL},
    {"POST", "/ocsp/", ocsp_post, HALL_R_NOSESSION | HALL_R_NOCSRF | HALL_R_RAWBODY, NULL},
    {"GET", "/ocsp/", ocsp_get, HALL_R_PREFIX | HALL_R_NOSESSION, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(ocsp, ocsp_routes, ocsp_stmts, ocsp_init)
