'use strict';
/*
 * The HTTPS front (issue 12 part 2, docs/operations.md "HTTPS in front"), as
 * production runs it: nginx/hall-tls.conf.in with a throw-away self-signed
 * certificate, in front of the hall's own nginx (nginx/hall.conf.in) and the
 * account, new and admin modules started with public_url = https://...
 * (on the test's database).  Checked with curl over https, the certificate
 * verified: HSTS on every answer, Secure on every cookie (hall_pre, hall_sid,
 * hall_staff), gzip for HTML, CSS, JS and JSON, a year of cache for the
 * hashed /static/ URLs, plain HTTP redirected but for OCSP and the CA's
 * CRLs and certificates, which a certificate issued behind it names by
 * plain HTTP (pki_url).  The plain test hall (public_url http) sets no
 * Secure: the flag follows public_url.  A PDF beyond 签名验证's or 免费体验's
 * limit gets the hall's own answer at the front, not nginx's English page.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const zlib = require('node:zlib');
const { HALL_URL, HALL_VAR, HALL_CONF, HALL_ROOT, SKIP, waitFor } = require('./lib/hall');
const { applicant } = require('./lib/client');
const { freshCode } = require('./lib/staff');
const { acceptedByTransfer, fetchPki, openssl, psql } = require('./lib/pki');

const MODULES = ['account', 'new', 'admin', 'pki', 'ocsp', 'sign'];
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = SKIP || (['nginx', 'openssl', 'curl'].every(have) ? false : 'needs nginx, openssl and curl');

let dir;
let httpsPort;
let httpPort;
const procs = [];

function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

/* a template of nginx/ with its placeholders filled; none may be left */
function render(template, values, out) {
    let text = fs.readFileSync(path.join(HALL_ROOT, 'nginx', template), 'utf8');
    for (const [k, v] of Object.entries(values))
        text = text.split(`@${k}@`).join(v);
    const left = text.match(/@[A-Z_]+@/);
    assert.equal(left, null, `${template} has a placeholder this test does not know: ${left && left[0]}`);
    fs.writeFileSync(out, text);
}

function start(name, cmd, args) {
    const log = fs.openSync(path.join(dir, 'log', `${name}.log`), 'a');
    const p = spawn(cmd, args, { stdio: ['ignore', log, log], detached: true });
    procs.push({ name, p });
    return p;
}

function portOpen(port) {
    return new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
        s.on('error', () => resolve(false));
    });
}

/* curl over https, the certificate checked against the throw-away CA */
function curl(url, args = []) {
    const hdr = path.join(dir, 'curl.headers');
    const body = path.join(dir, 'curl.body');
    const status = execFileSync('curl', ['-sS', '--cacert', path.join(dir, 'cert.pem'), '-D', hdr,
        '-o', body, '-w', '%{http_code}', ...args, url], { encoding: 'utf8' });
    const lines = fs.readFileSync(hdr, 'utf8').split(/\r?\n/);
    const headers = {};
    const cookies = [];
    for (const l of lines) {
        const i = l.indexOf(':');
        if (i <= 0)
            continue;
        const k = l.slice(0, i).trim().toLowerCase();
        const v = l.slice(i + 1).trim();
        if (k === 'set-cookie')
            cookies.push(v);
        headers[k] = v;
    }
    const raw = fs.readFileSync(body);
    const text = headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    return { status: Number(status), headers, cookies, raw, text };
}

const GZ = ['-H', 'Accept-Encoding: gzip'];
const https = (p) => `https://127.0.0.1:${httpsPort}${p}`;

