/* the PDF reader alone: the file read through core/pdf as the stamper
 * reads it (stamp_doc_read: pdf_open, the pages, the form, the page's
 * inherited attributes), its /DSS as core/pdf reads it, the file opened by
 * libqpdf as the verifier's comparison opens it (stamp_qpdf_open), and the
 * cross-reference sections, trailers and revision ends as the verifier
 * reads them from the bytes (stamp_xref_all, stamp_trailer_at) */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_stamp.h"

#define ENDS_MAX 256

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hall_pool *pool = hall_pool_create(65536);
    struct stamp_doc doc;
    struct stamp_diff diff;
    struct stamp_xlist xl;
    struct hall_stamp_evidence ev;
    struct hall_stamp_report rep;
    long long ends[ENDS_MAX], off;
    char err[512];
    int nrev = 0, table, i;

    /* the stamper's reading, page 1 */
    memset(&doc, 0, sizeof(doc));
    if (stamp_doc_read(&doc, data, size, 1, err, sizeof(err)) == HALL_OK) {
        if (doc.box[2] <= doc.box[0] && doc.box[3] <= doc.box[1] && doc.rotate % 90 != 0)
            __builtin_trap();
    }
    memset(&rep, 0, sizeof(rep));
    memset(&ev, 0, sizeof(ev));
    stamp_dss_read_pdf(pool, doc.pd, &ev, &rep);
    stamp_doc_free(&doc);
    (void)stamp_last_xref(size > 1024 ? data + size - 1024 : data, size > 1024 ? 1024 : size,
                          (long long)size, &off, &table, data);
    /* the verifier's: libqpdf, then the sections by their offsets */
    for (const uint8_t *p = data;
         nrev < ENDS_MAX && (p = memmem(p, size - (size_t)(p - data), "%%EOF", 5)) != NULL; p += 5)
        ends[nrev++] = (long long)(p - data) + 5;
    memset(&diff, 0, sizeof(diff));
    diff.f = qpdf_init();
    if (nrev > 0 && stamp_qpdf_open(diff.f, data, size, NULL, err, sizeof(err)) == HALL_OK) {
        diff.map = data;
        diff.size = (long long)size;
        diff.ends = ends;
        diff.nrev = nrev;
        memset(&xl, 0, sizeof(xl));
        if (stamp_xref_all(&diff, &xl) == HALL_OK && xl.n < 0)
            __builtin_trap();
        free(xl.e);
        for (i = 0; i < nrev; i++)
            (void)stamp_trailer_at(&diff, diff.f, ends[i]);
    }
    stamp_diff_free(&diff);
    qpdf_oh_release_all(diff.f);
    qpdf_cleanup(&diff.f);
    hall_pool_destroy(pool);
    return 0;
}
