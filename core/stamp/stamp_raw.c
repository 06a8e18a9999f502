/*
 * The stamp's guard on the input's own bytes (docs/internals/stamp.md
 * §1, "What is read, what is kept, what is refused").
 *
 * The writer leaves out a key whose value is null, and a reference to an
 * object that cannot be read is null (pdf_write_gone, as libqpdf read it):
 * written again from that view, such a page loses its /Contents.  So every object the update writes
 * again is compared with its own text in the input, read here by a small tokenizer of PDF syntax:
 * every key of the original (but those the stamp replaces, and those whose value is the literal
 * null) must be written, holding the same references.  A file that fails is refused, never stamped
 * partly.
 *
 * Owns: the input's own text of an object and the check that the update
 * keeps each of its keys (stamp_raw_kept, stamp_raw_inner_kept).  Follows:
 * ISO 32000-1 §7.3 (objects: names with #xx, strings, dictionaries, indirect
 * references); its bytes, white space, comments and tokens are pdf_lex.c's
 * (§7.2), as every reader of the library reads them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "pdf/pdf.h"
#include "stamp_int.h"

#define STAMP_MSG_UNREAD     "PDF文件中有无法完整读取的对象"
#define STAMP_MSG_UNREAD_END "。为免盖章后页面内容缺失，不能盖章，请先用PDF阅读器“另存为”后再盖章"
#define STAMP_OBJSTM_MAX     (16 * 1024 * 1024) /* an object stream's text read at most */

#define RAW_DEPTH 64

struct raw_scan {
    const unsigned char *p;
    size_t n;
    struct stamp_buf *refs; /* long long num << 16 | gen, of the value scanned */
};

/* white space and comments from i skipped (pdf_lex.c) */
static size_t
raw_ws(const struct raw_scan *s, size_t i)
{
    return (size_t)pdf_lex_skip(s->p, (long long)i, (long long)s->n);
}

/* a regular token (number, keyword, name's body): its end */
static size_t
raw_token(const struct raw_scan *s, size_t i)
{
    return (size_t)pdf_lex_regular_end(s->p, (long long)i, (long long)s->n);
}

static int
raw_uint(const struct raw_scan *s, size_t a, size_t b, long long *v)
{
    *v = 0;
    if (a == b || b - a > 10)
        return 0;
    for (; a < b; a++) {
        if (s->p[a] < '0' || s->p[a] > '9')
            return 0;
        *v = *v * 10 + (s->p[a] - '0');
    }
    return 1;
}

/* one object from i: its end, or (size_t)-1 when it is not PDF syntax */
static size_t
raw_obj(struct raw_scan *s, size_t i, int depth)
{
    size_t e, j, k;
    long long num, gen;

    i = raw_ws(s, i);
    if (i >= s->n || depth > RAW_DEPTH)
        return (size_t)-1;
    switch (s->p[i]) {
    case '<':
        if (i + 1 < s->n && s->p[i + 1] == '<') {
            for (i += 2;;) {
                i = raw_ws(s, i);
                if (i + 1 < s->n && s->p[i] == '>' && s->p[i + 1] == '>')
                    return i + 2;
                if (i >= s->n || s->p[i] != '/')
                    return (size_t)-1;
                i = raw_token(s, i + 1);
                i = raw_obj(s, i, depth + 1);
                if (i == (size_t)-1)
                    return i;
            }
        }
        k = (size_t)pdf_lex_hex_end(s->p, (long long)i, (long long)s->n);
        return k;
    case '[':
        for (i++;;) {
            i = raw_ws(s, i);
            if (i < s->n && s->p[i] == ']')
                return i + 1;
            i = raw_obj(s, i, depth + 1);
            if (i == (size_t)-1)
                return i;
        }
    case '(': return (size_t)pdf_lex_string_end(s->p, (long long)i, (long long)s->n);
    case '/': return raw_token(s, i + 1);
    default:
        e = raw_token(s, i);
        if (e == i)
            return (size_t)-1;
        /* "N G R": a reference, recorded */
        j = raw_ws(s, e);
        k = raw_token(s, j);
        if (raw_uint(s, i, e, &num) && raw_uint(s, j, k, &gen)) {
            size_t r = raw_ws(s, k);

            if (r < s->n && s->p[r] == 'R' && raw_token(s, r) == r + 1) {
                long long ref = num << 16 | (gen & 0xffff);

                if (s->refs != NULL)
                    stamp_buf_put(s->refs, &ref, sizeof(ref));
                return r + 1;
            }
        }
        return e;
    }
}

