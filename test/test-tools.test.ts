// scripts/test-tools.ts, `npm test`'s pretest: its list is true to the test files, the README's
// table is the list, and the pretest itself, run by npm in a directory of its own with a PATH
// that lacks a tool, installs it when it can (root, apt-get) and otherwise stops npm before the
// test script with the exact apt-get command.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  installCommand,
  NEEDS_ROOT,
  systemTestFiles,
  table,
  TOOLS,
} from '../scripts/test-tools.js';

const ROOT = resolve(import.meta.dirname, '..');

/** Source of `file` and every local module it imports, transitively. */
async function withImports(file: string, seen = new Set<string>()): Promise<string> {
  if (seen.has(file) || !existsSync(file)) return '';
  seen.add(file);
  const src = await readFile(file, 'utf8');
  let all = src;
  for (const m of src.matchAll(/(?:from\s+|import\(\s*)'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts');
    all += await withImports(target, seen);
  }
  return all;
}

async function testFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true }))
    if (e.isFile() && e.name.endsWith('.test.ts'))
      out.push(relative(ROOT, join(e.parentPath, e.name)));
  return out.sort();
}

/** The tools a source names: a quoted string that is the name or a path ending in it. */
function namedTools(src: string): Set<string> {
  const found = new Set<string>();
  for (const { tool } of TOOLS)
    if (new RegExp(`(['"])(?:/[\\w./-]*/)?${tool}\\1`).test(src)) found.add(tool);
  return found;
}

describe('the list of Debian tools the tests run', () => {
  it('names, for each test file, exactly the tools it runs (itself or through its imports)', async () => {
    const files = [...(await testFiles('test')), ...(await testFiles('src'))];
    expect(files.length).toBeGreaterThan(50);
    const actual: Record<string, string[]> = {};
    const listed: Record<string, string[]> = {};
    for (const file of files) {
      if (file === 'test/test-tools.test.ts') continue; // names them all, runs none
      const used = [...namedTools(await withImports(join(ROOT, file)))].sort();
      if (used.length > 0) actual[file] = used;
    }
    for (const t of TOOLS)
      for (const n of t.tests) {
        const file = `test/${n}.test.ts`;
        listed[file] = [...new Set([...(listed[file] ?? []), t.tool])].sort();
      }
    // compose.test.ts names the demo's `unbound` service, and runs unbound-checkconf (same package).
    expect(actual['test/compose.test.ts']).toContain('unbound');
    actual['test/compose.test.ts'] = actual['test/compose.test.ts']!.filter((t) => t !== 'unbound');
    // admin-docs.test.ts runs the docs' and the README's `curl ... | jq` lines with bash: its tools
    // are named in those documents, not as strings of its own.
    const adminDocs = await readFile(join(ROOT, 'test/admin-docs.test.ts'), 'utf8');
    expect(adminDocs).toContain("execFile('bash'");
    expect(await readFile(join(ROOT, 'README.md'), 'utf8')).toMatch(/^curl .*\| jq /m);
    actual['test/admin-docs.test.ts'] = ['curl', 'jq'];
    expect(actual).toEqual(listed);
  });

  it('keeps every test file that runs a tool or needs root out of `npm run test:unit`', async () => {
    const config = (await import('../vitest.config.js')).default as {
      test: { projects: { test: { name: string; include: string[]; exclude?: string[] } }[] };
    };
    const unit = config.test.projects.find((p) => p.test.name === 'unit')!;
    const system = config.test.projects.find((p) => p.test.name === 'system')!;
    const needy = systemTestFiles();
    expect(needy).toContain('test/resolver-chain.test.ts');
    for (const n of NEEDS_ROOT) expect(needy).toContain(`test/${n}.test.ts`);
    expect(unit.test.exclude).toEqual(needy);
    expect(system.test.include).toEqual(needy);
    for (const f of needy) expect(existsSync(join(ROOT, f)), f).toBe(true);
  });

  it("is the README's table (cells compared, Prettier pads them)", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n### Tests\n'));
    const rows = (md: string) =>
      md
        .split('\n')
        .filter((l) => l.startsWith('|') && !/^\|[\s|-]+\|$/.test(l))
        .map((l) =>
          l
            .split('|')
            .slice(1, -1)
            .map((c) => c.trim()),
        );
    const block = section.slice(section.indexOf('\n|'), section.indexOf('|\n\n') + 1);
    expect(rows(block)).toEqual(rows(table()));
  });
});

