// The approver's portal in a real browser against a real lockboxd (issue 5's cases, part 1).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { launch, requestLink, seed, signIn, snapshot, startServer, totp } from './lib.mjs';

let srv, w, browser;

before(async () => {
  srv = await startServer();
  w = await seed(srv.url, srv.token);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function fresh(name, fn, options) {
  const ctx = await browser.newContext({ acceptDownloads: true, ...options });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await fn(page);
    assert.deepEqual(errors, [], 'no script errors on the page');
  } finally {
    await snapshot(page, name);
    await ctx.close();
  }
}

test('an approver signs in, approves a pending request and sees it approved', () =>
  fresh('approve', async (page) => {
    const q = await w.request('contoso');
    await signIn(page, srv.url, 'contoso-bob');
    await page.getByRole('table', { name: 'Pending requests' }).locator(requestLink(q.id)).click();
    assert.equal(await page.getByTestId('request-status').textContent(), 'pending');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByLabel('Reason').fill('go ahead');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('request-status').filter({ hasText: 'approved' }).waitFor();
    const got = await w.api(w.contoso.admin, 'GET', `/api/v1/requests/${q.id}`);
    assert.equal(got.status, 'approved');
    assert.equal(got.decisions[0].reason, 'go ahead');
  }));

test('a deny with a reason is recorded with it', () =>
  fresh('deny', async (page) => {
    const q = await w.request('contoso');
    await signIn(page, srv.url, 'contoso-carol');
    await page.goto(`${srv.url}/requests/${q.id}`);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByLabel('Reason').fill('not during the freeze');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('request-status').filter({ hasText: 'denied' }).waitFor();
    const got = await w.api(w.contoso.admin, 'GET', `/api/v1/requests/${q.id}`);
    assert.equal(got.decisions[0].decision, 'deny');
    assert.equal(got.decisions[0].reason, 'not during the freeze');
  }));

test('the ticket opens from its request', () =>
  fresh('ticket', async (page) => {
    const q = await w.request('contoso');
    await signIn(page, srv.url, 'contoso-bob');
    await page.goto(`${srv.url}/requests/${q.id}`);
    await page.getByRole('link', { name: 'contoso: VM vm1 does not boot' }).first().click();
    await page.getByRole('heading', { name: 'contoso: VM vm1 does not boot' }).waitFor();
    assert.ok(await page.getByText('Since this morning').isVisible());
  }));

test("another tenant's request id typed into the URL shows not found", () =>
  fresh('other-tenant', async (page) => {
    const q = await w.request('fabrikam');
    await signIn(page, srv.url, 'contoso-admin');
    await page.goto(`${srv.url}/requests/${q.id}`);
    await page.getByRole('alert').filter({ hasText: 'Request not found.' }).waitFor();
    assert.equal(await page.getByTestId('request-status').count(), 0);
  }));

test('a forged POST without the CSRF token is refused and changes nothing', () =>
  fresh('csrf', async (page) => {
    const q = await w.request('contoso');
    await signIn(page, srv.url, 'contoso-admin');
    const status = await page.evaluate((id) => fetch(`/api/v1/requests/${id}/decision`, {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ decision: 'approve' }) }).then((r) => r.status), q.id);
    assert.equal(status, 403);
    assert.equal((await w.api(w.contoso.admin, 'GET', `/api/v1/requests/${q.id}`)).status, 'pending');
  }));

test('a form posted from another site is refused and changes nothing', () =>
  fresh('csrf-cross-site', async (page) => {
    const q = await w.request('contoso');
    await signIn(page, srv.url, 'contoso-admin');
    // The attacker's page, on a site of its own (served by the browser's router, no network):
    // a form whose text/plain body reads as JSON, submitted at once.
    const action = `${srv.url}/api/v1/requests/${q.id}/decision`;
    await page.route('http://attacker.test/**', (route) => route.fulfill({ contentType: 'text/html',
      body: `<form method="POST" action="${action}" enctype="text/plain">` +
        `<input type="hidden" name='{"decision":"approve","x":"' value='"}'></form>` +
        '<script>document.forms[0].submit()</script>' }));
    const answer = page.waitForResponse((r) => r.url() === action);
    await page.goto('http://attacker.test/');
    const r = await answer;
    assert.ok([401, 403, 415].includes(r.status()), `refused, not ${r.status()}`);
    assert.equal((await w.api(w.contoso.admin, 'GET', `/api/v1/requests/${q.id}`)).status, 'pending');
    const sent = await r.request().allHeaders();
    assert.ok(!/lockbox_session/.test(sent.cookie || ''), 'the SameSite=Strict cookie is not sent cross-site');
  }));

