/*
 * The SMS the hall sends, each a template of core/store/sms_tpl.def with
 * named parameters: what goes into the outbox is the kind and its
 * parameters, never a text; the SMS driver (core/biz/smsdrv.c) sends the
 * provider's TemplateCode and TemplateParam, the provider renders the text.
 */
#include <stdarg.h>
#include <string.h>

#include "store/store.h"

const struct hall_sms_tpl hall_sms_tpls[] = {
#define HALL_SMS(kind, code, text) {#kind, code, text},
#include "store/sms_tpl.def"
#undef HALL_SMS
    {NULL, NULL, NULL},
};

const struct hall_sms_tpl *
hall_sms_tpl_get(const char *kind)
{
    const struct hall_sms_tpl *t;

    if (kind == NULL)
        return NULL;
    for (t = hall_sms_tpls; t->kind != NULL; t++)
        if (strcmp(t->kind, kind) == 0)
            return t;
    return NULL;
}

const char **
hall_sms_tpl_params(struct hall_pool *pool, const struct hall_sms_tpl *t)
{
    const char **out;
    const char *p = t->text, *end;
    size_t n = 0;

    for (p = strstr(p, "${"); p != NULL; p = strstr(p + 2, "${"))
        n++;
    out = hall_palloc(pool, (n + 1) * sizeof(*out));
    n = 0;
    for (p = strstr(t->text, "${"); p != NULL; p = strstr(end, "${")) {
        end = strchr(p, '}');
        if (end == NULL)
            break;
        out[n++] = hall_pstrndup(pool, p + 2, (size_t)(end - p - 2));
    }
    out[n] = NULL;
    return out;
}

HALL_TESTABLE char *
hall_sms_render(struct hall_pool *pool, const struct hall_sms_tpl *t, const struct hall_val *params,
                const char *sign)
{
    struct hall_buf *b = hall_buf_new(pool, 4096);
    const char *p = t->text, *open, *close;
    const struct hall_val *v;

    hall_buf_printf(b, "【%s】", sign);
    while ((open = strstr(p, "${")) != NULL && (close = strchr(open, '}')) != NULL) {
        hall_buf_add(b, p, (size_t)(open - p));
        v = hall_val_get(params, hall_pstrndup(pool, open + 2, (size_t)(close - open - 2)));
        if (v == NULL || v->type != HALL_V_STR)
            return NULL;
        hall_buf_addstr(b, v->str);
        p = close + 1;
    }
    hall_buf_addstr(b, p);
    return b->overflow ? NULL : hall_pstrndup(pool, b->data, b->len);
}

int
hall_sms_queue_params(struct hall_ctx *cx, const char *idem_key, const char *phone,
                      const char *partner, enum hall_sms_kind kind, const struct hall_val *params)
{
    const struct hall_sms_tpl *t;
    const struct hall_val *v;
    struct hall_val *payload, *copy;
    const char **names;
    size_t i;

    if ((unsigned)kind >= HALL_SMST__COUNT || params == NULL || params->type != HALL_V_OBJ)
        return HALL_ERR;
    t = &hall_sms_tpls[kind];
    names = hall_sms_tpl_params(cx->pool, t);
    payload = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, payload, "phone", phone);
    hall_val_set_str(cx->pool, payload, "kind", t->kind);
    if (partner != NULL && *partner != '\0')
        hall_val_set_str(cx->pool, payload, "partner", partner);
    copy = hall_val_set_obj(cx->pool, payload, "params");
    for (v = params->first; v != NULL; v = v->next) {
        for (i = 0; names[i] != NULL && strcmp(names[i], v->key) != 0; i++)
            ;
        if (names[i] == NULL || v->type != HALL_V_STR || v->str == NULL || *v->str == '\0' ||
            hall_val_get(copy, v->key) != NULL) {
            hall_err(cx, "msg=\"sms: bad parameter\" kind=%s param=%s", t->kind, v->key);
            return HALL_ERR;
        }
        hall_val_set_str(cx->pool, copy, v->key, v->str);
    }
    /* a name twice in the text is one parameter */
    for (i = 0; names[i] != NULL; i++)
        if (hall_val_get(copy, names[i]) == NULL) {
            hall_err(cx, "msg=\"sms: parameter missing\" kind=%s param=%s", t->kind, names[i]);
            return HALL_ERR;
        }
    return hall_outbox_push(cx, "sms", idem_key, payload);
}

int
hall_sms_queue(struct hall_ctx *cx, const char *idem_key, const char *phone, const char *partner,
               enum hall_sms_kind kind, ...)
{
    struct hall_val *params = hall_val_obj(cx->pool);
    const char *name, *value;
    va_list ap;

    va_start(ap, kind);
    while ((name = va_arg(ap, const char *)) != NULL) {
        value = va_arg(ap, const char *);
        if (value == NULL || hall_val_get(params, name) != NULL) {
            va_end(ap);
            hall_err(cx, "msg=\"sms: bad parameter\" kind=%d param=%s", (int)kind, name);
            return HALL_ERR;
        }
        hall_val_set_str(cx->pool, params, name, value);
    }
    va_end(ap);
    return hall_sms_queue_params(cx, idem_key, phone, partner, kind, params);
}
