// The prober's scheduling, on a fake clock with a fake probe runner: phases drawn from the
// injected rng, a fixed grid per check, bounded concurrency, skipped ticks, the cold-start round,
// reload diffs, sharing one check between addresses, and stopping.
import { describe, expect, it } from 'vitest';
import { Prober, type ProbeRunner } from '../src/health/prober.js';
import type { Check, ProbeOutcome } from '../src/health/spec.js';
import { HealthTable, type Transition } from '../src/health/table.js';
import { formatProblem } from '../src/base/errors.js';
import { compileText } from '../src/zone/load.js';
import type { Zone } from '../src/zone/zone.js';
import { FakeClock } from './helpers/fake-clock.js';

const Z = 'example.org';

/** A zone with these sites: name → [addresses, probe stanza]. */
function zone(sites: Record<string, [string[], string]>): Zone {
  const lines = ['zone: example.org', 'nameservers:', '  ns1.example.net.:', 'sites:'];
  for (const [name, [addrs, probe]] of Object.entries(sites))
    lines.push(`  ${name}:`, `    addresses: [${addrs.join(', ')}]`, `    probe: ${probe}`);
  const r = compileText('zones/example.org.yaml', lines.join('\n') + '\n');
  if (!r.zone) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.zone;
}

const OK: ProbeOutcome = { ok: true, reason: 'connected' };
const REFUSED: ProbeOutcome = { ok: false, reason: 'connect ECONNREFUSED' };

/** A runner whose outcome per host the test sets, taking `delayMs` of fake time. */
function fakeRunner(clock: FakeClock, delayMs = 0) {
  const outcome = new Map<string, ProbeOutcome>();
  const calls: { host: string; at: number }[] = [];
  let inFlight = 0;
  let most = 0;
  const aborted: string[] = [];
  const run: ProbeRunner = (check: Check, signal: AbortSignal) => {
    calls.push({ host: check.host, at: clock.now() });
    inFlight++;
    most = Math.max(most, inFlight);
    return new Promise((resolve) => {
      const done = (o: ProbeOutcome) => {
        inFlight--;
        resolve(o);
      };
      signal.addEventListener('abort', () => {
        aborted.push(check.host);
        done({ ok: false, reason: 'aborted' });
      });
      if (delayMs === 0) done(outcome.get(check.host) ?? OK);
      else clock.setTimeout(() => done(outcome.get(check.host) ?? OK), delayMs);
    });
  };
  return {
    run,
    outcome,
    calls,
    aborted,
    most: () => most,
    /** Times at which `host` was probed. */
    at: (host: string) => calls.filter((c) => c.host === host).map((c) => c.at),
  };
}

/** rng returning these values in turn. */
const seq = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length]!;
};

function setup(
  opts: { delayMs?: number; concurrency?: number; rng?: () => number; earlyMs?: number } = {},
) {
  const clock = new FakeClock(0, opts.earlyMs ?? 0);
  const table = new HealthTable({ now: () => clock.now() });
  const events: Transition[] = [];
  table.onTransition((e) => events.push(e));
  const runner = fakeRunner(clock, opts.delayMs ?? 0);
  const prober = new Prober(table, {
    clock,
    run: runner.run,
    rng: opts.rng ?? seq(0),
    concurrency: opts.concurrency ?? 64,
  });
  return { clock, table, events, runner, prober };
}

const TCP = (interval = '1s', more = '', timeout = '100ms') =>
  `{ type: tcp, port: 443, interval: ${interval}, timeout: ${timeout}${more} }`;

describe('schedule: phase from the rng, then a fixed grid', () => {
  it('probes every check at once, then at base + phase + k × interval', async () => {
    const s = setup({ rng: seq(0.1, 0.5) });
    await s.prober.start([zone({ a: [['192.0.2.1'], TCP()], b: [['192.0.2.2'], TCP()] })], 1000);
    await s.clock.advance(3000);
    expect(s.runner.at('192.0.2.1')).toEqual([0, 100, 1100, 2100]);
    expect(s.runner.at('192.0.2.2')).toEqual([0, 500, 1500, 2500]);
    await s.prober.stop();
  });

  it('keeps to its grid when a probe takes time (no drift)', async () => {
    const s = setup({ rng: seq(0.25), delayMs: 90 });
    void s.prober.start([zone({ a: [['192.0.2.1'], TCP()] })], 1000);
    await s.clock.advance(4000);
    expect(s.runner.at('192.0.2.1')).toEqual([0, 250, 1250, 2250, 3250]);
    await s.prober.stop();
  });

  it('runs once per grid point when a timer fires a millisecond early', async () => {
    // Real timers sometimes fire while Date.now() is still a millisecond short of the due time;
    // the tick must not take that for "before this grid point" and fire again a millisecond later
    // (a second run of a fast probe, or a skipped tick counted against a slow one).
    const s = setup({ rng: seq(0.25), delayMs: 5, earlyMs: 1 });
    void s.prober.start([zone({ a: [['192.0.2.1'], TCP()] })], 1000);
    await s.clock.advance(4000);
    expect(s.runner.at('192.0.2.1')).toEqual([0, 249, 1249, 2249, 3249]);
    expect(s.prober.stats().skipped).toBe(0);
    await s.prober.stop();
  });
});

