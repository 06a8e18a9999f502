'use strict';
/*
 * 金融认证 through nginx: after an online payment the outbox sends 0.01 CNY
 * with a code in the memo (read here from the sandbox bank, as the finance
 * department would), the agent types it (待认证 -> 待审核), wrong codes
 * lock, a wrong account fails (金融认证失败) and is corrected and retried.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { applicant } = require('./lib/client');
const {
    psql, freshAccount, orgForm, unpaidOrder, orderStatus, waitStatus, payOnline, confirmTrade,
    lastTransfer, memoCode, sandbox, waitFor, allLogs,
} = require('./lib/payflow');

/* an organisation order paid online, its micro-deposit made */
async function paidOrder(c, form = orgForm()) {
    const o = await unpaidOrder(c, { form });
    const tradeNo = await payOnline(c, o.id);
    await confirmTrade(tradeNo);
    return o;
}

function wrongCode(code) {
    return String((Number(code) + 1) % 1000000).padStart(6, '0');
}

test('finauth_code__right_code__review_with_due_date', async () => {
    const c = await applicant();
    const { id, account } = await paidOrder(c);
    await waitStatus(id, 'finauth_ok');
    const page = await c.get(`/finauth?id=${id}`);
    assert.equal(page.status, 200);
    for (const s of ['待认证', '金融认证成功', '0.01元', 'name="code"'])
        assert.ok(page.text.includes(s), `code page shows ${s}`);
    const transfer = await lastTransfer(account);
    const code = memoCode(transfer);

    const wrong = await c.post('/finauth/code', { id, code: wrongCode(code) });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.field, 'code');
    assert.match(wrong.body.message, /不正确，您还可以输入4次/);

    const r = await c.post('/finauth/code', { id, code });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.redirect, `/finauth?id=${id}`);
    assert.equal(psql(`SELECT status || '|' || (review_due >= current_date) || '|' || (submitted_at IS NOT NULL)
        FROM orders WHERE id = ${id}`), 'review|true|true');
    assert.equal(psql(`SELECT result || '|' || tries || '|' || (verified_at IS NOT NULL) FROM finauth_attempts
        WHERE order_id = ${id}`), 'verified|1|true');
    const after = await c.get(`/finauth?id=${id}`);
    assert.match(after.text, /待审核/);
    assert.ok(!allLogs().includes(transfer.memo), 'memo (code) not logged');
});

test('finauth_code__five_wrong__locked_even_for_the_right_code', async () => {
    const c = await applicant();
    const { id, account } = await paidOrder(c);
    await waitStatus(id, 'finauth_ok');
    const code = memoCode(await lastTransfer(account));
    for (let i = 1; i <= 5; i++) {
        const r = await c.post('/finauth/code', { id, code: wrongCode(code) });
        assert.equal(r.status, 400, `try ${i}: ${r.text}`);
        if (i < 5)
            assert.match(r.body.message, new RegExp(`还可以输入${5 - i}次`));
        else
            assert.match(r.body.message, /已锁定/);
    }
    const locked = await c.post('/finauth/code', { id, code });
    assert.equal(locked.status, 423);
    assert.match(locked.body.message, /已锁定/);
    assert.equal(orderStatus(id), 'finauth_ok');
    assert.equal(psql(`SELECT result || '|' || tries FROM finauth_attempts WHERE order_id = ${id}`), 'locked|5');
    const page = await c.get(`/finauth?id=${id}`);
    assert.match(page.text, /id="locked"/);
    assert.ok(!page.text.includes('name="code"'), 'no code form once locked');
});

