#!/usr/bin/env node
'use strict';
/*
 * fetch-package.js: download one npm package's tarball without npm, as
 * package-lock.json pins it, for script/server (which installs no npm).
 *
 *   node script/lib/fetch-package.js LOCKFILE NAME OUT.tgz
 *
 * The version and the sha512 integrity come from LOCKFILE's
 * "node_modules/NAME" entry; the tarball comes from the registry
 * ($npm_config_registry, default https://registry.npmjs.org) and is
 * written to OUT.tgz only when its sha512 matches.  Node's own TLS is used
 * on purpose: it trusts what npm would (NODE_EXTRA_CA_CERTS included).
 * Exit 1 with a message on any failure.
 */
const fs = require('node:fs');
const https = require('node:https');
const http = require('node:http');
const crypto = require('node:crypto');

function fail(msg) {
    process.stderr.write(`fetch-package: ${msg}\n`);
    process.exit(1);
}

function get(url, left, done) {
    const lib = url.startsWith('https:') ? https : http;
    const rq = lib.get(url, { timeout: 60000 }, (res) => {
        if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location && left > 0) {
            res.resume();
            get(new URL(res.headers.location, url).toString(), left - 1, done);
            return;
        }
        if (res.statusCode !== 200) {
            res.resume();
            done(new Error(`${url}: HTTP ${res.statusCode}`));
            return;
        }
        const parts = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => done(null, Buffer.concat(parts)));
        res.on('error', done);
    });
    rq.on('timeout', () => rq.destroy(new Error(`${url}: no answer in 60 s`)));
    rq.on('error', done);
}

const [lockfile, name, out] = process.argv.slice(2);
if (!lockfile || !name || !out)
    fail('usage: fetch-package.js LOCKFILE NAME OUT.tgz');
let entry;
try {
    entry = JSON.parse(fs.readFileSync(lockfile, 'utf8')).packages[`node_modules/${name}`];
} catch (e) {
    fail(`${lockfile}: ${e.message}`);
}
if (!entry || !entry.version)
    fail(`${lockfile} pins no ${name}`);
const m = /^sha512-([A-Za-z0-9+/=]+)$/.exec(entry.integrity || '');
if (!m)
    fail(`${lockfile}: ${name} has no sha512 integrity`);
const registry = (process.env.npm_config_registry || process.env.NPM_CONFIG_REGISTRY ||
                  'https://registry.npmjs.org').replace(/\/+$/, '');
const base = name.startsWith('@') ? name.split('/')[1] : name;
const url = `${registry}/${name}/-/${base}-${entry.version}.tgz`;

let tries = 3;
(function attempt() {
    get(url, 5, (err, body) => {
        if (err) {
            if (--tries > 0) {
                setTimeout(attempt, 2000);
                return;
            }
            fail(err.message);
        }
        const got = crypto.createHash('sha512').update(body).digest('base64');
        if (got !== m[1])
            fail(`${name} ${entry.version}: checksum differs from ${lockfile}`);
        fs.writeFileSync(out, body);
    });
})();
