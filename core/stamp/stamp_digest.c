/*
 * The digests of every signature's two ranges, in one read of the file
 * (docs/internals/stamp.md §3, check 2), for stamp_verify.c.  Signature i
 * covers [0, a) and [b, e): the prefixes [0, a) of all signatures (of one digest algorithm)
 * are the same bytes, so one running digest (a "main") reads the file from
 * 0, and at each a its state is cloned (EVP_MD_CTX_copy_ex) into a "tail"
 * that skips the gap and reads [b, e), cloned again and finished at each
 * e of the signatures sharing that gap.  A document's signatures have
 * disjoint tails (each one's /Contents lies in its own revision), so the
 * cost is one pass of the file whatever their number; a file whose ranges
 * would cost more than STAMP_DIGEST_BUDGET passes has its later
 * signatures refused (RDIG_OVER), never hashed one by one.
 *
 * Owns: the hashing of the signed bytes, every signature's in one pass
 * (stamp_digests_run, stamp_rdig_get).  Follows: ISO 32000-1 §12.8.1 (the
 * /ByteRange: what a signature covers is the file but its /Contents hex
 * string); RFC 5652 §5.4 (the message digest the CMS compares); GB/T 32905
 * (SM3, the SM2 stamp's digest).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "stamp_int.h"

#define STAMP_DIGEST_BUDGET 4 /* passes of the file, at most (three algorithms, their tails) */

/* a running digest: a main reads [0, stop), a tail [b, stop) from a clone
 * of its main at a */
struct dg_ctx {
    const EVP_MD *md;
    long long a, b, stop;
    int main; /* index of its main; -1 for a main */
    EVP_MD_CTX *ctx;
};

static int
ll_cmp(const void *x, const void *y)
{
    long long a = *(const long long *)x, b = *(const long long *)y;

    return (a > b) - (a < b);
}

/* the contexts the jobs (ordered by e) need, within the budget: a job
 * beyond it is RDIG_OVER; the bytes the pass will hash */
static long long
digest_plan(struct stamp_rdig *jobs, int n, const int *order, struct dg_ctx *cx, int *ncx,
            long long budget)
{
    long long cost = 0;

    *ncx = 0;
    for (int k = 0; k < n; k++) {
        struct stamp_rdig *j = &jobs[order[k]];
        int m = -1, t = -1;
        long long delta = 0;

        if (j->md == NULL)
            continue;
        for (int c = 0; c < *ncx; c++) {
            if (cx[c].main < 0 && cx[c].md == j->md)
                m = c;
            if (cx[c].main >= 0 && cx[c].md == j->md && cx[c].a == j->a && cx[c].b == j->b)
                t = c;
        }
        delta += m < 0 ? j->a : (j->a > cx[m].stop ? j->a - cx[m].stop : 0);
        delta += t < 0 ? j->e - j->b : (j->e > cx[t].stop ? j->e - cx[t].stop : 0);
        if (cost + delta > budget) {
            j->state = RDIG_OVER;
            continue;
        }
        cost += delta;
        if (m < 0) {
            m = (*ncx)++;
            cx[m] = (struct dg_ctx){j->md, 0, 0, j->a, -1, NULL};
        } else if (j->a > cx[m].stop) {
            cx[m].stop = j->a;
        }
        if (t < 0) {
            t = (*ncx)++;
            cx[t] = (struct dg_ctx){j->md, j->a, j->b, j->e, m, NULL};
        } else if (j->e > cx[t].stop) {
            cx[t].stop = j->e;
        }
        j->tail = t;
    }
    return cost;
}

/*
 * Every job's digest (jobs[i].md NULL: none asked), reading fd once in
 * pieces of 64 KiB at most; *hashed: the bytes hashed, all contexts
 * together (the count docs/performance.md and the tests read).
 */
