// docs/health.md against the code: every probe key is in its table with the defaults the code
// uses, the example zone compiles to the probes the page describes, and its state file example
// is one the server reads. (Its zone and broken-zone blocks are also checked by docs.test.ts.)
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROBE_KEYS } from '../src/health/config.js';
import { readStateFile } from '../src/health/state-file.js';
import { DEFAULT_TIMING } from '../src/health/spec.js';
import { compileText } from '../src/zone/load.js';

const md = await readFile('docs/health.md', 'utf8');
/** Rows of markdown tables whose first cell is a `code` span: first cell (unquoted) → cells. */
const rows = new Map(
  md
    .split('\n')
    .filter((l) => /^\| `[a-z_]+` +\|/.test(l))
    .map((l) => {
      const cells = l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim());
      return [cells[0]!.replace(/`/g, ''), cells] as const;
    }),
);
const block = (info: string) => new RegExp('```' + info + '\\n([\\s\\S]*?)```').exec(md)![1]!;

describe('docs/health.md', () => {
  it('documents every probe key and min_healthy', () => {
    const keys = new Set([...Object.values(PROBE_KEYS).flat(), 'min_healthy']);
    for (const k of keys) expect(rows.has(k), k).toBe(true);
  });

  it('gives the defaults the code uses', () => {
    const dflt = (k: string) => rows.get(k)![2]!;
    expect(dflt('interval')).toBe(`\`${DEFAULT_TIMING.intervalMs / 1000}s\``);
    expect(dflt('timeout')).toMatch(new RegExp(`^\`${DEFAULT_TIMING.timeoutMs / 1000}s\``));
    expect(dflt('rise')).toBe(`\`${DEFAULT_TIMING.rise}\``);
    expect(dflt('fall')).toBe(`\`${DEFAULT_TIMING.fall}\``);
    expect(dflt('expect')).toBe('`"200-399"`');
    expect(rows.get('min_healthy')![1]).toBe('`1`'); // its table has no Types column
  });

  it('the example zone compiles to the probes the page describes', () => {
    const z = compileText('zones/gslb.example.com.yaml', block('yaml')).zone!;
    const probe = (site: string, i = 0) =>
      [...z.sites.get(site)!.v4, ...z.sites.get(site)!.v6][i]!.probe;
    expect(z.sites.get('fra')!.minHealthy).toBe(2);
    expect(probe('fra')).toMatchObject({
      type: 'http',
      port: 8080,
      path: '/health',
      body: 'ok',
      expect: [
        [200, 200],
        [300, 302],
      ],
    });
    expect(probe('iad', 0)).toMatchObject({
      type: 'https',
      target: '10.1.0.5',
      port: 8443,
      sni: 'status.example.com',
    });
    expect(probe('iad', 1)).toEqual({ type: 'tcp', target: null, port: 443, ...DEFAULT_TIMING });
    expect(probe('sin')).toMatchObject({ type: 'dns', name: 'gslb.example.com', port: 53 });
    expect(probe('lab')).toEqual({ type: 'none' });
  });

  it('shows a state file the server reads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-doc-'));
    try {
      const file = join(dir, 'state.json');
      await writeFile(file, block('json'));
      expect((await readStateFile(file)).map((o) => [o.site, o.address, o.state])).toEqual([
        ['fra', null, 'drain'],
        ['iad', '198.51.100.11', 'down'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
