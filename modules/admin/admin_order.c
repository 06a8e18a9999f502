/*
 * admin_order.c: one order as the staff read it (GET /admin/order): every
 * field in the catalogue's groups, what changed since the last rejection, a
 * 证书变更's old data, a 电子签章申请's seals, the materials, the history;
 * and one uploaded material as an attachment (GET /admin/file).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "biz/ordertext.h"

/* uploaded materials (SPEC step 6, step 8's voucher): the catalogue's; a
 * per-person one names its person by the position the order lists them in
 * (电子签章: holder_id_2 is the second 机构个人章's holder) */
static const char *
material_label(struct hall_pool *pool, const char *kind)
{
    int n;
    const struct hall_material *m = hall_material_each(kind, &n);

    if (m != NULL && n > 0)
        return hall_psprintf(pool, "%s（第%d枚机构个人章）", m->label, n);
    return hall_material_label(kind);
}

/* form fields as the applicant saw them, in the catalogue's order and
 * groups (core/flow/catalog.def), with the staff's labels; members not listed
 * come last */
static const char *
form_label(const char *name)
{
    const struct hall_field *f = hall_field_get(name);

    if (f == NULL && strcmp(name, "ca") == 0)
        return "证书算法"; /* the product's CA, chosen with the product (new.c) */
    if (f == NULL && strcmp(name, "key_origin") == 0)
        return "密钥生成"; /* where the key is born, chosen with the product (entry.c) */
    return f != NULL ? f->staff_label : name;
}

static int
form_known(const char *name)
{
    return hall_field_get(name) != NULL;
}

/* a form member as text: coded choices in words, other scalars as JSON */
static const char *
form_text(struct hall_req *req, const struct hall_val *v)
{
    if (v == NULL || v->type == HALL_V_NULL)
        return "";
    if (v->type == HALL_V_STR) {
        if (v->key != NULL && strcmp(v->key, "shipping") == 0)
            return strcmp(v->str, "prepaid") == 0 ? "寄付" : "到付";
        if (v->key != NULL && strcmp(v->key, "invoice") == 0)
            return strcmp(v->str, "yes") == 0 ? "电子发票" : "不开票";
        if (v->key != NULL && strcmp(v->key, "invoice_title_type") == 0)
            return strcmp(v->str, "org") == 0 ? "单位" : (*v->str ? "个人" : "");
        /* as the print says it (core/flow/print.c) */
        if (v->key != NULL && strcmp(v->key, "ca") == 0)
            return strcmp(v->str, "sm2") == 0 ? "SM2（国密算法）" : "ECDSA（国际算法）";
        if (v->key != NULL && strcmp(v->key, "key_origin") == 0)
            return strcmp(v->str, "browser") == 0 ? "在浏览器中生成密钥（本CA不持有私钥）"
                                                  : "营业厅制作，USB Key邮寄";
        return v->str;
    }
    if (v->type == HALL_V_INT)
        return hall_psprintf(req->pool, "%lld", (long long)v->i);
    if (v->type == HALL_V_BOOL)
        return v->i ? "是" : "否";
    return hall_val_json(req->pool, v, NULL);
}

/* the order, or NULL after answering 404, or: the store */
struct hall_dbres *
admin_order_load(struct hall_req *req)
{
    struct hall_dbres *res;
    int64_t id;

    hall_req_param_i64(req, "id", &id);
    res = hall_db_exec(req->cx, "admin_order_get", HALL_I64(id));
    if (res == NULL)
        return NULL;
    if (hall_dbres_rows(res) == 0) {
        hall_msg(req, HALL_M_ORDER_NOT_FOUND, NULL);
        return NULL;
    }
    return res;
}

/* a member the reviewer reads elsewhere: a code whose name the form also
 * holds (unit_region, mail_region, bank_name, bank_branch_name), the
 * carrier (in 邮寄方式) */
static int
form_hidden(const char *name)
{
    const struct hall_field *f = hall_field_get(name);

    return f != NULL ? f->spec.type == HALL_P_CODE : strcmp(name, "carrier") == 0;
}

