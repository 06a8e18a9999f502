/*
 * hall-stamp report [--hall URL] [--out REPORT.pdf] FILE.pdf: the hall's
 * 验签报告 of FILE (docs/modules/stamp.md, "验签报告"; the report itself in
 * docs/modules/sign.md).  The tool verifies on its own; a report a court or
 * a counterparty can keep is the hall's, signed with its 验签专用章, so the
 * file goes to the hall that its stamps name (or --hall) as POST
 * /sign/verify?report=pdf, the body the PDF.  What comes back is kept only
 * when it is a PDF stamped over its whole (every signature's range,
 * digest and signature verify): a cut or damaged answer is not written.
 * Whose stamp it is, is for `hall-stamp verify` with the hall's roots to
 * say, as for any stamped file.  Nothing else is sent: no PIN, no key.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "base/base.h"
#include "pki/pki.h"
#include "stamp/stamp.h"
#include "stamp_askreport.h"

#define T(cn, en)      (zh ? (cn) : (en))
#define ASK_FILE_MAX   (20L * 1024 * 1024) /* the hall's /sign/verify limit */
#define ASK_ANSWER_MAX (32L * 1024 * 1024)
#define ASK_TIMEOUT_MS 120000L

/* the hall the file's first stamp by a hall names (its OCSP URL's hall) */
static const char *
hall_of_file(struct hall_pool *pool, const char *path)
{
    struct hall_stamp_trust trust;
    struct hall_stamp_report rep;
    char err[512];
    int i;

    memset(&trust, 0, sizeof(trust));
    if (hall_stamp_verify_file(pool, path, &trust, &rep, err, sizeof(err)) != HALL_OK)
        return NULL;
    for (i = 0; i < rep.nsigs; i++) {
        const unsigned char *p = rep.sigs[i].signer_der;
        X509 *x = p != NULL ? d2i_X509(NULL, &p, (long)rep.sigs[i].signer_der_len) : NULL;
        const char *hall = x != NULL ? hall_stamp_hall_of(pool, x) : NULL;

        X509_free(x);
        if (hall != NULL)
            return hall;
    }
    return NULL;
}

/* POST pdf to hall's /sign/verify?report=pdf through core's HTTP client
 * (hall_http_call: curl's TLS verification, http and https only): the
 * HTTP status, 0 with *why when the hall could not be reached or the
 * answer exceeds ASK_ANSWER_MAX; the body and its type into a */
static long
ask(struct hall_pool *pool, const char *hall, const unsigned char *pdf, size_t len,
    struct hall_http_resp *a, const char **type, const char **why)
{
    static const char *const accept[] = {"Accept: application/pdf, application/json", NULL};
    struct hall_http_call call;

    memset(&call, 0, sizeof(call));
    call.method = "POST";
    call.url = hall_psprintf(pool, "%s/sign/verify?report=pdf", hall);
    call.content_type = "application/pdf";
    call.body = (const char *)pdf;
    call.body_len = len;
    call.headers = accept;
    call.connect_ms = ASK_TIMEOUT_MS;
    call.total_ms = ASK_TIMEOUT_MS;
    call.max_body = (size_t)ASK_ANSWER_MAX;
    if (hall_http_call(pool, &call, a) != HALL_OK) {
        *why = a->error != NULL ? a->error : "";
        return 0;
    }
    *type = hall_http_header(pool, a, "Content-Type");
    if (*type == NULL)
        *type = "";
    return a->status;
}

/* the "message" of the hall's JSON refusal, or the answer's start */
static const char *
refusal(struct hall_pool *pool, const struct hall_http_resp *a)
{
    char *text = hall_pstrndup(pool, a->body, a->len < 2048 ? a->len : 2048);
    char *m = strstr(text, "\"message\":\"");
    char *end;

    if (m == NULL)
        return text;
    m += 11;
    end = strchr(m, '"');
    if (end != NULL)
        *end = '\0';
    return m;
}

/* the report's own signatures: the first a stamp, every one whole (its
 * range, digest and signature verify; only /DSS and timestamps after it) */
static int
report_sound(struct hall_pool *pool, const char *path, int *nsigs)
{
    struct hall_stamp_trust trust;
    struct hall_stamp_report rep;
    char err[512];
    int i;

    memset(&trust, 0, sizeof(trust));
    if (hall_stamp_verify_file(pool, path, &trust, &rep, err, sizeof(err)) != HALL_OK)
        return HALL_ERR;
    *nsigs = rep.nsigs;
    for (i = 0; i < rep.nsigs; i++) {
        const struct hall_stamp_sig *s = &rep.sigs[i];

        if (!s->covers_to_end && s->later_changes)
            return HALL_ERR;
        if (s->range != HALL_STAMP_PASS || s->digest != HALL_STAMP_PASS ||
            s->signature != HALL_STAMP_PASS)
            return HALL_ERR;
    }
    return rep.nsigs > 0 && rep.sigs[0].is_stamp ? HALL_OK : HALL_ERR;
}

