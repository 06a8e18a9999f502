/*
 * Financial authentication (金融认证): queuing the micro-deposit.
 *
 * The code is drawn here, when the attempt is queued, and not by the outbox
 * worker when it calls the bank: a worker that dies after the bank acted
 * retries with the same idempotency key and gets the bank's first answer,
 * so the memo the bank sent must be the one whose MAC we stored.  The clear
 * code exists only inside the encrypted outbox payload; the database keeps
 * a MAC keyed with the installation's secret (six digits are too few for a
 * plain hash).  Used by modules/pay (after an online payment) and
 * modules/finauth (a retry with corrected account data);
 * tools/outbox/hall_outbox.c delivers the job.  The account it goes to is
 * checked here too: the bank and branch of the form (hall_finauth_bank_check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

const struct hall_stmt hall_finauth_stmts[] = {
    {"finauth_product",
     "SELECT p.pin_by_memo FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = $1",
     1},
    {"finauth_bank_branch",
     "SELECT br.name AS branch, b.id AS bank_id, b.name AS bank, coalesce(br.cnaps, '') AS cnaps"
     " FROM bank_branches br JOIN banks b ON b.id = br.bank_id WHERE br.id = $1 AND br.active",
     1},
    {"finauth_bank", "SELECT id, name FROM banks WHERE id = $1 AND active", 1},
    /* the name as listed, or its short name (工商银行) */
    {"finauth_bank_named",
     "SELECT id, name FROM banks WHERE active AND (name = $1 OR short_name = $1)"
     " ORDER BY name = $1 DESC, sort LIMIT 1",
     1},
    {"finauth_banks", "SELECT name, short_name FROM banks WHERE active ORDER BY sort, name", 0},
    {NULL, NULL, 0},
};

void
hall_finauth_code_mac(int64_t order_id, const char *code, unsigned char out[32])
{
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "%lld:%s", (long long)order_id, code);

    hall_mac("finauth-code", msg, (size_t)n, out);
}

const char *
hall_finauth_code_name(int pin)
{
    return pin ? "证书PIN码" : "随机验证码";
}

/* the words before the code in the transfer's memo, as the seeds' bank
 * receipts read (seed 001: 办理数字证书编码: 056869) */
const char *
hall_finauth_memo_label(int pin)
{
    return pin ? "数字证书PIN码" : "办理数字证书编码";
}

int
hall_finauth_queue(struct hall_req *req, int64_t order_id)
{
    struct hall_dbres *res;
    struct hall_val *payload;
    unsigned char mac[32];
    char code[7];
    int pin;
    int64_t attempt;
    unsigned char *pin_enc = NULL;
    size_t pin_len = 0;

    res = hall_db_exec(req->cx, "finauth_product", HALL_I64(order_id));
    if (res == NULL || hall_dbres_rows(res) == 0)
        return HALL_ERR;
    pin = hall_dbres_bool(res, 0, "pin_by_memo");
    snprintf(code, sizeof(code), "%06u", hall_rand_below(1000000));
    hall_finauth_code_mac(order_id, code, mac);
    /* a PIN is needed again to make the medium (core/pki/ca.c): kept encrypted
     * until then, and destroyed when the medium is made */
    if (pin)
        pin_enc = hall_pii_encrypt(req->pool, code, strlen(code), &pin_len);
    attempt = hall_finauth_insert(req->cx, order_id, pin, mac, pin ? pin_enc : NULL, pin_len);
    if (attempt < 0)
        return HALL_ERR;
    payload = hall_val_obj(req->pool);
    hall_val_set_int(req->pool, payload, "order_id", order_id);
    hall_val_set_int(req->pool, payload, "attempt_id", attempt);
    /* the memo wording of the seeds' bank receipts */
    hall_val_set_fmt(req->pool, payload, "memo", "%s: %s", hall_finauth_memo_label(pin), code);
    if (hall_outbox_push(req->cx, "bank_transfer",
                         hall_psprintf(req->pool, "finauth-%lld", (long long)attempt),
                         payload) != HALL_OK)
        return hall_req_failed(req);
    return HALL_OK;
}

/*
 * 基本户开户行: a branch of the search's list (bank_branch_id: its bank, name
 * and 联行号 come from the list), or a bank of the complete list (bank_id,
 * or bank_name: its name or short name) and the branch as the applicant
 * typed it (bank_branch_name).  The form's bank_name and bank_branch_name
 * are then what the micro-deposit, the printed form and the staff read.
 */
int
hall_finauth_bank_check(struct hall_req *req, struct hall_val *form, struct hall_errors *e)
{
    const char *branch = hall_val_str(form, "bank_branch_id");
    const char *bank = hall_val_str(form, "bank_id");
    const char *name = hall_val_str(form, "bank_name");
    struct hall_dbres *res = NULL;

    if (hall_errors_has(e, "bank_branch_id"))
        return HALL_OK;
    if (*branch != '\0') {
        res = hall_db_ref(req->cx, "finauth_bank_branch", HALL_I64(strtoll(branch, NULL, 10)));
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) == 0) {
            hall_msg_add(req, e, HALL_M_BANK_BRANCH_PICK, "bank_branch_id");
            return HALL_OK;
        }
        hall_dbres_set(req->pool, form, res, 0,
                       "bank_id bank_name=bank bank_branch_name=branch bank_cnaps=cnaps");
        /* the list's spelling replaces what the page sent */
        hall_errors_drop(e, "bank_name");
        hall_errors_drop(e, "bank_branch_name");
        return HALL_OK;
    }
    hall_val_set_str(req->pool, form, "bank_cnaps", "");
    if (!hall_errors_has(e, "bank_id") && !hall_errors_has(e, "bank_name")) {
        const char *field = *bank != '\0' ? "bank_id" : "bank_name";

        if (*bank != '\0')
            res = hall_db_ref(req->cx, "finauth_bank", HALL_I64(strtoll(bank, NULL, 10)));
        else if (*name != '\0')
            res = hall_db_ref(req->cx, "finauth_bank_named", HALL_STR(name));
        if ((*bank != '\0' || *name != '\0') && res == NULL)
            return HALL_ERR;
        if (*bank == '\0' && *name == '\0') {
            hall_msg_add(req, e, HALL_M_BANK_PICK, "bank_name");
        } else if (hall_dbres_rows(res) == 0) {
            hall_msg_add(req, e, HALL_M_BANK_UNKNOWN, field);
        } else {
            hall_dbres_set(req->pool, form, res, 0, "bank_id=id bank_name=name");
        }
    }
    if (!hall_errors_has(e, "bank_branch_name") && *hall_val_str(form, "bank_branch_name") == '\0')
        hall_msg_add(req, e, HALL_M_BANK_BRANCH_REQUIRED, "bank_branch_name");
    return HALL_OK;
}

/* ctx.banks: the complete list of banks, for the 开户行 keyword choice */
int
hall_finauth_banks_ctx(struct hall_req *req, struct hall_val *ctx)
{
    struct hall_dbres *res = hall_db_ref(req->cx, "finauth_banks");
    struct hall_val *list;
    int i, n;

    if (res == NULL)
        return HALL_ERR;
    list = hall_val_set_list(req->pool, ctx, "banks");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *o = hall_val_push_obj(req->pool, list);

        hall_dbres_set(req->pool, o, res, i, "name short=short_name");
    }
    return HALL_OK;
}
