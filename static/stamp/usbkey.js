/*
 * 在线盖章 with the seal's key on the holder's USB key (issue 70 §2;
 * docs/internals/assist.md): the medium that holds the seal's signer
 * certificate, found through the 证书助手 (static/assist/bridge.js), and a
 * medium for stamp.js whose signDigest(digest, documentName) has the USB
 * key sign the CMS signed attributes' SHA-256; the PIN is asked by the
 * assistant's own dialog.
 *
 *   openUsbMedium(seal, want) → { signerDer, signer, chain, signDigest, label }
 *       want: the medium's serial the hall names (or ''), for the message
 * Refusals are StampError('usbkey', message).
 */
import { hello, listMedia, sign, AssistError } from '../assist/bridge.js';
import { StampError, equalBytes } from './base.js';
import { parseCert } from './files.js';

const OID_P256 = '1.2.840.10045.3.1.7';

function assistRefusal(e) {
    if (e instanceof AssistError)
        return new StampError('usbkey', e.message);
    return e;
}

export async function openUsbMedium(seal, want = '') {
    let media;
    try {
        await hello();
        media = await listMedia();
    } catch (e) {
        throw assistRefusal(e);
    }
    for (const m of media) {
        const c = m.certificates.find((x) => seal.certs.some((s) => equalBytes(s, x.der)));
        if (!c)
            continue;
        const signer = parseCert(c.der);
        const curve = signer.subjectPublicKeyInfo.algorithm.algorithmParams;
        if (!curve || !curve.valueBlock || curve.valueBlock.toString() !== OID_P256)
            throw new StampError('usbkey', '该USB Key中的印章证书不是ECDSA P-256证书，在线盖章暂不支持；请使用盖章工具hall-stamp盖章。');
        /* the chain the medium carries (its CA's certificates), a root left out */
        const chain = m.certificates.filter((x) => x !== c && !x.signer).map((x) => ({ der: x.der, cert: parseCert(x.der) }))
            .filter((x) => !x.cert.issuer.isEqual(x.cert.subject));
        return {
            signerDer: c.der, signer, chain, label: m.label,
            async signDigest(digest, documentName) {
                try {
                    return await sign({ medium: m.label, cert: c.id, digest, document: documentName || 'document.pdf' });
                } catch (e) {
                    throw assistRefusal(e);
                }
            },
        };
    }
    const where = want ? `USB Key（介质 ${want}）` : '存有该印章证书的USB Key';
    throw new StampError('usbkey', media.length === 0
        ? `本机未插入USB Key：请插入${where}后重试。`
        : `已插入的USB Key（${media.map((m) => `介质 ${m.label}`).join('、')}）中没有该印章的证书：请插入${where}后重试。`);
}
