'use strict';
/*
 * The custody scan (issue 64 §4; docs/internals/pki.md, "Key birth"): is a
 * subscriber's private key anywhere in the hall?  Scanned: every file under
 * the state directory (var/: the cluster's data files and its WAL, the
 * logs, uploads, temp files, the outbox's files, and the hall's own keys
 * in var/keys: the CAs', the sandbox's, the demo's, listed not failed, see
 * below) but the media's token directory (var/media: that IS the medium)
 * and the tests' temporary directory (var/t under script/test: the
 * holder's side), a plain pg_dump of the database, and any further file
 * named.  Looked for:
 *   - PEM: "-----BEGIN ... PRIVATE KEY-----" (PKCS#8, encrypted PKCS#8,
 *     SEC1 "EC PRIVATE KEY");
 *   - DER PKCS#8 of an EC key: INTEGER 0, then the AlgorithmIdentifier
 *     id-ecPublicKey (1.2.840.10045.2.1) with a named curve, or the SM2
 *     algorithm (1.2.156.10197.1.301);
 *   - DER ECPrivateKey (RFC 5915): INTEGER 1, OCTET STRING of 32 bytes, then
 *     [0] parameters or [1] public key;
 * in the raw bytes, in every bytea of the dump (hex), and in every long
 * base64 run (a JSON payload, a log line).  Every key found, wherever
 * (var/keys included), is matched against the public keys of the
 * register's certificates: a match with a certificate whose key_origin is
 * not 'hall' is a breach however the key got there.
 * What it cannot see: a key encrypted (p12_enc under the PII key, a
 * PKCS#12 under its PIN, an encrypted backup) -- hence the register's own
 * check, which it also makes: p12_enc is NULL for the certificates named
 * (and, by sql/153's constraint, for every certificate not made by the
 * hall).  A private scalar alone (32 bytes, no structure) is found only for
 * the scalars passed in (`scalars`: keys a test knows); a medium's key
 * never leaves the medium, so no test can know it.
 *
 * script/custody-scan runs it from the command line.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const EC_ALG = Buffer.from('02010030130607' + '2a8648ce3d0201' + '0608', 'hex');
const SM2_OID = Buffer.from('06082a811ccf5501822d', 'hex');
const SEC1 = Buffer.from('0201010420', 'hex');
const PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/g;
const B64 = /[A-Za-z0-9+/]{88,}={0,2}/g;
const HEX = /\\\\?x((?:[0-9a-f]{2}){40,})/g;

function psqlArgs() {
    const cmd = (process.env.HALL_PSQL || '').split(/\s+/).filter(Boolean);
    if (cmd.length === 0)
        throw new Error('HALL_PSQL names the psql command of the hall\'s database');
    return cmd;
}

function psql(sql) {
    const cmd = psqlArgs();
    return execFileSync(cmd[0], [...cmd.slice(1), '-At', '-c', sql], { encoding: 'utf8', maxBuffer: 1 << 30 }).trim();
}

/* the database as pg_dump writes it, with psql's connection options */
function pgDump() {
    const cmd = psqlArgs();
    const bin = path.join(path.dirname(cmd[0]), 'pg_dump');
    const args = cmd.slice(1).filter((a) => a !== '-X' && a !== '-q' && a !== '--no-psqlrc');
    const r = spawnSync(bin, args, { maxBuffer: 1 << 30 });
    if (r.status !== 0)
        throw new Error(`pg_dump: ${r.stderr}`);
    return r.stdout;
}

/* the structures of a private key in buf: [{kind, at, der}] */
function structures(buf) {
    const found = [];
    const text = buf.toString('latin1');
    for (const m of text.matchAll(PEM)) {
        const end = text.indexOf('-----END', m.index);
        const body = end > 0 ? text.slice(m.index + m[0].length, end).replace(/[^A-Za-z0-9+/=]/g, '') : '';
        found.push({ kind: `PEM ${m[0]}`, at: m.index, der: Buffer.from(body, 'base64'), pem: m[0] });
    }
    for (let i = buf.indexOf(EC_ALG); i >= 0; i = buf.indexOf(EC_ALG, i + 1))
        found.push({ kind: 'DER PKCS#8 (EC)', at: i, der: outer(buf, i) });
    for (let i = buf.indexOf(SM2_OID); i >= 0; i = buf.indexOf(SM2_OID, i + 1))
        /* the SM2 algorithm right after INTEGER 0 and a SEQUENCE: PKCS#8 */
        if (i >= 5 && buf[i - 5] === 0x02 && buf[i - 4] === 0x01 && buf[i - 3] === 0x00 && buf[i - 2] === 0x30)
            found.push({ kind: 'DER PKCS#8 (SM2)', at: i - 5, der: outer(buf, i - 5) });
    for (let i = buf.indexOf(SEC1); i >= 0; i = buf.indexOf(SEC1, i + 1))
        if (i + 37 < buf.length && (buf[i + 37] === 0xa0 || buf[i + 37] === 0xa1))
            found.push({ kind: 'DER ECPrivateKey', at: i, der: outer(buf, i) });
    return found;
}

