/*
 * core/pdf/pdf.h: the PDF layer's one public header (docs/internals/stamp.md
 * §8, "One reader"): a PDF's objects read from its bytes through the one
 * lexer, as one revision of the file shows them, and written back.  Files
 * outside core/pdf include this header and no other of the folder
 * (tests/unit/layers.sh, 7); what only the layer's files share is in
 * pdf_int.h, which gives them the lexer's token loop inline (pdf_lex.h).
 *
 * What an anonymous upload may make it do is bounded everywhere: nesting
 * (PDF_DEPTH_MAX), a container's items, the entries of the cross-reference,
 * its sections, the objects read, the pages walked and every decoded
 * stream (the caller's max, 256 MiB at most; pdf_int.h has the limits).
 * Nothing is repaired: a stream not ending where its /Length says, a
 * section that does not parse, a loop in the page tree is an error (NULL
 * or HALL_ERR), never a guess.  An encrypted file is refused (pdf_open).
 *
 * Memory: the tree and the document live in the pool given to pdf_open;
 * decoded stream data and a writer's text are malloc'ed, the caller frees them.
 */
#ifndef HALL_PDF_H
#define HALL_PDF_H

#include <stddef.h>

#include "base/base.h"

#define PDF_DEPTH_MAX 64 /* arrays and dictionaries inside each other */

enum pdf_type {
    PDF_NULL,
    PDF_BOOL,
    PDF_INT,
    PDF_REAL,
    PDF_STRING, /* s: the bytes decoded (a literal's escapes, a hex string's digits) */
    PDF_NAME,   /* s: decoded (#xx), the '/' kept: "/Type" */
    PDF_ARRAY,
    PDF_DICT,
    PDF_REF,   /* i: its number, gen */
    PDF_STREAM /* a dictionary (its keys as PDF_DICT's) and its data's range */
};

struct pdf_obj {
    enum pdf_type type;
    int n;                  /* items of an array; keys of a dictionary or stream */
    long long i;            /* an integer, a boolean (0, 1), a reference's number */
    int gen;                /* a reference's generation */
    double r;               /* a real's (and an integer's) value */
    const char *s;          /* a string's or a name's bytes, a NUL after them */
    size_t len;             /* their length (a string may hold NUL) */
    struct pdf_obj **items; /* an array's items; a dictionary's keys (names) and
                             * values, alternately: key k at 2k, its value at 2k + 1 */
    long long a, b;         /* the text it was read from: [a, b) of the parsed bytes */
    long long data, dlen;   /* a stream's raw data: [data, data + dlen) of the file */
};

/* the one null: what an absent key, a free or unlisted object reads as */
extern const struct pdf_obj pdf_null;

/* ---- pdf_lex.c: the one lexer (ISO 32000-1 §7.2, §7.3) ------------------------------------ */

/* White space is NUL, TAB, LF, FF, CR, SP (VT not), the delimiters
 * ( ) < > [ ] { } / %, every other byte regular; a comment runs from % to
 * its line's end and is white space.  Offsets index p; end is one past the
 * last byte that may be read.  Nothing allocates. */
enum pdf_tok {
    PDF_TOK_END,          /* nothing but white space and comments before end */
    PDF_TOK_BAD,          /* a ')' or a '>' that begins nothing: that one byte */
    PDF_TOK_UNTERMINATED, /* a string or hex string not closed before end */
    PDF_TOK_INT,          /* [+-]digits */
    PDF_TOK_REAL,         /* [+-]digits with one '.', a digit at least */
    PDF_TOK_KEYWORD,      /* any other run of regular bytes: true, null, R, obj ... */
    PDF_TOK_NAME,         /* '/' and the regular bytes after it (#xx not decoded) */
    PDF_TOK_STRING,       /* ( ... ), the parentheses included */
    PDF_TOK_HEX,          /* < ... >, the brackets included */
    PDF_TOK_DICT_OPEN,    /* << */
    PDF_TOK_DICT_CLOSE,   /* >> */
    PDF_TOK_ARRAY_OPEN,   /* [ */
    PDF_TOK_ARRAY_CLOSE,  /* ] */
    PDF_TOK_BRACE_OPEN,   /* { (PostScript calculator functions) */
    PDF_TOK_BRACE_CLOSE   /* } */
};
/* a token: its kind and its bytes [a, b); an integer's value (held at
 * 2^40 and above when longer; 0 for other kinds) */
