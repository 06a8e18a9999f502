/*
 * Where the files the hall keeps outside PostgreSQL live: one interface,
 * two drivers, chosen by the objstore option.
 *
 *   local  a directory (upload_dir), one file per object under its name,
 *          written once with O_EXCL and fsync()ed: the layout the hall has
 *          always had, so an existing var/ works as it is.
 *   s3     a bucket behind the S3 API (AWS S3, Ceph RGW, MinIO, Swift's
 *          s3api): PUT, GET, DELETE and HEAD of objects, path-style
 *          (endpoint/bucket/name), signed with libcurl's AWS Signature V4.
 *          A PUT answered 200 is durable in the store (its own replicas).
 *          s3_endpoint may list several endpoints of one store: a request
 *          goes to the one that answered last, and to the next when it
 *          cannot be connected to (s3_send).
 *
 * Objects arrive encrypted (core/store/file.c: AES-256-GCM under the PII key,
 * in the worker): neither driver ever sees clear text.  Their names are
 * the hall's own random base64url names; anything else is refused here.
 *
 * A call made while a request runs obeys the request's provider deadline
 * and cap (core/web/provider.c, through hall_http_guard_enter), like a call
 * to any outside service: a store that hangs costs the request at most
 * what is left of provider_deadline_ms, and the answer is the hall's own
 * 503/504, never nginx's.  Each process keeps one curl handle for the
 * store (its connection reused); the thread that removes replaced files
 * (file.c) keeps another (hall_obj_delete_detached).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "store/store.h"

#define ERR_BODY  4096
#define LIST_BODY (1024 * 1024)

int
hall_obj_s3(const struct hall_conf *conf)
{
    return strcmp(conf->objstore, "s3") == 0;
}

int
hall_obj_name_ok(const char *name)
{
    size_t n;

    if (name == NULL)
        return 0;
    n = strlen(name);
    return n > 0 && n <= 128 && name[0] != '.' &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* ---- local: a directory ---------------------------------------------------- */

/*
 * Writes n bytes of buf to fd.  The whole HALL_ENC_ALIGN units of an
 * aligned buffer go past the page cache (O_DIRECT): a stored file is
 * written once and read back rarely (by staff, by the applicant), so
 * copying 2 MiB into the page cache, writing it back at fsync and dropping
 * it when the file is replaced only cost CPU (perf of POST /new/upload:
 * about a fifth of the worker's time).  The tail, and everything when the
 * file system refuses O_DIRECT (tmpfs before Linux 6.6), goes through the
 * page cache as before; fsync makes both durable.
 */
static int
write_enc(int fd, const unsigned char *buf, size_t n)
{
    size_t done = 0, direct = 0;
    int fl = fcntl(fd, F_GETFL), on = 0;

    if (((uintptr_t)buf & (HALL_ENC_ALIGN - 1)) == 0 && n >= HALL_ENC_ALIGN && fl >= 0 &&
        fcntl(fd, F_SETFL, fl | O_DIRECT) == 0) {
        on = 1;
        direct = n & ~((size_t)HALL_ENC_ALIGN - 1);
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
        if (on && (done & (HALL_ENC_ALIGN - 1)) != 0)
            direct = done; /* a short write off a unit: the rest through the page cache */
    }
    return 0;
}

static int
local_put(struct hall_ctx *cx, const char *name, const unsigned char *p, size_t n)
{
    const char *path = hall_psprintf(cx->pool, "%s/%s", cx->conf->upload_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0) {
        hall_err(cx, "msg=\"cannot create upload\" errno=%d", errno);
        return 503;
    }
    if (write_enc(fd, p, n) != 0) {
        hall_err(cx, "msg=\"cannot write upload\" errno=%d", errno);
        close(fd);
        unlink(path);
        return 503;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        hall_err(cx, "msg=\"cannot sync upload\" errno=%d", errno);
        unlink(path);
        return 503;
    }
    return 0;
}

