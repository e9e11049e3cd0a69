// The policy pages (docs/policies/*.md) against the code: one page per policy, every key the
// policy accepts in its key table, the default `answers` as the code has it, and every complete
// zone example compiling with no problems. (docs/steering.md is checked by test/docs.test.ts.)
import { readdir, readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { POLICIES } from '../src/policy/registry.js';
import { formatProblem } from '../src/base/errors.js';
import { compileText } from '../src/zone/load.js';

const pages = new Map<string, string>();
for (const f of (await readdir('docs/policies')).filter((f) => f.endsWith('.md')).sort())
  pages.set(f.replace(/\.md$/, ''), await readFile(`docs/policies/${f}`, 'utf8'));

function yamlBlocks(md: string): { line: number; info: string; body: string }[] {
  const out: { line: number; info: string; body: string }[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(yaml.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    out.push({ line: start, info: open[1]!.trim(), body: body.join('\n') + '\n' });
  }
  return out;
}
/** First cells of table rows that are a `code` span: the documented keys. */
const tableKeys = (md: string) =>
  md.split('\n').flatMap((l) => /^\| `([a-z_]+)` +\|/.exec(l)?.[1] ?? []);

describe('docs/policies: one page per policy', () => {
  it('has a page for every policy and no other', () => {
    expect([...pages.keys()].sort()).toEqual([...POLICIES.keys()].sort());
  });

  it.each([...POLICIES.values()].map((p) => [p.kind, p] as const))(
    '%s: documents every key and its default answers',
    (kind, p) => {
      const md = pages.get(kind)!;
      expect(md.startsWith(`# ${kind}\n`)).toBe(true);
      for (const k of [...p.keys, 'answers']) expect(tableKeys(md), k).toContain(k);
      const answersRow = md.split('\n').find((l) => l.startsWith('| `answers`'))!;
      expect(answersRow.split('|')[2]!.trim()).toBe(`\`${p.defaultAnswers}\``);
      expect(md).toContain('## ECS scope');
    },
  );
});

describe('docs/policies: examples', () => {
  const blocks = [...pages].flatMap(([kind, md]) =>
    yamlBlocks(md).map((b) => ({ ...b, where: `docs/policies/${kind}.md:${b.line}`, kind })),
  );
  it('every page has a complete zone example', () => {
    for (const kind of pages.keys())
      expect(
        blocks.some((b) => b.kind === kind && b.info === 'yaml' && b.body.startsWith('zone:')),
        kind,
      ).toBe(true);
  });

  it.each(blocks.filter((b) => b.info === 'yaml').map((b) => [b.where, b] as const))(
    '%s compiles with no problems',
    (_where, b) => {
      expect(
        b.body.startsWith('zone:'),
        'a ```yaml block is a complete zone; mark parts as ```yaml fragment',
      ).toBe(true);
      const r = compileText(`${b.where}.yaml`, b.body);
      expect(r.problems.map(formatProblem)).toEqual([]);
      const steered = [...r.zone!.nodes.values()].filter((n) => n.dynamic);
      expect(steered.map((n) => n.dynamic!.kind)).toContain(b.kind);
    },
  );

  it.each(blocks.filter((b) => b.info === 'yaml fragment').map((b) => [b.where, b] as const))(
    '%s is valid YAML',
    (_where, b) => {
      expect(parseDocument(b.body).errors.map((e) => e.message)).toEqual([]);
    },
  );

  it('marks every yaml block as a complete zone or a fragment', () => {
    expect(
      blocks.filter((b) => b.info !== 'yaml' && b.info !== 'yaml fragment').map((b) => b.where),
    ).toEqual([]);
  });
});
