/* the seal's picture (stamp_png.c): any bytes decoded, or refused */
#include <stdlib.h>

#include "fuzz.h"
#include "fuzz_stamp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int w = 0, h = 0;
    unsigned char *rgb = NULL, *alpha = NULL;

    if (stamp_png_decode(data, size, &w, &h, &rgb, &alpha) == HALL_OK) {
        if (w <= 0 || h <= 0 || (long long)w * h > STAMP_PNG_MAX_PIXELS || rgb == NULL)
            __builtin_trap();
        /* every pixel is there to be read */
        volatile unsigned char sum = 0;

        for (long long i = 0; i < 3LL * w * h; i++)
            sum ^= rgb[i];
        for (long long i = 0; alpha != NULL && i < (long long)w * h; i++)
            sum ^= alpha[i];
    }
    free(rgb);
    free(alpha);
    return 0;
}
