/*
 * payment_int.h: what payment.c (the interface and the table payments) and
 * paymerchant.c (the merchant accounts) share with the gateway drivers,
 * paywx.c (WeChat Pay API v3) and payali.c (Alipay OpenAPI), and nothing
 * else uses.  Not part
 * of biz.h's API.
 */
#ifndef HALL_PAYMENT_INT_H
#define HALL_PAYMENT_INT_H

#include "biz/biz.h"

#define PAY_MAX_MERCHANTS 32

/* a merchant account (sql/065 pay_merchants) with its keys from pay_key_dir */
struct merchant {
    int id;
    int active;
    char *partner; /* NULL: the hall's own account */
    char *channel, *driver, *merchant_id, *app_id, *platform_key_id, *gateway;
    char *seller_id;          /* Alipay: the seller (PID) its notifications name */
    struct evp_pkey_st *key;  /* ours */
    struct evp_pkey_st *peer; /* the gateway's public key */
    char *serial;             /* WeChat: our certificate's serial */
    unsigned char apiv3[32];  /* WeChat: the APIv3 key */
    int ready;                /* keys loaded */
};

/* the accounts as pay_merchants_fresh last read them (paymerchant.c, as
 * the functions below but the drivers') */
extern struct merchant pay_merchants[PAY_MAX_MERCHANTS];
extern int pay_nmerchants;

int pay_merchants_fresh(struct hall_ctx *cx);
struct merchant *pay_merchant_by_id(struct hall_ctx *cx, int id);
/* both NULL, or the same text */
int pay_same(const char *a, const char *b);
/* 1 to max ASCII letters and digits */
int pay_alnum_ok(const char *s, size_t max);

/* one gateway protocol: driver names the pay_merchants.driver it serves */
struct pay_driver {
    const char *name;
    int (*open)(struct hall_ctx *, const struct merchant *, const struct hall_pay_open *,
                struct hall_pay_opened *);
    int (*query)(struct hall_ctx *, const struct merchant *, const char *, const char **);
    int (*close)(struct hall_ctx *, const struct merchant *, const char *, const char **);
    int (*refund)(struct hall_ctx *, const struct merchant *, const struct hall_pay_refund *,
                  const char **, const char **);
    int (*notice)(struct hall_ctx *, const struct hall_pay_inbound *, struct hall_pay_notice *);
};

extern const struct pay_driver pay_wechatpay_v3; /* paywx.c */
extern const struct pay_driver pay_alipay;       /* payali.c */

#endif
