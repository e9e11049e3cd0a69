// The `dnssec:` stanza of a zone file (docs/dnssec.md#configuration): where the keys are, how
// long signatures live and when they are refreshed, how absence is proven. The server config's
// `dnssec:` holds the same keys as defaults (docs/dnssec.md#in-the-server-config), which a zone
// file's stanza overrides key by key. Parsed with source positions like every other key, so a
// typo is `file:line:col: dnssec.validty: unknown key`, in whichever file it is.
import { dirname, resolve } from 'node:path';
import { ProblemCode as C } from '../base/errors.js';
import { duration as parseDuration } from './duration.js';
import {
  checkKeys,
  describe,
  type Entry,
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
  /**
   * Where `keys:` is written: key-file problems are reported there (in `file` when it is the
   * server config's, else in the zone file).
   */
  readonly keysAt: {
    readonly line: number;
    readonly col: number;
    readonly path: string;
    readonly file?: string;
  };
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
 * The server config's `dnssec:` (docs/configuration.md#dnssec): defaults for the `dnssec:` of
 * every zone file, each key optional. A zone file's own keys override them one by one.
 */
export type DnssecDefaults = Partial<DnssecConfig>;

/** One stanza's keys as written, each validated on its own; `keysDir` made absolute from `base`. */
function readStanza(src: Source, entries: Entry[], base: string): DnssecDefaults {
  checkKeys(src, entries, DNSSEC_KEYS, 'dnssec');
  const get = (k: string) => entries.find((e) => e.key === k);
  const out: { -readonly [K in keyof DnssecConfig]?: DnssecConfig[K] } = {};
  const keysE = get('keys');
  if (keysE) {
    const text = scalarString(src, keysE.value, keysE.path);
    if (text !== null && text.trim() === '')
      src.report(keysE.value, keysE.path, C.badValue, 'must name a directory');
    else if (text !== null) {
      out.keysDir = resolve(base, text.trim());
      out.keysAt = { ...src.at(keysE.value), path: keysE.path, file: src.file };
    }
  }
  const validityE = get('signature_validity');
  if (validityE)
    out.validity = duration(src, validityE.value, validityE.path, 3600, MAX_VALIDITY) ?? undefined;
  const refreshE = get('signature_refresh');
  if (refreshE)
    out.refresh = duration(src, refreshE.value, refreshE.path, 60, MAX_VALIDITY) ?? undefined;
  const backdateE = get('inception_backdate');
  if (backdateE)
    out.inceptionBackdate = duration(src, backdateE.value, backdateE.path, 0, 7 * DAY) ?? undefined;
  const denialE = get('denial');
  if (denialE) {
    const text = scalarString(src, denialE.value, denialE.path);
    const denial = DENIAL_MODES.find((m) => m === text);
    if (denial) out.denial = denial;
    else if (text !== null)
      src.report(
        denialE.value,
        denialE.path,
        C.badValue,
        `must be one of: ${DENIAL_MODES.join(', ')} (RFC 9824 compact denial), got "${text}"`,
      );
  }
  const ttlE = get('dnskey_ttl');
  if (ttlE) out.dnskeyTtl = scalarInt(src, ttlE.value, ttlE.path, 0, MAX_TTL, C.badTtl);
  // What is left at refresh must outlast the memo and any TTL; refreshing at or past the whole
  // validity would re-sign on every query.
  if (out.refresh !== undefined && out.validity !== undefined && out.refresh >= out.validity) {
    src.report(
      refreshE!.value,
      refreshE!.path,
      C.badValue,
      `must be less than signature_validity (${out.validity}s), got ${out.refresh}s`,
    );
    delete out.refresh;
  }
  return out;
}

/** Parse the server config's `dnssec:`; paths in it are relative to `base` (the config's). */
export function parseDnssecDefaults(
  src: Source,
  node: Node | null,
  path: string,
  base: string,
): DnssecDefaults | null {
  const entries = mapEntries(src, node, path);
  if (!entries) return null;
  const before = src.problems.length;
  const d = readStanza(src, entries, base);
  return src.problems.length > before ? null : d;
}

/**
 * Parse a zone file's `dnssec:` (its value node, at `path`), over the server's `defaults`: a key
 * the zone file writes wins, one it leaves out comes from the server config, then from the
 * built-in default. `dnssec: true` takes every value from the server config. Every problem is
 * reported on `src`; the result is null when there was any.
 */
export function parseDnssecConfig(
  src: Source,
  node: Node | null,
  path: string,
  defaults: DnssecDefaults | null = null,
): DnssecConfig | null {
  const before = src.problems.length;
  const entries = isScalar(node) && node.value === true ? [] : mapEntries(src, node, path);
  if (!entries) return null;
  const own = readStanza(src, entries, dirname(src.file));
  if (src.problems.length > before) return null;
  const d = defaults ?? {};
  const keysDir = own.keysDir ?? d.keysDir;
  const keysAt = own.keysAt ?? d.keysAt;
  if (keysDir === undefined || keysAt === undefined) {
    src.report(
      node,
      path,
      C.missingKey,
      'missing required key "keys" (the directory of the zone\'s key files, made by "geosteer dnssec keygen"; or set dnssec.keys in the server config)',
    );
    return null;
  }
  const validity = own.validity ?? d.validity ?? DEFAULT_VALIDITY;
  const refresh =
    own.refresh ??
    (own.validity === undefined ? d.refresh : undefined) ??
    Math.round(validity * DEFAULT_REFRESH_FRACTION);
  if (refresh >= validity) {
    // Only a refresh from the server config can get here (readStanza checks a zone's own pair).
    src.report(
      entries.find((e) => e.key === 'signature_validity')?.value ?? node,
      `${path}.signature_validity`,
      C.badValue,
      `must be more than signature_refresh (${refresh}s, from the server config), got ${validity}s`,
    );
    return null;
  }
  return {
    keysDir,
    validity,
    refresh,
    inceptionBackdate: own.inceptionBackdate ?? d.inceptionBackdate ?? DEFAULT_BACKDATE,
    denial: own.denial ?? d.denial ?? 'compact',
    dnskeyTtl: own.dnskeyTtl !== undefined ? own.dnskeyTtl : (d.dnskeyTtl ?? null),
    keysAt,
  };
}
