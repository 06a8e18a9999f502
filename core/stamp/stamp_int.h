/*
 * Inside the stamp library (core/libhallstamp.a): what its files share and
 * nobody else includes (the unit tests and fuzz targets look inside:
 * tests/unit/layers.sh, 7).  The API is stamp/stamp.h, the one public header.
 *
 *   stamp_der.c     a bounded growable buffer, DER and PDF string writers
 *   stamp_png.c     the seal's PNG picture -> RGB and alpha rows
 *   stamp_pdf.c     the writer's input (core/pdf), the fields' walks, the incremental update
 *   stamp_raw.c     the guard that an object written again keeps every key
 *   stamp_cms.c     the CMS SignedData and the RFC 3161 timestamp
 *   stamp_ses.c     the SM2 stamp's GB/T 38540 SES_Signature (§2a): made, checked
 *   stamp_sign.c    hall_stamp_sign: the steps of a stamp
 *   stamp_verify.c  hall_stamp_verify_*: the checks of docs/internals/stamp.md §3
 *   stamp_check.c   the checks both kinds of signature share (3, 4, the signer)
 *   stamp_diff.c    what the revisions after a signature change (§3, the whitelist)
 *   stamp_allow.c   the whitelist's table: which object may change how (§3, W1-W15)
 *   stamp_status.c  a signer's revocation and a seal's state asked online (§3)
 *   stamp_xref.c    the cross-reference sections written after a revision
 *   stamp_text.c    text under a later stamp's widget
 *   stamp_dss.c     the /DSS update and the document timestamp (B-LT, B-LTA)
 *   stamp_level.c   the /DSS read, each signature's level (§3, "Levels")
 *   stamp_memo.c    what one verification learns once for all its signatures
 *   stamp_refs.c    references a signed revision holds to numbers it did not use
 *   stamp_qifeng.c  the 骑缝章: slices of the seal on every page's edge, written and read
 */
#ifndef HALL_PKI_STAMP_INT_H
#define HALL_PKI_STAMP_INT_H

#include <stddef.h>

#include <time.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "base/base.h"
#include "pdf/pdf.h"
#include "pki/pki.h"
#include "stamp/stamp.h"

/* the largest PDF the library stamps or verifies, bytes */
#define HALL_STAMP_PDF_MAX    (200L * 1024 * 1024)
#define STAMP_OID_SEAL_ATTR   "2.999.41.2"
#define STAMP_TSA_PLACEHOLDER 8192          /* the timestamp's size when reserving /Contents */
#define STAMP_SIG_PLACEHOLDER 72            /* the largest DER ECDSA P-256 signature */
#define STAMP_PNG_MAX_PIXELS  (4096 * 4096) /* a seal's picture is some hundreds square */
#define STAMP_FIELDS_MAX      20000         /* form fields walked at most */
#define STAMP_ID_MAX          256           /* a trailer /ID string kept, at most */
#define STAMP_CONTENTS_MAX    (1024 * 1024) /* /Contents hex digits read at most */
#define STAMP_TSA_RESP_MAX    (256 * 1024)
#define STAMP_UPDATE_OBJS     64   /* objects one /DSS update writes at most */
#define STAMP_UPDATE_SLOTS    1024 /* objects any update writes at most (a 骑缝章's) */
#define STAMP_QIFENG_PAGES    300  /* pages a 骑缝章 spans at most: 3 objects each */
#define STAMP_SES_SUBFILTER   "GBT38540.SES_Signature" /* the SM2 stamp's /SubFilter */
/* the text of one value the stamper writes again (a page, the form, the
 * catalog, the /DSS, an /Annots or /Fields array), bytes at most: 20000
 * fields' references take some 240 KB */
#define STAMP_VALUE_MAX (16L * 1024 * 1024)

/* ---- what stamp/stamp.h's callers need not see ------------------------------ */

/* the reserved /Contents size in hex digits for a CMS of der_len bytes:
 * 2 × der_len rounded up to 1 KiB */
size_t hall_stamp_reserve(size_t der_len);

