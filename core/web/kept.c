/*
 * core/web/kept.c: the FastCGI connections nginx keeps open to a module
 * (app->keep_conn: the OCSP responder), each worker serving every one it
 * holds, their requests read without libfcgi (kept.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "web/kept.h"
#include "web/web.h"

/*
 * A module whose nginx location keeps its FastCGI connections open
 * (app->keep_conn): libfcgi alone would wait for the next request on the
 * connection it served last, while nginx sends it on whichever idle
 * connection it picks, perhaps one this worker holds too, and new
 * connections would queue behind held ones.  So each worker waits (epoll)
 * on the listening socket (EPOLLEXCLUSIVE: one worker woken per new
 * connection; accept made non-blocking, another worker may take it) and on
 * every connection it holds, and serves the one that has a request.
 *
 * Such a connection's requests are read here, not by libfcgi: its
 * FCGX_Accept_r and FCGX_Finish_r allocate and free three streams of 8 KiB
 * and every parameter for each request, about half of an OCSP answer's
 * instructions in the worker (bench/ocsp-instr).  A held connection keeps
 * its buffers from one request to the next; the request is handed to the
 * core as an FCGX_Request whose parameters (envp) and body (in, a stream
 * over memory that ends where the body does) point into them, and the
 * answer goes out in one writev (write_whole).  nginx sends a connection's
 * next request only after the answer to the last, and never multiplexes.
 */
#define KEPT_MAX    256
#define KEPT_PARAMS 64

struct kept {
    FCGX_Request fr;
    FCGX_Stream in, out;
    unsigned char *buf; /* bytes read from the connection: [off, len) unread */
    size_t off, len, cap;
    char *params, *body, *env; /* FCGI_PARAMS, FCGI_STDIN, "NAME=value" strings */
    size_t plen, pcap, blen, bcap, ecap;
    char *envp[KEPT_PARAMS + 1];
};

/* grow *p (capacity *cap) to hold need bytes */
static int
kept_room(void *pp, size_t *cap, size_t need)
{
    char **p = pp, *n;
    size_t c = *cap > 0 ? *cap : 4096;

    if (need <= *cap)
        return 0;
    while (c < need)
        c *= 2;
    if ((n = realloc(*p, c)) == NULL)
        return -1;
    *p = n;
    *cap = c;
    return 0;
}

/* a name-value length (FastCGI 3.4): 1 byte, or 4 with the top bit set */
static int
kept_len(const unsigned char **p, const unsigned char *end, size_t *len)
{
    if (*p >= end)
        return -1;
    if ((**p & 0x80) == 0) {
        *len = *(*p)++;
        return 0;
    }
    if (end - *p < 4)
        return -1;
    *len = ((size_t)((*p)[0] & 0x7f) << 24) | ((size_t)(*p)[1] << 16) | ((size_t)(*p)[2] << 8) |
           (*p)[3];
    *p += 4;
    return 0;
}

/* the FCGI_PARAMS into k->envp: "NAME=value" strings */
static int
kept_env(struct kept *k)
{
    const unsigned char *p = (const unsigned char *)k->params, *end = p + k->plen;
    size_t n = 0, at = 0, nl, vl;

    /* each pair takes at least 2 bytes of lengths, for an '=' and a NUL */
    if (kept_room(&k->env, &k->ecap, k->plen + 1) != 0)
        return -1;
    while (p < end) {
        if (kept_len(&p, end, &nl) != 0 || kept_len(&p, end, &vl) != 0 || (size_t)(end - p) < nl ||
            (size_t)(end - p) - nl < vl || n == KEPT_PARAMS)
            return -1;
        k->envp[n++] = k->env + at;
        memcpy(k->env + at, p, nl);
        k->env[at + nl] = '=';
        memcpy(k->env + at + nl + 1, p + nl, vl);
        k->env[at + nl + 1 + vl] = '\0';
        at += nl + vl + 2;
        p += nl + vl;
    }
    k->envp[n] = NULL;
    return 0;
}

/* the body stream's end: no more bytes */
static void
kept_eof(FCGX_Stream *in)
{
    in->isClosed = 1;
}

/* the answer stream: write_whole writes every answer the hall makes (up
 * to RECS_MAX records); anything it leaves is an error, and the
 * connection is closed after it */
static void
kept_full(FCGX_Stream *out, int closing)
{
    (void)closing;
    out->isClosed = 1;
    out->FCGI_errno = EFBIG;
}

