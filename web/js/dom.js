// Small DOM helpers. Text from the API only ever goes into text nodes and attribute values,
// never into markup.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in e) e.value = String(v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// An SVG element (attributes only; text children become text nodes).
export function svg(tag, attrs, ...children) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// A time in the browser's zone, with the UTC time on hover (the title attribute).
export function time(rfc3339) {
  if (!rfc3339) return el('span', {}, '—');
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return el('span', {}, String(rfc3339));
  return el('time', { datetime: rfc3339, title: `${d.toISOString().replace('.000', '')} (UTC)` },
    d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }));
}

// Seconds as the two largest units: "1 h", "3 d 4 h", "5 min 10 s", "0 s".
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  let s = Math.max(0, Math.round(seconds));
  const parts = [];
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['min', 60]]) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)} ${unit}`);
      s %= n;
    }
  }
  if (!parts.length || (s && parts.length < 2)) parts.push(`${s} s`);
  return parts.slice(0, 2).join(' ');
}

// What to tell the user about a failed call: "not found" for a 404, else the server's detail.
export function message(e, notFound) {
  if (e && e.status === 404) return notFound || 'Not found.';
  return (e && e.message) || String(e);
}

export function alert(text) {
  return el('p', { role: 'alert', class: 'error' }, text);
}

export function notice(text) {
  return el('p', { role: 'status', class: 'ok' }, text);
}

// A request status as a word with a colour; data-status lets the CSS pick it.
export function statusWord(status, attrs) {
  return el('span', { class: 'status', 'data-status': status, ...(attrs || {}) }, status);
}

// A table with a caption and column headers. Each cell carries its column's name in
// data-label, which the narrow (phone) layout shows before the value. quiet: the caption is
// for screen readers only (the page's heading already says it).
export function table(caption, headers, rows, empty, quiet) {
  const body = el('tbody', {}, rows);
  if (!rows.length && empty)
    body.append(el('tr', {}, el('td', { colspan: headers.length }, empty)));
  for (const tr of body.rows)
    [...tr.cells].forEach((td, i) => {
      if (headers[i] && td.colSpan === 1) td.dataset.label = headers[i];
    });
  return el('table', {}, el('caption', { class: quiet ? 'sr-only' : null }, caption),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))), body);
}

// Replaces main's content; absent parts (null, undefined, false) are left out.
export function show(main, ...nodes) {
  main.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
}

// A button that is disabled while its action runs (no double submits).
export async function busy(button, fn) {
  button.disabled = true;
  try {
    return await fn();
  } finally {
    button.disabled = false;
  }
}

// How many bytes a text takes in UTF-8: the server's length limits count those.
export function utf8Length(s) {
  return new TextEncoder().encode(s).length;
}

// The "N of MAX characters left" line under a text box whose server limit is max (UTF-8 bytes,
// as the server counts them; a letter outside ASCII takes 2 to 4). Nothing is cut: past the
// limit the line says by how much, and fits() is false.
export function counter(box, max, id) {
  const line = el('span', { class: 'hint counter', id });
  const fits = () => utf8Length(box.value) <= max;
  const update = () => {
    const left = max - utf8Length(box.value);
    line.textContent = left >= 0 ? `${left} of ${max} characters left`
      : `${-left} character${left === -1 ? '' : 's'} too many: at most ${max}`;
    line.toggleAttribute('data-over', left < 0);
  };
  box.setAttribute('aria-describedby', [box.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
  box.addEventListener('input', update);
  update();
  return { line, fits };
}
