/*
 * hall-pkitool's partner secrets (core/biz/partner_secret.c,
 * sql/140_partner_secrets_enc.sql, docs/operations.md "Secrets at rest"):
 *
 *   partner-secret CODE link|hook      the secret from standard input's first
 *                                      line (never argv: ps and the shell's
 *                                      history would show it), encrypted
 *                                      under the PII key
 *   partner-secret CODE link|hook remove
 *   partner-key CODE KEY_ID [INTERVAL] a new API key, its secret from
 *                                      standard input, valid INTERVAL (a
 *                                      PostgreSQL interval, default 1 year)
 *   partner-secrets                    at every start (script/lib/common.sh,
 *                                      start_all): the secrets still in clear
 *                                      moved into their encrypted columns,
 *                                      the fresh database's development ones
 *                                      set; one transaction, idempotent
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hall.h"
#include "pkitool.h"
#include "biz/ordertext.h"

/* standard input's first line, without its end of line, into buf; its
 * length, or -1 (too long, a control character) */
static int
read_secret(char *buf, size_t size)
{
    size_t n, i;

    if (fgets(buf, (int)size, stdin) == NULL)
        return 0;
    n = strcspn(buf, "\r\n");
    if (n == size - 1)
        return -1;
    buf[n] = '\0';
    for (i = 0; i < n; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            return -1;
    return (int)n;
}

static int
set_secret(struct hall_ctx *cx, const char *code, const char *kind, int remove)
{
    char buf[256];
    const char *why;
    int n, rc;
    int hook = strcmp(kind, "hook") == 0;

    if (!remove) {
        n = read_secret(buf, sizeof(buf));
        if (n < 16 || n > 200) {
            OPENSSL_cleanse(buf, sizeof(buf));
            fprintf(stderr,
                    "hall-pkitool: the %s secret (standard input's first line) must have"
                    " 16-200 printable characters\n",
                    kind);
            return 1;
        }
    }
    rc = hall_partner_secret_set(cx, code, hook, remove ? NULL : buf, &why);
    OPENSSL_cleanse(buf, sizeof(buf));
    if (rc != HALL_OK) {
        fprintf(stderr, "hall-pkitool: partner %s: %s secret not changed%s%s\n", code, kind,
                why != NULL ? ": " : "", why != NULL ? why : "");
        return 1;
    }
    printf("partner %s: %s secret %s\n", code, kind, remove ? "removed" : "set, encrypted");
    return 0;
}

static int
add_key(struct hall_ctx *cx, const char *code, const char *key_id, const char *interval)
{
    char buf[256];
    const char *until;
    int n, rc;

    n = read_secret(buf, sizeof(buf));
    if (n < 32 || n > 200) {
        OPENSSL_cleanse(buf, sizeof(buf));
        fprintf(stderr, "hall-pkitool: the key's secret (standard input's first line) must have"
                        " 32-200 printable characters\n");
        return 1;
    }
    rc = hall_partner_key_add(cx, code, key_id, buf, interval, &until);
    OPENSSL_cleanse(buf, sizeof(buf));
    if (rc == HALL_CONFLICT) {
        fprintf(stderr, "hall-pkitool: key %s exists already\n", key_id);
        return 1;
    }
    if (rc != HALL_OK) {
        fprintf(stderr,
                "hall-pkitool: key %s not added (partner %s exists? a key id of 8-64"
                " characters A-Z a-z 0-9 _ -? an interval such as '1 year'?)\n",
                key_id, code);
        return 1;
    }
    printf("partner %s: key %s added, encrypted, valid until %s (Beijing time)\n", code, key_id,
           until);
    return 0;
}

int
pkitool_psecret(struct hall_ctx *cx, const char *cmd, int argc, char **argv)
{
    int moved, seeded;

    if (strcmp(cmd, "partner-secrets") == 0 && argc == 0) {
        if (hall_partner_secrets_seal(cx, &moved, &seeded) != HALL_OK) {
            fprintf(stderr, "hall-pkitool: partner-secrets: not done (nothing changed)\n");
            return 1;
        }
        printf("partner secrets: %d moved from clear to encrypted, %d development secret(s)"
               " set\n",
               moved, seeded);
        /* the rejection reasons written before sql/154 likewise */
        if (hall_order_reasons_seal(cx, &moved) != HALL_OK) {
            fprintf(stderr, "hall-pkitool: partner-secrets: reasons not encrypted\n");
            return 1;
        }
        printf("rejection reasons: %d moved from clear to encrypted\n", moved);
        return 0;
    }
    if (strcmp(cmd, "partner-secret") == 0 && (argc == 2 || argc == 3) &&
        (strcmp(argv[1], "link") == 0 || strcmp(argv[1], "hook") == 0) &&
        (argc == 2 || strcmp(argv[2], "remove") == 0))
        return set_secret(cx, argv[0], argv[1], argc == 3);
    if (strcmp(cmd, "partner-key") == 0 && (argc == 2 || argc == 3))
        return add_key(cx, argv[0], argv[1], argc == 3 ? argv[2] : "1 year");
    return 2;
}
