/*
 * hall-assist's native-messaging host (tools/assist/assist_native.c), fed
 * what a page of the hall can make the extension send: the framed stream
 * (4-byte lengths, JSON) through the origin check, yajl's parser and every
 * message's checks.  The medium and the PIN dialog are stubs here: one
 * medium, FUZZ0000000000000, with no certificate; every PIN dialog
 * cancelled (so no flow starts a child); an origin served, so that the
 * checks after the origin's are reached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assist.h"
#include "fuzz.h"

const char *assist_cacert = NULL;

int
assist_media_labels(const char *module, char labels[][33], int max)
{
    (void)module;
    if (max < 1)
        return 0;
    snprintf(labels[0], 33, "FUZZ0000000000000");
    return 1;
}

int
assist_medium_open(struct medium *m, const char *module, const char *token)
{
    (void)module;
    memset(m, 0, sizeof(*m));
    if (token == NULL || strcmp(token, "FUZZ0000000000000") != 0)
        return -1;
    snprintf(m->label, sizeof(m->label), "%s", token);
    m->info.ulMinPinLen = 4;
    m->info.ulMaxPinLen = 16;
    return 0;
}

void
assist_medium_close(struct medium *m)
{
    (void)m;
}

const char *
assist_p11_error(CK_RV rv)
{
    (void)rv;
    return "CKR";
}

int
assist_medium_certs(struct medium *m, struct medium_cert **out, size_t *n)
{
    (void)m;
    *out = calloc(1, sizeof(**out));
    *n = 0;
    return *out != NULL ? 0 : -1;
}

void
assist_medium_certs_free(struct medium_cert *c, size_t n)
{
    (void)n;
    free(c);
}

char *
assist_medium_pubkey_hex(struct medium *m, const unsigned char *id, size_t id_len)
{
    (void)m, (void)id, (void)id_len;
    return NULL;
}

CK_RV
assist_medium_login(struct medium *m, CK_USER_TYPE who, const char *pin)
{
    (void)m, (void)who, (void)pin;
    return CKR_PIN_INCORRECT;
}

CK_RV
assist_medium_sign(struct medium *m, const unsigned char *id, size_t id_len,
                   const unsigned char *digest, size_t dlen, unsigned char *sig, size_t *siglen)
{
    (void)m, (void)id, (void)id_len, (void)digest, (void)dlen, (void)sig, (void)siglen;
    return CKR_KEY_HANDLE_INVALID;
}

const char *
assist_ocsp_status(X509 *cert, X509 *issuer, X509 **chain, size_t n, char *detail, size_t dlen)
{
    (void)cert, (void)issuer, (void)chain, (void)n;
    snprintf(detail, dlen, "fuzz");
    return "none";
}

int
assist_pinentry(const char *title, const char *desc, const char *prompt, const char *error,
                char *pin, size_t len, char *err, size_t elen)
{
    (void)title, (void)desc, (void)prompt, (void)error;
    if (len > 0)
        pin[0] = '\0';
    snprintf(err, elen, "已取消输入PIN码");
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    FILE *in, *out;

    if (!ready) {
        char path[] = "/tmp/fuzz-assist-XXXXXX";
        int fd = mkstemp(path);

        if (fd < 0 || write(fd, "origin https://fuzz.example\n", 28) != 28)
            abort();
        close(fd);
        setenv("HALL_ASSIST_CONF", path, 1);
        ready = 1;
    }
    if (size == 0)
        return 0;
    in = fmemopen((void *)data, size, "rb");
    out = fopen("/dev/null", "wb");
    if (in == NULL || out == NULL)
        abort();
    assist_native_io(in, out);
    fclose(in);
    fclose(out);
    return 0;
}
