'use strict';
/*
 * A FastCGI client of one request per connection (the FastCGI spec, 1996):
 * for a module started by a test on a socket of its own, with a hall.conf of
 * its own, that nginx does not know.  { status, headers, body }.
 */
const net = require('node:net');

const BEGIN = 1, END = 3, PARAMS = 4, STDIN = 5, STDOUT = 6;

function record(type, body) {
    const out = [];
    for (let off = 0; off < body.length || out.length === 0; off += 65535) {
        const part = body.subarray(off, off + 65535);
        const h = Buffer.alloc(8);
        h.writeUInt8(1, 0);
        h.writeUInt8(type, 1);
        h.writeUInt16BE(1, 2); /* request id */
        h.writeUInt16BE(part.length, 4);
        out.push(h, part);
        if (body.length === 0)
            break;
    }
    return Buffer.concat(out);
}

function pairLen(n) {
    if (n < 128)
        return Buffer.from([n]);
    const b = Buffer.alloc(4);
    b.writeUInt32BE((n | 0x80000000) >>> 0);
    return b;
}

function params(obj) {
    const parts = [];
    for (const [k, v] of Object.entries(obj)) {
        const kb = Buffer.from(k), vb = Buffer.from(String(v));
        parts.push(pairLen(kb.length), pairLen(vb.length), kb, vb);
    }
    return Buffer.concat(parts);
}

/* a request to the FastCGI server on the unix socket sock */
function fcgiRequest(sock, { method = 'GET', uri = '/', body = Buffer.alloc(0), contentType = '' } = {}) {
    return new Promise((resolve, reject) => {
        const c = net.createConnection(sock);
        const chunks = [];
        c.on('connect', () => {
            const begin = Buffer.alloc(8);
            begin.writeUInt16BE(1, 0); /* responder, no keep-conn */
            const path = uri.split('?')[0];
            c.write(Buffer.concat([
                record(BEGIN, begin),
                record(PARAMS, params({
                    REQUEST_METHOD: method, REQUEST_URI: uri, CONTENT_TYPE: contentType,
                    CONTENT_LENGTH: body.length, REMOTE_ADDR: '127.0.0.1', REQUEST_ID: 'fcgi.test',
                    HALL_PARTNER: '', HALL_PATH: path,
                })),
                record(PARAMS, Buffer.alloc(0)),
                ...(body.length ? [record(STDIN, body)] : []),
                record(STDIN, Buffer.alloc(0)),
            ]));
        });
        c.on('data', (d) => chunks.push(d));
        c.on('error', reject);
        c.on('close', () => {
            const all = Buffer.concat(chunks);
            const out = [];
            let ended = false;
            for (let o = 0; o + 8 <= all.length;) {
                const type = all[o + 1], len = all.readUInt16BE(o + 4), pad = all[o + 6];
                if (type === STDOUT)
                    out.push(all.subarray(o + 8, o + 8 + len));
                if (type === END)
                    ended = true;
                o += 8 + len + pad;
            }
            if (!ended)
                return reject(new Error(`FastCGI: no END_REQUEST from ${sock}`));
            const resp = Buffer.concat(out);
            const sep = resp.indexOf('\r\n\r\n');
            const head = resp.subarray(0, sep).toString('latin1').split('\r\n');
            const headers = {};
            for (const l of head) {
                const i = l.indexOf(':');
                headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
            }
            resolve({ status: parseInt(headers.status || '200', 10), headers, body: resp.subarray(sep + 4) });
        });
    });
}

module.exports = { fcgiRequest };
