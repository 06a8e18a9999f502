/*
 * hall-assist as the browser's door (issue 70 §1; docs/internals/assist.md):
 * a native-messaging host, started by Chromium or Firefox for the hall's
 * extension (tools/assist/extension/), speaking JSON over stdin and stdout,
 * each message prefixed by its length (4 bytes, the machine's byte order).
 * Nothing listens on a port.
 *
 * Every request carries the origin of the page that sent it, as the
 * extension's service worker saw it (the browser's word, not the page's);
 * only the origins of the configuration ($HALL_ASSIST_CONF, else
 * /etc/hall-assist/hall-assist.conf: lines "origin https://host") are
 * served, any other refused.
 *
 *   {"type":"hello"}  → {"ok":true,"version":V}
 *   {"type":"list"}   → {"ok":true,"media":[{"label","serial","model",
 *                        "certificates":[{"id","der","subject","serial","not_after",
 *                        "signer"}]}]}  (signer: its key pair is on the medium)
 *                     ("status":true: each holder certificate's "status" by OCSP too)
 *   {"type":"pin","medium":LABEL} → {"ok":true}: 修改PIN码, the PINs asked by pinentry
 *   {"type":"flow","verb":"renew"|"change"|"unlock","medium":LABEL,"ticket":CODE}
 *                     → {"ok","verb","output"}: the command run against the page's
 *                       origin, its PIN asked by pinentry
 *   {"type":"sign","medium":LABEL,"cert":ID,"digest":HEX,"document":NAME}
 *                     → {"ok":true,"signature":BASE64}  (ECDSA r || s)
 *   any refusal       → {"ok":false,"code":C,"message":"…"}  (Chinese)
 *
 * id is the SHA-256 of the certificate's DER, hex; the key that signs is
 * the one of the certificate's CKA_ID, whatever its label.  The PIN is
 * asked by pinentry for each signature, its dialog naming the origin, the
 * document, the digest and the certificate (assist_pinentry.c).
 */
#include <ctype.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "assist.h"

#define MSG_MAX   (1024 * 1024) /* a request; the browser's answer limit is 1 MiB too */
#define MEDIA_MAX 16

/* ---- framing ---------------------------------------------------------------- */

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev" /* a build without config.h (script/fuzz) */
#endif

/* the browser's pipes: stdin and stdout (the fuzz target's: its own) */
static FILE *msg_in, *msg_out;

