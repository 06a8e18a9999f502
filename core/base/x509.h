/*
 * core/base/x509.h, a part of base.h (which includes it): X.509 (RFC 5280)
 * as core/pki and the tools print and build it, one way everywhere
 * (core/base/x509.c).
 */
#ifndef HALL_BASE_X509_H
#define HALL_BASE_X509_H

struct asn1_string_st;
struct X509_name_st;
struct x509_st;
struct v3_ext_ctx;
/* an ASN.1 INTEGER (a serial) in upper-case hex; "" when NULL or unreadable */
char *hall_asn1_int_hex(struct hall_pool *pool, const struct asn1_string_st *n);
/* a name as X509_NAME_print_ex writes it with flags (XN_FLAG_RFC2253,
 * XN_FLAG_ONELINE), UTF-8 kept as it is */
char *hall_x509_name_text(struct hall_pool *pool, const struct X509_name_st *nm,
                          unsigned long flags);
/* the extension name = value (OpenSSL's configuration syntax) added to x
 * in ctx; HALL_ERR when it cannot be made or added */
int hall_x509_ext_add(struct x509_st *x, struct v3_ext_ctx *ctx, const char *name,
                      const char *value);

#endif
