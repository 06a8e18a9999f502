'use strict';
/*
 * docs/api.md stays true: its curl examples (docs/api-examples.sh runs
 * them in the page's order, checking each status and answer) against the
 * test hall.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const SKIP = !process.env.HALL_URL;

test('api_examples__every_documented_curl_example_works', { skip: SKIP }, () => {
    const script = path.join(__dirname, '..', '..', 'docs', 'api-examples.sh');
    const r = spawnSync('bash', [script], {
        encoding: 'utf8',
        env: { ...process.env },
        timeout: 600000,
    });
    assert.equal(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
    assert.match(r.stdout, /(\d+) examples passed\s*$/);
    assert.ok(Number(r.stdout.match(/(\d+) examples passed/)[1]) >= 100);
});
