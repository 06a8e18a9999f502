/*
 * bench/bare.c: the ceilings the hall's modules are measured against.
 *
 * A FastCGI responder with nothing of the hall in it: N prefork workers
 * accept on one unix socket (libfcgi, one connection at a time, like
 * core/web/app.c) and answer a small JSON body.  What a request costs besides
 * that is chosen with -m, each the least a hall request of that kind can do:
 *
 *   fixed   nothing (the default)
 *   select  one prepared primary-key SELECT on the hall's database (-d)
 *   insert  read the request body, INSERT it into a scratch table as one
 *           autocommitted statement (one WAL flush, like one hall
 *           transaction); the table is created at start and dropped at exit
 *   order   read the request body and write what a new order writes, with
 *           the hall's schema, as one statement (one transaction, one round
 *           trip) of plain SQL: the applicant's lock, the daily count, the
 *           order row (its checks, foreign keys and unique keys, the body as
 *           its form), the list's count, the audit row (through the chain
 *           trigger) and the revision; no validation, no encryption, none of
 *           the hall's HTTP work.  The applicants are the user ids in -U FILE,
 *           read at the first request and taken in turn
 *   read    read the whole request body (an upload) and answer its size
 *   store   read it, write it to a new file in -u DIR with one write(), fsync
 *           and close it, and unlink it: what keeping an upload costs the
 *           disk at the least (the hall also hashes and encrypts it)
 *
 * -C close makes a worker read the request to its end and close the
 * connection at once (FCGX_Detach before FCGX_Finish_r), as core/web/app.c
 * does; -C linger leaves libfcgi's lingering close (shutdown, then wait for
 * the web server to close first).  bench/run uses what the hall uses.
 *
 *   bare -s SOCKET [-w WORKERS] [-m MODE] [-d CONNINFO] [-u DIR] [-U FILE] [-C close|linger]
 *
 * Built and started by bench/run; not part of the hall.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <libpq-fe.h>

#define MAX_WORKERS 64
/* the largest body read or inserted: the hall's body_max_bytes */
#define MAX_BODY (3 * 1024 * 1024)

enum mode { MODE_FIXED, MODE_SELECT, MODE_INSERT, MODE_READ, MODE_STORE, MODE_ORDER };

static const char fixed_body[] = "{\"ok\":true,\"database\":false}";

/* a primary-key lookup on a table every hall database has */
static const char select_sql[] = "SELECT name FROM partners WHERE code = $1";

/*
 * A new order's rows as hall_order_apply writes them (sql/109), in one
 * statement: $1 the applicant, $2 the partner, $3 the product, $4 the form,
 * $5 the submit key and request id.  hall.writer set first (l, which cap
 * reads) keeps the insert triggers out, as the hall's own call does.
 */
static const char order_sql[] =
    "WITH l AS (SELECT pg_advisory_xact_lock(hashtextextended('hall-user:' || $1::text, 0)),"
    "  set_config('hall.writer', 'hall_order_apply', true)),"
    " cap AS (INSERT INTO user_daily AS d (user_id, day, orders)"
    "  SELECT $1, beijing_day(now()), 1 FROM l"
    "  ON CONFLICT (user_id, day) DO UPDATE SET orders = d.orders + 1 RETURNING d.orders),"
    " o AS (INSERT INTO orders (order_no, user_id, partner_code, business_type, product_id,"
    "  cert_type, years, seal, status, step, subject, cert_fen, shipping_fen, form_enc, form_rev,"
    "  submit_key, gift, no_publish)"
    "  SELECT 'N' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')"
    "   || order_no_serial(nextval('order_no_seq')), $1, $2, 'new', $3, 'org', 1, false,"
    "   'draft', 'info', '深圳测试科技有限公司', 48000, 1300, $4, 1, $5,"
    "   promotion_gift((SELECT p.promotion FROM partners p WHERE p.code = $2), 'new', 1, false),"
    "   coalesce((SELECT a.no_publish FROM agreement_acceptances a WHERE a.user_id = $1"
    "    AND a.context = 'flow:new' ORDER BY a.accepted_at DESC, a.id DESC LIMIT 1), false)"
    "  FROM cap RETURNING id),"
    " n AS (INSERT INTO order_counts AS c (user_id, n) SELECT $1, 1 FROM o"
    "  ON CONFLICT (user_id) DO UPDATE SET n = c.n + 1),"
    " a AS (INSERT INTO audit_log (actor, entity, entity_id, action, from_state, to_state, ip,"
    "  request_id) SELECT 'user:' || $1, 'order', id::text, 'create', NULL, 'draft', '127.0.0.1',"
    "  $5 FROM o),"
    " r AS (INSERT INTO order_revisions (order_id, rev, form_enc) SELECT id, 1, $4 FROM o)"
    " SELECT id FROM o";

