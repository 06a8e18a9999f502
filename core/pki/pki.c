/*
 * The CA (docs/internals/pki.md): issuing CAs loaded from pki_dir, a
 * certificate for a subject and a new key pair, PKCS#12 media, revocation,
 * the reconciliation of dead intents, CRLs and OCSP answers.  It signs and
 * returns: what an order becomes with its certificate is core/biz/produce.c.
 *
 * SM2: every signature of the sm2 CA and its OCSP signer is SM3withSM2
 * with the GM/T 0009 default signer ID 1234567812345678, set on the
 * signing context (OpenSSL 3.0's default would be an empty ID).
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

#define SM2_ID "1234567812345678"
/* GM/T 0015 identity extensions (2012 arc 1.2.156.10260.4.1): .1 personal
 * ID (we put a keyed hash there, never the number), .4 organisation code
 * (we put the 18-character unified social credit code) */
#define OID_PERSON_ID "1.2.156.10260.4.1.1"
#define OID_ORG_CODE  "1.2.156.10260.4.1.4"
#define CRL_HOURS     24
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
#define OCSP_VALID_S       3600
/*
 * OCSP status cache: a worker answers an 'issued' (or final 'revoked' or
 * 'void') certificate from what it read at most OCSP_STATUS_MS ago, without
 * asking the database.  A revocation stays visible at once, on every host:
 * hall_pki_revoke holds the serial's advisory lock (pki_ocsp_hold) from
 * before its UPDATE until its commit, and its transaction does not commit
 * (hall_db_commit_after) before OCSP_HOLD_MS after taking it, so that the
 * revocations of one transaction wait once together; a worker's read
 * (ocsp_cert_status, sql/030_ocsp_status.sql) takes that lock shared and
 * then reads.  A read that ended before the lock was taken expires before
 * the commit; one that started after waits for the commit and sees
 * 'revoked'.  The margin covers the clocks of two hosts running at slightly
 * different rates (both are CLOCK_MONOTONIC durations).
 */
#define OCSP_STATUS_MS 500
#define OCSP_HOLD_MS   (OCSP_STATUS_MS + 150)

struct pki_ca {
    const char *name; /* ecc, sm2: certificates.ca, /pki/NAME.crt */
    const char *alg;  /* ecdsa, sm2: the JSON of /pki/ */
    int sm2;
    X509 *cert;
    EVP_PKEY *key; /* HALL_PKI_CA_KEYS only */
    X509 *ocsp_cert;
    EVP_PKEY *ocsp_key; /* HALL_PKI_OCSP_KEYS only */
    char *pem;          /* the certificate as published */
    /* made once at load, not per OCSP request (OpenSSL 3's fetches cost
     * more than the signature): the CA's CertIDs by SHA-1 and SHA-256, and
     * an initialised signing context of the OCSP signer to copy */
    OCSP_CERTID *id_sha1, *id_sha256;
    EVP_MD_CTX *ocsp_sign;
    /* the issuer name and key hashes of those CertIDs, compared with a
     * request's; ocsp_token: the signer's key is the token's (signed with
     * hall_token_ecdsa over a SHA-256 made here) */
    unsigned char name_sha1[20], key_sha1[20], name_sha256[32], key_sha256[32];
    int ocsp_token;
    /* the certificate this CA issued to the hall itself and not through an
     * order (sm2: seal-maker.crt, which signs every SESeal): its serial's
     * bytes, answered good by OCSP without the database */
    const char *own_name;
    unsigned char own_serial[20];
    size_t own_len;
};

static struct pki_ca cas[] = {
    {.name = "ecc", .alg = "ecdsa", .sm2 = 0},
    {.name = "sm2", .alg = "sm2", .sm2 = 1, .own_name = "seal-maker"},
    {.name = NULL},
};
static char *root_pem;     /* the ECDSA root */
static char *sm2_root_pem; /* the SM2 root */
static unsigned loaded;
/* the audit key: signs the audit log's daily seals (core/pki/auditseal.c);
 * its certificate (signed by the root) verifies them */
static X509 *audit_cert;
static EVP_PKEY *audit_key;

static const struct {
    const char *name, *label;
    int code;
} reasons[] = {
    {"unspecified", "未指定", 0},
    {"keyCompromise", "密钥泄露", 1},
    {"affiliationChanged", "信息变更", 3},
    {"superseded", "已被替代", 4},
    {"cessationOfOperation", "停止使用", 5},
    {"certificateHold", "证书冻结", 6},
    {"privilegeWithdrawn", "权限撤销", 9},
    {NULL, NULL, 0},
};

