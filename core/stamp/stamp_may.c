/*
 * stamp_may.c: may a seal stamp now?  The one rule before a stamp
 * (docs/internals/stamp.md §3, "Revocation"): the signer's certificate
 * good and the seal valid, as the hall answers now; revoked, cancelled,
 * replaced, unknown to the hall, or a status that cannot be learnt all
 * refuse, each with its one text.  hall-stamp sign (tools/stamp/hall_stamp.c)
 * judges what it asked of the hall over the network (stamp_status.c);
 * the hall's GET /sign/stamp-check and /sign/evidence (modules/sign),
 * which 在线盖章 asks before the PIN and after the stamp, judge the hall's
 * own rows: the same function, the same words.
 *
 * Owns: the verdict and its words.  Follows: 使用指引 (证书吊销或印章注销后
 * 不能再盖章).
 */
#include <string.h>
#include <time.h>

#include "stamp_int.h"

static void
set(struct hall_stamp_may *out, enum hall_stamp_may_verdict v, const char *code, const char *text,
    const char *text_en)
{
    out->verdict = v;
    out->code = code;
    out->text = text;
    out->text_en = text_en;
}

/* the certificate's part of the rule: 1 when it refuses (out set) */
static int
cert_refuses(struct hall_pool *pool, const char *serial, const struct hall_stamp_status *st,
             struct hall_stamp_may *out)
{
    const char *why = st->why != NULL && *st->why != '\0' ? st->why : "没有可核验的答复";
    const char *when = hall_beijing_time(pool, st->revoked_at);
    const char *reason = hall_stamp_reason_text(st->reason);

    switch (st->state) {
    case HALL_STAMP_REV_GOOD: return 0;
    case HALL_STAMP_REV_REVOKED:
        set(out, HALL_STAMP_MAY_REFUSED, "cert_revoked",
            hall_psprintf(pool,
                          "签章人证书（序列号 %s）已于 %s 吊销（原因：%s），不能再盖章。未盖章",
                          serial, when, reason),
            hall_psprintf(pool,
                          "the signer's certificate (serial %s) was revoked on %s (reason: %s): "
                          "it cannot stamp.  Nothing written",
                          serial, when, reason));
        return 1;
    case HALL_STAMP_REV_UNKNOWN:
        set(out, HALL_STAMP_MAY_REFUSED, "cert_unknown",
            hall_psprintf(pool, "营业厅不认识签章人证书（序列号 %s）。未盖章", serial),
            hall_psprintf(pool,
                          "the hall does not know the signer's certificate (serial %s).  "
                          "Nothing written",
                          serial));
        return 1;
    case HALL_STAMP_REV_UNCHECKED:
    default:
        set(out, HALL_STAMP_MAY_UNCHECKED, "cert_unchecked",
            hall_psprintf(pool,
                          "无法查询签章人证书（序列号 %s）的吊销状态：%s。未盖章；请联网后重试",
                          serial, why),
            hall_psprintf(pool,
                          "cannot learn the revocation status of the signer's certificate "
                          "(serial %s): %s.  Nothing written; try again online",
                          serial, why));
        return 1;
    }
}

void
hall_stamp_may(struct hall_pool *pool, const char *serial, const struct hall_stamp_status *st,
               const char *es_id, const struct hall_stamp_seal_status *ss,
               struct hall_stamp_may *out)
{
    const char *when;

    if (serial == NULL || *serial == '\0')
        serial = "?";
    set(out, HALL_STAMP_MAY_YES, "ok", "", "");
    if (cert_refuses(pool, serial, st, out) || ss == NULL)
        return;
    if (es_id == NULL)
        es_id = "?";
    if (!ss->checked) {
        const char *why = ss->why != NULL && *ss->why != '\0' ? ss->why : "没有答复";

        set(out, HALL_STAMP_MAY_UNCHECKED, "seal_unchecked",
            hall_psprintf(pool, "无法查询印章（编码 %s）的状态：%s。未盖章；请联网后重试", es_id,
                          why),
            hall_psprintf(pool,
                          "cannot learn the state of the seal %s: %s.  Nothing written; try "
                          "again online",
                          es_id, why));
        return;
    }
    if (ss->state != NULL && strcmp(ss->state, "valid") == 0)
        return;
    when = ss->revoked_text != NULL && *ss->revoked_text != '\0' ? ss->revoked_text
           : ss->revoked_at != 0 ? hall_beijing_time(pool, ss->revoked_at)
                                 : "";
    if (ss->state != NULL && strcmp(ss->state, "revoked") == 0)
        set(out, HALL_STAMP_MAY_REFUSED, "seal_revoked",
            hall_psprintf(pool, "印章（编码 %s）已于 %s 注销，不能再盖章。未盖章", es_id, when),
            hall_psprintf(pool,
                          "the seal %s was cancelled on %s: it cannot stamp.  Nothing written",
                          es_id, when));
    else if (ss->state != NULL && strcmp(ss->state, "replaced") == 0 && ss->current != NULL &&
             *ss->current != '\0')
        set(out, HALL_STAMP_MAY_REFUSED, "seal_replaced",
            hall_psprintf(pool, "印章（编码 %s）已被新印章替换，请使用现行印章（编码 %s）。未盖章",
                          es_id, ss->current),
            hall_psprintf(pool,
                          "the seal %s was replaced: use the seal in use now, %s.  Nothing written",
                          es_id, ss->current));
    else if (ss->state != NULL && strcmp(ss->state, "replaced") == 0)
        set(out, HALL_STAMP_MAY_REFUSED, "seal_replaced",
            hall_psprintf(pool, "印章（编码 %s）已被新印章替换，请使用新印章。未盖章", es_id),
            hall_psprintf(pool, "the seal %s was replaced: use the new one.  Nothing written",
                          es_id));
    else
        set(out, HALL_STAMP_MAY_REFUSED, "seal_unknown",
            hall_psprintf(pool, "营业厅没有登记印章（编码 %s）。未盖章", es_id),
            hall_psprintf(pool, "the hall has no seal %s.  Nothing written", es_id));
}

void
hall_stamp_may_rows(struct hall_pool *pool, const char *serial, const char *cert_state,
                    time_t cert_revoked_at, int reason, const char *es_id, const char *seal_state,
                    const char *seal_revoked_text, const char *seal_current,
                    struct hall_stamp_may *out)
{
    struct hall_stamp_status st;
    struct hall_stamp_seal_status ss;

    memset(&st, 0, sizeof(st));
    memset(&ss, 0, sizeof(ss));
    st.reason = -1;
    if (cert_state == NULL) {
        st.state = HALL_STAMP_REV_UNKNOWN;
    } else if (strcmp(cert_state, "revoked") == 0 || strcmp(cert_state, "void") == 0) {
        /* a void certificate (an intent never issued) is revoked for a stamp,
         * as hall_stamp_records_rows says */
        st.state = HALL_STAMP_REV_REVOKED;
        st.revoked_at = cert_revoked_at;
        st.reason = reason;
    } else if (strcmp(cert_state, "issued") == 0) {
        st.state = HALL_STAMP_REV_GOOD;
    } else {
        /* an intent: nothing the responder would call good */
        st.state = HALL_STAMP_REV_UNKNOWN;
    }
    ss.checked = 1;
    ss.state = seal_state != NULL ? seal_state : "unknown";
    ss.revoked_text = seal_revoked_text != NULL ? seal_revoked_text : "";
    ss.current = seal_current != NULL ? seal_current : "";
    hall_stamp_may(pool, serial, &st, es_id, es_id != NULL ? &ss : NULL, out);
}
