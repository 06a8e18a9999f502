/*
 * core/flow/replace.h: the flows that replace a certificate (补办, 更新,
 * 变更, 解锁): the back office of 介质遗失补办, what the replacing orders
 * share, 证书变更's rules (docs/internals/replace.md).  Included by flow.h,
 * at its end.
 */
#ifndef HALL_FLOW_REPLACE_H
#define HALL_FLOW_REPLACE_H

/* ---- reissue_review.c: the back office of 介质遗失补办 (docs/modules/reissue.md) */

struct hall_replace_cert; /* replace.c's, below */

/* the certificate of serial as the logged-in applicant may see it;
 * order_id: the reissue order asking (its own claim is not "under way"),
 * 0 for none; submit_key: the form being submitted (an order it made
 * already is that form's, not another under way), NULL for none.
 * HALL_ERR on database failure only */
int hall_reissue_cert_get(struct hall_req *req, const char *serial, int64_t order_id,
                          const char *submit_key, struct hall_replace_cert *c);
/* inside the transaction approving order_id (review -> accepted): for a
 * reissue order, revokes the old certificate (keyCompromise, audited on the
 * certificate and the order); the CRL follows (hall-outbox's pki tick) and
 * the new certificate is made by 制作证书 or its holder's request (none
 * without either, sql/162).  For 更新, 变更
 * and 解锁 orders it revokes nothing but refuses a certificate revoked
 * since (or, but for 更新, ended).  HALL_OK also for other orders;
 * HALL_CONFLICT with *msg when the old certificate can no longer be
 * replaced */
int hall_replace_approved(struct hall_req *req, int64_t order_id, const char *actor,
                          const char **msg);
extern const struct hall_stmt hall_reissue_stmts[];

/* ---- replace.c: the orders that replace a certificate ------------------------
 * 介质遗失补办 reissue, 证书更新 renew, 证书变更 change, 证书解锁 unlock: one
 * column (orders.reissue_of, sql/058) names the certificate replaced, one
 * ownership rule (the account whose order produced it; another's answers
 * 403 with only the public lookup's fields, an unknown one 404), one claim
 * (at most one live replacing order per certificate, whatever its type),
 * and core/biz/produce.c makes the new certificate (docs/internals/replace.md). */

enum hall_replace_result {
    HALL_REPLACE_OK,         /* the caller's valid, unrevoked certificate */
    HALL_REPLACE_BAD_SERIAL, /* not 16 upper-case hex digits: 400 */
    HALL_REPLACE_NOT_FOUND,  /* 404 */
    HALL_REPLACE_FOREIGN,    /* someone else's: only the public lookup's fields are set */
    HALL_REPLACE_REVOKED,    /* own, revoked (or voided): 409 */
    HALL_REPLACE_EXPIRED,    /* own, expired: 409 */
    HALL_REPLACE_PENDING,    /* own, another replacing order under way: 409 */
    HALL_REPLACE_EARLY,      /* renew: before its window (hall_replace_window): 409 */
    HALL_REPLACE_LATE,       /* renew: after its window: 409 */
};

struct hall_replace_cert {
    enum hall_replace_result result;
    const char *why; /* the applicant's message when result is not OK */
    /* public: what /pki/lookup shows */
    const char *serial, *status, *status_label, *org, *not_before, *not_after;
    /* the owner's only */
    int own;
    const char *cn, *cert_type, *cert_type_label;
    int64_t order_id; /* the order that produced it */
    /* core/flow/replace.c: the message of result (its status), whether
     * expired, the end as seconds since the epoch, the issuing CA, the
     * unit's code read from the certificate ("" for none) */
    enum hall_msg_code code;
    int expired;
    int64_t not_after_epoch;
    const char *ca, *uscc;
    const char *medium; /* the USB key it is on (sql/145), "" for none */
    /* where its replacement's key is born, so which product prices it:
     * "browser" for a certificate made in the browser and for every SM2
     * one (sql/161; functions/order_key_origin.sql), else "hall" */
    const char *key_origin;
};

/* hall_replace_business (1 for reissue, renew, change, unlock) is
 * core/biz/order.c's: where a paid order goes depends on it */
/* the certificate of serial as the logged-in applicant may replace it by an
 * order of business: as hall_reissue_cert_get (which is this for
 * "reissue"), with c->code the message of c->result; renew accepts an
 * expired certificate (its window is hall_replace_window's).  It answers
 * nothing: HALL_ERR is the store's */
int hall_replace_cert_get(struct hall_req *req, const char *business, const char *serial,
                          int64_t order_id, const char *submit_key, struct hall_replace_cert *c);
/* renew: from before_days before c's end until after_days after it; outside
 * it c->result EARLY or LATE with the dates in c->why */