/* the order mode's applicants (-U) and product, read at the first request */
static const char *users_file;
static char users[64][24];
static int nusers, next_user;
static char product[24];

static pid_t workers[MAX_WORKERS];
static int nworkers = 4;
static enum mode mode = MODE_FIXED;
static int close_at_once;
static char scratch[64];
static char *body_buf;
static const char *store_dir;

static void
respond(FCGX_Request *fr, int status, const char *body)
{
    size_t n = strlen(body);

    /* libfcgi's own printf knows no %zu: pass an unsigned long */
    FCGX_FPrintF(fr->out,
                 "Status: %d\r\nContent-Type: application/json; charset=utf-8\r\n"
                 "Cache-Control: no-store\r\nContent-Length: %lu\r\n\r\n",
                 status, (unsigned long)n);
    FCGX_PutStr(body, (int)n, fr->out);
}

/* the request body into body_buf; its length, or -1 */
static long
read_body(FCGX_Request *fr)
{
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
    long want = cl != NULL ? strtol(cl, NULL, 10) : 0, got = 0;

    if (want < 0 || want > MAX_BODY)
        return -1;
    while (got < want) {
        int n = FCGX_GetStr(body_buf + got, (int)(want - got), fr->in);

        if (n <= 0)
            return -1;
        got += n;
    }
    return got;
}

static PGresult *
db_run(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);

    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "bare: %s: %s", sql, PQerrorMessage(pg));
        PQclear(r);
        return NULL;
    }
    return r;
}

static PGconn *
db_open(const char *conninfo)
{
    PGconn *pg = PQconnectdb(conninfo);
    PGresult *r;
    char sql[256];

    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "bare: connect: %s", PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    if (mode == MODE_SELECT) {
        r = PQprepare(pg, "q", select_sql, 1, NULL);
    } else if (mode == MODE_ORDER) {
        /* int8, text, int4, bytea, text (pg_type's OIDs) */
        static const Oid types[5] = {20, 25, 23, 17, 25};

        r = PQprepare(pg, "q", order_sql, 5, types);
    } else {
        snprintf(sql, sizeof(sql), "INSERT INTO %s (payload) VALUES ($1) RETURNING id", scratch);
        r = PQprepare(pg, "q", sql, 1, NULL);
    }
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "bare: prepare: %s", PQerrorMessage(pg));
        PQclear(r);
        PQfinish(pg);
        return NULL;
    }
    PQclear(r);
    return pg;
}

/* body_buf's N bytes into a new file, made durable, then removed; 0 or -1 */
static int
store(long n)
{
    static unsigned long seq;
    char path[4096];
    long done = 0;
    int fd, rc = 0;

    snprintf(path, sizeof(path), "%s/%d-%lu", store_dir, (int)getpid(), seq++);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "bare: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (done < n) {
        ssize_t w = write(fd, body_buf + done, (size_t)(n - done));

        if (w <= 0) {
            rc = -1;
            break;
        }
        done += w;
    }
    if (rc != 0 || fsync(fd) != 0)
        rc = -1;
    if (close(fd) != 0)
        rc = -1;
    unlink(path);
    return rc;
}

/* the applicants of -U and jieyang's product of 证书新办, once; 0 or -1 */
static int
order_setup(PGconn *pg)
{
    PGresult *r;
    FILE *f;

    if (nusers > 0)
        return 0;
    f = fopen(users_file, "r");
    if (f == NULL) {
        fprintf(stderr, "bare: %s: %s\n", users_file, strerror(errno));
        return -1;
    }
    while (nusers < 64 && fscanf(f, "%23s", users[nusers]) == 1)
        nusers++;
    fclose(f);
    r = PQexec(pg, "SELECT min(id) FROM products WHERE partner_code = 'jieyang'"
                   " AND business_type = 'new' AND active");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQgetisnull(r, 0, 0) || nusers == 0) {
        fprintf(stderr, "bare: no applicants in %s, or no product\n", users_file);
        PQclear(r);
        nusers = 0;
        return -1;
    }
    snprintf(product, sizeof(product), "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    next_user = (int)getpid() % nusers;
    return 0;
}

