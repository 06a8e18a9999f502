/*
 * The order state machine: ONE table of allowed transitions, used by every
 * module.  hall_order_move() refuses anything not in the table, whatever
 * the request says, and changes the row only if it is still in the state
 * the caller saw (a concurrent change makes the second caller lose), with
 * the audit row in the same transaction.  docs/modules/new.md draws it.
 */
#include <stdlib.h>
#include <string.h>

#include "biz/biz.h"
#include "biz/ordertext.h"

static const struct hall_order_state states[] = {
    {"draft", "填写中"},
    {"unpaid", "待支付"},
    {"transfer_review", "待确认到账"},
    {"finauth_pending", "金融认证中"},
    {"finauth_ok", "金融认证成功"},
    {"finauth_failed", "金融认证失败"},
    {"review", "待审核"},
    {"rejected", "审核驳回"},
    {"accepted", "成功受理"},
    {"refund_requested", "退费审核中"},
    {"refunded", "已退费"},
    {"cancelled", "已取消"},
    /* production and delivery (core/pki/ca.c, modules/pki) */
    {"issued", "证书已制作"},
    {"shipped", "已发货"},
    {"delivered", "已签收"},
    {NULL, NULL},
};

static const struct {
    const char *from, *to;
} transitions[] = {
    /* the applicant finished the steps before payment */
    {"draft", "unpaid"},
    /* ... or, with nothing to pay, on to review or to the unit's
     * micro-deposit (core/flow/phone.c) */
    {"draft", "review"},
    {"draft", "finauth_pending"},
    {"draft", "cancelled"},
    {"unpaid", "cancelled"},
    /* online payment confirmed by the gateway's callback */
    {"unpaid", "finauth_pending"},
    /* corporate transfer: voucher uploaded, finance confirms or refuses */
    {"unpaid", "transfer_review"},
    {"transfer_review", "review"},
    {"transfer_review", "unpaid"},
    /* online payment of a natural-person certificate: no unit account to check */
    {"unpaid", "review"},
    /* micro-deposit */
    {"finauth_pending", "finauth_ok"},
    {"finauth_pending", "finauth_failed"},
    {"finauth_failed", "finauth_pending"},
    /* the agent typed the memo code */
    {"finauth_ok", "review"},
    /* 法人认证 (seed 003) after repeated failed micro-deposits */
    {"finauth_failed", "review"},
    /* staff review */
    {"review", "accepted"},
    {"review", "rejected"},
    /* the applicant fixed a rejected order */
    {"rejected", "review"},
    /* refunds of paid orders until the certificate is made (an accepted
     * order whose production began is refused in modules/center) */
    {"accepted", "refund_requested"},
    {"finauth_ok", "refund_requested"},
    {"finauth_failed", "refund_requested"},
    {"review", "refund_requested"},
    {"rejected", "refund_requested"},
    {"refund_requested", "refunded"},
    /* finance refused the refund: the order goes back where it was */
    {"refund_requested", "finauth_ok"},
    {"refund_requested", "finauth_failed"},
    {"refund_requested", "review"},
    {"refund_requested", "rejected"},
    {"refund_requested", "accepted"},
    /* production (制作证书), shipping (邮寄), the courier's delivery */
    {"accepted", "issued"},
    {"issued", "shipped"},
    {"shipped", "delivered"},
    /* 证书解锁 of a USB key done online by the 证书助手 (core/biz/medium_unlock.c):
     * nothing made, nothing to mail */
    {"accepted", "delivered"},
    /* ... or cancelled by its holder before the medium confirmed, nothing
     * paid (modules/unlock/unlock_assist.c) */
    {"accepted", "cancelled"},
    /* a certificate whose key was born in the holder's browser: nothing
     * to mail, the holder has it (core/biz/produce_csr.c) */
    {"issued", "delivered"},
    {NULL, NULL},
};

const struct hall_order_state *
hall_order_states(void)
{
    return states;
}

const char *
hall_order_label(const char *status)
{
    const struct hall_order_state *s;

    for (s = states; s->code != NULL; s++)
        if (strcmp(s->code, status) == 0)
            return s->label;
    return NULL;
}

/*
 * The audit_log actions of an order as applicants and staff read them in
 * 办理记录 (center and admin): one table, never the code itself.
 */