/* a /DSS item's kind (struct hall_stamp_dss_in's kind) */
enum hall_stamp_dss_kind {
    HALL_STAMP_DSS_CERT = 1,
    HALL_STAMP_DSS_OCSP = 2,
    HALL_STAMP_DSS_CRL = 3
};
/* adds one item (copied into pool) unless it is there already or the list is full */
void hall_stamp_dss_add(struct hall_pool *pool, struct hall_stamp_dss_in *in, int kind,
                        const unsigned char *der, size_t len);

/* one line of the 验签报告 (struct hall_stamp_report_doc's lines) */
enum hall_stamp_line_kind {
    HALL_STAMP_LINE_TITLE = 1, /* the report's title */
    HALL_STAMP_LINE_HEAD = 2,  /* a section: the document, one stamp, the verdict */
    HALL_STAMP_LINE_TEXT = 3,  /* "label：value" */
    HALL_STAMP_LINE_SEAL = 4   /* the seal's picture (png) */
};
struct hall_stamp_line {
    enum hall_stamp_line_kind kind;
    const char *text;         /* UTF-8; SEAL: its caption */
    const unsigned char *png; /* SEAL only */
    size_t png_len;
    int bad; /* 1: drawn as a warning (a state that is not 有效, a change) */
};

/* the file's /DSS evidence read (in pool; stamp_level.c); HALL_ERR when the
 * file cannot be read (ev empty) */
int hall_stamp_evidence_read(struct hall_pool *pool, const char *path,
                             struct hall_stamp_evidence *ev);

/* ---- stamp_der.c ---------------------------------------------------------- */

/* a growable buffer: malloc'ed, aborts when memory runs out */
struct stamp_buf {
    unsigned char *p;
    size_t len, cap, max;
};

void stamp_buf_put(struct stamp_buf *b, const void *p, size_t n);
void HALL_PRINTF(2, 3) stamp_buf_printf(struct stamp_buf *b, const char *fmt, ...);
void stamp_buf_str(struct stamp_buf *b, const char *s);
void stamp_buf_free(struct stamp_buf *b);

void stamp_der_tlv(struct stamp_buf *b, unsigned char tag, const void *v, size_t n);
/* wraps inner (consumed) in tag */
void stamp_der_wrap(struct stamp_buf *b, unsigned char tag, struct stamp_buf *inner);
void stamp_der_oid(struct stamp_buf *b, const char *dotted);
/* AlgorithmIdentifier without parameters (RFC 5754, RFC 5758) */
void stamp_der_alg(struct stamp_buf *b, const char *dotted);
/* qsort's order of DER encodings (a SET OF's) */
int stamp_der_cmp(const void *a, const void *b);

/* UTF-8 -> <FEFF...> (UTF-16BE with its byte-order mark, in hex) */
void stamp_pdf_utf16(struct stamp_buf *b, const char *s);
/* bytes -> <0A1B...> */
void stamp_pdf_hex(struct stamp_buf *b, const unsigned char *p, size_t n);

/* ---- stamp_png.c ---------------------------------------------------------- */

/* 8-bit, non-interlaced PNGs of any colour type: what the hall's seals are
 * (cairo's RGBA) and what a scan becomes; *rgb and *alpha are malloc'ed */
int stamp_png_decode(const unsigned char *png, size_t n, int *w, int *h, unsigned char **rgb,
                     unsigned char **alpha);
/* zlib at level 9, malloc'ed */
unsigned char *stamp_deflate(const unsigned char *p, size_t n, size_t *out);

/* ---- stamp_pdf.c ---------------------------------------------------------- */

/* the whole file opened by core/pdf (pdf_open, pdf_page_count): NULL and a
 * Chinese err when it does not read (encrypted, damaged, no page) */
struct pdf_doc *stamp_pdf_open(struct hall_pool *pool, const unsigned char *pdf, size_t len,
                               char *err, size_t errlen);
/* a form field as core/pdf reads it: its dictionary, its /Kids resolved
 * (&pdf_null when none), its object (num 0 when direct) */
