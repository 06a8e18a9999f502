/*
 * The OCSP request reader (RFC 6960 4.1.1): a DER OCSPRequest read in place,
 * without OpenSSL's template decoder (d2i_OCSP_REQUEST and the objects it
 * allocates cost about a tenth of a nonce answer).  It keeps pointers into
 * the input: each CertID (whole, and its hash algorithm, issuer name and key
 * hashes, serial number) and the request's first nonce extension.
 *
 *   OCSPRequest  SEQ { TBSRequest, [0] EXPLICIT Signature OPTIONAL }
 *   TBSRequest   SEQ { [0] EXPLICIT Version OPTIONAL, [1] EXPLICIT GeneralName OPTIONAL,
 *                      SEQ OF Request, [2] EXPLICIT Extensions OPTIONAL }
 *   Request      SEQ { CertID, [0] EXPLICIT Extensions OPTIONAL }
 *   CertID       SEQ { AlgorithmIdentifier, OCTET STRING, OCTET STRING, INTEGER }
 *   Extension    SEQ { OID, BOOLEAN OPTIONAL, OCTET STRING }
 *
 * DER only (RFC 6960 A.1 asks the DER encoding): definite lengths in their
 * shortest form, primitive strings, minimal integers, a hash algorithm's
 * parameters NULL or absent; anything else, a byte
 * past the outer SEQUENCE, no request or more than HALL_OCSP_REQ_MAX is
 * HALL_ERR (the answer is malformedRequest).  The signature, the requestor
 * name and the extensions of single requests are skipped (the hall answers
 * anyone), checked only to be one element each.
 */
#include <string.h>

#include "pki/pki.h"

/* one DER element: tag, content [c, c + len), the whole [at, end) */
struct der {
    unsigned char tag;
    const unsigned char *at, *c, *end;
    size_t len;
};

/* the element at *p in [*p, end) into e, *p moved past it; HALL_ERR when
 * it is not DER or does not fit */
static int
der_next(const unsigned char **p, const unsigned char *end, struct der *e)
{
    const unsigned char *q = *p;
    size_t avail = (size_t)(end - q), n, i, len;

    if (avail < 2 || (q[0] & 0x1f) == 0x1f) /* high tag numbers: none in OCSP */
        return HALL_ERR;
    e->tag = q[0];
    e->at = q;
    if ((q[1] & 0x80) == 0) {
        len = q[1];
        n = 0;
    } else {
        n = q[1] & 0x7f;
        /* no indefinite length, at most 3 bytes, the shortest form */
        if (n == 0 || n > 3 || avail < 2 + n || q[2] == 0)
            return HALL_ERR;
        for (len = 0, i = 0; i < n; i++)
            len = len << 8 | q[2 + i];
        if (len < 0x80)
            return HALL_ERR;
    }
    if (len > avail - 2 - n)
        return HALL_ERR;
    e->c = q + 2 + n;
    e->len = len;
    e->end = e->c + len;
    *p = e->end;
    return HALL_OK;
}

/* an OBJECT IDENTIFIER's content: not empty, subidentifiers minimal and ended */
static int
oid_ok(const struct der *e)
{
    size_t i;

    if (e->tag != 0x06 || e->len == 0 || (e->c[e->len - 1] & 0x80) != 0)
        return 0;
    for (i = 0; i < e->len; i++)
        if (e->c[i] == 0x80 && (i == 0 || (e->c[i - 1] & 0x80) == 0))
            return 0;
    return 1;
}

/* a minimal INTEGER */
static int
int_ok(const struct der *e)
{
    if (e->tag != 0x02 || e->len == 0)
        return 0;
    if (e->len > 1 &&
        ((e->c[0] == 0x00 && (e->c[1] & 0x80) == 0) || (e->c[0] == 0xff && (e->c[1] & 0x80) != 0)))
        return 0;
    return 1;
}

/* CertID SEQ { AlgorithmIdentifier SEQ { OID, parameters OPTIONAL }, OCTET
 * STRING issuerNameHash, OCTET STRING issuerKeyHash, INTEGER serial } */
static int
certid(const struct der *seq, struct hall_ocsp_certid *id)
{
    const unsigned char *p = seq->c, *q;
    struct der alg, oid, par, nh, kh, sn;

    if (seq->tag != 0x30 || der_next(&p, seq->end, &alg) != HALL_OK || alg.tag != 0x30)
        return HALL_ERR;
    q = alg.c;
    if (der_next(&q, alg.end, &oid) != HALL_OK || !oid_ok(&oid))
        return HALL_ERR;
    /* the parameters of a hash algorithm: NULL or none */
    if (q != alg.end &&
        (der_next(&q, alg.end, &par) != HALL_OK || par.tag != 0x05 || par.len != 0 || q != alg.end))
        return HALL_ERR;
    if (der_next(&p, seq->end, &nh) != HALL_OK || nh.tag != 0x04 ||
        der_next(&p, seq->end, &kh) != HALL_OK || kh.tag != 0x04 ||
        der_next(&p, seq->end, &sn) != HALL_OK || !int_ok(&sn) || p != seq->end)
        return HALL_ERR;
    id->der = seq->at;
    id->der_len = (size_t)(seq->end - seq->at);
    id->alg_len = (size_t)(alg.end - alg.at);
    id->oid = oid.c;
    id->oid_len = oid.len;
    id->name_hash = nh.c;
    id->name_hash_len = nh.len;
    id->key_hash = kh.c;
    id->key_hash_len = kh.len;
    id->serial = sn.c;
    id->serial_len = sn.len;
    return HALL_OK;
}

