/*
 * 在线盖章 page (templates/seal_stamp.html): the files chosen, the page
 * previewed by pdf.js, the seal placed by a click (drawn at its real size),
 * 盖章 → stamp.js → a download link to the stamped PDF (PAdES B-LT), and
 * 添加文档时间戳 → the same with a document timestamp (B-LTA).  The seal's
 * key is the .p12's (a browser-made key, opened here) or on the holder's
 * USB key (印章证书所在 USB Key: usbkey.js, through the 证书助手's extension,
 * which asks the PIN in its own dialog; the hall names the medium,
 * data-seal-medium, when the seal's key was born on one).  Every file
 * stays in this page; the only requests it makes besides loading itself are
 * the hall's verdict on the seal chosen (GET /sign/stamp-check by its esID
 * and its signer's serial: a revoked certificate or a cancelled seal is
 * refused with the words hall-stamp sign uses, before the PIN), the
 * timestamps and the signer's evidence by its serial (stamp.js) and,
 * logged in with ?id=, the holder's own .seseal.
 *
 * The page loads itself only; a seal chosen (or the holder's own, ?id=)
 * is read and asked about by seal.js and base.js (a few KiB).  The PDF and
 * crypto code (pdf.js, pdf-lib, PKI.js, the PDF and PKCS#12 readers: about
 * 1.6 MB, 390 KiB sent; SM2's for an SM2 medium only) is fetched when a file
 * is chosen (the PDF, or the seal's or the certificate's file), never with
 * the page, with or without the holder's own seal, so the page shows and
 * answers at once (docs/performance.md, bench/lighthouse.js).
 */
let libsLoading = null;
let sealLoading = null;
let P = null; /* place.js: mm on the page as shown ↔ user space */

/* pdf.js, files.js, pdf-update.js and stamp.js, loaded once */
function libs() {
    if (!libsLoading) {
        libsLoading = Promise.all([import('./vendor/pdf.min.js'), import('./files.js'),
            import('./pdf-update.js'), import('./stamp.js'), import('./place.js'), import('./batch.js')])
            .then(([pdfjsLib, files, update, stamp, place, batch]) => {
            P = place;
            pdfjsLib.GlobalWorkerOptions.workerSrc = new URL('./vendor/pdf.worker.min.js', import.meta.url).href;
            return { pdfjsLib, openSeal: files.openSeal, readPdf: update.readPdf, stampPdf: stamp.stampPdf,
                mayStamp: stamp.mayStamp,
                addDocTimestamp: stamp.addDocTimestamp, stampMany: batch.stampMany, zipStored: batch.zipStored,
                qifengPlan: update.qifengPlan };
        });
        libsLoading.catch(() => {
            libsLoading = null; /* a network error: tried again at the next use */
        });
    }
    return libsLoading;
}

/* seal.js (with base.js: the seal read and asked about), loaded once */
function sealJs() {
    if (!sealLoading) {
        sealLoading = import('./seal.js');
        sealLoading.catch(() => {
            sealLoading = null;
        });
    }
    return sealLoading;
}

/* the code fetched without waiting for it: a seal's or a certificate's
 * file chosen (a PDF, which needs it at once, awaits libs()) */
function soon() {
    libs().catch(() => {}); /* tried again at the next use */
}

/* a refusal that names its field (files.js's StampError, or the page's own) */
class FieldError extends Error {
    constructor(field, message) {
        super(message);
        this.field = field;
    }
}
const isFieldError = (e) => e instanceof Error && typeof e.field === 'string';

const $ = (id) => document.getElementById(id);
const root = $('stamp');
const base = root.dataset.base || '';
const MM = 72 / 25.4;
const FIELDS = ['pdf', 'seseal', 'p12', 'pin', 'usbkey', 'page', 'place', 'qifeng', 'tsa', 'lta'];
const INPUT = { pdf: 'stamp-pdf', seseal: 'stamp-seseal', p12: 'stamp-p12', pin: 'stamp-pin', usbkey: 'stamp-via-usb',
    page: 'stamp-page', place: 'stamp-x', qifeng: 'stamp-qifeng-pages', tsa: 'stamp-go', lta: 'stamp-lta' };

