/*
 * Uploaded materials at rest.  A file is accepted by what its bytes are
 * (never by its name or the browser's Content-Type), stored encrypted with
 * the PII key — ID-card scans are personal data — under a random name in
 * upload_dir, outside the web root, and read back only through a module
 * that has checked who is asking.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

const char *
hall_file_sniff(const unsigned char *p, size_t n)
{
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return "image/jpeg";
    if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
        return "image/gif";
    /* BMP: "BM" then the file size in the header */
    if (n >= 14 && p[0] == 'B' && p[1] == 'M')
        return "image/bmp";
    if (n >= 5 && memcmp(p, "%PDF-", 5) == 0)
        return "application/pdf";
    if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    return NULL;
}

/* the application materials of SPEC step 6 */
const char *const hall_file_materials[] = {"image/jpeg", "image/bmp", "image/gif",
                                           "application/pdf", NULL};

const char *
hall_file_ext(const char *mime)
{
    if (strcmp(mime, "image/jpeg") == 0)
        return "jpg";
    if (strcmp(mime, "image/gif") == 0)
        return "gif";
    if (strcmp(mime, "image/bmp") == 0)
        return "bmp";
    if (strcmp(mime, "application/pdf") == 0)
        return "pdf";
    if (strcmp(mime, "image/png") == 0)
        return "png";
    return "bin";
}

static unsigned char *
read_all(struct hall_pool *pool, const char *path, size_t max, size_t *len)
{
    struct stat st;
    unsigned char *buf;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        close(fd);
        return NULL;
    }
    buf = hall_palloc(pool, (size_t)st.st_size + 1);
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

        if (n <= 0) {
            close(fd);
            return NULL;
        }
        got += (size_t)n;
    }
    close(fd);
    *len = got;
    return buf;
}

/*
 * Writes n bytes of buf to fd.  The whole HALL_SEAL_ALIGN units of an
 * aligned buffer go past the page cache (O_DIRECT): a stored file is
 * written once and read back rarely (by staff, by the applicant), so
 * copying 2 MiB into the page cache, writing it back at fsync and dropping
 * it when the file is replaced only cost CPU (perf of POST /new/upload:
 * about a fifth of the worker's time).  The tail, and everything when the
 * file system refuses O_DIRECT (tmpfs before Linux 6.6), goes through the
 * page cache as before; fsync makes both durable.
 */
static int
write_sealed(int fd, const unsigned char *buf, size_t n)
{
    size_t done = 0, direct = 0;
    int fl = fcntl(fd, F_GETFL), on = 0;

    if (((uintptr_t)buf & (HALL_SEAL_ALIGN - 1)) == 0 && n >= HALL_SEAL_ALIGN && fl >= 0 &&
        fcntl(fd, F_SETFL, fl | O_DIRECT) == 0) {
        on = 1;
        direct = n & ~((size_t)HALL_SEAL_ALIGN - 1);
    }
    while (done < n) {
        ssize_t w;

        if (on && done >= direct) {
            if (fcntl(fd, F_SETFL, fl) != 0)
                return -1;
            on = 0;
        }
        w = write(fd, buf + done, (on ? direct : n) - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && on && errno == EINVAL) {
            direct = done; /* O_DIRECT refused after all: the page cache takes the rest */
            continue;
        }
        if (w <= 0)
            return -1;
        done += (size_t)w;
        if (on && (done & (HALL_SEAL_ALIGN - 1)) != 0)
            direct = done; /* a short write off a unit: the rest through the page cache */
    }
    return 0;
}

/*
 * The upload arrives hashed and sealed by the multipart parser (core/web/req.c):
 * here it is checked, then written (write_sealed) and fsync()ed, so a stored
 * file survives a crash and nothing is ever written in clear.
 */
int
hall_file_store(struct hall_ctx *cx, const struct hall_upload *up, const char *const *allow,
                const char *allow_text, struct hall_stored *out, const char **err)
{
    const struct hall_conf *conf = cx->conf;
    unsigned char rnd[24];
    const char *path;
    int fd, i;

    if (up == NULL || up->size == 0) {
        *err = "请选择要上传的文件（文件不能为空）";
        return 400;
    }
    if (up->size > (size_t)conf->upload_max_bytes) {
        long max = conf->upload_max_bytes;

        *err = max % 1048576 == 0 ? hall_psprintf(cx->pool, "文件不能超过%ldMB", max / 1048576)
                                  : hall_psprintf(cx->pool, "文件不能超过%ldKB", max / 1024);
        return 413;
    }
    out->mime = hall_file_sniff(up->data, up->plain_len);
    for (i = 0; out->mime != NULL && allow[i] != NULL; i++)
        if (strcmp(allow[i], out->mime) == 0)
            break;
    if (out->mime == NULL || allow[i] == NULL) {
        *err = hall_psprintf(cx->pool, "仅支持%s格式的文件", allow_text);
        return 400;
    }
    if (up->sealed == NULL) {
        *err = "系统繁忙，请稍后再试"; /* a parser called without seal: a programming error */
        return 503;
    }
    out->size = up->size;
    memcpy(out->sha256, up->sha256, sizeof(out->sha256));
    hall_rand_bytes(rnd, sizeof(rnd));
    out->name = hall_b64url(cx->pool, rnd, sizeof(rnd));
    path = hall_psprintf(cx->pool, "%s/%s", conf->upload_dir, out->name);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        hall_err(cx, "msg=\"cannot create upload\" errno=%d", errno);
        *err = "系统繁忙，请稍后再试";
        return 503;
    }
    if (write_sealed(fd, up->sealed, up->sealed_len) != 0) {
        close(fd);
        unlink(path);
        *err = "系统繁忙，请稍后再试";
        return 503;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(path);
        *err = "系统繁忙，请稍后再试";
        return 503;
    }
    return 0;
}

