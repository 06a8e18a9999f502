/* the Cookie header */
#include <string.h>

#include "fuzz.h"
#include "hall.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct hall_param *cookies = NULL;
    char *s = hall_pstrndup(pool, (const char *)data, size);

    hall_parse_cookies(pool, s, &cookies);
    hall_pool_destroy(pool);
    return 0;
}
