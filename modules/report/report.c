/*
 * report: the managers' reports (SPEC "Admin and reports"), staff role
 * report only.
 *
 *   GET /report/              every report as tables with bar charts (HTML)
 *   GET /report/orders        orders created, submitted, paid; amount of the paid
 *   GET /report/revenue       money in and out (fen, refunds subtracted)
 *   GET /report/review        review decisions against the SLA in working days
 *   GET /report/funnel        started -> submitted -> paid -> approved -> issued -> delivered
 *   GET /report/finauth       financial-authentication attempts and failure rate
 *   GET /report/certs         certificates issued / revoked, expiring in 30/60/90 days
 *
 * Every report takes from, to (YYYY-MM-DD, both included; default the last
 * 30 days), group (which ones each report allows: the table below) and
 * format=json|csv.  A bad parameter answers 400 naming it.  CSV is UTF-8
 * with a BOM and a Content-Disposition, so Excel opens it as it is.
 *
 * Each (report, group) is one prepared statement; the grouping key is the
 * first column, the figures follow in the order of the report's columns.
 * The SQL reads the source functions of sql/024_report_rollup.sql: daily
 * roll-ups of orders.reached / decided_at (sql/015_office.sql), the view
 * report_money and the certificates, kept exact by triggers and refreshed
 * by hall-outbox; the days not rolled up are read live.  No report joins
 * the audit log.  Over a year of 1,000,000 orders a report reads some
 * thousands of summary rows (bench/reports, docs/performance.md).
 * docs/modules/report.md.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hall.h"

#define MAX_SPAN_DAYS 3700 /* ten years and a little */
#define MAX_COLS      12

/* ---- SQL ------------------------------------------------------------------ */

/* Every report reads a source function of sql/024_report_rollup.sql over
 * [$1, $2]: report_<kind>_src() answers from the daily roll-up for the days
 * rolled up and unchanged since, and computes the rest (yesterday, today,
 * the days whose rows changed) live from the tables, so the figures are the
 * same as a read of every row.  Its rows are partial sums (n, fen ...) per
 * day and key: the reports add them up. */
#define SRC(kind) " FROM report_" kind "_src($1::date, $2::date) o"

#define K_DAY      "o.day"
#define K_PARTNER  "o.partner_code"
#define K_BUSINESS "o.business_type"
#define K_STATUS   "o.status"
#define K_ALL      "'all'::text"

/* the sum of n over the rows that match a condition, 0 when none */
#define N_IF(cond) " coalesce(sum(o.n) FILTER (WHERE " cond "), 0)::bigint"

/* the key of a group, rendered as text by the outer query (clang-format
 * would break the string pieces apart) */
// clang-format off
#define ORDERS_SQL(key)                                                                            \
    "SELECT k::text AS k, n AS orders, sub AS submitted, paid, fen AS paid_amount_fen"             \
    " FROM (SELECT " key " AS k, sum(o.n)::bigint AS n,"                                           \
    N_IF("o.reached & 1 <> 0") " AS sub," N_IF("o.reached & 2 <> 0") " AS paid,"                   \
    " coalesce(sum(o.fen) FILTER (WHERE o.reached & 2 <> 0), 0)::bigint AS fen" SRC("orders")      \
    " GROUP BY 1) s ORDER BY 1"

#define REVENUE_SQL(key)                                                                           \
    "SELECT k::text AS k, gross AS gross_fen, refund AS refund_fen, gross - refund AS net_fen"     \
    " FROM (SELECT " key " AS k,"                                                                  \
    " sum(o.gross)::bigint AS gross, sum(o.refund)::bigint AS refund" SRC("money")                 \
    " GROUP BY 1) s ORDER BY 1"

/* working days of a review: the calendar's running count of working days
 * (holidays table, is_workday) at the decision minus at the submission */
