/*
 * Unit tests for core/base/crypto.c.
 *
 * The key files are written to a mkdtemp directory.  The known answers
 * (AES-256-GCM blob, blind index, PBKDF2) were computed independently with
 * Python's hashlib/hmac and the cryptography package (Argon2id: the
 * reference implementation's and RFC 9106's published vectors), so a change of format
 * or derivation, which would make stored data unreadable or unfindable,
 * fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argon2.h>
#include <cmocka.h>

#include "hall.h"

static char tmpdir[256];

/* bytes 0x00..0x3f: AES key 00..1f, HMAC key 20..3f */
static const char key_hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                              "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";

static const char *
write_key(const char *name, const char *text)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void
init_ok(const char *text)
{
    char err[512] = "";

    if (hall_crypto_init(write_key("k", text), NULL, err, sizeof(err)) != HALL_OK)
        fail_msg("init: %s", err);
}

static int
group_setup(void **state)
{
    const char *t = getenv("TMPDIR");
    char err[512];

    snprintf(tmpdir, sizeof(tmpdir), "%s/hall-test-crypto-XXXXXX", t != NULL ? t : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    return hall_crypto_init(write_key("k", key_hex), NULL, err, sizeof(err)) == HALL_OK ? 0 : -1;
}

static int
group_teardown(void **state)
{
    char p[512];
    static const char *const names[] = {"k", "bad"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", tmpdir, names[i]);
        unlink(p);
    }
    return rmdir(tmpdir);
}

static void
unhex(const char *s, unsigned char *out, size_t n)
{
    size_t i;

    assert_int_equal(strlen(s), 2 * n);
    for (i = 0; i < n; i++) {
        unsigned v;

        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
}

/* ---- key file ------------------------------------------------------------------ */

static void
crypto_init__bad_key_files__error_names_file(void **state)
{
    static const char *const bad[] = {
        "",
        "00",
        /* 127 and 129 characters */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f0",
        /* 128 characters, one not hex */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3g",
        /* 64 raw bytes are not 128 hex characters */
        "0123456789012345678901234567890123456789012345678901234567890123",
    };
    char err[512];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *path = write_key("bad", bad[i]);

        err[0] = '\0';
        if (hall_crypto_init(path, NULL, err, sizeof(err)) != HALL_ERR)
            fail_msg("key %zu accepted", i);
        assert_non_null(strstr(err, path));
    }
    err[0] = '\0';
    assert_int_equal(hall_crypto_init("/nonexistent/hall/pii.key", NULL, err, sizeof(err)),
                     HALL_ERR);
    assert_non_null(strstr(err, "/nonexistent/hall/pii.key"));
}

static void
crypto_init__failed_init__no_partial_key_installed(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char other[sizeof(key_hex)];
    unsigned char *enc;
    size_t n;
    char err[256];

    enc = hall_pii_encrypt(pool, "x", 1, &n);
    /* a different key whose last character is not hex: found only after the rest is parsed */
    memcpy(other, key_hex, sizeof(key_hex));
    other[0] = 'f';
    other[127] = 'g';
    assert_int_equal(hall_crypto_init(write_key("bad", other), NULL, err, sizeof(err)), HALL_ERR);
    assert_string_equal(hall_pii_decrypt(pool, enc, n), "x");
    hall_pool_destroy(pool);
}

/* the key wrapped as script/lib/common.sh's pii_key keeps it (keyenc.sh's
 * line under pki_pass_file): opened with the passphrase, refused with
 * another, without one, or in clear where a passphrase is configured */
static void
crypto_init__wrapped_key__opens_with_the_passphrase_only(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char cmd[2048], pass[512], other[512], wrapped[512], err[512];
    unsigned char *enc;
    size_t n;

    snprintf(pass, sizeof(pass), "%s/pki.pass", tmpdir);
    snprintf(other, sizeof(other), "%s/other.pass", tmpdir);
    snprintf(wrapped, sizeof(wrapped), "%s/wrapped", tmpdir);
    write_key("pki.pass", "unit-key-encryption-passphrase-0123456789\n");
    write_key("other.pass", "another-passphrase-altogether-9876543210\n");
    snprintf(cmd, sizeof(cmd),
             "printf %%s %s | openssl enc -aes-256-cbc -pbkdf2 -md sha256 -iter 100000 -salt -a -A"
             " -pass file:%s | sed 's/^/aes-256-cbc:pbkdf2-sha256:100000:/' > %s",
             key_hex, pass, wrapped);
    assert_int_equal(system(cmd), 0);
    enc = hall_pii_encrypt(pool, "13800138000", 11, &n);

    err[0] = '\0';
    assert_int_equal(hall_crypto_init(wrapped, other, err, sizeof(err)), HALL_ERR);
    assert_non_null(strstr(err, "does not open with pki_pass_file"));
    assert_int_equal(hall_crypto_init(wrapped, NULL, err, sizeof(err)), HALL_ERR);
    assert_non_null(strstr(err, "is wrapped"));
    assert_int_equal(hall_crypto_init(write_key("k", key_hex), pass, err, sizeof(err)), HALL_ERR);
    assert_non_null(strstr(err, "in clear"));
    /* the key that the data was written with, unwrapped */
    assert_int_equal(hall_crypto_init(wrapped, pass, err, sizeof(err)), HALL_OK);
    assert_string_equal(hall_pii_decrypt(pool, enc, n), "13800138000");
    unlink(pass);
    unlink(other);
    unlink(wrapped);
    hall_pool_destroy(pool);
}

static void
crypto_init__trailing_newline_and_uppercase__accepted(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    unsigned char a[32], b[32];
    char upper[sizeof(key_hex) + 4];
    size_t i;

    hall_pii_index("phone", "13800138000", a);
    for (i = 0; key_hex[i] != '\0'; i++)
        upper[i] = (char)(key_hex[i] >= 'a' ? key_hex[i] - 32 : key_hex[i]);
    strcpy(upper + i, "\r\n ");
    init_ok(upper);
    /* the same key, so the same index */
    hall_pii_index("phone", "13800138000", b);
    assert_memory_equal(a, b, 32);
    init_ok(key_hex);
    hall_pool_destroy(pool);
}

/* ---- PII encryption -------------------------------------------------------- */

static void
pii_encrypt__round_trip__plaintext_back(void **state)
{
    static const char *const plain[] = {"", "1", "张三", "110101199003074514",
                                        "北京市海淀区中关村大街1号 \"\\\n"};
    struct hall_pool *pool = hall_pool_create(4096);
    char *big;
    size_t i, n;

    for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        size_t len = strlen(plain[i]);
        unsigned char *enc = hall_pii_encrypt(pool, plain[i], len, &n);
        char *dec;

        /* version | nonce | ciphertext | tag */
        assert_int_equal(n, 1 + 12 + len + 16);
        assert_int_equal(enc[0], 1);
        /* longer plaintexts do not show through (a byte or two may, by chance) */
        if (len >= 4)
            assert_true(memmem(enc, n, plain[i], len) == NULL);
        dec = hall_pii_decrypt(pool, enc, n);
        assert_non_null(dec);
        assert_string_equal(dec, plain[i]);
    }
    big = malloc(100000);
    memset(big, 'a', 100000);
    {
        unsigned char *enc = hall_pii_encrypt(pool, big, 100000, &n);
        char *dec = hall_pii_decrypt(pool, enc, n);

        assert_non_null(dec);
        assert_memory_equal(dec, big, 100000);
        assert_int_equal(dec[100000], '\0');
    }
    free(big);
    hall_pool_destroy(pool);
}

