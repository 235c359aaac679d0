// The tenant admin's home page: what waits for a decision (the pending list, live), the
// active grants with a countdown to each one's end, and the last 30 days of requests by outcome
// as a small chart (inline SVG drawn here; no library).
import { get, query } from './api.js';
import { el, show, svg, table } from './dom.js';
import { renderPending } from './pending.js';
import { countdown, level, requesterName } from './words.js';

const DAYS = 30;
const PAGES = 10; // at most 2,000 requests are counted
// Outcomes, in the chart's order (bottom up), with the statuses each one counts.
const OUTCOMES = [
  ['granted', 'Granted', ['approved', 'completed', 'revoked'], '#1a7f37'],
  ['denied', 'Denied', ['denied'], '#b42318'],
  ['expired', 'Expired', ['expired'], '#8c959f'],
  ['withdrawn', 'Withdrawn', ['canceled'], '#bf8700'],
  ['waiting', 'Waiting', ['pending'], '#0b5cad'],
];

async function all(params) {
  const items = [];
  let token = null;
  for (let i = 0; i < PAGES; i++) {
    const page = await get(`/api/v1/requests${query({ ...params, limit: 200, page_token: token })}`);
    items.push(...page.items);
    token = page.next_page_token;
    if (!token) break;
  }
  return items;
}

function grants(items) {
  const rows = items.filter((q) => q.grant).sort((a, b) => Date.parse(a.grant.ends_at) - Date.parse(b.grant.ends_at))
    .map((q) => el('tr', {},
      el('td', {}, el('a', { href: `/requests/${encodeURIComponent(q.id)}` }, q.justification)),
      el('td', {}, requesterName(q.requester)),
      el('td', {}, level(q.access_level), ` ${q.resource_type}, ${(q.resource_ids || []).length} resource${(q.resource_ids || []).length === 1 ? '' : 's'}`),
      el('td', {}, countdown(q.grant.ends_at, 'ending now'))));
  return el('section', { 'aria-labelledby': 'h-grants' },
    el('h2', { id: 'h-grants' }, 'Active grants'),
    table('Active grants', ['Request', 'Engineer', 'Access', 'Ends in'], rows, 'No one has access now.', true));
}

// Day d (0: DAYS-1 days ago, DAYS-1: today) in the browser's zone.
function dayIndex(at, today) {
  const d = new Date(at);
  const day = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  return DAYS - 1 - Math.round((today - day) / 86400000);
}

function chart(items) {
  const now = new Date();
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const counts = Array.from({ length: DAYS }, () => Object.fromEntries(OUTCOMES.map(([k]) => [k, 0])));
  const totals = Object.fromEntries(OUTCOMES.map(([k]) => [k, 0]));
  for (const q of items) {
    const o = OUTCOMES.find(([, , statuses]) => statuses.includes(q.status));
    const i = dayIndex(q.created_at, today);
    if (!o || i < 0 || i >= DAYS) continue;
    counts[i][o[0]]++;
    totals[o[0]]++;
  }
  const most = Math.max(1, ...counts.map((c) => OUTCOMES.reduce((n, [k]) => n + c[k], 0)));
  const W = 12, GAP = 3, H = 80, TOP = 4, BOTTOM = 14;
  const width = DAYS * (W + GAP);
  const bars = counts.map((c, i) => {
    let y = TOP + H;
    const day = new Date(today.getTime() - (DAYS - 1 - i) * 86400000);
    const label = `${day.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}: ` +
      (OUTCOMES.filter(([k]) => c[k]).map(([k, name]) => `${c[k]} ${name.toLowerCase()}`).join(', ') || 'none');
    return svg('g', { 'data-day': i }, svg('title', {}, label),
      svg('rect', { x: i * (W + GAP), y: TOP, width: W, height: H, fill: 'transparent' }),
      OUTCOMES.filter(([k]) => c[k]).map(([k, , , colour]) => {
        const h = (c[k] / most) * H;
        y -= h;
        return svg('rect', { x: i * (W + GAP), y: y.toFixed(1), width: W, height: h.toFixed(1), fill: colour, 'data-outcome': k });
      }));
  });
  const total = OUTCOMES.reduce((n, [k]) => n + totals[k], 0);
  const summary = `${total} request${total === 1 ? '' : 's'} in the last ${DAYS} days: ` +
    OUTCOMES.map(([k, name]) => `${totals[k]} ${name.toLowerCase()}`).join(', ');
  return el('section', { 'aria-labelledby': 'h-chart' },
    el('h2', { id: 'h-chart' }, `The last ${DAYS} days`),
    el('div', { class: 'chart' },
      svg('svg', { viewBox: `0 0 ${width} ${TOP + H + BOTTOM}`, role: 'img', 'aria-label': summary,
        'data-testid': 'outcome-chart', preserveAspectRatio: 'xMinYMin meet' },
      bars,
      svg('line', { x1: 0, x2: width, y1: TOP + H + 0.5, y2: TOP + H + 0.5, stroke: '#d0d7de' }),
      svg('text', { x: 0, y: TOP + H + BOTTOM - 2, 'font-size': 9, fill: '#57606a' }, `${DAYS} days ago`),
      svg('text', { x: width, y: TOP + H + BOTTOM - 2, 'font-size': 9, fill: '#57606a', 'text-anchor': 'end' }, 'today'))),
    el('ul', { class: 'legend', 'aria-label': 'Requests by outcome' }, OUTCOMES.map(([k, name]) =>
      el('li', { 'data-outcome': k }, el('span', { class: 'swatch' }), `${name}: ${totals[k]}`))));
}

export async function renderHome(main, user) {
  const waiting = el('section', { 'aria-label': 'Waiting for a decision' });
  const since = new Date(Date.now() - DAYS * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
  const [active, recent] = await Promise.all([all({ status: 'approved' }), all({ from: since })]);
  show(main, el('h1', {}, 'Overview'), waiting, grants(active), chart(recent));
  return renderPending(waiting, user, 'pending', 'h2');
}