#define REVIEW_SQL(key)                                                                            \
    "WITH cal AS (SELECT g::date AS day, count(*) FILTER (WHERE is_workday(g::date))"              \
    " OVER (ORDER BY g) AS n FROM generate_series($1::date - 400, $2::date, interval '1 day') g)"  \
    " SELECT k::text AS k, n AS decided, on_time, n - on_time AS overdue, wd AS workdays_sum"      \
    " FROM (SELECT " key " AS k,"                                                                  \
    " sum(o.n)::bigint AS n," N_IF("o.on_time") " AS on_time,"                                     \
    " coalesce(sum(o.n * (c2.n - c1.n)), 0)::bigint AS wd" SRC("review")                           \
    " JOIN cal c1 ON c1.day = o.sub_day JOIN cal c2 ON c2.day = o.day"                             \
    " GROUP BY 1) s ORDER BY 1"

#define FUNNEL_SQL(key)                                                                            \
    "SELECT k::text AS k, n AS started, b1 AS submitted, b2 AS paid, b4 AS approved,"              \
    " b8 AS issued, b16 AS delivered FROM (SELECT " key " AS k, sum(o.n)::bigint AS n,"            \
    N_IF("o.reached & 1 <> 0") " AS b1," N_IF("o.reached & 2 <> 0") " AS b2,"                      \
    N_IF("o.reached & 4 <> 0") " AS b4," N_IF("o.reached & 8 <> 0") " AS b8,"                      \
    N_IF("o.reached & 16 <> 0") " AS b16" SRC("orders") " GROUP BY 1) s ORDER BY 1"

/* attempts whose bank transfer was done: sent (then verified or locked) or failed */
#define FINAUTH_SQL(key)                                                                           \
    "SELECT k::text AS k, n AS attempts, done AS transferred, failed, verified, locked"            \
    " FROM (SELECT " key " AS k,"                                                                  \
    " sum(o.n)::bigint AS n," N_IF("o.result <> 'queued'") " AS done,"                             \
    N_IF("o.result = 'failed'") " AS failed," N_IF("o.result = 'verified'") " AS verified,"        \
    N_IF("o.result = 'locked'") " AS locked" SRC("finauth") " GROUP BY 1) s ORDER BY 1"

/* certificates signed and revoked in the range, and those expiring within
 * 30/60/90 days of now (report_certs_src: a row per partner and business
 * that has a certificate at all, as the view report_certificates did) */
#define CERTS_SQL(key)                                                                             \
    "SELECT k::text AS k, issued, revoked, e30 AS expiring_30, e60 AS expiring_60,"                \
    " e90 AS expiring_90 FROM (SELECT " key " AS k,"                                               \
    " sum(o.issued)::bigint AS issued, sum(o.revoked)::bigint AS revoked,"                         \
    " sum(o.e30)::bigint AS e30, sum(o.e60)::bigint AS e60, sum(o.e90)::bigint AS e90"             \
    SRC("certs") " GROUP BY 1) s ORDER BY 1"
// clang-format on

static const struct hall_stmt report_stmts[] = {
    {"partners", "SELECT code, name FROM partners", 0},
    /* a report is one aggregate over up to a million rows: compiling it
     * (JIT) costs more than it saves, most of all on a busy machine */
    {"no_jit", "SELECT set_config('jit', 'off', false)", 0},
    {"orders_day", ORDERS_SQL(K_DAY), 2},
    {"orders_partner", ORDERS_SQL(K_PARTNER), 2},
    {"orders_business", ORDERS_SQL(K_BUSINESS), 2},
    {"orders_status", ORDERS_SQL(K_STATUS), 2},
    {"revenue_day", REVENUE_SQL(K_DAY), 2},
    {"revenue_partner", REVENUE_SQL(K_PARTNER), 2},
    {"revenue_business", REVENUE_SQL(K_BUSINESS), 2},
    {"review_partner", REVIEW_SQL(K_PARTNER), 2},
    {"review_business", REVIEW_SQL(K_BUSINESS), 2},
    {"review_day", REVIEW_SQL(K_DAY), 2},
    {"funnel_all", FUNNEL_SQL(K_ALL), 2},
    {"funnel_partner", FUNNEL_SQL(K_PARTNER), 2},
    {"funnel_business", FUNNEL_SQL(K_BUSINESS), 2},
    {"funnel_day", FUNNEL_SQL(K_DAY), 2},
    {"finauth_all", FINAUTH_SQL(K_ALL), 2},
    {"finauth_day", FINAUTH_SQL(K_DAY), 2},
    {"finauth_partner", FINAUTH_SQL(K_PARTNER), 2},
    {"certs_all", CERTS_SQL(K_ALL), 2},
    {"certs_partner", CERTS_SQL(K_PARTNER), 2},
    {"certs_business", CERTS_SQL(K_BUSINESS), 2},
    {NULL, NULL, 0},
};

