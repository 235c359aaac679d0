// The tenant's settings (tenant admins at "/"): lockbox on or off, the windows, the quorum,
// notification addresses and links, the SIEM the audit log streams to, webhooks, and who the
// approvers are. The server checks
// every change and its detail is shown when it refuses one.
import { del, get, patch, post } from './api.js';
import { alert, busy, el, message, notice, show, table, time } from './dom.js';
import { isTenantAdmin } from './session.js';

const EVENTS = ['request.pending', 'request.reminder', 'request.approved', 'request.denied',
  'request.expired', 'request.canceled', 'request.revoked', 'request.completed'];
const ROLES = ['tenant_admin', 'lockbox_approver', 'owner', 'auditor', 'member'];
const NUMBERS = [
  ['pending_expiry_seconds', 'Pending expiry (seconds)', 1],
  ['default_grant_seconds', 'Default grant (seconds)', 1],
  ['max_grant_seconds', 'Maximum grant (seconds)', 1],
  ['required_approvals', 'Required approvals', 1],
  ['reminder_before_seconds', 'Reminder before expiry (seconds)', 0],
  ['audit_retention_seconds', 'Keep audit records (seconds)', 0],
];

const fail = (box) => (e) => {
  if (e.status !== 401) box.replaceChildren(alert(message(e)));
};

function field(id, label, input, hint) {
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return el('div', { class: 'field' }, el('label', { for: id }, label), input,
    hint ? el('span', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

function check(id, label, input) {
  return el('div', { class: 'check' }, input, el('label', { for: id }, label));
}

// A new webhook's signing secret, which the API shows this once.
function secretBox(hook) {
  return el('div', { class: 'secret', role: 'status', tabindex: -1, id: 'wh-secret' },
    el('p', {}, el('strong', {}, 'Copy this signing secret now: it is shown only once.'),
      ` Receivers of ${hook.url} check each delivery's X-Lockbox-Signature with it.`),
    el('p', {}, el('code', { class: 'secret-value' }, hook.secret)));
}

function settingsForm(base, s) {
  const out = el('div', { class: 'messages' });
  const enabled = el('input', { id: 's-lockbox_enabled', type: 'checkbox', checked: s.lockbox_enabled });
  const links = el('input', { id: 's-email_links', type: 'checkbox', checked: s.email_links });
  const emails = el('textarea', { id: 's-notification_emails', rows: 3, spellcheck: 'false',
    value: (s.notification_emails || []).join('\n') });
  const nums = Object.fromEntries(NUMBERS.map(([k, , min]) =>
    [k, el('input', { id: `s-${k}`, type: 'number', min, step: 1, required: true, value: s[k] })]));
  const hints = {
    pending_expiry_seconds: (v) => `how long approvers have to decide (${human(v)})`,
    default_grant_seconds: (v) => `when a request names no duration (${human(v)})`,
    max_grant_seconds: (v) => `the longest grant a request may ask for (${human(v)})`,
    required_approvals: () => 'distinct approvers needed; one deny ends a request',
    reminder_before_seconds: (v) => `${v === 0 ? 'no reminder' : human(v)}; 0 for none`,
    audit_retention_seconds: (v) => `${v === 0 ? 'every record is kept' : `records older than ${human(v)} are pruned, through a signed checkpoint`}; 0 keeps every record`,
  };
  const siem = el('input', { id: 's-audit_syslog_url', type: 'text', spellcheck: 'false',
    placeholder: 'tls://siem.example.com:6514', value: s.audit_syslog_url || '' });
  const profile = el('select', { id: 's-audit_syslog_profile' },
    [['lockbox', 'Lockbox field names'], ['m365', 'Microsoft 365 field names']].map(([v, label]) =>
      el('option', { value: v, selected: s.audit_syslog_profile === v }, label)));
  const save = el('button', { type: 'submit', class: 'primary' }, 'Save settings');
  const form = el('form', { class: 'stack', 'aria-labelledby': 'h-settings', novalidate: true },
    check('s-lockbox_enabled', 'Lockbox enabled', enabled),
    NUMBERS.slice(0, 4).map(([k, label]) => field(`s-${k}`, label, nums[k], hints[k](s[k]))),
    field('s-notification_emails', 'Notification addresses', emails, 'one e-mail address per line; told of every pending request'),
    check('s-email_links', 'Links in e-mail', links),
    field('s-reminder_before_seconds', 'Reminder before expiry (seconds)', nums.reminder_before_seconds,
      hints.reminder_before_seconds(s.reminder_before_seconds)),
    field('s-audit_syslog_url', 'SIEM syslog collector', siem,
      'tcp://HOST:PORT or tls://HOST:PORT: each record of your audit log is sent there as it is written (RFC 5424); empty for none'),
    field('s-audit_syslog_profile', 'SIEM field names', profile),
    field('s-audit_retention_seconds', 'Keep audit records (seconds)', nums.audit_retention_seconds,
      hints.audit_retention_seconds(s.audit_retention_seconds)),
    el('div', { class: 'buttons' }, save), out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = {
      lockbox_enabled: enabled.checked, email_links: links.checked,
      notification_emails: emails.value.split(/[\n,]/).map((x) => x.trim()).filter(Boolean),
      audit_syslog_url: siem.value.trim() || null, audit_syslog_profile: profile.value,
    };
    for (const [k, label] of NUMBERS) {
      const v = nums[k].value.trim();
      if (!/^\d+$/.test(v)) {
        out.replaceChildren(alert(`${label}: a whole number is needed.`));
        nums[k].focus();
        return;
      }
      body[k] = Number(v);
    }
    busy(save, async () => {
      const got = await patch(`${base}/settings`, body);
      if (got) for (const [k] of NUMBERS) if (k in got) nums[k].value = String(got[k]);
      out.replaceChildren(notice('Settings saved.'));
    }).catch(fail(out));
  });
  return [el('h2', { id: 'h-settings' }, 'Lockbox settings'), form];
}

function human(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s) || s <= 0) return '—';
  const parts = [];
  let r = s;
  for (const [u, n] of [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]])
    if (r >= n) {
      parts.push(`${Math.floor(r / n)} ${u}`);
      r %= n;
    }
  return parts.slice(0, 2).join(' ');
}

