/*
 * partner_secret.c: the partners' shared secrets, kept encrypted under the
 * PII key (hall_pii_encrypt) as personal data is (sql/140_partner_secrets_enc.sql,
 * docs/operations.md "Secrets at rest"): a partner's signed links' key
 * (partners.link_secret_enc, read by core/flow/plink.c), its webhooks' key
 * (hook_secret_enc, core/biz/partner_hook.c) and its API keys' secrets
 * (partner_api_keys.secret_enc, modules/partner).  This file writes them,
 * for hall-pkitool (partner-secret, partner-key, partner-secrets); the
 * readers decrypt where they read (hall_dbres_secret).
 */
#include <stdio.h>
#include <string.h>

#include "biz/biz.h"

/* the development secrets a fresh database gets (partner_secret_seeds):
 * public, in the repository and its docs; an operator sets real ones */
static const struct {
    const char *partner, *kind, *secret;
} seeds[] = {
    {"hunan", "link", "dev-only-hunan-link-secret-change-me"},
};

const struct hall_stmt hall_psecret_stmts[] = {
    {"psec_lock", "SELECT pg_advisory_xact_lock(hashtext('hall-partner-secrets'))", 0},
    {"psec_clear_link",
     "SELECT code AS id, link_secret AS secret FROM partners WHERE link_secret IS NOT NULL"
     " ORDER BY code FOR UPDATE",
     0},
    {"psec_clear_hook",
     "SELECT code AS id, hook_secret AS secret FROM partners WHERE hook_secret IS NOT NULL"
     " ORDER BY code FOR UPDATE",
     0},
    {"psec_clear_key",
     "SELECT key_id AS id, secret FROM partner_api_keys WHERE secret IS NOT NULL"
     " ORDER BY key_id FOR UPDATE",
     0},
    {"psec_set_link",
     "UPDATE partners SET link_secret_enc = $2, link_secret = NULL WHERE code = $1 RETURNING code",
     2},
    {"psec_set_hook",
     "UPDATE partners SET hook_secret_enc = $2, hook_secret = NULL WHERE code = $1 RETURNING code",
     2},
    {"psec_set_key",
     "UPDATE partner_api_keys SET secret_enc = $2, secret = NULL WHERE key_id = $1 RETURNING "
     "key_id",
     2},
    {"psec_seeds", "SELECT partner_code, kind FROM partner_secret_seeds ORDER BY 1, 2 FOR UPDATE",
     0},
    {"psec_seed_link",
     "UPDATE partners SET link_secret_enc = $2 WHERE code = $1 AND link_secret_enc IS NULL"
     " AND link_secret IS NULL RETURNING code",
     2},
    {"psec_seed_hook",
     "UPDATE partners SET hook_secret_enc = $2 WHERE code = $1 AND hook_secret_enc IS NULL"
     " AND hook_secret IS NULL RETURNING code",
     2},
    {"psec_seed_done", "DELETE FROM partner_secret_seeds WHERE partner_code = $1 AND kind = $2", 2},
    {"psec_partner", "SELECT hook_url IS NOT NULL AS hooked FROM partners WHERE code = $1", 1},
    {"psec_key_add",
     "INSERT INTO partner_api_keys (key_id, partner_code, secret_enc, not_after)"
     " VALUES ($1, $2, $3, now() + $4::interval) ON CONFLICT (key_id) DO NOTHING"
     " RETURNING to_char(not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS until",
     4},
    /* the staff console's changes (partner_admin.c) */
    {"padm_partner_lock",
     "SELECT code, name, coalesce(hook_url, '') AS hook_url,"
     " hook_secret_enc IS NOT NULL OR hook_secret IS NOT NULL AS has_secret"
     " FROM partners WHERE code = $1 FOR UPDATE",
     1},
    {"padm_hook_set",
     "UPDATE partners SET hook_url = $2, hook_events = string_to_array($3, ',')"
     " WHERE code = $1 RETURNING code",
     3},
    {"padm_hook_set_secret",
     "UPDATE partners SET hook_url = $2, hook_events = string_to_array($3, ','),"
     " hook_secret_enc = $4, hook_secret = NULL WHERE code = $1 RETURNING code",
     4},
    {"padm_secret_set",
     "UPDATE partners SET hook_secret_enc = $2, hook_secret = NULL WHERE code = $1 RETURNING code",
     2},
    {"padm_key_add",
     "INSERT INTO partner_api_keys (key_id, partner_code, secret_enc, not_after)"
     " SELECT $1, code, $3, now() + make_interval(days => $4::int) FROM partners WHERE code = $2"
     " ON CONFLICT (key_id) DO NOTHING"
     " RETURNING to_char(not_after, 'YYYY-MM-DD HH24:MI') AS until",
     4},
    {"padm_key_revoke",
     "UPDATE partner_api_keys SET revoked_at = now() WHERE key_id = $1 AND partner_code = $2"
     " AND revoked_at IS NULL RETURNING key_id",
     2},
    {NULL, NULL, 0},
};

