// Uploading a video, with a progress bar while the file is sent, then the
// video's state until it is ready or failed: the publish reply may come while
// the media role still transcodes it (upload.wait_ready), so the view follows
// it in the user's uploads (GET /douyin/publish/uploads/, docs/API.md, Publish).
import { h, main, notify } from '../dom.js';
import { api, explain, fail, requireLogin, upload } from '../api.js';
import { onLeave, screenCheck } from '../router.js';
import { watchUploads } from './uploads.js';

export function uploadView() {
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
  // watch follows the last upload until it is ready or failed, while the
  // view is on show (a reply that comes after the user left starts nothing).
  const shown = screenCheck();
  let watch = null;
  onLeave(() => watch?.stop());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button');
    const title = form.title.value;
    watch?.stop();
    progress.hidden = false;
    progress.value = 0;
    status.textContent = 'Uploading…';
    status.dataset.state = 'uploading';
    button.disabled = true;
    // The uploads listed before this one: an earlier failed upload with the
    // same title is not this one.
    const before = api('GET', 'publish/uploads').then((r) => r.upload_list, () => []);
    // Once the whole file is sent the server still transcodes it: say so.
    const onProgress = (sent) => {
      if (sent !== null) progress.value = Math.round(sent * 100);
      if (progress.value >= 100) status.textContent = 'Processing the video…';
    };
    try {
      await upload(title, form.data.files[0], onProgress);
      button.disabled = false;
      progress.value = 100;
      form.reset();
      const earlier = new Set((await before).filter((u) => u.state === 'failed').map((u) => u.id));
      if (shown()) watch = follow(title, earlier);
    } catch (err) {
      button.disabled = false;
      status.textContent = err.handled ? '' : `Not published. ${explain(err)}`;
      status.dataset.state = 'failed';
      fail(err);
    }
  });
  main.append(form);

  // follow shows the published upload's state: processing until it leaves
  // the uploads list (ready) or is listed failed. The newest upload with its
  // title that is not an earlier failure is this one.
  function follow(title, earlier) {
    let mine = 0;
    const say = (state, ...parts) => {
      status.replaceChildren(...parts);
      status.dataset.state = state;
    };
    const w = watchUploads((list) => {
      const u = mine ? list.find((x) => x.id === mine) : list.find((x) => x.title === title && !earlier.has(x.id));
      if (!u) {
        say('ready', 'Published! Your video is ready. ', h('a', { href: '#/me' }, 'See it on your profile'), '.');
        w.stop();
      } else if (u.state === 'failed') {
        say('failed', 'Not published: ', h('span', { class: 'reason', text: u.reason || 'the video could not be processed' }), '.');
        notify(`Your video could not be published: ${u.reason || 'the video could not be processed'}`);
        w.stop();
      } else if (!mine) {
        mine = u.id;
        say('processing', 'Published! Processing the video… ', h('a', { href: '#/me' }, 'Follow it on your profile'), '.');
      }
    });
    say('processing', 'Published! Processing the video…');
    w.look();
    return w;
  }
}
