/*
 * 在线盖章: what the two writers of a stamp share, stamp.js (CMS, PAdES)
 * and sm2.js (GB/T 38540 SES_Signature): the stamp's messages, the small
 * DER writer, the RFC 3161 timestamp, the seal's picture and writeStamp.
 * Below both: sm2.js imports this, never stamp.js, so the page's modules
 * form no circle (tests/unit/js_circles.sh).
 */
import * as pkijs from './vendor/pkijs.js';
import { StampError, STAMP_MSG, equalBytes } from './base.js';
import { writeUpdate, writeQifeng } from './pdf-update.js';
import { decodePng } from './png.js';

const { asn1js } = pkijs;

export { STAMP_MSG };

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
export const set = (...p) => tlv(0x31, ...p);
export const octets = (b) => tlv(0x04, b);
export const int = (v) => tlv(0x02, new Uint8Array([v]));

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

export function compareBytes(a, b) {
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

export const attribute = (type, value) => seq(oid(type), set(value));

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

/* ---- the stamp's update ----------------------------------------------------------- */

/* the update of a page stamp or, o.qifeng ({ edge, first, last }), of a
 * 骑缝章 (docs/internals/stamp.md §1c); common: { seal, image, time,
 * contentsLength, subFilter } */
export function writeStamp(pdf, o, common) {
    return o.qifeng ? writeQifeng(pdf, { ...o.qifeng, ...common })
        : writeUpdate(pdf, { pageIndex: o.pageIndex, xMm: o.xMm, yMm: o.yMm, ...common });
}
