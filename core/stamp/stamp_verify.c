/*
 * The stamp's verifier (docs/internals/stamp.md §3): every signature of a
 * PDF, read by offsets (a 20 MB file verifies in flat memory), checked in
 * the order of the doc: the byte range, the CMS's digest, signature and
 * signing certificate, the timestamp, the seal, the chain; then the state.
 *
 * Owns: hall_stamp_verify_file and _fd (every signature's checks and its
 * state, the report) and hall_stamp_verdict (the one rule /sign/verify and
 * hall-stamp verify share).  Follows: ISO 32000-1 §12.8.1 (/ByteRange and
 * /Contents: what is signed) and §12.8.3.3 (CMS signatures in a PDF); ETSI
 * EN 319 142-1 clause 6 (PAdES baseline B-B, B-T) and clause 5 (a document
 * timestamp, ETSI.RFC3161); RFC 5652 §5.4 and §5.6 (the message digest, the
 * signature's check); RFC 5280 §6 (the path to a root); RFC 3161 §2.4.2
 * (the token over the signature value).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "stamp_int.h"

/* a hex digit's value times 16, and 0x200; 0: not a hex digit */
static const unsigned short hex_hi[256] = {
    ['0'] = 0x200, ['1'] = 0x210, ['2'] = 0x220, ['3'] = 0x230, ['4'] = 0x240, ['5'] = 0x250,
    ['6'] = 0x260, ['7'] = 0x270, ['8'] = 0x280, ['9'] = 0x290, ['a'] = 0x2a0, ['b'] = 0x2b0,
    ['c'] = 0x2c0, ['d'] = 0x2d0, ['e'] = 0x2e0, ['f'] = 0x2f0, ['A'] = 0x2a0, ['B'] = 0x2b0,
    ['C'] = 0x2c0, ['D'] = 0x2d0, ['E'] = 0x2e0, ['F'] = 0x2f0};
/* a hex digit's value, and 0x400; 0: not a hex digit */
static const unsigned short hex_lo[256] = {
    ['0'] = 0x400, ['1'] = 0x401, ['2'] = 0x402, ['3'] = 0x403, ['4'] = 0x404, ['5'] = 0x405,
    ['6'] = 0x406, ['7'] = 0x407, ['8'] = 0x408, ['9'] = 0x409, ['a'] = 0x40a, ['b'] = 0x40b,
    ['c'] = 0x40c, ['d'] = 0x40d, ['e'] = 0x40e, ['f'] = 0x40f, ['A'] = 0x40a, ['B'] = 0x40b,
    ['C'] = 0x40c, ['D'] = 0x40d, ['E'] = 0x40e, ['F'] = 0x40f};

/* the n digits at at (n even) decoded into a new buffer: NULL when one is
 * not a hex digit (one pass: each pair's two table values or-ed, the
 * digits' marks 0x200 and 0x400 kept through all pairs and looked at once
 * at the end) */
static unsigned char *
hex_decoded(const unsigned char *at, size_t n)
{
    unsigned char *b = malloc(n / 2 + 1);
    unsigned all = 0x600;

    if (b == NULL)
        abort();
    for (size_t i = 0; i < n / 2; i++) {
        unsigned x = (unsigned)hex_hi[at[2 * i]] | hex_lo[at[2 * i + 1]];

        all &= x;
        b[i] = (unsigned char)x;
    }
    if (all != (all | 0x600)) {
        free(b);
        return NULL;
    }
    return b;
}

/* the ends of the revisions: just after each %%EOF and its end of line,
 * found in the mapped file by memchr of its '%' (rare in the binary
 * streams that make most of a long file's bytes) */
static int
revisions(const unsigned char *m, long long size, long long *ends, int max)
{
    const unsigned char *p = m, *lim = m + size;
    int n = 0;

    while (n < max && lim - p >= 5 && (p = memchr(p, '%', (size_t)(lim - p - 4))) != NULL) {
        long long end;

        if (memcmp(p, "%%EOF", 5) != 0) {
            p++;
            continue;
        }
        end = p - m + 5;
        if (end + 1 < size && m[end] == '\r' && m[end + 1] == '\n')
            end += 2;
        else if (end < size && (m[end] == '\r' || m[end] == '\n'))
            end += 1;
        if (n == 0 || ends[n - 1] != end)
            ends[n++] = end;
        p += 5;
    }
    return n;
}

/* a PDF date (D:YYYYMMDDHHmmSS+HH'mm') as UTC; 0 when unreadable */
static time_t
pdf_date(const char *s)
{
    struct tm tm;
    int off = 0, sign = 0, hh = 0, mm = 0;

    memset(&tm, 0, sizeof(tm));
    if (strncmp(s, "D:", 2) == 0)
        s += 2;
    if (sscanf(s, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) < 3)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    if (strlen(s) > 14 && (s[14] == '+' || s[14] == '-')) {
        sign = s[14] == '+' ? 1 : -1;
        sscanf(s + 15, "%2d'%2d", &hh, &mm);
        off = sign * (hh * 3600 + mm * 60);
    }
    return timegm(&tm) - off;
}

struct found {
    /* core/pdf's: the signature's /V (NULL: named, but its text is not one
     * PDF object), its widget */
    const struct pdf_obj *v, *widget;
    const char *name;
    int obj_field, gen_field, obj_v;
    /* /V's /Contents: the file's text [a, b) of the hex string (its digits
     * only, an even number) it was decoded from; -1 when not */
    long long contents_a, contents_b;
};

struct found_list {
    struct hall_pool *pool;
    struct found *out;
    int n, max;
    int over; /* a signature past max: the file is not verified */
    const unsigned char *map;
};

/* a key there whose value is not null (as libqpdf's has_key reads it) */
static int
has_key(struct pdf_doc *d, const struct pdf_obj *dict, const char *key)
{
    const struct pdf_obj *o = pdf_key(d, dict, key);

    return o != NULL && o->type != PDF_NULL;
}

/* the text [a, b) of /V's /Contents when /V is in the file (not in an
 * object stream) and /Contents a direct hex string of digits only */
