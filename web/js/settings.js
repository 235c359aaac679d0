// The tenant's settings (tenant admins at "/"): lockbox on or off, the windows, the quorum,
// notification addresses and links, the SIEM the audit log streams to, webhooks, and who the
// approvers are. The server checks
// every change and its detail is shown when it refuses one.
import { del, get, patch, post } from './api.js';
import { alert, busy, el, message, notice, show, table, time } from './dom.js';
import { isTenantAdmin } from './session.js';
import { formatSpan, parseSpan } from './words.js';

const EVENTS = ['request.pending', 'request.reminder', 'request.approved', 'request.denied',
  'request.expired', 'request.canceled', 'request.revoked', 'request.completed'];
const ROLES = ['tenant_admin', 'lockbox_approver', 'owner', 'auditor', 'member'];
const YEAR = 365 * 86400;
// The numbers a tenant admin sets: the field, its label, whether it is a duration, and the
// range the server takes (api/admin.c read_settings; core/tenant.c).
const NUMBERS = [
  ['pending_expiry_seconds', 'Time to decide', true, 1, 10 * YEAR],
  ['default_grant_seconds', 'Default grant', true, 1, 10 * YEAR],
  ['max_grant_seconds', 'Longest grant', true, 1, 10 * YEAR],
  ['required_approvals', 'Required approvals', false, 1, 100],
  ['reminder_before_seconds', 'Reminder before the deadline', true, 0, 10 * YEAR],
  ['audit_retention_seconds', 'Keep audit records', true, 0, 100 * YEAR],
];

// "between 1s and 3650d", "between 1 and 100".
function range(isSpan, min, max) {
  return isSpan ? `between ${formatSpan(min)} and ${formatSpan(max)}` : `between ${min} and ${max}`;
}

// A field's value read back: [value] or [null, what is wrong].
function readNumber([, label, isSpan, min, max], text) {
  const v = isSpan ? parseSpan(text) : (/^\s*\d+\s*$/.test(text) ? Number(text) : null);
  if (v === null)
    return [null, isSpan ? `${label}: write a duration such as 4d, 8h, 30m or 1h30m (${range(true, min, max)}).`
      : `${label}: write a whole number ${range(false, min, max)}.`];
  if (v < min || v > max) return [null, `${label}: must be ${range(isSpan, min, max)}.`];
  return [v];
}

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
  const nums = Object.fromEntries(NUMBERS.map(([k, , isSpan]) =>
    [k, el('input', { id: `s-${k}`, type: 'text', inputmode: isSpan ? 'text' : 'numeric', spellcheck: 'false',
      autocomplete: 'off', required: true, size: 10, value: isSpan ? formatSpan(s[k]) : String(s[k]) })]));
  const hints = {
    pending_expiry_seconds: () => 'how long approvers have to decide, such as 4d or 12h',
    default_grant_seconds: () => 'when a request names no duration, such as 8h',
    max_grant_seconds: () => 'the longest grant a request may ask for, such as 8h or 4h',
    required_approvals: () => 'distinct approvers needed, between 1 and 100; one deny ends a request',
    reminder_before_seconds: () => 'such as 1d; 0 for no reminder',
    audit_retention_seconds: () => 'such as 365d: older records are pruned through a signed checkpoint; 0 keeps every record',
  };
  const siem = el('input', { id: 's-audit_syslog_url', type: 'text', spellcheck: 'false',
    placeholder: 'tls://siem.example.com:6514', value: s.audit_syslog_url || '' });
  const profile = el('select', { id: 's-audit_syslog_profile' },
    [['lockbox', 'Lockbox field names'], ['m365', 'Microsoft 365 field names']].map(([v, label]) =>
      el('option', { value: v, selected: s.audit_syslog_profile === v }, label)));
  const save = el('button', { type: 'submit', class: 'primary' }, 'Save settings');
  const form = el('form', { class: 'stack', 'aria-labelledby': 'h-settings', novalidate: true },
    check('s-lockbox_enabled', 'Lockbox enabled', enabled),
    NUMBERS.slice(0, 4).map(([k, label]) => field(`s-${k}`, label, nums[k], hints[k]())),
    field('s-notification_emails', 'Notification addresses', emails, 'one e-mail address per line; told of every pending request'),
    check('s-email_links', 'Links in e-mail', links),
    field('s-reminder_before_seconds', NUMBERS[4][1], nums.reminder_before_seconds, hints.reminder_before_seconds()),
    field('s-audit_syslog_url', 'SIEM syslog collector', siem,
      'tcp://HOST:PORT or tls://HOST:PORT: each record of your audit log is sent there as it is written (RFC 5424); empty for none'),
    field('s-audit_syslog_profile', 'SIEM field names', profile),
    field('s-audit_retention_seconds', NUMBERS[5][1], nums.audit_retention_seconds, hints.audit_retention_seconds()),
    el('div', { class: 'buttons' }, save), out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = {
      lockbox_enabled: enabled.checked, email_links: links.checked,
      notification_emails: emails.value.split(/[\n,]/).map((x) => x.trim()).filter(Boolean),
      audit_syslog_url: siem.value.trim() || null, audit_syslog_profile: profile.value,
    };
    for (const n of NUMBERS) {
      const [v, problem] = readNumber(n, nums[n[0]].value);
      if (problem) {
        out.replaceChildren(alert(problem));
        nums[n[0]].focus();
        return;
      }
      body[n[0]] = v;
    }
    if (body.default_grant_seconds > body.max_grant_seconds) {
      out.replaceChildren(alert(`Default grant (${formatSpan(body.default_grant_seconds)}) cannot be longer ` +
        `than the longest grant (${formatSpan(body.max_grant_seconds)}).`));
      nums.default_grant_seconds.focus();
      return;
    }
    busy(save, async () => {
      const got = await patch(`${base}/settings`, body);
      if (got) for (const [k, , isSpan] of NUMBERS) if (k in got) nums[k].value = isSpan ? formatSpan(got[k]) : String(got[k]);
      out.replaceChildren(notice('Settings saved.'));
    }).catch(fail(out));
  });
  return [el('h2', { id: 'h-settings' }, 'Lockbox settings'), form];
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