/* a member in words; 邮寄方式 with its carrier (顺丰速运到付), as on the print */
static const char *
member_text(struct hall_req *req, const struct hall_val *form, const char *name)
{
    const struct hall_val *v = form != NULL ? hall_val_get(form, name) : NULL;

    if (strcmp(name, "shipping") == 0 && v != NULL && v->type == HALL_V_STR)
        return hall_psprintf(req->pool, "%s%s", hall_val_str(form, "carrier"), form_text(req, v));
    return form_text(req, v);
}

/* one row of the field table; a value that differs from before is also a change */
static void
form_row(struct hall_req *req, struct hall_val *rows, struct hall_val *changes,
         const struct hall_val *form, const struct hall_val *m, const struct hall_val *before,
         const char *group, int *nchanges)
{
    struct hall_val *r = hall_val_push_obj(req->pool, rows);
    const char *now = member_text(req, form, m->key);

    hall_val_set_str(req->pool, r, "group", group);
    hall_val_set_str(req->pool, r, "name", m->key);
    hall_val_set_str(req->pool, r, "label", form_label(m->key));
    hall_val_set_str(req->pool, r, "value", now);
    hall_val_set_bool(req->pool, r, "changed", 0);
    if (before != NULL) {
        const char *was = member_text(req, before, m->key);

        if (strcmp(was, now) != 0) {
            struct hall_val *c = hall_val_push_obj(req->pool, changes);

            hall_val_set_bool(req->pool, r, "changed", 1);
            hall_val_set_str(req->pool, r, "before", was);
            hall_val_set_str(req->pool, c, "name", m->key);
            hall_val_set_str(req->pool, c, "label", form_label(m->key));
            hall_val_set_str(req->pool, c, "before", was);
            hall_val_set_str(req->pool, c, "after", now);
            (*nchanges)++;
        }
    }
}

/*
 * Every member of the current form, grouped as on the printed form, with
 * what it said in the revision the last rejection was about (when the
 * applicant has edited since), and the list of changes alone.
 */
static void
form_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_val *form,
         const struct hall_val *before)
{
    struct hall_val *rows = hall_val_set_list(req->pool, ctx, "fields");
    struct hall_val *changes = hall_val_set_list(req->pool, ctx, "changes");
    const struct hall_val *m;
    const char *group = "";
    int nchanges = 0, i;

    for (i = 0; hall_fields[i].name != NULL; i++) {
        const char *glabel = hall_group_get(hall_fields[i].group)->label;
        const char *next = hall_fields[i + 1].name != NULL ? hall_fields[i + 1].group : "";

        m = hall_val_get(form, hall_fields[i].name);
        /* a member the hall fills (开户行联行号 when the bank's list has the
         * branch) and left empty: nothing to review, no empty row */
        if (m != NULL && !form_hidden(m->key) &&
            !((hall_fields[i].flags & HALL_FF_HALL) != 0 &&
              *member_text(req, form, m->key) == '\0' &&
              (before == NULL || *member_text(req, before, m->key) == '\0'))) {
            form_row(req, rows, changes, form, m, before, strcmp(group, glabel) != 0 ? glabel : "",
                     &nchanges);
            group = glabel;
        }
        /* 证书算法 and 密钥生成 (the product's CA and key origin, no
         * fields of the form) close 证书信息, not a group of their own */
        if (strcmp(hall_fields[i].group, "cert") == 0 && strcmp(next, "cert") != 0) {
            static const char *const product_members[] = {"ca", "key_origin", NULL};
            int k;

            for (k = 0; product_members[k] != NULL; k++) {
                if ((m = hall_val_get(form, product_members[k])) == NULL)
                    continue;
                form_row(req, rows, changes, form, m, before,
                         strcmp(group, glabel) != 0 ? glabel : "", &nchanges);
                group = glabel;
            }
        }
    }
    group = "其他";
    for (m = form->first; m != NULL; m = m->next) {
        if (m->key == NULL || form_known(m->key) || form_hidden(m->key) ||
            strcmp(m->key, "ca") == 0 || strcmp(m->key, "key_origin") == 0)
            continue;
        form_row(req, rows, changes, form, m, before, group, &nchanges);
        group = "";
    }
    /* what the earlier revision had and the current one dropped */
    for (m = before != NULL ? before->first : NULL; m != NULL; m = m->next) {
        struct hall_val *c;

        if (m->key == NULL || hall_val_get(form, m->key) != NULL || form_hidden(m->key) ||
            *form_text(req, m) == '\0')
            continue;
        c = hall_val_push_obj(req->pool, changes);
        hall_val_set_str(req->pool, c, "name", m->key);
        hall_val_set_str(req->pool, c, "label", form_label(m->key));
        hall_val_set_str(req->pool, c, "before", form_text(req, m));
        hall_val_set_str(req->pool, c, "after", "");
        nchanges++;
    }
    hall_val_set_int(req->pool, ctx, "changes_count", nchanges);
}