struct pdf_token {
    enum pdf_tok kind;
    long long a, b;
    long long ival;
    int vt; /* a name or keyword holding VT (0x0b): white space to libqpdf */
};
int pdf_lex_white(unsigned char c); /* NUL TAB LF FF CR SP */
int pdf_lex_delim(unsigned char c);
int pdf_lex_regular(unsigned char c); /* neither */
/* past white space and comments from at */
long long pdf_lex_skip(const unsigned char *p, long long at, long long end);
/* the run of regular bytes from at: its end (at when p[at] is not one) */
long long pdf_lex_regular_end(const unsigned char *p, long long at, long long end);
/* the token after white space and comments from *at (*at moved past it):
 * its kind, t filled */
enum pdf_tok pdf_lex_next(const unsigned char *p, long long *at, long long end,
                          struct pdf_token *t);
/* the literal string at at ('(', nesting and backslashes read) or the hex
 * string at at ('<'): just after its end; -1 when not closed before end */
long long pdf_lex_string_end(const unsigned char *p, long long at, long long end);
long long pdf_lex_hex_end(const unsigned char *p, long long at, long long end);
/* an integer token [a, b): 0 with *v (held at 2^40 and above), else -1 */
int pdf_lex_int(const unsigned char *p, long long a, long long b, long long *v);
/* a name token [a, b) decoded (#xx) into out, '/' kept: as snprintf, the
 * whole decoded length returned (an escape may decode to NUL) */
long long pdf_lex_name(const unsigned char *p, long long a, long long b, char *out, size_t outlen);
/* a literal string token [a, b) (its parentheses included) decoded into out
 * (b - a bytes at least): its length (§7.3.4.2's escapes; EOL read as LF) */
long long pdf_lex_string(const unsigned char *p, long long a, long long b, unsigned char *out);

/* ---- pdf_obj.c: one object's text ------------------------------------------------------- */
/* the value whose text starts at *at in p (before end), parsed into the
 * pool; *at moved just past it.  "N G R" is a reference, never resolved.
 * NULL when the text is not one value (a stray keyword, an unterminated
 * string, a dictionary key that is not a name, nesting over PDF_DEPTH_MAX,
 * a container of more than PDF_ITEMS_MAX items) */
struct pdf_obj *pdf_parse(struct hall_pool *pool, const unsigned char *p, long long *at,
                          long long end);
/* a dictionary's (or stream's) value for key ("/Rect"), unresolved: the
 * last one when the key is there twice (as libqpdf reads it); NULL when
 * absent or when d is neither */
const struct pdf_obj *pdf_dict_get(const struct pdf_obj *d, const char *key);
/* 1 when o is the name ("/FlateDecode") */
int pdf_is_name(const struct pdf_obj *o, const char *name);
/* a number's value (an integer or a real): HALL_OK, else HALL_ERR */
int pdf_num(const struct pdf_obj *o, double *v);

/* ---- pdf_doc.c: one revision's objects ----------------------------------------------------- */

struct pdf_doc;

/*
 * The document as the revision ending at end (just after its %%EOF; size:
 * the whole file) shows it: the startxref in the KiB before end, its
 * section and the sections /Prev names back to the first, each object's
 * newest entry kept.  Objects are read from p[0, end) when first asked.
 * NULL, err filled (English, for the log), when the chain cannot be read,
 * the trailer has no /Root or the file is encrypted.
 */
struct pdf_doc *pdf_open(struct hall_pool *pool, const unsigned char *p, long long size,
                         long long end, char *err, size_t errlen);
/* the newest section's trailer dictionary (a stream's: its dictionary) */
const struct pdf_obj *pdf_trailer(const struct pdf_doc *d);
/* the catalog (/Root resolved); NULL when it is not a dictionary */
const struct pdf_obj *pdf_root(struct pdf_doc *d);
/* object num (generation gen) of the revision: &pdf_null when free, not
 * listed or of another generation; NULL when its entry points at what does
 * not read as that object (then the document cannot be judged on it) */
const struct pdf_obj *pdf_get(struct pdf_doc *d, int num, int gen);
/* o itself, or the object o names when o is a reference (a chain of
 * references followed at most 8 deep); NULL as pdf_get */
const struct pdf_obj *pdf_resolve(struct pdf_doc *d, const struct pdf_obj *o);
/* pdf_dict_get then pdf_resolve: &pdf_null when absent */
const struct pdf_obj *pdf_key(struct pdf_doc *d, const struct pdf_obj *dict, const char *key);
/* the number of object o when it is a reference, else 0 */
int pdf_ref_num(const struct pdf_obj *o);
/* the highest object number the revision's sections list in use, 0 none
 * (a writer's new numbers start above it and the trailer's /Size) */