struct stamp_field {
    const struct pdf_obj *f, *kids;
    int num, gen;
};
/* the AcroForm's fields under fields, depth first, each field's /FT
 * inherited from its parents, STAMP_FIELDS_MAX at most (counted in *seen):
 * visit says what next, 1 go into its /Kids, 0 on to the next field, -1
 * stop walking (then -1, else 0) */
int stamp_fields_each(
    struct pdf_doc *d, const struct pdf_obj *fields, int inherited_sig, int depth, int *seen,
    int (*visit)(struct pdf_doc *d, const struct stamp_field *f, int is_sig, void *arg), void *arg);
/* the last cross-reference section: its offset (startxref) and whether it
 * is a table; from the file's last 1 KiB */
int stamp_last_xref(const unsigned char *tail, size_t n, long long file_len, long long *off,
                    int *table, const unsigned char *pdf);

/* what the update needs of the input PDF */
struct stamp_doc {
    struct hall_pool *pool; /* pd's (stamp_doc_free) */
    struct pdf_doc *pd;     /* the input as core/pdf reads it */
    const struct pdf_obj *root, *page;
    /* the page's /Annots, the catalog's /AcroForm and its /Fields: each
     * resolved (&pdf_null when absent), and its object when indirect (0) */
    const struct pdf_obj *annots, *acro, *fields;
    int annots_num, annots_gen, acro_num, acro_gen, fields_num;
    int info_num, info_gen; /* the trailer's /Info (0: none) */
    /* the trailer's /ID's first string, read through core/pdf; -1 none */
    unsigned char id0[STAMP_ID_MAX];
    int id0_len;
    int root_num, root_gen, page_num, page_gen;
    long long size;           /* the trailer's /Size */
    long long prev;           /* the last cross-reference section's offset */
    int table;                /* 1: that section is a table; 0: a stream */
    int nsigs;                /* the signature fields it has */
    double box[4];            /* the page's /MediaBox */
    int rotate;               /* its /Rotate: 0, 90, 180 or 270 */
    const unsigned char *pdf; /* the input, for the guard that no key is lost */
    size_t len;
};

/* reads what the update needs; the page in range: HALL_ERR with err */
int stamp_doc_read(struct stamp_doc *d, const unsigned char *pdf, size_t len, int page, char *err,
                   size_t errlen);
/* d moved to another page (1-based): its object, /MediaBox, /Annots */
int stamp_doc_page(struct stamp_doc *d, int page, char *err, size_t errlen);
/* what stamp_doc_read kept let go (d zeroed may be given) */
void stamp_doc_free(struct stamp_doc *d);

/* one object the update writes */
struct stamp_obj {
    long long num;
    int gen;
    long long off; /* in the whole file */
};

/* the incremental update as it is written (docs/internals/stamp.md §1) */
struct stamp_update {
    struct stamp_buf u; /* the bytes appended to the input */
    size_t base;        /* the input's length: u's offset in the file */
    size_t br_at;       /* the /ByteRange's 32 blanks */
    size_t gap_at;      /* the '<' of /Contents */
    size_t gap_end;     /* just after its '>' */
    struct stamp_obj objs[STAMP_UPDATE_SLOTS];
    int nobjs;
    long long n_s, n_w, n_n, n_i, n_m; /* signature, widget, appearance, image, mask */
};

/* the seal's appearance on the page */
struct stamp_look {
    int pw, ph; /* the picture, pixels */
    unsigned char *zrgb, *zalpha;
    size_t zrgb_len, zalpha_len;
    double cx, cy;     /* its centre, user space */
    double w_pt, h_pt; /* its size on the page, points */
    int rotate;        /* the page's /Rotate: the picture turned back upright */
    const char *name;  /* the seal's name: /Name */
    const char *es_id; /* its esID: /Reason */
};

/* the signature dictionary with reserve hex digits of /Contents, the
 * widget, the appearance, the page (or its /Annots) and the form again,
 * each object written again holding every key and reference of the
 * input's text: HALL_ERR with err (the file refused) when one would not */
int stamp_write_objects(struct stamp_update *up, const struct stamp_doc *d,
                        const struct stamp_look *look, const char *subfilter, size_t reserve,
                        time_t now, char *err, size_t errlen);