const struct hall_stmt hall_pki_stmts[] = {
    /* the certificate's row before the OCSP hold, on every path: a staff
     * approval (modules/pki) locks it before its request, so the two never
     * wait on each other in opposite orders */
    {"pki_revoke_lock", "SELECT state FROM certificates WHERE serial = $1 FOR UPDATE", 1},
    {"pki_revoke",
     "UPDATE certificates SET state = 'revoked', revoked_at = now(), revoke_reason = $2,"
     " revoked_by = $3 WHERE serial = $1 AND state = 'issued' RETURNING ca, order_id",
     3},
    /* four eyes (sql/075, sql/089): a staff request to revoke it is moot */
    {"pki_revoke_requests_close",
     "UPDATE staff_requests SET state = 'moot', decided_at = now(), decision_note = $2"
     " WHERE kind = 'revoke' AND subject = $1 AND state = 'pending' RETURNING id",
     2},
    {"pki_reconcile",
     "UPDATE certificates SET state = 'void', revoked_at = now(), revoke_reason = 4,"
     " revoked_by = 'reconcile' WHERE state = 'intent'"
     " AND created_at < now() - make_interval(secs => $1::int) RETURNING serial, ca, order_id",
     1},
    {"pki_crl_lock", "SELECT pg_advisory_xact_lock(hashtext('hall-crl:' || $1))", 1},
    {"pki_crl_state",
     "SELECT c.number, extract(epoch FROM c.next_update)::bigint - extract(epoch FROM now())::"
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
    {"pki_ocsp_status", "SELECT o_state, o_revoked, o_reason FROM ocsp_cert_status($1, $2)", 2},
    {"pki_ocsp_hold", "SELECT pg_advisory_xact_lock(hashtextextended('hall-ocsp:' || $1, 0))", 1},
    /* the audit log's daily seals (auditseal.c) */
    /* for each chain, the days after its last seal that are over: the
     * day's last row (seq) and its hash */
    {"audit_seal_due",
     "WITH RECURSIVE h(chain) AS (SELECT min(chain) FROM audit_log UNION ALL"
     " SELECT (SELECT min(a.chain) FROM audit_log a WHERE a.chain > h.chain) FROM h"
     " WHERE h.chain IS NOT NULL)"
     " SELECT h.chain, to_char(d.day, 'YYYY-MM-DD') AS day, d.seq,"
     " (SELECT a.hash FROM audit_log a WHERE a.chain = h.chain AND a.seq = d.seq ORDER BY a.id"
     " LIMIT 1) AS hash"
     " FROM h CROSS JOIN LATERAL ("
     "  SELECT (a.at AT TIME ZONE 'Asia/Shanghai')::date AS day, max(a.seq) AS seq FROM audit_log a"
     "  WHERE a.chain = h.chain AND a.seq > coalesce((SELECT max(s.seq) FROM audit_seals s"
     "   WHERE s.chain = h.chain), 0) GROUP BY 1) d"
     " WHERE h.chain IS NOT NULL AND d.day < ((now() - make_interval(secs => $1::int)) AT TIME "
     "ZONE 'Asia/Shanghai')::date"
     " AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.chain = h.chain AND s.day = d.day)"
     " ORDER BY h.chain, d.day",
     1},
    /* one sealer at a time (the outbox's workers tick together) */
    {"audit_seal_lock",
     "SELECT pg_try_advisory_xact_lock(hashtextextended('hall-audit-seal', 0)) AS got", 0},
    {"audit_seal_insert",
     "INSERT INTO audit_seals (chain, day, seq, hash, signature, signer)"
     " VALUES ($1, $2::date, $3, $4, $5, $6) ON CONFLICT (chain, day) DO NOTHING",
     6},
    /* the marks: each chain's last row when it is not marked yet, and the
     * time signed with it (the transaction's, UTC to the microsecond) */
    {"audit_mark_due",
     "WITH RECURSIVE h(chain) AS (SELECT min(chain) FROM audit_log UNION ALL"
     " SELECT (SELECT min(a.chain) FROM audit_log a WHERE a.chain > h.chain) FROM h"
     " WHERE h.chain IS NOT NULL)"
     " SELECT h.chain, l.seq, l.hash,"
     " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at"
     " FROM h CROSS JOIN LATERAL (SELECT a.seq, a.hash FROM audit_log a WHERE a.chain = h.chain"
     "  ORDER BY a.seq DESC, a.id LIMIT 1) l"
     " WHERE h.chain IS NOT NULL AND l.seq > coalesce((SELECT max(m.seq) FROM audit_marks m"
     "  WHERE m.chain = h.chain), 0)"
     " ORDER BY h.chain",
     0},
    {"audit_mark_lock",
     "SELECT pg_try_advisory_xact_lock(hashtextextended('hall-audit-mark', 0)) AS got", 0},
    {"audit_mark_insert",
     "INSERT INTO audit_marks (chain, seq, hash, marked_at, signature, signer)"
     " VALUES ($1, $2, $3, $4::timestamptz, $5, $6) ON CONFLICT (chain, seq) DO NOTHING",
     6},
    {NULL, NULL, 0},
};

static EVP_MD_CTX *sign_ctx(EVP_PKEY *key, int sm2);
static int ocsp_parts_load(struct pki_ca *ca);
static int ocsp_hashes_load(struct pki_ca *ca);

/* ---- seals' names ------------------------------------------------------- */

int
hall_seal_org_drawable(const char *org)
{
    const unsigned char *s = (const unsigned char *)org;
    int chars = 0;

    if (s == NULL || *s == '\0')
        return 0;
    while (*s != '\0') {
        uint32_t c;
        int n, i;

        if (*s < 0x80)
            c = *s, n = 1;
        else if ((*s & 0xE0) == 0xC0)
            c = *s & 0x1F, n = 2;
        else if ((*s & 0xF0) == 0xE0)
            c = *s & 0x0F, n = 3;
        else if ((*s & 0xF8) == 0xF0)
            c = *s & 0x07, n = 4;
        else
            return 0;
        for (i = 1; i < n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            c = c << 6 | (s[i] & 0x3F);
        }
        /* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
        if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
            (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
            return 0;
        if (++chars > HALL_SEAL_ORG_MAX)
            return 0;
        s += n;
    }
    return 1;
}

/* ---- loading ------------------------------------------------------------ */

static char *
read_text(const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    char *buf;
    size_t n;

    if (f == NULL)
        return NULL;
    buf = malloc(max + 1);
    if (buf == NULL)
        abort();
    n = fread(buf, 1, max, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

int
hall_pki_serial_ok(const char *s)
{
    return s != NULL && strlen(s) == 16 && strspn(s, "0123456789ABCDEF") == 16;
}

X509 *
hall_pki_cert_load(const char *dir, const char *name, char **pem)
{
    char path[1024];
    X509 *x = NULL;
    BIO *b;
    char *text;

    snprintf(path, sizeof(path), "%s/%s.crt", dir, name);
    text = read_text(path, 64 * 1024);
    if (text == NULL)
        return NULL;
    b = BIO_new_mem_buf(text, -1);
    if (b != NULL)
        x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    if (pem != NULL && x != NULL)
        *pem = text;
    else
        free(text);
    return x;
}

/* the serial of ca->own_name's certificate, when it is there (issued by ca) */
static int
own_load(const char *dir, struct pki_ca *ca)
{
    X509 *own;
    BIGNUM *bn = NULL;
    int n, rc = HALL_ERR;

    ca->own_len = 0;
    if (ca->own_name == NULL)
        return HALL_OK;
    own = hall_pki_cert_load(dir, ca->own_name, NULL);
    if (own == NULL)
        return HALL_OK; /* a pki_dir without it: no seals are made */
    if (X509_NAME_cmp(X509_get_issuer_name(own), X509_get_subject_name(ca->cert)) != 0)
        goto out;
    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(own), NULL);
    n = bn == NULL ? -1 : BN_num_bytes(bn);
    if (n < 1 || n > (int)sizeof(ca->own_serial))
        goto out;
    BN_bn2bin(bn, ca->own_serial);
    ca->own_len = (size_t)n;
    rc = HALL_OK;
out:
    BN_free(bn);
    X509_free(own);
    return rc;
}

/* does the CertID name ca's own certificate (its serial's bytes, the
 * DER's leading zero dropped)? */
static int
own_is(const struct pki_ca *ca, const struct hall_ocsp_certid *id)
{
    const unsigned char *s = id->serial;
    size_t n = id->serial_len;

    if (ca->own_len == 0 || n == 0 || (s[0] & 0x80) != 0)
        return 0;
    if (s[0] == 0 && n > 1) {
        s++;
        n--;
    }
    return n == ca->own_len && memcmp(s, ca->own_serial, n) == 0;
}

/* the keys' settings (hall_pki_keys_conf) */
static struct {
    int set;
    char dir[1024];
    char pass[256]; /* the SM2 keys' passphrase; "" when there is no pki_pass_file */
} keyconf;

/* the keys that live in the token when there is one: every ECDSA key of
 * the hierarchy (SoftHSM2 and PKCS#11 2.40 have no SM2) */
static const char *const token_keys[] = {"root", "ecc", "ecc-ocsp", "audit", "tsa", NULL};

int
hall_pki_keys_conf(const struct hall_conf *conf, char *err, size_t errlen)
{
    FILE *f;
    size_t n;

    if (keyconf.set)
        return HALL_OK;
    snprintf(keyconf.dir, sizeof(keyconf.dir), "%s", conf->pki_dir);
    keyconf.pass[0] = '\0';
    f = conf->pki_pass_file != NULL && conf->pki_pass_file[0] != '\0'
            ? fopen(conf->pki_pass_file, "r")
            : NULL;
    if (f != NULL) {
        n = fread(keyconf.pass, 1, sizeof(keyconf.pass) - 1, f);
        fclose(f);
        keyconf.pass[n] = '\0';
        keyconf.pass[strcspn(keyconf.pass, "\r\n")] = '\0';
    }
    if (hall_token_configure(conf->pkcs11_module, conf->pkcs11_token, conf->pkcs11_pin_file,
                             conf->pkcs11_softhsm_conf, err, errlen) != HALL_OK)
        return HALL_ERR;
    keyconf.set = 1;
    return HALL_OK;
}

static int
pass_cb(char *buf, int size, int rwflag, void *u)
{
    size_t n = strlen(keyconf.pass);

    if (n == 0 || n >= (size_t)size)
        return -1;
    memcpy(buf, keyconf.pass, n);
    return (int)n;
}

static int
in_token(const char *name)
{
    int i;

    if (!hall_token_configured())
        return 0;
    for (i = 0; token_keys[i] != NULL; i++)
        if (strcmp(token_keys[i], name) == 0)
            return 1;
    return 0;
}

EVP_PKEY *
hall_pki_key(const char *name, char *err, size_t errlen)
{
    char path[1100];
    EVP_PKEY *k;
    FILE *f;

    if (!keyconf.set) {
        snprintf(err, errlen, "pki: a key asked for before hall_pki_keys_conf");
        return NULL;
    }
    if (in_token(name))
        return hall_token_key(name, err, errlen);
    snprintf(path, sizeof(path), "%s/%s.key", keyconf.dir, name);
    f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "pki_dir %s: cannot read %s.key", keyconf.dir, name);
        return NULL;
    }
    k = PEM_read_PrivateKey(f, NULL, pass_cb, NULL);
    fclose(f);
    if (k == NULL)
        snprintf(err, errlen, "pki_dir %s: %s.key cannot be read with pki_pass_file's passphrase",
                 keyconf.dir, name);
    return k;
}

/* the token could not be opened at hall_pki_load (not a refused PIN): its
 * keys are taken from their certificates and sign once it answers */
static int token_away;

/* the CA key name: the token's when it is one of token_keys (dir: pki_dir,
 * where hall_pki_keys_conf has already looked); cert is its certificate */
static EVP_PKEY *
load_key(const char *dir, const char *name, X509 *cert, char *err, size_t errlen)
{
    (void)dir;
    if (token_away && in_token(name))
        return hall_token_key_cert(name, cert, err, errlen);
    return hall_pki_key(name, err, errlen);
}

int
hall_pki_load(const struct hall_conf *conf, unsigned what, char *err, size_t errlen)
{
    const char *dir = conf->pki_dir;
    struct pki_ca *ca;
    char name[64], why[512];
    X509 *root;

    if (loaded)
        return HALL_OK;
    if (hall_pki_keys_conf(conf, err, errlen) != HALL_OK)
        return HALL_ERR;
    /* only the roots' PEM is kept (served as it is) */
    root = hall_pki_cert_load(dir, "root", &root_pem);
    if (root == NULL) {
        snprintf(err, errlen, "pki_dir %s: cannot read root.crt (hall-pkitool ceremony)", dir);
        return HALL_ERR;
    }
    if (what & (HALL_PKI_AUDIT_KEY | HALL_PKI_AUDIT_CERT)) {
        audit_cert = hall_pki_cert_load(dir, "audit", NULL);
        if (audit_cert == NULL || X509_verify(audit_cert, X509_get0_pubkey(root)) != 1) {
            X509_free(root);
            snprintf(err, errlen, "pki_dir %s: audit.crt missing or not signed by root.crt", dir);
            return HALL_ERR;
        }
    }
    X509_free(root);
    root = hall_pki_cert_load(dir, "sm2-root", &sm2_root_pem);
    if (root == NULL) {
        snprintf(err, errlen, "pki_dir %s: cannot read sm2-root.crt (script/lib/pki-init.sh)", dir);
        return HALL_ERR;
    }
    X509_free(root);
    /* a wrong PIN shows here, before any worker is forked; a token that
     * is away (its files, its device, its slot) is no reason not to start:
     * what does not sign works, and what signs waits for it */
    token_away = 0;
    if ((what & (HALL_PKI_CA_KEYS | HALL_PKI_OCSP_KEYS | HALL_PKI_AUDIT_KEY)) &&
        hall_token_configured() && hall_token_check(why, sizeof(why)) != HALL_OK) {
        if (hall_token_refused()) {
            snprintf(err, errlen, "%s", why);
            return HALL_ERR;
        }
        token_away = 1;
        hall_log(HALL_LOG_ERR, NULL,
                 "msg=\"pkcs11: %s; starting without the token: its keys sign once it answers\"",
                 why);
    }
    if (what & HALL_PKI_AUDIT_KEY) {
        audit_key = load_key(dir, "audit", audit_cert, why, sizeof(why));
        if (audit_key == NULL) {
            snprintf(err, errlen, "%s", why);
            return HALL_ERR;
        }
        if (X509_check_private_key(audit_cert, audit_key) != 1) {
            snprintf(err, errlen, "pki_dir %s: the key audit is not the key of audit.crt", dir);
            return HALL_ERR;
        }
    }
    for (ca = cas; ca->name != NULL; ca++) {
        ca->cert = hall_pki_cert_load(dir, ca->name, &ca->pem);
        snprintf(name, sizeof(name), "%s-ocsp", ca->name);
        ca->ocsp_cert = hall_pki_cert_load(dir, name, NULL);
        if (ca->cert == NULL || ca->ocsp_cert == NULL) {
            snprintf(err, errlen, "pki_dir %s: cannot read %s.crt or %s.crt", dir, ca->name, name);
            return HALL_ERR;
        }
        if (what & HALL_PKI_CA_KEYS) {
            ca->key = load_key(dir, ca->name, ca->cert, why, sizeof(why));
            if (ca->key == NULL) {
                snprintf(err, errlen, "%s", why);
                return HALL_ERR;
            }
            if (X509_check_private_key(ca->cert, ca->key) != 1) {
                snprintf(err, errlen, "pki_dir %s: the key %s is not the key of %s.crt", dir,
                         ca->name, ca->name);
                return HALL_ERR;
            }
        }
        if (what & HALL_PKI_OCSP_KEYS) {
            ca->ocsp_key = load_key(dir, name, ca->ocsp_cert, why, sizeof(why));
            if (ca->ocsp_key == NULL) {
                snprintf(err, errlen, "%s", why);
                return HALL_ERR;
            }
            if (X509_check_private_key(ca->ocsp_cert, ca->ocsp_key) != 1) {
                snprintf(err, errlen, "pki_dir %s: the key %s is not the key of %s.crt", dir, name,
                         name);
                return HALL_ERR;
            }
            ca->ocsp_sign = sign_ctx(ca->ocsp_key, ca->sm2);
            ca->id_sha1 = OCSP_cert_to_id(EVP_sha1(), NULL, ca->cert);
            ca->id_sha256 = OCSP_cert_to_id(EVP_sha256(), NULL, ca->cert);
            ca->ocsp_token = in_token(name);
            if (own_load(dir, ca) != HALL_OK) {
                snprintf(err, errlen, "pki_dir %s: %s.crt is not issued by %s.crt", dir,
                         ca->own_name, ca->name);
                return HALL_ERR;
            }
            /* the answers' constant parts are cut from one signed by the
             * key: with the token away, at the first answer it signs */
            if (ca->ocsp_sign == NULL || ca->id_sha1 == NULL || ca->id_sha256 == NULL ||
                ocsp_hashes_load(ca) != HALL_OK ||
                (!(token_away && ca->ocsp_token) && ocsp_parts_load(ca) != HALL_OK)) {
                snprintf(err, errlen, "pki_dir %s: cannot prepare the OCSP signer %s", dir, name);
                return HALL_ERR;
            }
        }
    }
    /* the workers forked after this open their own sessions (core/pki/token.c) */
    hall_token_release();
    loaded = what | 0x100u;
    return HALL_OK;
}

static struct pki_ca *
ca_find(const char *name)
{
    struct pki_ca *ca;

    for (ca = cas; ca->name != NULL; ca++)
        if (strcmp(ca->name, name) == 0)
            return ca;
    return NULL;
}

int
hall_pki_ca_count(void)
{
    return (int)(sizeof(cas) / sizeof(cas[0])) - 1;
}

int
hall_pki_ca_info(int i, const char **name, const char **alg, const char **pem)
{
    if (i < 0 || i >= hall_pki_ca_count() || !loaded)
        return HALL_ERR;
    *name = cas[i].name;
    *alg = cas[i].alg;
    *pem = cas[i].pem;
    return HALL_OK;
}

int
hall_pki_can_sign(void)
{
    return (loaded & HALL_PKI_CA_KEYS) != 0;
}

int
hall_pki_token_ready(const char *what)
{
    char err[512];

    if (!hall_token_configured() || hall_token_check(err, sizeof(err)) == HALL_OK)
        return HALL_OK;
    hall_token_log_away(what);
    return HALL_ERR;
}

const char *
hall_pki_root_pem(void)
{
    return root_pem;
}

const char *
hall_pki_sm2_root_pem(void)
{
    return sm2_root_pem;
}

int
hall_pki_reason_code(const char *name)
{
    int i;

    for (i = 0; reasons[i].name != NULL; i++)
        if (strcmp(reasons[i].name, name) == 0)
            return reasons[i].code;
    return -1;
}

const char *
hall_pki_reason_name(int code)
{
    int i;

    for (i = 0; reasons[i].name != NULL; i++)
        if (reasons[i].code == code)
            return reasons[i].name;
    return "unspecified";
}

const char *
hall_pki_reason_label(int code)
{
    int i;

    for (i = 0; reasons[i].name != NULL; i++)
        if (reasons[i].code == code)
            return reasons[i].label;
    return "未指定";
}

const char *const *
hall_pki_reason_names(void)
{
    static const char *names[sizeof(reasons) / sizeof(reasons[0])];
    int i;

    for (i = 0; reasons[i].name != NULL; i++)
        names[i] = reasons[i].name;
    names[i] = NULL;
    return names;
}

/* ---- signing -------------------------------------------------------------- */

/* a digest-sign context for key: SHA-256, or SM3 with the GM/T signer ID */
static EVP_MD_CTX *
sign_ctx(EVP_PKEY *key, int sm2)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;

    if (m == NULL)
        abort();
    if (EVP_DigestSignInit_ex(m, &pc, sm2 ? "SM3" : "SHA256", NULL, NULL, key, NULL) != 1 ||
        (sm2 && EVP_PKEY_CTX_set1_id(pc, SM2_ID, strlen(SM2_ID)) != 1)) {
        EVP_MD_CTX_free(m);
        return NULL;
    }
    return m;
}

static unsigned char *
der_of_x509(struct hall_pool *pool, X509 *x, size_t *len)
{
    int n = i2d_X509(x, NULL);
    unsigned char *p, *q;

    if (n <= 0)
        return NULL;
    p = q = hall_palloc(pool, (size_t)n);
    i2d_X509(x, &q);
    *len = (size_t)n;
    return p;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, const char *name, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_nconf(NULL, ctx, name, value);
    int ok;

    if (e == NULL)
        return HALL_ERR;
    ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok == 1 ? HALL_OK : HALL_ERR;
}

/* a certificate's subject */
struct subject {
    const char *cn, *org, *uscc, *ric;
};

/* keyed hash of a resident ID number: stable per person, useless without the key */
static const char *
ric_hash(struct hall_pool *pool, const char *ric)
{
    unsigned char mac[32];
    char up[32];
    size_t i, n = strlen(ric);

    if (n == 0 || n >= sizeof(up))
        return NULL;
    for (i = 0; i < n; i++)
        up[i] = ric[i] >= 'a' && ric[i] <= 'z' ? (char)(ric[i] - 32) : ric[i];
    up[n] = '\0';
    hall_mac("cert-ric", up, n, mac);
    return hall_hex(pool, mac, sizeof(mac));
}

/*
 * Builds and signs the certificate of an intent; the new key pair in *key.
 */
static X509 *
cert_build(struct hall_ctx *cx, struct pki_ca *ca, const char *serial_hex, time_t nb, time_t na,
           const char *cert_type, const struct subject *s, EVP_PKEY **key)
{
    const char *base = cx->conf->public_url;
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    BIGNUM *bn = NULL;
    ASN1_INTEGER *sn = NULL;
    EVP_MD_CTX *m = NULL;
    X509V3_CTX v3;
    const char *eku;
    int ok = 0;

    *key = ca->sm2 ? EVP_PKEY_Q_keygen(NULL, NULL, "SM2")
                   : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (x == NULL || n == NULL || *key == NULL)
        goto out;
    if (BN_hex2bn(&bn, serial_hex) == 0 || (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
        goto out;
    if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_serialNumber(x, sn) != 1 ||
        X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1 ||
        ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL || X509_set_pubkey(x, *key) != 1)
        goto out;
    if (X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"CN", -1, -1, 0) !=
            1 ||
        (*s->org != '\0' &&
         X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)s->org, -1, -1,
                                    0) != 1) ||
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn, -1, -1,
                                   0) != 1 ||
        X509_set_subject_name(x, n) != 1)
        goto out;
    X509V3_set_ctx(&v3, ca->cert, x, NULL, NULL, 0);
    /* key usage per certificate type: signing certificates everywhere; an
     * organisation's may also sign e-mail (e-invoices, seals' documents) */
    eku = strcmp(cert_type, "org") == 0 || strcmp(cert_type, "person") == 0
              ? "clientAuth,emailProtection"
              : "clientAuth";
    if (add_ext(x, &v3, "basicConstraints", "critical,CA:FALSE") != HALL_OK ||
        add_ext(x, &v3, "keyUsage", "critical,digitalSignature,nonRepudiation") != HALL_OK ||
        add_ext(x, &v3, "extendedKeyUsage", eku) != HALL_OK ||
        add_ext(x, &v3, "subjectKeyIdentifier", "hash") != HALL_OK ||
        add_ext(x, &v3, "authorityKeyIdentifier", "keyid") != HALL_OK ||
        add_ext(x, &v3, "crlDistributionPoints",
                hall_psprintf(cx->pool, "URI:%s/pki/%s.crl", base, ca->name)) != HALL_OK ||
        add_ext(x, &v3, "authorityInfoAccess",
                hall_psprintf(cx->pool, "OCSP;URI:%s/ocsp,caIssuers;URI:%s/pki/%s.crt", base, base,
                              ca->name)) != HALL_OK)
        goto out;
    if (*s->uscc != '\0' &&
        add_ext(x, &v3, OID_ORG_CODE, hall_psprintf(cx->pool, "ASN1:UTF8String:%s", s->uscc)) !=
            HALL_OK)
        goto out;
    if (*s->ric != '\0') {
        const char *h = ric_hash(cx->pool, s->ric);

        if (h == NULL || add_ext(x, &v3, OID_PERSON_ID,
                                 hall_psprintf(cx->pool, "ASN1:UTF8String:%s", h)) != HALL_OK)
            goto out;
    }
    m = sign_ctx(ca->key, ca->sm2);
    if (m == NULL || X509_sign_ctx(x, m) <= 0)
        goto out;
    ok = 1;
