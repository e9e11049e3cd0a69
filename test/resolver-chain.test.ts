// The whole resolution chain, end to end, through a real recursive resolver: Unbound asks Knot
// for the parent zone example.test, follows its delegation (NS and glue) of gslb.example.test to
// geosteer (the parent role), and for the steer: delegate name edge follows geosteer's referral on
// to the site instances (geosteer --site). Resolvers only ever query delegated nameservers on port
// 53, so the chain runs in a network namespace this test creates, each server on port 53 of its
// own loopback address (test/helpers/netns.ts); that needs root, which CI has.
//
//   127.0.0.53  Unbound, the resolver: stub zone example.test → 127.0.0.2
//   127.0.0.2   knotd: example.test, delegating gslb.example.test to ns1.gslb (127.0.0.3)
//   127.0.0.3   geosteer: gslb.example.test
//   127.0.0.11  geosteer --site alpha: gslb.example.test, and the child zone edge for alpha
//   127.0.0.12  geosteer --site beta:  the same for beta
//   127.0.1.1   alpha's service address; its health endpoint is http://127.0.1.1:8080/health
//   127.0.1.2   beta's, likewise
//
// Then alpha fails in two steps: its nameserver instance stops (resolvers must go around it at
// once), then its health endpoint (every answer must leave it within the probe timing plus the
// TTLs). Unbound must never answer SERVFAIL and must never log a lame delegation.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOTD, knotConfig } from './helpers/knot.js';
import {
  createNetns,
  dig,
  type DigAnswer,
  type Netns,
  type NetnsProcess,
  sleep,
  until,
} from './helpers/netns.js';
import { startUnbound, type Unbound } from './helpers/unbound.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ZONE = 'gslb.example.test';

const RESOLVER = '127.0.0.53';
const KNOT = '127.0.0.2';
const PARENT = '127.0.0.3';
const NS_ADDR = { alpha: '127.0.0.11', beta: '127.0.0.12' } as const;
const VIP = { alpha: '127.0.1.1', beta: '127.0.1.2' } as const;
const STATIC = '127.0.2.1';

// Probe timing: a dead endpoint refuses at once, so it is withdrawn within fall × interval.
const PROBE =
  '{ type: http, port: 8080, path: /health, interval: 500ms, timeout: 250ms, rise: 2, fall: 2 }';
const WITHDRAW_MS = 2 * 500 + 250;

// beta is listed first for nearest: answering alpha shows the client's location decided, not the
// order (the order is only the ranking for clients with no location, docs/policies/nearest.md).
const GSLB_YAML = `zone: ${ZONE}
ttl: 60
soa:
  contact: hostmaster@example.test
  negative_ttl: 1
nameservers:
  ns1.${ZONE}: [${PARENT}]
sites:
  alpha:
    location: { lat: 50.11, lon: 8.68 } # Frankfurt
    addresses: [${VIP.alpha}]
    probe: ${PROBE}
    nameserver: { name: ns.alpha, addresses: [${NS_ADDR.alpha}] }
  beta:
    location: { lat: 40.42, lon: -3.7 } # Madrid
    addresses: [${VIP.beta}]
    probe: ${PROBE}
    nameserver: { name: ns.beta, addresses: [${NS_ADDR.beta}] }
records:
  static:
    A: ${STATIC}
  weighted:
    steer: weighted
    sites: { alpha: 1, beta: 1 }
    ttl: 1
  nearest:
    steer: nearest
    sites: [beta, alpha]
    ttl: 1
  edge:
    steer: delegate
    sites: [alpha, beta]
    ttl: 2
  www:
    CNAME: edge
`;

// Every client in the namespace is on 127.0.0.0/8, which no GeoIP database places: put it in
// Berlin, nearer Frankfurt (alpha) than Madrid (beta).
const OVERRIDES_YAML = `overrides:
  - network: 127.0.0.0/8
    location: { lat: 52.52, lon: 13.4 } # Berlin
    note: the test namespace's loopback
`;

