/*
 * sign_report.c: the 验签报告 (POST /sign/verify?report=pdf,
 * docs/modules/sign.md "验签报告").  The verdicts are the ones the page
 * shows (sign.c, hall_stamp_verdict); the content is built by the core
 * (hall_stamp_report_build) and drawn by it (hall_stamp_report_pdf), then
 * signed as a stamp of the hall: the 验签专用章 (pki_dir/report.seseal) of
 * the certificate "<ecc CA> 验签报告" (report.crt, from the ecc CA), by
 * hall_stamp_sign with the key "report" of its own token (report_token),
 * timestamped by the hall's /tsa, with the evidence of PAdES B-LT (the ecc
 * CA's CRL, the TSA's) added after it.  The same verifier calls the report
 * 有效, and 文档已被修改 once a byte of it changes.
 *
 * What a compromise of this anonymous, internet-facing module could sign
 * with: the report key only, never the CA's.  The module opens the
 * report token alone, with report_pin_file (pkcs11_pin_file is never
 * read here: sign_report_keys_conf), whose one key cannot leave it; its
 * certificate, limited to document signing, carries the CN "... 验签报告"
 * and a seal named 验签专用章, which every verdict shows; the module stamps
 * nothing else with it (免费体验 stamps with the demo signer only).  The
 * key and certificate are made by hall-pkitool report at set-up, not here.
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sign.h"

/* the report's signer, loaded before fork (sign_report_init) */
static X509 *report_cert;
static EVP_PKEY *report_key; /* signs through report_token */
static STACK_OF(X509) * report_chain;
static unsigned char *report_seal, *report_der; /* the seal; the certificate's DER */
static size_t report_seal_len, report_der_len;
static char report_es_id[64];
static char report_away[512]; /* why there is none: "" when there is */

int
sign_report_keys_conf(const struct hall_conf *conf, char *err, size_t errlen)
{
    struct hall_conf c = *conf;

    /* the CA's token is none of this module's business: its PIN is never
     * read (hall_pki_keys_conf would); the passphrase (the demo key) is */
    c.pkcs11_module = "";
    return hall_pki_keys_conf(&c, err, errlen);
}

int
sign_report_init(const struct hall_conf *conf)
{
    const char *dir = conf->pki_dir;
    char path[4200], err[512];
    struct hall_pool *pool = hall_pool_create(16384);
    struct hall_seseal_info info;
    const char *why = NULL;
    unsigned char *m;
    X509 *ecc = hall_pki_cert_load(dir, "ecc", NULL);
    int n;

    report_cert = hall_pki_cert_load(dir, "report", NULL);
    snprintf(path, sizeof(path), "%s/report.seseal", dir);
    m = hall_whole_file(path, 4u * 1024 * 1024, &report_seal_len);
    if (ecc == NULL || report_cert == NULL || m == NULL) {
        snprintf(report_away, sizeof(report_away),
                 "pki_dir %s: ecc.crt, report.crt or report.seseal missing (hall-pkitool report)",
                 dir);
        goto out;
    }
    report_seal = m;
    if (X509_verify(report_cert, X509_get0_pubkey(ecc)) != 1 ||
        !hall_seseal_lists(report_seal, report_seal_len, report_cert) ||
        hall_seseal_read(pool, report_seal, report_seal_len, &info, &why) != HALL_OK) {
        snprintf(report_away, sizeof(report_away),
                 "pki_dir %s: report.crt not from ecc.crt or report.seseal not its seal"
                 " (hall-pkitool report)",
                 dir);
        goto out;
    }
    snprintf(report_es_id, sizeof(report_es_id), "%s", info.es_id);
    report_der = NULL;
    n = i2d_X509(report_cert, &report_der);
    if (n <= 0)
        abort();
    report_der_len = (size_t)n;
    if (hall_token_configure(conf->pkcs11_module, conf->report_token, conf->report_pin_file,
                             conf->pkcs11_softhsm_conf, err, sizeof(err)) != HALL_OK ||
        !hall_token_configured()) {
        snprintf(report_away, sizeof(report_away), "%s",
                 hall_token_configured() ? err : "no PKCS#11 token (pkcs11_module)");
        goto out;
    }
    /* a wrong PIN is said now; a token away signs once it answers */
    if (hall_token_check(err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"sign: 验签报告: %s\"", err);
        if (hall_token_refused()) {
            snprintf(report_away, sizeof(report_away), "%s", err);
            goto out;
        }
    }
    report_key = hall_token_key_cert("report", report_cert, err, sizeof(err));
    if (report_key == NULL) {
        snprintf(report_away, sizeof(report_away), "%s", err);
        goto out;
    }
    report_chain = sk_X509_new_null();
    if (report_chain == NULL || sk_X509_push(report_chain, ecc) <= 0)
        abort();
    ecc = NULL;
    hall_token_release(); /* each worker opens its own session */
out:
    X509_free(ecc);
    hall_pool_destroy(pool);
    if (report_away[0] != '\0')
        hall_log(HALL_LOG_ERR, NULL, "msg=\"sign: no 验签报告 (answered 503): %s\"", report_away);
    return HALL_OK;
}

int
sign_report_signer(const struct hall_stamp_sig *s)
{
    /* the certificate byte for byte, and the seal's esID */
    return report_key != NULL && s->signer_der != NULL && s->signer_der_len == report_der_len &&
           memcmp(s->signer_der, report_der, report_der_len) == 0 && s->seal_es_id != NULL &&
           strcmp(s->seal_es_id, report_es_id) == 0;
}

