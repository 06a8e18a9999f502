/*
 * hall-objstore: the object store of the uploaded materials from the
 * command line (core/store/objstore.c; docs/operations.md "Object store").
 *
 *   hall-objstore -c CONF to-s3 [--remove] [--dir DIR]
 *                                             upload_dir (or DIR) into the bucket
 *   hall-objstore -c CONF to-local [--remove] [--dir DIR]
 *                                             the bucket into upload_dir (or DIR)
 *   hall-objstore -c CONF bucket              creates s3_bucket
 *   hall-objstore -c CONF check               names on stdin, one a line:
 *                                             prints those without an object
 *   hall-objstore -c CONF ls                  every object's name
 *   hall-objstore -c CONF head NAME           the object's size
 *   hall-objstore -c CONF get NAME            its bytes (encrypted) to stdout
 *   hall-objstore -c CONF put NAME            stdin's bytes as it (tests, repairs)
 *   hall-objstore -c CONF rm NAME             deletes it
 *   hall-objstore -c CONF orphans [--older SECONDS] [--remove]
 *                                             the objects no row names, older
 *                                             than SECONDS (3600): name, age in
 *                                             seconds, size; --remove deletes them
 *
 * to-s3 and to-local read the s3_* options whatever objstore says, and
 * move every object (a name of the hall's: base64url) that the other side
 * does not hold with the same SHA-256: each one written, read back and its
 * hash compared before the next; with --remove, the source's copy is
 * deleted once its copy is verified.  An interrupted run is resumed by
 * running it again (what is there already, the same, is skipped).  The
 * objects stay encrypted (AES-256-GCM under the PII key) all the way: the
 * tool never decrypts.  The other commands use the driver objstore names.
 *
 * Exit status 0 done, 1 check found objects missing (or head/get: no such
 * object; orphans --remove: a DELETE failed), 2 usage, 3 a store (or, for
 * orphans, the database) failed (the run may be resumed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "hall.h"

/* larger than any object the hall writes (upload_max_bytes' bound + encryption) */
#define OBJ_MAX ((size_t)104857600 + 64)

static void
usage(void)
{
    fprintf(stderr, "usage: hall-objstore -c CONF to-s3|to-local [--remove] [--dir DIR]\n"
                    "       hall-objstore -c CONF bucket|check|ls\n"
                    "       hall-objstore -c CONF head|get|put|rm NAME\n"
                    "       hall-objstore -c CONF orphans [--older SECONDS] [--remove]\n");
}

/* the configuration twice, one for each driver (to-s3, to-local) */
static struct hall_conf conf_local, conf_s3;
static char drv_local[] = "local", drv_s3[] = "s3";

static int
same_hash(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
    unsigned char ha[32], hb[32];

    if (alen != blen)
        return 0;
    hall_sha256(a, alen, ha);
    hall_sha256(b, blen, hb);
    return memcmp(ha, hb, 32) == 0;
}

static const char *
status_text(int rc)
{
    switch (rc) {
    case 404: return "no such object";
    case 422: return "too large";
    case 504: return "the store did not answer in time";
    default: return "the store is unreachable or refused";
    }
}

/*
 * One object from src to dst (cx->conf switched between the two): skipped
 * when dst holds it with the same hash, else written and read back.
 * 0 moved, 1 there already, -1 failed (said on stderr).
 */
static int
move_one(struct hall_ctx *cx, const struct hall_conf *src, const struct hall_conf *dst,
         const char *name, int remove_src)
{
    unsigned char *a, *b;
    size_t alen, blen;
    int rc, moved = 0;

    cx->conf = src;
    rc = hall_obj_get(cx, name, OBJ_MAX, &a, &alen);
    if (rc == 404)
        return 1; /* gone meanwhile (replaced by the running hall): nothing to move */
    if (rc != 0) {
        fprintf(stderr, "hall-objstore: %s: reading it: %s\n", name, status_text(rc));
        return -1;
    }
    cx->conf = dst;
    rc = hall_obj_get(cx, name, OBJ_MAX, &b, &blen);
    if (rc != 0 && rc != 404) {
        fprintf(stderr, "hall-objstore: %s: looking for it: %s\n", name, status_text(rc));
        return -1;
    }
    if (rc != 0 || !same_hash(a, alen, b, blen)) {
        /* the local driver writes with O_EXCL: a different copy goes first */
        if (rc == 0 && hall_obj_delete(cx, name) != 0) {
            fprintf(stderr, "hall-objstore: %s: cannot replace a different copy\n", name);
            return -1;
        }
        rc = hall_obj_put(cx, name, a, alen);
        if (rc != 0) {
            fprintf(stderr, "hall-objstore: %s: writing it: %s\n", name, status_text(rc));
            return -1;
        }
        rc = hall_obj_get(cx, name, OBJ_MAX, &b, &blen);
        if (rc != 0 || !same_hash(a, alen, b, blen)) {
            fprintf(stderr, "hall-objstore: %s: the copy read back differs (%s)\n", name,
                    rc != 0 ? status_text(rc) : "SHA-256");
            return -1;
        }
        moved = 1;
    }
    if (remove_src) {
        cx->conf = src;
        rc = hall_obj_delete(cx, name);
        if (rc != 0) {
            fprintf(stderr, "hall-objstore: %s: removing the source: %s\n", name, status_text(rc));
            return -1;
        }
    }
    return moved ? 0 : 1;
}

