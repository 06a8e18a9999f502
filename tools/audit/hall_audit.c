/*
 * hall-audit: checks that the audit log is what was written
 * (docs/internals/audit-chain.md, docs/operations.md "Audit log").
 *
 *   hall-audit -c CONF verify [--from YYYY-MM-DD]
 *   hall-audit -c CONF keys [--since YYYY-MM-DD]
 *
 * Recomputes every chain of audit_log in C (the encoding of
 * sql/077_audit_chain.sql, hall_audit_row_hash), row by row in seq order,
 * and checks the daily seals' and the marks' signatures (sql/101) with the
 * audit certificate of pki_dir (which must be signed by root.crt); it
 * needs no private key.
 * Every problem is one line on stdout naming the row (id, chain, seq) and
 * what happened to it: changed, removed, inserted, or a seal that does not
 * hold; the last line names the first of them (the lowest row id).  With
 * --from, each chain starts at its last seal of a day before DATE (Beijing
 * days), whose signature anchors it, or at its beginning when it has none.
 * One REPEATABLE READ snapshot: writers may go on meanwhile.
 *
 * keys: where each certificate's key pair was born, as the audit trail
 * says (sql/153, docs/internals/pki.md "Key birth"): the chains verified
 * first (from the last seal before DATE with --since), then, in the same
 * snapshot, one line per certificate issued on or after DATE (Beijing
 * days): serial, issued at (UTC), key origin (hall, medium, holder_medium:
 * reported by the holder's assistant, unattested, browser), medium serial,
 * proof of possession checked at, and whether the origin is recorded in
 * the issue row or a key_born row ("audit") or inferred
 * for a row written before sql/153 ("inferred": a key_born row without
 * "born" means medium, none the hall).
 * Nothing is listed when the chains do not hold.
 *
 * Exit status 0 intact, 1 tampered, 2 usage, 3 could not check (database,
 * certificates).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hall.h"

#define HLEN        HALL_AUDIT_HASH_LEN
#define PAGE        2000
#define MAX_PRINTED 200

static const struct hall_stmt tool_stmts[] = {
    {"audit_v_iso", "SELECT set_config('default_transaction_isolation', 'repeatable read', false)",
     0},
    /* the chains: one index probe each */
    {"audit_v_chains",
     "WITH RECURSIVE h(chain) AS (SELECT min(chain) FROM audit_log UNION ALL"
     " SELECT (SELECT min(a.chain) FROM audit_log a WHERE a.chain > h.chain) FROM h"
     " WHERE h.chain IS NOT NULL) SELECT chain FROM h WHERE chain IS NOT NULL ORDER BY chain",
     0},
    {"audit_v_rows",
     "SELECT id, seq, (extract(epoch FROM at) * 1000000)::bigint AS at_us, actor, entity,"
     " entity_id, action, from_state, to_state, detail::text AS detail, ip, request_id, prev_hash,"
     " hash, to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day"
     " FROM audit_log WHERE chain = $1 AND (seq, id) > ($2, $3) ORDER BY seq, id LIMIT 2000",
     3},
    /* the seals and marks checked: those of DATE and after ('-infinity':
     * all), by chain and place; a mark's day is the time it signed */
    {"audit_v_seals",
     "SELECT chain, to_char(day, 'YYYY-MM-DD') AS day, seq, hash, signature, signer,"
     " false AS mark FROM audit_seals WHERE day >= $1::date"
     " UNION ALL SELECT chain,"
     " to_char(marked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), seq, hash,"
     " signature, signer, true FROM audit_marks"
     " WHERE marked_at >= $1::date::timestamp AT TIME ZONE 'Asia/Shanghai'"
     " ORDER BY chain, seq, mark, day",
     1},
    /* each chain's anchor for --from: its last seal before DATE */
    {"audit_v_anchor",
     "SELECT DISTINCT ON (chain) chain, to_char(day, 'YYYY-MM-DD') AS day, seq, hash, signature,"
     " signer FROM audit_seals WHERE day < $1::date ORDER BY chain, day DESC",
     1},
    /* keys: each certificate's issue row, and its key_born row: one issued
     * onto a medium before the issue row said so, and one born in the
     * browser, whose row is written with the proof of possession (the
     * store's transaction: its time is the check's) */
    {"audit_v_keys",
     "SELECT a.entity_id AS serial,"
     " to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS issued_at,"
     " coalesce(a.detail->>'key_origin', CASE WHEN kb.detail IS NULL THEN 'hall' ELSE"
     " coalesce(kb.detail->>'born', 'medium') END) AS key_origin,"
     " coalesce(a.detail->>'medium', kb.detail->>'medium', '') AS medium,"
     " coalesce(a.detail->>'pop_checked_at', CASE WHEN kb.detail->>'born' = 'browser' THEN"
     " to_char(kb.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') END, '')"
     " AS pop_checked_at,"
     " coalesce(a.detail ? 'key_origin' OR kb.detail ? 'born', false) AS recorded"
     " FROM audit_log a LEFT JOIN LATERAL (SELECT b.detail, b.at FROM audit_log b"
     " WHERE b.entity = 'certificate' AND b.entity_id = a.entity_id AND b.action = 'key_born'"
     " ORDER BY b.id DESC LIMIT 1) kb ON true"
     " WHERE a.entity = 'certificate' AND a.action = 'issue'"
     " AND a.at >= $1::date::timestamp AT TIME ZONE 'Asia/Shanghai' ORDER BY a.at, a.id",
     1},
    {NULL, NULL, 0},
};