/* one message: malloc'ed, NUL-terminated; NULL at EOF or a bad length */
static char *
read_message(void)
{
    uint32_t n;
    char *buf;

    if (fread(&n, sizeof(n), 1, msg_in) != 1 || n == 0 || n > MSG_MAX)
        return NULL;
    buf = malloc((size_t)n + 1);
    if (buf == NULL)
        return NULL;
    if (fread(buf, 1, n, msg_in) != n) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static void
send_gen(yajl_gen g)
{
    const unsigned char *out;
    size_t len;
    uint32_t n;

    yajl_gen_get_buf(g, &out, &len);
    n = (uint32_t)len;
    fwrite(&n, sizeof(n), 1, msg_out);
    fwrite(out, 1, len, msg_out);
    fflush(msg_out);
}

static void
str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void
kv(yajl_gen g, const char *k, const char *v)
{
    str(g, k);
    str(g, v);
}

/* {"id":…,"ok":ok, …: the caller adds members and closes the map */
static yajl_gen
reply(yajl_val req, int ok)
{
    const char *path[] = {"id", NULL};
    yajl_val id = req != NULL ? yajl_tree_get(req, path, yajl_t_any) : NULL;
    yajl_gen g = yajl_gen_alloc(NULL);

    yajl_gen_map_open(g);
    if (id != NULL && YAJL_IS_NUMBER(id)) {
        str(g, "id");
        yajl_gen_number(g, YAJL_GET_NUMBER(id), strlen(YAJL_GET_NUMBER(id)));
    }
    str(g, "ok");
    yajl_gen_bool(g, ok);
    return g;
}

#define reply_ok(req) reply((req), 1)

static void
refuse(yajl_val req, const char *code, const char *message)
{
    yajl_gen g = reply(req, 0);

    kv(g, "code", code);
    kv(g, "message", message);
    yajl_gen_map_close(g);
    send_gen(g);
    yajl_gen_free(g);
}

static const char *
member(yajl_val req, const char *key)
{
    const char *path[] = {key, NULL};
    yajl_val v = yajl_tree_get(req, path, yajl_t_string);

    return v != NULL ? YAJL_GET_STRING(v) : NULL;
}

/* ---- the origins served ------------------------------------------------------ */

static int
origin_served(const char *origin)
{
    const char *file = getenv("HALL_ASSIST_CONF");
    char line[512];
    FILE *f;
    int ok = 0;

    if (origin == NULL || *origin == '\0')
        return 0;
    if (file == NULL || *file == '\0')
        file = "/etc/hall-assist/hall-assist.conf";
    f = fopen(file, "r");
    if (f == NULL)
        return 0;
    while (!ok && fgets(line, sizeof(line), f) != NULL) {
        char *p = line, *end;

        line[strcspn(line, "\r\n")] = '\0';
        while (isspace((unsigned char)*p))
            p++;
        if (strncmp(p, "origin", 6) != 0 || !isspace((unsigned char)p[6]))
            continue;
        for (p += 6; isspace((unsigned char)*p); p++)
            ;
        for (end = p + strlen(p); end > p && isspace((unsigned char)end[-1]); end--)
            ;
        *end = '\0';
        ok = strcmp(p, origin) == 0;
    }
    fclose(f);
    return ok;
}

/* ---- the certificates ---------------------------------------------------------- */

static void
cert_id(X509 *x, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0, i;

    X509_digest(x, EVP_sha256(), md, &n);
    for (i = 0; i < 32 && i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
}

static void
cert_subject(X509 *x, char *out, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    int k = b != NULL ? X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
                                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)
                      : -1;

    out[0] = '\0';
    if (k > 0) {
        k = BIO_read(b, out, (int)len - 1);
        out[k > 0 ? k : 0] = '\0';
    }
    BIO_free(b);
}

static void
cert_cn(X509 *x, char *out, size_t len)
{
    int i = X509_NAME_get_index_by_NID(X509_get_subject_name(x), NID_commonName, -1);
    unsigned char *u = NULL;

    out[0] = '\0';
    if (i >= 0 && ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(
                                              X509_get_subject_name(x), i))) >= 0) {
        snprintf(out, len, "%s", (char *)u);
        OPENSSL_free(u);
    }
}

static void
cert_serial(X509 *x, char *out, size_t len)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

    snprintf(out, len, "%s", hex != NULL ? hex : "");
    OPENSSL_free(hex);
    BN_free(bn);
}

/* the certificate's status by OCSP, its issuer among the medium's (as
 * `hall-assist list` asks it) */
static void
gen_status(yajl_gen g, X509 *x, const struct medium_cert *c, size_t n)
{
    X509 **chain = calloc(n + 1, sizeof(*chain)), *issuer = NULL;
    char detail[256] = "";
    const char *st;
    size_t j;

    for (j = 0; chain != NULL && j < n; j++) {
        chain[j] = c[j].x;
        if (c[j].x != x && X509_check_issued(c[j].x, x) == X509_V_OK)
            issuer = c[j].x;
    }
    st = chain != NULL ? assist_ocsp_status(x, issuer, chain, n, detail, sizeof(detail)) : "error";
    kv(g, "status", st);
    kv(g, "status_detail", detail);
    free(chain);
}

