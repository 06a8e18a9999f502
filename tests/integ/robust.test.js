'use strict';
/*
 * No request can crash a worker: every route of every module, logged in as
 * an applicant (and the admin routes as staff), gets malformed input of
 * each kind.  Each answer must be a clear 4xx (never a 5xx from nginx or
 * the module), and no module may log a dead worker.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Client, applicant } = require('./lib/client');
const { staffSignIn } = require('./lib/staff');

const VAR = process.env.HALL_VAR;
const SKIP = !VAR;

const GETS = ['/', '/account/password', '/account/profile', '/center/order', '/center/orders',
    '/finauth', '/getLogin', '/healthz', '/login', '/new', '/new/apply', '/new/banks',
    '/new/divisions', '/new/entry', '/new/file', '/new/identity', '/new/identity/status',
    '/new/m/verify', '/new/print', '/new/shipping', '/new/upload', '/pay', '/register',
    '/admin', '/admin/file', '/admin/finance', '/admin/order', '/admin/review', '/admin/login',
    '/finauth/legal', '/finauth/legal/status', '/reissue/serial', '/admin/login/code', '/admin/login/enrol', '/unlock/assist'];
const POSTS = ['/account/password', '/account/profile', '/center/refund', '/finauth/code',
    '/finauth/retry', '/login', '/login/sms', '/logout', '/new/agree', '/new/apply',
    '/new/m/liveness', '/new/m/ocr', '/new/printed', '/new/resubmit', '/new/upload',
    '/new/uploaded', '/pay/notify/wechat', '/pay/notify/alipay', '/pay/online', '/pay/transfer', '/register', '/sms/send',
    '/admin/login', '/admin/order/approve', '/admin/order/reject', '/admin/transfer/confirm',
    '/admin/transfer/refuse', '/admin/login/code', '/admin/login/enrol',
    '/unlock/assist/ticket', '/unlock/assist/release', '/unlock/assist/rotated'];

const QUERIES = ['', '?id=', '?id=-1', '?id=99999999999999999999999', '?id=1%00', '?id=abc',
    '?q=%E4%B8', '?parent=%ff%fe', '?t=' + 'A'.repeat(43), '?page=0&status=x&from=2024-02-31',
    '?province=' + '9'.repeat(50), '?serial=712C1B5A584A1BB%00E', '?serial=' + 'F'.repeat(5000), '?' + 'a=1&'.repeat(300), '?%=%&&=&==', '?link=' + 'x'.repeat(5000)];

/* bodies: [content-type, body] */
const BODIES = [
    ['application/x-www-form-urlencoded', ''],
    ['application/x-www-form-urlencoded', '%%%&&&===%zz'],
    ['application/x-www-form-urlencoded', 'id=1&id=2&kind=' + '%C3%28'.repeat(100)],
    ['application/x-www-form-urlencoded', 'x=' + 'y'.repeat(200000)],
    ['application/json', '[1,2,3]'],
    ['application/json', '{"id": {"a": [1, {"b": null}]}, "code": 123456789012345678901}'],
    ['application/json', '{"unterminated": "'],
    ['application/json', '['.repeat(5000)],
    ['multipart/form-data; boundary=XYZ', '--XYZ\r\nContent-Disposition: form-data; name="id"\r\n\r\n1\r\n'],
    ['multipart/form-data', '--nobound\r\n\r\n'],
    ['multipart/form-data; boundary=' + 'b'.repeat(300), 'garbage'],
    ['text/plain', 'hello'],
];

function deadWorkers() {
    const dir = path.join(VAR, 'log');
    let n = 0;
    for (const f of fs.readdirSync(dir).filter((x) => /\.log$/.test(x)))
        n += (fs.readFileSync(path.join(dir, f), 'utf8').match(/worker died/g) || []).length;
    return n;
}

async function staffClient() {
    const s = new Client();
    const r = await staffSignIn(s, 'reviewer', 'Reviewer2026demo');
    assert.equal(r.status, 200, r.text);
    await s.get('/admin/review');
    return s;
}

async function hammer(c, label) {
    const bad = [];
    for (const p of GETS) {
        for (const q of QUERIES) {
            const r = await c.get(p + q, 'application/json');
            if (r.status >= 500)
                bad.push(`${label} GET ${p}${q.slice(0, 40)} → ${r.status}`);
        }
    }
    for (const p of POSTS) {
        for (const [ct, body] of BODIES) {
            const res = await fetch(c.base + p, {
                method: 'POST',
                headers: { Cookie: c.cookieHeader(), Accept: 'application/json', 'Content-Type': ct,
                    'X-CSRF-Token': c.csrf },
                body,
            });
            await res.arrayBuffer();
            if (res.status >= 500)
                bad.push(`${label} POST ${p} ${ct.slice(0, 30)} ${body.slice(0, 20)} → ${res.status}`);
        }
    }
    return bad;
}

test('robust__malformed_input_on_every_route__4xx_and_no_worker_dies', { skip: SKIP }, async () => {
    const before = deadWorkers();
    const anon = new Client();
    await anon.get('/login');
    const user = await applicant();
    const staff = await staffClient();
    const bad = [...await hammer(anon, 'anon'), ...await hammer(user, 'user'),
        ...await hammer(staff, 'staff')];
    assert.deepEqual(bad, []);
    assert.equal(deadWorkers(), before, 'a worker died');
    /* and everything still answers (the hammering also logged the user out) */
    const fresh = await applicant();
    assert.equal((await fresh.get('/healthz', 'application/json')).status, 200);
    assert.equal((await fresh.get('/center/orders')).status, 200);
    assert.equal((await fresh.get('/new?project=jieyang')).status, 200);
});