/* keys: list where the keys were born (the chains held) */
static int list_keys;

/* a daily seal, or a mark (docs/internals/audit-chain.md "Marks") */
struct seal {
    int64_t chain, seq;
    char day[32]; /* a seal's day; a mark's time */
    unsigned char hash[HLEN];
    int ok;   /* the signature holds */
    int mark; /* a mark, not a seal */
};

struct problem {
    int64_t id; /* the row it is about, for "the first"; INT64_MAX when none */
    char *text;
};

static struct problem *probs;
static size_t nprobs, capprobs;
static unsigned char signer[32];

static void problem(int64_t id, const char *fmt, ...) HALL_PRINTF(2, 3);

static void
problem(int64_t id, const char *fmt, ...)
{
    va_list ap;
    char buf[512];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (nprobs == capprobs) {
        capprobs = capprobs ? capprobs * 2 : 16;
        probs = realloc(probs, capprobs * sizeof(*probs));
        if (probs == NULL)
            abort();
    }
    probs[nprobs].id = id;
    probs[nprobs].text = strdup(buf);
    if (probs[nprobs].text == NULL)
        abort();
    if (nprobs < MAX_PRINTED)
        printf("%s\n", buf);
    nprobs++;
}

static int
bytea_of(struct hall_ctx *cx, const struct hall_dbres *r, int row, const char *col,
         unsigned char out[HLEN])
{
    size_t n;
    unsigned char *b = hall_dbres_bytea(cx, r, row, hall_dbres_col(r, col), &n);

    if (b == NULL || n != HLEN)
        return 0;
    memcpy(out, b, HLEN);
    return 1;
}

#define KIND(s) ((s)->mark ? "mark" : "seal")

/* the seals of a result (chain, day, seq, hash, signature, signer, mark),
 * their signatures checked and reported */
