// The live console against the real local control plane, with this file's
// fake kubelet deciding what each pod does: a tenant provisioned from the
// wizard goes Pending → Ready and its timeline completes without a reload; a
// crash-looping pod turns the health badge degraded with its reason; a
// failed step is retried from the tenant page; three tenants are suspended
// in one bulk action; a viewer gets no mutating button and a forged call is
// refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { kubeFromConfig, startFakeKubelet, statusFor, component, tenantOf } from '../support/kube.mjs';

const BASE = process.env.TENANTRY_BASE_URL ?? 'http://127.0.0.1:3107';
const PASSWORD = process.env.TENANTRY_ADMIN_PASSWORD;
const KUBECONFIG = process.env.TENANTRY_KUBECONFIG;
const RUN = Date.now().toString(36).slice(-5);
const LONG = { timeout: 150_000 };

let browser, kube, kubelet;
// Per-tenant fate of its pods; anything not listed becomes Ready (Job pods
// succeed).
const fates = new Map();

before(async () => {
  assert.ok(PASSWORD, 'TENANTRY_ADMIN_PASSWORD must be set (end2end/run.sh sets it)');
  assert.ok(KUBECONFIG, 'TENANTRY_KUBECONFIG must point at the test cluster (.ci/test starts one)');
  kube = kubeFromConfig(KUBECONFIG);
  kubelet = startFakeKubelet(kube, (pod) => {
    if (['migration', 'backup', 'job'].includes(component(pod))) return 'succeeded';
    const f = fates.get(tenantOf(pod));
    return typeof f === 'function' ? f(pod) : (f ?? 'ready');
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); await kubelet?.stop(); });

async function open(page, path) {
  await page.goto(BASE + path);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

async function signIn(page, user = 'admin', password = PASSWORD) {
  await open(page, '/login');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL(BASE + '/');
  await page.getByTestId('whoami').filter({ hasText: user }).waitFor();
}

/// Marks the document; if the page reloads, the mark is gone.
async function markNoReload(page) { await page.evaluate(() => { window.__noReload = 'kept'; }); }
async function assertNoReload(page) {
  assert.equal(await page.evaluate(() => window.__noReload), 'kept', 'the page was not reloaded');
}

async function wizard(page, id, template = 'Professional') {
  await open(page, '/tenants/new');
  await page.fill('#company_name', `Live ${id}`);
  await page.fill('#owner_name', 'Olive Operator');
  await page.fill('#owner_email', 'olive@example.com');
  const label = await page.locator('#template_id option', { hasText: template }).first().textContent();
  await page.selectOption('#template_id', { label });
  await page.getByTestId('tier-summary').waitFor();
  await page.fill('#tenant_id', id);
  await page.getByTestId('id-hint').filter({ hasText: 'available' }).waitFor();
  return label;
}

const tenants = { live: `e2e-live-${RUN}`, retry: `e2e-retry-${RUN}`, extra: `e2e-extra-${RUN}`, brand: `e2e-brand-${RUN}` };

test('a tenant from the wizard: manifests previewed, pods Pending → Ready and the timeline completes live', LONG, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await signIn(page);
  const id = tenants.live;
  fates.set(id, 'pending');
  await wizard(page, id);
  await page.getByRole('button', { name: 'Preview manifests' }).click();
  const preview = page.getByTestId('manifest-preview');
  await preview.filter({ hasText: `name: tenant-${id}` }).waitFor();
  assert.match(await preview.textContent(), /kind: ResourceQuota/);
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await page.waitForURL(BASE + `/tenants/${id}`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.locator('.live-indicator[data-live="on"]').waitFor({ timeout: 20_000 });
  await markNoReload(page);

  // The database pod appears, pending (no kubelet has started it yet)…
  await page.locator('tr[data-component="database"][data-phase="Pending"]').waitFor(LONG);
  await page.locator('li.step[data-step="wait-database"][data-state="running"]').waitFor(LONG);
  // …then the kubelet starts everything and the page follows by itself.
  fates.set(id, 'ready');
  await page.locator('tr[data-component="database"][data-ready="true"]').waitFor(LONG);
  await page.locator('article.run[data-state="completed"]').waitFor(LONG);
  await page.locator('tr[data-component="api"][data-ready="true"]').first().waitFor(LONG);
  await page.locator('[data-health="healthy"]').first().waitFor(LONG);
  const steps = await page.locator('article.run').first().locator('li.step').evaluateAll(
    (els) => els.map((e) => e.dataset.state));
  assert.ok(steps.length >= 8 && steps.every((s) => s === 'completed'), `every step done: ${steps}`);
  await assertNoReload(page);

  // The generated credentials, shown once, right here.
  await page.getByRole('button', { name: 'Show credentials once' }).click();
  const secret = page.locator('[data-testid="revealed-credentials"] code[data-credential="db-credentials/password"]');
  await secret.waitFor();
  const password = (await secret.textContent()).trim();
  assert.equal(password.length, 32, 'the generated database password');
  await page.locator('[data-testid="credentials"]', { hasText: 'were shown to admin' }).waitFor();
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.locator('[data-testid="credentials"]', { hasText: 'they are shown once' }).waitFor();
  assert.equal(await page.locator('[data-testid="revealed-credentials"]').count(), 0);
  assert.ok(!(await page.content()).includes(password), 'never shown again');
  const again = await page.evaluate(async (id) => (await fetch('/api/reveal_credentials', {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `id=${id}`,
  })).status, id);
  assert.equal(again, 409, 'a second reveal is refused');
  assert.deepEqual(errors, [], 'no script errors');
  await page.close();
});

test('custom fields from the wizard, one changed on the tenant page: previewed with its new value, applied by an update', LONG, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await signIn(page);
  const id = tenants.brand;
  await wizard(page, id, 'White-label Basic');
  // The plan's application asks for its branding; the required field is
  // refused empty, on the field.
  await page.locator('#cf-primary_colour').waitFor();
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await page.locator('#custom_fields\\.company_name-error', { hasText: 'required' }).waitFor();
  await page.fill('#cf-company_name', 'Brand Co');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await page.waitForURL(BASE + `/tenants/${id}`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.locator('article.run[data-state="completed"]').first().waitFor(LONG);
  const facts = page.getByTestId('custom-fields');
  await facts.locator('dd[data-field="company_name"]', { hasText: 'Brand Co' }).waitFor();
  await facts.locator('dd[data-field="primary_colour"]', { hasText: '#ff5733 (default)' }).waitFor();

  // The change form holds the tenant's values; a new colour is previewed…
  await page.locator('summary', { hasText: 'custom fields' }).click();
  await page.fill('#change-cf-primary_colour', '#ABCDEF');
  await page.getByRole('button', { name: 'Preview change' }).click();
  const diff = page.getByTestId('change-diff');
  await diff.waitFor();
  assert.match(await diff.textContent(), /#ff5733[^→]*→[^\n]*#abcdef/, 'the branding file changes colour');
  // …and applied by an update run, after which the page reads it.
  const before = await page.locator('article.run').count();
  await diff.getByRole('button', { name: 'Apply this change' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('article.run').length > n, before, LONG);
  await page.locator('article.run').first().and(page.locator('[data-state="completed"]')).waitFor(LONG);
  await facts.locator('dd[data-field="primary_colour"]', { hasText: '#abcdef' }).waitFor(LONG);

  // A form half typed stays as it was while the page renders the tenant
  // again (as it does on every change it hears of): here, the record
  // saved meanwhile. The change form keeps its values and its preview.
  await page.locator('summary', { hasText: 'custom fields' }).click();
  await page.fill('#change-api', '3');
  await page.getByRole('button', { name: 'Preview change' }).click();
  await diff.filter({ hasText: 'replicas' }).waitFor();
  await page.locator('summary', { hasText: 'Deprovision' }).click();
  await page.fill('#confirm', 'half-typed');
  await page.locator('summary', { hasText: 'Edit record' }).click();
  await page.fill('#owner_name', 'Owner Renamed');
  await page.locator('form', { has: page.locator('#owner_name') }).getByRole('button', { name: 'Save' }).click();
  await page.locator('dl.facts dd', { hasText: 'Owner Renamed' }).waitFor(LONG);
  assert.ok(await diff.filter({ hasText: 'replicas' }).isVisible(), 'the preview stays');
  assert.equal(await page.inputValue('#change-api'), '3', 'the change form keeps what was typed');
  assert.equal(await page.inputValue('#confirm'), 'half-typed', 'so does the deprovisioning form');
  await page.fill('#confirm', '');
  await page.fill('#change-api', '');
  await page.locator('summary', { hasText: 'Deprovision' }).click();
  await page.locator('summary', { hasText: 'custom fields' }).click();

  // The kit's API keys: issued with the credentials, each shown once…
  const keys = page.getByTestId('api-keys');
  await keys.locator('tr[data-key="production"]', { hasText: 'not issued yet' }).waitFor();
  await page.getByRole('button', { name: 'Show credentials once' }).click();
  const shown = page.locator('[data-testid="revealed-credentials"] code[data-credential="api-key/production"]');
  await shown.waitFor(LONG);
  const first = await shown.textContent();
  assert.match(first, /^production_[A-Za-z0-9]{40}$/);
  // …and rotated with an overlap: the new key shown once, the old one
  // accepted until its time.
  const row = keys.locator('tr[data-key="production"]');
  await row.locator('td', { hasText: 'by admin' }).waitFor(LONG);
  await row.locator('input[name="form[overlap_hours]"]').fill('2');
  await row.getByRole('button', { name: 'Rotate' }).click();
  const rotated = page.locator('[data-testid="rotated-key"] code[data-credential="api-key/production"]');
  await rotated.waitFor(LONG);
  const second = await rotated.textContent();
  assert.match(second, /^production_[A-Za-z0-9]{40}$/);
  assert.notEqual(second, first);
  await row.getByTestId('key-previous').filter({ hasText: 'accepted until' }).waitFor(LONG);
  // The tenant admin's password made anew by a run (the kit's provisioning
  // job runs again); its new value shown once, and nothing else again.
  const password = '[data-testid="revealed-credentials"] code[data-credential="tenant-admin/password"]';
  const oldPassword = await page.locator(password).textContent();
  const topRun = await page.locator('article.run').first().getAttribute('data-run');
  await page.getByTestId('generated-secrets').locator('li[data-secret="tenant-admin"]')
    .getByRole('button', { name: 'Rotate' }).click();
  await page.waitForFunction((id) => {
    const run = document.querySelector('article.run');
    return run && run.getAttribute('data-run') !== id && run.getAttribute('data-state') === 'completed';
  }, topRun, LONG);
  await page.getByTestId('credentials-offer').filter({ hasText: 'Rotated since the credentials were shown: tenant-admin' }).waitFor(LONG);
  await page.getByRole('button', { name: 'Show credentials once' }).click();
  await page.waitForFunction(([sel, old]) => {
    const c = document.querySelector(sel);
    return c && c.textContent !== old;
  }, [password, oldPassword], LONG);
  assert.equal(await page.locator('[data-testid="revealed-credentials"] code[data-credential="api-key/production"]').count(), 0,
    'only what was rotated is shown again');
  await page.getByTestId('credentials').getByText('they are shown once').waitFor(LONG);
  // What the owner would be sent, previewed (no owner channel here).
  const owner = page.getByTestId('owner-messages');
  await owner.getByText('No owner channel is configured').waitFor();
  await owner.locator('li[data-message="welcome"] summary', { hasText: 'Preview' }).click();
  await owner.locator('li[data-message="welcome"] pre', { hasText: 'Your administrator account' }).waitFor();
  assert.deepEqual(errors, [], 'no script errors');
  await page.close();
});

test('back up now fills the catalogue live, and an admin restores it with the ID typed again', LONG, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // A panic's message (the 422 of the wrong confirmation is expected).
  page.on('console', (m) => { if (m.type() === 'error' && m.text().includes('panicked')) errors.push(m.text()); });
  await signIn(page);
  const id = tenants.live;
  await open(page, `/tenants/${id}`);
  const panel = page.getByTestId('tenant-backups');
  // The plan's daily schedule may already have taken today's backup (the
  // leader starts a live tenant's latest slot within 15 s): only the
  // on-demand one is this test's.
  await panel.getByTestId('last-backup').waitFor();
  assert.equal(await panel.locator('[data-testid="backup-list"] tbody tr', { hasText: 'on demand' }).count(), 0);
  await markNoReload(page);
  await panel.getByRole('button', { name: 'Back up now' }).click();
  const row = panel.locator('[data-testid="backup-list"] tbody tr', { hasText: 'on demand' });
  await row.waitFor(LONG);
  assert.match(await row.textContent(), new RegExp(`s3://tenantry-backups/${id}/`));
  await panel.getByTestId('last-backup').filter({ hasText: 'Last backup' }).filter({ hasText: 'ago' }).waitFor(LONG);

  await row.locator('summary', { hasText: 'Restore' }).click();
  const form = row.locator('form');
  await form.locator('input[name="form[confirm]"]').fill('not-the-id');
  await form.getByRole('button', { name: 'Restore this backup' }).click();
  // The page may re-render around the answer: the error is there, and the
  // form is opened again if it closed.
  await row.locator('.field-error', { hasText: 'type the tenant ID' }).waitFor({ state: 'attached' });
  if (!(await row.locator('details').evaluate((d) => d.open))) await row.locator('summary', { hasText: 'Restore' }).click();
  await form.locator('input[name="form[confirm]"]').fill(id);
  await form.getByRole('button', { name: 'Restore this backup' }).click();
  const run = page.locator('article.run', { has: page.locator('li.step[data-step="restore"]') }).first();
  await run.waitFor(LONG);
  await page.locator('article.run[data-state="completed"]', { has: page.locator('li.step[data-step="restore"]') }).first().waitFor(LONG);
  const steps = await run.locator('li.step').evaluateAll((els) => els.map((e) => e.dataset.step));
  assert.deepEqual(steps, ['backup', 'suspend-workloads', 'restore', 'migrate', 'application', 'wait-api', 'wait-web']);
  await assertNoReload(page);
  assert.deepEqual(errors, [], 'no script errors');
  await page.close();
});

test('a rollout planned and started from the Rollouts page moves a tenant to a new release, followed live', LONG, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await signIn(page);
  const id = tenants.live;
  // A new release of the workshop SaaS: the same text as its first.
  const made = await page.evaluate(async () => {
    const post = (fn, body) => fetch(`/api/${fn}`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body),
    });
    const list = await (await post('list_releases', { application: 'workshop-saas' })).json();
    const first = list[list.length - 1];
    const res = await post('create_release', {
      application: 'workshop-saas', 'form[source]': first.source, 'form[notes]': 'e2e rollout', 'form[based_on]': String(list[0].number),
    });
    return { status: res.status, release: (await res.json()).number };
  });
  assert.equal(made.status, 200, 'the release is saved');
  await open(page, '/rollouts');
  const form = page.getByTestId('new-rollout');
  await page.fill('#application', 'workshop-saas');
  await page.fill('#release', String(made.release));
  await page.fill('#tenants', id);
  await page.fill('#waves', '1');
  await page.check('#dry_run');
  await form.getByRole('button', { name: 'Plan' }).click();
  const plan = page.getByTestId('rollout-plan');
  await plan.filter({ hasText: '1 tenants in 1 waves' }).waitFor(LONG);
  // Each tenant with what its move changes, and the dry-run's answer.
  const row = plan.locator(`tr[data-wave="1"][data-tenant="${id}"]`);
  await row.filter({ hasText: `→ ${made.release}` }).waitFor();
  await plan.getByTestId('dry-run-note').filter({ hasText: '1 of 1 tenants compared with the cluster' }).waitFor();
  assert.match(await row.locator('td.dry-run').innerText(), /changes|creates|removes|nothing changes on the cluster/);
  await plan.getByRole('button', { name: 'Start this rollout' }).click();
  await page.waitForURL(/\/rollouts\/\d+$/, LONG);
  await page.waitForSelector('body[data-hydrated="true"]');
  await markNoReload(page);
  // Followed live: the tenant's run completes, the rollout with it.
  await page.getByTestId('rollout-state').filter({ hasText: 'completed' }).waitFor(LONG);
  await page.locator(`tr[data-tenant="${id}"][data-state="done"]`).waitFor(LONG);
  await assertNoReload(page);
  assert.deepEqual(errors, [], 'no script errors');
  await page.close();
});

