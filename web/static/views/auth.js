// Logging in and signing up share one form; kind is 'login' or 'register'.
// Afterwards the user goes back to where requireLogin or expired() sent them from.
import { h, main, notify } from '../dom.js';
import { api, fail, session } from '../api.js';

export function authView(kind) {
  const register = kind === 'register';
  main.className = 'page narrow';
  const form = h('form', { class: 'card', 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, register ? 'Create an account' : 'Log in'),
    h('label', { for: 'username' }, 'Username'),
    h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, maxlength: 32 }),
    h('label', { for: 'password' }, 'Password'),
    h('input', { id: 'password', name: 'password', type: 'password', required: true, minlength: 6, maxlength: 32,
      autocomplete: register ? 'new-password' : 'current-password' }),
    h('p', { class: 'hint' }, register ? 'Password: 6 to 32 characters.' : ''),
    h('button', { type: 'submit' }, register ? 'Sign up' : 'Log in'),
    h('p', {}, register ? 'Have an account? ' : 'New here? ',
      h('a', { href: register ? '#/login' : '#/register' }, register ? 'Log in' : 'Create an account')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = form.username.value, password = form.password.value;
    try {
      const r = await api('POST', register ? 'user/register' : 'user/login', { username, password }, { auth: false });
      session.set({ token: r.token, userId: r.user_id, name: username });
      const back = sessionStorage.getItem('after-login') || '#/feed';
      sessionStorage.removeItem('after-login');
      notify(register ? `Welcome, ${username}!` : `Welcome back, ${username}!`, 'info');
      location.hash = back === '#/login' || back === '#/register' ? '#/feed' : back;
    } catch (err) { fail(err); }
  });
  main.append(form);
  form.username.focus();
}
