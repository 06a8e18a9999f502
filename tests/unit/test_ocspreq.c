/*
 * Unit tests for core/pki/ocspreq.c, the OCSP request reader: requests
 * made by OpenSSL (one or several CertIDs, SHA-1 and SHA-256, with and
 * without a nonce, a critical nonce, a signed request) are read as
 * OpenSSL's own decoder reads them; malformed ones are refused: empty,
 * garbage, every truncation, a byte after the request, no request, more
 * than 16, BER (an indefinite or a long-form length), a padded serial;
 * the serial's 16 hex digits as BN_bn2hex writes them.  Then 20,000
 * mutations from a fixed seed compared with d2i_OCSP_REQUEST: what the
 * reader accepts OpenSSL accepts with the same CertIDs and nonce, and
 * every input that is a DER request (OpenSSL re-encodes it to the same
 * bytes) with 1 to 16 CertIDs is accepted.  The sanitizer build catches
 * any read out of bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "hall.h"

#define ROUNDS 20000

/* a CertID (SHA-1 or SHA-256) of an issuer named and keyed after seed, serial s */
static OCSP_CERTID *
certid(int sha256, unsigned char seed, const unsigned char *s, int slen)
{
    unsigned char nh[32], kh[32];
    ASN1_INTEGER *sn = ASN1_INTEGER_new();
    X509_NAME *iname = X509_NAME_new();
    OCSP_CERTID *id;
    BIGNUM *bn = BN_bin2bn(s, slen, NULL);

    memset(nh, seed, sizeof(nh));
    memset(kh, seed ^ 0x5a, sizeof(kh));
    assert_non_null(bn);
    assert_non_null(BN_to_ASN1_INTEGER(bn, sn));
    {
        ASN1_BIT_STRING *pk = ASN1_BIT_STRING_new();

        assert_true(ASN1_BIT_STRING_set(pk, kh, sizeof(kh)));
        X509_NAME_add_entry_by_txt(iname, "CN", MBSTRING_ASC, nh, 4, -1, 0);
        id = OCSP_cert_id_new(sha256 ? EVP_sha256() : EVP_sha1(), iname, pk, sn);
        ASN1_BIT_STRING_free(pk);
    }
    assert_non_null(id);
    ASN1_INTEGER_free(sn);
    X509_NAME_free(iname);
    BN_free(bn);
    return id;
}

/* a request of n CertIDs (alternately SHA-1 and SHA-256), a nonce of nlen
 * bytes (none when 0), critical or not; its DER in *der */
static size_t
request(int n, int nlen, int critical, unsigned char **der)
{
    static const unsigned char serial[8] = {0x67, 0xdb, 0x69, 0xfd, 0xd1, 0x30, 0x78, 0xfd};
    OCSP_REQUEST *r = OCSP_REQUEST_new();
    unsigned char nonce[64];
    int i, len;

    assert_non_null(r);
    for (i = 0; i < n; i++) {
        unsigned char s[8];

        memcpy(s, serial, 8);
        s[7] = (unsigned char)(s[7] + i);
        assert_non_null(
            OCSP_request_add0_id(r, certid(i % 2, (unsigned char)(0x11 * (i + 1)), s, 8)));
    }
    if (nlen > 0) {
        memset(nonce, 0xa5, sizeof(nonce));
        assert_int_equal(OCSP_request_add1_nonce(r, nonce, nlen), 1);
        if (critical)
            X509_EXTENSION_set_critical(OCSP_REQUEST_get_ext(r, 0), 1);
    }
    *der = NULL;
    len = i2d_OCSP_REQUEST(r, der);
    assert_true(len > 0);
    OCSP_REQUEST_free(r);
    return (size_t)len;
}

/* what OpenSSL reads of in: the same CertIDs (as the answer repeats them)
 * and nonce as r, when the reader accepted it */
