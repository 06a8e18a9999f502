'use strict';
/*
 * bench/stamp's inputs (node bench/lib/stamp-fixture.js make DIR PAGES MB [OBJS]):
 *   DIR/seal.png   a 400 × 400 RGBA red ring, the seal's picture
 *   DIR/doc.pdf    PAGES A4 pages, each with an uncompressed RGB image of
 *                  noise so that the file is about MB megabytes; with OBJS,
 *                  that many more small objects (an array the catalog's
 *                  /PieceInfo lists), as a long document has (bench/sign-verify-many)
 * and, as "serve DIR PORT": a TSA on 127.0.0.1:PORT answering
 * POST /tsa with `openssl ts -reply -config DIR/ts.cnf` (one process per
 * timestamp, as a small TSA would be), POST /ocsp with `openssl ocsp` over
 * DIR/index.txt (the signer's CA signs), and GET /sign/seal-status with a
 * valid seal: what `hall-stamp sign` asks before it stamps.
 */
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const http = require('node:http');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');

const CRC = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++)
        c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});

function chunk(type, data) {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    let c = 0xffffffff;
    for (const x of td)
        c = CRC[(c ^ x) & 0xff] ^ (c >>> 8);
    const head = Buffer.alloc(4), tail = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    tail.writeUInt32BE((c ^ 0xffffffff) >>> 0);
    return Buffer.concat([head, td, tail]);
}

function ring(size) {
    const rows = [];
    for (let y = 0; y < size; y++) {
        const row = Buffer.alloc(1 + size * 4);
        for (let x = 0; x < size; x++) {
            const d = Math.hypot(x - size / 2, y - size / 2);
            if ((d > size / 2 - 16 && d < size / 2 - 2) || d < 30)
                row.set([200, 20, 30, 255], 1 + x * 4);
        }
        rows.push(row);
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(size, 0);
    ihdr.writeUInt32BE(size, 4);
    ihdr[8] = 8;
    ihdr[9] = 6;
    return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr),
        chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

function pdf(pages, mb, objs = 0) {
    const side = Math.floor(Math.sqrt(mb * 1024 * 1024 / pages / 3));
    const parts = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
    let len = parts[0].length;
    const off = [];
    const obj = (n, head, stream = null) => {
        off[n] = len;
        const b = [Buffer.from(`${n} 0 obj\n${head}${stream ? '\nstream\n' : ''}`, 'latin1')];
        if (stream)
            b.push(stream, Buffer.from('\nendstream', 'latin1'));
        b.push(Buffer.from('\nendobj\n', 'latin1'));
        for (const x of b) {
            parts.push(x);
            len += x.length;
        }
    };
    const kids = [];
    for (let i = 0; i < pages; i++)
        kids.push(`${3 + 3 * i} 0 R`);
    const extra = 3 + 3 * pages; /* the array, then its items */
    obj(1, objs > 0 ? `<< /Type /Catalog /Pages 2 0 R /PieceInfo << /Bench << /Private ${extra} 0 R >> >> >>`
        : '<< /Type /Catalog /Pages 2 0 R >>');
    obj(2, `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} /MediaBox [0 0 595.28 841.89] >>`);
    for (let i = 0; i < pages; i++) {
        const p = 3 + 3 * i;
        const content = Buffer.from(`q 500 0 0 500 48 170 cm /Im0 Do Q`, 'latin1');
        obj(p, `<< /Type /Page /Parent 2 0 R /Resources << /XObject << /Im0 ${p + 2} 0 R >> >> /Contents ${p + 1} 0 R >>`);
        obj(p + 1, `<< /Length ${content.length} >>`, content);
        const img = crypto.randomBytes(side * side * 3);
        obj(p + 2, `<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${img.length} >>`, img);
    }
    if (objs > 0) {
        const refs = [];
        for (let i = 1; i <= objs; i++)
            refs.push(`${extra + i} 0 R`);
        obj(extra, `[${refs.join(' ')}]`);
        for (let i = 1; i <= objs; i++)
            obj(extra + i, `<< /N ${i} /S (piece ${i}) >>`);
    }
    const n = 3 + 3 * pages + (objs > 0 ? objs + 1 : 0);
    let x = `xref\n0 ${n}\n0000000000 65535 f\r\n`;
    for (let i = 1; i < n; i++)
        x += `${String(off[i]).padStart(10, '0')} 00000 n\r\n`;
    x += `trailer\n<< /Size ${n} /Root 1 0 R >>\nstartxref\n${len}\n%%EOF\n`;
    parts.push(Buffer.from(x, 'latin1'));
    return Buffer.concat(parts);
}

const [cmd, dir, a, b, c] = process.argv.slice(2);
if (cmd === 'make') {
    fs.writeFileSync(path.join(dir, 'seal.png'), ring(400));
    fs.writeFileSync(path.join(dir, 'doc.pdf'), pdf(Number(a), Number(b), Number(c || 0)));
} else if (cmd === 'serve') {
    http.createServer((req, res) => {
        const body = [];
        req.on('data', (c) => body.push(c));
        req.on('end', () => {
            if (req.url.startsWith('/sign/seal-status?es_id=')) {
                /* the seal's state, as the hall's register answers it */
                const es = decodeURIComponent(req.url.slice(24));
                res.writeHead(200, { 'Content-Type': 'application/json' });
                res.end(JSON.stringify({ ok: true, seal: { es_id: es, state: 'valid' } }));
                return;
            }
            const ocsp = req.url === '/ocsp';
            const q = path.join(dir, `q${process.hrtime.bigint()}.${ocsp ? 'req' : 'tsq'}`);
            fs.writeFileSync(q, Buffer.concat(body));
            /* the signer's status: good, signed by its CA (DIR/index.txt) */
            const r = ocsp
                ? spawnSync('openssl', ['ocsp', '-index', path.join(dir, 'index.txt'), '-CA',
                    path.join(dir, 'ca.crt'), '-rsigner', path.join(dir, 'ca.crt'), '-rkey',
                    path.join(dir, 'ca.key'), '-ndays', '1', '-reqin', q, '-respout', `${q}.out`])
                : spawnSync('openssl', ['ts', '-reply', '-queryfile', q, '-config', path.join(dir, 'ts.cnf')]);
            const out = ocsp && r.status === 0 ? fs.readFileSync(`${q}.out`) : r.stdout;
            fs.rmSync(q);
            fs.rmSync(`${q}.out`, { force: true });
            res.writeHead(r.status === 0 ? 200 : 500,
                { 'Content-Type': ocsp ? 'application/ocsp-response' : 'application/timestamp-reply' });
            res.end(out);
        });
    }).listen(Number(a), '127.0.0.1');
} else {
    console.error('usage: stamp-fixture.js make DIR PAGES MB [OBJS] | serve DIR PORT');
    process.exit(2);
}
