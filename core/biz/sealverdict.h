/*
 * core/biz/sealverdict.h: 电子印章验证's rule (sealverdict.c).  Included by
 * biz.h, at its end.
 */
#ifndef HALL_BIZ_SEALVERDICT_H
#define HALL_BIZ_SEALVERDICT_H

/*
 * 电子印章验证's rule (sealverdict.c; modules/seal/seal_verify.c answers
 * it): the verdict on the SESeal der, its details and problems (in the
 * order checked, in the words shown) as members of r (es_id ... picture,
 * problems, seal_state, signers, valid, verdict); out its esID and
 * whether it is valid.  HALL_CONFLICT with out->err when der is no
 * SESeal (answer 400), HALL_ERR on database failure.
 */
struct hall_seal_verdict {
    const char *es_id;
    int valid;
    const char *err;
};
extern const struct hall_stmt hall_sealverdict_stmts[];
int hall_seal_verdict(struct hall_ctx *cx, const unsigned char *der, size_t len, struct hall_val *r,
                      struct hall_seal_verdict *out);

#endif
