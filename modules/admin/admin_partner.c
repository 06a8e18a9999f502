/*
 * admin_partner.c: the partners' webhooks and API keys in the console
 * (docs/partners.md "In the staff console", docs/modules/admin.md), for
 * the role admin (账户管理员):
 *   GET  /admin/partners             every partner: hook URL, events, API
 *                                    keys with state and end, failed deliveries
 *   GET  /admin/partner?code=        one partner, its pending requests, the
 *                                    forms that ask for a change
 *   POST /admin/partner/hook         set (url, events, new_secret) or clear
 *                                    (url empty) the webhook
 *   POST /admin/partner/hook/secret  a new webhook secret
 *   POST /admin/partner/key          a new API key (key_id, days)
 *   POST /admin/partner/key/revoke   an API key revoked (key_id)
 *   POST /admin/partner/approve      a second administrator approves: the
 *   POST /admin/partner/refuse       change made (core/biz/partner_admin.c),
 *                                    a new secret shown in this answer only
 * Every change is four eyes (core/biz/approval.c): the POSTs above ask (a
 * staff_requests row with its audit row, sql/150); nothing changes until
 * a different administrator approves, and then in one transaction with
 * its audit rows.  A secret the hall makes is shown once, to the approver
 * (Cache-Control: no-store), never stored in clear nor logged; afterwards
 * only its fingerprint (and an API key's id) is shown.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin.h"

#define PARTNER_KINDS "partner_hook,partner_hook_secret,partner_key_add,partner_key_revoke"

static const char *
event_label(const char *event)
{
    static const char *const labels[][2] = {
        {"order.submitted", "提交申请"}, {"order.paid", "支付完成"},
        {"order.rejected", "审核驳回"},  {"order.approved", "审核通过"},
        {"cert.issued", "证书签发"},     {"order.shipped", "介质寄出"},
        {"cert.revoked", "证书吊销"},    {"seal.made", "电子印章制作"},
    };
    size_t i;

    for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (strcmp(labels[i][0], event) == 0)
            return labels[i][1];
    return event;
}

/* "order.paid,cert.issued" -> "支付完成（order.paid）、证书签发（cert.issued）" */
static const char *
events_label(struct hall_req *req, const char *list)
{
    const char *out = "", *p = list;

    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        const char *e = hall_pstrndup(req->pool, p, n);

        out = hall_psprintf(req->pool, "%s%s%s（%s）", out, *out != '\0' ? "、" : "",
                            event_label(e), e);
        p += n;
        p += *p == ',';
    }
    return *out != '\0' ? out : "无";
}

static const char *
key_state_label(const char *state)
{
    if (strcmp(state, "revoked") == 0)
        return "已吊销";
    if (strcmp(state, "expired") == 0)
        return "已过期";
    return "有效";
}

/* what a partner_* request asks, in words (admin_approval.c's list too) */
const char *
admin_partner_what(struct hall_req *req, const char *kind, const char *subject,
                   const struct hall_val *payload)
{
    const char *who =
        hall_psprintf(req->pool, "合作方 %s（%s）", hall_val_str(payload, "partner_name"),
                      hall_val_str(payload, "partner"));
    const struct hall_val *v;

    if (strcmp(kind, "partner_hook") == 0) {
        const char *url = hall_val_str(payload, "url");

        if (*url == '\0')
            return hall_psprintf(req->pool, "停用%s的状态回调（清除回调地址）", who);
        v = hall_val_get(payload, "new_secret");
        return hall_psprintf(req->pool, "%s的回调地址设为 %s，回调事件：%s%s", who, url,
                             events_label(req, hall_val_str(payload, "events")),
                             v != NULL && v->type == HALL_V_BOOL && v->i ? "；并生成新的回调密钥"
                                                                         : "");
    }
    if (strcmp(kind, "partner_hook_secret") == 0)
        return hall_psprintf(req->pool, "为%s生成新的回调密钥（旧密钥随即失效）", who);
    if (strcmp(kind, "partner_key_add") == 0) {
        v = hall_val_get(payload, "days");
        return hall_psprintf(req->pool, "为%s新增接口密钥 %s，有效期 %lld 天", who, subject,
                             (long long)(v != NULL ? v->i : 0));
    }
    return hall_psprintf(req->pool, "吊销%s的接口密钥 %s（立即失效）", who, subject);
}

