/* OCSP requests (core/pki/ocspreq.c), as the responder reads a POST body */
#include "fuzz.h"
#include "hall.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hall_ocsp_req r;
    char hex[17];
    int i;

    if (hall_ocsp_req_parse(data, size, &r) != HALL_OK) {
        if (r.n != 0 || r.nonce != NULL)
            __builtin_trap();
        return 0;
    }
    if (r.n < 1 || r.n > HALL_OCSP_REQ_MAX)
        __builtin_trap();
    /* everything read points into the input */
    for (i = 0; i < r.n; i++) {
        const struct hall_ocsp_certid *id = &r.ids[i];

        if (id->der < data || id->der + id->der_len > data + size ||
            id->serial + id->serial_len > id->der + id->der_len ||
            id->name_hash + id->name_hash_len > id->der + id->der_len || id->alg_len >= id->der_len)
            __builtin_trap();
        if (hall_ocsp_serial_hex(id, hex) == HALL_OK && (hex[16] != '\0' || hex[0] == '\0'))
            __builtin_trap();
    }
    if (r.nonce != NULL && (r.nonce < data || r.nonce + r.nonce_len > data + size))
        __builtin_trap();
    return 0;
}
