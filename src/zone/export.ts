import { Type } from '../wire/constants.js';
import { rrsetLines } from './present.js';
import type { Zone } from './zone.js';

/**
 * The zone as an RFC 1035 master file: SOA first, then every RRset, owners sorted so the output is
 * stable. Glue below delegations is included (it is part of the zone a secondary transfers).
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
    for (const [type, set] of [...node.rrsets].sort(([a], [b]) => a - b)) {
      if (type === Type.SOA) continue;
      out.push(...rrsetLines(set));
    }
  }
  return out.join('\n') + '\n';
}