function webhooks(base, list, redraw, secret) {
  const out = el('div', { class: 'messages' });
  const url = el('input', { id: 'wh-url', type: 'url', placeholder: 'https://', spellcheck: 'false' });
  const boxes = EVENTS.map((ev, i) => el('input', { id: `wh-ev-${i}`, type: 'checkbox', value: ev,
    checked: ev === 'request.pending' }));
  const add = el('button', { type: 'submit' }, 'Add webhook');
  const form = el('form', { class: 'stack', 'aria-labelledby': 'h-wh-add', novalidate: true },
    el('h3', { id: 'h-wh-add' }, 'Add a webhook'),
    field('wh-url', 'Webhook URL', url),
    el('fieldset', {}, el('legend', {}, 'Events'),
      boxes.map((b, i) => check(`wh-ev-${i}`, b.value, b))),
    el('div', { class: 'buttons' }, add), out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(add, async () => {
      const w = await post(`${base}/webhooks`, { url: url.value.trim(),
        events: boxes.filter((b) => b.checked).map((b) => b.value) });
      // The secret is shown once: it must reach the page even if the refresh after fails.
      await redraw({ secret: w }).catch((e) => {
        out.replaceChildren(secretBox(w), alert(`The webhook was added, but the page could not be refreshed: ${message(e)}`));
      });
    }).catch(fail(out));
  });
  const rowOut = el('div', { class: 'messages' });
  const rows = list.items.map((w) => {
    const remove = el('button', { type: 'button', 'aria-label': `Remove ${w.url}` }, 'Remove');
    remove.addEventListener('click', () => busy(remove, async () => {
      await del(`${base}/webhooks/${encodeURIComponent(w.id)}`);
      await redraw({ focus: 'h-webhooks' });
    }).catch(fail(rowOut)));
    return el('tr', {}, el('td', {}, el('code', {}, w.url)), el('td', {}, w.events.join(', ')),
      el('td', {}, time(w.created_at)), el('td', {}, remove));
  });
  return [el('h2', { id: 'h-webhooks', tabindex: -1 }, 'Webhooks'),
    secret ? secretBox(secret) : null,
    table('Webhooks', ['URL', 'Events', 'Added', ''], rows, 'No webhooks.'), rowOut, form];
}

