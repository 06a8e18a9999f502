/*
 * hall-staff: CA staff accounts from the command line (the admin console
 * has no account management yet; password hashes are computed here, in C,
 * with the same Argon2id as everything else).
 *
 *   hall-staff -c CONF add LOGIN ROLE[,ROLE] PASSWORD   create; an existing
 *                                                       login is left as it is
 *   hall-staff -c CONF passwd LOGIN PASSWORD            new password, unlock,
 *                                                       end its sessions
 *   hall-staff -c CONF list
 *   hall-staff -c CONF totp-reset LOGIN                 forget the second
 *                                                       factor and recovery
 *                                                       codes, end its
 *                                                       sessions: the next
 *                                                       login enrols anew
 *   hall-staff -c CONF totp-set LOGIN SECRET            a known TOTP secret
 *                                                       (base32) for a member
 *                                                       without one (demo
 *                                                       accounts, tests)
 *   hall-staff -c CONF totp LOGIN                       the current code of a
 *                                                       secret set by totp-set
 *
 * PASSWORD "-" reads the password from the first line of stdin (argv is
 * visible to other users in ps).  Roles: reviewer finance operator report.
 * Exit status 0 on success (also "already exists"), 1 on error, 2 on usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hall.h"

static const struct hall_stmt tool_stmts[] = {
    {"tool_staff_exists", "SELECT id FROM staff WHERE login = $1", 1},
    {"tool_staff_insert",
     "INSERT INTO staff (login, display_name, password_hash, roles)"
     " VALUES ($1, $1, $2, string_to_array($3, ',')) ON CONFLICT (login) DO NOTHING RETURNING id",
     3},
    {"tool_staff_passwd",
     "UPDATE staff SET password_hash = $2, failed_logins = 0, locked_until = NULL,"
     " updated_at = now() WHERE login = $1 RETURNING id",
     2},
    {"tool_staff_sessions_drop", "DELETE FROM staff_sessions WHERE staff_id = $1", 1},
    {"tool_staff_totp_reset",
     "UPDATE staff SET totp_secret_enc = NULL, totp_pending_enc = NULL, totp_enrolled_at = NULL,"
     " totp_known = false, updated_at = now() WHERE login = $1"
     " RETURNING id, (SELECT s.totp_secret_enc IS NOT NULL FROM staff s WHERE s.login = $1)"
     " AS had",
     1},
    {"tool_staff_recovery_drop", "DELETE FROM staff_recovery_codes WHERE staff_id = $1", 1},
    {"tool_staff_totp_set",
     "UPDATE staff SET totp_secret_enc = $2, totp_pending_enc = NULL, totp_enrolled_at = now(),"
     " totp_known = true, updated_at = now() WHERE login = $1 AND totp_secret_enc IS NULL"
     " RETURNING id",
     2},
    {"tool_staff_totp_get",
     "SELECT totp_secret_enc, totp_known, totp_last_step, extract(epoch FROM now())::bigint AS "
     "now_s"
     " FROM staff WHERE login = $1",
     1},
    {"tool_staff_list",
     "SELECT id, login, array_to_string(roles, ',') AS roles, active,"
     " CASE WHEN totp_secret_enc IS NOT NULL THEN 'yes' ELSE 'no' END AS totp,"
     " coalesce(to_char(last_login_at, 'YYYY-MM-DD HH24:MI'), '-') AS last_login_at FROM staff"
     " ORDER BY id",
     0},
    {NULL, NULL, 0},
};

static void
usage(void)
{
    fprintf(stderr, "usage: hall-staff -c CONF add LOGIN ROLE[,ROLE] PASSWORD\n"
                    "       hall-staff -c CONF passwd LOGIN PASSWORD\n"
                    "       hall-staff -c CONF list\n"
                    "       hall-staff -c CONF totp-reset LOGIN\n"
                    "       hall-staff -c CONF totp-set LOGIN SECRET\n"
                    "       hall-staff -c CONF totp LOGIN\n"
                    "PASSWORD - reads it from stdin; roles: reviewer finance operator report\n");
}

static int
login_ok(const char *s)
{
    size_t n = strlen(s), i;

    if (n < 2 || n > 32 || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '.' || s[i] == '-'))
            return 0;
    return 1;
}

/* staff passwords: 10-128 bytes with letters and digits */
static const char *
password_of(struct hall_pool *pool, const char *arg)
{
    char line[256];
    const char *p = arg;
    int letters = 0, digits = 0;
    size_t n;

    if (strcmp(arg, "-") == 0) {
        if (fgets(line, sizeof(line), stdin) == NULL)
            return NULL;
        line[strcspn(line, "\r\n")] = '\0';
        p = hall_pstrdup(pool, line);
    }
    n = strlen(p);
    for (arg = p; *arg != '\0'; arg++) {
        if ((*arg >= 'a' && *arg <= 'z') || (*arg >= 'A' && *arg <= 'Z'))
            letters = 1;
        else if (*arg >= '0' && *arg <= '9')
            digits = 1;
    }
    if (n < 10 || n > 128 || !letters || !digits) {
        fprintf(stderr, "hall-staff: the password needs 10-128 characters, letters and digits\n");
        return NULL;
    }
    return p;
}

