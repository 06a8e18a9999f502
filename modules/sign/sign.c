/*
 * sign: 签名验证, 免费体验 and 驱动和盖章工具下载 (docs/modules/sign.md).
 *
 *   GET  /sign/verify    public: 签名验证, choose a stamped PDF
 *   POST /sign/verify    public: each stamp's verdict (the page, or JSON);
 *                        the PDF (at most 20 MiB) as multipart field
 *                        "file" or as an application/pdf body, spooled to
 *                        disk and read by offsets: memory stays flat
 *   POST /sign/verify?report=pdf  the same as the 验签报告, a PDF
 *                        signed with the hall's 验签专用章 (sign_report.c)
 *   GET  /sign/try       public: 免费体验
 *   POST /sign/try       public (CSRF of the page): a PDF of at most 5 MiB
 *                        stamped with the demo seal under the demo CA,
 *                        sign_try_daily_max a client address a day
 *   GET  /sign/evidence  public: what 在线盖章 keeps in a stamped PDF's /DSS
 *                        (PAdES B-LT): the chain of a certificate the hall
 *                        issued, the TSA's, and a fresh answer of /ocsp
 *   GET  /sign/tools     驱动和盖章工具下载: hall-stamp's packages (make
 *                        stamp-dist: static/downloads/, served by nginx),
 *                        their version, size and SHA-256
 *
 * The stamps are read by the one verifier, core/stamp/stamp_verify.c; this module
 * adds what only the hall's records know: the signer's revocation against
 * the timestamp's time, and the seal's state.  The demo signer's key
 * (demo_dir, script/lib/demo-ca.sh) is the only key the hall stamps
 * documents with; the 验签报告's key (its own token, report_token) signs
 * the hall's reports and nothing else.  The module holds no key of the
 * hall's CA and never reads the CA token's PIN: the timestamps come from
 * the hall's /tsa over HTTP (tsa_url).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sign.h"

#define SIGN_VERIFY_MAX ((size_t)20 * 1024 * 1024) /* 签名验证: 20 MiB */
#define SIGN_TRY_MAX    ((size_t)5 * 1024 * 1024)  /* 免费体验: 5 MiB */

static const struct hall_stmt sign_stmts[] = {
    /* the signer's certificate in the hall's records */
    /* the signer's certificate in the hall's records: its revocation in
     * whole seconds, truncated as OCSP and the CRL write it (SIGN_REVOKED_S),
     * the one source of every time /sign/verify shows for it */
    {"sign_cert", "SELECT state, " SIGN_REVOKED_S " FROM certificates WHERE serial = $1", 1},
    /* the signer's certificate for the rule before a stamp (hall_stamp_may):
     * the second of its revocation as OCSP and the CRL write it */
    {"sign_check_cert",
     "SELECT state, " SIGN_REVOKED_S ","
     " coalesce(revoke_reason, -1) AS reason FROM certificates WHERE serial = $1",
     1},
    /* the certificate whose evidence /sign/evidence gives */
    {"sign_evidence_cert",
     "SELECT ca, der FROM certificates WHERE serial = $1 AND state IN ('issued', 'revoked')"
     " AND der IS NOT NULL",
     1},
    /* the seal in the register */
    {"sign_seal",
     "SELECT state, coalesce(replaced_by, '') AS replaced_by, " SIGN_REVOKED_S ","
     /* the end of the chain of replacements: the seal in use now (R02,
      * not the R01 that was replaced in its turn), as /seal/verify says */
     " coalesce((WITH RECURSIVE ch(es_id, d) AS (SELECT s.replaced_by, 1"
     " UNION ALL SELECT n.replaced_by, ch.d + 1 FROM ch JOIN seseals n ON n.es_id = ch.es_id"
     " WHERE n.replaced_by IS NOT NULL AND ch.d < 64)"
     " SELECT es_id FROM ch ORDER BY d DESC LIMIT 1), '') AS current_seal"
     " FROM seseals s WHERE s.es_id = $1",
     1},
    {NULL, NULL, 0},
};

/* ---- what the module loads before fork ------------------------------------- */

static struct hall_stamp_trust trust;
static X509 *hall_root;          /* the hall's ECDSA root: "the chain to the hall's root" */
static X509 *demo_cert;          /* the demo signer */
static EVP_PKEY *demo_key;       /* its key: the only key the hall stamps with */
static unsigned char *demo_seal; /* demo_dir/demo.seseal (hall-demoseal) */
static X509 *sm2_root;           /* the SM2 root: the sm2 CA's chain (/sign/evidence) */
static X509 *tsa_cert;           /* the hall's TSA (/sign/evidence) */
static char *ocsp_url;           /* ocsp_url: where /sign/evidence asks; NULL: the AIA's */
static size_t demo_seal_len;
static char *tsa_url;

static char *
subject_of(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *s = NULL;
    long n;
    char *p;

    if (b == NULL)
        return NULL;
    if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
        (n = BIO_get_mem_data(b, &p)) > 0) {
        s = malloc((size_t)n + 1);
        if (s != NULL) {
            memcpy(s, p, (size_t)n);
            s[n] = '\0';
        }
    }
    BIO_free(b);
    return s;
}

static char *hall_root_subject, *demo_root_subject;
static char *sm2_root_subject; /* an SM2 stamp's chain ends at the SM2 root */

/* a key or seal file of the module's (4 MiB at most, not empty) */
static int
load_file(const char *path, unsigned char **out, size_t *len, char *err, size_t errlen)
{
    *out = hall_whole_file(path, 4 * 1024 * 1024, len);
    if (*out == NULL || *len == 0) {
        free(*out);
        *out = NULL;
        snprintf(err, errlen, "cannot read %.*s", (int)(errlen > 16 ? errlen - 16 : 0), path);
        return HALL_ERR;
    }
    return HALL_OK;
}

/* the demo signer's key, encrypted with pki_pass_file's passphrase */
static EVP_PKEY *
demo_key_load(const struct hall_conf *conf, char *err, size_t errlen)
{
    char pass[256] = "", *nl;
    const char *path = NULL;
    EVP_PKEY *k = NULL;
    FILE *f;

    if (conf->pki_pass_file != NULL && conf->pki_pass_file[0] != '\0') {
        f = fopen(conf->pki_pass_file, "r");
        if (f == NULL || fgets(pass, sizeof(pass), f) == NULL) {
            if (f != NULL)
                fclose(f);
            snprintf(err, errlen, "cannot read pki_pass_file %s", conf->pki_pass_file);
            return NULL;
        }
        fclose(f);
        nl = strpbrk(pass, "\r\n");
        if (nl != NULL)
            *nl = '\0';
    }
    path = conf->demo_dir;
    {
        char file[4096];

        snprintf(file, sizeof(file), "%s/demo-signer.key", path);
        f = fopen(file, "r");
        if (f != NULL) {
            k = PEM_read_PrivateKey(f, NULL, NULL, pass);
            fclose(f);
        }
        OPENSSL_cleanse(pass, sizeof(pass));
        if (k == NULL)
            snprintf(err, errlen,
                     "demo_dir %s: demo-signer.key cannot be read with pki_pass_file's "
                     "passphrase (script/lib/demo-ca.sh makes it)",
                     path);
    }
    return k;
}

