// `geosteer check` and `geosteer export`, run as the real CLI in a child process from the repo root.
import { isIP } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliToEnd } from './helpers/cli.js';

const cli = runCliToEnd;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-cli-'));
  await writeFile(
    join(dir, 'broken.example.yaml'),
    [
      'zone: broken.example', // 1
      'nameservers:', // 2
      '  ns1:', // 3: in zone, no glue
      'records:', // 4
      '  www:', // 5
      '    A: 192.0.2.300', // 6
      '    CNAME: web', // 7
      '  Www:', // 8
      '    TXT: hi', // 9
    ].join('\n') + '\n',
  );
  await writeFile(
    join(dir, 'fine.example.yaml'),
    'zone: fine.example\nnameservers:\n  ns1.example.net.:\n',
  );
  await writeFile(
    join(dir, 'twice.yaml'),
    '# the same zone again\nzone: FINE.example.\nnameservers:\n  ns2.example.net.:\n',
  );
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('geosteer check', () => {
  it('prints every problem of every file as file:line:col: path: message [code] and exits 1', async () => {
    const r = await cli('check', '--zones', dir);
    const b = join(dir, 'broken.example.yaml');
    expect(r.stderr.split('\n')).toEqual([
      `${b}:3:3: nameservers.ns1: ns1.broken.example is inside zone broken.example, so it needs its addresses (glue), e.g. ns1: [192.0.2.53] [missing-glue]`,
      `${b}:6:8: records.www.A: not an IPv4 address: "192.0.2.300" [bad-address]`,
      `${b}:8:3: records.Www: Www.broken.example is the same name as www.broken.example (records.www); DNS names are case-insensitive (RFC 4343) [case-duplicate]`,
      `${join(dir, 'twice.yaml')}:2:7: zone: zone FINE.example is already defined at ${join(dir, 'fine.example.yaml')}:1:7 [duplicate-zone]`,
      '4 problem(s)',
      '',
    ]);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
  });

  it('checks named files on their own', async () => {
    const r = await cli('check', join(dir, 'fine.example.yaml'));
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '1 file(s) OK\n', '']);
  });

  it('checks a directory argument as a zones directory, with the same problems as --zones', async () => {
    const r = await cli('check', dir);
    const viaFlag = await cli('check', '--zones', dir);
    expect(r.stderr).toContain('[missing-glue]');
    expect(r.stderr).not.toContain('EISDIR');
    expect([r.code, r.stdout, r.stderr]).toEqual([viaFlag.code, '', viaFlag.stderr]);
    const ok = await cli('check', 'zones/');
    expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, '1 file(s) OK\n', '']);
  });

  it('checks files and directories named together as one set', async () => {
    const other = await mkdtemp(join(tmpdir(), 'geosteer-cli-mix-'));
    try {
      await writeFile(
        join(other, 'solo.yaml'),
        'zone: solo.example\nnameservers:\n  ns1.example.net.:\n',
      );
      // The example zone again, in a file outside zones/: the two copies clash.
      await writeFile(
        join(other, 'copy.yaml'),
        'zone: gslb.example.com\nnameservers:\n  ns1.example.net.:\n',
      );
      const ok = await cli('check', 'zones', join(other, 'solo.yaml'));
      expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, '2 file(s) OK\n', '']);
      const clash = await cli('check', 'zones', join(other, 'copy.yaml'));
      expect([clash.code, clash.stderr]).toEqual([
        1,
        `${join(other, 'copy.yaml')}:1:7: zone: zone gslb.example.com is already defined at zones/gslb.example.com.yaml:2:7 [duplicate-zone]\n1 problem(s)\n`,
      ]);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('names a path that is not there, or a directory with no zone files, and still checks the rest', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'geosteer-cli-empty-'));
    try {
      const r = await cli('check', 'no-such-zones/', empty, join(dir, 'nope.yaml'), 'zones');
      expect([r.code, r.stdout, r.stderr]).toEqual([
        1,
        '',
        [
          'no-such-zones/:1:1: no such file or directory [io-error]',
          `${empty}:1:1: a directory with no zone files (*.yaml, *.yml) [io-error]`,
          `${join(dir, 'nope.yaml')}:1:1: no such file or directory [io-error]`,
          '3 problem(s)',
          '',
        ].join('\n'),
      ]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('passes the example zone and exits 0', async () => {
    const r = await cli('check', '--zones', 'zones');
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'zones: OK\n', '']);
  });
});

