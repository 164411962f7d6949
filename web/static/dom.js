// DOM helpers shared by every view. User content always goes in as text,
// never parsed as HTML: h() turns strings into text nodes.

// h builds an element: attrs set attributes (on* add listeners, text sets
// textContent), children are nodes or strings (strings become text nodes).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// main is where the current view draws; the router empties it between views.
export const main = document.getElementById('main');

// icon draws a small inline SVG (emoji fonts are not everywhere).
const ICONS = {
  comment: 'M4 4h16v11H8l-4 4z',
  muted: 'M4 9h4l5-4v14l-5-4H4zM16 9l5 6M21 9l-5 6',
  sound: 'M4 9h4l5-4v14l-5-4H4zM16 8a5 5 0 0 1 0 8M18.5 5.5a8.5 8.5 0 0 1 0 13',
};
export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}

// count shortens large numbers the way the app does (12345 -> 1.2w).
export function count(n) { return n >= 10000 ? (n / 10000).toFixed(1) + 'w' : String(n); }

// notify shows a message in the banner for a few seconds; kind 'info' is
// styled as good news, anything else as an error.
let noticeTimer;
export function notify(text, kind = 'error') {
  const n = document.getElementById('notice');
  n.textContent = text;
  n.className = kind;
  n.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { n.hidden = true; }, 6000);
}