static struct seal *
seals_read(struct hall_ctx *cx, const struct hall_dbres *r, size_t *count)
{
    int i, n = hall_dbres_rows(r);
    struct seal *s = calloc((size_t)n + 1, sizeof(*s));

    if (s == NULL)
        abort();
    for (i = 0; i < n; i++) {
        size_t siglen, slen, mlen;
        unsigned char *sig = hall_dbres_bytea(cx, r, i, hall_dbres_col(r, "signature"), &siglen);
        unsigned char *who = hall_dbres_bytea(cx, r, i, hall_dbres_col(r, "signer"), &slen);
        const char *day = hall_dbres_str(r, i, "day");
        unsigned char *msg;
        int hash_ok;

        s[i].chain = hall_dbres_int(r, i, "chain");
        s[i].seq = hall_dbres_int(r, i, "seq");
        s[i].mark = hall_dbres_col(r, "mark") >= 0 && hall_dbres_bool(r, i, "mark");
        snprintf(s[i].day, sizeof(s[i].day), "%s", day != NULL ? day : "?");
        hash_ok = bytea_of(cx, r, i, "hash", s[i].hash);
        msg =
            s[i].mark
                ? hall_audit_mark_msg(cx->pool, s[i].day, s[i].chain, s[i].seq, s[i].hash, &mlen)
                : hall_audit_anchor_msg(cx->pool, s[i].day, s[i].chain, s[i].seq, s[i].hash, &mlen);
        if (who == NULL || slen != 32 || memcmp(who, signer, 32) != 0)
            problem(INT64_MAX, "%s: %s chain %lld (seq %lld): signed by another key than audit.crt",
                    KIND(&s[i]), s[i].day, (long long)s[i].chain, (long long)s[i].seq);
        else if (!hash_ok || sig == NULL || !hall_pki_audit_verify(msg, mlen, sig, siglen))
            problem(INT64_MAX,
                    "%s: %s chain %lld (seq %lld): the signature does not verify"
                    " (the %s was changed)",
                    KIND(&s[i]), s[i].day, (long long)s[i].chain, (long long)s[i].seq, KIND(&s[i]));
        else
            s[i].ok = 1;
    }
    *count = (size_t)n;
    return s;
}

/* ---- one chain ----------------------------------------------------------------- */

#define MAX_GROUP 16

struct cand {
    int64_t id;
    unsigned char hash[HLEN];
    int okh, link;
};

struct walk {
    int64_t chain;
    /* what the next row must follow */
    unsigned char prev[HLEN];
    int64_t expect, prev_id;
    int prev_changed;
    /* the rows of the seq being read, decided when the next seq comes */
    int64_t gseq;
    struct cand g[MAX_GROUP];
    int ng, gap;
    /* the seals of this chain, by seq; the last day sealed so far: a
     * later row dated that day or before was added after the seal */
    struct seal *seals;
    size_t nseals, si;
    char sealed_day[11];
    int64_t rows;
};

/* decides the group: which row is the chain's (the one that holds and
 * that the next row names: hint), which were inserted */
static void
group_close(struct walk *w, const unsigned char *hint)
{
    int i, pick = -1;

    if (w->ng == 0)
        return;
    for (i = 0; i < w->ng; i++)
        if (w->g[i].okh && w->g[i].link &&
            (pick < 0 || (hint != NULL && memcmp(w->g[i].hash, hint, HLEN) == 0)))
            pick = i;
    for (i = 0; pick < 0 && i < w->ng; i++)
        if (w->g[i].okh)
            pick = i;
    if (pick < 0)
        pick = 0;
    for (i = 0; i < w->ng; i++)
        if (i != pick)
            problem(w->g[i].id,
                    "inserted: row %lld (chain %lld, seq %lld): a second row at this place",
                    (long long)w->g[i].id, (long long)w->chain, (long long)w->gseq);
    if (!w->g[pick].okh) {
        problem(w->g[pick].id,
                "changed: row %lld (chain %lld, seq %lld): its contents do not match its hash",
                (long long)w->g[pick].id, (long long)w->chain, (long long)w->gseq);
    } else if (!w->g[pick].link && !w->gap) {
        if (w->prev_id > 0 && !w->prev_changed)
            problem(w->prev_id,
                    "changed: row %lld (chain %lld, seq %lld): its hash was recomputed, row %lld"
                    " names another",
                    (long long)w->prev_id, (long long)w->chain, (long long)w->gseq - 1,
                    (long long)w->g[pick].id);
        else if (w->prev_id <= 0)
            problem(w->g[pick].id,
                    "changed: row %lld (chain %lld, seq %lld): does not follow the chain's start",
                    (long long)w->g[pick].id, (long long)w->chain, (long long)w->gseq);
    }
    /* the seals of this place */
    while (w->si < w->nseals && w->seals[w->si].seq <= w->gseq) {
        struct seal *s = &w->seals[w->si++];

        if (s->seq < w->gseq)
            problem(INT64_MAX, "%s: %s chain %lld: its row (seq %lld) is missing", KIND(s), s->day,
                    (long long)w->chain, (long long)s->seq);
        else if (s->ok && memcmp(s->hash, w->g[pick].hash, HLEN) != 0)
            problem(w->g[pick].id,
                    "%s: %s chain %lld: row %lld (seq %lld) is not the row that was %s:"
                    " the rows up to it were rewritten",
                    KIND(s), s->day, (long long)w->chain, (long long)w->g[pick].id,
                    (long long)w->gseq, s->mark ? "marked" : "sealed");
        if (s->ok && !s->mark && strcmp(s->day, w->sealed_day) > 0)
            memcpy(w->sealed_day, s->day, sizeof(w->sealed_day));
    }
    memcpy(w->prev, w->g[pick].hash, HLEN);
    w->prev_changed = !w->g[pick].okh;
    w->prev_id = w->g[pick].id;
    w->expect = w->gseq + 1;
    w->ng = 0;
    w->gap = 0;
}

