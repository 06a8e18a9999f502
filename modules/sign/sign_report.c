/*
 * sign_report.c: the 验签报告 (POST /sign/verify?report=pdf,
 * docs/modules/sign.md "验签报告").  The verdicts are the ones the page
 * shows (sign.c, hall_stamp_verdict); the content is built by the core
 * (hall_stamp_report_build) and drawn by it (hall_stamp_report_pdf), then
 * sealed with a document timestamp of the hall's /tsa (PAdES B-LTA's
 * /ETSI.RFC3161, hall_stamp_doc_timestamp): a later change of the report
 * is reported by the same verifier as 文档已被修改.  The module still holds
 * no key of the hall's CA: the timestamp is asked over HTTP, as 免费体验's.
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "sign.h"

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

int
sign_report(struct hall_req *req, int fd, const char *filename, const struct hall_stamp_report *rep,
            const struct hall_stamp_verdict *v, const char *tsa_url)
{
    struct hall_stamp_report_doc doc;
    struct hall_stamp_sign_in in;
    const char *sha;
    unsigned char *pdf, *upd;
    size_t len, ulen;
    char lerr[512];

    sha = file_sha256(req, fd, (size_t)rep->file_size);
    if (sha == NULL)
        return hall_resp_busy(req);
    hall_stamp_report_build(req->pool, rep, v, filename, sha, time(NULL), &doc);
    pdf = hall_stamp_report_pdf(req->pool, &doc, &len);
    if (pdf == NULL) {
        hall_warn(req, "msg=\"report not drawn\" stamps=%d", rep->nsigs);
        return HALL_ERR;
    }
    memset(&in, 0, sizeof(in));
    in.pdf = pdf;
    in.pdf_len = len;
    in.tsa_url = tsa_url;
    upd = hall_stamp_doc_timestamp(req->pool, &in, &ulen, lerr, sizeof(lerr));
    if (upd == NULL) {
        hall_warn(req, "msg=\"report not timestamped\" stamps=%d", rep->nsigs);
        return hall_msg(req, HALL_M_SIGN_REPORT_TSA, NULL);
    }
    hall_resp_bytes(req, pdf, len, "application/pdf", "verify-report.pdf");
    hall_buf_add(&req->body, upd, ulen);
    hall_info(req, "msg=\"verify report\" size=%lld stamps=%d all_valid=%d report=%zu",
              rep->file_size, rep->nsigs, doc.all_valid, len + ulen);
    return HALL_OK;
}
