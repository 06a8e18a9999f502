/*
 * core/flow: the flow kit and the steps the business flows share.  A
 * business flow (证书新办, 介质遗失补办, 电子签章申请 ...) is one FastCGI
 * module that declares a struct hall_flow: its business type, its steps,
 * the information-entry groups and materials it asks for, and its own
 * routes and statements.  hall_flow_main() adds the steps every flow shares
 * (agreements with their texts, partner links, the lookups, print
 * confirmation, uploads, the identity check on the phone, the hand-off to
 * payment) under the flow's path.  Here too: the catalogue of businesses,
 * fields and materials (catalog.def), one-time SMS codes, financial
 * authentication, the identity check's PC side, the back office of 介质遗失补办,
 * a seal order's choices, and the applicant's own orders and media.
 * docs/modules/adding-a-flow.md walks through it; docs/internals/flow.md is
 * the reference.  The top of the core: it may use every layer below.
 *
 * The answer contract (core/base/base.h, core/web/app.c's hall_app_finish,
 * docs/style.md): a function here that takes the request returns HALL_OK
 * when done (it may have answered a page or a redirect), HALL_ANSWERED
 * after answering a refusal its caller must stop at (the comments name
 * the statuses: "HALL_ANSWERED: 404"), and HALL_ERR when the store failed:
 * never answered where it happens, passed up by each caller
 * (hall_req_failed passes up whichever a callee gave) and answered 503
 * once by the finish, after rolling back.  A pointer's NULL is either;
 * the comments say which.
 */
#ifndef HALL_FLOW_H
#define HALL_FLOW_H

#include "biz/biz.h"
#include "web/web.h"

/* ---- the catalogue ---------------------------------------------------------- */

/* one step of the steps bar; key names the kit's step ("agree", "apply",
 * "print", "upload", "identity", "pay") or one of the flow's own */
struct hall_flow_step {
    const char *key;
    const char *label;
};

/* each business flow's steps (SPEC), in the order its applicant meets them:
 * the flow module's own pages and the pages it hands over to (缴费 in the
 * pay module) show the same bar */
extern const struct hall_flow_step hall_steps_new[];
extern const struct hall_flow_step hall_steps_reissue[];
extern const struct hall_flow_step hall_steps_seal[];
extern const struct hall_flow_step hall_steps_renew[];
extern const struct hall_flow_step hall_steps_change[];
extern const struct hall_flow_step hall_steps_unlock[];

/* the steps of business type code; NULL when it has no steps bar */
const struct hall_flow_step *hall_business_steps(const char *code);

/* ctx.steps for templates/steps.html: the steps with the one of key current
 * marked, those before it done; nothing when steps is NULL */
void hall_steps_set(struct hall_req *req, struct hall_val *ctx, const struct hall_flow_step *steps,
                    const char *current);

/* certificate types, as bits (catalog.def's "types") */
#define HALL_T_ORG    1u /* org 机构证书 */
#define HALL_T_ORGP   2u /* org_person 机构个人证书 */
#define HALL_T_PERSON 4u /* person 自然人证书 */
#define HALL_T_UNIT   (HALL_T_ORG | HALL_T_ORGP)
#define HALL_T_APPL   (HALL_T_ORGP | HALL_T_PERSON)
#define HALL_T_ALL    (HALL_T_ORG | HALL_T_ORGP | HALL_T_PERSON)

/* field flags */
#define HALL_FF_OPT     1u  /* may be empty */
#define HALL_FF_PII     2u  /* personal data: never echoed in messages or logs */
#define HALL_FF_PLAIN   4u  /* no markup, tabs or line breaks */
#define HALL_FF_HALL    8u  /* written by the hall, never typed */
#define HALL_FF_PARAM   16u /* a choice checked with the submit's parameters */
#define HALL_FF_NOPRINT 32u /* not a row of the printed form */
#define HALL_FF_CHANGE  64u /* 证书变更 may change it (core/flow/change_rules.c) */

/* material flags */
#define HALL_MF_SEAL     1u /* only for an order with an e-seal */
#define HALL_MF_OFFICE   2u /* uploaded at another step (缴费's voucher) */
#define HALL_MF_EACH     4u /* one per person the order names: KIND_1 … KIND_50 */
#define HALL_MF_EACH_MAX 50

