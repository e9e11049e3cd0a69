// `geosteer check` on a 100,000-record zone (3 MB of YAML) stays under 300 MiB of peak RSS
// (issue #11): records: is read in pieces (src/zone/compile-pieces.ts). Read whole it peaked at
// 899 MiB. The CLI runs as users run it, built (dist/), and reports its own peak RSS as it exits
// (process.resourceUsage().maxRSS, through a module loaded with --import). A ceiling on memory is
// a behaviour, not a timing; the file is generated in code (bench/big-zone.ts).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigZone } from '../bench/big-zone.js';

const dir = mkdtempSync(join(tmpdir(), 'geosteer-checkmem-'));
const REPORT =
  'data:text/javascript,process.on("exit",()=>process.stderr.write("MAXRSS "+process.resourceUsage().maxRSS+"\\n"))';

beforeAll(() => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the built `geosteer check` on `file`: exit code, output, and peak RSS in MiB. */
function check(file: string): Promise<{ code: number | null; out: string; mib: number }> {
  const child = spawn(process.execPath, ['--import', REPORT, 'dist/src/cli.js', 'check', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const kib = Number(/MAXRSS (\d+)/.exec(out)?.[1] ?? NaN);
      resolve({ code, out, mib: kib / 1024 });
    }),
  );
}

describe('geosteer check on a 100,000-record zone', () => {
  it('passes it with a peak RSS under 300 MiB', { timeout: 180_000 }, async () => {
    const file = join(dir, 'big.test.yaml');
    writeFileSync(file, bigZone(100_000, '10.9.9.9'));
    const r = await check(file);
    expect(r.out).toContain('1 file(s) OK');
    expect(r.code).toBe(0);
    expect(r.mib).toBeLessThan(300);
  });

  it(
    'reports a problem in its last record at its line, within the same ceiling',
    { timeout: 180_000 },
    async () => {
      const file = join(dir, 'broken.test.yaml');
      const text = bigZone(100_000, '10.9.9.9').replace(
        /\n {2}h99999: .*\n$/,
        '\n  h99999: { A: [10.1.300.1] }\n',
      );
      writeFileSync(file, text);
      const r = await check(file);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`${file}:100004:`);
      expect(r.out).toContain('records.h99999.A[0]');
      expect(r.mib).toBeLessThan(300);
    },
  );
});
