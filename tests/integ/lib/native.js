'use strict';
/*
 * hall-assist as the browser starts it, a native-messaging host (issue 70
 * §1; docs/internals/assist.md): the environment a holder's machine gives
 * it (the USB key's module registered with p11-kit in the user's
 * ~/.config/pkcs11/modules, here a test XDG_CONFIG_HOME; the hall's
 * origins in its configuration; the test pinentry, answering the PIN of
 * a file), and the messages framed as Chromium frames them.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const TOOL = path.join(ROOT, 'tools', 'assist', 'hall-assist');
const PINENTRY = path.join(__dirname, 'test-pinentry');

function softhsmModule() {
    for (const m of ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
        '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so'])
        if (fs.existsSync(m))
            return m;
    throw new Error('libsofthsm2.so not found: apt-get install softhsm2');
}

/*
 * The holder's machine in dir for origins: { env, pinFile, log } — env for
 * hall-assist (or for the browser that starts it), pinFile the PIN the
 * test pinentry answers (write 'cancel' to cancel), log what it was told.
 */
/*
 * A holder's computer holds its own USB key, not the station's hundreds:
 * with medium (its serial) the host sees only that medium, its token's
 * files hard-linked into a token folder of its own (a PIN changed there is
 * the station's too), so listing and signing do not open every medium the
 * test hall has made (SoftHSM2 reads each token's files).
 */
function ownMedium(dir, medium) {
    const tokens = path.join(process.env.HALL_VAR, 'media', 'tokens');
    const own = path.join(dir, 'tokens');
    fs.mkdirSync(own, { recursive: true });
    for (const t of fs.readdirSync(tokens)) {
        const obj = path.join(tokens, t, 'token.object');
        if (!fs.existsSync(obj) || !fs.readFileSync(obj).includes(Buffer.from(medium)))
            continue;
        fs.mkdirSync(path.join(own, t), { recursive: true });
        for (const f of fs.readdirSync(path.join(tokens, t)))
            fs.linkSync(path.join(tokens, t, f), path.join(own, t, f));
    }
    const conf = path.join(dir, 'softhsm2.conf');
    fs.writeFileSync(conf, `directories.tokendir = ${own}\nobjectstore.backend = file\nlog.level = ERROR\n`
        + 'slots.removable = false\n');
    return conf;
}

function hostEnv(dir, origins, medium) {
    const mods = path.join(dir, 'config', 'pkcs11', 'modules');
    fs.mkdirSync(mods, { recursive: true });
    /* named as Debian's own registration, which it replaces (p11-kit
     * merges the user's modules over the system's by name) */
    fs.writeFileSync(path.join(mods, 'softhsm2.module'), `module: ${softhsmModule()}\n`);
    const conf = path.join(dir, 'hall-assist.conf');
    fs.writeFileSync(conf, `# the hall's origins served\n${origins.map((o) => `origin ${o}\n`).join('')}`);
    const pinFile = path.join(dir, 'pin');
    const log = path.join(dir, 'pinentry.log');
    fs.writeFileSync(pinFile, '');
    const env = { ...process.env, SOFTHSM2_CONF: medium ? ownMedium(dir, medium)
        : path.join(process.env.HALL_VAR, 'media', 'softhsm2.conf'),
        XDG_CONFIG_HOME: path.join(dir, 'config'), HALL_ASSIST_CONF: conf, PINENTRY_PROGRAM: PINENTRY,
        HALL_TEST_PIN_FILE: pinFile, HALL_TEST_PINENTRY_LOG: log };
    delete env.HALL_PKCS11_MODULE;
    return { env, pinFile, log, conf };
}

/* a host started as Chromium starts it; ask(msg) → its answer */
function startHost(env, caller = 'chrome-extension://ffhkmkhplbnhcmbmjdpdbngkcdbcjhoe/') {
    const p = spawn(TOOL, [caller], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = Buffer.alloc(0);
    let stderr = '';
    const waiting = [];
    p.stderr.on('data', (d) => { stderr += d; });
    p.stdout.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
            const n = buf.readUInt32LE(0);
            const msg = JSON.parse(buf.subarray(4, 4 + n).toString('utf8'));
            buf = buf.subarray(4 + n);
            const w = waiting.shift();
            if (w)
                w(msg);
        }
    });
    /* a host that ends answers nothing more: each question waiting is told so */
    const exited = new Promise((ok) => p.on('close', (status) => {
        for (const w of waiting.splice(0))
            w({ ok: false, code: 'exited', message: `hall-assist exited ${status}: ${stderr}` });
        ok(status);
    }));
    return {
        ask(msg) {
            const body = Buffer.from(JSON.stringify(msg), 'utf8');
            const head = Buffer.alloc(4);
            head.writeUInt32LE(body.length, 0);
            p.stdin.write(Buffer.concat([head, body]));
            return new Promise((ok) => waiting.push(ok));
        },
        /* bytes as they are; the answer */
        raw(bytes) {
            p.stdin.write(bytes);
            return new Promise((ok) => waiting.push(ok));
        },
        async close() {
            p.stdin.end();
            return { status: await exited, stderr };
        },
    };
}

/* the Assuan lines the pinentry received, the percent-escapes (ASCII only) decoded */
function pinentrySaid(log) {
    if (!fs.existsSync(log))
        return [];
    return fs.readFileSync(log, 'utf8').split('\n').filter(Boolean)
        .map((l) => l.replace(/%([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))));
}

module.exports = { TOOL, PINENTRY, softhsmModule, hostEnv, startHost, pinentrySaid };
