// Signed answers on real sockets: DO=1 gets RRSIGs and DO=0 does not (the memo keys on DO),
// signatures are re-made once due for refresh (clock injected), a signed reply over the UDP limit
// is truncated and complete over TCP, and the key files' timing metadata drive what the DNSKEY
// RRset holds and which key signs, as a pre-publication rollover needs (RFC 6781 4.1.1.1).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Packet } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeyFiles } from '../src/dnssec/key-files.js';
import { type DnssecKey, generateKey } from '../src/dnssec/keys.js';
import { queryTcp, queryUdp } from './helpers/dns-client.js';
import { startServer, type TestServer } from './helpers/server.js';

const ZONE = 'signed.test';
const DAY = 86400;
const T0 = Date.UTC(2026, 11, 1) / 1000;
/** Nine TXT values of 100 octets: about 1 KB, under 1232 alone, over it with a signature. */
const txt = Array.from({ length: 10 }, (_, i) => `'${String(i)}${'t'.repeat(99)}'`).join(', ');

let dir: string;
let t: TestServer;
let now = T0 * 1000;
let ksk: DnssecKey;
let zsk1: DnssecKey;
let zsk2: DnssecKey;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-dnssec-serve-'));
  // A KSK and a ZSK, and a second ZSK pre-published on day 1, active on day 2, when the first
  // goes inactive; the first leaves the DNSKEY RRset on day 3.
  ksk = generateKey(ZONE, { algorithm: 13, sep: true, now: T0 - DAY });
  zsk1 = generateKey(ZONE, { algorithm: 13, sep: false, now: T0 - DAY });
  zsk1 = { ...zsk1, timing: { ...zsk1.timing, inactive: T0 + 2 * DAY, delete: T0 + 3 * DAY } };
  zsk2 = generateKey(ZONE, {
    algorithm: 13,
    sep: false,
    now: T0,
    avoidTags: new Set([ksk.tag, zsk1.tag]),
  });
  zsk2 = { ...zsk2, timing: { created: T0, publish: T0 + DAY, activate: T0 + 2 * DAY } };
  for (const k of [ksk, zsk1, zsk2]) await writeKeyFiles(join(dir, 'keys'), k);
  const zone = `zone: ${ZONE}
nameservers:
  ns1.${ZONE}: [127.0.0.1]
dnssec:
  keys: ${join(dir, 'keys')}
records:
  www:
    A: [192.0.2.1]
  big:
    TXT: [${txt}]
`;
  t = await startServer({ [`${ZONE}.yaml`]: zone }, { now: () => now });
});
afterAll(async () => {
  await t?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Sig {
  typeCovered: string;
  keyTag: number;
  inception: number;
  expiration: number;
}
const sigs = (p: Packet, section: 'answers' | 'authorities' = 'answers'): Sig[] =>
  (p[section] ?? []).filter((a) => a.type === 'RRSIG').map((a) => (a as { data: Sig }).data);
const dnskeyTags = (p: Packet): number[] =>
  (p.answers ?? [])
    .filter((a) => a.type === 'DNSKEY')
    .map((a) => {
      const d = (a as { data: { flags: number; algorithm: number; key: Buffer } }).data;
      return [ksk, zsk1, zsk2].find((k) => Buffer.from(k.material.publicKey).equals(d.key))!.tag;
    })
    .sort((a, b) => a - b);
const ask = (name: string, type: string, dnssecOk = true) =>
  queryUdp(t.port, name, type, { edns: 1232, dnssecOk });

describe('signed answers on the wire', () => {
  it('DO=1 gets the RRSIG, DO=0 and no EDNS do not, in any order (the memo keys on DO)', async () => {
    for (const dnssecOk of [true, false, true, false]) {
      const r = await ask(`www.${ZONE}`, 'A', dnssecOk);
      expect(sigs(r).length).toBe(dnssecOk ? 1 : 0);
    }
    const plain = await queryUdp(t.port, `www.${ZONE}`, 'A');
    expect(sigs(plain)).toEqual([]);
  });

  it('the signature is made with inception an hour back and 14 days of validity, then re-used', async () => {
    const [a] = sigs(await ask(`www.${ZONE}`, 'A'));
    expect(a).toMatchObject({ typeCovered: 'A', keyTag: zsk1.tag });
    expect(a!.expiration - a!.inception).toBe(14 * DAY + 3600);
    expect(a!.inception).toBeLessThanOrEqual(now / 1000 - 3600);
    now += DAY * 1000 * 0.5;
    const [b] = sigs(await ask(`www.${ZONE}`, 'A'));
    expect(b).toEqual(a);
  });

  it('a signed reply over 1232 octets is truncated over UDP and complete over TCP', async () => {
    const udp = await ask(`big.${ZONE}`, 'TXT');
    expect((udp.flags ?? 0) & 0x200).toBe(0x200);
    const tcp = await queryTcp(t.port, `big.${ZONE}`, 'TXT', { edns: 1232, dnssecOk: true });
    expect((tcp.flags ?? 0) & 0x200).toBe(0);
    expect(sigs(tcp).map((s) => s.typeCovered)).toEqual(['TXT']);
    const unsigned = await ask(`big.${ZONE}`, 'TXT', false);
    expect((unsigned.flags ?? 0) & 0x200).toBe(0);
  });

  it('the key files timing drive the DNSKEY RRset and the signing key', async () => {
    now = T0 * 1000;
    let keys = await ask(ZONE, 'DNSKEY');
    expect(dnskeyTags(keys)).toEqual([ksk.tag, zsk1.tag].sort((a, b) => a - b));
    // The DNSKEY RRset is signed by the KSK only (RFC 4035 2.1).
    expect(sigs(keys).map((s) => s.keyTag)).toEqual([ksk.tag]);
    // Day 1: the new ZSK is published, not yet signing.
    now = (T0 + DAY + 60) * 1000;
    keys = await ask(ZONE, 'DNSKEY');
    expect(dnskeyTags(keys)).toEqual([ksk.tag, zsk1.tag, zsk2.tag].sort((a, b) => a - b));
    expect(sigs(await ask(`www.${ZONE}`, 'A')).map((s) => s.keyTag)).toEqual([zsk1.tag]);
    // Day 2: it signs, the old one is still published (its signatures may still be cached).
    now = (T0 + 2 * DAY + 60) * 1000;
    expect(sigs(await ask(`www.${ZONE}`, 'A')).map((s) => s.keyTag)).toEqual([zsk2.tag]);
    expect(dnskeyTags(await ask(ZONE, 'DNSKEY'))).toHaveLength(3);
    // Day 3: the old ZSK is gone.
    now = (T0 + 3 * DAY + 60) * 1000;
    expect(dnskeyTags(await ask(ZONE, 'DNSKEY'))).toEqual(
      [ksk.tag, zsk2.tag].sort((a, b) => a - b),
    );
  });

  it('a signature due for refresh is made again: the memo does not keep it', async () => {
    now = (T0 + 4 * DAY) * 1000;
    const [a] = sigs(await ask(`www.${ZONE}`, 'A'));
    // 10.5 days on, a quarter of the 14-day validity is left: refreshed.
    now += 10.5 * DAY * 1000 + 1000;
    const [b] = sigs(await ask(`www.${ZONE}`, 'A'));
    expect(b!.inception).toBeGreaterThan(a!.inception);
    expect(b!.expiration - now / 1000).toBeGreaterThan(13 * DAY);
  });

  it('a name that does not exist: NOERROR, the SOA and one NSEC with NXNAME, each signed', async () => {
    const r = await ask(`nx.${ZONE}`, 'A');
    expect((r.flags ?? 0) & 0xf).toBe(0); // NOERROR
    const nsec = (r.authorities ?? []).find((a) => a.type === 'NSEC') as {
      name: string;
      data: { nextDomain: string; rrtypes: string[] };
    };
    expect(nsec.name).toBe(`nx.${ZONE}`);
    expect(nsec.data.nextDomain).toBe(`\u0000.nx.${ZONE}`); // dns-packet decodes the \000 octet raw
    expect(
      sigs(r, 'authorities')
        .map((s) => s.typeCovered)
        .sort(),
    ).toEqual(['NSEC', 'SOA']);
  });
});
