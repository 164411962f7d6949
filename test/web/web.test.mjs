// Browser test of the web client in Debian's Chromium (playwright-core).
// scripts/web-test.sh starts the embedded system and sets BASE_URL and
// SAMPLE_VIDEO. Screenshots of the main screens go to OUT_DIR. BASE_URL_2,
// when set, is a second gateway instance of the same deployment: the second
// person (Bob, desktop) uses it, so the chat's push crosses instances.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = process.env.BASE_URL;
const BASE2 = process.env.BASE_URL_2 || BASE;
const SAMPLE = process.env.SAMPLE_VIDEO;
// LONG_VIDEO takes the media role seconds to transcode; UNDECODABLE_VIDEO
// passes the publish's probe and then fails. UPLOAD_WAIT_READY=0s says the
// server answers a publish without waiting for its video (scripts/web-test.sh
// starts it so), so the processing state can be seen.
const LONG = process.env.LONG_VIDEO;
const UNDECODABLE = process.env.UNDECODABLE_VIDEO;
const EARLY_REPLY = /^0+[a-z]*$/.test(process.env.UPLOAD_WAIT_READY || '');
const OUT = process.env.OUT_DIR || 'test-output/web';
mkdirSync(OUT, { recursive: true });
const stamp = Date.now() % 1e6;
const alice = `alice${stamp}`, bob = `bob${stamp}`;

let browser, phone, desktop;
const pageErrors = [];
// Every request the two people's pages make: the token must never be in a URL
// (access logs, history), only in the Authorization header.
const requests = [];
before(async () => {
  assert.ok(BASE && SAMPLE, 'BASE_URL and SAMPLE_VIDEO must be set');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  // Alice on a phone-sized screen, Bob on a desktop one.
  phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  desktop = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  for (const p of [phone, desktop]) {
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    p.on('dialog', (d) => { pageErrors.push('dialog opened: ' + d.message()); d.dismiss(); }); // injected script ran
    await watchPolicy(p, pageErrors);
    p.on('request', (r) => requests.push({ url: r.url(), method: r.method(), headers: r.headers() }));
  }
});
after(async () => {
  await browser?.close();
  assert.deepEqual(pageErrors, [], 'the pages raised errors, opened dialogs or broke the Content-Security-Policy');
  const leaks = requests.filter((r) => /[?&]token=/i.test(r.url) || tokensSeen.some((t) => r.url.includes(t)));
  assert.deepEqual(leaks.map((r) => r.url), [], 'a request URL carried the token');
  assert.ok(requests.some((r) => r.url.includes('/douyin/publish/action/') && /^Bearer .+/.test(r.headers.authorization || '')),
    'the upload sent its token in the Authorization header');
  assert.ok(requests.filter((r) => r.url.includes('/douyin/')).length > 20, 'requests were recorded');
});

// tokensSeen are the tokens the pages held, looked for in every URL,
// whatever the parameter's name.
const tokensSeen = ['expired.or.forged'];

// watchPolicy reports the page's Content-Security-Policy violations into
// errs: the browser's console message and the securitypolicyviolation event
// (an init script, which the policy does not govern, relays it).
function watchPolicy(page, errs) {
  page.on('console', (m) => {
    if (/Content Security Policy|CSP violation/i.test(m.text())) errs.push(`${m.type()}: ${m.text()}`);
  });
  return page.addInitScript(() => document.addEventListener('securitypolicyviolation',
    (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)));
}

const shot = (page, name) => page.screenshot({ path: `${OUT}/${name}.png` });

// base is the gateway instance a person's page uses.
const base = (page) => (page === desktop ? BASE2 : BASE);