static const struct {
    const char *code, *label;
} order_actions[] = {
    {"create", "创建业务单"},
    {"edit", "修改申请信息"},
    {"status", "状态变更"},
    {"upload", "上传资料"},
    {"print", "打印申请表"},
    {"pay_online", "发起在线支付"},
    {"pay_transfer", "提交对公转账凭证"},
    {"payment_surplus", "收到多付款项，将自动退还"},
    {"payment_refund", "已退还多付款项"},
    {"surplus_refund", "已退还多付款项"},
    {"refund", "退费"},
    {"finauth_wrong_code", "随机验证码输入错误"},
    {"finauth_wrong_pin", "证书PIN码输入错误"},
    {"finauth_retry", "重新提交金融认证信息"},
    {"identity", "经办人在线认证"},
    {"surplus_refunded", "已退还多付款项"},
    {"refund_approved", "退费申请已通过，退款处理中"},
    {"finauth_unlock", "解锁金融认证"},
    {"invoice_issued", "开具电子发票"},
    {"invoice_resend", "重新获取电子发票"},
    {"invoice_red", "开具红字发票（红冲）"},
    {"pin_deposit_sent", "证书PIN码已随打款附言发送"},
    {"pin_deposit_failed", "证书PIN码打款未成功"},
    {"reissue_revoke", "原证书已吊销（介质遗失补办）"},
    {"supersede_revoke", "原证书已吊销（已被替代：新证书已签发）"},
    {"holder_revoke", "证书已撤销（持有人申请）"},
    {"replaced_cert_revoked", "原证书已由持有人撤销"},
    {"renew_assist_issued", "证书助手在线更新：新证书已签发，待确认写入USB Key"},
    {"change_assist_issued",
     "证书助手在线变更：新证书已签发，待确认写入USB Key（原证书确认后作废）"},
    {NULL, NULL},
};

const char *
hall_order_action_label(const char *action)
{
    int i;

    for (i = 0; action != NULL && order_actions[i].code != NULL; i++)
        if (strcmp(order_actions[i].code, action) == 0)
            return order_actions[i].label;
    return "业务办理"; /* an action added without a label: still no code */
}

int
hall_replace_business(const char *b)
{
    return b != NULL && (strcmp(b, "reissue") == 0 || strcmp(b, "renew") == 0 ||
                         strcmp(b, "change") == 0 || strcmp(b, "unlock") == 0);
}

int
hall_order_can(const char *from, const char *to)
{
    int i;

    for (i = 0; transitions[i].from != NULL; i++)
        if (strcmp(transitions[i].from, from) == 0 && strcmp(transitions[i].to, to) == 0)
            return 1;
    return 0;
}

