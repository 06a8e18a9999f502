/*
 * hall-pkitool: the CA back office from the command line.
 *
 *   hall-pkitool -c CONF issue ORDER_ID...  制作证书 as "cli:hall-pkitool" onto a
 *                                           USB key (medium_module): it makes
 *                                           no key in the hall, and refuses
 *                                           (status 3) a key born in the
 *                                           browser (its holder's); with
 *                                           several, one after the other, and
 *                                           the certificates per second
 *   hall-pkitool -c CONF issue-file ORDER_ID...  refused for every order
 *                                           (status 3, saying why): the hall
 *                                           generates no subscriber key (issue
 *                                           64 §4), an order with seals' neither;
 *                                           use issue
 *   hall-pkitool -c CONF reconcile [SECS]   void the intents older than SECS
 *                                           (default 0: run it with the hall stopped,
 *                                           or after the issuer is known dead)
 *   hall-pkitool -c CONF media-reconcile [SECS]  wipe the station's media left
 *                                           'initialising' longer than SECS
 *                                           (default 600) by a production that
 *                                           did not finish, void their orders'
 *                                           intents; the next USB-key 制作证书
 *                                           does it too (docs/operations.md)
 *   hall-pkitool -c CONF crl                regenerate every CA's CRL (and the root's) now
 *   hall-pkitool -c CONF reminders          queue the expiry reminders due now
 *                                           (what hall-outbox's tick does)
 *   hall-pkitool -c CONF ceremony           the key ceremony: the ECDSA hierarchy's
 *                                           keys made in the PKCS#11 token, their
 *                                           certificates in pki_dir, all
 *                                           fingerprints printed, audited
 *                                           (core/pki/ceremony.c; exit 0 also
 *                                           when it was there already)
 *   hall-pkitool -c CONF report             the 验签报告's signer: its key made in
 *                                           its own token (report_token), its
 *                                           certificate from the ecc CA (a row of
 *                                           certificates, kind 'service') and its
 *                                           验签专用章 in pki_dir, kept while valid
 *                                           and issued (pkitool_report.c)
 *   hall-pkitool -c CONF audit-seal [SECS]  sign the audit log's days that are
 *                                           over (Beijing days ended more than
 *                                           SECS ago, default 300) and not sealed
 *                                           yet, as hall-outbox's CA tick does
 *                                           (docs/internals/audit-chain.md)
 *   hall-pkitool -c CONF audit-mark         sign each chain's last row not
 *                                           marked yet, as hall-outbox does
 *                                           every audit_mark_s seconds
 *   hall-pkitool -c CONF custody [DAYS]     destroy the media received (已签收)
 *                                           more than DAYS ago (default
 *                                           medium_keep_days), as hall-outbox's
 *                                           CA tick does (core/biz/custody.c)
 *   hall-pkitool -c CONF codesign FILE...   FILE.p7s beside each FILE: a detached
 *                                           CMS signature (DER, SHA-256) by the
 *                                           token's key "codesign", carrying its
 *                                           certificate and the issuing CA's
 *                                           (script/stamp-dist --sign)
 *
 *   hall-pkitool -c CONF partner-secret CODE link|hook [remove]
 *   hall-pkitool -c CONF partner-key CODE KEY_ID [INTERVAL]
 *   hall-pkitool -c CONF partner-secrets    the partners' shared secrets,
 *                                           encrypted under the PII key: set
 *                                           from standard input, added, and at
 *                                           each start the clear ones moved
 *                                           (pkitool_psecret.c)
 *
 *   hall-pkitool -c CONF rotate-pass [FILE] a new key-encryption passphrase
 *                                           (pki_pass_file): every file kept
 *                                           encrypted under it in pki_dir,
 *                                           demo_dir, pay_key_dir,
 *                                           provider_key_dir and
 *                                           s3_secret_key_file, and the PII
 *                                           key_file's wrap, written anew
 *                                           under the new one (FILE's first
 *                                           line, else 32 random bytes in
 *                                           hex), then the passphrase
 *                                           replaced; resumed when run again
 *                                           after a crash (rotate_pass)
 *
 * HALL_PKI_FAULT=after_sign in the environment makes an issue exit (status
 * 70) between signing and storing: the reconciliation test uses it;
 * HALL_PKI_FAULT=rotate_after_N makes rotate-pass exit 70 once N files are
 * written anew (tests/integ/zx_secrets_at_rest.test.js: a crash mid-way).
 * Exit status 0 on success, 1 on error, 2 on usage, 3 when the order
 * cannot be issued now (with the reason on stderr).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "hall.h"
#include "pkitool.h"

static const struct hall_stmt tool_stmts[] = {
    {NULL, NULL, 0},
};

/* issue ORDER_ID ORDER_ID ...: one after the other, each its own request
 * (bench/issue measures the production step's throughput with it) */
