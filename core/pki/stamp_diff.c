/*
 * What a signature's later revisions change (docs/internals/stamp.md §3,
 * "What may follow a signature").
 *
 * The file cut at the end of a signature's revision is a PDF of its own:
 * the document as it was signed.  It is opened with libqpdf beside the
 * whole file, the cross-reference sections written after it are read from
 * the bytes (tables and streams, following /Prev back to the signed
 * revision's own section), and every object they write is compared with
 * the signed revision's: the same object is no change; anything else must
 * be one of the changes a later signature or a document's housekeeping
 * makes (the whitelist below, pyHanko's diff analysis as the reference),
 * or it is named: page number and kind of object.
 *
 * Objects new to the file are not judged one by one: nothing the viewer
 * shows can reach them but through an object that existed (the catalog,
 * a page, the form), and those are judged with what they now point to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "stamp_int.h"

#define DIFF_IDS_MAX      50000         /* objects written after one signature, at most */
#define DIFF_SECTIONS_MAX 4096          /* cross-reference sections followed */
#define DIFF_XSTM_MAX     (32 << 20)    /* a decoded cross-reference stream */
#define DIFF_STREAM_BYTES (256LL << 20) /* stream bytes compared for one signature */
#define DIFF_REACH_MAX    200000        /* objects walked to find who uses one */
#define DIFF_TEXT_MAX     512           /* the dictionary text of a section read */

/* one entry of a cross-reference section */
struct xent {
    int num, gen, used;
    int order; /* the sections are read newest first: the lowest is the object's */
};

struct xlist {
    struct xent *e;
    int n, cap;
    int over; /* more than DIFF_IDS_MAX */
};

/* what a signature's comparison holds */
struct dctx {
    struct hall_pool *pool;
    const struct stamp_diff *d;
    qpdf_data p, f; /* the signed revision, the whole file */
    long long stream_bytes;
    /* the signed revision's roles */
    int p_root, p_info, p_meta, p_acro, p_fields;
    struct idset p_pages;  /* page objects, in page order (unsorted) */
    struct idset p_annots; /* pages' indirect /Annots arrays, sorted */
    struct idset p_dss;    /* objects under /DSS, sorted */
    struct idset f_dss;
    int f_root, f_info, f_meta;
    /* the changes found: the first few told (a page's first), and a count */
    const char *first;
    const char *told[3];
    int ntold, told_pages, nchanges, ndescribed;
};

static void
ids_add(struct idset *s, int v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, sizeof(int) * (size_t)s->cap);
        if (s->v == NULL)
            abort();
    }
    s->v[s->n++] = v;
}

static int
int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

static void
ids_sort(struct idset *s)
{
    if (s->n > 1)
        qsort(s->v, (size_t)s->n, sizeof(int), int_cmp);
}

static int
ids_has(const struct idset *s, int v)
{
    return v > 0 && s->n > 0 && bsearch(&v, s->v, (size_t)s->n, sizeof(int), int_cmp) != NULL;
}

static void
ids_free(struct idset *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static void
xadd(struct xlist *l, int num, int gen, int used)
{
    if (num <= 0)
        return;
    if (l->n >= DIFF_IDS_MAX) {
        l->over = 1;
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->e = realloc(l->e, sizeof(*l->e) * (size_t)l->cap);
        if (l->e == NULL)
            abort();
    }
    l->e[l->n].num = num;
    l->e[l->n].gen = gen;
    l->e[l->n].used = used;
    l->e[l->n].order = l->n;
    l->n++;
}

/* qpdf's errors taken (the C API keeps the last one until asked) */
static int
qerr(qpdf_data q)
{
    int had = 0;

    while (qpdf_has_error(q)) {
        qpdf_get_error(q);
        had = 1;
    }
    return had;
}

/* ---- the cross-reference sections written after a revision --------------------- */

static int
is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

/* the offset "startxref" names in the last KiB before end (as qpdf reads
 * it); -1 when none */
long long
stamp_startxref(const unsigned char *p, long long end)
{
    long long from = end > 1024 ? end - 1024 : 0, i, v = -1;

    for (i = end - 9; i >= from; i--)
        if (memcmp(p + i, "startxref", 9) == 0) {
            long long j = i + 9;

            while (j < end && is_ws(p[j]))
                j++;
            if (j >= end || p[j] < '0' || p[j] > '9')
                return -1;
            v = 0;
            while (j < end && p[j] >= '0' && p[j] <= '9' && v < (1LL << 40))
                v = v * 10 + (p[j++] - '0');
            return v;
        }
    return -1;
}

/* an unsigned decimal at *at (after blanks); -1 when none */
static long long
read_uint(const unsigned char *p, long long *at, long long hi)
{
    long long v = -1;

    while (*at < hi && is_ws(p[*at]))
        (*at)++;
    while (*at < hi && p[*at] >= '0' && p[*at] <= '9' && v < (1LL << 40))
        v = (v < 0 ? 0 : v * 10) + (p[(*at)++] - '0');
    return v;
}

static int
is_delim(unsigned char c)
{
    return is_ws(c) || strchr("()<>[]{}/%", c) != NULL;
}

/* the length of "N G R" at p[i, n) (an indirect reference), 0 when not */
static long long
ref_at(const unsigned char *p, long long i, long long n)
{
    long long j = i;

    for (int part = 0; part < 2; part++) {
        long long k = j;

        while (j < n && p[j] >= '0' && p[j] <= '9')
            j++;
        if (j == k || j >= n || !is_ws(p[j]))
            return 0;
        while (j < n && is_ws(p[j]))
            j++;
    }
    if (j >= n || p[j] != 'R' || (j + 1 < n && !is_delim(p[j + 1])))
        return 0;
    return j + 1 - i;
}

/*
 * The dictionary text p[a, b) parsed by qpdf in q; a null handle when not
 * a dictionary.  qpdf parses text without a file only without indirect
 * references: each becomes null (a section's /Prev, /XRefStm, /W, /Index,
 * /Length and filters are direct, as the standard wants them).
 */
static qpdf_oh
parse_dict(qpdf_data q, const unsigned char *p, long long a, long long b)
{
    char buf[DIFF_TEXT_MAX * 8 * 2 + 1];
    size_t o_len = 0;
    long long i;
    int depth = 0;
    qpdf_oh o;

    if (b <= a || b - a > DIFF_TEXT_MAX * 8)
        return qpdf_oh_new_null(q);
    for (i = a; i < b; i++) {
        long long r;

        if (depth > 0 || p[i] == '(') {
            /* a literal string, copied as it is */
            if (p[i] == '\\' && i + 1 < b) {
                buf[o_len++] = (char)p[i++];
            } else if (p[i] == '(') {
                depth++;
            } else if (p[i] == ')') {
                depth--;
            }
            buf[o_len++] = (char)p[i];
            continue;
        }
        if (p[i] >= '0' && p[i] <= '9' && (i == a || is_delim(p[i - 1])) &&
            (r = ref_at(p, i, b)) > 0) {
            memcpy(buf + o_len, "null", 4);
            o_len += 4;
            i += r - 1;
            continue;
        }
        buf[o_len++] = (char)p[i];
    }
    buf[o_len] = '\0';
    if (memchr(buf, '\0', o_len) != NULL)
        return qpdf_oh_new_null(q);
    qerr(q); /* an earlier call's, not this text's */
    o = qpdf_oh_parse(q, buf);
    if (qerr(q) || !qpdf_oh_is_dictionary(q, o))
        return qpdf_oh_new_null(q);
    return o;
}

static long long
dict_int(qpdf_data q, qpdf_oh d, const char *key, long long def)
{
    qpdf_oh v = qpdf_oh_get_key(q, d, key);
    long long n;

    if (qpdf_oh_is_null(q, v))
        return def;
    if (!qpdf_oh_is_integer(q, v) || !qpdf_oh_get_value_as_longlong(q, v, &n))
        return -2;
    return n;
}

/* inflate, bounded */
static unsigned char *
inflate_max(const unsigned char *in, size_t n, size_t max, size_t *out)
{
    z_stream z;
    unsigned char *o = malloc(max + 1);
    int r;

    if (o == NULL)
        abort();
    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK) {
        free(o);
        return NULL;
    }
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    z.next_out = o;
    z.avail_out = (uInt)max + 1;
    r = inflate(&z, Z_FINISH);
    *out = z.total_out;
    inflateEnd(&z);
    if ((r != Z_STREAM_END && r != Z_BUF_ERROR && r != Z_OK) || *out > max) {
        free(o);
        return NULL;
    }
    return o;
}

