/*
 * stamp_memo.c: what one verification of a file learns once and would ask
 * again for each of its signatures (docs/internals/stamp.md §3, "What a
 * document's number of signatures costs"): a document of 64 hall stamps
 * carries the same signer certificate, CA, TSA certificate and seal 64
 * times.
 *
 * - a certificate decoded from the same DER once (OpenSSL 3 decodes each
 *   one's public key through its provider framework): stamp_memo_x509;
 *   the certificates each CMS and each timestamp token carry too, their
 *   SignedData handed to OpenSSL without them: stamp_memo_signed_data;
 *   and the responder's each /DSS OCSP answer carries: stamp_memo_ocsp_basic;
 * - a certificate's signature by its issuer verified once per distinct
 *   (certificate, issuer) pair, DER for DER: the chains of the signers and
 *   of the TSAs still run OpenSSL's whole X509_verify_cert (chain building,
 *   extensions, purposes); only its last step, each certificate's
 *   signature by the one above and its validity at the time asked, is
 *   ours (X509_STORE_set_verify), as OpenSSL 3.0's internal_verify does
 *   it, the signature answered from what an earlier signature proved and
 *   the validity checked every time: stamp_memo_store;
 * - whether a certificate issued another (its names, its signature: the
 *   levels' issuer of each signer and TSA) once for the same two
 *   (stamp_level.c asks, the answers kept here);
 * - a seal read (and its maker's signature checked) once for the same
 *   bytes and the same checks asked: stamp_memo_seal_get, _put
 *   (stamp_check.c; whether it lists the signer is asked each time).
 *
 * Only what the same bytes decide is kept, so no verdict can change: a
 * second signature that reuses a certificate but changes anything (its
 * CMS, its signature value, its token) is checked in full.  Owns: a
 * struct stamp_memo, on the stack of one hall_stamp_verify_file call and
 * freed at its end (nothing kept across files or requests).  Follows:
 * RFC 5280 §6.1.3 (a path's certificate: its signature, its validity at
 * the time asked) and §4.2.1.3 (keyCertSign), as OpenSSL 3 applies them.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "stamp_int.h"

/* a copy of der (malloc'ed), NULL when memory runs out */
static unsigned char *
dup_der(const unsigned char *der, size_t len)
{
    unsigned char *p = malloc(len);

    if (p != NULL)
        memcpy(p, der, len);
    return p;
}

X509 *
stamp_memo_x509(struct stamp_memo *m, const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x;
    int i;

    if (der == NULL || len == 0)
        return NULL;
    for (i = 0; m != NULL && i < m->nx; i++)
        if (m->x_len[i] == len && memcmp(m->x_der[i], der, len) == 0)
            return X509_up_ref(m->x[i]) == 1 ? m->x[i] : NULL;
    x = d2i_X509(NULL, &p, (long)len);
    /* only a whole certificate: the same bytes are the same certificate */
    if (x == NULL || (size_t)(p - der) != len || m == NULL || m->nx >= STAMP_MEMO_MAX ||
        (m->x_der[m->nx] = dup_der(der, len)) == NULL)
        return x;
    m->x_len[m->nx] = len;
    if (X509_up_ref(x) != 1)
        abort();
    m->x[m->nx++] = x;
    return x;
}

unsigned char *
stamp_memo_der(X509 *x, size_t *len)
{
    unsigned char *der = NULL, *copy;
    int n = i2d_X509(x, &der);

    if (n <= 0)
        return NULL;
    copy = dup_der(der, (size_t)n);
    OPENSSL_free(der);
    *len = (size_t)n;
    return copy;
}

static int memo_index = -1;
static CRYPTO_ONCE memo_once = CRYPTO_ONCE_STATIC_INIT;

