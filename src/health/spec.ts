// What a probe is, as compiled from a zone file (src/health/config.ts), and the `Check`: one probe
// resolved against one endpoint, the unit the prober schedules. Addresses whose probes resolve to
// the same check (a site-wide `target:`, two sites sharing a VIP) share one run per interval.
import { isIP } from 'node:net';
import { typeName } from '../wire/constants.js';

export const PROBE_TYPES = ['http', 'https', 'tcp', 'dns', 'none'] as const;
export type ProbeType = (typeof PROBE_TYPES)[number];

export interface ProbeTiming {
  /** Time between the starts of two probes of one check. */
  readonly intervalMs: number;
  /** A probe that has not answered after this long fails ("timeout after N ms"); below interval. */
  readonly timeoutMs: number;
  /** Consecutive successes that bring a down address up. */
  readonly rise: number;
  /** Consecutive failures that take an up address down. */
  readonly fall: number;
}

/** Documented in docs/health.md; the timeout default is min(2s, interval / 2). */
export const DEFAULT_TIMING: ProbeTiming = { intervalMs: 5000, timeoutMs: 2000, rise: 2, fall: 3 };
export const DEFAULT_PORTS = { http: 80, https: 443, dns: 53 } as const;
/** HAProxy's httpchk default: 2xx and 3xx mean the server is alive. */
export const DEFAULT_EXPECT: readonly (readonly [number, number])[] = [[200, 399]];

export interface NoProbe {
  readonly type: 'none';
}

interface Endpoint {
  /** A separate probe target (an IP address) probed instead of the address, or null. */
  readonly target: string | null;
  /** 0 only for a tcp probe whose target carries the port (never after compile). */
  readonly port: number;
}

export interface HttpProbe extends ProbeTiming, Endpoint {
  readonly type: 'http' | 'https';
  readonly path: string;
  readonly method: 'GET' | 'HEAD';
  /** Accepted status codes, as inclusive ranges. */
  readonly expect: readonly (readonly [number, number])[];
  /** A substring the response body must contain (GET only), or null. */
  readonly body: string | null;
  /** The Host header; null: the probed address and port. */
  readonly host: string | null;
  /** TLS server name (https); null: the Host header's name, if it is a name. */
  readonly sni: string | null;
  /** Skip certificate verification (https). */
  readonly insecure: boolean;
}

export interface TcpProbe extends ProbeTiming, Endpoint {
  readonly type: 'tcp';
}

export interface DnsProbe extends ProbeTiming, Endpoint {
  readonly type: 'dns';
  /** The name asked; the answer must be NOERROR. */
  readonly name: string;
  readonly qtype: number;
}

export type ActiveProbe = HttpProbe | TcpProbe | DnsProbe;
export type ProbeSpec = NoProbe | ActiveProbe;

export const NO_PROBE: NoProbe = Object.freeze({ type: 'none' });

/** One probe against one endpoint: what the prober runs every interval. */
export interface Check {
  /** Identity: equal keys probe the same thing the same way, so they share runs and state. */
  readonly key: string;
  readonly spec: ActiveProbe;
  /** The IP address probed: the spec's target, else the address the probe belongs to. */
  readonly host: string;
  readonly port: number;
  /** For logs and /status: http://192.0.2.10:80/health, tcp://[2001:db8::1]:443, ... */
  readonly label: string;
}

/** The outcome of one probe run. */
export interface ProbeOutcome {
  readonly ok: boolean;
  /** `HTTP 503`, `connect ECONNREFUSED`, `timeout after 2000 ms`, `HTTP 200`, `connected`... */
  readonly reason: string;
}

export function checkFor(spec: ActiveProbe, address: string): Check {
  const host = spec.target ?? address;
  const port = spec.port;
  const label = probeLabel(spec, host, port);
  // Everything that changes what a run does or when it runs; rise and fall only change how the
  // results are read, so addresses that differ only there still share one check.
  const key = JSON.stringify([
    spec.type,
    host,
    port,
    spec.intervalMs,
    spec.timeoutMs,
    ...(spec.type === 'http' || spec.type === 'https'
      ? [spec.path, spec.method, spec.expect, spec.body, spec.host, spec.sni, spec.insecure]
      : spec.type === 'dns'
        ? [spec.name, spec.qtype]
        : []),
  ]);
  return { key, spec, host, port, label };
}

/** Identity of an address's probe configuration: unchanged across a reload, its state is kept. */
export function probeConfigKey(spec: ProbeSpec, address: string): string {
  if (spec.type === 'none') return 'none';
  return `${checkFor(spec, address).key}/${spec.rise}/${spec.fall}`;
}

export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function probeLabel(spec: ProbeSpec, host: string, port: number): string {
  switch (spec.type) {
    case 'none':
      return 'none';
    case 'http':
    case 'https':
      return `${spec.type}://${hostPort(host, port)}${spec.path}`;
    case 'tcp':
      return `tcp://${hostPort(host, port)}`;
    case 'dns':
      return `dns://${hostPort(host, port)} ${spec.name || '.'} ${typeName(spec.qtype)}`;
  }
}

/** "5s", "500ms", "1.5s", "2m": how durations are written in zone files and messages. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 100 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