/* a cross-reference stream's entries (the object at off) into l */
static int
xref_stream(const struct stamp_diff *d, long long off, long long lo, struct xlist *l,
            long long *prev)
{
    const unsigned char *p = d->map;
    long long at = off, num, gen, dict_end = -1, len, data, i;
    qpdf_oh dict, w, idx, filter, parms;
    int wv[3], pred = 1, cols = 1, rowlen, k, nidx;
    unsigned char *raw = NULL, *buf;
    size_t rawlen = 0;
    int rc = HALL_ERR;

    num = read_uint(p, &at, d->size);
    gen = read_uint(p, &at, d->size);
    while (at < d->size && is_ws(p[at]))
        at++;
    if (num <= 0 || gen < 0 || at + 3 > d->size || memcmp(p + at, "obj", 3) != 0)
        return HALL_ERR;
    at += 3;
    for (i = at; i + 6 <= d->size && i < at + DIFF_TEXT_MAX * 8; i++)
        if (memcmp(p + i, "stream", 6) == 0) {
            long long b = i - 1;

            while (b > at && is_ws(p[b]))
                b--;
            if (b > at && p[b] == '>') {
                dict_end = i;
                break;
            }
        }
    if (dict_end < 0)
        return HALL_ERR;
    dict = parse_dict(d->f, p, at, dict_end);
    if (!qpdf_oh_is_dictionary(d->f, dict) ||
        !qpdf_oh_is_name_and_equals(d->f, qpdf_oh_get_key(d->f, dict, "/Type"), "/XRef"))
        return HALL_ERR;
    data = dict_end + 6;
    if (data < d->size && p[data] == '\r')
        data++;
    if (data < d->size && p[data] == '\n')
        data++;
    len = dict_int(d->f, dict, "/Length", -1);
    if (len < 0 || data + len > d->size || data < lo)
        return HALL_ERR;
    *prev = dict_int(d->f, dict, "/Prev", -1);
    w = qpdf_oh_get_key(d->f, dict, "/W");
    if (!qpdf_oh_is_array(d->f, w) || qpdf_oh_get_array_n_items(d->f, w) != 3)
        return HALL_ERR;
    rowlen = 0;
    for (k = 0; k < 3; k++) {
        long long v;

        if (!qpdf_oh_get_value_as_longlong(d->f, qpdf_oh_get_array_item(d->f, w, k), &v) || v < 0 ||
            v > 8)
            return HALL_ERR;
        wv[k] = (int)v;
        rowlen += wv[k];
    }
    if (rowlen == 0)
        return HALL_ERR;
    filter = qpdf_oh_get_key(d->f, dict, "/Filter");
    parms = qpdf_oh_get_key(d->f, dict, "/DecodeParms");
    if (qpdf_oh_is_array(d->f, filter) && qpdf_oh_get_array_n_items(d->f, filter) == 1)
        filter = qpdf_oh_get_array_item(d->f, filter, 0);
    if (qpdf_oh_is_array(d->f, parms) && qpdf_oh_get_array_n_items(d->f, parms) == 1)
        parms = qpdf_oh_get_array_item(d->f, parms, 0);
    if (qpdf_oh_is_dictionary(d->f, parms)) {
        pred = (int)dict_int(d->f, parms, "/Predictor", 1);
        cols = (int)dict_int(d->f, parms, "/Columns", 1);
    }
    if (qpdf_oh_is_name_and_equals(d->f, filter, "/FlateDecode")) {
        raw = inflate_max(p + data, (size_t)len, DIFF_XSTM_MAX, &rawlen);
        if (raw == NULL)
            return HALL_ERR;
        buf = raw;
    } else if (qpdf_oh_is_null(d->f, filter)) {
        buf = (unsigned char *)p + data;
        rawlen = (size_t)len;
    } else {
        return HALL_ERR;
    }
    /* PNG predictors (10-15): a tag byte then the row, "Up" what writers use */
    if (pred >= 10) {
        size_t rows, r, c, stride = (size_t)cols + 1;
        unsigned char *out;

        if (cols != rowlen || rawlen % stride != 0)
            goto out;
        rows = rawlen / stride;
        out = malloc(rows * (size_t)cols + 1);
        if (out == NULL)
            abort();
        for (r = 0; r < rows; r++) {
            const unsigned char *in = buf + r * stride + 1;
            unsigned char *o = out + r * (size_t)cols, *up = r > 0 ? o - cols : NULL;

            for (c = 0; c < (size_t)cols; c++) {
                unsigned a = c > 0 ? o[c - 1] : 0, b = up ? up[c] : 0,
                         cc = up && c > 0 ? up[c - 1] : 0;
                int pa, pb, pc, pp;

                switch (buf[r * stride]) {
                case 0: o[c] = in[c]; break;
                case 1: o[c] = (unsigned char)(in[c] + a); break;
                case 2: o[c] = (unsigned char)(in[c] + b); break;
                case 3: o[c] = (unsigned char)(in[c] + ((a + b) >> 1)); break;
                case 4:
                    pp = (int)(a + b) - (int)cc;
                    pa = abs(pp - (int)a);
                    pb = abs(pp - (int)b);
                    pc = abs(pp - (int)cc);
                    o[c] = (unsigned char)(in[c] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : cc));
                    break;
                default: free(out); goto out;
                }
            }
        }
        free(raw);
        raw = buf = out;
        rawlen = rows * (size_t)cols;
    } else if (pred != 1) {
        goto out;
    }
    idx = qpdf_oh_get_key(d->f, dict, "/Index");
    nidx = qpdf_oh_is_array(d->f, idx) ? qpdf_oh_get_array_n_items(d->f, idx) : 0;
    {
        size_t pos = 0;
        long long first = 0, count = dict_int(d->f, dict, "/Size", -1);

        for (k = 0; k == 0 || k + 1 < nidx; k += 2) {
            if (nidx > 0 && (!qpdf_oh_get_value_as_longlong(
                                 d->f, qpdf_oh_get_array_item(d->f, idx, k), &first) ||
                             !qpdf_oh_get_value_as_longlong(
                                 d->f, qpdf_oh_get_array_item(d->f, idx, k + 1), &count)))
                goto out;
            if (first < 0 || count < 0 || first + count > (1LL << 31))
                goto out;
            for (i = 0; i < count; i++) {
                long long f[3] = {wv[0] == 0 ? 1 : 0, 0, 0};

                if (pos + (size_t)rowlen > rawlen)
                    goto out;
                for (int fi = 0; fi < 3; fi++)
                    if (wv[fi] > 0) {
                        f[fi] = 0;
                        for (int b = 0; b < wv[fi]; b++)
                            f[fi] = f[fi] << 8 | buf[pos++];
                    }
                if (f[0] == 0)
                    xadd(l, (int)(first + i), (int)f[2], 0);
                else if (f[0] == 1)
                    xadd(l, (int)(first + i), (int)f[2], 1);
                else
                    xadd(l, (int)(first + i), 0, 1);
                if (l->over)
                    break;
            }
            if (nidx == 0)
                break;
        }
    }
    xadd(l, (int)num, (int)gen, 1);
    rc = HALL_OK;
