/*
 * hall-staff: CA staff accounts from the command line (password hashes are
 * computed here, in C, with the same Argon2id as everything else).
 *
 * Four eyes (sql/075, docs/operations.md "Four eyes"): a new account and a
 * change of roles are requests one administrator (role admin) makes and a
 * second, different one approves, here or on /admin/approvals.  The acting
 * administrator names themself with "as LOGIN" and proves it as the
 * console's sign-in does: their password, read from the first line of
 * stdin, then their second factor from the next line, the current 6-digit
 * TOTP code or one of their recovery codes (prompts without echo on a
 * terminal).  Each step's code is accepted once, here or on /admin/login
 * (core/web/staff.c, hall_staff_factor_use); wrong passwords and codes count
 * towards the account's lock as there; the accepted factor is audited
 * (action cli_auth) and spent even when the command then fails.
 *
 *   hall-staff -c CONF init LOGIN1 LOGIN2               the first two
 *        administrators, only while no active administrator exists; their
 *        passwords are the first two lines of stdin
 *   hall-staff -c CONF add LOGIN ROLE[,ROLE] PASSWORD [LOGIN ROLE PASSWORD ...]
 *        as ACTOR [REASON]
 *        asks for accounts ("request N pending" each); an existing login is
 *        left as it is (exit 0); one proof of the actor for them all
 *   hall-staff -c CONF roles LOGIN ROLE[,ROLE] as ACTOR [REASON]
 *        asks for a member's new roles
 *   hall-staff -c CONF approve ID [ID ...] as ACTOR     a second administrator
 *   hall-staff -c CONF refuse ID as ACTOR [NOTE]        ... approves or refuses
 *   hall-staff -c CONF requests                         the pending requests
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
 * PASSWORD "-" reads the password from the next line of stdin, after the
 * actor's two (argv is visible to other users in ps).  Roles: reviewer finance operator report
 * admin.  Exit status 0 on success (also "already exists"), 1 on error
 * (also a refused approval), 2 on usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hall.h"

static const struct hall_stmt tool_stmts[] = {
    {"tool_staff_exists", "SELECT id FROM staff WHERE login = $1", 1},
    {"tool_staff_actor",
     "SELECT id, password_hash, active, 'admin' = ANY (roles) AS admin,"
     " coalesce(locked_until > now(), false) AS locked, totp_secret_enc, totp_last_step,"
     " extract(epoch FROM now())::bigint AS now_s FROM staff WHERE login = $1 FOR UPDATE",
     1},
    /* init: one at a time, and only while no administrator is active */
    {"tool_staff_lock", "LOCK TABLE staff IN SHARE ROW EXCLUSIVE MODE", 0},
    {"tool_staff_admins", "SELECT count(*) AS n FROM staff WHERE active AND 'admin' = ANY (roles)",
     0},
    {"tool_requests",
     "SELECT r.id, r.kind, r.subject, r.payload->>'roles' AS roles, s.login AS requested_by,"
     " to_char(r.created_at, 'YYYY-MM-DD HH24:MI') AS created_at, r.reason"
     " FROM staff_requests r JOIN staff s ON s.id = r.requested_by WHERE r.state = 'pending'"
     " ORDER BY r.id",
     0},
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
    fprintf(stderr,
            "usage: hall-staff -c CONF init LOGIN1 LOGIN2   (passwords: two lines of stdin)\n"
            "       hall-staff -c CONF add LOGIN ROLE[,ROLE] PASSWORD [LOGIN ROLE PASSWORD ...] as "
            "ACTOR [REASON]\n"
            "       hall-staff -c CONF roles LOGIN ROLE[,ROLE] as ACTOR [REASON]\n"
            "       hall-staff -c CONF approve ID [ID ...] as ACTOR\n"
            "       hall-staff -c CONF refuse ID as ACTOR [NOTE]\n"
            "       hall-staff -c CONF requests\n"
            "       hall-staff -c CONF passwd LOGIN PASSWORD\n"
            "       hall-staff -c CONF list\n"
            "       hall-staff -c CONF totp-reset LOGIN\n"
            "       hall-staff -c CONF totp-set LOGIN SECRET\n"
            "       hall-staff -c CONF totp LOGIN\n"
            "ACTOR: an administrator (role admin); their password is the first line of stdin,\n"
            "their current TOTP code (or a recovery code) the second.\n"
            "PASSWORD - reads it from the next line; roles: reviewer finance operator report "
            "admin\n");
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

