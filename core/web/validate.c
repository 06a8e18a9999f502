/*
 * Validators for the fields applicants type: 居民身份证号, 统一社会信用代码,
 * mobile numbers, e-mail, 纳税人识别号, 对公账号, 邮政编码, names.
 *
 * The policies (what is accepted, what is normalised, and why) are in
 * docs/internals/validate.md; the unit test pins each of them.  Nothing
 * here logs: every input is personal data.
 */
#include "web/web.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ----------------------------------------------------------- */

/* length of the white space character at p (ASCII or U+3000), 0 if none */
static size_t
space_len(const char *p, const char *end)
{
    unsigned char c = (unsigned char)*p;

    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f')
        return 1;
    /* U+3000 IDEOGRAPHIC SPACE, typed by Chinese input methods */
    if (end - p >= 3 && c == 0xE3 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0x80)
        return 3;
    return 0;
}

const char *
hall_valid_trim(const char *in, size_t *len)
{
    const char *end;
    size_t n;

    if (in == NULL) {
        *len = 0;
        return "";
    }
    end = in + strlen(in);
    while (in < end && (n = space_len(in, end)) > 0)
        in += n;
    while (end > in) {
        if (space_len(end - 1, end) == 1) {
            end--;
        } else if (end - in >= 3 && space_len(end - 3, end) == 3) {
            end -= 3;
        } else {
            break;
        }
    }
    *len = (size_t)(end - in);
    return in;
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char
to_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static int
d2(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/*
 * Copy the trimmed input to buf without spaces and '-', upper-cased.
 * HALL_ERR when the result would not fit in cap - 1 bytes.
 */
static int
compact_upper(const char *in, char *buf, size_t cap, size_t *outlen)
{
    const char *s;
    size_t len, i, n = 0;

    s = hall_valid_trim(in, &len);
    for (i = 0; i < len; i++) {
        if (s[i] == ' ' || s[i] == '-')
            continue;
        if (n + 1 >= cap)
            return HALL_ERR;
        buf[n++] = to_upper(s[i]);
    }
    buf[n] = '\0';
    *outlen = n;
    return HALL_OK;
}

/*
 * Decode one UTF-8 sequence strictly (RFC 3629): no overlongs, no
 * surrogates, nothing above U+10FFFF.  Returns its length, 0 if malformed.
 */
static size_t
utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t need, i;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < need + 1)
        return 0;
    for (i = 1; i <= need; i++) {
        if (p[i] < lo || p[i] > hi)
            return 0;
        lo = 0x80;
        hi = 0xBF;
        v = (v << 6) | (p[i] & 0x3F);
    }
    *cp = v;
    return need + 1;
}

int
hall_valid_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n;
    uint32_t cp;

    if (s == NULL)
        return len == 0 ? HALL_OK : HALL_ERR;
    while (i < len) {
        n = utf8_decode(p + i, len - i, &cp);
        if (n == 0)
            return HALL_ERR;
        i += n;
    }
    return HALL_OK;
}

/* ---- calendar and region codes ----------------------------------------- */

/* today in China (UTC+8, no DST) as yyyymmdd, whatever the server's TZ */
static long
today_china(void)
{
    time_t t = time(NULL) + HALL_BEIJING_OFFSET_S;
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL)
        return 0;
    return (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static int
date_ok(const char *p, long today)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = d2(p) * 100 + d2(p + 2), m = d2(p + 4), d = d2(p + 6);
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (y < 1900 || m < 1 || m > 12 || d < 1)
        return 0;
    if (d > mdays[m - 1] + (m == 2 && leap))
        return 0;
    return y * 10000L + m * 100 + d <= today;
}

/*
 * Province-level codes of GB/T 2260 under which mainland offices issue
 * numbers.  71 (Taiwan) is a GB/T 2260 code but no card carries it; Taiwan
 * residents get 83 residence permits, handled separately like 81/82.
 */
static int
mainland_province(int code)
{
    static const unsigned char codes[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33,
                                          34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50,
                                          51, 52, 53, 54, 61, 62, 63, 64, 65};
    size_t i;

    for (i = 0; i < sizeof(codes); i++)
        if (codes[i] == code)
            return 1;
    return 0;
}

/* ---- 居民身份证号 (GB 11643) -------------------------------------------- */

