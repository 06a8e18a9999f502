/*
 * 在线盖章: one stamp, made in the browser (docs/internals/stamp.md).
 *
 *   stampPdf({ pdf, p12, pin, seal, pageIndex, xMm, yMm, tsaUrl, evidenceUrl, checkUrl })
 *       or, a 骑缝章, with qifeng: { edge, first, last } instead of the place
 *       → { bytes (the stamped PDF), rect, time, esId, level ('B-LT', or
 *         'B-T' with warning when the evidence could not be had) }
 *   addDocTimestamp(bytes, tsaUrl) → { bytes, genTime }   PAdES B-LTA
 *
 * The PKCS#12 is opened and the key used here only (files.js, WebCrypto).
 * An SM2 medium's stamp is a GB/T 38540 SES_Signature: sm2.js, loaded for
 * it only (level 'GB/T 38540', no /DSS).
 *   mayStamp(seal, checkUrl) → { ok } or { ok: false, message }: the hall's
 *       verdict before a stamp (a revoked certificate, a cancelled seal)
 *
 * The requests made: GET checkUrl?es_id=&serial= before the PIN is used
 * (stampPdf refuses what the hall's rule refuses), POST tsaUrl with a TimeStampReq holding the SHA-256 of
 * the signature value (of the /ByteRange, for a document timestamp), and
 * GET evidenceUrl?serial= with the signer certificate's serial (the chain
 * and an OCSP answer for the /DSS, PAdES B-LT): never the document.
 *
 * The CMS is written by the small DER writer below rather than by pkijs'
 * SignedData: the seal's DER and the timestamp token go in byte for byte
 * (asn1js encodes again what it parsed, e.g. a GeneralizedTime's fraction),
 * and the signed attributes' SET is sorted as DER asks.  pkijs and asn1js
 * read the certificates, the PKCS#12 and the TSA's answer, and write the
 * TimeStampReq.
 */
import * as pkijs from './vendor/pkijs.js';
import { StampError, openSeal, openMedium, equalBytes } from './files.js';
import { readPdf, writeUpdate, writeQifeng, qifengPlan, writeDocTimeStamp, writeDss, fillByteRange, signedBytes, fillContents }
    from './pdf-update.js';
import { decodePng } from './png.js';
import { shownSize } from './place.js';

const { asn1js } = pkijs;

export const STAMP_MSG = {
    tsaDown: '时间戳服务暂时无法访问，未生成盖章文件（盖章须有可信时间戳）。请检查网络后重试。',
    tsaRefused: '时间戳服务未能签发时间戳，未生成盖章文件，请稍后重试。',
    sealExpired: '该电子印章不在有效期内，不能盖章。',
    place: '请在页面预览上点击，选择印章位置。',
    outside: '印章位置超出页面范围，请在页面内重新选择。',
    evidence: '未能取得长期验证信息（证书链和吊销状态），盖章文件不含这些信息（B-T级）：' +
        '验证时须联网查询吊销状态。',
    ltaTsa: '时间戳服务暂时无法访问，未添加文档时间戳。请检查网络后重试。',
    /* the hall could not be asked: core/stamp/stamp_may.c's words for a
     * status that cannot be learnt (cert_unchecked), as hall-stamp says them */
    unchecked: (serial) => `无法查询签章人证书（序列号 ${serial}）的吊销状态：无法连接网上营业厅。未盖章；请联网后重试`,
    /* /sign/evidence said revoked without the rule's text (an older hall) */
    revoked: (serial) => `签章人证书（序列号 ${serial}）已吊销，不能再盖章。未盖章`,
};

/* ---- DER writer ---------------------------------------------------------------- */

function concat(parts) {
    let n = 0;
    for (const p of parts)
        n += p.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
        out.set(p, at);
        at += p.length;
    }
    return out;
}

export function tlv(tag, ...parts) {
    const body = concat(parts);
    const n = body.length;
    let head;
    if (n < 0x80) {
        head = [tag, n];
    } else {
        const l = [];
        for (let v = n; v > 0; v = Math.floor(v / 256))
            l.unshift(v & 0xff);
        head = [tag, 0x80 | l.length, ...l];
    }
    return concat([new Uint8Array(head), body]);
}