static int
sign_init(struct hall_app *app)
{
    const struct hall_conf *conf = &app->conf;
    char err[512], path[4096];
    X509 *x;

    /* the passphrase, never the CA token's PIN (sign_report.c) */
    if (sign_report_keys_conf(conf, err, sizeof(err)) != HALL_OK)
        goto fail;
    if (hall_seseal_load(conf, 0, err, sizeof(err)) != HALL_OK)
        goto fail;
    trust.roots = sk_X509_new_null();
    trust.cas = sk_X509_new_null();
    if (trust.roots == NULL || trust.cas == NULL)
        abort();
    hall_root = hall_pki_cert_load(conf->pki_dir, "root", NULL);
    if (hall_root == NULL) {
        snprintf(err, sizeof(err), "pki_dir %s: root.crt cannot be read", conf->pki_dir);
        goto fail;
    }
    X509_up_ref(hall_root);
    sk_X509_push(trust.roots, hall_root);
    /* the issuing CAs, which a CMS may leave out */
    x = hall_pki_cert_load(conf->pki_dir, "ecc", NULL);
    if (x != NULL)
        sk_X509_push(trust.cas, x);
    trust.demo_root = hall_pki_cert_load(conf->demo_dir, "demo-root", NULL);
    demo_cert = hall_pki_cert_load(conf->demo_dir, "demo-signer", NULL);
    if (trust.demo_root == NULL || demo_cert == NULL) {
        snprintf(err, sizeof(err),
                 "demo_dir %s: demo-root.crt, demo-signer.crt cannot be read "
                 "(script/lib/demo-ca.sh makes them)",
                 conf->demo_dir);
        goto fail;
    }
    trust.check_seal = 1;
    demo_key = demo_key_load(conf, err, sizeof(err));
    if (demo_key == NULL)
        goto fail;
    if (X509_check_private_key(demo_cert, demo_key) != 1) {
        snprintf(err, sizeof(err), "demo_dir %s: demo-signer.key is not demo-signer.crt's key",
                 conf->demo_dir);
        goto fail;
    }
    snprintf(path, sizeof(path), "%s/demo.seseal", conf->demo_dir);
    if (load_file(path, &demo_seal, &demo_seal_len, err, sizeof(err)) != HALL_OK) {
        snprintf(err, sizeof(err), "%.400s cannot be read (hall-demoseal make writes it)", path);
        goto fail;
    }
    hall_root_subject = subject_of(hall_root);
    demo_root_subject = subject_of(trust.demo_root);
    sm2_root = hall_pki_cert_load(conf->pki_dir, "sm2-root", NULL);
    sm2_root_subject = sm2_root != NULL ? subject_of(sm2_root) : NULL;
    /* /sign/evidence: the issuing CAs' and their OCSP signers' certificates
     * (no key: the answers come from /ocsp), the TSA's certificate */
    if (hall_pki_load(conf, 0, err, sizeof(err)) != HALL_OK)
        goto fail;
    if (hall_tsa_load(conf, 0, err, sizeof(err)) != HALL_OK)
        goto fail;
    tsa_cert = hall_pki_cert_load(conf->pki_dir, "tsa", NULL);
    if (tsa_cert == NULL) {
        snprintf(err, sizeof(err), "pki_dir %s: tsa.crt cannot be read", conf->pki_dir);
        goto fail;
    }
    if (conf->tsa_url != NULL && conf->tsa_url[0] != '\0')
        tsa_url = strdup(conf->tsa_url);
    else if (asprintf(&tsa_url, "%s/tsa", conf->public_url) < 0)
        tsa_url = NULL;
    if (tsa_url == NULL)
        abort();
    if (conf->ocsp_url != NULL && conf->ocsp_url[0] != '\0' &&
        (ocsp_url = strdup(conf->ocsp_url)) == NULL)
        abort();
    /* the 验签报告's signer: its own token, the only one this module opens */
    return sign_report_init(conf);
fail:
    hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
    return HALL_ERR;
}

/* ---- helpers ----------------------------------------------------------------- */

static const char *
check_text(enum hall_stamp_check c)
{
    return c == HALL_STAMP_PASS     ? "pass"
           : c == HALL_STAMP_FAIL   ? "fail"
           : c == HALL_STAMP_CANNOT ? "cannot" /* an algorithm the hall does not verify */
                                    : "not_done";
}

/* the spool's answer to a request without a usable file */
static int
spool_refused(struct hall_req *req, int st, const char *err, enum hall_msg_code none,
              enum hall_msg_code big)
{
    if (st == 413)
        return hall_msg(req, big, "file");
    if (st == 503)
        return hall_resp_busy(req);
    if (err == NULL)
        return hall_msg(req, none, "file");
    return hall_resp_error(req, st, "file", err);
}

/* 1 when the file begins like a PDF (its header within the first KiB) */
static int
looks_pdf(int fd)
{
    char head[1024];
    ssize_t n = pread(fd, head, sizeof(head), 0);

    return n >= 5 && memmem(head, (size_t)n, "%PDF-", 5) != NULL;
}

/* ---- 签名验证 ------------------------------------------------------------------ */

static int verify_refused(struct hall_req *req, enum hall_msg_code c, const char *cause);

/* GET /sign/verify; ?too_large=1 is nginx's answer to a body beyond its
 * limit from a browser's form (nginx/hall.conf.in, @sign_verify_too_large_page):
 * the page again, 413, the message beside the file field */
static int
verify_page(struct hall_req *req)
{
    struct hall_val *ctx;
    const char *big = hall_req_param(req, "too_large");

    if (big != NULL && strcmp(big, "1") == 0)
        return verify_refused(req, HALL_M_SIGN_VERIFY_TOO_LARGE, NULL);
    ctx = hall_page_ctx(req);
    hall_val_set_str(req->pool, ctx, "title", "签名验证");
    return hall_resp_page(req, 200, "sign_verify", ctx);
}

