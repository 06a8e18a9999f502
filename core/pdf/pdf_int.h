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
    /* a view of a file read once (pdf_file.c): e is then a memo of the
     * objects asked, by number; NULL for pdf_open's own document */
    struct pdf_file *file;
    /* its answers, given by pdf_file.c (pdf_doc.c calls them only so,
     * the file above the document: tests/unit/layers.sh, 5) */
    const struct pdf_obj *(*vget)(struct pdf_doc *d, int num, int gen);
    int (*vwhere)(const struct pdf_doc *d, int num, long long *off);
    int (*ventries)(const struct pdf_doc *d);
    int (*vtop)(const struct pdf_doc *d);
    int chain;     /* the view's chain of sections (pdf_file.c's index) */
    long long ext; /* the last byte a section's reading looked at */
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

/* what pdf_read_at looked at: the byte after the last token it read
 * (ext), and the /Length it resolved (lnum 0: none; lval its value) */
struct pdf_rinfo {
    long long ext, lval;
    int lnum, lgen;
};

struct xe *pdf_slot(struct pdf_doc *d, int num);
void pdf_doc_free(void *arg);
long long pdf_startxref(const unsigned char *p, long long end);
int pdf_obj_head(const struct pdf_doc *d, long long *at, long long *num, long long *gen);
int pdf_section_at(struct pdf_doc *d, long long off, struct pdf_section *s);
/* the last checks of a document read (pdf_open, pdf_file_doc): /Encrypt and
 * the catalog; HALL_ERR with err when it cannot be read (pdf_doc.c) */
int pdf_doc_readable(struct pdf_doc *d, char *err, size_t errlen);
const struct pdf_obj *pdf_read_at(struct pdf_doc *d, long long off, int num, int gen,
                                  struct pdf_rinfo *ri);
const struct pdf_obj *pdf_read_in_stream(struct pdf_doc *d, int num, int stm, int idx);

#endif