/* ---- the pages ----------------------------------------------------------- */

/* a partner row of padm_partners into p, with its keys of padm_keys */
static void
partner_val(struct hall_req *req, struct hall_val *p, const struct hall_dbres *res, int i,
            const struct hall_dbres *keys)
{
    struct hall_val *ev, *kl;
    const char *code = hall_dbres_str(res, i, "code"),
               *events = hall_dbres_str(res, i, "hook_events");
    char *secret = hall_dbres_secret(req->cx, res, i, "hook_secret_enc");
    int k, nk = 0;

    hall_dbres_set(req->pool, p, res, i, "code name active:b hook_url dead:i failing:i");
    hall_val_set_bool(req->pool, p, "hooked", *hall_dbres_str(res, i, "hook_url") != '\0');
    ev = hall_val_set_list(req->pool, p, "hook_events");
    while (*events != '\0') {
        size_t n = strcspn(events, ",");
        const char *e = hall_pstrndup(req->pool, events, n);
        struct hall_val *o = hall_val_push_obj(req->pool, ev);

        hall_val_set_str(req->pool, o, "event", e);
        hall_val_set_str(req->pool, o, "label", event_label(e));
        events += n;
        events += *events == ',';
    }
    /* never the secret: whether there is one, and what names it */
    hall_val_set_bool(req->pool, p, "hook_secret_set",
                      secret != NULL || hall_dbres_bool(res, i, "hook_secret_clear"));
    hall_val_set_str(req->pool, p, "hook_secret_fingerprint",
                     secret != NULL ? hall_partner_secret_fp(req->pool, secret) : "");
    if (secret != NULL)
        OPENSSL_cleanse(secret, strlen(secret));
    kl = hall_val_set_list(req->pool, p, "keys");
    for (k = 0; k < hall_dbres_rows(keys); k++) {
        struct hall_val *o;
        char *ks;

        if (strcmp(hall_dbres_str(keys, k, "partner_code"), code) != 0)
            continue;
        o = hall_val_push_obj(req->pool, kl);
        hall_dbres_set(req->pool, o, keys, k, "key_id state not_after revoked_at created_at");
        hall_val_set_str(req->pool, o, "state_label",
                         key_state_label(hall_dbres_str(keys, k, "state")));
        hall_val_set_bool(req->pool, o, "active",
                          strcmp(hall_dbres_str(keys, k, "state"), "active") == 0);
        ks = hall_dbres_secret(req->cx, keys, k, "secret_enc");
        hall_val_set_str(req->pool, o, "fingerprint",
                         ks != NULL ? hall_partner_secret_fp(req->pool, ks) : "");
        if (ks != NULL)
            OPENSSL_cleanse(ks, strlen(ks));
        nk++;
    }
    hall_val_set_bool(req->pool, p, "keys_empty", nk == 0);
}

/* GET /admin/partners */
int
admin_partners_page(struct hall_req *req)
{
    struct hall_dbres *res, *keys;
    struct hall_val *ctx, *list;
    int i;

    if (admin_partner_path(req))
        return HALL_OK;
    res = hall_db_exec(req->cx, "partners_list", HALL_STR(""));
    keys = res != NULL ? hall_db_exec(req->cx, "partner_keys_list", HALL_STR("")) : NULL;
    if (keys == NULL)
        return HALL_ERR;
    ctx = admin_json_asked(req) ? hall_val_obj(req->pool) : admin_page_ctx(req, "合作方接口");
    list = hall_val_set_list(req->pool, ctx, "partners");
    for (i = 0; i < hall_dbres_rows(res); i++)
        partner_val(req, hall_val_push_obj(req->pool, list), res, i, keys);
    if (admin_json_asked(req))
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "admin_partners", ctx);
}

