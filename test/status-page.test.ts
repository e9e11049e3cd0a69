// The status page in a real browser (Debian's Chromium through playwright-core, headless) against
// a real geosteer whose sites are loopback addresses with real HTTP health servers on them: what
// an operator sees on the map follows the probes, a drain clicked on the page leaves the site out
// of real DNS answers, explain agrees with the CLI, a token keeps everything behind the prompt,
// and a page from another origin cannot change anything. One browser for the file; screenshots go
// to test-artifacts/status-page/ (gitignored).
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { geoNaturalEarth1 } from 'd3-geo';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_BYTES, buildPage } from '../scripts/build-page.js';
import { launch } from '../scripts/page-screenshot.js';
import { LOOPBACK_ADMIN, request } from './helpers/admin.js';
import { runCliToEnd } from './helpers/cli.js';
import { queryUdp } from './helpers/dns-client.js';
import { HealthServer, healthServers } from './helpers/health-servers.js';
import { startServer, type TestServer } from './helpers/server.js';

const ZONE = 'page.test';
const ARTIFACTS = 'test-artifacts/status-page';
/** Probe timing loose enough for a browser and other suites sharing two cores: no flapping. */
const INTERVAL = 500;
const TIMEOUT = 400;
const FALL = 2;
const RISE = 2;
/** The page polls once a second; a marker follows within one poll of the health table. */
const POLL = 1000;
/** Scheduling, rendering, and a busy machine running other suites beside this one. */
const SLACK = 1500;

const SITES = {
  fra: { hosts: ['127.0.9.1'], lat: 50.11, lon: 8.68 },
  nyc: { hosts: ['127.0.9.2', '127.0.9.3'], lat: 40.71, lon: -74.01 },
  syd: { hosts: ['127.0.9.4'], lat: -33.87, lon: 151.21 },
} as const;
type SiteName = keyof typeof SITES;

function zoneText(port: number): string {
  const probe = `{ type: http, port: ${port}, path: /health, interval: ${INTERVAL}ms, timeout: ${TIMEOUT}ms, rise: ${RISE}, fall: ${FALL} }`;
  const sites = Object.entries(SITES).flatMap(([name, s]) => [
    `  ${name}:`,
    `    location: { lat: ${s.lat}, lon: ${s.lon} }`,
    `    addresses: [${s.hosts.join(', ')}]`,
    `    probe: ${probe}`,
  ]);
  return [
    `zone: ${ZONE}`,
    'nameservers:',
    '  ns1.example.net.:',
    'sites:',
    ...sites,
    'records:',
    '  www:',
    '    steer: weighted',
    '    sites: { fra: 1, nyc: 1, syd: 1 }',
    '  all:',
    '    steer: weighted',
    '    sites: [fra, nyc, syd]',
    '    answers: 4',
    '  db:',
    '    steer: failover',
    '    groups: [[nyc], [fra, syd]]',
    '',
  ].join('\n');
}

let browser: Browser;
let s: TestServer;
let base: string;
let targets: Record<SiteName, HealthServer[]>;
let context: BrowserContext;
let page: Page;
const requests: Request[] = [];
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  await buildPage();
  await mkdir(ARTIFACTS, { recursive: true });
  const all = await healthServers(
    'http',
    Object.values(SITES).flatMap((x) => [...x.hosts]),
  );
  stops.push(...all.map((h) => () => h.stop()));
  const byHost = new Map(all.map((h) => [h.host, h]));
  targets = Object.fromEntries(
    Object.entries(SITES).map(([n, x]) => [n, x.hosts.map((h) => byHost.get(h)!)]),
  ) as Record<SiteName, HealthServer[]>;
  s = await startServer({ [`${ZONE}.yaml`]: zoneText(all[0]!.port) }, { admin: LOOPBACK_ADMIN });
  stops.push(() => s.stop());
  base = s.admin!.address!.url;
  browser = await launch();
  stops.push(() => browser.close());
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.on('request', (r) => requests.push(r));
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

