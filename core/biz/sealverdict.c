/*
 * sealverdict.c: 电子印章验证's rule (modules/seal/seal_verify.c answers
 * it): an uploaded SESeal's verdict, what is checked and in what order,
 * with the words of each problem: the maker's signature, its chain, the
 * CRL and the maker's revocation (core/pki/seseal.c reads them), the
 * seal's validity, then what only the register knows: the seal itself
 * (registered, revoked, replaced, the same bytes) and its signers'
 * certificates.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "biz/biz.h"

const struct hall_stmt hall_sealverdict_stmts[] = {
    {"seseal_lookup",
     "SELECT s.state, coalesce(to_char(s.revoked_at AT TIME ZONE 'Asia/Shanghai',"
     " 'YYYY-MM-DD HH24:MI:SS'), '') AS revoked_at, s.der = $2 AS same_der,"
     " coalesce(s.cert_serial, '') AS cert_serial,"
     " coalesce((SELECT c.state FROM certificates c WHERE c.serial = s.cert_serial), '')"
     " AS cert_state,"
     " coalesce(to_char(s.replaced_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
     " '') AS replaced_at, coalesce(s.replaced_by, '') AS replaced_by,"
     /* the end of the chain of replacements: the seal in use now */
     " coalesce((WITH RECURSIVE ch(es_id, d) AS (SELECT s.replaced_by, 1"
     " UNION ALL SELECT n.replaced_by, ch.d + 1 FROM ch JOIN seseals n ON n.es_id = ch.es_id"
     " WHERE n.replaced_by IS NOT NULL AND ch.d < 64)"
     " SELECT es_id FROM ch ORDER BY d DESC LIMIT 1), '') AS current_seal"
     " FROM seseals s WHERE s.es_id = $1",
     2},
    {"seal_cert_state", "SELECT state FROM certificates WHERE serial = $1", 1},
    {NULL, NULL, 0},
};

static void
problem(struct hall_pool *pool, struct hall_val *list, const char *text)
{
    hall_val_push_str(pool, list, text);
}

/* what the seal's bytes say of themselves */
static void
sv_self(struct hall_pool *pool, const struct hall_seseal_info *info, struct hall_val *r,
        struct hall_val *problems)
{
    time_t now = time(NULL);

    hall_val_set_str(pool, r, "es_id", info->es_id);
    hall_val_set_str(pool, r, "name", info->name);
    hall_val_set_int(pool, r, "version", info->version);
    hall_val_set_str(pool, r, "type_label", info->type == 2 ? "个人印章" : "机构印章");
    hall_val_set_str(pool, r, "valid_start", hall_beijing_time(pool, info->valid_start));
    hall_val_set_str(pool, r, "valid_end", hall_beijing_time(pool, info->valid_end));
    hall_val_set_str(pool, r, "maker", info->maker_subject);
    hall_val_set_bool(pool, r, "signature_ok", info->signature_ok);
    hall_val_set_bool(pool, r, "chain_ok", info->chain_ok);
    hall_val_set_bool(pool, r, "crl_ok", info->crl_ok);
    hall_val_set_bool(pool, r, "maker_revoked", info->maker_revoked);
    if (strcmp(info->picture_type, "PNG") == 0 && info->png_len > 8 &&
        memcmp(info->png, "\x89PNG", 4) == 0)
        hall_val_set_fmt(pool, r, "picture", "data:image/png;base64,%s",
                         hall_b64(pool, info->png, info->png_len));
    if (!info->signature_ok)
        problem(pool, problems, "制章者签名无效：印章内容已被改动或不是由本系统制作");
    if (!info->chain_ok)
        problem(pool, problems, "制章者证书不能验证到本系统的根证书");
    if (!info->crl_ok)
        problem(pool, problems, "无法取得有效的证书吊销列表，吊销状态无法确认");
    if (info->maker_revoked)
        problem(pool, problems, "制章者证书已吊销");
    if (now < info->valid_start || now > info->valid_end)
        problem(pool, problems, "印章不在有效期内");
}

