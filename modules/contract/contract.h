/*
 * contract's private header: what its parts share (docs/modules/contract.md).
 */
#ifndef HALL_MODULE_CONTRACT_H
#define HALL_MODULE_CONTRACT_H

#include "hall.h"
#include "stamp/stamp.h"

/* the verifier's trust (contract_check.c), loaded before fork */
int contract_check_init(const struct hall_conf *conf);

/* what contract_check found of a party's new revision */
struct contract_party {
    const char *kind; /* "org", "person" */
    const char *name;
    const char *uscc; /* "" for a person */
};
struct contract_signed {
    const char *serial; /* the new signature's certificate, upper-case hex */
    const char *subject;
};
/*
 * Checks that pdf (len bytes) is the current revision (cur_len bytes, the
 * first of pdf's) with exactly one signature appended, every signature
 * intact, the new one valid under this CA's records (certificate known and
 * not revoked, seal not cancelled) and made by the party (a company's
 * certificate naming its 统一社会信用代码, a person's its name).  HALL_OK
 * with out set; else the request answered (HALL_ANSWERED) or HALL_ERR.
 */
int contract_check(struct hall_req *req, const unsigned char *pdf, size_t len, size_t cur_len,
                   const struct contract_party *p, struct contract_signed *out);

#endif
