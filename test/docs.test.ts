// The zone examples in docs/*.md are loaded here, so the docs cannot drift from the code.
//
// Conventions for fenced blocks in docs/*.md:
//   ```yaml                   whose first key is `zone:`: a complete zone; it must compile with no problems.
//   ```yaml fragment          part of a zone (a few keys); it must be valid YAML, nothing more.
//   ```yaml broken FILE       a complete zone with mistakes, compiled as FILE; the next fenced block
//                             (```text) holds exactly the problem lines it produces.
// In docs/zone-format.md every yaml block must be one of these three. Other docs may have yaml
// blocks of their own (```yaml config); any of those that starts with `zone:` must compile too.
// A ```text block starting with `$ geosteer export ZONE` shows the first lines of that zone's export
// (up to a `...` line); ZONE must be a complete zone in the same page.
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SOA_KEYS, STATIC_TYPES, ZONE_KEYS } from '../src/zone/compile.js';
import { formatProblem, ProblemCode } from '../src/base/errors.js';
import { exportZone } from '../src/zone/export.js';
import { compileText, loadZoneDir } from '../src/zone/load.js';
import { ZoneSet } from '../src/zone/zone-set.js';
import { limitExamples } from './helpers/limit-examples.js';
import { Reloader } from '../src/server/reloader.js';
import { silentLogger } from '../src/base/log.js';

interface Block {
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  info: string;
  body: string;
}

function blocks(doc: string, md: string): Block[] {
  const out: Block[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    out.push({ doc, line: start + 1, info: open[1]!.trim(), body: body.join('\n') + '\n' });
  }
  return out;
}

