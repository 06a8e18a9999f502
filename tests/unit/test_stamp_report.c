/*
 * The 验签报告's content and drawing (core/stamp/stamp_report.c,
 * stamp_reportpdf.c; docs/modules/sign.md "验签报告"): a verdict's words
 * reach the report unchanged, a stamp that is not 有效 is listed in the
 * conclusion with its reason, and the drawing is a PDF of real text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hall.h"
#include "pki/pki.h"
#include "stamp/stamp.h"
#include "stamp/stamp_int.h"

static int
has_line(const struct hall_stamp_report_doc *d, const char *text, int bad)
{
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->lines[i].text, text) == 0 && (bad < 0 || d->lines[i].bad == bad))
            return 1;
    return 0;
}

static void
report__two_stamps_one_modified__verdict_words_kept_and_listed(void **state)
{
    struct hall_pool *pool = hall_pool_create(65536);
    struct hall_stamp_sig sigs[2];
    struct hall_stamp_verdict v[2];
    struct hall_stamp_report rep;
    struct hall_stamp_report_doc d;
    struct hall_stamp_report_spot spot = {0, 0, 0};
    unsigned char *pdf;
    size_t len = 0;

    (void)state;
    memset(sigs, 0, sizeof(sigs));
    memset(v, 0, sizeof(v));
    memset(&rep, 0, sizeof(rep));
    for (int i = 0; i < 2; i++) {
        sigs[i].index = i + 1;
        sigs[i].field = i == 0 ? "印章1" : "印章2";
        sigs[i].page = 1;
        sigs[i].is_stamp = 1;
        sigs[i].filter = "ETSI.CAdES.detached";
        sigs[i].after = i == 0 ? "其后追加了1个签章" : "";
        sigs[i].changes = i == 1 ? "第1页的内容被修改" : "";
        sigs[i].overlap = "";
        sigs[i].covered = "";
        sigs[i].signer_subject = "CN=测试公司";
        sigs[i].signer_serial = "712C1B5A584A1BBE";
        sigs[i].seal_es_id = "44030000000001";
        sigs[i].seal_name = "测试公司合同专用章";
        sigs[i].signing_time = 1795000000;
        sigs[i].level = "B-LT";
        sigs[i].ltv_state = HALL_STAMP_REV_GOOD;
        sigs[i].ltv_source = "OCSP";
        sigs[i].ltv_at = 1795000001;
        v[i].problem = "";
        v[i].signer_at_signing = "有效";
    }
    v[0].state = HALL_STAMP_VALID;
    v[0].notes[0] = "签章后吊销";
    v[0].nnotes = 1;
    v[1].state = HALL_STAMP_MODIFIED;
    v[1].problem = "签章后文档被修改：第1页的内容被修改";
    rep.nsigs = 2;
    rep.sigs = sigs;
    rep.file_size = 12345;
    rep.revisions = 3;

    hall_stamp_report_build(pool, &rep, v, "合同.pdf", "ab12", 1795000100, &d);
    assert_int_equal(d.all_valid, 0);
    assert_true(has_line(&d, "SHA-256：ab12", 0));
    assert_true(has_line(&d, "文件名：合同.pdf", 0));
    assert_true(has_line(&d, "验证结论：有效", 0));
    assert_true(has_line(&d, "验证结论：文档已被修改", 1));
    assert_true(has_line(&d, "原因：签章后文档被修改：第1页的内容被修改", 1));
    assert_true(has_line(&d, "说明：签章后吊销", 0));
    assert_true(has_line(&d, "签章后的变化：其后追加了1个签章", 0));
    assert_true(has_line(&d, "签章后的修改：第1页的内容被修改", 1));
    assert_true(has_line(&d, "印章编码（esID）：44030000000001", 0));
    assert_true(has_line(&d, "签章人证书序列号：712C1B5A584A1BBE", 0));
    assert_true(has_line(&d, "共 2 个签章，1 个有效", 1));
    assert_true(has_line(&d, "签章2：文档已被修改——签章后文档被修改：第1页的内容被修改", 1));
    /* what it says of itself is what sign_report.c writes: a stamp with a
     * signature timestamp, not a document timestamp (issue 63 §4) */
    for (int i = 0; i < d.n; i++)
        assert_null(strstr(d.lines[i].text, "文档时间戳"));
    assert_true(has_line(&d,
                         "本报告由网上营业厅签名验证服务依据上述文档生成，结论与签名验证页面一致；"
                         "报告本身由本CA的验签专用章签章，签章带有本CA时间戳服务的时间戳，"
                         "可在签名验证页面核验。",
                         0));

    pdf = hall_stamp_report_pdf(pool, &d, &spot, &len);
    assert_non_null(pdf);
    assert_true(len > 1000);
    assert_memory_equal(pdf, "%PDF-", 5);
    /* the report's own seal: a blank band on the page, inside it */
    assert_true(spot.page >= 1);
    assert_true(spot.x_mm > HALL_SEAL_MM / 2.0 && spot.x_mm < 210 - HALL_SEAL_MM / 2.0);
    assert_true(spot.y_mm > HALL_SEAL_MM / 2.0 && spot.y_mm < 297 - HALL_SEAL_MM / 2.0);
    print_message("report: %zu bytes\n", len);
    hall_pool_destroy(pool);
}