/* the SEQUENCE that holds the INTEGER at i (its header just before) */
function outer(buf, i) {
    for (const h of [2, 3, 4]) {
        if (i - h < 0 || buf[i - h] !== 0x30)
            continue;
        let len = buf[i - h + 1];
        if (h === 2 && len < 0x80)
            return buf.subarray(i - 2, i + len);
        if (h === 3 && len === 0x81)
            return buf.subarray(i - 3, i + buf[i - 1]);
        if (h === 4 && len === 0x82) {
            len = buf.readUInt16BE(i - 2);
            return buf.subarray(i - 4, i + len);
        }
    }
    return buf.subarray(i, Math.min(buf.length, i + 200));
}

/* every buffer to look into: the bytes, their bytea hex runs, their base64 runs */
function layers(buf) {
    const out = [{ how: 'raw', buf }];
    const text = buf.toString('latin1');
    for (const m of text.matchAll(HEX))
        out.push({ how: `hex at ${m.index}`, buf: Buffer.from(m[1], 'hex') });
    for (const m of text.matchAll(B64))
        out.push({ how: `base64 at ${m.index}`, buf: Buffer.from(m[0], 'base64') });
    return out;
}

/* the public key (SPKI DER, hex) of a private key's DER, or null */
function publicOf(der) {
    for (const type of ['pkcs8', 'sec1']) {
        try {
            const k = crypto.createPrivateKey({ key: der, format: 'der', type });
            return crypto.createPublicKey(k).export({ type: 'spki', format: 'der' }).toString('hex');
        } catch { /* not this encoding, or encrypted */ }
    }
    return null;
}

/* the register's certificates: SPKI (hex) -> {serial, key_origin} */
function registerKeys() {
    const map = new Map();
    const rows = psql(`SELECT serial || '|' || key_origin || '|' || encode(der, 'hex') FROM certificates
        WHERE der IS NOT NULL`);
    for (const line of rows.split('\n').filter(Boolean)) {
        const [serial, origin, hex] = line.split('|');
        try {
            const x = new crypto.X509Certificate(Buffer.from(hex, 'hex'));
            map.set(x.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'), { serial, origin });
        } catch { /* a certificate node cannot read (SM2): by its SPKI bytes */
            const der = Buffer.from(hex, 'hex');
            const i = der.indexOf(Buffer.from('06072a8648ce3d0201', 'hex'));
            if (i > 4)
                map.set(outer(der, i - 2).toString('hex'), { serial, origin });
        }
    }
    return map;
}

/* not scanned: the media's tokens (they are the media), and the tests'
 * own temporary directory when script/test put it in var/ (var/t: the
 * holder's side, where a test opens the PKCS#12 it downloaded) */
function defaultExcluded(varDir) {
    const out = [path.join(varDir, 'media')];
    const t = process.env.TMPDIR ? path.resolve(process.env.TMPDIR) : '';
    if (t !== '' && t.startsWith(path.resolve(varDir) + path.sep))
        out.push(t);
    return out;
}

function filesUnder(dir, skip, out = []) {
    let entries;
    try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
        return out;
    }
    for (const e of entries) {
        const p = path.join(dir, e.name);
        if (skip.some((s) => p === s || p.startsWith(s + path.sep)))
            continue;
        let st;
        try {
            st = fs.statSync(p); /* var/pg, var/run may be links to HALL_PUB */
        } catch {
            continue;
        }
        if (st.isDirectory())
            filesUnder(p, skip, out);
        else if (st.isFile())
            out.push(p);
    }
    return out;
}

/*
 * scan({ varDir, exclude, hallKeys, files, dump, serials, scalars }):
 *   varDir    the state directory (HALL_VAR)
 *   exclude   directories not scanned at all (default: varDir/media, the
 *             media's tokens, and the tests' TMPDIR when it is in varDir)
 *   hallKeys  directories of the hall's own keys: scanned, keys found there
 *             are listed (ownKeys) and fail only when they are a
 *             certificate's of the register (default: varDir/keys)
 *   files     more files to scan (a backup)
 *   dump      scan a pg_dump of the database too (default true)
 *   serials   certificates whose p12_enc must be NULL
 *   scalars   known private scalars (hex) looked for as raw bytes
 * Returns { breaches: [text], ownKeys: [text], suspects: [text],
 * scanned: {files, bytes, wal: WAL segments, logs: files of var/log} }: a breach is a PEM private key outside the
 * hall's key directories, a structure that parses as a private key there,
 * or anywhere one of the register's certificates' key; a suspect has the
 * bytes of a key's structure that parse as none (a page boundary of the
 * cluster's files, or chance), listed for a human to look at.
 */