int pdf_top(const struct pdf_doc *d);

/* ---- pdf_doc.c and pdf_filter.c: stream data ---------------------------------------------- */

/* stream s's data decoded through its /Filter (none, /FlateDecode with
 * /Predictor 1 or 10-15, /ASCIIHexDecode, /ASCII85Decode, at most four
 * chained): HALL_OK, *out (malloc'ed, a NUL after it) and *n; HALL_ERR when
 * another filter, bad data, or more than max bytes (max 0: PDF_DECODE_MAX) */
int pdf_stream_data(struct pdf_doc *d, const struct pdf_obj *s, size_t max, unsigned char **out,
                    size_t *n);
/* stream s's raw data in the file (not decoded): its bytes, *n their
 * length; NULL when s is not a stream */
const unsigned char *pdf_stream_raw(const struct pdf_doc *d, const struct pdf_obj *s, size_t *n);

/* ---- pdf_page.c: pages --------------------------------------------------------------------- */

/* the number of pages (the leaves of the tree from /Root /Pages, a node
 * being one with a /Kids array); -1 when the tree cannot be walked (a node
 * met twice, deeper than PDF_DEPTH_MAX, more than PDF_PAGES_MAX nodes) */
int pdf_page_count(struct pdf_doc *d);
/* page n (1-based) and its object number (0 when direct); NULL when there
 * is no such page or pdf_page_count is -1 */
const struct pdf_obj *pdf_page(struct pdf_doc *d, int n, int *num);
/* key of the page, or of the nearest /Parent that has it (the inheritable
 * /Resources, /MediaBox, /CropBox, /Rotate), resolved; &pdf_null when none */
const struct pdf_obj *pdf_page_attr(struct pdf_doc *d, const struct pdf_obj *page, const char *key);
/* the page's content streams (/Contents, a stream or an array of them),
 * each decoded, joined with a newline after each: HALL_OK, *out (malloc'ed)
 * and *n (0 and an empty buffer when it has none); HALL_ERR when one cannot
 * be read or the whole is over max bytes */
int pdf_page_content(struct pdf_doc *d, const struct pdf_obj *page, size_t max, unsigned char **out,
                     size_t *n);

/* ---- pdf_cmp.c: objects as a judge of later revisions reads them -------------------------- */

/* the version the header names ("1.7": "%PDF-" in the first KiB, then
 * digits, a dot, digits); "1.2" when there is none, as libqpdf reads it */
const char *pdf_header_version(struct hall_pool *pool, const unsigned char *p, long long size);
/* 1 when v reads as null as a dictionary's value: absent (NULL), null, or
 * a reference to an object that is free, not listed or unreadable */
int pdf_value_null(struct pdf_doc *d, const struct pdf_obj *v);
/* a dictionary's keys (not a stream's) whose values are not null, in byte
 * order, each once: their count, *out in the document's pool */
int pdf_dict_keys(struct pdf_doc *d, const struct pdf_obj *dict, const char ***out);
/* key's value there and not null (pdf_value_null) */
int pdf_has_key(struct pdf_doc *d, const struct pdf_obj *dict, const char *key);
/* a (of document da) and b (of db) the same value: the same type, numbers
 * equal, strings and names byte for byte, references by number and
 * generation (not followed), arrays item by item, dictionaries (and a
 * stream's dictionary: its data is the caller's) by their keys not null */
int pdf_same(struct pdf_doc *da, const struct pdf_obj *a, struct pdf_doc *db,
             const struct pdf_obj *b);

/* ---- pdf_obj.c, pdf_doc.c: text strings, entries and sections read alone ------------------ */
/* a text string (ISO 32000-1 §7.9.2.2) as UTF-8, as libqpdf's
 * get_utf8_value reads it: UTF-16 after FE FF (or FF FE), UTF-8 after
 * EF BB BF, else PDFDocEncoding; in pool, NUL-terminated (what follows a
 * U+0000 is lost, as a C caller of libqpdf loses it); "" when s is no string */
const char *pdf_text_utf8(struct hall_pool *pool, const struct pdf_obj *s);
/* where the revision's entry puts object num: 1 in the file, *off the
 * offset of its "N G obj"; 2 in an object stream; 0 free or not listed */
int pdf_where(const struct pdf_doc *d, int num, long long *off);

/* one cross-reference section read alone, as pdf_open reads each one:
 * a table with its trailer's /XRefStm, or a stream */
