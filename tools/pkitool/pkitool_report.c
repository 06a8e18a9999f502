/*
 * hall-pkitool report: the 验签报告's signer (docs/operations.md "The
 * 验签报告's key", docs/modules/sign.md "验签报告").
 *
 *   report        ECDSA P-256, made inside its own token (report_token,
 *                 "hall-report": it holds this key and nothing else) so
 *                 that the module sign, which is anonymous and faces the
 *                 internet, holds one PIN that opens no key of the CA
 *   report.crt    its certificate, signed by the ecc CA's key in the CA's
 *                 token: CN "<ecc's CN> 验签报告", keyUsage digitalSignature
 *                 and nonRepudiation, extendedKeyUsage documentSigning and
 *                 emailProtection (what PDF validators want of a document
 *                 signer; no clientAuth: it logs in nowhere), 2 years, the
 *                 ecc CA's CRL and issuer URLs and no OCSP URL (the CRL
 *                 is the evidence of a B-LT report); a row of the
 *                 register (certificates.kind 'service', sql/156) as every
 *                 certificate the CA signs, so that its revocation is in
 *                 the CRL and the OCSP answers
 *   report.seseal its 验签专用章, a GB/T 38540 SESeal made by the hall's
 *                 seal maker (as every seal), listing report.crt alone
 *
 * Idempotent: a key, certificate and seal that belong together and stay
 * valid another REPORT_RENEW_DAYS are kept (exit 0, "kept"); the
 * certificate is issued anew for the same key when it nears its end or is
 * not the key's (a token made anew) or the register does not hold it as
 * issued (revoked, or made before sql/156), the seal made anew when it does not
 * list the certificate or nears its end.  The CA's token is opened only
 * for the one signature of the certificate, the report token only for the
 * key; their PINs are pkcs11_pin_file's and report_pin_file's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hall.h"
#include "pkitool.h"

#define REPORT_DAYS       730
#define REPORT_RENEW_DAYS 30
#define REPORT_ARC        "网上营业厅签名验证"
#define REPORT_SEAL_NAME  "验签专用章"

/* "<ecc's CN> 验签报告" */
static const char *
report_cn(struct hall_pool *pool, X509 *ca)
{
    char cn[128];

    if (X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn, sizeof(cn)) <= 0)
        snprintf(cn, sizeof(cn), "Hall CA");
    return hall_psprintf(pool, "%s 验签报告", cn);
}

/* a copy of key's public half, free of the token */
static EVP_PKEY *
public_of(EVP_PKEY *key)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    EVP_PKEY *pub;
    int n = i2d_PUBKEY(key, &der);

    if (n <= 0)
        return NULL;
    p = der;
    pub = d2i_PUBKEY(NULL, &p, n);
    OPENSSL_free(der);
    return pub;
}

/* notAfter of x, epoch */
static time_t
not_after(X509 *x)
{
    struct tm tm;

    if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
        return 0;
    return timegm(&tm);
}