static void
pending_rows(struct hall_req *req, struct hall_val *ctx, const struct hall_dbres *res)
{
    struct hall_val *list = hall_val_set_list(req->pool, ctx, "pending");
    int i;

    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *r = hall_val_push_obj(req->pool, list);
        const char *payload = hall_dbres_str(res, i, "payload"),
                   *kind = hall_dbres_str(res, i, "kind");
        struct hall_val *pv = hall_val_parse(req->pool, payload, strlen(payload), NULL, 0);

        hall_dbres_set(req->pool, r, res, i,
                       "id:i kind subject reason requested_by=requested_login created_at");
        hall_val_set_str(req->pool, r, "kind_label", hall_approval_kind_label(kind));
        hall_val_set_str(req->pool, r, "what",
                         admin_partner_what(req, kind, hall_dbres_str(res, i, "subject"), pv));
        hall_val_set_bool(req->pool, r, "own",
                          hall_dbres_int(res, i, "requested_by") == req->staff->id);
    }
    hall_val_set_bool(req->pool, ctx, "pending_empty", hall_dbres_rows(res) == 0);
}

/* GET /admin/partner?code= */
int
admin_partner_page(struct hall_req *req)
{
    const char *code = hall_req_param(req, "code");
    struct hall_dbres *res, *keys, *fails, *pend;
    struct hall_val *ctx, *list, *forms;
    int i;

    if (admin_partner_path(req))
        return HALL_OK;
    res = hall_db_exec(req->cx, "partners_list", HALL_STR(code));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_PARTNER_NOT_FOUND, "code");
    keys = hall_db_exec(req->cx, "partner_keys_list", HALL_STR(code));
    fails = keys != NULL ? hall_db_exec(req->cx, "partner_failed_events", HALL_STR(code)) : NULL;
    pend = fails != NULL ? hall_db_exec(req->cx, "partner_requests_pending", HALL_STR(code)) : NULL;
    if (pend == NULL)
        return HALL_ERR;
    ctx = admin_json_asked(req)
              ? hall_val_obj(req->pool)
              : admin_page_ctx(req, hall_psprintf(req->pool, "合作方接口：%s",
                                                  hall_dbres_str(res, 0, "name")));
    partner_val(req, hall_val_set_obj(req->pool, ctx, "partner"), res, 0, keys);
    list = hall_val_set_list(req->pool, ctx, "failures");
    for (i = 0; i < hall_dbres_rows(fails); i++) {
        struct hall_val *f = hall_val_push_obj(req->pool, list);

        hall_dbres_set(req->pool, f, fails, i,
                       "event_id event status attempts:i last_error occurred_at job:i");
        hall_val_set_str(req->pool, f, "status_label",
                         strcmp(hall_dbres_str(fails, i, "status"), "dead") == 0 ? "已停止重试"
                                                                                 : "重试中");
    }
    hall_val_set_bool(req->pool, ctx, "failures_empty", hall_dbres_rows(fails) == 0);
    pending_rows(req, ctx, pend);
    /* the form's event boxes, the subscribed ones ticked (all for a new hook) */
    forms = hall_val_set_list(req->pool, ctx, "event_choices");
    for (i = 0; hall_partner_events[i] != NULL; i++) {
        struct hall_val *o = hall_val_push_obj(req->pool, forms);
        const char *subscribed = hall_dbres_str(res, 0, "hook_events");
        size_t n = strlen(hall_partner_events[i]);
        const char *at = strstr(subscribed, hall_partner_events[i]);

        hall_val_set_str(req->pool, o, "event", hall_partner_events[i]);
        hall_val_set_str(req->pool, o, "label", event_label(hall_partner_events[i]));
        hall_val_set_bool(req->pool, o, "checked",
                          *subscribed == '\0' || (at != NULL && (at[n] == '\0' || at[n] == ',')));
    }
    hall_val_set_bool(req->pool, ctx, "may_outbox", (req->staff->roles & HALL_ROLE_FINANCE) != 0);
    if (admin_json_asked(req))
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "admin_partner", ctx);
}

/* ---- requests -------------------------------------------------------------- */

/* the transaction begun and the partner named by code locked while a
 * request about it is written; NULL when there is none (answered: *rc
 * HALL_OK) or the store failed (*rc HALL_ERR) */
