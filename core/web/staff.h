/*
 * core/web/staff.h: the CA staff's sessions, roles and CSRF (staff.c,
 * docs/internals/staff.md).  Included by web.h, at its end.
 */
#ifndef HALL_WEB_STAFF_H
#define HALL_WEB_STAFF_H

/* ---- staff.c: CA staff sessions (the admin console) -------------------
 * A staff session is its own token in its own cookie (hall_staff, Path
 * /admin) and table (staff_sessions): applicant routes never read it and
 * staff routes never read the applicant's hall_sid. */

#define HALL_ROLE_REVIEWER 1u  /* reviews orders: approve, reject */
#define HALL_ROLE_FINANCE  2u  /* confirms corporate transfers */
#define HALL_ROLE_OPERATOR 4u  /* production and shipping; reads orders */
#define HALL_ROLE_REPORT   8u  /* reports only */
#define HALL_ROLE_ADMIN    16u /* staff accounts: asks and approves their changes */

struct hall_staff {
    int64_t id;
    const char *login;
    const char *name;
    unsigned roles; /* HALL_ROLE_* bits */
    int half;       /* the password alone so far: no second factor yet */
    unsigned char token_hash[32];
};

/* "reviewer" -> HALL_ROLE_REVIEWER, 0 for an unknown name */
unsigned hall_staff_role_bit(const char *name);
/* 审核员, 财务 ...; NULL for anything but one known bit */
const char *hall_staff_role_label(unsigned bit);
/* "reviewer,finance" (or PostgreSQL's "{reviewer,finance}") -> bits;
 * *unknown is set when a name is not a role */
unsigned hall_staff_roles_parse(const char *list, int *unknown);
/* the dispatcher's check of a HALL_R_STAFF route; HALL_ERR after answering */
int hall_staff_authorize(struct hall_req *req);
/* inside a transaction; full: after the second factor, else a short
 * session that reaches only the HALL_R_STAFF_HALF routes */
int hall_staff_session_create(struct hall_req *req, int64_t staff_id, int full);
int hall_staff_session_destroy(struct hall_req *req);
const char *hall_staff_csrf_token(struct hall_req *req);
int hall_staff_csrf_check(struct hall_req *req);
/* "staff:<id>", the audit log's actor */
const char *hall_staff_actor(struct hall_req *req);
/* a console page's context: title, the console's name and script, the menu
 * of the staff member's roles */
struct hall_val *hall_staff_page(struct hall_req *req, const char *title);
/* the staff consoles live at /admin, /admin/pki and /report only, not below a
 * partner's prefix: 1 after answering 404 there, else 0 */
int hall_staff_elsewhere(struct hall_req *req);
extern const struct hall_stmt hall_staff_stmts[];

/* ---- users.c: the applicants' accounts (users' owner) --------------------- */

/*
 * Inside the caller's transaction:
 *   user_insert        a new account: the phone encrypted and its blind
 *                      index, the password's hash (NULL: an account made by
 *                      an SMS code's sign-in); RETURNING id, no row when the
 *                      phone has one already
 *   user_login_failed  a wrong password: the count (locked for lock_s at
 *                      max_failures); -1 on database failure
 *   user_login_ok      a sign-in: the count and the lock cleared
 *   user_password_set  the password's hash: changed by its owner (changed:
 *                      the lock cleared too), or an older scheme's rehashed
 *   user_profile_set   the name and e-mail shown
 *   login_client_failed  a failed sign-in of a client (its address) on a
 *                      phone's or a staff login's blind index (sql/048,
 *                      login_client_failures)
 * HALL_ERR / NULL on database failure.
 */
struct hall_dbres *hall_user_insert(struct hall_ctx *cx, const unsigned char *phone_enc,
                                    size_t enc_len, const unsigned char idx[32],
                                    const char *password_hash);
int64_t hall_user_login_failed(struct hall_ctx *cx, int64_t uid, long max_failures, long lock_s);
int hall_user_login_ok(struct hall_ctx *cx, int64_t uid);
int hall_user_password_set(struct hall_ctx *cx, int64_t uid, const char *password_hash,
                           int changed);
