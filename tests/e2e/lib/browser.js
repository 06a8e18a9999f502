'use strict';
/*
 * The one way the e2e suite starts its browser: Debian's chromium
 * (HALL_CHROMIUM overrides the path), headless, with the flags that keep it
 * off the network it cannot reach here (background updates, sync,
 * first-run pages).
 */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'];

function launchChromium() {
    const { chromium } = require('playwright-core');
    return chromium.launch({
        executablePath: process.env.HALL_CHROMIUM || '/usr/bin/chromium',
        args: FLAGS,
    });
}

/* a browser context logged in as the API client c (tests/integ/lib/client.js):
 * c's cookies for the hall's host, as the hall sets them (HttpOnly, Lax) */
function signIn(context, c) {
    const { HALL } = require('../../integ/lib/client');
    const domain = new URL(HALL).hostname;
    return context.addCookies([...c.jar].map(([name, value]) => ({
        name, value, domain, path: '/', httpOnly: true, sameSite: 'Lax' })));
}

module.exports = { launchChromium, signIn, FLAGS };