static void
pii_encrypt__same_plaintext__different_ciphertext(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    unsigned char *a, *b;
    size_t na, nb;

    a = hall_pii_encrypt(pool, "13800138000", 11, &na);
    b = hall_pii_encrypt(pool, "13800138000", 11, &nb);
    assert_int_equal(na, nb);
    /* a fresh nonce each time, so neither the nonce nor the ciphertext repeats */
    assert_memory_not_equal(a + 1, b + 1, 12);
    assert_memory_not_equal(a + 13, b + 13, na - 13);
    assert_string_equal(hall_pii_decrypt(pool, a, na), "13800138000");
    assert_string_equal(hall_pii_decrypt(pool, b, nb), "13800138000");
    hall_pool_destroy(pool);
}

static void
pii_decrypt__any_byte_tampered__null(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    unsigned char *enc, *copy;
    size_t n, i;
    int bit;

    enc = hall_pii_encrypt(pool, "110101199003074514", 18, &n);
    copy = malloc(n);
    for (i = 0; i < n; i++)
        for (bit = 0; bit < 8; bit += 7) {
            memcpy(copy, enc, n);
            copy[i] ^= (unsigned char)(1 << bit);
            if (hall_pii_decrypt(pool, copy, n) != NULL)
                fail_msg("byte %zu bit %d flipped: decrypted", i, bit);
        }
    free(copy);
    hall_pool_destroy(pool);
}

