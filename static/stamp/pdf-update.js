/*
 * 在线盖章: the PDF side of a stamp (docs/internals/stamp.md §1).
 *
 *   readPdf(bytes)              the input read as core/pdf reads it
 *                               (pdf-read.js: its objects where the
 *                               cross-reference puts them, its pages,
 *                               catalog, form, trailer), refused as
 *                               hall-stamp refuses it → StampError
 *   writeUpdate(pdf, stamp)     the incremental update appended to the input's
 *                               bytes, /Contents reserved and zeroed
 *   fillSignature(out, cms)     /ByteRange and /Contents filled in place
 *
 * pdf-lib's objects hold what pdf-read.js read, and pdf-lib writes each
 * object the update writes again; its parser and its save() are not used
 * (the one reads in the file's order, the other would rewrite the whole
 * file and break any earlier signature): every byte after the input's
 * last is written by this file.
 */
import * as PL from './vendor/pdf-lib.js';
import { StampError } from './base.js';
import { userPoint, sealRect, sealMatrix, shownSize } from './place.js';
import { openPdf, PdfReadError, isInt, lastSectionMisplaced, redefined, namedTwice, lengthAmbiguous,
    objectText } from './pdf-read.js';

export const PDF_MSG = {
    damaged: 'PDF文件已损坏或不是PDF文件，无法盖章。请选择完整的PDF文件。',
    encrypted: 'PDF文件已加密（设有打开密码或权限密码），无法盖章。请先取消文档加密后再盖章。',
    noPages: 'PDF文件中没有页面，无法盖章。',
    page: '页码超出范围。',
    /* the same words as the 盖章工具's (core/stamp/stamp_pdf.c, stamp_raw.c) */
    xref: 'PDF文件的交叉引用表已损坏（对象的位置与文件内容不符），各阅读器会各自猜测其内容，' +
        '盖章后显示的可能与原文不同，因此不能盖章。请先用PDF阅读器“另存为”或qpdf修复后再盖章',
    unread: (what, num, gen, key) => `PDF文件中有无法完整读取的对象：${what}（对象${num} ${gen}）的${key}无法读取。` +
        '为免盖章后页面内容缺失，不能盖章，请先用PDF阅读器“另存为”后再盖章',
    size: (size, top) => `PDF文件已损坏：文件尾（trailer）的/Size为${size}，不大于文件中已使用的对象编号${top}，` +
        '盖章写入的新对象会与原有对象重号，因此不能盖章。请先用PDF阅读器“另存为”或qpdf修复后再盖章',
    syntax: 'PDF文件的结构不符合PDF规范（ISO 32000），无法可靠读取，盖章后将无法核验，因此不能盖章。' +
        '请先用PDF阅读器“另存为”后再盖章',
    /* the refusals of issue 71 §2, in the 盖章工具's words (core/stamp/stamp_pdf.c) */
    sizeMax: (size) => `PDF文件尾（trailer）的/Size为${size}，盖章写入的新对象编号将超过PDF规范（ISO 32000）` +
        `允许的最大对象编号${PDF_SIZE_MAX}，部分阅读器将打不开盖章后的文件或不显示印章，因此不能盖章`,
    sigs: (signed, fields) => `PDF文件中已有${signed}个签名（表单域${fields}个），再盖章将超过可核验的${SIGS_MAX}个签名` +
        `（${FIELDS_MAX}个表单域），盖章后的文件将无法核验，因此不能盖章`,
    redefined: (num) => `PDF文件中对象${num}在交叉引用表所列位置之外又定义了一次，按文件顺序读取的阅读器会读到` +
        '另一份内容，盖章后显示的可能与原文不同，因此不能盖章。请先用PDF阅读器“另存为”后再盖章',
    twice: 'PDF文件的交叉引用表中同一对象出现了两次，各阅读器会各取其一，盖章后显示的可能与原文不同，' +
        '因此不能盖章。请先用PDF阅读器“另存为”后再盖章',
    length: (num) => `PDF文件中对象${num}的数据流长度（/Length）与其结束标记（endstream）不符，各阅读器` +
        '会读出不同的内容，盖章后显示的可能与原文不同，因此不能盖章。请先用PDF阅读器“另存为”后再盖章',
    rotate: (page) => `第${page}页的旋转角度（/Rotate）不是90的整数倍，各阅读器会把页面和印章转到不同的位置，` +
        '因此不能盖章',
};

/* ISO 32000-1 Annex C: the largest object number a reader must take */
export const PDF_SIZE_MAX = 8388607;
/* the signatures and form fields the verifier reads in one document
 * (HALL_STAMP_SIGS_MAX, STAMP_FIELDS_MAX) */
export const SIGS_MAX = 64;
export const FIELDS_MAX = 20000;
/* the objects the updates of one stamp write at most, as the 盖章工具
 * counts them (STAMP_NEW_MAX: a 骑缝章's 3 a page, a /DSS's 64, 8 more):
 * a /Size within NEW_MAX of the limit is refused when the file is read */
const NEW_MAX = 3 * 300 + 64 + 8;

const { PDFName, PDFDict, PDFArray, PDFRef, PDFNumber, PDFHexString, PDFString, PDFNull } = PL;
const enc = new TextEncoder();

function ascii(s) {
    return enc.encode(s);
}

