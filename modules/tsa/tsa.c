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
 * begins (its first refusal after the last stamp signed by any worker),
 * every 30 s while it lasts, and when it ends, with their count and the
 * outage's length: not a line each.
 */
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/mman.h>

#include "hall.h"

static const struct hall_stmt tsa_stmts[] = {
    {NULL, NULL, 0},
};

/* the outage (below): the times the workers share */
struct tsa_shared {
    long long ok_at; /* the last stamp signed */
    long long began; /* the first refusal after it; 0: none yet */
};
static struct tsa_shared tsa_alone, *tsa_sh = &tsa_alone;

static int
tsa_init(struct hall_app *app)
{
    char err[512];

    void *sh;

    if (hall_tsa_load(&app->conf, 1, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    /* the outage's times, shared by the workers forked after this */
    sh = mmap(NULL, sizeof(*tsa_sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh != MAP_FAILED)
        tsa_sh = sh;
    return HALL_OK;
}

/*
 * The outage: its first refusal after the last stamp any worker signed
 * begins it (a worker that signed nothing since an earlier outage does not
 * count from that one).  The two times are shared by the workers (a page
 * mapped before the fork); each worker logs the outage it sees once when
 * it begins, every 30 s while it lasts, and once when it ends (the first
 * stamp signed after it, by whichever worker).  Times in milliseconds.
 */

/* this worker's view of it */
static struct {
    long n;              /* refused by this worker in the outage */
    long long began;     /* the outage it logged (tsa_sh->began then); 0: none */
    long long last_said; /* its last log line */
} failing;

#define TSA_FAIL_SAY_MS 30000

/* a refusal at now: 1 a new outage for this worker, 2 time to say it
 * lasts, 0 nothing to log; *for_ms the outage's length */
HALL_TESTABLE int
tsa_refused(long long now, long long *for_ms)
{
    long long b = __atomic_load_n(&tsa_sh->began, __ATOMIC_ACQUIRE);

    if (b == 0 || b <= __atomic_load_n(&tsa_sh->ok_at, __ATOMIC_ACQUIRE)) {
        /* none under way: this refusal begins it, unless another worker's
         * did meanwhile (b is then that one's) */
        if (__atomic_compare_exchange_n(&tsa_sh->began, &b, now, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            b = now;
    }
    *for_ms = now - b;
    if (failing.began != b) {
        failing.began = b;
        failing.n = 1;
        failing.last_said = now;
        return 1;
    }
    failing.n++;
    if (now - failing.last_said >= TSA_FAIL_SAY_MS) {
        failing.last_said = now;
        return 2;
    }
    return 0;
}

/* a stamp signed at now: 1 when it ends the outage this worker logged (the
 * first signed since it began), with its length and this worker's count */
HALL_TESTABLE int
tsa_signed(long long now, long long *for_ms, long *refused)
{
    long long prev = __atomic_load_n(&tsa_sh->ok_at, __ATOMIC_ACQUIRE);
    int end;

    while (prev < now && !__atomic_compare_exchange_n(&tsa_sh->ok_at, &prev, now, 0,
                                                      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        ;
    end = failing.began != 0 && prev < failing.began;
    *for_ms = now - failing.began;
    *refused = failing.n;
    failing.n = 0;
    failing.began = failing.last_said = 0;
    return end;
}

static long long
tsa_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
say_internal(struct hall_req *req, long long now)
{
    long long for_ms;

    switch (tsa_refused(now, &for_ms)) {
    case 1:
        hall_log(HALL_LOG_ERR, hall_req_id(req),
                 "msg=\"tsa: cannot sign, stamps refused (systemFailure)\" outcome=internal"
                 " for_s=%lld",
                 for_ms / 1000);
        break;
    case 2:
        hall_log(HALL_LOG_ERR, hall_req_id(req),
                 "msg=\"tsa: still cannot sign\" outcome=internal refused=%ld for_s=%lld",
                 failing.n, for_ms / 1000);
        break;
    }
}

static void
say_signing(struct hall_req *req, long long now)
{
    long long for_ms;
    long n;

    if (tsa_signed(now, &for_ms, &n))
        hall_log(HALL_LOG_WARN, hall_req_id(req),
                 "msg=\"tsa: signing again\" refused=%ld for_s=%lld", n, for_ms / 1000);
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
        say_signing(req, tsa_now_ms());
        hall_log(HALL_LOG_INFO, hall_req_id(req), "msg=tsa outcome=%s serial=%s imprint=%s",
                 meta.outcome, meta.serial, meta.imprint);
    } else if (strcmp(meta.outcome, "internal") == 0) {
        say_internal(req, tsa_now_ms());
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