void hall_replace_window(struct hall_req *req, struct hall_replace_cert *c, int before_days,
                         int after_days);
/* answers c's refusal (c->code's status, c->why) naming field */
int hall_replace_refuse(struct hall_req *req, const struct hall_replace_cert *c, const char *field);
/* hall_flow_save.also of a replacing flow, arg the serial: inside the
 * save's transaction, locks the certificate's row and claims it for the
 * order; of two claims at once the second finds the first (409 naming
 * "serial"); a revoked certificate, or for all but renew an expired one,
 * answers 409 */
int hall_replace_claim(struct hall_req *req, int64_t order_id, void *serial);
extern const struct hall_stmt hall_replace_stmts[];

/* A replacing flow's own words and rules for the steps the four share
 * (hall_flow.replace); the shared handlers read hall_flow_current()'s */
struct hall_replace_flow {
    const char *notice_title; /* 操作提示's title: 证书更新 · 操作提示 */
    const char *notice_tmpl;  /* 操作提示's template */
    const char *serial_tmpl;  /* 证书选择's template */
    const char *json_key;     /* the serial lookup's answer: "renewable" */
    /* 证书选择 of the flows a partner's product offers (renew, unlock,
     * hall_replace_serial_page): the list's caption, the line under 下一步
     * (next_note_expired for an expired certificate, next_note_medium for
     * one on a USB key: the 证书助手's, NULL: next_note), the
     * reason a type is not offered in the list, and window: the list says
     * renew's window (early, late) instead of 已过期 */
    const char *choose_caption;
    const char *next_note, *next_note_expired, *next_note_medium;
    const char *not_offered_why;
    int window;
    /* 证书选择 of the others (change, reissue, hall_replace_choose_page): the
     * status 有效 of a certificate with an order under way says this */
    const char *pending_label;
    /* reissue: the page's certificate says whether it is good */
    int cert_good;
    /* the partner has no product of the certificate's type: this message
     * (the flow's label its argument) */
    enum hall_msg_code not_offered;
    /* optional: the certificate of serial for this flow in p's channel
     * (order_id: the order being edited, 0 for none); the default is
     * hall_replace_cert_get of the flow's business; answers nothing */
    int (*cert_get)(struct hall_req *req, const struct hall_partner *p, int64_t order_id,
                    const char *serial, const char *key, struct hall_replace_cert *c);
    /* optional: answers c's refusal naming "serial"; the default is
     * hall_replace_refuse */
    int (*refuse)(struct hall_req *req, const struct hall_replace_cert *c);
};

/* the steps of the replacing flows, on hall_flow_current()->replace:
 *   GET notice: 操作提示 (a route's handler) */
int hall_replace_notice_page(struct hall_req *req);
/* GET serial of renew and unlock: the applicant's certificates with
 * whether the partner's product takes each, a serial typed; JSON when
 * asked (after the partner and the agreements) */
int hall_replace_serial_page(struct hall_req *req);
/* GET serial of change and reissue: the applicant's certificates, a serial
 * typed; JSON when asked (any partner's) */
int hall_replace_choose_page(struct hall_req *req);
/* the details of c as JSON: the public lookup's fields, the owner's on top */
void hall_replace_cert_json(struct hall_req *req, struct hall_val *v,
                            const struct hall_replace_cert *c);
/* ctx.cert: c's details (and good, when the flow says) */
void hall_replace_cert_ctx(struct hall_req *req, struct hall_val *ctx,
                           const struct hall_replace_cert *c);
/* the certificate of the order being made (serial, by the form key) or
 * edited (o) and the partner's product of its type, of c->key_origin where
 * the partner has one: the product's row of *prods; -1 after answering
 * (the refusal naming "serial", or 503) */
int hall_replace_cert_product(struct hall_req *req, struct hall_dbres *o, const char *serial,
                              const char *key, const struct hall_partner *p,
                              struct hall_replace_cert *c, struct hall_dbres **prods);
/* POST apply of a replacing flow, what its steps share
 * (hall_replace_submit_open): the partner, the save's order (s.o when an
 * edit), the errors so far, the form being filled, the certificate and the
 * row of its partner's product, its type's bit */
struct hall_replace_submit {
    struct hall_partner p;
    struct hall_flow_save s;
    struct hall_errors e;
    struct hall_val *form;
    struct hall_dbres *prods;
    struct hall_replace_cert c;
    unsigned bit;
    int row;
};
/* POST apply's start: hall_flow_submit_open with params, then the serial
 * and its product as hall_replace_cert_product.  HALL_ANSWERED: the
 * refusal naming "serial", or 503 */
int hall_replace_submit_open(struct hall_req *req, const struct hall_pspec *params,
                             struct hall_replace_submit *a);
