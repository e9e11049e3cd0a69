// The `probe:` stanza of a site or an address, compiled once when the zone loads (docs/health.md).
// Every mistake is reported with file:line:col like the rest of the zone file, all at once.
import { isIP } from 'node:net';
import { typeFromName } from '../wire/constants.js';
import { ProblemCode as C } from '../base/errors.js';
import { checkName } from '../wire/names.js';
import {
  checkKeys,
  describe,
  type Entry,
  isMap,
  isScalar,
  isSeq,
  listOf,
  mapEntries,
  type Node,
  scalarBool,
  scalarInt,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import {
  type ActiveProbe,
  DEFAULT_EXPECT,
  DEFAULT_PORTS,
  DEFAULT_TIMING,
  formatDuration,
  NO_PROBE,
  PROBE_TYPES,
  type ProbeSpec,
  type ProbeType,
} from './spec.js';

const TIMING_KEYS = ['interval', 'timeout', 'rise', 'fall'] as const;
/** The keys each probe type accepts; exported so docs/health.md can be checked against them. */
export const PROBE_KEYS: Readonly<Record<ProbeType, readonly string[]>> = {
  none: ['type'],
  http: ['type', 'port', 'target', 'path', 'method', 'expect', 'body', 'host', ...TIMING_KEYS],
  https: [
    'type',
    'port',
    'target',
    'path',
    'method',
    'expect',
    'body',
    'host',
    'sni',
    'insecure',
    ...TIMING_KEYS,
  ],
  tcp: ['type', 'port', 'target', ...TIMING_KEYS],
  dns: ['type', 'port', 'target', 'name', 'qtype', ...TIMING_KEYS],
};
export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 3_600_000;
export const MIN_TIMEOUT_MS = 10;
export const MAX_THRESHOLD = 100;

/**
 * `probe: { type: http, ... }`, or a type alone (`probe: none`, `probe: https`) when the defaults
 * do. Null when there were problems (they are reported).
 */
export function compileProbe(src: Source, node: Node | null, path: string): ProbeSpec | null {
  const before = src.problems.length;
  if (isScalar(node) && typeof node.value === 'string') {
    const type = probeType(src, node, path);
    if (type === null) return null;
    if (type === 'tcp') {
      src.report(
        node,
        path,
        C.missingKey,
        'a tcp probe needs "port": write probe: { type: tcp, port: 443 }',
      );
      return null;
    }
    if (type === 'dns') {
      src.report(
        node,
        path,
        C.missingKey,
        'a dns probe needs "name": write probe: { type: dns, name: example.com }',
      );
      return null;
    }
    return type === 'none' ? NO_PROBE : build(src, type, [], node, path);
  }
  const entries = mapEntries(src, node, path);
  if (!entries) return null;
  const typeE = entries.find((e) => e.key === 'type');
  if (!typeE) {
    src.report(node, path, C.missingKey, `a probe needs "type": one of ${PROBE_TYPES.join(', ')}`);
    return null;
  }
  const type = probeType(src, typeE.value, typeE.path);
  if (type === null) return null;
  checkKeys(src, entries, PROBE_KEYS[type], probeNoun(type));
  if (type === 'none') return src.problems.length > before ? null : NO_PROBE;
  const spec = build(src, type, entries, node, path);
  return src.problems.length > before ? null : spec;
}

/** "an http probe", "a tcp probe", "a probe of type none": for messages. */
function probeNoun(type: ProbeType): string {
  if (type === 'none') return 'a probe of type none';
  return `${type.startsWith('http') ? 'an' : 'a'} ${type} probe`;
}

function probeType(src: Source, node: Node | null, path: string): ProbeType | null {
  const t = scalarText(node);
  if (t !== null && (PROBE_TYPES as readonly string[]).includes(t)) return t as ProbeType;
  src.report(
    node,
    path,
    C.badValue,
    `must be one of ${PROBE_TYPES.join(', ')}, got ${describe(node)}`,
  );
  return null;
}

function build(
  src: Source,
  type: Exclude<ProbeType, 'none'>,
  entries: Entry[],
  node: Node | null,
  path: string,
): ActiveProbe | null {
  const get = (k: string) => entries.find((e) => e.key === k);
  const timing = compileTiming(src, get);

  // Endpoint: target (an IP address, optionally with its port) and port.
  const targetE = get('target');
  const target = targetE ? parseTarget(src, targetE) : null;
  const portE = get('port');
  let port: number | null = portE ? scalarInt(src, portE.value, portE.path, 1, 65535) : null;
  if (portE && target?.port != null) {
    src.report(
      portE.value,
      portE.path,
      C.badValue,
      `the port is given twice: target ${targetE && scalarText(targetE.value)} already names port ${target.port}`,
    );
  }
  port = target?.port ?? port;
  if (port === null && !portE) {
    if (type === 'tcp') {
      src.report(
        node,
        path,
        C.missingKey,
        'a tcp probe needs "port" (or a target with a port, e.g. 10.0.0.5:8080)',
      );
      return null;
    }
    port = DEFAULT_PORTS[type];
  }
  const endpoint = { target: target?.host ?? null, port: port ?? 0 };

  if (type === 'tcp') return { type, ...timing, ...endpoint };

  if (type === 'dns') {
    const nameE = get('name');
    let name = '';
    if (!nameE)
      src.report(
        node,
        path,
        C.missingKey,
        'a dns probe needs "name": a name the server answers NOERROR for, e.g. example.com',
      );
    else {
      const t = scalarText(nameE.value);
      const abs = t === null ? null : t === '.' ? '' : t.replace(/\.$/, '');
      const bad = abs === null ? null : checkName(abs, false);
      if (abs === null || (bad && !bad.ok))
        src.report(
          nameE.value,
          nameE.path,
          C.badName,
          abs === null
            ? `must be a domain name, got ${describe(nameE.value)}`
            : (bad as { message: string }).message,
        );
      else name = abs;
    }
    const qtypeE = get('qtype');
    let qtype = typeFromName('A')!;
    if (qtypeE) {
      const t = scalarText(qtypeE.value);
      const q = t === null || !/^[A-Za-z]+$/.test(t) ? undefined : typeFromName(t);
      if (
        q === undefined ||
        q === typeFromName('OPT') ||
        q === typeFromName('AXFR') ||
        q === typeFromName('IXFR')
      )
        src.report(
          qtypeE.value,
          qtypeE.path,
          C.badValue,
          `must be a record type such as A, AAAA, SOA or NS, got ${describe(qtypeE.value)}`,
        );
      else qtype = q;
    }
    return { type, ...timing, ...endpoint, name, qtype };
  }

  // http, https
  const pathE = get('path');
  let probePath = '/';
  if (pathE) {
    const t = scalarText(pathE.value);
    // RFC 9112 3.2.1: origin-form is an absolute path (and query); no spaces or controls.
    // eslint-disable-next-line no-control-regex -- control characters are what is refused
    if (t !== null && t.startsWith('/') && !/[\s\x00-\x1f\x7f]/.test(t)) probePath = t;
    else
      src.report(
        pathE.value,
        pathE.path,
        C.badValue,
        `must be a path starting with "/", without spaces, e.g. /health, got ${describe(pathE.value)}`,
      );
  }
  const methodE = get('method');
  let method: 'GET' | 'HEAD' = 'GET';
  if (methodE) {
    const t = scalarText(methodE.value);
    if (t === 'GET' || t === 'HEAD') method = t;
    else
      src.report(
        methodE.value,
        methodE.path,
        C.badValue,
        `must be GET or HEAD, got ${describe(methodE.value)}`,
      );
  }
  const expectE = get('expect');
  const expect = expectE ? parseExpect(src, expectE) : DEFAULT_EXPECT;
  const bodyE = get('body');
  let body: string | null = null;
  if (bodyE) {
    const t = isScalar(bodyE.value) ? scalarText(bodyE.value) : null;
    if (t === null || t === '')
      src.report(
        bodyE.value,
        bodyE.path,
        C.badValue,
        `must be the text the response body must contain, got ${describe(bodyE.value)}`,
      );
    else if (method === 'HEAD')
      src.report(
        bodyE.keyNode,
        bodyE.path,
        C.badValue,
        'a HEAD response has no body: "body" needs method GET',
      );
    else body = t;
  }
  const hostE = get('host');
  let host: string | null = null;
  if (hostE) {
    const t = scalarText(hostE.value);
    // RFC 9110 7.2: uri-host [ ":" port ]; names, IPv4, or a bracketed IPv6 address.
    if (
      t !== null &&
      /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/.test(
        t,
      )
    )
      host = t;
    else
      src.report(
        hostE.value,
        hostE.path,
        C.badValue,
        `must be a host name with an optional port, e.g. www.example.com, got ${describe(hostE.value)}`,
      );
  }
  const sniE = get('sni');
  let sni: string | null = null;
  if (sniE) {
    const t = scalarText(sniE.value);
    if (t !== null && isIP(t) !== 0)
      src.report(
        sniE.value,
        sniE.path,
        C.badValue,
        `must be a DNS name: RFC 6066 3 does not allow an IP address as the server name, got "${t}"`,
      );
    else if (
      t === null ||
      t === '' ||
      (checkName(t.replace(/\.$/, ''), false)?.ok ?? true) === false
    )
      src.report(
        sniE.value,
        sniE.path,
        C.badName,
        `must be a DNS name, got ${describe(sniE.value)}`,
      );
    else sni = t.replace(/\.$/, '');
  }
  const insecureE = get('insecure');
  const insecure = insecureE ? (scalarBool(src, insecureE.value, insecureE.path) ?? false) : false;
  return {
    type,
    ...timing,
    ...endpoint,
    path: probePath,
    method,
    expect,
    body,
    host,
    sni,
    insecure,
  };
}

function compileTiming(
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
function parseTarget(src: Source, e: Entry): { host: string; port: number | null } | null {
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
function parseExpect(src: Source, e: Entry): [number, number][] {
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
