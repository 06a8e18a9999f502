/*
 * hall-assist, the 证书助手 (docs/modules/assist.md): the holder's program
 * for a USB key the hall made (issue 64 §3), over the key maker's PKCS#11
 * module.  The key never leaves the medium; this program reads its
 * certificates and public keys, and changes or resets its PINs.
 *
 *   hall-assist list   [--module SO] [--token SERIAL] [--json]
 *       the medium's certificates and each one's status by OCSP
 *   hall-assist pin    [--module SO] [--token SERIAL] [--pin-file FILE]
 *       changes the user PIN (old and new: the terminal, or FILE's two lines)
 *   hall-assist unlock [--module SO] --token SERIAL --ticket CODE [--hall URL]
 *                      [--pin-file FILE] [--cacert FILE]
 *       a locked or forgotten user PIN reset with the one-time code of a
 *       证书解锁 order: the hall releases the SO PIN once, a new user PIN is
 *       set (C_InitPIN) and the SO PIN changed to the new one the hall keeps
 *   hall-assist renew  [--module SO] --token SERIAL --ticket CODE [--hall URL]
 *                      [--pin-file FILE] [--cacert FILE]
 *       在线更新 with the one-time code of a 证书更新 order: a new key pair
 *       on the medium, the hall's new certificate written, then the old
 *       certificate and key removed (assist_renew.c)
 *   hall-assist change [--module SO] --token SERIAL --ticket CODE [--hall URL]
 *                      [--pin-file FILE] [--cacert FILE]
 *       在线变更 with the one-time code of a 证书变更 order: the same steps,
 *       the new certificate with the changed data; the hall revokes the old
 *       one once told the new one is written (assist_renew.c)
 *
 *   hall-assist native
 *       the browser's door: a native-messaging host on stdin and stdout
 *       (assist_native.c); the browser starts it so, with the caller's
 *       origin (chrome-extension://ID/, or Firefox's manifest path and id)
 *       as its argument
 *
 * The module: --module, else HALL_PKCS11_MODULE, else every module
 * registered with p11-kit.  Exit status 0, 1 when refused or failed (the
 * reason on stderr, in Chinese), 2 for usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "assist.h"

static int
usage(void)
{
    fprintf(stderr,
            "用法：hall-assist list   [--module 驱动库] [--token 介质序列号] [--json]\n"
            "      hall-assist pin    [--module 驱动库] [--token 介质序列号] [--pin-file 文件]\n"
            "      hall-assist unlock [--module 驱动库] --token 介质序列号 --ticket 解锁码\n"
            "                         [--hall 网址] [--pin-file 文件] [--cacert 文件]\n"
            "      hall-assist renew  [--module 驱动库] --token 介质序列号 --ticket 更新码\n"
            "                         [--hall 网址] [--pin-file 文件] [--cacert 文件]\n"
            "      hall-assist change [--module 驱动库] --token 介质序列号 --ticket 变更码\n"
            "                         [--hall 网址] [--pin-file 文件] [--cacert 文件]\n"
            "      hall-assist native   （浏览器扩展的本机程序，由浏览器启动）\n"
            "驱动库：--module，或环境变量 HALL_PKCS11_MODULE，否则为本机登记的驱动（p11-kit）\n");
    return 2;
}

static void
when(const ASN1_TIME *t, char *out, size_t len)
{
    struct tm tm;

    if (!ASN1_TIME_to_tm(t, &tm))
        snprintf(out, len, "?");
    else
        snprintf(out, len, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* a name as RFC 2253 writes it, its Chinese in UTF-8 */
static void
name_utf8(const X509_NAME *n, char *out, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    int k = b != NULL ? X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) : -1;

    out[0] = '\0';
    if (k > 0) {
        k = BIO_read(b, out, (int)len - 1);
        out[k > 0 ? k : 0] = '\0';
    }
    BIO_free(b);
}

