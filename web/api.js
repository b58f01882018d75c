// SPDX-License-Identifier: Apache-2.0
// The Orbit API as the UI calls it: JSON under /api/v1, the session's bearer token, and
// errors as ApiError with the server's one-line message. A 401 on any call but sign-in
// ends the session and tells the user why (session.js).

import { sessionLost, sessionToken } from './session.js';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(method, path, body, as) {
  const headers = {};
  const token = sessionToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'Orbit cannot be reached (the server is down or the network is gone)');
  }
  if (res.ok && as === 'blob') return res.blob();
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const message = data && typeof data.error === 'string' ? data.error : `the server answered HTTP ${res.status}`;
    if (res.status === 401 && path !== '/login') sessionLost(message);
    throw new ApiError(res.status, message);
  }
  if (data === null) throw new ApiError(res.status, 'the server\'s answer is not JSON');
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body = {}) => request('POST', path, body);
export const del = (path) => request('DELETE', path);
export const getBlob = (path) => request('GET', path, undefined, 'blob');
