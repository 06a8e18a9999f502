/*
 * The CRLs of the issuing CAs (docs/internals/pki.md, "CRLs"): made at a
 * revocation and again before nextUpdate nears, signed by the CA's key,
 * kept in PostgreSQL for /pki/NAME.crl; and hall-outbox's CA tick.
 *
 * The root's CRL (an ARL, /pki/root.crl) the same way, signed by the root
 * key in the token: it speaks for the certificates the root issued (the
 * issuing CAs', the TSA's, the audit and code-signing ones), which name no
 * OCSP service of their own.  It lists what certificates records as
 * revoked under ca 'root' — none: those certificates are the ceremony's
 * (hall-pkitool) and have no row.  A PAdES B-LT stamp keeps it in its
 * /DSS for its TSA certificate, which the verifier believes only when made
 * at or after the stamp's timestamp: so it is also re-signed when asked
 * for one made after a time (hall_pki_crl_fresh), at most once a second,
 * and by the tick when older than HALL_PKI_ARL_REFRESH_S.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

#define CRL_HOURS 24
/* a CRL is regenerated when less than this is left before its nextUpdate */
#define CRL_REFRESH_S (12 * 3600)
/*
 * A revoked certificate leaves the CRL this long after it expired.  RFC
 * 5280 (3.3) keeps an entry until it has appeared on one regularly
 * scheduled CRL issued after the certificate's validity ended; a CRL is
 * made again at the latest CRL_HOURS - CRL_REFRESH_S / 3600 hours after the
 * last one, so two CRL periods always hold one.  Without it the CRL, and
 * the time to sign it at each revocation, grew with every certificate ever
 * revoked (70-120 ms at 8,000 entries, bench/volume)
 */
#define CRL_KEEP_EXPIRED_S (2 * CRL_HOURS * 3600)

/* the pki_crls table's owner (docs/architecture.md, "Who owns each table") */
const struct hall_stmt hall_crl_stmts[] = {
    {"pki_crl_lock", "SELECT pg_advisory_xact_lock(hashtext('hall-crl:' || $1))", 1},
    {"pki_crl_state",
     "SELECT c.number, extract(epoch FROM c.this_update)::bigint AS this_update_epoch,"
     " extract(epoch FROM now())::bigint - extract(epoch FROM c.this_update)::bigint AS age_s,"
     " extract(epoch FROM c.next_update)::bigint - extract(epoch FROM now())::"
     "bigint AS next_update_in_s,"
     /* a CRL that listed nothing (covers NULL) is stale once one is revoked */
     " coalesce(c.covers >= (SELECT max(revoked_at) FROM certificates WHERE ca = $1),"
     " NOT EXISTS (SELECT 1 FROM certificates WHERE ca = $1 AND revoked_at IS NOT NULL))"
     " AS covers_latest FROM pki_crls c WHERE c.ca = $1",
     1},
    {"pki_crl_entries",
     "SELECT serial, floor(extract(epoch FROM revoked_at))::bigint AS revoked_epoch, revoke_reason"
     " FROM certificates WHERE ca = $1 AND revoked_at IS NOT NULL"
     " AND not_after > now() - make_interval(secs => $2::int) ORDER BY revoked_at, serial",
     2},
    {"pki_crl_store",
     "INSERT INTO pki_crls (ca, number, this_update, next_update, covers, der)"
     " VALUES ($1, $2, to_timestamp($3), to_timestamp($4),"
     " (SELECT max(revoked_at) FROM certificates WHERE ca = $1), $5)"
     " ON CONFLICT (ca) DO UPDATE SET number = EXCLUDED.number,"
     " this_update = EXCLUDED.this_update, next_update = EXCLUDED.next_update,"
     " covers = EXCLUDED.covers, der = EXCLUDED.der",
     5},
    {"pki_crl_get", "SELECT der FROM pki_crls WHERE ca = $1", 1},
    {NULL, NULL, 0},
};

