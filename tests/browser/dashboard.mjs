// The one-stop dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core.
//
//   node tests/browser/dashboard.mjs <base-url> <screenshot.png> <query string>
//
// Loads /dashboard?<query>, waits until its figures are drawn, and prints a JSON summary of what
// it shows (the raw values behind the cards, the bars drawn, the units listed) with every
// console error, page error and request to another site. Exits non-zero on failure.
// Run by tests/api/dashboard.rs against a server it spawned; nothing else is contacted.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const [base, screenshot, queryString = ''] = process.argv.slice(2);
if (!base || !screenshot) {
  console.error('usage: node tests/browser/dashboard.mjs <base-url> <screenshot.png> [query]');
  process.exit(2);
}

const deadline = setTimeout(() => { console.error('dashboard.mjs: timed out after 90 s'); process.exit(3); }, 90_000);
const profile = mkdtempSync(join(tmpdir(), 'diachinh-chromium-'));
const summary = { errors: [], requests: 0 };
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 1000 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
    '--no-first-run', '--disable-component-update', '--disable-sync'],
});

let failed = null;
try {
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => summary.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') summary.errors.push(m.text()); });
  page.on('request', (r) => {
    summary.requests += 1;
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) summary.errors.push(`request to another site: ${r.url()}`);
  });
  await page.goto(`${base}/dashboard${queryString ? `?${queryString}` : ''}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60_000 });
  Object.assign(summary, await page.evaluate(() => {
    const value = (id) => {
      const v = document.querySelector(`#${id} .value`);
      return { value: v.dataset.value === '' ? null : Number(v.dataset.value), text: v.textContent };
    };
    return {
      ready: document.body.dataset.ready,
      error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent,
      office_rate: value('office-rate'),
      index_progress: value('index-progress'),
      circular_score: value('circular-score'),
      late_flag: value('late-flag'),
      without_apology: value('apology'),
      month_bars: [...document.querySelectorAll('#chart-month rect.bar')].map((b) => ({ key: b.dataset.key, value: Number(b.dataset.value) })),
      procedure_bars: document.querySelectorAll('#chart-procedure rect.bar').length,
      units: [...document.querySelectorAll('#holders tbody tr')].map((tr) => ({
        unit: tr.dataset.unit, open: Number(tr.children[1].textContent),
      })),
      overdue_rows: document.querySelectorAll('#overdue tbody tr').length,
      title: document.querySelector('h1').textContent,
    };
  }));
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  failed = e;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  clearTimeout(deadline);
}
console.log(JSON.stringify(summary));
if (failed) {
  console.error(String(failed && failed.stack || failed));
  process.exit(1);
}
