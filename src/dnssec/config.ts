// The `dnssec:` stanza of a zone file (docs/dnssec.md#configuration): where the keys are, how
// long signatures live and when they are refreshed, how absence is proven. Parsed with source
// positions like every other key, so a typo is `file:line:col: dnssec.validty: unknown key`.
import { dirname, resolve } from 'node:path';
import { ProblemCode as C } from '../base/errors.js';
import { duration as parseDuration } from './duration.js';
import {
  checkKeys,
  describe,
  isScalar,
  mapEntries,
  type Node,
  scalarInt,
  scalarString,
  type Source,
} from '../base/yaml-source.js';

export const DNSSEC_KEYS = [
  'keys',
  'signature_validity',
  'signature_refresh',
  'inception_backdate',
  'denial',
  'dnskey_ttl',
] as const;

/** The denial modes geosteer implements: RFC 9824 only (see docs/dnssec.md for why). */
export const DENIAL_MODES = ['compact'] as const;
export type DenialMode = (typeof DENIAL_MODES)[number];

export interface DnssecConfig {
  /** The key directory, absolute (written relative to the zone file's directory). */
  readonly keysDir: string;
  /** Seconds from signing to Signature Expiration (RFC 4034 3.1.5). */
  readonly validity: number;
  /** Re-sign once less than this many seconds of validity are left. */
  readonly refresh: number;
  /** Seconds Signature Inception is set back, for validators whose clocks run behind. */
  readonly inceptionBackdate: number;
  readonly denial: DenialMode;
  /** TTL of the DNSKEY RRset; null: the SOA's TTL. */
  readonly dnskeyTtl: number | null;
  /** Where `keys:` is written: key-file problems are reported there. */
  readonly keysAt: { readonly line: number; readonly col: number; readonly path: string };
}

const DAY = 86400;
/** Knot's rrsig-lifetime default. */
export const DEFAULT_VALIDITY = 14 * DAY;
/** Knot's rrsig-refresh default is 7 days of 14; geosteer keeps a quarter left (3.5 days). */
export const DEFAULT_REFRESH_FRACTION = 0.25;
/** BIND's dnssec-signzone backdates inception by one hour. */
export const DEFAULT_BACKDATE = 3600;
const MAX_VALIDITY = 365 * DAY;
const MAX_TTL = 2 ** 31 - 1;

/**
 * A duration as seconds: an integer, or a number with a unit (s, m, h, d, w), as Knot writes
 * them ("14d", "12h"). Null (and a problem) for anything else or outside [min, max].
 */
export function duration(
  src: Source,
  node: Node | null,
  path: string,
  min: number,
  max: number,
): number | null {
  let secs: number | null = null;
  if (isScalar(node) && typeof node.value === 'number') secs = parseDuration(node.value);
  else if (isScalar(node) && typeof node.value === 'string' && /[smhdw]$/.test(node.value.trim()))
    secs = parseDuration(node.value);
  if (secs === null || secs < min || secs > max) {
    src.report(
      node,
      path,
      C.badValue,
      `must be a duration of ${min}s to ${max / DAY}d (seconds, or a number with s, m, h, d or w: "14d"), got ${describe(node)}`,
    );
    return null;
  }
  return secs;
}

/**
 * Parse `dnssec:` (its value node, at `path`). Every problem is reported on `src`; the result is
 * null when there was any.
 */
export function parseDnssecConfig(
  src: Source,
  node: Node | null,
  path: string,
): DnssecConfig | null {
  const entries = mapEntries(src, node, path);
  if (!entries) return null;
  const before = src.problems.length;
  checkKeys(src, entries, DNSSEC_KEYS, 'dnssec');
  const get = (k: string) => entries.find((e) => e.key === k);

  const keysE = get('keys');
  let keysDir: string | null = null;
  if (!keysE)
    src.report(
      node,
      path,
      C.missingKey,
      'missing required key "keys" (the directory of the zone\'s key files, made by "geosteer dnssec keygen")',
    );
  else {
    const text = scalarString(src, keysE.value, keysE.path);
    if (text !== null && text.trim() === '')
      src.report(keysE.value, keysE.path, C.badValue, 'must name a directory');
    else if (text !== null) keysDir = resolve(dirname(src.file), text.trim());
  }
  const validityE = get('signature_validity');
  const validity = validityE
    ? duration(src, validityE.value, validityE.path, 3600, MAX_VALIDITY)
    : DEFAULT_VALIDITY;
  const refreshE = get('signature_refresh');
  let refresh = refreshE
    ? duration(src, refreshE.value, refreshE.path, 60, MAX_VALIDITY)
    : Math.round((validity ?? DEFAULT_VALIDITY) * DEFAULT_REFRESH_FRACTION);
  // What is left at refresh must outlast the memo and any TTL; refreshing at or past the whole
  // validity would re-sign on every query.
  if (refresh !== null && validity !== null && refresh >= validity) {
    src.report(
      refreshE!.value,
      refreshE!.path,
      C.badValue,
      `must be less than signature_validity (${validity}s), got ${refresh}s`,
    );
    refresh = null;
  }
  const backdateE = get('inception_backdate');
  const backdate = backdateE
    ? duration(src, backdateE.value, backdateE.path, 0, 7 * DAY)
    : DEFAULT_BACKDATE;
  const denialE = get('denial');
  let denial: DenialMode | null = 'compact';
  if (denialE) {
    const text = scalarString(src, denialE.value, denialE.path);
    denial = DENIAL_MODES.find((m) => m === text) ?? null;
    if (text !== null && denial === null)
      src.report(
        denialE.value,
        denialE.path,
        C.badValue,
        `must be one of: ${DENIAL_MODES.join(', ')} (RFC 9824 compact denial), got "${text}"`,
      );
  }
  const ttlE = get('dnskey_ttl');
  const dnskeyTtl = ttlE ? scalarInt(src, ttlE.value, ttlE.path, 0, MAX_TTL, C.badTtl) : null;
  if (src.problems.length > before) return null;
  if (keysDir === null || validity === null || refresh === null || backdate === null) return null;
  return {
    keysDir,
    validity,
    refresh,
    inceptionBackdate: backdate,
    denial: denial!,
    dnskeyTtl,
    keysAt: { ...src.at(keysE!.value), path: keysE!.path },
  };
}
