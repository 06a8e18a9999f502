/*
 * Uploaded materials at rest.  A file is accepted by what its bytes are
 * (never by its name or the browser's Content-Type), stored encrypted with
 * the PII key — ID-card scans are personal data — under a random name in
 * the object store (objstore.c: upload_dir, or an S3 bucket), outside the
 * web root, and read back only through a module that has checked who is
 * asking.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

static void discard_unnamed(struct hall_ctx *cx, const char *name);

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

/*
 * The upload arrives hashed and encrypted by the multipart parser (core/web/req.c):
 * here it is checked, then put in the object store (objstore.c), durable
 * there before the caller commits its row, and never in clear.
 */
int
hall_file_store(struct hall_ctx *cx, const struct hall_upload *up, const char *const *allow,
                const char *allow_text, struct hall_stored *out, const char **err)
{
    const struct hall_conf *conf = cx->conf;
    unsigned char rnd[24];
    int i, rc;

    out->name = NULL;
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
    if (up->enc == NULL) {
        *err = "系统繁忙，请稍后再试"; /* a parser called without enc: a programming error */
        return 503;
    }
    out->size = up->size;
    memcpy(out->sha256, up->sha256, sizeof(out->sha256));
    hall_rand_bytes(rnd, sizeof(rnd));
    out->name = hall_b64url(cx->pool, rnd, sizeof(rnd));
    rc = hall_obj_put(cx, out->name, up->enc, up->enc_len);
    if (rc == 0)
        return 0;
    if (hall_obj_s3(conf)) {
        /* a PUT that timed out may still land in the store: no row will
         * point at it, and it is deleted again once the store answers */
        discard_unnamed(cx, out->name);
        *err =
            rc == 504 ? "文件存储服务响应超时，请稍后再试" : "文件存储服务暂时不可用，请稍后再试";
    } else {
        *err = "系统繁忙，请稍后再试";
    }
    out->name = NULL;
    return rc == 504 ? 504 : 503;
}

/*
 * A stored file no row can name.  Local: unlinked at once.  S3: queued for
 * the discard thread below, so that a request whose commit failed does not
 * wait on the store too (and a store that is the reason the request failed
 * does not hold it longer).
 */
static void
discard_unnamed(struct hall_ctx *cx, const char *name)
{
    if (!hall_obj_name_ok(name))
        return;
    if (hall_obj_s3(cx->conf))
        hall_file_discard_later(cx, name);
    else
        (void)hall_obj_delete(cx, name);
}

/*
 * A stored file whose row the caller wrote, or meant to, and did not get
 * committed.  Removed only when the hall knows the row is not in the
 * database: the failure came before COMMIT was sent, or the server
 * answered it (a refusal, a rollback).  When the connection broke with the
 * COMMIT (or a self-committing write) in flight, the row may be there
 * (hall_db_fate_unknown), and so it may when the write's answer came from
 * its run again in a READ ONLY transaction (a refusal it answered, such
 * as the upload's "locked", says nothing of what its first send stored):
 * the file stays (hall_db_outcome_known), and the orphan sweep
 * (hall_file_orphans, `hall-objstore orphans`, hall-outbox's tick) removes
 * it later only if no row names it.  So a lost answer never leaves a row
 * naming a missing file; at worst a file without a row, for a while.
 */
void
hall_file_discard(struct hall_ctx *cx, const char *name)
{
    if (!hall_obj_name_ok(name))
        return;
    if (!hall_db_outcome_known(cx)) {
        hall_warn(cx,
                  "msg=\"object kept: its row's commit outcome is unknown; the orphan sweep "
                  "decides\" name=%s",
                  name);
        return;
    }
    discard_unnamed(cx, name);
}

/*
 * The files of rows a committed transaction marked removed (the uploads an
 * upload replaced): removed by a thread of the worker, so that the answer
 * and the worker's next request do not wait for the store.  Freeing
 * a 2 MiB file's blocks took 0.7-2 ms under bench/run's upload load (the
 * journal busy with the other workers' fsyncs), a tenth of the upload's
 * time, while the worker had nothing to do but wait; an S3 DELETE is a
 * round trip to the store.  The work stays in the worker's process (its
 * CPU counted with it); only the wait is gone.
 *
 * Bounded: at most DISCARD_SLOTS names wait; beyond, or when the thread
 * cannot start, or for a path longer than a slot, the caller removes the
 * file at once as before (local), or leaves the object behind with a
 * warning naming it (S3: a full queue means the store is not answering;
 * `hall-objstore orphans` finds such objects).  A worker that stops
 * (SIGTERM, max_requests) removes what still waits before it exits
 * (hall_file_discard_drain, hall_file_discard_flush); a killed one leaves
 * those files behind: encrypted, no row refers to them, as a crash between
 * the commit and the removal always could.  Never a row pointing at a
 * missing file: the names queued are of rows already committed as
 * removed, or of rows never committed.
 */