/* what a document's stamps share, made once a request: they are mostly
 * one signer's and one seal's.  The last certificate and seal looked up
 * (asked of the database once), and the seal pictures met so far, each
 * base64-encoded once: JSON lists each picture once (result.pictures, a
 * stamp names its picture_index), not once a stamp, so 64 stamps of one
 * seal answer 55 KB of picture, not 3.5 MB */
struct sign_memo {
    const char *serial, *es_id;
    struct hall_dbres *c, *e;
    struct hall_val *pictures; /* result.pictures */
    int npics;
    struct sign_pic {
        const unsigned char *png;
        size_t len;
        const char *url;
    } pics[HALL_STAMP_SIGS_MAX];
};

/* the seal's picture: its index in result.pictures, added there (as a
 * data URL) when no earlier stamp showed the same bytes; -1 when the list
 * is full */
static int
picture_index(struct hall_req *req, const struct hall_stamp_sig *s, struct sign_memo *m)
{
    int i;

    for (i = 0; i < m->npics; i++)
        if (m->pics[i].len == s->seal_png_len &&
            memcmp(m->pics[i].png, s->seal_png, s->seal_png_len) == 0)
            return i;
    if (m->npics == HALL_STAMP_SIGS_MAX)
        return -1;
    m->pics[i].png = s->seal_png;
    m->pics[i].len = s->seal_png_len;
    m->pics[i].url = hall_pstrcat(req->pool, "data:image/png;base64,",
                                  hall_b64(req->pool, s->seal_png, s->seal_png_len), NULL);
    hall_val_push_str(req->pool, m->pictures, m->pics[i].url);
    return m->npics++;
}

/* what the document alone says of one stamp: the seal, the signer, what the
 * signature covers, the time, the chain, the format and each check */
static void
stamp_facts(struct hall_req *req, const struct hall_stamp_sig *s, struct hall_val *r,
            struct sign_memo *m)
{
    struct hall_val *o, *chain;

    hall_val_set_int(req->pool, r, "index", s->index);
    hall_val_set_str(req->pool, r, "field", s->field != NULL ? s->field : "");
    hall_val_set_int(req->pool, r, "page", s->page);
    hall_val_set_bool(req->pool, r, "is_stamp", s->is_stamp);
    hall_val_set_bool(req->pool, r, "demo", s->demo);
    /* the seal */
    o = hall_val_set_obj(req->pool, r, "seal");
    hall_val_set_str(req->pool, o, "es_id", s->seal_es_id != NULL ? s->seal_es_id : "");
    hall_val_set_str(req->pool, o, "name", s->seal_name != NULL ? s->seal_name : "");
    hall_val_set_str(req->pool, o, "type_label",
                     s->seal_es_id == NULL ? ""
                     : s->seal_type == 2   ? "个人印章"
                                           : "机构印章");
    hall_val_set_str(req->pool, o, "valid_start",
                     hall_beijing_time(req->pool, s->seal_valid_start));
    hall_val_set_str(req->pool, o, "valid_end", hall_beijing_time(req->pool, s->seal_valid_end));
    if (s->seal_png != NULL && s->seal_png_len > 8 && memcmp(s->seal_png, "\x89PNG", 4) == 0) {
        int k = picture_index(req, s, m);

        /* the page shows it beside each stamp; JSON names it */
        if (k >= 0 && hall_req_wants_json(req))
            hall_val_set_int(req->pool, o, "picture_index", k);
        else if (k >= 0)
            hall_val_set_str(req->pool, o, "picture", m->pics[k].url);
    }
    /* the signer */
    o = hall_val_set_obj(req->pool, r, "signer");
    hall_val_set_str(req->pool, o, "subject", s->signer_subject != NULL ? s->signer_subject : "");
    hall_val_set_str(req->pool, o, "serial", s->signer_serial != NULL ? s->signer_serial : "");
    hall_val_set_str(req->pool, o, "issuer", s->signer_issuer != NULL ? s->signer_issuer : "");
    hall_val_set_str(req->pool, o, "not_before",
                     hall_beijing_time(req->pool, s->signer_not_before));
    hall_val_set_str(req->pool, o, "not_after", hall_beijing_time(req->pool, s->signer_not_after));
    /* what the signature covers */
    o = hall_val_set_obj(req->pool, r, "coverage");
    hall_val_set_bool(req->pool, o, "intact",
                      s->digest == HALL_STAMP_PASS && s->range == HALL_STAMP_PASS &&
                          !s->later_changes);
    hall_val_set_bool(req->pool, o, "covers_to_end", s->covers_to_end);
    hall_val_set_int(req->pool, o, "later_stamps", s->later_sigs);
    hall_val_set_bool(req->pool, o, "later_changes", s->later_changes);
    hall_val_set_str(req->pool, o, "after", s->after != NULL ? s->after : "");
    hall_val_set_str(req->pool, o, "changes", s->changes != NULL ? s->changes : "");
    hall_val_set_str(req->pool, o, "overlap", s->overlap != NULL ? s->overlap : "");
    hall_val_set_str(req->pool, o, "covered", s->covered != NULL ? s->covered : "");
    /* a 骑缝章: its edge and the pages its slices are on; null for a stamp */
    if (s->qifeng_edge != NULL) {
        o = hall_val_set_obj(req->pool, r, "qifeng");
        hall_val_set_str(req->pool, o, "edge", s->qifeng_edge);
        hall_val_set_str(req->pool, o, "pages", s->qifeng_pages);
        hall_val_set_int(req->pool, o, "slices", s->qifeng_slices);
        hall_val_set_int(req->pool, o, "missing", s->qifeng_missing);
    }
    /* the time */
    hall_val_set_str(req->pool, r, "signing_time", hall_beijing_time(req->pool, s->signing_time));
    hall_val_set_str(req->pool, r, "claimed_time", hall_beijing_time(req->pool, s->claimed_time));
    hall_val_set_str(req->pool, r, "tsa", s->tsa_subject != NULL ? s->tsa_subject : "");
    /* the chain */
    chain = hall_val_set_list(req->pool, r, "chain");
    if (s->signer_subject != NULL)
        hall_val_push_str(req->pool, chain, s->signer_subject);
    if (s->signer_issuer != NULL)
        hall_val_push_str(req->pool, chain, s->signer_issuer);
    if (s->chain == HALL_STAMP_PASS) {
        const char *top = s->demo  ? demo_root_subject
                          : s->ses ? sm2_root_subject
                                   : hall_root_subject;

        hall_val_push_str(req->pool, chain, top != NULL ? top : "");
    }
    hall_val_set_str(req->pool, r, "chain_to",
                     s->chain != HALL_STAMP_PASS ? "不能验证到本CA的根证书"
                     : s->demo                   ? "免费体验根证书（非本CA）"
                     : s->ses                    ? "本CA SM2根证书"
                                                 : "本CA根证书");
    /* the signature's kind: PAdES (CMS, ECDSA) or GB/T 38540 (SM2) */
    hall_val_set_str(req->pool, r, "format",
                     s->ses             ? "ses_signature"
                     : s->doc_timestamp ? "doc_timestamp"
                                        : "cms");
    hall_val_set_str(req->pool, r, "format_label",
                     s->ses                              ? "GB/T 38540 电子签章（SM2/SM3）"
                     : s->doc_timestamp                  ? "文档时间戳（ETSI.RFC3161）"
                     : s->signature == HALL_STAMP_CANNOT ? "PAdES 签名（不支持的签名算法）"
                                                         : "PAdES 签名（ECDSA P-256/SHA-256）");
    /* the level (B-B, B-T, B-LT, B-LTA; GB/T 38540; DTS) and what the /DSS says */
    hall_val_set_str(req->pool, r, "level", s->level != NULL ? s->level : "");
    hall_val_set_str(req->pool, r, "level_label", hall_stamp_level_text(s->level));
    hall_val_set_bool(req->pool, r, "doc_timestamp", s->doc_timestamp);
    /* a document timestamp: no seal, no signer; its TSA and what it covers */
    if (s->doc_timestamp) {
        o = hall_val_set_obj(req->pool, r, "dts");
        hall_val_set_str(req->pool, o, "tsa", s->tsa_subject != NULL ? s->tsa_subject : "");
        hall_val_set_str(req->pool, o, "tsa_state", hall_stamp_dts_tsa_state(req->pool, s));
        hall_val_set_bool(req->pool, o, "tsa_hall", s->timestamp == HALL_STAMP_PASS);
        hall_val_set_str(req->pool, o, "time", hall_beijing_time(req->pool, s->signing_time));
        hall_val_set_str(req->pool, o, "covers", hall_stamp_dts_covers(req->pool, s));
    }
    hall_val_set_int(req->pool, r, "doc_timestamps_after", s->doc_ts_after);
    o = hall_val_set_obj(req->pool, r, "evidence");
    hall_val_set_bool(req->pool, o, "embedded", s->ltv_state != HALL_STAMP_REV_UNCHECKED);
    hall_val_set_str(req->pool, o, "source", s->ltv_source != NULL ? s->ltv_source : "");
    hall_val_set_str(req->pool, o, "produced_at", hall_beijing_time(req->pool, s->ltv_at));
    hall_val_set_str(req->pool, o, "signer",
                     s->ltv_state == HALL_STAMP_REV_GOOD      ? "good"
                     : s->ltv_state == HALL_STAMP_REV_REVOKED ? "revoked"
                     : s->ltv_state == HALL_STAMP_REV_UNKNOWN ? "unknown"
                                                              : "");
    hall_val_set_str(req->pool, o, "revoked_at", hall_beijing_time(req->pool, s->ltv_revoked_at));
    hall_val_set_bool(req->pool, o, "tsa_needed", s->ltv_tsa_needed);
    hall_val_set_bool(req->pool, o, "tsa_embedded", s->ltv_tsa_state != HALL_STAMP_REV_UNCHECKED);
    o = hall_val_set_obj(req->pool, r, "checks");
    hall_val_set_str(req->pool, o, "byte_range", check_text(s->range));
    hall_val_set_str(req->pool, o, "digest", check_text(s->digest));
    hall_val_set_str(req->pool, o, "signature", check_text(s->signature));
    hall_val_set_str(req->pool, o, "signing_certificate", check_text(s->signing_cert));
    hall_val_set_str(req->pool, o, "timestamp", check_text(s->timestamp));
    hall_val_set_str(req->pool, o, "seal", check_text(s->seal));
    hall_val_set_str(req->pool, o, "chain", check_text(s->chain));
}