static struct hall_dbres *
partner_locked(struct hall_req *req, const char *code, int *rc)
{
    struct hall_dbres *res;

    *rc = HALL_ERR;
    if (hall_db_begin(req->cx) != HALL_OK)
        return NULL;
    res = hall_db_exec(req->cx, "partner_row_lock", HALL_STR(code));
    if (res == NULL)
        return NULL;
    *rc = HALL_OK;
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_PARTNER_NOT_FOUND, "code");
        return NULL;
    }
    return res;
}

/* partner_locked's, for a console request (not below a partner's prefix:
 * answered, *rc HALL_OK) that asks nothing more before the lock */
static struct hall_dbres *
partner_open(struct hall_req *req, const char *code, int *rc)
{
    *rc = HALL_OK;
    if (admin_partner_path(req))
        return NULL;
    return partner_locked(req, code, rc);
}

static struct hall_val *
payload_new(struct hall_req *req, const struct hall_dbres *partner)
{
    struct hall_val *v = hall_val_obj(req->pool);

    hall_val_set_str(req->pool, v, "partner", hall_dbres_str(partner, 0, "code"));
    hall_val_set_str(req->pool, v, "partner_name", hall_dbres_str(partner, 0, "name"));
    return v;
}

/* the request written (four eyes) and answered; field names what a
 * second pending request of the same thing is refused on */
static int
request_send(struct hall_req *req, const char *kind, const char *subject,
             const struct hall_val *payload, const char *field)
{
    const char *code = hall_val_str(payload, "partner");
    struct hall_approval other;
    struct hall_val *v;
    int64_t id = 0;
    int rc;

    rc = hall_approval_request(req->cx, kind, subject, payload, req->staff->id,
                               hall_req_param(req, "reason"), &id);
    if (rc == HALL_CONFLICT) {
        if (hall_approval_pending_of(req->cx, kind, subject, &other) < 0)
            return HALL_ERR;
        return hall_msg(req, HALL_M_PARTNER_PENDING, field, (long long)other.id,
                        other.requested_login != NULL ? other.requested_login : "");
    }
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    hall_info(req, "msg=\"partner change requested\" staff=%lld request=%lld kind=%s partner=%s",
              (long long)req->staff->id, (long long)id, kind, code);
    if (!admin_json_asked(req))
        return hall_resp_redirect(req, hall_psprintf(req->pool, "/admin/partner?code=%s", code));
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "redirect",
                     hall_psprintf(req->pool, "/admin/partner?code=%s", code));
    hall_val_set_str(req->pool, v, "message",
                     "申请已提交，须由另一位账户管理员在“待批准”中批准后生效");
    hall_val_set_int(req->pool, v, "request_id", id);
    return hall_resp_ok(req, v);
}

/* the events asked: every "events" parameter, each a comma-separated
 * list, in the docs' order without repeats; NULL (answered) when one is
 * not an event */
static const char *
events_param(struct hall_req *req)
{
    int want[16] = {0}, i;
    const struct hall_param *p;
    const char *out = "";

    for (p = req->bparams; p != NULL; p = p->next) {
        const char *s = p->value;

        if (strcmp(p->name, "events") != 0)
            continue;
        while (*s != '\0') {
            size_t n = strcspn(s, ", ");
            const char *e = hall_pstrndup(req->pool, s, n);

            if (n > 0) {
                for (i = 0; hall_partner_events[i] != NULL; i++)
                    if (strcmp(hall_partner_events[i], e) == 0)
                        break;
                if (hall_partner_events[i] == NULL) {
                    hall_msg(req, HALL_M_PARTNER_EVENT_UNKNOWN, "events",
                             n > 40 ? hall_psprintf(req->pool, "%.40s…", e) : e);
                    return NULL;
                }
                want[i] = 1;
            }
            s += n;
            s += strspn(s, ", ");
        }
    }
    for (i = 0; hall_partner_events[i] != NULL; i++)
        if (want[i])
            out = hall_psprintf(req->pool, "%s%s%s", out, *out != '\0' ? "," : "",
                                hall_partner_events[i]);
    return out;
}

/* POST /admin/partner/hook: url (empty: the webhook switched off), events,
 * new_secret (1: a new secret with it; a partner without one gets one) */