/* the bytes of one pdf-lib object as pdf-lib writes it (its strings are bytes) */
function objBytes(obj) {
    const out = new Uint8Array(obj.sizeInBytes());
    obj.copyBytesInto(out, 0);
    return out;
}

function indexOfBytes(hay, needle, from, to) {
    const end = Math.min(to === undefined ? hay.length : to, hay.length) - needle.length;
    outer: for (let i = from; i <= end; i++) {
        for (let j = 0; j < needle.length; j++)
            if (hay[i + j] !== needle[j])
                continue outer;
        return i;
    }
    return -1;
}

function damaged() {
    return new StampError('pdf', PDF_MSG.damaged);
}

/*
 * What the update writes again (written: the page, its /Annots array, the
 * form or the catalog) against the object's own text where the
 * cross-reference says it is: a dictionary keeps every key but skip's with
 * the same value (null values aside), an array every item.  pdf-lib read
 * the object from the same bytes, so this holds unless the file says two
 * things; then it is refused, never stamped partly (as the 盖章工具's
 * raw_kept, core/stamp/stamp_raw.c).
 */
function assertKept(pdf, ref, written, skip, what) {
    const e = pdf.xref.get(ref.objectNumber);
    if (!e || e.type !== 1)
        return; /* in an object stream: read from there */
    const raw = objectText(pdf.context, pdf.bytes, e.off, ref.objectNumber, ref.generationNumber);
    const lost = (key) => new StampError('pdf', PDF_MSG.unread(what, ref.objectNumber, ref.generationNumber, key));
    if (raw instanceof PDFArray) {
        const have = written.asArray().map(String);
        for (const v of raw.asArray())
            if (!have.includes(String(v)))
                throw lost('/Annots');
        return;
    }
    if (!(raw instanceof PDFDict) || !(written instanceof PDFDict))
        throw lost('?');
    for (const [k, v] of raw.entries()) {
        if (v === PDFNull)
            continue;
        if (skip.includes(k.asString())) {
            /* the array the stamp extends: every item still there */
            const w = written.get(k);
            if (v instanceof PDFArray && w instanceof PDFArray &&
                v.asArray().some((x) => !w.asArray().map(String).includes(String(x))))
                throw lost(k.asString());
            continue;
        }
        const w = written.get(k);
        if (w === undefined || String(w) !== String(v))
            throw lost(k.asString());
        /* a value the 盖章工具's writer would leave out (an object that
         * does not read): refused as it refuses it */
        if (pdf.doc && v instanceof PDFRef && pdf.doc.gone(v))
            throw lost(k.asString());
    }
}

/* a page's /MediaBox through /Parent (stamp_pdf.c's media_box: a node
 * whose /MediaBox is not an array of four is passed), [x1 y1 x2 y2] or null */
function mediaBox(doc, page) {
    let node = page;
    for (let depth = 0; depth < 64 && node instanceof PDFDict; depth++) {
        const mb = doc.key(node, 'MediaBox');
        if (mb instanceof PDFArray && mb.size() === 4) {
            const box = mb.asArray().map((v) => doc.resolve(v));
            return box.every((v) => v instanceof PDFNumber) ? box.map((v) => v.asNumber()) : null;
        }
        node = doc.key(node, 'Parent');
    }
    return null;
}

/* a page's /Rotate through /Parent, the first not null (stamp_pdf.c's
 * page_rotate): its value, 0 when none; NaN when it is not an integer
 * multiple of 90, which readers turn each their own way */
function rotateOf(doc, page) {
    let node = page;
    for (let depth = 0; depth < 64 && node instanceof PDFDict; depth++) {
        const r = doc.key(node, 'Rotate');
        if (r !== PDFNull)
            return isInt(r) && r.asNumber() % 90 === 0 ? r.asNumber() : NaN;
        node = doc.key(node, 'Parent');
    }
    return 0;
}

/* the pages (pdf-read.js's walk, core/pdf's), each with its /MediaBox and
 * /Rotate (0, 90, 180 or 270): a page without them, or not an object of
 * its own, or turned by other than a multiple of 90, is refused */
function pagesOf(doc) {
    const list = doc.pages();
    if (list === null)
        throw new StampError('pdf', PDF_MSG.syntax);
    return list.map((p, i) => {
        const box = mediaBox(doc, p.dict);
        if (!p.ref || !box || box.some((v) => !Number.isFinite(v)))
            throw damaged();
        const r = rotateOf(doc, p.dict);
        if (Number.isNaN(r))
            throw new StampError('pdf', PDF_MSG.rotate(i + 1));
        const [x1, y1, x2, y2] = box;
        return { ref: p.ref, dict: p.dict, rotate: ((r % 360) + 360) % 360, box: { x: Math.min(x1, x2),
            y: Math.min(y1, y2), width: Math.abs(x2 - x1), height: Math.abs(y2 - y1) } };
    });
}

/* the fields from /Fields down (stamp_pdf.c's stamp_fields_each): visit(f,
 * kids, isSig) of each, 1 to go into its /Kids; the fields seen */
