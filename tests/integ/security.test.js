'use strict';
/*
 * Attacks from issue 7 that once worked, through nginx as a browser or a
 * script would try them: open redirects after login, the password-lock race,
 * SMS sending without limits, ambiguous signed partner links, CSRF tokens in
 * query strings.  Run by script/test (needs HALL_URL, HALL_SANDBOX_URL, HALL_PSQL).
 */

const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const {
    SKIP, HALL_ROOT, HALL_CONF, Client, newPhone, sendCode, ageSmsCodes, registerUser,
    loginPassword, sql, sql1, smsMessages, waitFor,
} = require('./lib/hall');

/* next= values and where the hall may send the browser after login; a
 * browser drops tabs and newlines from a URL, so "/\t/evil" is "//evil" */
const NEXTS = [
    ['/\t/evil.example/', '/'], ['//evil.example/', '/'], ['/\\evil.example/', '/'],
    ['/\n/evil.example', '/'], ['/x\\..\\evil', '/'], ['https://evil.example/', '/'],
    ['/\r\n/evil.example', '/'], ['/%09/evil.example/', '/%09/evil.example/'],
];

test('next= after login, SMS login and registration: only a local path, else /', { skip: SKIP }, async () => {
    const { phone, password } = await registerUser();

    for (const [next, want] of NEXTS) {
        /* the login page does not carry the foreign target into its form */
        const c = new Client();
        const page = await c.page(`/login?next=${encodeURIComponent(next)}`);
        assert.equal(page.status, 200);
        const hidden = page.text.match(/name="next" value="([^"]*)"/);
        assert.ok(hidden, 'the login form has a next field');
        assert.equal(hidden[1], want, `the form's next for ${JSON.stringify(next)}`);

        const r = await c.post('/login', { phone, password, next });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.redirect, want, `login with next=${JSON.stringify(next)}`);
        assert.equal(new URL(r.json.redirect.replace(/[\t\n\r]/g, ''), 'http://hall.test/').host,
            'hall.test');
    }

    /* a browser's plain form post (no JSON) gets a 303 to "/" */
    const plain = new Client();
    await plain.page('/login');
    const html = await plain.post('/login', { phone, password, next: '/\t/evil.example/' }, { accept: 'html' });
    assert.equal(html.status, 303);
    assert.equal(html.headers.get('location'), '/');

    /* the same for the SMS login ... */
    await ageSmsCodes(phone);
    const s = new Client();
    await s.page('/login');
    const code = await sendCode(s, phone, 'login');
    const bySms = await s.post('/login/sms', { phone, code, next: '/\t/evil.example/' });
    assert.equal(bySms.status, 200, bySms.text);
    assert.equal(bySms.json.redirect, '/');

    /* ... and for registration */
    const reg = new Client();
    const p2 = newPhone('135');
    await reg.page('/register?next=%2F%09%2Fevil.example%2F');
    const c2 = await sendCode(reg, p2, 'register', { tokenPage: '/register' });
    const r2 = await reg.post('/register', {
        phone: p2, code: c2, password: 'Abcd12345', password2: 'Abcd12345', next: '/\t/evil.example/',
    });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.json.redirect, '/');

    /* a local next still works */
    const ok = await loginPassword(new Client(), phone, password);
    assert.equal(ok.status, 200);
    const local = new Client();
    await local.page('/login?next=%2Fcenter');
    const r3 = await local.post('/login', { phone, password, next: '/center' });
    assert.equal(r3.json.redirect, '/center');
});

const LOCKED_MSG = '密码错误次数过多，账户已暂时锁定，请稍后再试或使用短信验证码登录';
const STAFF_LOCKED_MSG = '密码错误次数过多，账号已暂时锁定，请稍后再试';

/* the user id behind a logged-in client (sessions keep the cookie's SHA-256) */
function userIdOf(client) {
    const h = crypto.createHash('sha256').update(client.cookie('hall_sid')).digest('hex');
    return Number(sql1(`SELECT user_id FROM sessions WHERE token_hash = '\\x${h}'`));
}