/* Extensions SEQ OF Extension: the first id-pkix-ocsp-nonce into r */
static int
extensions(const struct der *seq, struct hall_ocsp_req *r)
{
    static const unsigned char nonce_oid[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02};
    const unsigned char *p = seq->c, *q;
    struct der ext, oid, crit, val;

    if (seq->tag != 0x30)
        return HALL_ERR;
    while (p != seq->end) {
        if (der_next(&p, seq->end, &ext) != HALL_OK || ext.tag != 0x30)
            return HALL_ERR;
        q = ext.c;
        crit.c = NULL;
        crit.len = 0;
        if (der_next(&q, ext.end, &oid) != HALL_OK || !oid_ok(&oid) ||
            der_next(&q, ext.end, &val) != HALL_OK)
            return HALL_ERR;
        if (val.tag == 0x01) {
            crit = val;
            if (crit.len != 1 || der_next(&q, ext.end, &val) != HALL_OK)
                return HALL_ERR;
        }
        if (val.tag != 0x04 || q != ext.end)
            return HALL_ERR;
        if (r->nonce == NULL && oid.len == sizeof(nonce_oid) &&
            memcmp(oid.c, nonce_oid, sizeof(nonce_oid)) == 0) {
            r->nonce = val.at;
            r->nonce_len = (size_t)(val.end - val.at);
            r->nonce_critical = crit.len == 1 && crit.c[0] != 0;
        }
    }
    return HALL_OK;
}

/* [n] EXPLICIT: exactly one element inside */
static int
explicit_one(const struct der *e, struct der *inner)
{
    const unsigned char *p = e->c;

    return der_next(&p, e->end, inner) == HALL_OK && p == e->end ? HALL_OK : HALL_ERR;
}

int
hall_ocsp_req_parse(const unsigned char *in, size_t inlen, struct hall_ocsp_req *r)
{
    const unsigned char *p = in, *end = in + inlen, *q;
    struct der req, tbs, e, inner, list, one, id;

    memset(r, 0, sizeof(*r));
    if (in == NULL || inlen == 0 || der_next(&p, end, &req) != HALL_OK || req.tag != 0x30 ||
        p != end)
        goto bad;
    p = req.c;
    if (der_next(&p, req.end, &tbs) != HALL_OK || tbs.tag != 0x30)
        goto bad;
    /* optionalSignature [0]: one element, not read */
    if (p != req.end && (der_next(&p, req.end, &e) != HALL_OK || e.tag != 0xa0 ||
                         explicit_one(&e, &inner) != HALL_OK || p != req.end))
        goto bad;
    p = tbs.c;
    if (der_next(&p, tbs.end, &e) != HALL_OK)
        goto bad;
    /* version [0] EXPLICIT INTEGER */
    if (e.tag == 0xa0) {
        if (explicit_one(&e, &inner) != HALL_OK || !int_ok(&inner) ||
            der_next(&p, tbs.end, &e) != HALL_OK)
            goto bad;
    }
    /* requestorName [1] EXPLICIT GeneralName */
    if (e.tag == 0xa1) {
        if (explicit_one(&e, &inner) != HALL_OK || der_next(&p, tbs.end, &e) != HALL_OK)
            goto bad;
    }
    list = e;
    if (list.tag != 0x30)
        goto bad;
    /* requestExtensions [2] EXPLICIT Extensions, then nothing */
    if (p != tbs.end) {
        if (der_next(&p, tbs.end, &e) != HALL_OK || e.tag != 0xa2 || p != tbs.end ||
            explicit_one(&e, &inner) != HALL_OK || extensions(&inner, r) != HALL_OK)
            goto bad;
    }
    q = list.c;
    while (q != list.end) {
        const unsigned char *s;

        if (r->n == HALL_OCSP_REQ_MAX || der_next(&q, list.end, &one) != HALL_OK || one.tag != 0x30)
            goto bad;
        s = one.c;
        if (der_next(&s, one.end, &id) != HALL_OK || certid(&id, &r->ids[r->n]) != HALL_OK)
            goto bad;
        /* singleRequestExtensions [0]: one element, not read */
        if (s != one.end && (der_next(&s, one.end, &e) != HALL_OK || e.tag != 0xa0 ||
                             explicit_one(&e, &inner) != HALL_OK || s != one.end))
            goto bad;
        r->n++;
    }
    if (r->n == 0)
        goto bad;
    return HALL_OK;
bad:
    memset(r, 0, sizeof(*r));
    return HALL_ERR;
}

int
hall_ocsp_serial_hex(const struct hall_ocsp_certid *id, char out[17])
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = id->serial;
    size_t n = id->serial_len, i;

    out[0] = '\0';
    if (n == 0 || (s[0] & 0x80) != 0) /* negative: never ours */
        return HALL_ERR;
    if (s[0] == 0 && n > 1) {
        s++;
        n--;
    }
    /* 16 hex digits: 8 bytes, the first not zero (as BN_bn2hex writes them) */
    if (n != 8 || s[0] == 0)
        return HALL_ERR;
    for (i = 0; i < 8; i++) {
        out[2 * i] = hex[s[i] >> 4];
        out[2 * i + 1] = hex[s[i] & 0x0f];
    }
    out[16] = '\0';
    return HALL_OK;
}
