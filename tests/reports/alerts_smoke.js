/* Drives the alerts page's script in jsdom. Usage: node alerts_smoke.js alerts.html '<json steps>'
   where steps is a list of {"name": ..., "set": {"ap-year": "2023", ...}, "region": true?};
   after each step it walks every page (the Next button) and reports the rows shown as
   "unit_id|year|level" plus the counts line; one JSON line out. Needs the jsdom package. */
'use strict';
const { d, errors, fire } = require('./jsdom_page').open(process.argv[2]);
const steps = JSON.parse(process.argv[3] || '[]');
const ids = ['ap-year', 'ap-city', 'ap-level', 'ap-rule', 'ap-peer', 'ap-search'];

function walk() {
  const rows = [];
  const texts = [];
  let pages = 0;
  const prev = d.getElementById('ap-prev');
  while (!prev.disabled) { prev.click(); }
  for (;;) {
    pages += 1;
    d.querySelectorAll('#ap-table tbody tr[data-unit]').forEach((tr) => {
      rows.push([tr.getAttribute('data-unit'), tr.cells[0].textContent, tr.getAttribute('data-level')].join('|'));
      texts.push(tr.textContent);
    });
    const next = d.getElementById('ap-next');
    if (next.disabled) { break; }
    next.click();
  }
  return { rows, texts, pages, domRows: d.querySelectorAll('#ap-table tbody tr').length,
    counts: d.getElementById('ap-counts').textContent, range: d.getElementById('ap-range').textContent,
    markup: d.querySelectorAll('#ap-table img, #ap-table script').length };
}

const out = { errors, tool: !d.getElementById('alert-tool').hidden,
  defaultYear: d.getElementById('ap-year').value, steps: {} };
out.steps.initial = walk();
for (const step of steps) {
  ids.forEach((id) => {
    const el = d.getElementById(id);
    const want = Object.prototype.hasOwnProperty.call(step.set || {}, id) ? step.set[id] : (id === 'ap-year' ? el.value : '');
    if (el.value !== want) {
      el.value = want;
      fire(el, id === 'ap-search' ? 'input' : 'change');
    }
  });
  if (step.region) {
    const b = d.querySelector('#ap-table button[data-region]');
    if (b) {
      out.steps[step.name + ':region'] = b.closest('tr').getAttribute('data-unit');
      b.click();
    }
  }
  out.steps[step.name] = walk();
  if (step.region) { d.getElementById('ap-region-clear').click(); }
}
process.stdout.write(JSON.stringify(out) + '\n');
