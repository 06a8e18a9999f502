/*
 * center_orders.c: 我的业务单: the applicant's orders of every business type
 * with filters, pagination and the actions each status allows (GET
 * /center/orders, its first page with the session in one round trip), one
 * order (GET /center/order), 申请退费 (POST /center/refund) and the
 * e-invoice's link sent again (POST /center/invoice/resend).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center.h"
#include "biz/ordertext.h"

const char *
center_business_label(const char *code)
{
    return hall_business_label(code);
}

/* 金额: every part of the certificate fee (证书费, 介质费, 电子签章…), as the
 * product names them and when they add up to what was charged */
static void
amount_parts(struct hall_req *req, struct hall_val *o, const struct hall_dbres *res)
{
    struct hall_price pr;
    const char *parts;

    if (strcmp(hall_dbres_str(res, 0, "business_type"), "seal") == 0) {
        /* a 电子签章申请: its seals, as its form totals them (印章费) */
        hall_val_set_fmt(req->pool, o, "cert_parts", "印章费%s元",
                         hall_yuan(req->pool, hall_dbres_int(res, 0, "cert_fen")));
        return;
    }
    pr.per_year_fen = hall_dbres_int(res, 0, "price_per_year_fen");
    pr.fixed_fen = hall_dbres_int(res, 0, "fixed_fee_fen");
    pr.seal_per_year_fen = hall_dbres_int(res, 0, "seal_fee_per_year_fen");
    parts = hall_price_parts(req->pool, hall_dbres_str(res, 0, "breakdown"), &pr,
                             (int)hall_dbres_int(res, 0, "years"), hall_dbres_bool(res, 0, "seal"),
                             hall_dbres_int(res, 0, "cert_fen"));
    if (parts != NULL)
        hall_val_set_str(req->pool, o, "cert_parts", parts);
}

/* the flows whose unfinished orders 继续办理 and 编辑 lead back into: the
 * kit's steps under /<business> (证书新办, 证书变更, 证书更新, 证书解锁) */
static int
resumable(const char *business)
{
    return strcmp(business, "new") == 0 || strcmp(business, "change") == 0 ||
           strcmp(business, "renew") == 0 || strcmp(business, "unlock") == 0;
}

/* where "继续办理" leads for an unfinished order of such a flow */
static const char *
step_url(struct hall_req *req, const char *business, const char *step, const char *id)
{
    const char *base = hall_req_base(req);

    if (!resumable(business))
        return NULL;
    if (strcmp(step, "info") == 0)
        return hall_pstrcat(req->pool, base, "/", business, "/print?id=", id, NULL);
    if (strcmp(step, "print") == 0)
        return hall_pstrcat(req->pool, base, "/", business, "/upload?id=", id, NULL);
    if (strcmp(step, "upload") == 0)
        return hall_pstrcat(req->pool, base, "/", business, "/identity?id=", id, NULL);
    return hall_pstrcat(req->pool, base, "/", business, "/apply?id=", id, NULL);
}

/*
 * The actions of the seeds' 操作 column for a status: 查看 always; 编辑 and
 * 继续办理 while the applicant owns the next move; 缴费, 金融认证, 待认证,
 * 申请退费 as the status allows.
 */
/* the certificate made: no refund any more (seeds: refundable until then) */
static int
produced(const char *status)
{
    return strcmp(status, "issued") == 0 || strcmp(status, "shipped") == 0 ||
           strcmp(status, "delivered") == 0;
}

/* what the status says of a refund: 1 refundable, -1 closed (the
 * certificate made), 0 neither; a page's rows mostly share their status, so
 * orders_rows asks once per run of equal statuses */
static int
refund_state(const char *status)
{
    if (hall_order_can(status, "refund_requested"))
        return 1;
    return produced(status) ? -1 : 0;
}

/* the actions of an order (id, business, status, step; refund as
 * refund_state(status) says) into row: its members are new (hall_val_add_*) */
