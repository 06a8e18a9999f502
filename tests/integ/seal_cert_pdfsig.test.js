'use strict';
/*
 * Certificates fit for signing (docs/internals/pki.md, "Certificate
 * profiles"): every kind of seal's stamp — 机构章, 机构业务章, 机构个人章,
 * each made by hall-stamp sign with the medium the hall produced — is
 * judged valid and trusted by poppler's pdfsig (NSS) with only the hall's
 * root in its database and its online OCSP check on: NSS fetches the
 * answer from the certificate's AIA, the running hall's /ocsp (vfychain
 * with the OCSP answer required says the chain is good), and a revoked
 * seal's stamp is then reported revoked.  The other products'
 * login certificates keep their extended key usages.
 *
 * What failed before: the seals' own certificates (机构业务章, 机构个人章)
 * had extendedKeyUsage clientAuth only, which NSS refuses for a signature
 * ("Certificate type not approved for application", -8101); and every
 * answer of the hall had the status line "HTTP/1.1 200" (the FastCGI
 * Status header without its reason phrase), which NSS's HTTP client
 * refuses (no space after the code), so no OCSP answer ever reached NSS:
 * pdfsig said "Unknown issue with Certificate" even for the 机构章.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { HALL, Client, applicant, freshPhone } = require('./lib/client');
const {
    tmpdir, openssl, fetchPki, operator, psql, smsTo, staffRevoke, acceptedByTransfer, orgForm, personForm,
} = require('./lib/pki');
const { sealOrder, holderMakesKey } = require('./lib/seal');
const { softhsmModule, mediaEnv, mediumOf } = require('./lib/station');
const { makePdf, nssTrusting, stampWith } = require('./lib/stamp');

const dir = tmpdir();
const f = (n) => path.join(dir, n);
const KINDS = ['org', 'org_business', 'org_person'];
const DOCUMENT_SIGNING = /1\.3\.6\.1\.5\.5\.7\.3\.36|Document Signing/i;
const seals = {};
let nss = '';

/* keyUsage and extendedKeyUsage of a PEM certificate as openssl prints them */
function usages(pem) {
    fs.writeFileSync(f('x.pem'), pem);
    const r = openssl(['x509', '-in', f('x.pem'), '-noout', '-ext', 'keyUsage,extendedKeyUsage']);
    assert.equal(r.status, 0, r.stderr);
    const ku = r.stdout.match(/Key Usage: (critical)?\s*\n\s*(.+)\n/);
    const eku = r.stdout.match(/Extended Key Usage:( critical)?\s*\n\s*(.+)\n?/);
    return { ku: ku && `${ku[1] || ''}|${ku[2].trim()}`, eku: eku ? eku[2].trim() : '', text: r.stdout };
}

