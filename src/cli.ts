#!/usr/bin/env node
import './runtime-check.js';
import { Command, Option } from 'commander';
import { dirname, resolve as resolvePath } from 'node:path';
import { parseEndpoint } from './base/endpoint.js';
import {
  type Config,
  DEFAULT_CONFIG,
  DEFAULT_STATE_FILE,
  loadConfig,
  MAX_THREADS,
  threadCount,
  WORKERS_GONE,
} from './config.js';
import { createLogger, LOG_LEVELS, type LogLevel } from './base/log.js';
import { DEFAULT_ADMIN, DEFAULT_ADMIN_PORT } from './admin/options.js';
import type { WatchedGeoLocator } from './geoip/index.js';
import type { ExplainFlags } from './explain-command.js';
import { addDnssecCommand } from './dnssec/command.js';
import { addFleetCommand } from './fleet-command.js';
import { version } from './base/version.js';
import type { DnssecDefaults } from './dnssec/config.js';
import { formatProblem, ProblemsError } from './base/errors.js';
import { exportZone } from './zone/export.js';
import { loadZoneDir, loadZonePaths } from './zone/load.js';
import { foldCase } from './wire/name.js';

interface ServeFlags {
  config?: string;
  listen?: string[];
  udp: boolean;
  tcp: boolean;
  zones?: string;
  logLevel?: LogLevel;
  queryLog?: boolean;
  watch: boolean;
  threads?: string;
  /** Gone: an error pointing at --threads. */
  workers?: string;
  stateFile?: string;
  /** --admin ADDR, or false for --no-admin. */
  admin?: string | false;
  /** --site NAME: also serve as that site's nameserver (docs/delegation.md). */
  site?: string;
}

async function serve(flags: ServeFlags): Promise<void> {
  const cfg: Config = flags.config ? await loadConfig(flags.config) : { ...DEFAULT_CONFIG };
  if (flags.listen?.length) {
    cfg.listen = flags.listen.map((l) => {
      const ep = parseEndpoint(l);
      if (!ep) throw new Error(`--listen: not an address with optional port: "${l}"`);
      return ep;
    });
  }
  if (!flags.udp) cfg.udp = false;
  if (!flags.tcp) cfg.tcp = false;
  if (!flags.watch) cfg.watch = false;
  if (flags.zones) cfg.zones = flags.zones;
  if (flags.logLevel) cfg.logLevel = flags.logLevel;
  if (flags.queryLog) cfg.queryLog = true;
  if (flags.workers !== undefined)
    throw new Error(`--workers: ${WORKERS_GONE.replace('threads: N', '--threads N')}`);
  if (flags.threads !== undefined) {
    const t = flags.threads === 'auto' ? 'auto' : Number(flags.threads);
    if (t !== 'auto' && !(Number.isInteger(t) && t >= 1 && t <= MAX_THREADS))
      throw new Error(`--threads: auto or a whole number 1-${MAX_THREADS}, got "${flags.threads}"`);
    cfg.threads = t;
  }
  if (flags.stateFile) cfg.stateFile = resolvePath(flags.stateFile);
  if (flags.site) cfg.site = flags.site;
  // Overrides are kept beside the config file by default (docs/health.md#overrides).
  const stateFile =
    cfg.stateFile ?? resolvePath(flags.config ? dirname(flags.config) : '.', DEFAULT_STATE_FILE);
  if (flags.admin === false) cfg.admin = false;
  else if (flags.admin !== undefined) {
    const ep = parseEndpoint(flags.admin, DEFAULT_ADMIN_PORT);
    if (!ep) throw new Error(`--admin: not an address with optional port: "${flags.admin}"`);
    cfg.admin = { ...(cfg.admin || DEFAULT_ADMIN), listen: ep };
  }
  const admin = cfg.admin === false ? null : (cfg.admin ?? DEFAULT_ADMIN);
  const log = createLogger(cfg.logLevel);
  let geo: WatchedGeoLocator | null = null;
  // The server's modules load for `serve` only: `check` and `export` start without them, which
  // keeps `geosteer check` of a big zone within its memory (docs/zone-format.md#limits).
  const [{ openGeoLocator }, { startServing }] = await Promise.all([
    import('./geoip/index.js'),
    import('./serve.js'),
  ]);
  try {
    // Each database and the overrides file log a line as they open: no summary line repeats them.
    geo = await openGeoLocator(cfg.geoip, { logger: log, watch: cfg.watch });
    const { server } = await startServing({
      geo,
      listen: cfg.listen,
      udp: cfg.udp,
      tcp: cfg.tcp,
      zonesDir: cfg.zones,
      tcpOptions: {
        ...cfg.tcpLimits,
        idleTimeoutMs: cfg.tcpIdleTimeoutMs,
        maxConnections: cfg.tcpMaxConnections,
      },
      watch: cfg.watch,
      queryLog: cfg.queryLog,
      log,
      stateFile,
      probes: { concurrency: cfg.probeConcurrency, coldStartMs: cfg.coldStartMs },
      admin,
      site: cfg.site,
      rrl: cfg.rrl,
      cookies: cfg.cookies,
      dnssec: cfg.dnssec,
      fleet: cfg.fleet,
      threads: threadCount(cfg.threads),
      logLevel: cfg.logLevel,
    });
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      geo?.close();
      void server.close().then(() => log.flush(() => process.exit(0)));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  } catch (err) {
    if (err instanceof ProblemsError) {
      for (const p of err.problems)
        log.fatal({ file: p.file, line: p.line, col: p.col, code: p.code }, formatProblem(p));
      const inZones = err.problems.every((p) => p.file.startsWith(cfg.zones));
      log.fatal(
        `not starting: ${err.problems.length} problem(s)${inZones ? ` in ${cfg.zones}` : ''}`,
      );
    } else log.fatal({ err }, `not starting: ${err instanceof Error ? err.message : String(err)}`);
    geo?.close();
    // The log stream is asynchronous: exit once it has written the problems, not after a guess.
    log.flush(() => process.exit(1));
  }
}

