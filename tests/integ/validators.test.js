'use strict';
/*
 * The validators against their own documentation (issue 7, item 16): the
 * phone and USCC forms docs/internals/validate.md accepts are accepted by
 * the 录入信息 form too (normalised before any length check), and the early
 * Fujian pilot codes go to the reviewer flagged instead of being refused.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Client, applicant, freshPhone } = require('./lib/client');
const { staffSignIn } = require('./lib/staff');

function psql(sql) {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    assert.ok(cmd.length > 0, 'HALL_PSQL is set by script/test');
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

/* valid rows of a vectors file (tests/data/vectors, copied from /work/shared/testdata) */
function vectors(file, pick) {
    const lines = fs.readFileSync(path.join(__dirname, '..', 'data', 'vectors', file), 'utf8').split('\n');
    const head = lines[0].split('\t');
    return lines.slice(1).filter(Boolean).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [head[i], v])))
        .filter(pick);
}

function orgForm(extra = {}) {
    return {
        cert_type: 'org', years: '1',
        org_name: '深圳核验测试有限公司', org_id: '91110000600037341L',
        unit_province: '440000', unit_city: '440300', unit_address: '南山区科技园1号',
        legal_name: '张三', legal_ric: '360426199101010071', legal_mobile: '13800138000',
        agent_name: '李四', agent_ric: '412723199010050012', agent_mobile: freshPhone('137'),
        agent_email: 'agent@example.com', agent_title: '行政专员',
        bank_account_name: '深圳核验测试有限公司', bank_branch_id: '19',
        bank_account: '4000 0210 0910 0123 456',
        mail_province: '440000', mail_city: '440300', mail_district: '440305',
        mail_town: '', mail_address: '科技园1号', mail_postcode: '518057',
        mail_receiver: '李四', mail_mobile: '13900139000', shipping: 'collect',
        invoice: 'yes', invoice_title_type: 'org', invoice_title: '深圳核验测试有限公司',
        invoice_taxid: '91110000600037341L',
        ...extra,
    };
}

async function apply(form) {
    const c = await applicant();
    await c.get('/new?project=jieyang');
    const a = await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });
    assert.equal(a.status, 200, a.text);
    const r = await c.post('/new/apply', { project: 'jieyang', ...form });
    return { c, r };
}

test('validators__documented_phone_and_uscc_forms__accepted_and_normalised', async () => {
    /* the longest valid vectors with a country code, as documented */
    const longest = (rows) => rows.sort((a, b) => b.value.length - a.value.length)[0].value;
    const plus86 = longest(vectors('cn_mobile_detail.tsv', (r) => r.valid === '1' && r.form === '+86'));
    const zero086 = longest(vectors('cn_mobile_detail.tsv', (r) => r.valid === '1' && r.form === '0086'));
    const spacedUscc = longest(vectors('cn_uscc.tsv', (r) => r.valid === '1' && /[ -]/.test(r.value)));
    assert.ok(zero086.length > 14 && spacedUscc.length > 18, `${zero086} ${spacedUscc}`);
    const agent = freshPhone('137');
    const { c, r } = await apply(orgForm({
        agent_mobile: `+86 ${agent}`, legal_mobile: '0086-13800138000', mail_mobile: zero086,
        app_mobile: plus86, org_id: spacedUscc, invoice_taxid: '9111-0000-6000-3734-1L',
    }));
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    const pr = await c.get(`/new/print?id=${id}`);
    assert.equal(pr.status, 200);
    assert.ok(pr.text.includes(agent), 'the agent phone is stored as 11 digits');
    assert.ok(pr.text.includes('13800138000'));
    assert.ok(pr.text.includes(zero086.replace(/^0086-?/, '')));
    const compact = spacedUscc.replace(/[ -]/g, '').toUpperCase();
    assert.ok(pr.text.includes(compact), `the USCC printed as ${compact}`);
    assert.ok(!pr.text.includes('0086-13800138000'));
});

