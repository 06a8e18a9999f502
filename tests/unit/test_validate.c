/*
 * Unit tests for core/web/validate.c.
 *
 * The vector tests read tests/data/vectors/ (public test values of other
 * validators, see its README.md) from $HALL_TEST_DATA, default
 * "$srcdir/tests/data".  Each row must get the verdict of its `valid`
 * column, except the rows listed below in *_policy[] where our documented
 * policy deliberately differs; every listed row must exist in the file.
 * A missing or unreadable file fails the test.
 *
 * The values printed on failure are public test vectors, not personal data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hall.h"

/* ---- vector files -------------------------------------------------------- */

#define MAX_ROWS 512
#define MAX_COLS 10

struct row {
    int line;
    char *col[MAX_COLS]; /* value, valid, source, note, detail columns... */
    int ncols;
};

struct vecfile {
    char *text;
    struct row rows[MAX_ROWS];
    int nrows;
};

/* a row where our policy deliberately differs from the source's verdict */
struct policy {
    const char *value;
    int accept; /* our verdict */
    const char *reason;
};

static const struct policy ric_policy[] = {
    /* 15-digit first-generation cards expired on 2013-01-01 */
    {"110101491001001", 0, "15-digit first-generation number"},
    {"610104620927690", 0, "15-digit first-generation number"},
    {"150102880730303", 0, "15-digit first-generation number"},
    {"111111111111111", 0, "15-digit first-generation number"},
    {"410001910101123", 0, "15-digit first-generation number"},
    {"110101781027002", 0, "15-digit first-generation number"},
    {"330105781027002", 0, "15-digit first-generation number"},
    {"U193683453", 0, "10-character HK/Macau/Taiwan card, not a mainland 18-char number"},
    /* province code checked against the real list */
    {"486268198802140611", 0, "province 48 does not exist (source had region check off)"},
    {"387908198001010226", 0, "province 38 does not exist (source had region check off)"},
    {"38064219921117061X", 0, "province 38 does not exist (source had region check off)"},
    {"100000199005030327", 0, "province 10 does not exist (source had region check off)"},
    {"440524188001010014", 0, "born 1880: birth dates before 1900 are rejected"},
    /* we check the province, not the county against the year of birth */
    {"110111198012010078", 1, "county/year check is python-stdnum's only; province 11 is real"},
    {"110201199312010077", 1, "county/year check is python-stdnum's only; province 11 is real"},
    {NULL, 0, NULL},
};

static const struct policy uscc_policy[] = {
    {NULL, 0, NULL},
};

static const struct policy mobile_policy[] = {
    {"92138389438", 0, "92x is not an allocated mobile segment (1[3-9] only)"},
    {"+8692138389438", 0, "92x is not an allocated mobile segment (1[3-9] only)"},
    {"008692138389438", 0, "92x is not an allocated mobile segment (1[3-9] only)"},
    {"98199649964", 0, "98x is not an allocated mobile segment (1[3-9] only)"},
    {"+8698099649964", 0, "98x is not an allocated mobile segment (1[3-9] only)"},
    {"008698099649964", 0, "98x is not an allocated mobile segment (1[3-9] only)"},
    {"015100221432", 0, "leading 0 is a dialling prefix, not part of the number"},
    {"013474937629", 0, "leading 0 is a dialling prefix, not part of the number"},
    {"013574937629", 0, "leading 0 is a dialling prefix, not part of the number"},
    {"013674937629", 0, "leading 0 is a dialling prefix, not part of the number"},
    {"1795113474937629", 0, "17951 is an IP dialling prefix, not part of the number"},
    {"1795113574937629", 0, "17951 is an IP dialling prefix, not part of the number"},
    {"1795113674937629", 0, "17951 is an IP dialling prefix, not part of the number"},
    {"+86-13838389438", 1, "one space or '-' after the country code is accepted"},
    {"0086-13811211114", 1, "one space or '-' after the country code is accepted"},
    {NULL, 0, NULL},
};

static const char *
data_dir(void)
{
    static char buf[4096];
    const char *d = getenv("HALL_TEST_DATA");
    const char *src;

    if (d != NULL && d[0] != '\0')
        return d;
    src = getenv("srcdir");
    snprintf(buf, sizeof(buf), "%s/tests/data", src != NULL && src[0] != '\0' ? src : ".");
    return buf;
}

