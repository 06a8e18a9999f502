/*
 * 在线更新 of a certificate on a USB key, by the 证书助手 (hall-assist renew;
 * docs/modules/assist.md, sql/157_renew_tickets.sql; issue 64 §3).  The
 * holder's 证书更新 order, once 成功受理, gives a one-time code for the
 * medium; the tool generates a new key pair on the same medium and sends a
 * request the new key signed, signed again by the old key.  The hall
 * checks both signatures (the old one against the ticket's certificate: the
 * medium that holds it asks; the new one: proof of possession) and issues
 * as core/biz/produce.c does (write-intent: intent, sign, store), with the
 * order's subject (the old certificate's) and validity: from now, to the
 * old end plus the years while the old one is valid (no paid day lost; the
 * old key leaves the medium, so the new one must work at once), else now
 * plus the years.  The old certificate is not revoked, as for every 更新;
 * the seals it signs are made again on the new one (core/biz/sealprod.c;
 * after a write that failed, from the revoked certificate they were
 * re-made on then).
 *
 * 在线变更 (hall-assist change, a 证书变更 order of a medium's certificate)
 * is the same exchange on the same tickets, its proof prefixed "hall-assist
 * change": the certificate carries the order's subject (the data the
 * holder proved changed, as core/biz/produce.c's 变更 does) and ends when
 * the old one would have (the old one must still be valid); the old one is
 * revoked as superseded only when the tool says the new one is on the
 * medium (hall_renew_written), in that transaction.  The seals the old
 * certificate signs are made again on the new one with the unit's new name
 * (core/biz/sealrename.c); a 业务章 with a certificate of its own is not
 * given a new one here (no_own: the tool makes no new key for it on the
 * medium yet, and the hall makes none): it stays on its own certificate.
 *
 * renew_tickets is this file's (docs/architecture.md, "Who owns each
 * table").
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "biz/biz.h"

#define WRONG_MAX 5
#define CESSATION 5 /* RFC 5280 CRLReason cessationOfOperation */

/* a 证书变更 order's (else a 证书更新 order's) */
static int
is_change(const char *verb)
{
    return strcmp(verb, "change") == 0;
}

const struct hall_stmt hall_renew_assist_stmts[] = {
    {"renew_code",
     "INSERT INTO renew_tickets (order_id, cert_serial, medium_serial, code_hash, code_at)"
     " VALUES ($1, $2, $3, $4, now()) ON CONFLICT (order_id) DO UPDATE SET code_hash ="
     " EXCLUDED.code_hash, code_at = now() WHERE renew_tickets.state = 'open'"
     " RETURNING state",
     4},
    /* the medium's live ticket with a code of an order of business $2,
     * locked with its order; the old certificate; the new one's end (更新):
     * the old end + the years while the old is valid, else none (now + the
     * years); the old end (变更) */
    {"renew_lock",
     "SELECT t.order_id, t.cert_serial, t.code_hash, t.state, t.wrong_tries,"
     " coalesce(t.new_serial, '') AS new_serial, coalesce(t.failed_serial, '') AS failed_serial, "
     "o.status, o.years,"
     " o.cert_type, o.form_enc, o.subject, c.der AS old_der, c.ca, c.subject_cn,"
     " c.subject_org, coalesce(cert_org_code(c.der), '') AS old_uscc,"
     " c.state = 'issued' AS usable,"
     " CASE WHEN c.state = 'issued' AND c.not_after > now() THEN extract(epoch FROM"
     " c.not_after + make_interval(years => coalesce(o.years, 0)))::bigint ELSE 0 END AS"
     " until_epoch, c.not_after > now() AS unexpired,"
     " extract(epoch FROM c.not_after)::bigint AS old_end_epoch"
     " FROM renew_tickets t JOIN orders o ON o.id = t.order_id"
     " JOIN certificates c ON c.serial = t.cert_serial"
     " WHERE t.medium_serial = $1 AND t.code_hash IS NOT NULL AND o.business_type = $2"
     " ORDER BY t.state IN ('open', 'issued') DESC, t.created_at DESC LIMIT 1"
     " FOR UPDATE OF t, o",
     2},
    {"renew_wrong",
     "UPDATE renew_tickets SET wrong_tries = wrong_tries + 1, state = CASE WHEN"
     " wrong_tries + 1 >= $2 THEN 'void' ELSE state END WHERE order_id = $1"
     " RETURNING state, wrong_tries",
     2},
    {"renew_issued",
     "UPDATE renew_tickets SET state = 'issued', new_serial = $2, issued_at = now()"
     " WHERE order_id = $1 AND state = 'open' RETURNING order_id",
     2},
    {"renew_written",
     "UPDATE renew_tickets SET state = 'written', written_at = now()"
     " WHERE order_id = $1 AND state = 'issued' RETURNING order_id",
     1},
    /* the write failed: a new code is needed for another try */
    {"renew_reopen",
     "UPDATE renew_tickets SET state = 'open', code_hash = NULL, failed_serial = new_serial,"
     " new_serial = NULL, issued_at = NULL WHERE order_id = $1 AND state = 'issued' RETURNING "
     "order_id",
     1},
    {NULL, NULL, 0},
};

