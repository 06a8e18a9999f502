/*
 * hall-stamp: the 盖章工具 (docs/modules/stamp.md).  Stamps a PDF with one
 * of the hall's electronic seals and the signer's key, from a PKCS#12
 * medium or a PKCS#11 token, and verifies a PDF's stamps offline from the
 * certificates given.  The format is docs/internals/stamp.md; the work is
 * core/stamp/stamp_*.c's.
 *
 *   hall-stamp sign --in A.pdf --out B.pdf --seal X.seseal
 *                   (--p12 M.p12 | --pkcs11-module SO --token LABEL [--key-label L])
 *                   --page N --x MM --y MM --tsa URL [--pin-fd N] [--chain CA.crt]
 *                   [--hall URL] [--level B-LT|B-T]
 *   hall-stamp lta [--tsa URL] [--hall URL] [--ca F ...] [--out OUT.pdf] FILE.pdf
 *   hall-stamp verify [--root F ...] [--ca F ...] [--demo-root F] [--hall URL | --offline]
 *                   FILE.pdf
 *
 * sign writes PAdES B-LT by default: a /DSS revision after the stamp with
 * the chain and the hall's OCSP answer for the signer; lta adds a document
 * timestamp (B-LTA), again later to extend it (docs/internals/stamp.md §1a).
 *
 * The PIN is read from the terminal without echo, or from a file
 * descriptor (--pin-fd): never from the command line, where ps shows it.
 *
 * Revocation (docs/internals/stamp.md §3): sign asks the signer's status of
 * the OCSP responder its certificate names (its CRL when OCSP does not
 * answer) and the seal's of the hall (GET /sign/seal-status), and writes
 * nothing when either is revoked or cannot be learnt; verify asks the same
 * and says so when it could not.  --hall asks another address of the hall.
 *
 * Exit status: 0 done (verify: every stamp 有效); 1 verify: a stamp is not
 * 有效, or the file holds none; 2 usage; 3 could not (a file unreadable,
 * not a PDF, encrypted or damaged, a wrong PIN, the TSA unreachable, the
 * signer's or the seal's status not learnt); 4 sign refused: the signer's
 * certificate revoked or the seal cancelled.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/base.h"
#include "pki/pki.h"
#include "stamp/stamp.h"
#include "stamp_find.h"
#include "stamp_batch.h"
#include "stamp_crosspage.h"
#include "stamp_usage.h"
#include "stamp_askreport.h"
#include "stamp_token.h"

#define EXIT_INVALID 1
#define EXIT_USAGE   2
#define EXIT_FAIL    3
#define EXIT_REFUSED 4
#define FILE_MAX     (200L * 1024 * 1024)

static int zh;

#define T(cn, en) (zh ? (cn) : (en))

/* the help text (stamp_usage.c) */
static void
usage(FILE *f)
{
    stamp_usage(f, zh);
}

static void
lang_init(int argc, char **argv)
{
    const char *l = getenv("LC_ALL");
    int i;

    if (l == NULL || l[0] == '\0')
        l = getenv("LC_MESSAGES");
    if (l == NULL || l[0] == '\0')
        l = getenv("LANG");
    zh = l != NULL && strncmp(l, "zh", 2) == 0;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            zh = strncmp(argv[i + 1], "zh", 2) == 0;
        else if (strncmp(argv[i], "--lang=", 7) == 0)
            zh = strncmp(argv[i] + 7, "zh", 2) == 0;
    }
}

/* the PIN: from fd (one line), or the terminal without echo */
static int
read_pin(int pin_fd, char *pin, size_t max)
{
    size_t n = 0;

    if (pin_fd >= 0) {
        char c;

        while (n + 1 < max) {
            ssize_t r = read(pin_fd, &c, 1);

            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0 || c == '\n')
                break;
            pin[n++] = c;
        }
        if (n > 0 && pin[n - 1] == '\r')
            n--;
        pin[n] = '\0';
        return n > 0 ? HALL_OK : HALL_ERR;
    }
    {
        int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
        struct termios old, quiet;
        FILE *f;

        if (tty < 0)
            return HALL_ERR;
        f = fdopen(tty, "r+");
        if (f == NULL) {
            close(tty);
            return HALL_ERR;
        }
        fputs(T("请输入PIN码：", "PIN: "), f);
        fflush(f);
        if (tcgetattr(tty, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(tty, TCSAFLUSH, &quiet);
        }
        if (fgets(pin, (int)max, f) == NULL)
            pin[0] = '\0';
        tcsetattr(tty, TCSAFLUSH, &old);
        fputs("\n", f);
        fclose(f);
        pin[strcspn(pin, "\r\n")] = '\0';
        return pin[0] != '\0' ? HALL_OK : HALL_ERR;
    }
}

/* every certificate of a PEM (or DER) file */
static int
certs_load(const char *path, STACK_OF(X509) * out)
{
    BIO *b = BIO_new_file(path, "r");
    X509 *x;
    int n = 0;

    if (b == NULL)
        return -1;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        sk_X509_push(out, x);
        n++;
    }
    ERR_clear_error();
    if (n == 0) {
        BIO_free(b);
        b = BIO_new_file(path, "rb");
        x = b != NULL ? d2i_X509_bio(b, NULL) : NULL;
        if (x != NULL) {
            sk_X509_push(out, x);
            n++;
        }
    }
    BIO_free(b);
    return n;
}

static int
self_signed(X509 *x)
{
    return X509_check_issued(x, x) == X509_V_OK;
}

static int
is_sm2(X509 *x)
{
    EVP_PKEY *k = X509_get0_pubkey(x);

    return k != NULL && EVP_PKEY_is_a(k, "SM2");
}

