'use strict';
/*
 * The partners' shared secrets at rest (issue 51 §2, docs/operations.md
 * "Secrets at rest", sql/140_partner_secrets_enc.sql): a partner's signed
 * links' key, its webhooks' key and its API keys' secrets are kept
 * encrypted under the PII key, so that a copy of var/ (the cluster var/pg,
 * its WAL) or a backup's dump does not give them away.
 *
 *   - set the operator's way (hall-pkitool partner-secret / partner-key,
 *     the secret on standard input), after a checkpoint and a WAL switch no
 *     file under var/ holds their bytes, nor the SQL of a script/backup's
 *     dump, nor the seeded development secret of hunan; the link and the
 *     API request signed with them are accepted;
 *   - a secret left in clear by an older hall is encrypted by the start's
 *     step (hall-pkitool partner-secrets, script/lib/common.sh start_all),
 *     in one transaction, and keeps working; the step run again changes
 *     nothing; a clear secret can no longer be written.
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');
const { SKIP, HALL_VAR, HALL_ROOT, sql, sql1 } = require('./lib/hall');
const { HALL } = require('./lib/client');
const { setPartnerSecret, addPartnerKey, pkitoolIn, walk } = require('./lib/secrets');

const DEV_LINK = 'dev-only-hunan-link-secret-change-me';
const work = SKIP ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'hall-psec-'));

after(() => {
    if (SKIP)
        return;
    /* hunan's development secret back, for the tests after this one */
    setPartnerSecret('hunan', 'link', DEV_LINK);
    fs.rmSync(work, { recursive: true, force: true });
});

/* psql as the cluster's superuser (CHECKPOINT, pg_switch_wal, the checks) */
function su(query) {
    const bin = process.env.HALL_PSQL.trim().split(/\s+/)[0];
    return execFileSync(bin, ['-h', path.join(HALL_VAR, 'run', 'pg'), '-U', 'postgres', '-d', 'hall', '-X', '-q',
        '-At', '-v', 'ON_ERROR_STOP=1', '-c', query], { encoding: 'utf8' }).trim();
}


/* "FILE holds WHAT" for each file under dir holding one of the needles */
function holding(dir, needles) {
    const found = [];
    for (const f of walk(dir)) {
        let buf;
        try {
            buf = fs.readFileSync(f);
        } catch {
            continue; /* gone meanwhile */
        }
        for (const [what, n] of needles)
            if (buf.includes(Buffer.from(n)))
                found.push(`${path.relative(dir, f)} holds ${what}`);
    }
    return found;
}

const pct = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/* GET /<partner>/new/entry signed with secret: the status (303 accepted, 403 refused) */
async function entry(partner, secret) {
    const p = { cert_type: 'org', org_name: '湖南示例有限公司', nonce: crypto.randomBytes(8).toString('hex'),
        ts: String(Math.floor(Date.now() / 1000)) };
    const canon = Object.keys(p).sort().map((k) => `${pct(k)}=${pct(p[k])}`).join('&');
    const sign = crypto.createHmac('sha256', secret).update(canon).digest('hex');
    const r = await fetch(`${HALL}/${partner}/new/entry?${canon}&sign=${sign}`, { redirect: 'manual' });
    await r.text();
    return r.status;
}

/* a signed GET of the partner API with key {id, secret}: the status */
async function api(key) {
    const pq = '/partner-api/v1/orders/changed?since=2020-01-01T00:00:00Z&limit=1';
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = crypto.randomBytes(12).toString('hex');
    const sig = crypto.createHmac('sha256', key.secret).update(`GET\n${pq}\n${ts}\n${nonce}\n`).digest('hex');
    const r = await fetch(HALL + pq, { headers: { 'X-Hall-Key-Id': key.id, 'X-Hall-Timestamp': ts,
        'X-Hall-Nonce': nonce, 'X-Hall-Signature': sig, Accept: 'application/json' } });
    await r.text();
    return r.status;
}

