/*
 * Unit tests for core/pki/token.c against a SoftHSM2 token made for the
 * test in a mkdtemp directory: a key signs through a session copy the
 * module makes of it (still sensitive, private and unextractable, and not
 * counted as a token object); a key the module refuses to copy
 * (CKA_COPYABLE false: CKR_ACTION_PROHIBITED, as an HSM's policy may) signs
 * through the token object; every signature (DER written from the token's
 * r || s) verifies with the public key; a key made allows signing only,
 * and one made with the module's defaults is restricted to it in place;
 * a wrong PIN is refused; a token directory that is missing is named with
 * the setting that names it, a key taken from its certificate meanwhile
 * signs once the directory is back, and the token is asked again a second
 * after it failed; a refused PIN is not asked again; a label no slot has is
 * named with the token directory.  Skipped when SoftHSM2 is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "hall.h"

static char tmpdir[256], module[256];

static void
write_file(const char *name, const char *text)
{
    char p[512];
    FILE *f;

    snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
    f = fopen(p, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        fail_msg("cannot write %s", p);
}

/* a P-256 key pair labelled label made straight through the module, its
 * private key not copyable (what hall_token_keygen does not make) */
static int
keygen_not_copyable(const char *label, const char *pin)
{
    static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG n = strlen(label), nslots = 8, i;
    CK_ATTRIBUTE pub[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_VERIFY, &yes, sizeof(yes)},
        {CKA_LABEL, (void *)label, n},
        {CKA_EC_PARAMS, (void *)p256, sizeof(p256)},
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_SIGN, &yes, sizeof(yes)},      {CKA_COPYABLE, &no, sizeof(no)},
        {CKA_LABEL, (void *)label, n},
    };
    CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
    CK_FUNCTION_LIST_PTR f;
    CK_SLOT_ID slots[8], slot = 0;
    CK_TOKEN_INFO ti;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE hpub, hpriv;
    void *dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    int rc = -1;

    if (dl == NULL)
        return -1;
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    if (get != NULL && get(&f) == CKR_OK && f->C_Initialize(NULL) == CKR_OK) {
        /* the initialised token (SoftHSM2 adds a free slot beside it) */
        if (f->C_GetSlotList(CK_TRUE, slots, &nslots) != CKR_OK)
            nslots = 0;
        for (i = 0; i < nslots; i++)
            if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED))
                slot = slots[i];
        if (slot != 0 &&
            f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) == CKR_OK &&
            f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) == CKR_OK &&
            f->C_GenerateKeyPair(s, &mech, pub, sizeof(pub) / sizeof(pub[0]), priv,
                                 sizeof(priv) / sizeof(priv[0]), &hpub, &hpriv) == CKR_OK)
            rc = 0;
        f->C_Finalize(NULL);
    }
    dlclose(dl);
    return rc;
}

