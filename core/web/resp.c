/* Responses: JSON from value trees, HTML pages from templates, redirects. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web/web.h"

void
hall_resp_header(struct hall_req *req, const char *name, const char *value)
{
    /* header values never carry CR/LF: they would split the response */
    if (strpbrk(value, "\r\n") != NULL || strpbrk(name, "\r\n:") != NULL)
        return;
    /* pieces, not a printf: an OCSP answer writes up to five headers, and
     * vsnprintf cost more than the rest of the answer (bench/ocsp-instr) */
    hall_buf_addstr(&req->headers, name);
    hall_buf_add(&req->headers, ": ", 2);
    hall_buf_addstr(&req->headers, value);
    hall_buf_add(&req->headers, "\r\n", 2);
}

void
hall_resp_cookie(struct hall_req *req, const char *name, const char *value, long max_age)
{
    char *c = hall_psprintf(req->pool, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s", name, value,
                            req->app->conf.cookie_secure ? "; Secure" : "");

    if (max_age >= 0)
        c = hall_psprintf(req->pool, "%s; Max-Age=%ld", c, max_age);
    hall_resp_header(req, "Set-Cookie", c);
}

int
hall_resp_raw(struct hall_req *req, int status, const char *ctype, const void *p, size_t n)
{
    req->status = status;
    hall_resp_header(req, "Content-Type", ctype);
    hall_buf_reset(&req->body);
    if (hall_buf_add(&req->body, p, n) != HALL_OK) {
        req->status = 500;
        hall_buf_reset(&req->body);
    }
    req->responded = 1;
    return HALL_OK;
}

int
hall_resp_json(struct hall_req *req, int status, const struct hall_val *v)
{
    static const char fallback[] = "{\"ok\":false,\"message\":\"系统错误\"}";
    size_t n;
    char *s = hall_val_json(req->pool, v, &n);

    if (s == NULL)
        return hall_resp_raw(req, 500, "application/json; charset=utf-8", fallback,
                             sizeof(fallback) - 1);
    hall_resp_header(req, "Cache-Control", "no-store");
    return hall_resp_raw(req, status, "application/json; charset=utf-8", s, n);
}

int
hall_resp_ok(struct hall_req *req, const struct hall_val *extra)
{
    struct hall_val *v = hall_val_obj(req->pool);
    const struct hall_val *c;

    hall_val_set_bool(req->pool, v, "ok", 1);
    if (extra != NULL)
        for (c = extra->first; c != NULL; c = c->next) {
            struct hall_val *copy = hall_pcalloc(req->pool, sizeof(*copy));

            *copy = *c;
            copy->next = NULL;
            if (v->last != NULL)
                v->last->next = copy;
            v->last = copy;
        }
    return hall_resp_json(req, 200, v);
}

/* the form token of whichever session the route uses (the loop says how) */
static const char *
csrf_of(struct hall_req *req)
{
    return req->csrf != NULL ? req->csrf(req) : "";
}

struct hall_val *
hall_page_ctx(struct hall_req *req)
{
    struct hall_val *ctx = hall_val_obj(req->pool);

    hall_val_set_str(req->pool, ctx, "csrf", csrf_of(req));
    hall_val_set_str(req->pool, ctx, "partner", req->partner);
    hall_val_set_bool(req->pool, ctx, "logged_in", req->user_id != 0);
    if (req->user_id != 0 && req->session != NULL && req->session->who != NULL &&
        req->session->who[0] != '\0')
        hall_val_set_str(req->pool, ctx, "who", req->session->who);
    if (req->staff != NULL) {
        struct hall_val *st = hall_val_set_obj(req->pool, ctx, "staff");

        hall_val_set_str(req->pool, st, "login", req->staff->login);
        hall_val_set_str(req->pool, st, "name",
                         req->staff->name[0] != '\0' ? req->staff->name : req->staff->login);
    }
    hall_val_set_str(req->pool, ctx, "base",
                     req->partner[0] != '\0' ? hall_psprintf(req->pool, "/%s", req->partner) : "");
    /* seed 001's 产品方案 (电子签章): only the hall itself sells the seals
     * (docs/partners.md), so a partner's header leaves it out */
    hall_val_set_bool(req->pool, ctx, "nav_product", req->partner[0] == '\0');
    return ctx;
}

/* the partner's row as every applicant's page reads it (a worker's copy
 * of reference rows), or NULL: the generic hall, or none */
