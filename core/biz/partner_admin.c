/*
 * partner_admin.c: a partner's webhook and API keys changed from the staff
 * console (modules/admin/admin_partner.c, docs/partners.md "In the staff
 * console"), four eyes (core/biz/approval.c, sql/150_partner_console.sql):
 * what an approved request asked, done in the approval's transaction with
 * its audit rows, the secrets it needs made here and encrypted under the
 * PII key (sql/140), never stored or logged in clear; and the rule a
 * webhook URL keeps when it is asked for and approved: https, its host
 * resolved, every address public (loopback, link-local, private, CGNAT,
 * unspecified, multicast and reserved ones named with their kind) unless
 * partner_hook_allow_private names it.  The sender checks the address it
 * connects to again at every delivery (core/biz/partner_hook.c).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "biz/biz.h"

const char *const hall_partner_events[] = {
    "order.submitted", "order.paid",  "order.rejected",
    "order.approved",  "cert.issued", "order.shipped",
    "cert.revoked",    "seal.made",   NULL,
};

int
hall_partner_event_known(const char *event)
{
    int i;

    for (i = 0; hall_partner_events[i] != NULL; i++)
        if (strcmp(hall_partner_events[i], event) == 0)
            return 1;
    return 0;
}

char *
hall_partner_secret_fp(struct hall_pool *pool, const char *secret)
{
    unsigned char h[32];

    hall_sha256(secret, strlen(secret), h);
    return hall_hex(pool, h, 8);
}

/* ---- where a webhook may go ------------------------------------------------ */

/* an address as 16 bytes (IPv4: its 4 bytes first, v4 1) */
struct addr16 {
    unsigned char b[16];
    int v4;
};