test('a crash-looping pod turns the badge degraded and fires an alert, acknowledged from the alerts page, live', LONG, async () => {
  const page = await browser.newPage();
  await signIn(page);
  const id = tenants.live;
  await open(page, `/tenants/${id}`);
  await page.locator('[data-health="healthy"]').first().waitFor(LONG);
  await page.locator('.live-indicator[data-live="on"]').waitFor({ timeout: 20_000 });
  await markNoReload(page);
  // The alerts page, open before anything breaks.
  const alerts = await browser.newPage();
  await signIn(alerts);
  await open(alerts, '/alerts');
  await alerts.locator('.live-indicator[data-live="on"]').waitFor({ timeout: 20_000 });
  await markNoReload(alerts);
  const api = (await kube.pods()).find((p) => tenantOf(p) === id && component(p) === 'api');
  assert.ok(api, 'an api pod exists');
  await kube.patchPodStatus(api.metadata.namespace, api.metadata.name, statusFor(api, 'crash'));
  await page.locator('[data-health="degraded"]').first().waitFor(LONG);
  await page.getByTestId('health-reason').filter({ hasText: 'CrashLoopBackOff' }).waitFor(LONG);
  await page.locator(`tr[data-pod="${api.metadata.name}"] td.bad`, { hasText: 'CrashLoopBackOff' }).waitFor(LONG);
  await assertNoReload(page);
  // The alert appears by itself, and is acknowledged from the browser.
  const alert = alerts.locator(`li.alert[data-rule="crash_loop"][data-tenant="${id}"]`);
  await alerts.locator(`li.alert[data-rule="crash_loop"][data-tenant="${id}"][data-state="firing"]`).waitFor(LONG);
  await alert.locator('input[name="note"]').fill('looking into it');
  await alert.getByRole('button', { name: 'Acknowledge' }).click();
  await alerts.locator(`li.alert[data-rule="crash_loop"][data-tenant="${id}"][data-state="acknowledged"]`).waitFor(LONG);
  await assertNoReload(alerts);
  // The tenant page shows it too, with its state.
  await page.locator(`[data-testid="alerts"] li.alert[data-rule="crash_loop"][data-state="acknowledged"]`).waitFor(LONG);
  await page.getByTestId('health-history').locator('li[data-health="degraded"]').first().waitFor(LONG);
  // It heals the same way, and the alert resolves by itself.
  await kube.patchPodStatus(api.metadata.namespace, api.metadata.name, statusFor(api, 'ready'));
  await page.locator('[data-health="healthy"]').first().waitFor(LONG);
  await page.locator(`[data-testid="alerts"] li.alert[data-rule="crash_loop"][data-state="resolved"]`).waitFor(LONG);
  await alerts.close();
  await page.close();
});

