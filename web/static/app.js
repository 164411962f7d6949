// The tiktok web client: a single page that speaks only the public /douyin/ API,
// exactly as the Android app does. User content is always set as text, never
// parsed as HTML.

// ---- DOM helper: strings become text nodes, never markup ----
function h(tag, attrs = {}, ...children) {
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

const main = document.getElementById('main');

// ---- session ----
const session = {
  get() { try { return JSON.parse(localStorage.getItem('session')) || null; } catch { return null; } },
  set(s) { localStorage.setItem('session', JSON.stringify(s)); renderNav(); },
  clear() { localStorage.removeItem('session'); renderNav(); },
};
const me = () => session.get();

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
function explain(err) {
  if (err instanceof ApiError) {
    const head = plain[err.code] || 'Request failed';
    return err.message && err.message !== head ? `${head}: ${err.message}` : head;
  }
  return 'Network problem: check your connection and try again';
}

let noticeTimer;
function notify(text, kind = 'error') {
  const n = document.getElementById('notice');
  n.textContent = text;
  n.className = kind;
  n.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { n.hidden = true; }, 6000);
}

// ---- API: POST parameters in the query string, like the app ----
async function api(method, path, params = {}, { auth = true } = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, v);
  const s = me();
  if (auth && s) q.set('token', s.token);
  let res;
  try {
    res = await fetch(`/douyin/${path}/?${q}`, { method });
  } catch (e) {
    throw new Error('network');
  }
  const body = await res.json().catch(() => ({ status_code: 10009, status_msg: 'bad reply' }));
  if (body.status_code !== 0) {
    const err = new ApiError(body.status_code, body.status_msg);
    if (body.status_code === 10002 && s && auth) {
      expired();
      err.handled = true; // the user was told and sent to log in
    }
    throw err;
  }
  return body;
}

// fail tells the user what went wrong, unless expired() already did.
function fail(e) {
  if (e.handled) return;
  notify(explain(e));
}

// expired sends the user to log in again, then back to where they were.
function expired() {
  session.clear();
  sessionStorage.setItem('after-login', location.hash || '#/feed');
  notify('Your session has expired. Please log in again.');
  location.hash = '#/login';
}

function requireLogin() {
  if (me()) return true;
  sessionStorage.setItem('after-login', location.hash);
  notify('Please log in first.', 'info');
  location.hash = '#/login';
  return false;
}

// ---- navigation ----
function renderNav() {
  const s = me();
  document.getElementById('nav-login').hidden = !!s;
  document.getElementById('nav-logout').hidden = !s;
  document.getElementById('nav-me').hidden = !s;
}
document.getElementById('nav-logout').addEventListener('click', () => {
  session.clear();
  location.hash = '#/feed';
});

