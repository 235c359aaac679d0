// The requests waiting for the user: the customer's pending list (status pending), or the
// provider's internal review queue (pending_internal), each row with what a decision needs:
// the justification and ticket, who asks, the resources, the level, how long, the time left.
// It follows the server's event stream (GET /api/v1/events, with EventSource), so a new request
// appears, and one that expires or that another approver decides disappears, without a reload;
// when the stream cannot be had it falls back to reading the list every 5 seconds.
import { get, query } from './api.js';
import { alert, duration, el, message, show, table, time } from './dom.js';
import { isTenantUser, waitsFor } from './session.js';
import { countdown, level, requesterMarks, requesterName, tenantOf, ticketOf } from './words.js';

const POLL_MS = 5000; // the fallback's refresh
const SETTLE_MS = 150; // events that come together cause one read
const HEADERS = ['Request', 'Requester', 'Resources', 'Access', 'Duration', 'Created', 'Time left'];
// The events that change what waits for someone (the webhook types), and the stream's reset.
const EVENTS = ['request.pending_internal', 'request.pending', 'request.approved', 'request.denied',
  'request.expired', 'request.canceled', 'request.revoked', 'request.completed', 'reset'];

// One request as what a decision needs: why (justification, ticket), who, what, how long.
function row(q, names) {
  const ticket = names.tickets.get(q.ticket_id);
  const tenant = names.tenants.get(q.tenant_id);
  const n = (q.resource_ids || []).length;
  return el('tr', {},
    el('td', { class: 'why' },
      el('a', { href: `/requests/${encodeURIComponent(q.id)}`, class: 'justification' }, q.justification),
      el('div', { class: 'meta' }, 'Ticket: ',
        ticket ? [ticket.title, ' ', el('span', { class: 'severity', 'data-severity': ticket.severity }, ticket.severity)]
          : 'not readable'),
      tenant ? el('div', { class: 'meta' }, `Tenant: ${tenant.name}`) : null),
    el('td', {}, el('div', {}, requesterName(q.requester)), requesterMarks(q.requester)),
    el('td', {}, el('div', { class: 'type' }, q.resource_type),
      el('div', { class: 'meta' }, `${n} resource${n === 1 ? '' : 's'}`),
      (q.resource_ids || []).map((r) => el('div', { class: 'rid' }, r))),
    el('td', {}, level(q.access_level)),
    el('td', {}, duration(q.duration_seconds)),
    el('td', {}, time(q.created_at)),
    el('td', {}, q.expires_at ? countdown(q.expires_at, 'expiring') : '—'));
}

// The tickets (and, for provider staff, the tenants) the requests name, read once each.
async function namesFor(items, user) {
  const tickets = new Map();
  const tenants = new Map();
  await Promise.all([
    ...[...new Map(items.map((q) => [q.ticket_id, q])).values()].map(async (q) =>
      tickets.set(q.ticket_id, await ticketOf(q.tenant_id, q.ticket_id))),
    ...(isTenantUser(user) ? [] : [...new Set(items.map((q) => q.tenant_id))].map(async (id) =>
      tenants.set(id, await tenantOf(id)))),
  ]);
  return { tickets, tenants };
}

// heading: 'h1' for the page of its own, 'h2' inside the tenant admin's home page.
export async function renderPending(main, user, status, heading) {
  const title = status === 'pending' ? 'Pending requests' : 'Review queue';
  const empty = status === 'pending' ? 'No pending requests.' : 'No requests wait for an internal review.';
  const body = el('div', {});
  const error = el('div', { class: 'messages' });
  const count = el('p', { class: 'hint', 'aria-live': 'polite' });
  let items = [];
  let names = { tickets: new Map(), tenants: new Map() };
  let others = 0;
  let lastCount = null;
  let source = null; // the event stream, while it is followed
  let poller = null; // the fallback's timer
  let settle = null;
  let stopped = false;

  async function load() {
    const all = [];
    let token = null;
    do {
      const page = await get(`/api/v1/requests${query({ status, limit: 200, page_token: token })}`);
      all.push(...page.items);
      token = page.next_page_token;
    } while (token);
    // Only what waits for this user: in their scope, not yet decided by them, not their own.
    items = all.filter((q) => waitsFor(user, q))
      .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
    others = all.length - items.length;
    names = await namesFor(items, user);
    render();
    error.replaceChildren();
  }

  function render() {
    // Keep keyboard focus on the same link across a refresh.
    const focused = body.contains(document.activeElement) ? document.activeElement.getAttribute('href') : null;
    body.replaceChildren(items.length ? table(title, HEADERS, items.map((q) => row(q, names)), null, true)
      : el('p', {}, empty));
    if (focused) {
      const again = [...body.querySelectorAll('a[href]')].find((a) => a.getAttribute('href') === focused);
      if (again) again.focus();
    }
    const text = `${items.length} request${items.length === 1 ? '' : 's'} wait${items.length === 1 ? 's' : ''} for you` +
      (others ? `; ${others} more wait${others === 1 ? 's' : ''} for other approvers (see History)` : '') +
      (poller ? '. The list refreshes every 5 seconds.' : '. The list follows changes as they happen.');
    if (text !== lastCount) count.textContent = lastCount = text;
  }

  function stop() {
    stopped = true;
    if (source) source.close();
    source = null;
    clearInterval(poller);
    clearTimeout(settle);
  }

  // One read at a time; a change that comes during a read causes one more after it.
  let loading = null;
  let again = false;
  function refresh() {
    if (stopped || !body.isConnected) return stop(); // the page is gone
    if (loading) {
      again = true;
      return;
    }
    loading = load().catch((e) => {
      if (e.status === 401) return stop(); // app.js shows sign-in
      error.replaceChildren(alert(`The list could not be refreshed: ${message(e)}`));
    }).finally(() => {
      loading = null;
      if (again) {
        again = false;
        refresh();
      }
    });
  }

  function poll() {
    if (stopped || poller) return;
    poller = setInterval(refresh, POLL_MS);
    render();
  }

  function follow() {
    if (typeof EventSource === 'undefined') return poll();
    let opened = false;
    source = new EventSource('/api/v1/events');
    const changed = () => {
      clearTimeout(settle);
      settle = setTimeout(refresh, SETTLE_MS);
    };
    for (const type of EVENTS) source.addEventListener(type, changed);
    source.onopen = () => {
      // what changed between the first read and the stream's start is read once; a
      // reconnection resumes after the last event (Last-Event-ID) and misses nothing
      if (!opened) changed();
      opened = true;
    };
    source.onerror = () => {
      // CONNECTING: the browser reconnects by itself; CLOSED: refused (the session ended, no
      // stream here): read the list every few seconds instead
      if (source && source.readyState === EventSource.CLOSED) {
        source.close();
        source = null;
        poll();
        refresh();
      }
    };
  }

  show(main, el(heading || 'h1', {}, title), error, body, count);
  await load();
  follow();
  return stop;
}