test('finauth_bank_failure__retry_with_corrected_account__ok_then_review', async () => {
    const c = await applicant();
    const badAccount = freshAccount(true);
    const { id } = await paidOrder(c, orgForm({ bank_account: badAccount }));
    await waitStatus(id, 'finauth_failed');
    const failed = await lastTransfer(badAccount);
    assert.equal(failed.status, 'FAILED');
    assert.equal(psql(`SELECT result || '|' || fail_reason FROM finauth_attempts WHERE order_id = ${id}`),
        'failed|户名与账号不符');
    /* the agent is told by SMS (seed 003) */
    const orderNo = psql(`SELECT order_no FROM orders WHERE id = ${id}`);
    await waitFor('finauth failure SMS', async () => {
        const m = await sandbox('/sandbox/sms?phone=13900139000');
        return m.body.messages.some((x) => x.text.includes(orderNo) && x.text.includes('金融认证未通过')
            && x.text.startsWith('【深圳CA】'));
    });

    const page = await c.get(`/finauth?id=${id}`);
    assert.equal(page.status, 200);
    for (const s of ['金融认证失败', '户名与账号不符', '基本户名称', '基本户开户行', '基本户账号'])
        assert.ok(page.text.includes(s), `retry page shows ${s}`);

    const good = freshAccount();
    const fields = { id, bank_account_name: '深圳测试科技有限公司', bank_branch_id: '19', bank_account: good };
    const revBefore = psql(`SELECT form_rev FROM orders WHERE id = ${id}`);
    const bad = [
        ['bank_account_name', { bank_account_name: '别的公司' }, /须与机构名称一致/],
        ['bank_account_name', { bank_account_name: '' }, /请填写基本户名称/],
        ['bank_branch_id', { bank_branch_id: '999999' }, /开户行/],
        ['bank_branch_id', { bank_branch_id: 'abc' }, /开户行/],
        ['bank_account', { bank_account: '12ab' }, /基本户账号/],
    ];
    for (const [field, change, msg] of bad) {
        const r = await c.post('/finauth/retry', { ...fields, ...change });
        assert.equal(r.status, 400, `${field}: ${r.text}`);
        assert.equal(r.body.field, field);
        assert.match(r.body.message, msg);
    }
    assert.equal(orderStatus(id), 'finauth_failed');
    assert.equal(psql(`SELECT form_rev FROM orders WHERE id = ${id}`), revBefore, 'nothing written');
    assert.equal(psql(`SELECT count(*) FROM finauth_attempts WHERE order_id = ${id}`), '1');

    const r = await c.post('/finauth/retry', { ...fields, bank_branch_id: '20' });
    assert.equal(r.status, 200, r.text);
    assert.equal(psql(`SELECT form_rev FROM orders WHERE id = ${id}`), String(Number(revBefore) + 1));
    assert.equal(psql(`SELECT count(*) FROM order_revisions WHERE order_id = ${id}`),
        String(Number(revBefore) + 1));
    await waitStatus(id, 'finauth_ok');
    const tr = await lastTransfer(good);
    assert.equal(tr.status, 'SUCCESS');
    assert.equal(tr.account_no, good);
    const branch = psql(`SELECT br.name || '|' || b.name FROM bank_branches br JOIN banks b ON b.id = br.bank_id WHERE br.id = 20`);
    assert.equal(`${tr.branch_name}|${tr.bank_name}`, branch, 'the corrected branch and its bank are used');
    assert.equal(psql(`SELECT string_agg(result, ',' ORDER BY id) FROM finauth_attempts WHERE order_id = ${id}`),
        'failed,sent');
    const ok = await c.post('/finauth/code', { id, code: memoCode(tr) });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(orderStatus(id), 'review');
    const moves = psql(`SELECT string_agg(to_state, ',' ORDER BY id) FROM audit_log
        WHERE entity = 'order' AND entity_id = '${id}' AND action = 'status'`);
    assert.equal(moves, 'finauth_pending,finauth_failed,finauth_pending,finauth_ok,review');
    const logs = allLogs();
    assert.ok(!logs.includes(good) && !logs.includes(badAccount), 'no account number in any log');
});

test('finauth__wrong_state_bad_code_format_and_others_orders', async () => {
    const c = await applicant();
    const { id } = await unpaidOrder(c);
    const st = await c.post('/finauth/code', { id, code: '123456' });
    assert.equal(st.status, 409);
    const rt = await c.post('/finauth/retry', {
        id, bank_account_name: '深圳测试科技有限公司', bank_branch_id: '19', bank_account: freshAccount(),
    });
    assert.equal(rt.status, 409);
    const fmt = await c.post('/finauth/code', { id, code: '12ab' });
    assert.equal(fmt.status, 400);
    assert.equal(fmt.body.field, 'code');
    assert.match(fmt.body.message, /证书PIN码应为6位数字/);
    const page = await c.get(`/finauth?id=${id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /无需进行金融认证/);

    const other = await applicant();
    assert.equal((await other.get(`/finauth?id=${id}`)).status, 404);
    assert.equal((await other.post('/finauth/code', { id, code: '123456' })).status, 404);
    assert.equal((await other.post('/finauth/retry', {
        id, bank_account_name: '深圳测试科技有限公司', bank_branch_id: '19', bank_account: freshAccount(),
    })).status, 404);
    assert.equal((await c.post('/finauth/code', { id, code: '123456' }, { csrf: false })).status, 403);
    assert.equal(orderStatus(id), 'unpaid');
});
