/*
 * core/pdf/pdf_int.h: what the PDF layer's files share (pdf_doc.c fills the
 * document; pdf_page.c keeps its page walk in it).  For core/pdf's own files only.
 */
#ifndef HALL_PDF_INT_H
#define HALL_PDF_INT_H

#include "pdf/pdf.h"

/* an entry: type 0 free, 1 in the file at off, 2 in object stream stm at idx */
struct xe {
    int num, gen;
    signed char type, busy; /* busy: 1 listed, 2 being read */
    int idx;
    long long off;           /* type 1: offset; type 2: the object stream's number */
    const struct pdf_obj *o; /* parsed; NULL not yet */
};

struct ostm { /* an object stream decoded */
    int num;
    unsigned char *data;
    size_t n;
    long long first;
    int count;
};

struct pdf_doc {
    struct hall_pool *pool;
    const unsigned char *p;
    long long end;
    struct xe *e;
    int ne, cap; /* cap a power of 2 */
    const struct pdf_obj *trailer;
    int reads;
    struct ostm ost[PDF_OBJSTM_MAX];
    int nost;
    /* pdf_page.c's walk, once */
    int npages;
    const struct pdf_obj **pages;
    int *page_nums;
    /* pdf_write.c's, once: the offsets entries in the file give, sorted;
     * each entry's pdf_write_gone (0 not asked, 1 kept, 2 gone) */
    long long *offs;
    int noffs;
    signed char *gone;
};

#endif
