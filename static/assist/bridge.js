/*
 * The page's side of the 证书助手 (docs/internals/assist.md): a page of the
 * hall asks the holder's USB key through the 证书助手's browser extension
 * (tools/assist/extension/: its content script relays window messages to
 * the native host hall-assist).  The page sends a digest and gets a
 * signature; the PIN is asked by the assistant's own dialog, never here.
 *
 *   hello()                 → { version }, or AssistError 'missing' when
 *                             the extension or the assistant is not there
 *   listMedia({ status })   → [{ label, serial, model, certificates:
 *                               [{ id, der (Uint8Array), subject, serial, not_after, signer,
 *                                  status, status_detail (status: true: by OCSP) }] }]
 *   changePin(medium)       → 修改PIN码, the PINs typed in the assistant's dialog
 *   runFlow({ verb, medium, ticket }) → { output }: 在线更新 (renew), 在线变更
 *                             (change) or 解锁 (unlock) with the order's one-time
 *                             code, run by the assistant with this hall; a
 *                             failure is AssistError('flow') with .output
 *   sign({ medium, cert, digest, document }) → the ECDSA signature, r || s
 *                             (Uint8Array); digest a SHA-256 (Uint8Array)
 * Refusals are AssistError(code, message), the message in Chinese.
 */
export const INSTALL = '未检测到证书助手：使用USB Key在线盖章需在本机安装“证书助手”（含浏览器扩展，' +
    '支持 Chrome、Edge、Firefox），安装后刷新本页。下载地址：驱动和盖章工具下载（/sign/tools）。';
const HOST_MISSING = '证书助手的浏览器扩展已安装，但未能启动本机的证书助手程序：请重新安装“证书助手”后重试。';

export class AssistError extends Error {
    constructor(code, message) {
        super(message);
        this.code = code;
    }
}

let seq = 0;
const waiting = new Map();
let ready = false;

window.addEventListener('message', (ev) => {
    if (ev.source !== window || !ev.data)
        return;
    if (ev.data.hallAssist === 'ready')
        ready = true;
    if (ev.data.hallAssist !== 'reply' || !waiting.has(ev.data.seq))
        return;
    ready = true;
    const w = waiting.get(ev.data.seq);
    waiting.delete(ev.data.seq);
    clearTimeout(w.timer);
    w.done(ev.data.body);
});

function request(body, ms) {
    const n = ++seq;
    return new Promise((resolve, reject) => {
        const timer = ms ? setTimeout(() => {
            waiting.delete(n);
            reject(new AssistError('missing', INSTALL));
        }, ms) : null;
        waiting.set(n, { timer, done: (reply) => {
            if (reply && reply.ok)
                resolve(reply);
            else if (!reply || reply.code === 'host' || reply.code === 'extension')
                reject(new AssistError('host', HOST_MISSING));
            else
                reject(new AssistError(reply.code || 'error', reply.message || '证书助手未能完成此操作。'));
        } });
        window.postMessage({ hallAssist: 'request', seq: n, body }, window.location.origin);
    });
}

/* the extension answers at once; without it nobody does (ready: it said
 * so when the page loaded) */
export function hello() {
    return request({ type: 'hello' }, ready ? 10000 : 3000);
}

export async function listMedia({ status = false } = {}) {
    const r = await request({ type: 'list', status }, 60000);
    return (r.media || []).map((m) => ({ ...m, certificates: (m.certificates || []).map((c) => ({ ...c,
        der: Uint8Array.from(atob(c.der), (ch) => ch.charCodeAt(0)) })) }));
}

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/* no time limit: the holder reads the dialog and types the PIN */
export async function sign({ medium, cert, digest, document }) {
    const r = await request({ type: 'sign', medium, cert, digest: hex(digest), document }, 0);
    return Uint8Array.from(atob(r.signature), (ch) => ch.charCodeAt(0));
}

/* no time limit: three PINs typed in the assistant's dialog */
export async function changePin(medium) {
    await request({ type: 'pin', medium }, 0);
}

/* no time limit: the PIN typed, then the assistant's exchange with the hall */
export async function runFlow({ verb, medium, ticket }) {
    const n = ++seq;
    return new Promise((resolve, reject) => {
        waiting.set(n, { timer: null, done: (reply) => {
            if (reply && reply.ok)
                resolve({ output: reply.output || '' });
            else if (!reply || reply.code === 'host' || reply.code === 'extension')
                reject(new AssistError('host', HOST_MISSING));
            else
                reject(Object.assign(new AssistError(reply.code || 'error', reply.message || '证书助手未能完成办理。'),
                    { output: reply.output || '' }));
        } });
        window.postMessage({ hallAssist: 'request', seq: n, body: { type: 'flow', verb, medium, ticket } },
            window.location.origin);
    });
}
