// Key files in BIND's format, read and written both ways with BIND's own tools (bind9-utils):
// dnssec-dsfromkey reads geosteer's keys, dnssec-settime rewrites them, dnssec-keygen makes keys
// geosteer reads. The commands run with an injected clock so their output is exact.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ds, type Io, keygen, status } from '../src/dnssec/command.js';
import { readZoneKeys } from '../src/dnssec/key-files.js';
import { run } from './dnssec-fixture.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'geosteer-dnssec-keys-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

function io(now = NOW) {
  const out: string[] = [];
  const err: string[] = [];
  const x: Io = { out: (t) => out.push(t), err: (t) => err.push(t), now: () => now };
  return { io: x, out: () => out.join(''), err: () => err.join('') };
}

describe('geosteer dnssec keygen', () => {
  it('writes a CSK as K<zone>.+013+<tag>.key (0644) and .private (0600) in BIND format', async () => {
    const dir = join(root, 'csk');
    const o = io();
    expect(await keygen('Gslb.Example.COM.', { algorithm: '13', dir }, o.io)).toBe(0);
    const m = /^CSK (\d+) ECDSAP256SHA256: (\S+)\.key \2\.private\n/.exec(o.out());
    expect(m, o.out()).not.toBeNull();
    const tag = m![1]!;
    const base = join(dir, `Kgslb.example.com.+013+${tag.padStart(5, '0')}`);
    expect(m![2]).toBe(base);
    expect((await stat(`${base}.private`)).mode & 0o777).toBe(0o600);
    expect((await stat(`${base}.key`)).mode & 0o777).toBe(0o644);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const key = await readFile(`${base}.key`, 'utf8');
    expect(key.split('\n').slice(0, 4)).toEqual([
      `; This is a key-signing key, keyid ${tag}, for gslb.example.com.`,
      '; Created: 20261204120000 (Fri Dec  4 12:00:00 2026)',
      '; Publish: 20261204120000 (Fri Dec  4 12:00:00 2026)',
      '; Activate: 20261204120000 (Fri Dec  4 12:00:00 2026)',
    ]);
    expect(key.split('\n')[4]).toMatch(
      /^gslb\.example\.com\. IN DNSKEY 257 3 13 [A-Za-z0-9+/]{56} [A-Za-z0-9+/]{30}==$/,
    );
    const priv = (await readFile(`${base}.private`, 'utf8')).split('\n');
    expect(priv[0]).toBe('Private-key-format: v1.3');
    expect(priv[1]).toBe('Algorithm: 13 (ECDSAP256SHA256)');
    expect(priv[2]).toMatch(/^PrivateKey: [A-Za-z0-9+/]{43}=$/);
    expect(priv.slice(3)).toEqual([
      'Created: 20261204120000',
      'Publish: 20261204120000',
      'Activate: 20261204120000',
      '',
    ]);
  });

  it('--ksk-zsk makes a KSK (257) and a ZSK (256); --algorithm 15 makes Ed25519 keys', async () => {
    const dir = join(root, 'split');
    const o = io();
    expect(await keygen('gslb.example.com', { algorithm: '15', kskZsk: true, dir }, o.io)).toBe(0);
    expect(o.out()).toMatch(/^KSK \d+ ED25519: .*\nZSK \d+ ED25519: .*\n/);
    const { keys } = await readZoneKeys(dir, 'gslb.example.com');
    expect(keys.map((k) => [k.flags, k.material.algorithm]).sort()).toEqual([
      [256, 15],
      [257, 15],
    ]);
  });

  it('rejects a bad algorithm or zone name with a sentence', async () => {
    const o = io();
    expect(await keygen('gslb.example.com', { algorithm: '8', dir: join(root, 'x') }, o.io)).toBe(
      1,
    );
    expect(await keygen('a..b', { algorithm: '13', dir: join(root, 'x') }, o.io)).toBe(1);
    expect(o.err()).toBe(
      'dnssec keygen: --algorithm must be 13 (ECDSAP256SHA256) or 15 (ED25519), got "8"\n' +
        'dnssec keygen: not a domain name: "a..b"\n',
    );
  });
});

