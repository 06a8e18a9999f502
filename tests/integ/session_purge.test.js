'use strict';
/*
 * An applicant's session row, and a staff member's, is deleted by the
 * outbox's tick a day after its absolute end (login + session_absolute_s); a
 * live session and one that ended less than a day ago are left alone.
 */

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SKIP, sql, sql1, registerUser, waitFor } = require('./lib/hall');

test('the outbox deletes sessions a day past their absolute end, and only those', { skip: SKIP }, async () => {
    const { client } = await registerUser();
    const uid = Number(sql1(`SELECT min(id) FROM users`));
    const mark = `purge-${process.pid}-${Date.now()}`;
    const row = (label, ends) => `(sha256(convert_to('${mark}-${label}', 'UTF8')), ${uid},
        now() - interval '13 hours' + (${ends}), now() - interval '12 hours' + (${ends}),
        now() - interval '12 hours' + (${ends}))`;
    sql(`INSERT INTO sessions (token_hash, user_id, created_at, idle_expires, absolute_expires)
         VALUES ${row('old', "interval '-1 day' - interval '13 hours'")},
                ${row('recent', "interval '11 hours'")}`);
    const exists = (label) => sql1(`SELECT count(*) FROM sessions
        WHERE token_hash = sha256(convert_to('${mark}-${label}', 'UTF8'))`) === '1';
    /* the outbox's tick may take the old one at once: only the recent one
     * is sure to be there now */
    assert.ok(exists('recent'));

    await waitFor('the old session deleted', () => !exists('old'), { timeoutMs: 30000, intervalMs: 500 });
    assert.ok(exists('recent'), 'a session that ended less than a day ago is kept');
    const r = await client.page('/account/profile');
    assert.equal(r.status, 200, 'the live session still works');
    sql(`DELETE FROM sessions WHERE token_hash = sha256(convert_to('${mark}-recent', 'UTF8'))`);
});

test('the outbox deletes staff sessions a day past their absolute end, and only those', { skip: SKIP }, async () => {
    const sid = Number(sql1(`SELECT min(id) FROM staff`));
    const mark = `staff-purge-${process.pid}-${Date.now()}`;
    const row = (label, ends) => `(sha256(convert_to('${mark}-${label}', 'UTF8')), ${sid},
        now() - interval '13 hours' + (${ends}), now() - interval '12 hours' + (${ends}),
        now() - interval '12 hours' + (${ends}))`;
    sql(`INSERT INTO staff_sessions (token_hash, staff_id, created_at, idle_expires, absolute_expires)
         VALUES ${row('old', "interval '-1 day' - interval '13 hours'")},
                ${row('recent', "interval '11 hours'")}`);
    const exists = (label) => sql1(`SELECT count(*) FROM staff_sessions
        WHERE token_hash = sha256(convert_to('${mark}-${label}', 'UTF8'))`) === '1';
    /* the outbox's tick may take the old one at once: only the recent one
     * is sure to be there now */
    assert.ok(exists('recent'));
    await waitFor('the old staff session deleted', () => !exists('old'), { timeoutMs: 30000, intervalMs: 500 });
    assert.ok(exists('recent'), 'a staff session that ended less than a day ago is kept');
    sql(`DELETE FROM staff_sessions WHERE token_hash = sha256(convert_to('${mark}-recent', 'UTF8'))`);
});