describe('concurrency', () => {
  it('never has more than `concurrency` probes in flight; the rest wait their turn', async () => {
    const s = setup({ concurrency: 3, delayMs: 50 });
    const addrs = Array.from({ length: 10 }, (_, i) => `192.0.2.${i + 1}`);
    const started = s.prober.start([zone({ a: [addrs, TCP('1s')] })], 1000);
    await s.clock.advance(200);
    const round = await started;
    expect(s.runner.most()).toBe(3);
    // Four waves of 50 ms: 3, 3, 3, 1.
    expect(round).toEqual({ complete: true, checks: 10, pending: 0, elapsedMs: 200 });
    expect(s.runner.calls.slice(0, 10).map((c) => c.at)).toEqual([
      0, 0, 0, 50, 50, 50, 100, 100, 100, 150,
    ]);
    await s.prober.stop();
  });

  it('skips a tick while the previous run of the check is still queued or running, never stacks', async () => {
    // One slot, two checks of 900 ms each on a 1 s interval: each waits for the other.
    const s = setup({ concurrency: 1, delayMs: 900, rng: seq(0) });
    void s.prober.start([zone({ a: [['192.0.2.1'], TCP()], b: [['192.0.2.2'], TCP()] })], 5000);
    await s.clock.advance(5000);
    expect(s.runner.most()).toBe(1);
    expect(s.prober.stats().skipped).toBeGreaterThan(0);
    const runs = s.runner.calls.length;
    expect(runs).toBeLessThanOrEqual(Math.ceil(6800 / 900));
    await s.prober.stop();
  });
});

describe('results into the table: fall × interval to withdraw, rise × interval to restore', () => {
  it('withdraws at the fall-th failed probe after the failure starts, restores at the rise-th success', async () => {
    const s = setup({ rng: seq(0) });
    await s.prober.start([zone({ a: [['192.0.2.1'], TCP('1s', ', rise: 2, fall: 3')] })], 1000);
    expect(s.table.addressUp(Z, 'a', '192.0.2.1')).toBe(true);
    // Probes run at 0 (cold start), then 1000, 2000, ...; the port closes at 1500.
    await s.clock.advance(1500);
    s.runner.outcome.set('192.0.2.1', REFUSED);
    await s.clock.advance(2499);
    expect(s.table.addressUp(Z, 'a', '192.0.2.1')).toBe(true); // 2 failures (2000, 3000)
    await s.clock.advance(1);
    expect(s.table.addressUp(Z, 'a', '192.0.2.1')).toBe(false); // the 3rd, at 4000
    s.runner.outcome.delete('192.0.2.1');
    await s.clock.advance(1500); // success at 5000
    expect(s.table.addressUp(Z, 'a', '192.0.2.1')).toBe(false);
    await s.clock.advance(500); // the 2nd, at 6000
    expect(s.table.addressUp(Z, 'a', '192.0.2.1')).toBe(true);
    expect(
      s.events
        .filter((e) => e.kind === 'address')
        .map((e) => `${e.at} ${e.from}→${e.to} ${e.reason} ×${e.consecutive}`),
    ).toEqual([
      '0 unknown→up connected ×null',
      '4000 up→down connect ECONNREFUSED ×3',
      '6000 down→up connected ×2',
    ]);
    await s.prober.stop();
  });

  it('records the latency the probe took', async () => {
    const s = setup({ delayMs: 37 });
    const started = s.prober.start([zone({ a: [['192.0.2.1'], TCP()] })], 1000);
    await s.clock.advance(37);
    await started;
    expect(s.table.snapshot().zones[0]!.sites[0]!.addresses[0]!.lastResult).toMatchObject({
      ok: true,
      latencyMs: 37,
    });
    await s.prober.stop();
  });
});

