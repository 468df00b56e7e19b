// Hostile input as a browser sees it: a sign-in link whose `next` tries to
// leave the console (`/%09/evil.example` becomes `//evil.example` once the
// browser drops the tab) lands on the console, and pages hydrate under the
// nonce-based Content-Security-Policy without a single violation.
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

test('after sign-in with next=/%09/evil.example the browser stays on the console', async () => {
  const page = await browser.newPage();
  const violations = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  const left = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame() && !f.url().startsWith(BASE)) left.push(f.url());
  });
  await page.goto(BASE + '/login?next=/%09/evil.example');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.fill('#username', 'admin');
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.getByTestId('whoami').filter({ hasText: 'admin' }).waitFor();
  // Give a wrongly followed `next` time to happen.
  await page.waitForTimeout(1000);
  assert.equal(new URL(page.url()).origin, new URL(BASE).origin, page.url());
  assert.equal(new URL(page.url()).pathname, '/');
  assert.deepEqual(left, [], 'the browser never left the console');
  assert.deepEqual(violations, [], 'no Content-Security-Policy violations');

  // The policy is the page's own, with a fresh nonce.
  const res = await page.request.get(BASE + '/tenants');
  const csp = res.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
  assert.match(csp, /frame-ancestors 'none'/);
  await page.close();
});
