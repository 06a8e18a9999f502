/*
 * tsa: the timestamp authority (RFC 3161; docs/modules/tsa.md).
 *
 *   POST /tsa    body: DER TimeStampReq, Content-Type application/timestamp-query
 *                -> 200 application/timestamp-reply, a DER TimeStampResp
 *
 * The key is the token's "tsa" (hall-pkitool ceremony), loaded before
 * fork; nothing else of the CA's.  Whatever the body, the answer is a
 * TimeStampResp with status 200 (RFC 3161 3.4: the status is in it):
 * granted with the token, or rejection with its PKIFailureInfo; a reply
 * that cannot be signed says systemFailure.  Another content type gets
 * 415, another method 405 (the core's messages).  No database: the
 * serial is 128 random bits, each stamp one log line.
 */
#include <string.h>
#include <strings.h>

#include "hall.h"

static const struct hall_stmt tsa_stmts[] = {
    {NULL, NULL, 0},
};

static int
tsa_init(struct hall_app *app)
{
    char err[512];

    if (hall_tsa_load(&app->conf, 1, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    return HALL_OK;
}

static int
tsa_post(struct hall_req *req)
{
    const char *ct = req->content_type != NULL ? req->content_type : "";
    struct hall_tsa_meta meta;
    unsigned char *out;
    size_t outlen;

    /* RFC 3161 3.4's type (parameters such as a charset are ignored);
     * anything else was not meant for a TSA */
    if (strncasecmp(ct, "application/timestamp-query", 27) != 0 ||
        (ct[27] != '\0' && ct[27] != ';' && ct[27] != ' '))
        return hall_msg(req, HALL_M_TSA_TYPE, NULL);
    if (req->raw_body == NULL)
        out = hall_tsa_answer(req->pool, (const unsigned char *)"", 0, &outlen, &meta);
    else
        out = hall_tsa_answer(req->pool, (const unsigned char *)req->raw_body, req->raw_len,
                              &outlen, &meta);
    /* the issued stamps' trail: serial and imprint, nothing of the client */
    if (meta.serial[0] != '\0')
        hall_log(HALL_LOG_INFO, hall_req_id(req), "msg=tsa outcome=%s serial=%s imprint=%s",
                 meta.outcome, meta.serial, meta.imprint);
    else
        hall_log(strcmp(meta.outcome, "internal") == 0 ? HALL_LOG_ERR : HALL_LOG_INFO,
                 hall_req_id(req), "msg=tsa outcome=%s", meta.outcome);
    hall_resp_header(req, "Cache-Control", "no-store");
    return hall_resp_raw(req, 200, "application/timestamp-reply", out, outlen);
}

static const struct hall_route tsa_routes[] = {
    {"POST", "/tsa", tsa_post, HALL_R_NOSESSION | HALL_R_NOCSRF | HALL_R_RAWBODY | HALL_R_QUIETLOG,
     NULL},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(tsa, tsa_routes, tsa_stmts, tsa_init)
