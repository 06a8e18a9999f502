/*
 * center: 个人中心 — 我的业务单 (the applicant's orders of every business
 * type) with filters, pagination and the actions each status allows, one
 * order's view, and 申请退费.
 *
 *   GET  /center/orders   list: 业务单号, 业务类型, 主题, 状态, 开始/结束时间, page
 *   GET  /center/order    one order (id)
 *   POST /center/refund   申请退费 (id, reason)
 *   POST /center/invoice/resend  电子发票 重新获取: the link again by SMS and e-mail
 *   GET  /center/finauth 我的业务单-在线认证: the 金融认证 records (micro-deposits)
 *                        of the applicant's orders, their results, 待认证 / 金融认证
 *   GET  /center/certs   我的证书: every certificate the applicant's orders
 *                        produced, its state, its actions, the seals it signs
 *   GET  /center/cert/download  the certificate and its chain (serial,
 *                        format pem | der | p7b): public parts only
 *   GET  /center/cert/revoke     撤销: the certificate, the reasons, what
 *                        stops with it (seals, orders under way)
 *   POST /center/cert/revoke/code  the SMS code to the account's phone
 *   POST /center/cert/revoke     撤销 confirmed (serial, reason, code)
 *
 * An applicant sees only their own orders and certificates: another's id
 * or serial answers 404, as one that does not exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "hall.h"

#define PAGE_SIZE   20
#define PAGE_SIZE_S "20" /* the same, in SQL text */
#define CERTS_PAGE  100  /* 我的证书's rows a page (certificates and those in production) */

/* The page's two days (created, updated) come as days since 2000-01-01,
 * "(created_at::date - date '2000-01-01')": Beijing's day (the session's
 * time zone, core/store/db.c) as an int4 that the worker writes as
 * YYYY-MM-DD (day_text).  to_char() of the two columns cost PostgreSQL
 * about a sixth of the first page's statement; int4out next to nothing. */
