/*
 * contract: 签署, a contract several companies and people sign in turn,
 * each with its own key (issue 73; docs/modules/contract.md).  The first
 * slice: one PDF, parties in sequential or parallel order, SMS notices,
 * each party signing with its own certificate, 拒签 and 撤销.
 *
 *   GET  /contract/          我的签署: flows I initiated, flows waiting for me
 *   GET  /contract/new       the initiator's form
 *   POST /contract/new       multipart: file (PDF), title, message, order
 *                            (sequential|parallel), deadline (YYYY-MM-DD),
 *                            parties (JSON list of {kind, name, uscc,
 *                            mobile, ric, page, x, y})
 *   GET  /contract/flow?id=  the flow: parties, order, who signed when
 *   GET  /contract/file?id=  the current revision, a PDF
 *   POST /contract/sign      multipart: id, file (the current revision with
 *                            the party's signature appended)
 *   POST /contract/refuse    id, reason: 拒签 by a party asked to sign
 *   POST /contract/withdraw  id, reason: 撤销 by the initiator
 *   POST /contract/remind    id: 催签 by the initiator (each party once in 24 h)
 *
 * Every write is one transaction holding the flow's row (SELECT ... FOR
 * UPDATE): two signatures, a refusal and a signature, a withdrawal and the
 * last signature end in one state, whichever comes first.  The hall never
 * signs for anyone: it checks each revision (contract_check.c) and keeps it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contract.h"

#define CONTRACT_PARTIES_MAX 20

static const char *
state_text(const char *s)
{
    return strcmp(s, "signing") == 0     ? "签署中"
           : strcmp(s, "completed") == 0 ? "已完成"
           : strcmp(s, "refused") == 0   ? "已拒签"
           : strcmp(s, "withdrawn") == 0 ? "已撤销"
           : strcmp(s, "expired") == 0   ? "已过期"
           : strcmp(s, "waiting") == 0   ? "待通知"
           : strcmp(s, "notified") == 0  ? "待签署"
           : strcmp(s, "signed") == 0    ? "已签署"
                                         : s;
}

/* 138****0000 */
static const char *
masked(struct hall_pool *pool, const char *m)
{
    if (m == NULL || strlen(m) != 11)
        return "";
    return hall_psprintf(pool, "%.3s****%.4s", m, m + 7);
}

/* a browser's form goes back to the flow's page; fetch() gets o as JSON */
static int
answer_flow(struct hall_req *req, int64_t flow, struct hall_val *o)
{
    if (!hall_req_wants_json(req))
        return hall_resp_redirect(
            req, hall_psprintf(req->pool, "/contract/flow?id=%lld", (long long)flow));
    return hall_resp_ok(req, o);
}

static int
db_fail(struct hall_req *req)
{
    hall_db_rollback(req->cx);
    return req->responded ? HALL_ANSWERED : hall_resp_busy(req);
}

/* ---- POST /contract/new -------------------------------------------------- */

struct party_in {
    const char *kind, *name, *uscc, *mobile, *ric;
    long page;
    double x, y;
};

static const char *
num_or(struct hall_pool *pool, const struct hall_val *o, const char *k, const char *dflt)
{
    const struct hall_val *v = hall_val_get(o, k);

    if (v == NULL)
        return dflt;
    if (v->type == HALL_V_STR)
        return v->str;
    if (v->type == HALL_V_INT)
        return hall_psprintf(pool, "%lld", (long long)v->i);
    return NULL;
}

