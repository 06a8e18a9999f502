/*
 * Objects as a judge of later revisions reads them (pdf.h, "pdf_cmp.c"):
 * the header's version, a dictionary's keys, a value that reads as null,
 * two objects compared as values.  A key whose value is null, or names an
 * object that is free, absent or unreadable, is no key (ISO 32000-1
 * §7.3.7: "a dictionary entry whose value is null shall be treated the
 * same as if the entry does not exist"); keys are listed in byte order.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf.h"
#include "pdf_int.h"

const char *
pdf_header_version(struct hall_pool *pool, const unsigned char *p, long long size)
{
    for (long long i = 0; i + 5 <= size && i + 5 <= 1024; i++) {
        long long j = i + 5, k;

        if (memcmp(p + i, "%PDF-", 5) != 0)
            continue;
        for (k = j; k < size && p[k] >= '0' && p[k] <= '9'; k++)
            ;
        if (k == j || k + 1 >= size || p[k] != '.' || p[k + 1] < '0' || p[k + 1] > '9')
            continue;
        for (k++; k < size && p[k] >= '0' && p[k] <= '9'; k++)
            ;
        return hall_pstrndup(pool, (const char *)p + j, (size_t)(k - j));
    }
    return "1.2";
}

int
pdf_value_null(struct pdf_doc *d, const struct pdf_obj *v)
{
    if (v == NULL || v->type == PDF_NULL)
        return 1;
    if (v->type != PDF_REF)
        return 0;
    v = pdf_resolve(d, v);
    return v == NULL || v->type == PDF_NULL;
}

/* a key's text and its place, sorted by key then place */
struct kat {
    const char *key;
    int at;
};

static int
kat_cmp(const void *a, const void *b)
{
    const struct kat *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    return c != 0 ? c : (x->at > y->at) - (x->at < y->at);
}

int
pdf_dict_keys(struct pdf_doc *d, const struct pdf_obj *dict, const char ***out)
{
    struct kat *k;
    const char **r;
    int n;

    *out = NULL;
    if (dict == NULL || dict->type != PDF_DICT || dict->n == 0)
        return 0;
    k = malloc(sizeof(*k) * (size_t)dict->n);
    if (k == NULL)
        abort();
    for (int i = 0; i < dict->n; i++)
        k[i] = (struct kat){dict->items[2 * i]->s, 2 * i + 1};
    qsort(k, (size_t)dict->n, sizeof(*k), kat_cmp);
    r = hall_palloc(d->pool, sizeof(*r) * (size_t)dict->n);
    n = 0;
    for (int i = 0; i < dict->n; i++)
        /* the last value of a key there twice is its value */
        if ((i + 1 == dict->n || strcmp(k[i].key, k[i + 1].key) != 0) &&
            !pdf_value_null(d, dict->items[k[i].at]))
            r[n++] = k[i].key;
    free(k);
    *out = r;
    return n;
}

int
pdf_has_key(struct pdf_doc *d, const struct pdf_obj *dict, const char *key)
{
    return !pdf_value_null(d, pdf_dict_get(dict, key));
}

/* a and b the same value, nested references compared as references */
static int
same_at(struct pdf_doc *da, const struct pdf_obj *a, struct pdf_doc *db, const struct pdf_obj *b,
        int depth)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (depth > PDF_DEPTH_MAX)
        return 0;
    if (a->type == PDF_STREAM || b->type == PDF_STREAM) {
        if (a->type != b->type)
            return 0;
    } else if (a->type != b->type) {
        return 0;
    }
    switch (a->type) {
    case PDF_NULL: return 1;
    case PDF_BOOL:
    case PDF_INT: return a->i == b->i;
    case PDF_REAL: return a->r == b->r;
    case PDF_STRING:
    case PDF_NAME: return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    case PDF_REF: return a->i == b->i && a->gen == b->gen;
    case PDF_ARRAY:
        if (a->n != b->n)
            return 0;
        for (int i = 0; i < a->n; i++)
            if (!same_at(da, a->items[i], db, b->items[i], depth + 1))
                return 0;
        return 1;
    case PDF_DICT:
    case PDF_STREAM: {
        const struct pdf_obj x = {.type = PDF_DICT, .n = a->n, .items = a->items};
        const struct pdf_obj y = {.type = PDF_DICT, .n = b->n, .items = b->items};
        const char **ka, **kb;
        int na = pdf_dict_keys(da, &x, &ka), nb = pdf_dict_keys(db, &y, &kb);

        if (na != nb)
            return 0;
        for (int i = 0; i < na; i++)
            if (strcmp(ka[i], kb[i]) != 0 ||
                !same_at(da, pdf_dict_get(&x, ka[i]), db, pdf_dict_get(&y, kb[i]), depth + 1))
                return 0;
        return 1;
    }
    }
    return 0;
}

int
pdf_same(struct pdf_doc *da, const struct pdf_obj *a, struct pdf_doc *db, const struct pdf_obj *b)
{
    return same_at(da, a, db, b, 0);
}