/*
 * One stamp's verdict: the hall's records looked up here, the rule that
 * combines them with the document's state in the core (hall_stamp_verdict,
 * docs/internals/stamp.md §3), as hall-stamp verify applies it.  HALL_ERR
 * when the database cannot answer.
 */
static int
stamp_result(struct hall_req *req, const struct hall_stamp_sig *s, struct hall_val *r, int *valid,
             struct sign_memo *m, struct hall_stamp_verdict *vout)
{
    struct hall_stamp_records rec;
    struct hall_stamp_verdict v;
    struct hall_val *o, *notes;
    struct hall_dbres *c = NULL, *e = NULL;
    const char *now_state = "未登记", *seal_now = "未登记", *seal_st = "unknown";
    int i;

    memset(&rec, 0, sizeof(rec));
    stamp_facts(req, s, r, m);
    /* the hall's records: only for a stamp under the hall's own CA; its
     * own 验签报告 signer and seal have no row and are the hall's */
    if (sign_report_signer(s)) {
        seal_st = "valid";
        hall_stamp_records_rows("issued", 0, seal_st, 0, &rec);
        now_state = "有效（本CA验签报告证书）";
        seal_now = "有效（本CA验签专用章）";
    } else if (hall_stamp_wants_records(s)) {
        if (m->serial != NULL && strcmp(m->serial, s->signer_serial) == 0) {
            c = m->c;
        } else {
            c = hall_db_exec(req->cx, "sign_cert", HALL_STR(s->signer_serial));
            if (c == NULL)
                return HALL_ERR;
            m->serial = s->signer_serial;
            m->c = c;
        }
        if (s->seal_es_id != NULL && m->es_id != NULL && strcmp(m->es_id, s->seal_es_id) == 0) {
            e = m->e;
        } else if (s->seal_es_id != NULL) {
            e = hall_db_exec(req->cx, "sign_seal", HALL_STR(s->seal_es_id));
            if (e == NULL)
                return HALL_ERR;
            m->es_id = s->seal_es_id;
            m->e = e;
        }
        if (e != NULL && hall_dbres_rows(e) > 0)
            seal_st = hall_dbres_str(e, 0, "state");
        hall_stamp_records_rows(
            hall_dbres_rows(c) > 0 ? hall_dbres_str(c, 0, "state") : NULL, sign_revoked_s(c),
            e != NULL && hall_dbres_rows(e) > 0 ? seal_st : NULL, sign_revoked_s(e), &rec);
        /* the states now, in words */
        if (rec.cert_known)
            now_state = rec.cert_revoked ? hall_psprintf(req->pool, "已吊销（%s）",
                                                         sign_revoked_when(req->pool, c))
                                         : "有效";
        if (rec.seal_known)
            seal_now = rec.seal_revoked ? hall_psprintf(req->pool, "已注销（%s）",
                                                        sign_revoked_when(req->pool, e))
                       : strcmp(seal_st, "replaced") == 0
                           ? hall_psprintf(req->pool, "已被替换（现行印章 %s）",
                                           hall_dbres_str(e, 0, "current_seal"))
                           : "有效";
    } else {
        now_state = s->demo ? "体验证书" : "非本CA证书";
        seal_now = s->demo ? "体验印章" : s->seal_es_id != NULL ? "非本CA印章" : "无印章";
        seal_st = s->demo ? "demo" : "unknown";
    }
    hall_stamp_verdict(req->pool, s, &rec, &v);