describe('interoperation with BIND', () => {
  it('dnssec-dsfromkey gives the same DS as geosteer dnssec ds for keys geosteer wrote', async () => {
    const dir = join(root, 'ds');
    await keygen('gslb.example.com', { algorithm: '13', dir }, io().io);
    await keygen('gslb.example.com', { algorithm: '15', kskZsk: true, dir }, io().io);
    const o = io();
    expect(await ds('gslb.example.com', { dir }, o.io)).toBe(0);
    const ours = o
      .out()
      .split('\n')
      .filter((l) => / IN DS /.test(l));
    expect(ours).toHaveLength(2); // the CSK and the KSK; a ZSK has no DS
    const { keys } = await readZoneKeys(dir, 'gslb.example.com');
    const theirs: string[] = [];
    for (const k of keys.filter((x) => x.flags === 257)) {
      const file = `Kgslb.example.com.+0${k.material.algorithm}+${String(k.tag).padStart(5, '0')}.key`;
      const r = await run('dnssec-dsfromkey', ['-2', join(dir, file)]);
      expect(r.code, r.out).toBe(0);
      theirs.push(r.out.trim());
    }
    expect(ours).toEqual(theirs);
  });

  it('dnssec-settime rewrites geosteer key files, and geosteer reads the new timing', async () => {
    const dir = join(root, 'settime');
    const o = io();
    await keygen('gslb.example.com', { algorithm: '13', kskZsk: true, dir }, o.io);
    const zsk = /ZSK (\d+)/.exec(o.out())![1]!.padStart(5, '0');
    const r = await run('dnssec-settime', [
      '-K',
      dir,
      '-I',
      '20270301000000',
      '-D',
      '20270315000000',
      `Kgslb.example.com.+013+${zsk}`,
    ]);
    expect(r.code, r.out).toBe(0);
    const at = (ms: number) => {
      const s = io(ms);
      return status('gslb.example.com', { dir }, s.io).then(() =>
        s
          .out()
          .split('\n')
          .find((l) => l.includes('ZSK')),
      );
    };
    expect(await at(NOW)).toBe(
      `  ZSK  ${Number(zsk).toString().padStart(5)}  13 ECDSAP256SHA256  active     next: Inactive 2027-03-01 00:00:00`,
    );
    expect(await at(Date.UTC(2027, 2, 2))).toContain('inactive   next: Delete 2027-03-15 00:00:00');
    expect(await at(Date.UTC(2027, 2, 16))).toContain('deleted    next: none scheduled');
  });

  it('reads dnssec-keygen keys, and reports a key of an algorithm it does not sign with', async () => {
    const dir = join(root, 'bind');
    await mkdir(dir);
    for (const alg of ['ED25519', 'RSASHA256']) {
      const r = await run('dnssec-keygen', [
        '-q',
        '-K',
        dir,
        '-a',
        alg,
        '-f',
        'KSK',
        'gslb.example.com',
      ]);
      expect(r.code, r.out).toBe(0);
    }
    const { keys, problems } = await readZoneKeys(dir, 'gslb.example.com');
    expect(keys.map((k) => k.material.algorithm)).toEqual([15]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /\/Kgslb\.example\.com\.\+008\+\d{5}\.private:2: algorithm 8 \(RSASHA256\) is not supported \(geosteer signs with 13 ECDSAP256SHA256 and 15 ED25519\)$/,
    );
  });

  it('refuses a .key whose public key is not the .private key’s', async () => {
    const a = join(root, 'mismatch-a');
    const b = join(root, 'mismatch-b');
    const oa = io();
    await keygen('gslb.example.com', { algorithm: '15', dir: a }, oa.io);
    await keygen('gslb.example.com', { algorithm: '15', dir: b }, io().io);
    const base = /: (\S+)\.key/.exec(oa.out())![1]!;
    const other = (await readZoneKeys(b, 'gslb.example.com')).keys[0]!;
    await writeFile(
      `${base}.private`,
      `Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\nPrivateKey: ${Buffer.from(other.material.secret).toString('base64')}\n`,
    );
    const { keys, problems } = await readZoneKeys(a, 'gslb.example.com');
    expect(keys).toEqual([]);
    expect(problems).toEqual([
      `${base}.key:5: the public key does not belong to the private key in ${base}.private`,
    ]);
  });
});

