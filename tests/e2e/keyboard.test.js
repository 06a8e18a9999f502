'use strict';
/*
 * 证书新办 with the keyboard alone (issue 12, docs/accessibility.md): Tab,
 * Shift+Tab, Space, Enter and the arrow keys, no mouse, no fill().  Along the
 * way: every focused element shows a focus ring, the form's fields are
 * reached in the order they are read, the step bar names the current step
 * (aria-current), and a field error from the server lands on its field
 * (focus, aria-invalid, aria-describedby, a live region).  The phone's part
 * is done through the names a screen reader reads (labels, roles).
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { applicant, HALL } = require('../integ/lib/client');
const a11y = require('./lib/a11y');
const { launchChromium, signIn } = require('./lib/browser');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SKIP = !process.env.HALL_URL;
const JPEG = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xE0]), Buffer.alloc(3000, 7)]);
let browser;

before(async () => {
    if (SKIP)
        return;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
});

after(async () => {
    if (browser)
        await browser.close();
});

function tmpFile(name, data) {
    const p = path.join(os.tmpdir(), `hall-e2e-kb-${process.pid}-${name}`);
    fs.writeFileSync(p, data);
    return p;
}

/* what has the focus: enough to find it again and to judge its ring */
function focused(page) {
    return page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body)
            return null;
        const all = [...document.querySelectorAll('*')];
        const cs = getComputedStyle(el);
        return {
            tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name') || '',
            type: el.getAttribute('type') || '', text: (el.textContent || '').trim().slice(0, 40),
            value: 'value' in el ? el.value : '', pos: all.indexOf(el),
            form: el.form ? el.form.getAttribute('id') : '',
            row: el.closest('tr') ? el.closest('tr').dataset.kind : '',
            named: el.getAttribute('aria-labelledby') ?
                document.getElementById(el.getAttribute('aria-labelledby')).textContent : '',
            ring: { style: cs.outlineStyle, width: parseFloat(cs.outlineWidth) || 0 },
        };
    });
}

/* a focus the user can see: our :focus-visible ring, 3px solid */
function assertRing(f, where) {
    assert.ok(f.ring.style !== 'none' && f.ring.width >= 2,
        `${where}: ${f.tag}#${f.id}[name=${f.name}] has the focus but no visible ring ` +
        `(outline ${f.ring.style} ${f.ring.width}px)`);
}

/* Tab (or Shift+Tab) until want(focused) holds; every stop must show its ring */
async function tabTo(page, want, where, { max = 80, back = false } = {}) {
    for (let i = 0; i < max; i++) {
        await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
        const f = await focused(page);
        if (!f)
            continue;
        assertRing(f, where);
        if (want(f))
            return f;
    }
    throw new Error(`${where}: ${max} presses of Tab never reached the element`);
}

/* the skip link is the first stop of every page; Enter lands in <main> */
async function skipToMain(page, where) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    assert.ok(f && f.tag === 'a' && /跳到主要内容/.test(f.text), `${where}: the first Tab reaches the skip link`);
    assertRing(f, where);
    await page.keyboard.press('Enter');
    assert.equal((await focused(page)).id, 'main', `${where}: the skip link moves the focus to the content`);
}

async function currentStep(page) {
    const cur = page.locator('ol.steps li[aria-current="step"]');
    assert.equal(await cur.count(), 1, 'exactly one step is marked current');
    return (await cur.textContent()).trim();
}

/* arrow keys on a closed select until it holds the value (each press is a change) */
async function arrowSelect(page, value, where) {
    for (let i = 0; i < 60; i++) {
        const f = await focused(page);
        if (f.value === value)
            return;
        await page.keyboard.press('ArrowDown');
    }
    throw new Error(`${where}: the arrow keys never reached ${value}`);
}