/** The addresses `all` is answered with: every available site's (answers: 4). */
async function answered(): Promise<Set<string>> {
  const p = await queryUdp(s.port, `all.${ZONE}`, 'A');
  return new Set(
    (p.answers ?? [])
      .filter((a) => a.type === 'A')
      .map((a) => String((a as { data: string }).data)),
  );
}

const marker = (site: string) => page.locator(`#markers .marker[data-site="${site}"]`);

async function markerState(site: string, state: string, within: number): Promise<void> {
  await expect
    .poll(() => marker(site).getAttribute('data-state'), { timeout: within, interval: 50 })
    .toBe(state);
}

function loopback(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'data:' || /^127\./.test(u.hostname) || u.hostname === '[::1]';
}

describe('the status page', () => {
  it('loads from geosteer alone, within its size budget, with one marker per site where Natural Earth puts it', async () => {
    const gz = await buildPage();
    expect(gz).toBeLessThanOrEqual(BUDGET_BYTES);
    await page.goto(base + '/');
    await expect.poll(() => page.locator('#markers .marker').count()).toBe(3);
    await markerState('nyc', 'up', 5000);
    const svg = page.locator('#map');
    const fit = {
      k: Number(await svg.getAttribute('data-k')),
      tx: Number(await svg.getAttribute('data-tx')),
      ty: Number(await svg.getAttribute('data-ty')),
    };
    const projection = geoNaturalEarth1().scale(fit.k).translate([fit.tx, fit.ty]);
    for (const [name, site] of Object.entries(SITES)) {
      const [x, y] = projection([site.lon, site.lat])!;
      const t = await marker(name).getAttribute('transform');
      const m = /^translate\(([-\d.]+) ([-\d.]+)\)$/.exec(t ?? '');
      expect(m, `${name}: ${t}`).not.toBeNull();
      expect(Number(m![1])).toBeCloseTo(x, 1);
      expect(Number(m![2])).toBeCloseTo(y, 1);
      // The marker is inside the drawn map.
      const box = (await page.locator('#map').getAttribute('viewBox'))!.split(' ').map(Number);
      expect(x).toBeGreaterThan(0);
      expect(x).toBeLessThan(box[2]!);
      expect(y).toBeGreaterThan(0);
      expect(y).toBeLessThan(box[3]!);
    }
    // Colour is never alone: every marker says its state in words.
    await expect.poll(() => marker('fra').locator('.label .state').textContent()).toMatch(/^UP · /);
    expect(await page.locator('table.sites tbody tr.site-row').count()).toBe(3);
    await page.screenshot({ path: `${ARTIFACTS}/desktop-1280x800.png` });
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.map((r) => r.url()).filter((u) => !loopback(u))).toEqual([]);
  });

  it('fits a phone: nothing wider than 390 px, the map and the sites table both there', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(base + '/');
    await phone.locator('#markers .marker').first().waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      390,
    );
    expect(await phone.locator('table.sites tbody tr.site-row').count()).toBe(3);
    await phone.screenshot({ path: `${ARTIFACTS}/phone-390.png`, fullPage: true });
    await phone.close();
  });

  it('turns a site down when its health target stops, and up again when it is back, with the log line', async () => {
    await markerState('syd', 'up', 5000);
    const [syd] = targets.syd;
    await syd!.stop();
    await markerState('syd', 'down', FALL * INTERVAL + TIMEOUT + POLL + SLACK);
    expect(await marker('syd').locator('.label .state').textContent()).toMatch(/^DOWN · /);
    const logged = s.logs
      .map((l) => String(l.msg))
      .filter((m) => m.startsWith(`health: ${ZONE} syd 127.0.9.4 up → down`));
    expect(logged.length).toBeGreaterThan(0);
    // Newest first: the site's own transition (available → unavailable) came after it.
    await expect
      .poll(() => page.locator('#transitions li .msg').allTextContents())
      .toContain(logged.at(-1)!.replace(/^health: /, ''));
    await page.screenshot({ path: `${ARTIFACTS}/site-down.png` });
    await syd!.start();
    await markerState('syd', 'up', RISE * INTERVAL + POLL + SLACK);
  });

  it('drains a site from the page: a confirmation says what changes, DNS answers leave it out, the marker says drained', async () => {
    const ALL = new Set(['127.0.9.1', '127.0.9.2', '127.0.9.3', '127.0.9.4']);
    await expect.poll(answered, { timeout: 5000 }).toEqual(ALL);
    const row = page.locator('tr.site-row[data-site="fra"]');
    await row.locator('button[data-action="drain"]').click();
    const dialog = page.locator('dialog#confirm');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const said = await dialog.textContent();
    expect(said).toContain(`Site fra in zone ${ZONE}`);
    expect(said).toContain('left out of every DNS answer');
    await dialog.locator('#confirm-reason').fill('CHG-1 browser test');
    await dialog.locator('#confirm-go').click();
    await expect
      .poll(() => page.locator('#result').textContent())
      .toContain(`${ZONE} fra: override none → drain; site not available (override drain)`);
    const after = await answered();
    expect(after).not.toContain('127.0.9.1');
    expect(after).toEqual(new Set(['127.0.9.2', '127.0.9.3', '127.0.9.4']));
    await markerState('fra', 'drained', POLL + SLACK);
    expect(await marker('fra').locator('.label .state').textContent()).toMatch(/^DRAINED · /);
    await page.screenshot({ path: `${ARTIFACTS}/drained.png` });

    await row.locator('button[data-action="undrain"]').click();
    await dialog.locator('#confirm-go').click();
    await markerState('fra', 'up', POLL + SLACK);
    expect(await answered()).toContain('127.0.9.1');
  });

  it('forces one address down from its row, and the site shows degraded', async () => {
    const row = page.locator('tr.site-row[data-site="nyc"]');
    await row.locator('button.disclose').click();
    const addr = page.locator('tr[data-address="127.0.9.3"]');
    await addr.locator('button[data-action="force-down"]').click();
    expect(await page.locator('#confirm-what').textContent()).toContain(
      'Address 127.0.9.3 of site nyc',
    );
    await page.locator('#confirm-go').click();
    await markerState('nyc', 'degraded', POLL + SLACK);
    expect(await answered()).not.toContain('127.0.9.3');
    await page.locator('tr[data-address="127.0.9.3"] button[data-action="clear"]').click();
    await page.locator('#confirm-go').click();
    await markerState('nyc', 'up', POLL + SLACK);
  });

  it('explains with the same site as `geosteer explain`', async () => {
    const form = page.locator('#explain-form');
    await form.locator('input[name="name"]').fill(`db.${ZONE}`);
    await form.locator('input[name="client"]').fill('192.0.2.1');
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('#explain-sites strong').textContent()).toBe('nyc');
    const shown = (await page.locator('#explain-text').textContent())!;
    const cli = await runCliToEnd(
      'explain',
      `db.${ZONE}`,
      'A',
      '--client',
      '192.0.2.1',
      '--zones',
      s.dir,
    );
    expect([cli.code, cli.stderr]).toEqual([0, '']);
    const answering = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.includes('<- answers'))
        .map((l) => l.trim().split(/\s+/)[0]);
    expect(answering(cli.stdout)).toEqual(['nyc']);
    expect(answering(shown)).toEqual(answering(cli.stdout));
  });
});

