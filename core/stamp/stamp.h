/*
 * core/stamp/stamp.h: the stamp's API (core/stamp/stamp_*.c, libhallstamp,
 * docs/internals/stamp.md), for the programs that link the stamp: hall-stamp
 * and the module sign.  Not included by pki.h: the others never see it.
 */
#ifndef HALL_PKI_STAMP_H
#define HALL_PKI_STAMP_H

#include "pki/pki.h"

/* ---- stamp: the stamp (盖章), core/stamp/stamp_*.c, docs/internals/stamp.md ------ */
/*
 * The stamp (盖章): one of the hall's electronic seals put on a PDF page as a
 * PAdES B-T signature in an incremental update, and the verifier of such
 * stamps.  The bytes are fixed by docs/internals/stamp.md; this is the one
 * implementation in C, used by hall-stamp (tools/stamp/hall_stamp.c) and by the
 * hall's module sign (POST /sign/verify, 免费体验).
 *
 * Linked as its own library, core/libhallstamp.a (HALL_STAMP_LIBS,
 * STAMP_CFLAGS in modules/list): it reads the PDF's structure with libqpdf,
 * which only its users link.  It uses libhall's pools and the seal verifier
 * (hall_seseal_verify, core/pki/seseal.c).
 *
 * Strings in the results are UTF-8 and belong to the pool given.  Every
 * error text is Chinese and says what the user can do; none holds a PIN,
 * a key or personal data beyond the certificate's subject.
 */
struct hall_pool;
struct hall_stamp_evidence;

/* the largest PDF the library stamps or verifies, bytes */
#define HALL_STAMP_PDF_MAX (200L * 1024 * 1024)
/* the signatures of one document a report lists at most (the rest are not listed) */
#define HALL_STAMP_SIGS_MAX 64

/* ---- signing -------------------------------------------------------------- */

/*
 * An RFC 3161 timestamp source instead of the URL: given the DER
 * TimeStampReq, returns the DER TimeStampResp (allocated in pool) and its
 * length, or NULL.  The hall's module can answer from its own TSA in the
 * process (hall_tsa_answer) without an HTTP round trip.
 */
typedef unsigned char *(*hall_stamp_tsa_fn)(void *arg, struct hall_pool *pool,
                                            const unsigned char *req, size_t req_len,
                                            size_t *resp_len);

struct hall_stamp_sign_in {
    const unsigned char *pdf; /* the input PDF, whole */
    size_t pdf_len;
    const unsigned char *seal; /* the .seseal, DER (SES_Seal) as the hall issued it */
    size_t seal_len;
    X509 *cert;             /* the signer's certificate: one the seal lists */
    STACK_OF(X509) * chain; /* its issuing CA(s), up to and not including the root; may be NULL */
    EVP_PKEY *key;          /* its private key: a PKCS#12's, or a token's (hall_token_key) */
    int page;               /* 1 = the first page */
    double x_mm;            /* the seal's centre: mm from the left edge of the page as shown */
    double y_mm;            /* ... and from its top edge (as a person measures on paper) */
    const char *tsa_url;    /* the hall's POST /tsa (application/timestamp-query), via libcurl */
    hall_stamp_tsa_fn tsa;  /* when not NULL, used instead of tsa_url */
    void *tsa_arg;
    long tsa_timeout_ms; /* 0: 15000 */
    time_t now;          /* the clock: /M (and an SM2 stamp's timeInfo); 0: time(NULL) */
    /* 骑缝章 (docs/internals/stamp.md §1c): HALL_STAMP_QIFENG_RIGHT or _LEFT
     * puts a slice of the seal on that edge of pages qf_first..qf_last
     * (0 0: every page) instead of the seal at page, x_mm; y_mm > 0 its
     * centre from the top edge, else each page's middle */
    int qifeng;
    int qf_first, qf_last;
};

#define HALL_STAMP_QIFENG_RIGHT 1
#define HALL_STAMP_QIFENG_LEFT  2

