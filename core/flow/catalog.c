/*
 * catalog.c: the catalogue of core/flow/catalog.def as tables, and their lookups.
 * Every module, the templates' contexts, the admin console and the docs
 * (hall-catalog) read these; nothing else lists a business type, a field
 * or a material.
 */
#include <string.h>

#include "flow/flow.h"

const char *const hall_choices_shipping[] = {"collect", "prepaid", NULL};
const char *const hall_choices_yes_no[] = {"yes", "no", NULL};
const char *const hall_choices_title_type[] = {"org", "person", NULL};
/* the 到付 carriers a partner may promise (partners.shipping_collect_carriers) */
const char *const hall_choices_carrier[] = {"SF", "EMS", NULL};

const char *
hall_carrier_name(const char *code)
{
    if (strcmp(code, "SF") == 0)
        return "顺丰速运";
    if (strcmp(code, "EMS") == 0)
        return "EMS";
    return code;
}

/* the choices in words, in the same order */
static const struct {
    const char *const *choices;
    const char *const words[4];
} choice_words[] = {
    {hall_choices_shipping, {"到付", "寄付", NULL, NULL}},
    {hall_choices_yes_no, {"电子发票", "不开票", NULL, NULL}},
    {hall_choices_title_type, {"单位", "个人", NULL, NULL}},
};

#define HALL_BUSINESS(code, label, sms, prefix)           {#code, label, sms, prefix},
#define HALL_CERT_TYPE(code, label, bit)                  /* below */
#define HALL_GROUP(code, label)                           /* below */
#define HALL_FIELD(n, g, l, sl, kind, max, types, fl, ch) /* below */
#define HALL_MATERIAL(kind, label, types, flags)          /* below */
const struct hall_business hall_businesses[] = {
#include "catalog.def"
    {NULL, NULL, NULL, NULL},
};
#undef HALL_BUSINESS
#define HALL_BUSINESS(code, label, sms, prefix)

#undef HALL_CERT_TYPE
#define HALL_CERT_TYPE(code, label, bit) {#code, label, bit},
static const struct {
    const char *code, *label;
    unsigned bit;
} cert_types[] = {
#include "catalog.def"
    {NULL, NULL, 0},
};
#undef HALL_CERT_TYPE
#define HALL_CERT_TYPE(code, label, bit)

/* the form's choice of certificate type: the types with a bit (those
 * without one come last in catalog.def, so the first NULL ends the list) */
#undef HALL_CERT_TYPE
#define HALL_CERT_TYPE(code, label, bit) bit != 0 ? #code : NULL,
const char *const hall_choices_cert_type[] = {
#include "catalog.def"
    NULL,
};
#undef HALL_CERT_TYPE
#define HALL_CERT_TYPE(code, label, bit)

#undef HALL_GROUP
#define HALL_GROUP(code, label) {#code, label},
const struct hall_group hall_groups[] = {
#include "catalog.def"
    {NULL, NULL},
};
#undef HALL_GROUP
#define HALL_GROUP(code, label)

#undef HALL_FIELD
#define HALL_FIELD(n, g, l, sl, kind, max, types, fl, ch)                                          \
    {#n,                                                                                           \
     #g,                                                                                           \
     l,                                                                                            \
     (sl) != NULL ? (sl) : (l),                                                                    \
     {#n, kind,                                                                                    \
      (((fl)&HALL_FF_OPT) ? HALL_PF_OPTIONAL : 0u) | (((fl)&HALL_FF_PLAIN) ? HALL_PF_PLAIN : 0u),  \
      0, max, l, ch},                                                                              \
     types,                                                                                        \
     fl},
const struct hall_field hall_fields[] = {
#include "catalog.def"
    {NULL, NULL, NULL, NULL, {NULL, 0, 0, 0, 0, NULL, NULL}, 0, 0},
};
#undef HALL_FIELD
#define HALL_FIELD(n, g, l, sl, kind, max, types, fl, ch)

#undef HALL_MATERIAL
#define HALL_MATERIAL(kind, label, types, flags) {#kind, label, types, flags},
const struct hall_material hall_materials[] = {
#include "catalog.def"
    {NULL, NULL, 0, 0},
};
#undef HALL_MATERIAL
#undef HALL_BUSINESS
#undef HALL_CERT_TYPE
#undef HALL_GROUP
#undef HALL_FIELD