static void
algorithm(X509 *x, char *out, size_t len)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    char group[64] = "";
    size_t gl = 0;

    if (k == NULL) {
        snprintf(out, len, "?");
    } else if (EVP_PKEY_is_a(k, "EC") || EVP_PKEY_is_a(k, "SM2")) {
        EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), &gl);
        snprintf(out, len, "%s %s", EVP_PKEY_is_a(k, "SM2") ? "SM2" : "ECDSA",
                 strcmp(group, "prime256v1") == 0 ? "P-256" : group);
    } else {
        snprintf(out, len, "%s %d", EVP_PKEY_get0_type_name(k), EVP_PKEY_get_bits(k));
    }
}

static void
json_esc(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
}

static const char *
status_zh(const char *st)
{
    return strcmp(st, "good") == 0      ? "有效"
           : strcmp(st, "revoked") == 0 ? "已吊销"
           : strcmp(st, "unknown") == 0 ? "未知（签发者不认识该证书）"
           : strcmp(st, "none") == 0    ? "未查询"
                                        : "无法查询";
}

static int
cmd_list(struct medium *m, const struct opts *o)
{
    struct medium_cert *c;
    size_t n, i, j;
    X509 **chain;

    if (assist_medium_certs(m, &c, &n) != 0)
        return 1;
    chain = calloc(n + 1, sizeof(*chain));
    for (i = 0; chain != NULL && i < n; i++)
        chain[i] = c[i].x;
    if (o->json)
        printf("{\"medium\":\"%s\",\"certificates\":[", m->label);
    else
        printf("介质 %s（%s，介质自身序列号 %s）：%zu张证书\n", m->label, m->model, m->serial, n);
    for (i = 0; chain != NULL && i < n; i++) {
        X509 *x = c[i].x, *issuer = NULL;
        char subj[512], serial[128] = "", nb[64], na[64], alg[64], detail[256];
        BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
        char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
        const char *st;

        name_utf8(X509_get_subject_name(x), subj, sizeof(subj));
        snprintf(serial, sizeof(serial), "%s", hex != NULL ? hex : "");
        OPENSSL_free(hex);
        BN_free(bn);
        when(X509_get0_notBefore(x), nb, sizeof(nb));
        when(X509_get0_notAfter(x), na, sizeof(na));
        algorithm(x, alg, sizeof(alg));
        for (j = 0; j < n; j++)
            if (X509_check_issued(c[j].x, x) == X509_V_OK && (j != i || n == 1))
                issuer = c[j].x;
        /* a self-signed root is asked of nobody */
        st = X509_check_issued(x, x) == X509_V_OK
                 ? (snprintf(detail, sizeof(detail), "根证书"), "none")
                 : assist_ocsp_status(x, issuer, chain, n, detail, sizeof(detail));
        if (o->json) {
            printf("%s{\"subject\":\"", i > 0 ? "," : "");
            json_esc(subj);
            printf("\",\"serial\":\"%s\",\"not_before\":\"%s\",\"not_after\":\"%s\","
                   "\"algorithm\":\"%s\",\"status\":\"%s\",\"status_text\":\"%s\",\"detail\":\"",
                   serial, nb, na, alg, st, status_zh(st));
            json_esc(detail);
            printf("\"}");
        } else {
            printf("\n证书 %zu\n  主题：%s\n  序列号：%s\n  有效期：%s 至 %s（UTC）\n"
                   "  算法：%s\n  状态：%s%s%s%s\n",
                   i + 1, subj, serial, nb, na, alg, status_zh(st), *detail ? "（" : "", detail,
                   *detail ? "）" : "");
        }
    }
    if (o->json)
        printf("]}\n");
    free(chain);
    assist_medium_certs_free(c, n);
    return 0;
}