function fieldsEach(doc, fields, visit) {
    let seen = 0;
    const each = (arr, inherited, depth) => {
        if (!(arr instanceof PDFArray) || depth > 16)
            return;
        for (let i = 0; i < arr.size() && seen < FIELDS_MAX; i++) {
            seen++;
            const f = doc.resolve(arr.get(i));
            if (!(f instanceof PDFDict))
                continue;
            const ft = doc.key(f, 'FT');
            const isSig = ft instanceof PDFName ? ft === PDFName.of('Sig') : inherited;
            const kids = doc.key(f, 'Kids');
            if (visit(f, kids, isSig) > 0)
                each(kids, isSig, depth + 1);
        }
    };
    each(fields, false, 0);
    return seen;
}

/* the form's signature fields as count_sig counts them (named 印章N+1
 * after), and as the verifier counts signatures (stamp_verify.c's
 * found_sig: /V a dictionary, or a reference that does not read), and
 * the fields it walks: { n, signed, seen } */
function countSigFields(doc, form) {
    const fields = doc.key(form instanceof PDFDict ? form : null, 'Fields');
    let n = 0, signed = 0;
    fieldsEach(doc, fields, (f, kids, isSig) => {
        const v = doc.key(f, 'V'), t = doc.key(f, 'T'), st = doc.key(f, 'Subtype');
        if (kids instanceof PDFArray && t !== undefined && t !== PDFNull && (st === undefined || st === PDFNull) &&
            !(isSig && v instanceof PDFDict))
            return 1;
        n += isSig ? 1 : 0;
        return 0;
    });
    const seen = fieldsEach(doc, fields, (f, kids, isSig) => {
        const vref = f.get(PDFName.of('V')), v = doc.resolve(vref);
        if (!isSig || (v === undefined && !(vref instanceof PDFRef)) || (v !== undefined && !(v instanceof PDFDict)))
            return kids instanceof PDFArray ? 1 : 0;
        signed++;
        return 0;
    });
    return { n, signed, seen };
}

/* core/pdf's refusal (pdf-read.js's PdfReadError) in the 盖章工具's terms
 * (stamp_pdf.c's stamp_doc_core_reads) */
function openRefused(bytes, e) {
    if (e.message === 'encrypted')
        return new StampError('pdf', PDF_MSG.encrypted);
    if (indexOfBytes(bytes, ascii('%PDF-'), 0, 1024) < 0 || e.message.startsWith('no startxref') ||
        e.message.includes('out of reach'))
        return damaged();
    if (lastSectionMisplaced(bytes))
        return new StampError('pdf', PDF_MSG.xref);
    return new StampError('pdf', PDF_MSG.syntax);
}

/*
 * The input read as core/pdf reads it (pdf-read.js: the cross-reference
 * from the last startxref back through /Prev, each object where its entry
 * says), refused as hall-stamp refuses it, and what the update needs: the
 * pages, the catalog, the form, the trailer's /Size /Root /Info /ID.  The
 * objects are pdf-lib's, in context (only those the cross-reference
 * lists, as they read there).
 */
export async function readPdf(input) {
    const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
    let doc;
    try {
        doc = openPdf(bytes);
    } catch (e) {
        if (e instanceof PdfReadError)
            throw openRefused(bytes, e);
        throw e;
    }
    if (doc.misplaced() > 0)
        throw new StampError('pdf', PDF_MSG.xref);
    /* a section naming an object twice: readers take either entry */
    if (namedTwice(doc) > 0)
        throw new StampError('pdf', PDF_MSG.twice);
    const pages = pagesOf(doc);
    if (pages.length === 0)
        throw new StampError('pdf', PDF_MSG.noPages);
    const t = doc.trailer;
    const sizeObj = t.get(PDFName.of('Size'));
    const size = isInt(sizeObj) ? sizeObj.asNumber() : 0;
    const rootRef = t.get(PDFName.of('Root'));
    const root = doc.key(t, 'Root');
    if (size <= 0 || !(rootRef instanceof PDFRef) || !(root instanceof PDFDict))
        throw damaged();
    /* the update's new objects are numbered from /Size: none may take a
     * number the file already uses (stamp_doc_read's rule), nor pass ISO
     * 32000's limit (Annex C: 8,388,607), over which readers drop them:
     * refused when it is nearer than the most a stamp writes, as the
     * 盖章工具 refuses it (closeUpdate holds each update's numbers to it) */
    const top = doc.top();
    if (top >= size)
        throw new StampError('pdf', PDF_MSG.size(size, top));
    if (size > PDF_SIZE_MAX + 1 - NEW_MAX)
        throw new StampError('pdf', PDF_MSG.sizeMax(size));
    /* an object in the file that the cross-reference does not place but
     * numbers as one it lists: readers that rebuild, or read in the file's
     * order, take it for that object, and the page would not show it */
    const again = redefined(doc);
    if (again > 0)
        throw new StampError('pdf', PDF_MSG.redefined(again));
    /* a stream whose /Length ends at an "endstream" that is not its own */
    const ambiguous = lengthAmbiguous(doc);
    if (ambiguous >= 0)
        throw new StampError('pdf', PDF_MSG.length(ambiguous));
    const context = doc.ctx;
    const xref = new Map();
    for (const [n, e] of doc.entries) {
        if (e.type === 0)
            continue;
        xref.set(n, e);
        const gen = e.type === 1 ? e.gen : 0;
        const o = doc.get(n, gen);
        if (o !== undefined && o !== PDFNull)
            context.assign(PDFRef.of(n, gen), o);
    }
    const idArr = doc.key(t, 'ID');
    let id = null;
    if (idArr instanceof PDFArray && idArr.size() === 2) {
        const first = doc.resolve(idArr.get(0));
        if (first instanceof PDFHexString || first instanceof PDFString)
            id = first;
    }
    const info = t.get(PDFName.of('Info'));
    const formRef = root.get(PDFName.of('AcroForm'));
    const form = doc.key(root, 'AcroForm');
    const sigs = countSigFields(doc, form);
    /* the verifier reads 64 signatures, 20,000 fields: the stamp would pass them */
    if (sigs.signed >= SIGS_MAX || sigs.seen >= FIELDS_MAX - 1)
        throw new StampError('pdf', PDF_MSG.sigs(sigs.signed, sigs.seen));
    return {
        bytes, doc, context, pages, size, rootRef, root, id, xref,
        info: info instanceof PDFRef ? info : null,
        xrefKind: doc.kind, prevOffset: doc.startxref,
        formRef: formRef instanceof PDFRef ? formRef : null,
        form: form instanceof PDFDict ? form : null,
        sigCount: sigs.n, signedCount: sigs.signed, fieldCount: sigs.seen,
    };
}