    o = hall_val_set_obj(req->pool, r, "signer_state");
    if (c != NULL && hall_dbres_rows(c) > 0)
        hall_val_set_str(req->pool, o, "revoked_at", sign_revoked_when(req->pool, c));
    hall_val_set_str(req->pool, o, "at_signing", v.signer_at_signing);
    hall_val_set_str(req->pool, o, "now", now_state);
    o = hall_val_set_obj(req->pool, r, "seal_state");
    hall_val_set_str(req->pool, o, "state", seal_st);
    hall_val_set_str(req->pool, o, "now", seal_now);
    if (hall_stamp_after_note(&v) != NULL)
        hall_val_set_str(req->pool, r, "note", hall_stamp_after_note(&v));
    notes = hall_val_set_list(req->pool, r, "notes");
    for (i = 0; i < v.nnotes; i++)
        hall_val_push_str(req->pool, notes, v.notes[i]);
    if (v.problem[0] != '\0')
        hall_val_set_str(req->pool, r, "problem", v.problem);
    hall_val_set_int(req->pool, r, "state_code", v.state);
    hall_val_set_str(req->pool, r, "state", hall_stamp_state_text(v.state));
    hall_val_set_bool(req->pool, r, "valid", v.state == HALL_STAMP_VALID);
    *valid = v.state == HALL_STAMP_VALID;
    *vout = v;
    return HALL_OK;
}

/* a file 签名验证 cannot judge: JSON's message, or the page again with it
 * beside the file field (not the generic 操作未完成 page) */
static int
verify_refused(struct hall_req *req, enum hall_msg_code c, const char *cause)
{
    struct hall_val *ctx;

    if (hall_req_wants_json(req))
        return cause != NULL ? hall_msg(req, c, "file", cause) : hall_msg(req, c, "file");
    ctx = hall_page_ctx(req);
    hall_val_set_str(req->pool, ctx, "title", "签名验证");
    hall_val_set_str(req->pool, ctx, "file_error",
                     cause != NULL ? hall_msg_text(req->pool, c, cause)
                                   : hall_msg_text(req->pool, c));
    return hall_resp_page(req, hall_msgs[c].status, "sign_verify", ctx);
}

static int
verify(struct hall_req *req)
{
    struct hall_val *ctx = hall_req_wants_json(req) ? hall_val_obj(req->pool) : hall_page_ctx(req);
    struct hall_val *list, *res;
    struct hall_stamp_report rep;
    struct hall_stamp_verdict *verdicts;
    struct hall_spool sp;
    struct sign_memo memo;
    const char *err, *report;
    char lerr[512];
    int st, i, valid = 0, seals = 0;

    st = hall_req_spool(req, "file", SIGN_VERIFY_MAX, &sp, &err);
    if (st == 413) /* the page again for a browser's form, as every refusal of the file */
        return verify_refused(req, HALL_M_SIGN_VERIFY_TOO_LARGE, NULL);
    if (st != 0)
        return spool_refused(req, st, err, HALL_M_SIGN_FILE_REQUIRED, HALL_M_SIGN_VERIFY_TOO_LARGE);
    if (sp.len == 0)
        return verify_refused(req, HALL_M_SIGN_FILE_REQUIRED, NULL);
    if (!looks_pdf(sp.fd))
        return verify_refused(req, HALL_M_SIGN_NOT_PDF, NULL);
    memset(&rep, 0, sizeof(rep));
    if (hall_stamp_verify_fd(req->pool, sp.fd, &trust, &rep, lerr, sizeof(lerr)) != HALL_OK)
        return verify_refused(req, HALL_M_SIGN_PDF_BAD, lerr);
    if (rep.nsigs == 0)
        return verify_refused(req, HALL_M_SIGN_NO_STAMP, NULL);
    res = hall_val_set_obj(req->pool, ctx, "result");
    hall_val_set_int(req->pool, res, "file_size", (int64_t)rep.file_size);
    hall_val_set_int(req->pool, res, "revisions", rep.revisions);
    hall_val_set_int(req->pool, res, "count", rep.nsigs);
    hall_val_set_int(req->pool, res, "doc_timestamps", rep.doc_timestamps);
    {
        struct hall_val *dss = hall_val_set_obj(req->pool, res, "dss");

        hall_val_set_int(req->pool, dss, "certs", rep.dss_certs);
        hall_val_set_int(req->pool, dss, "ocsps", rep.dss_ocsps);
        hall_val_set_int(req->pool, dss, "crls", rep.dss_crls);
    }
    list = hall_val_set_list(req->pool, res, "stamps");
    memset(&memo, 0, sizeof(memo));
    memo.pictures = hall_val_set_list(req->pool, res, "pictures");
    verdicts = hall_pcalloc(req->pool, (size_t)rep.nsigs * sizeof(*verdicts));
    for (i = 0; i < rep.nsigs; i++) {
        struct hall_val *r = hall_val_push_obj(req->pool, list);
        int stamp_valid = 0;

        if (stamp_result(req, &rep.sigs[i], r, &stamp_valid, &memo, &verdicts[i]) != HALL_OK)
            return hall_req_failed(req);
        if (stamp_valid)
            valid++;
        seals += !rep.sigs[i].doc_timestamp;
    }
    {
        /* a document timestamp alone is no stamp: 共 0 个签章（另有…） */
        int all;
        const char *summary = hall_stamp_summary(req->pool, &rep, verdicts, &all);

        hall_val_set_bool(req->pool, res, "all_valid", all);
        hall_val_set_str(req->pool, res, "summary", summary);
        hall_val_set_int(req->pool, res, "seals", seals);
    }
    hall_info(req, "msg=\"pdf verified\" size=%lld stamps=%d valid=%d", (long long)rep.file_size,
              rep.nsigs, valid);
    /* 验签报告: the same verdicts as a PDF (sign_report.c); a multipart
     * form's field is read once the body is spooled */
    report = hall_req_param(req, "report");
    if (report != NULL && strcmp(report, "pdf") == 0)
        return sign_report(req, sp.fd, sp.filename, &rep, verdicts, tsa_url);
    if (hall_req_wants_json(req))
        return hall_resp_ok(req, ctx);
    hall_val_set_str(req->pool, ctx, "title", "签名验证");
    return hall_resp_page(req, 200, "sign_verify", ctx);
}