/* why nothing is mailed for the flow's replacement of c (无需寄送's
 * line), NULL when a new medium is mailed: a certificate made in the
 * browser (or SM2) is replaced in the browser, and a USB key's 更新,
 * 变更 and 解锁 are the 证书助手's on the same medium; only a USB key's
 * 补办 and a file the hall made before go onto a new, mailed USB key */
const char *hall_replace_no_mail(const struct hall_replace_cert *c);
/* the catalogue's fields and the delivery checked into a->form, errors
 * added to a->e (hall_flow_fields_check, hall_flow_delivery_check); where
 * nothing is mailed (hall_replace_no_mail) the 邮寄信息 group and the
 * 邮寄方式 are neither checked nor kept (posted ones are ignored: no
 * address, no carrier, no 寄付 fee), the form's mail_none says why */
void hall_replace_fields_check(struct hall_req *req, struct hall_replace_submit *a);
/* after the flow's own checks: the fields' cross checks, then every error
 * answered at once (hall_flow_cross_check, hall_flow_submit_checked);
 * HALL_OK when the order may be saved, else HALL_ANSWERED */
int hall_replace_submit_checked(struct hall_req *req, struct hall_replace_submit *a);
/* the form of c's own order (the same applicant's), NULL when unreadable */
struct hall_val *hall_replace_old_form(struct hall_req *req, const struct hall_replace_cert *c);
/* the same, or an empty form when the certificate's order has none: the
 * data a new order starts from */
struct hall_val *hall_replace_start_form(struct hall_req *req, const struct hall_replace_cert *c);
/* 录入信息's page of a replacing flow, its head (hall_replace_apply_open):
 * the editable order of ?id= (o) or the partner of ?project=, the
 * certificate of ?serial= (or the order's) and its product's row, the
 * certificate's order's form (old: for a new order, or when asked; NULL
 * when it has none), the form shown (the order's, else old or empty), and
 * the page named TITLE with the apply's context, the product's choices and
 * the certificate (ctx.cert) */
struct hall_replace_page {
    struct hall_partner p;
    struct hall_dbres *o, *prods;
    struct hall_replace_cert c;
    struct hall_val *old, *form, *ctx;
    int row;
};
/* the 录入信息 page's head of a flow that replaces a certificate: the
 * order being edited or the partner, the certificate of ?serial= and its
 * product, the form (the old certificate's too when want_old) and the
 * page's context; HALL_ANSWERED: 404, the refusal naming "serial" */
int hall_replace_apply_open(struct hall_req *req, const char *title, int want_old,
                            struct hall_replace_page *a);
/* renew and unlock: the new certificate carries the old subject, so the
 * form's subject fields must say what c says, and the person's ID number
 * what c's order (old) said (never echoed: personal data) */
void hall_replace_subject_check(struct hall_req *req, unsigned bit, const struct hall_val *form,
                                const struct hall_val *old, const struct hall_replace_cert *c,
                                struct hall_errors *e);
/* a replacing flow's routes below PATH: 操作提示 (public), 证书选择
 * (SERIAL: hall_replace_serial_page, or hall_replace_choose_page; its
 * parameters checked in the handler, the page and the JSON lookup differ),
 * 录入信息 and its submit (APPLY_PAGE, APPLY: parameters checked in the
 * handler with the catalogue's fields, every error at once), 打印申请表
 * (the kit's, with the flow's print_more) */
/* clang-format off */
#define HALL_REPLACE_ROUTES(PATH, SERIAL, APPLY_PAGE, APPLY)                   \
    {"GET", PATH "/notice", hall_replace_notice_page, 0, NULL},                \
    {"GET", PATH "/serial", SERIAL, HALL_R_AUTH, NULL},                        \
    {"GET", PATH "/apply", APPLY_PAGE, HALL_R_AUTH, NULL},                     \
    {"POST", PATH "/apply", APPLY, HALL_R_AUTH, NULL},                         \
    {"GET", PATH "/print", hall_flow_print_page, HALL_R_AUTH, NULL}
/* clang-format on */
/* what a replacing flow's submit saves beyond the certificate: the new
 * certificate's subject (NULL: the old one's common name), years and fee,
 * and the field a paid order's refusal names (hall_flow_submit_save) */
struct hall_replace_save {
    const char *subject;
    int64_t years, cert_fen;
    const char *paid_field;
};
/* the submit's tail: the certificate replaced in the order's form
 * (choice_cert_type, reissue_serial, reissue_subject, reissue_valid: the
 * revisions and the print carry it), the save's type, product and claim on
 * the certificate (s.also), then hall_flow_submit_save.  Returns as a
 * handler */
int hall_replace_submit_save(struct hall_req *req, struct hall_replace_submit *a,
                             const struct hall_replace_save *n);
