// The browser tests' fixture: a real lockboxd on a temporary data dir, seeded through the API,
// and Debian's Chromium driven by playwright-core (never a downloaded browser).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const PASSWORD = 'correct horse battery';

// RFC 6238 (SHA-1, 6 digits, 30 s) for time t seconds.
export function totp(secret, t = Date.now() / 1000) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const off = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

export async function startServer() {
  const bin = process.env.LOCKBOXD;
  if (!bin) throw new Error('set LOCKBOXD to the lockboxd binary');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockbox-browser-'));
  const log = path.join(dir, 'lockboxd.log');
  const out = fs.openSync(log, 'a');
  const proc = spawn(bin, ['--data', path.join(dir, 'data'), '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', out, out] });
  const deadline = Date.now() + 20000;
  let port = null;
  while (!port && Date.now() < deadline) {
    const m = fs.readFileSync(log, 'utf8').match(/lockboxd listening .* port=(\d+)/);
    if (m) port = Number(m[1]);
    else await new Promise((r) => setTimeout(r, 50));
  }
  if (!port) throw new Error('lockboxd did not start:\n' + fs.readFileSync(log, 'utf8'));
  const url = `http://127.0.0.1:${port}`;
  const token = fs.readFileSync(path.join(dir, 'data', 'bootstrap-token'), 'utf8').trim();
  return {
    url, token, dir,
    async stop() {
      const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
      proc.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`lockboxd exited ${code}`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function client(url) {
  return async function api(token, method, p, body) {
    const r = await fetch(url + p, {
      method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    const data = text ? JSON.parse(text) : null;
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
    return data;
  };
}

// Two tenants, approvers, an engineer with MFA, a ticket.
export async function seed(url, token) {
  const api = client(url);
  const login = async (username, code) =>
    (await api(null, 'POST', '/api/v1/login', { username, password: PASSWORD, ...(code ? { totp_code: code } : {}) })).token;
  const eng = await api(token, 'POST', '/api/v1/users', { username: 'eve', password: PASSWORD,
    email: 'eve@provider.example', roles: ['support_engineer'], isolated_identity: true, totp: true });
  const w = { api, login, eng };
  for (const name of ['contoso', 'fabrikam']) {
    const t = await api(token, 'POST', '/api/v1/tenants', { name, plan: 'developer',
      resource_scopes: name === 'contoso' ? ['/subscriptions/s1', '/subscriptions/s2'] : [`/subscriptions/${name}`],
      admin: { username: `${name}-admin`, password: PASSWORD, email: `admin@${name}.example` } });
    const admin = await login(`${name}-admin`);
    const user = async (username, role) => {
      const u = await api(admin, 'POST', `/api/v1/tenants/${t.id}/users`, { username, password: PASSWORD, email: `${username}@${name}.example` });
      if (role) await api(admin, 'POST', `/api/v1/tenants/${t.id}/role-assignments`, { user_id: u.id, role, scope: '/' });
      return u;
    };
    await user(`${name}-bob`, 'lockbox_approver');
    await user(`${name}-carol`, 'lockbox_approver');
    const ticket = await api(admin, 'POST', `/api/v1/tenants/${t.id}/tickets`,
      { title: `${name}: VM vm1 does not boot`, description: 'Since this morning', severity: 'high' });
    w[name] = { tenant: t, admin, ticket };
  }
  w.engToken = await login('eve', totp(eng.totp_secret));
  w.request = (name, extra) => api(w.engToken, 'POST', '/api/v1/requests', {
    tenant_id: w[name].tenant.id, ticket_id: w[name].ticket.id, resource_type: 'vm.remote_access',
    resource_ids: [`${w[name].tenant.resource_scopes[0]}/vms/vm1`], access_level: 'read',
    justification: 'Read the boot log', duration_seconds: 3600, ...extra });
  return w;
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function signIn(page, url, username, code) {
  await page.goto(url + '/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  if (code) await page.getByLabel('TOTP code').fill(code);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

// Saves the page as the test's artifact (build/browser-artifacts/NAME.png).
export async function snapshot(page, name) {
  const dir = process.env.LB_ARTIFACTS ||
    path.join(path.dirname(new URL(import.meta.url).pathname), '../../build/browser-artifacts');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

// The link to request id (a selector): the pending list names it by its justification.
export function requestLink(id) {
  return `a[href="/requests/${id}"]`;
}
