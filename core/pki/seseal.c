/*
 * The electronic seal of GB/T 38540-2020 (version 4), in ASN.1 DER:
 *
 *   SESeal ::= SEQUENCE {
 *     eSealInfo   SES_SealInfo,
 *     cert        OCTET STRING,          -- the seal maker's certificate
 *     signAlgID   OBJECT IDENTIFIER,     -- 1.2.156.10197.1.501 SM3withSM2
 *     signedValue BIT STRING }           -- DER SEQUENCE { r, s }
 *   SES_SealInfo ::= SEQUENCE {
 *     header   SEQUENCE { id IA5String ("ES"), version INTEGER (4), vid IA5String },
 *     esID     IA5String,
 *     property SEQUENCE { type INTEGER, name UTF8String, certListType INTEGER (1),
 *                         certList SEQUENCE OF OCTET STRING (the signers' certificates),
 *                         createDate, validStart, validEnd GeneralizedTime },
 *     picture  SEQUENCE { type IA5String ("PNG"), data OCTET STRING,
 *                         width INTEGER, height INTEGER (mm) },
 *     extDatas SEQUENCE OF ExtData OPTIONAL }  -- never written
 *
 * The layout was read from the standard's published structure (and checked
 * against the open ofdrw-gm reading of it); the code is ours, on OpenSSL's
 * ASN.1 templates.  The maker signs the DER of eSealInfo exactly as it is in
 * the file: verification takes those bytes from the file itself, never a
 * re-encoding.  SM2 signatures carry the GM/T 0009 signer ID
 * 1234567812345678.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

#define SM2_ID         "1234567812345678"
#define OID_SM3WITHSM2 "1.2.156.10197.1.501"
#define SESEAL_VERSION 4
#define SESEAL_VID     "hall"
#define SESEAL_MAX_DER (4 * 1024 * 1024)

/* ---- the ASN.1 types ------------------------------------------------------------ */

DEFINE_STACK_OF(ASN1_OCTET_STRING)

typedef struct {
    ASN1_IA5STRING *id;
    ASN1_INTEGER *version;
    ASN1_IA5STRING *vid;
} SES_HEADER;

typedef struct {
    ASN1_INTEGER *type;
    ASN1_UTF8STRING *name;
    ASN1_INTEGER *cert_list_type;
    STACK_OF(ASN1_OCTET_STRING) * cert_list;
    ASN1_GENERALIZEDTIME *create_date;
    ASN1_GENERALIZEDTIME *valid_start;
    ASN1_GENERALIZEDTIME *valid_end;
} SES_PROPERTY;

typedef struct {
    ASN1_IA5STRING *type;
    ASN1_OCTET_STRING *data;
    ASN1_INTEGER *width;
    ASN1_INTEGER *height;
} SES_PICTURE;

typedef struct {
    SES_HEADER *header;
    ASN1_IA5STRING *es_id;
    SES_PROPERTY *property;
    SES_PICTURE *picture;
    STACK_OF(ASN1_TYPE) * ext_datas;
} SES_SEALINFO;

typedef struct {
    SES_SEALINFO *info;
    ASN1_OCTET_STRING *cert;
    ASN1_OBJECT *sign_alg;
    ASN1_BIT_STRING *signed_value;
} SES_SEAL;

/* the templates read like the ASN.1 module above */
/* clang-format off */
ASN1_SEQUENCE(SES_HEADER) = {
    ASN1_SIMPLE(SES_HEADER, id, ASN1_IA5STRING),
    ASN1_SIMPLE(SES_HEADER, version, ASN1_INTEGER),
    ASN1_SIMPLE(SES_HEADER, vid, ASN1_IA5STRING),
} static_ASN1_SEQUENCE_END(SES_HEADER)