/* secret encrypted, set by stmt for id; 1 when a row took it, 0 when
 * none, -1 on error */
static int
seal_one(struct hall_ctx *cx, const char *stmt, const char *id, const char *secret)
{
    size_t elen;
    unsigned char *enc = hall_pii_encrypt(cx->pool, secret, strlen(secret), &elen);
    struct hall_dbres *res;

    if (enc == NULL)
        return -1;
    res = hall_db_exec(cx, stmt, HALL_STR(id), HALL_BIN(enc, elen));
    if (res == NULL)
        return -1;
    return hall_dbres_rows(res) > 0 ? 1 : 0;
}

/* at every start (hall-pkitool partner-secrets): each secret still in clear
 * moved into its encrypted column, the development secrets of a fresh
 * database set (partner_secret_seeds), in one transaction of its own */
int
hall_partner_secrets_seal(struct hall_ctx *cx, int *moved, int *seeded)
{
    static const char *const kinds[][2] = {
        {"psec_clear_link", "psec_set_link"},
        {"psec_clear_hook", "psec_set_hook"},
        {"psec_clear_key", "psec_set_key"},
    };
    struct hall_dbres *res;
    size_t k, j;
    int i, r;

    *moved = *seeded = 0;
    if (hall_db_begin(cx) != HALL_OK || hall_db_exec(cx, "psec_lock") == NULL)
        goto fail;
    for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        res = hall_db_exec(cx, kinds[k][0]);
        if (res == NULL)
            goto fail;
        for (i = 0; i < hall_dbres_rows(res); i++) {
            if (seal_one(cx, kinds[k][1], hall_dbres_str(res, i, "id"),
                         hall_dbres_str(res, i, "secret")) < 0)
                goto fail;
            (*moved)++;
        }
    }
    res = hall_db_exec(cx, "psec_seeds");
    if (res == NULL)
        goto fail;
    for (i = 0; i < hall_dbres_rows(res); i++) {
        const char *code = hall_dbres_str(res, i, "partner_code");
        const char *kind = hall_dbres_str(res, i, "kind");

        for (j = 0; j < sizeof(seeds) / sizeof(seeds[0]); j++) {
            if (strcmp(seeds[j].partner, code) != 0 || strcmp(seeds[j].kind, kind) != 0)
                continue;
            r = seal_one(cx, strcmp(kind, "link") == 0 ? "psec_seed_link" : "psec_seed_hook", code,
                         seeds[j].secret);
            if (r < 0)
                goto fail;
            *seeded += r;
        }
        if (hall_db_exec(cx, "psec_seed_done", HALL_STR(code), HALL_STR(kind)) == NULL)
            goto fail;
    }
    /* the secrets never in the audit: which and how many */
    if ((*moved > 0 || *seeded > 0) && hall_audit(cx, "cli:hall-pkitool", "partner", "*",
                                                  "secrets_encrypted", NULL, NULL, NULL) != HALL_OK)
        goto fail;
    return hall_db_commit(cx);
fail:
    if (cx->in_tx)
        hall_db_rollback(cx);
    return HALL_ERR;
}

/* a partner's link (hook 0) or webhook (hook 1) secret set, encrypted, or
 * removed (secret NULL); audited without the secret; HALL_ERR with *why
 * for what the operator can fix */
