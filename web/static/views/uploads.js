// The signed-in user's own uploads that are not ready yet: GET
// /douyin/publish/uploads/ (beyond the app's contract, docs/API.md, Publish)
// lists those still processing and those that failed, with the reason. A
// ready video leaves that list for the user's publish list, so an upload
// seen processing and then no longer listed has become ready.
import { h } from '../dom.js';
import { api } from '../api.js';

export const POLL_MS = 2000;

// watchUploads looks at the list now and then every POLL_MS for as long as
// any upload on it is processing; it stops polling when none is (look()
// starts it again, e.g. after a new upload) and for good at stop() (the
// view's onLeave). Each look calls onUpdate(list, ready) with the list and
// the ids that were processing at the previous look and are no longer listed
// (ready now), and waits for it before the next look. Looks never overlap: a
// look() asked for during one runs right after it.
export function watchUploads(onUpdate) {
  let processing = new Set(); // ids processing at the previous look
  let timer = 0;
  let stopped = false;
  let running = false;
  let again = false;
  let seen = false; // a look succeeded

  const schedule = (ms) => {
    clearTimeout(timer);
    timer = stopped ? 0 : setTimeout(look, ms);
  };

  async function look() {
    if (stopped) return;
    if (running) { again = true; return; }
    running = true;
    clearTimeout(timer);
    let next = 0;
    try {
      const list = (await api('GET', 'publish/uploads')).upload_list;
      if (stopped) return;
      seen = true;
      const listed = new Set(list.map((u) => u.id));
      const ready = [...processing].filter((id) => !listed.has(id));
      processing = new Set(list.filter((u) => u.state === 'processing').map((u) => u.id));
      await onUpdate(list, ready);
      if (processing.size) next = POLL_MS;
    } catch (e) {
      // A rejected token ended the session (api.js said so): stop. Any other
      // failure is tried again later until a first look succeeds and while
      // something was processing; the view keeps what it showed.
      if (e.handled) stopped = true;
      else if (processing.size || !seen) next = POLL_MS * 2;
    } finally {
      running = false;
    }
    if (stopped) return;
    if (again) { again = false; look(); return; }
    if (next) schedule(next);
  }

  return {
    look,
    stop() { stopped = true; clearTimeout(timer); },
  };
}

// pendingTile is a processing upload in a grid of thumbnails, shaped like
// one: the ready video's thumbnail takes its place.
export function pendingTile(u) {
  return h('div', { class: 'thumb pending', role: 'group', 'aria-label': `${u.title}: processing`, 'data-upload-id': u.id, 'data-state': 'processing' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    h('span', { class: 'state', text: 'Processing…' }),
    h('span', { class: 'title', text: u.title }));
}

// failedItem is a failed upload: its title, when, and why.
export function failedItem(u) {
  const when = new Date(u.created_at);
  return h('li', { class: 'upload failed', 'data-upload-id': u.id, 'data-state': 'failed' },
    h('span', { class: 'title', text: u.title }), ' ',
    h('time', { datetime: when.toISOString(), class: 'muted' }, when.toLocaleString()),
    h('span', { class: 'reason', text: u.reason || 'the video could not be processed' }));
}
