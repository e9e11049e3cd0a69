// Compact denial (RFC 9824) as a validator sees it. A minimal responder, written here only for
// this test, answers from the fixture zone with RRsets signed through the SignatureCache and
// proves absent names and types with compactDenialNsec; BIND's delv, trusting only the zone's
// DS, must find the denials valid, and an NSEC altered after signing must fail.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactDenialNsec, negativeTtl } from '../src/dnssec/compact-denial.js';
import { dsRData, generateKey, keyRData } from '../src/dnssec/keys.js';
import { dnssecRdataText } from '../src/dnssec/present.js';
import { canonicalName, DnssecType, rdataWire, type SignableRRset } from '../src/dnssec/records.js';
import { rrsigRRset } from '../src/dnssec/sign.js';
import { SignatureCache } from '../src/dnssec/signature-cache.js';
import { Type } from '../src/wire/constants.js';
import { foldCase, readName } from '../src/wire/name.js';
import { run, ZONE, zoneRRsets } from './dnssec-fixture.js';

const key = generateKey(ZONE, { algorithm: 13, sep: true, now: Date.now() / 1000 - 86400 });
const cache = new SignatureCache();
const zone: SignableRRset[] = [
  ...zoneRRsets(),
  { name: ZONE, type: DnssecType.DNSKEY, ttl: 3600, rdata: [keyRData(key)] },
];
const soa = zoneRRsets().find((s) => s.type === Type.SOA)!;

function encodeRRset(set: SignableRRset): Buffer[] {
  return set.rdata.map((rd) => {
    const data = rdataWire(rd);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(set.type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(set.ttl, 4);
    fixed.writeUInt16BE(data.length, 8);
    return Buffer.concat([canonicalName(set.name), fixed, data]);
  });
}

const signed = (set: SignableRRset) => [set, rrsigRRset(set, [cache.sign(set, key)])];

/** Answer one query: the RRset and its RRSIG, or a compact denial (NOERROR, SOA, NSEC). */
function respond(query: Buffer, alterNsec: boolean): Buffer | null {
  const q = readName(query, 12, false);
  if (!q || q.end + 4 > query.length) return null;
  const qtype = query.readUInt16BE(q.end);
  const name = foldCase(q.name);
  const atName = zone.filter((s) => foldCase(s.name) === name);
  const hit = atName.find((s) => s.type === qtype);
  let answer: SignableRRset[] = [];
  let authority: SignableRRset[] = [];
  if (hit) answer = signed(hit);
  else {
    const denial = atName.length
      ? { kind: 'nodata' as const, types: atName.map((s) => s.type) }
      : { kind: 'nxdomain' as const };
    let nsec = compactDenialNsec(q.name, denial, negativeTtl(soa));
    const sig = cache.sign(nsec, key);
    // The control case: the NSEC claims the type asked exists, after it was signed.
    if (alterNsec)
      nsec = compactDenialNsec(q.name, { kind: 'nodata', types: [qtype] }, negativeTtl(soa));
    authority = [...signed(soa), nsec, rrsigRRset(nsec, [sig])];
  }
  const an = answer.flatMap(encodeRRset);
  const ns = authority.flatMap(encodeRRset);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100), 2); // QR AA, RD echoed
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(an.length, 6);
  header.writeUInt16BE(ns.length, 8);
  header.writeUInt16BE(1, 10);
  const opt = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]); // EDNS 1232, DO
  return Buffer.concat([header, query.subarray(12, q.end + 4), ...an, ...ns, opt]);
}

async function responder(alterNsec: boolean): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const reply = respond(msg, alterNsec);
    if (reply) socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, port: socket.address().port };
}

let dir: string;
let anchorFile: string;
let good: { socket: Socket; port: number };
let bad: { socket: Socket; port: number };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-compact-delv-'));
  anchorFile = join(dir, 'anchor.conf');
  const [tag, alg, digestType, digest] = dnssecRdataText(dsRData(key)).split(' ');
  await writeFile(
    anchorFile,
    `trust-anchors { ${ZONE}. static-ds ${tag} ${alg} ${digestType} "${digest}"; };\n`,
  );
  good = await responder(false);
  bad = await responder(true);
});
afterAll(async () => {
  good?.socket.close();
  bad?.socket.close();
  await rm(dir, { recursive: true, force: true });
});

const delv = (port: number, name: string, type: string) =>
  run('delv', ['@127.0.0.1', '-p', String(port), '-a', anchorFile, `+root=${ZONE}`, name, type]);

describe('delv validates compact answers', () => {
  it.each([
    ['nx.example.test', 'A', '; negative response, fully validated'],
    ['deeper.nx.example.test', 'AAAA', '; negative response, fully validated'],
    ['www.example.test', 'TXT', '; negative response, fully validated'],
    ['www.example.test', 'A', '; fully validated'],
  ])('%s %s', async (name, type, verdict) => {
    const r = await delv(good.port, name, type);
    expect(r.out).toContain(verdict);
  });

  it('signs each distinct RRset once: the cache served the repeats', () => {
    expect(cache.stats.hits).toBeGreaterThan(0);
    expect(cache.size).toBe(cache.stats.misses);
  });

  it('an NSEC altered after signing fails validation', async () => {
    const r = await delv(bad.port, 'nx.example.test', 'A');
    expect(r.out).not.toContain('fully validated');
    expect(r.out).toContain('validating nx.example.test/NSEC: no valid signature found');
    expect(r.out).toContain('resolution failed: broken trust chain');
  });
});