/*
 * Stamps in->pdf.  Returns the incremental update: the bytes to append to
 * in->pdf, unchanged, to get the stamped PDF (docs/internals/stamp.md §1;
 * they begin with the "\n" the input may need).  *len is set.  A P-256
 * signer writes a PAdES CMS (§2), an SM2 signer a GB/T 38540
 * SES_Signature (§2a; in->chain unused).  NULL with a Chinese err naming
 * the cause: not a PDF, encrypted, damaged, no such page, the point off
 * the page, the seal unreadable or not listing the certificate, a key
 * neither P-256 nor SM2, the key not the certificate's, the TSA
 * unreachable or refusing (no stamp is written without a timestamp).
 */
unsigned char *hall_stamp_sign(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
                               size_t *len, char *err, size_t errlen);

/* ---- verifying ------------------------------------------------------------ */

/* what the certificates given make trusted */
struct hall_stamp_trust {
    STACK_OF(X509) * roots; /* the hall's roots: the signers' and the TSA's chains end here */
    STACK_OF(X509) * cas;   /* issuing CAs besides those the CMS carries; may be NULL */
    X509 *demo_root;        /* the 免费体验 demo root, NULL when none */
    /* 1: the seal attribute is checked with hall_seseal_verify, whose roots
     * hall_seseal_load (the hall) or hall_seseal_trust (hall-stamp) set */
    int check_seal;
    time_t now; /* 0: time(NULL) */
    /* hall_stamp_verify_file's own, for its signatures (stamp_memo.c):
     * callers leave it NULL */
    struct stamp_memo *memo;
};

/* docs/internals/stamp.md §3, in the order a state applies */
enum hall_stamp_state {
    HALL_STAMP_MODIFIED = 1, /* 文档已被修改 */
    HALL_STAMP_FOREIGN = 2,  /* 非本CA签发 */
    HALL_STAMP_DEMO = 3,     /* 体验印章 */
    HALL_STAMP_REVOKED_BEFORE =
        4, /* 签章人证书已吊销（签章前）: set only from the hall's records */
    HALL_STAMP_SEAL_REVOKED = 5, /* 印章已注销: set only from the hall's records */
    HALL_STAMP_VALID = 6,        /* 有效 */
    /* a signature by a certificate of the hall's own CA without a seal (a
     * standard tool's PAdES signature with the holder's certificate): not
     * a stamp, not foreign either */
    HALL_STAMP_CA_SIGNATURE = 7 /* 本CA证书的数字签名（非电子印章） */
};

/* the Chinese name of a state: "有效", "文档已被修改", ... */
const char *hall_stamp_state_text(enum hall_stamp_state s);

/* one check's outcome */
enum hall_stamp_check {
    HALL_STAMP_NOT_DONE = 0, /* not reached (an earlier check failed) or not asked */
    HALL_STAMP_PASS = 1,
    HALL_STAMP_FAIL = 2
};

struct hall_stamp_sig {
    int index;          /* 1 = the oldest signature of the document */
    const char *field;  /* the field's /T, UTF-8 ("印章1") */
    int page;           /* the widget's page, 1-based; 0 unknown */
    double rect[4];     /* the widget's /Rect, points */
    int is_stamp;       /* 1: carries the seal attribute (a hall stamp); 0: another signature */
    const char *filter; /* /SubFilter, e.g. "ETSI.CAdES.detached" */

    /* what the signature covers (§3.1) */
    long long byte_range[4];
    long long revision_end; /* offset just after the %%EOF of the revision it is in */
    int covers_to_end;      /* 1: no byte follows its revision */
    int later_sigs;         /* signatures added in later revisions */
    int later_changes;      /* 1: a later revision changes more than adding signatures */
    const char *after;    /* what follows, Chinese ("其后追加了1个签章"); "" when nothing */
    const char *changes;  /* the first change a later revision made that no signature may
                             ("第1页的内容被修改"), "" when none */
    const char *overlap;  /* a later (or earlier) stamp's widget over this one's, Chinese;
                             "" when none (the "sneaky signature") */
    const char *covered;  /* a later stamp's widget over the page's text, Chinese; "" none */
    int obj_field, obj_v; /* the field's and its /V's object numbers (0: direct) */