static void
pii_decrypt__truncated_extended_or_null__null(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    unsigned char *enc, *longer;
    size_t n, cut;

    enc = hall_pii_encrypt(pool, "secret", 6, &n);
    for (cut = 0; cut < n; cut++)
        assert_null(hall_pii_decrypt(pool, enc, cut));
    longer = hall_palloc(pool, n + 1);
    memcpy(longer, enc, n);
    longer[n] = 0;
    assert_null(hall_pii_decrypt(pool, longer, n + 1));
    assert_null(hall_pii_decrypt(pool, NULL, 0));
    assert_null(hall_pii_decrypt(pool, NULL, 40));
    hall_pool_destroy(pool);
}

static void
pii_decrypt__other_key__null(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char other[sizeof(key_hex)];
    unsigned char *enc;
    size_t n;

    enc = hall_pii_encrypt(pool, "张三", strlen("张三"), &n);
    memcpy(other, key_hex, sizeof(key_hex));
    other[0] = 'f'; /* first byte of the AES key */
    init_ok(other);
    assert_null(hall_pii_decrypt(pool, enc, n));
    init_ok(key_hex);
    assert_string_equal(hall_pii_decrypt(pool, enc, n), "张三");
    hall_pool_destroy(pool);
}

static void
pii_decrypt__known_blob__decrypted(void **state)
{
    /* AES-256-GCM, key 00..1f, nonce a0..ab, no AAD, made with Python's cryptography */
    static const char blob_hex[] =
        "01a0a1a2a3a4a5a6a7a8a9aaab03a4dcc9fd42228e5355b6e3364bf9e7409c6a"
        "20a583775da8c7e75ae8310d54704f84343fb31c1ed8";
    struct hall_pool *pool = hall_pool_create(4096);
    unsigned char blob[54];

    unhex(blob_hex, blob, sizeof(blob));
    assert_string_equal(hall_pii_decrypt(pool, blob, sizeof(blob)), "张三 110101199003074514");
    hall_pool_destroy(pool);
}

/* ---- blind index and MACs ---------------------------------------------------------- */

static void
pii_index__deterministic_and_known(void **state)
{
    unsigned char a[32], b[32], want[32];

    /* HMAC(HMAC(hmac_key, "index:phone"), value), computed with Python */
    unhex("022c0597954e21eca1ddb014f963f38ec1c1904876509adbf866ee07bb8a4eee", want, 32);
    hall_pii_index("phone", "13800138000", a);
    hall_pii_index("phone", "13800138000", b);
    assert_memory_equal(a, b, 32);
    assert_memory_equal(a, want, 32);
}

static void
pii_index__kind_value_and_key__separate(void **state)
{
    unsigned char a[32], b[32];
    char other[sizeof(key_hex)];

    hall_pii_index("phone", "13800138000", a);
    hall_pii_index("ric", "13800138000", b);
    assert_memory_not_equal(a, b, 32);
    hall_pii_index("phone", "13800138001", b);
    assert_memory_not_equal(a, b, 32);
    /* the boundary between kind and value is not ambiguous */
    hall_pii_index("a", "b:c", a);
    hall_pii_index("a:b", "c", b);
    assert_memory_not_equal(a, b, 32);
    /* an index is not the MAC of another purpose over the same bytes */
    hall_pii_index("csrf", "tok", a);
    hall_mac("csrf", "tok", 3, b);
    assert_memory_not_equal(a, b, 32);
    /* it depends on the HMAC key, not on the AES key */
    hall_pii_index("phone", "13800138000", a);
    memcpy(other, key_hex, sizeof(key_hex));
    other[0] = 'f';
    init_ok(other);
    hall_pii_index("phone", "13800138000", b);
    assert_memory_equal(a, b, 32);
    other[64] = 'f';
    init_ok(other);
    hall_pii_index("phone", "13800138000", b);
    assert_memory_not_equal(a, b, 32);
    init_ok(key_hex);
}

