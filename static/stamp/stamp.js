/*
 * 在线盖章: one stamp, made in the browser (docs/internals/stamp.md).
 *
 *   stampPdf({ pdf, p12, pin, seal, pageIndex, xMm, yMm, tsaUrl, evidenceUrl, checkUrl })
 *       or, a 骑缝章, with qifeng: { edge, first, last } instead of the place
 *       → { bytes (the stamped PDF), rect, time, esId, level ('B-LT', or
 *         'B-T' with warning when the evidence could not be had) }
 *   addDocTimestamp(bytes, tsaUrl) → { bytes, genTime }   PAdES B-LTA
 *
 * The PKCS#12 is opened and the key used here only (files.js, WebCrypto);
 * or o.medium is a USB key's (usbkey.js), which signs the signed
 * attributes' digest through the 证书助手, documentName shown in its dialog.
 * An SM2 medium's stamp is a GB/T 38540 SES_Signature: sm2.js, loaded for
 * it only (level 'GB/T 38540', no /DSS).
 *   mayStamp(seal, checkUrl) → { ok } or { ok: false, message }: the hall's
 *       verdict before a stamp (a revoked certificate, a cancelled seal;
 *       seal.js, re-exported: the page asks it before loading this)
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
import { StampError } from './base.js';
import { openMedium } from './files.js';
import { openSeal, serialHex, mayStamp } from './seal.js';
import { readPdf, qifengPlan, writeDocTimeStamp, writeDss, fillByteRange, signedBytes, fillContents, PDF_MSG,
    SIGS_MAX } from './pdf-update.js';
import { shownSize } from './place.js';
import { STAMP_MSG, tlv, seq, set, octets, int, oid, OID, attribute, compareBytes, timestamp, sealImage,
    writeStamp } from './common.js';

export { STAMP_MSG, tlv, seq, oid, OID, timestamp, sealImage, writeStamp };

const { asn1js } = pkijs;

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

export { openSeal, readPdf, mayStamp };

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
    /* the key in the page (WebCrypto), or on the USB key: the signed
     * attributes' SHA-256 signed there (usbkey.js) */
    const raw = medium.signDigest ? (await medium.signDigest(await sha256(set(...attrs)), o.documentName)).buffer
        : await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, medium.key, set(...attrs));
    const signature = new Uint8Array(pkijs.createCMSECDSASignature(raw));
    const ts = await timestamp(o.tsaUrl, await sha256(signature));
    fillContents(u, signedData({ attrs, signature, token: ts.token, medium }));
    return { u, ts };
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
    /* every signature within the verifier's 64 (readPdf refuses 64 signed
     * already; a 骑缝章 and a page stamp are two) */
    if (pdf.signedCount + steps.length > SIGS_MAX)
        throw new StampError('pdf', PDF_MSG.sigs(pdf.signedCount, pdf.fieldCount));
    /* o.medium: opened already (the USB key's, usbkey.js), else the PKCS#12 */
    const medium = o.medium || await openMedium(o.p12, o.pin, seal);
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