static const char *
actor_label(struct hall_req *req, const char *actor, const char *login)
{
    if (strncmp(actor, "staff:", 6) == 0)
        return hall_psprintf(req->pool, "工作人员 %s", *login ? login : actor + 6);
    if (strncmp(actor, "user:", 5) == 0)
        return "申请人";
    if (strcmp(actor, "gateway:wechat") == 0)
        return "微信支付";
    if (strcmp(actor, "gateway:alipay") == 0)
        return "支付宝";
    if (strcmp(actor, "outbox:bank") == 0)
        return "系统（银行打款）";
    if (strcmp(actor, "outbox:invoice") == 0)
        return "系统（电子发票）";
    if (strncmp(actor, "outbox:", 7) == 0 || strncmp(actor, "cli:", 4) == 0)
        return "系统";
    return actor;
}

/*
 * 签章信息 for the reviewer (电子签章申请): each seal's kind, the text its
 * face will bear (the unit's name around a round seal with the seal's name
 * under the star; a 机构个人章 the holder's name), style, years, the
 * holder's name and ID number (to hold against the ID scan), and its
 * picture (GET /admin/seal/image, modules/seal); beside them the current
 * 证书附页 scan, which the applicant stamped to confirm those seals.
 * HALL_ERR when the database fails or a holder cannot be read (logged).
 */
static int
seals_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o,
          struct hall_dbres *files)
{
    struct hall_dbres *res;
    struct hall_val *list;
    const char *org = hall_dbres_str(o, 0, "subject");
    int i;

