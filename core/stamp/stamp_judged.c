/*
 * What the comparison of a file's later revisions keeps from one
 * signature to the next (docs/internals/stamp.md §3, "What may follow a
 * signature"; stamp_diff.c judges).
 *
 * The signatures are judged oldest first against one document as signed,
 * rolled forward from each signature's revision to the next's by the
 * objects the sections between write (the roll, below).  What p holds of
 * an object changes only when the roll gives it again, so what was read of
 * it holds until then:
 *   - an object number p had not (null: each later stamp's new objects,
 *     asked for every earlier signature) is not asked of libqpdf again;
 *   - a judgement of one object the later revisions write (a page, an
 *     indirect /Annots or /Fields) is replayed, its told texts in order,
 *     for a later signature whose p holds the same object and every other
 *     object the judgement read, in the same role (page number);
 *   - the whole file's /Fields and /Annots items, the same for every
 *     signature, are read from libqpdf once.
 * All of it lives in the struct stamp_diff of one hall_stamp_verify_*
 * call and dies with it; an open of p afresh forgets what p held.
 * Owns: the rolled signed revision and what is known of it.  Follows:
 * ISO 32000-1 §7.5.6 (incremental updates: a later revision writes
 * objects again, never edits bytes).
 */
#include <stdlib.h>
#include <string.h>

#include "stamp_int.h"

#define JREC_MAX   20000     /* judgements kept for a file */
#define FARR_MAX   256       /* whole-file arrays kept */
#define FARR_ITEMS 20000     /* items of one, at most (array_grown reads no more) */
#define FARR_BYTES (4 << 20) /* their texts, all arrays */

/* ---- object number sets --------------------------------------------------------- */

void
stamp_ids_add(struct idset *s, int v)
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

void
stamp_ids_sort(struct idset *s)
{
    if (s->n > 1)
        qsort(s->v, (size_t)s->n, sizeof(int), int_cmp);
}

int
stamp_ids_has(const struct idset *s, int v)
{
    return v > 0 && s->n > 0 && bsearch(&v, s->v, (size_t)s->n, sizeof(int), int_cmp) != NULL;
}

