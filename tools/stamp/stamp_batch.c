/*
 * stamp_batch.c: hall-stamp sign --out-dir DIR FILE... (docs/modules/stamp.md,
 * "Many documents at once").  The PIN was asked once and the signer's and
 * the seal's status checked once (hall_stamp.c); here every file is
 * stamped in turn, each with its own timestamp from the hall's TSA (one
 * RFC 3161 request per file: the hall's TSA answers in a round trip, and a
 * timestamp over a batch's hash list is a form no PDF reader checks).
 *
 * Two passes: first every stamp (written beside its output as a .part
 * file), then every /DSS revision (PAdES B-LT).  The evidence is the same
 * for every file of the batch — the one signer's OCSP answer, the TSA's,
 * the issuers — so it is asked of the hall once, after the last stamp's
 * timestamp, and reused (stamp_cache.c); a file that holds other signers'
 * stamps gets theirs asked too.  A file that fails stops nothing: it is
 * named with its reason and the others go on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stamp_batch.h"

#define BATCH_MAX 10000
#define FILE_MAX  (200L * 1024 * 1024)

#define T(cn, en) (zh ? (cn) : (en))

struct result {
    const char *in, *out, *part;
    const char *why; /* NULL: stamped */
    const char *note;
};

int
stamp_batch_args(int argc, char **argv, const char *in_path, const char *out_path, char ***inputs,
                 int *n, int zh)
{
    int i, k = 0, count = (in_path != NULL) + (argc - optind);

    if (out_path != NULL) {
        fprintf(stderr, "%s\n",
                T("hall-stamp sign：--out-dir 与 --out 只能用一个",
                  "hall-stamp sign: give --out-dir or --out, not both"));
        return 2;
    }
    if (count <= 0 || count > BATCH_MAX) {
        fprintf(stderr,
                T("hall-stamp sign：--out-dir 需要1到%d个待盖章的文件\n",
                  "hall-stamp sign: --out-dir needs 1 to %d files to stamp\n"),
                BATCH_MAX);
        return 2;
    }
    *inputs = calloc((size_t)count, sizeof(char *));
    if (*inputs == NULL)
        abort();
    if (in_path != NULL)
        (*inputs)[k++] = (char *)in_path;
    for (i = optind; i < argc; i++)
        (*inputs)[k++] = argv[i];
    *n = k;
    return 0;
}

static unsigned char *
file_read(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    unsigned char *p;
    size_t got = 0;

    if (fd < 0)
        return NULL;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > FILE_MAX) {
        close(fd);
        errno = S_ISDIR(sb.st_mode) ? EISDIR : EFBIG;
        return NULL;
    }
    p = malloc((size_t)sb.st_size + 1);
    if (p == NULL)
        abort();
    while (got < (size_t)sb.st_size) {
        ssize_t r = read(fd, p + got, (size_t)sb.st_size - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return p;
}

/* a then b into path; HALL_ERR (path removed) with errno */
static int
file_write(const char *path, const unsigned char *a, size_t alen, const unsigned char *b,
           size_t blen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), e;

    if (fd < 0)
        return HALL_ERR;
    if (write(fd, a, alen) != (ssize_t)alen || write(fd, b, blen) != (ssize_t)blen ||
        fsync(fd) != 0) {
        e = errno;
        close(fd);
        unlink(path);
        errno = e;
        return HALL_ERR;
    }
    return close(fd) == 0 ? HALL_OK : HALL_ERR;
}

static const char *
base_name(const char *path)
{
    const char *s = strrchr(path, '/');

    return s != NULL ? s + 1 : path;
}

/* the output's name, or why not (a name met before, the input itself) */
static const char *
out_name(struct hall_pool *pool, const struct stamp_batch *b, struct result *r, int i, int zh)
{
    const char *name = base_name(r[i].in);
    char real_in[PATH_MAX], real_out[PATH_MAX];

    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return T("不是文件", "not a file");
    r[i].out = hall_psprintf(pool, "%s/%s", b->out_dir, name);
    r[i].part = hall_psprintf(pool, "%s/.%s.part-%ld", b->out_dir, name, (long)getpid());
    for (int j = 0; j < i; j++)
        if (r[j].out != NULL && strcmp(base_name(r[j].in), name) == 0)
            return hall_psprintf(pool, T("与%s同名，输出会相互覆盖", "same name as %s"), r[j].in);
    if (realpath(r[i].in, real_in) != NULL && realpath(r[i].out, real_out) != NULL &&
        strcmp(real_in, real_out) == 0)
        return T("输出目录就是它所在的目录，不能覆盖原文件",
                 "the output directory is its own: it would overwrite it");
    return NULL;
}

/* pass 1: one file stamped into its .part; why, or NULL */
static const char *
stamp_one(struct hall_pool *pool, const struct stamp_batch *b,
          const struct hall_stamp_sign_in *tmpl, struct result *r)
{
    struct hall_pool *fp = hall_pool_create(16384);
    struct hall_stamp_sign_in in = *tmpl;
    unsigned char *pdf, *upd;
    size_t len = 0, ulen = 0;
    const char *why = NULL;
    char err[512];
    int zh = b->zh;

    pdf = file_read(r->in, &len);
    if (pdf == NULL) {
        why = hall_psprintf(pool, T("无法读取：%s", "cannot read: %s"), strerror(errno));
        goto out;
    }
    in.pdf = pdf;
    in.pdf_len = len;
    upd = hall_stamp_sign(fp, &in, &ulen, err, sizeof(err));
    if (upd == NULL) {
        why = hall_pstrdup(pool, err);
        goto out;
    }
    if (file_write(b->lt ? r->part : r->out, pdf, len, upd, ulen) != HALL_OK)
        why = hall_psprintf(pool, T("无法写入%s：%s", "cannot write %s: %s"),
                            b->lt ? r->part : r->out, strerror(errno));
out:
    free(pdf);
    hall_pool_destroy(fp);
    return why;
}

