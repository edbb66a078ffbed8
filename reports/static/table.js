/* Sortable tables: click (or press Enter on) a heading with data-sort="num" or "text".
   Missing values (empty data-value or the dash) always sort last. */
(function () {
  'use strict';
  var lang = document.documentElement.lang || 'en';
  function value(row, idx, type) {
    var cell = row.cells[idx];
    if (!cell) { return null; }
    var v = cell.hasAttribute('data-value') ? cell.getAttribute('data-value') : cell.textContent.trim();
    if (v === '' || v === '\u2014') { return null; }
    if (type === 'num') {
      var n = parseFloat(v);
      return isNaN(n) ? null : n;
    }
    return v;
  }
  function sortBy(th) {
    var table = th.closest('table');
    if (!table || !table.tBodies.length) { return; }
    var tbody = table.tBodies[0];
    var idx = th.cellIndex;
    var type = th.getAttribute('data-sort');
    var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
    Array.prototype.forEach.call(table.querySelectorAll('thead th[data-sort]'), function (h) {
      h.setAttribute('aria-sort', 'none');
    });
    th.setAttribute('aria-sort', dir);
    var keyed = Array.prototype.map.call(tbody.rows, function (r, i) {
      return { r: r, v: value(r, idx, type), i: i };
    });
    keyed.sort(function (a, b) {
      if (a.v === null || b.v === null) {
        if (a.v === null && b.v === null) { return a.i - b.i; }
        return a.v === null ? 1 : -1;
      }
      var c = type === 'num' ? a.v - b.v : String(a.v).localeCompare(String(b.v), lang);
      if (c === 0) { return a.i - b.i; }
      return dir === 'ascending' ? c : -c;
    });
    var frag = document.createDocumentFragment();
    keyed.forEach(function (k) { frag.appendChild(k.r); });
    tbody.appendChild(frag);
  }
  document.addEventListener('click', function (e) {
    var th = e.target.closest ? e.target.closest('th[data-sort]') : null;
    if (th) { sortBy(th); }
  });
  window.reportSort = sortBy;
}());