struct hall_business {
    const char *code;   /* orders.business_type and the flow's path: "new" */
    const char *label;  /* 证书新办 */
    const char *sms;    /* as SMS texts name it: 新申请 */
    const char *prefix; /* of order numbers: N20260101000001 */
};

struct hall_group {
    const char *code; /* "unit" */
    const char *label;
};

struct hall_field {
    const char *name;
    const char *group;
    const char *label;
    const char *staff_label; /* the admin console's, never NULL */
    struct hall_pspec spec;  /* what the validator registry checks */
    unsigned types;          /* HALL_T_* */
    unsigned flags;          /* HALL_FF_* */
};

struct hall_material {
    const char *kind; /* order_files.kind */
    const char *label;
    unsigned types;
    unsigned flags; /* HALL_MF_* */
};

/* the tables, each ending with a row of NULLs */
extern const struct hall_business hall_businesses[];
extern const struct hall_group hall_groups[];
extern const struct hall_field hall_fields[];
extern const struct hall_material hall_materials[];
/* choices of the catalogue's HALL_P_CHOICE fields */
extern const char *const hall_choices_shipping[];
extern const char *const hall_choices_yes_no[];
extern const char *const hall_choices_title_type[];
extern const char *const hall_choices_cert_type[];
/* 到付 carriers: SF, EMS */
extern const char *const hall_choices_carrier[];
/* SF -> 顺丰速运, EMS -> EMS (the courier's names); code itself otherwise */
const char *hall_carrier_name(const char *code);
/* 寄付 goes with this carrier (seed 001) */
#define HALL_PREPAID_CARRIER "京东快递"

/* NULL when unknown */
const struct hall_business *hall_business_get(const char *code);
const struct hall_field *hall_field_get(const char *name);
/* kind as order_files has it: a HALL_MF_EACH material's KIND_N gives the
 * material and, in *n when n is not NULL, N (0 for every other kind) */
const struct hall_material *hall_material_get(const char *kind);
const struct hall_material *hall_material_each(const char *kind, int *n);
const struct hall_group *hall_group_get(const char *code);
/* the label, or code itself when unknown */
const char *hall_business_label(const char *code);
const char *hall_material_label(const char *kind);
/* a value as the printed form shows it: a choice in words (prepaid ->
 * 寄付), X_address after X_region of form; else the value */
const char *hall_field_text(struct hall_pool *pool, const struct hall_field *f,
                            const struct hall_val *form);
/* org -> 机构证书 ...; cert_type itself when unknown */
const char *hall_cert_type_name(const char *cert_type);
/* org -> HALL_T_ORG ...; 0 when unknown */
unsigned hall_cert_type_bit(const char *cert_type);

/* ---- the flow --------------------------------------------------------------- */

struct hall_flow {
    const char *business; /* the catalogue's code; also the path: /new */
    const char *title;    /* the start page's title: 证书新办 */
    const struct hall_flow_step *steps;
    const char *const *groups;    /* information-entry groups asked, in order */
    const char *const *materials; /* material kinds asked, in order */
    const char *first_step;       /* where the agreements lead: "apply" (path below the flow) */
    /* optional: where they lead instead when the partner offers the seal
     * with its certificates (seed 003's 是否办理电子签章 step): "seal" */
    const char *seal_step;
    const char *tmpl_print; /* the flow's print template */
    /* 1: a JSON submit of a new order (POST <flow>/apply without id) reads
     * its session, the kept carrier pass and the cap in the apply's own
     * call (sql/097), one round trip.  Only for a flow whose submit reads
     * nothing of the applicant's before hall_flow_order_save and writes no
     * rows of its own (.also): req->user_id is HALL_USER_LATE until then */
    int apply_one_trip;
    /* optional: what the flow adds to hall_flow_print_ctx's page, given
     * the order (o) and its form */
    int (*print_more)(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o,
                      const struct hall_val *form);
    /* optional: the materials this order asks for besides .materials, one
     * per person the applicant entered (电子签章: each 机构个人章 holder's
     * ID scan, kind holder_id_N); pushes {kind, label} objects onto list,
     * which the upload page shows first (seed 001: 请优先上传) */
    int (*order_materials)(struct hall_req *req, struct hall_dbres *o, struct hall_val *list);
    /* optional: what the order still lacks besides its files (电子签章: a
     * seal in the style 根据印模样式抠图 without its confirmed cut-out),
     * each added to e with its message.  上传资料's 下一步 and 重新提交
     * refuse while e holds any, and so does the identity check before it
     * moves the order out of draft (inside that transaction, after the
     * order's row is locked) */
    int (*order_ready)(struct hall_req *req, int64_t order_id, struct hall_errors *e);
    const struct hall_route *routes; /* the flow's own, full paths ("/new/apply") */
    const struct hall_stmt *stmts;   /* the flow's own statements */
    int (*init)(struct hall_app *app);
    /* a flow replacing a certificate: what its shared steps say
     * (core/flow/replace.c's hall_replace_*_page), NULL for the others */
    const struct hall_replace_flow *replace;
};