const EXAMPLE_TEST_ZONE = `$ORIGIN example.test.
$TTL 60
@        SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 1
@        NS  ns1.example.test.
ns1      A   ${KNOT}
; the delegation of gslb.example.test to geosteer, with glue
gslb     NS  ns1.gslb.example.test.
ns1.gslb A   ${PARENT}
`;

/** Node's http server answering 200 "ok" on HOST:8080; prints "listening" once bound. */
const HEALTH_SERVER = `require('node:http')
  .createServer((req, res) => res.end('ok'))
  .listen(8080, process.argv[1], () => console.log('listening'));`;

let ns: Netns | undefined;
let unbound: Unbound | undefined;
let dir = '';
const health: Partial<Record<'alpha' | 'beta', NetnsProcess>> = {};
const geosteer: Partial<Record<'parent' | 'alpha' | 'beta', NetnsProcess>> = {};
/** Every answer Unbound gave, for the never-SERVFAIL check and for failure messages. */
const asked: { at: number; q: string; r: DigAnswer }[] = [];
const t0 = Date.now();

async function ask(name: string, type = 'A'): Promise<DigAnswer> {
  const r = await dig(ns!, RESOLVER, name, type);
  asked.push({ at: Date.now() - t0, q: `${name} ${type}`, r });
  expect(r.status, `${name} ${type} through Unbound:\n${r.text}`).toBe('NOERROR');
  return r;
}

const fqdn = (label: string) => `${label}.${ZONE}`;

/** The A addresses Unbound gives for `label`, after any CNAME. */
const addresses = async (label: string) => (await ask(fqdn(label))).data('A');

async function startHealth(site: 'alpha' | 'beta'): Promise<NetnsProcess> {
  const p = ns!.spawn(`health ${site}`, process.execPath, ['-e', HEALTH_SERVER, VIP[site]]);
  const up = await until(
    async () => (p.output().includes('listening') ? true : p.done() ? false : undefined),
    5000,
    () => `health endpoint of ${site} did not start: ${p.output()}`,
  );
  if (!up) throw new Error(`health endpoint of ${site} exited: ${p.output()}`);
  return p;
}

async function startKnot(): Promise<NetnsProcess> {
  const kdir = join(dir, 'knot');
  for (const sub of ['run', 'storage', 'zones']) await mkdir(join(kdir, sub), { recursive: true });
  await writeFile(join(kdir, 'zones', 'example.test.zone'), EXAMPLE_TEST_ZONE);
  // helpers/knot.ts's configuration, on this test's address and port 53.
  const conf = knotConfig(kdir, 53, ['example.test']).replace(
    /listen: 127\.0\.0\.1@53/,
    `listen: ${KNOT}@53`,
  );
  if (!conf.includes(`listen: ${KNOT}@53`))
    throw new Error(`knot config has no listen line:\n${conf}`);
  await writeFile(join(kdir, 'knot.conf'), conf);
  const p = ns!.spawn('knotd', KNOTD, ['-c', join(kdir, 'knot.conf')]);
  await serving(p, KNOT, 'example.test');
  return p;
}

async function startGeosteer(role: 'parent' | 'alpha' | 'beta'): Promise<NetnsProcess> {
  const addr = role === 'parent' ? PARENT : NS_ADDR[role];
  const args = [
    '--import',
    'tsx',
    'src/cli.ts',
    'serve',
    '--config',
    join(dir, 'geosteer.yaml'),
    '--listen',
    `${addr}:53`,
    '--zones',
    join(dir, 'zones'),
    '--no-watch',
    '--no-admin',
    '--state-file',
    join(dir, `state-${role}.json`),
    ...(role === 'parent' ? [] : ['--site', role]),
  ];
  const p = ns!.spawn(`geosteer ${role}`, process.execPath, args, { cwd: ROOT });
  await serving(p, addr, ZONE, 40_000);
  return p;
}

