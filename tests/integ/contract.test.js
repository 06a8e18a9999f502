'use strict';
/*
 * 签署 (issue 73, first slice; docs/modules/contract.md), through nginx:
 * an initiator sends one PDF to two companies, each notified by SMS in
 * turn and signing with its own browser-made key (an SM2 seal whose key
 * was born in its browser: lib/holder.js), the hall checking each new
 * revision with its verifier; the final file verifies with both
 * signatures in /sign/verify.  Parallel order refuses a signature made on
 * an outdated revision; a company signing with another company's seal is
 * refused; 拒签 and 撤销; parallel requests end in one state.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const { HALL, SANDBOX, applicant } = require('./lib/client');
const { psql, smsTo } = require('./lib/pki');
const { makePdf, stampWith, verifyPdf } = require('./lib/stamp');
const { ORG, PIN, uscc, company } = require('./lib/contract');

const inDays = (n) => new Date(Date.now() + n * 86400e3 + 8 * 3600e3).toISOString().slice(0, 10);

async function newFlow(initiator, parties, { order = 'sequential', title = '采购合同' } = {}) {
    const r = await initiator.postMultipart('/contract/new',
        { title, order, deadline: inDays(10), message: '请尽快签署', parties: JSON.stringify(parties) },
        { file: { name: 'contract.pdf', data: makePdf({ pages: 2, text: `contract ${title}` }) } });
    assert.equal(r.status, 200, r.text);
    return r.body.id;
}

const party = (co, x = 60) => ({ kind: 'org', name: ORG, uscc: co.uscc, mobile: co.c.phone, page: 1, x, y: 240 });

async function currentFile(c, id) {
    const res = await fetch(`${HALL}/contract/file?id=${id}`, { headers: { Cookie: c.cookieHeader() } });
    assert.equal(res.status, 200, `GET /contract/file?id=${id}`);
    return Buffer.from(await res.arrayBuffer());
}

/* the party stamps the bytes at its 签署区 with its own seal and key */
const stamp = (co, pdf, x = 60) => stampWith(pdf, { seal: co.seal, p12: co.p12 }, PIN, { page: 1, x, y: 240 });

const sign = (co, id, pdf) => co.c.postMultipart('/contract/sign', { id }, { file: { name: 'signed.pdf', data: pdf } });