static int
local_get(struct hall_ctx *cx, const char *name, size_t max, unsigned char **data, size_t *len)
{
    const char *path = hall_psprintf(cx->pool, "%s/%s", cx->conf->upload_dir, name);
    struct stat st;
    unsigned char *buf;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return errno == ENOENT ? 404 : 503;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 503;
    }
    if ((size_t)st.st_size > max) {
        close(fd);
        return 422;
    }
    buf = hall_palloc(cx->pool, (size_t)st.st_size + 1);
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return 503;
        }
        got += (size_t)n;
    }
    close(fd);
    *data = buf;
    *len = got;
    return 0;
}

/* ---- s3: a bucket behind the S3 API ----------------------------------------- */

static char s3_secret[256];
static int s3_secret_state; /* 0 not read yet, 1 read, -1 unreadable */

/* the secret key, read once per process from s3_secret_key_file, where it
 * is kept encrypted under pki_pass_file's passphrase like the SMS and
 * courier secrets (keyenc.sh's line; docs/operations.md "Secrets at
 * rest"): one in clear is refused, so a copy of var/ never holds it.
 * Called on the main thread before the discard thread may need it */
static int
secret_load(const struct hall_conf *conf)
{
    const char *why;

    if (s3_secret_state != 0)
        return s3_secret_state > 0;
    s3_secret_state = -1;
    if (hall_secret_load_text(conf->s3_secret_key_file, conf->pki_pass_file, s3_secret,
                              sizeof(s3_secret), &why) != HALL_OK) {
        OPENSSL_cleanse(s3_secret, sizeof(s3_secret));
        hall_log(HALL_LOG_ERR, NULL, "msg=\"s3 secret key not opened: %s\" file=%s",
                 strcmp(why, "clear") == 0
                     ? "in clear, encrypt it with script/lib/keyenc.sh and pki_pass_file"
                 : strcmp(why, "pass") == 0 ? "no passphrase (pki_pass_file)"
                                            : "unreadable, empty or not encrypted with"
                                              " pki_pass_file's passphrase",
                 conf->s3_secret_key_file);
        return 0;
    }
    s3_secret_state = 1;
    return 1;
}

int
hall_obj_ready(const struct hall_conf *conf)
{
    return !hall_obj_s3(conf) || secret_load(conf);
}

struct s3_call {
    const char *method; /* PUT GET DELETE HEAD */
    const char *name;   /* the object; NULL: the bucket */
    const char *query;  /* "?..." or NULL */
    const unsigned char *body;
    size_t body_len;
    struct hall_buf *out;      /* a 2xx answer's body (GET), NULL: dropped */
    long connect_ms, total_ms; /* connect_ms each endpoint, total_ms all together */
    /* what came back */
    long status;
    int timed_out;
    int passed;          /* endpoints passed over, unreachable, before the one that answered */
    char passed_on[256]; /* the first of them and why */
    curl_off_t length;   /* Content-Length of the answer (HEAD) */
    char error[160];     /* curl's text, or the S3 error's Code */
};

struct s3_sink {
    CURL *c;
    struct hall_buf *ok, err;
};

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct s3_sink *s = ud;
    size_t n = size * nmemb;
    long status = 0;

    curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
        if (s->ok == NULL)
            return n;
        return hall_buf_add(s->ok, p, n) == HALL_OK ? n : 0; /* too large: aborted */
    }
    (void)hall_buf_add(&s->err, p, n); /* an error's text, cut at ERR_BODY */
    return n;
}

/* <Code>NoSuchKey</Code> of an S3 error answer, into out */
static void
s3_error_code(const struct hall_buf *b, char *out, size_t n)
{
    const char *p = b->len > 0 ? strstr(b->data, "<Code>") : NULL, *e;

    if (p == NULL)
        return;
    p += 6;
    e = strstr(p, "</Code>");
    if (e == NULL || (size_t)(e - p) >= n)
        return;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
}

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* one signed request to the endpoint at (elen bytes) on handle c, within
 * connect_ms and total_ms; HALL_OK when an answer came (k->status), else
 * *unsent says whether the request surely never reached the endpoint */