/* the module's main(): routes of the kit + the flow's own, then hall_main */
int hall_flow_main(int argc, char **argv, const struct hall_flow *flow);
/* a flow module's whole main(): HALL_FLOW_MAIN(new_flow) */
#define HALL_FLOW_MAIN(f)                                                                          \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        return hall_flow_main(argc, argv, &(f));                                                   \
    }
/* req->user_id of a session read by the save (.apply_one_trip) */
#define HALL_USER_LATE (-1)
/* the flow this process runs */
const struct hall_flow *hall_flow_current(void);

/* ---- partner and pages ----------------------------------------------------- */

struct hall_partner {
    const char *code, *name;
    int seal_offered, seal_default, prepaid;
    const char *carriers, *promotion; /* promotion: JSON text or "" */
    const char *print_title;          /* the printed form's title (sql/114) */
    const char *new_agree_button;     /* 证书新办's button under the agreements */
    int review_sla_days;              /* the CA's review time, working days */
};

/* the i-th (from 0) of p's 到付 carriers (SF, EMS), NULL past the last */
const char *hall_flow_collect_carrier(struct hall_req *req, const struct hall_partner *p, int i);
/* 1 when code is one of p's 到付 carriers */
int hall_flow_collect_offers(const struct hall_partner *p, const char *code);
/* p's 到付 as its page words it: 顺丰/EMS到付, 顺丰到付 */
const char *hall_flow_collect_words(struct hall_req *req, const struct hall_partner *p);
/* the partner of the path, else code (the generic hall's project), else the
 * hall itself; HALL_ANSWERED: 404 */
int hall_flow_partner(struct hall_req *req, const char *code, struct hall_partner *p);
/* a page's context: title, site name, project, the flow's path ("flow") */
struct hall_val *hall_flow_page(struct hall_req *req, const char *title,
                                const struct hall_partner *p);
/* the steps bar with the step of key current */
void hall_flow_steps(struct hall_req *req, struct hall_val *ctx, const char *current);
/* "/<partner>/<flow>/<rest>" */
const char *hall_flow_url(struct hall_req *req, const char *fmt, ...) HALL_PRINTF(2, 3);

/* ---- the order ------------------------------------------------------------- */

/* the logged-in applicant's order of this flow named by "id"; NULL after
 * answering 404 (also another's order or another flow's) or 503.  Columns
 * (by name): id order_no partner_code product_id cert_type years seal
 * status step subject cert_fen shipping_fen amount_fen form_enc form_rev
 * created printed reject_reason needs_seal_material business_type */
struct hall_dbres *hall_flow_order(struct hall_req *req);
/* its decrypted form; NULL when it cannot be read */
struct hall_val *hall_flow_form(struct hall_req *req, struct hall_dbres *o);
/* draft or rejected: the applicant may still change it */
int hall_flow_editable(struct hall_dbres *o);
/* "f": every catalogue field's value, for the inputs and the print page */
void hall_flow_form_ctx(struct hall_req *req, struct hall_val *ctx, const struct hall_val *form);

/* ---- agreements ------------------------------------------------------------ */

/* 1 when the applicant still has agreements of p to accept (answered with a
 * redirect to the agreements), 0 when not, or HALL_ERR */