int
hall_renew_ticket_code(struct hall_ctx *cx, int64_t order_id, const char *cert_serial,
                       const char *medium, const char *code_hash)
{
    struct hall_dbres *r = hall_db_exec(cx, "renew_code", HALL_I64(order_id), HALL_STR(cert_serial),
                                        HALL_STR(medium), HALL_STR(code_hash));

    if (r == NULL)
        return HALL_ERR;
    return hall_dbres_rows(r) == 1 ? HALL_OK : HALL_CONFLICT;
}

/* in the caller's transaction: the medium's ticket for code, locked; a
 * wrong code counted (the caller commits it) */
static enum hall_renew_result
ticket_check(struct hall_ctx *cx, const char *verb, const char *medium, const char *code,
             struct hall_dbres **out, struct hall_renew_out *o)
{
    char hex[65];
    struct hall_dbres *t = hall_db_exec(cx, "renew_lock", HALL_STR(medium), HALL_STR(verb)), *w;
    const char *state;

    if (t == NULL)
        return HALL_RENEW_DB_ERROR;
    if (hall_dbres_rows(t) == 0)
        return HALL_RENEW_NO_TICKET;
    *out = t;
    state = hall_dbres_str(t, 0, "state");
    o->order_id = hall_dbres_int(t, 0, "order_id");
    snprintf(o->cert_serial, sizeof(o->cert_serial), "%s", hall_dbres_str(t, 0, "cert_serial"));
    snprintf(o->new_serial, sizeof(o->new_serial), "%s", hall_dbres_str(t, 0, "new_serial"));
    if (strcmp(state, "void") == 0)
        return HALL_RENEW_VOID;
    if (hall_assist_code_hash(code, hex) != HALL_OK ||
        !hall_ct_equal(hex, hall_dbres_str(t, 0, "code_hash"), 64)) {
        if (strcmp(state, "open") != 0)
            return HALL_RENEW_NO_TICKET;
        w = hall_db_exec(cx, "renew_wrong", HALL_I64(o->order_id), HALL_I64(WRONG_MAX));
        if (w == NULL)
            return HALL_RENEW_DB_ERROR;
        o->tries_left = WRONG_MAX - (int)hall_dbres_int(w, 0, "wrong_tries");
        return o->tries_left <= 0 ? HALL_RENEW_VOID : HALL_RENEW_WRONG_CODE;
    }
    return HALL_RENEW_OK;
}

/* the old key's signature over the medium serial and the request, checked
 * with the old certificate's public key */