const st = { pdfName: '', pdfBytes: null, pdfInfo: null, pdfjs: null, seal: null, sealUrl: null, p12: null,
    sealRefused: null, /* the hall's words when the seal may not stamp (GET /sign/stamp-check) */
    viewport: null, busy: false, outUrl: null, outBytes: null, ltaUrl: null, files: [], zipUrl: null,
    qfGen: 0 /* the latest 骑缝章 preview */ };

function clearErrors() {
    for (const f of FIELDS)
        $(`err-${f}`).textContent = '';
}

function showError(e) {
    if (isFieldError(e)) {
        const field = FIELDS.includes(e.field) ? e.field : 'tsa';
        $(`err-${field}`).textContent = e.message;
        $(INPUT[field]).focus();
    } else {
        $('err-tsa').textContent = '盖章失败：浏览器无法完成此操作，请使用最新版 Chrome、Edge、Firefox 或 Safari 浏览器后重试。';
        console.error(e);
    }
    $('stamp-status').textContent = '';
}

function status(text) {
    $('stamp-status').textContent = text;
}

async function fileBytes(input) {
    const f = input.files && input.files[0];
    return f ? { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) } : null;
}

function resetResult() {
    $('stamp-done').hidden = true;
    $('stamp-batch-done').hidden = true;
    $('stamp-results').textContent = '';
    $('stamp-lta-done').hidden = true;
    $('stamp-lta-status').textContent = '';
    $('err-lta').textContent = '';
    st.outBytes = null;
    for (const k of ['outUrl', 'ltaUrl', 'zipUrl'])
        if (st[k]) {
            URL.revokeObjectURL(st[k]);
            st[k] = null;
        }
}

/* ---- the seal ------------------------------------------------------------------------ */

/* the hall's rule before a stamp (GET /sign/stamp-check: a revoked
 * certificate, a cancelled seal, a status that cannot be learnt): asked once
 * the seal is chosen, before the PIN; refused, the PIN and 盖章 wait for
 * another seal, and the words of the rule are said under the seal's field */
const CHECK_URL = '/sign/stamp-check';

function sealRefused(message) {
    st.sealRefused = message;
    $('stamp-pin').disabled = Boolean(message);
    $('stamp-go').disabled = Boolean(message);
    $('err-seseal').textContent = message || '';
    root.dataset.sealCheck = message ? 'refused' : 'yes';
}

async function checkSeal(seal) {
    delete root.dataset.sealCheck;
    const may = await (await sealJs()).mayStamp(seal, CHECK_URL);
    if (st.seal !== seal)
        return; /* another seal chosen meanwhile */
    sealRefused(may.ok ? null : may.message);
    if (!may.ok)
        $('stamp-seseal').focus();
}

async function useSeal(bytes, from) {
    const { openSeal } = await sealJs();
    st.seal = openSeal(bytes);
    checkSeal(st.seal);
    if (st.sealUrl)
        URL.revokeObjectURL(st.sealUrl);
    st.sealUrl = URL.createObjectURL(new Blob([st.seal.picture.data], { type: 'image/png' }));
    $('stamp-seal-chosen').textContent = `${from}：${st.seal.name}（印章编码 ${st.seal.esId}，` +
        `${st.seal.picture.widthMm}×${st.seal.picture.heightMm} 毫米）`;
    placeMark();
    qifengPreview();
}

$('stamp-seseal').addEventListener('change', async () => {
    clearErrors();
    resetResult();
    st.seal = null;
    sealRefused(null);
    $('stamp-seal-chosen').textContent = '';
    const f = await fileBytes($('stamp-seseal'));
    if (!f)
        return;
    try {
        await useSeal(f.bytes, '已选择');
        sealField(false);
        soon();
    } catch (e) {
        showError(e);
    }
});