static void
gen_cert(yajl_gen g, X509 *x, int signer, const struct medium_cert *all, size_t n)
{
    char id[65], subj[512], serial[128], na[64] = "";
    unsigned char *der = NULL;
    int dl = i2d_X509(x, &der);
    char *b64 = dl > 0 ? malloc(4 * ((size_t)dl / 3 + 1) + 1) : NULL;
    struct tm tm;

    cert_id(x, id);
    cert_subject(x, subj, sizeof(subj));
    cert_serial(x, serial, sizeof(serial));
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
        snprintf(na, sizeof(na), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (b64 != NULL)
        EVP_EncodeBlock((unsigned char *)b64, der, dl);
    yajl_gen_map_open(g);
    kv(g, "id", id);
    kv(g, "der", b64 != NULL ? b64 : "");
    kv(g, "subject", subj);
    kv(g, "serial", serial);
    kv(g, "not_after", na);
    str(g, "signer");
    yajl_gen_bool(g, signer);
    if (all != NULL && signer)
        gen_status(g, x, all, n);
    yajl_gen_map_close(g);
    free(b64);
    OPENSSL_free(der);
}

/* ---- the messages ----------------------------------------------------------------- */

static void
do_list(yajl_val req, int with_status)
{
    char labels[MEDIA_MAX][33];
    int n = assist_media_labels(NULL, labels, MEDIA_MAX), i;
    yajl_gen g;

    if (n < 0) {
        refuse(req, "driver", "本机没有登记USB Key的驱动（PKCS#11模块）：请安装介质厂商的驱动。");
        return;
    }
    g = reply_ok(req);
    str(g, "media");
    yajl_gen_array_open(g);
    for (i = 0; i < n; i++) {
        struct medium m;
        struct medium_cert *c = NULL;
        size_t k, nc = 0;

        if (assist_medium_open(&m, NULL, labels[i]) != 0) {
            assist_medium_close(&m);
            continue;
        }
        yajl_gen_map_open(g);
        kv(g, "label", m.label);
        kv(g, "serial", m.serial);
        kv(g, "model", m.model);
        str(g, "certificates");
        yajl_gen_array_open(g);
        if (assist_medium_certs(&m, &c, &nc) == 0)
            for (k = 0; k < nc; k++) {
                /* a holder's, its key pair beside it; else its chain's */
                char *pub =
                    c[k].id_len > 0 ? assist_medium_pubkey_hex(&m, c[k].id, c[k].id_len) : NULL;

                gen_cert(g, c[k].x, pub != NULL, with_status ? c : NULL, nc);
                free(pub);
            }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
        assist_medium_certs_free(c, nc);
        assist_medium_close(&m);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    send_gen(g);
    yajl_gen_free(g);
}

static int
hexbytes(const char *hex, unsigned char *out, size_t n)
{
    size_t i;

    if (strlen(hex) != 2 * n)
        return -1;
    for (i = 0; i < n; i++) {
        unsigned int v;

        if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
            sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return 0;
}

/* a name fit for the PIN's dialog: printable, at most 200 bytes */
static int
name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 200)
        return 0;
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static void
do_sign(yajl_val req, const char *origin)
{
    const char *label = member(req, "medium"), *cid = member(req, "cert"),
               *dhex = member(req, "digest"), *doc = member(req, "document");
    unsigned char digest[32], sig[256];
    char desc[2048], pin[64], err[256], cn[256], serial[128], id[65], b64[400];
    struct medium m;
    struct medium_cert *c = NULL;
    size_t nc = 0, k, siglen = sizeof(sig);
    X509 *x = NULL;
    const unsigned char *kid = NULL;
    size_t kid_len = 0;
    CK_RV rv;
    int p;
    yajl_gen g;

    if (label == NULL || cid == NULL || dhex == NULL || doc == NULL) {
        refuse(req, "request", "签名请求缺少介质、证书、摘要或文档名。");
        return;
    }
    if (hexbytes(dhex, digest, sizeof(digest)) != 0) {
        refuse(req, "request", "签名请求的摘要应为SHA-256（64位十六进制）。");
        return;
    }
    if (!name_ok(doc)) {
        refuse(req, "request", "签名请求的文档名应为1至200字节的可见字符。");
        return;
    }
    if (assist_medium_open(&m, NULL, label) != 0) {
        assist_medium_close(&m);
        snprintf(err, sizeof(err), "没有找到介质 %s：请插入该USB Key后重试。", label);
        refuse(req, "medium", err);
        return;
    }
    if (assist_medium_certs(&m, &c, &nc) == 0)
        for (k = 0; k < nc && x == NULL; k++) {
            cert_id(c[k].x, id);
            if (strcmp(id, cid) == 0 && c[k].id_len > 0) {
                x = c[k].x;
                kid = c[k].id;
                kid_len = c[k].id_len;
            }
        }
    if (x == NULL) {
        snprintf(err, sizeof(err), "介质 %s 中没有该证书：请插入存有该印章证书的USB Key。", label);
        refuse(req, "cert", err);
        goto out;
    }
    cert_cn(x, cn, sizeof(cn));
    cert_serial(x, serial, sizeof(serial));
    snprintf(desc, sizeof(desc),
             "网站 %s 请求用USB Key中的证书签名。\n\n"
             "文档：%s\n文档摘要（SHA-256）：%.32s\n                   %.32s\n"
             "证书：%s（序列号 %s）\n介质：%s\n\n"
             "请输入该USB Key的PIN码以签名；如不是您本人在该网站的操作，请点“取消”。",
             origin, doc, dhex, dhex + 32, cn, serial, m.label);
    p = assist_pinentry("证书助手：签名确认", desc, "PIN码：", NULL, pin, sizeof(pin), err,
                        sizeof(err));
    if (p != 0) {
        char msg[320];

        snprintf(msg, sizeof(msg), "%s，未签名。", err);
        refuse(req, p > 0 ? "cancelled" : "pinentry", msg);
        goto out;
    }
    rv = assist_medium_login(&m, CKU_USER, pin);
    OPENSSL_cleanse(pin, sizeof(pin));
    if (rv == CKR_PIN_INCORRECT) {
        refuse(req, "pin", "PIN码错误，未签名。请重试；多次输错将锁定USB Key。");
        goto out;
    }
    if (rv == CKR_PIN_LOCKED) {
        refuse(req, "pin_locked", "USB Key的PIN码已锁定，未签名：请在“我的证书”办理证书解锁。");
        goto out;
    }
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        snprintf(err, sizeof(err), "无法登录USB Key：%s", assist_p11_error(rv));
        refuse(req, "medium", err);
        goto out;
    }
    rv = assist_medium_sign(&m, kid, kid_len, digest, sizeof(digest), sig, &siglen);
    m.f->C_Logout(m.s);
    if (rv != CKR_OK) {
        snprintf(err, sizeof(err),
                 rv == CKR_KEY_HANDLE_INVALID ? "USB Key中没有该证书的私钥，未签名。"
                                              : "USB Key签名失败：%s",
                 assist_p11_error(rv));
        refuse(req, "sign", err);
        goto out;
    }
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
    g = reply_ok(req);
    kv(g, "signature", b64);
    kv(g, "algorithm", "ecdsa");
    yajl_gen_map_close(g);
    send_gen(g);
    yajl_gen_free(g);
out:
    assist_medium_certs_free(c, nc);
    assist_medium_close(&m);
}

/* 修改PIN码: the current PIN and the new one (twice) asked by pinentry */
static void
do_pin(yajl_val req, const char *origin)
{
    const char *label = member(req, "medium");
    char desc[1024], pins[3][64], err[256], msg[400];
    static const char *const prompts[] = {"当前PIN码：", "新PIN码：", "再次输入新PIN码："};
    struct medium m;
    unsigned long lo, hi;
    CK_RV rv;
    int i, p = 0;

    memset(pins, 0, sizeof(pins));
    if (label == NULL) {
        refuse(req, "request", "修改PIN码的请求缺少介质序列号。");
        return;
    }
    if (assist_medium_open(&m, NULL, label) != 0) {
        assist_medium_close(&m);
        snprintf(err, sizeof(err), "没有找到介质 %s：请插入该USB Key后重试。", label);
        refuse(req, "medium", err);
        return;
    }
    lo = m.info.ulMinPinLen > 6 ? (unsigned long)m.info.ulMinPinLen : 6;
    hi = (unsigned long)m.info.ulMaxPinLen;
    snprintf(desc, sizeof(desc),
             "网站 %s 请求修改USB Key（介质 %s）的PIN码。\n\n"
             "请先输入当前PIN码，再两次输入新PIN码（%lu至%lu位）；"
             "如不是您本人在该网站的操作，请点“取消”。",
             origin, m.label, lo, hi);
    for (i = 0; i < 3 && p == 0; i++)
        p = assist_pinentry("证书助手：修改PIN码", desc, prompts[i], NULL, pins[i], sizeof(pins[i]),
                            err, sizeof(err));
    if (p != 0) {
        snprintf(msg, sizeof(msg), "%s，PIN码未修改。", err);
        refuse(req, p > 0 ? "cancelled" : "pinentry", msg);
        goto out;
    }
    if (strcmp(pins[1], pins[2]) != 0) {
        refuse(req, "pin_mismatch", "两次输入的新PIN码不一致，PIN码未修改。");
        goto out;
    }
    if (strlen(pins[1]) < lo || strlen(pins[1]) > hi) {
        snprintf(msg, sizeof(msg), "新PIN码应为%lu至%lu位，PIN码未修改。", lo, hi);
        refuse(req, "pin_rule", msg);
        goto out;
    }
    rv = assist_medium_login(&m, CKU_USER, pins[0]);
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED) {
        refuse(req, rv == CKR_PIN_LOCKED ? "pin_locked" : "pin",
               rv == CKR_PIN_LOCKED
                   ? "USB Key的PIN码已锁定，PIN码未修改：请在“我的证书”办理证书解锁。"
                   : "当前PIN码错误，PIN码未修改。");
        goto out;
    }
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        snprintf(msg, sizeof(msg), "无法登录USB Key：%s", assist_p11_error(rv));
        refuse(req, "medium", msg);
        goto out;
    }
    rv = m.f->C_SetPIN(m.s, (CK_UTF8CHAR_PTR)pins[0], (CK_ULONG)strlen(pins[0]),
                       (CK_UTF8CHAR_PTR)pins[1], (CK_ULONG)strlen(pins[1]));
    m.f->C_Logout(m.s);
    if (rv != CKR_OK) {
        snprintf(msg, sizeof(msg), "修改PIN码失败：%s", assist_p11_error(rv));
        refuse(req, "medium", msg);
        goto out;
    }
    {
        yajl_gen g = reply_ok(req);

        kv(g, "medium", m.label);
        yajl_gen_map_close(g);
        send_gen(g);
        yajl_gen_free(g);
    }