/* UTF-16BE with the byte-order mark, as a hex string */
export function pdfText(s) {
    let h = 'FEFF';
    for (let i = 0; i < s.length; i++)
        h += s.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0');
    return `<${h}>`;
}

/* a coordinate or size in points: two decimals, as hall-stamp's %.2f */
export function n2(v) {
    const t = v.toFixed(2);
    return t === '-0.00' ? '0.00' : t;
}

function pad2(v) {
    return String(v).padStart(2, '0');
}

/* D:YYYYMMDDHHmmSS+08'00' in Beijing time */
export function pdfDate(d) {
    const b = new Date(d.getTime() + 8 * 3600 * 1000);
    return `D:${b.getUTCFullYear()}${pad2(b.getUTCMonth() + 1)}${pad2(b.getUTCDate())}` +
        `${pad2(b.getUTCHours())}${pad2(b.getUTCMinutes())}${pad2(b.getUTCSeconds())}+08'00'`;
}

const MM = 72 / 25.4;
const BR_WIDTH = 10;

function hex(bytes) {
    let s = '';
    for (const b of bytes)
        s += b.toString(16).toUpperCase().padStart(2, '0');
    return s;
}

/* an incremental update being written after the bytes of pdf (readPdf) */
function updateWriter(pdf) {
    const w = { chunks: [], at: pdf.bytes.length, offsets: new Map() /* num -> [offset, gen] */ };
    w.push = (b) => {
        w.chunks.push(b);
        w.at += b.length;
    };
    w.begin = (num, gen = 0) => {
        w.offsets.set(num, [w.at, gen]);
        w.push(ascii(`${num} ${gen} obj\n`));
    };
    w.end = () => w.push(ascii('\nendobj\n'));
    w.object = (ref, obj) => {
        w.begin(ref.objectNumber, ref.generationNumber);
        w.push(objBytes(obj));
        w.end();
    };
    w.root = null; /* the catalog, when written again */
    const last = pdf.bytes[pdf.bytes.length - 1];
    if (last !== 0x0a && last !== 0x0d)
        w.push(ascii('\n'));
    return w;
}

/* a stream object: dict's text (without /Length) and its data */
function writeStream(w, num, dictText, data) {
    w.begin(num);
    w.push(ascii(`<< ${dictText}${dictText ? ' ' : ''}/Length ${data.length} >>\nstream\n`));
    w.push(data);
    w.push(ascii('\nendstream'));
    w.end();
}

/* the page (or its indirect /Annots) again with the widget wRef appended */
function appendAnnot(pdf, w, page, wRef) {
    const { context } = pdf;
    const annots = page.dict.get(PDFName.of('Annots'));
    if (annots instanceof PDFRef) {
        const arr = context.lookup(annots);
        const copy = arr instanceof PDFArray ? arr.clone(context) : context.obj([]);
        copy.push(wRef);
        assertKept(pdf, annots, copy, [], '页面的注释列表（Annots）');
        w.object(annots, copy);
        return 'annots';
    }
    const d = page.dict.clone(context);
    const copy = annots instanceof PDFArray ? annots.clone(context) : context.obj([]);
    copy.push(wRef);
    d.delete(PDFName.of('Annots')); /* /Annots last */
    d.set(PDFName.of('Annots'), copy);
    assertKept(pdf, page.ref, d, ['/Annots'], '页面对象');
    w.object(page.ref, d);
    return 'page';
}

/* the form with the field wRef appended: the AcroForm object again, or the
 * catalog again with it */