/** The config file's zones directory and dnssec: defaults, for commands that load zones. */
async function zonesConfig(opts: {
  zones?: string;
  config?: string;
}): Promise<{ zones: string; dnssec: DnssecDefaults | null } | null> {
  if (!opts.config) return { zones: opts.zones ?? DEFAULT_CONFIG.zones, dnssec: null };
  try {
    const cfg = await loadConfig(opts.config);
    return { zones: opts.zones ?? cfg.zones, dnssec: cfg.dnssec };
  } catch (e) {
    if (!(e instanceof ProblemsError)) throw e;
    for (const p of e.problems) process.stderr.write(formatProblem(p) + '\n');
    process.stderr.write(`${e.problems.length} problem(s) in ${opts.config}\n`);
    return null;
  }
}

/** `geosteer check`: every problem in every file, compiler style; exit 1 on any. */
async function check(flags: { zones?: string; config?: string }, paths: string[]): Promise<number> {
  const opts = await zonesConfig(flags);
  if (!opts) return 1;
  // Paths named together are checked as one set, so duplicate zones between them are caught too.
  const r = paths.length
    ? await loadZonePaths(paths, opts.dnssec)
    : await loadZoneDir(opts.zones, undefined, undefined, opts.dnssec);
  for (const p of r.problems) process.stderr.write(formatProblem(p) + '\n');
  if (r.problems.length) {
    process.stderr.write(`${r.problems.length} problem(s)\n`);
    return 1;
  }
  process.stdout.write('files' in r ? `${r.files} file(s) OK\n` : `${opts.zones}: OK\n`);
  return 0;
}

async function exportCmd(
  zone: string,
  flags: { zones?: string; config?: string },
): Promise<number> {
  const opts = await zonesConfig(flags);
  if (!opts) return 1;
  const { zones, problems } = await loadZoneDir(opts.zones, undefined, undefined, opts.dnssec);
  for (const p of problems) process.stderr.write(formatProblem(p) + '\n');
  if (problems.length) return 1;
  const z = zones.find((x) => x.key === foldCase(zone.replace(/\.$/, '')));
  if (!z) {
    process.stderr.write(
      `no zone ${zone} in ${opts.zones} (have: ${zones.map((x) => x.origin).join(', ') || 'none'})\n`,
    );
    return 1;
  }
  process.stdout.write(exportZone(z));
  return 0;
}

