'use strict';
/*
 * A module of the running test hall whose database is behind pgcut
 * (tests/integ/lib/pgcut.js): a second copy of the module's program runs
 * with its db_conninfo through the proxy, and takes the module's socket
 * path, so that nginx reaches it (the module's own master keeps listening
 * on its socket file, linked aside, and gets the path back at restore()).
 * The same steps as tests/integ/db_cut.test.js.  withConf runs such a copy
 * with any other change to the configuration.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const VAR = process.env.HALL_VAR;
const CONF = process.env.HALL_CONF;
const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..', '..');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const swapped = [];

/* the server's own socket file in VAR/run/pg */
function pgSocket() {
    const dir = path.join(VAR, 'run', 'pg');
    const f = fs.readdirSync(dir).find((n) => /^\.s\.PGSQL\.\d+$/.test(n));
    assert.ok(f, `a PostgreSQL socket in ${dir}`);
    return path.join(dir, f);
}

/* module NAME's requests go to a copy of it whose database is behind cut */
async function throughCut(cut, name) {
    await withConf(name, (text) => {
        assert.match(text, /^db_conninfo\s*=/m);
        return text.replace(/^db_conninfo\s*=.*$/m,
            `db_conninfo = host=${cut.listenDir} dbname=hall user=hall`);
    });
}

/* module NAME's requests go to a copy of it run with the test hall's
 * configuration as edit(text) returns it; restore() ends it */
async function withConf(name, edit) {
    const run = path.join(VAR, 'run');
    const sock = path.join(run, `${name}.sock`);
    const mine = path.join(run, `${name}-cut.sock`);
    const aside = path.join(run, `${name}-own.sock`);
    const conf = path.join(VAR, `hall-cut-${name}.conf`);
    fs.writeFileSync(conf, edit(fs.readFileSync(CONF, 'utf8')));
    fs.rmSync(mine, { force: true });
    const log = fs.openSync(path.join(VAR, 'log', `${name}-cut.log`), 'a');
    const child = spawn(path.join(ROOT, 'modules', name, `hall-${name}`), ['-c', conf, '-s', mine],
        { detached: true, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    for (let i = 0; i < 100 && !fs.existsSync(mine); i++)
        await sleep(100);
    assert.ok(fs.existsSync(mine), `the copy of hall-${name} made its socket`);
    const st = fs.statSync(sock);
    fs.chownSync(mine, st.uid, st.gid);
    fs.chmodSync(mine, st.mode & 0o777);
    fs.rmSync(aside, { force: true });
    fs.linkSync(sock, aside);
    fs.renameSync(mine, sock);
    swapped.push({ sock, aside, child });
}

/* every module back to its own program; the copies stopped */
function restore() {
    while (swapped.length > 0) {
        const { sock, aside, child } = swapped.pop();
        fs.renameSync(aside, sock);
        try {
            process.kill(-child.pid, 'SIGTERM');
        } catch { /* gone already */ }
    }
}

/* runs fn with cut's rules, which end with it */
async function cutting(cut, rules, fn) {
    for (const rule of rules)
        cut.cut(rule);
    try {
        return await fn();
    } finally {
        cut.rules = [];
    }
}

module.exports = { pgSocket, throughCut, withConf, restore, cutting };
