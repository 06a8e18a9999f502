/*
 * tests/pdf-dump: what core/pdf reads of each file named, in a text that
 * the page's reader (static/stamp/pdf-read.js) is held equal to by
 * tests/integ/pdf_read_diff.test.js (tests/integ/lib/pdfdump.js prints the
 * same text from the JavaScript side).  For each file, the last revision
 * as pdf_open reads it (end: the file's length):
 *
 *   F path
 *   E err                    pdf_open refused it (then nothing more), or
 *   M misplaced top          pdf_misplaced, pdf_top
 *   O num gen value          each object the cross-reference lists in use,
 *                            by number: pdf_get's value, "!" when it does
 *                            not read
 *   P num,num,...            the pages' object numbers (0: direct), "!"
 *                            when the tree cannot be walked
 *
 * A value: "n" null, "t"/"f", "#" and a number's double as 16 hex digits,
 * "(hex)" a string's bytes, "/hex" a name's bytes decoded, "N G R",
 * "[a b]", "<</k v /k v>>" keys sorted by their bytes, each once (its last
 * value), and a stream's dictionary followed by " S" its data's length
 * and the FNV-1a hash of its raw bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"

static void
hex(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02X", s[i]);
}

static int
name_cmp(const struct pdf_obj *a, const struct pdf_obj *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, n);

    return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

static void value(struct pdf_doc *d, const struct pdf_obj *o);

static const struct pdf_obj *sorting; /* the dictionary qsort orders the keys of */

/* by the key's bytes, then by its place */
static int
key_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    int c = name_cmp(sorting->items[2 * x], sorting->items[2 * y]);

    return c != 0 ? c : (x > y) - (x < y);
}

static void
dict(struct pdf_doc *d, const struct pdf_obj *o)
{
    int *order = malloc(sizeof(int) * (size_t)(o->n + 1)), n = 0;

    if (order == NULL)
        abort();
    for (int k = 0; k < o->n; k++)
        order[k] = k;
    sorting = o;
    qsort(order, (size_t)o->n, sizeof(int), key_cmp);
    /* each key once, at its last value */
    for (int k = 0; k < o->n; k++)
        if (k + 1 == o->n || name_cmp(o->items[2 * order[k]], o->items[2 * order[k + 1]]) != 0)
            order[n++] = order[k];
    printf("<<");
    for (int i = 0; i < n; i++) {
        printf(i > 0 ? " /" : "/");
        hex((const unsigned char *)o->items[2 * order[i]]->s + 1, o->items[2 * order[i]]->len - 1);
        printf(" ");
        value(d, o->items[2 * order[i] + 1]);
    }
    printf(">>");
    free(order);
}

static void
value(struct pdf_doc *d, const struct pdf_obj *o)
{
    uint64_t bits;

    switch (o->type) {
    case PDF_NULL: printf("n"); break;
    case PDF_BOOL: printf(o->i ? "t" : "f"); break;
    case PDF_INT:
    case PDF_REAL:
        memcpy(&bits, &o->r, sizeof(bits));
        printf("#%016llx", (unsigned long long)bits);
        break;
    case PDF_STRING:
        printf("(");
        hex((const unsigned char *)o->s, o->len);
        printf(")");
        break;
    case PDF_NAME:
        printf("/");
        hex((const unsigned char *)o->s + 1, o->len - 1);
        break;
    case PDF_REF: printf("%lld %d R", o->i, o->gen); break;
    case PDF_ARRAY:
        printf("[");
        for (int i = 0; i < o->n; i++) {
            if (i > 0)
                printf(" ");
            value(d, o->items[i]);
        }
        printf("]");
        break;
    case PDF_DICT: dict(d, o); break;
    case PDF_STREAM: {
        size_t n = 0;
        const unsigned char *raw = pdf_stream_raw(d, o, &n);
        uint32_t h = 2166136261u;

        for (size_t i = 0; i < n; i++)
            h = (h ^ raw[i]) * 16777619u;
        dict(d, o);
        printf(" S%zu:%08x", n, h);
        break;
    }
    }
}

static int
num_cmp(const void *a, const void *b)
{
    const struct xe *x = *(const struct xe *const *)a, *y = *(const struct xe *const *)b;

    return (x->num > y->num) - (x->num < y->num);
}

static int
dump(const char *path)
{
    struct hall_pool *pool;
    struct pdf_doc *d;
    unsigned char *p = NULL;
    size_t n = 0, cap = 0, got;
    char err[256];
    FILE *f = fopen(path, "rb");
    struct xe **list;
    int nl = 0, npages;

    if (f == NULL) {
        perror(path);
        return 1;
    }
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            p = realloc(p, cap);
            if (p == NULL)
                abort();
        }
        got = fread(p + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    printf("F %s\n", path);
    pool = hall_pool_create(65536);
    d = pdf_open(pool, p, (long long)n, (long long)n, err, sizeof(err));
    if (d == NULL) {
        printf("E %s\n", err);
        hall_pool_destroy(pool);
        free(p);
        return 0;
    }
    printf("M %d %d\n", pdf_misplaced(d), pdf_top(d));
    list = malloc(sizeof(*list) * (size_t)(d->cap + 1));
    if (list == NULL)
        abort();
    for (int k = 0; k < d->cap; k++)
        if (d->e[k].busy && d->e[k].type != 0)
            list[nl++] = &d->e[k];
    qsort(list, (size_t)nl, sizeof(*list), num_cmp);
    for (int k = 0; k < nl; k++) {
        int num = list[k]->num, gen = list[k]->type == 1 ? list[k]->gen : 0;
        const struct pdf_obj *o = pdf_get(d, num, gen);

        printf("O %d %d ", num, gen);
        if (o == NULL)
            printf("!");
        else
            value(d, o);
        printf("\n");
    }
    free(list);
    npages = pdf_page_count(d);
    printf("P ");
    if (npages < 0)
        printf("!");
    for (int i = 1; i <= npages; i++) {
        int num = 0;

        pdf_page(d, i, &num);
        printf(i > 1 ? ",%d" : "%d", num);
    }
    printf("\n");
    hall_pool_destroy(pool);
    free(p);
    return 0;
}

int
main(int argc, char **argv)
{
    int rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: pdf-dump FILE...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        rc |= dump(argv[i]);
    return rc;
}
