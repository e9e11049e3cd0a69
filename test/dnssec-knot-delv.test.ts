// End to end on the wire: Knot serves a zone signed by geosteer's signer, and BIND's delv
// validates answers from it with the zone's DS as its only trust anchor. A trust anchor for
// another key, or an altered signature, must make delv fail: the validation is real.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DnssecKey, dsRData, generateKey } from '../src/dnssec/keys.js';
import { dnssecRdataText } from '../src/dnssec/present.js';
import { DnssecType } from '../src/dnssec/records.js';
import { signZone } from '../src/dnssec/sign-zone.js';
import { type KnotServer, startKnot } from './helpers/knot.js';
import { masterFile, run, ZONE, zoneRRsets } from './dnssec-fixture.js';

let dir: string;
let knot: KnotServer;
let tampered: KnotServer;
let expired: KnotServer;
// Created two years back so they are active at every signing time used here.
const created = Date.now() / 1000 - 2 * 365 * 86400;
const keys = [
  generateKey(ZONE, { algorithm: 13, sep: true, now: created }),
  generateKey(ZONE, { algorithm: 13, sep: false, now: created }),
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-dnssec-delv-'));
  const signed = signZone(zoneRRsets(), { zone: ZONE, keys, nowMs: Date.now() });
  knot = await startKnot({ [ZONE]: masterFile(signed, Date.now() / 1000) });
  const bad = signed.map((s) => {
    if (s.type !== DnssecType.RRSIG || s.name !== 'WWW.example.test') return s;
    return {
      ...s,
      rdata: s.rdata.map((r) =>
        r.kind === 'rrsig' ? { ...r, signature: Buffer.from(r.signature).fill(1, 0, 4) } : r,
      ),
    };
  });
  tampered = await startKnot({ [ZONE]: masterFile(bad, Date.now() / 1000) });
  // Signed with the clock a year back: 14-day signatures, long expired.
  const old = signZone(zoneRRsets(), { zone: ZONE, keys, nowMs: Date.now() - 365 * 86400_000 });
  expired = await startKnot({ [ZONE]: masterFile(old, Date.now() / 1000) });
}, 60_000);
afterAll(async () => {
  await knot?.stop();
  await tampered?.stop();
  await expired?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function anchor(key: DnssecKey): Promise<string> {
  const file = join(dir, `anchor-${key.tag}.conf`);
  const [tag, alg, digestType, digest] = dnssecRdataText(dsRData(key)).split(' ');
  await writeFile(
    file,
    `trust-anchors { ${ZONE}. static-ds ${tag} ${alg} ${digestType} "${digest}"; };\n`,
  );
  return file;
}

function delv(server: KnotServer, anchorFile: string, name: string, type: string) {
  return run('delv', [
    '@127.0.0.1',
    '-p',
    String(server.port),
    '-a',
    anchorFile,
    `+root=${ZONE}`,
    name,
    type,
  ]);
}

describe('delv validates answers Knot serves from the signed zone', () => {
  it.each([
    ['www.example.test', 'A', '; fully validated'],
    ['www.example.test', 'AAAA', '; fully validated'],
    ['example.test', 'MX', '; fully validated'],
    ['alias.example.test', 'A', '; fully validated'],
    ['any.wild.example.test', 'A', '; fully validated'],
    ['nx.example.test', 'A', '; negative response, fully validated'],
    ['www.example.test', 'TXT', '; negative response, fully validated'],
  ])('%s %s', async (name, type, verdict) => {
    const r = await delv(knot, await anchor(keys[0]!), name, type);
    expect(r.out).toContain(verdict);
  });

  it('a trust anchor for another key fails validation', async () => {
    const stranger = generateKey(ZONE, { algorithm: 13, sep: true, now: 0 });
    const r = await delv(knot, await anchor(stranger), 'www.example.test', 'A');
    expect(r.out).not.toContain('fully validated');
    expect(r.out).toContain('resolution failed: broken trust chain');
  });

  it('an altered signature fails validation', async () => {
    const r = await delv(tampered, await anchor(keys[0]!), 'www.example.test', 'A');
    expect(r.out).not.toContain('fully validated');
    expect(r.out).toContain('resolution failed: RRSIG failed to verify');
  });

  it('expired signatures fail validation', async () => {
    const r = await delv(expired, await anchor(keys[0]!), 'www.example.test', 'A');
    expect(r.out).not.toContain('fully validated');
    // The DNSKEY RRset's own signature has expired, so no key can be trusted.
    expect(r.out).toContain('example.test/DNSKEY: no valid signature found');
    expect(r.out).toContain('resolution failed: broken trust chain');
  });
});