describe('geosteer export', () => {
  it('prints the example zone as master-file lines and exits 0', async () => {
    const r = await cli('export', 'gslb.example.com', '--zones', 'zones');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline
    expect(lines[0]).toBe(
      '; zone gslb.example.com exported by geosteer from zones/gslb.example.com.yaml',
    );
    expect(lines[1]).toBe('$ORIGIN gslb.example.com.');
    // Steered names cannot be written as fixed records: each is a comment (';', RFC 1035 5.1).
    const comments = lines.slice(2).filter((l) => l.startsWith(';'));
    expect(comments).toContain(
      '; www.gslb.example.com. A/AAAA steered per query (steer: nearest, sites us-east, eu-west, ap-south): not exported',
    );
    // RFC 1035 5.1: <owner> <TTL> <class> <type> <RDATA>, owners absolute (trailing dot).
    const rrs = lines
      .slice(2)
      .filter((l) => !l.startsWith(';'))
      .map((l) => {
        const m = /^(\S+\.)\t(\d+)\tIN\t([A-Z]+)\t(.+)$/.exec(l);
        expect(m, l).not.toBeNull();
        return { owner: m![1]!, ttl: Number(m![2]), type: m![3]!, rdata: m![4]! };
      });
    expect(rrs[0]).toMatchObject({ owner: 'gslb.example.com.', type: 'SOA' });
    expect(rrs.filter((r) => r.type === 'SOA')).toHaveLength(1);
    for (const rr of rrs) {
      expect(rr.owner.toLowerCase().endsWith('gslb.example.com.'), rr.owner).toBe(true);
      expect(rr.ttl).toBeLessThanOrEqual(2147483647);
      if (rr.type === 'A') expect(isIP(rr.rdata)).toBe(4);
      if (rr.type === 'AAAA') expect(isIP(rr.rdata)).toBe(6);
      if (['NS', 'CNAME', 'PTR'].includes(rr.type)) expect(rr.rdata).toMatch(/^\S+\.$/);
      if (rr.type === 'MX') expect(rr.rdata).toMatch(/^\d+ \S+\.$/);
      if (rr.type === 'SRV') expect(rr.rdata).toMatch(/^\d+ \d+ \d+ \S+\.$/);
      if (rr.type === 'TXT')
        expect(rr.rdata).toMatch(/^"(?:[^"\\]|\\.){0,255}"(?: "(?:[^"\\]|\\.){0,255}")*$/);
      if (rr.type === 'CAA') expect(rr.rdata).toMatch(/^\d+ [a-z0-9]+ ".*"$/);
    }
    const types = new Set(rrs.map((r) => r.type));
    expect([...types].sort()).toEqual([
      'A',
      'AAAA',
      'CAA',
      'CNAME',
      'MX',
      'NS',
      'PTR',
      'SOA',
      'SRV',
      'TXT',
    ]);
    // The long TXT of the example is split into two character-strings.
    expect(rrs.find((r) => r.owner === 'long-txt.gslb.example.com.')?.rdata).toMatch(
      /^"[^"]{255}" "[^"]+"$/,
    );
  });

  it('exits 1 for a zone that is not there', async () => {
    const r = await cli('export', 'nope.example', '--zones', 'zones');
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      'no zone nope.example in zones (have: gslb.example.com)\n',
    ]);
  });
});
