/*
 * The derived keys' cache (docs/internals/crypto.md).  Every secret kept
 * encrypted at rest (the PII key's wrap, the SM2 and merchants' keys, the
 * providers' secrets) is opened with a key PBKDF2-HMAC-SHA256 derives from
 * the key-encryption passphrase with 600,000 iterations: about 0.2 s of
 * CPU each on a quiet core, paid by every module, tool and worker start
 * for each file it opens (0.44 s a file at a load of 13).  The iterations
 * are there against someone who has a copy of var/ and guesses the
 * passphrase; a process that has the passphrase gains nothing from them.
 *
 * So the key derived for one file is kept in kdf_cache_dir, a folder that
 * must be the hall user's own with no access for others (0700; a folder
 * that is not is ignored), beside the passphrase (script/server:
 * VAR-credentials/kdf-cache), never under var/: whoever reads the folder
 * could read the passphrase beside it, which opens every file anyway.  An
 * entry opens exactly one file: it is named by SHA-256 of the file's salt,
 * iterations and ciphertext (a rewritten file, by a rotation, has a new
 * salt: its old entry names nothing any more), never by the passphrase, so
 * the cache is no quick test of a guessed passphrase either.  An entry is
 * written only once its key opened the file, and one that does not open
 * it is removed and the key derived in full.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/sha.h>

#include "base/base.h"
#include "base/kdf.h"

#define KDF_MAGIC   "hallkdf1"
#define KDF_KEY_MAX 64

static char cache_dir[1024];
static int cache_ok = -1; /* -1: not checked yet */

void
hall_kdf_cache_set(const char *dir)
{
    cache_dir[0] = '\0';
    cache_ok = -1;
    if (dir != NULL && strlen(dir) < sizeof(cache_dir) - 80)
        snprintf(cache_dir, sizeof(cache_dir), "%s", dir);
}

/* the folder is there, a folder, ours and closed to others */
static int
cache_usable(void)
{
    struct stat st;

    if (cache_ok < 0) {
        cache_ok = cache_dir[0] != '\0' && lstat(cache_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
                   st.st_uid == geteuid() && (st.st_mode & 077) == 0;
    }
    return cache_ok;
}

/* path of the entry of that file */
static int
entry_path(char *path, size_t size, const unsigned char *salt, size_t saltlen, unsigned long iter,
           const unsigned char *ct, size_t ctlen)
{
    static const char label[] = "hall-kdf-v1";
    static const char digits[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_LENGTH], num[16];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t i;
    int ok;

    for (i = 0; i < 8; i++) {
        num[i] = (unsigned char)((unsigned long long)iter >> (56 - 8 * i));
        num[8 + i] = (unsigned char)((unsigned long long)saltlen >> (56 - 8 * i));
    }
    ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(c, label, sizeof(label)) == 1 &&
         EVP_DigestUpdate(c, num, sizeof(num)) == 1 && EVP_DigestUpdate(c, salt, saltlen) == 1 &&
         EVP_DigestUpdate(c, ct, ctlen) == 1 && EVP_DigestFinal_ex(c, md, NULL) == 1;
    EVP_MD_CTX_free(c);
    if (!ok)
        return HALL_ERR;
    for (i = 0; i < sizeof(md); i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[sizeof(hex) - 1] = '\0';
    return snprintf(path, size, "%s/%s", cache_dir, hex) < (int)size ? HALL_OK : HALL_ERR;
}

/* the entry's key, outlen bytes, when there is one of that length */
static int
entry_read(const char *path, unsigned char *out, size_t outlen)
{
    unsigned char buf[sizeof(KDF_MAGIC) + KDF_KEY_MAX];
    struct stat st;
    ssize_t n;
    int fd, rc = HALL_ERR;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return HALL_ERR;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        (st.st_mode & 077) == 0 && (size_t)st.st_size == sizeof(KDF_MAGIC) + outlen) {
        n = read(fd, buf, sizeof(buf));
        if (n == (ssize_t)(sizeof(KDF_MAGIC) + outlen) &&
            memcmp(buf, KDF_MAGIC, sizeof(KDF_MAGIC)) == 0) {
            memcpy(out, buf + sizeof(KDF_MAGIC), outlen);
            rc = HALL_OK;
        }
    }
    close(fd);
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

int
hall_kdf_derive(const char *pass, const unsigned char *salt, size_t saltlen, unsigned long iter,
                const unsigned char *ct, size_t ctlen, unsigned char *out, size_t outlen,
                int *cached)
{
    char path[1200];

    *cached = 0;
    if (outlen == 0 || outlen > KDF_KEY_MAX)
        return HALL_ERR;
    if (cache_usable() &&
        entry_path(path, sizeof(path), salt, saltlen, iter, ct, ctlen) == HALL_OK &&
        entry_read(path, out, outlen) == HALL_OK) {
        *cached = 1;
        return HALL_OK;
    }
    if (PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), salt, (int)saltlen, (int)iter, EVP_sha256(),
                          (int)outlen, out) != 1)
        return HALL_ERR;
    return HALL_OK;
}

