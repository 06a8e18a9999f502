'use strict';
/*
 * A process that holds the PII key makes no core file: a crashed worker's
 * memory holds requests' personal data in clear (their fields, the files of
 * the routes that only read them), so neither the soft nor the hard limit
 * of core files may allow one, whatever the shell that started the hall
 * allowed (core/base/crypto.c, hall_crypto_init).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { SKIP, HALL_VAR } = require('./lib/hall');

/* a process started by script/server (RUN/NAME.pid) and its children */
function family(name) {
    const master = Number(fs.readFileSync(path.join(HALL_VAR, 'run', `${name}.pid`), 'utf8'));
    const pids = [master];
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d))
            continue;
        try {
            const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
            if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === master)
                pids.push(Number(d));
        } catch { /* gone meanwhile */ }
    }
    return pids;
}

/* "Max core file size  SOFT  HARD  bytes" of /proc/PID/limits */
function coreLimits(pid) {
    const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n')
        .find((l) => l.startsWith('Max core file size'));
    return line.replace('Max core file size', '').trim().split(/\s+/).slice(0, 2);
}

test('no core file from the modules and the outbox: soft and hard limit 0', { skip: SKIP }, () => {
    for (const name of ['new', 'center', 'seal', 'account', 'outbox']) {
        const pids = family(name);
        assert.ok(pids.length >= 2, `${name}: its master and at least one worker`);
        for (const pid of pids) {
            let limits;
            try {
                limits = coreLimits(pid);
            } catch {
                continue; /* a worker replaced meanwhile */
            }
            assert.deepEqual(limits, ['0', '0'], `${name} pid ${pid}: core file size limits`);
        }
    }
});