/* the seal file's field: required until a seal is chosen; with the
 * holder's own seal already in use, optional (another file may replace it) */
function sealField(preselected) {
    $('stamp-seseal-label').textContent = preselected ? '电子印章文件（已选用我的电子印章，如需更换可另选文件）'
        : '*电子印章文件（.seseal）';
}

/* logged in, from 我的电子印章: the holder's own seal file */
async function preselect() {
    const item = root.dataset.sealItem;
    if (!item)
        return;
    try {
        const r = await fetch(`${base}/seal/seseal?id=${encodeURIComponent(item)}`,
            { credentials: 'same-origin', headers: { Accept: 'application/octet-stream' } });
        if (r.status === 410) {
            /* a cancelled seal: the hall's words, and nothing to stamp with */
            const j = await r.json().catch(() => ({}));
            sealRefused(j.message || '该电子印章已注销，不能再用于盖章');
            return;
        }
        if (r.status !== 200)
            return;
        const bytes = new Uint8Array(await r.arrayBuffer());
        await useSeal(bytes, '已选用我的电子印章');
        sealField(true);
    } catch (e) {
        /* the holder chooses the file then */
    }
}

/* ---- the PDF and its preview -------------------------------------------------------------- */

$('stamp-pdf').addEventListener('change', async () => {
    clearErrors();
    resetResult();
    st.pdfInfo = null;
    st.pdfBytes = null;
    $('stamp-preview').hidden = true;
    $('stamp-pages').textContent = '';
    if (st.pdfjs) {
        st.pdfjs.destroy();
        st.pdfjs = null;
    }
    st.files = Array.from($('stamp-pdf').files || []);
    $('stamp-many').textContent = st.files.length > 1
        ? `已选择 ${st.files.length} 个文件：印章盖在每个文件的同一页、同一位置；下方预览第一个文件。` : '';
    const f = await fileBytes($('stamp-pdf'));
    if (!f)
        return;
    status('正在读取PDF文件…');
    try {
        const L = await libs();
        st.pdfInfo = await L.readPdf(f.bytes);
        st.pdfBytes = f.bytes;
        st.pdfName = f.name;
        /* pdf.js takes its copy into its worker */
        st.pdfjs = await L.pdfjsLib.getDocument({ data: f.bytes.slice(), isEvalSupported: false,
            useSystemFonts: true }).promise;
    } catch (e) {
        st.pdfInfo = null;
        showError(isFieldError(e) ? e : new FieldError('pdf', 'PDF文件已损坏或不是PDF文件，无法盖章。请选择完整的PDF文件。'));
        return;
    }
    const n = st.pdfInfo.pages.length;
    $('stamp-page').max = String(n);
    $('stamp-page').value = '1';
    $('stamp-pages').textContent = `共 ${n} 页`;
    status('');
    await render();
    await qifengPreview();
});

async function render() {
    if (!st.pdfjs)
        return;
    const n = Number($('stamp-page').value);
    if (!Number.isInteger(n) || n < 1 || n > st.pdfInfo.pages.length) {
        $('err-page').textContent = `页码应为 1 至 ${st.pdfInfo.pages.length}。`;
        return;
    }
    $('err-page').textContent = '';
    const page = await st.pdfjs.getPage(n);
    const natural = page.getViewport({ scale: 1 });
    const scale = Math.min(1.5, 760 / natural.width);
    const viewport = page.getViewport({ scale });
    const dpr = window.devicePixelRatio || 1;
    const canvas = $('stamp-canvas');
    canvas.width = Math.floor(viewport.width * dpr);
    canvas.height = Math.floor(viewport.height * dpr);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.style.height = `${Math.floor(viewport.height)}px`;
    st.viewport = viewport;
    $('stamp-preview').hidden = false;
    await page.render({ canvasContext: canvas.getContext('2d'), viewport,
        transform: dpr !== 1 ? [dpr, 0, 0, dpr, 0, 0] : null }).promise;
    placeMark();
}

