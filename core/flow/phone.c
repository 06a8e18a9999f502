/*
 * phone.c: 经办人在线认证 (SPEC step 7): the PC page with the phone's
 * one-time link, its polling, and the phone's side (ID card OCR, then the
 * liveness check against the form's name and ID number), after which the
 * order goes on to 缴费 (or past it when there is nothing to pay).
 *
 *   GET  /F/identity[/status]          on the PC, logged in
 *   GET  /F/m/verify, POST /F/m/ocr,   on the phone, by the link's token
 *   POST /F/m/liveness
 */
#include <stdio.h>
#include <string.h>

#include "flow/flow_int.h"

#define IDENTITY_MAX_ATTEMPTS 10

const struct hall_stmt flow_phone_stmts[] = {
    {"flow_identity_by_token",
     "SELECT c.id, c.order_id, c.who, c.status, c.attempts, c.expires_at > now() AS live,"
     " o.form_enc, o.user_id, o.status AS order_status FROM identity_checks c"
     " JOIN orders o ON o.id = c.order_id WHERE c.token_hash = $1",
     1},
    {"flow_identity_lock", "SELECT status FROM identity_checks WHERE id = $1 FOR UPDATE", 1},
    /* nothing to pay: the order skips the payment and goes where a payment
     * would send it (modules/pay): to review, or to its unit's 金融认证 */
    {"flow_order_free",
     "SELECT amount_fen = 0 AS free, cert_type = 'person' OR business_type IN"
     " ('reissue', 'renew', 'change', 'unlock') AS to_review FROM orders WHERE id = $1",
     1},
    {NULL, NULL, 0},
};

static const char *
identity_who(const char *cert_type)
{
    return strcmp(cert_type, "person") == 0 ? "applicant" : "agent";
}

static int
identity_page(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req);
    struct hall_val *ctx;
    struct hall_partner p;
    const char *url, *who, *step, *oid;

    if (o == NULL)
        return HALL_OK;
    oid = hall_dbres_str(o, 0, "id");
    step = hall_dbres_str(o, 0, "step");
    if (hall_flow_partner(req, hall_dbres_str(o, 0, "partner_code"), &p) != HALL_OK)
        return HALL_OK;
    ctx = hall_flow_page(req, "在线认证", &p);
    hall_val_set_str(req->pool, ctx, "order_id", oid);
    hall_dbres_set(req->pool, ctx, o, 0, "order_no");
    who = identity_who(hall_dbres_str(o, 0, "cert_type"));
    hall_val_set_str(req->pool, ctx, "who_label", hall_identity_who_label(who));
    hall_flow_steps(req, ctx, "identity");
    if (strcmp(hall_dbres_str(o, 0, "status"), "draft") != 0) {
        /* already verified (or past it): nothing to scan */
        hall_val_set_bool(req->pool, ctx, "passed", 1);
        return hall_resp_page(req, 200, "flow_identity", ctx);
    }
    if (strcmp(step, "upload") != 0 && strcmp(step, "identity") != 0)
        return hall_resp_redirect(req, hall_flow_url(req, "/upload?id=%s", oid));
    /* core/flow/identity.c: a new one-time link, the one shown before stops working */
    url =
        hall_identity_start(req, hall_dbres_int(o, 0, "id"), who, hall_flow_url(req, "/m/verify"));
    if (url == NULL)
        return HALL_ERR;
    hall_val_set_str(req->pool, ctx, "qr_svg", hall_qr_svg(req->pool, url, 4));
    hall_val_set_str(req->pool, ctx, "mobile_url", url);
    return hall_resp_page(req, 200, "flow_identity", ctx);
}

/* polled by the PC page: has the phone finished? */
static int
identity_status(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req);
    struct hall_val *v;
    const char *status, *message;

    if (o == NULL)
        return HALL_OK;
    if (hall_identity_status(req, hall_dbres_int(o, 0, "id"),
                             identity_who(hall_dbres_str(o, 0, "cert_type")), &status,
                             &message) != HALL_OK)
        return hall_req_failed(req);
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "status", status);
    hall_val_set_str(req->pool, v, "message", message);
    if (strcmp(status, "passed") == 0)
        hall_val_set_str(req->pool, v, "next",
                         hall_psprintf(req->pool, "%s/pay?id=%s", hall_req_base(req),
                                       hall_dbres_str(o, 0, "id")));
    return hall_resp_ok(req, v);
}

