/*
 * center_certs.c: 我的证书: every certificate the applicant's orders produced,
 * its state, its actions (补办, 变更, 更新, 解锁, 撤销) and the seals it signs
 * (GET /center/certs); the 金融认证 records of the applicant's orders (GET
 * /center/finauth); a certificate and its chain as PEM, DER or PKCS#7 (GET
 * /center/cert/download, the chain made by core/pki: hall_pki_chain):
 * public parts only.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center.h"

#define CERTS_PAGE 100 /* 我的证书's rows a page (certificates and those in production) */

/* certs_list's columns that the page reads for more than a copy */
enum {
    C_SERIAL,
    C_STATE,
    C_CA,
    C_CN,
    C_ORG,
    C_EXPIRED,
    C_EXPIRING,
    C_REASON,
    C_PARTNER,
    C_CERT_TYPE,
    C_SEAL_KIND,
    C_REISSUABLE,
    C_CHANGEABLE,
    C_RENEWABLE,
    C_UNLOCKABLE,
    C_KEY_ORIGIN,
    C_MEDIUM,
    C__N
};
static const char *const cert_cols[C__N] = {
    "serial",     "state",         "ca",           "subject_cn", "subject_org",   "expired",
    "expiring",   "revoke_reason", "partner_code", "cert_type",  "seal_kind",     "reissuable",
    "changeable", "renewable",     "unlockable",   "key_origin", "medium_serial",
};

/* one certificate's state for the holder: a code and its words */
const char *
center_cert_state(const char *state, int expired, int expiring, const char **label)
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

const char *
center_ca_label(const char *ca)
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

/*
 * Where the key of a holder's certificate lives (issue 64 §3, §5), on the
 * row under it: a USB key by its serial, with the 证书助手's exact commands
 * for what the holder may do on it (list, pin, and the one-time code's
 * renew, change, unlock the row offers), or a file made in the browser,
 * whose every flow makes a new key in the browser again.  A seal's own
 * certificate and one the hall made (before issue 64) have no line.
 */
static void
cert_medium(struct hall_req *req, struct hall_val *row, const char *origin, const char *medium,
            const char *code, int changeable, int renewable, int unlockable)
{
    static const struct {
        const char *verb, *label, *ticket;
    } flows[] = {
        {"renew", "在线更新", "更新码"},
        {"change", "在线变更", "变更码"},
        {"unlock", "解锁（忘记PIN码或PIN码被锁定）", "解锁码"},
    };
    const char *mod = req->app->conf.medium_module;
    struct hall_val *m, *list;
    size_t i;

    if (strcmp(code, "valid") != 0 && strcmp(code, "expiring") != 0 && strcmp(code, "expired") != 0)
        return;
    if (strcmp(origin, "browser") == 0) {
        m = hall_val_set_obj(req->pool, row, "medium");
        hall_val_set_bool(req->pool, m, "browser", 1);
        return;
    }
    if (strcmp(origin, "medium") != 0 || *medium == '\0')
        return;
    if (mod == NULL || *mod == '\0')
        mod = "libszca-pkcs11.so"; /* as core/flow/assist_page.c names it */
    m = hall_val_set_obj(req->pool, row, "medium");
    hall_val_set_str(req->pool, m, "usbkey", medium);
    hall_val_set_fmt(req->pool, m, "list", "hall-assist list --module %s --token %s", mod, medium);
    hall_val_set_fmt(req->pool, m, "pin", "hall-assist pin --module %s --token %s", mod, medium);
    list = hall_val_set_list(req->pool, m, "flows");
    for (i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
        struct hall_val *f;

        if (!(i == 0   ? renewable
              : i == 1 ? changeable
                       : unlockable) ||
            (i != 0 && strcmp(code, "expired") == 0))
            continue;
        f = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, f, "label", flows[i].label);
        hall_val_set_str(req->pool, f, "verb", flows[i].verb);
        hall_val_set_str(req->pool, f, "ticket", flows[i].ticket);
        hall_val_set_fmt(req->pool, f, "command",
                         "hall-assist %s --module %s --token %s --ticket %s --hall %s",
                         flows[i].verb, mod, medium, flows[i].ticket, req->app->conf.public_url);
    }
}

/* the seals a certificate signs, from certs_seals (all the applicant's),
 * each leading to 我的电子印章 of its order (the downloads, 在线盖章) under
 * the channel's own path */
