// All requests of the tenant (provider staff: of every tenant), newest first, filtered by the
// server: status, a date range (days in the browser's zone) and text in the id, requester,
// resource ids or justification. A page at a time; "Next page" appends the next.
import { get, query } from './api.js';
import { alert, busy, duration, el, message, show, statusWord, table, time } from './dom.js';
import { isTenantUser } from './session.js';

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'canceled', 'revoked', 'completed'];
const PROVIDER_ONLY = ['pending_internal', 'rejected'];
const LIMIT = 50;
const TYPING_MS = 300; // the text filter asks the server once typing pauses

// A yyyy-mm-dd date input's value as RFC 3339 UTC of the local midnight that starts that day
// (plusDays 1: the midnight that ends it).
function localDay(value, plusDays) {
  if (!value) return null;
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d + (plusDays || 0)).toISOString().replace('.000Z', 'Z');
}

function row(q) {
  return el('tr', {},
    el('td', {}, el('a', { href: `/requests/${encodeURIComponent(q.id)}`, class: 'id' }, q.id)),
    el('td', {}, statusWord(q.status)),
    el('td', {}, q.requester ? q.requester.username : '—'),
    el('td', {}, el('div', { class: 'type' }, q.resource_type),
      (q.resource_ids || []).map((r) => el('div', { class: 'rid' }, r))),
    el('td', {}, q.access_level),
    el('td', {}, duration(q.duration_seconds)),
    el('td', {}, time(q.created_at)));
}

export async function renderHistory(main, user) {
  const statuses = isTenantUser(user) ? STATUSES : STATUSES.concat(PROVIDER_ONLY);
  const status = el('select', { id: 'history-status', name: 'status' },
    el('option', { value: '' }, 'any'), statuses.map((s) => el('option', { value: s }, s)));
  const from = el('input', { id: 'history-from', type: 'date', name: 'from' });
  const to = el('input', { id: 'history-to', type: 'date', name: 'to' });
  const search = el('input', { id: 'history-search', type: 'search', name: 'search',
    maxlength: 200, 'aria-describedby': 'history-search-hint' });
  const out = el('div', {});
  const error = el('div', { class: 'messages' });
  const summary = el('p', { class: 'hint', 'aria-live': 'polite' });
  const more = el('button', { type: 'button', hidden: true }, 'Next page');
  let token = null;
  let items = [];
  let loads = 0;
  let typing = null;

  function draw() {
    out.replaceChildren(items.length ? table('Requests', ['Request', 'Status', 'Requester', 'Resource',
      'Access level', 'Duration', 'Created'], items.map(row)) : el('p', {}, 'No requests match.'));
    summary.textContent = `${items.length} request${items.length === 1 ? '' : 's'} shown` +
      (token ? '; more on the next page.' : '.');
    more.hidden = !token;
  }

  // reset: a new search from the first page; else the next page of the search shown.
  async function load(reset) {
    const mine = ++loads;
    if (reset) more.hidden = true; // its page token belongs to the search being replaced
    const page = await get(`/api/v1/requests${query({ status: status.value,
      from: localDay(from.value), to: localDay(to.value, 1), q: search.value.trim(), limit: LIMIT,
      page_token: reset ? null : token })}`);
    if (mine !== loads) return; // a newer search superseded this answer
    items = reset ? page.items : items.concat(page.items);
    token = page.next_page_token;
    error.replaceChildren();
    draw();
  }

  const fail = (e) => {
    if (e.status !== 401) error.replaceChildren(alert(message(e)));
  };
  const refresh = () => {
    clearTimeout(typing);
    load(true).catch(fail);
  };
  for (const i of [status, from, to]) i.addEventListener('change', refresh);
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(refresh, TYPING_MS);
  });
  more.addEventListener('click', () => busy(more, () => load(false)).catch(fail));
  show(main, el('h1', {}, 'History'),
    el('form', { class: 'filters', role: 'search', 'aria-label': 'Filter requests',
      onsubmit: (e) => {
        e.preventDefault();
        refresh();
      } },
      el('div', { class: 'field' }, el('label', { for: 'history-status' }, 'Status'), status),
      el('div', { class: 'field' }, el('label', { for: 'history-from' }, 'From'), from),
      el('div', { class: 'field' }, el('label', { for: 'history-to' }, 'To'), to),
      el('div', { class: 'field' }, el('label', { for: 'history-search' }, 'Search'), search,
        el('span', { class: 'hint', id: 'history-search-hint' }, 'id, requester, resource or justification'))),
    error, out, summary, more);
  await load(true);
}
