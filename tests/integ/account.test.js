'use strict';
/*
 * The account module through nginx, as a user's browser meets it:
 * registration with an SMS code, login by password and by SMS code, logout,
 * locks and rate limits, CSRF, field errors, partner entry paths, security
 * headers.  Run by script/test (needs HALL_URL, HALL_SANDBOX_URL, HALL_PSQL).
 */

const { test } = require('node:test');
const assert = require('node:assert/strict');
const {
    SKIP, Client, newPhone, maskPhone, sendCode, sql1, ageSmsCodes, registerUser,
    loginPassword, smsMessages, waitForSms, codeOf,
} = require('./lib/hall');

const LOCKED_MSG = '密码错误次数过多，账户已暂时锁定，请稍后再试或使用短信验证码登录';
const userCount = () => Number(sql1('SELECT count(*) FROM users'));

/* profile as a browser asks for it: 200 page, or 303 to the login page */
async function profileStatus(client) {
    return (await client.page('/account/profile')).status;
}

test('registration: an SMS code, then the new user is logged in', { skip: SKIP }, async () => {
    const c = new Client();
    const phone = newPhone('139');
    const users = userCount();

    const page = await c.page('/register');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>注册<\/h1>/);
    assert.ok(c.cookie('hall_pre'), 'an anonymous visitor gets a pre-session cookie');
    assert.ok(c.csrf, 'the page carries a CSRF token');

    const sent = await c.post('/sms/send', { phone, purpose: 'register' });
    assert.equal(sent.status, 200, sent.text);
    assert.equal(sent.json.message, '验证码已发送，5分钟内有效');
    assert.equal(sent.json.resend_after, 60);
    const code = codeOf(await waitForSms(phone, 0));

    const r = await c.post('/register', { phone, code, password: 'Abcd1234', password2: 'Abcd1234' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { ok: true, redirect: '/' });
    assert.ok(c.cookie('hall_sid'), 'a session cookie');
    assert.equal(userCount(), users + 1);

    const profile = await c.page('/account/profile');
    assert.equal(profile.status, 200);
    assert.match(profile.text, new RegExp(`<dd id="phone-masked">${maskPhone(phone).replace(/\*/g, '\\*')}</dd>`));
    assert.ok(!profile.text.includes(phone), 'the page shows the phone masked only');
    const home = await c.page('/');
    assert.match(home.text, /您已登录/);

    /* the code is single use, and the phone cannot register twice */
    const reuse = await new Client().post('/register',
        { phone, code, password: 'Other1234', password2: 'Other1234' });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.json.field, 'code');
    assert.equal(reuse.json.message, '短信验证码已失效，请重新获取');
    assert.equal(userCount(), users + 1);

    /* asked again for a code to register: the same answer as for any phone,
     * so a stranger typing the number learns nothing; the phone's owner is
     * told by SMS that it has an account, and gets no code */
    await ageSmsCodes(phone);
    const smsBefore = (await smsMessages(phone)).length;
    const other = new Client();
    await other.page('/register');
    const again = await other.post('/sms/send', { phone, purpose: 'register' });
    const fresh = await other.post('/sms/send', { phone: newPhone('139'), purpose: 'register' });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, fresh.json, 'a registered phone is answered as a new one');
    const notice = await waitForSms(phone, smsBefore);
    assert.equal(notice.text, '【深圳CA】您的手机号码已注册，请直接登录，忘记密码可使用短信验证码登录。如非本人操作，请忽略本短信。');
    assert.doesNotMatch(notice.text, /\d{6}/, 'no code in it');
    /* and counted as a code: a second one within the minute is refused alike */
    const soon = await other.post('/sms/send', { phone, purpose: 'register' });
    assert.equal(soon.status, 429);
    assert.equal(soon.json.message, '验证码发送过于频繁，请60秒后再试');
    /* no code registers the phone twice */
    const guess = await other.post('/register', { phone, code: '000000', password: 'Other1234', password2: 'Other1234' });
    assert.equal(guess.status, 400);
    assert.equal(guess.json.field, 'code');
    assert.equal(userCount(), users + 1);
});

