/* revocation evidence as a file's /DSS holds it (stamp_status_kept): the
 * input read as an OCSP response and as a CRL about the signer of
 * tests/fuzz/pki, issued by its CA */
#include <string.h>

#include "fuzz.h"
#include "fuzz_stamp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct fuzz_pki *k = fuzz_pki(0);
    struct hall_pool *pool = hall_pool_create(16384);
    struct hall_stamp_evidence ev;
    struct hall_stamp_status st;
    struct stamp_memo memo;
    OCSP_BASICRESP *bs;

    memset(&ev, 0, sizeof(ev));
    ev.der[0] = data;
    ev.len[0] = size;
    ev.n = 1;
    if (stamp_status_kept(pool, k->signer, k->ca, &ev, FUZZ_NOW - 7200, &st) == HALL_OK &&
        (st.source == NULL || strcmp(st.source, "OCSP") != 0))
        __builtin_trap();
    memset(&ev, 0, sizeof(ev));
    ev.crl[0] = data;
    ev.crl_len[0] = size;
    ev.ncrl = 1;
    if (stamp_status_kept(pool, k->signer, k->ca, &ev, FUZZ_NOW - 7200, &st) == HALL_OK &&
        (st.source == NULL || strcmp(st.source, "CRL") != 0))
        __builtin_trap();
    /* the responder's certificates decoded once */
    memset(&memo, 0, sizeof(memo));
    bs = stamp_memo_ocsp_basic(&memo, data, size);
    OCSP_BASICRESP_free(bs);
    stamp_memo_free(&memo);
    hall_pool_destroy(pool);
    return 0;
}
