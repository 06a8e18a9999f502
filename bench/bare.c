/*
 * bench/bare.c: the ceiling the hall's modules are measured against.
 *
 * A FastCGI responder with nothing of the hall in it: N prefork workers
 * accept on one unix socket (libfcgi, one connection at a time, like
 * core/app.c) and answer a fixed JSON body.  With -d CONNINFO each worker
 * also opens one libpq connection, prepares a primary-key SELECT at start
 * and runs it once per request, which is the least a request that touches
 * the database can cost.
 *
 *   bare -s SOCKET [-w WORKERS] [-d CONNINFO]
 *
 * Built and started by bench/run; not part of the hall.
 */
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

static const char fixed_body[] = "{\"ok\":true,\"database\":false}";

/* a primary-key lookup on a table every hall database has */
static const char select_sql[] = "SELECT name FROM partners WHERE code = $1";

static pid_t workers[MAX_WORKERS];
static int nworkers = 4;

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

static PGconn *
db_open(const char *conninfo)
{
    PGconn *pg = PQconnectdb(conninfo);
    PGresult *r;

    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "bare: connect: %s", PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    r = PQprepare(pg, "pk", select_sql, 1, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "bare: prepare: %s", PQerrorMessage(pg));
        PQclear(r);
        PQfinish(pg);
        return NULL;
    }
    PQclear(r);
    return pg;
}

static void
worker(int sock, const char *conninfo)
{
    FCGX_Request fr;
    PGconn *pg = NULL;
    char body[512];

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGTERM, SIG_DFL);
    if (conninfo != NULL && (pg = db_open(conninfo)) == NULL)
        _exit(1);
    FCGX_InitRequest(&fr, sock, 0);
    while (FCGX_Accept_r(&fr) >= 0) {
        if (pg == NULL) {
            respond(&fr, 200, fixed_body);
        } else {
            const char *param[1] = {"hall"};
            PGresult *r = PQexecPrepared(pg, "pk", 1, param, NULL, NULL, 0);

            if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
                /* the name is plain text from our own seed: no escaping needed */
                snprintf(body, sizeof(body), "{\"ok\":true,\"database\":true,\"name\":\"%s\"}",
                         PQgetvalue(r, 0, 0));
                respond(&fr, 200, body);
            } else {
                respond(&fr, 503, "{\"ok\":false,\"database\":false}");
            }
            PQclear(r);
        }
        FCGX_Finish_r(&fr);
    }
    _exit(0);
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

    while ((opt = getopt(argc, argv, "s:w:d:")) != -1) {
        switch (opt) {
        case 's': path = optarg; break;
        case 'w': nworkers = atoi(optarg); break;
        case 'd': conninfo = optarg; break;
        default: goto usage;
        }
    }
    if (path == NULL || nworkers < 1 || nworkers > MAX_WORKERS)
        goto usage;
    if (FCGX_Init() != 0)
        return 1;
    unlink(path);
    um = umask(0);
    sock = FCGX_OpenSocket(path, 256);
    umask(um);
    if (sock < 0) {
        fprintf(stderr, "bare: cannot listen on %s\n", path);
        return 1;
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

        if (dead < 0)
            continue; /* EINTR from SIGTERM */
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
    return died;

usage:
    fprintf(stderr, "usage: %s -s SOCKET [-w WORKERS] [-d CONNINFO]\n", argv[0]);
    return 2;
}
