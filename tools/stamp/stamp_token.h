/*
 * hall-stamp sign's signer on a PKCS#11 token: see stamp_token.c.
 */
#ifndef HALL_STAMP_TOKEN_H
#define HALL_STAMP_TOKEN_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct hall_pool;

/* the token's (module, token: its label) key pair labelled key_label or,
 * key_label NULL, the one whose certificate the seal lists, logged in with
 * pin; its certificate from the seal.  HALL_OK, or HALL_ERR after saying
 * why on stderr (in Chinese when zh) */
int stamp_token_signer(struct hall_pool *pool, const char *module, const char *token,
                       const char *key_label, const char *pin, const unsigned char *seal,
                       size_t seal_len, EVP_PKEY **key, X509 **cert, int zh);

#endif