    /* a 骑缝章 (stamp_qifeng.c): the edge ("right", "left"; NULL: not one),
     * the pages its slices are on ("1-5"), the slices, and those whose
     * page is no longer in the document */
    const char *qifeng_edge, *qifeng_pages;
    int qifeng_slices, qifeng_missing;

    /* the signer (from the CMS) */
    const char *signer_subject; /* RFC 2253 with UTF-8 */
    const char *signer_serial;  /* upper-case hex */
    const char *signer_issuer;
    time_t signer_not_before, signer_not_after;
    const unsigned char *signer_der; /* the certificate, DER (hall-stamp asks its status) */
    size_t signer_der_len;

    /* the seal (from the seal attribute) */
    const char *seal_es_id, *seal_name;
    int seal_type; /* 1 机构印章, 2 个人印章 */
    int seal_width_mm, seal_height_mm;
    time_t seal_valid_start, seal_valid_end;
    const unsigned char *seal_png; /* the picture's bytes */
    size_t seal_png_len;

    /* the time */
    time_t claimed_time; /* /M: the signer's clock, untrusted; 0 none */
    time_t signing_time; /* the timestamp's genTime; 0 when there is no valid timestamp */
    const char *tsa_subject;

    /* each check of §3 */
    enum hall_stamp_check range;        /* 1: /ByteRange well formed, gap = /Contents */
    enum hall_stamp_check digest;       /* 2: messageDigest = SHA-256 (SES: SM3) of the ranges */
    enum hall_stamp_check signature;    /* 2: the signature verifies with the certificate's key */
    enum hall_stamp_check signing_cert; /* 2: signingCertificateV2 names that certificate
                                           (SES: version 4, propertyInfo = /ByteRange) */
    enum hall_stamp_check timestamp;    /* 3: the token's signature, its chain, its imprint */
    enum hall_stamp_check seal;         /* 4: the .seseal verifies and lists the signer */
    enum hall_stamp_check chain;        /* 5: signer -> CA -> a root (or the demo root) */
    int demo;                           /* 1: the chain ends at the demo root */
    int ses;           /* 1: an SM2 stamp, GB/T 38540 SES_Signature (§2a); 0: CMS */
    int doc_timestamp; /* 1: a document timestamp (/ETSI.RFC3161): no seal, the token alone */

    /* long-term validation (stamp_level.c; docs/internals/stamp.md §3,
     * "Levels"): what the file's /DSS says for the signing time */
    const char *level;            /* "B-B", "B-T", "B-LT", "B-LTA"; "GB/T 38540" an SM2 stamp (no
                                     place for evidence); "DTS" a document timestamp; "" not reached */
    const unsigned char *tsa_der; /* the signature timestamp's TSA certificate, DER */
    size_t tsa_der_len;
    int ltv_state;          /* enum hall_stamp_rev: the signer's status from /DSS, at or
                               after signing_time; 0 (UNCHECKED) when none speaks for it */
    const char *ltv_source; /* "OCSP", "CRL" */
    time_t ltv_at;          /* that answer's thisUpdate (the CRL's lastUpdate) */
    time_t ltv_revoked_at;  /* REVOKED: when */
    int ltv_reason;
    int ltv_tsa_state;         /* the TSA certificate's, the same way */
    int ltv_tsa_needed;        /* 1: the TSA certificate names an OCSP or CRL source, or a
                                  root issued it (its evidence: the root's CRL) */
    time_t ltv_tsa_revoked_at; /* when ltv_tsa_state is revoked */
    int ltv_issuer;            /* 1: the signer's issuer is in /DSS /Certs or the CAs given */
    int doc_ts_after;          /* valid document timestamps in later revisions */
    time_t doc_ts_time;        /* the first of them */

