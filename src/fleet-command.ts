// `geosteer fleet status` and `geosteer fleet drain|undrain|force-down|force-up|clear`: the fleet
// as etcd holds it, read and changed from anywhere that can reach etcd with the `fleet:` section
// of a config file (docs/fleet.md#cli). A change is the same transaction an instance's admin API
// makes; every instance applies it from its watch.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { loadConfig } from './config.js';
import { formatProblem, ProblemsError } from './base/errors.js';
import { KeyLayout } from './fleet/keys.js';
import { readFleet, writeOverride } from './fleet/store.js';
import { zoneDrift } from './fleet/zone-digest.js';
import type { OverrideState } from './health/state-file.js';

interface Flags {
  config: string;
  json?: boolean;
  zone?: string;
  address?: string;
  reason?: string;
}

const ACTIONS: Record<string, OverrideState | null> = {
  drain: 'drain',
  undrain: null,
  'force-down': 'down',
  'force-up': 'up',
  clear: null,
};

async function fleetOf(file: string) {
  const cfg = await loadConfig(file);
  if (!cfg.fleet) throw new Error(`${file}: no fleet: section (docs/fleet.md)`);
  // The etcd client (and its gRPC stack) loads only for a fleet command, not for every CLI run.
  const { connectEtcd } = await import('./fleet/etcd.js');
  return {
    fleet: cfg.fleet,
    client: await connectEtcd(cfg.fleet),
    keys: new KeyLayout(cfg.fleet.prefix),
  };
}

async function status(flags: Flags): Promise<number> {
  const { fleet, client, keys } = await fleetOf(flags.config);
  try {
    const r = await readFleet(client, keys);
    // Per zone, the contents most instances serve are the fleet's; an instance serving other
    // contents for a zone drifts (docs/fleet.md#zone-drift).
    const counts = new Map<string, Map<string, number>>();
    for (const i of r.instances)
      for (const [z, h] of Object.entries(i.zones)) {
        const m = counts.get(z) ?? new Map<string, number>();
        counts.set(z, m.set(h, (m.get(h) ?? 0) + 1));
      }
    const common: Record<string, string> = {};
    for (const [z, m] of counts) common[z] = [...m].sort((a, b) => b[1] - a[1])[0]![0];
    const driftOf = (i: { zones: Record<string, string> }) => zoneDrift(common, i.zones);
    const disagreements = [...r.verdicts]
      .filter(([, v]) => new Set(Object.values(v).filter((x) => x !== 'unknown')).size > 1)
      .map(([address, votes]) => ({ address, votes }));
    if (flags.json) {
      const instances = r.instances.map((i) => ({ ...i, drift: driftOf(i) }));
      process.stdout.write(
        JSON.stringify(
          { prefix: fleet.prefix, instances, overrides: r.overrides, disagreements },
          null,
          2,
        ) + '\n',
      );
      return 0;
    }
    const out = [
      `fleet ${fleet.prefix} on ${fleet.endpoints.join(', ')}: ${r.instances.length} live instance(s)`,
    ];
    for (const i of r.instances)
      out.push(
        `  ${i.name}  lease ${i.ttlLeft ?? '?'}s of ${i.leaseTtl}s  rule ${i.rule}  zones ${i.zonesHash.slice(0, 12)} ${i.zonesVersion}${driftOf(i).length ? `  DRIFT in ${driftOf(i).join(', ')}` : ''}`,
      );
    out.push(`overrides: ${r.overrides.length || 'none'}`);
    for (const o of r.overrides)
      out.push(
        `  ${o.zone} ${o.site}${o.address ? ` ${o.address}` : ''}: ${o.state} by ${o.by} at ${o.at}${o.reason ? ` (${o.reason})` : ''}`,
      );
    out.push(`verdict disagreements: ${disagreements.length || 'none'}`);
    for (const d of disagreements)
      out.push(
        `  ${d.address}: ${Object.entries(d.votes)
          .map(([n, v]) => `${n}=${v}`)
          .join(' ')}`,
      );
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  } finally {
    client.close();
  }
}

async function change(action: string, site: string, flags: Flags): Promise<number> {
  if (!flags.zone) throw new Error('--zone is required');
  if (action === 'force-up' && !flags.address) throw new Error('force-up needs --address');
  const { client, keys } = await fleetOf(flags.config);
  try {
    const state = ACTIONS[action]!;
    await writeOverride(
      client,
      keys,
      { zone: flags.zone.replace(/\.$/, ''), site, address: flags.address ?? null },
      {
        state,
        at: new Date(),
        reason: flags.reason ?? `geosteer fleet ${action}`,
        by: `cli@${hostname()}`,
      },
    );
    process.stdout.write(
      `${flags.zone} ${site}${flags.address ? ` ${flags.address}` : ''}: ${state ?? 'cleared'}\n`,
    );
    return 0;
  } finally {
    client.close();
  }
}

const run = (p: Promise<number>): Promise<void> =>
  p.then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof ProblemsError)
        for (const x of err.problems) process.stderr.write(formatProblem(x) + '\n');
      else process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );

export function addFleetCommand(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('the fleet in etcd: status, drains and forced states (docs/fleet.md)');
  fleet
    .command('status')
    .description('instances and their leases, zone hashes, overrides and verdict disagreements')
    .option('-c, --config <file>', 'config file with a fleet: section', 'geosteer.yaml')
    .option('--json', 'print JSON')
    .action((flags: Flags) => run(status(flags)));
  for (const action of Object.keys(ACTIONS))
    fleet
      .command(action)
      .description(`${action} a site (or, with --address, one address) on every instance`)
      .argument('<site>', 'the site name')
      .requiredOption('--zone <zone>', 'the zone, e.g. gslb.example.com')
      .option('--address <addr>', 'one address of the site')
      .option('--reason <text>', 'why, recorded with who and when')
      .option('-c, --config <file>', 'config file with a fleet: section', 'geosteer.yaml')
      .action((site: string, flags: Flags) => run(change(action, site, flags)));
}