before(async () => {
    if (skip)
        return;
    dir = fs.mkdtempSync(path.join(HALL_VAR, 'tls-'));
    for (const d of ['run', 'log', 'nginx', 'front'])
        fs.mkdirSync(path.join(dir, d));
    /* nginx's workers (nobody when root) reach the sockets and static files */
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.join(dir, 'run'), 0o755);
    fs.cpSync(path.join(HALL_ROOT, 'static-min'), path.join(dir, 'static'), { recursive: true });
    execFileSync('chmod', ['-R', 'a+rX', path.join(dir, 'static')]);

    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });

    const innerPort = await freePort();
    httpsPort = await freePort();
    httpPort = await freePort();
    /* the test hall's configuration, reached at an https address */
    const conf = path.join(dir, 'hall.conf');
    fs.writeFileSync(conf, `${fs.readFileSync(HALL_CONF, 'utf8')}\n# https.test.js\n` +
        `public_url = https://127.0.0.1:${httpsPort}\nworkers = 1\n`);
    for (const m of MODULES)
        start(m, path.join(HALL_ROOT, 'modules', m, `hall-${m}`), ['-c', conf, '-s', path.join(dir, 'run', `${m}.sock`)]);
    for (const m of MODULES)
        await waitFor(`the ${m} socket`, () => fs.existsSync(path.join(dir, 'run', `${m}.sock`)));

    const root = process.getuid && process.getuid() === 0;
    const group = /^nogroup:/m.test(fs.readFileSync('/etc/group', 'utf8')) ? 'nogroup' : 'nobody';
    render('hall.conf.in', {
        PORT: String(innerPort), VAR: dir, ROOT: HALL_ROOT, RUN: path.join(dir, 'run'),
        STATIC: path.join(dir, 'static'), NGINX_DIR: path.join(dir, 'nginx'),
        USER_DIRECTIVE: root ? `user nobody ${group};` : '', PARTNERS: '(?!)',
        SMS_RATE: '10r/m', SMS_BURST: '20', SMS_EXEMPT: '',
        REAL_IP: '    set_real_ip_from 127.0.0.2; real_ip_header X-Forwarded-For;',
        /* the map's lines come from modules/list */
        MODULE_MAP: execFileSync(path.join(HALL_ROOT, 'script', 'modules'), ['map'], { encoding: 'utf8' }).trim(),
    }, path.join(dir, 'nginx', 'nginx.conf'));
    render('hall-tls.conf.in', {
        HTTPS_LISTEN: `127.0.0.1:${httpsPort}`, HTTP_LISTEN: `127.0.0.1:${httpPort}`, SERVER_NAME: '127.0.0.1',
        CERT: path.join(dir, 'cert.pem'), KEY: path.join(dir, 'key.pem'), HALL: `127.0.0.1:${innerPort}`,
        NGINX_DIR: path.join(dir, 'front'), USER_DIRECTIVE: root ? `user nobody ${group};` : '',
        FRONT_BIND: '127.0.0.2',
    }, path.join(dir, 'front', 'nginx.conf'));
    for (const [name, d] of [['nginx', 'nginx'], ['front', 'front']]) {
        const t = spawnSync('nginx', ['-t', '-q', '-p', `${path.join(dir, d)}/`, '-c', path.join(dir, d, 'nginx.conf'),
            '-e', 'stderr'], { encoding: 'utf8' });
        assert.equal(t.status, 0, `nginx rejects the ${name} configuration: ${t.stderr}`);
        start(name, 'nginx', ['-p', `${path.join(dir, d)}/`, '-c', path.join(dir, d, 'nginx.conf'), '-e', 'stderr']);
    }
    await waitFor('the https front', () => portOpen(httpsPort));
    await waitFor('the hall behind it', () => portOpen(innerPort));
});

after(async () => {
    for (const { p } of procs.reverse()) {
        try {
            process.kill(-p.pid, 'SIGTERM');
        } catch { /* gone already */ }
    }
    await Promise.all(procs.map(({ p }) => (p.exitCode !== null || p.signalCode !== null ? null
        : new Promise((resolve) => p.once('exit', resolve)))));
    if (dir && process.env.HALL_TEST_KEEP !== '1')
        fs.rmSync(dir, { recursive: true, force: true });
});

