/* 证书新办 pages: field groups by certificate type, the price line,
 * 省/市/区县/镇 cascading selects, the 开户行 keyword search, the promotion
 * popup and the print button.  The server checks everything again. */
(function () {
  'use strict';

  function getJSON(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .catch(function () { return { ok: false, items: [] }; });
  }

  /* groups shown for the chosen certificate type */
  var type = document.getElementById('cert_type');
  /* 发票抬头类型 follows the certificate type (个人 for a 自然人证书) until
   * the applicant chooses one; a saved order (data-saved: its id) keeps its own */
  var titleBox = document.getElementById('title-type');
  var titleChosen = !titleBox || titleBox.getAttribute('data-saved') !== '';
  if (titleBox) {
    titleBox.addEventListener('change', function () { titleChosen = true; });
  }
  function defaultTitle() {
    if (titleChosen) { return; }
    var r = titleBox.querySelector('input[value="' + (type.value === 'person' ? 'person' : 'org') + '"]');
    if (r) { r.checked = true; }
  }
  /* 密钥生成: a key made in the browser is not mailed (no 邮寄信息) */
  var keyOrigin = document.getElementById('key_origin');
  function browserKey() {
    return keyOrigin ? keyOrigin.value === 'browser' : false;
  }
  function showMail() {
    var fs = document.getElementById('mail-fields');
    var opt = type.options[type.selectedIndex];
    if (keyOrigin && opt) {
      keyOrigin.options[1].textContent = opt.getAttribute('data-browser-name') || '在浏览器中生成密钥';
    }
    if (!fs) { return; }
    fs.hidden = browserKey();
    fs.disabled = browserKey();
  }
  function showGroups() {
    var t = type.value;
    defaultTitle();
    showMail();
    document.querySelectorAll('fieldset[data-types]').forEach(function (fs) {
      var on = fs.getAttribute('data-types').split(' ').indexOf(t) >= 0;
      fs.hidden = !on;
      fs.disabled = !on;
    });
    showPrice();
  }

  /* the price: the server rendered every choice's amount (core/biz/price.c)
   * into data-prices; the page only picks the one the choices point at */
  function checkedValue(name) {
    var el = document.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : null;
  }
  /* 是否办理电子签章: chosen on the step before (seed 003) */
  function sealChosen() {
    var el = document.getElementById('seal-chosen');
    return el ? el.getAttribute('data-seal') : null;
  }
  function yuan(fen) {
    return (fen / 100).toFixed(2);
  }
  function showPrice() {
    var opt = type.options[type.selectedIndex];
    var price = document.getElementById('price');
    if (!opt || !price) { return; }
    var pre = browserKey() ? 'data-browser-' : 'data-';
    var table = JSON.parse(opt.getAttribute(pre + 'prices') || '{}');
    var years = checkedValue('years') || '1';
    var entry = table[years];
    var b = opt.getAttribute(pre + 'breakdown');
    var sealPart = opt.getAttribute('data-seal-part');
    if (b && sealPart && sealChosen() === 'yes') { b += '，' + sealPart; }
    price.textContent = '';
    if (b) { price.appendChild(document.createTextNode('（' + (years === '1' ? '' : '每年') + '包含：' + b + '）')); }
    var strong = document.createElement('strong');
    strong.id = 'price-total';
    if (browserKey() && !opt.hasAttribute('data-browser-prices')) {
      strong.textContent = '该证书类型不提供浏览器生成密钥';
      price.appendChild(strong);
      return;
    }
    if (!entry) {
      strong.textContent = '该证书类型不提供' + years + '年期';
      price.appendChild(strong);
      return;
    }
    var fen = entry[sealChosen() === 'yes' ? 'yes' : 'no'];
    strong.textContent = yuan(fen) + '元/' + years + '年';
    strong.setAttribute('data-fen', String(fen));
    price.appendChild(strong);
    showTotal();
  }
  /* 应付金额 before the print step: certificate fee + prepaid shipping */
  function showTotal() {
    var total = document.getElementById('total-amount');
    var parts = document.getElementById('total-parts');
    var cert = document.getElementById('price-total');
    if (!total || !cert || !cert.getAttribute('data-fen')) { return; }
    var certFen = Number(cert.getAttribute('data-fen'));
    var shipText = document.getElementById('prepaid-text');
    var shipFen = checkedValue('shipping') === 'prepaid' && shipText &&
      shipText.getAttribute('data-fee-fen') ? Number(shipText.getAttribute('data-fee-fen')) : 0;
    total.textContent = yuan(certFen + shipFen) + '元';
    parts.textContent = shipFen ? '（证书费' + yuan(certFen) + '元，寄付邮费' + yuan(shipFen) + '元）' : '';
  }
  if (type) {
    type.addEventListener('change', showGroups);
    if (keyOrigin) { keyOrigin.addEventListener('change', showGroups); }
    /* 证书算法 SM2: its key is made in the browser only (no USB key signs
     * with SM2, sql/161) */
    var ca = document.getElementById('ca');
    if (ca && keyOrigin) {
      ca.addEventListener('change', function () {
        if (ca.value === 'sm2' && keyOrigin.value !== 'browser') {
          keyOrigin.value = 'browser';
          showGroups();
        }
      });
    }
    document.querySelectorAll('input[name="years"], input[name="shipping"]')
      .forEach(function (r) { r.addEventListener('change', showPrice); });
    document.addEventListener('hall:shipping', showTotal);
    showGroups();
  }

  /* cascading selects: each level loads the children of the one above */
  document.querySelectorAll('[data-divisions]').forEach(function (row) {
    var selects = Array.prototype.slice.call(row.querySelectorAll('select'));
    /* a keyboard user's arrow keys change the parent once per press: only the
     * answer for the latest choice may fill the list */
    var asked = [];
    function fill(i, parent) {
      var sel = selects[i];
      if (!sel) return Promise.resolve();
      var mine = asked[i] = (asked[i] || 0) + 1;
      var first = sel.options[0];
      sel.innerHTML = '';
      sel.appendChild(first);
      for (var j = i + 1; j < selects.length; j++) {
        selects[j].length = 1;
        selects[j].hidden = true;
      }
      if (i > 0 && !parent) { sel.hidden = true; return Promise.resolve(); }
      return getJSON('/new/divisions' + (parent ? '?parent=' + encodeURIComponent(parent) : ''))
        .then(function (res) {
          if (asked[i] !== mine) return;
          var items = res.items || [];
          /* a county-less city: its towns sit one level up */
          if (items.length && i < selects.length - 1 && items[0].level === 4 && i === 2) {
            sel.hidden = true;
            var town = selects[3];
            town.hidden = false;
            items.forEach(function (it) { town.appendChild(new Option(it.name, it.code)); });
            town.value = town.getAttribute('data-value') || '';
            return;
          }
          sel.hidden = items.length === 0;
          items.forEach(function (it) { sel.appendChild(new Option(it.name, it.code)); });
          var want = sel.getAttribute('data-value');
          if (want) {
            sel.value = want;
            sel.setAttribute('data-value', '');
            if (sel.value) return fill(i + 1, sel.value);
          }
        });
    }
    selects.forEach(function (sel, i) {
      sel.addEventListener('change', function () { fill(i + 1, sel.value); });
    });
    fill(0, null);
  });

  /* 开户行: the bank from the complete list (the input's datalist), then the
   * branch typed, or chosen among the known ones the keyword search finds */
  var bank = document.getElementById('bank_search');
  var list = document.getElementById('bank_suggest');
  var bankId = document.querySelector('input[name="bank_branch_id"]');
  var head = document.querySelector('input[name="bank_name"]');
  var headId = document.querySelector('input[name="bank_id"]');
  var timer = null;
  var bankStatus = document.createElement('p');
  bankStatus.className = 'sr-only';
  bankStatus.setAttribute('role', 'status');
  if (head && headId) {
    head.addEventListener('input', function () {
      headId.value = '';
      if (bankId) { bankId.value = ''; }
    });
  }
  if (bank && list && bankId) {
    list.parentNode.insertBefore(bankStatus, list);
    list.setAttribute('aria-label', '开户网点搜索结果');
    bank.addEventListener('input', function () {
      bankId.value = '';
      window.clearTimeout(timer);
      var q = bank.value.trim();
      if (!q) { list.hidden = true; return; }
      var within = head && head.value.trim() ? '&bank=' + encodeURIComponent(head.value.trim()) : '';
      timer = window.setTimeout(function () {
        getJSON('/new/banks?q=' + encodeURIComponent(q) + within).then(function (res) {
          list.innerHTML = '';
          /* buttons: Tab reaches them from the search box, Enter chooses */
          (res.items || []).forEach(function (it) {
            var li = document.createElement('li');
            var b = document.createElement('button');
            b.type = 'button';
            b.textContent = it.name;
            li.setAttribute('data-id', it.id);
            b.addEventListener('click', function () {
              bank.value = it.name;
              bankId.value = it.id;
              if (head) { head.value = it.bank; }
              if (headId) { headId.value = it.bank_id; }
              list.hidden = true;
              bankStatus.textContent = '已选择' + it.name;
              bank.focus();
            });
            li.appendChild(b);
            list.appendChild(li);
          });
          bankStatus.textContent = res.items && res.items.length ?
            '找到' + res.items.length + '个开户网点，按Tab键选择' : '';
          if (!res.items || !res.items.length) {
            var none = document.createElement('li');
            none.textContent = '列表中没有匹配的网点，请直接填写完整的开户网点名称';
            none.className = 'none';
            list.appendChild(none);
          }
          list.hidden = false;
        });
      }, 250);
    });
  }

  /* seed 003: the promotion is a popup read and closed with 确定 before the
   * form (without scripts it stays a plain box above the form) */
  var promo = document.getElementById('promotion');
  if (promo) {
    promo.classList.add('popup');
    promo.setAttribute('aria-modal', 'true');
    var ok = promo.querySelector('[data-close]');
    if (ok) { ok.focus(); }
  }

  document.querySelectorAll('[data-close]').forEach(function (b) {
    b.addEventListener('click', function () {
      document.getElementById(b.getAttribute('data-close')).hidden = true;
      /* the focus was on the button that is gone: on to the form's first field */
      var first = document.querySelector('form select, form input:not([type=hidden])');
      if (first) { first.focus(); }
    });
  });
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
}());

