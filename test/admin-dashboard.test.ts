// GET /dashboard, the status page's data, and the page's files: traffic rates and shares from the
// handler's tallies (exact, with an injected clock), the last 100 transitions in the log's own
// words, reloads per zone, and which routes need the token (the page's files do not; its data
// does). A real geosteer with its admin listener on 127.0.0.1 port 0, asked over real HTTP; DNS
// queries over real UDP.
import { afterEach, describe, expect, it } from 'vitest';
import { Activity, TRANSITIONS_KEPT } from '../src/admin/page/activity.js';
import type { DashboardDocument } from '../src/admin/page/dashboard.js';
import { TrafficSampler } from '../src/admin/page/traffic.js';
import { transitionMessage } from '../src/health/log.js';
import { HealthTable, type Transition } from '../src/health/table.js';
import type { AnswerTally } from '../src/server/handler.js';
import { queryUdp } from './helpers/dns-client.js';
import { LOOPBACK_ADMIN, request } from './helpers/admin.js';
import { startServer, type TestServer } from './helpers/server.js';

const ZONE_YAML = `
zone: d.test
nameservers:
  ns1.d.test: [192.0.2.53]
sites:
  fra:
    location: { lat: 50.11, lon: 8.68 }
    country: DE
    addresses: [192.0.2.10]
  iad:
    addresses: [192.0.2.20]
records:
  www:
    steer: weighted
    sites: { fra: 3, iad: 1 }
  static:
    A: [192.0.2.1]
`;

const running: TestServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function serve(token: string | null = null): Promise<{ s: TestServer; base: string }> {
  const s = await startServer(
    { 'd.test.yaml': ZONE_YAML },
    { admin: { ...LOOPBACK_ADMIN, token } },
  );
  running.push(s);
  return { s, base: s.admin!.address!.url };
}

const dashboard = async (base: string) =>
  (await request(base, 'GET', '/dashboard')).json as DashboardDocument;

/** A tally as the handler keeps one: running totals per kind of answer. */
function tally(zone: string, policy: string | null, sites: string[], n: number): AnswerTally {
  return { zone, qtype: 1, rcode: 0, policy, sites, udp: n, tcp: 0 };
}

describe('traffic', () => {
  it('answers per second over the last 10 s and shares over the last minute, from running totals', () => {
    let now = 1_000_000;
    const fra = tally('d.test', 'weighted', ['fra'], 0);
    const iad = tally('d.test', 'weighted', ['iad'], 0);
    const both = tally('d.test', 'weighted', ['fra', 'iad'], 0);
    const plain = tally('d.test', null, [], 0);
    const t = new TrafficSampler(
      () => [fra, iad, both, plain],
      () => now,
    );
    t.sample();
    // 70 s: fra 30 a second, iad 10, and for the last 10 s only fra, at 50 a second.
    for (let s = 1; s <= 70; s++) {
      now += 1000;
      if (s <= 60) {
        fra.udp += 30;
        iad.tcp += 10;
      } else fra.udp += 50;
      plain.udp += 1;
      t.sample();
    }
    both.udp += 100; // answers holding both sites, since the last sample
    const r = t.report();
    expect(r.rateWindowSeconds).toBe(10);
    expect(r.shareWindowSeconds).toBe(60);
    const site = (name: string) => r.sites.find((x) => x.site === name)!;
    // The last 10 s: fra 500 + 100, iad 0 + 100.
    expect(site('fra').perSecond).toBe(60);
    expect(site('iad').perSecond).toBe(10);
    // The last 60 s (samples 10..70): fra alone 50×30 + 10×50 = 2000, iad alone 50×10 = 500, and
    // the 100 holding both: 2600 steered answers, of which 2100 held fra and 600 iad (the shares
    // add up to more than 1: each is the share of answers holding that site).
    expect(site('fra')).toMatchObject({ lastMinute: 2100, share: 0.808 });
    expect(site('iad')).toMatchObject({ lastMinute: 600, share: 0.231 });
    // By policy each answer counts once: 500 + 100 in the last 10 s.
    expect(r.policies).toEqual([
      { zone: 'd.test', policy: 'weighted', perSecond: 60, lastMinute: 2600 },
      { zone: 'd.test', policy: 'none', perSecond: 1, lastMinute: 60 },
    ]);
  });

  it('counts real queries: the last minute holds exactly the answers sent, by site and by policy', async () => {
    const { s, base } = await serve();
    for (let i = 0; i < 8; i++) await queryUdp(s.port, 'www.d.test', 'A');
    await queryUdp(s.port, 'static.d.test', 'A');
    const d = await dashboard(base);
    const of = (site: string) => d.traffic.sites.find((x) => x.site === site);
    // Weighted 3:1 over 8 answers: fra 6, iad 2.
    expect(of('fra')).toMatchObject({ zone: 'd.test', lastMinute: 6, share: 0.75 });
    expect(of('iad')).toMatchObject({ zone: 'd.test', lastMinute: 2, share: 0.25 });
    expect(d.traffic.policies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ policy: 'weighted', lastMinute: 8 }),
        expect.objectContaining({ policy: 'none', lastMinute: 1 }),
      ]),
    );
    expect(d.places['d.test']).toEqual({
      fra: { lat: 50.11, lon: 8.68, country: 'DE' },
      iad: { lat: null, lon: null, country: null },
    });
    // The parts docs/admin.md#get-dashboard lists.
    expect(Object.keys(d).sort()).toEqual(
      ['places', 'process', 'reloads', 'status', 'traffic', 'transitions', 'zones'].sort(),
    );
    expect(d.status.zones.map((z) => z.name)).toEqual(['d.test']);
    expect(d.process).toMatchObject({ version: d.status.version, pid: process.pid, geoip: [] });
  });
});

