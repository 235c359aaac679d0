// The tenant's settings (tenant admins): lockbox on/off, windows, quorum, notification
// addresses and links, webhooks, and who the approvers are. The server checks every change.
import { api, get, post } from './api.js';
import { alert, el, show, time } from './dom.js';
import { isTenantAdmin } from './app.js';

const EVENTS = ['request.pending', 'request.reminder', 'request.approved', 'request.denied',
  'request.expired', 'request.canceled', 'request.revoked', 'request.completed'];
const ROLES = ['tenant_admin', 'lockbox_approver', 'owner', 'auditor', 'member'];

function number(name, value) {
  return el('input', { name, type: 'number', min: 0, value: String(value) });
}

function settingsForm(base, s) {
  const f = {
    lockbox_enabled: el('input', { name: 'lockbox_enabled', type: 'checkbox', checked: s.lockbox_enabled }),
    pending_expiry_seconds: number('pending_expiry_seconds', s.pending_expiry_seconds),
    default_grant_seconds: number('default_grant_seconds', s.default_grant_seconds),
    max_grant_seconds: number('max_grant_seconds', s.max_grant_seconds),
    required_approvals: number('required_approvals', s.required_approvals),
    notification_emails: el('textarea', { name: 'notification_emails', rows: 3 }, s.notification_emails.join('\n')),
    email_links: el('input', { name: 'email_links', type: 'checkbox', checked: s.email_links }),
    reminder_before_seconds: number('reminder_before_seconds', s.reminder_before_seconds),
  };
  const out = el('div', { 'aria-live': 'polite' });
  const form = el('form', { class: 'stack' },
    el('label', { class: 'check' }, f.lockbox_enabled, 'Lockbox enabled'),
    el('label', {}, 'Pending expiry (seconds)', f.pending_expiry_seconds),
    el('label', {}, 'Default grant (seconds)', f.default_grant_seconds),
    el('label', {}, 'Maximum grant (seconds)', f.max_grant_seconds),
    el('label', {}, 'Required approvals', f.required_approvals),
    el('label', {}, 'Notification addresses', f.notification_emails,
      el('span', { class: 'hint' }, 'one per line')),
    el('label', { class: 'check' }, f.email_links, 'Links in e-mail'),
    el('label', {}, 'Reminder before expiry (seconds)', f.reminder_before_seconds),
    el('button', { type: 'submit', class: 'primary' }, 'Save settings'), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const patch = {
      lockbox_enabled: f.lockbox_enabled.checked, email_links: f.email_links.checked,
      notification_emails: f.notification_emails.value.split('\n').map((x) => x.trim()).filter(Boolean),
    };
    for (const k of ['pending_expiry_seconds', 'default_grant_seconds', 'max_grant_seconds',
      'required_approvals', 'reminder_before_seconds'])
      patch[k] = Number(f[k].value);
    try {
      await api('PATCH', `${base}/settings`, patch);
      out.replaceChildren(el('p', { role: 'status' }, 'Settings saved.'));
    } catch (err) {
      out.replaceChildren(alert(err.message));
    }
  });
  return form;
}

async function webhooks(base, redraw) {
  const list = await get(`${base}/webhooks`);
  const url = el('input', { name: 'url', type: 'url' });
  const boxes = EVENTS.map((ev) => el('input', { type: 'checkbox', name: 'event', value: ev }));
  const out = el('div', { 'aria-live': 'polite' });
  const add = el('form', { class: 'stack' }, el('label', {}, 'Webhook URL', url),
    el('fieldset', {}, el('legend', {}, 'Events'),
      boxes.map((b) => el('label', { class: 'check' }, b, b.value))),
    el('button', { type: 'submit' }, 'Add webhook'), out);
  add.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const w = await post(`${base}/webhooks`, { url: url.value,
        events: boxes.filter((b) => b.checked).map((b) => b.value) });
      await redraw();
      document.getElementById('webhook-secret').replaceChildren(el('p', { role: 'status' },
        'Signing secret (shown this once; give it to the receiver): ', el('code', {}, w.secret)));
    } catch (err) {
      out.replaceChildren(alert(err.message));
    }
  });
  return [el('h2', {}, 'Webhooks'), el('div', { id: 'webhook-secret' }),
    list.items.length ? el('table', {}, el('caption', {}, 'Webhooks'),
      el('tbody', {}, list.items.map((w) => el('tr', {}, el('td', {}, w.url),
        el('td', {}, w.events.join(', ')), el('td', {}, time(w.created_at)),
        el('td', {}, el('button', { type: 'button', onclick: async () => {
          await api('DELETE', `${base}/webhooks/${encodeURIComponent(w.id)}`);
          await redraw();
        } }, 'Remove')))))) : el('p', {}, 'No webhooks.'),
    add];
}

async function approvers(base, redraw) {
  const [users, roles] = await Promise.all([get(`${base}/users`), get(`${base}/role-assignments`)]);
  const user = el('select', { name: 'user' }, users.items.map((u) => el('option', { value: u.id }, u.username)));
  const role = el('select', { name: 'role' }, ROLES.map((r) => el('option', { value: r }, r)));
  const scope = el('input', { name: 'scope', value: '/' });
  const out = el('div', { 'aria-live': 'polite' });
  const assign = el('form', { class: 'stack' }, el('label', {}, 'User', user),
    el('label', {}, 'Role', role), el('label', {}, 'Scope', scope),
    el('button', { type: 'submit' }, 'Assign role'), out);
  assign.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post(`${base}/role-assignments`, { user_id: user.value, role: role.value, scope: scope.value || '/' });
      await redraw();
    } catch (err) {
      out.replaceChildren(alert(err.message));
    }
  });
  return [el('h2', {}, 'Approvers and roles'),
    el('table', {}, el('caption', {}, 'Role assignments'),
      el('thead', {}, el('tr', {}, ['User', 'Role', 'Scope', ''].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, roles.items.map((r) => el('tr', {}, el('td', {}, r.username), el('td', {}, r.role),
        el('td', {}, r.scope), el('td', {}, el('button', { type: 'button', onclick: async () => {
          try {
            await api('DELETE', `${base}/role-assignments/${encodeURIComponent(r.id)}`);
            await redraw();
          } catch (err) {
            out.replaceChildren(alert(err.message));
          }
        } }, 'Remove')))))),
    assign];
}

export async function renderSettings(main, user) {
  if (!isTenantAdmin(user))
    return show(main, el('h1', {}, 'Settings'), alert('Only tenant administrators can change settings.'));
  const base = `/api/v1/tenants/${encodeURIComponent(user.tenant_id)}`;
  async function redraw() {
    const s = await get(`${base}/settings`);
    show(main, el('h1', {}, 'Settings'), settingsForm(base, s),
      ...(await webhooks(base, redraw)), ...(await approvers(base, redraw)));
  }
  await redraw();
}
