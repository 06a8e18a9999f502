'use strict';
/*
 * CSRF tokens: every state-changing request needs one; after login only the
 * session's token counts, not one handed out to the anonymous visit before.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, latestCode, freshPhone } = require('./lib/client');

test('csrf__pre_login_token_refused_after_login__session_token_accepted', async () => {
    const c = new Client();
    await c.get('/login');
    const preToken = c.csrf;
    const phone = freshPhone('133');
    assert.equal((await c.post('/sms/send', { phone, purpose: 'login' })).status, 200);
    const { code } = await latestCode(phone);
    const login = await c.post('/login/sms', { phone, code });
    assert.equal(login.status, 200, login.text);
    /* the old page's token, now with a session cookie */
    c.csrf = preToken;
    const stale = await c.post('/account/profile', { display_name: '张三', email: '' });
    assert.equal(stale.status, 403);
    assert.match(stale.body.message, /页面已过期/);
    await c.get('/account/profile');
    assert.notEqual(c.csrf, preToken, 'the logged-in page carries a new token');
    const ok = await c.post('/account/profile', { display_name: '张三', email: '' });
    assert.equal(ok.status, 200, ok.text);
    const none = await c.post('/account/profile', { display_name: '李四', email: '' }, { csrf: false });
    assert.equal(none.status, 403);
});

/* issue 12 part 3: a page whose query string cannot be parsed answered 400
 * before the cookies were read, so the error page minted a new hall_pre and
 * every other open form of the visitor then failed with 页面已过期 */
test('csrf__bad_query_string__keeps_the_visitors_cookie_and_other_open_forms_work', async () => {
    const c = new Client();
    await c.get('/login');
    const loginToken = c.csrf;
    await c.get('/register');
    const registerToken = c.csrf;
    const pre = c.jar.get('hall_pre');
    assert.ok(pre, 'an anonymous visitor has a hall_pre cookie');

    for (const bad of ['/login?next=%00', '/register?x=%zz']) {
        const r = await c.get(bad);
        assert.equal(r.status, 400, `${bad} is refused`);
        assert.match(r.text, /请求地址格式不正确/);
        assert.equal(c.jar.get('hall_pre'), pre, `${bad} leaves hall_pre as it was`);
    }

    /* both forms opened before still go through */
    c.csrf = registerToken;
    const sms = await c.post('/sms/send', { phone: freshPhone('135'), purpose: 'register' });
    assert.equal(sms.status, 200, sms.text);
    c.csrf = loginToken;
    const login = await c.post('/login', { phone: freshPhone('136'), password: 'Wrong-pass-1' });
    assert.notEqual(login.status, 403, login.text);
    assert.doesNotMatch(login.text, /页面已过期/);
});

/* a worker keeps the form token of the last session it served: another
 * session's token must still be refused right after it, whichever worker
 * answers (account pages, 5 workers: pages interleaved many times) */
async function loggedIn(prefix) {
    const c = new Client();
    await c.get('/login');
    const phone = freshPhone(prefix);
    assert.equal((await c.post('/sms/send', { phone, purpose: 'login' })).status, 200);
    const { code } = await latestCode(phone);
    const login = await c.post('/login/sms', { phone, code });
    assert.equal(login.status, 200, login.text);
    return c;
}

test('csrf__token_of_the_session_served_just_before__refused', async () => {
    const a = await loggedIn('137');
    const b = await loggedIn('138');
    for (let i = 0; i < 12; i++) {
        await a.get('/account/profile');
        const aToken = a.csrf;
        await b.get('/account/profile');
        const bToken = b.csrf;
        assert.notEqual(aToken, bToken);
        b.csrf = aToken;
        const foreign = await b.post('/account/profile', { display_name: '李四', email: '' });
        assert.equal(foreign.status, 403, `round ${i}: a's token refused for b`);
        b.csrf = bToken;
        const own = await b.post('/account/profile', { display_name: '李四', email: '' });
        assert.equal(own.status, 200, own.text);
        a.csrf = aToken;
        const back = await a.post('/account/profile', { display_name: '张三', email: '' });
        assert.equal(back.status, 200, back.text);
    }
});