static void
actions_ctx(struct hall_req *req, struct hall_val *row, const char *id, const char *business,
            const char *status, const char *step, int refund)
{
    struct hall_val *list = hall_val_add_list(req->pool, row, "actions");
    const char *base = hall_req_base(req);
    struct hall_val *a;

#define ACTION(label_, url_)                                                                       \
    do {                                                                                           \
        a = hall_val_push_obj(req->pool, list);                                                    \
        hall_val_add_str(req->pool, a, "label", (label_));                                         \
        hall_val_add_str(req->pool, a, "url", (url_));                                             \
    } while (0)

    ACTION("查看", hall_pstrcat(req->pool, base, "/center/order?id=", id, NULL));
    if (strcmp(status, "draft") == 0) {
        const char *u = step_url(req, business, step, id);

        if (u != NULL)
            ACTION("继续办理", u);
        if (resumable(business))
            ACTION("编辑", hall_pstrcat(req->pool, base, "/", business, "/apply?id=", id, NULL));
    } else if (strcmp(status, "rejected") == 0 && resumable(business)) {
        ACTION("编辑", hall_pstrcat(req->pool, base, "/", business, "/apply?id=", id, NULL));
    } else if (strcmp(status, "unpaid") == 0) {
        ACTION("缴费", hall_pstrcat(req->pool, base, "/pay?id=", id, NULL));
    } else if (strcmp(status, "finauth_ok") == 0) {
        ACTION("待认证", hall_pstrcat(req->pool, base, "/finauth?id=", id, NULL));
    } else if (strcmp(status, "finauth_failed") == 0) {
        ACTION("金融认证", hall_pstrcat(req->pool, base, "/finauth?id=", id, NULL));
    }
    if (refund > 0)
        hall_val_add_bool(req->pool, row, "refundable", 1);
    else if (refund < 0)
        hall_val_add_str(req->pool, row, "refund_closed", hall_msgs[HALL_M_REFUND_PRODUCED].text);
#undef ACTION
}

/* a filter value: trimmed, bounded, else "" */
static const char *
filter(struct hall_req *req, const char *name, size_t max)
{
    const char *v = hall_req_query(req, name);
    size_t n;

    if (v == NULL)
        return "";
    while (*v == ' ')
        v++;
    n = strlen(v);
    while (n > 0 && v[n - 1] == ' ')
        n--;
    if (n > max)
        return NULL;
    return hall_pstrndup(req->pool, v, n);
}