static void
contents_text(struct pdf_doc *d, const unsigned char *map, const struct pdf_obj *vref,
              const struct pdf_obj *v, struct found *out)
{
    const struct pdf_obj *c = pdf_dict_get(v, "/Contents");
    long long off;

    out->contents_a = out->contents_b = -1;
    if (vref->type != PDF_REF || pdf_where(d, (int)vref->i, &off) != 1 || c == NULL ||
        c->type != PDF_STRING || c->b - c->a != 2 * (long long)c->len + 2 || map[c->a] != '<')
        return;
    for (long long k = c->a + 1; k < c->b - 1; k++) {
        unsigned char x = map[k] | 0x20;

        if (!((x >= '0' && x <= '9') || (x >= 'a' && x <= 'f')))
            return;
    }
    out->contents_a = c->a;
    out->contents_b = c->b;
}

/* a signed field (its /V a dictionary) kept with its widget and name;
 * any other field with children is gone into */
static int
found_sig(struct pdf_doc *d, const struct stamp_field *sf, int is_sig, void *arg)
{
    struct found_list *l = arg;
    const struct pdf_obj *vref = pdf_dict_get(sf->f, "/V"), *v = pdf_resolve(d, vref);
    struct found *out;

    /* a signature whose /V does not read is one, and fails check 1 */
    if (!is_sig || (v == NULL && (vref == NULL || vref->type != PDF_REF)) ||
        (v != NULL && v->type != PDF_DICT))
        return sf->kids->type == PDF_ARRAY;
    if (l->n >= l->max) {
        l->over = 1;
        return -1;
    }
    out = &l->out[l->n];
    out->v = v;
    out->widget = has_key(d, sf->f, "/Rect") || sf->kids->type != PDF_ARRAY ? sf->f
                  : sf->kids->n > 0 ? pdf_resolve(d, sf->kids->items[0])
                                    : &pdf_null;
    if (out->widget == NULL)
        out->widget = &pdf_null;
    out->name = hall_pstrdup(l->pool, pdf_text_utf8(l->pool, pdf_key(d, sf->f, "/T")));
    out->obj_field = sf->num;
    out->gen_field = sf->gen;
    out->obj_v = pdf_ref_num(vref);
    out->contents_a = out->contents_b = -1;
    if (v != NULL)
        contents_text(d, l->map, vref, v, out);
    l->n++;
    return 0;
}

/* the CMS's one signer and its certificate, named in s */
static X509 *
cms_signer(struct hall_pool *pool, CMS_SignerInfo *si, STACK_OF(X509) * certs,
           struct hall_stamp_sig *s)
{
    X509 *signer = NULL;
    int i;

    for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) {
            signer = sk_X509_value(certs, i);
            break;
        }
    if (signer == NULL) {
        s->signature = HALL_STAMP_FAIL;
        s->problem = "签名数据中没有签章人证书";
        return NULL;
    }
    stamp_signer_named(pool, signer, s);
    return signer;
}

/* check 2a: messageDigest against the ranges, streamed */
static int
cms_digest(const struct stamp_rdig *rd, CMS_SignerInfo *si, struct hall_stamp_sig *s)
{
    X509_ALGOR *dig_alg = NULL, *sig_alg = NULL;
    const EVP_MD *mdt;
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    ASN1_OCTET_STRING *mdv;
    const char *why = NULL;

    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig_alg, &sig_alg);
    mdt = dig_alg != NULL ? EVP_get_digestbyobj(dig_alg->algorithm) : NULL;
    mdv = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
                                      V_ASN1_OCTET_STRING);
    s->digest = HALL_STAMP_FAIL;
    if (mdt == NULL || mdv == NULL) {
        s->problem = "签名数据缺少文档摘要（messageDigest）";
        return HALL_ERR;
    }
    if (stamp_rdig_get(rd, mdt, h, &hl, &why) != HALL_OK) {
        s->problem = why;
        return HALL_ERR;
    }
    if ((int)hl != ASN1_STRING_length(mdv) || memcmp(h, ASN1_STRING_get0_data(mdv), hl) != 0) {
        s->problem = "签名后文档内容被改动（摘要不符）";
        return HALL_ERR;
    }
    s->digest = HALL_STAMP_PASS;
    return HALL_OK;
}

/* check 2c: signingCertificateV2 names the signer */
static enum hall_stamp_check
cms_signing_cert(CMS_SignerInfo *si, X509 *signer)
{
    ASN1_STRING *scv2 = CMS_signed_get0_data_by_OBJ(
        si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3, V_ASN1_SEQUENCE);
    const unsigned char *p2;
    ESS_SIGNING_CERT_V2 *ss = NULL;
    STACK_OF(X509) *one = sk_X509_new_null();
    enum hall_stamp_check c;

    if (scv2 != NULL) {
        p2 = ASN1_STRING_get0_data(scv2);
        ss = d2i_ESS_SIGNING_CERT_V2(NULL, &p2, ASN1_STRING_length(scv2));
    }
    if (one == NULL || sk_X509_push(one, signer) <= 0)
        abort();
    c = ss != NULL && OSSL_ESS_check_signing_certs(NULL, ss, one, 1) > 0 ? HALL_STAMP_PASS
                                                                         : HALL_STAMP_FAIL;
    ESS_SIGNING_CERT_V2_free(ss);
    sk_X509_free(one);
    return c;
}

/* check 5: signer -> CA -> a root (or the demo root), at the signing time
 * when a timestamp proves it */
static void
check_chain(X509 *signer, STACK_OF(X509) * certs, const struct hall_stamp_trust *trust,
            struct hall_stamp_sig *s, time_t now)
{
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    int i;