/* uploads (materials, ID card photos, liveness): multipart with fetch */
(function () {
  'use strict';
  var meta = document.querySelector('meta[name="csrf-token"]');
  document.querySelectorAll('form[data-upload]').forEach(function (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (window.hallClearErrors) { window.hallClearErrors(form); } else {
        form.querySelectorAll('.err').forEach(function (e) { e.textContent = ''; });
      }
      var btn = form.querySelector('button[type="submit"]');
      if (btn) { btn.disabled = true; }
      fetch(form.getAttribute('action'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'X-CSRF-Token': meta ? meta.content : '' },
        body: new FormData(form)
      }).then(function (r) {
        return r.json().catch(function () {
          return { ok: false, message: r.status === 413 ? '文件不能超过2MB' : '系统繁忙，请稍后再试' };
        });
      }, function () {
        return { ok: false, message: '网络异常，请检查网络后重试' };
      }).then(function (res) {
        if (btn) { btn.disabled = false; }
        if (res.ok) {
          /* without the #fragment (the skip link's #main): the same URL with
           * one would only scroll, not load the page again */
          window.location.assign(res.redirect || window.location.href.split('#')[0]);
          return;
        }
        if (window.hallFieldError) { window.hallFieldError(form, res.field || '', res.message); return; }
        var slot = form.querySelector('.err[data-for="' + (res.field || '') + '"]') ||
          form.querySelector('.err[data-for=""]');
        if (slot) { slot.textContent = res.message; }
      });
    });
  });

  /* the PC page notices the phone without a reload */
  var box = document.getElementById('identity');
  if (box) {
    var url = box.getAttribute('data-status-url');
    var timer = window.setInterval(function () {
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.json(); })
        .then(function (res) {
          var st = document.getElementById('identity-status');
          var er = document.getElementById('identity-error');
          if (res.status === 'passed') {
            window.clearInterval(timer);
            st.textContent = '认证通过';
            st.className = 'ok';
            er.textContent = '';
            var next = document.getElementById('identity-next');
            next.hidden = false;
          } else if (res.status === 'expired') {
            window.clearInterval(timer);
            er.textContent = res.message;
          } else if (res.status === 'ocr_ok') {
            /* a later success replaces the error of an earlier try */
            st.textContent = '身份证识别通过，等待活体认证…';
            er.textContent = res.message || '';
          } else {
            er.textContent = res.message || '';
          }
        }).catch(function () { /* try again on the next tick */ });
    }, 2000);
  }
}());

