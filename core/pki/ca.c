/*
 * The CA (docs/internals/pki.md): issuing CAs loaded from pki_dir, a
 * certificate for a subject's public key (born on a USB key or in the
 * holder's browser: the hall makes no subscriber key), revocation, the
 * reconciliation of dead intents, CRLs and OCSP answers.  It signs and
 * returns: what an order becomes with its certificate is core/biz/produce.c.
 *
 * SM2: every signature of the sm2 CA and its OCSP signer is SM3withSM2
 * with the GM/T 0009 default signer ID 1234567812345678, set on the
 * signing context (OpenSSL 3.0's default would be an empty ID).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

/* GM/T 0015 identity extensions (2012 arc 1.2.156.10260.4.1): .1 personal
 * ID (we put a keyed hash there, never the number), .4 organisation code
 * (we put the 18-character unified social credit code) */
#define OID_PERSON_ID "1.2.156.10260.4.1.1"
#define OID_ORG_CODE  "1.2.156.10260.4.1.4"
static char *root_pem;     /* the ECDSA root */
static char *sm2_root_pem; /* the SM2 root */
/* the two roots, kept for the certificates' chains (hall_pki_chain) */
static X509 *root_cert, *sm2_root_cert;
static unsigned loaded;
/* the audit key: signs the audit log's daily anchors (core/pki/auditanchor.c);
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
    {"pki_reconcile",
     "UPDATE certificates SET state = 'void', revoked_at = now(), revoke_reason = 4,"
     " revoked_by = 'reconcile' WHERE state = 'intent'"
     " AND created_at < now() - make_interval(secs => $1::int) RETURNING serial, ca, order_id",
     1},
    {"pki_ocsp_status", "SELECT o_state, o_revoked, o_reason FROM ocsp_cert_status($1, $2)", 2},
    {"pki_ocsp_hold", "SELECT pg_advisory_xact_lock(hashtextextended('hall-ocsp:' || $1, 0))", 1},
    /* the answers signed for reuse, kept across restarts (ocsp_answer.c):
     * a newer answer for a key replaces an older one, never the reverse */
    {"pki_ocsp_keep",
     "INSERT INTO ocsp_kept AS k (key, der, this_update, produced)"
     " VALUES ($1, $2, to_timestamp($3), to_timestamp($4))"
     " ON CONFLICT (key) DO UPDATE SET der = EXCLUDED.der, this_update = EXCLUDED.this_update,"
     " produced = EXCLUDED.produced WHERE k.this_update < EXCLUDED.this_update",
     4},
    /* one still valid ($2: the answers' validity, s) */
    {"pki_ocsp_kept",
     "SELECT der, floor(extract(epoch FROM this_update))::bigint AS this_update,"
     " floor(extract(epoch FROM produced))::bigint AS produced FROM ocsp_kept"
     " WHERE key = $1 AND this_update > now() - make_interval(secs => $2::int)",
     2},
    {"pki_ocsp_kept_prune",
     "DELETE FROM ocsp_kept WHERE this_update < now() - make_interval(secs => $1::int)", 1},
    /* $8 > 0: the start (证书更新 before expiry: the old one's end), else now;
     * $7 > 0: the end (the replaced certificate's), else the start + $6 years */
    {"pki_intent",
     "INSERT INTO certificates (serial, order_id, ca, subject_cn, subject_org, not_before,"
     " not_after) SELECT $1, $2, $3, $4, $5, nb,"
     " CASE WHEN $7::bigint > 0 THEN to_timestamp($7::bigint)"
     " ELSE nb + make_interval(years => $6::int) END"
     " FROM (SELECT CASE WHEN $8::bigint > 0 THEN to_timestamp($8::bigint)"
     " ELSE date_trunc('second', now()) END AS nb) t"
     " ON CONFLICT DO NOTHING RETURNING"
     " extract(epoch FROM not_before)::bigint AS not_before_epoch,"
     " extract(epoch FROM not_after)::bigint AS not_after_epoch",
     8},
    {"pki_store",
     "UPDATE certificates SET der = $2, p12_enc = $3, state = 'issued', issued_at = now(),"
     " spki_sha256 = CASE kind WHEN 'service' THEN NULL ELSE $4::bytea END"
     " WHERE serial = $1 AND state = 'intent' RETURNING order_id",
     4},
    /* written onto a medium (core/pki/medium.c): no PKCS#12, the medium's
     * serial, the key born there and its possession proven at $4 (sql/153) */
    {"pki_store_medium",
     "UPDATE certificates SET der = $2, medium_serial = $3, state = 'issued', issued_at = now(),"
     " key_origin = 'medium', key_attested = true, pop_checked_at = to_timestamp($4::bigint),"
     " spki_sha256 = $5"
     " WHERE serial = $1 AND state = 'intent' AND p12_enc IS NULL RETURNING order_id",
     5},
    /* the hall's own certificates (sql/156): no order, nb to na as signed */
    {"pki_service_intent",
     "INSERT INTO certificates (serial, kind, ca, subject_cn, subject_org, not_before, not_after)"
     " VALUES ($1, 'service', $2, $3, $4, to_timestamp($5::bigint), to_timestamp($6::bigint))"
     " ON CONFLICT DO NOTHING RETURNING serial",
     6},
    {"pki_service_state", "SELECT state FROM certificates WHERE serial = $1 AND kind = 'service'",
     1},
    /* its key born in the holder's browser (core/biz/produce_csr.c): no PKCS#12 */
    {"pki_store_browser",
     "UPDATE certificates SET der = $2, key_origin = 'browser', state = 'issued',"
     " issued_at = now(), pop_checked_at = now(), spki_sha256 = $3"
     " WHERE serial = $1 AND state = 'intent' AND p12_enc IS NULL RETURNING order_id",
     3},
    /* one certificate a public key (sql/192): the unique index refuses (23505) */
    {"pki_spki_claim",
     "UPDATE certificates SET spki_sha256 = $2 WHERE serial = $1 AND state = 'intent'"
     " RETURNING serial",
     2},
    {"pki_key_unattested",
     "UPDATE certificates SET key_attested = false WHERE serial = $1 AND key_origin = 'medium'", 1},
    {"pki_spki_taken",
     "SELECT 1 FROM certificates WHERE spki_sha256 = $1 AND state <> 'void' LIMIT 1", 1},
    {"sp_intent",
     "INSERT INTO certificates (serial, order_id, seal_item_id, ca, subject_cn, subject_org,"
     " not_before, not_after) VALUES ($1, $2, $3, $4, $5, $6, date_trunc('second', now()),"
     " date_trunc('second', now()) + make_interval(years => $7::int)) ON CONFLICT DO NOTHING"
     " RETURNING extract(epoch FROM not_before)::bigint AS not_before_epoch,"
     " extract(epoch FROM not_after)::bigint AS not_after_epoch",
     7},
    {"sp_cert_store",
     "UPDATE certificates SET der = $2, p12_enc = $3, state = 'issued', issued_at = now(),"
     " holder_code_hash = $4, spki_sha256 = $5 WHERE serial = $1 AND state = 'intent'"
     " RETURNING serial",
     5},
    /* its new certificate: from now to the old one's end, never beyond */
    {"sp_rename_intent",
     "INSERT INTO certificates (serial, order_id, seal_item_id, ca, subject_cn, subject_org,"
     " not_before, not_after) VALUES ($1, $2, $3, $4, $5, $6, date_trunc('second', now()),"
     " to_timestamp($7::bigint)) ON CONFLICT DO NOTHING"
     " RETURNING extract(epoch FROM not_before)::bigint AS not_before_epoch,"
     " extract(epoch FROM not_after)::bigint AS not_after_epoch",
     7},
    /* a seal revoked meanwhile: its new certificate is never stored */
    {"sp_rename_void",
     "UPDATE certificates SET state = 'void', revoked_at = now(), revoke_reason = 4,"
     " revoked_by = $2 WHERE serial = $1 AND state = 'intent'",
     2},
    /* the only write of a destruction: a copy already gone changes nothing */
    {"custody_destroy",
     "UPDATE certificates SET p12_enc = NULL, holder_code_hash = NULL, medium_destroyed_at = now(),"
     " medium_destroyed_why = $2, medium_downloaded_at = CASE WHEN $2 = 'download'"
     " THEN now() ELSE medium_downloaded_at END"
     " WHERE serial = $1 AND p12_enc IS NOT NULL RETURNING serial",
     2},
    {"seal_holder_medium_fail",
     "UPDATE certificates SET holder_code_tries = holder_code_tries + 1 WHERE serial = $1", 1},
    {NULL, NULL, 0},
};

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
own_load(const char *dir, struct hall_pki_ca *ca)
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

