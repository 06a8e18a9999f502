'use strict';
/*
 * pgcut: a PostgreSQL proxy that loses answers, for the tests of what a lost
 * connection leaves (core/store/db.c).  It listens on a Unix socket
 * (DIR/.s.PGSQL.5432, so that a conninfo's host=DIR reaches it), forwards
 * every byte to the real server's socket and back, and follows the
 * protocol's messages in both directions (v3: a type byte and a length;
 * the client's first message, the startup packet, has no type).
 *
 * A rule names what to cut: the client's Bind of a prepared statement by
 * name (PQexecPrepared), or a simple query by its text (PQexec: COMMIT).
 * When a message matches and the rule says this one is cut (every Nth
 * match, at most `times`), nothing more that the server sends on that
 * connection is forwarded: at the server's next ReadyForQuery — the
 * statement has run and, outside a transaction, committed — both sides are
 * closed.  The client sees its connection end without an answer, as after
 * a network cut or a pooler's restart right after the commit.  A rule
 * with before: true cuts earlier: the matching message is not forwarded
 * and both sides are closed at once (the server never runs it; a
 * transaction open on that connection is rolled back).  With at: true,
 * a matching Bind goes on with its Execute, and the Sync that would end
 * its implicit transaction is not forwarded: the server runs the
 * statement and, when both sides are closed, rolls it back (a simple
 * query, COMMIT, is then cut as with before).  The client sees the same
 * thing in all three cases, and cannot tell them apart.
 *
 * Used by tests/integ/db_cut.test.js in its own process; also a program:
 *   node tests/integ/lib/pgcut.js LISTEN_DIR UPSTREAM_SOCKET STMT EVERY
 */

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/* the C string at buf[off..], and the offset after its NUL */
function cstr(buf, off) {
    const end = buf.indexOf(0, off);
    return end < 0 ? [null, buf.length] : [buf.toString('utf8', off, end), end + 1];
}

class PgCut {
    /* listenDir: where its socket is made; upstream: the server's socket file */
    constructor(listenDir, upstream) {
        this.listenDir = listenDir;
        this.upstream = upstream;
        this.rules = [];
        this.cuts = [];    /* {what, at}: each cut made */
        this.conns = new Set();
        this.server = null;
        this.record = null; /* an array: every Bind and Query seen, {what, tx} */
    }

    /*
     * Cut after the server answers matching messages: { stmt: 'name' } (a
     * Bind of that prepared statement) or { query: /regex/ } (a simple
     * query); every: cut one match in that many, the first cut at match
     * number `first` (default: every); times: at most that many cuts
     * (Infinity); before: true to cut before the server sees the message;
     * at: true to cut at its commit (above).
     */
    cut(rule) {
        this.rules.push({ every: 1, times: Infinity, first: rule.every || 1, ...rule, seen: 0, made: 0 });
    }

    /* no more cuts; the count starts again */
    clear() {
        this.rules = [];
        this.cuts = [];
    }

    count(what) {
        return this.cuts.filter((c) => what === undefined || c.what === what).length;
    }

    async start() {
        fs.mkdirSync(this.listenDir, { recursive: true });
        const sock = path.join(this.listenDir, '.s.PGSQL.5432');
        fs.rmSync(sock, { force: true });
        this.server = net.createServer((client) => this.accept(client));
        await new Promise((resolve, reject) => {
            this.server.once('error', reject);
            this.server.listen(sock, resolve);
        });
        fs.chmodSync(sock, 0o777);
        return this;
    }

    async stop() {
        for (const c of this.conns) {
            c.client.destroy();
            c.server.destroy();
        }
        if (this.server)
            await new Promise((resolve) => this.server.close(resolve));
    }