static int
group_setup(void **state)
{
    static const char *const mods[] = {"/usr/lib/softhsm/libsofthsm2.so",
                                       "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                                       "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"};
    const char *t = getenv("TMPDIR");
    char conf[1024], cmd[1024], pin[512], err[512];
    size_t i;

    for (i = 0; i < sizeof(mods) / sizeof(mods[0]) && module[0] == '\0'; i++)
        if (access(mods[i], R_OK) == 0)
            snprintf(module, sizeof(module), "%s", mods[i]);
    if (module[0] == '\0')
        return 0; /* no SoftHSM2: each test skips */
    snprintf(tmpdir, sizeof(tmpdir), "%s/hall-test-token-XXXXXX", t != NULL ? t : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(conf, sizeof(conf),
             "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"
             "slots.removable = false\n",
             tmpdir);
    write_file("softhsm2.conf", conf);
    write_file("pin", "unit-pin-1234\n");
    write_file("wrong", "unit-pin-9999\n");
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", tmpdir);
    setenv("SOFTHSM2_CONF", conf, 1);
    snprintf(cmd, sizeof(cmd),
             "softhsm2-util --init-token --free --label unit --pin unit-pin-1234 "
             "--so-pin unit-so-5678 >/dev/null");
    if (system(cmd) != 0 || keygen_not_copyable("fixed", "unit-pin-1234") != 0)
        return -1;
    snprintf(pin, sizeof(pin), "%s/pin", tmpdir);
    return hall_token_configure(module, "unit", pin, conf, err, sizeof(err)) == HALL_OK ? 0 : -1;
}

static int
group_teardown(void **state)
{
    char cmd[512];

    hall_token_release();
    if (tmpdir[0] == '\0')
        return 0;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* a signature of msg by k (through the token) verifies with k's public key */
static void
assert_signs(EVP_PKEY *k)
{
    static const unsigned char msg[] = "tbsResponseData";
    unsigned char sig[128];
    size_t len = sizeof(sig);
    EVP_MD_CTX *m = EVP_MD_CTX_new();

    assert_non_null(m);
    assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestSign(m, sig, &len, msg, sizeof(msg)), 1);
    EVP_MD_CTX_reset(m);
    assert_int_equal(EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestVerify(m, sig, len, msg, sizeof(msg)), 1);
    /* and not a signature of something else */
    assert_int_equal(EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_not_equal(EVP_DigestVerify(m, sig, len, msg, sizeof(msg) - 1), 1);
    EVP_MD_CTX_free(m);
}

static void
test_signs_through_a_session_copy(void **state)
{
    char err[256];
    EVP_PKEY *k;
    int i;

    if (module[0] == '\0')
        skip();
    k = hall_token_keygen("copied", err, sizeof(err));
    if (k == NULL)
        fail_msg("keygen: %s", err);
    /* enough for an r or s with a leading zero byte (1 in 128 signatures)
     * and many with the high bit set: OpenSSL's verify takes only the DER
     * it would itself write */
    for (i = 0; i < 600; i++)
        assert_signs(k);
    assert_int_equal(hall_token_session_copy("copied"), 1);
    /* the session copy is not a token object: the private and public key only */
    assert_int_equal(hall_token_has("copied"), 2);
    EVP_PKEY_free(k);
}

/* the token's key label, or the test fails naming why */
static EVP_PKEY *
token_key(const char *label)
{
    char err[256];
    EVP_PKEY *k = hall_token_key(label, err, sizeof(err));

    if (k == NULL)
        fail_msg("key: %s", err);
    return k;
}
static void
test_signs_with_the_token_object_when_the_copy_is_refused(void **state)
{
    EVP_PKEY *k;

    if (module[0] == '\0')
        skip();
    k = token_key("fixed");
    assert_signs(k);
    assert_signs(k);
    assert_int_equal(hall_token_session_copy("fixed"), 0);
    assert_int_equal(hall_token_has("fixed"), 2);
    EVP_PKEY_free(k);
}

static void
test_a_new_process_copies_anew(void **state)
{
    EVP_PKEY *k;

    if (module[0] == '\0')
        skip();
    k = token_key("copied");
    /* what a worker does after the master released the token before fork */
    hall_token_release();
    assert_signs(k);
    assert_int_equal(hall_token_session_copy("copied"), 1);
    EVP_PKEY_free(k);
}

/* hall_token_ecdsa: the token's signature of a digest (the OCSP answers'
 * path), verified with the public key; a key in memory is not the token's;
 * and after a fork the child signs in a session of its own */
static void
test_signs_a_digest(void **state)
{
    static const unsigned char md[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    unsigned char sig[160];
    size_t len = sizeof(sig);
    EVP_PKEY *k, *soft = EVP_EC_gen("P-256");
    EVP_PKEY_CTX *v;
    int status = -1;
    pid_t child;

    if (module[0] == '\0')
        skip();
    k = token_key("copied");
    assert_int_equal(hall_token_ecdsa(k, md, sizeof(md), sig, &len), 1);
    v = EVP_PKEY_CTX_new(k, NULL);
    assert_int_equal(EVP_PKEY_verify_init(v), 1);
    assert_int_equal(EVP_PKEY_verify(v, sig, len, md, sizeof(md)), 1);
    len = 8;
    assert_int_equal(hall_token_ecdsa(k, md, sizeof(md), sig, &len), -1); /* no room */
    len = sizeof(sig);
    assert_int_equal(hall_token_ecdsa(soft, md, sizeof(md), sig, &len), 0);
    child = fork();
    if (child == 0) {
        len = sizeof(sig);
        _exit(hall_token_ecdsa(k, md, sizeof(md), sig, &len) == 1 &&
                      EVP_PKEY_verify(v, sig, len, md, sizeof(md)) == 1
                  ? 0
                  : 1);
    }
    assert_true(child > 0);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    len = sizeof(sig);
    assert_int_equal(hall_token_ecdsa(k, md, sizeof(md), sig, &len), 1);
    EVP_PKEY_CTX_free(v);
    EVP_PKEY_free(soft);
    EVP_PKEY_free(k);
}

/* a key the ceremony makes allows signing only: nothing to restrict */
static void
test_keygen_makes_a_sign_only_key(void **state)
{
    char err[256];
    EVP_PKEY *k;

    if (module[0] == '\0')
        skip();
    k = hall_token_keygen("signonly", err, sizeof(err));
    if (k == NULL)
        fail_msg("keygen: %s", err);
    assert_int_equal(hall_token_sign_only("signonly", err, sizeof(err)), 0);
    assert_signs(k);
    EVP_PKEY_free(k);
}

/* a key made with the module's defaults (SoftHSM2: decrypt, unwrap and
 * sign-recover allowed), as keys were before: restricted in place once,
 * and it still signs */
static void
test_a_key_with_the_defaults_is_restricted(void **state)
{
    char err[256];
    EVP_PKEY *k;

    if (module[0] == '\0')
        skip();
    hall_token_release();
    assert_int_equal(hall_token_sign_only("fixed", err, sizeof(err)), 1);
    assert_int_equal(hall_token_sign_only("fixed", err, sizeof(err)), 0);
    k = token_key("fixed");
    assert_signs(k);
    EVP_PKEY_free(k);
    assert_int_equal(hall_token_sign_only("none", err, sizeof(err)), 0);
}

static void
test_a_wrong_pin_is_refused(void **state)
{
    char pin[512], conf[512], err[256];

    if (module[0] == '\0')
        skip();
    hall_token_release();
    snprintf(pin, sizeof(pin), "%s/wrong", tmpdir);
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", tmpdir);
    assert_int_equal(hall_token_configure(module, "unit", pin, conf, err, sizeof(err)), HALL_OK);
    assert_int_equal(hall_token_check(err, sizeof(err)), HALL_ERR);
    assert_non_null(strstr(err, "the PIN is wrong"));
    assert_int_equal(hall_token_session_copy("copied"), -1);
    snprintf(pin, sizeof(pin), "%s/pin", tmpdir);
    assert_int_equal(hall_token_configure(module, "unit", pin, conf, err, sizeof(err)), HALL_OK);
    assert_int_equal(hall_token_check(err, sizeof(err)), HALL_OK);
}

/* a login the module answers with a general error (SoftHSM2 did so to one
 * of four workers logging in at once) is tried again and the signature
 * made; a module that keeps failing is given up after 8 tries, its error
 * named */
/* the PKCS#11 module that fails logins on demand (tests/unit/p11_flaky.so)
 * over the real one, opened: its path in flaky (4096), its two controls */
static void *
flaky_open(char *flaky, void (**fail_logins)(int), int (**logins)(void))
{
    void *dl;

    if (realpath("tests/unit/p11_flaky.so", flaky) == NULL)
        fail_msg("tests/unit/p11_flaky.so not built (make check builds it)");
    setenv("P11_FLAKY_REAL", module, 1);
    dl = dlopen(flaky, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(dl);
    *(void **)fail_logins = dlsym(dl, "p11_flaky_fail_logins");
    *(void **)logins = dlsym(dl, "p11_flaky_logins");
    assert_non_null(*fail_logins);
    assert_non_null(*logins);
    return dl;
}

static void
test_a_login_that_fails_is_tried_again(void **state)
{
    char flaky[4096], pin[512], conf[512], err[256];
    void (*fail_logins)(int);
    int (*logins)(void);
    EVP_PKEY *k;
    void *dl;

    if (module[0] == '\0')
        skip();
    dl = flaky_open(flaky, &fail_logins, &logins);
    snprintf(pin, sizeof(pin), "%s/pin", tmpdir);
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", tmpdir);
    assert_int_equal(hall_token_configure(flaky, "unit", pin, conf, err, sizeof(err)), HALL_OK);

    fail_logins(2);
    k = hall_token_key("copied", err, sizeof(err));
    if (k == NULL)
        fail_msg("key after two failed logins: %s", err);
    assert_int_equal(logins(), 3);
    assert_signs(k);
    EVP_PKEY_free(k);

    hall_token_release();
    fail_logins(1000);
    assert_int_equal(hall_token_check(err, sizeof(err)), HALL_ERR);
    assert_non_null(strstr(err, "general error"));
    assert_int_equal(logins(), 8);

    fail_logins(0);
    assert_int_equal(hall_token_configure(module, "unit", pin, conf, err, sizeof(err)), HALL_OK);
    assert_int_equal(hall_token_check(err, sizeof(err)), HALL_OK);
    dlclose(dl);
}

/* the token's own directory (SoftHSM2 keeps one per token in its token
 * directory) into out */
static void
token_subdir(char *out, size_t len)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    struct stat st;

    assert_non_null(d);
    out[0] = '\0';
    while ((e = readdir(d)) != NULL) {
        snprintf(out, len, "%s/%s", tmpdir, e->d_name);
        if (e->d_name[0] != '.' && strcmp(e->d_name, "moved") != 0 && stat(out, &st) == 0 &&
            S_ISDIR(st.st_mode))
            break;
        out[0] = '\0';
    }
    closedir(d);
    assert_true(out[0] != '\0');
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* the token directory of pkcs11_softhsm_conf missing (an operator moved
 * it): the error names it and the setting; a key made from the public key
 * (hall_token_key_cert, as hall_pki_load does then) cannot sign; with the
 * directory back it signs, within about a second (failures are answered
 * from memory for that long) */
static void
test_a_token_away_is_named_and_signs_once_back(void **state)
{
    static const unsigned char msg[] = "tbs";
    char pin[512], conf[512], moved[512], sub[1024], there[1100], err[512], want[1400];
    unsigned char sig[128];
    size_t len = sizeof(sig);
    EVP_PKEY *k, *kc;
    EVP_MD_CTX *m;
    X509 *x;
    long long t0;

    if (module[0] == '\0')
        skip();
    snprintf(pin, sizeof(pin), "%s/pin", tmpdir);
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", tmpdir);
    k = token_key("copied");
    x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_pubkey(x, k), 1);
    hall_token_release();

    snprintf(moved, sizeof(moved),
             "directories.tokendir = %s/moved\nobjectstore.backend = file\n"
             "log.level = ERROR\nslots.removable = false\n",
             tmpdir);
    write_file("moved.conf", moved);
    snprintf(conf, sizeof(conf), "%s/moved.conf", tmpdir);
    assert_int_equal(hall_token_configure(module, "unit", pin, conf, err, sizeof(err)), HALL_OK);
    assert_int_equal(hall_token_check(err, sizeof(err)), HALL_ERR);
    snprintf(want, sizeof(want),
             "C_Initialize: general error (0x5): the token directory %s/moved is missing "
             "(directories.tokendir of pkcs11_softhsm_conf %s)",
             tmpdir, conf);
    if (strstr(err, want) == NULL)
        fail_msg("%s\nshould say: %s", err, want);
    assert_int_equal(hall_token_refused(), 0);
    kc = hall_token_key_cert("copied", x, err, sizeof(err));
    assert_non_null(kc);
    m = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, kc), 1);
    assert_int_not_equal(EVP_DigestSign(m, sig, &len, msg, sizeof(msg)), 1);
    EVP_MD_CTX_free(m);

    /* the directory back: answered from memory first, then asked again */
    snprintf(moved, sizeof(moved), "%s/moved", tmpdir);
    assert_int_equal(mkdir(moved, 0700), 0);
    token_subdir(sub, sizeof(sub));
    snprintf(there, sizeof(there), "%s%s", moved, strrchr(sub, '/'));
    assert_int_equal(rename(sub, there), 0);
    t0 = now_ms();
    while (hall_token_check(err, sizeof(err)) != HALL_OK && now_ms() - t0 < 3000)
        usleep(50000);
    assert_int_equal(hall_token_check(err, sizeof(err)), HALL_OK);
    assert_true(now_ms() - t0 >= 500); /* not asked at once */
    assert_signs(kc);

    hall_token_release();
    assert_int_equal(rename(there, sub), 0);
    assert_int_equal(rmdir(moved), 0);
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", tmpdir);
    assert_int_equal(hall_token_configure(module, "unit", pin, conf, err, sizeof(err)), HALL_OK);
    assert_int_equal(hall_token_check(err, sizeof(err)), HALL_OK);
    EVP_PKEY_free(kc);
    EVP_PKEY_free(k);
    X509_free(x);
}

/* a PIN the token refuses is asked once, then answered from memory (an
 * HSM locks the PIN after a few wrong ones), and says pkcs11_pin_file; a
 * label no slot has says pkcs11_token and the token directory */
static void
test_a_refused_pin_is_not_asked_again_and_a_missing_slot_is_named(void **state)
{
    char flaky[4096], pin[512], conf[512], err[512], want[1200];
    void (*fail_logins)(int);
    int (*logins)(void);
    void *dl;

    if (module[0] == '\0')
        skip();
    dl = flaky_open(flaky, &fail_logins, &logins);
    fail_logins(0);
    hall_token_release();
    snprintf(pin, sizeof(pin), "%s/wrong", tmpdir);
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", tmpdir);
    assert_int_equal(hall_token_configure(flaky, "unit", pin, conf, err, sizeof(err)), HALL_OK);
    assert_int_equal(hall_token_check(err, sizeof(err)), HALL_ERR);
    assert_non_null(strstr(err, "login refused: the PIN is wrong (pkcs11_pin_file)"));
    assert_int_equal(hall_token_refused(), 1);
    assert_int_equal(logins(), 1);
    usleep(1100000); /* past the window of a token that is away */
    assert_int_equal(hall_token_check(err, sizeof(err)), HALL_ERR);
    assert_non_null(strstr(err, "the PIN is wrong"));
    assert_int_equal(logins(), 1);

    snprintf(pin, sizeof(pin), "%s/pin", tmpdir);
    assert_int_equal(hall_token_configure(module, "nosuch", pin, conf, err, sizeof(err)), HALL_OK);
    assert_int_equal(hall_token_check(err, sizeof(err)), HALL_ERR);
    snprintf(want, sizeof(want),
             "pkcs11_token: no token labelled \"nosuch\" in %s: the token directory %s holds no "
             "token of that label (pkcs11_token; directories.tokendir of pkcs11_softhsm_conf %s)",
             module, tmpdir, conf);
    if (strstr(err, want) == NULL)
        fail_msg("%s\nshould say: %s", err, want);
    assert_int_equal(hall_token_refused(), 0);

    assert_int_equal(hall_token_configure(module, "unit", pin, conf, err, sizeof(err)), HALL_OK);
    assert_int_equal(hall_token_check(err, sizeof(err)), HALL_OK);
    dlclose(dl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signs_through_a_session_copy),
        cmocka_unit_test(test_signs_with_the_token_object_when_the_copy_is_refused),
        cmocka_unit_test(test_a_new_process_copies_anew),
        cmocka_unit_test(test_signs_a_digest),
        cmocka_unit_test(test_keygen_makes_a_sign_only_key),
        cmocka_unit_test(test_a_key_with_the_defaults_is_restricted),
        cmocka_unit_test(test_a_wrong_pin_is_refused),
        cmocka_unit_test(test_a_login_that_fails_is_tried_again),
        cmocka_unit_test(test_a_token_away_is_named_and_signs_once_back),
        cmocka_unit_test(test_a_refused_pin_is_not_asked_again_and_a_missing_slot_is_named),
    };

    return cmocka_run_group_tests_name("token", tests, group_setup, group_teardown);
}
