// The README's `npm start` examples, run against the real server as `npm start` runs it: the
// repository's geosteer.yaml, its zones/ and the default GeoIP database (DB-IP Lite from
// node_modules), on free ports. Each `$ dig ...` line of the README's console blocks is run with
// the real dig and its output compared with the lines the README shows under it; the start-up log
// is compared with the lines and the count the README states. The README cannot drift from them.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cli, freePort, runCli } from './helpers/cli.js';

interface Example {
  /** 1-based README line of the `$` command. */
  line: number;
  command: string;
  expected: string[];
}

const README_PORT = '5353';
const README_ADMIN = '8053';

/** `$ ` lines of ```console blocks that run dig, each with the output lines shown under it. */
function digExamples(readme: string): Example[] {
  const out: Example[] = [];
  const lines = readme.split('\n');
  let inConsole = false;
  // Output lines belong to the `$` line above them, when that one is a dig example.
  let current: Example | null = null;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^```/.test(l)) {
      inConsole = l === '```console';
      current = null;
    } else if (inConsole && l.startsWith('$ ')) {
      current = /\bdig\b/.test(l) ? { line: i + 1, command: l.slice(2), expected: [] } : null;
      if (current) out.push(current);
    } else if (inConsole) current?.expected.push(l);
  }
  return out;
}

/** Words split as sh does for the README's commands: spaces, and single-quoted strings. */
const words = (s: string) =>
  [...s.matchAll(/'([^']*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1] : m[2]!));

/**
 * Runs one README command. The forms used there: `dig ARGS`, `dig ARGS | grep -E 'RE'`, and
 * `for i in 1 2 3; do dig ARGS; done`; anything else fails the test so the README keeps to them.
 */
async function runExample(command: string, port: number): Promise<string[]> {
  const loop = /^for \w+ in ([\w ]+); do (.+); done$/.exec(command);
  const times = loop ? loop[1]!.trim().split(/\s+/).length : 1;
  const [dig, ...pipe] = (loop ? loop[2]! : command).split(' | ');
  const argv = words(dig!);
  expect(argv[0], command).toBe('dig');
  const p = argv.indexOf('-p');
  expect(argv[p + 1], `${command}: the README's port`).toBe(README_PORT);
  argv[p + 1] = String(port);
  let filter = (_: string) => true;
  for (const stage of pipe) {
    const g = words(stage);
    expect(g.slice(0, 2), `${command}: only grep -E filters`).toEqual(['grep', '-E']);
    const re = new RegExp(g[2]!);
    const before = filter;
    filter = (l) => before(l) && re.test(l);
  }
  const out: string[] = [];
  for (let n = 0; n < times; n++) {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('dig', argv.slice(1), { timeout: 10_000 }, (err, so) =>
        err ? reject(err) : resolve(so),
      ),
    );
    out.push(...stdout.split('\n').filter((l) => l !== '' && filter(l)));
  }
  return out;
}

const spaces = (l: string) => l.trim().replace(/\s+/g, ' ');

const readme = await readFile('README.md', 'utf8');
const examples = digExamples(readme);
let cli: Cli | null = null;
let port = 0;
let adminPort = 0;
let stateDir = '';

beforeAll(async () => {
  port = await freePort();
  adminPort = await freePort();
  stateDir = await mkdtemp(join(tmpdir(), 'geosteer-readme-'));
  cli = runCli([
    'serve',
    '--config',
    'geosteer.yaml',
    '--listen',
    `127.0.0.1:${port}`,
    '--admin',
    `127.0.0.1:${adminPort}`,
    '--state-file',
    join(stateDir, 'state.json'),
  ]);
  await cli.waitFor((l) => String(l.msg).startsWith('geosteer listening'), 60_000);
}, 90_000);

afterAll(async () => {
  await cli?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('README: npm start', () => {
  it('logs the start-up lines the README shows, as many as it says', () => {
    const section = readme.split(/^## Two commands$/m)[1]!.split(/^## /m)[0]!;
    const said = /`npm start` logs (\w+) JSON lines/.exec(section);
    expect(said, 'the README says how many lines npm start logs').not.toBeNull();
    const block = /```text\n([\s\S]*?)```/.exec(section.slice(said!.index))![1]!.trim().split('\n');
    const numbers = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];
    expect(numbers.indexOf(said![1]!)).toBe(block.length);
    // Before the listening line: no reload, health change or query has been logged yet.
    const logged = cli!.lines.slice(
      0,
      cli!.lines.findIndex((l) => String(l.msg).startsWith('geosteer listening')) + 1,
    );
    expect(logged).toHaveLength(block.length);
    block.forEach((shown, i) => {
      // The README elides fields with `...`; what it shows must be in the line logged.
      const json = shown
        .replace(/\.\.\.,/g, '')
        .replaceAll(`:${README_PORT}`, `:${port}`)
        .replaceAll(`:${README_ADMIN}`, `:${adminPort}`);
      expect(logged[i], shown).toMatchObject(JSON.parse(json) as object);
    });
  });
});

describe("README: the console blocks' dig examples", () => {
  it('has the ECS and weighted examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  // In README order, one at a time: the weighted rotation is the server's from a fresh start.
  for (const ex of examples)
    it(`README.md:${ex.line}: ${ex.command}`, async () => {
      const got = await runExample(ex.command, port);
      expect(got.map(spaces)).toEqual(ex.expected.map(spaces));
    });

  it('explains the ECS scopes the examples show', () => {
    // The paragraph after the block: every network it names is a client's network cut to the
    // scope the server answered with.
    const scopes = examples.flatMap((ex) =>
      ex.expected.flatMap((l) => {
        const m = /CLIENT-SUBNET: ([\d.]+)\/\d+\/(\d+)/.exec(l);
        return m ? [{ address: m[1]!, scope: Number(m[2]) }] : [];
      }),
    );
    expect(scopes.length).toBeGreaterThan(0);
    const lines = readme.split('\n');
    const lastEcs = examples
      .filter((ex) => ex.expected.some((l) => l.includes('CLIENT-SUBNET')))
      .at(-1)!;
    const fence = lines.indexOf('```', lastEcs.line);
    const after = lines.slice(fence + 2, lines.indexOf('', fence + 2)).join(' ');
    const named = [...after.matchAll(/(\d+\.\d+\.\d+\.\d+)\/(\d+)/g)].map((m) => `${m[1]}/${m[2]}`);
    expect(named.sort()).toEqual(scopes.map((s) => `${cut(s.address, s.scope)}/${s.scope}`).sort());
  });
});

/** An IPv4 address with its host bits cleared. */
function cut(address: string, prefix: number): string {
  const n = address.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const masked = prefix === 0 ? 0 : (n >>> (32 - prefix)) * 2 ** (32 - prefix);
  return [24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join('.');
}
