/*
 * The 签章信息 of a seal order (seed 001): which seals, how many, for how
 * many years, in which style and under which name; and the price, the sum
 * of its parts.  Pure functions over the submitted fields (a getter), so
 * that the flow module and the unit tests read the same rules:
 *
 *   机构章      org_count 0..1, org_years, org_style, org_seal_name (optional)
 *   机构业务章  biz_count 0..8 (online), biz_years, biz_N_name, biz_N_style
 *   机构个人章  person_count 0..HALL_SEAL_PERSONS_MAX, person_N_name,
 *               person_N_ric (PII), person_N_mobile (the holder's own, PII),
 *               person_N_years, person_N_style
 *
 * Every field error is collected, each naming its field, so the page shows
 * them all at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

static const char *const style_names[] = {"auto", "cutout", NULL};

static size_t
chars_of(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        if ((*s & 0xC0) != 0x80)
            n++;
    return n;
}

const char *
hall_seal_style_label(int style)
{
    return style == HALL_SEAL_CUTOUT ? "根据印模样式抠图" : "工具自动生成";
}

static void
fail(struct hall_seal_choice *c, const char *field, const char *msg)
{
    if (c->nerrors < (int)(sizeof(c->errors) / sizeof(c->errors[0]))) {
        c->errors[c->nerrors].field = field;
        c->errors[c->nerrors].message = msg;
        c->nerrors++;
    }
}

/* trimmed value, "" when absent */
static const char *
get(struct hall_pool *pool, hall_seal_getter g, void *ctx, const char *name)
{
    const char *v = g(ctx, name);
    size_t n;

    v = hall_valid_trim(v, &n);
    return hall_pstrndup(pool, v, n);
}

/* an integer field within lo..hi; -1 after recording the error */
static int
get_int(struct hall_seal_choice *c, struct hall_pool *pool, hall_seal_getter g, void *ctx,
        const char *field, const char *label, int lo, int hi, int absent, const char *too_many)
{
    const char *v = get(pool, g, ctx, field);
    char *end;
    long n;

    if (*v == '\0')
        return absent;
    n = strtol(v, &end, 10);
    if (*end != '\0' || end == v || strlen(v) > 4) {
        fail(c, field, hall_psprintf(pool, "%s格式不正确", label));
        return -1;
    }
    if (n > hi && too_many != NULL) {
        fail(c, field, too_many);
        return -1;
    }
    if (n < lo || n > hi) {
        fail(c, field, hall_psprintf(pool, "%s应为 %d 至 %d", label, lo, hi));
        return -1;
    }
    return (int)n;
}

static int
get_style(struct hall_seal_choice *c, struct hall_pool *pool, hall_seal_getter g, void *ctx,
          const char *field)
{
    const char *v = get(pool, g, ctx, field);
    int i;

    if (*v == '\0')
        return HALL_SEAL_AUTO;
    for (i = 0; style_names[i] != NULL; i++)
        if (strcmp(v, style_names[i]) == 0)
            return i;
    fail(c, field, "签章样式应为“根据印模样式抠图”或“工具自动生成”");
    return -1;
}

/* 印章名称: 2..HALL_SEAL_NAME_MAX characters, no markup or control characters */
static const char *
get_seal_name(struct hall_seal_choice *c, struct hall_pool *pool, hall_seal_getter g, void *ctx,
              const char *field, int required)
{
    const char *v = get(pool, g, ctx, field), *p;
    long chars = 0;

    if (*v == '\0') {
        if (required)
            fail(c, field, "请填写印章名称");
        return v;
    }
    if (hall_valid_utf8(v, strlen(v)) != HALL_OK) {
        fail(c, field, "印章名称格式不正确");
        return NULL;
    }
    chars = (long)chars_of(v);
    for (p = v; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == '<' || *p == '>' || *p == '&' || *p == '"')
            chars = 1000;
    if (chars < 2 || chars > HALL_SEAL_NAME_MAX) {
        fail(c, field,
             hall_psprintf(pool, "印章名称应为 2 至 %d 个字，不含特殊符号", HALL_SEAL_NAME_MAX));
        return NULL;
    }
    return v;
}

static struct hall_seal_item *
add(struct hall_seal_choice *c, enum hall_seal_kind kind, int years, int style)
{
    struct hall_seal_item *it = &c->items[c->n++];

    memset(it, 0, sizeof(*it));
    it->kind = kind;
    it->years = years;
    it->style = style;
    return it;
}

int
hall_seal_choice_parse(struct hall_pool *pool, hall_seal_getter g, void *ctx,
                       struct hall_seal_choice *c)
{
    int org, biz, persons, years, style, i;
    const char *name;

