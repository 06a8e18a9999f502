/*
 * 我的电子印章's 生成印章密钥 (templates/seal_list.html): an SM2 seal order's
 * 机构业务章 waits after production for its key, which is born here, in the
 * applicant's browser (docs/modules/seal.md, "The holder's own key").  Each
 * waiting row's form takes a PIN twice; this page makes the SM2 key pair
 * (../keygen/make.js, the SM2 library 在线盖章 uses), posts the certificate
 * request only (POST /pki/seal-key, the applicant's session), and saves the
 * PKCS#12 it assembles under that PIN and the seal (.seseal) made for it.
 * The private key never leaves this page.
 */
import { makeKey, makeCsr, makeP12, pemDer, pinFault, postCsr, unb64 } from '../keygen/make.js';

function say(e, text) {
    e.textContent = text;
    e.hidden = text === '';
}

function offer(a, bytes, type, name) {
    a.href = URL.createObjectURL(new Blob([bytes], { type }));
    a.download = name;
    a.hidden = false;
    return a;
}

async function go(form, kept) {
    const cell = form.parentElement;
    const pin = form.querySelector('.bizkey-pin'), again = form.querySelector('.bizkey-pin2');
    const err = form.querySelector('.bizkey-err'), state = form.querySelector('.bizkey-state');
    const button = form.querySelector('.bizkey-go');
    say(err, '');
    const fault = pinFault(pin.value, again.value);
    if (fault) {
        say(err, fault);
        (pin.value === again.value || pinFault(pin.value) ? pin : again).focus();
        return;
    }
    button.disabled = true;
    say(state, '正在本浏览器中生成SM2密钥……');
    try {
        if (kept.made === undefined) {
            kept.key = await makeKey('sm2');
            const csr = await makeCsr(kept.key, 'seal business');
            say(state, '正在签发证书并制作印章……');
            kept.made = await postCsr('/pki/seal-key', { es_id: form.dataset.es }, csr);
        }
        const made = kept.made;
        say(state, '正在用您设定的证书PIN码保护证书文件……');
        const p12 = await makeP12(kept.key, unb64(made.cert), pemDer(made.ca), pin.value, made.name);
        offer(cell.querySelector('.bizkey-seal'), unb64(made.seseal), 'application/octet-stream',
            `${made.es_id}.seseal`);
        offer(cell.querySelector('.bizkey-file'), p12, 'application/x-pkcs12', `${made.serial}.p12`).click();
        pin.value = '';
        again.value = '';
        form.hidden = true;
        const row = form.closest('tr');
        say(row.querySelector('.seal-state'), `证书已签发（序列号 ${made.serial}），印章 ${made.es_id} 已制作。` +
            `证书文件 ${made.serial}.p12 已保存到本机下载目录，请再点击“保存印章文件”保存印章：请立即备份。` +
            '私钥只在这个文件里，网上营业厅没有副本，不能再次下载。');
    } catch (e) {
        say(state, '');
        say(err, e.message || '未能生成证书，请稍后重试');
        button.disabled = false;
    }
}

for (const form of document.querySelectorAll('form.bizkey')) {
    const kept = {};
    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        go(form, kept);
    });
}
