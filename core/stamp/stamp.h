/*
 * core/stamp/stamp.h: the stamp's one public header (libhallstamp, docs/internals/stamp.md
 * §6) for hall-stamp and the module sign: signing, verifying, the verdict, the hall asked
 * online, the /DSS, the 验签报告.  No file outside core/stamp includes another header of
 * it (tests/unit/layers.sh, 7; stamp_int.h is the library's).  Strings: UTF-8 in the pool
 * given; errors Chinese, with no PIN, key or personal data beyond the signer's subject.
 */
#ifndef HALL_PKI_STAMP_H
#define HALL_PKI_STAMP_H

#include "pki/pki.h"

#define HALL_STAMP_SIGS_MAX 64 /* the signatures of one document a report lists at most */
/* ---- signing (stamp_sign.c, stamp_qifeng.c) --------------------------------- */
/* an RFC 3161 source instead of the URL: the DER answer (in pool), or NULL */
typedef unsigned char *(*hall_stamp_tsa_fn)(void *arg, struct hall_pool *pool,
                                            const unsigned char *req, size_t req_len,
                                            size_t *resp_len);
struct hall_stamp_sign_in {
    const unsigned char *pdf; /* the input PDF, whole */
    size_t pdf_len;
    const unsigned char *seal; /* the .seseal, DER (SES_Seal) as the hall issued it */
    size_t seal_len;
    X509 *cert;             /* the signer's certificate: one the seal lists */
    STACK_OF(X509) * chain; /* its issuing CA(s), the root not included; may be NULL */
    EVP_PKEY *key;          /* its private key: a PKCS#12's, or a token's (hall_token_key) */
    int page;               /* 1 = the first page */
    double x_mm, y_mm;     /* the seal's centre, mm from the left and top edges of the page shown */
    const char *tsa_url;   /* the hall's POST /tsa, through core's HTTP client */
    hall_stamp_tsa_fn tsa; /* when not NULL, used instead of tsa_url */
    void *tsa_arg;
    long tsa_timeout_ms;   /* 0: 15000 */
    time_t now;            /* the clock: /M (and an SM2 stamp's timeInfo); 0: time(NULL) */
    int qifeng;            /* 骑缝章 (§1c): HALL_STAMP_QIFENG_RIGHT, _LEFT; y_mm > 0 */
    int qf_first, qf_last; /* its pages (0 0: all) */
};
#define HALL_STAMP_QIFENG_RIGHT 1
#define HALL_STAMP_QIFENG_LEFT  2
/* the bytes to append to in->pdf (§1, §2, §2a), *len set; NULL, a Chinese err */
unsigned char *hall_stamp_sign(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
                               size_t *len, char *err, size_t errlen);