ASN1_SEQUENCE(SES_PROPERTY) = {
    ASN1_SIMPLE(SES_PROPERTY, type, ASN1_INTEGER),
    ASN1_SIMPLE(SES_PROPERTY, name, ASN1_UTF8STRING),
    ASN1_SIMPLE(SES_PROPERTY, cert_list_type, ASN1_INTEGER),
    ASN1_SEQUENCE_OF(SES_PROPERTY, cert_list, ASN1_OCTET_STRING),
    ASN1_SIMPLE(SES_PROPERTY, create_date, ASN1_GENERALIZEDTIME),
    ASN1_SIMPLE(SES_PROPERTY, valid_start, ASN1_GENERALIZEDTIME),
    ASN1_SIMPLE(SES_PROPERTY, valid_end, ASN1_GENERALIZEDTIME),
} static_ASN1_SEQUENCE_END(SES_PROPERTY)

ASN1_SEQUENCE(SES_PICTURE) = {
    ASN1_SIMPLE(SES_PICTURE, type, ASN1_IA5STRING),
    ASN1_SIMPLE(SES_PICTURE, data, ASN1_OCTET_STRING),
    ASN1_SIMPLE(SES_PICTURE, width, ASN1_INTEGER),
    ASN1_SIMPLE(SES_PICTURE, height, ASN1_INTEGER),
} static_ASN1_SEQUENCE_END(SES_PICTURE)

ASN1_SEQUENCE(SES_SEALINFO) = {
    ASN1_SIMPLE(SES_SEALINFO, header, SES_HEADER),
    ASN1_SIMPLE(SES_SEALINFO, es_id, ASN1_IA5STRING),
    ASN1_SIMPLE(SES_SEALINFO, property, SES_PROPERTY),
    ASN1_SIMPLE(SES_SEALINFO, picture, SES_PICTURE),
    ASN1_SEQUENCE_OF_OPT(SES_SEALINFO, ext_datas, ASN1_ANY),
} static_ASN1_SEQUENCE_END(SES_SEALINFO)