int
stamp_askreport_main(int argc, char **argv, int zh)
{
    static const struct option opts[] = {{"hall", required_argument, NULL, 'H'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"lang", required_argument, NULL, 'L'},
                                         {NULL, 0, NULL, 0}};
    struct hall_pool *pool = hall_pool_create(16384);
    struct hall_http_resp a;
    const char *hall = NULL, *out = NULL, *path, *why = "", *type = "";
    unsigned char *pdf = NULL;
    size_t len = 0;
    char *tmp;
    long status;
    int c, rc = 3, nsigs = 0;
    FILE *f;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'H': hall = optarg; break;
        case 'o': out = optarg; break;
        case 'L': break;
        default: rc = 2; goto usage;
        }
    }
    if (optind + 1 != argc) {
        rc = 2;
        goto usage;
    }
    path = argv[optind];
    if (out == NULL)
        out = hall_psprintf(pool, "%s.验签报告.pdf", path);
    pdf = hall_whole_file(path, ASK_FILE_MAX + 1, &len);
    if (pdf == NULL) {
        fprintf(stderr, T("hall-stamp：无法读取%s：%s\n", "hall-stamp: cannot read %s: %s\n"), path,
                strerror(errno));
        goto out;
    }
    if (len > (size_t)ASK_FILE_MAX) {
        fprintf(stderr,
                T("hall-stamp report：%s超过20MB，营业厅不为其出具验签报告\n",
                  "hall-stamp report: %s is over 20 MB, the hall does not report on it\n"),
                path);
        goto out;
    }
    if (hall == NULL && (hall = hall_of_file(pool, path)) == NULL) {
        fprintf(stderr, "%s\n",
                T("hall-stamp report：文件中的签章未载明营业厅的地址，请用 --hall 指定",
                  "hall-stamp report: no stamp of the file names its hall: give --hall"));
        rc = 2;
        goto out;
    }
    status = ask(pool, hall, pdf, len, &a, &type, &why);
    if (status == 0) {
        fprintf(
            stderr,
            T("hall-stamp report：无法连接%s（%s）\n", "hall-stamp report: cannot reach %s (%s)\n"),
            hall, why);
        goto out;
    }
    if (status != 200 || strncmp(type, "application/pdf", 15) != 0) {
        fprintf(stderr,
                T("hall-stamp report：营业厅未出具验签报告（HTTP %ld）：%s\n",
                  "hall-stamp report: the hall made no report (HTTP %ld): %s\n"),
                status, a.body != NULL ? refusal(pool, &a) : "");
        goto out;
    }
    tmp = hall_psprintf(pool, "%s.part-%ld", out, (long)getpid());
    f = fopen(tmp, "wb");
    if (f == NULL || fwrite(a.body, 1, a.len, f) != a.len || fclose(f) != 0) {
        fprintf(stderr, T("hall-stamp：无法写入%s：%s\n", "hall-stamp: cannot write %s: %s\n"), tmp,
                strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (report_sound(pool, tmp, &nsigs) != HALL_OK) {
        fprintf(stderr, "%s\n",
                T("hall-stamp report：营业厅的答复不是一份完整签章的验签报告，未保存",
                  "hall-stamp report: the answer is not a whole, signed report: not kept"));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, out) != 0) {
        fprintf(stderr, T("hall-stamp：无法写入%s：%s\n", "hall-stamp: cannot write %s: %s\n"), out,
                strerror(errno));
        unlink(tmp);
        goto out;
    }
    printf(T("验签报告：%s（%s出具，%zu字节，本身带有营业厅的签章和时间戳，"
             "可用 hall-stamp verify 核验）\n",
             "report: %s (by %s, %zu bytes, itself stamped and timestamped by the hall; "
             "check it with hall-stamp verify)\n"),
           out, hall, a.len);
    rc = 0;
    goto out;
usage:
    fprintf(stderr, "%s\n",
            T("用法：hall-stamp report [--hall 营业厅地址] [--out 验签报告.pdf] 文件.pdf",
              "usage: hall-stamp report [--hall URL] [--out REPORT.pdf] FILE.pdf"));
out:
    free(pdf);
    hall_pool_destroy(pool);
    return rc;
}