static const unsigned char mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static const unsigned char nat64_prefix[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

/* sa as 16 bytes, an embedded IPv4 address taken out; 0 for another family */
static int
addr_of(const struct sockaddr *sa, struct addr16 *a)
{
    memset(a, 0, sizeof(*a));
    if (sa->sa_family == AF_INET) {
        memcpy(a->b, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        a->v4 = 1;
        return 1;
    }
    if (sa->sa_family == AF_INET6) {
        const unsigned char *p = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;

        if (memcmp(p, mapped_prefix, 12) == 0 || memcmp(p, nat64_prefix, 12) == 0) {
            memcpy(a->b, p + 12, 4);
            a->v4 = 1;
        } else {
            memcpy(a->b, p, 16);
        }
        return 1;
    }
    return 0;
}

/* the first bits of a and p agree */
static int
prefix_match(const unsigned char *a, const unsigned char *p, int bits)
{
    int full = bits / 8, rest = bits % 8;

    if (memcmp(a, p, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((a[full] ^ p[full]) & (0xff << (8 - rest))) == 0;
}

static const char *
kind4(const unsigned char *b)
{
    static const struct {
        unsigned char p[4];
        int bits;
        const char *kind;
    } nets[] = {
        {{0, 0, 0, 0}, 8, "unspecified"},     {{127, 0, 0, 0}, 8, "loopback"},
        {{169, 254, 0, 0}, 16, "link-local"}, {{10, 0, 0, 0}, 8, "private"},
        {{172, 16, 0, 0}, 12, "private"},     {{192, 168, 0, 0}, 16, "private"},
        {{100, 64, 0, 0}, 10, "cgnat"},       {{224, 0, 0, 0}, 4, "multicast"},
        {{240, 0, 0, 0}, 4, "reserved"}, /* and 255.255.255.255 */
        {{192, 0, 0, 0}, 24, "reserved"},     {{198, 18, 0, 0}, 15, "reserved"},
    };
    size_t i;

    for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
        if (prefix_match(b, nets[i].p, nets[i].bits))
            return nets[i].kind;
    return NULL;
}

static const char *
kind6(const unsigned char *b)
{
    static const unsigned char zero[16];
    static const unsigned char fe80[2] = {0xfe, 0x80}, fec0[2] = {0xfe, 0xc0}, fc00[1] = {0xfc},
                               ff00[1] = {0xff};

    if (memcmp(b, zero, 16) == 0)
        return "unspecified";
    if (memcmp(b, zero, 15) == 0 && b[15] == 1)
        return "loopback";
    if (prefix_match(b, fe80, 10))
        return "link-local";
    if (prefix_match(b, fc00, 7) || prefix_match(b, fec0, 10))
        return "private";
    if (prefix_match(b, ff00, 8))
        return "multicast";
    /* ::/96 (IPv4-compatible, deprecated) and the rest of ::/8 */
    if (b[0] == 0)
        return "reserved";
    return NULL;
}

const char *
hall_partner_addr_kind(const struct sockaddr *sa)
{
    struct addr16 a;

    if (!addr_of(sa, &a))
        return "reserved";
    return a.v4 ? kind4(a.b) : kind6(a.b);
}

static const char *
kind_label(const char *kind)
{
    if (kind == NULL)
        return "公网";
    if (strcmp(kind, "loopback") == 0)
        return "本机回环地址";
    if (strcmp(kind, "link-local") == 0)
        return "链路本地地址";
    if (strcmp(kind, "private") == 0)
        return "内网地址";
    if (strcmp(kind, "cgnat") == 0)
        return "运营商级NAT地址";
    if (strcmp(kind, "unspecified") == 0)
        return "未指定地址";
    if (strcmp(kind, "multicast") == 0)
        return "组播地址";
    return "保留地址";
}

/* sa as inet_ntop writes it */
static char *
addr_text(struct hall_pool *pool, const struct sockaddr *sa)
{
    char buf[INET6_ADDRSTRLEN];
    const void *p = sa->sa_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

    if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
        inet_ntop(sa->sa_family, p, buf, sizeof(buf)) == NULL)
        return hall_pstrdup(pool, "?");
    return hall_pstrdup(pool, buf);
}

/* the sender's rule for partner_hook_allow_private (core/biz/partner_hook.c,
 * hook_addr_ok): the address as inet_ntop writes it, one of the words of
 * the list (separated by spaces or commas) */
int
hall_partner_addr_usable(struct hall_pool *pool, const char *allow, const struct sockaddr *sa)
{
    const char *text, *p;
    size_t n;

    if (hall_partner_addr_kind(sa) == NULL)
        return 1;
    text = addr_text(pool, sa);
    n = strlen(text);
    for (p = allow != NULL ? allow : ""; (p = strstr(p, text)) != NULL; p += n)
        if ((p == allow || p[-1] == ' ' || p[-1] == ',') &&
            (p[n] == '\0' || p[n] == ' ' || p[n] == ','))
            return 1;
    return 0;
}

/* the host of url after its scheme (an IPv6 literal without brackets) and
 * the port; NULL when the authority is not one this rule reads */
static char *
url_host(struct hall_pool *pool, const char *auth, const char **port)
{
    size_t n = strcspn(auth, "/?#");
    const char *end = auth + n, *colon;
    char *host;

    *port = NULL;
    if (n == 0 || memchr(auth, '@', n) != NULL)
        return NULL;
    if (*auth == '[') {
        const char *close = memchr(auth, ']', n);

        if (close == NULL)
            return NULL;
        host = hall_pstrndup(pool, auth + 1, (size_t)(close - auth - 1));
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if (close + 1 < end && colon == NULL)
            return NULL;
    } else {
        colon = memchr(auth, ':', n);
        host = hall_pstrndup(pool, auth, colon != NULL ? (size_t)(colon - auth) : n);
        if (strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
            strlen(host))
            return NULL;
    }
    if (*host == '\0')
        return NULL;
    if (colon != NULL) {
        char *p = hall_pstrndup(pool, colon + 1, (size_t)(end - colon - 1));
        char *e;
        long v = strtol(p, &e, 10);

        if (*p == '\0' || *e != '\0' || v < 1 || v > 65535)
            return NULL;
        *port = p;
    }
    return host;
}

const char *
hall_partner_hook_url_check(struct hall_pool *pool, const struct hall_conf *conf, const char *url)
{
    const char *allow = conf->partner_hook_allow_private, *port, *p;
    struct addrinfo hints, *ai = NULL, *a;
    const char *why = NULL;
    int https, loopback_only = 1, rc;
    char *host;

    if (strlen(url) > 500)
        return "回调地址不能超过500个字符";
    for (p = url; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return "回调地址不能包含空格或控制字符";
    https = strncasecmp(url, "https://", 8) == 0;
    if (!https && strncasecmp(url, "http://", 7) != 0)
        return "回调地址须以 https:// 开头";
    /* the database's rule (sql/135): lower-case scheme */
    if (strncmp(url, https ? "https://" : "http://", https ? 8 : 7) != 0)
        return "回调地址须以小写的 https:// 开头";
    host = url_host(pool, url + (https ? 8 : 7), &port);
    if (host == NULL)
        return "回调地址的主机名或端口不正确（不能含用户名和密码）";
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port != NULL ? port : (https ? "443" : "80"), &hints, &ai);
    if (rc != 0 || ai == NULL)
        return hall_psprintf(pool, "回调地址的主机名 %s 无法解析", host);
    for (a = ai; a != NULL && why == NULL; a = a->ai_next) {
        const char *kind = hall_partner_addr_kind(a->ai_addr);

        if (kind == NULL || strcmp(kind, "loopback") != 0)
            loopback_only = 0;
        if (!hall_partner_addr_usable(pool, allow, a->ai_addr))
            why = hall_psprintf(pool,
                                "回调地址指向%s %s，不能使用（须为公网地址；运营方可在"
                                " hall.conf 的 partner_hook_allow_private 中允许）",
                                kind_label(kind), addr_text(pool, a->ai_addr));
    }
    freeaddrinfo(ai);
    if (why != NULL)
        return why;
    /* http:// only to the operator's own machine (the sandbox's receiver) */
    if (!https && !loopback_only)
        return "回调地址须以 https:// 开头（http:// 仅限运营方允许的本机地址）";
    return NULL;
}

/* a new secret of n random bytes, hex; *enc its encrypted form */
static char *
secret_new(struct hall_ctx *cx, size_t n, unsigned char **enc, size_t *elen)
{
    unsigned char rnd[32];
    char *s;

    if (n > sizeof(rnd) || hall_rand_bytes(rnd, n) != HALL_OK)
        return NULL;
    s = hall_hex(cx->pool, rnd, n);
    OPENSSL_cleanse(rnd, sizeof(rnd));
    *enc = hall_pii_encrypt(cx->pool, s, strlen(s), elen);
    return *enc != NULL ? s : NULL;
}

/* the audit row's detail of an approved request: who asked, which */
static struct hall_val *
detail_of(struct hall_ctx *cx, const struct hall_approval *a, const char *partner)
{
    struct hall_val *d = hall_val_obj(cx->pool);

    hall_val_set_int(cx->pool, d, "request_id", a->id);
    hall_val_set_str(cx->pool, d, "requested_by",
                     hall_psprintf(cx->pool, "staff:%lld", (long long)a->requested_by));
    hall_val_set_str(cx->pool, d, "partner", partner);
    hall_val_set_str(cx->pool, d, "reason", a->reason);
    return d;
}

static int
hook_apply(struct hall_ctx *cx, const struct hall_approval *a, const char *actor,
           struct hall_partner_applied *out, const char **why)
{
    const char *code = a->subject, *url = hall_val_str(a->payload, "url"),
               *events = hall_val_str(a->payload, "events");
    const struct hall_val *fresh = hall_val_get(a->payload, "new_secret");
    struct hall_dbres *res;
    struct hall_val *d;
    unsigned char *enc = NULL;
    size_t elen = 0;
    const char *old;

    res = hall_db_exec(cx, "padm_partner_lock", HALL_STR(code));
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        *why = "合作方不存在";
        return HALL_CONFLICT;
    }
    old = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "hook_url"));
    if (*url != '\0') {
        /* again now: the name may point elsewhere than when it was asked */
        *why = hall_partner_hook_url_check(cx->pool, cx->conf, url);
        if (*why != NULL)
            return HALL_CONFLICT;
        if ((fresh != NULL && fresh->type == HALL_V_BOOL && fresh->i) ||
            !hall_dbres_bool(res, 0, "has_secret")) {
            out->secret = secret_new(cx, 24, &enc, &elen);
            if (out->secret == NULL)
                return HALL_ERR;
            out->fingerprint = hall_partner_secret_fp(cx->pool, out->secret);
        }
    }
    res = hall_partner_hook_write(cx, code, *url != '\0' ? url : NULL, *url != '\0' ? events : "",
                                  enc, elen);
    if (res == NULL || hall_dbres_rows(res) != 1)
        return HALL_ERR;
    d = detail_of(cx, a, code);
    hall_val_set_str(cx->pool, d, "events", *url != '\0' ? events : "");
    if (out->fingerprint != NULL)
        hall_val_set_str(cx->pool, d, "hook_secret_fingerprint", out->fingerprint);
    return hall_audit(cx, actor, "partner", code, *url != '\0' ? "hook_set" : "hook_cleared",
                      *old != '\0' ? old : NULL, *url != '\0' ? url : NULL, d);
}