/* the cross-reference section (table or stream, as the input's last one)
 * with the trailer, then /ByteRange filled in */
void stamp_write_xref(struct stamp_update *up, const struct stamp_doc *d);

/* for stamp_dss.c: "num gen obj" begun at the update's end, its offset kept */
void stamp_obj_begin(struct stamp_update *up, long long num, int gen);
/* dict (of object from of d's input) written again: its keys sorted but
 * skip's, then extra (pdf_write_keys); HALL_ERR, u unchanged, when its
 * text would pass STAMP_VALUE_MAX */
int stamp_dict_again(const struct stamp_doc *d, struct stamp_buf *u, const struct pdf_obj *dict,
                     int from, const char *const *skip, const char *extra);
/* v (of object from) as PDF syntax (pdf_write); HALL_ERR, u unchanged,
 * when its text would pass STAMP_VALUE_MAX (or it nests too deep) */
int stamp_pdf_value(const struct stamp_doc *d, struct stamp_buf *u, const struct pdf_obj *v,
                    int from);
/* "PDF文件的<what>过大…，不能盖章" into err (a value stamp_pdf_value refused) */
void stamp_too_big(char *err, size_t errlen, const char *what);
/* the page d read and the form again with the widget w added to /Annots
 * and /Fields, each checked against the input's text (as a stamp's) */
int stamp_widget_added(struct stamp_update *up, const struct stamp_doc *d, long long w, char *err,
                       size_t errlen);

/* for stamp_qifeng.c: S (as a stamp's), a stream object's dictionary and
 * data, the page d holds again with widget w added to /Annots, the form
 * again with field f added to /Fields (then the rebuilt-xref check) */
void stamp_write_sig(struct stamp_update *up, const struct stamp_look *look, const char *subfilter,
                     size_t reserve, time_t now);
void stamp_stream_obj(struct stamp_buf *u, const char *dict_head, const unsigned char *data,
                      size_t n);
int stamp_page_added(struct stamp_update *up, const struct stamp_doc *d, long long w, char *err,
                     size_t errlen);
int stamp_form_added(struct stamp_update *up, const struct stamp_doc *d, long long f, char *err,
                     size_t errlen);

/* ---- stamp_qifeng.c: the 骑缝章 (docs/internals/stamp.md §1c) ------------------ */

/* S, the field, the picture, and one widget with its slice on the chosen
 * edge of each chosen page, each page and the form again: as
 * stamp_write_objects, for a 骑缝章 (in->qifeng) */
int stamp_qifeng_write(struct stamp_update *up, struct stamp_doc *d, const struct stamp_look *look,
                       const struct hall_stamp_sign_in *in, const char *subfilter, size_t reserve,
                       time_t now, char *err, size_t errlen);
/* a signed field (object num, gen of d, read by core/pdf; its /Kids the
 * widgets) read as a 骑缝章 into s when it is one: two or more widgets on
 * distinct pages (page_ids: the pages' object numbers), all at one edge;
 * nothing when d is NULL or the field is not an indirect object */
void stamp_qifeng_read(struct hall_pool *pool, struct pdf_doc *d, int num, int gen,
                       const int *page_ids, int npages, struct hall_stamp_sig *s);

/* ---- stamp_raw.c: the guard on the input's bytes (stamp.md §1) ------------- */

/* the object num gen written again (w, its text) against its text in the
 * input: every key but skip's kept with the same references (added_key's
 * array holding added, num << 16 | gen, one more); an array every item
 * and added.  HALL_ERR with err (the file refused) naming what is lost */
int stamp_raw_kept(const struct stamp_doc *d, long long num, int gen, const unsigned char *w,
                   size_t wn, const char *const *skip, const char *added_key, long long added,
                   const char *what, char *err, size_t errlen);
/* the same for the dictionary that is key's value inside num gen */
int stamp_raw_inner_kept(const struct stamp_doc *d, long long num, int gen, const char *key,
                         const unsigned char *w, size_t wn, const char *const *skip,
                         const char *added_key, long long added, const char *what, char *err,
                         size_t errlen);

/* ---- stamp_cms.c ---------------------------------------------------------- */