/* the seal in the register */
static int
sv_register(struct hall_ctx *cx, const struct hall_seseal_info *info, const unsigned char *der,
            size_t len, struct hall_val *r, struct hall_val *problems)
{
    struct hall_pool *pool = cx->pool;
    struct hall_dbres *res =
        hall_db_exec(cx, "seseal_lookup", HALL_STR(info->es_id), HALL_BIN(der, len));

    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        hall_val_set_str(pool, r, "seal_state", "unknown");
        problem(pool, problems, "本系统未登记该印章");
    } else if (strcmp(hall_dbres_str(res, 0, "state"), "valid") == 0 &&
               strcmp(hall_dbres_str(res, 0, "cert_state"), "issued") != 0) {
        /* a seal follows its signer: valid in the register, void with it */
        hall_val_set_str(pool, r, "seal_state", "signer_revoked");
        if (!hall_dbres_bool(res, 0, "same_der"))
            problem(pool, problems, "文件与本系统登记的印章不一致");
    } else {
        hall_dbres_set(pool, r, res, 0, "seal_state=state");
        if (strcmp(hall_dbres_str(res, 0, "state"), "revoked") == 0)
            problem(pool, problems,
                    hall_psprintf(pool, "印章已于 %s 注销", hall_dbres_str(res, 0, "revoked_at")));
        if (strcmp(hall_dbres_str(res, 0, "state"), "replaced") == 0) {
            const char *next = hall_dbres_str(res, 0, "replaced_by"),
                       *now_in_use = hall_dbres_str(res, 0, "current_seal");
            int later = *now_in_use != '\0' && strcmp(now_in_use, next) != 0;

            /* the seal in use now, when the next one was replaced too */
            problem(pool, problems,
                    hall_psprintf(pool, "印章已于 %s 被替换：签章人证书已更换，新印章为 %s%s%s%s",
                                  hall_dbres_str(res, 0, "replaced_at"), next,
                                  later ? "（其后又经替换，现行印章为 " : "",
                                  later ? now_in_use : "", later ? "）" : ""));
        }
        if (!hall_dbres_bool(res, 0, "same_der"))
            problem(pool, problems, "文件与本系统登记的印章不一致");
    }
    return HALL_OK;
}

/* its signers' certificates in the register */
static int
sv_signers(struct hall_ctx *cx, const struct hall_seseal_info *info, struct hall_val *r,
           struct hall_val *problems)
{
    struct hall_pool *pool = cx->pool;
    struct hall_val *signers = hall_val_set_list(pool, r, "signers");
    int i;

    for (i = 0; i < info->nsigners; i++) {
        struct hall_val *s = hall_val_push_obj(pool, signers);
        struct hall_dbres *c =
            hall_db_exec(cx, "seal_cert_state", HALL_STR(info->signers[i].serial));
        const char *st;

        if (c == NULL)
            return HALL_ERR;
        st = hall_dbres_rows(c) > 0 ? hall_dbres_str(c, 0, "state") : "unknown";
        hall_val_set_str(pool, s, "serial", info->signers[i].serial);
        hall_val_set_str(pool, s, "subject", info->signers[i].subject);
        hall_val_set_str(pool, s, "state", st);
        /* the certificate's own state, named as such: beside a seal that
         * is 已替换 a bare 有效 read as the seal's */
        hall_val_set_str(pool, s, "state_label",
                         strcmp(st, "issued") == 0                               ? "证书有效"
                         : strcmp(st, "revoked") == 0 || strcmp(st, "void") == 0 ? "证书已吊销"
                                                                                 : "证书未登记");
        if (strcmp(st, "issued") != 0)
            problem(pool, problems,
                    hall_psprintf(pool, "签章人证书 %s %s", info->signers[i].serial,
                                  strcmp(st, "unknown") == 0 ? "未在本系统登记" : "已吊销"));
    }
    if (info->nsigners == 0)
        problem(pool, problems, "印章未列出签章人证书");
    return HALL_OK;
}

int
hall_seal_verdict(struct hall_ctx *cx, const unsigned char *der, size_t len, struct hall_val *r,
                  struct hall_seal_verdict *out)
{
    struct hall_seseal_info info;
    struct hall_val *problems;
    unsigned char *crl;
    size_t crl_len = 0;

    memset(out, 0, sizeof(*out));
    crl = hall_pki_crl_get(cx, "sm2", &crl_len);
    if (hall_seseal_verify(cx->pool, der, len, crl, crl_len, &info, &out->err) != HALL_OK)
        return HALL_CONFLICT;
    problems = hall_val_set_list(cx->pool, r, "problems");
    sv_self(cx->pool, &info, r, problems);
    if (sv_register(cx, &info, der, len, r, problems) != HALL_OK ||
        sv_signers(cx, &info, r, problems) != HALL_OK)
        return HALL_ERR;
    out->es_id = info.es_id;
    out->valid = problems->first == NULL;
    hall_val_set_bool(cx->pool, r, "valid", out->valid);
    hall_val_set_str(cx->pool, r, "verdict", out->valid ? "印章有效" : "印章无效");
    return HALL_OK;
}
