/*
 * The partner API's JSON bodies (modules/partner/partner.c, POST
 * /partner-api/v1/applications): read as the hall reads a raw body
 * (core/web/app.c: an object, else refused), then each field the
 * application pre-fills checked by the module's own table and rules, and
 * the answer written.  The module is compiled in here for its static
 * table and checks; its main is not.
 */
#include <string.h>

#include "fuzz.h"
#include "hall.h"

#undef HALL_MODULE_MAIN
#define HALL_MODULE_MAIN(name, routes, stmts, init)                                                \
    const void *fuzz_##name##_keep[] = {routes, stmts};
#include "../../modules/partner/partner.c"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char err[128];
    struct hall_val *json = hall_val_parse(pool, (const char *)data, size, err, sizeof(err));
    const char *type, *project, *since, *v, *note, *msg;
    struct hall_val *pre;
    int i;

    if (json == NULL || json->type != HALL_V_OBJ)
        goto out;
    type = hall_val_str_or_null(json, "cert_type");
    project = hall_val_str_or_null(json, "project_id");
    since = hall_val_str_or_null(json, "since");
    if (type == NULL || (strcmp(type, "org") != 0 && strcmp(type, "person") != 0))
        goto out;
    if (project != NULL && hall_partner_token_ok(project, 1, 64) && strlen(project) > 64)
        __builtin_trap();
    (void)iso_time(since);
    pre = hall_val_obj(pool);
    hall_val_set_str(pool, pre, "cert_type", type);
    for (i = 0; application_fields[i].name != NULL; i++) {
        const struct hall_pspec *f = &application_fields[i];
        const char *raw = hall_val_str_or_null(json, f->name);

        if (raw == NULL)
            continue;
        msg = NULL;
        if (hall_param_check(pool, f, raw, &v, &note, &msg) != HALL_OK) {
            if (msg == NULL || msg[0] == '\0')
                __builtin_trap(); /* a refusal names what is wrong */
            goto out;
        }
        if (v == NULL)
            __builtin_trap();
        if (*v != '\0')
            hall_val_set_str(pool, pre, f->name, v);
    }
    {
        size_t n;
        char *o = hall_val_json(pool, pre, &n);

        if (o == NULL || hall_val_parse(pool, o, n, err, sizeof(err)) == NULL)
            __builtin_trap();
    }
out:
    hall_pool_destroy(pool);
    return 0;
}