int
hall_partner_secret_set(struct hall_ctx *cx, const char *code, int hook, const char *secret,
                        const char **why)
{
    struct hall_dbres *res;
    size_t elen = 0;
    unsigned char *enc = NULL;

    *why = NULL;
    if (secret != NULL) {
        enc = hall_pii_encrypt(cx->pool, secret, strlen(secret), &elen);
        if (enc == NULL)
            return HALL_ERR;
    }
    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(cx, "psec_partner", HALL_STR(code));
    if (res == NULL)
        goto fail;
    if (hall_dbres_rows(res) == 0) {
        *why = "no such partner";
        goto fail;
    }
    if (secret == NULL && hook && hall_dbres_bool(res, 0, "hooked")) {
        *why = "the partner has a hook_url: set it NULL first";
        goto fail;
    }
    res = hall_db_exec(cx, hook ? "psec_set_hook" : "psec_set_link", HALL_STR(code),
                       enc != NULL ? HALL_BIN(enc, elen) : HALL_NULLP);
    if (res == NULL || hall_dbres_rows(res) != 1 ||
        hall_audit(cx, "cli:hall-pkitool", "partner", code,
                   secret == NULL ? (hook ? "hook_secret_removed" : "link_secret_removed")
                                  : (hook ? "hook_secret_set" : "link_secret_set"),
                   NULL, NULL, NULL) != HALL_OK)
        goto fail;
    return hall_db_commit(cx);
fail:
    if (cx->in_tx)
        hall_db_rollback(cx);
    return HALL_ERR;
}

/* a partner API key added, valid interval (a PostgreSQL interval) from now;
 * *until the Beijing time it ends; HALL_CONFLICT: the key id exists */
int
hall_partner_key_add(struct hall_ctx *cx, const char *code, const char *key_id, const char *secret,
                     const char *interval, const char **until)
{
    size_t elen;
    unsigned char *enc = hall_pii_encrypt(cx->pool, secret, strlen(secret), &elen);
    struct hall_dbres *res;

    *until = NULL;
    if (enc == NULL || hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(cx, "psec_key_add", HALL_STR(key_id), HALL_STR(code), HALL_BIN(enc, elen),
                       HALL_STR(interval));
    if (res == NULL || hall_dbres_rows(res) == 0) {
        hall_db_rollback(cx);
        return res == NULL ? HALL_ERR : HALL_CONFLICT;
    }
    *until = hall_dbres_str(res, 0, "until");
    if (hall_audit(cx, "cli:hall-pkitool", "partner_api_key", key_id, "added", NULL, NULL, NULL) !=
        HALL_OK) {
        hall_db_rollback(cx);
        return HALL_ERR;
    }
    return hall_db_commit(cx);
}

/* ---- the staff console's changes (core/biz/partner_admin.c): in the
 * approval's transaction, which audits them; statements in hall_psecret_stmts */

struct hall_dbres *
hall_partner_hook_write(struct hall_ctx *cx, const char *code, const char *url, const char *events,
                        const unsigned char *enc, size_t elen)
{
    if (enc != NULL)
        return hall_db_exec(cx, "padm_hook_set_secret", HALL_STR(code), HALL_STR(url),
                            HALL_STR(events), HALL_BIN(enc, elen));
    return hall_db_exec(cx, "padm_hook_set", HALL_STR(code),
                        url != NULL ? HALL_STR(url) : HALL_NULLP, HALL_STR(events));
}

struct hall_dbres *
hall_partner_hook_secret_write(struct hall_ctx *cx, const char *code, const unsigned char *enc,
                               size_t elen)
{
    return hall_db_exec(cx, "padm_secret_set", HALL_STR(code), HALL_BIN(enc, elen));
}

struct hall_dbres *
hall_partner_key_insert(struct hall_ctx *cx, const char *key_id, const char *code,
                        const unsigned char *enc, size_t elen, int64_t days)
{
    return hall_db_exec(cx, "padm_key_add", HALL_STR(key_id), HALL_STR(code), HALL_BIN(enc, elen),
                        HALL_I64(days));
}

struct hall_dbres *
hall_partner_key_revoke(struct hall_ctx *cx, const char *key_id, const char *code)
{
    return hall_db_exec(cx, "padm_key_revoke", HALL_STR(key_id), HALL_STR(code));
}
