/*
 * stamp_level.c: the levels of docs/internals/stamp.md §3, "Levels"
 * (ETSI EN 319 142-1: PAdES B-B, B-T, B-LT, B-LTA).  The file's /DSS
 * (ISO 32000-2 §12.8.4.3: /Certs, /OCSPs, /CRLs, arrays of streams of DER)
 * is read once; each signature's signer and timestamp authority are looked
 * up in it, and an answer there made at or after the signature's timestamp
 * says the certificate's status at signing without anything asked online.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <zlib.h>

#include "stamp_int.h"

#define DSS_ITEM_MAX (1024 * 1024) /* one certificate, OCSP answer or CRL, decoded */

/* a stream's bytes through core/pdf, unfiltered or /FlateDecode alone (its
 * /DecodeParms not applied), at most DSS_ITEM_MAX decoded (a compression
 * bomb is no item), on the stream's raw data as pdf.h reads it:
 * malloc'ed, NULL when not */
static unsigned char *
dss_item_pdf(struct pdf_doc *d, const struct pdf_obj *st, size_t *len)
{
    const struct pdf_obj *f = pdf_key(d, st, "/Filter");
    const unsigned char *raw;
    unsigned char *out;
    size_t rn = 0;
    int flate;

    if (f != NULL && f->type == PDF_ARRAY && f->n == 1)
        f = pdf_resolve(d, f->items[0]);
    if (f == NULL)
        return NULL;
    flate = pdf_is_name(f, "/FlateDecode");
    if (f->type != PDF_NULL && !flate)
        return NULL;
    raw = pdf_stream_raw(d, st, &rn);
    if (raw == NULL)
        return NULL;
    if (!flate) {
        if (rn == 0 || rn > DSS_ITEM_MAX)
            return NULL;
        out = malloc(rn);
        if (out == NULL)
            abort();
        memcpy(out, raw, rn);
        *len = rn;
        return out;
    }
    {
        z_stream z;
        int zr;

        memset(&z, 0, sizeof(z));
        out = malloc(DSS_ITEM_MAX);
        if (out == NULL || inflateInit(&z) != Z_OK)
            abort();
        z.next_in = (unsigned char *)raw;
        z.avail_in = (uInt)rn;
        z.next_out = out;
        z.avail_out = DSS_ITEM_MAX;
        zr = inflate(&z, Z_FINISH);
        *len = z.total_out;
        inflateEnd(&z);
        if (zr != Z_STREAM_END || *len == 0) {
            free(out);
            return NULL;
        }
    }
    return out;
}

/* dss_array through core/pdf */
static int
dss_array_pdf(struct hall_pool *pool, struct pdf_doc *d, const struct pdf_obj *dss, const char *key,
              const unsigned char **der, size_t *len)
{
    const struct pdf_obj *arr = pdf_key(d, dss, key);
    int i, n = arr != NULL && arr->type == PDF_ARRAY ? arr->n : 0, got = 0;

    for (i = 0; i < n && got < HALL_STAMP_EVIDENCE_MAX; i++) {
        const struct pdf_obj *st = pdf_resolve(d, arr->items[i]);
        unsigned char *b, *k;
        size_t bl = 0;

        if (st == NULL || st->type != PDF_STREAM)
            continue;
        b = dss_item_pdf(d, st, &bl);
        if (b == NULL)
            continue;
        k = hall_palloc(pool, bl);
        memcpy(k, b, bl);
        free(b);
        der[got] = k;
        len[got++] = bl;
    }
    return got;
}

/* what stamp_dss_read_pdf tells, the /DSS counted into ev and rep */
static void
dss_told(struct hall_pool *pool, struct hall_stamp_evidence *ev, struct hall_stamp_report *rep)
{
    if (ev->n + ev->ncrl > 0) { /* each answer judged once a certificate (stamp_status.c) */
        ev->kept = stamp_kept_new(pool);
    }
    if (rep != NULL) {
        rep->dss_ocsps = ev->n;
        rep->dss_crls = ev->ncrl;
        rep->dss_certs = ev->ncert;
        rep->evidence = ev;
    }
}

void
stamp_dss_read_pdf(struct hall_pool *pool, struct pdf_doc *d, struct hall_stamp_evidence *ev,
                   struct hall_stamp_report *rep)
{
    const struct pdf_obj *dss = d != NULL ? pdf_key(d, pdf_root(d), "/DSS") : NULL;

