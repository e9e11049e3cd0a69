// `fleet:` with answer threads (`threads: 2`): the main thread talks to etcd and holds the health
// table; the answer threads read its verdicts from the shared verdict table. Three real instances
// (the CLI, two answer threads each) on Debian's etcd, each probing from its own loopback source
// address (127.0.1.7-9), so vantage points really disagree. A thread is only proven to answer the
// fleet's truth by queries it answered: each round sends queries from fresh sockets (a new source
// port each, so SO_REUSEPORT spreads them) and reads `geosteer_thread_queries_total{thread}`
// before and after, so every thread is seen answering the round. Drains, forced states and fleet
// verdicts are checked this way; so is `state: drain` in a zone file winning over the fleet's
// overrides, and zone drift (the digest the main thread publishes is that of the zones its
// threads serve). Every process is stopped by its PID.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseMetrics, series } from './helpers/admin.js';
import { queryUdp } from './helpers/dns-client.js';
import {
  EtcdCluster,
  type Instance,
  makeInstance,
  startInstance,
  status,
  tearDown,
  tempRoot,
  until,
  VantageServer,
  ZONE,
  zoneText,
} from './fleet-harness.js';
import { runCliToEnd } from './helpers/cli.js';

const FRA = '127.0.8.50';
const AMS = '127.0.8.60';
const LIS = '127.0.8.70';
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

/**
 * fra and ams probed from each instance's source address; lis drained in the zone file, which no
 * override can undo (docs/health.md#overrides). `www` fails over within [fra, ams], `old` from lis
 * to ams.
 */
const threadsZone = () =>
  zoneText(
    fra,
    ams,
    '  old: { steer: failover, groups: [[lis], [ams]] }\n',
    `  lis: { addresses: [${LIS}], state: drain }\n`,
  );

/** The sorted addresses `name` answers with, asked from a new socket (a new source port). */
async function www(i: Instance, name = 'www', type = 'A'): Promise<string[]> {
  const r = await queryUdp(i.port, `${name}.${ZONE}`, type);
  return (r.answers ?? [])
    .map((a) => {
      const d = (a as { data: unknown }).data;
      return Array.isArray(d) ? d.map(String).join('') : String(d);
    })
    .sort();
}

/**
 * One round of `n` queries to `i`, 20 at a time: true when every answer is `want` and every
 * answer thread answered some of them (so each thread was seen answering `want`).
 */
async function everyThreadAnswers(
  i: Instance,
  want: string[],
  n = 40,
  name = 'www',
  type = 'A',
): Promise<boolean> {
  const before = await perThread(i);
  const got: string[][] = [];
  for (let k = 0; k < n; k += 20)
    got.push(
      ...(await Promise.all(Array.from({ length: Math.min(20, n - k) }, () => www(i, name, type)))),
    );
  const after = await perThread(i);
  const allWant = got.every((g) => JSON.stringify(g) === JSON.stringify(want));
  return allWant && after.every((a, t) => a - before[t]! > 0);
}

/** Every thread of every instance in `of` answers `want`; polled until `ms`. */
const fleetAnswers = (want: string[], ms: number, of: Instance[] = fleet, name = 'www') =>
  until(
    `every thread of ${of.map((i) => i.name).join(',')} answers ${name} ${want.join(',')}`,
    async () =>
      (await Promise.all(of.map((i) => everyThreadAnswers(i, want, 40, name)))).every(Boolean)
        ? true
        : undefined,
    ms,
  );

