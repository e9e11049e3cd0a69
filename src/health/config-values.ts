// The values inside a probe stanza: timing (interval, timeout, rise, fall) with its limits,
// durations, targets and expected HTTP statuses. Each reports its mistakes with file:line:col.
import { isIP } from 'node:net';
import { ProblemCode as C } from '../base/errors.js';
import {
  describe,
  type Entry,
  isMap,
  isScalar,
  isSeq,
  listOf,
  scalarInt,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import { DEFAULT_TIMING, formatDuration } from './spec.js';

export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 3_600_000;
export const MIN_TIMEOUT_MS = 10;
export const MAX_THRESHOLD = 100;

export function compileTiming(
  src: Source,
  get: (k: string) => Entry | undefined,
): { intervalMs: number; timeoutMs: number; rise: number; fall: number } {
  const intervalE = get('interval');
  const timeoutE = get('timeout');
  const interval = intervalE
    ? duration(src, intervalE, MIN_INTERVAL_MS, MAX_INTERVAL_MS)
    : DEFAULT_TIMING.intervalMs;
  // Without a timeout, half a short interval: `interval: 1s` alone must not be an error.
  const defaultTimeout = Math.min(DEFAULT_TIMING.timeoutMs, Math.floor((interval ?? 0) / 2));
  const timeout = timeoutE
    ? duration(src, timeoutE, MIN_TIMEOUT_MS, MAX_INTERVAL_MS)
    : Math.max(MIN_TIMEOUT_MS, defaultTimeout);
  if (timeoutE && interval !== null && timeout !== null && timeout >= interval)
    src.report(
      timeoutE.value,
      timeoutE.path,
      C.badValue,
      `timeout ${formatDuration(timeout)} must be shorter than the interval (${formatDuration(interval)}), so one probe ends before the next starts`,
    );
  const riseE = get('rise');
  const fallE = get('fall');
  const rise = riseE
    ? scalarInt(src, riseE.value, riseE.path, 1, MAX_THRESHOLD)
    : DEFAULT_TIMING.rise;
  const fall = fallE
    ? scalarInt(src, fallE.value, fallE.path, 1, MAX_THRESHOLD)
    : DEFAULT_TIMING.fall;
  return {
    intervalMs: interval ?? DEFAULT_TIMING.intervalMs,
    timeoutMs: timeout ?? DEFAULT_TIMING.timeoutMs,
    rise: rise ?? DEFAULT_TIMING.rise,
    fall: fall ?? DEFAULT_TIMING.fall,
  };
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "5s", "500ms", "1.5s", "2m", "1h" → milliseconds within [min, max]; a bare number is refused. */
function duration(src: Source, e: Entry, min: number, max: number): number | null {
  const t = isScalar(e.value) && typeof e.value.value === 'string' ? e.value.value : null;
  const m = t === null ? null : /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(t.trim());
  if (!m) {
    const bare = isScalar(e.value) && typeof e.value.value === 'number';
    src.report(
      e.value,
      e.path,
      C.badValue,
      `must be a duration such as 5s or 500ms, got ${describe(e.value)}${bare ? ' (say which unit: s or ms)' : ''}`,
    );
    return null;
  }
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (!Number.isInteger(ms) || ms < min || ms > max) {
    src.report(
      e.value,
      e.path,
      C.badValue,
      `must be ${formatDuration(min)} to ${formatDuration(max)} in whole milliseconds, got ${t}`,
    );
    return null;
  }
  return ms;
}

/** "10.0.0.5", "10.0.0.5:8080", "2001:db8::5", "[2001:db8::5]:8080". Names are not looked up. */
export function parseTarget(src: Source, e: Entry): { host: string; port: number | null } | null {
  const t = scalarText(e.value);
  let host: string | null = null;
  let port: number | null = null;
  if (t !== null) {
    const bracketed = /^\[([^\]]+)\](?::([0-9]{1,5}))?$/.exec(t);
    const v4port = /^([0-9.]+):([0-9]{1,5})$/.exec(t);
    if (bracketed && isIP(bracketed[1]!) === 6) {
      host = bracketed[1]!;
      port = bracketed[2] === undefined ? null : Number(bracketed[2]);
    } else if (v4port && isIP(v4port[1]!) === 4) {
      host = v4port[1]!;
      port = Number(v4port[2]);
    } else if (isIP(t) !== 0) host = t;
  }
  if (host === null || (port !== null && (port < 1 || port > 65535))) {
    src.report(
      e.value,
      e.path,
      C.badAddress,
      `must be an IP address with an optional port, e.g. 10.0.0.5:8080 or [2001:db8::5]:8080, got ${describe(e.value)}`,
    );
    return null;
  }
  return { host, port };
}

/** `expect: 200`, `expect: [200, 204]`, `expect: ["200-299", 301]`: inclusive ranges. */
export function parseExpect(src: Source, e: Entry): [number, number][] {
  const out: [number, number][] = [];
  if (isMap(e.value) || (isSeq(e.value) && e.value.items.length === 0)) {
    src.report(
      e.value,
      e.path,
      C.badValue,
      'must be a status code, a range such as "200-399", or a list of them',
    );
    return out;
  }
  for (const item of listOf(src, e.value, e.path)) {
    const t = item.text;
    const single = t !== null && /^[0-9]{3}$/.test(t) ? Number(t) : null;
    const range = t === null ? null : /^([0-9]{3})-([0-9]{3})$/.exec(t);
    const lo = single ?? (range ? Number(range[1]) : null);
    const hi = single ?? (range ? Number(range[2]) : null);
    if (lo === null || hi === null || lo < 100 || hi > 599 || hi < 100 || lo > 599) {
      src.report(
        item.node,
        item.path,
        C.badValue,
        `must be a status code 100-599 or a range such as "200-399", got ${describe(item.node)}`,
      );
      continue;
    }
    if (lo > hi) {
      src.report(
        item.node,
        item.path,
        C.badValue,
        `the range "${t}" is reversed: write "${hi}-${lo}"`,
      );
      continue;
    }
    out.push([lo, hi]);
  }
  return out;
}
