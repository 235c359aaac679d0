// One access request: every field, its internal review and customer decisions (with the
// quorum), its grant, its notifications, its audit trail and the operator's actions under the
// grant; Approve / Deny / Revoke for whom they are meant. The server decides every right: the
// buttons are a convenience, never the check, and a refusal shows the server's detail.
import { get, post, query } from './api.js';
import { alert, busy, counter, duration, el, message, notice, show, statusWord, table, time } from './dom.js';
import { canApprove, isPlatformAdmin, waitsFor } from './session.js';

const AUDIT_LIMIT = 1000;
const REASON_MAX = 1000; // a decision's reason, in UTF-8 bytes (api/requests.c read_decision)

const text = (v) => (v === null || v === undefined || v === '' ? '—' : v);

function fields(...pairs) {
  return el('dl', { class: 'fields' }, pairs.filter(Boolean).map(([name, value]) =>
    [el('dt', {}, name), el('dd', {}, text(value))]));
}

function detailsText(d) {
  if (d === null || d === undefined) return '';
  if (typeof d !== 'object') return String(d);
  return Object.entries(d).map(([k, v]) =>
    `${k}: ${v !== null && typeof v === 'object' ? JSON.stringify(v) : v}`).join('; ');
}

async function optional(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e.status === 403) return null; // not this user's to read: the section is left out
    throw e;
  }
}

function decisionsSection(q) {
  const ds = q.decisions || [];
  const approvals = ds.filter((d) => d.decision === 'approve').length;
  const n = q.approvals_required;
  return el('section', { 'aria-labelledby': 'h-decisions' },
    el('h2', { id: 'h-decisions' }, 'Customer decisions'),
    q.customer_approval_required
      ? el('p', { class: 'quorum' }, `${approvals} of ${n} approval${n === 1 ? '' : 's'}`)
      : el('p', {}, 'No customer approval was required (lockbox was off for the tenant).'),
    ds.length ? table('Decisions', ['By', 'Decision', 'At', 'Reason'], ds.map((d) => el('tr', {},
      el('td', {}, d.by), el('td', {}, d.decision), el('td', {}, time(d.at)), el('td', {}, text(d.reason)))))
      : null);
}

function reviewSection(q) {
  const r = q.internal_review || {};
  return el('section', { 'aria-labelledby': 'h-review' },
    el('h2', { id: 'h-review' }, 'Internal review'),
    r.required
      ? fields(['Required', 'yes'], ['By', r.by], ['Decision', r.decision || (q.status === 'pending_internal' ? 'waiting' : null)],
        ['At', r.at ? time(r.at) : null], ['Reason', r.reason])
      : el('p', {}, 'No internal review was required.'));
}

function grantSection(q) {
  const g = q.grant;
  if (!g) return null;
  return el('section', { 'aria-labelledby': 'h-grant' },
    el('h2', { id: 'h-grant' }, 'Grant'),
    fields(['Starts', time(g.starts_at)], ['Ends', time(g.ends_at)],
      ['Ended', g.ended_at ? time(g.ended_at) : (q.status === 'approved' ? 'active' : null)]));
}

function notificationsSection(notes) {
  if (!notes) return null;
  return el('section', { 'aria-labelledby': 'h-notes' },
    el('h2', { id: 'h-notes' }, 'Notifications'),
    table('Notifications', ['Event', 'Channel', 'To', 'Status', 'Attempts', 'Delivered'],
      notes.items.map((n) => el('tr', {}, el('td', {}, n.event), el('td', {}, n.channel),
        el('td', {}, n.to), el('td', {}, n.status), el('td', {}, String(n.attempts)),
        el('td', {}, n.delivered_at ? time(n.delivered_at) : '—'))),
      'No notifications.'));
}

function auditSections(audit) {
  if (!audit) return null;
  const records = audit.items;
  const ops = records.filter((r) => r.activity === 'operator.action');
  const trail = records.filter((r) => r.activity !== 'operator.action');
  const d = (r) => r.details || {};
  return [
    el('section', { 'aria-labelledby': 'h-ops' },
      el('h2', { id: 'h-ops' }, 'Operator actions'),
      table('Operator actions', ['Time', 'Operator', 'Action', 'Target', 'Details'],
        ops.map((r) => el('tr', {}, el('td', {}, time(r.time)), el('td', {}, r.actor),
          el('td', {}, text(d(r).action || d(r).activity)), el('td', {}, text(d(r).target)),
          el('td', { class: 'details' }, detailsText(d(r).details)))),
        'None.')),
    el('section', { 'aria-labelledby': 'h-trail' },
      el('h2', { id: 'h-trail' }, 'Audit trail'),
      table('Audit trail', ['Time', 'Activity', 'Actor', 'Decision', 'Details'],
        trail.map((r) => el('tr', {}, el('td', {}, time(r.time)), el('td', {}, r.activity),
          el('td', {}, r.actor), el('td', {}, r.decision || ''),
          el('td', { class: 'details' }, detailsText(r.details)))),
        'No records.'),
      audit.next_page_token
        ? el('p', { class: 'hint' }, `Only the first ${AUDIT_LIMIT} records are shown; the Activity log has all of them.`)
        : null),
  ];
}

