// Health end to end: real geosteer (startServer, UDP on 127.0.0.1, port 0) answering for sites
// whose VIPs are loopback addresses (127.0.7.x) with real HTTP, HTTPS, TCP and DNS health servers
// on them. Each test plays a datacenter failing or coming back and checks the answers move within
// the bounds docs/health.md gives, with one log line per transition saying why.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryUdp } from './helpers/dns-client.js';
import { hangingServer, HealthServer, healthServers } from './helpers/health-servers.js';
import { startServer, type StartOptions, type TestServer } from './helpers/server.js';
import { selfSignedCert } from './helpers/x509.js';

const ZONE = 'health.test';
const INTERVAL = 200;
/** The test process runs geosteer and every health server on one event loop: leave it room. */
const TIMEOUT = 150;
const FALL = 2;
const RISE = 2;
/** Scheduling, polling (every 10 ms) and a busy machine running other suites beside this one. */
const SLACK = 300;
const WITHDRAW_BOUND = FALL * INTERVAL + TIMEOUT + SLACK;
const RESTORE_BOUND = RISE * INTERVAL + SLACK;

const probe = (kind: string, port: number, more = '') =>
  `{ type: ${kind}, port: ${port}, interval: ${INTERVAL}ms, timeout: ${TIMEOUT}ms, rise: ${RISE}, fall: ${FALL}${more} }`;
const httpProbe = (port: number, more = '') => probe('http', port, `, path: /health${more}`);

interface SiteDef {
  addresses: string[];
  probe?: string;
  minHealthy?: number;
}

function zoneText(sites: Record<string, SiteDef>, records: Record<string, string[]>): string {
  const out = [`zone: ${ZONE}`, 'nameservers:', '  ns1.example.net.:', 'sites:'];
  for (const [name, s] of Object.entries(sites)) {
    out.push(`  ${name}:`, `    addresses: [${s.addresses.join(', ')}]`);
    if (s.probe) out.push(`    probe: ${s.probe}`);
    if (s.minHealthy) out.push(`    min_healthy: ${s.minHealthy}`);
  }
  out.push('records:');
  for (const [name, lines] of Object.entries(records))
    out.push(`  ${name}:`, ...lines.map((l) => `    ${l}`));
  return out.join('\n') + '\n';
}

/** Fresh loopback addresses for each test, so no two tests share a health endpoint. */
let nextHost = 1;
const hosts = (n: number) => Array.from({ length: n }, () => `127.0.7.${nextHost++}`);

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

async function serve(text: string, opts: StartOptions = {}): Promise<TestServer> {
  const s = await startServer({ [`${ZONE}.yaml`]: text }, opts);
  running.push(s);
  return s;
}
async function servers(...list: Promise<HealthServer[]>[]): Promise<HealthServer[][]> {
  const all = await Promise.all(list);
  for (const group of all) for (const h of group) running.push(h);
  return all;
}

interface Answer {
  rcode: string;
  addresses: string[];
  ttl: number | null;
}

async function ask(s: TestServer, name: string, type = 'A'): Promise<Answer> {
  const p = await queryUdp(s.port, `${name}.${ZONE}`, type);
  const rrs = (p.answers ?? []).filter((a) => a.type === type);
  return {
    rcode: (p as { rcode?: string }).rcode ?? 'NOERROR',
    addresses: rrs.map((a) => String((a as { data: string }).data)),
    ttl: rrs[0] && 'ttl' in rrs[0] ? (rrs[0].ttl ?? null) : null,
  };
}