export const seq = (...p) => tlv(0x30, ...p);
const set = (...p) => tlv(0x31, ...p);
const octets = (b) => tlv(0x04, b);
const int = (v) => tlv(0x02, new Uint8Array([v]));

export function oid(dotted) {
    const arcs = dotted.split('.').map(Number);
    const out = [];
    for (const a of [40 * arcs[0] + arcs[1], ...arcs.slice(2)]) {
        const b = [a & 0x7f];
        for (let v = Math.floor(a / 128); v > 0; v = Math.floor(v / 128))
            b.unshift(0x80 | (v & 0x7f));
        out.push(...b);
    }
    return tlv(0x06, new Uint8Array(out));
}

function compareBytes(a, b) {
    for (let i = 0; i < Math.min(a.length, b.length); i++)
        if (a[i] !== b[i])
            return a[i] - b[i];
    return a.length - b.length;
}

export const OID = {
    data: '1.2.840.113549.1.7.1',
    signedData: '1.2.840.113549.1.7.2',
    sha256: '2.16.840.1.101.3.4.2.1',
    ecdsaSha256: '1.2.840.10045.4.3.2',
    contentType: '1.2.840.113549.1.9.3',
    messageDigest: '1.2.840.113549.1.9.4',
    signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
    seal: '2.999.41.2', /* the hall's arc (its TSA policy is 2.999.41.1) */
    timeStampToken: '1.2.840.113549.1.9.16.2.14',
};

const attribute = (type, value) => seq(oid(type), set(value));

async function sha256(b) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', b));
}

/* issuerAndSerialNumber from the certificate's own bytes */
function issuerAndSerial(certDer) {
    const cert = asn1js.fromBER(certDer).result;
    const tbs = cert.valueBlock.value[0].valueBlock.value;
    const i = tbs[0].idBlock.tagClass === 3 ? 1 : 0; /* [0] version present */
    return seq(new Uint8Array(tbs[i + 2].valueBeforeDecodeView), new Uint8Array(tbs[i].valueBeforeDecodeView));
}

/* the signed attributes' elements, sorted as a DER SET OF */
async function signedAttrs(digest, medium, seal) {
    const attrs = [
        attribute(OID.contentType, oid(OID.data)),
        attribute(OID.messageDigest, octets(digest)),
        attribute(OID.signingCertificateV2, seq(seq(seq(octets(await sha256(medium.signerDer)))))),
        attribute(OID.seal, seal.der),
    ];
    return attrs.sort(compareBytes);
}

function signedData({ attrs, signature, token, medium }) {
    const sha = seq(oid(OID.sha256));
    const signer = seq(
        int(1),
        issuerAndSerial(medium.signerDer),
        sha,
        tlv(0xa0, ...attrs),
        seq(oid(OID.ecdsaSha256)),
        octets(signature),
        tlv(0xa1, attribute(OID.timeStampToken, token)));
    const certs = [medium.signerDer, ...medium.chain.map((c) => c.der)];
    return seq(oid(OID.signedData), tlv(0xa0, seq(
        int(1),
        set(sha),
        seq(oid(OID.data)),
        tlv(0xa0, ...certs),
        set(signer))));
}

/* ---- the timestamp --------------------------------------------------------------- */