/* ISO 7064 MOD 11-2 over the first 17 digits; weights are 2^(17-i) mod 11 */
static char
ric_check_char(const char *s)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int i, sum = 0;

    for (i = 0; i < 17; i++)
        sum += (s[i] - '0') * w[i];
    return "10X98765432"[sum % 11];
}

static int
ric_region_ok(const char *s)
{
    /* 港澳台居民居住证: address code is exactly 810000 / 820000 / 830000 */
    if (s[0] == '8')
        return (s[1] == '1' || s[1] == '2' || s[1] == '3') && memcmp(s + 2, "0000", 4) == 0;
    /* 外国人永久居留身份证 (2023): '9', the issuing province, nationality */
    if (s[0] == '9')
        return mainland_province(d2(s + 1));
    return mainland_province(d2(s));
}

HALL_TESTABLE int
hall_valid_ric_at(const char *in, char out[19], long today)
{
    const char *s;
    char buf[19];
    size_t len, i;

    if (out != NULL)
        out[0] = '\0';
    s = hall_valid_trim(in, &len);
    /* 15-digit first-generation cards expired on 2013-01-01: rejected */
    if (len != 18)
        return HALL_ERR;
    for (i = 0; i < 17; i++) {
        if (!is_digit(s[i]))
            return HALL_ERR;
        buf[i] = s[i];
    }
    buf[17] = to_upper(s[17]);
    buf[18] = '\0';
    if (!is_digit(buf[17]) && buf[17] != 'X')
        return HALL_ERR;
    if (ric_check_char(buf) != buf[17])
        return HALL_ERR;
    if (!date_ok(buf + 6, today))
        return HALL_ERR;
    if (!ric_region_ok(buf))
        return HALL_ERR;
    if (out != NULL)
        memcpy(out, buf, 19);
    return HALL_OK;
}

int
hall_valid_ric(const char *in, char out[19])
{
    return hall_valid_ric_at(in, out, today_china());
}

/* ---- 统一社会信用代码 (GB 32100) ----------------------------------------- */

/* GB 32100 alphabet: digits and upper-case letters without I O Z S V */
static const char uscc_alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int
uscc_value(char c)
{
    const char *p;

    if (c == '\0')
        return -1;
    p = strchr(uscc_alpha, c);
    return p == NULL ? -1 : (int)(p - uscc_alpha);
}

/*
 * 登记管理部门代码 and the 机构类别代码 each may use (GB 32100 table 1,
 * plus N for 农业农村 collective economic organisations added since).
 */
static int
uscc_authority_ok(char dept, char kind)
{
    static const struct {
        char dept;
        const char *kinds;
    } t[] = {
        {'1', "1239"},   /* 机构编制: 机关, 事业单位, 群众团体, 其他 */
        {'2', "19"},     /* 外交 */
        {'3', "123459"}, /* 司法行政: 律师事务所, 公证处, ... */
        {'4', "19"},     /* 文化 */
        {'5', "1239"},   /* 民政: 社会团体, 民办非企业单位, 基金会, 其他 */
        {'6', "129"},    /* 旅游 */
        {'7', "129"},    /* 宗教 */
        {'8', "19"},     /* 工会 */
        {'9', "123"},    /* 市场监管 (工商): 企业, 个体工商户, 农民专业合作社 */
        {'A', "19"},     /* 中央军委改革和编制办公室 */
        {'N', "1239"},   /* 农业农村: 集体经济组织 */
        {'Y', "1"},      /* 其他 */
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].dept == dept)
            return kind != '\0' && strchr(t[i].kinds, kind) != NULL;
    return 0;
}

/* legally issued in the early Fujian pilot, yet failing the check character */
static const char *const uscc_fujian_pilot[] = {
    "91350211M0000XUF46",
    "91350100M0001TGQXM",
    "91350203M0001FUE2P",
    "91350211M00013FA1N",
};