/* ---- the reports ------------------------------------------------------------ */

/*
 * A column: 'i' a count, 'f' an amount in fen (yuan in CSV), 'p' a
 * percentage num/den of two earlier columns, 'a' an average num/den with
 * one decimal, 'h' a figure the SQL returns for an average but nobody sees.
 * The SQL names the key "k" and each 'i', 'f' and 'h' column by its key.
 */
struct rcol {
    const char *key, *label;
    char kind;
    int num, den; /* indexes into the report's cols, for 'p' and 'a' */
};

struct report {
    const char *name, *title;
    const char *const *groups; /* the first is the default */
    int bar;                   /* the column the bar chart draws */
    struct rcol cols[MAX_COLS];
};

static const char *const g_orders[] = {"day", "partner", "business", "status", NULL};
static const char *const g_revenue[] = {"day", "partner", "business", NULL};
static const char *const g_review[] = {"partner", "business", "day", NULL};
static const char *const g_funnel[] = {"all", "partner", "business", "day", NULL};
static const char *const g_finauth[] = {"all", "day", "partner", NULL};
static const char *const g_certs[] = {"all", "partner", "business", NULL};

static const struct report reports[] = {
    {"orders",
     "业务单统计",
     g_orders,
     0,
     {{"orders", "业务单数", 'i', 0, 0},
      {"submitted", "已提交", 'i', 0, 0},
      {"paid", "已缴费", 'i', 0, 0},
      {"paid_amount_fen", "已缴费金额（分）", 'f', 0, 0},
      {NULL, NULL, 0, 0, 0}}},
    {"revenue",
     "收入统计（扣除退费）",
     g_revenue,
     2,
     {{"gross_fen", "收款（分）", 'f', 0, 0},
      {"refund_fen", "退费（分）", 'f', 0, 0},
      {"net_fen", "净收入（分）", 'f', 0, 0},
      {NULL, NULL, 0, 0, 0}}},
    {"review",
     "审核时效（工作日）",
     g_review,
     4,
     {{"decided", "审核完成数", 'i', 0, 0},
      {"on_time", "按时完成", 'i', 0, 0},
      {"overdue", "超时完成", 'i', 0, 0},
      {"workdays_sum", NULL, 'h', 0, 0},
      {"on_time_pct", "按时率（%）", 'p', 1, 0},
      {"avg_workdays", "平均用时（工作日）", 'a', 3, 0},
      {NULL, NULL, 0, 0, 0}}},
    {"funnel",
     "办理漏斗",
     g_funnel,
     0,
     {{"started", "开始办理", 'i', 0, 0},
      {"submitted", "已提交", 'i', 0, 0},
      {"paid", "已缴费", 'i', 0, 0},
      {"approved", "审核通过", 'i', 0, 0},
      {"issued", "已制证", 'i', 0, 0},
      {"delivered", "已签收", 'i', 0, 0},
      {"paid_pct", "缴费转化率（%）", 'p', 2, 0},
      {"approved_pct", "审核通过率（%）", 'p', 3, 0},
      {NULL, NULL, 0, 0, 0}}},
    {"finauth",
     "金融认证",
     g_finauth,
     5,
     {{"attempts", "认证次数", 'i', 0, 0},
      {"transferred", "已打款", 'i', 0, 0},
      {"failed", "打款失败", 'i', 0, 0},
      {"verified", "验证通过", 'i', 0, 0},
      {"locked", "输错锁定", 'i', 0, 0},
      {"failure_pct", "失败率（%）", 'p', 2, 1},
      {NULL, NULL, 0, 0, 0}}},
    {"certs",
     "证书统计",
     g_certs,
     0,
     {{"issued", "签发", 'i', 0, 0},
      {"revoked", "吊销", 'i', 0, 0},
      {"expiring_30", "30天内到期", 'i', 0, 0},
      {"expiring_60", "60天内到期", 'i', 0, 0},
      {"expiring_90", "90天内到期", 'i', 0, 0},
      {NULL, NULL, 0, 0, 0}}},
    {NULL, NULL, NULL, 0, {{NULL, NULL, 0, 0, 0}}},
};