ASN1_SEQUENCE(SES_SEAL) = {
    ASN1_SIMPLE(SES_SEAL, info, SES_SEALINFO),
    ASN1_SIMPLE(SES_SEAL, cert, ASN1_OCTET_STRING),
    ASN1_SIMPLE(SES_SEAL, sign_alg, ASN1_OBJECT),
    ASN1_SIMPLE(SES_SEAL, signed_value, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(SES_SEAL)
/* clang-format on */

#define SES_SEAL_new()   ((SES_SEAL *)ASN1_item_new(ASN1_ITEM_rptr(SES_SEAL)))
#define SES_SEAL_free(s) ASN1_item_free((ASN1_VALUE *)(s), ASN1_ITEM_rptr(SES_SEAL))
#define d2i_SES_SEAL(a, in, len)                                                                   \
    ((SES_SEAL *)ASN1_item_d2i((ASN1_VALUE **)(a), (in), (len), ASN1_ITEM_rptr(SES_SEAL)))
#define i2d_SES_SEAL(s, out) ASN1_item_i2d((const ASN1_VALUE *)(s), (out), ASN1_ITEM_rptr(SES_SEAL))
#define i2d_SES_SEALINFO(s, out)                                                                   \
    ASN1_item_i2d((const ASN1_VALUE *)(s), (out), ASN1_ITEM_rptr(SES_SEALINFO))

                                    /* ---- the maker and the trust anchors
                                       ------------------------------------------------ */

                                    static X509
                                    * maker_cert,
        *root_cert, *ca_cert;
static EVP_PKEY *maker_key;

int
hall_seseal_trust(X509 *sm2_root, X509 *sm2_ca)
{
    if (sm2_root == NULL || sm2_ca == NULL || X509_up_ref(sm2_root) != 1)
        return HALL_ERR;
    if (X509_up_ref(sm2_ca) != 1) {
        X509_free(sm2_root);
        return HALL_ERR;
    }
    X509_free(root_cert);
    X509_free(ca_cert);
    root_cert = sm2_root;
    ca_cert = sm2_ca;
    return HALL_OK;
}

int
hall_seseal_load(const struct hall_conf *conf, int want_key, char *err, size_t errlen)
{
    const char *dir = conf->pki_dir;
    char why[512];

    if (root_cert == NULL) {
        root_cert = hall_pki_cert_load(dir, "sm2-root", NULL);
        ca_cert = hall_pki_cert_load(dir, "sm2", NULL);
        maker_cert = hall_pki_cert_load(dir, "seal-maker", NULL);
        if (root_cert == NULL || ca_cert == NULL || maker_cert == NULL) {
            X509_free(root_cert);
            X509_free(ca_cert);
            X509_free(maker_cert);
            root_cert = ca_cert = maker_cert = NULL;
            snprintf(err, errlen,
                     "pki_dir %s: cannot read sm2-root.crt, sm2.crt or seal-maker.crt"
                     " (script/lib/pki-init.sh)",
                     dir);
            return HALL_ERR;
        }
    }
    if (want_key && maker_key == NULL) {
        if (hall_pki_keys_conf(conf, err, errlen) != HALL_OK)
            return HALL_ERR;
        maker_key = hall_pki_key("seal-maker", why, sizeof(why));
        if (maker_key == NULL) {
            snprintf(err, errlen, "%s", why);
            return HALL_ERR;
        }
        if (X509_check_private_key(maker_cert, maker_key) != 1) {
            EVP_PKEY_free(maker_key);
            maker_key = NULL;
            snprintf(err, errlen, "pki_dir %s: seal-maker.key is not seal-maker.crt's", dir);
            return HALL_ERR;
        }
    }
    return HALL_OK;
}

/* ---- making ------------------------------------------------------------------------- */

static int
set_ia5(ASN1_IA5STRING *s, const char *v)
{
    const char *p;

    for (p = v; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return HALL_ERR;
    return ASN1_STRING_set(s, v, -1) == 1 ? HALL_OK : HALL_ERR;
}

static int
set_time(ASN1_GENERALIZEDTIME *t, time_t at)
{
    return ASN1_GENERALIZEDTIME_set(t, at) != NULL ? HALL_OK : HALL_ERR;
}

unsigned char *
hall_seseal_sm2_sign(EVP_PKEY *key, const unsigned char *p, size_t n, size_t *siglen)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    unsigned char *sig = NULL;

    if (m == NULL)
        abort();
    if (EVP_DigestSignInit_ex(m, &pc, "SM3", NULL, NULL, key, NULL) != 1 ||
        EVP_PKEY_CTX_set1_id(pc, SM2_ID, strlen(SM2_ID)) != 1 ||
        EVP_DigestSign(m, NULL, siglen, p, n) != 1)
        goto out;
    sig = OPENSSL_malloc(*siglen);
    if (sig == NULL)
        abort();
    if (EVP_DigestSign(m, sig, siglen, p, n) != 1) {
        OPENSSL_free(sig);
        sig = NULL;
    }
out:
    EVP_MD_CTX_free(m);
    return sig;
}

unsigned char *
hall_seseal_make(struct hall_pool *pool, const struct hall_seseal_in *in, size_t *len)
{
    SES_SEAL *seal = SES_SEAL_new();
    SES_SEALINFO *si;
    unsigned char *info_der = NULL, *maker_der = NULL, *sig = NULL, *out = NULL, *q;
    size_t siglen = 0;
    int i, n;

    if (seal == NULL || maker_key == NULL || in->ncerts < 1)
        goto out;
    si = seal->info;
    if (set_ia5(si->header->id, "ES") != HALL_OK ||
        ASN1_INTEGER_set(si->header->version, SESEAL_VERSION) != 1 ||
        set_ia5(si->header->vid, SESEAL_VID) != HALL_OK || set_ia5(si->es_id, in->es_id) != HALL_OK)
        goto out;
    if (ASN1_INTEGER_set(si->property->type, in->type) != 1 ||
        ASN1_STRING_set(si->property->name, in->name, -1) != 1 ||
        ASN1_INTEGER_set(si->property->cert_list_type, 1) != 1 ||
        set_time(si->property->create_date, in->created) != HALL_OK ||
        set_time(si->property->valid_start, in->valid_start) != HALL_OK ||
        set_time(si->property->valid_end, in->valid_end) != HALL_OK)
        goto out;
    for (i = 0; i < in->ncerts; i++) {
        ASN1_OCTET_STRING *o = ASN1_OCTET_STRING_new();

        if (o == NULL || ASN1_OCTET_STRING_set(o, in->certs[i], (int)in->cert_lens[i]) != 1 ||
            sk_ASN1_OCTET_STRING_push(si->property->cert_list, o) <= 0) {
            ASN1_OCTET_STRING_free(o);
            goto out;
        }
    }
    if (set_ia5(si->picture->type, "PNG") != HALL_OK ||
        ASN1_OCTET_STRING_set(si->picture->data, in->png, (int)in->png_len) != 1 ||
        ASN1_INTEGER_set(si->picture->width, in->width_mm) != 1 ||
        ASN1_INTEGER_set(si->picture->height, in->height_mm) != 1)
        goto out;
    /* the signed bytes are eSealInfo's DER, which is also what goes in the file */
    n = i2d_SES_SEALINFO(si, &info_der);
    if (n <= 0)
        goto out;
    sig = hall_seseal_sm2_sign(maker_key, info_der, (size_t)n, &siglen);
    n = i2d_X509(maker_cert, &maker_der);
    if (sig == NULL || n <= 0 || ASN1_OCTET_STRING_set(seal->cert, maker_der, n) != 1)
        goto out;
    ASN1_OBJECT_free(seal->sign_alg);
    seal->sign_alg = OBJ_txt2obj(OID_SM3WITHSM2, 1);
    if (seal->sign_alg == NULL || ASN1_BIT_STRING_set(seal->signed_value, sig, (int)siglen) != 1)
        goto out;
    /* a BIT STRING of whole bytes: no unused bits */
    seal->signed_value->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    seal->signed_value->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    n = i2d_SES_SEAL(seal, NULL);
    if (n <= 0)
        goto out;
    out = q = hall_palloc(pool, (size_t)n);
    i2d_SES_SEAL(seal, &q);
    *len = (size_t)n;
out:
    OPENSSL_free(info_der);
    OPENSSL_free(maker_der);
    OPENSSL_free(sig);
    SES_SEAL_free(seal);
    return out;
}

/* ---- checking ----------------------------------------------------------------------- */

/*
 * The first element of the outer SEQUENCE as it is in the file (the DER of
 * eSealInfo); HALL_ERR unless der is one definite-length SEQUENCE.
 */
static int
first_element(const unsigned char *der, size_t len, const unsigned char **p, size_t *n)
{
    const unsigned char *q = der;
    long body, inner;
    int tag, cls, rc;

    rc = ASN1_get_object(&q, &body, &tag, &cls, (long)len);
    if ((rc & 0x80) || rc != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE ||
        cls != V_ASN1_UNIVERSAL || q + body != der + len)
        return HALL_ERR;
    *p = q;
    rc = ASN1_get_object(&q, &inner, &tag, &cls, body);
    if ((rc & 0x80) || rc != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE)
        return HALL_ERR;
    *n = (size_t)(q - *p) + (size_t)inner;
    return HALL_OK;
}

static time_t
gtime(const ASN1_GENERALIZEDTIME *t)
{
    struct tm tm;

    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return timegm(&tm);
}

static char *
pool_str(struct hall_pool *pool, const ASN1_STRING *s)
{
    if (s == NULL)
        return "";
    return hall_pstrndup(pool, (const char *)ASN1_STRING_get0_data(s),
                         (size_t)ASN1_STRING_length(s));
}

static const char *
name_of(struct hall_pool *pool, const X509_NAME *n)
{
    return hall_x509_name_text(pool, n, XN_FLAG_ONELINE);
}

int
hall_seseal_sm2_verify(X509 *signer, const unsigned char *p, size_t n, const unsigned char *sig,
                       size_t siglen)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    EVP_PKEY *key = X509_get0_pubkey(signer);
    int ok;

    if (m == NULL)
        abort();
    ok = key != NULL && EVP_PKEY_is_a(key, "SM2") &&
         EVP_DigestVerifyInit_ex(m, &pc, "SM3", NULL, NULL, key, NULL) == 1 &&
         EVP_PKEY_CTX_set1_id(pc, SM2_ID, strlen(SM2_ID)) == 1 &&
         EVP_DigestVerify(m, sig, siglen, p, n) == 1;
    EVP_MD_CTX_free(m);
    return ok;
}

/* a certificate of the sm2 CA (the maker's, an SM2 signer's) up to the SM2
 * root: the sm2 CA and the SM2 root both sign with the GM/T ID, so both
 * certificates below the root carry it; at: 0 now */
static int
chain_check(X509 *maker, time_t at, const char **why)
{
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new(), *id2 = ASN1_OCTET_STRING_new();
    int ok = 0;

    if (st == NULL || ctx == NULL || untrusted == NULL || id == NULL || id2 == NULL)
        abort();
    if (X509_STORE_add_cert(st, root_cert) != 1 || sk_X509_push(untrusted, ca_cert) <= 0 ||
        ASN1_OCTET_STRING_set(id, (const unsigned char *)SM2_ID, (int)strlen(SM2_ID)) != 1 ||
        ASN1_OCTET_STRING_set(id2, (const unsigned char *)SM2_ID, (int)strlen(SM2_ID)) != 1)
        goto out;
    X509_set0_distinguishing_id(maker, id);
    X509_set0_distinguishing_id(ca_cert, id2);
    id = id2 = NULL;
    if (X509_STORE_CTX_init(ctx, st, maker, untrusted) != 1)
        goto out;
    if (at != 0)
        X509_STORE_CTX_set_time(ctx, 0, at);
    ok = X509_verify_cert(ctx) == 1;
    if (!ok)
        *why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
out:
    ASN1_OCTET_STRING_free(id);
    ASN1_OCTET_STRING_free(id2);
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    return ok;
}

/* the CA's CRL: signed by it (SM2 with the ID), current, and whether it lists serial */
static void
crl_check(const unsigned char *der, size_t len, X509 *maker, struct hall_seseal_info *info)
{
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    X509_REVOKED *rev = NULL;
    unsigned char *tbs = NULL;
    const ASN1_BIT_STRING *sig = NULL;
    int n;

    if (crl == NULL)
        return;
    /* the signed part is the CRL's TBS; X509_CRL_verify cannot pass the ID */
    n = i2d_re_X509_CRL_tbs(crl, &tbs);
    X509_CRL_get0_signature(crl, &sig, NULL);
    if (n > 0 && sig != NULL &&
        X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca_cert)) == 0 &&
        hall_seseal_sm2_verify(ca_cert, tbs, (size_t)n, ASN1_STRING_get0_data(sig),
                               (size_t)ASN1_STRING_length(sig)) &&
        X509_cmp_time(X509_CRL_get0_nextUpdate(crl), NULL) > 0) {
        info->crl_ok = 1;
        info->maker_revoked =
            X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(maker)) == 1;
    }
    OPENSSL_free(tbs);
    X509_CRL_free(crl);
}

