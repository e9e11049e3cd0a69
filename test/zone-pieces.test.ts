// `records:` read in pieces (src/zone/compile-pieces.ts) must change nothing a user sees: for every
// zone file the repository and its docs use, and for broken files made to hit every seam between
// pieces, compiling with pieces forced tiny (1, 2, 7 names) gives exactly the problems (code,
// file:line:col, path, message, order), the serial, the fingerprint and the names of reading the
// file whole. Files that cannot plainly be cut must be read whole, and the rest must
// really be cut, or the comparison would prove nothing.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_NESTING } from '../src/base/yaml-parse.js';
import { compileInPieces } from '../src/zone/compile-pieces.js';
import { compileText } from '../src/zone/compile-text.js';
import { ZONE_LIMITS, type ZoneLimits } from '../src/zone/limits.js';

const SIZES = [1, 2, 7];

/** Everything observable about one compile. */
function outcome(file: string, text: string, limits: ZoneLimits, perPiece: number) {
  const r = compileText(file, text, limits, null, perPiece);
  return {
    problems: r.problems,
    origin: r.origin,
    serial: r.zone ? r.zone.soa.rdata[0] : null,
    fingerprint: r.zone?.fingerprint ?? null,
    names: r.zone ? [...r.zone.nodes.keys()].sort() : null,
  };
}

function expectSame(file: string, text: string, limits: ZoneLimits = ZONE_LIMITS): void {
  const whole = outcome(file, text, limits, 0);
  for (const n of SIZES)
    expect(outcome(file, text, limits, n), `${file}, ${n} a piece`).toEqual(whole);
}

const split = (text: string) => compileInPieces('f.yaml', text, ZONE_LIMITS, null, 2) !== null;

// Every zone file in the repository, and every zone in the docs and the README.
const tracked = execFileSync('git', ['ls-files', '*.yaml', '*.yml'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && /^zone:/m.test(readFileSync(f, 'utf8')));
const markdown = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...readdirSync('docs/policies').map((f) => `docs/policies/${f}`),
];
const docZones = markdown.flatMap((f) =>
  [...readFileSync(f, 'utf8').matchAll(/^```yaml[^\n]*\n([\s\S]*?)^```$/gm)]
    .map((m, i) => ({ file: `${f}#${i}`, text: m[1]! }))
    .filter((b) => /^zone:/m.test(b.text)),
);

const BASE = readFileSync('zones/gslb.example.com.yaml', 'utf8');
/** The example zone with `extra` lines first under records:, and `last` lines last. */
const zone = (extra: string, last = '') =>
  BASE.replace('records:\n', `records:\n${extra}`).replace('\nsites:', `\n${last}sites:`);

/** Broken and odd files that cut cleanly: each seam between pieces gets something to carry. */
const CUT: [string, string][] = [
  [
    'duplicate names across pieces, by key and by letter case',
    zone(
      '  static:\n    TXT: [first]\n  STATIC2:\n    A: [192.0.2.2]\n',
      '  Static2:\n    A: [192.0.2.3]\n  mx2:\n    A: [192.0.2.4]\n',
    ),
  ],
  ['a duplicate key inside a name', zone('  twice:\n    A: [192.0.2.1]\n    A: [192.0.2.2]\n')],
  [
    'bad values in the last piece',
    zone('', '  zz:\n    A: [300.1.1.1]\n    MX: [nope]\n    TTL: 5\n    ttl: -1\n    soa: x\n'),
  ],
  [
    'wildcards, one owning NS',
    zone("  '*.x':\n    A: [192.0.2.1]\n  '*':\n    NS: [ns.example.net.]\n"),
  ],
  [
    'steered names with problems beside static ones',
    zone(
      '  bad-steer:\n    steer: weighted\n    sites: { nowhere: 1 }\n    A: [192.0.2.1]\n  cname-steer:\n    steer: nearest\n    sites: [us-east]\n    CNAME: www\n',
    ),
  ],
  [
    'delegations, glue below a cut, occluded data, missing glue',
    zone(
      '  cut:\n    NS: [ns1.cut]\n  ns1.cut:\n    A: [192.0.2.5]\n  deep.cut:\n    TXT: [occluded]\n  nsless:\n    NS: [ns.nsless]\n  steered.cut:\n    steer: nearest\n    sites: [us-east]\n',
    ),
  ],
  [
    'comments between entries, at any indentation, and block scalars',
    zone(
      '  # a comment\n# at column 1\n    # deeper\n  blk:\n    TXT: |\n      line one\n\n      line two\n  folded:\n    TXT: >-\n      one\n      two\n  "quoted":\n    A: [192.0.2.9]\n  2.10:\n    PTR: static.gslb.example.com.\n',
    ),
  ],
  ['CRLF line ends', zone('  crlf:\n    A: [192.0.2.1, 192.0.2.1]\n').replace(/\n/g, '\r\n')],
  [
    'a records: line with a comment, and nothing after records:',
    'zone: t.test\nnameservers:\n  ns1.t.test: [192.0.2.1]\nrecords: # all of them\n  a: { A: [192.0.2.2] }\n  b: { AAAA: [nope] }\n',
  ],
  [
    'records: before the nameservers',
    'zone: t.test\nrecords:\n  a: { A: [192.0.2.2] }\n  ns1:\n    AAAA: [2001:db8::1]\n  b: { TXT: [x] }\nnameservers:\n  ns1.t.test: [192.0.2.1]\n',
  ],
  [
    'a broken apex, with the rest read for its duplicate keys',
    'zone: -bad-\nnameservers: {}\nrecords:\n  a: { A: [192.0.2.2] }\n  a: { A: [192.0.2.3] }\n',
  ],
  [
    'no zone: key',
    'nameservers:\n  ns1.t.test: [192.0.2.1]\nrecords:\n  a: { A: [192.0.2.2] }\n  b: {}\n  c: 3\n',
  ],
];