const struct hall_business *
hall_business_get(const char *code)
{
    const struct hall_business *b;

    for (b = hall_businesses; code != NULL && b->code != NULL; b++)
        if (strcmp(b->code, code) == 0)
            return b;
    return NULL;
}

/* the last step is 在线支付 in every seed's bar (001, 002, 003, 004) */
const struct hall_flow_step hall_steps_new[] = {
    {"agree", "选择应用"},  {"apply", "录入信息"},    {"print", "打印申请表"},
    {"upload", "上传资料"}, {"identity", "在线认证"}, {"pay", "在线支付"},
    {NULL, NULL},
};

const struct hall_flow_step hall_steps_reissue[] = {
    {"notice", "介质遗失补办介绍"}, {"agree", "阅读协议"},   {"serial", "证书选择"},
    {"apply", "录入信息"},          {"print", "打印申请表"}, {"upload", "上传资料"},
    {"identity", "在线认证"},       {"pay", "在线支付"},     {NULL, NULL},
};

const struct hall_flow_step hall_steps_seal[] = {
    {"agree", "阅读协议"},  {"apply", "录入信息"},    {"print", "打印申请表"},
    {"upload", "上传资料"}, {"identity", "在线认证"}, {"pay", "在线支付"},
    {NULL, NULL},
};

/* a partner's own names of steps, as its seed's bar prints them: seed 003
 * (建筑工务署) reads 选择应用 录入信息 展示申请表 活体认证 在线支付 */
static const struct {
    const char *partner, *key, *label;
} partner_step_names[] = {
    {"szjsgws", "print", "展示申请表"},
    {"szjsgws", "identity", "活体认证"},
    {NULL, NULL, NULL},
};

static const char *
step_label(const struct hall_req *req, const struct hall_flow_step *s)
{
    int i;

    for (i = 0; partner_step_names[i].partner != NULL; i++)
        if (req->partner != NULL && strcmp(partner_step_names[i].partner, req->partner) == 0 &&
            strcmp(partner_step_names[i].key, s->key) == 0)
            return partner_step_names[i].label;
    return s->label;
}

/* the replacing flows (core/flow/replace.c): the certificate first */
const struct hall_flow_step hall_steps_renew[] = {
    {"notice", "证书更新介绍"}, {"agree", "阅读协议"},   {"serial", "证书选择"},
    {"apply", "确认信息"},      {"print", "打印申请表"}, {"upload", "上传资料"},
    {"identity", "在线认证"},   {"pay", "在线支付"},     {NULL, NULL},
};

const struct hall_flow_step hall_steps_change[] = {
    {"notice", "证书变更介绍"}, {"agree", "阅读协议"},   {"serial", "证书选择"},
    {"apply", "录入信息"},      {"print", "打印申请表"}, {"upload", "上传资料"},
    {"identity", "在线认证"},   {"pay", "在线支付"},     {NULL, NULL},
};

const struct hall_flow_step hall_steps_unlock[] = {
    {"notice", "证书解锁说明"}, {"agree", "阅读协议"},   {"serial", "证书选择"},
    {"apply", "确认信息"},      {"print", "打印申请表"}, {"upload", "上传资料"},
    {"identity", "在线认证"},   {"pay", "在线支付"},     {NULL, NULL},
};

const struct hall_flow_step *
hall_business_steps(const char *code)
{
    if (code == NULL)
        return NULL;
    if (strcmp(code, "new") == 0)
        return hall_steps_new;
    if (strcmp(code, "reissue") == 0)
        return hall_steps_reissue;
    if (strcmp(code, "seal") == 0)
        return hall_steps_seal;
    if (strcmp(code, "renew") == 0)
        return hall_steps_renew;
    if (strcmp(code, "change") == 0)
        return hall_steps_change;
    if (strcmp(code, "unlock") == 0)
        return hall_steps_unlock;
    return NULL;
}

void
hall_steps_set(struct hall_req *req, struct hall_val *ctx, const struct hall_flow_step *steps,
               const char *current)
{
    struct hall_val *list;
    const struct hall_flow_step *s;
    int cur = -1, i;

    if (steps == NULL)
        return;
    list = hall_val_set_list(req->pool, ctx, "steps");
    for (i = 0, s = steps; s->key != NULL; s++, i++)
        if (strcmp(s->key, current) == 0)
            cur = i;
    for (i = 0, s = steps; s->key != NULL; s++, i++) {
        struct hall_val *o = hall_val_push_obj(req->pool, list);

        hall_val_set_str(req->pool, o, "name", step_label(req, s));
        hall_val_set_bool(req->pool, o, "current", i == cur);
        hall_val_set_bool(req->pool, o, "done", i < cur);
    }
}

