// Rollovers scheduled by `geosteer dnssec rollover` (timing metadata in the key files) and carried
// out by a running server on an injected clock, validated by BIND's delv at every step: ZSK
// pre-publication (RFC 6781 4.1.1.1), then KSK double-DS (4.1.2), with no validation failure on
// the way. The clock runs ahead of the real one by at most 40 minutes, within the hour signature
// inception is backdated, so delv (on the real clock) accepts what the server signs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, rollover, status } from '../src/dnssec/command.js';
import { readZoneKeys, writeKeyFiles } from '../src/dnssec/key-files.js';
import { type DnssecKey, generateKey } from '../src/dnssec/keys.js';
import { startServer, type TestServer } from './helpers/server.js';
import { run } from './dnssec-fixture.js';
import { anchorFile } from './dnssec-serve-fixture.js';

const ZONE = 'roll.example.test';
const MIN = 60;
let dir: string;
let keysDir: string;
let t: TestServer;
let offset = 0;
const now = () => Date.now() + offset * 1000;
let ksk: DnssecKey;

const io = (out: string[]): Io => ({
  out: (s) => out.push(s),
  err: (s) => out.push(s),
  now,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-rollover-'));
  keysDir = join(dir, 'keys');
  const yearAgo = Date.now() / 1000 - 365 * 86400;
  ksk = generateKey(ZONE, { algorithm: 13, sep: true, now: yearAgo });
  const zsk = generateKey(ZONE, {
    algorithm: 13,
    sep: false,
    now: yearAgo,
    avoidTags: new Set([ksk.tag]),
  });
  for (const k of [ksk, zsk]) await writeKeyFiles(keysDir, k);
  const zone = `zone: ${ZONE}\nnameservers:\n  ns1.${ZONE}: [127.0.0.1]\ndnssec:\n  keys: ${keysDir}\nrecords:\n  www:\n    A: [192.0.2.1]\n`;
  t = await startServer({ [`${ZONE}.yaml`]: zone }, { now });
});
afterAll(async () => {
  await t?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function validates(anchor: DnssecKey, name = `www.${ZONE}`, type = 'A'): Promise<string> {
  const r = await run('delv', [
    '@127.0.0.1',
    '-p',
    String(t.port),
    '-a',
    await anchorFile(dir, ZONE, anchor),
    `+root=${ZONE}`,
    name,
    type,
  ]);
  return r.out;
}

async function signerOfA(): Promise<number> {
  const r = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(t.port),
    '+dnssec',
    '+short',
    `www.${ZONE}`,
    'A',
  ]);
  const sig = r.out.split('\n').find((l) => l.startsWith('A '));
  return Number(sig!.split(' ')[6]);
}

async function dnskeyCount(): Promise<number> {
  const r = await run('dig', ['@127.0.0.1', '-p', String(t.port), '+short', ZONE, 'DNSKEY']);
  return r.out.split('\n').filter((l) => /^25[67] /.test(l)).length;
}

async function command(opts: Parameters<typeof rollover>[1]): Promise<string> {
  const out: string[] = [];
  expect(await rollover(ZONE, opts, io(out)), out.join('')).toBe(0);
  const reloaded = await t.server.reloader.reload('test');
  expect(reloaded.ok).toBe(true);
  return out.join('');
}

async function stage(): Promise<string> {
  const out: string[] = [];
  await status(ZONE, { dir: keysDir }, io(out));
  return out.join('');
}

describe('a rollover on a running server, validated at every step', () => {
  it('ZSK pre-publication, then KSK double-DS: delv validates throughout', async () => {
    const oldZsk = (await readZoneKeys(keysDir, ZONE)).keys.find((k) => k.flags === 256)!;
    expect(await validates(ksk)).toContain('; fully validated');

    // Stage 1: the new ZSK is published, the old one still signs.
    await command({ zsk: true, interval: '15m', dir: keysDir });
    expect(await stage()).toContain('ZSK pre-publication, stage 1 of 2');
    expect(await dnskeyCount()).toBe(3);
    expect(await signerOfA()).toBe(oldZsk.tag);
    expect(await validates(ksk)).toContain('; fully validated');

    // Stage 2, 16 minutes on: the new ZSK signs, the old one is still published.
    offset = 16 * MIN;
    expect(await stage()).toContain('ZSK pre-publication, stage 2 of 2');
    expect(await signerOfA()).not.toBe(oldZsk.tag);
    expect(await dnskeyCount()).toBe(3);
    expect(await validates(ksk)).toContain('; fully validated');

    // 31 minutes on: the old ZSK has left the zone.
    offset = 31 * MIN;
    expect(await dnskeyCount()).toBe(2);
    expect(await validates(ksk)).toContain('; fully validated');

    // KSK double-DS: a second KSK signs the DNSKEY RRset beside the first; either DS validates.
    const made = await command({ ksk: true, interval: '5m', dir: keysDir });
    const newTag = Number(/new KSK (\d+)/.exec(made)![1]);
    const newKsk = (await readZoneKeys(keysDir, ZONE)).keys.find((k) => k.tag === newTag)!;
    expect(await stage()).toContain('double-DS');
    expect(await validates(ksk)).toContain('; fully validated');
    expect(await validates(newKsk)).toContain('; fully validated');

    // Finished (the parent serves the new DS): the old KSK stops signing, so only the new DS
    // validates; the old one no longer does.
    offset = 32 * MIN;
    await command({ ksk: true, finish: true, interval: '5m', dir: keysDir });
    expect(await validates(newKsk)).toContain('; fully validated');
    expect(await validates(ksk)).not.toContain('fully validated');
    offset = 38 * MIN;
    expect(await dnskeyCount()).toBe(2);
    expect(await validates(newKsk)).toContain('; fully validated');
  });
});