/* what the file says, into info; the parsed seal in *out (the caller frees) */
static int
seal_parse(struct hall_pool *pool, const unsigned char *der, size_t len,
           struct hall_seseal_info *info, SES_SEAL **out, const char **err)
{
    const unsigned char *p = der, *info_der = NULL, *cp;
    size_t info_len = 0;
    SES_SEAL *seal = NULL;
    SES_PROPERTY *pr;
    int i;

    memset(info, 0, sizeof(*info));
    *out = NULL;
    *err = "文件不是有效的电子印章（GB/T 38540 SESeal）";
    if (len == 0 || len > SESEAL_MAX_DER ||
        first_element(der, len, &info_der, &info_len) != HALL_OK)
        return HALL_ERR;
    seal = d2i_SES_SEAL(NULL, &p, (long)len);
    if (seal == NULL || p != der + len)
        goto bad;
    if (ASN1_STRING_length(seal->info->header->id) != 2 ||
        memcmp(ASN1_STRING_get0_data(seal->info->header->id), "ES", 2) != 0)
        goto bad;
    pr = seal->info->property;
    info->version = (int)ASN1_INTEGER_get(seal->info->header->version);
    info->vid = pool_str(pool, seal->info->header->vid);
    info->es_id = pool_str(pool, seal->info->es_id);
    info->type = (int)ASN1_INTEGER_get(pr->type);
    info->name = pool_str(pool, pr->name);
    info->created = gtime(pr->create_date);
    info->valid_start = gtime(pr->valid_start);
    info->valid_end = gtime(pr->valid_end);
    info->picture_type = pool_str(pool, seal->info->picture->type);
    info->width_mm = (int)ASN1_INTEGER_get(seal->info->picture->width);
    info->height_mm = (int)ASN1_INTEGER_get(seal->info->picture->height);
    info->png_len = (size_t)ASN1_STRING_length(seal->info->picture->data);
    info->png = hall_palloc(pool, info->png_len + 1);
    memcpy((unsigned char *)info->png, ASN1_STRING_get0_data(seal->info->picture->data),
           info->png_len);
    if (ASN1_INTEGER_get(pr->cert_list_type) == 1) {
        for (i = 0; i < sk_ASN1_OCTET_STRING_num(pr->cert_list) &&
                    info->nsigners < (int)(sizeof(info->signers) / sizeof(info->signers[0]));
             i++) {
            ASN1_OCTET_STRING *o = sk_ASN1_OCTET_STRING_value(pr->cert_list, i);
            X509 *x;

            cp = ASN1_STRING_get0_data(o);
            x = d2i_X509(NULL, &cp, ASN1_STRING_length(o));
            if (x == NULL)
                continue;
            info->signers[info->nsigners].serial =
                hall_asn1_int_hex(pool, X509_get0_serialNumber(x));
            info->signers[info->nsigners].subject = name_of(pool, X509_get_subject_name(x));
            info->signers[info->nsigners].issuer = name_of(pool, X509_get_issuer_name(x));
            info->nsigners++;
            X509_free(x);
        }
    }
    *out = seal;
    return HALL_OK;
bad:
    SES_SEAL_free(seal);
    return HALL_ERR;
}