static void
row_add(struct walk *w, const struct hall_audit_row *r, const unsigned char *hash, const char *day)
{
    unsigned char h[HLEN];
    struct cand *c;

    if (w->ng > 0 && r->seq != w->gseq)
        group_close(w, r->prev_hash);
    w->rows++;
    if (w->sealed_day[0] != '\0' && day != NULL && strcmp(day, w->sealed_day) <= 0)
        problem(r->id, "inserted: row %lld (chain %lld, seq %lld): dated %s, after the seal of %s",
                (long long)r->id, (long long)w->chain, (long long)r->seq, day, w->sealed_day);
    if (w->ng == 0) {
        w->gseq = r->seq;
        if (r->seq > w->expect) {
            char seqs[64], where[64];

            if (r->seq == w->expect + 1)
                snprintf(seqs, sizeof(seqs), "seq %lld", (long long)w->expect);
            else
                snprintf(seqs, sizeof(seqs), "seq %lld to %lld", (long long)w->expect,
                         (long long)r->seq - 1);
            if (w->prev_id > 0)
                snprintf(where, sizeof(where), "between row %lld and row %lld",
                         (long long)w->prev_id, (long long)r->id);
            else
                snprintf(where, sizeof(where), "before row %lld", (long long)r->id);
            problem(r->id, "removed: chain %lld %s, %s", (long long)w->chain, seqs, where);
            w->gap = 1;
        }
    }
    if (w->ng == MAX_GROUP) {
        problem(r->id, "inserted: row %lld (chain %lld, seq %lld): a second row at this place",
                (long long)r->id, (long long)w->chain, (long long)r->seq);
        return;
    }
    hall_audit_row_hash(r, h);
    c = &w->g[w->ng++];
    c->id = r->id;
    memcpy(c->hash, hash, HLEN);
    c->okh = memcmp(h, hash, HLEN) == 0;
    c->link = memcmp(r->prev_hash, w->prev, HLEN) == 0;
}

