/*
 * Pages (pdf.h, "pdf_page.c"): the page tree from /Root /Pages walked once
 * (ISO 32000-1 §7.7.3: a node is a dictionary with a /Kids array, any
 * other dictionary a page), depth-first, in order, with a node met twice,
 * a tree deeper than PDF_DEPTH_MAX or larger than PDF_PAGES_MAX an error;
 * inherited attributes (§7.7.3.4) through /Parent; a page's content.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf.h"
#include "pdf_int.h"

struct walk {
    const struct pdf_obj **pages;
    int *nums, n, cap, nodes;
    int *seen, nseen, capseen;
};

static int
seen(struct walk *w, int num)
{
    for (int i = 0; i < w->nseen; i++)
        if (w->seen[i] == num)
            return 1;
    if (w->nseen == w->capseen) {
        w->capseen = w->capseen ? w->capseen * 2 : 64;
        w->seen = realloc(w->seen, sizeof(int) * (size_t)w->capseen);
        if (w->seen == NULL)
            abort();
    }
    w->seen[w->nseen++] = num;
    return 0;
}

static int
walk(struct pdf_doc *d, struct walk *w, const struct pdf_obj *ref, int depth)
{
    const struct pdf_obj *node = pdf_resolve(d, ref), *kids;
    int num = pdf_ref_num(ref);

    if (node == NULL || node->type != PDF_DICT || depth > PDF_DEPTH_MAX ||
        ++w->nodes > PDF_PAGES_MAX || (num > 0 && seen(w, num)))
        return HALL_ERR;
    kids = pdf_key(d, node, "/Kids");
    if (kids == NULL)
        return HALL_ERR;
    if (kids->type == PDF_ARRAY) {
        for (int i = 0; i < kids->n; i++)
            if (walk(d, w, kids->items[i], depth + 1) != HALL_OK)
                return HALL_ERR;
        return HALL_OK;
    }
    if (depth == 0) /* the root is a node */
        return HALL_ERR;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->pages = realloc(w->pages, sizeof(*w->pages) * (size_t)w->cap);
        w->nums = realloc(w->nums, sizeof(int) * (size_t)w->cap);
        if (w->pages == NULL || w->nums == NULL)
            abort();
    }
    w->pages[w->n] = node;
    w->nums[w->n++] = num;
    return HALL_OK;
}

int
pdf_page_count(struct pdf_doc *d)
{
    struct walk w;
    const struct pdf_obj *root;

    if (d->npages != -2)
        return d->npages;
    memset(&w, 0, sizeof(w));
    root = pdf_root(d);
    d->npages = -1;
    if (root != NULL && walk(d, &w, pdf_dict_get(root, "/Pages"), 0) == HALL_OK) {
        d->pages = w.pages;
        d->page_nums = w.nums;
        d->npages = w.n;
    } else {
        free(w.pages);
        free(w.nums);
    }
    free(w.seen);
    return d->npages;
}

const struct pdf_obj *
pdf_page(struct pdf_doc *d, int n, int *num)
{
    if (n < 1 || n > pdf_page_count(d))
        return NULL;
    if (num != NULL)
        *num = d->page_nums[n - 1];
    return d->pages[n - 1];
}

const struct pdf_obj *
pdf_page_attr(struct pdf_doc *d, const struct pdf_obj *page, const char *key)
{
    for (int depth = 0; depth <= PDF_DEPTH_MAX && page != NULL && page->type == PDF_DICT; depth++) {
        const struct pdf_obj *v = pdf_dict_get(page, key);

        if (v != NULL)
            return pdf_resolve(d, v);
        page = pdf_key(d, page, "/Parent");
    }
    return &pdf_null;
}

int
pdf_page_content(struct pdf_doc *d, const struct pdf_obj *page, size_t max, unsigned char **out,
                 size_t *n)
{
    const struct pdf_obj *c = pdf_key(d, page, "/Contents");
    const struct pdf_obj *const *list = &c;
    unsigned char *all = NULL;
    size_t len = 0;
    int k = 1;

    if (c == NULL)
        return HALL_ERR;
    if (c->type == PDF_ARRAY) {
        list = (const struct pdf_obj *const *)c->items;
        k = c->n;
    } else if (c->type == PDF_NULL) {
        k = 0;
    }
    if (max == 0 || max > PDF_DECODE_MAX)
        max = PDF_DECODE_MAX;
    for (int i = 0; i < k; i++) {
        const struct pdf_obj *s = pdf_resolve(d, list[i]);
        unsigned char *b;
        size_t bn, cap;

        if (s != NULL && s->type == PDF_NULL)
            continue;
        if (pdf_stream_data(d, s, max - len, &b, &bn) != HALL_OK) {
            free(all);
            return HALL_ERR;
        }
        if (len + bn + 1 > max) {
            free(b);
            free(all);
            return HALL_ERR;
        }
        cap = len + bn + 2;
        all = realloc(all, cap);
        if (all == NULL)
            abort();
        memcpy(all + len, b, bn);
        len += bn;
        all[len++] = '\n';
        free(b);
    }
    if (all == NULL) {
        all = malloc(1);
        if (all == NULL)
            abort();
    }
    all[len] = '\0';
    *out = all;
    *n = len;
    return HALL_OK;
}
