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

/* What-if weights of the ranking (#ranking, #whatif-data, input[data-weight]): recompute the
   index from the published dimension scores, re-rank within peer groups, re-sort the rows, show
   each change against the published score, rank and grade, and refuse weights that are negative
   or add up to zero with a message. "Reset" restores the published values and order exactly.
   The rank interval, outlook and alert columns are not recomputed; the page says so.
   window.reportWhatif.reset() resets; the table fires "whatifchange" after every change. */
(function () {
  'use strict';
  var DASH = '\u2014';
  function $(id) { return document.getElementById(id); }
  var table = $('ranking'), dataEl = $('whatif-data');
  if (!table || !dataEl || !table.tBodies.length) { return; }
  var data = JSON.parse(dataEl.textContent);
  var msg = data.messages || {};
  var inputs = Array.prototype.slice.call(document.querySelectorAll('input[data-weight]'));
  var latest = Array.prototype.slice.call(table.tBodies[0].rows);
  var byId = {}, published = {}, group = {}, pos = {};
  latest.forEach(function (r, i) {
    var id = r.getAttribute('data-unit'), g = r.getAttribute('data-kind') + '|' + r.getAttribute('data-level');
    byId[id] = r;
    pos[id] = i;
    if (!(g in group)) { group[g] = i; }
    var snap = {};
    ['score', 'rank', 'grade'].forEach(function (c) {
      var td = r.querySelector('td.c-' + c);
      snap[c] = { html: td.innerHTML, value: td.getAttribute('data-value') };
    });
    snap.grade.attr = r.getAttribute('data-grade') || '';
    published[id] = snap;
  });
  var status = $('whatif-status');

  function para(id, cls, role, before) {
    var el = $(id);
    if (el || !status) { return el; }
    el = document.createElement('p');
    el.id = id;
    if (cls) { el.className = cls; }
    if (role) { el.setAttribute('role', role); }
    el.hidden = true;
    status.parentNode.insertBefore(el, before ? status : status.nextSibling);
    return el;
  }
  var errorEl = para('whatif-error', 'whatif-error', 'alert', true);
  var changedEl = para('whatif-changed', 'note', null, false);
  var staleEl = para('whatif-stale', 'note', null, false);
  if (staleEl && !staleEl.textContent) { staleEl.textContent = msg.stale || ''; }

  function num(v) { return v === null || v === '' || v === undefined ? null : parseFloat(v); }
  function fmtInt(x) { return x === null ? DASH : Number(x).toLocaleString('en-US'); }
  function fmtSigned(x) {
    var t = Math.abs(x).toFixed(1);
    return /^[0.]*$/.test(t) ? '' : (x > 0 ? '+' : '\u2212') + t;
  }
  function showError(text, all) {
    if (errorEl) { errorEl.textContent = text || ''; errorEl.hidden = !text; }
    inputs.forEach(function (el) {
      var w = parseFloat(el.value);
      if (text && (all || !(isFinite(w) && w >= 0))) { el.setAttribute('aria-invalid', 'true'); } else { el.removeAttribute('aria-invalid'); }
    });
  }
  function weightsNow() {
    var w = data.dims.map(function (d) {
      var el = inputs.filter(function (i) { return i.getAttribute('data-weight') === d.code; })[0];
      return el ? parseFloat(el.value) : d.weight;
    });
    if (!w.every(function (x) { return isFinite(x) && x >= 0; })) { return { error: msg.bad_weight || 'invalid' }; }
    if (!(w.reduce(function (a, b) { return a + b; }, 0) > 0)) { return { error: msg.zero_total || 'zero', all: true }; }
    return { w: w };
  }
  function showShares(w) {
    var tot = w.reduce(function (a, b) { return a + b; }, 0);
    data.dims.forEach(function (d, i) {
      var el = document.querySelector('[data-share="' + d.code + '"]');
      if (el) { el.textContent = Math.round(100 * w[i] / tot) + '%'; }
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
  function setCell(td, text, value) {
    td.textContent = text;
    td.setAttribute('data-value', value);
  }
  function delta(td, text) {
    if (!text) { return; }
    var span = document.createElement('span');
    span.className = 'delta';
    span.textContent = ' (' + text + ')';
    td.appendChild(span);
  }
  function reorder(rank) {
    var tbody = table.tBodies[0];
    if (!latest.length || latest[0].parentNode !== tbody) { return; }
    var keyed = latest.map(function (r) {
      var id = r.getAttribute('data-unit'), k = rank ? rank[id] : pos[id];
      return { r: r, g: group[r.getAttribute('data-kind') + '|' + r.getAttribute('data-level')],
               k: k === null || k === undefined ? Infinity : k, i: pos[id] };
    });
    keyed.sort(function (a, b) { return a.g - b.g || a.k - b.k || a.i - b.i; });
    var frag = document.createDocumentFragment();
    keyed.forEach(function (x) { frag.appendChild(x.r); });
    tbody.appendChild(frag);
    Array.prototype.forEach.call(table.querySelectorAll('thead th[data-sort]'), function (h) {
      h.setAttribute('aria-sort', 'none');
    });
  }
  function changed() { table.dispatchEvent(new Event('whatifchange')); }

  function restore() {
    latest.forEach(function (r) {
      var snap = published[r.getAttribute('data-unit')];
      ['score', 'rank', 'grade'].forEach(function (c) {
        var td = r.querySelector('td.c-' + c);
        td.innerHTML = snap[c].html;
        if (snap[c].value === null) { td.removeAttribute('data-value'); } else { td.setAttribute('data-value', snap[c].value); }
      });
      r.setAttribute('data-grade', snap.grade.attr);
    });
    reorder(null);
    table.classList.remove('whatif-on');
    [status, staleEl, changedEl].forEach(function (el) { if (el) { el.hidden = true; } });
  }
  function recompute() {
    var got = weightsNow();
    if (got.error) { showError(got.error, got.all); return; }
    showError('');
    var w = got.w;
    showShares(w);
    if (data.dims.every(function (d, i) { return Math.abs(d.weight - w[i]) < 1e-12; })) { restore(); changed(); return; }
    var res = data.units.map(function (u) { return { u: u, s: score(u, w) }; });
    var groups = {};
    res.forEach(function (r) { (groups[r.u[1]] = groups[r.u[1]] || []).push(r); });
    Object.keys(groups).forEach(function (g) {
      var list = groups[g].filter(function (r) { return r.s !== null; });
      list.sort(function (a, b) { return b.s - a.s; });
      list.forEach(function (r, i) { r.rank = (i > 0 && list[i - 1].s === r.s) ? list[i - 1].rank : i + 1; });
    });
    var rank = {}, nGrade = 0, nRank = 0;
    res.forEach(function (r) {
      var id = r.u[0], row = byId[id];
      if (!row) { return; }
      var snap = published[id], gi = gradeOf(r.s, r.u[3]);
      rank[id] = r.s === null ? null : r.rank;
      var td = row.querySelector('td.c-score'), s0 = num(snap.score.value);
      setCell(td, r.s === null ? DASH : r.s.toFixed(1), r.s === null ? '' : r.s.toFixed(4));
      if (r.s !== null && s0 !== null) { delta(td, fmtSigned(r.s - s0)); }
      td = row.querySelector('td.c-rank');
      var r0 = num(snap.rank.value);
      setCell(td, r.s === null ? DASH : fmtInt(r.rank), r.s === null ? '' : String(r.rank));
      if (r.s !== null && r0 !== null && r0 !== r.rank) {
        delta(td, (r.rank < r0 ? '\u2191' : '\u2193') + Math.abs(r0 - r.rank));
        nRank += 1;
      }
      td = row.querySelector('td.c-grade');
      var g1 = gi < 0 ? '' : data.grades[gi].code;
      if (g1 === snap.grade.attr) {  /* the published cell as it was (with any veto note) */
        td.innerHTML = snap.grade.html;
      } else {
        td.textContent = '';
        if (gi >= 0) {
          var span = document.createElement('span');
          span.className = 'grade g' + gi;
          span.textContent = data.grades[gi].code;
          td.appendChild(span);
        } else { td.textContent = DASH; }
        delta(td, (msg.was || 'was {grade}').replace('{grade}', snap.grade.attr || DASH));
        nGrade += 1;
      }
      td.setAttribute('data-value', gi < 0 ? '' : String(gi));
      row.setAttribute('data-grade', g1);
    });
    reorder(rank);
    table.classList.add('whatif-on');
    if (status) { status.hidden = false; }
    if (staleEl) { staleEl.hidden = !staleEl.textContent; }
    if (changedEl && msg.changed) {
      changedEl.textContent = msg.changed.replace('{grades}', String(nGrade)).replace('{ranks}', String(nRank));
      changedEl.hidden = false;
    }
    changed();
  }
  function reset() {
    inputs.forEach(function (el) {
      var d = data.dims.filter(function (x) { return x.code === el.getAttribute('data-weight'); })[0];
      if (d) { el.value = String(d.weight); }
    });
    showError('');
    showShares(data.dims.map(function (d) { return d.weight; }));
    restore();
    changed();
  }
  inputs.forEach(function (el) { el.addEventListener('input', recompute); });
  if ($('reset-weights')) { $('reset-weights').addEventListener('click', reset); }
  window.reportWhatif = { reset: reset };
}());
