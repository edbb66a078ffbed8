/* Overview page: ranking filters, comparison selectors, other years. The what-if weights are
   table.js's (window.reportWhatif); this script re-applies the filters when it changes grades. */
(function () {
  'use strict';
  function $(id) { return document.getElementById(id); }
  function each(list, f) { Array.prototype.forEach.call(list, f); }

  var DASH = '\u2014';
  function fmtInt(x) { return x === null ? DASH : Number(x).toLocaleString('en-US'); }
  function fmtSigned(x) {
    if (x === null) { return DASH; }
    var t = Math.abs(x).toFixed(1);
    return /^[0.]*$/.test(t) ? t : (x > 0 ? '+' : '\u2212') + t;
  }
  function cell(tag, cls, value, text) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    if (value !== undefined) { el.setAttribute('data-value', value); }
    if (text !== undefined) { el.textContent = text; }
    return el;
  }
  function badge(cls, text) {
    var span = document.createElement('span');
    span.className = cls;
    span.textContent = text;
    return span;
  }

  /* -- ranking filters ---------------------------------------------------------------------- */
  var table = $('ranking');
  var rows = table ? Array.prototype.slice.call(table.tBodies[0].rows) : [];
  var resetWhatif = function () {};
  var filterIds = { level: 'filter-level', kind: 'filter-kind', city: 'filter-city', grade: 'filter-grade' };
  function applyFilters() {
    var want = {};
    Object.keys(filterIds).forEach(function (k) {
      var el = $(filterIds[k]);
      want[k] = el ? el.value : '';
    });
    var text = $('filter-text') ? $('filter-text').value.trim().toLowerCase() : '';
    var shown = 0;
    rows.forEach(function (r) {
      var ok = Object.keys(want).every(function (k) { return !want[k] || r.getAttribute('data-' + k) === want[k]; });
      if (ok && text) {
        ok = (r.getAttribute('data-unit') + ' ' + r.cells[0].textContent).toLowerCase().indexOf(text) >= 0;
      }
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if ($('rows-shown')) { $('rows-shown').textContent = String(shown); }
  }
  Object.keys(filterIds).forEach(function (k) {
    var el = $(filterIds[k]);
    if (el) { el.addEventListener('change', applyFilters); }
  });
  if ($('filter-text')) { $('filter-text').addEventListener('input', applyFilters); }

  /* -- comparison selectors ---------------------------------------------------------------- */
  function selector(selectId, tableId, attr) {
    var sel = $(selectId), tab = $(tableId);
    if (!sel || !tab) { return; }
    sel.addEventListener('change', function () {
      each(tab.tBodies[0].rows, function (r) { r.hidden = r.getAttribute(attr) !== sel.value; });
    });
  }
  selector('city-select', 'county-table', 'data-city');
  selector('dept-select', 'dept-table', 'data-dept');
  selector('movers-group', 'risers', 'data-group');
  selector('movers-group', 'fallers', 'data-group');

  /* -- multi-year view: peer group and year pair of the migration matrix ------------------ */
  var yGroup = $('years-group'), yPair = $('years-pair');
  function showYears() {
    each(document.querySelectorAll('#multiyear .years-view'), function (v) {
      v.hidden = v.getAttribute('data-view') !== yGroup.value;
      each(v.querySelectorAll('.migration'), function (m) { m.hidden = m.getAttribute('data-pair') !== yPair.value; });
    });
  }
  if (yGroup && yPair) {
    yGroup.addEventListener('change', showYears);
    yPair.addEventListener('change', showYears);
  }

  /* -- other years -------------------------------------------------------------------------- */
  var yearsEl = $('ranking-years'), yearSel = $('year-select');
  if (yearsEl && yearSel && table) {
    var years = JSON.parse(yearsEl.textContent);
    var latestRows = rows.slice();
    var buildRow = function (r) {
      var u = years.units[r[0]], grade = r[5], gi = years.grades[grade], alert = r[7];
      var tr = document.createElement('tr');
      tr.setAttribute('data-unit', u[0]);
      tr.setAttribute('data-level', u[4]);
      tr.setAttribute('data-kind', u[3]);
      tr.setAttribute('data-city', u[5]);
      tr.setAttribute('data-grade', grade || '');
      var th = document.createElement('th');
      th.setAttribute('scope', 'row');
      if (u[1]) {
        var a = document.createElement('a');
        a.setAttribute('href', u[1]);
        a.textContent = u[2];
        th.appendChild(a);
      } else { th.textContent = u[2]; }
      tr.appendChild(th);
      tr.appendChild(cell('td', '', undefined, u[6]));
      tr.appendChild(cell('td', '', undefined, u[7]));
      tr.appendChild(cell('td', '', undefined, u[8]));
      tr.appendChild(cell('td', 'num c-score whatif', r[1] === null ? '' : r[1].toFixed(4), r[1] === null ? DASH : r[1].toFixed(1)));
      tr.appendChild(cell('td', 'num c-rank whatif', r[2] === null ? '' : String(r[2]), fmtInt(r[2])));
      tr.appendChild(cell('td', 'num', r[3] === null ? '' : String(r[3]),
        r[3] === null || r[4] === null ? DASH : r[3] + '\u2013' + r[4]));
      var g = cell('td', 'c-grade whatif', gi === undefined ? '' : String(gi));
      if (gi === undefined) { g.textContent = r[9] || grade || DASH; } else { g.appendChild(badge('grade g' + gi, r[9] || grade)); }
      tr.appendChild(g);
      tr.appendChild(cell('td', '', undefined, r[6] === null || r[6] === '' ? DASH : r[6]));
      var al = cell('td', '', alert ? String(years.order[alert]) : '');
      if (alert) { al.appendChild(badge('alert al-' + alert, years.alerts[alert] || alert)); } else { al.textContent = DASH; }
      tr.appendChild(al);
      tr.appendChild(cell('td', 'num', r[8] === null ? '' : r[8].toFixed(4), fmtSigned(r[8])));
      return tr;
    };
    yearSel.addEventListener('change', function () {
      var y = yearSel.value, latest = y === years.latest;
      resetWhatif();
      var next = latest ? latestRows : (years.years[y] || []).map(buildRow);
      var tbody = table.tBodies[0], frag = document.createDocumentFragment();
      next.forEach(function (r) { frag.appendChild(r); });
      tbody.textContent = '';
      tbody.appendChild(frag);
      rows = next;
      each(table.querySelectorAll('thead th[data-sort]'), function (h) { h.setAttribute('aria-sort', 'none'); });
      if ($('ranking-year')) { $('ranking-year').textContent = y; }
      each(document.querySelectorAll('input[data-weight], #reset-weights'), function (el) { el.disabled = !latest; });
      if ($('whatif-latest-only')) { $('whatif-latest-only').hidden = latest; }
      applyFilters();
    });
  }

  /* -- what-if weights (table.js): the grade filter follows its grades; another year resets it */
  if (table) { table.addEventListener('whatifchange', applyFilters); }
  resetWhatif = function () { if (window.reportWhatif) { window.reportWhatif.reset(); } };
}());
