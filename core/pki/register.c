/*
 * The certificate register's rows (register.h; ca.c owns the table,
 * docs/architecture.md "Who owns each table"): an intent under a serial,
 * its issue onto a medium or from a browser, the one certificate a public
 * key claim (sql/192), the unattested key (sql/193), a void intent and a
 * medium's copy destroyed.  Every function runs in the caller's
 * transaction; the statements are ca.c's hall_pki_stmts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/pki.h"

struct hall_dbres *
hall_cert_intent(struct hall_ctx *cx, const char *serial, int64_t order_id, int64_t item_id,
                 const char *ca, const char *cn, const char *org, int years, int64_t until,
                 int64_t from)
{
    /* a seal's own certificate (item_id): now + years, or now to until */
    if (item_id > 0 && until > 0)
        return hall_db_exec(cx, "sp_rename_intent", HALL_STR(serial), HALL_I64(order_id),
                            HALL_I64(item_id), HALL_STR(ca), HALL_STR(cn), HALL_STR(org),
                            HALL_I64(until));
    if (item_id > 0)
        return hall_db_exec(cx, "sp_intent", HALL_STR(serial), HALL_I64(order_id),
                            HALL_I64(item_id), HALL_STR(ca), HALL_STR(cn), HALL_STR(org),
                            HALL_I64(years));
    return hall_db_exec(cx, "pki_intent", HALL_STR(serial), HALL_I64(order_id), HALL_STR(ca),
                        HALL_STR(cn), HALL_STR(org), HALL_I64(years), HALL_I64(until),
                        HALL_I64(from));
}

int
hall_cert_intent_drawn(struct hall_ctx *cx, char serial[17], int64_t order_id, int64_t item_id,
                       const char *ca, const char *cn, const char *org, int years, int64_t until,
                       int64_t from, const char *actor, time_t *nb, time_t *na)
{
    struct hall_dbres *res = NULL;
    int i;

    /* a serial already taken (2^-63 a draw) is drawn again */
    for (i = 0; i < 5; i++) {
        hall_pki_serial_draw(serial);
        res = hall_cert_intent(cx, serial, order_id, item_id, ca, cn, org, years, until, from);
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) == 1)
            break;
    }
    if (i == 5)
        return HALL_ERR;
    *nb = (time_t)hall_dbres_int(res, 0, "not_before_epoch");
    *na = (time_t)hall_dbres_int(res, 0, "not_after_epoch");
    return hall_audit(cx, actor, "certificate", serial, "intent", NULL, "intent", NULL);
}

struct hall_dbres *
hall_cert_service_intent(struct hall_ctx *cx, const char *serial, const char *ca, const char *cn,
                         const char *org, time_t nb, time_t na)
{
    return hall_db_exec(cx, "pki_service_intent", HALL_STR(serial), HALL_STR(ca), HALL_STR(cn),
                        HALL_STR(org), HALL_I64((int64_t)nb), HALL_I64((int64_t)na));
}

const char *
hall_cert_service_state(struct hall_ctx *cx, const char *serial)
{
    struct hall_dbres *res = hall_db_exec(cx, "pki_service_state", HALL_STR(serial));

    if (res == NULL)
        return NULL;
    return hall_dbres_rows(res) > 0 ? hall_dbres_str(res, 0, "state") : "";
}

int
hall_pki_spki_sha256(EVP_PKEY *pub, unsigned char out[32])
{
    unsigned char *spki = NULL;
    int n = pub != NULL ? i2d_PUBKEY(pub, &spki) : -1;

    if (n <= 0)
        return HALL_ERR;
    hall_sha256(spki, (size_t)n, out);
    OPENSSL_free(spki);
    return HALL_OK;
}

static int
der_spki_sha256(const unsigned char *der, size_t der_len, unsigned char out[32])
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    int rc = x != NULL ? hall_pki_spki_sha256(X509_get0_pubkey(x), out) : HALL_ERR;

    X509_free(x);
    return rc;
}

int
hall_cert_spki_claim(struct hall_ctx *cx, const char *serial, EVP_PKEY *pub)
{
    unsigned char h[32];
    struct hall_dbres *r;

    if (hall_pki_spki_sha256(pub, h) != HALL_OK)
        return HALL_ERR;
    r = hall_db_exec(cx, "pki_spki_taken", HALL_BIN(h, 32)); /* a clear answer first */
    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) > 0)
        return HALL_CONFLICT;
    r = hall_db_exec(cx, "pki_spki_claim", HALL_STR(serial), HALL_BIN(h, 32));
    if (r == NULL)
        return strcmp(hall_db_sqlstate(cx), "23505") == 0 ? HALL_CONFLICT : HALL_ERR;
    return hall_dbres_rows(r) == 1 ? HALL_OK : HALL_ERR;
}

struct hall_dbres *
hall_cert_store(struct hall_ctx *cx, const char *serial, const unsigned char *der, size_t der_len,
                const unsigned char *p12_enc, size_t enc_len, int seal,
                const unsigned char *code_hash)
{
    unsigned char h[32];

    if (der_spki_sha256(der, der_len, h) != HALL_OK)
        return NULL;
    if (seal)
        return hall_db_exec(cx, "sp_cert_store", HALL_STR(serial), HALL_BIN(der, der_len),
                            HALL_BIN(p12_enc, enc_len),
                            code_hash != NULL ? HALL_BIN(code_hash, 32) : HALL_NULLP,
                            HALL_BIN(h, 32));
    return hall_db_exec(cx, "pki_store", HALL_STR(serial), HALL_BIN(der, der_len),
                        HALL_BIN(p12_enc, enc_len), HALL_BIN(h, 32));
}

struct hall_dbres *
hall_cert_store_medium(struct hall_ctx *cx, const char *serial, const unsigned char *der,
                       size_t der_len, const char *medium, int64_t pop_at)
{
    unsigned char h[32];

    if (der_spki_sha256(der, der_len, h) != HALL_OK)
        return NULL;
    return hall_db_exec(cx, "pki_store_medium", HALL_STR(serial), HALL_BIN(der, der_len),
                        HALL_STR(medium), HALL_I64(pop_at), HALL_BIN(h, 32));
}

struct hall_dbres *
hall_cert_store_browser(struct hall_ctx *cx, const char *serial, const unsigned char *der,
                        size_t der_len)
{
    unsigned char h[32];

    if (der_spki_sha256(der, der_len, h) != HALL_OK)
        return NULL;
    return hall_db_exec(cx, "pki_store_browser", HALL_STR(serial), HALL_BIN(der, der_len),
                        HALL_BIN(h, 32));
}

int
hall_cert_key_unattested(struct hall_ctx *cx, const char *serial)
{
    return hall_db_exec(cx, "pki_key_unattested", HALL_STR(serial)) != NULL ? HALL_OK : HALL_ERR;
}

int
hall_cert_void(struct hall_ctx *cx, const char *serial, const char *actor)
{
    return hall_db_exec(cx, "sp_rename_void", HALL_STR(serial), HALL_STR(actor)) != NULL ? HALL_OK
                                                                                         : HALL_ERR;
}

struct hall_dbres *
hall_cert_medium_destroy(struct hall_ctx *cx, const char *serial, const char *why)
{
    return hall_db_exec(cx, "custody_destroy", HALL_STR(serial), HALL_STR(why));
}

int
hall_medium_code_fail(struct hall_ctx *cx, const char *serial)
{
    return hall_db_exec(cx, "seal_holder_medium_fail", HALL_STR(serial)) != NULL ? HALL_OK
                                                                                 : HALL_ERR;
}
