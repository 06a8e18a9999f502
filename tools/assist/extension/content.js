/*
 * 证书助手's extension on a page of the hall's origins: the page's library
 * (static/assist/bridge.js) posts { hallAssist: 'request', seq, body } to
 * its own window; this relays body to the extension's worker
 * (background.js) and posts the answer back as { hallAssist: 'reply', seq,
 * body }.  It tells the page it is here by posting { hallAssist: 'ready' }.
 */
window.addEventListener('message', (ev) => {
    if (ev.source !== window || !ev.data || ev.data.hallAssist !== 'request')
        return;
    const { seq, body } = ev.data;
    const answer = (reply) => window.postMessage({ hallAssist: 'reply', seq, body: reply }, window.location.origin);
    try {
        chrome.runtime.sendMessage(body, (reply) => {
            answer(reply || { ok: false, code: 'extension',
                message: (chrome.runtime.lastError && chrome.runtime.lastError.message) || '' });
        });
    } catch (e) {
        answer({ ok: false, code: 'extension', message: String(e && e.message) });
    }
});
window.postMessage({ hallAssist: 'ready' }, window.location.origin);