/* n clients with a login page each (its CSRF token), ready to post at once */
async function readyClients(n, page) {
    const cs = [];
    for (let i = 0; i < n; i++) {
        const c = new Client();
        await c.page(page);
        cs.push(c);
    }
    return cs;
}

test('20 parallel wrong passwords: exactly 5 tries, then the right one neither logs in nor unlocks', { skip: SKIP }, async () => {
    const { client, phone, password } = await registerUser();
    const uid = userIdOf(client);
    const cs = await readyClients(20, '/login');

    const rs = await Promise.all(cs.map((c, i) => loginPassword(c, phone, `Wrong${i}pass`)));
    const tried = rs.filter((r) => r.status === 400);
    const locked = rs.filter((r) => r.status === 429);
    assert.equal(tried.length + locked.length, 20, rs.map((r) => r.status).join(','));
    /* tries 1-4 say how many are left, the 5th locks: 4 x 400 and 16 x 429 */
    assert.deepEqual(tried.map((r) => r.json.message).sort(),
        [1, 2, 3, 4].map((n) => `手机号码或密码不正确，还可尝试${n}次`));
    assert.ok(locked.every((r) => r.json.message === LOCKED_MSG));
    const row = `FROM users WHERE id = ${uid}`;
    assert.equal(sql1(`SELECT failed_logins ${row}`), '5', 'five wrong passwords counted');
    const until = sql1(`SELECT locked_until ${row}`);
    assert.notEqual(until, '');

    /* the right password, alone and beside more wrong ones: refused, lock kept */
    const late = await readyClients(6, '/login');
    const rs2 = await Promise.all(late.map((c, i) => loginPassword(c, phone, i === 3 ? password : `Again${i}pass`)));
    for (const r of rs2) {
        assert.equal(r.status, 429, r.text);
        assert.equal(r.json.message, LOCKED_MSG);
    }
    assert.ok(late.every((c) => c.cookie('hall_sid') === undefined), 'no session was made');
    assert.equal(sql1(`SELECT failed_logins ${row}`), '5');
    assert.equal(sql1(`SELECT locked_until ${row}`), until, 'the lock is neither lifted nor moved');
});

test('staff: 20 parallel wrong passwords lock after exactly 5, the right one then fails', { skip: SKIP }, async () => {
    const login = `race${process.pid % 1000}${Date.now() % 100000}`;
    const pw = 'RaceTest2026pw';
    require('./lib/staff').addStaff(login, 'reviewer', pw);
    const cs = await readyClients(20, '/admin/login');

    const rs = await Promise.all(cs.map((c, i) => c.post('/admin/login', { login, password: `wrong${i}pass` })));
    const statuses = rs.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 400).length, 4, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 16, statuses.join(','));
    assert.equal(sql1(`SELECT failed_logins FROM staff WHERE login = '${login}'`), '5');

    const right = (await readyClients(1, '/admin/login'))[0];
    const r = await right.post('/admin/login', { login, password: pw });
    assert.equal(r.status, 429, r.text);
    assert.equal(r.json.message, STAFF_LOCKED_MSG);
    assert.equal(right.cookie('hall_staff'), undefined);
    assert.equal(sql1(`SELECT failed_logins FROM staff WHERE login = '${login}'`), '5');
});

/* ---- signed partner links (docs/partners.md) ------------------------------ */

