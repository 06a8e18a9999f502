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
 * serial is 128 random bits, each stamp one log line.  Stamps refused
 * because the key cannot sign (the token away) are logged when that
 * begins, every 30 s while it lasts, and when it ends, with their count:
 * not a line each.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

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

/* this worker's run of refusals for want of a signature */
static struct {
    long n;           /* refused since the run began */
    time_t began;     /* 0: signing */
    time_t last_said; /* its last log line */
} failing;

#define TSA_FAIL_SAY_S 30

static void
say_internal(struct hall_req *req, time_t now)
{
    failing.n++;
    if (failing.began == 0) {
        failing.began = failing.last_said = now;
        hall_log(HALL_LOG_ERR, hall_req_id(req),
                 "msg=\"tsa: cannot sign, stamps refused (systemFailure)\" outcome=internal");
    } else if (now - failing.last_said >= TSA_FAIL_SAY_S) {
        failing.last_said = now;
        hall_log(HALL_LOG_ERR, hall_req_id(req),
                 "msg=\"tsa: still cannot sign\" outcome=internal refused=%ld for_s=%lld",
                 failing.n, (long long)(now - failing.began));
    }
}

static void
say_signing(struct hall_req *req, time_t now)
{
    if (failing.began == 0)
        return;
    hall_log(HALL_LOG_WARN, hall_req_id(req), "msg=\"tsa: signing again\" refused=%ld for_s=%lld",
             failing.n, (long long)(now - failing.began));
    failing.n = 0;
    failing.began = failing.last_said = 0;
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
    if (meta.serial[0] != '\0') {
        say_signing(req, time(NULL));
        hall_log(HALL_LOG_INFO, hall_req_id(req), "msg=tsa outcome=%s serial=%s imprint=%s",
                 meta.outcome, meta.serial, meta.imprint);
    } else if (strcmp(meta.outcome, "internal") == 0) {
        say_internal(req, time(NULL));
    } else {
        hall_log(HALL_LOG_INFO, hall_req_id(req), "msg=tsa outcome=%s", meta.outcome);
    }
    hall_resp_header(req, "Cache-Control", "no-store");
    return hall_resp_raw(req, 200, "application/timestamp-reply", out, outlen);
}

static const struct hall_route tsa_routes[] = {
    {"POST", "/tsa", tsa_post, HALL_R_NOSESSION | HALL_R_NOCSRF | HALL_R_RAWBODY | HALL_R_QUIETLOG,
     NULL},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(tsa, tsa_routes, tsa_stmts, tsa_init)
