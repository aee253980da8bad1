// The citizen's pages in a real browser: Debian's Chromium, headless, driven by playwright-core.
//
//   node tests/browser/citizen.mjs <base-url> <screenshot-dir> [certificate serial]
//
// Submits a dossier online with two PDFs chosen in the form, tracks it by number and secret,
// submits a file that is not a PDF (and reads the Vietnamese refusal), tracks an unknown
// receipt, verifies a certificate by its serial and finds a parcel's status. Prints a JSON
// summary with every console error, page error and request to another site; exits non-zero on
// failure. Run by tests/api/citizen.rs against a server it spawned; nothing else is contacted.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, outDir, serial = ''] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node tests/browser/citizen.mjs <base-url> <screenshot-dir> [serial]');
  process.exit(2);
}

const deadline = setTimeout(() => { console.error('citizen.mjs: timed out after 120 s'); process.exit(3); }, 120_000);
const profile = mkdtempSync(join(tmpdir(), 'diachinh-chromium-'));
const summary = { errors: [] };
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1100, height: 1400 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
    '--no-first-run', '--disable-component-update', '--disable-sync'],
});
const pdf = (text) => Buffer.from(`%PDF-1.4\n% ${text}\n${'0'.repeat(2000)}\n%%EOF\n`);

let failed = null;
try {
  mkdirSync(outDir, { recursive: true });
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => summary.errors.push(String(e)));
  page.on('console', (m) => {
    // A 4xx answer the page asked for (and shows) is logged by Chromium as a failed resource.
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) summary.errors.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) summary.errors.push(`request to another site: ${r.url()}`);
  });
  await page.goto(`${base}/citizen`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60_000 });
  summary.procedures = await page.locator('select[name=procedure] option').count() - 1;

  // Submit: the procedure, the parcel, the applicant, a postal return, two PDFs.
  const form = page.locator('#submit-form');
  await form.locator('select[name=procedure]').selectOption('1.012756');
  await form.locator('input[name=commune]').fill('31507');
  await form.locator('input[name=sheet]').fill('1');
  await form.locator('input[name=parcel_no]').fill('5');
  await form.locator('select[name=applicant_kind]').selectOption('organisation');
  await form.locator('input[name=applicant_name]').fill('Ủy ban nhân dân phường Tân An');
  await form.locator('input[name=email]').fill('vanthu@tanan.example.vn');
  await form.locator('input[value=postal]').check();
  await form.locator('input[name=postal_address]').fill('12 Lê Lợi, phường Tân An');
  await form.locator('input[name=document_1]').setInputFiles({ name: 'don-dang-ky.pdf', mimeType: 'application/pdf', buffer: pdf('don') });
  await form.locator('input[name=document_2]').setInputFiles({ name: 'quyet-dinh.pdf', mimeType: 'application/pdf', buffer: pdf('qd') });
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('#receipt', { timeout: 30_000 });
  summary.submission_no = await page.locator('#submission-no').textContent();
  const secret = await page.locator('#submission-secret').textContent();
  await page.locator('#nop-ho-so').screenshot({ path: join(outDir, 'citizen-submit.png') });

  // A file that is not a PDF: the page shows the server's Vietnamese problem.
  await form.locator('input[name=document_2]').setInputFiles({ name: 'quyet-dinh.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ this is no pdf') });
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('#submit-result .error', { timeout: 30_000 });
  summary.bad_file_error = await page.locator('#submit-result .error').textContent();

  // Track by number and secret; then an unknown receipt.
  const track = page.locator('#track-form');
  await track.locator('input[name=number]').fill(summary.submission_no);
  await track.locator('input[name=secret]').fill(secret);
  await track.locator('button[type=submit]').click();
  await page.waitForSelector('#tracked', { timeout: 30_000 });
  summary.tracked_state = await page.locator('#tracked').getAttribute('data-state');
  await page.locator('#tra-cuu').screenshot({ path: join(outDir, 'citizen-track.png') });
  await track.locator('input[name=number]').fill('92.261127.0999');
  await track.locator('input[name=secret]').fill('K7M9PQ');
  await track.locator('button[type=submit]').click();
  await page.waitForSelector('#track-result .error', { timeout: 30_000 });
  summary.not_found_error = await page.locator('#track-result .error').textContent();

  // Verify a certificate by its serial (pasted as the QR's URL when there is one).
  const verify = page.locator('#verify-form');
  await verify.locator('textarea[name=qr]').fill(serial ? `${base}/certificates/verify/${serial}` : 'XX000000');
  await verify.locator('button[type=submit]').click();
  await page.waitForSelector('#verified, #verify-result .error', { timeout: 30_000 });
  summary.verified = await page.locator('#verified').getAttribute('data-valid').catch(() => null);
  await page.locator('#xac-thuc').screenshot({ path: join(outDir, 'citizen-verify.png') });

  // A parcel's status.
  const parcel = page.locator('#parcel-form');
  await parcel.locator('input[name=commune]').fill('31507');
  await parcel.locator('input[name=sheet]').fill('1');
  await parcel.locator('input[name=parcel]').fill('5');
  await parcel.locator('button[type=submit]').click();
  await page.waitForSelector('#parcel-status', { timeout: 30_000 });
  summary.parcel = await page.locator('#parcel-status').getAttribute('data-parcel');
  await page.locator('#thua-dat').screenshot({ path: join(outDir, 'citizen-parcel.png') });
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