static int
old_key_signed(struct hall_ctx *cx, struct hall_dbres *t, const char *prefix, const char *medium,
               const unsigned char *csr, size_t csr_len, const unsigned char *proof,
               size_t proof_len, EVP_PKEY **old_pub)
{
    size_t len, n;
    unsigned char *der = hall_dbres_bytea(cx, t, 0, hall_dbres_col(t, "old_der"), &len), *msg;
    const unsigned char *p = der;
    X509 *x = der != NULL ? d2i_X509(NULL, &p, (long)len) : NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = 0;

    *old_pub = x != NULL ? X509_get_pubkey(x) : NULL;
    n = strlen(prefix) + strlen(medium) + 1;
    msg = hall_palloc(cx->pool, n + csr_len);
    memcpy(msg, prefix, strlen(prefix));
    memcpy(msg + strlen(prefix), medium, strlen(medium));
    msg[n - 1] = '\n';
    memcpy(msg + n, csr, csr_len);
    if (*old_pub != NULL && md != NULL &&
        EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, *old_pub) == 1)
        ok = EVP_DigestVerify(md, proof, proof_len, msg, n + csr_len) == 1;
    EVP_MD_CTX_free(md);
    X509_free(x);
    return ok;
}

/* one renewal: what its steps share */
struct renewal {
    struct hall_ctx *cx;
    const char *verb, *medium, *actor, *ca, *cert_type, *csr_sha256;
    const char *cn, *org, *uscc, *ric;
    struct hall_renew_out *out;
    int years;
    int64_t until;
    time_t nb, na, pop_at;
    EVP_PKEY *pub;
    struct hall_sealremake *rm; /* the seals the old certificate signs */
    int remade, renamed;
};

/* 1. the intent, committed: the ticket and order locked and checked, both
 * proofs, no live certificate for the order, the serial's intent */
