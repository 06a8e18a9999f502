'use strict';
/*
 * The 验签报告's signer in the register (issue 63 §9; sql/156,
 * tools/pkitool/pkitool_report.c): the certificate hall-pkitool report
 * had the ecc CA sign for it is a row of certificates (kind 'service', no
 * order), so the staff's four-eyes 吊销 revokes it as any other: the ecc
 * CA's CRL lists it and the OCSP responder answers 'revoked'.
 * hall-pkitool report run again then issues a new one, registered too.
 *
 * Named to run after sign_report.test.js: it revokes the signer the module
 * sign holds, which keeps it until it restarts; the test then restarts it
 * (the supervisor's restart, as after a crash) and a 验签报告 is signed by
 * the new certificate, for the files that ask for one later.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { psql, staffRevoke, fetchPki, ocspQuery, pkitool } = require('./lib/pki');
const { HALL_URL, HALL_VAR, findProcs, waitFor } = require('./lib/hall');

/* hall-sign's master */
function signMasters() {
    const procs = findProcs('hall-sign').filter((p) => p.state !== 'Z');
    const pids = new Set(procs.map((p) => p.pid));
    return procs.filter((p) => !pids.has(p.ppid)).map((p) => p.pid);
}

/* pki_dir/report.crt's serial, as the register writes it */
function reportSerial() {
    const dirOf = fs.readFileSync(process.env.HALL_CONF, 'utf8').match(/^pki_dir = (.*)$/m)[1];
    const x = new crypto.X509Certificate(fs.readFileSync(path.join(dirOf, 'report.crt')));
    return x.serialNumber.toUpperCase().replace(/^0+/, '').padStart(16, '0');
}

test('report_signer__revoked_by_staff__listed_in_the_crl_and_ocsp_revoked', async () => {
    const serial = reportSerial();
    /* in the register as the hall's own: no order */
    assert.equal(psql(`SELECT kind || ' ' || state || ' ' || (order_id IS NULL) || ' ' || ca
        FROM certificates WHERE serial = '${serial}'`), 'service issued true ecc');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rptrev-'));
    await fetchPki(dir);
    let r = ocspQuery(dir, 'ecc', serial);
    assert.ok(r.verified, r.out);
    assert.match(r.line, /: good$/, r.out);

    const rev = await staffRevoke(serial, 'keyCompromise');
    assert.equal(rev.status, 200, rev.text);
    r = ocspQuery(dir, 'ecc', serial);
    assert.ok(r.verified, r.out);
    assert.match(r.line, /: revoked$/, r.out);
    await fetchPki(dir);
    const crl = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', path.join(dir, 'ecc.crl'),
        '-noout', '-text'], { encoding: 'utf8' });
    assert.ok(crl.stdout.includes(`Serial Number: ${serial}`), 'the CRL lists it');

    /* the next hall-pkitool report (a restart's) issues a new one, registered */
    const again = pkitool(['report']);
    assert.equal(again.status, 0, `${again.stdout}${again.stderr}`);
    assert.match(again.stdout, /report\.crt issued by ecc/);
    const next = reportSerial();
    assert.notEqual(next, serial);
    assert.equal(psql(`SELECT kind || ' ' || state FROM certificates WHERE serial = '${next}'`),
        'service issued');

    /* hall-sign restarted by its supervisor takes the new signer: the
     * 验签报告 verifies 有效 again, signed by the new certificate */
    const [old] = signMasters();
    fs.appendFileSync(path.join(HALL_VAR, 'log', 'kills.log'), 'sign\n');
    process.kill(old, 'SIGTERM');
    await waitFor('hall-sign started again', async () => {
        const m = signMasters();
        return m.length === 1 && m[0] !== old && (await fetch(`${HALL_URL}/sign/verify`)).status === 200;
    }, { timeoutMs: 30000, intervalMs: 250 });
    const post = async (url, bytes) => {
        const form = new FormData();
        form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'a.pdf');
        const r = await fetch(`${HALL_URL}${url}`, { method: 'POST', body: form });
        assert.equal(r.status, 200, `${url}: ${r.status}`);
        return Buffer.from(await r.arrayBuffer());
    };
    /* a report is of a signed file: one of the fuzz seeds' stamped bases */
    const trial = fs.readFileSync(path.join(__dirname, '..', 'fuzz', 'base', 'cms.pdf'));
    const rep = { arrayBuffer: async () => post('/sign/verify?report=pdf', trial) };
    const back = new FormData();
    back.append('file', new Blob([Buffer.from(await rep.arrayBuffer())], { type: 'application/pdf' }), 'r.pdf');
    const v = await (await fetch(`${HALL_URL}/sign/verify`, { method: 'POST', body: back,
        headers: { accept: 'application/json' } })).json();
    assert.equal(v.result.stamps[0].signer.serial, next, JSON.stringify(v.result.stamps[0].signer));
    assert.equal(v.result.stamps[0].state, '有效');
});