static int
same_as_openssl(const unsigned char *in, size_t len, const struct hall_ocsp_req *r)
{
    const unsigned char *p = in;
    OCSP_REQUEST *o = d2i_OCSP_REQUEST(NULL, &p, (long)len);
    int i, ok = 0, at;

    if (o == NULL || p != in + len || OCSP_request_onereq_count(o) != r->n)
        goto out;
    for (i = 0; i < r->n; i++) {
        unsigned char *d = NULL;
        int dl = i2d_OCSP_CERTID(OCSP_onereq_get0_id(OCSP_request_onereq_get0(o, i)), &d);
        int same = dl > 0 && (size_t)dl == r->ids[i].der_len && memcmp(d, r->ids[i].der, dl) == 0;

        OPENSSL_free(d);
        if (!same)
            goto out;
    }
    at = OCSP_REQUEST_get_ext_by_NID(o, NID_id_pkix_OCSP_Nonce, -1);
    if ((at < 0) != (r->nonce == NULL))
        goto out;
    if (at >= 0) {
        X509_EXTENSION *x = OCSP_REQUEST_get_ext(o, at);
        unsigned char *d = NULL;
        int dl = i2d_ASN1_OCTET_STRING(X509_EXTENSION_get_data(x), &d);
        int same = dl > 0 && (size_t)dl == r->nonce_len && memcmp(d, r->nonce, dl) == 0 &&
                   X509_EXTENSION_get_critical(x) == r->nonce_critical;

        OPENSSL_free(d);
        if (!same)
            goto out;
    }
    ok = 1;
out:
    OCSP_REQUEST_free(o);
    return ok;
}

static void
test_openssl_requests(void **state)
{
    static const int forms[][3] = {
        {1, 0, 0}, {1, 16, 0}, {1, 32, 1}, {2, 0, 0}, {3, 16, 0}, {16, 0, 0}, {16, 60, 0},
    };
    struct hall_ocsp_req r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        unsigned char *der;
        size_t len = request(forms[i][0], forms[i][1], forms[i][2], &der);

        assert_int_equal(hall_ocsp_req_parse(der, len, &r), HALL_OK);
        assert_int_equal(r.n, forms[i][0]);
        assert_int_equal(r.nonce != NULL, forms[i][1] > 0);
        assert_int_equal(r.nonce_critical, forms[i][2]);
        if (forms[i][1] > 0) /* the extnValue: OCTET STRING { OCTET STRING nonce } */
            assert_int_equal(r.nonce_len, 2 + 2 + forms[i][1]);
        assert_int_equal(r.ids[0].name_hash_len, 20);
        if (r.n > 1)
            assert_int_equal(r.ids[1].key_hash_len, 32);
        assert_true(same_as_openssl(der, len, &r));
        OPENSSL_free(der);
    }
}

/* a request OpenSSL signed: the signature and the requestor name are skipped */
static void
test_signed_request(void **state)
{
    static const unsigned char s[8] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
    OCSP_REQUEST *o = OCSP_REQUEST_new();
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    unsigned char *der = NULL;
    struct hall_ocsp_req r;
    int len;

    (void)state;
    assert_non_null(OCSP_request_add0_id(o, certid(0, 0x42, s, 8)));
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"client", -1, -1, 0);
    X509_set_subject_name(x, nm);
    X509_set_issuer_name(x, nm);
    X509_set_pubkey(x, k);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    assert_int_equal(OCSP_request_sign(o, x, k, EVP_sha256(), NULL, OCSP_NOCERTS), 1);
    len = i2d_OCSP_REQUEST(o, &der);
    assert_true(len > 0);
    assert_int_equal(hall_ocsp_req_parse(der, (size_t)len, &r), HALL_OK);
    assert_int_equal(r.n, 1);
    assert_true(same_as_openssl(der, (size_t)len, &r));
    OPENSSL_free(der);
    X509_NAME_free(nm);
    X509_free(x);
    EVP_PKEY_free(k);
    OCSP_REQUEST_free(o);
}

static void
test_malformed(void **state)
{
    unsigned char *der, *big;
    size_t len, i;
    struct hall_ocsp_req r;

    (void)state;
    assert_int_equal(hall_ocsp_req_parse((const unsigned char *)"", 0, &r), HALL_ERR);
    assert_int_equal(hall_ocsp_req_parse(NULL, 0, &r), HALL_ERR);
    assert_int_equal(hall_ocsp_req_parse((const unsigned char *)"garbage!", 8, &r), HALL_ERR);
    assert_int_equal(hall_ocsp_req_parse((const unsigned char *)"\x30\x00", 2, &r), HALL_ERR);
    /* an empty requestList */
    assert_int_equal(hall_ocsp_req_parse((const unsigned char *)"\x30\x04\x30\x02\x30\x00", 6, &r),
                     HALL_ERR);
    len = request(1, 0, 0, &der);
    /* every truncation, and every cut of the outer length */
    for (i = 0; i < len; i++)
        assert_int_equal(hall_ocsp_req_parse(der, i, &r), HALL_ERR);
    big = malloc(len + 4);
    memcpy(big, der, len);
    big[len] = 0;
    assert_int_equal(hall_ocsp_req_parse(big, len + 1, &r), HALL_ERR); /* a byte after */
    /* BER: the outer length in long form though short (0x81 0x..) */
    assert_true(der[1] < 0x80);
    big[0] = 0x30;
    big[1] = 0x81;
    big[2] = der[1];
    memcpy(big + 3, der + 2, len - 2);
    assert_int_equal(hall_ocsp_req_parse(big, len + 1, &r), HALL_ERR);
    /* BER: an indefinite length with its end-of-contents */
    big[1] = 0x80;
    memcpy(big + 2, der + 2, len - 2);
    big[len] = 0;
    big[len + 1] = 0;
    assert_int_equal(hall_ocsp_req_parse(big, len + 2, &r), HALL_ERR);
    /* the first CertID's hash as a constructed OCTET STRING */
    memcpy(big, der, len);
    for (i = 0; i + 1 < len; i++)
        if (big[i] == 0x04 && big[i + 1] == 20)
            break;
    assert_true(i + 1 < len);
    big[i] = 0x24;
    assert_int_equal(hall_ocsp_req_parse(big, len, &r), HALL_ERR);
    free(big);
    OPENSSL_free(der);
    /* 16 CertIDs read, 17 refused */
    len = request(16, 0, 0, &der);
    assert_int_equal(hall_ocsp_req_parse(der, len, &r), HALL_OK);
    assert_int_equal(r.n, 16);
    OPENSSL_free(der);
    len = request(17, 0, 0, &der);
    assert_int_equal(hall_ocsp_req_parse(der, len, &r), HALL_ERR);
    assert_int_equal(r.n, 0);
    OPENSSL_free(der);
}

