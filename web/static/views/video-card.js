// Pieces shared by the feed and the profile: a playable video card with its
// like and comment buttons, and the follow button.
import { h, icon, count } from '../dom.js';
import { api, fail, me, requireLogin } from '../api.js';
import { openComments } from './comments.js';

// videoCard draws one video, muted until the user turns the sound on.
export function videoCard(v) {
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
export function followButton(u, onChange = () => {}) {
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