/* the parties' JSON, checked; NULL and *why when refused */
static int
parties_check(struct hall_req *req, const char *text, struct party_in *out, int *n,
              const char **why)
{
    static const struct hall_pspec name_org = {"name", HALL_P_ORG, 0, 1, 100, "签署单位名称", NULL};
    static const struct hall_pspec name_person = {"name", HALL_P_PERSON, 0,   1,
                                                  30,     "签署人姓名",  NULL};
    static const struct hall_pspec uscc = {"uscc", HALL_P_USCC,        0,   18,
                                           18,     "统一社会信用代码", NULL};
    static const struct hall_pspec mobile = {"mobile", HALL_P_MOBILE, 0, 11, 11, "手机号码", NULL};
    static const struct hall_pspec ric = {"ric",        HALL_P_RIC, HALL_PF_OPTIONAL, 0, 18,
                                          "身份证号码", NULL};
    char err[128];
    struct hall_val *list;
    const struct hall_val *p;
    const char *note, *msg;
    int i = 0;

    list = text != NULL ? hall_val_parse(req->pool, text, strlen(text), err, sizeof(err)) : NULL;
    if (list == NULL || list->type != HALL_V_LIST || list->first == NULL) {
        *why = hall_msg_text(req->pool, HALL_M_CONTRACT_PARTY_NONE);
        return HALL_ERR;
    }
    for (p = list->first; p != NULL; p = p->next, i++) {
        struct party_in *q = &out[i];
        const char *s;
        char *end;

        if (i == CONTRACT_PARTIES_MAX) {
            *why = hall_msg_text(req->pool, HALL_M_CONTRACT_PARTY_MAX, CONTRACT_PARTIES_MAX);
            return HALL_ERR;
        }
        if (p->type != HALL_V_OBJ) {
            *why = hall_msg_text(req->pool, HALL_M_CONTRACT_PARTY_FORMAT, i + 1);
            return HALL_ERR;
        }
        q->kind = hall_val_str(p, "kind");
        if (strcmp(q->kind, "org") != 0 && strcmp(q->kind, "person") != 0) {
            *why = hall_msg_text(req->pool, HALL_M_CONTRACT_PARTY_KIND, i + 1);
            return HALL_ERR;
        }
        if (hall_param_check(req->pool, strcmp(q->kind, "org") == 0 ? &name_org : &name_person,
                             hall_val_str(p, "name"), &q->name, &note, &msg) != HALL_OK ||
            hall_param_check(req->pool, &mobile, hall_val_str(p, "mobile"), &q->mobile, &note,
                             &msg) != HALL_OK ||
            hall_param_check(req->pool, &ric, hall_val_str(p, "ric"), &q->ric, &note, &msg) !=
                HALL_OK) {
            *why = hall_msg_text(req->pool, HALL_M_CONTRACT_PARTY_FIELD, i + 1, msg);
            return HALL_ERR;
        }
        q->uscc = "";
        if (strcmp(q->kind, "org") == 0 &&
            hall_param_check(req->pool, &uscc, hall_val_str(p, "uscc"), &q->uscc, &note, &msg) !=
                HALL_OK) {
            *why = hall_msg_text(req->pool, HALL_M_CONTRACT_PARTY_FIELD, i + 1, msg);
            return HALL_ERR;
        }
        s = num_or(req->pool, p, "page", "1");
        q->page = s != NULL ? strtol(s, &end, 10) : 0;
        if (s == NULL || *end != '\0' || q->page < 1 || q->page > 9999) {
            *why = hall_msg_text(req->pool, HALL_M_CONTRACT_PARTY_PAGE, i + 1);
            return HALL_ERR;
        }
        s = num_or(req->pool, p, "x", "150");
        q->x = s != NULL ? strtod(s, &end) : -1;
        if (s == NULL || *end != '\0' || !(q->x >= 0 && q->x <= 2000)) {
            *why = hall_msg_text(req->pool, HALL_M_CONTRACT_PARTY_PLACE, i + 1);
            return HALL_ERR;
        }
        s = num_or(req->pool, p, "y", "240");
        q->y = s != NULL ? strtod(s, &end) : -1;
        if (s == NULL || *end != '\0' || !(q->y >= 0 && q->y <= 2000)) {
            *why = hall_msg_text(req->pool, HALL_M_CONTRACT_PARTY_PLACE, i + 1);
            return HALL_ERR;
        }
    }
    *n = i;
    return HALL_OK;
}

