// The approver decides with the whole picture (issue 14, "The portal"): long text wraps, the
// pending list and the request page say what is asked, the ticket is a conversation, settings
// speak in durations, the tenant admin's home page. A real lockboxd, Debian's Chromium.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PASSWORD, launch, seed, signIn, snapshot, startServer, totp } from './lib.mjs';

let srv, w, browser;
const WIDTHS = [1280, 390];

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
  const ctx = await browser.newContext({ ...options });
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

// Opens path, waits for `ready` (a locator's function) and asserts nothing scrolls sideways;
// saves the page as NAME-WIDTH.
async function fitsAt(page, path, ready, name) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(srv.url + path);
    await ready(page).first().waitFor();
    await page.waitForTimeout(200); // a list redrawn when its event stream opens
    const [scroll, view] = await page.evaluate(() =>
      [document.scrollingElement.scrollWidth, window.innerWidth]);
    await snapshot(page, `${name}-${width}`);
    assert.ok(scroll <= view, `${path} at ${width} px is ${scroll} px wide`);
  }
}

const word = (n, c) => c.repeat(n);

test('long unbroken text wraps on every page at 1280 and 390 px', () =>
  fresh('long-text', async (page) => {
    const t = w.contoso.tenant;
    const ticket = await w.api(w.contoso.admin, 'POST', `/api/v1/tenants/${t.id}/tickets`, {
      title: `Boot ${word(190, 'T')}`, description: `It fails: ${word(300, 'D')} since noon`, severity: 'critical' });
    const pending = await w.request('contoso', { ticket_id: ticket.id, justification: `Read ${word(1500, 'J')}` });
    const denied = await w.request('contoso', { ticket_id: ticket.id, justification: word(300, 'K') });
    await w.api(w.contoso.admin, 'POST', `/api/v1/requests/${denied.id}/decision`,
      { decision: 'deny', reason: word(1000, 'R') });
    await signIn(page, srv.url, 'contoso-admin');
    const link = (id) => (p) => p.locator(`a[href="/requests/${id}"]`);
    await fitsAt(page, '/', link(pending.id), 'wide-pending');
    await fitsAt(page, `/requests/${pending.id}`, (p) => p.getByTestId('request-status'), 'wide-request');
    await fitsAt(page, `/requests/${denied.id}`, (p) => p.getByText(word(1000, 'R')), 'wide-denied');
    await fitsAt(page, `/tickets/${t.id}/${ticket.id}`, (p) => p.getByText(/since noon/), 'wide-ticket');
    await fitsAt(page, '/history', link(denied.id), 'wide-history');
    await fitsAt(page, '/audit', (p) => p.getByRole('table', { name: 'Audit records' }), 'wide-audit');
  }));

test('the reason box counts what is left and never cuts the text', () =>
  fresh('reason-left', async (page) => {
    const q = await w.request('contoso');
    await signIn(page, srv.url, 'contoso-bob');
    await page.goto(`${srv.url}/requests/${q.id}`);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByText('1000 of 1000 characters left').waitFor();
    await page.getByLabel('Reason').fill('x'.repeat(990));
    await page.getByText('10 of 1000 characters left').waitFor();
    await page.getByLabel('Reason').fill('x'.repeat(1003));
    await page.getByText('3 characters too many: at most 1000').waitFor();
    assert.equal((await page.getByLabel('Reason').inputValue()).length, 1003, 'nothing is cut');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('alert').filter({ hasText: 'The reason is too long' }).waitFor();
    assert.equal((await w.api(w.contoso.admin, 'GET', `/api/v1/requests/${q.id}`)).status, 'pending');
    await page.getByLabel('Reason').fill('x'.repeat(1000));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('request-status').filter({ hasText: 'denied' }).waitFor();
    const got = await w.api(w.contoso.admin, 'GET', `/api/v1/requests/${q.id}`);
    assert.equal(got.decisions[0].reason.length, 1000);
  }, { viewport: { width: 390, height: 844 } }));