#define DISCARD_SLOTS 16
#define DISCARD_PATH  512

/* a local file's path, or an S3 object's name (discard_s3) */
static char discard_q[DISCARD_SLOTS][DISCARD_PATH];
/* head: next slot the request side fills; tail: next the thread takes.
 * Both only grow; a slot is free again once tail passed it */
static unsigned discard_head, discard_tail;
static pthread_mutex_t discard_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t discard_cv = PTHREAD_COND_INITIALIZER;
static int discard_started; /* 1 running, -1 could not start */
/* the process's configuration (read-only once the workers run), set
 * before the thread starts; discard_s3: its objstore is s3 */
static const struct hall_conf *discard_conf;
static int discard_s3;

static void *
discard_thread(void *arg)
{
    void *handle = NULL; /* the thread's own curl handle */

    (void)arg;
    for (;;) {
        unsigned t;

        pthread_mutex_lock(&discard_mu);
        while ((t = __atomic_load_n(&discard_tail, __ATOMIC_ACQUIRE)) ==
               __atomic_load_n(&discard_head, __ATOMIC_ACQUIRE))
            pthread_cond_wait(&discard_cv, &discard_mu);
        pthread_mutex_unlock(&discard_mu);
        /* the slot stays queued while it is removed: a drain meanwhile
         * removes it too (ENOENT, or a second DELETE: nothing lost) */
        if (!discard_s3)
            unlink(discard_q[t % DISCARD_SLOTS]);
        else if (hall_obj_delete_detached(discard_conf, &handle, discard_q[t % DISCARD_SLOTS]) !=
                 HALL_OK)
            hall_log(HALL_LOG_WARN, NULL, "msg=\"object left behind\" name=%s",
                     discard_q[t % DISCARD_SLOTS]);
        __atomic_store_n(&discard_tail, t + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

/* the thread, started at the first use in this process (a worker, after
 * the fork); no signal reaches it: SIGTERM stays the main thread's */
static int
discard_start(const struct hall_conf *conf)
{
    sigset_t all, old;
    pthread_attr_t attr;
    pthread_t th;
    int rc;

    if (discard_started != 0)
        return discard_started > 0;
    discard_conf = conf;
    discard_s3 = hall_obj_s3(conf);
    if (!hall_obj_ready(conf)) {
        discard_started = -1;
        return 0;
    }
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* curl and OpenSSL need more than an unlink */
    pthread_attr_setstacksize(&attr, discard_s3 ? 512 * 1024 : 64 * 1024);
    rc = pthread_create(&th, &attr, discard_thread, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    discard_started = rc == 0 ? 1 : -1;
    if (rc != 0)
        hall_log(HALL_LOG_WARN, NULL, "msg=\"no discard thread; removing inline\" errno=%d", rc);
    return rc == 0;
}

/* the store cannot take it now: an S3 object stays, named in the log */
static void
discard_inline(struct hall_ctx *cx, const char *name)
{
    if (!hall_obj_s3(cx->conf))
        (void)hall_obj_delete(cx, name);
    else
        hall_warn(cx, "msg=\"object left behind\" name=%s", name);
}

void
hall_file_discard_later(struct hall_ctx *cx, const char *name)
{
    unsigned h;
    int n;

    if (!hall_obj_name_ok(name))
        return;
    h = __atomic_load_n(&discard_head, __ATOMIC_RELAXED);
    /* full: the slot h would take is the one the thread may be reading */
    if (h - __atomic_load_n(&discard_tail, __ATOMIC_ACQUIRE) >= DISCARD_SLOTS ||
        !discard_start(cx->conf)) {
        discard_inline(cx, name);
        return;
    }
    if (hall_obj_s3(cx->conf))
        n = snprintf(discard_q[h % DISCARD_SLOTS], DISCARD_PATH, "%s", name);
    else
        n = snprintf(discard_q[h % DISCARD_SLOTS], DISCARD_PATH, "%s/%s", cx->conf->upload_dir,
                     name);
    if (n < 0 || n >= DISCARD_PATH) {
        discard_inline(cx, name);
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

    /* S3's deletes are no work for a signal handler: the thread, or
     * hall_file_discard_flush, does them */
    if (discard_s3)
        return;
    for (; t != h; t++)
        unlink(discard_q[t % DISCARD_SLOTS]);
}

void
hall_file_discard_flush(void)
{
    struct timespec ts;
    int i;

    if (!discard_s3) {
        hall_file_discard_drain();
        return;
    }
    /* the thread works through the queue; a store that does not answer
     * keeps the worker at most about 5 s more */
    for (i = 0; i < 500; i++) {
        if (__atomic_load_n(&discard_tail, __ATOMIC_ACQUIRE) ==
            __atomic_load_n(&discard_head, __ATOMIC_ACQUIRE))
            return;
        ts.tv_sec = 0;
        ts.tv_nsec = 10 * 1000 * 1000;
        nanosleep(&ts, NULL);
    }
    hall_log(HALL_LOG_WARN, NULL, "msg=\"exiting with objects left to delete\" count=%u",
             __atomic_load_n(&discard_head, __ATOMIC_ACQUIRE) -
                 __atomic_load_n(&discard_tail, __ATOMIC_ACQUIRE));
}

unsigned char *
hall_file_read(struct hall_ctx *cx, const char *name, size_t *len, int *status)
{
    unsigned char *enc;
    char *plain;
    size_t elen;
    int rc;

    *status = 404;
    if (!hall_obj_name_ok(name))
        return NULL;
    rc = hall_obj_get(cx, name, (size_t)cx->conf->upload_max_bytes + 64, &enc, &elen);
    if (rc != 0) {
        *status = rc;
        return NULL;
    }
    *status = 422;
    if (elen < HALL_PII_OVERHEAD)
        return NULL;
    plain = hall_pii_decrypt(cx->pool, enc, elen);
    if (plain == NULL)
        return NULL;
    /* version(1) nonce(12) tag(16) around the plaintext */
    *len = elen - HALL_PII_OVERHEAD;
    *status = 0;
    return (unsigned char *)plain;
}

/* ---- objects without a row ------------------------------------------------------- */

#define ORPHAN_BATCH 500

/*
 * The candidates objs[0..n) (each older than the window) asked of the
 * database in one statement: those no row names are handed to each(),
 * removed first with remove.  HALL_ERR when the database did not answer.
 */
static int
orphans_batch(struct hall_ctx *cx, const struct hall_obj_info *const *objs, int n, int remove,
              void (*each)(void *ud, const struct hall_obj_info *o, int rc), void *ud)
{
    struct hall_buf arr;
    struct hall_dbres *res;
    int i, rc = HALL_OK;

    /* a text[] literal: the names are of [A-Za-z0-9_-] (hall_obj_name_ok),
     * quoted so that a name such as NULL stays a name */
    hall_buf_init(&arr, (size_t)n * 132 + 3);
    hall_buf_add(&arr, "{", 1);
    for (i = 0; i < n; i++) {
        if (i > 0)
            hall_buf_add(&arr, ",", 1);
        hall_buf_add(&arr, "\"", 1);
        hall_buf_add(&arr, objs[i]->name, strlen(objs[i]->name));
        hall_buf_add(&arr, "\"", 1);
    }
    hall_buf_add(&arr, "}", 1);
    res = hall_db_exec(cx, "obj_unnamed", HALL_STR(hall_pstrndup(cx->pool, arr.data, arr.len)));
    hall_buf_free(&arr);
    if (res == NULL)
        return HALL_ERR;
    for (i = 0; i < hall_dbres_rows(res); i++) {
        int64_t at = hall_dbres_int(res, i, "i");
        const struct hall_obj_info *o;
        int r = -1;

        if (at < 1 || at > n) {
            rc = HALL_ERR;
            continue;
        }
        o = objs[at - 1];
        if (remove) {
            r = hall_obj_delete(cx, o->name);
            if (r != 0)
                hall_warn(cx, "msg=\"orphan object not removed\" name=%s status=%d", o->name, r);
            else
                hall_info(cx, "msg=\"orphan object removed\" name=%s size=%lld age_s=%lld", o->name,
                          (long long)o->size, (long long)o->age_s);
        }
        each(ud, o, r);
    }
    return rc;
}

int
hall_file_orphans(struct hall_ctx *cx, long older_s, int remove,
                  void (*each)(void *ud, const struct hall_obj_info *o, int rc), void *ud)
{
    const char *token = NULL, *next;

    do {
        const struct hall_obj_info **cand;
        struct hall_obj_info *objs;
        int n, i, c = 0;

        if (hall_obj_scan(cx, token, &next, &objs, &n) != HALL_OK)
            return HALL_ERR;
        cand = hall_palloc(cx->pool, sizeof(*cand) * (size_t)(n > 0 ? n : 1));
        for (i = 0; i < n; i++)
            if (objs[i].age_s >= older_s)
                cand[c++] = &objs[i];
        for (i = 0; i < c; i += ORPHAN_BATCH)
            if (orphans_batch(cx, cand + i, c - i < ORPHAN_BATCH ? c - i : ORPHAN_BATCH, remove,
                              each, ud) != HALL_OK)
                return HALL_ERR;
        token = next;
    } while (token != NULL);
    return HALL_OK;
}
