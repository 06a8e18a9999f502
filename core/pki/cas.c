/*
 * The issuing CAs as this process loaded them (core/pki/ca.c's
 * hall_pki_load fills them), shared by ca.c, crl.c and ocsp_answer.c: the
 * registry and its small lookups, apart so that none of the three needs
 * another's file for them.
 */
#include <string.h>
#include <time.h>

#include "pki/pki.h"

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
