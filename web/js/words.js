// What a request means, in words a customer reads: the requester, the access level, the
// tenant's and ticket's names (read once per page load and kept), countdowns.
import { get } from './api.js';
import { duration, el } from './dom.js';

// What each status means, said after the status's name ("approved: access is granted").
export const STATUS_WORDS = {
  pending_internal: 'waiting for the provider\'s internal review', pending: 'waiting for a decision',
  approved: 'access is granted', denied: 'no access was granted', rejected: 'the JIT policy refused it',
  expired: 'no decision came in time; no access was granted', canceled: 'the engineer withdrew it',
  revoked: 'access was ended early', completed: 'access has ended',
};

// The access level; write and admin stand out (data-level picks the colour).
export function level(name) {
  return el('span', { class: 'level', 'data-level': name }, name);
}

// "eve" or "Eve Example (eve)", and the marks the JIT policy weighed, as the API's requester
// gives them (display_name, mfa, isolated_identity): a mark only where it is known (null or
// absent, from a request made before the server kept them, says nothing).
export function requesterName(r) {
  if (!r) return '—';
  return r.display_name && r.display_name !== r.username ? `${r.display_name} (${r.username})` : r.username;
}

export function requesterMarks(r) {
  const marks = [el('span', { class: 'mark' }, 'provider staff')];
  if (r && r.mfa === true) marks.push(el('span', { class: 'mark good' }, 'MFA'));
  if (r && r.mfa === false) marks.push(el('span', { class: 'mark bad' }, 'no MFA'));
  if (r && r.isolated_identity === true) marks.push(el('span', { class: 'mark good' }, 'isolated identity'));
  if (r && r.isolated_identity === false) marks.push(el('span', { class: 'mark bad' }, 'no isolated identity'));
  return el('span', { class: 'marks' }, marks);
}

// Seconds as a customer says them: "2 hours", "1 day 4 hours", "30 minutes".
export function span(seconds) {
  let s = Math.max(0, Math.round(seconds));
  const parts = [];
  for (const [unit, n] of [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]]) {
    if (s >= n && parts.length < 2) {
      const k = Math.floor(s / n);
      parts.push(`${k} ${unit}${k === 1 ? '' : 's'}`);
      s %= n;
    } else if (parts.length) break;
  }
  return parts.join(' ') || '0 seconds';
}

// A live "2 h 3 min left" to `at` (RFC 3339); `over` is said once it has passed. One timer
// redraws every countdown on the page each second.
function tick(node) {
  const left = (Date.parse(node.dataset.until) - Date.now()) / 1000;
  const text = left > 0 ? `${left >= 60 ? duration(left) : `${Math.ceil(left)} s`} left` : node.dataset.over;
  if (node.textContent !== text) node.textContent = text;
}

export function countdown(at, over) {
  const node = el('span', { class: 'countdown', 'data-until': at, 'data-over': over || 'ended' });
  tick(node);
  return node;
}

setInterval(() => document.querySelectorAll('.countdown[data-until]').forEach(tick), 1000);

// Tenants and tickets by id, read at most once a minute each (a failed read gives null: the
// page shows the id then).
const KEEP_MS = 60000;
const cache = new Map();
function once(key, path) {
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < KEEP_MS) return hit.value;
  const value = get(path).catch(() => null);
  cache.set(key, { at: Date.now(), value });
  return value;
}

export function tenantOf(id) {
  return once(`t:${id}`, `/api/v1/tenants/${encodeURIComponent(id)}`);
}

export function ticketOf(tenantId, id) {
  return once(`k:${id}`, `/api/v1/tenants/${encodeURIComponent(tenantId)}/tickets/${encodeURIComponent(id)}`);
}

// A ticket read again (after a reply), replacing the kept one.
export function ticketFresh(tenantId, id) {
  cache.delete(`k:${id}`);
  return ticketOf(tenantId, id);
}

export function ticketPath(tenantId, id) {
  return `/tickets/${encodeURIComponent(tenantId)}/${encodeURIComponent(id)}`;
}

// Durations as typed in settings: "4d", "8h", "30m", "1h30m", "45s"; "0" for none.
export function formatSpan(seconds) {
  let s = Number(seconds);
  if (!Number.isFinite(s) || s <= 0) return '0';
  let out = '';
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]])
    if (s >= n) {
      out += `${Math.floor(s / n)}${unit}`;
      s %= n;
    }
  return out;
}

// The seconds a typed duration means, or null when it is not one.
export function parseSpan(text) {
  const t = String(text).trim().toLowerCase().replace(/\s+/g, '');
  if (t === '0') return 0;
  const m = t.match(/^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/);
  if (!t || !m) return null;
  const [d, h, mi, s] = m.slice(1).map((x) => Number(x || 0));
  return d * 86400 + h * 3600 + mi * 60 + s;
}