test('https__pages__hsts_gzip_and_a_secure_hall_pre', { skip }, () => {
    const r = curl(https('/login'), GZ);
    assert.equal(r.status, 200);
    assert.match(r.headers['strict-transport-security'] || '', /^max-age=31536000; includeSubDomains$/);
    assert.equal(r.headers['content-encoding'], 'gzip', 'HTML is compressed');
    assert.ok(r.raw.length < Buffer.byteLength(r.text), 'and smaller for it');
    assert.match(r.text, /<h1>登录<\/h1>/);
    /* the hall's own headers pass through the front */
    assert.match(r.headers['content-security-policy'] || '', /default-src 'self'/);
    const pre = r.cookies.find((c) => c.startsWith('hall_pre='));
    assert.ok(pre, 'the anonymous visitor gets hall_pre');
    assert.match(pre, /; Secure(;|$)/, 'Secure, because public_url is https');
    assert.match(pre, /HttpOnly/);

    /* an error answer carries HSTS too */
    const nf = curl(https('/no-such-page'), GZ);
    assert.equal(nf.status, 404);
    assert.match(nf.headers['strict-transport-security'] || '', /max-age=31536000/);

    /* the same page of the plain-HTTP test hall: no Secure there */
    const plain = spawnSync('curl', ['-sS', '-D', '-', '-o', '/dev/null', `${HALL_URL}/login`], { encoding: 'utf8' });
    const plainPre = plain.stdout.split(/\r?\n/).find((l) => /^set-cookie: hall_pre=/i.test(l));
    assert.ok(plainPre);
    assert.doesNotMatch(plainPre, /Secure/);
    assert.doesNotMatch(plain.stdout, /strict-transport-security/i);
});

test('https__static_files__hashed_urls_cached_a_year_and_compressed', { skip }, () => {
    const page = curl(https('/login'), GZ);
    const css = page.text.match(/href="(\/static\/hall\.css\?v=([0-9a-f]{12}))"/);
    const js = page.text.match(/src="(\/static\/hall\.js\?v=([0-9a-f]{12}))"/);
    assert.ok(css && js, 'the layout links the static files with their content hash');
    assert.equal(css[2], js[2]);
    for (const [url, type] of [[css[1], /^text\/css/], [js[1], /javascript/]]) {
        const r = curl(https(url), GZ);
        assert.equal(r.status, 200, url);
        assert.match(r.headers['content-type'], type);
        assert.equal(r.headers['content-encoding'], 'gzip', `${url} is compressed`);
        assert.match(r.headers['cache-control'] || '', /^max-age=31536000$/, `${url} is kept a year`);
        assert.match(r.headers['strict-transport-security'] || '', /max-age=31536000/);
        /* what make built from static/ (static_dir) */
        assert.equal(r.text, fs.readFileSync(path.join(HALL_ROOT, 'static-min', url.replace(/\?.*/, '').replace('/static/', '')), 'utf8'));
    }
    /* without the hash the browser must come back soon */
    const bare = curl(https('/static/hall.css'), GZ);
    assert.match(bare.headers['cache-control'] || '', /^max-age=3600$/);
});

