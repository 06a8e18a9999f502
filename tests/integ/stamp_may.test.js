'use strict';
/*
 * One rule before a stamp (issue 63 §0; core/stamp/stamp_may.c): a revoked
 * certificate, a cancelled seal, a seal or certificate the hall does not
 * know refuse a stamp, in the same words from hall-stamp sign (exit 4) and
 * from the hall's GET /sign/stamp-check, which 在线盖章 asks before the PIN;
 * /sign/evidence, which 在线盖章 asks after its stamp, says the verdict too
 * (so the page keeps no revoked answer in a file).  The seal here has its
 * own certificate (a 机构业务章): its 注销 is four eyes, an operator's
 * request and a second operator's approval, which revokes both.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const { tmpdir, operator, operator2, psql } = require('./lib/pki');
const { makePdf, hallSeals, HALL_STAMP, stampWith, verifyPdf } = require('./lib/stamp');

const dir = tmpdir();
const f = (name) => path.join(dir, name);
let seals;

before(async () => {
    fs.writeFileSync(f('doc.pdf'), makePdf({ pages: 1, text: 'the rule before a stamp' }));
    seals = await hallSeals();
});

function sign(who, out, pin = seals.pin) {
    return spawnSync(HALL_STAMP, ['sign', '--in', f('doc.pdf'), '--out', out, '--seal', who.seal,
        ...who.signer, '--page', '1', '--x', '100', '--y', '100', '--tsa', `${HALL}/tsa`,
        '--pin-fd', '0'], { input: `${pin}\n`, encoding: 'utf8', env: { ...who.env, LANG: 'zh_CN.UTF-8' } });
}

async function check(esId, serial) {
    const r = await fetch(`${HALL}/sign/stamp-check?es_id=${encodeURIComponent(esId)}&serial=${encodeURIComponent(serial)}`,
        { headers: { Accept: 'application/json' } });
    return { status: r.status, body: await r.json(), cache: r.headers.get('cache-control') };
}

/* the tool's refusal without its name: the rule's text */
const toolWords = (stderr) => stderr.trim().replace(/^hall-stamp：/, '');

test('stamp_check__valid_seal__yes__bad_fields_400__unknown_certificate_and_seal_refused', async () => {
    const ok = await check(seals.org_business.esId, seals.org_business.serial.toLowerCase());
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.check, { es_id: seals.org_business.esId, serial: seals.org_business.serial,
        verdict: 'yes', code: 'ok', message: '' });
    assert.match(ok.cache, /no-store/);

    let r = await check("x' OR 1=1", seals.org.serial);
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'es_id');
    r = await check(seals.org.esId, 'not-hex');
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'serial');
    assert.match(r.body.message, /证书序列号格式不正确/);

    r = await check(seals.org.esId, '7FFFFFFFFFFFFFF1');
    assert.equal(r.body.check.verdict, 'refused');
    assert.equal(r.body.check.message, '营业厅不认识签章人证书（序列号 7FFFFFFFFFFFFFF1）。未盖章');
    r = await check('NOSUCHSEAL0001', seals.org.serial);
    assert.equal(r.body.check.code, 'seal_unknown');
    assert.equal(r.body.check.message, '营业厅没有登记印章（编码 NOSUCHSEAL0001）。未盖章');
});