    /* does the client's message (type t, body b) arm a cut? */
    matches(conn, t, b) {
        let what = null;
        if (t === 'B') {
            const [, off] = cstr(b, 0); /* the portal */
            what = cstr(b, off)[0];
        } else if (t === 'Q') {
            what = cstr(b, 0)[0];
        }
        if (what === null)
            return null;
        if (this.record)
            this.record.push({ what: t === 'Q' ? what.trim() : what, tx: conn.tx });
        for (const r of this.rules) {
            const hit = r.stmt !== undefined ? t === 'B' && r.stmt === what
                : t === 'Q' && r.query.test(what.trim());
            if (!hit || r.made >= r.times)
                continue;
            r.seen++;
            if (r.seen >= r.first && (r.seen - r.first) % r.every === 0) {
                r.made++;
                return {
                    what: r.stmt !== undefined ? r.stmt : what.trim(),
                    before: !!r.before || (!!r.at && t === 'Q'),
                    at: !!r.at && t === 'B',
                };
            }
        }
        return null;
    }

    accept(client) {
        const server = net.createConnection(this.upstream);
        /* tx: the server's last ReadyForQuery status (I idle, T in a
         * transaction, E failed one) */
        const conn = { client, server, armed: null, atSync: null, tx: 'I' };
        this.conns.add(conn);
        let cbuf = Buffer.alloc(0);
        let sbuf = Buffer.alloc(0);
        let started = false;
        const end = () => {
            client.destroy();
            server.destroy();
            this.conns.delete(conn);
        };
        client.on('error', end);
        server.on('error', end);
        client.on('close', end);
        server.on('close', end);

        client.on('data', (d) => {
            cbuf = Buffer.concat([cbuf, d]);
            for (;;) {
                if (!started) {
                    if (cbuf.length < 8)
                        return;
                    const len = cbuf.readInt32BE(0);
                    if (cbuf.length < len)
                        return;
                    const code = cbuf.readInt32BE(4);
                    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
                        cbuf = cbuf.subarray(len);
                        client.write('N'); /* no encryption on a Unix socket */
                        continue;
                    }
                    server.write(cbuf.subarray(0, len));
                    cbuf = cbuf.subarray(len);
                    started = true;
                    continue;
                }
                if (cbuf.length < 5)
                    return;
                const len = cbuf.readInt32BE(1);
                if (cbuf.length < 1 + len)
                    return;
                const t = String.fromCharCode(cbuf[0]);
                if (conn.atSync !== null && t === 'S') {
                    /* the statement ran; its implicit transaction never ends */
                    this.cuts.push({ what: conn.atSync, at: Date.now(), mode: 'at' });
                    end();
                    return;
                }
                const hit = conn.armed === null && conn.atSync === null
                    ? this.matches(conn, t, cbuf.subarray(5, 1 + len)) : null;
                if (hit !== null && hit.before) {
                    this.cuts.push({ what: hit.what, at: Date.now(), mode: 'before' });
                    end();
                    return;
                }
                if (hit !== null && hit.at)
                    conn.atSync = hit.what;
                else if (hit !== null)
                    conn.armed = hit.what;
                server.write(cbuf.subarray(0, 1 + len));
                cbuf = cbuf.subarray(1 + len);
            }
        });

        server.on('data', (d) => {
            sbuf = Buffer.concat([sbuf, d]);
            for (;;) {
                if (sbuf.length < 5)
                    return;
                const len = sbuf.readInt32BE(1);
                if (sbuf.length < 1 + len)
                    return;
                const t = String.fromCharCode(sbuf[0]);
                const msg = sbuf.subarray(0, 1 + len);
                sbuf = sbuf.subarray(1 + len);
                if (t === 'Z')
                    conn.tx = String.fromCharCode(msg[5]);
                if (conn.armed === null) {
                    client.write(msg);
                    continue;
                }
                if (t === 'Z') {
                    this.cuts.push({ what: conn.armed, at: Date.now(), mode: 'after' });
                    end();
                    return;
                }
            }
        });
    }
}

module.exports = { PgCut };

if (require.main === module) {
    const [dir, upstream, stmt, every] = process.argv.slice(2);
    if (!dir || !upstream) {
        process.stderr.write('usage: pgcut.js LISTEN_DIR UPSTREAM_SOCKET [STMT [EVERY]]\n');
        process.exit(2);
    }
    const p = new PgCut(dir, upstream);
    if (stmt)
        p.cut({ stmt, every: Number(every || 1) });
    p.start().then(() => process.stdout.write(`pgcut listening in ${dir}\n`));
    setInterval(() => {}, 1 << 30);
}
