// The examples in docs/explain.md are run, so the page cannot rot:
//   ```text   whose first line is `$ geosteer explain ARGS`: the rest is that command's output. It
//             must exit 0, and print the same question, client and zone lines, the same location
//             source, the same sites marked `<- answers`, and the same answer (rcode and records).
//   ```console `$ geosteer explain ARGS --json`, followed by a ```json block: the same question,
//             client, zone, chain and answer, and the same location source and origin.
// Distances, coordinates and ECS scopes come from the DB-IP Lite release installed, so they are
// not compared; the answers are.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Explanation } from '../src/explain/explain.js';

const ROOT = join(import.meta.dirname, '..');
const PROMPT = '$ geosteer explain ';

interface Block {
  line: number;
  info: string;
  body: string[];
}

const md = await readFile(join(ROOT, 'docs/explain.md'), 'utf8');
const blocks: Block[] = [];
{
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    blocks.push({ line: start + 1, info: open[1]!.trim(), body });
  }
}
const textExamples = blocks.filter((b) => b.info === 'text' && b.body[0]?.startsWith(PROMPT));
const jsonExamples = blocks.flatMap((b, i) => {
  const next = blocks[i + 1];
  return b.info === 'console' && b.body[0]?.startsWith(PROMPT) && next?.info === 'json'
    ? [{ command: b, json: next }]
    : [];
});

function explainCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'explain', ...args],
      { cwd: ROOT, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

/** What must not change while the database does: everything but distances, coordinates, scopes. */
function essentials(lines: string[]) {
  const at = lines.findIndex((l) => l.startsWith('answer    '));
  const records: string[] = [];
  for (let i = at + 1; i < lines.length && lines[i]!.startsWith('  '); i++) records.push(lines[i]!);
  return {
    question: lines.find((l) => l.startsWith('question  ')),
    client: lines.find((l) => l.startsWith('client    ')),
    location: lines
      .find((l) => l.startsWith('location  '))
      ?.replace(/, network .*$|: nothing .*$/, ''),
    zone: lines.find((l) => l.startsWith('zone      ')),
    chain: lines.filter((l) => /^\S+\. {2}/.test(l)).map((l) => l.replace(/\(IPv.*$/, '')),
    answers: lines.filter((l) => l.endsWith('<- answers')).map((l) => l.trim().split(/\s+/)[0]),
    rcode: lines[at]?.replace(/, ECS scope.*$/, ''),
    records,
  };
}

describe('docs/explain.md', () => {
  it('has the examples the page promises: clients in Europe, North America and Asia, and JSON', () => {
    const located = textExamples.map((b) => b.body.join('\n'));
    for (const continent of ['EU', 'NA', 'AS'])
      expect(
        located.some((t) => t.includes(`continent ${continent}`)),
        continent,
      ).toBe(true);
    expect(textExamples.length).toBeGreaterThanOrEqual(3);
    expect(jsonExamples.length).toBeGreaterThanOrEqual(1);
  });

  describe('each example runs and still answers as shown', () => {
    it.each(textExamples.map((b) => [`docs/explain.md:${b.line}`, b] as const))(
      '%s',
      async (_where, b) => {
        const args = b.body[0]!.slice(PROMPT.length).trim().split(/\s+/);
        const r = await explainCli(args);
        expect([r.code, r.stderr]).toEqual([0, '']);
        const shown = essentials(b.body.slice(1));
        expect(shown.records.length + shown.answers.length).toBeGreaterThan(0);
        expect(essentials(r.stdout.split('\n'))).toEqual(shown);
      },
    );

    it.each(jsonExamples.map((e) => [`docs/explain.md:${e.command.line}`, e] as const))(
      '%s (--json)',
      async (_where, e) => {
        const args = e.command.body[0]!.slice(PROMPT.length).trim().split(/\s+/);
        const r = await explainCli(args);
        expect([r.code, r.stderr]).toEqual([0, '']);
        const got = JSON.parse(r.stdout) as Explanation;
        const shown = JSON.parse(e.json.body.join('\n')) as Explanation;
        // Distances, scopes and the trace (which has both) follow the database release.
        const drop = new Set(['km', 'scope', 'ecsScope', 'trace']);
        const pick = (x: Explanation): unknown =>
          JSON.parse(
            JSON.stringify({
              question: x.question,
              client: x.client,
              zone: x.zone,
              chain: x.chain,
              answer: x.answer,
              source: [x.location.source, x.location.origin, x.location.usedByPolicy],
            }),
            (k, v: unknown) => (drop.has(k) ? undefined : v),
          );
        expect(pick(got)).toEqual(pick(shown));
      },
    );
  });
});
