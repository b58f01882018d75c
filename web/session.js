// SPDX-License-Identifier: Apache-2.0
// The signed-in session: the bearer token and its expiry, kept in this tab's
// sessionStorage (never in a cookie, so no other site's page can use it). When the server
// refuses the token, or its expiry passes, the session ends and the sign-in page says why.

const KEY = 'orbit.session';
const NOTICE = 'orbit.notice';
const EMAIL = 'orbit.email';
let expiryTimer = null;

function load() {
  try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch { return null; }
}

export function session() { return load(); }
export function sessionToken() { const s = load(); return s ? s.token : null; }

export function sessionStart(token, expires, email) {
  sessionStorage.setItem(KEY, JSON.stringify({ token, expires, email }));
  sessionStorage.removeItem(NOTICE);
  watchExpiry();
}

export function sessionEnd(notice) {
  const s = load();
  if (s && s.email) sessionStorage.setItem(EMAIL, s.email);
  sessionStorage.removeItem(KEY);
  if (notice) sessionStorage.setItem(NOTICE, notice);
  else sessionStorage.removeItem(NOTICE);
  clearTimeout(expiryTimer);
}

// Why the last session ended, for the sign-in page until the next sign-in.
export function sessionNotice() { return sessionStorage.getItem(NOTICE); }

// The email of the session that ended in this tab, to sign in again.
export function lastEmail() { return sessionStorage.getItem(EMAIL); }

export function sessionLost(serverMessage) {
  const expired = /expired/.test(serverMessage);
  sessionEnd(expired ? 'Your session has expired. Sign in again to go on.'
    : `You are signed out: the server refused the session (${serverMessage}). Sign in again.`);
  if (location.hash.startsWith('#/login')) return; /* another request already said so */
  location.hash = location.hash ? `#/login?next=${encodeURIComponent(location.hash)}` : '#/login';
}

export function watchExpiry() {
  clearTimeout(expiryTimer);
  const s = load();
  if (!s || !s.expires) return;
  const ms = s.expires * 1000 - Date.now();
  if (ms <= 0) { sessionLost('token expired'); return; }
  expiryTimer = setTimeout(() => sessionLost('token expired'), Math.min(ms, 2 ** 31 - 1));
}