int hall_user_profile_set(struct hall_ctx *cx, int64_t uid, const char *name, const char *email);
int hall_login_client_failed(struct hall_ctx *cx, const char *client, const unsigned char idx[32]);
extern const struct hall_stmt hall_users_stmts[];
/*
 * The tables staff and staff_recovery_codes are written here only, inside
 * the caller's transaction, each answering its statement's result
 * (RETURNING; NULL on failure): a sign-in at the console ended well
 * (failures cleared, last_login_at) and hall-staff's acting administrator's
 * (failures cleared); a password hash of an older scheme replaced; a TOTP
 * secret pending its first code, then enrolled at step (RETURNING id, none
 * when another request did it); the recovery codes cleared and added (their
 * hashes); hall-staff's accounts (insert: RETURNING id, none when the login
 * exists), passwords and second factors by login (RETURNING id; totp_reset
 * also "had"), and a member's sessions ended.
 */
struct hall_dbres *hall_staff_login_ok(struct hall_ctx *cx, int64_t id);
struct hall_dbres *hall_staff_failures_clear(struct hall_ctx *cx, int64_t id);
struct hall_dbres *hall_staff_rehash(struct hall_ctx *cx, int64_t id, const char *hash);
struct hall_dbres *hall_staff_totp_pending(struct hall_ctx *cx, int64_t id,
                                           const unsigned char *enc, size_t n);
struct hall_dbres *hall_staff_totp_enrol(struct hall_ctx *cx, int64_t id, int64_t step);
struct hall_dbres *hall_staff_recovery_clear(struct hall_ctx *cx, int64_t id);
struct hall_dbres *hall_staff_recovery_add(struct hall_ctx *cx, int64_t id,
                                           const unsigned char hash[32]);
struct hall_dbres *hall_staff_insert(struct hall_ctx *cx, const char *login, const char *hash,
                                     const char *roles);
struct hall_dbres *hall_staff_passwd(struct hall_ctx *cx, const char *login, const char *hash);
struct hall_dbres *hall_staff_sessions_drop(struct hall_ctx *cx, int64_t id);
struct hall_dbres *hall_staff_totp_reset(struct hall_ctx *cx, const char *login);
struct hall_dbres *hall_staff_totp_set(struct hall_ctx *cx, const char *login,
                                       const unsigned char *enc, size_t n);

/* The second factor of a staff member (sql/073), one rule for the console's
 * sign-in (modules/admin) and hall-staff's acting administrator: a TOTP
 * code of a step after the last one accepted (each step once), or an
 * unused recovery code (each once). */
#define HALL_STAFF_RECOVERY_LEN 10 /* characters, shown as xxxxx-xxxxx */
/* a recovery code as typed (case, spaces and dashes aside) -> its keyed
 * hash; HALL_ERR when it cannot be one */
int hall_staff_recovery_hash(int64_t id, const char *typed, unsigned char out[32]);
/* inside the caller's transaction, the member's row locked: code (digits
 * only, or a recovery code) against secret (base32, decrypted), now_s the
 * database's clock, last_step the row's totp_last_step.  HALL_OK: accepted
 * and spent (the step recorded, or the recovery code used), *how "totp" or
 * "recovery" (*left: recovery codes left); HALL_CONFLICT: wrong or used
 * already; HALL_ERR: no readable secret, or the database */
int hall_staff_factor_use(struct hall_ctx *cx, int64_t id, const char *secret, int64_t now_s,
                          int64_t last_step, const char *code, const char **how, int64_t *left);
/* a wrong password or code of the member, inside the caller's transaction:
 * failed_logins + 1, and at login_max_failures the account locked for
 * login_lock_s (audited "locked" by actor).  *fails: the count; HALL_OK,
 * HALL_CONFLICT when it is locked now, HALL_ERR */
int hall_staff_failed(struct hall_ctx *cx, int64_t id, const char *actor, int64_t *fails);
/* an approved account (core/flow/foureyes.c): login with its password hash
 * and roles ("a,b"), RETURNING id, no row when the login is taken; an
 * approved change of roles, RETURNING id, old (the roles before), no row
 * when the login is gone */
struct hall_dbres *hall_staff_add(struct hall_ctx *cx, const char *login, const char *password_hash,
                                  const char *roles);
/* the staff's sessions a day past their end, a batch (hall-outbox): how
 * many went, -1 on database failure */
int64_t hall_staff_sessions_sweep(struct hall_ctx *cx);
struct hall_dbres *hall_staff_roles_set(struct hall_ctx *cx, const char *login, const char *roles);

#endif