test('an approver who is no admin cannot reach settings; an admin changes them', () =>
  fresh('settings', async (page) => {
    await signIn(page, srv.url, 'contoso-bob');
    assert.equal(await page.getByRole('link', { name: 'Settings' }).count(), 0);
    await page.goto(`${srv.url}/settings`);
    await page.getByText('Only tenant administrators can change settings.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save settings' }).count(), 0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, srv.url, 'contoso-admin');
    await page.getByRole('link', { name: 'Settings' }).click();
    const owned = page.getByRole('list', { name: 'Resources this tenant owns' });
    await owned.getByRole('listitem').first().waitFor();
    assert.deepEqual(await owned.getByRole('listitem').allTextContents(),
      ['/subscriptions/s1', '/subscriptions/s2']);
    assert.equal(await page.getByRole('textbox', { name: /resource/i }).count(), 0,
      'the provider sets the resources: nothing to edit here');
    await page.getByLabel('Required approvals').fill('2');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    const s = await w.api(w.contoso.admin, 'GET', `/api/v1/tenants/${w.contoso.tenant.id}/settings`);
    assert.equal(s.required_approvals, 2);
    // the SIEM the audit log streams to: a URL that names none is refused, with why
    await page.getByLabel('SIEM syslog collector').fill('https://siem.example.com');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/audit_syslog_url: want tcp:\/\/HOST:PORT/).waitFor();
    await page.getByLabel('SIEM syslog collector').fill('tls://siem.example.com:6514');
    await page.getByLabel('SIEM field names').selectOption('m365');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    const t = await w.api(w.contoso.admin, 'GET', `/api/v1/tenants/${w.contoso.tenant.id}/settings`);
    assert.equal(t.audit_syslog_url, 'tls://siem.example.com:6514');
    assert.equal(t.audit_syslog_profile, 'm365');
    await page.getByRole('link', { name: 'Activity log' }).click();
    await page.getByText(/Your SIEM .*tls:\/\/siem\.example\.com:6514/).first().waitFor();
    await w.api(w.contoso.admin, 'PATCH', `/api/v1/tenants/${w.contoso.tenant.id}/settings`,
      { required_approvals: 1, audit_syslog_url: null, audit_syslog_profile: 'lockbox' });
  }));

test('the audit CSV export holds the header and the request', () =>
  fresh('audit-csv', async (page) => {
    const q = await w.request('contoso');
    await signIn(page, srv.url, 'contoso-admin');
    await page.getByRole('link', { name: 'Activity log' }).click();
    await page.getByLabel('Item').fill(q.id);
    await page.getByRole('button', { name: 'Search' }).click();
    // The search's answer, not the unfiltered list the page opened with.
    await page.getByRole('row').filter({ hasText: q.id }).getByRole('cell', { name: 'request.create' }).waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('td')]
      .filter((td) => td.textContent === 'request.create').length === 1);
    const [download] = await Promise.all([page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.equal(download.suggestedFilename(), 'lockbox-audit.csv');
    const lines = fs.readFileSync(await download.path(), 'utf8').trim().split('\r\n');
    assert.equal(lines[0], 'seq,time,tenant_id,actor,actor_type,client_ip,activity,item,decision,details');
    assert.ok(lines.some((l) => l.includes('request.create') && l.includes(q.id)));
    // Audit text comes from anyone: a would-be formula is kept as text for spreadsheets.
    const csv = await page.evaluate(async () => (await import('/assets/js/audit.js'))
      .toCsv([{ actor: '=HYPERLINK("http://x.example")', item: '-2+3', activity: 'auth.login_failed' }]));
    const row = csv.trim().split('\r\n')[1];
    assert.ok(row.includes(`"'=HYPERLINK(""http://x.example"")"`), row);
    assert.ok(row.includes(`'-2+3`), row);
  }));

test('the activity log says whether the chain verifies and offers the verifiable export', () =>
  fresh('audit-chain', async (page) => {
    await w.request('contoso');
    await signIn(page, srv.url, 'contoso-admin');
    await page.getByRole('link', { name: 'Activity log' }).click();
    // lockboxd verifies soon after its start: the line names the records, then that they verify
    await page.getByText(/The audit log (verifies|: \d+ records)/).waitFor();
    const link = page.getByRole('link', { name: 'Export verifiable log' });
    assert.equal(await link.getAttribute('href'), '/api/v1/audit/export');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const lines = fs.readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines[lines.length - 1].type, 'end', 'the export ends with its signed end');
    assert.ok(lines.some((l) => l.type === 'record' && l.activity === 'request.create'));
  }));