static int
chain_walk(struct hall_ctx *cx, struct walk *w)
{
    struct hall_pool *outer = cx->pool;
    int64_t after_seq = w->expect - 1, after_id = INT64_MAX;

    for (;;) {
        struct hall_pool *pool = hall_pool_create(64 * 1024);
        struct hall_dbres *r;
        int i, n;

        cx->pool = pool;
        r = hall_db_exec(cx, "audit_v_rows", HALL_I64(w->chain), HALL_I64(after_seq),
                         HALL_I64(after_id));
        n = r != NULL ? hall_dbres_rows(r) : -1;
        for (i = 0; i < n; i++) {
            struct hall_audit_row a;
            unsigned char prev[HLEN], hash[HLEN];

            memset(&a, 0, sizeof(a));
            a.id = hall_dbres_int(r, i, "id");
            a.chain = w->chain;
            a.seq = hall_dbres_int(r, i, "seq");
            a.at_us = hall_dbres_int(r, i, "at_us");
            a.actor = hall_dbres_str(r, i, "actor");
            a.entity = hall_dbres_str(r, i, "entity");
            a.entity_id = hall_dbres_str(r, i, "entity_id");
            a.action = hall_dbres_str(r, i, "action");
            a.from_state = hall_dbres_str(r, i, "from_state");
            a.to_state = hall_dbres_str(r, i, "to_state");
            a.detail = hall_dbres_str(r, i, "detail");
            a.ip = hall_dbres_str(r, i, "ip");
            a.request_id = hall_dbres_str(r, i, "request_id");
            if (!bytea_of(cx, r, i, "prev_hash", prev))
                memset(prev, 0xff, HLEN);
            if (!bytea_of(cx, r, i, "hash", hash))
                memset(hash, 0xff, HLEN);
            a.prev_hash = prev;
            row_add(w, &a, hash, hall_dbres_str(r, i, "day"));
            after_seq = a.seq;
            after_id = a.id;
        }
        cx->pool = outer;
        hall_pool_destroy(pool);
        if (n < 0)
            return HALL_ERR;
        if (n < PAGE)
            break;
    }
    group_close(w, NULL);
    for (; w->si < w->nseals; w->si++)
        problem(INT64_MAX, "%s: %s chain %lld: its row (seq %lld) is missing",
                KIND(&w->seals[w->si]), w->seals[w->si].day, (long long)w->chain,
                (long long)w->seals[w->si].seq);
    return HALL_OK;
}

/* ---- verify ---------------------------------------------------------------------- */

