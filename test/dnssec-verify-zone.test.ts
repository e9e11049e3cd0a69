// The signer's output checked by two independent DNSSEC implementations: BIND's dnssec-verify and
// ldns-verify-zone (Debian bind9-utils, ldnsutils). A tampered or expired signature must make both
// fail, so a pass means they really verified.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlgorithmNumber } from '../src/dnssec/algorithm.js';
import { readZoneKeys } from '../src/dnssec/key-files.js';
import { type DnssecKey, generateKey } from '../src/dnssec/keys.js';
import { DnssecType, type SignableRRset } from '../src/dnssec/records.js';
import { signZone } from '../src/dnssec/sign-zone.js';
import { Type } from '../src/wire/constants.js';
import { masterFile, run, ZONE, zoneRRsets } from './dnssec-fixture.js';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-dnssec-verify-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function keysFor(algorithm: AlgorithmNumber, split: boolean): DnssecKey[] {
  // Created two years back, so they are active at every signing time used below.
  const now = NOW / 1000 - 2 * 365 * 86400;
  const ksk = generateKey(ZONE, { algorithm, sep: true, now });
  return split
    ? [ksk, generateKey(ZONE, { algorithm, sep: false, now, avoidTags: new Set([ksk.tag]) })]
    : [ksk];
}

async function verifiers(signed: SignableRRset[], name: string) {
  const file = join(dir, name);
  await writeFile(file, masterFile(signed, Date.now() / 1000));
  // -z for a CSK: BIND's verifier otherwise wants a ZSK besides the KSK.
  const csk = !signed.some((s) => s.rdata.some((r) => r.kind === 'dnskey' && r.flags === 256));
  const bind = await run('dnssec-verify', [...(csk ? ['-z'] : []), '-o', ZONE, file]);
  const ldns = await run('ldns-verify-zone', [file]);
  return { bind, ldns, file };
}

describe.each([
  [13, 'CSK'],
  [13, 'KSK+ZSK'],
  [15, 'CSK'],
  [15, 'KSK+ZSK'],
] as const)('algorithm %i, %s', (algorithm, mode) => {
  const keys = keysFor(algorithm, mode === 'KSK+ZSK');
  // Signed now (the verifiers check validity against their own clock), and signed a year ago.
  const fresh = signZone(zoneRRsets(), { zone: ZONE, keys, nowMs: Date.now() });

  it('dnssec-verify and ldns-verify-zone accept the signed zone', async () => {
    const { bind, ldns } = await verifiers(fresh, `ok-${algorithm}-${mode}.zone`);
    expect(bind.out).toContain(
      `Zone fully signed:\nAlgorithm: ${algorithm === 13 ? 'ECDSAP256SHA256' : 'ED25519'}:`,
    );
    expect(bind.code, bind.out).toBe(0);
    expect(ldns.code, ldns.out).toBe(0);
    expect(ldns.out).toContain('Zone is verified and complete');
  });

  it('both reject a zone where one signature was altered', async () => {
    const tampered = fresh.map((s) => {
      if (s.type !== DnssecType.RRSIG || s.name !== 'WWW.example.test') return s;
      const [first, ...rest] = s.rdata;
      if (first?.kind !== 'rrsig') throw new Error('expected an RRSIG');
      const sig = Buffer.from(first.signature);
      sig[10]! ^= 0x01;
      return { ...s, rdata: [{ ...first, signature: sig }, ...rest] };
    });
    const { bind, ldns } = await verifiers(tampered, `bad-${algorithm}-${mode}.zone`);
    const name = algorithm === 13 ? 'ECDSAP256SHA256' : 'ED25519';
    expect(bind.code).not.toBe(0);
    expect(bind.out).toContain(`No correct ${name} signature for WWW.example.test A`);
    expect(ldns.code).not.toBe(0);
    expect(ldns.out).toContain('Bogus DNSSEC signature for WWW.example.test.\tA');
  });

  it('both reject signatures that expired (signed with the clock a year back)', async () => {
    const old = signZone(zoneRRsets(), { zone: ZONE, keys, nowMs: Date.now() - 365 * 86400_000 });
    const { bind, ldns } = await verifiers(old, `old-${algorithm}-${mode}.zone`);
    expect(bind.code).not.toBe(0);
    expect(bind.out).toContain('signature has expired');
    expect(ldns.code).not.toBe(0);
    expect(ldns.out).toContain('DNSSEC signature has expired');
  });
});

describe('keys made by BIND', () => {
  it('a zone signed with dnssec-keygen keys read by geosteer passes dnssec-verify', async () => {
    const keyDir = join(dir, 'bind-keys');
    await run('mkdir', ['-p', keyDir]);
    for (const args of [
      ['-a', 'ECDSAP256SHA256', '-f', 'KSK'],
      ['-a', 'ECDSAP256SHA256'],
    ]) {
      const r = await run('dnssec-keygen', ['-q', '-K', keyDir, ...args, ZONE]);
      expect(r.code, r.out).toBe(0);
    }
    const { keys, problems } = await readZoneKeys(keyDir, ZONE);
    expect(problems).toEqual([]);
    expect(keys.map((k) => k.flags).sort()).toEqual([256, 257]);
    const signed = signZone(zoneRRsets(), { zone: ZONE, keys, nowMs: Date.now() });
    const { bind, ldns } = await verifiers(signed, 'bind-keys.zone');
    expect(bind.code, bind.out).toBe(0);
    expect(ldns.code, ldns.out).toBe(0);
  });
});

it('the wildcard RRSIG counts labels without the "*" (RFC 4034 3.1.3)', () => {
  const keys = keysFor(13, false);
  const signed = signZone(zoneRRsets(), { zone: ZONE, keys, nowMs: NOW });
  const sig = signed.find((s) => s.type === DnssecType.RRSIG && s.name === '*.wild.example.test');
  expect(sig?.rdata[0]).toMatchObject({
    kind: 'rrsig',
    typeCovered: Type.A,
    labels: 3,
    originalTtl: 60,
  });
});

it('a pre-published ZSK is in the DNSKEY RRset but signs nothing until its Activate time', async () => {
  const [ksk, zsk] = keysFor(13, true) as [DnssecKey, DnssecKey];
  const now = Date.now();
  const next = generateKey(ZONE, {
    algorithm: 13,
    sep: false,
    now: now / 1000,
    avoidTags: new Set([ksk.tag, zsk.tag]),
  });
  next.timing.activate = now / 1000 + 7 * 86400;
  const signed = signZone(zoneRRsets(), { zone: ZONE, keys: [ksk, zsk, next], nowMs: now });
  const dnskey = signed.find((s) => s.type === DnssecType.DNSKEY)!;
  expect(dnskey.rdata).toHaveLength(3);
  const tags = new Set(
    signed.flatMap((s) => s.rdata.flatMap((r) => (r.kind === 'rrsig' ? [r.keyTag] : []))),
  );
  expect([...tags].sort()).toEqual([ksk.tag, zsk.tag].sort());
  const { bind, ldns } = await verifiers(signed, 'prepublished.zone');
  expect(bind.code, bind.out).toBe(0);
  expect(bind.out).toContain('ZSKs: 1 active, 1 stand-by, 0 revoked');
  expect(ldns.code, ldns.out).toBe(0);
});
