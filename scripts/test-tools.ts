// The Debian tools the tests (and the benchmark) run, the package each comes from, and which test
// files need it: the one list that `npm test`'s pretest, `npm run test:unit`'s split
// (vitest.config.ts), `.ci/run` and the README's table all read, so they cannot drift apart.
//
// Adding a tool is one line in TOOLS below, e.g.
//   { tool: 'etcd', pkg: 'etcd-server', paths: ['/usr/bin/etcd'], env: 'ETCD', tests: ['cluster-etcd'] },
// then `node scripts/test-tools.ts --table` prints the README's table to paste.
// test/test-tools.test.ts checks that every test file that names a listed tool (itself or through
// a local import) is listed for it, and that the README's table is the one printed here.
//
//   node scripts/test-tools.ts           check what `npm test` needs; install what is missing when
//                                        root with apt-get, else print the command and exit 1
//   node scripts/test-tools.ts --all     the same for the tests and `npm run bench` (.ci/run)
//   node scripts/test-tools.ts --table   print the README's table
//
// Runs on Node 24 (type stripping: erasable syntax only, no imports of local .ts files).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Tool {
  /** The command; looked up as `env`, then `paths`, then on PATH (the way the tests find it). */
  tool: string;
  /** The Debian package that ships it. */
  pkg: string;
  /** Absolute paths the tests try first (a helper's default). */
  paths?: string[];
  /** An environment variable the tests read to override the path. */
  env?: string;
  /** Test files (test/NAME.test.ts) that run it. */
  tests: string[];
  /** `npm run bench` runs it too. */
  bench?: boolean;
}

// prettier-ignore
export const TOOLS: Tool[] = [
  { tool: 'knotd', pkg: 'knot', paths: ['/usr/sbin/knotd'], env: 'KNOTD', bench: true, tests: ['knot-differential', 'knot-rrl-cookies', 'dnssec-knot-delv', 'dnssec-chain', 'dnssec-rollover-unbound', 'resolver-chain'] },
  { tool: 'knotc', pkg: 'knot', tests: ['dnssec-rollover-unbound'] },
  { tool: 'keymgr', pkg: 'knot', tests: ['dnssec-keys'] },
  { tool: 'dig', pkg: 'bind9-dnsutils', tests: ['readme-examples', 'dnssec-chain', 'dnssec-rollover', 'dnssec-rollover-unbound', 'dnssec-server-config'] },
  { tool: 'dig', pkg: 'bind9-dnsutils', paths: ['/usr/bin/dig'], env: 'DIG', tests: ['resolver-chain'] },
  { tool: 'delv', pkg: 'bind9-dnsutils', tests: ['dnssec-knot-delv', 'dnssec-compact-delv', 'dnssec-serve-delv', 'dnssec-rollover'] },
  { tool: 'dnssec-keygen', pkg: 'bind9-utils', tests: ['dnssec-keys', 'dnssec-verify-zone'] },
  { tool: 'dnssec-dsfromkey', pkg: 'bind9-utils', tests: ['dnssec-keys'] },
  { tool: 'dnssec-settime', pkg: 'bind9-utils', tests: ['dnssec-keys'] },
  { tool: 'dnssec-verify', pkg: 'bind9-utils', tests: ['dnssec-verify-zone'] },
  { tool: 'ldns-verify-zone', pkg: 'ldnsutils', tests: ['dnssec-verify-zone'] },
  { tool: 'gdnsd', pkg: 'gdnsd', paths: ['/usr/sbin/gdnsd'], env: 'GDNSD', tests: ['gdnsd-differential', 'gdnsd-weighted'] },
  { tool: 'unbound', pkg: 'unbound', paths: ['/usr/sbin/unbound'], env: 'UNBOUND', tests: ['resolver-chain', 'dnssec-chain', 'dnssec-rollover-unbound'] },
  { tool: 'faketime', pkg: 'faketime', tests: ['dnssec-rollover-unbound'] },
  { tool: 'unbound-checkconf', pkg: 'unbound', tests: ['compose'] },
  { tool: 'ip', pkg: 'iproute2', paths: ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'], env: 'IP', tests: ['resolver-chain'] },
  { tool: 'mmdblookup', pkg: 'mmdb-bin', tests: ['geoip-mmdb-writer'] },
  { tool: 'docker-compose', pkg: 'docker-compose', tests: ['compose'] },
  { tool: 'chromium', pkg: 'chromium', paths: ['/usr/bin/chromium'], tests: ['admin-browser', 'status-page'] },
  { tool: 'curl', pkg: 'curl', tests: ['admin-docs'] },
  { tool: 'jq', pkg: 'jq', tests: ['admin-docs'] },
  { tool: 'dnsviz', pkg: 'dnsviz', paths: ['/usr/bin/dnsviz'], env: 'DNSVIZ', tests: ['dnssec-dnsviz'] },
  { tool: 'dnsperf', pkg: 'dnsperf', bench: true, tests: [] },
  { tool: 'taskset', pkg: 'util-linux', bench: true, tests: ['threads'] },
  { tool: 'etcd', pkg: 'etcd-server', paths: ['/usr/bin/etcd'], env: 'ETCD', tests: ['fleet-etcd', 'fleet-sharing', 'fleet-threads', 'fleet-tls-auth'] },
  { tool: 'etcdctl', pkg: 'etcd-client', paths: ['/usr/bin/etcdctl'], env: 'ETCDCTL', tests: ['fleet-etcd', 'fleet-sharing', 'fleet-threads', 'fleet-tls-auth'] },
];

/** Test files that need root: the resolver chain creates a network namespace (ip netns add). */
export const NEEDS_ROOT = ['resolver-chain'];

/** test/NAME.test.ts for every test file that needs a Debian tool or root. */
export function systemTestFiles(): string[] {
  const names = new Set([...TOOLS.flatMap((t) => t.tests), ...NEEDS_ROOT]);
  return [...names].sort().map((n) => `test/${n}.test.ts`);
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether `t` is there, looked up the way the tests look it up. */
export function present(t: Tool, env: NodeJS.ProcessEnv = process.env): boolean {
  const override = t.env ? env[t.env] : undefined;
  if (override) return executable(override);
  if (t.paths?.some(executable)) return true;
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, t.tool)));
}

