// Friends: people you follow who follow you back, each with the last message.
import { h, main } from '../dom.js';
import { api, fail, me, requireLogin } from '../api.js';

export async function friendsView() {
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