int hall_flow_agreements_due(struct hall_req *req, const struct hall_partner *p);

/* ---- 选择应用 + 录入信息 -------------------------------------------------------- */

/* products of this flow's business type at p (columns: id cert_type name
 * price_per_year_fen fixed_fee_fen seal_fee_per_year_fen breakdown
 * min_years max_years); NULL after answering 503 */
struct hall_dbres *hall_flow_products(struct hall_req *req, const struct hall_partner *p);
struct hall_price hall_flow_product_price(struct hall_dbres *prods, int row);
/* the products with their price tables, the years, the seal and shipping
 * choices and the promotion, for the 录入信息 page */
void hall_flow_choices_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *prods,
                           const struct hall_partner *p, const char *cur_type, long years, int seal,
                           const struct hall_val *form);
/* a partner link's pre-filled data this user may use; NULL when none */
struct hall_val *hall_flow_link_prefill(struct hall_req *req, const char *partner);
/* a partner link's ticket of this request (43 characters) or NULL */
const char *hall_flow_link_param(struct hall_req *req);
/* a replacing flow's certificate carried from 我的证书 to 证书选择 (16 hex digits) */
const char *hall_flow_serial_param(struct hall_req *req);

/* the submit's parameters every flow shares, as rows of its apply_params
 * table (hall_req_check): the order being edited, the project, the double-
 * submit key, then (after the flow's own choices) delivery and invoice */
/* clang-format off */
#define HALL_FLOW_PARAMS_ORDER                                                                   \
    {"id", HALL_P_INT, HALL_PF_OPTIONAL, 1, 9000000000000000000L, "业务单号", NULL},             \
    {"project", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 32, "项目", NULL},                             \
    {"submit_key", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "表单标识", NULL}
#define HALL_FLOW_PARAMS_DELIVERY                                                                \
    {"shipping", HALL_P_CHOICE, 0, 0, 0, "邮寄方式", hall_choices_shipping},                     \
    {"carrier", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "到付快递", hall_choices_carrier},         \
    {"invoice", HALL_P_CHOICE, 0, 0, 0, "是否开票", hall_choices_yes_no},                        \
    {"invoice_title_type", HALL_P_CHOICE, HALL_PF_OPTIONAL, 0, 0, "发票抬头类型",                \
     hall_choices_title_type}
/* clang-format on */

/* checks every catalogue field of the flow's groups needed by cert types
 * bits (HALL_FF_HALL and HALL_FF_PARAM rows excepted) with the validator
 * registry; stores the normalised values (and reviewers' notes) in form;
 * adds each error to e */
void hall_flow_fields_check(struct hall_req *req, unsigned bits, struct hall_val *form,
                            struct hall_errors *e);
/* the rules across fields the kit knows: 发票 (title type, title, tax ID),
 * 基本户名称 = 机构名称, the division chains of unit_ and mail_, the bank
 * branch; adds errors to e */
int hall_flow_cross_check(struct hall_req *req, unsigned bits, struct hall_val *form,
                          struct hall_errors *e);
/* province > city [> district] [> town] form one chain; the names go to
 * form as <prefix>_region */
int hall_flow_divisions_check(struct hall_req *req, struct hall_val *form, const char *prefix,
                              int need_district, struct hall_errors *e);
/* 实名电信认证 of the agent's (natural persons: the applicant's) phone;
 * HALL_ANSWERED: 400 naming the phone, 504 */
int hall_flow_carrier_check(struct hall_req *req, const struct hall_val *form, unsigned bits);
/* at most draft_daily_max new orders a day; HALL_ANSWERED: 429 */
int hall_flow_orders_cap(struct hall_req *req, int locked);
/* the submit's read before its provider calls, one round trip: the daily
 * cap when new_order (HALL_ANSWERED: 429) and whether this
 * applicant passed the carrier check for the form's three values within
 * carrier_pass_keep_s (*passed: 1, logged) */
int hall_flow_submit_pre(struct hall_req *req, const struct hall_val *form, unsigned bits,
                         int new_order, int *passed);