    /* the state from the document alone: the hall then consults its records
     * (revocation against signing_time, the seal's state) and may lower it
     * to HALL_STAMP_REVOKED_BEFORE or HALL_STAMP_SEAL_REVOKED */
    enum hall_stamp_state state;
    const char *problem; /* Chinese: the first check that failed; "" when none */
};

struct hall_stamp_report {
    int nsigs; /* 0: the document holds no signature */
    struct hall_stamp_sig *sigs;
    long long file_size;
    int revisions; /* the %%EOF-closed revisions the file has */
    /* the cost (docs/performance.md): bytes hashed for all the signatures'
     * digests together (one pass: about file_size per algorithm), and the
     * revisions libqpdf opened besides the whole file */
    long long hashed;
    int revision_opens;
    /* the file's /DSS (PAdES B-LT): its items, and the document timestamps */
    int dss_certs, dss_ocsps, dss_crls;
    int doc_timestamps;
    const struct hall_stamp_evidence *evidence; /* in pool */
};

/*
 * Verifies every signature of the PDF read from fd (a regular file; read by
 * offsets, never whole into memory: a 20 MB file verifies in flat memory).
 * HALL_OK with the report (sigs in pool); HALL_ERR with a Chinese err when
 * the file is not a PDF, is encrypted or damaged beyond reading.
 */
int hall_stamp_verify_fd(struct hall_pool *pool, int fd, const struct hall_stamp_trust *trust,
                         struct hall_stamp_report *rep, char *err, size_t errlen);
/* the same for a file by name */
int hall_stamp_verify_file(struct hall_pool *pool, const char *path,
                           const struct hall_stamp_trust *trust, struct hall_stamp_report *rep,
                           char *err, size_t errlen);

/*
 * What the hall's records say of one stamp's signer and seal: looked up by
 * the caller (POST /sign/verify: the certificates and seals tables) when
 * hall_stamp_wants_records says so; hall-stamp verify has none.
 */
struct hall_stamp_records {
    int looked_up;    /* 0: no records consulted (hall-stamp verify) */
    int cert_known;   /* the signer's certificate is in the records */
    int cert_revoked; /* revoked (or void) */
    time_t cert_revoked_at;
    int seal_known;         /* the seal (its esID) is in the register */
    int seal_revoked;       /* 注销 */
    time_t seal_revoked_at; /* when (0 unknown: taken as before the stamp) */
    /* hall-stamp verify, asking the hall online (hall_stamp_records_online):
     * why the signer's status could not be learnt (looked_up 0), or the
     * seal's; NULL when it was */
    const char *unchecked;
    const char *seal_unchecked;
};

/* 1 when the stamp is under the hall's own CA: its records are worth asking */
int hall_stamp_wants_records(const struct hall_stamp_sig *s);

#define HALL_STAMP_NOTES_MAX 6

/* one stamp's verdict: the state and the reason both programs show */
struct hall_stamp_verdict {
    enum hall_stamp_state state;
    const char *problem;                     /* Chinese: why it is not 有效; "" when it is */
    const char *notes[HALL_STAMP_NOTES_MAX]; /* Chinese, shown beside the state */
    int nnotes;
    int revoked_after;             /* 签章后吊销: revoked after the signing time */
    int seal_revoked_after;        /* 签章后注销: the seal cancelled after it */
    const char *signer_at_signing; /* "有效", "已吊销", "" unknown */
};

/*
 * The one rule (docs/internals/stamp.md §3, "States"): the document's state
 * (s->state, from hall_stamp_verify_*), lowered by the records when given
 * (rec NULL or not looked_up: the document alone), with the notes: 签章后吊销,
 * unregistered certificate or seal, the demo seal, a widget over another.
 * POST /sign/verify and hall-stamp verify both call it.  Strings in pool.
 */