static int
secret_apply(struct hall_ctx *cx, const struct hall_approval *a, const char *actor,
             struct hall_partner_applied *out, const char **why)
{
    struct hall_dbres *res;
    struct hall_val *d;
    unsigned char *enc;
    size_t elen;

    out->secret = secret_new(cx, 24, &enc, &elen);
    if (out->secret == NULL)
        return HALL_ERR;
    out->fingerprint = hall_partner_secret_fp(cx->pool, out->secret);
    res = hall_partner_hook_secret_write(cx, a->subject, enc, elen);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        *why = "合作方不存在";
        return HALL_CONFLICT;
    }
    d = detail_of(cx, a, a->subject);
    hall_val_set_str(cx->pool, d, "hook_secret_fingerprint", out->fingerprint);
    return hall_audit(cx, actor, "partner", a->subject, "hook_secret_set", NULL, NULL, d);
}

static int
key_add_apply(struct hall_ctx *cx, const struct hall_approval *a, const char *actor,
              struct hall_partner_applied *out, const char **why)
{
    const char *partner = hall_val_str(a->payload, "partner");
    const struct hall_val *days = hall_val_get(a->payload, "days");
    struct hall_dbres *res;
    struct hall_val *d;
    unsigned char *enc;
    size_t elen;

    if (days == NULL || days->type != HALL_V_INT)
        return HALL_ERR;
    out->secret = secret_new(cx, 32, &enc, &elen);
    if (out->secret == NULL)
        return HALL_ERR;
    out->fingerprint = hall_partner_secret_fp(cx->pool, out->secret);
    out->key_id = a->subject;
    res = hall_partner_key_insert(cx, a->subject, partner, enc, elen, days->i);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        *why = "密钥编号已存在，或合作方不存在";
        return HALL_CONFLICT;
    }
    out->not_after = hall_pstrdup(cx->pool, hall_dbres_str(res, 0, "until"));
    d = detail_of(cx, a, partner);
    hall_val_set_str(cx->pool, d, "not_after", out->not_after);
    hall_val_set_str(cx->pool, d, "fingerprint", out->fingerprint);
    return hall_audit(cx, actor, "partner_api_key", a->subject, "added", NULL, "active", d);
}