/* the courier's quote for an address */
struct hall_quote {
    const char *carrier;
    int prepaid;
    int64_t fee_fen;
};
int hall_flow_shipping_quote(struct hall_req *req, const char *province, const char *city,
                             const char *district, const char *town, struct hall_quote *q);

/* the order as the submit saves it: one transaction (order row, revision,
 * audit); o is the existing order or NULL for a new one */
struct hall_flow_save {
    struct hall_dbres *o;
    const char *partner, *cert_type, *subject, *submit_key;
    int64_t product_id, years, cert_fen, ship_fen;
    int seal;
    const struct hall_val *form;
    /* optional: the flow's own rows of the order (seals, the certificate
     * to reissue), written inside the same transaction after the order row;
     * anything but HALL_OK rolls everything back */
    int (*also)(struct hall_req *req, int64_t order_id, void *arg);
    /* optional: after that transaction commits (files it made nobody's) */
    void (*committed)(struct hall_req *req, int64_t order_id, void *arg);
    void *arg;
};
/* answers: the print step of the saved order, 409 / 429 / 503 */
int hall_flow_order_save(struct hall_req *req, const struct hall_flow_save *s);

/* after a commit that made files nobody's (each row of res with a non-NULL
 * id_col, its stored name in name_col): the files deleted and their rows
 * marked removed.  A failure leaves a row replaced and not removed, which
 * the admin's order page shows; the file can be deleted by hand. */
void hall_flow_files_discard(struct hall_req *req, struct hall_dbres *res, const char *id_col,
                             const char *name_col);

/* ---- 是否办理电子签章 (core/flow/sealstep.c) ------------------------------- */

/* the step's choice kept for the applicant at p: for order_id, or for an
 * application not saved yet (order_id 0, chosen since the agreements'
 * validity).  1 when there is one (*seal set), 0 when none, HALL_ERR: the
 * store */
int hall_flow_seal_chosen(struct hall_req *req, const struct hall_partner *p, int64_t order_id,
                          int *seal);
/* GET /F/seal and POST /F/seal (its parameters: hall_flow_seal_params), as
 * a flow module's routes: the step between the agreements and 录入信息 where
 * the partner offers the seal (seed 003) */
int hall_flow_seal_page(struct hall_req *req);
int hall_flow_seal_save(struct hall_req *req);
extern const struct hall_pspec hall_flow_seal_params[];
/* a submit of a new order whose session the save was to read
 * (.apply_one_trip) reads it now, for a flow that needs the applicant
 * before the save (the seal step's choice).  HALL_ERR: answered (login),
 * or the store */
int hall_flow_session_now(struct hall_req *req);

/* ---- 录入信息 (core/flow/apply.c) ------------------------------------------ */

/* the page's head: the owner's editable order of ?id=, or for a new
 * order the partner of ?project= whose agreements are accepted (else the
 * agreements page; HALL_ANSWERED) */
int hall_flow_apply_open(struct hall_req *req, struct hall_partner *p, struct hall_dbres **o);
/* the page's order_id, order_no and reject_reason, or for a new order
 * its submit_key (one per rendered form) */
int hall_flow_apply_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *o);
/* the submit's head: the parameters of spec checked into e (those naming
 * the order and the form answered at once), the submit_key's shape, the
 * editable order being edited and its partner.  Clears s and fills its
 * o, partner and submit_key; HALL_ANSWERED: the errors, 404 */
int hall_flow_submit_open(struct hall_req *req, const struct hall_pspec *spec,
                          struct hall_errors *e, struct hall_partner *p, struct hall_flow_save *s);
/* the mailing and invoice choices into form; prepaid only where p offers it */
void hall_flow_delivery_check(struct hall_req *req, const struct hall_partner *p,
                              struct hall_val *form, struct hall_errors *e);
/* after every check of the form: all errors answered at once, else the
 * daily cap (a new order) and the carrier check: HALL_ANSWERED then */
int hall_flow_submit_checked(struct hall_req *req, const struct hall_errors *e,
                             const struct hall_val *form, unsigned bits,
                             const struct hall_flow_save *s);
/* the tail: the courier's fee of a prepaid mailing (s->ship_fen and the
 * form's carrier), a paid (rejected) order keeping its amount (refused
 * naming paid_field), the form's price_total, then hall_flow_order_save
 * with s->cert_fen and the rest the flow set.  Returns as a handler */