void hall_stamp_verdict(struct hall_pool *pool, const struct hall_stamp_sig *s,
                        const struct hall_stamp_records *rec, struct hall_stamp_verdict *v);
/* the verdict's short word for what happened after the signing (签章后吊销,
 * 签章后注销, both); NULL when nothing did */
const char *hall_stamp_after_note(const struct hall_stamp_verdict *v);

/* ---- revocation online (stamp_status.c, docs/internals/stamp.md §3) -------- */

#define HALL_STAMP_EVIDENCE_MAX 32

/* the evidence a file keeps (its /DSS, PAdES B-LT): the OCSP answers
 * (der, len, n), the CRLs and the certificates, each DER */
struct hall_stamp_evidence {
    const unsigned char *der[HALL_STAMP_EVIDENCE_MAX];
    size_t len[HALL_STAMP_EVIDENCE_MAX];
    int n;
    const unsigned char *crl[HALL_STAMP_EVIDENCE_MAX];
    size_t crl_len[HALL_STAMP_EVIDENCE_MAX];
    int ncrl;
    const unsigned char *cert[HALL_STAMP_EVIDENCE_MAX];
    size_t cert_len[HALL_STAMP_EVIDENCE_MAX];
    int ncert;
    /* the answers judged once for all the file's signatures (stamp_status.c,
     * in the pool with the evidence); NULL: each judged when asked */
    struct stamp_kept *kept;
};
/* reads them (in pool); HALL_ERR when the file cannot be read (ev empty) */
int hall_stamp_evidence_read(struct hall_pool *pool, const char *path,
                             struct hall_stamp_evidence *ev);

struct hall_stamp_cache; /* stamp_cache.c */

/* how the hall is asked */
struct hall_stamp_online {
    const char *hall; /* the hall's address instead of the certificate's (hall-stamp --hall);
                         NULL: the certificate's own URLs */
    long timeout_ms;  /* each request; 0: 10 s */
    time_t now;       /* 0: time(NULL) */
    int offline;      /* 1: ask nothing; the evidence only */
    /* the file's evidence, believed first: an answer made at or after
     * signing_time about the certificate; NULL none */
    const struct hall_stamp_evidence *evidence;
    time_t signing_time;
    /* hall_stamp_ltv_gather: answers and issuers fetched for earlier files
     * of a batch (hall-stamp sign --out-dir), reused; NULL none */
    struct hall_stamp_cache *cache;
};

enum hall_stamp_rev {
    HALL_STAMP_REV_UNCHECKED = 0, /* no answer that could be checked: why says */
    HALL_STAMP_REV_GOOD = 1,
    HALL_STAMP_REV_REVOKED = 2,
    HALL_STAMP_REV_UNKNOWN = 3 /* the responder does not know the certificate */
};

struct hall_stamp_status {
    enum hall_stamp_rev state;
    time_t revoked_at;
    int reason;         /* CRLReason, -1 none */
    const char *source; /* "OCSP" or "CRL" */
    const char *url;    /* where it was asked ("/DSS": the file's own evidence) */
    const char *why;    /* UNCHECKED: why, Chinese */
    time_t checked_at;  /* the answer's thisUpdate (the CRL's lastUpdate) */
    int embedded;       /* 1: from the file's evidence, nothing asked online */
};

/*
 * The signer's status: from o->evidence when an answer there speaks for
 * the signing time, else (unless o->offline) asked of the OCSP responder the certificate's
 * authorityInfoAccess names, else of its CRL distribution point; the
 * issuer is the one of cas that signed cert, else fetched from the AIA's
 * caIssuers.  Answers are believed only when signed by the issuer (or its
 * OCSP responder) and current.  Never fails: st says what was learnt.
 */
void hall_stamp_status_check(struct hall_pool *pool, X509 *cert, STACK_OF(X509) * cas,
                             const struct hall_stamp_online *o, struct hall_stamp_status *st);
