/* Overview page: ranking filters, comparison selectors and what-if weights.
   The what-if result is computed here from the published dimension scores; it is never the
   published result, and "reset" restores the published values exactly. */
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
      if (gi === undefined) { g.textContent = grade || DASH; } else { g.appendChild(badge('grade g' + gi, grade)); }
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

  /* -- what-if weights ---------------------------------------------------------------------- */
  var dataEl = $('whatif-data');
  if (!dataEl || !table) { return; }
  var data = JSON.parse(dataEl.textContent);
  var inputs = Array.prototype.slice.call(document.querySelectorAll('input[data-weight]'));
  var latestOnly = rows.slice();
  var byId = {};
  latestOnly.forEach(function (r) { byId[r.getAttribute('data-unit')] = r; });
  var published = {};
  latestOnly.forEach(function (r) {
    var snap = {};
    ['score', 'rank', 'grade'].forEach(function (c) {
      var td = r.querySelector('td.c-' + c);
      snap[c] = { html: td.innerHTML, value: td.getAttribute('data-value') };
    });
    snap.grade.attr = r.getAttribute('data-grade');
    published[r.getAttribute('data-unit')] = snap;
  });
  var status = $('whatif-status');

  function weightsNow() {
    return data.dims.map(function (d) {
      var el = inputs.filter(function (i) { return i.getAttribute('data-weight') === d.code; })[0];
      var w = el ? parseFloat(el.value) : d.weight;
      return isFinite(w) && w > 0 ? w : 0;
    });
  }
  function showShares(w) {
    var tot = w.reduce(function (a, b) { return a + b; }, 0);
    data.dims.forEach(function (d, i) {
      var el = document.querySelector('[data-share="' + d.code + '"]');
      if (el) { el.textContent = tot > 0 ? Math.round(100 * w[i] / tot) + '%' : '\u2014'; }
    });
  }
  function score(u, w) {
    var app = data.groups[u[1]].app, x = u[2];
    var appW = 0, availW = 0, acc = 0;
    for (var i = 0; i < w.length; i += 1) {
      if (!app[i]) { continue; }
      appW += w[i];
      if (x[i] === null) { continue; }
      availW += w[i];
      acc += data.method === 'geometric' ? w[i] * Math.log(x[i]) : w[i] * x[i];
    }
    if (availW <= 0 || appW <= 0 || availW / appW < data.threshold) { return null; }
    return data.method === 'geometric' ? Math.exp(acc / availW) : acc / availW;
  }
  function gradeOf(s, cap) {
    if (s === null) { return -1; }
    var idx = data.grades.length - 1;
    for (var g = 0; g < data.grades.length; g += 1) {
      if (s >= data.grades[g].min) { idx = g; break; }
    }
    return cap >= 0 && cap > idx ? cap : idx;
  }
  function setCell(r, cls, text, value) {
    var td = r.querySelector('td.c-' + cls);
    td.textContent = text;
    td.setAttribute('data-value', value);
  }
  function recompute() {
    var w = weightsNow();
    showShares(w);
    var same = data.dims.every(function (d, i) { return Math.abs(d.weight - w[i]) < 1e-12; });
    if (same) { reset(false); return; }
    var res = data.units.map(function (u) { return { u: u, s: score(u, w) }; });
    var groups = {};
    res.forEach(function (r) { (groups[r.u[1]] = groups[r.u[1]] || []).push(r); });
    Object.keys(groups).forEach(function (g) {
      var list = groups[g].filter(function (r) { return r.s !== null; });
      list.sort(function (a, b) { return b.s - a.s; });
      list.forEach(function (r, i) {
        r.rank = (i > 0 && list[i - 1].s === r.s) ? list[i - 1].rank : i + 1;
      });
    });
    res.forEach(function (r) {
      var row = byId[r.u[0]];
      if (!row) { return; }
      var gi = gradeOf(r.s, r.u[3]);
      setCell(row, 'score', r.s === null ? '\u2014' : r.s.toFixed(1), r.s === null ? '' : r.s.toFixed(4));
      setCell(row, 'rank', r.s === null ? DASH : fmtInt(r.rank), r.s === null ? '' : String(r.rank));
      var td = row.querySelector('td.c-grade');
      td.setAttribute('data-value', gi < 0 ? '' : String(gi));
      td.textContent = '';
      if (gi >= 0) {
        var span = document.createElement('span');
        span.className = 'grade g' + gi;
        span.textContent = data.grades[gi].code;
        td.appendChild(span);
      } else {
        td.textContent = '\u2014';
      }
      row.setAttribute('data-grade', gi < 0 ? '' : data.grades[gi].code);
    });
    table.classList.add('whatif-on');
    if (status) { status.hidden = false; }
    applyFilters();
  }
  function reset(resetInputs) {
    if (resetInputs) {
      inputs.forEach(function (el) {
        var d = data.dims.filter(function (x) { return x.code === el.getAttribute('data-weight'); })[0];
        if (d) { el.value = String(d.weight); }
      });
      showShares(weightsNow());
    }
    latestOnly.forEach(function (r) {
      var snap = published[r.getAttribute('data-unit')];
      ['score', 'rank', 'grade'].forEach(function (c) {
        var td = r.querySelector('td.c-' + c);
        td.innerHTML = snap[c].html;
        if (snap[c].value === null) { td.removeAttribute('data-value'); } else { td.setAttribute('data-value', snap[c].value); }
      });
      r.setAttribute('data-grade', snap.grade.attr || '');
    });
    table.classList.remove('whatif-on');
    if (status) { status.hidden = true; }
    applyFilters();
  }
  resetWhatif = function () { reset(true); };
  inputs.forEach(function (el) { el.addEventListener('input', recompute); });
  if ($('reset-weights')) { $('reset-weights').addEventListener('click', function () { reset(true); }); }
}());
