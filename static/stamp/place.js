/*
 * Where a point given in mm lands on a PDF page as it is shown, its
 * /Rotate applied (docs/internals/stamp.md §1, "Where the seal goes"): the
 * same arithmetic as core/stamp/stamp_der.c's hall_stamp_point, for the
 * update (pdf-update.js) and the preview (page.js).  page: { box: { x, y,
 * width, height } (the /MediaBox), rotate: 0, 90, 180 or 270 }.
 */
export const MM = 72 / 25.4;

/* mm from the top-left of the page as shown → PDF user space */
export function userPoint(page, xMm, yMm) {
    const { x, y, width, height } = page.box;
    const dx = xMm * MM, dy = yMm * MM;
    switch (page.rotate || 0) {
    case 90: return [x + dy, y + dx];
    case 180: return [x + width - dx, y + dy];
    case 270: return [x + width - dy, y + height - dx];
    default: return [x + dx, y + height - dy];
    }
}

/* PDF user space → mm from the top-left of the page as shown */
export function shownMm(page, px, py) {
    const { x, y, width, height } = page.box;
    let dx, dy;
    switch (page.rotate || 0) {
    case 90: dx = py - y; dy = px - x; break;
    case 180: dx = x + width - px; dy = py - y; break;
    case 270: dx = y + height - py; dy = x + width - px; break;
    default: dx = px - x; dy = y + height - py;
    }
    return [dx / MM, dy / MM];
}

/* the page's size as shown, mm */
export function shownSize(page) {
    const turned = page.rotate === 90 || page.rotate === 270;
    return { widthMm: (turned ? page.box.height : page.box.width) / MM,
        heightMm: (turned ? page.box.width : page.box.height) / MM };
}

/* the seal's box (w × h points, upright as shown) in user space, centred
 * (cx, cy): on a turned page its sides swap */
export function sealRect(page, cx, cy, w, h) {
    const turned = page.rotate === 90 || page.rotate === 270;
    const rw = turned ? h : w, rh = turned ? w : h;
    return [cx - rw / 2, cy - rh / 2, cx + rw / 2, cy + rh / 2];
}

/* the appearance's /Matrix turning the picture back upright (ISO 32000-1
 * §12.5.5), '' on an unturned page */
export function sealMatrix(page) {
    return { 90: ' /Matrix [0 1 -1 0 0 0]', 180: ' /Matrix [-1 0 0 -1 0 0]',
        270: ' /Matrix [0 -1 1 0 0 0]' }[page.rotate || 0] || '';
}