/** Files that must be read whole, and still report the same. */
const WHOLE: [string, string][] = [
  ['anchors and aliases', zone('  anc: &a { A: [192.0.2.1] }\n  ali: *a\n')],
  ['a tag', zone('  tagged: !!map { A: [192.0.2.1] }\n')],
  [
    'flow-style records',
    'zone: t.test\nnameservers:\n  ns1.t.test: [192.0.2.1]\nrecords: { a: { A: [192.0.2.2] }, b: { A: [bad] } }\n',
  ],
  [
    'a syntax error inside a piece',
    zone('  broken: { A: [192.0.2.1]\n  next:\n    A: [192.0.2.2]\n'),
  ],
  ['an unquoted @ and *', zone('  @x:\n    A: [192.0.2.1]\n  *.y:\n    A: [192.0.2.1]\n')],
  ['a second document', zone('  a:\n    A: [192.0.2.1]\n') + '---\nzone: other.test\n'],
  ['a directive', '%YAML 1.2\n---\n' + zone('  a:\n    A: [192.0.2.1]\n')],
  ['a tab before an entry', zone('\t a:\n    A: [192.0.2.1]\n')],
  [
    'an entry less indented than the first',
    zone('   a:\n    A: [192.0.2.1]\n  b:\n    A: [192.0.2.1]\n'),
  ],
  ['records: twice', zone('  a:\n    A: [192.0.2.1]\n') + 'records:\n  b:\n    A: [192.0.2.1]\n'],
  [
    'records: as a list',
    'zone: t.test\nnameservers:\n  ns1.t.test: [192.0.2.1]\nrecords:\n- a\n- b\n',
  ],
  ['an explicit key', zone('  ? a\n  : { A: [192.0.2.1] }\n')],
  [
    'nesting too deep inside records:',
    zone(`  deep:\n    TXT: ${'['.repeat(MAX_NESTING)}x${']'.repeat(MAX_NESTING)}\n`),
  ],
];

describe('records: read in pieces', () => {
  it.each(tracked)('%s: the same problems and zone as read whole', (f) => {
    expectSame(f, readFileSync(f, 'utf8'));
  });

  it('finds the zone files and the docs zones it compares', () => {
    expect(tracked).toContain('zones/gslb.example.com.yaml');
    expect(docZones.length).toBeGreaterThan(10);
  });

  it.each(docZones.map((d) => [d.file, d.text]))('%s: the same as read whole', (f, text) => {
    expectSame(f, text);
  });

  it.each(CUT)('%s: cut into pieces, the same as read whole', (_what, text) => {
    expect(split(text)).toBe(true);
    expectSame('f.yaml', text);
  });

  it.each(WHOLE)('%s: read whole, so the same', (_what, text) => {
    expect(split(text)).toBe(false);
    expectSame('f.yaml', text);
  });

  it('reports a duplicate name in a later piece at its place, naming the first', () => {
    const text = zone('  dup:\n    A: [192.0.2.1]\n', '  dup:\n    A: [192.0.2.2]\n');
    const r = compileText('f.yaml', text, ZONE_LIMITS, null, 1);
    const line = text.split('\n').lastIndexOf('  dup:') + 1;
    expect(r.problems.map((p) => [p.line, p.col, p.code, p.message])).toEqual([
      [
        line,
        3,
        'duplicate-key',
        'duplicate key "dup": the first is at line 16, column 3, and YAML keeps only one',
      ],
    ]);
  });

  // Every limit, passed at each place in turn (in the nameservers before records:, in the first
  // piece, in a later one, in the sites after records:): the same single problem as read whole,
  // and nothing of what was compiled before the count stopped.
  const LIMITED = zone(
    '  twice:\n    A: [192.0.2.1]\n    A: [192.0.2.2]\n',
    '  bad:\n    A: [nope]\n',
  );
  it.each([
    ...Array.from({ length: 40 }, (_, i) => ({ ...ZONE_LIMITS, records: i + 1 })),
    ...Array.from({ length: 22 }, (_, i) => ({ ...ZONE_LIMITS, names: i + 1 })),
    { ...ZONE_LIMITS, rrset: 1 },
    { ...ZONE_LIMITS, rrset: 2 },
  ])('limits %o: the same problem as read whole', (limits) => {
    expectSame('f.yaml', LIMITED, limits);
  });

  it('stops at a limit passed in a later piece with only that problem and the duplicate keys', () => {
    const r = compileText('f.yaml', LIMITED, { ...ZONE_LIMITS, names: 20 }, null, 2);
    expect(r.zone).toBeNull();
    expect(r.problems.map((p) => p.code).sort()).toEqual(['duplicate-key', 'too-many-names']);
  });
});
