/*
 * partner_auth.c: the partner API's rule for a caller (modules/partner
 * answers it, docs/partners.md "The partner API"): a key the hall knows,
 * not revoked, not expired; a timestamp within HALL_PARTNER_WINDOW_S of
 * the hall's clock; a nonce and a signature of the right form; the HMAC
 * under the key's secret; the nonce never used before (checked last: a
 * refused request does not use it up); the partner's own rate.  In this
 * order, each refusal with its reason.
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
    {NULL, NULL, 0},
};

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
hall_partner_authenticate(struct hall_ctx *cx, const struct hall_partner_call *in,
                          struct hall_partner_caller *c, const char **why)
{
    struct hall_dbres *res;
    const char *want, *key;
    char *s, *end;
    long long t;

    memset(c, 0, sizeof(*c));
    *why = NULL;
    if (!hall_partner_token_ok(in->key_id, 8, 64))
        return *why = "no key", HALL_PARTNER_REFUSED;
    res = hall_db_exec(cx, "papi_key", HALL_STR(in->key_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return *why = "unknown key", HALL_PARTNER_REFUSED;
    c->partner = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "partner_code"));
    c->links = hall_dbres_bool(res, 0, "links");
    c->entry_path = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "entry_path"));
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
    s = hall_psprintf(cx->pool, "%s\n%s\n%s\n%s\n", in->method, in->target, in->ts, in->nonce);
    s = hall_psprintf(cx->pool, "%s%.*s", s, (int)in->body_len, in->body != NULL ? in->body : "");
    /* the key's secret, kept encrypted (sql/140_partner_secrets_enc.sql) */
    key = hall_dbres_secret(cx, res, 0, "secret_enc");
    want = key != NULL ? hall_partner_hmac_hex(cx->pool, key, s, strlen(s)) : NULL;
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
    /* the partner's own rate, over all its keys (partners.api_rate_per_min) */
    switch (hall_partner_rate(cx, c->partner)) {
    case 1: return HALL_OK;
    case 0: return *why = "rate", HALL_PARTNER_RATE;
    default: return HALL_ERR;
    }
}