out:
    OPENSSL_cleanse(pins, sizeof(pins));
    assist_medium_close(&m);
}

/*
 * 在线更新, 在线变更, 解锁 for a page of the hall (我的证书's buttons): the
 * assistant's own command (`hall-assist renew|change|unlock`, its steps
 * unchanged) run as a child with the page's origin as --hall, the PIN
 * asked here by pinentry and handed to it through a pipe (--pin-file
 * /dev/fd/3: never a file), its output the answer's lines.
 */
static void
do_flow(yajl_val req, const char *origin)
{
    const char *verb = member(req, "verb"), *label = member(req, "medium"),
               *ticket = member(req, "ticket");
    const char *word;
    char desc[1024], pins[2][64], err[256], msg[600], out[8192];
    size_t have = 0;
    int pinpipe[2] = {-1, -1}, outpipe[2] = {-1, -1}, p, status = -1;
    pid_t pid;
    const char *q;
    yajl_gen g;

    memset(pins, 0, sizeof(pins));
    if (verb == NULL || label == NULL || ticket == NULL ||
        (strcmp(verb, "renew") != 0 && strcmp(verb, "change") != 0 &&
         strcmp(verb, "unlock") != 0)) {
        refuse(req, "request", "办理请求缺少业务类型、介质序列号或一次性码。");
        return;
    }
    for (q = ticket; *q != '\0'; q++)
        if (!isalnum((unsigned char)*q) && *q != '-')
            break;
    if (*q != '\0' || q == ticket || q - ticket > 64 || strlen(label) > 32 || !name_ok(label)) {
        refuse(req, "request", "一次性码或介质序列号格式不正确。");
        return;
    }
    word = strcmp(verb, "renew") == 0    ? "在线更新"
           : strcmp(verb, "change") == 0 ? "在线变更"
                                         : "解锁";
    snprintf(desc, sizeof(desc),
             "网站 %s 请求为USB Key（介质 %s）办理%s。\n\n%s"
             "如不是您本人在该网站的操作，请点“取消”。",
             origin, label, word,
             strcmp(verb, "unlock") == 0 ? "请两次输入新的PIN码（至少6位）。\n"
                                         : "请输入该USB Key的PIN码。\n");
    if (strcmp(verb, "unlock") == 0) {
        p = assist_pinentry("证书助手：解锁", desc, "新PIN码：", NULL, pins[0], sizeof(pins[0]),
                            err, sizeof(err));
        if (p == 0)
            p = assist_pinentry("证书助手：解锁", desc, "再次输入新PIN码：", NULL, pins[1],
                                sizeof(pins[1]), err, sizeof(err));
        if (p == 0 && strcmp(pins[0], pins[1]) != 0) {
            refuse(req, "pin_mismatch", "两次输入的新PIN码不一致，未办理。");
            goto out;
        }
    } else {
        p = assist_pinentry(strcmp(verb, "renew") == 0 ? "证书助手：在线更新"
                                                       : "证书助手：在线变更",
                            desc, "PIN码：", NULL, pins[0], sizeof(pins[0]), err, sizeof(err));
    }
    if (p != 0) {
        snprintf(msg, sizeof(msg), "%s，未办理。", err);
        refuse(req, p > 0 ? "cancelled" : "pinentry", msg);
        goto out;
    }
    if (pipe(pinpipe) != 0 || pipe(outpipe) != 0) {
        refuse(req, "host", "证书助手无法启动办理程序。");
        goto out;
    }
    /* the PIN (twice: a command asking a new PIN again reads the second
     * line) into the pipe, far below its capacity */
    if (dprintf(pinpipe[1], "%s\n%s\n", pins[0], pins[0]) < 0) {
        refuse(req, "host", "证书助手无法启动办理程序。");
        goto out;
    }
    close(pinpipe[1]);
    pinpipe[1] = -1;
    pid = fork();
    if (pid == 0) {
        dup2(pinpipe[0], 3);
        dup2(outpipe[1], 1);
        dup2(outpipe[1], 2);
        close(outpipe[0]);
        close(0);
        unsetenv("HALL_PKCS11_MODULE"); /* p11-kit's modules, as list and sign */
        execl("/proc/self/exe", "hall-assist", verb, "--token", label, "--ticket", ticket, "--hall",
              origin, "--pin-file", "/dev/fd/3", (char *)NULL);
        _exit(127);
    }
    close(outpipe[1]);
    outpipe[1] = -1;
    close(pinpipe[0]);
    pinpipe[0] = -1;
    if (pid > 0) {
        ssize_t k;

        char spill[512];

        /* read to the end (a child never blocks on a full pipe); what
         * does not fit the answer is dropped */
        for (;;) {
            size_t room = sizeof(out) - 1 - have;

            k = room > 0 ? read(outpipe[0], out + have, room)
                         : read(outpipe[0], spill, sizeof(spill));
            if (k <= 0)
                break;
            if (room > 0)
                have += (size_t)k;
        }
        waitpid(pid, &status, 0);
    }
    out[have] = '\0';
    g = reply(req, pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        kv(g, "code", "flow");
        kv(g, "message",
           have > 0 ? "证书助手未能完成办理，原因见下方证书助手的输出。"
                    : "证书助手未能完成办理。");
    }
    kv(g, "verb", verb);
    /* the command's words, valid UTF-8 as it prints them */
    kv(g, "output", out);
    yajl_gen_map_close(g);
    send_gen(g);
    yajl_gen_free(g);
out:
    OPENSSL_cleanse(pins, sizeof(pins));
    if (pinpipe[0] >= 0)
        close(pinpipe[0]);
    if (pinpipe[1] >= 0)
        close(pinpipe[1]);
    if (outpipe[0] >= 0)
        close(outpipe[0]);
    if (outpipe[1] >= 0)
        close(outpipe[1]);
}