static int
deadline_ok(struct hall_req *req, const char *d, int *ok)
{
    int y, m, day;
    char tail;
    struct hall_dbres *r;

    *ok = 0;
    if (d == NULL || strlen(d) != 10 || sscanf(d, "%4d-%2d-%2d%c", &y, &m, &day, &tail) != 3 ||
        y < 2000 || y > 2200 || m < 1 || m > 12 || day < 1 || day > 31)
        return HALL_OK;
    {
        struct tm t = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = day, .tm_hour = 12};
        time_t tt = timegm(&t);
        struct tm back;

        gmtime_r(&tt, &back);
        if (back.tm_mday != day) /* 02-30 */
            return HALL_OK;
    }
    r = hall_db_exec(req->cx, "contract_today_ok", HALL_STR(d));
    if (r == NULL)
        return HALL_ERR;
    *ok = hall_dbres_bool(r, 0, "ok");
    return HALL_OK;
}

static int
new_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", "发起签署");
    return hall_resp_page(req, 200, "contract_new", ctx);
}

static int
new_post(struct hall_req *req)
{
    static const char *const pdf_only[] = {"application/pdf", NULL};
    struct party_in parties[CONTRACT_PARTIES_MAX];
    struct hall_errors e = {0};
    struct hall_stored st = {0};
    const struct hall_upload *up = hall_req_upload(req, "file");
    const char *title = hall_req_param(req, "title"), *message = hall_req_param(req, "message");
    const char *order = hall_req_param(req, "order"), *why = NULL, *err = NULL;
    int n = 0, ok = 0, i, code;
    int64_t flow;

    if (title == NULL || *title == '\0' || strlen(title) > 300 || strpbrk(title, "<>\t\r\n"))
        hall_msg_add(req, &e, HALL_M_CONTRACT_TITLE, "title");
    if (message == NULL)
        message = "";
    if (strlen(message) > 1500)
        hall_msg_add(req, &e, HALL_M_CONTRACT_REASON, "message");
    if (order == NULL || (strcmp(order, "sequential") != 0 && strcmp(order, "parallel") != 0))
        hall_msg_add(req, &e, HALL_M_CONTRACT_ORDER, "order");
    if (deadline_ok(req, hall_req_param(req, "deadline"), &ok) != HALL_OK)
        return hall_resp_busy(req);
    if (!ok)
        hall_msg_add(req, &e, HALL_M_CONTRACT_DEADLINE, "deadline");
    if (parties_check(req, hall_req_param(req, "parties"), parties, &n, &why) != HALL_OK)
        hall_msg_add(req, &e, HALL_M_CONTRACT_PARTIES, "parties", why);
    if (up == NULL || up->size == 0)
        hall_msg_add(req, &e, HALL_M_CONTRACT_FILE, "file");
    if (e.n > 0)
        return hall_resp_errors(req, &e);
    code = hall_file_store(req->cx, up, pdf_only, "PDF", &st, &err);
    if (code != 0)
        return hall_resp_error(req, code, "file", err);
    if (hall_db_begin(req->cx) != HALL_OK)
        goto fail;
    flow = hall_signflow_create(req->cx, req->user_id, title, message, order,
                                hall_req_param(req, "deadline"));
    if (flow == 0 ||
        hall_signflow_revision_add(req->cx, flow, 1, st.name, st.sha256, st.size, 0) != HALL_OK)
        goto fail;
    for (i = 0; i < n; i++)
        if (hall_signflow_party_add(req->cx, flow, i + 1, parties[i].kind, parties[i].name,
                                    parties[i].uscc, parties[i].mobile, parties[i].ric,
                                    parties[i].page, parties[i].x, parties[i].y) != HALL_OK)
            goto fail;
    if (hall_signflow_event(req->cx, flow, 0, "created", "") != HALL_OK ||
        hall_signflow_notify(req->cx, flow, req->app->conf.public_url) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        goto fail;
    {
        struct hall_val *o = hall_val_obj(req->pool);

        hall_val_set_int(req->pool, o, "id", flow);
        hall_val_set_str(req->pool, o, "redirect",
                         hall_psprintf(req->pool, "/contract/flow?id=%lld", (long long)flow));
        return answer_flow(req, flow, o);
    }
fail:
    hall_db_rollback(req->cx);
    hall_file_discard(req->cx, st.name);
    return hall_resp_busy(req);
}

/* ---- reading ------------------------------------------------------------- */

static int
flow_id(struct hall_req *req, int64_t *id)
{
    const char *s = hall_req_param(req, "id");
    char *end;
    long long v;

    if (s == NULL || *s == '\0')
        return HALL_ERR;
    v = strtoll(s, &end, 10);
    if (*end != '\0' || v <= 0)
        return HALL_ERR;
    *id = v;
    return HALL_OK;
}

static int
list_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req), *l, *o;
    struct hall_dbres *a = hall_db_exec(req->cx, "contract_mine", HALL_I64(req->user_id));
    struct hall_dbres *b =
        a != NULL ? hall_db_exec(req->cx, "contract_waiting", HALL_I64(req->user_id)) : NULL;
    int i;

    if (b == NULL)
        return hall_resp_busy(req);
    l = hall_val_set_list(req->pool, ctx, "initiated");
    for (i = 0; i < hall_dbres_rows(a); i++) {
        o = hall_val_push_obj(req->pool, l);
        hall_dbres_set(req->pool, o, a, i, "id title state ordering deadline parties signed");
        hall_val_set_str(req->pool, o, "state_text", state_text(hall_dbres_str(a, i, "state")));
    }
    l = hall_val_set_list(req->pool, ctx, "waiting");
    for (i = 0; i < hall_dbres_rows(b); i++) {
        o = hall_val_push_obj(req->pool, l);
        hall_dbres_set(req->pool, o, b, i, "id title state ordering deadline position my_state");
        hall_val_set_str(req->pool, o, "state_text", state_text(hall_dbres_str(b, i, "state")));
        hall_val_set_str(req->pool, o, "my_state_text",
                         state_text(hall_dbres_str(b, i, "my_state")));
    }
    if (hall_req_wants_json(req))
        return hall_resp_ok(req, ctx);
    hall_val_set_str(req->pool, ctx, "title", "我的签署");
    return hall_resp_page(req, 200, "contract_list", ctx);
}

