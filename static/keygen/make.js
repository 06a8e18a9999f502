/*
 * 生成密钥并下载证书: the key pair, its certificate request and the PKCS#12,
 * made in the holder's browser (docs/internals/pki.md, "Made in the
 * browser").  The private key is a value of this page's memory: nothing
 * here sends anything (page.js posts the request, the public part only).
 *
 *   makeKey(alg)                 'ecdsa': WebCrypto ECDSA P-256; 'sm2': the
 *                                SM2 library 在线盖章 uses (sm-crypto-v2,
 *                                ../stamp/vendor/sm2.js) → key
 *   makeCsr(key, cn)             PKCS#10 (DER) signed by the key:
 *                                ecdsa-with-SHA256, or SM3withSM2
 *                                (1.2.156.10197.1.501, GM/T 0009's default
 *                                signer ID) — the hall's proof of possession
 *   makeP12(key, certDer, caDer, pin, name)  PKCS#12 (DER) as the hall's
 *                                files of before issue 64: PBES2 (PBKDF2 with HMAC-SHA256,
 *                                AES-256-CBC) over the key and over the
 *                                certificates, an HMAC-SHA256 MAC
 *   pinFault(pin, again)         the PIN rule; null when the PIN is good
 */
import * as pkijs from '../stamp/vendor/pkijs.js';
import { sm2 } from '../stamp/vendor/sm2.js';

const { asn1js } = pkijs;
/* pkijs reads a PKCS#8 EC key on a curve it knows only (../stamp/files.js) */
if (!pkijs.ECNamedCurves.find('1.2.156.10197.1.301'))
    pkijs.ECNamedCurves.register('SM2', '1.2.156.10197.1.301', 32);

export const SM2_ID = '1234567812345678';
const OID = {
    ecPublicKey: '1.2.840.10045.2.1',
    p256: '1.2.840.10045.3.1.7',
    sm2: '1.2.156.10197.1.301',
    ecdsaSha256: '1.2.840.10045.4.3.2',
    sm3WithSm2: '1.2.156.10197.1.501',
    cn: '2.5.4.3',
    keyBag: '1.2.840.113549.1.12.10.1.2', /* pkcs8ShroudedKeyBag */
    certBag: '1.2.840.113549.1.12.10.1.3',
    x509Cert: '1.2.840.113549.1.9.22.1',
    friendlyName: '1.2.840.113549.1.9.20',
    localKeyId: '1.2.840.113549.1.9.21',
};
/* PBKDF2 rounds of the key and the certificates (the hall's files' 100,000);
 * the MAC's PKCS#12 KDF rounds as OpenSSL's default (each is one WebCrypto
 * digest in pkijs) */
const ITER = 100000;
const MAC_ITER = 2048;

/* ---- DER ------------------------------------------------------------------ */

function cat(parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
        out.set(p, at);
        at += p.length;
    }
    return out;
}

function tlv(tag, ...parts) {
    const body = cat(parts);
    let head = [tag, body.length];
    if (body.length >= 0x80) {
        const l = [];
        for (let v = body.length; v > 0; v = Math.floor(v / 256))
            l.unshift(v & 0xff);
        head = [tag, 0x80 | l.length, ...l];
    }
    return cat([new Uint8Array(head), body]);
}

const seq = (...p) => tlv(0x30, ...p);
const set = (...p) => tlv(0x31, ...p);
const bits = (b) => tlv(0x03, new Uint8Array([0]), b);

function oid(dotted) {
    const n = dotted.split('.').map(Number);
    const out = [40 * n[0] + n[1]];
    for (const v of n.slice(2)) {
        const b = [v & 0x7f];
        for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128))
            b.unshift(0x80 | (x & 0x7f));
        out.push(...b);
    }
    return tlv(0x06, new Uint8Array(out));
}

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function unhex(h) {
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++)
        out[i] = parseInt(h.substr(2 * i, 2), 16);
    return out;
}

/* ---- the key and its request ---------------------------------------------- */

export async function makeKey(alg) {
    if (alg === 'sm2') {
        const k = sm2.generateKeyPairHex();
        const d = k.privateKey.padStart(64, '0');
        const pub = unhex(k.publicKey); /* 04 || x || y */
        const algId = seq(oid(OID.ecPublicKey), oid(OID.sm2));
        return {
            alg,
            spki: seq(algId, bits(pub)),
            /* PrivateKeyInfo { 0, id-ecPublicKey SM2, ECPrivateKey { 1, d, [1] pub } } */
            pkcs8: async () => seq(tlv(0x02, new Uint8Array([0])), algId,
                tlv(0x04, seq(tlv(0x02, new Uint8Array([1])), tlv(0x04, unhex(d)), tlv(0xa1, bits(pub))))),
            sign: async (tbs) => unhex(sm2.doSignature(tbs, d,
                { der: true, hash: true, publicKey: k.publicKey, userId: SM2_ID })),
            sigAlg: seq(oid(OID.sm3WithSm2)),
        };
    }
    /* extractable: the PKCS#12 carries it, encrypted under the holder's PIN */
    const k = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    return {
        alg: 'ecdsa',
        spki: new Uint8Array(await crypto.subtle.exportKey('spki', k.publicKey)),
        pkcs8: async () => new Uint8Array(await crypto.subtle.exportKey('pkcs8', k.privateKey)),
        sign: async (tbs) => {
            const raw = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k.privateKey, tbs);
            return new Uint8Array(pkijs.createCMSECDSASignature(raw));
        },
        sigAlg: seq(oid(OID.ecdsaSha256)),
    };
}