test('the pending list shows what a decision needs at a glance', () =>
  fresh('pending-glance', async (page) => {
    const q = await w.request('contoso', { access_level: 'write', justification: 'Copy the boot disk to inspect it',
      resource_ids: ['/subscriptions/s1/vms/vm1', '/subscriptions/s2/disks/d7'], duration_seconds: 7200 });
    await signIn(page, srv.url, 'contoso-bob');
    const list = page.getByRole('table', { name: 'Pending requests' });
    const row = list.getByRole('row').filter({ has: page.locator(`a[href="/requests/${q.id}"]`) });
    await row.waitFor();
    const cells = row.getByRole('cell');
    const first = await cells.first().textContent();
    assert.match(first, /^Copy the boot disk to inspect it/, 'the justification leads, not the id');
    assert.ok(!first.includes(q.id), 'no bare UUID in the first column');
    assert.match(first, /Ticket: contoso: VM vm1 does not boot\s*high/);
    const text = await row.textContent();
    for (const want of ['eve', 'provider staff', 'vm.remote_access', '2 resources',
      '/subscriptions/s1/vms/vm1', '/subscriptions/s2/disks/d7', '2 h'])
      assert.ok(text.includes(want), `the row shows ${want}: ${text}`);
    // the marks themselves, not text that merely contains them ("no MFA" holds "MFA")
    assert.deepEqual(await row.locator('.mark.good').allTextContents(), ['MFA', 'isolated identity']);
    assert.equal(await row.locator('.mark.bad').count(), 0);
    assert.equal(await row.locator('.level[data-level="write"]').textContent(), 'write');
    assert.match(await cells.last().textContent(), /^(3 d 23 h|4 d) left$/);
    // the heading is printed once: the table's caption is for screen readers only
    assert.equal(await page.getByRole('heading', { name: 'Pending requests' }).count(), 1);
    const caption = await list.locator('caption').boundingBox();
    assert.ok(!caption || caption.height <= 1, `the caption does not repeat the heading: ${JSON.stringify(caption)}`);
    await fitsAt(page, '/', () => row, 'pending-glance');
  }));

test('the request page says in one sentence what is asked, and the confirm step what is granted', () =>
  fresh('request-sentence', async (page) => {
    const t = w.contoso.tenant;
    const q = await w.request('contoso', { access_level: 'write', duration_seconds: 7200,
      resource_ids: ['/subscriptions/s1/vms/vm1', '/subscriptions/s2/disks/d7'] });
    await signIn(page, srv.url, 'contoso-bob');
    await page.goto(`${srv.url}/requests/${q.id}`);
    const lead = page.getByTestId('request-sentence');
    assert.equal(await lead.textContent(), 'eve, support engineer, signed in with MFA, with an isolated identity, ' +
      'asks for write access to 2 resources ' +
      '(vm.remote_access) of contoso for 2 hours, for ticket “contoso: VM vm1 does not boot”.');
    const body = await page.locator('main').textContent();
    assert.ok(!body.includes(t.id), 'the tenant by name, never by its id');
    for (const bad of ['Status reason', 'Ended: active', 'Ended'])
      assert.ok(!body.includes(bad), `no "${bad}"`);
    await page.getByRole('button', { name: 'Approve' }).click();
    const says = page.getByTestId('confirm-says');
    assert.equal(await says.textContent(), 'You grant eve write access (vm.remote_access) to these 2 resources ' +
      'for 2 hours, from when access starts.');
    const granted = await page.getByRole('group', { name: 'Approve this request?' }).getByRole('listitem').allTextContents();
    assert.deepEqual(granted, ['/subscriptions/s1/vms/vm1', '/subscriptions/s2/disks/d7']);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('request-status').filter({ hasText: 'approved' }).waitFor();
    assert.match(await page.getByTestId('grant-countdown').textContent(), /^(1 h 59 min|2 h) left$/);
    // the audit trail reads as a timeline: who did what, oldest first
    const trail = await page.getByRole('list', { name: 'Audit trail' }).getByRole('listitem').allTextContents();
    assert.match(trail[0], /eve asked for access/);
    assert.ok(trail.some((x) => /contoso-bob approved/.test(x)), trail.join('\n'));
    // the revoke step restates what ends
    await page.getByRole('button', { name: 'Revoke' }).click();
    assert.match(await page.getByTestId('confirm-says').textContent(),
      /^eve loses write access to these 2 resources now, instead of at .+\.$/);
    await fitsAt(page, `/requests/${q.id}`, (p) => p.getByTestId('grant-countdown'), 'request-active');
  }));