/* a CRLReason in Chinese (密钥泄露, ...) */
const char *hall_stamp_reason_text(int reason);
/* the hall a certificate names: its OCSP URL without "/ocsp" (else its CRL's
 * without "/pki/NAME.crl"); NULL none */
const char *hall_stamp_hall_of(struct hall_pool *pool, X509 *cert);

/* a seal's state in the hall's register (GET /sign/seal-status) */
struct hall_stamp_seal_status {
    int checked;              /* 0: not learnt, why says */
    const char *state;        /* valid, revoked, replaced, unknown */
    time_t revoked_at;        /* revoked: when */
    const char *revoked_text; /* ... in Beijing time, "" none */
    const char *current;      /* replaced: the seal in use now (the chain's end), "" unknown */
    const char *why;
};
/* asked of o->hall, else of the hall cert names (hall_stamp_hall_of) */
void hall_stamp_seal_check(struct hall_pool *pool, X509 *cert, const char *es_id,
                           const struct hall_stamp_online *o, struct hall_stamp_seal_status *ss);
/* the records hall_stamp_verdict reads, from what the hall answered (ss may be NULL) */
void hall_stamp_records_online(struct hall_pool *pool, const struct hall_stamp_status *st,
                               const struct hall_stamp_seal_status *ss,
                               struct hall_stamp_records *rec);
/* the records from the hall's own rows (POST /sign/verify): the signer's
 * certificates.state and revoked_at, the seal's seseals.state and
 * revoked_at (epoch s); a state NULL when there is no row */
void hall_stamp_records_rows(const char *cert_state, time_t cert_revoked_at, const char *seal_state,
                             time_t seal_revoked_at, struct hall_stamp_records *rec);

#include "stamp/stamp_ltv.h"
#include "stamp/stamp_may.h"

/* ---- 验签报告: the verification report (stamp_report.c, stamp_reportpdf.c) -- */

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

struct hall_stamp_report_doc {
    struct hall_stamp_line *lines; /* in pool */
    int n;
    int all_valid;
};

/*
 * The 验签报告's content, from the verdict POST /sign/verify shows: the
 * document (name, SHA-256 hex, size, revisions, its /DSS), then for each
 * signature of rep its verdict v[i] (hall_stamp_verdict) with the level,
 * signer, seal (esID, picture), times, timestamp, revocation evidence,
 * what followed it, and the summary.  made_at: when the report is made.
 */
void hall_stamp_report_build(struct hall_pool *pool, const struct hall_stamp_report *rep,
                             const struct hall_stamp_verdict *v, const char *name,
                             const char *sha256_hex, time_t made_at,
                             struct hall_stamp_report_doc *out);
/* where the report's own 验签专用章 goes (hall_stamp_sign_in's page,
 * x_mm, y_mm): a blank band after the last line, under the words saying
 * who signs the report */
struct hall_stamp_report_spot {
    int page; /* 1-based */
    double x_mm, y_mm;
};
/* the content as an A4 PDF (cairo and pango, the CJK font of the seal
 * pictures; libhallseal): the bytes in pool, *len set; NULL when cairo
 * fails or it exceeds 8 MiB.  With spot, a band is left blank for the
 * report's seal (HALL_SEAL_MM) and its place is set there. */
unsigned char *hall_stamp_report_pdf(struct hall_pool *pool, const struct hall_stamp_report_doc *d,
                                     struct hall_stamp_report_spot *spot, size_t *len);

/* ---- pieces (unit tests, the tool) ----------------------------------------- */

/* mm from the top-left of the page as shown (its /Rotate, 0 90 180 or 270,
 * applied) -> PDF user space of a /MediaBox [llx lly urx ury] */
void hall_stamp_point(const double mediabox[4], int rotate, double x_mm, double y_mm, double *x_pt,
                      double *y_pt);
/* the reserved /Contents size in hex digits for a CMS of der_len bytes:
 * 2 × der_len rounded up to 1 KiB */
size_t hall_stamp_reserve(size_t der_len);

#endif
