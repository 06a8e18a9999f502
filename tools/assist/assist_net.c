/*
 * hall-assist: the hall over the network (libcurl).  A certificate's
 * status is a real OCSP exchange (RFC 6960) with the responder its AIA
 * names, the answer verified against the chain on the medium; the unlock
 * is a form POST whose JSON answer is read here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <yajl/yajl_tree.h>

#include "assist.h"

const char *assist_cacert;

static size_t
collect(char *p, size_t size, size_t n, void *ud)
{
    struct http_reply *r = ud;
    size_t add = size * n;
    char *b = realloc(r->body, r->len + add + 1);

    if (b == NULL)
        return 0;
    memcpy(b + r->len, p, add);
    r->len += add;
    b[r->len] = '\0';
    r->body = b;
    return add;
}

int
assist_http_post(const char *url, const char *ctype, const void *body, size_t len,
                 struct http_reply *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char hdr[128];
    CURLcode rc;

    memset(r, 0, sizeof(*r));
    if (c == NULL)
        return -1;
    snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
    h = curl_slist_append(h, hdr);
    h = curl_slist_append(h, "Accept: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "hall-assist/1");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (assist_cacert != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, assist_cacert);
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        fprintf(stderr, "hall-assist: 无法连接 %s：%s\n", url, curl_easy_strerror(rc));
        assist_http_reply_free(r);
        return -1;
    }
    if (r->body == NULL)
        r->body = calloc(1, 1);
    return r->body != NULL ? 0 : -1;
}

void
assist_http_reply_free(struct http_reply *r)
{
    if (r->body != NULL)
        OPENSSL_cleanse(r->body, r->len);
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

/* the first member named key with a string value, depth first in the
 * document's order (the hall's answers: flat, or one object deep) */
static const char *
member_str(yajl_val v, const char *key)
{
    size_t i;
    const char *s;

    if (YAJL_IS_OBJECT(v)) {
        for (i = 0; i < v->u.object.len; i++)
            if (strcmp(v->u.object.keys[i], key) == 0 && YAJL_IS_STRING(v->u.object.values[i]))
                return YAJL_GET_STRING(v->u.object.values[i]);
        for (i = 0; i < v->u.object.len; i++)
            if ((s = member_str(v->u.object.values[i], key)) != NULL)
                return s;
    } else if (YAJL_IS_ARRAY(v)) {
        for (i = 0; i < v->u.array.len; i++)
            if ((s = member_str(v->u.array.values[i], key)) != NULL)
                return s;
    }
    return NULL;
}

/* read with yajl (no string search: a key's name inside another value's
 * text is never taken for the key) */
char *
assist_json_str(const char *json, const char *key)
{
    char err[64];
    yajl_val v = json != NULL ? yajl_tree_parse(json, err, sizeof(err)) : NULL;
    const char *s = v != NULL ? member_str(v, key) : NULL;
    char *out = s != NULL ? strdup(s) : NULL;

    /* the tree's copy of the value (an SO PIN may be one) wiped before it is freed */
    if (s != NULL)
        OPENSSL_cleanse((char *)s, strlen(s));
    yajl_tree_free(v);
    return out;
}

static const char *
reason_zh(int r)
{
    switch (r) {
    case OCSP_REVOKED_STATUS_KEYCOMPROMISE: return "密钥泄露";
    case OCSP_REVOKED_STATUS_CACOMPROMISE: return "CA密钥泄露";
    case OCSP_REVOKED_STATUS_AFFILIATIONCHANGED: return "信息变更";
    case OCSP_REVOKED_STATUS_SUPERSEDED: return "已被替代";
    case OCSP_REVOKED_STATUS_CESSATIONOFOPERATION: return "停止使用";
    case OCSP_REVOKED_STATUS_CERTIFICATEHOLD: return "暂停";
    default: return "未说明原因";
    }
}

