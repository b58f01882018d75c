// SPDX-License-Identifier: Apache-2.0
// Building the page: elements, tables, sections, times and states. Text always goes in as
// text nodes, never as HTML, so nothing a device or a manifest reports can become markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Appends children (strings become text; null, undefined and false are skipped).
export function add(el, ...children) {
  append(el, children);
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const link = (href, text) => h('a', { href }, text);

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

// columns: [[title, row => cell]]; the table scrolls sideways inside its box on a phone.
export function table(columns, rows, empty = 'None yet.') {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('thead', {}, h('tr', {}, columns.map(([title]) => h('th', { scope: 'col' }, title)))),
      h('tbody', {}, rows.map((row) => h('tr', { class: row._class || null },
        columns.map(([title, cell]) => h('td', { 'data-label': title }, cell(row))))))));
}

// A definition list of facts: [[term, value]].
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// "1 device", "3 devices".
export const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function notReported() { return h('span', { class: 'muted' }, 'not reported'); }

export function time(seconds) {
  if (!seconds) return h('span', { class: 'muted' }, 'never');
  const d = new Date(seconds * 1000);
  return h('time', { datetime: d.toISOString(), title: d.toISOString() }, `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`);
}

export function ago(seconds) {
  if (!seconds) return h('span', { class: 'muted' }, 'never');
  const s = Math.max(0, Math.round(Date.now() / 1000 - seconds));
  const text = s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago`
    : s < 86400 ? `${Math.floor(s / 3600)} h ago` : `${Math.floor(s / 86400)} days ago`;
  return h('time', { datetime: new Date(seconds * 1000).toISOString(), title: new Date(seconds * 1000).toISOString() }, text);
}

export function state(s) {
  if (!s) return h('span', { class: 'state state-none' }, 'not started');
  return h('span', { class: `state state-${s}` }, s);
}

export function digest(d) {
  if (!d) return h('span', { class: 'muted' }, 'none');
  return h('code', { class: 'digest', title: d }, d.slice(0, 12));
}

export function code(text) { return h('code', {}, text); }

// A JSON value as short text, for tables.
export function show(v) {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.length ? v.join(', ') : '—';
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${x}`).join(', ') || '—';
  return String(v);
}

// A button that changes something (owners only; the user pages have none).
export function action(label, onclick, kind = '') {
  return h('button', { type: 'button', class: `button ${kind}`, dataset: { change: '' }, onclick }, label);
}

// A control that deletes or revokes something, asking first: the button shows a question
// with "label" and "Cancel" beside it; run() does it. What the server refuses (a 409
// saying why it cannot be done) shows next to the control, which stays.
export function confirmAction(label, question, run, id) {
  const box = h('span', { class: 'confirm', id: id || null });
  const error = h('span', { class: 'form-error confirm-error', role: 'alert', hidden: true });
  const ask = action(label, () => {
    error.hidden = true;
    replace(box, h('span', { class: 'confirm-question' }, question), ' ',
      action(`Yes, ${label.toLowerCase()}`, async (ev) => {
        ev.target.disabled = true;
        try {
          await run();
        } catch (e) {
          error.textContent = e.status ? `Orbit refused this: ${e.message}.` : e.message;
          error.hidden = false;
          replace(box, ask, error);
        }
      }, 'danger confirm-yes'), ' ',
      h('button', { type: 'button', class: 'button quiet', onclick: () => replace(box, ask) }, 'Cancel'));
  }, 'danger');
  return replace(box, ask, error);
}
