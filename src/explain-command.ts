// `geosteer explain NAME [TYPE] --client ADDR[/PREFIX]`: load the zones and the configured GeoIP
// data as `serve` would, explain one question, print it, and exit. No query is sent.

import { sep } from 'node:path';
import { type Config, DEFAULT_CONFIG, loadConfig } from './config.js';
import { openGeoLocator, type WatchedGeoLocator } from './geoip/index.js';
import { HealthTable } from './health/table.js';
import { foldCase } from './wire/name.js';
import { formatProblem, ProblemsError } from './base/errors.js';
import { loadZoneDir } from './zone/load.js';
import { ZoneSet } from './zone/zone-set.js';
import {
  explain,
  ExplainError,
  parseExplainClient,
  parseQueryName,
  parseQueryType,
} from './explain/explain.js';
import { renderExplanation } from './explain/render.js';
import { addFleetVotes } from './explain/fleet-votes.js';
import { readOfflineFleet } from './fleet/offline.js';

export interface ExplainFlags {
  client: string;
  zones?: string;
  config?: string;
  json?: boolean;
  trace?: boolean;
}

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const STDIO: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Returns the exit status: 0 explained, 1 anything that stops it (each said on stderr). */
export async function explainCommand(
  name: string,
  type: string,
  flags: ExplainFlags,
  io: Io = STDIO,
): Promise<number> {
  const fail = (msg: string) => {
    io.err(`explain: ${msg}\n`);
    return 1;
  };
  let cfg: Config;
  try {
    cfg = flags.config ? await loadConfig(flags.config) : { ...DEFAULT_CONFIG };
  } catch (e) {
    if (e instanceof ProblemsError) {
      for (const p of e.problems) io.err(formatProblem(p) + '\n');
      return fail(`${e.problems.length} problem(s) in ${flags.config}`);
    }
    return fail((e as Error).message);
  }
  const zonesDir = flags.zones ?? cfg.zones;
  const { zones, problems } = await loadZoneDir(zonesDir, undefined, undefined, cfg.dnssec);
  if (problems.length) {
    for (const p of problems) io.err(formatProblem(p) + '\n');
    return fail(`${problems.length} problem(s) in ${zonesDir}; nothing explained`);
  }
  // Check the question before opening the databases: a name in no zone needs no GeoIP.
  let qname: string;
  try {
    qname = parseQueryName(name);
    parseQueryType(type);
    parseExplainClient(flags.client);
  } catch (e) {
    return fail((e as Error).message);
  }
  const set = new ZoneSet(zones, 1);
  if (!set.find(foldCase(qname)))
    return fail(
      `${qname} is in no zone served from ${zonesDir} (zones: ${zones.map((z) => z.origin).join(', ') || 'none'}); the server would answer REFUSED`,
    );
  let geo: WatchedGeoLocator;
  try {
    geo = await openGeoLocator(cfg.geoip, { watch: false });
  } catch (e) {
    if (e instanceof ProblemsError) {
      for (const p of e.problems) io.err(formatProblem(p) + '\n');
      return fail(`${e.problems.length} problem(s) in the GeoIP overrides`);
    }
    return fail((e as Error).message);
  }
  try {
    // No probes run here: every address counts as up and sites drained in the zone file are
    // drained, as in a server that has just started (its health table starts the same way).
    // With `fleet:`, the fleet's overrides and verdicts as etcd holds them (docs/fleet.md#explain).
    let fleet: Awaited<ReturnType<typeof readOfflineFleet>> | null = null;
    try {
      if (cfg.fleet) fleet = await readOfflineFleet(cfg.fleet, zones);
    } catch (e) {
      return fail(
        `fleet: cannot read etcd (${cfg.fleet!.endpoints.join(', ')}): ${(e as Error).message}`,
      );
    }
    const health = fleet?.health ?? new HealthTable();
    const x = explain(set, geo, health, qname, type, flags.client);
    if (fleet) addFleetVotes(x, fleet.voteOf);
    if (flags.json) io.out(JSON.stringify(x, null, 2) + '\n');
    // Files under the working directory (the default overrides file is found from it) are shown
    // relative to it, as the zone files are; the JSON keeps them as they are.
    else
      io.out(
        renderExplanation(x, { trace: flags.trace })
          .split(process.cwd() + sep)
          .join(''),
      );
    return 0;
  } catch (e) {
    if (e instanceof ExplainError) return fail(e.message);
    throw e;
  } finally {
    geo.close();
  }
}