int hall_flow_submit_save(struct hall_req *req, struct hall_val *form, struct hall_flow_save *s,
                          const char *paid_field);

/* ---- print ------------------------------------------------------------------ */

/* the context every printed application form shows: the order, the
 * amounts, the types, every field ("f") with choices in words */
struct hall_val *hall_flow_print_ctx(struct hall_req *req, struct hall_dbres *o,
                                     const struct hall_partner *p, const struct hall_val *form);
/* GET <flow>/print?id=: the owner's order printed with the flow's
 * tmpl_print, hall_flow_print_ctx and the flow's print_more */
int hall_flow_print_page(struct hall_req *req);

/* ---- sms.c: one-time codes -------------------------------------------- */

enum hall_sms_result {
    HALL_SMS_OK = 0,
    HALL_SMS_TOO_SOON,
    HALL_SMS_DAILY_LIMIT,
    HALL_SMS_BAD_CODE,
    HALL_SMS_EXPIRED, /* no live code for this phone and purpose */
    HALL_SMS_LOCKED,  /* too many wrong tries */
    HALL_SMS_DB_ERROR,
    HALL_SMS_IP_LIMIT,      /* sms_ip_hourly_max from this client address */
    HALL_SMS_SESSION_LIMIT, /* sms_session_hourly_max from this browser */
    HALL_SMS_OTHER_OBJECT,  /* the live code was asked for another object */
};

/* inside a transaction: creates a code and queues its SMS in the outbox */
/* the per-client limits of SMS sending (client IP, visitor's session), counted
 * in PostgreSQL; inside the caller's transaction, before hall_sms_code_send */
enum hall_sms_result hall_sms_client_limit(struct hall_req *req);
enum hall_sms_result hall_sms_code_send(struct hall_req *req, const char *phone,
                                        const char *purpose);
/* as hall_sms_code_send, counted the same, but the SMS is the template
 * notice (no parameters) instead of the code, which nobody learns: the
 * caller answers as for a code sent */
enum hall_sms_result hall_sms_notice_send(struct hall_req *req, const char *phone,
                                          const char *purpose, enum hall_sms_kind notice);
/* inside a transaction: consumes the code on success */
enum hall_sms_result hall_sms_code_check(struct hall_req *req, const char *phone,
                                         const char *purpose, const char *code);
/* a code that confirms one action (purpose) on one object (a certificate's
 * serial, at most 64 characters), counted as every code: its SMS is the
 * action's template kind, with code, minutes and serial_tail (the
 * object's last four characters); asking another one for the same purpose
 * voids it.  Only hall_sms_object_code_check with the same object accepts
 * it: with another, HALL_SMS_OTHER_OBJECT, counted as a wrong try */
enum hall_sms_result hall_sms_object_code_send(struct hall_req *req, const char *phone,
                                               const char *purpose, const char *object,
                                               enum hall_sms_kind kind);
enum hall_sms_result hall_sms_object_code_check(struct hall_req *req, const char *phone,
                                                const char *purpose, const char *object,
                                                const char *code);
const char *hall_sms_result_msg(enum hall_sms_result r);

/* ---- finauth_deposit.c: the micro-deposit of financial authentication - */

/* inside a transaction: a new finauth_attempts row for the order (a random
 * 6-digit code, or a new certificate PIN when the product has pin_by_memo,
 * kept as a MAC; a PIN also encrypted until the medium is made) and its "bank_transfer" outbox job
 * carrying the clear value in the encrypted payload.  HALL_ERR on database failure. */
int hall_finauth_queue(struct hall_req *req, int64_t order_id);
/* the MAC stored for a code of an order */
void hall_finauth_code_mac(int64_t order_id, const char *code, unsigned char out[32]);
/* the seeds' one name for the memo's six digits, on every page, message
 * and log label: 证书PIN码 when the memo carries the certificate PIN
 * (products.pin_by_memo, memo_kind 'pin'), 随机验证码 otherwise (seed 001) */