out:
    free(raw);
    return rc;
}

/* the section at off (a table, with its trailer's /XRefStm, or a stream)
 * into l; its /Prev */
static int
section_read(const struct stamp_diff *d, long long off, long long lo, struct xlist *l,
             long long *prev)
{
    const unsigned char *p = d->map;
    long long at = off, tr, sx, xs;
    qpdf_oh t;

    while (at < d->size && is_ws(p[at]))
        at++;
    if (at + 4 > d->size || memcmp(p + at, "xref", 4) != 0)
        return xref_stream(d, off, lo, l, prev);
    at += 4;
    for (;;) {
        long long first, count, i;

        while (at < d->size && is_ws(p[at]))
            at++;
        if (at + 7 <= d->size && memcmp(p + at, "trailer", 7) == 0)
            break;
        first = read_uint(p, &at, d->size);
        count = read_uint(p, &at, d->size);
        if (first < 0 || count < 0 || first + count > (1LL << 31))
            return HALL_ERR;
        for (i = 0; i < count; i++) {
            long long o = read_uint(p, &at, d->size), g = read_uint(p, &at, d->size);

            while (at < d->size && is_ws(p[at]))
                at++;
            if (o < 0 || g < 0 || at >= d->size || (p[at] != 'n' && p[at] != 'f'))
                return HALL_ERR;
            xadd(l, (int)(first + i), (int)g, p[at] == 'n');
            at++;
            if (l->over)
                return HALL_OK;
        }
    }
    tr = at + 7;
    for (sx = tr; sx + 9 <= d->size && sx < tr + DIFF_TEXT_MAX * 8; sx++)
        if (memcmp(p + sx, "startxref", 9) == 0)
            break;
    t = parse_dict(d->f, p, tr, sx);
    if (!qpdf_oh_is_dictionary(d->f, t))
        return HALL_ERR;
    *prev = dict_int(d->f, t, "/Prev", -1);
    xs = dict_int(d->f, t, "/XRefStm", -1);
    if (xs == -2 || *prev == -2)
        return HALL_ERR;
    if (xs >= 0) {
        long long dummy;

        if (xs < lo || xs >= d->size || xref_stream(d, xs, lo, l, &dummy) != HALL_OK)
            return HALL_ERR;
    }
    return HALL_OK;
}

/*
 * The objects written after the revision ending at end: the sections from
 * the file's startxref back through /Prev to that revision's own, each of
 * them after end, and every later %%EOF closing one of them.  A chain that
 * does not lead back there, or a later revision without a section, is
 * HALL_ERR (what follows cannot be read as updates of the signed revision).
 */
static int
written_after(const struct stamp_diff *d, long long end, struct xlist *l)
{
    long long target = stamp_startxref(d->map, end), sx = stamp_startxref(d->map, d->size);
    long long offs[DIFF_SECTIONS_MAX];
    int n = 0, k, j;

    if (target < 0 || sx < 0)
        return HALL_ERR;
    while (sx != target) {
        long long prev = -1;

        if (sx < end || sx >= d->size || n >= DIFF_SECTIONS_MAX)
            return HALL_ERR;
        offs[n++] = sx;
        /* each update's /Prev is an earlier section: no loops */
        if (section_read(d, sx, end, l, &prev) != HALL_OK || prev < 0 || prev >= sx)
            return HALL_ERR;
        if (l->over)
            return HALL_OK;
        sx = prev;
    }
    for (k = 0; k < d->nrev; k++) {
        long long lo = k > 0 ? d->ends[k - 1] : 0;
        int has = 0;

        if (d->ends[k] <= end)
            continue;
        for (j = 0; j < n; j++)
            has |= offs[j] >= lo && offs[j] < d->ends[k];
        if (!has)
            return HALL_ERR;
    }
    return HALL_OK;
}

/* ---- comparing ----------------------------------------------------------------- */

static int
oid(qpdf_data q, qpdf_oh o)
{
    return qpdf_oh_is_indirect(q, o) ? qpdf_oh_get_object_id(q, o) : 0;
}

/* two objects the same: by their text (the object's own, the references
 * in it as N G R), streams by their dictionary and raw bytes */
static int
same(struct dctx *c, qpdf_oh a, qpdf_oh b)
{
    qpdf_data p = c->p, f = c->f;
    int sa = qpdf_oh_is_stream(p, a), sb = qpdf_oh_is_stream(f, b), eq;

    if (qpdf_oh_is_null(p, a) || qpdf_oh_is_null(f, b))
        return qpdf_oh_is_null(p, a) && qpdf_oh_is_null(f, b);
    if (sa != sb)
        return 0;
    if (!sa)
        return strcmp(qpdf_oh_unparse_resolved(p, a), qpdf_oh_unparse_resolved(f, b)) == 0;
    {
        qpdf_oh da = qpdf_oh_get_dict(p, a), db = qpdf_oh_get_dict(f, b);
        unsigned char *x = NULL, *y = NULL;
        size_t xl = 0, yl = 0;

        if (strcmp(qpdf_oh_unparse(p, da), qpdf_oh_unparse(f, db)) != 0)
            return 0;
        if (c->stream_bytes > DIFF_STREAM_BYTES)
            return 0;
        if ((qpdf_oh_get_stream_data(p, a, qpdf_dl_none, NULL, &x, &xl) & QPDF_ERRORS) ||
            (qpdf_oh_get_stream_data(f, b, qpdf_dl_none, NULL, &y, &yl) & QPDF_ERRORS)) {
            qerr(p);
            qerr(f);
            free(x);
            free(y);
            return 0;
        }
        c->stream_bytes += (long long)(xl + yl);
        eq = xl == yl && (xl == 0 || memcmp(x, y, xl) == 0);
        free(x);
        free(y);
        return eq;
    }
}