static int
s3_perform(CURL *c, const struct hall_conf *conf, struct s3_call *k, const char *at, size_t elen,
           long connect_ms, long total_ms, int *unsent)
{
    char url[1024], sig[160], hash_hdr[100], errbuf[CURL_ERROR_SIZE];
    unsigned char h[32];
    struct curl_slist *hdrs = NULL;
    struct s3_sink sink;
    CURLcode rc;
    long sent = 0;
    int i, n;

    k->status = 0;
    k->timed_out = 0;
    k->length = -1;
    k->error[0] = '\0';
    *unsent = 0;
    if (!secret_load(conf)) {
        snprintf(k->error, sizeof(k->error), "no secret key");
        return HALL_ERR;
    }
    n = snprintf(url, sizeof(url), "%.*s/%s/%s%s", (int)elen, at, conf->s3_bucket,
                 k->name != NULL ? k->name : "", k->query != NULL ? k->query : "");
    snprintf(sig, sizeof(sig), "aws:amz:%s:s3", conf->s3_region);
    if (n < 0 || (size_t)n >= sizeof(url)) {
        snprintf(k->error, sizeof(k->error), "url too long");
        return HALL_ERR;
    }
    /* the payload's hash, signed: the store refuses a body that changed on
     * the way (S3 needs the header; libcurl does not add it by itself) */
    hall_sha256(k->body != NULL ? k->body : (const unsigned char *)"", k->body_len, h);
    memcpy(hash_hdr, "x-amz-content-sha256: ", 22);
    for (i = 0; i < 32; i++)
        snprintf(hash_hdr + 22 + 2 * i, 3, "%02x", h[i]);
    hdrs = curl_slist_append(hdrs, hash_hdr);
    if (strcmp(k->method, "PUT") == 0)
        hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
    curl_easy_reset(c);
    sink.c = c;
    sink.ok = k->out;
    hall_buf_init(&sink.err, ERR_BODY);
    errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERNAME, conf->s3_access_key);
    curl_easy_setopt(c, CURLOPT_PASSWORD, s3_secret);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sig);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    if (conf->s3_ca_file[0] != '\0')
        curl_easy_setopt(c, CURLOPT_CAINFO, conf->s3_ca_file);
    if (strcmp(k->method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, k->body != NULL ? (const char *)k->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)k->body_len);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    } else if (strcmp(k->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(k->method, "DELETE") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &k->status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &k->length);
        s3_error_code(&sink.err, k->error, sizeof(k->error));
    } else {
        k->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        snprintf(k->error, sizeof(k->error), "%s",
                 errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
        /* no connection (refused, no route, its connect timeout), and not
         * a byte of the request written: the endpoint never saw it */
        curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &sent);
        *unsent = sent == 0 && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                                rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_SSL_CONNECT_ERROR);
    }
    /* the handle keeps no pointer into this call's memory */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(hdrs);
    hall_buf_free(&sink.err);
    return rc == CURLE_OK ? HALL_OK : HALL_ERR;
}

/* the endpoint that answered last, per thread (a worker's requests, the
 * discard thread's deletes): where the next request starts */
static _Thread_local int s3_last;

/*
 * One request to s3_endpoint's endpoints: from the one that answered last,
 * each in turn while the request surely never reached it (connection
 * refused, no route, or nothing within k->connect_ms), so retrying it
 * elsewhere is safe for every method; an answer, whatever its status, is
 * final, and so is a failure once the request was sent.  All together
 * within k->total_ms.  HALL_OK when an answer came (k->status).
 */