static const struct {
    const char *code, *label;
} group_labels[] = {
    {"day", "日期"},    {"partner", "合作方"}, {"business", "业务类型"},
    {"status", "状态"}, {"all", "合计"},       {NULL, NULL},
};

static const struct {
    const char *code, *label;
} businesses[] = {
    {"new", "证书新办"},      {"reissue", "介质遗失补办"},
    {"seal", "电子签章申请"}, {"finauth", "金融认证"},
    {"renew", "证书更新"},    {"change", "证书变更"},
    {"unlock", "证书解锁"},   {NULL, NULL},
};

static const char *
label_of(const char *code, int group)
{
    int i;

    if (group) {
        for (i = 0; group_labels[i].code != NULL; i++)
            if (strcmp(group_labels[i].code, code) == 0)
                return group_labels[i].label;
    } else {
        for (i = 0; businesses[i].code != NULL; i++)
            if (strcmp(businesses[i].code, code) == 0)
                return businesses[i].label;
    }
    return code;
}

static const struct report *
report_named(const char *name)
{
    int i;

    for (i = 0; reports[i].name != NULL; i++)
        if (strcmp(reports[i].name, name) == 0)
            return &reports[i];
    return NULL;
}

/* ---- parameters --------------------------------------------------------------- */

struct query {
    const struct report *rep;
    const char *group;
    const char *from, *to; /* YYYY-MM-DD */
    int csv;
};

/* a real calendar date written YYYY-MM-DD; its day number in *days */
static int
parse_day(const char *s, long *days)
{
    struct tm tm;
    int y, m, d;
    time_t t;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || strspn(s, "0123456789-") != 10 ||
        sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return HALL_ERR;
    if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
        return HALL_ERR;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = 12;
    t = timegm(&tm);
    /* 2026-02-30 becomes March 2nd: not a date */
    if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != m - 1)
        return HALL_ERR;
    *days = (long)(t / 86400);
    return HALL_OK;
}

static const char *
day_string(struct hall_pool *pool, long days)
{
    time_t t = (time_t)days * 86400 + 43200;
    struct tm tm;
    char buf[16];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
    return hall_pstrdup(pool, buf);
}

/* today in China (UTC+8, no daylight saving) */
static long
today_days(void)
{
    return (long)((time(NULL) + HALL_BEIJING_OFFSET_S) / 86400);
}

static const char *
param(struct hall_req *req, const char *name)
{
    const char *v = hall_req_query(req, name);

    return v != NULL && *v != '\0' ? v : NULL;
}

/* HALL_ERR after answering 400 with the parameter's name */
static int
query_parse(struct hall_req *req, const struct report *rep, struct query *q)
{
    const char *from = param(req, "from"), *to = param(req, "to");
    const char *group = param(req, "group"), *format = param(req, "format");
    long fd, td;
    int i;

    q->rep = rep;
    q->group = rep != NULL ? rep->groups[0] : NULL;
    if (rep != NULL && group != NULL) {
        for (i = 0; rep->groups[i] != NULL; i++)
            if (strcmp(rep->groups[i], group) == 0)
                break;
        if (rep->groups[i] == NULL) {
            struct hall_buf *b = hall_buf_new(req->pool, 256);

            for (i = 0; rep->groups[i] != NULL; i++)
                hall_buf_printf(b, "%s%s", i ? "、" : "", rep->groups[i]);
            hall_msg(req, HALL_M_REPORT_GROUP, "group", b->data);
            return HALL_ANSWERED;
        }
        q->group = rep->groups[i];
    }
    q->csv = 0;
    if (format != NULL) {
        if (strcmp(format, "csv") == 0) {
            q->csv = 1;
        } else if (strcmp(format, "json") != 0) {
            hall_msg(req, HALL_M_REPORT_FORMAT, "format");
            return HALL_ANSWERED;
        }
    }
    td = today_days();
    if (to != NULL && parse_day(to, &td) != HALL_OK) {
        hall_msg(req, HALL_M_REPORT_TO, "to");
        return HALL_ANSWERED;
    }
    fd = td - 29;
    if (from != NULL && parse_day(from, &fd) != HALL_OK) {
        hall_msg(req, HALL_M_REPORT_FROM, "from");
        return HALL_ANSWERED;
    }
    if (fd > td) {
        hall_msg(req, HALL_M_REPORT_FROM_AFTER_TO, "from");
        return HALL_ANSWERED;
    }
    if (td - fd > MAX_SPAN_DAYS) {
        hall_msg(req, HALL_M_REPORT_SPAN, "from");
        return HALL_ANSWERED;
    }
    q->from = day_string(req->pool, fd);
    q->to = day_string(req->pool, td);
    return HALL_OK;
}

