// Rollovers validated through a real resolver's cache: Knot signs the parent example.test, Unbound
// trusts only the parent's key, and geosteer carries out a ZSK pre-publication (RFC 6781 4.1.1.1)
// and a KSK double-DS rollover (4.1.2) in one zone and a CSK double-DS rollover in another, on
// an injected clock, the test changing the parent's DS when the rollover says to give it the new DS (and removing the old one at the end).
//
// Unbound's cache is never flushed and Unbound is never restarted: it runs under libfaketime with
// its clock moved together with geosteer's (test/helpers/faketime.ts), so DNSKEY, DS and
// answer RRsets stay cached for exactly their TTLs on the same clock that drives the rollover.
// That is where a rollover breaks in real life (a key signing before resolvers' cached DNSKEY
// RRsets hold it), so the last case runs a rollover too fast for the DNSKEY TTL and shows
// Unbound rejecting it: the earlier steps pass because the timing is right, not because nothing
// was cached. The cases share that clock and run in order.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, rollover, status } from '../src/dnssec/command.js';
import { readZoneKeys, writeKeyFiles } from '../src/dnssec/key-files.js';
import { type DnssecKey, dsRData, generateKey } from '../src/dnssec/keys.js';
import { dnssecRdataText } from '../src/dnssec/present.js';
import { type KnotServer, startKnot } from './helpers/knot.js';
import { startServer, type TestServer } from './helpers/server.js';
import { fakeClockEnv, setClockOffset } from './helpers/faketime.js';
import {
  startValidatingUnbound,
  type ValidatingUnbound,
  writeParentAnchor,
} from './helpers/validating-unbound.js';
import { run } from './dnssec-fixture.js';

const PARENT = 'example.test';
/** A zone with a KSK and a ZSK. */
const ZONE = 'roll.example.test';
/** A zone with one combined signing key (the default). */
const CSK_ZONE = 'csk.example.test';
const MIN = 60;
/** The DNSKEY TTL: a pre-published key must wait at least this long before it signs. */
const DNSKEY_TTL = 10 * MIN;
/** The DS TTL at the parent: a new DS must wait this long before the old KSK stops signing. */
const DS_TTL = 5 * MIN;

let dir: string;
let keysDir: string;
/** The DS the parent serves, by child zone. */
const parentDs: Record<string, DnssecKey[]> = {};
let geosteer: TestServer;
let knot: KnotServer;
let unbound: ValidatingUnbound;
let serial = 1;
/** Seconds the shared clock (geosteer's and Unbound's) runs ahead of the real one. */
let offset = 0;
const now = () => Date.now() + offset * 1000;
const clockFile = () => join(dir, 'clock');

async function at(minutes: number): Promise<void> {
  offset = minutes * MIN;
  await setClockOffset(clockFile(), offset);
}

const io = (out: string[]): Io => ({ out: (s) => out.push(s), err: (s) => out.push(s), now });

function delegation(zone: string, ds: DnssecKey[]): string[] {
  return [
    `${zone}. 3600 IN NS ns1.${zone}.`,
    `ns1.${zone}. 3600 IN A 127.0.0.1`,
    ...ds.map((k) => `${zone}. ${DS_TTL} IN DS ${dnssecRdataText(dsRData(k))}`),
  ];
}

function parentZone(): string {
  return [
    `$ORIGIN ${PARENT}.`,
    `@ 3600 IN SOA ns1.${PARENT}. hostmaster.${PARENT}. ${serial} 7200 900 1209600 300`,
    `@ 3600 IN NS ns1.${PARENT}.`,
    `ns1 3600 IN A 127.0.0.1`,
    ...Object.entries(parentDs).flatMap(([zone, ds]) => delegation(zone, ds)),
    '',
  ].join('\n');
}

/** The parent serves exactly these DS: rewrite its zone file, reload Knot, wait until it does. */
async function parentServes(zone: string, ds: DnssecKey[]): Promise<void> {
  serial++;
  parentDs[zone] = ds;
  await writeFile(join(knot.dir, 'zones', `${PARENT}.zone`), parentZone());
  const r = await run('knotc', ['-c', join(knot.dir, 'knot.conf'), 'zone-reload', PARENT]);
  expect(r.code, r.out).toBe(0);
  const want = ds.map((k) => String(k.tag)).sort();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const q = await run('dig', ['@127.0.0.1', '-p', String(knot.port), '+short', zone, 'DS']);
    const tags = q.out
      .split('\n')
      .filter((l) => /^\d+ 13 2 /.test(l))
      .map((l) => l.split(' ')[0]!)
      .sort();
    if (JSON.stringify(tags) === JSON.stringify(want)) return;
    if (Date.now() > deadline)
      throw new Error(`Knot serves DS ${tags}, not ${want}: ${knot.log()}`);
  }
}