/* CertificationRequest { info { 0, CN=cn, spki, [0] {} }, sigAlg, signature };
 * the hall reads the key and the signature only, never the subject */
export async function makeCsr(key, cn) {
    const name = seq(set(seq(oid(OID.cn), tlv(0x0c, new TextEncoder().encode(cn)))));
    const info = seq(tlv(0x02, new Uint8Array([0])), name, key.spki, tlv(0xa0));
    return seq(info, key.sigAlg, bits(await key.sign(info)));
}

/* ---- the PKCS#12 ------------------------------------------------------------ */

/* a PEM certificate's DER */
export function pemDer(pem) {
    const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

const buf = (u8) => u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);

function bagAttributes(name, keyId) {
    return [
        new pkijs.Attribute({ type: OID.friendlyName, values: [new asn1js.BmpString({ value: name })] }),
        new pkijs.Attribute({ type: OID.localKeyId, values: [new asn1js.OctetString({ valueHex: keyId })] }),
    ];
}

function certBag(der, attrs) {
    return new pkijs.SafeBag({
        bagId: OID.certBag,
        bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(buf(der)) }),
        bagAttributes: attrs,
    });
}

export async function makeP12(key, certDer, caDer, pin, name) {
    const password = new TextEncoder().encode(pin).buffer;
    const keyId = await crypto.subtle.digest('SHA-1', certDer);
    const enc = { password, contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 },
        hmacHashAlgorithm: 'SHA-256', iterationCount: ITER };
    const keyBag = new pkijs.SafeBag({
        bagId: OID.keyBag,
        bagValue: new pkijs.PKCS8ShroudedKeyBag({
            parsedValue: pkijs.PrivateKeyInfo.fromBER(buf(await key.pkcs8())),
        }),
        bagAttributes: bagAttributes(name, keyId),
    });
    await keyBag.bagValue.makeInternalValues(enc);
    const pfx = new pkijs.PFX({
        parsedValue: {
            integrityMode: 0, /* a password MAC */
            authenticatedSafe: new pkijs.AuthenticatedSafe({
                parsedValue: {
                    safeContents: [
                        { privacyMode: 1, value: new pkijs.SafeContents({
                            safeBags: [certBag(certDer, bagAttributes(name, keyId)), certBag(caDer, [])] }) },
                        { privacyMode: 0, value: new pkijs.SafeContents({ safeBags: [keyBag] }) },
                    ],
                },
            }),
        },
    });
    await pfx.parsedValue.authenticatedSafe.makeInternalValues({ safeContents: [enc, {}] });
    await pfx.makeInternalValues({ password, iterations: MAC_ITER,
        pbkdf2HashAlgorithm: 'SHA-256', hmacHashAlgorithm: 'SHA-256' });
    return new Uint8Array(pfx.toSchema().toBER(false));
}

/* ---- the PIN ------------------------------------------------------------------ */

/* 8 to 32 printable ASCII characters, letters and digits both, not one
 * character repeated nor a run (12345678, abcdefgh) */
export function pinFault(pin, again) {
    if (!/^[\x21-\x7e]{8,32}$/.test(pin))
        return '证书PIN码须为8至32位字母、数字或英文符号（不含空格和中文）';
    if (!/[0-9]/.test(pin) || !/[A-Za-z]/.test(pin))
        return '证书PIN码须同时包含字母和数字';
    const codes = Array.from(pin, (c) => c.charCodeAt(0));
    const step = codes[1] - codes[0];
    if (Math.abs(step) <= 1 && codes.every((c, i) => i === 0 || c - codes[i - 1] === step))
        return '证书PIN码不能是重复或连续的字符';
    if (again !== undefined && pin !== again)
        return '两次输入的证书PIN码不一致';
    return null;
}

/* bytes in base64, and back */
export function b64(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
        s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
}

export const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/* the hall's refusal of a request: its Chinese message and its field */
export class Refused extends Error {
    constructor(j) {
        super(j.message || '系统繁忙，请稍后再试');
        this.field = j.field;
    }
}

/* POST the certificate request csr (DER) with fields to url, as the page's
 * form would (CSRF token, urlencoded): the hall's JSON answer; Refused when
 * it answers otherwise than 200, an Error when the network fails */
export async function postCsr(url, fields, csr) {
    const body = new URLSearchParams({ ...fields, csr: b64(csr) }).toString();
    let r;
    try {
        r = await fetch(url, {
            method: 'POST',
            credentials: 'same-origin',
            headers: {
                Accept: 'application/json',
                'Content-Type': 'application/x-www-form-urlencoded',
                'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content,
            },
            body,
        });
    } catch (e) {
        throw new Error('网络异常，请检查网络后重试');
    }
    const j = await r.json().catch(() => ({ message: '系统繁忙，请稍后再试' }));
    if (r.status !== 200)
        throw new Refused(j);
    return j;
}

export { hex };