int
hall_seseal_read(struct hall_pool *pool, const unsigned char *der, size_t len,
                 struct hall_seseal_info *info, const char **err)
{
    SES_SEAL *seal;

    if (seal_parse(pool, der, len, info, &seal, err) != HALL_OK)
        return HALL_ERR;
    SES_SEAL_free(seal);
    return HALL_OK;
}

int
hall_seseal_lists(const unsigned char *der, size_t len, X509 *cert)
{
    const unsigned char *p = der;
    unsigned char *mine = NULL;
    SES_SEAL *seal;
    SES_PROPERTY *pr;
    int i, n, found = 0;

    if (len == 0 || len > SESEAL_MAX_DER)
        return 0;
    seal = d2i_SES_SEAL(NULL, &p, (long)len);
    n = i2d_X509(cert, &mine);
    if (seal == NULL || n <= 0)
        goto out;
    pr = seal->info->property;
    if (ASN1_INTEGER_get(pr->cert_list_type) != 1)
        goto out;
    for (i = 0; i < sk_ASN1_OCTET_STRING_num(pr->cert_list) && !found; i++) {
        ASN1_OCTET_STRING *o = sk_ASN1_OCTET_STRING_value(pr->cert_list, i);

        found =
            ASN1_STRING_length(o) == n && memcmp(ASN1_STRING_get0_data(o), mine, (size_t)n) == 0;
    }
out:
    OPENSSL_free(mine);
    SES_SEAL_free(seal);
    return found;
}

