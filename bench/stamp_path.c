/*
 * bench/stamp_path.c: the driver and the tracer of bench/stamp-path.  The
 * driver does what POST /sign/verify asks of the stamp library
 * (modules/sign/sign.c): hall_stamp_verify_fd with the roots given, then
 * hall_stamp_verdict for each signature (no records: the hall's rows are
 * the module's).  The tracer is GCC's -finstrument-functions hooks: the
 * library's files are built with it, this file without.  Each function
 * entered is mapped to its file (a table of function starts, "ADDR FILE"
 * sorted, that the script makes with nm -l); the files on the call stack
 * are kept as runs (a file entered from another file begins a run).
 * Printed: for each file, the calls into it from another file ("entries")
 * and the most runs it had on one stack ("passes": A -> B -> A is A
 * twice), with the first stack that reached it.
 *
 *   stamp-path TABLE PDF [ROOT.crt...]
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hall.h"

#include "stamp/stamp.h"

#define NO_TRACE   __attribute__((no_instrument_function))
#define FILES_MAX  128
#define FUNCS_MAX  16384
#define DEPTH_MAX  4096
#define RUNS_SHOWN 64

static struct {
    uintptr_t at;
    int file;
} funcs[FUNCS_MAX];
static int nfuncs;
static char *files[FILES_MAX];
static int nfiles, on;
static int stack[DEPTH_MAX], depth; /* the file of each frame (-1 unknown) */
static int runs[FILES_MAX];         /* the file's runs on the stack now */
static int best[FILES_MAX];         /* the most runs seen */
static long entries[FILES_MAX];     /* calls into the file from another */
static int best_path[FILES_MAX][RUNS_SHOWN], best_len[FILES_MAX];

NO_TRACE static int
file_of(uintptr_t a)
{
    int lo = 0, hi = nfuncs - 1, k = -1;

    while (lo <= hi) {
        int mid = (lo + hi) / 2;

        if (funcs[mid].at <= a) {
            k = mid;
            lo = mid + 1;
        } else
            hi = mid - 1;
    }
    return k >= 0 && funcs[k].at == a ? funcs[k].file : -1;
}

/* the stack's files as runs (consecutive frames of one file: one) */
NO_TRACE static void
keep_path(int f)
{
    int n = 0, last = -2;

    for (int i = 0; i < depth && n < RUNS_SHOWN; i++)
        if (stack[i] >= 0 && stack[i] != last)
            best_path[f][n++] = last = stack[i];
    best_len[f] = n;
}

NO_TRACE void __cyg_profile_func_enter(void *fn, void *site);
NO_TRACE void __cyg_profile_func_exit(void *fn, void *site);

void
__cyg_profile_func_enter(void *fn, void *site)
{
    int f, top = -1;

    (void)site;
    if (!on || depth >= DEPTH_MAX)
        return;
    f = file_of((uintptr_t)fn);
    for (int i = depth - 1; i >= 0 && top < 0; i--)
        top = stack[i];
    stack[depth++] = f;
    if (f < 0 || f == top)
        return;
    entries[f]++;
    if (++runs[f] > best[f]) {
        best[f] = runs[f];
        keep_path(f);
    }
}

void
__cyg_profile_func_exit(void *fn, void *site)
{
    int f, top = -1;

    (void)fn;
    (void)site;
    if (!on || depth == 0)
        return;
    f = stack[--depth];
    for (int i = depth - 1; i >= 0 && top < 0; i--)
        top = stack[i];
    if (f >= 0 && f != top)
        runs[f]--;
}

NO_TRACE static int
by_at(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

    return (x > y) - (x < y);
}

NO_TRACE static void
load_table(const char *path)
{
    FILE *fp = fopen(path, "r");
    char name[512];
    unsigned long at;

    if (fp == NULL) {
        perror(path);
        exit(2);
    }
    while (nfuncs < FUNCS_MAX && fscanf(fp, "%lx %511s", &at, name) == 2) {
        int f;

        for (f = 0; f < nfiles && strcmp(files[f], name) != 0; f++)
            ;
        if (f == nfiles) {
            if (nfiles == FILES_MAX)
                continue;
            files[nfiles++] = strdup(name);
        }
        funcs[nfuncs].at = at;
        funcs[nfuncs++].file = f;
    }
    fclose(fp);
    qsort(funcs, (size_t)nfuncs, sizeof(funcs[0]), by_at);
}

NO_TRACE int
main(int argc, char **argv)
{
    struct hall_pool *pool;
    struct hall_stamp_trust trust;
    struct hall_stamp_report rep;
    STACK_OF(X509) *roots = sk_X509_new_null();
    char err[512];
    int fd, worst = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: stamp-path TABLE PDF [ROOT.crt...]\n");
        return 2;
    }
    load_table(argv[1]);
    for (int i = 3; i < argc; i++) {
        FILE *fp = fopen(argv[i], "r");
        X509 *x = fp != NULL ? PEM_read_X509(fp, NULL, NULL, NULL) : NULL;

        if (x != NULL)
            sk_X509_push(roots, x);
        if (fp != NULL)
            fclose(fp);
    }
    memset(&trust, 0, sizeof(trust));
    trust.roots = roots;
    pool = hall_pool_create(65536);
    fd = open(argv[2], O_RDONLY);
    on = 1;
    if (fd < 0)
        return 1;
    /* a refused file passes files too: its way to the refusal counted */
    if (hall_stamp_verify_fd(pool, fd, &trust, &rep, err, sizeof(err)) != HALL_OK) {
        printf("refused: %s\n", err);
        rep.nsigs = 0;
    }
    for (int i = 0; i < rep.nsigs; i++) {
        struct hall_stamp_verdict v;

        hall_stamp_verdict(pool, &rep.sigs[i], NULL, &v);
        printf("signature %d: %s\n", i + 1, hall_stamp_state_text(v.state));
    }
    on = 0;
    printf("%-24s %8s %7s  the first stack that reached it (files, outermost first)\n", "file",
           "entries", "passes");
    for (int f = 0; f < nfiles; f++) {
        if (entries[f] == 0)
            continue;
        printf("%-24s %8ld %7d ", files[f], entries[f], best[f]);
        for (int k = 0; k < best_len[f]; k++)
            printf(" %s%s", k ? "> " : "", files[best_path[f][k]]);
        printf("\n");
        if (best[f] > worst)
            worst = best[f];
    }
    printf("most passes through one file: %d\n", worst);
    close(fd);
    hall_pool_destroy(pool);
    sk_X509_pop_free(roots, X509_free);
    return 0;
}
