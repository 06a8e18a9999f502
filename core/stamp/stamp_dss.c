/*
 * stamp_dss.c: long-term validation written (docs/internals/stamp.md §1a):
 * the evidence a stamp's validator needs gathered from the hall (the
 * certificates the signatures carry, an OCSP answer or CRL for each signer
 * and timestamp authority), the incremental update that keeps it in the
 * document's /DSS (ISO 32000-2 §12.8.4.3), and the document timestamp
 * (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161; ETSI EN 319 142-1) that
 * makes a PAdES B-LT file B-LTA.  Each is its own revision after the
 * stamp's: the stamp's signature is never touched, and the verifier's
 * whitelist (§3) allows exactly these.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "stamp_int.h"

void
hall_stamp_dss_add(struct hall_pool *pool, struct hall_stamp_dss_in *in, int kind,
                   const unsigned char *der, size_t len)
{
    unsigned char *k;

    if (der == NULL || len == 0 || in->n >= HALL_STAMP_DSS_MAX)
        return;
    for (int i = 0; i < in->n; i++)
        if (in->len[i] == len && memcmp(in->der[i], der, len) == 0)
            return;
    k = hall_palloc(pool, len);
    memcpy(k, der, len);
    in->der[in->n] = k;
    in->len[in->n] = len;
    in->kind[in->n++] = kind;
}

static void
cert_add(struct hall_pool *pool, struct hall_stamp_dss_in *in, X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);

    if (n > 0)
        hall_stamp_dss_add(pool, in, HALL_STAMP_DSS_CERT, der, (size_t)n);
    OPENSSL_free(der);
}

/* ---- the evidence gathered ------------------------------------------------------ */

/* an end-entity certificate whose status is asked, for a time */
struct ee {
    X509 *x;
    time_t after; /* its latest signature's timestamp */
};

struct gather {
    struct hall_pool *pool;
    STACK_OF(X509) * certs; /* every certificate met */
    struct ee ee[2 * HALL_STAMP_SIGS_MAX];
    char arl[2 * HALL_STAMP_SIGS_MAX]; /* 1: its evidence is its root's CRL */
    int nee, nsigs;
};

static void
ee_add(struct gather *g, X509 *x, time_t after)
{
    for (int i = 0; i < g->nee; i++)
        if (X509_cmp(g->ee[i].x, x) == 0) {
            if (after > g->ee[i].after)
                g->ee[i].after = after;
            return;
        }
    if (g->nee < (int)(sizeof(g->ee) / sizeof(g->ee[0])) && X509_up_ref(x) == 1) {
        g->ee[g->nee].x = x;
        g->ee[g->nee++].after = after;
    }
}

static void
certs_take(struct gather *g, STACK_OF(X509) * certs)
{
    for (int i = 0; certs != NULL && i < sk_X509_num(certs); i++)
        if (X509_up_ref(sk_X509_value(certs, i)) == 1)
            sk_X509_push(g->certs, sk_X509_value(certs, i));
}

/* a timestamp token's certificates, its TSA (the first) and its time */
static time_t
token_take(struct gather *g, PKCS7 *tok)
{
    TS_TST_INFO *ti = tok != NULL ? PKCS7_to_TS_TST_INFO(tok) : NULL;
    STACK_OF(X509) *tc = tok != NULL && PKCS7_type_is_signed(tok) ? tok->d.sign->cert : NULL;
    time_t t = ti != NULL ? stamp_asn1_time(TS_TST_INFO_get_time(ti)) : 0;

    certs_take(g, tc);
    if (tc != NULL && sk_X509_num(tc) > 0)
        ee_add(g, sk_X509_value(tc, 0), t);
    TS_TST_INFO_free(ti);
    return t;
}

