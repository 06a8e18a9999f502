/*
 * core/stamp/stamp_revs.h: inside the stamp library, what follows a
 * signature read revision by revision (stamp_diff.c, stamp_xref.c,
 * stamp_refs.c, stamp_allow.c, stamp_text.c).  Included by stamp_int.h, at its end.
 */
#ifndef HALL_PKI_STAMP_REVS_H
#define HALL_PKI_STAMP_REVS_H

#include "stamp_int.h"

/* ---- stamp_diff.c: what follows a signature ------------------------------------- */

/*
 * The file whose later revisions are judged: stamp_verify.c fills it once
 * (a unit test or a fuzz target by hand); stamp_diff.c, stamp_xref.c,
 * stamp_refs.c and stamp_allow.c read it, none writes it (issue 62 §2:
 * each struct one writer).  What each of them keeps is its own struct:
 * stamp_diff.c's struct stamp_diff and stamp_refs.c's struct stamp_refs
 * (opaque here), stamp_xref.c's struct stamp_xsecs (xs points to it).
 */
struct stamp_in {
    const unsigned char *map; /* its bytes */
    long long size;
    const long long *ends; /* the revisions' ends (just after each %%EOF) */
    int nrev;
    /* the whole file as core/pdf reads it (NULL when it cannot); fv the
     * same when it is file's view at the end (else NULL: stamp_diff.c
     * makes its own) */
    struct pdf_doc *pf, *fv;
    /* the file read once for every revision's view (pdf_file.c), NULL:
     * stamp_diff.c opens its own */
    struct pdf_file *file;
    const struct hall_stamp_report *rep; /* the signatures, each checked (2-5) */
    /* the sections read after a signature, each once: stamp_xref.c fills
     * what xs points to (NULL: none kept) */
    struct stamp_xsecs *xs;
};

/* stamp_diff.c's own: what one verification's comparisons learn once
 * (the walk from the catalog, the added fields judged, the whole file's
 * roles, the signed revisions' views); made by stamp_diff_new */
struct stamp_diff;
/* stamp_refs.c's own: the scan of every object's text */
struct stamp_refs;

/* ---- stamp_xref.c: the cross-reference sections after a revision ------------------ */

#define STAMP_XREF_IDS_MAX 50000 /* entries read after one signature, at most */

/* one entry of a cross-reference section */
struct stamp_xent {
    int num, gen, used;
    long long off; /* in use, not in an object stream: its offset; else -1 */
    int order;     /* the sections are read newest first: the lowest is the object's */
    long long sec; /* stamp_xref_all: the offset of the section that lists it */
};

struct stamp_xlist {
    struct stamp_xent *e; /* malloc'ed */
    int n, cap;
    int max;          /* entries read at most: 0 STAMP_XREF_IDS_MAX */
    int over;         /* more than that */
    long long lowest; /* the lowest offset a section's data was read at */
};

/* a section read once (stamp_xref.c): its entries, /Prev, lowest data */
struct stamp_xsec {
    long long off, prev, lowest;
    struct stamp_xent *e;
    int n;
};

/* the sections read once per file (stamp_xref.c fills it, alone; its
 * holder zeroes it and frees it with stamp_xsecs_free) */
struct stamp_xsecs {
    struct stamp_xsec *v;
    int n, cap;
};

void stamp_xsecs_free(struct stamp_xsecs *x);
/* entries by number, each object's newest section first (qsort) */
int stamp_xent_cmp(const void *a, const void *b);
/* num among l's entries (sorted by number) */
int stamp_xlist_has(const struct stamp_xlist *l, int num);
/* the offset the last "startxref" in the KiB before end names; -1 none */
long long stamp_startxref(const unsigned char *p, long long end);
/* the entries of every section after the revision ending at end, into l:
 * HALL_ERR when what follows is not a chain of sections after it leading
 * back to its own (docs/internals/stamp.md §3) */
int stamp_written_after(const struct stamp_in *in, long long end, struct stamp_xlist *l);
/* the entries of every section of the file, from its startxref back
 * through /Prev to the first: HALL_ERR when the chain cannot be read */
int stamp_xref_all(const struct stamp_in *in, struct stamp_xlist *l);
/* ---- stamp_allow.c: the whitelist, one rule a row (docs/internals/stamp.md §3) --------- */

enum stamp_allow_rule {
    STAMP_ALLOW_CATALOG,
    STAMP_ALLOW_VERSION,
    STAMP_ALLOW_EXTENSIONS,
    STAMP_ALLOW_PERMS,
    STAMP_ALLOW_FORM,
    STAMP_ALLOW_FORM_REDRAW,
    STAMP_ALLOW_FIELDS,
    STAMP_ALLOW_PAGE,
    STAMP_ALLOW_NEW_FIELD,
    STAMP_ALLOW_FILLED,
    STAMP_ALLOW_INFO,
    STAMP_ALLOW_METADATA,
    STAMP_ALLOW_DSS,
    STAMP_ALLOW_XREF_STREAM,
    STAMP_ALLOW_OBJECT_STREAM,
    STAMP_ALLOW_NEW_OBJECT,
    STAMP_ALLOW_N
};

struct stamp_allow {
    const char *id;   /* the docs' row: "W1" */
    const char *what; /* the object the rule is about */
    const char *const
        *keys;           /* the keys that may differ (or may be there), NULL-ended; NULL: none */
    const char *pyhanko; /* the rule of pyHanko's diff_analysis it answers */
};

extern const struct stamp_allow stamp_allow[STAMP_ALLOW_N];

