/*
 * stamp_report.c: the 验签报告's content (docs/modules/sign.md, "验签报告").
 * One function turns the verifier's report and the verdicts
 * (hall_stamp_verdict, the rule the page and hall-stamp verify show) into
 * lines; stamp_reportpdf.c draws them.  Nothing here decides anything: a
 * state, a problem or a note is the verdict's, word for word, so the
 * report cannot say what the page does not.
 */
#include <string.h>
#include <time.h>

#include "stamp_int.h"

/* what the report says of itself: true of what sign_report.c writes (the
 * 验签专用章's stamp, its signature timestamp, and B-LT evidence when the
 * hall could gather it), and no more: it has no document timestamp */
#define HALL_STAMP_REPORT_SELF                                                                                     \
    "本报告由网上营业厅签名验证服务依据上述文档生成，结论与签名验证页面一致；" \
    "报告本身由本CA的验签专用章签章，签章带有本CA时间戳服务的时间戳，可在签名验证页面核验。"

#define REPORT_LINES_MAX 2048 /* 64 signatures of about 25 lines, and the rest */

static void
line(struct hall_pool *pool, struct hall_stamp_report_doc *d, enum hall_stamp_line_kind kind,
     int bad, const char *text)
{
    struct hall_stamp_line *l;

    if (d->n >= REPORT_LINES_MAX)
        return;
    l = &d->lines[d->n++];
    l->kind = kind;
    l->bad = bad;
    l->text = hall_pstrdup(pool, text != NULL ? text : "");
}

/* "label：value" unless value is empty */
static void
field(struct hall_pool *pool, struct hall_stamp_report_doc *d, const char *label, const char *value,
      int bad)
{
    if (value == NULL || value[0] == '\0')
        return;
    line(pool, d, HALL_STAMP_LINE_TEXT, bad, hall_psprintf(pool, "%s：%s", label, value));
}

static const char *
check_word(enum hall_stamp_check c)
{
    return c == HALL_STAMP_PASS     ? "通过"
           : c == HALL_STAMP_FAIL   ? "未通过"
           : c == HALL_STAMP_CANNOT ? "无法验证"
                                    : "未核验";
}

static const char *
rev_word(struct hall_pool *pool, const struct hall_stamp_sig *s)
{
    const char *at = hall_beijing_time(pool, s->ltv_at);

    switch (s->ltv_state) {
    case HALL_STAMP_REV_GOOD:
        return hall_psprintf(pool, "文件内%s答复：签章时未吊销（%s）",
                             s->ltv_source != NULL ? s->ltv_source : "", at);
    case HALL_STAMP_REV_REVOKED:
        return hall_psprintf(
            pool, "文件内%s答复：已于%s吊销（%s）", s->ltv_source != NULL ? s->ltv_source : "",
            hall_beijing_time(pool, s->ltv_revoked_at), hall_stamp_reason_text(s->ltv_reason));
    case HALL_STAMP_REV_UNKNOWN:
        return hall_psprintf(pool, "文件内%s答复：未知证书（%s）",
                             s->ltv_source != NULL ? s->ltv_source : "", at);
    default: return "文件内没有签章时的吊销信息";
    }
}

/*
 * A document timestamp (PAdES B-LTA) in words, as the page and the report
 * show it: the TSA's certificate and what the token covers.  It has no
 * seal and no signer: the TSA is its only party.
 */
const char *
hall_stamp_dts_tsa_state(struct hall_pool *pool, const struct hall_stamp_sig *s)
{
    if (s->timestamp != HALL_STAMP_PASS)
        return "非本CA时间戳服务（证书不能验证到本CA根证书）";
    if (s->ltv_tsa_state == HALL_STAMP_REV_REVOKED)
        return hall_psprintf(pool, "本CA时间戳服务，证书已吊销（%s）",
                             hall_beijing_time(pool, s->ltv_tsa_revoked_at));
    return "本CA时间戳服务，证书有效（证书链至本CA根证书）";
}

const char *
hall_stamp_dts_covers(struct hall_pool *pool, const struct hall_stamp_sig *s)
{
    long long n = s->byte_range[2] + s->byte_range[3];

    return hall_psprintf(
        pool, "时间戳之前的整个文档（%lld 字节，含此前的全部签章和长期验证信息）%s%s", n,
        s->after != NULL && s->after[0] != '\0' ? "；" : "", s->after != NULL ? s->after : "");
}