    if (strcmp(hall_dbres_str(o, 0, "business_type"), "seal") != 0)
        return HALL_OK;
    res = hall_db_exec(req->cx, "order_seals", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (res == NULL)
        return HALL_ERR;
    hall_val_set_bool(req->pool, ctx, "seal_order", 1);
    hall_val_set_int(req->pool, ctx, "seal_count", hall_dbres_rows(res));
    for (i = 0; i < hall_dbres_rows(files); i++)
        if (strcmp(hall_dbres_str(files, i, "kind"), "cert_attachment") == 0 &&
            !hall_dbres_bool(files, i, "replaced") && !hall_dbres_bool(files, i, "removed"))
            hall_val_set_fmt(req->pool, ctx, "attachment_scan", "/admin/file?id=%s",
                             hall_dbres_str(files, i, "id"));
    list = hall_val_set_list(req->pool, ctx, "seals");
    for (i = 0; i < hall_dbres_rows(res); i++) {
        struct hall_val *s = hall_val_push_obj(req->pool, list);
        const char *kind = hall_dbres_str(res, i, "kind"),
                   *name = hall_dbres_str(res, i, "seal_name");
        int cutout = strcmp(hall_dbres_str(res, i, "style"), "cutout") == 0;

        hall_val_set_int(req->pool, s, "no", i + 1);
        hall_dbres_set(req->pool, s, res, i, "id");
        hall_val_set_str(req->pool, s, "kind", kind);
        hall_dbres_set(req->pool, s, res, i, "years");
        hall_val_set_str(req->pool, s, "style_label", cutout ? "根据印模样式抠图" : "工具自动生成");
        if (strcmp(kind, "org_person") == 0) {
            struct hall_val *h =
                hall_dbres_pii_json(req->cx, res, i, hall_dbres_col(res, "holder_enc"));

            if (h == NULL || h->type != HALL_V_OBJ) {
                hall_err(req, "msg=\"order seals unreadable\" order=%s",
                         hall_dbres_str(o, 0, "id"));
                return HALL_ERR;
            }
            hall_val_set_str(req->pool, s, "kind_label", "机构个人章");
            hall_val_set_str(req->pool, s, "face", hall_val_str(h, "name"));
            hall_val_set_str(req->pool, s, "holder_name", hall_val_str(h, "name"));
            hall_val_set_str(req->pool, s, "holder_ric", hall_val_str(h, "ric"));
            /* the holder's own phone, where the PIN goes, and whether a code proved it */
            {
                const char *m = hall_val_str(h, "mobile");
                unsigned char idx[32];
                size_t vl;
                const unsigned char *v = hall_dbres_bytea(
                    req->cx, res, i, hall_dbres_col(res, "holder_verified_idx"), &vl);

                hall_pii_index("phone", m, idx);
                hall_val_set_str(req->pool, s, "holder_mobile", m);
                hall_val_set_bool(req->pool, s, "holder_verified",
                                  *m != '\0' && v != NULL && vl == 32 && hall_ct_equal(v, idx, 32));
            }
            hall_dbres_set(req->pool, s, res, i, "key_waiting:b key_made:b");
        } else {
            hall_val_set_str(req->pool, s, "kind_label",
                             strcmp(kind, "org") == 0 ? "机构章" : "机构业务章");
            hall_val_set_str(
                req->pool, s, "face",
                *name != '\0' ? hall_psprintf(req->pool, "%s（五角星下方：%s）", org, name) : org);
        }
        if (hall_dbres_bool(res, i, "has_image")) {
            hall_val_set_fmt(req->pool, s, "image", "/admin/seal/image?id=%s",
                             hall_dbres_str(res, i, "id"));
            hall_val_set_bool(req->pool, s, "unconfirmed",
                              cutout && !hall_dbres_bool(res, i, "image_confirmed"));
        }
    }
    return HALL_OK;
}

/*
 * 变更对照 for the reviewer (证书变更): the data the replaced certificate
 * was issued on beside the order's, field by field (core/flow/change_rules.c),
 * those that differ marked.  HALL_ERR when the database fails or the old
 * form cannot be read (logged).
 */
static int
change_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o,
           const struct hall_val *form)
{
    struct hall_dbres *res;
    struct hall_val *old, *v;

    if (strcmp(hall_dbres_str(o, 0, "business_type"), "change") != 0)
        return HALL_OK;
    res = hall_db_exec(req->cx, "order_change_old", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return HALL_OK;
    old = admin_form_of(req, res, hall_dbres_col(res, "form_enc"));
    if (old == NULL || old->type != HALL_V_OBJ) {
        hall_err(req, "msg=\"change: old data unreadable\" order=%s", hall_dbres_str(o, 0, "id"));
        return HALL_ERR;
    }
    v = hall_val_set_obj(req->pool, ctx, "change");
    hall_dbres_set(req->pool, v, res, 0, "serial");
    hall_val_set_str(req->pool, v, "subject",
                     hall_pki_subject_text(req->pool, hall_dbres_str(res, 0, "subject_cn"),
                                           hall_dbres_str(res, 0, "subject_org")));
    hall_val_set_int(req->pool, v, "count",
                     hall_change_rows(req, hall_val_set_list(req->pool, v, "rows"),
                                      hall_cert_type_bit(hall_dbres_str(o, 0, "cert_type")), old,
                                      form));
    return HALL_OK;
}

/*
 * 证书解锁 of a USB key (core/biz/medium_unlock.c): where its ticket is, in
 * the words of its phases, into ctx's "unlock"; the SO PIN released is not
 * the 解锁 done: only the tool's confirmation (rotated) is.  HALL_ERR when
 * the store failed.
 */
static int
unlock_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o)
{
    struct hall_dbres *t;
    struct hall_val *v;
    const char *st, *label;
    int open;

    if (strcmp(hall_dbres_str(o, 0, "business_type"), "unlock") != 0)
        return HALL_OK;
    t = hall_db_exec(req->cx, "order_unlock_ticket", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (t == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(t) == 0)
        return HALL_OK;
    st = hall_dbres_str(t, 0, "state");
    open = strcmp(st, "open") == 0;
    label = open && !hall_dbres_bool(t, 0, "has_code") ? "持有人尚未获取解锁码（或解锁码已作废）"
            : open && hall_dbres_bool(t, 0, "code_expired") ? "解锁码已过期，待持有人重新获取"
            : open ? "持有人已获取解锁码，证书助手尚未使用"
            : strcmp(st, "released") == 0
                ? "管理员PIN码已发给证书助手，尚未确认新PIN码生效（解锁未完成）"
            : strcmp(st, "rotated") == 0 ? "证书助手已确认新PIN码生效（解锁完成）"
            : strcmp(st, "void") == 0    ? "解锁码错误次数过多，已锁定"
                                         : "已取消";
    v = hall_val_set_obj(req->pool, ctx, "unlock");
    hall_val_set_str(req->pool, v, "state", st);
    hall_val_set_str(req->pool, v, "state_label", label);
    hall_dbres_set(req->pool, v, t, 0,
                   "medium_serial code_at released_at rotated_at wrong_tries:i");
    hall_val_set_bool(req->pool, v, "resettable",
                      (open && hall_dbres_bool(t, 0, "has_code")) || strcmp(st, "released") == 0 ||
                          strcmp(st, "void") == 0);
    return HALL_OK;
}

/* the order's materials (order_files), replaced and removed ones too, into
 * ctx's "files"; the rows, or NULL when the store failed */
static struct hall_dbres *
files_ctx(struct hall_req *req, struct hall_val *ctx, int64_t order_id)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "order_files", HALL_I64(order_id));
    struct hall_val *list;
    int i, n;

    if (res == NULL)
        return NULL;
    list = hall_val_set_list(req->pool, ctx, "files");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *f = hall_val_push_obj(req->pool, list);

        hall_dbres_set(req->pool, f, res, i, "id:i kind");
        hall_val_set_str(req->pool, f, "label",
                         material_label(req->pool, hall_dbres_str(res, i, "kind")));
        hall_dbres_set(req->pool, f, res, i, "mime");
        hall_val_set_str(
            req->pool, f, "size",
            hall_psprintf(req->pool, "%.1f KB", hall_dbres_int(res, i, "size") / 1024.0));
        /* removed: a replaced file is deleted after the replacing upload commits */
        hall_dbres_set(req->pool, f, res, i, "uploaded_at replaced:b removed:b");
        hall_val_set_fmt(req->pool, f, "url", "/admin/file?id=%s", hall_dbres_str(res, i, "id"));
    }
    hall_val_set_bool(req->pool, ctx, "no_files", n == 0);
    return res;
}

