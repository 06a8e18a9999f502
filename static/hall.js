/* The hall's pages: forms marked data-ajax are sent with fetch and answered
 * in JSON; a field's message appears under it (data-for), success follows
 * the redirect the server names.  Without JavaScript the forms still post. */
(function () {
  'use strict';

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute('content') : '';
  }

  /* the inputs a field's message belongs to (every radio of a group; the
   * visible search box of a hidden id, data-proxy) */
  function fieldInputs(form, field) {
    if (!field) return [];
    var els = Array.prototype.slice.call(form.querySelectorAll('[name="' + field + '"]'));
    var proxy = form.querySelector('[data-proxy="' + field + '"]');
    if (proxy) els.unshift(proxy);
    return els.filter(function (el) { return el.type !== 'hidden'; });
  }

  function clearErrors(form) {
    form.querySelectorAll('.err').forEach(function (e) { e.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach(function (el) {
      el.removeAttribute('aria-invalid');
    });
    var ok = form.querySelector('[data-ok]');
    if (ok) ok.textContent = '';
  }

  /* the message under its field, tied to it (aria-invalid, aria-describedby),
   * announced (the slots are live regions), and the field focused */
  function showError(form, field, message, noFocus) {
    var slot = form.querySelector('.err[data-for="' + (field || '') + '"]') ||
      form.querySelector('.err[data-for=""]');
    if (!slot) { window.alert(message); return; }
    /* errors without a slot of their own share the form's */
    slot.textContent = slot.textContent && slot.getAttribute('data-for') !== field
      ? slot.textContent + '；' + message : message;
    var inputs = fieldInputs(form, field);
    if (!inputs.length) return;
    if (!slot.id) slot.id = 'err-' + (form.getAttribute('id') || 'form') + '-' + field;
    inputs.forEach(function (el) {
      el.setAttribute('aria-invalid', 'true');
      var d = (el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
      if (d.indexOf(slot.id) < 0) d.push(slot.id);
      el.setAttribute('aria-describedby', d.join(' '));
    });
    if (!noFocus) inputs[0].focus();
  }

  /* every error of a submit (res.errors), each under its field; the first
   * field gets the focus */
  function showErrors(form, res) {
    var list = res.errors && res.errors.length ? res.errors
      : [{ field: res.field, message: res.message || '操作未完成' }];
    list.forEach(function (e) { showError(form, e.field, e.message, true); });
    var first = fieldInputs(form, list[0].field);
    if (first.length) first[0].focus();
  }
  window.hallFieldError = showError;
  window.hallFieldErrors = showErrors;
  window.hallClearErrors = clearErrors;

  document.querySelectorAll('.err').forEach(function (e) {
    e.setAttribute('aria-live', 'polite');
  });

  function post(url, body) {
    var headers = { 'Accept': 'application/json', 'X-CSRF-Token': csrf() };
    /* a FormData body (a file upload) sets its own multipart Content-Type */
    if (typeof body === 'string') headers['Content-Type'] = 'application/x-www-form-urlencoded';
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: headers,
      body: body
    }).then(function (r) {
      return r.json().catch(function () {
        /* nginx's own answer to a body beyond its limit is not JSON */
        if (r.status === 413) return { ok: false, tooLarge: true, message: '文件不能超过2MB' };
        return { ok: false, message: '系统繁忙，请稍后再试' };
      });
    }, function () {
      return { ok: false, message: '网络异常，请检查网络后重试' };
    });
  }

  document.querySelectorAll('form[data-ajax]').forEach(function (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      clearErrors(form);
      var btn = form.querySelector('button[type="submit"]');
      if (btn) btn.disabled = true;
      var data = new FormData(form);
      post(form.getAttribute('action'), form.enctype === 'multipart/form-data' ? data
        : new URLSearchParams(data).toString())
        .then(function (res) {
          if (btn) btn.disabled = false;
          if (!res.ok) {
            if (res.tooLarge && !res.field) {
              var file = form.querySelector('input[type="file"]');
              if (file) res.field = file.name;
            }
            showErrors(form, res);
            return;
          }
          if (res.redirect) {
            /* data-back: what this page's history entry becomes once the
             * form made its record (id= of the redirect), so the browser's
             * Back returns to that record instead of a blank form */
            var back = form.getAttribute('data-back');
            var made = back && /[?&]id=(\d+)/.exec(res.redirect);
            if (made && window.history.replaceState) {
              window.history.replaceState(null, '', back.replace('{id}', made[1]));
            }
            window.location.assign(res.redirect);
            return;
          }
          var ok = form.querySelector('[data-ok]');
          if (ok) ok.textContent = res.message || '已保存';
        });
    });
  });

  /* "获取验证码": send, then count down before the next one; data-sms-url:
   * a code to the account's own phone for the form's serial (撤销); a button
   * with data-serial is the next handler's, so one click sends one request */
  document.querySelectorAll('button[data-sms], button[data-sms-url]:not([data-serial])').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var form = btn.closest('form');
      var url = btn.getAttribute('data-sms-url');
      clearErrors(form);
      btn.disabled = true;
      (url ? post(url, new URLSearchParams({
        serial: form.querySelector('input[name="serial"]').value
      }).toString())
        : post(form.getAttribute('action').replace(/\/(login\/sms|register)$/, '/sms/send'),
          new URLSearchParams({
            phone: form.querySelector('input[name="phone"]').value,
            purpose: btn.getAttribute('data-sms')
          }).toString()))
        .then(function (res) {
          if (!res.ok) {
            btn.disabled = false;
            showError(form, res.field, res.message);
            return;
          }
          var left = res.resend_after || 60;
          var label = btn.textContent;
          var ok = form.querySelector('[data-ok]');
          if (ok) ok.textContent = res.message;
          var t = window.setInterval(function () {
            left -= 1;
            btn.textContent = left + '秒后重新获取';
            if (left <= 0) {
              window.clearInterval(t);
              btn.textContent = label;
              btn.disabled = false;
            }
          }, 1000);
        });
    });
  });

  /* "获取验证码" to the phone a certificate's order names (证书解锁): the
   * certificate is the button's, the phone is never on the page */
  document.querySelectorAll('button[data-sms-url][data-serial]').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var form = btn.closest('form');
      var status = document.getElementById('sms-status');
      var project = form.querySelector('input[name="project"]');
      clearErrors(form);
      btn.disabled = true;
      post(btn.getAttribute('data-sms-url'), new URLSearchParams({
        project: project ? project.value : '', serial: btn.getAttribute('data-serial')
      }).toString()).then(function (res) {
        if (!res.ok) {
          btn.disabled = false;
          showError(form, res.field || 'sms_code', res.message);
          return;
        }
        if (status) status.textContent = res.message;
        window.setTimeout(function () { btn.disabled = false; }, (res.resend_after || 60) * 1000);
      });
    });
  });
}());