    memset(ev, 0, sizeof(*ev));
    if (dss != NULL && dss->type == PDF_DICT) {
        ev->n = dss_array_pdf(pool, d, dss, "/OCSPs", ev->der, ev->len);
        ev->ncrl = dss_array_pdf(pool, d, dss, "/CRLs", ev->crl, ev->crl_len);
        ev->ncert = dss_array_pdf(pool, d, dss, "/Certs", ev->cert, ev->cert_len);
    }
    dss_told(pool, ev, rep);
}

/* stamp_issued_by(x, issuer), asked once a file for the same two
 * certificates (kept in m, freed with it) */
static int
memo_issued(struct stamp_memo *m, X509 *x, X509 *issuer)
{
    unsigned char *dx, *di;
    size_t lx = 0, li = 0;
    int i, ok;

    if (m == NULL)
        return stamp_issued_by(x, issuer);
    dx = stamp_memo_der(x, &lx);
    di = stamp_memo_der(issuer, &li);
    for (i = 0; dx != NULL && di != NULL && i < m->niss; i++)
        if (m->iss_xl[i] == lx && m->iss_il[i] == li && memcmp(m->iss_x[i], dx, lx) == 0 &&
            memcmp(m->iss_i[i], di, li) == 0) {
            free(dx);
            free(di);
            return m->iss_ok[i];
        }
    ok = stamp_issued_by(x, issuer);
    if (dx != NULL && di != NULL && m->niss < STAMP_MEMO_MAX) {
        m->iss_x[m->niss] = dx;
        m->iss_xl[m->niss] = lx;
        m->iss_i[m->niss] = di;
        m->iss_il[m->niss] = li;
        m->iss_ok[m->niss++] = ok;
        return ok;
    }
    free(dx);
    free(di);
    return ok;
}

/* the one of the certificates that issued x; NULL none */
static X509 *
issuer_in(struct stamp_memo *m, X509 *x, STACK_OF(X509) * certs)
{
    for (int i = 0; i < sk_X509_num(certs); i++)
        if (X509_cmp(sk_X509_value(certs, i), x) != 0 && memo_issued(m, x, sk_X509_value(certs, i)))
            return sk_X509_value(certs, i);
    return NULL;
}

static void
note_add(struct hall_stamp_verdict *v, const char *text)
{
    if (v->nnotes < HALL_STAMP_NOTES_MAX && text != NULL && text[0] != '\0')
        v->notes[v->nnotes++] = text;
}

/* one signature's signer and TSA against the evidence, and its level */
static void
level_one(struct hall_pool *pool, struct stamp_memo *m, const struct hall_stamp_evidence *ev,
          STACK_OF(X509) * certs, struct hall_stamp_sig *s, time_t dts_last)
{
    struct hall_stamp_status st;
    X509 *signer = stamp_memo_x509(m, s->signer_der, s->signer_der_len), *tsa, *issuer;

    s->level = s->timestamp == HALL_STAMP_PASS ? "B-T" : "B-B";
    issuer = signer != NULL ? issuer_in(m, signer, certs) : NULL;
    s->ltv_issuer = issuer != NULL;
    if (issuer != NULL && s->signing_time != 0 &&
        stamp_status_kept(pool, signer, issuer, ev, s->signing_time, &st) == HALL_OK) {
        s->ltv_state = st.state;
        s->ltv_source = st.source;
        s->ltv_at = st.checked_at;
        s->ltv_revoked_at = st.revoked_at;
        s->ltv_reason = st.reason;
    }
    /* the TSA's certificate: its own OCSP or CRL, or (the hall's, which
     * names none) the root's CRL that issued it, kept in the file */
    tsa = stamp_memo_x509(m, s->tsa_der, s->tsa_der_len);
    if (tsa != NULL) {
        issuer = issuer_in(m, tsa, certs);
        s->ltv_tsa_needed = stamp_status_sources(pool, tsa) ||
                            (issuer != NULL && X509_check_issued(issuer, issuer) == X509_V_OK);
        if (!s->ltv_tsa_needed)
            issuer = NULL;
        if (issuer != NULL && s->signing_time != 0 &&
            stamp_status_kept(pool, tsa, issuer, ev, s->signing_time, &st) == HALL_OK) {
            s->ltv_tsa_state = st.state;
            s->ltv_tsa_revoked_at = st.revoked_at;
        }
    }
    /* a timestamp by a TSA whose certificate was revoked before it proves
     * no time: the stamp is judged as one without a valid timestamp */
    if (s->ltv_tsa_state == HALL_STAMP_REV_REVOKED && s->ltv_tsa_revoked_at <= s->signing_time &&
        s->timestamp == HALL_STAMP_PASS) {
        s->timestamp = HALL_STAMP_FAIL;
        s->level = "B-B";
        if (s->state == HALL_STAMP_VALID) {
            s->state = HALL_STAMP_FOREIGN;
            s->problem = hall_psprintf(
                pool, "依据文件内嵌的根CA证书吊销列表，时间戳服务证书于 %s 吊销，早于时间戳时间",
                hall_beijing_time(pool, s->ltv_tsa_revoked_at));
        }
    }
    if (s->timestamp == HALL_STAMP_PASS && s->ltv_state != HALL_STAMP_REV_UNCHECKED &&
        s->ltv_issuer && (!s->ltv_tsa_needed || s->ltv_tsa_state != HALL_STAMP_REV_UNCHECKED))
        s->level = "B-LT";
    /* B-LTA: a document timestamp made after the evidence (so the /DSS
     * holding it came before; the timestamp covers the revisions before it):
     * any later one, the newest (dts_last) for evidence a later /DSS added */
    if (strcmp(s->level, "B-LT") == 0 && s->doc_ts_after > 0 && s->ltv_at <= dts_last)
        s->level = "B-LTA";
    X509_free(signer);
    X509_free(tsa);
}