static void
handle(const char *msg)
{
    char err[256];
    yajl_val req = yajl_tree_parse(msg, err, sizeof(err));
    const char *type, *origin;

    if (req == NULL || !YAJL_IS_OBJECT(req)) {
        refuse(NULL, "request", "证书助手收到的消息不是JSON对象。");
        yajl_tree_free(req);
        return;
    }
    type = member(req, "type");
    origin = member(req, "origin");
    if (!origin_served(origin)) {
        char m[400];

        snprintf(m, sizeof(m), "证书助手不为 %s 服务：只为本机配置的营业厅网站签名。",
                 origin != NULL && name_ok(origin) ? origin : "该网站");
        refuse(req, "origin", m);
    } else if (type != NULL && strcmp(type, "hello") == 0) {
        yajl_gen g = reply_ok(req);

        kv(g, "version", PACKAGE_VERSION);
        yajl_gen_map_close(g);
        send_gen(g);
        yajl_gen_free(g);
    } else if (type != NULL && strcmp(type, "list") == 0) {
        const char *path[] = {"status", NULL};

        /* "status": true: each holder certificate's status asked by OCSP */
        do_list(req, YAJL_IS_TRUE(yajl_tree_get(req, path, yajl_t_true)));
    } else if (type != NULL && strcmp(type, "pin") == 0) {
        do_pin(req, origin);
    } else if (type != NULL && strcmp(type, "flow") == 0) {
        do_flow(req, origin);
    } else if (type != NULL && strcmp(type, "sign") == 0) {
        do_sign(req, origin);
    } else {
        refuse(req, "type", "证书助手不认识这个请求。");
    }
    yajl_tree_free(req);
}

int
assist_native_io(FILE *in, FILE *out)
{
    char *msg;

    msg_in = in;
    msg_out = out;
    while ((msg = read_message()) != NULL) {
        handle(msg);
        free(msg);
    }
    return 0;
}

int
assist_native(const char *caller)
{
    (void)caller; /* the browser checked the extension (the manifest's allowed origins) */
    signal(SIGPIPE, SIG_IGN);
    /* stderr goes to the browser's log: the library's words stay there */
    return assist_native_io(stdin, stdout);
}