static int
flow_page(struct hall_req *req)
{
    struct hall_val *ctx, *l, *o;
    struct hall_dbres *f, *p;
    int64_t id;
    int i;

    if (flow_id(req, &id) != HALL_OK)
        return hall_msg(req, HALL_M_CONTRACT_NONE, "id");
    f = hall_db_exec(req->cx, "contract_flow", HALL_I64(id), HALL_I64(req->user_id));
    if (f == NULL)
        return hall_resp_busy(req);
    if (hall_dbres_rows(f) == 0)
        return hall_msg(req, HALL_M_CONTRACT_NONE, "id");
    p = hall_db_exec(req->cx, "contract_parties", HALL_I64(id), HALL_I64(req->user_id));
    if (p == NULL)
        return hall_resp_busy(req);
    ctx = hall_page_ctx(req);
    o = hall_val_set_obj(req->pool, ctx, "flow");
    hall_dbres_set(req->pool, o, f, 0,
                   "id title message ordering deadline state revision reason created_at "
                   "finished_at sha256 size");
    hall_val_set_str(req->pool, o, "state_text", state_text(hall_dbres_str(f, 0, "state")));
    hall_val_set_str(req->pool, o, "ordering_text",
                     strcmp(hall_dbres_str(f, 0, "ordering"), "parallel") == 0 ? "同时签署"
                                                                               : "顺序签署");
    hall_val_set_bool(req->pool, o, "mine", hall_dbres_bool(f, 0, "mine"));
    hall_val_set_bool(req->pool, o, "signing",
                      strcmp(hall_dbres_str(f, 0, "state"), "signing") == 0);
    l = hall_val_set_list(req->pool, ctx, "parties");
    for (i = 0; i < hall_dbres_rows(p); i++) {
        size_t elen = 0;
        unsigned char *enc =
            hall_dbres_bytea(req->cx, p, i, hall_dbres_col(p, "mobile_enc"), &elen);
        int me = hall_dbres_bool(p, i, "me");

        o = hall_val_push_obj(req->pool, l);
        hall_dbres_set(req->pool, o, p, i,
                       "position kind name uscc page x_mm y_mm state cert_serial reason "
                       "signed_at");
        hall_val_set_str(
            req->pool, o, "mobile",
            masked(req->pool, enc != NULL ? hall_pii_decrypt(req->pool, enc, elen) : NULL));
        hall_val_set_str(req->pool, o, "state_text", state_text(hall_dbres_str(p, i, "state")));
        hall_val_set_bool(req->pool, o, "me", me);
        if (me && strcmp(hall_dbres_str(p, i, "state"), "notified") == 0 &&
            strcmp(hall_dbres_str(f, 0, "state"), "signing") == 0) {
            struct hall_val *t = hall_val_set_obj(req->pool, ctx, "my_turn");

            hall_dbres_set(req->pool, t, p, i, "position kind name uscc page x_mm y_mm");
        }
    }
    if (hall_req_wants_json(req))
        return hall_resp_ok(req, ctx);
    hall_val_set_str(req->pool, ctx, "title", hall_dbres_str(f, 0, "title"));
    return hall_resp_page(req, 200, "contract_flow", ctx);
}

