// One access request, for whoever may read it (the customer's approvers and admins, provider
// staff): a sentence of what is asked (the requester by name, with the MFA and isolated-identity
// marks the server gives where known), the status in words (a live countdown while it waits or
// its grant runs), the justification and ticket, the resources, level and duration, the
// decisions, the internal review, the grant, the report of what was done under it (shown when
// the server has made it, "made when the grant ends" before, an error line if it cannot be
// read), the notifications (for who may read them) and, for who may read the audit log, the
// operator actions and the
// audit trail as a timeline. Approve / Deny / Revoke (and the internal review) are offered to
// whom they are meant, each confirmed by a step that restates what it does. The server
// decides every right: the buttons are a convenience, never the check, and a refusal shows the
// server's detail.
import { get, post, query } from './api.js';
import { alert, busy, counter, el, message, notice, show, statusWord, table, time } from './dom.js';
import { canApprove, isPlatformAdmin, waitsFor } from './session.js';
import {
  STATUS_WORDS, countdown, level, requesterMarks, requesterName, span, tenantOf, ticketOf, ticketPath,
} from './words.js';

const AUDIT_LIMIT = 1000;
const REASON_MAX = 1000; // a decision's reason, in UTF-8 bytes (api/requests.c read_decision)

const text = (v) => (v === null || v === undefined || v === '' ? '—' : v);
const plural = (n, one, many) => `${n} ${n === 1 ? one : many || `${one}s`}`;

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

// The report of what was done under the grant (GET /api/v1/requests/{id}/report): the report
// (200), { pending: true } before the grant ends (409), null when there is no grant or the
// request is not this user's to see (404), { failed: message } on any other failure.
async function report(q) {
  if (!q.grant) return null;
  try {
    return await get(`/api/v1/requests/${encodeURIComponent(q.id)}/report`);
  } catch (e) {
    if (e.status === 409) return { pending: true };
    if (e.status === 404) return null;
    if (e.status === 401) throw e;
    return { failed: message(e) };
  }
}

// "Eve Example (eve), support engineer, signed in with MFA, asks for write access to 2
// resources of Contoso for 2 hours, for ticket "VM vm1 does not boot"."
function sentence(q, tenant, ticket) {
  const r = q.requester || {};
  const who = [requesterName(r), 'support engineer'];
  if (r.mfa === true) who.push('signed in with MFA');
  if (r.mfa === false) who.push('signed in without MFA');
  if (r.isolated_identity === true) who.push('with an isolated identity');
  const n = (q.resource_ids || []).length;
  const asks = q.status === 'pending' || q.status === 'pending_internal' ? 'asks' : 'asked';
  return el('p', { class: 'lead', 'data-testid': 'request-sentence' },
    `${who.join(', ')}, ${asks} for `, level(q.access_level),
    ` access to ${plural(n, 'resource')} (${q.resource_type}) of ${tenant ? tenant.name : 'this tenant'}`,
    ` for ${span(q.duration_seconds)}, for ticket `,
    el('a', { href: ticketPath(q.tenant_id, q.ticket_id) }, ticket ? `“${ticket.title}”` : 'Open support ticket'),
    '.');
}

// Where the request stands, in words; a live countdown while it waits or its grant runs.
function standing(q) {
  const parts = [statusWord(q.status, { 'data-testid': 'request-status', tabindex: -1 }),
    STATUS_WORDS[q.status] ? `: ${STATUS_WORDS[q.status]}` : ''];
  if ((q.status === 'pending' || q.status === 'pending_internal') && q.expires_at)
    parts.push('. Decide by ', time(q.expires_at), ' (', countdown(q.expires_at, 'expiring now'), ')');
  if (q.status === 'approved' && q.grant)
    parts.push('. Access ends ', time(q.grant.ends_at), ': ',
      el('strong', { 'data-testid': 'grant-countdown' }, countdown(q.grant.ends_at, 'ending now')));
  return el('p', { class: 'status-line' }, parts);
}

