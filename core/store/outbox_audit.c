/* Outbox and audit log writers: both run inside the caller's transaction. */
#include <string.h>

#include "store/store.h"

int
hall_outbox_push(struct hall_ctx *cx, const char *kind, const char *idem_key,
                 const struct hall_val *payload)
{
    unsigned char *enc;
    size_t n, elen;
    char *json = hall_val_json(cx->pool, payload, &n);

    if (json == NULL)
        return HALL_ERR;
    enc = hall_pii_encrypt(cx->pool, json, n, &elen);
    if (hall_db_exec(cx, "outbox_insert", HALL_STR(kind), HALL_STR(idem_key),
                     HALL_BIN(enc, elen)) == NULL)
        return HALL_ERR;
    return HALL_OK;
}

int
hall_audit(struct hall_ctx *cx, const char *actor, const char *entity, const char *entity_id,
           const char *action, const char *from_state, const char *to_state,
           const struct hall_val *detail)
{
    const char *json = detail != NULL ? hall_val_json(cx->pool, detail, NULL) : NULL;

    if (hall_db_exec(cx, "audit_insert", HALL_STR(actor), HALL_STR(entity), HALL_STR(entity_id),
                     HALL_STR(action), from_state ? HALL_STR(from_state) : HALL_NULLP,
                     to_state ? HALL_STR(to_state) : HALL_NULLP, json ? HALL_STR(json) : HALL_NULLP,
                     cx->remote_addr ? HALL_STR(cx->remote_addr) : HALL_NULLP,
                     cx->request_id ? HALL_STR(cx->request_id) : HALL_NULLP) == NULL)
        return HALL_ERR;
    return HALL_OK;
}
