/* Drives the overview page's script in jsdom: sorting, filtering, what-if, reset, other years.
   Usage: node js_smoke.js index.html            checks, one JSON line
          node js_smoke.js index.html dump [YEAR]  the ranking rows (after selecting YEAR)
   Needs the jsdom package. */
'use strict';
const { d, errors, fire } = require('./jsdom_page').open(process.argv[2]);
const rows = () => Array.from(d.querySelectorAll('#ranking tbody tr'));
const column = (i) => rows().map((r) => r.cells[i].getAttribute('data-value')).filter((v) => v !== '').map(Number);
const snapshot = () => rows().map((r) => [r.getAttribute('data-unit'), r.querySelector('td.c-score').textContent,
  r.querySelector('td.c-rank').textContent, r.querySelector('td.c-grade').textContent].join('|')).sort().join(',');
const dump = () => rows().map((r) => [r.getAttribute('data-unit'), r.getAttribute('data-level'),
  r.getAttribute('data-kind'), r.getAttribute('data-city'), r.getAttribute('data-grade')]
  .concat(Array.from(r.cells).map((c) => c.textContent.trim() + '#' + (c.getAttribute('data-value') || '')))
  .concat(Array.from(r.querySelectorAll('a, span')).map((e) => e.outerHTML)).join('|'));
if (process.argv[3] === 'dump') {
  if (process.argv[4]) {
    const sel = d.getElementById('year-select');
    sel.value = process.argv[4];
    fire(sel, 'change');
  }
  process.stdout.write(JSON.stringify({ rows: dump(), errors }) + '\n');
  process.exit(0);
}
const out = {};
const initialOrder = rows().map((r) => r.getAttribute('data-unit')).join(',');

const heading = d.querySelectorAll('#ranking th[data-sort]')[4];
heading.click();
let v = column(4);
out.ascending = v.every((x, i) => i === 0 || v[i - 1] <= x) && heading.getAttribute('aria-sort') === 'ascending';
heading.click();
v = column(4);
out.descending = v.every((x, i) => i === 0 || v[i - 1] >= x) && heading.getAttribute('aria-sort') === 'descending';

const kind = d.getElementById('filter-kind');
kind.value = 'department';
fire(kind, 'change');
out.filtered = rows().filter((r) => !r.hidden).every((r) => r.getAttribute('data-kind') === 'department');
out.shown = Number(d.getElementById('rows-shown').textContent);
kind.value = '';
fire(kind, 'change');

const published = snapshot();
const input = d.querySelector('input[data-weight]');
const weight = input.value;
input.value = '5';
fire(input, 'input');
out.whatifChanges = snapshot() !== published && !d.getElementById('whatif-status').hidden;
/* re-sorted: within each peer group (kind, level) the what-if ranks run 1, 2, ... down the table */
const order = () => rows().map((r) => r.getAttribute('data-unit')).join(',');
const ranksInOrder = () => {
  const last = {};
  return rows().every((r) => {
    const g = r.getAttribute('data-kind') + '|' + r.getAttribute('data-level');
    const v = r.querySelector('td.c-rank').getAttribute('data-value');
    if (v === '') { last[g] = Infinity; return true; }
    const ok = !(g in last) || last[g] <= Number(v);
    last[g] = Number(v);
    return ok;
  });
};
out.whatifResorted = ranksInOrder();
out.whatifDeltas = d.querySelectorAll('#ranking .delta').length > 0 && !d.getElementById('whatif-changed').hidden
  && !d.getElementById('whatif-stale').hidden && d.getElementById('whatif-stale').textContent.length > 0;
const before = snapshot();
input.value = '-1';
fire(input, 'input');
const err = d.getElementById('whatif-error');
const wmsg = JSON.parse(d.getElementById('whatif-data').textContent).messages;
out.negativeRejected = !err.hidden && err.textContent === wmsg.bad_weight && snapshot() === before
  && input.getAttribute('aria-invalid') === 'true';
d.querySelectorAll('input[data-weight]').forEach((el) => { el.value = '0'; });
fire(input, 'input');
out.zeroRejected = !err.hidden && err.textContent === wmsg.zero_total && snapshot() === before;
d.getElementById('reset-weights').click();
out.resetRestores = snapshot() === published && d.getElementById('whatif-status').hidden && input.value === weight
  && err.hidden && order() === initialOrder && d.querySelectorAll('#ranking .delta').length === 0;
input.value = String(Number(weight) * (1 + 1e-9));
fire(input, 'input');
out.recomputeMatchesPublished = snapshot() === published;
input.value = weight;
fire(input, 'input');
const years = d.getElementById('year-select');
if (years && years.options.length > 1) {
  years.value = years.options[1].value;
  fire(years, 'change');
  out.otherYear = rows().length > 0 && input.disabled && d.getElementById('ranking-year').textContent === years.value;
  years.value = years.options[0].value;
  fire(years, 'change');
  out.backToLatest = snapshot() === published && !input.disabled;
}
out.errors = errors;
process.stdout.write(JSON.stringify(out) + '\n');
