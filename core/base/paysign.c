/*
 * What the payment gateways' protocols need of OpenSSL: keys read from PEM
 * files, SHA256withRSA (RSASSA-PKCS1-v1_5) signatures in base64 made and
 * checked, AES-256-GCM opened with associated data (WeChat Pay's
 * callbacks), standard base64 and a certificate's serial number.
 * Nothing here knows a gateway: core/biz/payment.c builds the texts that are
 * signed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "base/base.h"
#include "base/kdf.h"

/* RSA signatures of 4096-bit keys are 512 bytes */
#define SIG_MAX 1024

EVP_PKEY *
hall_pkey_load(const char *path, int private_key)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k;

    if (f == NULL)
        return NULL;
    k = private_key ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
                    : PEM_read_PUBKEY(f, NULL, NULL, NULL);
    if (k == NULL && !private_key) {
        /* a certificate instead of a bare key: its public key */
        X509 *x;

        rewind(f);
        x = PEM_read_X509(f, NULL, NULL, NULL);
        if (x != NULL) {
            k = X509_get_pubkey(x);
            X509_free(x);
        }
    }
    fclose(f);
    return k;
}

/* the passphrase a rotation under way writes its files with (hall-pkitool
 * rotate-pass: pass_file.next until every file is done); HALL_ERR when
 * there is none */
static int
pass_next(const char *pass_file, char *pass, size_t size)
{
    char next[4096];

    if (pass_file == NULL || *pass_file == '\0' ||
        snprintf(next, sizeof(next), "%s.next", pass_file) >= (int)sizeof(next))
        return HALL_ERR;
    return hall_file_line(next, pass, size);
}

EVP_PKEY *
hall_pkey_load_encrypted(const char *path, const char *pass_file, const char **why)
{
    char pass[256], line[128];
    EVP_PKEY *k = NULL;
    FILE *f;
    int encrypted = 0;

    *why = "pass";
    if (hall_file_line(pass_file, pass, sizeof(pass)) != HALL_OK)
        goto out;
    *why = "read";
    f = fopen(path, "r");
    if (f == NULL)
        goto out;
    /* the key's first line says whether it is encrypted: a key in clear
     * is not read, whatever mode its file has */
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "-----BEGIN ", 11) == 0) {
            encrypted = strncmp(line, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37) == 0;
            break;
        }
    if (!encrypted) {
        *why = "clear";
        fclose(f);
        goto out;
    }
    rewind(f);
    /* keyenc.sh's PBES2, its derived key from kdf_cache_dir; else OpenSSL */
    k = hall_kdf_pkcs8_open(f, pass);
    if (k == NULL) {
        rewind(f);
        k = PEM_read_PrivateKey(f, NULL, NULL, pass);
    }
    if (k == NULL && pass_next(pass_file, pass, sizeof(pass)) == HALL_OK) {
        rewind(f);
        k = PEM_read_PrivateKey(f, NULL, NULL, pass);
    }
    fclose(f);
out:
    OPENSSL_cleanse(pass, sizeof(pass));
    if (k != NULL)
        *why = NULL;
    return k;
}

/* the secrets keyenc.sh encrypts: one line "aes-256-cbc:pbkdf2-sha256:
 * ITERATIONS:BASE64", BASE64 being "Salted__", 8 bytes of salt and the
 * AES-256-CBC ciphertext, whose key and IV are the 48 bytes PBKDF2-HMAC-
 * SHA256 derives from the passphrase and the salt (openssl enc -pbkdf2) */
#define SECRET_PREFIX   "aes-256-cbc:pbkdf2-sha256:"
#define SECRET_FILE_MAX 1024
#define SECRET_ITER_MIN 100000
#define SECRET_ITER_MAX 100000000
/* what keyenc.sh writes: OWASP's figure for PBKDF2-HMAC-SHA256 */
#define SECRET_ITER_WRITE 600000

