/*
 * hall-stamp sign with a PKCS#11 token (--pkcs11-module, --token): the
 * key pair whose certificate the seal lists, by --key-label or, on a
 * holder's USB key, whatever its label (issue 70 §2); the PIN's refusals
 * and a USB key without the seal's key told to the holder.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/base.h"
#include "pki/pki.h"
#include "stamp_token.h"

static int zh;

#define T(cn, en) (zh ? (cn) : (en))

/* PIN trouble said to the holder; 1 when err was that, else 0 */
static int
pin_refused(const char *err)
{
    if (strstr(err, "the PIN is wrong") != NULL) {
        /* the holder's USB key: its PIN, not the hall's pkcs11_pin_file */
        fprintf(stderr, "%s\n",
                T("hall-stamp：PIN码错误，USB Key拒绝登录",
                  "hall-stamp: wrong PIN, the USB key refused it"));
        return 1;
    }
    if (strstr(err, "PIN is locked") != NULL) {
        fprintf(
            stderr, "%s\n",
            T("hall-stamp：USB Key的PIN码已锁定（错误次数过多），请办理证书解锁",
              "hall-stamp: the USB key's PIN is locked (too many wrong PINs): ask for 证书解锁"));
        return 1;
    }
    return 0;
}

/* the token's key pair whose certificate the seal lists, whatever its
 * label (the station labels the holder's `hall`, a 业务章's by its code) */
static int
token_key_for_seal(const unsigned char *seal, size_t seal_len, EVP_PKEY **key, X509 **cert,
                   char *err, size_t errlen)
{
    char labels[32][64];
    int n = hall_token_key_labels(labels, 32, err, errlen), i;

    if (n < 0) {
        if (!pin_refused(err))
            fprintf(
                stderr,
                T("hall-stamp：无法打开USB Key：%s\n", "hall-stamp: cannot open the USB key: %s\n"),
                err);
        return HALL_ERR;
    }
    for (i = 0; i < n; i++) {
        EVP_PKEY *k = hall_token_key(labels[i], err, errlen);
        X509 *x = k != NULL ? hall_seseal_signer_for(seal, seal_len, k) : NULL;

        if (x != NULL) {
            *key = k;
            *cert = x;
            return HALL_OK;
        }
        EVP_PKEY_free(k);
    }
    fprintf(stderr, "%s\n",
            T("hall-stamp：这个USB Key中没有该印章的证书密钥：请插入制作该印章证书时寄给您的USB Key"
              "（我的电子印章中写明介质序列号），并用 --token 指明该介质序列号",
              "hall-stamp: this USB key holds no key of the seal's certificate: plug in the USB key"
              " the seal's certificate was made on (its serial is on 我的电子印章) and name it"
              " with --token"));
    return HALL_ERR;
}

int
stamp_token_signer(struct hall_pool *pool, const char *module, const char *token,
                   const char *key_label, const char *pin, const unsigned char *seal,
                   size_t seal_len, EVP_PKEY **key, X509 **cert, int zh_)
{
    struct hall_seseal_info info;
    const char *why;
    char err[512];

    zh = zh_;
    if (hall_token_configure_pin(module, token, pin, NULL, err, sizeof(err)) != HALL_OK) {
        fprintf(stderr, "hall-stamp: %s\n", err);
        return HALL_ERR;
    }
    if (hall_seseal_read(pool, seal, seal_len, &info, &why) != HALL_OK) {
        fprintf(stderr, "hall-stamp: %s\n", why);
        return HALL_ERR;
    }
    /* a holder's USB key: the key pair of the seal's certificate, whatever its label */
    if (key_label == NULL)
        return token_key_for_seal(seal, seal_len, key, cert, err, sizeof(err));
    *key = hall_token_key(key_label, err, sizeof(err));
    if (*key == NULL && pin_refused(err))
        return HALL_ERR;
    if (*key == NULL) {
        fprintf(stderr,
                T("hall-stamp：无法使用令牌中的密钥：%s\n",
                  "hall-stamp: cannot use the token's key: %s\n"),
                err);
        return HALL_ERR;
    }
    *cert = hall_seseal_signer_for(seal, seal_len, *key);
    if (*cert == NULL) {
        fprintf(stderr, "%s\n",
                T("hall-stamp：印章文件未列出与令牌中密钥对应的签章人证书",
                  "hall-stamp: the seal lists no certificate of the token's key"));
        return HALL_ERR;
    }
    return HALL_OK;
}
