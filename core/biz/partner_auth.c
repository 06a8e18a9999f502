/*
 * partner_auth.c: the partner API's rule for a caller (modules/partner
 * answers it, docs/partners.md "The partner API"): a key the hall knows,
 * not revoked, not expired; a timestamp within HALL_PARTNER_WINDOW_S of
 * the hall's clock; a nonce and a signature of the right form; the HMAC
 * under the key's secret; the nonce never used before (checked last: a
 * refused request does not use it up); the key's own rate (its bucket,
 * spent by signed calls only); the partner's own rate.  In this order,
 * each refusal with its reason.  An unknown key id's signature is
 * computed too, under a dummy secret: its refusal costs what a known
 * one's does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "biz/biz.h"

const struct hall_stmt hall_pauth_stmts[] = {
    {"papi_key",
     "SELECT k.partner_code, k.secret_enc, k.not_after > now() AS valid, k.revoked_at IS NOT NULL"
     " AS revoked, p.link_secret_enc IS NOT NULL AS links, p.entry_path FROM partner_api_keys k"
     " JOIN partners p ON p.code = k.partner_code WHERE k.key_id = $1 AND p.active",
     1},
    /* the key's bucket (sql/200_partner_api_key_bucket.sql): refilled at
     * $2 a second up to $3 since its last call, one spent when there is
     * one; no row when empty.  One statement: the row's lock orders
     * parallel calls, each reading the bucket the one before left, and
     * statement_timestamp() (taken before the wait) never refills twice */
    {"papi_key_bucket",
     "INSERT INTO partner_api_key_bucket AS b (key_id, tokens, at)"
     " VALUES ($1, $3::float8 - 1, statement_timestamp()) ON CONFLICT (key_id) DO UPDATE"
     " SET tokens = least($3::float8, b.tokens + $2::float8 * greatest(0, extract(epoch FROM"
     " statement_timestamp() - b.at))) - 1, at = greatest(b.at, statement_timestamp())"
     " WHERE least($3::float8, b.tokens + $2::float8 * greatest(0, extract(epoch FROM"
     " statement_timestamp() - b.at))) >= 1 RETURNING tokens",
     3},
    /* a known key's refusal counted in its minute: refused is 1 for the
     * minute's first (the one audited), prev_* the minute before it */
    {"papi_refused",
     "INSERT INTO partner_api_refusals AS r (key_id, minute, refused)"
     " VALUES ($1, date_trunc('minute', now()), 1) ON CONFLICT (key_id) DO UPDATE"
     " SET prev_minute = CASE WHEN r.minute = date_trunc('minute', now()) THEN r.prev_minute"
     " ELSE r.minute END, prev_refused = CASE WHEN r.minute = date_trunc('minute', now())"
     " THEN r.prev_refused ELSE r.refused END, refused = CASE WHEN r.minute ="
     " date_trunc('minute', now()) THEN r.refused + 1 ELSE 1 END,"
     " minute = date_trunc('minute', now()) RETURNING refused, prev_refused,"
     " coalesce(to_char(prev_minute AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI\"Z\"'), '')"
     " AS prev_minute",
     1},
    {NULL, NULL, 0},
};

/*
 * The HMAC computed for a key the hall does not know, under this secret:
 * an unknown key id's refusal costs the work of a known one's (issue 72
 * §1), so that the time of a 401 does not tell whether a key id exists.
 * Counted (hall_partner_macs) for the unit test that says so.
 */
static const char dummy_secret[] = "hall-partner-api-no-such-key-000000000000";
static unsigned long macs;

unsigned long
hall_partner_macs(void)
{
    return macs;
}

static const char *
mac_hex(struct hall_ctx *cx, const char *secret, const struct hall_partner_call *in)
{
    char *s = hall_psprintf(cx->pool, "%s\n%s\n%s\n%s\n", in->method != NULL ? in->method : "",
                            in->target != NULL ? in->target : "", in->ts != NULL ? in->ts : "",
                            in->nonce != NULL ? in->nonce : "");

    s = hall_psprintf(cx->pool, "%s%.*s", s, (int)in->body_len, in->body != NULL ? in->body : "");
    macs++;
    return hall_partner_hmac_hex(cx->pool, secret, s, strlen(s));
}

