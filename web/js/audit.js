// The activity log: the audit search (activity and user typed or picked from suggestions, item,
// date range;
// ?activity=, ?actor= and ?item= in the address fill them), each record with its details and its
// item a link (to the request, the ticket, or this log searched for it), paging, a CSV
// export of every page of the current search, whether the log's hash chains verify (and since
// which checkpoint), and the verifiable export (JSON Lines, for `lockbox audit verify`).
import { get, query } from './api.js';
import { alert, busy, el, message, notice, show, table, time } from './dom.js';

const COLUMNS = ['seq', 'time', 'tenant_id', 'actor', 'actor_type', 'client_ip', 'activity',
  'item', 'decision', 'details'];
// Suggestions only: the filter takes any activity typed or given in the address. Every
// activity the core writes (grep src/ for them when one is added).
const ACTIVITIES = ['request.create', 'request.reject', 'request.review', 'request.notify',
  'request.approve', 'request.deny', 'request.expire', 'request.cancel', 'request.revoke',
  'request.complete', 'operator.action', 'access.denied', 'tenant.create', 'tenant.scopes.update',
  'tenant.settings.update', 'user.create', 'role.assign', 'role.remove', 'ticket.create',
  'ticket.comment', 'auth.login', 'auth.login_failed', 'auth.logout', 'auth.lockout', 'auth.unlock',
  'token.create', 'token.revoke', 'webhook.create', 'webhook.delete', 'audit.prune',
  'audit.stream.configure'];