/* the phone's check, by the token of its link */
struct check {
    int64_t id, order_id, owner;
    const char *who, *status, *name, *ric;
    long attempts;
};

static int
check_load(struct hall_req *req, struct check *c)
{
    const char *t = hall_req_param(req, "t");
    unsigned char hash[32];
    struct hall_dbres *res;
    struct hall_val *form;
    unsigned char *enc;
    size_t len;
    char *plain, err[64];
    int passed;

    if (t == NULL || strlen(t) != 43 || strspn(t, B64URL) != 43) {
        hall_msg(req, HALL_M_IDENTITY_LINK_BAD, NULL);
        return HALL_ANSWERED;
    }
    hall_sha256(t, strlen(t), hash);
    res = hall_db_exec(req->cx, "flow_identity_by_token", HALL_BIN(hash, 32));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_IDENTITY_LINK_BAD, NULL);
        return HALL_ANSWERED;
    }
    c->id = hall_dbres_int(res, 0, "id");
    c->order_id = hall_dbres_int(res, 0, "order_id");
    c->who = hall_dbres_str(res, 0, "who");
    c->status = hall_dbres_str(res, 0, "status");
    c->attempts = (long)hall_dbres_int(res, 0, "attempts");
    c->owner = hall_dbres_int(res, 0, "user_id");
    c->name = "";
    c->ric = "";
    /* a check that passed stays shown as passed, whatever the order became
     * since; the others: the agent / applicant before payment, the legal
     * person (法人认证, modules/finauth) of an order whose micro-deposits
     * failed */
    passed = strcmp(c->status, "passed") == 0;
    if (!passed && (!hall_dbres_bool(res, 0, "live") || strcmp(c->status, "failed") == 0 ||
                    strcmp(hall_dbres_str(res, 0, "order_status"),
                           strcmp(c->who, "legal") == 0 ? "finauth_failed" : "draft") != 0)) {
        hall_msg(req, HALL_M_IDENTITY_QR_GONE, NULL);
        return HALL_ANSWERED;
    }
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "form_enc"), &len);
    plain = enc != NULL ? hall_pii_decrypt(req->pool, enc, len) : NULL;
    form = plain != NULL ? hall_val_parse(req->pool, plain, strlen(plain), err, sizeof(err)) : NULL;
    if (form == NULL) {
        if (passed)
            return HALL_OK; /* nothing more is asked of it */
        hall_resp_busy(req);
        return HALL_ANSWERED;
    }
    if (strcmp(c->who, "legal") == 0) {
        c->name = hall_val_str(form, "legal_name");
        c->ric = hall_val_str(form, "legal_ric");
    } else {
        c->name = hall_val_str(form, strcmp(c->who, "agent") == 0 ? "agent_name" : "app_name");
        c->ric = hall_val_str(form, strcmp(c->who, "agent") == 0 ? "agent_ric" : "app_ric");
    }
    return HALL_OK;
}

static int
mobile_page(struct hall_req *req)
{
    struct check c;
    struct hall_val *ctx;
    size_t n;

    if (check_load(req, &c) != HALL_OK)
        return HALL_OK;
    if (hall_db_exec(req->cx, "identity_opened", HALL_I64(c.id)) == NULL)
        return HALL_ERR;
    ctx = hall_flow_page(req, "身份认证", NULL);
    hall_val_set_str(req->pool, ctx, "t", hall_req_param(req, "t"));
    hall_val_set_str(req->pool, ctx, "who_label", hall_identity_who_label(c.who));
    /* enough for the person to see it is them, not enough to leak the name */
    n = strlen(c.name);
    hall_val_set_str(req->pool, ctx, "name_masked",
                     hall_psprintf(req->pool, "%.3s%s", c.name, n > 3 ? "**" : ""));
    hall_val_set_bool(req->pool, ctx, "passed", strcmp(c.status, "passed") == 0);
    hall_val_set_bool(req->pool, ctx, "ocr_ok", strcmp(c.status, "ocr_ok") == 0);
    return hall_resp_page(req, 200, "flow_mobile", ctx);
}

