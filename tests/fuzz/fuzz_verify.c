/* the whole verification of a PDF, as POST /sign/verify makes it: every
 * signature checked with the hall's roots (hall_stamp_verify_fd), each
 * verdict, and the 验签报告's content */
#include <string.h>

#include "fuzz.h"
#include "fuzz_stamp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hall_pool *pool = hall_pool_create(65536);
    struct hall_stamp_report rep;
    char err[512];

    if (fuzz_verify(pool, data, size, &rep, err, sizeof(err)) == HALL_OK) {
        struct hall_stamp_verdict *v = hall_pcalloc(pool, sizeof(*v) * (size_t)(rep.nsigs + 1));
        struct hall_stamp_report_doc doc;

        if (rep.nsigs < 0 || rep.nsigs > HALL_STAMP_SIGS_MAX)
            __builtin_trap();
        for (int i = 0; i < rep.nsigs; i++) {
            const struct hall_stamp_sig *s = &rep.sigs[i];

            /* 有效 only when every check that makes it passed */
            if (s->state == HALL_STAMP_VALID &&
                (s->range != HALL_STAMP_PASS || s->digest != HALL_STAMP_PASS ||
                 s->signature != HALL_STAMP_PASS || s->chain != HALL_STAMP_PASS))
                __builtin_trap();
            hall_stamp_verdict(pool, s, NULL, &v[i]);
            if (v[i].problem == NULL || hall_stamp_state_text(v[i].state) == NULL)
                __builtin_trap();
        }
        hall_stamp_report_build(pool, &rep, v, "fuzz.pdf", "00", FUZZ_NOW, &doc);
    } else if (err[0] == '\0') {
        __builtin_trap(); /* a refusal says why */
    }
    hall_pool_destroy(pool);
    return 0;
}
