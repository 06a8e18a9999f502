/* the stamper on a hostile PDF (hall_stamp_sign): it refuses, saying why,
 * or its update appended to the input makes a file whose new signature
 * verifies and libqpdf reads with core/pdf's pages: never a crash, never
 * a stamp that is not whole, nor one some reader reads otherwise.  The input's
 * length picks the kind (P-256 CMS, SM2 SES_Signature, 骑缝章). */
#include <stdlib.h>
#include <string.h>

#include <qpdf/qpdf-c.h>

#include "fuzz.h"
#include "fuzz_stamp.h"

/* the pages of p as libqpdf reads it (the tests' independent reader,
 * never linked into a program): -1 when it cannot */
static int
qpdf_pages(const unsigned char *p, size_t n)
{
    qpdf_data q = qpdf_init();
    int pages = -1;

    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    if ((qpdf_read_memory(q, "fuzz", (const char *)p, (unsigned long long)n, NULL) & QPDF_ERRORS) ==
        0)
        pages = qpdf_get_num_pages(q);
    qpdf_cleanup(&q);
    return pages;
}

/* the pages of p as core/pdf reads it: -1 when it cannot */
static int
core_pages(struct hall_pool *pool, const unsigned char *p, size_t n)
{
    char err[256];
    struct pdf_doc *d = pdf_open(pool, p, (long long)n, (long long)n, err, sizeof(err));

    return d != NULL ? pdf_page_count(d) : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct fuzz_pki *k = fuzz_pki(0);
    struct hall_pool *pool;
    struct hall_stamp_sign_in in;
    struct hall_stamp_report rep;
    char err[512];
    unsigned char *u, *out;
    size_t ul = 0;
    int kind = (int)(size % 3);

    if (k->seal == NULL || k->sm2seal == NULL)
        abort(); /* script/fuzz --seeds first */
    pool = hall_pool_create(65536);
    memset(&in, 0, sizeof(in));
    in.pdf = data;
    in.pdf_len = size;
    in.seal = kind == 1 ? k->sm2seal : k->seal;
    in.seal_len = kind == 1 ? k->sm2seal_len : k->seal_len;
    in.cert = kind == 1 ? k->sm2s : k->signer;
    in.key = kind == 1 ? k->sm2s_key : k->signer_key;
    in.chain = kind == 1 ? NULL : k->chain;
    in.page = 1;
    in.x_mm = 25;
    in.y_mm = 25;
    in.tsa = fuzz_tsa;
    in.now = FUZZ_NOW - 3600;
    in.qifeng = kind == 2 ? HALL_STAMP_QIFENG_RIGHT : 0;
    err[0] = '\0';
    u = hall_stamp_sign(pool, &in, &ul, err, sizeof(err));
    if (u == NULL) {
        if (err[0] == '\0')
            __builtin_trap(); /* a refusal says why */
    } else {
        const struct hall_stamp_sig *s = NULL;

        out = malloc(size + ul);
        if (out == NULL)
            abort();
        memcpy(out, data, size);
        memcpy(out + size, u, ul);
        if (fuzz_verify(pool, out, size + ul, &rep, err, sizeof(err)) != HALL_OK)
            __builtin_trap(); /* a stamp written on a file the verifier refuses */
        /* the new one: its ranges end where the file ends */
        for (int i = 0; i < rep.nsigs; i++)
            if (rep.sigs[i].byte_range[2] + rep.sigs[i].byte_range[3] == (long long)(size + ul))
                s = &rep.sigs[i];
        if (s == NULL)
            __builtin_trap(); /* written, but the verifier does not find it */
        if (s->range != HALL_STAMP_PASS || s->digest != HALL_STAMP_PASS ||
            s->signature != HALL_STAMP_PASS || s->covers_to_end != 1)
            __builtin_trap(); /* found, but not whole */
        /* the independent reader opens it, with the pages core/pdf reads */
        if (qpdf_pages(out, size + ul) != core_pages(pool, out, size + ul))
            __builtin_trap();
        free(out);
    }
    hall_pool_destroy(pool);
    return 0;
}
