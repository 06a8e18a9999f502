/*
 * 在线盖章: the page's PDF reader (docs/internals/stamp.md §8, "One reader
 * in the page too"): core/pdf's reading (core/pdf/pdf_lex.c, pdf_obj.c,
 * pdf_doc.c, pdf_filter.c, pdf_page.c) written again in JavaScript, rule
 * for rule, so that the page reads a document as hall-stamp and the
 * verifier read it: the startxref in the KiB before the end, the
 * cross-reference sections from it back through /Prev (a table with its
 * /XRefStm, or a stream), each object's newest entry kept, and each object
 * read where its entry says (a stream's data ending where /Length says,
 * "endstream" after it) or from its object stream.  An object that no
 * entry lists is not read at all, whatever the file holds after it.
 * Nothing is repaired.  tests/integ/pdf_read_diff.test.js holds it equal to
 * core/pdf over every corpus (tests/pdf-dump.c prints core/pdf's side).
 *
 *   openPdf(bytes)  -> doc, or throws PdfReadError (err: core/pdf's words)
 *   doc.get(num, gen), doc.resolve(v), doc.key(dict, key)  as pdf_get ...:
 *       PDFNull when free or not listed; undefined when it does not read
 *   doc.entries     Map num -> { type (1 file, 2 object stream), gen, off, idx }
 *   doc.misplaced() pdf_misplaced; doc.top() pdf_top; doc.gone(v) pdf_write_gone
 *   doc.pages()     pdf_page_count's walk: [{ num, ref, dict }], or null
 *   doc.startxref   the last section's offset; doc.kind 'table' | 'stream'
 *   doc.trailer, doc.ctx (the pdf-lib context the objects are made in)
 *   lastSectionMisplaced(bytes)  stamp_pdf.c's check on a file that does not open
 *   redefined(doc)      pdf_redefined: "N G obj" outside every listed object
 *                       where no section puts it, N named by the cross-reference
 *   namedTwice(doc)     pdf_twice: numbers a section lists twice, not both free
 *   lengthAmbiguous(doc)  a stream whose /Length ends at an "endstream" that
 *                       is not its last: readers that scan find another end
 *
 * Objects are pdf-lib's (PDFDict, PDFArray, PDFRawStream ...), so that the
 * update (pdf-update.js) writes them back as it did; pdf-lib's own parser
 * is not used: it reads objects in the order of the file.
 */
import * as PL from './vendor/pdf-lib.js';

const { PDFName, PDFDict, PDFArray, PDFRef, PDFNumber, PDFHexString, PDFRawStream, PDFNull, PDFBool } = PL;

export class PdfReadError extends Error {}

/* limits (core/pdf/pdf_int.h) */
const DEPTH_MAX = 64;
const ITEMS_MAX = 1000000;
const XREF_MAX = 1000000;
const SECTIONS_MAX = 4096;
const READS_MAX = 200000;
const PAGES_MAX = 100000;
const DECODE_MAX = 268435456;
const FILTERS_MAX = 4;
const NUM_MAX = 2 ** 31 - 1;

/* ---- the lexer (pdf_lex.c, pdf_lex.h) ---- */

const REGULAR = 0, DELIM = 1, WHITE = 2;
const CLASS = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20])
    CLASS[c] = WHITE;
for (const c of '()<>[]{}/%')
    CLASS[c.charCodeAt(0)] = DELIM;

export const T = { END: 0, BAD: 1, UNTERMINATED: 2, INT: 3, REAL: 4, KEYWORD: 5, NAME: 6, STRING: 7, HEX: 8,
    DICT_OPEN: 9, DICT_CLOSE: 10, ARRAY_OPEN: 11, ARRAY_CLOSE: 12, BRACE_OPEN: 13, BRACE_CLOSE: 14 };
const TWO40 = 2 ** 40;

export function skip(p, at, end) {
    for (;;) {
        while (at < end && CLASS[p[at]] === WHITE)
            at++;
        if (at >= end || p[at] !== 0x25)
            return at;
        while (at < end && p[at] !== 0x0d && p[at] !== 0x0a)
            at++;
    }
}

function stringEnd(p, at, end) {
    let nest = 0;
    for (at++; at < end; at++) {
        if (p[at] === 0x5c)
            at++;
        else if (p[at] === 0x28)
            nest++;
        else if (p[at] === 0x29 && nest-- === 0)
            return at + 1;
    }
    return -1;
}

function hexEnd(p, at, end) {
    if (at + 1 >= end)
        return -1;
    for (let i = at + 1; i < end; i++)
        if (p[i] === 0x3e)
            return i + 1;
    return -1;
}

/* the token after white space and comments from at: { kind, a, b, ival };
 * the next one starts at b */
export function lex(p, at, end) {
    const i = skip(p, at, end);
    const t = { kind: T.END, a: i, b: i, ival: 0 };
    if (i >= end)
        return t;
    let e;
    const c = p[i];
    if (c === 0x28) {
        e = stringEnd(p, i, end);
        t.kind = e < 0 ? T.UNTERMINATED : T.STRING;
    } else if (c === 0x3c) {
        if (i + 1 < end && p[i + 1] === 0x3c) {
            e = i + 2;
            t.kind = T.DICT_OPEN;
        } else {
            e = hexEnd(p, i, end);
            t.kind = e < 0 ? T.UNTERMINATED : T.HEX;
        }
    } else if (c === 0x3e) {
        if (i + 1 < end && p[i + 1] === 0x3e) {
            e = i + 2;
            t.kind = T.DICT_CLOSE;
        } else {
            e = i + 1;
            t.kind = T.BAD;
        }
    } else if (c === 0x29) {
        e = i + 1;
        t.kind = T.BAD;
    } else if (c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d) {
        e = i + 1;
        t.kind = c === 0x5b ? T.ARRAY_OPEN : c === 0x5d ? T.ARRAY_CLOSE : c === 0x7b ? T.BRACE_OPEN : T.BRACE_CLOSE;
    } else if (c === 0x2f) {
        for (e = i + 1; e < end && CLASS[p[e]] === REGULAR; e++)
            ;
        t.kind = T.NAME;
    } else {
        let k = i, v = 0, digits = 0, dots = 0, other = false;
        if (p[k] === 0x2b || p[k] === 0x2d)
            k++;
        for (; k < end && CLASS[p[k]] === REGULAR; k++) {
            const d = p[k] - 0x30;
            if (d >= 0 && d <= 9) {
                digits++;
                v = v < TWO40 ? v * 10 + d : v;
            } else {
                dots += p[k] === 0x2e ? 1 : 0;
                other = other || p[k] !== 0x2e;
            }
        }
        e = k;
        t.ival = p[i] === 0x2d && v !== 0 ? -v : v;
        t.kind = other || digits === 0 || dots > 1 ? T.KEYWORD : dots === 0 ? T.INT : T.REAL;
    }
    t.b = e < 0 ? end : e;
    return t;
}

