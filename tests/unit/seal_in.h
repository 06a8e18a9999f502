/*
 * tests/unit/seal_in.h: the input of a 42 mm 机构章 (type 1) for
 * hall_seseal_make, as test_seal.c and test_stamp.c make it: one signer's
 * certificate, valid three years from created.
 */
#ifndef HALL_TEST_SEAL_IN_H
#define HALL_TEST_SEAL_IN_H

#include <string.h>
#include <time.h>

#include "pki/pki.h"

static inline void
seal_in_org(struct hall_seseal_in *in, const char *es_id, const char *name,
            const unsigned char *const *cert, const size_t *cert_len, time_t created,
            const unsigned char *png, size_t png_len)
{
    memset(in, 0, sizeof(*in));
    in->es_id = es_id;
    in->type = 1;
    in->name = name;
    in->certs = cert;
    in->cert_lens = cert_len;
    in->ncerts = 1;
    in->created = created;
    in->valid_start = created;
    in->valid_end = created + 3 * 365 * 86400;
    in->png = png;
    in->png_len = png_len;
    in->width_mm = 42;
    in->height_mm = 42;
}

#endif