/* the keys of a dictionary, copied (qpdf iterates one dictionary at a time) */
static int
dict_keys(struct hall_pool *pool, qpdf_data q, qpdf_oh dict, const char ***out)
{
    int n = 0, cap = 16;
    const char **k = hall_palloc(pool, sizeof(*k) * (size_t)cap);

    if (!qpdf_oh_is_dictionary(q, dict)) {
        *out = k;
        return 0;
    }
    qpdf_oh_begin_dict_key_iter(q, dict);
    while (qpdf_oh_dict_more_keys(q) && n < 4096) {
        if (n == cap) {
            const char **m = hall_palloc(pool, sizeof(*k) * (size_t)cap * 2);

            memcpy(m, k, sizeof(*k) * (size_t)cap);
            k = m;
            cap *= 2;
        }
        k[n++] = hall_pstrdup(pool, qpdf_oh_dict_next_key(q));
    }
    *out = k;
    return n;
}

static int
in_list(const char *key, const char *const *list)
{
    for (; list != NULL && *list != NULL; list++)
        if (strcmp(key, *list) == 0)
            return 1;
    return 0;
}

/* the first key (of either) whose value differs, but for those in skip;
 * NULL when none */
static const char *
dict_differs(struct dctx *c, qpdf_oh a, qpdf_oh b, const char *const *skip)
{
    const char **ka, **kb;
    int na = dict_keys(c->pool, c->p, a, &ka), nb = dict_keys(c->pool, c->f, b, &kb), i;

    for (i = 0; i < na; i++)
        if (!in_list(ka[i], skip) &&
            strcmp(qpdf_oh_unparse(c->p, qpdf_oh_get_key(c->p, a, ka[i])),
                   qpdf_oh_unparse(c->f, qpdf_oh_get_key(c->f, b, ka[i]))) != 0)
            return ka[i];
    for (i = 0; i < nb; i++)
        if (!in_list(kb[i], skip) && !qpdf_oh_has_key(c->p, a, kb[i]))
            return kb[i];
    return NULL;
}

/* a change found: the first three different ones are told, those of a page
 * (what a reader sees) before the others */
static void
change(struct dctx *c, const char *what)
{
    int page = strncmp(what, "第", strlen("第")) == 0, i;

    c->nchanges++;
    for (i = 0; i < c->ntold; i++)
        if (strcmp(c->told[i], what) == 0)
            return;
    if (c->ntold == 3 && (!page || c->told_pages == 3))
        return;
    if (c->ntold == 3)
        c->ntold--; /* the last one that is not a page's goes */
    for (i = c->ntold; i > (page ? c->told_pages : c->ntold); i--)
        c->told[i] = c->told[i - 1];
    c->told[page ? c->told_pages : c->ntold] = what;
    c->ntold++;
    c->told_pages += page;
}

/* the page (1-based) of the signed revision that object num is, or whose
 * contents, resources or annotations it is; *kind says which */
static int
page_of(struct dctx *c, int num, const char **kind)
{
    qpdf_data p = c->p;
    int i, j, n;

    for (i = 0; i < c->p_pages.n; i++) {
        qpdf_oh pg = qpdf_get_object_by_id(p, c->p_pages.v[i], 0), v, r;

        if (c->p_pages.v[i] == num) {
            *kind = "页面";
            return i + 1;
        }
        v = qpdf_oh_get_key(p, pg, "/Contents");
        n = qpdf_oh_is_array(p, v) ? qpdf_oh_get_array_n_items(p, v) : 0;
        if (oid(p, v) == num) {
            *kind = "内容";
            return i + 1;
        }
        for (j = 0; j < n && j < 1000; j++)
            if (oid(p, qpdf_oh_get_array_item(p, v, j)) == num) {
                *kind = "内容";
                return i + 1;
            }
        r = qpdf_oh_get_key(p, pg, "/Resources");
        if (oid(p, r) == num) {
            *kind = "资源";
            return i + 1;
        }
        for (j = 0; j < 2; j++) {
            qpdf_oh sub = qpdf_oh_get_key(p, r, j == 0 ? "/XObject" : "/Font");
            const char **ks;
            int nk = dict_keys(c->pool, p, sub, &ks);

            if (oid(p, sub) == num) {
                *kind = "资源";
                return i + 1;
            }
            for (int k = 0; k < nk && k < 1000; k++)
                if (oid(p, qpdf_oh_get_key(p, sub, ks[k])) == num) {
                    *kind = j == 0 ? "图像或表单对象" : "字体";
                    return i + 1;
                }
        }
        v = qpdf_oh_get_key(p, pg, "/Annots");
        if (oid(p, v) == num) {
            *kind = "注释";
            return i + 1;
        }
        n = qpdf_oh_is_array(p, v) ? qpdf_oh_get_array_n_items(p, v) : 0;
        for (j = 0; j < n && j < 1000; j++)
            if (oid(p, qpdf_oh_get_array_item(p, v, j)) == num) {
                *kind = "注释";
                return i + 1;
            }
    }
    return 0;
}

/* what object num was, in words, for the change found in it (the first
 * few: each looks through the pages) */
static const char *
described(struct dctx *c, int num, qpdf_oh old, int removed)
{
    const char *kind = NULL, *verb = removed ? "被删除" : "被修改";
    int pg;
    qpdf_oh t;

    if (++c->ndescribed > 16)
        return hall_psprintf(c->pool, "对象%d%s", num, verb);
    pg = page_of(c, num, &kind);

    if (pg > 0) {
        if (strcmp(kind, "页面") == 0)
            return hall_psprintf(c->pool, "第%d页%s", pg, removed ? "被删除" : "的页面字典被修改");
        return hall_psprintf(c->pool, "第%d页的%s%s", pg, kind, verb);
    }
    t = qpdf_oh_get_key(c->p, qpdf_oh_is_stream(c->p, old) ? qpdf_oh_get_dict(c->p, old) : old,
                        "/Type");
    if (qpdf_oh_is_name_and_equals(c->p, t, "/Pages")) {
        int fp = qpdf_get_num_pages(c->f);

        qerr(c->f);
        return fp != c->p_pages.n
                   ? hall_psprintf(c->pool, "页数被改变（%d页变为%d页）", c->p_pages.n, fp)
                   : "页面树被修改（页面被替换或重排）";
    }
    if (qpdf_oh_is_name_and_equals(c->p, t, "/Annot"))
        return hall_psprintf(c->pool, "注释%s", verb);
    if (qpdf_oh_is_name(c->p, t))
        return hall_psprintf(c->pool, "对象%d（%s）%s", num, qpdf_oh_get_name(c->p, t), verb);
    return hall_psprintf(c->pool, "对象%d%s", num, verb);
}

/* the report's signature whose field (or /V) is this one: its index, 0 none */
static int
sig_of(struct dctx *c, qpdf_oh field)
{
    qpdf_data f = c->f;
    int fid = oid(f, field), vid = oid(f, qpdf_oh_get_key(f, field, "/V"));

    for (int i = 0; i < c->d->rep->nsigs; i++) {
        const struct hall_stamp_sig *s = &c->d->rep->sigs[i];

        if ((fid > 0 && s->obj_field == fid) || (vid > 0 && s->obj_v == vid))
            return i + 1;
    }
    return 0;
}

static int
visible(qpdf_data q, qpdf_oh w)
{
    qpdf_oh r = qpdf_oh_get_key(q, w, "/Rect");
    double v[4] = {0, 0, 0, 0};
    long long fl = dict_int(q, w, "/F", 0);

    if (fl > 0 && (fl & (2 | 32)))
        return 0;
    if (qpdf_oh_is_array(q, r) && qpdf_oh_get_array_n_items(q, r) == 4)
        for (int i = 0; i < 4; i++)
            stamp_pdf_num(q, qpdf_oh_get_array_item(q, r, i), &v[i]);
    return v[2] != v[0] && v[3] != v[1];
}

