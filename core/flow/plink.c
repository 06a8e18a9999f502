/*
 * plink.c: the signed entry links of partner platforms (Hunan,
 * docs/partners.md): the link's signature and window checked, its data
 * kept encrypted under a one-time ticket, and claimed by the applicant who
 * logs in (hall_flow_link_prefill, the form's prefill).  The partner API's
 * applications (modules/partner) make the same links here
 * (hall_flow_link_make): this file owns partner_links.
 *
 *   GET  /<partner>/F/entry?...&sign=
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow/flow_int.h"

#define LINK_WINDOW_S 600

const struct hall_stmt flow_plink_stmts[] = {
    {"flow_partner_secret", "SELECT link_secret_enc FROM partners WHERE code = $1 AND active", 1},
    {"flow_link_insert",
     "INSERT INTO partner_links (partner_code, nonce, ticket_hash, prefill_enc)"
     " VALUES ($1, $2, $3, $4) ON CONFLICT (partner_code, nonce) DO NOTHING RETURNING id",
     4},
    {"flow_link_claim",
     "UPDATE partner_links SET claimed_by = coalesce(claimed_by, $2) WHERE ticket_hash = $1"
     " AND partner_code = $3 AND created_at > now() - interval '1 day'"
     " RETURNING claimed_by = $2 AS mine, prefill_enc",
     3},
    {NULL, NULL, 0},
};

/* what the modules outside the kit run here (hall_core_stmts) */
const struct hall_stmt hall_plink_stmts[] = {
    /* the partner API's application (modules/partner): the hall's own
     * nonce, the API key and the project kept beside the prefill */
    {"flow_link_make",
     "INSERT INTO partner_links (partner_code, nonce, ticket_hash, prefill_enc, api_key_id,"
     " project_id) VALUES ($1, $2, $3, $4, $5, nullif($6, '')) RETURNING"
     " to_char((created_at + interval '1 day') AT TIME ZONE 'UTC',"
     " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS expires_at",
     6},
    {NULL, NULL, 0},
};

static int
param_cmp(const void *a, const void *b)
{
    return strcmp((*(const struct hall_param *const *)a)->name,
                  (*(const struct hall_param *const *)b)->name);
}

/*
 * The partner signs "k1=v1&k2=v2..." — every query parameter but sign,
 * sorted by name, names and values percent-encoded (UTF-8 bytes; only
 * A-Z a-z 0-9 - _ . ~ stay as they are, hex digits upper case) — with
 * HMAC-SHA256 under its link_secret, hex in "sign".  Encoding makes the
 * string unambiguous: a value can no longer hold "&name=" of another
 * parameter.  A parameter given twice is refused.  docs/partners.md.
 */
static int
link_verify(struct hall_req *req, const char *secret, const char **why)
{
    struct hall_param *p, *list[32];
    const char *sign = NULL, *ts = NULL;
    struct hall_buf *canon = hall_buf_new(req->pool, 16384);
    unsigned char mac[32];
    size_t n = 0, i;
    char *end;
    long long t;

    for (p = req->qparams; p != NULL; p = p->next) {
        if (strcmp(p->name, "sign") == 0) {
            if (sign != NULL) {
                *why = hall_msg_text(req->pool, HALL_M_LINK_PARAM_TWICE);
                return HALL_ERR;
            }
            sign = p->value;
            continue;
        }
        if (n == sizeof(list) / sizeof(list[0])) {
            *why = hall_msg_text(req->pool, HALL_M_LINK_PARAMS_MANY);
            return HALL_ERR;
        }
        list[n++] = p;
        if (strcmp(p->name, "ts") == 0)
            ts = p->value;
    }
    if (sign == NULL || ts == NULL) {
        *why = hall_msg_text(req->pool, HALL_M_LINK_UNSIGNED);
        return HALL_ERR;
    }
    qsort(list, n, sizeof(list[0]), param_cmp);
    for (i = 0; i < n; i++) {
        if (i > 0 && strcmp(list[i]->name, list[i - 1]->name) == 0) {
            *why = hall_msg_text(req->pool, HALL_M_LINK_PARAM_TWICE);
            return HALL_ERR;
        }
        if (hall_buf_printf(canon, "%s%s=%s", i > 0 ? "&" : "",
                            hall_url_encode(req->pool, list[i]->name),
                            hall_url_encode(req->pool, list[i]->value)) != HALL_OK) {
            *why = hall_msg_text(req->pool, HALL_M_LINK_TOO_LONG);
            return HALL_ERR;
        }
    }
    hall_hmac_sha256(secret, strlen(secret), canon->data != NULL ? canon->data : "", canon->len,
                     mac);
    if (strlen(sign) != 64 || !hall_ct_equal(hall_hex(req->pool, mac, 32), sign, 64)) {
        *why = hall_msg_text(req->pool, HALL_M_LINK_SIGN_BAD);
        return HALL_ERR;
    }
    t = strtoll(ts, &end, 10);
    if (*end != '\0' || llabs((long long)time(NULL) - t) > LINK_WINDOW_S) {
        *why = hall_msg_text(req->pool, HALL_M_LINK_EXPIRED);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* GET /<partner>/F/entry?...&sign=: check, keep the data, send to login */
static int
link_entry(struct hall_req *req)
{
    const char *why = NULL, *nonce = hall_req_query(req, "nonce");
    const char *type = hall_req_query(req, "cert_type");
    struct hall_dbres *res;
    struct hall_val *pre;
    unsigned char tok[32], hash[32], *enc;
    const char *ticket, *json, *next, *secret;
    size_t jlen, elen;
    static const char *const keep[] = {"org_name", "org_id", "name", "ric",
                                       "mobile",   "email",  NULL};
    int i;

    if (req->partner[0] == '\0')
        return hall_msg(req, HALL_M_PAGE_NOT_FOUND, NULL);
    res = hall_db_exec(req->cx, "flow_partner_secret", HALL_STR(req->partner));
    if (res == NULL)
        return HALL_ERR;
    /* kept encrypted under the PII key (sql/140_partner_secrets_enc.sql) */
    secret =
        hall_dbres_rows(res) > 0 ? hall_dbres_secret(req->cx, res, 0, "link_secret_enc") : NULL;
    if (secret == NULL)
        return hall_msg(req, HALL_M_LINK_NOT_OPEN, NULL);
    if (link_verify(req, secret, &why) != HALL_OK) {
        hall_warn(req, "msg=\"partner link refused\" partner=%s why=\"%s\"", req->partner, why);
        return hall_msg(req, HALL_M_LINK_REFUSED, "sign", why);
    }
    if (nonce == NULL || strlen(nonce) < 8 || strlen(nonce) > 64)
        return hall_msg(req, HALL_M_LINK_NONCE, "nonce");
    if (type == NULL || (strcmp(type, "org") != 0 && strcmp(type, "person") != 0))
        return hall_msg(req, HALL_M_LINK_CERT_TYPE, "cert_type");
    pre = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, pre, "cert_type", type);
    for (i = 0; keep[i] != NULL; i++) {
        const char *v = hall_req_query(req, keep[i]);

        if (v != NULL && strlen(v) <= 200 && hall_valid_utf8(v, strlen(v)) == HALL_OK)
            hall_val_set_str(req->pool, pre, keep[i], v);
    }
    json = hall_val_json(req->pool, pre, &jlen);
    enc = json != NULL ? hall_pii_encrypt(req->pool, json, jlen, &elen) : NULL;
    if (enc == NULL || hall_rand_bytes(tok, sizeof(tok)) != HALL_OK)
        return HALL_ERR;
    ticket = hall_b64url(req->pool, tok, sizeof(tok));
    hall_sha256(ticket, strlen(ticket), hash);
    res = hall_db_exec(req->cx, "flow_link_insert", HALL_STR(req->partner), HALL_STR(nonce),
                       HALL_BIN(hash, 32), HALL_BIN(enc, elen));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_LINK_USED, "nonce");
    next = hall_flow_url(req, "?project=%s&link=%s", req->partner, ticket);
    if (req->user_id != 0)
        return hall_resp_redirect(req, next);
    return hall_resp_redirect(req, hall_psprintf(req->pool, "%s/login?next=%s", hall_req_base(req),
                                                 hall_url_encode(req->pool, next)));
}

