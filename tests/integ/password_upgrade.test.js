'use strict';
/*
 * Passwords are hashed with Argon2id (19 MiB, t=2, p=1).  A hash stored
 * before, PBKDF2-HMAC-SHA256, still logs its owner in, and that login
 * replaces it with an Argon2id one, which logs in from then on: applicants
 * (POST /login) and staff (POST /admin/login) alike.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Client, applicant } = require('./lib/client');
const { psql } = require('./lib/payflow');

const SKIP = !process.env.HALL_VAR;
const ARGON2ID = '$argon2id$v=19$m=19456,t=2,p=1$';

/* the stored form of a PBKDF2-HMAC-SHA256 hash, as the hall wrote them */
function pbkdf2Hash(password, iterations = 20000) {
    const salt = crypto.randomBytes(16);
    const hash = crypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256');
    return `pbkdf2-sha256$${iterations}$${salt.toString('hex')}$${hash.toString('hex')}`;
}

function userIdOf(client) {
    const h = crypto.createHash('sha256').update(client.jar.get('hall_sid')).digest('hex');
    return Number(psql(`SELECT user_id FROM sessions WHERE token_hash = '\\x${h}'`));
}

async function login(phone, password) {
    const c = new Client();
    await c.get('/login');
    const r = await c.post('/login', { phone, password });
    return r.status;
}

test('applicant_pbkdf2_hash__logs_in__stored_as_argon2id_and_logs_in_again', { skip: SKIP }, async () => {
    const owner = await applicant(); /* password Passw0rd123 */
    const uid = userIdOf(owner);
    const hash = () => psql(`SELECT password_hash FROM users WHERE id = ${uid}`);
    assert.ok(hash().startsWith(ARGON2ID), `a new password is Argon2id: ${hash().slice(0, 40)}`);

    const old = pbkdf2Hash('Passw0rd123');
    psql(`UPDATE users SET password_hash = '${old}' WHERE id = ${uid}`);
    /* a wrong password neither logs in nor touches the stored hash */
    assert.equal(await login(owner.phone, 'Passw0rd124'), 400);
    assert.equal(hash(), old);
    psql(`UPDATE users SET failed_logins = 0 WHERE id = ${uid}`);

    /* the right one, from several browsers at once: all in, one Argon2id hash */
    const statuses = await Promise.all(Array.from({ length: 4 }, () => login(owner.phone, 'Passw0rd123')));
    assert.deepEqual(statuses, [200, 200, 200, 200]);
    const upgraded = hash();
    assert.ok(upgraded.startsWith(ARGON2ID), `upgraded at login: ${upgraded.slice(0, 40)}`);
    /* its other sessions stay (a password change would end them) */
    assert.equal(psql(`SELECT count(*) FROM sessions WHERE user_id = ${uid}`) >= 5, true);

    assert.equal(await login(owner.phone, 'Passw0rd123'), 200);
    assert.equal(await login(owner.phone, 'Passw0rd12'), 400);
    assert.equal(hash(), upgraded, 'an Argon2id hash of today\'s parameters stays as it is');
});

test('staff_pbkdf2_hash__logs_in__stored_as_argon2id_and_logs_in_again', { skip: SKIP }, async () => {
    const login_ = `upg${crypto.randomInt(1e6, 1e7)}`;
    const password = 'Upgrade2026demo';
    require('./lib/staff').addStaff(login_, 'reviewer', password);
    const hash = () => psql(`SELECT password_hash FROM staff WHERE login = '${login_}'`);
    assert.ok(hash().startsWith(ARGON2ID), 'hall-staff hashes with Argon2id');
    psql(`UPDATE staff SET password_hash = '${pbkdf2Hash(password)}' WHERE login = '${login_}'`);

    const staffLogin = async () => {
        const c = new Client();
        await c.get('/admin/login');
        return (await c.post('/admin/login', { login: login_, password })).status;
    };
    assert.equal(await staffLogin(), 200);
    const upgraded = hash();
    assert.ok(upgraded.startsWith(ARGON2ID), `upgraded at login: ${upgraded.slice(0, 40)}`);
    assert.equal(await staffLogin(), 200);
    assert.equal(hash(), upgraded);
});