describe('transitions', () => {
  it('keeps the last 100, newest first, worded as the log line', () => {
    const health = new HealthTable();
    const activity = new Activity();
    activity.observeHealth(health);
    const seen: Transition[] = [];
    health.onTransition((t) => seen.push(t));
    for (let i = 0; i < 60; i++) {
      void health.setOverride({ zone: 'd.test', site: 'fra' }, 'drain', `CHG-${i}`);
      void health.setOverride({ zone: 'd.test', site: 'fra' }, null, `CHG-${i}`);
    }
    const kept = activity.recentTransitions();
    expect(seen.length).toBeGreaterThan(TRANSITIONS_KEPT);
    expect(kept).toHaveLength(TRANSITIONS_KEPT);
    expect(kept.map((t) => t.message)).toEqual(
      seen.slice(-TRANSITIONS_KEPT).reverse().map(transitionMessage),
    );
  });

  it('shows a drain made through the API as the log wrote it', async () => {
    const { s, base } = await serve();
    expect((await request(base, 'POST', '/sites/fra/drain?reason=CHG-7')).status).toBe(200);
    const d = await dashboard(base);
    const logged = s.logs
      .filter((l) => String(l.msg).startsWith('health: d.test'))
      .map((l) => String(l.msg));
    expect(logged.length).toBeGreaterThan(0);
    expect(d.transitions.map((t) => t.message)).toEqual([...logged].reverse());
    expect(d.transitions.find((t) => t.kind === 'override')).toMatchObject({
      zone: 'd.test',
      site: 'fra',
      from: 'none',
      to: 'drain',
    });
  });
});

describe('reloads', () => {
  it("shows a rejected reload as the zone's last reload error, and the generation a change made", async () => {
    const { s, base } = await serve();
    await s.write('d.test.yaml', ZONE_YAML.replace('fra: 3', 'fra: 0'));
    await s.server.reloader.reload('test');
    let d = await dashboard(base);
    expect(d.reloads[0]).toMatchObject({ reason: 'test', result: 'rejected', generation: 1 });
    const z = d.zones[0]!;
    expect(z).toMatchObject({ name: 'd.test', generation: 1, lastReload: { result: 'rejected' } });
    expect(z.lastError!.problems.length).toBeGreaterThan(0);
    for (const p of z.lastError!.problems)
      expect(p).toMatch(/d\.test\.yaml:\d+:\d+: .*\[[a-z-]+\]$/);

    await s.write('d.test.yaml', ZONE_YAML.replace('fra: 3', 'fra: 2'));
    await s.server.reloader.reload('test again');
    d = await dashboard(base);
    expect(d.reloads.map((r) => r.result)).toEqual(['changed', 'rejected']);
    expect(d.zones[0]).toMatchObject({ generation: 2, lastReload: { result: 'changed' } });
    expect(d.zones[0]!.loadedAt).toBe(d.reloads[0]!.at);
    // The error stays listed (with its time) after a good reload: it is the last one there was.
    expect(d.zones[0]!.lastError).not.toBeNull();
  });
});

describe('which routes need the token', () => {
  const TOKEN = 'ZGFzaGJvYXJkLXRva2Vu';

  it('serves the page and its files without it (they hold no data), and /dashboard only with it', async () => {
    const { base } = await serve(TOKEN);
    for (const path of ['/', '/page/app.js', '/page/style.css']) {
      const r = await request(base, 'GET', path);
      // 200 once `npm run build` has run, 503 (saying to run it) before: never 401.
      expect([200, 503], path).toContain(r.status);
      expect(r.text).not.toContain('d.test');
      if (r.status === 200) {
        expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(r.headers.get('x-frame-options')).toBe('DENY');
      }
    }
    expect((await request(base, 'GET', '/dashboard')).status).toBe(401);
    expect((await request(base, 'GET', '/page/secret')).status).toBe(401);
    expect((await request(base, 'POST', '/')).status).toBe(401);
    const d = await request(base, 'GET', '/dashboard', { token: TOKEN });
    expect(d.status).toBe(200);
  });
});