/*
 * A signature field (or its widget) the update adds, in the whole file:
 * NULL when it may be added (a field of /FT /Sig whose signature is
 * intact, or an unsigned one nobody sees), else what is wrong.
 */
static const char *
new_sig_field(struct dctx *c, qpdf_oh w, int page)
{
    qpdf_data f = c->f;
    qpdf_oh field = w, sub = qpdf_oh_get_key(f, w, "/Subtype");
    int k;

    if (page > 0 && !qpdf_oh_is_name_and_equals(f, sub, "/Widget"))
        return hall_psprintf(c->pool, "第%d页新增了注释（%s）", page,
                             qpdf_oh_is_name(f, sub) ? qpdf_oh_get_name(f, sub) : "未知类型");
    if (!qpdf_oh_has_key(f, field, "/FT") &&
        qpdf_oh_is_dictionary(f, qpdf_oh_get_key(f, w, "/Parent")))
        field = qpdf_oh_get_key(f, w, "/Parent");
    if (!qpdf_oh_is_name_and_equals(f, qpdf_oh_get_key(f, field, "/FT"), "/Sig"))
        return page > 0 ? hall_psprintf(c->pool, "第%d页新增了表单域", page) : "新增了表单域";
    /* an action runs when the page opens or the widget is seen: a script
     * may change what the page shows */
    if (qpdf_oh_has_key(f, w, "/A") || qpdf_oh_has_key(f, w, "/AA") ||
        qpdf_oh_has_key(f, field, "/AA"))
        return page > 0 ? hall_psprintf(c->pool, "第%d页新增的签名域带有动作（/A、/AA）", page)
                        : "新增的签名域带有动作（/A、/AA）";
    if (!qpdf_oh_is_dictionary(f, qpdf_oh_get_key(f, field, "/V")))
        return visible(f, w)
                   ? (page > 0 ? hall_psprintf(c->pool, "第%d页新增了可见的未签名签名域", page)
                               : "新增了可见的未签名签名域")
                   : NULL;
    k = sig_of(c, field);
    if (k == 0)
        return "新增了无法核验的签名";
    {
        const struct hall_stamp_sig *s = &c->d->rep->sigs[k - 1];

        if (s->range != HALL_STAMP_PASS || s->digest != HALL_STAMP_PASS ||
            s->signature != HALL_STAMP_PASS)
            return hall_psprintf(c->pool, "其后追加的签章%d无效（%s），其修订中的改动不予认可",
                                 s->index,
                                 s->problem != NULL && s->problem[0] ? s->problem : "签名无法验证");
    }
    return NULL;
}

/* old items of an array (/Annots, /Fields) all kept in their order, each
 * added one judged by judge (page for /Annots, 0 for /Fields) */
static void
array_grown(struct dctx *c, qpdf_oh a, qpdf_oh b, int page, const char *what)
{
    qpdf_data p = c->p, f = c->f;
    int na = qpdf_oh_is_array(p, a) ? qpdf_oh_get_array_n_items(p, a) : 0;
    int nb = qpdf_oh_is_array(f, b) ? qpdf_oh_get_array_n_items(f, b) : 0, i = 0, j;

    if (qpdf_oh_is_null(f, b) && !qpdf_oh_is_null(p, a)) {
        change(c, hall_psprintf(c->pool, "%s被删除", what));
        return;
    }
    if ((!qpdf_oh_is_null(p, a) && !qpdf_oh_is_array(p, a)) || !qpdf_oh_is_array(f, b)) {
        change(c, hall_psprintf(c->pool, "%s被修改", what));
        return;
    }
    for (j = 0; j < nb && j < 20000; j++) {
        qpdf_oh it = qpdf_oh_get_array_item(f, b, j);
        const char *bad;

        if (i < na && strcmp(qpdf_oh_unparse(p, qpdf_oh_get_array_item(p, a, i)),
                             qpdf_oh_unparse(f, it)) == 0) {
            i++;
            continue;
        }
        /* an item the signed revision did not have: a new object */
        if (oid(f, it) == 0 || !qpdf_oh_is_null(p, qpdf_get_object_by_id(p, oid(f, it), 0))) {
            change(c, hall_psprintf(c->pool, "%s被修改", what));
            return;
        }
        bad = new_sig_field(c, it, page);
        if (bad != NULL) {
            change(c, bad);
            return;
        }
    }
    if (i < na)
        change(c, hall_psprintf(c->pool, "%s中的项被删除", what));
}

/* the page's dictionary: only /Annots may change, grown by signatures */
static void
page_judged(struct dctx *c, int pg, qpdf_oh a, qpdf_oh b)
{
    static const char *const annots[] = {"/Annots", NULL};
    const char *k = dict_differs(c, a, b, annots);

    if (k != NULL) {
        change(c, strcmp(k, "/Contents") == 0 ? hall_psprintf(c->pool, "第%d页的内容被修改", pg)
                  : strcmp(k, "/Resources") == 0
                      ? hall_psprintf(c->pool, "第%d页的资源被修改", pg)
                      : hall_psprintf(c->pool, "第%d页的页面字典被修改（%s）", pg, k));
        return;
    }
    {
        qpdf_oh x = qpdf_oh_get_key(c->p, a, "/Annots"), y = qpdf_oh_get_key(c->f, b, "/Annots");

        /* the same indirect array: judged as its own object, if written */
        if (oid(c->p, x) > 0 && oid(c->p, x) == oid(c->f, y))
            return;
        array_grown(c, x, y, pg, hall_psprintf(c->pool, "第%d页的注释", pg));
    }
}

static void
acroform_judged(struct dctx *c, qpdf_oh a, qpdf_oh b)
{
    static const char *const keys[] = {"/Fields", "/SigFlags", "/DR", "/DA", NULL};
    /* with /NeedAppearances a reader draws the fields again from /DR and
     * /DA: then they are the page's fonts and may not change */
    static const char *const strict[] = {"/Fields", "/SigFlags", NULL};
    const char *k;
    int redraw = qpdf_oh_get_bool_value(c->p, qpdf_oh_get_key(c->p, a, "/NeedAppearances")) ||
                 qpdf_oh_get_bool_value(c->f, qpdf_oh_get_key(c->f, b, "/NeedAppearances"));

    if (qpdf_oh_is_null(c->p, a) && qpdf_oh_is_null(c->f, b))
        return;
    if (!qpdf_oh_is_dictionary(c->f, b)) {
        change(c, "表单（AcroForm）被删除");
        return;
    }
    k = dict_differs(c, a, b, redraw ? strict : keys);
    if (k != NULL) {
        change(c, hall_psprintf(c->pool, "表单（AcroForm）被修改（%s）", k));
        return;
    }
    {
        qpdf_oh x = qpdf_oh_get_key(c->p, a, "/Fields"), y = qpdf_oh_get_key(c->f, b, "/Fields");

        if (oid(c->p, x) > 0 && oid(c->p, x) == oid(c->f, y))
            return;
        array_grown(c, x, y, 0, "表单域列表");
    }
}