static int
issue_many(struct hall_req *parent, int n, char **ids, const char *medium)
{
    struct timespec t0, t1, c0, c1;
    const char *msg;
    double s, cpu;
    int i, ok = 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    for (i = 0; i < n; i++) {
        struct hall_pool *pool = hall_pool_create(8192);
        struct hall_req *req = hall_pcalloc(pool, sizeof(*req));

        *req = *parent;
        req->pool = pool;
        req->cx->in_tx = 0;
        if (hall_produce_onto(req->cx, strtoll(ids[i], NULL, 10), "cli:hall-pkitool", medium,
                              &msg) == HALL_OK)
            ok++;
        else
            fprintf(stderr, "hall-pkitool: order %s: %s\n", ids[i], msg);
        if (req->cx->in_tx)
            hall_db_rollback(req->cx);
        hall_pool_destroy(pool);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    /* the issuer's own CPU: keys, signature, PKCS#12, encryption (not PostgreSQL's) */
    printf("issued %d of %d certificates in %.3f s: %.1f per second, %.2f ms of CPU each\n", ok, n,
           s, s > 0 ? ok / s : 0.0, ok > 0 ? cpu * 1000 / ok : 0.0);
    return ok == n ? 0 : 1;
}

/*
 * codesign FILE...: FILE.p7s for each, written whole or not at all (a
 * .new renamed).  The signer is the ceremony's "codesign" (extendedKeyUsage
 * codeSigning, issued by ecc); the chain up to the root rides in the CMS, so
 * `openssl cms -verify -binary -inform DER -in FILE.p7s -content FILE
 * -CAfile root.crt -purpose any` needs the hall's root alone.
 */
static int
codesign(const struct hall_conf *conf, int n, char **files)
{
    X509 *cert = hall_pki_cert_load(conf->pki_dir, "codesign", NULL);
    X509 *ca = hall_pki_cert_load(conf->pki_dir, "ecc", NULL);
    STACK_OF(X509) *chain = sk_X509_new_null();
    EVP_PKEY *key = NULL;
    char err[512];
    int i, rc = 1;

    if (ca != NULL && (chain == NULL || sk_X509_push(chain, ca) <= 0)) {
        X509_free(ca);
        ca = NULL;
    }
    if (cert == NULL || ca == NULL) {
        fprintf(stderr,
                "hall-pkitool: codesign: %s/codesign.crt or ecc.crt missing (run the"
                " ceremony)\n",
                conf->pki_dir);
        goto out;
    }
    key = hall_pki_key("codesign", err, sizeof(err));
    if (key == NULL) {
        fprintf(stderr, "hall-pkitool: codesign: %s\n", err);
        goto out;
    }
    for (i = 0; i < n; i++) {
        const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
        char out[4200], tmp[4300];
        CMS_ContentInfo *cms = NULL;
        BIO *in = NULL, *o = NULL;
        int ok;

        if (snprintf(out, sizeof(out), "%s.p7s", files[i]) >= (int)sizeof(out)) {
            fprintf(stderr, "hall-pkitool: codesign: %s: name too long\n", files[i]);
            goto out;
        }
        snprintf(tmp, sizeof(tmp), "%s.new", out);
        in = BIO_new_file(files[i], "rb");
        cms = in != NULL ? CMS_sign(NULL, NULL, chain, NULL, flags) : NULL;
        ok = cms != NULL && CMS_add1_signer(cms, cert, key, EVP_sha256(), flags) != NULL &&
             CMS_final(cms, in, NULL, flags) == 1;
        o = ok ? BIO_new_file(tmp, "wb") : NULL;
        ok = o != NULL && i2d_CMS_bio(o, cms) == 1;
        ok = o != NULL && BIO_free(o) == 1 && ok;
        CMS_ContentInfo_free(cms);
        BIO_free(in);
        if (!ok || rename(tmp, out) != 0) {
            unlink(tmp);
            fprintf(stderr, "hall-pkitool: codesign: %s: cannot sign or write %s\n", files[i], out);
            goto out;
        }
        printf("%s\n", out);
    }
    rc = 0;
out:
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    X509_free(cert);
    return rc;
}

/* the folder of path synced, so that a rename in it lasts */
static void
dir_sync(const char *path)
{
    char dir[4096], *slash;
    int fd;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* text and a newline as path, 0600: path.tmp synced and renamed */
static int
line_write(const char *path, const char *text)
{
    char tmp[4096];
    int fd, ok;
    size_t n = strlen(text);

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return HALL_ERR;
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return HALL_ERR;
    ok = write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return HALL_ERR;
    }
    dir_sync(path);
    return HALL_OK;
}

struct rotation {
    const char *oldpass, *newpass;
    int done, already, failed;
    int cut_after; /* HALL_PKI_FAULT=rotate_after_N: exit 70 after N files (the tests' crash) */
};

/* one file written anew under the new passphrase (one that is no
 * encrypted key is left alone) */
static void
rotate_file(struct rotation *r, const char *path)
{
    const char *why = NULL;
    int rc;

    rc = hall_keyfile_reencrypt(path, r->oldpass, r->newpass, &why);
    if (rc == 1 && r->cut_after > 0 && r->done + 1 >= r->cut_after) {
        fprintf(stderr, "hall-pkitool: rotate-pass: HALL_PKI_FAULT: cut after %d file(s)\n",
                r->cut_after);
        _exit(70);
    }
    if (rc == 1)
        r->done++;
    else if (rc == 2)
        r->already++;
    else if (rc < 0) {
        fprintf(stderr, "hall-pkitool: rotate-pass: %s: %s\n", path,
                why != NULL && strcmp(why, "write") == 0
                    ? "cannot write it anew"
                    : "opens with neither the old nor the new passphrase");
        r->failed++;
    }
}

/* every regular file of dir (and of its folders down to depth more)
 * written anew under the new passphrase */
static void
rotate_dir(struct rotation *r, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat st;
    char path[4096];
    size_t n;

    if (d == NULL) {
        if (errno != ENOENT) {
            fprintf(stderr, "hall-pkitool: rotate-pass: cannot read %s\n", dir);
            r->failed++;
        }
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        n = strlen(e->d_name);
        /* a file a crash left half-written: never a key */
        if ((n > 4 && strcmp(e->d_name + n - 4, ".rot") == 0) ||
            (n > 4 && strcmp(e->d_name + n - 4, ".new") == 0))
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
            lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth > 0)
                rotate_dir(r, path, depth - 1);
            continue;
        }
        if (!S_ISREG(st.st_mode))
            continue;
        rotate_file(r, path);
    }
    closedir(d);
}