/* the signed attributes, each encoded, sorted: the DER SET's content */
void stamp_signed_attrs(struct stamp_buf *set, const unsigned char digest[32], X509 *cert,
                        const unsigned char *seal, size_t seal_len);
/* ContentInfo { signedData, [0] SignedData } */
void stamp_cms_build(struct stamp_buf *out, X509 *cert, STACK_OF(X509) * chain,
                     const struct stamp_buf *attrs, const unsigned char *sig, size_t sig_len,
                     const unsigned char *tst, size_t tst_len);
/* the DER TimeStampToken over sig, from the TSA: NULL with err */
unsigned char *stamp_timestamp(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
                               const unsigned char *sig, size_t sig_len, size_t *tst_len, char *err,
                               size_t errlen);

/* the same over h, a SHA-256 made by the caller (a document timestamp's) */
unsigned char *stamp_timestamp_digest(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
                                      const unsigned char h[32], size_t *tst_len, char *err,
                                      size_t errlen);

/* ---- stamp_ses.c ---------------------------------------------------------- */

/* the /Contents reserve of an SM2 stamp (§2a), hex digits */
size_t stamp_ses_reserve(const struct hall_stamp_sign_in *in);
/* the DER SES_Signature over hash (SM3 of the ranges) with propertyInfo
 * prop, signed with in->key, timestamped: into out, or HALL_ERR with err */
int stamp_ses_make(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
                   const unsigned char hash[32], const char *prop, time_t now,
                   struct stamp_buf *out, char *err, size_t errlen);
/* checks 2-5 of an SM2 stamp's /Contents (der), as check_cms does a CMS's;
 * rd: its ranges' digest, from the verifier's one pass */
struct stamp_rdig;
void stamp_ses_check(struct hall_pool *pool, const struct stamp_rdig *rd, const unsigned char *der,
                     size_t der_len, const struct hall_stamp_trust *trust, struct hall_stamp_sig *s,
                     time_t now);

/* ---- stamp_check.c: what both signature kinds' checks share ---------------- */
const char *stamp_x_name(struct hall_pool *pool, const X509_NAME *nm);
const char *stamp_x_serial(struct hall_pool *pool, X509 *x);
time_t stamp_asn1_time(const ASN1_TIME *t);
/* the signer's subject, issuer, serial and validity into s */
void stamp_signer_named(struct hall_pool *pool, X509 *signer, struct hall_stamp_sig *s);
/* NULL when the hall verifies the signer's algorithm, else the 无法验证 problem */
const char *stamp_check_alg(struct hall_pool *pool, X509 *signer);
/* check 4: the seal (sp, DER SES_Seal) verifies and lists the signer */
void stamp_check_seal(struct hall_pool *pool, const unsigned char *sp, size_t sl, X509 *signer,
                      const struct hall_stamp_trust *trust, struct hall_stamp_sig *s);
/* the timestamp's TSA: its subject and its certificate (DER) into s */
void stamp_tsa_named(struct hall_pool *pool, X509 *tsa, struct hall_stamp_sig *s);
/* check 3: the token (DER) over the signature value sv, by a TSA under a root */
void stamp_check_timestamp(struct hall_pool *pool, const unsigned char *tp, long tl,
                           const unsigned char *sv, int sv_len,
                           const struct hall_stamp_trust *trust, struct hall_stamp_sig *s);

/* ---- stamp_memo.c: what one verification learns once for all its signatures */

#define STAMP_MEMO_MAX 16 /* certificates, signature pairs kept (more: asked again) */