/* ---- running a report ------------------------------------------------------- */

struct table {
    int ncols; /* columns of rep->cols */
    int nrows;
    const char **keys, **labels;
    int64_t *vals; /* nrows x ncols, computed columns in tenths */
    int64_t tot[MAX_COLS];
};

/* num/den as tenths (975 = 97.5), -1 when den is 0 */
static int64_t
tenths(int64_t num, int64_t den)
{
    if (den <= 0)
        return -1;
    return (num * 100 / den + 5) / 10;
}

static void
compute(const struct report *rep, int64_t *v)
{
    int c;

    for (c = 0; rep->cols[c].key != NULL; c++) {
        const struct rcol *col = &rep->cols[c];

        if (col->kind == 'p')
            v[c] = tenths(v[col->num] * 100, v[col->den]);
        else if (col->kind == 'a')
            v[c] = tenths(v[col->num], v[col->den]);
    }
}

/* NULL, unanswered, when the store failed (the finish answers 503) */
static struct table *
table_run(struct hall_req *req, const struct query *q)
{
    const struct report *rep = q->rep;
    struct hall_dbres *res, *partners = NULL;
    struct table *t = hall_pcalloc(req->pool, sizeof(*t));
    int r, c, p, kcol, pcode = -1, pname = -1, scol[MAX_COLS];

    /* reports may be a moment late: the streaming replica answers them when
     * db_replica_conninfo names one (docs/operations.md, "More hosts") */
    if (hall_db_read(req->cx, "no_jit") == NULL)
        return NULL;
    res = hall_db_read(req->cx, hall_psprintf(req->pool, "%s_%s", rep->name, q->group),
                       HALL_STR(q->from), HALL_STR(q->to));
    if (res == NULL)
        return NULL;
    if (strcmp(q->group, "partner") == 0) {
        partners = hall_db_exec(req->cx, "partners");
        if (partners == NULL)
            return NULL;
    }
    for (c = 0; rep->cols[c].key != NULL; c++)
        ;
    t->ncols = c;
    t->nrows = hall_dbres_rows(res);
    t->keys = hall_pcalloc(req->pool, sizeof(char *) * (size_t)(t->nrows + 1));
    t->labels = hall_pcalloc(req->pool, sizeof(char *) * (size_t)(t->nrows + 1));
    t->vals = hall_pcalloc(req->pool, sizeof(int64_t) * (size_t)((t->nrows + 1) * t->ncols));
    /* the columns by name, resolved once for the result's rows */
    kcol = hall_dbres_col(res, "k");
    for (c = 0; c < t->ncols; c++)
        scol[c] =
            strchr("ifh", rep->cols[c].kind) != NULL ? hall_dbres_col(res, rep->cols[c].key) : -1;
    if (partners != NULL) {
        pcode = hall_dbres_col(partners, "code");
        pname = hall_dbres_col(partners, "name");
    }
    for (r = 0; r < t->nrows; r++) {
        const char *k = hall_dbres_get(res, r, kcol);
        int64_t *v = t->vals + r * t->ncols;

        t->keys[r] = k;
        t->labels[r] = k;
        if (strcmp(q->group, "business") == 0)
            t->labels[r] = label_of(k, 0);
        else if (strcmp(q->group, "status") == 0)
            t->labels[r] = hall_order_label(k) ?: k;
        else if (strcmp(q->group, "all") == 0)
            t->labels[r] = "合计";
        else if (partners != NULL)
            for (p = 0; p < hall_dbres_rows(partners); p++)
                if (strcmp(hall_dbres_get(partners, p, pcode), k) == 0)
                    t->labels[r] = hall_dbres_get(partners, p, pname);
        for (c = 0; c < t->ncols; c++) {
            if (scol[c] >= 0) {
                v[c] = hall_dbres_i64(res, r, scol[c]);
                t->tot[c] += v[c];
            }
        }
        compute(rep, v);
    }
    compute(rep, t->tot);
    return t;
}

