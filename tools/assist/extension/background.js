/*
 * 证书助手's extension, its service worker (Chromium) or background script
 * (Firefox): each request a page of the hall's origins sends through
 * content.js goes to the native host cn.hall.assist (hall-assist, started
 * by the browser; docs/internals/assist.md) with the origin the browser
 * says the page has, never one the page says; the host's answer goes back
 * to that page.  One connection per request: the host asks the PIN for
 * each signature and keeps nothing between them.
 */
const HOST = 'cn.hall.assist';
const TYPES = new Set(['hello', 'list', 'sign', 'pin', 'flow']);
const FIELDS = ['id', 'type', 'medium', 'cert', 'digest', 'document', 'status', 'verb', 'ticket'];

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
    if (!sender.tab || !msg || typeof msg !== 'object' || !TYPES.has(msg.type))
        return false;
    let origin;
    try {
        origin = sender.origin || new URL(sender.url).origin;
    } catch (e) {
        return false;
    }
    const req = { origin };
    for (const k of FIELDS)
        if (['string', 'number', 'boolean'].includes(typeof msg[k]))
            req[k] = msg[k];
    let port;
    try {
        port = chrome.runtime.connectNative(HOST);
    } catch (e) {
        sendResponse({ ok: false, code: 'host', message: '' });
        return false;
    }
    let answered = false;
    port.onMessage.addListener((reply) => {
        answered = true;
        sendResponse(reply);
        port.disconnect();
    });
    port.onDisconnect.addListener(() => {
        if (!answered)
            sendResponse({ ok: false, code: 'host',
                message: (chrome.runtime.lastError && chrome.runtime.lastError.message) || '' });
    });
    port.postMessage(req);
    return true; /* answered later */
});
