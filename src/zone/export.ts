import { Type } from '../wire/constants.js';
import { rrsetLines } from './present.js';
import type { Zone } from './zone.js';

/**
 * The zone as an RFC 1035 master file: SOA first, then every RRset, owners sorted so the output is
 * stable. Glue below delegations is included (it is part of the zone a secondary transfers).
 * Steered names have no fixed A/AAAA records: each gets a comment saying so, since a master file
 * cannot express a per-query choice (their other records are exported as usual).
 */
export function exportZone(zone: Zone): string {
  const out = [
    `; zone ${zone.origin} exported by geosteer from ${zone.file}`,
    `$ORIGIN ${zone.origin}.`,
    ...rrsetLines(zone.soa),
  ];
  const keys = [...zone.nodes.keys()].sort((a, b) =>
    a === zone.key ? -1 : b === zone.key ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  for (const key of keys) {
    const node = zone.nodes.get(key)!;
    if (node.dynamic)
      out.push(
        `; ${node.name}. A/AAAA steered per query (steer: ${node.dynamic.kind}, sites ${node.dynamic.members.map((m) => m.name).join(', ')}): not exported`,
      );
    for (const [type, set] of [...node.rrsets].sort(([a], [b]) => a - b)) {
      if (type === Type.SOA) continue;
      out.push(...rrsetLines(set));
    }
  }
  return out.join('\n') + '\n';
}
