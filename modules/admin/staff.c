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
 *
 * PASSWORD "-" reads the password from the first line of stdin (argv is
 * visible to other users in ps).  Roles: reviewer finance operator report.
 * Exit status 0 on success (also "already exists"), 1 on error, 2 on usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

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
    {"tool_staff_list",
     "SELECT id, login, array_to_string(roles, ',') AS roles, active,"
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
    printf("%-6s %-20s %-32s %-6s %s\n", "id", "login", "roles", "active", "last login");
    for (i = 0; i < n; i++)
        printf("%-6s %-20s %-32s %-6s %s\n", hall_dbres_str(res, i, "id"),
               hall_dbres_str(res, i, "login"), hall_dbres_str(res, i, "roles"),
               hall_dbres_str(res, i, "active"), hall_dbres_str(res, i, "last_login_at"));
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