async function signUp(page, name) {
  await page.goto(`${base(page)}/#/register`);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill('secret123');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL(/#\/feed$/);
  await page.getByRole('link', { name: 'Me' }).waitFor();
  tokensSeen.push(await page.evaluate(() => JSON.parse(localStorage.getItem('session')).token));
}

async function videoCard(page, title) {
  const card = page.locator('article.video', { has: page.locator('.title', { hasText: title }) }).first();
  await card.waitFor();
  return card;
}

test('two people: upload, feed, like, comment, follow, chat', async () => {
  // Registration (and the login screen's errors).
  await phone.goto(`${BASE}/#/login`);
  await shot(phone, '01-login-phone');
  await phone.getByLabel('Username').fill('nobody-here');
  await phone.getByLabel('Password').fill('wrongpass');
  await phone.getByRole('button', { name: 'Log in' }).click();
  await phone.getByRole('alert').filter({ hasText: 'wrong username or password' }).waitFor();
  await signUp(phone, alice);
  await signUp(desktop, bob);

  // Alice uploads a video; the progress bar runs to the end.
  await phone.getByRole('link', { name: 'Upload', exact: true }).click();
  await phone.getByLabel('Title').fill('My first clip <b>bold?</b>');
  await phone.getByLabel('Video file').setInputFiles(SAMPLE);
  await phone.getByRole('button', { name: 'Publish' }).click();
  await phone.getByText('Published!').waitFor({ timeout: 60000 });
  assert.equal(await phone.locator('#upload-progress').evaluate((p) => p.value), 100);
  // The view follows the video until the media role has made it.
  await phone.locator('.status[data-state="ready"]', { hasText: 'Your video is ready' }).waitFor({ timeout: 60000 });
  await shot(phone, '02-upload-phone');

  // Bob finds it in the feed: the title is text, the author is Alice.
  await desktop.goto(`${BASE2}/#/feed`);
  await desktop.reload();
  const card = await videoCard(desktop, 'My first clip');
  assert.equal(await card.locator('.title').textContent(), 'My first clip <b>bold?</b>');
  assert.equal(await card.locator('.title b').count(), 0);
  assert.equal(await card.locator('.author').textContent(), `@${alice}`);
  await desktop.waitForFunction(() => { const v = document.querySelector('article.video.current video'); return v && !v.paused; });
  await shot(desktop, '03-feed-desktop');

  // Like: the button turns on and the count goes up.
  const like = card.locator('button.like');
  await like.click();
  await assert.doesNotReject(card.locator('button.like[aria-pressed="true"]').waitFor());
  assert.equal((await like.locator('.n').textContent()).trim(), '1');

  // Comment, including markup that must stay text and run nothing.
  await card.locator('button.comments').click();
  const dialog = desktop.locator('dialog#comments');
  await dialog.getByLabel('Add a comment').fill('Nice one 👍');
  await dialog.getByRole('button', { name: 'Post' }).click();
  await dialog.locator('.comment .text', { hasText: 'Nice one 👍' }).waitFor();
  const xss = '<img src=x onerror="window.__xss=1;alert(1)">';
  await dialog.getByLabel('Add a comment').fill(xss);
  await dialog.getByRole('button', { name: 'Post' }).click();
  await dialog.locator('.comment .text', { hasText: '<img src=x' }).waitFor();
  assert.equal(await dialog.locator('.comment .text').first().textContent(), xss);
  assert.equal(await dialog.locator('.comment img').count(), 0);
  assert.equal(await desktop.evaluate(() => window.__xss), undefined);
  await shot(desktop, '04-comments-desktop');
  await dialog.getByRole('button', { name: 'Close comments' }).click();
  assert.equal((await card.locator('button.comments .n').textContent()).trim(), '2');

  // Bob follows Alice from the feed.
  await card.getByRole('button', { name: 'Follow' }).click();
  await card.getByRole('button', { name: 'Following' }).waitFor();

  // Alice's profile shows the counts; she follows Bob back from his profile.
  await phone.getByRole('link', { name: 'Me' }).click();
  await phone.locator('.profile .name', { hasText: alice }).waitFor();
  await phone.locator('.stats', { hasText: '1 followers' }).waitFor();
  await phone.locator('.stats', { hasText: '1 likes received' }).waitFor();
  await phone.locator('.thumb', { hasText: 'My first clip' }).waitFor();
  await shot(phone, '05-profile-phone');
  const bobId = await desktop.evaluate(() => JSON.parse(localStorage.getItem('session')).userId);
  await phone.goto(`${BASE}/#/user/${bobId}`);
  await phone.locator('.profile .name', { hasText: bob }).waitFor();
  await phone.getByRole('button', { name: 'Follow' }).click();
  await phone.locator('.stats', { hasText: '1 followers' }).waitFor();
  // Bob's liked tab lists the video.
  await phone.getByRole('tab', { name: 'Liked' }).click();
  await phone.locator('.thumb', { hasText: 'My first clip' }).waitFor();

  // Friends both ways; chat in both directions, each message shown once.
  await phone.getByRole('link', { name: 'Friends' }).click();
  await phone.locator('.friend', { hasText: bob }).click();
  await phone.getByLabel(`Message ${bob}`).fill('hi bob');
  await phone.getByRole('button', { name: 'Send' }).click();
  await phone.locator('.messages li.mine', { hasText: 'hi bob' }).waitFor();

  await desktop.getByRole('link', { name: 'Friends' }).click();
  const friend = desktop.locator('.friend', { hasText: alice });
  await friend.locator('.last', { hasText: 'hi bob' }).waitFor();
  await shot(desktop, '06-friends-desktop');
  await friend.click();
  await desktop.locator('.messages li.theirs', { hasText: 'hi bob' }).waitFor();

  // Both chats hold a live stream (one on each gateway instance when there
  // are two): a message reaches the other page pushed, well before the
  // 2-second poll (which a live stream slows to a 30-second safety net).
  for (const p of [phone, desktop]) await p.locator('.messages[data-stream="live"]').waitFor({ timeout: 10000 });
  const pushedTo = async (page, text) => {
    const li = page.locator('.messages li.theirs', { hasText: text });
    await li.waitFor({ timeout: 1500 });
    assert.equal(await li.getAttribute('data-via'), 'push', `"${text}" reached the page by polling, not pushed`);
  };
  await desktop.getByLabel(`Message ${alice}`).fill('hi alice <script>alert(2)</script>');
  await desktop.getByRole('button', { name: 'Send' }).click();
  await pushedTo(phone, 'hi alice <script>');
  await phone.getByLabel(`Message ${bob}`).fill('pushed both ways?');
  await phone.getByRole('button', { name: 'Send' }).click();
  await pushedTo(desktop, 'pushed both ways?');
  await phone.waitForTimeout(4500); // polls that may still come: nothing may repeat
  const chat = ['hi bob', 'hi alice <script>alert(2)</script>', 'pushed both ways?'];
  assert.deepEqual(await phone.locator('.messages li').allTextContents(), chat);
  assert.deepEqual(await desktop.locator('.messages li').allTextContents(), chat);
  // The stream is a fetch with the token in its Authorization header.
  const streams = requests.filter((r) => r.url.includes('/douyin/message/stream/'));
  assert.ok(streams.length >= 2 && streams.every((r) => /^Bearer .+/.test(r.headers.authorization || '')),
    'the chat streams sent their token in the Authorization header');
  await shot(phone, '07-chat-phone');
  await shot(desktop, '08-chat-desktop');
});

test('the uploader sees processing and failed uploads, and the ready video without a reload', async () => {
  assert.ok(LONG && UNDECODABLE, 'LONG_VIDEO and UNDECODABLE_VIDEO must be set');
  const uploadCalls = () => requests.filter((r) => r.url.includes('/douyin/publish/uploads/'));
  for (const r of uploadCalls()) assert.match(r.headers.authorization || '', /^Bearer .+/);
  // Alice (phone, still logged in) uploads a video that takes a while.
  await phone.getByRole('link', { name: 'Upload', exact: true }).click();
  await phone.getByLabel('Title').fill('Longer clip');
  await phone.getByLabel('Video file').setInputFiles(LONG);
  // Set in this document: still there afterwards only if nothing reloaded it.
  await phone.evaluate(() => { window.__sameDocument = true; });
  await phone.getByRole('button', { name: 'Publish' }).click();
  await phone.getByText('Published!').waitFor({ timeout: 60000 });
  const me = phone.locator('.profile .name', { hasText: alice });
  const thumb = phone.locator('button.thumb', { hasText: 'Longer clip' });
  if (EARLY_REPLY) {
    // The reply came while the video is still transcoded: her profile shows
    // a processing tile among her videos, then the video in its place.
    await phone.getByRole('link', { name: 'Me' }).click();
    await me.waitFor();
    const tile = phone.locator('.grid .thumb.pending[data-state="processing"]', { hasText: 'Longer clip' });
    await tile.waitFor({ timeout: 10000 });
    assert.match(await tile.textContent(), /Processing…/);
    // Read at one instant: the tile goes before the count changes.
    const [tiles, videos, stats] = await phone.evaluate(() => [document.querySelectorAll('.thumb.pending').length,
      [...document.querySelectorAll('.grid button.thumb')].map((b) => b.getAttribute('aria-label')), document.querySelector('.stats').textContent]);
    if (tiles) {
      assert.ok(!videos.includes('Play Longer clip'), 'a processing video shown as ready');
      assert.match(stats, /(^|\D)1 videos/);
    }
    await shot(phone, '11-processing-phone');
    await thumb.waitFor({ timeout: 120000 });
    await tile.waitFor({ state: 'detached' });
    await phone.locator('.stats', { hasText: '2 videos' }).waitFor();
    assert.equal(await phone.locator('.grid .thumb.pending').count(), 0);
    // The newest video first, where the tile was.
    assert.equal(await phone.locator('.grid button.thumb').first().getAttribute('aria-label'), 'Play Longer clip');
    // Nothing processing: the polling stopped.
    const calls = uploadCalls().length;
    await phone.waitForTimeout(4500);
    assert.equal(uploadCalls().length, calls, 'the uploads were still polled with nothing processing');
  } else {
    // The reply waited for the video (upload.wait_ready): ready at once.
    await phone.locator('.status[data-state="ready"]').waitFor({ timeout: 60000 });
    await phone.getByRole('link', { name: 'Me' }).click();
    await thumb.waitFor();
  }
  assert.equal(await phone.evaluate(() => window.__sameDocument), true, 'the page was reloaded');

  // A file that passes the probe but cannot be decoded: the upload view says
  // why (after following it, or from the reply's 10007), and so does her
  // profile, as a failed upload, never among her videos.
  await phone.getByRole('link', { name: 'Upload', exact: true }).click();
  const broken = 'Broken <i>clip</i>';
  await phone.getByLabel('Title').fill(broken);
  await phone.getByLabel('Video file').setInputFiles(UNDECODABLE);
  await phone.getByRole('button', { name: 'Publish' }).click();
  const status = phone.locator('.status[data-state="failed"]');
  await status.waitFor({ timeout: 60000 });
  await shot(phone, '12-upload-failed-phone');
  const said = await status.textContent();
  await phone.getByRole('link', { name: 'Me' }).click();
  await me.waitFor();
  const item = phone.locator('.failed-uploads li[data-state="failed"]', { hasText: 'Broken' });
  await item.waitFor({ timeout: 10000 });
  assert.equal(await item.locator('.title').textContent(), broken);
  assert.equal(await item.locator('i').count(), 0);
  const reason = (await item.locator('.reason').textContent()).trim();
  assert.ok(reason.length > 0, 'no reason shown');
  assert.ok(said.includes(reason), `the upload view said "${said}", the profile "${reason}"`);
  await phone.locator('.uploads summary', { hasText: '1 upload failed' }).waitFor();
  await thumb.waitFor();
  assert.equal(await phone.locator('.grid .thumb', { hasText: 'Broken' }).count(), 0, 'a failed upload shown as a video');
  await shot(phone, '13-profile-failed-phone');
  // Bob does not see Alice's uploads on her profile.
  await desktop.goto(`${BASE2}/#/user/${await phone.evaluate(() => JSON.parse(localStorage.getItem('session')).userId)}`);
  await desktop.locator('.profile .name', { hasText: alice }).waitFor();
  await desktop.locator('button.thumb', { hasText: 'Longer clip' }).waitFor();
  assert.equal(await desktop.locator('.uploads, .failed-uploads li, .thumb.pending').count(), 0);
  const bobToken = tokensSeen[2];
  assert.equal(uploadCalls().filter((r) => (r.headers.authorization || '').endsWith(bobToken)).length, 0, "Bob's page asked for uploads");
  for (const r of uploadCalls()) assert.match(r.headers.authorization || '', /^Bearer .+/, 'uploads polled without the token header');
});

test('keyboard: arrow keys move through the feed', async () => {
  await desktop.goto(`${BASE2}/#/feed`);
  await desktop.locator('article.video.current').waitFor();
  const first = await desktop.locator('article.video.current').getAttribute('data-video-id');
  const total = await desktop.locator('article.video').count();
  if (total < 2) return; // nothing to move to
  const current = () => desktop.evaluate(() => document.querySelector('article.video.current')?.dataset.videoId);
  await desktop.locator('body').focus();
  await desktop.keyboard.press('ArrowDown');
  await desktop.waitForFunction((id) => document.querySelector('article.video.current')?.dataset.videoId !== id, first);
  const second = await current();
  await desktop.waitForTimeout(800); // let the smooth scroll settle
  await desktop.keyboard.press('ArrowUp');
  await desktop.waitForFunction((id) => document.querySelector('article.video.current')?.dataset.videoId === id, first, { timeout: 5000 })
    .catch(async (e) => { throw new Error(`after ArrowUp from ${second}: current ${await current()}, want ${first}: ${e.message}`); });
  await shot(desktop, '10-feed-keyboard-desktop');
});

test('an expired token sends the user to log in again', async () => {
  await phone.evaluate(() => {
    const s = JSON.parse(localStorage.getItem('session'));
    s.token = 'expired.or.forged';
    localStorage.setItem('session', JSON.stringify(s));
  });
  await phone.goto(`${BASE}/#/friends`);
  await phone.waitForURL(/#\/login$/);
  await phone.getByRole('alert').filter({ hasText: 'session has expired' }).waitFor();
  await shot(phone, '09-expired-phone');
});

test('every module under web/static is served as JavaScript and loaded', async () => {
  // The client is split into native ES modules: each must be embedded, served
  // with a JavaScript MIME type (browsers refuse modules otherwise) and imported.
  const root = fileURLToPath(new URL('../../web/static/', import.meta.url));
  const onDisk = readdirSync(root, { recursive: true }).filter((f) => f.endsWith('.js')).map((f) => f.split(sep).join('/')).sort();
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const served = [];
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/app/') && path.endsWith('.js')) served.push({ path, status: r.status(), type: r.headers()['content-type'] || '' });
  });
  await page.goto(`${BASE}/#/feed`);
  await page.locator('#main .feed-list').waitFor(); // the entry module ran, so every import loaded
  await ctx.close();
  for (const r of served) {
    assert.equal(r.status, 200, r.path);
    assert.match(r.type, /javascript/, `${r.path} served as ${r.type}`);
  }
  assert.deepEqual(served.map((r) => r.path.slice('/app/'.length)).sort(), onDisk);
});