/** Poll (every 10 ms) until `check` holds; the milliseconds it took. Fails after `limitMs`. */
async function until(
  check: () => Promise<boolean>,
  limitMs: number,
  what: string,
): Promise<number> {
  const t0 = performance.now();
  const deadline = t0 + limitMs;
  for (;;) {
    if (await check()) return performance.now() - t0;
    if (performance.now() > deadline) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const answersWith = (s: TestServer, name: string, addrs: string[]) => async () =>
  JSON.stringify((await ask(s, name)).addresses) === JSON.stringify(addrs);

/**
 * Wait for the answer a test starts from. The first answer is right already (the cold-start tests
 * check it, with a 500 ms timeout), but these tests use 150 ms timeouts, which a machine busy with
 * other suites can miss once; they measure what happens after, from a known start.
 */
async function settled(s: TestServer, name: string, addrs: string[]): Promise<void> {
  await until(answersWith(s, name, addrs), 3000, `${name} answers ${addrs.join(', ')}`);
}

/** Health transition lines logged so far. */
const transitions = (s: TestServer) =>
  s.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('health: ') && 'kind' in l);

describe('a datacenter fails and comes back', () => {
  it('is withdrawn within fall × interval + timeout, logged with why, and back within rise × interval', async () => {
    const [h1, h2] = hosts(2) as [string, string];
    const [[fra]] = (await servers(healthServers('http', [h1, h2]))) as [[HealthServer]];
    const s = await serve(
      zoneText(
        {
          fra: { addresses: [h1], probe: httpProbe(fra.port) },
          ams: { addresses: [h2], probe: httpProbe(fra.port) },
        },
        { www: ['steer: failover', 'groups: [[fra], [ams]]'] },
      ),
    );
    await settled(s, 'www', [h1]);

    await fra.stop();
    const down = await until(answersWith(s, 'www', [h2]), WITHDRAW_BOUND + 1000, 'fra withdrawn');
    expect(down).toBeLessThanOrEqual(WITHDRAW_BOUND);
    // Not on the first failure but the fall-th (consecutive: 2 below). No lower bound on the time:
    // a probe in flight when the server stops fails then, so the next tick may already be the 2nd.
    const label = `http://${h1}:${fra.port}/health`;
    expect(transitions(s).filter((l) => l.site === 'fra' && l.from !== 'unknown')).toMatchObject([
      {
        level: 40,
        kind: 'address',
        zone: ZONE,
        site: 'fra',
        address: h1,
        probe: label,
        from: 'up',
        to: 'down',
        reason: 'connect ECONNREFUSED',
        consecutive: 2,
        msg: `health: ${ZONE} fra ${h1} up → down after 2 failures in a row: connect ECONNREFUSED (${label})`,
      },
      {
        level: 40,
        kind: 'site',
        site: 'fra',
        from: 'available',
        to: 'unavailable',
        reason: '0 of 1 addresses up (min_healthy 1)',
        msg: `health: ${ZONE} site fra available → unavailable: 0 of 1 addresses up (min_healthy 1)`,
      },
    ]);

    await fra.start();
    const up = await until(answersWith(s, 'www', [h1]), RESTORE_BOUND + 1000, 'fra restored');
    expect(up).toBeLessThanOrEqual(RESTORE_BOUND);
    expect(
      transitions(s)
        .filter((l) => l.site === 'fra')
        .slice(-2),
    ).toMatchObject([
      { level: 30, kind: 'address', from: 'down', to: 'up', reason: 'HTTP 200', consecutive: 2 },
      { level: 30, kind: 'site', from: 'unavailable', to: 'available' },
    ]);
  });

  it('withdraws a single failing address while its site keeps answering with the rest', async () => {
    const [a1, a2, b1] = hosts(3) as [string, string, string];
    const [[s1, s2, s3]] = (await servers(healthServers('http', [a1, a2, b1]))) as [HealthServer[]];
    const p = httpProbe(s1!.port);
    const s = await serve(
      zoneText(
        { fra: { addresses: [a1, a2], probe: p }, ams: { addresses: [b1], probe: p } },
        { www: ['steer: failover', 'groups: [[fra], [ams]]'] },
      ),
    );
    await settled(s, 'www', [a1, a2]);
    s2!.status = 503;
    const took = await until(answersWith(s, 'www', [a1]), WITHDRAW_BOUND + 1000, 'a2 withdrawn');
    expect(took).toBeLessThanOrEqual(WITHDRAW_BOUND);
    expect(transitions(s).find((l) => l.address === a2 && l.to === 'down')).toMatchObject({
      reason: 'HTTP 503',
    });
    // Its site stayed available throughout.
    expect(
      transitions(s)
        .filter((l) => l.kind === 'site' && l.site === 'fra')
        .map((l) => l.to),
    ).toEqual(['available']);
    void s3;
  });

  it('min_healthy: a site with fewer up addresses is out, and the next group answers', async () => {
    const [a1, a2, b1] = hosts(3) as [string, string, string];
    const [[s1, s2]] = (await servers(healthServers('http', [a1, a2, b1]))) as [HealthServer[]];
    const p = httpProbe(s1!.port);
    const s = await serve(
      zoneText(
        {
          fra: { addresses: [a1, a2], probe: p, minHealthy: 2 },
          ams: { addresses: [b1], probe: p },
        },
        { www: ['steer: failover', 'groups: [[fra], [ams]]'] },
      ),
    );
    await settled(s, 'www', [a1, a2]);
    await s2!.stop();
    await until(answersWith(s, 'www', [b1]), WITHDRAW_BOUND + 1000, 'ams answers');
    expect(
      transitions(s).find((l) => l.kind === 'site' && l.site === 'fra' && l.to === 'unavailable'),
    ).toMatchObject({
      from: 'available',
      reason: '1 of 2 addresses up (min_healthy 2)',
    });
  });

  it('fails over group by group, and back', async () => {
    const [a, b, c] = hosts(3) as [string, string, string];
    const [[sa, sb]] = (await servers(healthServers('http', [a, b, c]))) as [HealthServer[]];
    const p = httpProbe(sa!.port);
    const s = await serve(
      zoneText(
        {
          one: { addresses: [a], probe: p },
          two: { addresses: [b], probe: p },
          three: { addresses: [c], probe: p },
        },
        { www: ['steer: failover', 'groups: [[one], [two], [three]]'] },
      ),
    );
    await settled(s, 'www', [a]);
    await sa!.stop();
    await until(answersWith(s, 'www', [b]), WITHDRAW_BOUND + 1000, 'group two');
    await sb!.stop();
    await until(answersWith(s, 'www', [c]), WITHDRAW_BOUND + 1000, 'group three');
    await sa!.start();
    await until(answersWith(s, 'www', [a]), RESTORE_BOUND + 1000, 'group one again');
  });
});

describe('when every site is down', () => {
  it('answers each when_all_down mode: serve_all fails open, fallback, nodata; drains stay out', async () => {
    const [a, b] = hosts(2) as [string, string];
    // Nothing listens on the probe port: every probe is refused from the start.
    const port = await freeTcpPort(a);
    const p = httpProbe(port);
    const s = await serve(
      zoneText(
        { fra: { addresses: [a], probe: p }, ams: { addresses: [b], probe: p } },
        {
          open: ['steer: failover', 'groups: [[fra], [ams]]', 'when_all_down: serve_all'],
          sorry: [
            'steer: failover',
            'groups: [[fra], [ams]]',
            'when_all_down: fallback',
            'fallback: [192.0.2.99]',
          ],
          gone: ['steer: failover', 'groups: [[fra], [ams]]', 'when_all_down: nodata'],
        },
      ),
    );
    expect(await ask(s, 'open')).toMatchObject({ rcode: 'NOERROR', addresses: [a] });
    expect(await ask(s, 'sorry')).toMatchObject({ rcode: 'NOERROR', addresses: ['192.0.2.99'] });
    expect(await ask(s, 'gone')).toMatchObject({ rcode: 'NOERROR', addresses: [] });
    // Failing open ignores health, never a drain.
    await s.server.health.setOverride({ zone: ZONE, site: 'fra' }, 'drain');
    expect((await ask(s, 'open')).addresses).toEqual([b]);
    expect(
      transitions(s)
        .filter((l) => l.kind === 'address')
        .map((l) => [l.address, l.from, l.to, l.reason]),
    ).toEqual([
      [a, 'unknown', 'down', 'connect ECONNREFUSED'],
      [b, 'unknown', 'down', 'connect ECONNREFUSED'],
    ]);
  });
});

describe('probe targets and probe types', () => {
  it('probes a separate target while answering the public VIP', async () => {
    const [t] = hosts(1) as [string];
    const [[target]] = (await servers(healthServers('http', [t]))) as [[HealthServer]];
    const s = await serve(
      zoneText(
        {
          fra: { addresses: ['192.0.2.10'], probe: httpProbe(target.port, `, target: ${t}`) },
          ams: { addresses: ['192.0.2.20'] },
        },
        { www: ['steer: failover', 'groups: [[fra], [ams]]'] },
      ),
    );
    await settled(s, 'www', ['192.0.2.10']);
    expect(target.requests).toBeGreaterThan(0);
    await target.stop();
    await until(answersWith(s, 'www', ['192.0.2.20']), WITHDRAW_BOUND + 1000, 'ams answers');
    expect(transitions(s).find((l) => l.to === 'down')).toMatchObject({
      address: '192.0.2.10',
      probe: `http://${t}:${target.port}/health`,
    });
  });

  it('HTTPS against a self-signed certificate: insecure passes, verification fails and says why', async () => {
    const [h1, h2] = hosts(2) as [string, string];
    const tls = selfSignedCert('health.test', ['health.test', h1, h2]);
    const [[ok]] = (await servers(healthServers('https', [h1, h2], tls))) as [HealthServer[]];
    const port = ok!.port;
    const s = await serve(
      zoneText(
        {
          lax: {
            addresses: [h1],
            probe: `{ type: https, port: ${port}, interval: 1s, timeout: 500ms, sni: health.test, insecure: true }`,
          },
          strict: {
            addresses: [h2],
            probe: `{ type: https, port: ${port}, interval: 1s, timeout: 500ms, sni: health.test }`,
          },
        },
        {
          lax: ['steer: failover', 'groups: [[lax]]', 'when_all_down: nodata'],
          strict: ['steer: failover', 'groups: [[strict]]', 'when_all_down: nodata'],
        },
      ),
    );
    await settled(s, 'lax', [h1]);
    expect((await ask(s, 'strict')).addresses).toEqual([]);
    expect(transitions(s).find((l) => l.address === h2)).toMatchObject({
      from: 'unknown',
      to: 'down',
      reason: 'TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
      probe: `https://${h2}:${port}/`,
    });
  });

  it('tcp and dns probes withdraw their addresses too', async () => {
    const [t, d, spare] = hosts(3) as [string, string, string];
    const [[tcp], [dns]] = (await servers(
      healthServers('tcp', [t]),
      healthServers('dns', [d]),
    )) as [[HealthServer], [HealthServer]];
    const s = await serve(
      zoneText(
        {
          t: { addresses: [t], probe: probe('tcp', tcp.port) },
          d: { addresses: [d], probe: probe('dns', dns.port, ', name: health.test, qtype: SOA') },
          spare: { addresses: [spare] },
        },
        {
          viatcp: ['steer: failover', 'groups: [[t], [spare]]'],
          viadns: ['steer: failover', 'groups: [[d], [spare]]'],
        },
      ),
    );
    await settled(s, 'viatcp', [t]);
    await settled(s, 'viadns', [d]);
    await tcp.stop();
    dns.status = 500;
    await until(answersWith(s, 'viatcp', [spare]), WITHDRAW_BOUND + 1000, 'tcp withdrawn');
    await until(answersWith(s, 'viadns', [spare]), WITHDRAW_BOUND + 1000, 'dns withdrawn');
    const why = (a: string) =>
      transitions(s).find((l) => l.address === a && l.to === 'down')?.reason;
    expect([why(t), why(d)]).toEqual(['connect ECONNREFUSED', 'DNS SERVFAIL']);
  });
});

describe('cold start: the first answers are already right', () => {
  // interval 5s: only the cold-start round can have decided by the first query.
  const coldZone = (a: string, b: string, port: number) =>
    zoneText(
      {
        primary: {
          addresses: [a],
          probe: `{ type: http, port: ${port}, interval: 5s, timeout: 500ms }`,
        },
        standby: {
          addresses: [b],
          probe: `{ type: http, port: ${port}, interval: 5s, timeout: 500ms }`,
        },
      },
      { www: ['steer: failover', 'groups: [[primary], [standby]]'] },
    );

  it('primary healthy at start: the first answer is the primary, never the standby', async () => {
    const [a, b] = hosts(2) as [string, string];
    const [[pa]] = (await servers(healthServers('http', [a, b]))) as [HealthServer[]];
    const s = await serve(coldZone(a, b, pa!.port));
    expect((await ask(s, 'www')).addresses).toEqual([a]);
    expect(
      s.logs.find((l) => String(l.msg).startsWith('health: first probe round done')),
    ).toMatchObject({
      complete: true,
      checks: 2,
      pending: 0,
    });
  });

  it('primary dead at start: the first answer is the standby, never the dead primary', async () => {
    const [a, b] = hosts(2) as [string, string];
    const [[pa, pb]] = (await servers(healthServers('http', [a, b]))) as [HealthServer[]];
    await pa!.stop();
    const s = await serve(coldZone(a, b, pb!.port));
    expect((await ask(s, 'www')).addresses).toEqual([b]);
  });

  it('a primary that hangs costs the start-up one timeout (500 ms), and the first answer is the standby', async () => {
    const [a, b] = hosts(2) as [string, string];
    const [[pb]] = (await servers(healthServers('http', [b]))) as [[HealthServer]];
    running.push(await hangingServer(a, pb.port));
    const t0 = performance.now();
    const s = await serve(coldZone(a, b, pb.port));
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(490);
    expect(took).toBeLessThan(500 + 1000);
    expect((await ask(s, 'www')).addresses).toEqual([b]);
    expect(transitions(s).find((l) => l.address === a)).toMatchObject({
      to: 'down',
      reason: 'timeout after 500 ms',
    });
  });

  it('a start-up wait shorter than a probe leaves it unknown (not up), and says so', async () => {
    const [a, b] = hosts(2) as [string, string];
    const [[pb]] = (await servers(healthServers('http', [b]))) as [[HealthServer]];
    running.push(await hangingServer(a, pb.port));
    const s = await serve(coldZone(a, b, pb.port), { probes: { coldStartMs: 100 } });
    expect((await ask(s, 'www')).addresses).toEqual([b]);
    expect(
      s.logs.find((l) => String(l.msg).startsWith('health: first probe round cut short')),
    ).toMatchObject({
      level: 40,
      complete: false,
      checks: 2,
      pending: 1,
    });
  });
});

describe('manual overrides through the health table', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'geosteer-health-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('drain and clear take effect at once and survive a restart through the state file', async () => {
    const [a, b] = hosts(2) as [string, string];
    const [[pa]] = (await servers(healthServers('http', [a, b]))) as [HealthServer[]];
    const text = zoneText(
      {
        fra: { addresses: [a], probe: httpProbe(pa!.port) },
        ams: { addresses: [b], probe: httpProbe(pa!.port) },
      },
      { www: ['steer: failover', 'groups: [[fra], [ams]]'] },
    );
    const stateFile = join(dir, 'state', 'geosteer-state.json');

    let s = await serve(text, { stateFile });
    await settled(s, 'www', [a]);
    await s.server.health.setOverride({ zone: ZONE, site: 'fra' }, 'drain', 'maintenance');
    expect((await ask(s, 'www')).addresses).toEqual([b]);
    expect(transitions(s).find((l) => l.kind === 'override')).toMatchObject({
      msg: `health: ${ZONE} fra override none → drain: maintenance`,
    });
    await s.stop();
    running.splice(running.indexOf(s), 1);

    s = await serve(text, { stateFile });
    // Drained before the listeners opened: the very first answer keeps fra out.
    expect((await ask(s, 'www')).addresses).toEqual([b]);
    expect(s.server.health.getOverride({ zone: ZONE, site: 'fra' })).toBe('drain');
    // Probes run under the override: once fra's says up, clearing brings fra back at once.
    await until(
      async () => {
        const fra = s.server.health.snapshot().zones[0]!.sites.find((x) => x.site === 'fra')!;
        return fra.addresses[0]!.verdict === 'up';
      },
      3000,
      'fra probed up',
    );
    await s.server.health.clearOverride({ zone: ZONE, site: 'fra' });
    expect((await ask(s, 'www')).addresses).toEqual([a]);
    await s.stop();
    running.splice(running.indexOf(s), 1);
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toEqual({ version: 1, overrides: [] });

    s = await serve(text, { stateFile });
    await settled(s, 'www', [a]);
  });

  it('forces a site up against its probes, and an address down against its probe', async () => {
    const [a1, a2, b] = hosts(3) as [string, string, string];
    const port = await freeTcpPort(a1);
    const [[pb]] = (await servers(healthServers('http', [b]))) as [[HealthServer]];
    const s = await serve(
      zoneText(
        {
          fra: { addresses: [a1, a2], probe: httpProbe(port) },
          ams: { addresses: [b], probe: httpProbe(pb.port) },
        },
        { www: ['steer: failover', 'groups: [[fra], [ams]]'] },
      ),
    );
    await settled(s, 'www', [b]);
    await s.server.health.setOverride({ zone: ZONE, site: 'fra' }, 'up');
    expect((await ask(s, 'www')).addresses).toEqual([a1, a2]);
    await s.server.health.setOverride({ zone: ZONE, site: 'fra', address: a2 }, 'down');
    expect((await ask(s, 'www')).addresses).toEqual([a1]);
  });
});