static int
names_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names of upload_dir's objects, sorted; NULL-terminated, malloc'ed */
static char **
dir_names(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    size_t n = 0, cap = 0;

    if (d == NULL) {
        fprintf(stderr, "hall-objstore: cannot open %s: %s\n", dir, strerror(errno));
        return NULL;
    }
    while ((e = readdir(d)) != NULL) {
        if (!hall_obj_name_ok(e->d_name))
            continue;
        if (n + 2 > cap) {
            cap = cap ? cap * 2 : 256;
            v = realloc(v, cap * sizeof(*v));
            if (v == NULL)
                abort();
        }
        v[n] = strdup(e->d_name);
        if (v[n] == NULL)
            abort();
        n++;
    }
    closedir(d);
    if (v == NULL) {
        v = calloc(1, sizeof(*v));
        if (v == NULL)
            abort();
    }
    qsort(v, n, sizeof(*v), names_cmp);
    v[n] = NULL;
    *count = n;
    return v;
}

static int
to_s3(struct hall_ctx *cx, int remove_src)
{
    size_t n, i, moved = 0, there = 0;
    char **names = dir_names(conf_local.upload_dir, &n);
    int rc = 0;

    if (names == NULL)
        return 3;
    cx->conf = &conf_s3;
    if (hall_obj_bucket_create(cx) != HALL_OK) {
        fprintf(stderr, "hall-objstore: the bucket %s cannot be created or reached\n",
                conf_s3.s3_bucket);
        rc = 3;
    }
    for (i = 0; rc == 0 && i < n; i++) {
        struct hall_pool *pool = hall_pool_create(8192);
        struct hall_ctx one = *cx;
        int r;

        one.pool = pool;
        r = move_one(&one, &conf_local, &conf_s3, names[i], remove_src);
        hall_pool_destroy(pool);
        if (r < 0)
            rc = 3;
        else if (r == 0)
            moved++;
        else
            there++;
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    printf("to-s3: %zu copied and verified, %zu there already%s\n", moved, there,
           rc != 0 ? "; stopped at a failure: run again to resume" : "");
    return rc;
}

static int
to_local(struct hall_ctx *cx, int remove_src)
{
    size_t moved = 0, there = 0;
    char after[130] = "";
    int more = 1, rc = 0;

    if (mkdir(conf_local.upload_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "hall-objstore: cannot create %s: %s\n", conf_local.upload_dir,
                strerror(errno));
        return 3;
    }
    while (rc == 0 && more) {
        struct hall_pool *page = hall_pool_create(65536);
        struct hall_ctx lc = *cx;
        const char **names;
        int n, i;

        lc.pool = page;
        lc.conf = &conf_s3;
        if (hall_obj_list(&lc, after[0] != '\0' ? after : NULL, &names, &n, &more) != HALL_OK) {
            fprintf(stderr, "hall-objstore: cannot list the bucket %s\n", conf_s3.s3_bucket);
            hall_pool_destroy(page);
            rc = 3;
            break;
        }
        for (i = 0; rc == 0 && i < n; i++) {
            struct hall_pool *pool;
            struct hall_ctx one = *cx;
            int r;

            if (!hall_obj_name_ok(names[i]))
                continue;
            pool = hall_pool_create(8192);
            one.pool = pool;
            r = move_one(&one, &conf_s3, &conf_local, names[i], remove_src);
            hall_pool_destroy(pool);
            if (r < 0)
                rc = 3;
            else if (r == 0)
                moved++;
            else
                there++;
        }
        if (n > 0)
            snprintf(after, sizeof(after), "%s", names[n - 1]);
        else
            more = 0;
        hall_pool_destroy(page);
    }
    printf("to-local: %zu copied and verified, %zu there already%s\n", moved, there,
           rc != 0 ? "; stopped at a failure: run again to resume" : "");
    return rc;
}

/* names on stdin; those without an object on stdout */
static int
check(struct hall_ctx *cx)
{
    char line[256];
    size_t missing = 0, seen = 0;

    while (fgets(line, sizeof(line), stdin) != NULL) {
        struct hall_pool *pool = hall_pool_create(4096);
        struct hall_ctx one = *cx;
        size_t len;
        int rc;

        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0') {
            hall_pool_destroy(pool);
            continue;
        }
        one.pool = pool;
        seen++;
        rc = hall_obj_head(&one, line, &len);
        hall_pool_destroy(pool);
        if (rc == 404) {
            printf("missing %s\n", line);
            missing++;
        } else if (rc != 0) {
            fprintf(stderr, "hall-objstore: %s: %s\n", line, status_text(rc));
            return 3;
        }
    }
    fprintf(stderr, "check: %zu names, %zu without an object\n", seen, missing);
    return missing > 0 ? 1 : 0;
}

