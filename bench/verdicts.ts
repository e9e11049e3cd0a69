// The targets judged on the run's own rows (the table is bench/report.ts): static names against
// Knot, steered names against geosteer's static names, probes, RRL and cookies, answer threads.
import type { DnsperfResult } from './dnsperf.js';
import { fmtInt, loadLabel, pct, type Row, STATIC, staticRow } from './report.js';
import {
  type Load,
  type Scenario,
  TARGET_LATENCY_S,
  TARGET_RATIO,
  type Transport,
} from './scenarios.js';
import type { ServerSpec } from './servers.js';

/** The scenario and transport the target is judged on. */
export const TARGET = { scenario: 'static', transport: 'udp' as Transport };

/** The issue's target, judged on this run's own rows. */
export function verdict(rows: Row[]): string[] {
  const pick = (kind: ServerSpec['kind'], load: Load['name']) =>
    rows.find(
      (r) =>
        r.scenario === TARGET.scenario &&
        r.transport === TARGET.transport &&
        r.load.name === load &&
        r.server.kind === kind &&
        !r.server.indicative,
    );
  const km = pick('knot', 'max');
  const gm = pick('geosteer', 'max');
  const gp = pick('geosteer', 'paced');
  if (!km || !gm)
    return [`target: not measured (needs ${TARGET.scenario} over ${TARGET.transport})`];
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const ms = (s: number) => `${(s * 1000).toFixed(3)} ms`;
  const good = (r: DnsperfResult) => r.lost === 0 && r.latencyMean < TARGET_LATENCY_S;
  const ratio = gm.result.qps / km.result.qps;
  const lines = [
    `target (${TARGET.scenario}, ${TARGET.transport.toUpperCase()}): geosteer >= ${TARGET_RATIO}x ` +
      `knot's qps, no lost queries, mean latency < ${ms(TARGET_LATENCY_S)}`,
    `  max load: geosteer/knot ${ratio.toFixed(2)}, ${fmtInt(gm.result.lost)} lost, ` +
      `mean ${ms(gm.result.latencyMean)}: ${mark(ratio >= TARGET_RATIO && good(gm.result))}`,
  ];
  if (gp?.rate) {
    const kept = gp.result.qps >= gp.rate * 0.99;
    lines.push(
      `  paced at ${fmtInt(gp.rate)}/s: geosteer ${fmtInt(gp.result.qps)} qps, ` +
        `${fmtInt(gp.result.lost)} lost, mean ${ms(gp.result.latencyMean)}: ` +
        mark(kept && good(gp.result)),
    );
  }
  const busyRows = [km, gm, gp].filter((r): r is Row => r !== undefined && busy(r));
  if (busyRows.length) lines.push(`    ${busyNote(busyRows)}`);
  return lines;
}

/**
 * The steered-name target: each judged scenario's geosteer qps at max load against geosteer's own
 * static-name qps, same transport, same run. The others are printed beside it, unjudged.
 */
export function dynamicVerdict(rows: Row[], scenarios: Scenario[], target: number): string[] {
  const dynamic = rows.filter(
    (r) =>
      r.server.kind === 'geosteer' &&
      !r.server.indicative &&
      r.load.name === 'max' &&
      scenarios.some(
        (s) => s.name === r.scenario && s.baseline === 'static' && !s.protection && !s.threads,
      ),
  );
  if (!dynamic.length) return [];
  const lines = [
    `target: >= ${target}x ${STATIC} (steered names: geosteer's qps / its own ${STATIC}-name qps, ` +
      'same transport, same run)',
  ];
  for (const r of dynamic) {
    const base = staticRow(rows, r);
    const judged = scenarios.find((s) => s.name === r.scenario)?.judged ?? false;
    const head = `  ${r.scenario} ${r.transport.toUpperCase()}: ${fmtInt(r.result.qps)} qps, mean ${(r.result.latencyMean * 1000).toFixed(3)} ms`;
    if (!base) {
      lines.push(`${head}: no ${STATIC} ${r.transport} row in this run to compare with`);
      continue;
    }
    const x = r.result.qps / base.result.qps;
    const against = `${x.toFixed(2)}x ${STATIC} (${fmtInt(base.result.qps)} qps)`;
    const ok = x >= target && r.result.lost === 0;
    lines.push(
      `${head}, ${against}` +
        (judged ? `: ${ok ? 'met' : 'NOT met'}` : ' (not judged)') +
        (r.result.lost ? `, ${fmtInt(r.result.lost)} lost` : ''),
    );
    if (busy(r) || busy(base)) lines.push(`    ${busyNote([base, r])}`);
  }
  return lines;
}