static const struct hall_stmt center_stmts[] = {
    /* the page alone reads 20 index entries; a window count over the page
     * would read every matching row (docs/performance.md) */
    {"orders_page",
     "SELECT id, order_no, business_type, subject, amount_fen,"
     " (created_at::date - date '2000-01-01') AS created,"
     " (updated_at::date - date '2000-01-01') AS updated, status, step"
     " FROM orders WHERE user_id = $1"
     " AND ($2 = '' OR order_no = $2) AND ($3 = '' OR business_type = $3)"
     " AND ($4 = '' OR strpos(subject, $4) > 0) AND ($5 = '' OR status = $5)"
     " AND ($6 = '' OR created_at >= $6::date) AND ($7 = '' OR created_at < $7::date + 1)"
     " ORDER BY created_at DESC, id DESC LIMIT $8 OFFSET $9",
     9},
    /* 我的业务单 as most visitors see it (page 1, no filter) in one round
     * trip: the session (as core/store/db.c's session_get reads it), the
     * applicant's kept count (sql/029_order_counts.sql) and the page, from
     * one snapshot; no session, no row.  The count is a subquery of the
     * session's row (one primary-key probe), not a join: a LEFT JOIN was
     * planned as a hash join whose hash table was built, and its unmatched
     * rows scanned, for every page (about a tenth of the statement's CPU).
     * LIMIT and no OFFSET: a generic plan for an OFFSET parameter guesses a
     * tenth of the rows skipped and may walk orders_created_idx instead of
     * the applicant's index.
     * No ORDER BY outside: the session and its count are one row at most
     * (two primary keys), fenced in their own subquery (OFFSET 0), so the
     * one join left is the LATERAL one, a nested loop whose rows come in
     * the page's own order; a sort of the 20 rows on top cost about a fifth
     * of the statement (docs/performance.md) */
    {"orders_first",
     "SELECT s.user_id, s.partner_code, s.who, s.stale, s.total, o.id, o.order_no,"
     " o.business_type, o.subject, o.amount_fen,"
     " (o.created_at::date - date '2000-01-01') AS created,"
     " (o.updated_at::date - date '2000-01-01') AS updated, o.status, o.step"
     " FROM (SELECT s.user_id, s.partner_code, s.who,"
     " s.last_seen < now() - interval '60 seconds' AS stale,"
     " coalesce((SELECT c.n FROM order_counts c WHERE c.user_id = s.user_id), 0) AS total"
     " FROM sessions s"
     " WHERE s.token_hash = $1 AND s.idle_expires > now() AND s.absolute_expires > now()"
     " OFFSET 0) s"
     " LEFT JOIN LATERAL (SELECT id, order_no, business_type, subject, amount_fen, created_at,"
     " updated_at, status, step FROM orders WHERE user_id = s.user_id"
     " ORDER BY created_at DESC, id DESC LIMIT " PAGE_SIZE_S ") o ON true",
     1},
    /* the total without a filter */
    {"orders_total", "SELECT coalesce((SELECT n FROM order_counts WHERE user_id = $1), 0) AS total",
     1},
    {"orders_count",
     "SELECT count(*) AS total FROM orders WHERE user_id = $1"
     " AND ($2 = '' OR order_no = $2) AND ($3 = '' OR business_type = $3)"
     " AND ($4 = '' OR strpos(subject, $4) > 0) AND ($5 = '' OR status = $5)"
     " AND ($6 = '' OR created_at >= $6::date) AND ($7 = '' OR created_at < $7::date + 1)",
     7},
    {"order_view",
     "SELECT o.id, o.order_no, o.business_type, o.subject, o.amount_fen, o.cert_fen,"
     " o.shipping_fen, o.status, o.step, o.cert_type, o.years, o.seal,"
     " to_char(o.created_at, 'YYYY-MM-DD HH24:MI') AS created,"
     " to_char(o.updated_at, 'YYYY-MM-DD HH24:MI') AS updated,"
     " coalesce(o.reject_reason, '') AS reject_reason, p.name AS partner_name,"
     " coalesce(to_char(o.review_due, 'YYYY-MM-DD'), '') AS review_due,"
     " coalesce(o.waybill_no, '') AS waybill_no, coalesce(o.carrier, '') AS carrier,"
     " EXISTS (SELECT 1 FROM certificates c WHERE c.order_id = o.id AND c.state = 'issued'"
     " AND c.seal_item_id IS NULL AND c.p12_enc IS NOT NULL) AS has_medium,"
     /* the medium handed over (core/biz/custody.c): when and why */
     " coalesce((SELECT to_char(c.medium_destroyed_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI') FROM certificates c WHERE c.order_id = o.id AND c.state = 'issued'"
     " AND c.seal_item_id IS NULL AND c.p12_enc IS NULL), '') AS medium_gone_at,"
     " coalesce((SELECT c.medium_destroyed_why FROM certificates c WHERE c.order_id = o.id"
     " AND c.state = 'issued' AND c.seal_item_id IS NULL), '') AS medium_gone_why,"
     " o.partner_code,"
     " coalesce((SELECT c.serial FROM certificates c WHERE c.order_id = o.id"
     " AND c.state IN ('issued', 'revoked') ORDER BY c.issued_at DESC LIMIT 1), '') AS cert_serial,"
     " coalesce((SELECT y.refused_reason FROM payments y WHERE y.order_id = o.id"
     " ORDER BY y.attempt DESC LIMIT 1), '') AS transfer_refused, o.form_enc,"
     " coalesce(p.shipping_collect_carriers[1], 'SF') AS collect_carrier"
     " FROM orders o JOIN partners p ON p.code = o.partner_code"
     " WHERE o.id = $1 AND o.user_id = $2",
     2},
    {"refund_refused_note",
     "SELECT coalesce((SELECT note FROM refunds WHERE order_id = $1 AND kind = 'request'"
     " ORDER BY id DESC LIMIT 1) , '') AS note, coalesce((SELECT status FROM refunds"
     " WHERE order_id = $1 AND kind = 'request' ORDER BY id DESC LIMIT 1), '') AS status",
     1},
    {"center_order_history",
     "SELECT to_char(at, 'YYYY-MM-DD HH24:MI') AS at, coalesce(from_state, '') AS from_state,"
     " coalesce(to_state, '') AS to_state, action FROM audit_log WHERE entity = 'order' AND "
     "entity_id = $1 ORDER BY id",
     1},
    {"invoice_get",
     "SELECT invoice_no, url, to_char(issued_at, 'YYYY-MM-DD HH24:MI') AS issued,"
     " red_invoice_no, red_url, to_char(red_issued_at, 'YYYY-MM-DD HH24:MI') AS red_issued"
     " FROM invoices WHERE order_id = $1",
     1},
    /* 我的证书: the certificates of the applicant's orders (a burnt 'void'
     * serial is none), then the accepted orders whose certificate is not
     * begun yet (制作中, no serial); newest order first, an order's own
     * certificate before its seals' */
    /* 我的业务单-在线认证: the micro-deposits of the applicant's orders, newest
     * first, in Beijing time; latest: the order's last one (the one its
     * 待认证 or 金融认证 acts on) */
    {"finauth_list",
     "SELECT f.id, o.id AS order_id, o.order_no, o.subject, o.status, f.memo_kind, f.result,"
     " coalesce(f.fail_reason, '') AS fail_reason,"
     " to_char(f.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS created,"
     " coalesce(to_char(f.verified_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), '')"
     " AS verified,"
     " f.id = (SELECT max(l.id) FROM finauth_attempts l WHERE l.order_id = o.id) AS latest"
     " FROM finauth_attempts f JOIN orders o ON o.id = f.order_id WHERE o.user_id = $1"
     " ORDER BY f.id DESC LIMIT $2 OFFSET $3",
     3},
    {"certs_list",
     "SELECT c.serial, c.state, c.ca, c.subject_cn, c.subject_org,"
     " to_char(c.not_before AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_before,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " c.not_after <= now() AS expired, c.not_after <= now() + interval '30 days' AS expiring,"
     " coalesce(to_char(c.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS revoked_at, coalesce(c.revoke_reason, 0) AS revoke_reason, o.id AS order_id, o.order_no,"
     " o.partner_code, o.cert_type, coalesce(si.kind, '') AS seal_kind, coalesce(si.position, -1)"
     " AS seal_pos,"
     /* 补办 as core/flow/reissue_review.c allows it: not a seal's own certificate, none
      * pending, a reissue product of the order's partner for the type */
     " c.seal_item_id IS NULL AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.status NOT IN ('cancelled', 'refunded')) AND EXISTS (SELECT 1 FROM products p"
     "  WHERE p.partner_code = o.partner_code AND p.business_type = 'reissue'"
     "  AND p.cert_type = o.cert_type AND p.active) AS reissuable,"
     /* 变更 the same way (modules/change) */
     " c.seal_item_id IS NULL AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.status NOT IN ('cancelled', 'refunded')) AND EXISTS (SELECT 1 FROM products p"
     "  WHERE p.partner_code = o.partner_code AND p.business_type = 'change'"
     "  AND p.cert_type = o.cert_type AND p.active) AS changeable,"
     /* 更新 and 解锁 (modules/renew, modules/unlock) by the same rules, 更新
      * within its product's window (sql/059) */
     " c.seal_item_id IS NULL AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.status NOT IN ('cancelled', 'refunded')) AND EXISTS (SELECT 1 FROM products p"
     "  WHERE p.partner_code = o.partner_code AND p.business_type = 'renew'"
     "  AND p.cert_type = o.cert_type AND p.active"
     "  AND now() >= c.not_after - make_interval(days => p.renew_before_days)"
     "  AND now() <= c.not_after + make_interval(days => p.renew_after_days)) AS renewable,"
     " c.seal_item_id IS NULL AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.status NOT IN ('cancelled', 'refunded')) AND EXISTS (SELECT 1 FROM products p"
     "  WHERE p.partner_code = o.partner_code AND p.business_type = 'unlock'"
     "  AND p.cert_type = o.cert_type AND p.active) AS unlockable"
     " FROM certificates c JOIN orders o ON o.id = c.order_id"
     " LEFT JOIN seal_items si ON si.id = c.seal_item_id"
     " WHERE o.user_id = $1 AND c.state IN ('intent', 'issued', 'revoked')"
     " UNION ALL"
     " SELECT '', 'waiting', pr.ca, o.subject, '', '', '', false, false, '', 0, o.id, o.order_no,"
     " o.partner_code, o.cert_type, '', -1, false, false, false, false"
     " FROM orders o JOIN products pr ON pr.id = o.product_id"
     " WHERE o.user_id = $1 AND o.status = 'accepted' AND NOT EXISTS (SELECT 1 FROM certificates c"
     " WHERE c.order_id = o.id AND c.state IN ('intent', 'issued') AND c.seal_item_id IS NULL)"
     " ORDER BY order_id DESC, seal_kind, seal_pos, serial LIMIT $2 OFFSET $3",
     3},
    /* the seals the applicant's certificates sign (seseals.cert_serial) */
    {"certs_seals",
     "SELECT s.cert_serial, s.es_id, s.state, i.kind, coalesce(i.seal_name, '') AS seal_name,"
     " i.holder_enc FROM seseals s JOIN seal_items i ON i.id = s.item_id"
     " JOIN orders o ON o.id = s.order_id"
     " WHERE o.user_id = $1 AND s.cert_serial IS NOT NULL ORDER BY i.kind, i.position, "
     "s.created_at",
     1},
    /* the owner's certificate as signed: public parts only (never p12_enc) */
    {"cert_own_der",
     "SELECT c.der, c.ca FROM certificates c JOIN orders o ON o.id = c.order_id"
     " WHERE c.serial = $1 AND o.user_id = $2 AND c.state IN ('issued', 'revoked')"
     " AND c.der IS NOT NULL",
     2},
    /* 撤销: the owner's signed certificate (FOR UPDATE in the confirming
     * transaction, so that two confirmations take turns) */
    {"revoke_cert",
     "SELECT c.serial, c.state, c.ca, c.subject_cn, c.subject_org, o.id AS order_id, o.order_no,"
     " o.cert_type, coalesce(si.kind, '') AS seal_kind,"
     " to_char(c.not_before AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_before,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS not_after,"
     " c.not_after <= now() AS expired, coalesce(c.revoke_reason, 0) AS revoke_reason,"
     " coalesce(to_char(c.revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), '')"
     " AS revoked_at FROM certificates c JOIN orders o ON o.id = c.order_id"
     " LEFT JOIN seal_items si ON si.id = c.seal_item_id"
     " WHERE c.serial = $1 AND o.user_id = $2 AND c.state IN ('issued', 'revoked')",
     2},
    {"revoke_cert_lock",
     "SELECT c.state, c.not_after <= now() AS expired FROM certificates c"
     " JOIN orders o ON o.id = c.order_id"
     " WHERE c.serial = $1 AND o.user_id = $2 AND c.state IN ('issued', 'revoked') FOR UPDATE OF c",
     2},
    /* the valid seals the certificate signs: they stop being valid with it */
    {"revoke_seals",
     "SELECT i.kind, coalesce(i.seal_name, '') AS seal_name, i.holder_enc, s.es_id"
     " FROM seseals s JOIN seal_items i ON i.id = s.item_id"
     " WHERE s.cert_serial = $1 AND s.state = 'valid' ORDER BY i.kind, i.position, s.es_id",
     1},
    /* the orders under way that replace it (补办, and 更新, 变更, 解锁 alike:
     * orders.reissue_of) */
    {"revoke_orders",
     "SELECT id, order_no, business_type, status FROM orders WHERE reissue_of = $1"
     " AND status NOT IN ('cancelled', 'refunded', 'issued', 'shipped', 'delivered') ORDER BY id",
     1},
    {"revoke_orders_lock",
     "SELECT id, order_no, business_type, status FROM orders WHERE reissue_of = $1"
     " AND status NOT IN ('cancelled', 'refunded', 'issued', 'shipped', 'delivered') ORDER BY id"
     " FOR UPDATE",
     1},
    {"revoke_phone", "SELECT phone_enc FROM users WHERE id = $1", 1},
    {"revoke_done",
     "SELECT to_char(revoked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS at"
     " FROM certificates WHERE serial = $1",
     1},
    {NULL, NULL, 0},
};

