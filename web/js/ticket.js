// A support ticket as a conversation: why support is involved (the description), the replies
// of the customer and the engineers in order, a reply box for both, and the access requests
// made for it (each links to its request page; the request page links back here).
import { get, post, query } from './api.js';
import { alert, busy, counter, el, message, show, statusWord, time } from './dom.js';
import { level } from './words.js';

const TEXT_MAX = 10000; // a comment, in UTF-8 bytes (api/tickets.c api_ticket_comment)
const PAGES = 5; // the tenant's requests read to find this ticket's (newest first)

// This ticket's requests among the tenant's newest (what this user may see of them).
async function requestsFor(t) {
  const found = [];
  let token = null;
  for (let i = 0; i < PAGES; i++) {
    const page = await get(`/api/v1/requests${query({ tenant_id: t.tenant_id, limit: 200, page_token: token })}`);
    found.push(...page.items.filter((q) => q.ticket_id === t.id));
    token = page.next_page_token;
    if (!token) break;
  }
  return found;
}

function message1(h, who, mine) {
  return el('li', { class: `message${mine ? ' mine' : ''}` },
    el('p', { class: 'meta' }, el('strong', {}, h.by), who ? ` · ${who}` : '', ' · ', time(h.at)),
    el('p', { class: 'pre' }, h.text));
}

export async function renderTicket(main, user, tenantId, ticketId) {
  const path = `/api/v1/tenants/${encodeURIComponent(tenantId)}/tickets/${encodeURIComponent(ticketId)}`;
  let t;
  try {
    t = await get(path);
  } catch (e) {
    if (e.status === 404) return show(main, el('h1', {}, 'Support ticket'), alert('Ticket not found.'));
    throw e;
  }
  const requests = await requestsFor(t).catch(() => []);
  const engineers = new Set(requests.map((q) => q.requester && q.requester.username));

  const who = (by) => (by === user.username ? 'you' : engineers.has(by) ? 'support engineer' : null);
  const thread = el('ol', { class: 'conversation', 'aria-labelledby': 'h-conversation' });
  function draw(ticket) {
    const said = (ticket.history || []).filter((h) => h.type === 'comment');
    thread.replaceChildren(
      message1({ by: ticket.created_by, at: ticket.created_at, text: ticket.description }, who(ticket.created_by),
        ticket.created_by === user.username),
      ...said.map((h) => message1(h, who(h.by), h.by === user.username)));
  }
  draw(t);

  const box = el('textarea', { id: 'reply-text', name: 'text', rows: 4 });
  const left = counter(box, TEXT_MAX, 'reply-left');
  const send = el('button', { type: 'submit', class: 'primary' }, 'Send reply');
  const out = el('div', { class: 'messages' });
  const form = el('form', { class: 'stack reply', 'aria-labelledby': 'h-reply', novalidate: true },
    el('h3', { id: 'h-reply' }, 'Reply'),
    el('label', { for: 'reply-text' }, 'Your reply'), box, left.line,
    el('div', { class: 'buttons' }, send), out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = box.value.trim();
    if (!text) return out.replaceChildren(alert('Write a reply first.'));
    if (!left.fits()) return out.replaceChildren(alert(`The reply is too long: at most ${TEXT_MAX} characters.`));
    busy(send, async () => {
      const got = await post(`${path}/comments`, { text });
      draw(got);
      box.value = '';
      box.dispatchEvent(new Event('input'));
      out.replaceChildren();
      thread.lastElementChild.scrollIntoView({ block: 'nearest' });
    }).catch((e) => {
      if (e.status !== 401) out.replaceChildren(alert(message(e)));
    });
  });

  show(main,
    el('p', { class: 'hint' }, 'Support ticket'),
    el('h1', {}, t.title),
    el('p', { class: 'meta' }, 'Severity ', el('span', { class: 'severity', 'data-severity': t.severity }, t.severity),
      ` · ${t.status} · opened by ${t.created_by} on `, time(t.created_at)),
    el('section', { 'aria-labelledby': 'h-requests' },
      el('h2', { id: 'h-requests' }, 'Access requests for this ticket'),
      requests.length
        ? el('ul', { class: 'plain linked', 'aria-labelledby': 'h-requests' }, requests.map((q) => el('li', {},
          el('a', { href: `/requests/${encodeURIComponent(q.id)}` }, q.justification), ' — ',
          statusWord(q.status), ' · ', level(q.access_level), ` · ${q.requester ? q.requester.username : ''} · `,
          time(q.created_at))))
        : el('p', {}, 'No access requests.')),
    el('section', { 'aria-labelledby': 'h-conversation' },
      el('h2', { id: 'h-conversation' }, 'Conversation'), thread, form));
}
