/* the PDF reader alone: the file read through core/pdf as the stamper
 * reads it (stamp_doc_read: pdf_open, the pages, the form, the page's
 * inherited attributes), its /DSS as core/pdf reads it, and as the
 * verifier reads it: the cross-reference sections by their offsets
 * (stamp_xref_all) and each revision's view of the file read once
 * (pdf_file_doc at each %%EOF, its trailer, catalog and pages) */
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
    struct stamp_in in;
    struct stamp_xlist xl;
    struct hall_stamp_evidence ev;
    struct hall_stamp_report rep;
    struct pdf_file *file;
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
    /* the verifier's: the sections by their offsets, then each revision */
    for (const uint8_t *p = data;
         nrev < ENDS_MAX && (p = memmem(p, size - (size_t)(p - data), "%%EOF", 5)) != NULL; p += 5)
        ends[nrev++] = (long long)(p - data) + 5;
    memset(&in, 0, sizeof(in));
    if (nrev > 0) {
        in.map = data;
        in.size = (long long)size;
        in.ends = ends;
        in.nrev = nrev;
        memset(&xl, 0, sizeof(xl));
        if (stamp_xref_all(&in, &xl) == HALL_OK && xl.n < 0)
            __builtin_trap();
        free(xl.e);
        file = pdf_file_open(pool, data, (long long)size);
        for (i = 0; file != NULL && i < nrev; i++) {
            struct pdf_doc *view = pdf_file_doc(file, ends[i], err, sizeof(err));

            if (view != NULL && pdf_root(view) != NULL)
                (void)pdf_page_count(view);
        }
    }
    hall_pool_destroy(pool);
    return 0;
}