/* one signature's catalog as the rules read it: stamp_diff.c fills it,
 * stamp_allow.c reads it */
struct stamp_signed {
    const struct stamp_in *in;     /* the file, its catalog (in->pf) */
    struct pdf_doc *p;             /* the revision as signed: a view */
    long long end;                 /* its end */
    const char *head;              /* the file header's version (W2) */
    const struct stamp_refs *refs; /* every object's text, where it is */
    int p_root;                    /* the signed catalog's number */
    int written;                   /* 1: a later section writes it, or it is another object */
    /* the numbers the later sections write, by number (NULL: unknown, all) */
    const struct stamp_xlist *w;
    long long raw_a, raw_b; /* the two catalogs' text (offsets in the file, -1 none) */
};

/* W2 through core/pdf: the whole file's catalog's /Version raised from,
 * or as, the signed one's */
int stamp_allow_catalog_version(struct hall_pool *pool, const struct stamp_signed *sg);
/* key's value of the whole file's catalog (W3, W12: /Extensions, /DSS)
 * that a later revision may have written: other than the signed catalog's,
 * or an object a later section writes (sg->w); 1 also when a catalog
 * cannot be read */
int stamp_allow_catalog_touched(struct hall_pool *pool, const struct stamp_signed *sg,
                                const char *key);
/* W1 through core/pdf: the first key, in byte order, whose value differs
 * between the signed catalog and the whole file's but for the rule's keys
 * (a value the same in the two catalogs' text, stamp_raw_value_same, not
 * compared again); NULL when none; "/Root" when a catalog cannot be read */
const char *stamp_allow_catalog_differs(struct hall_pool *pool, const struct stamp_signed *sg);
/* key of the whole file's catalog (in->pf), resolved; NULL unreadable */
const struct pdf_obj *stamp_froot_key(const struct stamp_in *in, const char *key);
/* /Extensions (resolved; NULL unreadable): absent, or developer extensions
 * dictionaries, direct, of the standard's keys (W3) */
int stamp_allow_extensions(struct pdf_doc *q, const struct pdf_obj *ext);
/* the /DSS (resolved; NULL unreadable): absent, or a dictionary of /Type
 * /Certs /OCSPs /CRLs /VRI, /VRI a dictionary (W12) */
int stamp_allow_dss(struct pdf_doc *q, const struct pdf_obj *dss);
/* W5: a text or choice field under fields, drawn with the form's /DA and
 * /DR when it has no appearance (1 too past 10000 fields looked at) */
int stamp_allow_variable_text(struct pdf_doc *q, const struct pdf_obj *fields, int depth,
                              int *seen);
/* W8: the widget w shown (not hidden or no-view, its /Rect not empty) */
int stamp_allow_visible(struct pdf_doc *q, const struct pdf_obj *w);
/* W9: object num gen read as old (in p, the signed revision ending at
 * p_end) at the start of the revision ending at end, and as new (in f,
 * the whole file) at its end: that revision alone wrote it (file: in's) */
int stamp_allow_filled_in(struct pdf_file *file, const struct stamp_in *in, long long p_end,
                          long long end, int num, int gen, struct pdf_doc *p,
                          const struct pdf_obj *old, struct pdf_doc *f, const struct pdf_obj *new);

/* what the revisions after the one ending at end change beyond what a
 * later signature may (docs/internals/stamp.md §3): NULL when nothing,
 * else the first change in Chinese ("第1页的内容被修改"), *n their count */
const char *stamp_diff_after(struct hall_pool *pool, struct stamp_diff *d, long long end, int *n);
/* the comparisons of in's signatures (in read, never written; it outlives
 * the result), to be let go with stamp_diff_free */
struct stamp_diff *stamp_diff_new(const struct stamp_in *in);
/* how many times the file was read for the signed revisions' views (0
 * none, 1 read once: rep->revision_opens) */
int stamp_diff_opens(const struct stamp_diff *d);
void stamp_diff_free(struct stamp_diff *d);

/* ---- stamp_refs.c: references to numbers not yet used ------------------------------ */

/* the scan of every object's text of in (malloc'ed, never NULL; let go
 * with stamp_refs_free): the references to numbers at or above psize (the
 * oldest signed revision's /Size) kept */
struct stamp_refs *stamp_refs_scan(const struct stamp_in *in, long long psize);
void stamp_refs_free(struct stamp_refs *r);
/* 1 when no object of the revision ending at end (its trailer's /Size
 * psize) can hold a reference to num (>= psize), proven from the objects'
 * text; 0 when one may, or it cannot be told (then the walk decides) */
int stamp_refs_none(const struct stamp_refs *r, int num, long long end, long long psize);
/* the offset of object num's text (generation 0, not in an object stream)
 * in the revision ending at end (-1: the whole file), from the scan; -1
 * when it cannot be told (r NULL too) */
long long stamp_refs_offset(const struct stamp_refs *r, int num, long long end);
/* 1 when key's value in the top dictionaries of the objects whose text is
 * at a and at b is the same, token for token, and names no number w lists
 * (the later sections'; NULL: unknown, none may be named): both then read
 * as the same, without resolving what they name; 0 when not or when it
 * cannot be told */
int stamp_raw_value_same(const struct stamp_in *in, long long a, long long b, const char *key,
                         const struct stamp_xlist *w);
/* 1 when text the page's content streams show (1-based page of the
 * document d, core/pdf) lies under rect (a later widget over an earlier
 * signer's text); 0 when not, or when the page cannot be read */
int stamp_text_under(struct pdf_doc *d, int page, const double rect[4]);

#endif