void
stamp_digests_run(int fd, long long size, struct stamp_rdig *jobs, int n, long long *hashed)
{
    struct dg_ctx cx[2 * HALL_STAMP_SIGS_MAX];
    long long ev[5 * HALL_STAMP_SIGS_MAX], last = 0, pos = 0;
    int order[HALL_STAMP_SIGS_MAX], ncx = 0, nev = 0, e = 0, ok = 1;
    unsigned char *buf;
    EVP_MD_CTX *fin = EVP_MD_CTX_new();

    *hashed = 0;
    if (fin == NULL)
        abort();
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++) /* by e, then index: the oldest signatures first */
        for (int k = i; k > 0 && jobs[order[k]].e < jobs[order[k - 1]].e; k--) {
            int t = order[k];

            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    digest_plan(jobs, n, order, cx, &ncx, STAMP_DIGEST_BUDGET * size + (1LL << 20));
    for (int c = 0; c < ncx; c++) {
        cx[c].ctx = EVP_MD_CTX_new();
        if (cx[c].ctx == NULL)
            abort();
        if (cx[c].main < 0 && EVP_DigestInit_ex(cx[c].ctx, cx[c].md, NULL) != 1)
            ok = 0;
        ev[nev++] = cx[c].stop;
        if (cx[c].main >= 0) {
            ev[nev++] = cx[c].a;
            ev[nev++] = cx[c].b;
        }
        last = cx[c].stop > last ? cx[c].stop : last;
    }
    for (int i = 0; i < n; i++)
        if (jobs[i].md != NULL && jobs[i].state == RDIG_NONE)
            ev[nev++] = jobs[i].e;
    qsort(ev, (size_t)nev, sizeof(ev[0]), ll_cmp);
    buf = malloc(65536);
    if (buf == NULL)
        abort();
    while (ok && pos < last) {
        long long next = pos + 65536;

        while (e < nev && ev[e] <= pos)
            e++;
        if (e < nev && ev[e] < next)
            next = ev[e];
        if (hall_pread_all(fd, buf, (size_t)(next - pos), pos) != HALL_OK) {
            ok = 0;
            break;
        }
        for (int c = 0; c < ncx && ok; c++) {
            long long from = cx[c].main < 0 ? 0 : cx[c].b;

            if (from <= pos && next <= cx[c].stop) {
                ok = EVP_DigestUpdate(cx[c].ctx, buf, (size_t)(next - pos)) == 1;
                *hashed += next - pos;
            }
        }
        pos = next;
        for (int c = 0; c < ncx && ok; c++) /* a tail starts from its main's state at a */
            if (cx[c].main >= 0 && cx[c].a == pos)
                ok = EVP_MD_CTX_copy_ex(cx[c].ctx, cx[cx[c].main].ctx) == 1;
        for (int i = 0; i < n && ok; i++)
            if (jobs[i].md != NULL && jobs[i].state == RDIG_NONE && jobs[i].e == pos) {
                ok = EVP_MD_CTX_copy_ex(fin, cx[jobs[i].tail].ctx) == 1 &&
                     EVP_DigestFinal_ex(fin, jobs[i].h, &jobs[i].hl) == 1;
                if (ok)
                    jobs[i].state = RDIG_DONE;
            }
    }
    for (int i = 0; i < n; i++)
        if (jobs[i].md != NULL && jobs[i].state == RDIG_NONE)
            jobs[i].state = RDIG_READ;
    for (int c = 0; c < ncx; c++)
        EVP_MD_CTX_free(cx[c].ctx);
    EVP_MD_CTX_free(fin);
    free(buf);
}

int
stamp_rdig_get(const struct stamp_rdig *r, const EVP_MD *md, unsigned char *h, unsigned int *hl,
               const char **why)
{
    if (r == NULL || r->md == NULL || md == NULL || r->md != md || r->state == RDIG_READ ||
        r->state == RDIG_NONE) {
        *why = "无法读取签名覆盖的文档内容";
        return HALL_ERR;
    }
    if (r->state == RDIG_OVER) {
        *why = "签名覆盖范围相互重叠，超出可核验的计算量，未能核验摘要";
        return HALL_ERR;
    }
    memcpy(h, r->h, r->hl);
    *hl = r->hl;
    return HALL_OK;
}
