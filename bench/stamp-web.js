'use strict';
/*
 * bench/stamp-web's work (run by bench/stamp-web, which sets the hall's
 * environment): a seal produced, a BENCH_PAGES-page PDF of about BENCH_MB
 * MB written, then BENCH_STAMPS stamps of it in one 在线盖章 page, each
 * timed (wall) and costed (CPU of every Chromium process, from /proc).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { launchChromium } = require('../tests/e2e/lib/browser');
const { producedSeal } = require('../tests/e2e/lib/stamp');

const HALL = process.env.HALL_URL;
const STAMPS = Number(process.env.BENCH_STAMPS || 10);
const PAGES = Number(process.env.BENCH_PAGES || 20);
const MB = Number(process.env.BENCH_MB || 5);
const TICK = 100; /* USER_HZ */

/* PAGES A4 pages, each with text and a grey noise image (incompressible) */
function benchPdf() {
    const side = Math.max(16, Math.floor(Math.sqrt((MB * 1e6) / PAGES)));
    const parts = [];
    const offs = [];
    let at = 0;
    const put = (b) => {
        const buf = Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1');
        parts.push(buf);
        at += buf.length;
    };
    const obj = (n, body, stream) => {
        offs[n] = at;
        put(`${n} 0 obj\n${body}\n`);
        if (stream) {
            put('stream\n');
            put(stream);
            put('\nendstream\n');
        }
        put('endobj\n');
    };
    put('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
    const kids = [];
    let n = 4;
    obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
    obj(3, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
    for (let p = 1; p <= PAGES; p++) {
        const img = crypto.randomBytes(side * side);
        obj(n, `<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray ` +
            `/BitsPerComponent 8 /Length ${img.length} >>`, img);
        const text = `BT /F1 20 Tf 72 770 Td (Bench contract, page ${p} of ${PAGES}) Tj ET\n` +
            `q 300 0 0 300 148 420 cm /Im0 Do Q\n`;
        obj(n + 1, `<< /Length ${Buffer.byteLength(text)} >>`, Buffer.from(text));
        obj(n + 2, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Contents ${n + 1} 0 R ` +
            `/Resources << /Font << /F1 3 0 R >> /XObject << /Im0 ${n} 0 R >> >> >>`);
        kids.push(n + 2);
        n += 3;
    }
    obj(2, `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${PAGES} >>`);
    const xref = at;
    let t = `xref\n0 ${n}\n0000000000 65535 f \n`;
    for (let i = 1; i < n; i++)
        t += `${String(offs[i]).padStart(10, '0')} 00000 n \n`;
    put(`${t}trailer\n<< /Size ${n} /Root 1 0 R /ID [<00112233445566778899AABBCCDDEEFF> ` +
        `<00112233445566778899AABBCCDDEEFF>] >>\nstartxref\n${xref}\n%%EOF\n`);
    return Buffer.concat(parts);
}

/* the descendants of this process (Chromium's processes) and their CPU ticks */
function chromiumTicks() {
    const parent = new Map(), ticks = new Map();
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d))
            continue;
        try {
            const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
            const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
            parent.set(Number(d), Number(f[1]));
            ticks.set(Number(d), Number(f[11]) + Number(f[12]));
        } catch (e) {
            /* gone meanwhile */
        }
    }
    let sum = 0;
    for (const [pid, t] of ticks) {
        for (let p = parent.get(pid); p; p = parent.get(p)) {
            if (p === process.pid) {
                sum += t;
                break;
            }
        }
    }
    return sum;
}

const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hall-bench-stamp-'));
    try {
        const holder = await producedSeal();
        const pdf = benchPdf();
        fs.writeFileSync(path.join(dir, 'bench.pdf'), pdf);
        fs.writeFileSync(path.join(dir, 'seal.seseal'), holder.seal);
        fs.writeFileSync(path.join(dir, 'medium.p12'), holder.p12);
        console.log(`input: ${PAGES} pages, ${(pdf.length / 1e6).toFixed(2)} MB; seal ${holder.esId}; ` +
            `${STAMPS} stamps`);
        const browser = await launchChromium();
        const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true,
            viewport: { width: 1200, height: 1000 } });
        const page = await context.newPage();
        await page.goto(`${HALL}/seal/stamp`);
        let t0 = Date.now(), c0 = chromiumTicks();
        await page.locator('#stamp-pdf').setInputFiles(path.join(dir, 'bench.pdf'));
        await page.locator('#stamp-pages').filter({ hasText: /共 \d+ 页/ }).waitFor({ timeout: 120000 });
        await page.locator('#stamp-preview').waitFor();
        console.log(`open (read the PDF, render page 1): ${Date.now() - t0} ms wall, ` +
            `${((chromiumTicks() - c0) * 1000) / TICK} ms CPU`);
        await page.locator('#stamp-seseal').setInputFiles(path.join(dir, 'seal.seseal'));
        await page.locator('#stamp-p12').setInputFiles(path.join(dir, 'medium.p12'));
        await page.locator('#stamp-pin').fill(holder.pin);
        await page.locator('#stamp-x').fill('150');
        await page.locator('#stamp-y').fill('240');

        const wall = [], cpu = [];
        let size = 0;
        for (let i = 0; i < STAMPS; i++) {
            t0 = Date.now();
            c0 = chromiumTicks();
            await page.locator('#stamp-go').click();
            await page.locator('#stamp-done').waitFor({ timeout: 120000 });
            wall.push(Date.now() - t0);
            cpu.push(((chromiumTicks() - c0) * 1000) / TICK);
            if (i === 0) {
                const [dl] = await Promise.all([page.waitForEvent('download'),
                    page.locator('#stamp-download').click()]);
                size = fs.statSync(await dl.path()).size;
            }
            /* the next 盖章 starts from the same input */
            await page.locator('#stamp-x').fill(String(150 - (i % 2)));
        }
        /* the PKCS#12 opening alone (files.js openMedium), same page */
        const t = await page.evaluate(async ({ seal, p12, pin, n }) => {
            const files = await import('/static/stamp/files.js');
            const s = files.openSeal(Uint8Array.from(atob(seal), (ch) => ch.charCodeAt(0)));
            const m = Uint8Array.from(atob(p12), (ch) => ch.charCodeAt(0));
            const out = [];
            for (let i = 0; i < n; i++) {
                const a = performance.now();
                await files.openMedium(m, pin, s);
                out.push(performance.now() - a);
            }
            return out;
        }, { seal: holder.seal.toString('base64'), p12: holder.p12.toString('base64'), pin: holder.pin, n: 3 });
        const c1 = chromiumTicks();
        await page.evaluate(async ({ seal, p12, pin }) => {
            const files = await import('/static/stamp/files.js');
            const s = files.openSeal(Uint8Array.from(atob(seal), (ch) => ch.charCodeAt(0)));
            await files.openMedium(Uint8Array.from(atob(p12), (ch) => ch.charCodeAt(0)), pin, s);
        }, { seal: holder.seal.toString('base64'), p12: holder.p12.toString('base64'), pin: holder.pin });
        const p12cpu = ((chromiumTicks() - c1) * 1000) / TICK;
        await browser.close();

        console.log(`output: ${(size / 1e6).toFixed(2)} MB (the update: ${((size - pdf.length) / 1e3).toFixed(0)} kB)`);
        console.log(`stamp (盖章 → the download link), ${STAMPS} times:`);
        console.log(`  wall  median ${median(wall)} ms  min ${Math.min(...wall)}  max ${Math.max(...wall)}`);
        console.log(`  CPU   median ${median(cpu)} ms  min ${Math.min(...cpu)}  max ${Math.max(...cpu)}` +
            `  (${(median(cpu) / (pdf.length / 1e6)).toFixed(0)} ms per MB of input)`);
        console.log(`  of which opening the PKCS#12 (3 times alone): wall median ${median(t).toFixed(0)} ms; ` +
            `CPU of one more ${p12cpu} ms`);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
})().catch((e) => {
    console.error(e);
    process.exit(1);
});