/* rotate-pass [FILE]: pki_pass_file.next holds the new passphrase first
 * (kept when it is there: a rotation resumed); every encrypted file is then
 * written anew under it, one rename each; only when all are done does
 * .next replace pki_pass_file.  A crash leaves each file whole, under the
 * old passphrase or the new one, both on disk: the hall's loaders try
 * .next too, and running this again finishes the work. */
static int
rotate_pass(const struct hall_conf *conf, const char *from)
{
    char oldpass[256], newpass[256], next[4096];
    unsigned char rnd[32];
    struct rotation r;
    struct stat st;
    const char *dirs[3];
    int i, rc = 1;

    if (conf->pki_pass_file == NULL || conf->pki_pass_file[0] == '\0' ||
        hall_file_line(conf->pki_pass_file, oldpass, sizeof(oldpass)) != HALL_OK) {
        fprintf(stderr, "hall-pkitool: rotate-pass: pki_pass_file %s cannot be read\n",
                conf->pki_pass_file != NULL ? conf->pki_pass_file : "");
        return 1;
    }
    if (snprintf(next, sizeof(next), "%s.next", conf->pki_pass_file) >= (int)sizeof(next))
        goto out;
    if (hall_file_line(next, newpass, sizeof(newpass)) == HALL_OK) {
        printf("resuming the rotation begun with %s\n", next);
    } else if (from != NULL) {
        if (hall_file_line(from, newpass, sizeof(newpass)) != HALL_OK || strlen(newpass) < 16) {
            fprintf(stderr,
                    "hall-pkitool: rotate-pass: %s: no passphrase of 16 characters or"
                    " more on its first line\n",
                    from);
            goto out;
        }
    } else {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1)
            goto out;
        for (i = 0; i < (int)sizeof(rnd); i++)
            snprintf(newpass + 2 * i, 3, "%02x", rnd[i]);
        OPENSSL_cleanse(rnd, sizeof(rnd));
    }
    if (strcmp(newpass, oldpass) == 0) {
        fprintf(stderr, "hall-pkitool: rotate-pass: the new passphrase is the old one\n");
        goto out;
    }
    if (line_write(next, newpass) != HALL_OK) {
        fprintf(stderr, "hall-pkitool: rotate-pass: cannot write %s\n", next);
        goto out;
    }
    memset(&r, 0, sizeof(r));
    if (getenv("HALL_PKI_FAULT") != NULL &&
        strncmp(getenv("HALL_PKI_FAULT"), "rotate_after_", 13) == 0)
        r.cut_after = atoi(getenv("HALL_PKI_FAULT") + 13);
    r.oldpass = oldpass;
    r.newpass = newpass;
    dirs[0] = conf->pki_dir;
    dirs[1] = conf->demo_dir;
    dirs[2] = conf->provider_key_dir;
    for (i = 0; i < 3; i++)
        if (dirs[i] != NULL && dirs[i][0] != '\0')
            rotate_dir(&r, dirs[i], 0);
    if (conf->pay_key_dir != NULL && conf->pay_key_dir[0] != '\0')
        rotate_dir(&r, conf->pay_key_dir, 1);
    /* the object store's secret key, where there is one (objstore = s3) */
    if (conf->s3_secret_key_file != NULL && conf->s3_secret_key_file[0] != '\0' &&
        stat(conf->s3_secret_key_file, &st) == 0)
        rotate_file(&r, conf->s3_secret_key_file);
    /* the PII key, wrapped under the same passphrase (script/lib/common.sh's
     * pii_key): the same key re-wrapped, the data untouched */
    if (conf->key_file != NULL && conf->key_file[0] != '\0')
        rotate_file(&r, conf->key_file);
    if (r.failed > 0) {
        fprintf(stderr,
                "hall-pkitool: rotate-pass: %d file(s) not done; the passphrase is unchanged,"
                " %s kept: fix them and run rotate-pass again\n",
                r.failed, next);
        goto out;
    }
    if (rename(next, conf->pki_pass_file) != 0) {
        fprintf(stderr, "hall-pkitool: rotate-pass: cannot replace %s with %s\n",
                conf->pki_pass_file, next);
        goto out;
    }
    dir_sync(conf->pki_pass_file);
    printf("%d file(s) encrypted anew, %d already were; %s replaced\n", r.done, r.already,
           conf->pki_pass_file);
    rc = 0;