test('an active grant counts down to its end, live', () =>
  fresh('grant-countdown', async (page) => {
    const q = await w.request('contoso', { duration_seconds: 90 });
    await w.api(w.contoso.admin, 'POST', `/api/v1/requests/${q.id}/decision`, { decision: 'approve' });
    await signIn(page, srv.url, 'contoso-bob');
    await page.goto(`${srv.url}/requests/${q.id}`);
    const clock = page.getByTestId('grant-countdown');
    const first = await clock.textContent();
    assert.match(first, /^1 min \d+ s left$/);
    await page.waitForFunction((was) =>
      document.querySelector('[data-testid="grant-countdown"]').textContent !== was, first, { timeout: 3000 });
  }));

test('the ticket is a conversation: the engineer and the customer reply, and it links to its requests', () =>
  fresh('ticket-conversation', async (page) => {
    const t = w.contoso.tenant;
    const ticket = await w.api(w.contoso.admin, 'POST', `/api/v1/tenants/${t.id}/tickets`,
      { title: 'Mailbox export fails', description: 'The export stops at 40%.', severity: 'moderate' });
    const q = await w.request('contoso', { ticket_id: ticket.id, justification: 'Look at the export job' });
    // the engineer (the seed used the current TOTP step: the next one is accepted once)
    await signIn(page, srv.url, 'eve', totp(w.eng.totp_secret, Date.now() / 1000 + 30));
    await page.goto(`${srv.url}/requests/${q.id}`);
    await page.getByRole('link', { name: 'Mailbox export fails' }).first().click();
    await page.getByRole('heading', { name: 'Mailbox export fails' }).waitFor();
    await page.getByLabel('Your reply').fill(`Which export? ${word(300, 'E')}`);
    await page.getByRole('button', { name: 'Send reply' }).click();
    const thread = page.getByRole('list', { name: 'Conversation' });
    await thread.getByRole('listitem').filter({ hasText: 'Which export?' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    // the customer answers on the same ticket
    await signIn(page, srv.url, 'contoso-bob');
    await page.goto(`${srv.url}/tickets/${t.id}/${ticket.id}`);
    const items = thread.getByRole('listitem');
    await items.nth(1).waitFor();
    assert.match(await items.nth(0).textContent(), /^contoso-admin.*The export stops at 40%\.$/);
    assert.match(await items.nth(1).textContent(), /^eve · support engineer.*Which export\?/);
    await page.getByLabel('Your reply').fill('The nightly one.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await items.nth(2).filter({ hasText: 'The nightly one.' }).waitFor();
    assert.match(await items.nth(2).textContent(), /^contoso-bob · you/);
    const got = await w.api(w.contoso.admin, 'GET', `/api/v1/tenants/${t.id}/tickets/${ticket.id}`);
    assert.deepEqual(got.history.filter((h) => h.type === 'comment').map((h) => h.by), ['eve', 'contoso-bob']);
    // it links back to its request
    const linked = page.getByRole('list', { name: 'Access requests for this ticket' });
    await linked.getByRole('link', { name: 'Look at the export job' }).click();
    await page.getByTestId('request-sentence').waitFor();
    assert.equal(page.url(), `${srv.url}/requests/${q.id}`);
    await fitsAt(page, `/tickets/${t.id}/${ticket.id}`, (p) => p.getByText('The nightly one.'), 'ticket-conversation');
  }));

test('settings speak in durations, say what is allowed, and create users', () =>
  fresh('settings-durations', async (page) => {
    const t = w.contoso.tenant;
    const settings = `/api/v1/tenants/${t.id}/settings`;
    await signIn(page, srv.url, 'contoso-admin');
    await page.getByRole('link', { name: 'Settings' }).click();
    const expiry = page.getByLabel('Time to decide');
    await expiry.waitFor();
    assert.equal(await expiry.inputValue(), '4d');
    assert.equal(await page.getByLabel('Default grant').inputValue(), '8h');
    assert.equal(await page.getByLabel('Longest grant').inputValue(), '8h');
    assert.equal(await page.getByLabel('Reminder before the deadline').inputValue(), '1d');
    const save = page.getByRole('button', { name: 'Save settings' });
    await expiry.fill('soon');
    await save.click();
    await page.getByRole('alert').filter({ hasText:
      'Time to decide: write a duration such as 4d, 8h, 30m or 1h30m (between 1s and 3650d).' }).waitFor();
    await expiry.fill('12h');
    await page.getByLabel('Required approvals').fill('0');
    await save.click();
    await page.getByRole('alert').filter({ hasText: 'Required approvals: must be between 1 and 100.' }).waitFor();
    await page.getByLabel('Required approvals').fill('1');
    await page.getByLabel('Default grant').fill('10h');
    await save.click();
    await page.getByRole('alert').filter({ hasText: 'Default grant (10h) cannot be longer than the longest grant (8h).' }).waitFor();
    await page.getByLabel('Default grant').fill('1h30m');
    await save.click();
    await page.getByText('Settings saved.').waitFor();
    let s = await w.api(w.contoso.admin, 'GET', settings);
    assert.equal(s.pending_expiry_seconds, 43200);
    assert.equal(s.default_grant_seconds, 5400);
    assert.equal(await page.getByLabel('Default grant').inputValue(), '1h30m');
    await w.api(w.contoso.admin, 'PATCH', settings, { pending_expiry_seconds: 345600, default_grant_seconds: 28800 });
    // a tenant admin creates a user here, with an authenticator
    await page.getByLabel("New user's username").fill('contoso-zed');
    await page.getByLabel('Display name').fill('Zed Zimmer');
    await page.getByLabel("New user's e-mail").fill('zed@contoso.example');
    await page.getByLabel('Initial password').fill('correct horse battery');
    await page.getByLabel('Enrol an authenticator (TOTP)').check();
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('Give contoso-zed this authenticator secret now: it is shown only once.').waitFor();
    await page.getByText(/User contoso-zed created\./).waitFor();
    const users = page.getByRole('table', { name: 'Users' });
    assert.ok(await users.getByRole('cell', { name: 'Zed Zimmer' }).isVisible());
    const secret = await page.locator('.secret-value').textContent();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, srv.url, 'contoso-zed', totp(secret));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, srv.url, 'contoso-admin');
    await fitsAt(page, '/settings', (p) => p.getByLabel('Time to decide'), 'settings');
  }));

test('the activity log: activity and user typed or suggested, a details column, every item a link', () =>
  fresh('activity-log', async (page) => {
    const q = await w.request('contoso', { justification: 'Check the activity log' });
    await signIn(page, srv.url, 'contoso-admin');
    await page.getByRole('link', { name: 'Activity log', exact: true }).click();
    await page.getByRole('table', { name: 'Audit records' }).waitFor();
    await page.getByLabel('Activity').fill('request.create');
    await page.getByLabel('User').fill('eve');
    await page.getByRole('button', { name: 'Search' }).click();
    const table = page.getByRole('table', { name: 'Audit records' });
    const row = table.getByRole('row').filter({ hasText: 'Check the activity log' });
    await row.waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('table tbody tr')]
      .every((tr) => tr.cells[1].textContent === 'request.create' && tr.cells[2].textContent === 'eve'));
    assert.match(await row.locator('td.details').textContent(), /justification: Check the activity log/);
    // every item is a link; a request's leads to its page
    assert.equal(await table.locator('tbody tr td:nth-child(5):not(:has(a))').count(), 0);
    await fitsAt(page, '/audit?activity=request.create&actor=eve', (p) => p.getByRole('table', { name: 'Audit records' }), 'activity-log');
    assert.equal(await page.getByLabel('Activity').inputValue(), 'request.create');
    await row.getByRole('link', { name: q.id }).click();
    await page.getByTestId('request-sentence').waitFor();
    assert.equal(page.url(), `${srv.url}/requests/${q.id}`);
  }));

