// A support ticket, linked from a request: why support is involved, and its history.
import { get } from './api.js';
import { alert, el, show, time } from './dom.js';

export async function renderTicket(main, user, tenantId, ticketId) {
  let t;
  try {
    t = await get(`/api/v1/tenants/${encodeURIComponent(tenantId)}/tickets/${encodeURIComponent(ticketId)}`);
  } catch (e) {
    if (e.status === 404) return show(main, el('h1', {}, 'Support ticket'), alert('Ticket not found.'));
    throw e;
  }
  const history = t.history || [];
  show(main,
    el('p', { class: 'hint' }, 'Support ticket'),
    el('h1', {}, t.title),
    el('dl', { class: 'fields' },
      el('dt', {}, 'Ticket'), el('dd', {}, el('code', {}, t.id)),
      el('dt', {}, 'Severity'), el('dd', {}, t.severity),
      el('dt', {}, 'Status'), el('dd', {}, t.status),
      el('dt', {}, 'Created by'), el('dd', {}, t.created_by),
      el('dt', {}, 'Created'), el('dd', {}, time(t.created_at))),
    el('h2', {}, 'Description'),
    el('p', { class: 'pre' }, t.description),
    el('h2', {}, 'History'),
    history.length
      ? el('ol', { class: 'history' }, history.map((h) => el('li', {},
        el('p', { class: 'meta' }, time(h.at), ` — ${h.by} (${h.type})`),
        el('p', { class: 'pre' }, h.text))))
      : el('p', {}, 'No history.'));
}