/* the order's history (audit_log), each row with who and the states in
 * words, into ctx's "history" */
static int
history_ctx(struct hall_req *req, struct hall_val *ctx, const char *sid)
{
    struct hall_dbres *res = hall_db_exec(req->cx, "admin_order_history", HALL_STR(sid));
    struct hall_val *list;
    int i, n;

    if (res == NULL)
        return HALL_ERR;
    list = hall_val_set_list(req->pool, ctx, "history");
    n = hall_dbres_rows(res);
    for (i = 0; i < n; i++) {
        struct hall_val *h = hall_val_push_obj(req->pool, list);
        const char *from = hall_dbres_str(res, i, "from_state"),
                   *to = hall_dbres_str(res, i, "to_state");

        hall_dbres_set(req->pool, h, res, i, "at actor");
        hall_val_set_str(
            req->pool, h, "who",
            actor_label(req, hall_dbres_str(res, i, "actor"), hall_dbres_str(res, i, "login")));
        hall_dbres_set(req->pool, h, res, i, "action");
        hall_val_set_str(req->pool, h, "action_label",
                         hall_order_action_label(hall_dbres_str(res, i, "action")));
        hall_val_set_str(req->pool, h, "from", from);
        hall_val_set_str(req->pool, h, "to", to);
        hall_val_set_str(req->pool, h, "from_label",
                         *from ? hall_order_label(from) ?: "其他状态" : "");
        hall_val_set_str(req->pool, h, "to_label", *to ? hall_order_label(to) ?: "其他状态" : "");
        hall_dbres_set(req->pool, h, res, i, "reason ref");
        if (*hall_dbres_str(res, i, "tries") != '\0')
            hall_val_set_fmt(req->pool, h, "note", "第%s次", hall_dbres_str(res, i, "tries"));
    }
    return HALL_OK;
}