const LINK_SECRET = 'dev-only-hunan-link-secret-change-me';
const pct = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (s) => crypto.createHmac('sha256', LINK_SECRET).update(s, 'utf8').digest('hex');
/* pairs [[k, v], ...] as a query string, in the given order, repeats kept */
const query = (pairs) => pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&');
const canonical = (pairs) => query([...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
const linkPairs = (extra) => [['cert_type', 'person'], ['nonce', crypto.randomBytes(8).toString('hex')],
    ['ts', String(Math.floor(Date.now() / 1000))], ...extra];

test('partner links: the canonical encoding is signed; folded, split or repeated parameters are refused', { skip: SKIP }, async () => {
    const c = new Client();
    /* values with the characters that made the old string ambiguous */
    const good = linkPairs([['name', '王五'], ['mobile', '13700137000'], ['email', "a&b=c+d%20'x'@example.com"]]);
    let r = await c.request('GET', `/hunan/new/entry?${query(good)}&sign=${hmac(canonical(good))}`);
    assert.equal(r.status, 303, r.text);

    /* "mobile=137...&name=王五" folded into one value: the old, unencoded
     * string stayed the same, so the old signature still matched */
    const base = linkPairs([['mobile', '13700137000'], ['name', '王五']]);
    const folded = base.filter(([k]) => k !== 'name' && k !== 'mobile').concat([['mobile', '13700137000&name=王五']]);
    const oldCanon = (pairs) => [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
    assert.equal(oldCanon(folded), oldCanon(base), 'the two links had one old signed string');
    r = await c.request('GET', `/hunan/new/entry?${query(folded)}&sign=${hmac(oldCanon(base))}`);
    assert.equal(r.status, 403);
    assert.match(r.text, /链接签名无效/);
    r = await c.request('GET', `/hunan/new/entry?${query(folded)}&sign=${hmac(canonical(base))}`);
    assert.equal(r.status, 403);
    assert.match(r.text, /链接签名无效/);

    /* a parameter twice, even when both copies are signed, and sign twice */
    const twice = linkPairs([['name', '王五'], ['name', '赵六']]);
    r = await c.request('GET', `/hunan/new/entry?${query(twice)}&sign=${hmac(canonical(twice))}`);
    assert.equal(r.status, 403);
    assert.match(r.text, /链接参数重复/);
    const once = linkPairs([['name', '王五']]);
    r = await c.request('GET', `/hunan/new/entry?${query(once)}&sign=${'0'.repeat(64)}&sign=${hmac(canonical(once))}`);
    assert.equal(r.status, 403);
    assert.match(r.text, /链接参数重复/);
});

test('the bash example of docs/partners.md makes a link the hall accepts', { skip: SKIP }, async () => {
    const doc = fs.readFileSync(path.join(HALL_ROOT, 'docs', 'partners.md'), 'utf8');
    const m = doc.match(/The same in bash[^]*?```sh\n([^]*?)```/);
    assert.ok(m, 'docs/partners.md has the bash example');
    const out = execFileSync('bash', ['-c', m[1].replace(/http:\/\/127\.0\.0\.1:8080/g, process.env.HALL_URL)],
        { encoding: 'utf8' }).trim();
    const r = await new Client().request('GET', out.slice(process.env.HALL_URL.length));
    assert.equal(r.status, 303, `${out}: ${r.text}`);
});

test('script/partner-link: the running hall\'s address without --base', { skip: SKIP }, async () => {
    const url = execFileSync(path.join(HALL_ROOT, 'script', 'partner-link'),
        ['--partner', 'hunan', '--secret', LINK_SECRET, 'cert_type=person', 'mobile=13700137001'],
        { encoding: 'utf8', env: { ...process.env, HALL_CONF } }).trim();
    assert.ok(url.startsWith(`${process.env.HALL_URL}/hunan/new/entry?`), url);
    const r = await new Client().request('GET', url.slice(process.env.HALL_URL.length));
    assert.equal(r.status, 303, r.text);
});

test('the CSRF token counts from the header or the form body, never from the query string', { skip: SKIP }, async () => {
    const c = new Client();
    await c.page('/login');
    const token = c.csrf;
    const phone = newPhone('136');
    let r = await c.request('POST', `/sms/send?_csrf=${encodeURIComponent(token)}`, {
        body: new URLSearchParams({ phone, purpose: 'login' }).toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, accept: 'json',
    });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.message, '页面已过期，请刷新页面后重试');
    /* the same token in the body is fine */
    r = await c.request('POST', '/sms/send', {
        body: new URLSearchParams({ phone, purpose: 'login', _csrf: token }).toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, accept: 'json',
    });
    assert.equal(r.status, 200, r.text);
    /* staff forms alike */
    const s = new Client();
    await s.page('/admin/login');
    r = await s.request('POST', `/admin/login?_csrf=${encodeURIComponent(s.csrf)}`, {
        body: new URLSearchParams({ login: 'nobody', password: 'whatever12345' }).toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, accept: 'json',
    });
    assert.equal(r.status, 403, r.text);
});

/* ---- SMS sending limits ----------------------------------------------------- */

/* The test hall's settings (script/test writes them to hall.conf). */
function confValue(name) {
    const m = fs.readFileSync(HALL_CONF, 'utf8').match(new RegExp(`^${name}\\s*=\\s*(\\S+)`, 'mg'));
    assert.ok(m, `${name} in ${HALL_CONF}`);
    return Number(m[m.length - 1].split('=')[1].trim());
}

/* An HTTP request from another loopback address (nginx sees it as REMOTE_ADDR). */
function fromAddr(addr, method, p, { body = null, headers = {} } = {}) {
    const u = new URL(process.env.HALL_URL + p);
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: u.hostname, port: u.port, path: u.pathname + u.search, method,
            localAddress: addr, headers: body === null ? headers
                : { ...headers, 'Content-Length': Buffer.byteLength(body) },
        }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => { text += d; });
            res.on('end', () => {
                let json = null;
                try {
                    json = JSON.parse(text);
                } catch {
                    json = null;
                }
                resolve({ status: res.statusCode, headers: res.headers, text, json });
            });
        });
        req.on('error', reject);
        if (body !== null)
            req.write(body);
        req.end();
    });
}