test('the page is served with its defences, and the policy is enforced', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const violations = [];
  await watchPolicy(page, violations);
  const res = await page.goto(`${BASE}/#/feed`);
  const hdr = res.headers();
  assert.match(hdr['content-security-policy'] || '', /script-src 'self';/);
  assert.doesNotMatch(hdr['content-security-policy'], /unsafe/);
  assert.equal(hdr['x-content-type-options'], 'nosniff');
  assert.equal(hdr['referrer-policy'], 'no-referrer');
  assert.equal(hdr['x-frame-options'], 'DENY');
  await page.locator('#main .feed-list').waitFor();
  assert.deepEqual(violations, [], 'the client itself breaks the policy');
  // An injected inline script does not run, and the browser says why.
  const ran = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__injected = 1';
    document.body.append(s);
    return window.__injected;
  });
  assert.equal(ran, undefined);
  for (let i = 0; i < 50 && !violations.length; i++) await page.waitForTimeout(100);
  assert.ok(violations.some((v) => /script-src/.test(v)), `no violation reported: ${violations}`);
  // No directory listing of the client's files.
  for (const dir of ['/app/', '/app/views/']) {
    const r = await page.request.get(`${BASE}${dir}`);
    assert.equal(r.status(), 404, dir);
  }
  await ctx.close();
});

test('log out ends the session and tells the server, the token in the header', async () => {
  const logouts = [];
  desktop.on('request', (r) => { if (r.url().includes('/douyin/user/logout')) logouts.push(r); });
  await desktop.goto(`${BASE2}/#/feed`);
  await desktop.getByRole('button', { name: 'Log out' }).click();
  await desktop.getByRole('link', { name: 'Log in' }).waitFor();
  assert.equal(await desktop.evaluate(() => localStorage.getItem('session')), null);
  await desktop.waitForTimeout(300);
  assert.equal(logouts.length, 1);
  assert.equal(logouts[0].method(), 'POST');
  assert.match(logouts[0].headers().authorization || '', /^Bearer .+/);
  assert.doesNotMatch(logouts[0].url(), /token/);
});
