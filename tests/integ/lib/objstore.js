'use strict';
/*
 * The test hall's stored files, whichever driver keeps them
 * (core/store/objstore.c): with HALL_TEST_STORE=s3 a Swift bucket, read and
 * changed through tools/objstore/hall-objstore (the hall's own S3 client),
 * else the files of $HALL_VAR/uploads.  Objects are encrypted (AES-256-GCM
 * under the PII key): what these return is ciphertext.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = process.env.HALL_ROOT || path.join(__dirname, '..', '..', '..');
const S3 = process.env.HALL_TEST_STORE === 's3';
const TOOL = path.join(ROOT, 'tools', 'objstore', 'hall-objstore');

function conf() {
    return process.env.HALL_CONF || path.join(process.env.HALL_VAR, 'hall.conf');
}

function tool(args, input) {
    const r = spawnSync(TOOL, ['-c', conf(), ...args], { input, maxBuffer: 256 * 1024 * 1024 });
    if (r.error)
        throw r.error;
    return r;
}

const dir = () => path.join(process.env.HALL_VAR, 'uploads');

/* the object's bytes, or null when there is none */
function objectBytes(name) {
    if (!S3) {
        const p = path.join(dir(), name);
        return fs.existsSync(p) ? fs.readFileSync(p) : null;
    }
    const r = tool(['get', name]);
    if (r.status === 1)
        return null;
    if (r.status !== 0)
        throw new Error(`hall-objstore get ${name}: ${r.stderr}`);
    return r.stdout;
}

function objectExists(name) {
    if (!S3)
        return fs.existsSync(path.join(dir(), name));
    const r = tool(['head', name]);
    if (r.status !== 0 && r.status !== 1)
        throw new Error(`hall-objstore head ${name}: ${r.stderr}`);
    return r.status === 0;
}

/* deletes it behind the hall's back */
function objectRemove(name) {
    if (!S3) {
        fs.unlinkSync(path.join(dir(), name));
        return;
    }
    const r = tool(['rm', name]);
    if (r.status !== 0)
        throw new Error(`hall-objstore rm ${name}: ${r.stderr}`);
}

/* writes bytes under name behind the hall's back (a tampered object) */
function objectPut(name, bytes) {
    if (!S3) {
        fs.writeFileSync(path.join(dir(), name), bytes);
        return;
    }
    const r = tool(['put', name], bytes);
    if (r.status !== 0)
        throw new Error(`hall-objstore put ${name}: ${r.stderr}`);
}

/* every object's name */
function objectNames() {
    if (!S3)
        return fs.existsSync(dir()) ? fs.readdirSync(dir()) : [];
    const r = tool(['ls']);
    if (r.status !== 0)
        throw new Error(`hall-objstore ls: ${r.stderr}`);
    return r.stdout.toString().split('\n').filter(Boolean);
}

module.exports = { S3, TOOL, objectBytes, objectExists, objectRemove, objectPut, objectNames };