/* the OCSP answer's basic response, verified against the medium's chain */
static OCSP_BASICRESP *
ask(const char *url, OCSP_REQUEST *req, X509 **chain, size_t n, char *detail, size_t dlen)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    int len = i2d_OCSP_REQUEST(req, &der);
    struct http_reply r;
    OCSP_RESPONSE *resp = NULL;
    OCSP_BASICRESP *bs = NULL;
    X509_STORE *st = NULL;
    STACK_OF(X509) *sk = NULL;
    size_t i;

    if (len <= 0 || assist_http_post(url, "application/ocsp-request", der, (size_t)len, &r) != 0) {
        snprintf(detail, dlen, "无法连接 %s", url);
        goto out;
    }
    p = (const unsigned char *)r.body;
    resp = r.status == 200 ? d2i_OCSP_RESPONSE(NULL, &p, (long)r.len) : NULL;
    assist_http_reply_free(&r);
    if (resp == NULL || OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
        (bs = OCSP_response_get1_basic(resp)) == NULL) {
        snprintf(detail, dlen, "%s 的应答不可用", url);
        goto out;
    }
    st = X509_STORE_new();
    sk = sk_X509_new_null();
    for (i = 0; st != NULL && sk != NULL && i < n; i++) {
        X509_STORE_add_cert(st, chain[i]);
        sk_X509_push(sk, chain[i]);
    }
    if (st == NULL || sk == NULL || OCSP_basic_verify(bs, sk, st, 0) <= 0 ||
        OCSP_check_nonce(req, bs) == 0) {
        snprintf(detail, dlen, "%s 的应答签名无法验证", url);
        OCSP_BASICRESP_free(bs);
        bs = NULL;
    }
out:
    OPENSSL_free(der);
    OCSP_RESPONSE_free(resp);
    X509_STORE_free(st);
    sk_X509_free(sk);
    return bs;
}

const char *
assist_ocsp_status(X509 *cert, X509 *issuer, X509 **chain, size_t n, char *detail, size_t dlen)
{
    STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(cert);
    OCSP_REQUEST *req = NULL;
    OCSP_CERTID *id = NULL;
    OCSP_BASICRESP *bs = NULL;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisu = NULL, *nextu = NULL;
    int status = -1, reason = -1;
    const char *res = "error";

    detail[0] = '\0';
    if (urls == NULL || sk_OPENSSL_STRING_num(urls) == 0) {
        X509_email_free(urls);
        snprintf(detail, dlen, "证书未载明OCSP地址");
        return "none";
    }
    if (issuer == NULL) {
        snprintf(detail, dlen, "介质中没有签发者证书");
        goto out;
    }
    req = OCSP_REQUEST_new();
    id = OCSP_cert_to_id(NULL, cert, issuer);
    if (req == NULL || id == NULL || OCSP_request_add0_id(req, id) == NULL)
        goto out;
    id = NULL;
    OCSP_request_add1_nonce(req, NULL, -1);
    bs = ask(sk_OPENSSL_STRING_value(urls, 0), req, chain, n, detail, dlen);
    if (bs == NULL)
        goto out;
    id = OCSP_cert_to_id(NULL, cert, issuer);
    if (id == NULL || !OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisu, &nextu) ||
        !OCSP_check_validity(thisu, nextu, 300, -1)) {
        snprintf(detail, dlen, "应答中没有该证书的有效状态");
        goto out;
    }
    if (status == V_OCSP_CERTSTATUS_GOOD) {
        res = "good";
    } else if (status == V_OCSP_CERTSTATUS_REVOKED) {
        struct tm tm;

        res = "revoked";
        if (rev != NULL && ASN1_TIME_to_tm(rev, &tm))
            snprintf(detail, dlen, "%04d-%02d-%02d %02d:%02d:%02d UTC，%s", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     reason_zh(reason));
    } else {
        res = "unknown";
    }
out:
    OCSP_CERTID_free(id);
    OCSP_REQUEST_free(req);
    OCSP_BASICRESP_free(bs);
    X509_email_free(urls);
    return res;
}
