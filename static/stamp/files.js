/*
 * 在线盖章: the holder's two files, opened in the browser only.
 *
 *   openSeal(bytes)        the .seseal (seal.js, re-exported): its esID,
 *                          name, signer certificates, picture (PNG, mm)
 *   openMedium(bytes, pin) the PKCS#12 under the order's PIN (PBES2: PBKDF2
 *                          with HMAC-SHA256, AES-256-CBC, as core/pki/ca.c
 *                          makes it) decrypted by WebCrypto; a P-256 key
 *                          imported non-extractable for ECDSA signing, an
 *                          SM2 key (the 国密 medium) handed to sm2.js
 *
 * Nothing here sends anything anywhere.  Errors are StampError with a
 * Chinese message naming the file.
 */
import * as pkijs from './vendor/pkijs.js';
import { StampError, MSG, equalBytes } from './base.js';
import { openSeal } from './seal.js';

export { StampError, MSG, equalBytes, openSeal };

const { asn1js } = pkijs;

const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_P256 = '1.2.840.10045.3.1.7';
const OID_SM2 = '1.2.156.10197.1.301';
/* pkijs parses a PKCS#8 EC key on a curve it knows only: the SM2 medium's */
pkijs.ECNamedCurves.register('SM2', OID_SM2, 32);

function bytesOf(x) {
    return x instanceof Uint8Array ? x : new Uint8Array(x);
}

/* the one DER value of bytes, nothing after it */
function derRoot(bytes) {
    const b = bytesOf(bytes);
    const parsed = asn1js.fromBER(b);
    if (parsed.offset === -1 || parsed.offset !== b.length)
        return null;
    return parsed.result;
}

/* the PKCS#12's bags, decrypted with the PIN: { keyInfo (DER PrivateKeyInfo), certs: [DER] } */
async function p12Bags(bytes, pin) {
    let pfx;
    try {
        const root = derRoot(bytes);
        if (root === null)
            throw new Error('DER');
        pfx = new pkijs.PFX({ schema: root });
    } catch (e) {
        throw new StampError('p12', MSG.p12Bad);
    }
    const password = new TextEncoder().encode(pin).buffer;
    let safe;
    try {
        /* the MAC is not checked here (PKCS#12's own KDF, 100,000 rounds
         * of SHA-256 one WebCrypto call each): the decryption under the
         * PIN, the key's pairing with the certificate and the certificate's
         * equality with the seal's stand for it */
        await pfx.parseInternalValues({ password, checkIntegrity: false });
        safe = pfx.parsedValue.authenticatedSafe;
    } catch (e) {
        throw new StampError('p12', MSG.p12Bad);
    }
    try {
        await safe.parseInternalValues({ safeContents: safe.safeContents.map(() => ({ password })) });
    } catch (e) {
        /* AES-CBC under a wrong key: a padding error (OperationError), or
         * bytes that are no SafeContents */
        throw new StampError('pin', MSG.pinWrong);
    }
    const out = { keyInfo: null, certs: [] };
    for (const content of safe.parsedValue.safeContents) {
        for (const bag of content.value.safeBags) {
            if (bag.bagId === '1.2.840.113549.1.12.10.1.2') { /* pkcs8ShroudedKeyBag */
                try {
                    await bag.bagValue.parseInternalValues({ password });
                } catch (e) {
                    throw new StampError('pin', MSG.pinWrong);
                }
                out.keyInfo = new Uint8Array(bag.bagValue.parsedValue.toSchema().toBER(false));
            } else if (bag.bagId === '1.2.840.113549.1.12.10.1.1') { /* keyBag */
                out.keyInfo = new Uint8Array(bag.bagValue.toSchema().toBER(false));
            } else if (bag.bagId === '1.2.840.113549.1.12.10.1.3' && /* certBag, x509Certificate */
                bag.bagValue.certId === '1.2.840.113549.1.9.22.1') {
                out.certs.push(new Uint8Array(bag.bagValue.certValue.valueBlock.valueHexView));
            }
        }
    }
    if (out.keyInfo === null || out.certs.length === 0)
        throw new StampError('p12', MSG.p12Bad);
    return out;
}

export function parseCert(der) {
    return pkijs.Certificate.fromBER(der);
}

function selfSigned(cert) {
    return cert.issuer.isEqual(cert.subject);
}

/*
 * The medium opened for the seal: the key (non-extractable CryptoKey), the
 * signer certificate (the one the seal lists, DER and parsed) and the chain
 * to put in the CMS (the PKCS#12's other certificates but a root).
 */
export async function openMedium(bytes, pin, seal) {
    if (!pin)
        throw new StampError('pin', MSG.pinEmpty);
    const bags = await p12Bags(bytesOf(bytes), pin);
    const signerDer = bags.certs.find((c) => seal.certs.some((s) => equalBytes(s, c)));
    if (!signerDer)
        throw new StampError('p12', MSG.notSigner);
    const signer = parseCert(signerDer);
    const spki = signer.subjectPublicKeyInfo;
    const curve = spki.algorithm.algorithmParams;
    if (spki.algorithm.algorithmId === OID_EC_PUBLIC_KEY && curve instanceof asn1js.ObjectIdentifier &&
        curve.valueBlock.toString() === OID_SM2) /* the 国密 medium: sm2.js signs, WebCrypto cannot */
        return { ...await (await import('./sm2.js')).openSm2(bags.keyInfo, spki), signerDer, signer,
            chain: [] };
    if (spki.algorithm.algorithmId !== OID_EC_PUBLIC_KEY || !(curve instanceof asn1js.ObjectIdentifier) ||
        curve.valueBlock.toString() !== OID_P256)
        throw new StampError('p12', MSG.keyKind);
    let key;
    try {
        key = await crypto.subtle.importKey('pkcs8', bags.keyInfo, { name: 'ECDSA', namedCurve: 'P-256' }, false,
            ['sign']);
    } catch (e) {
        throw new StampError('p12', MSG.keyKind);
    }
    /* the key is the certificate's: one signature checked by its public key */
    const pub = await crypto.subtle.importKey('spki', spki.toSchema().toBER(false),
        { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const probe = crypto.getRandomValues(new Uint8Array(32));
    const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, probe);
    if (!await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, sig, probe))
        throw new StampError('p12', MSG.notSigner);
    const chain = bags.certs.filter((c) => !equalBytes(c, signerDer)).map((der) => ({ der, cert: parseCert(der) }))
        .filter((c) => !selfSigned(c.cert));
    return { key, signerDer, signer, chain };
}