function zoneYaml(zone: string): string {
  return [
    `zone: ${zone}`,
    'ttl: 300',
    'soa:',
    `  primary: ns1.${zone}`,
    `  contact: hostmaster@${PARENT}`,
    '  negative_ttl: 60',
    'nameservers:',
    `  ns1.${zone}: [127.0.0.1]`,
    'dnssec:',
    `  keys: ${keysDir}`,
    `  dnskey_ttl: ${DNSKEY_TTL}`,
    'records:',
    '  www:',
    '    A: [192.0.2.1]',
    '',
  ].join('\n');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-rollover-unbound-'));
  keysDir = join(dir, 'keys');
  const yearAgo = Date.now() / 1000 - 365 * 86400;
  const ksk = generateKey(ZONE, { algorithm: 13, sep: true, now: yearAgo });
  const zsk = generateKey(ZONE, {
    algorithm: 13,
    sep: false,
    now: yearAgo,
    avoidTags: new Set([ksk.tag]),
  });
  const csk = generateKey(CSK_ZONE, { algorithm: 13, sep: true, now: yearAgo });
  for (const k of [ksk, zsk, csk]) await writeKeyFiles(keysDir, k);
  parentDs[ZONE] = [ksk];
  parentDs[CSK_ZONE] = [csk];
  geosteer = await startServer(
    { [`${ZONE}.yaml`]: zoneYaml(ZONE), [`${CSK_ZONE}.yaml`]: zoneYaml(CSK_ZONE) },
    { now },
  );

  knot = await startKnot({ [PARENT]: parentZone() }, 20_000, {
    sections: ['policy:', '  - id: parent', '    algorithm: ecdsap256sha256'].join('\n'),
    global: [],
    template: ['    dnssec-signing: on', '    dnssec-policy: parent'],
  });
  await writeParentAnchor(knot.port, PARENT, join(dir, 'anchor'), knot.log);
  await setClockOffset(clockFile(), 0);
  unbound = await startValidatingUnbound({
    dir,
    anchorFile: join(dir, 'anchor'),
    stubs: { [PARENT]: knot.port, [ZONE]: geosteer.port, [CSK_ZONE]: geosteer.port },
    env: await fakeClockEnv(clockFile()),
    readyZone: PARENT,
  });
}, 60_000);