/* whether the n bytes at p are what keyenc.sh encrypts: one line of
 * printable ASCII (its line end and trailing white space allowed).  CBC
 * has no integrity: a wrong passphrase passes the padding check about one
 * time in 256, and what it gives is noise.  A rotation cut mid-way leaves
 * files under both passphrases, and the old one must not "open" a file
 * already under the new one, let alone have its noise written anew; noise
 * of 15 bytes or more is all printable one time in 2.8 million or less */
static int
secret_text(const unsigned char *p, size_t n)
{
    size_t i;

    if (n == 0)
        return 0;
    for (i = 0; i < n; i++)
        if ((p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return 0;
    return 1;
}

/* a secret file opened with pass into plain (at most cap bytes), its length
 * in *n; HALL_ERR with *why "clear" or "read" */
static int
secret_open(const char *path, const char *pass, unsigned char *plain, size_t cap, size_t *n,
            const char **why)
{
    char text[SECRET_FILE_MAX + 1], *b64, *end;
    unsigned char raw[SECRET_FILE_MAX], kiv[48];
    unsigned char buf[SECRET_FILE_MAX + 32];
    EVP_CIPHER_CTX *c = NULL;
    unsigned long iter;
    size_t len = 0, b64len;
    int rawlen, pl = 0, fl = 0, rc = HALL_ERR, cached = 0;
    FILE *f;

    *why = "read";
    f = fopen(path, "r");
    if (f == NULL)
        return HALL_ERR;
    len = fread(text, 1, SECRET_FILE_MAX, f);
    fclose(f);
    text[len] = '\0';
    text[strcspn(text, "\r\n")] = '\0';
    if (strncmp(text, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0) {
        *why = "clear";
        goto out;
    }
    iter = strtoul(text + strlen(SECRET_PREFIX), &end, 10);
    if (*end != ':' || iter < SECRET_ITER_MIN || iter > SECRET_ITER_MAX)
        goto out;
    b64 = end + 1;
    b64len = strlen(b64);
    if (b64len == 0 || b64len % 4 != 0)
        goto out;
    rawlen = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)b64len);
    if (rawlen < 0)
        goto out;
    /* EVP_DecodeBlock counts the padding's bytes too */
    rawlen -= (b64[b64len - 1] == '=') + (b64[b64len - 2] == '=');
    if (rawlen < 16 + 16 || (rawlen - 16) % 16 != 0 || memcmp(raw, "Salted__", 8) != 0)
        goto out;
    /* the derived key and IV: from kdf_cache_dir when it has this file's */
    if (hall_kdf_derive(pass, raw + 8, 8, iter, raw + 16, (size_t)rawlen - 16, kiv, sizeof(kiv),
                        &cached) != HALL_OK)
        goto out;
    c = EVP_CIPHER_CTX_new();
    if (c == NULL || EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), NULL, kiv, kiv + 32) != 1 ||
        EVP_DecryptUpdate(c, buf, &pl, raw + 16, rawlen - 16) != 1 ||
        EVP_DecryptFinal_ex(c, buf + pl, &fl) != 1 || (size_t)(pl + fl) > cap ||
        !secret_text(buf, (size_t)(pl + fl))) {
        if (cached) /* an entry that does not open it: gone, derived in full */
            hall_kdf_forget(raw + 8, 8, iter, raw + 16, (size_t)rawlen - 16);
        goto out; /* another passphrase (or its noise), or too long */
    }
    if (!cached)
        hall_kdf_keep(raw + 8, 8, iter, raw + 16, (size_t)rawlen - 16, kiv, sizeof(kiv));
    *n = (size_t)(pl + fl);
    memcpy(plain, buf, *n);
    rc = HALL_OK;
    *why = NULL;
out:
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(text, sizeof(text));
    OPENSSL_cleanse(kiv, sizeof(kiv));
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

