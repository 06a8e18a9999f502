/*
 * 我的证书 (templates/center_certs.html): a certificate on a USB key has
 * buttons that drive the 证书助手 through its browser extension
 * (bridge.js; docs/internals/assist.md): 查看证书 lists the medium's
 * certificates with each one's status asked of the hall's OCSP by the
 * assistant, 修改PIN码 has the assistant ask the current and the new PIN in
 * its own dialog.  The commands stay on the page for administrators.
 */
const STATUS = { good: '有效', revoked: '已吊销', unknown: '未知（签发者不认识该证书）', none: '未查询', error: '无法查询' };

function say(box, text, err = false) {
    box.textContent = '';
    const p = document.createElement('p');
    p.className = err ? 'err' : 'ok';
    p.textContent = text;
    box.append(p);
}

async function bridge(box) {
    const B = await import('./bridge.js');
    await B.hello();
    return B;
}

async function view(btn, box) {
    const medium = btn.dataset.medium;
    say(box, `正在通过证书助手读取USB Key（介质 ${medium}）…`);
    try {
        const B = await bridge(box);
        const media = await B.listMedia({ status: true });
        const m = media.find((x) => x.label === medium);
        if (!m) {
            say(box, `本机未插入USB Key（介质 ${medium}）：请插入后重试。`, true);
            return;
        }
        box.textContent = '';
        const h = document.createElement('p');
        h.textContent = `USB Key（介质 ${m.label}，${m.model}）中的证书：`;
        const ul = document.createElement('ul');
        ul.className = 'assist-certs';
        for (const c of m.certificates.filter((x) => x.signer)) {
            const li = document.createElement('li');
            li.dataset.serial = c.serial;
            li.textContent = `${c.subject}；序列号 ${c.serial}；有效期至 ${c.not_after.replace('T', ' ').replace('Z', '')}（UTC）；` +
                `状态：${STATUS[c.status] || c.status}${c.status_detail ? `（${c.status_detail}）` : ''}`;
            ul.append(li);
        }
        box.append(h, ul);
    } catch (e) {
        say(box, e.message, true);
    }
}

async function pin(btn, box) {
    const medium = btn.dataset.medium;
    say(box, `请在证书助手弹出的对话框中输入USB Key（介质 ${medium}）的当前PIN码和新PIN码。`);
    try {
        const B = await bridge(box);
        await B.changePin(medium);
        say(box, `USB Key（介质 ${medium}）的PIN码已修改，请使用新PIN码。`);
    } catch (e) {
        say(box, e.message, true);
    }
}

for (const btn of document.querySelectorAll('button.assist-view, button.assist-pinchange')) {
    btn.addEventListener('click', async () => {
        const box = document.getElementById(btn.getAttribute('aria-controls'));
        btn.disabled = true;
        try {
            await (btn.classList.contains('assist-view') ? view : pin)(btn, box);
        } finally {
            btn.disabled = false;
        }
    });
}