const struct hall_stmt hall_order_stmts[] = {
    /* entering review starts the partner's SLA clock in working days; the
     * audit row follows through hall_audit (its owner), only when the order
     * moved */
    {"order_move",
     "UPDATE orders o SET status = $3, updated_at = now(),"
     " submitted_at = CASE WHEN $3 = 'review' THEN now() ELSE o.submitted_at END,"
     " review_due = CASE WHEN $3 = 'review' THEN add_workdays(current_date, p.review_sla_days)"
     " ELSE o.review_due END"
     " FROM partners p WHERE o.id = $1 AND o.status = $2 AND p.code = o.partner_code"
     " RETURNING o.id",
     3},
    /* the applicant's own order, locked for a write of theirs (modules/pay,
     * modules/finauth: hall_order_lock_own) */
    {"order_lock_own",
     "SELECT status, amount_fen, order_no FROM orders WHERE id = $1 AND user_id = $2 FOR UPDATE",
     2},
    /* after hall_order_move to accepted, in its transaction: the old reason
     * cleared, and (seed 003: 审核无误后三个工作日寄出, for partners that
     * promise it, sql/046) the day it must ship by; one write of the row */
    {"order_accepted",
     "UPDATE orders o SET reject_reason = NULL, reject_reason_enc = NULL,"
     " ship_by = CASE WHEN p.ship_within_workdays"
     " IS NOT NULL THEN add_workdays(beijing_day(now()), p.ship_within_workdays)"
     " ELSE o.ship_by END FROM partners p WHERE o.id = $1 AND p.code = o.partner_code"
     " RETURNING o.form_enc",
     1},
    /* after hall_order_move to rejected, in its transaction: the reason
     * encrypted ($3), in clear only with its digit runs masked ($2: what
     * the partner's order.rejected and API read, sql/154) */
    {"order_rejected",
     "UPDATE orders SET reject_reason = $2, reject_reason_enc = $3, rejected_rev = form_rev"
     " WHERE id = $1 RETURNING form_enc",
     3},
    /* the reasons written before sql/154, still in clear: at every start
     * (hall-pkitool partner-secrets), with their partners' events */
    {"order_reasons_clear",
     "SELECT id, reject_reason FROM orders WHERE reject_reason IS NOT NULL"
     " AND reject_reason_enc IS NULL ORDER BY id FOR UPDATE",
     0},
    {"order_reason_seal",
     "UPDATE orders SET reject_reason = $2, reject_reason_enc = $3 WHERE id = $1", 3},

    /* 金融认证 again with a corrected account: a new revision of the form */
    {"order_finauth_form",
     "UPDATE orders SET form_enc = $3, form_rev = form_rev + 1, updated_at = now()"
     " WHERE id = $1 AND user_id = $2 AND status = 'finauth_failed' RETURNING form_rev",
     3},
    {"order_revision_insert",
     "INSERT INTO order_revisions (order_id, rev, form_enc) VALUES ($1, $2, $3)", 3},
    /* 邮寄 (modules/pki): the waybill, with the move to shipped */
    {"order_shipped",
     "UPDATE orders SET waybill_no = $2, carrier = $3, shipped_at = now() WHERE id = $1", 3},
    /* the carrier's claim and the hall's own receive time, side by side (sql/044) */
    {"order_delivered",
     "UPDATE orders SET delivered_at = to_timestamp($2), delivery_received_at = now()"
     " WHERE id = $1",
     2},
    /* 打印申请表 confirmed (core/flow/print.c): the step moves on from 录入信息 */
    {"order_printed",
     "UPDATE orders SET printed_at = coalesce(printed_at, now()),"
     " step = CASE WHEN step = 'info' THEN 'print' ELSE step END, updated_at = now()"
     " WHERE id = $1 AND user_id = $2 AND status IN ('draft', 'rejected') RETURNING id",
     2},
    /* a draft's step, from one of the steps listed ($2, comma-separated) */
    {"order_step",
     "UPDATE orders SET step = $3, updated_at = now() WHERE id = $1 AND status = 'draft'"
     " AND step = ANY (string_to_array($2, ',')) RETURNING id",
     3},
    /* the order made from the form a partner API's link filled (the
     * ticket's hash $3, claimed by the order's applicant $2): the
     * application's project ID, for the partner's webhooks and queries */
    {"order_link_project",
     "UPDATE orders o SET project_id = l.project_id FROM partner_links l"
     " WHERE o.id = $1 AND o.user_id = $2 AND o.project_id IS NULL AND l.ticket_hash = $3"
     " AND l.claimed_by = $2 AND l.partner_code = o.partner_code AND l.project_id IS NOT NULL",
     3},
    /* a replacing order's claim on the certificate (core/flow/replace.c):
     * one live replacing order per certificate */
    {"order_claim",
     "UPDATE orders SET reissue_of = $2 WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM orders r"
     " WHERE r.reissue_of = $2 AND " HALL_CLAIM_LIVE_R " AND r.id <> $1)"
     " RETURNING id",
     2},
    /* an edit that moves a holder to another row carries that holder's ID
     * scan along; the scan of a holder no longer named is retired
     * (holders_follow) */
    {"seal_holder_files_move",
     "UPDATE order_files f SET kind = CASE WHEN m.nk = '' THEN f.kind ELSE m.nk END,"
     " replaced_at = CASE WHEN m.nk = '' THEN now() ELSE f.replaced_at END"
     " FROM unnest($2::text[], $3::text[]) AS m(ok, nk)"
     " WHERE f.order_id = $1 AND f.replaced_at IS NULL AND f.kind = m.ok AND m.ok <> m.nk"
     " RETURNING CASE WHEN m.nk = '' THEN f.id END AS old_id, f.stored_name AS old_name",
     3},
    /* the corporate transfer's 汇款凭证 and its payment */
    {"pay_voucher_replace",
     "UPDATE order_files SET replaced_at = now() WHERE order_id = $1"
     " AND kind = 'transfer_voucher' AND replaced_at IS NULL",
     1},
    /* the sweep removed the object: its retired rows say so (the admin's
     * list shows 已删除, no download) */
    {"files_swept",
     "UPDATE order_files SET removed_at = now() WHERE stored_name = $1 AND removed_at IS NULL", 1},
    {"pay_voucher_insert",
     "INSERT INTO order_files (order_id, kind, stored_name, mime, size, sha256)"
     " VALUES ($1, 'transfer_voucher', $2, $3, $4, $5) RETURNING id",
     5},
    {NULL, NULL, 0},
};

