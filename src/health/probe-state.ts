// The probe state machine of one address: unknown until its first result, then up or down moved
// by `rise` successes or `fall` failures in a row (docs/health.md#verdicts). It also keeps what
// the TTL cap needs (src/health/ttl.ts: results in a row, results since the last flip) and what
// /status shows (last result, last error, last transition). Pure data and functions: the health
// table (src/health/table.ts) owns the entries and turns their flips into transitions.
import { probeConfigKey, probeLabel, type ProbeSpec } from './spec.js';
import type { FlipState } from './ttl.js';
import type { ProbeResult, Verdict } from './types.js';

export interface AddressProbe extends FlipState {
  readonly zone: string;
  readonly site: string;
  readonly address: string;
  readonly key: string;
  probe: ProbeSpec;
  /** The probe's label (http://192.0.2.10:80/health), or `none`. */
  label: string;
  /** What must match for a reload to keep this state (src/health/spec.ts probeConfigKey). */
  configKey: string;
  verdict: Verdict;
  /** The probe changed on reload and has not reported under its new settings yet. */
  provisional: boolean;
  successes: number;
  failures: number;
  sinceFlip: number;
  lastResult: { ok: boolean; reason: string; latencyMs: number; at: number } | null;
  lastError: { reason: string; at: number } | null;
  lastTransition: { from: Verdict; to: Verdict; reason: string; at: number } | null;
}

/** A verdict that changed: from, to, and the results in a row that moved it (null: none did). */
export interface Flip {
  readonly from: Verdict;
  readonly to: Verdict;
  readonly reason: string;
  readonly consecutive: number | null;
}

const labelOf = (probe: ProbeSpec, address: string) =>
  probe.type === 'none' ? 'none' : probeLabel(probe, probe.target ?? address, probe.port);

/** A new address: unknown, or up when it has no probe. */
export function newAddressProbe(
  zone: string,
  site: string,
  address: string,
  key: string,
  probe: ProbeSpec,
): AddressProbe {
  return {
    zone,
    site,
    address,
    key,
    probe,
    label: labelOf(probe, address),
    configKey: probeConfigKey(probe, address),
    verdict: probe.type === 'none' ? 'up' : 'unknown',
    provisional: false,
    successes: 0,
    failures: 0,
    sinceFlip: Infinity,
    lastResult: null,
    lastError: null,
    lastTransition: null,
  };
}

/**
 * A reload gave the address `probe`. Unchanged: nothing happens. Changed: the counts start over
 * and the verdict holds provisionally, until the first result under the new settings decides (so
 * editing a probe does not withdraw a healthy address). Replaced by none: up at once.
 */
export function reconfigure(e: AddressProbe, probe: ProbeSpec, at: number): Flip | null {
  const configKey = probeConfigKey(probe, e.address);
  if (e.configKey === configKey) return null;
  e.probe = probe;
  e.label = labelOf(probe, e.address);
  e.configKey = configKey;
  e.successes = 0;
  e.failures = 0;
  e.sinceFlip = Infinity;
  if (probe.type !== 'none') {
    e.provisional = e.verdict !== 'unknown';
    return null;
  }
  e.provisional = false;
  return e.verdict === 'up' ? null : flip(e, 'up', 'probe removed (none)', at, null);
}

/** Apply one probe result (rise/fall; the first result after unknown, or provisional, decides). */
export function applyResult(e: AddressProbe, result: ProbeResult, at: number): Flip | null {
  const p = e.probe;
  if (p.type === 'none') return null;
  e.lastResult = { ok: result.ok, reason: result.reason, latencyMs: result.latencyMs, at };
  if (!result.ok) e.lastError = { reason: result.reason, at };
  if (result.ok) {
    e.successes++;
    e.failures = 0;
  } else {
    e.failures++;
    e.successes = 0;
  }
  e.sinceFlip++;
  let next: Verdict = e.verdict;
  if (e.verdict === 'unknown' || e.provisional) next = result.ok ? 'up' : 'down';
  else if (e.verdict === 'down' && result.ok && e.successes >= p.rise) next = 'up';
  else if (e.verdict === 'up' && !result.ok && e.failures >= p.fall) next = 'down';
  e.provisional = false;
  if (next === e.verdict) return null;
  const n = e.verdict === 'unknown' ? null : result.ok ? e.successes : e.failures;
  return flip(e, next, result.reason, at, n);
}

function flip(
  e: AddressProbe,
  to: Verdict,
  reason: string,
  at: number,
  consecutive: number | null,
): Flip {
  const from = e.verdict;
  e.verdict = to;
  // Leaving unknown is learning, not flapping: it does not shorten TTLs.
  if (from !== 'unknown') e.sinceFlip = 0;
  e.lastTransition = { from, to, reason, at };
  return { from, to, reason, consecutive };
}