test('partner secrets set by hall-pkitool are nowhere in var/ nor in a backup, and still sign', { skip: SKIP, timeout: 180000 }, async () => {
    const link = `psec-link-${crypto.randomBytes(16).toString('hex')}`;
    const hook = `psec-hook-${crypto.randomBytes(16).toString('hex')}`;
    const key = { id: `psec-${crypto.randomBytes(4).toString('hex')}`, secret: `psec-key-${crypto.randomBytes(20).toString('hex')}` };
    setPartnerSecret('hunan', 'link', link);
    setPartnerSecret('jieyang', 'hook', hook);
    addPartnerKey('hunan', key.id, key.secret, '1 hour');

    /* the hall opens them where it reads them */
    assert.equal(await entry('hunan', link), 303, 'a link signed with the new secret is accepted');
    assert.equal(await entry('hunan', DEV_LINK), 403, 'the old secret no longer signs');
    assert.equal(await api(key), 200, 'a request signed with the new API key is accepted');
    assert.equal(sql1(`SELECT count(*) FROM partners WHERE link_secret IS NOT NULL OR hook_secret IS NOT NULL`), '0');
    assert.equal(sql1(`SELECT count(*) FROM partner_api_keys WHERE secret IS NOT NULL`), '0');
    assert.equal(sql1(`SELECT octet_length(link_secret_enc) > ${link.length} FROM partners WHERE code = 'hunan'`), 't');

    /* everything the cluster has written reaches the files: heap, WAL */
    su('CHECKPOINT');
    su('SELECT pg_switch_wal()');
    su('CHECKPOINT');
    const backup = path.join(work, 'hall.backup');
    const b = spawnSync(path.join(HALL_ROOT, 'script', 'backup'), ['-o', backup, '--var', HALL_VAR],
        { env: { ...process.env, HALL_BACKUP_PASSPHRASE: `psec-backup-${crypto.randomBytes(6).toString('hex')}` },
            encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr + b.stdout);
    /* the dump is compressed: its SQL, as pg_restore writes it, is what to read */
    execFileSync('tar', ['-xf', backup, '-C', work, 'db.dump']);
    const pgBin = path.dirname(process.env.HALL_PSQL.trim().split(/\s+/)[0]);
    execFileSync(path.join(pgBin, 'pg_restore'), ['-f', path.join(work, 'db.sql'), path.join(work, 'db.dump')]);
    assert.match(fs.readFileSync(path.join(work, 'db.sql'), 'utf8'), /partner_api_keys/, 'the dump read as SQL');

    /* the scan sees what the cluster keeps in clear: the key's id, written
     * beside its secret, is found both in var/pg and in the dump */
    const control = holding(HALL_VAR, [['the key id', key.id]]);
    assert.ok(control.some((f) => f.startsWith('pg/')), `the key id is found under var/pg: ${control}`);
    assert.ok(holding(work, [['the key id', key.id]]).some((f) => f.startsWith('db.sql')),
        'the key id is found in the dump');

    const needles = [['the link secret', link], ['the webhook secret', hook], ['the API key secret', key.secret],
        ["hunan's development link secret", DEV_LINK]];
    assert.deepEqual(holding(HALL_VAR, needles), [], 'no file under var/ holds a partner secret');
    assert.deepEqual(holding(work, needles), [], 'neither the backup nor its dump holds a partner secret');
});

test('a partner secret left in clear is encrypted at the next start, once, and keeps working', { skip: SKIP, timeout: 60000 }, async () => {
    const link = `psec-clear-${crypto.randomBytes(16).toString('hex')}`;
    const key = { id: `psecc-${crypto.randomBytes(4).toString('hex')}`, secret: `psec-clear-key-${crypto.randomBytes(20).toString('hex')}` };
    /* what the hall refuses now ... */
    const r = spawnSync(process.env.HALL_PSQL.trim().split(/\s+/)[0], [...process.env.HALL_PSQL.trim().split(/\s+/).slice(1),
        '-v', 'ON_ERROR_STOP=1', '-c', `UPDATE partners SET link_secret = '${link}' WHERE code = 'szjsgws'`], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, 'a clear link secret cannot be written');
    assert.match(r.stderr, /partners\.link_secret is not kept in clear: set the secret with hall-pkitool/);
    /* ... an older hall wrote: its rows kept as they were (the triggers
     * that refuse it off for this session only) */
    su(`SET session_replication_role = replica;
        UPDATE partners SET link_secret = '${link}', link_secret_enc = NULL WHERE code = 'szjsgws';
        INSERT INTO partner_api_keys (key_id, partner_code, secret, not_after)
            VALUES ('${key.id}', 'jieyang', '${key.secret}', now() + interval '1 hour')`);
    /* such a row may still change otherwise until it is moved */
    sql(`UPDATE partners SET review_sla_days = review_sla_days WHERE code = 'szjsgws'`);
    try {
        assert.equal(await entry('szjsgws', link), 404, 'a clear secret is not used: the link is not open');
        /* what script/lib/common.sh's start_all runs at every start */
        assert.match(fs.readFileSync(path.join(HALL_ROOT, 'script', 'lib', 'common.sh'), 'utf8'),
            /start_all\(\) \{\n {4}partner_secrets\n/);
        assert.match(pkitoolIn(['partner-secrets'], ''), /^partner secrets: 2 moved from clear to encrypted, 0 development/);
        assert.deepEqual(sql(`SELECT link_secret IS NULL, link_secret_enc IS NOT NULL FROM partners WHERE code = 'szjsgws'`),
            [['t', 't']]);
        assert.deepEqual(sql(`SELECT secret IS NULL, secret_enc IS NOT NULL FROM partner_api_keys WHERE key_id = '${key.id}'`),
            [['t', 't']]);
        assert.equal(await entry('szjsgws', link), 303, 'the moved link secret signs');
        assert.equal(await api(key), 200, 'the moved API key signs');
        assert.match(pkitoolIn(['partner-secrets'], ''), /^partner secrets: 0 moved from clear to encrypted, 0 development/,
            'run again: nothing to do');
    } finally {
        pkitoolIn(['partner-secret', 'szjsgws', 'link', 'remove'], '');
    }
});

/* partners.md's shell blocks that set a link secret and add an API key,
 * run as written (the hall.conf and the key id ours; the psql lines,
 * whose "psql ..." stands for the operator's connection, left out) */
test('partners.md set-up lines set secrets the hall then verifies', { skip: SKIP, timeout: 60000 }, async () => {
    const doc = fs.readFileSync(path.join(HALL_ROOT, 'docs', 'partners.md'), 'utf8');
    const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
    const run = (needle, edit = (t) => t) => {
        const b = blocks.find((x) => x.includes(needle));
        assert.ok(b, `partners.md has a shell block with ${needle}`);
        const script = edit(b.split('\n').filter((l) => !l.startsWith('psql ') && !l.startsWith(' ') &&
            !l.startsWith('#')).join('\n')).replaceAll('-c var/hall.conf', `-c '${process.env.HALL_CONF}'`);
        const r = spawnSync('bash', ['-euc', `${script}\necho "SECRET=$secret"`], { cwd: HALL_ROOT, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.match(/^SECRET=(.+)$/m)[1];
    };
    const link = run('partner-secret hunan link');
    assert.equal(await entry('hunan', link), 303, "the documented link secret signs hunan's links");
    const id = `docs-${crypto.randomBytes(4).toString('hex')}`;
    const secret = run('partner-key hunan', (t) => t.replace('hunan-2026b', id));
    assert.equal(await api({ id, secret }), 200, 'the documented key signs API requests');
});