function decisionsSection(q) {
  const ds = q.decisions || [];
  const approvals = ds.filter((d) => d.decision === 'approve').length;
  const n = q.approvals_required;
  return el('section', { 'aria-labelledby': 'h-decisions' },
    el('h2', { id: 'h-decisions' }, 'Customer decisions'),
    q.customer_approval_required
      ? el('p', { class: 'quorum' }, `${approvals} of ${n} approval${n === 1 ? '' : 's'}`)
      : el('p', {}, 'No customer approval was needed: lockbox was off for the tenant.'),
    ds.length ? el('ol', { class: 'timeline' }, ds.map((d) => el('li', {},
      el('p', { class: 'meta' }, time(d.at)),
      el('p', {}, el('strong', {}, d.by), d.decision === 'approve' ? ' approved' : ' denied',
        d.reason ? ': ' : '.', d.reason ? el('span', { class: 'pre' }, d.reason) : null))))
      : null);
}

function reviewSection(q) {
  const r = q.internal_review || {};
  let said = 'No internal review was needed.';
  if (r.required && r.decision)
    said = [el('strong', {}, r.by), r.decision === 'approve' ? ' approved it' : ' denied it', ' on ', time(r.at),
      r.reason ? ': ' : '.', r.reason ? el('span', { class: 'pre' }, r.reason) : null];
  else if (r.required)
    said = q.status === 'pending_internal' ? 'Waiting for the provider\'s internal approver.' : 'Required; no decision was given.';
  return el('section', { 'aria-labelledby': 'h-review' },
    el('h2', { id: 'h-review' }, 'Internal review at the provider'), el('p', {}, said));
}

function grantSection(q) {
  const g = q.grant;
  if (!g) return null;
  const early = g.ended_at && Date.parse(g.ended_at) < Date.parse(g.ends_at);
  return el('section', { 'aria-labelledby': 'h-grant' },
    el('h2', { id: 'h-grant' }, 'Access granted'),
    fields(['Access started', time(g.starts_at)],
      [g.ended_at ? 'Access was to end' : 'Access ends', time(g.ends_at)],
      g.ended_at ? [early ? 'Access ended early' : 'Access ended', time(g.ended_at)]
        : ['Time left', countdown(g.ends_at, 'ending now')]));
}

// What was done under the grant (GET /requests/{id}/report), once the grant has ended.
function reportSection(q, r) {
  if (!q.grant) return null;
  const head = el('h2', { id: 'h-report' }, 'What was done under this grant');
  if (!r) return null;
  if (r.pending)
    return el('section', { 'aria-labelledby': 'h-report' }, head,
      el('p', { class: 'hint' }, 'The report is made when the grant ends.'));
  if (r.failed)
    return el('section', { 'aria-labelledby': 'h-report' }, head,
      alert(`The report cannot be read: ${r.failed.replace(/\.?$/, '.')}`));
  const a = r.actions || { count: 0, items: [] };
  const d = r.doors || { allowed: 0, denied: 0, items: [] };
  const n = r.notifications || { count: 0, items: [] };
  return el('section', { 'aria-labelledby': 'h-report', 'data-testid': 'report' }, head,
    el('p', {}, r.operator ? `${r.operator.display_name || r.operator.username} recorded ` : 'The operator recorded ',
      plural(a.count, 'action'), a.count ? [' between ', time(a.first_at), ' and ', time(a.last_at)] : '', '; ',
      `doors let them in ${plural(d.allowed, 'time')} and refused ${plural(d.denied, 'time')}; `,
      `${plural(n.count, 'notification')} went out.`),
    a.items && a.items.length ? table('Actions under the grant', ['Time', 'Who', 'Action', 'Target', 'Details'],
      a.items.map((x) => el('tr', {}, el('td', {}, time(x.time)), el('td', {}, text(x.actor)),
        el('td', {}, text(x.activity)), el('td', {}, text(x.target)),
        el('td', { class: 'details' }, detailsText(x.details))))) : null,
    d.items && d.items.length ? table('Doors', ['Time', 'Door', 'Resource', 'Level', 'Outcome', 'Times'],
      d.items.map((x) => el('tr', {}, el('td', {}, time(x.time)), el('td', {}, text(x.door)),
        el('td', {}, el('code', {}, text(x.resource_id))), el('td', {}, text(x.access_level)),
        el('td', {}, x.allowed ? 'let in' : 'refused'), el('td', {}, String(x.count ?? 1))))) : null,
    n.items && n.items.length ? table('Notifications sent', ['Event', 'Channel', 'Status', 'Delivered'],
      n.items.map((x) => el('tr', {}, el('td', {}, text(x.event)), el('td', {}, text(x.channel)),
        el('td', {}, text(x.status)), el('td', {}, x.delivered_at ? time(x.delivered_at) : '—')))) : null);
}