/* an RFC 3161 TimeStampToken (its DER) over the SHA-256 imprint, from tsaUrl */
export async function timestamp(tsaUrl, imprint) {
    const nonce = crypto.getRandomValues(new Uint8Array(8));
    nonce[0] = (nonce[0] & 0x7f) | 0x01;
    const req = new pkijs.TimeStampReq({
        version: 1,
        messageImprint: new pkijs.MessageImprint({
            /* with a NULL parameter, as OpenSSL (and hall-stamp) writes it */
            hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256,
                algorithmParams: new asn1js.Null() }),
            hashedMessage: new asn1js.OctetString({ valueHex: imprint }),
        }),
        nonce: new asn1js.Integer({ valueHex: nonce }),
        certReq: true,
    });
    let body;
    try {
        const r = await fetch(tsaUrl, { method: 'POST', credentials: 'omit', cache: 'no-store',
            headers: { 'Content-Type': 'application/timestamp-query' }, body: req.toSchema().toBER(false) });
        if (r.status !== 200 || !/^application\/timestamp-reply/.test(r.headers.get('Content-Type') || ''))
            throw new Error(`HTTP ${r.status}`);
        body = new Uint8Array(await r.arrayBuffer());
    } catch (e) {
        throw new StampError('tsa', STAMP_MSG.tsaDown);
    }
    try {
        const root = asn1js.fromBER(body);
        if (root.offset !== body.length)
            throw new Error('DER');
        const resp = new pkijs.TimeStampResp({ schema: root.result });
        if (resp.status.status !== 0 && resp.status.status !== 1)
            throw new Error(`status ${resp.status.status}`);
        const token = new Uint8Array(root.result.valueBlock.value[1].valueBeforeDecodeView);
        const sd = new pkijs.SignedData({ schema: resp.timeStampToken.content });
        const tst = pkijs.TSTInfo.fromBER(sd.encapContentInfo.eContent.getValue());
        if (!equalBytes(new Uint8Array(tst.messageImprint.hashedMessage.valueBlock.valueHexView), imprint) ||
            !equalBytes(new Uint8Array(tst.nonce.valueBlock.valueHexView), nonce))
            throw new Error('imprint or nonce');
        return { token, genTime: tst.genTime };
    } catch (e) {
        throw new StampError('tsa', STAMP_MSG.tsaRefused);
    }
}

/* ---- the seal's picture ------------------------------------------------------------ */

async function deflate(bytes) {
    const s = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate'));
    return new Uint8Array(await new Response(s).arrayBuffer());
}

/* the PNG's RGB and alpha rows (png.js: PNG's own values, as hall-stamp
 * reads them), each Flate-compressed */
export async function sealImage(seal) {
    let img;
    try {
        img = await decodePng(seal.picture.data);
    } catch (e) {
        throw new StampError('seseal', '电子印章文件中的印章图片无法读取。');
    }
    return { width: img.width, height: img.height, rgb: await deflate(img.rgb), alpha: await deflate(img.alpha) };
}

/* ---- the stamp -------------------------------------------------------------------- */

/* the page stamp's page and point: on the page as shown, its /Rotate applied */
function checkPlace(pdf, o) {
    const page = pdf.pages[o.pageIndex];
    if (!page)
        throw new StampError('page', '页码超出范围。');
    if (!(o.xMm >= 0 && o.yMm >= 0))
        throw new StampError('place', STAMP_MSG.place);
    const shown = shownSize(page); /* mm on the page as shown */
    if (o.xMm > shown.widthMm || o.yMm > shown.heightMm)
        throw new StampError('place', STAMP_MSG.outside);
}

/* the update of a page stamp or, o.qifeng ({ edge, first, last }), of a
 * 骑缝章 (docs/internals/stamp.md §1c); common: { seal, image, time,
 * contentsLength, subFilter } */
export function writeStamp(pdf, o, common) {
    return o.qifeng ? writeQifeng(pdf, { ...o.qifeng, ...common })
        : writeUpdate(pdf, { pageIndex: o.pageIndex, xMm: o.xMm, yMm: o.yMm, ...common });
}

export { openSeal, readPdf };

/* one CMS stamp (PAdES B-T) of o (a page stamp, or o.qifeng's 骑缝章) on
 * pdf: { u (writeUpdate's, filled), ts } */
async function signCms(pdf, o, { seal, medium, image, time }) {
    /* /Contents' room: twice the CMS's length with a placeholder token of
     * 8192 bytes of DER (an OCTET STRING of 8188) and a 72-byte signature,
     * rounded up to 1024 hex digits */
    const probe = signedData({ attrs: await signedAttrs(new Uint8Array(32), medium, seal),
        signature: new Uint8Array(72), token: octets(new Uint8Array(8188)), medium });
    const contentsLength = Math.ceil((2 * probe.length) / 1024) * 1024;

    const u = writeStamp(pdf, o, { seal, image, time, contentsLength });
    fillByteRange(u);
    const attrs = await signedAttrs(await sha256(signedBytes(u)), medium, seal);
    const raw = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, medium.key, set(...attrs));
    const signature = new Uint8Array(pkijs.createCMSECDSASignature(raw));
    const ts = await timestamp(o.tsaUrl, await sha256(signature));
    fillContents(u, signedData({ attrs, signature, token: ts.token, medium }));
    return { u, ts };
}

