// A support ticket, linked from a request: why support is involved, and its history.
import { get } from './api.js';
import { alert, el, show, time } from './dom.js';

export async function renderTicket(main, tenantId, ticketId) {
  let t;
  try {
    t = await get(`/api/v1/tenants/${encodeURIComponent(tenantId)}/tickets/${encodeURIComponent(ticketId)}`);
  } catch (e) {
    if (e.status === 404) return show(main, alert('Ticket not found.'));
    throw e;
  }
  show(main,
    el('h1', {}, t.title),
    el('dl', { class: 'fields' },
      el('dt', {}, 'Ticket'), el('dd', {}, t.id),
      el('dt', {}, 'Severity'), el('dd', {}, t.severity),
      el('dt', {}, 'Status'), el('dd', {}, t.status),
      el('dt', {}, 'Opened'), el('dd', {}, time(t.created_at))),
    el('h2', {}, 'Description'),
    el('p', { class: 'pre' }, t.description),
    el('h2', {}, 'History'),
    el('ol', {}, (t.history || []).map((h) =>
      el('li', {}, time(h.at), ` ${h.by} (${h.type}): `, h.text))));
}