/* hall-stamp sign's arguments */
struct sign_args {
    const char *in_path, *out_path, *seal_path, *p12_path, *module, *token, *key_label, *tsa,
        *chain_path, *hall;
    const char *out_dir; /* --out-dir: many inputs (stamp_batch.c) */
    char **inputs;       /* --in and the arguments after the options */
    int ninputs;
    int page, pin_fd;
    int lt;     /* 1: B-LT (the default), 0: --level B-T */
    int qifeng; /* HALL_STAMP_QIFENG_RIGHT, _LEFT; 0 none */
    int qf_first, qf_last;
    double x, y;
    const char *keyword; /* --keyword: where the text is, instead of --page --x --y */
    int kw_which;        /* --keyword-match, enum stamp_find_which */
    double kw_dx, kw_dy; /* --keyword-offset, mm */
};

/* 0, or EXIT_USAGE with the message printed */
static int
sign_args_parse(int argc, char **argv, struct sign_args *a)
{
    static const struct option opts[] = {{"in", required_argument, NULL, 'i'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"seal", required_argument, NULL, 's'},
                                         {"p12", required_argument, NULL, 'k'},
                                         {"pkcs11-module", required_argument, NULL, 'm'},
                                         {"token", required_argument, NULL, 't'},
                                         {"key-label", required_argument, NULL, 'l'},
                                         {"page", required_argument, NULL, 'p'},
                                         {"x", required_argument, NULL, 'x'},
                                         {"y", required_argument, NULL, 'y'},
                                         {"tsa", required_argument, NULL, 'a'},
                                         {"pin-fd", required_argument, NULL, 'f'},
                                         {"chain", required_argument, NULL, 'c'},
                                         {"hall", required_argument, NULL, 'H'},
                                         {"level", required_argument, NULL, 'V'},
                                         {"lang", required_argument, NULL, 'L'},
                                         {"keyword", required_argument, NULL, 'K'},
                                         {"keyword-match", required_argument, NULL, 'M'},
                                         {"keyword-offset", required_argument, NULL, 'O'},
                                         {"out-dir", required_argument, NULL, 'D'},
                                         {"qifeng", optional_argument, NULL, 'Q'},
                                         {"pages", required_argument, NULL, 'P'},
                                         {NULL, 0, NULL, 0}};
    char *end;
    int c, have_x = 0, have_y = 0, kw_bad = 0, bad_qf = 0;

    memset(a, 0, sizeof(*a));
    a->pin_fd = -1;
    a->lt = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i': a->in_path = optarg; break;
        case 'o': a->out_path = optarg; break;
        case 's': a->seal_path = optarg; break;
        case 'k': a->p12_path = optarg; break;
        case 'm': a->module = optarg; break;
        case 't': a->token = optarg; break;
        case 'l': a->key_label = optarg; break;
        case 'p':
            a->page = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || a->page < 1)
                a->page = -1;
            break;
        case 'x':
            a->x = strtod(optarg, &end);
            have_x = *end == '\0' && end != optarg;
            break;
        case 'y':
            a->y = strtod(optarg, &end);
            have_y = *end == '\0' && end != optarg;
            break;
        case 'a': a->tsa = optarg; break;
        case 'f':
            a->pin_fd = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || a->pin_fd < 0)
                a->pin_fd = -2;
            break;
        case 'c': a->chain_path = optarg; break;
        case 'H': a->hall = optarg; break;
        case 'V':
            a->lt = strcmp(optarg, "B-LT") == 0 ? 1 : strcmp(optarg, "B-T") == 0 ? 0 : -1;
            break;
        case 'L': break;
        case 'K': a->keyword = optarg; break;
        case 'M':
            a->kw_which = stamp_find_which(optarg);
            kw_bad |= a->kw_which < 0;
            break;
        case 'O': kw_bad |= stamp_find_offset(optarg, &a->kw_dx, &a->kw_dy) != 0; break;
        case 'D': a->out_dir = optarg; break;
        case 'Q': a->qifeng = stamp_qifeng_edge_arg(optarg, argc, argv, &optind); break;
        case 'P':
            bad_qf = stamp_qifeng_pages_arg(optarg, &a->qf_first, &a->qf_last) != HALL_OK;
            break;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (kw_bad || (a->keyword != NULL && (a->keyword[0] == '\0' || a->page != 0 || have_x ||
                                          have_y || a->out_dir != NULL))) {
        fprintf(
            stderr, "%s\n",
            T("hall-stamp sign：--keyword 不能为空，不与 --page --x --y --out-dir 同用；"
              "--keyword-match 只能是 all、first 或 last；--keyword-offset 为 横,纵 毫米",
              "hall-stamp sign: --keyword is not empty and goes without --page --x --y --out-dir; "
              "--keyword-match is all, first or last; --keyword-offset is DX,DY in mm"));
        return EXIT_USAGE;
    }
    if (a->qifeng < 0 || bad_qf || (a->qf_first > 0 && a->qifeng == 0) ||
        (a->qifeng > 0 && a->out_dir != NULL)) {
        fprintf(stderr, "%s\n",
                T("hall-stamp sign：--qifeng 只能是 right（默认）或 left，不与 --out-dir 同用；"
                  "--pages 形如 1-5，须与 --qifeng 同用",
                  "hall-stamp sign: --qifeng is right (the default) or left, without --out-dir; "
                  "--pages is like 1-5, with --qifeng"));
        return EXIT_USAGE;
    }
    if (a->keyword != NULL)
        a->page = have_x = have_y = 1; /* the places are found later */
    /* a 骑缝章 alone: no page stamp asked */
    if (a->qifeng > 0 && a->page == 0 && !have_x)
        a->page = -3;
    if (a->lt < 0) {
        fprintf(stderr, "%s\n",
                T("hall-stamp sign：--level 只能是 B-LT（默认）或 B-T",
                  "hall-stamp sign: --level is B-LT (the default) or B-T"));
        return EXIT_USAGE;
    }
    if (a->out_dir != NULL &&
        stamp_batch_args(argc, argv, a->in_path, a->out_path, &a->inputs, &a->ninputs, zh) != 0)
        return EXIT_USAGE;
    if ((a->out_dir == NULL && (a->in_path == NULL || a->out_path == NULL || optind != argc)) ||
        a->seal_path == NULL || a->tsa == NULL || (a->p12_path == NULL) == (a->module == NULL) ||
        (a->module != NULL && a->token == NULL) ||
        (a->page != -3 && (a->page <= 0 || !have_x || !have_y)) || a->pin_fd == -2) {
        fprintf(stderr, "%s\n",
                T("hall-stamp sign：参数不全或有误（--in --out --seal --page --x --y --tsa "
                  "必填，--p12 与 --pkcs11-module 二选一）",
                  "hall-stamp sign: missing or bad arguments (--in --out --seal --page --x --y "
                  "--tsa are required, and one of --p12 or --pkcs11-module)"));
        usage(stderr);
        return EXIT_USAGE;
    }
    if (a->out_dir == NULL && strcmp(a->in_path, a->out_path) == 0) {
        fprintf(stderr, "%s\n",
                T("hall-stamp：--out 不能与 --in 相同", "hall-stamp: --out must differ from --in"));
        return EXIT_USAGE;
    }
    return 0;
}

