// A real chain of trust, end to end: Knot serves and signs the parent example.test (its own
// automatic keys, dnssec-signing), with the DS of each geosteer zone as `geosteer dnssec ds`
// prints it; Debian's Unbound, trusting only the parent's key, resolves through the chain on
// loopback ports (stub zones with addr@port) and sets AD on every kind of answer geosteer signs.
// A zone signed by a key the parent's DS does not name, a DS whose digest does not match, and
// signatures that have expired (geosteer's clock injected a month back) make Unbound SERVFAIL:
// the validation is real.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeyFiles } from '../src/dnssec/key-files.js';
import { type DnssecKey, generateKey } from '../src/dnssec/keys.js';
import type { WatchedGeoLocator } from '../src/geoip/index.js';
import { runCliToEnd } from './helpers/cli.js';
import { type KnotServer, startKnot } from './helpers/knot.js';
import { startServer, type TestServer } from './helpers/server.js';
import {
  startValidatingUnbound,
  type ValidatingUnbound,
  writeParentAnchor,
} from './helpers/validating-unbound.js';
import { geoLocator, NEAR, SIGNED, signedZoneYaml } from './dnssec-serve-fixture.js';

const PARENT = 'example.test';
/** Zones signed by a key the parent's DS does not match, one way or another. */
const WRONG_KEY = 'wrongkey.example.test';
const BAD_DIGEST = 'baddigest.example.test';
const EXPIRED = 'expired.example.test';

let dir: string;
let geo: WatchedGeoLocator;
let good: TestServer;
let stale: TestServer;
let knot: KnotServer;
let unbound: ValidatingUnbound;

const yearAgo = Date.now() / 1000 - 365 * 86400;
const newKey = (zone: string): DnssecKey =>
  generateKey(zone, { algorithm: 13, sep: true, now: yearAgo });

function plainZone(zone: string): string {
  return `zone: ${zone}\nnameservers:\n  ns1.${zone}: [127.0.0.1]\ndnssec:\n  keys: ${join(dir, 'keys')}\nrecords:\n  static:\n    A: [192.0.2.1]\n`;
}

/** The DS lines `geosteer dnssec ds` prints for `zone`, as the parent's zone file takes them. */
async function dsLines(zone: string): Promise<string[]> {
  const r = await runCliToEnd('dnssec', 'ds', zone, '--dir', join(dir, 'keys'));
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => /\sIN DS\s/.test(l));
}

function delegation(zone: string, ds: string[]): string[] {
  return [`${zone}. 3600 IN NS ns1.${zone}.`, `ns1.${zone}. 3600 IN A 127.0.0.1`, ...ds];
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-chain-'));
  const keys = join(dir, 'keys');
  // The served keys; the parent gets the DS of another key for WRONG_KEY (the operator gave it
  // the wrong key), and a DS with one digest octet changed for BAD_DIGEST.
  for (const z of [SIGNED, WRONG_KEY, BAD_DIGEST, EXPIRED]) await writeKeyFiles(keys, newKey(z));
  const goodDs = await dsLines(SIGNED);
  const expiredDs = await dsLines(EXPIRED);
  const strangerDir = join(dir, 'stranger');
  await writeKeyFiles(strangerDir, newKey(WRONG_KEY));
  const r = await runCliToEnd('dnssec', 'ds', WRONG_KEY, '--dir', strangerDir);
  const wrongDs = r.stdout.split('\n').filter((l) => /\sIN DS\s/.test(l));
  const badDigest = (await dsLines(BAD_DIGEST)).map((l) =>
    l.replace(/([0-9A-F])$/, (d) => (d === '0' ? '1' : '0')),
  );

  geo = await geoLocator(dir);
  good = await startServer(
    {
      [`${SIGNED}.yaml`]: signedZoneYaml(keys),
      [`${WRONG_KEY}.yaml`]: plainZone(WRONG_KEY),
      [`${BAD_DIGEST}.yaml`]: plainZone(BAD_DIGEST),
    },
    { geo },
  );
  // A month back: signatures made now by this server (14 days) have expired by the real clock.
  const monthAgo = Date.now() - 30 * 86400_000;
  stale = await startServer({ [`${EXPIRED}.yaml`]: plainZone(EXPIRED) }, { now: () => monthAgo });

  const parent = [
    `$ORIGIN ${PARENT}.`,
    `@ 3600 IN SOA ns1.${PARENT}. hostmaster.${PARENT}. 1 7200 900 1209600 300`,
    `@ 3600 IN NS ns1.${PARENT}.`,
    `ns1 3600 IN A 127.0.0.1`,
    ...delegation(SIGNED, goodDs),
    ...delegation(WRONG_KEY, wrongDs),
    ...delegation(BAD_DIGEST, badDigest),
    ...delegation(EXPIRED, expiredDs),
    '',
  ].join('\n');
  knot = await startKnot({ [PARENT]: parent }, 20_000, {
    sections: [
      'policy:',
      '  - id: parent',
      '    algorithm: ecdsap256sha256',
      '    single-type-signing: on',
    ].join('\n'),
    global: [],
    template: ['    dnssec-signing: on', '    dnssec-policy: parent'],
  });
  // The parent's own key, as Knot made it: Unbound's only trust anchor.
  await writeParentAnchor(knot.port, PARENT, join(dir, 'anchor'), knot.log);
  unbound = await startValidatingUnbound({
    dir,
    anchorFile: join(dir, 'anchor'),
    ecs: true,
    readyZone: PARENT,
    stubs: {
      [PARENT]: knot.port,
      [SIGNED]: good.port,
      [WRONG_KEY]: good.port,
      [BAD_DIGEST]: good.port,
      [EXPIRED]: stale.port,
    },
  });
}, 60_000);

