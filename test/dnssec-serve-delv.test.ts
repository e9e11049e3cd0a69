// geosteer signs its answers on the wire: BIND's delv, given only the zone's DS as trust anchor,
// validates every kind of answer a signed zone gives, straight from the server.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../src/dnssec/keys.js';
import type { WatchedGeoLocator } from '../src/geoip/index.js';
import { type Cli, freePort, runCli } from './helpers/cli.js';
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
  return delvAt(t.port, anchorPath, name, type, ...extra);
}

function delvAt(port: number, anchorPath: string, name: string, type: string, ...extra: string[]) {
  return run('delv', [
    '@127.0.0.1',
    '-p',
    String(port),
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

describe('with answer threads (serve --threads 2)', () => {
  let cli: Cli | undefined;
  afterAll(async () => {
    await cli?.stop();
  });

  // The main thread reads the key files with the zone; each answer thread signs with them (the
  // keys cross to the threads with the zone texts). Queries from new source ports spread over
  // both threads' SO_REUSEPORT sockets, so a thread that could not sign would fail some of them.
  it('every answer validates, whichever thread gave it', async () => {
    const zones = join(dir, 'threads-zones');
    await mkdir(zones, { recursive: true });
    await writeFile(join(zones, `${SIGNED}.yaml`), signedZoneYaml(join(dir, 'keys')));
    const port = await freePort();
    cli = runCli([
      'serve',
      '-z',
      zones,
      '-l',
      `127.0.0.1:${port}`,
      '--threads',
      '2',
      '--no-admin',
      '--no-watch',
    ]);
    await cli.waitFor((l) => String(l.msg).startsWith('geosteer listening'), 30_000);
    for (let i = 0; i < 8; i++) {
      const pos = await delvAt(port, anchor, 'static.gslb.example.test', 'A');
      expect(pos.out).toContain('; fully validated');
      const neg = await delvAt(port, anchor, `nx${i}.gslb.example.test`, 'A');
      expect(neg.out).toContain('; negative response, fully validated');
    }
  }, 60_000);
});
