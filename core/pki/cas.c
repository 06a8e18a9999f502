/*
 * The issuing CAs as this process loaded them (core/pki/ca.c's
 * hall_pki_load fills them), shared by ca.c, crl.c and ocsp_answer.c: the
 * registry and its small lookups, and the digest-sign context they sign
 * with, apart so that none of the three needs another's file for them.
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "pki/pki.h"

#define CAS_SM2_ID "1234567812345678" /* GM/T 0009's default signer ID */

struct hall_pki_ca hall_pki_cas[] = {
    {.name = "ecc", .alg = "ecdsa", .sm2 = 0},
    {.name = "sm2", .alg = "sm2", .sm2 = 1, .own_name = "seal-maker"},
    {.name = NULL},
};

int
hall_pki_ca_count(void)
{
    return (int)(sizeof(hall_pki_cas) / sizeof(hall_pki_cas[0])) - 1;
}

struct hall_pki_ca *
hall_pki_ca_find(const char *name)
{
    struct hall_pki_ca *ca;

    for (ca = hall_pki_cas; ca->name != NULL; ca++)
        if (strcmp(ca->name, name) == 0)
            return ca;
    return NULL;
}

/* does the CertID name ca's own certificate (its serial's bytes, the
 * DER's leading zero dropped)? */
int
hall_pki_own_is(const struct hall_pki_ca *ca, const struct hall_ocsp_certid *id)
{
    const unsigned char *s = id->serial;
    size_t n = id->serial_len;

    if (ca->own_len == 0 || n == 0 || (s[0] & 0x80) != 0)
        return 0;
    if (s[0] == 0 && n > 1) {
        s++;
        n--;
    }
    return n == ca->own_len && memcmp(s, ca->own_serial, n) == 0;
}

int64_t
hall_pki_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* a digest-sign context for key: SHA-256, or SM3 with the GM/T signer ID */
EVP_MD_CTX *
hall_pki_sign_ctx(EVP_PKEY *key, int sm2)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;

    if (m == NULL)
        abort();
    if (EVP_DigestSignInit_ex(m, &pc, sm2 ? "SM3" : "SHA256", NULL, NULL, key, NULL) != 1 ||
        (sm2 && EVP_PKEY_CTX_set1_id(pc, CAS_SM2_ID, strlen(CAS_SM2_ID)) != 1)) {
        EVP_MD_CTX_free(m);
        return NULL;
    }
    return m;
}