/* one signature's /Contents: a CMS with its timestamp, or a document timestamp */
static void
sig_take(struct gather *g, const char *filter, const unsigned char *der, size_t len)
{
    const unsigned char *p = der;

    if (strcmp(filter, "/ETSI.RFC3161") == 0) {
        PKCS7 *tok = d2i_PKCS7(NULL, &p, (long)len);

        token_take(g, tok);
        PKCS7_free(tok);
    } else if (strcmp(filter, "/ETSI.CAdES.detached") == 0 ||
               strcmp(filter, "/adbe.pkcs7.detached") == 0) {
        CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
        STACK_OF(CMS_SignerInfo) *sis = cms != NULL ? CMS_get0_SignerInfos(cms) : NULL;
        STACK_OF(X509) *certs = cms != NULL ? CMS_get1_certs(cms) : NULL;
        CMS_SignerInfo *si;
        ASN1_STRING *tst;
        time_t t = 0;

        if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1)
            goto out;
        si = sk_CMS_SignerInfo_value(sis, 0);
        certs_take(g, certs);
        tst = CMS_unsigned_get0_data_by_OBJ(si, OBJ_nid2obj(NID_id_smime_aa_timeStampToken), -3,
                                            V_ASN1_SEQUENCE);
        if (tst != NULL) {
            const unsigned char *tp = ASN1_STRING_get0_data(tst);
            PKCS7 *tok = d2i_PKCS7(NULL, &tp, ASN1_STRING_length(tst));

            t = token_take(g, tok);
            PKCS7_free(tok);
        }
        for (int i = 0; certs != NULL && i < sk_X509_num(certs); i++)
            if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
                ee_add(g, sk_X509_value(certs, i), t);
    out:
        sk_X509_pop_free(certs, X509_free);
        CMS_ContentInfo_free(cms);
    }
    /* GB/T 38540's SES_Signature: no place for evidence (stamp.md §3) */
}

/* a signed field's signature taken (the form read through core/pdf) */
static int
field_take(struct pdf_doc *d, const struct stamp_field *f, int is_sig, void *arg)
{
    struct gather *g = arg;
    const struct pdf_obj *v = pdf_key(d, f->f, "/V"), *sf, *c;

    if (!is_sig || v == NULL || v->type != PDF_DICT)
        return f->kids->type == PDF_ARRAY;
    if (g->nsigs++ >= HALL_STAMP_SIGS_MAX)
        return -1;
    sf = pdf_key(d, v, "/SubFilter");
    c = pdf_key(d, v, "/Contents");
    if (sf == NULL || sf->type != PDF_NAME || c == NULL || c->type != PDF_STRING)
        return 0;
    if (c->len > 0 && c->len <= STAMP_CONTENTS_MAX / 2) {
        char filter[64];

        snprintf(filter, sizeof(filter), "%s", sf->s);
        sig_take(g, filter, (const unsigned char *)c->s, c->len);
    }
    return 0;
}

static X509 *
issuer_of(STACK_OF(X509) * certs, X509 *x)
{
    for (int i = 0; certs != NULL && i < sk_X509_num(certs); i++)
        if (X509_cmp(sk_X509_value(certs, i), x) != 0 &&
            stamp_issued_by(x, sk_X509_value(certs, i)))
            return sk_X509_value(certs, i);
    return NULL;
}

static int
self_signed(X509 *x)
{
    return X509_check_issued(x, x) == X509_V_OK;
}

/* x's issuer: among the certificates met and cas, else fetched (kept) */
static X509 *
issuer_find(struct gather *g, STACK_OF(X509) * cas, const struct hall_stamp_online *o, X509 *x)
{
    X509 *i = issuer_of(g->certs, x);
    const char *why = NULL;

    if (i == NULL && (i = issuer_of(cas, x)) != NULL && X509_up_ref(i) == 1)
        sk_X509_push(g->certs, i);
    if (i == NULL && o->cache != NULL && (i = stamp_cache_issuer(o->cache, x)) != NULL &&
        X509_up_ref(i) == 1)
        sk_X509_push(g->certs, i);
    if (i == NULL && (i = stamp_issuer_fetch(g->pool, x, o, &why)) != NULL) {
        sk_X509_push(g->certs, i);
        if (o->cache != NULL)
            stamp_cache_issuer_put(o->cache, i);
    }
    return i;
}