/* the value of column c for JSON, CSV and HTML: counts and fen as they are
 * (yuan for fen when yuan is set: the page), tenths as "97.5", "" for none */
static const char *
cell(struct hall_pool *pool, const struct rcol *col, int64_t v, int yuan)
{
    if (col->kind == 'p' || col->kind == 'a') {
        if (v < 0)
            return "";
        return hall_psprintf(pool, "%lld.%lld", (long long)(v / 10), (long long)(v % 10));
    }
    if (col->kind == 'f' && yuan)
        return hall_yuan(pool, v);
    return hall_psprintf(pool, "%lld", (long long)v);
}

/* a column's label; an amount's in 元 on the page (JSON and CSV: 分) */
static const char *
col_label(struct hall_pool *pool, const struct rcol *col, int yuan)
{
    const char *fen = strstr(col->label, "（分）");

    if (col->kind != 'f' || !yuan || fen == NULL)
        return col->label;
    return hall_psprintf(pool, "%.*s（元）", (int)(fen - col->label), col->label);
}

static void
row_val(struct hall_req *req, struct hall_val *o, const struct report *rep, const int64_t *v,
        int ncols)
{
    int c;

    for (c = 0; c < ncols; c++) {
        const struct rcol *col = &rep->cols[c];

        if (col->kind == 'h')
            continue;
        if (col->kind == 'p' || col->kind == 'a') {
            if (v[c] < 0)
                hall_val_set_str(req->pool, o, col->key, "")->type = HALL_V_NULL;
            else
                hall_val_set_str(req->pool, o, col->key, cell(req->pool, col, v[c], 0));
        } else {
            hall_val_set_int(req->pool, o, col->key, v[c]);
        }
    }
}

static int
answer_json(struct hall_req *req, const struct query *q, const struct table *t)
{
    const struct report *rep = q->rep;
    struct hall_val *v = hall_val_obj(req->pool), *cols, *rows, *o;
    int r, c;

    hall_val_set_str(req->pool, v, "report", rep->name);
    hall_val_set_str(req->pool, v, "title", rep->title);
    hall_val_set_str(req->pool, v, "group", q->group);
    hall_val_set_str(req->pool, v, "from", q->from);
    hall_val_set_str(req->pool, v, "to", q->to);
    cols = hall_val_set_list(req->pool, v, "columns");
    o = hall_val_push_obj(req->pool, cols);
    hall_val_set_str(req->pool, o, "key", "key");
    hall_val_set_str(req->pool, o, "label", label_of(q->group, 1));
    for (c = 0; c < t->ncols; c++) {
        if (rep->cols[c].kind == 'h')
            continue;
        o = hall_val_push_obj(req->pool, cols);
        hall_val_set_str(req->pool, o, "key", rep->cols[c].key);
        hall_val_set_str(req->pool, o, "label", rep->cols[c].label);
    }
    rows = hall_val_set_list(req->pool, v, "rows");
    for (r = 0; r < t->nrows; r++) {
        o = hall_val_push_obj(req->pool, rows);
        hall_val_set_str(req->pool, o, "key", t->keys[r]);
        hall_val_set_str(req->pool, o, "label", t->labels[r]);
        row_val(req, o, rep, t->vals + r * t->ncols, t->ncols);
    }
    row_val(req, hall_val_set_obj(req->pool, v, "totals"), rep, t->tot, t->ncols);
    return hall_resp_ok(req, v);
}

/* RFC 4180: quoted when it holds a comma, quote or line break.  Text that
 * starts like a formula (= + - @, a negative number aside) gets a leading
 * apostrophe, so Excel never runs a partner's name as a formula. */
