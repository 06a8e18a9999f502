/*
 * 在线盖章: the seal chosen, read and asked about before anything heavy is
 * loaded (the page with the holder's own seal, /seal/stamp?id=, loads this
 * and base.js only; pdf.js, pdf-lib, PKI.js and SM2 come when a file is
 * chosen: page.js).
 *
 *   openSeal(bytes)            the .seseal (GB/T 38540 SES_Seal, DER): its
 *                              esID, name, signer certificates, validity,
 *                              picture (PNG, mm); StampError('seseal') else
 *   serialHex(certDer)         a certificate's serial as the hall writes it
 *   mayStamp(seal, checkUrl)   → { ok } or { ok: false, code, message }: the
 *                              hall's verdict before a stamp (a revoked
 *                              certificate, a cancelled seal)
 *
 * The small DER reader here walks what the hall writes (core/pki/seseal.c):
 * definite lengths, low tag numbers; anything else is not a seal.
 */
import { StampError, MSG, STAMP_MSG } from './base.js';

/* the DER value at b[at], inside [at, limit): { tag, start (its value), end } */
function tlvAt(b, at, limit) {
    if (at + 2 > limit || (b[at] & 0x1f) === 0x1f)
        throw new Error('DER');
    let len = b[at + 1], p = at + 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4 || p + n > limit)
            throw new Error('DER length');
        len = 0;
        for (let i = 0; i < n; i++)
            len = len * 256 + b[p++];
    }
    if (p + len > limit)
        throw new Error('DER overrun');
    return { tag: b[at], start: p, end: p + len };
}

/* the values inside a constructed one */
function kids(b, node) {
    if (!(node.tag & 0x20))
        throw new Error('not constructed');
    const out = [];
    for (let at = node.start; at < node.end;) {
        const k = tlvAt(b, at, node.end);
        out.push(k);
        at = k.end;
    }
    return out;
}

const body = (b, node) => b.subarray(node.start, node.end);
const text = (b, node) => new TextDecoder('utf-8', { fatal: true }).decode(body(b, node));

function intOf(b, node) {
    if (node.tag !== 0x02 || node.end === node.start || node.end - node.start > 6)
        throw new Error('not an INTEGER');
    let v = b[node.start] & 0x80 ? -1 : 0;
    for (let i = node.start; i < node.end; i++)
        v = v * 256 + b[i];
    return v;
}

/* GeneralizedTime YYYYMMDDHHMMSS[.f]Z (or UTCTime YYMMDDHHMMSSZ) */
function timeOf(b, node) {
    const s = text(b, node);
    const m = (node.tag === 0x18 ? /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d+)?Z$/
        : node.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/ : null)?.exec(s);
    if (!m)
        throw new Error('not a time');
    let y = Number(m[1]);
    if (node.tag === 0x17)
        y += y < 50 ? 2000 : 1900;
    return new Date(Date.UTC(y, m[2] - 1, m[3], m[4], m[5], m[6]));
}

function hexOf(bytes) {
    let s = '';
    for (const x of bytes)
        s += x.toString(16).toUpperCase().padStart(2, '0');
    return s;
}

/* a certificate's serial, as the hall writes it (upper-case hex, no sign byte):
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
 * serialNumber INTEGER, ... }, ... } */
export function serialHex(der) {
    const b = der instanceof Uint8Array ? der : new Uint8Array(der);
    const tbs = kids(b, kids(b, tlvAt(b, 0, b.length))[0]);
    const serial = tbs[tbs[0].tag === 0xa0 ? 1 : 0];
    if (serial.tag !== 0x02 || serial.end === serial.start)
        throw new Error('serialNumber');
    let v = body(b, serial);
    while (v.length > 1 && v[0] === 0)
        v = v.subarray(1);
    return hexOf(v);
}

/*
 * SES_Seal ::= SEQUENCE { eSealInfo SES_SealInfo, cert OCTET STRING,
 *   signAlgID OBJECT IDENTIFIER, signedValue BIT STRING }
 * SES_SealInfo ::= SEQUENCE { header, esID IA5String, property, picture, extDatas OPTIONAL }
 * header ::= SEQUENCE { ID IA5String ("ES"), version INTEGER, Vid IA5String }
 * property ::= SEQUENCE { type INTEGER, name UTF8String, certListType INTEGER,
 *   certList SEQUENCE OF OCTET STRING, createDate, validStart, validEnd GeneralizedTime }
 * picture ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER, height INTEGER } (mm)
 */
export function openSeal(bytes) {
    const der = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    try {
        const root = tlvAt(der, 0, der.length);
        if (root.tag !== 0x30 || root.end !== der.length)
            throw new Error('SES_Seal');
        const top = kids(der, root);
        if (top.length !== 4)
            throw new Error('SES_Seal');
        const info = kids(der, top[0]);
        const header = kids(der, info[0]);
        if (text(der, header[0]) !== 'ES')
            throw new Error('header');
        const prop = kids(der, info[2]);
        const pic = kids(der, info[3]);
        const certs = kids(der, prop[3]).map((o) => {
            if (o.tag !== 0x04)
                throw new Error('certList');
            return der.slice(o.start, o.end);
        });
        if (intOf(der, prop[2]) !== 1 || certs.length === 0)
            throw new Error('certListType');
        certs.forEach(serialHex); /* each one a certificate with a serial */
        if (pic[1].tag !== 0x04)
            throw new Error('picture');
        const seal = {
            der,
            esId: text(der, info[1]),
            type: intOf(der, prop[0]),
            name: text(der, prop[1]),
            certs,
            validStart: timeOf(der, prop[5]),
            validEnd: timeOf(der, prop[6]),
            picture: {
                type: text(der, pic[0]),
                data: der.slice(pic[1].start, pic[1].end),
                widthMm: intOf(der, pic[2]),
                heightMm: intOf(der, pic[3]),
            },
        };
        if (!/^[A-Za-z0-9]{1,64}$/.test(seal.esId) || seal.picture.widthMm <= 0 || seal.picture.heightMm <= 0 ||
            seal.picture.widthMm > 200 || seal.picture.heightMm > 200)
            throw new Error('values');
        return seal;
    } catch (e) {
        throw new StampError('seseal', MSG.sealBad);
    }
}

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
