/*
 * core/stamp/stamp_ltv.h: the stamp's long-term validation, PAdES B-LT and
 * B-LTA (stamp_dss.c, stamp_cache.c).  Included by stamp.h, in its place.
 */
#ifndef HALL_PKI_STAMP_LTV_H
#define HALL_PKI_STAMP_LTV_H

#include "stamp/stamp.h"

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

/* a level's words: "B-LT（长期验证：文件内含验证所需的证书和吊销信息）", ... */
const char *hall_stamp_level_text(const char *level);

/* a document timestamp in words (stamp_report.c; the page and the 验签报告):
 * its TSA's certificate, and what it covers */
const char *hall_stamp_dts_tsa_state(struct hall_pool *pool, const struct hall_stamp_sig *s);
const char *hall_stamp_dts_covers(struct hall_pool *pool, const struct hall_stamp_sig *s);

#endif