static enum hall_renew_result
renew_intent(struct renewal *rn, const char *code, const unsigned char *csr, size_t csr_len,
             const unsigned char *proof, size_t proof_len)
{
    struct hall_ctx *cx = rn->cx;
    struct hall_dbres *t = NULL, *res;
    struct hall_val *form;
    struct hall_sealrename rename;
    enum hall_renew_result r;
    EVP_PKEY *old = NULL;
    char err[300];
    const char *f_cn, *f_org, *f_uscc, *ric;
    int i, same;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_RENEW_DB_ERROR;
    r = ticket_check(cx, rn->verb, rn->medium, code, &t, rn->out);
    if (r == HALL_RENEW_WRONG_CODE || r == HALL_RENEW_VOID)
        return hall_db_commit(cx) == HALL_OK ? r : HALL_RENEW_DB_ERROR;
    if (r != HALL_RENEW_OK)
        return r;
    if (strcmp(hall_dbres_str(t, 0, "state"), "open") != 0)
        return HALL_RENEW_USED;
    /* 变更 carries the old one's remaining validity: none left, none made */
    if (!hall_dbres_bool(t, 0, "usable") ||
        strcmp(hall_dbres_str(t, 0, "status"), "accepted") != 0 ||
        (is_change(rn->verb) && !hall_dbres_bool(t, 0, "unexpired")))
        return HALL_RENEW_CERT_GONE;
    if (!old_key_signed(cx, t,
                        is_change(rn->verb) ? HALL_CHANGE_PROOF_PREFIX : HALL_RENEW_PROOF_PREFIX,
                        rn->medium, csr, csr_len, proof, proof_len, &old)) {
        EVP_PKEY_free(old);
        return HALL_RENEW_BAD_PROOF;
    }
    rn->pub = hall_medium_csr_check(cx->pool, csr, csr_len, &rn->csr_sha256, err, sizeof(err));
    if (rn->pub == NULL) {
        EVP_PKEY_free(old);
        rn->out->why = hall_pstrdup(cx->pool, err);
        return HALL_RENEW_BAD_CSR;
    }
    rn->pop_at = time(NULL);
    same = EVP_PKEY_eq(old, rn->pub) == 1;
    EVP_PKEY_free(old);
    if (same)
        return HALL_RENEW_SAME_KEY;
    res = hall_db_exec(cx, "pki_live_cert", HALL_I64(rn->out->order_id));
    if (res == NULL)
        return HALL_RENEW_DB_ERROR;
    if (hall_dbres_rows(res) > 0)
        return HALL_RENEW_BUSY;
    /* the subject: the old certificate's (as produce.c's replacing()) */
    rn->ca = hall_pstrdup(cx->pool, hall_dbres_str(t, 0, "ca"));
    rn->cert_type = hall_pstrdup(cx->pool, hall_dbres_str(t, 0, "cert_type"));
    rn->years = (int)hall_dbres_int(t, 0, "years");
    rn->until = hall_dbres_int(t, 0, "until_epoch");
    rn->cn = hall_pstrdup(cx->pool, hall_dbres_str(t, 0, "subject_cn"));
    rn->org = hall_pstrdup(cx->pool, hall_dbres_str(t, 0, "subject_org"));
    rn->uscc = hall_pstrdup(cx->pool, hall_dbres_str(t, 0, "old_uscc"));
    form = hall_dbres_pii_json(cx, t, 0, hall_dbres_col(t, "form_enc"));
    if (form == NULL || form->type != HALL_V_OBJ) {
        hall_err(cx, "msg=\"renew: order unreadable\" order=%lld", (long long)rn->out->order_id);
        return HALL_RENEW_DB_ERROR;
    }
    hall_produce_subject(rn->cert_type, form, hall_dbres_str(t, 0, "subject"), &f_cn, &f_org,
                         &f_uscc, &ric);
    rn->ric = hall_pstrdup(cx->pool, ric);
    if (is_change(rn->verb)) {
        /* 变更: the order's data (produce.c's subject_of), until the old end */
        rn->cn = hall_pstrdup(cx->pool, f_cn);
        rn->org = hall_pstrdup(cx->pool, f_org);
        rn->uscc = hall_pstrdup(cx->pool, f_uscc);
        rn->until = hall_dbres_int(t, 0, "old_end_epoch");
    }
    for (i = 0; i < 5; i++) {
        hall_pki_serial_draw(rn->out->new_serial);
        res = hall_cert_intent(cx, rn->out->new_serial, rn->out->order_id, 0, rn->ca, rn->cn,
                               rn->org, rn->years, rn->until, 0);
        if (res == NULL)
            return HALL_RENEW_DB_ERROR;
        if (hall_dbres_rows(res) == 1)
            break;
    }
    if (i == 5)
        return HALL_RENEW_DB_ERROR;
    /* one certificate a public key (sql/192): a key certified before, for
     * anyone, is refused */
    i = hall_cert_spki_claim(cx, rn->out->new_serial, rn->pub);
    if (i == HALL_CONFLICT)
        return HALL_RENEW_KEY_TAKEN;
    if (i != HALL_OK)
        return HALL_RENEW_DB_ERROR;
    rn->nb = (time_t)hall_dbres_int(res, 0, "not_before_epoch");
    rn->na = (time_t)hall_dbres_int(res, 0, "not_after_epoch");
    if (hall_audit(cx, rn->actor, "certificate", rn->out->new_serial, "intent", NULL, "intent",
                   NULL) != HALL_OK)
        return HALL_RENEW_DB_ERROR;
    /* the seals the old certificate signs, made again on the new one (as
     * production does for every 更新 and 变更: core/biz/sealrename.c); 变更:
     * with the unit's new name, no 业务章 certificate made in the hall */
    rename.org = rn->org;
    rename.uscc = rn->uscc;
    rename.actor = rn->actor;
    rename.order_id = rn->out->order_id;
    rename.no_own = 1;
    if (hall_sealprod_remake_intent(cx,
                                    *hall_dbres_str(t, 0, "failed_serial") != '\0'
                                        ? hall_dbres_str(t, 0, "failed_serial")
                                        : rn->out->cert_serial,
                                    is_change(rn->verb) ? &rename : NULL, &rn->rm) != HALL_OK)
        return HALL_RENEW_DB_ERROR;
    return hall_db_commit(cx) == HALL_OK ? HALL_RENEW_OK : HALL_RENEW_DB_ERROR;
}

/* 3. stored: the certificate on the register (key_origin 'medium', the same
 * medium, key_attested false), where its key was born (holder_medium: the
 * holder's medium as its assistant says, proven by the old key,
 * unattested), the issue, the ticket issued */