/* the key and certificate of a PKCS#12 medium; its CAs (not the root) onto chain */
static int
signer_from_p12(const char *path, const char *pin, EVP_PKEY **key, X509 **cert,
                STACK_OF(X509) * chain)
{
    size_t len = 0;
    unsigned char *der = hall_whole_file(path, FILE_MAX, &len);
    BIO *b = der != NULL ? BIO_new_mem_buf(der, (int)len) : NULL;
    PKCS12 *p = b != NULL ? d2i_PKCS12_bio(b, NULL) : NULL;
    STACK_OF(X509) *ca = NULL;
    int i, rc = HALL_ERR;

    BIO_free(b);
    if (p == NULL) {
        fprintf(stderr,
                T("hall-stamp：%s 不是PKCS#12证书介质\n", "hall-stamp: %s is not a PKCS#12 file\n"),
                path);
        goto out;
    }
    if (PKCS12_parse(p, pin, key, cert, &ca) != 1 || *key == NULL || *cert == NULL) {
        fprintf(stderr, "%s\n",
                T("hall-stamp：PIN码错误，或证书介质中没有私钥和证书",
                  "hall-stamp: wrong PIN, or the medium holds no key and certificate"));
        goto out;
    }
    for (i = 0; ca != NULL && i < sk_X509_num(ca); i++)
        if (!self_signed(sk_X509_value(ca, i)) && X509_up_ref(sk_X509_value(ca, i)) == 1)
            sk_X509_push(chain, sk_X509_value(ca, i));
    rc = HALL_OK;
out:
    PKCS12_free(p);
    sk_X509_pop_free(ca, X509_free);
    if (der != NULL)
        OPENSSL_cleanse(der, len);
    free(der);
    return rc;
}

/* the token's key; the certificate: the one the seal lists whose key it is
 * (stamp_token.c) */
static int
signer_from_token(struct hall_pool *pool, const struct sign_args *a, const char *pin,
                  const unsigned char *seal, size_t seal_len, EVP_PKEY **key, X509 **cert)
{
    return stamp_token_signer(pool, a->module, a->token, a->key_label, pin, seal, seal_len, key,
                              cert, zh);
}

/* the input then the update, into path (removed when the write fails) */
static int
write_stamped(const char *path, const unsigned char *pdf, size_t pdf_len, const unsigned char *upd,
              size_t upd_len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0 || write(fd, pdf, pdf_len) != (ssize_t)pdf_len ||
        write(fd, upd, upd_len) != (ssize_t)upd_len || fsync(fd) != 0) {
        fprintf(stderr, T("hall-stamp：无法写入%s：%s\n", "hall-stamp: cannot write %s: %s\n"),
                path, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(path);
        return HALL_ERR;
    }
    close(fd);
    return HALL_OK;
}

/* *buf (malloc'ed, *len bytes) with n more bytes */
static void
grow(unsigned char **buf, size_t *len, const unsigned char *p, size_t n)
{
    *buf = realloc(*buf, *len + n + 1);
    if (*buf == NULL)
        abort();
    memcpy(*buf + *len, p, n);
    *len += n;
}

/*
 * PAdES B-LT (docs/internals/stamp.md §1a): the evidence for every
 * signature of *buf (certificates, an OCSP answer or CRL for each signer
 * and TSA, asked of the hall now) appended as a /DSS revision.  *hall: the
 * hall the signers' certificates name.  HALL_OK, or HALL_ERR with the
 * message printed (the file as it was).
 */
static int
ltv_append(struct hall_pool *pool, unsigned char **buf, size_t *len, STACK_OF(X509) * cas,
           const char *hall, const char **hall_named)
{
    struct hall_stamp_dss_in dss;
    struct hall_stamp_online on;
    const char *why = NULL;
    unsigned char *upd;
    size_t ulen = 0;
    char err[512];
    int missing = 0;

    memset(&dss, 0, sizeof(dss));
    memset(&on, 0, sizeof(on));
    on.hall = hall;
    if (hall_stamp_ltv_gather(pool, *buf, *len, cas, &on, &dss, &missing, &why) != HALL_OK) {
        fprintf(stderr, "hall-stamp: %s\n", why != NULL ? why : "");
        return HALL_ERR;
    }
    if (hall_named != NULL)
        *hall_named = dss.hall;
    if (missing > 0)
        fprintf(
            stderr,
            T("hall-stamp：注意：%d个证书未能取得吊销信息（%s），文件中缺少它们的长期验证信息\n",
              "hall-stamp: note: no revocation answer for %d certificate(s) (%s): the "
              "file lacks their long-term validation data\n"),
            missing, why != NULL ? why : "");
    upd = hall_stamp_dss_update(pool, *buf, *len, &dss, &ulen, err, sizeof(err));
    if (upd == NULL) {
        fprintf(stderr, "hall-stamp: %s\n", err);
        return HALL_ERR;
    }
    grow(buf, len, upd, ulen);
    return HALL_OK;
}

