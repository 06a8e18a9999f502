/*
 * Personal data at rest (AES-256-GCM), blind indexes (HMAC-SHA256), random
 * tokens with OpenSSL 3; password hashing with Argon2id (argon2.c's AVX2
 * compression, checked against libargon2, or libargon2), older
 * PBKDF2-HMAC-SHA256 hashes still verified.
 * The key file holds 128 hex characters: 32 bytes of AES key, then 32 bytes
 * of HMAC key.  Purpose-specific MAC keys are derived from the HMAC key so a
 * CSRF token can never be replayed as a blind index.
 */
#include <argon2.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "base/base.h"

#define PII_VERSION 1
#define NONCE_LEN   12
#define TAG_LEN     16

static unsigned char enc_key[32];
static unsigned char mac_key[32];
static int keys_loaded;

/*
 * OpenSSL 3 looks an algorithm up by name in its providers on every
 * one-shot call (SHA256(), HMAC(), EVP_aes_256_gcm() given to an Init):
 * for the session cookie's hash and the CSRF token's MACs that lookup was
 * most of their cost (perf of the order list, docs/performance.md).  The
 * three are fetched once per process; the HMAC context is re-keyed on each
 * use (a worker runs one request at a time, on one thread).
 */
static EVP_MD *alg_sha256;
static EVP_CIPHER *alg_gcm;
static EVP_MAC_CTX *alg_hmac;

static void
algs_fetch(void)
{
    OSSL_PARAM params[2];
    EVP_MAC *mac;

    if (alg_hmac != NULL)
        return;
    alg_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    alg_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (alg_sha256 == NULL || alg_gcm == NULL || mac == NULL)
        abort();
    alg_hmac = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac); /* the context keeps its own reference */
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (alg_hmac == NULL || EVP_MAC_CTX_set_params(alg_hmac, params) != 1)
        abort();
}

int
hall_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* keyenc.sh's line (core/base/paysign.c opens it): the key wrapped */
#define KEY_WRAPPED_PREFIX "aes-256-cbc:pbkdf2-sha256:"

int
hall_crypto_init(const char *key_file, const char *pass_file, char *err, size_t errlen)
{
    unsigned char raw[64];
    char hex[1100];
    size_t n;
    FILE *f;
    struct rlimit nocore = {0, 0};
    int wrapped;

    /* from here the process holds the PII key, and soon requests' personal
     * data in clear (their fields, the files of HALL_R_CLEAR routes): a crash
     * writes no core file of it, whatever the shell's ulimit allowed */
    if (setrlimit(RLIMIT_CORE, &nocore) != 0) {
        snprintf(err, errlen, "cannot refuse core files: %s", strerror(errno));
        return HALL_ERR;
    }
    f = fopen(key_file, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open key_file %s: %s", key_file, strerror(errno));
        return HALL_ERR;
    }
    n = fread(hex, 1, sizeof(hex) - 1, f);
    fclose(f);
    hex[n] = '\0';
    /* the key is kept wrapped under the key-encryption passphrase, which
     * lives outside var/ (pki_pass_file): a copy of var/ alone reads no
     * personal data.  In clear only where no passphrase is configured (the
     * unit tests) */
    wrapped = strncmp(hex, KEY_WRAPPED_PREFIX, strlen(KEY_WRAPPED_PREFIX)) == 0;
    if (wrapped) {
        const char *why = NULL;

        OPENSSL_cleanse(hex, sizeof(hex));
        if (pass_file == NULL || *pass_file == '\0') {
            snprintf(err, errlen, "key_file %s is wrapped: pki_pass_file must name its passphrase",
                     key_file);
            return HALL_ERR;
        }
        if (hall_secret_load_text(key_file, pass_file, hex, sizeof(hex), &why) != HALL_OK) {
            snprintf(err, errlen, "key_file %s: %s", key_file,
                     why != NULL && strcmp(why, "pass") == 0
                         ? "pki_pass_file cannot be read"
                         : "does not open with pki_pass_file's passphrase");
            OPENSSL_cleanse(hex, sizeof(hex));
            return HALL_ERR;
        }
        n = strlen(hex);
    } else if (pass_file != NULL && *pass_file != '\0') {
        OPENSSL_cleanse(hex, sizeof(hex));
        snprintf(err, errlen,
                 "key_file %s holds the PII key in clear: wrap it with pki_pass_file"
                 " (script/lib/keyenc.sh PKI_PASS_FILE %s; script/server does it)",
                 key_file, key_file);
        return HALL_ERR;
    }
    while (n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == '\r' || hex[n - 1] == ' '))
        n--;
    hex[n] = '\0';
    if (n != 128 || hall_unhex(hex, raw, sizeof(raw)) != HALL_OK) {
        OPENSSL_cleanse(hex, sizeof(hex));
        /* a wrong passphrase passes CBC's padding check about once in 256
         * and opens to noise: said as the wrong passphrase it is */
        snprintf(err, errlen,
                 wrapped ? "key_file %s: does not open with pki_pass_file's passphrase"
                         : "key_file %s must hold 128 hex characters",
                 key_file);
        return HALL_ERR;
    }
    memcpy(enc_key, raw, 32);
    memcpy(mac_key, raw + 32, 32);
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(hex, sizeof(hex));
    keys_loaded = 1;
    algs_fetch(); /* before the workers fork: they inherit the lookups */
    return HALL_OK;
}