    if (untrusted == NULL)
        abort();
    for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
        sk_X509_push(untrusted, sk_X509_value(certs, i));
    for (i = 0; trust->cas != NULL && i < sk_X509_num(trust->cas); i++)
        sk_X509_push(untrusted, sk_X509_value(trust->cas, i));
    for (int pass = 0; pass < 2 && s->chain != HALL_STAMP_PASS; pass++) {
        X509_STORE *st = X509_STORE_new();
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        int added = 0;

        if (st == NULL || ctx == NULL)
            abort();
        if (pass == 0)
            for (i = 0; trust->roots != NULL && i < sk_X509_num(trust->roots); i++)
                added += X509_STORE_add_cert(st, sk_X509_value(trust->roots, i)) == 1;
        else if (trust->demo_root != NULL)
            added += X509_STORE_add_cert(st, trust->demo_root) == 1;
        stamp_memo_store(trust->memo, st);
        if (added > 0 && X509_STORE_CTX_init(ctx, st, signer, untrusted) == 1) {
            X509_STORE_CTX_set_time(ctx, 0, s->signing_time != 0 ? s->signing_time : now);
            if (X509_verify_cert(ctx) == 1) {
                s->chain = HALL_STAMP_PASS;
                s->demo = pass == 1;
            }
        }
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(st);
    }
    if (s->chain != HALL_STAMP_PASS)
        s->chain = HALL_STAMP_FAIL;
    sk_X509_free(untrusted);
}

/* checks 2-5 of one signature's CMS (der); certs: those it carries when
 * sig_md split them off (stamp_memo_signed_data), else NULL; both freed */
static void
check_cms(struct hall_pool *pool, const struct stamp_rdig *rd, CMS_ContentInfo *cms,
          STACK_OF(X509) * certs, const struct hall_stamp_trust *trust, struct hall_stamp_sig *s,
          time_t now)
{
    STACK_OF(CMS_SignerInfo) * sis;
    CMS_SignerInfo *si;
    X509 *signer;
    ASN1_OBJECT *seal_obj = OBJ_txt2obj(STAMP_OID_SEAL_ATTR, 1);
    ASN1_STRING *seal_der, *tst_der;
    ASN1_OCTET_STRING *sv;

    if (cms == NULL || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
        (sis = CMS_get0_SignerInfos(cms)) == NULL || sk_CMS_SignerInfo_num(sis) != 1) {
        s->digest = HALL_STAMP_FAIL;
        s->problem = "签名数据（CMS）无法解析";
        goto out;
    }
    si = sk_CMS_SignerInfo_value(sis, 0);
    if (certs == NULL)
        certs = CMS_get1_certs(cms);
    signer = cms_signer(pool, si, certs, s);
    if (signer == NULL || cms_digest(rd, si, s) != HALL_OK)
        goto out;
    CMS_SignerInfo_set1_signer_cert(si, signer);
    if ((s->problem = stamp_check_alg(pool, signer)) != NULL) {
        s->signature = HALL_STAMP_CANNOT; /* 无法验证: judge() */
        goto out;
    }
    if (CMS_SignerInfo_verify(si) != 1) {
        s->signature = HALL_STAMP_FAIL;
        s->problem = "签名值验证失败";
        goto out;
    }
    s->signature = HALL_STAMP_PASS;
    s->signing_cert = cms_signing_cert(si, signer);
    seal_der = CMS_signed_get0_data_by_OBJ(si, seal_obj, -3, V_ASN1_SEQUENCE);
    if (seal_der != NULL)
        stamp_check_seal(pool, ASN1_STRING_get0_data(seal_der),
                         (size_t)ASN1_STRING_length(seal_der), signer, trust, s);
    tst_der = CMS_unsigned_get0_data_by_OBJ(si, OBJ_nid2obj(NID_id_smime_aa_timeStampToken), -3,
                                            V_ASN1_SEQUENCE);
    sv = CMS_SignerInfo_get0_signature(si);
    if (tst_der != NULL)
        stamp_check_timestamp(pool, ASN1_STRING_get0_data(tst_der), ASN1_STRING_length(tst_der),
                              ASN1_STRING_get0_data(sv), ASN1_STRING_length(sv), trust, s);
    else
        s->timestamp = HALL_STAMP_FAIL;
    check_chain(signer, certs, trust, s, now);
out:
    sk_X509_pop_free(certs, X509_free);
    ASN1_OBJECT_free(seal_obj);
    CMS_ContentInfo_free(cms);
}

/*
 * A document timestamp (/SubFilter /ETSI.RFC3161, PAdES B-LTA): the token's
 * imprint is the digest of the two ranges, its signature verifies with the
 * certificate it carries (checks 2), and that TSA chains to a root given
 * (check 3).  It carries no seal: it is judged by the timestamp alone.
 */
static void
check_doc_ts(struct hall_pool *pool, const struct stamp_rdig *rd, const unsigned char *der,
             size_t der_len, const struct hall_stamp_trust *trust, struct hall_stamp_sig *s)
{
    const unsigned char *cp = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &cp, (long)der_len);
    PKCS7 *tok = NULL;
    TS_TST_INFO *ti = NULL;
    const EVP_MD *mdt;
    const char *why = NULL;
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    ASN1_OCTET_STRING *want;
    X509_ALGOR *alg;

    s->doc_timestamp = 1;
    s->digest = s->signature = HALL_STAMP_FAIL;
    s->signing_cert = s->seal = HALL_STAMP_NOT_DONE;
    cp = der;
    tok = d2i_PKCS7(NULL, &cp, (long)der_len);
    ti = tok != NULL ? PKCS7_to_TS_TST_INFO(tok) : NULL;
    if (cms == NULL || ti == NULL) {
        s->problem = "文档时间戳无法解析";
        goto out;
    }
    alg = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(ti));
    want = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(ti));
    mdt = alg != NULL ? EVP_get_digestbyobj(alg->algorithm) : NULL;
    if (mdt != NULL && stamp_rdig_get(rd, mdt, h, &hl, &why) != HALL_OK && rd != NULL &&
        rd->state == RDIG_OVER) {
        s->problem = why;
        goto out;
    }
    if (mdt == NULL || why != NULL || want == NULL || (int)hl != ASN1_STRING_length(want) ||
        memcmp(h, ASN1_STRING_get0_data(want), hl) != 0) {
        s->problem = "签名后文档内容被改动（文档时间戳的摘要不符）";
        goto out;
    }
    s->digest = HALL_STAMP_PASS;
    if (CMS_verify(cms, NULL, NULL, NULL, NULL, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
        s->problem = "文档时间戳的签名值验证失败";
        goto out;
    }
    s->signature = HALL_STAMP_PASS;
    {
        TS_VERIFY_CTX *vc = TS_VERIFY_CTX_new();
        X509_STORE *st = X509_STORE_new();
        STACK_OF(X509) *tcerts = tok->d.sign != NULL ? tok->d.sign->cert : NULL;

        if (vc == NULL || st == NULL)
            abort();
        for (int i = 0; trust->roots != NULL && i < sk_X509_num(trust->roots); i++)
            X509_STORE_add_cert(st, sk_X509_value(trust->roots, i));
        stamp_memo_store(trust->memo, st);
        TS_VERIFY_CTX_set_flags(vc, TS_VFY_SIGNATURE | TS_VFY_VERSION | TS_VFY_SIGNER);
        TS_VERIFY_CTX_set_store(vc, st);
        s->timestamp = TS_RESP_verify_token(vc, tok) == 1 ? HALL_STAMP_PASS : HALL_STAMP_FAIL;
        s->chain = s->timestamp;
        s->signing_time = stamp_asn1_time(TS_TST_INFO_get_time(ti));
        if (tcerts != NULL && sk_X509_num(tcerts) > 0)
            stamp_tsa_named(pool, sk_X509_value(tcerts, 0), s);
        TS_VERIFY_CTX_free(vc);
    }
out:
    TS_TST_INFO_free(ti);
    PKCS7_free(tok);
    CMS_ContentInfo_free(cms);
}