/** The tools a run needs: the tests', plus the benchmark's with `bench`. */
export function needed(bench: boolean): Tool[] {
  return TOOLS.filter((t) => t.tests.length > 0 || (bench && t.bench));
}

/** Debian packages of the tools missing from this machine, sorted, each once. */
export function missingPackages(tools: Tool[], env: NodeJS.ProcessEnv = process.env): string[] {
  return [...new Set(tools.filter((t) => !present(t, env)).map((t) => t.pkg))].sort();
}

/** The exact command that installs `pkgs` (with sudo when not root). */
export function installCommand(pkgs: string[], root: boolean): string {
  const s = root ? '' : 'sudo ';
  return `${s}apt-get update && ${s}apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}

/** The README's table: each package, its tools, and the test files that need it. */
export function table(): string {
  const rows = new Map<string, { tools: Set<string>; uses: Set<string> }>();
  for (const t of TOOLS) {
    const row = rows.get(t.pkg) ?? { tools: new Set(), uses: new Set() };
    row.tools.add(t.tool);
    for (const n of t.tests) row.uses.add(`${n}`);
    if (t.bench) row.uses.add('`npm run bench`');
    rows.set(t.pkg, row);
  }
  const lines = [
    '| Debian package | runs | needed by (test/NAME.test.ts) |',
    '| --- | --- | --- |',
  ];
  for (const [pkg, r] of [...rows].sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`| \`${pkg}\` | ${[...r.tools].join(', ')} | ${[...r.uses].sort().join(', ')} |`);
  lines.push(`| root | ip netns | ${NEEDS_ROOT.join(', ')} |`);
  return lines.join('\n');
}

/** The uid to act as: GEOSTEER_PRETEST_UID simulates another user (test/test-tools.test.ts). */
function uid(env: NodeJS.ProcessEnv): number {
  const forced = env.GEOSTEER_PRETEST_UID;
  return forced !== undefined ? Number(forced) : (process.getuid?.() ?? -1);
}

function onPath(cmd: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, cmd)));
}

/** Check, install when it can, and return the exit code; never runs a test itself. */
export function main(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  if (args.includes('--table')) {
    process.stdout.write(table() + '\n');
    return 0;
  }
  const tools = needed(args.includes('--all'));
  const root = uid(env) === 0;
  let missing = missingPackages(tools, env);
  if (missing.length > 0 && root && onPath('apt-get', env)) {
    const install = installCommand(missing, true);
    process.stderr.write(`test-tools: installing ${missing.join(' ')}: ${install}\n`);
    const r = spawnSync('sh', ['-c', install], {
      stdio: 'inherit',
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) process.stderr.write(`test-tools: apt-get failed (${r.status})\n`);
    missing = missingPackages(tools, env);
  }
  const problems: string[] = [];
  if (missing.length > 0) {
    const lacking = tools.filter((t) => missing.includes(t.pkg) && !present(t, env));
    problems.push(
      `missing: ${[...new Set(lacking.map((t) => t.tool))].join(', ')}. Install them with:\n\n` +
        `  ${installCommand(missing, root)}\n`,
    );
  }
  if (!root)
    problems.push(
      `${NEEDS_ROOT.map((n) => `test/${n}.test.ts`).join(', ')} needs root (network ` +
        `namespaces). Run the tests as root:\n\n  sudo npm test\n`,
    );
  if (problems.length === 0) return 0;
  process.stderr.write(
    `test-tools: the tests cannot run on this machine yet; no test was run.\n\n` +
      problems.join('\n') +
      `\n\`npm run test:unit\` runs the tests that need only npm.\n`,
  );
  return 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]))
  process.exitCode = main(process.argv.slice(2));
