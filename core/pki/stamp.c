/*
 * The stamp (docs/internals/stamp.md): stubs while the writer and the
 * verifier are written; the API is core/pki/stamp.h.
 */
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "pki/stamp.h"

const char *
hall_stamp_state_text(enum hall_stamp_state s)
{
    switch (s) {
    case HALL_STAMP_MODIFIED: return "文档已被修改";
    case HALL_STAMP_FOREIGN: return "非本CA签发";
    case HALL_STAMP_DEMO: return "体验印章";
    case HALL_STAMP_REVOKED_BEFORE: return "签章人证书已吊销（签章前）";
    case HALL_STAMP_SEAL_REVOKED: return "印章已注销";
    case HALL_STAMP_VALID: return "有效";
    }
    return "";
}

void
hall_stamp_point(const double mediabox[4], double x_mm, double y_mm, double *x_pt, double *y_pt)
{
    *x_pt = mediabox[0] + x_mm * 72.0 / 25.4;
    *y_pt = mediabox[3] - y_mm * 72.0 / 25.4;
}

size_t
hall_stamp_reserve(size_t der_len)
{
    return (2 * der_len + 1023) / 1024 * 1024;
}

unsigned char *
hall_stamp_sign(struct hall_pool *pool, const struct hall_stamp_sign_in *in, size_t *len, char *err,
                size_t errlen)
{
    (void)pool;
    (void)in;
    *len = 0;
    snprintf(err, errlen, "盖章功能尚未实现");
    return NULL;
}

int
hall_stamp_verify_fd(struct hall_pool *pool, int fd, const struct hall_stamp_trust *trust,
                     struct hall_stamp_report *rep, char *err, size_t errlen)
{
    (void)pool;
    (void)fd;
    (void)trust;
    memset(rep, 0, sizeof(*rep));
    snprintf(err, errlen, "验章功能尚未实现");
    return HALL_ERR;
}

int
hall_stamp_verify_file(struct hall_pool *pool, const char *path,
                       const struct hall_stamp_trust *trust, struct hall_stamp_report *rep,
                       char *err, size_t errlen)
{
    (void)path;
    return hall_stamp_verify_fd(pool, -1, trust, rep, err, errlen);
}
