/*
 * libhallseal: what the 电子签章 flow needs besides the core (docs/internals/seal.md).
 *
 *   sealimg.c  the seal picture: the red round seal drawn with cairo + pango
 *              (工具自动生成), or the red ink cut out of an uploaded impression
 *              (根据印模样式抠图)
 *   seseal.c   the GB/T 38540-2020 electronic seal (SESeal, ASN.1 DER, version 4),
 *              made and signed with the CA's seal-maker certificate, and checked
 *
 * A separate library so that only the programs that draw or sign seals link
 * cairo, pango and gdk-pixbuf.  Plain C types only: no glib in this header.
 */
#ifndef HALL_SEAL_H
#define HALL_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hall.h"

/* ---- sealimg.c: seal pictures -------------------------------------------- */

/* the kinds of seal of seed 001; the numbers are SES_ESPropertyInfo.type's
 * 1 (机构印章) and 2 (个人印章) for the ends of the range */
enum hall_seal_kind {
    HALL_SEAL_ORG = 1,      /* 机构章: the unit's official seal */
    HALL_SEAL_BUSINESS = 2, /* 机构业务章: 合同专用章, 财务专用章 ... */
    HALL_SEAL_PERSON = 3,   /* 机构个人章: a person's square seal */
};

/* longest organisation name along the arc, seal name below the star, and
 * person's name in a square seal, in characters */
#define HALL_SEAL_ORG_MAX    30
#define HALL_SEAL_NAME_MAX   12
#define HALL_SEAL_PERSON_MAX 6
/* the picture: square, px, and the printed size it stands for, mm */
#define HALL_SEAL_PX 400
#define HALL_SEAL_MM 42

/* what the drawing measured, so that a test can see the text fits */
struct hall_sealimg_fit {
    double ring_inner_r; /* inner edge of the red ring, px from the centre */
    double text_outer_r; /* farthest ink of the arc text from the centre */
    double min_gap;      /* smallest gap between neighbouring arc glyphs' ink, px (< 0: overlap) */
    double arc_font_px;  /* the size the arc text was drawn at */
    double name_half_w;  /* half the width of the seal name's ink */
    double name_room;    /* half the chord inside the ring at the name's line */
    int glyphs;          /* characters on the arc */
    int unknown_glyphs;  /* characters the font could not draw (0 with a CJK font) */
};

/* HALL_OK when pango finds a font that draws Chinese; err says which is missing */
int hall_sealimg_check(char *err, size_t errlen);
/*
 * Draws a seal as a PNG of HALL_SEAL_PX square on a transparent background:
 * round (ORG, BUSINESS): the red ring, org along the upper arc, the star,
 * name below it; square (PERSON): the person's name (+ 之印 / 印).  NULL
 * when a text is empty, too long or cannot be drawn.  fit may be NULL.
 */
unsigned char *hall_sealimg_render(struct hall_pool *pool, enum hall_seal_kind kind,
                                   const char *org, const char *name, size_t *len,
                                   struct hall_sealimg_fit *fit);
/*
 * The red ink of a photographed or scanned impression (JPEG, PNG, BMP or
 * GIF) as a PNG: red kept, everything else transparent, cropped to the
 * seal, at most HALL_SEAL_PX on its longer side.  NULL with *err (Chinese,
 * for the applicant) when the image cannot be read, is not whole
 * (hall_sealimg_whole) or holds no red seal.
 */
unsigned char *hall_sealimg_cutout(struct hall_pool *pool, const unsigned char *img, size_t n,
                                   size_t *len, const char **err);
/* 1 when the image file (JPEG, PNG, BMP, GIF) is whole by its own
 * structure, 0 when it is cut off, damaged or none of them */
int hall_sealimg_whole(const unsigned char *p, size_t n);
/* the 电子签章采集表 template as an A4 PDF: one box per label (the order's
 * seals), or the three kinds when labels is NULL */
unsigned char *hall_sealimg_collect_pdf(struct hall_pool *pool, const char *org,
                                        const char *order_no, const char *const *labels,
                                        int nlabels, size_t *len);
/* width and height of a PNG (the IHDR), HALL_ERR when it is not one */
int hall_png_size(const unsigned char *p, size_t n, int *w, int *h);

/* ---- seseal.c: GB/T 38540 SESeal -------------------------------------------- */

/* the seal-maker's key and certificate (seal-maker.key/.crt), the root and the
 * sm2 issuing CA from pki_dir; once per process.  Without want_key only
 * what verification needs. */
int hall_seseal_load(const char *dir, int want_key, char *err, size_t errlen);

struct hall_seseal_in {
    const char *es_id;                 /* 电子印章标识, IA5 (printable ASCII) */
    int type;                          /* 1 机构印章, 2 个人印章 */
    const char *name;                  /* 印章名称, UTF-8 */
    const unsigned char *const *certs; /* the signers' certificates (DER) */
    const size_t *cert_lens;
    int ncerts;
    time_t created, valid_start, valid_end;
    const unsigned char *png; /* the picture */
    size_t png_len;
    int width_mm, height_mm;
};

/* the DER of an SESeal signed by the seal maker (SM3withSM2), NULL on failure */
unsigned char *hall_seseal_make(struct hall_pool *pool, const struct hall_seseal_in *in,
                                size_t *len);

struct hall_seseal_cert {
    const char *serial; /* upper-case hex */
    const char *subject;
    const char *issuer;
};