const char *
hall_business_label(const char *code)
{
    const struct hall_business *b = hall_business_get(code);

    return b != NULL ? b->label : code;
}

const struct hall_field *
hall_field_get(const char *name)
{
    const struct hall_field *f;

    for (f = hall_fields; name != NULL && f->name != NULL; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

const struct hall_group *
hall_group_get(const char *code)
{
    const struct hall_group *g;

    for (g = hall_groups; code != NULL && g->code != NULL; g++)
        if (strcmp(g->code, code) == 0)
            return g;
    return NULL;
}

const struct hall_material *
hall_material_each(const char *kind, int *n)
{
    const struct hall_material *m;

    if (n != NULL)
        *n = 0;
    for (m = hall_materials; kind != NULL && m->kind != NULL; m++) {
        size_t len = strlen(m->kind);
        const char *d = kind + len + 1;
        int v = 0;

        if (strcmp(m->kind, kind) == 0)
            return m;
        if (!(m->flags & HALL_MF_EACH) || strncmp(m->kind, kind, len) != 0 || kind[len] != '_')
            continue;
        /* 1 … 50, no leading zero: one spelling per person */
        if (d[0] < '1' || d[0] > '9' ||
            (d[1] != '\0' && (d[1] < '0' || d[1] > '9' || d[2] != '\0')))
            return NULL;
        v = d[1] == '\0' ? d[0] - '0' : (d[0] - '0') * 10 + (d[1] - '0');
        if (v > HALL_MF_EACH_MAX)
            return NULL;
        if (n != NULL)
            *n = v;
        return m;
    }
    return NULL;
}

const struct hall_material *
hall_material_get(const char *kind)
{
    return hall_material_each(kind, NULL);
}

const char *
hall_material_label(const char *kind)
{
    const struct hall_material *m = hall_material_get(kind);

    return m != NULL ? m->label : kind;
}

unsigned
hall_cert_type_bit(const char *cert_type)
{
    int i;

    for (i = 0; cert_type != NULL && cert_types[i].code != NULL; i++)
        if (strcmp(cert_types[i].code, cert_type) == 0)
            return cert_types[i].bit;
    return 0;
}

const char *
hall_cert_type_name(const char *cert_type)
{
    int i;

    for (i = 0; cert_type != NULL && cert_types[i].code != NULL; i++)
        if (strcmp(cert_types[i].code, cert_type) == 0)
            return cert_types[i].label;
    return cert_type;
}

const char *
hall_field_text(struct hall_pool *pool, const struct hall_field *f, const struct hall_val *form)
{
    const char *s = hall_val_str(form, f->name);
    size_t i, j, n = strlen(f->name);

    for (i = 0; i < sizeof(choice_words) / sizeof(choice_words[0]); i++)
        if (choice_words[i].choices == f->spec.choices)
            for (j = 0; j < 4 && f->spec.choices[j] != NULL; j++)
                if (strcmp(f->spec.choices[j], s) == 0 && choice_words[i].words[j] != NULL) {
                    const struct hall_val *c = hall_val_get(form, "carrier");

                    /* the way with its carrier: 顺丰速运到付, 京东快递寄付 */
                    if (f->spec.choices == hall_choices_shipping && c != NULL &&
                        c->type == HALL_V_STR)
                        return hall_psprintf(pool, "%s%s", c->str, choice_words[i].words[j]);
                    return choice_words[i].words[j];
                }
    /* the address under its region: 广东省深圳市南山区 + 科技园1号 */
    if (n > 8 && strcmp(f->name + n - 8, "_address") == 0) {
        const struct hall_val *r =
            hall_val_get(form, hall_psprintf(pool, "%.*s_region", (int)(n - 8), f->name));

        if (r != NULL && r->type == HALL_V_STR)
            return hall_psprintf(pool, "%s%s", r->str, s);
    }
    return s;
}

/* the catalogue's label (core/flow/catalog.def) */
const char *
hall_cert_type_label(const char *type)
{
    return hall_cert_type_name(type);
}