static int
crl_add(X509_CRL *crl, const char *serial, time_t at, int reason)
{
    X509_REVOKED *r = X509_REVOKED_new();
    ASN1_TIME *t = ASN1_TIME_set(NULL, at);
    BIGNUM *bn = NULL;
    ASN1_INTEGER *sn = NULL;
    ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
    int ok = 0;

    if (r == NULL || t == NULL || e == NULL || BN_hex2bn(&bn, serial) == 0 ||
        (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
        goto out;
    if (X509_REVOKED_set_serialNumber(r, sn) != 1 || X509_REVOKED_set_revocationDate(r, t) != 1)
        goto out;
    if (reason != 0 && (ASN1_ENUMERATED_set(e, reason) != 1 ||
                        X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0) != 1))
        goto out;
    if (X509_CRL_add0_revoked(crl, r) != 1)
        goto out;
    r = NULL;
    ok = 1;
out:
    X509_REVOKED_free(r);
    ASN1_TIME_free(t);
    BN_free(bn);
    ASN1_INTEGER_free(sn);
    ASN1_ENUMERATED_free(e);
    return ok ? HALL_OK : HALL_ERR;
}

/* who signs a CRL: an issuing CA, or the root */
struct crl_signer {
    const char *name;
    X509 *cert;
    EVP_PKEY *key;
    int sm2;
};

/* the root key, from the token at its first use (NULL: try again later) */
static EVP_PKEY *root_key;

static int
crl_signer_of(struct hall_ctx *cx, const char *name, struct crl_signer *s)
{
    struct hall_pki_ca *ca;
    char err[512];

    memset(s, 0, sizeof(*s));
    if (strcmp(name, HALL_PKI_ROOT_CRL) == 0) {
        if (hall_pki_root_cert() == NULL || !hall_pki_can_sign())
            return HALL_ERR;
        if (root_key == NULL) {
            /* the token away: said at most every 30 s (token.c), not each tick */
            if (hall_pki_token_ready("root CRL") != HALL_OK)
                return HALL_ERR;
            root_key = hall_pki_key("root", err, sizeof(err));
            if (root_key != NULL && X509_check_private_key(hall_pki_root_cert(), root_key) != 1) {
                EVP_PKEY_free(root_key);
                root_key = NULL;
                snprintf(err, sizeof(err), "the key root is not the key of root.crt");
            }
            if (root_key == NULL) {
                hall_err(cx, "msg=\"pki: root CRL: %s\"", err);
                ERR_clear_error();
                return HALL_ERR;
            }
        }
        s->name = HALL_PKI_ROOT_CRL;
        s->cert = hall_pki_root_cert();
        s->key = root_key;
        return HALL_OK;
    }
    ca = hall_pki_ca_find(name);
    if (ca == NULL || ca->key == NULL)
        return HALL_ERR;
    s->name = ca->name;
    s->cert = ca->cert;
    s->key = ca->key;
    s->sm2 = ca->sm2;
    return HALL_OK;
}

static unsigned char *
crl_make(struct hall_ctx *cx, const struct crl_signer *ca, const struct hall_dbres *rows,
         int64_t number, time_t now, size_t *len)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t1 = ASN1_TIME_set(NULL, now), *t2 = ASN1_TIME_set(NULL, now + CRL_HOURS * 3600);
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    EVP_MD_CTX *m = NULL;
    X509V3_CTX v3;
    X509_EXTENSION *aki = NULL;
    unsigned char *out = NULL, *q;
    int i, n, c_serial, c_at, c_reason;

    if (crl == NULL || t1 == NULL || t2 == NULL || num == NULL)
        goto out;
    if (X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) != 1 ||
        X509_CRL_set1_lastUpdate(crl, t1) != 1 || X509_CRL_set1_nextUpdate(crl, t2) != 1)
        goto out;
    c_serial = hall_dbres_col(rows, "serial");
    c_at = hall_dbres_col(rows, "revoked_epoch");
    c_reason = hall_dbres_col(rows, "revoke_reason");
    for (i = 0; i < hall_dbres_rows(rows); i++)
        if (crl_add(crl, hall_dbres_get(rows, i, c_serial), (time_t)hall_dbres_i64(rows, i, c_at),
                    (int)hall_dbres_i64(rows, i, c_reason)) != HALL_OK)
            goto out;
    if (ASN1_INTEGER_set_int64(num, number) != 1 ||
        X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
        goto out;
    X509V3_set_ctx(&v3, ca->cert, NULL, NULL, crl, 0);
    aki = X509V3_EXT_nconf(NULL, &v3, "authorityKeyIdentifier", "keyid");
    if (aki == NULL || X509_CRL_add_ext(crl, aki, -1) != 1)
        goto out;
    X509_CRL_sort(crl);
    m = hall_pki_sign_ctx(ca->key, ca->sm2);
    if (m == NULL || X509_CRL_sign_ctx(crl, m) <= 0)
        goto out;
    n = i2d_X509_CRL(crl, NULL);
    if (n <= 0)
        goto out;
    out = q = hall_palloc(cx->pool, (size_t)n);
    i2d_X509_CRL(crl, &q);
    *len = (size_t)n;
out:
    X509_EXTENSION_free(aki);
    EVP_MD_CTX_free(m);
    ASN1_INTEGER_free(num);
    ASN1_TIME_free(t1);
    ASN1_TIME_free(t2);
    X509_CRL_free(crl);
    return out;
}