/* the digest algorithm a signature's /Contents names for its ranges (read
 * before the one pass; each check reads it again, and a mismatch fails);
 * a CMS, parsed, kept in *cms for its checks (check_cms frees it), its
 * certificates in *certs when m split them off (stamp_memo_signed_data) */
static const EVP_MD *
sig_md(struct stamp_memo *m, const char *filter, const unsigned char *der, size_t der_len,
       CMS_ContentInfo **keep, STACK_OF(X509) * *certs)
{
    const unsigned char *cp = der;
    const EVP_MD *md = NULL;

    if (strcmp(filter, STAMP_SES_SUBFILTER) == 0)
        return EVP_sm3();
    if (strcmp(filter, "ETSI.RFC3161") == 0) {
        PKCS7 *tok = d2i_PKCS7(NULL, &cp, (long)der_len);
        TS_TST_INFO *ti = tok != NULL ? PKCS7_to_TS_TST_INFO(tok) : NULL;
        X509_ALGOR *alg =
            ti != NULL ? TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(ti)) : NULL;

        md = alg != NULL ? EVP_get_digestbyobj(alg->algorithm) : NULL;
        TS_TST_INFO_free(ti);
        PKCS7_free(tok);
    } else {
        unsigned char *bare = NULL;
        size_t bare_len = 0;
        CMS_ContentInfo *cms;
        STACK_OF(CMS_SignerInfo) * sis;
        X509_ALGOR *dig_alg = NULL;

        if (stamp_memo_signed_data(m, der, der_len, &bare, &bare_len, certs)) {
            cp = bare;
            der_len = bare_len;
        }
        cms = d2i_CMS_ContentInfo(NULL, &cp, (long)der_len);
        sis = cms != NULL ? CMS_get0_SignerInfos(cms) : NULL;
        free(bare);

        if (sis != NULL && sk_CMS_SignerInfo_num(sis) == 1) {
            CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, NULL, &dig_alg, NULL);
            md = dig_alg != NULL ? EVP_get_digestbyobj(dig_alg->algorithm) : NULL;
        }
        *keep = cms;
    }
    return md;
}

static int
sig_order(const void *a, const void *b)
{
    const struct hall_stamp_sig *x = a, *y = b;
    long long ex = x->byte_range[2] + x->byte_range[3], ey = y->byte_range[2] + y->byte_range[3];

    return (ex > ey) - (ex < ey);
}

/* the state from the document alone (docs/internals/stamp.md §3) */
static void
judge(struct hall_pool *pool, struct hall_stamp_sig *s)
{
    if (s->range != HALL_STAMP_PASS || s->digest != HALL_STAMP_PASS ||
        (s->signature != HALL_STAMP_PASS && s->signature != HALL_STAMP_CANNOT) ||
        s->later_changes) {
        s->state = HALL_STAMP_MODIFIED;
        if (s->problem == NULL || s->problem[0] == '\0')
            s->problem = s->later_changes ? hall_psprintf(pool, "签章后文档被修改：%s", s->changes)
                                          : "签名覆盖范围不正确";
        return;
    }
    if (s->signature == HALL_STAMP_CANNOT) {
        s->state = HALL_STAMP_UNSUPPORTED; /* the problem names the algorithm */
        return;
    }
    if (s->doc_timestamp) {
        s->state = s->timestamp == HALL_STAMP_PASS ? HALL_STAMP_VALID : HALL_STAMP_FOREIGN;
        s->problem = s->timestamp == HALL_STAMP_PASS ? "" : "文档时间戳不是本CA时间戳服务签发";
        return;
    }
    if (s->chain == HALL_STAMP_PASS && s->demo) {
        s->state = HALL_STAMP_DEMO;
        s->problem = "体验印章，不具法律效力";
        return;
    }
    if (!s->is_stamp && s->chain == HALL_STAMP_PASS) {
        /* the hall's certificate, chained to its root, signing without a
         * seal: say what it is, not 非本CA签发 */
        s->state = HALL_STAMP_CA_SIGNATURE;
        s->problem = "本CA证书的数字签名，非电子印章：签名人证书由本CA签发，签名中没有电子印章";
    } else if (!s->is_stamp) {
        s->state = HALL_STAMP_FOREIGN;
        s->problem = "不是本CA的电子印章签章";
    } else if (s->chain != HALL_STAMP_PASS) {
        s->state = HALL_STAMP_FOREIGN;
        s->problem = "签章人证书不是本CA签发";
    } else if (s->signing_cert != HALL_STAMP_PASS) {
        s->state = HALL_STAMP_FOREIGN;
        s->problem = "签名未标明签章人证书（signingCertificateV2）";
    } else if (s->timestamp != HALL_STAMP_PASS) {
        s->state = HALL_STAMP_FOREIGN;
        s->problem = "缺少本CA时间戳服务签发的有效时间戳";
    } else if (s->seal != HALL_STAMP_PASS) {
        s->state = HALL_STAMP_FOREIGN;
        s->problem = "印章无效或未列出签章人证书";
    } else {
        s->state = HALL_STAMP_VALID;
        s->problem = "";
    }
}

