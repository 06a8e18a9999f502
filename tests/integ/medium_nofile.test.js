'use strict';
/*
 * No subscriber key is generated in the hall for a new certificate (issue
 * 64 §4; docs/internals/pki.md, "Key custody"): the file medium (a PKCS#12
 * whose key the hall made) is gone for every certificate order.  A
 * configuration saying production_medium = p12 does not start (hall-pkitool
 * refuses it, naming the setting); 制作证书 offers no file, and a POST
 * asking for one is 400 naming 证书介质; `hall-pkitool issue-file` of a
 * certificate order answers status 3 saying what to do instead.  None of
 * them makes a certificate, a serial or a key: the order stays 成功受理
 * with no row in the register.  (A certificate issued as a file before
 * keeps its handover: tests/integ/custody.test.js.)
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { operator, acceptedByTransfer, tmpdir, psql } = require('./lib/pki');

const pkitool = (conf, ...args) => spawnSync(path.join(process.env.HALL_ROOT, 'tools/pkitool/hall-pkitool'),
    ['-c', conf, ...args], { encoding: 'utf8' });

test('no_file_medium__conf_p12_refused__form_offers_none_post_400__issue_file_3__nothing_made', async () => {
    const op = await operator();
    const o = await acceptedByTransfer();
    const nothing = () => {
        assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${o.id}`), '0', 'no serial, no key');
        assert.equal(psql(`SELECT status FROM orders WHERE id = ${o.id}`), 'accepted');
    };

    /* a station configured to write files does not start */
    const conf = path.join(tmpdir(), 'hall.conf');
    fs.writeFileSync(conf, `${fs.readFileSync(process.env.HALL_CONF, 'utf8')}\nproduction_medium = p12\n`);
    const started = pkitool(conf, 'issue-file', String(o.id));
    assert.equal(started.status, 1, `${started.stdout}${started.stderr}`);
    assert.match(started.stderr, /production_medium = p12 is no longer accepted: .*production_medium = pkcs11/);
    nothing();

    /* 制作证书 offers the USB key only, and refuses a file asked for */
    const page = await op.get('/admin/pki/production');
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /value="p12"|文件（PKCS#12）/);
    const asked = await op.post('/admin/pki/issue', { id: o.id, medium: 'p12' });
    assert.equal(asked.status, 400, asked.text);
    assert.equal(asked.body.field, 'medium');
    assert.match(asked.body.message, /证书介质不能选择文件（PKCS#12）：文件介质已停用，网上营业厅不再生成订户私钥/);
    nothing();

    /* hall-pkitool issue-file: no key made, what to do instead */
    const cli = pkitool(process.env.HALL_CONF, 'issue-file', String(o.id));
    assert.equal(cli.status, 3, `${cli.stdout}${cli.stderr}`);
    assert.match(cli.stderr, /文件介质（PKCS#12）已停用：网上营业厅不再生成订户私钥/);
    assert.match(cli.stderr, /hall-pkitool issue/);
    nothing();
});

/* issue 64 §4, the last path: an order with seals (a 电子签章申请 with a
 * 机构业务章 of its own certificate, a 新办 with its bundled 电子签章) is
 * not made as files either: status 3, no certificate, no seal, no key */
test('no_file_medium__issue_file_of_orders_with_seals_3__nothing_made', async () => {
    const { applicant, freshPhone } = require('./lib/client');
    const { sealOrder, bundledSealDraft } = require('./lib/seal');
    const c = await applicant();
    const seal = await sealOrder(c, {
        org_count: '1', org_years: '1', org_style: 'auto',
        biz_count: '1', biz_years: '1', biz_1_name: '合同专用章', biz_1_style: 'auto', person_count: '0',
    }, { agent_mobile: freshPhone('137') });
    const bundled = await bundledSealDraft('szjsgws');
    for (const id of [seal.id, bundled.id]) {
        psql(`UPDATE orders SET status = 'accepted', submitted_at = now(), review_due = current_date + 1
            WHERE id = ${id}`);
        const cli = pkitool(process.env.HALL_CONF, 'issue-file', String(id));
        assert.equal(cli.status, 3, `order ${id}: ${cli.stdout}${cli.stderr}`);
        assert.match(cli.stderr, /文件介质（PKCS#12）已停用：网上营业厅不再生成订户私钥/);
        assert.equal(psql(`SELECT count(*) FROM certificates WHERE order_id = ${id}`), '0', 'no serial, no key');
        assert.equal(psql(`SELECT count(*) FROM seseals WHERE order_id = ${id}`), '0', 'no seal');
        assert.equal(psql(`SELECT status FROM orders WHERE id = ${id}`), 'accepted');
    }
});