/* ---- may the seal stamp now ------------------------------------------------------ */

/*
 * The hall's verdict on the seal and each certificate it lists (GET
 * checkUrl?es_id=&serial=, modules/sign/sign_check.c): the rule hall-stamp
 * sign refuses by (core/stamp/stamp_may.c), with its words.  → { ok: true }
 * or { ok: false, message }: refused, or the hall could not be asked (a
 * status that cannot be learnt refuses, as the tool's does).  Sends the
 * esID and the serial only.
 */
export async function mayStamp(seal, checkUrl) {
    for (const der of seal.certs) {
        const serial = serialHex(der);
        let j = null;
        try {
            const r = await fetch(`${checkUrl}?es_id=${encodeURIComponent(seal.esId)}&serial=${serial}`,
                { credentials: 'omit', cache: 'no-store', headers: { Accept: 'application/json' } });
            j = await r.json();
        } catch (e) {
            j = null;
        }
        /* a question the hall refuses (a serial no CA of the hall writes):
         * its message; no answer at all: the status cannot be learnt */
        if (j && j.ok === false && typeof j.message === 'string' && j.field)
            return { ok: false, code: 'bad_request', message: `${j.message}。未盖章` };
        if (!j || !j.ok || !j.check)
            return { ok: false, code: 'cert_unchecked', message: STAMP_MSG.unchecked(serial) };
        if (j.check.verdict !== 'yes')
            return { ok: false, code: j.check.code, message: j.check.message };
    }
    return { ok: true };
}

export async function stampPdf(o) {
    const seal = o.sealInfo || openSeal(o.seal);
    const now = new Date();
    if (now < seal.validStart || now > seal.validEnd)
        throw new StampError('seseal', STAMP_MSG.sealExpired);
    /* a revoked certificate or a cancelled seal stamps nothing: asked before
     * the PIN opens the medium */
    if (o.checkUrl) {
        const may = await mayStamp(seal, o.checkUrl);
        if (!may.ok)
            throw new StampError('seseal', may.message);
    }
    const pdf = o.pdfInfo || await readPdf(o.pdf);
    /* a 骑缝章 alone, or (a page given too) followed by a page stamp, its
     * own signature, as hall-stamp sign --qifeng --page does; both checked
     * before the PIN is tried */
    const place = !o.qifeng || Number.isInteger(o.pageIndex);
    if (o.qifeng)
        qifengPlan(pdf, { ...o.qifeng, seal });
    if (place)
        checkPlace(pdf, o);
    const steps = o.qifeng && place ? [o, { ...o, qifeng: null }] : [o];
    const medium = await openMedium(o.p12, o.pin, seal);
    if (medium.sm2) { /* a GB/T 38540 SES_Signature (sm2.js, loaded for it only) */
        const { stampSes } = await import('./sm2.js');
        let out = null;
        for (const step of steps)
            out = await stampSes(step, { pdf: out ? await readPdf(out.bytes) : pdf, seal, medium, time: now });
        return out;
    }
    const image = await sealImage(seal);
    let u = null, ts = null;
    const sigs = []; /* each signature's /Contents, for the /DSS's /VRI */
    for (const step of steps) {
        ({ u, ts } = await signCms(u ? await readPdf(u.bytes) : pdf, step, { seal, medium, image, time: now }));
        sigs.push(contentsOf(u));
    }
    const out = { bytes: u.bytes, rect: u.rect, time: now, genTime: ts.genTime, esId: seal.esId, name: seal.name,
        level: 'B-T', signedLength: u.bytes.length };
    if (!o.evidenceUrl)
        return out;
    /* PAdES B-LT: the chain and the OCSP answers in a /DSS of its own; a
     * stamp without them is still a stamp (B-T), said so */
    try {
        /* the stamped file as readPdf would read it, without reading it again:
         * /ByteRange and /Contents, filled in place, are in u.bytes */
        out.bytes = await addEvidence({ ...u.next, bytes: u.bytes }, sigs, o.evidenceUrl,
            serialHex(medium.signerDer), tokenCerts(ts.token));
        out.level = 'B-LT';
    } catch (e) {
        /* revoked meanwhile: no file, and no revoked answer kept in one */
        if (e instanceof StampError)
            throw e;
        out.warning = STAMP_MSG.evidence;
    }
    return out;
}