/*
 * SHA-256 of "hall-pii-key-v1:" and the key file's 128 hex characters
 * (lower case): names the key without revealing it.  The database keeps
 * the fingerprint of the key its data was written with (hall_keys), and
 * script/lib/common.sh computes the same with sha256sum.
 */
int
hall_crypto_fingerprint(char out[65])
{
    static const char label[] = "hall-pii-key-v1:";
    static const char digits[] = "0123456789abcdef";
    char text[sizeof(label) - 1 + 128];
    unsigned char md[SHA256_DIGEST_LENGTH];
    size_t i;

    if (!keys_loaded)
        return HALL_ERR;
    memcpy(text, label, sizeof(label) - 1);
    for (i = 0; i < 64; i++) {
        unsigned char b = i < 32 ? enc_key[i] : mac_key[i - 32];

        text[sizeof(label) - 1 + 2 * i] = digits[b >> 4];
        text[sizeof(label) - 1 + 2 * i + 1] = digits[b & 15];
    }
    SHA256((const unsigned char *)text, sizeof(text), md);
    OPENSSL_cleanse(text, sizeof(text));
    for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
    return HALL_OK;
}

int
hall_rand_bytes(void *buf, size_t n)
{
    if (RAND_bytes(buf, (int)n) != 1)
        abort(); /* no randomness: nothing safe can be done */
    return HALL_OK;
}

uint32_t
hall_rand_below(uint32_t bound)
{
    uint32_t r, limit;

    if (bound <= 1)
        return 0;
    limit = UINT32_MAX - (UINT32_MAX % bound);

    /* rejection sampling: no modulo bias */
    do
        hall_rand_bytes(&r, sizeof(r));
    while (r >= limit);
    return r % bound;
}

unsigned char *
hall_pii_encrypt(struct hall_pool *pool, const char *plain, size_t len, size_t *outlen)
{
    unsigned char *out = hall_palloc(pool, 1 + NONCE_LEN + len + TAG_LEN);
    EVP_CIPHER_CTX *ctx;
    int n, ok = 0;

    if (!keys_loaded)
        abort();
    out[0] = PII_VERSION;
    hall_rand_bytes(out + 1, NONCE_LEN);
    algs_fetch();
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        abort();
    if (EVP_EncryptInit_ex(ctx, alg_gcm, NULL, enc_key, out + 1) == 1 &&
        EVP_EncryptUpdate(ctx, out + 1 + NONCE_LEN, &n, (const unsigned char *)plain, (int)len) ==
            1 &&
        EVP_EncryptFinal_ex(ctx, out + 1 + NONCE_LEN + n, &n) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + 1 + NONCE_LEN + len) == 1)
        ok = 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok)
        abort();
    *outlen = 1 + NONCE_LEN + len + TAG_LEN;
    return out;
}

/*
 * The same format as hall_pii_encrypt, produced piece by piece while an
 * upload streams out of the multipart parser, with the SHA-256 of the
 * plaintext computed in the same pass (core/web/req.c): each 64 KiB piece is
 * hashed and encrypted while it is still in the cache, and nothing is
 * written to disk before the handler has accepted the file.
 */
struct hall_enc {
    EVP_CIPHER_CTX *ctx;
    EVP_MD_CTX *md;
};

static void
enc_free(void *p)
{
    struct hall_enc *s = p;

    EVP_CIPHER_CTX_free(s->ctx);
    EVP_MD_CTX_free(s->md);
}