/* one whole request of k's connection into k->fr: 0, or -1 when the
 * connection ended or broke a rule (it is then closed) */
static int
kept_read(struct kept *k, long body_max)
{
    int begun = 0, params_done = 0;

    k->plen = k->blen = 0;
    for (;;) {
        while (k->len - k->off >= FCGI_HEADER_LEN) {
            const unsigned char *h = k->buf + k->off, *c = h + FCGI_HEADER_LEN;
            size_t clen = (size_t)h[4] << 8 | h[5], rec = FCGI_HEADER_LEN + clen + h[6];
            int id = h[2] << 8 | h[3];

            if (k->len - k->off < rec)
                break;
            k->off += rec;
            if (h[0] != FCGI_VERSION_1)
                return -1;
            switch (h[1]) {
            case FCGI_BEGIN_REQUEST:
                if (begun || clen < 8 || (c[0] << 8 | c[1]) != FCGI_RESPONDER)
                    return -1;
                begun = 1;
                k->fr.requestId = id;
                k->fr.keepConnection = (c[2] & FCGI_KEEP_CONN) != 0;
                break;
            case FCGI_PARAMS:
                if (!begun || id != k->fr.requestId || params_done)
                    return -1;
                if (clen == 0) {
                    params_done = 1;
                    if (kept_env(k) != 0)
                        return -1;
                } else {
                    if (k->plen + clen > 1024 * 1024 ||
                        kept_room(&k->params, &k->pcap, k->plen + clen) != 0)
                        return -1;
                    memcpy(k->params + k->plen, c, clen);
                    k->plen += clen;
                }
                break;
            case FCGI_STDIN:
                if (!params_done || id != k->fr.requestId)
                    return -1;
                if (clen == 0) { /* the whole request */
                    k->fr.envp = k->envp;
                    memset(&k->in, 0, sizeof(k->in));
                    k->in.isReader = 1;
                    k->in.rdNext = k->in.stopUnget = (unsigned char *)k->body;
                    k->in.stop = (unsigned char *)k->body + k->blen;
                    k->in.fillBuffProc = kept_eof;
                    memset(&k->out, 0, sizeof(k->out));
                    k->out.emptyBuffProc = kept_full;
                    k->fr.in = &k->in;
                    k->fr.out = &k->out;
                    k->fr.err = NULL;
                    return 0;
                }
                /* nginx bounds a body (client_max_body_size); the core
                 * refuses one over body_max_bytes before reading it */
                if (k->blen + clen > (size_t)body_max + 65536 ||
                    kept_room(&k->body, &k->bcap, k->blen + clen) != 0)
                    return -1;
                memcpy(k->body + k->blen, c, clen);
                k->blen += clen;
                break;
            case FCGI_ABORT_REQUEST: return -1;
            default: /* FCGI_GET_VALUES and the like: nginx sends none */ break;
            }
        }
        if (k->off > 0) { /* what is left of a record to the front */
            memmove(k->buf, k->buf + k->off, k->len - k->off);
            k->len -= k->off;
            k->off = 0;
        }
        if (k->len == k->cap && kept_room(&k->buf, &k->cap, k->cap + 1) != 0)
            return -1;
        for (;;) {
            ssize_t n = read(k->fr.ipcFd, k->buf + k->len, k->cap - k->len);

            if (n > 0) {
                k->len += (size_t)n;
                break;
            }
            if (n < 0 && errno == EINTR)
                continue;
            return -1;
        }
    }
}

/* a connection keeps small buffers only: a large body (up to nginx's 3 MiB,
 * an OCSP request is under 1 KiB) is not held on to by each of 256
 * connections between requests */
#define KEPT_KEEP (64 * 1024)

static void
kept_trim(struct kept *k)
{
    if (k->bcap > KEPT_KEEP) {
        free(k->body);
        k->body = NULL;
        k->bcap = 0;
    }
    if (k->pcap > KEPT_KEEP || k->ecap > KEPT_KEEP) {
        free(k->params);
        free(k->env);
        k->params = k->env = NULL;
        k->pcap = k->ecap = 0;
    }
    if (k->cap > 2 * KEPT_KEEP && k->off == k->len) {
        free(k->buf);
        k->buf = NULL;
        k->cap = k->off = k->len = 0;
    }
}

/* the prefork master of this worker (hall_prefork sets it before the fork) */
static pid_t kept_master;

void
hall_worker_master_set(pid_t pid)
{
    kept_master = pid;
}