static int
file_get(struct hall_req *req)
{
    struct hall_dbres *f;
    int64_t id;

    if (flow_id(req, &id) != HALL_OK)
        return hall_msg(req, HALL_M_CONTRACT_NONE, "id");
    f = hall_db_exec(req->cx, "contract_flow", HALL_I64(id), HALL_I64(req->user_id));
    if (f == NULL)
        return hall_resp_busy(req);
    if (hall_dbres_rows(f) == 0)
        return hall_msg(req, HALL_M_CONTRACT_NONE, "id");
    /* which revision the bytes are: the signer sends its signature on it */
    hall_resp_header(req, "X-Contract-Revision", hall_dbres_str(f, 0, "revision"));
    hall_resp_header(req, "X-Contract-SHA256", hall_dbres_str(f, 0, "sha256"));
    return hall_resp_stored(req, hall_dbres_str(f, 0, "object_key"), "application/pdf",
                            hall_psprintf(req->pool, "contract-%lld-r%s.pdf", (long long)id,
                                          hall_dbres_str(f, 0, "revision")));
}

/* ---- writing ------------------------------------------------------------- */

/* the flow locked, in state signing: HALL_OK; else rolled back and answered,
 * HALL_ANSWERED (the handler returns HALL_OK then) */
static int
lock_signing(struct hall_req *req, int64_t id, const char *doing, struct hall_dbres **out)
{
    struct hall_dbres *f;

    if (hall_db_begin(req->cx) != HALL_OK)
        return db_fail(req), HALL_ANSWERED;
    f = hall_db_exec(req->cx, "contract_lock", HALL_I64(id));
    if (f == NULL)
        return db_fail(req), HALL_ANSWERED;
    if (hall_dbres_rows(f) == 0) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_CONTRACT_NONE, "id"), HALL_ANSWERED;
    }
    if (strcmp(hall_dbres_str(f, 0, "state"), "signing") != 0) {
        const char *st = state_text(hall_dbres_str(f, 0, "state"));

        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_CONTRACT_STATE, "id", st, doing), HALL_ANSWERED;
    }
    *out = f;
    return HALL_OK;
}

/* 1 when pdf begins with an earlier revision of the flow, not the current */
static int
outdated(struct hall_req *req, struct hall_dbres *revs, const unsigned char *pdf, size_t len)
{
    int i;

    for (i = 0; i + 1 < hall_dbres_rows(revs); i++) {
        size_t n = (size_t)hall_dbres_int(revs, i, "size");
        unsigned char sha[32];

        if (n >= len)
            continue;
        hall_sha256(pdf, n, sha);
        if (strcmp(hall_hex(req->pool, sha, 32), hall_dbres_str(revs, i, "sha256")) == 0)
            return 1;
    }
    return 0;
}

