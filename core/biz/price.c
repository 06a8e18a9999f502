/*
 * The price of a certificate: ONE function for every reader.
 *
 * modules/new computes the order's cert_fen with it when the form is saved
 * and renders the whole table (every years x seal choice) into the 录入信息
 * page, where static/new.js only picks the entry the applicant's choices
 * point at; the print page, the pay page and the gateway read the stored
 * cert_fen + shipping_fen (orders.amount_fen), so the label, the form and
 * the charge cannot disagree.
 */
#include "biz/biz.h"

int64_t
hall_price_cert(const struct hall_price *p, int years, int seal)
{
    if (years < 1)
        years = 1;
    return (p->per_year_fen + (seal ? p->seal_per_year_fen : 0)) * years + p->fixed_fen;
}

struct hall_val *
hall_price_table(struct hall_pool *pool, const struct hall_price *p, int min_years, int max_years,
                 int seal_offered)
{
    struct hall_val *t = hall_val_obj(pool);
    int y;

    for (y = min_years; y <= max_years; y++) {
        struct hall_val *e = hall_val_set_obj(pool, t, hall_psprintf(pool, "%d", y));

        /* fen, without and with the seal option */
        hall_val_set_int(pool, e, "no", hall_price_cert(p, y, 0));
        hall_val_set_int(pool, e, "yes", hall_price_cert(p, y, seal_offered));
    }
    return t;
}
