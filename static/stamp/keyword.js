/*
 * 在线盖章's 按关键字定位: where a keyword is shown on the PDF's pages, by
 * the rule hall-stamp sign --keyword follows too (tools/stamp/stamp_find.c;
 * docs/modules/stamp.md, "Finding a keyword: the rule").  The glyphs are
 * read from pdf.js's operator list (each glyph's Unicode from the font's
 * /ToUnicode or encoding, its advance from the font's widths), not from
 * getTextContent, whose runs hide where each glyph is and split a line at
 * every font change (Chromium prints CJK text in a Type 3 font per few
 * glyphs).  Each glyph's text is NFKC-normalized (Skia's maps give Kangxi
 * radicals, ⽅ for 方), white space is ignored, and a match may span runs
 * and fonts within one line.  Its box is poppler's (pdftotext -bbox):
 * along the baseline from the first glyph's origin to the last glyph's
 * advance, across it from the font's descent to its ascent times the font
 * size, both as poppler reads them (below).
 */
import { shownMm } from './place.js';

/* a × b, PDF matrices [a b c d e f] */
function mul(a, b) {
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3], a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]];
}

/* the font's ascent and descent (em) as poppler takes them (GfxFont's
 * font descriptor: /Ascent, /Descent; 0.95 and -0.35 when absent, 0 or
 * beyond 3 em) */
function metrics(font) {
    const a = Math.abs(Number(font.ascent)), d = -Math.abs(Number(font.descent));
    return [a > 0 && a < 3 ? a : 0.95, d < 0 && d > -3 ? d : -0.35];
}

/* poppler's size of a Type 3 font (TextPage::updateFont guesses its glyph
 * space from the width of 'm', else of a one-letter glyph name, else of
 * any named glyph); 1 for other fonts */
function type3Scale(font) {
    if (!font.isType3Font)
        return 1;
    const fm = font.fontMatrix || [0.001, 0, 0, 0.001, 0, 0];
    const names = font.differences || [], widths = font.widths || {};
    const w = (code) => (Number(widths[code]) || 0) * fm[0];
    let m = -1, letter = -1, any = -1;
    for (let code = 0; code < 256; code++) {
        const name = names[code] || font.defaultEncoding?.[code] || '';
        if (name === 'm')
            m = code;
        if (letter < 0 && /^[A-Za-z]$/.test(name))
            letter = code;
        if (any < 0 && name && w(code) > 0)
            any = code;
    }
    let s = 1;
    if (m >= 0 && w(m) > 0)
        s = w(m) / 0.6;
    else if (letter >= 0 && w(letter) > 0)
        s = w(letter) / 0.5;
    else if (any >= 0 && w(any) > 0)
        s = w(any) / 0.5;
    return fm[0] !== 0 ? s * Math.abs(fm[3] / fm[0]) : s;
}

/* whether a glyph (its origin ox, oy and advance's end ex, ey) is on the
 * crop box view, as poppler keeps it (TextPage::addChar): its advance
 * across the box's width, its origin within its height */
function shown(view, ox, oy, ex, ey) {
    const [l, b, r, t] = view;
    return Math.max(ox, ex) >= l && Math.min(ox, ex) <= r && Math.max(oy, ey) >= b && Math.min(oy, ey) <= t;
}

/* the glyphs page shows, in the order its content shows them: { text,
 * ox, oy (origin), ex, ey (origin + advance), ux, uy (the baseline's
 * direction), asc, desc (poppler's box across the baseline, points) },
 * user space */
async function pageGlyphs(page, OPS) {
    const ol = await page.getOperatorList();
    const out = [];
    let ctm = [1, 0, 0, 1, 0, 0], tm = ctm, tlm = ctm;
    let ts = { cs: 0, ws: 0, hs: 1, lead: 0, rise: 0, font: null, size: 0 };
    const stack = [];
    for (let i = 0; i < ol.fnArray.length; i++) {
        const a = ol.argsArray[i];
        switch (ol.fnArray[i]) {
        case OPS.save: stack.push({ ctm, ts: { ...ts } }); break;
        case OPS.restore: case OPS.paintFormXObjectEnd:
            if (stack.length)
                ({ ctm, ts } = stack.pop());
            break;
        case OPS.transform: ctm = mul(a, ctm); break;
        case OPS.paintFormXObjectBegin:
            stack.push({ ctm, ts: { ...ts } });
            if (Array.isArray(a[0]))
                ctm = mul(a[0], ctm);
            break;
        case OPS.beginText: tm = tlm = [1, 0, 0, 1, 0, 0]; break;
        case OPS.setCharSpacing: ts.cs = a[0]; break;
        case OPS.setWordSpacing: ts.ws = a[0]; break;
        case OPS.setHScale: ts.hs = a[0] / 100; break;
        case OPS.setLeading: ts.lead = -a[0]; break;
        case OPS.setTextRise: ts.rise = a[0]; break;
        case OPS.setFont:
            ts.font = page.commonObjs.has(a[0]) ? page.commonObjs.get(a[0]) : null;
            ts.size = a[1];
            break;
        case OPS.moveText: tm = tlm = mul([1, 0, 0, 1, a[0], a[1]], tlm); break;
        case OPS.setLeadingMoveText:
            ts.lead = a[1];
            tm = tlm = mul([1, 0, 0, 1, a[0], a[1]], tlm);
            break;
        case OPS.setTextMatrix: tm = tlm = a.slice(0, 6); break;
        case OPS.nextLine: tm = tlm = mul([1, 0, 0, 1, 0, ts.lead], tlm); break;
        case OPS.showText: {
            const f = ts.font;
            if (!f)
                break;
            const fm = f.fontMatrix || [0.001, 0, 0, 0.001, 0, 0];
            const [asc, desc] = metrics(f);
            const t3 = type3Scale(f);
            for (const g of a[0]) {
                if (typeof g === 'number') {
                    tm = mul([1, 0, 0, 1, -g * ts.size / 1000 * ts.hs, 0], tm);
                    continue;
                }
                if (!g)
                    continue;
                const adv = (g.width || 0) * fm[0] * ts.size + ts.cs + (g.isSpace ? ts.ws : 0);
                const m = mul(tm, ctm);
                const o = mul([1, 0, 0, 1, 0, ts.rise], m), e = mul([1, 0, 0, 1, adv * ts.hs, ts.rise], m);
                /* poppler's font size: the text space's vertical unit shown */
                const size = Math.hypot(m[2], m[3]) * ts.size * t3;
                const len = Math.hypot(m[0], m[1]) || 1;
                if (shown(page.view, o[4], o[5], e[4], e[5]))
                    out.push({ text: g.unicode || '', ox: o[4], oy: o[5], ex: e[4], ey: e[5],
                        ux: m[0] / len, uy: m[1] / len, asc: asc * size, desc: desc * size, size });
                tm = mul([1, 0, 0, 1, adv * ts.hs, 0], tm);
            }
            break;
        }
        default:
        }
    }
    return out;
}