/* a name's bytes with #xx decoded, as core/pdf holds it ("/Type"); bytes
 * that are not printable ASCII as '?' */
static void
raw_name(const struct raw_scan *s, size_t a, size_t b, char *out, size_t outlen)
{
    long long n = pdf_lex_name(s->p, (long long)a, (long long)b, out, outlen);

    if (n >= (long long)outlen) /* cut to outlen */
        n = (long long)outlen - 1;
    /* shown in the refusal: printable ASCII only (both sides alike) */
    for (long long i = 0; i < n; i++)
        if ((unsigned char)out[i] <= 0x20 || (unsigned char)out[i] >= 0x7f)
            out[i] = '?';
}

static int
ref_cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;

    return (x > y) - (x < y);
}

/* the references of p[a, b) sorted into refs: HALL_ERR when not syntax */
static int
raw_refs(const unsigned char *p, size_t a, size_t b, struct stamp_buf *refs)
{
    struct raw_scan s = {p, b, refs};
    size_t i = a;

    while ((i = raw_ws(&s, i)) < b) {
        i = raw_obj(&s, i, 0);
        if (i == (size_t)-1)
            return HALL_ERR;
    }
    if (refs->len > 0)
        qsort(refs->p, refs->len / sizeof(long long), sizeof(long long), ref_cmp);
    return HALL_OK;
}

static int
same_refs(const unsigned char *p, size_t a, size_t b, const unsigned char *q, size_t c, size_t d)
{
    struct stamp_buf x = {0}, y = {0};
    int same = raw_refs(p, a, b, &x) == HALL_OK && raw_refs(q, c, d, &y) == HALL_OK &&
               x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);

    stamp_buf_free(&x);
    stamp_buf_free(&y);
    return same;
}

/* the value of key in the dictionary at p[i..n): its span, or 0 */
static int
raw_dict_get(const unsigned char *p, size_t n, size_t i, const char *key, size_t *va, size_t *vb)
{
    struct raw_scan s = {p, n, NULL};
    char name[256];

    i = raw_ws(&s, i);
    if (i + 1 >= n || p[i] != '<' || p[i + 1] != '<')
        return 0;
    for (i += 2;;) {
        size_t k;

        i = raw_ws(&s, i);
        if (i >= n || p[i] != '/')
            return 0;
        k = raw_token(&s, i + 1);
        raw_name(&s, i, k, name, sizeof(name));
        *va = raw_ws(&s, k);
        i = raw_obj(&s, k, 1);
        if (i == (size_t)-1)
            return 0;
        *vb = i;
        if (strcmp(name, key) == 0)
            return 1;
    }
}

/* the references of o[a, b) and the stamp's added one (when not 0) are
 * those of w[c, d) */
static int
refs_plus(const unsigned char *o, size_t a, size_t b, long long added, const unsigned char *w,
          size_t c, size_t d)
{
    struct stamp_buf x = {0}, y = {0};
    int same = raw_refs(o, a, b, &x) == HALL_OK && raw_refs(w, c, d, &y) == HALL_OK;

    if (same && added != 0) {
        stamp_buf_put(&x, &added, sizeof(added));
        qsort(x.p, x.len / sizeof(long long), sizeof(long long), ref_cmp);
    }
    same = same && x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
    stamp_buf_free(&x);
    stamp_buf_free(&y);
    return same;
}

