// Chat with one friend: new messages arrive by polling every two seconds.
import { h, main } from '../dom.js';
import { api, fail, me, requireLogin } from '../api.js';
import { onLeave, screenCheck } from '../router.js';

export async function chatView(peer) {
  if (!requireLogin()) return;
  main.className = 'page narrow chat';
  let peerName = `user ${peer}`;
  const shown = screenCheck();
  try { peerName = (await api('GET', 'user', { user_id: peer })).user.name; } catch { /* keep the id */ }
  if (!shown()) return;
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
  onLeave(() => clearInterval(timer));
  form.content.focus();
}
