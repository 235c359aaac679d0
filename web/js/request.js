// One request: every field, its review and decisions, its notifications, its audit trail and
// the operator's actions under its grant; Approve/Deny/Revoke for whom they are (the server
// decides: the buttons are a convenience, never the check).
import { get, post } from './api.js';
import { alert, duration, el, show, time } from './dom.js';
import { isInternalApprover } from './app.js';

function field(name, value) {
  return [el('dt', {}, name), el('dd', {}, value === null || value === undefined ? '—' : value)];
}

function decisions(q) {
  const approvals = q.decisions.filter((d) => d.decision === 'approve').length;
  return [
    el('h2', {}, 'Decisions'),
    el('p', {}, `${approvals} of ${q.approvals_required} approval${q.approvals_required === 1 ? '' : 's'}`),
    q.decisions.length ? el('ul', {}, q.decisions.map((d) => el('li', {},
      `${d.decision} by ${d.by}, `, time(d.at), d.reason ? `: ${d.reason}` : ''))) : null,
  ];
}

function review(q) {
  const r = q.internal_review;
  if (!r || !r.required) return el('p', {}, 'No internal review was needed.');
  if (!r.decision) return el('p', {}, 'Waits for an internal review.');
  return el('p', {}, `Internal review: ${r.decision} by ${r.by}, `, time(r.at),
    r.reason ? `: ${r.reason}` : '');
}

async function optional(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e.status === 403) return null; // not this user's to read: the section is left out
    throw e;
  }
}

function table(caption, headers, rows) {
  return el('table', {}, el('caption', {}, caption),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows));
}

// Approve, Deny or Revoke, after a confirmation with an optional reason.
function actions(q, user, main) {
  const box = el('div', { class: 'actions' });
  const out = el('div', { 'aria-live': 'polite' });
  const reviewing = q.status === 'pending_internal' && isInternalApprover(user);
  const deciding = q.status === 'pending' && user.tenant_id !== null;
  const revoking = q.status === 'approved' && user.tenant_id !== null;
  const url = (a) => `/api/v1/requests/${encodeURIComponent(q.id)}/${a}`;

  function confirm(label, call) {
    const reason = el('textarea', { name: 'reason', rows: 3 });
    const panel = el('div', { class: 'confirm', role: 'group', 'aria-label': `${label} this request` },
      el('p', {}, `${label} request ${q.id}?`),
      el('label', {}, 'Reason', reason),
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: label === 'Approve' ? 'primary' : 'danger', onclick: async () => {
          try {
            const updated = await call(reason.value.trim() || undefined);
            render(main, user, updated);
          } catch (e) {
            out.replaceChildren(alert(e.message));
          }
        } }, 'Confirm'),
        el('button', { type: 'button', onclick: () => panel.remove() }, 'Cancel')));
    box.after(panel);
    reason.focus();
  }

  const decide = (kind, decision) => (reason) => post(url(kind), { decision, reason });
  if (reviewing || deciding) {
    const kind = reviewing ? 'review' : 'decision';
    box.append(
      el('button', { type: 'button', class: 'primary', onclick: () => confirm('Approve', decide(kind, 'approve')) }, 'Approve'),
      el('button', { type: 'button', class: 'danger', onclick: () => confirm('Deny', decide(kind, 'deny')) }, 'Deny'));
  }
  if (revoking)
    box.append(el('button', { type: 'button', class: 'danger', onclick: () => confirm('Revoke', (reason) => post(url('revoke'), { reason })) }, 'Revoke'));
  return [box, out];
}

async function render(main, user, q) {
  const id = encodeURIComponent(q.id);
  const [notes, audit] = await Promise.all([
    optional(`/api/v1/requests/${id}/notifications`),
    optional(`/api/v1/audit?item=${id}&limit=200`),
  ]);
  const records = audit ? audit.items : [];
  const ops = records.filter((r) => r.activity === 'operator.action');
  const trail = records.filter((r) => r.activity !== 'operator.action');
  const g = q.grant;
  show(main,
    el('h1', {}, 'Access request'),
    el('p', {}, 'Status: ', el('span', { class: 'status', 'data-testid': 'request-status' }, q.status)),
    ...actions(q, user, main),
    el('dl', { class: 'fields' },
      field('Request', q.id),
      field('Tenant', q.tenant_id),
      field('Support ticket', el('a', { href: `/tickets/${encodeURIComponent(q.tenant_id)}/${encodeURIComponent(q.ticket_id)}` }, 'Open support ticket')),
      field('Requested by', q.requester.username),
      field('Resource type', q.resource_type),
      field('Resources', q.resource_ids.map((r) => el('div', {}, r))),
      field('Access level', q.access_level),
      field('Duration', duration(q.duration_seconds)),
      field('Justification', q.justification),
      field('Created', time(q.created_at)),
      field('Decide before', q.expires_at ? time(q.expires_at) : null),
      field('Customer approval', q.customer_approval_required ? 'required' : 'not required (lockbox off)'),
      field('Grant', g ? el('span', {}, time(g.starts_at), ' to ', time(g.ends_at),
        g.ended_at ? el('span', {}, ', ended ', time(g.ended_at)) : '') : null),
      field('Reason', q.status_reason)),
    el('h2', {}, 'Internal review'), review(q),
    ...decisions(q),
    notes && notes.items.length ? table('Notifications', ['Event', 'Channel', 'To', 'Status', 'Attempts', 'Delivered'],
      notes.items.map((n) => el('tr', {}, el('td', {}, n.event), el('td', {}, n.channel), el('td', {}, n.to),
        el('td', {}, n.status), el('td', {}, String(n.attempts)), el('td', {}, time(n.delivered_at))))) : null,
    audit ? table('Operator actions', ['Time', 'Operator', 'Action', 'Target'],
      ops.length ? ops.map((r) => el('tr', {}, el('td', {}, time(r.time)), el('td', {}, r.actor),
        el('td', {}, (r.details && r.details.action) || ''), el('td', {}, (r.details && r.details.target) || '')))
        : [el('tr', {}, el('td', { colspan: 4 }, 'None.'))]) : null,
    audit ? table('Audit trail', ['Time', 'Activity', 'Actor', 'Decision'],
      trail.map((r) => el('tr', {}, el('td', {}, time(r.time)), el('td', {}, r.activity),
        el('td', {}, r.actor), el('td', {}, r.decision || '')))) : null);
}

export async function renderRequest(main, user, id) {
  let q;
  try {
    q = await get(`/api/v1/requests/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e.status === 404) return show(main, el('h1', {}, 'Access request'), alert('Request not found.'));
    throw e;
  }
  await render(main, user, q);
}