static void
csv_field(struct hall_buf *b, const char *s, int first)
{
    int formula = *s != '\0' && strchr("=+-@", *s) != NULL &&
                  !(*s == '-' && s[1] != '\0' && strspn(s + 1, "0123456789.") == strlen(s + 1));
    const char *p;

    if (!first)
        hall_buf_addstr(b, ",");
    if (strpbrk(s, ",\"\r\n") == NULL && !formula) {
        hall_buf_addstr(b, s);
        return;
    }
    hall_buf_addstr(b, "\"");
    if (formula)
        hall_buf_addstr(b, "'");
    for (p = s; *p != '\0'; p++) {
        if (*p == '"')
            hall_buf_addstr(b, "\"");
        hall_buf_add(b, p, 1);
    }
    hall_buf_addstr(b, "\"");
}

static void
csv_row(struct hall_buf *b, struct hall_pool *pool, const struct report *rep, const char *label,
        const int64_t *v, int ncols)
{
    int c;

    csv_field(b, label, 1);
    for (c = 0; c < ncols; c++)
        if (rep->cols[c].kind != 'h')
            csv_field(b, cell(pool, &rep->cols[c], v[c], 0), 0);
    hall_buf_addstr(b, "\r\n");
}

static int
answer_csv(struct hall_req *req, const struct query *q, const struct table *t)
{
    const struct report *rep = q->rep;
    struct hall_buf *b = hall_buf_new(req->pool, 8 * 1024 * 1024);
    int r, c;

    /* the BOM tells Excel the file is UTF-8 */
    hall_buf_addstr(b, "\xEF\xBB\xBF");
    csv_field(b, label_of(q->group, 1), 1);
    for (c = 0; c < t->ncols; c++)
        if (rep->cols[c].kind != 'h')
            csv_field(b, rep->cols[c].label, 0);
    hall_buf_addstr(b, "\r\n");
    for (r = 0; r < t->nrows; r++)
        csv_row(b, req->pool, rep, t->labels[r], t->vals + r * t->ncols, t->ncols);
    if (strcmp(q->group, "all") != 0)
        csv_row(b, req->pool, rep, "合计", t->tot, t->ncols);
    if (b->overflow)
        return hall_msg(req, HALL_M_REPORT_TOO_BIG, "to");
    hall_resp_header(req, "Cache-Control", "no-store");
    hall_resp_header(req, "Content-Disposition",
                     hall_psprintf(req->pool, "attachment; filename=\"report-%s-%s-%s-%s.csv\"",
                                   rep->name, q->group, q->from, q->to));
    return hall_resp_raw(req, 200, "text/csv; charset=utf-8", b->data, b->len);
}

static int
report_one(struct hall_req *req)
{
    const char *name = req->path + strlen("/report/");
    const struct report *rep = report_named(name);
    struct query q;
    struct table *t;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    if (rep == NULL)
        return hall_msg(req, HALL_M_REPORT_NOT_FOUND, NULL);
    if (query_parse(req, rep, &q) != HALL_OK)
        return HALL_OK;
    t = table_run(req, &q);
    if (t == NULL)
        return HALL_ERR;
    hall_info(req, "msg=report staff=%lld report=%s group=%s rows=%d", (long long)req->staff->id,
              rep->name, q.group, t->nrows);
    return q.csv ? answer_csv(req, &q, t) : answer_json(req, &q, t);
}

/* ---- the page: every report, its default group, bars as inline SVG ------- */

#define BAR_W 160

