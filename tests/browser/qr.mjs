// The printed certificate's QR code as a scanner sees it: Debian's Chromium, headless, driven by
// playwright-core, renders the printable sheet for print at 150 dpi (device scale factor
// 1.5625 on the 96-dpi CSS page) and screenshots page 1; the caller decodes it with zbarimg.
//
//   node tests/browser/qr.mjs <print-url> <bearer-token> <screenshot.png>
//
// Prints a JSON summary on stdout (the QR code's CSS size and position, its quiet zone, the
// screenshot's pixel size); exits non-zero on failure. Run by tests/api/qr_scan.rs against a
// server it spawned; nothing else is contacted.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const [url, token, screenshot] = process.argv.slice(2);
if (!url || !token || !screenshot) {
  console.error('usage: node tests/browser/qr.mjs <print-url> <bearer-token> <screenshot.png>');
  process.exit(2);
}

// 150 dpi on a page laid out at CSS's 96 px per inch.
const DPI = 150;
const SCALE = DPI / 96;

// Give up on a hung browser rather than hang the test suite.
const deadline = setTimeout(() => { console.error('qr.mjs: timed out after 90 s'); process.exit(3); }, 90_000);

const profile = mkdtempSync(join(tmpdir(), 'diachinh-chromium-'));
const summary = { dpi: DPI, device_scale_factor: SCALE, errors: [] };
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  // An A4 sheet is 210 mm = 793.7 CSS px wide.
  viewport: { width: 800, height: 1140 },
  deviceScaleFactor: SCALE,
  extraHTTPHeaders: { Authorization: `Bearer ${token}` },
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
    '--no-first-run', '--disable-component-update', '--disable-sync',
  ],
});

let failed = null;
try {
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => summary.errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith(new URL(url).origin) && !r.url().startsWith('data:')) summary.errors.push(`request to another site: ${r.url()}`);
  });
  const response = await page.goto(url);
  if (!response || response.status() !== 200) throw new Error(`${url}: HTTP ${response && response.status()}`);
  await page.emulateMedia({ media: 'print' });

  summary.qr = await page.evaluate(() => {
    const box = document.querySelector('.qr');
    const svg = box.querySelector('svg');
    const r = svg.getBoundingClientRect();
    const style = getComputedStyle(svg);
    const outer = getComputedStyle(box);
    // 1 mm in CSS px, measured by the browser itself.
    const probe = document.createElement('div');
    probe.style.width = '100mm';
    document.body.appendChild(probe);
    const mm = probe.getBoundingClientRect().width / 100;
    probe.remove();
    return {
      css_width: style.width, css_height: style.height, padding: outer.paddingTop, background: outer.backgroundColor,
      px_per_mm: mm, width_mm: r.width / mm, height_mm: r.height / mm, quiet_mm: parseFloat(outer.paddingTop) / mm,
      top_mm: r.top / mm, right_mm: (document.querySelector('.page-1').getBoundingClientRect().right - r.right) / mm,
      version: Number(svg.dataset.version), modules: Number(svg.dataset.modules),
    };
  });
  summary.qr.module_mm = summary.qr.width_mm / summary.qr.modules;
  summary.qr.module_px_at_dpi = summary.qr.module_mm / 25.4 * DPI;

  mkdirSync(dirname(screenshot), { recursive: true });
  await page.locator('.page-1').screenshot({ path: screenshot });
  // PNG header: width and height, big-endian, at bytes 16 and 20.
  const png = readFileSync(screenshot);
  summary.screenshot = { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
  if (summary.errors.length) throw new Error(summary.errors.join('; '));
} catch (e) {
  failed = e;
} finally {
  clearTimeout(deadline);
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(summary));
if (failed) {
  console.error(`qr.mjs: ${failed.stack || failed}`);
  process.exit(1);
}