out:
    OPENSSL_cleanse(oldpass, sizeof(oldpass));
    OPENSSL_cleanse(newpass, sizeof(newpass));
    return rc;
}

static void
usage(void)
{
    fprintf(stderr, "usage: hall-pkitool -c CONF issue ORDER_ID...\n"
                    "       hall-pkitool -c CONF issue-file ORDER_ID...  (refused: no"
                    " key made in the hall)\n"
                    "       hall-pkitool -c CONF reconcile [MIN_AGE_SECONDS]\n"
                    "       hall-pkitool -c CONF media-reconcile [MIN_AGE_SECONDS]\n"
                    "       hall-pkitool -c CONF crl\n"
                    "       hall-pkitool -c CONF reminders\n"
                    "       hall-pkitool -c CONF custody [DAYS]\n"
                    "       hall-pkitool -c CONF ceremony\n"
                    "       hall-pkitool -c CONF report\n"
                    "       hall-pkitool -c CONF audit-seal [SECONDS]\n"
                    "       hall-pkitool -c CONF audit-mark\n"
                    "       hall-pkitool -c CONF codesign FILE...\n"
                    "       hall-pkitool -c CONF rotate-pass [FILE]\n"
                    "       hall-pkitool -c CONF partner-secret CODE link|hook [remove]"
                    "  (the secret: stdin)\n"
                    "       hall-pkitool -c CONF partner-key CODE KEY_ID [INTERVAL]"
                    "  (the secret: stdin)\n"
                    "       hall-pkitool -c CONF partner-secrets\n");
}