int
hall_stamp_verify_fd(struct hall_pool *pool, int fd, const struct hall_stamp_trust *trust,
                     struct hall_stamp_report *rep, char *err, size_t errlen)
{
    char path[64];

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    return hall_stamp_verify_file(pool, path, trust, rep, err, errlen);
}

/* what the document's signatures are read against */
struct vdoc {
    int fd;
    long long size;
    unsigned char *map; /* the file, mapped: core/pdf reads it from there (no seek and
                         * read per object), the later revisions' sections, the prefixes */
    long long *ends;    /* the revisions' ends */
    int nrev;
    int *page_ids; /* the pages' object numbers */
    int npages;
    /* the whole file as core/pdf reads it (its last revision): what the
     * verifier reads, opened once */
    struct pdf_doc *pd;
    /* the file read once for every revision's view (pdf_file.c): pd is
     * its view at the file's end, and stamp_diff.c's revisions its others */
    struct pdf_file *file;
    int pd_view;
};

/* the file opened, a PDF, read by core/pdf, its revisions found */
static int
verify_open(struct hall_pool *pool, struct vdoc *v, const char *path, struct hall_stamp_report *rep,
            char *err, size_t errlen)
{
    struct stat sb;
    unsigned char head[1024];

    v->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (v->fd < 0 || fstat(v->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "无法读取文件");
        return HALL_ERR;
    }
    v->size = rep->file_size = (long long)sb.st_size;
    if (sb.st_size < 16 || sb.st_size > HALL_STAMP_PDF_MAX ||
        hall_pread_all(v->fd, head, sb.st_size < 1024 ? (size_t)sb.st_size : 1024, 0) != HALL_OK ||
        memmem(head, sb.st_size < 1024 ? (size_t)sb.st_size : 1024, "%PDF-", 5) == NULL) {
        snprintf(err, errlen, "文件不是PDF文件（或大于200MB）");
        return HALL_ERR;
    }
    v->map = mmap(NULL, (size_t)v->size, PROT_READ, MAP_PRIVATE, v->fd, 0);
    if (v->map == MAP_FAILED) {
        v->map = NULL;
        snprintf(err, errlen, "无法读取文件");
        return HALL_ERR;
    }
    v->file = pdf_file_open(pool, v->map, v->size);
    v->pd = pdf_file_doc(v->file, v->size, err, errlen);
    v->pd_view = v->pd != NULL && pdf_page_count(v->pd) > 0;
    /* what it does not read, pdf_open's reading and its words */
    if (!v->pd_view)
        v->pd = stamp_pdf_open(pool, v->map, (size_t)v->size, err, errlen);
    if (v->pd == NULL)
        return HALL_ERR;
    v->npages = pdf_page_count(v->pd);
    v->ends = malloc(sizeof(*v->ends) * 4096);
    if (v->ends == NULL)
        abort();
    v->nrev = revisions(v->map, v->size, v->ends, 4096);
    if (v->nrev <= 0) {
        snprintf(err, errlen, "PDF文件已损坏：没有文件结束标记（%%%%EOF）");
        return HALL_ERR;
    }
    rep->revisions = v->nrev;
    v->page_ids = calloc((size_t)v->npages, sizeof(int));
    if (v->page_ids == NULL)
        abort();
    for (int i = 0; i < v->npages; i++)
        pdf_page(v->pd, i + 1, &v->page_ids[i]);
    return HALL_OK;
}

/* the file's /DSS read through core/pdf into rep */
static void
verify_dss(struct hall_pool *pool, struct vdoc *v, struct hall_stamp_report *rep)
{
    stamp_dss_read_pdf(pool, v->pd, hall_pcalloc(pool, sizeof(struct hall_stamp_evidence)), rep);
}

/* the field's name, /SubFilter, /M, page and /Rect */
static void
sig_meta(struct hall_pool *pool, struct vdoc *v, const struct found *f, struct hall_stamp_sig *s)
{
    struct pdf_doc *d = v->pd;
    const struct pdf_obj *sf = pdf_key(d, f->v, "/SubFilter"), *m = pdf_key(d, f->v, "/M"),
                         *p = pdf_dict_get(f->widget, "/P"), *rect = pdf_key(d, f->widget, "/Rect");
    int j;

    s->field = f->name;
    s->problem = "";
    s->after = "";
    s->changes = "";
    s->overlap = "";
    s->covered = "";
    s->obj_field = f->obj_field;
    s->obj_v = f->obj_v;
    s->filter = sf != NULL && sf->type == PDF_NAME ? hall_pstrdup(pool, sf->s + 1) : "";
    s->claimed_time = m != NULL && m->type == PDF_STRING ? pdf_date(pdf_text_utf8(pool, m)) : 0;
    for (j = 0; j < v->npages; j++)
        if (v->page_ids[j] == pdf_ref_num(p) && v->page_ids[j] > 0)
            s->page = j + 1;
    if (rect != NULL && rect->type == PDF_ARRAY && rect->n == 4)
        for (j = 0; j < 4; j++)
            pdf_num(pdf_resolve(d, rect->items[j]), &s->rect[j]);
    stamp_qifeng_read(pool, d, f->obj_field, f->gen_field, v->page_ids, v->npages, s);
}

/* the gap (gl bytes at off, gl = 2 * clen + 2) is exactly /Contents' hex
 * string (cval, clen): its digits decoded in one table pass
 * (hex_decoded) */
