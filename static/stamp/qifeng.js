/*
 * 在线盖章's 骑缝章 (cross-page seal; docs/modules/seal.md "在线盖章",
 * docs/internals/stamp.md §1c): the page range the holder typed read, and
 * the preview: each chosen page small, as shown (its /Rotate applied), with
 * the slice of the seal the stamp will put on its edge, drawn where
 * pdf-update.js's qifengPlan puts it.  Loaded when 加盖骑缝章 is first
 * ticked; the stamp itself is stamp.js's (o.qifeng).
 */

/* pages the preview draws at most; the stamp covers every chosen page */
export const PREVIEW_PAGES = 12;

export class QifengError extends Error {
    constructor(message) {
        super(message);
        this.field = 'qifeng';
    }
}

/* '' → every page ({}); '2-4' (or 2－4, 2至4) → { first: 2, last: 4 };
 * '3' → { first: 3, last: 3 } (refused by qifengPlan: one page) */
export function parseRange(text) {
    const t = text.trim();
    if (t === '')
        return {};
    const m = /^(\d{1,5})\s*(?:[-－—~～至到]\s*(\d{1,5}))?$/.exec(t);
    if (!m)
        throw new QifengError('骑缝章的页码范围应写作“起始页-结束页”，如 1-5；不填则为全部页。');
    const first = Number(m[1]), last = m[2] === undefined ? first : Number(m[2]);
    if (first < 1 || last < first)
        throw new QifengError(`骑缝章的页码范围“${t}”有误：起始页应不小于1，且不大于结束页。`);
    return { first, last };
}

let drawing = 0; /* the latest preview; an older one still drawing stops */

/*
 * The preview into box (an element, emptied): plan is qifengPlan's,
 * pdfjs the document pdf.js opened, sealUrl the seal's picture.
 */
export async function drawPreview(box, plan, pdfjs, sealUrl) {
    const mine = ++drawing;
    const img = new Image();
    img.src = sealUrl;
    await img.decode();
    box.textContent = '';
    const shown = plan.slices.slice(0, PREVIEW_PAGES);
    for (const s of shown) {
        const page = await pdfjs.getPage(s.pg);
        if (mine !== drawing)
            return;
        const natural = page.getViewport({ scale: 1 });
        const scale = 200 / natural.height; /* 200 px high, as shown */
        const viewport = page.getViewport({ scale });
        const fig = document.createElement('figure');
        const canvas = document.createElement('canvas');
        canvas.width = Math.ceil(viewport.width);
        canvas.height = Math.ceil(viewport.height);
        canvas.setAttribute('role', 'img');
        canvas.setAttribute('aria-label', `第${s.pg}页，骑缝章的第${s.idx + 1}条（共${plan.n}条）`);
        const cap = document.createElement('figcaption');
        cap.textContent = `第${s.pg}页`;
        fig.append(canvas, cap);
        box.append(fig);
        const ctx = canvas.getContext('2d');
        await page.render({ canvasContext: ctx, viewport }).promise;
        if (mine !== drawing)
            return;
        /* the slice: the picture's idx-th n-th, at the seal's scale */
        const k = scale;
        const cw = img.naturalWidth / plan.n;
        ctx.globalAlpha = 0.9;
        ctx.drawImage(img, s.idx * cw, 0, cw, img.naturalHeight, (s.xs - plan.sw / 2) * k, (s.ys - plan.h / 2) * k,
            plan.sw * k, plan.h * k);
    }
    if (plan.slices.length > shown.length) {
        const more = document.createElement('p');
        more.className = 'hint';
        more.textContent = `另有${plan.slices.length - shown.length}页未列出预览，盖章时同样加盖。`;
        box.append(more);
    }
}