int
hall_stamp_ltv_gather(struct hall_pool *pool, const unsigned char *pdf, size_t len,
                      STACK_OF(X509) * cas, const struct hall_stamp_online *o,
                      struct hall_stamp_dss_in *in, int *missing, const char **why)
{
    struct gather g;
    char err[256];
    int seen = 0, i, rc = HALL_ERR;
    struct pdf_doc *d;
    const struct pdf_obj *acro;

    memset(&g, 0, sizeof(g));
    g.pool = pool;
    g.certs = sk_X509_new_null();
    if (g.certs == NULL)
        abort();
    *missing = 0;
    *why = NULL;
    d = stamp_pdf_open(pool, pdf, len, err, sizeof(err));
    if (d == NULL) {
        *why = hall_pstrdup(pool, err);
        goto out;
    }
    acro = pdf_key(d, pdf_root(d), "/AcroForm");
    if (acro != NULL && acro->type == PDF_DICT)
        stamp_fields_each(d, pdf_key(d, acro, "/Fields"), 0, 0, &seen, field_take, &g);
    /* the hall the signers' certificates name (a TSA's names none) */
    for (i = 0; i < g.nee && in->hall == NULL; i++)
        in->hall = hall_stamp_hall_of(pool, g.ee[i].x);
    /* each end entity's issuer first (found or fetched), then its status */
    for (i = 0; i < g.nee; i++) {
        X509 *x = g.ee[i].x, *issuer;
        const unsigned char *der = NULL;
        size_t dl = 0;
        const char *w = NULL;
        int kind = 0, waited = 0;
        time_t asked_at;

        if (self_signed(x))
            continue;
        if (!stamp_status_sources(pool, x)) {
            g.arl[i] = 1; /* after the chain: its root may be fetched there */
            continue;
        }
        issuer = issuer_find(&g, cas, o, x);
        /* a batch's earlier file asked for it late enough (stamp_cache.c) */
        if (o->cache != NULL &&
            stamp_cache_answer(o->cache, x, g.ee[i].after, &kind, &der, &dl) == 1) {
            hall_stamp_dss_add(pool, in, kind, der, dl);
            continue;
        }
        /* an answer that speaks for the timestamp's second: made after it */
        while (o->now == 0 && time(NULL) < g.ee[i].after + 1 && waited++ < 12)
            usleep(250 * 1000);
        asked_at = o->now != 0 ? o->now : time(NULL);
        if (issuer == NULL || stamp_status_fetch(pool, x, issuer, o, g.ee[i].after, &kind, &der,
                                                 &dl, &w) != HALL_OK) {
            (*missing)++;
            *why = hall_psprintf(pool, "%s%s%s", *why != NULL ? *why : "", *why != NULL ? "；" : "",
                                 w != NULL ? w : "找不到证书的签发CA证书");
            continue;
        }
        hall_stamp_dss_add(pool, in, kind, der, dl);
        if (o->cache != NULL)
            stamp_cache_answer_put(o->cache, x, asked_at, kind, der, dl);
    }
    /* every CA certificate up to a root, as far as the AIAs lead */
    for (i = 0; i < sk_X509_num(g.certs) && i < 4 * HALL_STAMP_DSS_MAX; i++) {
        X509 *x = sk_X509_value(g.certs, i);

        if (!self_signed(x) && issuer_of(g.certs, x) == NULL)
            issuer_find(&g, cas, o, x);
    }
    /* a certificate of a root that names no OCSP nor CRL (the hall's
     * TSA's): the root's CRL (/pki/root.crl), which speaks for the issuing
     * CAs' certificates too; another's: nothing to keep (stamp.md §3) */
    for (i = 0; i < g.nee; i++) {
        X509 *x = g.ee[i].x, *issuer = g.arl[i] ? issuer_find(&g, cas, o, x) : NULL;
        const unsigned char *der = NULL;
        size_t dl = 0;
        const char *w = NULL;
        int waited = 0;

        if (g.arl[i] && issuer == NULL &&
            (issuer = stamp_root_fetch(pool, x, in->hall, o, &w)) != NULL)
            sk_X509_push(g.certs, issuer);
        if (issuer == NULL || !self_signed(issuer) || (in->hall == NULL && o->hall == NULL))
            continue;
        while (o->now == 0 && time(NULL) < g.ee[i].after + 1 && waited++ < 12)
            usleep(250 * 1000);
        if (stamp_arl_fetch(pool, x, issuer, in->hall, o, g.ee[i].after, &der, &dl, &w) ==
            HALL_OK) {
            hall_stamp_dss_add(pool, in, HALL_STAMP_DSS_CRL, der, dl);
            continue;
        }
        (*missing)++;
        *why = hall_psprintf(pool, "%s%s%s", *why != NULL ? *why : "", *why != NULL ? "；" : "", w);
    }
    for (i = 0; i < sk_X509_num(g.certs); i++)
        cert_add(pool, in, sk_X509_value(g.certs, i));
    rc = HALL_OK;
out:
    for (i = 0; i < g.nee; i++)
        X509_free(g.ee[i].x);
    sk_X509_pop_free(g.certs, X509_free);
    return rc;
}

