'use strict';
/*
 * docs/partner-api.openapi.json, the partner API's OpenAPI description
 * (docs/partners.md), holds for the running hall: its paths and methods are
 * exactly the routes of modules/partner, and each answer of the hall — the
 * good one and every refusal the description lists — has a documented
 * status and the documented shape (types, required members, enums,
 * patterns), checked by a small validator of the schema subset it uses.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { HALL, applicant } = require('./lib/client');
const { orgForm, unpaidOrder } = require('./lib/payflow');
const { SKIP } = require('./lib/hall');
const { addPartnerKey } = require('./lib/secrets');

const ROOT = path.resolve(__dirname, '..', '..');
const SPEC = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'partner-api.openapi.json'), 'utf8'));
const KEY = { id: `openapi-${crypto.randomBytes(4).toString('hex')}`, secret: crypto.randomBytes(24).toString('hex') };

function resolve(s) {
    while (s && s.$ref)
        s = s.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o[k], SPEC);
    return s;
}

/* the problems of v against schema s, as "where: what" lines */
function check(v, s, where = '$') {
    s = resolve(s);
    const out = [];
    const type = Array.isArray(v) ? 'array' : v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v;
    if (s.type && !(s.type === type || (s.type === 'number' && type === 'integer')))
        return [`${where}: ${type}, not ${s.type}`];
    if (s.enum && !s.enum.includes(v))
        out.push(`${where}: ${JSON.stringify(v)} not in ${s.enum}`);
    if (s.pattern && typeof v === 'string' && v !== '' && !new RegExp(s.pattern).test(v))
        out.push(`${where}: ${v} does not match ${s.pattern}`);
    if (type === 'object') {
        for (const k of s.required || [])
            if (!(k in v))
                out.push(`${where}: no ${k}`);
        for (const [k, sub] of Object.entries(s.properties || {}))
            if (k in v)
                out.push(...check(v[k], sub, `${where}.${k}`));
        for (const k of Object.keys(v))
            if (s.properties && !(k in s.properties))
                out.push(`${where}: ${k} is not documented`);
    }
    if (type === 'array' && s.items)
        v.forEach((x, i) => out.push(...check(x, s.items, `${where}[${i}]`)));
    return out;
}

async function call(method, pathQuery, body, { sig } = {}) {
    const text = body === undefined ? '' : JSON.stringify(body);
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = crypto.randomBytes(12).toString('hex');
    const r = await fetch(HALL + pathQuery, {
        method, body: body === undefined ? undefined : text,
        headers: {
            'X-Hall-Key-Id': KEY.id, 'X-Hall-Timestamp': ts, 'X-Hall-Nonce': nonce, Accept: 'application/json',
            'X-Hall-Signature': sig || crypto.createHmac('sha256', KEY.secret)
                .update(`${method}\n${pathQuery}\n${ts}\n${nonce}\n${text}`).digest('hex'),
            'Content-Type': 'application/json',
        },
    });
    return { status: r.status, body: await r.json() };
}

/* the answer is one the description lists for the operation, and of its shape */
function conforms(r, p, method) {
    const op = SPEC.paths[p][method.toLowerCase()];
    const resp = resolve(op.responses[String(r.status)]);
    assert.ok(resp, `${method} ${p}: status ${r.status} is not documented`);
    const problems = check(r.body, resp.content['application/json'].schema);
    assert.deepEqual(problems, [], `${method} ${p} ${r.status}`);
}

test('openapi__paths_and_methods_are_the_routes_of_modules_partner', () => {
    const src = fs.readFileSync(path.join(ROOT, 'modules', 'partner', 'partner.c'), 'utf8');
    const routes = [...src.matchAll(/\{"(GET|POST)", "(\/partner-api\/[^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`).sort();
    const documented = Object.entries(SPEC.paths)
        .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    assert.deepEqual(documented, routes);
});

test('openapi__every_answer_of_the_running_hall_is_documented_and_of_its_shape', { skip: SKIP }, async () => {
    addPartnerKey('jieyang', KEY.id, KEY.secret, '1 hour');
    const o = await unpaidOrder(await applicant(), { form: orgForm() });
    const A = '/partner-api/v1/applications', O = '/partner-api/v1/orders', C = '/partner-api/v1/orders/changed';
    const example = SPEC.paths[A].post.requestBody.content['application/json'].example;
    assert.deepEqual(check(example, SPEC.paths[A].post.requestBody.content['application/json'].schema), []);

    const answers = [
        [A, 'POST', example, 200], [A, 'POST', { org_name: 'x' }, 400], [A, 'POST', example, 401, 'f'.repeat(64)],
        [`${O}?id=${o.id}`, 'GET', undefined, 200], [`${O}?id=abc`, 'GET', undefined, 400],
        [`${O}?id=999999999`, 'GET', undefined, 404], [`${O}?id=${o.id}`, 'GET', undefined, 401, '0'.repeat(64)],
        [`${C}?since=2020-01-01T00:00:00Z&limit=1`, 'GET', undefined, 200], [`${C}?limit=1000&since=2020-01-01T00:00:00Z`, 'GET', undefined, 400],
    ];
    let page;
    for (const [pq, method, body, want, sig] of answers) {
        const r = await call(method, pq, body, { sig });
        assert.equal(r.status, want, `${method} ${pq}: ${JSON.stringify(r.body)}`);
        conforms(r, pq.split('?')[0], method);
        if (pq.startsWith(C) && want === 200)
            page = r.body;
    }
    /* the next page by the cursor, as documented */
    assert.ok(page.next_cursor, 'a page of 1 of the partner\'s orders says where the next begins');
    const next = await call('GET', `${C}?cursor=${encodeURIComponent(page.next_cursor)}&limit=1`);
    assert.equal(next.status, 200);
    conforms(next, C, 'GET');
});