/* the submit's own parameters of a replacing flow, checked with the
 * catalogue's fields by the same registry (every error answered at once):
 * HALL_REPLACE_PARAMS_CERT (the order's and the serial), the flow's own,
 * then HALL_REPLACE_PARAMS_DELIVERY; hall_replace_params when the flow has
 * none of its own (change, reissue) */
extern const struct hall_pspec hall_replace_params[];
/* clang-format off */
#define HALL_REPLACE_PARAMS_CERT                                               \
    HALL_FLOW_PARAMS_ORDER,                                                    \
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL}
/* HALL_FLOW_PARAMS_DELIVERY with 邮寄方式 optional: required by
 * hall_replace_fields_check only where a medium is mailed */
#define HALL_REPLACE_PARAMS_DELIVERY                                           \
    {"shipping", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "邮寄方式",            \
     hall_choices_shipping},                                                   \
    {"carrier", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "到付快递",             \
     hall_choices_carrier},                                                    \
    {"invoice", HALL_P_CHOICE, 0, 0, 0, "是否开票", hall_choices_yes_no},      \
    {"invoice_title_type", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0,              \
     "发票抬头类型", hall_choices_title_type}
/* a replacing flow's struct hall_flow, the members the four share: the
 * business NAME (a bare word: the catalogue's code and the path,
 * hall_steps_NAME) and its TITLE; the module's NAME_groups,
 * NAME_materials, NAME_routes and NAME_replace (its hall_replace_flow);
 * the agreements lead to 证书选择.  The module adds what is its own after
 * it (.tmpl_print, .stmts, .print_more, .init) */
#define HALL_REPLACE_FLOW(NAME, TITLE)                                         \
    .business = #NAME, .title = TITLE, .steps = hall_steps_##NAME,             \
    .groups = NAME##_groups, .materials = NAME##_materials,                    \
    .first_step = "serial", .routes = NAME##_routes, .replace = &NAME##_replace
/* clang-format on */

/* ---- change_rules.c: 证书变更's rules on the certificate's data (docs/modules/change.md) */

/* the groups of the data a certificate is issued on (unit, legal, applicant) */
extern const char *const hall_change_groups[];
/* form (checked by hall_flow_fields_check) against old, the form of the
 * replaced certificate's order, for certificate types bits: a field of
 * hall_change_groups without HALL_FF_CHANGE that differs from a value old
 * has is refused naming it (CHANGE_FIXED); none of the fields a change may
 * touch differing is CHANGE_NONE.  Fields already in e are left alone */
void hall_change_check(struct hall_req *req, unsigned bits, const struct hall_val *old,
                       const struct hall_val *form, struct hall_errors *e);
/* old vs new: pushes onto list one {name, label, before, after, changed,
 * may_change} per printed field of hall_change_groups for bits; the number
 * of fields that differ */
int hall_change_rows(struct hall_req *req, struct hall_val *list, unsigned bits,
                     const struct hall_val *old, const struct hall_val *form);

/* agree.c: 证书介质与密钥 (templates/medium_notice.html) in ctx, 介质遗失补办
 * and 证书解锁 named as the way only where the partner's channel sells them */
int hall_flow_medium_notice(struct hall_req *req, struct hall_val *ctx, const char *partner);

/* ---- assist_page.c: a USB key's order the 证书助手 finishes on the medium ----
 * 证书解锁 and 证书更新 of a certificate made onto a medium: the holder's page
 * and its one-time code with the exact command (docs/modules/assist.md) */
struct hall_assist_flow {
    const char *verb;       /* the tool's command: "unlock", "renew" */
    const char *title;      /* the page's */
    const char *tpl;        /* its template */
    const char *code_word;  /* "解锁码", "更新码" */
    const char *order_stmt; /* (order, user) -> status, medium_serial, medium_state, cert_serial,
                               live_col */
    const char *shown;      /* hall_dbres_set's list of what the page shows */
    const char *live_col;   /* the certificate still usable for it */
    const char *issued_col; /* NULL, or the ticket's state: "issued" while the tool writes */
    enum hall_msg_code not_medium, not_accepted, cert_gone, used;
    /* the code's hash kept for the order's medium, in the open transaction:
     * HALL_CONFLICT when used already */
    int (*ticket_code)(struct hall_ctx *cx, int64_t order_id, const char *cert_serial,
                       const char *medium, const char *hex);
};
/* GET …/assist?id=: the page */
int hall_assist_page(struct hall_req *req, const struct hall_assist_flow *f);
/* POST …/assist/ticket {id}: the code, once, with the command (JSON or the page) */
int hall_assist_code(struct hall_req *req, const struct hall_assist_flow *f);

#endif