test('validators__fujian_pilot_uscc__accepted_and_flagged_for_the_reviewer', async () => {
    const pilots = vectors('cn_uscc_detail.tsv', (r) => r.gb32100_checkchar_ok === '0' && /Fujian|福建|pilot/i.test(r.note));
    const codes = [...new Set(pilots.map((r) => r.value.replace(/[ -]/g, '')))];
    assert.ok(codes.includes('91350211M0000XUF46'), codes.join(','));
    const code = codes[0];
    const { c, r } = await apply(orgForm({ org_id: code.slice(0, 9) + ' ' + code.slice(9).toLowerCase() }));
    assert.equal(r.status, 200, r.text);
    const id = r.body.redirect.match(/id=(\d+)/)[1];
    assert.ok((await c.get(`/new/print?id=${id}`)).text.includes(code));
    /* a wrong check character that is no pilot code is still refused */
    const bad = await apply(orgForm({ org_id: '91350211M0000XUF47' }));
    assert.equal(bad.r.status, 400);
    assert.equal(bad.r.body.field, 'org_id');

    /* the reviewer sees the flag; an ordinary order has none */
    psql(`UPDATE orders SET status = 'review', submitted_at = now(), review_due = current_date + 1 WHERE id = ${id}`);
    const s = new Client();
    const login = await staffSignIn(s, 'reviewer', 'Reviewer2026demo');
    assert.equal(login.status, 200, login.text);
    const page = await s.get(`/admin/order?id=${id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /id="manual-review"[^>]*>需人工核验/);
    assert.match(page.text, /机构证件号码核验/);
    const plain = await apply(orgForm());
    const pid = plain.r.body.redirect.match(/id=(\d+)/)[1];
    const other = await s.get(`/admin/order?id=${pid}`);
    assert.equal(other.status, 200);
    assert.ok(!other.text.includes('id="manual-review"'));
});

/* issue 40 §3: 机构名称 goes into the certificate's subject (O and CN): a
 * character no registered name has is refused at entry, naming the field
 * and the character, and nothing is written (before, a certificate was
 * issued with O = " autofocus onfocus="alert(43)) */
test('validators__org_name_with_quotes_braces_or_angle_brackets__refused_naming_field_and_character__nothing_written', async () => {
    const cases = [
        ['" autofocus onfocus="alert(43)', '"'],
        ['深圳某某\'科技有限公司', '\''],
        ['{{7*7}}科技有限公司', '{'],
        ['深圳某某科技有限公司\\', '\\'],
        ['深圳某某`科技有限公司', '`'],
        ['深圳某某<b>科技有限公司', '<'],
    ];
    for (const [name, ch] of cases) {
        /* 基本户名称 is the same registered name, and under the same rule */
        const { r } = await apply(orgForm({ org_name: name, bank_account_name: name, invoice_title: '深圳核验测试有限公司' }));
        assert.equal(r.status, 400, `${name}: ${r.text}`);
        assert.equal(r.body.field, 'org_name', `${name}: ${r.text}`);
        assert.ok(r.body.message.includes(`机构名称不能含有“${ch}”`), `${name}: ${r.body.message}`);
        const bank = (r.body.errors || []).find((e) => e.field === 'bank_account_name');
        assert.ok(bank && bank.message.includes(`基本户名称不能含有“${ch}”`), `${name}: ${r.text}`);
        assert.equal(psql(`SELECT count(*) FROM orders WHERE subject = '${name.replace(/'/g, "''")}'`), '0');
    }
    /* what registered names do contain: both widths of brackets, a Latin
     * name with its dots and comma, &, ·, - */
    const good = 'ABC (China) Co., Ltd.（深圳）A&B·中外-合作有限公司';
    const ok = await apply(orgForm({ org_name: good, bank_account_name: good }));
    assert.equal(ok.r.status, 200, ok.r.text);
});