/**
 * The probing target: each scenario with `against` (and probes running) at max load against that
 * scenario's qps on the same server, same transport, same run.
 */
export function probesVerdict(rows: Row[], scenarios: Scenario[], target: number): string[] {
  const lines: string[] = [];
  for (const sc of scenarios) {
    if (!sc.probes || !sc.against) continue;
    if (!lines.length) {
      lines.push(
        `target: probes running move a steered name's qps by at most ${Math.round((1 - target) * 100)} % ` +
          `(>= ${target}x the same name without probes, same server, same run)`,
      );
    }
    for (const r of rows.filter((x) => x.scenario === sc.name && x.load.name === 'max')) {
      const base = rows.find(
        (k) =>
          k.server === r.server &&
          k.scenario === sc.against &&
          k.transport === r.transport &&
          k.load.name === 'max',
      );
      const p = r.probing;
      const head = `  ${r.scenario} ${r.transport.toUpperCase()} on ${r.server.name}: ${fmtInt(r.result.qps)} qps`;
      if (!base || !p) {
        lines.push(`${head}: no ${sc.against} row in this run to compare with`);
        continue;
      }
      const x = r.result.qps / base.result.qps;
      // Probes that did not run (or were not answered) would make any ratio meaningless.
      const ran = Math.min(p.runsPerSecond, p.hitsPerSecond) >= 0.9 * p.expectedPerSecond;
      const allUp = p.up === p.probes && p.healthChanges === 0;
      const ok = x >= target && r.result.lost === 0 && allUp && ran;
      lines.push(
        `${head}, ${x.toFixed(2)}x ${sc.against} (${fmtInt(base.result.qps)} qps): ` +
          `${ok ? 'met' : 'NOT met'}${r.result.lost ? `, ${fmtInt(r.result.lost)} lost` : ''}`,
        `    ${p.probes} probes: ${p.runsPerSecond.toFixed(0)} runs/s by the server, ` +
          `${p.hitsPerSecond.toFixed(0)} requests/s answered by the health target ` +
          `(scheduled: ${p.expectedPerSecond.toFixed(0)}/s); ` +
          `${p.up} of ${p.probes} up at the end, ${p.healthChanges} health changes during the run; ` +
          `the probe thread (CPU 1, nice 19) used ${pct(p.threadCpu) || '?'} of a core`,
      );
      if (busy(r) || busy(base)) lines.push(`    ${busyNote([base, r])}`);
    }
  }
  return lines;
}

/** Above this share of a core taken by other processes, a ratio between two runs means little. */
const BUSY = 0.1;

function busy(r: Row): boolean {
  return (r.other ?? 0) > BUSY || (r.loadOther ?? 0) > BUSY;
}

function busyNote(rows: Row[]): string {
  const share = (x: number | null) => pct(x) || '?';
  const shares = rows
    .map(
      (r) =>
        `${r.scenario} ${loadLabel(r.load, r.rate)} ${r.server.name} ${share(r.other)}/${share(r.loadOther)}`,
    )
    .join(', ');
  return `other processes took CPU 0/CPU 1 during ${shares}: not a reliable verdict`;
}

