// The printed report's table: one row per scenario x transport x load x server, the ratios to Knot
// and to the same server's static names from the same run. The targets are judged in
// bench/verdicts.ts.
import type { DnsperfResult } from './dnsperf.js';
import type { Load, Transport } from './scenarios.js';
import type { ServerSpec } from './servers.js';

export interface Row {
  scenario: string;
  transport: Transport;
  load: Load;
  /** The -Q cap of a paced run. */
  rate?: number;
  server: ServerSpec;
  result: DnsperfResult;
  /** Share of the server's core taken by other processes during the run; null if unknown. */
  other: number | null;
  /** The same for dnsperf's core. */
  loadOther: number | null;
  /** What probing did during the run (scenarios with `probes`). */
  probing?: Probing;
  /** The server process's CPU time (every thread) per query answered, in microseconds. */
  cpuUs?: number | null;
}

export interface Probing {
  /** Distinct probes the server runs. */
  probes: number;
  /** Probe runs per second the schedule asks for: probes / interval. */
  expectedPerSecond: number;
  /** Probe runs per second during the run, by the server's /status. */
  runsPerSecond: number;
  /** Probe requests per second the health target answered during the run. */
  hitsPerSecond: number;
  /** Probed addresses up at the end. */
  up: number;
  /** Changes of the health table's version during the run: 0 means no answer could change. */
  healthChanges: number;
  /** Share of a core the probe thread used during the run; null if unknown. */
  threadCpu: number | null;
}

export function loadLabel(load: Load, rate?: number): string {
  return load.name === 'max'
    ? `max c${load.clients} q${load.outstanding}`
    : `paced ${fmtInt(rate ?? 0)}/s`;
}

export function formatTable(rows: Row[]): string[] {
  const header = ['scenario', 'transport', 'load', 'server', 'qps', 'lost', 'mean ms'];
  header.push('stddev ms', 'geosteer/knot', 'x static', 'us cpu/q', 'cpu0 other', 'cpu1 other');
  const numeric = new Set([4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const table: string[][] = [header];
  const notes: string[] = [];
  for (const r of rows) {
    const knot = knotRow(rows, r);
    const ratio = r.server.kind === 'geosteer' && knot ? r.result.qps / knot.result.qps : null;
    const base = r.scenario === STATIC ? undefined : staticRow(rows, r);
    table.push([
      r.scenario,
      r.transport,
      loadLabel(r.load, r.rate),
      r.server.name,
      fmtInt(r.result.qps),
      fmtInt(r.result.lost),
      (r.result.latencyMean * 1000).toFixed(3),
      (r.result.latencyStdDev * 1000).toFixed(3),
      ratio === null ? '' : ratio.toFixed(2),
      base ? (r.result.qps / base.result.qps).toFixed(2) : '',
      r.cpuUs == null ? '' : r.cpuUs.toFixed(1),
      pct(r.other),
      pct(r.loadOther),
    ]);
    if (knot && r !== knot && rcodeMix(r.result.rcodes) !== rcodeMix(knot.result.rcodes)) {
      notes.push(
        `note: answers differ in ${r.scenario} ${r.transport}: ${r.server.name} ` +
          `${rcodeMix(r.result.rcodes)}, knot ${rcodeMix(knot.result.rcodes)}`,
      );
    }
  }
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [
    line(table[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...table.slice(1).map(line),
    '',
    "us cpu/q: the server process's CPU time (all its threads) per query, in microseconds",
    'cpu0 / cpu1 other: share of CPU 0 (servers) / CPU 1 (dnsperf) taken by other processes during',
    '  the run: a busy machine lowers that row',
    ...notes,
  ];
}

/** The scenario each steered row's `x static` is taken against. */
export const STATIC = 'static';

/** The same server's static-name row at max load over the same transport. */
export function staticRow(rows: Row[], r: Row): Row | undefined {
  if (r.load.name !== 'max') return undefined;
  return rows.find(
    (k) =>
      k.server === r.server &&
      k.scenario === STATIC &&
      k.transport === r.transport &&
      k.load.name === 'max',
  );
}

function knotRow(rows: Row[], r: Row): Row | undefined {
  return rows.find(
    (k) =>
      k.server.kind === 'knot' &&
      k.scenario === r.scenario &&
      k.transport === r.transport &&
      k.load === r.load,
  );
}

/** Rcode shares rounded to whole percent, e.g. "NOERROR 83%, NXDOMAIN 17%". */
function rcodeMix(rcodes: string): string {
  return [...rcodes.matchAll(/([A-Z]+) \d+ \(([0-9.]+)%\)/g)]
    .map((m) => `${m[1]} ${Math.round(Number(m[2]))}%`)
    .join(', ');
}

export function pct(share: number | null): string {
  return share === null ? '' : `${Math.round(share * 100)}%`;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