int
hall_valid_uscc(const char *in, char out[19], int *manual_review)
{
    /* 19 bytes of data + NUL so that a 19th character shows as too long */
    char buf[20];
    size_t len, i;
    int v, sum = 0;

    if (out != NULL)
        out[0] = '\0';
    if (manual_review != NULL)
        *manual_review = 0;
    if (compact_upper(in, buf, sizeof(buf), &len) != HALL_OK || len != 18)
        return HALL_ERR;
    for (i = 0; i < 18; i++)
        if (uscc_value(buf[i]) < 0)
            return HALL_ERR;
    if (!uscc_authority_ok(buf[0], buf[1]))
        return HALL_ERR;
    /* 登记管理机关行政区划码: a mainland division, or 100000 for central organs */
    for (i = 2; i < 8; i++)
        if (!is_digit(buf[i]))
            return HALL_ERR;
    if (memcmp(buf + 2, "100000", 6) != 0 && !mainland_province(d2(buf + 2)))
        return HALL_ERR;
    /* weights are 3^i mod 31 */
    {
        static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

        for (i = 0; i < 17; i++)
            sum += uscc_value(buf[i]) * w[i];
    }
    v = (31 - sum % 31) % 31;
    if (uscc_alpha[v] != buf[17]) {
        for (i = 0; i < sizeof(uscc_fujian_pilot) / sizeof(uscc_fujian_pilot[0]); i++)
            if (strcmp(buf, uscc_fujian_pilot[i]) == 0 && manual_review != NULL)
                *manual_review = 1;
        return HALL_ERR;
    }
    if (out != NULL)
        memcpy(out, buf, 19);
    return HALL_OK;
}

/* ---- mobile ------------------------------------------------------------ */

int
hall_valid_mobile(const char *in, char out[12])
{
    const char *s;
    size_t len, i, skip = 0;

    if (out != NULL)
        out[0] = '\0';
    s = hall_valid_trim(in, &len);
    if (len >= 3 && memcmp(s, "+86", 3) == 0)
        skip = 3;
    else if (len >= 4 && memcmp(s, "0086", 4) == 0)
        skip = 4;
    else if (len == 13 || (len == 14 && (s[2] == ' ' || s[2] == '-')))
        skip = memcmp(s, "86", 2) == 0 ? 2 : 0;
    if (skip > 0 && skip < len && (s[skip] == ' ' || s[skip] == '-'))
        skip++;
    s += skip;
    len -= skip;
    /* no 0 or 17951 dialling prefixes: they are not part of the number */
    if (len != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9')
        return HALL_ERR;
    for (i = 2; i < 11; i++)
        if (!is_digit(s[i]))
            return HALL_ERR;
    if (out != NULL) {
        memcpy(out, s, 11);
        out[11] = '\0';
    }
    return HALL_OK;
}

/* ---- e-mail ------------------------------------------------------------ */

static int
is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
email_domain_ok(const char *d, size_t len)
{
    size_t i, start = 0, labels = 0, n = 0;
    const char *label = d;

    if (len == 0 || len > 253)
        return 0;
    for (i = 0; i <= len; i++) {
        if (i < len && d[i] != '.') {
            if (!is_alnum(d[i]) && d[i] != '-')
                return 0;
            continue;
        }
        label = d + start;
        n = i - start;
        if (n == 0 || n > 63 || label[0] == '-' || label[n - 1] == '-')
            return 0;
        labels++;
        start = i + 1;
    }
    if (labels < 2)
        return 0;
    /* top-level domain: letters, or an IDN in punycode */
    if (n >= 4 && memcmp(label, "xn--", 4) == 0)
        return 1;
    if (n < 2)
        return 0;
    for (i = 0; i < n; i++)
        if (!is_alpha(label[i]))
            return 0;
    return 1;
}

int
hall_valid_email(const char *in)
{
    const char *s, *at = NULL;
    size_t len, i, local;

    s = hall_valid_trim(in, &len);
    if (len < 6 || len > 254)
        return HALL_ERR;
    for (i = 0; i < len; i++) {
        if (s[i] == '@') {
            if (at != NULL)
                return HALL_ERR;
            at = s + i;
        }
    }
    if (at == NULL)
        return HALL_ERR;
    local = (size_t)(at - s);
    if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
        return HALL_ERR;
    /* dot-atom local part (RFC 5322 atext); no quoted strings */
    for (i = 0; i < local; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return HALL_ERR;
        } else if (!is_alnum(s[i]) && strchr("!#$%&'*+/=?^_`{|}~-", s[i]) == NULL) {
            return HALL_ERR;
        }
    }
    return email_domain_ok(at + 1, len - local - 1) ? HALL_OK : HALL_ERR;
}