static int
cmd_add(struct hall_req *req, const char *login, const char *roles, const char *pwarg)
{
    struct hall_dbres *res;
    const char *password, *hash;
    int unknown = 0;

    if (hall_staff_roles_parse(roles, &unknown) == 0 || unknown || strchr(roles, '{') != NULL ||
        strchr(roles, ' ') != NULL) {
        fprintf(stderr, "hall-staff: bad roles '%s' (reviewer, finance, operator, report)\n",
                roles);
        return 2;
    }
    res = hall_db_exec(req->cx, "tool_staff_exists", HALL_STR(login));
    if (res == NULL)
        return 1;
    /* idempotent: set-up scripts run this at every start */
    if (hall_dbres_rows(res) > 0) {
        printf("staff %s exists (id %s): unchanged\n", login, hall_dbres_str(res, 0, "id"));
        return 0;
    }
    password = password_of(req->pool, pwarg);
    if (password == NULL)
        return 2;
    hash = hall_password_hash(req->pool, password);
    if (hall_db_begin(req->cx) != HALL_OK)
        return 1;
    res = hall_db_exec(req->cx, "tool_staff_insert", HALL_STR(login), HALL_STR(hash),
                       HALL_STR(roles));
    if (res == NULL)
        return 1;
    if (hall_dbres_rows(res) == 0) {
        hall_db_rollback(req->cx);
        printf("staff %s exists: unchanged\n", login);
        return 0;
    }
    if (hall_audit(req->cx, "cli:hall-staff", "staff", hall_dbres_str(res, 0, "id"), "create", NULL,
                   "active", NULL) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return 1;
    printf("staff %s created (id %s, roles %s)\n", login, hall_dbres_str(res, 0, "id"), roles);
    return 0;
}

static int
cmd_passwd(struct hall_req *req, const char *login, const char *pwarg)
{
    const char *password = password_of(req->pool, pwarg), *hash;
    struct hall_dbres *res;

    if (password == NULL)
        return 2;
    hash = hall_password_hash(req->pool, password);
    if (hall_db_begin(req->cx) != HALL_OK)
        return 1;
    res = hall_db_exec(req->cx, "tool_staff_passwd", HALL_STR(login), HALL_STR(hash));
    if (res == NULL)
        return 1;
    if (hall_dbres_rows(res) == 0) {
        hall_db_rollback(req->cx);
        fprintf(stderr, "hall-staff: no staff %s\n", login);
        return 1;
    }
    if (hall_db_exec(req->cx, "tool_staff_sessions_drop", HALL_I64(hall_dbres_int(res, 0, "id"))) ==
            NULL ||
        hall_audit(req->cx, "cli:hall-staff", "staff", hall_dbres_str(res, 0, "id"),
                   "password_change", NULL, NULL, NULL) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return 1;
    printf("staff %s: password changed, sessions ended\n", login);
    return 0;
}

static int
cmd_list(struct hall_req *req)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "tool_staff_list");
    int i, n;

    if (res == NULL)
        return 1;
    n = hall_dbres_rows(res);
    printf("%-6s %-20s %-32s %-6s %-4s %s\n", "id", "login", "roles", "active", "totp",
           "last login");
    for (i = 0; i < n; i++)
        printf("%-6s %-20s %-32s %-6s %-4s %s\n", hall_dbres_str(res, i, "id"),
               hall_dbres_str(res, i, "login"), hall_dbres_str(res, i, "roles"),
               hall_dbres_str(res, i, "active"), hall_dbres_str(res, i, "totp"),
               hall_dbres_str(res, i, "last_login_at"));
    return 0;
}