function isKeyword(p, t, word) {
    if (t.kind !== T.KEYWORD || t.b - t.a !== word.length)
        return false;
    for (let k = 0; k < word.length; k++)
        if (p[t.a + k] !== word.charCodeAt(k))
            return false;
    return true;
}

function unsigned(p, t) {
    return t.kind === T.INT && p[t.a] !== 0x2b && p[t.a] !== 0x2d;
}

function hexval(c) {
    return c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
}

/* a name token decoded (#xx), without its '/': latin1, a char a byte */
function nameText(p, a, b) {
    let s = '';
    for (a++; a < b; a++) {
        let c = p[a];
        if (c === 0x23 && a + 2 < b && hexval(p[a + 1]) >= 0 && hexval(p[a + 2]) >= 0) {
            c = hexval(p[a + 1]) << 4 | hexval(p[a + 2]);
            a += 2;
        }
        s += String.fromCharCode(c);
    }
    return s;
}

/* a literal string token decoded (§7.3.4.2) */
function stringBytes(p, a, b) {
    const out = [];
    for (let i = a + 1; i < b - 1; i++) {
        let c = p[i];
        if (c === 0x0d) {
            if (i + 1 < b - 1 && p[i + 1] === 0x0a)
                i++;
            out.push(0x0a);
            continue;
        }
        if (c !== 0x5c) {
            out.push(c);
            continue;
        }
        if (++i >= b - 1)
            break;
        c = p[i];
        if (c === 0x6e)
            out.push(0x0a);
        else if (c === 0x72)
            out.push(0x0d);
        else if (c === 0x74)
            out.push(0x09);
        else if (c === 0x62)
            out.push(0x08);
        else if (c === 0x66)
            out.push(0x0c);
        else if (c === 0x0d) {
            if (i + 1 < b - 1 && p[i + 1] === 0x0a)
                i++;
        } else if (c === 0x0a) {
            /* a line continued */
        } else if (c >= 0x30 && c <= 0x37) {
            let v = c - 0x30;
            for (let k = 1; k < 3 && i + 1 < b - 1 && p[i + 1] >= 0x30 && p[i + 1] <= 0x37; k++)
                v = v * 8 + (p[++i] - 0x30);
            out.push(v & 0xff);
        } else
            out.push(c);
    }
    return out;
}

/* hex digits of p[from, to) decoded, white space skipped, an odd last
 * digit followed by 0 (pdf_lex_hex_decode; pdf_filter.c's ahx stops at a
 * '>'): the bytes, or null when a byte is neither */