const firstKey = (yaml: string) => /^([^\s#][^:]*):/m.exec(yaml)?.[1];
const where = (b: Block) => `${b.doc}:${b.line}`;

const docFiles = (await readdir('docs')).filter((f) => f.endsWith('.md')).sort();
const all = (
  await Promise.all(
    docFiles.map(async (f) => blocks(`docs/${f}`, await readFile(`docs/${f}`, 'utf8'))),
  )
).flat();
const yamlBlocks = all.filter((b) => b.info.split(/\s+/)[0] === 'yaml');
const zoneBlocks = yamlBlocks.filter(
  // `yaml with-config`: a zone that needs the server config's dnssec: defaults shown beside it
  // (docs/dnssec.md), checked together in test/dnssec-server-config.test.ts.
  (b) => !/^yaml (fragment|broken|with-config)\b/.test(b.info) && firstKey(b.body) === 'zone',
);
const brokenBlocks = yamlBlocks.filter((b) => b.info.startsWith('yaml broken'));
const formatMd = await readFile('docs/zone-format.md', 'utf8');

describe('docs: complete zones', () => {
  it('there are complete zone examples to check', () => {
    expect(zoneBlocks.length).toBeGreaterThanOrEqual(3);
  });

  it.each(zoneBlocks.map((b) => [where(b), b] as const))(
    '%s compiles with no problems',
    (_where, b) => {
      const r = compileText(`${where(b)}.yaml`, b.body);
      expect(r.problems.map(formatProblem)).toEqual([]);
      expect(r.zone).not.toBeNull();
    },
  );

  it('in docs/zone-format.md every yaml block is a complete zone, a fragment, or marked broken', () => {
    const unmarked = yamlBlocks.filter(
      (b) =>
        b.doc === 'docs/zone-format.md' &&
        !/^yaml (fragment|broken \S+)$/.test(b.info) &&
        !(b.info === 'yaml' && firstKey(b.body) === 'zone'),
    );
    expect(unmarked.map(where)).toEqual([]);
  });

  it.each(yamlBlocks.filter((b) => b.info === 'yaml fragment').map((b) => [where(b), b] as const))(
    'fragment at %s is valid YAML',
    (_where, b) => {
      expect(parseDocument(b.body).errors.map((e) => e.message)).toEqual([]);
    },
  );
});

describe('docs: examples of mistakes', () => {
  it('there are broken examples to check', () => {
    expect(brokenBlocks.length).toBeGreaterThanOrEqual(3);
  });

  it.each(brokenBlocks.map((b) => [where(b), b] as const))(
    '%s produces exactly the problems shown after it',
    (_where, b) => {
      const file = b.info.split(/\s+/)[2];
      expect(file, 'yaml broken FILE').toBeDefined();
      const next = all[all.indexOf(b) + 1];
      expect(next?.info, `a text block after ${where(b)}`).toBe('text');
      const r = compileText(file!, b.body);
      expect(r.problems.map(formatProblem).join('\n') + '\n').toBe(next!.body);
    },
  );
});

describe('docs/zone-format.md: the reference matches the code', () => {
  /** Rows of a markdown table whose first column is a `code` span: [first cell, ...other cells]. */
  const tableRows = (md: string) =>
    md
      .split('\n')
      .filter((l) => /^\| `[^`]+` +\|/.test(l))
      .map((l) =>
        l
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((c) => c.trim()),
      );
  const rows = tableRows(formatMd);
  const codeRows = rows.filter(
    (r) => /^`[a-z]+(-[a-z]+)*`$/.test(r[0]!) && r.length === 3 && /\[[a-z-]+\]`$/.test(r[2]!),
  );

  it('documents every top-level key, every soa key and every record type in a table', () => {
    const documented = new Set(rows.map((r) => r[0]!.replace(/`/g, '')));
    for (const k of [...ZONE_KEYS, ...SOA_KEYS, ...STATIC_TYPES])
      expect(documented.has(k), k).toBe(true);
  });

  it('has one row per problem code in the catalogue, each with an example of that code', () => {
    expect(codeRows.map((r) => r[0]!.replace(/`/g, '')).sort()).toEqual(
      Object.values(ProblemCode).sort(),
    );
    for (const [code, , example] of codeRows)
      expect(example!.endsWith(`[${code!.replace(/`/g, '')}]\``), code).toBe(true);
  });

  it('every example message in the table is one the code really produces', async () => {
    // What the broken examples produce, plus the two problems one file cannot show.
    const produced = new Set<string>();
    for (const b of brokenBlocks)
      for (const p of compileText(b.info.split(/\s+/)[2]!, b.body).problems)
        produced.add(formatProblem(p));
    const tmp = await mkdtemp(join(tmpdir(), 'geosteer-docs-'));
    try {
      await mkdir(join(tmp, 'zones'));
      const zone = zoneBlocks.find((b) => b.doc === 'docs/zone-format.md')!.body;
      await writeFile(join(tmp, 'zones', 'a.yaml'), zone.replace(/^#.*\n/, ''));
      await writeFile(join(tmp, 'zones', 'b.yaml'), zone.replace(/^#.*\n/, ''));
      for (const p of (await loadZoneDir(join(tmp, 'zones'))).problems)
        produced.add(formatProblem(p).replaceAll(`${tmp}/`, ''));
      // A signed zone whose key directory holds no key (docs/dnssec.md).
      await mkdir(join(tmp, 'signed'));
      await writeFile(
        join(tmp, 'signed', 'gslb.example.com.yaml'),
        'zone: gslb.example.com\nnameservers:\n  ns1.example.net.:\ndnssec:\n  keys: keys\n',
      );
      for (const p of (await loadZoneDir(join(tmp, 'signed'))).problems)
        produced.add(formatProblem(p).replaceAll(`${tmp}/signed/`, 'zones/'));
      // A reload of a directory emptied under a running server.
      await rm(join(tmp, 'zones', 'b.yaml'));
      const loaded = await loadZoneDir(join(tmp, 'zones'));
      const reloader = new Reloader(
        join(tmp, 'zones'),
        new ZoneSet(loaded.zones, 1),
        () => {},
        silentLogger(),
      );
      await rm(join(tmp, 'zones', 'a.yaml'));
      const outcome = await reloader.reload('docs');
      if (!outcome.ok)
        for (const p of outcome.problems) produced.add(formatProblem(p).replaceAll(`${tmp}/`, ''));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    for (const p of (await loadZoneDir('no-such-dir')).problems) produced.add(formatProblem(p));
    // Files over each limit (docs/zone-format.md#limits), built in code.
    for (const line of await limitExamples()) produced.add(line);
    for (const [code, , example] of codeRows)
      expect(produced.has(example!.slice(1, -1)), `${code}: ${example}`).toBe(true);
  });

  it('the export shown is the start of the real export of the example', () => {
    const shown = all.filter(
      (b) =>
        b.doc === 'docs/zone-format.md' &&
        b.info === 'text' &&
        b.body.startsWith('$ geosteer export '),
    );
    expect(shown).toHaveLength(1);
    const [command, ...lines] = shown[0]!.body.trimEnd().split('\n');
    const origin = command!.split(' ')[3]!;
    expect(lines.at(-1)).toBe('...');
    const source = zoneBlocks.find(
      (b) => b.doc === 'docs/zone-format.md' && new RegExp(`^zone: ${origin}$`, 'm').test(b.body),
    )!;
    const exported = exportZone(compileText(`zones/${origin}.yaml`, source.body).zone!).split('\n');
    expect(lines.slice(0, -1)).toEqual(exported.slice(0, lines.length - 1));
  });
});

describe('the example zones directory', () => {
  it('zones/ loads with no problems', async () => {
    const r = await loadZoneDir('zones');
    expect(r.problems.map(formatProblem)).toEqual([]);
    expect(r.zones.map((z) => z.origin)).toEqual(['gslb.example.com']);
  });
});