test('logout ends the session: the old cookie no longer opens the profile', { skip: SKIP }, async () => {
    const { client: c } = await registerUser();
    const sid = c.cookie('hall_sid');
    assert.equal(await profileStatus(c), 200);

    await c.page('/account/profile'); /* a logged-in page: its token */
    const out = await c.post('/logout', {});
    assert.equal(out.status, 200, out.text);
    assert.equal(out.json.redirect, '/');
    const cleared = out.cookies.find((k) => k.name === 'hall_sid');
    assert.ok(cleared, 'logout clears the session cookie');
    assert.equal(cleared.attrs['max-age'], '0');

    /* someone who kept the cookie gets nothing from it */
    const old = new Client();
    old.setCookie('hall_sid', sid);
    const html = await old.request('GET', '/account/profile');
    assert.equal(html.status, 303);
    assert.equal(html.headers.get('location'), '/login?next=%2Faccount%2Fprofile');
    const json = await old.getJson('/account/profile');
    assert.equal(json.status, 401);
    assert.equal(json.json.message, '请先登录');
});

test('login by password and by SMS code', { skip: SKIP }, async () => {
    const { phone, password } = await registerUser();

    const byPw = new Client();
    const r = await loginPassword(byPw, phone, password);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.redirect, '/');
    assert.equal(await profileStatus(byPw), 200);
    const me = await byPw.getJson('/account/profile');
    assert.equal(me.json.phone, maskPhone(phone));

    /* a wrong password tells how many tries are left, and not which part was wrong */
    const wrong = await loginPassword(new Client(), phone, password + 'x');
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.field, 'password');
    assert.equal(wrong.json.message, '手机号码或密码不正确，还可尝试4次');
    const nobody = await loginPassword(new Client(), newPhone('138'), password);
    assert.equal(nobody.status, 400);
    assert.equal(nobody.json.message, '手机号码或密码不正确');

    /* a minute later (the registration code was the last one), by SMS */
    await ageSmsCodes(phone);
    const bySms = new Client();
    await bySms.page('/login');
    const code = await sendCode(bySms, phone, 'login');
    const s = await bySms.post('/login/sms', { phone, code });
    assert.equal(s.status, 200, s.text);
    assert.equal(s.json.redirect, '/');
    assert.equal(await profileStatus(bySms), 200);

    /* the code was used up */
    const reuse = await new Client().post('/login/sms', { phone, code });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.json.field, 'code');
    assert.equal(reuse.json.message, '短信验证码已失效，请重新获取');
});

test('wrong passwords lock the account (429); an SMS login lifts the lock', { skip: SKIP }, async () => {
    const { phone, password } = await registerUser();
    const c = new Client();

    for (let i = 1; i <= 4; i++) {
        const r = await loginPassword(c, phone, 'Wrong' + i + 'pass');
        assert.equal(r.status, 400, `try ${i}: ${r.text}`);
        assert.equal(r.json.message, `手机号码或密码不正确，还可尝试${5 - i}次`);
    }
    const fifth = await loginPassword(c, phone, 'Wrong5pass');
    assert.equal(fifth.status, 429, fifth.text);
    assert.equal(fifth.json.field, 'password');
    assert.equal(fifth.json.message, LOCKED_MSG);

    /* locked: even the right password is refused, and no session is made */
    const right = await loginPassword(c, phone, password);
    assert.equal(right.status, 429);
    assert.equal(right.json.message, LOCKED_MSG);
    assert.equal(c.cookie('hall_sid'), undefined);

    /* the message offers the way out: an SMS code proves the phone */
    await ageSmsCodes(phone);
    const code = await sendCode(c, phone, 'login');
    const s = await c.post('/login/sms', { phone, code });
    assert.equal(s.status, 200, s.text);
    const after = await loginPassword(new Client(), phone, password);
    assert.equal(after.status, 200, after.text);
});