/** Wait until the server at `addr` answers `zone` SOA with authority. */
async function serving(p: NetnsProcess, addr: string, zone: string, timeoutMs = 10_000) {
  await until(
    async () => {
      if (p.done())
        throw new Error(
          `${p.label} exited (${p.child.exitCode ?? p.child.signalCode}):\n${p.output()}`,
        );
      const r = await dig(ns!, addr, zone, 'SOA', { recurse: false, timeoutS: 1 });
      return r.status === 'NOERROR' && r.flags.includes('aa') ? true : undefined;
    },
    timeoutMs,
    () => `${p.label} on ${addr} does not serve ${zone}:\n${p.output()}`,
    200,
  );
}

/**
 * Ask for `label` until `settled` holds for an answer, within `withinMs`, then `confirm` more
 * times (past the TTL) and expect it of every one. Every answer along the way must be NOERROR.
 */
async function movesTo(label: string, want: string[], withinMs: number, confirm = 4) {
  const start = Date.now();
  const seen: string[][] = [];
  await until(
    async () => {
      const a = await addresses(label);
      seen.push(a);
      return a.length && a.every((x) => want.includes(x)) ? a : undefined;
    },
    withinMs,
    () => `${label}: answers did not move to ${want.join(', ')}; saw ${JSON.stringify(seen)}`,
    150,
  );
  const movedMs = Date.now() - start;
  for (let i = 0; i < confirm; i++) {
    await sleep(500);
    expect(await addresses(label), `${label} after moving`).toSatisfy(
      (a: string[]) => a.length > 0 && a.every((x) => want.includes(x)),
    );
  }
  return movedMs;
}

beforeAll(async () => {
  ns = await createNetns();
  dir = await mkdtemp(join(tmpdir(), 'geosteer-chain-'));
  await mkdir(join(dir, 'zones'));
  await writeFile(join(dir, 'zones', `${ZONE}.yaml`), GSLB_YAML);
  await writeFile(join(dir, 'overrides.yaml'), OVERRIDES_YAML);
  await writeFile(join(dir, 'geosteer.yaml'), 'geoip:\n  overrides: overrides.yaml\n');

  // Health endpoints first, so every instance's first probe round finds both sites up.
  [health.alpha, health.beta] = await Promise.all([startHealth('alpha'), startHealth('beta')]);
  const [, parent, alpha, beta] = await Promise.all([
    startKnot(),
    startGeosteer('parent'),
    startGeosteer('alpha'),
    startGeosteer('beta'),
  ]);
  Object.assign(geosteer, { parent, alpha, beta });
  unbound = await startUnbound(ns, { address: RESOLVER, stubs: { 'example.test': [KNOT] } });
}, 60_000);

