/*
 * Unit tests for what the payment drivers stand on: core/base/paysign.c
 * (SHA256withRSA in base64, AES-256-GCM with associated data as WeChat Pay
 * encrypts its notifications, strict base64, the raw text of Alipay's
 * "*_response" member, a secret kept encrypted at rest as keyenc.sh writes
 * it) and core/biz's yuan-to-fen conversion (Alipay's amounts, converted
 * exactly); and core/base's other shared readers: a passphrase file's first
 * line (buf.c), a certificate's serial and names as text and an extension
 * added (x509.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hall.h"
#include "base/kdf.h"

static void
fen_of_yuan__two_decimals__exact(void **state)
{
    assert_int_equal(hall_fen_of_yuan("700.00"), 70000);
    assert_int_equal(hall_fen_of_yuan("0.01"), 1);
    assert_int_equal(hall_fen_of_yuan("12.3"), 1230);
    assert_int_equal(hall_fen_of_yuan("12"), 1200);
    /* 0.29 * 100 is 28.999... in floating point */
    assert_int_equal(hall_fen_of_yuan("0.29"), 29);
    assert_int_equal(hall_fen_of_yuan("1234567890.99"), 123456789099);
}

static void
fen_of_yuan__malformed__refused(void **state)
{
    const char *bad[] = {"",
                         "12.",
                         ".5",
                         "1.234",
                         "-1",
                         "+1",
                         "1e2",
                         "1,00",
                         " 1",
                         "1 ",
                         "0x10",
                         "12.3.4",
                         "1234567890123.45",
                         NULL};
    int i;

    assert_int_equal(hall_fen_of_yuan(NULL), -1);
    for (i = 0; bad[i] != NULL; i++)
        assert_int_equal(hall_fen_of_yuan(bad[i]), -1);
}

static void
rsa__signed_text__verifies_and_a_changed_byte_does_not(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    const char *msg = "POST\n/v3/pay/transactions/native\n1700000000\nabc\n{}\n";
    char *sig;

    assert_non_null(k);
    sig = hall_rsa_sign(pool, k, msg, strlen(msg));
    assert_non_null(sig);
    assert_int_equal(strlen(sig), 344); /* 256 bytes in base64 */
    assert_int_equal(hall_rsa_verify(pool, k, msg, strlen(msg), sig), 1);
    assert_int_equal(hall_rsa_verify(pool, k, msg, strlen(msg) - 1, sig), 0);
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    assert_int_equal(hall_rsa_verify(pool, k, msg, strlen(msg), sig), 0);
    assert_int_equal(hall_rsa_verify(pool, k, msg, strlen(msg), "not base64!"), 0);
    assert_int_equal(hall_rsa_verify(pool, k, msg, strlen(msg), ""), 0);
    assert_int_equal(hall_rsa_verify(pool, k, msg, strlen(msg), NULL), 0);
    EVP_PKEY_free(k);
    hall_pool_destroy(pool);
}

/* what WeChat Pay does: ciphertext | tag, base64, the nonce's text as IV */
static char *
seal(struct hall_pool *pool, const unsigned char key[32], const char *nonce, const char *aad,
     const char *plain)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    unsigned char out[256];
    int n = 0, f = 0;

    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)strlen(nonce), NULL);
    EVP_EncryptInit_ex(c, NULL, NULL, key, (const unsigned char *)nonce);
    EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)aad, (int)strlen(aad));
    EVP_EncryptUpdate(c, out, &n, (const unsigned char *)plain, (int)strlen(plain));
    EVP_EncryptFinal_ex(c, out + n, &f);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + n + f);
    EVP_CIPHER_CTX_free(c);
    return hall_b64(pool, out, (size_t)(n + f + 16));
}

