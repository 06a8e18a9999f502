/*
 * core/stamp/stamp.h: the stamp's API (core/stamp/stamp_*.c, libhallstamp,
 * docs/internals/stamp.md), for the programs that link the stamp: hall-stamp
 * and the module sign.  Not included by pki.h: the others never see it.
 * Signing and verifying here; asking the hall and the /DSS in
 * stamp/stamp_online.h, the 验签报告 in stamp/stamp_report.h.
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
 * STAMP_CFLAGS in modules/list): it reads the PDF through core/pdf, the
 * one reader.  It uses libhall's pools and the seal verifier
 * (hall_seseal_verify, core/pki/seseal.c).
 *
 * Strings in the results are UTF-8 and belong to the pool given.  Every
 * error text is Chinese and says what the user can do; none holds a PIN,
 * a key or personal data beyond the certificate's subject.
 */
struct hall_pool;
struct hall_stamp_evidence;

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
    const char *tsa_url;    /* the hall's POST /tsa (a timestamp query), core's HTTP client */
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
    HALL_STAMP_CA_SIGNATURE = 7, /* 本CA证书的数字签名（非电子印章） */
    /* 无法验证: signed with an algorithm the hall does not verify (Ed25519,
     * Ed448): its ranges and digest intact, its signature value neither
     * valid nor proven false; what its revision adds is judged as for any */
    HALL_STAMP_UNSUPPORTED = 8
};

/* the Chinese name of a state: "有效", "文档已被修改", ... */
const char *hall_stamp_state_text(enum hall_stamp_state s);

/* one check's outcome */
enum hall_stamp_check {
    HALL_STAMP_NOT_DONE = 0, /* not reached (an earlier check failed) or not asked */
    HALL_STAMP_PASS = 1,
    HALL_STAMP_FAIL = 2,
    HALL_STAMP_CANNOT = 3 /* the signature's algorithm is not one the hall verifies */
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
     * readings of the file (1: its revisions are views of one pdf_file) */
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

/* what the hall's records say of a stamp (stamp/stamp_online.h); NULL: none */
struct hall_stamp_records;

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

/* ---- pieces (unit tests, the tool) ----------------------------------------- */

/* mm from the top-left of the page as shown (its /Rotate, 0 90 180 or 270,
 * applied) -> PDF user space of a /MediaBox [llx lly urx ury] */
void hall_stamp_point(const double mediabox[4], int rotate, double x_mm, double y_mm, double *x_pt,
                      double *y_pt);
/* the reserved /Contents size in hex digits for a CMS of der_len bytes:
 * 2 × der_len rounded up to 1 KiB */
size_t hall_stamp_reserve(size_t der_len);

#endif