static struct hall_dbres *
partner_row(struct hall_req *req)
{
    struct hall_dbres *res;

    if (req->partner[0] == '\0' || req->cx == NULL || req->cx->in_tx)
        return NULL;
    res = hall_db_ref(req->cx, "partner_site_name", HALL_STR(req->partner));
    return res != NULL && hall_dbres_rows(res) == 1 ? res : NULL;
}

/* the header's name on every applicant's page: the partner's hall by its
 * name, the generic hall 深圳CA网上营业厅 (the console sets its own) */
static const char *
site_name(struct hall_req *req)
{
    struct hall_dbres *res = partner_row(req);

    return res != NULL ? hall_pstrdup(req->pool, hall_dbres_str(res, 0, "name"))
                       : "深圳CA网上营业厅";
}

/* seed 001's 个人中心 with a partner's own list (我的业务单-光大环境内部应用):
 * the menu's entries for the applicant's orders made through a partner —
 * on that partner's hall its own, on the generic hall every partner's
 * (seeds 001 and 004 show it there); `current` marks the one the page
 * lists (/center/orders?channel=CODE) */
static void
channel_orders(struct hall_req *req, struct hall_val *ctx)
{
    struct hall_dbres *res;
    struct hall_val *list = NULL;
    const char *shown = hall_req_query(req, "channel");
    int i, n;

    if (req->partner[0] != '\0') {
        res = partner_row(req);
        if (res == NULL || *hall_dbres_str(res, 0, "center_orders_label") == '\0')
            return;
    } else {
        if (req->cx == NULL || req->cx->in_tx)
            return;
        res = hall_db_ref(req->cx, "partner_center_channels");
        if (res == NULL)
            return;
    }
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        const char *code = req->partner[0] != '\0' ? req->partner : hall_dbres_str(res, i, "code");
        struct hall_val *c;

        if (list == NULL)
            list = hall_val_set_list(req->pool, ctx, "channel_orders");
        c = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, c, "code", hall_pstrdup(req->pool, code));
        hall_val_set_str(req->pool, c, "label",
                         hall_pstrdup(req->pool, hall_dbres_str(res, i, "center_orders_label")));
        hall_val_set_bool(req->pool, c, "current", shown != NULL && strcmp(shown, code) == 0);
    }
}

int
hall_resp_page(struct hall_req *req, int status, const char *name, struct hall_val *ctx)
{
    struct hall_buf *inner;

    if (ctx == NULL)
        ctx = hall_page_ctx(req);
    if (hall_val_get(ctx, "csrf") == NULL)
        hall_val_set_str(req->pool, ctx, "csrf", csrf_of(req));
    if (hall_val_get(ctx, "logged_in") == NULL)
        hall_val_set_bool(req->pool, ctx, "logged_in", req->user_id != 0);
    if (hall_val_get(ctx, "site_name") == NULL && hall_val_get(ctx, "admin_page") == NULL)
        hall_val_set_str(req->pool, ctx, "site_name", site_name(req));
    if (hall_val_get(ctx, "channel_orders") == NULL && hall_val_get(ctx, "admin_page") == NULL)
        channel_orders(req, ctx);
    hall_val_set_str(req->pool, ctx, "asset_v", req->app->asset_v);
    inner = hall_buf_new(req->pool, 4 * 1024 * 1024);
    if (hall_tmpl_render(req->app->tmpl, name, ctx, inner) != HALL_OK) {
        hall_err(req, "msg=\"template failed\" tmpl=%s", name);
        return hall_resp_raw(req, 500, "text/plain; charset=utf-8", "系统错误", 12);
    }
    /* the inner page as it is, not a copy: its buffer lives as long as the pool */
    hall_val_set_str(req->pool, ctx, "body", "")->str = inner->data != NULL ? inner->data : "";
    hall_buf_reset(&req->body);
    if (hall_tmpl_render(req->app->tmpl, "layout", ctx, &req->body) != HALL_OK) {
        hall_err(req, "msg=\"template failed\" tmpl=layout");
        return hall_resp_raw(req, 500, "text/plain; charset=utf-8", "系统错误", 12);
    }
    req->status = status;
    hall_resp_header(req, "Content-Type", "text/html; charset=utf-8");
    hall_resp_header(req, "Cache-Control", "no-store");
    req->responded = 1;
    return HALL_OK;
}

