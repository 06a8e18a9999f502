'use strict';
/*
 * 基本户开户行 for any company (issue 22 §1): the bank from the complete
 * list (sql/data/banks.csv), the branch as the account papers name it, in
 * no list at all; the micro-deposit goes to that bank and branch.  The
 * branch list is help, loadable from a CNAPS-shaped CSV (script/load-banks),
 * one transaction per file.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { applicant } = require('./lib/client');
const {
    psql, freshAccount, orgForm, unpaidOrder, waitStatus, payOnline, confirmTrade, lastTransfer,
} = require('./lib/payflow');

const ROOT = path.resolve(__dirname, '..', '..');

/* the form of a company whose branch no list holds: the bank by name */
function unlistedForm(extra = {}) {
    const f = orgForm({ bank_name: '中国工商银行', bank_branch_name: '汕头分行营业部' });
    delete f.bank_branch_id;
    return { ...f, ...extra };
}

async function agreed(c, project = 'jieyang') {
    await c.get(`/new?project=${project}`);
    const a = await c.post('/new/agree', { project, agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
}

test('banks__branch_in_no_list__submits_pays_and_the_deposit_arrives', async () => {
    const c = await applicant();
    const form = unlistedForm();
    assert.equal(psql(`SELECT count(*) FROM bank_branches WHERE name LIKE '%汕头%'`), '0',
        'the branch is in no list');
    const o = await unpaidOrder(c, { form });
    const print = await c.get(`/new/print?id=${o.id}`);
    assert.equal(print.status, 200);
    assert.ok(print.text.includes('中国工商银行') && print.text.includes('汕头分行营业部'),
        'the printed form names the bank and the branch');
    await confirmTrade(await payOnline(c, o.id));
    await waitStatus(o.id, 'finauth_ok');
    const t = await lastTransfer(o.account);
    assert.equal(t.status, 'SUCCESS');
    assert.equal(t.amount_fen, 1);
    assert.equal(t.bank_name, '中国工商银行');
    assert.equal(t.branch_name, '汕头分行营业部');
    assert.equal(t.account_no, o.account);
});

test('banks__short_name_and_rural_banks__taken_as_the_list_names_them', async () => {
    const c = await applicant();
    await agreed(c);
    for (const [typed, listed, branch] of [
        ['揭阳农商银行', '揭阳农村商业银行', '榕城支行'],
        ['湖南省农村信用社联合社', '湖南省农村信用社联合社', '浏阳市农村信用合作联社营业部'],
        ['工商银行', '中国工商银行', '中国工商银行股份有限公司汕头金平支行'],
    ]) {
        const r = await c.post('/new/apply', {
            project: 'jieyang', ...unlistedForm({ bank_name: typed, bank_branch_name: branch }),
        });
        assert.equal(r.status, 200, `${typed}: ${r.text}`);
        const id = Number(r.body.redirect.match(/id=(\d+)/)[1]);
        const page = await c.get(`/new/print?id=${id}`);
        assert.ok(page.text.includes(listed), `${typed} printed as ${listed}`);
        assert.ok(page.text.includes(branch), `${branch} printed`);
    }
});

test('banks__bad_bank_or_branch__refused_naming_the_field_nothing_written', async () => {
    const c = await applicant();
    await agreed(c);
    const uid = psql('SELECT user_id FROM sessions ORDER BY created_at DESC LIMIT 1');
    for (const [extra, field, re] of [
        [{ bank_name: '' }, 'bank_name', /开户行/],
        [{ bank_name: '不存在的银行' }, 'bank_name', /不在银行列表/],
        [{ bank_name: '', bank_id: '999999' }, 'bank_id', /不在银行列表/],
        [{ bank_branch_name: '' }, 'bank_branch_name', /请填写基本户开户网点/],
        [{ bank_branch_name: '=HYPERLINK("x")支行' }, 'bank_branch_name', /开户网点/],
        [{ bank_branch_name: '支行' }, 'bank_branch_name', /4至60个字/],
        [{ bank_branch_name: 'ABCD' }, 'bank_branch_name', /开户网点/],
        [{ bank_branch_name: '汕头分行<script>' }, 'bank_branch_name', /开户网点/],
        [{ bank_branch_name: '汕'.repeat(61) }, 'bank_branch_name', /60/],
        [{ bank_branch_id: '999999' }, 'bank_branch_id', /开户行/],
    ]) {
        const r = await c.post('/new/apply', { project: 'jieyang', ...unlistedForm(extra) });
        assert.equal(r.status, 400, `${JSON.stringify(extra)}: ${r.text}`);
        const e = r.body.errors.find((x) => x.field === field);
        assert.ok(e, `${field} named for ${JSON.stringify(extra)}: ${r.text}`);
        assert.match(e.message, re);
    }
    assert.equal(psql(`SELECT count(*) FROM orders WHERE user_id = ${uid}`), '0');
});

test('banks__listed_branch__fills_bank_branch_and_cnaps', async () => {
    const c = await applicant();
    await agreed(c);
    const r = await c.getJSON('/new/banks?q=' + encodeURIComponent('福田') + '&bank=' +
        encodeURIComponent('招商银行'));
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.items.length > 0);
    for (const it of r.body.items)
        assert.equal(it.bank, '招商银行', 'within the bank the form names');
    const f = orgForm({ bank_branch_id: r.body.items[0].id, bank_branch_name: '随便写的' });
    const a = await c.post('/new/apply', { project: 'jieyang', ...f });
    assert.equal(a.status, 200, a.text);
    const id = Number(a.body.redirect.match(/id=(\d+)/)[1]);
    const page = await c.get(`/new/print?id=${id}`);
    assert.ok(page.text.includes(r.body.items[0].name), 'the list spells the branch');
    assert.ok(!page.text.includes('随便写的'));
});

/* script/load-banks, as an operator runs it */
function loadBanks(...args) {
    return spawnSync(path.join(ROOT, 'script', 'load-banks'), args,
        { encoding: 'utf8', env: process.env });
}

function tmpCsv(name, text) {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hall-banks-')), name);
    fs.writeFileSync(f, text);
    return f;
}

test('banks__load_branches_csv__searchable_and_a_bad_line_keeps_nothing', async () => {
    const tag = String(Date.now()).slice(-6);
    const good = tmpCsv('good.csv', [
        'cnaps,bank,name,city',
        `10258600${tag.slice(0, 4)},中国工商银行,中国工商银行股份有限公司汕头测${tag}支行,汕头`,
        `,揭阳农商银行,揭阳农村商业银行测${tag}支行,揭阳`,
    ].join('\n') + '\n');
    const r = loadBanks('branches', good);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /branches: 2 rows loaded/);
    const c = await applicant();
    await agreed(c);
    const s = await c.getJSON('/new/banks?q=' + encodeURIComponent(`汕头 测${tag}`));
    assert.equal(s.status, 200);
    assert.equal(s.body.items.length, 1, s.text);
    assert.equal(s.body.items[0].bank, '中国工商银行');
    assert.equal(s.body.items[0].cnaps, `10258600${tag.slice(0, 4)}`);
    const rural = await c.getJSON('/new/banks?q=' + encodeURIComponent(`揭阳农商 ${tag}`));
    assert.equal(rural.body.items[0].bank, '揭阳农村商业银行');

    const before = psql('SELECT count(*) FROM bank_branches');
    const bad = tmpCsv('bad.csv', [
        'cnaps,bank,name,city',
        `,中国银行,中国银行汕头另${tag}支行,汕头`,
        `12345,中国银行,中国银行汕头坏${tag}支行,汕头`,
    ].join('\n') + '\n');
    const b = loadBanks('branches', bad);
    assert.notEqual(b.status, 0);
    assert.match(b.stderr, /line 3/);
    assert.equal(psql('SELECT count(*) FROM bank_branches'), before, 'nothing of the file kept');
    const unknown = tmpCsv('unknown.csv', `cnaps,bank,name,city\n,火星银行,火星银行${tag}支行,火星\n`);
    const u = loadBanks('branches', unknown);
    assert.notEqual(u.status, 0);
    assert.match(u.stderr, /no bank named 火星银行/);
});