/* a report of n stamps by one seal: its size */
static size_t
report_of_one_seal(struct hall_pool *pool, const unsigned char *png, size_t plen, int n)
{
    struct hall_stamp_line lines[32];
    struct hall_stamp_report_doc d = {.lines = lines, .n = 0, .all_valid = 1};
    size_t len = 0;

    for (int i = 0; i < n; i++) {
        lines[d.n++] =
            (struct hall_stamp_line){HALL_STAMP_LINE_TEXT, "印章：测试公司合同专用章", NULL, 0, 0};
        lines[d.n++] = (struct hall_stamp_line){HALL_STAMP_LINE_SEAL, "印章图片", png, plen, 0};
    }
    assert_non_null(hall_stamp_report_pdf(pool, &d, NULL, &len));
    return len;
}

/* issue 63 §6: the report of a document stamped eight times by one seal
 * carries the seal's picture once, not eight times */
static void
report__one_seal_many_stamps__picture_embedded_once(void **state)
{
    struct hall_pool *pool = hall_pool_create(65536);
    size_t plen = 0, one, eight;
    unsigned char *png = hall_sealimg_render(pool, HALL_SEAL_ORG, "深圳市测试科技有限公司",
                                             "合同专用章", &plen, NULL);

    (void)state;
    assert_non_null(png);
    one = report_of_one_seal(pool, png, plen, 1);
    eight = report_of_one_seal(pool, png, plen, 8);
    print_message("one stamp %zu bytes, eight %zu (picture %zu)\n", one, eight, plen);
    /* seven more captions and placements, not seven more pictures */
    assert_true(eight < one + plen / 4);
    hall_pool_destroy(pool);
}

/* issue 63 §4: a document timestamp (B-LTA) has its own section: the TSA,
 * its certificate's state, the time and what it covers; no seal or signer
 * rows (印章有效期 至, 签章人) */
static void
report__document_timestamp__own_section_tsa_time_coverage_no_seal_rows(void **state)
{
    struct hall_pool *pool = hall_pool_create(65536);
    struct hall_stamp_sig sig;
    struct hall_stamp_verdict v;
    struct hall_stamp_report rep;
    struct hall_stamp_report_doc d;

    (void)state;
    memset(&sig, 0, sizeof(sig));
    memset(&v, 0, sizeof(v));
    memset(&rep, 0, sizeof(rep));
    sig.index = 2;
    sig.field = "文档时间戳1";
    sig.doc_timestamp = 1;
    sig.level = "DTS";
    sig.byte_range[1] = 1000;
    sig.byte_range[2] = 9000;
    sig.byte_range[3] = 500;
    sig.after = "";
    sig.changes = "";
    sig.signing_time = 1795000000;
    sig.tsa_subject = "CN=Hall Demo Time Stamping Authority";
    sig.range = sig.digest = sig.signature = sig.timestamp = HALL_STAMP_PASS;
    v.state = HALL_STAMP_VALID;
    v.problem = "";
    v.signer_at_signing = "";
    rep.nsigs = 1;
    rep.sigs = &sig;
    rep.doc_timestamps = 1;

    hall_stamp_report_build(pool, &rep, &v, "存档.pdf", "cd34", 1795000100, &d);
    assert_true(has_line(&d, "签名2：文档时间戳（文档时间戳1）", 0));
    assert_true(has_line(&d, "时间戳服务：CN=Hall Demo Time Stamping Authority", 0));
    assert_true(has_line(&d, "时间戳服务证书：本CA时间戳服务，证书有效（证书链至本CA根证书）", 0));
    assert_true(has_line(&d, "时间戳时间：2026-11-18 19:06:40", 0));
    assert_true(has_line(
        &d, "覆盖范围：时间戳之前的整个文档（9500 字节，含此前的全部签章和长期验证信息）", 0));
    for (int i = 0; i < d.n; i++) {
        assert_null(strstr(d.lines[i].text, "印章"));
        assert_null(strstr(d.lines[i].text, "签章人"));
        assert_null(strstr(d.lines[i].text, "吊销证据"));
    }
    /* another TSA: said so, in red */
    sig.timestamp = HALL_STAMP_FAIL;
    hall_stamp_report_build(pool, &rep, &v, "存档.pdf", "cd34", 1795000100, &d);
    assert_true(has_line(&d, "时间戳服务证书：非本CA时间戳服务（证书不能验证到本CA根证书）", 1));
    hall_pool_destroy(pool);
}

