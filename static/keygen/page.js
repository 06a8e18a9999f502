/*
 * 业务单详情's 生成密钥并下载证书 (templates/center_order.html, #keygen): an
 * accepted order of a product whose key is born in the browser
 * (products.key_origin 'browser').  The holder types a PIN twice; the page
 * makes the key pair here (make.js), posts the certificate request only
 * (POST /pki/csr), and saves the PKCS#12 it assembles from the key, the
 * certificate the hall answers and its issuing CA's, under that PIN.  The
 * private key never leaves this page: the hall cannot make the file again.
 */
import { makeKey, makeCsr, makeP12, pemDer, pinFault, postCsr, unb64 } from './make.js';

const $ = (id) => document.getElementById(id);
const box = $('keygen');
/* kept across a retry: once the hall answered, the same key and certificate */
let key = null, made = null;

function say(id, text) {
    const e = $(id);
    e.textContent = text;
    e.hidden = text === '';
}

function save(bytes, name) {
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/x-pkcs12' }));
    const a = $('keygen-file');
    a.href = url;
    a.download = name;
    a.hidden = false;
    a.click();
}

const post = (csr) => postCsr('/pki/csr', { id: box.dataset.id }, csr);

async function go() {
    const pin = $('keygen-pin').value, again = $('keygen-pin2').value;
    const fault = pinFault(pin, again);
    say('keygen-err', '');
    if (fault) {
        say('keygen-err', fault);
        $(pin === again || pinFault(pin) ? 'keygen-pin' : 'keygen-pin2').focus();
        return;
    }
    const button = $('keygen-go');
    button.disabled = true;
    say('keygen-state', '正在本浏览器中生成密钥……');
    try {
        if (made === null) {
            key = await makeKey(box.dataset.alg);
            const csr = await makeCsr(key, box.dataset.name);
            say('keygen-state', '正在签发证书……');
            made = await post(csr);
        }
        say('keygen-state', '正在用您设定的证书PIN码保护证书文件……');
        const p12 = await makeP12(key, unb64(made.cert), pemDer(made.ca), pin, made.name);
        save(p12, `${made.serial}.p12`);
        $('keygen-pin').value = '';
        $('keygen-pin2').value = '';
        $('keygen-form').hidden = true;
        say('keygen-state', '');
        /* made and in the holder's hands: 已签收, no 申请退费 any more (the
         * order moved to delivered with the certificate, core/biz/produce_csr.c) */
        const status = document.getElementById('status');
        if (status)
            status.textContent = '已签收';
        const refund = document.getElementById('refund');
        if (refund)
            refund.remove();
        say('keygen-done', `证书已签发（序列号 ${made.serial}），证书文件 ${made.serial}.p12 已保存到本机下载目录：` +
            '请立即备份。私钥只在这个文件里，网上营业厅没有副本，不能再次下载；文件丢失请办理“介质遗失补办”，忘记PIN码请办理“证书解锁”，' +
            '审核通过后在浏览器中生成新的密钥，无需重新申请。' +
            '关闭本页面前如未看到文件，请点击上面的“保存证书文件”。');
    } catch (e) {
        say('keygen-state', '');
        say('keygen-err', e.message || '未能生成证书，请稍后重试');
        button.disabled = false;
    }
}

if (box) {
    $('keygen-go').addEventListener('click', go);
    $('keygen-form').addEventListener('submit', (ev) => {
        ev.preventDefault();
        go();
    });
}