struct hall_seseal_info {
    /* what the file says */
    const char *es_id, *vid, *name, *picture_type;
    int version, type, width_mm, height_mm;
    time_t created, valid_start, valid_end;
    const unsigned char *png;
    size_t png_len;
    struct hall_seseal_cert signers[8];
    int nsigners;
    const char *maker_subject, *maker_serial;
    /* what was checked */
    int signature_ok;        /* the maker's SM3withSM2 signature over eSealInfo as in the file */
    int chain_ok;            /* the maker's certificate chains to the hall's root */
    int maker_revoked;       /* the maker's serial is on the sm2 CA's CRL */
    int crl_ok;              /* a CRL of the sm2 CA was given, is signed by it and current */
    const char *chain_error; /* OpenSSL's reason when chain_ok is 0 */
};

/*
 * Parses and checks an SESeal file; crl (DER, may be NULL) is the current CRL
 * of the CA that issued the maker's certificate.  HALL_ERR with *err when the
 * file is not an SESeal at all; otherwise HALL_OK and info says what holds.
 * The caller adds what only the database knows (the seal's own state, the
 * signers' certificates' states).
 */
int hall_seseal_verify(struct hall_pool *pool, const unsigned char *der, size_t len,
                       const unsigned char *crl, size_t crl_len, struct hall_seseal_info *info,
                       const char **err);

/* ---- sealprod.c (libhall): the seals produced with the order's certificate --- */

#include <openssl/types.h>

struct hall_sealprod;

/* hall_pki_issue's step 1, inside its intent transaction: the seals of a
 * seal order that have no SESeal yet, with a certificate intent for each
 * 机构业务章 and 机构个人章; *out NULL for an order without seals.
 * HALL_ORDER_CONFLICT with *msg when a seal has no picture yet */
int hall_sealprod_intent(struct hall_req *req, int64_t order_id, const char *ca, const char *org,
                         const char *uscc, const char *actor, const char **msg,
                         struct hall_sealprod **out);
/* step 2: the seals' certificates, then every seal's SESeal (the 机构章's
 * lists the order's certificate) */
int hall_sealprod_sign(struct hall_req *req, struct hall_sealprod *sp, const char *order_serial,
                       const unsigned char *order_cert, size_t order_cert_len, time_t order_na);
/* step 3, inside the transaction that moves the order to issued */
int hall_sealprod_store(struct hall_req *req, struct hall_sealprod *sp, const char *pin,
                        const char *actor);
void hall_sealprod_free(struct hall_sealprod *sp);

/*
 * The re-make (docs/modules/seal.md, "When the signer's certificate is
 * replaced"): when a certificate that signs seals is replaced by a new one
 * (介质遗失补办; later 更新, 变更, 解锁), every valid seal listing the old
 * certificate is made again on the new one, with the same name, kind and
 * picture, free and without review; the old seal becomes 'replaced'.  The
 * same three steps as the production that makes the new certificate
 * (hall_pki_issue), so that it happens exactly once, with it:
 *   1. in the intent transaction: the seals of old_serial (*out NULL: none);
 *   2. after signing the new certificate: the new SESeals, listing it;
 *   3. in the transaction that stores it: the old seals replaced, the new
 *      ones stored, both audited; *made says how many (a seal an operator
 *      revoked meanwhile is not made again).
 */
struct hall_sealremake;
int hall_sealprod_remake_intent(struct hall_req *req, const char *old_serial,
                                struct hall_sealremake **out);
int hall_sealprod_remake_sign(struct hall_req *req, struct hall_sealremake *rm,
                              const char *new_serial, const unsigned char *cert, size_t cert_len,
                              time_t cert_na);
int hall_sealprod_remake_store(struct hall_req *req, struct hall_sealremake *rm, const char *actor,
                               int *made);

/* core/pki.c for sealprod.c: a certificate of the issuing CA ca_name (the
 * new key pair in *key), its DER, its PKCS#12 medium */
X509 *hall_pki_cert_make(struct hall_req *req, const char *ca_name, const char *serial, time_t nb,
                         time_t na, const char *cert_type, const char *cn, const char *org,
                         const char *uscc, const char *ric, EVP_PKEY **key);
unsigned char *hall_pki_der(struct hall_pool *pool, X509 *x, size_t *len);
unsigned char *hall_pki_p12_make(struct hall_pool *pool, const char *pin, EVP_PKEY *key, X509 *x,
                                 const char *ca_name, const char *friendly, size_t *len);

/* ---- sealorder.c: the 签章信息 of an order, and its price ------------------- */

#define HALL_SEAL_BIZ_MAX     8  /* 机构业务章 online (seed 001) */
#define HALL_SEAL_PERSONS_MAX 50 /* 机构个人章 rows in one order */
#define HALL_SEAL_ITEMS_MAX   (1 + HALL_SEAL_BIZ_MAX + HALL_SEAL_PERSONS_MAX)

enum { HALL_SEAL_AUTO = 0, HALL_SEAL_CUTOUT = 1 }; /* 签章样式 */

struct hall_seal_item {
    enum hall_seal_kind kind;
    int years;
    int style;               /* HALL_SEAL_AUTO, HALL_SEAL_CUTOUT */
    int index;               /* N of biz_N_ / person_N_, 0 for the 机构章 */
    const char *name;        /* 印章名称 (the person's name for a 个人章) */
    const char *holder_name; /* 个人章 only */
    const char *holder_ric;  /* 个人章 only, normalised; PII: stored encrypted */
};

struct hall_seal_field_error {
    const char *field;
    const char *message;
};

struct hall_seal_choice {
    struct hall_seal_item items[HALL_SEAL_ITEMS_MAX];
    int n;
    struct hall_seal_field_error errors[HALL_SEAL_ITEMS_MAX * 4 + 4];
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