static int
list(struct hall_ctx *cx)
{
    char after[130] = "";
    int more = 1;

    if (!hall_obj_s3(cx->conf)) {
        size_t n, i;
        char **names = dir_names(cx->conf->upload_dir, &n);

        if (names == NULL)
            return 3;
        for (i = 0; i < n; i++) {
            printf("%s\n", names[i]);
            free(names[i]);
        }
        free(names);
        return 0;
    }
    while (more) {
        struct hall_pool *page = hall_pool_create(65536);
        struct hall_ctx lc = *cx;
        const char **names;
        int n, i;

        lc.pool = page;
        if (hall_obj_list(&lc, after[0] != '\0' ? after : NULL, &names, &n, &more) != HALL_OK) {
            hall_pool_destroy(page);
            return 3;
        }
        for (i = 0; i < n; i++)
            printf("%s\n", names[i]);
        if (n > 0)
            snprintf(after, sizeof(after), "%s", names[n - 1]);
        else
            more = 0;
        hall_pool_destroy(page);
    }
    return 0;
}

static int
one_object(struct hall_ctx *cx, const char *cmd, const char *name)
{
    unsigned char *data;
    size_t len;
    int rc;

    if (!hall_obj_name_ok(name)) {
        fprintf(stderr, "hall-objstore: %s is not an object name\n", name);
        return 2;
    }
    if (strcmp(cmd, "head") == 0) {
        rc = hall_obj_head(cx, name, &len);
        if (rc == 0)
            printf("%zu\n", len);
    } else if (strcmp(cmd, "get") == 0) {
        rc = hall_obj_get(cx, name, OBJ_MAX, &data, &len);
        if (rc == 0 && fwrite(data, 1, len, stdout) != len)
            return 3;
    } else if (strcmp(cmd, "put") == 0) {
        struct hall_buf b;
        char chunk[65536];
        size_t n;

        hall_buf_init(&b, OBJ_MAX);
        while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
            if (hall_buf_add(&b, chunk, n) != HALL_OK) {
                hall_buf_free(&b);
                fprintf(stderr, "hall-objstore: %s: too large\n", name);
                return 3;
            }
        /* the local driver writes with O_EXCL: a put replaces */
        rc = hall_obj_delete(cx, name);
        if (rc == 0)
            rc = hall_obj_put(cx, name, (const unsigned char *)(b.data != NULL ? b.data : ""),
                              b.len);
        hall_buf_free(&b);
    } else {
        rc = hall_obj_delete(cx, name);
    }
    if (rc == 404) {
        fprintf(stderr, "hall-objstore: %s: no such object\n", name);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "hall-objstore: %s: %s\n", name, status_text(rc));
        return 3;
    }
    return 0;
}

struct orphan_count {
    long listed, removed, failed;
    int64_t bytes;
    struct hall_ctx *cx;
};

static void
orphan_print(void *ud, const struct hall_obj_info *o, int rc)
{
    struct orphan_count *k = ud;

    k->listed++;
    k->bytes += o->size;
    if (rc > 0) {
        k->failed++;
        fprintf(stderr, "hall-objstore: %s: not removed: %s\n", o->name, status_text(rc));
    } else if (rc == 0) {
        k->removed++;
        /* a retired row: 已删除 */
        if (hall_order_file_swept(k->cx, o->name) != HALL_OK)
            fprintf(stderr, "hall-objstore: %s: removed, its row not marked removed\n", o->name);
    }
    printf("%s %lld %lld%s\n", o->name, (long long)o->age_s, (long long)o->size,
           rc == 0  ? " removed"
           : rc > 0 ? " failed"
                    : "");
}

/* the objects without a row (core/store/file.c, hall_file_orphans) */
static int
orphans(struct hall_ctx *cx, long older_s, int remove)
{
    struct orphan_count k = {0, 0, 0, 0, cx};
    int rc = hall_file_orphans(cx, older_s, remove, orphan_print, &k);

    fflush(stdout);
    fprintf(stderr, "orphans: %ld objects without a row older than %ld s (%lld bytes)", k.listed,
            older_s, (long long)k.bytes);
    if (remove)
        fprintf(stderr, ", %ld removed, %ld not removed", k.removed, k.failed);
    fprintf(stderr, "%s\n",
            rc != HALL_OK ? "; stopped: the store or the database failed (see the log)" : "");
    if (rc != HALL_OK)
        return 3;
    return k.failed > 0 ? 1 : 0;
}