$('stamp-page').addEventListener('change', () => {
    resetResult();
    render();
});

/* the seal's box in PDF user space → the preview's CSS pixels */
function placeMark() {
    const mark = $('stamp-mark');
    const x = Number($('stamp-x').value), y = Number($('stamp-y').value);
    if (!st.viewport || !st.seal || !st.pdfInfo || $('stamp-x').value === '' || $('stamp-y').value === '') {
        mark.hidden = true;
        return;
    }
    const w = st.seal.picture.widthMm * MM, h = st.seal.picture.heightMm * MM;
    const pg = st.pdfInfo.pages[Number($('stamp-page').value) - 1];
    const [cx, cy] = P.userPoint(pg, x, y);
    const r = P.sealRect(pg, cx, cy, w, h);
    const [ax, ay] = st.viewport.convertToViewportPoint(r[0], r[1]);
    const [bx, by] = st.viewport.convertToViewportPoint(r[2], r[3]);
    const k = $('stamp-canvas').clientWidth / st.viewport.width;
    mark.style.left = `${Math.min(ax, bx) * k}px`;
    mark.style.top = `${Math.min(ay, by) * k}px`;
    mark.style.width = `${Math.abs(bx - ax) * k}px`;
    mark.style.height = `${Math.abs(by - ay) * k}px`;
    if (mark.getAttribute('src') !== st.sealUrl) /* the picture decoded once it is shown */
        mark.src = st.sealUrl;
    mark.hidden = false;
}

$('stamp-canvas').addEventListener('click', (ev) => {
    if (!st.viewport)
        return;
    resetResult();
    const canvas = $('stamp-canvas');
    const r = canvas.getBoundingClientRect();
    const k = st.viewport.width / r.width;
    const [px, py] = st.viewport.convertToPdfPoint((ev.clientX - r.left) * k, (ev.clientY - r.top) * k);
    const [xm, ym] = P.shownMm(st.pdfInfo.pages[Number($('stamp-page').value) - 1], px, py);
    $('stamp-x').value = xm.toFixed(1);
    $('stamp-y').value = ym.toFixed(1);
    $('err-place').textContent = '';
    placeMark();
});

/* 按关键字定位: the seal's centre on the keyword's (keyword.js), the page
 * and the mm filled in for the holder to check or move */
$('stamp-find').addEventListener('click', async () => {
    const kw = $('stamp-keyword').value.trim();
    $('err-keyword').textContent = '';
    if (!st.pdfjs || !kw) {
        $('err-keyword').textContent = !st.pdfjs ? '请先选择PDF文件。' : '请输入要查找的关键字。';
        return;
    }
    resetResult();
    const K = await import('./keyword.js');
    const found = await K.findKeyword(st.pdfjs, st.pdfInfo.pages, kw);
    if (found.length === 0) {
        const n = st.pdfjs.numPages;
        const pages = n === 1 ? '第1页' : `第1至${n}页`;
        $('err-keyword').textContent = `文档中没有关键字“${kw}”（已查找${pages}，共${n}页）。`;
        return;
    }
    const m = $('stamp-keyword-match').value === 'last' ? found[found.length - 1] : found[0];
    $('stamp-page').value = String(m.page);
    $('stamp-x').value = m.xMm.toFixed(1);
    $('stamp-y').value = m.yMm.toFixed(1);
    $('err-place').textContent = '';
    await render();
});

/* ---- 骑缝章 (qifeng.js, loaded when first ticked) -------------------------------------- */

/* the 骑缝章's options ({ edge, first, last }: stamp.js's o.qifeng), or
 * null when not ticked; a bad range: FieldError('qifeng') */
async function qifengOptions() {
    if (!$('stamp-qifeng').checked)
        return null;
    const Q = await import('./qifeng.js');
    return { edge: $('stamp-qifeng-edge').value, ...Q.parseRange($('stamp-qifeng-pages').value) };
}