int
hall_secret_load_encrypted(const char *path, const char *pass_file, unsigned char *out, size_t len,
                           const char **why)
{
    char pass[256];
    unsigned char plain[SECRET_FILE_MAX + 32];
    size_t n = 0;
    int rc = HALL_ERR;

    *why = "pass";
    if (hall_file_line(pass_file, pass, sizeof(pass)) != HALL_OK)
        goto out;
    if (secret_open(path, pass, plain, sizeof(plain), &n, why) != HALL_OK &&
        (strcmp(*why, "read") != 0 || pass_next(pass_file, pass, sizeof(pass)) != HALL_OK ||
         secret_open(path, pass, plain, sizeof(plain), &n, why) != HALL_OK))
        goto out;
    if (n != len) {
        *why = "read"; /* a secret of another length */
        goto out;
    }
    memcpy(out, plain, len);
    rc = HALL_OK;
out:
    OPENSSL_cleanse(pass, sizeof(pass));
    OPENSSL_cleanse(plain, sizeof(plain));
    return rc;
}

int
hall_secret_load_text(const char *path, const char *pass_file, char *out, size_t size,
                      const char **why)
{
    char pass[256];
    unsigned char plain[SECRET_FILE_MAX + 32];
    size_t n = 0;
    int rc = HALL_ERR;

    *why = "pass";
    if (size == 0 || hall_file_line(pass_file, pass, sizeof(pass)) != HALL_OK)
        goto out;
    if (secret_open(path, pass, plain, sizeof(plain), &n, why) != HALL_OK &&
        (strcmp(*why, "read") != 0 || pass_next(pass_file, pass, sizeof(pass)) != HALL_OK ||
         secret_open(path, pass, plain, sizeof(plain), &n, why) != HALL_OK))
        goto out;
    /* one line: what follows it and trailing white space are not part of it */
    while (n > 0 && (plain[n - 1] == ' ' || plain[n - 1] == '\t' || plain[n - 1] == '\r' ||
                     plain[n - 1] == '\n'))
        n--;
    if (n == 0 || n >= size || memchr(plain, '\0', n) != NULL || memchr(plain, '\n', n) != NULL) {
        *why = "read";
        goto out;
    }
    memcpy(out, plain, n);
    out[n] = '\0';
    rc = HALL_OK;
out:
    OPENSSL_cleanse(pass, sizeof(pass));
    OPENSSL_cleanse(plain, sizeof(plain));
    return rc;
}

/* path's content replaced by n bytes at p: path.rot written, synced and
 * renamed over path, the folder synced; the old file stays whole until the
 * rename */
static int
file_replace(const char *path, const void *p, size_t n)
{
    char tmp[4096], dir[4096], *slash;
    int fd, ok;

    if (snprintf(tmp, sizeof(tmp), "%s.rot", path) >= (int)sizeof(tmp))
        return HALL_ERR;
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return HALL_ERR;
    ok = write(fd, p, n) == (ssize_t)n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return HALL_ERR;
    }
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        fd = open(dir[0] != '\0' ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
    }
    return HALL_OK;
}

