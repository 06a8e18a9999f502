/*
 * The timestamp authority's request reader (core/pki/tsa_reply.c), as
 * POST /tsa (and /PARTNER/tsa) hands it any body: a TimeStampReq in, one
 * TimeStampResp out, always.  The TSA is the fuzz hierarchy's
 * (tests/fuzz/pki/tsa.crt and its key in clear, under root.crt).
 *
 * What must hold for every input: an answer that is one DER
 * TimeStampResp; granted only for one DER TimeStampReq of version 1, and
 * then its token stamps that request's imprint and echoes its nonce;
 * never "internal" (the signer's own failure: with a key in a file there
 * is none to have).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ts.h>

#include "fuzz.h"
#include "hall.h"
#include "pki/pki.h"

static int loaded;

static void
load(void)
{
    static struct hall_conf conf;
    static char dir[4096], policy[] = "1.2.156.112233.1.1";
    char err[512];

    snprintf(dir, sizeof(dir), "%s/pki", FUZZ_DIR);
    conf.pki_dir = dir;
    conf.pki_pass_file = "";
    conf.pkcs11_module = "";
    conf.tsa_policy = policy;
    conf.tsa_accuracy_ms = 1000;
    if (hall_tsa_load(&conf, 1, err, sizeof(err)) != HALL_OK) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    loaded = 1;
}

/* the request as OpenSSL reads it, when it is one DER TimeStampReq */
static TS_REQ *
request_of(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    TS_REQ *tq = d2i_TS_REQ(NULL, &p, (long)size);

    if (tq != NULL && p != data + size) {
        TS_REQ_free(tq);
        return NULL;
    }
    return tq;
}

static int
same_octets(const ASN1_OCTET_STRING *a, const ASN1_OCTET_STRING *b)
{
    return ASN1_STRING_length(a) == ASN1_STRING_length(b) &&
           memcmp(ASN1_STRING_get0_data(a), ASN1_STRING_get0_data(b),
                  (size_t)ASN1_STRING_length(a)) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hall_tsa_meta meta;
    struct hall_pool *pool;
    const unsigned char *out, *p;
    size_t outlen;
    TS_RESP *rs;
    TS_REQ *tq;
    long status;

    if (!loaded)
        load();
    pool = hall_pool_create(4096);
    out = hall_tsa_answer(pool, data, size, &outlen, &meta);
    if (out == NULL || outlen == 0 || strcmp(meta.outcome, "internal") == 0)
        __builtin_trap();
    p = out;
    rs = d2i_TS_RESP(NULL, &p, (long)outlen);
    if (rs == NULL || p != out + outlen)
        __builtin_trap();
    status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(rs)));
    tq = request_of(data, size);
    if (status == TS_STATUS_GRANTED || status == TS_STATUS_GRANTED_WITH_MODS) {
        TS_TST_INFO *ti = TS_RESP_get_tst_info(rs);
        const ASN1_INTEGER *qn, *tn;

        if (strcmp(meta.outcome, "granted") != 0 || tq == NULL || TS_REQ_get_version(tq) != 1 ||
            ti == NULL || TS_RESP_get_token(rs) == NULL)
            __builtin_trap();
        if (!same_octets(TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(ti)),
                         TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(tq))))
            __builtin_trap();
        qn = TS_REQ_get_nonce(tq);
        tn = TS_TST_INFO_get_nonce(ti);
        if ((qn == NULL) != (tn == NULL) || (qn != NULL && ASN1_INTEGER_cmp(qn, tn) != 0))
            __builtin_trap();
    } else if (strcmp(meta.outcome, "malformed") != 0 && strcmp(meta.outcome, "rejected") != 0) {
        __builtin_trap();
    }
    TS_REQ_free(tq);
    TS_RESP_free(rs);
    hall_pool_destroy(pool);
    return 0;
}
