'use strict';
/*
 * bench/lighthouse.js, run by bench/lighthouse (which sets the environment):
 * makes the fixtures on the running hall, then runs Lighthouse (from LH_DIR)
 * on each page, mobile and desktop, in one headless Chromium, and prints one
 * line per page and form factor.  Exit 1 when a score is below 100.
 *
 * bi is Lighthouse's benchmarkIndex of the run, how fast this machine ran
 * its small CPU benchmark at that moment: the simulated mobile CPU is this
 * machine's slowed 4 times, so a low bi (a loaded machine) shows as TBT and
 * a lower performance score with no change in the page.
 */
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = path.join(__dirname, '..');
const { HALL, applicant } = require(path.join(ROOT, 'tests/integ/lib/client'));
const { staffLogin } = require(path.join(ROOT, 'tests/integ/lib/staff'));
const { acceptedByTransfer } = require(path.join(ROOT, 'tests/integ/lib/pki'));
const { unpaidOrder, orgForm, freshAccount, psql } = require(path.join(ROOT, 'tests/integ/lib/payflow'));
const { sealOrder } = require(path.join(ROOT, 'tests/integ/lib/seal'));

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'];
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

function lhImport(rel) {
    return import(pathToFileURL(path.join(process.env.LH_DIR, 'node_modules', rel)).href);
}