function approvers(base, users, roles, redraw) {
  const out = el('div', { class: 'messages' });
  const user = el('select', { id: 'ra-user' }, users.items.map((u) => el('option', { value: u.id }, u.username)));
  const role = el('select', { id: 'ra-role' }, ROLES.map((r) => el('option', { value: r }, r)));
  role.value = 'lockbox_approver';
  const scope = el('input', { id: 'ra-scope', value: '/', spellcheck: 'false' });
  const assign = el('button', { type: 'submit' }, 'Assign role');
  const form = el('form', { class: 'stack', 'aria-labelledby': 'h-ra-add' },
    el('h3', { id: 'h-ra-add' }, 'Assign a role'),
    field('ra-user', 'User', user), field('ra-role', 'Role', role),
    field('ra-scope', 'Scope', scope, '"/" for the whole tenant, or a resource-id prefix such as /subscriptions/s1'),
    el('div', { class: 'buttons' }, assign), out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(assign, async () => {
      await post(`${base}/role-assignments`, { user_id: user.value, role: role.value, scope: scope.value.trim() || '/' });
      await redraw({ focus: 'h-roles', message: 'Role assigned.' });
    }).catch(fail(out));
  });
  const rowOut = el('div', { class: 'messages' });
  const rows = roles.items.map((r) => {
    const remove = el('button', { type: 'button', 'aria-label': `Remove ${r.role} at ${r.scope} from ${r.username}` }, 'Remove');
    remove.addEventListener('click', () => busy(remove, async () => {
      await del(`${base}/role-assignments/${encodeURIComponent(r.id)}`);
      await redraw({ focus: 'h-roles', message: 'Role removed.' });
    }).catch(fail(rowOut)));
    return el('tr', {}, el('td', {}, r.username), el('td', {}, r.role), el('td', {}, el('code', {}, r.scope)),
      el('td', {}, time(r.created_at)), el('td', {}, remove));
  });
  return [
    el('h2', { id: 'h-roles', tabindex: -1 }, 'Approvers and roles'),
    el('p', { class: 'hint' }, 'A user may approve when they hold tenant_admin at "/", or lockbox_approver or owner at a scope that covers every resource of the request.'),
    table('Users', ['User', 'Name', 'E-mail', 'Roles'], users.items.map((u) => el('tr', {},
      el('td', {}, u.username), el('td', {}, u.display_name || '—'), el('td', {}, u.email || '—'),
      el('td', {}, (u.roles || []).map((r) => `${r.role} at ${r.scope}`).join(', ') || '—'))), 'No users.'),
    table('Role assignments', ['User', 'Role', 'Scope', 'Assigned', ''], rows, 'No role assignments.'),
    rowOut, form];
}

// The resources the tenant owns: the provider sets them, so they are shown, not edited.
function resources(t) {
  const scopes = t.resource_scopes || [];
  return [el('h2', { id: 'h-resources' }, 'Resources this tenant owns'),
    el('p', { class: 'hint' }, 'Your provider sets these resource-id prefixes. Requests may name only resources under them, and no grant reaches beyond them.'),
    scopes.length
      ? el('ul', { class: 'scopes', 'aria-labelledby': 'h-resources' }, scopes.map((p) => el('li', {}, el('code', {}, p))))
      : alert('This tenant owns no resources yet, so no access can be requested. Ask your provider to assign them.')];
}

export async function renderSettings(main, user) {
  if (!isTenantAdmin(user))
    return show(main, el('h1', {}, 'Settings'), alert('Only tenant administrators can change settings.'));
  const base = `/api/v1/tenants/${encodeURIComponent(user.tenant_id)}`;
  async function redraw(opts) {
    const o = opts || {};
    const [t, s, hooks, users, roles] = await Promise.all([get(base), get(`${base}/settings`),
      get(`${base}/webhooks`), get(`${base}/users`), get(`${base}/role-assignments`)]);
    show(main, el('h1', {}, 'Settings'),
      resources(t),
      settingsForm(base, s),
      webhooks(base, hooks, redraw, o.secret),
      approvers(base, users, roles, redraw));
    if (o.message) {
      const h = document.getElementById(o.focus);
      if (h) h.after(notice(o.message));
    }
    const target = document.getElementById(o.secret ? 'wh-secret' : o.focus);
    if (target) target.focus();
  }
  await redraw();
}