/* ---- the /DSS update ------------------------------------------------------------- */

static const char *const dss_keys[] = {"/Certs", "/OCSPs", "/CRLs", NULL};

/* " /Certs [old items, new refs]" for one kind; HALL_ERR as
 * stamp_pdf_value's */
static int
dss_array_write(struct stamp_buf *b, const struct stamp_doc *d, const struct pdf_obj *old,
                int old_from, const char *key, const long long *nums, const int *kinds, int n,
                int kind)
{
    const struct pdf_obj *raw = old->type == PDF_DICT ? pdf_dict_get(old, key) : NULL;
    const struct pdf_obj *arr = raw != NULL ? pdf_resolve(d->pd, raw) : NULL;
    int i, items = arr != NULL && arr->type == PDF_ARRAY ? arr->n : 0;
    int any = items > 0, from = pdf_ref_num(raw) > 0 ? pdf_ref_num(raw) : old_from;

    for (i = 0; i < n; i++)
        any |= kinds[i] == kind;
    if (!any)
        return HALL_OK;
    stamp_buf_printf(b, " %s [", key);
    for (i = 0; i < items; i++) {
        stamp_buf_str(b, i > 0 ? " " : "");
        if (stamp_pdf_value(d, b, arr->items[i], from) != HALL_OK)
            return HALL_ERR;
    }
    for (i = 0; i < n; i++)
        if (kinds[i] == kind) {
            stamp_buf_printf(b, "%s%lld 0 R", items > 0 ? " " : "", nums[i]);
            items++;
        }
    stamp_buf_str(b, "]");
    return HALL_OK;
}

/* 1 when old (the file's /DSS) holds der already */
static int
dss_has(const struct hall_stamp_evidence *old, int kind, const unsigned char *der, size_t len)
{
    const unsigned char *const *d = kind == HALL_STAMP_DSS_CERT   ? old->cert
                                    : kind == HALL_STAMP_DSS_OCSP ? old->der
                                                                  : old->crl;
    const size_t *l = kind == HALL_STAMP_DSS_CERT   ? old->cert_len
                      : kind == HALL_STAMP_DSS_OCSP ? old->len
                                                    : old->crl_len;
    int n = kind == HALL_STAMP_DSS_CERT   ? old->ncert
            : kind == HALL_STAMP_DSS_OCSP ? old->n
                                          : old->ncrl;

    for (int i = 0; i < n; i++)
        if (l[i] == len && memcmp(d[i], der, len) == 0)
            return 1;
    return 0;
}

