/*
 * What a certificate's people are told by SMS about the certificate itself
 * (docs/modules/center.md): the holder, who is the account whose order made
 * it, and the person the order named to receive the PIN (经办人 for a unit's
 * certificate, the applicant for a person's), when that is another phone.
 *
 * The expiry reminders: hall-outbox's tick queues an SMS 30 and 7 days
 * (reminder_first_days, reminder_last_days) before a live certificate's
 * notAfter, with the link of 证书更新.  Each once: cert_reminders' primary
 * key (sql/055_holder_revoke.sql) is inserted in the transaction that queues
 * the SMS, so a second worker running the tick at the same moment waits for
 * the first's row and then finds it there.  None for a certificate that is
 * revoked, expired or renewed (a renewal order of it issued, or any order
 * replacing it with a live certificate of its own).
 */
#include <stdio.h>
#include <string.h>

#include "biz/biz.h"

#define REMINDER_BATCH 50 /* reminder_claim's LIMIT */

const struct hall_stmt hall_reminder_stmts[] = {
    /* who is told about a certificate */
    {"cert_sms_to",
     "SELECT u.phone_enc, o.form_enc, o.cert_type, o.partner_code FROM certificates c"
     " JOIN orders o ON o.id = c.order_id JOIN users u ON u.id = o.user_id WHERE c.serial = $1",
     1},
    /* the certificates due for the reminder of $1 days (and not yet within
     * the next one, $2 days: a certificate found late gets only that one),
     * claimed: the rows inserted are this transaction's to send */
    {"reminder_claim",
     "INSERT INTO cert_reminders (serial, days)"
     " SELECT c.serial, $1::int::smallint FROM certificates c"
     " WHERE c.state = 'issued' AND c.seal_item_id IS NULL AND c.not_after > now()"
     " AND c.not_after <= now() + make_interval(days => $1::int)"
     " AND c.not_after > now() + make_interval(days => $2::int)"
     " AND NOT EXISTS (SELECT 1 FROM cert_reminders r WHERE r.serial = c.serial AND r.days = "
     "$1::int)"
     " AND NOT EXISTS (SELECT 1 FROM orders r WHERE r.reissue_of = c.serial"
     "  AND r.business_type = 'renew' AND r.status IN ('issued', 'shipped', 'delivered'))"
     " AND NOT EXISTS (SELECT 1 FROM orders r JOIN certificates n ON n.order_id = r.id"
     "  WHERE r.reissue_of = c.serial AND n.state = 'issued')"
     " ORDER BY c.not_after, c.serial LIMIT 50"
     " ON CONFLICT DO NOTHING RETURNING serial",
     2},
    {"reminder_cert",
     "SELECT c.subject_cn, o.partner_code,"
     " to_char(c.not_after AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS ends"
     " FROM certificates c JOIN orders o ON o.id = c.order_id WHERE c.serial = $1",
     1},
    {NULL, NULL, 0},
};

int
hall_cert_sms(struct hall_ctx *cx, const char *serial, const char *tag, enum hall_sms_kind kind,
              const struct hall_val *params)
{
    struct hall_dbres *res = hall_db_exec(cx, "cert_sms_to", HALL_STR(serial));
    const unsigned char *enc;
    const struct hall_val *form;
    const char *holder, *agent, *type, *partner;
    size_t n;
    int sent = 0;

    if (res == NULL)
        return -1;
    if (hall_dbres_rows(res) == 0)
        return 0;
    enc = hall_dbres_bytea(cx, res, 0, hall_dbres_col(res, "phone_enc"), &n);
    holder = enc != NULL ? hall_pii_decrypt(cx->pool, enc, n) : NULL;
    form = hall_dbres_pii_json(cx, res, 0, hall_dbres_col(res, "form_enc"));
    type = hall_dbres_str(res, 0, "cert_type");
    partner = hall_dbres_str(res, 0, "partner_code");
    /* the phone the PIN went to: 经办人 for a unit's certificate, the
     * applicant for a person's */
    agent = hall_pin_phone(type, form);
    if (holder != NULL && strlen(holder) == 11) {
        if (hall_sms_queue_params(cx, hall_psprintf(cx->pool, "sms-%s-%s-holder", tag, serial),
                                  holder, partner, kind, params) != HALL_OK)
            return -1;
        sent++;
    }
    if (strlen(agent) == 11 && (holder == NULL || strcmp(agent, holder) != 0)) {
        if (hall_sms_queue_params(cx, hall_psprintf(cx->pool, "sms-%s-%s-agent", tag, serial),
                                  agent, partner, kind, params) != HALL_OK)
            return -1;
        sent++;
    }
    return sent;
}

/* one reminder (days before the end; next: the following reminder's days,
 * 0 for the last) for the due certificates, REMINDER_BATCH at a time */
static int
reminder_send(struct hall_ctx *cx, long days, long next)
{
    const char *base = cx->conf->public_url;
    struct hall_dbres *due, *c;
    int i, n, total = 0;

    do {
        if (hall_db_begin(cx) != HALL_OK)
            return -1;
        due = hall_db_exec(cx, "reminder_claim", HALL_I64(days), HALL_I64(next));
        if (due == NULL)
            goto fail;
        n = hall_dbres_rows(due);
        for (i = 0; i < n; i++) {
            const char *serial = hall_dbres_str(due, i, "serial");
            struct hall_val *params;

            c = hall_db_exec(cx, "reminder_cert", HALL_STR(serial));
            if (c == NULL || hall_dbres_rows(c) == 0)
                goto fail;
            params = hall_val_obj(cx->pool);
            hall_dbres_set(cx->pool, params, c, 0, "subject=subject_cn");
            hall_val_set_str(cx->pool, params, "serial", serial);
            hall_dbres_set(cx->pool, params, c, 0, "ends");
            hall_val_set_fmt(cx->pool, params, "url", "%s/renew/serial?project=%s&serial=%s", base,
                             hall_dbres_str(c, 0, "partner_code"), serial);
            if (hall_cert_sms(cx, serial, hall_psprintf(cx->pool, "expiry%ld", days),
                              HALL_SMST_expiry, params) < 0)
                goto fail;
        }
        if (hall_db_commit(cx) != HALL_OK)
            goto fail;
        for (i = 0; i < n; i++)
            hall_info(cx, "msg=\"expiry reminder queued\" serial=%s days=%ld",
                      hall_dbres_str(due, i, "serial"), days);
        total += n;
    } while (n == REMINDER_BATCH);
    return total;
fail:
    if (cx->in_tx)
        hall_db_rollback(cx);
    return -1;
}

int
hall_reminder_tick(struct hall_ctx *cx)
{
    long first = cx->conf->reminder_first_days, last = cx->conf->reminder_last_days;
    int a = 0, b = 0;

    /* the earlier reminder only while the later one is not due yet */
    if (first > last)
        a = reminder_send(cx, first, last);
    if (last > 0)
        b = reminder_send(cx, last, 0);
    return a < 0 || b < 0 ? -1 : a + b;
}