/*
 * Before a stamp: the signer's certificate not revoked and the seal not
 * cancelled, as the hall answers now (docs/internals/stamp.md §3).  A
 * status that cannot be learnt refuses too: the stamp needs the hall's
 * TSA online anyway, and a stamp by a revoked signer is never written.
 * 0, or the exit status with the message printed.
 */
static int
sign_status(struct hall_pool *pool, const struct sign_args *a, X509 *cert, STACK_OF(X509) * chain,
            const unsigned char *seal, size_t seal_len)
{
    struct hall_stamp_online on;
    struct hall_stamp_status st;
    struct hall_stamp_seal_status ss;
    struct hall_seseal_info info;
    struct hall_stamp_may may;
    const char *why, *serial = hall_asn1_int_hex(pool, X509_get0_serialNumber(cert));

    memset(&on, 0, sizeof(on));
    on.hall = a->hall;
    hall_stamp_status_check(pool, cert, chain, &on, &st);
    /* the one rule and its words, 在线盖章's too (core/stamp/stamp_may.c) */
    hall_stamp_may(pool, serial, &st, NULL, NULL, &may);
    if (may.verdict == HALL_STAMP_MAY_YES) {
        if (hall_seseal_read(pool, seal, seal_len, &info, &why) != HALL_OK) {
            fprintf(stderr, "hall-stamp: %s\n", why);
            return EXIT_FAIL;
        }
        hall_stamp_seal_check(pool, cert, info.es_id, &on, &ss);
        hall_stamp_may(pool, serial, &st, info.es_id, &ss, &may);
    }
    if (may.verdict == HALL_STAMP_MAY_YES)
        return 0;
    fprintf(stderr, "hall-stamp%s%s\n", zh ? "：" : ": ", zh ? may.text : may.text_en);
    return may.verdict == HALL_STAMP_MAY_UNCHECKED ? EXIT_FAIL : EXIT_REFUSED;
}

static int
cmd_sign(int argc, char **argv)
{
    struct sign_args a;
    struct hall_stamp_sign_in in;
    struct hall_pool *pool;
    char pin[256], err[512];
    unsigned char *pdf = NULL, *seal = NULL, *upd;
    size_t pdf_len = 0, seal_len = 0, upd_len = 0;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) * chain;
    struct stamp_find_match at[STAMP_FIND_MAX];
    int rc = EXIT_FAIL, got, nat = 1, k;

    if (sign_args_parse(argc, argv, &a) != 0)
        return EXIT_USAGE;
    pool = hall_pool_create(16384);
    chain = sk_X509_new_null();
    pin[0] = '\0';
    pdf = a.out_dir == NULL ? hall_whole_file(a.in_path, FILE_MAX, &pdf_len) : NULL;
    seal = hall_whole_file(a.seal_path, FILE_MAX, &seal_len);
    if ((a.out_dir == NULL && pdf == NULL) || seal == NULL) {
        fprintf(stderr, T("hall-stamp：无法读取%s：%s\n", "hall-stamp: cannot read %s: %s\n"),
                pdf == NULL ? a.in_path : a.seal_path, strerror(errno));
        goto out;
    }
    if (a.chain_path != NULL && certs_load(a.chain_path, chain) <= 0) {
        fprintf(stderr, T("hall-stamp：无法读取证书链文件%s\n", "hall-stamp: cannot read %s\n"),
                a.chain_path);
        goto out;
    }
    at[0].page = a.page;
    at[0].x_mm = a.x;
    at[0].y_mm = a.y;
    if (a.keyword != NULL) {
        nat = stamp_find_places(pdf, pdf_len, a.keyword, a.kw_which, a.kw_dx, a.kw_dy, at, zh, err,
                                sizeof(err));
        if (nat == 0) {
            fprintf(stderr, "hall-stamp: %s\n", err);
            goto out;
        }
    }
    if (read_pin(a.pin_fd, pin, sizeof(pin)) != HALL_OK) {
        fprintf(stderr, "%s\n", T("hall-stamp：没有读到PIN码", "hall-stamp: no PIN read"));
        goto out;
    }
    got = a.p12_path != NULL ? signer_from_p12(a.p12_path, pin, &key, &cert, chain)
                             : signer_from_token(pool, &a, pin, seal, seal_len, &key, &cert);
    OPENSSL_cleanse(pin, sizeof(pin));
    if (got != HALL_OK)
        goto out;
    got = sign_status(pool, &a, cert, chain, seal, seal_len);
    if (got != 0) {
        rc = got;
        goto out;
    }
    memset(&in, 0, sizeof(in));
    in.pdf = pdf;
    in.pdf_len = pdf_len;
    in.seal = seal;
    in.seal_len = seal_len;
    in.cert = cert;
    in.chain = chain;
    in.key = key;
    in.tsa_url = a.tsa;
    if (a.out_dir != NULL) {
        struct stamp_batch b = {a.inputs,
                                a.ninputs,
                                a.out_dir,
                                a.lt && !is_sm2(cert),
                                a.hall,
                                zh,
                                is_sm2(cert) ? "GB/T 38540"
                                : a.lt       ? "PAdES B-LT"
                                             : "PAdES B-T"};

        in.page = a.page;
        in.x_mm = a.x;
        in.y_mm = a.y;
        rc = stamp_batch_run(pool, &b, &in);
        goto out;
    }
    /* a 骑缝章 first (its own signature, y_mm 0: each page's middle unless
     * --y is the only place given), then one page stamp per place */
    if (a.qifeng) {
        in.pdf = pdf;
        in.pdf_len = pdf_len;
        in.qifeng = a.qifeng;
        in.qf_first = a.qf_first;
        in.qf_last = a.qf_last;
        in.y_mm = a.page > 0 ? 0 : a.y;
        upd = hall_stamp_sign(pool, &in, &upd_len, err, sizeof(err));
        if (upd == NULL) {
            fprintf(stderr, "hall-stamp: %s\n", err);
            goto out;
        }
        grow(&pdf, &pdf_len, upd, upd_len);
        stamp_qifeng_print_signed(zh, a.qifeng, a.qf_first, a.qf_last);
        in.qifeng = 0;
        if (a.page < 0)
            nat = 0;
    }
    for (k = 0; k < nat; k++) { /* one signature per place, each over the last */
        in.pdf = pdf;
        in.pdf_len = pdf_len;
        in.page = at[k].page;
        in.x_mm = at[k].x_mm;
        in.y_mm = at[k].y_mm;
        upd = hall_stamp_sign(pool, &in, &upd_len, err, sizeof(err));
        if (upd == NULL) {
            fprintf(stderr, "hall-stamp: %s\n", err);
            goto out;
        }
        grow(&pdf, &pdf_len, upd, upd_len);
    }
    /* an SM2 stamp's SES_Signature has no place for evidence (§2a) */
    if (a.lt && !is_sm2(cert) && ltv_append(pool, &pdf, &pdf_len, chain, a.hall, NULL) != HALL_OK)
        goto out;
    if (write_stamped(a.out_path, pdf, pdf_len, (const unsigned char *)"", 0) != HALL_OK)
        goto out;
    if (a.qifeng && nat == 0)
        printf(T("已盖章：%s（骑缝章，%s）\n", "stamped: %s (cross-page seal, %s)\n"), a.out_path,
               is_sm2(cert) ? "GB/T 38540"
               : a.lt       ? "PAdES B-LT"
                            : "PAdES B-T");
    for (k = 0; k < nat; k++)
        printf(T("已盖章：%s（第%d页，距左%.1f毫米、距上%.1f毫米，%s）\n",
                 "stamped: %s (page %d, %.1f mm from the left, %.1f mm from the top, %s)\n"),
               a.out_path, at[k].page, at[k].x_mm, at[k].y_mm,
               is_sm2(cert) ? "GB/T 38540"
               : a.lt       ? "PAdES B-LT"
                            : "PAdES B-T");
    rc = 0;