const program = new Command('geosteer')
  .description('Authoritative, geo-aware DNS load balancer')
  .version(version());

program
  .command('serve')
  .description('serve the zones over UDP and TCP')
  .option('-c, --config <file>', 'YAML configuration file (see docs/configuration.md)')
  .option(
    '-l, --listen <addr...>',
    'listen addresses, e.g. 127.0.0.1:5353 [::1]:5353 (default from config)',
  )
  .option('--no-udp', 'do not listen on UDP')
  .option('--no-tcp', 'do not listen on TCP')
  .option('-z, --zones <dir>', `zones directory (default "${DEFAULT_CONFIG.zones}")`)
  .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
  .option('--query-log', 'log every query')
  .option('--no-watch', 'do not reload when zone files change (SIGHUP still reloads)')
  .option(
    '--threads <n>',
    'answer threads, each with its own sockets (SO_REUSEPORT), or auto: one per core (docs/deployment.md#threads)',
  )
  .addOption(new Option('-w, --workers <n>').hideHelp())
  .option(
    '--state-file <file>',
    `where manual health overrides are kept (default "${DEFAULT_STATE_FILE}" beside the config file)`,
  )
  .option(
    '--admin <addr>',
    `admin API address: status, metrics, overrides, explain (default 127.0.0.1:${DEFAULT_ADMIN_PORT}; docs/admin.md)`,
  )
  .option('--no-admin', 'no admin API and no metrics')
  .option(
    '--site <name>',
    "also serve as this site's nameserver: the child zones of steer: delegate names that list it (docs/delegation.md)",
  )
  .action((flags: ServeFlags) => serve(flags));

/** check and export read the zones as serve would: its zones directory and dnssec defaults. */
const zoneFileOptions = (cmd: Command): Command =>
  cmd
    .option(
      '-z, --zones <dir>',
      `zones directory (default from --config, else "${DEFAULT_CONFIG.zones}")`,
    )
    .option(
      '-c, --config <file>',
      'YAML configuration file: its zones directory and dnssec defaults are used',
    );

zoneFileOptions(
  program
    .command('check')
    .description('validate zone files; prints file:line:col: path: message for every problem')
    .argument(
      '[path...]',
      'zone files or zones directories, checked as one set (default: the zones directory)',
    ),
).action(async (paths: string[], opts: { zones?: string; config?: string }) => {
  process.exitCode = await check(opts, paths);
});

zoneFileOptions(
  program
    .command('export')
    .description('print a zone as an RFC 1035 master file')
    .argument('<zone>', 'zone name, e.g. gslb.example.com'),
).action(async (zone: string, opts: { zones?: string; config?: string }) => {
  process.exitCode = await exportCmd(zone, opts);
});

program
  .command('explain')
  .description(
    'show how the server would answer a question for a client, without sending a query (docs/explain.md)',
  )
  .argument('<name>', 'the name asked, e.g. www.gslb.example.com')
  .argument('[type]', 'the type asked: A, AAAA, CNAME, MX, ...', 'A')
  .requiredOption(
    '--client <addr[/prefix]>',
    'the client, as the ECS subnet a resolver would send: 198.51.100.7, 198.51.100.0/24, 2001:db8::/48',
  )
  .option(
    '-z, --zones <dir>',
    `zones directory (default from --config, else "${DEFAULT_CONFIG.zones}")`,
  )
  .option(
    '-c, --config <file>',
    'YAML configuration file: its geoip section and zones directory are used',
  )
  .option('--json', 'print the explanation as JSON')
  .option('--trace', 'also print every line the resolver and the policies traced')
  .action(async (name: string, type: string, flags: ExplainFlags) => {
    const { explainCommand } = await import('./explain-command.js');
    process.exitCode = await explainCommand(name, type, flags);
  });

addDnssecCommand(program);
addFleetCommand(program);

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
