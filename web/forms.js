// SPDX-License-Identifier: Apache-2.0
// Forms that change something. Each field is checked before sending; what the server
// refuses comes back as its one-line message, shown next to the field it names (its
// messages say `field "name" ...`) or, when it names none, next to the field the form
// says such an error concerns, else under the form. A refused form keeps what was typed;
// one the server took is cleared for the next.

import { h } from './dom.js';

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

export const checks = {
  required: (v) => (v.trim() ? null : 'This is required.'),
  name: (v) => (NAME.test(v) ? null
    : 'Use 1 to 64 characters of A-Z a-z 0-9 . _ - (not starting with a dot).'),
  email: (v) => (/^[^\s@]+@[^\s@]+$/.test(v.trim()) && v.length <= 254 ? null : 'Give an email address, like ana@example.com.'),
  publicKey: (v) => (/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n?$/.test(v.trim() + '\n')
    ? null : 'Paste an Ed25519 public key in PEM (-----BEGIN PUBLIC KEY----- …), as kos key generate writes it.'),
  phases: (v) => (!v.trim() || /^\d+%?(,\d+%?)*$/.test(v.trim()) ? null
    : 'Give cumulative phase sizes separated by commas, as counts or percentages: 5%,25%,100% or 1,10,100%.'),
  percent: (v) => (!v.trim() || (/^\d+$/.test(v.trim()) && +v >= 1 && +v <= 100) ? null
    : 'Give a whole percentage from 1 to 100.'),
  appName: (v) => (NAME.test(v) ? null : 'Give an app name of the manifest (A-Z a-z 0-9 . _ -).'),
};

let formCount = 0;

// fields: [{name, label, type ('text'|'email'|'password'|'textarea'|'select'), options:
// [[value, text]], check: [fn...], hint, placeholder, value}]. onSubmit(values) may throw
// an ApiError; errorField(error) names the field a server error without a field name
// concerns. Returns the form.
export function form({ fields, submit, onSubmit, errorField, id, change = true, intro }) {
  const formId = id || `form${++formCount}`;
  const inputs = {};
  const errors = {};
  const formError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const ok = h('p', { class: 'form-ok', role: 'status', hidden: true });

  const rows = fields.map((f) => {
    const inputId = `${formId}-${f.name}`;
    const errId = `${inputId}-error`;
    const common = { id: inputId, name: f.name, 'aria-describedby': errId, placeholder: f.placeholder || null };
    let input;
    if (f.type === 'textarea') input = h('textarea', { ...common, rows: f.rows || 4, spellcheck: 'false' });
    else if (f.type === 'select') input = h('select', common, f.options.map(([v, t]) => h('option', { value: v, selected: v === f.value }, t)));
    else input = h('input', { ...common, type: f.type || 'text', autocomplete: f.autocomplete || 'off' });
    if (f.value !== undefined && f.type !== 'select') input.setAttribute('value', f.value);
    inputs[f.name] = input;
    errors[f.name] = h('p', { class: 'field-error', id: errId, role: 'alert', hidden: true });
    input.addEventListener('input', () => setError(f.name, null));
    return h('div', { class: 'field' },
      h('label', { for: inputId }, f.label),
      input,
      f.hint ? h('p', { class: 'hint' }, f.hint) : null,
      errors[f.name]);
  });

  function setError(name, message) {
    const e = errors[name];
    e.textContent = message || '';
    e.hidden = !message;
    inputs[name].setAttribute('aria-invalid', message ? 'true' : 'false');
  }

  const button = h('button', { type: 'submit', class: 'button primary' }, submit);
  const el = h('form', { id: formId, class: 'form', novalidate: true, dataset: change ? { change: '' } : {} },
    intro ? h('p', { class: 'hint' }, intro) : null, rows, h('div', { class: 'actions' }, button), formError, ok);

  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError.hidden = true;
    ok.hidden = true;
    const values = {};
    let bad = null;
    for (const f of fields) {
      const v = inputs[f.name].value;
      values[f.name] = v;
      const message = (f.check || []).map((c) => c(v)).find((m) => m);
      setError(f.name, message || null);
      if (message && !bad) bad = f.name;
    }
    if (bad) { inputs[bad].focus(); return; }
    button.disabled = true;
    try {
      const message = await onSubmit(values);
      el.reset(); /* done: the form is ready for the next one */
      if (message) { ok.textContent = message; ok.hidden = false; }
    } catch (e) {
      const named = /field "([A-Za-z_]+)"/.exec(e.message || '');
      const target = named && inputs[named[1]] ? named[1] : errorField ? errorField(e) : null;
      if (target && inputs[target]) { setError(target, serverText(e)); inputs[target].focus(); }
      else { formError.textContent = serverText(e); formError.hidden = false; }
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

function serverText(e) {
  if (!e.status) return e.message;
  return `Orbit refused this: ${e.message}.`;
}