async function flowOf(c, id) {
    const r = await c.getJSON(`/contract/flow?id=${id}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
}

async function invitations(phone) {
    const j = await (await fetch(`${SANDBOX}/sandbox/sms?phone=${phone}`)).json();
    return (j.messages || []).filter((m) => /邀请您签署/.test(m.text));
}

async function invited(phone, n = 1) {
    for (let i = 0; i < 150; i++) {
        const got = await invitations(phone);
        if (got.length >= n)
            return got;
        await new Promise((ok) => setTimeout(ok, 100));
    }
    throw new Error(`no 签署 SMS for ${phone}`);
}

let A, B, initiator;
before(async () => {
    [A, B, initiator] = await Promise.all([company(), company(), applicant()]);
});

test('sequential: the second company is asked only after the first signed; both signatures verify', async () => {
    const id = await newFlow(initiator, [party(A, 60), party(B, 150)]);
    const sms = await invited(A.c.phone);
    assert.match(sms[0].text, new RegExp(`采购合同.*/contract/flow\\?id=${id}`));
    let f = await flowOf(initiator, id);
    assert.deepEqual(f.parties.map((p) => p.state), ['notified', 'waiting']);
    assert.match(f.parties[0].mobile, /^\d{3}\*{4}\d{4}$/, 'the mobile is shown masked');
    /* the mobile is at rest encrypted: its digits are nowhere in the row */
    assert.equal(psql(`SELECT count(*) FROM sign_flow_parties WHERE flow_id = ${id}
        AND position(convert_to('${A.c.phone}', 'UTF8') IN mobile_enc) > 0`), '0');
    assert.equal((await invitations(B.c.phone)).length, 0, 'B is not asked before A signed');
    /* 催签: A (asked, not signed) once more, B (not asked yet) not; again at once: refused */
    assert.equal((await A.c.post('/contract/remind', { id })).status, 404, 'only the initiator reminds');
    const rem = await initiator.post('/contract/remind', { id });
    assert.equal(rem.status, 200, rem.text);
    assert.equal(rem.body.reminded, 1);
    await invited(A.c.phone, 2);
    const again = await initiator.post('/contract/remind', { id });
    assert.equal(again.status, 429, again.text);
    assert.match(again.body.message, /24小时内都已催签过/);
    assert.equal(psql(`SELECT count(*) FROM sign_flow_events WHERE flow_id = ${id} AND kind = 'reminded'`), '1');
    /* B cannot sign before its turn */
    const early = await sign(B, id, stamp(B, await currentFile(B.c, id), 150));
    assert.equal(early.status, 403, early.text);

    const r1 = await sign(A, id, stamp(A, await currentFile(A.c, id), 60));
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r1.body.state, 'signing');
    assert.equal(r1.body.cert_serial, A.serial.toUpperCase());
    await invited(B.c.phone);
    f = await flowOf(B.c, id);
    assert.deepEqual(f.parties.map((p) => p.state), ['signed', 'notified']);
    assert.equal(f.my_turn.position, '2');

    const r2 = await sign(B, id, stamp(B, await currentFile(B.c, id), 150));
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.body.state, 'completed');
    f = await flowOf(initiator, id);
    assert.equal(f.flow.state, 'completed');
    assert.equal(f.flow.revision, '3');

    /* the initiator and both parties are told it is done */
    for (const phone of [initiator.phone, A.c.phone, B.c.phone])
        assert.match(await smsTo(phone, /《采购合同》的签署流程已全部签署完成/), new RegExp(`/contract/flow\\?id=${id}`));
    const final = await currentFile(initiator, id);
    const v = await verifyPdf(final);
    assert.equal(v.status, 200, v.text);
    const stamps = v.body.result.stamps;
    assert.equal(stamps.length, 2);
    assert.deepEqual(stamps.map((s) => s.state), ['有效', '有效']);
    assert.deepEqual(stamps.map((s) => s.signer.serial), [A.serial.toUpperCase(), B.serial.toUpperCase()]);
    /* 我的签署 lists it for the initiator and for each party */
    const mine = await initiator.getJSON('/contract/');
    assert.ok(mine.body.initiated.some((x) => x.id === String(id) && x.state === 'completed'));
    const theirs = await B.c.getJSON('/contract/');
    assert.ok(theirs.body.waiting.some((x) => x.id === String(id) && x.my_state === 'signed'));
    /* a stranger sees nothing of it */
    const stranger = await applicant();
    assert.equal((await stranger.getJSON(`/contract/flow?id=${id}`)).status, 404);
    assert.equal((await fetch(`${HALL}/contract/file?id=${id}`, { headers: { Cookie: stranger.cookieHeader() } })).status, 404);
});

test('parallel: a signature on a revision another party has since extended is refused', async () => {
    const id = await newFlow(initiator, [party(A, 60), party(B, 150)], { order: 'parallel', title: '三方协议' });
    await Promise.all([invited(A.c.phone, 3), invited(B.c.phone, 2)]);
    const rev1 = await currentFile(A.c, id);
    const byA = stamp(A, rev1, 60);
    const byB = stamp(B, rev1, 150);
    const r1 = await sign(A, id, byA);
    assert.equal(r1.status, 200, r1.text);
    const late = await sign(B, id, byB);
    assert.equal(late.status, 409, late.text);
    assert.match(late.body.message, /版本已过期/);
    let f = await flowOf(B.c, id);
    assert.deepEqual(f.parties.map((p) => p.state), ['signed', 'notified'], 'nothing lost, nothing forked');
    assert.equal(f.flow.revision, '2');
    const r2 = await sign(B, id, stamp(B, await currentFile(B.c, id), 150));
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.body.state, 'completed');
    const v = await verifyPdf(await currentFile(initiator, id));
    assert.deepEqual(v.body.result.stamps.map((s) => s.state), ['有效', '有效']);
});

test('a party signing with another company\'s seal, or a company\'s for a person, is refused', async () => {
    const other = uscc();
    const id = await newFlow(initiator, [{ ...party(A), uscc: other, name: '深圳另一科技有限公司' }]);
    await invited(A.c.phone, 4);
    const r = await sign(A, id, stamp(A, await currentFile(A.c, id)));
    assert.equal(r.status, 403, r.text);
    assert.match(r.body.message, new RegExp(`${A.uscc}.*${other}.*不能用其他单位的印章`));
    const f = await flowOf(initiator, id);
    assert.equal(f.flow.state, 'signing');
    assert.equal(f.flow.revision, '1');
    assert.equal(f.parties[0].state, 'notified');
    /* a party named as a person is not signed for with a company's seal */
    const idp = await newFlow(initiator, [{ kind: 'person', name: '王五', mobile: A.c.phone, page: 1, x: 60, y: 240 }],
        { title: '个人合同' });
    const rp = await sign(A, idp, stamp(A, await currentFile(A.c, idp)));
    assert.equal(rp.status, 403, rp.text);
    assert.match(rp.body.message, /不是发起方指定的签署人王五/);
    assert.equal((await flowOf(initiator, idp)).flow.revision, '1');
    /* a file not appended to the current revision is refused too */
    const fresh = stamp(A, makePdf({ text: 'another document' }));
    const r2 = await sign(A, id, fresh);
    assert.equal(r2.status, 400, r2.text);
    assert.match(r2.body.message, /增量更新/);
});

test('拒签 with a reason and 撤销 by the initiator end the flow; nothing after', async () => {
    const id = await newFlow(initiator, [party(A)], { title: '拒签合同' });
    const noReason = await A.c.post('/contract/refuse', { id, reason: '' });
    assert.equal(noReason.status, 400);
    const r = await A.c.post('/contract/refuse', { id, reason: '金额有误' });
    assert.equal(r.status, 200, r.text);
    let f = await flowOf(initiator, id);
    assert.equal(f.flow.state, 'refused');
    assert.equal(f.parties[0].state, 'refused');
    assert.equal(f.parties[0].reason, '金额有误');
    /* the initiator is told, with the reason */
    await smsTo(initiator.phone, /《拒签合同》的签署流程已被签署方拒签，拒签原因：金额有误/);
    const after = await sign(A, id, stamp(A, await currentFile(A.c, id)));
    assert.equal(after.status, 409, after.text);
    assert.match(after.body.message, /已拒签/);

    const id2 = await newFlow(initiator, [party(A)], { title: '撤销合同' });
    const notMine = await A.c.post('/contract/withdraw', { id: id2, reason: '不要了' });
    assert.equal(notMine.status, 404, 'only the initiator withdraws');
    const w = await initiator.post('/contract/withdraw', { id: id2, reason: '条款需修改' });
    assert.equal(w.status, 200, w.text);
    f = await flowOf(A.c, id2);
    assert.equal(f.flow.state, 'withdrawn');
    await smsTo(A.c.phone, /《撤销合同》的签署流程已被发起方撤销，撤销原因：条款需修改/);
    assert.equal(f.my_turn, undefined);
    const late = await A.c.post('/contract/refuse', { id: id2, reason: '晚了' });
    assert.equal(late.status, 409);
});

test('parallel requests: a double signature and a refusal racing a signature each end in one state', async () => {
    const id = await newFlow(initiator, [party(A)], { title: '并发合同' });
    const signed = stamp(A, await currentFile(A.c, id));
    const rs = await Promise.all([sign(A, id, signed), sign(A, id, signed), sign(A, id, signed)]);
    assert.deepEqual(rs.map((r) => r.status).sort(), [200, 409, 409], rs.map((r) => r.text).join('\n'));
    assert.equal(psql(`SELECT count(*) FROM sign_flow_revisions WHERE flow_id = ${id}`), '2');
    assert.equal(psql(`SELECT count(*) FROM sign_flow_events WHERE flow_id = ${id} AND kind = 'signed'`), '1');

    const id2 = await newFlow(initiator, [party(A)], { title: '竞争合同' });
    const s2 = stamp(A, await currentFile(A.c, id2));
    const [a, b, w] = await Promise.all([sign(A, id2, s2), A.c.post('/contract/refuse', { id: id2, reason: '不签' }),
        initiator.post('/contract/withdraw', { id: id2, reason: '撤回' })]);
    const wins = [a, b, w].filter((r) => r.status === 200);
    assert.equal(wins.length, 1, [a, b, w].map((r) => `${r.status} ${r.text}`).join('\n'));
    const state = psql(`SELECT state FROM sign_flows WHERE id = ${id2}`);
    assert.equal(state, wins[0].body.state === 'completed' ? 'completed' : wins[0].body.state);
    assert.equal(psql(`SELECT count(*) FROM sign_flow_events WHERE flow_id = ${id2}
        AND kind IN ('signed', 'refused', 'withdrawn')`), '1');
});

/* POST /contract/sign written by hand on a socket through nginx, cut after
 * `keep` bytes of the body (all: cut before the answer is read) */
function cutSign(co, id, pdf, keep) {
    const net = require('node:net');
    const u = new URL(HALL);
    const b = `----contract${Date.now()}`;
    const body = Buffer.concat([
        Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="id"\r\n\r\n${id}\r\n`
            + `--${b}\r\nContent-Disposition: form-data; name="file"; filename="s.pdf"\r\n`
            + 'Content-Type: application/pdf\r\n\r\n'),
        pdf, Buffer.from(`\r\n--${b}--\r\n`)]);
    const head = `POST /contract/sign HTTP/1.1\r\nHost: ${u.host}\r\nCookie: ${co.c.cookieHeader()}\r\n`
        + `X-CSRF-Token: ${co.c.csrf}\r\nAccept: application/json\r\n`
        + `Content-Type: multipart/form-data; boundary=${b}\r\nContent-Length: ${body.length}\r\n\r\n`;
    return new Promise((resolve) => {
        const s = net.connect(Number(u.port), u.hostname, () => {
            s.write(head);
            s.write(body.subarray(0, keep), () => {
                s.destroy();
                resolve();
            });
        });
        s.on('error', resolve);
    });
}