static int
file_write(const char *path, const unsigned char *p, size_t n, int pem_x509, X509 *x)
{
    char tmp[1200];
    FILE *f;
    int ok;

    snprintf(tmp, sizeof(tmp), "%s.new", path);
    f = fopen(tmp, "wb");
    if (f == NULL)
        return HALL_ERR;
    ok = pem_x509 ? PEM_write_X509(f, x) == 1 : fwrite(p, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    if (!ok || chmod(tmp, 0644) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* 1 when the seal at der is the hall's, lists cert and stays valid long enough */
static int
seal_current(struct hall_pool *pool, const unsigned char *der, size_t len, X509 *cert)
{
    struct hall_seseal_info info;
    const char *err;

    if (der == NULL || hall_seseal_verify(pool, der, len, NULL, 0, &info, &err) != HALL_OK)
        return 0;
    return info.signature_ok && info.chain_ok && info.nsigners == 1 &&
           hall_seseal_lists(der, len, cert) &&
           info.valid_end > time(NULL) + REPORT_RENEW_DAYS * 86400L;
}

/* the seal of cert, made by the seal maker */
static unsigned char *
seal_make(struct hall_pool *pool, X509 *cert, size_t *len)
{
    struct hall_seseal_in in;
    const unsigned char *certs[1];
    size_t cert_lens[1], png_len;
    unsigned char *der, *p, *png;
    const char *hex;
    int n = i2d_X509(cert, NULL);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *h = bn != NULL ? BN_bn2hex(bn) : NULL;

    hex = hall_pstrdup(pool, h != NULL ? h : "0");
    OPENSSL_free(h);
    BN_free(bn);
    if (n <= 0)
        return NULL;
    der = hall_palloc(pool, (size_t)n);
    p = der;
    i2d_X509(cert, &p);
    png =
        hall_sealimg_render(pool, HALL_SEAL_BUSINESS, REPORT_ARC, REPORT_SEAL_NAME, &png_len, NULL);
    if (png == NULL)
        return NULL;
    memset(&in, 0, sizeof(in));
    certs[0] = der;
    cert_lens[0] = (size_t)n;
    /* one esID per certificate: "REPORT" and its serial */
    in.es_id = hall_psprintf(pool, "REPORT%s", hex);
    in.type = 1;
    in.name = REPORT_SEAL_NAME;
    in.certs = certs;
    in.cert_lens = cert_lens;
    in.ncerts = 1;
    in.created = time(NULL);
    in.valid_start = in.created;
    in.valid_end = not_after(cert);
    in.png = png;
    in.png_len = png_len;
    in.width_mm = HALL_SEAL_MM;
    in.height_mm = HALL_SEAL_MM;
    return hall_seseal_make(pool, &in, len);
}

/* x's serial as the register writes it (upper-case hex) */
static const char *
serial_hex(struct hall_pool *pool, X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *h = bn != NULL ? BN_bn2hex(bn) : NULL;
    size_t n = h != NULL ? strlen(h) : 0;
    /* 16 digits: a first byte under 0x10 keeps its leading 0 */
    const char *out = hall_psprintf(pool, "%.*s%s", n < 16 ? (int)(16 - n) : 0, "0000000000000000",
                                    h != NULL ? h : "");

    OPENSSL_free(h);
    BN_free(bn);
    return out;
}

/* 1 when the register holds x as an issued service certificate, 0 when
 * not (never registered, revoked), -1 when it cannot be asked */
static int
registered(struct hall_ctx *cx, X509 *x)
{
    const char *st = hall_cert_service_state(cx, serial_hex(cx->pool, x));

    return st == NULL ? -1 : strcmp(st, "issued") == 0;
}

/* the token of the CA's keys again (pkcs11_token) */
static int
ca_token(const struct hall_conf *conf, char *err, size_t errlen)
{
    hall_token_release();
    return hall_token_configure(conf->pkcs11_module, conf->pkcs11_token, conf->pkcs11_pin_file,
                                conf->pkcs11_softhsm_conf, err, errlen);
}

int
pkitool_report(struct hall_ctx *cx, const struct hall_conf *conf)
{
    struct hall_pool *pool = cx->pool;
    const char *dir = conf->pki_dir;
    const char *crt_path = hall_psprintf(pool, "%s/report.crt", dir);
    const char *seal_path = hall_psprintf(pool, "%s/report.seseal", dir);
    X509 *ca = NULL, *cert = NULL;
    EVP_PKEY *key = NULL, *pub = NULL, *ikey = NULL;
    unsigned char *seal = NULL, *m;
    size_t seal_len = 0;
    int rc = 1, has, made_key = 0, new_cert = 0, reg = 0;
    char err[512];

    if (conf->pkcs11_module == NULL || conf->pkcs11_module[0] == '\0') {
        fprintf(stderr, "hall-pkitool: report: no PKCS#11 token configured (pkcs11_module)\n");
        return 1;
    }
    if (hall_pki_keys_conf(conf, err, sizeof(err)) != HALL_OK ||
        hall_seseal_load(conf, 1, err, sizeof(err)) != HALL_OK) {
        fprintf(stderr, "hall-pkitool: report: %s\n", err);
        return 1;
    }
    ca = hall_pki_cert_load(dir, "ecc", NULL);
    if (ca == NULL) {
        fprintf(stderr, "hall-pkitool: report: %s/ecc.crt missing (run the ceremony first)\n", dir);
        return 1;
    }
    cert = hall_pki_cert_load(dir, "report", NULL);
    m = hall_whole_file(seal_path, 4u * 1024 * 1024, &seal_len);
    if (m != NULL) {
        seal = hall_palloc(pool, seal_len);
        memcpy(seal, m, seal_len);
        free(m);
    }

    /* the key, in its own token */
    hall_token_release();
    if (hall_token_configure(conf->pkcs11_module, conf->report_token, conf->report_pin_file,
                             conf->pkcs11_softhsm_conf, err, sizeof(err)) != HALL_OK ||
        hall_token_check(err, sizeof(err)) != HALL_OK)
        goto fail;
    has = hall_token_has("report");
    if (has < 0) {
        snprintf(err, sizeof(err), "report_token \"%s\": cannot search the token",
                 conf->report_token);
        goto fail;
    }
    key = has > 0 ? hall_token_key("report", err, sizeof(err))
                  : hall_token_keygen("report", err, sizeof(err));
    if (key == NULL)
        goto fail;
    made_key = has == 0;
    pub = public_of(key);
    EVP_PKEY_free(key);
    key = NULL;
    if (pub == NULL) {
        snprintf(err, sizeof(err), "the report key's public half cannot be read");
        goto fail;
    }

    /* its certificate, by the CA's key in the CA's token, in the register
     * (revoked there, or never registered: issued anew) */
    if (cert != NULL && (reg = registered(cx, cert)) < 0) {
        snprintf(err, sizeof(err), "the register cannot be read");
        goto fail;
    }
    if (cert == NULL || !reg || EVP_PKEY_eq(X509_get0_pubkey(cert), pub) != 1 ||
        X509_verify(cert, X509_get0_pubkey(ca)) != 1 ||
        not_after(cert) < time(NULL) + REPORT_RENEW_DAYS * 86400L) {
        X509 *x;

        if (ca_token(conf, err, sizeof(err)) != HALL_OK)
            goto fail;
        ikey = hall_pki_key("ecc", err, sizeof(err));
        if (ikey == NULL)
            goto fail;
        x = hall_pki_service_issue(cx, ca, ikey, pub, report_cn(pool, ca), REPORT_DAYS, err,
                                   sizeof(err));
        if (x == NULL)
            goto fail;
        if (file_write(crt_path, NULL, 0, 1, x) != HALL_OK) {
            X509_free(x);
            snprintf(err, sizeof(err), "%s could not be written", crt_path);
            goto fail;
        }
        X509_free(cert);
        cert = x;
        new_cert = 1;
    }

    /* its seal, by the seal maker */
    if (!seal_current(pool, seal, seal_len, cert)) {
        seal = seal_make(pool, cert, &seal_len);
        if (seal == NULL || file_write(seal_path, seal, seal_len, 0, NULL) != HALL_OK) {
            snprintf(err, sizeof(err), "%s could not be made or written", seal_path);
            goto fail;
        }
        printf("report: %s made\n", seal_path);
    }
    printf("report: key %s in token \"%s\"; %s %s\n", made_key ? "made" : "kept",
           conf->report_token, crt_path, new_cert ? "issued by ecc" : "kept");
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "hall-pkitool: report: %s\n", err);
out:
    EVP_PKEY_free(key);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(ikey);
    X509_free(ca);
    X509_free(cert);
    hall_token_release();
    return rc;
}