void
stamp_levels(struct hall_pool *pool, const struct hall_stamp_trust *trust,
             struct hall_stamp_report *rep)
{
    static const struct hall_stamp_evidence none;
    const struct hall_stamp_evidence *ev = rep->evidence != NULL ? rep->evidence : &none;
    STACK_OF(X509) *certs = sk_X509_new_null();
    int i, j;
    time_t last;

    if (certs == NULL)
        abort();
    stamp_kept_memo(ev->kept, trust->memo); /* the answers' responders decoded once */
    for (i = 0; i < ev->ncert; i++) {
        X509 *x = stamp_memo_x509(NULL, ev->cert[i], ev->cert_len[i]);

        if (x != NULL)
            sk_X509_push(certs, x);
    }
    for (i = 0; trust->cas != NULL && i < sk_X509_num(trust->cas); i++)
        if (X509_up_ref(sk_X509_value(trust->cas, i)) == 1)
            sk_X509_push(certs, sk_X509_value(trust->cas, i));
    for (i = 0; trust->roots != NULL && i < sk_X509_num(trust->roots); i++)
        if (X509_up_ref(sk_X509_value(trust->roots, i)) == 1)
            sk_X509_push(certs, sk_X509_value(trust->roots, i));
    for (i = 0; i < rep->nsigs; i++) {
        struct hall_stamp_sig *s = &rep->sigs[i];

        s->level = "";
        if (s->doc_timestamp && s->range == HALL_STAMP_PASS) {
            s->level = "DTS";
            rep->doc_timestamps += s->state == HALL_STAMP_VALID;
            continue;
        }
        if (s->ses) {
            s->level = "GB/T 38540";
            continue;
        }
        if (s->range != HALL_STAMP_PASS || s->signature != HALL_STAMP_PASS)
            continue;
        last = 0;
        for (j = i + 1; j < rep->nsigs; j++)
            if (rep->sigs[j].doc_timestamp && rep->sigs[j].state == HALL_STAMP_VALID &&
                rep->sigs[j].revision_end > s->revision_end) {
                if (s->doc_ts_after++ == 0)
                    s->doc_ts_time = rep->sigs[j].signing_time;
                if (rep->sigs[j].signing_time > last)
                    last = rep->sigs[j].signing_time;
            }
        level_one(pool, trust->memo, ev, certs, s, last);
    }
    stamp_kept_memo(ev->kept, NULL); /* the memo dies with hall_stamp_verify_file */
    sk_X509_pop_free(certs, X509_free);
}

