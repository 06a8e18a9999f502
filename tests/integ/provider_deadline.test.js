'use strict';
/*
 * Synchronous providers in the new module (carrier, courier, OCR): a
 * provider that hangs ties up at most provider_max_calls workers (half of
 * them), so pages that call no provider keep answering; a request gets one
 * deadline for all its provider calls together (provider_deadline_ms), and
 * answers with a clear Chinese 504 or 503.
 */

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { applicant } = require('./lib/client');
const { atNewForm, psql, orgForm, sandbox } = require('./lib/payflow');

const SKIP = !process.env.HALL_VAR;

async function fault(service, mode, extra = {}) {
    const r = await sandbox('/sandbox/faults', { method: 'POST', body: { service, mode, ...extra } });
    assert.equal(r.status, 200);
}

after(async () => {
    if (!SKIP) {
        await fault('carrier', 'ok');
        await fault('courier', 'ok');
    }
});

test('a hanging carrier ties up only some workers: pages without provider calls answer first', { skip: SKIP }, async () => {
    const clients = await Promise.all([atNewForm(), atNewForm(), atNewForm(), atNewForm()]);
    const before = Number(psql('SELECT count(*) FROM orders'));
    await fault('carrier', 'timeout');
    let hungAnswered = false;
    let answers;
    const pages = [];
    try {
        /* as many information entries as the module has workers, all at the carrier */
        const applies = clients.map((c) => c.post('/new/apply', { project: 'jieyang', ...orgForm() })
            .then((r) => {
                if (r.status === 504)
                    hungAnswered = true;
                return r;
            }));
        const st0 = (await sandbox('/sandbox/stats')).body.stats.carrier || { calls: 0 };
        for (let i = 0; i < 50 && ((await sandbox('/sandbox/stats')).body.stats.carrier || { calls: 0 }).calls === st0.calls; i++)
            await new Promise((ok) => setTimeout(ok, 100));
        /* pages of the same module that call no provider */
        for (let i = 0; i < 8; i++) {
            const r = await clients[i % 4].getJSON('/new/divisions?parent=440000');
            pages.push({ status: r.status, beforeHung: !hungAnswered });
        }
        answers = await Promise.all(applies);
    } finally {
        await fault('carrier', 'ok');
    }
    for (const [i, p] of pages.entries()) {
        assert.equal(p.status, 200, `page ${i}`);
        assert.ok(p.beforeHung, `page ${i} answered only after a hung request gave up`);
    }
    /* the requests at the carrier ran out of time; those beyond the cap were refused at once */
    const timedOut = answers.filter((a) => a.status === 504);
    const busy = answers.filter((a) => a.status === 503);
    assert.ok(timedOut.length >= 1, answers.map((a) => a.status).join());
    assert.equal(timedOut.length + busy.length, answers.length, answers.map((a) => a.status).join());
    for (const a of timedOut)
        assert.equal(a.body.message, '实名电信认证服务响应超时，请稍后再试');
    for (const a of busy)
        assert.equal(a.body.message, '实名电信认证服务繁忙，请稍后再试');
    assert.equal(Number(psql('SELECT count(*) FROM orders')), before, 'no order saved');
});

test('one deadline for all provider calls of a request: slow carrier + hanging courier → 504', { skip: SKIP }, async () => {
    const c = await atNewForm('hall');
    const before = Number(psql('SELECT count(*) FROM orders'));
    /* the carrier answers within its limit; the courier's call gets what is
     * left of the request's deadline, at most http_total_ms, and runs out */
    await fault('carrier', 'delay', { delay_ms: 9000 });
    await fault('courier', 'timeout');
    let r;
    try {
        r = await c.post('/new/apply', { project: 'hall', ...orgForm({ shipping: 'prepaid' }) });
    } finally {
        await fault('carrier', 'ok');
        await fault('courier', 'ok');
    }
    assert.equal(r.status, 504, r.text);
    assert.equal(r.body.message, '快递运费查询服务响应超时，请稍后再试');
    assert.equal(Number(psql('SELECT count(*) FROM orders')), before, 'no order saved');
    /* with the providers back, the same form goes through */
    const ok = await c.post('/new/apply', { project: 'hall', ...orgForm({ shipping: 'prepaid' }) });
    assert.equal(ok.status, 200, ok.text);
});

test('an OCR that answers each side in 9 s (within its limit) is served, not a 504', { skip: SKIP }, async () => {
    const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(2000, 7)]);
    const c = await applicant();
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    const form = orgForm();
    const r = await c.post('/new/apply', { project: 'jieyang', ...form });
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    psql(`UPDATE orders SET step = 'upload', printed_at = now() WHERE id = ${id}`);
    const page = await c.get(`/new/identity?id=${id}`);
    const t = page.text.match(/\/new\/m\/verify\?t=([A-Za-z0-9_-]{43})/)[1];
    const phone = new (require('./lib/client').Client)();
    assert.equal((await phone.get(`/new/m/verify?t=${t}`)).status, 200);
    await fault('ocr', 'delay', { delay_ms: 9000 });
    let o;
    try {
        o = await phone.postMultipart('/new/m/ocr', { t }, {
            front: { name: 'f.jpg', data: Buffer.concat([JPEG, Buffer.from(`SANDBOX-ID:${form.agent_name}|${form.agent_ric}\n`)]) },
            back: { name: 'b.jpg', data: Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')]) } });
    } finally {
        await fault('ocr', 'ok');
    }
    assert.equal(o.status, 200, o.text);
    assert.equal((await c.getJSON(`/new/identity/status?id=${id}`)).body.status, 'ocr_ok');
});