/** Issue #11: the answer-thread machinery costs at most this much CPU per query. */
export const THREADS_CPU_TARGET = 1.05;

/**
 * The answer threads: qps of each thread row against the main thread's at max load, and CPU per
 * query against the main thread's at the paced load, the target's measure. On a 2-core host `-t2`
 * runs both threads on one core (dnsperf has the other): at max load both threads' loops stay
 * busy there and the kernel switches between them, which a host with a core per thread does not
 * do, so the max-load CPU figure is shown beside the verdict, not as it; the qps says nothing of
 * scaling there.
 */
export function threadsVerdict(rows: Row[]): string[] {
  const of = (load: Load['name']) =>
    rows.filter((r) => r.scenario === 'threads' && r.load.name === load);
  const max = of('max');
  const paced = of('paced');
  const main = max.find((r) => r.server.name === 'geosteer');
  const mainPaced = paced.find((r) => r.server.name === 'geosteer');
  if (!main) return [];
  const lines = [
    `target: answer threads cost <= ${Math.round((THREADS_CPU_TARGET - 1) * 100)} % CPU per query (threads scenario, UDP, paced)`,
  ];
  const ratio = (r: Row | undefined, base: Row | undefined) =>
    r?.cpuUs != null && base?.cpuUs != null && base.cpuUs > 0 ? r.cpuUs / base.cpuUs : null;
  for (const r of max) {
    if (r === main) continue;
    const p = paced.find((x) => x.server.name === r.server.name);
    const atMax = ratio(r, main);
    const atPace = ratio(p, mainPaced);
    lines.push(
      `  ${r.server.name} on CPU ${r.server.cpus}: ${fmtInt(r.result.qps)} qps at max (${(r.result.qps / main.result.qps).toFixed(2)}x the main thread's)` +
        (atMax === null
          ? ''
          : `, ${r.cpuUs!.toFixed(1)} us CPU/query at max (${atMax.toFixed(3)}x)`) +
        (atPace === null
          ? '; no paced row'
          : `; paced ${fmtInt(p!.rate ?? 0)}/s: ${p!.cpuUs!.toFixed(1)} us CPU/query (${atPace.toFixed(3)}x): ${atPace <= THREADS_CPU_TARGET ? 'met' : 'NOT met'}`),
    );
    if (busy(r) || busy(main) || (p && busy(p)) || (mainPaced && busy(mainPaced)))
      lines.push(
        `    ${busyNote([main, r, ...(p ? [p] : []), ...(mainPaced ? [mainPaced] : [])])}`,
      );
  }
  return lines;
}

/**
 * The RRL and cookies target: each protection scenario's qps on each geosteer at max load against
 * the one with RRL and cookies off, same scenario, same run.
 */
export function protectionVerdict(rows: Row[], scenarios: Scenario[], target: number): string[] {
  const lines: string[] = [];
  for (const sc of scenarios.filter((s) => s.protection)) {
    const here = rows.filter((r) => r.scenario === sc.name && r.load.name === 'max');
    const base = here.find((r) => r.server.protection === 'off');
    if (!base) continue;
    if (!lines.length)
      lines.push(
        `target: RRL and cookies on cost at most ${Math.round((1 - target) * 100)} % of qps ` +
          `(>= ${target}x the same server with rrl: false, cookies: false, same run)`,
      );
    for (const r of here.filter((x) => x !== base)) {
      const x = r.result.qps / base.result.qps;
      lines.push(
        `  ${sc.name} ${r.transport.toUpperCase()} ${r.server.name}: ${fmtInt(r.result.qps)} qps, ` +
          `${x.toFixed(2)}x ${base.server.name} (${fmtInt(base.result.qps)} qps): ` +
          `${x >= target && r.result.lost === 0 ? 'met' : 'NOT met'}`,
      );
      if (busy(r) || busy(base)) lines.push(`    ${busyNote([base, r])}`);
    }
  }
  return lines;
}
