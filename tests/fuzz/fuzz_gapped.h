/*
 * A target whose input is one signature's /Contents (DER): put into the
 * gap of a committed stamped PDF (tests/fuzz/base/NAME.pdf, made by
 * script/fuzz --seeds) whose byte ranges, and so their digest, stay as
 * signed; the file is then verified whole.  FUZZ_BASE names the file.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "fuzz_stamp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hall_pool *pool;
    struct hall_stamp_report rep;
    char err[512];
    size_t len;
    unsigned char *pdf = fuzz_in_gap("base/" FUZZ_BASE ".pdf", data, size, &len);

    if (pdf == NULL)
        return 0;
    pool = hall_pool_create(65536);
    if (fuzz_verify(pool, pdf, len, &rep, err, sizeof(err)) != HALL_OK || rep.nsigs != 1)
        __builtin_trap(); /* the base file is a PDF with one signature whatever its /Contents */
    if (rep.sigs[0].state == HALL_STAMP_VALID && rep.sigs[0].signature != HALL_STAMP_PASS)
        __builtin_trap();
    hall_pool_destroy(pool);
    free(pdf);
    return 0;
}