/* the upload of a photo as base64 for a provider; NULL after answering */
static const char *
photo_b64(struct hall_req *req, const char *field, const char *label)
{
    const struct hall_upload *up = hall_req_upload(req, field);

    if (up == NULL || up->size == 0) {
        hall_msg(req, HALL_M_PHOTO_MISSING, field, label);
        return NULL;
    }
    return hall_b64url(req->pool, up->data, up->size);
}

static int
identity_fail(struct hall_req *req, struct check *c, const char *field, const char *msg)
{
    /* the failed try is counted and its reason shown on the PC page */
    if (hall_db_begin(req->cx) != HALL_OK ||
        hall_identity_set(req->cx, c->id, c->status, msg, 1) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    return hall_resp_error(req, 400, field, msg);
}

static int
back_to_phone(struct hall_req *req)
{
    return hall_resp_go(req, hall_flow_url(req, "/m/verify?t=%s", hall_req_param(req, "t")), NULL);
}

static int
do_ocr(struct hall_req *req)
{
    struct check c;
    struct hall_val *body, *front, *back;
    const char *fb, *bb, *label;
    const struct hall_val *name, *idno;

    if (check_load(req, &c) != HALL_OK)
        return HALL_OK;
    if (strcmp(c.status, "passed") == 0)
        return back_to_phone(req);
    if (c.attempts >= IDENTITY_MAX_ATTEMPTS)
        return hall_msg(req, HALL_M_IDENTITY_TOO_MANY, NULL);
    fb = photo_b64(req, "front", "身份证人像面照片");
    if (fb == NULL)
        return HALL_OK;
    bb = photo_b64(req, "back", "身份证国徽面照片");
    if (bb == NULL)
        return HALL_OK;
    body = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, body, "side", "front");
    hall_val_set_str(req->pool, body, "image_b64", fb);
    front = hall_provider_call(req, "/ocr/idcard", body, NULL);
    body = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, body, "side", "back");
    hall_val_set_str(req->pool, body, "image_b64", bb);
    back = front != NULL ? hall_provider_call(req, "/ocr/idcard", body, NULL) : NULL;
    if (front == NULL || back == NULL)
        return hall_resp_provider(req, "身份证识别");
    if (hall_val_get(front, "ok") == NULL || hall_val_get(front, "ok")->i == 0)
        return identity_fail(req, &c, "front", hall_msgs[HALL_M_OCR_FRONT].text);
    if (hall_val_get(back, "ok") == NULL || hall_val_get(back, "ok")->i == 0)
        return identity_fail(req, &c, "back", hall_msgs[HALL_M_OCR_BACK].text);
    name = hall_val_get(front, "name");
    idno = hall_val_get(front, "id_number");
    label = hall_identity_who_label(c.who);
    if (name == NULL || name->type != HALL_V_STR || strcmp(name->str, c.name) != 0)
        return identity_fail(req, &c, "front",
                             hall_msg_text(req->pool, HALL_M_OCR_NAME, label, label));
    if (idno == NULL || idno->type != HALL_V_STR || strcasecmp(idno->str, c.ric) != 0)
        return identity_fail(req, &c, "front",
                             hall_msg_text(req->pool, HALL_M_OCR_RIC, label, label));
    if (hall_db_begin(req->cx) != HALL_OK ||
        hall_identity_set(req->cx, c.id, "ocr_ok", NULL, 0) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    return back_to_phone(req);
}