test("the tenant admin's home page: what waits, active grants counting down, 30 days by outcome", () =>
  fresh('home', async (page) => {
    const f = w.fabrikam;
    const waiting = await w.request('fabrikam', { justification: 'Waits for you' });
    for (const j of ['Granted one', 'Granted two']) {
      const q = await w.request('fabrikam', { justification: j, access_level: j === 'Granted two' ? 'write' : 'read' });
      await w.api(f.admin, 'POST', `/api/v1/requests/${q.id}/decision`, { decision: 'approve' });
    }
    const denied = await w.request('fabrikam', { justification: 'Denied one' });
    await w.api(f.admin, 'POST', `/api/v1/requests/${denied.id}/decision`, { decision: 'deny' });
    const withdrawn = await w.request('fabrikam', { justification: 'Withdrawn one' });
    await w.api(w.engToken, 'POST', `/api/v1/requests/${withdrawn.id}/cancel`, {});
    await signIn(page, srv.url, 'fabrikam-admin');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const pending = page.getByRole('table', { name: 'Pending requests' });
    await pending.locator(`a[href="/requests/${waiting.id}"]`).waitFor();
    const grants = page.getByRole('table', { name: 'Active grants' });
    const rows = grants.locator('tbody tr');
    assert.equal(await rows.count(), 2);
    for (const text of await rows.allTextContents()) assert.match(text, /(59 min( \d+ s)?|1 h) left$/);
    const legend = await page.getByRole('list', { name: 'Requests by outcome' }).getByRole('listitem').allTextContents();
    assert.deepEqual(legend, ['Granted: 2', 'Denied: 1', 'Expired: 0', 'Withdrawn: 1', 'Waiting: 1']);
    const chart = page.getByTestId('outcome-chart');
    assert.match(await chart.getAttribute('aria-label'), /^5 requests in the last 30 days: 2 granted, 1 denied, 0 expired, 1 withdrawn, 1 waiting$/);
    const today = chart.locator('g[data-day="29"]');
    assert.equal(await today.locator('rect[data-outcome]').count(), 4, "today's bar stacks four outcomes");
    assert.match(await today.locator('title').textContent(), /2 granted, 1 denied, 1 withdrawn, 1 waiting$/);
    await fitsAt(page, '/', (p) => p.getByTestId('outcome-chart'), 'home');
    // an approver who is no admin starts at the pending list
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, srv.url, 'fabrikam-bob');
    await page.getByRole('heading', { level: 1, name: 'Pending requests' }).waitFor();
    assert.equal(await page.getByTestId('outcome-chart').count(), 0);
  }));

