/*
 * stamp_cache.c: the evidence a batch of stamps shares (hall-stamp sign
 * --out-dir, docs/modules/stamp.md "Many documents at once").  Every file
 * of a batch is signed by the same key and timestamped by the same TSA, so
 * their /DSS revisions need the same OCSP answers (or CRLs) and the same
 * issuers: hall_stamp_ltv_gather asks the hall once and the next files
 * reuse the answer.  An answer is reused only for a signature whose
 * timestamp is older than the second the answer was asked at, the rule the
 * gatherer keeps for a fresh fetch (an answer that speaks for the
 * timestamp's second is made after it); otherwise it is asked again.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "stamp_int.h"

#define CACHE_MAX 16

struct answer {
    unsigned char id[EVP_MAX_MD_SIZE]; /* SHA-256 of the certificate */
    time_t asked_at;
    int kind;
    unsigned char *der;
    size_t len;
};

struct hall_stamp_cache {
    struct hall_pool *pool;
    struct answer a[CACHE_MAX];
    int n;
    STACK_OF(X509) * issuers;
    int fetched, reused;
};

static void
cache_free(void *arg)
{
    struct hall_stamp_cache *c = arg;

    sk_X509_pop_free(c->issuers, X509_free);
}

struct hall_stamp_cache *
hall_stamp_cache_create(struct hall_pool *pool)
{
    struct hall_stamp_cache *c = hall_pcalloc(pool, sizeof(*c));

    c->pool = pool;
    c->issuers = sk_X509_new_null();
    if (c->issuers == NULL)
        abort();
    hall_pool_cleanup(pool, cache_free, c);
    return c;
}

void
hall_stamp_cache_counts(const struct hall_stamp_cache *c, int *fetched, int *reused)
{
    *fetched = c->fetched;
    *reused = c->reused;
}

static struct answer *
answer_find(struct hall_stamp_cache *c, X509 *cert, unsigned char *id)
{
    unsigned int n = 0;

    if (X509_digest(cert, EVP_sha256(), id, &n) != 1)
        return NULL;
    for (int i = 0; i < c->n; i++)
        if (memcmp(c->a[i].id, id, 32) == 0)
            return &c->a[i];
    return NULL;
}

int
stamp_cache_answer(struct hall_stamp_cache *c, X509 *cert, time_t after, int *kind,
                   const unsigned char **der, size_t *len)
{
    unsigned char id[EVP_MAX_MD_SIZE];
    struct answer *a = answer_find(c, cert, id);

    if (a == NULL || a->asked_at < after + 1)
        return 0;
    *kind = a->kind;
    *der = a->der;
    *len = a->len;
    c->reused++;
    return 1;
}

void
stamp_cache_answer_put(struct hall_stamp_cache *c, X509 *cert, time_t asked_at, int kind,
                       const unsigned char *der, size_t len)
{
    unsigned char id[EVP_MAX_MD_SIZE];
    struct answer *a = answer_find(c, cert, id);

    c->fetched++;
    if (a == NULL) {
        if (c->n >= CACHE_MAX)
            return;
        a = &c->a[c->n++];
        memcpy(a->id, id, 32);
    }
    a->asked_at = asked_at;
    a->kind = kind;
    a->der = hall_palloc(c->pool, len);
    memcpy(a->der, der, len);
    a->len = len;
}

X509 *
stamp_cache_issuer(struct hall_stamp_cache *c, X509 *x)
{
    for (int i = 0; i < sk_X509_num(c->issuers); i++)
        if (X509_cmp(sk_X509_value(c->issuers, i), x) != 0 &&
            stamp_issued_by(x, sk_X509_value(c->issuers, i)))
            return sk_X509_value(c->issuers, i);
    return NULL;
}

void
stamp_cache_issuer_put(struct hall_stamp_cache *c, X509 *issuer)
{
    if (sk_X509_num(c->issuers) < CACHE_MAX && X509_up_ref(issuer) == 1)
        sk_X509_push(c->issuers, issuer);
}