const char *
sign_report_es_id(void)
{
    return report_key != NULL ? report_es_id : NULL;
}

/* the SHA-256 of the spooled upload, read by offsets (flat memory) */
static const char *
file_sha256(struct hall_req *req, int fd, size_t len)
{
    unsigned char buf[64 * 1024], md[32];
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t off = 0, n;
    int ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;

    while (ok && off < len) {
        n = len - off < sizeof(buf) ? len - off : sizeof(buf);
        ok = hall_pread_all(fd, buf, n, (long long)off) == HALL_OK &&
             EVP_DigestUpdate(c, buf, n) == 1;
        off += n;
    }
    ok = ok && EVP_DigestFinal_ex(c, md, NULL) == 1;
    EVP_MD_CTX_free(c);
    return ok ? hall_hex(req->pool, md, sizeof(md)) : NULL;
}

/* the report (pdf, len) signed, with its B-LT evidence: the bytes to
 * append, in pool; NULL with the message's code */
static unsigned char *
report_sign(struct hall_req *req, const unsigned char *pdf, size_t len,
            const struct hall_stamp_report_spot *spot, const char *tsa_url, size_t *out_len,
            enum hall_msg_code *code)
{
    struct hall_stamp_sign_in in;
    struct hall_stamp_online on;
    struct hall_stamp_dss_in dss;
    unsigned char *upd, *all, *ltv;
    size_t ulen, llen = 0;
    const char *why = NULL;
    char lerr[512];
    int missing = 0;

    memset(&in, 0, sizeof(in));
    in.pdf = pdf;
    in.pdf_len = len;
    in.seal = report_seal;
    in.seal_len = report_seal_len;
    in.cert = report_cert;
    in.chain = report_chain;
    in.key = report_key;
    in.page = spot->page;
    in.x_mm = spot->x_mm;
    in.y_mm = spot->y_mm;
    in.tsa_url = tsa_url;
    upd = hall_stamp_sign(req->pool, &in, &ulen, lerr, sizeof(lerr));
    if (upd == NULL) {
        char terr[512];

        /* the token away, or the TSA: said apart */
        *code = hall_token_check(terr, sizeof(terr)) != HALL_OK ? HALL_M_SIGN_REPORT_KEY
                                                                : HALL_M_SIGN_REPORT_TSA;
        hall_warn(req, "msg=\"report not signed: %s\"", lerr);
        return NULL;
    }
    /* B-LT: the evidence of the signer (the ecc CA's CRL) and of the TSA */
    all = hall_palloc(req->pool, len + ulen);
    memcpy(all, pdf, len);
    memcpy(all + len, upd, ulen);
    memset(&on, 0, sizeof(on));
    memset(&dss, 0, sizeof(dss));
    on.timeout_ms = 10000;
    if (hall_stamp_ltv_gather(req->pool, all, len + ulen, report_chain, &on, &dss, &missing,
                              &why) != HALL_OK ||
        (ltv = hall_stamp_dss_update(req->pool, all, len + ulen, &dss, &llen, lerr,
                                     sizeof(lerr))) == NULL) {
        /* still a B-T stamp the verifier accepts */
        hall_warn(req, "msg=\"report without its B-LT evidence\" why=\"%s\"",
                  why != NULL ? why : lerr);
        *out_len = ulen;
        return upd;
    }
    if (missing > 0)
        hall_warn(req, "msg=\"report evidence incomplete\" missing=%d why=\"%s\"", missing,
                  why != NULL ? why : "");
    all = hall_palloc(req->pool, ulen + llen);
    memcpy(all, upd, ulen);
    if (llen > 0)
        memcpy(all + ulen, ltv, llen);
    *out_len = ulen + llen;
    return all;
}

int
sign_report(struct hall_req *req, int fd, const char *filename, const struct hall_stamp_report *rep,
            const struct hall_stamp_verdict *v, const char *tsa_url)
{
    struct hall_stamp_report_doc doc;
    struct hall_stamp_report_spot spot;
    enum hall_msg_code code = HALL_M_SIGN_REPORT_TSA;
    const char *sha;
    unsigned char *pdf, *upd;
    size_t len, ulen;

    if (report_key == NULL) {
        hall_warn(req, "msg=\"no 验签报告: %s\"", report_away);
        return hall_msg(req, HALL_M_SIGN_REPORT_KEY, NULL);
    }
    sha = file_sha256(req, fd, (size_t)rep->file_size);
    if (sha == NULL)
        return hall_resp_busy(req);
    hall_stamp_report_build(req->pool, rep, v, filename, sha, time(NULL), &doc);
    memset(&spot, 0, sizeof(spot));
    pdf = hall_stamp_report_pdf(req->pool, &doc, &spot, &len);
    if (pdf == NULL) {
        hall_warn(req, "msg=\"report not drawn\" stamps=%d", rep->nsigs);
        return HALL_ERR;
    }
    upd = report_sign(req, pdf, len, &spot, tsa_url, &ulen, &code);
    if (upd == NULL)
        return hall_msg(req, code, NULL);
    hall_resp_bytes(req, pdf, len, "application/pdf", "verify-report.pdf");
    hall_buf_add(&req->body, upd, ulen);
    hall_info(req, "msg=\"verify report\" size=%lld stamps=%d all_valid=%d report=%zu",
              rep->file_size, rep->nsigs, doc.all_valid, len + ulen);
    return HALL_OK;
}
