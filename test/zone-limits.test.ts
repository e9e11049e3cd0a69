// Bad zone files stay bounded (docs/zone-format.md#limits): nesting, file size, names, records
// and RRset size each have a limit; just over it is one problem at an exact file:line:col with its
// code, just under it loads, the same position comes from `geosteer check`, `geosteer serve` and
// a reload, and a reload that meets one keeps serving the last good zones.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem, ProblemCode } from '../src/base/errors.js';
import { ZONE_LIMITS, type ZoneLimits } from '../src/zone/limits.js';
import { compileText, loadZoneFiles } from '../src/zone/load.js';
import { MAX_NESTING } from '../src/base/yaml-source.js';
import { freePort, runCli, runCliToEnd } from './helpers/cli.js';
import { queryUdp } from './helpers/dns-client.js';
import { startServer } from './helpers/server.js';

const GOOD = [
  'zone: l.test', // 1
  'nameservers:', // 2
  '  ns1.l.test: [192.0.2.53]', // 3
  'sites:', // 4
  '  fra: { addresses: [192.0.2.10] }', // 5
  'records:', // 6
  '  www:', // 7
  '    A: [192.0.2.1]', // 8
];
/** Records GOOD holds: the NS, its glue, fra's address, www's A. */
const GOOD_RECORDS = 4;
const text = (lines: string[]) => lines.join('\n') + '\n';

/**
 * GOOD plus `records.deep`: block mappings `levels` deep in all, counted from the file's root
 * (root, records, deep's value, then one per key line), and the line:col where the mapping one
 * past MAX_NESTING starts (its first key), found by reading the lines, not the code.
 */
function deepBlock(levels: number): { lines: string[]; at: string } {
  const lines = [...GOOD, '  deep:'];
  for (let d = 3; d < levels; d++) lines.push(`${' '.repeat(2 * d - 2)}k${d}:`);
  lines.push(`${' '.repeat(2 * levels - 2)}v: 1`);
  // The mapping at depth MAX_NESTING + 1 is the value of the key one level up: its first key is
  // the line of k{MAX_NESTING + 1} (or v when that is the deepest).
  const key = MAX_NESTING + 1 < levels ? `k${MAX_NESTING + 1}:` : 'v: 1';
  const i = lines.findIndex((l) => l.trim() === key);
  return { lines, at: `${i + 1}:${lines[i]!.indexOf(key) + 1}` };
}

/** GOOD plus `records.flow` with `n` nested [ (and their ], when `closed`). */
function deepFlow(n: number, closed = true): { lines: string[]; at: string } {
  const prefix = '    TXT: ';
  const lines = [...GOOD, '  flow:', prefix + '['.repeat(n) + (closed ? ']'.repeat(n) : '')];
  // root, records, flow's value: the first [ is depth 4.
  return { lines, at: `${lines.length}:${prefix.length + MAX_NESTING - 2}` };
}

const NESTING_MESSAGE = `nesting deeper than ${MAX_NESTING} (mappings and lists inside one another) [nesting-too-deep]`;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function dirWith(files: Record<string, string>): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'geosteer-limits-'));
  dirs.push(d);
  for (const [name, t] of Object.entries(files)) await writeFile(join(d, name), t);
  return d;
}

const problemsOf = (lines: string[], limits?: ZoneLimits) =>
  compileText('F', text(lines), limits).problems.map(formatProblem);

