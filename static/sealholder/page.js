/*
 * /seal/holder's 机构个人章密钥生成 (templates/seal_holder.html): the holder
 * types the seal's code and the SMS's code and a PIN twice; this page makes
 * the key pair here (../keygen/make.js: WebCrypto P-256, or SM2 for a seal
 * of an SM2 order), posts the certificate request only (POST
 * /pki/seal-holder), and saves the PKCS#12 it assembles from the key, the
 * certificate the hall answers and its CA's, under that PIN, and the seal
 * (.seseal) made for it.  The private key never leaves this page.
 */
import { makeKey, makeCsr, makeP12, pemDer, pinFault, postCsr, unb64, Refused } from '../keygen/make.js';

const $ = (id) => document.getElementById(id);
const box = $('sealkey');
/* kept across a retry: once the hall answered, the same key and certificate */
let key = null, made = null;

function say(id, text) {
    const e = $(id);
    e.textContent = text;
    e.hidden = text === '';
}

function fieldSay(name, text) {
    const e = box.querySelector(`.err[data-for="${name}"]`);
    if (e)
        e.textContent = text;
}

function offer(id, bytes, type, name) {
    const a = $(id);
    a.href = URL.createObjectURL(new Blob([bytes], { type }));
    a.download = name;
    a.hidden = false;
    return a;
}

const post = (esId, code, csr) => postCsr('/pki/seal-holder', { es_id: esId, code }, csr);

/* the request for a key of alg; a seal of an SM2 order answers that its key
 * must be SM2 (field csr), and the page makes an SM2 key instead */
async function issue(esId, code) {
    for (const alg of ['ecdsa', 'sm2']) {
        key = await makeKey(alg);
        const csr = await makeCsr(key, 'seal holder');
        say('sealkey-state', '正在签发证书并制作印章……');
        try {
            return await post(esId, code, csr);
        } catch (e) {
            if (!(e instanceof Refused) || e.field !== 'csr' || alg === 'sm2' || !/SM2/.test(e.message))
                throw e;
        }
    }
    throw new Error('未能生成证书，请稍后重试');
}

async function go() {
    const esId = $('sealkey-es').value.trim().toUpperCase(), code = $('sealkey-code').value.trim();
    const pin = $('sealkey-pin').value, again = $('sealkey-pin2').value;
    say('sealkey-err', '');
    fieldSay('es_id', '');
    fieldSay('code', '');
    if (!/^SZCA\d{12}P\d{2}$/.test(esId)) {
        fieldSay('es_id', '请填写短信中的印章编码（SZCA开头，19位）');
        $('sealkey-es').focus();
        return;
    }
    if (code.length !== 10) {
        fieldSay('code', '请填写短信中的10位验证码');
        $('sealkey-code').focus();
        return;
    }
    const fault = pinFault(pin, again);
    if (fault) {
        say('sealkey-err', fault);
        $(pin === again || pinFault(pin) ? 'sealkey-pin' : 'sealkey-pin2').focus();
        return;
    }
    const button = $('sealkey-go');
    button.disabled = true;
    say('sealkey-state', '正在本浏览器中生成密钥……');
    try {
        if (made === null)
            made = await issue(esId, code);
        say('sealkey-state', '正在用您设定的证书PIN码保护证书文件……');
        const p12 = await makeP12(key, unb64(made.cert), pemDer(made.ca), pin, made.name);
        offer('sealkey-seal', unb64(made.seseal), 'application/octet-stream', `${made.es_id}.seseal`);
        offer('sealkey-file', p12, 'application/x-pkcs12', `${made.serial}.p12`).click();
        $('sealkey-pin').value = '';
        $('sealkey-pin2').value = '';
        $('sealkey-form').hidden = true;
        say('sealkey-state', '');
        say('sealkey-done', `证书已签发（序列号 ${made.serial}），机构个人章 ${made.es_id} 已制作。` +
            `证书文件 ${made.serial}.p12 已保存到本机下载目录，请再点击“保存印章文件”保存印章：请立即备份。` +
            '私钥只在这个文件里，网上营业厅没有副本，不能再次下载；忘记PIN码或丢失文件无法解锁，须撤销后由单位重新申请。');
    } catch (e) {
        say('sealkey-state', '');
        if (e.field === 'es_id' || e.field === 'code')
            fieldSay(e.field, e.message);
        else
            say('sealkey-err', e.message || '未能生成证书，请稍后重试');
        button.disabled = false;
    }
}

if (box) {
    $('sealkey-form').addEventListener('submit', (ev) => {
        ev.preventDefault();
        go();
    });
}