/*
 * The object the update writes again (w[0..wn), a dictionary or an array)
 * against the original's text (o[oa..on)): a dictionary keeps every key but
 * skip's with the same references (added_key's, an array, holds the
 * stamp's added one more, unless it was a reference to the array), an array
 * every reference and added.  The first key lost into lost.
 */
static int
raw_kept(const unsigned char *o, size_t on, size_t oa, const unsigned char *w, size_t wn,
         const char *const *skip, const char *added_key, long long added, char *lost,
         size_t lostlen)
{
    struct raw_scan s = {o, on, NULL};
    size_t i = raw_ws(&s, oa);

    snprintf(lost, lostlen, "?");
    if (i < on && o[i] == '[') {
        size_t e = raw_obj(&s, i, 0);

        snprintf(lost, lostlen, "/Annots");
        return e != (size_t)-1 && refs_plus(o, i, e, added, w, 0, wn) ? HALL_OK : HALL_ERR;
    }
    if (i + 1 >= on || o[i] != '<' || o[i + 1] != '<')
        return HALL_ERR;
    for (i += 2;;) {
        char name[256];
        size_t k, va, vb, wa, wb;
        int j, skipped = 0;

        i = raw_ws(&s, i);
        if (i + 1 < on && o[i] == '>' && o[i + 1] == '>')
            return HALL_OK;
        if (i >= on || o[i] != '/')
            return HALL_ERR;
        k = raw_token(&s, i + 1);
        raw_name(&s, i, k, name, sizeof(name));
        snprintf(lost, lostlen, "%s", name);
        va = raw_ws(&s, k);
        vb = raw_obj(&s, k, 1);
        if (vb == (size_t)-1)
            return HALL_ERR;
        i = vb;
        for (j = 0; skip != NULL && skip[j] != NULL; j++)
            skipped |= strcmp(skip[j], name) == 0;
        if (skipped || (vb - va == 4 && memcmp(o + va, "null", 4) == 0))
            continue;
        if (!raw_dict_get(w, wn, 0, name, &wa, &wb))
            return HALL_ERR;
        if (added_key != NULL && strcmp(name, added_key) == 0) {
            if (o[va] == '[' && !refs_plus(o, va, vb, added, w, wa, wb))
                return HALL_ERR;
        } else if (!same_refs(o, va, vb, w, wa, wb)) {
            return HALL_ERR;
        }
    }
}

/* the digits that end just before e (after any white space): their start,
 * *v their value, or (size_t)-1 */
static size_t
raw_uint_before(const struct raw_scan *s, size_t e, long long *v)
{
    size_t a;

    while (e > 0 && pdf_lex_white(s->p[e - 1]))
        e--;
    a = e;
    while (a > 0 && s->p[a - 1] >= '0' && s->p[a - 1] <= '9')
        a--;
    if (a == e || !raw_uint(s, a, e, v))
        return (size_t)-1;
    return a;
}

/* the first want bytes (fewer when it is shorter) of the stream's data:
 * inflated here when its one filter is /FlateDecode without parameters (as
 * writers make object streams), so that a stream that inflates to
 * gigabytes costs want bytes; unfiltered as it is; other filters through
 * core/pdf (pdf_stream_data), whole.  malloc'ed, *got its length; NULL
 * when unreadable */
static unsigned char *
stm_head(struct pdf_doc *pd, const struct pdf_obj *stm, size_t want, size_t *got)
{
    const struct pdf_obj *filter = pdf_key(pd, stm, "/Filter");
    const unsigned char *raw;
    unsigned char *out = NULL;
    size_t rawlen = 0;
    z_stream zs;
    int flate, rc;

    if (filter != NULL && filter->type == PDF_ARRAY && filter->n == 1)
        filter = pdf_resolve(pd, filter->items[0]);
    flate = pdf_is_name(filter, "/FlateDecode") && !pdf_has_key(pd, stm, "/DecodeParms");
    if (!flate && !pdf_value_null(pd, filter)) {
        if (pdf_stream_data(pd, stm, 0, &out, got) != HALL_OK) {
            free(out);
            return NULL;
        }
        return out;
    }
    raw = pdf_stream_raw(pd, stm, &rawlen);
    if (raw == NULL)
        return NULL;
    if (!flate) {
        out = malloc(rawlen > 0 ? rawlen : 1);
        if (out == NULL)
            abort();
        memcpy(out, raw, rawlen);
        *got = rawlen;
        return out;
    }
    out = malloc(want > 0 ? want : 1);
    if (out == NULL)
        abort();
    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK)
        abort();
    zs.next_in = (unsigned char *)raw;
    zs.avail_in = (uInt)rawlen;
    zs.next_out = out;
    zs.avail_out = (uInt)want;
    rc = inflate(&zs, Z_SYNC_FLUSH);
    *got = want - zs.avail_out;
    inflateEnd(&zs);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        free(out);
        return NULL;
    }
    return out;
}