static int
crl_refresh(struct hall_ctx *cx, const char *ca_name, int force, time_t after)
{
    struct crl_signer sg, *ca = &sg;
    struct hall_dbres *st, *rows;
    int64_t number = 1;
    time_t now = time(NULL);
    unsigned char *der;
    size_t len;
    int rc = HALL_ERR, root = strcmp(ca_name, HALL_PKI_ROOT_CRL) == 0;

    if (crl_signer_of(cx, ca_name, &sg) != HALL_OK)
        return HALL_ERR;
    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    if (hall_db_exec(cx, "pki_crl_lock", HALL_STR(ca->name)) == NULL)
        goto out;
    st = hall_db_exec(cx, "pki_crl_state", HALL_STR(ca->name));
    if (st == NULL)
        goto out;
    if (hall_dbres_rows(st) > 0) {
        number = hall_dbres_int(st, 0, "number") + 1;
        if (!force && hall_dbres_int(st, 0, "next_update_in_s") > CRL_REFRESH_S &&
            hall_dbres_bool(st, 0, "covers_latest") &&
            (!root || hall_dbres_int(st, 0, "age_s") < HALL_PKI_ARL_REFRESH_S) &&
            (after == 0 ||
             hall_dbres_i64(st, 0, hall_dbres_col(st, "this_update_epoch")) >= (int64_t)after)) {
            rc = hall_db_commit(cx);
            goto out;
        }
    }
    rows = hall_db_exec(cx, "pki_crl_entries", HALL_STR(ca->name), HALL_I64(CRL_KEEP_EXPIRED_S));
    if (rows == NULL)
        goto out;
    der = crl_make(cx, ca, rows, number, now, &len);
    if (der == NULL) {
        hall_err(cx, "msg=\"pki: CRL signing failed\" ca=%s", ca->name);
        goto out;
    }
    if (hall_db_exec(cx, "pki_crl_store", HALL_STR(ca->name), HALL_I64(number), HALL_I64(now),
                     HALL_I64(now + CRL_HOURS * 3600), HALL_BIN(der, len)) == NULL ||
        hall_db_commit(cx) != HALL_OK)
        goto out;
    hall_info(cx, "msg=\"crl generated\" ca=%s number=%lld entries=%d", ca->name, (long long)number,
              hall_dbres_rows(rows));
    rc = HALL_OK;
out:
    if (cx->in_tx)
        hall_db_rollback(cx);
    return rc;
}