function approvers(base, users, roles, redraw, created) {
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
    created ? totpBox(created) : null,
    newUser(base, redraw),
    table('Role assignments', ['User', 'Role', 'Scope', 'Assigned', ''], rows, 'No role assignments.'),
    rowOut, form];
}

// A new user of the tenant (POST /tenants/{id}/users); with TOTP, its secret is shown once.
function newUser(base, redraw) {
  const out = el('div', { class: 'messages' });
  const f = {
    username: el('input', { id: 'nu-username', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true }),
    display_name: el('input', { id: 'nu-display_name', autocomplete: 'off' }),
    email: el('input', { id: 'nu-email', type: 'email', autocomplete: 'off', spellcheck: 'false', required: true }),
    password: el('input', { id: 'nu-password', type: 'password', autocomplete: 'new-password', required: true }),
  };
  const totp = el('input', { id: 'nu-totp', type: 'checkbox' });
  const create = el('button', { type: 'submit' }, 'Create user');
  const form = el('form', { class: 'stack', 'aria-labelledby': 'h-nu', novalidate: true },
    el('h3', { id: 'h-nu' }, 'Create a user'),
    field('nu-username', 'New user\'s username', f.username),
    field('nu-display_name', 'Display name', f.display_name, 'optional; shown where a person reads'),
    field('nu-email', 'New user\'s e-mail', f.email),
    field('nu-password', 'Initial password', f.password, 'hand it to the user safely'),
    check('nu-totp', 'Enrol an authenticator (TOTP)', totp),
    el('div', { class: 'buttons' }, create), out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { username: f.username.value.trim(), email: f.email.value.trim(), password: f.password.value };
    if (f.display_name.value.trim()) body.display_name = f.display_name.value.trim();
    if (totp.checked) body.totp = true;
    const missing = [['username', 'Username'], ['email', 'E-mail'], ['password', 'Initial password']]
      .filter(([k]) => !body[k]).map(([, label]) => label);
    if (missing.length) return out.replaceChildren(alert(`${missing.join(', ')}: required.`));
    busy(create, async () => {
      const u = await post(`${base}/users`, body);
      await redraw({ focus: 'h-roles', message: `User ${u.username} created. Assign a role below to make them an approver.`,
        totp: u.totp_secret ? u : null });
    }).catch(fail(out));
  });
  return form;
}

// A new user's TOTP secret, which the API shows this once.
function totpBox(u) {
  return el('div', { class: 'secret', role: 'status', tabindex: -1, id: 'nu-secret' },
    el('p', {}, el('strong', {}, `Give ${u.username} this authenticator secret now: it is shown only once.`)),
    el('p', {}, el('code', { class: 'secret-value' }, u.totp_secret)));
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
      approvers(base, users, roles, redraw, o.totp));
    if (o.message) {
      const h = document.getElementById(o.focus);
      if (h) h.after(notice(o.message));
    }
    const target = document.getElementById(o.secret ? 'wh-secret' : o.totp ? 'nu-secret' : o.focus);
    if (target) target.focus();
  }
  await redraw();
}