/* an integer value of a stream's dictionary, 0 when not one (as libqpdf's
 * get_int_value read it) */
static long long
stm_int(struct pdf_doc *pd, const struct pdf_obj *stm, const char *key)
{
    const struct pdf_obj *v = pdf_key(pd, stm, key);

    return v != NULL && v->type == PDF_INT ? v->i : 0;
}

/* the object stream num gen's data up to the end of obj's text, when it
 * holds obj: malloc'ed, *at the object's text in it; NULL when it does not
 * (read: its header only) */
static unsigned char *
stm_text(struct pdf_doc *pd, long long num, long long gen, long long obj, size_t *len, size_t *at)
{
    const struct pdf_obj *stm =
        num > 0 && num < (1LL << 31) ? pdf_get(pd, (int)num, (int)gen) : NULL;
    unsigned char *data;
    long long n, first, k, off = -1, next = -1;
    struct raw_scan s;
    size_t i = 0, hl = 0, want;

    if (stm == NULL || stm->type != PDF_STREAM)
        return NULL;
    n = stm_int(pd, stm, "/N");
    first = stm_int(pd, stm, "/First");
    if (n <= 0 || first <= 0 || first >= STAMP_OBJSTM_MAX)
        return NULL;
    data = stm_head(pd, stm, (size_t)first, &hl);
    if (data == NULL || hl < (size_t)first) {
        free(data);
        return NULL;
    }
    s.p = data;
    s.n = (size_t)first;
    s.refs = NULL;
    for (k = 0; k < n; k++) {
        long long o, v;
        size_t e;

        i = raw_ws(&s, i);
        e = raw_token(&s, i);
        if (!raw_uint(&s, i, e, &o))
            break;
        i = raw_ws(&s, e);
        e = raw_token(&s, i);
        if (!raw_uint(&s, i, e, &v))
            break;
        i = e;
        if (o == obj)
            off = v;
        else if (off >= 0 && v > off && (next < 0 || v < next))
            next = v;
    }
    free(data);
    if (off < 0 || first + off >= STAMP_OBJSTM_MAX)
        return NULL;
    /* the object's text ends where the next one's begins (or at the end) */
    want = next > off && first + next < STAMP_OBJSTM_MAX ? (size_t)(first + next)
                                                         : (size_t)STAMP_OBJSTM_MAX;
    data = stm_head(pd, stm, want, len);
    if (data == NULL || (size_t)(first + off) >= *len) {
        free(data);
        return NULL;
    }
    *at = (size_t)(first + off);
    return data;
}

/* where the object num gen is defined last in the input, as a reader that
 * rebuilds the cross-reference would take it: in the input (*data NULL) or
 * in an object stream's decoded data (*data, malloc'ed), *at the offset of
 * its text (after "num gen obj" in the input); HALL_ERR when nowhere */