static int
cmd_pin(struct medium *m, const struct opts *o)
{
    static const char *const prompts[] = {"请输入当前PIN码：", "请输入新PIN码："};
    char pins[2][64];
    CK_RV rv;
    int rc = 1;

    if (assist_read_pins(o->pin_file, prompts, pins, 2) != 0)
        return 1;
    if (!assist_new_pin_ok(m, pins[1]))
        goto out;
    rv = assist_medium_login(m, CKU_USER, pins[0]);
    if (rv != CKR_OK) {
        fprintf(stderr, "hall-assist: 当前PIN码不能登录介质 %s：%s%s\n", m->label,
                assist_p11_error(rv),
                rv == CKR_PIN_LOCKED ? "；请办理证书解锁后运行 hall-assist unlock" : "");
        goto out;
    }
    rv = m->f->C_SetPIN(m->s, (CK_UTF8CHAR_PTR)pins[0], (CK_ULONG)strlen(pins[0]),
                        (CK_UTF8CHAR_PTR)pins[1], (CK_ULONG)strlen(pins[1]));
    m->f->C_Logout(m->s);
    if (rv != CKR_OK) {
        fprintf(stderr, "hall-assist: 修改PIN码失败：%s\n", assist_p11_error(rv));
        goto out;
    }
    printf("介质 %s 的PIN码已修改\n", m->label);
    rc = 0;
out:
    OPENSSL_cleanse(pins, sizeof(pins));
    return rc;
}

int
main(int argc, char **argv)
{
    struct opts o = {0};
    struct medium m;
    int i, rc;

    if (argc < 2)
        return usage();
    /* started by a browser: Chromium passes chrome-extension://ID/,
     * Firefox the host manifest's path and the extension's id */
    if (strcmp(argv[1], "native") == 0 || strncmp(argv[1], "chrome-extension://", 19) == 0 ||
        (argc == 3 && strstr(argv[1], ".json") != NULL)) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        rc = assist_native(argv[1]);
        curl_global_cleanup();
        return rc;
    }
    o.cmd = argv[1];
    o.module = getenv("HALL_PKCS11_MODULE");
    o.hall = getenv("HALL_URL");
    for (i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--json") == 0) {
            o.json = 1;
            continue;
        }
        if (v == NULL)
            return usage();
        if (strcmp(a, "--module") == 0)
            o.module = v;
        else if (strcmp(a, "--token") == 0)
            o.token = v;
        else if (strcmp(a, "--pin-file") == 0)
            o.pin_file = v;
        else if (strcmp(a, "--ticket") == 0)
            o.ticket = v;
        else if (strcmp(a, "--hall") == 0)
            o.hall = v;
        else if (strcmp(a, "--cacert") == 0)
            assist_cacert = v;
        else
            return usage();
        i++;
    }
    if (strcmp(o.cmd, "list") != 0 && strcmp(o.cmd, "pin") != 0 && strcmp(o.cmd, "unlock") != 0 &&
        strcmp(o.cmd, "renew") != 0 && strcmp(o.cmd, "change") != 0)
        return usage();
    if (strcmp(o.cmd, "unlock") == 0 && (o.token == NULL || o.ticket == NULL)) {
        fprintf(stderr, "hall-assist: unlock 需要 --token（介质序列号）和 --ticket（解锁码）\n");
        return 2;
    }
    if (strcmp(o.cmd, "renew") == 0 && (o.token == NULL || o.ticket == NULL)) {
        fprintf(stderr, "hall-assist: renew 需要 --token（介质序列号）和 --ticket（更新码）\n");
        return 2;
    }
    if (strcmp(o.cmd, "change") == 0 && (o.token == NULL || o.ticket == NULL)) {
        fprintf(stderr, "hall-assist: change 需要 --token（介质序列号）和 --ticket（变更码）\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (assist_medium_open(&m, o.module, o.token) != 0) {
        assist_medium_close(&m);
        return 1;
    }
    rc = strcmp(o.cmd, "list") == 0                                    ? cmd_list(&m, &o)
         : strcmp(o.cmd, "pin") == 0                                   ? cmd_pin(&m, &o)
         : strcmp(o.cmd, "renew") == 0 || strcmp(o.cmd, "change") == 0 ? assist_cmd_renew(&m, &o)
                                                                       : assist_cmd_unlock(&m, &o);
    assist_medium_close(&m);
    curl_global_cleanup();
    return rc;
}
