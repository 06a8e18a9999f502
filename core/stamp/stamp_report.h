/*
 * core/stamp/stamp_report.h: the 验签报告 (stamp_report.c, in libhallstamp;
 * stamp_reportpdf.c, in libhallseal) and the words the page and the report
 * share for a signature's level and a document timestamp.  For the module
 * sign and hall-stamp, beside stamp/stamp.h.
 */
#ifndef HALL_STAMP_REPORT_H
#define HALL_STAMP_REPORT_H

#include "stamp/stamp.h"

/* ---- 验签报告: the verification report (stamp_report.c, stamp_reportpdf.c) -- */

enum hall_stamp_line_kind {
    HALL_STAMP_LINE_TITLE = 1, /* the report's title */
    HALL_STAMP_LINE_HEAD = 2,  /* a section: the document, one stamp, the verdict */
    HALL_STAMP_LINE_TEXT = 3,  /* "label：value" */
    HALL_STAMP_LINE_SEAL = 4   /* the seal's picture (png) */
};

struct hall_stamp_line {
    enum hall_stamp_line_kind kind;
    const char *text;         /* UTF-8; SEAL: its caption */
    const unsigned char *png; /* SEAL only */
    size_t png_len;
    int bad; /* 1: drawn as a warning (a state that is not 有效, a change) */
};

struct hall_stamp_report_doc {
    struct hall_stamp_line *lines; /* in pool */
    int n;
    int all_valid;
};

/*
 * The 验签报告's content, from the verdict POST /sign/verify shows: the
 * document (name, SHA-256 hex, size, revisions, its /DSS), then for each
 * signature of rep its verdict v[i] (hall_stamp_verdict) with the level,
 * signer, seal (esID, picture), times, timestamp, revocation evidence,
 * what followed it, and the summary.  made_at: when the report is made.
 */
void hall_stamp_report_build(struct hall_pool *pool, const struct hall_stamp_report *rep,
                             const struct hall_stamp_verdict *v, const char *name,
                             const char *sha256_hex, time_t made_at,
                             struct hall_stamp_report_doc *out);
/* where the report's own 验签专用章 goes (hall_stamp_sign_in's page,
 * x_mm, y_mm): a blank band after the last line, under the words saying
 * who signs the report */
struct hall_stamp_report_spot {
    int page; /* 1-based */
    double x_mm, y_mm;
};
/* the content as an A4 PDF (cairo and pango, the CJK font of the seal
 * pictures; libhallseal): the bytes in pool, *len set; NULL when cairo
 * fails or it exceeds 8 MiB.  With spot, a band is left blank for the
 * report's seal (HALL_SEAL_MM) and its place is set there. */
unsigned char *hall_stamp_report_pdf(struct hall_pool *pool, const struct hall_stamp_report_doc *d,
                                     struct hall_stamp_report_spot *spot, size_t *len);

/* a level's words: "B-LT（长期验证：文件内含验证所需的证书和吊销信息）", ... */
const char *hall_stamp_level_text(const char *level);

/* a document timestamp in words (stamp_report.c; the page and the 验签报告):
 * its TSA's certificate, and what it covers */
const char *hall_stamp_dts_tsa_state(struct hall_pool *pool, const struct hall_stamp_sig *s);
const char *hall_stamp_dts_covers(struct hall_pool *pool, const struct hall_stamp_sig *s);

#endif
