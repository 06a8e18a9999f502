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

#include "flow/catalog.h"

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
    const char *seal_form_title;      /* seal_form's name on its pages (sql/182) */
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
/* the row of the type's product whose key is born in the holder's browser
 * (products.key_origin), -1 if none */
int hall_flow_browser_product(struct hall_dbres *prods, const char *type);
/* the products with their price tables, the years, the seal and shipping
 * choices and the promotion, for the 录入信息 page */
void hall_flow_choices_ctx(struct hall_req *req, struct hall_val *ctx, struct hall_dbres *prods,
                           const struct hall_partner *p, const char *cur_type, long years, int seal,
                           const struct hall_val *form);
/* a partner link's pre-filled data this user may use; NULL when none */
struct hall_val *hall_flow_link_prefill(struct hall_req *req, const char *partner);
/* a hall_flow_save .also: the new order made from the form that the link
 * whose ticket is arg filled gets the partner API application's project
 * ID (when the order's applicant claimed the ticket) */
int hall_flow_link_order(struct hall_req *req, int64_t order_id, void *arg);
/* a partner link's ticket of this request (43 characters) or NULL */
const char *hall_flow_link_param(struct hall_req *req);
/* the partner API's application (modules/partner): prefill (cert_type,
 * org_name, org_id, name, ric, mobile, email) kept encrypted under a new
 * one-time ticket of partner's, as a signed entry link keeps it, valid a
 * day; *ticket and *expires_at (UTC, ISO 8601) in cx's pool.  HALL_ERR on
 * database or random failure */
int hall_flow_link_make(struct hall_ctx *cx, const char *partner, const char *key_id,
                        const char *project, const struct hall_val *prefill, const char **ticket,
                        const char **expires_at);
/* its statement, prepared by every program (hall_core_stmts) */
extern const struct hall_stmt hall_plink_stmts[];
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
/* the same without the group skip (e.g. "mail": nothing is mailed) */
void hall_flow_fields_check_but(struct hall_req *req, unsigned bits, struct hall_val *form,
                                struct hall_errors *e, const char *skip);
/* the rules across fields the kit knows: 发票 (title type, title, tax ID),
 * 基本户名称 = 机构名称, the division chains of unit_ and mail_, the bank
 * branch; adds errors to e */
int hall_flow_cross_check(struct hall_req *req, unsigned bits, struct hall_val *form,
                          struct hall_errors *e);
int hall_flow_cross_check_but(struct hall_req *req, unsigned bits, struct hall_val *form,
                              struct hall_errors *e, const char *skip);
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
/* the same for any step: the order when id (the caller's reading of the
 * id parameter) is given, else the partner of project (core/flow/sealstep.c) */
int hall_flow_step_open(struct hall_req *req, const char *id, const char *project,
                        struct hall_partner *p, struct hall_dbres **o);
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
/* reissue_url and unlock_url of serial in v, in partner's channel: each
 * only where the partner sells that flow (both when that cannot be read) */
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
/* the kinds and a seal's name as the pages show them (sealstep.c: in
 * libhall, for programs that draw no seal) */
const char *hall_seal_kind_label(enum hall_seal_kind kind);
/* org, org_business, org_person: products.cert_type of the seal's product */
const char *hall_seal_kind_code(enum hall_seal_kind kind);
/* a kind code (seal_items.kind) as the enum; an unknown one is the 机构章 */
enum hall_seal_kind hall_seal_kind_of(const char *code);
/* a kind code as the pages name it: hall_seal_kind_label's, and 个人印章
 * for person (a 个人证书's own seal, sql/125) */
const char *hall_seal_kind_text(const char *code);
/* a seal's name as the lists show it (row of res, columns kind, seal_name,
 * holder_enc): a 机构个人章's holder's name, never the ID number */
const char *hall_seal_shown_name(struct hall_ctx *cx, const struct hall_dbres *res, int row);

struct hall_seal_part {
    enum hall_seal_kind kind;
    int years;
    struct hall_price price; /* the seal's product */
};

/* Σ hall_price_cert(part's product, part's years, 0): seed 001's 证书费用
 * before shipping */
int64_t hall_seal_price(const struct hall_seal_part *parts, int n);

#include "flow/applicant.h"
#include "flow/replace.h"

#endif