int
hall_pki_crl_refresh(struct hall_ctx *cx, const char *ca_name, int force)
{
    return crl_refresh(cx, ca_name, force, 0);
}

int
hall_pki_crl_fresh(struct hall_ctx *cx, const char *ca_name, time_t after)
{
    time_t now = time(NULL);

    /* a time to come, or long past, asks for nothing new */
    if (after > now || after < now - HALL_PKI_ARL_REFRESH_S)
        after = 0;
    return crl_refresh(cx, ca_name, 0, after);
}

unsigned char *
hall_pki_crl_get(struct hall_ctx *cx, const char *ca_name, size_t *len)
{
    struct hall_dbres *res = hall_db_exec(cx, "pki_crl_get", HALL_STR(ca_name));

    if (res == NULL || hall_dbres_rows(res) == 0)
        return NULL;
    return hall_dbres_bytea(cx, res, 0, hall_dbres_col(res, "der"), len);
}

int
hall_pki_reconcile(struct hall_ctx *cx, long min_age_s)
{
    struct hall_dbres *res;
    int i, n, c_serial, c_ca, c_order, seen[4] = {0, 0, 0, 0};
    struct hall_pki_ca *ca;

    if (hall_db_begin(cx) != HALL_OK)
        return -1;
    res = hall_db_exec(cx, "pki_reconcile", HALL_I64(min_age_s));
    if (res == NULL)
        goto fail;
    n = hall_dbres_rows(res);
    c_serial = hall_dbres_col(res, "serial");
    c_ca = hall_dbres_col(res, "ca");
    c_order = hall_dbres_col(res, "order_id");
    for (i = 0; i < n; i++) {
        struct hall_val *d = hall_val_obj(cx->pool);

        hall_val_set_str(cx->pool, d, "reason", "superseded");
        hall_val_set_str(cx->pool, d, "order_id", hall_dbres_get(res, i, c_order));
        if (hall_audit(cx, "pki:reconcile", "certificate", hall_dbres_get(res, i, c_serial), "void",
                       "intent", "void", d) != HALL_OK)
            goto fail;
        for (ca = hall_pki_cas; ca->name != NULL; ca++)
            if (strcmp(ca->name, hall_dbres_get(res, i, c_ca)) == 0)
                seen[ca - hall_pki_cas] = 1;
    }
    if (hall_db_commit(cx) != HALL_OK)
        goto fail;
    for (i = 0; i < n; i++)
        hall_warn(cx, "msg=\"pki: dead intent voided\" serial=%s order=%s",
                  hall_dbres_get(res, i, c_serial), hall_dbres_get(res, i, c_order));
    for (ca = hall_pki_cas; ca->name != NULL; ca++)
        if (seen[ca - hall_pki_cas])
            hall_pki_crl_refresh(cx, ca->name, 1);
    return n;
fail:
    if (cx->in_tx)
        hall_db_rollback(cx);
    return -1;
}

int
hall_pki_tick(struct hall_ctx *cx)
{
    struct hall_pki_ca *ca;

    /* an intent this old has no living issuer (signing takes milliseconds) */
    hall_pki_reconcile(cx, 120);
    for (ca = hall_pki_cas; ca->name != NULL; ca++)
        hall_pki_crl_refresh(cx, ca->name, 0);
    hall_pki_crl_refresh(cx, HALL_PKI_ROOT_CRL, 0);
    /* OCSP answers kept for reuse that are no longer valid */
    if (hall_db_exec(cx, "pki_ocsp_kept_prune", HALL_I64(HALL_PKI_OCSP_VALID_S)) == NULL)
        hall_warn(cx, "msg=\"ocsp: kept answers not pruned\"");
    return 0;
}