int
hall_keyfile_reencrypt(const char *path, const char *oldpass, const char *newpass, const char **why)
{
    char line[128];
    unsigned char plain[SECRET_FILE_MAX + 32], salt[8], kiv[48];
    unsigned char raw[16 + SECRET_FILE_MAX + 32], ct[SECRET_FILE_MAX + 64];
    char out[SECRET_FILE_MAX * 2];
    EVP_PKEY *k = NULL;
    PKCS8_PRIV_KEY_INFO *p8inf = NULL;
    X509_SIG *p8 = NULL;
    EVP_CIPHER_CTX *c = NULL;
    BIO *mem = NULL;
    FILE *f;
    size_t n = 0;
    int kind = 0, rc = -1, cl = 0, fl = 0, len;
    char *data;
    long dlen;

    *why = "read";
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    if (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37) == 0)
            kind = 1;
        else if (strncmp(line, SECRET_PREFIX, strlen(SECRET_PREFIX)) == 0)
            kind = 2;
    }
    if (kind == 0) {
        fclose(f);
        *why = NULL;
        return 0; /* not a key kept encrypted: a certificate, a public key */
    }
    if (kind == 1) {
        rewind(f);
        k = PEM_read_PrivateKey(f, NULL, NULL, (void *)oldpass);
        if (k == NULL) {
            rewind(f);
            ERR_clear_error();
            k = PEM_read_PrivateKey(f, NULL, NULL, (void *)newpass);
            fclose(f);
            if (k != NULL) {
                rc = 2; /* done already (a rotation resumed) */
                *why = NULL;
            }
            goto out;
        }
        fclose(f);
        *why = "write";
        p8inf = EVP_PKEY2PKCS8(k);
        p8 = p8inf != NULL ? PKCS8_encrypt_ex(-1, EVP_aes_256_cbc(), newpass, (int)strlen(newpass),
                                              NULL, 0, SECRET_ITER_WRITE, p8inf, NULL, NULL)
                           : NULL;
        mem = BIO_new(BIO_s_mem());
        if (p8 == NULL || mem == NULL || PEM_write_bio_PKCS8(mem, p8) != 1)
            goto out;
        dlen = BIO_get_mem_data(mem, &data);
        if (dlen <= 0 || file_replace(path, data, (size_t)dlen) != HALL_OK)
            goto out;
        rc = 1;
        *why = NULL;
        goto out;
    }
    fclose(f);
    if (secret_open(path, oldpass, plain, sizeof(plain), &n, why) != HALL_OK) {
        if (strcmp(*why, "read") == 0 &&
            secret_open(path, newpass, plain, sizeof(plain), &n, why) == HALL_OK)
            rc = 2;
        goto out;
    }
    *why = "write";
    memcpy(raw, "Salted__", 8);
    c = EVP_CIPHER_CTX_new();
    if (RAND_bytes(salt, sizeof(salt)) != 1 ||
        PKCS5_PBKDF2_HMAC(newpass, (int)strlen(newpass), salt, sizeof(salt), SECRET_ITER_WRITE,
                          EVP_sha256(), sizeof(kiv), kiv) != 1 ||
        c == NULL || EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, kiv, kiv + 32) != 1 ||
        EVP_EncryptUpdate(c, ct, &cl, plain, (int)n) != 1 ||
        EVP_EncryptFinal_ex(c, ct + cl, &fl) != 1)
        goto out;
    memcpy(raw + 8, salt, 8);
    memcpy(raw + 16, ct, (size_t)(cl + fl));
    len = snprintf(out, sizeof(out), "%s%d:", SECRET_PREFIX, SECRET_ITER_WRITE);
    len += EVP_EncodeBlock((unsigned char *)out + len, raw, 16 + cl + fl);
    out[len++] = '\n';
    if (file_replace(path, out, (size_t)len) != HALL_OK)
        goto out;
    rc = 1;
    *why = NULL;
out:
    EVP_CIPHER_CTX_free(c);
    BIO_free(mem);
    X509_SIG_free(p8);
    PKCS8_PRIV_KEY_INFO_free(p8inf);
    EVP_PKEY_free(k);
    OPENSSL_cleanse(plain, sizeof(plain));
    OPENSSL_cleanse(kiv, sizeof(kiv));
    OPENSSL_cleanse(ct, sizeof(ct));
    OPENSSL_cleanse(raw, sizeof(raw));
    return rc;
}

void
hall_pkey_free(EVP_PKEY *k)
{
    EVP_PKEY_free(k);
}

char *
hall_cert_serial(struct hall_pool *pool, const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x;
    char *out;

    if (f == NULL)
        return NULL;
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (x == NULL)
        return NULL;
    out = hall_asn1_int_hex(pool, X509_get0_serialNumber(x));
    X509_free(x);
    return out;
}

char *
hall_b64(struct hall_pool *pool, const unsigned char *p, size_t n)
{
    char *s = hall_palloc(pool, 4 * ((n + 2) / 3) + 1);

    EVP_EncodeBlock((unsigned char *)s, p, (int)n);
    return s;
}