function appendField(pdf, w, wRef) {
    const { context } = pdf;
    const formWith = (form) => {
        const d = form ? form.clone(context) : context.obj({});
        const fields = context.lookup(d.get(PDFName.of('Fields')));
        const copy = fields instanceof PDFArray ? fields.clone(context) : context.obj([]);
        copy.push(wRef);
        /* /Fields (inline, also when it was indirect) then /SigFlags, last */
        d.delete(PDFName.of('Fields'));
        d.delete(PDFName.of('SigFlags'));
        d.set(PDFName.of('Fields'), copy);
        d.set(PDFName.of('SigFlags'), PDFNumber.of(3));
        return d;
    };
    if (pdf.formRef && pdf.form) {
        const form = formWith(pdf.form);
        assertKept(pdf, pdf.formRef, form, ['/Fields', '/SigFlags'], '文档的表单（AcroForm）');
        w.object(pdf.formRef, form);
        return 'form';
    }
    const cat = pdf.root.clone(context);
    cat.delete(PDFName.of('AcroForm')); /* /AcroForm last */
    cat.set(PDFName.of('AcroForm'), formWith(pdf.form));
    assertKept(pdf, pdf.rootRef, cat, ['/AcroForm'], '文档目录（Catalog）');
    w.object(pdf.rootRef, cat);
    w.root = cat;
    return 'catalog';
}

/* the cross-reference section of the input's kind, the trailer, and the
 * whole file: the input's bytes and the update's.  Returns { bytes, next }:
 * next is what readPdf would say of bytes, for an update after this one
 * (the /DSS's) without reading the file again; its parsed objects are the
 * input's, but for the catalog when this update wrote it */
function closeUpdate(pdf, w, lastNum) {
    /* the update's numbers (and a cross-reference stream's own) within ISO 32000's limit */
    if ((pdf.xrefKind === 'table' ? lastNum : Math.max(pdf.size, lastNum + 1)) > PDF_SIZE_MAX)
        throw new StampError('pdf', PDF_MSG.sizeMax(pdf.size));
    const newId = hex(crypto.getRandomValues(new Uint8Array(16)));
    /* the input's first element, in hex whatever its form; new bytes for both
     * when the input has none */
    const firstId = ascii(`<${pdf.id ? hex(pdf.id.asBytes()) : newId}>`);
    const root = `/Root ${pdf.rootRef.objectNumber} ${pdf.rootRef.generationNumber} R` +
        (pdf.info ? ` /Info ${pdf.info.objectNumber} ${pdf.info.generationNumber} R` : '');
    const ids = [ascii(' /ID ['), firstId, ascii(` <${newId}>]`)];
    const runs = (nums) => {
        const sorted = [...nums].sort((a, b) => a - b);
        const out = [];
        for (const k of sorted) {
            const r = out[out.length - 1];
            if (r && r[0] + r[1] === k)
                r[1]++;
            else
                out.push([k, 1]);
        }
        return out;
    };
    let xrefAt, size;
    if (pdf.xrefKind === 'table') {
        xrefAt = w.at;
        size = Math.max(pdf.size, lastNum + 1);
        let t = 'xref\n';
        for (const [first, count] of runs(w.offsets.keys())) {
            t += `${first} ${count}\n`;
            for (let k = first; k < first + count; k++) {
                const [off, gen] = w.offsets.get(k);
                t += `${String(off).padStart(10, '0')} ${String(gen).padStart(5, '0')} n\r\n`;
            }
        }
        w.push(ascii(`${t}trailer\n<< /Size ${size} ${root}`));
        for (const p of ids)
            w.push(p);
        w.push(ascii(` /Prev ${pdf.prevOffset} >>\n`));
    } else {
        const X = Math.max(pdf.size, lastNum + 1);
        xrefAt = w.at;
        size = X + 1;
        w.offsets.set(X, [xrefAt, 0]);
        const rs = runs(w.offsets.keys());
        let count = 0;
        for (const r of rs)
            count += r[1];
        const data = new Uint8Array(count * 7);
        let p = 0;
        for (const [first, n] of rs) {
            for (let k = first; k < first + n; k++) {
                const [off, gen] = w.offsets.get(k);
                data[p] = 1;
                data[p + 1] = (off >>> 24) & 0xff;
                data[p + 2] = (off >>> 16) & 0xff;
                data[p + 3] = (off >>> 8) & 0xff;
                data[p + 4] = off & 0xff;
                data[p + 5] = (gen >>> 8) & 0xff;
                data[p + 6] = gen & 0xff;
                p += 7;
            }
        }
        w.push(ascii(`${X} 0 obj\n<< /Type /XRef /W [1 4 2] /Index [${rs.map((r) => r.join(' ')).join(' ')}]` +
            ` /Prev ${pdf.prevOffset} ${root}`));
        for (const p of ids)
            w.push(p);
        w.push(ascii(` /Size ${size} /Length ${data.length} >>\nstream\n`));
        w.push(data);
        w.push(ascii('\nendstream\nendobj\n'));
    }
    w.push(ascii(`startxref\n${xrefAt}\n%%EOF\n`));

    const out = new Uint8Array(w.at);
    out.set(pdf.bytes, 0);
    let q = pdf.bytes.length;
    for (const c of w.chunks) {
        out.set(c, q);
        q += c.length;
    }
    const xref = new Map(pdf.xref);
    for (const [num, [off, gen]] of w.offsets)
        xref.set(num, { type: 1, off, gen });
    const next = { ...pdf, doc: null, bytes: out, size, prevOffset: xrefAt, xref, root: w.root || pdf.root,
        id: pdf.id || PDFHexString.of(newId) };
    return { bytes: out, next };
}

/* the signature dictionary's first part, /ByteRange and /Contents to be
 * filled in: { byteRangeAt, contentsStart, contentsEnd } */
