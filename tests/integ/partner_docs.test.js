'use strict';
/*
 * docs/partners.md's shell stays true: its papi() function signs and sends
 * a partner API request the hall accepts, and its openssl lines check both
 * signatures of a status webhook the hall really sent (HMAC OK, CMS OK).
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL, SANDBOX, applicant } = require('./lib/client');
const { psql, orgForm, unpaidOrder } = require('./lib/payflow');
const { fetchPki } = require('./lib/pki');
const { SKIP, waitFor } = require('./lib/hall');
const { setPartnerSecret, addPartnerKey } = require('./lib/secrets');

const DOC = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'partners.md'), 'utf8');
const blocks = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
const block = (needle) => {
    const b = blocks.find((x) => x.includes(needle));
    assert.ok(b, `partners.md has a shell block with ${needle}`);
    return b;
};
const bash = (script, cwd, env = {}) => spawnSync('bash', ['-c', script], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });

after(() => {
    if (!SKIP)
        psql(`UPDATE partners SET hook_url = NULL, hook_secret = NULL, hook_events = '{}' WHERE code = 'jieyang'`);
});

test('partners.md papi() signs a request the hall accepts', { skip: SKIP }, () => {
    const key = { id: `docs-${crypto.randomBytes(4).toString('hex')}`, secret: crypto.randomBytes(24).toString('hex') };
    addPartnerKey('hunan', key.id, key.secret, '1 hour');
    /* the block's first line names the example's hall and key: ours instead */
    const fn = block('papi() {').split('\n').filter((l) => !l.startsWith('H=')).join('\n');
    const r = bash(`${fn}\npapi GET '/partner-api/v1/orders/changed?since=2020-01-01T00:00:00Z&limit=1'`, os.tmpdir(),
        { H: HALL, KEY: key.id, SECRET: key.secret });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).ok, true, r.stdout);
});

test('partners.md: every papi example of "One curl example per call" is accepted by the hall', { skip: SKIP }, () => {
    const key = { id: `docs-${crypto.randomBytes(4).toString('hex')}`, secret: crypto.randomBytes(24).toString('hex') };
    addPartnerKey('hunan', key.id, key.secret, '1 hour');
    const fn = block('papi() {').split('\n').filter((l) => !l.startsWith('H=')).join('\n');
    const examples = blocks.filter((b) => /^papi (GET|POST)/m.test(b) && !b.includes('papi() {'));
    assert.ok(examples.length >= 3, 'an example per call');
    let calls = 0;
    for (const ex of examples) {
        /* each example as written, its comment lines (the answers) aside */
        const r = bash(`${fn}\n${ex}`, os.tmpdir(), { H: HALL, KEY: key.id, SECRET: key.secret });
        assert.equal(r.status, 0, r.stderr);
        const answers = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l.replace(/^[^{]*/, '')));
        for (const a of answers) {
            calls++;
            /* signed right and well formed: made, found, or not found among hunan's orders */
            assert.ok(a.ok === true || a.message === '业务单不存在', `${ex}\n→ ${JSON.stringify(a)}`);
        }
    }
    const sent = examples.join('\n').split('\n').filter((l) => /^papi /.test(l)).length;
    assert.equal(calls, sent, 'one answer per papi line');
});

test('partners.md openssl lines check both signatures of a webhook the hall sent', { skip: SKIP }, async () => {
    const secret = crypto.randomBytes(20).toString('hex');
    setPartnerSecret('jieyang', 'hook', secret);
    psql(`UPDATE partners SET hook_url = '${SANDBOX}/partner/hook/jieyang',
        hook_events = '{order.submitted}' WHERE code = 'jieyang'`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-docs-'));
    await fetchPki(dir);
    await fetch(`${SANDBOX}/sandbox/partner/config`, { method: 'POST', body: JSON.stringify({ partner: 'jieyang', secret, ca_file: path.join(dir, 'root.crt'), clear: true }) });
    const o = await unpaidOrder(await applicant(), { form: orgForm() });
    const no = psql(`SELECT order_no FROM orders WHERE id = ${o.id}`);
    const rec = await waitFor('the event received', async () => {
        const got = (await (await fetch(`${SANDBOX}/sandbox/partner/received?partner=jieyang`)).json()).received;
        return got.find((x) => x.status === 200 && x.body.order.order_no === no);
    }, { timeoutMs: 30000 });
    fs.writeFileSync(path.join(dir, 'body.json'), rec.raw);
    const r = bash(block('openssl cms -verify'), dir, { ts: rec.ts, nonce: rec.nonce, sig: rec.sig, cms: rec.cms, secret });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /HMAC OK/);
    assert.match(r.stdout, /CMS OK/);
    assert.match(r.stdout, /subject=.*Partner Notification Signer/);
});