static int
raw_find(struct pdf_doc *pd, const unsigned char *pdf, size_t len, long long num, int gen,
         unsigned char **data, size_t *dlen, size_t *at)
{
    struct raw_scan s = {pdf, len, NULL};
    size_t i, found = (size_t)-1;

    *data = NULL;
    for (i = 1; i + 3 <= len; i++) {
        size_t b, ta, tb, sa, sl;
        long long n, g;
        unsigned char *sd;

        if (pdf[i] != 'o' || memcmp(pdf + i, "obj", 3) != 0 || !pdf_lex_white(pdf[i - 1]) ||
            (i + 3 < len && !pdf_lex_white(pdf[i + 3]) && !pdf_lex_delim(pdf[i + 3])))
            continue;
        b = raw_uint_before(&s, i, &g);
        if (b == (size_t)-1 || b == 0 || !pdf_lex_white(pdf[b - 1]))
            continue;
        b = raw_uint_before(&s, b, &n);
        if (b == (size_t)-1 || (b > 0 && !pdf_lex_white(pdf[b - 1]) && !pdf_lex_delim(pdf[b - 1])))
            continue;
        if (n == num && g == gen) {
            free(*data);
            *data = NULL;
            found = i + 3;
        } else if (raw_dict_get(pdf, len, i + 3, "/Type", &ta, &tb) && tb - ta == 7 &&
                   memcmp(pdf + ta, "/ObjStm", 7) == 0 && gen == 0 &&
                   (sd = stm_text(pd, n, g, num, &sl, &sa)) != NULL) {
            free(*data);
            *data = sd;
            *dlen = sl;
            found = sa;
        }
    }
    if (found == (size_t)-1)
        return HALL_ERR;
    *at = found;
    return HALL_OK;
}

/* the object num gen written again (w, its text) keeps what the input's
 * holds (see raw_kept): HALL_ERR with err naming what would be lost */
int
stamp_raw_kept(const struct stamp_doc *d, long long num, int gen, const unsigned char *w, size_t wn,
               const char *const *skip, const char *added_key, long long added, const char *what,
               char *err, size_t errlen)
{
    unsigned char *data = NULL;
    size_t dlen = 0, at = 0;
    char lost[256];
    int rc;

    if (raw_find(d->pd, d->pdf, d->len, num, gen, &data, &dlen, &at) != HALL_OK) {
        snprintf(err, errlen,
                 STAMP_MSG_UNREAD "：找不到%s（对象%lld %d）的原文" STAMP_MSG_UNREAD_END, what, num,
                 gen);
        return HALL_ERR;
    }
    rc = data != NULL
             ? raw_kept(data, dlen, at, w, wn, skip, added_key, added, lost, sizeof(lost))
             : raw_kept(d->pdf, d->len, at, w, wn, skip, added_key, added, lost, sizeof(lost));
    free(data);
    if (rc != HALL_OK)
        snprintf(err, errlen,
                 STAMP_MSG_UNREAD "：%s（对象%lld %d）的%s无法读取" STAMP_MSG_UNREAD_END, what, num,
                 gen, lost);
    return rc;
}

/* the value of key in the dictionary num gen (the input's text) against
 * its value in w (the object written again): as raw_kept */
int
stamp_raw_inner_kept(const struct stamp_doc *d, long long num, int gen, const char *key,
                     const unsigned char *w, size_t wn, const char *const *skip,
                     const char *added_key, long long added, const char *what, char *err,
                     size_t errlen)
{
    unsigned char *data = NULL;
    size_t dlen = 0, ra = 0, va, vb, wa, wb;
    const unsigned char *o;
    char lost[256];
    int rc = HALL_ERR;

    if (raw_find(d->pd, d->pdf, d->len, num, gen, &data, &dlen, &ra) == HALL_OK) {
        o = data != NULL ? data : d->pdf;
        if (raw_dict_get(o, data != NULL ? dlen : d->len, ra, key, &va, &vb) &&
            raw_dict_get(w, wn, 0, key, &wa, &wb))
            rc = raw_kept(o, vb, va, w + wa, wb - wa, skip, added_key, added, lost, sizeof(lost));
    }
    free(data);
    if (rc != HALL_OK)
        snprintf(err, errlen, STAMP_MSG_UNREAD "：%s无法读取" STAMP_MSG_UNREAD_END, what);
    return rc;
}