function notificationsSection(notes) {
  if (!notes) return null;
  return el('section', { 'aria-labelledby': 'h-notes' },
    el('h2', { id: 'h-notes' }, 'Notifications'),
    table('Notifications', ['Event', 'Channel', 'To', 'Status', 'Attempts', 'Delivered'],
      notes.items.map((n) => el('tr', {}, el('td', {}, n.event), el('td', {}, n.channel),
        el('td', {}, n.to), el('td', {}, n.status), el('td', {}, String(n.attempts)),
        el('td', {}, n.delivered_at ? time(n.delivered_at) : '—'))),
      'No notifications.', true));
}

// An audit record as a line of the timeline: who did what, and why.
const DID = {
  'request.create': 'asked for access',
  'request.reject': 'rejected the request (JIT policy)',
  'request.notify': 'notified the approvers',
  'request.approve': 'approved',
  'request.deny': 'denied',
  'request.expire': 'ended the request: no decision in time',
  'request.cancel': 'withdrew the request',
  'request.revoke': 'revoked the access',
  'request.complete': 'ended the access: its time was up',
};

function did(r) {
  const d = r.details || {};
  if (r.activity === 'request.review') return `${r.decision === 'deny' ? 'denied' : 'approved'} it in the internal review`;
  if (r.activity === 'operator.action')
    return `acted under the grant: ${[d.action || d.activity, d.target].filter(Boolean).join(' on ')}`;
  return DID[r.activity] || r.activity;
}

function auditSections(audit) {
  if (!audit) return null;
  const records = audit.items.slice().sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.seq - b.seq);
  const ops = records.filter((r) => r.activity === 'operator.action');
  const d = (r) => r.details || {};
  return [
    el('section', { 'aria-labelledby': 'h-ops' },
      el('h2', { id: 'h-ops' }, 'Operator actions'),
      table('Operator actions', ['Time', 'Operator', 'Action', 'Target', 'Details'],
        ops.map((r) => el('tr', {}, el('td', {}, time(r.time)), el('td', {}, r.actor),
          el('td', {}, text(d(r).action || d(r).activity)), el('td', {}, text(d(r).target)),
          el('td', { class: 'details' }, detailsText(d(r).details)))),
        'None.', true)),
    el('section', { 'aria-labelledby': 'h-trail' },
      el('h2', { id: 'h-trail' }, 'Audit trail'),
      records.length ? el('ol', { class: 'timeline', 'aria-labelledby': 'h-trail' }, records.map((r) => el('li', {},
        el('p', { class: 'meta' }, time(r.time), r.client_ip ? ` from ${r.client_ip}` : ''),
        el('p', {}, el('strong', {}, r.actor === 'system' ? 'Lockbox' : r.actor), ` ${did(r)}`,
          d(r).reason ? ': ' : '', d(r).reason ? el('span', { class: 'pre' }, d(r).reason) : null))))
        : el('p', {}, 'No records.'),
      audit.next_page_token
        ? el('p', { class: 'hint' }, `Only the first ${AUDIT_LIMIT} records are shown; the Activity log has all of them.`)
        : null),
  ];
}