const char *hall_finauth_code_name(int pin);
/* the memo's words before it: 数字证书PIN码 or 办理数字证书编码 */
const char *hall_finauth_memo_label(int pin);
/* 基本户开户行: a listed branch (bank_branch_id) or a listed bank (bank_id,
 * or bank_name: its name or short name) and the branch as typed
 * (bank_branch_name); sets form's bank_id, bank_name, bank_branch_name and
 * bank_cnaps, or adds e's errors.  HALL_ERR: the store. */
int hall_finauth_bank_check(struct hall_req *req, struct hall_val *form, struct hall_errors *e);
/* ctx.banks: the complete list of banks (name, short).  HALL_ERR: the
 * database did not answer (nothing sent). */
int hall_finauth_banks_ctx(struct hall_req *req, struct hall_val *ctx);
extern const struct hall_stmt hall_finauth_stmts[];

/* ---- identity.c: the PC side of an online identity check --------------- */

/* who: "agent", "applicant" or "legal" (法人认证); its label */
const char *hall_identity_who_label(const char *who);
/* outside a transaction: a new one-time link for the phone (the previous
 * one of the order stops working), in its own transaction; the URL of the
 * phone page verify_path (a flow's /FLOW/m/verify, core/flow/phone.c) with the
 * token, NULL on failure */
const char *hall_identity_start(struct hall_req *req, int64_t order_id, const char *who,
                                const char *verify_path);
/* the newest check of that kind: *status pending / ocr_ok / passed /
 * failed / expired, *message why the last try failed (no personal data) */
int hall_identity_status(struct hall_req *req, int64_t order_id, const char *who,
                         const char **status, const char **message);
extern const struct hall_stmt hall_identity_stmts[];
/* the check's state after a step on the phone (core/flow/phone.c): status,
 * the reason shown on the PC page (NULL none), tries added to its count;
 * HALL_ERR on database failure */
int hall_identity_set(struct hall_ctx *cx, int64_t id, const char *status, const char *message,
                      int tries);

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
 * the new certificate is issued by the tick (auto_issue).  For 更新, 变更
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
     * (next_note_expired for an expired certificate, NULL: next_note), the
     * reason a type is not offered in the list, and window: the list says
     * renew's window (early, late) instead of 已过期 */
    const char *choose_caption;
    const char *next_note, *next_note_expired;
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
 * edited (o) and the partner's product of its type: the product's row of
 * *prods; -1 after answering (the refusal naming "serial", or 503) */
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
/* the catalogue's fields and the delivery checked into a->form, errors
 * added to a->e (hall_flow_fields_check, hall_flow_delivery_check) */
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
 * then HALL_FLOW_PARAMS_DELIVERY; hall_replace_params when the flow has
 * none of its own (change, reissue) */
extern const struct hall_pspec hall_replace_params[];
/* clang-format off */
#define HALL_REPLACE_PARAMS_CERT                                               \
    HALL_FLOW_PARAMS_ORDER,                                                    \
    {"serial", HALL_P_TEXT, HALL_PF_OPTIONAL, 0, 64, "证书序列号", NULL}
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

/* ---- own.c: the applicant's own orders (and catalog.c's type labels) ------- */

/* the logged-in applicant's order named by the "id" parameter, read with
 * stmt (parameters: id, user id); NULL after answering 404 (also for
 * another's order), or unanswered when the store failed (the finish's 503) */
struct hall_dbres *hall_order_own(struct hall_req *req, const char *stmt, int64_t *id);
/* begins the transaction and reads the order id of this user with stmt (a
 * module's SELECT, $1 id, $2 user; FOR UPDATE to lock it): the row, or NULL
 * after answering 404 (an order that is not this user's), or unanswered
 * when the store failed (the finish's 503) */
struct hall_dbres *hall_order_lock_own(struct hall_req *req, const char *stmt, int64_t id);
/* org -> 机构证书, org_person -> 机构个人证书, person -> 自然人证书 */
const char *hall_cert_type_label(const char *type);

/* ---- own.c: the PKCS#12 medium handed to its holder, once ------------------- */

/* hands a PKCS#12 medium over and destroys the hall's copy, in one
 * transaction begun here: stmt ($1 id, $2 the user) locks the certificate
 * (FOR UPDATE OF c) and answers p12_enc, serial, order_no, partner_code,
 * destroyed_at (text), destroyed_why.  HALL_OK after the file (or 410 with
 * why and the 补办 / 解锁 links once destroyed, 503); HALL_CONFLICT without
 * answering when stmt found no row */