static void
gcm_open__wechat_resource__opens_only_with_its_key_nonce_and_aad(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    const unsigned char *key = (const unsigned char *)"0123456789abcdef0123456789abcdef";
    const unsigned char *other = (const unsigned char *)"0123456789abcdef0123456789abcdeX";
    const char *plain = "{\"mchid\":\"1900000001\",\"trade_state\":\"SUCCESS\"}";
    char *ct = seal(pool, key, "8a9b0c1d2e3f", "transaction", plain), *got;
    size_t n = 0;

    got = hall_gcm_open(pool, key, "8a9b0c1d2e3f", "transaction", ct, &n);
    assert_non_null(got);
    assert_int_equal(n, strlen(plain));
    assert_string_equal(got, plain);
    assert_null(hall_gcm_open(pool, other, "8a9b0c1d2e3f", "transaction", ct, &n));
    assert_null(hall_gcm_open(pool, key, "8a9b0c1d2e3X", "transaction", ct, &n));
    assert_null(hall_gcm_open(pool, key, "8a9b0c1d2e3f", "refund", ct, &n));
    assert_null(hall_gcm_open(pool, key, "8a9b0c1d2e3f", "transaction", "AAAA", &n));
    ct[3] = ct[3] == 'A' ? 'B' : 'A';
    assert_null(hall_gcm_open(pool, key, "8a9b0c1d2e3f", "transaction", ct, &n));
    hall_pool_destroy(pool);
}

static void
unb64__strict__padding_only_at_the_end(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    unsigned char *p;
    size_t n;

    p = hall_unb64(pool, "aGFsbA==", &n);
    assert_non_null(p);
    assert_int_equal(n, 4);
    assert_memory_equal(p, "hall", 4);
    assert_null(hall_unb64(pool, "aGFsbA=", &n));
    assert_null(hall_unb64(pool, "aG=sbA==", &n));
    assert_null(hall_unb64(pool, "aGFs bA=", &n));
    assert_null(hall_unb64(pool, "aGFs-A==", &n));
    assert_null(hall_unb64(pool, "", &n));
    hall_pool_destroy(pool);
}

static void
json_member_text__alipay_response__as_written(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    const char *body =
        "{\"alipay_trade_query_response\" : {\"code\":\"10000\",\"msg\":\"Su}c\\\"{\","
        "\"x\":{\"y\":1}},\"sign\":\"abc\"}";
    const char *t = hall_json_member_text(pool, body, "alipay_trade_query_response");

    assert_non_null(t);
    assert_string_equal(t, "{\"code\":\"10000\",\"msg\":\"Su}c\\\"{\",\"x\":{\"y\":1}}");
    assert_null(hall_json_member_text(pool, body, "alipay_trade_close_response"));
    assert_null(hall_json_member_text(pool, "{\"a_response\":\"text\"}", "a_response"));
    assert_null(hall_json_member_text(pool, "{\"a_response\":{\"open\":1", "a_response"));
    hall_pool_destroy(pool);
}

/* FILE: one line "aes-256-cbc:pbkdf2-sha256:ITER:BASE64" of SECRET under
 * PASS, made by the openssl command as script/lib/keyenc.sh makes it */
static void
secret_file(const char *dir, const char *file, const char *pass, const char *secret, int iter)
{
    char cmd[2048];

    snprintf(cmd, sizeof(cmd),
             "cd %s && printf '%%s' '%s' | openssl enc -aes-256-cbc -pbkdf2 -md sha256 -iter %d"
             " -salt -a -A -pass 'pass:%s' >b64 && printf 'aes-256-cbc:pbkdf2-sha256:%d:%%s\\n'"
             " \"$(cat b64)\" >%s",
             dir, secret, iter, pass, iter, file);
    assert_int_equal(system(cmd), 0);
}

