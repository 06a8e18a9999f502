'use strict';
/*
 * A document timestamp on the 签名验证 page and in the 验签报告 (issue 63
 * §4): hall-stamp lta adds one (PAdES B-LTA) by the hall's own TSA.  It has
 * no seal and no signer: its card names the TSA, the TSA certificate's
 * state, the time and what it covers (the whole document up to its
 * revision), without the empty seal and signer rows (印章有效期 至, 现在：
 * 非本CA证书) a stamp's card has; the report gives it its own section.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL } = require('./lib/client');
const { tmpdir } = require('./lib/pki');
const { makePdf, verifyPdf, hallSeals, stampWith, HALL_STAMP } = require('./lib/stamp');

const dir = tmpdir();
const f = (name) => path.join(dir, name);

/* the card of stamp n on the page: its HTML, up to the next card */
function card(html, n) {
    const at = html.lastIndexOf('<div class="card sign-', html.indexOf(`id="stamp-${n}"`));
    assert.ok(at > 0, `stamp-${n} on the page`);
    const next = html.indexOf('<div class="card sign-', at + 1);
    return html.slice(at, next > 0 ? next : html.indexOf('</section>', at));
}

test('verify__B_LTA_file__document_timestamp_has_its_own_card_and_report_section__no_seal_rows', async () => {
    const seals = await hallSeals();
    const file = f('lta.pdf');
    fs.writeFileSync(file, stampWith(makePdf({ pages: 1, text: 'archive' }), seals.org_business, seals.pin));
    const r = spawnSync(HALL_STAMP, ['lta', '--tsa', `${HALL}/tsa`, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const buf = fs.readFileSync(file);

    const v = await verifyPdf(buf);
    assert.equal(v.status, 200, v.text);
    const ts = v.body.result.stamps[1];
    assert.equal(ts.doc_timestamp, true, JSON.stringify(ts));
    assert.match(ts.dts.tsa, /Hall Demo Time Stamping Authority/);
    assert.equal(ts.dts.tsa_hall, true);
    assert.match(ts.dts.tsa_state, /^本CA时间戳服务，证书有效/);
    assert.equal(ts.dts.time, ts.signing_time);
    assert.match(ts.dts.covers, /^时间戳之前的整个文档（\d+ 字节/);

    const html = (await verifyPdf(buf, { accept: 'text/html' })).text;
    const dts = card(html, 2);
    assert.match(dts, /class="card sign-dts"/, dts);
    assert.match(dts, /文档时间戳 2/);
    assert.match(dts, /<dt>时间戳服务<\/dt><dd class="sign-dts-tsa">[^<]*Hall Demo Time Stamping Authority/);
    assert.match(dts, /<dt>时间戳服务证书<\/dt><dd class="sign-dts-tsa-state">本CA时间戳服务，证书有效/);
    assert.match(dts, new RegExp(`<dt>时间戳时间</dt><dd class="sign-time">${ts.signing_time}<`));
    assert.match(dts, /<dt>覆盖范围<\/dt><dd class="sign-dts-covers">时间戳之前的整个文档/);
    for (const empty of ['印章有效期', '印章名称', '签章人', '非本CA证书', '现在：'])
        assert.ok(!dts.includes(empty), `no ${empty} in the document timestamp's card: ${dts}`);
    /* the stamp before it keeps its seal card */
    assert.match(card(html, 1), /class="card sign-stamp"[\s\S]*印章有效期/);

    /* the 验签报告: its own section */
    const fd = new FormData();
    fd.append('file', new Blob([buf], { type: 'application/pdf' }), 'lta.pdf');
    const rep = await fetch(`${HALL}/sign/verify?report=pdf`, { method: 'POST', body: fd });
    assert.equal(rep.status, 200);
    fs.writeFileSync(f('report.pdf'), Buffer.from(await rep.arrayBuffer()));
    const t = spawnSync('pdftotext', ['-enc', 'UTF-8', f('report.pdf'), '-'], { encoding: 'utf8' });
    assert.equal(t.status, 0, t.stderr);
    const text = t.stdout.replace(/\s+/g, '');
    const sec = text.slice(text.indexOf('签名2：文档时间戳'), text.indexOf('验证结论共'));
    assert.ok(sec.length > 0, text);
    assert.match(sec, /时间戳服务：.*HallDemoTimeStampingAuthority/);
    assert.match(sec, /时间戳服务证书：本CA时间戳服务，证书有效/);
    assert.ok(sec.includes(`时间戳时间：${ts.signing_time.replace(/\s+/g, '')}`), sec);
    assert.match(sec, /覆盖范围：时间戳之前的整个文档/);
    for (const empty of ['印章有效期', '签章人', '吊销证据'])
        assert.ok(!sec.includes(empty), `no ${empty} in the report's document timestamp: ${sec}`);
});

/*
 * A document timestamp alone is no stamp (issue 71 §5): anyone may add one
 * (hall-stamp lta needs no seal, /tsa is public).  The page, its JSON, the
 * 验签报告 and hall-stamp verify say 共 0 个签章 beside the timestamp, and
 * none calls the file valid.
 */
test('verify__document_timestamp_alone__no_stamp_not_all_valid_tool_fails', async () => {
    const file = f('dts-only.pdf');
    fs.writeFileSync(file, makePdf({ pages: 1, text: 'Amount: 1000 yuan' }));
    const r = spawnSync(HALL_STAMP, ['lta', '--tsa', `${HALL}/tsa`, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const buf = fs.readFileSync(file);

    const v = await verifyPdf(buf);
    assert.equal(v.status, 200, v.text);
    const res = v.body.result;
    assert.equal(res.stamps.length, 1);
    assert.equal(res.stamps[0].doc_timestamp, true);
    assert.equal(res.stamps[0].valid, true, JSON.stringify(res.stamps[0]));
    assert.equal(res.seals, 0);
    assert.equal(res.all_valid, false);
    assert.equal(res.summary, '共 0 个签章（另有 1 个文档时间戳）');

    const html = (await verifyPdf(buf, { accept: 'text/html' })).text;
    assert.match(html, /<h2 id="sign-summary" data-all-valid="0">共 0 个签章（另有 1 个文档时间戳）<\/h2>/);

    const fd = new FormData();
    fd.append('file', new Blob([buf], { type: 'application/pdf' }), 'dts-only.pdf');
    const rep = await fetch(`${HALL}/sign/verify?report=pdf`, { method: 'POST', body: fd });
    assert.equal(rep.status, 200);
    fs.writeFileSync(f('dts-only-report.pdf'), Buffer.from(await rep.arrayBuffer()));
    const t = spawnSync('pdftotext', ['-enc', 'UTF-8', f('dts-only-report.pdf'), '-'], { encoding: 'utf8' });
    assert.equal(t.status, 0, t.stderr);
    const text = t.stdout.replace(/\s+/g, '');
    assert.ok(text.includes('验证结论共0个签章（另有1个文档时间戳）'), text);
    assert.ok(!text.includes('全部有效'), text);

    const env = { ...process.env, LANG: 'zh_CN.UTF-8' };
    const hv = spawnSync(HALL_STAMP, ['verify', '--offline', file], { encoding: 'utf8', env });
    assert.notEqual(hv.status, 0, `${hv.stdout}${hv.stderr}`);
    assert.match(hv.stdout, /文件中没有签章（另有1个文档时间戳）/);
});
