// The examples of docs/zone-format.md's limit codes, produced for real: zone files over each
// limit, built in code. The name and record limits (1,000,000) would take minutes to parse at
// full size, so those two are produced at a small limit, checked against the position their file's
// layout gives, and the same layout's position at the real limit is the documented example.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProblem } from '../../src/base/errors.js';
import { ZONE_LIMITS } from '../../src/zone/limits.js';
import { compileText, loadZoneFiles } from '../../src/zone/load.js';

const HEAD = ['zone: big.example', 'nameservers:', '  ns1.big.example: [192.0.2.53]', 'records:'];
const FILE = 'zones/big.example.yaml';

/** n + 1 names without records: name n + 1 is one too many. */
const manyNames = (n: number) => [
  ...HEAD,
  ...Array.from({ length: n + 1 }, (_, i) => `  h${i + 1}: {}`),
];
const namesAt = (n: number) =>
  `${FILE}:${HEAD.length + n + 1}:3: records.h${n + 1}: more than ${n} names in one zone [too-many-names]`;

/** Names with one A each; with the NS and its glue, name n - 1's A is record n + 1. */
const manyRecords = (n: number) => [
  ...HEAD,
  ...Array.from({ length: n }, (_, i) => `  h${i + 1}: { A: 192.0.2.1 }`),
];
const recordsAt = (n: number) =>
  `${FILE}:${HEAD.length + n - 1}:${`  h${n - 1}: { A: `.length + 1}: records.h${n - 1}.A: more than ${n} records in one zone [too-many-records]`;

const text = (lines: string[]) => lines.join('\n') + '\n';

/** Every example message, as the code produces it; throws if a scaled run disagrees. */
export async function limitExamples(): Promise<string[]> {
  const out: string[] = [];
  const small = { ...ZONE_LIMITS, names: 20, records: 20 };
  for (const [lines, at, limit] of [
    [manyNames(20), namesAt, ZONE_LIMITS.names],
    [manyRecords(20), recordsAt, ZONE_LIMITS.records],
  ] as const) {
    const got = compileText(FILE, text(lines), small).problems.map(formatProblem);
    if (got.join() !== at(20)) throw new Error(`limits: got ${got.join()}, want ${at(20)}`);
    out.push(at(limit));
  }
  const values = Array.from(
    { length: ZONE_LIMITS.rrset + 1 },
    (_, i) => `10.0.${i >> 8}.${i & 255}`,
  );
  const rrset = [...HEAD, '  www:', `    A: [${values.join(', ')}]`];
  out.push(...compileText(FILE, text(rrset)).problems.map(formatProblem));
  const deep = [
    ...HEAD,
    '  deep:',
    ...Array.from({ length: 3000 }, (_, i) => `${' '.repeat(4 + 2 * i)}k${i}:`),
  ];
  out.push(...compileText('zones/deep.example.yaml', text(deep)).problems.map(formatProblem));
  // A file of comment lines one octet over the limit.
  const dir = await mkdtemp(join(tmpdir(), 'geosteer-limit-doc-'));
  try {
    const head = text([...HEAD, '  www: { A: 192.0.2.1 }']);
    const line = `# ${'x'.repeat(29)}\n`;
    const fill = ZONE_LIMITS.fileOctets + 1 - head.length;
    const body =
      head + line.repeat(Math.floor(fill / line.length)) + 'x'.repeat(fill % line.length);
    await writeFile(join(dir, 'big.example.yaml'), body);
    const r = await loadZoneFiles([join(dir, 'big.example.yaml')]);
    out.push(...r.problems.map((p) => formatProblem({ ...p, file: FILE })));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