/* each glyph's text as the rule compares it: NFKC, without white space */
export function normalized(text) {
    return text.normalize('NFKC').replace(/\s+/gu, '');
}

/* lines: runs of glyphs going forward on one baseline */
function lines(glyphs) {
    const out = [];
    let cur = [];
    for (const g of glyphs) {
        const p = cur[cur.length - 1];
        if (p) {
            const dx = g.ox - p.ex, dy = g.oy - p.ey;
            const along = dx * p.ux + dy * p.uy, across = -dx * p.uy + dy * p.ux;
            const em = Math.max(p.size, g.size, 1);
            if (Math.abs(g.ux - p.ux) > 0.01 || Math.abs(g.uy - p.uy) > 0.01 ||
                Math.abs(across) > 0.3 * em || along < -0.5 * em || along > 3 * em) {
                out.push(cur);
                cur = [];
            }
        }
        cur.push(g);
    }
    if (cur.length)
        out.push(cur);
    return out;
}

/* the centre of glyphs[i..j]'s box (user space) */
function centre(run) {
    const f = run[0], ux = f.ux, uy = f.uy;
    /* along and across the first glyph's baseline, from its origin */
    const at = (x, y) => [(x - f.ox) * ux + (y - f.oy) * uy, -(x - f.ox) * uy + (y - f.oy) * ux];
    let a0 = Infinity, a1 = -Infinity, c0 = Infinity, c1 = -Infinity;
    for (const g of run) {
        const [o, oc] = at(g.ox, g.oy), [e] = at(g.ex, g.ey);
        a0 = Math.min(a0, o, e);
        a1 = Math.max(a1, o, e);
        c0 = Math.min(c0, oc + g.desc);
        c1 = Math.max(c1, oc + g.asc);
    }
    const a = (a0 + a1) / 2, c = (c0 + c1) / 2;
    return [f.ox + a * ux - c * uy, f.oy + a * uy + c * ux];
}

/* where keyword is on one page's glyphs: [x, y] user space per match */
export function matchGlyphs(glyphs, keyword) {
    const kw = normalized(keyword);
    const out = [];
    if (!kw)
        return out;
    for (const line of lines(glyphs)) {
        let s = '';
        const owner = []; /* the glyph of each UTF-16 unit of s */
        line.forEach((g, i) => {
            const t = normalized(g.text);
            s += t;
            for (let k = 0; k < t.length; k++)
                owner.push(i);
        });
        for (let from = 0; ;) {
            const at = s.indexOf(kw, from);
            if (at < 0)
                break;
            from = at + kw.length;
            out.push(centre(line.slice(owner[at], owner[at + kw.length - 1] + 1)));
        }
    }
    return out;
}

/* doc: pdf.js's document; pages: pdf-update.js's readPdf().pages (box,
 * rotate); lib: pdf.js (the vendored one unless given).  Every match,
 * { page (1-based), xMm, yMm }, mm from the top-left of the media box as
 * shown (as the form's 距左, 距上 and hall-stamp's --x --y), in the order
 * the tool takes them: by page, then top to bottom and left to right */
export async function findKeyword(doc, pages, keyword, lib = null) {
    const pdfjs = lib || await import('./vendor/pdf.min.js');
    /* a copy opened with the fonts' widths and encodings (the Type 3 rule) */
    const own = await pdfjs.getDocument({ data: await doc.getData(), fontExtraProperties: true,
        isEvalSupported: false, useSystemFonts: true }).promise;
    const out = [];
    try {
        for (let n = 1; n <= own.numPages && n <= pages.length; n++) {
            const glyphs = await pageGlyphs(await own.getPage(n), pdfjs.OPS);
            for (const [px, py] of matchGlyphs(glyphs, keyword)) {
                const [xMm, yMm] = shownMm(pages[n - 1], px, py);
                out.push({ page: n, xMm, yMm });
            }
        }
    } finally {
        await own.destroy();
    }
    return out.sort(byPlace);
}

/* by page, then rows 1 mm apart top to bottom, then left to right */
export function byPlace(p, q) {
    if (p.page !== q.page)
        return p.page - q.page;
    if (Math.abs(p.yMm - q.yMm) > 1)
        return p.yMm - q.yMm;
    return p.xMm - q.xMm;
}
