/* Alerts page: filters (year, city, level, rule, peer group, a region's departments), search and
   pages over the rows of the JSON block #alerts-data. Rows are built on demand, one page at a time,
   with textContent only (data never becomes markup). Without this script the page shows the
   summary and the printed list of the latest year's red and orange alerts. */
(function () {
  'use strict';
  var block = document.getElementById('alerts-data');
  var tool = document.getElementById('alert-tool');
  if (!block || !tool) { return; }
  var D = JSON.parse(block.textContent);
  var S = D.s, T = D.t, U = D.units, L = ['red', 'orange', 'yellow', 'blue', 'watch'];
  var WATCH = 4;
  var el = function (id) { return document.getElementById(id); };
  var f = { year: el('ap-year'), city: el('ap-city'), level: el('ap-level'), rule: el('ap-rule'),
    peer: el('ap-peer'), search: el('ap-search') };
  var state = { page: 0, region: -1, shown: [] };

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return values.hasOwnProperty(k) ? values[k] : m; });
  }
  function node(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function badge(lv) {
    return node('span', 'alert al-' + L[lv], D.levels[lv]);
  }
  /* lower-case text searched for each row: unit name and id, and every message */
  var haystack = D.rows.map(function (r) {
    var u = U[r[0]], parts = [u[0], u[1]];
    r[3].forEach(function (it) { parts.push(S[it[3]]); if (it[1] >= 0) { parts.push(D.rules[it[1]]); } });
    return parts.join(' ').toLowerCase();
  });
  var regionOf = {};
  U.forEach(function (u, i) {
    if (u[4]) { regionOf[i] = u[0].split('-')[0]; }
  });

  function matches(r, i, q) {
    var u = U[r[0]];
    if (f.year.value !== '' && String(r[1]) !== f.year.value) { return false; }
    if (f.city.value !== '' && String(u[2]) !== f.city.value) { return false; }
    if (f.peer.value !== '' && String(u[3]) !== f.peer.value) { return false; }
    if (f.level.value !== '' && String(r[2]) !== f.level.value) { return false; }
    if (f.rule.value !== '') {
      var rule = Number(f.rule.value);
      if (!r[3].some(function (it) { return it[1] === rule; })) { return false; }
    }
    if (state.region >= 0 && regionOf[r[0]] !== U[state.region][0]) { return false; }
    if (q && haystack[i].indexOf(q) < 0) { return false; }
    return true;
  }

  function unitCell(r) {
    var u = U[r[0]], th = node('th', 'ap-unit');
    th.scope = 'row';
    var name;
    if (u[5]) {
      name = node('a', null, u[1]);
      name.href = 'units/' + u[0] + '.html';
    } else {
      name = node('span', null, u[1]);
    }
    th.appendChild(name);
    th.appendChild(node('span', 'ap-id', u[0]));
    return th;
  }

  function levelCell(r) {
    var td = node('td', 'ap-level');
    if (r[2] >= 0) {
      td.appendChild(badge(r[2]));
    } else {
      td.appendChild(node('span', 'muted', T.ap_no_own_alert));
    }
    if (r[4].length) {
      var box = node('div', 'ap-rollup');
      box.appendChild(node('span', null, T.ap_departments + D.colon));
      box.appendChild(node('span', null, r[4].map(function (x) {
        return fill(T.ap_rollup, { n: x[1], level: D.rollLevels[x[0]] });
      }).join(D.sep)));
      var b = node('button', 'ap-link', T.ap_show_departments);
      b.type = 'button';
      b.setAttribute('data-region', r[0]);
      box.appendChild(document.createTextNode(' '));
      box.appendChild(b);
      td.appendChild(box);
    }
    return td;
  }

  function itemLine(it) {
    var li = node('li', it[0] === WATCH ? 'ap-item ap-watch' : 'ap-item');
    li.appendChild(badge(it[0]));
    li.appendChild(document.createTextNode(' '));
    if (it[1] >= 0) { li.appendChild(node('strong', null, D.rules[it[1]])); li.appendChild(document.createTextNode(' ')); }
    li.appendChild(node('span', 'ap-msg', S[it[3]]));
    if (it[9] >= 0) { li.appendChild(node('span', 'muted', ' (' + T.ap_origin + D.colon + U[it[9]][1] + ')')); }
    if (it[10]) { li.appendChild(node('div', 'muted fiscal-note', S[it[10]])); }
    var act = [];
    if (it[5]) { act.push(T.ap_action + D.colon + S[it[5]]); }
    if (it[6]) { act.push(T.ap_owner + D.colon + S[it[6]]); }
    if (it[7]) { act.push(T.ap_follow_up + D.colon + S[it[7]]); }
    if (it[8]) { act.push(T.ap_held_until + D.colon + S[it[8]]); }
    if (act.length) { li.appendChild(node('div', 'ap-act', act.join(' \u00b7 '))); }
    if (it[4]) {
      var d = node('details', 'ap-ev');
      d.appendChild(node('summary', null, T.evidence));
      d.appendChild(node('p', null, S[it[4]]));
      li.appendChild(d);
    }
    return li;
  }

  function rowOf(r) {
    var tr = node('tr', r[2] >= 0 ? 'lv-' + L[r[2]] : 'lv-none');
    tr.setAttribute('data-unit', U[r[0]][0]);
    tr.setAttribute('data-level', r[2] >= 0 ? L[r[2]] : '');
    tr.appendChild(node('td', 'ap-year', String(r[1])));
    tr.appendChild(unitCell(r));
    tr.appendChild(levelCell(r));
    var td = node('td', 'ap-reasons'), ul = node('ul', 'ap-items');
    r[3].forEach(function (it) { ul.appendChild(itemLine(it)); });
    td.appendChild(ul);
    tr.appendChild(td);
    return tr;
  }

  function render() {
    var rows = state.shown, n = rows.length, per = D.perPage;
    var pages = Math.max(1, Math.ceil(n / per));
    if (state.page >= pages) { state.page = pages - 1; }
    var a = state.page * per, b = Math.min(n, a + per);
    var tbody = el('ap-table').tBodies[0], frag = document.createDocumentFragment();
    for (var i = a; i < b; i++) { frag.appendChild(rowOf(rows[i])); }
    tbody.textContent = '';
    if (!n) {
      var tr = node('tr'), td = node('td', 'muted', T.ap_no_match);
      td.colSpan = 4;
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    tbody.appendChild(frag);
    el('ap-range').textContent = n ? fill(T.ap_rows, { a: a + 1, b: b, n: n }) : '';
    el('ap-prev').disabled = state.page === 0;
    el('ap-next').disabled = b >= n;
    tool.classList.toggle('ap-all-years', f.year.value === '');
  }

  function counts(rows) {
    var c = [0, 0, 0, 0, 0];
    rows.forEach(function (r) { if (r[2] >= 0) { c[r[2]] += 1; } });
    var box = el('ap-counts');
    box.textContent = '';
    c.forEach(function (k, lv) {
      var s = node('span', lv === WATCH ? 'ap-count ap-watch' : 'ap-count');
      s.appendChild(badge(lv));
      s.appendChild(document.createTextNode(' ' + k));
      box.appendChild(s);
    });
  }

  function apply() {
    var q = f.search.value.trim().toLowerCase();
    state.shown = D.rows.filter(function (r, i) { return matches(r, i, q); });
    state.page = 0;
    var chip = el('ap-region');
    chip.hidden = state.region < 0;
    if (state.region >= 0) { chip.firstChild.textContent = fill(T.ap_region_filter, { name: U[state.region][1] }); }
    counts(state.shown);
    render();
  }

  Object.keys(f).forEach(function (k) {
    f[k].addEventListener(k === 'search' ? 'input' : 'change', apply);
  });
  el('ap-filters').addEventListener('submit', function (e) { e.preventDefault(); });
  el('ap-prev').addEventListener('click', function () { state.page -= 1; render(); });
  el('ap-next').addEventListener('click', function () { state.page += 1; render(); });
  el('ap-region-clear').addEventListener('click', function () { state.region = -1; apply(); });
  el('ap-table').addEventListener('click', function (e) {
    var b = e.target.closest ? e.target.closest('button[data-region]') : null;
    if (!b) { return; }
    state.region = Number(b.getAttribute('data-region'));
    f.level.value = '';
    f.peer.value = '';
    f.search.value = '';
    apply();
  });
  tool.hidden = false;
  document.body.classList.add('ap-js');
  apply();
  window.alertsPage = { apply: apply, state: state };
}());
