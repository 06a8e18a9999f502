/*
 * hall-assist, the 证书助手 (docs/modules/assist.md): the parts' interface.
 * assist_p11.c  the medium through a PKCS#11 module (dlopen)
 * assist_net.c  the hall over HTTPS (libcurl): OCSP, the unlock exchange
 * assist_native.c  the browser's door: a native-messaging host
 * assist_pinentry.c  a PIN asked through pinentry (Assuan)
 */
#ifndef ASSIST_H
#define ASSIST_H

#include <stddef.h>
#include <stdio.h>

#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

struct medium {
    void *lib;
    CK_FUNCTION_LIST_PTR f;     /* the medium's module */
    CK_FUNCTION_LIST_PTR own;   /* a module loaded by path (--module) */
    CK_FUNCTION_LIST_PTR *mods; /* or p11-kit's registered modules */
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE s;
    CK_TOKEN_INFO info;
    char label[33], serial[17], model[40];
};

/* the medium's certificates (DER decoded) and their CKA_ID */
struct medium_cert {
    X509 *x;
    unsigned char id[64];
    size_t id_len;
};

struct opts {
    const char *cmd, *module, *token, *pin_file, *ticket, *hall;
    int json;
};

/* hall_assist.c: n PINs, from the file's lines or the terminal (the last, a
 * new one, asked twice); 0, or -1 after printing why */
int assist_read_pins(const char *file, const char *const *prompts, char pins[][64], int n);
/* 1 when the medium accepts a PIN of that length, else 0 after printing why */
int assist_new_pin_ok(const struct medium *m, const char *pin);
/* assist_unlock.c */
int assist_cmd_unlock(struct medium *m, const struct opts *o);
/* assist_renew.c: renew and change (o->cmd) */
int assist_cmd_renew(struct medium *m, const struct opts *o);

/* assist_p11.c: 0, or -1 after printing why; module NULL: the modules
 * registered with p11-kit */
int assist_medium_open(struct medium *m, const char *module, const char *token);
/* the labels of the media present (at most max); -1 when no module loads */
int assist_media_labels(const char *module, char labels[][33], int max);
/* an ECDSA signature (r || s) of digest by the private key of CKA_ID id,
 * logged in; CKR_OK, or why not (CKR_KEY_HANDLE_INVALID: no such key) */
CK_RV assist_medium_sign(struct medium *m, const unsigned char *id, size_t id_len,
                         const unsigned char *digest, size_t dlen, unsigned char *sig,
                         size_t *siglen);
void assist_medium_close(struct medium *m);
/* the objects of one class (and CKA_ID when id != NULL) on the medium; at
 * most max, their handles in out */
CK_ULONG assist_medium_find(struct medium *m, CK_OBJECT_CLASS cls, const unsigned char *id,
                            size_t id_len, CK_OBJECT_HANDLE *out, CK_ULONG max);
const char *assist_p11_error(CK_RV rv);
int assist_medium_certs(struct medium *m, struct medium_cert **out, size_t *n);
void assist_medium_certs_free(struct medium_cert *c, size_t n);
/* the EC point (CKA_EC_POINT) of the public key of CKA_ID id, hex; NULL when none */
char *assist_medium_pubkey_hex(struct medium *m, const unsigned char *id, size_t id_len);
CK_RV assist_medium_login(struct medium *m, CK_USER_TYPE who, const char *pin);

/* assist_pinentry.c: the PIN asked by pinentry ($PINENTRY_PROGRAM, else
 * `pinentry`) with title, desc and prompt; 0, 1 when the holder cancelled,
 * -1 when no pinentry answers (why in err) */
int assist_pinentry(const char *title, const char *desc, const char *prompt, const char *error,
                    char *pin, size_t len, char *err, size_t elen);
/* assist_native.c: the native-messaging host on stdin/stdout; _io on
 * other streams (the fuzz target, tests/fuzz/fuzz_assist.c) */
int assist_native(const char *caller);
int assist_native_io(FILE *in, FILE *out);

/* assist_net.c */
struct http_reply {
    long status;
    char *body; /* NUL-terminated */
    size_t len;
};
/* POST body (content type ctype) to url; 0, or -1 after printing why */
int assist_http_post(const char *url, const char *ctype, const void *body, size_t len,
                     struct http_reply *r);
void assist_http_reply_free(struct http_reply *r);
/* a JSON string member (the first so named, depth first), unescaped, by
 * yajl; NULL when none or not JSON */
char *assist_json_str(const char *json, const char *key);
/* the certificate's status by its issuer's OCSP: "good", "revoked",
 * "unknown", "none" (no OCSP address) or "error"; detail the time and
 * reason of a revocation or what failed */
const char *assist_ocsp_status(X509 *cert, X509 *issuer, X509 **chain, size_t n, char *detail,
                               size_t dlen);
/* the CA file for https (--cacert), NULL for the system's */
extern const char *assist_cacert;

#endif
