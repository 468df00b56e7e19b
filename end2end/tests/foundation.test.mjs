// The foundation, as a person uses it: sign in, create a template, create a
// tenant from it, find it by search, open it, sign out; markup in a company
// name is shown as text, never run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = process.env.TENANTRY_BASE_URL ?? 'http://127.0.0.1:3107';
const PASSWORD = process.env.TENANTRY_ADMIN_PASSWORD;
let browser;

before(async () => {
  assert.ok(PASSWORD, 'TENANTRY_ADMIN_PASSWORD must be set (end2end/run.sh sets it)');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

async function open(page, path) {
  await page.goto(BASE + path);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

async function signIn(page) {
  await open(page, '/login');
  await page.fill('#username', 'admin');
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(BASE + '/');
  await page.getByTestId('whoami').filter({ hasText: 'admin' }).waitFor();
}

test('sign in, template, tenant, search, open, sign out', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await signIn(page);

  // A new template, with a rule broken first: the message names the field.
  const key = `e2e-${Date.now().toString(36)}`;
  await open(page, '/templates/new');
  const fields = {
    key, name: 'E2E Tier', description: 'Made by the browser test',
    postgres_instances: '1', postgres_storage_gi: '5', api_replicas: '1', web_replicas: '1',
    cpu_request_m: '100', cpu_limit_m: '500', memory_request_mi: '128', memory_limit_mi: '256',
    user_limit: '10', quota_cpu_m: '500', quota_memory_mi: '2048', quota_storage_gi: '10', quota_pods: '10',
  };
  for (const [k, v] of Object.entries(fields)) await page.fill(`#${k}`, v);
  const createTemplate = page.getByRole('button', { name: 'Create template' });
  await createTemplate.click();
  await page.locator('#quota_cpu_m-error').filter({ hasText: 'at least 2000 millicores' }).waitFor();
  await page.fill('#quota_cpu_m', '4000');
  await createTemplate.click();
  await page.waitForURL(/\/templates\/\d+$/);
  await page.getByRole('heading', { name: /E2E Tier/ }).waitFor();

  // A tenant from it, with markup in the company name and a live ID check.
  const company = `Playwright Garage <script>window.__xss = 1</script> ${key}`;
  await open(page, '/tenants/new');
  await page.fill('#company_name', company);
  await page.getByTestId('id-hint').filter({ hasText: 'Leave empty to get an ID like playwright-garage-script' }).waitFor();
  await page.fill('#tenant_id', 'www');
  await page.getByTestId('id-hint').filter({ hasText: 'reserved' }).waitFor();
  await page.fill('#tenant_id', '');
  await page.fill('#owner_name', 'Ada Owner');
  await page.fill('#owner_email', 'ada@garage.example');
  await page.selectOption('#template_id', { label: 'E2E Tier (v1)' });
  await page.getByTestId('tier-summary').filter({ hasText: 'PostgreSQL 1× 5 Gi' }).waitFor();
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await page.waitForURL(/\/tenants\/playwright-garage-script-[a-z0-9-]+$/);
  const tenantUrl = page.url();
  const title = await page.getByTestId('tenant-title').textContent();
  assert.equal(title, company, 'the company name is shown as typed, as text');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'markup in a name never runs');

  // Found by search in the list, and opened from there.
  await open(page, '/tenants');
  await page.fill('input[name=q]', key);
  await page.press('input[name=q]', 'Enter');
  await page.waitForURL(/q=/);
  const link = page.locator('table.data a.mono');
  await link.first().waitFor();
  assert.equal(await link.count(), 1, 'exactly one tenant matches');
  await link.first().click();
  await page.waitForURL(tenantUrl);
  await page.getByTestId('tenant-title').waitFor();

  // The server renders the page too (useful before the wasm loads).
  const html = await (await page.request.get(tenantUrl)).text();
  assert.ok(html.includes('&lt;script&gt;window.__xss = 1&lt;/script&gt;'), 'escaped in the server HTML');

  // Sign out: the session is gone and pages send you to sign-in.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login/);
  await page.goto(BASE + '/tenants');
  await page.waitForURL(/\/login\?next=%2Ftenants/);
  assert.deepEqual(errors, [], 'no script errors in the page');
  await page.close();
});

test('a wrong password says so and keeps you on the sign-in page', async () => {
  const page = await browser.newPage();
  await open(page, '/login');
  await page.fill('#username', 'admin');
  await page.fill('#password', 'not the password');
  await page.click('button[type=submit]');
  await page.getByRole('alert').filter({ hasText: 'Wrong user name or password' }).waitFor();
  assert.match(page.url(), /\/login/);
  await page.close();
});

test('a release written in the editor: a broken rule shown inline, fixed, saved; a tenant shows what it runs', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await signIn(page);
  await open(page, '/applications');
  await page.getByRole('link', { name: 'Workshop SaaS' }).click();
  await page.waitForURL(/\/applications\/workshop-saas$/);
  const newest = await page.getByTestId('releases').locator('tbody tr').count();
  await page.getByRole('link', { name: 'New release' }).click();
  await page.waitForURL(/\/releases\/new$/);
  await page.waitForSelector('body[data-hydrated="true"]');

  // The newest release's text to start from; a broken image is named as typed.
  const editor = page.locator('#source');
  const start = await editor.inputValue();
  assert.match(start, /image: api:1\.0\.0/);
  await editor.fill(start.replace('image: api:1.0.0', 'image: api'));
  await page.getByTestId('release-check').filter({ hasText: 'components.api.image' }).waitFor();
  await editor.fill(start);
  await page.getByTestId('release-check').filter({ hasText: 'Valid: 2 component(s), 1 job(s).' }).waitFor();
  // The images form rewrites the value in the text, comments kept.
  const image = page.getByTestId('release-images').getByLabel('api', { exact: true });
  assert.equal(await image.inputValue(), 'api:1.0.0');
  await image.fill('api:1.1.0');
  await image.press('Tab');
  const edited = await editor.inputValue();
  assert.match(edited, /image: api:1\.1\.0/);
  assert.equal(edited.replace('image: api:1.1.0', 'image: api:1.0.0'), start, 'only the image changed');
  await page.getByTestId('release-check').filter({ hasText: 'Valid: 2 component(s), 1 job(s).' }).waitFor();
  await page.fill('#notes', 'api 1.1 from the browser');
  await page.getByRole('button', { name: 'Save release' }).click();
  await page.waitForURL(new RegExp(`/applications/workshop-saas/releases/${newest + 1}$`));
  await page.getByTestId('components').filter({ hasText: 'api:1.1.0' }).waitFor();
  assert.match(await page.getByTestId('release-source').textContent(), /image: api:1\.1\.0/);

  // A tenant's page shows the release it runs, its components and jobs.
  await open(page, '/tenants');
  await page.locator('table.data tbody tr a').first().click();
  await page.waitForURL(/\/tenants\/[a-z0-9-]+$/);
  await page.getByTestId('components').filter({ hasText: 'web' }).waitFor();
  await page.getByTestId('jobs').filter({ hasText: 'migrate' }).waitFor();
  // A release that takes the tenant contract says what it takes.
  await open(page, '/applications/school-supply/releases/1');
  await page.getByTestId('contract')
    .filter({ hasText: 'tenant admin (tenant-admin); tenant.json at /etc/tenant' }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});