X509 *
hall_seseal_signer_for(const unsigned char *der, size_t len, EVP_PKEY *key)
{
    const unsigned char *p = der;
    SES_SEAL *seal;
    X509 *found = NULL;
    int i;

    if (len == 0 || len > SESEAL_MAX_DER)
        return NULL;
    seal = d2i_SES_SEAL(NULL, &p, (long)len);
    if (seal == NULL)
        return NULL;
    if (ASN1_INTEGER_get(seal->info->property->cert_list_type) == 1)
        for (i = 0; i < sk_ASN1_OCTET_STRING_num(seal->info->property->cert_list) && found == NULL;
             i++) {
            ASN1_OCTET_STRING *o = sk_ASN1_OCTET_STRING_value(seal->info->property->cert_list, i);
            const unsigned char *cp = ASN1_STRING_get0_data(o);
            X509 *x = d2i_X509(NULL, &cp, ASN1_STRING_length(o));

            if (x != NULL && X509_get0_pubkey(x) != NULL &&
                EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1)
                found = x;
            else
                X509_free(x);
        }
    SES_SEAL_free(seal);
    return found;
}

int
hall_seseal_sm2_chain(X509 *cert, time_t at, const char **why)
{
    *why = "未提供SM2根证书";
    return root_cert != NULL && ca_cert != NULL && chain_check(cert, at, why);
}