static void
catalog_judged(struct dctx *c)
{
    static const char *const keys[] = {"/AcroForm", "/DSS", "/Metadata", "/Extensions", NULL};
    qpdf_oh a = qpdf_get_root(c->p), b = qpdf_get_root(c->f), x, y;
    const char *k = dict_differs(c, a, b, keys);

    if (k != NULL) {
        change(c, hall_psprintf(c->pool, "文档目录（Catalog）被修改（%s）", k));
        return;
    }
    x = qpdf_oh_get_key(c->p, a, "/AcroForm");
    y = qpdf_oh_get_key(c->f, b, "/AcroForm");
    if (oid(c->p, x) > 0 && oid(c->p, x) == oid(c->f, y))
        return; /* judged as its own object, if written */
    if (strcmp(qpdf_oh_unparse(c->p, x), qpdf_oh_unparse(c->f, y)) != 0 || oid(c->f, y) > 0)
        acroform_judged(c, x, y);
}

/* the ids reachable from the catalog but through /DSS and /Metadata: what
 * the viewer may use; HALL_ERR past DIFF_REACH_MAX */
static int
reach(struct dctx *c, struct idset *out)
{
    qpdf_data f = c->f;
    qpdf_oh *stack;
    int n = 0, cap = 1024, seen = 0, rc = HALL_OK;
    struct idset got = {NULL, 0, 0};
    long long size = dict_int(f, qpdf_get_trailer(f), "/Size", -1);
    char *mark;

    if (size <= 0 || size > DIFF_REACH_MAX * 40LL)
        return HALL_ERR;
    mark = calloc((size_t)size + 1, 1);
    stack = malloc(sizeof(*stack) * (size_t)cap);
    if (stack == NULL || mark == NULL)
        abort();
    stack[n++] = qpdf_get_root(f);
    while (n > 0) {
        qpdf_oh o = stack[--n];
        int id = oid(f, o), isroot = id == c->f_root;

        if (id > 0) {
            if (id > size || ++seen > DIFF_REACH_MAX) {
                rc = HALL_ERR;
                break;
            }
            if (mark[id])
                continue;
            mark[id] = 1;
            ids_add(&got, id);
        }
        if (qpdf_oh_is_stream(f, o))
            o = qpdf_oh_get_dict(f, o);
        if (qpdf_oh_is_array(f, o) || qpdf_oh_is_dictionary(f, o)) {
            const char **ks = NULL;
            int arr = qpdf_oh_is_array(f, o);
            int m = arr ? qpdf_oh_get_array_n_items(f, o) : dict_keys(c->pool, f, o, &ks);

            for (int i = 0; i < m; i++) {
                qpdf_oh it;

                if (!arr && isroot &&
                    (strcmp(ks[i], "/DSS") == 0 || strcmp(ks[i], "/Metadata") == 0))
                    continue;
                it = arr ? qpdf_oh_get_array_item(f, o, i) : qpdf_oh_get_key(f, o, ks[i]);
                if (!qpdf_oh_is_array(f, it) && !qpdf_oh_is_dictionary(f, it) &&
                    !qpdf_oh_is_stream(f, it))
                    continue;
                if (n == cap) {
                    if (cap >= DIFF_REACH_MAX) {
                        rc = HALL_ERR;
                        goto out;
                    }
                    cap *= 2;
                    stack = realloc(stack, sizeof(*stack) * (size_t)cap);
                    if (stack == NULL)
                        abort();
                }
                stack[n++] = it;
            }
        }
    }
out:
    qerr(f);
    free(stack);
    free(mark);
    ids_sort(&got);
    *out = got;
    return rc;
}

/* the indirect objects under o (the /DSS), a few levels down */
static void
collect(qpdf_data q, qpdf_oh o, int depth, struct idset *out, struct hall_pool *pool)
{
    int id = oid(q, o);

    if (id > 0) {
        for (int i = 0; i < out->n; i++)
            if (out->v[i] == id)
                return;
        ids_add(out, id);
    }
    if (depth > 4 || out->n > 20000)
        return;
    if (qpdf_oh_is_array(q, o)) {
        int n = qpdf_oh_get_array_n_items(q, o);

        for (int i = 0; i < n && i < 20000; i++)
            collect(q, qpdf_oh_get_array_item(q, o, i), depth + 1, out, pool);
    } else if (qpdf_oh_is_dictionary(q, o)) {
        const char **ks;
        int n = dict_keys(pool, q, o, &ks);

        for (int i = 0; i < n; i++)
            collect(q, qpdf_oh_get_key(q, o, ks[i]), depth + 1, out, pool);
    }
}

static void
roles_read(struct dctx *c)
{
    qpdf_data p = c->p, f = c->f;
    qpdf_oh root = qpdf_get_root(p), acro = qpdf_oh_get_key(p, root, "/AcroForm");
    int n = qpdf_get_num_pages(p);

    c->p_root = oid(p, root);
    c->p_info = oid(p, qpdf_oh_get_key(p, qpdf_get_trailer(p), "/Info"));
    c->p_meta = oid(p, qpdf_oh_get_key(p, root, "/Metadata"));
    c->p_acro = oid(p, acro);
    c->p_fields = oid(p, qpdf_oh_get_key(p, acro, "/Fields"));
    for (int i = 0; i < n; i++) {
        qpdf_oh pg = qpdf_get_page_n(p, (size_t)i);

        ids_add(&c->p_pages, oid(p, pg));
        ids_add(&c->p_annots, oid(p, qpdf_oh_get_key(p, pg, "/Annots")));
    }
    qerr(p);
    collect(p, qpdf_oh_get_key(p, root, "/DSS"), 0, &c->p_dss, c->pool);
    ids_sort(&c->p_dss);
    root = qpdf_get_root(f);
    c->f_root = oid(f, root);
    c->f_info = oid(f, qpdf_oh_get_key(f, qpdf_get_trailer(f), "/Info"));
    c->f_meta = oid(f, qpdf_oh_get_key(f, root, "/Metadata"));
    collect(f, qpdf_oh_get_key(f, root, "/DSS"), 0, &c->f_dss, c->pool);
    ids_sort(&c->f_dss);
    qerr(f);
}

/* an object only the /Info, /Metadata or /DSS use: nothing shows it */
static int
unseen(struct dctx *c, int num)
{
    struct stamp_diff *d = (struct stamp_diff *)c->d;

    if (!d->reach_done) {
        d->reach_done = 1;
        d->reach_ok = reach(c, &d->reach) == HALL_OK;
    }
    return d->reach_ok && !ids_has(&d->reach, num);
}

/* the index in the signed revision's pages of num, or its /Annots; 0 none */
static int
page_index(const struct idset *s, int num)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == num && num > 0)
            return i + 1;
    return 0;
}

static int
is_type(qpdf_data q, qpdf_oh o, const char *t)
{
    if (qpdf_oh_is_stream(q, o))
        o = qpdf_oh_get_dict(q, o);
    return qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, o, "/Type"), t);
}

/* an unsigned signature field of the signed revision (or its widget) */
static int
empty_sig_field(qpdf_data q, qpdf_oh o)
{
    qpdf_oh fld = qpdf_oh_has_key(q, o, "/FT") ? o : qpdf_oh_get_key(q, o, "/Parent");

    return qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, fld, "/FT"), "/Sig") &&
           !qpdf_oh_has_key(q, fld, "/V");
}