// Approve / Deny / Revoke, each after a confirmation step with an optional reason.
function actions(q, user, main) {
  const box = el('div', { class: 'actions' });
  const slot = el('div', {});
  const reviewing = q.status === 'pending_internal' && waitsFor(user, q);
  const deciding = q.status === 'pending' && waitsFor(user, q);
  const revoking = q.status === 'approved' &&
    (canApprove(user, q) || isPlatformAdmin(user) || (q.requester && q.requester.id === user.id));
  const url = (a) => `/api/v1/requests/${encodeURIComponent(q.id)}/${a}`;

  function confirm(opener, label, call) {
    const reason = el('textarea', { id: 'confirm-reason', name: 'reason', rows: 3 });
    const left = counter(reason, REASON_MAX, 'confirm-reason-left');
    const error = el('div', { class: 'messages' });
    const close = () => {
      slot.replaceChildren();
      opener.focus();
    };
    const ok = el('button', { type: 'button', class: label === 'Approve' ? 'primary' : 'danger' }, 'Confirm');
    const panel = el('section', { class: 'confirm', role: 'group', 'aria-labelledby': 'confirm-title' },
      el('h2', { id: 'confirm-title' }, `${label} this request?`),
      el('p', { class: 'hint' }, label === 'Revoke'
        ? 'The grant ends now; the operator loses access at once.'
        : `Your decision is recorded in the audit log with your name${label === 'Approve' && q.approvals_required > 1 ? ' and counts toward the quorum' : ''}.`),
      el('label', { for: 'confirm-reason' }, 'Reason'), reason,
      el('span', { class: 'hint' }, 'optional; recorded with the decision'), left.line,
      el('div', { class: 'actions' }, ok, el('button', { type: 'button', onclick: close }, 'Cancel')),
      error);
    panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') close();
    });
    ok.addEventListener('click', () => busy(ok, async () => {
      if (!left.fits()) {
        error.replaceChildren(alert(`The reason is too long: at most ${REASON_MAX} characters.`));
        return reason.focus();
      }
      try {
        const updated = await call(reason.value.trim() || undefined);
        await render(main, user, updated, true);
      } catch (e) {
        if (e.status === 401) return;
        if (e.status !== 409) return error.replaceChildren(alert(message(e, 'Request not found.')));
        // Someone else acted first (or the deadline passed): show the request as it is now.
        const now = await get(`/api/v1/requests/${encodeURIComponent(q.id)}`).catch(() => null);
        if (!now) return error.replaceChildren(alert(message(e)));
        await render(main, user, now, false, message(e));
      }
    }));
    slot.replaceChildren(panel);
    reason.focus();
  }

  const decide = (kind, decision) => (reason) => post(url(kind), reason ? { decision, reason } : { decision });
  const button = (label, cls, call) => {
    const b = el('button', { type: 'button', class: cls }, label);
    b.addEventListener('click', () => confirm(b, label, call));
    return b;
  };
  if (reviewing || deciding) {
    const kind = reviewing ? 'review' : 'decision';
    box.append(button('Approve', 'primary', decide(kind, 'approve')), button('Deny', 'danger', decide(kind, 'deny')));
  }
  if (revoking)
    box.append(button('Revoke', 'danger', (reason) => post(url('revoke'), reason ? { reason } : {})));
  return box.childElementCount ? [box, slot] : [];
}

async function render(main, user, q, done, problem) {
  const id = encodeURIComponent(q.id);
  const [notes, audit] = await Promise.all([
    optional(`/api/v1/requests/${id}/notifications`),
    optional(`/api/v1/audit${query({ item: q.id, limit: AUDIT_LIMIT })}`),
  ]);
  const status = statusWord(q.status, { 'data-testid': 'request-status', tabindex: -1 });
  show(main,
    el('h1', {}, 'Access request'),
    el('p', { class: 'status-line' }, 'Status: ', status),
    done ? notice(`Recorded. The request is ${q.status} now.`) : null,
    problem ? alert(`Not recorded: ${problem.replace(/\.?$/, '.')} The request is ${q.status} now.`) : null,
    actions(q, user, main),
    fields(
      ['Request', el('code', {}, q.id)],
      ['Tenant', el('code', {}, q.tenant_id)],
      ['Support ticket', el('span', {}, el('a', { href: `/tickets/${encodeURIComponent(q.tenant_id)}/${encodeURIComponent(q.ticket_id)}` },
        'Open support ticket'), ' ', el('code', { class: 'hint' }, q.ticket_id))],
      ['Requester', q.requester && q.requester.username],
      ['Resource type', q.resource_type],
      ['Resource ids', el('ul', { class: 'plain' }, (q.resource_ids || []).map((r) => el('li', {}, el('code', {}, r))))],
      ['Access level', q.access_level],
      ['Duration', duration(q.duration_seconds)],
      ['Justification', el('span', { class: 'pre' }, q.justification)],
      ['Created', time(q.created_at)],
      ['Expires', q.expires_at ? time(q.expires_at) : null],
      ['Customer approval required', q.customer_approval_required ? 'yes' : 'no'],
      ['Approvals required', String(q.approvals_required)],
      ['Status reason', q.status_reason]),
    decisionsSection(q),
    reviewSection(q),
    grantSection(q),
    notificationsSection(notes),
    auditSections(audit));
  if (done) status.focus();
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
