'use strict';
/*
 * The sandbox's partner platform: the receiver of the hall's status
 * webhooks (core/biz/partner_hook.c, docs/partners.md "Status webhooks").
 *
 *   POST /partner/hook/CODE        an event for partner CODE: both
 *                                  signatures checked as a partner would
 *                                  (HMAC-SHA256 under the partner's secret,
 *                                  the CMS with openssl against the hall's
 *                                  root), the timestamp within 5 minutes, the
 *                                  nonce never seen; recorded; 200 {ok:true},
 *                                  401 when a signature is wrong
 *   POST /sandbox/partner/config   {partner, secret, ca_file}: what CODE's
 *                                  receiver checks with (ca_file: the hall's
 *                                  root.crt)
 *   GET  /sandbox/partner/received?partner=CODE   what CODE's receiver got,
 *                                  oldest first
 *
 * The fault service "partner" (POST /sandbox/faults) makes it fail (503),
 * time out (no answer) or answer late; a faulted call is recorded too.
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const MAX_SKEW_S = 300;
const MAX_KEPT = 10000;

module.exports = function partner(env) {
    const receivers = new Map();   /* code -> { secret, caFile, got: [], nonces: Set } */

    function receiver(code) {
        if (!receivers.has(code))
            receivers.set(code, { secret: null, caFile: null, got: [], nonces: new Set(), acked: new Set() });
        return receivers.get(code);
    }

    /* openssl cms -verify of the detached signature over s, against caFile */
    function cmsOk(b64, s, caFile) {
        if (!b64 || !caFile)
            return false;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-partner-'));
        try {
            fs.writeFileSync(path.join(dir, 'sig.der'), Buffer.from(b64, 'base64'));
            fs.writeFileSync(path.join(dir, 'signed'), s);
            execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', path.join(dir, 'sig.der'),
                '-content', path.join(dir, 'signed'), '-CAfile', caFile, '-purpose', 'any', '-out', '/dev/null'],
            { stdio: 'ignore', timeout: 10000 });
            return true;
        } catch {
            return false;
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    async function hook(req, res, info, code) {
        info.service = 'partner';
        const buf = await env.readBody(req, res);
        if (buf === null)
            return;
        const state = env.state();
        state.stats.partner.calls++;
        const r = receiver(code);
        const h = (n) => String(req.headers[n] ?? '');
        const rec = {
            at: new Date().toISOString(), event_id: h('x-hall-event-id'), event: h('x-hall-event'),
            ts: h('x-hall-timestamp'), nonce: h('x-hall-nonce'), sig: h('x-hall-signature'),
            cms: h('x-hall-signature-cms'), hmac_ok: false, cms_ok: false,
            fresh: false, duplicate: false, fault: null, status: null, body: null, raw: buf.toString('utf8'),
        };
        try {
            rec.body = JSON.parse(rec.raw);
        } catch {
            rec.body = null;
        }
        const s = Buffer.concat([Buffer.from(`${rec.ts}\n${rec.nonce}\n`, 'utf8'), buf]);
        if (r.secret !== null) {
            const want = crypto.createHmac('sha256', r.secret).update(s).digest('hex');
            const got = h('x-hall-signature');
            rec.hmac_ok = got.length === want.length && crypto.timingSafeEqual(Buffer.from(got), Buffer.from(want));
        }
        rec.cms_ok = cmsOk(h('x-hall-signature-cms'), s, r.caFile);
        rec.fresh = /^\d{1,12}$/.test(rec.ts) && Math.abs(Date.now() / 1000 - Number(rec.ts)) <= MAX_SKEW_S &&
            /^[0-9a-f]{16,64}$/.test(rec.nonce) && !r.nonces.has(rec.nonce);
        r.nonces.add(rec.nonce);
        const keep = () => {
            r.got.push(rec);
            if (r.got.length > MAX_KEPT)
                r.got.shift();
        };
        const fault = env.takeFault('partner');
        if (fault && fault.mode !== 'delay') {
            info.fault = rec.fault = fault.mode;
            state.stats.partner.faulted++;
            keep();
            if (fault.mode === 'fail') {
                rec.status = 503;
                return env.send(res, 503, { ok: false, error: 'sandbox fault: fail' });
            }
            return env.hold(req, res);
        }
        if (!rec.hmac_ok || !rec.fresh) {
            rec.status = 401;
            keep();
            return env.send(res, 401, { ok: false, error: rec.hmac_ok ? 'stale or replayed' : 'bad signature' });
        }
        rec.duplicate = r.acked.has(rec.event_id);
        r.acked.add(rec.event_id);
        state.stats.partner.acted++;
        if (fault && fault.mode === 'delay') {
            /* acted on, answered late: the hall may give up and send it again */
            rec.fault = 'delay';
            await env.lateAnswer(req, fault.delay_ms);
            if (req.socket.destroyed) {
                rec.status = 0;
                keep();
                return;
            }
        }
        rec.status = 200;
        keep();
        env.send(res, 200, { ok: true });
    }

    async function config(req, res) {
        const body = await env.jsonBody(req, res);
        if (body === null)
            return;
        const code = typeof body.partner === 'string' ? body.partner : '';
        if (!/^[a-z][a-z0-9_]{1,31}$/.test(code))
            throw new env.BadRequest('partner 不正确');
        const r = receiver(code);
        if (body.secret !== undefined)
            r.secret = typeof body.secret === 'string' && body.secret !== '' ? body.secret : null;
        if (body.ca_file !== undefined)
            r.caFile = typeof body.ca_file === 'string' && body.ca_file !== '' ? body.ca_file : null;
        if (body.clear === true) {
            r.got = [];
            r.acked.clear();
        }
        env.send(res, 200, { ok: true });
    }

    /* true when it was one of this receiver's routes */
    async function route(req, res, info, url) {
        const m = url.pathname.match(/^\/partner\/hook\/([a-z][a-z0-9_]{1,31})$/);
        if (m && req.method === 'POST') {
            await hook(req, res, info, m[1]);
            return true;
        }
        if (url.pathname === '/sandbox/partner/config' && req.method === 'POST') {
            await config(req, res);
            return true;
        }
        if (url.pathname === '/sandbox/partner/received' && req.method === 'GET') {
            const code = url.searchParams.get('partner') ?? '';
            env.send(res, 200, { ok: true, received: receivers.has(code) ? receivers.get(code).got : [] });
            return true;
        }
        return false;
    }

    function reset() {
        receivers.clear();
    }

    return { route, reset };
};
