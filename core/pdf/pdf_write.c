/*
 * core/pdf/pdf_write.c: objects the reader parsed, written back as PDF
 * syntax (docs/internals/stamp.md §4, "The page again"), for the stamper,
 * which writes a page, the form, the catalog or the /DSS again with keys
 * added.
 *
 * The text is the one libqpdf 11's unparse gave before the stamper read
 * through core/pdf, on purpose, so that a stamp's objects stay byte for
 * byte what they were (and what test_stamp's page_keeps_every_key
 * expects): a dictionary's keys sorted by their bytes, a key whose value
 * is null (or names an object that is free or not listed) left out, each
 * key once (its last value); "<< /K v >>", "[ a b ]"; names with #xx (lower
 * case) for a delimiter, white space, '#' and bytes outside 33-126;
 * strings literal with escapes unless a control byte (or more than a fifth
 * of bytes outside ASCII) makes them hex (lower case); integers in
 * decimal; reals as their text in the file; references "N G R".
 *
 * Follows: ISO 32000-1 §7.3 (objects), §7.3.4 (strings), §7.3.5 (names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"

int
pdf_out_put(struct pdf_out *o, const void *p, size_t n)
{
    if (o->full || n > o->max - o->len) {
        o->full = 1;
        return HALL_ERR;
    }
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap > 0 ? o->cap : 256;

        while (o->len + n + 1 > cap)
            cap *= 2;
        if (cap > o->max + 1)
            cap = o->max + 1;
        o->p = realloc(o->p, cap);
        if (o->p == NULL)
            abort();
        o->cap = cap;
    }
    if (n > 0)
        memcpy(o->p + o->len, p, n);
    o->len += n;
    o->p[o->len] = '\0';
    return HALL_OK;
}

static void
put_str(struct pdf_out *o, const char *s)
{
    pdf_out_put(o, s, strlen(s));
}

void
pdf_write_name(struct pdf_out *o, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";

    if (len == 0)
        return;
    pdf_out_put(o, s, 1); /* the '/' */
    for (size_t i = 1; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 33 || c > 126 || strchr("#()<>[]{}/%", c) != NULL) {
            char e[3] = {'#', hex[c >> 4], hex[c & 15]};

            pdf_out_put(o, e, 3);
        } else {
            pdf_out_put(o, &s[i], 1);
        }
    }
}

/* libqpdf's choice: hex when a control byte other than \n \r \t \b \f is
 * there, or when more than a fifth of the bytes are not ASCII */
static int
use_hex(const unsigned char *s, size_t len)
{
    size_t non_ascii = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] > 126)
            non_ascii++;
        else if (s[i] < 32 && s[i] != '\n' && s[i] != '\r' && s[i] != '\t' && s[i] != '\b' &&
                 s[i] != '\f')
            return 1;
    }
    return 5 * non_ascii > len;
}

void
pdf_write_string(struct pdf_out *o, const char *str, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;

    if (use_hex(s, len)) {
        pdf_out_put(o, "<", 1);
        for (size_t i = 0; i < len; i++) {
            char e[2] = {hex[s[i] >> 4], hex[s[i] & 15]};

            pdf_out_put(o, e, 2);
        }
        pdf_out_put(o, ">", 1);
        return;
    }
    pdf_out_put(o, "(", 1);
    for (size_t i = 0; i < len; i++) {
        char e[8];

        switch (s[i]) {
        case '\n': put_str(o, "\\n"); break;
        case '\r': put_str(o, "\\r"); break;
        case '\t': put_str(o, "\\t"); break;
        case '\b': put_str(o, "\\b"); break;
        case '\f': put_str(o, "\\f"); break;
        case '(': put_str(o, "\\("); break;
        case ')': put_str(o, "\\)"); break;
        case '\\': put_str(o, "\\\\"); break;
        default:
            if ((s[i] >= 32 && s[i] <= 126) || s[i] >= 160) {
                pdf_out_put(o, &s[i], 1);
            } else {
                snprintf(e, sizeof(e), "\\%03o", s[i]);
                put_str(o, e);
            }
        }
    }
    pdf_out_put(o, ")", 1);
}

/* object num's entry (pdf_doc.c's table, looked up as it does); NULL none */
static const struct xe *
entry(const struct pdf_doc *d, int num)
{
    unsigned h = (unsigned)num * 2654435761u;

    if (num <= 0 || d->cap == 0)
        return NULL;
    for (unsigned i = h & (unsigned)(d->cap - 1), k = 0; k < (unsigned)d->cap;
         i = (i + 1) & (unsigned)(d->cap - 1), k++) {
        if (!d->e[i].busy)
            return NULL;
        if (d->e[i].num == num)
            return &d->e[i];
    }
    return NULL;
}

/* the bytes object num's tree was parsed from: the file, or its object
 * stream's decoded data while it is kept; NULL when not known */
