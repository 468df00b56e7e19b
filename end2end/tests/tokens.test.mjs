// API tokens in the browser: made on the console's API tokens page with a
// role no higher than one's own, the secret shown once, usable as a bearer
// token on /api/v1 (whose reference page is linked), its last use shown,
// and revoked with one click (then 401).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = process.env.TENANTRY_BASE_URL ?? 'http://127.0.0.1:3107';
const PASSWORD = process.env.TENANTRY_ADMIN_PASSWORD;
let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

async function whoami(request, token) {
  const res = await request.get(BASE + '/api/v1/whoami', {
    headers: { Authorization: `Bearer ${token}` },
  });
  return [res.status(), res.status() === 200 ? await res.json() : null];
}

test('a token is made, shown once, used, and revoked from the API tokens page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(BASE + '/login');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.fill('#username', 'admin');
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.getByTestId('whoami').filter({ hasText: 'admin' }).waitFor();

  await page.getByRole('link', { name: 'API tokens' }).click();
  await page.waitForURL(BASE + '/account/tokens');
  await page.fill('#token-name', 'ci-demo-tenants');
  await page.selectOption('#token-role', 'viewer');
  await page.getByRole('button', { name: 'Make token' }).click();
  const secret = (await page.getByTestId('token-secret').textContent()).trim();
  assert.match(secret, /^tnt_[A-Za-z0-9]{43}$/);

  // The token works as a viewer's, whoever made it.
  const [status, me] = await whoami(page.request, secret);
  assert.equal(status, 200);
  assert.equal(me.username, 'admin');
  assert.equal(me.role, 'viewer');

  // Shown once: a fresh load lists the token (its prefix, its last use)
  // but never its secret.
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  const row = page.getByTestId('tokens').locator('tr', { hasText: 'ci-demo-tenants' });
  await row.waitFor();
  assert.ok(!(await page.content()).includes(secret), 'the secret is not shown again');
  assert.ok((await row.textContent()).includes(secret.slice(0, 10)), 'its prefix is shown');
  assert.ok(!(await row.textContent()).includes('never'), 'its last use is shown');

  await row.getByRole('button', { name: 'Revoke ci-demo-tenants' }).click();
  await row.filter({ hasText: 'revoked' }).waitFor();
  const [after] = await whoami(page.request, secret);
  assert.equal(after, 401);

  // The API's reference is one link away.
  await page.getByRole('link', { name: 'JSON API' }).click();
  await page.waitForURL(BASE + '/api/v1/reference');
  assert.ok((await page.content()).includes('/api/v1/tenants/{id}/provision'));
  await context.close();
});

test('statistics draw SVG charts and the audit page filters and exports, with no errors', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(BASE + '/login');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.fill('#username', 'admin');
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.getByTestId('whoami').filter({ hasText: 'admin' }).waitFor();

  await page.getByRole('link', { name: 'Statistics' }).click();
  await page.waitForURL(BASE + '/stats');
  await page.locator('figure#runs-per-day svg[role="img"]').waitFor();
  assert.ok(await page.locator('figure#runs-per-day svg title').count() >= 1, 'the chart has a title');
  await page.selectOption('select[name="days"]', '7');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/stats\?days=7/);
  await page.locator('figure#runs-per-day figcaption', { hasText: 'Runs per day, last 7 days' }).waitFor();

  await page.goto(BASE + '/audit?actor=admin&action=auth.');
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.getByTestId('audit').waitFor();
  const rows = await page.getByTestId('audit').locator('tbody tr').allTextContents();
  assert.ok(rows.length > 0 && rows.every((r) => r.includes('admin') && r.includes('auth.')), rows.join('\n'));
  const csv = await page.getByTestId('export-csv').getAttribute('href');
  assert.match(csv, /format=csv&actor=admin&action=auth\./);
  const res = await page.request.get(BASE + csv);
  assert.equal(res.status(), 200);
  assert.match(await res.text(), /^id,at,actor,action/);
  assert.deepEqual(errors, [], 'no page errors');
  await context.close();
});
