/*
 * core/web/validate.h: the checks of the fields applicants type in
 * (validate.c, docs/internals/validate.md).  Included by web.h, at its end.
 */
#ifndef HALL_WEB_VALIDATE_H
#define HALL_WEB_VALIDATE_H

/* ---- validate.c: the fields applicants type in ----------------------------
 *
 * Every function takes raw user input: it may be NULL and may carry
 * surrounding white space (ASCII white space and the ideographic space
 * U+3000 that Chinese input methods produce).  Each returns HALL_OK or
 * HALL_ERR and, where it has an output buffer, writes the normalised value
 * there (only on HALL_OK; on HALL_ERR the buffer holds "").  Functions
 * without an output buffer validate the trimmed text; the caller stores
 * the trimmed text (hall_valid_trim gives it).  No function logs anything:
 * the inputs are personal data.  Policies and their reasons:
 * docs/internals/validate.md.
 */

/* Pointer to the first non-space byte of in, and in *len the length up to
 * the last non-space byte.  NULL input gives "" with *len 0. */
const char *hall_valid_trim(const char *in, size_t *len);

/* 居民身份证号 (GB 11643), 18 characters, normalised with upper-case X.
 * Also 港澳台居民居住证 (81/82/83) and the 9-prefixed
 * 外国人永久居留身份证 (2023).  15-digit numbers are rejected. */
int hall_valid_ric(const char *in, char out[19]);

/* 统一社会信用代码 (GB 32100), normalised to upper case without spaces
 * and '-'.  *manual_review (may be NULL) is 1 only for the legally issued
 * early Fujian codes that fail the check character; the function still
 * returns HALL_ERR for them. */
int hall_valid_uscc(const char *in, char out[19], int *manual_review);

/* Longest input the forms take for a mobile number and a USCC (or a tax
 * ID): the validators remove prefixes and separators, so what a user types
 * ("0086-13812345678", "9 1 110000 600037341L") is longer than the value. */
#define HALL_VALID_MOBILE_INPUT_MAX 20
#define HALL_VALID_USCC_INPUT_MAX   30

/* mainland mobile number, optional +86 / 0086 / 86 prefix, to 11 digits */
int hall_valid_mobile(const char *in, char out[12]);

/* pragmatic e-mail address check, ASCII only (IDN domains as punycode) */
int hall_valid_email(const char *in);

/* 纳税人识别号: a USCC, an 18-char RIC, or a legacy 15/17/20-character
 * number; normalised to upper case.  cap >= 21 always suffices. */
int hall_valid_taxid(const char *in, char *out, size_t cap);

/* 对公账号: 8-32 digits once spaces and '-' are removed; no Luhn */
int hall_valid_bank_account(const char *in, char *out, size_t cap);

/* 邮政编码: 6 digits, the first 0-8 */
int hall_valid_postcode(const char *in);

/* 姓名: 2-30 characters of CJK ideographs, Latin letters, inner '·' (U+00B7)
 * and inner spaces */
int hall_valid_person_name(const char *in);

/* 机构名称 as registered names are written (营业执照, 登记证书): 2-100
 * characters of CJK ideographs, Latin letters and digits (half- and
 * full-width), brackets ()（）《》 and the punctuation space . , & - · ・ 、
 * ＆ ， － ．; it begins with an ideograph, a letter, a digit or an opening
 * bracket.  No quote, apostrophe, brace, angle bracket, backslash, slash,
 * symbol, control or invisible character (the name goes into a
 * certificate's subject).  hall_valid_org_name_at gives in *bad (may be
 * NULL) the first character refused, *badlen its bytes; *bad is NULL when
 * the fault is the length, the first character's kind or bad UTF-8 (the
 * hall calls the _at form; hall_valid_org_name, its yes or no, is a test's) */
#ifdef HALL_UNITTEST
int hall_valid_org_name(const char *in);
#endif
int hall_valid_org_name_at(const char *in, const char **bad, size_t *badlen);

/* 开户网点 as the account papers name it (汕头分行营业部, 中国工商银行股份有限
 * 公司揭阳榕城支行): 4-60 characters, at least two CJK ideographs; CJK,
 * Latin letters, digits, brackets （）() and 、·-; it begins with an
 * ideograph, a letter or a digit (never =, +, -, @: a spreadsheet formula) */
int hall_valid_branch_name(const char *in);

/* well-formed UTF-8: no overlongs, no surrogates, nothing above U+10FFFF */
int hall_valid_utf8(const char *s, size_t len);

#ifdef HALL_UNITTEST
/* the RIC check against a given "today" (yyyymmdd, China time) */
int hall_valid_ric_at(const char *in, char out[19], long today);
#endif

#endif