struct stamp_memo {
    int nx, nsig;
    X509 *x[STAMP_MEMO_MAX]; /* decoded from x_der */
    unsigned char *x_der[STAMP_MEMO_MAX];
    size_t x_len[STAMP_MEMO_MAX];
    /* the certificate s_der's signature by i_der's key verified */
    unsigned char *s_der[STAMP_MEMO_MAX], *i_der[STAMP_MEMO_MAX];
    size_t s_len[STAMP_MEMO_MAX], i_len[STAMP_MEMO_MAX];
    /* stamp_issued_by(x, issuer) of the certificates iss_x, iss_i: iss_ok */
    int niss;
    unsigned char *iss_x[STAMP_MEMO_MAX], *iss_i[STAMP_MEMO_MAX];
    size_t iss_xl[STAMP_MEMO_MAX], iss_il[STAMP_MEMO_MAX];
    int iss_ok[STAMP_MEMO_MAX];
    /* the last seal read: its bytes, the checks asked, what was found */
    unsigned char *seal_der;
    size_t seal_len;
    int seal_checked, seal_ok;
    struct hall_seseal_info seal_info;
};

/* der decoded (a reference the caller frees), the same DER once; m NULL: none */
X509 *stamp_memo_x509(struct stamp_memo *m, const unsigned char *der, size_t len);
/* st's X509_verify_cert verifies each (certificate, issuer) signature of m
 * once, the rest of its checks each time; m NULL: nothing */
void stamp_memo_store(struct stamp_memo *m, X509_STORE *st);
/* the seal sp (checked: its maker's signature asked) read before: 1 with
 * *info and *ok; m NULL or other bytes: 0 */
int stamp_memo_seal_get(const struct stamp_memo *m, const unsigned char *sp, size_t sl, int checked,
                        struct hall_seseal_info *info, int *ok);
void stamp_memo_seal_put(struct stamp_memo *m, const unsigned char *sp, size_t sl, int checked,
                         const struct hall_seseal_info *info, int ok);
/* x's DER, malloc'ed (NULL none) */
unsigned char *stamp_memo_der(X509 *x, size_t *len);
/* der, a ContentInfo of SignedData (a CMS, an RFC 3161 token) carrying
 * certificates, all X.509: 1 with *out the same DER without them
 * (malloc'ed) and *certs each decoded, in their order (m's, the same DER
 * once; the caller frees the stack); 0 when m is NULL or der is of another
 * form (then nothing is made) */
int stamp_memo_signed_data(struct stamp_memo *m, const unsigned char *der, size_t len,
                           unsigned char **out, size_t *out_len, STACK_OF(X509) * *certs);
/* the BasicOCSPResponse of the DER OCSPResponse der with the certificates
 * it carries decoded through m (the same DER once), in their order; NULL
 * when m is NULL, der is of another form or carries none (the caller then
 * asks OCSP_response_get1_basic, as before) */
OCSP_BASICRESP *stamp_memo_ocsp_basic(struct stamp_memo *m, const unsigned char *der, size_t len);
void stamp_memo_free(struct stamp_memo *m);

/* ---- stamp_digest.c: every signature's ranges hashed in one pass ----------- */

enum { RDIG_NONE, RDIG_DONE, RDIG_READ, RDIG_OVER };

/* one signature's digest: md and its ranges [0, a) and [b, e) asked before
 * the pass (md NULL: none), the state and digest read after it */
struct stamp_rdig {
    const EVP_MD *md;
    long long a, b, e;
    int state; /* RDIG_* */
    int tail;  /* its context in the pass */
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl;
};

/* every job's digest (n <= HALL_STAMP_SIGS_MAX), reading fd of size bytes
 * once in pieces of 64 KiB; *hashed: the bytes hashed, all digests together */
void stamp_digests_run(int fd, long long size, struct stamp_rdig *jobs, int n, long long *hashed);
/* a signature's two ranges hashed with md in the one pass: HALL_OK with h
 * and *hl; HALL_ERR with *why (unreadable, or beyond what the pass may
 * cost) */
int stamp_rdig_get(const struct stamp_rdig *r, const EVP_MD *md, unsigned char *h, unsigned int *hl,
                   const char **why);

/* ---- stamp_status.c: what stamp_level.c and stamp_dss.c ask of it ---------- */

/* 1 when issuer signed x (also an SM2 issuer's GM/T 0009 signature) */
int stamp_issued_by(X509 *x, X509 *issuer);

/* what stamp_status_kept judged of a file's /DSS (ev->kept), in pool (the
 * evidence's): its own, filled by stamp_status.c alone */