unsigned char *
hall_unb64(struct hall_pool *pool, const char *s, size_t *n)
{
    size_t len = s != NULL ? strlen(s) : 0, pad = 0;
    unsigned char *out;
    int got;

    if (len == 0 || len % 4 != 0 || len > 64 * 1024 * 1024 ||
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != len)
        return NULL;
    if (s[len - 1] == '=')
        pad++;
    if (s[len - 2] == '=')
        pad++;
    if (strchr(s, '=') != NULL && strchr(s, '=') < s + len - pad)
        return NULL;
    out = hall_palloc(pool, len / 4 * 3 + 1);
    got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
    if (got < 0)
        return NULL;
    *n = (size_t)got - pad;
    return out;
}

char *
hall_rsa_sign(struct hall_pool *pool, EVP_PKEY *key, const void *data, size_t len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sig[SIG_MAX];
    size_t slen = sizeof(sig);
    char *out = NULL;

    if (md == NULL || key == NULL || EVP_PKEY_get_size(key) > SIG_MAX)
        goto out;
    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, sig, &slen, data, len) != 1)
        goto out;
    out = hall_b64(pool, sig, slen);
out:
    EVP_MD_CTX_free(md);
    return out;
}

int
hall_rsa_verify(struct hall_pool *pool, EVP_PKEY *key, const void *data, size_t len,
                const char *sig_b64)
{
    EVP_MD_CTX *md;
    unsigned char *sig;
    size_t slen;
    int ok = 0;

    if (key == NULL || sig_b64 == NULL)
        return 0;
    sig = hall_unb64(pool, sig_b64, &slen);
    if (sig == NULL || slen == 0 || slen > SIG_MAX)
        return 0;
    md = EVP_MD_CTX_new();
    if (md == NULL)
        return 0;
    if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestVerify(md, sig, slen, data, len) == 1)
        ok = 1;
    EVP_MD_CTX_free(md);
    return ok;
}

char *
hall_gcm_open(struct hall_pool *pool, const unsigned char key[32], const char *nonce,
              const char *aad, const char *ct_b64, size_t *outlen)
{
    EVP_CIPHER_CTX *c;
    unsigned char *ct;
    char *out = NULL;
    size_t n;
    int len = 0, fin = 0;

    ct = hall_unb64(pool, ct_b64, &n);
    if (ct == NULL || n < 16 || nonce == NULL || strlen(nonce) == 0 || strlen(nonce) > 64)
        return NULL;
    c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return NULL;
    out = hall_palloc(pool, n + 1);
    if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)strlen(nonce), NULL) != 1 ||
        EVP_DecryptInit_ex(c, NULL, NULL, key, (const unsigned char *)nonce) != 1 ||
        (aad != NULL &&
         EVP_DecryptUpdate(c, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) != 1) ||
        EVP_DecryptUpdate(c, (unsigned char *)out, &len, ct, (int)(n - 16)) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, ct + n - 16) != 1 ||
        EVP_DecryptFinal_ex(c, (unsigned char *)out + len, &fin) != 1) {
        out = NULL;
    } else {
        out[len + fin] = '\0';
        *outlen = (size_t)(len + fin);
    }
    EVP_CIPHER_CTX_free(c);
    return out;
}

const char *
hall_json_member_text(struct hall_pool *pool, const char *s, const char *key)
{
    const char *needle = hall_psprintf(pool, "\"%s\"", key), *p = strstr(s, needle), *q;
    int depth = 0, in_str = 0;

    if (p == NULL)
        return NULL;
    p += strlen(needle);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p != '{')
        return NULL;
    for (q = p; *q != '\0'; q++) {
        if (in_str) {
            if (*q == '\\' && q[1] != '\0')
                q++;
            else if (*q == '"')
                in_str = 0;
        } else if (*q == '"') {
            in_str = 1;
        } else if (*q == '{') {
            depth++;
        } else if (*q == '}' && --depth == 0) {
            return hall_pstrndup(pool, p, (size_t)(q - p + 1));
        }
    }
    return NULL;
}
