/*
 * Unit tests for core/biz/partner_admin.c's address rule: which addresses a
 * partner's webhook URL may not resolve to (docs/partners.md "The URL
 * rule"), and the operator's list of those it may (partner_hook_allow_private,
 * read as the sender reads it).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "hall.h"

/* text -> sockaddr (IPv4 or IPv6) */
static const struct sockaddr *
sa_of(const char *text, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, text, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
        ss->ss_family = AF_INET;
    } else {
        assert_int_equal(inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)ss)->sin6_addr), 1);
        ss->ss_family = AF_INET6;
    }
    return (const struct sockaddr *)ss;
}

static const struct {
    const char *addr, *kind; /* kind NULL: public */
} kinds[] = {
    {"8.8.8.8", NULL},
    {"93.184.216.34", NULL},
    {"172.15.255.255", NULL},
    {"172.32.0.1", NULL},
    {"100.63.255.255", NULL},
    {"100.128.0.1", NULL},
    {"2001:4860:4860::8888", NULL},
    {"127.0.0.1", "loopback"},
    {"127.255.0.9", "loopback"},
    {"::1", "loopback"},
    {"169.254.169.254", "link-local"},
    {"fe80::1", "link-local"},
    {"febf::1", "link-local"},
    {"10.0.0.1", "private"},
    {"172.16.0.1", "private"},
    {"172.31.255.254", "private"},
    {"192.168.1.1", "private"},
    {"fc00::1", "private"},
    {"fd12:3456::1", "private"},
    {"100.64.0.1", "cgnat"},
    {"100.127.255.255", "cgnat"},
    {"0.0.0.0", "unspecified"},
    {"::", "unspecified"},
    {"224.0.0.1", "multicast"},
    {"239.255.255.250", "multicast"},
    {"ff02::1", "multicast"},
    {"255.255.255.255", "reserved"},
    {"::ffff:10.0.0.1", "private"},
    {"::ffff:127.0.0.1", "loopback"},
    {"::ffff:8.8.8.8", NULL},
    {"64:ff9b::a9fe:a9fe", "link-local"},
};

static void
partner_addr_kind__each_range__named(void **state)
{
    struct sockaddr_storage ss;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const char *k = hall_partner_addr_kind(sa_of(kinds[i].addr, &ss));

        if (kinds[i].kind == NULL) {
            assert_null(k);
        } else {
            assert_non_null(k);
            assert_string_equal(k, kinds[i].kind);
        }
    }
}

static void
partner_addr_usable__public_or_named_in_the_list(void **state)
{
    struct hall_pool *pool = hall_pool_create(4096);
    struct sockaddr_storage ss;

    (void)state;
    assert_true(hall_partner_addr_usable(pool, "", sa_of("8.8.8.8", &ss)));
    assert_false(hall_partner_addr_usable(pool, "", sa_of("127.0.0.1", &ss)));
    assert_false(hall_partner_addr_usable(pool, NULL, sa_of("10.1.2.3", &ss)));
    assert_true(hall_partner_addr_usable(pool, "127.0.0.1 ::1", sa_of("127.0.0.1", &ss)));
    assert_true(hall_partner_addr_usable(pool, "127.0.0.1 ::1", sa_of("::1", &ss)));
    assert_false(hall_partner_addr_usable(pool, "127.0.0.1 ::1", sa_of("127.0.0.2", &ss)));
    assert_false(hall_partner_addr_usable(pool, "127.0.0.1 ::1", sa_of("::ffff:127.0.0.1", &ss)));
    /* a whole word only: 10.1.2.3 is not 10.1.2.30's prefix */
    assert_false(hall_partner_addr_usable(pool, "10.1.2.30", sa_of("10.1.2.3", &ss)));
    assert_false(hall_partner_addr_usable(pool, "110.1.2.3", sa_of("10.1.2.3", &ss)));
    assert_true(hall_partner_addr_usable(pool, "192.168.0.9,10.1.2.3", sa_of("10.1.2.3", &ss)));
    hall_pool_destroy(pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(partner_addr_kind__each_range__named),
        cmocka_unit_test(partner_addr_usable__public_or_named_in_the_list),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
