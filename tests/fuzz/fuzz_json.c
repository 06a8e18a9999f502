/* JSON bodies (yajl_tree into the value tree) and their serialisation */
#include <string.h>

#include "fuzz.h"
#include "hall.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hall_pool *pool = hall_pool_create(4096);
    char err[128];
    struct hall_val *v = hall_val_parse(pool, (const char *)data, size, err, sizeof(err));

    if (v != NULL) {
        size_t n;
        char *out = hall_val_json(pool, v, &n);

        /* what we write, we read back */
        if (out != NULL && hall_val_parse(pool, out, n, err, sizeof(err)) == NULL)
            __builtin_trap();
    }
    hall_pool_destroy(pool);
    return 0;
}
