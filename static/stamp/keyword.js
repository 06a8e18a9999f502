/*
 * 在线盖章's 按关键字定位 (docs/modules/sign.md): where a keyword is shown on
 * the PDF's pages, found in pdf.js's text (getTextContent: the fonts'
 * ToUnicode maps, CJK included), as mm on the page as shown, the centre of
 * the keyword's box, as hall-stamp sign --keyword finds it (poppler).
 * Within one text run, a character's share of the run's width is taken as
 * equal (CJK text is set in full-width characters).
 */
import { shownMm } from './place.js';

/* doc: pdf.js's document; pages: pdf-update.js's readPdf().pages (box,
 * rotate).  Every match, { page (1-based), xMm, yMm }, in the order the
 * tool takes them: by page, then top to bottom and left to right as shown */
export async function findKeyword(doc, pages, keyword) {
    const kw = [...keyword];
    const out = [];
    for (let n = 1; n <= doc.numPages && n <= pages.length; n++) {
        const text = await (await doc.getPage(n)).getTextContent();
        for (const item of text.items) {
            const chars = [...(item.str || '')];
            const str = chars.join('');
            let from = 0;
            for (;;) {
                const at = str.indexOf(keyword, from);
                if (at < 0)
                    break;
                from = at + keyword.length;
                const i = [...str.slice(0, at)].length;
                const [a, b, , , e, f] = item.transform;
                const len = Math.hypot(a, b) || 1;
                const ux = a / len, uy = b / len; /* the run's direction in user space */
                const along = item.width * (i + kw.length / 2) / chars.length;
                const up = item.height / 2;
                const px = e + ux * along - uy * up, py = f + uy * along + ux * up;
                const [xMm, yMm] = shownMm(pages[n - 1], px, py);
                out.push({ page: n, xMm, yMm });
            }
        }
    }
    return out.sort((p, q) => p.page - q.page || p.yMm - q.yMm || p.xMm - q.xMm);
}
