/*
 * core/biz/partner_admin.h: a partner's webhook and API keys changed from
 * the staff console, four eyes (partner_admin.c, docs/partners.md "In the
 * staff console").  Included by partner.h.
 */
#ifndef HALL_BIZ_PARTNER_ADMIN_H
#define HALL_BIZ_PARTNER_ADMIN_H

struct sockaddr;

/* the eight webhook events, in the docs' order, NULL-terminated */
extern const char *const hall_partner_events[];
int hall_partner_event_known(const char *event);

/*
 * A webhook URL as the console takes it: NULL when good, else why, in
 * Chinese words for the field url.  https:// (http:// only when every
 * address is an allowed loopback one), no user or password, at most 500
 * characters, and the host resolved now: every address public, or named
 * in partner_hook_allow_private.
 */
const char *hall_partner_hook_url_check(struct hall_pool *pool, const struct hall_conf *conf,
                                        const char *url);
/* NULL for a public unicast address, else "loopback", "link-local",
 * "private", "cgnat", "unspecified", "multicast" or "reserved" (an IPv4
 * address inside IPv6, ::ffff:0:0/96 or 64:ff9b::/96, judged as itself) */
const char *hall_partner_addr_kind(const struct sockaddr *sa);
/* sa public, or named in allow (partner_hook_allow_private: addresses as
 * inet_ntop writes them, separated by spaces or commas), as the sender
 * (core/biz/partner_hook.c) reads it */
int hall_partner_addr_usable(struct hall_pool *pool, const char *allow, const struct sockaddr *sa);
/* what names a secret once it is no longer shown: 16 hex digits of its
 * SHA-256 */
char *hall_partner_secret_fp(struct hall_pool *pool, const char *secret);

/*
 * The writes, in core/biz/partner_secret.c (the tables' owner), in the
 * caller's transaction: a partner's hook_url (NULL: off) and events, with a
 * new encrypted secret when enc is not NULL; a new webhook secret; an API
 * key inserted (valid days from now; no row: the key id is taken or the
 * partner unknown; `until` its end, Beijing time) or revoked (no row: not
 * the partner's, or revoked already).  NULL on database failure.
 */
struct hall_dbres *hall_partner_hook_write(struct hall_ctx *cx, const char *code, const char *url,
                                           const char *events, const unsigned char *enc,
                                           size_t elen);
struct hall_dbres *hall_partner_hook_secret_write(struct hall_ctx *cx, const char *code,
                                                  const unsigned char *enc, size_t elen);
struct hall_dbres *hall_partner_key_insert(struct hall_ctx *cx, const char *key_id,
                                           const char *code, const unsigned char *enc, size_t elen,
                                           int64_t days);
struct hall_dbres *hall_partner_key_revoke(struct hall_ctx *cx, const char *key_id,
                                           const char *code);

/* what an approval made: the secret is shown once, to the approver */
struct hall_partner_applied {
    const char *secret;      /* made now (hook secret, API key's); NULL: none */
    const char *fingerprint; /* hall_partner_secret_fp of it */
    const char *key_id;      /* partner_key_add / _revoke */
    const char *not_after;   /* partner_key_add: the key's end, Beijing time */
};
/*
 * An approved request of kind partner_hook, partner_hook_secret,
 * partner_key_add or partner_key_revoke (hall_approval_decide) done in the
 * caller's transaction, audited with the approver as actor (entity partner
 * or partner_api_key; never the secret, its fingerprint).  HALL_CONFLICT
 * with *why when what it names changed meanwhile (a URL that now resolves
 * to a refused address, a key id taken, a key revoked already).
 */
int hall_partner_change_apply(struct hall_ctx *cx, const struct hall_approval *a, int64_t approver,
                              struct hall_partner_applied *out, const char **why);

#endif