out:
    EVP_MD_CTX_free(m);
    ASN1_INTEGER_free(sn);
    BN_free(bn);
    X509_NAME_free(n);
    if (!ok) {
        X509_free(x);
        EVP_PKEY_free(*key);
        *key = NULL;
        return NULL;
    }
    return x;
}

/*
 * The PKCS#12 medium: AES-256-CBC with PBKDF2 for key and certificates,
 * SHA-256 MAC (OpenSSL 3's defaults, named so a change of default cannot
 * bring back RC2 or 3DES).  The PIN is 8 digits when production draws it
 * (10^8 guesses for whoever holds a copy of the file), 6 when it came in the
 * micro-deposit's memo (10^6); OpenSSL's default 2,048 iterations let a GPU
 * try them all in minutes.  P12_ITER makes each guess 50 times dearer, for
 * about 0.1 s of CPU per medium made here (three derivations) and as much
 * at each import.
 */
#define P12_ITER 100000

static unsigned char *
p12_make(struct hall_pool *pool, const char *pin, EVP_PKEY *key, X509 *x, struct pki_ca *ca,
         const char *friendly, size_t *len)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    PKCS12 *p12 = NULL;
    unsigned char *out = NULL, *q;
    int n;

    if (chain == NULL || sk_X509_push(chain, ca->cert) <= 0)
        goto out;
    p12 = PKCS12_create_ex(pin, friendly, key, x, chain, NID_aes_256_cbc, NID_aes_256_cbc, P12_ITER,
                           P12_ITER, 0, NULL, NULL);
    if (p12 == NULL)
        goto out;
    if (PKCS12_set_mac(p12, pin, -1, NULL, 16, P12_ITER, EVP_sha256()) != 1)
        goto out;
    n = i2d_PKCS12(p12, NULL);
    if (n <= 0)
        goto out;
    out = q = hall_palloc(pool, (size_t)n);
    i2d_PKCS12(p12, &q);
    *len = (size_t)n;