int
hall_order_move(struct hall_ctx *cx, int64_t id, const char *from, const char *to,
                const char *actor, const struct hall_val *detail)
{
    struct hall_dbres *res;
    const char *sid;

    if (!hall_order_can(from, to))
        return HALL_CONFLICT;
    res = hall_db_exec(cx, "order_move", HALL_I64(id), HALL_STR(from), HALL_STR(to));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_CONFLICT;
    sid = hall_psprintf(cx->pool, "%lld", (long long)id);
    if (hall_audit(cx, actor, "order", sid, "status", from, to, detail) != HALL_OK)
        return HALL_ERR;
    return HALL_OK;
}

struct hall_dbres *
hall_order_accepted(struct hall_ctx *cx, int64_t id)
{
    return hall_db_exec(cx, "order_accepted", HALL_I64(id));
}

/* a reviewer's reason may quote an ID number, an account or a phone: kept
 * encrypted, and in clear only masked (hall_partner_mask_digits) */
struct hall_dbres *
hall_order_rejected(struct hall_ctx *cx, int64_t id, const char *reason)
{
    size_t elen;
    unsigned char *enc = hall_pii_encrypt(cx->pool, reason, strlen(reason), &elen);

    if (enc == NULL)
        return NULL;
    return hall_db_exec(cx, "order_rejected", HALL_I64(id),
                        HALL_STR(hall_partner_mask_digits(cx->pool, reason)), HALL_BIN(enc, elen));
}

const char *
hall_order_reject_reason(struct hall_ctx *cx, const struct hall_dbres *res, int row)
{
    int c = hall_dbres_col(res, "reject_reason_enc");
    unsigned char *enc;
    char *plain;
    size_t len;

    if (c < 0 || hall_dbres_isnull(res, row, c))
        return hall_dbres_str(res, row, "reject_reason");
    enc = hall_dbres_bytea(cx, res, row, c, &len);
    plain = enc != NULL ? hall_pii_decrypt(cx->pool, enc, len) : NULL;
    if (plain == NULL) {
        hall_err(cx, "msg=\"reject reason unreadable\"");
        return hall_dbres_str(res, row, "reject_reason");
    }
    return plain;
}

int
hall_order_reasons_seal(struct hall_ctx *cx, int *moved)
{
    struct hall_dbres *res;
    int i;

    *moved = 0;
    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(cx, "order_reasons_clear");
    if (res == NULL)
        goto fail;
    for (i = 0; i < hall_dbres_rows(res); i++) {
        const char *reason = hall_dbres_str(res, i, "reject_reason");
        const char *masked = hall_partner_mask_digits(cx->pool, reason);
        int64_t id = hall_dbres_int(res, i, "id");
        size_t elen;
        unsigned char *enc = hall_pii_encrypt(cx->pool, reason, strlen(reason), &elen);

        if (enc == NULL ||
            hall_db_exec(cx, "order_reason_seal", HALL_I64(id), HALL_STR(masked),
                         HALL_BIN(enc, elen)) == NULL ||
            hall_partner_events_reason(cx, id, masked) != HALL_OK)
            goto fail;
        (*moved)++;
    }
    return hall_db_commit(cx);
fail:
    if (cx->in_tx)
        hall_db_rollback(cx);
    return HALL_ERR;
}

int
hall_order_finauth_form(struct hall_ctx *cx, int64_t id, int64_t user_id, const unsigned char *enc,
                        size_t len, int64_t *rev)
{
    struct hall_dbres *res =
        hall_db_exec(cx, "order_finauth_form", HALL_I64(id), HALL_I64(user_id), HALL_BIN(enc, len));

    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_CONFLICT;
    *rev = hall_dbres_int(res, 0, "form_rev");
    if (hall_db_exec(cx, "order_revision_insert", HALL_I64(id), HALL_I64(*rev),
                     HALL_BIN(enc, len)) == NULL)
        return HALL_ERR;
    return HALL_OK;
}