/* ---- 纳税人识别号 ------------------------------------------------------- */

/* the compacted value (buf, len) to out, when asked; HALL_ERR when out
 * (cap bytes) cannot hold it */
static int
give_out(const char *buf, size_t len, char *out, size_t cap)
{
    if (out != NULL) {
        if (cap < len + 1)
            return HALL_ERR;
        memcpy(out, buf, len + 1);
    }
    return HALL_OK;
}

int
hall_valid_taxid(const char *in, char *out, size_t cap)
{
    char buf[21];
    size_t len, i;

    if (out != NULL && cap > 0)
        out[0] = '\0';
    if (compact_upper(in, buf, sizeof(buf), &len) != HALL_OK)
        return HALL_ERR;
    if (len == 18) {
        /* since the 2015 reform an 18-character TIN is a USCC, or a
         * person's (个体工商户) identity card number */
        if (hall_valid_uscc(buf, NULL, NULL) != HALL_OK && hall_valid_ric(buf, NULL) != HALL_OK)
            return HALL_ERR;
    } else if (len == 15 || len == 17 || len == 20) {
        for (i = 0; i < len; i++)
            if (!is_digit(buf[i]) && !(buf[i] >= 'A' && buf[i] <= 'Z'))
                return HALL_ERR;
    } else {
        return HALL_ERR;
    }
    return give_out(buf, len, out, cap);
}

/* ---- 对公账号 ----------------------------------------------------------- */

int
hall_valid_bank_account(const char *in, char *out, size_t cap)
{
    char buf[33];
    size_t len, i;

    if (out != NULL && cap > 0)
        out[0] = '\0';
    /* corporate account numbers carry no Luhn digit: length and digits only */
    if (compact_upper(in, buf, sizeof(buf), &len) != HALL_OK || len < 8 || len > 32)
        return HALL_ERR;
    for (i = 0; i < len; i++)
        if (!is_digit(buf[i]))
            return HALL_ERR;
    return give_out(buf, len, out, cap);
}

/* ---- 邮政编码 ----------------------------------------------------------- */

int
hall_valid_postcode(const char *in)
{
    const char *s;
    size_t len, i;

    s = hall_valid_trim(in, &len);
    if (len != 6 || s[0] < '0' || s[0] > '8')
        return HALL_ERR;
    for (i = 1; i < 6; i++)
        if (!is_digit(s[i]))
            return HALL_ERR;
    return HALL_OK;
}

/* ---- names ------------------------------------------------------------- */

static int
is_cjk(uint32_t c)
{
    return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x323AF) || c == 0x3007;
}

static int
is_latin_letter(uint32_t c)
{
    if (c < 0x80)
        return is_alpha((char)c);
    if (c >= 0xC0 && c <= 0xFF)
        return c != 0xD7 && c != 0xF7; /* × and ÷ */
    return (c >= 0x100 && c <= 0x24F) || (c >= 0x1E00 && c <= 0x1EFF);
}

int
hall_valid_person_name(const char *in)
{
    const unsigned char *s;
    size_t len, i = 0, n, chars = 0;
    uint32_t c;
    int prev_sep = 1; /* no separator first */

    s = (const unsigned char *)hall_valid_trim(in, &len);
    while (i < len) {
        n = utf8_decode(s + i, len - i, &c);
        if (n == 0)
            return HALL_ERR;
        i += n;
        if (++chars > 30)
            return HALL_ERR;
        if (c == ' ' || c == 0xB7) {
            /* one space or '·' between name parts, never two in a row */
            if (prev_sep)
                return HALL_ERR;
            prev_sep = 1;
        } else if (is_cjk(c) || is_latin_letter(c)) {
            prev_sep = 0;
        } else {
            return HALL_ERR;
        }
    }
    return chars >= 2 && !prev_sep ? HALL_OK : HALL_ERR;
}

/* besides ideographs, letters and digits, what registered names are
 * written with: brackets of both widths, 《》 (《求是》杂志社), 、 and the
 * punctuation of Latin names (ABC (China) Co., Ltd., A&B); no quote,
 * apostrophe, brace, angle bracket, backslash, slash or symbol */
