/*
 * Unit tests for core/pki/tsa_reply.c, the timestamp authority, with a key in a
 * file (no token: hall_pki_key reads pki_dir/tsa.key) under a root made
 * here: before it is loaded every answer is systemFailure; then a request
 * OpenSSL made is granted and its reply verifies against the root
 * (TS_RESP_verify_response: imprint, nonce, signer's purpose, ESS
 * signing-certificate), two replies have two serials of 17 bytes; and each
 * refusal is a TimeStampResp OpenSSL reads back with status rejection and
 * the one failure bit RFC 3161 2.4.2 names for it: badDataFormat (empty,
 * garbage, every truncation, a byte after, BER, too long, an imprint of
 * the wrong length), badRequest (version 2), badAlg (SHA-1, an unknown
 * OID), unacceptedPolicy, unacceptedExtension.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hall.h"

static char dir[64];
static X509 *root_cert;
static struct hall_pool *pool;

static void
ext(X509 *x, X509 *issuer, const char *name, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *e;

    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    e = X509V3_EXT_nconf(NULL, &v3, name, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

static X509 *
cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, int tsa)
{
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();

    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), tsa ? 2 : 1);
    X509_set_subject_name(x, nm);
    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : nm);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    if (tsa) {
        ext(x, issuer, "basicConstraints", "critical,CA:FALSE");
        ext(x, issuer, "extendedKeyUsage", "critical,timeStamping");
    } else {
        ext(x, x, "basicConstraints", "critical,CA:TRUE");
        ext(x, x, "keyUsage", "critical,keyCertSign");
    }
    assert_true(X509_sign(x, ikey, EVP_sha256()) > 0);
    X509_NAME_free(nm);
    return x;
}

static void
pem_write(const char *name, X509 *x, EVP_PKEY *k)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    if (x != NULL)
        PEM_write_X509(f, x);
    else
        PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
}

static int
setup(void **state)
{
    EVP_PKEY *rk = EVP_EC_gen("P-256"), *tk = EVP_EC_gen("P-256");
    X509 *tc;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/hall-test-tsa.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    root_cert = cert("Test Root", rk, NULL, rk, 0);
    tc = cert("Test TSA", tk, root_cert, rk, 1);
    pem_write("root.crt", root_cert, NULL);
    pem_write("tsa.crt", tc, NULL);
    pem_write("tsa.key", NULL, tk);
    X509_free(tc);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(tk);
    pool = hall_pool_create(4096);
    return 0;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return -1;
    X509_free(root_cert);
    hall_pool_destroy(pool);
    return 0;
}

/* a DER request: version, the imprint (md, its length n), a policy, nonce, certReq */
static unsigned char *
request(long version, const EVP_MD *md, int n, const char *policy, int nonce, int *len)
{
    TS_REQ *q = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    unsigned char h[64], *der = NULL;
    ASN1_INTEGER *no = ASN1_INTEGER_new();

    RAND_bytes(h, sizeof(h));
    X509_ALGOR_set0(alg,
                    md != NULL ? OBJ_nid2obj(EVP_MD_get_type(md)) : OBJ_txt2obj("1.2.3.4.5", 1),
                    V_ASN1_NULL, NULL);
    TS_MSG_IMPRINT_set_algo(mi, alg);
    TS_MSG_IMPRINT_set_msg(mi, h, n);
    TS_REQ_set_version(q, version);
    TS_REQ_set_msg_imprint(q, mi);
    if (policy != NULL) {
        ASN1_OBJECT *p = OBJ_txt2obj(policy, 1);

        TS_REQ_set_policy_id(q, p);
        ASN1_OBJECT_free(p);
    }
    if (nonce) {
        ASN1_INTEGER_set(no, 0x1234567);
        TS_REQ_set_nonce(q, no);
    }
    TS_REQ_set_cert_req(q, 1);
    *len = i2d_TS_REQ(q, &der);
    ASN1_INTEGER_free(no);
    X509_ALGOR_free(alg);
    TS_MSG_IMPRINT_free(mi);
    TS_REQ_free(q);
    return der;
}

/* the answer read back by OpenSSL: its status, and the failure bit when one */
static TS_RESP *
answer(const unsigned char *in, size_t n, long *status, int *bit)
{
    struct hall_tsa_meta meta;
    size_t outlen = 0;
    unsigned char *out = hall_tsa_answer(pool, in, n, &outlen, &meta);
    const unsigned char *p = out;
    TS_RESP *rs;
    const ASN1_BIT_STRING *fi;
    int i, set = 0;

    assert_non_null(out);
    rs = d2i_TS_RESP(NULL, &p, (long)outlen);
    assert_non_null(rs);
    assert_ptr_equal(p, out + outlen);
    *status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(rs)));
    *bit = -1;
    fi = TS_STATUS_INFO_get0_failure_info(TS_RESP_get_status_info(rs));
    for (i = 0; fi != NULL && i < 32; i++)
        if (ASN1_BIT_STRING_get_bit(fi, i)) {
            *bit = i;
            set++;
        }
    assert_true(set <= 1);
    return rs;
}

static void
expect(const unsigned char *in, size_t n, int bit)
{
    long st;
    int b;
    TS_RESP *rs = answer(in, n, &st, &b);

    assert_int_equal(st, TS_STATUS_REJECTION);
    assert_int_equal(b, bit);
    assert_null(TS_RESP_get_token(rs));
    TS_RESP_free(rs);
}

static struct hall_conf
conf_of(void)
{
    struct hall_conf c;

    memset(&c, 0, sizeof(c));
    c.pki_dir = dir;
    c.pki_pass_file = "";
    c.pkcs11_module = "";
    c.pkcs11_token = "hall";
    c.tsa_policy = "2.999.41.1";
    c.tsa_accuracy_ms = 1000;
    return c;
}