// The pretest, run the way `npm test` runs it: npm in a scratch package whose `pretest` is ours
// (scripts/ linked in) and whose `test` leaves a mark, with a PATH of links to every tool but one.
describe('npm test’s pretest', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  async function scratch(without: string, fakeApt: boolean) {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-pretest-'));
    dirs.push(dir);
    const bin = join(dir, 'bin');
    await mkdir(bin);
    // node (24, for the type stripping) and the basics npm's `sh -c` needs.
    await symlink(process.execPath, join(bin, 'node'));
    for (const cmd of ['sh', 'env'])
      for (const d of ['/usr/bin', '/bin'])
        if (existsSync(join(d, cmd)) && !existsSync(join(bin, cmd)))
          await symlink(join(d, cmd), join(bin, cmd));
    const env: NodeJS.ProcessEnv = { PATH: bin, HOME: dir, npm_config_cache: join(dir, 'cache') };
    for (const t of TOOLS) {
      if (t.tool === without || existsSync(join(bin, t.tool))) continue;
      const real = (process.env.PATH ?? '')
        .split(':')
        .map((d) => join(d, t.tool))
        .concat(t.paths ?? [])
        .find((p) => existsSync(p));
      if (real) await symlink(real, join(bin, t.tool));
    }
    // Tools found by absolute path: point their variable at the link (or at nothing).
    for (const t of TOOLS) if (t.env) env[t.env] = join(bin, t.tool);
    if (fakeApt) {
      // An apt-get that logs its arguments and "installs" by linking the missing tool back.
      const paths = TOOLS.find((t) => t.tool === without)?.paths ?? [];
      const source = [...paths, `/usr/bin/${without}`, `/usr/sbin/${without}`].find((p) =>
        existsSync(p),
      );
      await writeFile(
        join(bin, 'apt-get'),
        `#!/bin/sh\necho "$*" >> ${dir}/apt.log\n` +
          `case "$1" in install) /bin/ln -s ${source} ${join(bin, without)};; esac\n`,
      );
      await chmod(join(bin, 'apt-get'), 0o755);
    }
    await symlink(join(ROOT, 'scripts'), join(dir, 'scripts'));
    const real = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(real.scripts.test).toMatch(/^vitest run/);
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'pretest-scratch',
        private: true,
        scripts: {
          pretest: real.scripts.pretest,
          test: `node -e "require('fs').writeFileSync('ran', '')"`,
        },
      }),
    );
    return { dir, env };
  }

  function npmTest(dir: string, env: NodeJS.ProcessEnv) {
    const npm = ['/usr/lib/node_modules/npm/bin/npm-cli.js', process.env.npm_execpath ?? ''].find(
      (p) => p && existsSync(p),
    )!;
    return new Promise<{ code: number; out: string }>((done) =>
      execFile(process.execPath, [npm, 'test'], { cwd: dir, env, timeout: 60_000 }, (err, so, se) =>
        done({ code: err ? Number(err.code ?? 1) : 0, out: `${so}${se}` }),
      ),
    );
  }

  it('as a user without apt-get: stops npm before the tests with the exact command, exit 1', async () => {
    const { dir, env } = await scratch('mmdblookup', false);
    const r = await npmTest(dir, { ...env, GEOSTEER_PRETEST_UID: '1000' });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain('missing: mmdblookup.');
    expect(r.out).toContain(
      '  sudo apt-get update && sudo apt-get install -y --no-install-recommends mmdb-bin\n',
    );
    expect(r.out).toContain('test/resolver-chain.test.ts needs root');
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('as root without apt-get: the command without sudo, and a tool missing at its path', async () => {
    const { dir, env } = await scratch('gdnsd', false);
    const r = await npmTest(dir, { ...env, GEOSTEER_PRETEST_UID: '0' });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain(`  ${installCommand(['gdnsd'], true)}\n`);
    expect(r.out).not.toContain('needs root');
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('as root with apt-get: installs what is missing, then npm runs the tests', async () => {
    const { dir, env } = await scratch('ldns-verify-zone', true);
    const r = await npmTest(dir, { ...env, GEOSTEER_PRETEST_UID: '0' });
    expect(r.code, r.out).toBe(0);
    expect(await readFile(join(dir, 'apt.log'), 'utf8')).toBe(
      'update\ninstall -y --no-install-recommends ldnsutils\n',
    );
    expect(existsSync(join(dir, 'ran'))).toBe(true);
  });

  it('is silent and does nothing when everything is there', async () => {
    const { dir, env } = await scratch('', true);
    const r = await npmTest(dir, { ...env, GEOSTEER_PRETEST_UID: '0' });
    expect(r.code, r.out).toBe(0);
    expect(existsSync(join(dir, 'apt.log'))).toBe(false);
    expect(r.out).not.toContain('test-tools:');
    expect(existsSync(join(dir, 'ran'))).toBe(true);
  });
});
