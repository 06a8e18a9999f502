/* the PDF layer alone (core/pdf/pdf.h): the document as each revision
 * shows it (every %%EOF, at most 16), its trailer and catalog, every page
 * with its inherited attributes, annotations and content decoded, and a
 * walk of every object the last revision lists (at most 2,000) with each
 * stream's data decoded; nothing may crash, leak or loop */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pdf/pdf.h"

#define ENDS_MAX   16
#define PAGES_READ 64

static void
one(struct pdf_doc *d, int walk)
{
    int n = pdf_page_count(d);
    unsigned char *c;
    size_t len;

    for (int i = 1; i <= n && i <= PAGES_READ; i++) {
        int num;
        const struct pdf_obj *pg = pdf_page(d, i, &num), *a;
        double v;

        if (pg == NULL)
            __builtin_trap();
        a = pdf_page_attr(d, pg, "/MediaBox");
        if (a != NULL && a->type == PDF_ARRAY)
            for (int k = 0; k < a->n; k++)
                (void)pdf_num(pdf_resolve(d, a->items[k]), &v);
        (void)pdf_page_attr(d, pg, "/Rotate");
        a = pdf_key(d, pg, "/Annots");
        if (a != NULL && a->type == PDF_ARRAY)
            for (int k = 0; k < a->n && k < 64; k++)
                (void)pdf_key(d, pdf_resolve(d, a->items[k]), "/Rect");
        if (pdf_page_content(d, pg, 1 << 20, &c, &len) == HALL_OK) {
            if (c[len] != '\0')
                __builtin_trap();
            free(c);
        }
    }
    for (int num = 1; walk && num <= 2000; num++) {
        const struct pdf_obj *o = pdf_get(d, num, 0);

        if (o != NULL && o->type == PDF_STREAM &&
            pdf_stream_data(d, o, 1 << 20, &c, &len) == HALL_OK)
            free(c);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hall_pool *pool = hall_pool_create(65536);
    long long ends[ENDS_MAX];
    int nrev = 0;
    char err[256];

    for (const uint8_t *p = data;
         nrev < ENDS_MAX && (p = memmem(p, size - (size_t)(p - data), "%%EOF", 5)) != NULL; p += 5)
        ends[nrev++] = (long long)(p - data) + 5;
    for (int i = 0; i < nrev; i++) {
        struct pdf_doc *d = pdf_open(pool, data, (long long)size, ends[i], err, sizeof(err));

        if (d != NULL) {
            if (pdf_root(d) == NULL || pdf_trailer(d) == NULL)
                __builtin_trap();
            one(d, i == nrev - 1);
        }
    }
    {
        /* the whole text as one value */
        long long at = 0;

        (void)pdf_parse(pool, data, &at, (long long)size);
    }
    hall_pool_destroy(pool);
    return 0;
}