function sigValue(w, head, contentsLength) {
    const brBlank = ' '.repeat(BR_WIDTH);
    w.push(ascii(`${head} /ByteRange [0 `));
    const byteRangeAt = w.at;
    w.push(ascii(`${brBlank} ${brBlank} ${brBlank} ] /Contents `));
    const contentsStart = w.at;
    w.push(ascii(`<${'0'.repeat(contentsLength)}>`));
    return { byteRangeAt, contentsStart, contentsEnd: w.at };
}

/* S: the signature value, /ByteRange and /Contents to be filled in */
function sigObject(u, S, stamp) {
    u.begin(S);
    const at = sigValue(u, `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /${stamp.subFilter || 'ETSI.CAdES.detached'}`,
        stamp.contentsLength);
    u.push(ascii(` /M (${pdfDate(stamp.time)}) /Name ${pdfText(stamp.seal.name)}` +
        ` /Reason ${pdfText(`电子印章 ${stamp.seal.esId}`)} >>`));
    u.end();
    return at;
}

/* I and M: the seal's picture, RGB and its alpha */
function pictureObjects(u, I, M, img) {
    const image = (num, space, data, smask) => writeStream(u, num,
        `/Type /XObject /Subtype /Image /Width ${img.width} /Height ${img.height}` +
        ` /ColorSpace /${space} /BitsPerComponent 8 /Filter /FlateDecode${smask ? ` /SMask ${smask} 0 R` : ''}`,
        data);
    image(I, 'DeviceRGB', img.rgb, M);
    image(M, 'DeviceGray', img.alpha, 0);
}

/*
 * The update.  stamp: { pageIndex, xMm, yMm (the seal's centre, from the
 * page's top-left corner), seal (files.js openSeal), image: { width, height,
 * rgb, alpha (Flate-compressed rows) }, time (Date), contentsLength (hex
 * digits reserved), subFilter (GBT38540.SES_Signature for an SM2 stamp; else
 * ETSI.CAdES.detached) }.  Returns { bytes, contentsStart, contentsEnd,
 * byteRangeAt, rect, objects }.
 */
export function writeUpdate(pdf, stamp) {
    const page = pdf.pages[stamp.pageIndex];
    if (!page)
        throw new StampError('page', PDF_MSG.page);
    const w = stamp.seal.picture.widthMm * MM, h = stamp.seal.picture.heightMm * MM;
    const [cx, cy] = userPoint(page, stamp.xMm, stamp.yMm);
    const rect = sealRect(page, cx, cy, w, h);
    const S = pdf.size, W = S + 1, N = S + 2, I = S + 3, M = S + 4;
    const ref = (k) => `${k} 0 R`;
    const u = updateWriter(pdf);

    const at = sigObject(u, S, stamp);

    /* W: the field and its widget, merged */
    u.begin(W);
    u.push(ascii(`<< /Type /Annot /Subtype /Widget /FT /Sig /T ${pdfText(`印章${pdf.sigCount + 1}`)} /V ${ref(S)}` +
        ` /F 132 /P ${page.ref.objectNumber} ${page.ref.generationNumber} R` +
        ` /Rect [${rect.map(n2).join(' ')}] /AP << /N ${ref(N)} >> >>`));
    u.end();

    /* N: the appearance, the picture drawn over the whole box */
    writeStream(u, N, `/Type /XObject /Subtype /Form /BBox [0 0 ${n2(w)} ${n2(h)}]${sealMatrix(page)}` +
        ` /Resources << /XObject << /Im0 ${ref(I)} >> >>`, ascii(`q ${n2(w)} 0 0 ${n2(h)} 0 0 cm /Im0 Do Q`));

    pictureObjects(u, I, M, stamp.image);

    const wRef = PDFRef.of(W, 0);
    const rewritten = [appendAnnot(pdf, u, page, wRef), appendField(pdf, u, wRef)];
    const { bytes, next } = closeUpdate(pdf, u, M);
    return { bytes, next, ...at, rect, rewritten, objects: { S, W, N, I, M } };
}

/* pages a 骑缝章 spans at most (the 盖章工具's STAMP_QIFENG_PAGES) */
export const QIFENG_PAGES = 300;

/*
 * Where a 骑缝章's slices go (docs/internals/stamp.md §1c, as the 盖章工具's
 * core/stamp/stamp_qifeng.c places them), refused with the tool's words
 * when they cannot.  q: { edge ('right' or 'left'), first, last (1-based
 * pages; none: 1 and the last page), yMm (the slices' centre from the top of each page as shown; 0
 * or none: its middle), seal }.  Returns { n, w, h, sw (points), slices:
 * [{ pg, page, idx (the seal's idx-th slice from its left), xs, ys (its
 * centre, points from the top-left of the page as shown, /Rotate
 * applied), rect (its /Rect, user space) }] }: for the update and for the
 * page's preview.
 */