static int
sign_post(struct hall_req *req)
{
    static const char *const pdf_only[] = {"application/pdf", NULL};
    const struct hall_upload *up = hall_req_upload(req, "file");
    struct hall_dbres *f, *me, *revs;
    struct contract_party party;
    struct contract_signed done;
    struct hall_stored st = {0};
    unsigned char *cur;
    size_t cur_len = 0;
    int64_t id, party_id;
    int rev, status = 0, rc, code;
    const char *err = NULL, *state;

    if (flow_id(req, &id) != HALL_OK)
        return hall_msg(req, HALL_M_CONTRACT_NONE, "id");
    if (up == NULL || up->size == 0 || up->plain_len != up->size)
        return hall_msg(req, HALL_M_CONTRACT_FILE, "file");
    if (lock_signing(req, id, "签署", &f) != HALL_OK)
        return HALL_OK;
    rev = (int)hall_dbres_int(f, 0, "revision");
    me = hall_db_exec(req->cx, "contract_my_turn", HALL_I64(id), HALL_I64(req->user_id));
    if (me == NULL)
        return db_fail(req);
    if (hall_dbres_rows(me) == 0) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_CONTRACT_NOT_YOURS, "id");
    }
    party_id = hall_dbres_int(me, 0, "id");
    party.kind = hall_dbres_str(me, 0, "kind");
    party.name = hall_dbres_str(me, 0, "name");
    party.uscc = hall_dbres_str(me, 0, "uscc");
    revs = hall_db_exec(req->cx, "contract_revs", HALL_I64(id));
    if (revs == NULL || hall_dbres_rows(revs) != rev)
        return db_fail(req);
    cur = hall_file_read(req->cx, hall_dbres_str(revs, rev - 1, "object_key"), &cur_len, &status);
    if (cur == NULL) {
        hall_db_rollback(req->cx);
        return status == 504 || status == 503 ? hall_resp_busy(req)
                                              : hall_msg(req, HALL_M_CONTRACT_UNREADABLE, "id");
    }
    if (up->size <= cur_len || memcmp(up->data, cur, cur_len) != 0) {
        int old = outdated(req, revs, up->data, up->size);

        hall_db_rollback(req->cx);
        return hall_msg(req, old ? HALL_M_CONTRACT_OUTDATED : HALL_M_CONTRACT_NOT_APPEND, "file");
    }
    rc = contract_check(req, up->data, up->size, cur_len, &party, &done);
    if (rc != HALL_OK) {
        hall_db_rollback(req->cx);
        return req->responded ? HALL_OK : hall_resp_busy(req);
    }
    code = hall_file_store(req->cx, up, pdf_only, "PDF", &st, &err);
    if (code != 0) {
        hall_db_rollback(req->cx);
        return hall_resp_error(req, code, "file", err);
    }
    if (hall_signflow_signed(req->cx, id, party_id, rev + 1, st.name, st.sha256, st.size,
                             done.serial, req->app->conf.public_url, &state) != HALL_OK)
        goto fail;
    if (hall_db_commit(req->cx) != HALL_OK)
        goto fail;
    {
        struct hall_val *o = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, o, "state", state);
        hall_val_set_str(req->pool, o, "state_text", state_text(state));
        hall_val_set_int(req->pool, o, "revision", rev + 1);
        hall_val_set_str(req->pool, o, "cert_serial", done.serial);
        return answer_flow(req, id, o);
    }
fail:
    hall_db_rollback(req->cx);
    hall_file_discard(req->cx, st.name);
    return hall_resp_busy(req);
}

static const char *
reason_of(struct hall_req *req)
{
    const char *r = hall_req_param(req, "reason");

    if (r == NULL || *r == '\0' || strlen(r) > 600 || strpbrk(r, "<>\t\r\n") != NULL)
        return NULL;
    return r;
}