static int
date_ok(const char *s)
{
    int i;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* keys: the certificates issued since from (NULL: all), in the snapshot
 * the chains were verified in */
static int
keys(struct hall_ctx *cx, const char *from)
{
    struct hall_dbres *r =
        hall_db_exec(cx, "audit_v_keys", HALL_STR(from != NULL ? from : "-infinity"));
    int i, n;

    if (r == NULL)
        return 3;
    n = hall_dbres_rows(r);
    printf("serial\tissued_at\tkey_origin\tmedium\tpop_checked_at\tsource\n");
    for (i = 0; i < n; i++) {
        const char *m = hall_dbres_str(r, i, "medium"),
                   *pop = hall_dbres_str(r, i, "pop_checked_at");

        printf("%s\t%s\t%s\t%s\t%s\t%s\n", hall_dbres_str(r, i, "serial"),
               hall_dbres_str(r, i, "issued_at"), hall_dbres_str(r, i, "key_origin"),
               *m != '\0' ? m : "-", *pop != '\0' ? pop : "-",
               hall_dbres_bool(r, i, "recorded") ? "audit" : "inferred");
    }
    printf("keys: %d certificate(s)%s%s\n", n, from != NULL ? " since " : "",
           from != NULL ? from : "");
    return 0;
}

static int
verify(struct hall_ctx *cx, const char *from)
{
    struct hall_dbres *chains, *sr, *ar = NULL;
    struct seal *seals, *anchors = NULL;
    size_t nseals, nanchors = 0, k = 0, a = 0, i, nmarks = 0;
    int64_t rows = 0, first = INT64_MAX;
    const char *first_text = NULL;
    int c, nch;

    if (hall_db_exec(cx, "audit_v_iso") == NULL || hall_db_begin(cx) != HALL_OK)
        return 3;
    chains = hall_db_exec(cx, "audit_v_chains");
    sr = hall_db_exec(cx, "audit_v_seals", HALL_STR(from != NULL ? from : "-infinity"));
    if (from != NULL)
        ar = hall_db_exec(cx, "audit_v_anchor", HALL_STR(from));
    if (chains == NULL || sr == NULL || (from != NULL && ar == NULL))
        return 3;
    seals = seals_read(cx, sr, &nseals);
    if (ar != NULL)
        anchors = seals_read(cx, ar, &nanchors);
    nch = hall_dbres_rows(chains);
    for (c = 0; c < nch; c++) {
        struct walk w;

        memset(&w, 0, sizeof(w));
        w.chain = hall_dbres_int(chains, c, "chain");
        w.expect = 1;
        /* genesis: 32 zero bytes; with --from, the anchor seal's row */
        while (a < nanchors && anchors[a].chain < w.chain)
            a++;
        if (a < nanchors && anchors[a].chain == w.chain && anchors[a].ok) {
            memcpy(w.prev, anchors[a].hash, HLEN);
            memcpy(w.sealed_day, anchors[a].day, sizeof(w.sealed_day));
            w.expect = anchors[a].seq + 1;
            w.prev_id = -1;
        }
        while (k < nseals && seals[k].chain < w.chain)
            k++;
        w.seals = seals + k;
        while (k < nseals && seals[k].chain == w.chain)
            k++;
        w.nseals = (size_t)(seals + k - w.seals);
        /* with --from, a mark of a row before the anchor is not walked */
        while (w.nseals > 0 && w.seals->seq < w.expect) {
            w.seals++;
            w.nseals--;
        }
        if (chain_walk(cx, &w) != HALL_OK) {
            free(seals);
            free(anchors);
            return 3;
        }
        rows += w.rows;
    }
    for (; k < nseals; k++)
        if (seals[k].chain >= 0)
            problem(INT64_MAX, "%s: %s chain %lld: no such chain", KIND(&seals[k]), seals[k].day,
                    (long long)seals[k].chain);
    for (k = 0; k < nseals; k++)
        nmarks += seals[k].mark;
    free(seals);
    free(anchors);
    if (nprobs == 0) {
        printf("intact: %lld rows in %d chains, %zu daily seals, %zu marks%s%s\n", (long long)rows,
               nch, nseals - nmarks, nmarks, from != NULL ? " from " : "",
               from != NULL ? from : "");
        c = list_keys ? keys(cx, from) : 0;
        hall_db_rollback(cx);
        return c;
    }
    hall_db_rollback(cx);
    for (i = 0; i < nprobs; i++)
        if (first_text == NULL || probs[i].id < first) {
            first = probs[i].id;
            first_text = probs[i].text;
        }
    if (nprobs > MAX_PRINTED)
        printf("... %zu more\n", nprobs - MAX_PRINTED);
    printf("TAMPERED: %zu problem(s); the first: %s\n", nprobs, first_text);
    return 1;
}

static void
usage(void)
{
    fprintf(stderr, "usage: hall-audit -c CONF verify [--from YYYY-MM-DD]\n"
                    "       hall-audit -c CONF keys [--since YYYY-MM-DD]\n");
}

int
main(int argc, char **argv)
{
    static const struct hall_module mod = {"audit",         NULL, tool_stmts, NULL, NULL,
                                           hall_core_stmts, NULL, NULL};
    static struct hall_app app;
    const char *cmd, *from = NULL;
    struct hall_req *req;
    char err[512];
    int rc, i;

    app.mod = &mod;
    /* --from / --since DATE is taken out before getopt, which knows only -c */
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], "--from") == 0 || strcmp(argv[i], "--since") == 0) {
            if (i + 1 >= argc || !date_ok(argv[i + 1])) {
                fprintf(stderr, "hall-audit: %s needs a date YYYY-MM-DD\n", argv[i]);
                return 2;
            }
            from = argv[i + 1];
            memmove(argv + i, argv + i + 2, (size_t)(argc - i - 1) * sizeof(*argv));
            argc -= 2;
            i--;
        }
    rc = hall_tool_start(argc, argv, &app, usage, &cmd);
    if (rc != 0)
        return rc;
    list_keys = strcmp(cmd, "keys") == 0;
    if ((strcmp(cmd, "verify") != 0 && !list_keys) || argc - optind != 1) {
        usage();
        return 2;
    }
    if (hall_pki_load(&app.conf, HALL_PKI_AUDIT_CERT, err, sizeof(err)) != HALL_OK ||
        hall_pki_audit_signer(signer) != HALL_OK) {
        fprintf(stderr, "hall-audit: %s\n", err);
        return 3;
    }
    req = hall_tool_req(&app);
    if (req == NULL)
        return 3;
    rc = verify(req->cx, from);
    if (rc == 3)
        fprintf(stderr, "hall-audit: cannot read the audit log (database error, see the log)\n");
    if (req->cx->in_tx)
        hall_db_rollback(req->cx);
    hall_pool_destroy(req->pool);
    hall_conf_free(&app.conf);
    return rc;
}
