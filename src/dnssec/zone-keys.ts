// A signed zone's keys, read from its key directory when the zone is loaded (and on every
// reload), so a broken or missing key file fails the load like a zone file error does and the
// last good zone set keeps serving.
import { createHash } from 'node:crypto';
import { type Problem, ProblemCode as C } from '../base/errors.js';
import type { DnssecConfig } from './config.js';
import { readZoneKeys } from './key-files.js';
import type { DnssecKey } from './keys.js';
import { DNSKEY_SEP } from './records.js';

/** What a compiled zone carries when it has `dnssec:`: the stanza, then the keys it names. */
export interface ZoneDnssec {
  readonly config: DnssecConfig;
  readonly keys: readonly DnssecKey[];
}

/**
 * Read the keys `config` names for `zone`. A load fails when the directory cannot be read, a key
 * file is broken, or no key with the SEP flag exists (the parent's DS could point at nothing).
 * Which keys publish and sign is decided per query from their timing metadata (key-state.ts),
 * so a rollover scheduled with dnssec-settime proceeds without a reload.
 */
export async function loadZoneKeys(
  file: string,
  zone: string,
  config: DnssecConfig,
): Promise<{ dnssec: ZoneDnssec | null; problems: Problem[] }> {
  const problems: Problem[] = [];
  const report = (message: string, code: Problem['code'] = C.dnssecKey) =>
    problems.push({ file, ...config.keysAt, code, message }); // keysAt.file: the server config's
  let keys: DnssecKey[];
  try {
    const r = await readZoneKeys(config.keysDir, zone);
    keys = r.keys;
    for (const p of r.problems) report(p);
  } catch (e) {
    report(`cannot read ${config.keysDir}: ${(e as Error).message}`, C.io);
    return { dnssec: null, problems };
  }
  if (!problems.length && !keys.some((k) => k.flags & DNSKEY_SEP))
    report(
      `no key for zone ${zone} in ${config.keysDir}: make one with "geosteer dnssec keygen ${zone} --dir ${config.keysDir}"`,
    );
  if (problems.length) return { dnssec: null, problems };
  return { dnssec: { config, keys }, problems };
}

/**
 * A fingerprint of the key set (public keys and timing): a reload that changes only key files
 * counts the zone as changed.
 */
export function keysFingerprint(d: ZoneDnssec): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ ...d.config, keysAt: null }));
  for (const k of d.keys) {
    h.update(`${k.flags} ${k.material.algorithm} ${k.tag} ${JSON.stringify(k.timing)} `);
    h.update(k.material.publicKey);
  }
  return h.digest('hex').slice(0, 16);
}