test('a TOTP user signs in with a code', () =>
  fresh('totp', async (page) => {
    const t = w.contoso.tenant;
    const u = await w.api(w.contoso.admin, 'POST', `/api/v1/tenants/${t.id}/users`,
      { username: 'contoso-dora', password: 'correct horse battery', email: 'dora@contoso.example', totp: true });
    await page.goto(`${srv.url}/login`);
    await page.getByLabel('Username').fill('contoso-dora');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await signIn(page, srv.url, 'contoso-dora', totp(u.totp_secret));
    assert.ok(await page.getByText('contoso-dora').isVisible());
  }));

test('a request that expires leaves the pending list without a reload', () =>
  fresh('expiry', async (page) => {
    const settings = `/api/v1/tenants/${w.contoso.tenant.id}/settings`;
    await w.api(w.contoso.admin, 'PATCH', settings, { pending_expiry_seconds: 4 });
    try {
      const q = await w.request('contoso');
      await signIn(page, srv.url, 'contoso-bob');
      const link = page.locator(requestLink(q.id));
      await link.waitFor();
      await link.waitFor({ state: 'detached', timeout: 20000 });
      assert.equal((await w.api(w.contoso.admin, 'GET', `/api/v1/requests/${q.id}`)).status, 'expired');
    } finally {
      await w.api(w.contoso.admin, 'PATCH', settings, { pending_expiry_seconds: 345600 });
    }
  }));

test('a request another approver decides leaves the pending list without a reload', () =>
  fresh('decided-elsewhere', async (page) => {
    const q = await w.request('contoso');
    await signIn(page, srv.url, 'contoso-bob');
    const link = page.getByRole('table', { name: 'Pending requests' }).locator(requestLink(q.id));
    await link.waitFor();
    await w.api(w.contoso.admin, 'POST', `/api/v1/requests/${q.id}/decision`, { decision: 'approve' });
    await link.waitFor({ state: 'detached', timeout: 20000 });
  }));

test('a new request appears in the pending list without a reload, told by the event stream', () =>
  fresh('new-by-stream', async (page) => {
    const lists = []; // the reads of the list, and when
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/requests?')) lists.push(Date.now());
    });
    const stream = page.waitForResponse((r) => r.url().endsWith('/api/v1/events'));
    await signIn(page, srv.url, 'contoso-bob');
    const opened = await stream;
    assert.equal(opened.status(), 200);
    assert.match(opened.headers()['content-type'], /^text\/event-stream/);
    await page.getByText('The list follows changes as they happen.').waitFor();
    const q = await w.request('contoso');
    const link = page.getByRole('table', { name: 'Pending requests' }).locator(requestLink(q.id));
    await link.waitFor({ timeout: 20000 });
    // no polling: with the stream open, nothing reads the list until something changes
    const seen = lists.length;
    await page.waitForTimeout(6000);
    assert.equal(lists.length, seen, 'the list is not read again while nothing changes');
    await w.api(w.contoso.admin, 'POST', `/api/v1/requests/${q.id}/decision`, { decision: 'deny' });
    await link.waitFor({ state: 'detached', timeout: 20000 });
  }));

test('without the event stream the pending list falls back to reading every few seconds', () =>
  fresh('new-by-polling', async (page) => {
    await page.route('**/api/v1/events', (route) => route.fulfill({
      status: 503, contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503,
        code: 'unavailable', detail: 'no stream here' }),
    }));
    await signIn(page, srv.url, 'contoso-bob');
    await page.getByText('The list refreshes every 5 seconds.').waitFor();
    const q = await w.request('contoso');
    await page.getByRole('table', { name: 'Pending requests' }).locator(requestLink(q.id))
      .waitFor({ timeout: 20000 });
  }));

test('a quorum of two approvers: pending after one approval, approved after the second', () =>
  fresh('quorum', async (page) => {
    const settings = `/api/v1/tenants/${w.contoso.tenant.id}/settings`;
    await w.api(w.contoso.admin, 'PATCH', settings, { required_approvals: 2 });
    try {
      const q = await w.request('contoso');
      for (const [who, want] of [['contoso-bob', 'pending'], ['contoso-carol', 'approved']]) {
        await signIn(page, srv.url, who);
        await page.goto(`${srv.url}/requests/${q.id}`);
        await page.getByRole('button', { name: 'Approve' }).click();
        await page.getByRole('button', { name: 'Confirm' }).click();
        await page.getByText(want === 'pending' ? '1 of 2 approvals' : '2 of 2 approvals').waitFor();
        assert.equal(await page.getByTestId('request-status').textContent(), want);
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByRole('button', { name: 'Sign in' }).waitFor();
      }
    } finally {
      await w.api(w.contoso.admin, 'PATCH', settings, { required_approvals: 1 });
    }
  }));

