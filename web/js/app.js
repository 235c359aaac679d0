// The portal: who is signed in, the navigation, and the router (real paths, pushState).
import { ApiError, get, post, setCsrf } from './api.js';
import { alert, el, show } from './dom.js';
import { renderAudit } from './audit.js';
import { renderHistory } from './history.js';
import { renderPending } from './pending.js';
import { renderRequest } from './request.js';
import { renderSettings } from './settings.js';
import { renderTicket } from './ticket.js';

const main = document.getElementById('main');
const session = { user: null };
let stopPage = null; // the current page's cleanup (a refresh timer)

export function isTenantAdmin(user) {
  return !!user && user.tenant_id !== null &&
    user.roles.some((r) => r.role === 'tenant_admin' && r.scope === '/');
}

export function isInternalApprover(user) {
  return !!user && user.tenant_id === null &&
    user.roles.some((r) => r.role === 'internal_approver');
}

export function go(path) {
  history.pushState(null, '', path);
  route();
}

function header() {
  const top = document.getElementById('top');
  const nav = document.getElementById('nav');
  const user = session.user;
  top.hidden = !user;
  if (!user) return;
  const links = [el('a', { href: '/' }, 'Pending'), el('a', { href: '/history' }, 'History'),
    el('a', { href: '/audit' }, 'Activity log')];
  if (isTenantAdmin(user)) links.push(el('a', { href: '/settings' }, 'Settings'));
  if (isInternalApprover(user)) links.push(el('a', { href: '/review' }, 'Review queue'));
  nav.replaceChildren(...links);
  document.getElementById('who').textContent = user.username;
}

function renderLogin(message) {
  const error = el('div', { 'aria-live': 'polite' }, message ? alert(message) : null);
  const form = el('form', { class: 'stack', novalidate: true },
    el('label', {}, 'Username', el('input', { name: 'username', autocomplete: 'username', required: true })),
    el('label', {}, 'Password', el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    el('label', {}, 'TOTP code',
      el('input', { name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 8 }),
      el('span', { class: 'hint' }, 'if you have enrolled an authenticator')),
    el('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = { username: f.get('username'), password: f.get('password'), session: 'cookie' };
    if (f.get('totp')) body.totp_code = f.get('totp');
    try {
      const r = await post('/api/v1/login', body);
      setCsrf(r.csrf_token);
      session.user = r.user;
      go(location.pathname === '/login' ? '/' : location.pathname);
    } catch (e) {
      error.replaceChildren(alert(e.message));
    }
  });
  show(main, el('h1', {}, 'Sign in to Lockbox'), form);
  form.querySelector('input').focus();
}

async function signOut() {
  try {
    await post('/api/v1/logout');
  } catch (e) {
    // the session may have ended already: signed out either way
  }
  setCsrf(null);
  session.user = null;
  header();
  go('/login');
}

// Shows what a page threw: sign in again after a 401, the server's words otherwise.
export function failed(e) {
  if (e instanceof ApiError && e.status === 401) {
    session.user = null;
    header();
    renderLogin('Your session has ended; sign in again.');
    return;
  }
  show(main, alert(e.message));
}

async function route() {
  if (stopPage) stopPage();
  stopPage = null;
  const path = location.pathname;
  if (!session.user || path === '/login') {
    if (session.user && path === '/login') return go('/');
    header();
    return renderLogin();
  }
  header();
  let m;
  try {
    if (path === '/') stopPage = await renderPending(main, session.user, 'pending');
    else if (path === '/review') stopPage = await renderPending(main, session.user, 'pending_internal');
    else if (path === '/history') await renderHistory(main, session.user);
    else if (path === '/audit') await renderAudit(main);
    else if (path === '/settings') await renderSettings(main, session.user);
    else if ((m = path.match(/^\/requests\/([^/]+)$/))) await renderRequest(main, session.user, decodeURIComponent(m[1]));
    else if ((m = path.match(/^\/tickets\/([^/]+)\/([^/]+)$/))) await renderTicket(main, decodeURIComponent(m[1]), decodeURIComponent(m[2]));
    else show(main, el('h1', {}, 'Not found'), el('p', {}, 'This page does not exist. ', el('a', { href: '/' }, 'Pending requests')));
  } catch (e) {
    failed(e);
  }
}

async function start() {
  document.getElementById('signout').addEventListener('click', signOut);
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[href^="/"]');
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || a.target || a.hasAttribute('download')) return;
    ev.preventDefault();
    go(a.getAttribute('href'));
  });
  window.addEventListener('popstate', route);
  try {
    const me = await get('/api/v1/me');
    setCsrf(me.csrf_token);
    session.user = me;
  } catch (e) {
    session.user = null;
  }
  route();
}

start();
