// The tiktok web client: a single page that speaks only the public /douyin/ API,
// exactly as the Android app does. User content is always set as text, never
// parsed as HTML.
//
// Native ES modules, no build step. This entry module only wires the parts:
//   dom.js          element builder, icons, number format, the notice banner
//   api.js          session token, every call to the backend, errors in words
//   router.js       hash routing between views
//   views/*.js      one module per screen (plus the shared video card and
//                   the comments panel)
import { onSessionChange, me, requireLogin, logout } from './api.js';
import { start } from './router.js';
import { feedView } from './views/feed.js';
import { authView } from './views/auth.js';
import { uploadView } from './views/upload.js';
import { profileView } from './views/profile.js';
import { friendsView } from './views/friends.js';
import { chatView } from './views/chat.js';

// ---- navigation: what the bar offers depends on being logged in ----
function renderNav() {
  const s = me();
  document.getElementById('nav-login').hidden = !!s;
  document.getElementById('nav-logout').hidden = !s;
  document.getElementById('nav-me').hidden = !s;
}
onSessionChange(renderNav);
document.getElementById('nav-logout').addEventListener('click', () => {
  logout();
  location.hash = '#/feed';
});

renderNav();
start([
  [/^#\/feed$/, feedView],
  [/^#\/login$/, () => authView('login')],
  [/^#\/register$/, () => authView('register')],
  [/^#\/upload$/, uploadView],
  [/^#\/me$/, () => (requireLogin() ? profileView(me().userId) : null)],
  [/^#\/user\/(\d+)$/, (m) => profileView(Number(m[1]))],
  [/^#\/friends$/, friendsView],
  [/^#\/chat\/(\d+)$/, (m) => chatView(Number(m[1]))],
]);
