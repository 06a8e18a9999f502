/*
 * 在线盖章, many files at once (docs/modules/seal.md, "在线盖章"): every PDF
 * chosen stamped in turn at the same page and point with the one seal,
 * medium and PIN (stamp.js's stampPdf, each with its own timestamp and
 * evidence), and the stamped files given back as one ZIP written here.
 *
 * The ZIP is "stored" (no compression): a PDF's streams are compressed
 * already, so deflating them again gains little, and the format without
 * compression is a few dozen lines (PKWARE APPNOTE 6.3: local headers, the
 * central directory, its end record, CRC-32) that need no library loaded
 * into the page; names are UTF-8 (general purpose flag bit 11), read as
 * such by Windows' Explorer, macOS and Info-ZIP.
 */

const CRC = (() => {
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
        let c = n;
        for (let k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        t[n] = c >>> 0;
    }
    return t;
})();

export function crc32(bytes) {
    let c = 0xffffffff;
    for (let i = 0; i < bytes.length; i++)
        c = CRC[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

/* a Date as MS-DOS time and date (local time, 2-second steps) */
function dosTime(d) {
    return {
        time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
        date: ((Math.max(d.getFullYear(), 1980) - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    };
}

const ZIP_MAX = 0xffffffff; /* no ZIP64: 4 GiB and 65,535 files at most */

/* entries [{ name, bytes }] → the bytes of a stored ZIP */
export function zipStored(entries, when = new Date()) {
    const enc = new TextEncoder();
    const { time, date } = dosTime(when);
    const locals = [];
    const centrals = [];
    let offset = 0;
    if (entries.length > 0xffff)
        throw new Error('zip: too many files');
    for (const e of entries) {
        const name = enc.encode(e.name);
        const crc = crc32(e.bytes);
        const size = e.bytes.length;
        const head = new DataView(new ArrayBuffer(30));
        head.setUint32(0, 0x04034b50, true);
        head.setUint16(4, 20, true); /* version needed: 2.0 */
        head.setUint16(6, 0x0800, true); /* the name is UTF-8 */
        head.setUint16(8, 0, true); /* stored */
        head.setUint16(10, time, true);
        head.setUint16(12, date, true);
        head.setUint32(14, crc, true);
        head.setUint32(18, size, true);
        head.setUint32(22, size, true);
        head.setUint16(26, name.length, true);
        head.setUint16(28, 0, true);
        const cd = new DataView(new ArrayBuffer(46));
        cd.setUint32(0, 0x02014b50, true);
        /* made by: Unix, 2.0 (MS-DOS's would have Info-ZIP read the name
         * as code page 437 despite bit 11); a file -rw-r--r-- */
        cd.setUint16(4, (3 << 8) | 20, true);
        cd.setUint16(6, 20, true);
        cd.setUint16(8, 0x0800, true);
        cd.setUint16(10, 0, true);
        cd.setUint16(12, time, true);
        cd.setUint16(14, date, true);
        cd.setUint32(16, crc, true);
        cd.setUint32(20, size, true);
        cd.setUint32(24, size, true);
        cd.setUint16(28, name.length, true);
        /* extra, comment, disk, internal attributes: 0 */
        cd.setUint32(38, (0o100644 << 16) >>> 0, true);
        cd.setUint32(42, offset, true);
        locals.push(new Uint8Array(head.buffer), name, e.bytes);
        centrals.push(new Uint8Array(cd.buffer), name);
        offset += 30 + name.length + size;
        if (offset > ZIP_MAX)
            throw new Error('zip: over 4 GiB');
    }
    const cdSize = centrals.reduce((n, b) => n + b.length, 0);
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true);
    end.setUint16(8, entries.length, true);
    end.setUint16(10, entries.length, true);
    end.setUint32(12, cdSize, true);
    end.setUint32(16, offset, true);
    const parts = [...locals, ...centrals, new Uint8Array(end.buffer)];
    const out = new Uint8Array(offset + cdSize + 22);
    let at = 0;
    for (const p of parts) {
        out.set(p, at);
        at += p.length;
    }
    return out;
}

/* "合同.pdf" → "合同-盖章.pdf", made unique among taken */
export function stampedName(name, taken) {
    const stem = name.replace(/\.pdf$/i, '') || 'document';
    let n = `${stem}-盖章.pdf`;
    for (let i = 2; taken.has(n); i++)
        n = `${stem}-盖章（${i}）.pdf`;
    taken.add(n);
    return n;
}

/* a refusal about what every file shares (the seal, the medium, the PIN):
 * the batch stops, as the next files would be refused alike */
const SHARED = new Set(['seseal', 'p12', 'pin', 'usbkey']);

/*
 * files: [File]; common: stampPdf's arguments but the PDF; L: the page's
 * libraries (readPdf, stampPdf); progress(i, n, name).  Returns
 * { results: [{ name, ok, outName, bytes, level, warning, error }], stop }
 * where stop is the shared refusal (an Error with .field) that ended it.
 */
export async function stampMany(files, common, L, progress = () => {}) {
    const results = [];
    const taken = new Set();
    for (let i = 0; i < files.length; i++) {
        const f = files[i];
        progress(i, files.length, f.name);
        const r = { name: f.name, ok: false };
        results.push(r);
        try {
            const bytes = new Uint8Array(await f.arrayBuffer());
            let pdfInfo;
            try {
                pdfInfo = await L.readPdf(bytes);
            } catch (e) {
                if (typeof e.field === 'string')
                    throw e;
                throw Object.assign(new Error('PDF文件已损坏或不是PDF文件，无法盖章。'), { field: 'pdf' });
            }
            const out = await L.stampPdf({ ...common, pdfInfo, documentName: f.name });
            Object.assign(r, { ok: true, bytes: out.bytes, level: out.level, warning: out.warning,
                outName: stampedName(f.name, taken) });
        } catch (e) {
            if (typeof e.field !== 'string')
                console.error(e);
            r.error = typeof e.field === 'string' ? e.message : '浏览器无法完成此文件的盖章。';
            if (typeof e.field === 'string' && SHARED.has(e.field))
                return { results, stop: e };
        }
    }
    return { results, stop: null };
}
