/* libcurl client for the outside services, with connect and total timeouts. */
#include <string.h>

#include <curl/curl.h>

#include "hall.h"

#define MAX_RESPONSE (1024 * 1024)

static size_t
on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    struct hall_buf *b = ud;

    if (hall_buf_add(b, p, size * nmemb) != HALL_OK)
        return 0; /* too large: curl aborts the transfer */
    return size * nmemb;
}

int
hall_http_post_json(struct hall_pool *pool, const char *url, const char *body, const char *idem_key,
                    long connect_ms, long total_ms, struct hall_http_resp *out)
{
    struct curl_slist *hdrs = NULL;
    struct hall_buf b;
    CURLcode rc;
    CURL *c;

    memset(out, 0, sizeof(*out));
    c = curl_easy_init();
    if (c == NULL)
        return HALL_ERR;
    hall_buf_init(&b, MAX_RESPONSE);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    if (idem_key != NULL)
        hdrs = curl_slist_append(hdrs, hall_psprintf(pool, "Idempotency-Key: %s", idem_key));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        out->body = hall_pstrndup(pool, b.data != NULL ? b.data : "", b.len);
        out->len = b.len;
    } else {
        out->error = hall_pstrdup(pool, curl_easy_strerror(rc));
    }
    hall_buf_free(&b);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? HALL_OK : HALL_ERR;
}

struct hall_val *
hall_provider_call(struct hall_req *req, const char *path, const struct hall_val *body,
                   const char *idem_key)
{
    const struct hall_conf *conf = &req->app->conf;
    struct hall_http_resp r;
    size_t n;
    char err[64];
    const char *json = hall_val_json(req->pool, body, &n);
    struct hall_val *v;

    if (json == NULL)
        return NULL;
    if (hall_http_post_json(req->pool, hall_psprintf(req->pool, "%s%s", conf->sandbox_url, path),
                            json, idem_key, conf->http_connect_ms, conf->http_total_ms,
                            &r) != HALL_OK) {
        hall_warn(req, "msg=\"provider unreachable\" path=%s error=\"%s\"", path, r.error);
        return NULL;
    }
    if (r.status != 200) {
        hall_warn(req, "msg=\"provider refused\" path=%s status=%ld", path, r.status);
        return NULL;
    }
    v = hall_val_parse(req->pool, r.body, r.len, err, sizeof(err));
    if (v == NULL || v->type != HALL_V_OBJ) {
        hall_warn(req, "msg=\"provider answer not JSON\" path=%s", path);
        return NULL;
    }
    return v;
}
