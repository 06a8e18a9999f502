/* a .seseal (GB/T 38540 SESeal): read, verified against the SM2 roots of
 * tests/fuzz/pki, and its certificate list searched, as the stamper and
 * the verifier read a seal */
#include "fuzz.h"
#include "fuzz_stamp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct fuzz_pki *k = fuzz_pki(0);
    struct hall_pool *pool = hall_pool_create(16384);
    struct hall_seseal_info info;
    const char *err = NULL;

    if (hall_seseal_read(pool, data, size, &info, &err) != HALL_OK && err == NULL)
        __builtin_trap();
    err = NULL;
    if (hall_seseal_verify(pool, data, size, NULL, 0, &info, &err) != HALL_OK && err == NULL)
        __builtin_trap();
    (void)hall_seseal_lists(data, size, k->signer);
    X509_free(hall_seseal_signer_for(data, size, k->signer_key));
    hall_pool_destroy(pool);
    return 0;
}
