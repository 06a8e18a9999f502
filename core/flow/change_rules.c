/*
 * 证书变更's rules on the certificate's data (docs/modules/change.md).  A
 * change replaces a certificate by one with the data the applicant proves
 * changed: the catalogue (catalog.def, HALL_FF_CHANGE) says which fields of
 * the data a certificate is issued on may differ from the replaced one's
 * order; the others (机构证件号码, the holder's 身份证号码: who the
 * certificate is for) may not.  Here: that check, and old vs new as the
 * applicant's printed form (modules/change) and the reviewer
 * (modules/admin) show it.
 */
#include <string.h>

#include "flow/flow.h"

const char *const hall_change_groups[] = {"unit", "legal", "applicant", NULL};

/* a field of the certificate's data for types bits, typed by the applicant */
static int
data_field(const struct hall_field *f, unsigned bits)
{
    const char *const *g;

    if ((f->types & bits) == 0 || (f->flags & (HALL_FF_HALL | HALL_FF_PARAM)))
        return 0;
    for (g = hall_change_groups; *g != NULL; g++)
        if (strcmp(f->group, *g) == 0)
            return 1;
    return 0;
}

void
hall_change_check(struct hall_req *req, unsigned bits, const struct hall_val *old,
                  const struct hall_val *form, struct hall_errors *e)
{
    const struct hall_field *f, *first = NULL;
    int changed = 0, unjudged = 0;

    for (f = hall_fields; f->name != NULL; f++) {
        const char *was, *now;

        if (!data_field(f, bits))
            continue;
        if ((f->flags & HALL_FF_CHANGE) && first == NULL)
            first = f;
        if (hall_errors_has(e, f->name)) {
            unjudged = 1;
            continue;
        }
        was = hall_val_str(old, f->name);
        now = hall_val_str(form, f->name);
        if (strcmp(was, now) == 0)
            continue;
        if (f->flags & HALL_FF_CHANGE)
            changed = 1;
        else if (*was != '\0') /* an old order without it has nothing to keep */
            hall_msg_add(req, e, HALL_M_CHANGE_FIXED, f->name, f->label);
    }
    if (!changed && !unjudged && first != NULL)
        hall_msg_add(req, e, HALL_M_CHANGE_NONE, first->name);
}

int
hall_change_rows(struct hall_req *req, struct hall_val *list, unsigned bits,
                 const struct hall_val *old, const struct hall_val *form)
{
    const struct hall_field *f;
    int n = 0;

    for (f = hall_fields; f->name != NULL; f++) {
        struct hall_val *r;
        const char *was, *now;
        int changed;

        if (!data_field(f, bits) || (f->flags & HALL_FF_NOPRINT))
            continue;
        was = hall_field_text(req->pool, f, old);
        now = hall_field_text(req->pool, f, form);
        changed = strcmp(was, now) != 0;
        r = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, r, "name", f->name);
        hall_val_set_str(req->pool, r, "label", f->label);
        hall_val_set_str(req->pool, r, "before", was);
        hall_val_set_str(req->pool, r, "after", now);
        hall_val_set_bool(req->pool, r, "changed", changed);
        hall_val_set_bool(req->pool, r, "may_change", (f->flags & HALL_FF_CHANGE) != 0);
        n += changed;
    }
    return n;
}
