'use strict';
/*
 * Accessibility checks of the e2e journeys (issue 12, docs/accessibility.md):
 * axe-core runs inside every page a journey visits and a violation of a
 * WCAG 2.0/2.1 A or AA rule, or of axe's best practices (unique landmark
 * names, no empty table header, ...), fails the test naming the page, the
 * rule and the elements.
 *
 *   const a11y = require('./lib/a11y');
 *   a11y.track(page);                    // once, after newPage()
 *   await page.goto(...);
 *   await a11y.check(page, '录入信息');   // after each navigation (and after
 *                                        // a state worth checking: errors shown)
 *   ...
 *   a11y.assertAllChecked(page);         // at the end: every page visited was checked
 *
 * track() remembers every document the page loads; assertAllChecked() fails
 * when one of them was never checked, so a journey cannot skip a page by
 * forgetting a call.  Pages of the outside services the sandbox stands in for
 * (the payment gateway's cashier page) are not ours: a11y.notOurs(page).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

const tracked = new WeakMap();

function key(url) {
    const u = new URL(url);
    return u.pathname + u.search;
}

function track(page) {
    const t = { visited: new Set(), checked: new Set(), skipped: new Set() };
    tracked.set(page, t);
    /* documents loaded, not history.replaceState's same-document URL
     * changes (the 录入信息 form's entry becomes its order's, issue 7) */
    page.on('domcontentloaded', () => {
        if (/^https?:/.test(page.url()))
            t.visited.add(key(page.url()));
    });
    return t;
}

/* the violations of the page as it is now, as readable lines */
async function violations(page) {
    /* evaluated over the DevTools protocol: the pages' CSP does not apply */
    const has = await page.evaluate(() => typeof window.axe === 'object');
    if (!has)
        await page.evaluate(AXE_SOURCE);
    const found = await page.evaluate(async (tags) => {
        const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags },
            resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => `${n.target.join(' ')}  ${n.html.slice(0, 160)}`) }));
    }, TAGS);
    return found.map((v) => `${v.id} (${v.impact}): ${v.help}\n      ${v.nodes.join('\n      ')}`);
}

/* axe on the page as it is now; throws naming the page, the rules and elements */
async function check(page, label) {
    await page.waitForLoadState('load');
    const url = page.url();
    const v = await violations(page);
    const t = tracked.get(page);
    if (t)
        t.checked.add(key(url));
    if (v.length > 0)
        assert.fail(`accessibility: ${label} (${key(url)}) breaks ${v.length} rule(s):\n  ${v.join('\n  ')}`);
}

/* the page now shows an outside service's page (the sandbox's cashier) */
function notOurs(page) {
    const t = tracked.get(page);
    if (t)
        t.skipped.add(key(page.url()));
}

function assertAllChecked(page) {
    const t = tracked.get(page);
    assert.ok(t, 'a11y.track(page) was not called');
    const missed = [...t.visited].filter((u) => !t.checked.has(u) && !t.skipped.has(u));
    assert.deepEqual(missed, [], 'pages the journey visited without an accessibility check');
}

module.exports = { track, check, notOurs, assertAllChecked, violations };