test('cut connections: a signature cut mid-upload changes nothing; one cut before the answer counts once', async () => {
    const id = await newFlow(initiator, [party(A)], { title: '断线合同' });
    const signed = stamp(A, await currentFile(A.c, id));
    await cutSign(A, id, signed, Math.floor(signed.length / 2));
    await new Promise((ok) => setTimeout(ok, 500));
    let f = await flowOf(initiator, id);
    assert.equal(f.flow.revision, '1', 'half an upload is no revision');
    assert.equal(f.parties[0].state, 'notified');
    /* the whole request sent, the connection gone before the answer */
    await cutSign(A, id, signed, signed.length + 1000);
    await new Promise((ok) => setTimeout(ok, 1500));
    const again = await sign(A, id, signed);
    /* either the cut request was kept (and this one finds the flow done) or not (and this one signs) */
    assert.ok(again.status === 200 || (again.status === 409 && /已完成/.test(again.body.message)), again.text);
    f = await flowOf(initiator, id);
    assert.equal(f.flow.state, 'completed');
    assert.equal(f.flow.revision, '2');
    assert.equal(psql(`SELECT count(*) FROM sign_flow_events WHERE flow_id = ${id} AND kind = 'signed'`), '1');
    assert.equal(psql(`SELECT count(*) FROM sign_flow_revisions WHERE flow_id = ${id}`), '2');
});

test('a flow past its deadline expires by hall-outbox\'s tick; everyone asked is told; no signature after', async () => {
    const id = await newFlow(initiator, [party(A)], { title: '过期合同' });
    const signed = stamp(A, await currentFile(A.c, id));
    psql(`UPDATE sign_flows SET deadline = current_date - 2 WHERE id = ${id}`);
    let state = '';
    for (let i = 0; i < 200 && state !== 'expired'; i++) {
        await new Promise((ok) => setTimeout(ok, 100));
        state = psql(`SELECT state FROM sign_flows WHERE id = ${id}`);
    }
    assert.equal(state, 'expired');
    for (const phone of [initiator.phone, A.c.phone])
        await smsTo(phone, /《过期合同》的签署流程已过截止日期，未签署完成，已自动失效/);
    const late = await sign(A, id, signed);
    assert.equal(late.status, 409, late.text);
    assert.match(late.body.message, /已过期/);
    assert.equal(psql(`SELECT count(*) FROM sign_flow_events WHERE flow_id = ${id} AND kind = 'expired'`), '1');
});