/* A browser on ADDR: the login page's pre-session cookie and form token. */
async function visitorAt(addr) {
    const r = await fromAddr(addr, 'GET', '/login', { headers: { Accept: 'text/html' } });
    assert.equal(r.status, 200);
    const pre = (r.headers['set-cookie'] || []).map((c) => c.split(';')[0]).find((c) => c.startsWith('hall_pre='));
    const csrf = r.text.match(/<meta name="csrf-token" content="([^"]*)">/);
    assert.ok(pre && csrf, 'a pre-session cookie and a form token');
    return {
        pre: pre.slice('hall_pre='.length),
        send: (phone) => fromAddr(addr, 'POST', '/sms/send', {
            body: new URLSearchParams({ phone, purpose: 'login' }).toString(),
            headers: {
                Cookie: pre, 'X-CSRF-Token': csrf[1], Accept: 'application/json',
                'Content-Type': 'application/x-www-form-urlencoded',
            },
        }),
    };
}

const IP_LIMIT_MSG = '您所在网络获取验证码的次数过多，请1小时后再试';
const SESSION_LIMIT_MSG = '获取验证码的次数过多，请1小时后再试';
const NGINX_LIMIT_MSG = '获取验证码过于频繁，请稍后再试';

/* the count of KEY for this hour and the next (a test across the hour's turn) */
function presetCount(key, n) {
    sql(`INSERT INTO sms_send_counts (key, hour, n)
         SELECT '${key}', date_trunc('hour', now()) + g * interval '1 hour', ${n} FROM generate_series(0, 1) g
         ON CONFLICT (key, hour) DO UPDATE SET n = EXCLUDED.n`);
}

test('SMS codes per client address: at the hourly limit, 10 parallel requests for 10 numbers send exactly what is left', { skip: SKIP }, async () => {
    const max = confValue('sms_ip_hourly_max');
    const addr = '127.0.0.3';
    const visitors = [];
    for (let i = 0; i < 10; i++)
        visitors.push(await visitorAt(addr));
    presetCount(`ip:${addr}`, max - 3);
    const phones = visitors.map(() => newPhone('134'));
    const rs = await Promise.all(visitors.map((v, i) => v.send(phones[i])));
    const ok = rs.filter((r) => r.status === 200);
    const refused = rs.filter((r) => r.status === 429);
    assert.equal(ok.length, 3, rs.map((r) => `${r.status} ${r.text}`).join('\n'));
    assert.equal(refused.length, 7);
    for (const r of refused) {
        assert.equal(r.json.field, 'phone');
        assert.equal(r.json.message, IP_LIMIT_MSG);
    }
    assert.equal(sql1(`SELECT n FROM sms_send_counts WHERE key = 'ip:${addr}' AND hour = date_trunc('hour', now())`),
        String(max), 'refused requests are not counted');
    /* only the three numbers that were answered 200 get a code */
    const okPhones = phones.filter((p, i) => rs[i].status === 200);
    await waitFor('three codes at the sandbox', async () =>
        (await Promise.all(okPhones.map((p) => smsMessages(p)))).every((m) => m.length === 1));
    const others = await Promise.all(phones.filter((p, i) => rs[i].status !== 200).map((p) => smsMessages(p)));
    assert.ok(others.every((m) => m.length === 0), 'no code went to a refused number');
});