static void
serve(FCGX_Request *fr, PGconn *pg)
{
    char body[512];
    PGresult *r;
    long n;

    switch (mode) {
    case MODE_FIXED: respond(fr, 200, fixed_body); return;
    case MODE_SELECT: {
        const char *param[1] = {"hall"};

        r = PQexecPrepared(pg, "q", 1, param, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
            /* the name is plain text from our own seed: no escaping needed */
            snprintf(body, sizeof(body), "{\"ok\":true,\"database\":true,\"name\":\"%s\"}",
                     PQgetvalue(r, 0, 0));
            respond(fr, 200, body);
        } else {
            respond(fr, 503, "{\"ok\":false,\"database\":false}");
        }
        PQclear(r);
        return;
    }
    case MODE_INSERT: {
        const char *param[1] = {body_buf};
        int len[1], fmt[1] = {1};

        n = read_body(fr);
        if (n < 0) {
            respond(fr, 400, "{\"ok\":false}");
            return;
        }
        len[0] = (int)n;
        r = PQexecPrepared(pg, "q", 1, param, len, fmt, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
            snprintf(body, sizeof(body), "{\"ok\":true,\"id\":%s}", PQgetvalue(r, 0, 0));
            respond(fr, 200, body);
        } else {
            respond(fr, 503, "{\"ok\":false,\"database\":false}");
        }
        PQclear(r);
        return;
    }
    case MODE_ORDER: {
        const char *param[5];
        int len[5] = {0, 0, 0, 0, 0}, fmt[5] = {0, 0, 0, 1, 0};
        const char *id = FCGX_GetParam("REQUEST_ID", fr->envp);

        n = read_body(fr);
        if (n < 0 || id == NULL || order_setup(pg) != 0) {
            respond(fr, n < 0 ? 400 : 503, "{\"ok\":false}");
            return;
        }
        param[0] = users[next_user++ % nusers];
        param[1] = "jieyang";
        param[2] = product;
        param[3] = body_buf;
        len[3] = (int)n;
        param[4] = id;
        r = PQexecPrepared(pg, "q", 5, param, len, fmt, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
            snprintf(body, sizeof(body), "{\"ok\":true,\"id\":%s}", PQgetvalue(r, 0, 0));
            respond(fr, 200, body);
        } else {
            fprintf(stderr, "bare: order: %s", PQerrorMessage(pg));
            respond(fr, 503, "{\"ok\":false,\"database\":false}");
        }
        PQclear(r);
        return;
    }
    case MODE_READ:
        n = read_body(fr);
        if (n < 0) {
            respond(fr, 400, "{\"ok\":false}");
            return;
        }
        snprintf(body, sizeof(body), "{\"ok\":true,\"bytes\":%ld}", n);
        respond(fr, 200, body);
        return;
    case MODE_STORE:
        n = read_body(fr);
        if (n < 0) {
            respond(fr, 400, "{\"ok\":false}");
            return;
        }
        if (store(n) != 0) {
            respond(fr, 503, "{\"ok\":false,\"stored\":false}");
            return;
        }
        snprintf(body, sizeof(body), "{\"ok\":true,\"stored\":%ld}", n);
        respond(fr, 200, body);
        return;
    }
}

/*
 * With the request read to its end nothing is left unread on the socket,
 * so closing it at once cannot make the web server see a reset.
 */
static void
finish(FCGX_Request *fr)
{
    if (close_at_once) {
        char sink[4096];

        while (FCGX_GetStr(sink, sizeof(sink), fr->in) > 0)
            ;
        FCGX_Detach(fr);
    }
    FCGX_Finish_r(fr);
}

static void
worker(int sock, const char *conninfo)
{
    FCGX_Request fr;
    PGconn *pg = NULL;

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGTERM, SIG_DFL);
    if (mode == MODE_INSERT || mode == MODE_READ || mode == MODE_STORE || mode == MODE_ORDER) {
        body_buf = malloc(MAX_BODY);
        if (body_buf == NULL)
            _exit(1);
    }
    if ((mode == MODE_SELECT || mode == MODE_INSERT || mode == MODE_ORDER) &&
        (pg = db_open(conninfo)) == NULL)
        _exit(1);
    FCGX_InitRequest(&fr, sock, 0);
    while (FCGX_Accept_r(&fr) >= 0) {
        serve(&fr, pg);
        finish(&fr);
    }
    _exit(0);
}

