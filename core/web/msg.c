/*
 * msg.c: the one table of messages (core/web/messages.def): {code, HTTP
 * status, text}.  Call sites name a code; the text and the status live
 * here, once.  Answering with one is resp.c's (hall_msg).
 */
#include <stdarg.h>

#include "web/web.h"

const struct hall_msg hall_msgs[] = {
#define HALL_MSG(code, status, text) {#code, status, text},
#include "messages.def"
#undef HALL_MSG
    {NULL, 0, NULL},
};

char *
hall_msg_vtext(struct hall_pool *pool, enum hall_msg_code c, va_list ap)
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
    s = hall_msg_vtext(pool, c, ap);
    va_end(ap);
    return s;
}