test('https__json_and_logins__compressed_and_every_cookie_secure', { skip }, async () => {
    /* a session made on the plain hall is one of the same database */
    const c = await applicant();
    const sid = c.jar.get('hall_sid');
    assert.ok(sid);
    const j = curl(https('/new/divisions'), [...GZ, '-H', 'Accept: application/json', '-H', `Cookie: hall_sid=${sid}`]);
    assert.equal(j.status, 200, j.text);
    assert.match(j.headers['content-type'], /^application\/json/);
    assert.equal(j.headers['content-encoding'], 'gzip', 'JSON is compressed');
    assert.ok(JSON.parse(j.text).items.some((d) => d.name === '广东省'));

    /* an applicant's password login over https: hall_sid is Secure */
    const jar = path.join(dir, 'cookies.txt');
    const login = curl(https('/login'), ['-c', jar, '-b', jar]);
    const token = login.text.match(/<meta name="csrf-token" content="([^"]+)"/)[1];
    const r = curl(https('/login'), ['-c', jar, '-b', jar, '-H', 'Accept: application/json', '-H', `X-CSRF-Token: ${token}`,
        '--data-urlencode', `phone=${c.phone}`, '--data-urlencode', 'password=Passw0rd123']);
    assert.equal(r.status, 200, r.text);
    const sidCookie = r.cookies.find((x) => x.startsWith('hall_sid='));
    assert.ok(sidCookie, 'logged in: a session cookie');
    assert.match(sidCookie, /; Secure(;|$)/);

    /* staff: hall_staff is Secure */
    const sjar = path.join(dir, 'staff-cookies.txt');
    const sp = curl(https('/admin/login'), ['-c', sjar, '-b', sjar]);
    const st = sp.text.match(/<meta name="csrf-token" content="([^"]+)"/)[1];
    const s = curl(https('/admin/login'), ['-c', sjar, '-b', sjar, '-H', 'Accept: application/json', '-H', `X-CSRF-Token: ${st}`,
        '--data-urlencode', 'login=reviewer', '--data-urlencode', 'password=Reviewer2026demo']);
    assert.equal(s.status, 200, s.text);
    const staff = s.cookies.find((x) => x.startsWith('hall_staff='));
    assert.ok(staff, 'a staff session cookie');
    assert.match(staff, /; Secure(;|$)/);
    /* the second factor: the full session's new cookie is Secure as well */
    const cp = curl(https('/admin/login/code'), ['-c', sjar, '-b', sjar]);
    const ct = cp.text.match(/<meta name="csrf-token" content="([^"]+)"/)[1];
    const sc = curl(https('/admin/login/code'), ['-c', sjar, '-b', sjar, '-H', 'Accept: application/json',
        '-H', `X-CSRF-Token: ${ct}`, '--data-urlencode', `code=${freshCode('reviewer')}`]);
    assert.equal(sc.status, 200, sc.text);
    assert.ok(sc.cookies.find((x) => x.startsWith('hall_staff=')), 'the full session has a cookie of its own');
    /* every cookie any of these answers set */
    for (const line of [...login.cookies, ...r.cookies, ...sp.cookies, ...s.cookies, ...sc.cookies])
        assert.match(line, /; Secure(;|$)/, line.replace(/=[^;]*/, '=…'));
});

test('https__plain_http_port__redirects_to_https', { skip }, () => {
    const r = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}',
        `http://127.0.0.1:${httpPort}/login?next=/center/orders`], { encoding: 'utf8' });
    const [code, to] = r.stdout.split(' ');
    assert.equal(code, '301');
    assert.match(to, /^https:\/\/127\.0\.0\.1\/login\?next=\/center\/orders$/);
});

/* a staff member's full session over https (password, then the TOTP code);
 * curl's cookie jar and a CSRF token of the session */
function staffOverHttps(login, password) {
    const jar = path.join(dir, `${login}-cookies.txt`);
    const token = (u) => curl(https(u), ['-c', jar, '-b', jar]).text.match(/<meta name="csrf-token" content="([^"]+)"/)[1];
    let t = token('/admin/login');
    const s = curl(https('/admin/login'), ['-c', jar, '-b', jar, '-H', 'Accept: application/json', '-H', `X-CSRF-Token: ${t}`,
        '--data-urlencode', `login=${login}`, '--data-urlencode', `password=${password}`]);
    assert.equal(s.status, 200, s.text);
    t = token('/admin/login/code');
    const c = curl(https('/admin/login/code'), ['-c', jar, '-b', jar, '-H', 'Accept: application/json',
        '-H', `X-CSRF-Token: ${t}`, '--data-urlencode', `code=${freshCode(login)}`]);
    assert.equal(c.status, 200, c.text);
    return { jar, csrf: token('/admin') };
}