int
admin_do_partner_hook(struct hall_req *req)
{
    const char *code = hall_req_param(req, "code"), *url = hall_req_param(req, "url"), *events,
               *why, *fresh = hall_req_param(req, "new_secret");
    struct hall_dbres *partner;
    struct hall_val *payload;
    int rc, renew = fresh != NULL && strcmp(fresh, "1") == 0;

    if (admin_partner_path(req))
        return HALL_OK;
    if (url == NULL)
        url = "";
    events = events_param(req);
    if (events == NULL)
        return HALL_OK;
    if (*url != '\0') {
        if (*events == '\0')
            return hall_msg(req, HALL_M_PARTNER_EVENTS_NONE, "events");
        why = hall_partner_hook_url_check(req->pool, req->cx->conf, url);
        if (why != NULL)
            return hall_msg(req, HALL_M_PARTNER_HOOK_URL, "url", why);
    }
    partner = partner_locked(req, code, &rc);
    if (partner == NULL)
        return rc;
    if (*url == '\0' && *hall_dbres_str(partner, 0, "hook_url") == '\0')
        return hall_msg(req, HALL_M_PARTNER_HOOK_NONE, "url");
    /* the same URL and events, no new secret: nothing to ask a second person */
    if (*url != '\0' && !renew && strcmp(url, hall_dbres_str(partner, 0, "hook_url")) == 0 &&
        strcmp(events, hall_dbres_str(partner, 0, "hook_events")) == 0)
        return hall_msg(req, HALL_M_PARTNER_HOOK_SAME, "url");
    payload = payload_new(req, partner);
    hall_val_set_str(req->pool, payload, "url", url);
    hall_val_set_str(req->pool, payload, "events", *url != '\0' ? events : "");
    hall_val_set_bool(req->pool, payload, "new_secret",
                      *url != '\0' && (renew || !hall_dbres_bool(partner, 0, "has_secret")));
    return request_send(req, "partner_hook", code, payload, "url");
}

/* POST /admin/partner/hook/secret */
int
admin_do_partner_secret(struct hall_req *req)
{
    const char *code = hall_req_param(req, "code");
    struct hall_dbres *partner;
    int rc;

    partner = partner_open(req, code, &rc);
    if (partner == NULL)
        return rc;
    return request_send(req, "partner_hook_secret", code, payload_new(req, partner), "code");
}

