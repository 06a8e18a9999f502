/*
 * 在线盖章: the seal's PNG read into RGB rows and alpha rows, PNG's own
 * values (docs/internals/stamp.md §4: 8 bits per sample, not interlaced,
 * grey, RGB, palette with tRNS, grey + alpha, RGBA; alpha not
 * premultiplied).  A canvas would hand back its premultiplied store, whose
 * colours at the seal's soft edges are rounded; this gives the pixels
 * hall-stamp writes.  The zlib stream is inflated by the browser's
 * DecompressionStream.
 */

const SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_PIXELS = 4096 * 4096;

function be32(b, i) {
    return ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
}

async function inflate(bytes) {
    const s = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Uint8Array(await new Response(s).arrayBuffer());
}

function paeth(a, b, c) {
    const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* → { width, height, rgb (w*h*3), alpha (w*h) }; throws on what it does not read */
export async function decodePng(png) {
    if (png.length < 8 || SIG.some((v, i) => png[i] !== v))
        throw new Error('not a PNG');
    let width = 0, height = 0, depth = 0, type = -1, interlace = 0;
    const pal = new Uint8Array(256 * 4).fill(255);
    const idat = [];
    for (let off = 8; off + 12 <= png.length;) {
        const len = be32(png, off);
        if (len > png.length - off - 12)
            throw new Error('chunk');
        const kind = String.fromCharCode(...png.subarray(off + 4, off + 8));
        const d = png.subarray(off + 8, off + 8 + len);
        if (kind === 'IHDR' && len >= 13) {
            width = be32(d, 0);
            height = be32(d, 4);
            depth = d[8];
            type = d[9];
            interlace = d[12];
        } else if (kind === 'PLTE') {
            for (let k = 0; k < 256 && k * 3 + 2 < len; k++) {
                pal[k * 4] = d[k * 3];
                pal[k * 4 + 1] = d[k * 3 + 1];
                pal[k * 4 + 2] = d[k * 3 + 2];
            }
        } else if (kind === 'tRNS' && type === 3) {
            for (let k = 0; k < len && k < 256; k++)
                pal[k * 4 + 3] = d[k];
        } else if (kind === 'IDAT') {
            idat.push(d);
        } else if (kind === 'IEND') {
            break;
        }
        off += 12 + len;
    }
    const bpp = { 0: 1, 3: 1, 4: 2, 2: 3, 6: 4 }[type];
    if (depth !== 8 || interlace !== 0 || !bpp || width <= 0 || height <= 0 || width * height > MAX_PIXELS ||
        idat.length === 0)
        throw new Error('unsupported PNG');
    const joined = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
    idat.reduce((at, c) => (joined.set(c, at), at + c.length), 0);
    const raw = await inflate(joined);
    const stride = width * bpp;
    if (raw.length !== (stride + 1) * height)
        throw new Error('IDAT size');
    const rgb = new Uint8Array(width * height * 3), alpha = new Uint8Array(width * height);
    let prev = new Uint8Array(stride), cur = new Uint8Array(stride);
    for (let y = 0; y < height; y++) {
        const line = y * (stride + 1), f = raw[line];
        for (let i = 0; i < stride; i++) {
            const a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
            let v = raw[line + 1 + i];
            if (f === 1)
                v += a;
            else if (f === 2)
                v += b;
            else if (f === 3)
                v += (a + b) >> 1;
            else if (f === 4)
                v += paeth(a, b, c);
            cur[i] = v & 0xff;
        }
        for (let x = 0; x < width; x++) {
            const o = (y * width + x) * 3, p = x * bpp;
            let r, g, bl, al;
            if (type === 0) {
                r = g = bl = cur[p];
                al = 255;
            } else if (type === 4) {
                r = g = bl = cur[p];
                al = cur[p + 1];
            } else if (type === 3) {
                r = pal[cur[p] * 4];
                g = pal[cur[p] * 4 + 1];
                bl = pal[cur[p] * 4 + 2];
                al = pal[cur[p] * 4 + 3];
            } else {
                r = cur[p];
                g = cur[p + 1];
                bl = cur[p + 2];
                al = type === 6 ? cur[p + 3] : 255;
            }
            rgb[o] = r;
            rgb[o + 1] = g;
            rgb[o + 2] = bl;
            alpha[y * width + x] = al;
        }
        [prev, cur] = [cur, prev];
    }
    return { width, height, rgb, alpha };
}
