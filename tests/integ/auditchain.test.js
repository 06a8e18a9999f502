'use strict';
/*
 * The audit log proves itself (docs/internals/audit-chain.md): every row
 * is chained by hash to the previous row of its chain, each Beijing day's
 * last row of each chain is signed by the CA's audit key, and
 * `hall-audit verify` recomputes all of it and names what was done to it.
 *
 * 1. Twenty applications at once through nginx: their audit rows land on
 *    several chains, no two rows at one place, and verify says intact.
 *    Writes rolled back (a transaction, a savepoint) leave no gap.
 * 2. As the database's superuser (triggers and grants bypassed): one field
 *    of one old row changed, one row deleted, one row inserted (with a
 *    correct hash: the encoding is public), one seal's signature altered:
 *    verify exits 1 and names each, the row (id, chain, seq) and what
 *    happened; undone, it is intact again.  A row dated a sealed day and
 *    written after the seal is named too.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { applicant } = require('./lib/client');
const { psql, orgForm } = require('./lib/payflow');

const SKIP = process.env.HALL_PSQL && process.env.HALL_CONF ? false : 'needs script/test';

/* psql as the cluster's superuser: what an attacker with the database has */
function su(sql) {
    const bin = (process.env.HALL_PSQL || 'psql').split(/\s+/)[0];
    return execFileSync(bin, ['-h', path.join(process.env.HALL_VAR, 'run', 'pg'), '-U', 'postgres',
        '-d', 'hall', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1',
        '-c', 'SET session_replication_role = replica', '-c', sql], { encoding: 'utf8' }).trim();
}

function verify(...args) {
    const r = spawnSync(path.join(process.env.HALL_ROOT, 'tools/audit/hall-audit'),
        ['-c', process.env.HALL_CONF, 'verify', ...args], { encoding: 'utf8' });
    return { status: r.status, out: r.stdout, err: r.stderr };
}

function pkitool(...args) {
    return spawnSync(path.join(process.env.HALL_ROOT, 'tools/pkitool/hall-pkitool'),
        ['-c', process.env.HALL_CONF, ...args], { encoding: 'utf8' });
}

function assertIntact(what) {
    const v = verify();
    assert.equal(v.status, 0, `${what}: ${v.out}${v.err}`);
    assert.match(v.out, /^intact: \d+ rows in \d+ chains/m);
}

/* verify's report: exit 1, the line named, and it is the first problem */
function assertTampered(want) {
    const v = verify();
    assert.equal(v.status, 1, v.out + v.err);
    const lines = v.out.trim().split('\n');
    assert.ok(lines.includes(want), `expected "${want}" in:\n${v.out}`);
    assert.equal(lines[lines.length - 1], `TAMPERED: ${lines.length - 1} problem(s); the first: ${want}`);
    return lines;
}

/* hall-outbox's CA tick marks each chain's new last row every 2 s, under
 * the transaction lock 'hall-audit-mark' (core/pki/auditanchor.c): a
 * session holding it keeps the marker off a row that a test writes and
 * takes out again (marked, the row taken out would leave its mark
 * dangling, which verify rightly reports).  Resolves to the release. */