test('SMS codes: one a minute per phone (429), void after 5 wrong tries', { skip: SKIP }, async () => {
    const c = new Client();
    const phone = newPhone('137');
    const users = userCount();
    const code = await sendCode(c, phone, 'login');

    const soon = await c.post('/sms/send', { phone, purpose: 'login' });
    assert.equal(soon.status, 429);
    assert.equal(soon.json.field, 'phone');
    assert.equal(soon.json.message, '验证码发送过于频繁，请60秒后再试');
    /* another purpose is the same phone: still too soon */
    const other = await c.post('/sms/send', { phone, purpose: 'register' });
    assert.equal(other.status, 429);
    assert.equal((await smsMessages(phone)).length, 1, 'no second SMS went out');

    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 5; i++) {
        const r = await c.post('/login/sms', { phone, code: wrong });
        assert.equal(r.status, 400, `try ${i}: ${r.text}`);
        assert.equal(r.json.field, 'code');
        assert.equal(r.json.message, '短信验证码不正确');
    }
    const late = await c.post('/login/sms', { phone, code });
    assert.equal(late.status, 400);
    assert.equal(late.json.field, 'code');
    assert.equal(late.json.message, '短信验证码错误次数过多，请重新获取');
    assert.equal(c.cookie('hall_sid'), undefined);
    assert.equal(userCount(), users, 'no account was made');
});

test('a POST without the CSRF token is refused (403) and does nothing', { skip: SKIP }, async () => {
    const c = new Client();
    await c.page('/register');
    const phone = newPhone('136');

    for (const [p, params] of [
        ['/sms/send', { phone, purpose: 'register' }],
        ['/login', { phone, password: 'Abcd1234' }],
        ['/register', { phone, code: '123456', password: 'Abcd1234', password2: 'Abcd1234' }],
    ]) {
        const r = await c.post(p, params, { csrf: false });
        assert.equal(r.status, 403, `${p}: ${r.text}`);
        assert.equal(r.json.message, '页面已过期，请刷新页面后重试');
    }
    /* a token from another visitor's page does not fit this visitor's cookie */
    const other = new Client();
    await other.page('/register');
    c.csrf = other.csrf;
    const forged = await c.post('/sms/send', { phone, purpose: 'register' });
    assert.equal(forged.status, 403);
    /* the same without JavaScript: an HTML error page */
    const html = await c.post('/sms/send', { phone, purpose: 'register' }, { csrf: false, accept: 'html' });
    assert.equal(html.status, 403);
    assert.match(html.text, /页面已过期，请刷新页面后重试/);

    assert.equal((await smsMessages(phone)).length, 0, 'no SMS was sent');
});

test('bad registration input: 400 naming the field, no account', { skip: SKIP }, async () => {
    const c = new Client();
    const phone = newPhone('135');
    const users = userCount();
    const code = await sendCode(c, phone, 'register', { tokenPage: '/register' });
    const good = { phone, code, password: 'Abcd1234', password2: 'Abcd1234' };

    const cases = [
        [{ phone: '12345678901' }, 'phone', '请输入正确的手机号码'],
        [{ phone: '1391234567' }, 'phone', '请输入正确的手机号码'],
        [{ phone: '' }, 'phone', '请填写手机号码'],
        [{ code: '12ab56' }, 'code', '短信验证码应为6位数字'],
        [{ password: 'Ab1234', password2: 'Ab1234' }, 'password', '密码须为8-64位，且同时包含字母和数字'],
        [{ password: '12345678', password2: '12345678' }, 'password', '密码须为8-64位，且同时包含字母和数字'],
        [{ password2: 'Abcd12345' }, 'password2', '两次输入的密码不一致'],
    ];
    for (const [change, field, message] of cases) {
        const r = await c.post('/register', { ...good, ...change });
        assert.equal(r.status, 400, `${JSON.stringify(change)}: ${r.text}`);
        assert.equal(r.json.ok, false);
        assert.equal(r.json.field, field, JSON.stringify(change));
        assert.equal(r.json.message, message, JSON.stringify(change));
        assert.equal(userCount(), users, `no account after ${JSON.stringify(change)}`);
    }
    /* none of that used up the code: the corrected form goes through */
    const r = await c.post('/register', good);
    assert.equal(r.status, 200, r.text);
    assert.equal(userCount(), users + 1);
});

