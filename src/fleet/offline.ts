// The fleet as `geosteer explain -c geosteer.yaml` sees it when the config has `fleet:`: one
// read of etcd turned into a health table, so the explanation uses the fleet's overrides and
// verdicts (each address's votes under the rule) instead of assuming every address is up.
import type { ProbedZone } from '../health/types.js';
import { targetsOf } from '../health/prober.js';
import { HealthTable } from '../health/table.js';
import type { FleetConfig } from './config.js';
import { decide, ruleName, tally } from './consensus.js';
import { connectEtcd } from './etcd.js';
import { KeyLayout } from './keys.js';
import { readFleet } from './store.js';
import type { Verdict } from '../health/types.js';

export interface OfflineFleet {
  health: HealthTable;
  voteOf(
    zone: string,
    site: string,
    address: string,
  ): { rule: string; votes: Record<string, Verdict>; verdict: Verdict } | null;
}

export async function readOfflineFleet(
  cfg: FleetConfig,
  zones: readonly ProbedZone[],
): Promise<OfflineFleet> {
  const client = await connectEtcd(cfg);
  let r;
  try {
    r = await readFleet(client, new KeyLayout(cfg.prefix));
  } finally {
    client.close();
  }
  const rule = ruleName(cfg.rule);
  const live = new Set(r.instances.map((i) => i.name));
  const votesOf = (zone: string, site: string, address: string) => {
    const all = r.verdicts.get(`${zone}/${site}/${address}`);
    if (!all) return null;
    const votes = Object.fromEntries(Object.entries(all).filter(([n]) => live.has(n)));
    return Object.keys(votes).length ? votes : null;
  };
  const health = new HealthTable();
  health.sync(targetsOf(zones));
  for (const o of r.overrides)
    void health.setOverride(
      { zone: o.zone, site: o.site, address: o.address },
      o.state,
      `${o.reason} (by ${o.by} at ${o.at})`,
    );
  // An address no instance has voted on counts as up, as explain assumes without a fleet.
  health.useVerdictSource({
    verdict: (zone, site, address) => {
      const v = votesOf(zone, site, address);
      return v ? decide(cfg.rule, tally(Object.values(v))) : 'up';
    },
  });
  return {
    health,
    voteOf: (zone, site, address) => {
      const votes = votesOf(zone, site, address);
      return votes && { rule, votes, verdict: decide(cfg.rule, tally(Object.values(votes))) };
    },
  };
}
