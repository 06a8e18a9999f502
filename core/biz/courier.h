/*
 * core/biz/courier.h: parcels with the carriers (courier.c: SF Express's
 * open platform, the sandbox's 京东快递 and EMS).  Included by biz.h.
 */
#ifndef HALL_BIZ_COURIER_H
#define HALL_BIZ_COURIER_H

/* ---- courier.c: parcels with the carriers (SF Express; 京东快递, EMS) ---------- */

/* a parcel to book */
struct hall_courier_parcel {
    const char *order_no; /* the carrier's orderId */
    const char *carrier;  /* "SF", "JD", "EMS" */
    int prepaid;          /* 寄付: the CA pays (SF: monthly card); else 到付 */
    const char *receiver, *phone, *province, *city, *district, *town, *address;
};

struct hall_courier_booking {
    const char *waybill_no;   /* NULL when not booked */
    const char *carrier_name; /* 顺丰速运, 京东快递, EMS */
    const char *error;        /* short, no address and no phone */
};

/* a route push as it arrived (the form's fields) */
struct hall_courier_push_in {
    const char *partner_id, *timestamp, *msg_digest, *msg_data;
};

/* one route of a push */
struct hall_courier_event {
    const char *waybill_no;
    int delivered; /* opCode 80: 已签收 */
    int64_t at;    /* acceptTime, seconds since the epoch */
};

#define HALL_PUSH_SIGNATURE  (-10) /* unknown partnerID or a wrong msgDigest */
#define HALL_PUSH_INCOMPLETE (-12) /* a field or the routes missing */

extern const struct hall_stmt hall_courier_stmts[];
/* "SF" of 顺丰速运 or SF, NULL for a carrier the hall does not know */
const char *hall_courier_code(const char *name);
/* Base64(MD5(URLEncoder.encode(msg_data + timestamp + check_word, "UTF-8"))) */
char *hall_sf_digest(struct hall_pool *pool, const char *msg_data, const char *timestamp,
                     const char *check_word);
/* books p with the partner's account of its carrier (outside any transaction) */
int hall_courier_book(struct hall_ctx *cx, const char *partner, const struct hall_courier_parcel *p,
                      struct hall_courier_booking *b);
int hall_courier_cancel(struct hall_ctx *cx, const char *partner, const char *carrier,
                        const char *order_no, const char *waybill);
/* verifies a push of carrier ("SF", "JD", "EMS") and reads up to max routes:
 * HALL_OK, HALL_PUSH_*, or HALL_ERR (database, secret unreadable) */
int hall_courier_push(struct hall_ctx *cx, const char *carrier,
                      const struct hall_courier_push_in *in, struct hall_courier_event *ev,
                      size_t max, size_t *n);

#endif