/** A change through instance `i`'s admin API. */
async function post(i: Instance, path: string, reason: string): Promise<void> {
  const res = await fetch(`${i.admin}${path}?zone=${ZONE}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ reason }),
  });
  expect(res.status, await res.text()).toBe(200);
}

/** `geosteer fleet ...` against etcd with instance a's config: no running instance involved. */
async function fleetCli(...args: string[]): Promise<void> {
  const r = await runCliToEnd(
    'fleet',
    ...args,
    '--zone',
    ZONE,
    '-c',
    `${fleet[0]!.dir}/geosteer.yaml`,
  );
  expect(r.code, r.stderr).toBe(0);
}

/** The fleet's view of fra on instance `i`: each vantage point's vote and the rule's result. */
const fraOn = async (i: Instance) => (await status(i)).addresses.find((x) => x.site === 'fra')!;

beforeAll(async () => {
  root = await tempRoot();
  etcd = await EtcdCluster.create(1);
  fra = await new VantageServer(FRA).start();
  ams = await new VantageServer(AMS).start();
  const zone = threadsZone();
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

afterAll(() => tearDown(fleet, etcd, [fra, ams], root), 60_000);

describe('fleet with answer threads', () => {
  beforeEach(async () => {
    fra.failFor.clear();
    ams.failFor.clear();
    await fleetAnswers(BOTH, 10_000);
  });

  it('a drain made on another instance leaves every thread of every instance within 1 s', async () => {
    const t0 = Date.now();
    await post(fleet[1]!, '/sites/fra/drain', 'threads test');
    await fleetAnswers([AMS], 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
    // It stays: no thread answers with the drained site afterwards.
    for (const i of fleet) expect(await everyThreadAnswers(i, [AMS], 60)).toBe(true);
    // The clear, through yet another instance, reaches every thread the same way.
    const t1 = Date.now();
    await post(fleet[2]!, '/sites/fra/clear', 'threads test done');
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

  it('forced states through the CLI and an admin API reach every thread; state: drain in the zone file still wins', async () => {
    await fleetAnswers([AMS], 5000, fleet, 'old');
    // Forcing lis's address up does not undo the zone file's drain (docs/health.md#overrides).
    await fleetCli('force-up', 'lis', '--address', LIS, '--reason', 'try to undo the file');
    // Then fra's address forced down through c's admin API. etcd's watch delivers changes in
    // revision order, so an instance that applied this one has applied the force-up before it.
    const t0 = Date.now();
    await post(fleet[2]!, `/sites/fra/addresses/${FRA}/force-down`, 'threads test');
    await fleetAnswers([AMS], 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
    for (const i of fleet) expect(await everyThreadAnswers(i, [AMS], 40, 'old')).toBe(true);
    const st = await runCliToEnd(
      'fleet',
      'status',
      '--json',
      '-c',
      `${fleet[0]!.dir}/geosteer.yaml`,
    );
    expect(JSON.parse(st.stdout)).toMatchObject({
      overrides: expect.arrayContaining([
        expect.objectContaining({ site: 'lis', address: LIS, state: 'up' }),
        expect.objectContaining({ site: 'fra', address: FRA, state: 'down', by: 'c' }),
      ]),
    });
    await fleetCli('clear', 'fra', '--address', FRA);
    await fleetCli('clear', 'lis', '--address', LIS);
    await fleetAnswers(BOTH, 2000);
    for (const i of fleet) expect(await everyThreadAnswers(i, [AMS], 40, 'old')).toBe(true);
  }, 60_000);
  it('zone drift: an instance whose threads serve an edited zone is listed by the others', async () => {
    const c = fleet[2]!;
    await writeFile(
      join(c.dir, 'zones', `${ZONE}.yaml`),
      threadsZone() + '  txt: { TXT: [edited] }\n',
    );
    // c's threads answer from the edited zone, and the digest c publishes is that zone's.
    await until('every thread of c serves the edit', async () =>
      (await everyThreadAnswers(c, ['edited'], 40, 'txt', 'TXT')) ? true : undefined,
    );
    await until('a reports c drifting', async () => {
      const s = await status(fleet[0]!);
      return JSON.stringify(s.drift) === '["c"]' ? true : undefined;
    });
    const m = await (await fetch(`${fleet[0]!.admin}/metrics`)).text();
    expect(m).toMatch(/^geosteer_fleet_zone_drift 1$/m);
  }, 30_000);
});
