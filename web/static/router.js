// Hash routing: one view on screen at a time, drawn into <main>. The entry
// module gives the route table to start(); views use onLeave, screenCheck and
// route (to redraw themselves).
import { main } from './dom.js';

let routes = [];
let cleanup = () => {};
// generation counts renders, so a view whose data arrives after the user
// moved on does not draw over the new screen.
let generation = 0;

// onLeave sets what to stop (timers, listeners) when the user leaves the view.
export function onLeave(fn) { cleanup = fn; }

// screenCheck returns a function that stays true while the screen drawn now is
// still the one on show; check it after every await before drawing.
export function screenCheck() {
  const mine = generation;
  return () => mine === generation;
}

// route draws the view for the current hash (or sends unknown ones to the feed).
export function route() {
  generation++;
  cleanup();
  cleanup = () => {};
  const hash = location.hash || '#/feed';
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.toggleAttribute('aria-current', hash.startsWith('#/' + a.dataset.nav));
  }
  main.replaceChildren();
  main.className = '';
  for (const [re, view] of routes) {
    const m = hash.match(re);
    if (m) { view(m); return; }
  }
  location.hash = '#/feed';
}

// start takes the table of [hash pattern, view(match)] pairs and draws the first view.
export function start(table) {
  routes = table;
  window.addEventListener('hashchange', route);
  route();
}