static void
test_not_loaded_system_failure(void **state)
{
    int n;
    unsigned char *q = request(1, EVP_sha256(), 32, NULL, 1, &n);

    (void)state;
    expect(q, (size_t)n, TS_INFO_SYSTEM_FAILURE);
    OPENSSL_free(q);
}

static void
test_granted_verifies(void **state)
{
    struct hall_conf c = conf_of();
    char err[256];
    int n, i;
    unsigned char *q;
    ASN1_INTEGER *serials[2];

    (void)state;
    assert_int_equal(hall_tsa_load(&c, 1, err, sizeof(err)), HALL_OK);
    assert_non_null(hall_tsa_pem());
    q = request(1, EVP_sha256(), 32, NULL, 1, &n);
    for (i = 0; i < 2; i++) {
        long st;
        int b;
        TS_RESP *rs = answer(q, (size_t)n, &st, &b);
        const unsigned char *p = q;
        TS_REQ *tq = d2i_TS_REQ(NULL, &p, n);
        TS_VERIFY_CTX *v = TS_REQ_to_TS_VERIFY_CTX(tq, NULL);
        X509_STORE *store = X509_STORE_new();

        assert_int_equal(st, TS_STATUS_GRANTED);
        X509_STORE_add_cert(store, root_cert);
        TS_VERIFY_CTX_set_store(v, store);
        assert_int_equal(TS_RESP_verify_response(v, rs), 1);
        serials[i] = ASN1_INTEGER_dup(TS_TST_INFO_get_serial(TS_RESP_get_tst_info(rs)));
        assert_int_equal(ASN1_STRING_length(serials[i]), 17);
        TS_VERIFY_CTX_free(v);
        TS_REQ_free(tq);
        TS_RESP_free(rs);
    }
    assert_int_not_equal(ASN1_INTEGER_cmp(serials[0], serials[1]), 0);
    ASN1_INTEGER_free(serials[0]);
    ASN1_INTEGER_free(serials[1]);
    /* the policy we serve, named: granted too */
    OPENSSL_free(q);
    q = request(1, EVP_sha512(), 64, "2.999.41.1", 0, &n);
    {
        long st;
        int b;
        TS_RESP *rs = answer(q, (size_t)n, &st, &b);

        assert_int_equal(st, TS_STATUS_GRANTED);
        TS_RESP_free(rs);
    }
    OPENSSL_free(q);
}

static void
test_refusals(void **state)
{
    int n, i;
    unsigned char *q = request(1, EVP_sha256(), 32, NULL, 1, &n), *r, big[HALL_TSA_MAX + 1];

    (void)state;
    expect((const unsigned char *)"", 0, TS_INFO_BAD_DATA_FORMAT);
    expect((const unsigned char *)"hello", 5, TS_INFO_BAD_DATA_FORMAT);
    for (i = 1; i < n; i++)
        expect(q, (size_t)i, TS_INFO_BAD_DATA_FORMAT);
    r = malloc((size_t)n + 2);
    memcpy(r, q, (size_t)n);
    r[n] = 0;
    expect(r, (size_t)n + 1, TS_INFO_BAD_DATA_FORMAT);
    /* BER: the outer length in the long form, one byte longer than DER's */
    r[0] = 0x30;
    r[1] = 0x81;
    memcpy(r + 2, q + 1, (size_t)n - 1);
    expect(r, (size_t)n + 1, TS_INFO_BAD_DATA_FORMAT);
    free(r);
    memset(big, 0x30, sizeof(big));
    expect(big, sizeof(big), TS_INFO_BAD_DATA_FORMAT);
    OPENSSL_free(q);

    q = request(2, EVP_sha256(), 32, NULL, 1, &n);
    expect(q, (size_t)n, TS_INFO_BAD_REQUEST);
    OPENSSL_free(q);
    q = request(1, EVP_sha1(), 20, NULL, 1, &n);
    expect(q, (size_t)n, TS_INFO_BAD_ALG);
    OPENSSL_free(q);
    q = request(1, NULL, 32, NULL, 1, &n);
    expect(q, (size_t)n, TS_INFO_BAD_ALG);
    OPENSSL_free(q);
    q = request(1, EVP_sha256(), 31, NULL, 1, &n);
    expect(q, (size_t)n, TS_INFO_BAD_DATA_FORMAT);
    OPENSSL_free(q);
    q = request(1, EVP_sha256(), 32, "1.2.3.4.7", 1, &n);
    expect(q, (size_t)n, TS_INFO_UNACCEPTED_POLICY);
    OPENSSL_free(q);
    {
        /* an extension, any: unacceptedExtension */
        const unsigned char *p;
        TS_REQ *tq;
        X509_EXTENSION *e;
        ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
        ASN1_OBJECT *o = OBJ_txt2obj("1.2.3.4.6", 1);
        unsigned char *der = NULL;

        q = request(1, EVP_sha256(), 32, NULL, 1, &n);
        p = q;
        tq = d2i_TS_REQ(NULL, &p, n);
        ASN1_OCTET_STRING_set(v, (const unsigned char *)"\x05\x00", 2);
        e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, v);
        TS_REQ_add_ext(tq, e, -1);
        n = i2d_TS_REQ(tq, &der);
        expect(der, (size_t)n, TS_INFO_UNACCEPTED_EXTENSION);
        OPENSSL_free(der);
        X509_EXTENSION_free(e);
        ASN1_OBJECT_free(o);
        ASN1_OCTET_STRING_free(v);
        TS_REQ_free(tq);
        OPENSSL_free(q);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_loaded_system_failure),
        cmocka_unit_test(test_granted_verifies),
        cmocka_unit_test(test_refusals),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