/* ---- PAdES B-LT and B-LTA ------------------------------------------------------- */

function b64bytes(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++)
        out[i] = bin.charCodeAt(i);
    return out;
}

function hexOf(bytes) {
    let s = '';
    for (const b of bytes)
        s += b.toString(16).toUpperCase().padStart(2, '0');
    return s;
}

/* the bytes of a signature's /Contents (the reserved room, zeros included:
 * what /VRI's key hashes) */
function contentsOf(u) {
    const h = new TextDecoder('latin1').decode(u.bytes.subarray(u.contentsStart + 1, u.contentsEnd - 1));
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++)
        out[i] = parseInt(h.substr(2 * i, 2), 16);
    return out;
}

/* a certificate's serial, as the hall writes it (upper-case hex, no sign byte) */
function serialHex(der) {
    const cert = pkijs.Certificate.fromBER(der);
    let v = new Uint8Array(cert.serialNumber.valueBlock.valueHexView);
    while (v.length > 1 && v[0] === 0)
        v = v.subarray(1);
    return hexOf(v);
}

/* the certificates a TimeStampToken carries (the TSA's) */
function tokenCerts(token) {
    try {
        const ci = new pkijs.ContentInfo({ schema: asn1js.fromBER(token).result });
        const sd = new pkijs.SignedData({ schema: ci.content });
        return (sd.certificates || []).map((c) => new Uint8Array(c.toSchema().toBER(false)));
    } catch (e) {
        return [];
    }
}

/*
 * A stamped PDF (bytes, or what readPdf says of them) with a /DSS update
 * holding the hall's evidence for the signer serial (GET
 * evidenceUrl?serial=: the chain, the TSA's certificate, an OCSP answer
 * made now) and the certificates extra (the TSA's, from the token), for
 * the signatures whose /Contents are sigs.  Sends the serial only.
 */
export async function addEvidence(input, sigs, evidenceUrl, serial, extra = []) {
    const r = await fetch(`${evidenceUrl}?serial=${encodeURIComponent(serial)}`, { credentials: 'omit',
        cache: 'no-store', headers: { Accept: 'application/json' } });
    const j = await r.json();
    if (r.status !== 200 || !j.ok || !j.evidence)
        throw new Error(`evidence: HTTP ${r.status}`);
    /* a revoked answer never goes into a file: the stamp is refused, with
     * the rule's words (core/stamp/stamp_may.c) */
    if (j.evidence.status !== 'good' || (j.evidence.verdict && j.evidence.verdict !== 'yes'))
        throw new StampError('seseal', j.evidence.message || STAMP_MSG.revoked(serial));
    const certs = [];
    const seen = new Set();
    for (const der of [...j.evidence.certs.map(b64bytes), ...extra]) {
        const k = hexOf(der);
        if (!seen.has(k)) {
            seen.add(k);
            certs.push(der);
        }
    }
    const vri = [];
    for (const c of sigs)
        vri.push({ contents: c, vriKey: hexOf(new Uint8Array(await crypto.subtle.digest('SHA-1', c))) });
    const pdf = input instanceof Uint8Array ? await readPdf(input) : input;
    return writeDss(pdf, { certs, ocsps: j.evidence.ocsps.map(b64bytes), crls: (j.evidence.crls || []).map(b64bytes),
        sigs: vri }).bytes;
}

/*
 * PAdES B-LTA: bytes with a document timestamp (/SubFilter /ETSI.RFC3161)
 * over all of it, from tsaUrl; the one request is the TimeStampReq (the
 * SHA-256 of the /ByteRange).  → { bytes, genTime }
 */
export async function addDocTimestamp(bytes, tsaUrl) {
    const pdf = await readPdf(bytes);
    /* the token's room: the placeholder's, as the stamp's */
    const u = writeDocTimeStamp(pdf, 16384);
    fillByteRange(u);
    let ts;
    try {
        ts = await timestamp(tsaUrl, await sha256(signedBytes(u)));
    } catch (e) {
        throw new StampError('lta', STAMP_MSG.ltaTsa);
    }
    fillContents(u, ts.token);
    return { bytes: u.bytes, genTime: ts.genTime };
}
