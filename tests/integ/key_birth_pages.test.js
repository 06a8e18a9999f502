'use strict';
/*
 * The order pages say how the certificate's key's birth is known (issue 70
 * §4; sql/193; docs/internals/pki.md, "Key birth"): the holder's
 * 业务单详情 (/center/order) and staff's (/admin/order) alike.
 *   - a key the production station made on the USB key it produced: made
 *     on the medium at production, seen;
 *   - a key of 在线更新 / 在线变更, which the holder's 证书助手 generated on
 *     their USB key and reported: proven by the old key, not attested by
 *     the medium (certificates.key_attested false), and neither page
 *     claims the station saw it.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { HALL, freshPhone } = require('./lib/client');
const { operator, acceptedByTransfer, smsTo, tmpdir, psql, orgForm } = require('./lib/pki');
const { softhsmModule, mediaEnv, p11Skip } = require('./lib/station');
const { replacingOrder } = require('./lib/holder');

const TOOL = path.join(path.resolve(__dirname, '..', '..'), 'tools', 'assist', 'hall-assist');

function assist(args) {
    return new Promise((ok) => {
        const p = spawn(TOOL, [args[0], '--module', softhsmModule(), ...args.slice(1)], { env: mediaEnv() });
        let out = '', err = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { err += d; });
        p.on('error', (e) => ok({ status: -1, out, err: `hall-assist does not run: ${e.message}` }));
        p.on('close', (status) => ok({ status, out, err }));
    });
}

/* a 新办 机构证书 written onto a medium by the operator's 制作证书 */
async function onMedium(op) {
    const phone = freshPhone('137');
    const o = await acceptedByTransfer({ project: 'hall', form: orgForm({ agent_mobile: phone }) });
    const r = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(r.status, 200, r.text);
    const [serial, medium] = psql(`SELECT serial || '|' || medium_serial FROM certificates
        WHERE order_id = ${o.id} AND state = 'issued'`).split('|');
    const sms = await smsTo(phone, new RegExp(`序列号${serial}`));
    return { ...o, serial, medium, pin: sms.match(/PIN码为：(\d+)/)[1] };
}

/* the holder's 更新 or 变更 of it, 成功受理, done by the 证书助手 */
async function online(o, verb, dir) {
    const id = replacingOrder(o.id, o.serial, verb);
    const t = await o.c.post(`/${verb}/assist/ticket`, { id });
    assert.equal(t.status, 200, t.text);
    const pin = path.join(dir, `pin-${verb}`);
    fs.writeFileSync(pin, `${o.pin}\n`, { mode: 0o600 });
    const r = await assist([verb, '--token', o.medium, '--ticket', t.body.ticket, '--hall', HALL, '--pin-file', pin]);
    assert.equal(r.status, 0, `${r.out}\n${r.err}`);
    assert.equal(psql(`SELECT key_origin || '|' || key_attested FROM certificates WHERE order_id = ${id}
        AND state = 'issued'`), 'medium|false');
    return id;
}

const birth = (html) => (html.match(/id="key-birth">([^]*?)<\/(?:dd|td)>/) || [])[1];

test('key_birth_pages__station_made_seen__online_renewal_and_change_unattested', { skip: p11Skip }, async () => {
    const op = await operator();
    const dir = tmpdir();
    const a = await onMedium(op);
    const b = await onMedium(op);

    /* the station's key: made on the medium at production */
    let holder = birth((await a.c.get(`/center/order?id=${a.id}`)).text);
    assert.ok(holder, 'the holder\'s page says how the key was born');
    assert.match(holder, new RegExp(`网上营业厅制证时在USB Key <strong>${a.medium}</strong> 中生成：制证时看到密钥在该介质内生成`));
    assert.doesNotMatch(holder, /证书助手|未经介质证明/);
    let staff = birth((await op.get(`/admin/order?id=${a.id}`)).text);
    assert.ok(staff, 'staff\'s page says how the key was born');
    assert.match(staff, new RegExp(`制证时在网上营业厅制作的USB Key <strong>${a.medium}</strong> 中生成（制证时所见`));
    assert.doesNotMatch(staff, /证书助手|未经介质证明/);

    /* 在线更新 and 在线变更: the holder's medium, proven by the old key, not attested */
    for (const [o, verb] of [[a, 'renew'], [b, 'change']]) {
        const id = await online(o, verb, dir);
        holder = birth((await o.c.get(`/center/order?id=${id}`)).text);
        assert.ok(holder, `${verb}: the holder's page says how the key was born`);
        assert.match(holder, new RegExp(`新密钥由您的证书助手在您的USB Key <strong>${o.medium}</strong> 中生成`));
        assert.match(holder, /原证书密钥的签名/);
        assert.match(holder, /未经介质证明/);
        assert.doesNotMatch(holder, /制证时/);
        staff = birth((await op.get(`/admin/order?id=${id}`)).text);
        assert.ok(staff, `${verb}: staff's page says how the key was born`);
        assert.match(staff, new RegExp(`持有人的证书助手在其USB Key <strong>${o.medium}</strong> 中生成（证书助手报告；经原证书密钥签名证明，未经介质证明`));
        assert.doesNotMatch(staff, /制证时/);
    }
});