describe('geosteer dnssec status', () => {
  it('with no keys: says so, warns, and exits 1', async () => {
    const o = io();
    expect(await status('gslb.example.com', { dir: join(root, 'none') }, o.io)).toBe(1);
    expect(o.out()).toBe(
      `zone gslb.example.com.: 0 key(s) in ${join(root, 'none')} at 2026-12-04 12:00:00 UTC\n` +
        '  warning: no published key-signing key\n' +
        "  warning: no active key signs the zone's records\n",
    );
  });
});

it('the real CLI runs geosteer dnssec keygen and ds', async () => {
  const dir = join(root, 'cli');
  const gen = await run(process.execPath, [
    '--import',
    'tsx',
    'src/cli.ts',
    'dnssec',
    'keygen',
    'cli.example',
    '--dir',
    dir,
  ]);
  expect(gen.code, gen.out).toBe(0);
  const dsOut = await run(process.execPath, [
    '--import',
    'tsx',
    'src/cli.ts',
    'dnssec',
    'ds',
    'cli.example',
    '--dir',
    dir,
  ]);
  expect(dsOut.code, dsOut.out).toBe(0);
  const base = /: (\S+)\.key/.exec(gen.out)![1]!;
  const bind = await run('dnssec-dsfromkey', ['-2', `${base}.key`]);
  expect(dsOut.out.split('\n')[1]).toBe(bind.out.trim());
});

it("Knot's keymgr imports a geosteer key (import-bind) and computes the same DS", async () => {
  const dir = join(root, 'knot');
  const o = io();
  await keygen('gslb.example.com', { algorithm: '13', dir }, o.io);
  const base = /: (\S+)\.key/.exec(o.out())![1]!;
  const tag = /CSK (\d+)/.exec(o.out())![1]!;
  const kasp = join(root, 'knot-kasp');
  await mkdir(kasp);
  const imported = await run('keymgr', ['-D', kasp, 'gslb.example.com.', 'import-bind', base]);
  expect(imported.code, imported.out).toBe(0);
  const knot = await run('keymgr', ['-D', kasp, 'gslb.example.com.', 'ds', tag]);
  const dsOut = io();
  await ds('gslb.example.com', { dir }, dsOut.io);
  const ours = dsOut.out().split('\n')[1]!; // gslb.example.com. IN DS <tag> 13 2 <HEX>
  const theirs = knot.out.split('\n').find((l) => / DS \d+ 13 2 /.test(l))!;
  expect(theirs.replace(' DS ', ' IN DS ').toUpperCase()).toBe(ours.toUpperCase());
});

it('reads a .key file whose DNSKEY spans lines in parentheses', async () => {
  const dir = join(root, 'multiline');
  const o = io();
  await keygen('gslb.example.com', { algorithm: '13', dir }, o.io);
  const base = /: (\S+)\.key/.exec(o.out())![1]!;
  const text = await readFile(`${base}.key`, 'utf8');
  const [head, b64] = text.trimEnd().split(' 257 3 13 ') as [string, string];
  await writeFile(
    `${base}.key`,
    `${head} 257 3 13 ( ; key material follows\n  ${b64.split(' ').join('\n  ')} )\n`,
  );
  const { keys, problems } = await readZoneKeys(dir, 'gslb.example.com');
  expect(problems).toEqual([]);
  expect(Buffer.from(keys[0]!.material.publicKey).toString('base64')).toBe(b64.replace(' ', ''));
});