test("the requester's display name and marks, in the pending list and the request's sentence", () =>
  fresh('requester-name', async (page) => {
    const frank = await w.api(srv.token, 'POST', '/api/v1/users', { username: 'frank', password: PASSWORD,
      email: 'frank@provider.example', display_name: 'Frank Example', roles: ['support_engineer'],
      isolated_identity: false, totp: true });
    const token = await w.login('frank', totp(frank.totp_secret));
    const q = await w.api(token, 'POST', '/api/v1/requests', { tenant_id: w.contoso.tenant.id,
      ticket_id: w.contoso.ticket.id, resource_type: 'storage.data', resource_ids: ['/subscriptions/s1/st/a'],
      access_level: 'read', justification: 'Frank reads a blob', duration_seconds: 1800 });
    // without an isolated identity the default policy asks for an internal review first
    const lead = await w.api(srv.token, 'POST', '/api/v1/users', { username: 'lena', password: PASSWORD,
      email: 'lena@provider.example', roles: ['internal_approver'] });
    assert.ok(lead.id);
    await w.api(await w.login('lena'), 'POST', `/api/v1/requests/${q.id}/review`, { decision: 'approve' });
    await signIn(page, srv.url, 'contoso-bob');
    const row = page.getByRole('table', { name: 'Pending requests' }).getByRole('row')
      .filter({ has: page.locator(`a[href="/requests/${q.id}"]`) });
    await row.waitFor();
    const who = row.getByRole('cell').nth(1);
    assert.match(await who.textContent(), /^Frank Example \(frank\)provider staffMFAno isolated identity$/);
    await page.goto(`${srv.url}/requests/${q.id}`);
    assert.equal(await page.getByTestId('request-sentence').textContent(),
      'Frank Example (frank), support engineer, signed in with MFA, asks for read access to 1 resource ' +
      '(storage.data) of contoso for 30 minutes, for ticket “contoso: VM vm1 does not boot”.');
    // an owner, who may not read the audit log, sees them too: the server gives them
    const t = w.contoso.tenant;
    const olga = await w.api(w.contoso.admin, 'POST', `/api/v1/tenants/${t.id}/users`,
      { username: 'contoso-olga', password: PASSWORD, email: 'olga@contoso.example' });
    await w.api(w.contoso.admin, 'POST', `/api/v1/tenants/${t.id}/role-assignments`,
      { user_id: olga.id, role: 'owner', scope: '/subscriptions/s1' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, srv.url, 'contoso-olga');
    await page.goto(`${srv.url}/pending`);
    const seen = page.getByRole('table', { name: 'Pending requests' }).getByRole('row')
      .filter({ has: page.locator(`a[href="/requests/${q.id}"]`) });
    await seen.waitFor();
    assert.equal(await page.getByRole('link', { name: 'Activity log', exact: true }).count(), 0);
    assert.deepEqual(await seen.locator('.mark.good').allTextContents(), ['MFA']);
    assert.deepEqual(await seen.locator('.mark.bad').allTextContents(), ['no isolated identity']);
    assert.match(await seen.getByRole('cell').nth(1).textContent(), /^Frank Example \(frank\)/);
    await page.goto(`${srv.url}/requests/${q.id}`);
    assert.match(await page.getByTestId('request-sentence').textContent(),
      /^Frank Example \(frank\), support engineer, signed in with MFA, asks/);
  }));

test('the activity log takes any activity from the address, and any typed user', () =>
  fresh('activity-any', async (page) => {
    // a failed login: an activity few look for
    const r = await fetch(`${srv.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'contoso-carol', password: 'wrong' }) });
    assert.equal(r.status, 401);
    await signIn(page, srv.url, 'contoso-admin');
    await page.goto(`${srv.url}/audit?activity=auth.login_failed`);
    const table = page.getByRole('table', { name: 'Audit records' });
    await table.waitFor();
    assert.equal(await page.getByLabel('Activity').inputValue(), 'auth.login_failed', 'the filter is kept, not "any"');
    const rows = table.locator('tbody tr');
    await rows.filter({ hasText: 'contoso-carol' }).first().waitFor();
    assert.deepEqual([...new Set(await rows.locator('td:nth-child(2)').allTextContents())], ['auth.login_failed']);
    // every activity the core writes is suggested
    const options = (id) => page.locator(`#${id} option`).evaluateAll((os) => os.map((o) => o.value));
    const suggested = await options('audit-activity-list');
    for (const a of ['auth.lockout', 'auth.unlock', 'token.create', 'token.revoke', 'audit.prune', 'audit.stream.configure'])
      assert.ok(suggested.includes(a), `${a} is suggested`);
    // a user in no list (the provider's internal approver who reviewed a request of this tenant) is typed
    assert.ok(!(await options('audit-actor-list')).includes('lena'), 'lena is not suggested');
    await page.getByLabel('Activity').fill('');
    await page.getByLabel('User').fill('lena');
    await page.getByRole('button', { name: 'Search' }).click();
    await rows.filter({ hasText: 'request.review' }).first().waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('table tbody tr')]
      .every((tr) => tr.cells[2] && tr.cells[2].textContent === 'lena'));
  }));