static int
renew_store(struct renewal *rn, const unsigned char *der, size_t der_len)
{
    struct hall_ctx *cx = rn->cx;
    struct hall_pool *pool = cx->pool;
    struct hall_val *born = hall_val_obj(pool), *issue = hall_val_obj(pool),
                    *waiting = hall_val_obj(pool);
    struct hall_dbres *res;
    char at[32];
    struct tm tm;

    if (hall_db_begin(cx) != HALL_OK)
        return HALL_ERR;
    res = hall_cert_store_medium(cx, rn->out->new_serial, der, der_len, rn->medium,
                                 (int64_t)rn->pop_at);
    /* born where the hall cannot see: the holder's medium, as the
     * assistant says, proven by the old key; no attestation (sql/193) */
    if (res == NULL || hall_dbres_rows(res) != 1 ||
        hall_cert_key_unattested(cx, rn->out->new_serial) != HALL_OK)
        return HALL_ERR;
    res = hall_db_exec(cx, "renew_issued", HALL_I64(rn->out->order_id),
                       HALL_STR(rn->out->new_serial));
    if (res == NULL || hall_dbres_rows(res) != 1)
        return HALL_ERR;
    hall_val_set_str(pool, born, "born", "holder_medium");
    hall_val_set_bool(pool, born, "attested", 0);
    hall_val_set_str(pool, born, "medium", rn->medium);
    hall_val_set_str(pool, born, "via", is_change(rn->verb) ? "assist_change" : "assist_renew");
    hall_val_set_str(pool, born, "replaces", rn->out->cert_serial);
    hall_val_set_str(pool, born, "old_key_proof", "checked");
    hall_val_set_str(pool, born, "csr_sha256", rn->csr_sha256);
    gmtime_r(&rn->pop_at, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    hall_val_set_str(pool, issue, "key_origin", "holder_medium");
    hall_val_set_bool(pool, issue, "attested", 0);
    hall_val_set_str(pool, issue, "medium", rn->medium);
    hall_val_set_str(pool, issue, "pop", "checked");
    hall_val_set_str(pool, issue, "pop_checked_at", hall_pstrdup(pool, at));
    hall_val_set_str(pool, issue, "csr_sha256", rn->csr_sha256);
    hall_val_set_int(pool, issue, "order", rn->out->order_id);
    /* what staff and the holder read in the order's 办理记录 until the tool
     * confirms the write (the order stays 成功受理 meanwhile) */
    hall_val_set_str(pool, waiting, "serial", rn->out->new_serial);
    hall_val_set_str(pool, waiting, "medium", rn->medium);
    hall_val_set_str(pool, waiting, "reason",
                     hall_psprintf(pool, "新证书 %s 已签发，待证书助手确认已写入USB Key %s",
                                   rn->out->new_serial, rn->medium));
    if (is_change(rn->verb))
        hall_val_set_str(pool, waiting, "replaces", rn->out->cert_serial);
    if (hall_audit(cx, rn->actor, "certificate", rn->out->new_serial, "key_born", NULL, NULL,
                   born) != HALL_OK ||
        hall_audit(cx, rn->actor, "certificate", rn->out->new_serial, "issue", "intent", "issued",
                   issue) != HALL_OK ||
        hall_audit(cx, rn->actor, "order",
                   hall_psprintf(pool, "%lld", (long long)rn->out->order_id),
                   is_change(rn->verb) ? "change_assist_issued" : "renew_assist_issued", NULL, NULL,
                   waiting) != HALL_OK ||
        hall_sealprod_remake_store(cx, rn->rm, NULL, rn->actor, &rn->remade, &rn->renamed) !=
            HALL_OK)
        return HALL_ERR;
    return hall_db_commit(cx);
}

enum hall_renew_result
hall_renew_issue(struct hall_ctx *cx, const char *verb, const char *medium, const char *code,
                 const unsigned char *csr, size_t csr_len, const unsigned char *proof,
                 size_t proof_len, const char *actor, struct hall_renew_out *out)
{
    struct renewal rn;
    enum hall_renew_result r;
    unsigned char *der = NULL, *chain = NULL;
    size_t der_len = 0, chain_len = 0;
    X509 *x = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&rn, 0, sizeof(rn));
    rn.cx = cx;
    rn.verb = verb;
    rn.medium = medium;
    rn.actor = actor;
    rn.out = out;
    if (!hall_pki_can_sign() || hall_pki_token_ready("no certificate can be made") != HALL_OK)
        return HALL_RENEW_DB_ERROR;
    r = renew_intent(&rn, code, csr, csr_len, proof, proof_len);
    if (cx->in_tx)
        hall_db_rollback(cx);
    if (r != HALL_RENEW_OK) {
        hall_sealprod_remake_free(rn.rm);
        EVP_PKEY_free(rn.pub);
        return r;
    }
    /* 2. signed for the medium's new key */
    x = hall_pki_cert_for(cx, rn.ca, out->new_serial, rn.nb, rn.na, rn.cert_type, rn.cn, rn.org,
                          rn.uscc, rn.ric, rn.pub);
    der = x != NULL ? hall_pki_der(cx->pool, x, &der_len) : NULL;
    rc = der != NULL && hall_sealprod_remake_sign(cx, rn.rm, out->new_serial, der, der_len,
                                                  rn.na) == HALL_OK
             ? renew_store(&rn, der, der_len)
             : HALL_ERR;
    if (cx->in_tx)
        hall_db_rollback(cx);
    if (rc == HALL_OK &&
        hall_pki_chain(cx->pool, rn.ca, der, der_len, 0, &chain, &chain_len) == HALL_OK)
        out->chain = hall_pstrndup(cx->pool, (const char *)chain, chain_len);
    else if (rc == HALL_OK)
        hall_err(cx, "msg=\"renew: chain not made\" serial=%s", out->new_serial);
    if (rc != HALL_OK) {
        /* signed or not, never stored: the serial is burnt (listed revoked) */
        hall_err(cx, "msg=\"renew: certificate not stored\" order=%lld serial=%s",
                 (long long)out->order_id, out->new_serial);
        if (hall_db_begin(cx) != HALL_OK || hall_cert_void(cx, out->new_serial, actor) != HALL_OK ||
            hall_db_commit(cx) != HALL_OK)
            hall_err(cx, "msg=\"renew: intent not voided\" serial=%s", out->new_serial);
        if (cx->in_tx)
            hall_db_rollback(cx);
    } else {
        hall_info(cx,
                  "msg=\"certificate issued\" order=%lld serial=%s ca=%s key=medium medium=%s"
                  " replaces=%s csr=%s",
                  (long long)out->order_id, out->new_serial, rn.ca, medium, out->cert_serial,
                  rn.csr_sha256);
        out->seals_remade = rn.remade;
        hall_sealprod_remake_crls(cx, rn.rm, NULL);
    }
    hall_sealprod_remake_free(rn.rm);
    X509_free(x);
    EVP_PKEY_free(rn.pub);
    return rc == HALL_OK ? HALL_RENEW_OK : HALL_RENEW_DB_ERROR;
}