    memset(c, 0, sizeof(*c));
    org = get_int(c, pool, g, ctx, "org_count", "机构章数量", 0, 1, 0,
                  "机构章最多可办理 1 张（相当于单位公章）");
    biz = get_int(c, pool, g, ctx, "biz_count", "机构业务章数量", 0, HALL_SEAL_BIZ_MAX, 0,
                  "机构业务章线上最多可办理 8 张");
    persons =
        get_int(c, pool, g, ctx, "person_count", "机构个人章数量", 0, HALL_SEAL_PERSONS_MAX, 0,
                hall_psprintf(pool, "机构个人章每次最多添加 %d 枚", HALL_SEAL_PERSONS_MAX));
    if (org == 1) {
        years = get_int(c, pool, g, ctx, "org_years", "机构章年限", 1, 5, -2, NULL);
        if (years == -2)
            fail(c, "org_years", "请选择机构章年限");
        style = get_style(c, pool, g, ctx, "org_style");
        name = get_seal_name(c, pool, g, ctx, "org_seal_name", 0);
        if (years > 0 && style >= 0 && name != NULL)
            add(c, HALL_SEAL_ORG, years, style)->name = name;
    }
    if (biz > 0) {
        years = get_int(c, pool, g, ctx, "biz_years", "机构业务章年限", 1, 5, -2, NULL);
        if (years == -2)
            fail(c, "biz_years", "请选择机构业务章年限");
        for (i = 1; i <= biz; i++) {
            style = get_style(c, pool, g, ctx, hall_psprintf(pool, "biz_%d_style", i));
            name = get_seal_name(c, pool, g, ctx, hall_psprintf(pool, "biz_%d_name", i), 1);
            if (years > 0 && style >= 0 && name != NULL && *name != '\0') {
                struct hall_seal_item *it = add(c, HALL_SEAL_BUSINESS, years, style);

                it->name = name;
                it->index = i;
            }
        }
    }
    for (i = 1; persons > 0 && i <= persons; i++) {
        const char *fn = hall_psprintf(pool, "person_%d_name", i);
        const char *fr = hall_psprintf(pool, "person_%d_ric", i);
        const char *fm = hall_psprintf(pool, "person_%d_mobile", i);
        const char *pn = get(pool, g, ctx, fn), *pr = get(pool, g, ctx, fr);
        const char *pm = get(pool, g, ctx, fm);
        char ric[19], mobile[12];
        int ok = 1;

        years = get_int(c, pool, g, ctx, hall_psprintf(pool, "person_%d_years", i),
                        "机构个人章年限", 1, 5, -2, NULL);
        if (years == -2)
            fail(c, hall_psprintf(pool, "person_%d_years", i), "请选择机构个人章年限");
        style = get_style(c, pool, g, ctx, hall_psprintf(pool, "person_%d_style", i));
        if (*pn == '\0' || hall_valid_person_name(pn) != HALL_OK) {
            fail(c, fn, *pn == '\0' ? "请填写机构个人章的姓名" : "姓名格式不正确");
            ok = 0;
        } else if (chars_of(pn) > HALL_SEAL_PERSON_MAX) {
            fail(c, fn, hall_psprintf(pool, "个人章姓名最多 %d 个字", HALL_SEAL_PERSON_MAX));
            ok = 0;
        }
        if (*pr == '\0' || hall_valid_ric(pr, ric) != HALL_OK) {
            fail(c, fr, *pr == '\0' ? "请填写机构个人章的身份证号" : "身份证号码不正确");
            ok = 0;
        }
        /* the holder's own phone: the certificate's PIN and its medium go to it */
        if (*pm == '\0' || hall_valid_mobile(pm, mobile) != HALL_OK) {
            fail(c, fm, *pm == '\0' ? "请填写机构个人章持有人本人的手机号" : "手机号码格式不正确");
            ok = 0;
        }
        if (ok && years > 0 && style >= 0) {
            struct hall_seal_item *it = add(c, HALL_SEAL_PERSON, years, style);

            it->name = pn;
            it->holder_name = pn;
            it->holder_ric = hall_pstrdup(pool, ric);
            it->holder_mobile = hall_pstrdup(pool, mobile);
            it->index = i;
        }
    }
    if (org == 0 && biz == 0 && persons == 0)
        fail(c, "org_count", "请至少选择一枚印章（机构章、机构业务章或机构个人章）");
    return c->nerrors == 0 ? HALL_OK : HALL_ERR;
}

int64_t
hall_seal_price(const struct hall_seal_part *parts, int n)
{
    int64_t sum = 0;
    int i;

    for (i = 0; i < n; i++)
        sum += hall_price_cert(&parts[i].price, parts[i].years, 0);
    return sum;
}
