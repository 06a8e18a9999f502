'use strict';
/*
 * The production station's media, seen from outside (issue 64 §1;
 * docs/operations.md, "A production station"): the test hall's USB keys are
 * SoftHSM2 tokens of their own (VAR/media/softhsm2.conf, written by
 * script/lib/common.sh's medium_station; medium_module in VAR/hall.conf),
 * and SoftHSM2 always offers one blank token, the next medium.  What a
 * holder does with the medium once it arrives, with OpenSC's pkcs11-tool
 * and the PIN as the holder receives it (SMS or memo): open it, read the
 * certificate and its chain, stamp with its key through hall-stamp.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { SKIP } = require('./hall');
const { psql, tmpdir, openssl } = require('./pki');

const VAR = process.env.HALL_VAR;

/* the path of SoftHSM2's PKCS#11 module (Debian's softhsm2) */
function softhsmModule() {
    for (const m of ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
        '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so'])
        if (fs.existsSync(m))
            return m;
    throw new Error('libsofthsm2.so not found: apt-get install softhsm2');
}

/* the environment that shows the station's media (not the CA's token) */
const mediaEnv = () => ({ ...process.env, SOFTHSM2_CONF: path.join(VAR, 'media', 'softhsm2.conf') });

/* a test that needs pkcs11-tool is skipped (naming why) without it */
const p11Skip = SKIP || (spawnSync('pkcs11-tool', ['--version']).error
    ? 'needs pkcs11-tool (apt-get install opensc)' : false);

