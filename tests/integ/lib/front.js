'use strict';
/*
 * The test hall's trusted proxy.  nginx takes a client's address from
 * X-Forwarded-For only on a connection from a configured trusted proxy
 * (HALL_TRUSTED_PROXIES; script/test sets the loopback address FRONT_ADDR,
 * not 127.0.0.1).  A test that plays many visitors sends its requests as
 * that front would: from FRONT_ADDR, with the visitor's address in the
 * header.  fetchVia(url, init) is fetch() for such a request (fetchFrom,
 * from any loopback address): the same
 * arguments (a string, URLSearchParams, FormData or Buffer body), a real
 * Response back; any other request keeps fetch() and 127.0.0.1.
 */
const http = require('node:http');

const FRONT_ADDR = process.env.HALL_TEST_FRONT_ADDR || '127.0.0.9';

/* fetch() from another loopback address (nginx's REMOTE_ADDR is addr) */
async function fetchFrom(addr, url, init = {}) {
    const u = new URL(url);
    const headers = {};
    for (const [k, v] of new Headers(init.headers || {}))
        headers[k] = v;
    let body = null;
    if (init.body !== undefined && init.body !== null) {
        /* the body as fetch would send it, with its Content-Type */
        const r = new Request(url, { method: 'POST', body: init.body });
        body = Buffer.from(await r.arrayBuffer());
        if (!headers['content-type'] && r.headers.get('content-type'))
            headers['content-type'] = r.headers.get('content-type');
        headers['content-length'] = String(body.length);
    }
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: u.hostname, port: u.port, path: u.pathname + u.search,
            method: init.method || 'GET', localAddress: addr, headers,
        }, (res) => {
            const parts = [];
            res.on('data', (d) => parts.push(d));
            res.on('end', () => {
                const h = new Headers();
                for (let i = 0; i < res.rawHeaders.length; i += 2)
                    h.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
                const empty = res.statusCode === 204 || res.statusCode === 304;
                resolve(new Response(empty ? null : Buffer.concat(parts), { status: res.statusCode, headers: h }));
            });
        });
        req.on('error', reject);
        if (body !== null)
            req.write(body);
        req.end();
    });
}

const fetchVia = (url, init) => fetchFrom(FRONT_ADDR, url, init);

/* fetch(), through the front when the request names a visitor's address */
function fetchAs(url, init = {}) {
    const h = new Headers(init.headers || {});
    return h.has('x-forwarded-for') ? fetchVia(url, init) : fetch(url, init);
}

module.exports = { FRONT_ADDR, fetchFrom, fetchVia, fetchAs };
