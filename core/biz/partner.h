/*
 * core/biz/partner.h: the partner platforms' status webhooks and API
 * (partner_hook.c, docs/partners.md).  Included by biz.h.
 */
#ifndef HALL_BIZ_PARTNER_H
#define HALL_BIZ_PARTNER_H

/* ---- partner_hook.c: partner platforms' status webhooks and API links -------- */

extern const struct hall_stmt hall_partner_stmts[];

/*
 * One delivery of the outbox lane "partner" (kind partner_hook): in a
 * transaction of its own, the oldest due event of a partner no other worker
 * is delivering (an advisory lock per partner), never before an earlier
 * event of the same order that is still pending; POSTed signed to the
 * partner's hook_url; done, or tried again after the published schedule
 * (partner_hook_delays), dead after the last.  1 when a job was tried,
 * 0 when none was due, -1 on database trouble.
 */
int hall_partner_hook_run_one(struct hall_ctx *cx);

/* the string both signatures cover: ts "\n" nonce "\n" body */
char *hall_partner_sig_string(struct hall_pool *pool, const char *ts, const char *nonce,
                              const char *body, size_t *len);
/* HMAC-SHA256 of s (n bytes) under secret, 64 lower-case hex digits */
char *hall_partner_hmac_hex(struct hall_pool *pool, const char *secret, const char *s, size_t n);
/* a detached CMS SignedData over s by the hall's key "hook" (certified by
 * its CA "ecc"; both certificates carried), DER in base64; NULL when the
 * key or its certificate is not there */
char *hall_partner_cms_b64(struct hall_pool *pool, const struct hall_conf *conf, const char *s,
                           size_t n);
/* "张*", "欧**": the first character kept (UTF-8), one '*' for each other */
char *hall_partner_mask_name(struct hall_pool *pool, const char *name);
/* "138****8000": the first 3 and last 4 digits kept */
char *hall_partner_mask_phone(struct hall_pool *pool, const char *phone);

/* partner_mask.c: text with every run of digits an ID number, a bank
 * account or a phone could be masked: 7 or more digits as read after
 * normalising (full-width, Arabic-Indic, Chinese numerals and others;
 * invisible characters dropped; up to 3 separators between digits; an ID
 * number's final X with them), each digit a '*'; shorter numbers and dates
 * (2026-11-27) kept; never longer than text */
char *hall_partner_mask_digits(struct hall_pool *pool, const char *text);
/* the reason in an order's events replaced by its masked text (sql/154) */
int hall_partner_events_reason(struct hall_ctx *cx, int64_t order_id, const char *masked);

/* a signed API request's nonce under key_id: one row ("fresh") when never
 * seen, none when it was (a replay); NULL on database failure */
struct hall_dbres *hall_partner_nonce(struct hall_ctx *cx, const char *key_id, const char *nonce);
/* nonces older than the signature's window forgotten (and the rate's
 * minutes older than an hour) */
int hall_partner_nonce_prune(struct hall_ctx *cx);
/* a signed call of partner counted in its minute: 1 within its
 * api_rate_per_min, 0 over it, -1 on database failure */
int hall_partner_rate(struct hall_ctx *cx, const char *partner);

/* ---- partner_secret.c: the partners' shared secrets, encrypted ---------- */

/* partners.link_secret_enc, hook_secret_enc, partner_api_keys.secret_enc
 * (sql/140_partner_secrets_enc.sql): written here only, under the PII key
 * (read with hall_dbres_secret where they are used) */
extern const struct hall_stmt hall_psecret_stmts[];
int hall_partner_secrets_seal(struct hall_ctx *cx, int *moved, int *seeded);
int hall_partner_secret_set(struct hall_ctx *cx, const char *code, int hook, const char *secret,
                            const char **why);
int hall_partner_key_add(struct hall_ctx *cx, const char *code, const char *key_id,
                         const char *secret, const char *interval, const char **until);

#include "biz/partner_admin.h"

/*
 * partner_auth.c: the partner API's rule for a caller (modules/partner
 * answers it): key, timestamp (HALL_PARTNER_WINDOW_S), nonce and signature
 * forms, the HMAC of METHOD "\n" target "\n" ts "\n" nonce "\n" body, the
 * nonce's first use, the key's bucket, the partner's rate, in that order.  HALL_OK with c
 * filled; HALL_PARTNER_REFUSED with *why (401; c->partner set once the key
 * is known), HALL_PARTNER_RATE (429), HALL_ERR the store (503).
 */
#define HALL_PARTNER_WINDOW_S 300
#define HALL_PARTNER_REFUSED  1
#define HALL_PARTNER_RATE     2
/* each key's bucket, spent after the signature (sql/200): 10 a second, 40 at once */
#define HALL_PARTNER_KEY_RATE  10
#define HALL_PARTNER_KEY_BURST 40
struct hall_partner_call {
    const char *key_id, *ts, *nonce, *sig, *method, *target, *body;
    size_t body_len;
};
struct hall_partner_caller {
    const char *partner;
    int links;
    const char *entry_path;
};
extern const struct hall_stmt hall_pauth_stmts[];
int hall_partner_authenticate(struct hall_ctx *cx, const struct hall_partner_call *in,
                              struct hall_partner_caller *c, const char **why);
/* a known key's refusal counted in its minute (sql/200): the count in
 * this minute (1: its first, the one to audit), the minute before it and
 * its count in *prev_minute ("" if none) and *prev; -1 on database failure */
int hall_partner_refused_count(struct hall_ctx *cx, const char *key_id, long *prev,
                               const char **prev_minute);
/* how many HMACs hall_partner_authenticate computed in this process (known
 * and unknown key ids alike: a dummy secret for an unknown one) */
unsigned long hall_partner_macs(void);
/* s is min to max of [A-Za-z0-9_-] (a key id, a nonce) */
int hall_partner_token_ok(const char *s, size_t min, size_t max);

#endif