// What a confirmed action does, restated exactly.
function restate(label, q) {
  const who = requesterName(q.requester);
  const ids = q.resource_ids || [];
  const list = el('ul', { class: 'plain' }, ids.map((r) => el('li', {}, el('code', {}, r))));
  if (label === 'Approve') {
    const quorum = q.approvals_required > 1
      ? ` Your approval counts toward the ${q.approvals_required} needed; access starts with the last one.` : '';
    return [el('p', { 'data-testid': 'confirm-says' }, `You grant ${who} `, level(q.access_level),
      ` access (${q.resource_type}) to ${ids.length === 1 ? 'this resource' : `these ${ids.length} resources`}`,
      ` for ${span(q.duration_seconds)}, from when access starts.${quorum}`), list];
  }
  if (label === 'Deny')
    return [el('p', { 'data-testid': 'confirm-says' }, `${who} gets no access; the request ends and cannot be approved later.`)];
  return [el('p', { 'data-testid': 'confirm-says' }, `${who} loses `, level(q.access_level),
    ` access to ${ids.length === 1 ? 'this resource' : `these ${ids.length} resources`} now, `,
    q.grant ? ['instead of at ', time(q.grant.ends_at)] : '', '.'), list];
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
    const ok = el('button', { type: 'button', class: label === 'Approve' ? 'primary' : 'danger' },
      `Confirm: ${label.toLowerCase()}`);
    const panel = el('section', { class: 'confirm', role: 'group', 'aria-labelledby': 'confirm-title' },
      el('h2', { id: 'confirm-title' }, `${label} this request?`),
      restate(label, q),
      el('p', { class: 'hint' }, 'Your decision is recorded in the audit log with your name.'),
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

// The status's reason, named for what it is.
function reasonLabel(status) {
  if (status === 'rejected') return 'Why the policy rejected it';
  if (status === 'pending_internal' || status === 'pending') return 'Note from the policy';
  return 'Reason given';
}

async function render(main, user, asked, done, problem) {
  const id = encodeURIComponent(asked.id);
  const q = asked;
  const [notes, audit, tenant, ticket, made] = await Promise.all([
    optional(`/api/v1/requests/${id}/notifications`),
    optional(`/api/v1/audit${query({ item: q.id, limit: AUDIT_LIMIT })}`),
    tenantOf(q.tenant_id),
    ticketOf(q.tenant_id, q.ticket_id),
    report(q),
  ]);
  const lead = sentence(q, tenant, ticket);
  const line = standing(q);
  show(main,
    el('h1', {}, 'Access request'),
    lead, line,
    done ? notice(`Recorded. The request is ${q.status} now.`) : null,
    problem ? alert(`Not recorded: ${problem.replace(/\.?$/, '.')} The request is ${q.status} now.`) : null,
    actions(q, user, main),
    fields(
      ['Justification', el('span', { class: 'pre' }, q.justification)],
      ['Support ticket', el('span', {}, el('a', { href: ticketPath(q.tenant_id, q.ticket_id) },
        ticket ? ticket.title : 'Open support ticket'),
      ticket ? [' ', el('span', { class: 'severity', 'data-severity': ticket.severity }, ticket.severity)] : null)],
      ['Tenant', tenant ? tenant.name : el('code', {}, q.tenant_id)],
      ['Requested by', el('span', {}, requesterName(q.requester), requesterMarks(q.requester))],
      ['Resource type', q.resource_type],
      ['Resources', el('ul', { class: 'plain' }, (q.resource_ids || []).map((r) => el('li', {}, el('code', {}, r))))],
      ['Access level', level(q.access_level)],
      ['Duration', span(q.duration_seconds)],
      ['Asked', time(q.created_at)],
      q.expires_at ? ['Decide by', time(q.expires_at)] : null,
      q.status_reason ? [reasonLabel(q.status), el('span', { class: 'pre' }, q.status_reason)] : null,
      ['Request id', el('code', {}, q.id)]),
    decisionsSection(q),
    reviewSection(q),
    grantSection(q),
    reportSection(q, made),
    notificationsSection(notes),
    auditSections(audit));
  if (done) line.querySelector('[data-testid="request-status"]').focus();
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