#define PDF_XE_SELF  3 /* a cross-reference stream's own object (off: its offset) */
#define PDF_XE_OTHER 4 /* a stream's entry of a type not defined: null */
struct pdf_xent {
    int num, gen;
    int type;      /* 0 free, 1 in the file at off, 2 in object stream off at idx, or above */
    int idx, part; /* part: 0 a table's, 1 a stream's (the section's or /XRefStm's) */
    long long off;
};
struct pdf_section {
    struct pdf_xent *e;            /* malloc'ed (pdf_section_free), in the file's order */
    int n, cap, nstm;              /* nstm: the cross-reference streams read (0-2) */
    const struct pdf_obj *trailer; /* a table's trailer, a stream's dictionary (in pool) */
    long long prev;                /* its /Prev; -1 none */
    long long lowest;              /* the lowest offset its streams' data (or /XRefStm) lie at */
};
/* the section at off of p[0, end): HALL_OK and s filled; HALL_ERR when it
 * does not read (an indirect /Length in a stream, as ISO 32000 §7.5.8.2
 * forbids, included); s freed either way by pdf_section_free */
int pdf_section(struct hall_pool *pool, const unsigned char *p, long long end, long long off,
                struct pdf_section *s);
/* pdf_open's numbers a section lists twice, not both free (0 for a view) */
int pdf_twice(const struct pdf_doc *d);
/* N of an "N G obj" of pdf_open's no section lists, outside every listed
 * object, while the xref names N (file-order readers read it); 0 none */
int pdf_redefined(struct pdf_doc *d);
void pdf_section_free(struct pdf_section *s);

/* ---- pdf_write.c: objects written back as PDF syntax (the stamper's) ---------------------- */

/* max bytes at most ({.max = N}; {0}: none), a NUL after len; p malloc'ed; full: a put failed */
struct pdf_out {
    unsigned char *p;
    size_t len, cap, max;
    int full;
};
int pdf_out_put(struct pdf_out *o, const void *p, size_t n); /* HALL_ERR past max, o unchanged */
/* v (a value of object from's text; from 0: unknown, a real then printed from its value) as
 * PDF syntax, the text libqpdf 11's unparse gave: dictionaries "<< /K v >>" with their keys
 * sorted by their bytes, each once, those pdf_write_gone leave out; arrays "[ a b ]"; reals as
 * their text; references "N G R", not followed.  HALL_ERR: nested too deep, or o full */
int pdf_write(struct pdf_doc *d, struct pdf_out *o, const struct pdf_obj *v, int from);
/* dict's keys but skip's as " /K v" each, in that order (a dictionary
 * written again with keys added after them); HALL_ERR as pdf_write's */
int pdf_write_keys(struct pdf_doc *d, struct pdf_out *o, const struct pdf_obj *dict,
                   const char *const *skip, int from);
/* 1 when a writer leaves v out as null: null, a reference to an object
 * free or not listed, or that does not read (but a stream whose /Length
 * misses, when "endstream" follows: viewers read it) */
int pdf_write_gone(struct pdf_doc *d, const struct pdf_obj *v);
/* the generation object num's entry gives it (0 in an object stream) */
int pdf_gen(const struct pdf_doc *d, int num);
/* entries in the file whose offset does not hold their "N G obj": a
 * cross-reference that readers must rebuild, each with its own guess */
int pdf_misplaced(const struct pdf_doc *d);
/* the same for one section read alone (pdf_section) */
int pdf_section_misplaced(const unsigned char *p, long long end, const struct pdf_section *s);

/* ---- pdf_file.c: one file's revisions, each section and object read once ------------------ */

struct pdf_file;
/* the file p[0, size) whose revisions are to be read, in pool (which holds
 * every view and object read; nothing is read yet) */
struct pdf_file *pdf_file_open(struct hall_pool *pool, const unsigned char *p, long long size);
/* the document as the revision ending at end shows it: pdf_open's answers
 * (and errors), each section and each array, dictionary or stream read
 * once for every view it holds for (pdf_file.c says when); but an older
 * cross-reference stream's indirect /Length is not read (pdf_section) */
struct pdf_doc *pdf_file_doc(struct pdf_file *f, long long end, char *err, size_t errlen);
/* the object "num gen obj" at off of d's bytes, whatever d's entries say
 * (a cross-reference stream's own object, which no entry lists, as
 * libqpdf knows it once it read the section); NULL when it is not there */
const struct pdf_obj *pdf_obj_at(struct pdf_doc *d, long long off, int num, int gen);

#endif
