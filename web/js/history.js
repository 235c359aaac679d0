// All requests of the tenant (provider staff: of every tenant), newest first, with a status
// filter (sent to the server) and date and text filters (applied here: while one is set, every
// page is loaded, up to MAX_FILTERED requests, so a match is not missed on a page not shown).
import { get, query } from './api.js';
import { alert, busy, duration, el, message, show, statusWord, table, time } from './dom.js';
import { isTenantUser } from './session.js';

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'canceled', 'revoked', 'completed'];
const PROVIDER_ONLY = ['pending_internal', 'rejected'];
const LIMIT = 50;
const MAX_FILTERED = 5000;

// A yyyy-mm-dd date input's value as the local midnight that starts that day.
function localDay(value, plusDays) {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d + (plusDays || 0)).getTime();
}

export async function renderHistory(main, user) {
  const statuses = isTenantUser(user) ? STATUSES : STATUSES.concat(PROVIDER_ONLY);
  const status = el('select', { id: 'history-status', name: 'status' },
    el('option', { value: '' }, 'any'), statuses.map((s) => el('option', { value: s }, s)));
  const from = el('input', { id: 'history-from', type: 'date', name: 'from' });
  const to = el('input', { id: 'history-to', type: 'date', name: 'to' });
  const search = el('input', { id: 'history-search', type: 'search', name: 'search',
    'aria-describedby': 'history-search-hint' });
  const out = el('div', {});
  const error = el('div', { class: 'messages' });
  const summary = el('p', { class: 'hint', 'aria-live': 'polite' });
  const more = el('button', { type: 'button', hidden: true }, 'Next page');
  let token = null;
  let items = [];
  let loads = 0;
  let resets = 0; // a new status filter ends a fill of the old one's pages

  function visible() {
    const f = from.value ? localDay(from.value) : -Infinity;
    const t = to.value ? localDay(to.value, 1) : Infinity;
    const words = search.value.trim().toLowerCase();
    return items.filter((q) => {
      const at = Date.parse(q.created_at);
      const hay = [q.id, q.requester && q.requester.username, q.justification,
        ...(q.resource_ids || [])].join('\n').toLowerCase();
      return at >= f && at < t && (!words || hay.includes(words));
    });
  }

  function draw() {
    const rows = visible();
    out.replaceChildren(rows.length ? table('Requests', ['Request', 'Status', 'Requester', 'Resource',
      'Access level', 'Duration', 'Created'], rows.map((q) => el('tr', {},
      el('td', {}, el('a', { href: `/requests/${encodeURIComponent(q.id)}`, class: 'id' }, q.id)),
      el('td', {}, statusWord(q.status)),
      el('td', {}, q.requester ? q.requester.username : '—'),
      el('td', {}, el('div', { class: 'type' }, q.resource_type),
        (q.resource_ids || []).map((r) => el('div', { class: 'rid' }, r))),
      el('td', {}, q.access_level),
      el('td', {}, duration(q.duration_seconds)),
      el('td', {}, time(q.created_at))))) : el('p', {}, 'No requests match.'));
    summary.textContent = `${rows.length} of ${items.length} loaded request${items.length === 1 ? '' : 's'} shown` +
      (token ? '; more on the next page.' : '.');
    more.hidden = !token;
  }

  async function load(reset) {
    const mine = ++loads;
    if (reset) resets++;
    const page = await get(`/api/v1/requests${query({ status: status.value, limit: LIMIT,
      page_token: reset ? null : token })}`);
    if (mine !== loads) return; // a newer filter superseded this answer
    if (reset) items = [];
    items = items.concat(page.items);
    token = page.next_page_token;
    error.replaceChildren();
    draw();
  }

  const fail = (e) => {
    if (e.status !== 401) error.replaceChildren(alert(message(e)));
  };
  const filtering = () => !!(from.value || to.value || search.value.trim());
  // With a date or text filter set, the rest of the pages too (one load at a time).
  let filling = null;
  async function fill() {
    const started = resets;
    while (started === resets && token && filtering() && items.length < MAX_FILTERED) await load(false);
  }
  const refilter = () => {
    draw();
    // A fill still running may be one of the old status's pages: start again after it.
    if (filling) filling.then(refilter);
    else filling = fill().catch(fail).finally(() => (filling = null));
  };
  status.addEventListener('change', () => load(true).then(refilter).catch(fail));
  for (const i of [from, to, search]) i.addEventListener('input', refilter);
  more.addEventListener('click', () => busy(more, () => load(false)).catch(fail));
  show(main, el('h1', {}, 'History'),
    el('form', { class: 'filters', role: 'search', 'aria-label': 'Filter requests',
      onsubmit: (e) => e.preventDefault() },
      el('div', { class: 'field' }, el('label', { for: 'history-status' }, 'Status'), status),
      el('div', { class: 'field' }, el('label', { for: 'history-from' }, 'From'), from),
      el('div', { class: 'field' }, el('label', { for: 'history-to' }, 'To'), to),
      el('div', { class: 'field' }, el('label', { for: 'history-search' }, 'Search'), search,
        el('span', { class: 'hint', id: 'history-search-hint' }, 'id, requester, resource or justification'))),
    error, out, summary, more);
  await load(true);
}
