'use strict';
/*
 * /metrics through nginx (docs/operations.md, "Metrics"): one module's
 * counters are the sum over its workers and survive a worker's death; the
 * outbox queue is read from the database; a client cannot reach the
 * counters through the modules' own paths.
 */

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SKIP, HALL_URL, sql, findProcs, alive, waitFor } = require('./lib/hall');

async function scrape(p) {
    const r = await fetch(HALL_URL + p);
    return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
}

/* the value of one series, 0 when absent */
function value(text, series) {
    const line = text.split('\n').find((l) => l.startsWith(series + ' '));
    return line ? Number(line.slice(series.length + 1)) : 0;
}

const HEALTH = 'hall_http_request_duration_seconds_count{module="account",route="GET /healthz",status="200"}';
const HEALTH_INF = 'hall_http_request_duration_seconds_bucket{module="account",route="GET /healthz",status="200",le="+Inf"}';
const STARTED = 'hall_workers_started_total{module="account"}';

function accountWorkers() {
    const procs = findProcs('hall-account');
    const pids = new Set(procs.map((p) => p.pid));
    const master = procs.find((p) => !pids.has(p.ppid));
    return procs.filter((p) => p.ppid === master.pid && p.state !== 'Z').map((p) => p.pid);
}

test('metrics__parallel_requests__counted_once_each_across_workers_and_kept_after_a_worker_dies',
    { skip: SKIP }, async () => {
        const before = await scrape('/metrics/account');
        assert.equal(before.status, 200);
        assert.match(before.type, /^text\/plain; version=0\.0\.4/);
        assert.match(before.text, /# TYPE hall_http_request_duration_seconds histogram/);
        const n0 = value(before.text, HEALTH);
        const started0 = value(before.text, STARTED);
        assert.ok(started0 >= 2, `the workers count themselves: ${started0}`);

        /* 60 at once: several workers answer them; every one is counted */
        const rs = await Promise.all(Array.from({ length: 60 }, () => fetch(HALL_URL + '/healthz')));
        assert.deepEqual(rs.map((r) => r.status), Array(60).fill(200));
        await Promise.all(rs.map((r) => r.text()));
        const after = await scrape('/metrics/account');
        assert.equal(value(after.text, HEALTH), n0 + 60);
        assert.equal(value(after.text, HEALTH_INF), n0 + 60, 'the +Inf bucket is the count');

        /* a worker killed: its requests stay counted, its replacement counts itself */
        const victim = accountWorkers()[0];
        process.kill(victim, 'SIGKILL');
        await waitFor('the worker to be gone', () => !alive(victim));
        await waitFor('a replacement', async () =>
            value((await scrape('/metrics/account')).text, STARTED) >= started0 + 1);
        const later = await scrape('/metrics/account');
        assert.equal(value(later.text, HEALTH), n0 + 60);
    });

test('metrics__statuses_and_routes__labelled_and_unknown_paths_grouped', { skip: SKIP }, async () => {
    const before = (await scrape('/metrics/account')).text;
    const NOROUTE = 'hall_http_request_duration_seconds_count{module="account",route="none",status="404"}';
    const r = await fetch(HALL_URL + '/no-such-page-for-metrics');
    assert.equal(r.status, 404);
    await r.text();
    /* a worker counts a request after its answer is sent: the next scrape
     * may come first */
    const after = await waitFor('the 404 counted', async () => {
        const t = (await scrape('/metrics/account')).text;
        return value(t, NOROUTE) >= value(before, NOROUTE) + 1 && t;
    }, { timeoutMs: 5000, intervalMs: 20 });
    assert.equal(value(after, NOROUTE), value(before, NOROUTE) + 1);
    /* the center module has its own counters */
    const center = await scrape('/metrics/center');
    assert.equal(center.status, 200);
    assert.match(center.text, /hall_workers_started_total\{module="center"\} \d+/);
    assert.doesNotMatch(center.text, /module="account"/);
});

test('metrics__not_reachable_through_the_modules_paths', { skip: SKIP }, async () => {
    for (const p of ['/metrics', '/jieyang/metrics', '/new/metrics']) {
        const r = await fetch(HALL_URL + p, { headers: { 'Hall-Metrics': '1' } });
        const text = await r.text();
        assert.notEqual(r.status, 200, p);
        assert.doesNotMatch(text, /hall_http_request/, p);
    }
    const bad = await scrape('/metrics/nosuchmodule');
    assert.equal(bad.status, 503, 'no such socket');
});

test('metrics__outbox__pending_jobs_by_kind_with_their_age', { skip: SKIP }, async () => {
    const key = `metrics-test-${process.pid}-${Date.now()}`;
    /* due in an hour: the outbox worker leaves them alone */
    sql(`INSERT INTO outbox (kind, idem_key, payload_enc, next_attempt_at, created_at)
         SELECT 'metrics_probe', '${key}-' || i, '\\x00', now() + interval '1 hour',
                now() - interval '90 seconds'
         FROM generate_series(1, 3) i`);
    try {
        const r = await scrape('/metrics/outbox');
        assert.equal(r.status, 200);
        assert.equal(value(r.text, 'hall_outbox_pending{kind="metrics_probe"}'), 3);
        const age = value(r.text, 'hall_outbox_oldest_age_seconds{kind="metrics_probe"}');
        assert.ok(age >= 90 && age < 3600, `age ${age}`);
    } finally {
        sql(`DELETE FROM outbox WHERE idem_key LIKE '${key}-%'`);
    }
});
