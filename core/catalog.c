/*
 * catalog.c: the catalogue of core/catalog.def as tables, and their lookups.
 * Every module, the templates' contexts, the admin console and the docs
 * (hall-catalog) read these; nothing else lists a business type, a field
 * or a material.
 */
#include <string.h>

#include "flow.h"

const char *const hall_choices_shipping[] = {"collect", "prepaid", NULL};
const char *const hall_choices_yes_no[] = {"yes", "no", NULL};
const char *const hall_choices_title_type[] = {"org", "person", NULL};

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
hall_material_get(const char *kind)
{
    const struct hall_material *m;

    for (m = hall_materials; kind != NULL && m->kind != NULL; m++)
        if (strcmp(m->kind, kind) == 0)
            return m;
    return NULL;
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
