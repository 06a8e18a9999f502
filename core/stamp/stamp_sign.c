/*
 * hall_stamp_sign (docs/internals/stamp.md): the steps of a stamp.  The
 * signer and the seal are checked, the seal's picture decoded, the PDF read;
 * the update is written with /Contents reserved, its byte ranges hashed, the
 * signed attributes signed, the signature timestamped, and the CMS written
 * into the reserve.
 *
 * Owns: hall_stamp_sign and the order of its steps.  Follows: ETSI EN 319
 * 142-1 clause 6 (a PAdES baseline signature at level B-T); ISO 32000-1
 * §7.5.6 (the incremental update) and §12.8 (the signature's dictionary and
 * its reserved /Contents); GB/T 38540-2020 for an SM2 signer (stamp_ses.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "stamp_int.h"

/* the signer: a certificate and its key, P-256 or SM2; the seal lists it */
static int
sign_check(struct hall_pool *pool, const struct hall_stamp_sign_in *in,
           struct hall_seseal_info *seal, char *err, size_t errlen)
{
    const char *why = NULL;

    if (in->pdf == NULL || in->pdf_len < 16 || in->pdf_len > (size_t)HALL_STAMP_PDF_MAX ||
        memmem(in->pdf, in->pdf_len < 1024 ? in->pdf_len : 1024, "%PDF-", 5) == NULL) {
        snprintf(err, errlen, "文件不是PDF文件（或大于200MB）");
        return HALL_ERR;
    }
    if (in->cert == NULL || in->key == NULL) {
        snprintf(err, errlen, "缺少签章人证书或私钥");
        return HALL_ERR;
    }
    if (X509_get0_pubkey(in->cert) == NULL) {
        snprintf(err, errlen, "签章人证书无法读取其公钥");
        return HALL_ERR;
    }
    if (!EVP_PKEY_is_a(X509_get0_pubkey(in->cert), "SM2") &&
        !EVP_PKEY_is_a(X509_get0_pubkey(in->cert), "EC")) {
        snprintf(err, errlen, "签章人证书的密钥既不是ECDSA P-256也不是SM2：无法盖章");
        return HALL_ERR;
    }
    if (X509_check_private_key(in->cert, in->key) != 1) {
        snprintf(err, errlen, "私钥与签章人证书不匹配：请确认所用的证书介质或令牌");
        return HALL_ERR;
    }
    /* the seal: its picture, its name, and that it lists this certificate */
    if (hall_seseal_read(pool, in->seal, in->seal_len, seal, &why) != HALL_OK) {
        snprintf(err, errlen, "印章文件无效：%s", why);
        return HALL_ERR;
    }
    if (!hall_seseal_lists(in->seal, in->seal_len, in->cert)) {
        snprintf(err, errlen, "印章文件（%s）未列出该签章人证书：请使用与该印章对应的证书",
                 seal->es_id);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* the seal's picture, deflated, at its real size */
static int
sign_picture(const struct hall_seseal_info *seal, struct stamp_look *look, char *err, size_t errlen)
{
    unsigned char *rgb = NULL, *alpha = NULL;

    if (seal->width_mm <= 0 || seal->height_mm <= 0 || seal->width_mm > 300 ||
        seal->height_mm > 300 ||
        stamp_png_decode(seal->png, seal->png_len, &look->pw, &look->ph, &rgb, &alpha) != HALL_OK) {
        snprintf(err, errlen, "印章文件中的印章图片无法读取");
        return HALL_ERR;
    }
    look->zrgb = stamp_deflate(rgb, (size_t)look->pw * look->ph * 3, &look->zrgb_len);
    look->zalpha = stamp_deflate(alpha, (size_t)look->pw * look->ph, &look->zalpha_len);
    free(rgb);
    free(alpha);
    look->w_pt = seal->width_mm * 72.0 / 25.4;
    look->h_pt = seal->height_mm * 72.0 / 25.4;
    look->name = seal->name;
    look->es_id = seal->es_id;
    return HALL_OK;
}

/* the seal's centre on the page, in user space; HALL_ERR when off the page
 * as shown (its /Rotate applied: a turned page's width is its height) */
static int
sign_place(const struct hall_stamp_sign_in *in, const struct stamp_doc *d, struct stamp_look *look,
           char *err, size_t errlen)
{
    const double *box = d->box;
    double w = (box[2] > box[0] ? box[2] - box[0] : box[0] - box[2]) * 25.4 / 72;
    double h = (box[3] > box[1] ? box[3] - box[1] : box[1] - box[3]) * 25.4 / 72;

    if (d->rotate == 90 || d->rotate == 270) {
        double t = w;

        w = h;
        h = t;
    }
    hall_stamp_point(box, d->rotate, in->x_mm, in->y_mm, &look->cx, &look->cy);
    look->rotate = d->rotate;
    if (in->x_mm < 0 || in->y_mm < 0 || in->x_mm > w || in->y_mm > h) {
        snprintf(err, errlen, "盖章位置超出第%d页的范围（该页宽%.0f毫米、高%.0f毫米）", in->page, w,
                 h);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* the /Contents reserve: the CMS with a placeholder signature and timestamp */
static size_t
sign_reserve(const struct hall_stamp_sign_in *in)
{
    unsigned char zero[32] = {0}, *ps = calloc(1, STAMP_SIG_PLACEHOLDER), *pt;
    struct stamp_buf tok = {0}, body0 = {0}, attrs = {0}, t = {0};
    size_t reserve;

    if (ps == NULL)
        abort();
    pt = calloc(1, STAMP_TSA_PLACEHOLDER);
    if (pt == NULL)
        abort();
    stamp_buf_put(&body0, pt, STAMP_TSA_PLACEHOLDER - 4);
    stamp_der_wrap(&tok, 0x30, &body0);
    stamp_signed_attrs(&attrs, zero, in->cert, in->seal, in->seal_len);
    stamp_cms_build(&t, in->cert, in->chain, &attrs, ps, STAMP_SIG_PLACEHOLDER, tok.p, tok.len);
    reserve = hall_stamp_reserve(t.len);
    stamp_buf_free(&t);
    stamp_buf_free(&tok);
    stamp_buf_free(&attrs);
    free(ps);
    free(pt);
    return reserve;
}

/* the hash of the byte ranges: the input, then the update less the gap */
static void
sign_digest(const struct hall_stamp_sign_in *in, const struct stamp_update *up, const EVP_MD *mdt,
            unsigned char *digest)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    if (md == NULL || EVP_DigestInit_ex(md, mdt, NULL) != 1 ||
        EVP_DigestUpdate(md, in->pdf, in->pdf_len) != 1 ||
        EVP_DigestUpdate(md, up->u.p, up->gap_at) != 1 ||
        EVP_DigestUpdate(md, up->u.p + up->gap_end, up->u.len - up->gap_end) != 1 ||
        EVP_DigestFinal_ex(md, digest, NULL) != 1)
        abort();
    EVP_MD_CTX_free(md);
}

/* the signature over the signed attributes' DER SET, in pool */
static unsigned char *
sign_attrs(struct hall_pool *pool, EVP_PKEY *key, const struct stamp_buf *attrs, size_t *sig_len,
           char *err, size_t errlen)
{
    struct stamp_buf set = {0};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char *sig = NULL;

    if (md == NULL)
        abort();
    stamp_der_tlv(&set, 0x31, attrs->p, attrs->len);
    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, NULL, sig_len, set.p, set.len) != 1)
        goto fail;
    sig = hall_palloc(pool, *sig_len);
    if (EVP_DigestSign(md, sig, sig_len, set.p, set.len) != 1)
        goto fail;
    stamp_buf_free(&set);
    EVP_MD_CTX_free(md);
    return sig;
fail:
    snprintf(err, errlen, "签名失败：私钥无法签名（令牌是否已拔出？）");
    stamp_buf_free(&set);
    EVP_MD_CTX_free(md);
    return NULL;
}

/* the signature data, in hex, into the /Contents reserve */
static int
sign_fill(struct stamp_update *up, const struct stamp_buf *data, size_t reserve, char *err,
          size_t errlen)
{
    static const char hx[] = "0123456789ABCDEF";

    if (data->len * 2 > reserve) {
        snprintf(err, errlen, "签名数据超出预留空间（%zu字节），未盖章", data->len);
        return HALL_ERR;
    }
    for (size_t k = 0; k < data->len; k++) {
        up->u.p[up->gap_at + 1 + 2 * k] = (unsigned char)hx[data->p[k] >> 4];
        up->u.p[up->gap_at + 2 + 2 * k] = (unsigned char)hx[data->p[k] & 15];
    }
    return HALL_OK;
}

/* the P-256 stamp's CMS (§2) over the update's ranges, into cms */
static int
sign_cms(struct hall_pool *pool, const struct hall_stamp_sign_in *in, const struct stamp_update *up,
         struct stamp_buf *cms, char *err, size_t errlen)
{
    struct stamp_buf attrs = {0};
    unsigned char digest[32], *sig, *tst = NULL;
    size_t sig_len = 0, tst_len = 0;