static void
sha256_hmac__rfc_vectors(void **state)
{
    unsigned char out[32], want[32];

    hall_sha256("abc", 3, out);
    unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
    assert_memory_equal(out, want, 32);
    /* RFC 4231 test case 2 */
    hall_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, out);
    unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
    assert_memory_equal(out, want, 32);
}

static void
hex_b64url__rfc4648_vectors(void **state)
{
    static const struct {
        const char *in, *out;
    } v[] = {
        {"", ""},
        {"f", "Zg"},
        {"fo", "Zm8"},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"},
        {"fooba", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy"},
        /* the URL-safe alphabet, no padding */
        {"\xfb\xff\xbf", "-_-_"},
        {"\xfb\xff", "-_8"},
    };
    struct hall_pool *pool = hall_pool_create(4096);
    size_t i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_string_equal(hall_b64url(pool, (const unsigned char *)v[i].in, strlen(v[i].in)),
                            v[i].out);
    assert_string_equal(hall_hex(pool, (const unsigned char *)"\x00\x7f\x80\xff", 4), "007f80ff");
    assert_string_equal(hall_hex(pool, (const unsigned char *)"", 0), "");
    hall_pool_destroy(pool);
}

static void
ct_equal__equal_and_different(void **state)
{
    unsigned char a[64], b[64];
    size_t i;

    for (i = 0; i < sizeof(a); i++)
        a[i] = b[i] = (unsigned char)i;
    assert_true(hall_ct_equal(a, b, sizeof(a)));
    assert_true(hall_ct_equal(a, b, 0));
    for (i = 0; i < sizeof(a); i++) {
        b[i] ^= 0x80;
        if (hall_ct_equal(a, b, sizeof(a)))
            fail_msg("difference at %zu not seen", i);
        b[i] ^= 0x80;
    }
    b[63] = 0;
    /* only the first n bytes count */
    assert_true(hall_ct_equal(a, b, 63));
}

/* ---- passwords ------------------------------------------------------------- */

static void
password_hash__verify__right_accepted_wrong_rejected(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char *h = hall_password_hash(pool, "Passw0rd2024");
    char salt[64], hash[64];

    /* Argon2id with OWASP's parameters; 16 bytes of salt and 32 of hash in
     * unpadded base64: 22 and 43 characters */
    assert_int_equal(
        sscanf(h, "$argon2id$v=19$m=19456,t=2,p=1$%63[A-Za-z0-9+/]$%63[A-Za-z0-9+/]", salt, hash),
        2);
    assert_int_equal(strlen(salt), 22);
    assert_int_equal(strlen(hash), 43);
    assert_int_equal(strlen(h), strlen("$argon2id$v=19$m=19456,t=2,p=1$") + 22 + 1 + 43);
    assert_int_equal(hall_password_needs_rehash(h), 0);

    assert_int_equal(hall_password_verify(h, "Passw0rd2024"), HALL_OK);
    assert_int_equal(hall_password_verify(h, "passw0rd2024"), HALL_ERR);
    assert_int_equal(hall_password_verify(h, "Passw0rd202"), HALL_ERR);
    assert_int_equal(hall_password_verify(h, "Passw0rd20244"), HALL_ERR);
    assert_int_equal(hall_password_verify(h, ""), HALL_ERR);
    hall_pool_destroy(pool);
}

static void
password_hash__same_password__salted_differently(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char *a = hall_password_hash(pool, "Passw0rd2024");
    char *b = hall_password_hash(pool, "Passw0rd2024");

    assert_string_not_equal(a, b);
    assert_int_equal(hall_password_verify(a, "Passw0rd2024"), HALL_OK);
    assert_int_equal(hall_password_verify(b, "Passw0rd2024"), HALL_OK);
    hall_pool_destroy(pool);
}

static void
password_verify__known_argon2id_vector__accepted(void **state)
{
    /* the Argon2 reference implementation's own test vector (src/test.c):
     * Argon2id v=19, m=65536, t=2, p=1, password "password", salt "somesalt" */
    static const char enc[] = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
                              "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";

    assert_int_equal(hall_password_verify(enc, "password"), HALL_OK);
    assert_int_equal(hall_password_verify(enc, "password "), HALL_ERR);
    assert_int_equal(hall_password_verify(enc, "Password"), HALL_ERR);
    /* other parameters than today's: replaced at the next login */
    assert_int_equal(hall_password_needs_rehash(enc), 1);
}

static void
password_hash__reference_encoding__both_ways(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char ref[128];
    int i;

    /* the hall hashes with memory it keeps between hashes and encodes the
     * result itself: libargon2's own verifier accepts what it writes, and
     * it accepts what libargon2 writes; hash after hash, with a larger
     * hash (memory of its own) in between */
    for (i = 0; i < 3; i++) {
        char *h = hall_password_hash(pool, "Passw0rd2024");

        assert_int_equal(argon2id_verify(h, "Passw0rd2024", 12), ARGON2_OK);
        assert_int_not_equal(argon2id_verify(h, "Passw0rd2025", 12), ARGON2_OK);
        assert_int_equal(hall_password_verify("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
                                              "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
                                              "password"),
                         HALL_OK);
    }
    assert_int_equal(argon2id_hash_encoded(2, 19456, 1, "Passw0rd2024", 12, "0123456789abcdef", 16,
                                           32, ref, sizeof(ref)),
                     ARGON2_OK);
    assert_int_equal(hall_password_verify(ref, "Passw0rd2024"), HALL_OK);
    assert_int_equal(hall_password_verify(ref, "Passw0rd2025"), HALL_ERR);
    /* a 20-byte hash and an 8-byte salt, as the reference allows */
    assert_int_equal(argon2id_hash_encoded(1, 64, 1, "pw", 2, "12345678", 8, 20, ref, sizeof(ref)),
                     ARGON2_OK);
    assert_int_equal(hall_password_verify(ref, "pw"), HALL_OK);
    assert_int_equal(hall_password_verify(ref, "pX"), HALL_ERR);
    hall_pool_destroy(pool);
}

static void
argon2id__rfc9106_vector__library_matches(void **state)
{
    /* RFC 9106, 5.3: Argon2id v=19, m=32 KiB, t=3, p=4, with secret and
     * associated data: the library the hall links is the real Argon2id */
    static const unsigned char want[32] = {0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c,
                                           0x08, 0xc0, 0x37, 0xa3, 0x4a, 0x8b, 0x53, 0xc9,
                                           0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75, 0xb6, 0x5e,
                                           0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01, 0xe6, 0x59};
    unsigned char pwd[32], salt[16], secret[8], ad[12], out[32];
    argon2_context ctx;

    memset(pwd, 0x01, sizeof(pwd));
    memset(salt, 0x02, sizeof(salt));
    memset(secret, 0x03, sizeof(secret));
    memset(ad, 0x04, sizeof(ad));
    memset(&ctx, 0, sizeof(ctx));
    ctx.out = out;
    ctx.outlen = sizeof(out);
    ctx.pwd = pwd;
    ctx.pwdlen = sizeof(pwd);
    ctx.salt = salt;
    ctx.saltlen = sizeof(salt);
    ctx.secret = secret;
    ctx.secretlen = sizeof(secret);
    ctx.ad = ad;
    ctx.adlen = sizeof(ad);
    ctx.t_cost = 3;
    ctx.m_cost = 32;
    ctx.lanes = 4;
    ctx.threads = 1;
    ctx.version = ARGON2_VERSION_13;
    assert_int_equal(argon2_ctx(&ctx, Argon2_id), ARGON2_OK);
    assert_memory_equal(out, want, sizeof(want));
}

static void
argon2id__avx2__equals_libargon2_over_random_inputs(void **state)
{
    unsigned char pwd[96], salt[48], mine[80], ref[80];
    int i;

    if (!hall_argon2id_cpu_ok())
        skip();
    /* the hall's hashes come from argon2.c where the CPU has AVX2 */
    assert_string_equal(hall_password_engine(), "Argon2id, argon2.c (AVX2)");
    /* lanes 1-4 (references across lanes), memory from the minimum of 8
     * blocks a lane up, 1-4 passes, every length a hash may have; a few
     * with thousands of blocks, so that addresses come from several
     * address blocks and reach far back */
    srand(9106);
    for (i = 0; i < 200; i++) {
        uint32_t p = 1 + (uint32_t)(rand() % 4), t = 1 + (uint32_t)(rand() % 4),
                 m = i % 40 == 0 ? 2048 + (uint32_t)(rand() % 3000)
                                 : 8 * p + (uint32_t)(rand() % 500);
        size_t pwdlen = (size_t)(rand() % (int)sizeof(pwd)),
               saltlen = 8 + (size_t)(rand() % (int)(sizeof(salt) - 8)),
               outlen = 4 + (size_t)(rand() % (int)(sizeof(mine) - 4)), j,
               n = hall_argon2id_bytes(m, p);
        void *mem = aligned_alloc(64, (n + 63) / 64 * 64);

        for (j = 0; j < pwdlen; j++)
            pwd[j] = (unsigned char)rand();
        for (j = 0; j < saltlen; j++)
            salt[j] = (unsigned char)rand();
        assert_non_null(mem);
        assert_int_equal(hall_argon2id(pwd, pwdlen, salt, saltlen, t, m, p, mine, outlen, mem, n),
                         HALL_OK);
        assert_int_equal(argon2id_hash_raw(t, m, p, pwd, pwdlen, salt, saltlen, ref, outlen),
                         ARGON2_OK);
        assert_memory_equal(mine, ref, outlen);
        free(mem);
    }
}

static void
argon2id__avx2_bad_parameters__refused(void **state)
{
    unsigned char out[32];
    size_t n = hall_argon2id_bytes(64, 1);
    void *mem = aligned_alloc(64, n);

    if (!hall_argon2id_cpu_ok())
        skip();
    assert_non_null(mem);
    /* a salt under 8 bytes, a tag under 4, no pass, no lane, too little memory */
    assert_int_equal(hall_argon2id("pw", 2, "1234567", 7, 2, 64, 1, out, 32, mem, n), HALL_ERR);
    assert_int_equal(hall_argon2id("pw", 2, "12345678", 8, 2, 64, 1, out, 3, mem, n), HALL_ERR);
    assert_int_equal(hall_argon2id("pw", 2, "12345678", 8, 0, 64, 1, out, 32, mem, n), HALL_ERR);
    assert_int_equal(hall_argon2id("pw", 2, "12345678", 8, 2, 64, 0, out, 32, mem, n), HALL_ERR);
    assert_int_equal(hall_argon2id("pw", 2, "12345678", 8, 2, 64, 1, out, 32, mem, n - 1),
                     HALL_ERR);
    assert_int_equal(hall_argon2id("pw", 2, "12345678", 8, 2, 64, 1, out, 32, mem, n), HALL_OK);
    free(mem);
}

static void
password_verify__argon2id_malformed_or_too_costly__rejected(void **state)
{
    static const char *const bad[] = {
        "$argon2id$",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$",
        /* one hash character changed */
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPd",
        /* another variant under the id prefix's parameters */
        "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        /* memory beyond what a worker spends on one login (256 MiB) */
        "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=1000,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        /* numbers not as the reference writes them */
        "$argon2id$v=19$m=065536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=+65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        /* padded, or base64 with unused bits set, or a character outside it */
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ=$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHR$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPP-",
        /* a salt shorter than 8 bytes */
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (hall_password_verify(bad[i], "password") != HALL_ERR)
            fail_msg("accepted %s", bad[i]);
    assert_int_equal(hall_password_verify(bad[2], NULL), HALL_ERR);
}

static void
password_verify__known_pbkdf2_vector__accepted(void **state)
{
    /* Python: hashlib.pbkdf2_hmac("sha256", b"correct horse", bytes(range(16)), 1000) */
    static const char enc[] = "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
                              "c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864";

    /* hashes made before Argon2id still verify, and are due for replacement */
    assert_int_equal(hall_password_verify(enc, "correct horse"), HALL_OK);
    assert_int_equal(hall_password_verify(enc, "correct horse "), HALL_ERR);
    assert_int_equal(hall_password_needs_rehash(enc), 1);
}

static void
password_verify__malformed_or_tampered__rejected(void **state)
{
    static const char *const bad[] = {
        "",
        "pbkdf2-sha256",
        "bcrypt$1000$000102030405060708090a0b0c0d0e0f$"
        "c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        /* iterations outside 1000..10000000 */
        "pbkdf2-sha256$999$000102030405060708090a0b0c0d0e0f$"
        "c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        "pbkdf2-sha256$-1000$000102030405060708090a0b0c0d0e0f$"
        "c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        "pbkdf2-sha256$10000001$000102030405060708090a0b0c0d0e0f$"
        "c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        /* other iteration count than the hash was made with */
        "pbkdf2-sha256$1001$000102030405060708090a0b0c0d0e0f$"
        "c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        /* short salt, short hash */
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e$"
        "c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
        "c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae98",
        /* one hash byte changed */
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
        "c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9865",
        /* one salt byte changed */
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0e$"
        "c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (hall_password_verify(bad[i], "correct horse") != HALL_ERR)
            fail_msg("accepted %s", bad[i]);
    assert_int_equal(hall_password_verify(NULL, "correct horse"), HALL_ERR);
}

/* ---- randomness ------------------------------------------------------------ */

static void
rand_below__results_in_range(void **state)
{
    static const uint32_t bounds[] = {1, 2, 3, 10, 1000000, 0x80000001u, UINT32_MAX};
    size_t i;
    int k;

    for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
        for (k = 0; k < 2000; k++) {
            uint32_t r = hall_rand_below(bounds[i]);

            if (r >= bounds[i])
                fail_msg("hall_rand_below(%u) gave %u", bounds[i], r);
        }
}

static void
rand_below__six__every_value_about_equally(void **state)
{
    unsigned count[6] = {0};
    int k;

    for (k = 0; k < 60000; k++)
        count[hall_rand_below(6)]++;
    /* expected 10000 each, standard deviation about 91: far outside means bias */
    for (k = 0; k < 6; k++)
        if (count[k] < 9400 || count[k] > 10600)
            fail_msg("value %d drawn %u times of 60000", k, count[k]);
}

static void
rand_bytes__successive_draws_differ(void **state)
{
    unsigned char a[32], b[32], zero[32] = {0};

    hall_rand_bytes(a, sizeof(a));
    hall_rand_bytes(b, sizeof(b));
    assert_memory_not_equal(a, b, 32);
    assert_memory_not_equal(a, zero, 32);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crypto_init__bad_key_files__error_names_file),
        cmocka_unit_test(crypto_init__failed_init__no_partial_key_installed),
        cmocka_unit_test(crypto_init__trailing_newline_and_uppercase__accepted),
        cmocka_unit_test(crypto_init__wrapped_key__opens_with_the_passphrase_only),
        cmocka_unit_test(pii_encrypt__round_trip__plaintext_back),
        cmocka_unit_test(pii_encrypt__same_plaintext__different_ciphertext),
        cmocka_unit_test(pii_decrypt__any_byte_tampered__null),
        cmocka_unit_test(pii_decrypt__truncated_extended_or_null__null),
        cmocka_unit_test(pii_decrypt__other_key__null),
        cmocka_unit_test(pii_decrypt__known_blob__decrypted),
        cmocka_unit_test(pii_index__deterministic_and_known),
        cmocka_unit_test(pii_index__kind_value_and_key__separate),
        cmocka_unit_test(sha256_hmac__rfc_vectors),
        cmocka_unit_test(hex_b64url__rfc4648_vectors),
        cmocka_unit_test(ct_equal__equal_and_different),
        cmocka_unit_test(password_hash__verify__right_accepted_wrong_rejected),
        cmocka_unit_test(password_hash__same_password__salted_differently),
        cmocka_unit_test(password_verify__known_pbkdf2_vector__accepted),
        cmocka_unit_test(password_verify__known_argon2id_vector__accepted),
        cmocka_unit_test(password_hash__reference_encoding__both_ways),
        cmocka_unit_test(argon2id__rfc9106_vector__library_matches),
        cmocka_unit_test(argon2id__avx2__equals_libargon2_over_random_inputs),
        cmocka_unit_test(argon2id__avx2_bad_parameters__refused),
        cmocka_unit_test(password_verify__argon2id_malformed_or_too_costly__rejected),
        cmocka_unit_test(password_verify__malformed_or_tampered__rejected),
        cmocka_unit_test(rand_below__results_in_range),
        cmocka_unit_test(rand_below__six__every_value_about_equally),
        cmocka_unit_test(rand_bytes__successive_draws_differ),
    };

    return cmocka_run_group_tests_name("crypto", tests, group_setup, group_teardown);
}
