/*
 * contract_check.c: a party's new revision checked before the hall accepts
 * it (docs/modules/contract.md, "Signing").  The one verifier of the hall
 * (core/stamp) reads the file; this file adds what a 签署 flow asks: one
 * signature appended to exactly the current revision, every earlier one
 * intact, the new one valid under the hall's records and made by the party
 * the initiator named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "contract.h"

/* the 统一社会信用代码 extension the hall's CA writes (core/pki/ca.c) */
#define CONTRACT_OID_ORG_CODE "1.2.156.10260.4.1.4"

/* hall_msg answers HALL_OK: the callers must know the request is answered */
#define REFUSED(...) (hall_msg(__VA_ARGS__), HALL_ANSWERED)

static struct hall_stamp_trust trust;

int
contract_check_init(const struct hall_conf *conf)
{
    struct hall_conf c = *conf;
    char err[512];
    X509 *x;

    /* no key of the CA's: its token's PIN is never read here */
    c.pkcs11_module = "";
    if (hall_pki_keys_conf(&c, err, sizeof(err)) != HALL_OK ||
        hall_seseal_load(conf, 0, err, sizeof(err)) != HALL_OK) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"%s\"", err);
        return HALL_ERR;
    }
    trust.roots = sk_X509_new_null();
    trust.cas = sk_X509_new_null();
    if (trust.roots == NULL || trust.cas == NULL)
        abort();
    x = hall_pki_cert_load(conf->pki_dir, "root", NULL);
    if (x == NULL) {
        hall_log(HALL_LOG_ERR, NULL, "msg=\"pki_dir %s: root.crt cannot be read\"", conf->pki_dir);
        return HALL_ERR;
    }
    sk_X509_push(trust.roots, x);
    if ((x = hall_pki_cert_load(conf->pki_dir, "sm2-root", NULL)) != NULL)
        sk_X509_push(trust.roots, x);
    if ((x = hall_pki_cert_load(conf->pki_dir, "ecc", NULL)) != NULL)
        sk_X509_push(trust.cas, x);
    if ((x = hall_pki_cert_load(conf->pki_dir, "sm2", NULL)) != NULL)
        sk_X509_push(trust.cas, x);
    trust.check_seal = 1;
    return HALL_OK;
}

/* the certificate's 统一社会信用代码 (its extension), "" when none */
static const char *
cert_uscc(struct hall_pool *pool, X509 *x)
{
    ASN1_OBJECT *want = OBJ_txt2obj(CONTRACT_OID_ORG_CODE, 1);
    const char *out = "";
    int i;

    if (want == NULL)
        return "";
    i = X509_get_ext_by_OBJ(x, want, -1);
    if (i >= 0) {
        ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(x, i));
        const unsigned char *p = ASN1_STRING_get0_data(os);
        ASN1_UTF8STRING *u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(os));

        if (u != NULL) {
            out = hall_pstrndup(pool, (const char *)ASN1_STRING_get0_data(u),
                                (size_t)ASN1_STRING_length(u));
            ASN1_UTF8STRING_free(u);
        }
    }
    ASN1_OBJECT_free(want);
    return out;
}

/* the certificate's CN, "" when none */
static const char *
cert_cn(struct hall_pool *pool, X509 *x)
{
    X509_NAME *n = X509_get_subject_name(x);
    int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
    ASN1_STRING *s;

    if (i < 0)
        return "";
    s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
    return hall_pstrndup(pool, (const char *)ASN1_STRING_get0_data(s),
                         (size_t)ASN1_STRING_length(s));
}

/* the verdict of s under the hall's records; HALL_ERR when they cannot be read */
static int
verdict_of(struct hall_req *req, const struct hall_stamp_sig *s, struct hall_stamp_verdict *v)
{
    struct hall_stamp_records rec;
    struct hall_dbres *c, *e = NULL;

    memset(&rec, 0, sizeof(rec));
    if (hall_stamp_wants_records(s)) {
        c = hall_db_exec(req->cx, "contract_cert", HALL_STR(s->signer_serial));
        if (c == NULL)
            return HALL_ERR;
        if (s->seal_es_id != NULL &&
            (e = hall_db_exec(req->cx, "contract_seal", HALL_STR(s->seal_es_id))) == NULL)
            return HALL_ERR;
        hall_stamp_records_rows(
            hall_dbres_rows(c) > 0 ? hall_dbres_str(c, 0, "state") : NULL,
            hall_dbres_rows(c) > 0 ? (time_t)hall_dbres_int(c, 0, "revoked_s") : 0,
            e != NULL && hall_dbres_rows(e) > 0 ? hall_dbres_str(e, 0, "state") : NULL,
            e != NULL && hall_dbres_rows(e) > 0 ? (time_t)hall_dbres_int(e, 0, "revoked_s") : 0,
            &rec);
    }
    hall_stamp_verdict(req->pool, s, &rec, v);
    return HALL_OK;
}