describe('with a token', () => {
  const TOKEN = 'cGFnZS10ZXN0LXRva2Vu';
  let t: TestServer;

  beforeAll(async () => {
    t = await startServer(
      { [`${ZONE}.yaml`]: zoneText(targets.fra[0]!.port) },
      { admin: { ...LOOPBACK_ADMIN, token: TOKEN } },
    );
    stops.push(() => t.stop());
  });

  it('shows nothing but the prompt until given the token, then sends it with every request and never in a URL', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const seen: Request[] = [];
    ctx.on('request', (r) => seen.push(r));
    const p = await ctx.newPage();
    const url = t.admin!.address!.url;
    await p.goto(url + '/');
    await p.locator('#login').waitFor({ state: 'visible' });
    expect(await p.locator('#app').isVisible()).toBe(false);
    const visible = (await p.locator('body').innerText()).trim();
    expect(visible).toMatch(/^\W*geosteer\s+This admin API needs its bearer token/);
    expect(visible).not.toMatch(/fra|nyc|syd|page\.test/);
    expect(await p.locator('#markers .marker').count()).toBe(0);
    const dashboards = seen.filter((r) => r.url().endsWith('/dashboard'));
    expect(dashboards.length).toBeGreaterThan(0);
    for (const r of dashboards) expect((await r.response())?.status()).toBe(401);
    await p.screenshot({ path: `${ARTIFACTS}/token-prompt.png` });

    await p.locator('#token').fill(TOKEN);
    await p.locator('#login-form button[type="submit"]').click();
    await expect.poll(() => p.locator('#markers .marker').count()).toBe(3);
    const after = seen.filter((r) => r.url().endsWith('/dashboard')).slice(dashboards.length);
    expect(after.length).toBeGreaterThan(0);
    for (const r of after) expect(await r.headerValue('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(seen.filter((r) => r.url().includes(TOKEN))).toEqual([]);
    expect(t.logs.filter((l) => JSON.stringify(l).includes(TOKEN))).toEqual([]);
    await ctx.close();
  });
});

// Holds with the admin API's anti-forgery guard (src/admin/guard.ts, the hardening issue): Host,
// Origin / Sec-Fetch-Site and Content-Type: application/json on every change.
describe('a page from another origin', () => {
  let evil: Server;

  afterAll(async () => {
    await new Promise<void>((r) => (evil ? evil.close(() => r()) : r()));
  });

  it('cannot change anything: a cross-site form and fetches to the admin API are refused (4xx) and fra stays in the answers', async () => {
    const target = `${base}/sites/fra/drain?reason=forged`;
    const html = `<!doctype html><title>elsewhere</title>
<form id="f" method="POST" action="${target}" enctype="text/plain"><input name='{"a":"' value='1"}'></form>
<script>
fetch(${JSON.stringify(target.replace('fra', 'syd'))}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{}' }).catch(() => {});
fetch(${JSON.stringify(target.replace('fra', 'nyc'))}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => {});
setTimeout(() => document.getElementById('f').submit(), 300);
</script>`;
    evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(html);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.2', () => r()));
    const evilUrl = `http://127.0.0.2:${(evil.address() as AddressInfo).port}/`;
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    const posts: { url: string; status: number | null }[] = [];
    p.on('requestfinished', (r) => {
      if (r.method() === 'POST')
        void r
          .response()
          .then((res) => posts.push({ url: r.url(), status: res?.status() ?? null }));
    });
    const ALL = new Set(['127.0.9.1', '127.0.9.2', '127.0.9.3', '127.0.9.4']);
    await expect.poll(answered, { timeout: 5000 }).toEqual(ALL);
    const overrides = async () =>
      ((await request(base, 'GET', '/status')).json as { overrides: unknown[] }).overrides;
    expect(await overrides()).toEqual([]);
    await p.goto(evilUrl);
    // The form navigates to the admin API's reply.
    await p.waitForURL((u) => u.toString().startsWith(base), { timeout: 5000 });
    await p.waitForLoadState();
    const form = posts.find((x) => x.url.startsWith(`${base}/sites/fra/`));
    expect(form?.status).toBeGreaterThanOrEqual(400);
    expect(form?.status).toBeLessThan(500);
    await ctx.close();
    // Nothing changed: no override anywhere, and every site still in the answers.
    expect(await overrides()).toEqual([]);
    expect(await answered()).toEqual(ALL);
  });
});
