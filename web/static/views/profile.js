// A user's profile: counts, follow button, and their videos or liked videos
// as thumbnails that open in a player. On your own profile your uploads that
// are not ready yet show too: a "Processing…" tile in place among your
// videos, switched for the video once it is ready (no reload), and the
// uploads that failed with the reason.
import { h, main, count } from '../dom.js';
import { api, explain, fail, me } from '../api.js';
import { onLeave, route, screenCheck } from '../router.js';
import { videoCard, followButton } from './video-card.js';
import { failedItem, pendingTile, watchUploads } from './uploads.js';

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
  const own = me()?.userId === id;
  const works = h('strong', { text: count(u.work_count) });
  const stat = (n, label, num = h('strong', { text: count(n) })) => h('li', {}, num, ' ', label);
  const grid = h('div', { class: 'grid', 'aria-live': 'polite' });
  // The Videos tab's grid: your processing uploads' tiles first (the newest),
  // then the videos. It is drawn again only when one of them changed.
  const empty = h('p', { class: 'empty' }, 'Nothing here yet.');
  let tab = '';
  let videos = [];
  let processing = [];
  let loads = 0; // the newest tab load wins
  const drawVideos = () => {
    grid.replaceChildren(...processing.map(pendingTile), ...videos.map(thumb));
    if (!processing.length && !videos.length) grid.append(empty);
  };
  const tabButton = (name, path) => h('button', { type: 'button', role: 'tab', 'aria-selected': 'false', onclick: (e) => show(e.currentTarget, path) }, name);
  const tabs = h('div', { role: 'tablist', class: 'tabs' }, tabButton('Videos', 'publish/list'), tabButton('Liked', 'favorite/list'));
  async function load(path) {
    const n = ++loads;
    const r = await api('GET', path, { user_id: id });
    if (n !== loads || !shown() || tab !== path) return;
    if (path === 'publish/list') {
      videos = r.video_list;
      drawVideos();
    } else {
      grid.replaceChildren(...(r.video_list.length ? r.video_list.map(thumb) : [empty]));
    }
  }
  async function show(btn, path) {
    for (const b of tabs.children) b.setAttribute('aria-selected', String(b === btn));
    tab = path;
    grid.replaceChildren();
    try { await load(path); } catch (e) { fail(e); }
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
      stat(u.work_count, 'videos', works), stat(u.favorite_count, 'liked')));
  profile.style.setProperty('--banner', `url("${encodeURI(u.background_image)}")`);
  main.append(profile);
  if (own) main.append(ownUploads());
  main.append(tabs, grid);
  show(tabs.firstElementChild, 'publish/list');

  // ownUploads shows your failed uploads and, through drawVideos, the
  // processing ones, polling while any is processing (docs/API.md, Publish).
  function ownUploads() {
    const list = h('ul', { class: 'failed-uploads' });
    const summary = h('summary', {});
    const box = h('details', { class: 'uploads', open: true, hidden: true, 'aria-live': 'polite' }, summary, list);
    let was = '';
    const watch = watchUploads(async (all, ready) => {
      if (!shown()) return;
      const failed = all.filter((x) => x.state === 'failed');
      const now = JSON.stringify(all.map((x) => [x.id, x.state]));
      if (now !== was) {
        was = now;
        summary.textContent = failed.length === 1 ? '1 upload failed' : `${failed.length} uploads failed`;
        list.replaceChildren(...failed.map(failedItem));
        box.hidden = !failed.length;
      }
      const before = processing.map((x) => x.id).join();
      processing = all.filter((x) => x.state === 'processing');
      const onVideos = tab === 'publish/list';
      if (ready.length) {
        // Ready videos joined the publish list (and the count): fetch it and
        // swap the tiles for the videos in one draw.
        try {
          const [user] = await Promise.all([api('GET', 'user', { user_id: id }), onVideos ? load(tab) : null]);
          if (shown()) works.textContent = count(user.user.work_count);
          return;
        } catch (e) { if (shown()) fail(e); }
      }
      if (onVideos && shown() && before !== processing.map((x) => x.id).join()) drawVideos();
    });
    onLeave(() => watch.stop());
    watch.look();
    return box;
  }
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