static const char *
roles_ok(const char *roles)
{
    int unknown = 0;

    if (hall_staff_roles_parse(roles, &unknown) == 0 || unknown || strchr(roles, '{') != NULL ||
        strchr(roles, ' ') != NULL) {
        fprintf(stderr, "hall-staff: bad roles '%s' (reviewer, finance, operator, report, admin)\n",
                roles);
        return NULL;
    }
    return roles;
}

/* one line of stdin, without echo when it is a terminal */
static const char *
secret_line(struct hall_pool *pool, const char *prompt)
{
    struct termios old, quiet;
    char line[256];
    int tty = isatty(STDIN_FILENO);
    char *got;

    if (tty) {
        fprintf(stderr, "%s", prompt);
        if (tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        } else {
            tty = 0;
        }
    }
    got = fgets(line, sizeof(line), stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (got == NULL)
        return NULL;
    line[strcspn(line, "\r\n")] = '\0';
    return hall_pstrdup(pool, line);
}

/* a wrong password or code of the actor: counted towards the lock (as at
 * /admin/login), committed so that the count survives this run's rollback */
static void
actor_failed(struct hall_req *req, int64_t id, const char *login, const char *what)
{
    int64_t fails = 0;
    int rc = hall_staff_failed(req->cx, id, "cli:hall-staff", &fails);

    if (rc != HALL_ERR)
        hall_db_commit(req->cx);
    fprintf(stderr, "hall-staff: wrong %s of %s%s\n", what, login,
            rc == HALL_CONFLICT ? "; the account is locked now" : "");
}

/*
 * The acting administrator, in a transaction begun here: active, not
 * locked, role admin, their password (stdin's first line), then their
 * second factor (the next line), by the console's rule.  The accepted
 * factor is spent, the failures cleared and the proof audited in a
 * transaction committed here; the caller goes on in a new one.  The staff
 * id, or 0 (said on stderr).
 */
static int64_t
actor_check(struct hall_req *req, const char *login, const char *command)
{
    /* verified for unknown logins too: equal time, no hint (admin.c's) */
    static const char dummy_hash[] = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                                     "qu7YaNBUVdA7W90s0oDV3Q/BGYy/YVhx+BlWYiF8kZ8";
    const char *password =
        secret_line(req->pool, hall_psprintf(req->pool, "password of %s: ", login));
    const char *code, *secret, *how;
    struct hall_dbres *res;
    struct hall_val *detail;
    unsigned char *enc;
    char *digits;
    size_t n, i, o;
    int64_t id, left;
    int rc;

    if (hall_db_begin(req->cx) != HALL_OK)
        return 0;
    if (password == NULL) {
        fprintf(stderr, "hall-staff: no password of %s on stdin\n", login);
        return 0;
    }
    res = hall_db_exec(req->cx, "tool_staff_actor", HALL_STR(login));
    if (res == NULL)
        return 0;
    if (hall_dbres_rows(res) == 0 || !hall_dbres_bool(res, 0, "active")) {
        hall_password_verify(dummy_hash, password);
        fprintf(stderr, "hall-staff: wrong login or password of %s\n", login);
        return 0;
    }
    id = hall_dbres_int(res, 0, "id");
    if (hall_dbres_bool(res, 0, "locked")) {
        fprintf(stderr, "hall-staff: %s is locked after too many wrong passwords or codes\n",
                login);
        return 0;
    }
    if (hall_password_verify(hall_dbres_str(res, 0, "password_hash"), password) != HALL_OK) {
        actor_failed(req, id, login, "login or password");
        return 0;
    }
    if (!hall_dbres_bool(res, 0, "admin")) {
        fprintf(stderr, "hall-staff: %s is not an administrator (role admin)\n", login);
        return 0;
    }
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "totp_secret_enc"), &n);
    if (enc == NULL) {
        fprintf(stderr,
                "hall-staff: %s has no second factor yet: sign in once at /admin/login to "
                "enrol one, then act here with its code\n",
                login);
        return 0;
    }
    secret = hall_pii_decrypt(req->pool, enc, n);
    if (secret == NULL) {
        fprintf(stderr, "hall-staff: the secret of %s cannot be read (another key?)\n", login);
        return 0;
    }
    code = secret_line(req->pool,
                       hall_psprintf(req->pool, "TOTP code of %s (or a recovery code): ", login));
    if (code == NULL) {
        fprintf(stderr, "hall-staff: no TOTP code of %s on stdin (the line after the password)\n",
                login);
        return 0;
    }
    /* "123 456" as an authenticator shows it */
    digits = hall_pstrdup(req->pool, code);
    for (i = 0, o = 0; code[i] != '\0'; i++)
        if (code[i] != ' ')
            digits[o++] = code[i];
    digits[o] = '\0';
    rc = hall_staff_factor_use(req->cx, id, secret, hall_dbres_int(res, 0, "now_s"),
                               hall_dbres_int(res, 0, "totp_last_step"), digits, &how, &left);
    if (rc == HALL_ERR)
        return 0;
    if (rc == HALL_CONFLICT) {
        actor_failed(req, id, login, "or used TOTP code");
        return 0;
    }
    detail = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, detail, "factor", how);
    hall_val_set_str(req->pool, detail, "command", command);
    if (hall_staff_failures_clear(req->cx, id) == NULL ||
        hall_audit(req->cx, "cli:hall-staff", "staff",
                   hall_psprintf(req->pool, "%lld", (long long)id), "cli_auth", NULL, NULL,
                   detail) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK || hall_db_begin(req->cx) != HALL_OK)
        return 0;
    if (strcmp(how, "recovery") == 0)
        fprintf(stderr, "hall-staff: a recovery code of %s used; %lld left\n", login,
                (long long)left);
    return id;
}