function scan(opts = {}) {
    const varDir = opts.varDir || process.env.HALL_VAR;
    const exclude = (opts.exclude || defaultExcluded(varDir)).map((p) => path.resolve(p));
    const hallKeys = (opts.hallKeys || [path.join(varDir, 'keys')]).map((p) => path.resolve(p));
    const breaches = [];
    const ownKeys = [];
    const suspects = [];
    const register = registerKeys();
    const scalars = (opts.scalars || []).map((h) => Buffer.from(h, 'hex'));
    const sources = filesUnder(path.resolve(varDir), exclude).map((f) => ({ name: f, read: () => fs.readFileSync(f) }));
    for (const f of opts.files || [])
        sources.push({ name: f, read: () => fs.readFileSync(f) });
    if (opts.dump !== false)
        sources.push({ name: 'pg_dump', read: pgDump });
    let bytes = 0;
    for (const src of sources) {
        let buf;
        try {
            buf = src.read();
        } catch (e) {
            if (src.name === 'pg_dump')
                throw e;
            continue; /* gone meanwhile (a temp file, a rotated WAL segment) */
        }
        bytes += buf.length;
        const own = hallKeys.some((d) => src.name.startsWith(d + path.sep));
        for (const s of scalars)
            if (buf.indexOf(s) >= 0)
                breaches.push(`${src.name}: a known private scalar ${s.toString('hex').slice(0, 8)}… in the raw bytes`);
        for (const layer of layers(buf)) {
            for (const k of structures(layer.buf)) {
                const spki = publicOf(k.der);
                const cert = spki != null ? register.get(spki) : undefined;
                const what = `${src.name} (${layer.how}, offset ${k.at}): ${k.kind}`;
                if (cert !== undefined && cert.origin !== 'hall')
                    breaches.push(`${what}: the private key of certificate ${cert.serial} (key born: ${cert.origin})`);
                else if (cert !== undefined)
                    breaches.push(`${what}: the private key of certificate ${cert.serial}, made by the hall, in clear`);
                else if (own)
                    ownKeys.push(what);
                else if (spki != null || k.pem !== undefined)
                    breaches.push(`${what}: a private key outside the hall's key directories`);
                else
                    suspects.push(`${what}: the shape of a key that does not parse as one`);
            }
        }
    }
    for (const serial of opts.serials || []) {
        const held = psql(`SELECT coalesce((SELECT (p12_enc IS NOT NULL)::text || '|' || key_origin
            FROM certificates WHERE serial = '${String(serial).replace(/'/g, "''")}'), 'none')`);
        if (held === 'none')
            breaches.push(`certificate ${serial}: not in the register`);
        else if (held.startsWith('true'))
            breaches.push(`certificate ${serial}: the register holds its PKCS#12 (p12_enc, encrypted: the key was in the hall; key_origin ${held.split('|')[1]})`);
    }
    const count = (re) => sources.filter((src) => re.test(src.name)).length;
    return {
        breaches, ownKeys, suspects,
        scanned: { files: sources.length, bytes, wal: count(/\/pg_wal\/[0-9A-F]{24}$/), logs: count(/\/log\/[^/]+$/) },
    };
}

module.exports = { scan, structures, publicOf };

/* script/custody-scan [--serial S]... [--scalar HEX]... [--file F]... [--no-dump] */
if (require.main === module) {
    const opts = { serials: [], files: [], scalars: [] };
    const argv = process.argv.slice(2);
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === '--serial')
            opts.serials.push(argv[++i]);
        else if (argv[i] === '--file')
            opts.files.push(argv[++i]);
        else if (argv[i] === '--scalar' && /^([0-9a-f]{2})+$/i.test(argv[i + 1] || ''))
            opts.scalars.push(argv[++i]);
        else if (argv[i] === '--no-dump')
            opts.dump = false;
        else if (argv[i] === '--issued') /* every certificate not made by the hall */
            opts.serials.push(...psql("SELECT serial FROM certificates WHERE state = 'issued' AND key_origin <> 'hall'")
                .split('\n').filter(Boolean));
        else {
            process.stderr.write('usage: custody-scan [--serial SERIAL]... [--issued] [--scalar HEX]... [--file FILE]... [--no-dump]\n');
            process.exit(2);
        }
    }
    const r = scan(opts);
    for (const k of r.ownKeys)
        process.stdout.write(`hall's own key: ${k}\n`);
    for (const k of r.suspects)
        process.stdout.write(`suspect: ${k}\n`);
    for (const b of r.breaches)
        process.stdout.write(`BREACH: ${b}\n`);
    process.stdout.write(`${r.breaches.length === 0 ? 'clean' : 'BREACHED'}: ${r.scanned.files} sources, ${r.scanned.bytes} bytes, ${opts.serials.length} certificates checked in the register\n`);
    process.exit(r.breaches.length === 0 ? 0 : 1);
}
