// A user's profile: counts, follow button, and their videos or liked videos
// as thumbnails that open in a player.
import { h, main, count } from '../dom.js';
import { api, explain, fail } from '../api.js';
import { route, screenCheck } from '../router.js';
import { videoCard, followButton } from './video-card.js';

export async function profileView(id) {
  main.className = 'page';
  const shown = screenCheck();
  let u;
  try {
    u = (await api('GET', 'user', { user_id: id })).user;
  } catch (e) {
    main.append(h('p', { class: 'empty' }, explain(e)));
    return;
  }
  if (!shown()) return; // the user moved on meanwhile
  const stat = (n, label) => h('li', {}, h('strong', { text: count(n) }), ' ', label);
  const grid = h('div', { class: 'grid', 'aria-live': 'polite' });
  const tab = (name, path) => h('button', { type: 'button', role: 'tab', 'aria-selected': 'false', onclick: (e) => show(e.currentTarget, path) }, name);
  const tabs = h('div', { role: 'tablist', class: 'tabs' }, tab('Videos', 'publish/list'), tab('Liked', 'favorite/list'));
  async function show(btn, path) {
    for (const b of tabs.children) b.setAttribute('aria-selected', String(b === btn));
    grid.replaceChildren();
    try {
      const r = await api('GET', path, { user_id: id });
      grid.replaceChildren(...(r.video_list.length ? r.video_list.map(thumb) : [h('p', { class: 'empty' }, 'Nothing here yet.')]));
    } catch (e) { fail(e); }
  }
  // The banner goes through the CSSOM: the page's Content-Security-Policy
  // refuses style attributes (style-src 'self', no 'unsafe-inline').
  const profile = h('section', { class: 'profile' },
    h('img', { class: 'avatar', src: u.avatar, alt: '' }),
    h('h1', { class: 'name', text: u.name }),
    u.signature ? h('p', { text: u.signature }) : null,
    // Following changes the follower count: draw the profile again.
    followButton(u, () => route()),
    h('ul', { class: 'stats' },
      stat(u.follow_count, 'following'), stat(u.follower_count, 'followers'), stat(u.total_favorited, 'likes received'),
      stat(u.work_count, 'videos'), stat(u.favorite_count, 'liked')));
  profile.style.setProperty('--banner', `url("${encodeURI(u.background_image)}")`);
  main.append(profile, tabs, grid);
  show(tabs.firstElementChild, 'publish/list');
}

function thumb(v) {
  return h('button', { type: 'button', class: 'thumb', 'aria-label': `Play ${v.title}`, onclick: () => player(v) },
    h('img', { src: v.cover_url, alt: '' }), h('span', { class: 'title', text: v.title }),
    h('span', { class: 'likes' }, '♥ ', count(v.favorite_count)));
}

// player shows one video card in a modal dialog, removed again on close.
function player(v) {
  const d = h('dialog', { class: 'player', 'aria-label': v.title });
  d.append(videoCard(v), h('button', { type: 'button', class: 'close', 'aria-label': 'Close video', onclick: () => d.close() }, '✕'));
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
  d.querySelector('video').play().catch(() => {});
}