static int
is_date(const char *s)
{
    int y, m, d;
    char tail;

    if (*s == '\0')
        return 1;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return 0;
    return y >= 2000 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* int4out's text as a number: glibc's strtol cost as much as the rest of
 * day_text (its locale and base handling) */
static long
day_number(const char *s)
{
    long n = 0;
    int neg = *s == '-';

    for (s += neg; *s >= '0' && *s <= '9'; s++)
        n = n * 10 + (*s - '0');
    return neg ? -n : n;
}

/* days since 2000-01-01 (the statements' created, updated) as YYYY-MM-DD, the proleptic Gregorian
 * calendar's day as PostgreSQL's date_out writes it */
static const char *
day_text(struct hall_pool *pool, const char *days)
{
    /* days since 0000-03-01, then 400-year eras of 146,097 days */
    long z = day_number(days) + 730425;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    long y = yoe + era * 400 + (m <= 2);
    char *out = hall_palloc(pool, 11);

    if (y < 0 || y > 9999)
        return hall_psprintf(pool, "%ld-%02ld-%02ld", y, m, d);
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
    return out;
}

/* the rows of a page (id, order_no, business_type, subject, amount_fen,
 * created, updated as days, status, step); n of them.  The strings stay
 * in res, which lives as long as the request's pool */
static void
orders_rows(struct hall_req *req, struct hall_val *list, struct hall_dbres *res, int n, long page)
{
    /* the columns by name, resolved once for the page's rows (both the
     * one-trip first page and the filtered page name them alike) */
    int c_id = hall_dbres_col(res, "id"), c_no = hall_dbres_col(res, "order_no");
    int c_biz = hall_dbres_col(res, "business_type"), c_subject = hall_dbres_col(res, "subject");
    int c_amount = hall_dbres_col(res, "amount_fen"), c_created = hall_dbres_col(res, "created");
    int c_updated = hall_dbres_col(res, "updated"), c_status = hall_dbres_col(res, "status");
    int c_step = hall_dbres_col(res, "step");
    /* a page's rows mostly share their type and status: looked up once */
    const char *last_biz = NULL, *biz_label = NULL, *last_s = NULL, *s_label = NULL;
    int i, refund = 0;

    for (i = 0; i < n; i++) {
        struct hall_val *row = hall_val_push_obj(req->pool, list);
        const char *id = hall_dbres_get(res, i, c_id);
        const char *biz = hall_dbres_get(res, i, c_biz);
        const char *s = hall_dbres_get(res, i, c_status);

        if (last_biz == NULL || strcmp(biz, last_biz) != 0) {
            last_biz = biz;
            biz_label = center_business_label(biz);
        }
        if (last_s == NULL || strcmp(s, last_s) != 0) {
            last_s = s;
            s_label = hall_order_label(s) ?: s;
            refund = refund_state(s);
        }
        hall_val_add_int(req->pool, row, "seq", (page - 1) * PAGE_SIZE + i + 1);
        hall_val_add_str(req->pool, row, "id", id);
        hall_val_add_str(req->pool, row, "order_no", hall_dbres_get(res, i, c_no));
        hall_val_add_str(req->pool, row, "business", biz_label);
        hall_val_add_str(req->pool, row, "subject", hall_dbres_get(res, i, c_subject));
        hall_val_add_str(req->pool, row, "amount",
                         hall_yuan(req->pool, hall_dbres_i64(res, i, c_amount)));
        hall_val_add_str(req->pool, row, "created",
                         day_text(req->pool, hall_dbres_get(res, i, c_created)));
        hall_val_add_str(req->pool, row, "updated",
                         day_text(req->pool, hall_dbres_get(res, i, c_updated)));
        hall_val_add_str(req->pool, row, "status", s_label);
        hall_val_add_str(req->pool, row, "status_code", s);
        /* an order of 0 元 has nothing to pay back: no 申请退费 */
        actions_ctx(req, row, id, biz, s, hall_dbres_get(res, i, c_step),
                    hall_dbres_get(res, i, c_amount)[0] != '0' ? refund : 0);
    }
}

/*
 * Page 1 without a filter, what nearly every visit asks for: the session,
 * the total and the page in one statement (orders_first).  HALL_OK with
 * *res NULL when the visitor is not logged in.
 */
static int
orders_first_load(struct hall_req *req, struct hall_dbres **res, long *total, int *n)
{
    const unsigned char *hash = hall_session_token(req);
    struct hall_dbres *r;

    *res = NULL;
    if (hash == NULL)
        return HALL_OK;
    r = hall_db_exec(req->cx, "orders_first", HALL_BIN(hash, 32));
    if (r == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(r) == 0)
        return HALL_OK;
    if (hall_session_accept(req, hash, hall_dbres_int(r, 0, "user_id"),
                            hall_dbres_str(r, 0, "partner_code"), hall_dbres_str(r, 0, "who"),
                            hall_dbres_bool(r, 0, "stale")) != HALL_OK)
        return hall_req_failed(req);
    *total = (long)hall_dbres_int(r, 0, "total");
    /* no order: one row of the session with NULLs for the page */
    *n = hall_dbres_isnull(r, 0, hall_dbres_col(r, "id")) ? 0 : hall_dbres_rows(r);
    *res = r;
    return HALL_OK;
}

/* the query's page: 1 when absent or empty; 0 when it is not a number of
 * 1 to 100,000 (*page is then 1) */
int
center_query_page(struct hall_req *req, long *page)
{
    const char *s = hall_req_query(req, "page");
    char *end;

    *page = 1;
    if (s == NULL || *s == '\0')
        return 1;
    *page = strtol(s, &end, 10);
    if (*end != '\0' || *page < 1 || *page > 100000) {
        *page = 1;
        return 0;
    }
    return 1;
}

/* the choices of the filters 业务类型 and 状态, the chosen ones selected */
static void
filter_options(struct hall_req *req, struct hall_val *ctx, const char *biz, const char *status)
{
    const struct hall_order_state *st;
    struct hall_val *opts;
    int i;

    opts = hall_val_set_list(req->pool, ctx, "business_opts");
    for (i = 0; hall_businesses[i].code != NULL; i++) {
        struct hall_val *o = hall_val_push_obj(req->pool, opts);

        hall_val_add_str(req->pool, o, "code", hall_businesses[i].code);
        hall_val_add_str(req->pool, o, "label", hall_businesses[i].label);
        hall_val_add_bool(req->pool, o, "selected", strcmp(biz, hall_businesses[i].code) == 0);
    }
    opts = hall_val_set_list(req->pool, ctx, "status_opts");
    for (st = hall_order_states(); st->code != NULL; st++) {
        struct hall_val *o = hall_val_push_obj(req->pool, opts);

        hall_val_add_str(req->pool, o, "code", st->code);
        hall_val_add_str(req->pool, o, "label", st->label);
        hall_val_add_bool(req->pool, o, "selected", strcmp(status, st->code) == 0);
    }
}

int
center_orders_page(struct hall_req *req)
{
    const char *no = filter(req, "order_no", 32), *biz = filter(req, "business", 16);
    const char *subject = filter(req, "subject", 100), *status = filter(req, "status", 32);
    const char *from = filter(req, "from", 10), *to = filter(req, "to", 10);
    /* 我的业务单-光大环境内部应用: the orders made through one partner */
    const char *channel = filter(req, "channel", 32);
    long page, pages, total = 0;
    struct hall_val *ctx, *list;
    struct hall_dbres *res;
    int n, plain, page_ok = center_query_page(req, &page);

    /* the route reads its own session (HALL_R_NOSESSION): a visitor who is
     * not logged in is sent to the login page before any check of the
     * filters, as for every HALL_R_AUTH route */
    plain = no != NULL && *no == '\0' && biz != NULL && *biz == '\0' && subject != NULL &&
            *subject == '\0' && status != NULL && *status == '\0' && from != NULL &&
            *from == '\0' && to != NULL && *to == '\0' && channel != NULL && *channel == '\0' &&
            page_ok;
    if (plain && page == 1) {
        if (orders_first_load(req, &res, &total, &n) != HALL_OK)
            return hall_req_failed(req);
        if (res == NULL)
            return hall_resp_login(req);
        goto render;
    }
    if (hall_session_load(req) != HALL_OK)
        return hall_req_failed(req);
    if (req->user_id == 0)
        return hall_resp_login(req);
    if (no == NULL)
        return hall_msg(req, HALL_M_FILTER_ORDER_NO, "order_no");
    if (subject == NULL)
        return hall_msg(req, HALL_M_FILTER_SUBJECT, "subject");
    if (biz == NULL || (*biz != '\0' && strcmp(center_business_label(biz), biz) == 0))
        return hall_msg(req, HALL_M_FILTER_BUSINESS, "business");
    if (status == NULL || (*status != '\0' && hall_order_label(status) == NULL))
        return hall_msg(req, HALL_M_FILTER_STATUS, "status");
    if (from == NULL || !is_date(from))
        return hall_msg(req, HALL_M_FILTER_FROM, "from");
    if (to == NULL || !is_date(to))
        return hall_msg(req, HALL_M_FILTER_TO, "to");
    if (!page_ok)
        return hall_msg(req, HALL_M_FILTER_PAGE, "page");
    if (channel == NULL)
        channel = "-"; /* longer than a partner's code: no such channel, no rows */
    res = hall_db_exec(req->cx, "orders_page", HALL_I64(req->user_id), HALL_STR(no), HALL_STR(biz),
                       HALL_STR(subject), HALL_STR(status), HALL_STR(from), HALL_STR(to),
                       HALL_I64(PAGE_SIZE), HALL_I64((page - 1) * PAGE_SIZE), HALL_STR(channel));
    if (res == NULL) {
        /* a date like 2024-02-31 passes is_date but not PostgreSQL */
        if (strncmp(hall_db_sqlstate(req->cx), "22", 2) == 0)
            return hall_msg(req, HALL_M_FILTER_DATE, "from");
        return HALL_ERR;
    }
    n = hall_dbres_rows(res);
    /* a short first page is its own count; without a filter the count is
     * kept (sql/029_order_counts.sql) */
    if (page == 1 && n < PAGE_SIZE) {
        total = n;
    } else {
        struct hall_dbres *cnt =
            plain ? hall_db_exec(req->cx, "orders_total", HALL_I64(req->user_id))
                  : hall_db_exec(req->cx, "orders_count", HALL_I64(req->user_id), HALL_STR(no),
                                 HALL_STR(biz), HALL_STR(subject), HALL_STR(status), HALL_STR(from),
                                 HALL_STR(to), HALL_STR(channel));

        if (cnt == NULL)
            return HALL_ERR;
        total = (long)hall_dbres_int(cnt, 0, "total");
    }
render:
    pages = total == 0 ? 1 : (total + PAGE_SIZE - 1) / PAGE_SIZE;
    if (hall_req_wants_json(req) && req->accept != NULL &&
        strstr(req->accept, "application/json") != NULL) {
        /* the rows with their actions, and no page context (the form's
         * token, the filters' options): JSON shows none of it */
        struct hall_val *v = hall_val_obj(req->pool);

        hall_val_set_int(req->pool, v, "total", total);
        hall_val_set_int(req->pool, v, "page", page);
        hall_val_set_int(req->pool, v, "pages", pages);
        orders_rows(req, hall_val_set_list(req->pool, v, "orders"), res, n, page);
        return hall_resp_ok(req, v);
    }
    ctx = hall_page_ctx(req);
    hall_val_set_str(req->pool, ctx, "title", "我的业务单");
    list = hall_val_set_list(req->pool, ctx, "orders");
    orders_rows(req, list, res, n, page);
    hall_val_set_int(req->pool, ctx, "total", total);
    hall_val_set_int(req->pool, ctx, "page", page);
    hall_val_set_int(req->pool, ctx, "pages", pages);
    if (page > 1)
        hall_val_set_int(req->pool, ctx, "prev", page - 1);
    if (page < pages)
        hall_val_set_int(req->pool, ctx, "next_page", page + 1);
    {
        /* the current filters, for the form and the page links */
        struct hall_val *f = hall_val_set_obj(req->pool, ctx, "f");
        const char *qs;

        hall_val_set_str(req->pool, f, "order_no", no);
        hall_val_set_str(req->pool, f, "subject", subject);
        hall_val_set_str(req->pool, f, "from", from);
        hall_val_set_str(req->pool, f, "to", to);
        hall_val_set_str(req->pool, f, "channel", channel != NULL ? channel : "");
        qs = hall_psprintf(req->pool,
                           "order_no=%s&business=%s&subject=%s&status=%s&from=%s&to=%s&channel=%s",
                           hall_url_encode(req->pool, no), hall_url_encode(req->pool, biz),
                           hall_url_encode(req->pool, subject), hall_url_encode(req->pool, status),
                           hall_url_encode(req->pool, from), hall_url_encode(req->pool, to),
                           hall_url_encode(req->pool, channel != NULL ? channel : ""));
        hall_val_set_str(req->pool, ctx, "qs", qs);
    }
    filter_options(req, ctx, biz, status);
    return hall_resp_page(req, 200, "center_orders", ctx);
}

/* 邮寄方式 as the applicant chose it: 到付 (the receiver pays the carrier,
 * nothing on the bill: 邮费到付, not 邮费0.00元) or 寄付 (its fee on the
 * bill); nothing for an order that mails nothing */
static int
shipping_ctx(struct hall_req *req, struct hall_val *o, struct hall_dbres *res)
{
    const struct hall_val *form = NULL, *way, *c;
    const char *carrier;
    int prepaid;

    if (!hall_dbres_isnull(res, 0, hall_dbres_col(res, "form_enc"))) {
        form = hall_dbres_pii_json(req->cx, res, 0, hall_dbres_col(res, "form_enc"));
        if (form == NULL) {
            /* the hall's own mistake: 500, logged */
            hall_err(req, "msg=\"order form unreadable\" order=%s", hall_dbres_str(res, 0, "id"));
            return HALL_ERR;
        }
    }
    way = form != NULL && form->type == HALL_V_OBJ ? hall_val_get(form, "shipping") : NULL;
    if (way == NULL || way->type != HALL_V_STR || *way->str == '\0')
        return HALL_OK;
    /* the carrier as 邮寄 books it (modules/pki): the applicant's choice, else
     * 寄付's or the partner's first 到付 carrier; once shipped, the booked one */
    prepaid = strcmp(way->str, "prepaid") == 0;
    c = hall_val_get(form, "carrier");
    carrier = *hall_dbres_str(res, 0, "carrier") != '\0'      ? hall_dbres_str(res, 0, "carrier")
              : c != NULL && c->type == HALL_V_STR && *c->str ? c->str
              : prepaid                                       ? HALL_PREPAID_CARRIER
                        : hall_carrier_name(hall_dbres_str(res, 0, "collect_carrier"));
    hall_val_set_bool(req->pool, o, "collect", !prepaid);
    hall_val_set_fmt(req->pool, o, "shipping_way", "%s%s", carrier,
                     prepaid ? "寄付" : "到付（邮费由收件人签收时支付）");
    return HALL_OK;
}

/* a 证书新办 whose price includes the 电子签章 (建筑工务署's 是否办理电子签章
 * 是, 湖南's 签章费): its 机构章's state, made with the certificate
 * (core/biz/sealprod.c), and once made the link to 我的电子印章 */
static void
bundle_seal_ctx(struct hall_req *req, struct hall_val *o, struct hall_dbres *res,
                const char *status)
{
    const char *made = hall_dbres_str(res, 0, "bundle_seal_made");
    /* a 机构证书's 机构章, a 个人证书's own 个人印章 (sql/125) */
    const char *kind =
        strcmp(hall_dbres_str(res, 0, "cert_type"), "person") == 0 ? "个人印章" : "机构章";
    struct hall_val *b;

    if (!hall_dbres_bool(res, 0, "bundle_seal"))
        return;
    b = hall_val_set_obj(req->pool, o, "bundle_seal");
    if (*made == '\0') {
        hall_val_set_str(req->pool, b, "state",
                         strcmp(status, "refunded") == 0 || strcmp(status, "cancelled") == 0
                             ? "不再制作（业务单已退费或取消）"
                             : "待制作（审核通过后随证书一并制作，印章图片取自电子签章采集表）");
        return;
    }
    hall_val_set_bool(req->pool, b, "made", 1);
    if (strncmp(made, "valid|issued|", 13) == 0)
        hall_val_set_str(req->pool, b, "state",
                         hall_psprintf(req->pool, "%s 有效（至%s）", kind, made + 13));
    else if (strncmp(made, "valid|", 6) == 0)
        hall_val_set_str(req->pool, b, "state",
                         hall_psprintf(req->pool, "%s 无效（签章人证书已吊销）", kind));
    else if (strncmp(made, "replaced|", 9) == 0)
        hall_val_set_str(req->pool, b, "state",
                         hall_psprintf(req->pool, "%s 已替换（随新证书重新制作）", kind));
    else
        hall_val_set_str(req->pool, b, "state", hall_psprintf(req->pool, "%s 已注销", kind));
}

/* a key born in the browser (sql/151, core/biz/produce_csr.c): 生成密钥并下载
 * 证书 while the order is accepted, afterwards where the key is */
static void
keygen_ctx(struct hall_req *req, struct hall_val *o, struct hall_dbres *res, const char *status)
{
    const char *how = hall_dbres_str(res, 0, "key_how");
    struct hall_val *k;

    if (strcmp(hall_dbres_str(res, 0, "cert_key_origin"), "browser") == 0) {
        hall_val_set_bool(req->pool, o, "browser_made", 1);
        return;
    }
    if (strncmp(how, "browser|", 8) != 0)
        return;
    if (strcmp(status, "accepted") != 0) {
        /* before 成功受理: the step ahead is the holder's browser's */
        static const char *const before[] = {"draft",           "unpaid",     "transfer_review",
                                             "finauth_pending", "finauth_ok", "finauth_failed",
                                             "review",          "rejected",   NULL};
        size_t i;

        for (i = 0; before[i] != NULL && strcmp(before[i], status) != 0; i++)
            ;
        if (before[i] != NULL) {
            k = hall_val_set_obj(req->pool, o, "keygen_later");
            const char *bt = hall_dbres_str(res, 0, "business_type");

            /* a new key in place of one: the replacing orders only (a
             * 新办's or a seal order's is the first) */
            hall_val_set_bool(req->pool, k, "again", hall_replace_business(bt));
            hall_val_set_bool(req->pool, k, "unlock", strcmp(bt, "unlock") == 0);
        }
        return;
    }
    k = hall_val_set_obj(req->pool, o, "keygen");
    hall_val_set_str(req->pool, k, "alg", strcmp(how + 8, "sm2") == 0 ? "sm2" : "ecdsa");
    hall_val_set_str(req->pool, k, "alg_name", strcmp(how + 8, "sm2") == 0 ? "SM2" : "ECC P-256");
    hall_dbres_set(req->pool, k, res, 0, "name=subject");
    /* an SM2 电子签章申请, a 新办 with its 电子签章: the seals come with it
     * (core/biz/produce_csr_seal.c) */
    hall_val_set_bool(req->pool, k, "seals",
                      hall_dbres_bool(res, 0, "seal") || hall_dbres_bool(res, 0, "bundle_seal"));
    /* 更新, 变更, 补办, 解锁 of a browser-made certificate (sql/160): the
     * page says what the flow makes (a file cannot be unlocked) */
    hall_val_set_bool(req->pool, k, hall_dbres_str(res, 0, "business_type"), 1);
}

/* a 更新, 变更 or 解锁 of a certificate on a USB key: done on the medium
 * by the 证书助手 (docs/modules/assist.md); the step's page and the command */
static const struct {
    const char *verb, *what, *link, *code;
} assist_words[] = {
    {"renew", "在线更新：在同一个USB Key中生成新密钥并写入新证书，不寄送新介质",
     "用证书助手在线更新", "更新码"},
    {"change",
     "在线变更：在同一个USB Key中生成新密钥并写入载有变更后信息的新证书，"
     "新证书写入并确认后原证书才作废，不寄送新介质",
     "用证书助手在线变更", "变更码"},
    {"unlock", "在线解锁：设置新的PIN码，密钥和证书保持不变，不寄送新介质", "用证书助手解锁",
     "解锁码"},
};

static void
assist_ctx(struct hall_req *req, struct hall_val *o, struct hall_dbres *res, const char *id)
{
    const char *medium = hall_dbres_str(res, 0, "assist_medium"), *mod;
    const char *made = hall_dbres_str(res, 0, "medium_serial");
    const char *bt = hall_dbres_str(res, 0, "business_type");
    size_t w = 0;
    struct hall_val *a;

    /* none, or staff made a new medium for it instead (the 数字证书 line) */
    if (*medium == '\0' || (*made != '\0' && strcmp(made, medium) != 0))
        return;
    while (w + 1 < sizeof(assist_words) / sizeof(assist_words[0]) &&
           strcmp(assist_words[w].verb, bt) != 0)
        w++;
    mod = req->app->conf.medium_module;
    a = hall_val_set_obj(req->pool, o, "assist");
    /* made on the holder's medium: no courier (the 数字证书 line says one) */
    hall_val_set_bool(req->pool, a, "done", *made != '\0');
    hall_val_set_str(req->pool, o, "medium_serial", "");
    hall_val_set_str(req->pool, a, "medium", medium);
    hall_val_set_str(req->pool, a, "what", assist_words[w].what);
    hall_val_set_str(req->pool, a, "link", assist_words[w].link);
    hall_val_set_str(req->pool, a, "url",
                     hall_psprintf(req->pool, "/%s/assist?id=%s", assist_words[w].verb, id));
    hall_val_set_fmt(req->pool, a, "command",
                     "hall-assist %s --module %s --token %s --ticket %s --hall %s",
                     assist_words[w].verb, mod != NULL && *mod != '\0' ? mod : "libszca-pkcs11.so",
                     medium, assist_words[w].code, req->app->conf.public_url);
}

/* 办理记录 entries without a state change: the applicant reads Chinese,
 * never our action codes */
int
center_order_page(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *res, *hist;
    struct hall_val *ctx, *o, *list;
    const char *s, *sid;
    int i, n;

    res = hall_order_own(req, "order_view", &id);
    if (res == NULL)
        return hall_req_failed(req); /* 404 answered (not this applicant's), or the store failed */
    sid = hall_dbres_str(res, 0, "id");
    hist = hall_db_exec(req->cx, "center_order_history", HALL_STR(sid));
    if (hist == NULL)
        return HALL_ERR;
    ctx = hall_page_ctx(req);
    hall_val_set_str(req->pool, ctx, "title", "业务单详情");
    o = hall_val_set_obj(req->pool, ctx, "o");
    s = hall_dbres_str(res, 0, "status");
    hall_val_set_str(req->pool, o, "id", sid);
    hall_dbres_set(req->pool, o, res, 0, "order_no");
    hall_val_set_str(req->pool, o, "business",
                     center_business_label(hall_dbres_str(res, 0, "business_type")));
    hall_dbres_set(req->pool, o, res, 0, "subject");
    hall_val_set_str(req->pool, o, "amount",
                     hall_yuan(req->pool, hall_dbres_int(res, 0, "amount_fen")));
    hall_val_set_str(req->pool, o, "cert_amount",
                     hall_yuan(req->pool, hall_dbres_int(res, 0, "cert_fen")));
    amount_parts(req, o, res);
    hall_val_set_str(req->pool, o, "shipping_amount",
                     hall_yuan(req->pool, hall_dbres_int(res, 0, "shipping_fen")));
    if (shipping_ctx(req, o, res) != HALL_OK)
        return hall_req_failed(req);
    hall_val_set_str(req->pool, o, "status", hall_order_label(s) ?: s);
    hall_val_set_str(req->pool, o, "status_code", s);
    hall_dbres_set(req->pool, o, res, 0, "years created updated");
    /* the reason belongs to the rejection: gone once resubmitted */
    if (strcmp(s, "rejected") == 0)
        hall_val_set_str(req->pool, o, "reject_reason", hall_order_reject_reason(req->cx, res, 0));
    /* finance's 退回 of the voucher: why, until the order is paid another way */
    if (strcmp(s, "unpaid") == 0)
        hall_dbres_set(req->pool, o, res, 0, "transfer_refused");
    hall_dbres_set(req->pool, o, res, 0, "partner=partner_name review_due");
    /* production and delivery (modules/pki): tracking number, the medium */
    hall_dbres_set(req->pool, o, res, 0,
                   "waybill_no carrier has_medium:b cert_serial medium_serial key_station "
                   "key_holder");
    assist_ctx(req, o, res, sid);
    if (*hall_dbres_str(res, 0, "cert_revoked") != '\0')
        hall_val_set_str(req->pool, o, "cert_revoked",
                         hall_medium_revoked(req, hall_dbres_str(res, 0, "cert_revoked")));
    if (*hall_dbres_str(res, 0, "medium_gone_at") != '\0') {
        struct hall_val *g = hall_val_set_obj(req->pool, o, "medium_gone");

        hall_dbres_set(req->pool, g, res, 0, "at=medium_gone_at");
        hall_val_set_str(req->pool, g, "why",
                         hall_medium_why_label(hall_dbres_str(res, 0, "medium_gone_why")));
        hall_medium_links(req, g, hall_dbres_str(res, 0, "partner_code"),
                          hall_dbres_str(res, 0, "cert_serial"));
    }
    keygen_ctx(req, o, res, s);
    /* a 电子签章申请's seals: their page (modules/seal), each once made with
     * its SESeal file and its certificate's medium */
    hall_val_set_bool(req->pool, o, "seal_order",
                      strcmp(hall_dbres_str(res, 0, "business_type"), "seal") == 0);
    /* an SM2 seal order's keys are born in the browser: no certificate
     * medium to download from 我的电子印章 */
    hall_val_set_bool(req->pool, o, "keygen_seal",
                      strcmp(hall_dbres_str(res, 0, "business_type"), "seal") == 0 &&
                          strncmp(hall_dbres_str(res, 0, "key_how"), "browser|", 8) == 0);
    bundle_seal_ctx(req, o, res, s);
    actions_ctx(req, o, sid, hall_dbres_str(res, 0, "business_type"), s,
                hall_dbres_str(res, 0, "step"),
                hall_dbres_int(res, 0, "amount_fen") > 0 ? refund_state(s) : 0);
    {
        /* finance's answer to the last refund request */
        struct hall_dbres *rf = hall_db_exec(req->cx, "refund_refused_note", HALL_STR(sid));

        if (rf == NULL)
            return HALL_ERR;
        if (strcmp(hall_dbres_str(rf, 0, "status"), "refused") == 0)
            hall_dbres_set(req->pool, o, rf, 0, "refund_refused=note");
        struct hall_dbres *inv = hall_db_exec(req->cx, "invoice_get", HALL_I64(id));

        if (inv == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(inv) > 0) {
            struct hall_val *iv = hall_val_set_obj(req->pool, o, "invoice");

            hall_dbres_set(req->pool, iv, inv, 0, "no=invoice_no url issued");
            if (!hall_dbres_isnull(inv, 0, hall_dbres_col(inv, "red_invoice_no"))) {
                iv = hall_val_set_obj(req->pool, o, "red_invoice");
                hall_dbres_set(req->pool, iv, inv, 0,
                               "no=red_invoice_no url=red_url issued=red_issued");
            }
        }
    }
    list = hall_val_set_list(req->pool, ctx, "history");
    n = hall_dbres_rows(hist);
    for (i = 0; i < n; i++) {
        struct hall_val *h = hall_val_push_obj(req->pool, list);
        const char *to = hall_dbres_str(hist, i, "to_state");
        const char *action = hall_dbres_str(hist, i, "action");

        hall_dbres_set(req->pool, h, hist, i, "at");
        if (*to != '\0')
            hall_val_set_str(req->pool, h, "what", hall_order_label(to) ?: "状态变更");
        else
            hall_val_set_str(req->pool, h, "what", hall_order_action_label(action));
    }
    return hall_resp_page(req, 200, "center_order", ctx);
}

int
center_do_refund(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *res;
    struct hall_val *v;
    const char *from;
    int r;

    hall_req_param_i64(req, "id", &id);
    res = hall_order_lock_own(req, "order_view", id);
    if (res == NULL)
        return hall_req_failed(req); /* 404 answered (not this applicant's), or the store failed */
    from = hall_dbres_str(res, 0, "status");
    if (produced(from))
        return hall_msg(req, HALL_M_REFUND_PRODUCED, NULL);
    /* the order moved, and the refund of its payment in finance's queue
     * (core/biz/refund.c): refundable until its certificate is being made */
    r = hall_refund_request(req->cx, id, from,
                            hall_psprintf(req->pool, "user:%lld", (long long)req->user_id),
                            hall_req_param(req, "reason"));
    if (r == HALL_CONFLICT)
        return hall_msg(req, HALL_M_REFUND_STATE, NULL);
    if (r == HALL_REFUND_PRODUCING)
        return hall_msg(req, HALL_M_REFUND_PRODUCING, NULL);
    if (r == HALL_REFUND_NOTHING)
        return hall_msg(req, HALL_M_REFUND_NOTHING, NULL);
    if (r != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "message", "退费申请已提交，我们将尽快处理");
    hall_val_set_str(
        req->pool, v, "redirect",
        hall_psprintf(req->pool, "%s/center/order?id=%lld", hall_req_base(req), (long long)id));
    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, hall_val_get(v, "redirect")->str);
    return hall_resp_ok(req, v);
}

/* 重新获取: the invoice link once more by SMS and e-mail (core/biz/invoice.c) */
int
center_do_invoice_resend(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *res;
    struct hall_val *v;
    const char *redirect;
    int rc;

    hall_req_param_i64(req, "id", &id);
    res = hall_order_lock_own(req, "order_view", id);
    if (res == NULL)
        return hall_req_failed(req); /* 404 answered (not this applicant's), or the store failed */
    res = hall_db_exec(req->cx, "invoice_get", HALL_I64(id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_INVOICE_NOT_YET, NULL);
    rc = hall_invoice_resend(req->cx, id, hall_req_actor(req));
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_INVOICE_RESENT, NULL);
    if (rc != HALL_OK || hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    redirect =
        hall_psprintf(req->pool, "%s/center/order?id=%lld", hall_req_base(req), (long long)id);
    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, redirect);
    v = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, v, "message", "电子发票链接已重新发送到您的手机和邮箱");
    hall_val_set_str(req->pool, v, "redirect", redirect);
    return hall_resp_ok(req, v);
}