describe('reload', () => {
  it('stops probing removed sites and keeps the state of unchanged ones', async () => {
    const [a, b] = hosts(2) as [string, string];
    const [[pa, pb]] = (await servers(healthServers('http', [a, b]))) as [HealthServer[]];
    const p = httpProbe(pa!.port);
    const both = zoneText(
      { fra: { addresses: [a], probe: p }, ams: { addresses: [b], probe: p } },
      { www: ['steer: failover', 'groups: [[fra], [ams]]'] },
    );
    const s = await serve(both);
    await until(async () => pb!.requests >= 3, 2000, 'ams probed');
    const fraBefore = s.server.health.snapshot().zones[0]!.sites.find((x) => x.site === 'fra')!
      .addresses[0]!;

    await s.write(
      `${ZONE}.yaml`,
      both.replace(/ {2}ams:\n.*\n.*\n/, '').replace('[[fra], [ams]]', '[[fra]]'),
    );
    expect((await s.server.reload('test')).ok).toBe(true);
    expect(s.server.prober.checks().map((c) => c.addresses.map((x) => x.site))).toEqual([['fra']]);
    // fra's probes are the clock. Two more: a probe of ams in flight at the reload has landed (its
    // timeout is shorter than an interval). Three more after that: three intervals without ams.
    const fraTicks = async (n: number, what: string) => {
      const from = pa!.requests;
      await until(async () => pa!.requests >= from + n, 5000, what);
    };
    await fraTicks(2, 'fra probed twice after the reload');
    const amsSeen = pb!.requests;
    await fraTicks(3, 'fra probed three more times');
    expect(pb!.requests).toBe(amsSeen);

    const fraAfter = s.server.health.snapshot().zones[0]!.sites.find((x) => x.site === 'fra')!
      .addresses[0]!;
    expect(fraAfter.verdict).toBe('up');
    expect(fraAfter.lastTransition).toEqual(fraBefore.lastTransition);
    expect(fraAfter.successes).toBeGreaterThan(fraBefore.successes);
    expect(transitions(s).filter((l) => l.address === a).length).toBe(1); // unknown → up, once
    expect(s.server.health.has({ zone: ZONE, site: 'ams' })).toBe(false);
  });
});