out:
    OPENSSL_cleanse(pin, sizeof(pin));
    free(a.inputs);
    free(pdf);
    free(seal);
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    hall_pool_destroy(pool);
    return rc;
}

/*
 * hall-stamp lta [--tsa URL] [--hall URL] [--ca F ...] [--out OUT] FILE:
 * the /DSS refreshed with the evidence for every signature and timestamp
 * of FILE, then a document timestamp from the hall's TSA over all of it
 * (PAdES B-LTA).  Run again later, before the last timestamp's TSA
 * certificate expires, it adds another, and the file's evidence is
 * extended again.  FILE is replaced (written beside it, then renamed)
 * unless --out names another.
 */
static int
cmd_lta(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tsa", required_argument, NULL, 'a'},  {"hall", required_argument, NULL, 'H'},
        {"ca", required_argument, NULL, 'c'},   {"out", required_argument, NULL, 'o'},
        {"lang", required_argument, NULL, 'L'}, {NULL, 0, NULL, 0}};
    struct hall_pool *pool = hall_pool_create(16384);
    STACK_OF(X509) *cas = sk_X509_new_null();
    struct hall_stamp_sign_in in;
    const char *tsa = NULL, *hall = NULL, *out_path = NULL, *path, *named = NULL;
    unsigned char *pdf = NULL, *upd;
    size_t len = 0, ulen = 0;
    char err[512], *tmp = NULL;
    int c, rc = EXIT_FAIL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': tsa = optarg; break;
        case 'H': hall = optarg; break;
        case 'o': out_path = optarg; break;
        case 'c':
            if (certs_load(optarg, cas) <= 0) {
                fprintf(stderr,
                        T("hall-stamp：无法读取证书文件%s\n",
                          "hall-stamp: cannot read certificates from %s\n"),
                        optarg);
                goto out;
            }
            break;
        case 'L': break;
        default:
            usage(stderr);
            rc = EXIT_USAGE;
            goto out;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        rc = EXIT_USAGE;
        goto out;
    }
    path = argv[optind];
    pdf = hall_whole_file(path, FILE_MAX, &len);
    if (pdf == NULL) {
        fprintf(stderr, T("hall-stamp：无法读取%s：%s\n", "hall-stamp: cannot read %s: %s\n"), path,
                strerror(errno));
        goto out;
    }
    if (ltv_append(pool, &pdf, &len, cas, hall, &named) != HALL_OK)
        goto out;
    if (tsa == NULL && (hall != NULL || named != NULL))
        tsa = hall_psprintf(pool, "%s/tsa", hall != NULL ? hall : named);
    if (tsa == NULL) {
        fprintf(stderr, "%s\n",
                T("hall-stamp lta：文件中的签章未载明营业厅的地址，请用 --tsa 指定时间戳服务",
                  "hall-stamp lta: no stamp of the file names its hall: give --tsa"));
        rc = EXIT_USAGE;
        goto out;
    }
    memset(&in, 0, sizeof(in));
    in.pdf = pdf;
    in.pdf_len = len;
    in.tsa_url = tsa;
    upd = hall_stamp_doc_timestamp(pool, &in, &ulen, err, sizeof(err));
    if (upd == NULL) {
        fprintf(stderr, "hall-stamp: %s\n", err);
        goto out;
    }
    grow(&pdf, &len, upd, ulen);
    if (out_path == NULL) {
        tmp = hall_psprintf(pool, "%s.lta-%ld", path, (long)getpid());
        if (write_stamped(tmp, pdf, len, (const unsigned char *)"", 0) != HALL_OK)
            goto out;
        if (rename(tmp, path) != 0) {
            fprintf(stderr, T("hall-stamp：无法写入%s：%s\n", "hall-stamp: cannot write %s: %s\n"),
                    path, strerror(errno));
            unlink(tmp);
            goto out;
        }
    } else if (write_stamped(out_path, pdf, len, (const unsigned char *)"", 0) != HALL_OK) {
        goto out;
    }
    printf(T("已加文档时间戳：%s（PAdES B-LTA，时间戳服务 %s）\n",
             "document timestamp added: %s (PAdES B-LTA, TSA %s)\n"),
           out_path != NULL ? out_path : path, tsa);
    rc = 0;