/* a document timestamp's section: the TSA, the time, what it covers */
static void
one_dts(struct hall_pool *pool, struct hall_stamp_report_doc *d, const struct hall_stamp_sig *s,
        const struct hall_stamp_verdict *v)
{
    int i;

    line(pool, d, HALL_STAMP_LINE_HEAD, 0,
         hall_psprintf(pool, "签名%d：文档时间戳%s%s%s", s->index, s->field ? "（" : "",
                       s->field ? s->field : "", s->field ? "）" : ""));
    field(pool, d, "验证结论", hall_stamp_state_text(v->state), v->state != HALL_STAMP_VALID);
    field(pool, d, "原因", v->problem, 1);
    for (i = 0; i < v->nnotes; i++)
        field(pool, d, "说明", v->notes[i], 0);
    field(pool, d, "签名格式", "RFC 3161 文档时间戳（PAdES B-LTA）", 0);
    field(pool, d, "时间戳服务", s->tsa_subject != NULL ? s->tsa_subject : "未知", 0);
    field(pool, d, "时间戳服务证书", hall_stamp_dts_tsa_state(pool, s),
          s->timestamp != HALL_STAMP_PASS);
    field(pool, d, "时间戳时间",
          s->signing_time != 0 ? hall_beijing_time(pool, s->signing_time) : "无有效时间戳",
          s->signing_time == 0);
    field(pool, d, "覆盖范围", hall_stamp_dts_covers(pool, s), 0);
    field(pool, d, "签名后的修改", s->changes, 1);
    field(pool, d, "核验项",
          hall_psprintf(pool, "签名范围%s、摘要%s、签名值%s、时间戳%s", check_word(s->range),
                        check_word(s->digest), check_word(s->signature), check_word(s->timestamp)),
          0);
}

static void
one_sig(struct hall_pool *pool, struct hall_stamp_report_doc *d, const struct hall_stamp_sig *s,
        const struct hall_stamp_verdict *v)
{
    int ok = v->state == HALL_STAMP_VALID;
    int i;

    if (s->doc_timestamp) {
        one_dts(pool, d, s, v);
        return;
    }
    line(pool, d, HALL_STAMP_LINE_HEAD, 0,
         hall_psprintf(pool, "签章%d：%s，第%d页", s->index, s->field ? s->field : "", s->page));
    field(pool, d, "验证结论", hall_stamp_state_text(v->state), !ok);
    field(pool, d, "原因", v->problem, 1);
    for (i = 0; i < v->nnotes; i++)
        field(pool, d, "说明", v->notes[i], 0);
    field(pool, d, "签名级别", hall_stamp_level_text(s->level), 0);
    field(pool, d, "签名格式",
          s->ses ? "GB/T 38540 SES_Signature（SM2）"
                 : hall_psprintf(pool, "CMS（%s）", s->filter ? s->filter : ""),
          0);
    field(pool, d, "签章人", s->signer_subject, 0);
    field(pool, d, "签章人证书序列号", s->signer_serial, 0);
    field(pool, d, "签发者", s->signer_issuer, 0);
    if (s->signer_not_before != 0)
        field(pool, d, "证书有效期",
              hall_psprintf(pool, "%s 至 %s", hall_beijing_time(pool, s->signer_not_before),
                            hall_beijing_time(pool, s->signer_not_after)),
              0);
    field(pool, d, "签章时证书状态", v->signer_at_signing, 0);
    if (s->seal_es_id != NULL) {
        field(pool, d, "印章",
              hall_psprintf(pool, "%s（%s）", s->seal_name ? s->seal_name : "",
                            s->seal_type == 2 ? "个人印章" : "机构印章"),
              0);
        field(pool, d, "印章编码（esID）", s->seal_es_id, 0);
        field(pool, d, "印章有效期",
              hall_psprintf(pool, "%s 至 %s", hall_beijing_time(pool, s->seal_valid_start),
                            hall_beijing_time(pool, s->seal_valid_end)),
              0);
        if (s->seal_png != NULL && s->seal_png_len > 8 && memcmp(s->seal_png, "\x89PNG", 4) == 0 &&
            d->n < REPORT_LINES_MAX) {
            line(pool, d, HALL_STAMP_LINE_SEAL, 0, "印章图片");
            d->lines[d->n - 1].png = s->seal_png;
            d->lines[d->n - 1].png_len = s->seal_png_len;
        }
    }
    field(pool, d, "签章时间（时间戳）",
          s->signing_time != 0 ? hall_beijing_time(pool, s->signing_time) : "无有效时间戳",
          s->signing_time == 0);
    field(pool, d, "时间戳服务", s->tsa_subject, 0);
    if (s->claimed_time != 0)
        field(pool, d, "签章人自报时间（/M，仅供参考）", hall_beijing_time(pool, s->claimed_time),
              0);
    field(pool, d, "吊销证据", rev_word(pool, s), 0);
    if (s->doc_ts_after > 0)
        field(pool, d, "其后的文档时间戳",
              hall_psprintf(pool, "%d个，最早%s", s->doc_ts_after,
                            hall_beijing_time(pool, s->doc_ts_time)),
              0);
    field(pool, d, "签章后的变化", s->after[0] != '\0' ? s->after : "签章后文档没有变化", 0);
    field(pool, d, "签章后的修改", s->changes, 1);
    field(pool, d, "印章遮挡", s->overlap, 1);
    field(pool, d, "遮挡正文", s->covered, 1);
    field(pool, d, "核验项",
          hall_psprintf(
              pool, "签名范围%s、摘要%s、签名值%s、签章人证书标识%s、时间戳%s、印章%s、证书链%s",
              check_word(s->range), check_word(s->digest), check_word(s->signature),
              check_word(s->signing_cert), check_word(s->timestamp), check_word(s->seal),
              check_word(s->chain)),
          0);
}