function hexDigits(p, from, to, stopAtGt) {
    const out = [];
    let hi = -1;
    for (let i = from; i < to && !(stopAtGt && p[i] === 0x3e); i++) {
        if (CLASS[p[i]] === WHITE)
            continue;
        const v = hexval(p[i]);
        if (v < 0)
            return null;
        if (hi < 0)
            hi = v;
        else {
            out.push(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        out.push(hi << 4);
    return out;
}

/* a hex string token [a, b) decoded, or null */
function hexBytes(p, a, b) {
    return hexDigits(p, a + 1, b - 1, false);
}

function hexOf(bytes) {
    let s = '';
    for (const x of bytes)
        s += (x < 16 ? '0' : '') + x.toString(16).toUpperCase();
    return s;
}

/* ---- one object's text (pdf_obj.c): pdf-lib objects ---- */

const realText = new TextDecoder('latin1');

/* the value that is not an array or a dictionary at token t: { v, at }, or null */
function scalar(p, t, end) {
    switch (t.kind) {
    case T.INT: {
        if (p[t.a] !== 0x2b && p[t.a] !== 0x2d && t.ival > 0 && t.ival < 2 ** 31) {
            const g = lex(p, t.b, end);
            if (unsigned(p, g) && g.ival <= 65535) {
                const r = lex(p, g.b, end);
                if (r.kind === T.KEYWORD && r.b - r.a === 1 && p[r.a] === 0x52)
                    return { v: PDFRef.of(t.ival, g.ival), at: r.b };
            }
        }
        const v = PDFNumber.of(t.ival);
        intTyped.add(v);
        return { v, at: t.b };
    }
    case T.REAL: {
        const n = Math.min(t.b - t.a, 63);
        return { v: PDFNumber.of(parseFloat(realText.decode(p.subarray(t.a, t.a + n)))), at: t.b };
    }
    case T.KEYWORD:
        if (isKeyword(p, t, 'null'))
            return { v: PDFNull, at: t.b };
        if (isKeyword(p, t, 'true'))
            return { v: PDFBool.True, at: t.b };
        if (isKeyword(p, t, 'false'))
            return { v: PDFBool.False, at: t.b };
        return null;
    case T.NAME:
        return { v: PDFName.of(nameText(p, t.a, t.b).replace(/#/g, '#23')), at: t.b };
    case T.STRING:
        return { v: PDFHexString.of(hexOf(stringBytes(p, t.a, t.b))), at: t.b };
    case T.HEX: {
        const bytes = hexBytes(p, t.a, t.b);
        return bytes ? { v: PDFHexString.of(hexOf(bytes)), at: t.b } : null;
    }
    default:
        return null;
    }
}

/* ---- stream data (pdf_filter.c) ---- */

/*
 * zlib's inflate (RFC 1950, RFC 1951) as pdf_filter.c calls it: a bad
 * header, a bad code, a distance too far back or a wrong Adler-32 is an
 * error (null); input that ends early keeps what it gave (Z_BUF_ERROR);
 * what follows the stream's end is not read.  More than max bytes: null.
 */
const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
    3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/* a canonical Huffman code from code lengths (RFC 1951 §3.2.2) as a
 * lookup table indexed by the next `bits` bits of input (deflate sends
 * codes from their first bit on, so each code's bits are reversed): each
 * entry the symbol << 4 | its length, 0 where no code begins; null when
 * the lengths over-subscribe (zlib: "invalid ... lengths set") or leave
 * the set incomplete and incompleteOk(count) says no */
function huffman(lengths, n, incompleteOk) {
    const count = new Uint16Array(16);
    for (let i = 0; i < n; i++)
        count[lengths[i]]++;
    count[0] = 0;
    let left = 1, bits = 0;
    for (let len = 1; len < 16; len++) {
        left = left * 2 - count[len];
        if (left < 0)
            return null;
        if (count[len] > 0)
            bits = len;
    }
    if (left > 0 && !incompleteOk(count))
        return null;
    const next = new Uint16Array(16);
    for (let len = 1, code = 0; len < 16; len++) {
        code = (code + count[len - 1]) << 1;
        next[len] = code;
    }
    const table = new Uint32Array(1 << bits);
    for (let i = 0; i < n; i++) {
        const len = lengths[i];
        if (len === 0)
            continue;
        let c = next[len]++, rev = 0;
        for (let k = 0; k < len; k++, c >>= 1)
            rev = rev << 1 | (c & 1);
        for (let k = rev; k < table.length; k += 1 << len)
            table[k] = i << 4 | len;
    }
    return { bits, table };
}

let fixed = null; /* the fixed codes (RFC 1951 §3.2.6), made once */

class Short extends Error {}
class Bad extends Error {}

export function inflate(data, max = DECODE_MAX) {
    let pos = 0, bitbuf = 0, bitcnt = 0;
    let out = new Uint8Array(Math.min(Math.max(1024, data.length * 4), max + 1)), n = 0;
    const put = (b) => {
        if (n === out.length) {
            if (n > max)
                throw new Bad();
            const o = new Uint8Array(Math.min(out.length * 2, max + 1));
            o.set(out);
            out = o;
        }
        out[n++] = b;
        if (n > max)
            throw new Bad();
    };
    const bits = (need) => {
        while (bitcnt < need) {
            if (pos >= data.length)
                throw new Short();
            bitbuf |= data[pos++] << bitcnt;
            bitcnt += 8;
        }
        const v = bitbuf & ((1 << need) - 1);
        bitbuf >>>= need;
        bitcnt -= need;
        return v;
    };
    /* to the next byte boundary: the bits left of the byte begun dropped,
     * whole bytes read ahead given back */
    const toByte = () => {
        pos -= bitcnt >> 3;
        bitbuf = 0;
        bitcnt = 0;
    };
    /* the next symbol of code h: from its table when bits enough are
     * there; at the input's end, Short when a code may still begin there */
    const decodeSym = (h) => {
        while (bitcnt < h.bits && pos < data.length) {
            bitbuf |= data[pos++] << bitcnt;
            bitcnt += 8;
        }
        const e = h.bits > 0 ? h.table[bitbuf & ((1 << h.bits) - 1)] : 0, len = e & 15;
        if (e !== 0 && len <= bitcnt) {
            bitbuf >>>= len;
            bitcnt -= len;
            return e >> 4;
        }
        if (bitcnt >= h.bits && h.bits > 0)
            throw new Bad();
        throw h.bits > 0 ? new Short() : new Bad();
    };
    try {
        if (data.length < 2)
            throw new Short();
        const cmf = data[0], flg = data[1];
        if (((cmf << 8) | flg) % 31 !== 0 || (cmf & 0x0f) !== 8 || (cmf >> 4) > 7 || (flg & 0x20))
            return null;
        pos = 2;
        let last = 0;
        while (!last) {
            last = bits(1);
            const type = bits(2);
            if (type === 0) {
                toByte();
                if (pos + 4 > data.length)
                    throw new Short();
                const len = data[pos] | data[pos + 1] << 8, nlen = data[pos + 2] | data[pos + 3] << 8;
                if (len !== (~nlen & 0xffff))
                    return null;
                pos += 4;
                for (let k = 0; k < len; k++) {
                    if (pos >= data.length)
                        throw new Short();
                    put(data[pos++]);
                }
                continue;
            }
            if (type === 3)
                return null;
            let lit, dist;
            if (type === 1) {
                if (!fixed) {
                    const l = new Uint8Array(288);
                    l.fill(8, 0, 144);
                    l.fill(9, 144, 256);
                    l.fill(7, 256, 280);
                    l.fill(8, 280, 288);
                    fixed = { lit: huffman(l, 288, () => true), dist: huffman(new Uint8Array(30).fill(5), 30, () => true) };
                }
                ({ lit, dist } = fixed);
            } else {
                const nlen = bits(5) + 257, ndist = bits(5) + 1, ncode = bits(4) + 4;
                if (nlen > 286 || ndist > 30)
                    return null;
                const cl = new Uint8Array(19);
                for (let k = 0; k < ncode; k++)
                    cl[CL_ORDER[k]] = bits(3);
                const clh = huffman(cl, 19, () => false);
                if (!clh)
                    return null;
                const lens = new Uint8Array(nlen + ndist);
                for (let k = 0; k < nlen + ndist;) {
                    const sym = decodeSym(clh);
                    if (sym < 16)
                        lens[k++] = sym;
                    else {
                        let rep, v = 0;
                        if (sym === 16) {
                            if (k === 0)
                                return null;
                            v = lens[k - 1];
                            rep = 3 + bits(2);
                        } else if (sym === 17)
                            rep = 3 + bits(3);
                        else
                            rep = 11 + bits(7);
                        if (k + rep > nlen + ndist)
                            return null;
                        while (rep--)
                            lens[k++] = v;
                    }
                }
                if (lens[256] === 0)
                    return null;
                /* an incomplete set is taken when its codes are one bit long
                 * at most (zlib's inflate_table: max 1, or no code) */
                const short = (count) => count.subarray(2).every((c) => c === 0);
                lit = huffman(lens.subarray(0, nlen), nlen, short);
                dist = huffman(lens.subarray(nlen), ndist, short);
                if (!lit || !dist)
                    return null;
            }
            for (;;) {
                const sym = decodeSym(lit);
                if (sym < 256)
                    put(sym);
                else if (sym === 256)
                    break;
                else {
                    const li = sym - 257;
                    if (li >= 29)
                        return null;
                    const len = LEN_BASE[li] + bits(LEN_EXTRA[li]);
                    const di = decodeSym(dist);
                    if (di >= 30)
                        return null;
                    const d = DIST_BASE[di] + bits(DIST_EXTRA[di]);
                    if (d > n)
                        return null;
                    for (let k = 0; k < len; k++)
                        put(out[n - d]);
                }
            }
        }
        /* the Adler-32 after the last block, on a byte boundary */
        toByte();
        if (pos + 4 > data.length)
            throw new Short();
        let a = 1, b = 0;
        for (let k = 0; k < n; k++) {
            a = (a + out[k]) % 65521;
            b = (b + a) % 65521;
        }
        const want = ((data[pos] << 24) | (data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3]) >>> 0;
        if (((b << 16) | a) >>> 0 !== want)
            return null;
    } catch (e) {
        if (e instanceof Bad)
            return null;
        if (!(e instanceof Short))
            throw e;
    }
    return out.subarray(0, n);
}

function intParm(parms, key, def) {
    const v = parms.get(PDFName.of(key));
    return v === undefined || v === PDFNull ? def : intTyped.has(v) ? v.asNumber() : -1;
}

function pngUnpredict(buf, colors, bpc, cols) {
    if (colors < 1 || colors > 32 || ![1, 2, 4, 8, 16].includes(bpc) || cols < 1 || cols > (1 << 24))
        return null;
    const bpp = Math.floor((colors * bpc + 7) / 8), rowlen = Math.floor((colors * bpc * cols + 7) / 8);
    const stride = rowlen + 1, rows = Math.floor(buf.length / stride);
    const o = new Uint8Array(rows * rowlen);
    for (let r = 0; r < rows; r++) {
        const tag = buf[r * stride], inAt = r * stride + 1, oAt = r * rowlen;
        for (let c = 0; c < rowlen; c++) {
            const a = c >= bpp ? o[oAt + c - bpp] : 0, b = r > 0 ? o[oAt - rowlen + c] : 0;
            const cc = r > 0 && c >= bpp ? o[oAt - rowlen + c - bpp] : 0;
            const v = buf[inAt + c];
            if (tag === 0)
                o[oAt + c] = v;
            else if (tag === 1)
                o[oAt + c] = v + a;
            else if (tag === 2)
                o[oAt + c] = v + b;
            else if (tag === 3)
                o[oAt + c] = v + ((a + b) >> 1);
            else if (tag === 4) {
                const pp = a + b - cc, pa = Math.abs(pp - a), pb = Math.abs(pp - b), pc = Math.abs(pp - cc);
                o[oAt + c] = v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : cc);
            } else
                return null;
        }
    }
    return o;
}

function ahx(data, max) {
    const o = hexDigits(data, 0, data.length, true);
    return o && o.length <= max ? Uint8Array.from(o) : null;
}

function a85(data, max) {
    const o = [];
    let v = 0, m = 0;
    for (let i = 0; i < data.length; i++) {
        const c = data[i];
        if (CLASS[c] === WHITE)
            continue;
        if (c === 0x7e)
            break;
        if (o.length + 4 > max)
            return null;
        if (c === 0x7a && m === 0) {
            o.push(0, 0, 0, 0);
            continue;
        }
        if (c < 0x21 || c > 0x75)
            return null;
        v = v * 85 + (c - 0x21);
        if (++m === 5) {
            if (v > 0xffffffff)
                return null;
            o.push(Math.floor(v / 2 ** 24) & 0xff, Math.floor(v / 2 ** 16) & 0xff, Math.floor(v / 256) & 0xff, v & 0xff);
            v = 0;
            m = 0;
        }
    }
    if (m === 1)
        return null;
    if (m > 1) {
        for (let j = m; j < 5; j++)
            v = v * 85 + 84;
        for (let b = 3; b > 4 - m; b--)
            o.push(Math.floor(v / 2 ** (8 * b)) & 0xff);
    }
    return o.length > max ? null : Uint8Array.from(o);
}

/* raw through the filters fs (PDFName) with their parameters ps (PDFDict,
 * values resolved, or null): the decoded bytes, or null */
function decode(raw, fs, ps, max) {
    let cur = raw;
    if (!(max > 0 && max <= DECODE_MAX))
        max = DECODE_MAX;
    if (fs.length === 0 && raw.length > max)
        return null;
    for (let i = 0; i < fs.length; i++) {
        const f = fs[i] instanceof PDFName ? fs[i].decodeText() : null;
        let o;
        try {
            if (f === 'FlateDecode' || f === 'Fl') {
                o = inflate(cur, max);
                if (ps[i] instanceof PDFDict) {
                    const pred = intParm(ps[i], 'Predictor', 1);
                    if (pred >= 10 && pred <= 15)
                        o = pngUnpredict(o, intParm(ps[i], 'Colors', 1), intParm(ps[i], 'BitsPerComponent', 8),
                            intParm(ps[i], 'Columns', 1));
                    else if (pred !== 1)
                        o = null;
                }
            } else if (f === 'ASCIIHexDecode' || f === 'AHx')
                o = ahx(cur, max);
            else if (f === 'ASCII85Decode' || f === 'A85')
                o = a85(cur, max);
            else
                o = null;
        } catch (e) {
            o = null;
        }
        if (!o)
            return null;
        cur = o;
    }
    return cur;
}

/* ---- one revision's objects (pdf_doc.c) ---- */

/* the startxref in the KiB before end: its offset, or -1 */
export function startxref(p, end) {
    const from = end > 1024 ? end - 1024 : 0;
    for (let i = end - 9; i >= from; i--)
        if (p[i] === 0x73 && p[i + 1] === 0x74 && realText.decode(p.subarray(i, i + 9)) === 'startxref') {
            const t = lex(p, i + 9, end);
            return unsigned(p, t) ? t.ival : -1;
        }
    return -1;
}

function dictInt(d, key, def) {
    const v = d.get(PDFName.of(key));
    if (v === undefined)
        return def;
    return v instanceof PDFNumber && intTyped.has(v) ? v.asNumber() : -2;
}

/* PDFNumbers read from an integer token (pdf-lib keeps no type) */
const intTyped = new WeakSet();

class Doc {
    constructor(p, end) {
        this.p = p;
        this.end = end;
        this.ctx = PL.PDFContext.create();
        this.entries = new Map();
        this.memo = new Map();
        this.vend = new Map(); /* num -> where its value's text ends (type 1, read) */
        this.reads = 0;
        this.ost = new Map();
        this.trailer = null;
        this.chain = []; /* the sections read, newest first: each { off, kind, e: [entries] } */
    }

    /* "N G obj" at at: { num, gen, at } past "obj", or null */
    head(at) {
        const { p, end } = this;
        const n = lex(p, at, end);
        if (!unsigned(p, n))
            return null;
        const g = lex(p, n.b, end);
        if (!unsigned(p, g))
            return null;
        const o = lex(p, g.b, end);
        return isKeyword(p, o, 'obj') ? { num: n.ival, gen: g.ival, at: o.b } : null;
    }

    value(at) {
        return parseObj(this, this.p, at, this.end);
    }

    /* the object at off (num -1: any), a stream's data bounded by /Length
     * and "endstream": a pdf-lib object, or null */
    readAt(off, num, gen, info = {}) {
        const { p, end } = this;
        if (off < 0 || off >= end || ++this.reads > READS_MAX)
            return null;
        const h = this.head(off);
        if (!h || (num >= 0 && (h.num !== num || h.gen !== gen)))
            return null;
        const r = this.value(h.at);
        /* as pdf_rinfo's ext: past the value, the token after a
         * dictionary, or "endstream"; vend: past the value (pdf_obj's b) */
        info.ext = info.vend = r ? r.at : -1;
        if (!r || !(r.v instanceof PDFDict))
            return r ? r.v : null;
        const s = lex(p, r.at, end);
        if (!isKeyword(p, s, 'stream')) {
            info.ext = s.b;
            return r.v;
        }
        let data = s.b;
        if (data < end && p[data] === 0x0d)
            data++;
        if (data < end && p[data] === 0x0a)
            data++;
        let len = r.v.get(PDFName.of('Length'));
        if (len instanceof PDFRef) {
            if (len.objectNumber === num)
                return null;
            len = this.resolve(len);
        }
        if (!(len instanceof PDFNumber) || !intTyped.has(len) || len.asNumber() < 0 || len.asNumber() > end - data)
            return null;
        const e = lex(p, data + len.asNumber(), end);
        if (!isKeyword(p, e, 'endstream'))
            return null;
        info.ext = e.b;
        const st = PDFRawStream.of(r.v, p.subarray(data, data + len.asNumber()));
        streamAt.set(st, data);
        return st;
    }

    /* stream s's data decoded through its /Filter, or null */
    streamData(s, max) {
        if (!(s instanceof PDFRawStream))
            return null;
        const filter = this.key(s.dict, 'Filter'), parms = this.key(s.dict, 'DecodeParms');
        if (filter === undefined || parms === undefined)
            return null;
        const fs = [], ps = [];
        const resolved = (x) => {
            const q = this.resolve(x);
            if (!(q instanceof PDFDict))
                return q === undefined ? null : q;
            const c = new Map();
            for (const [k, v] of q.entries()) {
                const w = this.resolve(v);
                c.set(k, w === undefined ? PDFNull : w);
            }
            return PDFDict.fromMapWithContext(c, this.ctx);
        };
        if (filter instanceof PDFArray) {
            if (filter.size() > FILTERS_MAX)
                return null;
            for (let i = 0; i < filter.size(); i++) {
                fs.push(this.resolve(filter.get(i)));
                ps.push(parms instanceof PDFArray && i < parms.size() ? resolved(parms.get(i)) : null);
            }
        } else if (filter !== PDFNull) {
            fs.push(filter);
            ps.push(resolved(parms));
        }
        return decode(s.contents, fs, ps, max);
    }

    objstm(num) {
        if (this.ost.has(num))
            return this.ost.get(num);
        const s = this.get(num, 0);
        let os = null;
        if (s instanceof PDFRawStream && s.dict.get(PDFName.of('Type')) === PDFName.of('ObjStm')) {
            const first = dictInt(s.dict, 'First', -1), count = dictInt(s.dict, 'N', -1);
            if (first >= 0 && count >= 0 && count <= XREF_MAX) {
                const data = this.streamData(s, 0);
                if (data && first <= data.length)
                    os = { data, first, count };
            }
        }
        /* core/pdf keeps 64 decoded; one that does not decode is asked again: the same answer */
        if (os)
            this.ost.set(num, os);
        return os;
    }

    readInStream(num, stm, idx) {
        const os = this.objstm(stm);
        if (!os || idx < 0 || idx >= os.count || ++this.reads > READS_MAX)
            return null;
        const q = os.data;
        let at = 0, a, b;
        for (let i = 0; i <= idx; i++) {
            a = lex(q, at, os.first);
            if (a.kind !== T.INT)
                return null;
            b = lex(q, a.b, os.first);
            if (b.kind !== T.INT)
                return null;
            at = b.b;
        }
        if (a.ival !== num || b.ival < 0)
            return null;
        const off = os.first + b.ival;
        if (off >= q.length)
            return null;
        const r = parseObj(this, q, off, q.length);
        return r ? r.v : null;
    }

    /* object num gen: PDFNull when free, not listed or of another
     * generation; undefined when its entry points at what does not read */
    get(num, gen) {
        if (num <= 0)
            return PDFNull;
        const x = this.entries.get(num);
        if (!x || x.type === 0 || (x.type === 1 && x.gen !== gen) || (x.type === 2 && gen !== 0))
            return PDFNull;
        if (this.memo.has(num)) {
            const o = this.memo.get(num);
            return o === BUSY ? undefined : o;
        }
        this.memo.set(num, BUSY);
        const info = {};
        const o = x.type === 1 ? this.readAt(x.off, num, gen, info) : this.readInStream(num, x.off, x.idx);
        if (x.type === 1)
            this.vend.set(num, info.vend);
        this.memo.set(num, o === null ? undefined : o);
        return o === null ? undefined : o;
    }

    resolve(o) {
        for (let hop = 0; o instanceof PDFRef; hop++) {
            if (hop >= 8)
                return undefined;
            o = this.get(o.objectNumber, o.generationNumber);
        }
        return o;
    }

    key(dict, key) {
        const d = dict instanceof PDFRawStream ? dict.dict : dict;
        const v = d instanceof PDFDict ? d.get(PDFName.of(key)) : undefined;
        return v === undefined ? PDFNull : this.resolve(v);
    }

    /* the cross-reference stream at off: { e, trailer } into sec */
    xrefStream(off, sec) {
        if (sec.nstm >= 2)
            return false;
        const h = this.head(off);
        if (!h)
            return false;
        const s = this.readAt(off, -1, -1);
        if (!(s instanceof PDFRawStream) || s.dict.get(PDFName.of('Type')) !== PDFName.of('XRef'))
            return false;
        const w = s.dict.get(PDFName.of('W'));
        if (!(w instanceof PDFArray) || w.size() !== 3)
            return false;
        const wv = [];
        for (let k = 0; k < 3; k++) {
            const x = w.get(k);
            if (!(x instanceof PDFNumber) || !intTyped.has(x) || x.asNumber() < 0 || x.asNumber() > 8)
                return false;
            wv.push(x.asNumber());
        }
        const row = wv[0] + wv[1] + wv[2];
        const buf = row === 0 ? null : this.streamData(s, 0);
        if (!buf)
            return false;
        sec.nstm++;
        const idx = s.dict.get(PDFName.of('Index'));
        const nidx = idx instanceof PDFArray ? idx.size() : 0;
        if (idx !== undefined && (!(idx instanceof PDFArray) || nidx % 2 !== 0))
            return false;
        let pos = 0;
        for (let k = 0; k === 0 || k < nidx; k += 2) {
            let first = 0, count = dictInt(s.dict, 'Size', -1);
            if (nidx > 0) {
                const a = idx.get(k), b = idx.get(k + 1);
                if (!(a instanceof PDFNumber) || !intTyped.has(a) || !(b instanceof PDFNumber) || !intTyped.has(b))
                    return false;
                first = a.asNumber();
                count = b.asNumber();
            }
            if (first < 0 || count < 0 || first + count >= NUM_MAX)
                return false;
            for (let i = 0; i < count; i++) {
                /* each field's value and its low 16 bits (a generation), exactly */
                const f = [wv[0] === 0 ? 1 : 0, 0, 0], lo = [f[0], 0, 0];
                if (pos + row > buf.length)
                    return false;
                for (let fi = 0; fi < 3; fi++)
                    if (wv[fi] > 0) {
                        f[fi] = 0;
                        lo[fi] = 0;
                        for (let b = 0; b < wv[fi]; b++) {
                            f[fi] = f[fi] * 256 + buf[pos];
                            lo[fi] = (lo[fi] * 256 + buf[pos++]) & 0xffff;
                        }
                    }
                if (f[0] === 2 && (f[1] >= 2 ** 31 || f[2] >= 2 ** 31))
                    return false;
                if (!sadd(sec, first + i, f[0] === 2 ? 0 : lo[2], f[0] > 2 ? XE_OTHER : f[0], f[0] === 0 ? 0 : f[1],
                    f[0] === 2 ? f[2] : 0))
                    return false;
            }
        }
        if (!sadd(sec, h.num, h.gen & 0xffff, XE_SELF, off, 0))
            return false;
        sec.trailer = s.dict;
        return true;
    }

    xrefTable(off, sec) {
        const { p, end } = this;
        let at = off + 4;
        for (;;) {
            const t = lex(p, at, end);
            if (isKeyword(p, t, 'trailer')) {
                at = t.b;
                break;
            }
            if (t.kind !== T.INT)
                return false;
            const c = lex(p, t.b, end);
            if (c.kind !== T.INT)
                return false;
            const first = t.ival, count = c.ival;
            at = c.b;
            if (first < 0 || count < 0 || first + count >= NUM_MAX)
                return false;
            for (let i = 0; i < count; i++) {
                const o = lex(p, at, end), g = lex(p, o.b, end), k = lex(p, g.b, end);
                at = k.b;
                if (o.kind !== T.INT || g.kind !== T.INT || k.kind !== T.KEYWORD || k.b - k.a !== 1 ||
                    (p[k.a] !== 0x6e && p[k.a] !== 0x66) || o.ival < 0 || g.ival < 0)
                    return false;
                const used = p[k.a] === 0x6e;
                if (!sadd(sec, first + i, g.ival & 0xffff, used ? 1 : 0, used ? o.ival : 0, 0))
                    return false;
            }
        }
        const tr = this.value(at);
        if (!tr || !(tr.v instanceof PDFDict))
            return false;
        const xs = tr.v.get(PDFName.of('XRefStm'));
        if (xs !== undefined) {
            if (!(xs instanceof PDFNumber) || !intTyped.has(xs) || xs.asNumber() < 0 || xs.asNumber() >= end)
                return false;
            const sub = { e: sec.e, nstm: sec.nstm, part: 1 };
            if (!this.xrefStream(xs.asNumber(), sub))
                return false;
            sec.nstm = sub.nstm;
        }
        sec.trailer = tr.v;
        return true;
    }

    /* the section at off: { e, trailer, prev, kind }, or null */
    section(off) {
        const { p, end } = this;
        const at = skip(p, off, end);
        const sec = { e: [], nstm: 0, trailer: null, prev: -1, part: 0, at };
        let ok;
        if (at + 4 <= end && p[at] === 0x78 && realText.decode(p.subarray(at, at + 4)) === 'xref') {
            sec.kind = 'table';
            ok = this.xrefTable(at, sec);
        } else {
            sec.kind = 'stream';
            sec.part = 1;
            ok = this.xrefStream(off, sec);
        }
        if (!ok)
            return null;
        sec.prev = dictInt(sec.trailer, 'Prev', -1);
        return sec.prev === -2 ? null : sec;
    }
}

const BUSY = Symbol('busy');
const XE_SELF = 3, XE_OTHER = 4;
/* a stream's data offset in the file */
const streamAt = new WeakMap();

function sadd(sec, num, gen, type, off, idx) {
    if (num < 0 || num >= NUM_MAX || sec.e.length >= XREF_MAX)
        return false;
    sec.e.push({ num, gen, type, off, idx, part: sec.part });
    return true;
}

function parseObj(doc, p, at, end) {
    return parse(doc.ctx, p, at, end, 0);
}

/* the value whose text starts at at (pdf_parse): { v (pdf-lib's), at (just
 * past it) }, or null when it is not one value */
export function parse(ctx, p, at, end, depth = 0) {
    if (depth > DEPTH_MAX)
        return null;
    const t = lex(p, at, end);
    if (t.kind !== T.ARRAY_OPEN && t.kind !== T.DICT_OPEN)
        return scalar(p, t, end);
    const dict = t.kind === T.DICT_OPEN;
    const close = dict ? T.DICT_CLOSE : T.ARRAY_CLOSE;
    const items = [];
    let here = t.b;
    for (;;) {
        const n = lex(p, here, end);
        if (n.kind === close) {
            here = n.b;
            break;
        }
        if (n.kind === T.END || items.length >= 2 * ITEMS_MAX)
            return null;
        if (dict && items.length % 2 === 0 && n.kind !== T.NAME)
            return null;
        const it = parse(ctx, p, here, end, depth + 1);
        if (!it)
            return null;
        items.push(it.v);
        here = it.at;
    }
    if (dict && items.length % 2 !== 0)
        return null;
    if (!dict) {
        const a = PDFArray.withContext(ctx);
        for (const x of items)
            a.push(x);
        return { v: a, at: here };
    }
    const d = PDFDict.withContext(ctx);
    for (let k = 0; k < items.length; k += 2) {
        d.delete(items[k]);
        d.set(items[k], items[k + 1]);
    }
    return { v: d, at: here };
}

/* the value of object num gen whose text is at off of bytes ("N G obj"
 * there), read alone, a stream's dictionary without its data; or null */
export function objectText(ctx, bytes, off, num, gen) {
    if (!headIn(bytes, bytes.length, off, num, gen))
        return null;
    const g = lex(bytes, lex(bytes, off, bytes.length).b, bytes.length);
    const r = parse(ctx, bytes, lex(bytes, g.b, bytes.length).b, bytes.length);
    return r ? r.v : null;
}

/* 1 when v was read from an integer token */
export function isInt(v) {
    return v instanceof PDFNumber && intTyped.has(v);
}

/* the document as the file's last revision shows it (pdf_open with end
 * the file's length) */
export function openPdf(bytes) {
    const p = bytes;
    const d = new Doc(p, p.length);
    const fail = (msg) => {
        const e = new PdfReadError(msg);
        e.doc = d;
        throw e;
    };
    let sx = startxref(p, d.end);
    if (sx < 0)
        fail(`no startxref before offset ${d.end}`);
    const offs = [];
    while (sx >= 0) {
        if (offs.includes(sx))
            fail(`the /Prev chain loops at ${sx}`);
        if (sx >= d.end || offs.length >= SECTIONS_MAX)
            fail(`cross-reference section at ${sx} out of reach`);
        offs.push(sx);
        const sec = d.section(sx);
        if (!sec || !sectionAdd(d, sec))
            fail(`cross-reference section at ${sx} unreadable`);
        if (d.trailer === null) {
            d.trailer = sec.trailer;
            d.startxref = sx;
            d.kind = sec.kind;
        }
        d.chain.push(sec);
        sx = sec.prev;
    }
    if (d.trailer.get(PDFName.of('Encrypt')) !== undefined) {
        const enc = d.key(d.trailer, 'Encrypt');
        if (enc !== PDFNull)
            fail(enc instanceof PDFDict ? 'encrypted' : '/Encrypt unreadable');
    }
    if (!(d.key(d.trailer, 'Root') instanceof PDFDict))
        fail('no catalog (/Root)');
    return d;
}

/* a section's entries, the first of a number kept: a table's in use, then
 * its /XRefStm's, then its free ones */
function sectionAdd(d, sec) {
    for (let pass = 0; pass < 2; pass++)
        for (const x of sec.e) {
            const late = x.part === 0 && x.type === 0;
            if (x.type === XE_SELF || x.type === XE_OTHER || late !== (pass === 1))
                continue;
            if (d.entries.has(x.num))
                continue;
            if (d.entries.size >= XREF_MAX)
                return false;
            d.entries.set(x.num, { type: x.type, gen: x.gen, off: x.off, idx: x.idx });
        }
    return true;
}

/* "N G obj" at off (signs allowed, as pdf_write.c's head_in reads) */
function headIn(p, end, off, num, gen) {
    if (off < 0 || off >= end)
        return false;
    const n = lex(p, off, end);
    if (n.kind !== T.INT || n.ival !== num)
        return false;
    const g = lex(p, n.b, end);
    if (g.kind !== T.INT || g.ival !== gen)
        return false;
    return isKeyword(p, lex(p, g.b, end), 'obj');
}

Doc.prototype.misplaced = function () {
    let n = 0;
    for (const [num, x] of this.entries)
        if (x.type === 1 && !headIn(this.p, this.end, x.off, num, x.gen))
            n++;
    return n;
};

Doc.prototype.top = function () {
    let top = 0;
    for (const [num, x] of this.entries)
        if (x.type !== 0 && num > top)
            top = num;
    return top;
};

/* what a writer of v loses (pdf_write.c's pdf_write_gone): null, a
 * reference to an object free, not listed, or that does not read, but a
 * stream whose "endstream" comes before the next object the
 * cross-reference places (viewers recover its length) */
Doc.prototype.gone = function (v) {
    if (v === undefined || v === PDFNull)
        return true;
    if (!(v instanceof PDFRef))
        return false;
    const num = v.objectNumber, gen = v.generationNumber;
    if (num <= 0 || num >= NUM_MAX || !this.entries.has(num))
        return true;
    const o = this.get(num, gen);
    if (o !== undefined)
        return o === PDFNull;
    const x = this.entries.get(num);
    if (x.type !== 1 || !headIn(this.p, this.end, x.off, num, gen))
        return true;
    let next = this.end;
    for (const y of this.entries.values())
        if (y.type === 1 && y.off > x.off && y.off < next)
            next = y.off;
    const s = indexOf(this.p, 'stream', x.off, next);
    return s < 0 || indexOf(this.p, 'endstream', s + 6, next) < 0;
};

function indexOf(p, word, from, to) {
    const w = [...word].map((c) => c.charCodeAt(0));
    outer: for (let i = from; i + w.length <= to; i++) {
        for (let j = 0; j < w.length; j++)
            if (p[i + j] !== w[j])
                continue outer;
        return i;
    }
    return -1;
}

/* the leaves of the page tree from /Root /Pages (pdf_page.c): [{ num (0
 * when direct), dict }], or null when it cannot be walked */
Doc.prototype.pages = function () {
    if (this.pageList !== undefined)
        return this.pageList;
    const out = [], seen = new Set();
    let nodes = 0;
    const walk = (ref, depth) => {
        const node = this.resolve(ref);
        const num = ref instanceof PDFRef ? ref.objectNumber : 0;
        if (!(node instanceof PDFDict) || depth > DEPTH_MAX || ++nodes > PAGES_MAX)
            return false;
        if (num > 0) {
            if (seen.has(num))
                return false;
            seen.add(num);
        }
        const kids = this.key(node, 'Kids');
        if (kids === undefined)
            return false;
        if (kids instanceof PDFArray) {
            for (let i = 0; i < kids.size(); i++)
                if (!walk(kids.get(i), depth + 1))
                    return false;
            return true;
        }
        if (depth === 0)
            return false;
        out.push({ num, dict: node, ref: ref instanceof PDFRef ? ref : null });
        return true;
    };
    const root = this.key(this.trailer, 'Root');
    this.pageList = root instanceof PDFDict && walk(root.get(PDFName.of('Pages')), 0) ? out : null;
    return this.pageList;
};

/* stamp_pdf.c's last_section_misplaced: the last section (read alone)
 * misplaces an object, for a file that does not open */
export function lastSectionMisplaced(bytes) {
    const d = new Doc(bytes, bytes.length);
    const sx = startxref(bytes, d.end);
    if (sx <= 0 || sx >= d.end)
        return false;
    const sec = d.section(sx);
    return !!sec && sec.e.some((x) => x.type === 1 && !headIn(bytes, d.end, x.off, x.num, x.gen));
}

/* "obj" at q of p[0, end) the keyword of an object's head "N G obj":
 * { num, at (where N begins) }, or null (pdf_doc.c's head_before) */
function headBefore(p, end, q) {
    let i = q - 1, from = 0;
    if (q + 3 < end && CLASS[p[q + 3]] === REGULAR)
        return null;
    for (let k = 0; k < 2; k++) { /* G, then N: white space before each */
        let white = 0, digits = 0;
        while (i >= 0 && CLASS[p[i]] === WHITE) {
            i--;
            white++;
        }
        while (i >= 0 && p[i] >= 0x30 && p[i] <= 0x39) {
            i--;
            digits++;
        }
        if (white === 0 || digits === 0 || digits > 10)
            return null;
        from = i + 1;
    }
    if (i >= 0 && CLASS[p[i]] === REGULAR)
        return null;
    let num = 0;
    for (let j = from; p[j] >= 0x30 && p[j] <= 0x39; j++)
        num = num * 10 + (p[j] - 0x30);
    return { num, at: from };
}

/*
 * An object "N G obj" in the file that no section lists where it lies,
 * outside every listed object's text (its stream's data included), while
 * the cross-reference names N: a reader that takes objects in the file's
 * order (pdf-lib, a repair) reads it instead of the one listed.  As
 * core/pdf's pdf_redefined: N, the first in the file; 0 none.
 */
export function redefined(doc) {
    const { p, end } = doc;
    const spans = [];
    for (const sec of doc.chain)
        for (const x of sec.e) {
            if (x.type !== 1)
                continue;
            const cur = doc.entries.get(x.num);
            let o, b;
            if (cur && cur.type === 1 && cur.off === x.off && cur.gen === x.gen) {
                /* the entry the document reads: its object as read */
                o = doc.get(x.num, x.gen);
                b = o !== undefined && o !== PDFNull ? doc.vend.get(x.num) : -1;
            } else {
                const info = {};
                o = doc.readAt(x.off, x.num, x.gen, info);
                b = info.ext;
            }
            if (o === null || o === undefined || o === PDFNull)
                b = -1;
            else if (o instanceof PDFRawStream && streamAt.has(o))
                b = Math.max(b, streamAt.get(o) + o.contents.length);
            spans.push({ a: x.off, b });
        }
    spans.sort((s1, s2) => s1.a - s2.a);
    for (let i = 0; i < spans.length; i++)
        if (spans[i].b < 0)
            for (let j = i + 1; spans[i].b < 0; j++)
                spans[i].b = j === spans.length ? end : spans[j].a > spans[i].a ? spans[j].a : -1;
    const reach = [];
    for (let i = 0; i < spans.length; i++)
        reach.push(i > 0 && reach[i - 1] > spans[i].b ? reach[i - 1] : spans[i].b);
    for (let q = indexOf(p, 'obj', 0, end); q >= 0; q = indexOf(p, 'obj', q + 3, end)) {
        const h = headBefore(p, end, q);
        if (!h || h.num <= 0 || h.num >= NUM_MAX)
            continue;
        let lo = 0, hi = spans.length;
        while (lo < hi) { /* the spans starting at or before it */
            const mid = (lo + hi) >> 1;
            if (spans[mid].a <= h.at)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0 && reach[lo - 1] > h.at)
            continue; /* inside a listed object */
        const x = doc.entries.get(h.num);
        if (x && x.type !== 0)
            return h.num;
    }
    return 0;
}

/*
 * The numbers one part of a section (a table, or a stream) lists twice,
 * not both free (a hybrid file's table and /XRefStm may each list one):
 * core/pdf takes the first entry, pyHanko the last, so readers differ on
 * the object.  As core/pdf's pdf_twice: their count over the chain.
 */
export function namedTwice(doc) {
    let n = 0;
    for (const sec of doc.chain) {
        const seen = [new Map(), new Map()];
        for (const x of sec.e) {
            if (x.type > 2)
                continue;
            const t = seen[x.part].get(x.num);
            if (t !== undefined && (t !== 0 || x.type !== 0))
                n++;
            seen[x.part].set(x.num, x.type);
        }
    }
    return n;
}

/*
 * A stream the document reads (its /Length ending at "endstream") that
 * other readers would end elsewhere (poppler, a rebuilding reader look
 * for the keyword): as the 盖章工具's stream_end_disagrees (stamp_pdf.c),
 * "endstream" inside its data, or no "endobj" after its "endstream"; and
 * another "endstream" before the next thing the cross-reference places
 * (an object, a section: of any revision), or such a thing inside its
 * data.  Returns the lowest such stream's number, or -1.
 */
export function lengthAmbiguous(doc) {
    const { p, end } = doc;
    const placed = [];
    for (const sec of doc.chain)
        for (const x of sec.e)
            if (x.type === 1 || x.type === XE_SELF)
                placed.push(x.off);
    for (const sec of doc.chain)
        placed.push(sec.at);
    placed.sort((a, b) => a - b);
    const after = (off) => { /* the first placed offset above off, or end */
        let lo = 0, hi = placed.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (placed[mid] <= off)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo < placed.length ? placed[lo] : end;
    };
    const nums = [...doc.entries.keys()].sort((a, b) => a - b);
    for (const num of nums) {
        const x = doc.entries.get(num);
        if (x.type !== 1)
            continue;
        const o = doc.get(num, x.gen);
        if (!(o instanceof PDFRawStream) || !streamAt.has(o))
            continue;
        const data = streamAt.get(o), dend = data + o.contents.length;
        if (indexOf(p, 'endstream', data, dend) >= 0 || after(data - 1) < dend)
            return num;
        const es = lex(p, dend, end); /* "endstream": pdf_stream_end checked it */
        if (!isKeyword(p, lex(p, es.b, end), 'endobj') || indexOf(p, 'endstream', es.b, after(x.off)) >= 0)
            return num;
    }
    return -1;
}