int hall_medium_take(struct hall_req *req, const char *stmt, int64_t id);
/* the same inside the caller's transaction, res's row 0 locked and read as
 * above; ends the transaction and answers */
int hall_medium_hand(struct hall_req *req, struct hall_dbres *res, const char *actor);
/* 首次下载时交付, 签收后保管期满 ... for certificates.medium_destroyed_why */
const char *hall_medium_why_label(const char *why);
/* an order's certificate revoked, from "at|reason|successor" (the
 * statements' cert_revoked): 已于2026-11-27 10:00吊销（已被替代），新证书为 XXXX */
const char *hall_medium_revoked(struct hall_req *req, const char *row);
/* reissue_url and unlock_url of serial in v, in partner's channel */
void hall_medium_links(struct hall_req *req, struct hall_val *v, const char *partner,
                       const char *serial);

/* ---- foureyes.c: a staff decision refused (core/biz/approval.c) ------------- */

/* answers hall_approval_decide's refusal rc (HALL_APPROVAL_UNKNOWN, _SELF,
 * _ROLE: 404, 403; HALL_CONFLICT: decided already, 409) as a handler does;
 * any other rc is the store's failure: HALL_ERR unanswered, for the finish */
int hall_foureyes_refused(struct hall_req *req, int rc);
/* what an approved staff_add / staff_roles asked (core/web/staff.c writes
 * it), audited as the approver's; HALL_CONFLICT when the login was taken
 * (add) or is gone (roles) */
int hall_approval_staff_apply(struct hall_ctx *cx, const struct hall_approval *a, int64_t approver);

/* ---- every layer's statements ------------------------------------------------ */

/* the statement tables of core/store, core/web, core/pki, core/biz and
 * core/flow, NULL-terminated: what a module's hall_module.core_stmts names
 * (HALL_MODULE_MAIN in hall.h, hall_flow_main) */
extern const struct hall_stmt *const hall_core_stmts[];

/* ---- sealorder.c: the 签章信息 of an order, and its price ------------------- */

enum { HALL_SEAL_AUTO = 0, HALL_SEAL_CUTOUT = 1 }; /* 签章样式 */

struct hall_seal_item {
    enum hall_seal_kind kind;
    int years;
    int style;                 /* HALL_SEAL_AUTO, HALL_SEAL_CUTOUT */
    int index;                 /* N of biz_N_ / person_N_, 0 for the 机构章 */
    const char *name;          /* 印章名称 (the person's name for a 个人章) */
    const char *holder_name;   /* 个人章 only */
    const char *holder_ric;    /* 个人章 only, normalised; PII: stored encrypted */
    const char *holder_mobile; /* 个人章 only, 11 digits: the PIN and the medium go to
                                * it (verified by SMS code before submission); PII */
};

struct hall_seal_field_error {
    const char *field;
    const char *message;
};

struct hall_seal_choice {
    struct hall_seal_item items[HALL_SEAL_ITEMS_MAX];
    int n;
    struct hall_seal_field_error errors[HALL_SEAL_ITEMS_MAX * 5 + 4];
    int nerrors;
};

/* the submitted field name -> its value, NULL when absent */
typedef const char *(*hall_seal_getter)(void *ctx, const char *name);

/* HALL_OK, or HALL_ERR with every field's error in c->errors */
int hall_seal_choice_parse(struct hall_pool *pool, hall_seal_getter get, void *ctx,
                           struct hall_seal_choice *c);
const char *hall_seal_style_label(int style);
const char *hall_seal_kind_label(enum hall_seal_kind kind);
/* org, org_business, org_person: products.cert_type of the seal's product */
const char *hall_seal_kind_code(enum hall_seal_kind kind);

struct hall_seal_part {
    enum hall_seal_kind kind;
    int years;
    struct hall_price price; /* the seal's product */
};

/* Σ hall_price_cert(part's product, part's years, 0): seed 001's 证书费用
 * before shipping */
int64_t hall_seal_price(const struct hall_seal_part *parts, int n);

#endif