void
stamp_ids_free(struct idset *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* ---- what p holds: each number's last roll, whether it was null ------------------ */

static void
jrec_free(struct stamp_jrec *r)
{
    free(r->reads);
    free(r->texts);
}

/* everything known of p forgotten (p opened afresh or dropped) */
static void
known_reset(struct stamp_diff *d)
{
    free(d->pnums);
    d->pnums = NULL;
    d->npnums = d->pcap = 0;
    for (int i = 0; i < d->njrecs; i++)
        jrec_free(&d->jrecs[i]);
    d->njrecs = 0;
    d->p_epoch++;
}

/* num's slot: -1 when none (and add 0) */
static int
pnum_at(const struct stamp_diff *d, int num)
{
    unsigned mask = (unsigned)d->pcap - 1, i;

    if (d->pcap == 0)
        return -1;
    for (i = ((unsigned)num * 2654435761u) & mask; d->pnums[i].num != 0; i = (i + 1) & mask)
        if (d->pnums[i].num == num)
            return (int)i;
    return -1;
}

static struct stamp_pnum *
pnum_get(struct stamp_diff *d, int num)
{
    int at = pnum_at(d, num);
    unsigned mask, i;

    if (at >= 0)
        return &d->pnums[at];
    if ((d->npnums + 1) * 2 > d->pcap) { /* grown, the kept ones placed again */
        struct stamp_pnum *old = d->pnums;
        int ocap = d->pcap;

        d->pcap = d->pcap > 0 ? d->pcap * 2 : 1024;
        d->pnums = calloc((size_t)d->pcap, sizeof(*d->pnums));
        if (d->pnums == NULL)
            abort();
        mask = (unsigned)d->pcap - 1;
        for (int k = 0; k < ocap; k++)
            if (old[k].num != 0) {
                for (i = ((unsigned)old[k].num * 2654435761u) & mask; d->pnums[i].num != 0;
                     i = (i + 1) & mask)
                    ;
                d->pnums[i] = old[k];
            }
        free(old);
    }
    mask = (unsigned)d->pcap - 1;
    for (i = ((unsigned)num * 2654435761u) & mask; d->pnums[i].num != 0; i = (i + 1) & mask)
        ;
    d->pnums[i] = (struct stamp_pnum){num, -1, -1, -1};
    d->npnums++;
    return &d->pnums[i];
}

/* the roll gives p object num (again): what was read of it holds no more */
static void
installed(struct stamp_diff *d, int num)
{
    if (num > 0)
        pnum_get(d, num)->inst = d->p_step;
}

/* num's object in p as it was at step (not given by a roll since) */
static int
unchanged_since(const struct stamp_diff *d, int num, int step)
{
    int at = pnum_at(d, num);

    return at < 0 || d->pnums[at].inst <= step;
}

int
stamp_pnull_known(const struct stamp_diff *d, int num)
{
    int at = num > 0 ? pnum_at(d, num) : -1;

    return at >= 0 && d->pnums[at].null_at >= 0 && d->pnums[at].inst < d->pnums[at].null_at;
}

void
stamp_pnull_put(struct stamp_diff *d, int num)
{
    /* a step after every install so far: the roll runs before the asking */
    if (num > 0)
        pnum_get(d, num)->null_at = d->p_step + 1;
}

/* ---- judgements, replayed ------------------------------------------------------- */

const struct stamp_jrec *
stamp_jrec_find(const struct stamp_diff *d, int num, int gen, const int role[4])
{
    int at = pnum_at(d, num);

    for (int k = at >= 0 ? d->pnums[at].jhead : -1; k >= 0; k = d->jrecs[k].next) {
        const struct stamp_jrec *r = &d->jrecs[k];
        int ok = r->gen == gen && memcmp(r->role, role, sizeof(r->role)) == 0 &&
                 unchanged_since(d, num, r->step);

        for (int i = 0; ok && i < r->nreads; i++)
            ok = unchanged_since(d, r->reads[i], r->step);
        if (ok)
            return r;
    }
    return NULL;
}

void
stamp_jrec_put(struct stamp_diff *d, int num, int gen, const int role[4], const int *reads,
               int nreads, const char *const *texts, int ntexts, int changed)
{
    struct stamp_pnum *pn;
    struct stamp_jrec *r;

    if (num <= 0 || d->njrecs >= JREC_MAX)
        return;
    if (d->njrecs == d->capjrecs) {
        d->capjrecs = d->capjrecs ? d->capjrecs * 2 : 64;
        d->jrecs = realloc(d->jrecs, sizeof(*d->jrecs) * (size_t)d->capjrecs);
        if (d->jrecs == NULL)
            abort();
    }
    pn = pnum_get(d, num);
    r = &d->jrecs[d->njrecs];
    memset(r, 0, sizeof(*r));
    r->num = num;
    r->gen = gen;
    memcpy(r->role, role, sizeof(r->role));
    r->step = d->p_step;
    r->changed = changed;
    r->nreads = nreads;
    r->ntexts = ntexts;
    r->reads = malloc(sizeof(int) * (size_t)(nreads > 0 ? nreads : 1));
    r->texts = malloc(sizeof(char *) * (size_t)(ntexts > 0 ? ntexts : 1));
    if (r->reads == NULL || r->texts == NULL)
        abort();
    memcpy(r->reads, reads, sizeof(int) * (size_t)nreads);
    memcpy(r->texts, texts, sizeof(char *) * (size_t)ntexts);
    r->next = pn->jhead;
    pn->jhead = d->njrecs++;
}

/* ---- the whole file's arrays ---------------------------------------------------- */

const struct stamp_farr *
stamp_farr(struct stamp_diff *d, qpdf_oh b, int num, const char *path)
{
    qpdf_data f = d->f;
    struct stamp_farr *a;
    int n;

    for (int i = 0; i < d->nfarrs; i++)
        if (d->farrs[i].num == num && strcmp(d->farrs[i].path, path) == 0)
            return d->farrs[i].n >= 0 ? &d->farrs[i] : NULL;
    if (num <= 0 || d->nfarrs >= FARR_MAX)
        return NULL;
    if (d->nfarrs == d->capfarrs) {
        d->capfarrs = d->capfarrs ? d->capfarrs * 2 : 16;
        d->farrs = realloc(d->farrs, sizeof(*d->farrs) * (size_t)d->capfarrs);
        if (d->farrs == NULL)
            abort();
    }
    a = &d->farrs[d->nfarrs++];
    memset(a, 0, sizeof(*a));
    a->num = num;
    a->path = path;
    a->n = -1; /* not kept: asked of libqpdf each time */
    if (qpdf_has_error(f) || !qpdf_oh_is_array(f, b))
        return NULL;
    n = qpdf_oh_get_array_n_items(f, b);
    if (n < 0 || n > FARR_ITEMS)
        return NULL;
    a->ids = calloc((size_t)(n > 0 ? n : 1), sizeof(int));
    a->texts = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
    if (a->ids == NULL || a->texts == NULL)
        abort();
    for (int j = 0; j < n; j++) {
        qpdf_oh it = qpdf_oh_get_array_item(f, b, j);
        const char *t = qpdf_oh_unparse(f, it);
        size_t tl = strlen(t);

        a->ids[j] = qpdf_oh_is_indirect(f, it) ? qpdf_oh_get_object_id(f, it) : 0;
        d->farr_bytes += (long long)tl + 1;
        a->texts[j] = d->farr_bytes <= FARR_BYTES ? malloc(tl + 1) : NULL;
        if (a->texts[j] == NULL) {
            a->n = j; /* the texts so far freed with it */
            goto drop;
        }
        memcpy(a->texts[j], t, tl + 1);
    }
    a->n = n;
    if (!qpdf_has_error(f))
        return a;
drop:
    for (int j = 0; j < a->n; j++)
        free(a->texts[j]);
    free(a->texts);
    free(a->ids);
    a->texts = NULL;
    a->ids = NULL;
    a->n = -1;
    return NULL;
}

void
stamp_judged_free(struct stamp_diff *d)
{
    stamp_roll_drop(d);
    free(d->jrecs);
    d->jrecs = NULL;
    d->capjrecs = 0;
    for (int i = 0; i < d->nfarrs; i++) {
        for (int j = 0; j < d->farrs[i].n; j++)
            free(d->farrs[i].texts[j]);
        free(d->farrs[i].texts);
        free(d->farrs[i].ids);
    }
    free(d->farrs);
    d->farrs = NULL;
    d->nfarrs = d->capfarrs = 0;
    d->farr_bytes = 0;
}

/* ---- the signed revision, rolled forward ---------------------------------------- */

#define ROLL_OBJ_MAX (1 << 20) /* an object's text parsed from the bytes, at most */

void
stamp_roll_drop(struct stamp_diff *d)
{
    if (d->p != NULL) {
        stamp_qerr(d->p);
        qpdf_oh_release_all(d->p);
        qpdf_cleanup(&d->p);
    }
    d->p = NULL;
    stamp_ids_free(&d->p_missing);
    known_reset(d);
}

/* the revision ending at end opened as a PDF of its own */
static int
roll_open(struct stamp_diff *d, long long end)
{
    char err[256];

    stamp_roll_drop(d);
    d->opens++;
    d->p = qpdf_init();
    if (stamp_qpdf_open(d->p, d->map, (size_t)end, NULL, err, sizeof(err)) != HALL_OK) {
        stamp_roll_drop(d);
        return HALL_ERR;
    }
    d->p_end = end;
    d->p_size = stamp_dict_int(d->p, qpdf_get_trailer(d->p), "/Size", 0);
    stamp_qerr(d->p);
    return HALL_OK;
}

/*
 * Object num as the section at off writes it, into p: a dictionary, array
 * or other direct object parsed from its text (as libqpdf reads it in a
 * file: the same parser) replaces p's; a stream new to p is listed as
 * missing.  HALL_ERR when p cannot hold it exactly (a stream written over
 * an older object, a text libqpdf will not parse).
 */
static int
roll_install(struct stamp_diff *d, int num, long long off, long long end)
{
    const unsigned char *m = d->map;
    long long at = off, n = 0, g = -1, b, e;
    struct stamp_plain_io io = {.contents_a = -1, .contents_b = -1};
    qpdf_oh o;

    while (at < end && m[at] >= '0' && m[at] <= '9' && n < (1LL << 31))
        n = n * 10 + (m[at++] - '0');
    while (at < end && stamp_is_ws(m[at]))
        at++;
    if (at < end && m[at] >= '0' && m[at] <= '9')
        for (g = 0; at < end && m[at] >= '0' && m[at] <= '9' && g < 65536; at++)
            g = g * 10 + (m[at] - '0');
    while (at < end && stamp_is_ws(m[at]))
        at++;
    if (n != num || g != 0 || at + 3 > end || memcmp(m + at, "obj", 3) != 0)
        return HALL_ERR;
    installed(d, num);
    b = at + 3;
    /* the object's end: its first endobj, or stream keyword (stamp_xref.c) */
    e = stamp_obj_word(m, b, end, ROLL_OBJ_MAX);
    if (e < 0)
        return HALL_ERR;
    if (memcmp(m + e, "stream", 6) == 0) {
        long long k = e - 1;

        while (k > b && stamp_is_ws(m[k]))
            k--;
        /* the keyword after a dictionary, not a word inside one */
        if (k <= b + 1 || m[k] != '>' || m[k - 1] != '>' ||
            !qpdf_oh_is_null(d->p, qpdf_get_object_by_id(d->p, num, 0)))
            return HALL_ERR;
        stamp_ids_add(&d->p_missing, num);
        stamp_ids_sort(&d->p_missing);
        return HALL_OK;
    }
    if (stamp_ids_has(&d->p_missing, num) || memchr(m + b, '\0', (size_t)(e - b)) != NULL)
        return HALL_ERR;
    /* a dictionary p holds: only what differs (stamp_refs.c) */
    if (d->refs_ok && stamp_roll_dict(d, num, off) == HALL_OK)
        return HALL_OK;
    /* a later stamp's /Contents: its bytes known from check 1 */
    io.known_map = m;
    io.known = d->hexk;
    io.nknown = d->nhexk;
    o = stamp_parse_io(d->p, m, b, e, ROLL_OBJ_MAX, &io);
    if (qpdf_oh_is_null(d->p, o))
        return HALL_ERR;
    qpdf_replace_object(d->p, num, 0, o);
    return stamp_qerr(d->p) ? HALL_ERR : HALL_OK;
}

/* p moved from its revision to the later one ending at end: every object
 * the sections between write, the trailer's /Root and /Info unchanged */
static int
roll_forward(struct stamp_diff *d, long long end)
{
    struct stamp_xlist l;
    qpdf_oh t, pt = qpdf_get_trailer(d->p);
    int rc = HALL_ERR, i;

    memset(&l, 0, sizeof(l));
    d->p_step++; /* what p knew of an object it is given again holds no more */
    if (stamp_written_between(d, d->p_end, end, &l) != HALL_OK || l.over)
        goto out;
    t = stamp_trailer_at(d, d->p, end);
    if (!qpdf_oh_is_dictionary(d->p, t))
        goto out;
    for (i = 0; i < 2; i++) { /* libqpdf's strings last until its next one */
        const char *key = i == 0 ? "/Root" : "/Info";
        char *was = strdup(qpdf_oh_unparse(d->p, qpdf_oh_get_key(d->p, pt, key)));
        int eq;

        if (was == NULL)
            abort();
        eq = strcmp(was, qpdf_oh_unparse(d->p, qpdf_oh_get_key(d->p, t, key))) == 0;
        free(was);
        if (!eq)
            goto out;
    }
    d->p_size = stamp_dict_int(d->p, t, "/Size", -1);
    if (d->p_size <= 0)
        goto out;
    qsort(l.e, (size_t)l.n, sizeof(*l.e), stamp_xent_cmp);
    for (i = 0; i < l.n; i++) {
        const struct stamp_xent *e = &l.e[i];

        if (i > 0 && e->num == l.e[i - 1].num)
            continue; /* the newest section's entry is first */
        if (!e->used || e->off < 0 || e->gen != 0 ||
            roll_install(d, e->num, e->off, end) != HALL_OK)
            goto out;
    }
    while (qpdf_more_warnings(d->p))
        qpdf_next_warning(d->p);
    if (qpdf_update_all_pages_cache(d->p) & QPDF_ERRORS || qpdf_get_num_pages(d->p) <= 0)
        goto out;
    /* walking the page tree, qpdf mends what it finds wrong (a kid given
     * its /Type, one met twice copied) and warns: objects no roll gave
     * changed, so nothing read of p is kept */
    if (qpdf_more_warnings(d->p))
        known_reset(d);
    d->p_end = end;
    rc = HALL_OK;
out:
    stamp_qerr(d->p);
    free(l.e);
    return rc;
}

/* d->p holding the revision ending at end: rolled forward from an earlier
 * one when it can be exactly, else opened (fresh: 1) */
int
stamp_roll_to(struct stamp_diff *d, long long end, int fresh)
{
    if (!fresh && d->p != NULL && d->p_end == end)
        return HALL_OK;
    if (!fresh && d->p != NULL && d->p_end < end && roll_forward(d, end) == HALL_OK)
        return HALL_OK;
    return roll_open(d, end);
}