out:
    PKCS12_free(p12);
    sk_X509_free(chain);
    return out;
}

void
hall_pki_serial_draw(char out[17])
{
    unsigned char b[8];

    /* a non-zero first byte keeps 16 hex digits, a positive INTEGER either way */
    do
        hall_rand_bytes(b, sizeof(b));
    while (b[0] == 0);
    snprintf(out, 17, "%02X%02X%02X%02X%02X%02X%02X%02X", b[0], b[1], b[2], b[3], b[4], b[5], b[6],
             b[7]);
}

X509 *
hall_pki_cert_make(struct hall_ctx *cx, const char *ca_name, const char *serial, time_t nb,
                   time_t na, const char *cert_type, const char *cn, const char *org,
                   const char *uscc, const char *ric, EVP_PKEY **key)
{
    struct pki_ca *ca = ca_find(ca_name);
    struct subject s = {cn, org, uscc, ric};

    *key = NULL;
    if (ca == NULL || ca->key == NULL)
        return NULL;
    return cert_build(cx, ca, serial, nb, na, cert_type, &s, key);
}

unsigned char *
hall_pki_der(struct hall_pool *pool, X509 *x, size_t *len)
{
    return der_of_x509(pool, x, len);
}

unsigned char *
hall_pki_p12_make(struct hall_pool *pool, const char *pin, EVP_PKEY *key, X509 *x,
                  const char *ca_name, const char *friendly, size_t *len)
{
    struct pki_ca *ca = ca_find(ca_name);

    return ca != NULL ? p12_make(pool, pin, key, x, ca, friendly, len) : NULL;
}

const char *
hall_pki_subject_text(struct hall_pool *pool, const char *cn, const char *org)
{
    if (org == NULL || *org == '\0' || strcmp(org, cn) == 0)
        return cn;
    return hall_psprintf(pool, "%s（%s）", cn, org);
}

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_until_ms(int64_t at)
{
    int64_t left = at - mono_ms();

    while (left > 0) {
        struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000};

        nanosleep(&ts, NULL);
        left = at - mono_ms();
    }
}

/*
 * A staff member's pending request to revoke the serial (four eyes,
 * core/biz/approval.c) has nothing left to decide once it is revoked by
 * another path: closed as 'moot' in this transaction, with why, audited.
 * The approval's own revocation finds its request already approved.
 */
