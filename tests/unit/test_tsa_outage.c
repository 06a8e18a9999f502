/*
 * tsa.log's outage length (modules/tsa/tsa.c, compiled in without its
 * main): an outage begins at its first refusal after the last stamp any
 * worker signed, so a worker that signed nothing since an earlier outage
 * does not count the next one from that earlier one.  Two workers are
 * played by swapping the module's per-worker state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hall.h"

#undef HALL_MODULE_MAIN
#define HALL_MODULE_MAIN(name, routes, stmts, init)                                                \
    const void *test_##name##_keep[] = {routes, stmts, (const void *)init};
/* the module's testable rules (static in the module itself) */
int tsa_refused(long long now, long long *for_ms);
int tsa_signed(long long now, long long *for_ms, long *refused);
#include "../../modules/tsa/tsa.c"

static void
tsa_outage__second_outage__counted_from_its_own_first_refusal(void **state)
{
    __typeof__(failing) a, b;
    long long for_ms;
    long n;

    (void)state;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    /* the first outage: worker A refuses at 1 s, worker B at 2 s */
    failing = a;
    assert_int_equal(tsa_refused(1000, &for_ms), 1);
    assert_int_equal(for_ms, 0);
    a = failing;
    failing = b;
    assert_int_equal(tsa_refused(2000, &for_ms), 1);
    assert_int_equal(for_ms, 1000);
    /* the token back: B signs at 5 s, which ends it (said once, by B) */
    assert_int_equal(tsa_signed(5000, &for_ms, &n), 1);
    assert_int_equal(for_ms, 4000);
    assert_int_equal(n, 1);
    b = failing;
    /* A signs nothing until the second outage, at 100 s: a new one for
     * A, not the first one 99 s long */
    failing = a;
    assert_int_equal(tsa_refused(100000, &for_ms), 1);
    assert_int_equal(for_ms, 0);
    assert_int_equal(tsa_refused(110000, &for_ms), 0);
    assert_int_equal(tsa_refused(131000, &for_ms), 2);
    assert_int_equal(for_ms, 31000);
    assert_int_equal(failing.n, 3);
    a = failing;
    /* B refuses too: the same outage, begun at 100 s */
    failing = b;
    assert_int_equal(tsa_refused(132000, &for_ms), 1);
    assert_int_equal(for_ms, 32000);
    b = failing;
    /* A signs at 140 s: it ends it; B's next stamp says nothing more */
    failing = a;
    assert_int_equal(tsa_signed(140000, &for_ms, &n), 1);
    assert_int_equal(for_ms, 40000);
    assert_int_equal(n, 3);
    failing = b;
    assert_int_equal(tsa_signed(141000, &for_ms, &n), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tsa_outage__second_outage__counted_from_its_own_first_refusal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