function holdMarker() {
    const argv = process.env.HALL_PSQL.trim().split(/\s+/);
    const p = spawn(argv[0], [...argv.slice(1), '-At', '-v', 'ON_ERROR_STOP=1'],
        { stdio: ['pipe', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
        let out = '';
        p.on('error', reject);
        p.on('exit', (code) => reject(new Error(`the marker's lock holder ended (${code})`)));
        p.stdout.on('data', (d) => {
            out += d;
            if (out.includes('held')) {
                p.removeAllListeners('exit');
                resolve(() => new Promise((done) => {
                    p.on('exit', done);
                    p.stdin.end();
                }));
            }
        });
        p.stdin.write("SELECT pg_advisory_lock(hashtextextended('hall-audit-mark', 0)), 'held';\n");
    });
}

let orders;

/* a row of this test's orders with a row before and after it in its chain */
function middleRow() {
    const [id, chain, seq, prevId, nextId] = psql(`SELECT a.id, a.chain, a.seq, p.id, n.id
        FROM audit_log a
        JOIN audit_log p ON p.chain = a.chain AND p.seq = a.seq - 1
        JOIN audit_log n ON n.chain = a.chain AND n.seq = a.seq + 1
        WHERE a.entity = 'order' AND a.entity_id IN (${orders.map((o) => `'${o}'`).join(',')})
        ORDER BY a.id LIMIT 1`).split('|');
    return { id, chain, seq, prevId, nextId };
}

before(async () => {
    if (SKIP)
        return;
    const clients = await Promise.all(Array.from({ length: 20 }, () => applicant()));
    await Promise.all(clients.map(async (c) => {
        assert.equal((await c.get('/new?project=jieyang')).status, 200);
        const a = await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
        assert.equal(a.status, 200, a.text);
    }));
    const rs = await Promise.all(clients.map((c) => c.post('/new/apply', { project: 'jieyang', ...orgForm() })));
    orders = rs.map((r) => {
        assert.equal(r.status, 200, r.text);
        return Number(r.body.redirect.match(/id=(\d+)/)[1]);
    });
});

test('twenty applications at once: chained on several chains, verify says intact', { skip: SKIP }, () => {
    const list = orders.map((o) => `'${o}'`).join(',');
    const rows = psql(`SELECT count(*), count(DISTINCT chain) FROM audit_log
                       WHERE entity = 'order' AND entity_id IN (${list}) AND action = 'create'`).split('|');
    assert.equal(rows[0], '20');
    assert.ok(Number(rows[1]) > 1, `the writers used ${rows[1]} chain(s)`);
    assert.equal(psql(`SELECT count(*) FROM (SELECT chain, seq FROM audit_log
                       GROUP BY 1, 2 HAVING count(*) > 1) d`), '0');
    /* each chain is 1, 2, 3 ... with no gap */
    assert.equal(psql(`SELECT count(*) FROM (SELECT chain FROM audit_log GROUP BY chain
                       HAVING max(seq) <> count(*)) d`), '0');
    assertIntact('an untouched audit log');
});

test('rolled-back writes (a transaction, a savepoint) leave the chain whole', { skip: SKIP }, () => {
    /* one session: its chain's head is kept in the session and must roll
     * back with the rows */
    const argv = process.env.HALL_PSQL.trim().split(/\s+/);
    const row = (what) => `INSERT INTO audit_log (actor, entity, entity_id, action)
                           VALUES ('test:auditchain', 'test', 'rollback', '${what}')`;
    const out = execFileSync(argv[0], [...argv.slice(1), '-At', '-v', 'ON_ERROR_STOP=1',
        '-c', 'BEGIN', '-c', row('first, rolled back'), '-c', 'ROLLBACK',
        '-c', row('kept 1'),
        '-c', 'BEGIN', '-c', row('kept 2'), '-c', 'SAVEPOINT s', '-c', row('rolled back to s'),
        '-c', 'ROLLBACK TO SAVEPOINT s', '-c', row('kept 3'), '-c', 'COMMIT',
        '-c', `SELECT string_agg(action || '@' || seq, ',' ORDER BY seq) FROM audit_log
               WHERE entity_id = 'rollback' AND chain = (SELECT chain FROM audit_log
               WHERE entity_id = 'rollback' ORDER BY id DESC LIMIT 1)`], { encoding: 'utf8' }).trim();
    const seqs = out.split('\n').pop().split(',').map((x) => x.split('@'));
    assert.deepEqual(seqs.map((x) => x[0]), ['kept 1', 'kept 2', 'kept 3']);
    assert.equal(Number(seqs[1][1]), Number(seqs[0][1]) + 1);
    assert.equal(Number(seqs[2][1]), Number(seqs[0][1]) + 2);
    assertIntact('after the rollbacks');
});

/* the trigger hashes a row's text fields through array_send when the
 * session's client encoding is UTF8 (sql/108) and through audit_row_hash
 * otherwise: both give audit_row_hash's bytes, for Chinese and a jsonb
 * detail, NULLs and empty strings */
test('rows with Chinese, a jsonb detail and NULLs, from a UTF8 and a GBK session: the hashes are audit_row_hash\'s', { skip: SKIP }, () => {
    const argv = process.env.HALL_PSQL.trim().split(/\s+/);
    const tag = `encoding-${Date.now()}`;
    /* the text built with chr(): the same characters whatever the client's encoding */
    const zh = (...cps) => cps.map((c) => `chr(${c})`).join(' || ');
    for (const enc of ['UTF8', 'GBK']) {
        execFileSync(argv[0], [...argv.slice(1), '-At', '-v', 'ON_ERROR_STOP=1',
            '-c', `SET client_encoding = '${enc}'`,
            '-c', `INSERT INTO audit_log (actor, entity, entity_id, action, from_state, to_state, detail, ip, request_id)
                   VALUES ('staff:' || ${zh(23457, 26680)}, 'test', '${tag}', ${zh(36890, 36807)}, NULL, '',
                           jsonb_build_object(${zh(21407, 22240)}, ${zh(36164, 26009)} || ' ${enc}', 'n', 1), NULL, '${enc}')`],
        { encoding: 'utf8' });
    }
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE entity_id = '${tag}'
        AND hash = audit_row_hash(prev_hash, chain, seq, id, at, actor, entity, entity_id, action,
                                  from_state, to_state, detail, ip, request_id)`), '2');
    assertIntact('rows written in two client encodings');
});

test('one field of one old row changed: verify names the row', { skip: SKIP }, () => {
    const r = middleRow();
    const actor = su(`SELECT actor FROM audit_log WHERE id = ${r.id}`);
    su(`UPDATE audit_log SET actor = 'user:1' WHERE id = ${r.id}`);
    try {
        assertTampered(`changed: row ${r.id} (chain ${r.chain}, seq ${r.seq}): its contents do not match its hash`);
    } finally {
        su(`UPDATE audit_log SET actor = '${actor}' WHERE id = ${r.id}`);
    }
    assertIntact('the field put back');
});

test('one row deleted: verify names its place and its neighbours', { skip: SKIP }, () => {
    const r = middleRow();
    su(`CREATE TABLE IF NOT EXISTS audit_log_kept AS SELECT * FROM audit_log WHERE false`);
    su(`INSERT INTO audit_log_kept SELECT * FROM audit_log WHERE id = ${r.id}`);
    su(`DELETE FROM audit_log WHERE id = ${r.id}`);
    try {
        assertTampered(`removed: chain ${r.chain} seq ${r.seq}, between row ${r.prevId} and row ${r.nextId}`);
    } finally {
        su(`INSERT INTO audit_log SELECT * FROM audit_log_kept WHERE id = ${r.id}; DROP TABLE audit_log_kept`);
    }
    assertIntact('the row put back');
});

test('one row inserted with a correct hash: verify names it', { skip: SKIP }, () => {
    const r = middleRow();
    /* the forger copies the row's place, changes who did it, rehashes */
    const id = su(`WITH n AS (SELECT nextval('audit_log_id_seq') AS id)
        INSERT INTO audit_log (id, at, actor, entity, entity_id, action, chain, seq, prev_hash, hash)
        SELECT n.id, a.at, 'staff:1', a.entity, a.entity_id, 'approve', a.chain, a.seq, a.prev_hash,
               audit_row_hash(a.prev_hash, a.chain, a.seq, n.id, a.at, 'staff:1', a.entity,
                              a.entity_id, 'approve', NULL, NULL, NULL, NULL, NULL)
          FROM audit_log a, n WHERE a.id = ${r.id} RETURNING id`).split('\n').pop();
    try {
        assertTampered(`inserted: row ${id} (chain ${r.chain}, seq ${r.seq}): a second row at this place`);
    } finally {
        su(`DELETE FROM audit_log WHERE id = ${id}`);
    }
    assertIntact('the row taken out');
});

test('a day is sealed by the audit key; an altered seal is reported', { skip: SKIP }, async () => {
    /* a row of yesterday (Beijing), so that a day is over and can be sealed */
    const row = psql(`INSERT INTO audit_log (at, actor, entity, entity_id, action)
        VALUES (now() - interval '1 day', 'test:auditchain', 'test', 'seal', 'yesterday')
        RETURNING id, chain, seq`).split('\n')[0].split('|');
    const t = pkitool('audit-seal', '0');
    assert.equal(t.status, 0, t.stdout + t.stderr);
    const seal = psql(`SELECT to_char(day, 'YYYY-MM-DD'), seq, encode(hash, 'hex') FROM audit_seals
                       WHERE chain = ${row[1]} ORDER BY day DESC LIMIT 1`).split('|');
    assert.equal(seal[1], row[2], 'the seal is of the day\'s last row');
    assert.equal(seal[2], psql(`SELECT encode(hash, 'hex') FROM audit_log WHERE id = ${row[0]}`));
    assertIntact('sealed');
    /* the seal's hash changed (its row's with it, and the chain re-hashed
     * after it would still not carry the audit key's signature) */
    const sig = su(`SELECT encode(signature, 'hex') FROM audit_seals WHERE chain = ${row[1]} AND day = '${seal[0]}'`);
    const bad = sig.slice(0, -2) + (sig.slice(-2) === '00' ? '01' : '00');
    su(`UPDATE audit_seals SET signature = '\\x${bad}' WHERE chain = ${row[1]} AND day = '${seal[0]}'`);
    try {
        const v = verify();
        assert.equal(v.status, 1, v.out);
        assert.ok(v.out.includes(`seal: ${seal[0]} chain ${row[1]} (seq ${seal[1]}): the signature does not verify (the seal was changed)`), v.out);
    } finally {
        su(`UPDATE audit_seals SET signature = '\\x${sig}' WHERE chain = ${row[1]} AND day = '${seal[0]}'`);
    }
    assertIntact('the seal put back');
    /* --from today: anchored at the seal, the rows since checked */
    const today = psql(`SELECT to_char((now() AT TIME ZONE 'Asia/Shanghai')::date, 'YYYY-MM-DD')`);
    const v = verify('--from', today);
    assert.equal(v.status, 0, v.out + v.err);
    assert.match(v.out, new RegExp(`^intact: \\d+ rows in \\d+ chains, \\d+ daily seals, \\d+ marks from ${today}$`, 'm'));

    /* a row of that sealed day written now, the ordinary way (the trigger
     * chains it), by a session that takes the sealed chain; the marker held
     * off while it is there */
    const release = await holdMarker();
    try {
        const argv = process.env.HALL_PSQL.trim().split(/\s+/);
        const late = execFileSync(argv[0], [...argv.slice(1), '-At', '-v', 'ON_ERROR_STOP=1',
            '-c', `SELECT pg_try_advisory_lock(1635083363, ${row[1]})`,
            '-c', `INSERT INTO audit_log (at, actor, entity, entity_id, action)
                   VALUES (now() - interval '1 day', 'staff:1', 'order', '1', 'approve')
                   RETURNING id, chain, seq`], { encoding: 'utf8' }).trim().split('\n');
        assert.equal(late[0], 't', 'the sealed chain was free to take');
        const [lid, lchain, lseq] = late[1].split('|');
        assert.equal(lchain, row[1]);
        try {
            assertTampered(`inserted: row ${lid} (chain ${lchain}, seq ${lseq}): dated ${seal[0]}, after the seal of ${seal[0]}`);
        } finally {
            su(`DELETE FROM audit_log WHERE id = ${lid}`);
        }
    } finally {
        await release();
    }
    assertIntact('the late row taken out');
});

test('each chain\'s last row is marked by the audit key: a row removed from the end of a chain is reported, an altered mark too', { skip: SKIP }, () => {
    /* a row of now, the ordinary way (the trigger chains it) */
    const [id, chain, seq] = psql(`INSERT INTO audit_log (at, actor, entity, entity_id, action)
        VALUES (now(), 'test:auditchain', 'test', 'mark', 'now')
        RETURNING id, chain, seq`).split('\n')[0].split('|');
    /* hall-outbox marks it by itself (audit_mark_s = 2 in the test hall) */
    const marked = () => psql(`SELECT count(*) FROM audit_marks WHERE chain = ${chain} AND seq = ${seq}`);
    for (let i = 0; i < 150 && marked() === '0'; i++)
        spawnSync('sleep', ['0.1']);
    assert.equal(marked(), '1', 'hall-outbox marked the chain\'s new last row');
    const t = pkitool('audit-mark');
    assert.equal(t.status, 0, t.stdout + t.stderr);
    assert.match(t.stdout, /^\d+ chain\(s\) of the audit log marked$/m);
    const [at, hash] = psql(`SELECT to_char(marked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                    encode(hash, 'hex')
                               FROM audit_marks WHERE chain = ${chain} AND seq = ${seq}`).split('|');
    assert.equal(hash, psql(`SELECT encode(hash, 'hex') FROM audit_log WHERE id = ${id}`), 'the row is marked');
    const v = verify();
    assert.equal(v.status, 0, v.out + v.err);
    assert.match(v.out, /^intact: \d+ rows in \d+ chains, \d+ daily seals, [1-9]\d* marks$/m);

    /* the chain's last row removed: nothing after it to notice, but its mark */
    su(`CREATE TABLE IF NOT EXISTS audit_log_kept AS SELECT * FROM audit_log WHERE false`);
    su(`INSERT INTO audit_log_kept SELECT * FROM audit_log WHERE id = ${id}`);
    su(`DELETE FROM audit_log WHERE id = ${id}`);
    try {
        assertTampered(`mark: ${at} chain ${chain}: its row (seq ${seq}) is missing`);
    } finally {
        su(`INSERT INTO audit_log SELECT * FROM audit_log_kept WHERE id = ${id}; DROP TABLE audit_log_kept`);
    }
    assertIntact('the row put back');

    /* the mark's signature altered */
    const sig = su(`SELECT encode(signature, 'hex') FROM audit_marks WHERE chain = ${chain} AND seq = ${seq}`);
    const bad = sig.slice(0, -2) + (sig.slice(-2) === '00' ? '01' : '00');
    su(`UPDATE audit_marks SET signature = '\\x${bad}' WHERE chain = ${chain} AND seq = ${seq}`);
    try {
        assertTampered(`mark: ${at} chain ${chain} (seq ${seq}): the signature does not verify (the mark was changed)`);
    } finally {
        su(`UPDATE audit_marks SET signature = '\\x${sig}' WHERE chain = ${chain} AND seq = ${seq}`);
    }
    assertIntact('the mark put back');
    /* marked already: nothing new to mark on that chain */
    assert.equal(pkitool('audit-mark').status, 0);
    assert.equal(psql(`SELECT count(*) FROM audit_marks WHERE chain = ${chain} AND seq = ${seq}`), '1');
});