/* --older's value: whole seconds, 0 to ten years */
static int
parse_older(const char *s, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 315360000L)
        return HALL_ERR;
    *out = v;
    return HALL_OK;
}

int
main(int argc, char **argv)
{
    /* orphans reads order_files (hall_store_stmts' obj_unnamed) and marks
     * the retired rows of what it removed (hall_order_stmts' files_swept) */
    static const struct hall_stmt *const stmts[] = {hall_store_stmts, hall_order_stmts, NULL};
    static const struct hall_module mod = {"objstore", NULL, NULL, NULL, NULL, stmts, NULL, NULL};
    static struct hall_app app;
    const char *cmd;
    char *dir = NULL;
    struct hall_pool *pool;
    struct hall_req *req;
    long older_s = 3600;
    int rc, remove_src = 0, i;

    app.mod = &mod;
    /* an object's name may begin with '-' (base64url): getopt stops at the
     * command, so that NAME after it is never taken for an option */
    setenv("POSIXLY_CORRECT", "1", 1);
    /* the options after the command are taken out before getopt, which
     * knows only -c */
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], "--remove") == 0) {
            remove_src = 1;
            memmove(argv + i, argv + i + 1, (size_t)(argc - i) * sizeof(*argv));
            argc--;
            i--;
        } else if (strcmp(argv[i], "--older") == 0) {
            if (i + 1 >= argc || parse_older(argv[i + 1], &older_s) != HALL_OK) {
                fprintf(stderr, "hall-objstore: --older takes whole seconds (0-315360000)\n");
                usage();
                return 2;
            }
            memmove(argv + i, argv + i + 2, (size_t)(argc - i - 1) * sizeof(*argv));
            argc -= 2;
            i--;
        } else if (strcmp(argv[i], "--dir") == 0) {
            if (i + 1 >= argc) {
                usage();
                return 2;
            }
            dir = argv[i + 1];
            memmove(argv + i, argv + i + 2, (size_t)(argc - i - 1) * sizeof(*argv));
            argc -= 2;
            i--;
        }
    rc = hall_tool_start(argc, argv, &app, usage, &cmd);
    if (rc != 0)
        return rc;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    conf_local = app.conf;
    conf_local.objstore = drv_local;
    if (dir != NULL)
        conf_local.upload_dir = dir;
    conf_s3 = app.conf;
    conf_s3.objstore = drv_s3;
    pool = hall_pool_create(65536);
    req = hall_app_req(&app, pool, NULL);
    if (strcmp(cmd, "to-s3") == 0 || strcmp(cmd, "to-local") == 0) {
        if (argc - optind != 1) {
            usage();
            return 2;
        }
        if (app.conf.s3_endpoint[0] == '\0' || app.conf.s3_access_key[0] == '\0' ||
            !hall_obj_ready(&conf_s3)) {
            fprintf(stderr,
                    "hall-objstore: %s needs s3_endpoint, s3_bucket, s3_access_key and"
                    " a readable s3_secret_key_file in the configuration\n",
                    cmd);
            return 2;
        }
        rc = strcmp(cmd, "to-s3") == 0 ? to_s3(req->cx, remove_src) : to_local(req->cx, remove_src);
    } else if (strcmp(cmd, "bucket") == 0 && argc - optind == 1) {
        req->cx->conf = &conf_s3;
        rc = hall_obj_bucket_create(req->cx) == HALL_OK ? 0 : 3;
        if (rc != 0)
            fprintf(stderr, "hall-objstore: cannot create the bucket %s\n", conf_s3.s3_bucket);
    } else if (strcmp(cmd, "check") == 0 && argc - optind == 1) {
        rc = check(req->cx);
    } else if (strcmp(cmd, "orphans") == 0 && argc - optind == 1) {
        rc = orphans(req->cx, older_s, remove_src);
    } else if (strcmp(cmd, "ls") == 0 && argc - optind == 1) {
        rc = list(req->cx);
    } else if ((strcmp(cmd, "head") == 0 || strcmp(cmd, "get") == 0 || strcmp(cmd, "put") == 0 ||
                strcmp(cmd, "rm") == 0) &&
               argc - optind == 2) {
        rc = one_object(req->cx, cmd, argv[optind + 1]);
    } else {
        usage();
        rc = 2;
    }
    hall_pool_destroy(pool);
    curl_global_cleanup();
    return rc;
}