static void
memo_index_new(void)
{
    memo_index = X509_STORE_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* xs signed by xi: proved before (the same two certificates, DER for
 * DER), or verified now and kept */
static int
memo_signed(struct stamp_memo *m, X509 *xs, X509 *xi)
{
    EVP_PKEY *pkey = X509_get0_pubkey(xi);
    unsigned char *ds, *di;
    size_t ls = 0, li = 0;
    int i, found = 0;

    ds = stamp_memo_der(xs, &ls);
    di = stamp_memo_der(xi, &li);
    for (i = 0; ds != NULL && di != NULL && i < m->nsig && !found; i++)
        found = m->s_len[i] == ls && m->i_len[i] == li && memcmp(m->s_der[i], ds, ls) == 0 &&
                memcmp(m->i_der[i], di, li) == 0;
    if (!found && pkey != NULL && X509_verify(xs, pkey) > 0) {
        found = 1;
        if (ds != NULL && di != NULL && m->nsig < STAMP_MEMO_MAX) {
            m->s_der[m->nsig] = ds;
            m->s_len[m->nsig] = ls;
            m->i_der[m->nsig] = di;
            m->i_len[m->nsig++] = li;
            return 1;
        }
    }
    free(ds);
    free(di);
    return found;
}

/* the verify callback told of err at x (depth): 1 when it carries on */
static int
memo_fail(X509_STORE_CTX *ctx, X509 *x, int depth, int err)
{
    X509_STORE_CTX_set_error_depth(ctx, depth);
    X509_STORE_CTX_set_current_cert(ctx, x);
    X509_STORE_CTX_set_error(ctx, err);
    return X509_STORE_CTX_get_verify_cb(ctx)(0, ctx) ? 1 : 0;
}

/* xs valid at the verification's time, as OpenSSL's check_cert_time asks:
 * 1 when valid or the callback carries on */
static int
memo_time(X509_STORE_CTX *ctx, X509 *xs, int depth)
{
    const X509_VERIFY_PARAM *vpm = X509_STORE_CTX_get0_param(ctx);
    unsigned long flags = X509_VERIFY_PARAM_get_flags(vpm);
    time_t ref = X509_VERIFY_PARAM_get_time(vpm), *at = NULL;
    int c;

    if ((flags & X509_V_FLAG_USE_CHECK_TIME) != 0)
        at = &ref;
    else if ((flags & X509_V_FLAG_NO_CHECK_TIME) != 0)
        return 1;
    c = X509_cmp_time(X509_get0_notBefore(xs), at);
    if (c == 0 && !memo_fail(ctx, xs, depth, X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD))
        return 0;
    if (c > 0 && !memo_fail(ctx, xs, depth, X509_V_ERR_CERT_NOT_YET_VALID))
        return 0;
    c = X509_cmp_time(X509_get0_notAfter(xs), at);
    if (c == 0 && !memo_fail(ctx, xs, depth, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD))
        return 0;
    if (c < 0 && !memo_fail(ctx, xs, depth, X509_V_ERR_CERT_HAS_EXPIRED))
        return 0;
    return 1;
}

/*
 * OpenSSL 3.0's last step of X509_verify_cert (its internal_verify), for
 * the chain it built and checked: from the top down, each certificate
 * signed by the one above it with a key whose usage allows it (the top's
 * own signature not asked when it is self-issued, as OpenSSL does not
 * without X509_V_FLAG_CHECK_SS_SIGNATURE, which we never set), each valid
 * at the verification's time.
 */
static int
memo_verify(X509_STORE_CTX *ctx)
{
    struct stamp_memo *m = X509_STORE_get_ex_data(X509_STORE_CTX_get0_store(ctx), memo_index);
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    int n = sk_X509_num(chain) - 1;
    X509 *xi, *xs;

    if (m == NULL || n < 0)
        return 0;
    xi = sk_X509_value(chain, n);
    xs = xi;
    /* EXFLAG_SS: OpenSSL's "likely issued by itself" (names, key
     * identifiers, the signature's algorithm and the key's) */
    if ((X509_get_extension_flags(xi) & EXFLAG_SS) == 0) { /* the top not self-issued */
        if (n == 0)
            return memo_fail(ctx, xi, 0, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
        xs = sk_X509_value(chain, --n);
    }
    for (; n >= 0; n--) {
        if (xs != xi) {
            int ku = X509_check_issued(xi, xs);

            if (ku != X509_V_OK && ku != X509_V_ERR_SUBJECT_ISSUER_MISMATCH &&
                ku != X509_V_ERR_AKID_SKID_MISMATCH &&
                ku != X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH) {
                if (!memo_fail(ctx, xi, n + 1, ku)) /* the issuer's key may not sign it */
                    return 0;
            } else if (!memo_signed(m, xs, xi) &&
                       !memo_fail(ctx, xs, n, X509_V_ERR_CERT_SIGNATURE_FAILURE)) {
                return 0;
            }
        }
        if (!memo_time(ctx, xs, n))
            return 0;
        X509_STORE_CTX_set_current_cert(ctx, xs);
        X509_STORE_CTX_set_error_depth(ctx, n);
        if (!X509_STORE_CTX_get_verify_cb(ctx)(1, ctx))
            return 0;
        if (n > 0) {
            xi = xs;
            xs = sk_X509_value(chain, n - 1);
        }
    }
    return 1;
}

void
stamp_memo_store(struct stamp_memo *m, X509_STORE *st)
{
    if (m == NULL)
        return;
    if (!CRYPTO_THREAD_run_once(&memo_once, memo_index_new) || memo_index < 0 ||
        X509_STORE_set_ex_data(st, memo_index, m) != 1)
        return;
    X509_STORE_set_verify(st, memo_verify);
}

int
stamp_memo_seal_get(const struct stamp_memo *m, const unsigned char *sp, size_t sl, int checked,
                    struct hall_seseal_info *info, int *ok)
{
    if (m == NULL || m->seal_der == NULL || m->seal_len != sl || m->seal_checked != checked ||
        memcmp(m->seal_der, sp, sl) != 0)
        return 0;
    *info = m->seal_info;
    *ok = m->seal_ok;
    return 1;
}

void
stamp_memo_seal_put(struct stamp_memo *m, const unsigned char *sp, size_t sl, int checked,
                    const struct hall_seseal_info *info, int ok)
{
    if (m == NULL || sl == 0)
        return;
    free(m->seal_der);
    m->seal_len = 0;
    if ((m->seal_der = dup_der(sp, sl)) == NULL)
        return;
    m->seal_len = sl;
    m->seal_checked = checked;
    m->seal_ok = ok;
    m->seal_info = *info;
}

void
stamp_memo_free(struct stamp_memo *m)
{
    int i;

    for (i = 0; i < m->niss; i++) {
        free(m->iss_x[i]);
        free(m->iss_i[i]);
    }

    for (i = 0; i < m->nx; i++) {
        X509_free(m->x[i]);
        free(m->x_der[i]);
    }
    for (i = 0; i < m->nsig; i++) {
        free(m->s_der[i]);
        free(m->i_der[i]);
    }
    free(m->seal_der);
    memset(m, 0, sizeof(*m));
}

/*
 * A ContentInfo of SignedData, the CMS of a PAdES signature or the PKCS #7
 * of an RFC 3161 token (RFC 5652 §5.1, RFC 2315 §9.1: the same layout),
 * split so that OpenSSL does not decode again the certificates every
 * signature of a file carries: the same DER without its certificates
 * field, and each certificate decoded once a file (stamp_memo_x509, keyed
 * by its exact DER).  Neither signature covers the certificates field, and
 * the caller hands the certificates back to OpenSSL in their order (the
 * CMS's signer looked up in them, the token's as its certs: PKCS7's
 * signer lookup and untrusted set are then the same ones).
 */

/* one DER header at p (n bytes left): definite, minimal lengths only */
static int
der_head(const unsigned char *p, size_t n, unsigned char *tag, size_t *hl, size_t *cl)
{
    size_t len = 0, k, i;

    if (n < 2 || (p[0] & 0x1f) == 0x1f)
        return HALL_ERR;
    *tag = p[0];
    if (p[1] < 0x80) {
        len = p[1];
        *hl = 2;
    } else {
        k = p[1] & 0x7f;
        if (k == 0 || k > 3 || n < 2 + k || p[2] == 0)
            return HALL_ERR;
        for (i = 0; i < k; i++)
            len = len << 8 | p[2 + i];
        if (len < 0x80)
            return HALL_ERR;
        *hl = 2 + k;
    }
    if (len > n - *hl)
        return HALL_ERR;
    *cl = len;
    return HALL_OK;
}

/* a header for len content bytes at out (4 + 1 bytes at most) */
static size_t
der_head_put(unsigned char *out, unsigned char tag, size_t len)
{
    size_t k = len < 0x80 ? 0 : len < 0x100 ? 1 : len < 0x10000 ? 2 : 3;

    out[0] = tag;
    if (k == 0) {
        out[1] = (unsigned char)len;
        return 2;
    }
    out[1] = (unsigned char)(0x80 | k);
    for (size_t i = 0; i < k; i++)
        out[2 + i] = (unsigned char)(len >> (8 * (k - 1 - i)));
    return 2 + k;
}

static size_t
der_head_len(size_t len)
{
    return len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : 5;
}

/* the certificates field's SET (p, n): each a certificate decoded */
static STACK_OF(X509) * memo_certs(struct stamp_memo *m, const unsigned char *p, size_t n)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    unsigned char tag;
    size_t hl, cl;

    if (sk == NULL)
        abort();
    while (n > 0) {
        X509 *x;

        if (der_head(p, n, &tag, &hl, &cl) != HALL_OK || tag != 0x30 ||
            (x = stamp_memo_x509(m, p, hl + cl)) == NULL)
            goto bad;
        if (sk_X509_push(sk, x) <= 0)
            abort();
        p += hl + cl;
        n -= hl + cl;
    }
    if (sk_X509_num(sk) > 0)
        return sk;
bad:
    sk_X509_pop_free(sk, X509_free);
    return NULL;
}

int
stamp_memo_signed_data(struct stamp_memo *m, const unsigned char *der, size_t len,
                       unsigned char **out, size_t *out_len, STACK_OF(X509) * *certs)
{
    static const unsigned char signed_oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                               0xf7, 0x0d, 0x01, 0x07, 0x02};
    const unsigned char *p, *sd, *cp = NULL, *end, *after;
    size_t hl, cl, h1, c1, h2, c2, n, ccl = 0, chl = 0, total, at;
    unsigned char tag, *o;
    int i;

    *out = NULL;
    *certs = NULL;
    /* ContentInfo { signedData, [0] EXPLICIT SignedData }, nothing else */
    if (m == NULL || der == NULL || der_head(der, len, &tag, &hl, &cl) != HALL_OK || tag != 0x30 ||
        cl < sizeof(signed_oid) || memcmp(der + hl, signed_oid, sizeof(signed_oid)) != 0)
        return 0;
    p = der + hl + sizeof(signed_oid);
    n = cl - sizeof(signed_oid);
    if (der_head(p, n, &tag, &h1, &c1) != HALL_OK || tag != 0xa0 || h1 + c1 != n ||
        der_head(p + h1, c1, &tag, &h2, &c2) != HALL_OK || tag != 0x30 || h2 + c2 != c1)
        return 0;
    /* SignedData: version, digestAlgorithms, encapContentInfo, then the
     * certificates ([0] IMPLICIT) this splits off */
    sd = p + h1 + h2;
    for (i = 0, at = 0; at < c2; i++) {
        size_t eh, ec;

        if (der_head(sd + at, c2 - at, &tag, &eh, &ec) != HALL_OK)
            return 0;
        if (i == 3 && tag == 0xa0) {
            cp = sd + at;
            chl = eh;
            ccl = ec;
        }
        at += eh + ec;
    }
    if (cp == NULL || (*certs = memo_certs(m, cp + chl, ccl)) == NULL)
        return 0;
    /* the same with the field left out, its lengths written again */
    end = sd + c2;
    after = cp + chl + ccl;
    c2 -= chl + ccl;
    c1 = der_head_len(c2) + c2;
    cl = sizeof(signed_oid) + der_head_len(c1) + c1;
    total = der_head_len(cl) + cl;
    o = malloc(total);
    if (o == NULL)
        abort();
    at = der_head_put(o, 0x30, cl);
    memcpy(o + at, signed_oid, sizeof(signed_oid));
    at += sizeof(signed_oid);
    at += der_head_put(o + at, 0xa0, c1);
    at += der_head_put(o + at, 0x30, c2);
    memcpy(o + at, sd, (size_t)(cp - sd));
    at += (size_t)(cp - sd);
    memcpy(o + at, after, (size_t)(end - after));
    at += (size_t)(end - after);
    *out = o;
    *out_len = at;
    return 1;
}

