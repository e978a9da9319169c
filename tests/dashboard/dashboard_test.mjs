// Opens skiffd's dashboard in Debian's chromium (driven by playwright-core, no downloaded
// browser) and checks what a user would see: the deployment, its pods and events in the
// tables, the Service of the same name with the pods as its endpoints, a chart with points
// drawn, and a screenshot whose chart and table regions are not blank. Usage: node dashboard_test.mjs PLAYWRIGHT_CORE_DIR URL DEPLOYMENT PODS PNG
// (through tests/dashboard/run, started by tests/daemon/e2e/dashboard_e2e_test.cc).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [playwrightDir, url, deployment, podsWanted, pngPath] = process.argv.slice(2);
const { chromium } = await import(join(playwrightDir, 'index.mjs'));
const timeout = 60_000;

function fail(message) {
  console.error('dashboard test: ' + message);
  process.exitCode = 1;
}

// Decodes a PNG in the page (the browser has the decoder) and counts what is in a region.
async function regionStats(page, png, box) {
  return page.evaluate(async ({ b64, box }) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = Math.max(1, Math.round(box.width));
    c.height = Math.max(1, Math.round(box.height));
    const g = c.getContext('2d');
    g.drawImage(img, box.x, box.y, box.width, box.height, 0, 0, c.width, c.height);
    const data = g.getImageData(0, 0, c.width, c.height).data;
    const colors = new Set();
    let nonWhite = 0;
    for (let i = 0; i < data.length; i += 4) {
      colors.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      if (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240) nonWhite++;
    }
    return { colors: colors.size, nonWhite, pixels: data.length / 4 };
  }, { b64: png.toString('base64'), box });
}

const userDataDir = mkdtempSync(join(tmpdir(), 'skiff-dashboard-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 1000 },
});
try {
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url, { timeout });

  await page.waitForFunction((name) => [...document.querySelectorAll('#deployments tbody td:first-child')]
    .some((td) => td.textContent === name), deployment, { timeout });
  await page.waitForFunction(({ name, n }) => [...document.querySelectorAll('#pods tbody tr')]
    .filter((tr) => tr.children[1] && tr.children[1].textContent === name && tr.children[2].textContent === 'Running')
    .length >= n, { name: deployment, n: Number(podsWanted) }, { timeout });
  // The Service named as the deployment: its one port has the ready pods as endpoints.
  await page.waitForFunction(({ name, n }) => {
    const td = document.querySelector(`#services tbody tr[data-service="${name}"] td.ready`);
    return td !== null && td.textContent === String(n);
  }, { name: deployment, n: Number(podsWanted) }, { timeout });
  await page.waitForFunction(() => document.querySelectorAll('#events tbody tr td:not(.empty)').length > 0,
    null, { timeout });
  // Two sampling rounds at least, so the lines have a length.
  await page.waitForFunction((name) => (window.skiffDashboard.pointsDrawn[name] || 0) >= 3, deployment, { timeout });
  // Memory is sampled once a pod has been read twice: wait for the usage line to leave zero.
  await page.waitForFunction(() => [...document.querySelectorAll('#pods tbody tr td:nth-child(7)')]
    .some((td) => /[KMG]i$/.test(td.textContent)), null, { timeout });

  const png = await page.screenshot({ fullPage: true });
  writeFileSync(pngPath, png);
  const chart = await page.locator(`canvas[data-deployment="${deployment}"][data-panel="replicas"]`).boundingBox();
  const table = await page.locator('#pods').boundingBox();
  const chartStats = await regionStats(page, png, chart);
  const tableStats = await regionStats(page, png, table);
  const services = await page.locator('#services').boundingBox();
  const servicesStats = await regionStats(page, png, services);
  console.log(`dashboard test: chart region ${JSON.stringify(chartStats)}, pods table ${JSON.stringify(tableStats)}, ` +
    `services table ${JSON.stringify(servicesStats)}`);
  // Axes and two lines: a blank or one-colour canvas would have one or two colours.
  if (chartStats.colors < 3 || chartStats.nonWhite < 50) fail('the chart region of the screenshot is blank');
  if (tableStats.nonWhite < 200) fail('the pods table region of the screenshot is blank');
  if (servicesStats.nonWhite < 200) fail('the services table region of the screenshot is blank');
  // Every running pod of the deployment is named among the Service's endpoints.
  const endpointsText = (await page.locator(`#services tbody tr[data-service="${deployment}"]`).allInnerTexts())
    .join('\n');
  const podNames = await page.locator('#pods tbody tr').evaluateAll((rows, name) => rows
    .filter((tr) => tr.children[1] && tr.children[1].textContent === name && tr.children[2].textContent === 'Running')
    .map((tr) => tr.children[0].textContent), deployment);
  for (const pod of podNames)
    if (!endpointsText.includes(pod)) fail(`the Service's endpoints do not name pod ${pod}: ${endpointsText}`);
  const text = await page.locator('main').innerText();
  for (const want of [deployment, 'Running', 'Scheduled'])
    if (!text.includes(want)) fail(`the page does not show "${want}"`);
  if (errors.length) fail('errors in the page: ' + errors.join('; '));
  console.log('dashboard test: screenshot ' + pngPath);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
