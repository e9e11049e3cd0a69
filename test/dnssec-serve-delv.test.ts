// geosteer signs its answers on the wire: BIND's delv, given only the zone's DS as trust anchor,
// validates every kind of answer a signed zone gives, straight from the server.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../src/dnssec/keys.js';
import type { WatchedGeoLocator } from '../src/geoip/index.js';
import { startServer, type TestServer } from './helpers/server.js';
import { run } from './dnssec-fixture.js';
import {
  anchorFile,
  geoLocator,
  SIGNED,
  signedZoneDir,
  signedZoneYaml,
} from './dnssec-serve-fixture.js';

let dir: string;
let anchor: string;
let geo: WatchedGeoLocator;
let t: TestServer;

beforeAll(async () => {
  const z = await signedZoneDir();
  dir = z.dir;
  anchor = await anchorFile(dir, SIGNED, z.key);
  geo = await geoLocator(dir);
  t = await startServer({ [`${SIGNED}.yaml`]: signedZoneYaml(join(dir, 'keys')) }, { geo });
}, 30_000);
afterAll(async () => {
  await t?.stop();
  geo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function delv(anchorPath: string, name: string, type: string, ...extra: string[]) {
  return run('delv', [
    '@127.0.0.1',
    '-p',
    String(t.port),
    '-a',
    anchorPath,
    `+root=${SIGNED}`,
    ...extra,
    name,
    type,
  ]);
}

describe('delv validates answers geosteer signs', () => {
  it.each([
    ['static.gslb.example.test', 'A', '; fully validated', '192.0.2.1'],
    ['static.gslb.example.test', 'AAAA', '; fully validated', '2001:db8::1'],
    ['www.gslb.example.test', 'A', '; fully validated', '198.51.100.10'],
    ['alias.gslb.example.test', 'A', '; fully validated', '198.51.100.10'],
    ['x.wild.gslb.example.test', 'A', '; fully validated', '192.0.2.7'],
    ['y.x.wild.gslb.example.test', 'A', '; fully validated', '192.0.2.7'],
    ['gslb.example.test', 'DNSKEY', '; fully validated', 'DNSKEY'],
    ['gslb.example.test', 'SOA', '; fully validated', 'SOA'],
    ['nx.gslb.example.test', 'A', '; negative response, fully validated', 'NSEC'],
    ['static.gslb.example.test', 'TXT', '; negative response, fully validated', 'NSEC'],
    ['www.gslb.example.test', 'TXT', '; negative response, fully validated', 'NSEC'],
    ['b.ent.gslb.example.test', 'A', '; negative response, fully validated', 'NSEC'],
    ['x.wild.gslb.example.test', 'TXT', '; negative response, fully validated', 'NSEC'],
    ['sub.gslb.example.test', 'DS', '; negative response, fully validated', 'NSEC'],
  ])('%s %s', async (name, type, verdict, data) => {
    const r = await delv(anchor, name, type);
    expect(r.out).toContain(verdict);
    expect(r.out).toContain(data);
  });

  it('a trust anchor for another key fails validation', async () => {
    const stranger = generateKey(SIGNED, { algorithm: 13, sep: true, now: 0 });
    const r = await delv(await anchorFile(dir, SIGNED, stranger), 'static.gslb.example.test', 'A');
    expect(r.out).not.toContain('fully validated');
    expect(r.out).toContain('resolution failed');
  });
});