unsigned char *
hall_stamp_dss_update(struct hall_pool *pool, const unsigned char *pdf, size_t pdf_len,
                      const struct hall_stamp_dss_in *in, size_t *len, char *err, size_t errlen)
{
    static const char *const skip_root[] = {"/DSS", NULL};
    struct stamp_doc d;
    struct stamp_update up;
    struct hall_stamp_evidence old;
    long long nums[HALL_STAMP_DSS_MAX], n_dss;
    int kinds[HALL_STAMP_DSS_MAX], nnew = 0, i;
    unsigned char *result = NULL;
    const struct pdf_obj *olddss;
    int dss_from;
    struct stamp_buf extra = {0};
    size_t at;

    *len = 0;
    memset(&d, 0, sizeof(d));
    memset(&up, 0, sizeof(up));
    if (pdf == NULL || pdf_len < 16 || pdf_len > (size_t)HALL_STAMP_PDF_MAX) {
        snprintf(err, errlen, "文件不是PDF文件（或大于200MB）");
        return NULL;
    }
    if (stamp_doc_read(&d, pdf, pdf_len, 1, err, errlen) != HALL_OK)
        goto out;
    stamp_dss_read_pdf(pool, d.pd, &old, NULL);
    olddss = pdf_key(d.pd, d.root, "/DSS");
    if (olddss == NULL)
        olddss = &pdf_null;
    dss_from = pdf_ref_num(pdf_dict_get(d.root, "/DSS")) > 0
                   ? pdf_ref_num(pdf_dict_get(d.root, "/DSS"))
                   : d.root_num;
    up.base = pdf_len;
    if (pdf[pdf_len - 1] != '\n' && pdf[pdf_len - 1] != '\r')
        stamp_buf_str(&up.u, "\n");
    /* each new item a stream of its DER, unfiltered */
    for (i = 0; i < in->n && nnew < STAMP_UPDATE_OBJS - 4; i++) {
        if (dss_has(&old, in->kind[i], in->der[i], in->len[i]))
            continue;
        nums[nnew] = d.size + nnew;
        kinds[nnew] = in->kind[i];
        stamp_obj_begin(&up, nums[nnew], 0);
        stamp_buf_printf(&up.u, "<< /Length %zu >>\nstream\n", in->len[i]);
        stamp_buf_put(&up.u, in->der[i], in->len[i]);
        stamp_buf_str(&up.u, "\nendstream\nendobj\n");
        nnew++;
    }
    if (nnew == 0) {
        result = hall_palloc(pool, 1);
        goto out;
    }
    /* the /DSS: the old one's keys (its /VRI, ...), its items and the new */
    n_dss = d.size + nnew;
    stamp_obj_begin(&up, n_dss, 0);
    for (i = 0; dss_keys[i] != NULL; i++)
        if (dss_array_write(&extra, &d, olddss, dss_from, dss_keys[i], nums, kinds, nnew,
                            i == 0   ? HALL_STAMP_DSS_CERT
                            : i == 1 ? HALL_STAMP_DSS_OCSP
                                     : HALL_STAMP_DSS_CRL) != HALL_OK) {
            stamp_too_big(err, errlen, "验证信息（DSS）");
            goto out;
        }
    stamp_buf_put(&extra, "", 1);
    if (olddss->type == PDF_DICT) {
        if (stamp_dict_again(&d, &up.u, olddss, dss_from, dss_keys, (const char *)extra.p) !=
            HALL_OK) {
            stamp_too_big(err, errlen, "验证信息（DSS）");
            goto out;
        }
    } else {
        stamp_buf_printf(&up.u, "<< /Type /DSS%s >>", (const char *)extra.p);
    }
    stamp_buf_str(&up.u, "\nendobj\n");
    /* the catalog again with it, every other key as it was */
    stamp_buf_free(&extra);
    stamp_buf_printf(&extra, " /DSS %lld 0 R", n_dss);
    stamp_buf_put(&extra, "", 1);
    stamp_obj_begin(&up, d.root_num, d.root_gen);
    at = up.u.len;
    if (stamp_dict_again(&d, &up.u, d.root, d.root_num, skip_root, (const char *)extra.p) !=
        HALL_OK) {
        stamp_too_big(err, errlen, "文档目录（Catalog）");
        goto out;
    }
    if (stamp_raw_kept(&d, d.root_num, d.root_gen, up.u.p + at, up.u.len - at, skip_root, NULL, 0,
                       "文档目录（Catalog）", err, errlen) != HALL_OK)
        goto out;
    stamp_buf_str(&up.u, "\nendobj\n");
    up.n_m = n_dss;
    stamp_write_xref(&up, &d);
    result = hall_palloc(pool, up.u.len);
    memcpy(result, up.u.p, up.u.len);
    *len = up.u.len;
out:
    stamp_buf_free(&extra);
    stamp_buf_free(&up.u);
    stamp_doc_free(&d);
    return result;
}