void
hall_kdf_keep(const unsigned char *salt, size_t saltlen, unsigned long iter,
              const unsigned char *ct, size_t ctlen, const unsigned char *key, size_t keylen)
{
    unsigned char buf[sizeof(KDF_MAGIC) + KDF_KEY_MAX];
    char path[1200], tmp[1300];
    int fd, ok;

    if (keylen == 0 || keylen > KDF_KEY_MAX || !cache_usable() ||
        entry_path(path, sizeof(path), salt, saltlen, iter, ct, ctlen) != HALL_OK ||
        snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
        return;
    memcpy(buf, KDF_MAGIC, sizeof(KDF_MAGIC));
    memcpy(buf + sizeof(KDF_MAGIC), key, keylen);
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ok = write(fd, buf, sizeof(KDF_MAGIC) + keylen) == (ssize_t)(sizeof(KDF_MAGIC) + keylen);
        ok = close(fd) == 0 && ok;
        /* several processes may write the same entry at once: the same bytes */
        if (!ok || rename(tmp, path) != 0)
            unlink(tmp);
    }
    OPENSSL_cleanse(buf, sizeof(buf));
}

void
hall_kdf_forget(const unsigned char *salt, size_t saltlen, unsigned long iter,
                const unsigned char *ct, size_t ctlen)
{
    char path[1200];

    if (cache_usable() && entry_path(path, sizeof(path), salt, saltlen, iter, ct, ctlen) == HALL_OK)
        unlink(path);
}

/*
 * A PKCS#8 "ENCRYPTED PRIVATE KEY" as keyenc.sh writes it (PBES2: PBKDF2
 * with hmacWithSHA256, AES-256-CBC) opened with the cache's key for that
 * file; NULL for any other shape or when it does not open, and the caller
 * asks OpenSSL as before.
 */
EVP_PKEY *
hall_kdf_pkcs8_open(FILE *f, const char *pass)
{
    X509_SIG *p8 = PEM_read_PKCS8(f, NULL, NULL, NULL);
    const X509_ALGOR *alg;
    const ASN1_OCTET_STRING *oct;
    PBE2PARAM *pbe2 = NULL;
    PBKDF2PARAM *kdf = NULL;
    PKCS8_PRIV_KEY_INFO *inf = NULL;
    EVP_CIPHER_CTX *c = NULL;
    EVP_PKEY *k = NULL;
    unsigned char key[32], *plain = NULL;
    const unsigned char *salt, *p;
    long iter;
    int saltlen, pl = 0, fl = 0, cached = 0, opened = 0;

    if (p8 == NULL)
        goto out;
    X509_SIG_get0(p8, &alg, &oct);
    if (OBJ_obj2nid(alg->algorithm) != NID_pbes2 ||
        (pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)) == NULL ||
        OBJ_obj2nid(pbe2->keyfunc->algorithm) != NID_id_pbkdf2 ||
        OBJ_obj2nid(pbe2->encryption->algorithm) != NID_aes_256_cbc ||
        pbe2->encryption->parameter == NULL ||
        pbe2->encryption->parameter->type != V_ASN1_OCTET_STRING ||
        ASN1_STRING_length(pbe2->encryption->parameter->value.octet_string) != 16 ||
        (kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)) ==
            NULL ||
        kdf->salt->type != V_ASN1_OCTET_STRING || kdf->prf == NULL ||
        OBJ_obj2nid(kdf->prf->algorithm) != NID_hmacWithSHA256 ||
        (kdf->keylength != NULL && ASN1_INTEGER_get(kdf->keylength) != 32))
        goto out;
    iter = ASN1_INTEGER_get(kdf->iter);
    salt = ASN1_STRING_get0_data(kdf->salt->value.octet_string);
    saltlen = ASN1_STRING_length(kdf->salt->value.octet_string);
    if (iter < 1 || saltlen < 8 || ASN1_STRING_length(oct) < 16 ||
        hall_kdf_derive(pass, salt, (size_t)saltlen, (unsigned long)iter,
                        ASN1_STRING_get0_data(oct), (size_t)ASN1_STRING_length(oct), key,
                        sizeof(key), &cached) != HALL_OK)
        goto out;
    plain = OPENSSL_malloc((size_t)ASN1_STRING_length(oct) + 16);
    c = EVP_CIPHER_CTX_new();
    if (plain == NULL || c == NULL ||
        EVP_DecryptInit_ex(
            c, EVP_aes_256_cbc(), NULL, key,
            ASN1_STRING_get0_data(pbe2->encryption->parameter->value.octet_string)) != 1 ||
        EVP_DecryptUpdate(c, plain, &pl, ASN1_STRING_get0_data(oct), ASN1_STRING_length(oct)) !=
            1 ||
        EVP_DecryptFinal_ex(c, plain + pl, &fl) != 1)
        goto done;
    p = plain;
    inf = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, pl + fl);
    if (inf != NULL)
        k = EVP_PKCS82PKEY(inf);
    opened = k != NULL;
done:
    if (opened && !cached)
        hall_kdf_keep(salt, (size_t)saltlen, (unsigned long)iter, ASN1_STRING_get0_data(oct),
                      (size_t)ASN1_STRING_length(oct), key, sizeof(key));
    else if (!opened && cached)
        hall_kdf_forget(salt, (size_t)saltlen, (unsigned long)iter, ASN1_STRING_get0_data(oct),
                        (size_t)ASN1_STRING_length(oct));
out:
    if (plain != NULL)
        OPENSSL_clear_free(plain, (size_t)ASN1_STRING_length(oct) + 16);
    EVP_CIPHER_CTX_free(c);
    PKCS8_PRIV_KEY_INFO_free(inf);
    PBKDF2PARAM_free(kdf);
    PBE2PARAM_free(pbe2);
    X509_SIG_free(p8);
    OPENSSL_cleanse(key, sizeof(key));
    ERR_clear_error();
    return k;
}