    sign_digest(in, up, EVP_sha256(), digest);
    stamp_signed_attrs(&attrs, digest, in->cert, in->seal, in->seal_len);
    sig = sign_attrs(pool, in->key, &attrs, &sig_len, err, errlen);
    if (sig != NULL)
        tst = stamp_timestamp(pool, in, sig, sig_len, &tst_len, err, errlen);
    if (tst != NULL)
        stamp_cms_build(cms, in->cert, in->chain, &attrs, sig, sig_len, tst, tst_len);
    stamp_buf_free(&attrs);
    return tst != NULL ? HALL_OK : HALL_ERR;
}

/* the SM2 stamp's SES_Signature (§2a): SM3 of the ranges, propertyInfo the
 * /ByteRange, into ses */
static int
sign_ses(struct hall_pool *pool, const struct hall_stamp_sign_in *in, const struct stamp_update *up,
         time_t now, struct stamp_buf *ses, char *err, size_t errlen)
{
    unsigned char hash[32];
    char prop[96];
    long long b = (long long)(up->base + up->gap_end);

    sign_digest(in, up, EVP_sm3(), hash);
    snprintf(prop, sizeof(prop), "0 %lld %lld %lld", (long long)(up->base + up->gap_at), b,
             (long long)(up->base + up->u.len) - b);
    return stamp_ses_make(pool, in, hash, prop, now, ses, err, errlen);
}

unsigned char *
hall_stamp_sign(struct hall_pool *pool, const struct hall_stamp_sign_in *in, size_t *len, char *err,
                size_t errlen)
{
    struct hall_seseal_info seal;
    struct stamp_doc doc;
    struct stamp_look look;
    struct stamp_update up;
    struct stamp_buf data = {0};
    unsigned char *result = NULL;
    size_t reserve;
    time_t now = in->now != 0 ? in->now : time(NULL);
    const char *subfilter;
    int sm2, rc;

    *len = 0;
    memset(&doc, 0, sizeof(doc));
    memset(&look, 0, sizeof(look));
    memset(&up, 0, sizeof(up));
    if (sign_check(pool, in, &seal, err, errlen) != HALL_OK ||
        sign_picture(&seal, &look, err, errlen) != HALL_OK ||
        stamp_doc_read(&doc, in->pdf, in->pdf_len, in->qifeng ? 1 : in->page, err, errlen) !=
            HALL_OK ||
        (!in->qifeng && sign_place(in, &doc, &look, err, errlen) != HALL_OK))
        goto out;
    sm2 = EVP_PKEY_is_a(X509_get0_pubkey(in->cert), "SM2");
    reserve = sm2 ? stamp_ses_reserve(in) : sign_reserve(in);
    up.base = in->pdf_len;
    if (in->pdf[in->pdf_len - 1] != '\n' && in->pdf[in->pdf_len - 1] != '\r')
        stamp_buf_str(&up.u, "\n");
    subfilter = sm2 ? STAMP_SES_SUBFILTER : "ETSI.CAdES.detached";
    rc = in->qifeng ? stamp_qifeng_write(&up, &doc, &look, in, subfilter, reserve, now, err, errlen)
                    : stamp_write_objects(&up, &doc, &look, subfilter, reserve, now, err, errlen);
    if (rc != HALL_OK)
        goto out;
    stamp_write_xref(&up, &doc);
    rc = sm2 ? sign_ses(pool, in, &up, now, &data, err, errlen)
             : sign_cms(pool, in, &up, &data, err, errlen);
    if (rc != HALL_OK || sign_fill(&up, &data, reserve, err, errlen) != HALL_OK)
        goto out;
    result = hall_palloc(pool, up.u.len);
    memcpy(result, up.u.p, up.u.len);
    *len = up.u.len;
out:
    stamp_buf_free(&up.u);
    stamp_buf_free(&data);
    free(look.zrgb);
    free(look.zalpha);
    stamp_doc_free(&doc);
    return result;
}
