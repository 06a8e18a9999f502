/*
 * bench/argon2.c: CPU per password hash of the two Argon2id engines the hall
 * has (docs/internals/crypto.md), alternated in one process: argon2.c's AVX2
 * compression and libargon2, both at today's parameters (19 MiB, 2 passes,
 * 1 lane) with memory kept between hashes, as a worker does.  Built and run
 * by bench/argon2.
 */
#include <argon2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hall.h"

#define M_KIB  19456
#define ROUNDS 7
#define HASHES 15

static void *arena;

static int
keep(uint8_t **m, size_t n)
{
    (void)n;
    *m = arena;
    return ARGON2_OK;
}

static void
keep_free(uint8_t *m, size_t n)
{
    (void)m;
    (void)n;
}

static double
cpu_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int
main(void)
{
    static const char pw[] = "Passw0rd2024";
    static const uint8_t salt[16] = "0123456789abcdef";
    size_t n = hall_argon2id_bytes(M_KIB, 1);
    double mine[ROUNDS], ref[ROUNDS];
    uint8_t a[32], b[32];
    int r, i;

    if (!hall_argon2id_cpu_ok()) {
        fprintf(stderr, "bench/argon2: this CPU has no AVX2; the hall uses libargon2 here\n");
        return 1;
    }
    arena = aligned_alloc(64, n);
    if (arena == NULL)
        return 1;
    memset(arena, 0, n);
    for (r = 0; r < ROUNDS; r++) {
        double t0 = cpu_ms();

        for (i = 0; i < HASHES; i++)
            if (hall_argon2id(pw, strlen(pw), salt, sizeof(salt), 2, M_KIB, 1, a, sizeof(a), arena,
                              n) != HALL_OK)
                return 1;
        mine[r] = (cpu_ms() - t0) / HASHES;
        t0 = cpu_ms();
        for (i = 0; i < HASHES; i++) {
            argon2_context c;

            memset(&c, 0, sizeof(c));
            c.out = b;
            c.outlen = sizeof(b);
            c.pwd = (uint8_t *)(uintptr_t)pw;
            c.pwdlen = (uint32_t)strlen(pw);
            c.salt = (uint8_t *)(uintptr_t)salt;
            c.saltlen = sizeof(salt);
            c.t_cost = 2;
            c.m_cost = M_KIB;
            c.lanes = c.threads = 1;
            c.version = ARGON2_VERSION_13;
            c.allocate_cbk = keep;
            c.free_cbk = keep_free;
            if (argon2_ctx(&c, Argon2_id) != ARGON2_OK)
                return 1;
        }
        ref[r] = (cpu_ms() - t0) / HASHES;
        if (memcmp(a, b, sizeof(a)) != 0) {
            fprintf(stderr, "bench/argon2: the two engines disagree\n");
            return 1;
        }
    }
    qsort(mine, ROUNDS, sizeof(double), cmp);
    qsort(ref, ROUNDS, sizeof(double), cmp);
    printf(
        "Argon2id m=%d KiB t=2 p=1, CPU ms per hash, median of %d rounds of %d (lowest-highest)\n",
        M_KIB, ROUNDS, HASHES);
    printf("  argon2.c (AVX2)  %6.2f  (%.2f-%.2f)\n", mine[ROUNDS / 2], mine[0], mine[ROUNDS - 1]);
    printf("  libargon2        %6.2f  (%.2f-%.2f)\n", ref[ROUNDS / 2], ref[0], ref[ROUNDS - 1]);
    printf("  ratio            %6.2f\n", mine[ROUNDS / 2] / ref[ROUNDS / 2]);
    return 0;
}