test('banks__the_list__complete_categories_and_refreshable', () => {
    const n = Number(psql('SELECT count(*) FROM banks WHERE active'));
    assert.ok(n >= 250, `${n} banks`);
    const cats = psql('SELECT string_agg(DISTINCT category, \',\') FROM banks WHERE active');
    for (const k of ['政策性银行', '国有大型商业银行', '股份制商业银行', '民营银行', '城市商业银行',
        '农村商业银行', '农村信用社', '村镇银行', '外资银行'])
        assert.ok(cats.includes(k), `category ${k}`);
    assert.equal(psql(`SELECT source FROM reference_loads WHERE what = 'banks'`), 'sql/data/banks.csv');
    /* a refresh of the same file changes nothing and is recorded */
    const r = loadBanks('banks', path.join(ROOT, 'sql', 'data', 'banks.csv'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(Number(psql('SELECT count(*) FROM banks WHERE active')), n);
    const dup = tmpCsv('dup.csv', 'name,short_name,category,aliases\n中国银行,中行,国有,\n中国银行,中行,国有,\n');
    const d = loadBanks('banks', dup);
    assert.notEqual(d.status, 0);
    assert.match(d.stderr, /line 3: 中国银行 is listed twice/);
    assert.equal(Number(psql('SELECT count(*) FROM banks WHERE active')), n, 'nothing changed');
});

test('banks__finauth_retry_with_a_branch_in_no_list__the_new_deposit_goes_there', async () => {
    const c = await applicant();
    const bad = freshAccount(true);
    const o = await unpaidOrder(c, { form: unlistedForm({ bank_account: bad }) });
    await confirmTrade(await payOnline(c, o.id));
    await waitStatus(o.id, 'finauth_failed');
    const page = await c.get(`/finauth?id=${o.id}`);
    assert.ok(page.text.includes('value="中国工商银行"') && page.text.includes('value="汕头分行营业部"'),
        'the retry page shows the bank and branch entered');
    assert.ok(page.text.includes('<option value="揭阳农村商业银行">'), 'the complete list to choose from');
    const good = freshAccount();
    const fields = { id: o.id, bank_account_name: '深圳测试科技有限公司', bank_account: good };
    const miss = await c.post('/finauth/retry', { ...fields, bank_name: '揭阳农商银行' });
    assert.equal(miss.status, 400);
    assert.equal(miss.body.field, 'bank_branch_name');
    const r = await c.post('/finauth/retry', {
        ...fields, bank_name: '揭阳农商银行', bank_branch_name: '揭阳农村商业银行榕城支行',
    });
    assert.equal(r.status, 200, r.text);
    await waitStatus(o.id, 'finauth_ok');
    const t = await lastTransfer(good);
    assert.equal(t.status, 'SUCCESS');
    assert.equal(t.bank_name, '揭阳农村商业银行');
    assert.equal(t.branch_name, '揭阳农村商业银行榕城支行');
});