afterAll(async () => {
  await unbound?.stop();
  await knot?.stop();
  await geosteer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const flags = (out: string) => /;; flags: ([a-z ]+);/.exec(out)?.[1]?.split(' ') ?? [];
const rcode = (out: string) => /status: ([A-Z]+)/.exec(out)?.[1];

/** Names whose answers each step checks: data, DNSKEY, DS, a nonexistent name, a missing type. */
const probes = (zone: string): [string, string][] => [
  [`www.${zone}`, 'A'],
  [zone, 'DNSKEY'],
  [zone, 'DS'],
  [`nx.${zone}`, 'A'],
  [`www.${zone}`, 'TXT'],
];

/** Every probe of `zone` comes back NOERROR with AD from Unbound at minute `minutes`. */
async function validatesAt(minutes: number, what: string, zone = ZONE): Promise<void> {
  await at(minutes);
  for (const [name, type] of probes(zone)) {
    const out = await unbound.dig(name, type);
    const why = `${what} (minute ${minutes}), ${name} ${type}:\n${out}\n${await unbound.log()}`;
    expect(rcode(out), why).toBe('NOERROR');
    expect(flags(out), why).toContain('ad');
  }
}

async function command(opts: Parameters<typeof rollover>[1], zone = ZONE): Promise<string> {
  const out: string[] = [];
  expect(await rollover(zone, opts, io(out)), out.join('')).toBe(0);
  expect((await geosteer.server.reloader.reload('test')).ok).toBe(true);
  return out.join('');
}

async function stage(zone = ZONE): Promise<string> {
  const out: string[] = [];
  await status(zone, { dir: keysDir }, io(out));
  return out.join('');
}

const keys = async (zone = ZONE) => (await readZoneKeys(keysDir, zone)).keys;

describe('rollovers through Unbound, its cache kept, the clock shared', () => {
  it('ZSK pre-publication then KSK double-DS: AD at every step', async () => {
    const oldKsk = (await keys()).find((k) => k.flags === 257)!;
    // Unbound caches the DNSKEY RRset {KSK, ZSK} for DNSKEY_TTL from here.
    await validatesAt(0, 'before any rollover');

    // ZSK pre-publication, the interval (15 min) longer than the DNSKEY TTL (10 min).
    await command({ zsk: true, interval: '15m', dir: keysDir });
    expect(await stage()).toContain('ZSK pre-publication, stage 1 of 2');
    await validatesAt(1, 'new ZSK published, cached DNSKEY RRset without it');
    await validatesAt(11, 'DNSKEY RRset re-fetched with the new ZSK');
    await validatesAt(16, 'new ZSK signs, old one still published');
    expect(await stage()).toContain('ZSK pre-publication, stage 2 of 2');
    await validatesAt(25, 'answers signed by the old ZSK expired from the cache');
    await validatesAt(31, 'old ZSK left the zone');

    // KSK double-DS: the new KSK publishes and signs the DNSKEY RRset beside the old one.
    const made = await command({ ksk: true, interval: '15m', dir: keysDir });
    const newTag = Number(/new KSK (\d+)/.exec(made)![1]);
    const newKsk = (await keys()).find((k) => k.tag === newTag)!;
    expect(await stage()).toContain('double-DS');
    await validatesAt(32, 'new KSK signs the DNSKEY RRset, parent has the old DS');
    await validatesAt(42, 'DNSKEY RRset with both KSKs validated by the old DS');

    // "Give the parent both DS": the parent now serves both.
    await parentServes(ZONE, [oldKsk, newKsk]);
    await validatesAt(43, 'parent serves both DS, the old DS set still cached');
    await validatesAt(49, 'DS set re-fetched: both');

    // The old DS set has expired from caches: finish, the old KSK stops signing now.
    await command({ ksk: true, finish: true, interval: '15m', dir: keysDir });
    await validatesAt(50, 'old KSK no longer signs, DNSKEY RRset signed by both still cached');
    await validatesAt(61, 'DNSKEY RRset re-fetched, signed by the new KSK alone');
    await validatesAt(66, 'old KSK left the zone');

    // Then the old DS goes from the parent.
    await parentServes(ZONE, [newKsk]);
    await validatesAt(67, 'parent serves only the new DS');
    await validatesAt(73, 'DS set re-fetched: only the new one');
  });

  it('CSK double-DS: AD at every step', async () => {
    const z = CSK_ZONE;
    const [oldCsk] = await keys(z);
    await validatesAt(80, 'before the rollover', z);
    // The new CSK publishes and signs every RRset now, beside the old one.
    const made = await command({ ksk: true, interval: '15m', dir: keysDir }, z);
    const newCsk = (await keys(z)).find((k) => k.tag === Number(/new CSK (\d+)/.exec(made)![1]))!;
    expect(await stage(z)).toContain('CSK double-DS');
    await validatesAt(81, 'both CSKs sign, cached DNSKEY RRset holds the old one only', z);
    await validatesAt(91, 'DNSKEY RRset re-fetched with both CSKs', z);
    await parentServes(z, [oldCsk!, newCsk]);
    await validatesAt(92, 'parent serves both DS, the old DS set still cached', z);
    await validatesAt(97, 'DS set re-fetched: both', z);
    await command({ ksk: true, finish: true, interval: '15m', dir: keysDir }, z);
    await validatesAt(98, 'old CSK no longer signs', z);
    await validatesAt(102, 'DNSKEY RRset re-fetched, signed by the new CSK alone', z);
    await validatesAt(113, 'old CSK left the zone', z);
    await parentServes(z, [newCsk]);
    await validatesAt(114, 'parent serves only the new DS', z);
    await validatesAt(120, 'DS set re-fetched: only the new one', z);
  });

  it('a ZSK rollover faster than the DNSKEY TTL fails in the cache: Unbound says SERVFAIL', async () => {
    // The cached DNSKEY RRset (fetched now, kept DNSKEY_TTL) lacks the key about to be made.
    await validatesAt(125, 'before the hasty rollover');
    await command({ zsk: true, interval: '2m', dir: keysDir });
    await at(128);
    // A name Unbound has not cached, signed by a ZSK its cached DNSKEY RRset does not hold.
    const out = await unbound.dig(`fresh.${ZONE}`, 'A');
    expect(rcode(out), out).toBe('SERVFAIL');
    // Once the cached DNSKEY RRset expires, the new key is found and the same answer validates.
    await at(136);
    const later = await unbound.dig(`fresh.${ZONE}`, 'A');
    expect(rcode(later), later).toBe('NOERROR');
    expect(flags(later), later).toContain('ad');
  });
});
