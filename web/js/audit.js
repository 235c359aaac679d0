// The activity log: the audit search (activity, user, item, date range), paging, CSV export.
import { get } from './api.js';
import { alert, el, show, time } from './dom.js';

const COLUMNS = ['seq', 'time', 'tenant_id', 'actor', 'actor_type', 'client_ip', 'activity',
  'item', 'decision', 'details'];

function csvCell(v) {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(records) {
  return [COLUMNS.join(','), ...records.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(','))]
    .join('\r\n') + '\r\n';
}

export async function renderAudit(main) {
  const input = (name, type) => el('input', { name, type: type || 'text' });
  const f = { activity: input('activity'), actor: input('actor'), item: input('item'),
    from: input('from', 'datetime-local'), to: input('to', 'datetime-local') };
  const out = el('div', { 'aria-live': 'polite' });
  const more = el('button', { type: 'button', hidden: true }, 'Next page');
  const exportButton = el('button', { type: 'button' }, 'Export CSV');
  let token = null;

  function query(pageToken, limit) {
    const qs = new URLSearchParams({ limit: String(limit) });
    for (const k of ['activity', 'actor', 'item'])
      if (f[k].value.trim()) qs.set(k, f[k].value.trim());
    for (const k of ['from', 'to'])
      if (f[k].value) qs.set(k, new Date(f[k].value).toISOString().replace('.000', ''));
    if (pageToken) qs.set('page_token', pageToken);
    return `/api/v1/audit?${qs}`;
  }

  async function search(append) {
    const page = await get(query(append ? token : null, 50));
    token = page.next_page_token;
    const rows = page.items.map((r) => el('tr', {}, el('td', {}, time(r.time)),
      el('td', {}, r.activity), el('td', {}, r.actor), el('td', {}, r.actor_type),
      el('td', {}, r.item || ''), el('td', {}, r.decision || ''), el('td', {}, r.client_ip || '')));
    let body = out.querySelector('tbody');
    if (!append || !body) {
      body = el('tbody', {});
      out.replaceChildren(el('table', {}, el('caption', {}, 'Audit records'),
        el('thead', {}, el('tr', {}, ['Time', 'Activity', 'User', 'Actor type', 'Item', 'Decision',
          'Client IP'].map((h) => el('th', { scope: 'col' }, h)))), body));
    }
    body.append(...rows);
    if (!page.items.length && !append) out.replaceChildren(el('p', {}, 'No records match.'));
    more.hidden = !token;
  }

  async function exportCsv() {
    const all = [];
    let next = null;
    do {
      const page = await get(query(next, 1000));
      all.push(...page.items);
      next = page.next_page_token;
    } while (next);
    const url = URL.createObjectURL(new Blob([toCsv(all)], { type: 'text/csv' }));
    const a = el('a', { href: url, download: 'lockbox-audit.csv', hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  const form = el('form', { class: 'filters', role: 'search' },
    el('label', {}, 'Activity', f.activity), el('label', {}, 'User', f.actor),
    el('label', {}, 'Item', f.item), el('label', {}, 'From', f.from), el('label', {}, 'To', f.to),
    el('button', { type: 'submit', class: 'primary' }, 'Search'), exportButton);
  const fail = (e) => out.replaceChildren(alert(e.message));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    search(false).catch(fail);
  });
  more.addEventListener('click', () => search(true).catch(fail));
  exportButton.addEventListener('click', () => exportCsv().catch(fail));
  show(main, el('h1', {}, 'Activity log'), form, out, more);
  await search(false);
}
