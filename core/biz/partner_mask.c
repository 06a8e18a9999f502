/*
 * partner_mask.c: what of a reviewer's words may go out to a partner (the
 * API's reject_reason, the webhook order.rejected) and into the audit log
 * in clear: every run of digits an ID number, a bank card or a phone could
 * be is masked, however it is written (issue 72 §1).
 *
 * The text is read as it would be normalised for matching, without
 * changing what is kept: full-width digits and separators as NFKC makes
 * them (U+FF10-FF19, ．／＿，－), other digits to ASCII (Arabic-Indic, the
 * circled, super- and subscript ones, the mathematical ones, the Chinese
 * numerals 〇一二三四五六七八九零 and 壹贰叁肆伍陆柒捌玖), the invisible
 * characters (zero-width spaces and joiners, the soft hyphen, the BOM,
 * bidi marks) dropped, and up to MAX_SEP separators between two digits
 * (spaces of every width and NBSP, . / _ , - and their full-width forms,
 * dashes, middle dots, 、) joining them into one run.  A run of 7 digits
 * or more, with an ID number's check character X after 17, is masked:
 * each digit a '*', the separators kept, the invisible ones dropped.  A
 * date (2026-11-27, 2026.11.27, 2026/11/27) and shorter numbers are kept
 * as written.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "biz/biz.h"

/* separators between two digits of one run, at most */
#define MAX_SEP 3

enum mask_kind {
    MASK_OTHER,
    MASK_DIGIT,
    MASK_X,      /* an ID number's check character: x X ｘ Ｘ */
    MASK_SEP,    /* what may stand between the digits of one number */
    MASK_IGNORE, /* invisible: dropped */
};

/* one UTF-8 sequence at s (leniently: a bad byte is one character of its
 * own, U+FFFD), its length */
static size_t
mask_decode(const unsigned char *s, uint32_t *cp)
{
    size_t n, i;

    if (s[0] < 0x80)
        return *cp = s[0], 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2, *cp = s[0] & 0x1F;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3, *cp = s[0] & 0x0F;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4, *cp = s[0] & 0x07;
    else
        return *cp = 0xFFFD, 1;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return *cp = 0xFFFD, 1;
        *cp = *cp << 6 | (s[i] & 0x3F);
    }
    return n;
}

/* the value of a Chinese numeral, else -1 */
static int
mask_han_digit(uint32_t cp)
{
    static const uint32_t han[][2] = {
        {0x3007, 0}, {0x96F6, 0}, {0x4E00, 1}, {0x4E8C, 2}, {0x4E09, 3}, {0x56DB, 4}, {0x4E94, 5},
        {0x516D, 6}, {0x4E03, 7}, {0x516B, 8}, {0x4E5D, 9}, {0x58F9, 1}, {0x8D30, 2}, {0x53C1, 3},
        {0x8086, 4}, {0x4F0D, 5}, {0x9646, 6}, {0x67D2, 7}, {0x634C, 8}, {0x7396, 9},
    };
    size_t i;

    for (i = 0; i < sizeof(han) / sizeof(han[0]); i++)
        if (han[i][0] == cp)
            return (int)han[i][1];
    return -1;
}

/* the value of a digit of any of the forms above, else -1 */
static int
mask_digit(uint32_t cp)
{
    static const uint32_t zero[] = {'0',     0xFF10,  0x0660,  0x06F0,  0x0966, 0x2080,
                                    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6};
    size_t i;

    for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
        if (cp >= zero[i] && cp <= zero[i] + 9)
            return (int)(cp - zero[i]);
    if (cp == 0x2070)
        return 0;
    if (cp == 0x00B9)
        return 1;
    if (cp == 0x00B2 || cp == 0x00B3)
        return (int)(cp - 0x00B0);
    if (cp >= 0x2074 && cp <= 0x2079)
        return (int)(cp - 0x2070);
    if (cp >= 0x2460 && cp <= 0x2468) /* ① to ⑨ */
        return (int)(cp - 0x2460 + 1);
    if (cp >= 0x2776 && cp <= 0x277E) /* ❶ to ❾ */
        return (int)(cp - 0x2776 + 1);
    return mask_han_digit(cp);
}

/* the kind of the character at s, its length, and for a separator the
 * ASCII one it stands for (a date's '-', '.' or '/') in *sep */