static void
secret_load__keyenc_file__opens_with_its_passphrase_only(void **state)
{
    char dir[] = "/tmp/hall-secret.XXXXXX", path[256], pass[256], other[256], cmd[512];
    const char *key = "0123456789abcdef0123456789ABCDEF", *why = NULL;
    unsigned char out[32];
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(pass, sizeof(pass), "%s/pki.pass", dir);
    snprintf(other, sizeof(other), "%s/other.pass", dir);
    f = fopen(pass, "w");
    fputs("the passphrase\nsecond line\n", f);
    fclose(f);
    f = fopen(other, "w");
    fputs("another passphrase\n", f);
    fclose(f);

    snprintf(path, sizeof(path), "%s/apiv3.key", dir);
    secret_file(dir, "apiv3.key", "the passphrase", key, 600000);
    assert_int_equal(hall_secret_load_encrypted(path, pass, out, 32, &why), HALL_OK);
    assert_memory_equal(out, key, 32);
    assert_null(why);
    /* another passphrase, another length asked, no passphrase */
    assert_int_equal(hall_secret_load_encrypted(path, other, out, 32, &why), HALL_ERR);
    assert_string_equal(why, "read");
    assert_int_equal(hall_secret_load_encrypted(path, pass, out, 16, &why), HALL_ERR);
    assert_int_equal(hall_secret_load_encrypted(path, NULL, out, 32, &why), HALL_ERR);
    assert_string_equal(why, "pass");

    /* the key in clear: refused as such */
    snprintf(path, sizeof(path), "%s/clear.key", dir);
    f = fopen(path, "w");
    fprintf(f, "%s\n", key);
    fclose(f);
    assert_int_equal(hall_secret_load_encrypted(path, pass, out, 32, &why), HALL_ERR);
    assert_string_equal(why, "clear");

    /* a derivation below 100,000 iterations, a secret of 31 bytes, a cut line */
    secret_file(dir, "weak.key", "the passphrase", key, 1000);
    snprintf(path, sizeof(path), "%s/weak.key", dir);
    assert_int_equal(hall_secret_load_encrypted(path, pass, out, 32, &why), HALL_ERR);
    assert_string_equal(why, "read");
    secret_file(dir, "short.key", "the passphrase", "0123456789abcdef0123456789ABCDE", 100000);
    snprintf(path, sizeof(path), "%s/short.key", dir);
    assert_int_equal(hall_secret_load_encrypted(path, pass, out, 32, &why), HALL_ERR);
    snprintf(cmd, sizeof(cmd), "cd %s && head -c 60 apiv3.key >cut.key", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/cut.key", dir);
    assert_int_equal(hall_secret_load_encrypted(path, pass, out, 32, &why), HALL_ERR);
    snprintf(path, sizeof(path), "%s/absent.key", dir);
    assert_int_equal(hall_secret_load_encrypted(path, pass, out, 32, &why), HALL_ERR);
    assert_string_equal(why, "read");

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* an SMS account's secret (any length): opened as text; rotated with
 * hall_keyfile_reencrypt it opens with the new passphrase only, the same
 * text; a PKCS#8 key likewise; pki_pass_file.next is tried meanwhile */
static void
secret_text__reencrypt_and_next__same_secret_under_the_new_passphrase(void **state)
{
    char dir[] = "/tmp/hall-secret.XXXXXX", path[256], key[256], pass[256], next[256];
    char cmd[1024], out[64];
    const char *why = NULL;
    EVP_PKEY *k;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(pass, sizeof(pass), "%s/pki.pass", dir);
    snprintf(next, sizeof(next), "%s/pki.pass.next", dir);
    f = fopen(pass, "w");
    fputs("old passphrase\n", f);
    fclose(f);
    secret_file(dir, "sf.checkword", "old passphrase", "fedcba9876543210fedcba98", 600000);
    snprintf(path, sizeof(path), "%s/sf.checkword", dir);
    assert_int_equal(hall_secret_load_text(path, pass, out, sizeof(out), &why), HALL_OK);
    assert_string_equal(out, "fedcba9876543210fedcba98");
    assert_int_equal(hall_secret_load_text(path, pass, out, 10, &why), HALL_ERR);
    snprintf(key, sizeof(key), "%s/sm2.key", dir);
    snprintf(cmd, sizeof(cmd),
             "openssl genpkey -algorithm SM2 2>/dev/null | openssl pkcs8 -topk8 -v2 aes-256-cbc"
             " -v2prf hmacWithSHA256 -iter 600000 -passout 'pass:old passphrase' -out %s",
             key);
    assert_int_equal(system(cmd), 0);

    /* written anew under the new passphrase; done already: 2; a certificate: 0 */
    assert_int_equal(hall_keyfile_reencrypt(path, "old passphrase", "new passphrase", &why), 1);
    assert_int_equal(hall_keyfile_reencrypt(path, "old passphrase", "new passphrase", &why), 2);
    assert_int_equal(hall_keyfile_reencrypt(key, "old passphrase", "new passphrase", &why), 1);
    assert_int_equal(hall_keyfile_reencrypt(key, "other", "another", &why), -1);
    assert_string_equal(why, "read");
    assert_int_equal(hall_keyfile_reencrypt(pass, "old passphrase", "new passphrase", &why), 0);

    /* the old passphrase opens neither; with .next beside it, both open */
    assert_int_equal(hall_secret_load_text(path, pass, out, sizeof(out), &why), HALL_ERR);
    assert_string_equal(why, "read");
    assert_null(hall_pkey_load_encrypted(key, pass, &why));
    f = fopen(next, "w");
    fputs("new passphrase\n", f);
    fclose(f);
    assert_int_equal(hall_secret_load_text(path, pass, out, sizeof(out), &why), HALL_OK);
    assert_string_equal(out, "fedcba9876543210fedcba98");
    k = hall_pkey_load_encrypted(key, pass, &why);
    assert_non_null(k);
    hall_pkey_free(k);
    /* as openssl reads it: PBKDF2-HMAC-SHA256, 600,000 iterations */
    snprintf(cmd, sizeof(cmd),
             "openssl asn1parse -in %s | grep -q ':hmacWithSHA256' &&"
             " openssl asn1parse -in %s | grep -q 'INTEGER *:0927C0' &&"
             " openssl pkey -in %s -passin 'pass:new passphrase' -noout",
             key, key, key);
    assert_int_equal(system(cmd), 0);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* A secret under the new passphrase whose decryption with the old one
 * passes CBC's padding check (one salt in 256 does; this one was found by
 * trying salts): 47 bytes of noise.  Mid-rotation the old passphrase must
 * not open it, with .next beside it the new one does, and a resumed
 * rotation counts it done (2) and leaves it as it is, rather than writing
 * the noise anew under the new passphrase and losing the secret. */
#define NOISY_SECRET                                                                               \
    "aes-256-cbc:pbkdf2-sha256:100000:U2FsdGVkX19NpZLbfEGnqguA3E12EiL4QU87Gd+KOF3wCAIRI5fb"        \
    "92lSn7hU4r6cI6byxBd84s2y/zf0xCSjzQ==\n"

static void
secret_rotation__old_passphrase_passing_the_padding__neither_opens_nor_rewrites(void **state)
{
    char dir[] = "/tmp/hall-secret.XXXXXX", path[256], pass[256], next[256], cmd[512];
    char out[64], before[256], after[256];
    const char *why = NULL;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(pass, sizeof(pass), "%s/pki.pass", dir);
    snprintf(next, sizeof(next), "%s/pki.pass.next", dir);
    snprintf(path, sizeof(path), "%s/aliyun-sms.secret", dir);
    f = fopen(pass, "w");
    fputs("old passphrase\n", f);
    fclose(f);
    f = fopen(path, "w");
    fputs(NOISY_SECRET, f);
    fclose(f);
    /* the openssl command does take the noise for the secret */
    snprintf(cmd, sizeof(cmd),
             "cut -d: -f4 %s | openssl enc -d -aes-256-cbc -pbkdf2 -md sha256 -iter 100000 -a -A"
             " -pass 'pass:old passphrase' | wc -c | grep -qx 47",
             path);
    assert_int_equal(system(cmd), 0);

    assert_int_equal(hall_secret_load_text(path, pass, out, sizeof(out), &why), HALL_ERR);
    assert_string_equal(why, "read");
    f = fopen(next, "w");
    fputs("new passphrase\n", f);
    fclose(f);
    assert_int_equal(hall_secret_load_text(path, pass, out, sizeof(out), &why), HALL_OK);
    assert_string_equal(out, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    assert_int_equal(hall_secret_load_encrypted(path, pass, (unsigned char *)out, 32, &why),
                     HALL_OK);
    assert_memory_equal(out, "0f1e2d3c4b5a69788796a5b4c3d2e1f0", 32);

    assert_int_equal(hall_keyfile_reencrypt(path, "old passphrase", "new passphrase", &why), 2);
    f = fopen(path, "r");
    assert_non_null(fgets(after, sizeof(after), f));
    fclose(f);
    snprintf(before, sizeof(before), "%s", NOISY_SECRET);
    assert_string_equal(after, before);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* the first line of a passphrase file, its line end left out; an empty
 * first line, an absent file, no path: HALL_ERR */
static void
file_line__first_line__without_its_end(void **state)
{
    char dir[] = "/tmp/hall-line.XXXXXX", path[256], out[16];
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/pass", dir);
    f = fopen(path, "w");
    fputs("口令 one\r\nsecond line\n", f);
    fclose(f);
    assert_int_equal(hall_file_line(path, out, sizeof(out)), HALL_OK);
    assert_string_equal(out, "口令 one");
    /* cut at the size given, NUL-terminated */
    assert_int_equal(hall_file_line(path, out, 4), HALL_OK);
    assert_string_equal(out, "口");
    f = fopen(path, "w");
    fputs("\nafter an empty line\n", f);
    fclose(f);
    assert_int_equal(hall_file_line(path, out, sizeof(out)), HALL_ERR);
    unlink(path);
    assert_int_equal(hall_file_line(path, out, sizeof(out)), HALL_ERR);
    assert_int_equal(hall_file_line(NULL, out, sizeof(out)), HALL_ERR);
    assert_int_equal(hall_file_line("", out, sizeof(out)), HALL_ERR);
    rmdir(dir);
}

/* a certificate's serial in upper-case hex (its leading zero kept, as
 * BN_bn2hex writes bytes); its names in both forms the hall prints, the
 * Chinese as UTF-8, not escaped; an extension added by its configuration
 * text, and one OpenSSL cannot make refused */
static void
x509_text__serial_names_and_extensions(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    X509V3_CTX v3;
    BIGNUM *bn = NULL;
    BASIC_CONSTRAINTS *bc;
    int crit = -1;

    (void)state;
    assert_non_null(x);
    assert_int_equal(BN_hex2bn(&bn, "A1B2C3"), 6);
    assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
    BN_free(bn);
    X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8, (const unsigned char *)"湖南CA", -1, -1, 0);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)"张三, 公章", -1, -1,
                               0);
    X509_set_subject_name(x, nm);
    X509_set_issuer_name(x, nm);

    assert_string_equal(hall_asn1_int_hex(pool, X509_get0_serialNumber(x)), "A1B2C3");
    assert_string_equal(hall_asn1_int_hex(pool, NULL), "");
    /* RFC 2253: the last RDN first, its comma escaped */
    assert_string_equal(hall_x509_name_text(pool, nm, XN_FLAG_RFC2253), "CN=张三\\, 公章,O=湖南CA");
    assert_string_equal(hall_x509_name_text(pool, nm, XN_FLAG_ONELINE),
                        "O = 湖南CA, CN = \"张三, 公章\"");

    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    assert_int_equal(hall_x509_ext_add(x, &v3, "basicConstraints", "critical,CA:TRUE,pathlen:0"),
                     HALL_OK);
    bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
    assert_non_null(bc);
    assert_int_equal(crit, 1);
    assert_true(bc->ca);
    assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
    BASIC_CONSTRAINTS_free(bc);
    assert_int_equal(X509_get_ext_count(x), 1);
    assert_int_equal(hall_x509_ext_add(x, &v3, "basicConstraints", "CA:maybe"), HALL_ERR);
    assert_int_equal(hall_x509_ext_add(x, &v3, "noSuchExtension", "x"), HALL_ERR);
    assert_int_equal(X509_get_ext_count(x), 1);

    X509_NAME_free(nm);
    X509_free(x);
    hall_pool_destroy(pool);
}

/* kdf_cache_dir: the first opening derives and keeps the key of that file,
 * the next one takes it from the folder (same secret, same SM2 key); an
 * entry that does not open its file is removed; a folder open to others is
 * not used; the passphrase is in no entry's name */
static void
kdf_cache__second_opening__from_the_folder_same_key(void **state)
{
    char dir[] = "/tmp/hall-kdf.XXXXXX", cache[256], path[256], key[256], pass[256];
    char cmd[1024], out[64];
    const char *why = NULL;
    EVP_PKEY *k, *k2;
    FILE *f;
    int n;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(pass, sizeof(pass), "%s/pki.pass", dir);
    snprintf(cache, sizeof(cache), "%s/kdf-cache", dir);
    assert_int_equal(mkdir(cache, 0700), 0);
    f = fopen(pass, "w");
    fputs("the passphrase\n", f);
    fclose(f);
    secret_file(dir, "sms.secret", "the passphrase", "0123abcd", 600000);
    snprintf(path, sizeof(path), "%s/sms.secret", dir);
    snprintf(key, sizeof(key), "%s/sm2.key", dir);
    snprintf(cmd, sizeof(cmd),
             "openssl genpkey -algorithm SM2 2>/dev/null | openssl pkcs8 -topk8 -v2 aes-256-cbc"
             " -v2prf hmacWithSHA256 -iter 600000 -passout 'pass:the passphrase' -out %s",
             key);
    assert_int_equal(system(cmd), 0);
    hall_kdf_cache_set(cache);

    assert_int_equal(hall_secret_load_text(path, pass, out, sizeof(out), &why), HALL_OK);
    k = hall_pkey_load_encrypted(key, pass, &why);
    assert_non_null(k);
    snprintf(cmd, sizeof(cmd),
             "test $(ls %s | wc -l) = 2 && ! ls %s | grep -q pass &&"
             " test -z \"$(find %s -type f -perm /077)\"",
             cache, cache, cache);
    assert_int_equal(system(cmd), 0);
    /* from the folder now: the same secret and key, even with the
     * passphrase file gone wrong (the cache names the file, not the pass) */
    f = fopen(pass, "w");
    fputs("another passphrase\n", f);
    fclose(f);
    assert_int_equal(hall_secret_load_text(path, pass, out, sizeof(out), &why), HALL_OK);
    assert_string_equal(out, "0123abcd");
    k2 = hall_pkey_load_encrypted(key, pass, &why);
    assert_non_null(k2);
    assert_int_equal(EVP_PKEY_eq(k, k2), 1);
    assert_int_equal(EVP_PKEY_get_id(k2), EVP_PKEY_get_id(k));
    hall_pkey_free(k2);
    /* entries that do not open their files: removed, derived in full */
    snprintf(cmd, sizeof(cmd),
             "umask 077; for e in %s/*; do printf 'hallkdf1\\0' >$e.x &&"
             " head -c $(($(stat -c %%s $e) - 9)) /dev/zero >>$e.x && mv $e.x $e; done",
             cache);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(hall_secret_load_text(path, pass, out, sizeof(out), &why), HALL_ERR);
    assert_null(hall_pkey_load_encrypted(key, pass, &why));
    snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) = 0", cache);
    assert_int_equal(system(cmd), 0);
    f = fopen(pass, "w");
    fputs("the passphrase\n", f);
    fclose(f);
    assert_int_equal(hall_secret_load_text(path, pass, out, sizeof(out), &why), HALL_OK);
    assert_string_equal(out, "0123abcd");
    /* a folder others may enter is not used */
    assert_int_equal(chmod(cache, 0755), 0);
    hall_kdf_cache_set(cache);
    snprintf(cmd, sizeof(cmd), "rm -f %s/*", cache);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(hall_secret_load_text(path, pass, out, sizeof(out), &why), HALL_OK);
    snprintf(cmd, sizeof(cmd), "ls %s | wc -l", cache);
    f = popen(cmd, "r");
    assert_int_equal(fscanf(f, "%d", &n), 1);
    pclose(f);
    assert_int_equal(n, 0);
    hall_kdf_cache_set(NULL);
    hall_pkey_free(k);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fen_of_yuan__two_decimals__exact),
        cmocka_unit_test(fen_of_yuan__malformed__refused),
        cmocka_unit_test(rsa__signed_text__verifies_and_a_changed_byte_does_not),
        cmocka_unit_test(gcm_open__wechat_resource__opens_only_with_its_key_nonce_and_aad),
        cmocka_unit_test(unb64__strict__padding_only_at_the_end),
        cmocka_unit_test(json_member_text__alipay_response__as_written),
        cmocka_unit_test(secret_load__keyenc_file__opens_with_its_passphrase_only),
        cmocka_unit_test(secret_text__reencrypt_and_next__same_secret_under_the_new_passphrase),
        cmocka_unit_test(
            secret_rotation__old_passphrase_passing_the_padding__neither_opens_nor_rewrites),
        cmocka_unit_test(kdf_cache__second_opening__from_the_folder_same_key),
        cmocka_unit_test(file_line__first_line__without_its_end),
        cmocka_unit_test(x509_text__serial_names_and_extensions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