/* pass 2: the .part's /DSS revision appended, into the output; why, or NULL */
static const char *
ltv_one(struct hall_pool *pool, const struct stamp_batch *b, const struct hall_stamp_online *on,
        STACK_OF(X509) * cas, struct result *r)
{
    struct hall_pool *fp = hall_pool_create(16384);
    struct hall_stamp_dss_in dss;
    unsigned char *pdf, *upd;
    size_t len = 0, ulen = 0;
    const char *why = NULL, *w = NULL;
    char err[512];
    int missing = 0, zh = b->zh;

    memset(&dss, 0, sizeof(dss));
    pdf = file_read(r->part, &len);
    if (pdf == NULL) {
        why = hall_psprintf(pool, T("无法读取%s：%s", "cannot read %s: %s"), r->part,
                            strerror(errno));
        goto out;
    }
    if (hall_stamp_ltv_gather(fp, pdf, len, cas, on, &dss, &missing, &w) != HALL_OK) {
        why = hall_pstrdup(pool, w != NULL ? w : "");
        goto out;
    }
    if (missing > 0)
        r->note = hall_psprintf(pool,
                                T("%d个证书未能取得吊销信息（%s）", "no revocation answer for %d "
                                                                    "certificate(s) (%s)"),
                                missing, w != NULL ? w : "");
    upd = hall_stamp_dss_update(fp, pdf, len, &dss, &ulen, err, sizeof(err));
    if (upd == NULL) {
        why = hall_pstrdup(pool, err);
        goto out;
    }
    if (file_write(r->out, pdf, len, upd, ulen) != HALL_OK)
        why = hall_psprintf(pool, T("无法写入%s：%s", "cannot write %s: %s"), r->out,
                            strerror(errno));
out:
    unlink(r->part);
    free(pdf);
    hall_pool_destroy(fp);
    return why;
}

int
stamp_batch_run(struct hall_pool *pool, const struct stamp_batch *b,
                const struct hall_stamp_sign_in *tmpl)
{
    struct result *r = hall_pcalloc(pool, (size_t)b->n * sizeof(*r));
    struct hall_stamp_online on;
    struct stat sb;
    time_t last = 0;
    int i, ok = 0, fetched = 0, reused = 0, zh = b->zh;

    if (mkdir(b->out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr,
                T("hall-stamp：无法建立输出目录%s：%s\n",
                  "hall-stamp: cannot make the output directory %s: %s\n"),
                b->out_dir, strerror(errno));
        return 3;
    }
    if (stat(b->out_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, T("hall-stamp：%s 不是目录\n", "hall-stamp: %s is not a directory\n"),
                b->out_dir);
        return 3;
    }
    for (i = 0; i < b->n; i++) {
        r[i].in = b->inputs[i];
        r[i].why = out_name(pool, b, r, i, zh);
        if (r[i].why == NULL)
            r[i].why = stamp_one(pool, b, tmpl, &r[i]);
        if (r[i].why == NULL)
            last = time(NULL);
    }
    if (b->lt && last != 0) {
        /* the evidence asked once for every stamp: after the last one's second */
        while (time(NULL) < last + 1)
            usleep(100 * 1000);
        memset(&on, 0, sizeof(on));
        on.hall = b->hall;
        on.cache = hall_stamp_cache_create(pool);
        for (i = 0; i < b->n; i++)
            if (r[i].why == NULL)
                r[i].why = ltv_one(pool, b, &on, tmpl->chain, &r[i]);
        hall_stamp_cache_counts(on.cache, &fetched, &reused);
    }
    for (i = 0; i < b->n; i++) {
        if (r[i].why == NULL) {
            ok++;
            printf(
                T("已盖章：%s → %s（第%d页，%s）%s%s\n", "stamped: %s -> %s (page %d, %s)%s%s\n"),
                r[i].in, r[i].out, tmpl->page, b->level,
                r[i].note != NULL ? T("；注意：", "; note: ") : "",
                r[i].note != NULL ? r[i].note : "");
        } else {
            printf(T("未盖章：%s：%s\n", "NOT stamped: %s: %s\n"), r[i].in, r[i].why);
        }
    }
    if (b->lt)
        printf(T("共%d个文件：%d个已盖章，%d个未盖章；吊销信息联网查询%d次，复用%d次\n",
                 "%d files: %d stamped, %d not; revocation evidence fetched %d time(s), "
                 "reused %d time(s)\n"),
               b->n, ok, b->n - ok, fetched, reused);
    else
        printf(T("共%d个文件：%d个已盖章，%d个未盖章\n", "%d files: %d stamped, %d not\n"), b->n,
               ok, b->n - ok);
    fflush(stdout);
    return ok == b->n ? 0 : ok > 0 ? 5 : 3;
}