/* pkcs11-tool ARGS on the station's media, as anyone holding one would */
function p11(args) {
    const r = spawnSync('pkcs11-tool', ['--module', softhsmModule(), ...args], { encoding: 'utf8', env: mediaEnv() });
    assert.ok(!r.error, `pkcs11-tool runs (apt-get install opensc): ${r.error}`);
    return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/* the station's blank media (tokens present, not initialised): the next
 * 制作证书 takes one; SoftHSM2 offers a new one as soon as it is used */
function blankMedia() {
    const slots = p11(['--list-token-slots']);
    assert.equal(slots.status, 0, slots.out);
    return slots.out.split(/\n(?=Slot )/).filter((s) => /token state:\s+uninitialized/.test(s)).length;
}

/* the medium the certificate of order id went onto (its serial, the label
 * the station gave it), from the register */
function mediumOf(id) {
    const m = psql(`SELECT coalesce(medium_serial, '') FROM certificates WHERE order_id = ${id}
        AND state = 'issued' AND seal_item_id IS NULL`);
    assert.match(m, /^[0-9A-F]{16}$/, `order ${id}'s certificate went onto a medium`);
    return m;
}

/*
 * The medium opened with pin, as its holder does: { list (pkcs11-tool's
 * --list-objects, logged in), cert (the holder's certificate, DER, object id
 * 01), certPem (a file of it in dir), certs (how many certificates: the
 * holder's and its chain), key (the private key's block) }.  A wrong PIN
 * gives { status } only, non-zero.
 */
function openMedium(medium, pin, dir = tmpdir()) {
    const list = p11(['--token-label', medium, '--login', '--pin', pin, '--list-objects']);
    if (list.status !== 0)
        return { status: list.status, out: list.out };
    const der = path.join(dir, `${medium}.der`);
    const rd = p11(['--token-label', medium, '--read-object', '--type', 'cert', '--id', '01', '-o', der]);
    assert.equal(rd.status, 0, rd.out);
    const certPem = path.join(dir, `${medium}.pem`);
    const x = openssl(['x509', '-inform', 'DER', '-in', der, '-out', certPem]);
    assert.equal(x.status, 0, x.stderr);
    return {
        status: 0, list: list.out, cert: fs.readFileSync(der), certPem,
        certs: (list.out.match(/Certificate Object/g) || []).length,
        key: list.out.split(/\n(?=\S)/).find((b) => /^Private Key Object; EC/.test(b)) || null,
    };
}

/* hall-stamp sign with the medium's key (label: 'hall' for the holder's
 * certificate, a seal's code for a 业务章's) and the PIN on stdin; extra
 * args (--in --out --seal --chain --page --x --y --tsa ...) as the tool
 * takes them.  { status, out } */
function stampWith(medium, pin, label, extra) {
    const tool = path.join(process.env.HALL_ROOT, 'tools/stamp/hall-stamp');
    const r = spawnSync(tool, ['sign', '--pkcs11-module', softhsmModule(), '--token', medium, '--key-label', label,
        ...extra, '--pin-fd', '0'], { input: `${pin}\n`, encoding: 'utf8', env: mediaEnv() });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/*
 * A certificate of before issue 64, for the tests of the handover of one
 * already issued (the hall's PKCS#12, p12_enc, kept until delivered or
 * destroyed; docs/internals/pki.md, "Key custody").  The hall makes no
 * subscriber key any more, so the test makes it: order o ({ id, c }: c its
 * owner's session) is issued through the holder's path (lib/holder.js:
 * the key pair and request made here, POST /pki/csr, the order's product
 * lent a browser one of its CA for that call), and its rows are then put
 * as 制作证书 of before left them: the PKCS#12 built as core/pki/ca.c's
 * p12_make builds it (AES-256-CBC both parts, SHA-256 MAC, the PIN as its
 * password, the issuing CA's certificate beside, the subject's name as its
 * name) and encrypted as hall_pii_encrypt does, key_origin 'hall' without
 * proof of possession, the order 已制证 (not yet delivered), and the PIN
 * as production_pin chose it: the memo's of a deposit (not for a corporate
 * transfer), else a new one queued by SMS to the order's PIN phone
 * (sms-pin-SERIAL).  { serial, pin, key (the key's PEM file) }.
 */
async function fileOfBefore(o) {
    const { holderKey } = require('./holder');
    const { piiEncrypt, piiDecrypt } = require('./secrets');
    const { id, c } = o;
    const [product, ca, certType, business, priced] = psql(`SELECT o.product_id || '|' || p.ca
        || '|' || o.cert_type || '|' || o.business_type || '|' || coalesce(p.breakdown ? '签章费', false)
        FROM orders o JOIN products p ON p.id = o.product_id
        WHERE o.id = ${id}`).split('|');
    const browser = psql(`SELECT id FROM products WHERE key_origin = 'browser' AND ca = '${ca}'
        ORDER BY active DESC, id LIMIT 1`);
    assert.match(browser, /^\d+$/, `a product of the ${ca} CA whose key is born in the browser`);
    /* the PIN production of before took: read before the holder's path
     * destroys the memo's */
    const method = psql(`SELECT coalesce((SELECT method FROM payments WHERE order_id = ${id}
        AND status = 'paid' ORDER BY paid_at DESC LIMIT 1), '')`);
    const memo = method === 'transfer' ? '' : psql(`SELECT coalesce(encode(pin_enc, 'hex'), '')
        FROM finauth_attempts WHERE order_id = ${id} AND memo_kind = 'pin' AND pin_enc IS NOT NULL
        AND result IN ('verified', 'sent', 'queued') ORDER BY result = 'verified' DESC, id DESC LIMIT 1`);
    const pin = memo ? piiDecrypt(Buffer.from(memo, 'hex')).toString()
        : String(crypto.randomInt(0, 100000000)).padStart(8, '0');
    /* an ECDSA 电子签章申请 is the station's whatever its product
     * (order_key_origin): lent a 新办's business too for the call.  A
     * 新办 whose product's price bundles the seal (湖南's 签章费: production
     * makes its seal from the product, core/biz/sealprod.c sp_bundle) is
     * lent a copy of its product made the browser's, off sale, dropped
     * after the call (the product itself, which other tests running at the
     * same time sell, is never changed) */
    const lent = business === 'seal' ? ", business_type = 'new'" : '';
    const own = priced === 'true' && business === 'new';
    const twin = own ? psql(`WITH t AS (INSERT INTO products SELECT (jsonb_populate_record(NULL::products,
        to_jsonb(p) || jsonb_build_object('id', nextval(pg_get_serial_sequence('products', 'id')),
        'key_origin', 'browser', 'active', false))).* FROM products p WHERE p.id = ${product}
        RETURNING id) SELECT id FROM t`) : browser;
    assert.match(twin, /^\d+$/, `order ${id}: a browser copy of product ${product}`);
    psql(`UPDATE orders SET product_id = ${twin}${lent} WHERE id = ${id}`);
    let h;
    try {
        h = await holderKey(c, id, { curve: ca === 'sm2' ? 'SM2' : 'P-256' });
    } finally {
        psql(`UPDATE orders SET product_id = ${product}, business_type = '${business}' WHERE id = ${id}`);
        if (own)
            psql(`UPDATE seal_items SET product_id = ${product} WHERE order_id = ${id} AND product_id = ${twin};
                DELETE FROM products WHERE id = ${twin}`);
    }
    const { serial } = h;
    const cn = psql(`SELECT subject_cn FROM certificates WHERE serial = '${serial}'`);
    const p12 = path.join(h.dir, `${serial}.before.p12`);
    const e = openssl(['pkcs12', '-export', '-inkey', h.key, '-in', h.certPem, '-certfile', h.chainPem,
        '-name', cn, '-keypbe', 'AES-256-CBC', '-certpbe', 'AES-256-CBC', '-macalg', 'sha256',
        '-iter', '100000', '-passout', `pass:${pin}`, '-out', p12]);
    assert.equal(e.status, 0, e.stderr);
    const enc = piiEncrypt(fs.readFileSync(p12)).toString('hex');
    fs.rmSync(p12);
    let sms = '';
    if (!memo) {
        const form = JSON.parse(piiDecrypt(Buffer.from(psql(`SELECT encode(form_enc, 'hex') FROM orders
            WHERE id = ${id}`), 'hex')).toString());
        /* core/biz/produce.c hall_pin_phone */
        const phone = ['org', 'org_business'].includes(certType) ? form.agent_mobile
            : form.app_mobile || form.agent_mobile;
        if (/^\d{11}$/.test(phone || '')) {
            const payload = JSON.stringify({ phone, kind: 'pin', params: { serial, pin } });
            sms = `INSERT INTO outbox (kind, idem_key, payload_enc) VALUES ('sms', 'sms-pin-${serial}',
                '\\x${piiEncrypt(Buffer.from(payload)).toString('hex')}'::bytea) ON CONFLICT DO NOTHING;`;
        }
    }
    psql(`BEGIN;
        UPDATE certificates SET key_origin = 'hall', pop_checked_at = NULL, p12_enc = '\\x${enc}'::bytea
            WHERE serial = '${serial}';
        UPDATE orders SET status = 'issued', delivered_at = NULL, delivery_received_at = NULL WHERE id = ${id};
        ${sms}
        COMMIT;`);
    assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${id} AND state = 'issued'
        AND seal_item_id IS NULL AND key_origin = 'hall' AND p12_enc IS NOT NULL`), '1',
    `order ${id}: a certificate with the hall's PKCS#12`);
    return { serial, pin, key: h.key };
}

/*
 * An order with seals (a 电子签章申请, a 新办 with its 电子签章) produced as a
 * PKCS#12 file as before issue 64, when `hall-pkitool issue-file` made its
 * key: fileOfBefore, its seals made with its certificate (POST /pki/csr,
 * core/biz/produce_csr_seal.c).  A seal whose certificate is its own (an
 * ECDSA 机构业务章) has no such path: none in the order.  The serial.
 */
async function sealFileOfBefore(o) {
    assert.equal(psql(`SELECT count(*) FROM seal_items WHERE order_id = ${o.id} AND kind = 'org_business'`),
        '0', `order ${o.id}: a 机构业务章's key is born on a USB key only`);
    return (await fileOfBefore(o)).serial;
}

module.exports = {
    softhsmModule, mediaEnv, p11Skip, p11, blankMedia, mediumOf, openMedium, stampWith, fileOfBefore,
    sealFileOfBefore,
};