out:
    free(pdf);
    sk_X509_pop_free(cas, X509_free);
    hall_pool_destroy(pool);
    return rc;
}

static const char *
check_word(enum hall_stamp_check c)
{
    return c == HALL_STAMP_PASS     ? T("通过", "pass")
           : c == HALL_STAMP_FAIL   ? T("未通过", "FAIL")
           : c == HALL_STAMP_CANNOT ? T("无法验证", "cannot")
                                    : T("未核验", "-");
}

/* a state's words: hall_stamp_state_text's, or in English */
static const char *
state_word(enum hall_stamp_state st)
{
    static const char *const en[] = {"",
                                     "document modified",
                                     "not issued by this CA",
                                     "demo seal",
                                     "signer revoked before signing",
                                     "seal revoked",
                                     "valid",
                                     "a signature by this CA's certificate (not a seal)",
                                     "cannot verify (unsupported signature algorithm)"};

    if (zh)
        return hall_stamp_state_text(st);
    return (int)st > 0 && (size_t)st < sizeof(en) / sizeof(en[0]) ? en[st] : "";
}

static void
print_time(const char *label, time_t t)
{
    char buf[64];
    time_t bj = t + 8 * 3600;
    struct tm tm;

    if (t == 0) {
        printf("  %s: -\n", label);
        return;
    }
    gmtime_r(&bj, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    printf("  %s: %s (UTC+8)\n", label, buf);
}

/* hall-stamp verify's options: the certificates given into all (--root,
 * --ca) and demo (--demo-root); 0, EXIT_USAGE or EXIT_FAIL */
static int
verify_args_load(int argc, char **argv, STACK_OF(X509) * all, STACK_OF(X509) * demo,
                 const char **hall, int *offline)
{
    static const struct option opts[] = {{"root", required_argument, NULL, 'r'},
                                         {"ca", required_argument, NULL, 'c'},
                                         {"demo-root", required_argument, NULL, 'd'},
                                         {"hall", required_argument, NULL, 'H'},
                                         {"offline", no_argument, NULL, 'O'},
                                         {"lang", required_argument, NULL, 'L'},
                                         {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
        case 'c':
        case 'd':
            if (certs_load(optarg, c == 'd' ? demo : all) <= 0) {
                fprintf(stderr,
                        T("hall-stamp：无法读取证书文件%s\n",
                          "hall-stamp: cannot read certificates from %s\n"),
                        optarg);
                return EXIT_FAIL;
            }
            break;
        case 'H': *hall = optarg; break;
        case 'O': *offline = 1; break;
        case 'L': break;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || (*offline && *hall != NULL)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    return 0;
}

/* self-signed: roots; the others: CAs; the SM2 pair checks the seals */
static void
verify_trust(STACK_OF(X509) * all, STACK_OF(X509) * roots, STACK_OF(X509) * cas,
             struct hall_stamp_trust *trust)
{
    X509 *sm2_root = NULL, *sm2_ca = NULL;
    int i;

    for (i = 0; i < sk_X509_num(all); i++) {
        X509 *x = sk_X509_value(all, i);

        if (is_sm2(x)) {
            if (self_signed(x))
                sm2_root = x;
            else
                sm2_ca = x;
        } else {
            sk_X509_push(self_signed(x) ? roots : cas, x);
        }
    }
    if (sm2_root != NULL && sm2_ca != NULL && hall_seseal_trust(sm2_root, sm2_ca) == HALL_OK)
        trust->check_seal = 1;
    trust->roots = roots;
    trust->cas = cas;
}

/* what this run asked the hall: once per signer and per seal however many
 * stamps name them (a hall that does not answer is waited for once) */
#define ASKED_MAX HALL_STAMP_SIGS_MAX
static struct asked_status {
    const char *serial;
    struct hall_stamp_status st;
} asked_st[ASKED_MAX];
static struct asked_seal {
    const char *es_id;
    struct hall_stamp_seal_status ss;
} asked_seal[ASKED_MAX];
static int nasked_st, nasked_seal;

static void
status_asked(struct hall_pool *pool, X509 *x, STACK_OF(X509) * cas,
             const struct hall_stamp_online *on, const char *serial, struct hall_stamp_status *st)
{
    int i;

    for (i = 0; i < nasked_st; i++)
        if (strcmp(asked_st[i].serial, serial) == 0) {
            *st = asked_st[i].st;
            return;
        }
    hall_stamp_status_check(pool, x, cas, on, st);
    if (!st->embedded && !on->offline && nasked_st < ASKED_MAX) {
        asked_st[nasked_st].serial = serial;
        asked_st[nasked_st++].st = *st;
    }
}

static void
seal_asked(struct hall_pool *pool, X509 *x, const char *es_id, const struct hall_stamp_online *on,
           struct hall_stamp_seal_status *ss)
{
    int i;

    for (i = 0; i < nasked_seal; i++)
        if (strcmp(asked_seal[i].es_id, es_id) == 0) {
            *ss = asked_seal[i].ss;
            return;
        }
    hall_stamp_seal_check(pool, x, es_id, on, ss);
    if (nasked_seal < ASKED_MAX) {
        asked_seal[nasked_seal].es_id = es_id;
        asked_seal[nasked_seal++].ss = *ss;
    }
}

/* the last signer certificate decoded for one file's stamps: a document of
 * 64 stamps of one signer decodes it once (the same DER, byte for byte) */
struct signer_memo {
    const unsigned char *der; /* the report's, in its pool */
    size_t len;
    X509 *x;
};

/* s's signer decoded (a reference the caller frees), NULL unreadable */
static X509 *
signer_decoded(struct signer_memo *m, const struct hall_stamp_sig *s)
{
    const unsigned char *p = s->signer_der;
    X509 *x;

    if (m->x != NULL && m->len == s->signer_der_len && memcmp(m->der, p, m->len) == 0)
        return X509_up_ref(m->x) == 1 ? m->x : NULL;
    x = d2i_X509(NULL, &p, (long)s->signer_der_len);
    if (x != NULL && p == s->signer_der + s->signer_der_len && X509_up_ref(x) == 1) {
        X509_free(m->x);
        m->x = x;
        m->der = s->signer_der;
        m->len = s->signer_der_len;
    }
    return x;
}

/*
 * What the hall answers now of the stamp's signer and seal (rec), asked
 * online unless offline: hall_stamp_verdict reads it as /sign/verify reads
 * the hall's tables.  *line: the signer's status in words, NULL none.
 */
static void
sig_records(struct hall_pool *pool, const struct hall_stamp_sig *s, struct signer_memo *sm,
            STACK_OF(X509) * cas, const char *hall, int offline,
            const struct hall_stamp_evidence *ev, struct hall_stamp_records *rec, const char **line)
{
    struct hall_stamp_online on;
    struct hall_stamp_status st;
    struct hall_stamp_seal_status ss;
    X509 *x;

    memset(rec, 0, sizeof(*rec));
    *line = NULL;
    if (!hall_stamp_wants_records(s) || s->signer_der == NULL)
        return;
    x = signer_decoded(sm, s);
    if (x == NULL) {
        rec->unchecked = T("无法读取签章人证书", "the signer's certificate unreadable");
        return;
    }
    memset(&on, 0, sizeof(on));
    on.hall = hall;
    on.offline = offline;
    on.signing_time = s->signing_time;
    /* the hall asked (it knows of a later revocation, and of one dated
     * back before the stamp); the file's evidence when it cannot be */
    status_asked(pool, x, cas, &on, s->signer_serial, &st);
    if (st.state == HALL_STAMP_REV_UNCHECKED && ev != NULL && ev->n + ev->ncrl > 0) {
        struct hall_stamp_online kept = on;
        const char *why = st.why;

        kept.offline = 1;
        kept.evidence = ev;
        hall_stamp_status_check(pool, x, cas, &kept, &st);
        if (st.state == HALL_STAMP_REV_UNCHECKED && !offline)
            st.why = why; /* why the hall did not answer */
    }
    if (st.state != HALL_STAMP_REV_UNCHECKED && s->seal_es_id != NULL && offline) {
        ss.checked = 0;
        ss.why = T("未联网查询", "not asked: --offline");
        hall_stamp_records_online(pool, &st, &ss, rec);
    } else if (st.state != HALL_STAMP_REV_UNCHECKED && s->seal_es_id != NULL) {
        seal_asked(pool, x, s->seal_es_id, &on, &ss);
        hall_stamp_records_online(pool, &st, &ss, rec);
    } else {
        hall_stamp_records_online(pool, &st, NULL, rec);
    }
    if (st.state == HALL_STAMP_REV_GOOD && st.embedded)
        *line = hall_psprintf(pool, "%s（%s，%s %s）", T("有效", "good"), st.source,
                              T("答复时间", "produced"), hall_beijing_time(pool, st.checked_at));
    else if (st.state == HALL_STAMP_REV_GOOD)
        *line = hall_psprintf(pool, "%s（%s %s）", T("有效", "good"), st.source, st.url);
    else if (st.state == HALL_STAMP_REV_REVOKED)
        *line = hall_psprintf(pool, "%s %s（%s；%s %s）", T("已吊销于", "revoked on"),
                              hall_beijing_time(pool, st.revoked_at),
                              hall_stamp_reason_text(st.reason), st.source, st.url);
    else if (st.state == HALL_STAMP_REV_UNKNOWN)
        *line = hall_psprintf(pool, "%s（%s %s）", T("营业厅不认识该证书", "unknown to the hall"),
                              st.source, st.url);
    X509_free(x);
}

/* one stamp as the hall shows it: the same verdict (hall_stamp_verdict,
 * with what the hall answered online), its state, reason and notes */
static int
print_sig(struct hall_pool *pool, const struct hall_stamp_sig *s, struct signer_memo *sm,
          STACK_OF(X509) * cas, const char *hall, int offline, const struct hall_stamp_evidence *ev)
{
    struct hall_stamp_verdict v;
    struct hall_stamp_records rec;
    const char *line;

    sig_records(pool, s, sm, cas, hall, offline, ev, &rec, &line);
    hall_stamp_verdict(pool, s, &rec, &v);
    printf(T("签章%d：%s\n", "stamp %d: %s\n"), s->index, state_word(v.state));
    printf("  %s: %s\n", T("域", "field"), s->field);
    printf("  %s: %s\n", T("格式", "format"),
           s->ses ? T("GB/T 38540 电子签章（SM2/SM3）", "GB/T 38540 SES_Signature (SM2/SM3)")
           : s->doc_timestamp ? T("文档时间戳（ETSI.RFC3161）", "document timestamp (ETSI.RFC3161)")
           : s->signature == HALL_STAMP_CANNOT
               ? T("PAdES（不支持的签名算法）", "PAdES (unsupported signature algorithm)")
               : T("PAdES（ECDSA P-256/SHA-256）", "PAdES (ECDSA P-256/SHA-256)"));
    if (s->level != NULL && s->level[0] != '\0' && !s->doc_timestamp)
        printf("  %s: %s\n", T("级别", "level"), zh ? hall_stamp_level_text(s->level) : s->level);
    if (s->doc_timestamp)
        print_time(T("文档时间戳时间", "document timestamp time"), s->signing_time);
    if (s->doc_ts_after > 0)
        printf(T("  其后的文档时间戳: %d个（最早 %s）\n",
                 "  later document timestamps: %d (the first %s)\n"),
               s->doc_ts_after, hall_beijing_time(pool, s->doc_ts_time));
    if (!stamp_qifeng_print_verified(zh, s) && s->page > 0)
        printf("  %s: %d\n", T("页码", "page"), s->page);
    if (s->seal_es_id != NULL)
        printf("  %s: %s %s\n", T("印章", "seal"), s->seal_es_id,
               s->seal_name != NULL ? s->seal_name : "");
    if (s->signer_subject != NULL)
        printf("  %s: %s (%s %s)\n", T("签章人", "signer"), s->signer_subject,
               T("序列号", "serial"), s->signer_serial);
    print_time(T("签章时间（时间戳）", "signing time (timestamp)"), s->signing_time);
    if (line != NULL)
        printf("  %s: %s\n", T("签章人证书状态", "signer's status"), line);
    printf("  %s: %s %s %s %s %s %s %s\n", T("核验", "checks"), check_word(s->range),
           check_word(s->digest), check_word(s->signature), check_word(s->signing_cert),
           check_word(s->timestamp), check_word(s->seal), check_word(s->chain));
    if (s->after != NULL && s->after[0] != '\0')
        printf("  %s: %s\n", T("其后", "after"), s->after);
    else if (s->covers_to_end)
        printf("  %s\n", T("签章覆盖整个文档", "covers the whole document"));
    if (v.problem[0] != '\0')
        printf("  %s: %s\n", T("说明", "problem"), v.problem);
    for (int i = 0; i < v.nnotes; i++)
        printf("  %s: %s\n", T("注意", "note"), v.notes[i]);
    return v.state == HALL_STAMP_VALID;
}

static int
cmd_verify(int argc, char **argv)
{
    STACK_OF(X509) *all = sk_X509_new_null(), *roots = sk_X509_new_null(),
                   *cas = sk_X509_new_null(), *demo = sk_X509_new_null();
    struct hall_stamp_trust trust;
    struct hall_stamp_report rep;
    struct hall_stamp_evidence ev;
    struct signer_memo sm = {NULL, 0, NULL};
    struct hall_pool *pool = hall_pool_create(16384);
    char err[512];
    const char *hall = NULL;
    int i, rc, valid = 0, offline = 0, seals = 0;

    memset(&trust, 0, sizeof(trust));
    rc = verify_args_load(argc, argv, all, demo, &hall, &offline);
    if (rc != 0)
        goto out;
    rc = EXIT_FAIL;
    verify_trust(all, roots, cas, &trust);
    trust.demo_root = sk_X509_num(demo) > 0 ? sk_X509_value(demo, 0) : NULL;
    if (hall_stamp_verify_file(pool, argv[optind], &trust, &rep, err, sizeof(err)) != HALL_OK) {
        fprintf(stderr, "hall-stamp: %s: %s\n", argv[optind], err);
        goto out;
    }
    ev = *rep.evidence; /* the file's /DSS, read by the verifier */
    if (!trust.check_seal)
        printf("%s\n", T("注意：未提供SM2根证书和SM2 CA证书（--root），印章的制章者签名未核验",
                         "note: no SM2 root and SM2 CA given (--root): the seals' makers' "
                         "signatures were not checked"));
    if (rep.nsigs == 0)
        printf("%s\n", T("文件中没有签章", "the file holds no stamp"));
    if (rep.dss_certs + rep.dss_ocsps + rep.dss_crls > 0 || rep.doc_timestamps > 0)
        printf(T("长期验证信息（/DSS）：证书%d个，OCSP答复%d个，CRL%d个；文档时间戳%d个\n",
                 "long-term validation data (/DSS): %d certificates, %d OCSP answers, %d CRLs; "
                 "%d document timestamps\n"),
               rep.dss_certs, rep.dss_ocsps, rep.dss_crls, rep.doc_timestamps);
    for (i = 0; i < rep.nsigs; i++) {
        valid += print_sig(pool, &rep.sigs[i], &sm, cas, hall, offline, &ev);
        seals += !rep.sigs[i].doc_timestamp;
    }
    /* a document timestamp alone is no stamp: anyone may add one */
    if (rep.nsigs > 0 && seals == 0)
        printf(T("文件中没有签章（另有%d个文档时间戳）\n",
                 "the file holds no stamp (%d document timestamps besides)\n"),
               rep.nsigs);
    rc = seals > 0 && valid == rep.nsigs ? 0 : EXIT_INVALID;
out:
    sk_X509_free(roots);
    sk_X509_free(cas);
    sk_X509_pop_free(all, X509_free);
    sk_X509_pop_free(demo, X509_free);
    X509_free(sm.x);
    hall_pool_destroy(pool);
    return rc;
}

int
main(int argc, char **argv)
{
    int i, rc;

    lang_init(argc, argv);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("hall-stamp %s\n", PACKAGE_VERSION);
            return 0;
        }
    }
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(argv[1], "sign") == 0)
        rc = cmd_sign(argc - 1, argv + 1);
    else if (strcmp(argv[1], "verify") == 0)
        rc = cmd_verify(argc - 1, argv + 1);
    else if (strcmp(argv[1], "lta") == 0)
        rc = cmd_lta(argc - 1, argv + 1);
    else if (strcmp(argv[1], "report") == 0)
        rc = stamp_askreport_main(argc - 1, argv + 1, zh);
    else {
        usage(stderr);
        rc = EXIT_USAGE;
    }
    curl_global_cleanup();
    return rc;
}
