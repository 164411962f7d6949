// Chat with one friend. New messages are pushed to the page as they are sent
// (the gateway's message stream); polling, the app's way, covers the rest:
// every 2 s while the stream is down, once each time it goes live (to catch
// up on what came before), and every 30 s as a safety net while it is live.
// Each message is shown once, by id, whichever way it came first.
import { h, main } from '../dom.js';
import { api, fail, me, requireLogin, stream } from '../api.js';
import { onLeave, screenCheck } from '../router.js';

const POLL_MS = 2000;
const SAFETY_POLL_MS = 30000;

export async function chatView(peer) {
  if (!requireLogin()) return;
  main.className = 'page narrow chat';
  let peerName = `user ${peer}`;
  const shown = screenCheck();
  try { peerName = (await api('GET', 'user', { user_id: peer })).user.name; } catch { /* keep the id */ }
  if (!shown()) return;
  // data-stream tells whether messages are pushed now ("live") or polled.
  const log = h('ol', { class: 'messages', 'aria-live': 'polite', 'aria-label': 'Messages', 'data-stream': 'off' });
  const form = h('form', { class: 'send' },
    h('label', { for: 'message' }, `Message ${peerName}`),
    h('input', { id: 'message', name: 'content', maxlength: 500, required: true, autocomplete: 'off' }),
    h('button', { type: 'submit' }, 'Send'));
  main.append(h('h1', {}, 'Chat with ', h('span', { text: peerName })), log, form);

  // Like the app: hold the newest create_time seen, add own messages locally.
  let newest = 0;
  const seen = new Set();
  const add = (m, via) => {
    if (m.id) {
      if (seen.has(m.id)) return;
      seen.add(m.id);
    }
    const mine = m.from_user_id === me().userId;
    log.append(h('li', { class: mine ? 'mine' : 'theirs', 'data-id': m.id ?? '', 'data-via': via },
      h('span', { class: 'text', text: m.content })));
    newest = Math.max(newest, m.create_time);
    log.lastElementChild.scrollIntoView({ block: 'nearest' });
  };
  const poll = async () => {
    try {
      const r = await api('GET', 'message/chat', { to_user_id: peer, pre_msg_time: newest });
      if (shown()) r.message_list.forEach((m) => add(m, 'poll'));
    } catch (e) { if (shown()) fail(e); }
  };

  let live = false;
  let timer = 0;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => { await poll(); if (shown()) schedule(); }, live ? SAFETY_POLL_MS : POLL_MS);
  };
  const setLive = (on) => {
    live = on;
    log.dataset.stream = on ? 'live' : 'off';
    schedule();
  };

  // The stream: reconnects after 1 s, doubling to 30 s while it keeps
  // failing (or after the Retry-After of a refusal), and is dropped when no
  // event or heartbeat comes for two heartbeats (a connection that died
  // silently).
  const left = new AbortController();
  let watchdog = 0;
  let backoff = 1000;
  const connect = async () => {
    if (left.signal.aborted) return;
    const ctl = new AbortController();
    const abort = () => ctl.abort();
    left.signal.addEventListener('abort', abort);
    let quiet = 35000;
    const alive = () => { clearTimeout(watchdog); watchdog = setTimeout(abort, quiet); };
    let wait = 0;
    alive();
    try {
      await stream('message/stream', (ev) => {
        alive();
        if (ev.event === 'ready') {
          const hb = JSON.parse(ev.data || '{}').heartbeat_ms;
          if (hb > 0) { quiet = 2 * hb + 5000; alive(); }
          backoff = 1000;
          setLive(true);
          poll(); // what was sent before the stream went live
        } else if (ev.event === 'message') {
          const m = JSON.parse(ev.data);
          if (m.from_user_id === peer) add(m, 'push');
        }
      }, ctl.signal);
    } catch (e) {
      if (e.handled) return; // the session ended; the user was sent to log in
      wait = (e.retryAfter || 0) * 1000;
    } finally {
      clearTimeout(watchdog);
      left.signal.removeEventListener('abort', abort);
    }
    if (!shown()) return;
    // Down: poll at once (what the stream may have missed) and every 2 s.
    setLive(false);
    poll();
    setTimeout(connect, Math.max(wait, backoff) + Math.random() * 500);
    backoff = Math.min(backoff * 2, 30000);
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const content = form.content.value;
    try {
      await api('POST', 'message/action', { to_user_id: peer, action_type: 1, content });
      add({ from_user_id: me().userId, to_user_id: peer, content, create_time: Date.now() }, 'sent');
      form.reset();
    } catch (err) { fail(err); }
  });
  onLeave(() => { left.abort(); clearTimeout(timer); clearTimeout(watchdog); });
  await poll();
  if (!shown()) return;
  schedule();
  connect();
  form.content.focus();
}