static const unsigned char *
source(const struct pdf_doc *d, int num, long long *len)
{
    const struct xe *x = entry(d, num);

    if (x == NULL)
        return NULL;
    if (x->type == 1) {
        *len = d->end;
        return d->p;
    }
    /* in an object stream: its text there, as read_in_stream parsed it */
    for (int i = 0; x->type == 2 && i < d->nost; i++) {
        const struct ostm *os = &d->ost[i];
        struct pdf_token a, b;
        long long at = 0, off;

        if (os->num != (int)x->off || os->data == NULL || x->idx < 0 || x->idx >= os->count)
            continue;
        for (int k = 0; k <= x->idx; k++)
            if (pdf_lex_next(os->data, &at, os->first, &a) != PDF_TOK_INT ||
                pdf_lex_next(os->data, &at, os->first, &b) != PDF_TOK_INT)
                return NULL;
        off = os->first + b.ival;
        if (a.ival != num || b.ival < 0 || off >= (long long)os->n)
            return NULL;
        *len = (long long)os->n - off;
        return os->data + off;
    }
    return NULL;
}

int
pdf_gen(const struct pdf_doc *d, int num)
{
    const struct xe *x = entry(d, num);

    return x != NULL && x->type == 1 ? x->gen : 0;
}

/* "N G obj" at off of p[0, end): HALL_OK */
static int
head_in(const unsigned char *p, long long end, long long off, int num, int gen)
{
    struct pdf_token t;
    long long at = off;

    if (off < 0 || off >= end || pdf_lex_next(p, &at, end, &t) != PDF_TOK_INT || t.ival != num ||
        pdf_lex_next(p, &at, end, &t) != PDF_TOK_INT || t.ival != gen ||
        pdf_lex_next(p, &at, end, &t) != PDF_TOK_KEYWORD || t.b - t.a != 3 ||
        memcmp(p + t.a, "obj", 3) != 0)
        return HALL_ERR;
    return HALL_OK;
}

static int
head_at(const struct pdf_doc *d, long long off, int num, int gen)
{
    return head_in(d->p, d->end, off, num, gen);
}

int
pdf_section_misplaced(const unsigned char *p, long long end, const struct pdf_section *s)
{
    int n = 0;

    for (int k = 0; k < s->n; k++)
        if (s->e[k].type == 1 && head_in(p, end, s->e[k].off, s->e[k].num, s->e[k].gen) != HALL_OK)
            n++;
    return n;
}

int
pdf_misplaced(const struct pdf_doc *d)
{
    int n = 0;

    for (int k = 0; k < d->cap; k++) {
        const struct xe *x = &d->e[k];

        if (x->busy && x->type == 1 && head_at(d, x->off, x->num, x->gen) != HALL_OK)
            n++;
    }
    return n;
}

static int
off_cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;

    return (x > y) - (x < y);
}

/* the offset of the first object the cross-reference places after off
 * (the file's end when none): the sorted offsets made once a document */
