// The web map in a real browser: Debian's Chromium, headless, driven by playwright-core.
//
//   node tests/browser/map.mjs <base-url> <screenshot.png> <national id of a parcel the planned road crosses>
//
// Checks that the map loads vector tiles from our server (counts .mvt responses with status
// 200), that a click on a parcel shows its card with the planning impact, that a search by
// commune + sheet + parcel finds a parcel, and that dossier tracking shows the problem detail
// for an unknown receipt number. Prints a JSON summary on stdout; exits non-zero on failure.
// Run by tests/browser.rs against a server it spawned; nothing else is contacted.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const [base, screenshot, roadParcel] = process.argv.slice(2);
if (!base || !screenshot || !roadParcel) {
  console.error('usage: node tests/browser/map.mjs <base-url> <screenshot.png> <road-parcel-id>');
  process.exit(2);
}

// Give up on a hung browser rather than hang the test suite.
const deadline = setTimeout(() => { console.error('map.mjs: timed out after 120 s'); process.exit(3); }, 120_000);

const profile = mkdtempSync(join(tmpdir(), 'diachinh-chromium-'));
const summary = { mvt: {}, errors: [] };
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
    '--no-first-run', '--disable-component-update', '--disable-sync',
    // WebGL without a GPU: SwiftShader, which newer Chromium only enables on request.
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  ],
});

async function api(path) {
  const response = await fetch(base + path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function centre(geometry) {
  // A parcel is a small convex-ish quadrilateral: the mean of its outer ring's vertices is inside.
  const ring = geometry.type === 'MultiPolygon' ? geometry.coordinates[0][0] : geometry.coordinates[0];
  const pts = ring.slice(0, -1);
  return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
}

let failed = null;
try {
  const page = context.pages()[0] || await context.newPage();
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.endsWith('.mvt')) summary.mvt[r.status()] = (summary.mvt[r.status()] || 0) + 1;
  });
  page.on('pageerror', (e) => summary.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') summary.errors.push(m.text()); });
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) summary.errors.push(`request to another site: ${r.url()}`);
  });

  const waitForParcels = () => page.waitForFunction(() => {
    const m = window.diachinh && window.diachinh.map;
    return m && m.loaded() && m.areTilesLoaded() && m.queryRenderedFeatures({ layers: ['parcels-fill'] }).length > 0;
  }, null, { timeout: 60_000 });

  // 1. The map loads parcel and planning tiles from our server.
  await page.goto(`${base}/map#17/9.6009/105.9739`);
  await page.waitForFunction(() => document.body.dataset.mapReady === '1', null, { timeout: 60_000 });
  await waitForParcels();
  summary.rendered_parcels = await page.evaluate(() => window.diachinh.map.queryRenderedFeatures({ layers: ['parcels-fill'] }).length);
  summary.rendered_zones = await page.evaluate(() => window.diachinh.map.queryRenderedFeatures({ layers: ['planning-fill'] }).length);
  if (!(summary.mvt[200] > 0)) throw new Error(`no .mvt response with status 200: ${JSON.stringify(summary.mvt)}`);

  // 2. A click on a parcel the planned road crosses shows its card with the planning impact.
  const road = await api(`/parcels/${roadParcel}`);
  const [lon, lat] = centre(road.geometry);
  await page.evaluate(([lo, la]) => window.diachinh.map.jumpTo({ center: [lo, la], zoom: 19 }), [lon, lat]);
  await waitForParcels();
  const point = await page.evaluate(([lo, la]) => {
    const m = window.diachinh.map;
    const p = m.project([lo, la]);
    const r = m.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, [lon, lat]);
  await page.mouse.click(point.x, point.y);
  await page.waitForSelector(`#card[data-parcel="${roadParcel}"]`, { timeout: 30_000 });
  const cardText = await page.textContent('#card');
  summary.click = { parcel: roadParcel, text: cardText.slice(0, 400) };
  for (const expected of [`Thửa đất số ${road.properties.parcel}`, 'Thông tin quy hoạch', 'DGT', 'Thay đổi mục đích', 'Giấy chứng nhận']) {
    if (!cardText.includes(expected)) throw new Error(`the card after a click lacks "${expected}": ${cardText}`);
  }

  // 3. Search by commune + sheet + parcel finds a parcel and shows its card.
  const wanted = await api('/parcels/lookup?commune=31507&sheet=1&parcel=5');
  await page.fill('#search input[name=commune]', '31507');
  await page.fill('#search input[name=sheet]', '1');
  await page.fill('#search input[name=parcel]', '5');
  await page.click('#search button[type=submit]');
  await page.waitForSelector(`#card[data-parcel="${wanted.id}"]`, { timeout: 30_000 });
  const searchText = await page.textContent('#card');
  if (!searchText.includes('Thửa đất số 5, tờ bản đồ số 1')) throw new Error(`search card: ${searchText}`);
  summary.search = { parcel: wanted.id, text: searchText.slice(0, 200) };
  await waitForParcels();

  // 4. Dossier tracking: an unknown (well-formed) receipt number shows the problem+json detail.
  await page.fill('#track input[name=receipt]', '92.200101.9999');
  await page.click('#track button[type=submit]');
  await page.waitForSelector('#dossier .error', { timeout: 30_000 });
  summary.dossier = (await page.textContent('#dossier .error')).trim();
  summary.dossier_status = await page.evaluate(async () => (await fetch('/dossiers/track/92.200101.9999')).status);
  if (!summary.dossier || summary.dossier.startsWith('Lỗi ')) throw new Error(`no problem detail for an unknown receipt: ${summary.dossier}`);

  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot });
  summary.screenshot = screenshot;
  const foreign = summary.errors.filter((e) => e.startsWith('request to another site'));
  if (foreign.length) throw new Error(foreign.join('; '));
} catch (e) {
  failed = e;
} finally {
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  clearTimeout(deadline);
}
console.log(JSON.stringify(summary));
if (failed) {
  console.error(`map.mjs: ${failed.stack || failed}`);
  process.exit(1);
}
