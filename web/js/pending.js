// The requests waiting for the user: the customer's pending list, or the provider's internal
// review queue. It refreshes itself, so what expires or another approver decides disappears.
import { get } from './api.js';
import { duration, el, show } from './dom.js';
import { failed } from './app.js';

const REFRESH_MS = 5000;

function row(q) {
  const left = q.expires_at ? (Date.parse(q.expires_at) - Date.now()) / 1000 : null;
  return el('tr', {},
    el('td', {}, el('a', { href: `/requests/${encodeURIComponent(q.id)}` }, q.id)),
    el('td', {}, q.requester.username),
    el('td', {}, el('div', {}, q.resource_type), q.resource_ids.map((r) => el('div', {}, r))),
    el('td', {}, q.access_level),
    el('td', {}, duration(q.duration_seconds)),
    el('td', {}, left === null ? '—' : duration(left)));
}

export async function renderPending(main, user, status) {
  const title = status === 'pending' ? 'Pending requests' : 'Review queue';
  const body = el('div', { 'aria-live': 'polite' });
  let timer = null;

  async function load() {
    const page = await get(`/api/v1/requests?status=${status}&limit=200`);
    if (!page.items.length) {
      body.replaceChildren(el('p', {}, status === 'pending' ? 'No pending requests.'
        : 'No requests wait for an internal review.'));
      return;
    }
    body.replaceChildren(el('table', {},
      el('caption', {}, title),
      el('thead', {}, el('tr', {}, ['Request', 'Requester', 'Resource', 'Access level',
        'Duration', 'Time left'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, page.items.map(row))));
  }

  show(main, el('h1', {}, title), body);
  await load();
  timer = setInterval(() => load().catch((e) => {
    clearInterval(timer);
    failed(e);
  }), REFRESH_MS);
  return () => clearInterval(timer);
}