/* each chosen page small with its slice on the edge, as it will be stamped */
async function qifengPreview() {
    const box = $('stamp-qifeng-preview');
    const gen = ++st.qfGen;
    delete box.dataset.ready; /* set when this preview is drawn whole */
    $('err-qifeng').textContent = '';
    $('stamp-qifeng-opts').hidden = !$('stamp-qifeng').checked;
    if (!$('stamp-qifeng').checked || !st.pdfInfo || !st.pdfjs || !st.seal) {
        box.hidden = true;
        return;
    }
    try {
        const q = await qifengOptions();
        const [L, Q] = await Promise.all([libs(), import('./qifeng.js')]);
        const plan = L.qifengPlan(st.pdfInfo, { ...q, seal: st.seal });
        box.hidden = false;
        await Q.drawPreview(box, plan, st.pdfjs, st.sealUrl);
        if (gen === st.qfGen)
            box.dataset.ready = String(plan.n);
    } catch (e) {
        box.hidden = true;
        if (isFieldError(e))
            $('err-qifeng').textContent = e.message;
        else
            console.error(e);
    }
}

for (const id of ['stamp-qifeng', 'stamp-qifeng-edge', 'stamp-qifeng-pages'])
    $(id).addEventListener('change', () => {
        resetResult();
        qifengPreview();
    });

for (const id of ['stamp-x', 'stamp-y'])
    $(id).addEventListener('input', () => {
        resetResult();
        placeMark();
    });

/* ---- 印章证书所在: the USB key (the 证书助手) or the .p12 ------------------------------- */

const viaUsb = () => $('stamp-via-usb').checked;

/* the assistant asked at once when the USB key is chosen: without it the
 * page says so, and how to install it, before anything is filled in */
async function usbCheck() {
    $('err-usbkey').textContent = '';
    $('stamp-usb-status').textContent = '正在检测证书助手…';
    delete root.dataset.assist;
    try {
        const { hello } = await import('../assist/bridge.js');
        const h = await hello();
        $('stamp-usb-status').textContent = `证书助手已就绪（版本 ${h.version}）。`;
        root.dataset.assist = 'yes';
    } catch (e) {
        $('stamp-usb-status').textContent = '';
        $('err-usbkey').textContent = e.message;
        root.dataset.assist = 'missing';
    }
}

function showVia() {
    $('stamp-usb').hidden = !viaUsb();
    $('stamp-file').hidden = viaUsb();
    clearErrors();
    resetResult();
    if (viaUsb())
        usbCheck();
}

for (const id of ['stamp-via-usb', 'stamp-via-file'])
    $(id).addEventListener('change', showVia);

/* the USB key's medium for stamp.js (usbkey.js): FieldError('usbkey') */
async function usbMedium() {
    status('正在通过证书助手查找存有印章证书的USB Key…');
    const { openUsbMedium } = await import('./usbkey.js');
    const m = await openUsbMedium(st.seal, root.dataset.sealMedium || '');
    $('stamp-usb-status').textContent = `使用USB Key（介质 ${m.label}）中的印章证书；请在证书助手的对话框中核对并输入PIN码。`;
    return m;
}

/* ---- 盖章 ------------------------------------------------------------------------------ */