let cleanup = () => {};
// generation counts renders, so a view whose data arrives after the user
// moved on does not draw over the new screen.
let generation = 0;
const routes = [
  [/^#\/feed$/, feedView],
  [/^#\/login$/, () => authView('login')],
  [/^#\/register$/, () => authView('register')],
  [/^#\/upload$/, uploadView],
  [/^#\/me$/, () => (requireLogin() ? profileView(me().userId) : null)],
  [/^#\/user\/(\d+)$/, (m) => profileView(Number(m[1]))],
  [/^#\/friends$/, friendsView],
  [/^#\/chat\/(\d+)$/, (m) => chatView(Number(m[1]))],
];
function route() {
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
window.addEventListener('hashchange', route);

// ---- feed: one video a screen, endless ----
function feedView() {
  main.className = 'feed';
  const list = h('div', { class: 'feed-list', 'aria-label': 'Videos', role: 'feed' });
  main.append(list);
  let next = 0, loading = false, ended = false;
  const seen = new Set();
  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const v = e.target.querySelector('video');
      if (e.isIntersecting && e.intersectionRatio > 0.6) {
        v.play().catch(() => {});
        e.target.classList.add('current');
        if (e.target === list.lastElementChild || e.target === list.lastElementChild?.previousElementSibling) more();
      } else {
        v.pause();
        e.target.classList.remove('current');
      }
    }
  }, { root: list, threshold: [0.6] });

  async function more() {
    if (loading || ended) return;
    loading = true;
    try {
      const r = await api('GET', 'feed', next ? { latest_time: next } : {});
      let added = 0;
      for (const v of r.video_list) {
        // The feed starts over at the end; stop once it repeats itself.
        if (seen.has(v.id)) { ended = true; continue; }
        seen.add(v.id);
        const item = videoCard(v);
        list.append(item);
        observer.observe(item);
        added++;
      }
      next = r.next_time;
      if (!r.video_list.length || !added) ended = true;
      if (!list.children.length) list.append(h('p', { class: 'empty' }, 'No videos yet. Be the first to ', h('a', { href: '#/upload' }, 'upload one'), '.'));
    } catch (e) {
      fail(e);
    } finally {
      loading = false;
    }
  }

  const onKey = (e) => {
    if (e.target.closest('input, textarea, dialog')) return;
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const cur = list.querySelector('.current') || list.firstElementChild;
    const to = e.key === 'ArrowDown' ? cur?.nextElementSibling : cur?.previousElementSibling;
    to?.scrollIntoView({ behavior: 'smooth' });
  };
  document.addEventListener('keydown', onKey);
  cleanup = () => { document.removeEventListener('keydown', onKey); observer.disconnect(); };
  more();
}

// icon draws a small inline SVG (emoji fonts are not everywhere).
const ICONS = {
  comment: 'M4 4h16v11H8l-4 4z',
  muted: 'M4 9h4l5-4v14l-5-4H4zM16 9l5 6M21 9l-5 6',
  sound: 'M4 9h4l5-4v14l-5-4H4zM16 8a5 5 0 0 1 0 8M18.5 5.5a8.5 8.5 0 0 1 0 13',
};
function icon(name) {
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

function count(n) { return n >= 10000 ? (n / 10000).toFixed(1) + 'w' : String(n); }

function videoCard(v) {
  const video = h('video', { src: v.play_url, poster: v.cover_url, loop: true, muted: true, playsinline: true, preload: 'metadata', 'aria-label': v.title });
  video.muted = true;
  const sound = h('button', { type: 'button', class: 'sound', 'aria-label': 'Turn sound on', onclick: () => {
    video.muted = !video.muted;
    sound.replaceChildren(icon(video.muted ? 'muted' : 'sound'));
    sound.setAttribute('aria-label', video.muted ? 'Turn sound on' : 'Turn sound off');
  } }, icon('muted'));
  video.addEventListener('click', () => (video.paused ? video.play() : video.pause()));
  const like = h('button', { type: 'button', class: 'like', 'aria-pressed': String(v.is_favorite) });
  const likeCount = h('span', { class: 'n', text: count(v.favorite_count) });
  like.append(h('span', { 'aria-hidden': 'true' }, '♥'), ' ', likeCount, h('span', { class: 'sr' }, ' likes, like'));
  like.addEventListener('click', async () => {
    if (!requireLogin()) return;
    const on = like.getAttribute('aria-pressed') !== 'true';
    try {
      await api('POST', 'favorite/action', { video_id: v.id, action_type: on ? 1 : 2 });
      v.is_favorite = on;
      v.favorite_count += on ? 1 : -1;
      like.setAttribute('aria-pressed', String(on));
      likeCount.textContent = count(v.favorite_count);
    } catch (e) { fail(e); }
  });
  const comments = h('button', { type: 'button', class: 'comments' }, icon('comment'), ' ',
    h('span', { class: 'n', text: count(v.comment_count) }), h('span', { class: 'sr' }, ' comments, open'));
  comments.addEventListener('click', () => openComments(v, (n) => { comments.querySelector('.n').textContent = count(n); }));
  return h('article', { class: 'video', 'aria-label': v.title, 'data-video-id': v.id },
    video, sound,
    h('div', { class: 'info' },
      h('a', { class: 'author', href: `#/user/${v.author.id}` }, '@', v.author.name),
      followButton(v.author),
      h('p', { class: 'title', text: v.title })),
    h('div', { class: 'actions' }, like, comments));
}

// followButton follows or unfollows u; hidden for yourself.
function followButton(u, onChange = () => {}) {
  const s = me();
  if (s && s.userId === u.id) return null;
  const b = h('button', { type: 'button', class: 'follow', 'aria-pressed': String(!!u.is_follow) });
  const label = () => { b.textContent = u.is_follow ? 'Following' : 'Follow'; };
  label();
  b.addEventListener('click', async () => {
    if (!requireLogin()) return;
    const on = !u.is_follow;
    try {
      await api('POST', 'relation/action', { to_user_id: u.id, action_type: on ? 1 : 2 });
      u.is_follow = on;
      b.setAttribute('aria-pressed', String(on));
      label();
      // Every button for this author shows the new state.
      onChange(on);
    } catch (e) { fail(e); }
  });
  return b;
}

// ---- comments panel ----
const dialog = document.getElementById('comments');
dialog.querySelector('.close').addEventListener('click', () => dialog.close());
let commentVideo = null, onCommentCount = () => {};

async function openComments(v, onCount) {
  commentVideo = v;
  onCommentCount = onCount;
  dialog.querySelector('h2').textContent = `Comments on "${v.title}"`;
  dialog.showModal();
  await loadComments();
  dialog.querySelector('textarea').focus();
}

async function loadComments() {
  const ol = dialog.querySelector('.comment-list');
  ol.replaceChildren(h('li', { class: 'muted' }, 'Loading…'));
  try {
    const r = await api('GET', 'comment/list', { video_id: commentVideo.id });
    commentVideo.comment_count = r.comment_list.length;
    onCommentCount(r.comment_list.length);
    ol.replaceChildren(...(r.comment_list.length ? r.comment_list.map(commentItem) : [h('li', { class: 'muted' }, 'No comments yet.')]));
  } catch (e) {
    ol.replaceChildren();
    fail(e);
  }
}

function commentItem(c) {
  const s = me();
  const mine = s && (s.userId === c.user.id || s.userId === commentVideo.author.id);
  return h('li', { class: 'comment', 'data-comment-id': c.id },
    h('a', { class: 'who', href: `#/user/${c.user.id}`, onclick: () => dialog.close() }, c.user.name),
    h('span', { class: 'date', text: c.create_date }),
    h('p', { class: 'text', text: c.content }),
    mine && h('button', { type: 'button', class: 'delete', 'aria-label': 'Delete comment', onclick: async () => {
      try {
        await api('POST', 'comment/action', { video_id: commentVideo.id, action_type: 2, comment_id: c.id });
        await loadComments();
      } catch (e) { fail(e); }
    } }, 'Delete'));
}

dialog.querySelector('form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!requireLogin()) { dialog.close(); return; }
  const ta = dialog.querySelector('textarea');
  try {
    await api('POST', 'comment/action', { video_id: commentVideo.id, action_type: 1, comment_text: ta.value });
    ta.value = '';
    await loadComments();
  } catch (err) { fail(err); }
});

// ---- login and registration ----
function authView(kind) {
  const register = kind === 'register';
  main.className = 'page narrow';
  const form = h('form', { class: 'card', 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, register ? 'Create an account' : 'Log in'),
    h('label', { for: 'username' }, 'Username'),
    h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, maxlength: 32 }),
    h('label', { for: 'password' }, 'Password'),
    h('input', { id: 'password', name: 'password', type: 'password', required: true, minlength: 6, maxlength: 32,
      autocomplete: register ? 'new-password' : 'current-password' }),
    h('p', { class: 'hint' }, register ? 'Password: 6 to 32 characters.' : ''),
    h('button', { type: 'submit' }, register ? 'Sign up' : 'Log in'),
    h('p', {}, register ? 'Have an account? ' : 'New here? ',
      h('a', { href: register ? '#/login' : '#/register' }, register ? 'Log in' : 'Create an account')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = form.username.value, password = form.password.value;
    try {
      const r = await api('POST', register ? 'user/register' : 'user/login', { username, password }, { auth: false });
      session.set({ token: r.token, userId: r.user_id, name: username });
      const back = sessionStorage.getItem('after-login') || '#/feed';
      sessionStorage.removeItem('after-login');
      notify(register ? `Welcome, ${username}!` : `Welcome back, ${username}!`, 'info');
      location.hash = back === '#/login' || back === '#/register' ? '#/feed' : back;
    } catch (err) { fail(err); }
  });
  main.append(form);
  form.username.focus();
}

// ---- upload with progress ----
function uploadView() {
  if (!requireLogin()) return;
  main.className = 'page narrow';
  const progress = h('progress', { id: 'upload-progress', max: 100, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const status = h('p', { class: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'card' },
    h('h1', {}, 'Upload a video'),
    h('label', { for: 'title' }, 'Title'),
    h('input', { id: 'title', name: 'title', required: true, maxlength: 100 }),
    h('label', { for: 'file' }, 'Video file'),
    h('input', { id: 'file', name: 'data', type: 'file', accept: 'video/*', required: true }),
    h('button', { type: 'submit' }, 'Publish'), progress, status);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const fd = new FormData();
    fd.append('token', me().token);
    fd.append('title', form.title.value);
    fd.append('data', form.data.files[0]);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/douyin/publish/action/');
    progress.hidden = false;
    progress.value = 0;
    status.textContent = 'Uploading…';
    form.querySelector('button').disabled = true;
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) progress.value = Math.round((ev.loaded / ev.total) * 100);
      if (progress.value >= 100) status.textContent = 'Processing the video…';
    };
    xhr.onerror = () => { status.textContent = ''; notify(explain(new Error('network'))); form.querySelector('button').disabled = false; };
    xhr.onload = () => {
      form.querySelector('button').disabled = false;
      let body;
      try { body = JSON.parse(xhr.responseText); } catch { body = { status_code: 10009 }; }
      if (body.status_code === 0) {
        progress.value = 100;
        status.replaceChildren('Published! ', h('a', { href: '#/me' }, 'See it on your profile'), '.');
        form.reset();
      } else {
        status.textContent = '';
        if (body.status_code === 10002) expired();
        else notify(explain(new ApiError(body.status_code, body.status_msg)));
      }
    };
    xhr.send(fd);
  });
  main.append(form);
}

// ---- profile ----
async function profileView(id) {
  main.className = 'page';
  const my = generation;
  let u;
  try {
    u = (await api('GET', 'user', { user_id: id })).user;
  } catch (e) {
    main.append(h('p', { class: 'empty' }, explain(e)));
    return;
  }
  if (my !== generation) return; // the user moved on meanwhile
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
  main.append(
    h('section', { class: 'profile', style: `--banner: url("${encodeURI(u.background_image)}")` },
      h('img', { class: 'avatar', src: u.avatar, alt: '' }),
      h('h1', { class: 'name', text: u.name }),
      u.signature ? h('p', { text: u.signature }) : null,
      followButton(u, () => route()),
      h('ul', { class: 'stats' },
        stat(u.follow_count, 'following'), stat(u.follower_count, 'followers'), stat(u.total_favorited, 'likes received'),
        stat(u.work_count, 'videos'), stat(u.favorite_count, 'liked'))),
    tabs, grid);
  show(tabs.firstElementChild, 'publish/list');
}

function thumb(v) {
  return h('button', { type: 'button', class: 'thumb', 'aria-label': `Play ${v.title}`, onclick: () => player(v) },
    h('img', { src: v.cover_url, alt: '' }), h('span', { class: 'title', text: v.title }),
    h('span', { class: 'likes' }, '♥ ', count(v.favorite_count)));
}

function player(v) {
  const d = h('dialog', { class: 'player', 'aria-label': v.title });
  d.append(videoCard(v), h('button', { type: 'button', class: 'close', 'aria-label': 'Close video', onclick: () => d.close() }, '✕'));
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
  d.querySelector('video').play().catch(() => {});
}

// ---- friends and chat ----
async function friendsView() {
  if (!requireLogin()) return;
  main.className = 'page narrow';
  const ul = h('ul', { class: 'friends' });
  main.append(h('h1', {}, 'Friends'), h('p', { class: 'hint' }, 'People you follow who follow you back.'), ul);
  try {
    const r = await api('GET', 'relation/friend/list', { user_id: me().userId });
    ul.replaceChildren(...(r.user_list.length ? r.user_list.map((f) => h('li', {},
      h('a', { href: `#/chat/${f.id}`, class: 'friend' },
        h('img', { src: f.avatar, alt: '' }),
        h('span', { class: 'name', text: f.name }),
        h('span', { class: 'last', text: f.message ? (f.msgType === 1 ? 'You: ' : '') + f.message : 'Say hello' })))) :
      [h('li', { class: 'empty' }, 'No friends yet: follow someone who follows you.')]));
  } catch (e) { fail(e); }
}

async function chatView(peer) {
  if (!requireLogin()) return;
  main.className = 'page narrow chat';
  let peerName = `user ${peer}`;
  const my = generation;
  try { peerName = (await api('GET', 'user', { user_id: peer })).user.name; } catch { /* keep the id */ }
  if (my !== generation) return;
  const log = h('ol', { class: 'messages', 'aria-live': 'polite', 'aria-label': 'Messages' });
  const form = h('form', { class: 'send' },
    h('label', { for: 'message' }, `Message ${peerName}`),
    h('input', { id: 'message', name: 'content', maxlength: 500, required: true, autocomplete: 'off' }),
    h('button', { type: 'submit' }, 'Send'));
  main.append(h('h1', {}, 'Chat with ', h('span', { text: peerName })), log, form);
  // Like the app: hold the newest create_time seen, add own messages locally.
  let newest = 0;
  const add = (m) => {
    const mine = m.from_user_id === me().userId;
    log.append(h('li', { class: mine ? 'mine' : 'theirs', 'data-id': m.id ?? '' }, h('span', { class: 'text', text: m.content })));
    newest = Math.max(newest, m.create_time);
    log.lastElementChild.scrollIntoView({ block: 'nearest' });
  };
  const poll = async () => {
    try {
      const r = await api('GET', 'message/chat', { to_user_id: peer, pre_msg_time: newest });
      r.message_list.forEach(add);
    } catch (e) { fail(e); }
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const content = form.content.value;
    try {
      await api('POST', 'message/action', { to_user_id: peer, action_type: 1, content });
      add({ from_user_id: me().userId, to_user_id: peer, content, create_time: Date.now() });
      form.reset();
    } catch (err) { fail(err); }
  });
  await poll();
  const timer = setInterval(poll, 2000);
  cleanup = () => clearInterval(timer);
  form.content.focus();
}

renderNav();
route();
