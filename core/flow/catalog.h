/*
 * core/flow/catalog.h: the catalogue (catalog.c, catalog.def): businesses,
 * fields, materials, steps.  Included by flow.h, where the section was.
 */
#ifndef HALL_FLOW_CATALOG_H
#define HALL_FLOW_CATALOG_H

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

#endif
