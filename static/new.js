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
  function showGroups() {
    var t = type.value;
    document.querySelectorAll('fieldset[data-types]').forEach(function (fs) {
      var on = fs.getAttribute('data-types').split(' ').indexOf(t) >= 0;
      fs.hidden = !on;
      fs.disabled = !on;
    });
    var opt = type.options[type.selectedIndex];
    var price = document.getElementById('price');
    if (opt && price) {
      var b = opt.getAttribute('data-breakdown');
      price.textContent = (b ? '（包含：' + b + '）' : '') + opt.getAttribute('data-price') + '元/1年';
    }
  }
  if (type) {
    type.addEventListener('change', showGroups);
    showGroups();
  }

  /* cascading selects: each level loads the children of the one above */
  document.querySelectorAll('[data-divisions]').forEach(function (row) {
    var selects = Array.prototype.slice.call(row.querySelectorAll('select'));
    function fill(i, parent) {
      var sel = selects[i];
      if (!sel) return Promise.resolve();
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

  /* 开户行 keyword search */
  var bank = document.getElementById('bank_search');
  var list = document.getElementById('bank_suggest');
  var bankId = document.querySelector('input[name="bank_branch_id"]');
  var timer = null;
  if (bank && list && bankId) {
    bank.addEventListener('input', function () {
      bankId.value = '';
      window.clearTimeout(timer);
      var q = bank.value.trim();
      if (!q) { list.hidden = true; return; }
      timer = window.setTimeout(function () {
        getJSON('/new/banks?q=' + encodeURIComponent(q)).then(function (res) {
          list.innerHTML = '';
          (res.items || []).forEach(function (it) {
            var li = document.createElement('li');
            li.textContent = it.name;
            li.setAttribute('data-id', it.id);
            li.addEventListener('click', function () {
              bank.value = it.name;
              bankId.value = it.id;
              list.hidden = true;
            });
            list.appendChild(li);
          });
          if (!res.items || !res.items.length) {
            var none = document.createElement('li');
            none.textContent = '未找到匹配的开户行，请换个关键字';
            none.className = 'none';
            list.appendChild(none);
          }
          list.hidden = false;
        });
      }, 250);
    });
  }

  document.querySelectorAll('[data-close]').forEach(function (b) {
    b.addEventListener('click', function () {
      document.getElementById(b.getAttribute('data-close')).hidden = true;
    });
  });
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
}());
