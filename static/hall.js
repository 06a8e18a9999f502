/* The hall's pages: forms marked data-ajax are sent with fetch and answered
 * in JSON; a field's message appears under it (data-for), success follows
 * the redirect the server names.  Without JavaScript the forms still post. */
(function () {
  'use strict';

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute('content') : '';
  }

  function clearErrors(form) {
    form.querySelectorAll('.err').forEach(function (e) { e.textContent = ''; });
    var ok = form.querySelector('[data-ok]');
    if (ok) ok.textContent = '';
  }

  function showError(form, field, message) {
    var slot = form.querySelector('.err[data-for="' + (field || '') + '"]') ||
      form.querySelector('.err[data-for=""]');
    if (slot) slot.textContent = message;
    else window.alert(message);
  }

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
            showError(form, res.field, res.message || '操作未完成');
            return;
          }
          if (res.redirect) {
            window.location.assign(res.redirect);
            return;
          }
          var ok = form.querySelector('[data-ok]');
          if (ok) ok.textContent = res.message || '已保存';
        });
    });
  });

  /* "获取验证码": send, then count down before the next one */
  document.querySelectorAll('button[data-sms]').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var form = btn.closest('form');
      var phone = form.querySelector('input[name="phone"]').value;
      clearErrors(form);
      btn.disabled = true;
      post(form.getAttribute('action').replace(/\/(login\/sms|register)$/, '/sms/send'),
        new URLSearchParams({ phone: phone, purpose: btn.getAttribute('data-sms') }).toString())
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
}());