/* "... as ACTOR [TEXT]" ending argv, after a list from argv[first] of
 * entries of per arguments: the number of entries (at least 1), *actor and
 * *text (or dflt); -1 when the words do not have that shape */
static int
as_of(int argc, char **argv, int first, int per, const char **actor, const char **text,
      const char *dflt)
{
    int k;

    for (k = argc - 2; k >= argc - 3; k--) {
        if (k <= first || strcmp(argv[k], "as") != 0 || (k - first) % per != 0)
            continue;
        *actor = argv[k + 1];
        *text = k + 2 < argc ? argv[k + 2] : dflt;
        if ((k + 2 < argc && **text == '\0') || strlen(*text) > 200) {
            fprintf(stderr, "hall-staff: the reason needs 1-200 bytes\n");
            return -1;
        }
        return (k - first) / per;
    }
    return -1;
}

static int
cmd_init(struct hall_req *req, const char *a, const char *b)
{
    const char *logins[2] = {a, b};
    struct hall_dbres *res;
    int i;

    if (!login_ok(a) || !login_ok(b) || strcmp(a, b) == 0) {
        fprintf(stderr, "hall-staff: init needs two different logins (a-z first, then a-z 0-9 "
                        "_ . -, 2-32)\n");
        return 2;
    }
    if (hall_db_begin(req->cx) != HALL_OK || hall_db_exec(req->cx, "tool_staff_lock") == NULL)
        return 1;
    res = hall_db_exec(req->cx, "tool_staff_admins");
    if (res == NULL)
        return 1;
    if (hall_dbres_int(res, 0, "n") > 0) {
        hall_db_rollback(req->cx);
        printf("administrators exist: unchanged (new accounts: hall-staff add ... as LOGIN)\n");
        return 0;
    }
    for (i = 0; i < 2; i++) {
        const char *password = password_of(req->pool, "-"), *id;
        struct hall_val *detail = hall_val_obj(req->pool);

        if (password == NULL)
            return 2;
        res =
            hall_staff_insert(req->cx, logins[i], hall_password_hash(req->pool, password), "admin");
        if (res == NULL)
            return 1;
        if (hall_dbres_rows(res) == 0) {
            fprintf(stderr, "hall-staff: login %s exists; init makes two new accounts\n",
                    logins[i]);
            return 1;
        }
        id = hall_dbres_str(res, 0, "id");
        hall_val_set_str(req->pool, detail, "roles", "admin");
        hall_val_set_str(req->pool, detail, "how", "init: no active administrator");
        if (hall_audit(req->cx, "cli:hall-staff", "staff", id, "create", NULL, "active", detail) !=
            HALL_OK)
            return 1;
    }
    if (hall_db_commit(req->cx) != HALL_OK)
        return 1;
    printf("administrators %s and %s created (role admin)\n", a, b);
    return 0;
}

