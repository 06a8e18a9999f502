/*
 * core/pdf/pdf_int.h: what the PDF layer's files share (pdf_doc.c fills the
 * document; pdf_page.c keeps its page walk in it), its limits and the
 * functions no file outside core/pdf calls, and (pdf_lex.h) the lexer's
 * token loop inline under its public names.  For core/pdf's own files
 * only (and the unit tests, which look inside: tests/unit/layers.sh, 7).
 */
#ifndef HALL_PDF_INT_H
#define HALL_PDF_INT_H

#include "pdf/pdf.h"
#include "pdf/pdf_lex.h"

#define PDF_ITEMS_MAX    1000000   /* items of one array or dictionary */
#define PDF_XREF_MAX     1000000   /* cross-reference entries of one revision */
#define PDF_SECTIONS_MAX 4096      /* cross-reference sections in one /Prev chain */
#define PDF_READS_MAX    200000    /* objects parsed for one document */
#define PDF_PAGES_MAX    100000    /* page tree nodes walked */
#define PDF_DECODE_MAX   268435456 /* bytes of one decoded stream */
#define PDF_OBJSTM_MAX   64        /* object streams kept decoded at once */
#define PDF_FILTERS_MAX  4         /* filters chained on one stream */

/* how many cross-reference entries the revision lists (tests, the log) */
int pdf_entries(const struct pdf_doc *d);
/* raw bytes decoded through nf filters (names) and their parameters (a
 * dictionary whose values are direct, or NULL), in order, as
 * pdf_stream_data: pdf_filter.c, below the document */
int pdf_decode(const unsigned char *raw, size_t rawlen, const struct pdf_obj *const *filters,
               const struct pdf_obj *const *parms, int nf, size_t max, unsigned char **out,
               size_t *n);
/* a name ("/A B", the '/' first) and a string, as libqpdf 11 unparsed them */
void pdf_write_name(struct pdf_out *o, const char *s, size_t len);
void pdf_write_string(struct pdf_out *o, const char *s, size_t len);
/* a hex string token [a, b) (its brackets included) decoded into out (at
 * least (b - a) / 2 + 1 bytes), white space ignored, an odd last digit
 * followed by 0: its length, -1 when a byte is neither a digit nor white
 * space */
long long pdf_lex_hex_decode(const unsigned char *p, long long a, long long b, unsigned char *out);

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
    int twice; /* pdf_open's: numbers a section lists twice (pdf_twice) */
    /* pdf_open's: every in-use entry of every section (pdf_redefined) */
    struct pdf_listed {
        long long off;
        int num, gen;
    } * listed;
    int nlisted, caplisted;
};

/* what pdf_read_at looked at: the byte after the last token it read
 * (ext), and the /Length it resolved (lnum 0: none; lval its value).  On
 * a view (d->file) it resolves no indirect /Length: open is then the
 * stream's dictionary, its data at data, for the caller (pdf_file.c) to
 * resolve lnum itself and end with pdf_stream_end, so that reading an
 * object never calls back up into pdf_file.c (issue 62 §2) */
struct pdf_rinfo {
    long long ext, lval;
    int lnum, lgen;
    struct pdf_obj *open;
    long long data;
};

struct xe *pdf_slot(struct pdf_doc *d, int num);
void pdf_doc_free(void *arg);
long long pdf_startxref(const unsigned char *p, long long end);
int pdf_obj_head(const struct pdf_doc *d, long long *at, long long *num, long long *gen);
int pdf_section_at(struct pdf_doc *d, long long off, struct pdf_section *s);
/* the one walk of the /Prev chain (pdf_open's, pdf_file.c's views'): from
 * the startxref before end, each section's offset given to visit, which
 * reads it and gives its /Prev (-1 none); HALL_ERR with err when there is
 * no startxref, the chain loops or leaves [0, end), or visit fails */
int pdf_prev_walk(const unsigned char *p, long long end,
                  int (*visit)(void *arg, long long off, long long *prev), void *arg, char *err,
                  size_t errlen);
/* the last checks of a document read (pdf_open, pdf_file_doc): /Encrypt and
 * the catalog; HALL_ERR with err when it cannot be read (pdf_doc.c) */
int pdf_doc_readable(struct pdf_doc *d, char *err, size_t errlen);
const struct pdf_obj *pdf_read_at(struct pdf_doc *d, long long off, int num, int gen,
                                  struct pdf_rinfo *ri);
/* o (open, from pdf_read_at) a stream of len bytes at data, checked by
 * its endstream: NULL when len (resolved) does not fit */
const struct pdf_obj *pdf_stream_end(struct pdf_doc *d, struct pdf_obj *o, long long data,
                                     const struct pdf_obj *len, struct pdf_rinfo *ri);
/* object num, item idx of object stream stm (s: that stream, a view's
 * with its /Filter and /DecodeParms resolved by the caller, pdf_file.c;
 * NULL on pdf_open's own document: read here) */
const struct pdf_obj *pdf_read_in_stream(struct pdf_doc *d, int num, int stm,
                                         const struct pdf_obj *s, int idx);

#endif