static int
intact(const struct hall_stamp_sig *s)
{
    return s->range == HALL_STAMP_PASS && s->digest == HALL_STAMP_PASS &&
           s->signature == HALL_STAMP_PASS && !s->later_changes;
}

int
contract_check(struct hall_req *req, const unsigned char *pdf, size_t len, size_t cur_len,
               const struct contract_party *p, struct contract_signed *out)
{
    struct hall_stamp_report rep;
    struct hall_stamp_verdict v;
    const struct hall_stamp_sig *mine = NULL;
    char err[256];
    int fd, i, rc;
    X509 *x;
    const unsigned char *d;

    if (len <= cur_len)
        return REFUSED(req, HALL_M_CONTRACT_NOT_APPEND, "file");
    fd = memfd_create("contract-rev", MFD_CLOEXEC);
    if (fd < 0 || write(fd, pdf, len) != (ssize_t)len) {
        if (fd >= 0)
            close(fd);
        hall_err(req, "msg=\"contract: memfd: %m\"");
        return HALL_ERR;
    }
    rc = hall_stamp_verify_fd(req->pool, fd, &trust, &rep, err, sizeof(err));
    close(fd);
    if (rc != HALL_OK)
        return REFUSED(req, HALL_M_CONTRACT_BAD_SIG, "file", err);
    for (i = 0; i < rep.nsigs; i++) {
        const struct hall_stamp_sig *s = &rep.sigs[i];

        if (s->revision_end > (long long)cur_len) {
            if (mine != NULL) /* two signatures appended at once */
                return REFUSED(req, HALL_M_CONTRACT_BAD_SIG, "file",
                               "一次只能追加一个签章（本签署区）");
            mine = s;
            continue;
        }
        /* an earlier party's: still intact under the new revision */
        if (!intact(s))
            return REFUSED(req, HALL_M_CONTRACT_BAD_SIG, "file",
                           hall_psprintf(req->pool, "第%d个签章（%s）已被破坏", s->index,
                                         s->signer_subject != NULL ? s->signer_subject : ""));
    }
    if (mine == NULL)
        return REFUSED(req, HALL_M_CONTRACT_BAD_SIG, "file", "文件中没有新的签章");
    if (!intact(mine) || !mine->covers_to_end)
        return REFUSED(req, HALL_M_CONTRACT_BAD_SIG, "file",
                       mine->problem != NULL && *mine->problem != '\0' ? mine->problem
                                                                       : "签章不完整");
    if (verdict_of(req, mine, &v) != HALL_OK)
        return HALL_ERR;
    if (v.state != HALL_STAMP_VALID)
        return REFUSED(req, HALL_M_CONTRACT_BAD_SIG, "file",
                       hall_psprintf(req->pool, "%s%s%s", hall_stamp_state_text(v.state),
                                     v.problem != NULL && *v.problem ? "：" : "",
                                     v.problem != NULL ? v.problem : ""));
    d = mine->signer_der;
    x = d2i_X509(NULL, &d, (long)mine->signer_der_len);
    if (x == NULL)
        return REFUSED(req, HALL_M_CONTRACT_BAD_SIG, "file", "签章证书无法读取");
    if (strcmp(p->kind, "org") == 0) {
        const char *u = cert_uscc(req->pool, x);

        if (strcmp(u, p->uscc) != 0) {
            X509_free(x);
            return REFUSED(req, HALL_M_CONTRACT_WRONG_ORG, "file", *u ? u : "（无）", p->uscc,
                           p->name);
        }
    } else if (strcmp(cert_cn(req->pool, x), p->name) != 0) {
        X509_free(x);
        return REFUSED(req, HALL_M_CONTRACT_WRONG_PERSON, "file", p->name);
    }
    X509_free(x);
    out->serial = mine->signer_serial;
    out->subject = mine->signer_subject;
    return HALL_OK;
}