/* ---- verifying (stamp_verify.c; the states and checks of §3) ---------------- */
struct hall_stamp_trust {
    STACK_OF(X509) * roots;  /* the hall's roots: the signers' and the TSA's chains end here */
    STACK_OF(X509) * cas;    /* issuing CAs besides those the CMS carries; may be NULL */
    X509 *demo_root;         /* the 免费体验 demo root, NULL when none */
    int check_seal;          /* 1: hall_seseal_verify (hall_seseal_load or _trust) */
    time_t now;              /* 0: time(NULL) */
    struct stamp_memo *memo; /* hall_stamp_verify_file's own (stamp_memo.c): leave NULL */
};
/* in the order a state applies; 4 and 5 set only from the hall's records */
enum hall_stamp_state {
    HALL_STAMP_MODIFIED = 1,       /* 文档已被修改 */
    HALL_STAMP_FOREIGN = 2,        /* 非本CA签发 */
    HALL_STAMP_DEMO = 3,           /* 体验印章 */
    HALL_STAMP_REVOKED_BEFORE = 4, /* 签章人证书已吊销（签章前） */
    HALL_STAMP_SEAL_REVOKED = 5,   /* 印章已注销 */
    HALL_STAMP_VALID = 6,          /* 有效 */
    HALL_STAMP_CA_SIGNATURE = 7,   /* 本CA证书的数字签名（非电子印章）: no seal */
    HALL_STAMP_UNSUPPORTED = 8     /* 无法验证: Ed25519, Ed448 */
};
const char *hall_stamp_state_text(enum hall_stamp_state s); /* "有效", ... */
enum hall_stamp_check {
    HALL_STAMP_NOT_DONE = 0, /* not reached (an earlier check failed) or not asked */
    HALL_STAMP_PASS = 1,
    HALL_STAMP_FAIL = 2,
    HALL_STAMP_CANNOT = 3 /* the signature's algorithm is not one the hall verifies */
};
struct hall_stamp_sig {
    int index;          /* 1 = the oldest signature of the document */
    const char *field;  /* the field's /T ("印章1") */
    int page;           /* the widget's page, 1-based; 0 unknown */
    double rect[4];     /* the widget's /Rect, points */
    int is_stamp;       /* 1: carries the seal attribute (a hall stamp) */
    const char *filter; /* /SubFilter, e.g. "ETSI.CAdES.detached" */
    long long byte_range[4];
    long long revision_end;        /* just after the %%EOF of its revision */
    int covers_to_end;             /* 1: no byte follows it */
    int later_sigs, later_changes; /* signatures added later; 1: more than that changed */
    const char *after;             /* what follows ("其后追加了1个签章"); "" nothing */
    const char *changes;           /* the first change no signature may make; "" none */
    const char *overlap;           /* a widget over this one's (the "sneaky signature"); "" none */
    const char *covered;           /* a later stamp's widget over the page's text; "" none */
    int obj_field, obj_v;          /* the field's and its /V's object numbers (0: direct) */
    /* a 骑缝章: edge ("right", "left"; NULL none), pages ("1-5"), slices, missing */
    const char *qifeng_edge, *qifeng_pages;
    int qifeng_slices, qifeng_missing;
    const char *signer_subject;                /* RFC 2253 with UTF-8 */
    const char *signer_serial, *signer_issuer; /* upper-case hex; RFC 2253 */
    time_t signer_not_before, signer_not_after;
    const unsigned char *signer_der; /* the certificate, DER */
    size_t signer_der_len;
    const char *seal_es_id, *seal_name;
    int seal_type; /* 1 机构印章, 2 个人印章 */
    int seal_width_mm, seal_height_mm;
    time_t seal_valid_start, seal_valid_end;
    const unsigned char *seal_png; /* the picture's bytes */
    size_t seal_png_len;
    time_t claimed_time, signing_time; /* /M (untrusted); the valid timestamp's; 0 none */
    const char *tsa_subject;
    /* §3's checks: 1 /ByteRange (gap = /Contents); 2 the digest, the signature,
     * signingCertificateV2 (SES: propertyInfo); 3 timestamp; 4 seal; 5 the chain */
    enum hall_stamp_check range, digest, signature, signing_cert, timestamp, seal, chain;
    int demo, ses, doc_timestamp; /* 1: the demo root's; SM2 (§2a); /ETSI.RFC3161 */
    const char *level; /* §3 "Levels": "B-T", "B-LT", "B-LTA", "GB/T 38540", "DTS", "" */
    const unsigned char *tsa_der; /* the signature timestamp's TSA certificate, DER */
    size_t tsa_der_len;
    int ltv_state;          /* enum hall_stamp_rev: the signer's status from /DSS */
    const char *ltv_source; /* "OCSP", "CRL" */
    time_t ltv_at;          /* that answer's thisUpdate (the CRL's lastUpdate) */
    time_t ltv_revoked_at;  /* REVOKED: when */
    int ltv_reason;
    int ltv_tsa_state, ltv_tsa_needed; /* the TSA certificate's; 1: it needs evidence */
    time_t ltv_tsa_revoked_at;         /* when ltv_tsa_state is revoked */
    int ltv_issuer;                    /* 1: the signer's issuer is in /DSS /Certs or the CAs */
    int doc_ts_after;                  /* valid document timestamps in later revisions */
    time_t doc_ts_time;                /* the first of them */
    enum hall_stamp_state state;       /* from the document alone (the records may lower it) */
    const char *problem;               /* Chinese: the first check that failed; "" none */
};
#define HALL_STAMP_EVIDENCE_MAX 32
struct hall_stamp_evidence { /* a file's /DSS: OCSP answers, CRLs, certificates */
    const unsigned char *der[HALL_STAMP_EVIDENCE_MAX];
    size_t len[HALL_STAMP_EVIDENCE_MAX];
    int n;
    const unsigned char *crl[HALL_STAMP_EVIDENCE_MAX];
    size_t crl_len[HALL_STAMP_EVIDENCE_MAX];
    int ncrl;
    const unsigned char *cert[HALL_STAMP_EVIDENCE_MAX];
    size_t cert_len[HALL_STAMP_EVIDENCE_MAX];
    int ncert;
    struct stamp_kept *kept; /* the answers judged once (stamp_status.c); NULL */
};
struct hall_stamp_report {
    int nsigs; /* 0: the document holds no signature */
    struct hall_stamp_sig *sigs;
    long long file_size;
    int revisions;      /* the %%EOF-closed revisions */
    long long hashed;   /* bytes hashed for all the digests (one pass) */
    int revision_opens; /* the file's readings (1: its revisions views of one) */
    int dss_certs, dss_ocsps, dss_crls, doc_timestamps;
    const struct hall_stamp_evidence *evidence; /* the /DSS's, in pool */
};
/* every signature of the PDF fd or path: HALL_OK, rep (in pool); HALL_ERR, err */
int hall_stamp_verify_fd(struct hall_pool *pool, int fd, const struct hall_stamp_trust *trust,
                         struct hall_stamp_report *rep, char *err, size_t errlen);
