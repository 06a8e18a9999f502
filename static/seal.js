/* seal.js: the 电子签章 pages (modules/seal): the print button of the
 * 证书附页, the preview of a drawn seal next to its name.  The server checks
 * everything again. */
(function () {
  'use strict';
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
})();
