/* The admin console: a confirmation before a decision is sent, and the
 * common rejection reasons filling the reason box.  hall.js sends the
 * forms (data-ajax); the server checks everything again. */
(function () {
  'use strict';

  /* capture phase: runs before hall.js's submit listener on the form */
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    var q = form && form.getAttribute && form.getAttribute('data-confirm');
    if (q && !window.confirm(q)) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  }, true);

  document.querySelectorAll('select.reasons').forEach(function (sel) {
    sel.addEventListener('change', function () {
      var box = document.getElementById(sel.getAttribute('data-target'));
      if (box && sel.value) {
        box.value = box.value ? box.value + '；' + sel.value : sel.value;
        box.focus();
      }
      sel.selectedIndex = 0;
    });
  });
}());