static int
report_page(struct hall_req *req)
{
    struct hall_val *ctx, *list;
    struct query q;
    int i, r, c;

    if (hall_staff_elsewhere(req))
        return HALL_OK;
    if (query_parse(req, NULL, &q) != HALL_OK)
        return HALL_OK;
    ctx = hall_page_ctx(req);
    hall_val_set_str(req->pool, ctx, "title", "统计报表");
    hall_val_set_str(req->pool, ctx, "site_name", "深圳CA管理后台");
    hall_val_set_bool(req->pool, ctx, "logged_in", 0);
    hall_val_set_bool(req->pool, ctx, "admin_page", 1);
    hall_val_set_bool(req->pool, ctx, "nav_report", 1);
    hall_val_set_str(req->pool, ctx, "from", q.from);
    hall_val_set_str(req->pool, ctx, "to", q.to);
    list = hall_val_set_list(req->pool, ctx, "reports");
    for (i = 0; reports[i].name != NULL; i++) {
        const struct report *rep = &reports[i];
        struct hall_val *rv = hall_val_push_obj(req->pool, list), *cols, *rows;
        struct table *t;
        int64_t max = 1;
        const char *group = param(req, hall_psprintf(req->pool, "group_%s", rep->name));
        int g;

        q.rep = rep;
        q.group = rep->groups[0];
        for (g = 0; group != NULL && rep->groups[g] != NULL; g++)
            if (strcmp(rep->groups[g], group) == 0)
                q.group = rep->groups[g];
        t = table_run(req, &q);
        if (t == NULL)
            return HALL_ERR;
        hall_val_set_str(req->pool, rv, "name", rep->name);
        hall_val_set_str(req->pool, rv, "title", rep->title);
        hall_val_set_str(req->pool, rv, "group_label", label_of(q.group, 1));
        hall_val_set_fmt(req->pool, rv, "csv", "/report/%s?group=%s&from=%s&to=%s&format=csv",
                         rep->name, q.group, q.from, q.to);
        hall_val_set_fmt(req->pool, rv, "json", "/report/%s?group=%s&from=%s&to=%s", rep->name,
                         q.group, q.from, q.to);
        hall_val_set_str(req->pool, rv, "bar_label", col_label(req->pool, &rep->cols[rep->bar], 1));
        {
            struct hall_val *gl = hall_val_set_list(req->pool, rv, "groups");

            for (g = 0; rep->groups[g] != NULL; g++) {
                struct hall_val *gv = hall_val_push_obj(req->pool, gl);

                hall_val_set_str(req->pool, gv, "code", rep->groups[g]);
                hall_val_set_str(req->pool, gv, "label", label_of(rep->groups[g], 1));
                hall_val_set_bool(req->pool, gv, "selected", rep->groups[g] == q.group);
            }
        }
        cols = hall_val_set_list(req->pool, rv, "columns");
        for (c = 0; c < t->ncols; c++)
            if (rep->cols[c].kind != 'h')
                hall_val_push_str(req->pool, cols, col_label(req->pool, &rep->cols[c], 1));
        for (r = 0; r < t->nrows; r++)
            if (t->vals[r * t->ncols + rep->bar] > max)
                max = t->vals[r * t->ncols + rep->bar];
        rows = hall_val_set_list(req->pool, rv, "rows");
        for (r = 0; r < t->nrows; r++) {
            struct hall_val *row = hall_val_push_obj(req->pool, rows), *cells;
            int64_t bv = t->vals[r * t->ncols + rep->bar];

            hall_val_set_str(req->pool, row, "label", t->labels[r]);
            cells = hall_val_set_list(req->pool, row, "cells");
            for (c = 0; c < t->ncols; c++)
                if (rep->cols[c].kind != 'h')
                    hall_val_push_str(req->pool, cells,
                                      cell(req->pool, &rep->cols[c], t->vals[r * t->ncols + c], 1));
            hall_val_set_int(req->pool, row, "bar", bv > 0 ? bv * BAR_W / max : 0);
        }
        hall_val_set_bool(req->pool, rv, "empty", t->nrows == 0);
        if (strcmp(q.group, "all") != 0 && t->nrows > 0) {
            struct hall_val *cells = hall_val_set_list(req->pool, rv, "totals");

            hall_val_set_bool(req->pool, rv, "has_totals", 1);

            for (c = 0; c < t->ncols; c++)
                if (rep->cols[c].kind != 'h')
                    hall_val_push_str(req->pool, cells,
                                      cell(req->pool, &rep->cols[c], t->tot[c], 1));
        }
    }
    return hall_resp_page(req, 200, "report", ctx);
}

static const struct hall_route report_routes[] = {
    {"GET", "/report", report_page, HALL_R_STAFF | HALL_R_ROLES(HALL_ROLE_REPORT), NULL},
    {"GET", "/report/", report_page, HALL_R_STAFF | HALL_R_ROLES(HALL_ROLE_REPORT), NULL},
    {"GET", "/report/", report_one, HALL_R_STAFF | HALL_R_PREFIX | HALL_R_ROLES(HALL_ROLE_REPORT),
     NULL},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(report, report_routes, report_stmts, NULL)