/* one object the later revisions wrote that is not what was signed */
static void
changed(struct dctx *c, int num, qpdf_oh old, qpdf_oh new, int removed)
{
    qpdf_data p = c->p, f = c->f;
    int pg;

    if ((pg = page_index(&c->p_pages, num)) > 0) {
        if (removed)
            change(c, hall_psprintf(c->pool, "第%d页被删除", pg));
        else
            page_judged(c, pg, old, new);
        return;
    }
    if ((pg = page_index(&c->p_annots, num)) > 0) {
        array_grown(c, old, new, pg, hall_psprintf(c->pool, "第%d页的注释", pg));
        return;
    }
    if (num == c->p_acro) {
        acroform_judged(c, old, new);
        return;
    }
    if (num == c->p_fields) {
        array_grown(c, old, new, 0, "表单域列表");
        return;
    }
    /* containers: what they hold is judged object by object */
    if ((is_type(p, old, "/ObjStm") || is_type(p, old, "/XRef")) &&
        (is_type(f, new, "/ObjStm") || is_type(f, new, "/XRef") || qpdf_oh_is_null(f, new)))
        return;
    if ((num == c->p_info || num == c->f_info || num == c->p_meta || num == c->f_meta ||
         ids_has(&c->p_dss, num) || ids_has(&c->f_dss, num)) &&
        unseen(c, num))
        return;
    if (empty_sig_field(p, old) && qpdf_oh_is_dictionary(f, new)) {
        static const char *const keys[] = {"/V", "/AP", "/AS",   "/MK", "/DA",
                                           "/F", "/Ff", "/Type", "/Q",  NULL};
        const char *k = dict_differs(c, old, new, keys), *bad;

        if (k != NULL) {
            change(c, hall_psprintf(c->pool, "签名域被修改（%s）", k));
            return;
        }
        bad = new_sig_field(c, new, 0);
        if (bad != NULL)
            change(c, bad);
        return;
    }
    change(c, described(c, num, old, removed));
}

static int
xent_cmp(const void *a, const void *b)
{
    const struct xent *x = a, *y = b;

    if (x->num != y->num)
        return (x->num > y->num) - (x->num < y->num);
    return (x->order > y->order) - (x->order < y->order);
}

const char *
stamp_diff_after(struct hall_pool *pool, struct stamp_diff *d, long long end, int *nchanges)
{
    struct dctx c;
    struct xlist l;
    char err[256];
    long long psize;
    int i;

    memset(&c, 0, sizeof(c));
    memset(&l, 0, sizeof(l));
    c.pool = pool;
    c.d = d;
    c.f = d->f;
    *nchanges = 0;
    if (written_after(d, end, &l) != HALL_OK) {
        c.first = "其后的内容无法作为对签章时文档的增量更新读取";
        c.nchanges = 1;
        goto out;
    }
    if (l.over) {
        c.first = "其后修改的对象过多，未能逐一核验";
        c.nchanges = 1;
        goto out;
    }
    if (l.n == 0)
        goto out;
    c.p = qpdf_init();
    if (stamp_qpdf_open(c.p, d->map, (size_t)end, NULL, err, sizeof(err)) != HALL_OK) {
        c.first = "签章时的文档版本无法单独读取";
        c.nchanges = 1;
        goto out;
    }
    roles_read(&c);
    psize = dict_int(c.p, qpdf_get_trailer(c.p), "/Size", 0);
    catalog_judged(&c);
    qsort(l.e, (size_t)l.n, sizeof(*l.e), xent_cmp);
    for (i = 0; i < l.n; i++) {
        const struct xent *e = &l.e[i];
        qpdf_oh old, new;

        if (i > 0 && e->num == l.e[i - 1].num)
            continue; /* the newest section's entry is first in l: the same object */
        if (e->num == c.p_root || e->num == c.f_root)
            continue; /* catalog_judged */
        old = qpdf_get_object_by_id(c.p, e->num, e->used ? e->gen : (e->gen > 0 ? e->gen - 1 : 0));
        if (!e->used && qpdf_oh_is_null(c.p, old))
            old = qpdf_get_object_by_id(c.p, e->num, 0);
        new = e->used ? qpdf_get_object_by_id(c.f, e->num, e->gen) : qpdf_oh_new_null(c.f);
        qerr(c.p);
        qerr(c.f);
        if (same(&c, old, new))
            continue;
        if (qpdf_oh_is_null(c.p, old)) {
            /* a new object: only what a judged object points to is seen,
             * unless its number was one the signed revision could
             * already point to */
            if (e->num < psize && e->used)
                change(&c, described(&c, e->num, old, 0));
            continue;
        }
        /* in use but unreadable (null) is a change, not a removal */
        changed(&c, e->num, old, new, !e->used);
        if (c.nchanges > 100)
            break;
    }
out:
    if (c.first == NULL && c.ntold > 0)
        c.first = c.ntold == 1 ? c.told[0]
                  : c.ntold == 2
                      ? hall_psprintf(pool, "%s；%s", c.told[0], c.told[1])
                      : hall_psprintf(pool, "%s；%s；%s", c.told[0], c.told[1], c.told[2]);
    if (c.p != NULL) {
        qerr(c.p);
        qpdf_oh_release_all(c.p);
        qpdf_cleanup(&c.p);
    }
    ids_free(&c.p_pages);
    ids_free(&c.p_annots);
    ids_free(&c.p_dss);
    ids_free(&c.f_dss);
    free(l.e);
    *nchanges = c.nchanges;
    return c.first;
}

void
stamp_diff_free(struct stamp_diff *d)
{
    ids_free(&d->reach);
}

/* ---- text under a widget ---------------------------------------------------------- */

#define TEXT_CONTENT_MAX (8 << 20) /* a page's decoded content read at most */
#define TEXT_OPS_MAX     2000000   /* operators interpreted at most */

/* what the content's text operators need: the graphics state's matrix,
 * the text matrices, the font size and leading */
struct tscan {
    double ctm[6], saved[64][6];
    int depth;
    double tm[6], tlm[6], fs, tl;
    double num[8];
    int nnum;
    double arr_w; /* a TJ array's advance, text space */
    int in_arr;
    double str_w; /* the last string's advance */
    const double *rect;
    int hit;
};

/* r = a × b, PDF matrices [a b c d e f] */
static void
mat_mul(double r[6], const double a[6], const double b[6])
{
    double t[6];

    t[0] = a[0] * b[0] + a[1] * b[2];
    t[1] = a[0] * b[1] + a[1] * b[3];
    t[2] = a[2] * b[0] + a[3] * b[2];
    t[3] = a[2] * b[1] + a[3] * b[3];
    t[4] = a[4] * b[0] + a[5] * b[2] + b[4];
    t[5] = a[4] * b[1] + a[5] * b[3] + b[5];
    memcpy(r, t, sizeof(t));
}

static void
mat_id(double m[6])
{
    static const double id[6] = {1, 0, 0, 1, 0, 0};

    memcpy(m, id, sizeof(id));
}

/* text of advance w (text space) shown at the text matrix: its box on the
 * page against the widget's rect; the text matrix moved past it */