int
hall_worker_orphaned(FCGX_Request *fr)
{
    static const char busy[] = "Status: 503 Service Unavailable\r\n"
                               "Content-Type: text/plain; charset=utf-8\r\n"
                               "Retry-After: 1\r\n\r\n"
                               "\xe7\xb3\xbb\xe7\xbb\x9f\xe7\xb9\x81\xe5\xbf\x99"
                               "\xef\xbc\x8c\xe8\xaf\xb7\xe7\xa8\x8d\xe5\x90\x8e"
                               "\xe5\x86\x8d\xe8\xaf\x95\n";

    /* one system call a request: a worker whose master died answers no
     * more (a 503 for the request it took; fr NULL: none, the connection
     * is closed) and exits, whatever became of the signal that should
     * have ended it */
    if (getppid() == kept_master)
        return 0;
    if (fr != NULL) {
        FCGX_PutStr(busy, (int)sizeof(busy) - 1, fr->out);
        FCGX_Finish_r(fr);
    }
    hall_log(HALL_LOG_WARN, NULL, "msg=\"the master is gone: worker exits\" pid=%d", (int)getpid());
    return 1;
}

static void
kept_close(struct kept *k)
{
    if (k->fr.ipcFd >= 0)
        close(k->fr.ipcFd); /* which takes it out of epoll */
    k->fr.ipcFd = -1;
    k->off = k->len = 0;
    kept_trim(k);
}

void
hall_kept_serve(struct hall_app *app, int sock,
                void (*serve_one)(struct hall_app *, FCGX_Request *), volatile sig_atomic_t *stop,
                volatile sig_atomic_t *in_request)
{
    static struct kept slots[KEPT_MAX];
    struct epoll_event ev, evs[64];
    int ep, i, n, held = 0, listening = 1;

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0 || fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK) < 0) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"cannot wait on the FastCGI socket\" errno=%d", errno);
        return;
    }
    for (i = 0; i < KEPT_MAX; i++)
        slots[i].fr.ipcFd = -1;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.u32 = KEPT_MAX;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, sock, &ev) < 0)
        return;
    while (!*stop) {
        n = epoll_wait(ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (i = 0; i < n && !*stop; i++) {
            unsigned k = evs[i].data.u32;
            struct kept *kc;

            if (k == KEPT_MAX) { /* a new connection: a free slot */
                int fd;

                for (k = 0; k < KEPT_MAX && slots[k].fr.ipcFd >= 0; k++)
                    ;
                if (k == KEPT_MAX)
                    continue;
                fd = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                        errno == ECONNABORTED)
                        continue; /* another worker took it */
                    hall_log(HALL_LOG_ERR, NULL, "msg=\"FastCGI accept failed\" errno=%d", errno);
                    *stop = 1;
                    break;
                }
                slots[k].fr.ipcFd = fd;
                slots[k].off = slots[k].len = 0;
                ev.events = EPOLLIN;
                ev.data.u32 = k;
                if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
                    kept_close(&slots[k]);
                    continue;
                }
                held++;
            }
            kc = &slots[k];
            if (kc->fr.ipcFd < 0)
                continue;
            /* a request, and any that came behind it in the same read */
            do {
                if (kept_read(kc, app->conf.body_max_bytes) != 0) {
                    kept_close(kc);
                    held--;
                    break;
                }
                if (hall_worker_orphaned(NULL)) {
                    *stop = 1;
                    break;
                }
                *in_request = 1;
                serve_one(app, &kc->fr);
                *in_request = 0;
                kept_trim(kc);
                app->served++;
                if (kc->out.FCGI_errno != 0 || !kc->fr.keepConnection) {
                    kept_close(kc);
                    held--;
                    break;
                }
                if (app->conf.max_requests > 0 &&
                    app->served >= (unsigned long)app->conf.max_requests)
                    *stop = 1;
            } while (!*stop && kc->len - kc->off >= FCGI_HEADER_LEN);
        }
        /* no free slot: leave new connections to the other workers (held
         * is counted as they come and go: a walk over the 256 slots after
         * every answer was a tenth of an OCSP answer's instructions in the
         * worker, bench/ocsp-instr) */
        if ((held == KEPT_MAX) == listening) {
            ev.events = EPOLLIN | EPOLLEXCLUSIVE;
            ev.data.u32 = KEPT_MAX;
            if (epoll_ctl(ep, listening ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, sock, &ev) == 0)
                listening = !listening;
        }
    }
}