/* ---- 免费体验 ------------------------------------------------------------------- */

static int
try_page(struct hall_req *req)
{
    struct hall_val *ctx = hall_page_ctx(req);

    hall_val_set_str(req->pool, ctx, "title", "免费体验");
    hall_val_set_int(req->pool, ctx, "daily_max", req->app->conf.sign_try_daily_max);
    return hall_resp_page(req, 200, "sign_try", ctx);
}

/* a plain decimal (digits and a point, at most 12 characters) within
 * [lo, hi]; def when absent or empty */
static int
number_param(struct hall_req *req, const char *name, double lo, double hi, double def, double *out)
{
    const char *v = hall_req_body_param(req, name);
    char *end;
    double d;

    if (v == NULL || *v == '\0') {
        *out = def;
        return HALL_OK;
    }
    if (strlen(v) > 12 || strspn(v, "0123456789.") != strlen(v))
        return HALL_ERR;
    errno = 0;
    d = strtod(v, &end);
    if (errno != 0 || *end != '\0' || end == v || d < lo || d > hi)
        return HALL_ERR;
    *out = d;
    return HALL_OK;
}

static int
try_post(struct hall_req *req)
{
    const struct hall_conf *conf = &req->app->conf;
    struct hall_stamp_sign_in in;
    struct hall_errors errs = {0};
    struct hall_spool sp;
    int64_t n;
    unsigned char *pdf, *upd;
    size_t ulen;
    const char *err;
    char lerr[512];
    double page, x, y;
    int st;

    st = hall_req_spool(req, "file", SIGN_TRY_MAX, &sp, &err);
    /* the form's token came with the body (or as X-CSRF-Token); a body
     * refused as too large is not read, and refusing it changes nothing */
    if ((st == 0 || (st == 400 && err == NULL)) && hall_csrf_check(req) != HALL_OK)
        return hall_msg(req, HALL_M_CSRF, NULL);
    if (st != 0)
        return spool_refused(req, st, err, HALL_M_SIGN_TRY_FILE_REQUIRED,
                             HALL_M_SIGN_TRY_TOO_LARGE);
    if (sp.len == 0)
        hall_msg_add(req, &errs, HALL_M_SIGN_TRY_FILE_REQUIRED, "file");
    else if (!looks_pdf(sp.fd))
        hall_msg_add(req, &errs, HALL_M_SIGN_NOT_PDF, "file");
    if (number_param(req, "page", 1, 9999, 1, &page) != HALL_OK || page != (double)(int)page)
        hall_msg_add(req, &errs, HALL_M_SIGN_TRY_PAGE, "page");
    if (number_param(req, "x", 0, 2000, 150, &x) != HALL_OK)
        hall_msg_add(req, &errs, HALL_M_SIGN_TRY_POS, "x");
    if (number_param(req, "y", 0, 2000, 240, &y) != HALL_OK)
        hall_msg_add(req, &errs, HALL_M_SIGN_TRY_POS, "y");
    if (errs.n > 0)
        return hall_resp_errors(req, &errs);
    /* the count and the stamp in one transaction: a refused or failed
     * stamp rolls back and is not counted */
    if (hall_db_begin(req->cx) != HALL_OK)
        return HALL_ERR;
    n = hall_sign_try_count(
        req->cx,
        hall_psprintf(req->pool, "ip:%.64s", req->remote_addr != NULL ? req->remote_addr : ""));
    if (n < 0)
        return HALL_ERR;
    if (n > conf->sign_try_daily_max) {
        hall_db_rollback(req->cx);
        return hall_msg(req, HALL_M_SIGN_TRY_LIMIT, NULL, conf->sign_try_daily_max);
    }
    pdf = mmap(NULL, sp.len, PROT_READ, MAP_PRIVATE, sp.fd, 0);
    /* the spooled file cannot be read: busy, as the spool answers (not the store) */
    if (pdf == MAP_FAILED) {
        hall_db_rollback(req->cx);
        return hall_resp_busy(req);
    }
    memset(&in, 0, sizeof(in));
    in.pdf = pdf;
    in.pdf_len = sp.len;
    in.seal = demo_seal;
    in.seal_len = demo_seal_len;
    in.cert = demo_cert;
    in.chain = NULL;
    in.key = demo_key;
    in.page = (int)page;
    in.x_mm = x;
    in.y_mm = y;
    in.tsa_url = tsa_url;
    upd = hall_stamp_sign(req->pool, &in, &ulen, lerr, sizeof(lerr));
    if (upd == NULL) {
        munmap(pdf, sp.len);
        hall_db_rollback(req->cx);
        hall_info(req, "msg=\"trial stamp refused\" size=%zu", sp.len);
        if (strstr(lerr, "时间戳服务") != NULL)
            return hall_msg(req, HALL_M_SIGN_TRY_TSA, NULL);
        /* the library's message names the cause; the field follows it */
        return hall_msg(req, HALL_M_SIGN_TRY_FAILED,
                        strncmp(lerr, "页码", strlen("页码")) == 0           ? "page"
                        : strncmp(lerr, "盖章位置", strlen("盖章位置")) == 0 ? "x"
                                                                             : "file",
                        lerr);
    }
    if (hall_db_commit(req->cx) != HALL_OK) {
        munmap(pdf, sp.len);
        return HALL_ERR;
    }
    hall_resp_bytes(req, pdf, sp.len, "application/pdf", "trial-stamped.pdf");
    munmap(pdf, sp.len);
    hall_buf_add(&req->body, upd, ulen);
    hall_info(req, "msg=\"trial stamp\" size=%zu page=%d", sp.len, (int)page);
    return HALL_OK;
}

/*
 * GET /sign/seal-status?es_id=: a seal's state in the register, what
 * hall-stamp asks before it stamps and when it verifies (docs/modules/sign.md):
 * public as the CRL is (the seal file itself carries the esID), and no
 * more than the state and when it was cancelled or replaced.
 */
