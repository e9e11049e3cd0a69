// The README's CLI block and docs/configuration.md's flag column, compared with what the CLI
// itself says in `geosteer --help` and `geosteer COMMAND --help`, so neither can drift from it.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliToEnd } from './helpers/cli.js';

interface CliOption {
  short?: string;
  long: string;
  /** The value placeholder as the README writes it: `<addr...>` becomes `ADDR...`. */
  value?: string;
}

interface Synopsis {
  /** Flags written in the README, each with the placeholder that follows it, if any. */
  flags: { flag: string; value?: string }[];
  /** Positional arguments, as written: `ZONE`, `[TYPE]`, `[PATH...]`. */
  args: string[];
}

const upper = (placeholder: string) => placeholder.toUpperCase();

/** Commander's help: `  -c, --config <file>  description`, one option per line start. */
function helpOptions(help: string): CliOption[] {
  const out: CliOption[] = [];
  for (const line of help.split('\n')) {
    const m = /^ {2}(?:(-[a-zA-Z]), )?(--[a-z][\w-]*)(?: <([^>]+)>)?/.exec(line);
    if (!m || m[2] === '--help' || m[2] === '--version') continue;
    out.push({ short: m[1], long: m[2]!, value: m[3] ? upper(m[3]) : undefined });
  }
  return out;
}

/** Commander's usage line: `geosteer explain [options] <name> [type]` gives NAME, [TYPE]. */
function helpArgs(help: string): string[] {
  const usage = /^Usage: geosteer (?:[a-z]+ )?[a-z-]+ \[options\](.*)$/m.exec(help)?.[1] ?? '';
  return usage
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((a) => (a.startsWith('<') ? upper(a.slice(1, -1)) : upper(a)));
}

/** Drops the brackets that close an optional group around the token: `DIR]` is DIR. */
function balanced(token: string): string {
  let t = token;
  const count = (c: string) => t.split(c).length - 1;
  while (t.endsWith(']') && count(']') > count('[')) t = t.slice(0, -1);
  return t;
}

/**
 * The README's block under "## CLI": a line per command, indented lines continue it. A command
 * of a group (`geosteer dnssec keygen`) is named by both words.
 */
function readmeSynopses(readme: string, groups: ReadonlySet<string>): Map<string, Synopsis> {
  const section = readme.split(/^## CLI$/m)[1]!;
  const block = /```\n([\s\S]*?)```/.exec(section)![1]!;
  const byCommand = new Map<string, Synopsis>();
  let current: Synopsis | undefined;
  for (const line of block.split('\n')) {
    const start = /^geosteer (\S+)(?: (\S+))?(.*)$/.exec(line);
    if (start && groups.has(start[1]!)) start[1] = `${start[1]} ${start[2]}`;
    else if (start) start[3] = ` ${start[2] ?? ''}${start[3]}`;
    // The synopsis ends where the description starts: three spaces or more after it.
    const text = (start ? start[3]! : line).trim().split(/ {3,}/)[0]!;
    if (start) byCommand.set(start[1]!, (current = { flags: [], args: [] }));
    if (!current || !text) continue;
    for (let i = 0, tokens = text.replace(/\|/g, ' ').split(/\s+/); i < tokens.length; i++) {
      const t = tokens[i]!;
      if (/^\[*-/.test(t)) {
        const next = tokens[i + 1];
        const value = next && /^[A-Z]/.test(next) ? balanced(next) : undefined;
        current.flags.push({ flag: balanced(t.replace(/^\[+/, '')), value });
        if (value) i++;
      } else if (/^\[?[A-Z]/.test(t)) current.args.push(balanced(t));
    }
  }
  return byCommand;
}

let readme = '';
const commands: string[] = [];
/** Commands that only hold commands of their own (`geosteer dnssec`). */
const groups = new Set<string>();
const help = new Map<string, string>();
/** Commander's command list: `  keygen [options] <zone>  description`, without `help`. */
const commandList = (text: string) =>
  [...(text.split(/^Commands:$/m)[1] ?? '').matchAll(/^ {2}([a-z][a-z-]*) /gm)]
    .map((m) => m[1]!)
    .filter((c) => c !== 'help');
beforeAll(async () => {
  readme = await readFile('README.md', 'utf8');
  const top = await runCliToEnd('--help');
  expect(top.code).toBe(0);
  for (const c of commandList(top.stdout)) {
    const r = await runCliToEnd(c, '--help');
    expect(r.code).toBe(0);
    const subcommands = commandList(r.stdout);
    if (subcommands.length === 0) {
      commands.push(c);
      help.set(c, r.stdout);
      continue;
    }
    groups.add(c);
    for (const sub of subcommands) {
      const s = await runCliToEnd(c, sub, '--help');
      expect(s.code).toBe(0);
      commands.push(`${c} ${sub}`);
      help.set(`${c} ${sub}`, s.stdout);
    }
  }
}, 60_000);

describe("the README's CLI block", () => {
  it('has a line for every command of geosteer --help, and no other', () => {
    expect(commands).toEqual([
      'serve',
      'check',
      'export',
      'explain',
      'dnssec keygen',
      'dnssec ds',
      'dnssec rollover',
      'dnssec status',
      'fleet status',
      'fleet drain',
      'fleet undrain',
      'fleet force-down',
      'fleet force-up',
      'fleet clear',
    ]);
    expect([...readmeSynopses(readme, groups).keys()]).toEqual(commands);
  });

  it("lists every option of each command, with its value placeholder, and only the CLI's", () => {
    const readmeBlock = readmeSynopses(readme, groups);
    for (const c of commands) {
      const options = helpOptions(help.get(c)!);
      const written = readmeBlock.get(c)!.flags;
      const find = (flag: string) => options.find((o) => o.long === flag || o.short === flag);
      for (const w of written) {
        const o = find(w.flag);
        expect(o, `README: geosteer ${c} ${w.flag} is not an option of the CLI`).toBeDefined();
        expect(w.value, `README: geosteer ${c} ${w.flag}'s value`).toBe(o!.value);
      }
      for (const o of options)
        expect(
          written.some((w) => w.flag === o.long || w.flag === o.short),
          `README: geosteer ${c} lacks ${o.long}`,
        ).toBe(true);
    }
  });

  it("writes each command's arguments as its usage line does", () => {
    const readmeBlock = readmeSynopses(readme, groups);
    for (const c of commands) expect(readmeBlock.get(c)!.args, c).toEqual(helpArgs(help.get(c)!));
  });
});

describe("docs/configuration.md's table", () => {
  it('names every serve flag but --config in its flag column', async () => {
    const md = await readFile('docs/configuration.md', 'utf8');
    const flagColumn = md
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split('|')[2]!)
      .join(' ');
    for (const o of helpOptions(help.get('serve')!)) {
      if (o.long === '--config') continue;
      expect(flagColumn, o.long).toContain(`\`${o.short ? `${o.short}, ` : ''}${o.long}`);
    }
  });

  it('says admin: false turns the admin API off', async () => {
    const md = await readFile('docs/configuration.md', 'utf8');
    expect(md).toMatch(/^\| `admin`.*`admin: false`/m);
  });
});
