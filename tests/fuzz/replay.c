/*
 * Runs a fuzz target over files (the seed corpus and any crash found by
 * script/fuzz, kept as regression inputs) without libFuzzer, printing TAP
 * for make check: `replay_NAME DIR...`.  Each input is timed: the slowest
 * is named in a comment, and with FUZZ_SLOW_MS set an input slower than
 * that many milliseconds fails (script/fuzz's long run: none over 1 s in
 * the release build).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fuzz.h"

static int count;
static double slowest_ms, slow_limit_ms;
static char slowest[4096];

static void
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        printf("not ok %d - %s: unreadable\n", ++count, path);
        if (f != NULL)
            fclose(f);
        return;
    }
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        printf("not ok %d - %s: unreadable\n", ++count, path);
        free(buf);
        fclose(f);
        return;
    }
    fclose(f);
    {
        struct timespec t0, t1;
        double ms;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        LLVMFuzzerTestOneInput(buf, (size_t)n);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        if (ms > slowest_ms) {
            slowest_ms = ms;
            snprintf(slowest, sizeof(slowest), "%s", path);
        }
        free(buf);
        if (slow_limit_ms > 0 && ms > slow_limit_ms)
            printf("not ok %d - %s: %.0f ms, over %.0f ms\n", ++count, path, ms, slow_limit_ms);
        else
            printf("ok %d - %s\n", ++count, path);
    }
}

int
main(int argc, char **argv)
{
    char def[4096];
    char *defv[2];
    const char *lim = getenv("FUZZ_SLOW_MS");
    int i;

    slow_limit_ms = lim != NULL ? atof(lim) : 0;
    /* no argument (make check): this target's seed corpus */
    if (argc < 2) {
        const char *root = getenv("HALL_ROOT");

        snprintf(def, sizeof(def), "%s/tests/fuzz/corpus/%s", root != NULL ? root : ".", FUZZ_NAME);
        defv[0] = argv[0];
        defv[1] = def;
        argv = defv;
        argc = 2;
    }
    for (i = 1; i < argc; i++) {
        struct stat st;
        DIR *d;
        struct dirent *de;

        if (stat(argv[i], &st) != 0)
            continue;
        if (!S_ISDIR(st.st_mode)) {
            run_file(argv[i]);
            continue;
        }
        d = opendir(argv[i]);
        while (d != NULL && (de = readdir(d)) != NULL) {
            char p[4096];

            if (de->d_name[0] == '.')
                continue;
            snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
            run_file(p);
        }
        if (d != NULL)
            closedir(d);
    }
    if (count > 0)
        printf("# slowest: %.1f ms, %s\n", slowest_ms, slowest);
    printf("1..%d\n", count);
    return count > 0 ? 0 : 1;
}