/* the same serial in hex, leading zeros and case aside */
static int
same_serial(const char *a, const char *b)
{
    while (*a == '0')
        a++;
    while (*b == '0')
        b++;
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if ((*a | 0x20) != (*b | 0x20))
            return 0;
    return *a == *b;
}

/* written and failed: the ticket, checked, in state issued (or, said
 * twice, already moved: *again) */
static enum hall_renew_result
issued_ticket(struct hall_ctx *cx, const char *verb, const char *medium, const char *code,
              const char *done, struct hall_renew_out *out, int *again)
{
    struct hall_dbres *t = NULL;
    enum hall_renew_result r;
    const char *state;

    memset(out, 0, sizeof(*out));
    *again = 0;
    if (hall_db_begin(cx) != HALL_OK)
        return HALL_RENEW_DB_ERROR;
    r = ticket_check(cx, verb, medium, code, &t, out);
    if (r == HALL_RENEW_WRONG_CODE || r == HALL_RENEW_VOID)
        return hall_db_commit(cx) == HALL_OK ? r : HALL_RENEW_DB_ERROR;
    if (r != HALL_RENEW_OK)
        return r;
    state = hall_dbres_str(t, 0, "state");
    if (done != NULL && strcmp(state, done) == 0) {
        *again = 1;
        return HALL_RENEW_OK;
    }
    return strcmp(state, "issued") == 0 ? HALL_RENEW_OK : HALL_RENEW_NOT_ISSUED;
}