/* a time as every page of the hall writes it: 2026-11-27 14:05:09, Beijing */
function beijing(d) {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', year: 'numeric',
        month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
        .formatToParts(d).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

$('stamp-p12').addEventListener('change', async () => {
    resetResult();
    soon();
    const f = await fileBytes($('stamp-p12'));
    st.p12 = f ? f.bytes : null;
    $('err-p12').textContent = '';
});

$('stamp-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (st.busy)
        return;
    clearErrors();
    resetResult();
    const missing = [];
    if (!st.pdfInfo && st.files.length <= 1)
        missing.push(new FieldError('pdf', '请选择待盖章的PDF文件。'));
    if (!st.seal)
        missing.push(new FieldError('seseal', '请选择电子印章文件（.seseal）。'));
    else if (st.sealRefused)
        missing.push(new FieldError('seseal', st.sealRefused));
    if (!viaUsb() && !st.p12)
        missing.push(new FieldError('p12', '请选择印章证书文件（.p12）。'));
    if (!viaUsb() && !$('stamp-pin').value)
        missing.push(new FieldError('pin', '请输入证书PIN码。'));
    let qifeng = null;
    try {
        qifeng = await qifengOptions();
    } catch (e) {
        missing.push(e);
    }
    /* with a 骑缝章 the page stamp is optional: a place given adds it */
    const placed = $('stamp-x').value !== '' && $('stamp-y').value !== '';
    if (!placed && !qifeng)
        missing.push(new FieldError('place', '请在页面预览上点击，选择印章位置。'));
    if (missing.length) {
        for (const e of missing.reverse())
            showError(e);
        return;
    }
    st.busy = true;
    $('stamp-go').disabled = true;
    const where = placed ? { pageIndex: Number($('stamp-page').value) - 1, xMm: Number($('stamp-x').value),
        yMm: Number($('stamp-y').value) } : {};
    if (viaUsb()) {
        try {
            await libs(); /* files.js, which usbkey.js reads the certificate with */
            where.medium = await usbMedium();
        } catch (e) {
            showError(isFieldError(e) ? e : new FieldError('usbkey', '无法通过证书助手使用USB Key。'));
            st.busy = false;
            $('stamp-go').disabled = Boolean(st.sealRefused);
            return;
        }
    }
    if (st.files.length > 1) {
        await stampFiles({ ...where, qifeng });
        return;
    }
    status(`${qifeng ? '正在加盖骑缝章' : '正在盖章'}：${where.medium ? '请在证书助手的对话框中输入PIN码；' : '打开印章证书、'}签名并申请时间戳…`);
    try {
        const { stampPdf } = await libs();
        const out = await stampPdf({ pdfInfo: st.pdfInfo, sealInfo: st.seal, p12: st.p12,
            pin: $('stamp-pin').value, ...where, qifeng, tsaUrl: '/tsa', evidenceUrl: '/sign/evidence',
            checkUrl: CHECK_URL, documentName: st.pdfName });
        st.outBytes = out.bytes;
        st.outUrl = URL.createObjectURL(new Blob([out.bytes], { type: 'application/pdf' }));
        const a = $('stamp-download');
        a.href = st.outUrl;
        a.download = `${baseName()}-盖章.pdf`;
        $('stamp-level').textContent = out.level === 'B-LT'
            ? '签章级别：PAdES B-LT（长期验证）：文件内含证书链和签章时的吊销状态（OCSP答复），验证时无需联网查询。'
            : out.level === 'GB/T 38540' ? SM2_LEVEL : `签章级别：PAdES B-T。${out.warning || ''}`;
        $('stamp-done').hidden = false;
        status(`盖章完成${qifeng ? `（含骑缝章${placed ? '及页面印章' : ''}）` : ''}：${out.name}（${out.esId}），` +
            `可信时间 ${beijing(out.genTime)}（北京时间）。`);
        a.focus();
    } catch (e) {
        /* refused by the rule at 盖章 (the seal cancelled meanwhile): as when chosen */
        if (isFieldError(e) && e.field === 'seseal')
            st.sealRefused = e.message;
        showError(e);
    } finally {
        st.busy = false;
        $('stamp-go').disabled = Boolean(st.sealRefused);
        $('stamp-pin').disabled = Boolean(st.sealRefused);
    }
});

/* an SM2 signer's stamp (sm2.js): GB/T 38540's own format, no PAdES level */
const SM2_LEVEL = '签章格式：GB/T 38540 电子签章（国密SM2/SM3），含可信时间戳；验证时联网查询吊销状态。';

