// One suite for both HealthProber implementations (STYLE.md: one conformance suite per
// interface): the Prober that runs probes on the calling thread (tests, tools) and the
// ThreadedProber the server uses, whose schedule and probes run on a worker thread. Real HTTP
// servers on loopback addresses (127.0.8.x) stand in for backends; the health table is real.
import { afterEach, describe, expect, it } from 'vitest';
import { ThreadedProber } from '../src/health/probe-thread.js';
import { type HealthProber, Prober, type ProberOptions } from '../src/health/prober.js';
import type { Check } from '../src/health/spec.js';
import { HealthTable, type ProbeResult } from '../src/health/table.js';
import { formatProblem } from '../src/base/errors.js';
import { compileText } from '../src/zone/load.js';
import type { Zone } from '../src/zone/zone.js';
import { hangingServer, HealthServer } from './helpers/health-servers.js';

const Z = 'conformance.test';
const INTERVAL = 200;

type Make = (table: HealthTable, opts: Pick<ProberOptions, 'onResult'>) => HealthProber;

const IMPLEMENTATIONS: [string, Make][] = [
  ['Prober (this thread)', (table, opts) => new Prober(table, opts)],
  ['ThreadedProber (probe thread)', (table, opts) => new ThreadedProber(table, opts)],
];

/** A zone whose sites each have these addresses, all probed over HTTP on `port`. */
function zone(port: number, sites: Record<string, string[]>, path = '/health'): Zone {
  const lines = [`zone: ${Z}`, 'nameservers:', '  ns1.example.net.:'];
  if (Object.keys(sites).length) lines.push('sites:');
  for (const [name, addrs] of Object.entries(sites))
    lines.push(
      `  ${name}:`,
      `    addresses: [${addrs.join(', ')}]`,
      `    probe: { type: http, port: ${port}, path: ${path}, interval: ${INTERVAL}ms, timeout: 150ms, rise: 1, fall: 1 }`,
    );
  const r = compileText(`zones/${Z}.yaml`, lines.join('\n') + '\n');
  if (!r.zone) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.zone;
}

let nextHost = 1;
const host = () => `127.0.8.${nextHost++}`;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function backend(h: string, port = 0): Promise<HealthServer> {
  const s = await new HealthServer('http', h, port).start();
  cleanup.push(() => s.stop());
  return s;
}

/** Poll `test` every 10 ms until it holds, failing after `ms` (a deadline, not a measurement). */
async function until(test: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(test()).toBe(true);
}

/**
 * A second prober of the same kind probing a backend of its own: its requests are the ticks of a
 * clock this suite can wait on. `after(n)` resolves once it has probed n more times, so at least
 * n - 1 whole intervals have passed, however slow the machine.
 */
async function witness(make: Make) {
  const w = host();
  const srv = await backend(w);
  const prober = make(new HealthTable(), {});
  cleanup.push(() => prober.stop());
  await prober.start([zone(srv.port, { wit: [w] })], 5000);
  return {
    after: (n: number) => {
      const from = srv.requests;
      return until(() => srv.requests >= from + n);
    },
  };
}