static int
gap_is_contents(int fd, long long off, size_t gl, const char *cval, size_t clen)
{
    unsigned char *gap = malloc(gl), *bin = NULL;
    int ok;

    if (gap == NULL)
        abort();
    ok = gl == 2 * clen + 2 && hall_pread_all(fd, gap, gl, off) == HALL_OK && gap[0] == '<' &&
         gap[gl - 1] == '>' && (bin = hex_decoded(gap + 1, 2 * clen)) != NULL &&
         memcmp(bin, cval, clen) == 0;
    free(gap);
    free(bin);
    return ok;
}

/* check 1: /ByteRange well formed, its gap /Contents, its end a revision's;
 * *cval and *clen: /Contents' bytes (in pool when it passed) */
static int
sig_range(struct hall_pool *pool, const struct vdoc *v, const struct found *f,
          struct hall_stamp_sig *s, const char **cval, size_t *clen)
{
    const struct pdf_obj *br = pdf_key(v->pd, f->v, "/ByteRange"),
                         *contents = pdf_key(v->pd, f->v, "/Contents");
    long long end;
    int j;

    (void)pool;
    s->range = HALL_STAMP_FAIL;
    if (f->v == NULL) {
        s->problem = "签名字典（/V）不符合PDF语法，无法读取";
        return HALL_ERR;
    }
    if (br == NULL || br->type != PDF_ARRAY || br->n != 4 || contents == NULL ||
        contents->type != PDF_STRING) {
        s->problem = "签名缺少/ByteRange或/Contents";
        return HALL_ERR;
    }
    for (j = 0; j < 4; j++) {
        const struct pdf_obj *it = pdf_resolve(v->pd, br->items[j]);

        s->byte_range[j] = it != NULL && it->type == PDF_INT ? it->i : -1;
    }
    *cval = contents->s; /* in the pool, as long as the document */
    *clen = contents->len;
    end = s->byte_range[2] + s->byte_range[3];
    if (s->byte_range[0] != 0 || s->byte_range[1] <= 0 || s->byte_range[2] <= s->byte_range[1] ||
        s->byte_range[3] < 0 || end > v->size ||
        s->byte_range[2] - s->byte_range[1] != 2 * (long long)*clen + 2 || *clen == 0 ||
        2 * *clen > STAMP_CONTENTS_MAX) {
        s->problem = "签名覆盖范围（/ByteRange）不正确";
        return HALL_ERR;
    }
    /* /V read by us with /Contents decoded from the gap's own digits: the
     * gap decodes to it, nothing to read again (docs/internals/stamp.md §3) */
    if ((f->contents_a != s->byte_range[1] || f->contents_b != s->byte_range[2]) &&
        !gap_is_contents(v->fd, s->byte_range[1], (size_t)(s->byte_range[2] - s->byte_range[1]),
                         *cval, *clen)) {
        s->problem = "签名覆盖范围与签名值位置不符";
        return HALL_ERR;
    }
    /* the revision it closes: its second range ends just after a %%EOF,
     * with or without that line's end */
    s->revision_end = -1;
    for (j = 0; j < v->nrev; j++)
        if (end >= v->ends[j] - 2 && end <= v->ends[j] && end >= 5)
            s->revision_end = v->ends[j];
    if (s->revision_end < 0) {
        s->problem = "签名覆盖范围未止于文件的一个修订版本末尾";
        return HALL_ERR;
    }
    s->range = HALL_STAMP_PASS;
    return HALL_OK;
}

/*
 * What follows signature i (the later ones are judged first): the later
 * revisions compared with its own, object by object (stamp_diff.c); what a
 * later signature's own verdict found after it holds for this one too.
 */
static void
sig_after(struct hall_pool *pool, const struct vdoc *v, const char *what,
          struct hall_stamp_report *rep, int i)
{
    struct hall_stamp_sig *s = &rep->sigs[i];
    int later_revs = 0, j;

    for (j = 0; j < v->nrev; j++)
        later_revs += v->ends[j] > s->revision_end;
    for (j = i + 1; j < rep->nsigs; j++)
        s->later_sigs += rep->sigs[j].range == HALL_STAMP_PASS;
    s->covers_to_end = later_revs == 0 && s->revision_end >= rep->file_size - 2;
    if (what == NULL && v->ends[v->nrev - 1] < rep->file_size - 2)
        what = "文件末尾有签章后追加的内容";
    for (j = i + 1; what == NULL && j < rep->nsigs; j++)
        if (rep->sigs[j].later_changes)
            what = hall_psprintf(pool, "签章%d之后：%s", rep->sigs[j].index, rep->sigs[j].changes);
    s->later_changes = what != NULL;
    s->changes = what != NULL ? what : "";
    if (s->later_changes)
        s->after = s->later_sigs > 0 ? hall_psprintf(pool, "其后追加了%d个签章，并有其他修改：%s",
                                                     s->later_sigs, what)
                                     : hall_psprintf(pool, "其后文档有其他修改：%s", what);
    else if (s->later_sigs > 0)
        s->after = hall_psprintf(pool, "其后追加了%d个签章", s->later_sigs);
}

/* the "sneaky signature": a later stamp's widget over an earlier one's, or
 * over the page's text (told to the earlier stamps) */
static void
sig_overlaps(struct hall_pool *pool, struct vdoc *v, struct hall_stamp_report *rep)
{
    for (int j = 1; j < rep->nsigs && j <= 16; j++) { /* each reads its page's content */
        struct hall_stamp_sig *b = &rep->sigs[j];

        if (b->page == 0 || b->rect[2] - b->rect[0] <= 1 || b->rect[3] - b->rect[1] <= 1)
            continue;
        /* the page read by core/pdf (NULL: the file cannot be, no text) */
        if (!stamp_text_under(v->pd, b->page, b->rect))
            continue;
        for (int i = 0; i < j; i++) {
            struct hall_stamp_sig *a = &rep->sigs[i];

            if (a->covered[0] == '\0')
                a->covered =
                    hall_psprintf(pool, "其后的签章%d的外观覆盖了第%d页的文字，请核对其下的内容",
                                  b->index, b->page);
        }
    }
    for (int i = 0; i < rep->nsigs; i++)
        for (int j = i + 1; j < rep->nsigs; j++) {
            struct hall_stamp_sig *a = &rep->sigs[i], *b = &rep->sigs[j];
            double w, h;

            if (a->page == 0 || a->page != b->page)
                continue;
            w = (a->rect[2] < b->rect[2] ? a->rect[2] : b->rect[2]) -
                (a->rect[0] > b->rect[0] ? a->rect[0] : b->rect[0]);
            h = (a->rect[3] < b->rect[3] ? a->rect[3] : b->rect[3]) -
                (a->rect[1] > b->rect[1] ? a->rect[1] : b->rect[1]);
            if (w <= 1 || h <= 1)
                continue;
            if (a->overlap[0] == '\0')
                a->overlap =
                    hall_psprintf(pool, "其后的签章%d的外观与本签章在第%d页重叠，可能遮盖本签章",
                                  b->index, a->page);
            if (b->overlap[0] == '\0')
                b->overlap = hall_psprintf(pool, "本签章的外观与之前的签章%d在第%d页重叠", a->index,
                                           b->page);
        }
}