/* several files: each stamped in turn, each one's result listed, the
 * stamped ones in one ZIP (batch.js) */
async function stampFiles(where) {
    try {
        const L = await libs();
        const common = { sealInfo: st.seal, p12: st.p12, pin: $('stamp-pin').value, ...where, tsaUrl: '/tsa',
            evidenceUrl: '/sign/evidence', checkUrl: CHECK_URL };
        const { results, stop } = await L.stampMany(st.files, common, L,
            (i, n, name) => status(`正在盖章（第 ${i + 1} 个，共 ${n} 个）：${name}…`));
        if (stop) {
            if (stop.field === 'seseal')
                st.sealRefused = stop.message;
            showError(new FieldError(stop.field, stop.message));
            return;
        }
        const list = $('stamp-results');
        for (const r of results) {
            const li = document.createElement('li');
            li.className = r.ok ? 'ok' : 'err';
            li.textContent = r.ok
                ? `${r.name}：已盖章（PAdES ${r.level}）${r.warning ? `。${r.warning}` : ''}`
                : `${r.name}：未盖章。${r.error}`;
            list.append(li);
        }
        const done = results.filter((r) => r.ok);
        const failed = results.length - done.length;
        if (done.length > 0) {
            const zip = L.zipStored(done.map((r) => ({ name: r.outName, bytes: r.bytes })));
            st.zipUrl = URL.createObjectURL(new Blob([zip], { type: 'application/zip' }));
            const a = $('stamp-zip');
            a.href = st.zipUrl;
            a.download = `盖章文件-${done.length}个.zip`;
            a.textContent = `下载全部盖章后的PDF（ZIP，${done.length} 个文件）`;
            $('stamp-zip-line').hidden = false;
        } else {
            $('stamp-zip-line').hidden = true;
        }
        $('stamp-batch-done').hidden = false;
        status(`盖章完成：${done.length} 个文件已盖章${failed ? `，${failed} 个未盖章（原因见下方列表）` : ''}。`);
        (done.length > 0 ? $('stamp-zip') : list).focus();
    } catch (e) {
        showError(e);
    } finally {
        st.busy = false;
        $('stamp-go').disabled = Boolean(st.sealRefused);
        $('stamp-pin').disabled = Boolean(st.sealRefused);
    }
}

function baseName() {
    return st.pdfName.replace(/\.pdf$/i, '') || 'document';
}

/* 添加文档时间戳: the stamped file with a document timestamp (PAdES B-LTA) */
$('stamp-lta').addEventListener('click', async () => {
    if (st.busy || !st.outBytes)
        return;
    st.busy = true;
    $('stamp-lta').disabled = true;
    $('err-lta').textContent = '';
    $('stamp-lta-status').textContent = '正在申请文档时间戳…';
    try {
        const { addDocTimestamp } = await libs();
        const out = await addDocTimestamp(st.outBytes, '/tsa');
        if (st.ltaUrl)
            URL.revokeObjectURL(st.ltaUrl);
        st.ltaUrl = URL.createObjectURL(new Blob([out.bytes], { type: 'application/pdf' }));
        const a = $('stamp-lta-download');
        a.href = st.ltaUrl;
        a.download = `${baseName()}-盖章-文档时间戳.pdf`;
        $('stamp-lta-done').hidden = false;
        $('stamp-lta-status').textContent = `已添加文档时间戳（PAdES B-LTA），时间 ${beijing(out.genTime)}（北京时间）。`;
        a.focus();
    } catch (e) {
        $('stamp-lta-status').textContent = '';
        $('err-lta').textContent = isFieldError(e) ? e.message
            : '添加文档时间戳失败：浏览器无法完成此操作，请使用最新版浏览器后重试。';
        if (!isFieldError(e))
            console.error(e);
    } finally {
        st.busy = false;
        $('stamp-lta').disabled = false;
    }
});

preselect();
if (viaUsb())
    usbCheck();