static long long
next_object(struct pdf_doc *d, long long off)
{
    int lo = 0, hi;

    if (d->offs == NULL) {
        d->offs = hall_palloc(d->pool, sizeof(*d->offs) * (size_t)(d->cap > 0 ? d->cap : 1));
        d->noffs = 0;
        for (int k = 0; k < d->cap; k++)
            if (d->e[k].busy && d->e[k].type == 1)
                d->offs[d->noffs++] = d->e[k].off;
        qsort(d->offs, (size_t)d->noffs, sizeof(*d->offs), off_cmp);
    }
    hi = d->noffs;
    while (lo < hi) { /* the first offset > off */
        int mid = lo + (hi - lo) / 2;

        if (d->offs[mid] <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->noffs ? d->offs[lo] : d->end;
}

/* object num (entry x) does not read: gone, unless it is a stream whose
 * "endstream" comes before the next object the cross-reference places
 * (libqpdf's recovery of a stream's length, as viewers read it) */
static int
unread_gone(struct pdf_doc *d, int num, int gen)
{
    long long off, next;
    const unsigned char *s;

    if (pdf_where(d, num, &off) != 1 || head_at(d, off, num, gen) != HALL_OK)
        return 1;
    next = next_object(d, off);
    s = memmem(d->p + off, (size_t)(next - off), "stream", 6);
    return s == NULL || memmem(s + 6, (size_t)(next - (s + 6 - d->p)), "endstream", 9) == NULL;
}

int
pdf_write_gone(struct pdf_doc *d, const struct pdf_obj *v)
{
    const struct pdf_obj *o;
    const struct xe *x;
    int num, gone;

    if (v == NULL || v->type == PDF_NULL)
        return 1;
    if (v->type != PDF_REF)
        return 0;
    if (v->i <= 0 || v->i >= (1LL << 31) - 1)
        return 1;
    num = (int)v->i;
    x = entry(d, num);
    if (x == NULL)
        return 1;
    /* each entry's answer once: a hostile page naming one object a
     * million times costs one reading of it */
    if (d->gone == NULL)
        d->gone = hall_pcalloc(d->pool, (size_t)d->cap);
    if (d->gone[x - d->e] != 0 && x->gen == v->gen)
        return d->gone[x - d->e] == 2;
    o = pdf_get(d, num, v->gen);
    gone = o != NULL ? o->type == PDF_NULL : unread_gone(d, num, v->gen);
    if (x->gen == v->gen)
        d->gone[x - d->e] = gone ? 2 : 1;
    return gone;
}

/* a key's text and its value, sorted by key then place */
struct kv {
    const char *key;
    size_t len;
    int at;
};

static int
kv_cmp(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);

    if (c == 0)
        c = (x->len > y->len) - (x->len < y->len);
    return c != 0 ? c : (x->at > y->at) - (x->at < y->at);
}

static int write_at(struct pdf_doc *d, struct pdf_out *o, const struct pdf_obj *v,
                    const unsigned char *src, long long srclen, int depth);

static int
keys_at(struct pdf_doc *d, struct pdf_out *o, const struct pdf_obj *dict, const char *const *skip,
        const unsigned char *src, long long srclen, int depth)
{
    struct kv *k;
    int rc = HALL_OK;

    if (dict->n == 0)
        return HALL_OK;
    k = malloc(sizeof(*k) * (size_t)dict->n);
    if (k == NULL)
        abort();
    for (int i = 0; i < dict->n; i++)
        k[i] = (struct kv){dict->items[2 * i]->s, dict->items[2 * i]->len, 2 * i + 1};
    qsort(k, (size_t)dict->n, sizeof(*k), kv_cmp);
    for (int i = 0; i < dict->n && rc == HALL_OK; i++) {
        const struct pdf_obj *v = dict->items[k[i].at];
        int skipped = 0;

        /* the last value of a key there twice is its value */
        if (i + 1 < dict->n && k[i].len == k[i + 1].len &&
            memcmp(k[i].key, k[i + 1].key, k[i].len) == 0)
            continue;
        for (int j = 0; skip != NULL && skip[j] != NULL; j++)
            skipped |= strlen(skip[j]) == k[i].len && memcmp(skip[j], k[i].key, k[i].len) == 0;
        if (skipped || pdf_write_gone(d, v))
            continue;
        pdf_out_put(o, " ", 1);
        pdf_write_name(o, k[i].key, k[i].len);
        pdf_out_put(o, " ", 1);
        rc = write_at(d, o, v, src, srclen, depth + 1);
    }
    free(k);
    return rc;
}

static int
write_at(struct pdf_doc *d, struct pdf_out *o, const struct pdf_obj *v, const unsigned char *src,
         long long srclen, int depth)
{
    char num[64];

    if (depth > PDF_DEPTH_MAX)
        return HALL_ERR;
    switch (v->type) {
    case PDF_NULL: put_str(o, "null"); break;
    case PDF_BOOL: put_str(o, v->i ? "true" : "false"); break;
    case PDF_INT:
        snprintf(num, sizeof(num), "%lld", v->i);
        put_str(o, num);
        break;
    case PDF_REAL:
        if (src != NULL && v->a >= 0 && v->a < v->b && v->b <= srclen && v->b - v->a < 64) {
            pdf_out_put(o, src + v->a, (size_t)(v->b - v->a));
        } else {
            /* its text is not at hand: the value, as few digits as say it */
            snprintf(num, sizeof(num), "%.15g", v->r);
            put_str(o, num);
        }
        break;
    case PDF_STRING: pdf_write_string(o, v->s, v->len); break;
    case PDF_NAME: pdf_write_name(o, v->s, v->len); break;
    case PDF_REF:
        snprintf(num, sizeof(num), "%lld %d R", v->i, v->gen);
        put_str(o, num);
        break;
    case PDF_ARRAY:
        put_str(o, "[ ");
        for (int i = 0; i < v->n; i++) {
            if (write_at(d, o, v->items[i], src, srclen, depth + 1) != HALL_OK)
                return HALL_ERR;
            pdf_out_put(o, " ", 1);
        }
        put_str(o, "]");
        break;
    case PDF_DICT:
        put_str(o, "<<");
        if (keys_at(d, o, v, NULL, src, srclen, depth) != HALL_OK)
            return HALL_ERR;
        put_str(o, " >>");
        break;
    default: /* a stream is never a direct value */ return HALL_ERR;
    }
    return HALL_OK;
}

int
pdf_write(struct pdf_doc *d, struct pdf_out *o, const struct pdf_obj *v, int from)
{
    long long srclen = 0;
    const unsigned char *src = source(d, from, &srclen);

    return write_at(d, o, v, src, srclen, 0) == HALL_OK && !o->full ? HALL_OK : HALL_ERR;
}

int
pdf_write_keys(struct pdf_doc *d, struct pdf_out *o, const struct pdf_obj *dict,
               const char *const *skip, int from)
{
    long long srclen = 0;
    const unsigned char *src = source(d, from, &srclen);

    if (dict == NULL || (dict->type != PDF_DICT && dict->type != PDF_STREAM))
        return HALL_ERR;
    return keys_at(d, o, dict, skip, src, srclen, 0) == HALL_OK && !o->full ? HALL_OK : HALL_ERR;
}