static int
key_revoke_apply(struct hall_ctx *cx, const struct hall_approval *a, const char *actor,
                 struct hall_partner_applied *out, const char **why)
{
    const char *partner = hall_val_str(a->payload, "partner");
    struct hall_dbres *res;

    out->key_id = a->subject;
    res = hall_partner_key_revoke(cx, a->subject, partner);
    if (res == NULL)
        return HALL_ERR;
    if (hall_dbres_rows(res) == 0) {
        *why = "该密钥已吊销或不存在";
        return HALL_CONFLICT;
    }
    return hall_audit(cx, actor, "partner_api_key", a->subject, "revoked", "active", "revoked",
                      detail_of(cx, a, partner));
}

int
hall_partner_change_apply(struct hall_ctx *cx, const struct hall_approval *a, int64_t approver,
                          struct hall_partner_applied *out, const char **why)
{
    const char *actor = hall_psprintf(cx->pool, "staff:%lld", (long long)approver);

    memset(out, 0, sizeof(*out));
    *why = NULL;
    if (strcmp(a->kind, "partner_hook") == 0)
        return hook_apply(cx, a, actor, out, why);
    if (strcmp(a->kind, "partner_hook_secret") == 0)
        return secret_apply(cx, a, actor, out, why);
    if (strcmp(a->kind, "partner_key_add") == 0)
        return key_add_apply(cx, a, actor, out, why);
    if (strcmp(a->kind, "partner_key_revoke") == 0)
        return key_revoke_apply(cx, a, actor, out, why);
    return HALL_ERR;
}