int
hall_seseal_verify(struct hall_pool *pool, const unsigned char *der, size_t len,
                   const unsigned char *crl, size_t crl_len, struct hall_seseal_info *info,
                   const char **err)
{
    const unsigned char *info_der = NULL, *cp;
    size_t info_len = 0;
    SES_SEAL *seal = NULL;
    X509 *maker = NULL;
    int rc = HALL_ERR;

    memset(info, 0, sizeof(*info));
    *err = "文件不是有效的电子印章（GB/T 38540 SESeal）";
    if (root_cert == NULL || len == 0 || len > SESEAL_MAX_DER ||
        first_element(der, len, &info_der, &info_len) != HALL_OK)
        return HALL_ERR;
    if (seal_parse(pool, der, len, info, &seal, err) != HALL_OK)
        return HALL_ERR;
    /* the maker: its signature over eSealInfo as in the file, its chain, its CRL */
    cp = ASN1_STRING_get0_data(seal->cert);
    maker = d2i_X509(NULL, &cp, ASN1_STRING_length(seal->cert));
    if (maker == NULL) {
        *err = "电子印章中的制章者证书无法解析";
        goto out;
    }
    info->maker_subject = name_of(pool, X509_get_subject_name(maker));
    info->maker_serial = hall_asn1_int_hex(pool, X509_get0_serialNumber(maker));
    info->signature_ok =
        OBJ_obj2nid(seal->sign_alg) == NID_SM2_with_SM3 &&
        hall_seseal_sm2_verify(maker, info_der, info_len, ASN1_STRING_get0_data(seal->signed_value),
                               (size_t)ASN1_STRING_length(seal->signed_value));
    info->chain_error = "";
    info->chain_ok = chain_check(maker, 0, &info->chain_error);
    if (crl != NULL)
        crl_check(crl, crl_len, maker, info);
    rc = HALL_OK;
out:
    X509_free(maker);
    SES_SEAL_free(seal);
    return rc;
}