/* the pages: [name, path, who] where who is '' (public), 'applicant' or a staff login */
async function pages() {
    const staff = {
        reviewer: 'Reviewer2026demo', finance: 'Finance2026demo', operator: 'Operator2026demo',
        report: 'Report2026demo',
    };
    /* an applicant with an issued certificate (an order accepted by SQL,
     * issued by the operator as the e2e tests do), an unpaid order, a seal
     * order (produced below), the agreements of 证书新办 accepted */
    const o = await acceptedByTransfer();
    const c = o.c;
    const op = await staffLogin('operator', staff.operator);
    const issued = await op.post('/admin/pki/issue', { id: o.id });
    if (issued.status !== 200)
        throw new Error(`issue: ${issued.status} ${issued.text}`);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    const unpaid = await unpaidOrder(c, { form: orgForm({ bank_account: freshAccount() }) });
    const seal = await sealOrder(c, {
        org_count: '1', org_years: '2', org_style: 'auto', biz_count: '0', person_count: '0',
    }, { bank_account: freshAccount() });
    /* the seal order produced (accepted by SQL, issued by the operator, as
     * tests/e2e/lib/stamp.js's producedSeal does): 在线盖章 with the
     * holder's own seal chosen, as 我的电子印章 links it */
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${seal.id}`);
    const made = await op.post('/admin/pki/issue', { id: seal.id });
    if (made.status !== 200)
        throw new Error(`issue the seal: ${made.status} ${made.text}`);
    const sealItem = psql(`SELECT i.id FROM seal_items i JOIN seseals s ON s.item_id = i.id
        WHERE i.order_id = ${seal.id} AND s.state = 'valid' ORDER BY i.id LIMIT 1`);
    if (!/^\d+$/.test(sealItem))
        throw new Error(`the seal order ${seal.id} made no valid seal`);
    await c.get('/unlock?project=hall');
    await c.post('/unlock/agree', { project: 'hall', agree1: 'on', agree2: 'on' });
    await c.get('/new?project=jieyang');
    await c.post('/new/agree', { project: 'jieyang', agree1: 'on', agree2: 'on' });

    const cookies = { '': '', applicant: c.cookieHeader() };
    for (const [login, password] of Object.entries(staff))
        cookies[login] = login === 'operator' ? op.cookieHeader() : (await staffLogin(login, password)).cookieHeader();

    const list = [
        ['首页', '/', ''],
        ['揭阳公共资源', '/jieyang/', ''],
        ['湖南公共资源', '/hunan/', ''],
        ['建筑工务署', '/szjsgws/getLogin?projectId=0535cc2aee346b5dc3f9e5b852f00369', ''],
        ['nmgzc', '/nmgzc/', ''],
        ['gzmg', '/gzmg/', ''],
        ['gdhj', '/gdhj/', ''],
        ['产品方案', '/seal/product', ''],
        ['登录', '/login', ''],
        ['注册', '/register', ''],
        ['签名验证', '/sign/verify', ''],
        ['免费体验', '/sign/try', ''],
        ['使用指引', '/seal/usage', ''],
        ['驱动和盖章工具下载', '/sign/tools', ''],
        ['在线盖章', '/seal/stamp', ''],
        ['在线盖章 我的电子印章', `/seal/stamp?id=${sealItem}`, 'applicant'],
        ['证书状态查询', '/pki/lookup', ''],
        ['我的业务单', '/center/orders', 'applicant'],
        ['业务单详情', `/center/order?id=${o.id}`, 'applicant'],
        ['我的证书', '/center/certs', 'applicant'],
        ['我的电子印章', `/seal/seals?id=${seal.id}`, 'applicant'],
        ['证书新办 录入信息', '/new/apply?project=jieyang', 'applicant'],
        ['证书补办 证书选择', `/reissue/serial?serial=${serial}`, 'applicant'],
        ['电子签章 录入信息', '/seal/apply?project=hall', 'applicant'],
        ['金融认证', `/finauth?id=${o.id}`, 'applicant'],
        ['证书变更 证书选择', `/change/serial?serial=${serial}`, 'applicant'],
        ['证书更新 证书选择', '/renew/serial', 'applicant'],
        ['证书解锁 证书选择', '/unlock/serial', 'applicant'],
        ['缴费', `/pay?id=${unpaid.id}`, 'applicant'],
        ['审核队列', '/admin/review', 'reviewer'],
        ['审核 业务单', `/admin/order?id=${unpaid.id}`, 'reviewer'],
        ['到账确认', '/admin/finance', 'finance'],
        ['制作证书', '/admin/pki/production', 'operator'],
        ['证书管理', '/admin/pki/certs', 'operator'],
        ['统计报表', '/report/', 'report'],
    ];
    /* each page answers 200 to its cookie (not a redirect to a login) */
    for (const [name, p, who] of list) {
        const r = await fetch(HALL + p, { headers: { Cookie: cookies[who], Accept: 'text/html' }, redirect: 'manual' });
        if (r.status !== 200)
            throw new Error(`${name} ${p}: ${r.status} ${r.headers.get('location') || ''}` +
                (await r.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(-400));
    }
    return { list, cookies };
}

function width(s) {
    let w = 0;
    for (const ch of s)
        w += ch.codePointAt(0) > 0x2e80 ? 2 : 1;
    return w;
}
const pad = (s, n) => s + ' '.repeat(Math.max(1, n - width(s)));
const shownPath = (p) => p.replace(/id=\d+/g, 'id=N').replace(/serial=[0-9A-Fa-f]+/, 'serial=S')
    .replace(/projectId=\w+/, 'projectId=P');

/* the ids of the audits of the four categories that did not pass */
function failing(lhr) {
    const ids = new Set();
    for (const cat of CATEGORIES) {
        for (const ref of lhr.categories[cat].auditRefs) {
            const a = lhr.audits[ref.id];
            if (!a || a.score === null || a.score >= 1)
                continue;
            if (['informative', 'manual', 'notApplicable'].includes(a.scoreDisplayMode))
                continue;
            /* Lighthouse 12's insights repeat the audits of the same name */
            if (ref.id.endsWith('-insight'))
                continue;
            /* the metrics are in the performance score: named when below 0.9 */
            if (ref.group === 'metrics' || cat === 'performance' && a.scoreDisplayMode === 'numeric') {
                if (a.score < 0.9)
                    ids.add(`${ref.id}(${a.displayValue || a.score})`);
                continue;
            }
            ids.add(ref.id);
        }
    }
    return [...ids];
}

async function main() {
    const forms = process.env.LH_FORMS.split(/\s+/).filter(Boolean);
    const only = process.env.LH_ONLY ? new RegExp(process.env.LH_ONLY) : null;
    const { default: lighthouse } = await lhImport('lighthouse/core/index.js');
    const { default: desktopConfig } = await lhImport('lighthouse/core/config/desktop-config.js');
    const chromeLauncher = await lhImport('chrome-launcher/dist/index.js');

    const { list, cookies } = await pages();
    const chosen = list.filter(([name, p]) => !only || only.test(name) || only.test(p));
    let below = 0;
    {
        console.log(`${pad('form', 8)}${pad('page', 24)}${pad('path', 40)}perf a11y  bp  seo  LCP     TBT     bi    failing audits`);
        for (const form of forms) {
            for (const [name, p, who] of chosen) {
                const flags = { output: 'json', logLevel: 'error', onlyCategories: CATEGORIES };
                if (cookies[who])
                    flags.extraHeaders = { Cookie: cookies[who] };
                /* a browser of its own for each run, as the CLI does: the
                 * cookies a public page sets would otherwise be sent in
                 * place of the header's on the next page */
                const chrome = await chromeLauncher.launch({ chromePath: process.env.CHROME_PATH, chromeFlags: FLAGS });
                flags.port = chrome.port;
                let lhr;
                try {
                    const r = await lighthouse(HALL + p, flags, form === 'desktop' ? desktopConfig : undefined);
                    lhr = r.lhr;
                } catch (e) {
                    below++;
                    console.log(`${pad(form, 8)}${pad(name, 24)}${pad(shownPath(p), 40)}failed: ${e.message}`);
                    continue;
                } finally {
                    await chrome.kill();
                }
                if (process.env.LH_JSON) {
                    fs.mkdirSync(process.env.LH_JSON, { recursive: true });
                    const file = `${form}-${p.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'home'}.json`;
                    fs.writeFileSync(path.join(process.env.LH_JSON, file), JSON.stringify(lhr));
                }
                const scores = CATEGORIES.map((cat) => {
                    const s = lhr.categories[cat].score;
                    return s === null ? null : Math.round(s * 100);
                });
                if (scores.some((s) => s === null || s < 100))
                    below++;
                const fmt = (s) => String(s === null ? '-' : s).padStart(4);
                const ms = (id) => {
                    const v = lhr.audits[id] && lhr.audits[id].numericValue;
                    return v === undefined ? '-' : id === 'total-blocking-time' ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`;
                };
                const errs = lhr.runtimeError ? [`runtimeError:${lhr.runtimeError.code}`] : [];
                if (lhr.finalDisplayedUrl !== HALL + p) {
                    errs.push(`REDIRECTED:${lhr.finalDisplayedUrl}`);
                    below++;
                }
                console.log(`${pad(form, 8)}${pad(name, 24)}${pad(shownPath(p), 40)}${scores.map(fmt).join(' ')}  ` +
                    `${pad(ms('largest-contentful-paint'), 8)}${pad(ms('total-blocking-time'), 8)}` +
                    `${pad(String(Math.round(lhr.environment.benchmarkIndex)), 6)}` +
                    `${[...errs, ...failing(lhr)].join(' ') || '-'}`);
            }
        }
    }
    console.log(below ? `${below} page runs below 100 in some category` : 'every page 100 in all four categories');
    process.exitCode = below ? 1 : 0;
}

main().catch((e) => {
    console.error(`bench/lighthouse: ${e.stack || e.message}`);
    process.exitCode = 2;
});