/* POST /contract/refuse: 拒签 by the party asked to sign now */
static int
refuse_post(struct hall_req *req)
{
    struct hall_dbres *f, *me;
    const char *reason = reason_of(req);
    int64_t id;

    if (flow_id(req, &id) != HALL_OK)
        return hall_msg(req, HALL_M_CONTRACT_NONE, "id");
    if (reason == NULL)
        return hall_msg(req, HALL_M_CONTRACT_REASON, "reason");
    if (lock_signing(req, id, "拒签", &f) != HALL_OK)
        return HALL_OK;
    me = hall_db_exec(req->cx, "contract_my_turn", HALL_I64(id), HALL_I64(req->user_id));
    if (me == NULL)
        return db_fail(req);
    if (hall_dbres_rows(me) == 0) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_CONTRACT_NOT_YOURS, "id");
    }
    if (hall_signflow_refused(req->cx, id, hall_dbres_int(me, 0, "id"), reason,
                              req->app->conf.public_url) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return db_fail(req);
    {
        struct hall_val *o = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, o, "state", "refused");
        return answer_flow(req, id, o);
    }
}

/* POST /contract/withdraw: 撤销 by the initiator before completion */
static int
withdraw_post(struct hall_req *req)
{
    struct hall_dbres *f;
    const char *reason = reason_of(req);
    int64_t id;

    if (flow_id(req, &id) != HALL_OK)
        return hall_msg(req, HALL_M_CONTRACT_NONE, "id");
    if (reason == NULL)
        return hall_msg(req, HALL_M_CONTRACT_REASON, "reason");
    if (lock_signing(req, id, "撤销", &f) != HALL_OK)
        return HALL_OK;
    if (hall_dbres_int(f, 0, "initiator_id") != req->user_id) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_CONTRACT_NONE, "id");
    }
    if (hall_signflow_withdrawn(req->cx, id, reason, req->app->conf.public_url) != HALL_OK ||
        hall_db_commit(req->cx) != HALL_OK)
        return db_fail(req);
    {
        struct hall_val *o = hall_val_obj(req->pool);

        hall_val_set_str(req->pool, o, "state", "withdrawn");
        return answer_flow(req, id, o);
    }
}

/* POST /contract/remind: 催签 by the initiator, each party at most once in 24 hours */
static int
remind_post(struct hall_req *req)
{
    struct hall_dbres *f;
    struct hall_val *o;
    int64_t id;
    int n = 0;

    if (flow_id(req, &id) != HALL_OK)
        return hall_msg(req, HALL_M_CONTRACT_NONE, "id");
    if (lock_signing(req, id, "催签", &f) != HALL_OK)
        return HALL_OK;
    if (hall_dbres_int(f, 0, "initiator_id") != req->user_id) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_CONTRACT_NONE, "id");
    }
    if (hall_signflow_remind(req->cx, id, req->app->conf.public_url, &n) != HALL_OK)
        return db_fail(req);
    if (n == 0) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_CONTRACT_REMIND_SOON, "id");
    }
    if (hall_db_commit(req->cx) != HALL_OK)
        return db_fail(req);
    o = hall_val_obj(req->pool);
    hall_val_set_int(req->pool, o, "reminded", n);
    return answer_flow(req, id, o);
}

static int
contract_init(struct hall_app *app)
{
    return contract_check_init(&app->conf);
}

static const struct hall_route contract_routes[] = {
    {"GET", "/contract", list_page, HALL_R_AUTH, NULL},
    {"GET", "/contract/", list_page, HALL_R_AUTH, NULL},
    {"GET", "/contract/new", new_page, HALL_R_AUTH, NULL},
    {"POST", "/contract/new", new_post, HALL_R_AUTH | HALL_R_MULTIPART, NULL},
    {"GET", "/contract/flow", flow_page, HALL_R_AUTH, NULL},
    {"GET", "/contract/file", file_get, HALL_R_AUTH, NULL},
    {"POST", "/contract/sign", sign_post, HALL_R_AUTH | HALL_R_MULTIPART, NULL},
    {"POST", "/contract/refuse", refuse_post, HALL_R_AUTH, NULL},
    {"POST", "/contract/withdraw", withdraw_post, HALL_R_AUTH, NULL},
    {"POST", "/contract/remind", remind_post, HALL_R_AUTH, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(contract, contract_routes, hall_signflow_stmts, contract_init)
