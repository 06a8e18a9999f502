/*
 * A co-signature in an algorithm the hall does not verify (issue 62 §4,
 * docs/internals/stamp.md §3, "无法验证"): pyHanko's extensions-*.pdf
 * (tests/data/pdf/attacks) hold an RSA signature, then a second one in
 * Ed25519 whose revision raises /Version and /Extensions as a PDF 2.0
 * signer does.  The second is 无法验证, neither valid nor forged; the first
 * is judged by the whitelist on that revision as for any signature, so it
 * keeps its own state (非本CA签发: pyHanko's test CA) instead of
 * 文档已被修改 for a signature the hall could not check.  Before, the second
 * was 文档已被修改 (签名值验证失败) and the first 文档已被修改 (其后追加的签章2无效).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hall.h"

#include "stamp/stamp.h"
#include "stamp/stamp_int.h"

static void
verify(struct hall_pool *pool, const char *name, struct hall_stamp_report *rep)
{
    const char *root = getenv("HALL_ROOT");
    struct hall_stamp_trust trust;
    char path[1024], err[512];

    memset(&trust, 0, sizeof(trust));
    snprintf(path, sizeof(path), "%s/tests/data/pdf/attacks/%s", root != NULL ? root : ".", name);
    if (hall_stamp_verify_file(pool, path, &trust, rep, err, sizeof(err)) != HALL_OK)
        fail_msg("%s: %s", name, err);
    assert_int_equal(rep->nsigs, 2);
}

/* the Ed25519 signature: intact ranges and digest, its value not checked */
static void
assert_cannot_verify(struct hall_pool *pool, const struct hall_stamp_sig *s)
{
    struct hall_stamp_verdict v;

    assert_int_equal(s->range, HALL_STAMP_PASS);
    assert_int_equal(s->digest, HALL_STAMP_PASS);
    assert_int_equal(s->signature, HALL_STAMP_CANNOT);
    assert_int_equal(s->state, HALL_STAMP_UNSUPPORTED);
    assert_non_null(strstr(s->problem, "不支持的签名算法 Ed25519"));
    hall_stamp_verdict(pool, s, NULL, &v);
    assert_int_equal(v.state, HALL_STAMP_UNSUPPORTED);
    assert_string_equal(hall_stamp_state_text(v.state), "无法验证");
}

static void
verify__ed25519_cosignature__cannot_verify_earlier_judged_by_whitelist(void **state)
{
    static const char *const files[] = {
        "pyhanko-extensions-direct.pdf", "pyhanko-extensions-indirect.pdf",
        "pyhanko-extensions-update-direct.pdf", "pyhanko-extensions-update-indirect.pdf"};

    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct hall_pool *pool = hall_pool_create(65536);
        struct hall_stamp_report rep;

        verify(pool, files[i], &rep);
        assert_cannot_verify(pool, &rep.sigs[1]);
        if (rep.sigs[0].state != HALL_STAMP_FOREIGN || rep.sigs[0].later_changes)
            fail_msg("%s: the first signature %s (%s)", files[i],
                     hall_stamp_state_text(rep.sigs[0].state), rep.sigs[0].problem);
        assert_int_equal(rep.sigs[0].later_sigs, 1);
        assert_string_equal(rep.sigs[0].changes, "");
        hall_pool_destroy(pool);
    }
}

/* what the whitelist refuses in that revision is still told: the indirect
 * /Extensions written again is reached by another path too */
static void
verify__ed25519_cosignature_breaking_a_rule__earlier_modified_for_that(void **state)
{
    struct hall_pool *pool = hall_pool_create(65536);
    struct hall_stamp_report rep;

    (void)state;
    verify(pool, "pyhanko-extensions-indirect-not-all-paths.pdf", &rep);
    assert_cannot_verify(pool, &rep.sigs[1]);
    assert_int_equal(rep.sigs[0].state, HALL_STAMP_MODIFIED);
    assert_non_null(strstr(rep.sigs[0].changes, "对象10被修改"));
    assert_null(strstr(rep.sigs[0].problem, "无效"));
    hall_pool_destroy(pool);
}

/* the 验签报告 says 无法验证 and why, not 文档已被修改 */
static void
report__ed25519_cosignature__says_cannot_verify(void **state)
{
    struct hall_pool *pool = hall_pool_create(65536);
    struct hall_stamp_report rep;
    struct hall_stamp_verdict v[2];
    struct hall_stamp_report_doc d;
    int said = 0;

    (void)state;
    verify(pool, "pyhanko-extensions-direct.pdf", &rep);
    for (int i = 0; i < 2; i++)
        hall_stamp_verdict(pool, &rep.sigs[i], NULL, &v[i]);
    hall_stamp_report_build(pool, &rep, v, "a.pdf", "00", 0, &d);
    for (int i = 0; i < d.n; i++) {
        assert_null(strstr(d.lines[i].text, "文档已被修改"));
        said += strstr(d.lines[i].text, "签章2：无法验证——不支持的签名算法 Ed25519") != NULL;
    }
    assert_int_equal(said, 1);
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verify__ed25519_cosignature__cannot_verify_earlier_judged_by_whitelist),
        cmocka_unit_test(verify__ed25519_cosignature_breaking_a_rule__earlier_modified_for_that),
        cmocka_unit_test(report__ed25519_cosignature__says_cannot_verify),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
