/*
 * The applicants' accounts: this file owns users (docs/architecture.md,
 * "Who owns each table"), and the failed sign-ins counted per client
 * (login_client_failures, written by the SQL function login_client_failed,
 * sql/048) for the applicants' and the staff's sign-in pages alike.  The
 * pages (modules/account, modules/admin) read and decide; each write is a
 * call here, inside the caller's transaction.
 */
#include "web/web.h"

const struct hall_stmt hall_users_stmts[] = {
    {"login_client_failed", "SELECT login_client_failed($1, $2)", 2},
    {"user_insert",
     "INSERT INTO users (phone_enc, phone_idx, password_hash) VALUES ($1, $2, $3)"
     " ON CONFLICT (phone_idx) DO NOTHING RETURNING id",
     3},
    {"user_login_failed",
     "UPDATE users SET failed_logins = failed_logins + 1, locked_until = CASE WHEN"
     " failed_logins + 1 >= $2 THEN now() + make_interval(secs => $3::int) END,"
     " updated_at = now() WHERE id = $1 RETURNING failed_logins",
     3},
    {"user_login_ok",
     "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND"
     " (failed_logins <> 0 OR locked_until IS NOT NULL)",
     1},
    /* a hash of an older scheme, replaced at a successful login (the row is
     * locked: the password itself cannot change meanwhile) */
    {"user_password_rehash", "UPDATE users SET password_hash = $2 WHERE id = $1", 2},
    {"user_profile_set",
     "UPDATE users SET display_name = $2, email = $3, updated_at = now() WHERE id = $1", 3},
    {"user_password_set",
     "UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now(),"
     " failed_logins = 0, locked_until = NULL WHERE id = $1",
     2},
    {NULL, NULL, 0},
};

struct hall_dbres *
hall_user_insert(struct hall_ctx *cx, const unsigned char *phone_enc, size_t enc_len,
                 const unsigned char idx[32], const char *password_hash)
{
    return hall_db_exec(cx, "user_insert", HALL_BIN(phone_enc, enc_len), HALL_BIN(idx, 32),
                        password_hash != NULL ? HALL_STR(password_hash) : HALL_NULLP);
}

int64_t
hall_user_login_failed(struct hall_ctx *cx, int64_t uid, long max_failures, long lock_s)
{
    struct hall_dbres *res = hall_db_exec(cx, "user_login_failed", HALL_I64(uid),
                                          HALL_I64(max_failures), HALL_I64(lock_s));

    return res != NULL ? hall_dbres_int(res, 0, "failed_logins") : -1;
}

int
hall_user_login_ok(struct hall_ctx *cx, int64_t uid)
{
    return hall_db_exec(cx, "user_login_ok", HALL_I64(uid)) != NULL ? HALL_OK : HALL_ERR;
}

int
hall_user_password_set(struct hall_ctx *cx, int64_t uid, const char *password_hash, int changed)
{
    return hall_db_exec(cx, changed ? "user_password_set" : "user_password_rehash", HALL_I64(uid),
                        HALL_STR(password_hash)) != NULL
               ? HALL_OK
               : HALL_ERR;
}

int
hall_user_profile_set(struct hall_ctx *cx, int64_t uid, const char *name, const char *email)
{
    return hall_db_exec(cx, "user_profile_set", HALL_I64(uid), HALL_STR(name), HALL_STR(email)) !=
                   NULL
               ? HALL_OK
               : HALL_ERR;
}

int
hall_login_client_failed(struct hall_ctx *cx, const char *client, const unsigned char idx[32])
{
    return hall_db_exec(cx, "login_client_failed", HALL_STR(client), HALL_BIN(idx, 32)) != NULL
               ? HALL_OK
               : HALL_ERR;
}
