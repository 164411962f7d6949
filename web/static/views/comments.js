// The comments panel: the <dialog id="comments"> in index.html, opened over
// whichever view shows the video.
import { h } from '../dom.js';
import { api, fail, me, requireLogin } from '../api.js';

const dialog = document.getElementById('comments');
dialog.querySelector('.close').addEventListener('click', () => dialog.close());
// The panel shows one video at a time; onCommentCount updates its card.
let commentVideo = null, onCommentCount = () => {};

// openComments shows the comments on v; onCount gets the new total after each load.
export async function openComments(v, onCount) {
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

// commentItem draws one comment; its writer and the video's author may delete it.
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
