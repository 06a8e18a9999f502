/*
 * Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1
 * of the 8-byte big-endian step number, dynamic truncation, the low decimal
 * digits.  The staff's second factor (modules/admin, docs/internals/staff.md)
 * uses 30-second steps and 6 digits; secrets travel as RFC 4648 base32, the
 * form authenticator apps read from an otpauth:// URI.  OpenSSL's HMAC, no
 * other library.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "base/base.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int
hall_totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits)
{
    static const uint32_t mod[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    uint32_t bin;
    int i, off;

    if (digits < 6 || digits > 8)
        return -1;
    for (i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac, &maclen) == NULL || maclen != 20)
        return -1;
    off = mac[19] & 0x0f;
    bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
          ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
    return (int)(bin % mod[digits]);
}

int64_t
hall_totp_step(int64_t unix_time)
{
    return unix_time >= 0 ? unix_time / HALL_TOTP_PERIOD : -1;
}

int
hall_totp_check(const unsigned char *key, size_t keylen, const char *code, int64_t now_step,
                int64_t last_step, int64_t *matched)
{
    int want = 0, i, found = 0;
    int64_t s;

    if (code == NULL || strlen(code) != HALL_TOTP_DIGITS)
        return HALL_ERR;
    for (i = 0; i < HALL_TOTP_DIGITS; i++) {
        if (code[i] < '0' || code[i] > '9')
            return HALL_ERR;
        want = want * 10 + (code[i] - '0');
    }
    /* the step before and after too (clock drift), each once: never a step
     * at or before the last one accepted */
    for (s = now_step - 1; s <= now_step + 1; s++) {
        int got;

        if (s < 0 || s <= last_step)
            continue;
        got = hall_totp_hotp(key, keylen, (uint64_t)s, HALL_TOTP_DIGITS);
        if (!found && got == want) {
            found = 1;
            *matched = s;
        }
    }
    return found ? HALL_OK : HALL_ERR;
}

char *
hall_base32_encode(struct hall_pool *pool, const unsigned char *p, size_t n)
{
    char *out = hall_palloc(pool, (n * 8 + 4) / 5 + 1);
    size_t i, o = 0;
    unsigned buf = 0;
    int bits = 0;

    for (i = 0; i < n; i++) {
        buf = (buf << 8) | p[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32_alphabet[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32_alphabet[(buf << (5 - bits)) & 31];
    out[o] = '\0';
    return out;
}

int
hall_base32_decode(const char *s, unsigned char *out, size_t max, size_t *outlen)
{
    unsigned buf = 0;
    size_t o = 0;
    int bits = 0;

    for (; *s != '\0'; s++) {
        const char *hit;
        char c = *s;

        if (c == ' ' || c == '=')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        hit = strchr(b32_alphabet, c);
        if (hit == NULL || c == '\0')
            return HALL_ERR;
        buf = (buf << 5) | (unsigned)(hit - b32_alphabet);
        bits += 5;
        if (bits >= 8) {
            if (o == max)
                return HALL_ERR;
            out[o++] = (unsigned char)((buf >> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    *outlen = o;
    return HALL_OK;
}
