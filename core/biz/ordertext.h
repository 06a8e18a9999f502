/*
 * core/biz/ordertext.h: an order's texts as its pages show them, included
 * after biz/biz.h by the files that show them: the reviewer's rejection
 * reason, kept encrypted (order.c, sql/154), and the parts of its
 * certificate fee (price.c).
 */
#ifndef HALL_BIZ_ORDERTEXT_H
#define HALL_BIZ_ORDERTEXT_H

/* the reason of res's row for its owner and the staff: reject_reason_enc
 * decrypted (reject_reason, masked, when the row has none) */
const char *hall_order_reject_reason(struct hall_ctx *cx, const struct hall_dbres *res, int row);
/* the reasons still in clear encrypted and masked, with their partner
 * events (hall-pkitool partner-secrets, at every start); one transaction */
int hall_order_reasons_seal(struct hall_ctx *cx, int *moved);

/* "证书费380.00元，介质费100.00元，电子签章100.00元": the parts of cert_fen
 * as the product names them, NULL when they no longer add up to it */
const char *hall_price_parts(struct hall_pool *pool, const char *breakdown,
                             const struct hall_price *p, int years, int seal, int64_t cert_fen);

#endif