describe('one check shared by every address it probes', () => {
  it('a site-wide target probes once per interval and decides for all the site’s addresses', async () => {
    const s = setup();
    const z = zone({
      a: [['192.0.2.1', '192.0.2.2'], '{ type: http, target: "10.0.0.5:8080", interval: 1s }'],
      b: [['192.0.2.3'], '{ type: http, target: "10.0.0.5:8080", interval: 1s }'],
    });
    await s.prober.start([z], 1000);
    expect(s.prober.checks()).toEqual([
      {
        check: expect.objectContaining({
          host: '10.0.0.5',
          port: 8080,
          label: 'http://10.0.0.5:8080/',
        }),
        addresses: [
          { zone: Z, site: 'a', address: '192.0.2.1' },
          { zone: Z, site: 'a', address: '192.0.2.2' },
          { zone: Z, site: 'b', address: '192.0.2.3' },
        ],
      },
    ]);
    s.runner.outcome.set('10.0.0.5', REFUSED);
    await s.clock.advance(3000);
    expect(s.runner.calls.length).toBe(4);
    for (const [site, a] of [
      ['a', '192.0.2.1'],
      ['a', '192.0.2.2'],
      ['b', '192.0.2.3'],
    ] as const)
      expect(s.table.addressUp(Z, site, a)).toBe(false);
    await s.prober.stop();
  });
});

describe('the cold-start round', () => {
  it('waits for every first result, at most waitMs; the rest stay unknown', async () => {
    const s = setup({ delayMs: 300 });
    const z = zone({
      a: [['192.0.2.1'], TCP('5s', '', '2s')],
      b: [['192.0.2.2'], TCP('5s', '', '2s')],
    });
    const started = s.prober.start([z], 200);
    await s.clock.advance(200);
    expect(await started).toEqual({ complete: false, checks: 2, pending: 2, elapsedMs: 200 });
    expect(s.table.addressUp(Z, 'a', '192.0.2.1')).toBe(false);
    await s.clock.advance(100);
    expect(s.table.addressUp(Z, 'a', '192.0.2.1')).toBe(true);
    await s.prober.stop();
  });

  it('with no probes, is done at once', async () => {
    const s = setup();
    expect(await s.prober.start([zone({ a: [['192.0.2.1'], 'none'] })], 1000)).toEqual({
      complete: true,
      checks: 0,
      pending: 0,
      elapsedMs: 0,
    });
    expect(s.clock.pending).toBe(0);
  });
});

describe('sync on reload', () => {
  it('keeps unchanged checks on their grid, stops removed ones, probes new ones at once', async () => {
    const s = setup({ rng: seq(0.3) });
    await s.prober.start([zone({ a: [['192.0.2.1'], TCP()], b: [['192.0.2.2'], TCP()] })], 1000);
    s.runner.outcome.set('192.0.2.1', REFUSED);
    // a: up at 0, then failures at 300 and 1300: 2 of its 3, so still up when the reload comes.
    await s.clock.advance(1450);
    s.prober.sync([zone({ a: [['192.0.2.1'], TCP()], c: [['192.0.2.3'], TCP()] })]);
    await s.clock.advance(1000);
    expect(s.runner.at('192.0.2.1')).toEqual([0, 300, 1300, 2300]);
    expect(s.runner.at('192.0.2.2')).toEqual([0, 300, 1300]);
    expect(s.runner.at('192.0.2.3')).toEqual([1450, 1750]);
    // a's state carried over the reload: its third failure (2300) withdrew it.
    expect(
      s.table.snapshot().zones[0]!.sites.find((x) => x.site === 'a')!.addresses[0],
    ).toMatchObject({
      verdict: 'down',
      failures: 3,
    });
    expect(s.table.has({ zone: Z, site: 'b' })).toBe(false);
    await s.prober.stop();
  });

  it('drops the result of a probe in flight when its check is removed', async () => {
    const s = setup({ delayMs: 50 });
    const started = s.prober.start([zone({ a: [['192.0.2.1'], TCP()] })], 1000);
    await s.clock.advance(10); // a's first probe is in flight
    s.prober.sync([zone({ b: [['192.0.2.2'], TCP()] })]);
    await s.clock.advance(100);
    await started;
    expect(s.runner.aborted).toEqual(['192.0.2.1']);
    expect(s.table.has({ zone: Z, site: 'a' })).toBe(false);
    // Only b's result was counted.
    expect(s.prober.stats().runs).toBe(1);
    await s.prober.stop();
  });
});

describe('stop', () => {
  it('clears every timer and aborts probes in flight', async () => {
    const s = setup({ delayMs: 80 });
    void s.prober.start([zone({ a: [['192.0.2.1'], TCP()], b: [['192.0.2.2'], TCP()] })], 1000);
    await s.clock.advance(10);
    await s.prober.stop();
    expect(s.runner.aborted.sort()).toEqual(['192.0.2.1', '192.0.2.2']);
    // Only the runner's own (fake) delays remain; the prober left nothing scheduled.
    await s.clock.advance(10_000);
    expect(s.runner.calls.length).toBe(2);
    expect(s.clock.pending).toBe(0);
  });
});