static int
requests_close(struct hall_ctx *cx, const char *serial, int reason, const char *actor)
{
    const char *note = hall_psprintf(cx->pool, "%s（%s），申请自动关闭",
                                     strncmp(actor, "user:", 5) == 0 ? "证书已由持有人撤销"
                                                                     : "证书已在其他业务中吊销",
                                     hall_pki_reason_label(reason));
    struct hall_dbres *res =
        hall_db_exec(cx, "pki_revoke_requests_close", HALL_STR(serial), HALL_STR(note));
    int i, n;

    if (res == NULL)
        return HALL_ERR;
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *detail = hall_val_obj(cx->pool);

        hall_val_set_str(cx->pool, detail, "kind", "revoke");
        hall_val_set_str(cx->pool, detail, "subject", serial);
        hall_val_set_str(cx->pool, detail, "note", note);
        if (hall_audit(cx, actor, "staff_request", hall_dbres_str(res, i, "id"), "moot", "pending",
                       "moot", detail) != HALL_OK)
            return HALL_ERR;
    }
    return HALL_OK;
}

int
hall_pki_revoke(struct hall_ctx *cx, const char *serial, int reason, const char *actor,
                const char **ca_name)
{
    struct hall_dbres *res;
    struct hall_val *detail;

    int64_t held;

    if (reason < 0 || reason > 10 || reason == 7)
        return HALL_ERR;
    res = hall_db_exec(cx, "pki_revoke_lock", HALL_STR(serial));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0 || strcmp(hall_dbres_str(res, 0, "state"), "issued") != 0)
        return HALL_CONFLICT;
    /* the OCSP workers' cached 'good' must expire before this commits
     * (OCSP_STATUS_MS above): the lock first, the wait at COMMIT */
    if (hall_db_exec(cx, "pki_ocsp_hold", HALL_STR(serial)) == NULL)
        return HALL_ERR;
    held = mono_ms();
    res = hall_db_exec(cx, "pki_revoke", HALL_STR(serial), HALL_I64(reason), HALL_STR(actor));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_CONFLICT;
    *ca_name = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "ca"));
    detail = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, detail, "reason", hall_pki_reason_name(reason));
    hall_val_set_str(cx->pool, detail, "order_id", hall_dbres_str(res, 0, "order_id"));
    if (hall_audit(cx, actor, "certificate", serial, "revoke", "issued", "revoked", detail) !=
            HALL_OK ||
        requests_close(cx, serial, reason, actor) != HALL_OK)
        return HALL_ERR;
    /* the wait at COMMIT; outside a transaction (no caller does so), here */
    if (cx->in_tx)
        hall_db_commit_after(cx, held + OCSP_HOLD_MS);
    else
        sleep_until_ms(held + OCSP_HOLD_MS);
    return HALL_OK;
}

/* ---- CRLs -------------------------------------------------------------------- */

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

static unsigned char *
crl_make(struct hall_ctx *cx, struct pki_ca *ca, const struct hall_dbres *rows, int64_t number,
         time_t now, size_t *len)
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
    m = sign_ctx(ca->key, ca->sm2);
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

int
hall_pki_crl_refresh(struct hall_ctx *cx, const char *ca_name, int force)
{
    struct pki_ca *ca = ca_find(ca_name);
    struct hall_dbres *st, *rows;
    int64_t number = 1;
    time_t now = time(NULL);
    unsigned char *der;
    size_t len;
    int rc = HALL_ERR;

    if (ca == NULL || ca->key == NULL)
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
            hall_dbres_bool(st, 0, "covers_latest")) {
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
    struct pki_ca *ca;

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
        for (ca = cas; ca->name != NULL; ca++)
            if (strcmp(ca->name, hall_dbres_get(res, i, c_ca)) == 0)
                seen[ca - cas] = 1;
    }
    if (hall_db_commit(cx) != HALL_OK)
        goto fail;
    for (i = 0; i < n; i++)
        hall_warn(cx, "msg=\"pki: dead intent voided\" serial=%s order=%s",
                  hall_dbres_get(res, i, c_serial), hall_dbres_get(res, i, c_order));
    for (ca = cas; ca->name != NULL; ca++)
        if (seen[ca - cas])
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
    struct pki_ca *ca;

    /* an intent this old has no living issuer (signing takes milliseconds) */
    hall_pki_reconcile(cx, 120);
    for (ca = cas; ca->name != NULL; ca++)
        hall_pki_crl_refresh(cx, ca->name, 0);
    return 0;
}

int
hall_pki_audit_ready(void)
{
    return audit_key != NULL;
}

/* ---- the audit key ----------------------------------------------------------- */

int
hall_pki_audit_sign(struct hall_pool *pool, const unsigned char *msg, size_t len,
                    unsigned char **sig, size_t *siglen)
{
    EVP_MD_CTX *m;
    size_t n = 0;
    int ok;

    if (audit_key == NULL || (m = sign_ctx(audit_key, 0)) == NULL)
        return HALL_ERR;
    ok = EVP_DigestSign(m, NULL, &n, msg, len) == 1;
    if (ok) {
        *sig = hall_palloc(pool, n);
        ok = EVP_DigestSign(m, *sig, &n, msg, len) == 1;
    }
    EVP_MD_CTX_free(m);
    *siglen = n;
    return ok ? HALL_OK : HALL_ERR;
}

int
hall_pki_audit_verify(const unsigned char *msg, size_t len, const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *m;
    int ok;

    if (audit_cert == NULL || (m = EVP_MD_CTX_new()) == NULL)
        return 0;
    ok = EVP_DigestVerifyInit_ex(m, NULL, "SHA256", NULL, NULL, X509_get0_pubkey(audit_cert),
                                 NULL) == 1 &&
         EVP_DigestVerify(m, sig, siglen, msg, len) == 1;
    EVP_MD_CTX_free(m);
    return ok;
}

int
hall_pki_audit_signer(unsigned char out[32])
{
    unsigned int n = 32;

    if (audit_cert == NULL || X509_digest(audit_cert, EVP_sha256(), out, &n) != 1 || n != 32)
        return HALL_ERR;
    return HALL_OK;
}

/* ---- OCSP ------------------------------------------------------------------ */

static unsigned char *
ocsp_der(struct hall_pool *pool, OCSP_RESPONSE *r, size_t *len)
{
    int n = i2d_OCSP_RESPONSE(r, NULL);
    unsigned char *out, *q;

    if (n <= 0)
        return NULL;
    out = q = hall_palloc(pool, (size_t)n);
    i2d_OCSP_RESPONSE(r, &q);
    *len = (size_t)n;
    return out;
}

static unsigned char *
ocsp_error(struct hall_pool *pool, int status, size_t *len)
{
    OCSP_RESPONSE *r = OCSP_response_create(status, NULL);
    unsigned char *out;

    if (r == NULL)
        return NULL;
    out = ocsp_der(pool, r, len);
    OCSP_RESPONSE_free(r);
    return out;
}

/* the CA a CertID names (by its issuer name and key hashes), or NULL */
static struct pki_ca *
ocsp_ca_of(OCSP_CERTID *cid)
{
    ASN1_OBJECT *md_oid = NULL;
    const EVP_MD *md;
    struct pki_ca *ca;

    if (OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, cid) != 1)
        return NULL;
    /* the usual hashes: the CertIDs made at load */
    if (OBJ_obj2nid(md_oid) == NID_sha1 || OBJ_obj2nid(md_oid) == NID_sha256) {
        for (ca = cas; ca->name != NULL; ca++) {
            OCSP_CERTID *mine = OBJ_obj2nid(md_oid) == NID_sha1 ? ca->id_sha1 : ca->id_sha256;

            if (mine != NULL && OCSP_id_issuer_cmp(mine, cid) == 0)
                return ca;
        }
        return NULL;
    }
    md = EVP_get_digestbyobj(md_oid);
    if (md == NULL)
        return NULL;
    for (ca = cas; ca->name != NULL; ca++) {
        OCSP_CERTID *mine = OCSP_cert_to_id(md, NULL, ca->cert);
        int same = mine != NULL && OCSP_id_issuer_cmp(mine, cid) == 0;

        OCSP_CERTID_free(mine);
        if (same)
            return ca;
    }
    return NULL;
}

/*
 * Answers to requests without a nonce about one certificate (RFC 5019
 * clients: browsers, most TLS stacks) are signed once per worker and
 * reused, the same bytes, until OCSP_RENEW_S before their nextUpdate: the
 * key holds what the database said this time (state, revocation time and
 * reason), so a revocation changes the key and is answered at once; a
 * reused answer keeps the thisUpdate and producedAt it was signed with
 * (RFC 5019 2.2.4: pre-produced answers).  Requests with a nonce are
 * signed every time.
 */