test('a failed step is retried from the tenant page and succeeds', LONG, async () => {
  const page = await browser.newPage();
  await signIn(page);
  const id = tenants.retry;
  fates.set(id, (pod) => (component(pod) === 'database' ? 'crash' : 'ready'));
  await wizard(page, id, 'Free');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await page.waitForURL(BASE + `/tenants/${id}`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await markNoReload(page);
  const failed = page.locator('li.step[data-step="wait-database"][data-state="failed"]');
  await failed.waitFor(LONG);
  await failed.locator('pre.step-error', { hasText: 'CrashLoopBackOff' }).waitFor();
  await page.locator('[data-health="down"]').first().waitFor(LONG);
  // What had run reads rolled back by the clean-up, not "pending".
  for (const step of ['namespace', 'secrets', 'database']) {
    await page.locator(`li.step[data-step="${step}"][data-state="rolled_back"]`).waitFor();
  }
  fates.set(id, 'ready');
  await failed.getByRole('button', { name: 'Retry step' }).click();
  await page.locator('article.run[data-state="completed"]').first().waitFor(LONG);
  await page.locator('[data-health="healthy"]').first().waitFor(LONG);
  // Each attempt is kept: the namespace step ran twice, each by a process.
  const attempts = page.locator('li.step[data-step="namespace"] .step-attempts');
  assert.equal(await attempts.getAttribute('data-attempts'), '2');
  await attempts.locator('summary').click();
  assert.equal(await attempts.locator('tr[data-outcome="completed"]').count(), 2);
  await assertNoReload(page);
  await page.close();
});

test('three tenants are suspended in one bulk action, each result shown', LONG, async () => {
  const page = await browser.newPage();
  await signIn(page);
  await wizard(page, tenants.extra, 'Demo');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await page.waitForURL(BASE + `/tenants/${tenants.extra}`);
  await page.locator('article.run[data-state="completed"]').waitFor(LONG);

  await open(page, `/tenants?q=${RUN}`);
  await page.locator('.live-indicator[data-live="on"]').waitFor({ timeout: 20_000 });
  await markNoReload(page);
  const ids = [tenants.live, tenants.retry, tenants.extra];
  for (const id of ids) await page.getByLabel(`Select ${id}`).check();
  await page.selectOption('#bulk-action', 'suspend');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const results = page.getByTestId('bulk-results');
  for (const id of ids) {
    await results.locator(`li.ok[data-tenant="${id}"]`, { hasText: 'suspend' }).waitFor(LONG);
  }
  for (const id of ids) {
    await page.locator(`tr[data-tenant="${id}"] .badge.state-suspended`).waitFor(LONG);
    await page.locator(`tr[data-tenant="${id}"] [data-health="suspended"]`).waitFor(LONG);
  }
  await assertNoReload(page);
  await page.close();
});

test('a viewer sees no mutating button, and a forged call is refused', LONG, async () => {
  const admin = await browser.newPage();
  await signIn(admin);
  await open(admin, '/staff');
  const name = `viewer-${RUN}`;
  await admin.fill('#new-username', name);
  await admin.selectOption('#new-role', 'viewer');
  await admin.getByRole('button', { name: 'Add' }).click();
  const password = (await admin.getByTestId('one-time-password').textContent()).trim();
  await admin.close();

  // A generated password: the first sign-in leads to changing it, and
  // nothing else opens until it is changed.
  const context = await browser.newContext();
  const page = await context.newPage();
  await open(page, '/login');
  await page.fill('#username', name);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL(BASE + '/account/password');
  await page.getByTestId('must-change').waitFor();
  await open(page, '/tenants');
  assert.equal(new URL(page.url()).pathname, '/account/password', 'pages lead to the change');
  await page.fill('#current_password', password);
  await page.fill('#new_password', `${password}-mine`);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.waitForURL(BASE + '/');
  await page.getByTestId('whoami').filter({ hasText: name }).waitFor();
  await open(page, `/tenants/${tenants.retry}`);
  await page.locator('article.run').first().waitFor();
  assert.equal(await page.getByTestId('tenant-actions').count(), 0, 'no operations panel');
  for (const label of ['Retry step', 'Recover run', 'Cancel run', 'Resume', 'Deprovision', 'Show credentials once']) {
    assert.equal(await page.getByRole('button', { name: label }).count(), 0, `no ${label} button`);
  }
  await open(page, `/tenants?q=${RUN}`);
  await page.locator(`tr[data-tenant="${tenants.retry}"]`).waitFor();
  assert.equal(await page.locator('input[type=checkbox]').count(), 0, 'no bulk selection');
  assert.equal(await page.getByRole('link', { name: 'New tenant' }).count(), 0);
  await open(page, '/alerts');
  await page.getByRole('heading', { name: 'Alerts' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Acknowledge' }).count(), 0, 'a viewer cannot acknowledge');
  assert.equal(await page.getByRole('button', { name: 'Silence' }).count(), 0, 'nor silence');
  // The same call an operator's button makes, forged from the viewer's page.
  const status = await page.evaluate(async (id) => {
    const res = await fetch('/api/resume_tenant', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `id=${id}`,
    });
    return res.status;
  }, tenants.retry);
  assert.equal(status, 403);
  await context.close();
});
