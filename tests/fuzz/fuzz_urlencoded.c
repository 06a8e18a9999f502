/* application/x-www-form-urlencoded bodies and query strings */
#include <string.h>

#include "fuzz.h"
#include "hall.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_param *params = NULL, *p;
    size_t n = 0;

    if (hall_parse_urlencoded(pool, (const char *)data, size, &params, 200) == HALL_OK)
        for (p = params; p != NULL; p = p->next) {
            /* every value is a NUL-terminated string of its stated length */
            if (strlen(p->value) > p->len)
                __builtin_trap();
            n++;
        }
    if (n > 200)
        __builtin_trap();
    hall_pool_destroy(pool);
    return 0;
}