int
hall_order_shipped(struct hall_ctx *cx, int64_t id, const char *waybill, const char *carrier)
{
    return hall_db_exec(cx, "order_shipped", HALL_I64(id), HALL_STR(waybill), HALL_STR(carrier)) !=
                   NULL
               ? HALL_OK
               : HALL_ERR;
}

int
hall_order_delivered(struct hall_ctx *cx, int64_t id, int64_t at)
{
    return hall_db_exec(cx, "order_delivered", HALL_I64(id), HALL_I64(at)) != NULL ? HALL_OK
                                                                                   : HALL_ERR;
}

int
hall_order_printed(struct hall_ctx *cx, int64_t id, int64_t user_id)
{
    struct hall_dbres *res = hall_db_exec(cx, "order_printed", HALL_I64(id), HALL_I64(user_id));

    if (res == NULL)
        return HALL_ERR;
    return hall_dbres_rows(res) == 0 ? HALL_CONFLICT : HALL_OK;
}

int
hall_order_step(struct hall_ctx *cx, int64_t id, const char *from, const char *to)
{
    return hall_db_exec(cx, "order_step", HALL_I64(id), HALL_STR(from), HALL_STR(to)) != NULL
               ? HALL_OK
               : HALL_ERR;
}

int
hall_order_link_project(struct hall_ctx *cx, int64_t id, int64_t user_id,
                        const unsigned char ticket_hash[32])
{
    return hall_db_exec(cx, "order_link_project", HALL_I64(id), HALL_I64(user_id),
                        HALL_BIN(ticket_hash, 32)) != NULL
               ? HALL_OK
               : HALL_ERR;
}

int
hall_order_claim(struct hall_ctx *cx, int64_t id, const char *serial)
{
    struct hall_dbres *res = hall_db_exec(cx, "order_claim", HALL_I64(id), HALL_STR(serial));

    if (res == NULL)
        return HALL_ERR;
    return hall_dbres_rows(res) == 0 ? HALL_CONFLICT : HALL_OK;
}

struct hall_dbres *
hall_order_files_move(struct hall_ctx *cx, int64_t id, const char *from, const char *to)
{
    return hall_db_exec(cx, "seal_holder_files_move", HALL_I64(id), HALL_STR(from), HALL_STR(to));
}

int
hall_order_file_swept(struct hall_ctx *cx, const char *stored)
{
    return hall_db_exec(cx, "files_swept", HALL_STR(stored)) != NULL ? HALL_OK : HALL_ERR;
}

int64_t
hall_order_voucher_add(struct hall_ctx *cx, int64_t id, const char *stored, const char *mime,
                       int64_t size, const unsigned char sha256[32])
{
    struct hall_dbres *res;

    if (hall_db_exec(cx, "pay_voucher_replace", HALL_I64(id)) == NULL)
        return -1;
    res = hall_db_exec(cx, "pay_voucher_insert", HALL_I64(id), HALL_STR(stored), HALL_STR(mime),
                       HALL_I64(size), HALL_BIN(sha256, 32));
    if (res == NULL)
        return -1;
    return hall_dbres_int(res, 0, "id");
}

/* "-12.34" for -1234 fen, written without printf: a list page writes one
 * per row */
const char *
hall_yuan(struct hall_pool *pool, int64_t fen)
{
    char num[32], *p = num + sizeof(num);
    uint64_t u = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    uint64_t yuan = u / 100;

    *--p = '\0';
    *--p = (char)('0' + u % 10);
    *--p = (char)('0' + u / 10 % 10);
    *--p = '.';
    do {
        *--p = (char)('0' + yuan % 10);
        yuan /= 10;
    } while (yuan != 0);
    if (fen < 0)
        *--p = '-';
    return hall_pstrdup(pool, p);
}

const char *
hall_workdays(struct hall_pool *pool, long n)
{
    static const char *const cn[] = {"",   "一", "两", "三", "四", "五",
                                     "六", "七", "八", "九", "十"};

    if (n >= 1 && n <= 10)
        return hall_psprintf(pool, "%s个工作日", cn[n]);
    return hall_psprintf(pool, "%ld个工作日", n);
}