test('SMS codes per browser session: the hourly limit holds for parallel requests to many numbers', { skip: SKIP }, async () => {
    const max = confValue('sms_session_hourly_max');
    const c = new Client();
    await c.page('/login');
    const key = `session:${crypto.createHash('sha256').update(c.cookie('hall_pre')).digest('hex')}`;
    presetCount(key, max - 2);
    const rs = await Promise.all([0, 1, 2, 3, 4, 5].map(() => c.post('/sms/send', { phone: newPhone('133'), purpose: 'login' })));
    assert.equal(rs.filter((r) => r.status === 200).length, 2, rs.map((r) => `${r.status} ${r.text}`).join('\n'));
    const refused = rs.filter((r) => r.status === 429);
    assert.equal(refused.length, 4);
    assert.ok(refused.every((r) => r.json.message === SESSION_LIMIT_MSG));
    /* a new browser is another count */
    const d = new Client();
    await d.page('/login');
    const r = await d.post('/sms/send', { phone: newPhone('133'), purpose: 'login' });
    assert.equal(r.status, 200, r.text);
});

test('nginx limits SMS code requests per address before the hall: 429 with a Chinese message', { skip: SKIP }, async () => {
    /* the default limit (HALL_SMS_RATE 10r/m, burst 20) applies to 127.0.0.2 */
    const v = await visitorAt('127.0.0.2');
    const start = Date.now();
    const rs = await Promise.all(Array.from({ length: 40 }, () => v.send('1300000000x')));
    const minutes = (Date.now() - start) / 60000;
    const byNginx = rs.filter((r) => r.status === 429);
    assert.ok(byNginx.length > 0, rs.map((r) => r.status).join(','));
    for (const r of byNginx) {
        assert.match(r.headers['content-type'], /^application\/json/);
        assert.deepEqual(r.json, { ok: false, field: 'phone', message: NGINX_LIMIT_MSG });
    }
    /* what passed got the hall's own answer (a bad number: 400) */
    const passed = rs.filter((r) => r.status !== 429);
    assert.ok(passed.every((r) => r.status === 400 && r.json.field === 'phone'), passed.map((r) => r.text).join('\n'));
    assert.ok(passed.length <= 21 + Math.ceil(minutes * 10), `${passed.length} passed nginx`);
    /* 127.0.0.1, exempt in the test hall, is not limited by nginx */
    const c = new Client();
    await c.page('/login');
    const mine = await Promise.all(Array.from({ length: 30 }, () => c.post('/sms/send', { phone: '1300000000x', purpose: 'login' })));
    assert.ok(mine.every((r) => r.status === 400), mine.map((r) => r.status).join(','));
});

test('a partner link\'s login page has the phone of the link filled in', { skip: SKIP }, async () => {
    const phone = newPhone('137');
    const url = execFileSync(path.join(HALL_ROOT, 'script', 'partner-link'),
        ['--partner', 'hunan', '--secret', LINK_SECRET, 'cert_type=person', 'name=王五', `mobile=${phone}`],
        { encoding: 'utf8', env: { ...process.env, HALL_CONF } }).trim();
    const c = new Client();
    const r = await c.request('GET', url.slice(process.env.HALL_URL.length));
    assert.equal(r.status, 303, r.text);
    const login = await c.page(r.headers.get('location'));
    assert.equal(login.status, 200);
    assert.match(login.text, new RegExp(`<input name="phone" type="tel" maxlength="20" value="${phone}"`));
    /* a login page without a link: empty */
    const plain = await new Client().page('/hunan/login');
    assert.ok(!plain.text.includes(`value="${phone}"`));
});
