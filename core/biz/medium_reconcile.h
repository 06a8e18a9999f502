/*
 * core/biz/medium_reconcile.c: media a production left half-made
 * (docs/internals/pki.md, "A medium left initialising"), included by
 * biz.h.
 */
#ifndef HALL_BIZ_MEDIUM_RECONCILE_H
#define HALL_BIZ_MEDIUM_RECONCILE_H

/* outside a transaction: each medium left 'initialising' longer than min_age_s wiped with its SO
 * PIN, its order's certificate intents voided (listed revoked), 'wiped' ('spoilt' when it could
 * not be), audited; nothing issued (the hall never saw its key proven).  The number done, -1 on
 * failure.  Parallel callers never take the same medium (SKIP LOCKED) */
#define HALL_MEDIUM_STALE_S 600
int hall_media_reconcile(struct hall_ctx *cx, long min_age_s, const char *actor);

#endif
