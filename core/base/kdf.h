/*
 * kdf.c: PBKDF2-HMAC-SHA256 of the key-encryption passphrase, remembered
 * per encrypted file in kdf_cache_dir (docs/internals/crypto.md, "The
 * derived keys' cache").
 */
#ifndef HALL_BASE_KDF_H
#define HALL_BASE_KDF_H

#include <stddef.h>
#include <stdio.h>

struct evp_pkey_st;

/* the cache's folder (hall.conf's kdf_cache_dir; hall_conf_load sets it);
 * NULL or "": none, every derivation done in full */
void hall_kdf_cache_set(const char *dir);
/* out (outlen bytes) = PBKDF2-HMAC-SHA256(pass, salt, iter), or what the
 * cache keeps for the file whose salt, iterations and ciphertext (what
 * names the entry: the passphrase never does) these are; HALL_ERR when
 * OpenSSL fails.  hall_kdf_keep records it once it opened the file */
int hall_kdf_derive(const char *pass, const unsigned char *salt, size_t saltlen, unsigned long iter,
                    const unsigned char *ct, size_t ctlen, unsigned char *out, size_t outlen,
                    int *cached);
void hall_kdf_keep(const unsigned char *salt, size_t saltlen, unsigned long iter,
                   const unsigned char *ct, size_t ctlen, const unsigned char *key, size_t keylen);
/* forget the entry of that file (its derived key did not open it) */
void hall_kdf_forget(const unsigned char *salt, size_t saltlen, unsigned long iter,
                     const unsigned char *ct, size_t ctlen);
/* a PKCS#8 encrypted private key read from f (PBES2 as keyenc.sh writes
 * it) opened with the cache's key or pass; NULL: not opened so (the
 * caller asks OpenSSL, rewinding f) */
struct evp_pkey_st *hall_kdf_pkcs8_open(FILE *f, const char *pass);

#endif
