/*
 * Unit tests for hall_file_discard (core/store/file.c) with the local
 * driver: a stored file whose row the hall knows was not committed is
 * removed; one whose row's commit outcome is unknown (the connection broke
 * with the COMMIT in flight: hall_db_fate_unknown), or whose statement was
 * answered by its read-only retry, is kept, for the orphan sweep to judge
 * by the row; a name the hall never makes touches nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hall.h"

#define NAME "AbCdEfGhIjKlMnOpQrStUvWxYz012345"

struct fixture {
    char dir[64];
    struct hall_conf conf;
    struct hall_ctx cx;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/hall-discard-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->conf.objstore = "local";
    f->conf.upload_dir = f->dir;
    f->cx.pool = hall_pool_create(4096);
    f->cx.conf = &f->conf;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char path[128];

    snprintf(path, sizeof(path), "%s/%s", f->dir, NAME);
    unlink(path);
    rmdir(f->dir);
    hall_pool_destroy(f->cx.pool);
    free(f);
    return 0;
}

/* a stored file under name */
static void
put(struct fixture *f, const char *name)
{
    char path[128];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("ciphertext", fp);
    fclose(fp);
}

static int
there(struct fixture *f, const char *name)
{
    char path[128];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    return stat(path, &st) == 0;
}

static void
file_discard__row_known_not_committed__file_removed(void **state)
{
    struct fixture *f = *state;

    put(f, NAME);
    f->cx.fate_unknown = 0;
    hall_file_discard(&f->cx, NAME);
    assert_false(there(f, NAME));
}

static void
file_discard__commit_outcome_unknown__file_kept(void **state)
{
    struct fixture *f = *state;

    put(f, NAME);
    f->cx.fate_unknown = 1;
    assert_true(hall_db_fate_unknown(&f->cx));
    hall_file_discard(&f->cx, NAME);
    assert_true(there(f, NAME));
}

/* the upload's statement answered by its run again in READ ONLY (its
 * first send's connection broke): a refusal it answers says nothing of
 * what the first send stored */
static void
file_discard__answered_by_readonly_retry__file_kept(void **state)
{
    struct fixture *f = *state;

    put(f, NAME);
    f->cx.fate_unknown = 0;
    f->cx.resent_readonly = 1;
    assert_false(hall_db_outcome_known(&f->cx));
    hall_file_discard(&f->cx, NAME);
    assert_true(there(f, NAME));
}

static void
file_discard__not_a_name_of_the_hall__nothing_touched(void **state)
{
    struct fixture *f = *state;

    put(f, NAME);
    f->cx.fate_unknown = 0;
    hall_file_discard(&f->cx, "../" NAME);
    hall_file_discard(&f->cx, ".hidden");
    hall_file_discard(&f->cx, "");
    assert_true(there(f, NAME));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(file_discard__row_known_not_committed__file_removed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(file_discard__commit_outcome_unknown__file_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(file_discard__answered_by_readonly_retry__file_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(file_discard__not_a_name_of_the_hall__nothing_touched,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