export function qifengPlan(pdf, q) {
    const npages = pdf.pages.length;
    const first = q.first || 1, last = q.last || npages;
    if (!(Number.isInteger(first) && Number.isInteger(last) && first >= 1 && last >= first && last <= npages))
        throw new StampError('qifeng', `骑缝章的页码范围${first}-${last}超出文档（该文档共${npages}页）`);
    const n = last - first + 1;
    if (n < 2)
        throw new StampError('qifeng', `骑缝章至少要跨两页（所选页码只有第${first}页）`);
    if (n > QIFENG_PAGES)
        throw new StampError('qifeng', `骑缝章最多跨${QIFENG_PAGES}页（所选${n}页）：请分段加盖`);
    const w = q.seal.picture.widthMm * MM, h = q.seal.picture.heightMm * MM, sw = w / n;
    const left = q.edge === 'left';
    const slices = [];
    const annots = new Map(); /* an indirect /Annots array's number -> the page that has it */
    for (let k = 0; k < n; k++) {
        const pg = first + k, page = pdf.pages[pg - 1];
        const a = page.dict.get(PDFName.of('Annots'));
        if (a instanceof PDFRef) {
            if (annots.has(a.objectNumber))
                throw new StampError('qifeng',
                    `第${annots.get(a.objectNumber)}页与第${pg}页共用同一个注释列表（Annots），无法加盖骑缝章`);
            annots.set(a.objectNumber, pg);
        }
        /* on the right edge page 1 holds the seal's left slice, as the
         * pages fan out to the right; on the left edge its right slice */
        const shown = shownSize(page);
        const ys = q.yMm > 0 ? q.yMm * MM : shown.heightMm * MM / 2;
        if (ys - h / 2 < 0 || ys + h / 2 > shown.heightMm * MM)
            throw new StampError('qifeng', `骑缝章超出第${pg}页的上下边界（该页高${Math.round(shown.heightMm)}毫米）`);
        const xs = left ? sw / 2 : shown.widthMm * MM - sw / 2;
        const [cx, cy] = userPoint(page, xs / MM, ys / MM);
        slices.push({ pg, page, idx: left ? n - 1 - k : k, xs, ys, rect: sealRect(page, cx, cy, sw, h) });
    }
    return { n, w, h, sw, slices };
}

/*
 * The 骑缝章's update (docs/internals/stamp.md §1c; the same objects as
 * core/stamp/stamp_qifeng.c writes): one signature S whose field F has a
 * widget on the chosen edge of each page first..last, each showing its
 * slice of the seal.  stamp: qifengPlan's q with writeUpdate's image,
 * time, contentsLength, subFilter.  Returns what writeUpdate returns,
 * rects (each slice's /Rect) for rect.
 */
export function writeQifeng(pdf, stamp) {
    const { n, w, h, sw, slices } = qifengPlan(pdf, stamp);
    const S = pdf.size, F = S + 1, I = S + 2, M = S + 3;
    const u = updateWriter(pdf);
    const at = sigObject(u, S, stamp);

    /* F: the field, its /Kids the widgets Wk (from F + 3, two numbers each);
     * then the picture, once */
    const W = (k) => F + 3 + 2 * k;
    u.begin(F);
    u.push(ascii(`<< /FT /Sig /T ${pdfText(`印章${pdf.sigCount + 1}`)} /V ${S} 0 R` +
        ` /Kids [${slices.map((x, k) => `${W(k)} 0 R`).join(' ')}] >>`));
    u.end();
    pictureObjects(u, I, M, stamp.image);

    const rewritten = [];
    for (const [k, { page, idx, rect }] of slices.entries()) {
        u.begin(W(k));
        u.push(ascii(`<< /Type /Annot /Subtype /Widget /Parent ${F} 0 R /V ${S} 0 R /F 132` +
            ` /P ${page.ref.objectNumber} ${page.ref.generationNumber} R /Rect [${rect.map(n2).join(' ')}]` +
            ` /AP << /N ${W(k) + 1} 0 R >> >>`));
        u.end();
        /* the whole picture, its slice idx at the origin: the /BBox cuts it;
         * on a turned page the /Matrix turns it back upright, as a stamp's */
        writeStream(u, W(k) + 1, `/Type /XObject /Subtype /Form /BBox [0 0 ${n2(sw)} ${n2(h)}]${sealMatrix(page)}` +
            ` /Resources << /XObject << /Im0 ${I} 0 R >> >>`,
        ascii(`q ${n2(w)} 0 0 ${n2(h)} ${n2(-idx * sw)} 0 cm /Im0 Do Q`));
        rewritten.push(appendAnnot(pdf, u, page, PDFRef.of(W(k), 0)));
    }
    rewritten.push(appendField(pdf, u, PDFRef.of(F, 0)));
    const { bytes, next } = closeUpdate(pdf, u, W(n - 1) + 1);
    const rects = slices.map((x) => x.rect);
    return { bytes, next, ...at, rect: rects[0], rects, rewritten, objects: { S, F, I, M } };
}

/*
 * A document timestamp (PAdES B-LTA, ETSI EN 319 142-1 5.4): a signature
 * field of its own, invisible (an empty /Rect on the first page), whose
 * value is /Type /DocTimeStamp /SubFilter /ETSI.RFC3161 and whose /Contents
 * is to hold an RFC 3161 TimeStampToken over the /ByteRange.  Returns what
 * writeUpdate returns (fillByteRange, signedBytes, fillContents apply).
 */