#define OCSP_CACHE_N 512
#define OCSP_RENEW_S 300

static struct {
    char key[96];
    time_t this_update, produced;
    unsigned char *der;
    size_t len;
    char etag[33];
} ocsp_cache[OCSP_CACHE_N];

/* what the database said about a serial, kept OCSP_STATUS_MS (see there) */
#define OCSP_STATUS_N 1024

static struct {
    char serial[17];
    const struct pki_ca *ca;
    int status, reason;
    long long rev_at;
    int64_t asked; /* CLOCK_MONOTONIC ms, taken before the query was sent */
    time_t read;   /* the wall clock then: the answer's thisUpdate */
} ocsp_status[OCSP_STATUS_N];

static unsigned
cache_slot(const char *key)
{
    unsigned h = 2166136261u;

    for (; *key != '\0'; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h % OCSP_CACHE_N;
}

/* the status of serial hex (16 hex digits) of ca: from the cache, or the
 * database; HALL_ERR when the database does not answer */
static int
ocsp_status_get(struct hall_ctx *cx, const struct pki_ca *ca, const char *hex, int *status,
                long long *rev_at, int *reason, time_t *read)
{
    unsigned slot = (cache_slot(hex) + (unsigned)(ca - cas)) % OCSP_STATUS_N;
    int64_t asked = mono_ms();
    struct hall_dbres *res;
    const char *dbst;

    if (ocsp_status[slot].ca == ca && strcmp(ocsp_status[slot].serial, hex) == 0 &&
        asked - ocsp_status[slot].asked < OCSP_STATUS_MS && asked >= ocsp_status[slot].asked) {
        *status = ocsp_status[slot].status;
        *rev_at = ocsp_status[slot].rev_at;
        *reason = ocsp_status[slot].reason;
        *read = ocsp_status[slot].read;
        return HALL_OK;
    }
    *read = time(NULL);
    res = hall_db_exec(cx, "pki_ocsp_status", HALL_STR(hex), HALL_STR(ca->name));
    if (res == NULL)
        return HALL_ERR;
    *status = V_OCSP_CERTSTATUS_UNKNOWN;
    *reason = -1;
    *rev_at = 0;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK; /* never issued: not kept, it may be issued in a moment */
    dbst = hall_dbres_str(res, 0, "o_state");
    if (strcmp(dbst, "issued") == 0) {
        *status = V_OCSP_CERTSTATUS_GOOD;
    } else if (strcmp(dbst, "revoked") == 0 || strcmp(dbst, "void") == 0) {
        *status = V_OCSP_CERTSTATUS_REVOKED;
        *reason = (int)hall_dbres_int(res, 0, "o_reason");
        *rev_at = hall_dbres_int(res, 0, "o_revoked");
    } else {
        return HALL_OK; /* an intent: unknown, not kept */
    }
    ocsp_status[slot].ca = ca;
    memcpy(ocsp_status[slot].serial, hex, 17);
    ocsp_status[slot].status = *status;
    ocsp_status[slot].rev_at = *rev_at;
    ocsp_status[slot].reason = *reason;
    ocsp_status[slot].asked = asked;
    ocsp_status[slot].read = *read;
    return HALL_OK;
}

/*
 * The signed answer is written as DER here, not built as OpenSSL objects
 * (OCSP_BASICRESP, OCSP_basic_add1_status, OCSP_basic_sign_ctx): per
 * answer that machinery cost about twice the signature itself.  What does
 * not change between answers of a CA -- the responder ID (by key hash), the
 * signature algorithm and the signer's certificate -- is cut at load out of
 * an answer OpenSSL signed (ocsp_parts_make), so it is OpenSSL's encoding;
 * the rest is RFC 6960 4.2.1:
 *
 *   OCSPResponse      SEQ { ENUM 0, [0] SEQ { OID id-pkix-ocsp-basic, OCTET STRING
 * BasicOCSPResponse } } BasicOCSPResponse SEQ { tbs, AlgorithmIdentifier, BIT STRING signature, [0]
 * certs } tbs               SEQ { responderID, producedAt, SEQ OF SingleResponse, [1] { SEQ { nonce
 * } } } SingleResponse    SEQ { CertID (as the request had it), status, thisUpdate, [0] nextUpdate
 * }
 *
 * The signature is one EVP_DigestSign over the tbs with a copy of the
 * context made at load (ECDSA P-256 with SHA-256, or SM2 with SM3).
 */
struct ocsp_parts {
    unsigned char *rid, *alg, *certs;
    size_t rid_len, alg_len, certs_len;
};

static struct ocsp_parts ocsp_parts[2];

/* the header of the DER element at p (tag, definite length): its size, 0 when bad */
static size_t
der_hdr(const unsigned char *p, size_t avail, size_t *len)
{
    size_t i, n;

    if (avail < 2)
        return 0;
    if ((p[1] & 0x80) == 0) {
        *len = p[1];
        return *len <= avail - 2 ? 2 : 0;
    }
    n = p[1] & 0x7f;
    if (n == 0 || n > 3 || avail < 2 + n)
        return 0;
    for (*len = 0, i = 0; i < n; i++)
        *len = *len << 8 | p[2 + i];
    return *len <= avail - 2 - n ? 2 + n : 0;
}

/* GeneralizedTime t: 18 0F YYYYMMDDHHMMSSZ */
static void
der_gtime(unsigned char out[17], time_t t)
{
    struct tm tm;
    char buf[16];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y%m%d%H%M%SZ", &tm);
    out[0] = 0x18;
    out[1] = 15;
    memcpy(out + 2, buf, 15);
}

static unsigned char *
dup_bytes(const unsigned char *p, size_t n)
{
    unsigned char *d = malloc(n);

    if (d == NULL)
        abort();
    memcpy(d, p, n);
    return d;
}

/* an empty answer signed by OpenSSL, and its constant parts cut out */
static int
ocsp_parts_make(struct pki_ca *ca, struct ocsp_parts *op)
{
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    const unsigned char *p, *end, *t;
    size_t len, h, tlen, th;
    int n, rc = HALL_ERR;

    if (bs == NULL || m == NULL || EVP_MD_CTX_copy_ex(m, ca->ocsp_sign) != 1 ||
        OCSP_basic_sign_ctx(bs, ca->ocsp_cert, m, NULL, OCSP_RESPID_KEY) != 1 ||
        (n = i2d_OCSP_BASICRESP(bs, &der)) <= 0)
        goto out;
    p = der;
    end = der + n;
    /* BasicOCSPResponse SEQ { tbs, alg, sig, [0] certs } */
    if ((h = der_hdr(p, (size_t)(end - p), &len)) == 0 || p[0] != 0x30)
        goto out;
    p += h;
    if ((h = der_hdr(p, (size_t)(end - p), &len)) == 0 || p[0] != 0x30)
        goto out;
    /* tbs SEQ { responderID [2] (no version: v1), ... } */
    t = p + h;
    if ((th = der_hdr(t, len, &tlen)) == 0 || t[0] != 0xa2)
        goto out;
    op->rid = dup_bytes(t, th + tlen);
    op->rid_len = th + tlen;
    p += h + len;
    if ((h = der_hdr(p, (size_t)(end - p), &len)) == 0 || p[0] != 0x30)
        goto out;
    op->alg = dup_bytes(p, h + len);
    op->alg_len = h + len;
    p += h + len;
    if ((h = der_hdr(p, (size_t)(end - p), &len)) == 0 || p[0] != 0x03)
        goto out;
    p += h + len;
    if ((h = der_hdr(p, (size_t)(end - p), &len)) == 0 || p[0] != 0xa0 || p + h + len != end)
        goto out;
    op->certs = dup_bytes(p, h + len);
    op->certs_len = h + len;
    rc = HALL_OK;
out:
    OPENSSL_free(der);
    EVP_MD_CTX_free(m);
    OCSP_BASICRESP_free(bs);
    return rc;
}

static int
ocsp_parts_load(struct pki_ca *ca)
{
    return ocsp_parts_make(ca, &ocsp_parts[ca - cas]);
}

/* the DER CertStatus: good [0] NULL, unknown [2] NULL, revoked [1] { time, [0] reason } */
static size_t
cert_status(unsigned char out[24], int status, time_t rev_at, int reason)
{
    size_t n;

    if (status == V_OCSP_CERTSTATUS_GOOD || status == V_OCSP_CERTSTATUS_UNKNOWN) {
        out[0] = status == V_OCSP_CERTSTATUS_GOOD ? 0x80 : 0x82;
        out[1] = 0;
        return 2;
    }
    out[0] = 0xa1;
    der_gtime(out + 2, rev_at);
    n = 17;
    if (reason >= 0) {
        memcpy(out + 2 + n, "\xa0\x03\x0a\x01", 4);
        out[2 + n + 4] = (unsigned char)reason;
        n += 5;
    }
    out[1] = (unsigned char)n;
    return 2 + n;
}

/* the ETag of an answer: the first 16 bytes of its SHA-256, in hex */
static void
ocsp_etag(const unsigned char *der, size_t len, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int i;

    out[0] = '\0';
    if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16)
        return;
    for (i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* the issuer hashes of the CA's SHA-1 and SHA-256 CertIDs */
static int
ocsp_hashes_load(struct pki_ca *ca)
{
    ASN1_OCTET_STRING *nh = NULL, *kh = NULL;

    if (OCSP_id_get0_info(&nh, NULL, &kh, NULL, ca->id_sha1) != 1 || nh->length != 20 ||
        kh->length != 20)
        return HALL_ERR;
    memcpy(ca->name_sha1, nh->data, 20);
    memcpy(ca->key_sha1, kh->data, 20);
    if (OCSP_id_get0_info(&nh, NULL, &kh, NULL, ca->id_sha256) != 1 || nh->length != 32 ||
        kh->length != 32)
        return HALL_ERR;
    memcpy(ca->name_sha256, nh->data, 32);
    memcpy(ca->key_sha256, kh->data, 32);
    return HALL_OK;
}

/* the CA a request's CertID names (OCSP_id_issuer_cmp's rule: the hash
 * algorithm's OID, then both hashes), or NULL; *nid: the hash algorithm */
static struct pki_ca *
ocsp_ca_of_id(const struct hall_ocsp_certid *id, int *nid)
{
    static const unsigned char sha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
    static const unsigned char sha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
    int is1 = id->oid_len == sizeof(sha1) && memcmp(id->oid, sha1, sizeof(sha1)) == 0;
    int is256 = id->oid_len == sizeof(sha256) && memcmp(id->oid, sha256, sizeof(sha256)) == 0;
    const unsigned char *p = id->der;
    ASN1_OBJECT *md_oid = NULL;
    OCSP_CERTID *cid;
    struct pki_ca *ca;

    if (is1 || is256) {
        size_t hl = is1 ? 20 : 32;

        *nid = is1 ? NID_sha1 : NID_sha256;
        if (id->name_hash_len != hl || id->key_hash_len != hl)
            return NULL;
        for (ca = cas; ca->name != NULL; ca++)
            if (ca->id_sha1 != NULL &&
                memcmp(id->name_hash, is1 ? ca->name_sha1 : ca->name_sha256, hl) == 0 &&
                memcmp(id->key_hash, is1 ? ca->key_sha1 : ca->key_sha256, hl) == 0)
                return ca;
        return NULL;
    }
    /* another hash (rare): OpenSSL's CertID, the CA's made with that digest */
    *nid = 0;
    cid = d2i_OCSP_CERTID(NULL, &p, (long)id->der_len);
    if (cid == NULL)
        return NULL;
    if (OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, cid) == 1)
        *nid = OBJ_obj2nid(md_oid);
    ca = ocsp_ca_of(cid);
    OCSP_CERTID_free(cid);
    return ca;
}

/* the size of a DER header for content of n bytes */
static size_t
hdr_len(size_t n)
{
    return n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4 : 5;
}

/* a DER header at p: the byte after it */
static unsigned char *
put_hdr(unsigned char *p, unsigned char tag, size_t n)
{
    size_t h = hdr_len(n), i;

    *p++ = tag;
    if (h == 2) {
        *p++ = (unsigned char)n;
        return p;
    }
    *p++ = (unsigned char)(0x80 | (h - 2));
    for (i = h - 2; i > 0; i--)
        *p++ = (unsigned char)(n >> (8 * (i - 1)));
    return p;
}

/* a DER header ending at p: where it starts */
static unsigned char *
put_hdr_back(unsigned char *p, unsigned char tag, size_t n)
{
    p -= hdr_len(n);
    put_hdr(p, tag, n);
    return p;
}

/* a SingleResponse's content: CertID, status, thisUpdate, [0] nextUpdate */
#define SINGLE_LEN(id_len, st_len) ((id_len) + (st_len) + 17 + 2 + 17)

/* room before the tbs for the headers around it (OCSPResponse, [0],
 * ResponseBytes, the OID, the OCTET STRING, BasicOCSPResponse: 34 bytes) */
#define OCSP_HEAD_ROOM 48

/* the digest sha256 made by hand for the token's signature, fetched once */
static EVP_MD *ocsp_md;
static EVP_MD_CTX *ocsp_hash, *ocsp_sig;

/* the DER signature of tbs by signer's OCSP key into sig (160 bytes) */
static int
ocsp_sign(struct pki_ca *signer, const unsigned char *tbs, size_t len, unsigned char *sig,
          size_t *siglen)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    size_t cap = *siglen;

    if (signer->ocsp_token) {
        /* ECDSA P-256 with SHA-256 by the token: C_Sign of the digest */
        if (ocsp_md == NULL && (ocsp_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
            return HALL_ERR;
        if (ocsp_hash == NULL && (ocsp_hash = EVP_MD_CTX_new()) == NULL)
            return HALL_ERR;
        if (EVP_DigestInit_ex2(ocsp_hash, ocsp_md, NULL) != 1 ||
            EVP_DigestUpdate(ocsp_hash, tbs, len) != 1 ||
            EVP_DigestFinal_ex(ocsp_hash, md, &mdlen) != 1 || mdlen != sizeof(md))
            return HALL_ERR;
        return hall_token_ecdsa(signer->ocsp_key, md, sizeof(md), sig, siglen) == 1 ? HALL_OK
                                                                                    : HALL_ERR;
    }
    /* a key in memory (sm2-ocsp: SM3withSM2 and its signer ID): a copy of
     * the context made at load */
    if (ocsp_sig == NULL && (ocsp_sig = EVP_MD_CTX_new()) == NULL)
        return HALL_ERR;
    if (EVP_MD_CTX_copy_ex(ocsp_sig, signer->ocsp_sign) != 1 ||
        EVP_DigestSign(ocsp_sig, NULL, siglen, tbs, len) != 1 || *siglen > cap ||
        EVP_DigestSign(ocsp_sig, sig, siglen, tbs, len) != 1)
        return HALL_ERR;
    return HALL_OK;
}

unsigned char *
hall_pki_ocsp_answer(struct hall_ctx *cx, const unsigned char *in, size_t inlen, size_t *outlen,
                     struct hall_ocsp_meta *meta)
{
    static const unsigned char basic_oid[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05,
                                              0x05, 0x07, 0x30, 0x01, 0x01};
    static const unsigned char nonce_oid[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05,
                                              0x05, 0x07, 0x30, 0x01, 0x02};
    struct hall_ocsp_req rq;
    struct {
        unsigned char st[24];
        size_t st_len;
        time_t read;
    } one[HALL_OCSP_REQ_MAX];
    struct pki_ca *signer = NULL;
    struct ocsp_parts *op;
    unsigned char *buf, *tbs, *p, sig[160];
    unsigned char now_t[17], next_t[17], this_t[17], until_t[17];
    char key[96] = "";
    long long rev_at = 0;
    time_t now = time(NULL), this_update = now;
    size_t siglen = sizeof(sig), singles = 0, ext = 0, tbs_c, tbs_len, basic_c, bit_c, rb_c,
           oct_len;
    int i, cacheable;
    const char **outcome = &meta->outcome;

    memset(meta, 0, sizeof(*meta));
    *outcome = "malformed";
    if (inlen > 64 * 1024 || hall_ocsp_req_parse(in, inlen, &rq) != HALL_OK)
        return ocsp_error(cx->pool, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, outlen);
    cacheable = rq.n == 1 && rq.nonce == NULL;
    for (i = 0; i < rq.n; i++) {
        const struct hall_ocsp_certid *id = &rq.ids[i];
        int nid = 0, status = V_OCSP_CERTSTATUS_UNKNOWN, reason = -1;
        struct pki_ca *ca = ocsp_ca_of_id(id, &nid);
        char hex[17] = "";

        one[i].read = now;
        if (ca != NULL && signer == NULL)
            signer = ca;
        if (ca != NULL && ca == signer)
            hall_ocsp_serial_hex(id, hex);
        if (ca != NULL && ca == signer && own_is(ca, id)) {
            status = V_OCSP_CERTSTATUS_GOOD; /* the seal maker: never in certificates */
        } else if (hex[0] != '\0' && ocsp_status_get(cx, ca, hex, &status, &rev_at, &reason,
                                                     &one[i].read) != HALL_OK) {
            *outcome = "busy";
            goto internal;
        }
        /* the answer repeats the request's CertID: cache only ours, by
         * CA, hash (and whether its parameters are there), serial and what
         * the database said */
        if (cacheable && hex[0] != '\0')
            snprintf(key, sizeof(key), "%s|%d|%zu|%s|%d|%lld|%d", ca->name, nid, id->alg_len, hex,
                     status, rev_at, reason);
        one[i].st_len = cert_status(one[i].st, status, (time_t)rev_at, reason);
        /* thisUpdate: when the database said so (RFC 6960 4.2.2.1) */
        if (i == 0)
            this_update = one[i].read;
        singles += hdr_len(SINGLE_LEN(id->der_len, one[i].st_len)) +
                   SINGLE_LEN(id->der_len, one[i].st_len);
        *outcome = status == V_OCSP_CERTSTATUS_GOOD      ? "good"
                   : status == V_OCSP_CERTSTATUS_REVOKED ? "revoked"
                                                         : "unknown";
    }
    if (key[0] != '\0') {
        unsigned slot = cache_slot(key);

        if (ocsp_cache[slot].der != NULL && strcmp(ocsp_cache[slot].key, key) == 0 &&
            now >= ocsp_cache[slot].produced &&
            now < ocsp_cache[slot].this_update + OCSP_VALID_S - OCSP_RENEW_S) {
            buf = hall_palloc(cx->pool, ocsp_cache[slot].len);
            memcpy(buf, ocsp_cache[slot].der, ocsp_cache[slot].len);
            *outlen = ocsp_cache[slot].len;
            meta->this_update = ocsp_cache[slot].this_update;
            meta->next_update = ocsp_cache[slot].this_update + OCSP_VALID_S;
            meta->produced = ocsp_cache[slot].produced;
            meta->reuse_until = meta->next_update - OCSP_RENEW_S;
            memcpy(meta->etag, ocsp_cache[slot].etag, sizeof(meta->etag));
            return buf;
        }
    }
    if (signer == NULL)
        signer = &cas[0];
    op = &ocsp_parts[signer - cas];
    if (op->rid == NULL && (!signer->ocsp_token || ocsp_parts_load(signer) != HALL_OK)) {
        /* the token was away at the start and still is */
        ERR_clear_error();
        if (signer->ocsp_token)
            *outcome = "busy";
        goto internal;
    }
    /* the nonce extension echoed: [1] { SEQ { SEQ { OID, critical, value } } } */
    if (rq.nonce != NULL) {
        ext = sizeof(nonce_oid) + (rq.nonce_critical ? 3 : 0) + rq.nonce_len;
        ext += hdr_len(ext);
        ext += hdr_len(ext);
        ext += hdr_len(ext);
    }
    /* tbs: responderID, producedAt, the responses, the nonce */
    tbs_c = op->rid_len + sizeof(now_t) + hdr_len(singles) + singles + ext;
    tbs_len = hdr_len(tbs_c) + tbs_c;
    buf = hall_palloc(cx->pool,
                      OCSP_HEAD_ROOM + tbs_len + op->alg_len + 5 + sizeof(sig) + op->certs_len);
    der_gtime(now_t, now);
    der_gtime(next_t, now + OCSP_VALID_S);
    tbs = p = buf + OCSP_HEAD_ROOM;
    p = put_hdr(p, 0x30, tbs_c);
    memcpy(p, op->rid, op->rid_len);
    p += op->rid_len;
    memcpy(p, now_t, sizeof(now_t));
    p += sizeof(now_t);
    p = put_hdr(p, 0x30, singles);
    for (i = 0; i < rq.n; i++) {
        const struct hall_ocsp_certid *id = &rq.ids[i];
        const unsigned char *tu = now_t, *nu = next_t;

        p = put_hdr(p, 0x30, SINGLE_LEN(id->der_len, one[i].st_len));
        memcpy(p, id->der, id->der_len);
        p += id->der_len;
        memcpy(p, one[i].st, one[i].st_len);
        p += one[i].st_len;
        if (one[i].read != now) {
            der_gtime(this_t, one[i].read);
            der_gtime(until_t, one[i].read + OCSP_VALID_S);
            tu = this_t;
            nu = until_t;
        }
        memcpy(p, tu, 17);
        p[17] = 0xa0;
        p[18] = 0x11;
        memcpy(p + 19, nu, 17);
        p += 36;
    }
    if (rq.nonce != NULL) {
        size_t e = sizeof(nonce_oid) + (rq.nonce_critical ? 3 : 0) + rq.nonce_len;

        p = put_hdr(p, 0xa1, hdr_len(hdr_len(e) + e) + hdr_len(e) + e);
        p = put_hdr(p, 0x30, hdr_len(e) + e);
        p = put_hdr(p, 0x30, e);
        memcpy(p, nonce_oid, sizeof(nonce_oid));
        p += sizeof(nonce_oid);
        if (rq.nonce_critical) {
            memcpy(p, "\x01\x01\xff", 3);
            p += 3;
        }
        memcpy(p, rq.nonce, rq.nonce_len);
        p += rq.nonce_len;
    }
    if ((size_t)(p - tbs) != tbs_len)
        goto internal;
    if (ocsp_sign(signer, tbs, tbs_len, sig, &siglen) != HALL_OK) {
        /* the signer's key cannot sign now (the token away): the client
         * may ask again later (RFC 6960 2.3) */
        ERR_clear_error();
        *outcome = "busy";
        goto internal;
    }
    /* BasicOCSPResponse { tbs, alg, BIT STRING signature, certs } */
    memcpy(p, op->alg, op->alg_len);
    p += op->alg_len;
    bit_c = siglen + 1;
    p = put_hdr(p, 0x03, bit_c);
    *p++ = 0; /* the BIT STRING's unused bits */
    memcpy(p, sig, siglen);
    p += siglen;
    memcpy(p, op->certs, op->certs_len);
    p += op->certs_len;
    basic_c = (size_t)(p - tbs);
    /* then the OCSPResponse around it, its headers written backwards */
    p = put_hdr_back(tbs, 0x30, basic_c);
    oct_len = hdr_len(basic_c) + basic_c;
    p = put_hdr_back(p, 0x04, oct_len);
    p -= sizeof(basic_oid);
    memcpy(p, basic_oid, sizeof(basic_oid));
    rb_c = sizeof(basic_oid) + hdr_len(oct_len) + oct_len;
    p = put_hdr_back(p, 0x30, rb_c);
    p = put_hdr_back(p, 0xa0, hdr_len(rb_c) + rb_c);
    p -= 3;
    memcpy(p, "\x0a\x01\x00", 3);
    p = put_hdr_back(p, 0x30, (size_t)(tbs + basic_c - p));
    if (p < buf)
        abort(); /* OCSP_HEAD_ROOM too small: a bug */
    *outlen = (size_t)(tbs + basic_c - p);
    meta->this_update = this_update;
    meta->next_update = this_update + OCSP_VALID_S;
    meta->produced = now;
    if (key[0] != '\0') {
        unsigned slot = cache_slot(key);
        unsigned char *copy = malloc(*outlen);

        meta->reuse_until = meta->next_update - OCSP_RENEW_S;
        ocsp_etag(p, *outlen, meta->etag);
        if (copy != NULL) {
            free(ocsp_cache[slot].der);
            memcpy(copy, p, *outlen);
            ocsp_cache[slot].der = copy;
            ocsp_cache[slot].len = *outlen;
            ocsp_cache[slot].this_update = this_update;
            ocsp_cache[slot].produced = now;
            memcpy(ocsp_cache[slot].etag, meta->etag, sizeof(meta->etag));
            snprintf(ocsp_cache[slot].key, sizeof(ocsp_cache[slot].key), "%s", key);
        }
    }
    return p;
internal:
    meta->this_update = meta->next_update = meta->produced = meta->reuse_until = 0;
    meta->etag[0] = '\0';
    if (strcmp(*outcome, "busy") != 0)
        *outcome = "internal";
    return ocsp_error(cx->pool,
                      strcmp(*outcome, "busy") == 0 ? OCSP_RESPONSE_STATUS_TRYLATER
                                                    : OCSP_RESPONSE_STATUS_INTERNALERROR,
                      outlen);
}