/* reconcile [SECS]: the dead intents voided; media-reconcile [SECS]: the
 * half-made media wiped (core/biz/medium_reconcile.c).  The exit status */
static int
reconcile(struct hall_req *req, const char *cmd, const char *secs)
{
    int n;

    if (strcmp(cmd, "reconcile") == 0) {
        n = hall_pki_reconcile(req->cx, secs != NULL ? atol(secs) : 0);
        if (n >= 0)
            printf("%d dead intent(s) voided\n", n);
    } else if (strcmp(cmd, "media-reconcile") == 0) {
        n = hall_media_reconcile(req->cx, secs != NULL ? atol(secs) : HALL_MEDIUM_STALE_S,
                                 "cli:hall-pkitool");
        if (n >= 0)
            printf("%d half-made medium(s) wiped\n", n);
    } else {
        usage();
        return 2;
    }
    return n >= 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    static const struct hall_module mod = {"pkitool",       NULL, tool_stmts, NULL, NULL,
                                           hall_core_stmts, NULL, NULL};
    static struct hall_app app;
    const char *cmd, *msg;
    struct hall_req *req;
    char err[512];
    int rc, i, n;
    const char *name, *alg, *pem;

    app.mod = &mod;
    /* produce draws a seal re-made after a 变更 of the name (libhallseal) */
    rc = hall_tool_start(argc, argv, &app, usage, &cmd);
    if (rc != 0)
        return rc;
    if (strcmp(cmd, "rotate-pass") == 0) {
        /* no token, no database: the files and the passphrase only */
        if (argc - optind > 2) {
            usage();
            return 2;
        }
        rc = rotate_pass(&app.conf, argc - optind == 2 ? argv[optind + 1] : NULL);
        hall_conf_free(&app.conf);
        return rc;
    }
    if (strcmp(cmd, "report") == 0) {
        /* the two tokens in turn, and the register (its certificate's row) */
        if (argc - optind != 1) {
            usage();
            return 2;
        }
        req = hall_tool_req(&app);
        if (req == NULL)
            return 1;
        rc = pkitool_report(req->cx, &app.conf);
        if (req->cx->in_tx)
            hall_db_rollback(req->cx);
        hall_pool_destroy(req->pool);
        hall_conf_free(&app.conf);
        return rc;
    }
    if (strncmp(cmd, "partner-", 8) == 0) {
        /* the database and the PII key only, no token */
        req = hall_tool_req(&app);
        if (req == NULL)
            return 1;
        rc = pkitool_psecret(req->cx, cmd, argc - optind - 1, argv + optind + 1);
        if (rc == 2)
            usage();
        if (req->cx->in_tx)
            hall_db_rollback(req->cx);
        hall_pool_destroy(req->pool);
        hall_conf_free(&app.conf);
        return rc;
    }
    if (strcmp(cmd, "ceremony") == 0) {
        if (argc - optind != 1) {
            usage();
            return 2;
        }
        req = hall_tool_req(&app);
        if (req == NULL)
            return 1;
        rc = hall_pki_ceremony(req->cx, &app.conf, "cli:hall-pkitool", stdout, err, sizeof(err));
        if (rc == HALL_ERR)
            fprintf(stderr, "hall-pkitool: ceremony: %s\n", err);
        hall_pool_destroy(req->pool);
        hall_conf_free(&app.conf);
        return rc == HALL_ERR ? 1 : 0;
    }
    if (hall_pki_load(&app.conf, HALL_PKI_CA_KEYS | HALL_PKI_AUDIT_KEY, err, sizeof(err)) !=
        HALL_OK) {
        fprintf(stderr, "hall-pkitool: %s\n", err);
        return 1;
    }
    req = hall_tool_req(&app);
    if (req == NULL)
        return 1;
    rc = 2;
    if (strncmp(cmd, "issue", 5) == 0 && argc - optind > 2 &&
        (strcmp(cmd, "issue") == 0 || strcmp(cmd, "issue-file") == 0)) {
        rc = issue_many(req, argc - optind - 1, argv + optind + 1,
                        strcmp(cmd, "issue") == 0 ? "pkcs11" : "p12");
    } else if ((strcmp(cmd, "issue") == 0 || strcmp(cmd, "issue-file") == 0) &&
               argc - optind == 2) {
        int64_t id = strtoll(argv[optind + 1], NULL, 10);

        rc = hall_produce_onto(req->cx, id, "cli:hall-pkitool",
                               strcmp(cmd, "issue") == 0 ? "pkcs11" : "p12", &msg);
        if (rc == HALL_OK) {
            printf("%s\n", msg);
            rc = 0;
        } else {
            fprintf(stderr, "hall-pkitool: %s\n", msg);
            rc = rc == HALL_CONFLICT ? 3 : 1;
        }
    } else if (strstr(cmd, "reconcile") != NULL && argc - optind <= 2) {
        rc = reconcile(req, cmd, argc - optind == 2 ? argv[optind + 1] : NULL);
    } else if (strcmp(cmd, "custody") == 0 && argc - optind <= 2) {
        n = hall_custody_sweep(req->cx, argc - optind == 2 ? atol(argv[optind + 1])
                                                           : app.conf.medium_keep_days);
        if (n >= 0)
            printf("%d medium(s) destroyed\n", n);
        rc = n >= 0 ? 0 : 1;
    } else if (strcmp(cmd, "crl") == 0 && argc - optind == 1) {
        rc = 0;
        for (i = 0; hall_pki_ca_info(i, &name, &alg, &pem) == HALL_OK; i++)
            if (hall_pki_crl_refresh(req->cx, name, 1) != HALL_OK)
                rc = 1;
        if (hall_pki_crl_refresh(req->cx, HALL_PKI_ROOT_CRL, 1) != HALL_OK)
            rc = 1;
    } else if (strcmp(cmd, "audit-seal") == 0 && argc - optind <= 2) {
        n = hall_audit_anchor_days(req->cx, argc - optind == 2 ? atol(argv[optind + 1]) : 300);
        if (n >= 0)
            printf("%d daily seal(s) of the audit log signed\n", n);
        rc = n >= 0 ? 0 : 1;
    } else if (strcmp(cmd, "audit-mark") == 0 && argc - optind == 1) {
        n = hall_audit_mark_heads(req->cx, 1);
        if (n >= 0)
            printf("%d chain(s) of the audit log marked\n", n);
        rc = n >= 0 ? 0 : 1;
    } else if (strcmp(cmd, "codesign") == 0 && argc - optind >= 2) {
        rc = codesign(&app.conf, argc - optind - 1, argv + optind + 1);
    } else if (strcmp(cmd, "reminders") == 0 && argc - optind == 1) {
        n = hall_reminder_tick(req->cx);
        if (n >= 0)
            printf("%d expiry reminder(s) queued\n", n);
        rc = n >= 0 ? 0 : 1;
    } else {
        usage();
    }
    if (req->cx->in_tx)
        hall_db_rollback(req->cx);
    hall_pool_destroy(req->pool);
    hall_conf_free(&app.conf);
    return rc;
}