describe('nesting', () => {
  it('GOOD itself loads', () => {
    expect(problemsOf(GOOD)).toEqual([]);
  });

  it.each([
    ['a block mapping', deepBlock(MAX_NESTING + 1)],
    ['a 3,000-level block mapping', deepBlock(3000)],
    ['nested flow lists', deepFlow(MAX_NESTING)],
    ['100,000 nested [, never closed', deepFlow(100_000, false)],
  ])('%s one level too deep is one problem, where that level starts', (_what, f) => {
    expect(problemsOf(f.lines)).toEqual([`F:${f.at}: ${NESTING_MESSAGE}`]);
  });

  it.each([
    ['a block mapping', deepBlock(MAX_NESTING).lines],
    ['flow lists', deepFlow(MAX_NESTING - 3).lines],
  ])('%s exactly at the limit is parsed (and checked as a zone)', (_what, lines) => {
    const codes = compileText('F', text(lines)).problems.map((p) => p.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(codes).not.toContain(ProblemCode.nestingTooDeep);
  });

  it('a 3,000-level mapping: the same file:line:col from check, serve and a reload', async () => {
    const bad = deepBlock(3000);
    const want = (file: string) => `${file}:${bad.at}: ${NESTING_MESSAGE}`;

    const checkDir = await dirWith({ 'l.test.yaml': text(bad.lines) });
    const check = await runCliToEnd('check', '--zones', checkDir);
    expect(check.code).toBe(1);
    expect(check.stderr).toBe(`${want(join(checkDir, 'l.test.yaml'))}\n1 problem(s)\n`);

    const port = await freePort();
    const serve = runCli([
      'serve',
      '--zones',
      checkDir,
      '--listen',
      `127.0.0.1:${port}`,
      '--no-admin',
      '--no-watch',
    ]);
    try {
      const line = await serve.waitFor((l) => l.code === ProblemCode.nestingTooDeep, 30_000);
      expect(line.msg).toBe(want(join(checkDir, 'l.test.yaml')));
      expect((await serve.exited).code).toBe(1);
    } finally {
      await serve.stop();
    }

    const s = await startServer({ 'l.test.yaml': text(GOOD) });
    try {
      await s.write('l.test.yaml', text(bad.lines));
      const outcome = await s.server.reload('test');
      expect(outcome.ok).toBe(false);
      const problems = 'problems' in outcome ? outcome.problems.map(formatProblem) : [];
      expect(problems).toEqual([want(join(s.dir, 'l.test.yaml'))]);
      expect(s.logs.map((l) => l.msg)).toContain(want(join(s.dir, 'l.test.yaml')));
      const answer = await queryUdp(s.port, 'www.l.test', 'A');
      expect(answer.answers?.map((r) => (r as { data: string }).data)).toEqual(['192.0.2.1']);
    } finally {
      await s.stop();
    }
  }, 60_000);
});

describe('file size', () => {
  const limit = ZONE_LIMITS.fileOctets;
  /** GOOD, then a comment line that fills the file to `size` octets (its last octet a newline). */
  const padded = (size: number) => {
    const head = text(GOOD) + '# ';
    return head + 'x'.repeat(size - head.length - 1) + '\n';
  };

  it('a file of exactly the limit loads', async () => {
    const d = await dirWith({ 'l.test.yaml': padded(limit) });
    const r = await loadZoneFiles([join(d, 'l.test.yaml')]);
    expect(r.problems).toEqual([]);
    expect(r.zones.map((z) => z.origin)).toEqual(['l.test']);
  });

  it('one octet more is refused at the first octet past the limit, unparsed', async () => {
    const d = await dirWith({ 'l.test.yaml': padded(limit + 1) });
    const file = join(d, 'l.test.yaml');
    const r = await loadZoneFiles([file]);
    // The comment is line GOOD.length + 1, and octet `limit` (counted from 0) is its last "x".
    const before = text(GOOD).length;
    expect(r.problems.map(formatProblem)).toEqual([
      `${file}:${GOOD.length + 1}:${limit - before + 1}: the file is larger than ${limit} octets (16 MiB), the most a zone file may be; split the zone or check what wrote it [file-too-large]`,
    ]);
  });
});

describe('names, records and RRsets', () => {
  /** GOOD plus `n` names, each with one A record; the line of name i (0-based). */
  const withNames = (n: number) => [
    ...GOOD,
    ...Array.from({ length: n }, (_, i) => `  h${i}: { A: [10.0.${i >> 8}.${i & 255}] }`),
  ];
  const small: ZoneLimits = { ...ZONE_LIMITS, names: 5, records: 8 };

  it('names: at the limit loads; one more is refused at its key', () => {
    // www and h0-h3: 5 names.
    expect(problemsOf(withNames(4), small)).toEqual([]);
    expect(problemsOf(withNames(5), { ...small, records: 100 })).toEqual([
      `F:${GOOD.length + 5}:3: records.h4: more than 5 names in one zone [too-many-names]`,
    ]);
  });

  it('records: at the limit loads; one more is refused at that value', () => {
    const lines = [...GOOD.slice(0, -1), '    A: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]'];
    // 4 records in GOOD (with one A), 3 more A values: 7; one more name with one A: 8.
    expect(problemsOf([...lines, '  a: { A: 10.0.0.1 }'], small)).toEqual([]);
    expect(problemsOf([...lines, '  a: { A: [10.0.0.1, 10.0.0.2] }'], small)).toEqual([
      `F:${lines.length + 1}:${'  a: { A: [10.0.0.1, '.length + 1}: records.a.A[1]: more than 8 records in one zone [too-many-records]`,
    ]);
    expect(GOOD_RECORDS + 3 + 1).toBe(small.records);
  });

  it('a steered name counts one record, as do a site address and a nameserver', () => {
    const lines = [
      ...GOOD,
      '  s1: { steer: weighted, sites: [fra] }',
      '  s2: { steer: weighted, sites: [fra] }',
      '  s3: { steer: weighted, sites: [fra] }',
      '  s4: { steer: weighted, sites: [fra] }',
    ];
    expect(problemsOf(lines.slice(0, -1), { ...ZONE_LIMITS, records: 7 })).toEqual([]);
    expect(problemsOf(lines, { ...ZONE_LIMITS, records: 7 })).toEqual([
      `F:${lines.length}:${'  s4: { '.length + 1}: records.s4.steer: more than 7 records in one zone [too-many-records]`,
    ]);
  });

  it('the TTL beside the nameservers is not a nameserver', () => {
    const lines = GOOD.flatMap((l) => (l === 'nameservers:' ? [l, '  ttl: 86400'] : [l]));
    expect(problemsOf(lines, { ...ZONE_LIMITS, records: GOOD_RECORDS })).toEqual([]);
    expect(problemsOf(GOOD, { ...ZONE_LIMITS, records: GOOD_RECORDS - 1 })).toEqual([
      `F:8:9: records.www.A[0]: more than ${GOOD_RECORDS - 1} records in one zone [too-many-records]`,
    ]);
  });

  const values = (n: number) =>
    Array.from({ length: n }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
  const at1000 = (prefix: string, list: string[]) =>
    prefix.length + 2 + list.slice(0, ZONE_LIMITS.rrset).join(', ').length + 2;

  it(`an RRset of ${ZONE_LIMITS.rrset} values loads; one more is refused at that value`, () => {
    const prefix = '    A:';
    const ok = [...GOOD.slice(0, -1), `${prefix} [${values(ZONE_LIMITS.rrset).join(', ')}]`];
    expect(problemsOf(ok)).toEqual([]);
    const list = values(ZONE_LIMITS.rrset + 1);
    const over = [...GOOD.slice(0, -1), `${prefix} [${list.join(', ')}]`];
    expect(problemsOf(over)).toEqual([
      `F:${over.length}:${at1000(prefix, list) + 1}: records.www.A[${ZONE_LIMITS.rrset}]: more than ${ZONE_LIMITS.rrset} values in one RRset [rrset-too-large]`,
    ]);
  });

  it('a site with one address too many is refused at that address', () => {
    const list = values(ZONE_LIMITS.rrset + 1);
    const prefix = '  fra: { addresses:';
    const lines = GOOD.map((l) =>
      l.startsWith('  fra:') ? `${prefix} [${list.join(', ')}] }` : l,
    );
    expect(problemsOf(lines)).toEqual([
      `F:5:${at1000(prefix, list) + 1}: sites.fra.addresses[${ZONE_LIMITS.rrset}]: more than ${ZONE_LIMITS.rrset} values in one RRset [rrset-too-large]`,
    ]);
  });
});

describe('a reload over a limit', () => {
  it('is rejected with its problem, and the last good zones keep serving', async () => {
    const s = await startServer({ 'l.test.yaml': text(GOOD) });
    try {
      const a = async () =>
        (await queryUdp(s.port, 'www.l.test', 'A')).answers?.map(
          (r) => (r as { data: string }).data,
        );
      expect(await a()).toEqual(['192.0.2.1']);
      const list = Array.from(
        { length: ZONE_LIMITS.rrset + 1 },
        (_, i) => `10.0.${i >> 8}.${i & 255}`,
      );
      const edits: [string, string][] = [
        [
          GOOD.map((l) => (l === '    A: [192.0.2.1]' ? `    A: [${list.join(', ')}]` : l)).join(
            '\n',
          ),
          'rrset-too-large',
        ],
        [text(deepFlow(100_000, false).lines), 'nesting-too-deep'],
        [text(GOOD) + '#' + 'x'.repeat(ZONE_LIMITS.fileOctets), 'file-too-large'],
      ];
      for (const [edit, code] of edits) {
        await s.write('l.test.yaml', edit);
        const outcome = await s.server.reload('test');
        expect('problems' in outcome ? outcome.problems.map((p) => p.code) : []).toEqual([code]);
        expect(await a()).toEqual(['192.0.2.1']);
      }
    } finally {
      await s.stop();
    }
  });
});

describe('docs/zone-format.md#limits', () => {
  it('states the limits the code enforces', async () => {
    const md = await readFile('docs/zone-format.md', 'utf8');
    const section = md.slice(md.indexOf('## Limits'), md.indexOf('## Serials'));
    const value = (limit: string) =>
      new RegExp(`^\\| ${limit} +\\| ([^|]+?) +\\|`, 'm').exec(section)?.[1];
    expect({
      file: value('size of a zone file'),
      nesting: value('nesting of mappings and lists'),
      names: value('names under `records:`, per zone'),
      records: value('records per zone'),
      rrset: value('values per RRset'),
    }).toEqual({
      file: `${ZONE_LIMITS.fileOctets / 1024 / 1024} MiB`,
      nesting: String(MAX_NESTING),
      names: ZONE_LIMITS.names.toLocaleString('en'),
      records: ZONE_LIMITS.records.toLocaleString('en'),
      rrset: ZONE_LIMITS.rrset.toLocaleString('en'),
    });
  });
});