int
hall_partner_token_ok(const char *s, size_t min, size_t max)
{
    size_t n = s != NULL ? strlen(s) : 0, i;

    if (n < min || n > max)
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

int
hall_partner_refused_count(struct hall_ctx *cx, const char *key_id, long *prev,
                           const char **prev_minute)
{
    struct hall_dbres *res = hall_db_exec(cx, "papi_refused", HALL_STR(key_id));

    if (res == NULL || hall_dbres_rows(res) != 1)
        return -1;
    *prev = (long)hall_dbres_int(res, 0, "prev_refused");
    *prev_minute = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "prev_minute"));
    return (int)hall_dbres_int(res, 0, "refused");
}

int
hall_partner_authenticate(struct hall_ctx *cx, const struct hall_partner_call *in,
                          struct hall_partner_caller *c, const char **why)
{
    struct hall_dbres *res;
    const char *want, *key;
    char *end;
    long long t;

    memset(c, 0, sizeof(*c));
    *why = NULL;
    if (!hall_partner_token_ok(in->key_id, 8, 64))
        return (void)mac_hex(cx, dummy_secret, in), *why = "no key", HALL_PARTNER_REFUSED;
    res = hall_db_exec(cx, "papi_key", HALL_STR(in->key_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return (void)mac_hex(cx, dummy_secret, in), *why = "unknown key", HALL_PARTNER_REFUSED;
    c->partner = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "partner_code"));
    c->links = hall_dbres_bool(res, 0, "links");
    c->entry_path = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "entry_path"));
    /* the key's secret, kept encrypted (sql/140_partner_secrets_enc.sql),
     * and the HMAC under it, whatever the refusal below */
    key = hall_dbres_secret(cx, res, 0, "secret_enc");
    want = key != NULL ? mac_hex(cx, key, in) : NULL;
    if (hall_dbres_bool(res, 0, "revoked"))
        return *why = "key revoked", HALL_PARTNER_REFUSED;
    if (!hall_dbres_bool(res, 0, "valid"))
        return *why = "key expired", HALL_PARTNER_REFUSED;
    t = in->ts != NULL ? strtoll(in->ts, &end, 10) : 0;
    if (in->ts == NULL || *in->ts == '\0' || *end != '\0' ||
        llabs((long long)time(NULL) - t) > HALL_PARTNER_WINDOW_S)
        return *why = "timestamp", HALL_PARTNER_REFUSED;
    if (!hall_partner_token_ok(in->nonce, 16, 64) || in->sig == NULL || strlen(in->sig) != 64)
        return *why = "nonce or signature missing", HALL_PARTNER_REFUSED;
    if (want == NULL || !hall_ct_equal(want, in->sig, 64))
        return *why = "signature", HALL_PARTNER_REFUSED;
    /* the nonce last: a refused request does not use it up */
    res = hall_partner_nonce(cx, in->key_id, in->nonce);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return *why = "replayed nonce", HALL_PARTNER_REFUSED;
    if (hall_rand_below(64) == 0)
        hall_partner_nonce_prune(cx);
    /* the key's own bucket, spent only by calls whose signature checked */
    res = hall_db_exec(cx, "papi_key_bucket", HALL_STR(in->key_id), HALL_I64(HALL_PARTNER_KEY_RATE),
                       HALL_I64(HALL_PARTNER_KEY_BURST));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return *why = "key rate", HALL_PARTNER_RATE;
    /* the partner's own rate, over all its keys (partners.api_rate_per_min) */
    switch (hall_partner_rate(cx, c->partner)) {
    case 1: return HALL_OK;
    case 0: return *why = "rate", HALL_PARTNER_RATE;
    default: return HALL_ERR;
    }
}
