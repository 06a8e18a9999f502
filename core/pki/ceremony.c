/*
 * The key ceremony (hall-pkitool ceremony, docs/operations.md "The key
 * ceremony"): the ECDSA hierarchy's key pairs made inside the PKCS#11 token
 * and their certificates written to pki_dir.
 *
 *   root      the root CA, self-signed, 20 years
 *   ecc       issuing CA "ecc" (ecdsa-with-SHA256), signed by root, 10 years
 *   ecc-ocsp  its delegated OCSP signer (id-kp-OCSPSigning, ocsp-nocheck), 2 years
 *   audit     signs the audit trail's daily hashes (digitalSignature), signed
 *             by root, 10 years
 *   tsa       the timestamp authority (RFC 3161: critical extendedKeyUsage
 *             timeStamping and nothing else), signed by root, 5 years
 *   codesign  signs the 盖章工具's packages (script/stamp-dist: a detached
 *             CMS .p7s beside each; critical extendedKeyUsage codeSigning),
 *             signed by ecc, 3 years
 *   hook      signs the status webhooks to partners (a detached CMS in a
 *             header: core/biz/partner_hook.c; digitalSignature), signed by
 *             ecc, 3 years
 *
 * Never overwrites: a name whose key and certificate both exist is kept; a
 * missing one is made (its issuer must then be there or made with it); a
 * name with a key and no certificate, or a certificate and no key (a
 * hierarchy of key files from before the token, a ceremony cut short) is
 * refused, naming it.  The SM2 hierarchy is made by script/lib/pki-init.sh
 * in software (SoftHSM2 has no SM2); its certificates' fingerprints are
 * printed here too.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

#define ORG "Hall Demo CA"

enum kind { K_ROOT, K_CA, K_OCSP, K_AUDIT, K_TSA, K_CODESIGN };

static const struct member {
    const char *name, *issuer, *cn;
    int days;
    enum kind kind;
} members[] = {
    {"root", NULL, "Hall Demo Root CA", 7300, K_ROOT},
    {"ecc", "root", "Hall Demo ECC CA", 3650, K_CA},
    {"ecc-ocsp", "ecc", "Hall Demo ECC CA OCSP Responder", 730, K_OCSP},
    {"audit", "root", "Hall Demo Audit Trail Signer", 3650, K_AUDIT},
    /* under the root, like audit: the chain a verifier needs is the
     * signer's certificate alone, which a reply to certReq carries */
    {"tsa", "root", "Hall Demo Time Stamping Authority", 1825, K_TSA},
    /* an end entity of the issuing CA, as a customer's certificate is: a
     * verifier needs the root and the chain the signature carries */
    {"codesign", "ecc", "Hall Demo Code Signing", 1095, K_CODESIGN},
    /* signs the status webhooks to partners (core/biz/partner_hook.c): an
     * end entity of the issuing CA with the audit key's profile */
    {"hook", "ecc", "Hall Demo Partner Notification Signer", 1095, K_AUDIT},
    {NULL, NULL, NULL, 0, K_ROOT},
};

/* printed, not made here: script/lib/pki-init.sh's SM2 hierarchy */
static const char *const sm2_names[] = {"sm2-root", "sm2", "sm2-ocsp", "seal-maker", NULL};

static int
crt_exists(const char *dir, const char *name)
{
    char path[1100];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s.crt", dir, name);
    return stat(path, &st) == 0;
}