int hall_stamp_verify_file(struct hall_pool *pool, const char *path,
                           const struct hall_stamp_trust *trust, struct hall_stamp_report *rep,
                           char *err, size_t errlen);

/* ---- the verdict: the document and the hall's records (§3, "States") -------- */
struct hall_stamp_records {
    int looked_up;                /* 0: no records consulted (the document alone) */
    int cert_known, cert_revoked; /* the signer's certificate is there; revoked (or void) */
    time_t cert_revoked_at;
    int seal_known, seal_revoked;           /* the seal (its esID) is in the register; 注销 */
    time_t seal_revoked_at;                 /* 0 unknown: taken as before the stamp */
    const char *unchecked, *seal_unchecked; /* asked online: why not learnt; NULL */
};
#define HALL_STAMP_NOTES_MAX 6
struct hall_stamp_verdict {
    enum hall_stamp_state state;
    const char *problem;                     /* why it is not 有效; "" when it is */
    const char *notes[HALL_STAMP_NOTES_MAX]; /* shown beside the state */
    int nnotes;
    int revoked_after, seal_revoked_after; /* 签章后吊销, 签章后注销 */
    const char *signer_at_signing;         /* "有效", "已吊销", "" unknown */
};
int hall_stamp_wants_records(const struct hall_stamp_sig *s); /* 1: the hall's CA's */
/* the one rule (§3): s->state lowered by rec (NULL: none), with notes */
void hall_stamp_verdict(struct hall_pool *pool, const struct hall_stamp_sig *s,
                        const struct hall_stamp_records *rec, struct hall_stamp_verdict *v);
const char *hall_stamp_after_note(const struct hall_stamp_verdict *v); /* 签章后吊销… */
/* the records from the hall's rows (certificates.state, seseals.state, NULL no row) */
void hall_stamp_records_rows(const char *cert_state, time_t cert_revoked_at, const char *seal_state,
                             time_t seal_revoked_at, struct hall_stamp_records *rec);