/* the verdict in one line: 共 N 个签章，M 个有效, a document timestamp not
 * counted as a stamp (（另有 K 个文档时间戳）), 共 0 个签章 when there is none
 * but them; ：全部有效 and *all_valid 1 when there is a stamp and every
 * signature (timestamps too) is 有效 */
const char *
hall_stamp_summary(struct hall_pool *pool, const struct hall_stamp_report *rep,
                   const struct hall_stamp_verdict *v, int *all_valid)
{
    int seals = 0, valid = 0, all = 0, dts;

    for (int i = 0; i < rep->nsigs; i++) {
        all += v[i].state == HALL_STAMP_VALID;
        if (!rep->sigs[i].doc_timestamp) {
            seals++;
            valid += v[i].state == HALL_STAMP_VALID;
        }
    }
    dts = rep->nsigs - seals;
    *all_valid = seals > 0 && all == rep->nsigs;
    if (seals == 0)
        return hall_psprintf(pool, "共 0 个签章（另有 %d 个文档时间戳）", dts);
    return hall_psprintf(pool, "共 %d 个签章，%d 个有效%s%s", seals, valid,
                         dts > 0 ? hall_psprintf(pool, "（另有 %d 个文档时间戳）", dts) : "",
                         *all_valid ? "：全部有效" : "");
}

void
hall_stamp_report_build(struct hall_pool *pool, const struct hall_stamp_report *rep,
                        const struct hall_stamp_verdict *v, const char *name,
                        const char *sha256_hex, time_t made_at, struct hall_stamp_report_doc *out)
{
    const char *summary;
    int i;

    memset(out, 0, sizeof(*out));
    out->lines = hall_pcalloc(pool, REPORT_LINES_MAX * sizeof(*out->lines));
    summary = hall_stamp_summary(pool, rep, v, &out->all_valid);
    line(pool, out, HALL_STAMP_LINE_TITLE, 0, "验签报告");
    line(pool, out, HALL_STAMP_LINE_HEAD, 0, "被验证的文档");
    field(pool, out, "文件名", name, 0);
    field(pool, out, "SHA-256", sha256_hex, 0);
    field(pool, out, "文件大小", hall_psprintf(pool, "%lld 字节", rep->file_size), 0);
    field(pool, out, "修订版本", hall_psprintf(pool, "%d", rep->revisions), 0);
    field(pool, out, "长期验证信息（/DSS）",
          hall_psprintf(pool, "证书%d个，OCSP答复%d个，CRL %d个", rep->dss_certs, rep->dss_ocsps,
                        rep->dss_crls),
          0);
    if (rep->doc_timestamps > 0)
        field(pool, out, "文档时间戳", hall_psprintf(pool, "%d个", rep->doc_timestamps), 0);
    field(pool, out, "验证时间", hall_beijing_time(pool, made_at), 0);
    for (i = 0; i < rep->nsigs; i++)
        one_sig(pool, out, &rep->sigs[i], &v[i]);
    line(pool, out, HALL_STAMP_LINE_HEAD, 0, "验证结论");
    line(pool, out, HALL_STAMP_LINE_TEXT, !out->all_valid, summary);
    for (i = 0; i < rep->nsigs; i++)
        if (v[i].state != HALL_STAMP_VALID)
            line(pool, out, HALL_STAMP_LINE_TEXT, 1,
                 hall_psprintf(pool, "签章%d：%s%s%s", rep->sigs[i].index,
                               hall_stamp_state_text(v[i].state), v[i].problem[0] ? "——" : "",
                               v[i].problem));
    line(pool, out, HALL_STAMP_LINE_TEXT, 0, HALL_STAMP_REPORT_SELF);
}