enum hall_renew_result
hall_renew_written(struct hall_ctx *cx, const char *verb, const char *medium, const char *code,
                   const char *serial, const char *actor, struct hall_renew_out *out)
{
    struct hall_val *d;
    struct hall_dbres *u;
    const char *ca = NULL, *why = NULL;
    int again;
    enum hall_renew_result r = issued_ticket(cx, verb, medium, code, "written", out, &again);

    if (r == HALL_RENEW_OK && serial != NULL && *serial != '\0' &&
        !same_serial(serial, out->new_serial))
        r = HALL_RENEW_OTHER_SERIAL;
    if (r != HALL_RENEW_OK || again) {
        if (cx->in_tx)
            hall_db_rollback(cx);
        return r;
    }
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "serial", out->new_serial);
    hall_val_set_str(cx->pool, d, "medium", medium);
    hall_val_set_str(cx->pool, d, "via", is_change(verb) ? "assist_change" : "assist_renew");
    u = hall_db_exec(cx, "renew_written", HALL_I64(out->order_id));
    /* 变更: the old certificate ends now that the new one is on the medium */
    if (u == NULL || hall_dbres_rows(u) != 1 ||
        (is_change(verb) && hall_produce_supersede(cx, out->order_id, out->cert_serial,
                                                   out->new_serial, actor, &ca, &why) != HALL_OK) ||
        hall_order_move(cx, out->order_id, "accepted", "issued", actor, d) != HALL_OK ||
        hall_order_move(cx, out->order_id, "issued", "delivered", actor, d) != HALL_OK ||
        hall_order_delivered(cx, out->order_id, (int64_t)time(NULL)) != HALL_OK ||
        hall_finauth_pin_destroy(cx, out->order_id) != HALL_OK ||
        hall_audit(cx, actor, "medium", medium,
                   is_change(verb) ? "change_written" : "renew_written", "issued", "written",
                   d) != HALL_OK ||
        hall_db_commit(cx) != HALL_OK) {
        if (cx->in_tx)
            hall_db_rollback(cx);
        if (why != NULL)
            hall_err(cx, "msg=\"change: old certificate not superseded\" serial=%s why=\"%s\"",
                     out->cert_serial, why);
        return HALL_RENEW_DB_ERROR;
    }
    if (ca != NULL && hall_pki_crl_refresh(cx, ca, 1) != HALL_OK)
        hall_warn(cx, "msg=\"crl refresh after change written failed\" ca=%s", ca);
    return HALL_RENEW_OK;
}

enum hall_renew_result
hall_renew_failed(struct hall_ctx *cx, const char *verb, const char *medium, const char *code,
                  const char *actor, struct hall_renew_out *out)
{
    struct hall_val *d;
    struct hall_dbres *u;
    const char *ca = NULL;
    int again;
    enum hall_renew_result r = issued_ticket(cx, verb, medium, code, NULL, out, &again);

    if (r != HALL_RENEW_OK) {
        if (cx->in_tx)
            hall_db_rollback(cx);
        return r;
    }
    d = hall_val_obj(cx->pool);
    hall_val_set_str(cx->pool, d, "serial", out->new_serial);
    hall_val_set_str(cx->pool, d, "why", "not written onto the medium; its key deleted");
    u = hall_db_exec(cx, "renew_reopen", HALL_I64(out->order_id));
    if (u == NULL || hall_dbres_rows(u) != 1 ||
        hall_revoke_cert(cx, out->new_serial, CESSATION, actor, &ca) != HALL_OK ||
        hall_audit(cx, actor, "medium", medium, is_change(verb) ? "change_failed" : "renew_failed",
                   "issued", "open", d) != HALL_OK ||
        hall_db_commit(cx) != HALL_OK) {
        if (cx->in_tx)
            hall_db_rollback(cx);
        return HALL_RENEW_DB_ERROR;
    }
    if (ca != NULL && hall_pki_crl_refresh(cx, ca, 1) != HALL_OK)
        hall_warn(cx, "msg=\"crl refresh after renew failure failed\" ca=%s", ca);
    return HALL_RENEW_OK;
}