/* ---- the hall asked online (stamp_status.c, stamp_cache.c) ------------------ */
/* a batch's answers and issuers, reused for its next files (in pool) */
struct hall_stamp_cache *hall_stamp_cache_create(struct hall_pool *pool);
void hall_stamp_cache_counts(const struct hall_stamp_cache *c, int *fetched, int *reused);
struct hall_stamp_online {
    const char *hall; /* the hall's address (hall-stamp --hall); NULL: the certificate's */
    long timeout_ms;  /* each request; 0: 10 s */
    time_t now;       /* 0: time(NULL) */
    int offline;      /* 1: ask nothing; the evidence only */
    const struct hall_stamp_evidence *evidence; /* the file's, believed first; NULL none */
    time_t signing_time;                        /* the time it must speak for */
    struct hall_stamp_cache *cache;             /* hall_stamp_ltv_gather's; NULL none */
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
/* the signer's status: o->evidence, else its AIA's OCSP responder, else its
 * CRL; answers believed only signed by the issuer and current; st says */
void hall_stamp_status_check(struct hall_pool *pool, X509 *cert, STACK_OF(X509) * cas,
                             const struct hall_stamp_online *o, struct hall_stamp_status *st);
const char *hall_stamp_reason_text(int reason); /* a CRLReason: 密钥泄露, ... */
/* the hall cert's OCSP URL (else CRL) names; NULL none */
const char *hall_stamp_hall_of(struct hall_pool *pool, X509 *cert);
struct hall_stamp_seal_status { /* GET /sign/seal-status */
    int checked;                /* 0: not learnt, why says */
    const char *state;          /* valid, revoked, replaced, unknown */
    time_t revoked_at;
    const char *revoked_text; /* ... in Beijing time, "" none */
    const char *current;      /* replaced: the seal in use now, "" unknown */
    const char *why;
};
void hall_stamp_seal_check(struct hall_pool *pool, X509 *cert, const char *es_id,
                           const struct hall_stamp_online *o, struct hall_stamp_seal_status *ss);
/* the records from the answers (ss may be NULL) */
void hall_stamp_records_online(struct hall_pool *pool, const struct hall_stamp_status *st,
                               const struct hall_stamp_seal_status *ss,
                               struct hall_stamp_records *rec);

/* ---- long-term validation: PAdES B-LT and B-LTA (stamp_dss.c, §1a) ---------- */
#define HALL_STAMP_DSS_MAX 32 /* items one /DSS update adds at most */
struct hall_stamp_dss_in {    /* DER items, each once */
    const unsigned char *der[HALL_STAMP_DSS_MAX];
    size_t len[HALL_STAMP_DSS_MAX];
    int kind[HALL_STAMP_DSS_MAX];
    int n;
    const char *hall; /* the hall a signer's certificate names, NULL none */
};
/* the evidence pdf's signatures need, into in (*missing: no answer, why) */
int hall_stamp_ltv_gather(struct hall_pool *pool, const unsigned char *pdf, size_t len,
                          STACK_OF(X509) * cas, const struct hall_stamp_online *o,
                          struct hall_stamp_dss_in *in, int *missing, const char **why);
/* the update adding in to pdf's /DSS (*len 0: nothing new); NULL, err */
unsigned char *hall_stamp_dss_update(struct hall_pool *pool, const unsigned char *pdf,
                                     size_t pdf_len, const struct hall_stamp_dss_in *in,
                                     size_t *len, char *err, size_t errlen);
/* a document timestamp (B-LTA) of in->pdf from in's TSA, as hall_stamp_sign */
unsigned char *hall_stamp_doc_timestamp(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
                                        size_t *len, char *err, size_t errlen);

/* ---- may a seal stamp now (stamp_may.c) ------------------------------------- */
enum hall_stamp_may_verdict {
    HALL_STAMP_MAY_YES = 0,      /* the certificate good and the seal valid */
    HALL_STAMP_MAY_REFUSED = 1,  /* revoked, cancelled, replaced or unknown to the hall */
    HALL_STAMP_MAY_UNCHECKED = 2 /* the status could not be learnt: refused too */
};
struct hall_stamp_may {
    enum hall_stamp_may_verdict verdict;
    const char *code;    /* ok, cert_revoked, cert_unknown, cert_unchecked, seal_... */
    const char *text;    /* Chinese, ending 未盖章; "" for YES */
    const char *text_en; /* hall-stamp's English */
};
/* the certificate (serial, st), then the seal (es_id, ss; NULL: not asked) */
void hall_stamp_may(struct hall_pool *pool, const char *serial, const struct hall_stamp_status *st,
                    const char *es_id, const struct hall_stamp_seal_status *ss,
                    struct hall_stamp_may *out);
/* the same from the hall's rows (a state NULL: no row; es_id NULL: the certificate only) */
void hall_stamp_may_rows(struct hall_pool *pool, const char *serial, const char *cert_state,
                         time_t cert_revoked_at, int reason, const char *es_id,
                         const char *seal_state, const char *seal_revoked_text,
                         const char *seal_current, struct hall_stamp_may *out);

/* ---- 验签报告 (stamp_report.c; stamp_reportpdf.c in libhallseal) ------------ */
struct hall_stamp_report_doc {
    struct hall_stamp_line *lines; /* in pool (stamp_int.h) */
    int n, all_valid;
};
/* the report's content from rep and the verdicts v[i]; its 验证结论 line alone */
const char *hall_stamp_summary(struct hall_pool *pool, const struct hall_stamp_report *rep,
                               const struct hall_stamp_verdict *v, int *all_valid);
void hall_stamp_report_build(struct hall_pool *pool, const struct hall_stamp_report *rep,
                             const struct hall_stamp_verdict *v, const char *name,
                             const char *sha256_hex, time_t made_at,
                             struct hall_stamp_report_doc *out);
struct hall_stamp_report_spot { /* where the report's own 验签专用章 goes */
    int page;                   /* 1-based */
    double x_mm, y_mm;
};
/* d as an A4 PDF, *len set; NULL over 8 MiB; spot: the band left */
unsigned char *hall_stamp_report_pdf(struct hall_pool *pool, const struct hall_stamp_report_doc *d,
                                     struct hall_stamp_report_spot *spot, size_t *len);
const char *hall_stamp_level_text(const char *level); /* "B-LT（长期验证：…）" */
/* a document timestamp in words: its TSA's certificate; what it covers */
const char *hall_stamp_dts_tsa_state(struct hall_pool *pool, const struct hall_stamp_sig *s);
const char *hall_stamp_dts_covers(struct hall_pool *pool, const struct hall_stamp_sig *s);
/* mm from the top-left of the page shown (/Rotate applied) -> user space */
void hall_stamp_point(const double mediabox[4], int rotate, double x_mm, double y_mm, double *x_pt,
                      double *y_pt);

#endif
