/* Comparison page: two or three units side by side, from the JSON block #compare-data.
   The pickers list every unit by peer group; the table shows the latest result, the dimension
   and indicator scores, and the chart and table the score in every year. The picked units are
   kept in the address (#u=id,id) so a comparison can be linked. */
(function () {
  'use strict';
  var dataEl = document.getElementById('compare-data');
  if (!dataEl) { return; }
  var D = JSON.parse(dataEl.textContent), T = D.t;
  var DASH = '\u2014';
  var chart = document.getElementById('cmp-svg');
  var SVG_NS = chart ? chart.namespaceURI : null;
  var COLOURS = ['#0b5cad', '#b3261e', '#1a7f37'];
  var MARKS = ['circle', 'square', 'triangle'];
  var byId = {};
  D.units.forEach(function (u, i) { byId[u[0]] = i; });
  var pickers = [];
  for (var k = 0; k < D.max; k += 1) {
    var pick = document.getElementById('pick-' + k);
    if (pick) { pickers.push(pick); }
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  function fmt(x, digits) { return x === null || x === undefined ? DASH : Number(x).toFixed(digits); }
  function signed(x) {
    if (x === null || x === undefined) { return DASH; }
    var t = Math.abs(x).toFixed(1);
    return /^[0.]*$/.test(t) ? t : (x > 0 ? '+' : '\u2212') + t;
  }
  function raw(x, how) {
    if (x === null || x === undefined) { return DASH; }
    if (how === 'p1') { return (100 * x).toFixed(1) + '%'; }
    return Number(x).toFixed(Number(how.slice(1)));
  }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, key) { return values[key] === undefined ? m : values[key]; });
  }
  function gradeBadge(code, text) {
    if (!code) { return document.createTextNode(DASH); }
    var idx = D.grades[code];
    return idx === undefined ? document.createTextNode(text || code) : el('span', text || code, 'grade g' + idx);
  }
  function alertBadge(level) {
    return level ? el('span', D.alerts[level] || level, 'alert al-' + level) : document.createTextNode(DASH);
  }

  /* -- pickers ------------------------------------------------------------------------------- */
  pickers.forEach(function (sel, p) {
    if (p >= 2) { sel.appendChild(el('option', T.cmp_none)).value = ''; }
    var groups = D.groups.map(function (g) { var o = el('optgroup'); o.label = g; return o; });
    D.units.forEach(function (u) {
      var o = el('option', u[1]);
      o.value = u[0];
      groups[u[2]].appendChild(o);
    });
    groups.forEach(function (g) { if (g.children.length) { sel.appendChild(g); } });
  });

  function picked() {
    var seen = {}, out = [];
    pickers.forEach(function (s) {
      var i = byId[s.value];
      if (i !== undefined && !seen[i]) { seen[i] = true; out.push(i); }
    });
    return out;
  }

  /* -- the table ------------------------------------------------------------------------------ */
  function row(tbody, head, cells, opts) {
    var tr = el('tr');
    var th = el('th', head);
    th.setAttribute('scope', 'row');
    if (opts && opts.sub) { th.appendChild(el('span', ' ' + opts.sub, 'muted')); }
    tr.appendChild(th);
    cells.forEach(function (c) {
      var td = el('td');
      if (opts && opts.num) { td.className = 'num'; }
      if (c !== null && typeof c === 'object') { td.appendChild(c); } else { td.textContent = c === null ? DASH : c; }
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
    return tr;
  }
  function section(tbody, text, n) {
    var tr = el('tr', null, 'group');
    var th = el('th', text);
    th.setAttribute('scope', 'colgroup');
    th.colSpan = n + 1;
    tr.appendChild(th);
    tbody.appendChild(tr);
  }
  function lead(tr, values) {
    /* the highest value of the row in bold (marked data-lead), when the units are not all equal */
    var best = null;
    values.forEach(function (v) { if (v !== null && (best === null || v > best)) { best = v; } });
    var n = values.filter(function (v) { return v === best; }).length;
    if (best === null || n === values.length) { return; }
    values.forEach(function (v, i) {
      if (v !== best) { return; }
      var td = tr.cells[i + 1], strong = el('strong');
      while (td.firstChild) { strong.appendChild(td.firstChild); }
      td.appendChild(strong);
      td.setAttribute('data-lead', '1');
    });
  }

  function drawTable(ids) {
    var table = document.getElementById('cmp-table');
    var thead = table.tHead, tbody = table.tBodies[0];
    thead.textContent = '';
    tbody.textContent = '';
    var hr = el('tr');
    var corner = el('th', T.unit);
    corner.setAttribute('scope', 'col');
    hr.appendChild(corner);
    ids.forEach(function (i, k) {
      var u = D.units[i], th = el('th');
      th.setAttribute('scope', 'col');
      var mark = el('span', ['\u25cf', '\u25a0', '\u25b2'][k] + ' ');
      mark.style.color = COLOURS[k];
      mark.setAttribute('aria-hidden', 'true');
      th.appendChild(mark);
      if (u[3]) { var a = el('a', u[1]); a.href = u[3]; th.appendChild(a); } else { th.appendChild(document.createTextNode(u[1])); }
      hr.appendChild(th);
    });
    thead.appendChild(hr);
    var now = ids.map(function (i) { return D.now[i]; });
    var n = ids.length;
    row(tbody, T.peer_group, ids.map(function (i) { return D.groups[D.units[i][2]]; }));
    var r = row(tbody, T.score, now.map(function (x) { return x ? fmt(x[0], 1) : T.cmp_not_rated; }), { num: true });
    lead(r, now.map(function (x) { return x ? x[0] : null; }));
    row(tbody, T.rank, now.map(function (x) {
      return x && x[1] !== null ? fill(T.cmp_rank_of, { rank: x[1], n: x[7] }) : DASH;
    }), { num: true });
    row(tbody, T.rank_interval, now.map(function (x) {
      return x && x[2] !== null && x[3] !== null ? x[2] + '\u2013' + x[3] : DASH;
    }), { num: true });
    row(tbody, T.grade, now.map(function (x) { return x ? gradeBadge(x[4], x[8]) : gradeBadge(null); }));
    row(tbody, T.alert_level, now.map(function (x) { return alertBadge(x ? x[5] : null); }));
    row(tbody, T.yoy, now.map(function (x) { return x ? signed(x[6]) : DASH; }), { num: true });
    if (D.dims.length) {
      section(tbody, T.dimensions, n);
      D.dims.forEach(function (name, d) {
        var vals = ids.map(function (i) { return D.dimv[i][d]; });
        lead(row(tbody, name, vals.map(function (v) { return fmt(v, 1); }), { num: true }), vals);
      });
    }
    if (D.inds.length) {
      var dimOrder = D.dims.map(function (_, d) { return d; }).concat([null]);
      dimOrder.forEach(function (d) {
        var members = [];
        D.inds.forEach(function (ind, j) { if (ind[3] === d) { members.push(j); } });
        if (!members.length) { return; }
        section(tbody, T.indicators + (d === null ? '' : ' \u00b7 ' + D.dims[d]) + ' \u00b7 ' + T.normalised +
          ' (' + T.cmp_raw + ')', n);
        members.forEach(function (j) {
          var ind = D.inds[j];
          var vals = ids.map(function (i) { return D.norm[i][j]; });
          var cells = ids.map(function (i) {
            var v = D.norm[i][j], x = D.raw[i][j];
            return v === null && x === null ? DASH : fmt(v, 1) + ' (' + raw(x, ind[2]) + ')';
          });
          lead(row(tbody, ind[0], cells, { num: true, sub: ind[1] ? '(' + ind[1] + ')' : '' }), vals);
        });
      });
    }
  }

  /* -- the trend ------------------------------------------------------------------------------ */
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function marker(kind, x, y, colour) {
    if (kind === 'square') { return svg('rect', { x: x - 4, y: y - 4, width: 8, height: 8, fill: colour }); }
    if (kind === 'triangle') {
      return svg('polygon', { points: [x, y - 5, x - 5, y + 4, x + 5, y + 4].join(' '), fill: colour });
    }
    return svg('circle', { cx: x, cy: y, r: 4.5, fill: colour });
  }
  function drawTrend(ids) {
    /* the chart's <svg> is in the page (with its title and description); its drawing is replaced */
    if (!chart) { return; }
    while (chart.lastChild && chart.lastChild.nodeName.toLowerCase() !== 'desc') { chart.removeChild(chart.lastChild); }
    var W = 640, H = 250, L = 44, R = 16, TOP = 16, B = 34;
    var years = D.years, lo = 100, hi = 0;
    ids.forEach(function (i) { D.trend[i].forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); });
    if (lo > hi) { lo = 0; hi = 100; }
    lo = Math.max(0, Math.floor((lo - 5) / 10) * 10);
    hi = Math.min(100, Math.ceil((hi + 5) / 10) * 10);
    if (hi <= lo) { hi = lo + 10; }
    var X = function (k) { return years.length < 2 ? (L + W - R) / 2 : L + k * (W - L - R) / (years.length - 1); };
    var Y = function (v) { return TOP + (hi - v) * (H - TOP - B) / (hi - lo); };
    var s = chart;
    for (var v = lo; v <= hi; v += 10) {
      s.appendChild(svg('line', { x1: L, x2: W - R, y1: Y(v), y2: Y(v), stroke: '#d0d0d0', 'stroke-width': 1 }));
      var lab = svg('text', { x: L - 6, y: Y(v) + 4, 'text-anchor': 'end', 'font-size': 12, fill: '#333' });
      lab.textContent = String(v);
      s.appendChild(lab);
    }
    years.forEach(function (y, k) {
      var t = svg('text', { x: X(k), y: H - B + 18, 'text-anchor': 'middle', 'font-size': 12, fill: '#333' });
      t.textContent = String(y);
      s.appendChild(t);
    });
    ids.forEach(function (i, k) {
      var pts = [];
      D.trend[i].forEach(function (val, j) { if (val !== null) { pts.push([X(j), Y(val)]); } });
      if (pts.length > 1) {
        s.appendChild(svg('polyline', { points: pts.map(function (p) { return p.join(','); }).join(' '),
          fill: 'none', stroke: COLOURS[k], 'stroke-width': 2, 'stroke-dasharray': ['none', '6 3', '2 3'][k] }));
      }
      pts.forEach(function (p) { s.appendChild(marker(MARKS[k], p[0], p[1], COLOURS[k])); });
    });

    var table = document.getElementById('cmp-trend-table');
    table.tHead.textContent = '';
    table.tBodies[0].textContent = '';
    var hr = el('tr'), th0 = el('th', T.year);
    th0.setAttribute('scope', 'col');
    hr.appendChild(th0);
    ids.forEach(function (i, k) {
      var th = el('th', ['\u25cf ', '\u25a0 ', '\u25b2 '][k] + D.units[i][1], 'num');
      th.setAttribute('scope', 'col');
      hr.appendChild(th);
    });
    table.tHead.appendChild(hr);
    years.slice().reverse().forEach(function (y) {
      var j = years.indexOf(y);
      row(table.tBodies[0], String(y), ids.map(function (i) { return fmt(D.trend[i][j], 1); }), { num: true });
    });
  }

  /* -- state ---------------------------------------------------------------------------------- */
  function mixed(ids) {
    return ids.some(function (i) { return D.units[i][2] !== D.units[ids[0]][2]; });
  }
  function update(keepHash) {
    var ids = picked(), status = document.getElementById('cmp-status');
    var msg = ids.length < 2 ? T.cmp_pick_two : mixed(ids) ? T.cmp_mixed_groups : '';
    status.textContent = msg;
    status.hidden = !msg;
    if (ids.length < 1) { return; }
    drawTable(ids);
    drawTrend(ids);
    if (!keepHash) {
      var h = '#u=' + ids.map(function (i) { return D.units[i][0]; }).join(',');
      try { window.history.replaceState(null, '', h); } catch (e) { window.location.hash = h; }
    }
  }
  function fromHash() {
    var m = /[#&]u=([^&]*)/.exec(window.location.hash || '');
    var ids = m ? decodeURIComponent(m[1]).split(',').filter(function (u) { return byId[u] !== undefined; }) : [];
    return ids.length ? ids.slice(0, pickers.length).map(function (u) { return byId[u]; }) : D.default;
  }
  var start = fromHash();
  pickers.forEach(function (sel, p) {
    sel.value = start[p] === undefined ? '' : D.units[start[p]][0];
    sel.addEventListener('change', function () { update(false); });
  });
  update(true);
}());