/* ---- the document timestamp ------------------------------------------------------ */

unsigned char *
hall_stamp_doc_timestamp(struct hall_pool *pool, const struct hall_stamp_sign_in *in, size_t *len,
                         char *err, size_t errlen)
{
    static const char hx[] = "0123456789ABCDEF";
    struct stamp_doc d;
    struct stamp_update up;
    unsigned char h[32], *tok = NULL, *result = NULL;
    size_t reserve = hall_stamp_reserve(STAMP_TSA_PLACEHOLDER), tl = 0, k;
    char name[64];
    EVP_MD_CTX *md;

    *len = 0;
    memset(&d, 0, sizeof(d));
    memset(&up, 0, sizeof(up));
    if (in->pdf == NULL || in->pdf_len < 16 || in->pdf_len > (size_t)HALL_STAMP_PDF_MAX) {
        snprintf(err, errlen, "文件不是PDF文件（或大于200MB）");
        return NULL;
    }
    if (stamp_doc_read(&d, in->pdf, in->pdf_len, 1, err, errlen) != HALL_OK)
        goto out;
    up.base = in->pdf_len;
    if (in->pdf[in->pdf_len - 1] != '\n' && in->pdf[in->pdf_len - 1] != '\r')
        stamp_buf_str(&up.u, "\n");
    up.n_s = d.size;
    up.n_w = up.n_m = d.size + 1;
    /* the signature dictionary: the layout of a stamp's (§4), no /M */
    stamp_obj_begin(&up, up.n_s, 0);
    stamp_buf_str(&up.u, "<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 "
                         "/ByteRange [0 ");
    up.br_at = up.u.len;
    stamp_buf_str(&up.u, "                                 ] /Contents ");
    up.gap_at = up.u.len;
    stamp_buf_str(&up.u, "<");
    for (k = 0; k < reserve; k++)
        stamp_buf_put(&up.u, "0", 1);
    stamp_buf_str(&up.u, ">");
    up.gap_end = up.u.len;
    stamp_buf_str(&up.u, " >>\nendobj\n");
    /* its field and widget: invisible, on the first page */
    snprintf(name, sizeof(name), "文档时间戳%d", d.nsigs + 1);
    stamp_obj_begin(&up, up.n_w, 0);
    stamp_buf_str(&up.u, "<< /Type /Annot /Subtype /Widget /FT /Sig /T ");
    stamp_pdf_utf16(&up.u, name);
    stamp_buf_printf(&up.u, " /V %lld 0 R /F 132 /P %d %d R /Rect [0 0 0 0] >>\nendobj\n", up.n_s,
                     d.page_num, d.page_gen);
    if (stamp_widget_added(&up, &d, up.n_w, err, errlen) != HALL_OK)
        goto out;
    stamp_write_xref(&up, &d);
    /* the ranges' SHA-256, timestamped, the token into /Contents */
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(md, in->pdf, in->pdf_len) != 1 ||
        EVP_DigestUpdate(md, up.u.p, up.gap_at) != 1 ||
        EVP_DigestUpdate(md, up.u.p + up.gap_end, up.u.len - up.gap_end) != 1 ||
        EVP_DigestFinal_ex(md, h, NULL) != 1)
        abort();
    EVP_MD_CTX_free(md);
    tok = stamp_timestamp_digest(pool, in, h, &tl, err, errlen);
    if (tok == NULL)
        goto out;
    if (tl * 2 > reserve) {
        snprintf(err, errlen, "时间戳超出预留空间（%zu字节），未加文档时间戳", tl);
        goto out;
    }
    for (k = 0; k < tl; k++) {
        up.u.p[up.gap_at + 1 + 2 * k] = (unsigned char)hx[tok[k] >> 4];
        up.u.p[up.gap_at + 2 + 2 * k] = (unsigned char)hx[tok[k] & 15];
    }
    result = hall_palloc(pool, up.u.len);
    memcpy(result, up.u.p, up.u.len);
    *len = up.u.len;
out:
    stamp_buf_free(&up.u);
    stamp_doc_free(&d);
    return result;
}
