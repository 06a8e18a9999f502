'use strict';
/*
 * After every flow has run (this file runs after the others): a pg_dump of
 * the hall's database and the upload directory hold none of the personal
 * data the tests typed in — ID numbers, bank accounts, phones — in clear,
 * neither as text nor as the hex of a bytea column.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { objectNames, objectBytes } = require('./lib/objstore');

const VAR = process.env.HALL_VAR;
const SKIP = !VAR;

/* values the integration tests enter in forms (tests/integ/new.test.js ...) */
const SECRETS = ['360426199101010071', '412723199010050012', '44011320141005001X',
    '4000021009100123456', '13900139000', '13800138000', '13700137000'];

const hex = (s) => Buffer.from(s).toString('hex');

test('pii_at_rest__database_dump_and_uploads_hold_no_id_account_or_phone', { skip: SKIP }, () => {
    const bin = path.join(process.env.HALL_PG_BIN || '/usr/lib/postgresql/15/bin', 'pg_dump');
    const r = spawnSync(bin, ['-h', path.join(VAR, 'run', 'pg'), '-U', 'hall', '-d', 'hall',
        '--no-password'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    assert.equal(r.status, 0, r.stderr);
    const dump = r.stdout;
    /* the flows did run: there are orders with forms, files and payments */
    assert.match(dump, /COPY public\.orders /);
    assert.ok((dump.match(/\\\\x01/g) || []).length > 10, 'encrypted columns present');
    for (const s of SECRETS) {
        assert.ok(!dump.includes(s), `${s} in clear in the dump`);
        assert.ok(!dump.includes(hex(s)), `${s} as plain bytes in the dump`);
    }
    /* the stored files, in upload_dir or the S3 bucket (HALL_TEST_STORE) */
    const files = objectNames();
    assert.ok(files.length > 0, 'uploads were stored');
    for (const f of files) {
        const b = objectBytes(f);
        assert.equal(b[0], 1, `${f}: not in the encrypted format`);
        /* long enough that random ciphertext never matches by chance */
        for (const magic of ['%PDF-1.4', 'SANDBOX-ID:', 'SANDBOX-IDBACK:', '\x89PNG\r\n\x1a\n'])
            assert.equal(b.indexOf(Buffer.from(magic, 'latin1')), -1, `${f} stored in clear`);
    }
});
