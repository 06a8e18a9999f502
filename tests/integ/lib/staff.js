'use strict';
/*
 * hall-staff from the tests.  Four eyes (docs/operations.md): a new account
 * is asked for by the demo administrator `admin` and approved by `admin2`
 * (sql/demo-accounts.txt); each proves who they are with their password on
 * stdin.
 */
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ADMIN = ['admin', 'Admin2026demo'];
const ADMIN2 = ['admin2', 'Admin2026demo2'];

/* {status, stdout, stderr} of one run; input: its stdin */
function hallStaff(args, input = '') {
    return spawnSync(path.join(process.env.HALL_ROOT, 'modules/admin/hall-staff'),
        ['-c', process.env.HALL_CONF, ...args], { input, encoding: 'utf8' });
}

/* a staff account through both steps; what the approval (or "exists") said */
function addStaff(login, roles, password) {
    const r = hallStaff(['add', login, roles, password, 'as', ADMIN[0], '测试账号'], `${ADMIN[1]}\n`);
    assert.equal(r.status, 0, r.stderr);
    const m = r.stdout.match(/^request (\d+) pending/m);
    if (!m)
        return r.stdout;
    const a = hallStaff(['approve', m[1], 'as', ADMIN2[0]], `${ADMIN2[1]}\n`);
    assert.equal(a.status, 0, a.stderr);
    return a.stdout;
}

module.exports = { hallStaff, addStaff, ADMIN, ADMIN2 };
