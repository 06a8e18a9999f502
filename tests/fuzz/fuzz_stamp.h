/*
 * What the stamp's fuzz targets share (tests/fuzz/fuzz_stamp.c): the fixed
 * test hierarchy of tests/fuzz/pki/ (make.sh; the seeds chain to it), the
 * hall's trust made of it at a fixed clock, a TSA in the process, and a
 * verification of bytes held in memory.  FUZZ_DIR is tests/fuzz's absolute
 * path, given by tests/local.am and script/fuzz.
 */
#ifndef HALL_FUZZ_STAMP_H
#define HALL_FUZZ_STAMP_H

#include <stddef.h>

#include "hall.h"
#include "stamp/stamp_int.h"

/* the clock the targets verify and sign at: the day after the hierarchy
 * was made (2026-11-29T00:00:00Z), inside every certificate's validity */
#define FUZZ_NOW ((time_t)1795910400)

struct fuzz_pki {
    X509 *root, *ca, *signer, *tsa, *sm2s;
    EVP_PKEY *signer_key, *tsa_key, *sm2s_key;
    STACK_OF(X509) * roots, *chain;
    /* the hall's trust: root, the seal checked (hall_seseal_load), FUZZ_NOW */
    struct hall_stamp_trust trust;
    /* the signer's and the SM2 signer's seals (pki/seal.der, pki/sm2seal.der;
     * NULL before script/fuzz --seeds made them) */
    unsigned char *seal, *sm2seal;
    size_t seal_len, sm2seal_len;
};

/* loaded once; want_key: the seal maker's key too (the seeds' maker) */
const struct fuzz_pki *fuzz_pki(int want_key);
/* a file of FUZZ_DIR (e.g. "pki/seal.der"), malloc'ed; NULL when absent */
unsigned char *fuzz_slurp(const char *rel, size_t *len);
/* the TSA (pki/tsa), answering in the process at FUZZ_NOW - 3600 */
unsigned char *fuzz_tsa(void *arg, struct hall_pool *pool, const unsigned char *req, size_t req_len,
                        size_t *resp_len);
/* hall_stamp_verify_fd over pdf, held in a memfd, with the hall's trust */
int fuzz_verify(struct hall_pool *pool, const unsigned char *pdf, size_t len,
                struct hall_stamp_report *rep, char *err, size_t errlen);
/* the base file rel (one signature) with its /Contents replaced by the hex
 * of der, zero-padded as a signer reserves it; NULL (nothing to do) when
 * der does not fit.  The byte ranges are unchanged: a digest that held
 * still holds.  malloc'ed, *len set. */
unsigned char *fuzz_in_gap(const char *rel, const unsigned char *der, size_t der_len, size_t *len);
/* the DER that base file rel's /Contents holds (its hex, zeros trimmed) */
unsigned char *fuzz_gap_der(const unsigned char *pdf, size_t len, size_t *der_len);

#endif