describe('TTL near trouble', () => {
  it('caps the TTL while a flip may be near, and for a while after one', async () => {
    const [a, b] = hosts(2) as [string, string];
    const [[pa]] = (await servers(healthServers('http', [a, b]))) as [HealthServer[]];
    const s = await serve(
      zoneText(
        {
          fra: {
            addresses: [a],
            probe: `{ type: http, port: ${pa!.port}, interval: ${INTERVAL}ms, timeout: ${TIMEOUT}ms, rise: 2, fall: 3 }`,
          },
          ams: { addresses: [b] },
        },
        { www: ['steer: failover', 'groups: [[fra], [ams]]', 'ttl: 30'] },
      ),
    );
    await settled(s, 'www', [a]);
    expect(await ask(s, 'www')).toMatchObject({ addresses: [a], ttl: 30 });
    pa!.status = 503;
    // One failure of three: fra could be withdrawn in 2 intervals, so the TTL is at most that.
    // Still answered (not yet withdrawn), with the TTL capped, in one and the same answer.
    await until(
      async () => {
        const r = await ask(s, 'www');
        return r.ttl === 1 && r.addresses.length === 1 && r.addresses[0] === a;
      },
      WITHDRAW_BOUND,
      'fra answered with a capped TTL',
    );
    await until(answersWith(s, 'www', [b]), 3 * INTERVAL + TIMEOUT + SLACK, 'ams answers');
    // ams itself is steady: nothing near, the record's TTL.
    expect(await ask(s, 'www')).toMatchObject({ addresses: [b], ttl: 30 });
    pa!.status = 200;
    await until(answersWith(s, 'www', [a]), RESTORE_BOUND + 500, 'fra back');
    // Just flipped: it may flap, so answers holding it are kept short.
    expect(await ask(s, 'www')).toMatchObject({ addresses: [a], ttl: 1 });
  });
});

/** A port on `host` that nothing listens on (bound, then closed). */
async function freeTcpPort(host: string): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