static int
crt_write(const char *dir, const char *name, X509 *x)
{
    char path[1100], tmp[1200];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s.crt", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    f = fopen(tmp, "w");
    if (f == NULL)
        return HALL_ERR;
    ok = PEM_write_X509(f, x) == 1;
    ok = fclose(f) == 0 && ok;
    if (!ok || chmod(tmp, 0644) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* "AB:CD:..." of the certificate's DER */
static const char *
fingerprint(struct hall_pool *pool, X509 *x)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    char *out, *p;

    if (X509_digest(x, EVP_sha256(), md, &n) != 1)
        return "?";
    out = p = hall_palloc(pool, n * 3 + 1);
    for (i = 0; i < n; i++)
        p += sprintf(p, i ? ":%02X" : "%02X", md[i]);
    return out;
}

/* the certificate of m for key, signed by issuer (NULL: itself) with ikey */
static X509 *
cert_make(const struct member *m, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey)
{
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    unsigned char rnd[8];
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    X509V3_CTX v3;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = 0;

    if (x == NULL || nm == NULL || md == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1)
        goto out;
    rnd[0] = (unsigned char)((rnd[0] & 0x7f) | 0x40); /* positive, 8 bytes */
    bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
    serial = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    if (serial == NULL || X509_set_version(x, 2) != 1 || X509_set_serialNumber(x, serial) != 1 ||
        X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_UTF8, (const unsigned char *)"CN", -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8, (const unsigned char *)ORG, -1, -1, 0) !=
            1 ||
        X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)m->cn, -1, -1,
                                   0) != 1 ||
        X509_set_subject_name(x, nm) != 1 ||
        X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : nm) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(x), m->days, 0, NULL) == NULL ||
        X509_set_pubkey(x, key) != 1)
        goto out;
    X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    switch (m->kind) {
    case K_ROOT:
        ok = hall_x509_ext_add(x, &v3, "basicConstraints", "critical,CA:TRUE") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "keyUsage", "critical,keyCertSign,cRLSign") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "subjectKeyIdentifier", "hash") == HALL_OK;
        break;
    case K_CA:
        ok = hall_x509_ext_add(x, &v3, "basicConstraints", "critical,CA:TRUE,pathlen:0") ==
                 HALL_OK &&
             hall_x509_ext_add(x, &v3, "keyUsage", "critical,keyCertSign,cRLSign") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "subjectKeyIdentifier", "hash") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "authorityKeyIdentifier", "keyid") == HALL_OK;
        break;
    case K_OCSP:
        ok = hall_x509_ext_add(x, &v3, "basicConstraints", "critical,CA:FALSE") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "keyUsage", "critical,digitalSignature") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "extendedKeyUsage", "critical,OCSPSigning") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "noCheck", "ignored") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "subjectKeyIdentifier", "hash") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "authorityKeyIdentifier", "keyid") == HALL_OK;
        break;
    case K_AUDIT:
        ok = hall_x509_ext_add(x, &v3, "basicConstraints", "critical,CA:FALSE") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "keyUsage", "critical,digitalSignature") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "subjectKeyIdentifier", "hash") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "authorityKeyIdentifier", "keyid") == HALL_OK;
        break;
    case K_TSA:
        /* RFC 3161 2.3: the one purpose, critical (OpenSSL's
         * X509_PURPOSE_TIMESTAMP_SIGN refuses a signer without it) */
        ok = hall_x509_ext_add(x, &v3, "basicConstraints", "critical,CA:FALSE") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "keyUsage", "critical,digitalSignature,nonRepudiation") ==
                 HALL_OK &&
             hall_x509_ext_add(x, &v3, "extendedKeyUsage", "critical,timeStamping") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "subjectKeyIdentifier", "hash") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "authorityKeyIdentifier", "keyid") == HALL_OK;
        break;
    case K_CODESIGN:
        ok = hall_x509_ext_add(x, &v3, "basicConstraints", "critical,CA:FALSE") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "keyUsage", "critical,digitalSignature") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "extendedKeyUsage", "critical,codeSigning") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "subjectKeyIdentifier", "hash") == HALL_OK &&
             hall_x509_ext_add(x, &v3, "authorityKeyIdentifier", "keyid") == HALL_OK;
        break;
    }
    ok = ok && EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, ikey, NULL) == 1 &&
         X509_sign_ctx(x, md) > 0;