/* issue 71 §5: a document timestamp is no stamp.  Alone it reads 共 0
 * 个签章 and the report is not 全部有效 (anyone may add one: hall-stamp
 * lta needs no seal, /tsa is public); beside a stamp it is counted apart */
static void
summary__document_timestamp_alone__no_stamp_not_all_valid(void **state)
{
    struct hall_pool *pool = hall_pool_create(65536);
    struct hall_stamp_sig sigs[2];
    struct hall_stamp_verdict v[2];
    struct hall_stamp_report rep;
    struct hall_stamp_report_doc d;
    int all = -1;

    (void)state;
    memset(sigs, 0, sizeof(sigs));
    memset(v, 0, sizeof(v));
    memset(&rep, 0, sizeof(rep));
    for (int i = 0; i < 2; i++) {
        sigs[i].index = i + 1;
        sigs[i].field = i == 0 ? "印章1" : "文档时间戳1";
        sigs[i].is_stamp = i == 0;
        sigs[i].doc_timestamp = i == 1;
        sigs[i].level = i == 0 ? "B-T" : "DTS";
        sigs[i].after = sigs[i].changes = sigs[i].overlap = sigs[i].covered = "";
        sigs[i].range = sigs[i].digest = sigs[i].signature = sigs[i].timestamp = HALL_STAMP_PASS;
        v[i].state = HALL_STAMP_VALID;
        v[i].problem = "";
        v[i].signer_at_signing = "";
    }
    /* the timestamp alone */
    rep.nsigs = 1;
    rep.sigs = &sigs[1];
    rep.doc_timestamps = 1;
    assert_string_equal(hall_stamp_summary(pool, &rep, &v[1], &all),
                        "共 0 个签章（另有 1 个文档时间戳）");
    assert_int_equal(all, 0);
    hall_stamp_report_build(pool, &rep, &v[1], "存档.pdf", "cd34", 1795000100, &d);
    assert_int_equal(d.all_valid, 0);
    assert_true(has_line(&d, "共 0 个签章（另有 1 个文档时间戳）", 1));
    /* a stamp, then the timestamp (B-LTA) */
    rep.nsigs = 2;
    rep.sigs = sigs;
    assert_string_equal(hall_stamp_summary(pool, &rep, v, &all),
                        "共 1 个签章，1 个有效（另有 1 个文档时间戳）：全部有效");
    assert_int_equal(all, 1);
    /* the timestamp broken: not all valid, the stamp still is */
    v[1].state = HALL_STAMP_MODIFIED;
    assert_string_equal(hall_stamp_summary(pool, &rep, v, &all),
                        "共 1 个签章，1 个有效（另有 1 个文档时间戳）");
    assert_int_equal(all, 0);
    /* no timestamp: as before */
    rep.nsigs = 1;
    v[1].state = HALL_STAMP_VALID;
    assert_string_equal(hall_stamp_summary(pool, &rep, v, &all), "共 1 个签章，1 个有效：全部有效");
    assert_int_equal(all, 1);
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report__two_stamps_one_modified__verdict_words_kept_and_listed),
        cmocka_unit_test(report__one_seal_many_stamps__picture_embedded_once),
        cmocka_unit_test(report__document_timestamp__own_section_tsa_time_coverage_no_seal_rows),
        cmocka_unit_test(summary__document_timestamp_alone__no_stamp_not_all_valid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