struct stamp_kept *stamp_kept_new(struct hall_pool *pool);
/* the verification's memo while stamp_levels runs (NULL after): the
 * answers' responder certificates decoded once (stamp_memo_ocsp_basic) */
void stamp_kept_memo(struct stamp_kept *k, struct stamp_memo *memo);
/* cert's status from the freshest of ev's OCSP answers and CRLs signed
 * by issuer and made at or after after: HALL_OK with st (embedded, url
 * "/DSS") */
int stamp_status_kept(struct hall_pool *pool, X509 *cert, X509 *issuer,
                      const struct hall_stamp_evidence *ev, time_t after,
                      struct hall_stamp_status *st);
/* cert's OCSP answer (its AIA), else CRL (its CDP), asked now and checked:
 * HALL_OK with the DER in pool and *kind (HALL_STAMP_DSS_OCSP, _CRL).  A
 * CRL of the hall's (<hall>/pki/NAME.crl) is asked as one made at or
 * after after (?after=, as the root's), when after is not 0 */
int stamp_status_fetch(struct hall_pool *pool, X509 *cert, X509 *issuer,
                       const struct hall_stamp_online *o, time_t after, int *kind,
                       const unsigned char **der, size_t *len, const char **why);
/* the root's CRL (an ARL) about cert, issued by root: <hall>/pki/root.crl
 * made at or after after (o->hall first, else hall), asked now and checked:
 * HALL_OK with the DER in pool */
int stamp_arl_fetch(struct hall_pool *pool, X509 *cert, X509 *root, const char *hall,
                    const struct hall_stamp_online *o, time_t after, const unsigned char **der,
                    size_t *len, const char **why);
/* <hall>/pki/root.crt (o->hall first) when it is a root that issued cert */
X509 *stamp_root_fetch(struct hall_pool *pool, X509 *cert, const char *hall,
                       const struct hall_stamp_online *o, const char **why);
/* the issuer the certificate's AIA caIssuers gives, checked: NULL with why */
X509 *stamp_issuer_fetch(struct hall_pool *pool, X509 *cert, const struct hall_stamp_online *o,
                         const char **why);
/* 1 when cert names an OCSP responder or a CRL */
int stamp_status_sources(struct hall_pool *pool, X509 *cert);

/* ---- stamp_cache.c: a batch's fetched evidence (hall_stamp_cache_create) ---- */

/* cert's answer asked at or after after + 1 s: 1 with *kind, *der, *len */
int stamp_cache_answer(struct hall_stamp_cache *c, X509 *cert, time_t after, int *kind,
                       const unsigned char **der, size_t *len);
/* keeps cert's answer (copied), asked at asked_at */
void stamp_cache_answer_put(struct hall_stamp_cache *c, X509 *cert, time_t asked_at, int kind,
                            const unsigned char *der, size_t len);
/* an issuer of x fetched before (not up-ref'd), or NULL */
X509 *stamp_cache_issuer(struct hall_stamp_cache *c, X509 *x);
/* keeps issuer (up-ref'd) */
void stamp_cache_issuer_put(struct hall_stamp_cache *c, X509 *issuer);

/* ---- stamp_level.c: the levels (docs/internals/stamp.md §3, "Levels") ---- */

/* the file's /DSS read from the document as core/pdf reads it into ev (in
 * pool) and counted in rep (the verifier's and the stamper's): nothing
 * when d is NULL */
void stamp_dss_read_pdf(struct hall_pool *pool, struct pdf_doc *d, struct hall_stamp_evidence *ev,
                        struct hall_stamp_report *rep);
/* every signature's level and embedded status (after checks 1-5 and the
 * later revisions' verdicts) */
void stamp_levels(struct hall_pool *pool, const struct hall_stamp_trust *trust,
                  struct hall_stamp_report *rep);

/* hall_stamp_verdict's last step on the signer: its status at signing
 * from the file's evidence (s->ltv_*) into v, with its note, unless the
 * records already found it revoked before; 1 when it spoke */
int stamp_verdict_kept(struct hall_pool *pool, const struct hall_stamp_sig *s,
                       struct hall_stamp_verdict *v);

#include "stamp_revs.h"

#endif
