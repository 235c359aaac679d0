// All requests of the tenant, newest first, with status, date and text filters.
import { get } from './api.js';
import { el, show, time } from './dom.js';

const STATUSES = ['', 'pending', 'approved', 'denied', 'expired', 'canceled', 'revoked',
  'completed', 'pending_internal', 'rejected'];

export async function renderHistory(main, user) {
  const status = el('select', { name: 'status' },
    STATUSES.filter((s) => user.tenant_id === null || !['pending_internal', 'rejected'].includes(s))
      .map((s) => el('option', { value: s }, s || 'any')));
  const from = el('input', { type: 'date', name: 'from' });
  const to = el('input', { type: 'date', name: 'to' });
  const search = el('input', { type: 'search', name: 'search' });
  const out = el('div', { 'aria-live': 'polite' });
  const more = el('button', { type: 'button', hidden: true }, 'Next page');
  let token = null;
  let items = [];

  function visible() {
    const f = from.value ? Date.parse(from.value) : -Infinity;
    const t = to.value ? Date.parse(to.value) + 86400000 : Infinity;
    const text = search.value.trim().toLowerCase();
    return items.filter((q) => {
      const at = Date.parse(q.created_at);
      const hay = [q.id, q.requester.username, q.justification, ...q.resource_ids].join(' ').toLowerCase();
      return at >= f && at < t && (!text || hay.includes(text));
    });
  }

  function draw() {
    const rows = visible();
    out.replaceChildren(rows.length ? el('table', {},
      el('caption', {}, 'Requests'),
      el('thead', {}, el('tr', {}, ['Request', 'Status', 'Requester', 'Resource', 'Access level', 'Created']
        .map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows.map((q) => el('tr', {},
        el('td', {}, el('a', { href: `/requests/${encodeURIComponent(q.id)}` }, q.id)),
        el('td', {}, q.status), el('td', {}, q.requester.username),
        el('td', {}, q.resource_ids.join(', ')), el('td', {}, q.access_level),
        el('td', {}, time(q.created_at))))))
      : el('p', {}, 'No requests match.'));
    more.hidden = !token;
  }

  async function load(reset) {
    if (reset) {
      items = [];
      token = null;
    }
    const qs = new URLSearchParams({ limit: '100' });
    if (status.value) qs.set('status', status.value);
    if (user.tenant_id) qs.set('tenant_id', user.tenant_id);
    if (token) qs.set('page_token', token);
    const page = await get(`/api/v1/requests?${qs}`);
    items = items.concat(page.items);
    token = page.next_page_token;
    draw();
  }

  status.addEventListener('change', () => load(true));
  for (const i of [from, to, search]) i.addEventListener('input', draw);
  more.addEventListener('click', () => load(false));
  show(main, el('h1', {}, 'History'),
    el('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
      el('label', {}, 'Status', status), el('label', {}, 'From', from),
      el('label', {}, 'To', to), el('label', {}, 'Search', search)),
    out, more);
  await load(true);
}