/* loads dir/vectors/name; a missing, empty or malformed file fails the test */
static void
vec_load(struct vecfile *vf, const char *name)
{
    char path[4200];
    FILE *f;
    long size;
    char *p, *nl;
    int line = 0;

    memset(vf, 0, sizeof(*vf));
    snprintf(path, sizeof(path), "%s/vectors/%s", data_dir(), name);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open vectors file %s (set HALL_TEST_DATA)", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size > 0);
    rewind(f);
    vf->text = malloc((size_t)size + 1);
    assert_non_null(vf->text);
    assert_int_equal(fread(vf->text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    vf->text[size] = '\0';

    for (p = vf->text; *p != '\0'; p = nl + 1) {
        struct row *r;
        char *c;

        nl = strchr(p, '\n');
        if (nl == NULL)
            nl = p + strlen(p) - 1; /* last line without newline */
        else
            *nl = '\0';
        line++;
        if (line == 1) {
            if (strncmp(p, "value\tvalid\t", 12) != 0)
                fail_msg("%s: unexpected header", path);
            continue;
        }
        if (vf->nrows == MAX_ROWS)
            fail_msg("%s: more than %d rows", path, MAX_ROWS);
        r = &vf->rows[vf->nrows++];
        r->line = line;
        /* values are not trimmed: split on tabs only */
        for (c = p; r->ncols < MAX_COLS;) {
            char *tab = strchr(c, '\t');

            r->col[r->ncols++] = c;
            if (tab == NULL)
                break;
            *tab = '\0';
            c = tab + 1;
        }
        if (r->ncols < 2 || (strcmp(r->col[1], "0") != 0 && strcmp(r->col[1], "1") != 0))
            fail_msg("%s:%d: malformed row", path, line);
        if (nl[1] == '\0')
            break;
    }
    if (vf->nrows < 10)
        fail_msg("%s: only %d rows", path, vf->nrows);
}

static const struct policy *
policy_find(const struct policy *pol, const char *value)
{
    for (; pol->value != NULL; pol++)
        if (strcmp(pol->value, value) == 0)
            return pol;
    return NULL;
}

/*
 * Checks every row of one file against check(); returns nothing, fails the
 * test after printing every mismatch.
 */
static void
vec_check(const char *name, const struct policy *pol, int (*check)(const char *, void *), void *ctx)
{
    struct vecfile *vf = malloc(sizeof(*vf));
    const struct policy *p;
    int i, bad = 0, used[64] = {0};
    size_t npol = 0;

    assert_non_null(vf);
    vec_load(vf, name);
    while (pol[npol].value != NULL)
        npol++;
    assert_true(npol <= 64);

    for (i = 0; i < vf->nrows; i++) {
        const struct row *r = &vf->rows[i];
        int want = r->col[1][0] == '1';
        int got;

        p = policy_find(pol, r->col[0]);
        if (p != NULL) {
            used[p - pol] = 1;
            if (p->accept == want) {
                print_error("# %s:%d: policy entry '%s' agrees with the source; remove it\n", name,
                            r->line, p->value);
                bad++;
            }
            want = p->accept;
        }
        got = check(r->col[0], ctx) == HALL_OK;
        if (got != want) {
            print_error("# %s:%d: '%s' expected %s, got %s (note: %s)\n", name, r->line, r->col[0],
                        want ? "accept" : "reject", got ? "accept" : "reject",
                        r->ncols > 3 ? r->col[3] : "");
            bad++;
        }
    }
    for (i = 0; i < (int)npol; i++) {
        if (!used[i]) {
            print_error("# %s: policy entry '%s' not found in the file\n", name, pol[i].value);
            bad++;
        }
    }
    free(vf->text);
    free(vf);
    if (bad > 0)
        fail_msg("%s: %d mismatches", name, bad);
}

static int
check_ric(const char *v, void *ctx)
{
    char out[19];

    (void)ctx;
    return hall_valid_ric(v, out);
}

static int
check_uscc(const char *v, void *ctx)
{
    char out[19];
    int review = -1;
    int rc = hall_valid_uscc(v, out, &review);

    (void)ctx;
    /* the manual-review flag is set exactly for the four pilot codes */
    if (review !=
        (strstr(v, "91350211M0000XUF46") != NULL || strstr(v, "91350100M0001TGQXM") != NULL ||
         strstr(v, "91350203M0001FUE2P") != NULL || strstr(v, "91350211M00013FA1N") != NULL)) {
        print_error("# '%s': manual_review=%d\n", v, review);
        return rc == HALL_OK ? HALL_ERR : HALL_OK; /* force a mismatch */
    }
    return rc;
}

static int
check_mobile(const char *v, void *ctx)
{
    char out[12];

    (void)ctx;
    return hall_valid_mobile(v, out);
}

static void
validate_vectors__ric_files__match_policy(void **state)
{
    (void)state;
    vec_check("cn_ric.tsv", ric_policy, check_ric, NULL);
    vec_check("cn_ric_detail.tsv", ric_policy, check_ric, NULL);
}

static void
validate_vectors__uscc_files__match_policy_and_flag_fujian_pilot(void **state)
{
    (void)state;
    vec_check("cn_uscc.tsv", uscc_policy, check_uscc, NULL);
    vec_check("cn_uscc_detail.tsv", uscc_policy, check_uscc, NULL);
}

static void
validate_vectors__mobile_files__match_policy(void **state)
{
    (void)state;
    vec_check("cn_mobile.tsv", mobile_policy, check_mobile, NULL);
    vec_check("cn_mobile_detail.tsv", mobile_policy, check_mobile, NULL);
}

/*
 * Every value the validators accept (or send to manual review) fits the
 * form's input: issue 7 found "+86 138..." and "0086-138..." refused by a
 * 14-character limit checked before the validator could normalise them.
 */
static void
vec_fit(const char *name, int uscc, size_t max)
{
    struct vecfile *vf = malloc(sizeof(*vf));
    char out[19];
    int i, bad = 0, review, taken = 0;

    assert_non_null(vf);
    vec_load(vf, name);
    for (i = 0; i < vf->nrows; i++) {
        const char *v = vf->rows[i].col[0];
        int ok;

        review = 0;
        ok = uscc ? hall_valid_uscc(v, out, &review) == HALL_OK || review
                  : hall_valid_mobile(v, out) == HALL_OK;
        if (!ok)
            continue;
        taken++;
        if (strlen(v) > max) {
            print_error("# %s:%d: '%s' is accepted but longer than the form's %zu\n", name,
                        vf->rows[i].line, v, max);
            bad++;
        }
    }
    free(vf->text);
    free(vf);
    assert_true(taken >= 10);
    if (bad > 0)
        fail_msg("%s: %d accepted values do not fit the form", name, bad);
}

static void
validate_vectors__accepted_values__fit_the_form_inputs(void **state)
{
    (void)state;
    vec_fit("cn_mobile.tsv", 0, HALL_VALID_MOBILE_INPUT_MAX);
    vec_fit("cn_uscc.tsv", 1, HALL_VALID_USCC_INPUT_MAX);
    /* the longest documented forms */
    assert_true(strlen("0086-13812345678") <= HALL_VALID_MOBILE_INPUT_MAX);
    assert_true(strlen("9 1 110000 600037341L") <= HALL_VALID_USCC_INPUT_MAX);
}

/*
 * The detail file's computed columns say why a row passes: for 18-char
 * numbers we accept exactly checksum && date && province, except the
 * pre-1900 birth date.
 */
static void
validate_vectors__ric_detail_columns__agree_with_verdict(void **state)
{
    struct vecfile *vf = malloc(sizeof(*vf));
    int i, bad = 0;

    (void)state;
    assert_non_null(vf);
    vec_load(vf, "cn_ric_detail.tsv");
    for (i = 0; i < vf->nrows; i++) {
        const struct row *r = &vf->rows[i];
        int want, got;

        assert_true(r->ncols >= 8);
        if (strcmp(r->col[4], "18") != 0 || strcmp(r->col[5], "NA") == 0)
            continue;
        want = strcmp(r->col[5], "1") == 0 && strcmp(r->col[6], "1") == 0 &&
               strcmp(r->col[7], "1") == 0 && strncmp(r->col[0] + 6, "18", 2) != 0;
        got = hall_valid_ric(r->col[0], NULL) == HALL_OK;
        if (got != want) {
            print_error("# cn_ric_detail.tsv:%d: '%s' computed columns say %d, got %d\n", r->line,
                        r->col[0], want, got);
            bad++;
        }
    }
    free(vf->text);
    free(vf);
    assert_int_equal(bad, 0);
}

/* ---- helpers for constructed numbers ------------------------------------- */

/* independent ISO 7064 MOD 11-2, to build numbers the validator must judge */
static void
ric_complete(const char *prefix17, char out[19])
{
    int i, sum = 0, w = 1;

    /* weight of position i is 2^(17-i) mod 11: build them from the right */
    for (i = 16; i >= 0; i--) {
        w = w * 2 % 11;
        assert_true(prefix17[i] >= '0' && prefix17[i] <= '9');
        sum += (prefix17[i] - '0') * w;
    }
    memcpy(out, prefix17, 17);
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

/* independent GB 32100 check character, to build codes with odd prefixes */
static void
uscc_complete(const char *prefix17, char out[19])
{
    static const char alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    int i, sum = 0, w = 1;

    for (i = 0; i < 17; i++) {
        const char *p = strchr(alpha, prefix17[i]);

        assert_non_null(p);
        sum += (int)(p - alpha) * w;
        w = w * 3 % 31;
    }
    memcpy(out, prefix17, 17);
    out[17] = alpha[(31 - sum % 31) % 31];
    out[18] = '\0';
}

/* ---- 居民身份证号 --------------------------------------------------------- */

static void
validate_ric__gb11643_example__accepted_and_copied(void **state)
{
    char out[19];

    (void)state;
    assert_int_equal(hall_valid_ric("11010519491231002X", out), HALL_OK);
    assert_string_equal(out, "11010519491231002X");
    assert_int_equal(hall_valid_ric("110101199003078670", NULL), HALL_OK);
}

static void
validate_ric__bad_check_digit__rejected(void **state)
{
    char out[19] = "garbage";

    (void)state;
    assert_int_equal(hall_valid_ric("110101199003078671", out), HALL_ERR);
    assert_string_equal(out, "");
    assert_int_equal(hall_valid_ric("11010519491231002Y", out), HALL_ERR);
    assert_int_equal(hall_valid_ric("11010519491231002", out), HALL_ERR);
    assert_int_equal(hall_valid_ric("11010519491231002XX", out), HALL_ERR);
}

static void
validate_ric__lower_case_x__normalised_to_upper(void **state)
{
    char out[19];

    (void)state;
    assert_int_equal(hall_valid_ric("11010519491231002x", out), HALL_OK);
    assert_string_equal(out, "11010519491231002X");
}

static void
validate_ric__fifteen_digit_first_generation__rejected(void **state)
{
    (void)state;
    /* valid first-generation numbers; the cards expired on 2013-01-01 */
    assert_int_equal(hall_valid_ric("610104620927690", NULL), HALL_ERR);
    assert_int_equal(hall_valid_ric("110101491001001", NULL), HALL_ERR);
}

static void
validate_ric__surrounding_spaces__trimmed_inner_space__rejected(void **state)
{
    char out[19];

    (void)state;
    assert_int_equal(hall_valid_ric("  11010519491231002x \t", out), HALL_OK);
    assert_string_equal(out, "11010519491231002X");
    /* U+3000 ideographic space from Chinese input methods */
    assert_int_equal(hall_valid_ric("\xe3\x80\x80"
                                    "11010519491231002X"
                                    "\xe3\x80\x80",
                                    out),
                     HALL_OK);
    assert_string_equal(out, "11010519491231002X");
    assert_int_equal(hall_valid_ric("110105 19491231002X", out), HALL_ERR);
    assert_int_equal(hall_valid_ric("110105194912 31002X", out), HALL_ERR);
    assert_int_equal(hall_valid_ric("110105-19491231002X", out), HALL_ERR);
}

static void
validate_ric__null_empty_and_spaces__rejected(void **state)
{
    char out[19] = "x";

    (void)state;
    assert_int_equal(hall_valid_ric(NULL, out), HALL_ERR);
    assert_string_equal(out, "");
    assert_int_equal(hall_valid_ric("", out), HALL_ERR);
    assert_int_equal(hall_valid_ric("   ", out), HALL_ERR);
}

static void
validate_ric__hk_macau_taiwan_permits__accepted(void **state)
{
    char out[19], id[19];

    (void)state;
    assert_int_equal(hall_valid_ric("81000019980902013X", out), HALL_OK);
    assert_int_equal(hall_valid_ric("820000200009100032", out), HALL_OK);
    assert_int_equal(hall_valid_ric("830000200209060065", out), HALL_OK);
    /* permits carry exactly 810000/820000/830000; 84 is no permit code */
    ric_complete("81010019980902013", id);
    assert_int_equal(hall_valid_ric(id, out), HALL_ERR);
    ric_complete("84000019980902013", id);
    assert_int_equal(hall_valid_ric(id, out), HALL_ERR);
}

static void
validate_ric__foreigner_permanent_residence_9_prefix__accepted(void **state)
{
    char out[19], id[19];

    (void)state;
    assert_int_equal(hall_valid_ric("932682198501010017", out), HALL_OK);
    assert_string_equal(out, "932682198501010017");
    /* checksum and date still apply */
    assert_int_equal(hall_valid_ric("932682198501010018", out), HALL_ERR);
    ric_complete("93268219850230001", id);
    assert_int_equal(hall_valid_ric(id, out), HALL_ERR);
    /* digits 2-3 name the issuing province: 99 is none */
    ric_complete("99268219850101001", id);
    assert_int_equal(hall_valid_ric(id, out), HALL_ERR);
}

static void
validate_ric__unknown_province__rejected(void **state)
{
    char id[19];

    (void)state;
    ric_complete("16032319780605885", id);
    assert_int_equal(hall_valid_ric(id, NULL), HALL_ERR);
    ric_complete("71000019780605885", id); /* Taiwan: 83 permits instead */
    assert_int_equal(hall_valid_ric(id, NULL), HALL_ERR);
    ric_complete("65010219780605885", id); /* 新疆 */
    assert_int_equal(hall_valid_ric(id, NULL), HALL_OK);
}

static void
validate_ric__birth_date__real_calendar_date_from_1900(void **state)
{
    char id[19];

    (void)state;
    ric_complete("11010519000101002", id);
    assert_int_equal(hall_valid_ric(id, NULL), HALL_OK);
    ric_complete("11010518991231002", id);
    assert_int_equal(hall_valid_ric(id, NULL), HALL_ERR);
    /* leap years: 2000 yes, 1900 no; month 13, day 0, April 31 */
    ric_complete("11010520000229002", id);
    assert_int_equal(hall_valid_ric(id, NULL), HALL_OK);
    ric_complete("11010519000229002", id);
    assert_int_equal(hall_valid_ric(id, NULL), HALL_ERR);
    ric_complete("11010519901301002", id);
    assert_int_equal(hall_valid_ric(id, NULL), HALL_ERR);
    ric_complete("11010519900100002", id);
    assert_int_equal(hall_valid_ric(id, NULL), HALL_ERR);
    ric_complete("11010519900431002", id);
    assert_int_equal(hall_valid_ric(id, NULL), HALL_ERR);
}

/* yyyymmdd in China (UTC+8) days_ahead days from now */
static void
china_date(int days_ahead, char out[9])
{
    time_t t = time(NULL) + 8 * 3600 + (time_t)days_ahead * 86400;
    struct tm tm;

    assert_non_null(gmtime_r(&t, &tm));
    assert_int_equal(strftime(out, 9, "%Y%m%d", &tm), 8);
}

static void
validate_ric__birth_date_after_today_in_china__rejected(void **state)
{
    char before[9], after[9], prefix[18], id[19];
    int try;

    (void)state;
    /* redo once if the China date changed while we ran (midnight) */
    for (try = 0; try < 2; try++) {
        int ok_today, ok_tomorrow;

        china_date(0, before);
        snprintf(prefix, sizeof(prefix), "110105%s002", before);
        ric_complete(prefix, id);
        ok_today = hall_valid_ric(id, NULL);
        china_date(1, after);
        snprintf(prefix, sizeof(prefix), "110105%s002", after);
        ric_complete(prefix, id);
        ok_tomorrow = hall_valid_ric(id, NULL);
        china_date(0, after);
        if (strcmp(before, after) != 0)
            continue;
        assert_int_equal(ok_today, HALL_OK);
        assert_int_equal(ok_tomorrow, HALL_ERR);
        return;
    }
    fail_msg("clock unstable");
}

/* ---- 统一社会信用代码 ----------------------------------------------------- */

static void
validate_uscc__spaces_dashes_lower_case__normalised(void **state)
{
    char out[19];
    int review = -1;

    (void)state;
    assert_int_equal(hall_valid_uscc(" 9 1 110000-600037341l ", out, &review), HALL_OK);
    assert_string_equal(out, "91110000600037341L");
    assert_int_equal(review, 0);
    assert_int_equal(hall_valid_uscc("91350100M000100Y43", NULL, NULL), HALL_OK);
}

static void
validate_uscc__bad_check_char__rejected_without_review(void **state)
{
    char out[19] = "x";
    int review = -1;

    (void)state;
    assert_int_equal(hall_valid_uscc("91110000600037342L", out, &review), HALL_ERR);
    assert_int_equal(review, 0);
    assert_string_equal(out, "");
    assert_int_equal(hall_valid_uscc(NULL, out, &review), HALL_ERR);
    assert_int_equal(review, 0);
}

static void
validate_uscc__fujian_pilot_codes__error_with_manual_review(void **state)
{
    static const char *const codes[] = {"91350211M0000XUF46", "91350100M0001TGQXM",
                                        "91350203M0001FUE2P", "91350211m00013fa1n"};
    char out[19];
    int review, i;

    (void)state;
    for (i = 0; i < 4; i++) {
        review = 0;
        assert_int_equal(hall_valid_uscc(codes[i], out, &review), HALL_ERR);
        assert_int_equal(review, 1);
        assert_string_equal(out, "");
    }
    /* a neighbour of a pilot code is an ordinary failure */
    review = -1;
    assert_int_equal(hall_valid_uscc("91350211M0000XUF47", out, &review), HALL_ERR);
    assert_int_equal(review, 0);
}

static void
validate_uscc__forbidden_letters_and_length__rejected(void **state)
{
    char code[19];

    (void)state;
    assert_int_equal(hall_valid_uscc("9111000060003IOZSV", NULL, NULL), HALL_ERR);
    assert_int_equal(hall_valid_uscc("9111000060003734OL", NULL, NULL), HALL_ERR);
    assert_int_equal(hall_valid_uscc("91110000600037341", NULL, NULL), HALL_ERR);
    assert_int_equal(hall_valid_uscc("91110000600037341L0", NULL, NULL), HALL_ERR);
    assert_int_equal(hall_valid_uscc("91110000600037341L*", NULL, NULL), HALL_ERR);
    uscc_complete("9111000060003734L", code);
    assert_int_equal(hall_valid_uscc(code, NULL, NULL), HALL_OK);
}

static void
validate_uscc__authority_type_and_region__checked(void **state)
{
    char code[19];

    (void)state;
    uscc_complete("9411000060003734L", code); /* 工商 has no category 4 */
    assert_int_equal(hall_valid_uscc(code, NULL, NULL), HALL_ERR);
    uscc_complete("B111000060003734L", code); /* no authority B */
    assert_int_equal(hall_valid_uscc(code, NULL, NULL), HALL_ERR);
    uscc_complete("N211000060003734L", code); /* 农村集体经济组织 */
    assert_int_equal(hall_valid_uscc(code, NULL, NULL), HALL_OK);
    uscc_complete("1110000000001313L", code); /* central organ, 100000 */
    assert_int_equal(hall_valid_uscc(code, NULL, NULL), HALL_OK);
    uscc_complete("9188010660003734L", code); /* region 88xxxx */
    assert_int_equal(hall_valid_uscc(code, NULL, NULL), HALL_ERR);
    uscc_complete("9111A00060003734L", code); /* region not digits */
    assert_int_equal(hall_valid_uscc(code, NULL, NULL), HALL_ERR);
}

/* ---- mobile --------------------------------------------------------------- */

static void
validate_mobile__bare_11_digits__accepted(void **state)
{
    char out[12];

    (void)state;
    assert_int_equal(hall_valid_mobile(" 13812345678 ", out), HALL_OK);
    assert_string_equal(out, "13812345678");
    assert_int_equal(hall_valid_mobile("19912345678", out), HALL_OK);
}

static void
validate_mobile__country_code_prefixes__normalised(void **state)
{
    static const char *const in[] = {"+8613812345678",  "+86 13812345678",  "+86-13812345678",
                                     "008613812345678", "0086 13812345678", "0086-13812345678",
                                     "8613812345678",   "86 13812345678",   "86-13812345678"};
    char out[12];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        assert_int_equal(hall_valid_mobile(in[i], out), HALL_OK);
        assert_string_equal(out, "13812345678");
    }
}

static void
validate_mobile__dialling_prefixes_0_and_17951__rejected(void **state)
{
    char out[12] = "x";

    (void)state;
    assert_int_equal(hall_valid_mobile("013812345678", out), HALL_ERR);
    assert_string_equal(out, "");
    assert_int_equal(hall_valid_mobile("1795113812345678", out), HALL_ERR);
    assert_int_equal(hall_valid_mobile("17951 13812345678", out), HALL_ERR);
}

static void
validate_mobile__segments_outside_1_3_to_9__rejected(void **state)
{
    (void)state;
    assert_int_equal(hall_valid_mobile("92138389438", NULL), HALL_ERR);
    assert_int_equal(hall_valid_mobile("98199649964", NULL), HALL_ERR);
    assert_int_equal(hall_valid_mobile("12038389438", NULL), HALL_ERR);
    assert_int_equal(hall_valid_mobile("11000000000", NULL), HALL_ERR);
}

static void
validate_mobile__inner_spaces_and_bad_prefix_forms__rejected(void **state)
{
    (void)state;
    assert_int_equal(hall_valid_mobile("138 1234 5678", NULL), HALL_ERR);
    assert_int_equal(hall_valid_mobile("+86  13812345678", NULL), HALL_ERR);
    assert_int_equal(hall_valid_mobile("+86- 13812345678", NULL), HALL_ERR);
    assert_int_equal(hall_valid_mobile("+08613812345678", NULL), HALL_ERR);
    assert_int_equal(hall_valid_mobile("86", NULL), HALL_ERR);
    assert_int_equal(hall_valid_mobile("+86", NULL), HALL_ERR);
    assert_int_equal(hall_valid_mobile(NULL, NULL), HALL_ERR);
    assert_int_equal(hall_valid_mobile("1381234567x", NULL), HALL_ERR);
}

/* ---- e-mail --------------------------------------------------------------- */

static void
validate_email__ordinary_addresses__accepted(void **state)
{
    (void)state;
    assert_int_equal(hall_valid_email("zhang.san@example.com"), HALL_OK);
    assert_int_equal(hall_valid_email(" finance+invoice@mail.example.com.cn "), HALL_OK);
    assert_int_equal(hall_valid_email("12345678@qq.com"), HALL_OK);
    assert_int_equal(hall_valid_email("a_b-c@sub-domain.example.xn--fiqs8s"), HALL_OK);
}

static void
validate_email__malformed__rejected(void **state)
{
    static const char *const bad[] = {
        "plainaddress",
        "@example.com",
        "user@",
        "user@@example.com",
        "a@b@example.com",
        "user@example",
        "user@.example.com",
        "user@example..com",
        "user@-example.com",
        "user@example-.com",
        "user@example.c",
        "user@example.c0m",
        ".user@example.com",
        "user.@example.com",
        "us..er@example.com",
        "us er@example.com",
        "user@exa mple.com",
        "user@example.com.",
        "\xe5\xbc\xa0@example.com",
        "user@例子.com",
        "user<x>@example.com",
        "",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (hall_valid_email(bad[i]) != HALL_ERR)
            fail_msg("accepted '%s'", bad[i]);
    }
    assert_int_equal(hall_valid_email(NULL), HALL_ERR);
}

static void
validate_email__length_limits__enforced(void **state)
{
    char buf[400];

    (void)state;
    /* local part at most 64 */
    memset(buf, 'a', 64);
    strcpy(buf + 64, "@example.com");
    assert_int_equal(hall_valid_email(buf), HALL_OK);
    memset(buf, 'a', 65);
    strcpy(buf + 65, "@example.com");
    assert_int_equal(hall_valid_email(buf), HALL_ERR);
    /* label at most 63 */
    strcpy(buf, "u@");
    memset(buf + 2, 'b', 63);
    strcpy(buf + 65, ".com");
    assert_int_equal(hall_valid_email(buf), HALL_OK);
    memset(buf + 2, 'b', 64);
    strcpy(buf + 66, ".com");
    assert_int_equal(hall_valid_email(buf), HALL_ERR);
    /* whole address at most 254: u@ + 4 labels of 61 + ".com" */
    strcpy(buf, "u@");
    for (int i = 0; i < 4; i++) {
        memset(buf + 2 + i * 62, 'c', 61);
        buf[2 + i * 62 + 61] = '.';
    }
    strcpy(buf + 2 + 4 * 62, "com");
    assert_int_equal(strlen(buf), 253);
    assert_int_equal(hall_valid_email(buf), HALL_OK);
    memmove(buf + 1, buf, strlen(buf) + 1); /* "uu@..." 254 */
    assert_int_equal(hall_valid_email(buf), HALL_OK);
    memmove(buf + 1, buf, strlen(buf) + 1); /* 255 */
    assert_int_equal(hall_valid_email(buf), HALL_ERR);
}

/* ---- 纳税人识别号 --------------------------------------------------------- */

static void
validate_taxid__uscc_and_ric__accepted_normalised(void **state)
{
    char out[21];

    (void)state;
    assert_int_equal(hall_valid_taxid(" 91110000-600037341l ", out, sizeof(out)), HALL_OK);
    assert_string_equal(out, "91110000600037341L");
    assert_int_equal(hall_valid_taxid("11010519491231002x", out, sizeof(out)), HALL_OK);
    assert_string_equal(out, "11010519491231002X");
}

static void
validate_taxid__legacy_lengths__accepted_others_rejected(void **state)
{
    char out[21] = "x";

    (void)state;
    assert_int_equal(hall_valid_taxid("440301192203821", out, sizeof(out)), HALL_OK);
    assert_int_equal(hall_valid_taxid("44030171526726x", out, sizeof(out)), HALL_OK);
    assert_string_equal(out, "44030171526726X");
    assert_int_equal(hall_valid_taxid("61010462092769001", out, sizeof(out)), HALL_OK);
    assert_int_equal(hall_valid_taxid("11010519491231002X01", out, sizeof(out)), HALL_OK);
    /* 16 and 19 characters, punctuation, empty */
    assert_int_equal(hall_valid_taxid("4403011922038211", out, sizeof(out)), HALL_ERR);
    assert_string_equal(out, "");
    assert_int_equal(hall_valid_taxid("4403011922038211234", out, sizeof(out)), HALL_ERR);
    assert_int_equal(hall_valid_taxid("44030119220382*", out, sizeof(out)), HALL_ERR);
    assert_int_equal(hall_valid_taxid(NULL, out, sizeof(out)), HALL_ERR);
    /* 18 characters must be a valid USCC or RIC: a mistyped USCC fails */
    assert_int_equal(hall_valid_taxid("91110000600037342L", out, sizeof(out)), HALL_ERR);
    assert_int_equal(hall_valid_taxid("91350211M0000XUF46", out, sizeof(out)), HALL_ERR);
}

static void
validate_taxid__small_buffer__rejected(void **state)
{
    char out[18] = "x";

    (void)state;
    assert_int_equal(hall_valid_taxid("91110000600037341L", out, sizeof(out)), HALL_ERR);
    assert_string_equal(out, "");
    assert_int_equal(hall_valid_taxid("91110000600037341L", NULL, 0), HALL_OK);
}

/* ---- 对公账号 ------------------------------------------------------------- */

static void
validate_bank_account__digits_8_to_32_no_luhn(void **state)
{
    char out[33];

    (void)state;
    assert_int_equal(hall_valid_bank_account(" 1100 1234-5678 9012 ", out, sizeof(out)), HALL_OK);
    assert_string_equal(out, "1100123456789012");
    /* fails Luhn, still accepted: corporate accounts carry no Luhn digit */
    assert_int_equal(hall_valid_bank_account("12345678", out, sizeof(out)), HALL_OK);
    assert_int_equal(hall_valid_bank_account("1234567", out, sizeof(out)), HALL_ERR);
    assert_string_equal(out, "");
    assert_int_equal(hall_valid_bank_account("12345678901234567890123456789012", out, sizeof(out)),
                     HALL_OK);
    assert_int_equal(hall_valid_bank_account("123456789012345678901234567890123", out, sizeof(out)),
                     HALL_ERR);
    assert_int_equal(hall_valid_bank_account("1234567A", out, sizeof(out)), HALL_ERR);
    assert_int_equal(hall_valid_bank_account("1234.5678", out, sizeof(out)), HALL_ERR);
    assert_int_equal(hall_valid_bank_account(NULL, out, sizeof(out)), HALL_ERR);
    assert_int_equal(hall_valid_bank_account("123456789", out, 9), HALL_ERR);
    assert_int_equal(hall_valid_bank_account("123456789", out, 10), HALL_OK);
}

/* ---- 邮政编码 ------------------------------------------------------------- */

static void
validate_postcode__six_digits_first_0_to_8(void **state)
{
    (void)state;
    assert_int_equal(hall_valid_postcode("100000"), HALL_OK);
    assert_int_equal(hall_valid_postcode(" 518000 "), HALL_OK);
    assert_int_equal(hall_valid_postcode("010000"), HALL_OK);
    assert_int_equal(hall_valid_postcode("850000"), HALL_OK);
    assert_int_equal(hall_valid_postcode("900000"), HALL_ERR);
    assert_int_equal(hall_valid_postcode("10000"), HALL_ERR);
    assert_int_equal(hall_valid_postcode("1000000"), HALL_ERR);
    assert_int_equal(hall_valid_postcode("10000a"), HALL_ERR);
    assert_int_equal(hall_valid_postcode("100 000"), HALL_ERR);
    assert_int_equal(hall_valid_postcode(NULL), HALL_ERR);
}

/* ---- names ---------------------------------------------------------------- */

static void
validate_person_name__cjk_latin_middle_dot__accepted(void **state)
{
    (void)state;
    assert_int_equal(hall_valid_person_name("张三"), HALL_OK);
    assert_int_equal(hall_valid_person_name(" 欧阳娜娜 "), HALL_OK);
    assert_int_equal(hall_valid_person_name("阿卜杜·热合曼"), HALL_OK);
    assert_int_equal(hall_valid_person_name("Li Na"), HALL_OK);
    assert_int_equal(hall_valid_person_name("José Müller"), HALL_OK);
    assert_int_equal(hall_valid_person_name("王〇"), HALL_OK);
    assert_int_equal(hall_valid_person_name("\xf0\xa0\x80\x80"
                                            "明"),
                     HALL_OK); /* Ext B */
    /* exactly 30 characters */
    assert_int_equal(
        hall_valid_person_name("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"),
        HALL_OK);
}

static void
validate_person_name__digits_controls_brackets_and_length__rejected(void **state)
{
    static const char *const bad[] = {
        "张",
        "张3",
        "张\t三",
        "<b>张三",
        "张三>",
        "张··三",
        "·张三",
        "张三·",
        "Li  Na",
        "张。三",
        "张-三",
        "O'Brien",
        "张\x01三",
        "\xff\xfe",
        "张\xe4\xb8",
        "",
        "张\xe3\x80\x80三",
        "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (hall_valid_person_name(bad[i]) != HALL_ERR)
            fail_msg("accepted bad name #%zu", i);
    }
    assert_int_equal(hall_valid_person_name(NULL), HALL_ERR);
}

static void
validate_org_name__length_and_forbidden_characters(void **state)
{
    char buf[400];
    int i;

    (void)state;
    assert_int_equal(hall_valid_org_name("北京某某科技有限公司"), HALL_OK);
    assert_int_equal(hall_valid_org_name("ABC (China) Co., Ltd. 上海分公司"), HALL_OK);
    assert_int_equal(hall_valid_org_name("某某（北京）有限公司《测试》&1号"), HALL_OK);
    assert_int_equal(hall_valid_org_name("A"), HALL_ERR);
    assert_int_equal(hall_valid_org_name("  "), HALL_ERR);
    assert_int_equal(hall_valid_org_name(NULL), HALL_ERR);
    assert_int_equal(hall_valid_org_name("某<script>公司"), HALL_ERR);
    assert_int_equal(hall_valid_org_name("某公司>"), HALL_ERR);
    assert_int_equal(hall_valid_org_name("某\n公司"), HALL_ERR);
    assert_int_equal(hall_valid_org_name("某\x7f公司"), HALL_ERR);
    assert_int_equal(hall_valid_org_name("某\xc2\x85公司"), HALL_ERR);     /* C1 NEL */
    assert_int_equal(hall_valid_org_name("某\xe2\x80\xae公司"), HALL_ERR); /* RLO */
    assert_int_equal(hall_valid_org_name("某\xc0\xaf公司"), HALL_ERR);     /* overlong */
    /* 100 characters (3 bytes each) accepted, 101 rejected */
    for (i = 0; i < 101; i++)
        memcpy(buf + i * 3, "公", 3);
    buf[300] = '\0';
    assert_int_equal(hall_valid_org_name(buf), HALL_OK);
    buf[303] = '\0';
    memcpy(buf + 300, "司", 3);
    assert_int_equal(hall_valid_org_name(buf), HALL_ERR);
}

/* what registered names contain, and what none has (issue 40 §3: a
 * certificate was issued with O = " autofocus onfocus="alert(43)) */
static const char *const org_names_registered[] = {
    "耐克（苏州）体育用品有限公司",    "ABC (China) Co., Ltd.",   "《求是》杂志社",
    "中外运-敦豪国际航空快件有限公司", "A&B科技（深圳）有限公司", "Ａ＆Ｂ科技（深圳）有限公司",
    "阿依古丽·买买提商贸有限公司",     "深圳市第一〇一中学",      "北京市海淀区某某、某某联合会",
    "（香港）某某投资有限公司",        "3M中国有限公司",          "ＳＯＮＹ（中国）有限公司",
    "某某设备有限公司．上海分公司",
};

static const struct {
    const char *name, *bad; /* bad: the character named, NULL: none */
} org_names_refused[] = {
    {"\" autofocus onfocus=\"alert(43)", "\""},
    {"深圳某某'科技有限公司", "'"},
    {"{{7*7}}科技有限公司", "{"},
    {"深圳{{7*7}}科技有限公司", "{"},
    {"深圳某某科技有限公司\\", "\\"},
    {"深圳某某`科技有限公司", "`"},
    {"某<script>公司", "<"},
    {"某公司>", ">"},
    {"深圳某某/科技有限公司", "/"},
    {"深圳某某;科技有限公司", ";"},
    {"深圳某某%科技有限公司", "%"},
    {"深圳某某“科技”有限公司", "“"},
    {"深圳某某＂科技有限公司", "＂"},
    {"深圳某某＜科技有限公司", "＜"},
    {"深圳某某\xf0\x9f\x98\x80科技有限公司", "\xf0\x9f\x98\x80"}, /* an emoji */
    {"深圳某某\xe2\x80\x8b科技有限公司", "\xe2\x80\x8b"},         /* ZWSP */
    {"深圳某某\xe3\x80\x80科技有限公司", "\xe3\x80\x80"},         /* inner U+3000 */
    {"·某某科技有限公司", NULL},
    {")某某科技有限公司", NULL},
    {"-某某科技有限公司", NULL},
};

static void
validate_org_name__registered_names_accepted__quotes_braces_symbols_refused_naming_the_character(
    void **state)
{
    const char *bad;
    size_t i, blen;

    (void)state;
    for (i = 0; i < sizeof(org_names_registered) / sizeof(org_names_registered[0]); i++)
        if (hall_valid_org_name(org_names_registered[i]) != HALL_OK)
            fail_msg("refused registered name #%zu %s", i, org_names_registered[i]);
    for (i = 0; i < sizeof(org_names_refused) / sizeof(org_names_refused[0]); i++) {
        if (hall_valid_org_name_at(org_names_refused[i].name, &bad, &blen) != HALL_ERR)
            fail_msg("accepted #%zu %s", i, org_names_refused[i].name);
        if (org_names_refused[i].bad == NULL) {
            if (bad != NULL)
                fail_msg("#%zu named a character", i);
        } else if (bad == NULL || blen != strlen(org_names_refused[i].bad) ||
                   memcmp(bad, org_names_refused[i].bad, blen) != 0) {
            fail_msg("#%zu named the wrong character", i);
        }
    }
}

static void
validate_branch_name__account_papers_names__accepted_formulas_refused(void **state)
{
    char buf[200];
    int i;

    (void)state;
    assert_int_equal(hall_valid_branch_name("汕头分行营业部"), HALL_OK);
    assert_int_equal(hall_valid_branch_name("中国工商银行股份有限公司揭阳榕城支行"), HALL_OK);
    assert_int_equal(hall_valid_branch_name("浏阳市农村信用合作联社（营业部）"), HALL_OK);
    assert_int_equal(hall_valid_branch_name("深圳CBD支行"), HALL_OK);
    assert_int_equal(hall_valid_branch_name("2号分理处"), HALL_OK);
    assert_int_equal(hall_valid_branch_name("支行"), HALL_ERR); /* 2 characters */
    assert_int_equal(hall_valid_branch_name("ABCD"), HALL_ERR); /* no ideograph */
    assert_int_equal(hall_valid_branch_name("=SUM(A1)支行"), HALL_ERR);
    assert_int_equal(hall_valid_branch_name("+汕头分行"), HALL_ERR);
    assert_int_equal(hall_valid_branch_name("-汕头分行"), HALL_ERR);
    assert_int_equal(hall_valid_branch_name("@汕头分行"), HALL_ERR);
    assert_int_equal(hall_valid_branch_name("（汕头）分行"), HALL_ERR);
    assert_int_equal(hall_valid_branch_name("汕头<b>分行"), HALL_ERR);
    assert_int_equal(hall_valid_branch_name("汕头分行;DROP"), HALL_ERR);
    assert_int_equal(hall_valid_branch_name(NULL), HALL_ERR);
    for (i = 0; i < 60; i++)
        memcpy(buf + i * 3, "行", 3);
    buf[180] = '\0';
    assert_int_equal(hall_valid_branch_name(buf), HALL_OK);
    memcpy(buf + 180, "行", 4);
    assert_int_equal(hall_valid_branch_name(buf), HALL_ERR);
}

/* ---- UTF-8 ---------------------------------------------------------------- */

static void
validate_utf8__well_formed_boundaries__accepted(void **state)
{
    static const char *const good[] = {
        "plain ASCII",  "\xc2\x80",     "\xdf\xbf",         "\xe0\xa0\x80",     "\xed\x9f\xbf",
        "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "统一社会信用代码",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (hall_valid_utf8(good[i], strlen(good[i])) != HALL_OK)
            fail_msg("rejected good #%zu", i);
    }
    assert_int_equal(hall_valid_utf8("", 0), HALL_OK);
    assert_int_equal(hall_valid_utf8("a\0b", 3), HALL_OK); /* NUL is well-formed */
}

static void
validate_utf8__overlong_surrogate_truncated__rejected(void **state)
{
    static const char *const bad[] = {
        "\xc0\xaf",
        "\xc1\xbf",
        "\xe0\x80\xaf",
        "\xe0\x9f\xbf",
        "\xf0\x80\x80\xaf",
        "\xf0\x8f\xbf\xbf",
        "\xed\xa0\x80",
        "\xed\xbf\xbf",
        "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80",
        "\xff",
        "\x80",
        "\xe4\xb8",
        "\xc3",
        "\xe4\x41\xad",
        "\xf0\x9f\x98",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (hall_valid_utf8(bad[i], strlen(bad[i])) != HALL_ERR)
            fail_msg("accepted bad #%zu", i);
    }
    /* the length bounds the scan: a sequence cut by len is incomplete */
    assert_int_equal(hall_valid_utf8("\xe4\xb8\xad", 2), HALL_ERR);
    assert_int_equal(hall_valid_utf8(NULL, 0), HALL_OK);
    assert_int_equal(hall_valid_utf8(NULL, 1), HALL_ERR);
}

static void
validate_trim__ascii_and_ideographic_space__removed(void **state)
{
    size_t len;
    const char *s;

    (void)state;
    s = hall_valid_trim(" \t\xe3\x80\x80"
                        "ab c\xe3\x80\x80\r\n",
                        &len);
    assert_int_equal(len, 4);
    assert_memory_equal(s, "ab c", 4);
    s = hall_valid_trim(NULL, &len);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    s = hall_valid_trim("\xe3\x80", &len); /* half of U+3000 stays */
    assert_int_equal(len, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validate_vectors__ric_files__match_policy),
        cmocka_unit_test(validate_vectors__accepted_values__fit_the_form_inputs),
        cmocka_unit_test(validate_vectors__uscc_files__match_policy_and_flag_fujian_pilot),
        cmocka_unit_test(validate_vectors__mobile_files__match_policy),
        cmocka_unit_test(validate_vectors__ric_detail_columns__agree_with_verdict),
        cmocka_unit_test(validate_ric__gb11643_example__accepted_and_copied),
        cmocka_unit_test(validate_ric__bad_check_digit__rejected),
        cmocka_unit_test(validate_ric__lower_case_x__normalised_to_upper),
        cmocka_unit_test(validate_ric__fifteen_digit_first_generation__rejected),
        cmocka_unit_test(validate_ric__surrounding_spaces__trimmed_inner_space__rejected),
        cmocka_unit_test(validate_ric__null_empty_and_spaces__rejected),
        cmocka_unit_test(validate_ric__hk_macau_taiwan_permits__accepted),
        cmocka_unit_test(validate_ric__foreigner_permanent_residence_9_prefix__accepted),
        cmocka_unit_test(validate_ric__unknown_province__rejected),
        cmocka_unit_test(validate_ric__birth_date__real_calendar_date_from_1900),
        cmocka_unit_test(validate_ric__birth_date_after_today_in_china__rejected),
        cmocka_unit_test(validate_uscc__spaces_dashes_lower_case__normalised),
        cmocka_unit_test(validate_uscc__bad_check_char__rejected_without_review),
        cmocka_unit_test(validate_uscc__fujian_pilot_codes__error_with_manual_review),
        cmocka_unit_test(validate_uscc__forbidden_letters_and_length__rejected),
        cmocka_unit_test(validate_uscc__authority_type_and_region__checked),
        cmocka_unit_test(validate_mobile__bare_11_digits__accepted),
        cmocka_unit_test(validate_mobile__country_code_prefixes__normalised),
        cmocka_unit_test(validate_mobile__dialling_prefixes_0_and_17951__rejected),
        cmocka_unit_test(validate_mobile__segments_outside_1_3_to_9__rejected),
        cmocka_unit_test(validate_mobile__inner_spaces_and_bad_prefix_forms__rejected),
        cmocka_unit_test(validate_email__ordinary_addresses__accepted),
        cmocka_unit_test(validate_email__malformed__rejected),
        cmocka_unit_test(validate_email__length_limits__enforced),
        cmocka_unit_test(validate_taxid__uscc_and_ric__accepted_normalised),
        cmocka_unit_test(validate_taxid__legacy_lengths__accepted_others_rejected),
        cmocka_unit_test(validate_taxid__small_buffer__rejected),
        cmocka_unit_test(validate_bank_account__digits_8_to_32_no_luhn),
        cmocka_unit_test(validate_postcode__six_digits_first_0_to_8),
        cmocka_unit_test(validate_person_name__cjk_latin_middle_dot__accepted),
        cmocka_unit_test(validate_person_name__digits_controls_brackets_and_length__rejected),
        cmocka_unit_test(validate_org_name__length_and_forbidden_characters),
        cmocka_unit_test(
            validate_org_name__registered_names_accepted__quotes_braces_symbols_refused_naming_the_character),
        cmocka_unit_test(validate_branch_name__account_papers_names__accepted_formulas_refused),
        cmocka_unit_test(validate_utf8__well_formed_boundaries__accepted),
        cmocka_unit_test(validate_utf8__overlong_surrogate_truncated__rejected),
        cmocka_unit_test(validate_trim__ascii_and_ideographic_space__removed),
    };

    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