static int
org_punct(uint32_t c)
{
    /* space ( ) & - . , · ・ 、 《 》 ＆ （ ） ， － ． (・: the middle dot some
     * input methods give) */
    static const uint32_t punct[] = {' ',    '(',    ')',    '&',    '-',    '.',
                                     ',',    0xB7,   0x30FB, 0x3001, 0x300A, 0x300B,
                                     0xFF06, 0xFF08, 0xFF09, 0xFF0C, 0xFF0D, 0xFF0E};
    size_t i;

    for (i = 0; i < sizeof(punct) / sizeof(punct[0]); i++)
        if (c == punct[i])
            return 1;
    return 0;
}

static int
org_alnum(uint32_t c)
{
    return is_cjk(c) || is_latin_letter(c) || (c < 0x80 && is_digit((char)c)) ||
           (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
           (c >= 0xFF41 && c <= 0xFF5A);
}

int
hall_valid_org_name_at(const char *in, const char **bad, size_t *badlen)
{
    const unsigned char *s;
    size_t len, i = 0, n, chars = 0;
    uint32_t c;

    if (bad != NULL)
        *bad = NULL;
    if (badlen != NULL)
        *badlen = 0;
    s = (const unsigned char *)hall_valid_trim(in, &len);
    while (i < len) {
        n = utf8_decode(s + i, len - i, &c);
        if (n == 0)
            return HALL_ERR;
        if (!org_alnum(c) && !org_punct(c)) {
            if (bad != NULL)
                *bad = (const char *)s + i;
            if (badlen != NULL)
                *badlen = n;
            return HALL_ERR;
        }
        /* an ideograph, a letter, a digit or an opening bracket first */
        if (chars == 0 && !org_alnum(c) && c != '(' && c != 0xFF08 && c != 0x300A)
            return HALL_ERR;
        i += n;
        if (++chars > 100)
            return HALL_ERR;
    }
    return chars >= 2 ? HALL_OK : HALL_ERR;
}

HALL_TESTABLE int
hall_valid_org_name(const char *in)
{
    return hall_valid_org_name_at(in, NULL, NULL);
}

/* ---- 开户网点 ------------------------------------------------------------ */

int
hall_valid_branch_name(const char *in)
{
    const unsigned char *s;
    size_t len, i = 0, n, chars = 0, cjk = 0;
    uint32_t c;

    s = (const unsigned char *)hall_valid_trim(in, &len);
    while (i < len) {
        int alnum;

        n = utf8_decode(s + i, len - i, &c);
        if (n == 0)
            return HALL_ERR;
        i += n;
        if (++chars > 60)
            return HALL_ERR;
        alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if (is_cjk(c))
            cjk++;
        else if (chars == 1 && !alnum)
            return HALL_ERR;
        else if (!alnum && c != 0xFF08 && c != 0xFF09 && c != '(' && c != ')' && c != 0x3001 &&
                 c != 0x00B7 && c != '-')
            return HALL_ERR;
    }
    return chars >= 4 && cjk >= 2 ? HALL_OK : HALL_ERR;
}

/* ---- the registry: route parameters and form fields ----------------------- */

static size_t
chars_of(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* a USCC as typed, without spaces and '-', upper case (an early Fujian
 * code, which hall_valid_uscc does not normalise as it returns HALL_ERR) */
static char *
uscc_compact(struct hall_pool *pool, const char *v)
{
    char *out = hall_palloc(pool, strlen(v) + 1), *o = out;

    for (; *v != '\0'; v++)
        if (*v != ' ' && *v != '-')
            *o++ = to_upper(*v);
    *o = '\0';
    return out;
}

/* a character that shows as itself where a message names it (ASCII,
 * Latin-1, punctuation, symbols, full-width forms, emoji); others (spaces,
 * controls, format and combining characters, scripts a name never has)
 * are not named */
static int
char_visible(uint32_t c)
{
    return (c > 0x20 && c < 0x7F) || (c > 0xA0 && c <= 0xFF && c != 0xAD) ||
           (c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205E) ||
           (c >= 0x2100 && c <= 0x2BFF) || (c >= 0x3001 && c <= 0x303F) ||
           (c >= 0xFF01 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFEE) ||
           (c >= 0x1F300 && c <= 0x1FAFF && (c < 0x1F3FB || c > 0x1F3FF));
}

#define FAIL(code, ...)                                                                            \
    do {                                                                                           \
        *msg = hall_msg_text(pool, HALL_M_##code, __VA_ARGS__);                                    \
        return HALL_ERR;                                                                           \
    } while (0)

/* a password: as typed, 8 to 64 characters with letters and digits */
static int
param_password(struct hall_pool *pool, const struct hall_pspec *spec, const char *raw,
               const char **out, const char **msg)
{
    const char *label = spec->label;
    /* passwords are not trimmed: use what the user typed */
    size_t n = raw != NULL ? strlen(raw) : 0;
    int letters = 0, digits = 0;
    const char *c;

    if (n == 0) {
        if (spec->flags & HALL_PF_OPTIONAL)
            return HALL_OK;
        FAIL(FIELD_REQUIRED, label);
    }
    if (hall_valid_utf8(raw, n) != HALL_OK)
        FAIL(FIELD_CHARS, label);
    for (c = raw; *c != '\0'; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
            letters = 1;
        else if (*c >= '0' && *c <= '9')
            digits = 1;
    }
    if (n < 8 || n > 64 || !letters || !digits)
        FAIL(FIELD_PASSWORD, label);
    *out = raw;
    return HALL_OK;
}

/* what every kind refuses in a trimmed value: control characters (and
 * tabs and angle brackets in plain text), a spreadsheet formula, more
 * characters than the maximum */
static int
param_chars(struct hall_pool *pool, const struct hall_pspec *spec, const char *v, const char **msg)
{
    const char *label = spec->label;
    const unsigned char *p;

    for (p = (const unsigned char *)v; *p != '\0'; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f ||
            ((spec->flags & HALL_PF_PLAIN) && (*p == '\t' || *p == '<' || *p == '>')))
            FAIL(FIELD_CHARS, label);
    /* free text a spreadsheet would run as a formula (=, +, -, @ first):
     * names and plain text end up in exports staff open in Excel */
    if ((spec->flags & HALL_PF_PLAIN || spec->type == HALL_P_ORG || spec->type == HALL_P_PERSON) &&
        strchr("=+-@", v[0]) != NULL)
        FAIL(FIELD_FORMULA, label);
    /* the length of what was typed (a number's maximum is its value) */
    if (spec->type != HALL_P_INT && spec->type != HALL_P_CHOICE && spec->max > 0 &&
        chars_of(v) > (size_t)spec->max)
        FAIL(FIELD_TOO_LONG, label, spec->max);
    return HALL_OK;
}

/* an organisation's name; the character refused named when a reader sees it */
static int
param_org(struct hall_pool *pool, const char *label, const char *v, const char **msg)
{
    const char *bad;
    size_t blen;
    uint32_t c;

    if (hall_valid_org_name_at(v, &bad, &blen) == HALL_OK)
        return HALL_OK;
    /* the character named when it is one a reader sees */
    if (bad != NULL && utf8_decode((const unsigned char *)bad, blen, &c) == blen && char_visible(c))
        FAIL(FIELD_ORG_CHAR, label, hall_pstrndup(pool, bad, blen));
    if (bad != NULL)
        FAIL(FIELD_CHARS, label);
    FAIL(FIELD_ORG, label);
}

/* a USCC or a taxpayer ID, normalised into *v; an early Fujian pilot code
 * (legally issued although its check character is wrong,
 * docs/internals/validate.md) accepted with a note for the reviewer */
static int
param_unit_code(struct hall_pool *pool, const struct hall_pspec *spec, const char **v,
                const char **note, const char **msg)
{
    const char *label = spec->label;
    char norm[48];
    int manual = 0;

    if (spec->type == HALL_P_USCC) {
        if (hall_valid_uscc(*v, norm, &manual) == HALL_OK) {
            *v = hall_pstrdup(pool, norm);
        } else if (manual) {
            *v = uscc_compact(pool, *v);
            *note = hall_msgs[HALL_M_USCC_REVIEW_NOTE].text;
        } else {
            FAIL(FIELD_USCC, label);
        }
        return HALL_OK;
    }
    if (hall_valid_taxid(*v, norm, sizeof(norm)) == HALL_OK) {
        *v = hall_pstrdup(pool, norm);
    } else if (hall_valid_uscc(*v, NULL, &manual) != HALL_OK && manual) {
        *v = uscc_compact(pool, *v); /* an early Fujian code, as for a USCC */
        *note = hall_msgs[HALL_M_USCC_REVIEW_NOTE].text;
    } else {
        FAIL(FIELD_TAXID, label);
    }
    return HALL_OK;
}

/* the kind's own rule on a trimmed value, normalised into *vp */
static int
param_kind(struct hall_pool *pool, const struct hall_pspec *spec, const char **vp,
           const char **note, const char **msg)
{
    const char *label = spec->label, *v = *vp;
    char norm[48];

    switch (spec->type) {
    case HALL_P_TEXT:
        if (spec->min > 0 && chars_of(v) < (size_t)spec->min)
            FAIL(FIELD_TOO_SHORT, label, spec->min);
        break;
    case HALL_P_INT: {
        char *end;
        long n;

        errno = 0;
        n = strtol(v, &end, 10);
        if (errno != 0 || *end != '\0' || end == v || n < spec->min || n > spec->max)
            FAIL(FIELD_INT, label, spec->min, spec->max);
        break;
    }
    case HALL_P_MOBILE:
        if (hall_valid_mobile(v, norm) != HALL_OK)
            FAIL(FIELD_MOBILE, label);
        v = hall_pstrdup(pool, norm);
        break;
    case HALL_P_SMSCODE:
        if (strlen(v) != 6 || strspn(v, "0123456789") != 6)
            FAIL(FIELD_SMSCODE, label);
        break;
    case HALL_P_PASSWORD: break; /* param_password */
    case HALL_P_CHOICE: {
        const char *const *c;

        for (c = spec->choices; c != NULL && *c != NULL; c++)
            if (strcmp(*c, v) == 0)
                break;
        if (c == NULL || *c == NULL)
            FAIL(FIELD_CHOICE, label);
        break;
    }
    case HALL_P_PERSON:
        if (hall_valid_person_name(v) != HALL_OK)
            FAIL(FIELD_PERSON, label);
        break;
    case HALL_P_ORG: return param_org(pool, label, v, msg);
    case HALL_P_USCC:
    case HALL_P_TAXID: return param_unit_code(pool, spec, vp, note, msg);
    case HALL_P_RIC:
        if (hall_valid_ric(v, norm) != HALL_OK)
            FAIL(FIELD_RIC, label);
        v = hall_pstrdup(pool, norm);
        break;
    case HALL_P_EMAIL:
        if (hall_valid_email(v) != HALL_OK)
            FAIL(FIELD_EMAIL, label);
        break;
    case HALL_P_POSTCODE:
        if (hall_valid_postcode(v) != HALL_OK)
            FAIL(FIELD_POSTCODE, label);
        break;
    case HALL_P_ACCOUNT:
        if (hall_valid_bank_account(v, norm, sizeof(norm)) != HALL_OK)
            FAIL(FIELD_ACCOUNT, label);
        v = hall_pstrdup(pool, norm);
        break;
    case HALL_P_BRANCH:
        if (hall_valid_branch_name(v) != HALL_OK)
            FAIL(FIELD_BRANCH, label);
        break;
    case HALL_P_CODE:
        if (strspn(v, "0123456789") != strlen(v))
            FAIL(FIELD_PICK, label);
        break;
    }
    *vp = v;
    return HALL_OK;
}

int
hall_param_check(struct hall_pool *pool, const struct hall_pspec *spec, const char *raw,
                 const char **out, const char **note, const char **msg)
{
    const char *label = spec->label;
    size_t tl;
    const char *t, *v;

    *note = NULL;
    *out = "";
    if (spec->type == HALL_P_PASSWORD)
        return param_password(pool, spec, raw, out, msg);
    t = hall_valid_trim(raw, &tl);
    if (tl == 0) {
        if (spec->flags & HALL_PF_OPTIONAL)
            return HALL_OK;
        FAIL(FIELD_REQUIRED, label);
    }
    if (hall_valid_utf8(raw, strlen(raw)) != HALL_OK)
        FAIL(FIELD_CHARS, label);
    v = hall_pstrndup(pool, t, tl);
    if (param_chars(pool, spec, v, msg) != HALL_OK ||
        param_kind(pool, spec, &v, note, msg) != HALL_OK)
        return HALL_ERR;
    *out = v;
    return HALL_OK;
}