test('seal_cancelled_by_four_eyes__tool_exit_4__stamp_check_and_evidence_refuse__the_same_words', async () => {
    const who = seals.org_business;
    /* before: the evidence says good and yes */
    let ev = await (await fetch(`${HALL}/sign/evidence?serial=${who.serial}`)).json();
    assert.equal(ev.evidence.status, 'good');
    assert.equal(ev.evidence.verdict, 'yes');

    /* 注销: an operator asks, a second operator approves (seal and certificate) */
    const ask = await (await operator()).post('/admin/seal/revoke', { es_id: who.esId, reason: '印章停用' });
    assert.equal(ask.status, 200, ask.text);
    assert.ok(ask.body.request_id > 0, ask.text);
    const ok = await (await operator2()).post('/admin/pki/revoke/approve', { id: ask.body.request_id });
    assert.equal(ok.status, 200, ok.text);

    const out = f('cancelled.pdf');
    const t = sign(who, out);
    assert.equal(t.status, 4, `hall-stamp sign with a cancelled seal: ${t.stdout}${t.stderr}`);
    assert.equal(fs.existsSync(out), false, 'nothing written');
    const words = toolWords(t.stderr);
    assert.match(words, new RegExp(`^签章人证书（序列号 ${who.serial}）已于 \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} ` +
        '吊销（原因：停止使用），不能再盖章。未盖章$'));

    /* what 在线盖章 asks before the PIN: the same verdict, the same words */
    const r = await check(who.esId, who.serial);
    assert.equal(r.status, 200);
    assert.equal(r.body.check.verdict, 'refused');
    assert.equal(r.body.check.code, 'cert_revoked');
    assert.equal(r.body.check.message, words);

    /* and after a stamp: the evidence says revoked, with the rule's words */
    ev = await (await fetch(`${HALL}/sign/evidence?serial=${who.serial}`)).json();
    assert.equal(ev.evidence.status, 'revoked');
    assert.equal(ev.evidence.verdict, 'refused');
    assert.equal(ev.evidence.message, words);
});

test('seal_without_its_own_certificate_cancelled__tool_and_stamp_check__印章已注销_the_same_words', async () => {
    const who = seals.org;
    /* a 机构章 signs with the order's certificate, which stays good: one
     * operator cancels it, only the register knows */
    const op = await operator();
    assert.equal((await op.post('/admin/seal/revoke', { es_id: who.esId, reason: '印章停用' })).status, 200);
    const out = f('org-cancelled.pdf');
    const t = sign(who, out);
    assert.equal(t.status, 4, `${t.stdout}${t.stderr}`);
    assert.equal(fs.existsSync(out), false);
    const words = toolWords(t.stderr);
    assert.match(words, new RegExp(`^印章（编码 ${who.esId}）已于 \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} 注销，不能再盖章。未盖章$`));
    const r = await check(who.esId, who.serial);
    assert.equal(r.body.check.verdict, 'refused');
    assert.equal(r.body.check.code, 'seal_revoked');
    assert.equal(r.body.check.message, words);
});

test('seal_replaced_twice__verify_seal_status_stamp_check_and_tool_name_the_seal_in_use_now_not_the_intermediate', async () => {
    /* R00 → R01 → R02 in the register (a re-make's rows, written here as
     * sealprod writes them: core/biz/sealprod.c); R00 stamped before */
    const mine = await hallSeals();
    const other = await hallSeals();
    const r00 = mine.org, r01 = mine.org_business.esId, r02 = other.org.esId;
    const stamped = stampWith(makePdf({ pages: 1, text: 'before the re-make' }), r00, mine.pin);
    psql(`UPDATE seseals SET state = 'replaced', replaced_by = '${r01}', replaced_at = now() WHERE es_id = '${r00.esId}'`);
    psql(`UPDATE seseals SET state = 'replaced', replaced_by = '${r02}', replaced_at = now() WHERE es_id = '${r01}'`);

    /* 签名验证: the seal now names R02 */
    const v = await verifyPdf(stamped);
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.result.stamps[0].seal_state.now, `已被替换（现行印章 ${r02}）`);
    /* the lookup hall-stamp asks: the next one and the one in use now */
    const st = await (await fetch(`${HALL}/sign/seal-status?es_id=${r00.esId}`)).json();
    assert.equal(st.seal.state, 'replaced');
    assert.equal(st.seal.replaced_by, r01);
    assert.equal(st.seal.current_seal, r02);
    /* before a stamp: refused, naming R02, the tool and the hall alike */
    const t = sign(r00, f('replaced.pdf'), mine.pin);
    assert.equal(t.status, 4, `${t.stdout}${t.stderr}`);
    const words = toolWords(t.stderr);
    assert.equal(words, `印章（编码 ${r00.esId}）已被新印章替换，请使用现行印章（编码 ${r02}）。未盖章`);
    const r = await check(r00.esId, r00.serial);
    assert.equal(r.body.check.code, 'seal_replaced');
    assert.equal(r.body.check.message, words);
});