test('证书新办 with the keyboard alone: tab order, visible focus, step bar, field errors tied and announced',
    { skip: SKIP }, async () => {
        const c = await applicant();
        const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
        await signIn(context, c);
        const page = await context.newPage();
        a11y.track(page);
        const problems = [];
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        /* Playwright turns on Chromium's file-chooser interception when the first
         * 'filechooser' listener appears, without waiting for it; a listener added
         * in the same breath as the key press can miss the chooser.  One listener
         * for the page's life turns it on long before the 上传资料 step. */
        page.on('filechooser', () => {});
        const shot = (n) => page.screenshot({ path: path.join(ARTIFACTS, `keyboard-${n}.png`), fullPage: true });
        try {
            /* home → 证书新办 → 揭阳 by Tab and Enter */
            await page.goto(`${HALL}/`);
            await a11y.check(page, 'home');
            await tabTo(page, (f) => f.tag === 'a' && f.text === '证书新办', 'home');
            await Promise.all([page.waitForURL(/\/new$/), page.keyboard.press('Enter')]);
            await a11y.check(page, '选择项目');
            await skipToMain(page, '选择项目');
            await tabTo(page, (f) => /揭阳公共资源/.test(f.text), '选择项目');
            await Promise.all([page.waitForURL(/\/new\?project=jieyang$/), page.keyboard.press('Enter')]);

            /* 协议: Space ticks the boxes, Enter on 下一步 */
            await a11y.check(page, '协议');
            assert.equal(await currentStep(page), '选择应用');
            await skipToMain(page, '协议');
            await tabTo(page, (f) => f.name === 'agree1', '协议');
            await page.keyboard.press('Space');
            await tabTo(page, (f) => f.name === 'agree2', '协议');
            await page.keyboard.press('Space');
            await tabTo(page, (f) => f.tag === 'button' && f.form === 'agree', '协议');
            await Promise.all([page.waitForURL(/\/new\/apply\?project=jieyang$/), page.keyboard.press('Enter')]);

            /* 录入信息: every field by Tab, in reading order */
            await page.locator('#price').filter({ hasText: '600.00元/1年' }).waitFor();
            await a11y.check(page, '录入信息');
            assert.equal(await currentStep(page), '录入信息');
            const typed = {
                org_name: '深圳键盘测试有限公司', org_id: '91110000600037341L', unit_address: '南山区科技园1号',
                legal_name: '张三', legal_ric: '360426199101010071', legal_mobile: '13800138000',
                agent_name: '李四', agent_ric: '412723199010050012', agent_mobile: '13900139000',
                agent_email: 'agent@example.com', agent_title: '行政专员', bank_account_name: '深圳键盘测试有限公司',
                bank_account: '6222' + String(Date.now()).slice(-12), mail_address: '科技园1号',
                mail_receiver: '李四', mail_mobile: '13900139000', invoice_title: '深圳键盘测试有限公司',
            };
            const chosen = { unit_province: '440000', unit_city: '440300', mail_province: '440000',
                mail_city: '440300', mail_district: '440305' };
            await skipToMain(page, '录入信息');
            const order = [];
            for (let i = 0; i < 120; i++) {
                await page.keyboard.press('Tab');
                const f = await focused(page);
                assertRing(f, '录入信息');
                order.push(f);
                if (f.id === 'apply-next')
                    break;
                if (typed[f.name] !== undefined) {
                    await page.keyboard.type(typed[f.name]);
                } else if (chosen[f.name] !== undefined) {
                    await arrowSelect(page, chosen[f.name], `录入信息 ${f.name}`);
                    /* the next select of the cascade appears once its list is loaded */
                    await page.waitForFunction((name) => {
                        const sel = document.querySelector(`select[name="${name}"]`);
                        const all = [...sel.closest('[data-divisions]').querySelectorAll('select')];
                        const next = all[all.indexOf(sel) + 1];
                        return !next || (next.options.length > 1 && !next.hidden);
                    }, f.name);
                } else if (f.id === 'bank_search') {
                    await page.keyboard.type('工商 南山');
                    await page.locator('#bank_suggest:not([hidden]) button').first().waitFor();
                    const b = await tabTo(page, (x) => x.text === '中国工商银行深圳南山支行', '开户行');
                    order.push(b);
                    await page.keyboard.press('Enter');
                    const back = await focused(page);
                    assert.equal(back.id, 'bank_search', 'choosing a bank returns to the search box');
                    assert.equal(back.value, '中国工商银行深圳南山支行');
                }
            }
            assert.equal(order[order.length - 1].id, 'apply-next', 'Tab reaches 下一步');
            /* reading order: each stop lies after the one before */
            for (let i = 1; i < order.length; i++)
                assert.ok(order[i].pos > order[i - 1].pos,
                    `tab order: ${order[i].tag}[name=${order[i].name}] comes after ${order[i - 1].tag}[name=${order[i - 1].name}] ` +
                    'but stands before it on the page');
            /* and no visible field of the form is skipped */
            const visible = await page.evaluate(() => [...document.querySelectorAll(
                '#apply input:not([type=hidden]), #apply select, #apply button')]
                .filter((el) => !el.disabled && el.offsetParent !== null && el.closest('#bank_suggest') === null)
                .map((el) => el.name || el.id));
            const reached = new Set(order.map((f) => f.name || f.id));
            const groups = new Set(order.filter((f) => f.type === 'radio').map((f) => f.name));
            const missed = visible.filter((n) => !reached.has(n) && !groups.has(n));
            assert.deepEqual(missed, [], 'fields Tab never reached');

            /* Enter on 下一步: the server wants the taxpayer ID; the message is tied to its field */
            await page.keyboard.press('Enter');
            const slot = page.locator('.err[data-for="invoice_taxid"]');
            await slot.filter({ hasText: '纳税人识别号' }).waitFor();
            const f = await focused(page);
            assert.equal(f.name, 'invoice_taxid', 'the field in error gets the focus');
            const taxid = page.locator('input[name="invoice_taxid"]');
            assert.equal(await taxid.getAttribute('aria-invalid'), 'true');
            const slotId = await slot.getAttribute('id');
            assert.ok(slotId, 'the message has an id');
            assert.ok((await taxid.getAttribute('aria-describedby')).split(' ').includes(slotId),
                `aria-describedby (${await taxid.getAttribute('aria-describedby')}) names the message (${slotId})`);
            assert.ok(['polite', 'assertive'].includes(await slot.getAttribute('aria-live')),
                'the message is announced (a live region)');
            await a11y.check(page, '录入信息 with a field error');
            await shot('01-field-error');
            await page.keyboard.type('91110000600037341L');
            await Promise.all([page.waitForURL(/\/new\/print\?id=\d+$/), page.keyboard.press('Enter')]);
            const id = new URL(page.url()).searchParams.get('id');

            /* 打印申请表 */
            await a11y.check(page, '打印申请表');
            assert.equal(await currentStep(page), '打印申请表');
            await skipToMain(page, '打印申请表');
            await tabTo(page, (x) => x.id === 'print-next', '打印申请表');
            await Promise.all([page.waitForURL(new RegExp(`/new/upload\\?id=${id}$`)), page.keyboard.press('Enter')]);

            /* 上传资料: Space on the file input opens the chooser, Enter on 上传 */
            await a11y.check(page, '上传资料');
            assert.equal(await currentStep(page), '上传资料');
            for (const kind of ['application', 'license', 'agent_id']) {
                await skipToMain(page, `上传资料 ${kind}`);
                const label = await page.locator(`#material-${kind}`).textContent();
                const input = await tabTo(page, (x) => x.type === 'file' && x.row === kind, `上传资料 ${kind}`);
                assert.equal(input.named, label, 'the file input is named by its row');
                const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
                await chooser.setFiles(tmpFile(`${kind}.jpg`, JPEG));
                await tabTo(page, (x) => x.tag === 'button' && x.text === '上传', `上传资料 ${kind}`, { max: 1 });
                await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
                await page.locator(`tr[data-kind="${kind}"] .state`).filter({ hasText: '已上传' }).waitFor();
            }
            await a11y.check(page, '上传资料, uploaded');
            await skipToMain(page, '上传资料');
            await tabTo(page, (x) => x.id === 'upload-next', '上传资料');
            await Promise.all([page.waitForURL(new RegExp(`/new/identity\\?id=${id}$`)), page.keyboard.press('Enter')]);

            /* 经办人在线认证: the phone by its labels, the PC page announces the result */
            await a11y.check(page, '经办人在线认证');
            assert.equal(await currentStep(page), '在线认证');
            assert.equal(await page.locator('#identity-status').getAttribute('role'), 'status');
            const link = await page.locator('#mobile-link').getAttribute('href');
            const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true,
                locale: 'zh-CN' });
            const phone = await phoneCtx.newPage();
            a11y.track(phone);
            await phone.goto(link);
            await a11y.check(phone, 'phone: 身份证照片');
            const front = phone.getByLabel('身份证人像面');
            assert.match(await front.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')).textContent),
                /身份证/, 'the photo inputs are described');
            await front.setInputFiles(tmpFile('front.jpg',
                Buffer.concat([JPEG, Buffer.from('SANDBOX-ID:李四|412723199010050012\n')])));
            await phone.getByLabel('身份证国徽面').setInputFiles(tmpFile('back.jpg',
                Buffer.concat([JPEG, Buffer.from('SANDBOX-IDBACK:深圳市公安局|2015-01-01|长期')])));
            await phone.getByRole('button', { name: '识别身份证' }).press('Enter');
            await phone.getByRole('form', { name: '第二步：活体认证' }).waitFor();
            await a11y.check(phone, 'phone: 活体认证');
            await phone.getByLabel('录制视频').setInputFiles(tmpFile('live.mp4', JPEG));
            await phone.getByRole('button', { name: '开始认证' }).press('Enter');
            await phone.getByRole('status').filter({ hasText: '认证通过' }).waitFor();
            await a11y.check(phone, 'phone: 认证通过');
            a11y.assertAllChecked(phone);
            await phoneCtx.close();

            await page.locator('#identity-status').filter({ hasText: '认证通过' }).waitFor({ timeout: 15000 });
            await a11y.check(page, '经办人在线认证, passed');
            await skipToMain(page, '经办人在线认证');
            await tabTo(page, (x) => x.id === 'identity-next', '经办人在线认证');
            await Promise.all([page.waitForURL(new RegExp(`/pay\\?id=${id}$`)), page.keyboard.press('Enter')]);

            /* 在线支付: reached; the step bar says so */
            await a11y.check(page, '缴费');
            assert.equal(await currentStep(page), '在线支付');
            await shot('02-pay');
            assert.deepEqual(problems, []);
            a11y.assertAllChecked(page);
        } catch (e) {
            await shot('failed').catch(() => {});
            throw e;
        } finally {
            await context.close();
        }
    });