static int
seal_status(struct hall_req *req)
{
    const char *es_id = hall_req_param(req, "es_id"), *c;
    struct hall_val *out, *o;
    struct hall_dbres *e;

    if (es_id == NULL || *es_id == '\0')
        return hall_msg(req, HALL_M_SIGN_SEAL_ID_REQUIRED, "es_id");
    for (c = es_id; *c != '\0'; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')))
            break;
    if (*c != '\0' || c - es_id > 64)
        return hall_msg(req, HALL_M_SIGN_SEAL_ID_BAD, "es_id");
    out = hall_val_obj(req->pool);
    o = hall_val_set_obj(req->pool, out, "seal");
    hall_val_set_str(req->pool, o, "es_id", es_id);
    /* the 验签专用章 of the hall's reports: no row, the hall's own */
    if (sign_report_es_id() != NULL && strcmp(es_id, sign_report_es_id()) == 0) {
        hall_val_set_str(req->pool, o, "state", "valid");
        return hall_resp_ok(req, out);
    }
    e = hall_db_exec(req->cx, "sign_seal", HALL_STR(es_id));
    if (e == NULL)
        return HALL_ERR; /* hall_app_finish answers 503 */
    if (hall_dbres_rows(e) == 0) {
        hall_val_set_str(req->pool, o, "state", "unknown");
        return hall_resp_ok(req, out);
    }
    hall_dbres_set(req->pool, o, e, 0, "state replaced_by current_seal");
    hall_val_set_str(req->pool, o, "revoked_at", sign_revoked_when(req->pool, e));
    hall_val_set_int(req->pool, o, "revoked_s", hall_dbres_int(e, 0, "revoked_s"));
    return hall_resp_ok(req, out);
}

/* the OCSP URL of x's authorityInfoAccess (the hall's /ocsp), or NULL */
static const char *
ocsp_url_of(struct hall_pool *pool, X509 *x)
{
    STACK_OF(OPENSSL_STRING) *u = X509_get1_ocsp(x);
    const char *url = NULL;

    if (u != NULL && sk_OPENSSL_STRING_num(u) > 0)
        url = hall_pstrdup(pool, sk_OPENSSL_STRING_value(u, 0));
    X509_email_free(u);
    return url;
}

/*
 * The hall's OCSP answer about id, asked at url as any relying party asks
 * (POST, with a nonce: an answer signed now, whose thisUpdate is after the
 * stamp's timestamp, not one the responder kept from before, which proves
 * nothing about the stamp), and checked before it is given out
 * (hall_pki_ocsp_check: signed for ca by its responder, our nonce, about
 * id, current).  Its DER (pool) and
 * *status (V_OCSP_CERTSTATUS_*), or NULL with *why.
 */
static unsigned char *
ocsp_fetch(struct hall_req *req, const char *url, struct hall_pki_ca *ca, OCSP_CERTID *id,
           OCSP_REQUEST *oreq, const unsigned char *qder, size_t qlen, size_t *len, int *status,
           const char **why)
{
    struct hall_http_call call = {
        .method = "POST",
        .url = url,
        .content_type = "application/ocsp-request",
        .body = (const char *)qder,
        .body_len = qlen,
        .connect_ms = 3000,
        .total_ms = 10000,
        .provider = "ocsp",
    };
    struct hall_http_resp r;

    *why = "no answer";
    if (hall_http_call(req->pool, &call, &r) != HALL_OK || r.status != 200 || r.len == 0)
        return NULL;
    /* what is checked is the CA's rule (core/pki/evcheck.c) */
    if (hall_pki_ocsp_check((const unsigned char *)r.body, r.len, ca,
                            ca->sm2 ? sm2_root : hall_root, oreq, id, status, why) != HALL_OK)
        return NULL;
    *len = r.len;
    return (unsigned char *)r.body;
}

/*
 * The root's CRL (an ARL, /pki/root.crl, core/pki/crl.c) made at or after
 * after, asked of the hall beside ocsp_url (…/ocsp -> …/pki/root.crl) as
 * any reader asks, and checked before it is given out (hall_pki_arl_check:
 * signed by the root, thisUpdate not before after).  It is the TSA certificate's (and
 * the CA certificate's) revocation evidence.  Its DER (pool), or NULL
 * with *why.
 */
static unsigned char *
arl_fetch(struct hall_req *req, const char *ocsp, time_t after, size_t *len, const char **why)
{
    size_t n = ocsp != NULL ? strlen(ocsp) : 0;
    struct hall_http_call call = {
        .method = "GET",
        .connect_ms = 3000,
        .total_ms = 10000,
        .provider = "pki",
    };
    struct hall_http_resp r;

    *why = "no OCSP URL to find the hall by";
    if (n <= 5 || strcmp(ocsp + n - 5, "/ocsp") != 0)
        return NULL;
    call.url = hall_psprintf(req->pool, "%.*s/pki/root.crl?after=%lld", (int)(n - 5), ocsp,
                             (long long)after);
    *why = "no answer";
    if (hall_http_call(req->pool, &call, &r) != HALL_OK || r.status != 200 || r.len == 0)
        return NULL;
    /* what is checked is the CA's rule (core/pki/evcheck.c) */
    if (hall_pki_arl_check((const unsigned char *)r.body, r.len, hall_root, after, why) != HALL_OK)
        return NULL;
    *len = r.len;
    return (unsigned char *)r.body;
}

/* a certificate's DER, base64, appended to list (once: the same one twice
 * is left out) */
static void
evidence_cert(struct hall_req *req, struct hall_val *list, X509 *x)
{
    unsigned char *der = NULL;
    const struct hall_val *v;
    const char *b;
    int n;

    if (x == NULL || (n = i2d_X509(x, &der)) <= 0)
        return;
    b = hall_b64(req->pool, der, (size_t)n);
    OPENSSL_free(der);
    for (v = list->first; v != NULL; v = v->next)
        if (v->type == HALL_V_STR && strcmp(v->str, b) == 0)
            return;
    hall_val_push_str(req->pool, list, b);
}

/*
 * GET /sign/evidence?serial=: what a PAdES B-LT stamp keeps in its /DSS
 * (docs/modules/sign.md): the certificate the hall issued with that serial,
 * its CA and root, the OCSP signer, the TSA's certificate, and the hall's
 * OCSP answer for it, asked now at the URL the certificate names (the
 * hall's /ocsp, through nginx; ocsp_url instead when set): this module
 * holds no OCSP key, as it holds no CA key.  Public as /pki/ and /ocsp are: certificates and their
 * status only.  在线盖章 asks it after the stamp, with the signer's serial: never the document.
 */
static int
evidence(struct hall_req *req)
{
    const char *serial = hall_req_param(req, "serial"), *url, *why = NULL;
    char hex[17];
    struct hall_dbres *e;
    struct hall_pki_ca *ca;
    struct hall_val *out, *o, *certs, *ocsps, *crls;
    OCSP_REQUEST *oreq = NULL;
    OCSP_CERTID *id = NULL;
    X509 *signer = NULL;
    unsigned char *der = NULL, *ans, *signer_der, *arl;
    const unsigned char *p;
    size_t ans_len = 0, signer_len, arl_len = 0;
    int i, n, rc, status = -1;
    time_t asked = time(NULL);
    struct hall_stamp_may may;

    if (serial == NULL || *serial == '\0')
        return hall_msg(req, HALL_M_SIGN_EVIDENCE_SERIAL_REQUIRED, "serial");
    for (i = 0; serial[i] != '\0' && i < 16; i++) {
        char c = serial[i];

        if (c >= 'a' && c <= 'f')
            c = (char)(c - 'a' + 'A');
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
            break;
        hex[i] = c;
    }
    /* the hall draws a non-zero first byte (hall_pki_serial_draw): "0B…"
     * is one of its serials, "00…" never */
    if (i != 16 || serial[i] != '\0' || (hex[0] == '0' && hex[1] == '0'))
        return hall_msg(req, HALL_M_SIGN_EVIDENCE_SERIAL_BAD, "serial");
    hex[16] = '\0';
    e = hall_db_exec(req->cx, "sign_evidence_cert", HALL_STR(hex));
    if (e == NULL)
        return HALL_ERR; /* hall_app_finish answers 503 */
    ca = hall_dbres_rows(e) == 1 ? hall_pki_ca_find(hall_dbres_str(e, 0, "ca")) : NULL;
    signer_der =
        ca != NULL ? hall_dbres_bytea(req->cx, e, 0, hall_dbres_col(e, "der"), &signer_len) : NULL;
    p = signer_der;
    if (signer_der != NULL)
        signer = d2i_X509(NULL, &p, (long)signer_len);
    if (ca == NULL || ca->cert == NULL || signer == NULL)
        return hall_msg(req, HALL_M_SIGN_EVIDENCE_UNKNOWN, "serial");
    /* the question a reader asks: a SHA-1 CertID */
    id = OCSP_cert_to_id(EVP_sha1(), signer, ca->cert);
    oreq = OCSP_REQUEST_new();
    if (id == NULL || oreq == NULL || OCSP_request_add0_id(oreq, OCSP_CERTID_dup(id)) == NULL ||
        OCSP_request_add1_nonce(oreq, NULL, -1) != 1)
        abort();
    n = i2d_OCSP_REQUEST(oreq, &der);
    if (n <= 0)
        abort();
    url = ocsp_url != NULL ? ocsp_url : ocsp_url_of(req->pool, signer);
    ans = url != NULL ? ocsp_fetch(req, url, ca, id, oreq, der, (size_t)n, &ans_len, &status, &why)
                      : NULL;
    if (ans == NULL) {
        hall_log(HALL_LOG_WARN, hall_req_id(req),
                 "msg=\"evidence: no OCSP answer\" url=%s why=\"%s\"", url != NULL ? url : "none",
                 why != NULL ? why : "no OCSP URL");
        rc = hall_msg(req, HALL_M_SIGN_EVIDENCE_BUSY, NULL);
        goto out;
    }
    /* the TSA's certificate is the root's, which answers no OCSP: the
     * root's CRL made now, after the stamp's timestamp (the caller asks
     * after it) */
    arl = arl_fetch(req, url, asked, &arl_len, &why);
    if (arl == NULL) {
        hall_log(HALL_LOG_WARN, hall_req_id(req), "msg=\"evidence: no root CRL\" why=\"%s\"", why);
        rc = hall_msg(req, HALL_M_SIGN_EVIDENCE_BUSY, NULL);
        goto out;
    }
    out = hall_val_obj(req->pool);
    o = hall_val_set_obj(req->pool, out, "evidence");
    hall_val_set_str(req->pool, o, "serial", hex);
    hall_val_set_str(req->pool, o, "status",
                     status == V_OCSP_CERTSTATUS_REVOKED ? "revoked" : "good");
    /* the rule before a stamp (hall_stamp_may), for 在线盖章, which asks
     * this right after its stamp: refused, it keeps nothing of the stamp */
    if (sign_may_rows(req, hex, NULL, &may) != HALL_OK) {
        rc = hall_msg(req, HALL_M_SIGN_EVIDENCE_BUSY, NULL);
        goto out;
    }
    hall_val_set_str(req->pool, o, "verdict", sign_may_verdict(&may));
    hall_val_set_str(req->pool, o, "message", may.text);
    certs = hall_val_set_list(req->pool, o, "certs");
    hall_val_push_str(req->pool, certs, hall_b64(req->pool, signer_der, signer_len));
    evidence_cert(req, certs, ca->cert);
    evidence_cert(req, certs, ca->sm2 ? sm2_root : hall_root);
    evidence_cert(req, certs, ca->ocsp_cert);
    evidence_cert(req, certs, tsa_cert);
    evidence_cert(req, certs, hall_root); /* the TSA's issuer */
    ocsps = hall_val_set_list(req->pool, o, "ocsps");
    hall_val_push_str(req->pool, ocsps, hall_b64(req->pool, ans, ans_len));
    crls = hall_val_set_list(req->pool, o, "crls");
    hall_val_push_str(req->pool, crls, hall_b64(req->pool, arl, arl_len));
    hall_resp_header(req, "Cache-Control", "no-store");
    rc = hall_resp_ok(req, out);
out:
    OPENSSL_free(der);
    OCSP_REQUEST_free(oreq);
    OCSP_CERTID_free(id);
    X509_free(signer);
    return rc;
}

static const struct hall_route sign_routes[] = {
    {"GET", "/sign/evidence", evidence, 0, NULL},
    {"GET", "/sign/seal-status", seal_status, 0, NULL},
    {"GET", "/sign/stamp-check", sign_stamp_check, 0, NULL},
    {"GET", "/sign/verify", verify_page, 0, NULL},
    {"POST", "/sign/verify", verify, HALL_R_SPOOL | HALL_R_NOCSRF, NULL},
    {"GET", "/sign/try", try_page, 0, NULL},
    /* CSRF is checked by the handler once the body is spooled */
    {"POST", "/sign/try", try_post, HALL_R_SPOOL | HALL_R_NOCSRF, NULL},
    {"GET", "/sign/tools", sign_tools_page, 0, NULL},
    {NULL, NULL, NULL, 0, NULL},
};

HALL_MODULE_MAIN(sign, sign_routes, sign_stmts, sign_init)