static int
s3_send(CURL *c, const struct hall_conf *conf, struct s3_call *k)
{
    const char *ends[HALL_S3_ENDPOINTS], *p = conf->s3_endpoint;
    size_t lens[HALL_S3_ENDPOINTS];
    double until = now_ms() + (double)k->total_ms;
    int n = 0, i, rc = HALL_ERR, unsent;

    k->passed = 0;
    k->passed_on[0] = '\0';
    while (n < HALL_S3_ENDPOINTS && hall_s3_endpoint_next(&p, &ends[n], &lens[n]))
        n++;
    if (n == 0) {
        snprintf(k->error, sizeof(k->error), "no s3_endpoint");
        return HALL_ERR;
    }
    if (s3_last >= n)
        s3_last = 0;
    for (i = 0; i < n; i++) {
        int e = (s3_last + i) % n;
        long left = (long)(until - now_ms());

        if (i > 0 && left < 10)
            break; /* the deadline: k->error says why the last one failed */
        if (left < 1)
            left = 1;
        rc = s3_perform(c, conf, k, ends[e], lens[e], k->connect_ms < left ? k->connect_ms : left,
                        left, &unsent);
        if (rc == HALL_OK) {
            s3_last = e;
            return HALL_OK;
        }
        if (!unsent || n == 1)
            return rc;
        if (k->passed++ == 0)
            snprintf(k->passed_on, sizeof(k->passed_on), "%.*s: %s",
                     (int)(lens[e] < 80 ? lens[e] : 80), ends[e], k->error);
    }
    return rc;
}

static CURL *main_handle;

/* a request on the process's handle, under the work's guard (its deadline);
 * 0 when an answer came, else 503 (unreachable, refused) or 504 (slow) */
static int
s3_call(struct hall_ctx *cx, struct s3_call *k)
{
    const char *why = NULL;
    double t0;
    int rc;

    k->connect_ms = cx->conf->s3_connect_ms;
    k->total_ms = cx->conf->http_total_ms;
    if (main_handle == NULL)
        main_handle = curl_easy_init();
    if (main_handle == NULL)
        return 503;
    if (hall_http_guard_enter(&k->connect_ms, &k->total_ms, &why) != HALL_OK) {
        hall_warn(cx, "msg=\"object store call refused\" op=%s why=\"%s\"", k->method,
                  why != NULL ? why : "-");
        return why != NULL && strstr(why, "deadline") != NULL ? 504 : 503;
    }
    t0 = now_ms();
    rc = s3_send(main_handle, cx->conf, k);
    hall_http_observed("objstore", now_ms() - t0,
                       rc == HALL_OK && k->status >= 200 && k->status < 300);
    hall_http_guard_leave();
    if (k->passed > 0)
        hall_warn(cx,
                  "msg=\"object store endpoint unreachable, passed over\" op=%s passed=%d "
                  "first=\"%s\" answered=%d",
                  k->method, k->passed, k->passed_on, rc == HALL_OK);
    if (rc != HALL_OK) {
        hall_warn(cx, "msg=\"object store unreachable\" op=%s error=\"%s\" timeout_ms=%ld",
                  k->method, k->error, k->total_ms);
        return k->timed_out ? 504 : 503;
    }
    return 0;
}

/* ---- the interface ------------------------------------------------------------ */

int
hall_obj_put(struct hall_ctx *cx, const char *name, const unsigned char *p, size_t n)
{
    struct s3_call k;
    int rc;

    if (!hall_obj_name_ok(name))
        return 503;
    if (!hall_obj_s3(cx->conf))
        return local_put(cx, name, p, n);
    memset(&k, 0, sizeof(k));
    k.method = "PUT";
    k.name = name;
    k.body = p;
    k.body_len = n;
    rc = s3_call(cx, &k);
    if (rc != 0)
        return rc;
    if (k.status != 200) {
        hall_err(cx, "msg=\"object store refused a PUT\" status=%ld code=%s", k.status,
                 k.error[0] != '\0' ? k.error : "-");
        return 503;
    }
    return 0;
}

