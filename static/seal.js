/* seal.js: the 电子签章 pages (modules/seal): the print button of the
 * 证书附页, the preview of a drawn seal next to its name.  The server checks
 * everything again. */
(function () {
  'use strict';
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });

  /* 机构个人章 rows: 添加 adds one (at most data-max), 删除 removes its row;
   * the rows are renumbered person_1.. and person_count follows, so the
   * server reads them as if typed in order.  Focus moves to the new row's
   * name, or after a removal to the row now in its place (else 添加), and
   * a status line says what happened. */
  var rows = document.getElementById('person-rows');
  var tpl = document.getElementById('person-row-tpl');
  var add = document.getElementById('person-add');
  var count = document.getElementById('person_count');
  var status = document.getElementById('person-status');
  if (rows && tpl && add && count) {
    var max = parseInt(rows.getAttribute('data-max'), 10) || 50;
    var renumber = function () {
      var list = rows.querySelectorAll('fieldset[data-person]');
      list.forEach(function (fs, k) {
        var n = String(k + 1), old = fs.getAttribute('data-person');
        var re = new RegExp('^person_' + old + '_');
        fs.setAttribute('data-person', n);
        fs.querySelector('legend').textContent = '第' + n + '位机构个人章';
        fs.querySelector('.person-del').setAttribute('aria-label', '删除第' + n + '位机构个人章');
        fs.querySelectorAll('[name]').forEach(function (el) {
          el.name = el.name.replace(re, 'person_' + n + '_');
        });
        fs.querySelectorAll('[data-for]').forEach(function (el) {
          el.setAttribute('data-for', el.getAttribute('data-for').replace(re, 'person_' + n + '_'));
        });
      });
      count.value = String(list.length);
      add.disabled = list.length >= max;
      return list;
    };
    var say = function (text) { if (status) status.textContent = text; };
    add.addEventListener('click', function () {
      var n = rows.querySelectorAll('fieldset[data-person]').length + 1;
      if (n > max) {
        say('机构个人章每次最多添加 ' + max + ' 枚');
        return;
      }
      var html = tpl.innerHTML.replace(/__N__/g, String(n));
      var box = document.createElement('div');
      box.innerHTML = html;
      var fs = box.querySelector('fieldset');
      rows.appendChild(fs);
      renumber();
      fs.querySelector('input').focus();
      say('已添加第' + n + '位机构个人章');
    });
    rows.addEventListener('click', function (e) {
      var b = e.target.closest('.person-del');
      if (!b) return;
      var fs = b.closest('fieldset[data-person]');
      var at = parseInt(fs.getAttribute('data-person'), 10);
      fs.remove();
      var list = renumber();
      var next = list[at - 1] || list[at - 2];
      (next ? next.querySelector('input') : add).focus();
      say('已删除第' + at + '位机构个人章，现有 ' + list.length + ' 位');
    });
    renumber();
  }

  /* 应付金额 as the choices stand: each seal per_year x years + fixed (the
   * headings' data-fen, as the server counts it), plus a 寄付 parcel's fee */
  var total = document.getElementById('total-amount');
  var form = document.getElementById('apply');
  /* 证书算法 SM2: the keys are born in the browser, nothing is mailed (no
   * 邮寄信息, no 寄付 parcel: modules/seal/seal_apply.c skips the group) */
  var caSel = document.getElementById('ca');
  var mailFs = document.getElementById('mail-fields');
  var noMail = function () {
    return (caSel ? caSel.value : form ? form.getAttribute('data-ca') : '') === 'sm2';
  };
  var showMail = function () {
    var hint = document.getElementById('nomail-hint');
    if (!mailFs) return;
    mailFs.hidden = noMail();
    mailFs.disabled = noMail();
    if (hint) hint.hidden = !noMail();
  };
  if (form) {
    form.addEventListener('change', function (e) { if (e.target === caSel) showMail(); });
    showMail();
  }
  if (total && form) {
    var yuan = function (fen) { return (fen / 100).toFixed(2); };
    /* the terms of the algorithm chosen (data-fen-sm2: no 介质费), the
     * heading's 元/年 with them */
    var terms = function (id) {
      var h = document.getElementById(id);
      var ca = caSel ? caSel.value : '';
      var a = h ? (ca && h.getAttribute('data-fen-' + ca)) || h.getAttribute('data-fen') || '' : '';
      var t = a.split(' ').map(Number);
      if (t.length !== 2 || isNaN(t[0]) || isNaN(t[1])) return null;
      var y = h.querySelector('.yearly');
      if (y) y.textContent = yuan(t[0] + t[1]);
      return t;
    };
    var val = function (name) {
      var el = form.querySelector('[name="' + name + '"]:checked') || form.querySelector('select[name="' + name + '"]');
      return el ? Number(el.value) || 0 : 0;
    };
    var price = function (t, years) { return t && years > 0 ? t[0] * years + t[1] : 0; };
    var show = function () {
      var org = terms('org-heading'), biz = terms('biz-heading'), person = terms('person-heading');
      var seals = val('org_count') * price(org, val('org_years')) + val('biz_count') * price(biz, val('biz_years'));
      form.querySelectorAll('fieldset[data-person] select[name$="_years"]').forEach(function (s) {
        seals += price(person, Number(s.value) || 0);
      });
      var ship = form.querySelector('input[name="shipping"][value="prepaid"]');
      var text = document.getElementById('prepaid-text');
      var shipFen = ship && ship.checked && !noMail() && text && text.getAttribute('data-fee-fen')
        ? Number(text.getAttribute('data-fee-fen')) : 0;
      total.textContent = yuan(seals + shipFen) + '元';
      document.getElementById('total-parts').textContent =
        '（印章费' + yuan(seals) + '元' + (shipFen ? '，寄付邮费' + yuan(shipFen) + '元' : '') + '）';
    };
    form.addEventListener('change', show);
    form.addEventListener('click', function (e) {
      if (e.target.closest('#person-add, .person-del')) setTimeout(show, 0);
    });
    document.addEventListener('hall:shipping', show);
    show();
  }
})();
