/*
 * print.c: 打印申请表, the form as printed (the catalogue's groups and
 * fields of the flow, the amounts, the partner's title), and the
 * applicant's confirmation that it was printed (hall_order_printed, the
 * orders table's owner's).
 *
 *   POST /F/printed
 */
#include <stdio.h>
#include <string.h>

#include "flow/flow_int.h"

/* "sections": the flow's groups for the certificate type, each with the
 * rows of the catalogue's printed fields (label, value in words) */
static void
print_sections(struct hall_req *req, struct hall_val *ctx, const struct hall_val *form,
               unsigned bit)
{
    struct hall_val *list = hall_val_set_list(req->pool, ctx, "sections");
    const char *const *g;

    for (g = hall_flow_current()->groups; g != NULL && *g != NULL; g++) {
        const struct hall_group *grp = hall_group_get(*g);
        const struct hall_field *fd;
        struct hall_val *sec = NULL, *rows = NULL;

        /* a key born in the holder's browser, or a replacement made on the
         * same USB key (mail_none, core/flow/replace.c): nothing is mailed,
         * the form kept no 邮寄信息 (modules/new/new.c) */
        if (grp != NULL && strcmp(*g, "mail") == 0 &&
            (strcmp(hall_val_str(form, "key_origin"), "browser") == 0 ||
             *hall_val_str(form, "mail_none") != '\0')) {
            struct hall_val *row;

            sec = hall_val_push_obj(req->pool, list);
            hall_val_set_str(req->pool, sec, "code", grp->code);
            hall_val_set_str(req->pool, sec, "label", grp->label);
            row = hall_val_push_obj(req->pool, hall_val_set_list(req->pool, sec, "rows"));
            hall_val_set_str(req->pool, row, "name", "shipping");
            hall_val_set_str(req->pool, row, "label", "邮寄方式");
            hall_val_set_str(
                req->pool, row, "value",
                *hall_val_str(form, "mail_none") != '\0'
                    ? hall_psprintf(req->pool, "不邮寄（%s）", hall_val_str(form, "mail_none"))
                    : "不邮寄（浏览器生成密钥，证书文件自行保存）");
            continue;
        }
        for (fd = hall_fields; grp != NULL && fd->name != NULL; fd++) {
            struct hall_val *row;

            if (strcmp(fd->group, *g) != 0 || (fd->flags & HALL_FF_NOPRINT) ||
                (fd->types & bit) == 0)
                continue;
            if (sec == NULL) {
                sec = hall_val_push_obj(req->pool, list);
                hall_val_set_str(req->pool, sec, "code", grp->code);
                hall_val_set_str(req->pool, sec, "label", grp->label);
                rows = hall_val_set_list(req->pool, sec, "rows");
            }
            row = hall_val_push_obj(req->pool, rows);
            hall_val_set_str(req->pool, row, "name", fd->name);
            hall_val_set_str(req->pool, row, "label", fd->label);
            hall_val_set_str(req->pool, row, "value", hall_field_text(req->pool, fd, form));
        }
    }
}

int
hall_flow_print_page(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req);
    struct hall_val *form, *ctx;
    struct hall_partner p;

    if (o == NULL)
        return HALL_OK;
    if (hall_flow_partner(req, hall_dbres_str(o, 0, "partner_code"), &p) != HALL_OK)
        return HALL_OK;
    form = hall_flow_form(req, o);
    if (form == NULL)
        return HALL_ERR;
    ctx = hall_flow_print_ctx(req, o, &p, form);
    if (hall_flow_current()->print_more != NULL &&
        hall_flow_current()->print_more(req, ctx, o, form) != HALL_OK)
        return hall_req_failed(req);
    return hall_resp_page(req, 200, hall_flow_current()->tmpl_print, ctx);
}