int
hall_obj_get(struct hall_ctx *cx, const char *name, size_t max, unsigned char **data, size_t *len)
{
    struct hall_buf b;
    struct s3_call k;
    int rc;

    if (!hall_obj_name_ok(name))
        return 404;
    if (!hall_obj_s3(cx->conf))
        return local_get(cx, name, max, data, len);
    memset(&k, 0, sizeof(k));
    hall_buf_init(&b, max);
    k.method = "GET";
    k.name = name;
    k.out = &b;
    rc = s3_call(cx, &k);
    if (rc == 503 && b.overflow) {
        hall_buf_free(&b);
        return 422; /* longer than any object the hall writes */
    }
    if (rc == 0 && k.status == 404)
        rc = 404;
    else if (rc == 0 && k.status != 200) {
        hall_err(cx, "msg=\"object store refused a GET\" status=%ld code=%s", k.status,
                 k.error[0] != '\0' ? k.error : "-");
        rc = 503;
    }
    if (rc == 0) {
        *data = hall_palloc(cx->pool, b.len + 1);
        if (b.len > 0)
            memcpy(*data, b.data, b.len);
        (*data)[b.len] = '\0';
        *len = b.len;
    }
    hall_buf_free(&b);
    return rc;
}

int
hall_obj_head(struct hall_ctx *cx, const char *name, size_t *len)
{
    struct s3_call k;
    struct stat st;
    int rc;

    if (!hall_obj_name_ok(name))
        return 404;
    if (!hall_obj_s3(cx->conf)) {
        if (stat(hall_psprintf(cx->pool, "%s/%s", cx->conf->upload_dir, name), &st) != 0)
            return errno == ENOENT ? 404 : 503;
        *len = (size_t)st.st_size;
        return 0;
    }
    memset(&k, 0, sizeof(k));
    k.method = "HEAD";
    k.name = name;
    rc = s3_call(cx, &k);
    if (rc != 0)
        return rc;
    if (k.status == 404)
        return 404;
    if (k.status != 200)
        return 503;
    *len = k.length >= 0 ? (size_t)k.length : 0;
    return 0;
}

int
hall_obj_delete(struct hall_ctx *cx, const char *name)
{
    struct s3_call k;
    int rc;

    if (!hall_obj_name_ok(name))
        return 0;
    if (!hall_obj_s3(cx->conf)) {
        if (unlink(hall_psprintf(cx->pool, "%s/%s", cx->conf->upload_dir, name)) != 0 &&
            errno != ENOENT)
            return 503;
        return 0;
    }
    memset(&k, 0, sizeof(k));
    k.method = "DELETE";
    k.name = name;
    rc = s3_call(cx, &k);
    if (rc != 0)
        return rc;
    /* a DELETE of what is gone already answers 204 too (404 from some stores) */
    return k.status == 204 || k.status == 200 || k.status == 404 ? 0 : 503;
}

int
hall_obj_delete_detached(const struct hall_conf *conf, void **handle, const char *name)
{
    struct s3_call k;

    if (!hall_obj_name_ok(name) || !hall_obj_s3(conf))
        return HALL_ERR;
    if (*handle == NULL)
        *handle = curl_easy_init();
    if (*handle == NULL)
        return HALL_ERR;
    memset(&k, 0, sizeof(k));
    k.method = "DELETE";
    k.name = name;
    k.connect_ms = conf->s3_connect_ms;
    k.total_ms = conf->http_total_ms;
    if (s3_send(*handle, conf, &k) != HALL_OK)
        return HALL_ERR;
    return k.status == 204 || k.status == 200 || k.status == 404 ? HALL_OK : HALL_ERR;
}