test("an approver sees only what waits for them: another scope's request has no Approve", () =>
  fresh('scope', async (page) => {
    const t = w.contoso.tenant;
    const sam = await w.api(w.contoso.admin, 'POST', `/api/v1/tenants/${t.id}/users`,
      { username: 'contoso-sam', password: 'correct horse battery', email: 'sam@contoso.example' });
    await w.api(w.contoso.admin, 'POST', `/api/v1/tenants/${t.id}/role-assignments`,
      { user_id: sam.id, role: 'lockbox_approver', scope: '/subscriptions/s2' });
    const other = await w.request('contoso');
    const mine = await w.request('contoso', { resource_ids: ['/subscriptions/s2/vms/vm9'] });
    await signIn(page, srv.url, 'contoso-sam');
    const list = page.getByRole('table', { name: 'Pending requests' });
    await list.locator(requestLink(mine.id)).waitFor();
    assert.equal(await list.locator(requestLink(other.id)).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Settings' }).count(), 0);
    await page.goto(`${srv.url}/requests/${other.id}`);
    await page.getByTestId('request-status').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Deny' }).count(), 0);
    await page.goto(`${srv.url}/requests/${mine.id}`);
    await page.getByRole('button', { name: 'Approve' }).waitFor();
  }));

test('a decision that lost the race shows the request as it is now', () =>
  fresh('race', async (page) => {
    const q = await w.request('contoso');
    await signIn(page, srv.url, 'contoso-bob');
    await page.goto(`${srv.url}/requests/${q.id}`);
    await page.getByRole('button', { name: 'Approve' }).click();
    await w.api(w.contoso.admin, 'POST', `/api/v1/requests/${q.id}/decision`, { decision: 'deny' });
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('alert').filter({ hasText: 'Not recorded' }).waitFor();
    assert.equal(await page.getByTestId('request-status').textContent(), 'denied');
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0);
  }));

test('at phone width nothing scrolls sideways and table cells name their column', () =>
  fresh('phone', async (page) => {
    const q = await w.request('contoso');
    await signIn(page, srv.url, 'contoso-admin');
    const wide = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.locator(requestLink(q.id)).waitFor();
    assert.ok(await wide() <= 0, 'the pending list fits');
    // read until drawn: the list is redrawn when the event stream opens, and a loaded machine
    // may ask between a redraw and its styles
    let label = '';
    for (let i = 0; i < 50 && label !== '"Request: "'; i++) {
      if (i) await page.waitForTimeout(100);
      label = await page.locator(requestLink(q.id)).evaluate((a) =>
        getComputedStyle(a.closest('td'), '::before').content);
    }
    assert.equal(label, '"Request: "');
    for (const path of ['/audit', '/settings', `/requests/${q.id}`]) {
      await page.goto(srv.url + path);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      assert.ok(await wide() <= 0, `${path} fits a phone's width`);
    }
  }, { viewport: { width: 390, height: 844 } }));

test('History finds a request past the first page by its text, and filters by status and date', () =>
  fresh('history', async (page) => {
    const first = await w.request('fabrikam', { justification: 'the oldest of many' });
    for (let i = 0; i < 55; i++) await w.request('fabrikam');
    await w.api(w.fabrikam.admin, 'POST', `/api/v1/requests/${first.id}/decision`, { decision: 'deny' });
    await signIn(page, srv.url, 'fabrikam-admin');
    await page.getByRole('link', { name: 'History' }).click();
    const table = page.getByRole('table', { name: 'Requests' });
    await table.waitFor();
    assert.equal(await table.getByRole('link', { name: first.id }).count(), 0, 'not on the first page');
    await page.getByLabel('Search').fill('oldest of many');
    await table.getByRole('link', { name: first.id }).waitFor();
    assert.equal(await table.getByRole('row').count(), 2, 'the header and the one match');
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Status').selectOption('denied');
    await page.waitForFunction((id) => {
      const rows = [...document.querySelectorAll('table tbody tr')];
      return rows.length >= 1 && rows.every((r) => r.textContent.includes('denied')) &&
        rows.some((r) => r.textContent.includes(id));
    }, first.id);
    const day = (plus) => new Date(Date.now() + plus * 86400000).toLocaleDateString('en-CA');
    await page.getByLabel('From').fill(day(1));
    await page.getByText('No requests match.').waitFor();
    await page.getByLabel('From').fill(day(0));
    await table.getByRole('link', { name: first.id }).waitFor();
  }));