export function writeDocTimeStamp(pdf, contentsLength) {
    const page = pdf.pages[0];
    const S = pdf.size, W = S + 1;
    const u = updateWriter(pdf);
    u.begin(S);
    const at = sigValue(u, '<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161',
        contentsLength);
    u.push(ascii(' >>'));
    u.end();
    u.begin(W);
    u.push(ascii(`<< /Type /Annot /Subtype /Widget /FT /Sig /T ${pdfText(`文档时间戳${pdf.sigCount + 1}`)} /V ${S} 0 R` +
        ` /F 132 /P ${page.ref.objectNumber} ${page.ref.generationNumber} R /Rect [0 0 0 0] >>`));
    u.end();
    const wRef = PDFRef.of(W, 0);
    const rewritten = [appendAnnot(pdf, u, page, wRef), appendField(pdf, u, wRef)];
    const { bytes, next } = closeUpdate(pdf, u, W);
    return { bytes, next, ...at, rewritten, objects: { S, W } };
}

/* the items of a /DSS array (or of a /VRI entry's), references kept */
function dssItems(context, v) {
    const a = context.lookup(v);
    return a instanceof PDFArray ? a.asArray().filter((x) => x instanceof PDFRef) : [];
}

/*
 * The /DSS (PAdES B-LT; ISO 32000-2 12.8.4.3) in an update of its own after
 * the signature's: a stream for each certificate, OCSP answer and CRL
 * (their DER), /Certs /OCSPs /CRLs listing them with what an earlier /DSS
 * listed, and /VRI: for each signature given (its /Contents' bytes, SHA-1
 * in upper-case hex), the same items.  ev: { certs, ocsps, crls (arrays
 * of Uint8Array), sigs: [{ contents (Uint8Array), vriKey }] }.  The catalog
 * is written again with /DSS, every other key kept.
 */
export function writeDss(pdf, ev) {
    const { context } = pdf;
    const u = updateWriter(pdf);
    let num = pdf.size;
    const old = context.lookup(pdf.root.get(PDFName.of('DSS')));
    const oldDss = old instanceof PDFDict ? old : null;
    const lists = {};
    for (const [key, items] of [['Certs', ev.certs], ['OCSPs', ev.ocsps], ['CRLs', ev.crls]]) {
        const refs = [];
        for (const der of items) {
            const n = num++;
            writeStream(u, n, '', der);
            refs.push(`${n} 0 R`);
        }
        lists[key] = { fresh: refs, all: [...(oldDss ? dssItems(context, oldDss.get(PDFName.of(key))) : [])
            .map((r) => `${r.objectNumber} ${r.generationNumber} R`), ...refs] };
    }
    let vri = '';
    const oldVri = oldDss ? context.lookup(oldDss.get(PDFName.of('VRI'))) : null;
    const have = new Set();
    for (const s of ev.sigs) {
        have.add(s.vriKey);
        vri += ` /${s.vriKey} << /Type /VRI /Cert [${lists.Certs.fresh.join(' ')}]` +
            ` /OCSP [${lists.OCSPs.fresh.join(' ')}]${lists.CRLs.fresh.length ? ` /CRL [${lists.CRLs.fresh.join(' ')}]` : ''} >>`;
    }
    if (oldVri instanceof PDFDict)
        for (const [k, v] of oldVri.entries())
            if (!have.has(k.asString().slice(1)))
                vri += ` ${k.asString()} ${String(v)}`;
    const D = num++;
    u.begin(D);
    u.push(ascii(`<< /Type /DSS /Certs [${lists.Certs.all.join(' ')}] /OCSPs [${lists.OCSPs.all.join(' ')}]` +
        `${lists.CRLs.all.length ? ` /CRLs [${lists.CRLs.all.join(' ')}]` : ''} /VRI <<${vri} >> >>`));
    u.end();
    const cat = pdf.root.clone(context);
    cat.delete(PDFName.of('DSS'));
    cat.set(PDFName.of('DSS'), PDFRef.of(D, 0));
    assertKept(pdf, pdf.rootRef, cat, ['/DSS'], '文档目录（Catalog）');
    u.object(pdf.rootRef, cat);
    u.root = cat;
    const { bytes, next } = closeUpdate(pdf, u, D);
    return { bytes, next, dss: D };
}

/* /ByteRange's three numbers, fixed width, left-aligned as hall-stamp
 * writes them: [0 a          b          c          ] */
export function fillByteRange(u) {
    const a = u.contentsStart, b = u.contentsEnd, c = u.bytes.length - u.contentsEnd;
    const text = [a, b, c].map((v) => String(v).padEnd(BR_WIDTH, ' ')).join(' ');
    u.bytes.set(ascii(text), u.byteRangeAt);
    return [0, a, b, c];
}

/* the two signed ranges, one after the other */
export function signedBytes(u) {
    const out = new Uint8Array(u.bytes.length - (u.contentsEnd - u.contentsStart));
    out.set(u.bytes.subarray(0, u.contentsStart), 0);
    out.set(u.bytes.subarray(u.contentsEnd), u.contentsStart);
    return out;
}

/* the CMS's DER in /Contents' reserved hex, zeros after it */
export function fillContents(u, der) {
    const h = hex(der);
    if (h.length > u.contentsEnd - u.contentsStart - 2)
        throw new Error('signature larger than reserved');
    u.bytes.set(ascii(h), u.contentsStart + 1);
}