/* the scratch table of -m insert, by the master before the workers start */
static int
scratch_table(const char *conninfo, int create)
{
    PGconn *pg = PQconnectdb(conninfo);
    PGresult *r;
    char sql[256];

    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "bare: connect: %s", PQerrorMessage(pg));
        PQfinish(pg);
        return -1;
    }
    if (create)
        snprintf(sql, sizeof(sql),
                 "CREATE TABLE %s (id bigserial PRIMARY KEY, payload bytea NOT NULL,"
                 " created_at timestamptz NOT NULL DEFAULT now())",
                 scratch);
    else
        snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", scratch);
    r = db_run(pg, sql);
    PQclear(r);
    PQfinish(pg);
    return r != NULL ? 0 : -1;
}

static volatile sig_atomic_t stop_flag;

static void
on_term(int sig)
{
    (void)sig;
    stop_flag = 1;
}

int
main(int argc, char **argv)
{
    const char *path = NULL, *conninfo = NULL;
    struct sigaction sa;
    mode_t um;
    int opt, sock, i, died = 0;

    while ((opt = getopt(argc, argv, "s:w:m:d:u:U:C:")) != -1) {
        switch (opt) {
        case 's': path = optarg; break;
        case 'w': nworkers = atoi(optarg); break;
        case 'd': conninfo = optarg; break;
        case 'u': store_dir = optarg; break;
        case 'U': users_file = optarg; break;
        case 'm':
            if (strcmp(optarg, "fixed") == 0)
                mode = MODE_FIXED;
            else if (strcmp(optarg, "select") == 0)
                mode = MODE_SELECT;
            else if (strcmp(optarg, "insert") == 0)
                mode = MODE_INSERT;
            else if (strcmp(optarg, "read") == 0)
                mode = MODE_READ;
            else if (strcmp(optarg, "store") == 0)
                mode = MODE_STORE;
            else if (strcmp(optarg, "order") == 0)
                mode = MODE_ORDER;
            else
                goto usage;
            break;
        case 'C':
            if (strcmp(optarg, "close") == 0)
                close_at_once = 1;
            else if (strcmp(optarg, "linger") == 0)
                close_at_once = 0;
            else
                goto usage;
            break;
        default: goto usage;
        }
    }
    if (path == NULL || nworkers < 1 || nworkers > MAX_WORKERS)
        goto usage;
    if ((mode == MODE_SELECT || mode == MODE_INSERT || mode == MODE_ORDER) && conninfo == NULL)
        goto usage;
    if (mode == MODE_ORDER && users_file == NULL)
        goto usage;
    if (mode == MODE_STORE && store_dir == NULL)
        goto usage;
    if (FCGX_Init() != 0)
        return 1;
    snprintf(scratch, sizeof(scratch), "bench_bare_scratch_%d", (int)getpid());
    if (mode == MODE_INSERT && scratch_table(conninfo, 1) != 0)
        return 1;
    unlink(path);
    um = umask(0);
    sock = FCGX_OpenSocket(path, 256);
    umask(um);
    if (sock < 0) {
        fprintf(stderr, "bare: cannot listen on %s\n", path);
        died = 1;
        goto out;
    }
    /* nginx's workers may run as another user (nobody when started by root) */
    chmod(path, 0666);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    for (i = 0; i < nworkers; i++) {
        workers[i] = fork();
        if (workers[i] == 0)
            worker(sock, conninfo);
    }
    while (!stop_flag) {
        int st;
        pid_t dead = wait(&st);

        if (dead < 0 || stop_flag)
            continue; /* EINTR from SIGTERM, or a worker ended by the same signal */
        /* a worker that dies (database down) ends the run: the figure would be wrong */
        fprintf(stderr, "bare: worker %d exited\n", (int)dead);
        died = 1;
        stop_flag = 1;
    }
    for (i = 0; i < nworkers; i++)
        kill(workers[i], SIGTERM);
    while (wait(NULL) > 0)
        ;
    unlink(path);
out:
    if (mode == MODE_INSERT && scratch_table(conninfo, 0) != 0)
        died = 1;
    return died;

usage:
    fprintf(stderr,
            "usage: %s -s SOCKET [-w WORKERS] [-m fixed|select|insert|read|store|order] "
            "[-d CONNINFO] [-u DIR] [-U FILE]"
            " [-C close|linger]\n",
            argv[0]);
    return 2;
}
