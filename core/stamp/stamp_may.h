/*
 * stamp_may.h: may a seal stamp now (core/stamp/stamp_may.c)?  The one rule
 * of hall-stamp sign and of 在线盖章 (GET /sign/stamp-check, and the
 * /sign/evidence answer after a stamp), with its one Chinese text.
 * Included by stamp/stamp.h.
 */
#ifndef HALL_STAMP_MAY_H
#define HALL_STAMP_MAY_H

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