test('GET /healthz answers JSON with the database up', { skip: SKIP }, async () => {
    const r = await new Client().getJson('/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.json.ok, true);
    assert.equal(r.json.database, true);
});

test('partner entry paths: known partners and project IDs, 404 otherwise', { skip: SKIP }, async () => {
    const c = new Client();
    const jieyang = await c.page('/jieyang/');
    assert.equal(jieyang.status, 200);
    assert.match(jieyang.text, /揭阳公共资源/);
    const hunan = await c.page('/hunan/');
    assert.equal(hunan.status, 200);
    assert.match(hunan.text, /湖南省公共资源交易服务平台/);
    /* a partner's links stay under its path */
    assert.match(hunan.text, /href="\/hunan\/login"/);

    const entry = await c.page('/szjsgws/getLogin?projectId=0535cc2aee346b5dc3f9e5b852f00369');
    assert.equal(entry.status, 200);
    assert.match(entry.text, /深圳市建筑工务署/);
    assert.match(entry.text, /action="\/szjsgws\/login\/sms"/, 'the partner logs in by SMS code');

    for (const p of ['/szjsgws/getLogin?projectId=ffffffffffffffffffffffffffffffff',
        '/szjsgws/getLogin', '/szjsgws/', '/jieyang/getLogin?projectId=0535cc2aee346b5dc3f9e5b852f00369']) {
        const r = await c.page(p);
        assert.equal(r.status, 404, p);
        assert.match(r.text, /项目不存在|您访问的页面不存在/, p);
    }
    const unknown = await c.page('/nosuch/');
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /您访问的页面不存在/);
});

test('security headers on pages, JSON, errors and static files', { skip: SKIP }, async () => {
    const c = new Client();
    const answers = [
        ['/register', await c.page('/register'), 200],
        ['/healthz', await c.getJson('/healthz'), 200],
        ['/nosuch/', await c.page('/nosuch/'), 404],
        ['POST /sms/send (403)', await c.post('/sms/send', {}, { csrf: false }), 403],
        ['/static/hall.js', await c.request('GET', '/static/hall.js'), 200],
    ];
    for (const [what, r, status] of answers) {
        assert.equal(r.status, status, what);
        const csp = r.headers.get('content-security-policy') || '';
        assert.match(csp, /default-src 'self'/, what);
        assert.match(csp, /script-src 'self'/, what);
        assert.match(csp, /frame-ancestors 'none'/, what);
        assert.doesNotMatch(csp, /unsafe-inline/, what);
        assert.equal(r.headers.get('x-content-type-options'), 'nosniff', what);
        assert.equal(r.headers.get('x-frame-options'), 'DENY', what);
        assert.equal(r.headers.get('server'), 'nginx', `${what}: no version`);
    }
});

test('cookies are HttpOnly and SameSite=Lax', { skip: SKIP }, async () => {
    const c = new Client();
    const page = await c.page('/login');
    const pre = page.cookies.find((k) => k.name === 'hall_pre');
    assert.ok(pre, 'pre-session cookie');
    const { phone, password } = await registerUser();
    const r = await loginPassword(c, phone, password);
    const sid = r.cookies.find((k) => k.name === 'hall_sid');
    assert.ok(sid, 'session cookie');
    for (const k of [pre, sid]) {
        assert.equal(k.attrs.httponly, true, k.line);
        assert.equal(k.attrs.samesite, 'Lax', k.line);
        assert.equal(k.attrs.path, '/', k.line);
        assert.match(k.value, /^[A-Za-z0-9_-]{43}$/, 'a 256-bit random token');
    }
    assert.equal(sid.attrs['max-age'], undefined, 'a session cookie ends with the browser');
});

test('changing the password logs out the other sessions, not this one', { skip: SKIP }, async () => {
    const { client: a, phone, password } = await registerUser();
    const b = new Client();
    assert.equal((await loginPassword(b, phone, password)).status, 200);
    assert.equal(await profileStatus(b), 200);

    await a.page('/account/password');
    const wrongOld = await a.post('/account/password',
        { old_password: 'Nope12345', password: 'NewPass123', password2: 'NewPass123' });
    assert.equal(wrongOld.status, 400);
    assert.equal(wrongOld.json.field, 'old_password');
    assert.equal(wrongOld.json.message, '原密码不正确');
    assert.equal(await profileStatus(b), 200, 'a refused change drops nothing');

    const r = await a.post('/account/password',
        { old_password: password, password: 'NewPass123', password2: 'NewPass123' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.message, '密码已修改，其他设备上的登录已退出');

    assert.equal(await profileStatus(a), 200, 'this session goes on');
    assert.equal(await profileStatus(b), 303, 'the other one is gone');
    assert.equal((await b.getJson('/account/profile')).status, 401);
    assert.equal((await loginPassword(new Client(), phone, password)).status, 400, 'old password');
    assert.equal((await loginPassword(new Client(), phone, 'NewPass123')).status, 200, 'new password');
});
