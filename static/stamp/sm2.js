/*
 * 在线盖章 with an SM2 signer (the 国密 medium): the GB/T 38540 (version 4)
 * SES_Signature hall-stamp writes (core/stamp/stamp_ses.c,
 * docs/internals/stamp.md §2a), made in the browser.
 *
 *   openSm2(keyInfo, spki)  the PKCS#12's SM2 key (PKCS#8 of an
 *                           id-ecPublicKey on the SM2 curve), checked to be
 *                           the certificate's → { sm2: true, sign }
 *   stampSes(o, { pdf, seal, medium, time })  what stamp.js's stampPdf gives
 *
 * WebCrypto has no SM2: the signature (GM/T 0003, SM3 with the GM/T 0009
 * default signer ID in Z) and SM3 are sm-crypto-v2's (vendor/sm2.js, on
 * @noble/curves and @noble/hashes; the nonce from crypto.getRandomValues).
 * The key is a value in this page's memory, never sent: the one request is
 * the timestamp (the SHA-256 of the signature value, as hall-stamp asks it).
 * No /DSS follows: the format has no place for revocation evidence (§2a).
 */
import { sm2, sm3 } from './vendor/sm2.js';
import { StampError, MSG } from './base.js';
import { fillByteRange, signedBytes, fillContents } from './pdf-update.js';
import { tlv, seq, oid, timestamp, sealImage, writeStamp } from './common.js';

export const SM2_ID = '1234567812345678';
const OID_SM3_WITH_SM2 = '1.2.156.10197.1.501';
export const SES_SUBFILTER = 'GBT38540.SES_Signature';

const hexOf = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function bytesOfHex(h) {
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++)
        out[i] = parseInt(h.substr(2 * i, 2), 16);
    return out;
}

/* one DER element at p: { tag, body, end } (the medium is OpenSSL's DER) */
function der(b, p) {
    const tag = b[p];
    let len = b[p + 1], q = p + 2;
    if (len & 0x80) {
        const k = len & 0x7f;
        len = 0;
        for (let i = 0; i < k; i++)
            len = len * 256 + b[q + i];
        q += k;
    }
    if (q + len > b.length)
        throw new Error('DER');
    return { tag, body: b.subarray(q, q + len), end: q + len };
}

/* the children of a constructed element's body */
function children(body) {
    const out = [];
    for (let p = 0; p < body.length;) {
        const e = der(body, p);
        out.push(e);
        p = e.end;
    }
    return out;
}

/* PrivateKeyInfo { 0, AlgorithmIdentifier, OCTET STRING ECPrivateKey { 1,
 * OCTET STRING d, ... } } → d, 32 bytes */
function scalarOf(keyInfo) {
    const pki = children(der(keyInfo, 0).body);
    if (pki.length < 3 || pki[2].tag !== 0x04)
        throw new Error('PrivateKeyInfo');
    const ec = children(der(pki[2].body, 0).body);
    if (ec.length < 2 || ec[1].tag !== 0x04 || ec[1].body.length === 0 || ec[1].body.length > 32)
        throw new Error('ECPrivateKey');
    const d = new Uint8Array(32);
    d.set(ec[1].body, 32 - ec[1].body.length);
    return d;
}

/* the medium's key, its public point the certificate's; sign(bytes) → the
 * DER SEQUENCE { r, s } over bytes (SM3 with Z of the default ID) */
export async function openSm2(keyInfo, spki) {
    let d, pub;
    try {
        d = hexOf(scalarOf(new Uint8Array(keyInfo)));
        pub = hexOf(new Uint8Array(spki.subjectPublicKey.valueBlock.valueHexView));
        if (sm2.getPublicKeyFromPrivateKey(d).toLowerCase() !== pub.toLowerCase())
            throw new Error('not the certificate key');
    } catch (e) {
        throw new StampError('p12', MSG.notSigner);
    }
    const opts = { der: true, hash: true, publicKey: pub, userId: SM2_ID };
    return {
        sm2: true,
        sign: (bytes) => bytesOfHex(sm2.doSignature(bytes, d, opts)),
    };
}

/* a BIT STRING of whole bytes */
const bits = (b) => tlv(0x03, new Uint8Array([0]), b);

/* the signer's clock, UTC, YYYYMMDDHHMMSSZ */
function generalized(t) {
    const p = (v) => String(v).padStart(2, '0');
    const s = `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}` +
        `${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}Z`;
    return tlv(0x18, new TextEncoder().encode(s));
}

/* TBS_Sign: version 4, the seal byte for byte, timeInfo, dataHash (SM3),
 * propertyInfo (the /ByteRange) */
function tbsSign(seal, time, hash, prop) {
    return seq(tlv(0x02, new Uint8Array([4])), seal.der, generalized(time), bits(hash),
        tlv(0x16, new TextEncoder().encode(prop)));
}

function sesSignature(tbs, certDer, signature, token) {
    return seq(tbs, tlv(0x04, certDer), oid(OID_SM3_WITH_SM2), bits(signature), tlv(0xa0, bits(token)));
}

export async function stampSes(o, { pdf, seal, medium, time }) {
    const image = await sealImage(seal);
    /* /Contents' room, as hall-stamp measures it: a 72-byte signature, an
     * 8192-byte token, 10-digit /ByteRange numbers; twice, in 1024 digits */
    const probe = sesSignature(tbsSign(seal, time, new Uint8Array(32), '0 9999999999 9999999999 9999999999'),
        medium.signerDer, new Uint8Array(72), seq(new Uint8Array(8188)));
    const contentsLength = Math.ceil((2 * probe.length) / 1024) * 1024;

    /* a 骑缝章 too: the SES_Signature signs the /ByteRange, whatever the
     * widgets show (docs/internals/stamp.md §1c) */
    const u = writeStamp(pdf, o, { seal, image, time, contentsLength, subFilter: SES_SUBFILTER });
    const range = fillByteRange(u);
    const tbs = tbsSign(seal, time, bytesOfHex(sm3(signedBytes(u))), range.join(' '));
    const signature = medium.sign(tbs);
    const imprint = new Uint8Array(await crypto.subtle.digest('SHA-256', signature));
    const ts = await timestamp(o.tsaUrl, imprint);
    fillContents(u, sesSignature(tbs, medium.signerDer, signature, ts.token));
    return { bytes: u.bytes, rect: u.rect, time, genTime: ts.genTime, esId: seal.esId, name: seal.name,
        level: 'GB/T 38540', signedLength: u.bytes.length };
}