/* the serial: as BN_bn2hex, 16 digits or nothing */
static void
test_serial_hex(void **state)
{
    static const struct {
        const char *in; /* the INTEGER's content, hex */
        const char *want;
    } cases[] = {
        {"67DB69FDD13078FD", "67DB69FDD13078FD"},
        {"00B2E150F9DE406ACB", "B2E150F9DE406ACB"},
        {"0A00000000000001", "0A00000000000001"},
        {"01", ""},
        {"00", ""},
        {"67DB69FDD13078", ""},
        {"67DB69FDD13078FD01", ""},
        {"B2E150F9DE406ACB", ""}, /* negative */
        {"FF", ""},
    };
    size_t i, j;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char b[16];
        struct hall_ocsp_certid id;
        char out[17];
        size_t n = strlen(cases[i].in) / 2;

        for (j = 0; j < n; j++)
            sscanf(cases[i].in + 2 * j, "%2hhx", &b[j]);
        memset(&id, 0, sizeof(id));
        id.serial = b;
        id.serial_len = n;
        assert_int_equal(hall_ocsp_serial_hex(&id, out), cases[i].want[0] ? HALL_OK : HALL_ERR);
        assert_string_equal(out, cases[i].want);
    }
}

/* a non-minimal serial INTEGER is not DER */
static void
test_padded_serial(void **state)
{
    static const unsigned char s[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    unsigned char *der = NULL;
    struct hall_ocsp_req r;
    size_t len, i;

    (void)state;
    {
        OCSP_REQUEST *o = OCSP_REQUEST_new();
        int l;

        assert_non_null(OCSP_request_add0_id(o, certid(0, 0x33, s, 8)));
        l = i2d_OCSP_REQUEST(o, &der);
        assert_true(l > 0);
        len = (size_t)l;
        OCSP_REQUEST_free(o);
    }
    assert_int_equal(hall_ocsp_req_parse(der, len, &r), HALL_OK);
    /* 02 08 01 02 ... -> 02 08 00 01 02 ... 07 (the same length, padded) */
    for (i = 0; i + 2 < len; i++)
        if (der[i] == 0x02 && der[i + 1] == 8 && der[i + 2] == 0x01)
            break;
    assert_true(i + 2 < len);
    memmove(der + i + 3, der + i + 2, 7);
    der[i + 2] = 0x00;
    assert_int_equal(hall_ocsp_req_parse(der, len, &r), HALL_ERR);
    OPENSSL_free(der);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

/* whether every CertID's hash algorithm has NULL or no parameters (the
 * reader refuses any other: no hash algorithm has them) */
static int
params_plain(OCSP_REQUEST *o)
{
    int i;

    for (i = 0; i < OCSP_request_onereq_count(o); i++) {
        unsigned char *d = NULL;
        int dl = i2d_OCSP_CERTID(OCSP_onereq_get0_id(OCSP_request_onereq_get0(o, i)), &d);
        const unsigned char *p = d;
        size_t h, alen;
        int plain;

        if (dl < 6) {
            OPENSSL_free(d);
            return 0;
        }
        /* CertID SEQ header, then AlgorithmIdentifier SEQ { OID ... } */
        h = (d[1] & 0x80) ? 2 + (size_t)(d[1] & 0x7f) : 2;
        p = d + h;
        alen = p[1];
        plain = (p[1] & 0x80) == 0 && p[2] == 0x06 &&
                (alen == 2 + (size_t)p[3] ||
                 (alen == 4 + (size_t)p[3] && p[4 + p[3]] == 0x05 && p[5 + p[3]] == 0x00));
        OPENSSL_free(d);
        if (!plain)
            return 0;
    }
    return 1;
}

/* mutations of OpenSSL's requests, against d2i_OCSP_REQUEST */
static void
test_mutations(void **state)
{
    unsigned char *seeds[6], buf[2048];
    size_t seed_len[6], k;
    int accepted = 0, der_inputs = 0, round;

    (void)state;
    seed_len[0] = request(1, 0, 0, &seeds[0]);
    seed_len[1] = request(1, 16, 0, &seeds[1]);
    seed_len[2] = request(2, 32, 1, &seeds[2]);
    seed_len[3] = request(3, 0, 0, &seeds[3]);
    seed_len[4] = request(16, 8, 0, &seeds[4]);
    seed_len[5] = request(17, 0, 0, &seeds[5]);
    for (round = 0; round < ROUNDS; round++) {
        size_t s = next() % 6, len = seed_len[s], ops = 1 + next() % 3, o;
        struct hall_ocsp_req r;
        const unsigned char *p;
        OCSP_REQUEST *ossl;
        int mine;

        memcpy(buf, seeds[s], len);
        for (o = 0; o < ops && len > 0; o++) {
            size_t at = next() % len, n;

            switch (next() % 6) {
            case 0: /* a byte changed */ buf[at] = (unsigned char)next(); break;
            case 1: /* a bit flipped */ buf[at] ^= (unsigned char)(1u << (next() % 8)); break;
            case 2: /* cut */ len = at; break;
            case 3: /* a range deleted */
                n = next() % (len - at + 1);
                memmove(buf + at, buf + at + n, len - at - n);
                len -= n;
                break;
            case 4: /* a byte inserted */
                if (len < sizeof(buf)) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = (unsigned char)next();
                    len++;
                }
                break;
            default: /* a length byte moved by one */
                buf[at] = (unsigned char)(buf[at] + (next() % 2 ? 1 : -1));
                break;
            }
        }
        mine = hall_ocsp_req_parse(buf, len, &r);
        if (mine != HALL_OK) /* nothing left of a half-read request */
            assert_true(r.n == 0 && r.nonce == NULL);
        if (mine == HALL_OK) {
            accepted++;
            assert_true(r.n >= 1 && r.n <= HALL_OCSP_REQ_MAX);
            for (k = 0; k < (size_t)r.n; k++) {
                char hex[17];

                assert_true(r.ids[k].der >= buf && r.ids[k].der + r.ids[k].der_len <= buf + len);
                hall_ocsp_serial_hex(&r.ids[k], hex);
            }
            if (!same_as_openssl(buf, len, &r)) {
                for (k = 0; k < len; k++)
                    fprintf(stderr, "%02x", buf[k]);
                fprintf(stderr, "\n");
                fail_msg("round %d: read, but not as OpenSSL reads it", round);
            }
        }
        /* a DER request (OpenSSL writes it back the same) of 1..16 CertIDs is read */
        p = buf;
        ossl = d2i_OCSP_REQUEST(NULL, &p, (long)len);
        if (ossl != NULL && p == buf + len) {
            unsigned char *again = NULL;
            int al = i2d_OCSP_REQUEST(ossl, &again);
            int n = OCSP_request_onereq_count(ossl);

            if (al == (int)len && memcmp(again, buf, len) == 0 && n >= 1 && n <= 16 &&
                params_plain(ossl)) {
                der_inputs++;
                if (mine != HALL_OK) {
                    for (k = 0; k < len; k++)
                        fprintf(stderr, "%02x", buf[k]);
                    fprintf(stderr, "\n");
                }
                if (mine != HALL_OK)
                    fail_msg("round %d: a DER request of %d CertIDs refused", round, n);
            }
            OPENSSL_free(again);
        }
        OCSP_REQUEST_free(ossl);
    }
    print_message("%d of %d mutations read, %d were DER requests\n", accepted, ROUNDS, der_inputs);
    assert_true(accepted > 100);
    for (k = 0; k < 6; k++)
        OPENSSL_free(seeds[k]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openssl_requests), cmocka_unit_test(test_signed_request),
        cmocka_unit_test(test_malformed),        cmocka_unit_test(test_serial_hex),
        cmocka_unit_test(test_padded_serial),    cmocka_unit_test(test_mutations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
