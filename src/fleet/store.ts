// Reading and writing fleet state in etcd outside a running instance's session: the override
// transaction every writer uses (an instance's admin API, `geosteer fleet drain`), and one read of
// everything for `geosteer fleet status`.
import type { Etcd3 } from 'etcd3';
import type { OverrideState } from '../health/state-file.js';
import type { Verdict } from '../health/types.js';
import {
  byName,
  type InstanceRecord,
  type KeyLayout,
  parseInstance,
  parseOverride,
  parseVerdict,
  type StoredOverride,
} from './keys.js';

/**
 * Set (or, with `state` null, clear) one override in one transaction: the override and the
 * `last-change` record of who changed it, when and why, together or not at all.
 */
export async function writeOverride(
  client: Etcd3,
  keys: KeyLayout,
  target: { zone: string; site: string; address: string | null },
  change: { state: OverrideState | null; at: Date; reason: string; by: string },
): Promise<void> {
  const key = keys.override(target.zone, target.site, target.address);
  const stored: StoredOverride | null = change.state && {
    state: change.state,
    at: change.at.toISOString(),
    reason: change.reason,
    by: change.by,
  };
  const record = JSON.stringify({
    key,
    state: change.state,
    at: change.at.toISOString(),
    reason: change.reason,
    by: change.by,
  });
  // etcd3 builds transactions from a comparison; `version > -1` holds for every key.
  await client
    .if(key, 'Version', '>', -1)
    .then(
      stored ? client.put(key).value(JSON.stringify(stored)) : client.delete().key(key),
      client.put(keys.lastChange).value(record),
    )
    .commit();
}

export interface FleetRead {
  instances: (InstanceRecord & { lease: string; ttlLeft: number | null })[];
  /** `zone/site/address` -> instance -> verdict. */
  verdicts: Map<string, Record<string, Verdict>>;
  overrides: (StoredOverride & { zone: string; site: string; address: string | null })[];
}

/** Everything under the prefix, with each instance's lease and its seconds left. */
export async function readFleet(client: Etcd3, keys: KeyLayout): Promise<FleetRead> {
  const res = await client.getAll().prefix(keys.prefix).exec();
  const out: FleetRead = { instances: [], verdicts: new Map(), overrides: [] };
  for (const kv of res.kvs) {
    const t = keys.parse(kv.key.toString('utf8'));
    const text = kv.value.toString('utf8');
    if (t?.kind === 'instance') {
      const rec = parseInstance(text);
      if (!rec) continue;
      let ttlLeft: number | null = null;
      try {
        const r = await client.leaseClient.leaseTimeToLive({ ID: kv.lease });
        ttlLeft = Number(r.TTL);
      } catch {
        // Shown as unknown.
      }
      out.instances.push({ ...rec, lease: kv.lease, ttlLeft });
    } else if (t?.kind === 'verdict') {
      const v = parseVerdict(text);
      if (!v) continue;
      const k = `${t.zone}/${t.site}/${t.address}`;
      out.verdicts.set(k, { ...out.verdicts.get(k), [t.name]: v });
    } else if (t?.kind === 'override') {
      const o = parseOverride(text);
      if (o) out.overrides.push({ ...o, zone: t.zone, site: t.site, address: t.address });
    }
  }
  out.instances.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const [k, v] of out.verdicts) out.verdicts.set(k, byName(Object.entries(v)));
  return out;
}