/* the 到付 carrier's choice shown only while 到付 is chosen: beside an
 * automatically ticked 寄付 it read as a second way of mailing */
(function () {
  'use strict';
  var group = document.getElementById('carrier-choice');
  if (!group) { return; }
  function sync() {
    var collect = document.querySelector('input[name="shipping"][value="collect"]');
    group.hidden = !(collect && collect.checked);
  }
  document.querySelectorAll('input[name="shipping"]').forEach(function (r) {
    r.addEventListener('change', sync);
  });
  document.addEventListener('hall:shipping', sync);
  sync();
}());

/* 寄付: the courier and its fee for the chosen address */
(function () {
  'use strict';
  var text = document.getElementById('prepaid-text');
  var row = document.querySelector('[data-divisions="mail"]');
  if (!text || !row) { return; }
  var radio = document.querySelector('input[name="shipping"][value="prepaid"]');
  /* seed 001: the seal form matches 寄付 or 到付 to the address by itself
   * (寄付默认是京东快递) */
  var auto = text.closest('form[data-ship-auto]') !== null;
  function update() {
    var q = {};
    row.querySelectorAll('select').forEach(function (s) {
      q[s.name.replace('mail_', '')] = s.value || '';
    });
    if (!q.province) { return; }
    fetch('/new/shipping?' + new URLSearchParams(q).toString(),
      { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (res) {
        if (!res.ok) { return; }
        if (res.prepaid) {
          text.textContent = res.carrier + '寄付 ' + res.fee + '元（计入订单金额）';
          text.setAttribute('data-fee-fen', String(res.fee_fen));
          radio.disabled = false;
          if (auto) { radio.checked = true; }
        } else {
          text.removeAttribute('data-fee-fen');
          text.textContent = '该地址不支持寄付（' + res.carrier + '到付）';
          radio.disabled = true;
          if (radio.checked) {
            radio.checked = false;
            document.querySelector('input[name="shipping"][value="collect"]').checked = true;
          }
        }
        document.dispatchEvent(new Event('hall:shipping'));
      }).catch(function () { /* the server checks on submit */ });
  }
  row.addEventListener('change', update);
}());