int
admin_order_page(struct hall_req *req)
{
    struct hall_dbres *o, *res;
    struct hall_val *ctx, *form, *before = NULL, *ov;
    const char *sid;
    int64_t form_rev, rejected_rev = 0;
    int json = admin_json_asked(req);

    if (admin_partner_path(req))
        return HALL_OK;
    o = admin_order_load(req);
    if (o == NULL)
        return HALL_ERR;
    sid = hall_dbres_str(o, 0, "id");
    form = admin_form_of(req, o, hall_dbres_col(o, "form_enc"));
    if (form == NULL || form->type != HALL_V_OBJ) {
        hall_err(req, "msg=\"order form unreadable\" order=%s", sid);
        return HALL_ERR;
    }
    form_rev = hall_dbres_int(o, 0, "form_rev");
    if (!(hall_dbres_str(o, 0, "rejected_rev") == NULL))
        rejected_rev = hall_dbres_int(o, 0, "rejected_rev");
    /* edited since the last rejection: compare with what was rejected */
    if (rejected_rev > 0 && form_rev > rejected_rev) {
        res = hall_db_exec(req->cx, "revision_get", HALL_I64(hall_dbres_int(o, 0, "id")),
                           HALL_I64(rejected_rev));
        if (res == NULL)
            return HALL_ERR;
        if (hall_dbres_rows(res) > 0) {
            before = admin_form_of(req, res, hall_dbres_col(res, "form_enc"));
            if (before == NULL || before->type != HALL_V_OBJ) {
                hall_err(req, "msg=\"revision unreadable\" order=%s rev=%lld", sid,
                         (long long)rejected_rev);
                return HALL_ERR;
            }
        }
    }

    ctx = json ? hall_val_obj(req->pool) : admin_page_ctx(req, "业务单详情");
    ov = admin_order_val(req, hall_val_set_obj(req->pool, ctx, "order"), o, 0, NULL);
    hall_val_set_int(req->pool, ov, "form_rev", form_rev);
    hall_val_set_int(req->pool, ov, "rejected_rev", rejected_rev);
    hall_val_set_str(req->pool, ov, "reject_reason", hall_order_reject_reason(req->cx, o, 0));
    hall_val_set_str(req->pool, ov, "cert_amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "cert_fen")));
    hall_val_set_str(req->pool, ov, "shipping_amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "shipping_fen")));
    /* 到付: the receiver pays the carrier, nothing of it on the bill (邮费
     * 到付, not 邮费 0.00) */
    hall_val_set_bool(req->pool, ov, "shipping_collect",
                      strcmp(hall_val_str(form, "shipping"), "collect") == 0);
    hall_dbres_set(req->pool, ov, o, 0,
                   "project_id created_at gift ship_by no_publish:b medium_serial key_station "
                   "key_holder");
    hall_val_set_bool(req->pool, ov, "in_review",
                      strcmp(hall_dbres_str(o, 0, "status"), "review") == 0);
    hall_val_set_bool(req->pool, ov, "in_transfer_review",
                      strcmp(hall_dbres_str(o, 0, "status"), "transfer_review") == 0);
    form_ctx(req, ctx, form, before);
    if (change_ctx(req, ctx, o, form) != HALL_OK || unlock_ctx(req, ctx, o) != HALL_OK)
        return hall_req_failed(req);
    /* new.c accepts the early Fujian pilot USCCs flagged for a person to check */
    hall_val_set_bool(req->pool, ctx, "manual_review",
                      *hall_val_str(form, "org_id_review") != '\0' ||
                          *hall_val_str(form, "invoice_taxid_review") != '\0');
    hall_val_set_bool(req->pool, ctx, "has_diff", before != NULL);
    hall_val_set_bool(req->pool, ctx, "unchanged_since_reject",
                      rejected_rev > 0 && form_rev == rejected_rev);

    res = files_ctx(req, ctx, hall_dbres_int(o, 0, "id"));
    if (res == NULL)
        return HALL_ERR;
    if (seals_ctx(req, ctx, o, res) != HALL_OK)
        return hall_req_failed(req);

    if (history_ctx(req, ctx, sid) != HALL_OK)
        return hall_req_failed(req);
    res = hall_db_exec(req->cx, "finauth_latest", HALL_I64(hall_dbres_int(o, 0, "id")));
    if (res == NULL)
        return HALL_ERR;
    hall_val_set_bool(req->pool, ov, "finauth_locked",
                      hall_dbres_rows(res) > 0 &&
                          strcmp(hall_dbres_str(res, 0, "result"), "locked") == 0);
    if (hall_dbres_rows(res) > 0)
        hall_val_set_str(
            req->pool, ov, "code_name",
            hall_finauth_code_name(strcmp(hall_dbres_str(res, 0, "memo_kind"), "pin") == 0));
    if (json)
        return hall_resp_ok(req, ctx);
    hall_val_set_bool(req->pool, ctx, "person",
                      strcmp(hall_dbres_str(o, 0, "cert_type"), "person") == 0);
    return hall_resp_page(req, 200, "admin_order", ctx);
}

/* uploaded materials: never rendered inline, whatever the content */
int
admin_file_download(struct hall_req *req)
{
    static const struct {
        const char *mime, *ext;
    } types[] = {
        {"image/jpeg", "jpg"}, {"image/png", "png"},       {"image/bmp", "bmp"},
        {"image/gif", "gif"},  {"application/pdf", "pdf"}, {NULL, NULL},
    };
    struct hall_dbres *res;
    const char *stored, *mime, *ext = "bin", *ctype = "application/octet-stream";
    int64_t id;
    int i;

    if (admin_partner_path(req))
        return HALL_OK;
    hall_req_param_i64(req, "id", &id);
    res = hall_db_exec(req->cx, "file_get", HALL_I64(id));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0)
        return hall_msg(req, HALL_M_FILE_NOT_FOUND, NULL);
    stored = hall_dbres_str(res, 0, "stored_name");
    mime = hall_dbres_str(res, 0, "mime");
    /* the table's CHECK says so too: a stored name is never a path */
    if (strspn(stored, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
            strlen(stored) ||
        *stored == '\0')
        return hall_msg(req, HALL_M_FILE_NOT_FOUND, NULL);
    for (i = 0; types[i].mime != NULL; i++)
        if (strcmp(types[i].mime, mime) == 0) {
            ctype = types[i].mime;
            ext = types[i].ext;
        }
    hall_info(req, "msg=\"material download\" staff=%lld file=%lld", (long long)req->staff->id,
              (long long)id);
    /* stored encrypted (core/store/file.c): decrypted for the reviewer */
    return hall_resp_stored(req, stored, ctype,
                            hall_psprintf(req->pool, "%s-%s.%s", hall_dbres_str(res, 0, "order_no"),
                                          hall_dbres_str(res, 0, "kind"), ext));
}