/* the business types of the filter, the catalogue's (core/flow/catalog.def) */
static const char *
business_label(const char *code)
{
    return hall_business_label(code);
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
            biz_label = business_label(biz);
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
        return HALL_ERR;
    *total = (long)hall_dbres_int(r, 0, "total");
    /* no order: one row of the session with NULLs for the page */
    *n = hall_dbres_isnull(r, 0, hall_dbres_col(r, "id")) ? 0 : hall_dbres_rows(r);
    *res = r;
    return HALL_OK;
}

/* the query's page: 1 when absent or empty; 0 when it is not a number of
 * 1 to 100,000 (*page is then 1) */
static int
query_page(struct hall_req *req, long *page)
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

static int
orders_page(struct hall_req *req)
{
    const char *no = filter(req, "order_no", 32), *biz = filter(req, "business", 16);
    const char *subject = filter(req, "subject", 100), *status = filter(req, "status", 32);
    const char *from = filter(req, "from", 10), *to = filter(req, "to", 10);
    long page, pages, total = 0;
    struct hall_val *ctx, *list, *opts;
    struct hall_dbres *res;
    const struct hall_order_state *st;
    int i, n, plain, page_ok = query_page(req, &page);

    /* the route reads its own session (HALL_R_NOSESSION): a visitor who is
     * not logged in is sent to the login page before any check of the
     * filters, as for every HALL_R_AUTH route */
    plain = no != NULL && *no == '\0' && biz != NULL && *biz == '\0' && subject != NULL &&
            *subject == '\0' && status != NULL && *status == '\0' && from != NULL &&
            *from == '\0' && to != NULL && *to == '\0' && page_ok;
    if (plain && page == 1) {
        if (orders_first_load(req, &res, &total, &n) != HALL_OK)
            return hall_resp_busy(req);
        if (res == NULL)
            return hall_resp_login(req);
        goto render;
    }
    if (hall_session_load(req) != HALL_OK)
        return hall_resp_busy(req);
    if (req->user_id == 0)
        return hall_resp_login(req);
    if (no == NULL)
        return hall_msg(req, HALL_M_FILTER_ORDER_NO, "order_no");
    if (subject == NULL)
        return hall_msg(req, HALL_M_FILTER_SUBJECT, "subject");
    if (biz == NULL || (*biz != '\0' && strcmp(business_label(biz), biz) == 0))
        return hall_msg(req, HALL_M_FILTER_BUSINESS, "business");
    if (status == NULL || (*status != '\0' && hall_order_label(status) == NULL))
        return hall_msg(req, HALL_M_FILTER_STATUS, "status");
    if (from == NULL || !is_date(from))
        return hall_msg(req, HALL_M_FILTER_FROM, "from");
    if (to == NULL || !is_date(to))
        return hall_msg(req, HALL_M_FILTER_TO, "to");
    if (!page_ok)
        return hall_msg(req, HALL_M_FILTER_PAGE, "page");
    res = hall_db_exec(req->cx, "orders_page", HALL_I64(req->user_id), HALL_STR(no), HALL_STR(biz),
                       HALL_STR(subject), HALL_STR(status), HALL_STR(from), HALL_STR(to),
                       HALL_I64(PAGE_SIZE), HALL_I64((page - 1) * PAGE_SIZE));
    if (res == NULL) {
        /* a date like 2024-02-31 passes is_date but not PostgreSQL */
        if (strncmp(hall_db_sqlstate(req->cx), "22", 2) == 0)
            return hall_msg(req, HALL_M_FILTER_DATE, "from");
        return hall_resp_busy(req);
    }
    n = hall_dbres_rows(res);
    /* a short first page is its own count; without a filter the count is
     * kept (sql/029_order_counts.sql) */
    if (page == 1 && n < PAGE_SIZE) {
        total = n;
    } else {
        struct hall_dbres *cnt = plain
                                     ? hall_db_exec(req->cx, "orders_total", HALL_I64(req->user_id))
                                     : hall_db_exec(req->cx, "orders_count", HALL_I64(req->user_id),
                                                    HALL_STR(no), HALL_STR(biz), HALL_STR(subject),
                                                    HALL_STR(status), HALL_STR(from), HALL_STR(to));

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
        qs = hall_psprintf(req->pool, "order_no=%s&business=%s&subject=%s&status=%s&from=%s&to=%s",
                           hall_url_encode(req->pool, no), hall_url_encode(req->pool, biz),
                           hall_url_encode(req->pool, subject), hall_url_encode(req->pool, status),
                           hall_url_encode(req->pool, from), hall_url_encode(req->pool, to));
        hall_val_set_str(req->pool, ctx, "qs", qs);
    }
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
        if (form == NULL)
            return HALL_ERR;
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

/* 办理记录 entries without a state change: the applicant reads Chinese,
 * never our action codes */
static int
order_page(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *res, *hist;
    struct hall_val *ctx, *o, *list;
    const char *s, *sid;
    int i, n;

    res = hall_order_own(req, "order_view", &id);
    if (res == NULL)
        return HALL_OK; /* answered: 404 (not this applicant's) or 503 */
    sid = hall_dbres_str(res, 0, "id");
    hist = hall_db_exec(req->cx, "center_order_history", HALL_STR(sid));
    if (hist == NULL)
        return HALL_ERR;
    ctx = hall_page_ctx(req);
    hall_val_set_str(req->pool, ctx, "title", "业务单详情");
    o = hall_val_set_obj(req->pool, ctx, "o");
    s = hall_dbres_str(res, 0, "status");
    hall_val_set_str(req->pool, o, "id", sid);
    hall_val_set_str(req->pool, o, "order_no", hall_dbres_str(res, 0, "order_no"));
    hall_val_set_str(req->pool, o, "business",
                     business_label(hall_dbres_str(res, 0, "business_type")));
    hall_val_set_str(req->pool, o, "subject", hall_dbres_str(res, 0, "subject"));
    hall_val_set_str(req->pool, o, "amount",
                     hall_yuan(req->pool, hall_dbres_int(res, 0, "amount_fen")));
    hall_val_set_str(req->pool, o, "cert_amount",
                     hall_yuan(req->pool, hall_dbres_int(res, 0, "cert_fen")));
    hall_val_set_str(req->pool, o, "shipping_amount",
                     hall_yuan(req->pool, hall_dbres_int(res, 0, "shipping_fen")));
    if (shipping_ctx(req, o, res) != HALL_OK)
        return hall_resp_busy(req);
    hall_val_set_str(req->pool, o, "status", hall_order_label(s) ?: s);
    hall_val_set_str(req->pool, o, "status_code", s);
    hall_dbres_set(req->pool, o, res, 0, "years created updated");
    /* the reason belongs to the rejection: gone once resubmitted */
    if (strcmp(s, "rejected") == 0)
        hall_val_set_str(req->pool, o, "reject_reason", hall_dbres_str(res, 0, "reject_reason"));
    /* finance's 退回 of the voucher: why, until the order is paid another way */
    if (strcmp(s, "unpaid") == 0)
        hall_val_set_str(req->pool, o, "transfer_refused",
                         hall_dbres_str(res, 0, "transfer_refused"));
    hall_dbres_set(req->pool, o, res, 0, "partner=partner_name review_due");
    /* production and delivery (modules/pki): tracking number, the medium */
    hall_dbres_set(req->pool, o, res, 0, "waybill_no carrier has_medium:b cert_serial");
    if (*hall_dbres_str(res, 0, "medium_gone_at") != '\0') {
        struct hall_val *g = hall_val_set_obj(req->pool, o, "medium_gone");

        hall_val_set_str(req->pool, g, "at", hall_dbres_str(res, 0, "medium_gone_at"));
        hall_val_set_str(req->pool, g, "why",
                         hall_medium_why_label(hall_dbres_str(res, 0, "medium_gone_why")));
        hall_medium_links(req, g, hall_dbres_str(res, 0, "partner_code"),
                          hall_dbres_str(res, 0, "cert_serial"));
    }
    /* a 电子签章申请's seals: their page (modules/seal), each once made with
     * its SESeal file and its certificate's medium */
    hall_val_set_bool(req->pool, o, "seal_order",
                      strcmp(hall_dbres_str(res, 0, "business_type"), "seal") == 0);
    actions_ctx(req, o, sid, hall_dbres_str(res, 0, "business_type"), s,
                hall_dbres_str(res, 0, "step"),
                hall_dbres_int(res, 0, "amount_fen") > 0 ? refund_state(s) : 0);
    {
        /* finance's answer to the last refund request */
        struct hall_dbres *rf = hall_db_exec(req->cx, "refund_refused_note", HALL_STR(sid));

        if (rf == NULL)
            return HALL_ERR;
        if (strcmp(hall_dbres_str(rf, 0, "status"), "refused") == 0)
            hall_val_set_str(req->pool, o, "refund_refused", hall_dbres_str(rf, 0, "note"));
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

        hall_val_set_str(req->pool, h, "at", hall_dbres_str(hist, i, "at"));
        if (*to != '\0')
            hall_val_set_str(req->pool, h, "what", hall_order_label(to) ?: "状态变更");
        else
            hall_val_set_str(req->pool, h, "what", hall_order_action_label(action));
    }
    return hall_resp_page(req, 200, "center_order", ctx);
}

static const struct hall_pspec refund_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {"reason", HALL_P_TEXT, 0, 2, 200, "退费原因", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int
do_refund(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *res;
    struct hall_val *v;
    const char *from;
    int r;

    hall_req_param_i64(req, "id", &id);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "order_view", HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
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

static const struct hall_pspec id_params[] = {
    {"id", HALL_P_INT, 0, 1, 9000000000000000000L, "业务单号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* 重新获取: the invoice link once more by SMS and e-mail (core/biz/invoice.c) */
static int
do_invoice_resend(struct hall_req *req)
{
    int64_t id;
    struct hall_dbres *res;
    struct hall_val *v;
    const char *redirect;
    int rc;

    hall_req_param_i64(req, "id", &id);
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "order_view", HALL_I64(id), HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
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

/* ---- 我的证书 ------------------------------------------------------------------ */

/* certs_list's columns that the page reads */
enum {
    C_SERIAL,
    C_STATE,
    C_CA,
    C_CN,
    C_ORG,
    C_NB,
    C_NA,
    C_EXPIRED,
    C_EXPIRING,
    C_REVOKED_AT,
    C_REASON,
    C_ORDER_ID,
    C_ORDER_NO,
    C_PARTNER,
    C_CERT_TYPE,
    C_SEAL_KIND,
    C_REISSUABLE,
    C_CHANGEABLE,
    C_RENEWABLE,
    C_UNLOCKABLE,
    C__N
};
static const char *const cert_cols[C__N] = {
    "serial",        "state",      "ca",         "subject_cn",   "subject_org",
    "not_before",    "not_after",  "expired",    "expiring",     "revoked_at",
    "revoke_reason", "order_id",   "order_no",   "partner_code", "cert_type",
    "seal_kind",     "reissuable", "changeable", "renewable",    "unlockable",
};

/* one certificate's state for the holder: a code and its words */
static const char *
cert_state(const char *state, int expired, int expiring, const char **label)
{
    if (strcmp(state, "revoked") == 0)
        return *label = "已吊销", "revoked";
    if (strcmp(state, "issued") != 0)
        return *label = "制作中", "producing"; /* intent, or the order awaits 制作证书 */
    if (expired)
        return *label = "已过期", "expired";
    if (expiring)
        return *label = "即将到期", "expiring"; /* 30 days or less */
    return *label = "有效", "valid";
}

static const char *
ca_label(const char *ca)
{
    return strcmp(ca, "sm2") == 0 ? "SM2" : "ECDSA";
}

/*
 * The ONE place that says what a holder may do with a certificate in a
 * state: each action a label and a URL.  Only what exists: 补办 (the
 * reissue flow, the serial chosen) for a valid certificate of the order's
 * own subject whose partner sells it and that has no reissue under way,
 * 变更 (modules/change) the same with the partner's change product, 解锁
 * (modules/unlock) for a valid or expiring one, 更新 (modules/renew) for a
 * valid, expiring or expired one within its product's window, each with
 * nothing under way and a product of the order's partner; 下载证书 for
 * every signed one, 撤销 for a valid or expiring one.
 */
static void
cert_actions(struct hall_req *req, struct hall_val *row, const char *code, const char *serial,
             const char *partner, int reissuable, int changeable, int renewable, int unlockable)
{
    struct hall_val *list = hall_val_set_list(req->pool, row, "actions");
    const char *base = hall_req_base(req);
    struct hall_val *a;

#define CERT_ACTION(id_, label_, url_)                                                             \
    do {                                                                                           \
        a = hall_val_push_obj(req->pool, list);                                                    \
        hall_val_set_str(req->pool, a, "id", (id_));                                               \
        hall_val_set_str(req->pool, a, "label", (label_));                                         \
        hall_val_set_str(req->pool, a, "url", (url_));                                             \
    } while (0)

    if ((strcmp(code, "valid") == 0 || strcmp(code, "expiring") == 0) && reissuable)
        CERT_ACTION("reissue", "补办",
                    hall_psprintf(req->pool, "%s/reissue/serial?project=%s&serial=%s", base,
                                  hall_url_encode(req->pool, partner), serial));
    if ((strcmp(code, "valid") == 0 || strcmp(code, "expiring") == 0) && changeable)
        CERT_ACTION("change", "变更",
                    hall_psprintf(req->pool, "%s/change/notice?project=%s&serial=%s", base,
                                  hall_url_encode(req->pool, partner), serial));
    if ((strcmp(code, "valid") == 0 || strcmp(code, "expiring") == 0) && unlockable)
        CERT_ACTION("unlock", "解锁",
                    hall_psprintf(req->pool, "%s/unlock/serial?project=%s&serial=%s", base,
                                  hall_url_encode(req->pool, partner), serial));
    if ((strcmp(code, "valid") == 0 || strcmp(code, "expiring") == 0 ||
         strcmp(code, "expired") == 0) &&
        renewable)
        CERT_ACTION("renew", "更新",
                    hall_psprintf(req->pool, "%s/renew/notice?project=%s&serial=%s", base,
                                  hall_url_encode(req->pool, partner), serial));
    if (strcmp(code, "producing") != 0) {
        CERT_ACTION(
            "pem", "下载证书（PEM）",
            hall_psprintf(req->pool, "%s/center/cert/download?serial=%s&format=pem", base, serial));
        CERT_ACTION(
            "der", "下载证书（DER）",
            hall_psprintf(req->pool, "%s/center/cert/download?serial=%s&format=der", base, serial));
        CERT_ACTION(
            "p7b", "下载证书链（P7B）",
            hall_psprintf(req->pool, "%s/center/cert/download?serial=%s&format=p7b", base, serial));
    }
    /* 撤销 (the holder's own revocation), last: it cannot be undone */
    if (strcmp(code, "valid") == 0 || strcmp(code, "expiring") == 0)
        CERT_ACTION("revoke", "撤销",
                    hall_psprintf(req->pool, "%s/center/cert/revoke?serial=%s", base, serial));
#undef CERT_ACTION
}

static const char *
seal_kind_label(const char *kind)
{
    if (strcmp(kind, "org") == 0)
        return "机构章";
    if (strcmp(kind, "org_business") == 0)
        return "机构业务章";
    return "机构个人章";
}

/* the seals a certificate signs, from certs_seals (all the applicant's) */
static void
cert_seals(struct hall_req *req, struct hall_val *row, struct hall_dbres *seals, const char *serial,
           const char *code)
{
    struct hall_val *list = NULL;
    int i, n = hall_dbres_rows(seals);

    for (i = 0; i < n; i++) {
        const char *kind = hall_dbres_str(seals, i, "kind");
        const char *name = hall_dbres_str(seals, i, "seal_name");
        const char *st = hall_dbres_str(seals, i, "state");
        struct hall_val *it;

        if (strcmp(hall_dbres_str(seals, i, "cert_serial"), serial) != 0)
            continue;
        if (list == NULL) {
            list = hall_val_set_list(req->pool, row, "seals");
            hall_val_set_bool(req->pool, row, "has_seals", 1);
        }
        if (strcmp(kind, "org_person") == 0) {
            /* the person's name, as 我的电子印章 shows it (never the ID number) */
            struct hall_val *h =
                hall_dbres_pii_json(req->cx, seals, i, hall_dbres_col(seals, "holder_enc"));

            name = h != NULL ? hall_form_str(h, "name") : "";
        }
        it = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, it, "kind_label", seal_kind_label(kind));
        hall_val_set_str(req->pool, it, "name", name);
        hall_val_set_str(req->pool, it, "es_id", hall_dbres_str(seals, i, "es_id"));
        if (strcmp(st, "replaced") == 0)
            hall_val_set_str(req->pool, it, "state_label", "已替换（随新证书重新制作）");
        else if (strcmp(st, "valid") != 0)
            hall_val_set_str(req->pool, it, "state_label", "已注销");
        else if (strcmp(code, "revoked") == 0)
            hall_val_set_str(req->pool, it, "state_label", "无效（签章人证书已吊销）");
        else
            hall_val_set_str(req->pool, it, "state_label", "有效");
        hall_val_set_str(req->pool, it, "state", st);
    }
}

/* a micro-deposit's result as the applicant reads it; code_name: what its
 * memo carries (随机验证码 / 证书PIN码) */
static const char *
finauth_result_label(struct hall_req *req, const char *result, const char *code_name, int waiting)
{
    if (strcmp(result, "queued") == 0)
        return "打款中";
    if (strcmp(result, "sent") == 0)
        return waiting ? hall_psprintf(req->pool, "打款成功，待输入%s", code_name) : "打款成功";
    if (strcmp(result, "failed") == 0)
        return "打款失败";
    if (strcmp(result, "verified") == 0)
        return "认证成功";
    if (strcmp(result, "locked") == 0)
        return "已锁定（输错次数过多）";
    return "处理中";
}

#define FINAUTH_PAGE 20

/* GET /center/finauth: 我的业务单-在线认证, the 金融认证 records of the
 * applicant's orders (seed 001's menu), FINAUTH_PAGE a page */
static int
finauth_page(struct hall_req *req)
{
    struct hall_dbres *res;
    struct hall_val *ctx, *list;
    const char *base = hall_req_base(req);
    long page;
    int i, n, more;

    if (!query_page(req, &page))
        return hall_msg(req, HALL_M_FILTER_PAGE, "page");
    res = hall_db_exec(req->cx, "finauth_list", HALL_I64(req->user_id), HALL_I64(FINAUTH_PAGE + 1),
                       HALL_I64((page - 1) * FINAUTH_PAGE));
    if (res == NULL)
        return HALL_ERR;
    if (hall_req_wants_json(req)) {
        ctx = hall_val_obj(req->pool);
    } else {
        ctx = hall_page_ctx(req);
        hall_val_set_str(req->pool, ctx, "title", "我的业务单-在线认证");
        hall_val_set_str(req->pool, ctx, "site_name", "个人中心");
    }
    n = hall_dbres_rows(res);
    more = n > FINAUTH_PAGE;
    if (more)
        n = FINAUTH_PAGE;
    hall_val_set_int(req->pool, ctx, "page", page);
    if (page > 1)
        hall_val_set_int(req->pool, ctx, "prev_page", page - 1);
    if (more)
        hall_val_set_int(req->pool, ctx, "next_page", page + 1);
    list = hall_val_set_list(req->pool, ctx, "records");
    for (i = 0; i < n; i++) {
        struct hall_val *row = hall_val_push_obj(req->pool, list), *acts;
        const char *oid = hall_dbres_str(res, i, "order_id");
        const char *status = hall_dbres_str(res, i, "status");
        const char *result = hall_dbres_str(res, i, "result");
        const char *name =
            hall_finauth_code_name(strcmp(hall_dbres_str(res, i, "memo_kind"), "pin") == 0);
        int latest = hall_dbres_bool(res, i, "latest");
        int waiting = latest && strcmp(result, "sent") == 0 && strcmp(status, "finauth_ok") == 0;

        hall_val_set_int(req->pool, row, "seq", (page - 1) * FINAUTH_PAGE + i + 1);
        hall_val_set_str(req->pool, row, "order_id", oid);
        hall_dbres_set(req->pool, row, res, i, "order_no subject");
        hall_val_set_str(req->pool, row, "method", "银行金融认证");
        hall_val_set_str(req->pool, row, "code_name", name);
        hall_val_set_str(req->pool, row, "created", hall_dbres_str(res, i, "created"));
        hall_val_set_str(req->pool, row, "result", result);
        hall_val_set_str(req->pool, row, "result_label",
                         finauth_result_label(req, result, name, waiting));
        hall_dbres_set(req->pool, row, res, i, "fail_reason verified");
        acts = hall_val_set_list(req->pool, row, "actions");
        if (waiting || (latest && strcmp(status, "finauth_failed") == 0)) {
            struct hall_val *a = hall_val_push_obj(req->pool, acts);

            hall_val_set_str(req->pool, a, "label", waiting ? "待认证" : "金融认证");
            hall_val_set_str(req->pool, a, "url",
                             hall_pstrcat(req->pool, base, "/finauth?id=", oid, NULL));
        }
        {
            struct hall_val *a = hall_val_push_obj(req->pool, acts);

            hall_val_set_str(req->pool, a, "label", "查看");
            hall_val_set_str(req->pool, a, "url",
                             hall_pstrcat(req->pool, base, "/center/order?id=", oid, NULL));
        }
    }
    if (hall_req_wants_json(req))
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "center_finauth", ctx);
}

static int
certs_page(struct hall_req *req)
{
    struct hall_dbres *res, *seals;
    struct hall_val *ctx, *list;
    long page;
    int i, n, more, cc[C__N];

    /* a page of CERTS_PAGE rows, one more read to know whether a next page
     * exists: an agent with years of orders has thousands of certificates */
    if (!query_page(req, &page))
        return hall_msg(req, HALL_M_FILTER_PAGE, "page");
    res = hall_db_exec(req->cx, "certs_list", HALL_I64(req->user_id), HALL_I64(CERTS_PAGE + 1),
                       HALL_I64((page - 1) * CERTS_PAGE));
    seals = res != NULL ? hall_db_exec(req->cx, "certs_seals", HALL_I64(req->user_id)) : NULL;
    if (res == NULL || seals == NULL)
        return HALL_ERR;
    if (hall_req_wants_json(req)) {
        ctx = hall_val_obj(req->pool);
    } else {
        ctx = hall_page_ctx(req);
        hall_val_set_str(req->pool, ctx, "title", "我的证书");
    }
    list = hall_val_set_list(req->pool, ctx, "certs");
    for (i = 0; i < C__N; i++)
        cc[i] = hall_dbres_col(res, cert_cols[i]);
    n = hall_dbres_rows(res);
    more = n > CERTS_PAGE;
    if (more)
        n = CERTS_PAGE;
    hall_val_set_int(req->pool, ctx, "page", page);
    if (page > 1)
        hall_val_set_int(req->pool, ctx, "prev_page", page - 1);
    if (more)
        hall_val_set_int(req->pool, ctx, "next_page", page + 1);
    hall_val_set_bool(req->pool, ctx, "paged", page > 1 || more);
    for (i = 0; i < n; i++) {
        struct hall_val *row = hall_val_push_obj(req->pool, list);
        const char *serial = hall_dbres_get(res, i, cc[C_SERIAL]);
        const char *kind = hall_dbres_get(res, i, cc[C_SEAL_KIND]);
        const char *ca = hall_dbres_get(res, i, cc[C_CA]);
        const char *label, *code;

        code = cert_state(hall_dbres_get(res, i, cc[C_STATE]),
                          *hall_dbres_get(res, i, cc[C_EXPIRED]) == 't',
                          *hall_dbres_get(res, i, cc[C_EXPIRING]) == 't', &label);
        hall_val_set_str(req->pool, row, "serial", serial);
        hall_val_set_str(req->pool, row, "subject",
                         hall_pki_subject_text(req->pool, hall_dbres_get(res, i, cc[C_CN]),
                                               hall_dbres_get(res, i, cc[C_ORG])));
        /* a seal's own certificate is of its seal's kind (sql/027) */
        hall_val_set_str(req->pool, row, "cert_type",
                         *kind != '\0' && strcmp(kind, "org") != 0
                             ? kind
                             : hall_dbres_get(res, i, cc[C_CERT_TYPE]));
        hall_val_set_str(req->pool, row, "cert_type_label",
                         hall_cert_type_label(hall_val_get(row, "cert_type")->str));
        hall_val_set_str(req->pool, row, "ca", ca);
        hall_val_set_str(req->pool, row, "ca_label", ca_label(ca));
        hall_val_set_str(req->pool, row, "not_before", hall_dbres_get(res, i, cc[C_NB]));
        hall_val_set_str(req->pool, row, "not_after", hall_dbres_get(res, i, cc[C_NA]));
        hall_val_set_str(req->pool, row, "state", code);
        hall_val_set_str(req->pool, row, "state_label", label);
        if (strcmp(code, "revoked") == 0) {
            int reason = atoi(hall_dbres_get(res, i, cc[C_REASON]));

            hall_val_set_str(req->pool, row, "revoked_at",
                             hall_dbres_get(res, i, cc[C_REVOKED_AT]));
            hall_val_set_str(req->pool, row, "revoke_reason", hall_pki_reason_name(reason));
            hall_val_set_str(req->pool, row, "revoke_reason_label", hall_pki_reason_label(reason));
        }
        hall_val_set_str(req->pool, row, "order_id", hall_dbres_get(res, i, cc[C_ORDER_ID]));
        hall_val_set_str(req->pool, row, "order_no", hall_dbres_get(res, i, cc[C_ORDER_NO]));
        cert_actions(req, row, code, serial, hall_dbres_get(res, i, cc[C_PARTNER]),
                     *hall_dbres_get(res, i, cc[C_REISSUABLE]) == 't',
                     *hall_dbres_get(res, i, cc[C_CHANGEABLE]) == 't',
                     *hall_dbres_get(res, i, cc[C_RENEWABLE]) == 't',
                     *hall_dbres_get(res, i, cc[C_UNLOCKABLE]) == 't');
        if (*serial != '\0')
            cert_seals(req, row, seals, serial, code);
    }
    if (hall_req_wants_json(req))
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "center_certs", ctx);
}

static const struct hall_pspec download_params[] = {
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {"format", HALL_P_TEXT, 0, 1, 8, "证书格式", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static X509 *
pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    return x;
}

/* the bytes of a memory BIO, copied into the request's pool */
static unsigned char *
bio_bytes(struct hall_req *req, BIO *b, size_t *len)
{
    char *p;
    long n = BIO_get_mem_data(b, &p);
    unsigned char *out;

    if (n <= 0)
        return NULL;
    out = hall_palloc(req->pool, (size_t)n);
    memcpy(out, p, (size_t)n);
    *len = (size_t)n;
    return out;
}

/*
 * 下载证书: the owner's certificate as signed, with the chain that issued
 * it (the issuing CA, then the root): PEM (the three, concatenated), DER
 * (the certificate alone: a DER file holds one) or P7B (PKCS#7 certs-only
 * with the three).  Certificates only: the medium (PKCS#12) is /pki/medium.
 */
static int
cert_download(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial"), *fmt = hall_req_param(req, "format");
    const char *name, *alg, *ca_pem = NULL;
    struct hall_dbres *res;
    const unsigned char *p;
    unsigned char *der, *out = NULL;
    size_t der_len, out_len = 0;
    X509 *x = NULL, *ca = NULL, *root = NULL;
    BIO *b = NULL;
    PKCS7 *p7 = NULL;
    int i, rc;

    if (strcmp(fmt, "pem") != 0 && strcmp(fmt, "der") != 0 && strcmp(fmt, "p7b") != 0)
        return hall_msg(req, HALL_M_MYCERT_FORMAT, "format");
    if (!hall_pki_serial_ok(serial))
        return hall_msg(req, HALL_M_PKI_SERIAL_FORMAT, "serial");
    res = hall_db_exec(req->cx, "cert_own_der", HALL_STR(serial), HALL_I64(req->user_id));
    if (res == NULL)
        return HALL_ERR;
    /* another's serial answers as one that does not exist */
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_MYCERT_NOT_FOUND, "serial");
    der = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "der"), &der_len);
    if (der == NULL)
        return HALL_ERR;
    if (strcmp(fmt, "der") == 0)
        return hall_resp_bytes(req, der, der_len, "application/pkix-cert",
                               hall_psprintf(req->pool, "%s.cer", serial));
    for (i = 0; hall_pki_ca_info(i, &name, &alg, &ca_pem) == HALL_OK; i++)
        if (strcmp(name, hall_dbres_str(res, 0, "ca")) == 0)
            break;
    p = der;
    x = d2i_X509(NULL, &p, (long)der_len);
    ca = ca_pem != NULL ? pem_cert(ca_pem) : NULL;
    root = pem_cert(hall_pki_root_pem());
    b = BIO_new(BIO_s_mem());
    if (x == NULL || ca == NULL || root == NULL || b == NULL)
        goto out;
    if (strcmp(fmt, "pem") == 0) {
        if (PEM_write_bio_X509(b, x) != 1 || PEM_write_bio_X509(b, ca) != 1 ||
            PEM_write_bio_X509(b, root) != 1)
            goto out;
    } else {
        p7 = PKCS7_new();
        if (p7 == NULL || PKCS7_set_type(p7, NID_pkcs7_signed) != 1 ||
            PKCS7_content_new(p7, NID_pkcs7_data) != 1 || PKCS7_add_certificate(p7, x) != 1 ||
            PKCS7_add_certificate(p7, ca) != 1 || PKCS7_add_certificate(p7, root) != 1 ||
            i2d_PKCS7_bio(b, p7) != 1)
            goto out;
    }
    out = bio_bytes(req, b, &out_len);
out:
    PKCS7_free(p7);
    BIO_free(b);
    X509_free(x);
    X509_free(ca);
    X509_free(root);
    if (out == NULL) {
        hall_err(req, "msg=\"center: certificate download failed\" serial=%s", serial);
        return hall_resp_busy(req);
    }
    if (strcmp(fmt, "pem") == 0)
        rc = hall_resp_bytes(req, out, out_len, "application/x-pem-file",
                             hall_psprintf(req->pool, "%s.pem", serial));
    else
        rc = hall_resp_bytes(req, out, out_len, "application/x-pkcs7-certificates",
                             hall_psprintf(req->pool, "%s.p7b", serial));
    return rc;
}

/* ---- 撤销: the holder's own revocation ------------------------------------------ */

/*
 * From 我的证书, for a valid or expiring certificate: the page shows the
 * certificate, the reasons, that it cannot be undone, the seals it signs
 * and the orders under way that replace it; an SMS code to the account's
 * phone confirms.  The revocation is hall_pki_revoke's (the OCSP answer
 * changes at once, core/pki/ca.c), the CRL follows within hall-outbox's CA
 * tick; no fee.  docs/modules/center.md.
 */
static const char *const revoke_reasons[] = {"keyCompromise", "affiliationChanged",
                                             "cessationOfOperation", "superseded", NULL};

/* the reasons as the holder reads them (the CRL's reason codes, RFC 5280) */
static const char *const revoke_reason_words[] = {
    "证书私钥或介质丢失、被盗，或可能被他人知悉",
    "证书中的机构名称、法定代表人等信息已发生变化",
    "不再需要使用该证书",
    "已有新证书代替该证书",
};

static const struct hall_pspec revoke_view_params[] = {
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct hall_pspec revoke_params[] = {
    {"serial", HALL_P_TEXT, 0, 1, 64, "证书序列号", NULL},
    {"reason", HALL_P_CHOICE, 0, 0, 0, "撤销原因", revoke_reasons},
    {"code", HALL_P_SMSCODE, 0, 0, 0, "短信验证码", NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* what becomes of an order under way that replaces the certificate */
static const char *
revoke_order_effect(const char *status, int *cancel)
{
    *cancel = strcmp(status, "draft") == 0 || strcmp(status, "unpaid") == 0;
    if (*cancel)
        return "尚未缴费，将随撤销自动取消";
    if (strcmp(status, "accepted") == 0)
        return "已受理，新证书照常制作";
    if (strcmp(status, "refund_requested") == 0)
        return "退费审核中，不受影响";
    return "原证书撤销后不能再通过审核，已缴费用可在“我的业务单”申请退费";
}

/* the account's phone as the header shows it (138****1234) */
static const char *
revoke_who(const struct hall_req *req)
{
    if (req->session != NULL && req->session->who != NULL && *req->session->who != '\0')
        return req->session->who;
    return "账号手机";
}

/* the account's own phone, decrypted; NULL on failure */
static const char *
revoke_phone(struct hall_req *req)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "revoke_phone", HALL_I64(req->user_id));
    const unsigned char *enc;
    size_t n;

    if (res == NULL || hall_dbres_rows(res) == 0)
        return NULL;
    enc = hall_dbres_bytea(req->cx, res, 0, hall_dbres_col(res, "phone_enc"), &n);
    return enc != NULL ? hall_pii_decrypt(req->pool, enc, n) : NULL;
}

/* the serial of a request: 400 or 404 answered (*rc) when it is not one of
 * the applicant's signed certificates; the row otherwise */
static struct hall_dbres *
revoke_cert(struct hall_req *req, const char *serial, int *rc)
{
    struct hall_dbres *res;

    if (!hall_pki_serial_ok(serial)) {
        *rc = hall_msg(req, HALL_M_PKI_SERIAL_FORMAT, "serial");
        return NULL;
    }
    res = hall_db_exec(req->cx, "revoke_cert", HALL_STR(serial), HALL_I64(req->user_id));
    if (res == NULL) {
        *rc = hall_resp_busy(req);
        return NULL;
    }
    /* another's serial answers as one that does not exist */
    if (hall_dbres_rows(res) == 0) {
        *rc = hall_msg(req, HALL_M_MYCERT_NOT_FOUND, "serial");
        return NULL;
    }
    return res;
}

static int
revoke_page(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial");
    struct hall_dbres *res, *seals, *orders;
    struct hall_val *ctx, *cert, *list;
    const char *kind, *label, *code;
    int i, rc, cancel;

    res = revoke_cert(req, serial, &rc);
    if (res == NULL)
        return rc;
    seals = hall_db_exec(req->cx, "revoke_seals", HALL_STR(serial));
    orders = seals != NULL ? hall_db_exec(req->cx, "revoke_orders", HALL_STR(serial)) : NULL;
    if (orders == NULL)
        return HALL_ERR;
    if (hall_req_wants_json(req)) {
        ctx = hall_val_obj(req->pool);
    } else {
        ctx = hall_page_ctx(req);
        hall_val_set_str(req->pool, ctx, "title", "撤销证书");
    }
    cert = hall_val_set_obj(req->pool, ctx, "cert");
    kind = hall_dbres_str(res, 0, "seal_kind");
    code =
        cert_state(hall_dbres_str(res, 0, "state"), hall_dbres_bool(res, 0, "expired"), 0, &label);
    hall_val_set_str(req->pool, cert, "serial", serial);
    hall_val_set_str(req->pool, cert, "subject",
                     hall_pki_subject_text(req->pool, hall_dbres_str(res, 0, "subject_cn"),
                                           hall_dbres_str(res, 0, "subject_org")));
    hall_val_set_str(req->pool, cert, "cert_type_label",
                     hall_cert_type_label(*kind != '\0' && strcmp(kind, "org") != 0
                                              ? kind
                                              : hall_dbres_str(res, 0, "cert_type")));
    hall_val_set_str(req->pool, cert, "ca_label", ca_label(hall_dbres_str(res, 0, "ca")));
    hall_dbres_set(req->pool, cert, res, 0, "not_before not_after");
    hall_val_set_str(req->pool, cert, "state", code);
    hall_val_set_str(req->pool, cert, "state_label", label);
    hall_dbres_set(req->pool, cert, res, 0, "order_id order_no");
    if (strcmp(code, "revoked") == 0) {
        int reason = (int)hall_dbres_int(res, 0, "revoke_reason");

        hall_val_set_str(req->pool, cert, "revoked_at", hall_dbres_str(res, 0, "revoked_at"));
        hall_val_set_str(req->pool, cert, "revoke_reason_label", hall_pki_reason_label(reason));
    }
    /* only a live certificate is revoked; an expired one is already of no use */
    hall_val_set_bool(req->pool, ctx, "revocable", strcmp(code, "valid") == 0);
    list = hall_val_set_list(req->pool, ctx, "reasons");
    for (i = 0; revoke_reasons[i] != NULL; i++) {
        struct hall_val *r = hall_val_push_obj(req->pool, list);
        int c = hall_pki_reason_code(revoke_reasons[i]);

        hall_val_set_str(req->pool, r, "name", revoke_reasons[i]);
        hall_val_set_str(req->pool, r, "label", hall_pki_reason_label(c));
        hall_val_set_str(req->pool, r, "words", revoke_reason_words[i]);
    }
    list = hall_val_set_list(req->pool, ctx, "seals");
    for (i = 0; i < hall_dbres_rows(seals); i++) {
        struct hall_val *it = hall_val_push_obj(req->pool, list);
        const char *k = hall_dbres_str(seals, i, "kind");
        const char *name = hall_dbres_str(seals, i, "seal_name");

        if (strcmp(k, "org_person") == 0) {
            /* the person's name, as 我的证书 shows it (never the ID number) */
            struct hall_val *h =
                hall_dbres_pii_json(req->cx, seals, i, hall_dbres_col(seals, "holder_enc"));

            name = h != NULL ? hall_form_str(h, "name") : "";
        }
        hall_val_set_str(req->pool, it, "kind_label", seal_kind_label(k));
        hall_val_set_str(req->pool, it, "name", name);
        hall_val_set_str(req->pool, it, "es_id", hall_dbres_str(seals, i, "es_id"));
    }
    hall_val_set_bool(req->pool, ctx, "has_seals", hall_dbres_rows(seals) > 0);
    list = hall_val_set_list(req->pool, ctx, "orders");
    for (i = 0; i < hall_dbres_rows(orders); i++) {
        struct hall_val *it = hall_val_push_obj(req->pool, list);
        const char *st = hall_dbres_str(orders, i, "status");

        hall_dbres_set(req->pool, it, orders, i, "id order_no");
        hall_val_set_str(req->pool, it, "business",
                         business_label(hall_dbres_str(orders, i, "business_type")));
        hall_val_set_str(req->pool, it, "status", st);
        hall_val_set_str(req->pool, it, "status_label", hall_order_label(st));
        hall_val_set_str(req->pool, it, "effect", revoke_order_effect(st, &cancel));
        hall_val_set_bool(req->pool, it, "cancelled_by_revoke", cancel);
    }
    hall_val_set_bool(req->pool, ctx, "has_orders", hall_dbres_rows(orders) > 0);
    hall_val_set_str(req->pool, ctx, "phone_masked", revoke_who(req));
    hall_val_set_str(req->pool, ctx, "fee", "0.00");
    if (hall_req_wants_json(req))
        return hall_resp_ok(req, ctx);
    return hall_resp_page(req, 200, "center_revoke", ctx);
}

/* the state that refuses a revocation, answered; 0 when it may go on */
static int
revoke_refused(struct hall_req *req, const char *state, int expired, int *rc)
{
    if (strcmp(state, "issued") != 0)
        *rc = hall_msg(req, HALL_M_REVOKE_DONE, "serial");
    else if (expired)
        *rc = hall_msg(req, HALL_M_REVOKE_EXPIRED, "serial");
    else
        return 0;
    return 1;
}

/* 获取验证码: a code of purpose "revoke" for this certificate to the
 * account's own phone (core/flow/sms.c: it confirms the revocation of this
 * one only) */
static int
revoke_code(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial"), *phone;
    struct hall_dbres *res;
    enum hall_sms_result r;
    struct hall_val *v;
    int rc;

    res = revoke_cert(req, serial, &rc);
    if (res == NULL)
        return rc;
    if (revoke_refused(req, hall_dbres_str(res, 0, "state"), hall_dbres_bool(res, 0, "expired"),
                       &rc))
        return rc;
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    phone = revoke_phone(req);
    if (phone == NULL || strlen(phone) != 11)
        return hall_resp_busy(req);
    r = hall_sms_client_limit(req);
    if (r == HALL_SMS_OK)
        r = hall_sms_object_code_send(req, phone, "revoke", hall_dbres_str(res, 0, "serial"),
                                      HALL_SMST_revoke_code);
    if (r == HALL_SMS_DB_ERROR)
        return hall_resp_busy(req);
    if (r == HALL_SMS_TOO_SOON)
        return hall_msg(req, HALL_M_SMS_TOO_SOON, "code", req->app->conf.sms_code_interval_s);
    if (r != HALL_SMS_OK)
        return hall_resp_error(req, 429, "code", hall_sms_result_msg(r));
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    v = hall_val_obj(req->pool);
    hall_val_set_fmt(req->pool, v, "message", "验证码已发送至%s，%ld分钟内有效", revoke_who(req),
                     req->app->conf.sms_code_ttl_s / 60);
    hall_val_set_int(req->pool, v, "resend_after", req->app->conf.sms_code_interval_s);
    return hall_resp_ok(req, v);
}

/*
 * 确认撤销: one transaction.  The certificate's row first (FOR UPDATE: a
 * second confirmation waits here and then finds it revoked; only the
 * orders replacing it are locked before it), the code, the
 * revocation, the orders under way that replace it (cancelled when nothing
 * was paid, told in their history otherwise), the audit, the SMS to the
 * holder and the agent.
 */
static int
revoke_confirm(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial");
    const char *reason_name = hall_req_param(req, "reason");
    int reason = hall_pki_reason_code(reason_name);
    const char *actor = hall_req_actor(req), *phone, *ca, *at;
    struct hall_val *params;
    struct hall_dbres *res, *orders, *cert;
    struct hall_val *detail, *v, *cancelled;
    enum hall_sms_result r;
    int i, rc, cancel;

    res = revoke_cert(req, serial, &rc);
    if (res == NULL)
        return rc;
    cert = res;
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    /* the replacing orders before the certificate, as their approval takes
     * them (core/flow/reissue_review.c): the two never wait on each other */
    if (hall_db_exec(req->cx, "revoke_orders_lock", HALL_STR(serial)) == NULL)
        return HALL_ERR;
    res = hall_db_exec(req->cx, "revoke_cert_lock", HALL_STR(serial), HALL_I64(req->user_id));
    if (res == NULL || hall_dbres_rows(res) == 0)
        return HALL_ERR;
    if (revoke_refused(req, hall_dbres_str(res, 0, "state"), hall_dbres_bool(res, 0, "expired"),
                       &rc))
        return rc;
    phone = revoke_phone(req);
    if (phone == NULL)
        return HALL_ERR;
    r = hall_sms_object_code_check(req, phone, "revoke", hall_dbres_str(cert, 0, "serial"),
                                   hall_req_param(req, "code"));
    if (r == HALL_SMS_DB_ERROR)
        return hall_resp_busy(req);
    if (r != HALL_SMS_OK) {
        /* the wrong try counts */
        if (hall_db_commit(req->cx) != HALL_OK)
            return HALL_ERR;
        return hall_resp_error(req, 400, "code", hall_sms_result_msg(r));
    }
    rc = hall_pki_revoke(req->cx, serial, reason, actor, &ca);
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_REVOKE_DONE, "serial");
    if (rc != HALL_OK)
        return hall_resp_busy(req);
    /* again: an order that claimed the certificate while this waited for it */
    orders = hall_db_exec(req->cx, "revoke_orders_lock", HALL_STR(serial));
    res = orders != NULL ? hall_db_exec(req->cx, "revoke_done", HALL_STR(serial)) : NULL;
    if (res == NULL)
        return HALL_ERR;
    at = hall_dbres_str(res, 0, "at");
    v = hall_val_obj(req->pool);
    cancelled = hall_val_set_list(req->pool, v, "cancelled");
    for (i = 0; i < hall_dbres_rows(orders); i++) {
        const char *st = hall_dbres_str(orders, i, "status");
        const char *oid = hall_dbres_str(orders, i, "id");

        detail = hall_val_obj(req->pool);
        hall_val_set_str(req->pool, detail, "serial", serial);
        hall_val_set_str(req->pool, detail, "reason", reason_name);
        revoke_order_effect(st, &cancel);
        if (hall_audit(req->cx, actor, "order", oid, "replaced_cert_revoked", NULL, NULL, detail) !=
            HALL_OK)
            return hall_resp_busy(req);
        if (!cancel)
            continue;
        if (hall_order_move(req->cx, strtoll(oid, NULL, 10), st, "cancelled", actor, detail) !=
            HALL_OK)
            return hall_resp_busy(req);
        /* its open online trades closed at the gateway (as pay does when a
         * trade is abandoned); money that still comes is a surplus,
         * refunded without anyone asking (core/biz/payment.c) */
        if (hall_payment_close_others(req->cx, strtoll(oid, NULL, 10), 0) == NULL)
            return hall_resp_busy(req);
        hall_val_push_str(req->pool, cancelled, hall_dbres_str(orders, i, "order_no"));
    }
    detail = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, detail, "serial", serial);
    hall_val_set_str(req->pool, detail, "reason", reason_name);
    if (hall_audit(req->cx, actor, "order", hall_dbres_str(cert, 0, "order_id"), "holder_revoke",
                   NULL, NULL, detail) != HALL_OK)
        return hall_resp_busy(req);
    params = hall_val_obj(req->pool);
    hall_val_set_str(req->pool, params, "serial", serial);
    hall_val_set_str(req->pool, params, "at", at);
    hall_val_set_str(req->pool, params, "reason", hall_pki_reason_label(reason));
    if (hall_cert_sms(req->cx, serial, "revoke", HALL_SMST_holder_revoked, params) < 0)
        return hall_resp_busy(req);
    if (hall_db_commit(req->cx) != HALL_OK)
        return HALL_ERR;
    /* the CRL: hall-outbox's CA tick publishes one that lists it (this
     * module holds no CA key) */
    hall_info(req, "msg=\"certificate revoked by its holder\" serial=%s reason=%s ca=%s", serial,
              reason_name, ca);
    hall_val_set_str(req->pool, v, "message", "证书已撤销");
    hall_val_set_str(req->pool, v, "serial", serial);
    hall_val_set_str(req->pool, v, "revoked_at", at);
    hall_val_set_str(req->pool, v, "revoke_reason", reason_name);
    hall_val_set_str(req->pool, v, "revoke_reason_label", hall_pki_reason_label(reason));
    hall_val_set_fmt(req->pool, v, "redirect", "%s/center/certs", hall_req_base(req));
    if (!hall_req_wants_json(req))
        return hall_resp_redirect(req, hall_val_get(v, "redirect")->str);
    return hall_resp_ok(req, v);
}