static int
do_liveness(struct hall_req *req)
{
    struct check c;
    struct hall_val *body, *r;
    const struct hall_val *passed;
    const char *media;
    struct hall_dbres *res;
    int mv;

    if (check_load(req, &c) != HALL_OK)
        return HALL_OK;
    if (strcmp(c.status, "passed") == 0)
        return back_to_phone(req);
    if (strcmp(c.status, "ocr_ok") != 0)
        return hall_msg(req, HALL_M_OCR_FIRST, NULL);
    if (c.attempts >= IDENTITY_MAX_ATTEMPTS)
        return hall_msg(req, HALL_M_IDENTITY_TOO_MANY, NULL);
    media = photo_b64(req, "media", "活体认证视频或照片");
    if (media == NULL)
        return HALL_OK;
    body = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, body, "name", c.name);
    hall_val_set_str(req->pool, body, "id_number", c.ric);
    hall_val_set_str(req->pool, body, "video_b64", media);
    r = hall_provider_call(req, "/liveness/check", body, NULL);
    if (r == NULL)
        return hall_resp_provider(req, "活体认证");
    passed = hall_val_get(r, "passed");
    if (passed == NULL || passed->type != HALL_V_BOOL || passed->i == 0)
        return identity_fail(req, &c, "media", hall_msgs[HALL_M_LIVENESS_FAILED].text);
    /* one transaction: the check passes and the order moves on, or neither */
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "flow_identity_lock", HALL_I64(c.id));
    if (res == NULL)
        return HALL_ERR;
    if (strcmp(hall_dbres_str(res, 0, "status"), "ocr_ok") != 0)
        return hall_msg(req, HALL_M_OCR_FIRST, NULL);
    if (hall_identity_set(req->cx, c.id, "passed", NULL, 0) != HALL_OK ||
        hall_order_step(req->cx, c.order_id, "upload,identity", "identity") != HALL_OK)
        return hall_req_failed(req);
    if (strcmp(c.who, "legal") == 0) {
        /* 法人认证 instead of the micro-deposit: on to the reviewers */
        struct hall_val *d = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, d, "via", "legal_person");
        mv = hall_order_move(req->cx, c.order_id, "finauth_failed", "review",
                             hall_psprintf(req->pool, "user:%lld", (long long)c.owner), d);
    } else {
        /* a zero fee (a partner's free 新办, 解锁's medium waived, ...): the
         * order goes on where a payment would take it (modules/pay): a
         * natural person's order or one replacing a certificate to review,
         * any other its unit's 金融认证 (the micro-deposit proves the
         * account that no payment came from) */
        struct hall_dbres *f = hall_db_exec(req->cx, "flow_order_free", HALL_I64(c.order_id));
        const char *actor = hall_psprintf(req->pool, "user:%lld", (long long)c.owner);

        if (f == NULL || hall_dbres_rows(f) != 1)
            return HALL_ERR;
        if (hall_dbres_bool(f, 0, "free")) {
            int to_review = hall_dbres_bool(f, 0, "to_review");
            struct hall_val *d = hall_val_obj(req->pool);

            hall_val_set_str(req->pool, d, "via", "no_fee");
            mv = hall_order_move(req->cx, c.order_id, "draft",
                                 to_review ? "review" : "finauth_pending", actor, d);
            if (mv == HALL_OK && !to_review && hall_finauth_queue(req, c.order_id) != HALL_OK)
                return hall_req_failed(req);
        } else
            mv = hall_order_move(req->cx, c.order_id, "draft", "unpaid", actor, NULL);
    }
    if (mv == HALL_CONFLICT)
        return hall_msg(req, HALL_M_IDENTITY_CONFLICT, NULL);
    if (mv == HALL_OK && hall_flow_current()->order_ready != NULL) {
        struct hall_errors e = {NULL, NULL, 0, 0};

        if (hall_flow_current()->order_ready(req, c.order_id, &e) != HALL_OK)
            return hall_req_failed(req);
        if (e.n > 0) {
            hall_db_rollback(req->cx);
            return hall_resp_errors(req, &e);
        }
    }
    if (mv != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return hall_req_failed(req);
    return back_to_phone(req);
}

static const struct hall_pspec token_params[] = {
    {"t", HALL_P_TEXT, 0, 43, 43, "认证链接", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* below the flow's path (hall_flow_main) */
const struct hall_route flow_phone_routes[] = {
    {"GET", "/identity", identity_page, HALL_R_AUTH, NULL},
    {"GET", "/identity/status", identity_status, HALL_R_AUTH, NULL},
    /* the phone is not logged in: the link's token is the credential */
    {"GET", "/m/verify", mobile_page, 0, token_params},
    {"POST", "/m/ocr", do_ocr, HALL_R_MULTIPART | HALL_R_CLEAR, token_params},
    {"POST", "/m/liveness", do_liveness, HALL_R_MULTIPART | HALL_R_CLEAR, token_params},
    {NULL, NULL, NULL, 0, NULL},
};
