/*
 * What the core and the tools print or build of X.509 (RFC 5280) with
 * OpenSSL, one way everywhere: a serial number as text, a name as text,
 * an extension added to a certificate being made (its value in OpenSSL's
 * configuration syntax, e.g. "critical,CA:TRUE").  core/pki (the CA, its
 * ceremony and OCSP responders, the seals and stamps) and the tools call
 * these; nothing here knows the hall.
 */
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/base.h"

char *
hall_asn1_int_hex(struct hall_pool *pool, const ASN1_INTEGER *n)
{
    BIGNUM *bn = n != NULL ? ASN1_INTEGER_to_BN(n, NULL) : NULL;
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
    char *out = hall_pstrdup(pool, hex != NULL ? hex : "");

    OPENSSL_free(hex);
    BN_free(bn);
    return out;
}

char *
hall_x509_name_text(struct hall_pool *pool, const X509_NAME *nm, unsigned long flags)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p;
    long n;
    char *out;

    if (b == NULL)
        abort();
    X509_NAME_print_ex(b, nm, 0, flags & ~ASN1_STRFLGS_ESC_MSB);
    n = BIO_get_mem_data(b, &p);
    out = hall_pstrndup(pool, p, (size_t)n);
    BIO_free(b);
    return out;
}

int
hall_x509_ext_add(X509 *x, X509V3_CTX *ctx, const char *name, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_nconf(NULL, ctx, name, value);
    int ok;

    if (e == NULL)
        return HALL_ERR;
    ok = X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok ? HALL_OK : HALL_ERR;
}
