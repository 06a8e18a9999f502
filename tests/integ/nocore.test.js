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
const { SKIP, processFamily } = require('./lib/hall');

/* "Max core file size  SOFT  HARD  bytes" of /proc/PID/limits */
function coreLimits(pid) {
    const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n')
        .find((l) => l.startsWith('Max core file size'));
    return line.replace('Max core file size', '').trim().split(/\s+/).slice(0, 2);
}

test('no core file from the modules and the outbox: soft and hard limit 0', { skip: SKIP }, () => {
    for (const name of ['new', 'center', 'seal', 'account', 'outbox']) {
        const pids = processFamily(name);
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