struct hall_enc *
hall_enc_begin(struct hall_pool *pool, unsigned char head[HALL_ENC_HEAD])
{
    struct hall_enc *s = hall_pcalloc(pool, sizeof(*s));

    if (!keys_loaded)
        abort();
    s->ctx = EVP_CIPHER_CTX_new();
    s->md = EVP_MD_CTX_new();
    if (s->ctx == NULL || s->md == NULL)
        abort();
    hall_pool_cleanup(pool, enc_free, s);
    head[0] = PII_VERSION;
    hall_rand_bytes(head + 1, NONCE_LEN);
    algs_fetch();
    if (EVP_EncryptInit_ex(s->ctx, alg_gcm, NULL, enc_key, head + 1) != 1 ||
        EVP_DigestInit_ex(s->md, alg_sha256, NULL) != 1)
        abort();
    return s;
}

void
hall_enc_add(struct hall_enc *s, const void *in, size_t n, unsigned char *out)
{
    int outl;

    if (n == 0)
        return;
    if (EVP_DigestUpdate(s->md, in, n) != 1 ||
        EVP_EncryptUpdate(s->ctx, out, &outl, in, (int)n) != 1 || (size_t)outl != n)
        abort();
}

void
hall_enc_end(struct hall_enc *s, unsigned char tag[HALL_ENC_TAG], unsigned char sha256[32])
{
    unsigned char rest[16];
    unsigned int mdl = 32;
    int outl;

    /* GCM is a stream mode: Final has nothing left to write */
    if (EVP_EncryptFinal_ex(s->ctx, rest, &outl) != 1 || outl != 0 ||
        EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1 ||
        EVP_DigestFinal_ex(s->md, sha256, &mdl) != 1)
        abort();
}

char *
hall_pii_decrypt(struct hall_pool *pool, const unsigned char *enc, size_t len)
{
    EVP_CIPHER_CTX *ctx;
    size_t plen;
    char *out;
    int n, ok = 0;

    if (enc == NULL || len < 1 + NONCE_LEN + TAG_LEN || enc[0] != PII_VERSION)
        return NULL;
    plen = len - 1 - NONCE_LEN - TAG_LEN;
    out = hall_palloc(pool, plen + 1);
    algs_fetch();
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        abort();
    if (EVP_DecryptInit_ex(ctx, alg_gcm, NULL, enc_key, enc + 1) == 1 &&
        EVP_DecryptUpdate(ctx, (unsigned char *)out, &n, enc + 1 + NONCE_LEN, (int)plen) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
                            (void *)(enc + 1 + NONCE_LEN + plen)) == 1 &&
        EVP_DecryptFinal_ex(ctx, (unsigned char *)out + n, &n) == 1)
        ok = 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok)
        return NULL;
    out[plen] = '\0';
    return out;
}

void
hall_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n, unsigned char out[32])
{
    size_t outlen = 0;

    algs_fetch();
    /* a NULL key would mean "the previous key" to EVP_MAC_init */
    if (EVP_MAC_init(alg_hmac, key != NULL ? key : "", keylen, NULL) != 1 ||
        EVP_MAC_update(alg_hmac, p, n) != 1 || EVP_MAC_final(alg_hmac, out, &outlen, 32) != 1 ||
        outlen != 32)
        abort();
}

void
hall_sha256(const void *p, size_t n, unsigned char out[32])
{
    algs_fetch();
    if (EVP_Digest(p, n, out, NULL, alg_sha256, NULL) != 1)
        abort();
}

void
hall_mac(const char *purpose, const void *p, size_t n, unsigned char out[32])
{
    unsigned char k[32];

    if (!keys_loaded)
        abort();
    hall_hmac_sha256(mac_key, sizeof(mac_key), purpose, strlen(purpose), k);
    hall_hmac_sha256(k, sizeof(k), p, n, out);
    OPENSSL_cleanse(k, sizeof(k));
}

void
hall_pii_index(const char *kind, const char *value, unsigned char out[32])
{
    char purpose[64];

    snprintf(purpose, sizeof(purpose), "index:%s", kind);
    hall_mac(purpose, value, strlen(value), out);
}

int
hall_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

