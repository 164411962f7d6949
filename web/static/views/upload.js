// Uploading a video, with a progress bar while the file is sent.
import { h, main } from '../dom.js';
import { fail, requireLogin, upload } from '../api.js';

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
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button');
    progress.hidden = false;
    progress.value = 0;
    status.textContent = 'Uploading…';
    button.disabled = true;
    // Once the whole file is sent the server still transcodes it: say so.
    const onProgress = (sent) => {
      if (sent !== null) progress.value = Math.round(sent * 100);
      if (progress.value >= 100) status.textContent = 'Processing the video…';
    };
    try {
      await upload(form.title.value, form.data.files[0], onProgress);
      button.disabled = false;
      progress.value = 100;
      status.replaceChildren('Published! ', h('a', { href: '#/me' }, 'See it on your profile'), '.');
      form.reset();
    } catch (err) {
      button.disabled = false;
      status.textContent = '';
      fail(err);
    }
  });
  main.append(form);
}
