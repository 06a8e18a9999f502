'use strict';
/*
 * setCookies(res): the Set-Cookie lines of a fetch() response, one string
 * each.  Headers.getSetCookie() exists from node 19.7 on; Debian 12's node 18
 * joins the lines into one "a=1; Path=/, b=2; Expires=Thu, 01 Jan 1970 ..."
 * string, so there we split it again: a new cookie starts after a comma that
 * is followed by NAME= (the comma inside an Expires date is followed by a
 * space and a day number, never by a name and "=").
 */
function setCookies(res) {
    if (typeof res.headers.getSetCookie === 'function')
        return res.headers.getSetCookie();
    const joined = res.headers.get('set-cookie');
    if (!joined)
        return [];
    return joined.split(/,\s*(?=[^;,=\s]+=)/);
}

module.exports = { setCookies };