/* the issuing CAs' and the root's certificates (no key), for the chain */
static int
center_init(struct hall_app *app)
{
    char err[512];

    if (hall_pki_load(&app->conf, 0, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    return HALL_OK;
}

static const struct hall_route center_routes[] = {
    {"GET", "/center/orders", orders_page, HALL_R_NOSESSION, NULL}, /* reads its own */
    {"GET", "/center/order", order_page, HALL_R_AUTH, NULL},
    {"POST", "/center/refund", do_refund, HALL_R_AUTH, refund_params},
    {"POST", "/center/invoice/resend", do_invoice_resend, HALL_R_AUTH, id_params},
    {"GET", "/center/finauth", finauth_page, HALL_R_AUTH, NULL},
    {"GET", "/center/certs", certs_page, HALL_R_AUTH, NULL},
    {"GET", "/center/cert/download", cert_download, HALL_R_AUTH, download_params},
    {"GET", "/center/cert/revoke", revoke_page, HALL_R_AUTH, revoke_view_params},
    {"POST", "/center/cert/revoke/code", revoke_code, HALL_R_AUTH, revoke_view_params},
    {"POST", "/center/cert/revoke", revoke_confirm, HALL_R_AUTH, revoke_params},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(center, center_routes, center_stmts, center_init)
