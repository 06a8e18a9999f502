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
#include <string.h>

#include "biz/biz.h"
#include "biz/ordertext.h"

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

/* the parts of an order's certificate fee as the order page names them:
 * the product's breakdown (one year's parts: per year when the product has
 * no fixed fee, as they are when it has no yearly price), the 电子签章
 * chosen, "证书费" alone for a product without a breakdown; NULL when they
 * do not add up to cert_fen (a price changed since), and the page says
 * 证书 cert_fen alone */
const char *
hall_price_parts(struct hall_pool *pool, const char *breakdown, const struct hall_price *p,
                 int years, int seal, int64_t cert_fen)
{
    char err[64];
    struct hall_val *parts = hall_val_parse(pool, breakdown, strlen(breakdown), err, sizeof(err));
    const struct hall_val *m;
    const char *txt = "";
    int64_t sum = 0, f, mult;
    int pass;

    if (years < 1)
        years = 1;
    if (parts == NULL || parts->type != HALL_V_OBJ)
        return NULL;
    mult = p->fixed_fen == 0 ? years : p->per_year_fen == 0 ? 1 : 0;
    if (mult == 0)
        return NULL;
    /* 证书费 first (jsonb orders the keys by their length, then bytes) */
    for (pass = 0; pass < 2; pass++)
        for (m = parts->first; m != NULL; m = m->next) {
            if ((strcmp(m->key, "证书费") == 0) != (pass == 0))
                continue;
            f = m->i * mult;
            sum += f;
            txt = hall_psprintf(pool, "%s%s%s%s元", txt, *txt ? "，" : "", m->key,
                                hall_yuan(pool, f));
        }
    if (*txt == '\0') {
        sum = hall_price_cert(p, years, 0);
        txt = hall_psprintf(pool, "证书费%s元", hall_yuan(pool, sum));
    }
    if (seal && p->seal_per_year_fen > 0) {
        f = p->seal_per_year_fen * years;
        sum += f;
        txt = hall_psprintf(pool, "%s，电子签章%s元", txt, hall_yuan(pool, f));
    }
    return sum == cert_fen ? txt : NULL;
}