afterAll(async () => {
  // Every process by its PID, then the namespace; the temp directories last.
  await unbound?.stop().catch(() => {});
  await ns?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 20_000);

describe('through Unbound, Knot and geosteer on port 53 in a network namespace', () => {
  it('the chain is as delegated: Knot refers gslb.example.test to geosteer, geosteer refers edge to the sites', async () => {
    const knot = await dig(ns!, KNOT, fqdn('static'), 'A', { recurse: false });
    expect(knot.flags).not.toContain('aa');
    expect(knot.authority).toEqual([`${ZONE} 60 NS ns1.${ZONE}`]);

    const parent = await dig(ns!, PARENT, fqdn('edge'), 'A', { recurse: false });
    expect(parent.status).toBe('NOERROR');
    expect(parent.flags).not.toContain('aa');
    // The record's TTL, 2 s, or lower while a site is near a health change (docs/health.md).
    const referral = parent.authority.map((l) => l.split(' '));
    expect(referral.map(([owner, , type, target]) => `${owner} ${type} ${target}`).sort()).toEqual([
      `edge.${ZONE} NS ns.alpha.${ZONE}`,
      `edge.${ZONE} NS ns.beta.${ZONE}`,
    ]);
    for (const [, ttl] of referral) expect(Number(ttl)).toBeLessThanOrEqual(2);
    for (const site of ['alpha', 'beta'] as const) {
      const child = await dig(ns!, NS_ADDR[site], fqdn('edge'), 'A', { recurse: false });
      expect(child.flags, `${site}'s instance is authoritative for edge`).toContain('aa');
      expect(child.data('A')).toEqual([VIP[site]]);
    }
  });

  it('resolves a static name, with the apex SOA and NS geosteer serves', async () => {
    expect(await addresses('static')).toEqual([STATIC]);
    expect((await ask(ZONE, 'NS')).data('NS')).toEqual([`ns1.${ZONE}`]);
  });

  it('resolves a weighted name to each site in turn as its 1 s TTL runs out', async () => {
    const seen = new Set<string>();
    await until(
      async () => {
        for (const a of await addresses('weighted')) seen.add(a);
        return seen.size === 2 ? true : undefined;
      },
      8000,
      () => `weighted: saw only ${[...seen].join(', ')}`,
      300,
    );
    expect([...seen].sort()).toEqual([VIP.alpha, VIP.beta]);
  });

  it('resolves a nearest name to the site nearest the resolver (placed in Berlin by an override): alpha', async () => {
    expect(await addresses('nearest')).toEqual([VIP.alpha]);
  });

  it('resolves a delegated name through the referral to a site instance, which answers its own address', async () => {
    const r = await ask(fqdn('www'));
    expect(r.data('CNAME')).toEqual([`edge.${ZONE}`]);
    expect(r.data('A')).toHaveLength(1);
    expect([VIP.alpha, VIP.beta]).toContain(r.data('A')[0]);
    expect((await ask(fqdn('edge'), 'NS')).data('NS').sort()).toEqual([
      `ns.alpha.${ZONE}`,
      `ns.beta.${ZONE}`,
    ]);
  });

  it("with alpha's nameserver instance stopped, the delegated name keeps resolving, to beta, within its TTL", async () => {
    await geosteer.alpha!.stop();
    // The referral still names alpha's nameserver (its service is healthy); Unbound's query to
    // it is refused, and it goes on to beta's. Cached alpha answers last at most the 2 s TTL.
    const movedMs = await movesTo('www', [VIP.beta], 2000 + 3000);
    expect(movedMs).toBeLessThan(5000);
    // Names the parent answers are not affected.
    expect(await addresses('static')).toEqual([STATIC]);
    expect(await addresses('nearest')).toEqual([VIP.alpha]);
  });

  it("with alpha's health endpoint stopped, weighted and nearest move to beta within the probe timing and TTLs", async () => {
    await health.alpha!.stop();
    const bound = WITHDRAW_MS + 1000 + 3000; // withdrawal, the 1 s TTL, slack for a loaded CI box
    await movesTo('nearest', [VIP.beta], bound);
    await movesTo('weighted', [VIP.beta], bound);
    await movesTo('www', [VIP.beta], bound, 2);
    expect(await addresses('static')).toEqual([STATIC]);
  });

  it('Unbound never answered SERVFAIL and logged no lame delegation', async () => {
    const failures = asked.filter((a) => a.r.status !== 'NOERROR');
    expect(failures.map((f) => `${f.at} ms ${f.q}: ${f.r.status}`)).toEqual([]);
    expect(asked.length).toBeGreaterThan(20);
    const log = await unbound!.log();
    // At verbosity 2 Unbound logs how it classed every reply ("query response was LAME" for a
    // lame server) and every SERVFAIL with its reason (log-servfail).
    expect(log.split('\n').filter((l) => /lame|SERVFAIL/i.test(l))).toEqual([]);
    // ...and it did take the chain: Knot's referral, geosteer's referral for edge, a site's answer.
    expect(log).toContain('start of service');
    expect(log).toContain(`reply from <example.test.> ${KNOT}#53`);
    expect(log).toContain(`reply from <${ZONE}.> ${PARENT}#53`);
    const fromSites = Object.values(NS_ADDR).filter((a) =>
      log.includes(`reply from <edge.${ZONE}.> ${a}#53`),
    );
    expect(fromSites.length, 'replies from the site instances for edge').toBeGreaterThan(0);
  });
});