static void
text_shown(struct tscan *t, double w)
{
    double m[6], xs[4], ys[4], lo_x, hi_x, lo_y, hi_y;
    double px[4] = {0, w, 0, w}, py[4] = {0, 0, t->fs, t->fs};
    int i;

    mat_mul(m, t->tm, t->ctm);
    for (i = 0; i < 4; i++) {
        xs[i] = px[i] * m[0] + py[i] * m[2] + m[4];
        ys[i] = px[i] * m[1] + py[i] * m[3] + m[5];
    }
    lo_x = hi_x = xs[0];
    lo_y = hi_y = ys[0];
    for (i = 1; i < 4; i++) {
        lo_x = xs[i] < lo_x ? xs[i] : lo_x;
        hi_x = xs[i] > hi_x ? xs[i] : hi_x;
        lo_y = ys[i] < lo_y ? ys[i] : lo_y;
        hi_y = ys[i] > hi_y ? ys[i] : hi_y;
    }
    if (w != 0 &&
        (hi_x < t->rect[2] ? hi_x : t->rect[2]) - (lo_x > t->rect[0] ? lo_x : t->rect[0]) > 1 &&
        (hi_y < t->rect[3] ? hi_y : t->rect[3]) - (lo_y > t->rect[1] ? lo_y : t->rect[1]) > 1)
        t->hit = 1;
    {
        double mv[6] = {1, 0, 0, 1, w, 0};

        mat_mul(t->tm, mv, t->tm);
    }
}

static void
text_line(struct tscan *t, double tx, double ty)
{
    double mv[6] = {1, 0, 0, 1, tx, ty};

    mat_mul(t->tlm, mv, t->tlm);
    memcpy(t->tm, t->tlm, sizeof(t->tm));
}

/* one operator with its operands */
static void
text_op(struct tscan *t, const char *op, size_t n)
{
    double *a = t->num;
    int k = t->nnum;

#define OP(s) (n == sizeof(s) - 1 && memcmp(op, s, n) == 0)
    if (OP("q") && t->depth < 64)
        memcpy(t->saved[t->depth++], t->ctm, sizeof(t->ctm));
    else if (OP("Q") && t->depth > 0)
        memcpy(t->ctm, t->saved[--t->depth], sizeof(t->ctm));
    else if (OP("cm") && k >= 6)
        mat_mul(t->ctm, a + k - 6, t->ctm);
    else if (OP("BT")) {
        mat_id(t->tm);
        mat_id(t->tlm);
    } else if (OP("Tf") && k >= 1)
        t->fs = a[k - 1];
    else if (OP("TL") && k >= 1)
        t->tl = a[k - 1];
    else if (OP("Td") && k >= 2)
        text_line(t, a[k - 2], a[k - 1]);
    else if (OP("TD") && k >= 2) {
        t->tl = -a[k - 1];
        text_line(t, a[k - 2], a[k - 1]);
    } else if (OP("Tm") && k >= 6) {
        memcpy(t->tlm, a + k - 6, sizeof(t->tlm));
        memcpy(t->tm, t->tlm, sizeof(t->tm));
    } else if (OP("T*"))
        text_line(t, 0, -t->tl);
    else if (OP("Tj"))
        text_shown(t, t->str_w);
    else if (OP("TJ"))
        text_shown(t, t->arr_w);
    else if (OP("'") || OP("\"")) {
        text_line(t, 0, -t->tl);
        text_shown(t, t->str_w);
    }
#undef OP
    t->nnum = 0;
    t->str_w = 0;
}

/* 1 when the page's text (drawn by its content streams, not its form
 * XObjects) lies under rect; glyphs are taken half as wide as high */
int
stamp_text_under(qpdf_data q, int page, const double rect[4])
{
    qpdf_oh pg;
    unsigned char *p = NULL;
    size_t n = 0, i = 0;
    long ops = 0;
    struct tscan t;

    if (page <= 0 || page > qpdf_get_num_pages(q))
        return 0;
    pg = qpdf_get_page_n(q, (size_t)page - 1);
    if ((qpdf_oh_get_page_content_data(q, pg, &p, &n) & QPDF_ERRORS) || p == NULL ||
        n > TEXT_CONTENT_MAX) {
        qerr(q);
        free(p);
        return 0;
    }
    memset(&t, 0, sizeof(t));
    mat_id(t.ctm);
    mat_id(t.tm);
    mat_id(t.tlm);
    t.rect = rect;
    while (i < n && !t.hit && ops < TEXT_OPS_MAX) {
        unsigned char ch = p[i];

        if (is_ws(ch)) {
            i++;
        } else if (ch == '%') {
            while (i < n && p[i] != '\n' && p[i] != '\r')
                i++;
        } else if (ch == '(') {
            int depth = 1;
            size_t len = 0;

            for (i++; i < n && depth > 0; i++) {
                if (p[i] == '\\') {
                    i++;
                } else if (p[i] == '(') {
                    depth++;
                } else if (p[i] == ')' && --depth == 0) {
                    continue;
                }
                len++;
            }
            t.str_w = (double)len * t.fs * 0.5;
            if (t.in_arr)
                t.arr_w += t.str_w;
        } else if (ch == '<' && i + 1 < n && p[i + 1] == '<') {
            /* a dictionary (marked content's properties): skipped whole */
            int depth = 0;

            while (i + 1 < n) {
                if (p[i] == '<' && p[i + 1] == '<') {
                    depth++;
                    i += 2;
                } else if (p[i] == '>' && p[i + 1] == '>') {
                    i += 2;
                    if (--depth == 0)
                        break;
                } else {
                    i++;
                }
            }
            if (depth > 0)
                i = n;
        } else if (ch == '<') {
            size_t digits = 0;

            for (i++; i < n && p[i] != '>'; i++)
                digits += !is_ws(p[i]);
            i++;
            t.str_w = (double)(digits / 2) * t.fs * 0.5;
            if (t.in_arr)
                t.arr_w += t.str_w;
        } else if (ch == '[') {
            t.in_arr = 1;
            t.arr_w = 0;
            i++;
        } else if (ch == ']') {
            t.in_arr = 0;
            i++;
        } else if (ch == '/') {
            for (i++; i < n && !is_delim(p[i]); i++)
                ;
        } else if ((ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.') {
            char num[32];
            size_t k = 0;

            while (i < n && k < sizeof(num) - 1 &&
                   ((p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '+' || p[i] == '.'))
                num[k++] = (char)p[i++];
            num[k] = '\0';
            if (t.in_arr)
                t.arr_w -= strtod(num, NULL) / 1000.0 * t.fs;
            else if (t.nnum < 8)
                t.num[t.nnum++] = strtod(num, NULL);
            else {
                memmove(t.num, t.num + 1, sizeof(double) * 7);
                t.num[7] = strtod(num, NULL);
            }
        } else {
            size_t s = i;

            while (i < n && !is_delim(p[i]))
                i++;
            if (i == s) {
                i++;
                continue;
            }
            ops++;
            if (i - s == 2 && memcmp(p + s, "ID", 2) == 0) {
                /* an inline image's data: up to " EI" followed by a delimiter */
                for (i++; i + 3 <= n; i++)
                    if (is_ws(p[i]) && p[i + 1] == 'E' && p[i + 2] == 'I' &&
                        (i + 3 == n || is_delim(p[i + 3])))
                        break;
                i += 3;
                t.nnum = 0;
                continue;
            }
            text_op(&t, (const char *)p + s, i - s);
        }
    }
    free(p);
    return t.hit;
}
