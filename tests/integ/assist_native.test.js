'use strict';
/*
 * hall-assist as the browser's native-messaging host (issue 70 §1, §2;
 * docs/internals/assist.md), over a SoftHSM2 medium the operator's 制作证书
 * made, found through p11-kit's registered modules (no --module, no
 * HALL_PKCS11_MODULE: the module registered in the test's
 * XDG_CONFIG_HOME), the PIN asked by the test pinentry:
 *   - a page of an origin not configured is refused, for every message;
 *   - list names the medium and its holder's certificate;
 *   - sign asks the PIN through pinentry, whose dialog names the origin,
 *     the document, the digest and the certificate; the signature is the
 *     certificate's key's (checked with its public key), made by the key
 *     labelled `hall` without anyone naming that label;
 *   - a wrong PIN, a cancelled dialog, a digest that is no SHA-256, a
 *     certificate not on the medium each answer why, in Chinese, and sign
 *     nothing; a message that is no JSON is answered, the host goes on.
 * On main: `hall-assist chrome-extension://…/` was a usage error (exit 2).
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { SKIP } = require('./lib/hall');
const { freshPhone } = require('./lib/client');
const { operator, acceptedByTransfer, smsTo, tmpdir, psql, orgForm } = require('./lib/pki');
const { hostEnv, startHost, pinentrySaid } = require('./lib/native');

const ORIGIN = 'https://ywt.example.cn';
let m = null;

before(async () => {
    if (SKIP)
        return;
    const op = await operator();
    const phone = freshPhone('137');
    const o = await acceptedByTransfer({ project: 'hall', form: orgForm({ agent_mobile: phone }) });
    const made = await op.post('/admin/pki/issue', { id: o.id, medium: 'pkcs11' });
    assert.equal(made.status, 200, made.text);
    const [serial, medium, cn] = psql(`SELECT serial || '|' || medium_serial || '|' || subject_cn
        FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`).split('|');
    const pin = (await smsTo(phone, new RegExp(`序列号${serial}`))).match(/PIN码为：(\d+)/)[1];
    const der = Buffer.from(psql(`SELECT encode(der, 'base64') FROM certificates WHERE serial = '${serial}'`)
        .replace(/\s/g, ''), 'base64');
    m = { serial, medium, cn, pin, der, id: crypto.createHash('sha256').update(der).digest('hex') };
});

test('native host: another origin refused, list, sign by pinentry verified, refusals said', { skip: SKIP }, async () => {
    const dir = tmpdir();
    const h = hostEnv(dir, [ORIGIN]);
    const host = startHost(h.env);
    try {
        /* an origin not configured: every message refused, nothing asked */
        for (const type of ['hello', 'list', 'sign']) {
            const r = await host.ask({ id: 1, type, origin: 'https://evil.example', medium: m.medium, cert: m.id,
                digest: '00'.repeat(32), document: 'x.pdf' });
            assert.equal(r.ok, false, type);
            assert.equal(r.code, 'origin', type);
            assert.match(r.message, /证书助手不为 https:\/\/evil\.example 服务/);
        }
        assert.deepEqual(pinentrySaid(h.log), [], 'no PIN asked for a refused origin');
        const hello = await host.ask({ id: 2, type: 'hello', origin: ORIGIN });
        assert.equal(hello.ok, true);
        assert.equal(hello.id, 2);

        /* list: the medium (p11-kit's registered module) and its certificate */
        const list = await host.ask({ id: 3, type: 'list', origin: ORIGIN });
        assert.equal(list.ok, true, JSON.stringify(list));
        const medium = list.media.find((x) => x.label === m.medium);
        assert.ok(medium, `the medium ${m.medium} is listed: ${JSON.stringify(list.media.map((x) => x.label))}`);
        const cert = medium.certificates.find((c) => c.id === m.id);
        assert.ok(cert, 'its holder certificate is listed');
        assert.equal(cert.serial, m.serial);
        assert.ok(Buffer.from(cert.der, 'base64').equals(m.der));
        assert.match(cert.subject, new RegExp(`CN=${m.cn}`));

        /* sign: the PIN through pinentry, whose dialog says who asks for what */
        const data = crypto.randomBytes(200);
        const digest = crypto.createHash('sha256').update(data).digest('hex');
        const ask = { id: 4, type: 'sign', origin: ORIGIN, medium: m.medium, cert: m.id, digest,
            document: '采购合同（第3版）.pdf' };
        fs.writeFileSync(h.pinFile, `${m.pin}\n`);
        const signed = await host.ask(ask);
        assert.equal(signed.ok, true, JSON.stringify(signed));
        assert.equal(signed.id, 4);
        const sig = Buffer.from(signed.signature, 'base64');
        assert.equal(sig.length, 64, 'ECDSA P-256 r || s');
        const pub = new crypto.X509Certificate(m.der).publicKey;
        assert.ok(crypto.verify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, sig),
            'the signature is the certificate\'s key\'s');
        const said = pinentrySaid(h.log);
        const desc = said.find((l) => l.startsWith('SETDESC ')) || '';
        assert.match(desc, /网站 https:\/\/ywt\.example\.cn 请求/);
        assert.match(desc, /文档：采购合同（第3版）\.pdf/);
        assert.ok(desc.includes(digest.slice(0, 32)) && desc.includes(digest.slice(32)), desc);
        assert.ok(desc.includes(m.cn) && desc.includes(m.serial), desc);
        assert.ok(desc.includes(m.medium), desc);
        assert.ok(said.includes('GETPIN'));
        assert.ok(!said.some((l) => l.includes(m.pin)), 'the PIN goes from pinentry to the host only');

        /* a wrong PIN, a cancelled dialog: nothing signed, said why */
        fs.writeFileSync(h.pinFile, '00000000\n');
        let r = await host.ask({ ...ask, id: 5 });
        assert.deepEqual([r.ok, r.code], [false, 'pin']);
        assert.match(r.message, /PIN码错误，未签名/);
        fs.writeFileSync(h.pinFile, 'cancel\n');
        r = await host.ask({ ...ask, id: 6 });
        assert.deepEqual([r.ok, r.code], [false, 'cancelled']);
        assert.match(r.message, /已取消输入PIN码，未签名/);
        assert.equal(r.signature, undefined);

        /* bad requests: answered, no PIN asked */
        const before = pinentrySaid(h.log).length;
        r = await host.ask({ ...ask, id: 7, digest: 'abc' });
        assert.deepEqual([r.ok, r.code], [false, 'request']);
        assert.match(r.message, /SHA-256/);
        r = await host.ask({ ...ask, id: 8, cert: 'ab'.repeat(32) });
        assert.deepEqual([r.ok, r.code], [false, 'cert']);
        assert.match(r.message, new RegExp(`介质 ${m.medium} 中没有该证书`));
        r = await host.ask({ ...ask, id: 9, medium: 'FFFFFFFFFFFFFFFF' });
        assert.deepEqual([r.ok, r.code], [false, 'medium']);
        assert.match(r.message, /请插入该USB Key/);
        r = await host.ask({ ...ask, id: 10, document: 'a\nb.pdf' });
        assert.deepEqual([r.ok, r.code], [false, 'request']);
        const body = Buffer.from('{"type":');
        const head = Buffer.alloc(4);
        head.writeUInt32LE(body.length, 0);
        r = await host.raw(Buffer.concat([head, body]));
        assert.deepEqual([r.ok, r.code], [false, 'request']);
        r = await host.ask({ id: 12, type: 'hello', origin: ORIGIN });
        assert.equal(r.ok, true);
        assert.equal(pinentrySaid(h.log).length, before, 'no PIN asked for a bad request');
    } finally {
        const end = await host.close();
        assert.equal(end.status, 0, end.stderr);
    }
});