int
hall_stamp_verify_file(struct hall_pool *pool, const char *path,
                       const struct hall_stamp_trust *trust, struct hall_stamp_report *rep,
                       char *err, size_t errlen)
{
    struct vdoc v;
    struct stamp_in in;             /* the file the later revisions are judged in: this file's */
    struct stamp_diff *diff = NULL; /* the comparisons, stamp_diff.c's */
    struct stamp_xsecs xs;          /* the sections read, stamp_xref.c's */
    struct found *found = NULL;
    struct stamp_rdig *rd = NULL;
    const char **cvals = NULL, **whats = NULL;
    size_t *clens = NULL;
    CMS_ContentInfo **cmss = NULL;  /* each CMS parsed once: its digest's algorithm, its checks */
    STACK_OF(X509) **certss = NULL; /* the certificates each carries, split off (sig_md) */
    int nfound = 0, seen = 0, over = 0, i, rc = HALL_ERR;
    time_t now = trust->now != 0 ? trust->now : time(NULL);
    const struct pdf_obj *acro;
    struct stamp_memo memo; /* this file's, for its signatures (stamp_memo.c) */
    struct hall_stamp_trust tr = *trust;

    memset(&memo, 0, sizeof(memo));
    tr.memo = &memo;
    trust = &tr;
    memset(rep, 0, sizeof(*rep));
    memset(&v, 0, sizeof(v));
    memset(&in, 0, sizeof(in));
    memset(&xs, 0, sizeof(xs));
    v.fd = -1;
    if (verify_open(pool, &v, path, rep, err, errlen) != HALL_OK)
        goto out;
    verify_dss(pool, &v, rep);
    found = malloc(sizeof(*found) * HALL_STAMP_SIGS_MAX);
    if (found == NULL)
        abort();
    in.pf = v.pd;
    in.xs = &xs;
    in.file = v.file;
    in.fv = v.pd_view ? v.pd : NULL;
    in.map = v.map;
    in.size = v.size;
    in.ends = v.ends;
    in.nrev = v.nrev;
    in.rep = rep;
    acro = pdf_key(v.pd, pdf_root(v.pd), "/AcroForm");
    if (acro != NULL && acro->type == PDF_DICT) {
        struct found_list l = {pool, found, 0, HALL_STAMP_SIGS_MAX, 0, v.map};

        stamp_fields_each(v.pd, pdf_key(v.pd, acro, "/Fields"), 0, 0, &seen, found_sig, &l);
        nfound = l.n;
        over = l.over || seen >= STAMP_FIELDS_MAX;
    }
    if (over) { /* a signature left out would go unseen */
        if (seen >= STAMP_FIELDS_MAX)
            snprintf(err, errlen, "PDF文件中的表单域超过%d个，超出可核验的数量，未能核验",
                     STAMP_FIELDS_MAX);
        else
            snprintf(err, errlen, "PDF文件中的签名超过%d个，超出可核验的数量，未能核验",
                     HALL_STAMP_SIGS_MAX);
        goto out;
    }
    rep->sigs = hall_pcalloc(pool, sizeof(*rep->sigs) * (size_t)(nfound > 0 ? nfound : 1));
    cvals = calloc((size_t)(nfound > 0 ? nfound : 1), sizeof(*cvals));
    clens = calloc((size_t)(nfound > 0 ? nfound : 1), sizeof(*clens));
    rd = calloc((size_t)(nfound > 0 ? nfound : 1), sizeof(*rd));
    cmss = calloc((size_t)(nfound > 0 ? nfound : 1), sizeof(*cmss));
    certss = calloc((size_t)(nfound > 0 ? nfound : 1), sizeof(*certss));
    if (cvals == NULL || clens == NULL || rd == NULL || cmss == NULL || certss == NULL)
        abort();
    /* check 1 of each, and the digest each asks for (check 2), all read in
     * one pass of the file */
    for (i = 0; i < nfound; i++) {
        struct hall_stamp_sig *s = &rep->sigs[i];

        sig_meta(pool, &v, &found[i], s);
        if (sig_range(pool, &v, &found[i], s, &cvals[i], &clens[i]) != HALL_OK)
            continue;
        rd[i].md = sig_md(&memo, s->filter, (const unsigned char *)cvals[i], clens[i], &cmss[i],
                          &certss[i]);
        rd[i].a = s->byte_range[1];
        rd[i].b = s->byte_range[2];
        rd[i].e = s->byte_range[2] + s->byte_range[3];
    }
    stamp_digests_run(v.fd, v.size, rd, nfound, &rep->hashed);
    for (i = 0; i < nfound; i++) {
        struct hall_stamp_sig *s = &rep->sigs[i];
        const unsigned char *cval = (const unsigned char *)cvals[i];

        if (s->range != HALL_STAMP_PASS)
            continue;
        if (strcmp(s->filter, STAMP_SES_SUBFILTER) == 0)
            stamp_ses_check(pool, &rd[i], cval, clens[i], trust, s, now);
        else if (strcmp(s->filter, "ETSI.RFC3161") == 0)
            check_doc_ts(pool, &rd[i], cval, clens[i], trust, s);
        else
            check_cms(pool, &rd[i], cmss[i], certss[i], trust, s, now);
        cmss[i] = NULL; /* check_cms freed them */
        certss[i] = NULL;
    }
    qsort(rep->sigs, (size_t)nfound, sizeof(rep->sigs[0]), sig_order);
    rep->nsigs = nfound;
    for (i = 0; i < nfound; i++)
        rep->sigs[i].index = i + 1;
    diff = stamp_diff_new(&in);
    /* what follows each, oldest first (the signed revision is rolled
     * forward from one to the next), then told newest first: a later
     * signature's verdict holds for the earlier ones */
    whats = calloc((size_t)(nfound > 0 ? nfound : 1), sizeof(*whats));
    if (whats == NULL)
        abort();
    for (i = 0; i < nfound; i++)
        if (rep->sigs[i].range == HALL_STAMP_PASS) {
            int n = 0;

            whats[i] = stamp_diff_after(pool, diff, rep->sigs[i].revision_end, &n);
        }
    rep->revision_opens = stamp_diff_opens(diff);
    for (i = nfound - 1; i >= 0; i--)
        if (rep->sigs[i].range == HALL_STAMP_PASS)
            sig_after(pool, &v, whats[i], rep, i);
    sig_overlaps(pool, &v, rep);
    for (i = 0; i < nfound; i++)
        judge(pool, &rep->sigs[i]);
    stamp_levels(pool, trust, rep);
    rc = HALL_OK;
out:
    stamp_diff_free(diff);
    stamp_xsecs_free(&xs);
    if (v.map != NULL)
        munmap(v.map, (size_t)v.size);
    free(v.ends);
    free(found);
    for (i = 0; cmss != NULL && i < nfound; i++)
        CMS_ContentInfo_free(cmss[i]);
    for (i = 0; certss != NULL && i < nfound; i++)
        sk_X509_pop_free(certss[i], X509_free);
    free(cmss);
    free(certss);
    free(rd);
    free(cvals);
    free(clens);
    free(whats);
    free(v.page_ids);
    if (v.fd >= 0)
        close(v.fd);
    stamp_memo_free(&memo);
    return rc;
}