static int
key_id_ok(const char *s)
{
    size_t n = strlen(s);

    return n >= 8 && n <= 64 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* POST /admin/partner/key: key_id (empty: CODE-8 hex digits), days */
int
admin_do_partner_key(struct hall_req *req)
{
    const char *code = hall_req_param(req, "code"), *key_id = hall_req_param(req, "key_id");
    struct hall_dbres *partner, *res;
    struct hall_val *payload;
    unsigned char rnd[4];
    int64_t days = 365;
    int rc;

    if (admin_partner_path(req))
        return HALL_OK;
    if (hall_req_param(req, "days") != NULL && *hall_req_param(req, "days") != '\0')
        hall_req_param_i64(req, "days", &days);
    if (key_id == NULL || *key_id == '\0') {
        if (hall_rand_bytes(rnd, sizeof(rnd)) != HALL_OK)
            return HALL_ERR;
        key_id = hall_psprintf(req->pool, "%s-%s", code, hall_hex(req->pool, rnd, sizeof(rnd)));
    }
    if (!key_id_ok(key_id))
        return hall_msg(req, HALL_M_PARTNER_KEY_ID, "key_id");
    partner = partner_locked(req, code, &rc);
    if (partner == NULL)
        return rc;
    res = hall_db_exec(req->cx, "partner_key_row", HALL_STR(key_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) > 0)
        return hall_msg(req, HALL_M_PARTNER_KEY_EXISTS, "key_id", key_id);
    payload = payload_new(req, partner);
    hall_val_set_int(req->pool, payload, "days", days);
    return request_send(req, "partner_key_add", key_id, payload, "key_id");
}

/* POST /admin/partner/key/revoke: key_id, one of the partner's */
int
admin_do_partner_key_revoke(struct hall_req *req)
{
    const char *code = hall_req_param(req, "code"), *key_id = hall_req_param(req, "key_id");
    struct hall_dbres *partner, *res;
    int rc;

    partner = partner_open(req, code, &rc);
    if (partner == NULL)
        return rc;
    res = hall_db_exec(req->cx, "partner_key_row", HALL_STR(key_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0 || strcmp(hall_dbres_str(res, 0, "partner_code"), code) != 0)
        return hall_msg(req, HALL_M_PARTNER_KEY_NOT_FOUND, "key_id");
    if (hall_dbres_bool(res, 0, "revoked"))
        return hall_msg(req, HALL_M_PARTNER_KEY_REVOKED, "key_id");
    return request_send(req, "partner_key_revoke", key_id, payload_new(req, partner), "key_id");
}

/* ---- decisions --------------------------------------------------------------- */

/* the approver's answer: what was done and, once, the secret made */
static int
applied_answer(struct hall_req *req, const struct hall_approval *a,
               const struct hall_partner_applied *out)
{
    const char *code = hall_val_str(a->payload, "partner");
    int json = admin_json_asked(req);
    struct hall_val *ctx = json ? hall_val_obj(req->pool) : admin_page_ctx(req, "已批准");

    /* the one place the secret is: never logged; the page and the JSON are
     * Cache-Control: no-store, as every answer of the hall's (core/web/resp.c) */
    hall_val_set_str(req->pool, ctx, "message", "已批准，已生效");
    hall_val_set_int(req->pool, ctx, "request_id", a->id);
    hall_val_set_str(req->pool, ctx, "kind", a->kind);
    hall_val_set_str(req->pool, ctx, "what",
                     admin_partner_what(req, a->kind, a->subject, a->payload));
    hall_val_set_str(req->pool, ctx, "partner", code);
    hall_val_set_str(req->pool, ctx, "partner_name", hall_val_str(a->payload, "partner_name"));
    hall_val_set_str(req->pool, ctx, "partner_url",
                     hall_psprintf(req->pool, "/admin/partner?code=%s", code));
    if (out->key_id != NULL)
        hall_val_set_str(req->pool, ctx, "key_id", out->key_id);
    if (out->not_after != NULL)
        hall_val_set_str(req->pool, ctx, "not_after", out->not_after);
    if (out->secret != NULL) {
        hall_val_set_str(req->pool, ctx, "secret", out->secret);
        hall_val_set_str(req->pool, ctx, "fingerprint", out->fingerprint);
        hall_val_set_str(req->pool, ctx, "secret_label",
                         strcmp(a->kind, "partner_key_add") == 0 ? "接口密钥" : "回调密钥");
    }
    if (json)
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "admin_partner_secret", ctx);
}

static int
partner_decide(struct hall_req *req, int approve)
{
    const char *note = hall_req_param(req, "note"), *why = NULL;
    struct hall_partner_applied out;
    struct hall_approval a;
    int64_t id;
    int rc;

    if (admin_partner_path(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    rc = hall_approval_decide(req->cx, id, PARTNER_KINDS, req->staff->id, approve, note, &a);
    if (rc != HALL_OK)
        return hall_foureyes_refused(req, rc);
    if (!approve) {
        if (hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        hall_info(req, "msg=\"staff request decided\" staff=%lld request=%lld kind=%s approved=0",
                  (long long)req->staff->id, (long long)id, a.kind);
        return hall_resp_go(req, "/admin/approvals", "已拒绝该申请");
    }
    rc = hall_partner_change_apply(req->cx, &a, req->staff->id, &out, &why);
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_APPROVAL_STALE, NULL, why);
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    /* the fingerprint, never the secret */
    hall_info(req,
              "msg=\"staff request decided\" staff=%lld request=%lld kind=%s approved=1"
              " partner=%s secret_fp=%s",
              (long long)req->staff->id, (long long)id, a.kind, hall_val_str(a.payload, "partner"),
              out.fingerprint != NULL ? out.fingerprint : "-");
    return applied_answer(req, &a, &out);
}

int
admin_do_partner_approve(struct hall_req *req)
{
    return partner_decide(req, 1);
}

int
admin_do_partner_refuse(struct hall_req *req)
{
    return partner_decide(req, 0);
}