describe.each(IMPLEMENTATIONS)('%s', (_name, make) => {
  function setup() {
    const table = new HealthTable();
    const results: { check: Check; result: ProbeResult }[] = [];
    const prober = make(table, { onResult: (check, result) => results.push({ check, result }) });
    cleanup.push(() => prober.stop());
    return { table, prober, results };
  }

  it('the cold-start round waits for every first result: up and down decided at once', async () => {
    const [a, b] = [host(), host()];
    const up = await backend(a);
    // b listens on nothing: connection refused, a failure at once.
    const s = setup();
    const round = await s.prober.start([zone(up.port, { fra: [a], ams: [b] })], 5000);
    expect(round).toMatchObject({ complete: true, checks: 2, pending: 0 });
    expect(s.table.addressUp(Z, 'fra', a)).toBe(true);
    expect(s.table.addressUp(Z, 'ams', b)).toBe(false);
    expect(
      s.table.snapshot().zones[0]!.sites.find((x) => x.site === 'ams')!.addresses[0],
    ).toMatchObject({ verdict: 'down', lastResult: { ok: false, reason: 'connect ECONNREFUSED' } });
  });

  it('a round cut short leaves the slow check unknown and says how many are pending', async () => {
    const [a, b] = [host(), host()];
    const up = await backend(a);
    const hang = await hangingServer(b, up.port);
    cleanup.push(() => hang.stop());
    const s = setup();
    const round = await s.prober.start([zone(up.port, { fra: [a], ams: [b] })], 100);
    expect(round).toMatchObject({ complete: false, checks: 2, pending: 1 });
    expect(s.table.addressUp(Z, 'fra', a)).toBe(true);
    expect(
      s.table.snapshot().zones[0]!.sites.find((x) => x.site === 'ams')!.addresses[0]!.verdict,
    ).toBe('unknown');
  });

  it('probes again and again, reports once per run with its latency, and counts runs', async () => {
    // The grid itself (base + phase + k × interval, no drift, never stacked) is asserted to the
    // millisecond with the injected clock in health-prober.test.ts; the thread runs that Prober.
    const a = host();
    const up = await backend(a);
    const s = setup();
    await s.prober.start([zone(up.port, { fra: [a] })], 5000);
    await until(() => up.requests >= 4);
    await until(() => s.results.length >= 4 && s.prober.stats().runs >= 4);
    // One result per run, each after its request: never more results than requests.
    expect(s.results.length).toBeLessThanOrEqual(up.requests);
    for (const r of s.results) {
      expect(r.check.label).toBe(`http://${a}:${up.port}/health`);
      expect(r.result).toMatchObject({ ok: true, reason: 'HTTP 200' });
      expect(r.result.latencyMs).toBeGreaterThan(0);
    }
    expect(s.prober.stats()).toMatchObject({ checks: 1 });
  });

  it('a backend that stops answering takes its address down; one that returns brings it back', async () => {
    const a = host();
    const up = await backend(a);
    const s = setup();
    await s.prober.start([zone(up.port, { fra: [a] })], 5000);
    expect(s.table.addressUp(Z, 'fra', a)).toBe(true);
    up.status = 503;
    await until(() => !s.table.addressUp(Z, 'fra', a));
    expect(s.table.snapshot().zones[0]!.sites[0]!.addresses[0]!.lastError?.reason).toBe('HTTP 503');
    up.status = 200;
    await until(() => s.table.addressUp(Z, 'fra', a));
  });

  it('sync: a removed check stops, an unchanged one keeps its state, a changed one starts', async () => {
    const [a, b] = [host(), host()];
    const ua = await backend(a);
    const ub = await backend(b, ua.port);
    const s = setup();
    await s.prober.start([zone(ua.port, { fra: [a], ams: [b] })], 5000);
    s.prober.sync([zone(ua.port, { fra: [a] })]);
    expect(s.prober.checks().map((c) => c.addresses.map((x) => x.site))).toEqual([['fra']]);
    // fra's probes are the clock: two more mean a probe of ams in flight at the sync (timeout
    // 150 ms < one interval) has landed; three more after that, three intervals without ams.
    const ticks = (n: number) => {
      const from = ua.requests;
      return until(() => ua.requests >= from + n);
    };
    await ticks(2);
    const before = ub.requests;
    await ticks(3);
    expect(ub.requests).toBe(before);
    expect(s.table.addressUp(Z, 'fra', a)).toBe(true);
    // Another path is another check: it runs at once, and its results are the ones kept.
    s.prober.sync([zone(ua.port, { fra: [a] }, '/other')]);
    expect(s.prober.checks().map((c) => c.check.label)).toEqual([`http://${a}:${ua.port}/other`]);
    await until(() => s.results.some((r) => r.check.label.endsWith('/other')));
    expect(s.table.addressUp(Z, 'fra', a)).toBe(true);
  });

  it('stop: nothing is probed afterwards', async () => {
    const a = host();
    const up = await backend(a);
    const s = setup();
    await s.prober.start([zone(up.port, { fra: [a] })], 5000);
    const w = await witness(make);
    await s.prober.stop();
    const before = up.requests;
    // Three more probes by a prober still running: three intervals without one from the stopped.
    await w.after(3);
    expect(up.requests).toBe(before);
  });
});

describe('ThreadedProber', () => {
  it('runs probes on a thread of its own, and says which and what it costs', async () => {
    const a = host();
    const up = await backend(a);
    const table = new HealthTable();
    const prober = new ThreadedProber(table);
    cleanup.push(() => prober.stop());
    // No probes, no thread.
    await prober.start([zone(up.port, {})], 1000);
    expect(prober.stats().thread).toEqual({ tid: null, cpuSeconds: null, starts: 0 });
    prober.sync([zone(up.port, { fra: [a] })]);
    await until(() => table.addressUp(Z, 'fra', a));
    const t = prober.stats().thread!;
    expect(t.starts).toBe(1);
    // Linux: a task of this process that is not its main thread.
    expect(t.tid).toBeTypeOf('number');
    expect(t.tid).not.toBe(process.pid);
    expect(t.cpuSeconds).toBeGreaterThanOrEqual(0);
  });

  it('a thread that exits is replaced, with the checks it had, and verdicts are kept meanwhile', async () => {
    const a = host();
    const up = await backend(a);
    const table = new HealthTable();
    const logged: string[] = [];
    const log = { error: (_o: unknown, msg: string) => logged.push(msg) } as never;
    const prober = new ThreadedProber(table, { log });
    cleanup.push(() => prober.stop());
    await prober.start([zone(up.port, { fra: [a] })], 5000);
    const worker = (prober as unknown as { worker: { terminate(): Promise<number> } }).worker;
    await worker.terminate();
    expect(logged.some((m) => m.startsWith('health: probe thread exited'))).toBe(true);
    // Still up from before, while no thread runs.
    expect(table.addressUp(Z, 'fra', a)).toBe(true);
    await until(() => prober.stats().thread!.starts === 2);
    up.status = 503;
    await until(() => !table.addressUp(Z, 'fra', a));
  });
});