int
hall_resp_error(struct hall_req *req, int status, const char *field, const char *message)
{
    struct hall_val *v = hall_val_obj(req->pool);

    hall_buf_reset(&req->headers);
    if (hall_req_wants_json(req)) {
        hall_val_set_bool(req->pool, v, "ok", 0);
        hall_val_set_str(req->pool, v, "field", field);
        hall_val_set_str(req->pool, v, "message", message);
        return hall_resp_json(req, status, v);
    }
    v = hall_page_ctx(req);
    hall_val_set_str(req->pool, v, "title", status == 404 ? "页面不存在" : "操作未完成");
    hall_val_set_str(req->pool, v, "message", message);
    hall_val_set_int(req->pool, v, "status", status);
    return hall_resp_page(req, status, "error", v);
}

void
hall_errors_add(struct hall_pool *pool, struct hall_errors *e, int status, const char *field,
                const char *message)
{
    struct hall_ferr *f;

    for (f = e->first; f != NULL; f = f->next)
        if (field != NULL && f->field != NULL && strcmp(f->field, field) == 0)
            return; /* one message per field: the first found */
    f = hall_pcalloc(pool, sizeof(*f));
    f->field = field;
    f->message = message;
    if (e->last != NULL)
        e->last->next = f;
    else
        e->first = f;
    e->last = f;
    if (e->n++ == 0)
        e->status = status;
}

int
hall_errors_has(const struct hall_errors *e, const char *field)
{
    const struct hall_ferr *f;

    for (f = e->first; f != NULL; f = f->next)
        if (f->field != NULL && strcmp(f->field, field) == 0)
            return 1;
    return 0;
}

void
hall_errors_drop(struct hall_errors *e, const char *field)
{
    struct hall_ferr *f, *prev = NULL;

    for (f = e->first; f != NULL; prev = f, f = f->next) {
        if (f->field == NULL || strcmp(f->field, field) != 0)
            continue;
        if (prev != NULL)
            prev->next = f->next;
        else
            e->first = f->next;
        if (e->last == f)
            e->last = prev;
        e->n--; /* e->status stays: every field's error is a 400 */
        return;
    }
}

int
hall_resp_errors(struct hall_req *req, const struct hall_errors *e)
{
    struct hall_val *v, *list;
    const struct hall_ferr *f;

    if (e->first == NULL)
        return hall_resp_busy(req);
    hall_buf_reset(&req->headers);
    if (hall_req_wants_json(req)) {
        v = hall_val_obj(req->pool);
        hall_val_set_bool(req->pool, v, "ok", 0);
        hall_val_set_str(req->pool, v, "field", e->first->field);
        hall_val_set_str(req->pool, v, "message", e->first->message);
        list = hall_val_set_list(req->pool, v, "errors");
        for (f = e->first; f != NULL; f = f->next) {
            struct hall_val *o = hall_val_push_obj(req->pool, list);

            hall_val_set_str(req->pool, o, "field", f->field);
            hall_val_set_str(req->pool, o, "message", f->message);
        }
        return hall_resp_json(req, e->status, v);
    }
    v = hall_page_ctx(req);
    hall_val_set_str(req->pool, v, "title", e->status == 404 ? "页面不存在" : "操作未完成");
    hall_val_set_str(req->pool, v, "message", e->first->message);
    hall_val_set_int(req->pool, v, "status", e->status);
    if (e->n > 1) {
        list = hall_val_set_list(req->pool, v, "errors");
        for (f = e->first->next; f != NULL; f = f->next)
            hall_val_push_str(req->pool, list, f->message);
    }
    return hall_resp_page(req, e->status, "error", v);
}