void
hall_file_discard(struct hall_ctx *cx, const char *name)
{
    if (name != NULL && strchr(name, '/') == NULL)
        unlink(hall_psprintf(cx->pool, "%s/%s", cx->conf->upload_dir, name));
}

/*
 * The files of rows a committed transaction marked removed (the uploads an
 * upload replaced): unlinked by a thread of the worker, so that the answer
 * and the worker's next request do not wait for the file system.  Freeing
 * a 2 MiB file's blocks took 0.7-2 ms under bench/run's upload load (the
 * journal busy with the other workers' fsyncs), a tenth of the upload's
 * time, while the worker had nothing to do but wait.  The work stays in
 * the worker's process (its CPU counted with it); only the wait is gone.
 *
 * Bounded: at most DISCARD_SLOTS names wait; beyond, or when the thread
 * cannot start, or for a path longer than a slot, the caller unlinks at
 * once as before.  A worker that stops (SIGTERM, max_requests) unlinks
 * what still waits before it exits (hall_file_discard_drain); a killed one
 * leaves those files behind: encrypted, no row refers to them, as a crash
 * between the commit and the unlink always could.  Never a row pointing at
 * a missing file: the names queued are of rows already committed as
 * removed.
 */
#define DISCARD_SLOTS 16
#define DISCARD_PATH  512

static char discard_q[DISCARD_SLOTS][DISCARD_PATH];
/* head: next slot the request side fills; tail: next the thread takes.
 * Both only grow; a slot is free again once tail passed it */
static unsigned discard_head, discard_tail;
static pthread_mutex_t discard_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t discard_cv = PTHREAD_COND_INITIALIZER;
static int discard_started; /* 1 running, -1 could not start */

static void *
discard_thread(void *arg)
{
    (void)arg;
    for (;;) {
        unsigned t;

        pthread_mutex_lock(&discard_mu);
        while ((t = __atomic_load_n(&discard_tail, __ATOMIC_ACQUIRE)) ==
               __atomic_load_n(&discard_head, __ATOMIC_ACQUIRE))
            pthread_cond_wait(&discard_cv, &discard_mu);
        pthread_mutex_unlock(&discard_mu);
        /* the slot stays queued while it is unlinked: a drain meanwhile
         * unlinks it too (ENOENT for one of them, nothing lost) */
        unlink(discard_q[t % DISCARD_SLOTS]);
        __atomic_store_n(&discard_tail, t + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

/* the thread, started at the first use in this process (a worker, after
 * the fork); no signal reaches it: SIGTERM stays the main thread's */
static int
discard_start(void)
{
    sigset_t all, old;
    pthread_attr_t attr;
    pthread_t th;
    int rc;

    if (discard_started != 0)
        return discard_started > 0;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    rc = pthread_create(&th, &attr, discard_thread, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    discard_started = rc == 0 ? 1 : -1;
    if (rc != 0)
        hall_log(HALL_LOG_WARN, NULL, "msg=\"no discard thread; unlinking inline\" errno=%d", rc);
    return rc == 0;
}

void
hall_file_discard_later(struct hall_ctx *cx, const char *name)
{
    unsigned h;
    int n;

    if (name == NULL || strchr(name, '/') != NULL)
        return;
    h = __atomic_load_n(&discard_head, __ATOMIC_RELAXED);
    /* full: the slot h would take is the one the thread may be reading */
    if (h - __atomic_load_n(&discard_tail, __ATOMIC_ACQUIRE) >= DISCARD_SLOTS || !discard_start()) {
        hall_file_discard(cx, name);
        return;
    }
    n = snprintf(discard_q[h % DISCARD_SLOTS], DISCARD_PATH, "%s/%s", cx->conf->upload_dir, name);
    if (n < 0 || n >= DISCARD_PATH) {
        hall_file_discard(cx, name);
        return;
    }
    pthread_mutex_lock(&discard_mu);
    __atomic_store_n(&discard_head, h + 1, __ATOMIC_RELEASE);
    pthread_cond_signal(&discard_cv);
    pthread_mutex_unlock(&discard_mu);
}

void
hall_file_discard_drain(void)
{
    unsigned t = __atomic_load_n(&discard_tail, __ATOMIC_ACQUIRE);
    unsigned h = __atomic_load_n(&discard_head, __ATOMIC_ACQUIRE);

    for (; t != h; t++)
        unlink(discard_q[t % DISCARD_SLOTS]);
}

unsigned char *
hall_file_load(struct hall_ctx *cx, const char *name, size_t *len)
{
    unsigned char *enc;
    char *plain;
    size_t elen;

    if (name == NULL || strchr(name, '/') != NULL || name[0] == '.')
        return NULL;
    enc = read_all(cx->pool, hall_psprintf(cx->pool, "%s/%s", cx->conf->upload_dir, name),
                   (size_t)cx->conf->upload_max_bytes + 64, &elen);
    if (enc == NULL || elen < 29)
        return NULL;
    plain = hall_pii_decrypt(cx->pool, enc, elen);
    if (plain == NULL)
        return NULL;
    /* version(1) nonce(12) tag(16) around the plaintext */
    *len = elen - HALL_PII_OVERHEAD;
    return (unsigned char *)plain;
}
