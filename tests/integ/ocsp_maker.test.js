'use strict';
/*
 * The seal maker's certificate (var/keys/pki/seal-maker.crt, which signs
 * every SESeal) is the sm2 CA's, issued to the hall and not through an
 * order: the OCSP responder answers good for it, as for every certificate
 * of ours, not unknown.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { tmpdir, openssl, fetchPki, ocspQuery } = require('./lib/pki');

test('ocsp__seal_maker_certificate__good', async () => {
    const dir = tmpdir();
    await fetchPki(dir);
    const maker = path.join(process.env.HALL_VAR, 'keys', 'pki', 'seal-maker.crt');
    const serial = openssl(['x509', '-in', maker, '-noout', '-serial']).stdout.trim().replace('serial=', '');
    assert.match(serial, /^[0-9A-F]+$/);
    const q = ocspQuery(dir, 'sm2', serial);
    assert.match(q.line, /: good$/, q.out);
    /* another serial of the same CA is still unknown */
    assert.match(ocspQuery(dir, 'sm2', '0123456789ABCDEF').line, /: unknown$/);
});
