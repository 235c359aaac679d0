// Small DOM helpers. Text from the API only ever goes into text nodes.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// A time in the browser's zone, with the UTC time on hover.
export function time(rfc3339) {
  if (!rfc3339) return el('span', {}, '—');
  const d = new Date(rfc3339);
  return el('time', { datetime: rfc3339, title: d.toISOString().replace('.000', '') + ' UTC' },
    d.toLocaleString());
}

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

export function alert(text) {
  return el('p', { role: 'alert' }, text);
}

// Replaces main's content; absent parts (null, undefined, false) are left out.
export function show(main, ...nodes) {
  main.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
}
