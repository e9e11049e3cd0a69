// The steered part of a zone file, as a small zone file of its own: everything but `records:`
// and `dnssec:`, and of `records:` only the names with a `steer:` stanza. Answer threads compile this, never the
// whole file (docs/architecture.md#zone-images): a steered record's policy is code (closures over
// its compiled data), which cannot cross threads as bytes, and steered names are few.
import { isMap, isScalar, type Node, type YAMLMap } from 'yaml';

/** JSON (which is YAML) for the zone's steered records; null when it has none. */
export function steeredText(root: Node | null): string | null {
  if (!isMap(root)) return null;
  const out: Record<string, unknown> = {};
  let steered = 0;
  for (const pair of (root as YAMLMap).items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : null;
    if (key === null) return null;
    const value = pair.value as Node | null;
    // dnssec: comes with the compiled zone (its keys read by the main thread), not from here.
    if (key === 'dnssec') continue;
    if (key !== 'records') {
      out[key] = value?.toJSON() ?? null;
      continue;
    }
    const records: Record<string, unknown> = {};
    if (isMap(value))
      for (const r of (value as YAMLMap).items) {
        if (!isMap(r.value) || !(r.value as YAMLMap).has('steer') || !isScalar(r.key)) continue;
        records[String(r.key.value)] = (r.value as YAMLMap).toJSON();
        steered++;
      }
    out[key] = records;
  }
  return steered ? JSON.stringify(out) : null;
}
