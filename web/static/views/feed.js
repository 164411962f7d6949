// The feed: one video a screen, endless scrolling, arrow keys to move.
import { h, main } from '../dom.js';
import { api, fail } from '../api.js';
import { onLeave } from '../router.js';
import { videoCard } from './video-card.js';

export function feedView() {
  main.className = 'feed';
  const list = h('div', { class: 'feed-list', 'aria-label': 'Videos', role: 'feed' });
  main.append(list);
  let next = 0, loading = false, ended = false;
  const seen = new Set();
  // The video mostly on screen plays; the others pause. Nearing the end loads more.
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
  onLeave(() => { document.removeEventListener('keydown', onKey); observer.disconnect(); });
  more();
}