/* add and roles: a pending request of the actor for each login, printed;
 * args: n entries of LOGIN ROLES (add: LOGIN ROLES PASSWORD) */
static int
cmd_request(struct hall_req *req, const char *kind, char **args, int n, const char *actor,
            const char *reason)
{
    int add = strcmp(kind, "staff_add") == 0, per = add ? 3 : 2, i, fresh = 0, rc = 0;
    int *exists = hall_pcalloc(req->pool, sizeof(int) * (size_t)(n > 0 ? n : 1));
    const char **hashes = hall_pcalloc(req->pool, sizeof(char *) * (size_t)(n > 0 ? n : 1));
    struct hall_dbres *res;
    int64_t who;

    for (i = 0; i < n; i++)
        if (roles_ok(args[i * per + 1]) == NULL)
            return 2;
    for (i = 0; i < n; i++) {
        const char *login = args[i * per];

        res = hall_db_exec(req->cx, "tool_staff_exists", HALL_STR(login));
        if (res == NULL)
            return 1;
        exists[i] = hall_dbres_rows(res) > 0;
        /* idempotent: set-up scripts run this at every start */
        if (add && exists[i])
            printf("staff %s exists (id %s): unchanged\n", login, hall_dbres_str(res, 0, "id"));
        if (!add && !exists[i]) {
            fprintf(stderr, "hall-staff: no staff %s\n", login);
            return 1;
        }
        fresh += add ? !exists[i] : 1;
    }
    if (fresh == 0)
        return 0;
    who = actor_check(req, actor, add ? "add" : "roles");
    if (who == 0)
        return 1;
    /* the new passwords after the actor's lines, each in its place */
    for (i = 0; add && i < n; i++) {
        const char *password = password_of(req->pool, args[i * per + 2]);

        if (password == NULL)
            return 2;
        if (!exists[i])
            hashes[i] = hall_password_hash(req->pool, password);
    }
    for (i = 0; i < n; i++) {
        const char *login = args[i * per], *roles = args[i * per + 1];
        struct hall_val *payload = hall_val_obj(req->pool);
        int64_t id = 0;
        int r;

        if (add && exists[i])
            continue;
        hall_val_set_str(req->pool, payload, "login", login);
        hall_val_set_str(req->pool, payload, "roles", roles);
        if (add)
            hall_val_set_str(req->pool, payload, "password_hash", hashes[i]);
        if (!req->cx->in_tx && hall_db_begin(req->cx) != HALL_OK)
            return 1;
        r = hall_approval_request(req->cx, kind, login, payload, who, reason, &id);
        if (r == HALL_CONFLICT) {
            struct hall_approval a;

            hall_db_rollback(req->cx);
            if (hall_approval_pending_of(req->cx, kind, login, &a) > 0) {
                printf("request %lld pending: %s %s, asked by %s (unchanged)\n", (long long)a.id,
                       kind, login, a.requested_login);
                continue;
            }
            rc = 1;
            continue;
        }
        if (r != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
            return 1;
        printf("request %lld pending: %s %s roles %s, asked by %s\n"
               "a second administrator approves it: hall-staff -c CONF approve %lld as LOGIN"
               " (or on /admin/approvals)\n",
               (long long)id, kind, login, roles, actor, (long long)id);
    }
    return rc;
}

/* approve (several ids) or refuse (one, with its note) */
static int
cmd_decide(struct hall_req *req, char **ids, int n, int approve, const char *actor,
           const char *note)
{
    long long *idv = hall_pcalloc(req->pool, sizeof(long long) * (size_t)(n > 0 ? n : 1));
    int64_t who;
    int i, rc = 0;

    for (i = 0; i < n; i++) {
        char *end;

        idv[i] = strtoll(ids[i], &end, 10);
        if (*ids[i] == '\0' || *end != '\0' || idv[i] <= 0) {
            fprintf(stderr, "hall-staff: bad request id '%s'\n", ids[i]);
            return 2;
        }
    }
    who = actor_check(req, actor, approve ? "approve" : "refuse");
    if (who == 0)
        return 1;
    for (i = 0; i < n; i++) {
        struct hall_approval a;
        long long id = idv[i];
        int r;

        if (!req->cx->in_tx && hall_db_begin(req->cx) != HALL_OK)
            return 1;
        r = hall_approval_decide(req->cx, id, "staff_add,staff_roles", who, approve, note, &a);
        if (r == HALL_OK && approve) {
            r = hall_approval_staff_apply(req->cx, &a, who);
            if (r == HALL_CONFLICT) {
                fprintf(stderr, "hall-staff: %s %s: the login %s; refuse the request\n", a.kind,
                        a.subject, strcmp(a.kind, "staff_add") == 0 ? "exists" : "is gone");
                r = HALL_ERR;
            }
        } else if (r == HALL_APPROVAL_UNKNOWN) {
            fprintf(stderr, "hall-staff: no staff account request %lld\n", id);
        } else if (r == HALL_APPROVAL_SELF) {
            fprintf(stderr,
                    "hall-staff: %s asked request %lld: a second administrator decides it\n", actor,
                    id);
        } else if (r == HALL_APPROVAL_ROLE) {
            fprintf(stderr, "hall-staff: %s is not an administrator\n", actor);
        } else if (r == HALL_CONFLICT) {
            fprintf(stderr, "hall-staff: request %lld is decided already\n", id);
        }
        if (r != HALL_OK || hall_db_commit(req->cx) != HALL_OK) {
            if (req->cx->in_tx)
                hall_db_rollback(req->cx);
            rc = 1;
            continue;
        }
        printf("request %lld %s: %s %s (asked by %s, decided by %s)\n", id,
               approve ? "approved" : "refused", a.kind, a.subject, a.requested_login, actor);
    }
    return rc;
}

/* a listing: statement stmt's rows, the columns cols (NULL-ended) each
 * left-aligned in its width (0: the last, as long as it is) under its
 * head */
static int
print_rows(struct hall_req *req, const char *stmt, const char *const *cols,
           const char *const *heads, const int *widths)
{
    struct hall_dbres *res = hall_db_exec(req->cx, stmt);
    int i, c;

    if (res == NULL)
        return 1;
    for (i = -1; i < hall_dbres_rows(res); i++) {
        for (c = 0; cols[c] != NULL; c++)
            printf(cols[c + 1] != NULL ? "%-*s " : "%*s\n", cols[c + 1] != NULL ? widths[c] : 0,
                   i < 0 ? heads[c] : hall_dbres_str(res, i, cols[c]));
    }
    return 0;
}

static int
cmd_requests(struct hall_req *req)
{
    static const char *const cols[] = {"id",           "kind",       "subject", "roles",
                                       "requested_by", "created_at", "reason",  NULL};
    static const char *const heads[] = {"id",       "kind",     "subject", "roles",
                                        "asked by", "asked at", "reason"};
    static const int widths[] = {6, 12, 20, 24, 12, 16, 0};

    return print_rows(req, "tool_requests", cols, heads, widths);
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
    res = hall_staff_passwd(req->cx, login, hash);
    if (res == NULL)
        return 1;
    if (hall_dbres_rows(res) == 0) {
        hall_db_rollback(req->cx);
        fprintf(stderr, "hall-staff: no staff %s\n", login);
        return 1;
    }
    if (hall_staff_sessions_drop(req->cx, hall_dbres_int(res, 0, "id")) == NULL ||
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
    static const char *const cols[] = {"id",   "login",         "roles", "active",
                                       "totp", "last_login_at", NULL};
    static const char *const heads[] = {"id", "login", "roles", "active", "totp", "last login"};
    static const int widths[] = {6, 20, 32, 6, 4, 0};

    return print_rows(req, "tool_staff_list", cols, heads, widths);
}

/* the second factor forgotten: the next login after the password enrols */
static int
cmd_totp_reset(struct hall_req *req, const char *login)
{
    struct hall_dbres *res;
    const char *sid;

    if (hall_db_begin(req->cx) != HALL_OK)
        return 1;
    res = hall_staff_totp_reset(req->cx, login);
    if (res == NULL)
        return 1;
    if (hall_dbres_rows(res) == 0) {
        hall_db_rollback(req->cx);
        fprintf(stderr, "hall-staff: no staff %s\n", login);
        return 1;
    }
    sid = hall_dbres_str(res, 0, "id");
    if (hall_staff_recovery_clear(req->cx, hall_dbres_int(res, 0, "id")) == NULL ||
        hall_staff_sessions_drop(req->cx, hall_dbres_int(res, 0, "id")) == NULL ||
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
    res = hall_staff_totp_set(req->cx, login, enc, encn);
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
    static const struct hall_module mod = {"staff",         NULL, tool_stmts, NULL, NULL,
                                           hall_core_stmts, NULL, NULL};
    static struct hall_app app;
    const char *cmd, *actor, *text = NULL;
    struct hall_req *req;
    int rc, nargs, nids;

    app.mod = &mod;
    rc = hall_tool_start(argc, argv, &app, usage, &cmd);
    if (rc != 0)
        return rc;
    req = hall_tool_req(&app);
    if (req == NULL)
        return 1;
    rc = 2;
    nargs = argc - optind;
    if (strcmp(cmd, "init") == 0 && nargs == 3) {
        rc = cmd_init(req, argv[optind + 1], argv[optind + 2]);
    } else if (strcmp(cmd, "add") == 0 && nargs >= 4) {
        int n = as_of(argc, argv, optind + 1, 3, &actor, &text, "新建工作人员账号"), i;

        if (n < 0) {
            fprintf(stderr, "hall-staff: a new account needs two people: add LOGIN ROLES "
                            "PASSWORD [LOGIN ROLES PASSWORD ...] as YOUR_LOGIN [REASON] (the "
                            "first two: init)\n");
        } else {
            for (i = 0; i < n && login_ok(argv[optind + 1 + 3 * i]); i++)
                ;
            if (i < n)
                fprintf(stderr,
                        "hall-staff: bad login '%s' (a-z first, then a-z 0-9 _ . -, 2-32)\n",
                        argv[optind + 1 + 3 * i]);
            else
                rc = cmd_request(req, "staff_add", argv + optind + 1, n, actor, text);
        }
    } else if (strcmp(cmd, "roles") == 0 && nargs >= 3 &&
               as_of(argc, argv, optind + 1, 2, &actor, &text, "变更工作人员角色") == 1) {
        rc = cmd_request(req, "staff_roles", argv + optind + 1, 1, actor, text);
    } else if (strcmp(cmd, "approve") == 0 && nargs >= 2 &&
               (nids = as_of(argc, argv, optind + 1, 1, &actor, &text, "")) > 0) {
        rc = cmd_decide(req, argv + optind + 1, nids, 1, actor, text);
    } else if (strcmp(cmd, "refuse") == 0 && nargs >= 2 &&
               as_of(argc, argv, optind + 1, 1, &actor, &text, "") == 1) {
        rc = cmd_decide(req, argv + optind + 1, 1, 0, actor, text);
    } else if (strcmp(cmd, "requests") == 0 && nargs == 1) {
        rc = cmd_requests(req);
    } else if (strcmp(cmd, "passwd") == 0 && nargs == 3) {
        rc = cmd_passwd(req, argv[optind + 1], argv[optind + 2]);
    } else if (strcmp(cmd, "list") == 0 && nargs == 1) {
        rc = cmd_list(req);
    } else if (strcmp(cmd, "totp-reset") == 0 && nargs == 2) {
        rc = cmd_totp_reset(req, argv[optind + 1]);
    } else if (strcmp(cmd, "totp-set") == 0 && nargs == 3) {
        rc = cmd_totp_set(req, argv[optind + 1], argv[optind + 2]);
    } else if (strcmp(cmd, "totp") == 0 && nargs == 2) {
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