char *
hall_hex(struct hall_pool *pool, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = hall_palloc(pool, 2 * n + 1);
    size_t i;

    for (i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

int
hall_session_token_ok(const char *t)
{
    size_t i;

    if (t == NULL || strlen(t) != HALL_SESSION_TOKEN_CHARS)
        return 0;
    for (i = 0; i < HALL_SESSION_TOKEN_CHARS; i++) {
        char c = t[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

char *
hall_b64url(struct hall_pool *pool, const unsigned char *p, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *s = hall_palloc(pool, (n + 2) / 3 * 4 + 1), *o = s;
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        *o++ = a[p[i] >> 2];
        *o++ = a[(p[i] & 3) << 4 | p[i + 1] >> 4];
        *o++ = a[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
        *o++ = a[p[i + 2] & 63];
    }
    if (n - i == 1) {
        *o++ = a[p[i] >> 2];
        *o++ = a[(p[i] & 3) << 4];
    } else if (n - i == 2) {
        *o++ = a[p[i] >> 2];
        *o++ = a[(p[i] & 3) << 4 | p[i + 1] >> 4];
        *o++ = a[(p[i + 1] & 15) << 2];
    }
    *o = '\0';
    return s;
}

#define SALT_LEN 16
#define HASH_LEN 32

int
hall_unhex(const char *s, unsigned char *out, size_t n)
{
    size_t i;

    if (strlen(s) != 2 * n)
        return HALL_ERR;
    for (i = 0; i < n; i++) {
        int hi = hall_hexval((unsigned char)s[2 * i]),
            lo = hall_hexval((unsigned char)s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return HALL_ERR;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return HALL_OK;
}

/* Argon2id with OWASP's parameters: 19 MiB, 2 passes, 1 lane; a 16-byte
 * random salt, a 32-byte result, in the reference's encoded form
 * "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" (unpadded base64) */
#define PW_M_KIB           19456
#define PW_T               2
#define PW_P               1
#define PW_ARGON2ID_PREFIX "$argon2id$v=19$m=19456,t=2,p=1$"

/*
 * Argon2id's memory (19 MiB at today's parameters) is taken once per
 * process and kept: libargon2's own malloc maps it afresh per hash, and the
 * kernel then faults in and zeroes 4,864 pages each time, about 40 % of a
 * hash's CPU.  The library wipes the memory before it hands it back
 * (clear_internal_memory), as argon2.c does; a larger hash (an older row's
 * parameters, up to pw_argon2id_ok's bound) gets memory of its own,
 * returned after.
 *
 * The kept memory is asked for in 2 MiB pages (MADV_HUGEPAGE, where the
 * kernel's transparent huge pages allow it): a hash reads its blocks in
 * an order it cannot predict, and with 4 KiB pages most of those reads
 * also missed the TLB.  With argon2.c, a hash whose memory other
 * processes had pushed out of the caches took 13-15 % less CPU (a test
 * program alternating the two kinds of memory, 2026-11-26).
 */
#define PW_KEEP_BYTES ((size_t)PW_M_KIB * 1024)
#define PW_HUGE_PAGE  ((size_t)2 << 20)
#define PW_MAP_BYTES  ((PW_KEEP_BYTES + PW_HUGE_PAGE - 1) / PW_HUGE_PAGE * PW_HUGE_PAGE)

static uint8_t *pw_mem;
static int pw_mem_busy;

static int
pw_alloc(uint8_t **memory, size_t n)
{
    if (pw_mem_busy || n > PW_KEEP_BYTES) {
        *memory = malloc(n);
        return *memory != NULL ? ARGON2_OK : ARGON2_MEMORY_ALLOCATION_ERROR;
    }
    if (pw_mem == NULL) {
        pw_mem = aligned_alloc(PW_HUGE_PAGE, PW_MAP_BYTES);
        if (pw_mem == NULL)
            return ARGON2_MEMORY_ALLOCATION_ERROR;
        (void)madvise(pw_mem, PW_MAP_BYTES, MADV_HUGEPAGE); /* a hint: 4 KiB pages work too */
    }
    pw_mem_busy = 1;
    *memory = pw_mem;
    return ARGON2_OK;
}

static void
pw_free(uint8_t *memory, size_t n)
{
    (void)n;
    if (memory == pw_mem)
        pw_mem_busy = 0;
    else
        free(memory);
}

/*
 * 1 when this process hashes with argon2.c's AVX2 compression: the CPU has
 * AVX2 and, once per process, a small hash of it equals libargon2's (a
 * worker hashes on one thread only).  Otherwise, or when
 * HALL_ARGON2_REFERENCE is set in the environment, libargon2 does every
 * hash.
 */
static int
pw_fast(void)
{
    static int state; /* 0 not checked yet, 1 fast, -1 reference */

    if (state == 0) {
        static const uint8_t salt[16] = "hall-argon2-kat!";
        uint8_t mine[32], ref[32];
        size_t n = hall_argon2id_bytes(64, 1);
        void *mem = aligned_alloc(64, n);

        state = -1;
        if (mem != NULL && getenv("HALL_ARGON2_REFERENCE") == NULL && hall_argon2id_cpu_ok() &&
            hall_argon2id("known answer", 12, salt, sizeof(salt), 2, 64, 1, mine, sizeof(mine), mem,
                          n) == HALL_OK &&
            argon2id_hash_raw(2, 64, 1, "known answer", 12, salt, sizeof(salt), ref, sizeof(ref)) ==
                ARGON2_OK &&
            memcmp(mine, ref, sizeof(ref)) == 0)
            state = 1;
        free(mem);
        hall_log(HALL_LOG_INFO, NULL, "password hashing: %s", hall_password_engine());
    }
    return state == 1;
}

const char *
hall_password_engine(void)
{
    return pw_fast() ? "Argon2id, argon2.c (AVX2)" : "Argon2id, libargon2";
}

/* Argon2id of password into out[outlen] with the kept memory: argon2.c's
 * where pw_fast allows, else libargon2's */
static int
pw_argon2id(const char *password, const uint8_t *salt, size_t saltlen, unsigned long m,
            unsigned long t, unsigned long p, uint8_t *out, size_t outlen)
{
    argon2_context c;

    if (pw_fast() && hall_argon2id_bytes((uint32_t)m, (uint32_t)p) <= PW_KEEP_BYTES) {
        uint8_t *mem;
        int rc;

        if (pw_alloc(&mem, PW_KEEP_BYTES) != ARGON2_OK)
            return HALL_ERR;
        rc = hall_argon2id(password, strlen(password), salt, saltlen, (uint32_t)t, (uint32_t)m,
                           (uint32_t)p, out, outlen, mem, PW_KEEP_BYTES);
        pw_free(mem, PW_KEEP_BYTES);
        return rc;
    }

    memset(&c, 0, sizeof(c));
    c.out = out;
    c.outlen = (uint32_t)outlen;
    c.pwd = (uint8_t *)(uintptr_t)password;
    c.pwdlen = (uint32_t)strlen(password);
    c.salt = (uint8_t *)(uintptr_t)salt;
    c.saltlen = (uint32_t)saltlen;
    c.t_cost = (uint32_t)t;
    c.m_cost = (uint32_t)m;
    c.lanes = (uint32_t)p;
    c.threads = (uint32_t)p;
    c.version = ARGON2_VERSION_13;
    c.allocate_cbk = pw_alloc;
    c.free_cbk = pw_free;
    c.flags = ARGON2_DEFAULT_FLAGS;
    return argon2id_ctx(&c) == ARGON2_OK ? HALL_OK : HALL_ERR;
}

static const char pw_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* unpadded standard base64, as the reference's encoded form has it */
static char *
pw_b64_put(char *dst, const uint8_t *src, size_t n)
{
    unsigned long acc = 0;
    int bits = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        acc = acc << 8 | src[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            *dst++ = pw_b64[(acc >> bits) & 0x3f];
        }
    }
    if (bits > 0)
        *dst++ = pw_b64[(acc << (6 - bits)) & 0x3f];
    return dst;
}

/* unpadded base64 of src[0..len) into out[max]: its length, or -1 when a
 * character is not base64, the length is impossible, the unused low bits
 * are not zero (the reference decoder's rules) or it does not fit */
static long
pw_b64_get(const char *src, size_t len, uint8_t *out, size_t max)
{
    unsigned long acc = 0;
    int bits = 0;
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        const char *c = src[i] != '\0' ? strchr(pw_b64, src[i]) : NULL;

        if (c == NULL)
            return -1;
        acc = (acc << 6 | (unsigned long)(c - pw_b64)) & 0xffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == max)
                return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    if (bits > 4 || (acc & ((1UL << bits) - 1)) != 0)
        return -1;
    return (long)n;
}

char *
hall_password_hash(struct hall_pool *pool, const char *password)
{
    unsigned char salt[SALT_LEN], out[HASH_LEN];
    char enc[128], *e;

    hall_rand_bytes(salt, sizeof(salt));
    if (pw_argon2id(password, salt, sizeof(salt), PW_M_KIB, PW_T, PW_P, out, sizeof(out)) !=
        HALL_OK)
        abort();
    e = enc + strlen(strcpy(enc, PW_ARGON2ID_PREFIX));
    e = pw_b64_put(e, salt, sizeof(salt));
    *e++ = '$';
    e = pw_b64_put(e, out, sizeof(out));
    *e = '\0';
    OPENSSL_cleanse(out, sizeof(out));
    return hall_pstrdup(pool, enc);
}

/* an encoded Argon2id hash whose cost stays within what a worker can
 * afford (a damaged row must not make a login allocate gigabytes) */
static int
pw_argon2id_ok(const char *encoded)
{
    unsigned long m, t, p;
    int n = 0;

    if (sscanf(encoded, "$argon2id$v=19$m=%lu,t=%lu,p=%lu$%n", &m, &t, &p, &n) != 3 || n == 0)
        return 0;
    return m >= 8 && m <= 262144 && t >= 1 && t <= 16 && p >= 1 && p <= 8;
}

/* "$argon2id$v=19$m=M,t=T,p=P$<salt>$<hash>" checked by recomputing <hash> */
static int
pw_argon2id_verify(const char *encoded, const char *password)
{
    uint8_t salt[64], want[64], got[64];
    char canon[80];
    unsigned long m, t, p;
    const char *s, *h;
    long saltlen, hashlen;
    int n = 0, rc = HALL_ERR;

    if (!pw_argon2id_ok(encoded) ||
        sscanf(encoded, "$argon2id$v=19$m=%lu,t=%lu,p=%lu$%n", &m, &t, &p, &n) != 3)
        return HALL_ERR;
    /* the numbers as the reference writes them (no sign, space or leading 0) */
    if (snprintf(canon, sizeof(canon), "$argon2id$v=19$m=%lu,t=%lu,p=%lu$", m, t, p) != n ||
        strncmp(canon, encoded, (size_t)n) != 0)
        return HALL_ERR;
    s = encoded + n;
    h = strchr(s, '$');
    if (h == NULL)
        return HALL_ERR;
    saltlen = pw_b64_get(s, (size_t)(h - s), salt, sizeof(salt));
    hashlen = pw_b64_get(h + 1, strlen(h + 1), want, sizeof(want));
    if (saltlen < ARGON2_MIN_SALT_LENGTH || hashlen < ARGON2_MIN_OUTLEN)
        return HALL_ERR;
    if (pw_argon2id(password, salt, (size_t)saltlen, m, t, p, got, (size_t)hashlen) == HALL_OK &&
        hall_ct_equal(got, want, (size_t)hashlen))
        rc = HALL_OK;
    OPENSSL_cleanse(got, sizeof(got));
    return rc;
}

static int
pw_pbkdf2_verify(const char *encoded, const char *password)
{
    unsigned char salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
    char saltx[2 * SALT_LEN + 1], hashx[2 * HASH_LEN + 1];
    long iterations;

    if (sscanf(encoded, "pbkdf2-sha256$%ld$%32[0-9a-f]$%64[0-9a-f]", &iterations, saltx, hashx) !=
            3 ||
        iterations < 1000 || iterations > 10000000 ||
        hall_unhex(saltx, salt, SALT_LEN) != HALL_OK ||
        hall_unhex(hashx, want, HASH_LEN) != HALL_OK)
        return HALL_ERR;
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof(salt), (int)iterations,
                          EVP_sha256(), sizeof(got), got) != 1)
        return HALL_ERR;
    return hall_ct_equal(got, want, HASH_LEN) ? HALL_OK : HALL_ERR;
}

int
hall_password_verify(const char *encoded, const char *password)
{
    if (encoded == NULL || password == NULL)
        return HALL_ERR;
    if (strncmp(encoded, "$argon2id$", 10) == 0) {
        return pw_argon2id_verify(encoded, password);
    }
    /* hashes set before Argon2id: verified until their owner's next login
     * replaces them (hall_password_needs_rehash) */
    return pw_pbkdf2_verify(encoded, password);
}

int
hall_password_needs_rehash(const char *encoded)
{
    return encoded == NULL || strncmp(encoded, PW_ARGON2ID_PREFIX, strlen(PW_ARGON2ID_PREFIX)) != 0;
}