struct hall_val *
hall_flow_link_prefill(struct hall_req *req, const char *partner)
{
    const char *ticket = hall_req_param(req, "link");
    unsigned char hash[32], *enc;
    struct hall_dbres *res;
    size_t len;
    char *plain, err[64];

    if (ticket == NULL || strlen(ticket) != 43)
        return NULL;
    hall_sha256(ticket, strlen(ticket), hash);
    res = hall_db_exec(req->cx, "flow_link_claim", HALL_BIN(hash, 32), HALL_I64(req->user_id),
                       HALL_STR(partner));
    if (res == NULL || hall_dbres_rows(res) == 0 || !hall_dbres_bool(res, 0, "mine"))
        return NULL;
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "prefill_enc"), &len);
    plain = enc != NULL ? hall_pii_decrypt(req->pool, enc, len) : NULL;
    return plain != NULL ? hall_val_parse(req->pool, plain, strlen(plain), err, sizeof(err)) : NULL;
}

int
hall_flow_link_order(struct hall_req *req, int64_t order_id, void *arg)
{
    const char *ticket = arg;
    unsigned char hash[32];

    hall_sha256(ticket, strlen(ticket), hash);
    return hall_order_link_project(req->cx, order_id, req->user_id, hash);
}

/* below the flow's path (hall_flow_main) */
const struct hall_route flow_plink_routes[] = {
    /* a partner's signed redirect: checked before any login */
    {"GET", "/entry", link_entry, 0, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

int
hall_flow_link_make(struct hall_ctx *cx, const char *partner, const char *key_id,
                    const char *project, const struct hall_val *prefill, const char **ticket,
                    const char **expires_at)
{
    unsigned char tok[32], hash[32], rnd[16], *enc;
    struct hall_dbres *res;
    const char *json;
    size_t jlen, elen;

    json = hall_val_json(cx->pool, prefill, &jlen);
    enc = json != NULL ? hall_pii_encrypt(cx->pool, json, jlen, &elen) : NULL;
    if (enc == NULL || hall_rand_bytes(tok, sizeof(tok)) != HALL_OK ||
        hall_rand_bytes(rnd, sizeof(rnd)) != HALL_OK)
        return HALL_ERR;
    *ticket = hall_b64url(cx->pool, tok, sizeof(tok));
    hall_sha256(*ticket, strlen(*ticket), hash);
    /* the nonce of a link the hall made itself: random, never the partner's */
    res =
        hall_db_exec(cx, "flow_link_make", HALL_STR(partner), HALL_STR(hall_hex(cx->pool, rnd, 16)),
                     HALL_BIN(hash, 32), HALL_BIN(enc, elen), HALL_STR(key_id),
                     HALL_STR(project != NULL ? project : ""));
    if (res == NULL || hall_dbres_rows(res) != 1)
        return HALL_ERR;
    *expires_at = hall_dbres_str(res, 0, "expires_at");
    return HALL_OK;
}
