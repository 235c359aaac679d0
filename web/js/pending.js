// The requests waiting for the user: the customer's pending list (status pending), or the
// provider's internal review queue (pending_internal). It polls every 5 seconds, so a request
// that expires or that another approver decides disappears without a reload.
import { get, query } from './api.js';
import { alert, duration, el, message, show, table } from './dom.js';
import { waitsFor } from './session.js';

const REFRESH_MS = 5000;
const HEADERS = ['Request', 'Requester', 'Resource', 'Access level', 'Duration', 'Time left'];

function row(q) {
  const left = q.expires_at ? (Date.parse(q.expires_at) - Date.now()) / 1000 : null;
  return el('tr', {},
    el('td', {}, el('a', { href: `/requests/${encodeURIComponent(q.id)}`, class: 'id' }, q.id)),
    el('td', {}, q.requester ? q.requester.username : '—'),
    el('td', {}, el('div', { class: 'type' }, q.resource_type),
      (q.resource_ids || []).map((r) => el('div', { class: 'rid' }, r))),
    el('td', {}, q.access_level),
    el('td', {}, duration(q.duration_seconds)),
    el('td', {}, left === null ? '—' : duration(left)));
}

export async function renderPending(main, user, status) {
  const title = status === 'pending' ? 'Pending requests' : 'Review queue';
  const empty = status === 'pending' ? 'No pending requests.' : 'No requests wait for an internal review.';
  const body = el('div', {});
  const error = el('div', { class: 'messages' });
  const count = el('p', { class: 'hint', 'aria-live': 'polite' });
  let timer = null;
  let lastCount = null;

  async function load() {
    const all = [];
    let token = null;
    do {
      const page = await get(`/api/v1/requests${query({ status, limit: 200, page_token: token })}`);
      all.push(...page.items);
      token = page.next_page_token;
    } while (token);
    // Only what waits for this user: in their scope, not yet decided by them, not their own.
    const items = all.filter((q) => waitsFor(user, q))
      .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
    const others = all.length - items.length;
    // Keep keyboard focus on the same link across a refresh.
    const focused = body.contains(document.activeElement) ? document.activeElement.getAttribute('href') : null;
    body.replaceChildren(items.length ? table(title, HEADERS, items.map(row)) : el('p', {}, empty));
    if (focused) {
      const again = [...body.querySelectorAll('a[href]')].find((a) => a.getAttribute('href') === focused);
      if (again) again.focus();
    }
    if (`${items.length}/${others}` !== lastCount) {
      lastCount = `${items.length}/${others}`;
      count.textContent = `${items.length} request${items.length === 1 ? '' : 's'} wait${items.length === 1 ? 's' : ''} for you` +
        (others ? `; ${others} more wait${others === 1 ? 's' : ''} for other approvers (see History)` : '') +
        '. The list refreshes every 5 seconds.';
    }
    error.replaceChildren();
  }

  show(main, el('h1', {}, title), error, body, count);
  await load();
  let loading = false; // a slow refresh is not overlapped by the next one
  timer = setInterval(() => {
    if (!body.isConnected) return clearInterval(timer); // the page is gone
    if (loading) return;
    loading = true;
    load().finally(() => (loading = false)).catch((e) => {
      if (e.status === 401) return clearInterval(timer); // app.js shows sign-in
      error.replaceChildren(alert(`The list could not be refreshed: ${message(e)}`));
    });
  }, REFRESH_MS);
  return () => clearInterval(timer);
}