out:
    EVP_MD_CTX_free(md);
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    X509_NAME_free(nm);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static const struct member *
member_find(const char *name)
{
    const struct member *m;

    for (m = members; m->name != NULL; m++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

/* who runs the ceremony: the login behind sudo when there is one */
static const char *
operator_name(void)
{
    const char *s = getenv("SUDO_USER");
    struct passwd *pw;

    if (s != NULL && s[0] != '\0')
        return s;
    pw = getpwuid(getuid());
    return pw != NULL ? pw->pw_name : "?";
}

int
hall_pki_ceremony(struct hall_ctx *cx, const struct hall_conf *conf, const char *actor, FILE *out,
                  char *err, size_t errlen)
{
    const char *dir = conf->pki_dir;
    const struct member *m;
    EVP_PKEY *keys[8] = {NULL};
    X509 *certs[8] = {NULL};
    int made[8] = {0}, nmade = 0, i, rc = HALL_ERR;
    struct hall_val *detail, *list, *fps;
    char why[512];

    if (hall_pki_keys_conf(conf, err, errlen) != HALL_OK)
        return HALL_ERR;
    if (!hall_token_configured()) {
        snprintf(err, errlen, "no PKCS#11 token configured (pkcs11_module in the config)");
        return HALL_ERR;
    }
    if (hall_token_check(err, errlen) != HALL_OK)
        return HALL_ERR;
    /* what is there: whole (key and certificate), absent, or half (refused) */
    for (i = 0, m = members; m->name != NULL; m++, i++) {
        int has = hall_token_has(m->name), crt = crt_exists(dir, m->name);

        if (has < 0) {
            snprintf(err, errlen, "pkcs11_token \"%s\": cannot search the token",
                     hall_token_label());
            return HALL_ERR;
        }
        if (has > 0 && crt) {
            /* a key made before keygen said sign-only (SoftHSM2's defaults
             * let it decrypt and unwrap): restricted in place */
            int r = hall_token_sign_only(m->name, why, sizeof(why));

            if (r < 0)
                fprintf(out, "warning: %s\n", why);
            else if (r > 0)
                fprintf(out, "%s: restricted to signing\n", m->name);
            certs[i] = hall_pki_cert_load(dir, m->name, NULL);
            keys[i] = hall_token_key(m->name, why, sizeof(why));
            if (certs[i] == NULL || keys[i] == NULL ||
                X509_check_private_key(certs[i], keys[i]) != 1) {
                snprintf(err, errlen,
                         "%s/%s.crt is not the certificate of the token's key %s: refusing to"
                         " go on",
                         dir, m->name, m->name);
                goto out;
            }
        } else if (has > 0 || crt) {
            snprintf(err, errlen,
                     "%s: %s without %s (a hierarchy of key files from before the token, or a"
                     " ceremony cut short): nothing is overwritten; move %s and the token's"
                     " objects away to make a new hierarchy",
                     m->name, has > 0 ? "a key in the token" : "a certificate in pki_dir",
                     has > 0 ? "its certificate" : "its key in the token", dir);
            goto out;
        }
    }
    for (i = 0, m = members; m->name != NULL; m++, i++) {
        const struct member *im;
        int ii;

        if (keys[i] != NULL)
            continue;
        im = m->issuer != NULL ? member_find(m->issuer) : m;
        ii = (int)(im - members);
        keys[i] = hall_token_keygen(m->name, err, errlen);
        if (keys[i] == NULL)
            goto out;
        certs[i] = cert_make(m, keys[i], m->issuer != NULL ? certs[ii] : NULL,
                             m->issuer != NULL ? keys[ii] : keys[i]);
        if (certs[i] == NULL || crt_write(dir, m->name, certs[i]) != HALL_OK) {
            snprintf(err, errlen,
                     "%s: the key is made in the token but its certificate could not"
                     " be signed or written to %s",
                     m->name, dir);
            goto out;
        }
        made[i] = 1;
        nmade++;
    }
    detail = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, detail, "token", hall_token_label());
    hall_val_set_str(cx->pool, detail, "module", conf->pkcs11_module);
    hall_val_set_str(cx->pool, detail, "operator", operator_name());
    list = hall_val_set_list(cx->pool, detail, "made");
    fps = hall_val_set_list(cx->pool, detail, "fingerprints");
    fprintf(out, "%-11s %-8s %s\n", "certificate", "key", "SHA-256 fingerprint");
    for (i = 0, m = members; m->name != NULL; m++, i++) {
        const char *fp = fingerprint(cx->pool, certs[i]);
        struct hall_val *o = hall_val_push_obj(cx->pool, fps);

        if (made[i])
            hall_val_push_str(cx->pool, list, m->name);
        hall_val_set_str(cx->pool, o, "name", m->name);
        hall_val_set_str(cx->pool, o, "sha256", fp);
        fprintf(out, "%-11s %-8s %s%s\n", m->name, "token", fp, made[i] ? "  (made now)" : "");
    }
    for (i = 0; sm2_names[i] != NULL; i++) {
        X509 *x = hall_pki_cert_load(dir, sm2_names[i], NULL);
        struct hall_val *o;
        const char *fp;

        if (x == NULL)
            continue;
        fp = fingerprint(cx->pool, x);
        o = hall_val_push_obj(cx->pool, fps);
        hall_val_set_str(cx->pool, o, "name", sm2_names[i]);
        hall_val_set_str(cx->pool, o, "sha256", fp);
        fprintf(out, "%-11s %-8s %s\n", sm2_names[i], "file", fp);
        X509_free(x);
    }
    if (nmade == 0) {
        fprintf(out, "the hierarchy was there already: nothing made, nothing changed\n");
        rc = HALL_CONFLICT;
        goto out;
    }
    /* who, when (the row's time) and what */
    if (hall_db_begin(cx) != HALL_OK ||
        hall_audit(cx, actor, "pki", hall_token_label(), "ceremony", NULL, "made", detail) !=
            HALL_OK ||
        hall_db_commit(cx) != HALL_OK) {
        if (cx->in_tx)
            hall_db_rollback(cx);
        snprintf(err, errlen, "the hierarchy is made but the audit row could not be written");
        goto out;
    }
    rc = HALL_OK;
out:
    for (i = 0; i < 8; i++) {
        EVP_PKEY_free(keys[i]);
        X509_free(certs[i]);
    }
    hall_token_release();
    return rc;
}
