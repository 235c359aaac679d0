// The portal: the session (GET /me at start, sign in, sign out), the header's navigation and
// the router (real paths with history.pushState; the server answers index.html for them).
import { get, post, setCsrf, whenSignedOut } from './api.js';
import { alert, busy, el, message, show } from './dom.js';
import { canReadAudit, homePath, isInternalApprover, isTenantAdmin, session } from './session.js';
import { renderAudit } from './audit.js';
import { renderHistory } from './history.js';
import { renderHome } from './home.js';
import { renderPending } from './pending.js';
import { renderRequest } from './request.js';
import { renderSettings } from './settings.js';
import { renderTicket } from './ticket.js';

const main = document.getElementById('main');
let stopPage = null; // the current page's cleanup (its refresh timer)
let generation = 0; // bumped by every route: a page that finishes late knows it is gone

// path pattern, title, render(view, user, ...captures) → optional cleanup function
const ROUTES = [
  [/^\/$/, 'Pending requests', (m, u) => (isTenantAdmin(u) ? renderHome(m, u) : renderPending(m, u, 'pending'))],
  [/^\/pending$/, 'Pending requests', (m, u) => renderPending(m, u, 'pending')],
  [/^\/review$/, 'Review queue', (m, u) => renderPending(m, u, 'pending_internal')],
  [/^\/requests\/([^/]+)$/, 'Access request', renderRequest],
  [/^\/tickets\/([^/]+)\/([^/]+)$/, 'Support ticket', renderTicket],
  [/^\/history$/, 'History', renderHistory],
  [/^\/audit$/, 'Activity log', renderAudit],
  [/^\/settings$/, 'Settings', renderSettings],
];

export function go(path) {
  if (path !== location.pathname + location.search) history.pushState(null, '', path);
  window.scrollTo(0, 0);
  route(true);
}

function header() {
  const top = document.getElementById('top');
  const nav = document.getElementById('nav');
  const user = session.user;
  top.hidden = !user;
  if (!user) {
    nav.replaceChildren();
    document.getElementById('who').textContent = '';
    return;
  }
  const links = isTenantAdmin(user) ? [['/', 'Overview'], ['/pending', 'Pending']] : [['/', 'Pending']];
  links.push(['/history', 'History']);
  if (canReadAudit(user)) links.push(['/audit', 'Activity log']);
  if (isTenantAdmin(user)) links.push(['/settings', 'Settings']);
  if (isInternalApprover(user)) links.push(['/review', 'Review queue']);
  nav.replaceChildren(...links.map(([href, text]) =>
    el('a', { href, 'aria-current': location.pathname === href ? 'page' : null }, text)));
  const who = document.getElementById('who');
  who.textContent = user.username;
  who.title = [user.display_name, user.email].filter(Boolean).join(' — ');
}

function renderLogin(text) {
  document.title = 'Sign in — Lockbox';
  const error = el('div', { class: 'messages' }, text ? alert(text) : null);
  const username = el('input', { id: 'login-username', name: 'username', autocomplete: 'username',
    autocapitalize: 'none', spellcheck: 'false', required: true });
  const password = el('input', { id: 'login-password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true });
  const totp = el('input', { id: 'login-totp', name: 'totp_code', inputmode: 'numeric',
    autocomplete: 'one-time-code', maxlength: 8, 'aria-describedby': 'login-totp-hint' });
  const button = el('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = el('form', { class: 'stack', novalidate: true },
    el('label', { for: 'login-username' }, 'Username'), username,
    el('label', { for: 'login-password' }, 'Password'), password,
    el('label', { for: 'login-totp' }, 'TOTP code'), totp,
    el('span', { class: 'hint', id: 'login-totp-hint' }, 'if you have enrolled an authenticator'),
    button, error);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = { username: username.value.trim(), password: password.value, session: 'cookie' };
    if (totp.value.trim()) body.totp_code = totp.value.trim();
    error.replaceChildren();
    busy(button, async () => {
      try {
        const r = await post('/api/v1/login', body);
        setCsrf(r.csrf_token);
        session.user = r.user;
        go(location.pathname === '/login' || location.pathname === '/' ? homePath(r.user)
          : location.pathname + location.search);
      } catch (e) {
        password.value = '';
        totp.value = '';
        error.replaceChildren(alert(e.message));
        password.focus();
      }
    });
  });
  show(main, el('section', { class: 'login' }, el('h1', {}, 'Sign in to Lockbox'), form));
  username.focus();
}

function signedOut(text) {
  generation++;
  if (stopPage) stopPage();
  stopPage = null;
  setCsrf(null);
  session.user = null;
  header();
  renderLogin(text);
}

async function signOut() {
  try {
    await post('/api/v1/logout');
  } catch (e) {
    // the session may have ended already: signed out either way
  }
  setCsrf(null);
  session.user = null;
  go('/login');
}

async function route(navigated) {
  const mine = ++generation;
  if (stopPage) stopPage();
  stopPage = null;
  const path = location.pathname;
  if (!session.user || path === '/login') {
    if (session.user) return go(homePath(session.user));
    header();
    return renderLogin();
  }
  header();
  // Each route draws into a view of its own: a page that finishes loading after the user has
  // moved on (or signed out) draws into a detached node, never over the page now shown.
  const view = el('div', { class: 'view' });
  main.replaceChildren(view);
  let match = null;
  const found = ROUTES.find(([re]) => (match = path.match(re)));
  if (!found) {
    document.title = 'Not found — Lockbox';
    return show(view, el('h1', {}, 'Not found'),
      el('p', { role: 'alert', class: 'error' }, 'This page does not exist. '),
      el('p', {}, el('a', { href: '/' }, 'Pending requests')));
  }
  document.title = `${path === '/' && isTenantAdmin(session.user) ? 'Overview' : found[1]} — Lockbox`;
  show(view, el('p', { class: 'hint' }, 'Loading…'));
  let params;
  try {
    params = match.slice(1).map(decodeURIComponent);
  } catch (e) {
    return show(view, el('h1', {}, found[1]), alert('Not found.'));
  }
  try {
    const stop = await found[2](view, session.user, ...params);
    if (mine !== generation) {
      if (typeof stop === 'function') stop();
      return;
    }
    if (typeof stop === 'function') stopPage = stop;
    if (navigated && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
  } catch (e) {
    if (mine !== generation || e.status === 401) return; // gone, or already at sign-in
    show(view, el('h1', {}, found[1]), alert(message(e)));
  }
}

async function start() {
  document.getElementById('signout').addEventListener('click', signOut);
  // Links inside the page move with pushState; a modified click opens a tab as usual.
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a[href^="/"]');
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey ||
        ev.altKey || a.target || a.hasAttribute('download') || a.getAttribute('href').startsWith('//'))
      return;
    ev.preventDefault();
    go(a.getAttribute('href'));
  });
  window.addEventListener('popstate', () => route(true));
  whenSignedOut(() => {
    if (session.user) signedOut('Your session has ended; sign in again.');
  });
  try {
    const me = await get('/api/v1/me');
    setCsrf(me.csrf_token);
    session.user = me;
  } catch (e) {
    session.user = null;
    if (e.status !== 401) {
      header();
      renderLogin(message(e));
      return;
    }
  }
  route(false);
}

start();
