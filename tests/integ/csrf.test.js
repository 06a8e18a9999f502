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