/* the certificate of an order's serial, PEM, from the database */
function certOf(serial) {
    const b64 = psql(`SELECT encode(der, 'base64') FROM certificates WHERE serial = '${serial}'`);
    return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/* pdfsig with its defaults: OCSP asked online (the AIA URL) */
function pdfsigOnline(file) {
    const r = spawnSync('pdfsig', ['-nssdir', `sql:${nss}`, file], { encoding: 'utf8', timeout: 60000 });
    return `${r.stdout}${r.stderr}`;
}

/* an HTTP/1.1 exchange over a plain socket: the raw status line */
function statusLine(request) {
    const url = new URL(HALL);
    return new Promise((resolve, reject) => {
        const s = net.connect(Number(url.port), url.hostname, () => s.write(request));
        let got = '';
        s.on('data', (d) => {
            got += d.toString('latin1');
            if (got.includes('\r\n')) {
                s.destroy();
                resolve(got.slice(0, got.indexOf('\r\n')));
            }
        });
        s.on('error', reject);
    });
}

/*
 * A 电子签章 order with one seal of each kind, produced by the operator: the
 * agent downloads the 机构章's and 机构业务章's .seseal and stamps with the
 * keys on the order's USB key (the order's PIN), the holder makes the 机构个人章's key with the code of their
 * own SMS (their own PIN, sql/159); each kind stamps a PDF.
 */
before(async () => {
    const c = await applicant();
    const agent = freshPhone('138'), holder = freshPhone('135');
    const so = await sealOrder(c, {
        org_count: '1', org_years: '1', org_style: 'auto',
        biz_count: '1', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'auto',
        person_count: '1', person_1_name: '王五', person_1_ric: '44011320141005001X', person_1_years: '1',
        person_1_style: 'auto', person_1_mobile: holder,
    }, { agent_mobile: agent });
    psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
        WHERE id = ${so.id}`);
    const made = await (await operator()).post('/admin/pki/issue', { id: so.id });
    assert.equal(made.status, 200, made.text);
    const orderPin = (await smsTo(agent, /PIN码/)).match(/PIN码为：(\d{8})/)[1];
    const get = async (u) => {
        const r = await fetch(HALL + u, { headers: { Cookie: c.cookieHeader() } });
        assert.equal(r.status, 200, u);
        return Buffer.from(await r.arrayBuffer());
    };
    await fetchPki(dir);
    for (const kind of KINDS) {
        const item = psql(`SELECT id FROM seal_items WHERE order_id = ${so.id} AND kind = '${kind}'`);
        const s = { seal: f(`${kind}.seseal`), pin: orderPin };
        if (kind === 'org_person') {
            /* the holder's key, made on the holder's side (sql/159) */
            const h = await holderMakesKey(holder, dir, 'Holder2026pin', kind);
            Object.assign(s, { seal: h.seal, p12: h.p12, pin: h.pin });
        }
        s.serial = psql(`SELECT cert_serial FROM seseals WHERE item_id = ${item}`);
        fs.writeFileSync(s.seal, await get(`/seal/seseal?id=${item}`));
        if (kind !== 'org_person') {
            /* the order's USB key: the 机构章 signs with the holder's key
             * ('hall'), the 业务章 with its own (labelled with its code) */
            const code = psql(`SELECT es_id FROM seseals WHERE item_id = ${item}`);
            s.signer = ['--pkcs11-module', softhsmModule(), '--token', mediumOf(so.id), '--key-label',
                kind === 'org' ? 'hall' : code, '--chain', f('ecc.crt')];
            s.env = mediaEnv();
        }
        s.pdf = f(`${kind}-stamped.pdf`);
        fs.writeFileSync(s.pdf, stampWith(makePdf({ text: `stamped with ${kind}` }), s, s.pin));
        seals[kind] = s;
    }
    nss = nssTrusting(f('root.crt'));
});

test('seal_certificates__every_kind__signing_key_usage__documentSigning_and_emailProtection', () => {
    for (const kind of ['org_person', 'org_business', 'org']) {
        const u = usages(certOf(seals[kind].serial));
        assert.equal(u.ku, 'critical|Digital Signature, Non Repudiation', `${kind}: ${u.text}`);
        assert.match(u.eku, /E-mail Protection/, `${kind}: emailProtection (NSS, Acrobat): ${u.text}`);
        assert.match(u.eku, DOCUMENT_SIGNING, `${kind}: RFC 9336 id-kp-documentSigning: ${u.text}`);
        assert.doesNotMatch(u.eku, /Any Extended Key Usage/);
    }
    /* the 机构章 signs with the order's 机构证书, which keeps its logins;
     * a seal's own certificate signs with its seal and nothing else */
    assert.match(usages(certOf(seals.org.serial)).eku, /TLS Web Client Authentication/);
    for (const kind of ['org_business', 'org_person'])
        assert.doesNotMatch(usages(certOf(seals[kind].serial)).eku, /TLS Web Client Authentication/, kind);
});

test('other_products__login_certificates__extended_key_usage_unchanged', async () => {
    const op = await operator();
    const cases = [
        { form: orgForm({ cert_type: 'org_person', agent_mobile: freshPhone('137'), app_name: '赵六',
            app_ric: '44011320141005001X', app_mobile: '13700137001', app_email: 'zhao@example.com' }),
        eku: 'TLS Web Client Authentication' },
        { form: personForm({ app_mobile: freshPhone('137') }),
            eku: 'TLS Web Client Authentication, E-mail Protection' },
    ];
    for (const { form, eku } of cases) {
        const o = await acceptedByTransfer({ form });
        const r = await op.post('/admin/pki/issue', { id: o.id });
        assert.equal(r.status, 200, r.text);
        const serial = psql(`SELECT serial FROM certificates WHERE order_id = ${o.id} AND state = 'issued'`);
        const u = usages(certOf(serial));
        assert.equal(u.eku, eku, `${form.cert_type}: ${u.text}`);
        assert.equal(u.ku, 'critical|Digital Signature, Non Repudiation');
    }
});

test('ocsp__answer_status_line__code_and_reason_phrase_as_nss_reads_it', async () => {
    /* NSS's HTTP client (pkix_pl_httpdefaultclient.c) wants "HTTP/1.x 200 reason" */
    const req = fs.readFileSync(f('root.crt')); /* any bytes: a malformedRequest is a 200 too */
    const get = await statusLine('GET /ocsp/MAA%3D HTTP/1.1\r\nHost: hall\r\nConnection: close\r\n\r\n');
    assert.equal(get, 'HTTP/1.1 200 OK');
    const post = await statusLine(`POST /ocsp HTTP/1.1\r\nHost: hall\r\nContent-Type: application/ocsp-request\r\n`
        + `Content-Length: ${req.length}\r\nConnection: close\r\n\r\n${req.toString('latin1')}`);
    assert.equal(post, 'HTTP/1.1 200 OK');
    /* the other routes' answers are the same core's */
    assert.equal(await statusLine('GET /no/such/page HTTP/1.1\r\nHost: hall\r\nConnection: close\r\n\r\n'),
        'HTTP/1.1 404 Not Found');
});

test('pdfsig__stamp_of_every_seal_kind__online_ocsp__valid_and_trusted', () => {
    for (const kind of KINDS) {
        const out = pdfsigOnline(seals[kind].pdf);
        assert.match(out, /Signature Validation: Signature is Valid\./, `${kind}: ${out}`);
        assert.match(out, /Certificate Validation: Certificate is Trusted\./, `${kind}: ${out}`);
    }
});

test('nss__every_seal_certificate__email_signer_with_ocsp_required__chain_good', () => {
    /* pdfsig's policy lets a failed OCSP fetch pass (and shows its error);
     * vfychain with the leaf's OCSP required fails unless NSS fetched,
     * verified and accepted the hall's answer */
    for (const kind of KINDS) {
        fs.writeFileSync(f('leaf.pem'), certOf(seals[kind].serial));
        const r = spawnSync('vfychain', ['-d', `sql:${nss}`, '-a', '-pp', '-u', '4', '-g', 'leaf', '-m', 'ocsp',
            '-s', 'failIfNoInfo', f('leaf.pem'), f('ecc.crt')], { encoding: 'utf8', timeout: 60000 });
        assert.match(`${r.stdout}${r.stderr}`, /Chain is good!/, `${kind}: ${r.stdout}${r.stderr}`);
    }
});

test('pdfsig__seal_certificate_revoked__online_ocsp__reports_it_revoked', async () => {
    /* the answer NSS read is the hall's: revoked, once the operator revoked */
    const r = await staffRevoke(seals.org_business.serial, 'keyCompromise');
    assert.equal(r.status, 200, r.text);
    const out = pdfsigOnline(seals.org_business.pdf);
    assert.match(out, /Signature Validation: Signature is Valid\./, out);
    assert.match(out, /Certificate Validation: Certificate has been Revoked\./, out);
    /* the others' stamps stay trusted */
    assert.match(pdfsigOnline(seals.org_person.pdf), /Certificate is Trusted/);
});