afterAll(async () => {
  await unbound?.stop();
  await knot?.stop();
  await good?.stop();
  await stale?.stop();
  geo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const dig = (name: string, type: string, ...opts: string[]) => unbound.dig(name, type, ...opts);
const flags = (out: string) => /;; flags: ([a-z ]+);/.exec(out)?.[1]?.split(' ') ?? [];
const status = (out: string) => /status: ([A-Z]+)/.exec(out)?.[1];

describe('Unbound validates geosteer answers through a chain from the parent Knot signs', () => {
  it.each([
    ['static', `static.${SIGNED}`, 'A', 'NOERROR', '192.0.2.1'],
    ['static AAAA', `static.${SIGNED}`, 'AAAA', 'NOERROR', '2001:db8::1'],
    ['steered', `www.${SIGNED}`, 'A', 'NOERROR', '198.51.100.10'],
    ['CNAME into a steered name', `alias.${SIGNED}`, 'A', 'NOERROR', '198.51.100.10'],
    ['wildcard', `x.wild.${SIGNED}`, 'A', 'NOERROR', '192.0.2.7'],
    ['DNSKEY', SIGNED, 'DNSKEY', 'NOERROR', 'DNSKEY'],
    // RFC 9824: NOERROR with NXNAME in the NSEC's bitmap (TYPE128 to tools that predate it, as
    // Debian 12's Unbound 1.17 does: it passes the rcode on as it is).
    ['nonexistent name', `nx.${SIGNED}`, 'A', 'NOERROR', 'RRSIG NSEC TYPE128'],
    ['nonexistent type', `static.${SIGNED}`, 'TXT', 'NOERROR', 'NSEC'],
    ['nonexistent type at a steered name', `www.${SIGNED}`, 'MX', 'NOERROR', 'NSEC'],
    ['empty non-terminal', `b.ent.${SIGNED}`, 'A', 'NOERROR', 'NSEC'],
    ['no DS at the delegation', `sub.${SIGNED}`, 'DS', 'NOERROR', 'NSEC'],
  ])('%s: %s %s comes back with AD', async (_what, name, type, rcode, data) => {
    const out = await dig(name, type);
    expect(status(out), out).toBe(rcode);
    expect(flags(out), out).toContain('ad');
    expect(out).toContain(data);
  });

  it.each(Object.entries(NEAR))(
    'steered with ECS: clients near %s get its address, validated',
    async (_site, { subnet, address }) => {
      const out = await dig(`www.${SIGNED}`, 'A', `+subnet=${subnet}`);
      expect(flags(out), out).toContain('ad');
      expect(out).toMatch(new RegExp(`IN\\s+A\\s+${address.replaceAll('.', '\\.')}`));
    },
  );

  it.each([
    ['a zone signed by a key the DS does not name', WRONG_KEY],
    ['a DS whose digest does not match the key', BAD_DIGEST],
    ['signatures that have expired', EXPIRED],
  ])('%s is bogus: SERVFAIL', async (_what, zone) => {
    const out = await dig(`static.${zone}`, 'A');
    expect(status(out), out).toBe('SERVFAIL');
    // With checking disabled the same data comes back unvalidated: only validation failed.
    const cd = await dig(`static.${zone}`, 'A', '+cd');
    expect(status(cd), cd).toBe('NOERROR');
    expect(cd).toContain('192.0.2.1');
  });
});
