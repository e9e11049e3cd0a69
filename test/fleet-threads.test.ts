// `fleet:` with answer threads (`threads: 2`): the main thread talks to etcd and holds the health
// table; the answer threads read its verdicts from the shared verdict table. Three real instances
// (the CLI, two answer threads each) on Debian's etcd, each probing from its own loopback source
// address (127.0.1.7-9), so vantage points really disagree. A thread is only proven to answer the
// fleet's truth by queries it answered: each round sends queries from fresh sockets (a new source
// port each, so SO_REUSEPORT spreads them) and reads `geosteer_thread_queries_total{thread}`
// before and after, so every thread is seen answering the round. Every process is stopped by PID.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseMetrics, series } from './helpers/admin.js';
import { queryUdp } from './helpers/dns-client.js';
import {
  EtcdCluster,
  type Instance,
  makeInstance,
  startInstance,
  status,
  stopInstance,
  tempRoot,
  until,
  VantageServer,
  ZONE,
  zoneText,
} from './fleet-harness.js';

const FRA = '127.0.8.50';
const AMS = '127.0.8.60';
const BOTH = [FRA, AMS].sort();
const SOURCES = ['127.0.1.7', '127.0.1.8', '127.0.1.9'];
const THREADS = 2;

let root: string;
let etcd: EtcdCluster;
let fra: VantageServer;
let ams: VantageServer;
let fleet: Instance[] = [];

/** Queries each answer thread of `i` has answered so far, by thread index. */
async function perThread(i: Instance): Promise<number[]> {
  const text = await (await fetch(`${i.admin}/metrics`)).text();
  const s = series(parseMetrics(text), 'geosteer_thread_queries_total');
  return Array.from({ length: THREADS }, (_, t) => s[`thread=${t}`] ?? NaN);
}

/** The sorted addresses `www` answers with, asked from a new socket (a new source port). */
async function www(i: Instance): Promise<string[]> {
  const r = await queryUdp(i.port, `www.${ZONE}`, 'A');
  return (r.answers ?? []).map((a) => (a as { data: string }).data).sort();
}

/**
 * One round of `n` queries to `i`, 20 at a time: true when every answer is `want` and every
 * answer thread answered some of them (so each thread was seen answering `want`).
 */
async function everyThreadAnswers(i: Instance, want: string[], n = 40): Promise<boolean> {
  const before = await perThread(i);
  const got: string[][] = [];
  for (let k = 0; k < n; k += 20)
    got.push(...(await Promise.all(Array.from({ length: Math.min(20, n - k) }, () => www(i)))));
  const after = await perThread(i);
  const allWant = got.every((g) => JSON.stringify(g) === JSON.stringify(want));
  return allWant && after.every((a, t) => a - before[t]! > 0);
}

/** Every thread of every instance in `of` answers `want`; polled until `ms`. */
const fleetAnswers = (want: string[], ms: number, of: Instance[] = fleet) =>
  until(
    `every thread of ${of.map((i) => i.name).join(',')} answers ${want.join(',')}`,
    async () =>
      (await Promise.all(of.map((i) => everyThreadAnswers(i, want)))).every(Boolean)
        ? true
        : undefined,
    ms,
  );

/** The fleet's view of fra on instance `i`: each vantage point's vote and the rule's result. */
const fraOn = async (i: Instance) => (await status(i)).addresses.find((x) => x.site === 'fra')!;

beforeAll(async () => {
  root = await tempRoot();
  etcd = await EtcdCluster.create(1);
  fra = await new VantageServer(FRA).start();
  ams = await new VantageServer(AMS).start();
  const zone = zoneText(fra, ams);
  fleet = await Promise.all(
    ['a', 'b', 'c'].map((n, k) =>
      makeInstance(root, n, SOURCES[k]!, etcd.endpoints, zone, 2, `threads: ${THREADS}\n`),
    ),
  );
  await Promise.all(fleet.map(startInstance));
  for (const i of fleet)
    expect(
      i.cli!.lines.some((l) => String(l.msg).startsWith(`answering on ${THREADS} threads`)),
    ).toBe(true);
  await until('three live instances', async () =>
    (await status(fleet[0]!)).instances.length === 3 ? true : undefined,
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(fleet.map((i) => stopInstance(i)));
  await etcd?.stopAll();
  await fra?.stop();
  await ams?.stop();
  await rm(root, { recursive: true, force: true });
}, 60_000);

describe('fleet with answer threads', () => {
  beforeEach(async () => {
    fra.failFor.clear();
    ams.failFor.clear();
    await fleetAnswers(BOTH, 10_000);
  });

  it('a drain made on another instance leaves every thread of every instance within 1 s', async () => {
    const t0 = Date.now();
    const res = await fetch(`${fleet[1]!.admin}/sites/fra/drain?zone=${ZONE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'threads test' }),
    });
    expect(res.status, await res.text()).toBe(200);
    await fleetAnswers([AMS], 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
    // It stays: no thread answers with the drained site afterwards.
    for (const i of fleet) expect(await everyThreadAnswers(i, [AMS], 60)).toBe(true);
    // The clear, through yet another instance, reaches every thread the same way.
    const t1 = Date.now();
    const clear = await fetch(`${fleet[2]!.admin}/sites/fra/clear?zone=${ZONE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'threads test done' }),
    });
    expect(clear.status, await clear.text()).toBe(200);
    await fleetAnswers(BOTH, 1000);
    expect(Date.now() - t1).toBeLessThan(1000);
  }, 30_000);

  it('an outvoted instance keeps the site in every thread; the fleet verdict withdraws it from every thread', async () => {
    const a = fleet[0]!;
    // a's own probes see fra down; b and c see it up: a is outvoted, and so are its threads.
    fra.failFor.add(SOURCES[0]!);
    await until('a votes fra down, b and c up', async () => {
      const v = await fraOn(a);
      return v.votes.a === 'down' && v.votes.b === 'up' && v.votes.c === 'up' ? v : undefined;
    });
    expect((await fraOn(a)).fleet).toBe('up');
    expect(await everyThreadAnswers(a, BOTH, 60)).toBe(true);

    // Now b and c see fra down and a sees it up: the fleet verdict (down) comes from the peers'
    // votes through etcd, and reaches a's threads although a's own probes say up.
    fra.failFor.clear();
    fra.failFor.add(SOURCES[1]!);
    fra.failFor.add(SOURCES[2]!);
    await until('a votes fra up, b and c down', async () => {
      const v = await fraOn(a);
      return v.votes.a === 'up' && v.votes.b === 'down' && v.votes.c === 'down' ? v : undefined;
    });
    const t0 = Date.now();
    await fleetAnswers([AMS], 1000, [a]);
    expect(Date.now() - t0).toBeLessThan(1000);
    const v = await fraOn(a);
    expect(v).toMatchObject({ fleet: 'down', votes: { a: 'up', b: 'down', c: 'down' } });
    const m = await (await fetch(`${a.admin}/metrics`)).text();
    expect(m).toContain(`geosteer_fleet_verdict_up{zone="${ZONE}",site="fra",address="${FRA}"} 0`);
    // Every instance's threads agree: the same client gets the same answer from any nameserver.
    await fleetAnswers([AMS], 5000);

    fra.failFor.clear();
    await fleetAnswers(BOTH, 10_000);
  }, 60_000);
});
