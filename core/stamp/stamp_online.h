/*
 * core/stamp/stamp_online.h: the stamp and the hall online (libhallstamp,
 * docs/internals/stamp.md §1a, §3): a signer's revocation and a seal's
 * state asked of the hall, the records hall_stamp_verdict reads made of
 * the answers or of the hall's rows, the evidence a /DSS update adds
 * (PAdES B-LT, B-LTA) and may a seal stamp now.  For hall-stamp and the
 * module sign, beside stamp/stamp.h.
 */
#ifndef HALL_STAMP_ONLINE_H
#define HALL_STAMP_ONLINE_H

#include "stamp/stamp.h"

/* ---- the hall's records of a stamp (hall_stamp_verdict) ------------------ */

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

/* ---- long-term validation: PAdES B-LT and B-LTA (stamp_dss.c) -------------- */

#define HALL_STAMP_DSS_MAX 32 /* items one /DSS update adds at most */

/*
 * What hall_stamp_ltv_gather fetched, kept for the next files of a batch
 * (stamp_cache.c): each end entity's OCSP answer or CRL with the second it
 * was asked at (reused only for a signature timestamped before that
 * second, as a fresh fetch would be), and the issuers fetched by AIA.
 * Lives and dies with pool; counts what was fetched and reused.
 */
struct hall_stamp_cache *hall_stamp_cache_create(struct hall_pool *pool);
void hall_stamp_cache_counts(const struct hall_stamp_cache *c, int *fetched, int *reused);

enum hall_stamp_dss_kind {
    HALL_STAMP_DSS_CERT = 1,
    HALL_STAMP_DSS_OCSP = 2,
    HALL_STAMP_DSS_CRL = 3
};

/* what a /DSS update adds: DER items, each once */
struct hall_stamp_dss_in {
    const unsigned char *der[HALL_STAMP_DSS_MAX];
    size_t len[HALL_STAMP_DSS_MAX];
    int kind[HALL_STAMP_DSS_MAX];
    int n;
    const char *hall; /* hall_stamp_ltv_gather: the hall a signer's certificate names
                         (hall_stamp_hall_of), NULL none */
};
/* adds one item (copied into pool) unless it is there already or the list is full */
void hall_stamp_dss_add(struct hall_pool *pool, struct hall_stamp_dss_in *in, int kind,
                        const unsigned char *der, size_t len);

/*
 * The evidence a validator needs for the signatures of pdf (ISO 32000-2
 * §12.8.4.3): every certificate each CMS and each timestamp token carries,
 * the issuers their AIA names when missing, and for each end-entity
 * certificate (signer, TSA) an OCSP answer from the responder its AIA
 * names, else its CRL, asked now with o (a signer's answer asked only
 * after its stamp's timestamp second, so that it speaks for it).  Into in;
 * *missing: how many end entities got no revocation answer (named in why,
 * Chinese, NULL when none).  HALL_ERR when pdf cannot be read.
 */
int hall_stamp_ltv_gather(struct hall_pool *pool, const unsigned char *pdf, size_t len,
                          STACK_OF(X509) * cas, const struct hall_stamp_online *o,
                          struct hall_stamp_dss_in *in, int *missing, const char **why);

/*
 * The incremental update that adds in's items to pdf's /DSS (a new /DSS
 * holding the old one's items and keys, the catalog written again with
 * it, each new item a stream of its DER): the bytes to append, *len set;
 * NULL with a Chinese err when pdf cannot be read or its catalog cannot
 * be written again whole.  An in with nothing new gives *len 0.
 */
unsigned char *hall_stamp_dss_update(struct hall_pool *pool, const unsigned char *pdf,
                                     size_t pdf_len, const struct hall_stamp_dss_in *in,
                                     size_t *len, char *err, size_t errlen);

/*
 * A document timestamp (PAdES B-LTA, ETSI EN 319 142-1 5.4): an
 * incremental update of in->pdf adding an invisible signature field whose
 * /V is /Type /DocTimeStamp /SubFilter /ETSI.RFC3161 and whose /Contents
 * is the RFC 3161 token over the SHA-256 of its /ByteRange, from in's TSA
 * (tsa_url or tsa; the other members unused but pdf, pdf_len, now).  NULL
 * with a Chinese err, as hall_stamp_sign.
 */
unsigned char *hall_stamp_doc_timestamp(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
                                        size_t *len, char *err, size_t errlen);

/* ---- may a seal stamp now (stamp_may.c) ------------------------------------ */

enum hall_stamp_may_verdict {
    HALL_STAMP_MAY_YES = 0,      /* the certificate good and the seal valid */
    HALL_STAMP_MAY_REFUSED = 1,  /* revoked, cancelled, replaced or unknown to the hall */
    HALL_STAMP_MAY_UNCHECKED = 2 /* the status could not be learnt: refused too */
};

struct hall_stamp_may {
    enum hall_stamp_may_verdict verdict;
    /* ok, cert_revoked, cert_unknown, cert_unchecked, seal_revoked,
     * seal_replaced, seal_unknown, seal_unchecked */
    const char *code;
    const char *text;    /* Chinese, ending 未盖章 (…请联网后重试); "" for YES */
    const char *text_en; /* hall-stamp's English, the same content */
};

/*
 * The verdict on a stamp by the certificate serial (hex, as the hall
 * writes it) in the state st, with the seal es_id in the state ss: the
 * certificate first, then the seal (ss NULL: the certificate only, the
 * seal not asked yet).  Texts in pool.
 */
void hall_stamp_may(struct hall_pool *pool, const char *serial, const struct hall_stamp_status *st,
                    const char *es_id, const struct hall_stamp_seal_status *ss,
                    struct hall_stamp_may *out);

/*
 * The same from the hall's own rows (the hall's endpoints): the
 * certificate's certificates.state (NULL no row), revoked_at (epoch s) and
 * revoke_reason (-1 none); the seal's seseals.state (NULL no row; es_id
 * NULL: the certificate only), revoked_at as the register shows it
 * (Beijing time, "" none) and, replaced, the seal in use now ("" unknown).
 */
void hall_stamp_may_rows(struct hall_pool *pool, const char *serial, const char *cert_state,
                         time_t cert_revoked_at, int reason, const char *es_id,
                         const char *seal_state, const char *seal_revoked_text,
                         const char *seal_current, struct hall_stamp_may *out);

#endif