int
hall_obj_bucket_create(struct hall_ctx *cx)
{
    struct s3_call k;
    int rc;

    if (!hall_obj_s3(cx->conf))
        return HALL_OK;
    memset(&k, 0, sizeof(k));
    k.method = "PUT";
    rc = s3_call(cx, &k);
    if (rc != 0)
        return HALL_ERR;
    /* 409 BucketAlreadyOwnedByYou: ours already */
    if (k.status == 200 || (k.status == 409 && strcmp(k.error, "BucketAlreadyOwnedByYou") == 0))
        return HALL_OK;
    hall_err(cx, "msg=\"cannot create the bucket\" status=%ld code=%s", k.status,
             k.error[0] != '\0' ? k.error : "-");
    return HALL_ERR;
}

/* the text of the first <tag>...</tag> at or after *p; *p moves past it */
static const char *
xml_next(struct hall_pool *pool, const char **p, const char *tag)
{
    const char *open = hall_psprintf(pool, "<%s>", tag), *close = hall_psprintf(pool, "</%s>", tag);
    const char *s = strstr(*p, open), *e;

    if (s == NULL)
        return NULL;
    s += strlen(open);
    e = strstr(s, close);
    if (e == NULL)
        return NULL;
    *p = e + strlen(close);
    return hall_pstrndup(pool, s, (size_t)(e - s));
}

/* a listing request (k->out is b): HALL_OK with its XML in b, else
 * HALL_ERR with b freed and a refusal logged */
static int
list_call(struct hall_ctx *cx, struct s3_call *k, struct hall_buf *b)
{
    int rc = s3_call(cx, k);

    if (rc == 0 && k->status == 200 && b->len > 0)
        return HALL_OK;
    if (rc == 0)
        hall_err(cx, "msg=\"object store refused a listing\" status=%ld code=%s", k->status,
                 k->error[0] != '\0' ? k->error : "-");
    hall_buf_free(b);
    return HALL_ERR;
}

int
hall_obj_list(struct hall_ctx *cx, const char *after, const char ***names, int *n, int *more)
{
    struct hall_buf b;
    struct s3_call k;
    const char *p, *key, **out;
    int cap = 1000;

    *n = 0;
    *more = 0;
    out = hall_palloc(cx->pool, sizeof(*out) * (size_t)(cap + 1));
    memset(&k, 0, sizeof(k));
    hall_buf_init(&b, LIST_BODY);
    k.method = "GET";
    k.query = hall_psprintf(cx->pool, "?list-type=2&max-keys=%d%s%s", cap,
                            after != NULL && hall_obj_name_ok(after) ? "&start-after=" : "",
                            after != NULL && hall_obj_name_ok(after) ? after : "");
    k.out = &b;
    if (list_call(cx, &k, &b) != HALL_OK)
        return HALL_ERR;
    p = b.data;
    while (*n < cap && (key = xml_next(cx->pool, &p, "Key")) != NULL)
        out[(*n)++] = key;
    out[*n] = NULL;
    p = b.data;
    key = xml_next(cx->pool, &p, "IsTruncated");
    *more = key != NULL && strcmp(key, "true") == 0;
    hall_buf_free(&b);
    *names = out;
    return HALL_OK;
}

/* ---- listing with sizes and ages (hall-objstore orphans, the outbox's sweep) --- */

#define SCAN_PAGE 1000

static void
scan_add(struct hall_pool *pool, struct hall_obj_info **v, int *n, int *cap, const char *name,
         int64_t size, int64_t age_s)
{
    if (*n >= *cap) {
        struct hall_obj_info *w;

        *cap = *cap > 0 ? *cap * 2 : 256;
        w = hall_palloc(pool, sizeof(*w) * (size_t)*cap);
        if (*n > 0)
            memcpy(w, *v, sizeof(*w) * (size_t)*n);
        *v = w;
    }
    (*v)[*n].name = hall_pstrdup(pool, name);
    (*v)[*n].size = size;
    (*v)[*n].age_s = age_s < 0 ? 0 : age_s;
    (*n)++;
}

