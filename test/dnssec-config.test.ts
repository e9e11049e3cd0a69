// The dnssec: stanza of a zone file: parsed with file:line:col problems like every other key, and
// its keys read at load, where a missing or broken key fails the load (the last good zones keep
// serving, as for any zone error).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../src/base/errors.js';
import { writeKeyFiles } from '../src/dnssec/key-files.js';
import { generateKey } from '../src/dnssec/keys.js';
import { compileText, loadZoneFiles } from '../src/zone/load.js';

const FILE = 'zones/gslb.example.com.yaml';
const head = 'zone: gslb.example.com\nnameservers:\n  ns1.example.net.:\ndnssec:\n';

function problems(stanza: string): string[] {
  return compileText(FILE, head + stanza).problems.map(formatProblem);
}

describe('dnssec: in a zone file', () => {
  it('reads the key directory (relative to the zone file) and the signature parameters', () => {
    const r = compileText(
      FILE,
      head +
        '  keys: keys\n  signature_validity: 7d\n  signature_refresh: 36h\n  inception_backdate: 30m\n  denial: compact\n  dnskey_ttl: 600\n',
    );
    expect(r.problems).toEqual([]);
    expect(r.zone?.dnssec?.config).toMatchObject({
      keysDir: join(process.cwd(), 'zones', 'keys'),
      validity: 7 * 86400,
      refresh: 36 * 3600,
      inceptionBackdate: 1800,
      denial: 'compact',
      dnskeyTtl: 600,
    });
  });

  it('defaults: 14 days of validity, refreshed with a quarter left, one hour of backdating', () => {
    const r = compileText(FILE, head + '  keys: /var/lib/geosteer/keys\n');
    expect(r.zone?.dnssec?.config).toMatchObject({
      keysDir: '/var/lib/geosteer/keys',
      validity: 14 * 86400,
      refresh: 3.5 * 86400,
      inceptionBackdate: 3600,
      dnskeyTtl: null,
    });
  });

  it.each([
    [
      'an unknown key',
      '  keys: keys\n  validty: 7d\n',
      `${FILE}:6:3: dnssec.validty: unknown key "validty" in dnssec (expected one of: keys, signature_validity, signature_refresh, inception_backdate, denial, dnskey_ttl) [unknown-key]`,
    ],
    [
      'no key directory',
      '  signature_validity: 7d\n',
      `${FILE}:5:3: dnssec: missing required key "keys" (the directory of the zone's key files, made by "geosteer dnssec keygen"; or set dnssec.keys in the server config) [missing-key]`,
    ],
    [
      'a duration without a known unit',
      '  keys: keys\n  signature_validity: 2 weeks\n',
      `${FILE}:6:23: dnssec.signature_validity: must be a duration of 3600s to 365d (seconds, or a number with s, m, h, d or w: "14d"), got string "2 weeks" [bad-value]`,
    ],
    [
      'a refresh as long as the validity',
      '  keys: keys\n  signature_validity: 1d\n  signature_refresh: 24h\n',
      `${FILE}:7:22: dnssec.signature_refresh: must be less than signature_validity (86400s), got 86400s [bad-value]`,
    ],
    [
      'a denial mode geosteer does not implement',
      '  keys: keys\n  denial: nsec3\n',
      `${FILE}:6:11: dnssec.denial: must be one of: compact (RFC 9824 compact denial), got "nsec3" [bad-value]`,
    ],
    [
      'dnssec: that is not a mapping',
      '  - keys\n',
      `${FILE}:5:3: dnssec: must be a mapping, got a list [wrong-type]`,
    ],
  ])('%s is an error at its place in the file', (_what, stanza, want) => {
    expect(problems(stanza)).toEqual([want]);
  });
});

describe('the keys of a signed zone are read at load', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'geosteer-dnssec-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function load(keysDir: string) {
    const file = join(dir, 'gslb.example.com.yaml');
    await writeFile(file, `${head}  keys: ${keysDir}\n`);
    return loadZoneFiles([file]);
  }

  it('a zone with its key loads with the key', async () => {
    const key = generateKey('gslb.example.com', { algorithm: 13, sep: true, now: 1e9 });
    await writeKeyFiles(join(dir, 'good'), key);
    const r = await load('good');
    expect(r.problems).toEqual([]);
    expect(r.zones[0]!.dnssec!.keys.map((k) => k.tag)).toEqual([key.tag]);
  });

  it('no key in the directory fails the load, at dnssec.keys', async () => {
    const r = await load('empty');
    expect(r.zones).toEqual([]);
    expect(r.problems.map(formatProblem)).toEqual([
      `${dir}/gslb.example.com.yaml:5:9: dnssec.keys: no key for zone gslb.example.com in ${dir}/empty: make one with "geosteer dnssec keygen gslb.example.com --dir ${dir}/empty" [dnssec-key]`,
    ]);
  });

  it('a .key file that does not belong to its .private fails the load, naming both', async () => {
    const a = generateKey('gslb.example.com', { algorithm: 13, sep: true, now: 1e9 });
    const b = generateKey('gslb.example.com', { algorithm: 13, sep: true, now: 1e9 });
    const files = await writeKeyFiles(join(dir, 'mixed'), a);
    const other = await writeKeyFiles(join(dir, 'other'), b);
    await rm(files.private);
    await writeFile(files.private, await readFile(other.private, 'utf8'));
    const r = await load('mixed');
    expect(r.zones).toEqual([]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.code).toBe('dnssec-key');
    expect(r.problems[0]!.message).toContain('does not belong to the private key');
  });
});