/* the second factor forgotten: the next login after the password enrols */
static int
cmd_totp_reset(struct hall_req *req, const char *login)
{
    struct hall_dbres *res;
    const char *sid;

    if (hall_db_begin(req->cx) != HALL_OK)
        return 1;
    res = hall_db_exec(req->cx, "tool_staff_totp_reset", HALL_STR(login));
    if (res == NULL)
        return 1;
    if (hall_dbres_rows(res) == 0) {
        hall_db_rollback(req->cx);
        fprintf(stderr, "hall-staff: no staff %s\n", login);
        return 1;
    }
    sid = hall_dbres_str(res, 0, "id");
    if (hall_db_exec(req->cx, "tool_staff_recovery_drop", HALL_I64(hall_dbres_int(res, 0, "id"))) ==
            NULL ||
        hall_db_exec(req->cx, "tool_staff_sessions_drop", HALL_I64(hall_dbres_int(res, 0, "id"))) ==
            NULL ||
        hall_audit(req->cx, "cli:hall-staff", "staff", sid, "totp_reset",
                   hall_dbres_bool(res, 0, "had") ? "enrolled" : "unenrolled", "unenrolled",
                   NULL) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return 1;
    printf("staff %s: second factor and recovery codes removed, sessions ended; the next login "
           "enrols a new one\n",
           login);
    return 0;
}

/* a known secret (base32, 80-512 bits) for a member without one */
static int
cmd_totp_set(struct hall_req *req, const char *login, const char *arg)
{
    char line[256];
    unsigned char key[64], *enc;
    const char *secret = arg;
    size_t n, encn;
    struct hall_dbres *res;

    if (strcmp(arg, "-") == 0) {
        if (fgets(line, sizeof(line), stdin) == NULL)
            return 2;
        line[strcspn(line, "\r\n")] = '\0';
        secret = line;
    }
    if (hall_base32_decode(secret, key, sizeof(key), &n) != HALL_OK || n < 10) {
        fprintf(stderr, "hall-staff: the secret must be base32 (A-Z 2-7) of 10-64 bytes\n");
        return 2;
    }
    secret = hall_base32_encode(req->pool, key, n);
    enc = hall_pii_encrypt(req->pool, secret, strlen(secret), &encn);
    if (hall_db_begin(req->cx) != HALL_OK)
        return 1;
    res = hall_db_exec(req->cx, "tool_staff_totp_set", HALL_STR(login), HALL_BIN(enc, encn));
    if (res == NULL)
        return 1;
    if (hall_dbres_rows(res) == 0) {
        hall_db_rollback(req->cx);
        res = hall_db_exec(req->cx, "tool_staff_exists", HALL_STR(login));
        if (res != NULL && hall_dbres_rows(res) > 0) {
            /* idempotent: set-up scripts run this at every start */
            printf("staff %s has a second factor: unchanged\n", login);
            return 0;
        }
        fprintf(stderr, "hall-staff: no staff %s\n", login);
        return 1;
    }
    if (hall_audit(req->cx, "cli:hall-staff", "staff", hall_dbres_str(res, 0, "id"), "totp_set",
                   "unenrolled", "enrolled", NULL) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return 1;
    printf("staff %s: TOTP secret set\n", login);
    return 0;
}

/* a current code of a secret set by totp-set, one the hall has not accepted
 * yet (never of a secret a member enrolled: only their authenticator shows
 * that one) */
static int
cmd_totp(struct hall_req *req, const char *login)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "tool_staff_totp_get", HALL_STR(login));
    unsigned char key[64], *enc;
    const char *secret;
    int64_t now, step;
    size_t n;

    if (res == NULL)
        return 1;
    if (hall_dbres_rows(res) == 0) {
        fprintf(stderr, "hall-staff: no staff %s\n", login);
        return 1;
    }
    if (!hall_dbres_bool(res, 0, "totp_known")) {
        fprintf(stderr,
                "hall-staff: %s has no secret set by totp-set (an enrolled member's code "
                "is on their authenticator only)\n",
                login);
        return 1;
    }
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "totp_secret_enc"), &n);
    secret = enc != NULL ? hall_pii_decrypt(req->pool, enc, n) : NULL;
    if (secret == NULL || hall_base32_decode(secret, key, sizeof(key), &n) != HALL_OK) {
        fprintf(stderr, "hall-staff: the secret of %s cannot be read (another key?)\n", login);
        return 1;
    }
    /* a step the hall has not accepted yet: this one, the next (inside the
     * window), or after a wait for the one after that */
    now = hall_totp_step(hall_dbres_int(res, 0, "now_s"));
    step = hall_dbres_int(res, 0, "totp_last_step") + 1;
    if (step < now)
        step = now;
    if (step > now + 1) {
        unsigned wait = (unsigned)((step - 1) * HALL_TOTP_PERIOD - hall_dbres_int(res, 0, "now_s"));

        fprintf(stderr, "hall-staff: this step's code was used; waiting %u s for a new one\n",
                wait + 1);
        sleep(wait + 1);
    }
    printf("%06d\n", hall_totp_hotp(key, n, (uint64_t)step, HALL_TOTP_DIGITS));
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct hall_module mod = {"staff", NULL, tool_stmts, NULL, NULL, hall_core_stmts};
    static struct hall_app app;
    const char *cmd;
    struct hall_req *req;
    int rc;

    app.mod = &mod;
    rc = hall_tool_start(argc, argv, &app, usage, &cmd);
    if (rc != 0)
        return rc;
    req = hall_tool_req(&app);
    if (req == NULL)
        return 1;
    rc = 2;
    if (strcmp(cmd, "add") == 0 && argc - optind == 4) {
        if (!login_ok(argv[optind + 1])) {
            fprintf(stderr, "hall-staff: bad login '%s' (a-z first, then a-z 0-9 _ . -, 2-32)\n",
                    argv[optind + 1]);
        } else {
            rc = cmd_add(req, argv[optind + 1], argv[optind + 2], argv[optind + 3]);
        }
    } else if (strcmp(cmd, "passwd") == 0 && argc - optind == 3) {
        rc = cmd_passwd(req, argv[optind + 1], argv[optind + 2]);
    } else if (strcmp(cmd, "list") == 0 && argc - optind == 1) {
        rc = cmd_list(req);
    } else if (strcmp(cmd, "totp-reset") == 0 && argc - optind == 2) {
        rc = cmd_totp_reset(req, argv[optind + 1]);
    } else if (strcmp(cmd, "totp-set") == 0 && argc - optind == 3) {
        rc = cmd_totp_set(req, argv[optind + 1], argv[optind + 2]);
    } else if (strcmp(cmd, "totp") == 0 && argc - optind == 2) {
        rc = cmd_totp(req, argv[optind + 1]);
    } else {
        usage();
    }
    if (rc == 1 && hall_db_sqlstate(req->cx)[0] != '\0')
        fprintf(stderr, "hall-staff: database error, SQLSTATE %s\n", hall_db_sqlstate(req->cx));
    if (req->cx->in_tx)
        hall_db_rollback(req->cx);
    hall_pool_destroy(req->pool);
    hall_conf_free(&app.conf);
    return rc;
}