/* upload_dir's objects, all in one page; their age from the mtime */
static int
local_scan(struct hall_ctx *cx, struct hall_obj_info **objs, int *n)
{
    DIR *d = opendir(cx->conf->upload_dir);
    struct dirent *e;
    time_t now = time(NULL);
    int cap = 0;

    if (d == NULL) {
        hall_err(cx, "msg=\"cannot open upload_dir\" errno=%d", errno);
        return HALL_ERR;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat st;

        if (!hall_obj_name_ok(e->d_name))
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue; /* gone meanwhile (replaced), or nothing the hall wrote */
        scan_add(cx->pool, objs, n, &cap, e->d_name, (int64_t)st.st_size,
                 (int64_t)(now - st.st_mtime));
    }
    closedir(d);
    return HALL_OK;
}

/* 2026-11-26T10:00:00.000Z: seconds since then, -1 when unreadable */
static int64_t
s3_age(const char *when, time_t now)
{
    struct tm tm;
    const char *end;

    memset(&tm, 0, sizeof(tm));
    end = when != NULL ? strptime(when, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (end == NULL)
        return -1;
    return (int64_t)(now - timegm(&tm));
}

/* one ListObjectsV2 page: each <Contents>'s Key, Size and LastModified */
static int
s3_scan(struct hall_ctx *cx, const char *token, const char **next, struct hall_obj_info **objs,
        int *n)
{
    struct hall_buf b;
    struct s3_call k;
    const char *p, *q, *trunc;
    time_t now = time(NULL);
    int cap = 0;

    memset(&k, 0, sizeof(k));
    hall_buf_init(&b, LIST_BODY);
    k.method = "GET";
    k.query = hall_psprintf(cx->pool, "?list-type=2&max-keys=%d", SCAN_PAGE);
    if (token != NULL) {
        char *esc = curl_easy_escape(NULL, token, 0);

        if (esc == NULL)
            return HALL_ERR;
        /* the signature's canonical query wants the token encoded as sent */
        k.query = hall_psprintf(cx->pool, "%s&continuation-token=%s", k.query, esc);
        curl_free(esc);
    }
    k.out = &b;
    if (list_call(cx, &k, &b) != HALL_OK)
        return HALL_ERR;
    p = b.data;
    while ((q = strstr(p, "<Contents>")) != NULL) {
        const char *end = strstr(q, "</Contents>"), *c, *key, *size, *when;
        struct hall_pool *pool = cx->pool;

        if (end == NULL)
            break;
        c = q;
        key = xml_next(pool, &c, "Key");
        c = q;
        size = xml_next(pool, &c, "Size");
        c = q;
        when = xml_next(pool, &c, "LastModified");
        p = end + 11;
        if (key == NULL || !hall_obj_name_ok(key))
            continue; /* not an object of the hall's (or past this <Contents>) */
        scan_add(pool, objs, n, &cap, key, size != NULL ? strtoll(size, NULL, 10) : 0,
                 s3_age(when, now));
    }
    p = b.data;
    trunc = xml_next(cx->pool, &p, "IsTruncated");
    p = b.data;
    if (trunc != NULL && strcmp(trunc, "true") == 0)
        *next = xml_next(cx->pool, &p, "NextContinuationToken");
    hall_buf_free(&b);
    if (trunc != NULL && strcmp(trunc, "true") == 0 && *next == NULL) {
        hall_err(cx, "msg=\"object store listing truncated without a continuation token\"");
        return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_obj_scan(struct hall_ctx *cx, const char *token, const char **next,
              struct hall_obj_info **objs, int *n)
{
    *next = NULL;
    *objs = NULL;
    *n = 0;
    if (!hall_obj_s3(cx->conf))
        return local_scan(cx, objs, n);
    return s3_scan(cx, token, next, objs, n);
}