int
hall_local_path(const char *s)
{
    const unsigned char *p;

    if (s == NULL || s[0] != '/' || s[1] == '/' || s[1] == '\\')
        return 0;
    for (p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return 0;
    return 1;
}

int
hall_resp_redirect(struct hall_req *req, const char *location)
{
    /* only local paths: an open redirect would help phishing */
    if (!hall_local_path(location))
        location = "/";
    /* nginx refuses response headers beyond its buffer (502): never echo
     * an endless query string back in a Location */
    if (strlen(location) > 2048)
        location = "/";
    req->status = 303;
    hall_resp_header(req, "Location", location);
    hall_buf_reset(&req->body);
    req->responded = 1;
    return HALL_OK;
}

/*
 * A failure of the store.  When the connection broke with a write in flight
 * (core/store/db.c) the write may have been stored: a request that may
 * write (not GET or HEAD) is told so, with its id (the audit log's
 * request_id) and the key it wrote with, if any (write_key: the same
 * request sent again with it as submit_key finds what was stored).
 */
int
hall_resp_busy(struct hall_req *req)
{
    struct hall_val *v;
    const char *id;
    char *s;

    /* no method: work of a program's own (hall_app_req), answered to no one */
    if (req->cx == NULL || !hall_db_fate_unknown(req->cx) || req->method == NULL ||
        strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
        return hall_msg(req, HALL_M_BUSY, NULL);
    id = req->request_id != NULL ? req->request_id : "-";
    s = hall_msg_text(req->pool, HALL_M_BUSY_UNKNOWN, id);
    if (!hall_req_wants_json(req))
        return hall_resp_error(req, 503, NULL, s);
    hall_buf_reset(&req->headers);
    v = hall_val_obj(req->pool);
    hall_val_set_bool(req->pool, v, "ok", 0);
    hall_val_set_str(req->pool, v, "message", s);
    hall_val_set_str(req->pool, v, "outcome", "unknown");
    hall_val_set_str(req->pool, v, "request_id", id);
    if (req->write_key != NULL)
        hall_val_set_str(req->pool, v, "submit_key", req->write_key);
    return hall_resp_json(req, 503, v);
}

int
hall_resp_go(struct hall_req *req, const char *location, const char *message)
{
    struct hall_val *v;

    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, location);
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "redirect", location);
    if (message != NULL)
        hall_val_set_str(req->pool, v, "message", message);
    return hall_resp_ok(req, v);
}

int
hall_resp_bytes(struct hall_req *req, const unsigned char *p, size_t n, const char *mime,
                const char *download_name)
{
    hall_resp_raw(req, 200, mime, p, n);
    hall_resp_header(req, "X-Content-Type-Options", "nosniff");
    hall_resp_header(req, "Cache-Control", "private, no-store");
    hall_resp_header(req, "Content-Disposition",
                     hall_psprintf(req->pool, "attachment; filename=\"%s\"", download_name));
    return HALL_OK;
}

/*
 * A stored file (core/store/file.c), decrypted, as a download named
 * download_name.  What can go wrong is said plainly: an object missing
 * from the store or failing its GCM tag names the file (404), a store that
 * does not answer is the hall's own 503/504, never a 5xx page of nginx's.
 */
int
hall_resp_stored(struct hall_req *req, const char *stored, const char *mime,
                 const char *download_name)
{
    unsigned char *data;
    size_t len;
    int status;

    data = hall_file_read(req->cx, stored, &len, &status);
    if (data != NULL)
        return hall_resp_bytes(req, data, len, mime, download_name);
    switch (status) {
    case 504: return hall_msg(req, HALL_M_PROVIDER_TIMEOUT, NULL, "文件存储");
    case 503: return hall_msg(req, HALL_M_PROVIDER_DOWN, NULL, "文件存储");
    default:
        hall_err(req, "msg=\"stored file %s\" name=%s", status == 404 ? "missing" : "fails its tag",
                 stored != NULL ? stored : "-");
        return hall_msg(req, HALL_M_FILE_LOST, NULL, download_name);
    }
}

/* ---- answers with a message of the table (msg.c) ---------------------------- */

int
hall_msg(struct hall_req *req, enum hall_msg_code c, const char *field, ...)
{
    va_list ap;
    char *s;

    va_start(ap, field);
    s = hall_msg_vtext(req->pool, c, ap);
    va_end(ap);
    return hall_resp_error(req, (unsigned)c < HALL_M__COUNT ? hall_msgs[c].status : 503, field, s);
}

int
hall_msg_as(struct hall_req *req, int status, enum hall_msg_code c, const char *field, ...)
{
    va_list ap;
    char *s;

    va_start(ap, field);
    s = hall_msg_vtext(req->pool, c, ap);
    va_end(ap);
    return hall_resp_error(req, status, field, s);
}

void
hall_msg_add(struct hall_req *req, struct hall_errors *e, enum hall_msg_code c, const char *field,
             ...)
{
    va_list ap;
    char *s;

    va_start(ap, field);
    s = hall_msg_vtext(req->pool, c, ap);
    va_end(ap);
    hall_errors_add(req->pool, e, (unsigned)c < HALL_M__COUNT ? hall_msgs[c].status : 503, field,
                    s);
}