const HEADERS = ['Time', 'Activity', 'User', 'Actor type', 'Item', 'Decision', 'Details', 'Client IP'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// A cell as RFC 4180 wants it. Audit text comes from anyone (a failed login's username), so a
// cell a spreadsheet would read as a formula (= + - @, tab, CR first) gets a leading apostrophe.
function csvCell(v) {
  let s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(records) {
  return [COLUMNS.join(','), ...records.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(','))]
    .join('\r\n') + '\r\n';
}

// A datetime-local value (the browser's zone) as RFC 3339 UTC.
function utc(value) {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace('.000Z', 'Z');
}

function detailsText(d) {
  if (d === null || d === undefined) return '';
  if (typeof d !== 'object') return String(d);
  return Object.entries(d).map(([k, v]) =>
    `${k}: ${v !== null && typeof v === 'object' ? JSON.stringify(v) : v}`).join('; ');
}

// Where an item leads: a request's page, a ticket's page, else this log searched for it.
function itemHref(r) {
  if (UUID.test(r.item) && /^(request|operator)\./.test(r.activity)) return `/requests/${encodeURIComponent(r.item)}`;
  if (/^ticket\./.test(r.activity) && r.tenant_id)
    return `/tickets/${encodeURIComponent(r.tenant_id)}/${encodeURIComponent(r.item)}`;
  return `/audit${query({ item: r.item })}`;
}

function row(r) {
  return el('tr', {}, el('td', {}, time(r.time)), el('td', { class: 'nowrap' }, r.activity),
    el('td', {}, el('a', { href: `/audit${query({ actor: r.actor })}` }, r.actor)),
    el('td', { class: 'nowrap' }, r.actor_type),
    el('td', {}, r.item ? el('a', { href: itemHref(r), class: 'id' }, r.item) : ''),
    el('td', {}, r.decision || ''), el('td', { class: 'details' }, detailsText(r.details)),
    el('td', { class: 'nowrap' }, r.client_ip || ''));
}

// The users to choose from: the tenant's (a tenant user's log), the scheduler, and whoever
// acts in the records read so far (provider staff in a tenant's log, say).
async function userNames(user) {
  const names = new Set(['system']);
  if (user && user.tenant_id) {
    const list = await get(`/api/v1/tenants/${encodeURIComponent(user.tenant_id)}/users`).catch(() => null);
    for (const u of (list && list.items) || []) names.add(u.username);
  } else {
    const list = await get('/api/v1/users?limit=1000').catch(() => null);
    for (const u of (list && list.items) || []) names.add(u.username);
  }
  return names;
}

// One line per chain: what lockboxd's last verification found.
function chainLine(c, verifiedAt) {
  const name = c.chain === 'provider' ? 'The provider\'s log' : 'The audit log';
  const since = c.last_checkpoint
    ? [`signed up to record ${c.last_checkpoint.chain_index} (`, time(c.last_checkpoint.time), ')']
    : ['no checkpoint signed yet'];
  if (c.whole === null) {
    return el('p', { class: 'hint' }, `${name}: ${c.records} records, `, ...since,
      '; not verified since lockboxd started.');
  }
  if (!c.whole) return alert(`${name} does not verify: ${c.problem}`);
  return el('p', { class: 'hint chain-ok' }, `${name} verifies: ${c.records} records chained, `,
    ...since, '; verified ', time(verifiedAt), '.');
}

// One line per stream to a SIEM: where it goes and how its delivery goes.
function streamLine(s) {
  const name = s.id === 'provider' ? 'The provider\'s SIEM' : 'Your SIEM';
  if (s.attempts > 0) {
    return alert(`${name} (${s.url}) cannot be reached: ${s.last_error}. `
      + `${s.attempts} attempts so far; records wait and are sent in order once it answers.`);
  }
  return el('p', { class: 'hint chain-ok' }, `${name} receives each record as it is written: `,
    el('code', {}, s.url), ` (${s.delivered} sent).`);
}

async function chainStatus(box) {
  const st = await get('/api/v1/audit/status');
  const mine = st.chains.length > 3 ? st.chains.filter((c) => !c.whole) : st.chains;
  box.replaceChildren(...(mine.length ? mine.map((c) => chainLine(c, st.verified_at))
    : [el('p', { class: 'hint chain-ok' }, `Every chain of the audit log verifies (${st.chains.length} chains).`)]),
  ...(st.streams || []).map(streamLine));
}

export async function renderAudit(main, user) {
  const input = (name, type, extra) => el('input', { id: `audit-${name}`, name, type: type || 'text', ...(extra || {}) });
  const asked = new URLSearchParams(location.search);
  const names = await userNames(user);
  for (const k of ['actor']) if (asked.get(k)) names.add(asked.get(k));
  // any value may be typed (a failed login's username is in no list); the lists only suggest
  const suggested = (name, values) => {
    const list = el('datalist', { id: `audit-${name}-list` }, [...values].map((v) => el('option', { value: v })));
    return { input: input(name, 'text', { list: list.id, placeholder: 'any', autocomplete: 'off', spellcheck: 'false' }), list };
  };
  const activity = suggested('activity', ACTIVITIES);
  const actor = suggested('actor', [...names].sort());
  const f = {
    activity: activity.input,
    actor: actor.input,
    item: input('item', 'text', { autocomplete: 'off', spellcheck: 'false' }),
    from: input('from', 'datetime-local', { step: 1 }),
    to: input('to', 'datetime-local', { step: 1 }),
  };
  const out = el('div', {});
  const messages = el('div', { class: 'messages' });
  const more = el('button', { type: 'button', hidden: true }, 'Next page');
  const searchButton = el('button', { type: 'submit', class: 'primary' }, 'Search');
  const exportButton = el('button', { type: 'button' }, 'Export CSV');
  // the signed export, verified offline with `lockbox audit verify FILE --key KEYFILE`
  const verifiable = el('a', { href: '/api/v1/audit/export', download: 'lockbox-audit.jsonl', class: 'button' },
    'Export verifiable log');
  const chains = el('div', { class: 'chains', 'aria-live': 'polite' });
  let current = {}; // the filters of the search shown
  let token = null;
  let body = null;
  let searches = 0; // a newer search supersedes the answer of an older one still in flight

  function filters() {
    const q = {};
    for (const k of ['activity', 'actor', 'item']) q[k] = f[k].value.trim();
    for (const k of ['from', 'to']) {
      if (!f[k].value) continue;
      q[k] = utc(f[k].value);
      if (!q[k]) throw new Error(`${k === 'from' ? 'From' : 'To'}: not a valid date and time.`);
    }
    return q;
  }

  async function search(append) {
    const params = append ? current : filters();
    const mine = ++searches;
    if (!append) more.hidden = true; // its page token belongs to the search being replaced
    const page = await get(`/api/v1/audit${query({ ...params, limit: 50, page_token: append ? token : null })}`);
    if (mine !== searches) return;
    current = params;
    token = page.next_page_token;
    messages.replaceChildren();
    // whoever acts in these records can be chosen too
    for (const r of page.items)
      if (r.actor && ![...actor.list.options].some((o) => o.value === r.actor)) actor.list.append(el('option', { value: r.actor }));
    if (!append || !body) {
      const t = table('Audit records', HEADERS, page.items.map(row), 'No records match.');
      body = t.tBodies[0];
      out.replaceChildren(t);
    } else {
      const t = table('', HEADERS, page.items.map(row));
      body.append(...t.tBodies[0].rows);
    }
    more.hidden = !token;
  }

  async function exportCsv() {
    const all = [];
    let next = null;
    let params = current;
    do {
      const page = await get(`/api/v1/audit${query({ ...params, limit: 1000, page_token: next })}`);
      all.push(...page.items);
      next = page.next_page_token;
    } while (next);
    const url = URL.createObjectURL(new Blob([toCsv(all)], { type: 'text/csv;charset=utf-8' }));
    const a = el('a', { href: url, download: 'lockbox-audit.csv', hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    messages.replaceChildren(notice(`Exported ${all.length} record${all.length === 1 ? '' : 's'} to lockbox-audit.csv.`));
  }

  const field = (label, input) => el('div', { class: 'field' }, el('label', { for: input.id }, label), input);
  const form = el('form', { class: 'filters', role: 'search', 'aria-label': 'Audit filters' },
    field('Activity', f.activity), activity.list, field('User', f.actor), actor.list, field('Item', f.item),
    field('From', f.from), field('To', f.to),
    el('div', { class: 'buttons' }, searchButton, exportButton, verifiable));
  const fail = (e) => {
    if (e.status !== 401) messages.replaceChildren(alert(message(e)));
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(searchButton, () => search(false)).catch(fail);
  });
  more.addEventListener('click', () => busy(more, () => search(true)).catch(fail));
  exportButton.addEventListener('click', () => busy(exportButton, exportCsv).catch(fail));
  show(main, el('h1', {}, 'Activity log'), chains,
    el('p', { class: 'hint' }, 'Times are in your browser\'s zone; From is inclusive, To exclusive.'),
    form, messages, out, more);
  for (const k of ['activity', 'actor', 'item']) if (asked.get(k)) f[k].value = asked.get(k);
  chainStatus(chains).catch(fail);
  await search(false).catch(fail);
}