/*
 * The BasicOCSPResponse of a DER OCSPResponse (RFC 6960 §4.2.1) with the
 * certificates it carries (its responder's) decoded once a file: the
 * response's bytes read here (definite, minimal DER; responseBytes of
 * id-pkix-ocsp-basic, an OCTET STRING holding exactly the response), the
 * response handed to OpenSSL without its certs field (its signature does
 * not cover it) and the certificates added back in their order
 * (OCSP_basic_add1_cert), as OCSP_response_get1_basic would have them.
 */
OCSP_BASICRESP *
stamp_memo_ocsp_basic(struct stamp_memo *m, const unsigned char *der, size_t len)
{
    static const unsigned char basic_oid[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05,
                                              0x05, 0x07, 0x30, 0x01, 0x01};
    const unsigned char *p, *b, *cp = NULL, *end;
    unsigned char tag, *o;
    size_t hl, cl, n, bl, at, ch = 0, cc = 0, sh, sc;
    STACK_OF(X509) *certs = NULL;
    OCSP_BASICRESP *bs = NULL;
    int i;

    /* OCSPResponse { status, [0] EXPLICIT ResponseBytes { basic, OCTET STRING } } */
    if (m == NULL || der == NULL || der_head(der, len, &tag, &hl, &cl) != HALL_OK || tag != 0x30)
        return NULL;
    p = der + hl;
    n = cl;
    if (der_head(p, n, &tag, &hl, &cl) != HALL_OK || tag != 0x0a)
        return NULL;
    p += hl + cl;
    n -= hl + cl;
    if (der_head(p, n, &tag, &hl, &cl) != HALL_OK || tag != 0xa0 || hl + cl != n)
        return NULL;
    p += hl;
    n = cl;
    if (der_head(p, n, &tag, &hl, &cl) != HALL_OK || tag != 0x30 || hl + cl != n)
        return NULL;
    p += hl;
    n = cl;
    if (n < sizeof(basic_oid) || memcmp(p, basic_oid, sizeof(basic_oid)) != 0)
        return NULL;
    p += sizeof(basic_oid);
    n -= sizeof(basic_oid);
    if (der_head(p, n, &tag, &hl, &cl) != HALL_OK || tag != 0x04 || hl + cl != n)
        return NULL;
    /* BasicOCSPResponse { tbsResponseData, signatureAlgorithm, signature,
     * certs [0] EXPLICIT SEQUENCE OF Certificate }, filling the string */
    b = p + hl;
    if (der_head(b, cl, &tag, &hl, &bl) != HALL_OK || tag != 0x30 || hl + bl != cl)
        return NULL;
    b += hl;
    for (i = 0, at = 0; at < bl; i++) {
        size_t eh, ec;

        if (der_head(b + at, bl - at, &tag, &eh, &ec) != HALL_OK)
            return NULL;
        if (i == 3 && tag == 0xa0) {
            cp = b + at;
            ch = eh;
            cc = ec;
        }
        at += eh + ec;
    }
    if (cp == NULL || der_head(cp + ch, cc, &tag, &sh, &sc) != HALL_OK || tag != 0x30 ||
        sh + sc != cc || (certs = memo_certs(m, cp + ch + sh, sc)) == NULL)
        return NULL;
    end = b + bl;
    bl -= ch + cc;
    o = malloc(der_head_len(bl) + bl);
    if (o == NULL)
        abort();
    at = der_head_put(o, 0x30, bl);
    memcpy(o + at, b, (size_t)(cp - b));
    at += (size_t)(cp - b);
    memcpy(o + at, cp + ch + cc, (size_t)(end - (cp + ch + cc)));
    at += (size_t)(end - (cp + ch + cc));
    p = o;
    bs = d2i_OCSP_BASICRESP(NULL, &p, (long)at);
    for (i = 0; bs != NULL && i < sk_X509_num(certs); i++)
        if (OCSP_basic_add1_cert(bs, sk_X509_value(certs, i)) != 1)
            abort();
    sk_X509_pop_free(certs, X509_free);
    free(o);
    return bs;
}
