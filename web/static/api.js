// Everything that talks to the backend: the session (token) kept in
// localStorage, the /douyin/ API calls, and turning their errors into plain
// words. Like the Android app, it speaks only the public /douyin/ API. The
// token travels only in the Authorization header, never in a URL, where it
// would land in access logs, proxies and the browser's history.
import { notify } from './dom.js';

// ---- session ----
// Views and the nav read the session; the entry module listens for changes
// to redraw the nav (this module knows nothing about the page layout).
let sessionChanged = () => {};
export function onSessionChange(fn) { sessionChanged = fn; }

export const session = {
  get() { try { return JSON.parse(localStorage.getItem('session')) || null; } catch { return null; } },
  set(s) { localStorage.setItem('session', JSON.stringify(s)); sessionChanged(); },
  clear() { localStorage.removeItem('session'); sessionChanged(); },
};
export const me = () => session.get();

// expired sends the user to log in again, then back to where they were.
function expired() {
  session.clear();
  sessionStorage.setItem('after-login', location.hash || '#/feed');
  notify('Your session has expired. Please log in again.');
  location.hash = '#/login';
}

// requireLogin is true when logged in; otherwise it sends the user to log in
// and brings them back here afterwards.
export function requireLogin() {
  if (me()) return true;
  sessionStorage.setItem('after-login', location.hash);
  notify('Please log in first.', 'info');
  location.hash = '#/login';
  return false;
}

// ---- errors in plain words ----
class ApiError extends Error {
  constructor(code, msg) { super(msg); this.code = code; }
}
const plain = {
  10001: 'Please check what you entered',
  10002: 'Please log in',
  10003: 'Not found',
  10004: 'Already taken',
  10005: 'You are not allowed to do that',
  10006: 'The file is too large',
  10007: 'That file is not a video we can play',
  10008: 'Too many requests, slow down a little',
  10009: 'Something went wrong on our side',
  10010: 'The service is busy or down, please try again in a moment',
};
export function explain(err) {
  if (err instanceof ApiError) {
    const head = plain[err.code] || 'Request failed';
    return err.message && err.message !== head ? `${head}: ${err.message}` : head;
  }
  return 'Network problem: check your connection and try again';
}

// fail tells the user what went wrong, unless expired() already did.
export function fail(e) {
  if (e.handled) return;
  notify(explain(e));
}

// check returns a successful reply or throws it as an ApiError. A rejected
// token (10002) while logged in ends the session and sends the user to log in.
function check(body, loggedIn) {
  if (body.status_code === 0) return body;
  const err = new ApiError(body.status_code, body.status_msg);
  if (body.status_code === 10002 && loggedIn) {
    expired();
    err.handled = true; // the user was told and sent to log in
  }
  throw err;
}

// bearer is the Authorization header of a session, none without one.
const bearer = (s) => (s ? { Authorization: `Bearer ${s.token}` } : {});

// ---- API: POST parameters in the query string, like the app; the token in
// the Authorization header ----
export async function api(method, path, params = {}, { auth = true } = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, v);
  const s = me();
  let res;
  try {
    res = await fetch(`/douyin/${path}/?${q}`, { method, headers: bearer(auth && s) });
  } catch (e) {
    throw new Error('network');
  }
  const body = await res.json().catch(() => ({ status_code: 10009, status_msg: 'bad reply' }));
  return check(body, !!(s && auth));
}

// stream reads a Server-Sent Events stream of the API (beyond the app's
// contract: /douyin/message/stream/) and calls onEvent with each event
// ({ event, id, data }, a heartbeat as { event: 'ping' }) until the stream
// ends or signal aborts it. It uses fetch and not EventSource, which cannot
// send headers and would need the token in the URL. A refusal (a JSON reply)
// is thrown as an ApiError, with the server's Retry-After in seconds when it
// gave one; a rejected token ends the session as every call does.
export async function stream(path, onEvent, signal) {
  const s = me();
  let res;
  try {
    res = await fetch(`/douyin/${path}/`, { headers: { ...bearer(s), Accept: 'text/event-stream' }, cache: 'no-store', signal });
  } catch (e) {
    throw new Error('network');
  }
  if (!(res.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
    const body = await res.json().catch(() => ({ status_code: 10009, status_msg: 'bad reply' }));
    try { check(body, !!s); } catch (err) {
      err.retryAfter = Number(res.headers.get('Retry-After')) || 0;
      throw err;
    }
    throw new ApiError(10009, 'not a stream');
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    let chunk;
    try { chunk = await reader.read(); } catch { return; } // dropped or aborted: ended
    if (chunk.done) return;
    buf += chunk.value;
    // Events end with a blank line; the gateway writes "\n" line ends only.
    for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
      const ev = { event: 'message', id: '', data: '' };
      for (const line of buf.slice(0, end).split('\n')) {
        if (line.startsWith(':')) { ev.event = 'ping'; continue; }
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') ev.event = value;
        else if (field === 'id') ev.id = value;
        else if (field === 'data') ev.data = ev.data ? `${ev.data}\n${value}` : value;
      }
      buf = buf.slice(end + 2);
      onEvent(ev);
    }
  }
}

// upload publishes a video as multipart form data. It uses XMLHttpRequest
// rather than fetch because only XHR reports upload progress: onProgress gets
// the fraction sent (0..1), or null when the size is unknown.
export function upload(title, file, onProgress) {
  return new Promise((resolve, reject) => {
    const fd = new FormData();
    fd.append('title', title);
    fd.append('data', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/douyin/publish/action/');
    // In the header, the gateway checks the token before the video arrives.
    for (const [k, v] of Object.entries(bearer(me()))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (ev) => onProgress(ev.lengthComputable ? ev.loaded / ev.total : null);
    xhr.onerror = () => reject(new Error('network'));
    xhr.onload = () => {
      let body;
      try { body = JSON.parse(xhr.responseText); } catch { body = { status_code: 10009 }; }
      try { resolve(check(body, true)); } catch (err) { reject(err); }
    };
    xhr.send(fd);
  });
}

// logout ends the session here and asks the server to refuse its token from
// now on; the session ends here even when the server cannot be reached.
export async function logout() {
  const s = me();
  session.clear();
  if (!s) return;
  try {
    await fetch('/douyin/user/logout/', { method: 'POST', headers: bearer(s) });
  } catch { /* offline: the token still expires on its own */ }
}
