// The v1 API from the page: JSON in and out, the session cookie sent by the browser (the page
// never sees the session token), and the CSRF token, kept here in memory only, sent on every
// call that is not a GET. Errors are application/problem+json: their `detail` is the message.
let csrf = null;
let onSignedOut = null;

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || `The server answered ${status}.`);
    this.status = status;
    this.code = code;
  }
}

export function setCsrf(token) {
  csrf = token || null;
}

// Called when a call answers 401 (the session ended): app.js shows the sign-in page.
export function whenSignedOut(fn) {
  onSignedOut = fn;
}

// The session calls themselves answer 401 as a result, not as a session that ended.
const SESSION_PATHS = ['/api/v1/login', '/api/v1/me', '/api/v1/logout'];

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let r;
  try {
    r = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'unavailable', 'The server cannot be reached. Check the connection and try again.');
  }
  if (r.status === 204) return null;
  let data = null;
  try {
    data = await r.json();
  } catch (e) {
    data = null;
  }
  if (!r.ok) {
    const err = new ApiError(r.status, data && data.code, data && data.detail);
    if (r.status === 401 && onSignedOut && !SESSION_PATHS.includes(path.split('?')[0])) onSignedOut();
    throw err;
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

// A query string from an object, leaving out empty values.
export function query(params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `?${s}` : '';
}