/* 缴费: back from the cashier before the gateway's callback, the page polls
 * the order and moves on once the payment is confirmed (or was not made) */
(function () {
  'use strict';
  /* the WeChat QR code waits for the payment (pending: the notification
   * is on its way), 支付结果确认中 for the notification */
  var qr = document.getElementById('pay-qr');
  var box = qr || document.getElementById('pay-pending');
  if (!box) return;
  var url = box.getAttribute('data-state-url');
  var tries = 0;
  var timer = window.setInterval(function () {
    tries += 1;
    if (tries === 30 && !qr) {
      document.getElementById('pay-pending-slow').hidden = false;
    }
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (res) {
        if (res.ok && (res.status !== 'unpaid' || (qr ? res.pending : !res.pending))) {
          window.clearInterval(timer);
          window.location.reload();
        }
      }).catch(function () { /* try again on the next tick */ });
  }, 2000);
}());

/* 复制: a button[data-copy] puts the text of the element it names on the
 * clipboard (我的证书's serials) and says so in its status slot; where the
 * clipboard is refused the text is selected for the visitor to copy */
(function () {
  'use strict';
  document.querySelectorAll('button[data-copy]').forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener('click', function () {
      var src = document.getElementById(btn.getAttribute('data-copy'));
      var status = document.getElementById(btn.getAttribute('aria-describedby'));
      if (!src) return;
      var text = src.textContent.trim();
      var done = function (msg) { if (status) status.textContent = msg; };
      var select = function () {
        var range = document.createRange();
        range.selectNodeContents(src);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        done('已选中，请按 Ctrl+C 复制');
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done('已复制'); }, select);
      } else {
        select();
      }
    });
  });
}());