static void
cert_seals(struct hall_req *req, struct hall_val *row, struct hall_dbres *seals, const char *serial,
           const char *code)
{
    struct hall_val *list = NULL;
    int i, n = hall_dbres_rows(seals);

    for (i = 0; i < n; i++) {
        const char *st = hall_dbres_str(seals, i, "state");
        struct hall_val *it;

        if (strcmp(hall_dbres_str(seals, i, "cert_serial"), serial) != 0)
            continue;
        if (list == NULL) {
            list = hall_val_set_list(req->pool, row, "seals");
            hall_val_set_bool(req->pool, row, "has_seals", 1);
        }
        it = hall_val_push_obj(req->pool, list);
        hall_val_set_str(req->pool, it, "kind_label",
                         hall_seal_kind_text(hall_dbres_str(seals, i, "kind")));
        hall_val_set_str(req->pool, it, "name", hall_seal_shown_name(req->cx, seals, i));
        hall_dbres_set(req->pool, it, seals, i, "es_id");
        hall_val_set_str(req->pool, it, "url",
                         hall_pstrcat(req->pool, hall_req_base(req), "/seal/seals?id=",
                                      hall_dbres_str(seals, i, "order_id"), NULL));
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
int
center_finauth_page(struct hall_req *req)
{
    struct hall_dbres *res;
    struct hall_val *ctx, *list;
    const struct hall_dbcols *names, *created, *failed;
    const char *base = hall_req_base(req);
    long page;
    int i, n, more;

    if (!center_query_page(req, &page))
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
    names = hall_dbres_cols(req->pool, res, "order_no subject");
    created = hall_dbres_cols(req->pool, res, "created");
    failed = hall_dbres_cols(req->pool, res, "fail_reason verified");
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
        hall_dbres_put(req->pool, row, res, i, names);
        hall_val_set_str(req->pool, row, "method", "银行金融认证");
        hall_val_set_str(req->pool, row, "code_name", name);
        hall_dbres_put(req->pool, row, res, i, created);
        hall_val_set_str(req->pool, row, "result", result);
        hall_val_set_str(req->pool, row, "result_label",
                         finauth_result_label(req, result, name, waiting));
        hall_dbres_put(req->pool, row, res, i, failed);
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

int
center_certs_page(struct hall_req *req)
{
    struct hall_dbres *res, *seals;
    struct hall_val *ctx, *list;
    long page;
    const struct hall_dbcols *dates, *revoked_at, *order;
    int i, n, more, cc[C__N];

    /* a page of CERTS_PAGE rows, one more read to know whether a next page
     * exists: an agent with years of orders has thousands of certificates */
    if (!center_query_page(req, &page))
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
    dates = hall_dbres_cols(req->pool, res, "not_before not_after");
    revoked_at = hall_dbres_cols(req->pool, res, "revoked_at");
    order = hall_dbres_cols(req->pool, res, "order_id order_no");
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

        code = center_cert_state(hall_dbres_get(res, i, cc[C_STATE]),
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
        hall_val_set_str(req->pool, row, "ca_label", center_ca_label(ca));
        hall_dbres_put(req->pool, row, res, i, dates);
        hall_val_set_str(req->pool, row, "state", code);
        hall_val_set_str(req->pool, row, "state_label", label);
        if (strcmp(code, "revoked") == 0) {
            int reason = atoi(hall_dbres_get(res, i, cc[C_REASON]));

            hall_dbres_put(req->pool, row, res, i, revoked_at);
            hall_val_set_str(req->pool, row, "revoke_reason", hall_pki_reason_name(reason));
            hall_val_set_str(req->pool, row, "revoke_reason_label", hall_pki_reason_label(reason));
        }
        hall_dbres_put(req->pool, row, res, i, order);
        cert_actions(req, row, code, serial, hall_dbres_get(res, i, cc[C_PARTNER]),
                     *hall_dbres_get(res, i, cc[C_REISSUABLE]) == 't',
                     *hall_dbres_get(res, i, cc[C_CHANGEABLE]) == 't',
                     *hall_dbres_get(res, i, cc[C_RENEWABLE]) == 't',
                     *hall_dbres_get(res, i, cc[C_UNLOCKABLE]) == 't');
        if (*kind == '\0')
            cert_medium(req, row, hall_dbres_get(res, i, cc[C_KEY_ORIGIN]),
                        hall_dbres_get(res, i, cc[C_MEDIUM]), code,
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

/*
 * 下载证书: the owner's certificate as signed, with the chain that issued
 * it (the issuing CA, then the root): PEM (the three, concatenated), DER
 * (the certificate alone: a DER file holds one) or P7B (PKCS#7 certs-only
 * with the three).  Certificates only: the medium (PKCS#12) is /pki/medium.
 */
int
center_cert_download(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial"), *fmt = hall_req_param(req, "format");
    struct hall_dbres *res;
    unsigned char *der, *out;
    size_t der_len, out_len;
    int p7b = strcmp(fmt, "p7b") == 0;

    if (strcmp(fmt, "pem") != 0 && strcmp(fmt, "der") != 0 && !p7b)
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
    /* the chain is the CA's (core/pki): a failure is the hall's, not busy */
    if (hall_pki_chain(req->pool, hall_dbres_str(res, 0, "ca"), der, der_len, p7b, &out,
                       &out_len) != HALL_OK) {
        hall_err(req, "msg=\"center: the certificate's chain could not be made\" serial=%s",
                 serial);
        return hall_msg(req, HALL_M_INTERNAL, NULL);
    }
    if (p7b)
        return hall_resp_bytes(req, out, out_len, "application/x-pkcs7-certificates",
                               hall_psprintf(req->pool, "%s.p7b", serial));
    return hall_resp_bytes(req, out, out_len, "application/x-pem-file",
                           hall_psprintf(req->pool, "%s.pem", serial));
}
