/*
 * paymerchant.c: the merchant accounts of the payment gateways (sql/065
 * pay_merchants: which driver, whose account, per partner), read once per
 * process with their keys from pay_key_dir, and the small readers the
 * interface (payment.c) and its drivers (paywx.c, payali.c) share.  All
 * three use this file and it uses none of them: payment.c picks a driver,
 * a driver never calls back into payment.c (tests/unit/layers.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biz/payment_int.h"

struct merchant pay_merchants[PAY_MAX_MERCHANTS];
int pay_nmerchants;
static char *seen; /* the rows the list was built from, to see a change */

static char *
dupstr(const char *s)
{
    return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

int
pay_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* our key file of a merchant: pay_key_dir/<channel>-<merchant_id>/<name> */
static char *
key_path(struct hall_ctx *cx, const struct merchant *m, const char *name)
{
    return hall_psprintf(cx->pool, "%s/%s-%s/%s", cx->conf->pay_key_dir, m->channel, m->merchant_id,
                         name);
}

/* our private key of a merchant, encrypted at rest with pki_pass_file's
 * passphrase as the SM2 keys are (script/lib/keyenc.sh) */
static struct evp_pkey_st *
our_key(struct hall_ctx *cx, const struct merchant *m, const char *name)
{
    const char *path = key_path(cx, m, name), *why;
    struct evp_pkey_st *k = hall_pkey_load_encrypted(path, cx->conf->pki_pass_file, &why);

    if (k == NULL && strcmp(why, "clear") == 0)
        hall_err(cx,
                 "msg=\"pay merchant: private key in clear, refused: encrypt it with"
                 " script/lib/keyenc.sh and pki_pass_file\" merchant=%s file=%s",
                 m->merchant_id, path);
    else if (k == NULL && strcmp(why, "pass") == 0)
        hall_err(cx,
                 "msg=\"pay merchant: no passphrase for its private key (pki_pass_file)\""
                 " merchant=%s",
                 m->merchant_id);
    return k;
}

static int
keys_load(struct hall_ctx *cx, struct merchant *m)
{
    if (strcmp(m->driver, "wechatpay_v3") == 0) {
        /* the APIv3 key (32 characters) is encrypted at rest as the
         * private keys are (keyenc.sh), opened here in memory only */
        const char *path = key_path(cx, m, "apiv3.key"), *why;

        if (hall_secret_load_encrypted(path, cx->conf->pki_pass_file, m->apiv3, sizeof(m->apiv3),
                                       &why) != HALL_OK) {
            if (strcmp(why, "clear") == 0)
                hall_err(cx,
                         "msg=\"pay merchant: apiv3.key in clear, refused: encrypt it with"
                         " script/lib/keyenc.sh and pki_pass_file\" merchant=%s file=%s",
                         m->merchant_id, path);
            else if (strcmp(why, "pass") == 0)
                hall_err(cx,
                         "msg=\"pay merchant: no passphrase for its apiv3.key (pki_pass_file)\""
                         " merchant=%s",
                         m->merchant_id);
            else
                hall_err(cx,
                         "msg=\"pay merchant: apiv3.key unreadable, or not 32 characters"
                         " encrypted with pki_pass_file's passphrase\" merchant=%s file=%s",
                         m->merchant_id, path);
            return HALL_ERR;
        }
        m->key = our_key(cx, m, "apiclient_key.pem");
        m->peer = hall_pkey_load(key_path(cx, m, "wechatpay_pub.pem"), 0);
        m->serial = dupstr(hall_cert_serial(cx->pool, key_path(cx, m, "apiclient_cert.pem")));
        if (m->serial == NULL) {
            hall_err(cx, "msg=\"pay merchant: no apiclient_cert.pem\" merchant=%s", m->merchant_id);
            return HALL_ERR;
        }
    } else {
        m->key = our_key(cx, m, "app_private_key.pem");
        m->peer = hall_pkey_load(key_path(cx, m, "alipay_public_key.pem"), 0);
    }
    if (m->key == NULL || m->peer == NULL) {
        hall_err(cx, "msg=\"pay merchant: keys missing or unreadable\" merchant=%s channel=%s",
                 m->merchant_id, m->channel);
        return HALL_ERR;
    }
    m->ready = 1;
    return HALL_OK;
}

static void
merchant_free(struct merchant *m)
{
    free(m->partner);
    free(m->channel);
    free(m->driver);
    free(m->merchant_id);
    free(m->app_id);
    free(m->platform_key_id);
    free(m->gateway);
    free(m->seller_id);
    free(m->serial);
    hall_pkey_free(m->key);
    hall_pkey_free(m->peer);
    /* memset may be optimised away only for an object about to die; this
     * one is reused */
    memset(m, 0, sizeof(*m));
}

/*
 * The accounts as the database has them now: the rows come from the
 * worker's copy of reference rows (hall_db_ref; sql/065's trigger drops it
 * on any change), and the list is rebuilt when they differ from what it was
 * built from.  An account whose driver and merchant id are unchanged keeps
 * its keys (a key file replaced is read after a restart); a new one's keys
 * are read now.  When the database does not answer, the list stays.
 */
int
pay_merchants_fresh(struct hall_ctx *cx)
{
    struct hall_dbres *res = hall_db_ref(cx, "paym_all");
    static const char *const cols[] = {"id",          "active",      "partner", "channel",
                                       "driver",      "merchant_id", "app_id",  "platform_key_id",
                                       "gateway_url", "seller_id",   NULL};
    struct merchant next[PAY_MAX_MERCHANTS];
    struct hall_buf *fp;
    int i, j, n = 0;

    if (res == NULL)
        return seen != NULL ? HALL_OK : HALL_ERR;
    fp = hall_buf_new(cx->pool, 64 * 1024);
    for (i = 0; i < hall_dbres_rows(res); i++)
        for (j = 0; cols[j] != NULL; j++)
            if (hall_buf_printf(fp, "%s\x1f", hall_dbres_str(res, i, cols[j])) != HALL_OK)
                return HALL_ERR;
    if (seen != NULL && strcmp(seen, fp->data != NULL ? fp->data : "") == 0)
        return HALL_OK;
    memset(next, 0, sizeof(next));
    for (i = 0; i < hall_dbres_rows(res) && n < PAY_MAX_MERCHANTS; i++) {
        struct merchant *m = &next[n++];

        m->id = (int)hall_dbres_int(res, i, "id");
        m->active = hall_dbres_bool(res, i, "active");
        m->partner = dupstr(hall_dbres_str(res, i, "partner"));
        m->channel = dupstr(hall_dbres_str(res, i, "channel"));
        m->driver = dupstr(hall_dbres_str(res, i, "driver"));
        m->merchant_id = dupstr(hall_dbres_str(res, i, "merchant_id"));
        m->app_id = dupstr(hall_dbres_str(res, i, "app_id"));
        m->platform_key_id = dupstr(hall_dbres_str(res, i, "platform_key_id"));
        m->gateway = dupstr(hall_dbres_str(res, i, "gateway_url"));
        m->seller_id = dupstr(hall_dbres_str(res, i, "seller_id"));
        if (m->channel == NULL || m->driver == NULL || m->merchant_id == NULL)
            continue;
        /* the keys of the same account, already read */
        for (j = 0; j < pay_nmerchants; j++) {
            struct merchant *o = &pay_merchants[j];

            if (o->id == m->id && o->ready && pay_same(o->driver, m->driver) &&
                pay_same(o->channel, m->channel) && pay_same(o->merchant_id, m->merchant_id)) {
                m->key = o->key;
                m->peer = o->peer;
                m->serial = o->serial;
                memcpy(m->apiv3, o->apiv3, sizeof(m->apiv3));
                m->ready = 1;
                o->key = o->peer = NULL;
                o->serial = NULL;
                break;
            }
        }
        if (!m->ready)
            keys_load(cx, m);
        /* a trade whose notification could not be checked is not opened */
        if (m->ready && strcmp(m->driver, "alipay") == 0 && m->seller_id == NULL) {
            hall_err(cx,
                     "msg=\"pay merchant: an Alipay account needs its seller id"
                     " (pay_merchants.seller_id)\" merchant=%s",
                     m->merchant_id);
            m->ready = 0;
        }
    }
    for (j = 0; j < pay_nmerchants; j++)
        merchant_free(&pay_merchants[j]);
    memcpy(pay_merchants, next, sizeof(pay_merchants));
    pay_nmerchants = n;
    free(seen);
    seen = strdup(fp->data != NULL ? fp->data : "");
    return HALL_OK;
}

struct merchant *
pay_merchant_by_id(struct hall_ctx *cx, int id)
{
    int i;

    if (pay_merchants_fresh(cx) != HALL_OK)
        return NULL;
    for (i = 0; i < pay_nmerchants; i++)
        if (pay_merchants[i].id == id)
            return pay_merchants[i].ready ? &pay_merchants[i] : NULL;
    return NULL;
}

/* ---- helpers ---------------------------------------------------------------- */

int
pay_alnum_ok(const char *s, size_t max)
{
    size_t n = s != NULL ? strlen(s) : 0;

    return n > 0 && n <= max &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n;
}

int64_t
hall_fen_of_yuan(const char *s)
{
    int64_t v = 0;
    int dec = -1;

    if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 15)
        return -1;
    for (; *s != '\0'; s++) {
        if (*s == '.' && dec < 0) {
            dec = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || dec == 2)
            return -1;
        v = v * 10 + (*s - '0');
        if (dec >= 0)
            dec++;
    }
    if (dec == 0)
        return -1;
    while (dec < 2) {
        v *= 10;
        dec = dec < 0 ? 1 : dec + 1;
    }
    return v;
}
