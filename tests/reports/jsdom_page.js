/* Opens a report page in jsdom with its scripts running, collecting script errors instead of
   printing them: { dom, d (the document), errors, fire(el, type) }. Needs the jsdom package. */
'use strict';
const fs = require('fs');
const { JSDOM, VirtualConsole } = require('jsdom');

function open(path) {
  const errors = [];
  const vc = new VirtualConsole();
  vc.on('jsdomError', (e) => errors.push(String(e.message || e)));
  vc.on('error', (e) => errors.push(String(e)));
  const dom = new JSDOM(fs.readFileSync(path, 'utf8'), { runScripts: 'dangerously', virtualConsole: vc });
  const fire = (el, type) => el.dispatchEvent(new dom.window.Event(type));
  return { dom, d: dom.window.document, errors, fire };
}

module.exports = { open };
