/*
 * Unit tests for core/pki/auditanchor.c: the audit chain's encodings
 * (docs/internals/audit-chain.md).
 *
 * The known answers were computed independently, with Python's hashlib and
 * struct from the documented encoding, and agree with PostgreSQL's
 * audit_row_hash (sql/077_audit_chain.sql): a change of either encoding
 * would make every stored chain and seal fail to verify, and fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hall.h"

static void
hex_of(const unsigned char *b, size_t n, char *out)
{
    size_t i;

    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* a row at 2026-11-25 08:00:00.123456 UTC, from the genesis, with a NULL,
 * an empty string and a jsonb of Chinese text */
static struct hall_audit_row
sample(const unsigned char *genesis)
{
    struct hall_audit_row r = {
        .id = 42,
        .chain = 3,
        .seq = 7,
        .at_us = 1795593600123456LL,
        .actor = "user:1",
        .entity = "order",
        .entity_id = "42",
        .action = "create",
        .from_state = NULL,
        .to_state = "draft",
        .detail = "{\"a\": 1, \"备注\": \"中文\"}",
        .ip = "203.0.113.7",
        .request_id = "",
        .prev_hash = genesis,
    };

    return r;
}

static void
row_hash__known_row__known_answer(void **state)
{
    unsigned char genesis[HALL_AUDIT_HASH_LEN] = {0}, h[HALL_AUDIT_HASH_LEN];
    struct hall_audit_row r = sample(genesis);
    char hex[2 * HALL_AUDIT_HASH_LEN + 1];

    (void)state;
    hall_audit_row_hash(&r, h);
    hex_of(h, sizeof(h), hex);
    assert_string_equal(hex, "83dd4b82153032aebd0beb8b7c8070c7e93d60c47b34a7050aa8dbb13460a541");
}

static void
row_hash__null_and_empty__differ(void **state)
{
    unsigned char genesis[HALL_AUDIT_HASH_LEN] = {0}, a[HALL_AUDIT_HASH_LEN],
                  b[HALL_AUDIT_HASH_LEN];
    struct hall_audit_row r = sample(genesis);

    (void)state;
    hall_audit_row_hash(&r, a);
    r.request_id = NULL;
    hall_audit_row_hash(&r, b);
    assert_memory_not_equal(a, b, HALL_AUDIT_HASH_LEN);
    /* one field's bytes moved to the next one: another hash */
    r.request_id = "";
    r.actor = "user:";
    r.entity = "1order";
    hall_audit_row_hash(&r, b);
    assert_memory_not_equal(a, b, HALL_AUDIT_HASH_LEN);
}

/* the chain's head both known messages sign */
static const unsigned char known_head[HALL_AUDIT_HASH_LEN] = {
    0x83, 0xdd, 0x4b, 0x82, 0x15, 0x30, 0x32, 0xae, 0xbd, 0x0b, 0xeb, 0x8b, 0x7c, 0x80, 0x70, 0xc7,
    0xe9, 0x3d, 0x60, 0xc4, 0x7b, 0x34, 0xa7, 0x05, 0x0a, 0xa8, 0xdb, 0xb1, 0x34, 0x60, 0xa5, 0x41};

/* hex the known message m of n bytes as text into hex (256) */
static void
known_hex(const unsigned char *m, size_t n, char hex[256])
{
    assert_true(n * 2 < 256);
    hex_of(m, n, hex);
}

static void
seal_msg__known_seal__known_bytes(void **state)
{
    struct hall_pool *pool = hall_pool_create(1024);
    size_t n;
    unsigned char *m = hall_audit_anchor_msg(pool, "2026-11-24", 3, 7, known_head, &n);
    char hex[256];

    (void)state;
    known_hex(m, n, hex);
    assert_string_equal(hex,
                        "0000001168616c6c2d61756469742d7365616c2f310000000a323032362d31312d3234"
                        "0000000000000003000000000000000783dd4b82153032aebd0beb8b7c8070c7e93d"
                        "60c47b34a7050aa8dbb13460a541");
    hall_pool_destroy(pool);
}

/* a mark: the same layout under its own tag, the time in place of the day
 * (bytes computed apart with Python's struct) */
static void
mark_msg__known_mark__known_bytes(void **state)
{
    struct hall_pool *pool = hall_pool_create(1024);
    size_t n;
    unsigned char *m =
        hall_audit_mark_msg(pool, "2026-11-25T12:00:00.123456Z", 3, 7, known_head, &n);
    char hex[256];

    (void)state;
    known_hex(m, n, hex);
    assert_string_equal(hex, "0000001168616c6c2d61756469742d6d61726b2f310000001b323032362d31312d"
                             "32355431323a30303a30302e3132333435365a000000000000000300000000000000"
                             "0783dd4b82153032aebd0beb8b7c8070c7e93d60c47b34a7050aa8dbb13460a541");
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(row_hash__known_row__known_answer),
        cmocka_unit_test(row_hash__null_and_empty__differ),
        cmocka_unit_test(seal_msg__known_seal__known_bytes),
        cmocka_unit_test(mark_msg__known_mark__known_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
