/*
 * msg.c: the one table of messages (core/messages.def): {code, HTTP
 * status, text}.  Call sites name a code; the text and the status live
 * here, once.
 */
#include <stdarg.h>

#include "hall.h"

const struct hall_msg hall_msgs[] = {
#define HALL_MSG(code, status, text) {#code, status, text},
#include "messages.def"
#undef HALL_MSG
    {NULL, 0, NULL},
};

static char *
text_v(struct hall_pool *pool, enum hall_msg_code c, va_list ap)
{
    if ((unsigned)c >= HALL_M__COUNT)
        return hall_pstrdup(pool, hall_msgs[HALL_M_BUSY].text);
    return hall_pvsprintf(pool, hall_msgs[c].text, ap);
}

char *
hall_msg_text(struct hall_pool *pool, enum hall_msg_code c, ...)
{
    va_list ap;
    char *s;

    va_start(ap, c);
    s = text_v(pool, c, ap);
    va_end(ap);
    return s;
}

int
hall_msg(struct hall_req *req, enum hall_msg_code c, const char *field, ...)
{
    va_list ap;
    char *s;

    va_start(ap, field);
    s = text_v(req->pool, c, ap);
    va_end(ap);
    return hall_resp_error(req, (unsigned)c < HALL_M__COUNT ? hall_msgs[c].status : 503, field, s);
}

int
hall_msg_as(struct hall_req *req, int status, enum hall_msg_code c, const char *field, ...)
{
    va_list ap;
    char *s;

    va_start(ap, field);
    s = text_v(req->pool, c, ap);
    va_end(ap);
    return hall_resp_error(req, status, field, s);
}

void
hall_msg_add(struct hall_req *req, struct hall_errors *e, enum hall_msg_code c, const char *field,
             ...)
{
    va_list ap;
    char *s;

    va_start(ap, field);
    s = text_v(req->pool, c, ap);
    va_end(ap);
    hall_errors_add(req->pool, e, (unsigned)c < HALL_M__COUNT ? hall_msgs[c].status : 503, field,
                    s);
}