test("a grant's report: shown, 'made when the grant ends' (409), nothing (404), else an error line", () =>
  fresh('report-states', async (page) => {
    const q = await w.request('contoso', { justification: 'Report states' });
    await w.api(w.contoso.admin, 'POST', `/api/v1/requests/${q.id}/decision`, { decision: 'approve' });
    await signIn(page, srv.url, 'contoso-admin');
    const heading = page.getByRole('heading', { name: 'What was done under this grant' });
    const answer = (status, body) => page.route(`**/api/v1/requests/${q.id}/report`, (r) => r.fulfill({ status,
      contentType: status === 200 ? 'application/json' : 'application/problem+json', body: JSON.stringify(body) }));
    await answer(409, { status: 409, code: 'conflict', detail: 'the grant has not ended' });
    await page.goto(`${srv.url}/requests/${q.id}`);
    await page.getByText('The report is made when the grant ends.').waitFor();
    await page.unrouteAll();
    await answer(404, { status: 404, code: 'not_found', detail: 'no such request' });
    await page.goto(`${srv.url}/requests/${q.id}`);
    await page.getByTestId('request-sentence').waitFor();
    assert.equal(await heading.count(), 0, 'a 404 shows nothing');
    await page.unrouteAll();
    await answer(500, { status: 500, code: 'internal', detail: 'the store failed' });
    await page.goto(`${srv.url}/requests/${q.id}`);
    await page.getByRole('alert').filter({ hasText: 'The report cannot be read: the store failed.' }).waitFor();
    assert.equal(await heading.count(), 1);
    await page.unrouteAll();
    await answer(200, { actions: { count: 0, items: [] }, doors: { allowed: 2, denied: 1, items: [] },
      notifications: { count: 1, items: [] }, operator: { username: 'eve' } });
    await page.goto(`${srv.url}/requests/${q.id}`);
    assert.match(await page.getByTestId('report').textContent(),
      /eve recorded 0 actions; doors let them in 2 times and refused 1 time; 1 notification went out\./);
  }));

