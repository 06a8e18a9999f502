'use strict';
/*
 * The secret of a provider's account as the hall keeps it (provider_key_dir,
 * script/lib/common.sh provider_keys): one line, in clear (a test's own
 * folder) or encrypted at rest by script/lib/keyenc.sh,
 *     aes-256-cbc:pbkdf2-sha256:ITERATIONS:BASE64
 * BASE64 being "Salted__", 8 bytes of salt and the AES-256-CBC ciphertext
 * whose key and IV PBKDF2-HMAC-SHA256 derives from the key-encryption
 * passphrase (the first line of passFile: --provider-pass).  Opened once
 * per version of the file: a rotation (hall-pkitool rotate-pass) writes it
 * anew, and the passphrase is read again then.  null when there is none or
 * it cannot be opened.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const PREFIX = /^aes-256-cbc:pbkdf2-sha256:(\d{1,9}):([A-Za-z0-9+/=]+)$/;
const TEXT = /^[\x20-\x7e\t]+$/;
const cache = new Map();        /* file -> { stamp, value } */

function open(line, passFile) {
    const m = line.match(PREFIX);
    if (!m)
        return line || null;
    const tryPass = (file) => {
        const pass = fs.readFileSync(file, 'utf8').split(/\r?\n/)[0];
        const raw = Buffer.from(m[2], 'base64');
        if (!pass || raw.length < 32 || raw.subarray(0, 8).toString('latin1') !== 'Salted__')
            return null;
        const kiv = crypto.pbkdf2Sync(pass, raw.subarray(8, 16), Number(m[1]), 48, 'sha256');
        const d = crypto.createDecipheriv('aes-256-cbc', kiv.subarray(0, 32), kiv.subarray(32));
        const text = Buffer.concat([d.update(raw.subarray(16)), d.final()]).toString('latin1').trim();
        /* CBC has no integrity: a wrong passphrase passes the padding check
         * one time in 256 and gives noise, which is not one line of
         * printable ASCII (keyenc.sh encrypts nothing else) */
        return TEXT.test(text) ? text : null;
    };
    if (!passFile)
        return null;
    /* a rotation under way: its new passphrase is passFile.next until it ends */
    for (const f of [passFile, `${passFile}.next`]) {
        try {
            const v = tryPass(f);
            if (v)
                return v;
        } catch {
            /* another passphrase, or no such file */
        }
    }
    return null;
}

module.exports = function providerSecret(keysDir, passFile, name) {
    if (!keysDir)
        return null;
    const file = path.join(keysDir, name);
    try {
        const st = fs.statSync(file);
        const stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
        const hit = cache.get(file);
        if (hit && hit.stamp === stamp)
            return hit.value;
        const value = open(fs.readFileSync(file, 'utf8').split(/\r?\n/)[0], passFile);
        if (value)
            cache.set(file, { stamp, value });
        return value;
    } catch {
        return null;
    }
};
