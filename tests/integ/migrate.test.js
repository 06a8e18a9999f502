'use strict';
/*
 * script/migrate and the layout of sql/ (sql/README.md): numbered
 * migrations, then one file per function, trigger and view, applied again
 * when its SHA-256 changes or its object is missing.  Run with
 *   node --test tests/integ/migrate.test.js
 * Its own throwaway PostgreSQL 15 cluster in a temp dir (as the postgres
 * user when run as root), one database per case.  HALL_TEST_KEEP=1 keeps
 * the temp dir.
 *
 * "The old way" is the script and the migrations of the commit before the
 * switch (the parent of the commit that added sql/130_repeatable.sql, or
 * HEAD before it is committed), taken from git.
 */

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const MIGRATE = path.join(ROOT, 'script', 'migrate');
const PGBIN = process.env.HALL_PGBIN || '/usr/lib/postgresql/15/bin';
const AS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

let tmp;
let sock;

function run(cmd, args, opts = {}) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
    if (r.error)
        throw r.error;
    return r;
}

function runPg(bin, args) {
    const full = path.join(PGBIN, bin);
    return AS_ROOT ? run('runuser', ['-u', 'postgres', '--', full, ...args]) : run(full, args);
}

function psql(db, sql, user = 'hall') {
    const r = run(path.join(PGBIN, 'psql'), ['-h', sock, '-U', user, '-X', '-q', '-At',
        '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.replace(/\n$/, '');
}

/* a new database: empty, or a copy of one already migrated (TEMPLATE) */
function createDb(name, template = 'template1') {
    psql('postgres', `CREATE DATABASE ${name} OWNER hall TEMPLATE ${template}`, 'postgres');
}

/* script/migrate (or another copy of it) on database DB; the banks are
 * loaded as usual, the divisions (an npm package) are not needed here */
function migrate(db, args = [], script = MIGRATE, env = {}) {
    return run('bash', [script, '--no-divisions', ...args], {
        env: { ...process.env, ...env,
            HALL_PSQL: `${path.join(PGBIN, 'psql')} -h ${sock} -U hall -d ${db}` },
    });
}

function migrateOk(db, args, script, env) {
    const r = migrate(db, args, script, env);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    return r.stdout;
}

/* pg_dump --schema-only; the one thing pg_dump varies from run to run is
 * the random key of its \restrict and \unrestrict lines (15.14 and later) */
function dump(db) {
    const r = run(path.join(PGBIN, 'pg_dump'), ['-h', sock, '-U', 'postgres', '--schema-only', db]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.replace(/^\\(un)?restrict \S+$/mg, '\\$1restrict KEY');
}

/* the lines "migrate: KIND/NAME.sql" of a run: the repeatable files applied */
function appliedFiles(out) {
    return out.split('\n').filter((l) => /^migrate: [a-z]+\//.test(l))
        .map((l) => l.slice('migrate: '.length));
}

function repeatableFiles(dir = path.join(ROOT, 'sql')) {
    const all = [];
    for (const kind of ['functions', 'views', 'triggers'])
        for (const f of fs.readdirSync(path.join(dir, kind)).sort())
            all.push(`${kind}/${f}`);
    return all;
}

function git(args) {
    return run('git', ['-C', ROOT, ...args]);
}

before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-migrate-'));
    fs.chmodSync(tmp, 0o755);
    const data = path.join(tmp, 'pg');
    sock = path.join(tmp, 'sock');
    fs.mkdirSync(data);
    fs.mkdirSync(sock);
    if (AS_ROOT)
        run('chown', ['postgres', data, sock]);
    let r = runPg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8',
        '--locale=C.UTF-8']);
    assert.equal(r.status, 0, r.stderr);
    r = runPg('pg_ctl', ['-D', data, '-l', path.join(sock, 'log'), '-w', '-o',
        `-k ${sock} -c listen_addresses='' -c fsync=off -c timezone=UTC`, 'start']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    psql('postgres', 'CREATE ROLE hall LOGIN', 'postgres');
    /* one database migrated from zero, the reference of every case */
    createDb('fresh');
    migrateOk('fresh');
});

after(() => {
    runPg('pg_ctl', ['-D', path.join(tmp, 'pg'), '-m', 'fast', '-w', 'stop']);
    if (tmp && !process.env.HALL_TEST_KEEP)
        fs.rmSync(tmp, { recursive: true, force: true });
});

test('migrate__old_way_then_upgraded__same_schema_as_from_zero', (t) => {
    /* the commit before the switch */
    let rev = process.env.HALL_MIGRATE_OLD_REV;
    if (!rev) {
        const added = git(['log', '--diff-filter=A', '--format=%H', '--',
            'sql/130_repeatable.sql']);
        const first = added.status === 0 ? added.stdout.trim().split('\n').pop() : '';
        rev = first ? first + '^' : 'HEAD';
    }
    const old = path.join(tmp, 'old');
    fs.mkdirSync(old);
    const arch = run('git', ['-C', ROOT, 'archive', '--format=tar', rev, 'script', 'sql',
        'modules/list'], { encoding: 'buffer' });
    if (arch.status !== 0) {
        t.skip(`the commit before the switch (${rev}) is not in this clone: ${arch.stderr}`);
        return;
    }
    const tar = run('tar', ['-x', '-C', old], { input: arch.stdout });
    assert.equal(tar.status, 0, tar.stderr);
    const oldSql = fs.readdirSync(path.join(old, 'sql')).filter((f) => /^\d{3}_/.test(f));
    assert.ok(!oldSql.includes('130_repeatable.sql'), `${rev} is after the switch`);
    assert.ok(!fs.existsSync(path.join(old, 'sql', 'functions')), `${rev} is after the switch`);

    createDb('upgraded');
    let out = migrateOk('upgraded', [], path.join(old, 'script', 'migrate'), { HALL_ROOT: old });
    assert.match(out, new RegExp(`migrate: ${oldSql.length} applied`));
    assert.equal(psql('upgraded', "SELECT to_regclass('schema_repeatable') IS NULL"), 't');

    out = migrateOk('upgraded');
    /* the switch and whatever came after the old commit; no file applied
     * again that the switch recorded as the schema already has it */
    assert.match(out, /^migrate: 130_repeatable$/m);
    const n = Number(psql('upgraded', 'SELECT count(*) FROM schema_repeatable'));
    assert.equal(n, repeatableFiles().length);
    assert.equal(dump('upgraded'), dump('fresh'));

    /* a second run changes nothing */
    out = migrateOk('upgraded');
    assert.match(out, /migrate: 0 numbered applied .*, 0 repeatable applied/);
});

test('migrate__every_file_applied_again__schema_unchanged', () => {
    /* the files hold today's text: a database that applies all of them again
     * over what the numbered migrations made ends byte-identical */
    createDb('again', 'fresh');
    const before_ = dump('again');
    psql('again', 'DELETE FROM schema_repeatable');
    const out = migrateOk('again');
    assert.deepEqual(appliedFiles(out).sort(), repeatableFiles().sort());
    assert.equal(dump('again'), before_);
});

test('migrate__each_function_trigger_view__has_its_file', () => {
    const fns = psql('fresh', `SELECT proname FROM pg_proc p
        WHERE pronamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')
        ORDER BY 1`).split('\n').map((n) => `functions/${n}.sql`);
    const views = psql('fresh', `SELECT relname FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relkind IN ('v', 'm')
        ORDER BY 1`).split('\n').map((n) => `views/${n}.sql`);
    const trgs = psql('fresh', 'SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1')
        .split('\n').map((n) => `triggers/${n}.sql`);
    assert.deepEqual([...fns, ...views, ...trgs].sort(), repeatableFiles().sort());
});

/* a copy of sql/ to change */
function sqlCopy(name) {
    const dir = path.join(tmp, name);
    fs.cpSync(path.join(ROOT, 'sql'), dir, { recursive: true });
    return dir;
}

test('migrate__changed_file__applied_again_and_only_it', () => {
    createDb('edit', 'fresh');
    const dir = sqlCopy('sql-edit');
    const f = path.join(dir, 'functions', 'order_no_serial.sql');
    const text = fs.readFileSync(f, 'utf8');
    assert.match(text, /lpad\(p_n::text, 6, '0'\)/);
    fs.writeFileSync(f, text.replace("lpad(p_n::text, 6, '0')", "lpad(p_n::text, 8, '0')"));
    assert.equal(psql('edit', 'SELECT order_no_serial(42)'), '000042');
    const stamps = psql('edit', "SELECT name, applied_at FROM schema_repeatable WHERE name <> 'functions/order_no_serial.sql' ORDER BY 1");

    let out = migrateOk('edit', ['--sql-dir', dir]);
    assert.deepEqual(appliedFiles(out), ['functions/order_no_serial.sql']);
    assert.match(out, /1 repeatable applied/);
    assert.equal(psql('edit', 'SELECT order_no_serial(42)'), '00000042');
    assert.equal(psql('edit', "SELECT name, applied_at FROM schema_repeatable WHERE name <> 'functions/order_no_serial.sql' ORDER BY 1"), stamps);

    /* unchanged since: nothing */
    out = migrateOk('edit', ['--sql-dir', dir]);
    assert.deepEqual(appliedFiles(out), []);

    /* an object a numbered migration drops comes back from its file */
    fs.writeFileSync(path.join(dir, '990_drop_report_money.sql'), 'DROP VIEW report_money;\n');
    out = migrateOk('edit', ['--sql-dir', dir]);
    assert.match(out, /^migrate: 990_drop_report_money$/m);
    assert.deepEqual(appliedFiles(out), ['views/report_money.sql']);
    assert.equal(psql('edit', "SELECT to_regclass('report_money') IS NOT NULL"), 't');
});

test('migrate__function_after_the_switch_in_a_numbered_file__refused_nothing_applied', () => {
    createDb('refuse', 'fresh');
    const dir = sqlCopy('sql-refuse');
    fs.writeFileSync(path.join(dir, '990_fine.sql'), 'CREATE TABLE t990 (id integer);\n');
    fs.writeFileSync(path.join(dir, '991_function.sql'),
        '-- a helper\nCREATE OR REPLACE FUNCTION\n    f991() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;\n');
    const r = migrate('refuse', ['--sql-dir', dir]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /991_function\.sql: 'CREATE OR REPLACE FUNCTION F991'/);
    assert.match(r.stderr, /sql\/functions/);
    assert.equal(psql('refuse', "SELECT to_regclass('t990') IS NULL AND count(*) = 0 FROM schema_migrations WHERE version LIKE '99%'"), 't');
});

test('migrate__new_signature_without_drop__refused_then_applied_with_it', () => {
    createDb('sig', 'fresh');
    const dir = sqlCopy('sql-sig');
    const f = path.join(dir, 'functions', 'order_reached_bits.sql');
    const text = fs.readFileSync(f, 'utf8');
    const changed = text.replace(/order_reached_bits\(p_status text\)/,
        'order_reached_bits(p_status text, p_extra integer DEFAULT 0)');
    assert.notEqual(changed, text);
    fs.writeFileSync(f, changed);

    /* CREATE OR REPLACE with other arguments makes a second function: refused,
     * the whole run rolled back */
    fs.writeFileSync(path.join(dir, '990_fine.sql'), 'CREATE TABLE t990 (id integer);\n');
    let r = migrate('sig', ['--sql-dir', dir]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /more than one function of a name: .*order_reached_bits\(text\)/);
    assert.match(r.stderr, /nothing of this run was applied/);
    assert.equal(psql('sig', "SELECT to_regclass('t990') IS NULL"), 't');
    assert.equal(psql('sig', "SELECT count(*) FROM pg_proc WHERE proname = 'order_reached_bits'"), '1');

    /* the old signature dropped in a numbered migration: applied */
    fs.writeFileSync(path.join(dir, '991_drop_old_bits.sql'),
        'DROP FUNCTION order_reached_bits(text);\n');
    r = migrate('sig', ['--sql-dir', dir]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(appliedFiles(r.stdout), ['functions/order_reached_bits.sql']);
    assert.equal(psql('sig', "SELECT order_reached_bits('paid', 1) = order_reached_bits('paid')"), 't');
});

test('migrate__another_run_applied_meanwhile__stops_with_nothing_applied', async () => {
    createDb('race', 'fresh');
    const dir = sqlCopy('sql-race');
    fs.writeFileSync(path.join(dir, '990_fine.sql'), 'CREATE TABLE t990 (id integer);\n');
    const { spawn } = require('node:child_process');
    /* "another run": holds the migrations' lock and records 990 */
    const other = spawn(path.join(PGBIN, 'psql'), ['-h', sock, '-U', 'hall', '-d', 'race', '-X',
        '-q', '-At', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let otherOut = '';
    other.stdout.on('data', (b) => { otherOut += b; });
    other.stdin.write("BEGIN;\nSELECT pg_advisory_xact_lock(hashtext('hall-migrate'));\n" +
        "INSERT INTO schema_migrations (version) VALUES ('990_fine');\nSELECT 'held';\n");
    const until = async (what, ok) => {
        for (let i = 0; i < 600 && !ok(); i++)
            await new Promise((r) => setTimeout(r, 100));
        assert.ok(ok(), what);
    };
    await until('the other run holds the lock', () => otherOut.includes('held'));

    const run_ = spawn('bash', [MIGRATE, '--no-divisions', '--sql-dir', dir], {
        env: { ...process.env, HALL_PSQL: `${path.join(PGBIN, 'psql')} -h ${sock} -U hall -d race` },
    });
    let out = '';
    run_.stdout.on('data', (b) => { out += b; });
    run_.stderr.on('data', (b) => { out += b; });
    const done = new Promise((resolve) => run_.on('close', resolve));
    await until('this run waits for the lock', () => psql('race',
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") === '1');
    other.stdin.end('COMMIT;\n');
    const status = await done;
    assert.notEqual(status, 0, out);
    assert.match(out, /another script\/migrate applied 990_fine meanwhile: run it again/);
    assert.match(out, /nothing of this run was applied/);
    assert.equal(psql('race', "SELECT to_regclass('t990') IS NULL"), 't');
});