test('HTML-looking text in a justification and a display name shows as text', () =>
  fresh('html-as-text', async (page) => {
    const html = '<img src=x onerror=alert(1)>';
    const mal = await w.api(srv.token, 'POST', '/api/v1/users', { username: 'mallory', password: PASSWORD,
      email: 'mallory@provider.example', display_name: `Mal ${html}`, roles: ['support_engineer'],
      isolated_identity: true, totp: true });
    const token = await w.login('mallory', totp(mal.totp_secret));
    const q = await w.api(token, 'POST', '/api/v1/requests', { tenant_id: w.contoso.tenant.id,
      ticket_id: w.contoso.ticket.id, resource_type: 'storage.data', resource_ids: ['/subscriptions/s1/st/m'],
      access_level: 'read', justification: `Why ${html} now`, duration_seconds: 1800 });
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      d.dismiss();
    });
    await signIn(page, srv.url, 'contoso-bob');
    const row = page.getByRole('table', { name: 'Pending requests' }).getByRole('row')
      .filter({ has: page.locator(`a[href="/requests/${q.id}"]`) });
    await row.waitFor();
    assert.equal(await row.locator(`a[href="/requests/${q.id}"]`).textContent(), `Why ${html} now`);
    assert.match(await row.getByRole('cell').nth(1).textContent(), /^Mal <img src=x onerror=alert\(1\)> \(mallory\)/);
    assert.equal(await page.locator('main img').count(), 0, 'no element made of the text');
    await page.goto(`${srv.url}/requests/${q.id}`);
    const lead = page.getByTestId('request-sentence');
    assert.match(await lead.textContent(), /^Mal <img src=x onerror=alert\(1\)> \(mallory\), support engineer/);
    await page.getByText(`Why ${html} now`).first().waitFor();
    assert.equal(await page.locator('main img').count(), 0, 'no element made of the text');
    assert.equal(dialogs, 0, 'no script ran');
  }));