/* ---- the verdict: the document's state and the hall's records ---------------- */

static void
note(struct hall_stamp_verdict *v, const char *text)
{
    if (v->nnotes < HALL_STAMP_NOTES_MAX && text != NULL && text[0] != '\0')
        v->notes[v->nnotes++] = text;
}

void
hall_stamp_verdict(struct hall_pool *pool, const struct hall_stamp_sig *s,
                   const struct hall_stamp_records *rec, struct hall_stamp_verdict *v)
{
    int kept;

    memset(v, 0, sizeof(*v));
    v->state = s->state;
    v->problem = s->problem != NULL ? s->problem : "";
    v->signer_at_signing = "";
    /* the file's own evidence (B-LT) speaks for the signing time when the
     * records (fresher) do not say the signer was revoked before it */
    kept = hall_stamp_wants_records(s) &&
           (s->ltv_state == HALL_STAMP_REV_GOOD || s->ltv_state == HALL_STAMP_REV_REVOKED);
    if (rec != NULL && rec->looked_up && hall_stamp_wants_records(s)) {
        if (!rec->cert_known) {
            note(v, "本系统未登记该签章人证书");
        } else if (rec->cert_revoked && s->signing_time != 0 &&
                   rec->cert_revoked_at > s->signing_time) {
            v->signer_at_signing = "有效";
            v->revoked_after = 1;
            note(v,
                 hall_psprintf(pool, "签章人证书于 %s 吊销，晚于签章时间：签章仍有效（签章后吊销）",
                               hall_beijing_time(pool, rec->cert_revoked_at)));
        } else if (rec->cert_revoked) {
            v->signer_at_signing = "已吊销";
            if (v->state == HALL_STAMP_VALID) {
                v->state = HALL_STAMP_REVOKED_BEFORE;
                v->problem = hall_psprintf(pool, "签章人证书于 %s 吊销，早于签章时间",
                                           hall_beijing_time(pool, rec->cert_revoked_at));
            }
        } else {
            v->signer_at_signing = s->signing_time != 0 ? "有效" : "";
        }
        /* the seal as the certificate: the timestamp decides (stamp.md §3) */
        if (!rec->seal_known && s->seal_es_id != NULL) {
            note(v, "本系统未登记该印章");
        } else if (rec->seal_revoked && s->signing_time != 0 &&
                   rec->seal_revoked_at > s->signing_time) {
            v->seal_revoked_after = 1;
            note(v, hall_psprintf(pool, "印章于 %s 注销，晚于签章时间：签章仍有效（签章后注销）",
                                  hall_beijing_time(pool, rec->seal_revoked_at)));
        } else if (rec->seal_revoked && v->state == HALL_STAMP_VALID) {
            v->state = HALL_STAMP_SEAL_REVOKED;
            v->problem = rec->seal_revoked_at != 0
                             ? hall_psprintf(pool, "印章于 %s 注销，早于签章时间",
                                             hall_beijing_time(pool, rec->seal_revoked_at))
                             : "印章已在本CA注销";
        }
        if (rec->seal_unchecked != NULL && s->seal_es_id != NULL)
            note(v, hall_psprintf(pool, "未能查询印章状态（%s）", rec->seal_unchecked));
    } else if (rec != NULL && rec->unchecked != NULL && hall_stamp_wants_records(s) && !kept) {
        /* hall-stamp verify without an answer: the document's verdict, said so */
        note(v, hall_psprintf(pool, "未能查询签章人证书的吊销状态（%s）：需要联网查询吊销状态",
                              rec->unchecked));
    }
    if (kept)
        stamp_verdict_kept(pool, s, v);
    if (s->demo)
        note(v, "免费体验印章：仅供体验，不具法律效力");
    note(v, s->overlap);
    note(v, s->covered);
}

const char *
hall_stamp_after_note(const struct hall_stamp_verdict *v)
{
    if (v->revoked_after && v->seal_revoked_after)
        return "签章后吊销、签章后注销";
    if (v->revoked_after)
        return "签章后吊销";
    if (v->seal_revoked_after)
        return "签章后注销";
    return NULL;
}
