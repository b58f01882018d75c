// SPDX-License-Identifier: Apache-2.0
// Orbit's web UI: the shell (header, sign-out, banner) and the router. Pages live in
// page-*.js; each draws into a fresh <main> from the API and may refresh parts of itself
// on a timer while it is shown. Whatever fails, the page says what and where: a failed
// load shows the server's message with a way to retry, never an empty page.

import { ApiError, post } from './api.js';
import { h, link, replace } from './dom.js';
import { session, sessionEnd, sessionToken, watchExpiry } from './session.js';
import { loginPage, orgPage, orgsPage } from './page-org.js';
import { deploymentPage, devicePage, projectPage } from './page-fleet.js';
import { releasePage } from './page-release.js';
import { tokensPage } from './page-tokens.js';

const routes = [
  [/^#\/login$/, loginPage, false],
  [/^#\/?$/, orgsPage, true],
  [/^#\/tokens$/, tokensPage, true],
  [/^#\/orgs\/(\d+)$/, orgPage, true],
  [/^#\/orgs\/(\d+)\/projects\/(\d+)$/, projectPage, true],
  [/^#\/orgs\/(\d+)\/deployments\/(\d+)$/, deploymentPage, true],
  [/^#\/orgs\/(\d+)\/devices\/(\d+)$/, devicePage, true],
  [/^#\/orgs\/(\d+)\/releases\/(\d+)$/, releasePage, true],
];

let generation = 0;
let timers = [];
const banner = document.getElementById('banner');

export function showBanner(message) {
  banner.textContent = message || '';
  banner.hidden = !message;
}

function renderWho() {
  const s = session();
  const who = document.getElementById('who');
  if (!s) { replace(who); return; }
  replace(who, h('span', { class: 'email' }, s.email),
    h('a', { href: '#/tokens', id: 'tokens-link' }, 'Tokens'),
    h('button', { type: 'button', class: 'button quiet', id: 'sign-out', onclick: signOut }, 'Sign out'));
}

async function signOut() {
  try { await post('/logout'); } catch { /* the session ends here either way */ }
  sessionEnd('You are signed out.');
  location.hash = '#/login';
}

function failure(e) {
  const status = e instanceof ApiError ? e.status : null;
  let what;
  if (status === 0) what = 'Orbit cannot be reached. Check that the server runs, then try again.';
  else if (status === 404) what = 'It does not exist, or it belongs to an organisation you are not a member of.';
  else if (status === 403) what = 'Your role in this organisation does not allow this.';
  else if (status >= 500) what = 'Orbit had an internal error. The rest of Orbit may still work: try again, or go back.';
  else if (status) what = 'Orbit refused the request.';
  else what = 'The page met an error it did not expect.';
  return h('section', { class: 'card failure', role: 'alert' },
    h('h2', {}, 'This page could not be shown'),
    h('p', {}, what),
    h('p', {}, 'The server said: ', h('strong', { class: 'server-message' }, e.message || String(e)),
      status ? ` (HTTP ${status})` : ''),
    h('p', {}, h('button', { type: 'button', class: 'button', onclick: render }, 'Try again'), ' ',
      link('#/', 'Your organisations')));
}

async function render() {
  const gen = ++generation;
  timers.forEach(clearInterval);
  timers = [];
  showBanner(null);
  const hash = location.hash || '#/';
  const [path, query] = hash.split('?');
  const route = routes.find(([re]) => re.test(path));
  if (route && route[2] && !sessionToken()) {
    location.hash = `#/login?next=${encodeURIComponent(hash)}`;
    return;
  }
  renderWho();
  const main = h('main', { id: 'main' });
  document.getElementById('main').replaceWith(main);
  const crumbs = document.getElementById('crumbs');
  replace(crumbs);
  if (!route) {
    main.append(failure(new ApiError(404, 'no such page in the UI')));
    return;
  }
  const ctx = {
    main,
    query: new URLSearchParams(query || ''),
    crumbs: (...items) => replace(crumbs, items.map((item, i) => [i ? h('span', { class: 'sep' }, '›') : null,
      Array.isArray(item) ? link(item[0], item[1]) : h('span', {}, item)])),
    // fn runs every ms while this page is shown; a failure shows in the banner and the
    // page keeps what it last had.
    every: (ms, fn) => {
      if (gen !== generation) return;
      timers.push(setInterval(async () => {
        if (gen !== generation) return;
        try { await fn(); if (gen === generation) showBanner(null); } catch (e) {
          if (gen === generation && !(e instanceof ApiError && e.status === 401))
            showBanner(`Live update failed: ${e.message}. Showing what was last loaded; retrying.`);
        }
      }, ms));
    },
    current: () => gen === generation,
    rerender: render,
  };
  main.append(h('p', { class: 'loading' }, 'Loading…'));
  try {
    await route[1](ctx, ...path.match(route[0]).slice(1).map(Number));
    main.querySelector(':scope > .loading')?.remove();
  } catch (e) {
    if (gen !== generation || (e instanceof ApiError && e.status === 401)) return;
    replace(main, failure(e));
  }
}

window.addEventListener('hashchange', render);
window.addEventListener('error', (e) => showBanner(`The page met an error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason instanceof ApiError && e.reason.status === 401) return;
  showBanner(`The page met an error: ${e.reason && e.reason.message ? e.reason.message : e.reason}`);
});
watchExpiry();
render();
