'use strict';
/*
 * Headless Chromium with the 证书助手 (issue 70 §1; docs/internals/assist.md):
 * the extension of tools/assist/extension/ loaded, hall-assist registered as
 * its native-messaging host, the test pinentry answering its PINs.
 */
const fs = require('node:fs');
const path = require('node:path');
const { HALL } = require('../../integ/lib/client');
const { TOOL, hostEnv } = require('../../integ/lib/native');
const { FLAGS } = require('./browser');
const assert = require('node:assert/strict');
const { freshPhone } = require('../../integ/lib/client');
const { operator, acceptedByTransfer, smsTo, psql, orgForm } = require('../../integ/lib/pki');
const { freshAccount } = require('../../integ/lib/payflow');

const ROOT = path.resolve(__dirname, '..', '..', '..');

/*
 * A Chromium profile in dir with the extension (its content script on the
 * hall's origin, as the package's is on the production hall's) and the
 * native host registered, hall-assist's environment (hostEnv) given to the
 * browser, which passes it on to the host it starts.
 */
async function withAssistant(dir, medium) {
    const { chromium } = require('playwright-core');
    const origin = new URL(HALL).origin;
    const ext = path.join(dir, 'extension');
    fs.mkdirSync(ext);
    for (const f of ['background.js', 'content.js'])
        fs.copyFileSync(path.join(ROOT, 'tools/assist/extension', f), path.join(ext, f));
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'tools/assist/extension/manifest.json'), 'utf8'));
    manifest.content_scripts[0].matches = [`${origin}/*`];
    fs.writeFileSync(path.join(ext, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const profile = path.join(dir, 'profile');
    fs.mkdirSync(path.join(profile, 'NativeMessagingHosts'), { recursive: true });
    const host = JSON.parse(fs.readFileSync(path.join(ROOT, 'tools/assist/native/chromium.json'), 'utf8'));
    host.path = TOOL;
    fs.writeFileSync(path.join(profile, 'NativeMessagingHosts', 'cn.hall.assist.json'), JSON.stringify(host));
    const h = hostEnv(dir, [origin], medium);
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: process.env.HALL_CHROMIUM || '/usr/bin/chromium',
        headless: false, /* FLAGS' --headless: the new headless, which loads extensions */
        ignoreDefaultArgs: ['--disable-extensions'],
        args: [...FLAGS, `--disable-extensions-except=${ext}`, `--load-extension=${ext}`],
        env: h.env, viewport: { width: 1200, height: 1000 }, locale: 'zh-CN', acceptDownloads: true,
    });
    return { context, ...h };
}

/* a 新办 机构证书 on a SoftHSM2 medium, in its renewal window, and its
 * 证书更新 order submitted (the path of tests/integ/assist_renew.test.js) */
async function renewalOfMedium() {
    const op = await operator();
    const phone = freshPhone('137');
    const o = await acceptedByTransfer({ project: 'hall', form: orgForm({ agent_mobile: phone }) });
    const made = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(made.status, 200, made.text);
    const [serial, medium] = psql(`SELECT serial || '|' || medium_serial FROM certificates
        WHERE order_id = ${o.id} AND state = 'issued'`).split('|');
    const pin = (await smsTo(phone, new RegExp(`序列号${serial}`))).match(/PIN码为：(\d+)/)[1];
    psql(`UPDATE certificates SET not_after = date_trunc('second', now() + interval '10 days'),
        not_before = date_trunc('second', now() + interval '10 days') - interval '1 year' WHERE serial = '${serial}'`);
    assert.equal((await o.c.post('/renew/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    const page = await o.c.get(`/renew/apply?project=hall&serial=${serial}`);
    assert.equal(page.status, 200, page.text);
    const f = orgForm({ agent_mobile: phone });
    for (const k of ['cert_type', 'bank_account_name', 'bank_branch_id', 'bank_account'])
        delete f[k];
    const r = await o.c.post('/renew/apply', { project: 'hall', serial, years: '1', ...f,
        submit_key: page.text.match(/name="submit_key" value="([^"]+)"/)[1] });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/^\/renew\/print\?id=(\d+)$/)[1]);
    return { c: o.c, serial, medium, pin, id };
}

/* a 新办 机构证书 on a SoftHSM2 medium and its 证书变更 order (the unit
 * renamed to newOrg) submitted (the path of tests/integ/assist_change.test.js) */
async function changeOfMedium(newOrg) {
    const op = await operator();
    const phone = freshPhone('137');
    const form = orgForm({ agent_mobile: phone });
    const o = await acceptedByTransfer({ project: 'hall', form });
    const made = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(made.status, 200, made.text);
    const [serial, medium] = psql(`SELECT serial || '|' || medium_serial FROM certificates
        WHERE order_id = ${o.id} AND state = 'issued'`).split('|');
    const pin = (await smsTo(phone, new RegExp(`序列号${serial}`))).match(/PIN码为：(\d+)/)[1];
    assert.equal((await o.c.post('/change/agree', { project: 'hall', agree1: 'on', agree2: 'on' })).status, 200);
    assert.equal((await o.c.get(`/change/serial?project=hall&serial=${serial}`)).status, 200);
    const page = await o.c.get(`/change/apply?project=hall&serial=${serial}`);
    assert.equal(page.status, 200, page.text);
    const f = { ...form, bank_account: freshAccount(), org_name: newOrg, bank_account_name: newOrg };
    delete f.cert_type;
    delete f.years;
    const r = await o.c.post('/change/apply', { project: 'hall', serial, ...f,
        submit_key: page.text.match(/name="submit_key" value="([^"]+)"/)[1] });
    assert.equal(r.status, 200, r.text);
    const id = Number(r.body.redirect.match(/^\/change\/print\?id=(\d+)$/)[1]);
    return { c: o.c, serial, medium, pin, id };
}

module.exports = { withAssistant, renewalOfMedium, changeOfMedium };