test('https__certificate_issued_behind_it__ocsp_crl_and_ca_by_plain_http', { skip }, async () => {
    /* the operator issues over https: the certificate names the hall's
     * OCSP, CRL and CA certificate by http:// and the host (pki_url's
     * default), never https (NSS refuses an https OCSP URL) */
    const o = await acceptedByTransfer();
    const op = staffOverHttps('operator', 'Operator2026demo');
    const r = curl(https('/admin/pki/issue'), ['-c', op.jar, '-b', op.jar, '-H', 'Accept: application/json',
        '-H', `X-CSRF-Token: ${op.csrf}`, '--data-urlencode', `id=${o.id}`]);
    assert.equal(r.status, 200, r.text);
    const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
    fs.writeFileSync(path.join(dir, 'leaf.pem'), `-----BEGIN CERTIFICATE-----\n${
        psql(`SELECT encode(der, 'base64') FROM certificates WHERE serial = '${serial}'`)}\n-----END CERTIFICATE-----\n`);
    const ext = openssl(['x509', '-in', path.join(dir, 'leaf.pem'), '-noout', '-ext',
        'authorityInfoAccess,crlDistributionPoints']).stdout;
    assert.match(ext, /OCSP - URI:http:\/\/127\.0\.0\.1\/ocsp\n/, ext);
    assert.match(ext, /CA Issuers - URI:http:\/\/127\.0\.0\.1\/pki\/ecc\.crt\n/, ext);
    assert.match(ext, /URI:http:\/\/127\.0\.0\.1\/pki\/ecc\.crl\n/, ext);
    assert.doesNotMatch(ext, /https:/);

    /* the front's plain-HTTP port (port 80 in production) answers those
     * paths from the hall, and still redirects everything else */
    const plain = `http://127.0.0.1:${httpPort}`;
    await fetchPki(dir);
    const q = openssl(['ocsp', '-issuer', path.join(dir, 'ecc.crt'), '-serial', `0x${serial}`,
        '-url', `${plain}/ocsp`, '-CAfile', path.join(dir, 'root.crt')]);
    assert.equal(q.status, 0, q.stderr);
    assert.match(q.stderr, /Response verify OK/);
    assert.match(q.stdout, new RegExp(`0x${serial}: good`, 'i'));
    const get = (u, out = '/dev/null') => spawnSync('curl', ['-sS', '-o', out, '-D', '-', `${plain}${u}`],
        { encoding: 'utf8' }).stdout;
    for (const [u, type, check] of [
        ['/pki/ecc.crl', /application\/pkix-crl/, ['crl', '-inform', 'DER', '-noout', '-in']],
        ['/pki/ecc.crt', /application\/x-pem-file/, ['x509', '-noout', '-in']],
    ]) {
        const body = path.join(dir, 'plain.body');
        const h = get(u, body);
        assert.match(h, /^HTTP\/1\.1 200 OK\r\n/, `${u}: ${h}`);
        assert.match(h, new RegExp(`content-type: ${type.source}`, 'i'), h);
        assert.doesNotMatch(h, /strict-transport-security/i);
        assert.equal(openssl([...check, body]).status, 0, u);
    }
    for (const u of ['/pki/medium?id=1', '/pki/', '/ocsp-not', '/admin/pki/production'])
        assert.match(get(u), /^HTTP\/1\.1 301 /, `${u} is https only`);
});

test('https__pdf_beyond_the_limit__the_halls_page_or_json_not_nginxs', { skip }, () => {
    const big = path.join(dir, 'big.pdf');
    fs.writeFileSync(big, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(22 * 1024 * 1024, 0x20)]));
    /* a browser's form: 签名验证 again, the message beside the file field */
    const page = curl(https('/sign/verify'), ['-H', 'Accept: text/html', '-F', `file=@${big};type=application/pdf`]);
    assert.equal(page.status, 413);
    assert.match(page.headers['content-type'] || '', /^text\/html/);
    assert.match(page.text, /<h1>签名验证<\/h1>/);
    assert.match(page.text, /PDF文件过大：签名验证的文件不超过20MB/);
    assert.doesNotMatch(page.text, /nginx/);
    /* a script's request: JSON naming the field */
    const json = curl(https('/sign/verify'), ['-H', 'Accept: application/json', '-F', `file=@${big};type=application/pdf`]);
    assert.equal(json.status, 413);
    assert.deepEqual(JSON.parse(json.text), { ok: false, field: 'file', message: 'PDF文件过大：签名验证的文件不超过20MB' });
    /* 免费体验 (5 MiB): JSON, as the hall's nginx answers it */
    const t = curl(https('/sign/try'), ['-F', `file=@${big};type=application/pdf`]);
    assert.equal(t.status, 413);
    assert.equal(JSON.parse(t.text).message, 'PDF文件过大：免费体验的文件不超过5MB');
});