/* the keys' settings (hall_pki_keys_conf) */
static struct {
    int set;
    char dir[1024];
    char pass[256]; /* the SM2 keys' passphrase; "" when there is no pki_pass_file */
    char pass_file[1024];
} keyconf;

/* the keys that live in the token when there is one: every ECDSA key of
 * the hierarchy (SoftHSM2 and PKCS#11 2.40 have no SM2) */
static const char *const token_keys[] = {"root", "ecc",      "ecc-ocsp", "audit",
                                         "tsa",  "codesign", "hook",     NULL};

int
hall_pki_keys_conf(const struct hall_conf *conf, char *err, size_t errlen)
{
    FILE *f;
    size_t n;

    if (keyconf.set)
        return HALL_OK;
    snprintf(keyconf.dir, sizeof(keyconf.dir), "%s", conf->pki_dir);
    keyconf.pass[0] = '\0';
    snprintf(keyconf.pass_file, sizeof(keyconf.pass_file), "%s",
             conf->pki_pass_file != NULL ? conf->pki_pass_file : "");
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
    k = NULL;
    if (keyconf.pass_file[0] != '\0') {
        /* keyenc.sh's PKCS#8, its derived key from kdf_cache_dir (a start
         * pays its PBKDF2 once, docs/internals/crypto.md) */
        const char *why;

        k = hall_pkey_load_encrypted(path, keyconf.pass_file, &why);
        ERR_clear_error();
    }
    if (k == NULL)
        k = PEM_read_PrivateKey(f, NULL, pass_cb, NULL);
    fclose(f);
    if (k == NULL && keyconf.pass_file[0] != '\0') {
        /* written anew by a rotation under way (hall-pkitool rotate-pass):
         * pki_pass_file read again, then its .next */
        const char *why;

        ERR_clear_error();
        k = hall_pkey_load_encrypted(path, keyconf.pass_file, &why);
    }
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
    struct hall_pki_ca *ca;
    char name[64], why[512];
    X509 *root;

    if (loaded)
        return HALL_OK;
    if (hall_pki_keys_conf(conf, err, errlen) != HALL_OK)
        return HALL_ERR;
    /* the roots' PEM served as it is, their certificates for the chains */
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
    root_cert = root;
    sm2_root_cert = hall_pki_cert_load(dir, "sm2-root", &sm2_root_pem);
    if (sm2_root_cert == NULL) {
        snprintf(err, errlen, "pki_dir %s: cannot read sm2-root.crt (script/lib/pki-init.sh)", dir);
        return HALL_ERR;
    }
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
    for (ca = hall_pki_cas; ca->name != NULL; ca++) {
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
            ca->ocsp_sign = hall_pki_sign_ctx(ca->ocsp_key, ca->sm2);
            ca->id_sha1 = OCSP_cert_to_id(EVP_sha1(), NULL, ca->cert);
            ca->id_sha256 = OCSP_cert_to_id(EVP_sha256(), NULL, ca->cert);
            ca->ocsp_token = in_token(name);
            ca->responder_s = conf->ocsp_responder_s;
            if (ca->ocsp_token && in_token(ca->name)) {
                ca->ocsp_issuer = load_key(dir, ca->name, ca->cert, why, sizeof(why));
                if (ca->ocsp_issuer == NULL) {
                    snprintf(err, errlen, "%s", why);
                    return HALL_ERR;
                }
                if (X509_check_private_key(ca->cert, ca->ocsp_issuer) != 1) {
                    snprintf(err, errlen, "pki_dir %s: the key %s is not the key of %s.crt", dir,
                             ca->name, ca->name);
                    return HALL_ERR;
                }
            }
            if (own_load(dir, ca) != HALL_OK) {
                snprintf(err, errlen, "pki_dir %s: %s.crt is not issued by %s.crt", dir,
                         ca->own_name, ca->name);
                return HALL_ERR;
            }
            /* the answers' constant parts are cut from one signed by the
             * key: with the token away, at the first answer it signs */
            if (ca->ocsp_sign == NULL || ca->id_sha1 == NULL || ca->id_sha256 == NULL ||
                hall_pki_ocsp_hashes_load(ca) != HALL_OK ||
                (!(token_away && ca->ocsp_token) && hall_pki_ocsp_parts_load(ca) != HALL_OK)) {
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

int
hall_pki_ca_info(int i, const char **name, const char **alg, const char **pem)
{
    if (i < 0 || i >= hall_pki_ca_count() || !loaded)
        return HALL_ERR;
    *name = hall_pki_cas[i].name;
    *alg = hall_pki_cas[i].alg;
    *pem = hall_pki_cas[i].pem;
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

/* ---- the certificates' rows (this file owns the table) ------------------- */

/* the bytes of a memory BIO, copied into pool */
static unsigned char *
bio_bytes(struct hall_pool *pool, BIO *b, size_t *len)
{
    char *p;
    long n = BIO_get_mem_data(b, &p);
    unsigned char *out;

    if (n <= 0)
        return NULL;
    out = hall_palloc(pool, (size_t)n);
    memcpy(out, p, (size_t)n);
    *len = (size_t)n;
    return out;
}

int
hall_pki_chain(struct hall_pool *pool, const char *ca_name, const unsigned char *der,
               size_t der_len, int p7b, unsigned char **out, size_t *out_len)
{
    const struct hall_pki_ca *ca = loaded ? hall_pki_ca_find(ca_name) : NULL;
    X509 *root = ca == NULL ? NULL : ca->sm2 ? sm2_root_cert : root_cert;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    BIO *b = BIO_new(BIO_s_mem());
    PKCS7 *p7 = NULL;
    int ok = 0;

    *out = NULL;
    if (x == NULL || ca == NULL || ca->cert == NULL || root == NULL || b == NULL)
        goto out;
    if (!p7b) {
        ok = PEM_write_bio_X509(b, x) == 1 && PEM_write_bio_X509(b, ca->cert) == 1 &&
             PEM_write_bio_X509(b, root) == 1;
    } else {
        /* certs-only: signed-data with no signer and empty content (RFC 2315 9.1) */
        p7 = PKCS7_new();
        ok = p7 != NULL && PKCS7_set_type(p7, NID_pkcs7_signed) == 1 &&
             PKCS7_content_new(p7, NID_pkcs7_data) == 1 && PKCS7_add_certificate(p7, x) == 1 &&
             PKCS7_add_certificate(p7, ca->cert) == 1 && PKCS7_add_certificate(p7, root) == 1 &&
             i2d_PKCS7_bio(b, p7) == 1;
    }
    if (ok)
        *out = bio_bytes(pool, b, out_len);
out:
    PKCS7_free(p7);
    BIO_free(b);
    X509_free(x);
    ERR_clear_error();
    return *out != NULL ? HALL_OK : HALL_ERR;
}

const char *
hall_pki_root_pem(void)
{
    return root_pem;
}

X509 *
hall_pki_root_cert(void)
{
    return root_cert;
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
/*
 * What each kind of certificate is for (docs/internals/pki.md, "Certificate
 * profiles").  Every one is a signing certificate: keyUsage (critical)
 * digitalSignature and nonRepudiation (contentCommitment).  A certificate a
 * seal signs with is judged by PDF validators, which want an extended key
 * usage fit for signing documents: NSS (poppler's pdfsig, Firefox) checks
 * emailProtection for certificateUsageEmailSigner and refuses one with
 * clientAuth only ("Certificate type not approved for application"),
 * Acrobat wants emailProtection, its Authentic Documents OID or
 * anyExtendedKeyUsage; RFC 9336's id-kp-documentSigning says it outright.
 * The 机构证书 signs its order's 机构章 (and any seal made again on it) and
 * keeps clientAuth for the logins it serves; a seal's own certificate (a
 * 机构业务章's, a 机构个人章's) signs with its seal and nothing else.  The
 * 自然人证书 and the 机构个人证书 of the other products keep what they had.
 */
#define EKU_DOCUMENT_SIGNING "1.3.6.1.5.5.7.3.36" /* RFC 9336 id-kp-documentSigning */

static const struct cert_profile {
    const char *name;
    const char *eku;
} cert_profiles[] = {
    {"org", "clientAuth,emailProtection," EKU_DOCUMENT_SIGNING},
    {"person", "clientAuth,emailProtection"},
    {"org_person", "clientAuth"},
    {HALL_PKI_PROFILE_SEAL, EKU_DOCUMENT_SIGNING ",emailProtection"},
    /* the order type of a 机构业务章 (sql/002): a seal's certificate */
    {"org_business", EKU_DOCUMENT_SIGNING ",emailProtection"},
    {NULL, NULL},
};

static const struct cert_profile *
profile_find(const char *name)
{
    const struct cert_profile *p;

    for (p = cert_profiles; p->name != NULL; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

static X509 *
cert_build(struct hall_ctx *cx, struct hall_pki_ca *ca, const char *serial_hex, time_t nb,
           time_t na, const char *profile, const struct subject *s, EVP_PKEY *key)
{
    /* plain HTTP, as relying parties fetch them (pki_url) */
    const char *base = hall_conf_pki_url(cx->pool, cx->conf);
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    BIGNUM *bn = NULL;
    ASN1_INTEGER *sn = NULL;
    EVP_MD_CTX *m = NULL;
    X509V3_CTX v3;
    const struct cert_profile *prof = profile_find(profile);
    int ok = 0;

    if (prof == NULL) {
        /* no silent default: a seal's certificate must not come out as a
         * login certificate */
        hall_err(cx, "msg=\"pki: no certificate profile %s\"", profile);
        X509_free(x);
        X509_NAME_free(n);
        return NULL;
    }
    /* the key born outside the hall (a medium's, a browser's): certified,
     * never made here (issue 64 §4) */
    if (x == NULL || n == NULL || key == NULL)
        goto out;
    if (BN_hex2bn(&bn, serial_hex) == 0 || (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
        goto out;
    if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_serialNumber(x, sn) != 1 ||
        X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1 ||
        ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL || X509_set_pubkey(x, key) != 1)
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
    if (hall_x509_ext_add(x, &v3, "basicConstraints", "critical,CA:FALSE") != HALL_OK ||
        hall_x509_ext_add(x, &v3, "keyUsage", "critical,digitalSignature,nonRepudiation") !=
            HALL_OK ||
        hall_x509_ext_add(x, &v3, "extendedKeyUsage", prof->eku) != HALL_OK ||
        hall_x509_ext_add(x, &v3, "subjectKeyIdentifier", "hash") != HALL_OK ||
        hall_x509_ext_add(x, &v3, "authorityKeyIdentifier", "keyid") != HALL_OK ||
        hall_x509_ext_add(x, &v3, "crlDistributionPoints",
                          hall_psprintf(cx->pool, "URI:%s/pki/%s.crl", base, ca->name)) !=
            HALL_OK ||
        hall_x509_ext_add(x, &v3, "authorityInfoAccess",
                          hall_psprintf(cx->pool, "OCSP;URI:%s/ocsp,caIssuers;URI:%s/pki/%s.crt",
                                        base, base, ca->name)) != HALL_OK)
        goto out;
    if (*s->uscc != '\0' &&
        hall_x509_ext_add(x, &v3, OID_ORG_CODE,
                          hall_psprintf(cx->pool, "ASN1:UTF8String:%s", s->uscc)) != HALL_OK)
        goto out;
    if (*s->ric != '\0') {
        const char *h = ric_hash(cx->pool, s->ric);

        if (h == NULL ||
            hall_x509_ext_add(x, &v3, OID_PERSON_ID,
                              hall_psprintf(cx->pool, "ASN1:UTF8String:%s", h)) != HALL_OK)
            goto out;
    }
    m = hall_pki_sign_ctx(ca->key, ca->sm2);
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
        return NULL;
    }
    return x;
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
hall_pki_cert_for(struct hall_ctx *cx, const char *ca_name, const char *serial, time_t nb,
                  time_t na, const char *profile, const char *cn, const char *org, const char *uscc,
                  const char *ric, EVP_PKEY *pub)
{
    struct hall_pki_ca *ca = hall_pki_ca_find(ca_name);
    struct subject s = {cn, org, uscc, ric};

    if (ca == NULL || ca->key == NULL || pub == NULL)
        return NULL;
    return cert_build(cx, ca, serial, nb, na, profile, &s, pub);
}

unsigned char *
hall_pki_der(struct hall_pool *pool, X509 *x, size_t *len)
{
    return der_of_x509(pool, x, len);
}

const char *
hall_pki_subject_text(struct hall_pool *pool, const char *cn, const char *org)
{
    if (org == NULL || *org == '\0' || strcmp(org, cn) == 0)
        return cn;
    return hall_psprintf(pool, "%s（%s）", cn, org);
}

static void
sleep_until_ms(int64_t at)
{
    int64_t left = at - hall_pki_mono_ms();

    while (left > 0) {
        struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000};

        nanosleep(&ts, NULL);
        left = at - hall_pki_mono_ms();
    }
}

/*
 * nginx's OCSP cache (fastcgi_cache_path in nginx/hall.conf.in, no levels:
 * one file per answer kept, and the temporary files of answers being kept)
 * emptied once a revocation has committed: an answer nginx would serve
 * again was made before the commit, so none is left to say good.  A file
 * nginx is writing goes too (its rename fails: that answer is not kept).
 * nginx takes a missing file for an answer not kept and asks the module.
 * Without this (another host's nginx, ocsp_cache_dir empty or out of
 * reach) an answer lives ocsp_cache_s at most (docs/modules/ocsp.md).
 */
static void
ocsp_cache_purge(struct hall_ctx *cx)
{
    const char *dir = cx->conf != NULL ? cx->conf->ocsp_cache_dir : NULL;
    struct dirent *e;
    DIR *d;
    int fd, gone = 0, kept = 0;

    if (dir == NULL || *dir == '\0')
        return;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        int err = errno;

        if (fd >= 0)
            close(fd);
        if (err != ENOENT)
            hall_log(HALL_LOG_ERR, cx->request_id,
                     "msg=\"ocsp cache: cannot open\" dir=%s err=\"%s\"", dir, strerror(err));
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (unlinkat(fd, e->d_name, 0) == 0)
            gone++;
        else if (errno != ENOENT)
            kept++;
    }
    closedir(d);
    if (kept > 0)
        hall_log(HALL_LOG_ERR, cx->request_id,
                 "msg=\"ocsp cache: answers left after a revocation\" dir=%s left=%d", dir, kept);
    else
        hall_log(HALL_LOG_DEBUG, cx->request_id, "msg=\"ocsp cache emptied\" answers=%d", gone);
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
     * (HALL_PKI_OCSP_STATUS_MS above): the lock first, the wait at COMMIT */
    if (hall_db_exec(cx, "pki_ocsp_hold", HALL_STR(serial)) == NULL)
        return HALL_ERR;
    held = hall_pki_mono_ms();
    res = hall_db_exec(cx, "pki_revoke", HALL_STR(serial), HALL_I64(reason), HALL_STR(actor));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_CONFLICT;
    *ca_name = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "ca"));
    detail = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, detail, "reason", hall_pki_reason_name(reason));
    hall_dbres_set(cx->pool, detail, res, 0, "order_id");
    if (hall_audit(cx, actor, "certificate", serial, "revoke", "issued", "revoked", detail) !=
        HALL_OK)
        return HALL_ERR;
    /* the wait at COMMIT; outside a transaction (no caller does so), here */
    /* and nginx's kept answers emptied once it has committed */
    if (cx->in_tx) {
        hall_db_commit_after(cx, held + HALL_PKI_OCSP_HOLD_MS);
        cx->after_commit = ocsp_cache_purge;
    } else {
        sleep_until_ms(held + HALL_PKI_OCSP_HOLD_MS);
        ocsp_cache_purge(cx);
    }
    return HALL_OK;
}

/* ---- the audit key ----------------------------------------------------------- */

int
hall_pki_audit_sign(struct hall_pool *pool, const unsigned char *msg, size_t len,
                    unsigned char **sig, size_t *siglen)
{
    EVP_MD_CTX *m;
    size_t n = 0;
    int ok;

    if (audit_key == NULL || (m = hall_pki_sign_ctx(audit_key, 0)) == NULL)
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

int
hall_pki_audit_ready(void)
{
    return audit_key != NULL;
}