const char *
hall_stamp_level_text(const char *level)
{
    static const char *const t[][2] = {
        {"B-B", "B-B（基本签名：没有可信时间戳）"},
        {"B-T", "B-T（带时间戳：文件内没有签章时的吊销信息，吊销状态须向CA查询）"},
        {"B-LT", "B-LT（长期验证：文件内含验证所需的证书和签章时的吊销信息）"},
        {"B-LTA", "B-LTA（长期存档：其后的文档时间戳保护文件内的验证信息）"},
        {"GB/T 38540", "GB/T 38540 电子签章（其格式没有存放吊销信息之处，不分PAdES级别）"},
        {"DTS", "文档时间戳（ETSI.RFC3161）"},
    };

    for (size_t i = 0; level != NULL && i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(level, t[i][0]) == 0)
            return t[i][1];
    return "";
}

int
stamp_verdict_kept(struct hall_pool *pool, const struct hall_stamp_sig *s,
                   struct hall_stamp_verdict *v)
{
    const char *src;
    time_t now = time(NULL);

    if (!hall_stamp_wants_records(s) || s->ltv_state == HALL_STAMP_REV_UNCHECKED)
        return 0;
    /* the records knew better: revoked at or before the signing time */
    if (v->state == HALL_STAMP_REVOKED_BEFORE)
        return 1;
    src = s->ltv_source != NULL && strcmp(s->ltv_source, "CRL") == 0 ? "CRL" : "OCSP答复";
    if (s->ltv_state == HALL_STAMP_REV_REVOKED && s->ltv_revoked_at <= s->signing_time) {
        v->signer_at_signing = "已吊销";
        if (v->state == HALL_STAMP_VALID) {
            v->state = HALL_STAMP_REVOKED_BEFORE;
            v->problem = hall_psprintf(pool, "依据文件内嵌的%s，签章人证书于 %s 吊销，早于签章时间",
                                       src, hall_beijing_time(pool, s->ltv_revoked_at));
        }
        return 1;
    }
    if (s->ltv_state == HALL_STAMP_REV_UNKNOWN)
        return 0;
    if (v->signer_at_signing[0] == '\0')
        v->signer_at_signing = "有效";
    if (v->state != HALL_STAMP_VALID)
        return 1;
    if (s->ltv_state == HALL_STAMP_REV_REVOKED)
        note_add(v, hall_psprintf(pool,
                                  "依据文件内嵌的%s（%s）：签章人证书于 %s 吊销，晚于签章时间，"
                                  "签章仍有效（签章后吊销）",
                                  src, hall_beijing_time(pool, s->ltv_at),
                                  hall_beijing_time(pool, s->ltv_revoked_at)));
    else
        note_add(v, hall_psprintf(pool,
                                  "依据文件内嵌的吊销信息（%s，%s）：签章时签章人证书未被吊销，"
                                  "无需联网查询",
                                  src, hall_beijing_time(pool, s->ltv_at)));
    if (s->signer_not_after != 0 && s->signer_not_after < now)
        note_add(v, hall_psprintf(pool,
                                  "签章人证书已于 %s 到期；时间戳证明签章时证书在有效期内，"
                                  "依据文件内嵌的吊销信息签章仍有效",
                                  hall_beijing_time(pool, s->signer_not_after)));
    return 1;
}

int
hall_stamp_evidence_read(struct hall_pool *pool, const char *path, struct hall_stamp_evidence *ev)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = HALL_ERR;
    struct stat sb;
    unsigned char *map = NULL;
    struct pdf_doc *d;
    char err[128];

    memset(ev, 0, sizeof(*ev));
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 16 ||
        sb.st_size > HALL_STAMP_PDF_MAX)
        goto out;
    map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        map = NULL;
        goto out;
    }
    /* its own pool: the document's tree let go, the evidence copied into pool */
    {
        struct hall_pool *tmp = hall_pool_create(65536);

        d = stamp_pdf_open(tmp, map, (size_t)sb.st_size, err, sizeof(err));
        if (d != NULL) {
            stamp_dss_read_pdf(pool, d, ev, NULL);
            rc = HALL_OK;
        }
        hall_pool_destroy(tmp);
    }
out:
    if (map != NULL)
        munmap(map, (size_t)sb.st_size);
    if (fd >= 0)
        close(fd);
    return rc;
}

int
hall_stamp_wants_records(const struct hall_stamp_sig *s)
{
    return !s->demo && s->chain == HALL_STAMP_PASS && s->signer_serial != NULL;
}