static size_t
mask_class(const char *s, enum mask_kind *kind, char *sep)
{
    uint32_t cp;
    size_t n = mask_decode((const unsigned char *)s, &cp);

    *sep = ' ';
    if (mask_digit(cp) >= 0)
        *kind = MASK_DIGIT;
    else if (cp == 'x' || cp == 'X' || cp == 0xFF38 || cp == 0xFF58)
        *kind = MASK_X;
    else if (cp == 0x00AD || cp == 0x034F || cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) ||
             (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2064) ||
             (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF)
        *kind = MASK_IGNORE;
    else if (cp == '.' || cp == 0xFF0E || cp == 0x3002 || cp == 0xFF61)
        *kind = MASK_SEP, *sep = '.';
    else if (cp == '/' || cp == 0xFF0F || cp == 0x2215)
        *kind = MASK_SEP, *sep = '/';
    else if (cp == '-' || cp == 0xFF0D || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 ||
             cp == 0xFE63)
        *kind = MASK_SEP, *sep = '-';
    else if (cp == ' ' || cp == '\t' || cp == 0x00A0 || (cp >= 0x2000 && cp <= 0x200A) ||
             cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == '_' || cp == 0xFF3F ||
             cp == ',' || cp == 0xFF0C || cp == 0x3001 || cp == 0x00B7 || cp == 0x30FB ||
             cp == 0xFF65)
        *kind = MASK_SEP;
    else
        *kind = MASK_OTHER;
    return n;
}

/* the run of digits that begins at s: where its last digit (or check
 * character) ends, how many digits, and whether it reads as a date */
struct mask_run {
    size_t end, digits;
    int date;
};

static void
mask_scan(const char *s, struct mask_run *r)
{
    size_t j = 0, k, l, nsep, groups = 0, glen[3] = {0, 0, 0}, cur = 0;
    char seps[2] = {0, 0}, sep, first;
    enum mask_kind kind;

    memset(r, 0, sizeof(*r));
    while (s[j] != '\0') {
        l = mask_class(s + j, &kind, &sep);
        if (kind == MASK_DIGIT) {
            r->digits++;
            cur++;
            j += l;
            r->end = j;
            continue;
        }
        if (kind != MASK_SEP && kind != MASK_IGNORE)
            break;
        /* separators and invisible characters up to the next digit */
        for (k = j, nsep = 0, first = 0; s[k] != '\0'; k += l) {
            l = mask_class(s + k, &kind, &sep);
            if (kind == MASK_SEP && nsep++ == 0)
                first = sep;
            if (kind != MASK_SEP && kind != MASK_IGNORE)
                break;
        }
        if (s[k] == '\0' || kind != MASK_DIGIT || nsep > MAX_SEP)
            break;
        if (nsep > 0) {
            if (groups < 3)
                glen[groups] = cur;
            if (groups < 2)
                seps[groups] = first;
            groups++;
            cur = 0;
        }
        j = k;
    }
    if (groups < 3)
        glen[groups] = cur;
    groups++;
    /* an ID number's check character after its 17 digits */
    if (r->digits == 17) {
        for (k = r->end, nsep = 0; s[k] != '\0' && nsep <= MAX_SEP; k += l) {
            l = mask_class(s + k, &kind, &sep);
            if (kind == MASK_X) {
                r->end = k + l;
                break;
            }
            if (kind != MASK_SEP && kind != MASK_IGNORE)
                break;
            nsep += kind == MASK_SEP;
        }
    }
    r->date = groups == 3 && glen[0] == 4 && glen[1] >= 1 && glen[1] <= 2 && glen[2] >= 1 &&
              glen[2] <= 2 && seps[0] == seps[1] &&
              (seps[0] == '-' || seps[0] == '.' || seps[0] == '/');
}

char *
hall_partner_mask_digits(struct hall_pool *pool, const char *text)
{
    size_t n = strlen(text), i = 0, k, l;
    char *out = hall_palloc(pool, n + 1), *p = out, sep;
    enum mask_kind kind;
    struct mask_run r;

    while (text[i] != '\0') {
        l = mask_class(text + i, &kind, &sep);
        if (kind != MASK_DIGIT) {
            memcpy(p, text + i, l);
            p += l;
            i += l;
            continue;
        }
        mask_scan(text + i, &r);
        if (r.digits < 7 || r.date) {
            memcpy(p, text + i, r.end);
            p += r.end;
        } else {
            /* one '*' a digit, whatever its bytes: never longer */
            for (k = 0; k < r.end; k += l) {
                l = mask_class(text + i + k, &kind, &sep);
                if (kind == MASK_DIGIT || kind == MASK_X) {
                    *p++ = '*';
                } else if (kind == MASK_SEP) {
                    memcpy(p, text + i + k, l);
                    p += l;
                }
            }
        }
        i += r.end;
    }
    *p = '\0';
    return out;
}
