/*
 * 签署 in the browser (templates/contract_flow.html, docs/modules/contract.md):
 * the party's own seal (.seseal) and its browser-made certificate file
 * (.p12) opened here under its PIN, the flow's current revision fetched,
 * stamped at the party's 签署区 by the 在线盖章 modules (static/stamp/stamp.js:
 * a PAdES B-T stamp, or GB/T 38540 for an SM2 seal, timestamped by /tsa),
 * and the new bytes posted to /contract/sign, where the hall checks them
 * before keeping them.  The key and the PIN never leave this page.
 */
const form = document.getElementById('contract-browser-form');

function say(text) {
    document.getElementById('contract-browser-status').textContent = text;
}

async function bytesOf(input, what) {
    if (!input.files || input.files.length !== 1)
        throw new Error(`请选择${what}`);
    return new Uint8Array(await input.files[0].arrayBuffer());
}

async function signHere(ev) {
    ev.preventDefault();
    const d = form.dataset;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
        const seal = await bytesOf(form.elements.seal, '印章文件（.seseal）');
        const p12 = await bytesOf(form.elements.p12, '证书文件（.p12）');
        say('正在读取当前文件…');
        const res = await fetch(`/contract/file?id=${d.flow}`, { credentials: 'same-origin' });
        if (!res.ok)
            throw new Error('当前文件无法下载，请刷新页面后重试');
        const pdf = new Uint8Array(await res.arrayBuffer());
        say('正在打开证书、签名并申请时间戳…');
        const { stampPdf } = await import('../stamp/stamp.js');
        /* B-T (no /DSS update after the signature): the hall takes exactly
         * one signature appended, covering the whole new revision */
        const out = await stampPdf({ pdf, seal, p12, pin: form.elements.pin.value, pageIndex: Number(d.page) - 1,
            xMm: Number(d.x), yMm: Number(d.y), tsaUrl: '/tsa', checkUrl: '/sign/stamp-check',
            documentName: document.getElementById('contract-title').textContent });
        say('正在提交签署…');
        const fd = new FormData();
        fd.append('id', d.flow);
        fd.append('file', new Blob([out.bytes], { type: 'application/pdf' }), 'signed.pdf');
        const r = await fetch('/contract/sign', { method: 'POST', body: fd, credentials: 'same-origin',
            headers: { 'X-CSRF-Token': d.csrf, Accept: 'application/json' } });
        const j = await r.json();
        if (!j.ok)
            throw new Error(j.message);
        window.location.assign(`/contract/flow?id=${d.flow}`);
    } catch (e) {
        say(e.message || String(e));
        button.disabled = false;
    }
}

if (form)
    form.addEventListener('submit', signHere);