struct hall_val *
hall_flow_print_ctx(struct hall_req *req, struct hall_dbres *o, const struct hall_partner *p,
                    const struct hall_val *form)
{
    const char *type = hall_dbres_str(o, 0, "cert_type");
    unsigned bit = hall_cert_type_bit(type);
    struct hall_val *ctx = hall_flow_page(req, "打印申请表", p), *f;

    hall_dbres_set(req->pool, ctx, o, 0, "order_id=id order_no");
    /* the partner's own form title (sql/114: seeds 002, 003) */
    hall_val_set_str(req->pool, ctx, "print_title", p->print_title);
    /* 证书算法 as the form chose it (new: products.ca) */
    hall_val_set_str(req->pool, ctx, "ca_label",
                     strcmp(hall_val_str(form, "ca"), "sm2") == 0 ? "SM2（国密算法）"
                                                                  : "ECDSA（国际算法）");
    hall_val_set_str(req->pool, ctx, "business_sms",
                     hall_business_get(hall_flow_current()->business) != NULL
                         ? hall_business_get(hall_flow_current()->business)->sms
                         : hall_flow_current()->title);
    hall_val_set_str(req->pool, ctx, "cert_type_label", hall_cert_type_label(type));
    hall_dbres_set(req->pool, ctx, o, 0, "years");
    /* the seal chosen, or included in the product's price (Hunan's 签章费) */
    hall_dbres_set(req->pool, ctx, o, 0, "seal=needs_seal_material:b");
    hall_val_set_bool(req->pool, ctx, "seal_included", !hall_dbres_bool(o, 0, "seal"));
    hall_val_set_str(req->pool, ctx, "cert_amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "cert_fen")));
    hall_val_set_str(req->pool, ctx, "shipping_amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "shipping_fen")));
    /* 邮寄费用 of a replacement that mails nothing: 无需寄送 */
    hall_val_set_bool(req->pool, ctx, "shipping_none", *hall_val_str(form, "mail_none") != '\0');
    /* 邮寄费用 of a 到付 parcel: 到付, paid to the carrier, not 0.00元 */
    hall_val_set_bool(req->pool, ctx, "shipping_collect",
                      strcmp(hall_val_str(form, "shipping"), "collect") == 0);
    hall_val_set_str(req->pool, ctx, "amount",
                     hall_yuan(req->pool, hall_dbres_int(o, 0, "amount_fen")));
    hall_dbres_set(req->pool, ctx, o, 0, "created");
    {
        /* the 委托期限's first day as seed 004 prints it: 自2023年4月28日起 */
        int y, m, d;

        if (sscanf(hall_dbres_str(o, 0, "created"), "%4d-%2d-%2d", &y, &m, &d) == 3)
            hall_val_set_fmt(req->pool, ctx, "created_day", "%d年%d月%d日", y, m, d);
        else
            hall_val_set_str(req->pool, ctx, "created_day", "申请日期");
    }
    hall_dbres_set(req->pool, ctx, o, 0, "printed:b");
    hall_val_set_bool(req->pool, ctx, "unit", (bit & HALL_T_UNIT) != 0);
    hall_val_set_bool(req->pool, ctx, "applicant", (bit & HALL_T_APPL) != 0);
    hall_val_set_bool(req->pool, ctx, "person", bit == HALL_T_PERSON);
    hall_flow_form_ctx(req, ctx, form);
    print_sections(req, ctx, form, bit);
    f = (struct hall_val *)hall_val_get(ctx, "f");
    /* the carrier with the way: 顺丰速运到付, 京东快递寄付 */
    hall_val_set_fmt(req->pool, f, "shipping", "%s%s", hall_val_str(form, "carrier"),
                     strcmp(hall_val_str(form, "shipping"), "prepaid") == 0 ? "寄付" : "到付");
    hall_val_set_str(req->pool, f, "invoice",
                     strcmp(hall_val_str(form, "invoice"), "yes") == 0 ? "电子发票" : "不开票");
    hall_flow_steps(req, ctx, "print");
    return ctx;
}

static int
do_printed(struct hall_req *req)
{
    struct hall_dbres *o = hall_flow_order(req);
    int rc;

    if (o == NULL)
        return HALL_OK;
    rc = hall_order_printed(req->cx, hall_dbres_int(o, 0, "id"), req->user_id);
    if (rc == HALL_ERR)
        return HALL_ERR;
    if (rc == HALL_CONFLICT)
        return hall_msg(req, HALL_M_ORDER_LOCKED, NULL);
    return hall_resp_go(
        req, hall_flow_url(req, "/upload?id=%lld", (long long)hall_dbres_int(o, 0, "id")), NULL);
}

/* below the flow's path (hall_flow_main) */
const struct hall_route flow_print_routes[] = {
    {"POST", "/printed", do_printed, HALL_R_AUTH, flow_id_params},
    {NULL, NULL, NULL, 0, NULL},
};
